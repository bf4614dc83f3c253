//! A Masterguard A or E series unit: `WH` (identification and ratings), `Q3` (status),
//! `MSO`/`PNV`/`PNV=nnn` (output voltages), the commands addressed to one unit of a bus
//! (`GS,XX`, `GBS,XX`, `GSN,XX`, `DRC,XX`, `FLT,XX`, `SS…,XX`, `SRC…,XX`, `FCLR,XX`: `XX`
//! is the unit's 2-digit slave address) and the control commands (`S…`, `C`, `T`, `Tnn`,
//! `TUD`, `CT`, `FOFF`, `FON`). Commands it does not know, and addressed commands for
//! another address, are echoed; commands it carries out get no answer.
//!
//! The `Q3` status bits follow the model: utility fail (no mains), battery low,
//! bypass/boost (forced bypass, or the regulation at work), UPS failed, UPS type (1 for a
//! line-interactive model), test in progress, shutdown active (a shutdown pending), battery
//! end of life (a failed unit) and the test result (in progress, failed, none).
//!
//! Settings ([`UpsModel::settings`]): `masterguard.series` (`A`, the default, or `E`),
//! `masterguard.model` (the model field of `WH`, default `A 1000` for the A series and
//! `E 60` for the E series; `-19` in it makes a rack model), `masterguard.slave` (the
//! address, default `00`), `masterguard.packs` (battery packs, default `1`),
//! `masterguard.voltages` (the output voltages, default `220 230 240`),
//! `masterguard.uptime` (seconds since the last maintenance), `masterguard.bypass` (`1`:
//! bypass forced with `FOFF`).

use super::model::{Avr, UpsModel};
use super::q1::control;

fn setting(m: &UpsModel, key: &str) -> Option<String> {
    m.settings.get(key).cloned()
}

/// The unit's slave address (2 digits).
pub fn slave(m: &UpsModel) -> String {
    setting(m, "masterguard.slave").unwrap_or_else(|| "00".into())
}

/// The model field of `WH` (30 characters).
pub fn model_field(m: &UpsModel) -> String {
    let model = setting(m, "masterguard.model").unwrap_or_else(|| {
        match setting(m, "masterguard.series").as_deref() {
            Some("E") => "E 60".into(),
            _ => "A 1000".into(),
        }
    });
    format!("{:<30.30}", model)
}

fn fixed(x: f64, width: usize, decimals: usize) -> String {
    let mut s = format!("{:0width$.decimals$}", x.max(0.0));
    s.truncate(width);
    s
}

fn cells(m: &UpsModel) -> u32 {
    ((m.battery_nominal / 2.0).round() as u32).max(1)
}

fn packs(m: &UpsModel) -> String {
    setting(m, "masterguard.packs").unwrap_or_else(|| "1".into())
}

fn uptime(m: &UpsModel) -> u64 {
    setting(m, "masterguard.uptime")
        .and_then(|v| v.parse().ok())
        .unwrap_or(161_550_397)
}

