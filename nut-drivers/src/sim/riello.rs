//! Riello's GPSER protocol, as C NUT's `riello_ser` and `riello_usb` speak it (see
//! [`crate::riello::frame`] for the frames).
//!
//! The unit answers `GI` (identification, always with the byte-sum check), `GN` (ratings),
//! `RS` (status and measurements), `RE` (per-phase output currents and powers) and
//! acknowledges the commands `CS` (output off after a delay), `CR` (on after a delay),
//! `CD` (cancel), `TB` (battery test) and `TP` (panel test) with an empty frame of the
//! same letters. Other commands, and requests whose check is wrong, get a NAK. Bytes
//! outside frames (a SENTR probe) get no answer. Every frame received is logged in
//! [`UpsModel::received`] as lowercase hex (a stray byte on its own).
//!
//! Device settings ([`UpsModel::settings`]): `riello.type`, the phase layout, `1` (one
//! phase in and out, the default: a Sentinel Pro/iDialog-like unit), `2` (one in, three
//! out), `3` (three in, one out) or `4` (three and three: an MPT-like unit); `riello.crc`
//! (`1`, the default: frames after `GI` carry a CRC; `0`: a sum); `riello.extended` (`no`:
//! `RE` is refused); `riello.model`, `riello.serial`, `riello.firmware`;
//! `riello.power` (VA, default 1000).
//!
//! ```
//! use nut_drivers::riello::frame::{gpser, BUFFER_SIZE};
//! use nut_drivers::sim::riello::respond;
//! use nut_drivers::sim::UpsModel;
//!
//! let mut model = UpsModel::new();
//! let reply = respond(&mut model, &gpser(b"GI", b"", false)).unwrap();
//! assert_eq!(reply.len(), 68);
//! assert_eq!(&reply[23..30], b"SEP1000");
//! ```

use super::{SharedModel, UpsModel};
use crate::riello::frame::{check, digits, gpser_reply};
use crate::sim::model::Avr;

fn setting<'a>(model: &'a UpsModel, key: &str, default: &'a str) -> &'a str {
    model
        .settings
        .get(&format!("riello.{key}"))
        .map_or(default, String::as_str)
}

fn kind(model: &UpsModel) -> u8 {
    match setting(model, "type", "1") {
        "2" => b'2',
        "3" => b'3',
        "4" => b'4',
        _ => b'1',
    }
}

fn crc(model: &UpsModel) -> bool {
    setting(model, "crc", "1") != "0"
}

/// `text` padded with spaces (or cut) to `n` bytes.
fn padded(text: &str, n: usize) -> Vec<u8> {
    let mut v: Vec<u8> = text.bytes().take(n).collect();
    v.resize(n, b' ');
    v
}

fn d(value: f64, n: usize) -> Vec<u8> {
    let max = (1u64 << (4 * n)) - 1;
    digits(value.round().clamp(0.0, max as f64) as u32, n)
}

fn identification(model: &UpsModel) -> Vec<u8> {
    let mut data = padded(setting(model, "serial", "RS1234567890"), 16);
    data.extend(padded(setting(model, "model", "SEP1000"), 16));
    data.extend(padded(setting(model, "firmware", "SWM035-01-07"), 12));
    // Type, then what C does not read, the check kind (fifth), batteries (eighth).
    let mut ident = *b"1300000300  ";
    ident[0] = kind(model);
    ident[4] = if crc(model) { b'1' } else { b'0' };
    ident[7] = b'0' + (model.battery_nominal / 12.0).round().clamp(0.0, 9.0) as u8;
    data.extend(ident);
    data
}

fn power(model: &UpsModel) -> f64 {
    setting(model, "power", "1000").parse().unwrap_or(1000.0)
}

