//! Liebert's ESP-II protocol (GXT2, NXe, …), as C NUT's `liebert-esp2` driver speaks it.
//!
//! Binary frames, no terminator: a command is `01 <cmd> <n> <n bytes> <sum>` (`n` is 2 for
//! a read, 4 for a write), the sum being the low byte of the sum of the bytes before it.
//! Every well-formed command is answered with eight bytes `01 <cmd> 04 <b0> <b1> <hi> <lo>
//! <sum>`: `<b0> <b1>` repeat the command's first two argument bytes, `<hi> <lo>` are a
//! signed 16-bit big-endian value. A frame with a wrong sum gets no answer.
//!
//! What is read (command, second argument byte): `0x88`/1 the type (low byte: input phases
//! in bits 0–1, output phases in bits 4–5; high byte bit 4 offline, bit 5 line-interactive),
//! `0x88`/4–40 the identification strings two characters a word (low byte first: model 15
//! words, firmware 8, serial 10, manufacturing date 4), `0x83`/2 the scaling family (1 GXT2,
//! 2 NXe), `0x94`/1–3 status bit fields, `0x95` measurements, `0xa1` ratings, `0x90`–`0x92`
//! per-phase measurements (L1–L3). Writes (`0x9c`) are acknowledged and shut the output off.
//!
//! Device settings ([`UpsModel::settings`]): `liebert.scaling` (1, the default, or 2),
//! `liebert.inphases` and `liebert.outphases` (1–3, default 1), `liebert.type` (`online`,
//! `offline`, `interactive`), `liebert.model`, `liebert.firmware`, `liebert.serial`,
//! `liebert.date` (default: a GXT2-3000RT230 of NUT's device library).
//!
//! ```
//! use nut_drivers::sim::liebert::{frame, respond};
//! use nut_drivers::sim::UpsModel;
//!
//! let mut model = UpsModel::new();
//! // Output voltage, phase 1.
//! let reply = respond(&mut model, &frame(0x90, &[1, 3])).unwrap();
//! assert_eq!(reply.len(), 8);
//! assert_eq!(i16::from_be_bytes([reply[5], reply[6]]), 2300);
//! ```

use super::{SharedModel, UpsModel};

/// The checksum of ESP-II frames: the low byte of the sum of the bytes.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b))
}

/// A command frame: `01 <cmd> <len> <args> <sum>`.
pub fn frame(cmd: u8, args: &[u8]) -> Vec<u8> {
    let mut f = vec![1, cmd, args.len() as u8];
    f.extend_from_slice(args);
    f.push(checksum(&f));
    f
}

fn setting<'a>(model: &'a UpsModel, key: &str, default: &'a str) -> &'a str {
    model
        .settings
        .get(&format!("liebert.{key}"))
        .map_or(default, String::as_str)
}

fn number(model: &UpsModel, key: &str, default: u16) -> u16 {
    setting(model, key, "").parse().unwrap_or(default)
}

/// The identification strings: name, first word, number of words, default.
const IDENT: [(&str, u8, u8, &str); 4] = [
    ("model", 4, 15, "GXT2-3000RT230"),
    ("firmware", 19, 8, "GXT2MR15D-2K3K"),
    ("serial", 27, 10, "0307000120AF491"),
    ("date", 37, 4, "10MAR03"),
];

fn ident_word(model: &UpsModel, index: u8) -> i16 {
    for (name, first, words, default) in IDENT {
        if (first..first + words).contains(&index) {
            let text = setting(model, name, default).as_bytes();
            let at = usize::from(index - first) * 2;
            let c = |i: usize| text.get(i).copied().unwrap_or(0);
            return i16::from_be_bytes([c(at + 1), c(at)]);
        }
    }
    0
}

/// The scale of measurements that depend on the family: (frequency, power) multipliers
/// of C's driver, as divisors of the value.
fn family_scale(model: &UpsModel) -> (f64, f64) {
    match number(model, "scaling", 1) {
        1 => (10.0, 1.0),
        2 => (100.0, 0.01),
        _ => (100.0, 0.01),
    }
}

