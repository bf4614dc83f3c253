//! A Voltronic Power "QPI/QGS" UPS (protocol `P01`, or the one in the `protocol`
//! setting) as it answers on its serial line:
//! `QPI`, `QGS` (status with twelve bits), `QRI`/`QMD` (ratings), `QMF`/`QVFW`/`QID`
//! (identification), `QMOD` (working mode), `QWS` (warnings), `QBV` (battery), `QLDL`,
//! `QFLAG` (capabilities), `QHE`/`QFRE` (ECO-mode limits), `QBYV`/`QBYF` (bypass limits),
//! `RE0` (battery low voltage), and by protocol the three-phase `Q3**` (P03, P09, P10),
//! `QPD`/`QPAR` (P09, P10), `QBT`/`QGR` (P31); `(NAK` for what the unit does not have.
//! Commands (tests,
//! shutdowns with delays, beeper, capability flags, limits) are carried out and answered
//! `(ACK`, so that the next poll shows their effect.
//!
//! The settings the device keeps (capability letters, limits) live in
//! [`UpsModel::settings`](super::model::UpsModel::settings), with the defaults of
//! [`DEFAULTS`] until a command changes them.

use super::model::{Avr, UpsModel};

/// The device-side settings and their defaults: enabled and disabled capability letters
/// (a real reply: `(EpashcDbroegfl`), ECO-mode and bypass limits, batteries, firmware.
pub const DEFAULTS: [(&str, &str); 23] = [
    ("protocol", "01"),
    ("battery.type", "01"),
    ("work.range", "00"),
    ("flags.enabled", "pashc"),
    ("flags.disabled", "broegfl"),
    ("eco.volt.high", "242"),
    ("eco.volt.low", "218"),
    ("eco.freq.high", "53.0"),
    ("eco.freq.low", "47.0"),
    ("bypass.volt.max", "264"),
    ("bypass.volt.min", "170"),
    ("bypass.freq.max", "53.0"),
    ("bypass.freq.min", "47.0"),
    ("battery.number", "2"),
    ("battery.packs", "1"),
    ("battery.low", "20"),
    ("firmware", "00322.02"),
    ("serial", "685653211455"),
    ("phase.angle", "000"),
    ("outlet.1", "1"),
    ("outlet.2", "0"),
    ("outlet.3", "1"),
    ("outlet.4", "-"),
];

fn setting(m: &UpsModel, key: &str) -> String {
    m.settings.get(key).cloned().unwrap_or_else(|| {
        DEFAULTS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
            .unwrap_or_default()
    })
}

fn set(m: &mut UpsModel, key: &str, value: impl Into<String>) {
    m.settings.insert(key.to_owned(), value.into());
}

/// Whether capability `letter` is enabled.
pub fn flag_enabled(m: &UpsModel, letter: char) -> bool {
    setting(m, "flags.enabled").contains(letter)
}

fn muted(m: &UpsModel) -> bool {
    m.settings.get("muted").is_some_and(|v| v == "1")
}

/// Whether ECO mode carries the load (capability `e` enabled, mains present, output on).
fn eco_active(m: &UpsModel) -> bool {
    flag_enabled(m, 'e') && m.mains && m.output_on
}

fn output_voltage(m: &UpsModel) -> f64 {
    if eco_active(m) {
        m.line_voltage
    } else {
        m.output_voltage()
    }
}

fn fixed(x: f64, width: usize, decimals: usize) -> String {
    let mut s = format!("{:0width$.decimals$}", x.max(0.0));
    s.truncate(width);
    s
}

fn bit(b: bool) -> char {
    if b {
        '1'
    } else {
        '0'
    }
}

/// The `QGS` status line (76 bytes with its `\r`).
pub fn status_line(m: &UpsModel) -> String {
    let current = f64::from(m.load) * f64::from(m.nominal_current) / 100.0;
    let regulating = m.mains && m.output_on && (m.avr() != Avr::Off || eco_active(m));
    let beeper_off = muted(m) || !m.beeper;
    format!(
        "({} {} {} {} {} {:03} 360.0 ---.- {} ---.- {} {}{}{}{}{}0{}{}{}00\r",
        fixed(m.input_voltage(), 5, 1),
        fixed(if m.mains { m.frequency } else { 0.0 }, 4, 1),
        fixed(output_voltage(m), 5, 1),
        fixed(
            if m.output_on {
                m.nominal_frequency
            } else {
                0.0
            },
            4,
            1
        ),
        fixed(if m.output_on { current } else { 0.0 }, 5, 1),
        if m.output_on { m.load.min(999) } else { 0 },
        fixed(m.battery_voltage(), 5, 1),
        fixed(m.temperature, 5, 1),
        if m.line_interactive { "01" } else { "10" },
        bit(!m.mains),
        bit(m.battery_low()),
        bit(regulating),
        bit(m.failed),
        bit(m.testing),
        bit(m.shutdown_in.is_some()),
        bit(beeper_off),
    )
}

