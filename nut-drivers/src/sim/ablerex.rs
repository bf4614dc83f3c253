//! An Ablerex device: a Megatec one (`Q1`, `F`, `I`, control commands) that also answers
//! the binary `Q5` (output frequency, battery voltages as per-mille of nominal per cell
//! block, fault code, output current), `At` (runtime, seconds) and `TR` (test result).
//! Bytes that would end the line early (CR) are sent as the next value up.

use super::model::UpsModel;
use super::q1::{control, ident_line, ratings_line, status_line};

fn word(v: f64) -> [u8; 2] {
    ((v.round().clamp(0.0, 65535.0)) as u16).to_be_bytes()
}

fn line(mut bytes: Vec<u8>) -> Vec<u8> {
    for b in bytes.iter_mut().skip(1) {
        if *b == b'\r' {
            *b += 1;
        }
    }
    bytes.push(b'\r');
    bytes
}

/// The binary `Q5` reply.
pub fn q5(m: &UpsModel) -> Vec<u8> {
    let per_mille = |v: f64| v * 1200.0 / m.battery_nominal.max(1.0);
    let freq = if m.mains { m.frequency * 10.0 } else { 0.0 };
    let mut b = vec![b'('];
    b.extend(word(freq));
    b.extend([0x01, 0x02, 0x03, 0x04]);
    b.extend(word(per_mille(m.battery_voltage())));
    b.extend(word(per_mille(104.0 * m.battery_nominal / 120.0)));
    b.extend(word(f64::from(m.load) * 10.0));
    b.extend(word(if m.failed { 1.0 } else { 0.0 }));
    b.extend(word(f64::from(m.load) / 2.0));
    b.extend([0x00; 4]);
    line(b)
}

/// The device's answer to one command (without its `\r`); `None`: silence.
pub fn respond(m: &mut UpsModel, cmd: &str) -> Option<Vec<u8>> {
    let reply = match cmd {
        "Q1" => status_line(m).into_bytes(),
        "F" => ratings_line(m).into_bytes(),
        "I" => ident_line(m).into_bytes(),
        "Q5" => q5(m),
        "At" => {
            let mut b = vec![b'('];
            b.extend((m.runtime().round() as u32).to_be_bytes());
            line(b)
        }
        "TR" => if m.failed { "#FAIL\r" } else { "#PASS\r" }
            .as_bytes()
            .to_vec(),
        _ if control(m, cmd) => return None,
        _ => format!("{cmd}\r").into_bytes(),
    };
    Some(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_replies() {
        let mut m = UpsModel::new();
        let q = q5(&m);
        assert_eq!(q.len(), 22);
        assert_eq!(&q[1..3], &500u16.to_be_bytes());
        assert_eq!(&q[7..9], &1300u16.to_be_bytes());
        assert_eq!(respond(&mut m, "At"), Some(vec![b'(', 0, 0, 0, 200, b'\r']));
        assert_eq!(respond(&mut m, "TR"), Some(b"#PASS\r".to_vec()));
        assert_eq!(respond(&mut m, "S.2"), None);
        assert_eq!(m.shutdown_in, Some(12.0));
    }
}