fn raw(x: f64) -> i16 {
    x.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

fn power_va(model: &UpsModel) -> f64 {
    let nominal = f64::from(number(model, "power", 3000));
    if model.output_on {
        nominal * f64::from(model.load) / 100.0
    } else {
        0.0
    }
}

fn battery_current(model: &UpsModel) -> f64 {
    if !model.mains && model.output_on {
        -(power_va(model) / model.battery_voltage().max(1.0))
    } else if model.mains && model.charge < 100.0 {
        1.25
    } else {
        0.0
    }
}

/// The 16-bit value a read command answers, for command `cmd` and index `index`.
fn value(model: &UpsModel, cmd: u8, index: u8) -> i16 {
    let (freq, power) = family_scale(model);
    match (cmd, index) {
        (0x88, 1) => {
            let inp = number(model, "inphases", 1) & 3;
            let out = number(model, "outphases", 1) & 3;
            let hi = match setting(model, "type", "online") {
                "offline" => 0x10,
                "interactive" => 0x20,
                _ => 0,
            };
            i16::from_be_bytes([hi, (inp | (out << 4)) as u8])
        }
        (0x88, i) => ident_word(model, i),
        (0x83, 2) => number(model, "scaling", 1) as i16,
        (0x94, 1) => i16::from(!model.mains) << 8,
        (0x94, 2) => {
            let avr = model.avr();
            (i16::from(!model.output_on))
                | i16::from(model.failed) << 5
                | i16::from(avr == super::model::Avr::Boost) << 6
                | i16::from(avr == super::model::Avr::Trim) << 9
        }
        (0x94, 3) => i16::from(model.load > 100) | i16::from(model.battery_low()) << 5,
        (0x95, 1) => raw(model.runtime() / 60.0),
        (0x95, 2) => raw(model.battery_voltage() * 10.0),
        (0x95, 3) => raw(battery_current(model) * 100.0),
        (0x95, 5) => raw(power_va(model) * 0.9 * power),
        (0x95, 6) => raw(power_va(model) * power),
        (0x95, 7) => raw(f64::from(model.load)),
        (0x95, 8) | (0x95, 10) => raw(if model.mains {
            model.frequency * freq
        } else {
            0.0
        }),
        (0x95, 9) => raw(model.frequency * freq),
        (0x95, 12) => raw((model.temperature - 5.0) * 10.0),
        (0x95, 14) => raw(model.temperature * 10.0),
        (0xa1, 4) => 3,
        (0xa1, 8) => raw(f64::from(number(model, "power", 3000)) * power),
        (0xa1, 9) | (0xa1, 10) => raw(model.nominal_frequency * freq),
        (0xa1, 13) => raw(model.battery_nominal * 10.0),
        (0xa1, 14) => 2,
        (0x90..=0x92, 1) | (0x90..=0x92, 5) => raw(model.input_voltage() * 10.0),
        (0x90..=0x92, 2) => raw(if model.mains {
            power_va(model) / model.input_voltage().max(1.0) * 10.0
        } else {
            0.0
        }),
        (0x90..=0x92, 3) => raw(model.output_voltage() * 10.0),
        (0x90..=0x92, 4) => raw(if model.output_on {
            power_va(model) / model.output_voltage().max(1.0) * 10.0
        } else {
            0.0
        }),
        (0x90..=0x92, 14) => 14,
        (0x90..=0x92, 21) => raw(power_va(model) * 0.9 * power / 3.0),
        (0x90..=0x92, 22) => raw(power_va(model) * power / 3.0),
        (0x90..=0x92, 24) => raw(f64::from(model.load)),
        _ => 0,
    }
}

/// The answer to one complete command frame (checked), or `None` for a bad one.
pub fn respond(model: &mut UpsModel, frame: &[u8]) -> Option<Vec<u8>> {
    let (sum, body) = frame.split_last()?;
    if frame.len() < 6 || body[0] != 1 || checksum(body) != *sum {
        return None;
    }
    model.received.push(hex(frame));
    let (cmd, args) = (body[1], &body[3..]);
    if cmd == 0x9c {
        // A write: the shutdown sequence of C's driver; the last one turns the output off.
        if args.get(1) == Some(&0x88) {
            model.output_on = false;
        }
    }
    let v = if cmd == 0x9c {
        0
    } else {
        value(model, cmd, args[1])
    };
    let [hi, lo] = v.to_be_bytes();
    let mut out = vec![1, cmd, 4, args[0], args[1], hi, lo];
    out.push(checksum(&out));
    Some(out)
}

/// Bytes as two-digit hexadecimal numbers separated by spaces.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Takes the complete frames out of `pending` and appends their answers to `out`. Bytes
/// that cannot start a frame are dropped.
pub fn feed(model: &SharedModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    loop {
        match pending.iter().position(|&b| b == 1) {
            Some(0) => {}
            Some(n) => {
                pending.drain(..n);
            }
            None => {
                pending.clear();
                return;
            }
        }
        let Some(&len) = pending.get(2) else { return };
        let total = 3 + usize::from(len) + 1;
        if !(2..=8).contains(&len) {
            pending.remove(0);
            continue;
        }
        if pending.len() < total {
            return;
        }
        let frame: Vec<u8> = pending.drain(..total).collect();
        let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(reply) = respond(&mut m, &frame) {
            out.extend_from_slice(&reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(model: &mut UpsModel, cmd: u8, index: u8) -> i16 {
        let r = respond(model, &frame(cmd, &[1, index])).unwrap();
        assert_eq!(r[7], checksum(&r[..7]));
        i16::from_be_bytes([r[5], r[6]])
    }

    #[test]
    fn answers_what_the_driver_reads() {
        let mut m = UpsModel::new();
        // The frames of C's tables have these sums.
        assert_eq!(frame(0x94, &[1, 1]), [1, 148, 2, 1, 1, 153]);
        assert_eq!(
            frame(0x9c, &[1, 136, 76, 76]),
            [1, 156, 4, 1, 136, 76, 76, 194]
        );
        let w = read(&mut m, 0x88, 4).to_be_bytes();
        assert_eq!([w[1], w[0]], *b"GX");
        assert_eq!(read(&mut m, 0x88, 1), 0x11);
        assert_eq!(read(&mut m, 0x94, 1), 0);
        m.apply("mains-lost").unwrap();
        assert_eq!(read(&mut m, 0x94, 1), 0x100);
        assert!(read(&mut m, 0x95, 3) < 0);
        m.apply("low-battery").unwrap();
        assert_eq!(read(&mut m, 0x94, 3), 0x20);
        // A bad sum, no answer.
        assert!(respond(&mut m, &[1, 148, 2, 1, 1, 154]).is_none());
    }

    #[test]
    fn frames_are_cut_out_of_a_stream() {
        let model = UpsModel::shared();
        let mut pending = vec![0xff, 0x00];
        pending.extend(frame(0x95, &[1, 7]));
        pending.extend(&frame(0x95, &[1, 2])[..3]);
        let mut out = Vec::new();
        feed(&model, &mut pending, &mut out);
        assert_eq!(out.len(), 8);
        assert_eq!(pending.len(), 3);
        pending.extend(&frame(0x95, &[1, 2])[3..]);
        feed(&model, &mut pending, &mut out);
        assert_eq!(out.len(), 16);
        assert!(pending.is_empty());
        let mut garbage = vec![1, 200, 9, 9, 9];
        feed(&model, &mut garbage, &mut out);
        assert_eq!(out.len(), 16);
        // Through the protocol front-end.
        let proto = crate::sim::Protocol::from_name("liebert-esp2").unwrap();
        let mut m = model.lock().unwrap();
        let reply = proto.respond(&mut m, &frame(0x95, &[1, 7])).unwrap();
        assert_eq!(reply[6], 14);
    }
}
