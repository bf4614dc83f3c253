//! Status bits: the device's boolean reports are collected first (each may arrive in a
//! different report, and several may mean the same NUT word), then interpreted into
//! `ups.status`, `ups.alarm` and `input.transfer.reason`, as C's usbhid-ups does.

use nut_driver_api::status::StatusBuilder;
use nut_driver_api::DeviceState;

/// One collected condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Bit {
    Online = 0,
    Discharging,
    Charging,
    LowBattery,
    Overload,
    ReplaceBattery,
    ShutdownImminent,
    Trim,
    Boost,
    BypassAuto,
    BypassManual,
    Off,
    Calibration,
    Overheat,
    CommFault,
    Depleted,
    TimeLimitExpired,
    FullyCharged,
    AwaitingPower,
    FanFail,
    NoBattery,
    BattVoltLow,
    BattVoltHigh,
    ChargerFail,
    VoltageRange,
    FrequencyRange,
}

const NAMES: [(&str, Bit); 26] = [
    ("online", Bit::Online),
    ("dischrg", Bit::Discharging),
    ("chrg", Bit::Charging),
    ("lowbatt", Bit::LowBattery),
    ("overload", Bit::Overload),
    ("replacebatt", Bit::ReplaceBattery),
    ("shutdownimm", Bit::ShutdownImminent),
    ("trim", Bit::Trim),
    ("boost", Bit::Boost),
    ("bypassauto", Bit::BypassAuto),
    ("bypassman", Bit::BypassManual),
    ("off", Bit::Off),
    ("cal", Bit::Calibration),
    ("overheat", Bit::Overheat),
    ("commfault", Bit::CommFault),
    ("depleted", Bit::Depleted),
    ("timelimitexp", Bit::TimeLimitExpired),
    ("fullycharged", Bit::FullyCharged),
    ("awaitingpower", Bit::AwaitingPower),
    ("fanfail", Bit::FanFail),
    ("nobattery", Bit::NoBattery),
    ("battvoltlo", Bit::BattVoltLow),
    ("battvolthi", Bit::BattVoltHigh),
    ("chargerfail", Bit::ChargerFail),
    ("vrange", Bit::VoltageRange),
    ("frange", Bit::FrequencyRange),
];

/// The collected conditions (C's `ups_status`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusBits(u32);

impl StatusBits {
    /// Whether `bit` is set.
    pub fn has(self, bit: Bit) -> bool {
        self.0 & (1 << bit as u8) != 0
    }

    /// Sets or clears `bit`.
    pub fn put(&mut self, bit: Bit, on: bool) {
        if on {
            self.0 |= 1 << bit as u8;
        } else {
            self.0 &= !(1 << bit as u8);
        }
    }

    /// Applies a lookup result such as `online` or `!online` (C's
    /// `process_boolean_info`); unknown words are ignored. Matching ignores case.
    pub fn apply(&mut self, word: &str) {
        let (word, on) = match word.strip_prefix('!') {
            Some(w) => (w, false),
            None => (word, true),
        };
        if let Some((_, bit)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(word)) {
            self.put(*bit, on);
        } else {
            tracing::trace!("{word} not in the list of known status values");
        }
    }