fn nominal(model: &UpsModel) -> Vec<u8> {
    // Units other than single-phase ones give ratings in hundredths.
    let scale = if kind(model) == b'1' { 1.0 } else { 100.0 };
    let va = power(model);
    let mut data = d(va * scale, 5);
    data.extend(d(va * 0.8 * scale, 5));
    data.extend(d(model.battery_nominal, 3));
    data.extend(d(7.0, 3));
    data.extend(d(model.nominal_voltage, 3));
    data.extend(d(model.nominal_frequency * 10.0, 3));
    data
}

/// The five status bytes (each `0x30` plus its bits, never a frame byte).
fn status(model: &UpsModel) -> [u8; 5] {
    let mut s = [0x30u8; 5];
    if !model.mains {
        s[0] |= 0x02;
        if model.battery_low() {
            s[0] |= 0x01;
        }
    }
    if model.output_on {
        s[0] |= 0x08;
    }
    match model.avr() {
        Avr::Trim => s[1] |= 0x01,
        Avr::Boost => s[1] |= 0x02,
        Avr::Off => {}
    }
    if model.failed {
        s[2] |= 0x01;
    }
    if model.mains && model.charge < 100.0 {
        s[2] |= 0x04;
    }
    if model.load > 100 {
        s[4] |= 0x04;
    }
    s
}

fn measurements(model: &UpsModel) -> Vec<u8> {
    let mut data = status(model).to_vec();
    let vin = model.input_voltage();
    let fin = if model.mains { model.frequency } else { 0.0 };
    let vout = model.output_voltage();
    let load = f64::from(model.load);
    let phase = |i: f64| if vin > 0.0 { vin + i } else { 0.0 };
    data.extend(d(fin * 10.0, 3));
    data.extend(d(vin, 3));
    data.extend(d(model.nominal_frequency * 10.0, 3));
    data.extend(d(vout, 3));
    data.extend(d(load, 2));
    data.extend(d(fin * 10.0, 3));
    data.extend(d(vin, 3));
    data.extend(d(model.battery_voltage() * 10.0, 4));
    data.extend(d(model.charge, 2));
    data.extend(d(model.runtime() / 60.0, 3));
    data.extend(d(model.temperature, 2));
    if kind(model) != b'1' {
        data.extend(d(phase(1.0), 3));
        data.extend(d(phase(2.0), 3));
        data.extend(d(vout - 1.0, 3));
        data.extend(d(load + 1.0, 2));
        data.extend(d(phase(1.0), 3));
        data.extend(d(vout - 2.0, 3));
        data.extend(d(load + 2.0, 2));
        data.extend(d(phase(2.0), 3));
    }
    data
}

fn extended(model: &UpsModel) -> Vec<u8> {
    let mut data = vec![b'0'; 16];
    let load = f64::from(model.load) / 100.0;
    let va = power(model) * load;
    let three = kind(model) == b'2' || kind(model) == b'4';
    let phases: [f64; 3] = if three {
        [1.0 / 3.0; 3]
    } else {
        [1.0, 0.0, 0.0]
    };
    for p in phases {
        let volts = model.output_voltage().max(1.0);
        data.extend(d(va * p / volts * 10.0, 4));
    }
    for p in phases {
        data.extend(d(va * p * 0.8, 5));
    }
    for p in phases {
        data.extend(d(va * p, 5));
    }
    data
}

/// Bytes as two-digit hexadecimal numbers separated by spaces.
pub use super::liebert::hex;

/// The answer to one frame (`02 … 03`) from the driver, if any.
pub fn respond(model: &mut UpsModel, frame: &[u8]) -> Option<Vec<u8>> {
    model.received.push(hex(frame));
    if frame.len() < 12 || frame[0] != 0x02 {
        return None;
    }
    let cmd = [frame[3], frame[4]];
    let with_crc = crc(model) && &cmd != b"GI";
    let nak = || Some(gpser_reply(&[0x15, cmd[0]], b"", with_crc));
    if check(frame, with_crc) != Some(true) {
        return nak();
    }
    let data = match &cmd {
        b"GI" => identification(model),
        b"GN" => nominal(model),
        b"RS" => measurements(model),
        b"RE" if setting(model, "extended", "yes") != "no" => extended(model),
        b"CS" | b"CR" | b"CD" | b"TB" | b"TP" => {
            match &cmd {
                b"TB" => model.testing = true,
                b"CD" => model.shutdown_in = None,
                b"CS" => {
                    let delay = frame.get(7..11).map_or(0.0, |d| {
                        d.iter()
                            .fold(0.0, |v, b| v * 16.0 + f64::from(b.wrapping_sub(0x30)))
                    });
                    model.shutdown_in = Some(delay);
                }
                _ => {}
            }
            Vec::new()
        }
        _ => return nak(),
    };
    Some(gpser_reply(&cmd, &data, with_crc))
}

