//! A Tripp Lite unit of the older USB protocol, the one C NUT's `tripplite_usb` speaks
//! (OMNIVS, SMART, SMARTPRO before their HID Power Device models).
//!
//! The unit is HID class but carries a command/reply protocol in 8-byte reports: a command
//! is a SET_REPORT of `:`, the command letter and its arguments, a checksum (255 minus the
//! sum of the command's bytes) and `\r`, zero-padded to 8 bytes; the reply comes on the
//! interrupt IN pipe, 8 bytes starting with the command letter and ending with `\r`. The
//! first byte of a command may also be NUL: the protocol query.
//!
//! The protocol generation (`tripplite.protocol`) decides how values are written: ASCII
//! hexadecimal digits (`0004` older SMART, `1001` OMNIVS, `2001` OMNIVS 2001, `3003`
//! SMARTPRO) or big-endian binary (`3005` binary SMART). The commands:
//!
//! | command | reply (after the letter) |
//! | --- | --- |
//! | NUL | the protocol number, 2 bytes big-endian, then `XXXX` |
//! | `S` | status: low battery flag, battery test / on-battery state, flags (bit 0 on battery, bit 2 output off), charge |
//! | `B` (OMNIVS) | input voltage ×3600/scale (4 hex), battery voltage of a 12 V block ×16 (2 hex) |
//! | `D` (SMART) | input voltage ×120/scale, battery voltage of a 12 V block ×10 (2 hex each, or 2 bytes each) |
//! | `L` | OMNIVS: output voltage ×240/scale (4 hex); SMART: load % |
//! | `M` | lowest and highest input voltage seen since `Z` (×120/scale) |
//! | `T` | temperature, frequency ×10 (and for `3003` the nominal frequency, `1` = 60 Hz) |
//! | `P` | power rating in VA, 5 decimal digits |
//! | `F` | firmware, 6 characters |
//! | `V` | configuration: nominal input voltage code, battery voltage /6 (2 hex; `3005`: the volts, 2 bytes), switchable load banks |
//! | `U` | unit id, 2 bytes |
//! | `W` t, `J` hi lo, `N` delay, `G`, `K` outlet state, `A`, `Z` | the letter: watchdog, set unit id, shutdown delay, shut down after the delay (back when mains returns), switch an outlet (0: the main relay), self-test, reset min/max |
//!
//! Any other letter is answered with the letter alone; a frame without the `:` or with a
//! bad checksum gets no answer.
//!
//! Settings ([`UpsModel::settings`]): `tripplite.protocol` (default `3005`),
//! `tripplite.va` (default `1000`), `tripplite.firmware` (6 characters; default `334403`
//! for `3005`, else `1115.B`), `tripplite.unit_id` (default `65535`; `none` for a unit
//! that does not answer `U`), `tripplite.banks` (switchable load banks, default `1`;
//! OMNIVS units have none). The unit keeps `tripplite.min`, `tripplite.max` (the input
//! extremes since `Z`), `tripplite.delay` (the `N` delay) and `tripplite.outlet.N` (`0` or
//! `1`) there too.

use super::model::UpsModel;

/// The size of a command and of a reply.
pub const FRAME: usize = 8;

/// The protocol generations C's `tripplite_usb` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// `0004`: older SMART, ASCII.
    Smart0004,
    /// `1001`: OMNIVS, ASCII.
    Omnivs,
    /// `2001`: OMNIVS 2001, ASCII, SMART-style status.
    Omnivs2001,
    /// `3003`: SMARTPRO, ASCII.
    SmartPro,
    /// `3005`: SMART, binary.
    Smart3005,
}

impl Generation {
    /// The generation of a protocol number written in hex (`3005`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().trim_start_matches("0x") {
            "0004" | "4" => Some(Self::Smart0004),
            "1001" => Some(Self::Omnivs),
            "2001" => Some(Self::Omnivs2001),
            "3003" => Some(Self::SmartPro),
            "3005" => Some(Self::Smart3005),
            _ => None,
        }
    }

    /// The protocol number the unit answers.
    pub fn number(self) -> u16 {
        match self {
            Self::Smart0004 => 0x0004,
            Self::Omnivs => 0x1001,
            Self::Omnivs2001 => 0x2001,
            Self::SmartPro => 0x3003,
            Self::Smart3005 => 0x3005,
        }
    }

    /// Whether values are binary rather than ASCII hex.
    pub fn binary(self) -> bool {
        self == Self::Smart3005
    }

    /// Whether the unit is of the SMART family (`D`, `M`, `T`, load in `L`).
    pub fn smart(self) -> bool {
        matches!(self, Self::Smart0004 | Self::SmartPro | Self::Smart3005)
    }

    /// Whether the unit is an OMNIVS (`B`, output voltage in `L`).
    pub fn omnivs(self) -> bool {
        matches!(self, Self::Omnivs | Self::Omnivs2001)
    }
}

