//! The variables C dummy-ups 2.8.0 knows (its `dummy-ups.h`), with the flags and string
//! lengths it gives them when a file or a SET creates them. Every other variable becomes a
//! writable string of at most [`UNKNOWN_STRING_LEN`] characters.

/// The string length C gives to variables it does not know.
pub const UNKNOWN_STRING_LEN: i64 = 32;

/// How dummy-ups types one known variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownVar {
    /// The variable name.
    pub name: &'static str,
    /// Whether it is a string (then `len` is its maximum length); otherwise only `RW`.
    pub string: bool,
    /// The maximum length of a string.
    pub len: i64,
}

/// `(name, string, len)`; `len` matters only for strings. Non-strings are `RW` only.
const TABLE: &[(&str, bool, i64)] = &[
    ("ups.mfr", true, 32),
    ("ups.model", true, 32),
    ("ups.status", true, 32),
    ("ups.serial", true, 32),
    ("ups.load", false, 0),
    ("ups.alarm", true, 32),
    ("ups.time", true, 16),
    ("ups.date", true, 16),
    ("ups.mfr.date", true, 16),
    ("ups.firmware", true, 16),
    ("ups.firmware.aux", true, 16),
    ("ups.temperature", false, 0),
    ("ups.id", true, 16),
    ("ups.delay.start", false, 0),
    ("ups.delay.reboot", false, 0),
    ("ups.delay.shutdown", false, 0),
    ("ups.test.interval", false, 0),
    ("ups.test.result", true, 16),
    ("input.voltage", false, 0),
    ("input.voltage.maximum", false, 0),
    ("input.voltage.minimum", false, 0),
    ("input.voltage.nominal", false, 0),
    ("input.transfer.reason", true, 1),
    ("input.transfer.low", false, 0),
    ("input.transfer.high", false, 0),
    ("input.sensitivity", true, 1),
    ("input.quality", true, 6),
    ("input.frequency", false, 0),
    ("input.transfer.boost.low", false, 0),
    ("input.transfer.boost.high", false, 0),
    ("input.transfer.trim.low", false, 0),
    ("input.transfer.trim.high", false, 0),
    ("output.voltage", false, 0),
    ("output.frequency", false, 0),
    ("output.current", false, 0),
    ("battery.charge", false, 0),
    ("battery.charge.low", false, 0),
    ("battery.voltage", false, 0),
    ("battery.current", false, 0),
    ("battery.runtime", false, 0),
    ("battery.runtime.low", false, 0),
    ("battery.charge.restart", false, 0),
    ("battery.temperature", false, 0),
    ("battery.voltage.nominal", false, 0),
    ("ambient.temperature", false, 0),
    ("ambient.temperature.alarm", false, 0),
    ("ambient.temperature.high", false, 0),
    ("ambient.temperature.low", false, 0),
    ("ambient.humidity", false, 0),
    ("ambient.humidity.alarm", false, 0),
    ("ambient.humidity.high", false, 0),
    ("ambient.humidity.low", false, 0),
];

/// The variables created before the file is read, with their first values.
pub const INITIAL: [(&str, &str); 3] = [
    ("ups.mfr", "Dummy Manufacturer"),
    ("ups.model", "Dummy UPS"),
    ("ups.status", "OL"),
];

/// How C dummy-ups types `name` (matched ignoring case), if it knows it.
pub fn lookup(name: &str) -> Option<KnownVar> {
    TABLE
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|&(name, string, len)| KnownVar { name, string, len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let serial = lookup("UPS.Serial").unwrap();
        assert!(serial.string);
        assert_eq!(serial.len, 32);
        assert!(!lookup("battery.charge").unwrap().string);
        assert_eq!(lookup("input.quality").unwrap().len, 6);
        assert!(lookup("battery.charge.warning").is_none());
        for (name, _) in INITIAL {
            assert!(lookup(name).unwrap().string);
        }
    }
}
