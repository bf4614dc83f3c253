//! The Megatec Q1 family as a device speaks it: `Q1` (or `D`, `QS`) status lines, `F`
//! ratings, `I` (or `FW?`) identification, and the `Q`, `S…`, `C`, `T…`, `CT` commands.
//! Commands a dialect does not know are echoed back, as many real units do.

use super::model::{Avr, UpsModel};

/// Which Q1 dialect the simulated device speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Q1Dialect {
    /// `Q1`, `F`, `I`.
    Megatec,
    /// `D`, `F`, `I`.
    MegatecOld,
    /// `QS`, `F`, `I`.
    Mustek,
    /// `Q1`, `F`, `FW?`.
    Zinto,
    /// `Q1` only.
    Q1,
    /// BestUPS: `Q1`, `ID`, `M`, `RT`, `BP?`, `SS?` (see [`super::bestups`]).
    Bestups,
    /// Mecer: `Q1`, `F`, `I`, `QPI`, `(ACK`/`(NAK` replies (see [`super::mecer`]).
    Mecer,
    /// Voltronic-QS: `M` answers `V`, `QS`, `F` (see [`super::voltronic_qs`]).
    VoltronicQs,
    /// Voltronic-QS-Hex: `M` answers `P` (or `T`), `QS` a binary line (see
    /// [`super::voltronic_qs_hex`]).
    VoltronicQsHex,
    /// Ablerex: Megatec's queries plus binary `Q5`, `At`, `TR` (see [`super::ablerex`]).
    Ablerex,
    /// Masterguard A/E series: `WH`, `Q3`, addressed `GS,XX`, … (see
    /// [`super::masterguard`]).
    Masterguard,
}

impl Q1Dialect {
    /// Every dialect.
    pub const ALL: [Self; 11] = [
        Self::Megatec,
        Self::MegatecOld,
        Self::Mustek,
        Self::Zinto,
        Self::Q1,
        Self::Bestups,
        Self::Mecer,
        Self::VoltronicQs,
        Self::VoltronicQsHex,
        Self::Ablerex,
        Self::Masterguard,
    ];

    /// The dialect for a name (`megatec`, `megatec/old`, `mustek`, `zinto`, `q1`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name))
    }

    /// The name as nutdrv_qx's `protocol` option spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Megatec => "megatec",
            Self::MegatecOld => "megatec/old",
            Self::Mustek => "mustek",
            Self::Zinto => "zinto",
            Self::Q1 => "q1",
            Self::Bestups => "bestups",
            Self::Mecer => "mecer",
            Self::VoltronicQs => "voltronic-qs",
            Self::VoltronicQsHex => "voltronic-qs-hex",
            Self::Ablerex => "ablerex",
            Self::Masterguard => "masterguard",
        }
    }

    fn status_command(self) -> &'static str {
        match self {
            Self::MegatecOld => "D",
            Self::Mustek => "QS",
            _ => "Q1",
        }
    }

    fn ident_command(self) -> Option<&'static str> {
        match self {
            Self::Zinto => Some("FW?"),
            Self::Q1 => None,
            _ => Some("I"),
        }
    }
}

/// Prints `x` with `decimals` decimals in exactly `width` characters (zero-padded on the
/// left, cut on the right), as the fixed columns need.
fn fixed(x: f64, width: usize, decimals: usize) -> String {
    let mut s = format!("{:0width$.decimals$}", x.max(0.0));
    s.truncate(width);
    s
}

fn text(s: &str, width: usize) -> String {
    let mut t: String = s.chars().filter(char::is_ascii).take(width).collect();
    while t.len() < width {
        t.push(' ');
    }
    t
}

/// The status line (`(226.0 195.0 226.0 014 49.0 27.5 30.0 00001000\r`).
pub fn status_line(m: &UpsModel) -> String {
    let bit = |b: bool| if b { '1' } else { '0' };
    // Per-cell voltage for batteries reported as 2.xx V in 4 columns when it does not fit.
    let bv = m.battery_voltage();
    let battery = if bv >= 100.0 {
        fixed(bv, 4, 0)
    } else {
        fixed(bv, 4, 1)
    };
    format!(
        "({} {} {} {:03} {} {} {} {}{}{}{}{}{}{}{}\r",
        fixed(m.input_voltage(), 5, 1),
        fixed(m.input_voltage(), 5, 1),
        fixed(m.output_voltage(), 5, 1),
        m.load.min(999),
        fixed(if m.mains { m.frequency } else { 0.0 }, 4, 1),
        battery,
        fixed(m.temperature, 4, 1),
        bit(!m.mains),
        bit(m.battery_low()),
        bit(m.mains && m.avr() != Avr::Off),
        bit(m.failed),
        bit(m.line_interactive),
        bit(m.testing),
        bit(m.shutdown_in.is_some()),
        bit(m.beeper),
    )
}

/// The ratings line (`#230.0 008 024.0 50.0\r`).
pub fn ratings_line(m: &UpsModel) -> String {
    format!(
        "#{} {:03} {} {}\r",
        fixed(m.nominal_voltage, 5, 1),
        m.nominal_current.min(999),
        fixed(m.battery_nominal, 5, 1),
        fixed(m.nominal_frequency, 4, 1),
    )
}

