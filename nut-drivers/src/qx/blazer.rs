//! The Megatec family (C's "blazer" common code): the `Q1`-style status line with its eight
//! status bits, the `F` ratings line, the `I` identification line, the `S`/`C`/`T`
//! commands, and the driver-side delays.
//!
//! megatec, megatec/old, mustek, zinto and the plain Q1 fallback differ only in the status
//! command (`Q1`, `D`, `QS`), the identification command (`I`, `FW?`, none), and whether
//! the identification must answer for the device to be claimed; [`table`] builds each.

use super::item::{Item, Process, ReplyError, ABSENT, QUICK_POLL, RANGE, SETVAR, STATIC, TRIM};

/// Default of `ondelay` / `ups.delay.start`, seconds.
pub const DEFAULT_ONDELAY: &str = "180";
/// Default of `offdelay` / `ups.delay.shutdown`, seconds.
pub const DEFAULT_OFFDELAY: &str = "30";

/// The allowed range of `ups.delay.start`.
pub const ONDELAY_RANGE: &[&str] = &["0", "599940"];
/// The allowed range of `ups.delay.shutdown`.
pub const OFFDELAY_RANGE: &[&str] = &["12", "600"];

/// The table of a Megatec-family dialect: `status` is the status command (`"Q1\r"`),
/// `ratings` whether `F` is asked, `vendor` the identification command (`"I\r"`) if any.
pub fn table(status: &'static str, ratings: bool, vendor: Option<&'static str>) -> Vec<Item> {
    let s = status;
    let bit = |var: &'static str, col: usize, flags: u32, format: &'static str| {
        Item::value(var, s, 47, b'(', col, col, format, flags).with(Process::StatusBit)
    };
    let mut t = vec![
        Item::value("input.voltage", s, 47, b'(', 1, 5, "%.1f", 0),
        Item::value("input.voltage.fault", s, 47, b'(', 7, 11, "%.1f", 0),
        Item::value("output.voltage", s, 47, b'(', 13, 17, "%.1f", 0),
        Item::value("ups.load", s, 47, b'(', 19, 21, "%.0f", 0),
        Item::value("input.frequency", s, 47, b'(', 23, 26, "%.1f", 0),
        Item::value("battery.voltage", s, 47, b'(', 28, 31, "%.2f", 0),
        Item::value("ups.temperature", s, 47, b'(', 33, 36, "%.1f", 0),
        bit("ups.status", 38, QUICK_POLL, ""),
        bit("ups.status", 39, QUICK_POLL, ""),
        bit("ups.status", 40, QUICK_POLL, ""),
        bit("ups.alarm", 41, 0, ""),
        bit("ups.type", 42, STATIC, "%s"),
        bit("ups.status", 43, QUICK_POLL, ""),
        bit("ups.status", 44, QUICK_POLL, ""),
        bit("ups.beeper.status", 45, 0, "%s"),
    ];
    if ratings {
        t.extend([
            Item::value(
                "input.voltage.nominal",
                "F\r",
                22,
                b'#',
                1,
                5,
                "%.0f",
                STATIC,
            ),
            Item::value(
                "input.current.nominal",
                "F\r",
                22,
                b'#',
                7,
                9,
                "%.1f",
                STATIC,
            ),
            Item::value(
                "battery.voltage.nominal",
                "F\r",
                22,
                b'#',
                11,
                15,
                "%.1f",
                STATIC,
            ),
            Item::value(
                "input.frequency.nominal",
                "F\r",
                22,
                b'#',
                17,
                20,
                "%.0f",
                STATIC,
            ),
        ]);
    }
    if let Some(v) = vendor {
        t.extend([
            Item::value("device.mfr", v, 39, b'#', 1, 15, "%s", STATIC | TRIM),
            Item::value("device.model", v, 39, b'#', 17, 26, "%s", STATIC | TRIM),
            Item::value("ups.firmware", v, 39, b'#', 28, 37, "%s", STATIC | TRIM),
        ]);
    }
    t.extend(commands());
    t
}