/// The checksum of a command: 255 minus the sum of its bytes.
pub fn checksum(command: &[u8]) -> u8 {
    255u8.wrapping_sub(command.iter().fold(0u8, |a, &b| a.wrapping_add(b)))
}

/// The 8-byte frame of a command (at most 5 bytes), as the driver sends it.
pub fn frame(command: &[u8]) -> Option<[u8; FRAME]> {
    if command.is_empty() || command.len() > 5 {
        return None;
    }
    let mut out = [0u8; FRAME];
    out[0] = b':';
    out[1..=command.len()].copy_from_slice(command);
    out[command.len() + 1] = checksum(command);
    out[command.len() + 2] = b'\r';
    Some(out)
}

/// The command a frame carries (without `:`, checksum and `\r`), if the frame is well
/// formed: `:` first, then the command, its checksum, `\r` and only zeros.
pub fn parse_frame(data: &[u8]) -> Option<&[u8]> {
    if data.first() != Some(&b':') {
        return None;
    }
    // The last CR followed only by zeros ends the frame (the checksum may be 0x0d too).
    let end = (3..data.len())
        .rev()
        .find(|&i| data[i] == b'\r' && data[i + 1..].iter().all(|&b| b == 0))?;
    let command = &data[1..end - 1];
    (checksum(command) == data[end - 1]).then_some(command)
}

fn setting<'a>(m: &'a UpsModel, key: &str) -> Option<&'a str> {
    m.settings.get(key).map(String::as_str)
}

/// The unit's protocol generation (`tripplite.protocol`, default `3005`).
pub fn generation(m: &UpsModel) -> Generation {
    setting(m, "tripplite.protocol")
        .and_then(Generation::from_name)
        .unwrap_or(Generation::Smart3005)
}

/// The voltage C's driver scales readings to, from the nominal input voltage.
fn scale(m: &UpsModel) -> f64 {
    match m.nominal_voltage.round() as u32 {
        0..=110 => 100.0,
        111..=160 => 120.0,
        _ => 230.0,
    }
}

/// The `V` code of the nominal input voltage (ASCII units; binary ones use 2 or 6).
fn voltage_code(m: &UpsModel, binary: bool) -> u8 {
    let v = m.nominal_voltage.round() as u32;
    if binary {
        return if v <= 160 { 2 } else { 6 };
    }
    match v {
        0..=110 => b'0',
        111..=160 => b'1',
        200..=215 => b'3',
        _ => b'2',
    }
}

/// The voltage of one 12 V block of the battery: C's driver turns it back into the charge
/// (10 % at 11.0 V, 100 % at 13.4 V, the square root in between).
pub fn block_voltage(m: &UpsModel) -> f64 {
    let q = (m.charge / 100.0).clamp(0.0, 1.0);
    11.0 + 2.4 * q * q
}

fn switchable_banks(m: &UpsModel, g: Generation) -> u8 {
    if g.omnivs() {
        return 0;
    }
    setting(m, "tripplite.banks")
        .and_then(|b| b.parse::<u8>().ok())
        .unwrap_or(1)
        .min(9)
}

/// A reply: the letter, the body, `\r`, zero-padded (or cut) to [`FRAME`] bytes.
fn reply(letter: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME);
    out.push(letter);
    out.extend_from_slice(body);
    out.push(b'\r');
    out.resize(FRAME, 0);
    out
}

/// A number as `digits` upper-case hex digits (clamped to what fits).
fn hex(value: f64, digits: u32) -> Vec<u8> {
    let max = 16u64.pow(digits) - 1;
    let v = (value.round().max(0.0) as u64).min(max);
    format!("{v:0width$X}", width = digits as usize).into_bytes()
}

/// A number as 2 big-endian bytes, or as 2 hex digits.
fn word(g: Generation, value: f64) -> Vec<u8> {
    if g.binary() {
        let v = value.round().clamp(0.0, 65535.0) as u16;
        v.to_be_bytes().to_vec()
    } else {
        hex(value, 2)
    }
}