fn tttt_hh_mm_ss(secs: u64) -> String {
    format!(
        "{:04}:{:02}:{:02}:{:02}",
        (secs / 86400).min(9999),
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

fn voltages(m: &UpsModel) -> Vec<String> {
    setting(m, "masterguard.voltages")
        .unwrap_or_else(|| "220 230 240".into())
        .split(' ')
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The `WH` line.
pub fn wh_line(m: &UpsModel) -> String {
    let n = cells(m);
    format!(
        "({} 10.06 03.09 {} {} {:03.0} {} {:03} {} 010.00 004.30 008 00 40 {:03.0} {:03.0} {} {}\r",
        slave(m),
        model_field(m),
        packs(m).chars().next().unwrap_or('0'),
        m.nominal_voltage,
        fixed(m.nominal_frequency, 5, 2),
        n,
        fixed(m.battery_nominal / f64::from(n), 5, 2),
        m.nominal_voltage * 0.7,
        m.nominal_voltage * 1.2,
        fixed(m.nominal_frequency - 3.0, 5, 2),
        fixed(m.nominal_frequency + 3.0, 5, 2),
    )
}

/// The `Q3` status line.
pub fn q3_line(m: &UpsModel) -> String {
    let bit = |b: bool| if b { '1' } else { '0' };
    let runtime = m.runtime().round() as u64;
    let bypass = setting(m, "masterguard.bypass").as_deref() == Some("1");
    let test = if m.testing {
        "001"
    } else if m.failed {
        "011"
    } else {
        "000"
    };
    format!(
        "({} {} {} {} {:03} {} {} {} {:03}.{:02} {:03} {}{}{}{}{}{}{}0 000{}0{}\r",
        slave(m),
        fixed(m.input_voltage(), 5, 1),
        fixed(m.input_voltage(), 5, 1),
        fixed(m.output_voltage(), 5, 1),
        m.load.min(999),
        fixed(if m.mains { m.frequency } else { 0.0 }, 4, 1),
        fixed(m.battery_voltage() / f64::from(cells(m)), 5, 2),
        fixed(m.temperature, 4, 1),
        (runtime / 60).min(999),
        runtime % 60,
        (m.charge.round() as u32).min(100),
        bit(!m.mains),
        bit(m.battery_low()),
        bit(bypass || (m.mains && m.avr() != Avr::Off)),
        bit(m.failed),
        bit(m.line_interactive),
        bit(m.testing),
        bit(m.shutdown_in.is_some()),
        bit(m.failed),
        test,
    )
}

fn fault_records(m: &UpsModel) -> String {
    let none = "0 0000 0000:00:00:00";
    let first = if m.failed {
        format!("2 0230 {}", tttt_hh_mm_ss(uptime(m)))
    } else {
        none.to_owned()
    };
    format!("{first} {none} {none} {none} {none}")
}

/// `SSaapb`: a new address (`--`: unchanged), battery packs and beeper (`-`: unchanged).
fn set_settings(m: &mut UpsModel, arg: &str) -> bool {
    let b = arg.as_bytes();
    if b.len() != 4 {
        return false;
    }
    let digit_or_dash = |c: u8| c == b'-' || c.is_ascii_digit();
    if !b.iter().all(|&c| digit_or_dash(c)) || (b[0] == b'-') != (b[1] == b'-') {
        return false;
    }
    if b[0] != b'-' {
        m.settings
            .insert("masterguard.slave".into(), arg[..2].to_owned());
    }
    if b[2] != b'-' {
        m.settings
            .insert("masterguard.packs".into(), arg[2..3].to_owned());
    }
    match b[3] {
        b'0' => m.beeper = false,
        b'1' => m.beeper = true,
        b'-' => {}
        _ => return false,
    }
    true
}

/// `TTTT:hh:mm:ss` as seconds.
fn parse_uptime(arg: &str) -> Option<u64> {
    let parts: Vec<u64> = arg
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [t, h, m, s] if *h < 24 && *m < 60 && *s < 60 => Some(t * 86400 + h * 3600 + m * 60 + s),
        _ => None,
    }
}

/// A command addressed to this unit (its `,XX` removed); `None`: not one it carries out.
fn addressed(m: &mut UpsModel, cmd: &str) -> Option<Option<String>> {
    let sa = slave(m);
    let reply = match cmd {
        "GS" => format!(
            "({sa},{sa} {} {}\r",
            packs(m).chars().next().unwrap_or('0'),
            u8::from(m.beeper)
        ),
        "GBS" => format!(
            "({sa},{:03} {:04} 0000 0708 0712 0994 100 {}\r",
            (m.charge.round() as u32).min(100),
            ((m.runtime() / 60.0) as u32).min(9999),
            fixed(m.battery_voltage() / f64::from(cells(m)), 5, 2),
        ),
        "GSN" => format!("({sa},SSN={:<11}{:>5}\r", "6A1212", "2782"),
        "DRC" => format!("({sa},{}\r", tttt_hh_mm_ss(uptime(m))),
        "FLT" => format!("({sa},{}\r", fault_records(m)),
        "FCLR" => {
            m.failed = false;
            return Some(None);
        }
        _ if cmd.starts_with("SS") => {
            return set_settings(m, &cmd[2..]).then_some(None);
        }
        _ if cmd.starts_with("SRC") => {
            let secs = parse_uptime(&cmd[3..])?;
            m.settings
                .insert("masterguard.uptime".into(), secs.to_string());
            return Some(None);
        }
        _ => return None,
    };
    Some(Some(reply))
}

/// The device's answer to one command (without its `\r`); `None`: silence.
pub fn respond(m: &mut UpsModel, cmd: &str) -> Option<Vec<u8>> {
    let echo = || Some(format!("{cmd}\r").into_bytes());
    if let Some((head, address)) = cmd.rsplit_once(',') {
        if address != slave(m) {
            return echo();
        }
        return match addressed(m, head) {
            Some(Some(reply)) => Some(reply.into_bytes()),
            Some(None) => None,
            None => echo(),
        };
    }
    let reply = match cmd {
        "WH" => wh_line(m),
        "Q3" => q3_line(m),
        "MSO" => format!("({}\r", voltages(m).join(" ")),
        "PNV" => format!("(PNV={:03.0}\r", m.nominal_voltage),
        "TUD" => {
            m.testing = true;
            return None;
        }
        "FOFF" | "FON" => {
            let on = if cmd == "FOFF" { "1" } else { "0" };
            m.settings.insert("masterguard.bypass".into(), on.into());
            return None;
        }
        _ if cmd.starts_with("PNV=") => {
            let v = &cmd[4..];
            if !voltages(m).iter().any(|x| x == v) {
                return echo();
            }
            let volts = v.parse::<f64>().ok()?;
            m.nominal_voltage = volts;
            return None;
        }
        _ if control(m, cmd) => return None,
        _ => return echo(),
    };
    Some(reply.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(m: &mut UpsModel, c: &str) -> Option<String> {
        respond(m, c).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn lines_have_the_columns_of_c() {
        let mut m = UpsModel::new();
        let wh = r(&mut m, "WH").unwrap();
        assert_eq!(wh.len(), 113, "{wh:?}");
        assert_eq!(&wh[16..46], format!("{:<30}", "A 1000"));
        assert_eq!(&wh[59..68], "012 02.00");
        let q3 = r(&mut m, "Q3").unwrap();
        assert_eq!(
            q3,
            "(00 230.0 230.0 230.0 014 50.0 02.17 30.0 003.20 100 00001000 00000000\r"
        );
        m.mains_lost();
        m.low_battery();
        m.testing = true;
        m.shutdown_in = Some(30.0);
        assert_eq!(&r(&mut m, "Q3").unwrap()[53..70], "11001110 00000001");
        m.failed = true;
        m.testing = false;
        assert_eq!(&r(&mut m, "Q3").unwrap()[53..70], "11011010 00010011");
        assert_eq!(r(&mut m, "MSO").unwrap(), "(220 230 240\r");
        assert_eq!(r(&mut m, "PNV").unwrap(), "(PNV=230\r");
        assert_eq!(r(&mut m, "GSN,00").unwrap(), "(00,SSN=6A1212      2782\r");
        assert_eq!(r(&mut m, "GBS,00").unwrap().len(), 43);
        assert_eq!(r(&mut m, "DRC,00").unwrap(), "(00,1869:19:06:37\r");
        assert_eq!(r(&mut m, "FLT,00").unwrap().len(), 109);
        m.settings.insert("masterguard.series".into(), "E".into());
        assert_eq!(&r(&mut m, "WH").unwrap()[16..20], "E 60");
    }

    #[test]
    fn commands_change_the_unit() {
        let mut m = UpsModel::new();
        assert_eq!(r(&mut m, "GS,00").unwrap(), "(00,00 1 1\r");
        assert_eq!(r(&mut m, "SS---0,00"), None);
        assert!(!m.beeper);
        assert_eq!(r(&mut m, "SS--2-,00"), None);
        assert_eq!(r(&mut m, "SS05--,00"), None);
        // Another address now.
        assert_eq!(r(&mut m, "GS,00").unwrap(), "GS,00\r");
        assert_eq!(r(&mut m, "GS,05").unwrap(), "(05,05 2 0\r");
        assert_eq!(r(&mut m, "SRC0000:01:00:00,05"), None);
        assert_eq!(r(&mut m, "DRC,05").unwrap(), "(05,0000:01:00:00\r");
        assert_eq!(
            r(&mut m, "SRC0000:01:61:00,05").unwrap(),
            "SRC0000:01:61:00,05\r"
        );
        assert_eq!(r(&mut m, "PNV=240"), None);
        assert_eq!(m.nominal_voltage, 240.0);
        assert_eq!(r(&mut m, "PNV=250").unwrap(), "PNV=250\r");
        assert_eq!(r(&mut m, "S.5R0180"), None);
        assert_eq!(m.shutdown_in, Some(30.0));
        assert_eq!(r(&mut m, "C"), None);
        assert_eq!(m.shutdown_in, None);
        assert_eq!(r(&mut m, "TUD"), None);
        assert!(m.testing);
        assert_eq!(r(&mut m, "CT"), None);
        assert!(!m.testing);
        assert_eq!(r(&mut m, "FOFF"), None);
        assert_eq!(&r(&mut m, "Q3").unwrap()[55..56], "1");
        assert_eq!(r(&mut m, "Q1").unwrap(), "Q1\r");
    }
}