/// The instant commands and driver-side variables every Megatec-family dialect has.
pub fn commands() -> Vec<Item> {
    vec![
        Item::cmd("beeper.toggle", "Q\r", Process::Plain),
        Item::cmd("load.off", "S00R0000\r", Process::Plain),
        Item::cmd("load.on", "C\r", Process::Plain),
        Item::cmd("shutdown.return", "S%s\r", Process::DelayCommand),
        Item::cmd("shutdown.stayoff", "S%sR0000\r", Process::DelayCommand),
        Item::cmd("shutdown.stop", "C\r", Process::Plain),
        Item::cmd("test.battery.start", "T%02d\r", Process::DelayCommand),
        Item::cmd("test.battery.start.deep", "TL\r", Process::Plain),
        Item::cmd("test.battery.start.quick", "T\r", Process::Plain),
        Item::cmd("test.battery.stop", "CT\r", Process::Plain),
        delay("ups.delay.start", ONDELAY_RANGE, DEFAULT_ONDELAY),
        delay("ups.delay.shutdown", OFFDELAY_RANGE, DEFAULT_OFFDELAY),
    ]
}

fn delay(var: &'static str, range: &'static [&'static str], default: &'static str) -> Item {
    Item {
        var,
        rw: true,
        allowed: range,
        command: "",
        answer_len: 0,
        leading: 0,
        from: 0,
        to: 0,
        format: default,
        flags: ABSENT | SETVAR | RANGE,
        process: Process::DelaySetvar,
        exchange: None,
    }
}

/// What a status bit means (C's `blazer_process_status_bits`): a status word (`OL`, or
/// `!OL` to clear it), an alarm text, or a value. `None` for a bit that says nothing
/// (`0` in column 40 or 41); an error for anything but one `0`/`1`, and for a
/// bypass/boost/buck bit whose output voltage makes no sense.
pub fn status_bit(
    column: usize,
    value: &str,
    input_v: f64,
    output_v: f64,
) -> Result<Option<&'static str>, ReplyError> {
    let set = match value {
        "1" => true,
        "0" => false,
        _ => return Err(ReplyError::BadStatusBit(value.to_owned())),
    };
    let bad = || Err(ReplyError::BadStatusBit(value.to_owned()));
    Ok(match (column, set) {
        (38, true) => Some("!OL"),
        (38, false) => Some("OL"),
        (39, true) => Some("LB"),
        (39, false) => Some("!LB"),
        (40, true) => {
            if output_v < 0.5 * input_v {
                return bad();
            } else if output_v < 0.95 * input_v {
                Some("TRIM")
            } else if output_v < 1.05 * input_v {
                Some("BYPASS")
            } else if output_v < 1.5 * input_v {
                Some("BOOST")
            } else {
                return bad();
            }
        }
        (40 | 41, false) => None,
        (41, true) => Some("UPS selftest failed!"),
        (42, true) => Some("offline / line interactive"),
        (42, false) => Some("online"),
        (43, true) => Some("CAL"),
        (43, false) => Some("!CAL"),
        (44, true) => Some("FSD"),
        (44, false) => Some("!FSD"),
        (45, true) => Some("enabled"),
        (45, false) => Some("disabled"),
        _ => return bad(),
    })
}

/// Truncates a delay to what the device can do (C's `blazer_process_setvar`): whole minutes
/// for `ups.delay.start`; 6-second steps below a minute, whole minutes above, for
/// `ups.delay.shutdown`. `None` for a negative or missing value.
pub fn truncate_delay(var: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let n = nut_driver_api::status::c_strtol(value);
    if n < 0 {
        return None;
    }
    let n = match var {
        "ups.delay.start" => n - n % 60,
        "ups.delay.shutdown" if n < 60 => n - n % 6,
        "ups.delay.shutdown" => n - n % 60,
        _ => return None,
    };
    Some(n.to_string())
}

