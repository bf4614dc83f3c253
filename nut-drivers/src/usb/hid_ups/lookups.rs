//! The lookup tables and conversions every subdriver shares (the facts of C's
//! usbhid-ups.c: which HID value means which status bit, test result, beeper state, and
//! how dates, temperatures and scaled values are written).

use super::table::{ConvContext, Lookup};

/// Mains present.
pub static ONLINE: [(i64, &str); 2] = [(1, "online"), (0, "!online")];
/// Discharging.
pub static DISCHARGING: [(i64, &str); 2] = [(1, "dischrg"), (0, "!dischrg")];
/// Charging.
pub static CHARGING: [(i64, &str); 2] = [(1, "chrg"), (0, "!chrg")];
/// Battery low.
pub static LOWBATT: [(i64, &str); 2] = [(1, "lowbatt"), (0, "!lowbatt")];
/// Overload.
pub static OVERLOAD: [(i64, &str); 2] = [(1, "overload"), (0, "!overload")];
/// Battery needs replacing.
pub static REPLACEBATT: [(i64, &str); 2] = [(1, "replacebatt"), (0, "!replacebatt")];
/// Trimming a high voltage.
pub static TRIM: [(i64, &str); 2] = [(1, "trim"), (0, "!trim")];
/// Boosting a low voltage.
pub static BOOST: [(i64, &str); 2] = [(1, "boost"), (0, "!boost")];
/// On automatic bypass.
pub static BYPASS_AUTO: [(i64, &str); 2] = [(1, "bypassauto"), (0, "!bypassauto")];
/// On manual bypass.
pub static BYPASS_MANUAL: [(i64, &str); 2] = [(1, "bypassman"), (0, "!bypassman")];
/// Output off: the HID value is "on", so 0 means off.
pub static OFF: [(i64, &str); 2] = [(0, "off"), (1, "!off")];
/// Calibrating.
pub static CALIBRATION: [(i64, &str); 2] = [(1, "cal"), (0, "!cal")];
/// Battery missing: the HID value is "present", so 0 means missing.
pub static NOBATTERY: [(i64, &str); 2] = [(1, "!nobattery"), (0, "nobattery")];
/// Fan failure.
pub static FANFAIL: [(i64, &str); 2] = [(1, "fanfail"), (0, "!fanfail")];
/// Shutdown imminent.
pub static SHUTDOWNIMM: [(i64, &str); 2] = [(1, "shutdownimm"), (0, "!shutdownimm")];
/// Overheat.
pub static OVERHEAT: [(i64, &str); 2] = [(1, "overheat"), (0, "!overheat")];
/// Awaiting power.
pub static AWAITINGPOWER: [(i64, &str); 2] = [(1, "awaitingpower"), (0, "!awaitingpower")];
/// Internal fault.
pub static COMMFAULT: [(i64, &str); 2] = [(1, "commfault"), (0, "!commfault")];
/// Remaining time limit expired.
pub static TIMELIMITEXPIRED: [(i64, &str); 2] = [(1, "timelimitexp"), (0, "!timelimitexp")];
/// Battery voltage too low.
pub static BATTVOLTLO: [(i64, &str); 2] = [(1, "battvoltlo"), (0, "!battvoltlo")];
/// Battery voltage too high.
pub static BATTVOLTHI: [(i64, &str); 2] = [(1, "battvolthi"), (0, "!battvolthi")];
/// Charger failure.
pub static CHARGERFAIL: [(i64, &str); 2] = [(1, "chargerfail"), (0, "!chargerfail")];
/// Battery fully charged.
pub static FULLYCHARGED: [(i64, &str); 2] = [(1, "fullycharged"), (0, "!fullycharged")];
/// Battery depleted.
pub static DEPLETED: [(i64, &str); 2] = [(1, "depleted"), (0, "!depleted")];
/// Input voltage out of range.
pub static VRANGE: [(i64, &str); 2] = [(0, "!vrange"), (1, "vrange")];
/// Input frequency out of range.
pub static FRANGE: [(i64, &str); 2] = [(0, "!frange"), (1, "frange")];

/// The battery test commands' values.
pub static TEST_WRITE: [(i64, &str); 4] = [
    (0, "No test"),
    (1, "Quick test"),
    (2, "Deep test"),
    (3, "Abort test"),
];
/// The battery test results (`ups.test.result`).
pub static TEST_READ: [(i64, &str); 7] = [
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
    (6, "No test initiated"),
    (7, "Test scheduled"),
];
/// The beeper (`ups.beeper.status`).
pub static BEEPER: [(i64, &str); 3] = [(1, "disabled"), (2, "enabled"), (3, "muted")];
/// Yes or no.
pub static YES_NO: [(i64, &str); 2] = [(0, "no"), (1, "yes")];
/// On or off.
pub static ON_OFF: [(i64, &str); 2] = [(0, "off"), (1, "on")];

/// A USB HID date (days in bits 0–4, month in 5–8, years since 1980 above), written
/// `YYYY/MM/DD`; 0 is "not set".
pub fn date_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let v = value as i64;
    if v == 0 {
        return Some("not set".into());
    }
    Some(format!(
        "{:04}/{:02}/{:02}",
        1980 + (v >> 9),
        (v >> 5) & 0x0f,
        v & 0x1f
    ))
}