/// The `QMOD` working mode letter.
pub fn mode(m: &UpsModel) -> char {
    if !m.output_on {
        'S'
    } else if m.shutdown_in.is_some() {
        'D'
    } else if m.testing {
        'T'
    } else if !m.mains {
        'B'
    } else if eco_active(m) {
        'E'
    } else {
        'L'
    }
}

/// The `QWS` warnings: low battery (bit 8), overload (bit 9), battery to replace after a
/// failed test (bit 56).
pub fn warnings(m: &UpsModel) -> String {
    let mut bits = ['0'; 64];
    bits[7] = bit(m.battery_low());
    bits[8] = bit(m.load > 100);
    bits[55] = bit(m.failed);
    format!("({}\r", bits.iter().collect::<String>())
}

fn battery_line(m: &UpsModel) -> String {
    let number = c_num(&setting(m, "battery.number"));
    let packs = c_num(&setting(m, "battery.packs"));
    format!(
        "({} {:02} {:02} {:03} {:03}\r",
        fixed(m.battery_voltage(), 5, 1),
        number as u32,
        packs as u32,
        m.charge.round() as u32,
        ((m.runtime() / 60.0) as u32).min(999),
    )
}

fn c_num(s: &str) -> f64 {
    s.trim().parse().unwrap_or(0.0)
}

fn model_line(m: &UpsModel) -> String {
    let name: String = m.ident.1.chars().filter(char::is_ascii).take(15).collect();
    format!(
        "({name:#>15} ###1000 80 1/1 {:03} {:03} {:02} {}\r",
        m.nominal_voltage as u32,
        m.nominal_voltage as u32,
        c_num(&setting(m, "battery.number")) as u32,
        fixed(
            m.battery_nominal / c_num(&setting(m, "battery.number")).max(1.0),
            4,
            1
        ),
    )
}

/// Parses the argument of `S`: `.n` (tenths of a minute) or `nn` minutes, then `Rmmmm`.
fn parse_shutdown(arg: &str) -> Option<(f64, Option<u32>)> {
    let (off, on) = match arg.split_once('R') {
        Some((o, r)) if r.len() == 4 => (o, Some(r.parse::<u32>().ok()?)),
        Some(_) => return None,
        None => (arg, None),
    };
    let minutes = match off.strip_prefix('.') {
        Some(t) if t.len() == 1 => f64::from(t.parse::<u32>().ok()?) / 10.0,
        None if off.len() == 2 => f64::from(off.parse::<u32>().ok()?),
        _ => return None,
    };
    Some((minutes * 60.0, on))
}

/// Moves capability `letter` to the enabled or disabled list; `false` when the device does
/// not have it.
fn set_flag(m: &mut UpsModel, letter: char, enable: bool) -> bool {
    let en = setting(m, "flags.enabled");
    let dis = setting(m, "flags.disabled");
    if !en.contains(letter) && !dis.contains(letter) {
        return false;
    }
    let strip = |s: &str| s.chars().filter(|&c| c != letter).collect::<String>();
    let (mut en, mut dis) = (strip(&en), strip(&dis));
    if enable {
        en.push(letter);
    } else {
        dis.push(letter);
    }
    set(m, "flags.enabled", en);
    set(m, "flags.disabled", dis);
    if letter == 'a' {
        m.beeper = enable;
    }
    true
}

/// Checks a number argument of `digits` characters (with a `.` at `dot`, if any).
fn number_arg(arg: &str, len: usize, dot: Option<usize>) -> Option<String> {
    let ok = arg.len() == len
        && arg.char_indices().all(|(i, c)| {
            if Some(i) == dot {
                c == '.'
            } else {
                c.is_ascii_digit()
            }
        });
    ok.then(|| arg.to_owned())
}