/// Takes the complete frames out of `pending` and appends their answers to `out`. Bytes
/// before a frame's STX are logged one by one and get no answer.
pub fn feed(model: &SharedModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    loop {
        let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
        match pending.iter().position(|&b| b == 0x02) {
            Some(0) => {}
            Some(n) => {
                for b in pending.drain(..n) {
                    m.received.push(hex(&[b]));
                }
            }
            None => {
                for b in pending.drain(..) {
                    m.received.push(hex(&[b]));
                }
                return;
            }
        }
        let Some(end) = pending.iter().position(|&b| b == 0x03) else {
            if pending.len() > 256 {
                pending.clear();
            }
            return;
        };
        let frame: Vec<u8> = pending.drain(..=end).collect();
        if let Some(reply) = respond(&mut m, &frame) {
            out.extend_from_slice(&reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::riello::frame::{gpser, parse_gi, parse_rs, Kind, Receiver, RielloData};

    fn ask(model: &mut UpsModel, cmd: &[u8; 2], crc: bool) -> Receiver {
        let reply = respond(model, &gpser(cmd, b"", crc)).unwrap();
        let mut rx = Receiver::new();
        rx.start();
        for b in reply {
            rx.push(b, Kind::Gpser, crc);
        }
        assert!(!rx.waiting && !rx.bad_crc, "{cmd:?}");
        rx
    }

    #[test]
    fn answers_what_the_driver_reads() {
        let mut m = UpsModel::new();
        let rx = ask(&mut m, b"GI", false);
        let mut data = RielloData::default();
        parse_gi(&rx.buf, &mut data);
        assert_eq!(data.model_str, b"SEP1000        ");
        assert_eq!(data.ident_bytes[4], b'1');
        let rx = ask(&mut m, b"RS", true);
        assert!(!rx.nak);
        parse_rs(&rx.buf, &mut data, 42);
        assert_eq!(data.u_inp[0], 230);
        assert_eq!(data.f_inp, 500);
        m.apply("mains-lost").unwrap();
        m.apply("low-battery").unwrap();
        let rx = ask(&mut m, b"RS", true);
        parse_rs(&rx.buf, &mut data, 42);
        assert_eq!(data.status[0] & 3, 3);
        assert_eq!(data.u_inp[0], 0);
        // A wrong check, an unknown command: NAK.
        let reply = respond(&mut m, &gpser(b"RS", b"", false)).unwrap();
        assert_eq!(reply[3], 0x15);
        assert!(ask(&mut m, b"XX", true).nak);
    }

    #[test]
    fn frames_are_cut_out_of_a_stream() {
        let model = UpsModel::shared();
        let mut pending = vec![0xc0];
        pending.extend(gpser(b"GI", b"", false));
        let second = gpser(b"GN", b"", true);
        pending.extend(&second[..5]);
        let mut out = Vec::new();
        feed(&model, &mut pending, &mut out);
        assert_eq!(out.len(), 68);
        assert_eq!(pending.len(), 5);
        pending.extend(&second[5..]);
        feed(&model, &mut pending, &mut out);
        assert_eq!(out.len(), 68 + 34);
        let log = model.lock().unwrap().received.clone();
        assert_eq!(log[0], "c0");
        assert!(log[1].starts_with("02 20 22 47 49"));
    }
}