/// The input voltage as the unit reports it (×120/scale).
fn input_raw(m: &UpsModel) -> f64 {
    (m.input_voltage() * 120.0 / scale(m)).round()
}

/// The input extremes since the last `Z`, updated with the current input.
fn min_max(m: &mut UpsModel) -> (f64, f64) {
    let now = input_raw(m);
    let get = |m: &UpsModel, k: &str| setting(m, k).and_then(|v| v.parse::<f64>().ok());
    let min = get(m, "tripplite.min").map_or(now, |v| v.min(now));
    let max = get(m, "tripplite.max").map_or(now, |v| v.max(now));
    m.settings.insert("tripplite.min".into(), min.to_string());
    m.settings.insert("tripplite.max".into(), max.to_string());
    (min, max)
}

fn status(m: &UpsModel, g: Generation) -> Vec<u8> {
    let low = !m.battery_low();
    let charge = m.charge.round().clamp(0.0, 255.0) as u8;
    let flags = u8::from(!m.mains) | (u8::from(!m.output_on) << 2);
    if g == Generation::Omnivs {
        let state = if m.mains { b'0' } else { b'1' };
        return reply(b'S', &[b'0' + u8::from(low), state, 0, b'X', b'X', b'X']);
    }
    let test = if m.testing {
        2
    } else if m.failed {
        1
    } else {
        0
    };
    let ascii = |n: u8| if g.binary() { n } else { b'0' + n };
    reply(
        b'S',
        &[
            ascii(u8::from(low)),
            ascii(test),
            ascii(0),
            flags,
            charge,
            ascii(0),
        ],
    )
}

/// Reads a delay or a 16-bit argument: 2 hex digits on the ASCII SMART units (`N05`),
/// else 2 bytes big-endian (`N` `00` `40`), or one byte (`N` `05` on `3005`).
fn argument(g: Generation, args: &[u8]) -> u32 {
    match args {
        [a, b] if !g.binary() && a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => {
            u32::from_str_radix(&String::from_utf8_lossy(args), 16).unwrap_or(0)
        }
        [a, b] => u32::from(u16::from_be_bytes([*a, *b])),
        [a] => u32::from(*a),
        _ => 0,
    }
}

/// An outlet number or state: an ASCII digit, or a byte.
fn digit(b: u8) -> u8 {
    if b.is_ascii_digit() {
        b - b'0'
    } else {
        b
    }
}