/// The device's answer to one command line (without its `\r`).
pub fn respond(m: &mut UpsModel, cmd: &str) -> Option<Vec<u8>> {
    m.received.push(cmd.to_owned());
    let reply = match cmd {
        "QPI" => format!("(PI{}\r", setting(m, "protocol")),
        "Q3PV" | "Q3OV" | "Q3PC" | "Q3OC" | "Q3LD" | "Q3YV" | "QPD" | "QPAR" | "QBT" | "QGR" => {
            match by_protocol(m, cmd) {
                Some(r) => r,
                None => return Some(nak()),
            }
        }
        "QGS" => status_line(m),
        "QRI" => format!(
            "({} {:03} {} {}\r",
            fixed(m.nominal_voltage, 5, 1),
            m.nominal_current.min(999),
            fixed(m.battery_nominal, 5, 1),
            fixed(m.nominal_frequency, 4, 1)
        ),
        "QMD" => model_line(m),
        "QMF" => format!("(#####{}\r", m.ident.0),
        "QVFW" => format!("(VERFW:{}\r", setting(m, "firmware")),
        "QID" => format!("({}\r", setting(m, "serial")),
        "QMOD" => format!("({}\r", mode(m)),
        "QWS" => warnings(m),
        "QBV" => battery_line(m),
        "QLDL" => format!("({:03} {:03}\r", m.load.min(999), m.load.min(999)),
        "QFLAG" => format!(
            "(E{}D{}\r",
            setting(m, "flags.enabled"),
            setting(m, "flags.disabled")
        ),
        "QHE" => format!(
            "({} {}\r",
            setting(m, "eco.volt.high"),
            setting(m, "eco.volt.low")
        ),
        "QFRE" => format!(
            "({} {}\r",
            setting(m, "eco.freq.high"),
            setting(m, "eco.freq.low")
        ),
        "QBYV" => format!(
            "({} {}\r",
            setting(m, "bypass.volt.max"),
            setting(m, "bypass.volt.min")
        ),
        "QBYF" => format!(
            "({} {}\r",
            setting(m, "bypass.freq.max"),
            setting(m, "bypass.freq.min")
        ),
        "RE0" => format!("#{}\r", setting(m, "battery.low")),
        _ if outlet(m, cmd, "QSKT").is_some() => {
            let (key, state) = outlet(m, cmd, "QSKT")?;
            match m.settings.get(&format!("{key}.delay")) {
                Some(d) if state != "-" => format!("({d}\r"),
                _ => return Some(nak()),
            }
        }
        _ if outlet(m, cmd, "QSK").is_some() => {
            let (_, state) = outlet(m, cmd, "QSK")?;
            if state == "-" {
                return Some(nak());
            }
            format!("({state}\r")
        }
        _ => return Some(if command(m, cmd) { ack() } else { nak() }),
    };
    Some(reply.into_bytes())
}

fn ack() -> Vec<u8> {
    b"(ACK\r".to_vec()
}

fn nak() -> Vec<u8> {
    b"(NAK\r".to_vec()
}

/// The outlet a command `<prefix>n` names, when the device has programmable outlets
/// (capability `j` known): its settings key and state (`1` on, `0` off, `-` not
/// programmable).
fn outlet(m: &UpsModel, cmd: &str, prefix: &str) -> Option<(String, String)> {
    let n = cmd.strip_prefix(prefix)?;
    if !matches!(n, "1" | "2" | "3" | "4") {
        return None;
    }
    let known =
        setting(m, "flags.enabled").contains('j') || setting(m, "flags.disabled").contains('j');
    if !known {
        return None;
    }
    let key = format!("outlet.{n}");
    let state = setting(m, &key);
    Some((key, state))
}

/// The protocol number.
fn protocol(m: &UpsModel) -> u32 {
    setting(m, "protocol").parse().unwrap_or(1)
}

/// The inquiries only some protocols have.
fn by_protocol(m: &UpsModel, cmd: &str) -> Option<String> {
    let p = protocol(m);
    let three = matches!(p, 3 | 9 | 10);
    let v = |x: f64| fixed(x, 5, 1);
    let vi = m.input_voltage();
    let vo = output_voltage(m);
    let amps = f64::from(m.load) * f64::from(m.nominal_current) / 100.0;
    let a = |x: f64| format!("{:03}", x.round() as u32);
    let line = |x: f64| x * 3f64.sqrt();
    Some(match cmd {
        "Q3PV" if three => format!(
            "({} {} {} {} {} {}\r",
            v(vi),
            v(vi),
            v(vi),
            v(line(vi)),
            v(line(vi)),
            v(line(vi))
        ),
        "Q3OV" if three => format!(
            "({} {} {} {} {} {}\r",
            v(vo),
            v(vo),
            v(vo),
            v(line(vo)),
            v(line(vo)),
            v(line(vo))
        ),
        "Q3PC" if three => format!("({} {} {}\r", a(amps), a(amps), a(amps)),
        "Q3OC" if three => format!("({} {} {}\r", a(amps), a(amps), a(amps)),
        "Q3LD" if three => format!("({:03} {:03} {:03}\r", m.load, m.load, m.load),
        "Q3YV" if p == 9 => format!("({} {} {}\r", v(vi), v(vi), v(vi)),
        "Q3YV" if three => format!(
            "({} {} {} {} {} {}\r",
            v(vi),
            v(vi),
            v(vi),
            v(line(vi)),
            v(line(vi)),
            v(line(vi))
        ),
        "QPD" | "QPAR" if matches!(p, 9 | 10) => {
            if cmd == "QPD" {
                format!("(000 {}\r", setting(m, "phase.angle"))
            } else {
                "(001\r".to_owned()
            }
        }
        "QBT" if p == 31 => format!("({}\r", setting(m, "battery.type")),
        "QGR" if p == 31 => format!("({}\r", setting(m, "work.range")),
        _ => return None,
    })
}

