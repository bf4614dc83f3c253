//! Building `ups.status` and `ups.alarm` the way every C driver does (`status_init`,
//! `status_set`, `status_commit`, `alarm_set`, `alarm_commit`).
//!
//! A driver collects the status words and alarm messages of one poll in a
//! [`StatusBuilder`], then [`commit`](StatusBuilder::commit)s them into its
//! [`DeviceState`]:
//!
//! - `ups.alarm` holds the alarm messages joined by spaces, and is deleted when there is none;
//! - `ups.status` holds the words in the order given, with `ALARM` first while an alarm is set
//!   (an `ALARM` word the driver gives itself is kept as it is);
//! - with the `ignorelb` flag (`driver.flag.ignorelb` in the state) the device's own `LB` is
//!   dropped, and `LB` is added when `battery.charge` is below `battery.charge.low` or
//!   `battery.runtime` below `battery.runtime.low`.
//!
//! As everywhere in [`DeviceState`], committing what is already there sends nothing.
//!
//! ```
//! use nut_driver_api::state::DeviceState;
//! use nut_driver_api::status::StatusBuilder;
//!
//! let mut state = DeviceState::new();
//! let mut status = StatusBuilder::new();
//! status.set("OB");
//! status.set("DISCHRG");
//! status.alarm("Replace battery!");
//! status.commit(&mut state);
//! assert_eq!(state.value("ups.status"), Some("ALARM OB DISCHRG"));
//! assert_eq!(state.value("ups.alarm"), Some("Replace battery!"));
//!
//! let mut status = StatusBuilder::new();
//! status.set("OL");
//! status.commit(&mut state);
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! assert_eq!(state.value("ups.alarm"), None);
//! ```

use nut_proto::status::{Alarms, Status, StatusWord};

use crate::state::DeviceState;

/// The name of the status variable.
pub const STATUS_VAR: &str = "ups.status";
/// The name of the alarm variable.
pub const ALARM_VAR: &str = "ups.alarm";
/// The state variable that says the `ignorelb` flag is set.
pub const IGNORELB_FLAG_VAR: &str = "driver.flag.ignorelb";

/// The status words and alarms of one poll. See the [module documentation](self).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusBuilder {
    words: Status,
    alarms: Alarms,
}

impl StatusBuilder {
    /// No word and no alarm (C's `status_init` + `alarm_init`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds status words (C's `status_set`): `text` may hold several words separated by
    /// spaces; each is added in order, duplicates included.
    pub fn set(&mut self, text: &str) {
        for word in text.split_ascii_whitespace() {
            self.words.push(StatusWord::parse(word));
        }
    }

    /// Removes every status word, keeping the alarms.
    pub fn clear_words(&mut self) {
        self.words = Status::new();
    }

    /// Adds an alarm message (C's `alarm_set`). Empty messages are ignored.
    pub fn alarm(&mut self, message: &str) {
        self.alarms.push(message);
    }

    /// Removes every alarm message, keeping the words.
    pub fn clear_alarms(&mut self) {
        self.alarms = Alarms::new();
    }

    /// The words collected so far.
    pub fn words(&self) -> &Status {
        &self.words
    }

    /// The alarms collected so far.
    pub fn alarms(&self) -> &Alarms {
        &self.alarms
    }

    /// The `ups.status` value this builder writes into `state` (which supplies the
    /// `ignorelb` flag and the battery values it needs).
    pub fn status_value(&self, state: &DeviceState) -> String {
        let mut words = self.words.clone();
        if state.get(IGNORELB_FLAG_VAR).is_some() {
            while words.remove(&StatusWord::Lb) {}
            if below(state, "battery.charge", "battery.charge.low")
                || below(state, "battery.runtime", "battery.runtime.low")
            {
                words.push(StatusWord::Lb);
            }
        }
        if self.alarms.is_active() {
            self.alarms.apply_to(&mut words);
        }
        words.to_string()
    }