/// How a command is written in [`UpsModel::received`]: printable characters as they are,
/// the others as `\xNN`.
pub fn describe(command: &[u8]) -> String {
    command
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

/// The unit's answer to one frame as the driver sends it (`None`: a frame it ignores).
pub fn respond(m: &mut UpsModel, data: &[u8]) -> Option<Vec<u8>> {
    let command = parse_frame(data)?;
    let (&letter, args) = command.split_first()?;
    m.received.push(describe(command));
    let g = generation(m);
    let out = match letter {
        0 => {
            // As a real 3005 unit answers: the number, then `XXXX`.
            let [hi, lo] = g.number().to_be_bytes();
            reply(0, &[hi, lo, b'X', b'X', b'X', b'X'])
        }
        b'S' => status(m, g),
        b'B' => {
            let mut body = hex(m.input_voltage() * 3600.0 / scale(m), 4);
            body.extend(hex(block_voltage(m) * 16.0, 2));
            reply(b'B', &body)
        }
        b'D' => {
            let mut body = word(g, input_raw(m));
            body.extend(word(g, block_voltage(m) * 10.0));
            reply(b'D', &body)
        }
        b'M' => {
            let (min, max) = min_max(m);
            let mut body = word(g, min);
            body.extend(word(g, max));
            reply(b'M', &body)
        }
        b'T' => {
            let freq = if m.mains { m.frequency * 10.0 } else { 0.0 };
            match g {
                Generation::Smart3005 => {
                    let t = m.temperature.round().clamp(0.0, 255.0) as u8;
                    let f = (freq.round() as u16).to_be_bytes();
                    reply(b'T', &[t, 0, f[0], f[1], 0, b'X'])
                }
                _ => {
                    let mut body = hex((m.temperature + 21.0) / 0.3636, 2);
                    if g == Generation::Smart0004 {
                        body.extend(hex(freq, 4));
                    } else {
                        body.extend(hex(freq, 3));
                        body.push(if m.nominal_frequency >= 55.0 {
                            b'1'
                        } else {
                            b'0'
                        });
                    }
                    reply(b'T', &body)
                }
            }
        }
        b'L' => {
            if g.omnivs() {
                let mut body = hex(m.output_voltage() * 240.0 / scale(m), 4);
                body.extend_from_slice(b"XX");
                reply(b'L', &body)
            } else if g.binary() {
                reply(b'L', &[m.load.min(255) as u8, 0, 0, 7, b'X', b'X'])
            } else {
                let mut body = hex(f64::from(m.load), 2);
                body.extend_from_slice(b"00\0X");
                reply(b'L', &body)
            }
        }
        b'P' => {
            let va: u32 = setting(m, "tripplite.va")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1000);
            let va = if g == Generation::Smart0004 {
                va / 10
            } else {
                va
            };
            reply(b'P', format!("{:05}X", va.min(99999)).as_bytes())
        }
        b'F' => {
            let default = if g.binary() { "334403" } else { "1115.B" };
            let mut fw = setting(m, "tripplite.firmware")
                .unwrap_or(default)
                .as_bytes()
                .to_vec();
            fw.resize(6, b' ');
            reply(b'F', &fw)
        }
        b'V' => {
            let banks = switchable_banks(m, g);
            let nominal = m.battery_nominal.round().clamp(0.0, 65535.0);
            if g.binary() {
                let v = (nominal as u16).to_be_bytes();
                reply(
                    b'V',
                    &[voltage_code(m, true), v[0], v[1], banks, b'X', b'X'],
                )
            } else {
                let mut body = vec![voltage_code(m, false)];
                body.extend(hex(nominal / 6.0, 2));
                body.push(if g.omnivs() { b'X' } else { b'0' + banks });
                body.extend_from_slice(b"XX");
                reply(b'V', &body)
            }
        }
        b'U' => match setting(m, "tripplite.unit_id") {
            Some("none") => return None,
            id => {
                let id: u16 = id.and_then(|v| v.parse().ok()).unwrap_or(65535);
                reply(b'U', &id.to_be_bytes())
            }
        },
        b'J' => {
            if let [hi, lo] = args {
                let id = u16::from_be_bytes([*hi, *lo]);
                m.settings
                    .insert("tripplite.unit_id".into(), id.to_string());
            }
            reply(b'J', &[])
        }
        b'N' => {
            let delay = argument(g, args);
            m.settings
                .insert("tripplite.delay".into(), delay.to_string());
            reply(b'N', &[])
        }
        b'G' => {
            let delay: f64 = setting(m, "tripplite.delay")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            m.shutdown_in = Some(delay);
            m.restart_after = Some(0);
            reply(b'G', &[])
        }
        b'K' => {
            if let [outlet, state] = args {
                let (outlet, on) = (digit(*outlet), digit(*state) & 1 == 1);
                if outlet == 0 {
                    m.output_on = on;
                    m.shutdown_in = None;
                } else {
                    m.settings.insert(
                        format!("tripplite.outlet.{outlet}"),
                        u8::from(on).to_string(),
                    );
                }
            }
            reply(b'K', &[])
        }
        b'A' => {
            m.testing = true;
            reply(b'A', &[])
        }
        b'Z' => {
            m.settings.remove("tripplite.min");
            m.settings.remove("tripplite.max");
            reply(b'Z', &[])
        }
        other => reply(other, &[]),
    };
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(m: &mut UpsModel, command: &[u8]) -> Vec<u8> {
        respond(m, &frame(command).unwrap()).unwrap()
    }

    #[test]
    fn frames_carry_a_checksum() {
        // C's watchdog reset "W\0": the checksum replaces the terminating NUL.
        assert_eq!(
            frame(b"W\0").unwrap(),
            [b':', b'W', 0, 0xa8, b'\r', 0, 0, 0]
        );
        assert_eq!(frame(b"S").unwrap(), [b':', b'S', 0xac, b'\r', 0, 0, 0, 0]);
        assert_eq!(
            parse_frame(&frame(b"N\0\x40").unwrap()),
            Some(&b"N\0\x40"[..])
        );
        // A checksum that is a CR.
        let cmd = [0xf2u8];
        assert_eq!(checksum(&cmd), 0x0d);
        assert_eq!(parse_frame(&frame(&cmd).unwrap()), Some(&cmd[..]));
        assert_eq!(parse_frame(b":S\x00\r\0\0\0\0"), None);
        assert_eq!(parse_frame(b"S\xac\r\0\0\0\0\0"), None);
        assert_eq!(parse_frame(b""), None);
        assert!(frame(b"123456").is_none());
    }

    #[test]
    fn a_binary_smart_unit() {
        let mut m = UpsModel::new();
        assert_eq!(ask(&mut m, b"\0"), *b"\x00\x30\x05XXXX\r");
        assert_eq!(ask(&mut m, b"S"), [b'S', 1, 0, 0, 0, 100, 0, b'\r']);
        // 230 V scaled to 120, 13.4 V.
        assert_eq!(ask(&mut m, b"D"), [b'D', 0, 120, 0, 134, b'\r', 0, 0]);
        assert_eq!(ask(&mut m, b"V"), [b'V', 6, 0, 24, 1, b'X', b'X', b'\r']);
        assert_eq!(&ask(&mut m, b"P")[..7], b"P01000X");
        assert_eq!(ask(&mut m, b"M"), [b'M', 0, 120, 0, 120, b'\r', 0, 0]);
        m.apply("mains-lost").unwrap();
        m.apply("low-battery").unwrap();
        assert_eq!(ask(&mut m, b"S"), [b'S', 0, 0, 0, 1, 19, 0, b'\r']);
        assert_eq!(ask(&mut m, b"M"), [b'M', 0, 0, 0, 120, b'\r', 0, 0]);
        ask(&mut m, b"N\0\x40");
        ask(&mut m, b"G");
        assert_eq!(m.shutdown_in, Some(64.0));
        ask(&mut m, b"K\0\0");
        assert!(!m.output_on);
        assert_eq!(ask(&mut m, b"S")[4], 5);
        assert_eq!(m.received.first().map(String::as_str), Some("\\x00"));
    }

    #[test]
    fn served_as_frames() {
        use crate::sim::{socket, Protocol};
        let model = UpsModel::shared();
        let p = Protocol::from_name("TrippLite_USB").unwrap();
        assert_eq!(p, Protocol::TrippLiteUsb);
        // A stream of frames: answered whole, a partial one kept for later.
        let mut pending = frame(b"S").unwrap().to_vec();
        pending.extend(frame(&[0xf2]).unwrap());
        pending.extend(&frame(b"P").unwrap()[..3]);
        let mut out = Vec::new();
        p.feed(&model, &mut pending, &mut out);
        assert_eq!(out.len(), 2 * FRAME);
        assert_eq!((out[0], out[FRAME]), (b'S', 0xf2));
        assert_eq!(pending.len(), 3);
        // The socket hands the whole frame over, its trailing zeros included.
        let r = socket::answer(&model, p, &frame(b"U").unwrap());
        assert_eq!(r, [b'U', 0xff, 0xff, b'\r', 0, 0, 0, 0]);
        assert!(socket::answer(&model, p, b"garbage").is_empty());
    }

    #[test]
    fn ascii_units() {
        let mut m = UpsModel::new();
        m.settings
            .insert("tripplite.protocol".into(), "3003".into());
        assert_eq!(&ask(&mut m, b"S")[..7], b"S100\0d0");
        assert_eq!(&ask(&mut m, b"D")[..6], b"D7886\r");
        assert_eq!(&ask(&mut m, b"V")[..8], b"V2041XX\r");
        assert_eq!(&ask(&mut m, b"T")[..8], b"T8C1F40\r");
        ask(&mut m, b"N05");
        assert_eq!(m.settings["tripplite.delay"], "5");
        ask(&mut m, b"K21");
        assert_eq!(m.settings["tripplite.outlet.2"], "1");
        m.settings
            .insert("tripplite.protocol".into(), "1001".into());
        assert_eq!(&ask(&mut m, b"S")[..4], b"S10\0");
        assert_eq!(&ask(&mut m, b"B")[..8], b"B0E10D6\r");
        assert_eq!(&ask(&mut m, b"L")[..8], b"L00F0XX\r");
        assert_eq!(&ask(&mut m, b"V")[..5], b"V204X");
        assert_eq!(&ask(&mut m, b"Q")[..2], b"Q\r");
        m.settings.insert("tripplite.unit_id".into(), "none".into());
        assert_eq!(respond(&mut m, &frame(b"U").unwrap()), None);
    }
}
