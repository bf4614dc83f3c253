//! A BestUPS device (Best Power Fortress, Patriot, Axxium; Sola Australia): the Megatec
//! `Q1` status and control commands, plus `ID` (model and ratings, comma-separated), `M`
//! (voltage settings index), `RT` (runtime, minutes), `BP?`/`BPn` (battery packs) and
//! `SS?`/`SSn` (shutdown mode of pins 1 and 7). Unknown commands are echoed.
//!
//! Settings ([`UpsModel::settings`]): `bestups.model` (the 3-character model code of `ID`,
//! default `FOR`), `bestups.va` (default `750`), `bestups.packs` (default `1`),
//! `bestups.pins` (default `0`).

use super::model::UpsModel;
use super::q1::{control, status_line};

fn setting<'a>(m: &'a UpsModel, key: &str, default: &'a str) -> &'a str {
    m.settings.get(key).map(String::as_str).unwrap_or(default)
}

/// The `ID` line (`FOR,750,230,230,20.8,26.0\r`).
pub fn id_line(m: &UpsModel) -> String {
    let low = 104.0 * m.battery_nominal / 120.0;
    let high = 130.0 * m.battery_nominal / 120.0;
    format!(
        "{},{},{:.0},{:.0},{low:.1},{high:.1}\r",
        setting(m, "bestups.model", "FOR"),
        setting(m, "bestups.va", "750"),
        m.nominal_voltage,
        m.nominal_voltage
    )
}

/// The `M` index whose nominal voltage is the model's (0: 120 V, 4: 230 V).
fn voltage_index(m: &UpsModel) -> u32 {
    match m.nominal_voltage as u32 {
        110 => 4,
        128 => 8,
        240 => 0,
        208 => 8,
        v if v > 160 => 4,
        _ => 0,
    }
}

/// The device's answer to one command (without its `\r`); `None`: silence.
pub fn respond(m: &mut UpsModel, cmd: &str) -> Option<Vec<u8>> {
    let reply = match cmd {
        "Q1" => {
            let mut line = status_line(m).into_bytes();
            // Patriot Pro units report the bypass/boost/buck bit inverted.
            if matches!(setting(m, "bestups.model", "FOR"), "PRO" | "PR2") {
                line[40] = if line[40] == b'1' { b'0' } else { b'1' };
            }
            return Some(line);
        }
        "ID" => id_line(m),
        "M" => format!("{}\r", voltage_index(m)),
        "RT" => format!("{:03}\r", ((m.runtime() / 60.0) as u32).min(999)),
        "BP?" => format!("{:0>2}\r", setting(m, "bestups.packs", "1")),
        "SS?" => format!("{}\r", setting(m, "bestups.pins", "0")),
        _ if cmd.len() == 3 && cmd.starts_with("BP") && cmd.as_bytes()[2].is_ascii_digit() => {
            m.settings.insert("bestups.packs".into(), cmd[2..].into());
            return None;
        }
        _ if cmd.len() == 3 && cmd.starts_with("SS") && cmd.as_bytes()[2].is_ascii_digit() => {
            m.settings.insert("bestups.pins".into(), cmd[2..].into());
            return None;
        }
        _ if control(m, cmd) => return None,
        _ => format!("{cmd}\r"),
    };
    Some(reply.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_a_fortress() {
        let mut m = UpsModel::new();
        let r = |m: &mut UpsModel, c: &str| String::from_utf8(respond(m, c).unwrap()).unwrap();
        assert_eq!(r(&mut m, "ID"), "FOR,750,230,230,20.8,26.0\r");
        assert_eq!(r(&mut m, "M"), "4\r");
        assert_eq!(r(&mut m, "RT"), "003\r");
        assert_eq!(respond(&mut m, "BP2"), None);
        assert_eq!(r(&mut m, "BP?"), "02\r");
        assert_eq!(r(&mut m, "F"), "F\r");
        assert_eq!(respond(&mut m, "S.5"), None);
        assert_eq!(m.shutdown_in, Some(30.0));
        m.settings.insert("bestups.model".into(), "PRO".into());
        assert_eq!(&r(&mut m, "Q1")[38..46], "00101011");
    }
}
