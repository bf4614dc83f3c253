//! A Voltronic-QS-Hex device: `M` answers the protocol (`P`, or `T` with the setting
//! `qshex.protocol` = `T` in [`UpsModel::settings`]), `QS` a binary status line (see
//! [`crate::qx::voltronic_qs_hex`]), the Megatec control commands are carried out
//! silently, anything else is refused with `N`.

use super::model::{Avr, UpsModel};
use super::q1::control;

/// Appends `bytes` to `out`, escaping what a serial line would not carry.
fn escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        match b {
            0x0D => out.extend_from_slice(&[0x28, 0x00]),
            0x11 => out.extend_from_slice(&[0x28, 0x01]),
            0x13 => out.extend_from_slice(&[0x28, 0x02]),
            0x0A => out.extend_from_slice(&[0x28, 0x03]),
            0x20 => out.extend_from_slice(&[0x28, 0x04]),
            _ => out.push(b),
        }
    }
}

/// The binary status line.
pub fn status_line(m: &UpsModel) -> Vec<u8> {
    // Voltages as `a` (2 bytes) × 0x33 / 51 / 256, the frequency as `b` / 20000, the
    // battery as 255 × `b` / 510.
    let volts = |v: f64| ((v.max(0.0) * 256.0).round() as u32).min(0xFFFF) as u16;
    let bit = |b: bool, n: u32| u8::from(b) << n;
    let status = bit(!m.mains, 7)
        | bit(m.battery_low(), 6)
        | bit(m.mains && m.avr() != Avr::Off, 5)
        | bit(m.failed, 4)
        | bit(m.line_interactive, 3)
        | bit(m.testing, 2)
        | bit(m.shutdown_in.is_some(), 1)
        | bit(m.beeper, 0);
    let freq = if m.mains { m.frequency } else { 0.0 };
    let f = ((freq * 20000.0).round() as u32).min(0xFF_FFFF);
    let battery = ((m.battery_voltage() * 2.0).round() as u32).min(255) as u8;
    let mut groups: Vec<Vec<u8>> = vec![
        volts(m.input_voltage()).to_be_bytes().to_vec(),
        vec![0x33],
        volts(m.output_voltage()).to_be_bytes().to_vec(),
        vec![0x33],
        vec![m.load.min(255) as u8],
        20000u16.to_be_bytes().to_vec(),
        f.to_be_bytes()[1..].to_vec(),
        vec![0xFF],
        vec![battery],
        vec![status],
    ];
    if m.settings.get("qshex.protocol").map(String::as_str) == Some("T") {
        let hz = u8::from(m.nominal_frequency >= 55.0) << 7;
        let batt = match m.battery_nominal as u32 {
            12 => 0,
            24 => 1,
            36 => 2,
            _ => 3,
        } << 5;
        let volt = match m.nominal_voltage as u32 {
            110 => 0,
            120 => 1,
            220 => 2,
            230 => 3,
            _ => 4,
        };
        groups.push(vec![hz | batt | volt]);
    }
    let mut out = vec![b'#'];
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        escaped(&mut out, g);
    }
    out.push(b'\r');
    out
}

/// The device's answer to one command (without its `\r`); `None`: silence.
pub fn respond(m: &mut UpsModel, cmd: &str) -> Option<Vec<u8>> {
    match cmd {
        "M" => {
            let p = m.settings.get("qshex.protocol").map_or("P", String::as_str);
            Some(format!("{p}\r").into_bytes())
        }
        "QS" => Some(status_line(m)),
        _ if control(m, cmd) => None,
        _ => Some(b"N\r".to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qx::voltronic_qs_hex::unhex;

    #[test]
    fn binary_status_reads_back() {
        let mut m = UpsModel::new();
        let text = String::from_utf8(unhex(status_line(&m)).unwrap()).unwrap();
        assert_eq!(text, "#e600 33 e600 33 0e 4e20 0f4240 ff 34 00001001\r");
        m.settings.insert("qshex.protocol".into(), "T".into());
        let text = String::from_utf8(unhex(status_line(&m)).unwrap()).unwrap();
        assert!(text.ends_with(" 00100011\r"), "{text}");
        assert_eq!(respond(&mut m, "M"), Some(b"T\r".to_vec()));
        assert_eq!(respond(&mut m, "Q1"), Some(b"N\r".to_vec()));
        assert_eq!(respond(&mut m, "T"), None);
        m.line_voltage = 13.0 / 256.0;
        // A byte that needs escaping (CR) still reads back.
        assert!(unhex(status_line(&m)).is_ok());
    }
}