/// The reverse of [`date_to_nut`] (0 when the date cannot be one).
pub fn date_to_hid(text: &str) -> Option<f64> {
    let (y, m, d) = scan_date(text);
    if y - 1980 > 127 || m > 12 || d > 31 {
        return Some(0.0);
    }
    Some((((y - 1980) << 9) + (m << 5) + d) as f64)
}

/// Reads `YYYY/MM/DD` the way `sscanf("%04ld/%02ld/%02ld")` does: fields that are missing
/// stay 0.
pub fn scan_date(text: &str) -> (i64, i64, i64) {
    let mut parts = [0i64; 3];
    let widths = [4usize, 2, 2];
    let mut rest = text.trim_start();
    for (i, width) in widths.iter().enumerate() {
        let digits: String = rest
            .chars()
            .enumerate()
            .take_while(|(n, c)| *n < *width && (c.is_ascii_digit() || (*n == 0 && *c == '-')))
            .map(|(_, c)| c)
            .collect();
        let Ok(v) = digits.parse::<i64>() else {
            break;
        };
        parts[i] = v;
        rest = &rest[digits.len()..];
        match rest.strip_prefix('/') {
            Some(r) => rest = r,
            None => break,
        }
    }
    (parts[0], parts[1], parts[2])
}

/// The HID date conversion.
pub const DATE: Lookup = Lookup::Fun {
    to_nut: date_to_nut,
    to_hid: Some(date_to_hid),
};

/// Eight hex digits.
pub fn hex_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(format!("{:08x}", value as i64))
}

/// The hex conversion.
pub const HEX: Lookup = Lookup::Fun {
    to_nut: hex_to_nut,
    to_hid: None,
};

/// A value in tenths.
pub fn divide_by_10_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(format!("{:.1}", value * 0.1))
}

/// The tenths conversion.
pub const DIVIDE_BY_10: Lookup = Lookup::Fun {
    to_nut: divide_by_10_to_nut,
    to_hid: None,
};

/// Kelvin to Celsius, unless the value is already in Celsius (outside 273–373).
pub fn kelvin_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    if (273.0..=373.0).contains(&value) {
        Some(format!("{:.1}", value - 273.15))
    } else {
        Some(format!("{value:.1}"))
    }
}

/// The temperature conversion.
pub const KELVIN_CELSIUS: Lookup = Lookup::Fun {
    to_nut: kelvin_to_nut,
    to_hid: None,
};

/// The string descriptor conversion.
pub const STRING_ID: Lookup = Lookup::StringIndex;

/// The variable of table lines that only refine `ups.model` from what the device reports
/// (C's `format_model` functions that read reports); their conversions write `ups.model`
/// and return `None`, so this name itself is never published.
pub const MODEL_LINE: &str = "ups.model.refined";

/// `text` as a C buffer of `size` bytes keeps it (`snprintf` writes at most `size - 1`
/// characters), for conversions whose C version prints into a small static buffer.
pub fn c_buffer(mut text: String, size: usize) -> String {
    let mut keep = size.saturating_sub(1).min(text.len());
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    text.truncate(keep);
    text
}

/// The number at the start of `text`, as C's `strtod` reads it (0 when there is none).
pub fn c_strtod(text: &str) -> f64 {
    let t = text.trim_start();
    let mut end = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    for (i, c) in t.char_indices() {
        match c {
            '+' | '-' if i == 0 => {}
            '.' if !seen_dot => seen_dot = true,
            d if d.is_ascii_digit() => seen_digit = true,
            _ => break,
        }
        end = i + c.len_utf8();
    }
    if !seen_digit {
        return 0.0;
    }
    t[..end].parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn ctx_run(f: super::super::table::ToNut, v: f64) -> Option<String> {
        let mut state = nut_driver_api::DeviceState::new();
        let mut scratch = HashMap::new();
        let mut ctx = ConvContext {
            state: &mut state,
            scratch: &mut scratch,
        };
        f(&mut ctx, v)
    }

    #[test]
    fn dates() {
        // 2004/07/03 as in the recorded Back-UPS 500.
        let v = ((2004 - 1980) << 9) + (7 << 5) + 3;
        assert_eq!(ctx_run(date_to_nut, v as f64).unwrap(), "2004/07/03");
        assert_eq!(date_to_hid("2004/07/03"), Some(v as f64));
        assert_eq!(ctx_run(date_to_nut, 0.0).unwrap(), "not set");
        assert_eq!(date_to_hid("2200/01/01"), Some(0.0));
    }

    #[test]
    fn c_helpers() {
        assert_eq!(c_buffer("123456789".into(), 8), "1234567");
        assert_eq!(c_buffer("13.5".into(), 8), "13.5");
        assert_eq!(c_strtod(" 12.5V"), 12.5);
        assert_eq!(c_strtod("24"), 24.0);
        assert_eq!(c_strtod("-3."), -3.0);
        assert_eq!(c_strtod("x"), 0.0);
        assert_eq!(c_strtod(""), 0.0);
    }

    #[test]
    fn temperatures() {
        assert_eq!(ctx_run(kelvin_to_nut, 300.0).unwrap(), "26.9");
        assert_eq!(ctx_run(kelvin_to_nut, 25.0).unwrap(), "25.0");
    }
}