    /// The alarms these conditions raise, in C's order.
    pub fn alarms(self) -> Vec<&'static str> {
        const ALARMS: [(Bit, &str); 12] = [
            (Bit::ReplaceBattery, "Replace battery!"),
            (Bit::ShutdownImminent, "Shutdown imminent!"),
            (Bit::FanFail, "Fan failure!"),
            (Bit::NoBattery, "No battery installed!"),
            (Bit::BattVoltLow, "Battery voltage too low!"),
            (Bit::BattVoltHigh, "Battery voltage too high!"),
            (Bit::ChargerFail, "Battery charger fail!"),
            (Bit::Overheat, "Temperature too high!"),
            (Bit::CommFault, "Internal UPS fault!"),
            (Bit::AwaitingPower, "Awaiting power!"),
            (Bit::BypassAuto, "Automatic bypass mode!"),
            (Bit::BypassManual, "Manual bypass mode!"),
        ];
        ALARMS
            .iter()
            .filter(|(b, _)| self.has(*b))
            .map(|(_, a)| *a)
            .collect()
    }

    /// Writes `input.transfer.reason` and adds the status words to `status` (C's
    /// `ups_status_set`). `online_discharge` says what OL with DISCHRG means. Returns
    /// whether the device is on line and discharging with nothing to explain it (not
    /// calibrating, no option given): the caller warns about it.
    pub fn words_into(
        self,
        state: &mut DeviceState,
        status: &mut StatusBuilder,
        online_discharge: OnlineDischarge,
    ) -> bool {
        let mut unexplained = false;
        if self.has(Bit::VoltageRange) {
            let _ = state.set("input.transfer.reason", "input voltage out of range");
        } else if self.has(Bit::FrequencyRange) {
            let _ = state.set("input.transfer.reason", "input frequency out of range");
        } else {
            state.delete("input.transfer.reason");
        }
        if !self.has(Bit::Online) {
            status.set("OB");
        } else if self.has(Bit::Discharging) {
            match online_discharge {
                OnlineDischarge::OnBattery => status.set("OB"),
                OnlineDischarge::Calibration => status.set("CAL"),
                OnlineDischarge::Online => {
                    unexplained = !self.has(Bit::Calibration);
                    status.set("OL");
                }
            }
        } else {
            status.set("OL");
        }
        if self.has(Bit::Discharging) && !self.has(Bit::Depleted) {
            status.set("DISCHRG");
        }
        if self.has(Bit::Charging) && !self.has(Bit::FullyCharged) {
            status.set("CHRG");
        }
        if self.has(Bit::LowBattery)
            || self.has(Bit::TimeLimitExpired)
            || self.has(Bit::ShutdownImminent)
        {
            status.set("LB");
        }
        let words = [
            (Bit::Overload, "OVER"),
            (Bit::ReplaceBattery, "RB"),
            (Bit::Trim, "TRIM"),
            (Bit::Boost, "BOOST"),
        ];
        for (bit, word) in words {
            if self.has(bit) {
                status.set(word);
            }
        }
        if self.has(Bit::BypassAuto) || self.has(Bit::BypassManual) {
            status.set("BYPASS");
        }
        if self.has(Bit::Off) {
            status.set("OFF");
        }
        if self.has(Bit::Calibration) && online_discharge != OnlineDischarge::Calibration {
            status.set("CAL");
        }
        unexplained
    }
}

/// What "on line and discharging" means for a device (the `onlinedischarge*` options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnlineDischarge {
    /// On line (C 2.8.0's default), with a warning unless the device says it calibrates.
    #[default]
    Online,
    /// On battery (`onlinedischarge`, `onlinedischarge_onbattery`: CyberPower UT series).
    OnBattery,
    /// Calibrating (`onlinedischarge_calibration`: APC units during a calibration).
    Calibration,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(words: &[&str], on_battery: bool) -> String {
        let mode = if on_battery {
            OnlineDischarge::OnBattery
        } else {
            OnlineDischarge::Online
        };
        status_with(words, mode)
    }

    fn status_with(words: &[&str], online_discharge: OnlineDischarge) -> String {
        let mut bits = StatusBits::default();
        for w in words {
            bits.apply(w);
        }
        let mut state = DeviceState::new();
        let mut b = StatusBuilder::new();
        bits.words_into(&mut state, &mut b, online_discharge);
        b.status_value(&state)
    }

    #[test]
    fn words() {
        assert_eq!(status_of(&["online", "chrg"], false), "OL CHRG");
        assert_eq!(
            status_of(&["!online", "dischrg", "lowbatt"], false),
            "OB DISCHRG LB"
        );
        assert_eq!(status_of(&["online", "dischrg"], false), "OL DISCHRG");
        assert_eq!(status_of(&["online", "dischrg"], true), "OB DISCHRG");
        assert_eq!(status_of(&["online", "chrg", "fullycharged"], false), "OL");
        assert_eq!(
            status_of(&["online", "off", "bypassauto"], false),
            "OL BYPASS OFF"
        );
        assert_eq!(status_of(&["online", "ONLINE", "!online"], false), "OB");
    }

    #[test]
    fn online_discharge_modes() {
        let words = ["online", "dischrg"];
        assert_eq!(
            status_with(&words, OnlineDischarge::Calibration),
            "CAL DISCHRG"
        );
        let mut bits = StatusBits::default();
        bits.apply("online");
        bits.apply("dischrg");
        let mut state = DeviceState::new();
        let mut b = StatusBuilder::new();
        assert!(bits.words_into(&mut state, &mut b, OnlineDischarge::Online));
        bits.apply("cal");
        assert!(!bits.words_into(&mut state, &mut b, OnlineDischarge::Online));
    }

    #[test]
    fn alarms_in_order() {
        let mut bits = StatusBits::default();
        bits.apply("bypassman");
        bits.apply("replacebatt");
        assert_eq!(bits.alarms(), ["Replace battery!", "Manual bypass mode!"]);
    }
}