    /// Writes `ups.alarm` (or deletes it) and then `ups.status` into `state` (C's
    /// `alarm_commit` followed by `status_commit`). Returns whether anything changed.
    pub fn commit(&self, state: &mut DeviceState) -> bool {
        let mut changed = self.commit_alarm(state);
        changed |= self.commit_status(state);
        changed
    }

    /// Writes `ups.status` only (C's `status_commit`). Returns whether it changed.
    pub fn commit_status(&self, state: &mut DeviceState) -> bool {
        let value = self.status_value(state);
        // Status words are made of name characters, so the value is always valid.
        state.set(STATUS_VAR, &value).unwrap_or(false)
    }

    /// Writes `ups.alarm`, or deletes it when there is no alarm (C's `alarm_commit`).
    /// Returns whether it changed.
    pub fn commit_alarm(&self, state: &mut DeviceState) -> bool {
        match self.alarms.value() {
            Some(text) => {
                let text = nut_proto::names::Value::lossy(&text);
                state.set(ALARM_VAR, text.as_str()).unwrap_or(false)
            }
            None => state.delete(ALARM_VAR),
        }
    }
}

/// Whether the number in `var` is below the one in `low`, both read as C's `strtol` does;
/// false when either is missing.
fn below(state: &DeviceState, var: &str, low: &str) -> bool {
    match (state.value(var), state.value(low)) {
        (Some(v), Some(l)) => c_strtol(v) < c_strtol(l),
        _ => false,
    }
}

/// The leading decimal integer of `text` (after spaces, with an optional sign), 0 when there
/// is none: what C's `strtol(text, NULL, 10)` returns.
pub fn c_strtol(text: &str) -> i64 {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_order_and_commit_sends_only_changes() {
        let mut state = DeviceState::new();
        let mut b = StatusBuilder::new();
        b.set("OL CHRG");
        b.set("OL");
        assert!(b.commit(&mut state));
        assert_eq!(state.value(STATUS_VAR), Some("OL CHRG OL"));
        state.take_changes();
        assert!(!b.commit(&mut state));
        assert!(!state.has_changes());
        b.clear_words();
        assert!(b.commit(&mut state));
        assert_eq!(state.value(STATUS_VAR), Some(""));
    }

    #[test]
    fn ignorelb_uses_the_battery_values() {
        let mut state = DeviceState::new();
        state.set(IGNORELB_FLAG_VAR, "enabled").unwrap();
        state.set("battery.charge", "50").unwrap();
        state.set("battery.charge.low", "20").unwrap();
        let mut b = StatusBuilder::new();
        b.set("OB LB");
        assert_eq!(b.status_value(&state), "OB");
        state.set("battery.charge", "19.5").unwrap();
        assert_eq!(b.status_value(&state), "OB LB");
        state.set("battery.charge", "90").unwrap();
        state.set("battery.runtime", "100").unwrap();
        state.set("battery.runtime.low", "120").unwrap();
        assert_eq!(b.status_value(&state), "OB LB");
    }

    #[test]
    fn alarms_come_and_go() {
        let mut state = DeviceState::new();
        let mut b = StatusBuilder::new();
        b.set("OL");
        b.alarm("Fan failure");
        b.alarm("Overheat");
        b.commit(&mut state);
        assert_eq!(state.value(STATUS_VAR), Some("ALARM OL"));
        assert_eq!(state.value(ALARM_VAR), Some("Fan failure Overheat"));
        b.clear_alarms();
        b.commit(&mut state);
        assert_eq!(state.value(STATUS_VAR), Some("OL"));
        assert!(state.get(ALARM_VAR).is_none());
        let mut given = StatusBuilder::new();
        given.set("ALARM OL");
        assert_eq!(given.status_value(&state), "ALARM OL");
        given.alarm("x");
        assert_eq!(given.status_value(&state), "ALARM OL");
    }

    #[test]
    fn strtol_reads_like_c() {
        assert_eq!(c_strtol(" 42abc"), 42);
        assert_eq!(c_strtol("-7"), -7);
        assert_eq!(c_strtol("x"), 0);
        assert_eq!(c_strtol("+3.9"), 3);
    }
}