/// Carries out a command; `false` when the device refuses it (or does not know it).
fn command(m: &mut UpsModel, cmd: &str) -> bool {
    let p = protocol(m);
    for (prefix, key, ok) in [
        ("PBT", "battery.type", p == 31),
        ("PGR", "work.range", p == 31),
        ("PPD", "phase.angle", matches!(p, 9 | 10)),
    ] {
        if let Some(arg) = cmd.strip_prefix(prefix) {
            let len = if prefix == "PPD" { 3 } else { 2 };
            return match number_arg(arg, len, None) {
                Some(v) if ok => {
                    set(m, key, v);
                    true
                }
                _ => false,
            };
        }
    }
    for (prefix, on) in [("SKON", "1"), ("SKOFF", "0")] {
        if let Some((key, state)) = outlet(m, cmd, prefix) {
            if state == "-" {
                return false;
            }
            set(m, &key, on);
            return true;
        }
    }
    if let Some(rest) = cmd.strip_prefix("PSK") {
        // The outlet number is one character (any character: the command may be garbage).
        let (n, minutes) = rest.split_at(rest.chars().next().map_or(0, char::len_utf8));
        return match (
            outlet(m, &format!("QSK{n}"), "QSK"),
            number_arg(minutes, 3, None),
        ) {
            (Some((key, state)), Some(v)) if state != "-" => {
                set(m, &format!("{key}.delay"), v);
                true
            }
            _ => false,
        };
    }
    let limit =
        |m: &mut UpsModel, key: &str, arg: &str, len: usize, dot: Option<usize>| match number_arg(
            arg, len, dot,
        ) {
            Some(v) => {
                let v = if dot.is_none() {
                    c_num(&v).to_string()
                } else {
                    v
                };
                set(m, key, v);
                true
            }
            None => false,
        };
    match cmd {
        "SOFF" => {
            m.output_on = false;
            m.shutdown_in = None;
            return true;
        }
        "SON" => {
            m.output_on = true;
            return true;
        }
        "CS" => {
            let pending = m.shutdown_in.is_some();
            m.shutdown_in = None;
            return pending;
        }
        "T" | "TL" => {
            m.testing = m.output_on;
            return m.output_on;
        }
        "CT" => {
            let was = m.testing;
            m.testing = false;
            return was;
        }
        "BZOFF" | "BZON" => {
            if !m.beeper {
                return false;
            }
            set(m, "muted", if cmd == "BZOFF" { "1" } else { "0" });
            return true;
        }
        "PF" => {
            if m.output_on {
                return false;
            }
            for k in ["flags.enabled", "flags.disabled"] {
                m.settings.remove(k);
            }
            return true;
        }
        _ => {}
    }
    let limits: [(&str, &str, usize, Option<usize>); 11] = [
        ("HEH", "eco.volt.high", 3, None),
        ("HEL", "eco.volt.low", 3, None),
        ("FREH", "eco.freq.high", 4, Some(2)),
        ("FREL", "eco.freq.low", 4, Some(2)),
        ("PHV", "bypass.volt.max", 3, None),
        ("PLV", "bypass.volt.min", 3, None),
        ("PGF", "bypass.freq.max", 4, Some(2)),
        ("PSF", "bypass.freq.min", 4, Some(2)),
        ("BATGN", "battery.packs", 2, None),
        ("BATN", "battery.number", 1, None),
        ("W0E", "battery.low", 2, None),
    ];
    for (prefix, key, len, dot) in limits {
        if let Some(arg) = cmd.strip_prefix(prefix) {
            return limit(m, key, arg, len, dot);
        }
    }
    if let Some(arg) = cmd.strip_prefix('S') {
        return match parse_shutdown(arg) {
            Some((secs, restart)) => {
                m.shutdown_in = Some(secs);
                m.restart_after = restart.filter(|&r| r > 0);
                true
            }
            None => false,
        };
    }
    if let Some(arg) = cmd.strip_prefix('T') {
        if parse_shutdown(arg).is_some_and(|(_, r)| r.is_none()) && m.output_on {
            m.testing = true;
            return true;
        }
        return false;
    }
    let b = cmd.as_bytes();
    if b.len() == 3 && b[0] == b'P' && (b[1] == b'E' || b[1] == b'D') {
        let letter = char::from(b[2].to_ascii_lowercase());
        return set_flag(m, letter, b[1] == b'E');
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_columns_c_reads() {
        let mut m = UpsModel::new();
        let qgs = status_line(&m);
        assert_eq!(qgs.len(), 76, "{qgs}");
        assert_eq!(&qgs[63..75], "010000000000");
        assert_eq!(&qgs[1..6], "230.0");
        assert_eq!(&qgs[45..50], "026.0");
        assert_eq!(battery_line(&m).len(), 21);
        assert_eq!(model_line(&m).len(), 48, "{}", model_line(&m));
        assert_eq!(warnings(&m).len(), 66);
        m.mains_lost();
        m.low_battery();
        assert_eq!(&status_line(&m)[63..75], "011100000000");
        assert_eq!(mode(&m), 'B');
    }

    #[test]
    fn commands_change_the_device() {
        let mut m = UpsModel::new();
        assert_eq!(respond(&mut m, "S.5R0003"), Some(ack()));
        assert_eq!(m.shutdown_in, Some(30.0));
        assert_eq!(m.restart_after, Some(3));
        assert_eq!(mode(&m), 'D');
        assert_eq!(respond(&mut m, "CS"), Some(ack()));
        assert_eq!(respond(&mut m, "CS"), Some(nak()));
        assert_eq!(respond(&mut m, "T10"), Some(ack()));
        assert!(m.testing);
        assert_eq!(respond(&mut m, "PDS"), Some(ack()));
        assert_eq!(
            respond(&mut m, "QFLAG"),
            Some(b"(EpahcDbroegfls\r".to_vec())
        );
        assert_eq!(respond(&mut m, "PEZ"), Some(nak()));
        assert_eq!(respond(&mut m, "HEH245"), Some(ack()));
        assert_eq!(respond(&mut m, "QHE"), Some(b"(245 218\r".to_vec()));
        assert_eq!(respond(&mut m, "FREL46.0"), Some(ack()));
        assert_eq!(respond(&mut m, "QFRE"), Some(b"(53.0 46.0\r".to_vec()));
        assert_eq!(respond(&mut m, "QPD"), Some(nak()));
        assert_eq!(respond(&mut m, "Q1"), Some(nak()));
        assert_eq!(respond(&mut m, "QSK1"), Some(nak()));
        assert_eq!(respond(&mut m, "PEJ"), Some(nak()));
        set(&mut m, "flags.disabled", "j");
        assert_eq!(respond(&mut m, "QSK1"), Some(b"(1\r".to_vec()));
        assert_eq!(respond(&mut m, "QSKT1"), Some(nak()));
        assert_eq!(respond(&mut m, "PSK1008"), Some(ack()));
        assert_eq!(respond(&mut m, "QSKT1"), Some(b"(008\r".to_vec()));
        // A multi-byte character where the outlet number goes (found by fuzz target qx_reply).
        assert_eq!(respond(&mut m, "PSK\u{fffd}\u{fffd}"), Some(nak()));
        assert_eq!(respond(&mut m, "SKOFF1"), Some(ack()));
        assert_eq!(respond(&mut m, "QSK1"), Some(b"(0\r".to_vec()));
        assert_eq!(respond(&mut m, "SKON4"), Some(nak()));
        assert_eq!(respond(&mut m, "QSK4"), Some(nak()));
        assert_eq!(respond(&mut m, "BZOFF"), Some(ack()));
        assert_eq!(&status_line(&m)[72..73], "1");
        assert_eq!(respond(&mut m, "PF"), Some(nak()));
        assert_eq!(respond(&mut m, "SOFF"), Some(ack()));
        assert_eq!(mode(&m), 'S');
        assert_eq!(respond(&mut m, "PF"), Some(ack()));
        assert!(flag_enabled(&m, 's'));
    }
}