/// The identification line (`#NUT-RS          SIM-1000   VER1.0    \r`).
pub fn ident_line(m: &UpsModel) -> String {
    format!(
        "#{} {} {}\r",
        text(&m.ident.0, 15),
        text(&m.ident.1, 10),
        text(&m.ident.2, 10)
    )
}

/// Parses `S<n>[R<m>]`: minutes (`.2`..`.9` or `01`..`10`) and restart minutes.
fn parse_shutdown(arg: &str) -> Option<(f64, Option<u32>)> {
    let (off, on) = match arg.split_once('R') {
        Some((o, r)) => (o, Some(r.parse::<u32>().ok()?)),
        None => (arg, None),
    };
    let minutes = if let Some(tenths) = off.strip_prefix('.') {
        tenths.parse::<u32>().ok()? as f64 / 10.0
    } else {
        off.parse::<u32>().ok()? as f64
    };
    Some((minutes * 60.0, on))
}

/// The device's answer to one command line (without its `\r`): `Some(bytes)` to send,
/// `None` when the device stays silent (commands it carried out).
pub fn respond(m: &mut UpsModel, dialect: Q1Dialect, cmd: &str) -> Option<Vec<u8>> {
    m.received.push(cmd.to_owned());
    match dialect {
        Q1Dialect::Bestups => return super::bestups::respond(m, cmd),
        Q1Dialect::Mecer => return super::mecer::respond(m, cmd),
        Q1Dialect::VoltronicQs => return super::voltronic_qs::respond(m, cmd),
        Q1Dialect::VoltronicQsHex => return super::voltronic_qs_hex::respond(m, cmd),
        Q1Dialect::Ablerex => return super::ablerex::respond(m, cmd),
        Q1Dialect::Masterguard => return super::masterguard::respond(m, cmd),
        _ => {}
    }
    let echo = || Some(format!("{cmd}\r").into_bytes());
    if cmd == dialect.status_command() {
        return Some(status_line(m).into_bytes());
    }
    if cmd == "F" && dialect != Q1Dialect::Q1 {
        return Some(ratings_line(m).into_bytes());
    }
    if Some(cmd) == dialect.ident_command() {
        return Some(ident_line(m).into_bytes());
    }
    if control(m, cmd) {
        None
    } else {
        echo()
    }
}

/// Carries out a Megatec control command (`Q`, `C`, `CT`, `T`, `TL`, `Tnn`, `S…`): false
/// when `cmd` is not one.
pub fn control(m: &mut UpsModel, cmd: &str) -> bool {
    match cmd {
        "Q" => m.beeper = !m.beeper,
        "C" => {
            m.shutdown_in = None;
            if !m.output_on {
                m.output_on = true;
            }
        }
        "CT" => m.testing = false,
        "T" | "TL" => m.testing = true,
        _ if cmd.len() == 3
            && cmd.starts_with('T')
            && cmd[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            m.testing = true;
        }
        _ if cmd.starts_with('S') => match parse_shutdown(&cmd[1..]) {
            Some((secs, restart)) => {
                m.shutdown_in = Some(secs);
                m.restart_after = restart.filter(|&r| r > 0);
            }
            None => return false,
        },
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_fixed_columns() {
        let mut m = UpsModel::new();
        let q1 = status_line(&m);
        assert_eq!(q1, "(230.0 230.0 230.0 014 50.0 26.0 30.0 00001001\r");
        assert_eq!(q1.len(), 47);
        assert_eq!(ratings_line(&m), "#230.0 008 024.0 50.0\r");
        assert_eq!(ratings_line(&m).len(), 22);
        assert_eq!(ident_line(&m).len(), 39);
        m.mains_lost();
        m.low_battery();
        assert_eq!(&status_line(&m)[38..46], "11001001");
        assert_eq!(&status_line(&m)[1..6], "000.0");
    }

    #[test]
    fn commands_change_the_device() {
        let mut m = UpsModel::new();
        let d = Q1Dialect::Megatec;
        assert_eq!(respond(&mut m, d, "Q"), None);
        assert!(!m.beeper);
        assert_eq!(respond(&mut m, d, "S.5R0003"), None);
        assert_eq!(m.shutdown_in, Some(30.0));
        assert_eq!(m.restart_after, Some(3));
        assert_eq!(respond(&mut m, d, "C"), None);
        assert_eq!(m.shutdown_in, None);
        assert_eq!(respond(&mut m, d, "T10"), None);
        assert!(m.testing);
        assert_eq!(respond(&mut m, d, "Sx"), Some(b"Sx\r".to_vec()));
        assert_eq!(respond(&mut m, d, "QPI"), Some(b"QPI\r".to_vec()));
        assert_eq!(respond(&mut m, d, "D"), Some(b"D\r".to_vec()));
        assert!(respond(&mut m, Q1Dialect::MegatecOld, "D")
            .unwrap()
            .starts_with(b"("));
        assert_eq!(respond(&mut m, Q1Dialect::Q1, "I"), Some(b"I\r".to_vec()));
        assert!(respond(&mut m, Q1Dialect::Zinto, "FW?")
            .unwrap()
            .starts_with(b"#"));
        assert_eq!(
            Q1Dialect::from_name("Megatec/Old"),
            Some(Q1Dialect::MegatecOld)
        );
    }
}