/// The command text for the commands that need the delays (C's `blazer_process_command`):
/// `shutdown.return` (`S.5`, `S02R0003`), `shutdown.stayoff` (`S02R0000`) and
/// `test.battery.start` (`T10`, `param` in seconds, 60..=5940, default 600).
pub fn delay_command(
    cmd: &str,
    template: &str,
    offdelay: i64,
    ondelay: i64,
    param: &str,
) -> Option<String> {
    let off = |d: i64| {
        if d < 60 {
            format!(".{}", d / 6)
        } else {
            format!("{:02}", d / 60)
        }
    };
    let arg = match cmd {
        "shutdown.return" => {
            if offdelay < 0 {
                return None;
            }
            let on = ondelay / 60;
            if on <= 0 {
                off(offdelay)
            } else {
                format!("{}R{on:04}", off(offdelay))
            }
        }
        "shutdown.stayoff" => {
            if offdelay < 0 {
                return None;
            }
            off(offdelay)
        }
        "test.battery.start" => {
            let d = if param.is_empty() {
                600
            } else {
                nut_driver_api::status::c_strtol(param)
            };
            if !(60..=5940).contains(&d) {
                return None;
            }
            return Some(template.replace("%02d", &format!("{:02}", d / 60)));
        }
        _ => return None,
    };
    Some(template.replace("%s", &arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bits_mean_what_c_says() {
        assert_eq!(status_bit(38, "1", 230.0, 230.0), Ok(Some("!OL")));
        assert_eq!(status_bit(39, "1", 0.0, 0.0), Ok(Some("LB")));
        assert_eq!(status_bit(40, "1", 230.0, 200.0), Ok(Some("TRIM")));
        assert_eq!(status_bit(40, "1", 230.0, 230.0), Ok(Some("BYPASS")));
        assert_eq!(status_bit(40, "1", 200.0, 230.0), Ok(Some("BOOST")));
        assert_eq!(
            status_bit(40, "1", 230.0, 100.0),
            Err(ReplyError::BadStatusBit("1".into()))
        );
        assert_eq!(
            status_bit(40, "1", 100.0, 230.0),
            Err(ReplyError::BadStatusBit("1".into()))
        );
        assert_eq!(status_bit(40, "0", 230.0, 100.0), Ok(None));
        assert_eq!(status_bit(42, "0", 0.0, 0.0), Ok(Some("online")));
        assert_eq!(
            status_bit(45, "x", 0.0, 0.0),
            Err(ReplyError::BadStatusBit("x".into()))
        );
        assert_eq!(
            status_bit(45, "11", 0.0, 0.0),
            Err(ReplyError::BadStatusBit("11".into()))
        );
    }

    #[test]
    fn delays_and_commands() {
        assert_eq!(
            truncate_delay("ups.delay.start", "185").as_deref(),
            Some("180")
        );
        assert_eq!(
            truncate_delay("ups.delay.shutdown", "59").as_deref(),
            Some("54")
        );
        assert_eq!(
            truncate_delay("ups.delay.shutdown", "125").as_deref(),
            Some("120")
        );
        assert_eq!(truncate_delay("ups.delay.shutdown", "-5"), None);
        assert_eq!(truncate_delay("ups.delay.start", ""), None);
        let r = |off, on| delay_command("shutdown.return", "S%s\r", off, on, "");
        assert_eq!(r(30, 180).as_deref(), Some("S.5R0003\r"));
        assert_eq!(r(120, 180).as_deref(), Some("S02R0003\r"));
        assert_eq!(r(30, 0).as_deref(), Some("S.5\r"));
        assert_eq!(r(-1, 0), None);
        let s = delay_command("shutdown.stayoff", "S%sR0000\r", 600, 0, "");
        assert_eq!(s.as_deref(), Some("S10R0000\r"));
        let t = |p| delay_command("test.battery.start", "T%02d\r", 0, 0, p);
        assert_eq!(t("").as_deref(), Some("T10\r"));
        assert_eq!(t("120").as_deref(), Some("T02\r"));
        assert_eq!(t("30"), None);
        assert_eq!(t("6000"), None);
        assert_eq!(table("Q1\r", true, Some("I\r")).len(), 34);
        assert_eq!(table("Q1\r", false, None).len(), 27);
    }
}
