//! The simulated UPS: its electrical state, the power events that change it, and a clock
//! that drains or recharges the battery.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A model shared between the protocol front-ends and whoever scripts the events.
pub type SharedModel = Arc<Mutex<UpsModel>>;

/// What the automatic voltage regulation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Avr {
    /// Output follows the input.
    Off,
    /// Output raised above a low input.
    Boost,
    /// Output lowered below a high input.
    Trim,
}

/// A simulated line-interactive UPS. Public fields are the state a protocol reports; the
/// methods are the power events.
#[derive(Debug, Clone, PartialEq)]
pub struct UpsModel {
    /// Whether mains power is present.
    pub mains: bool,
    /// The mains voltage when present.
    pub line_voltage: f64,
    /// The mains frequency.
    pub frequency: f64,
    /// The load in percent of the rating.
    pub load: u32,
    /// The battery charge in percent.
    pub charge: f64,
    /// The nominal battery voltage.
    pub battery_nominal: f64,
    /// The charge below which the battery is low.
    pub low_charge: f64,
    /// Percent of charge lost per second on battery at this load.
    pub drain_per_sec: f64,
    /// Percent of charge gained per second on line.
    pub charge_per_sec: f64,
    /// The internal temperature, °C.
    pub temperature: f64,
    /// The nominal input voltage.
    pub nominal_voltage: f64,
    /// The nominal input current.
    pub nominal_current: u32,
    /// The nominal frequency.
    pub nominal_frequency: f64,
    /// Whether the beeper is enabled.
    pub beeper: bool,
    /// Whether a battery test runs.
    pub testing: bool,
    /// Whether the UPS reports a failed self test.
    pub failed: bool,
    /// Offline / line-interactive (true) or online (false).
    pub line_interactive: bool,
    /// Seconds until the output turns off, when a shutdown is pending.
    pub shutdown_in: Option<f64>,
    /// Minutes after mains return before the output turns back on (None: stay off).
    pub restart_after: Option<u32>,
    /// Whether the output is on.
    pub output_on: bool,
    /// Manufacturer, model, firmware.
    pub ident: (String, String, String),
    /// The serial number.
    pub serial: String,
    /// The nominal real power, W.
    pub realpower_nominal: u32,
    /// Every command received, in order (without the terminator).
    pub received: Vec<String>,
    /// Device-side settings a protocol keeps, by name; a protocol has its own defaults for
    /// the missing ones. Voltronic uses plain names (capability letters, limits, see
    /// [`super::voltronic`]); the other dialects prefix theirs (`bestups.model`,
    /// `mecer.p98`, `qshex.protocol`, …, as their modules document them).
    pub settings: BTreeMap<String, String>,
}

impl Default for UpsModel {
    fn default() -> Self {
        Self {
            mains: true,
            line_voltage: 230.0,
            frequency: 50.0,
            load: 14,
            charge: 100.0,
            battery_nominal: 24.0,
            low_charge: 20.0,
            drain_per_sec: 0.5,
            charge_per_sec: 0.1,
            temperature: 30.0,
            nominal_voltage: 230.0,
            nominal_current: 8,
            nominal_frequency: 50.0,
            beeper: true,
            testing: false,
            failed: false,
            line_interactive: true,
            shutdown_in: None,
            restart_after: None,
            output_on: true,
            ident: ("NUT-RS".into(), "SIM-1000".into(), "VER1.0".into()),
            serial: "SIM0001".into(),
            realpower_nominal: 600,
            received: Vec::new(),
            settings: BTreeMap::new(),
        }
    }
}

impl UpsModel {
    /// A fully charged UPS on line.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new model behind a mutex, to share.
    pub fn shared() -> SharedModel {
        Arc::new(Mutex::new(Self::new()))
    }

    /// The input voltage (0 without mains).
    pub fn input_voltage(&self) -> f64 {
        if self.mains {
            self.line_voltage
        } else {
            0.0
        }
    }

    /// The input frequency (0 without mains).
    pub fn input_frequency(&self) -> f64 {
        if self.mains {
            self.frequency
        } else {
            0.0
        }
    }

    /// What the regulation does at this input.
    pub fn avr(&self) -> Avr {
        if !self.mains {
            Avr::Off
        } else if self.line_voltage < 0.9 * self.nominal_voltage {
            Avr::Boost
        } else if self.line_voltage > 1.1 * self.nominal_voltage {
            Avr::Trim
        } else {
            Avr::Off
        }
    }

    /// The output voltage.
    pub fn output_voltage(&self) -> f64 {
        if !self.output_on {
            return 0.0;
        }
        match self.avr() {
            _ if !self.mains => self.nominal_voltage,
            Avr::Boost => self.line_voltage * 1.15,
            Avr::Trim => self.line_voltage * 0.87,
            Avr::Off => self.line_voltage,
        }
    }

    /// The battery voltage: linear in the charge between 104/120 and 130/120 of nominal.
    pub fn battery_voltage(&self) -> f64 {
        let low = 104.0 * self.battery_nominal / 120.0;
        let high = 130.0 * self.battery_nominal / 120.0;
        low + (high - low) * self.charge / 100.0
    }

    /// Whether the battery is low.
    pub fn battery_low(&self) -> bool {
        self.charge < self.low_charge
    }

    /// Seconds of runtime left at this load.
    pub fn runtime(&self) -> f64 {
        if self.drain_per_sec <= 0.0 {
            return 0.0;
        }
        self.charge / self.drain_per_sec
    }

    /// Mains fails.
    pub fn mains_lost(&mut self) {
        self.mains = false;
    }

    /// Mains returns; a UPS that shut down with a restart delay turns back on.
    pub fn mains_restored(&mut self) {
        self.mains = true;
        if !self.output_on && self.restart_after.is_some() {
            self.output_on = true;
            self.restart_after = None;
        }
    }

    /// Sets the mains voltage (a brown-out or a surge).
    pub fn set_line_voltage(&mut self, volts: f64) {
        self.line_voltage = volts;
    }

    /// Sets the battery charge (clamped to 0..=100).
    pub fn set_charge(&mut self, percent: f64) {
        self.charge = percent.clamp(0.0, 100.0);
    }

    /// Drops the charge just below the low-battery threshold.
    pub fn low_battery(&mut self) {
        self.set_charge(self.low_charge - 1.0);
    }

    /// Lets `seconds` pass: the battery drains on battery and recharges on line; a
    /// pending shutdown counts down.
    pub fn tick(&mut self, seconds: f64) {
        if self.mains {
            self.set_charge(self.charge + self.charge_per_sec * seconds);
        } else if self.output_on {
            self.set_charge(self.charge - self.drain_per_sec * seconds);
        }
        if let Some(left) = self.shutdown_in {
            let left = left - seconds;
            if left <= 0.0 {
                self.shutdown_in = None;
                self.output_on = false;
            } else {
                self.shutdown_in = Some(left);
            }
        }
    }

    /// Applies one power event by name (`mains-lost`, `mains-restored`, `low-battery`,
    /// `charge=N`, `line=V`, `load=N`, `wait=S`), as scripts give them.
    pub fn apply(&mut self, event: &str) -> Result<(), String> {
        let (name, arg) = match event.split_once('=') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (event.trim(), None),
        };
        let num = || {
            arg.and_then(|a| a.parse::<f64>().ok())
                .ok_or_else(|| format!("{name} needs a number: {event}"))
        };
        match name {
            "mains-lost" => self.mains_lost(),
            "mains-restored" => self.mains_restored(),
            "low-battery" => self.low_battery(),
            "charge" => self.set_charge(num()?),
            "line" => self.set_line_voltage(num()?),
            "load" => self.load = num()?.clamp(0.0, 999.0) as u32,
            "wait" => self.tick(num()?),
            "fail" => self.failed = true,
            _ => return Err(format!("unknown event {event:?}")),
        }
        Ok(())
    }
}

/// A power failure on a fixed cycle, as the model lives it: mains for the first quarter of
/// each period, none for the middle half (the battery drains from full to 5 %, past the
/// low-battery threshold), mains again for the last quarter (the battery recharges). The load
/// and the mains voltage wander a little, so that watchers see values move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerCycle {
    period: Duration,
}

impl PowerCycle {
    /// A cycle of `period` (at least 4 s).
    pub fn new(period: Duration) -> Self {
        Self {
            period: period.max(Duration::from_secs(4)),
        }
    }

    /// The length of one cycle.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Whether mains power is present at `elapsed` since the cycle started.
    pub fn mains_at(&self, elapsed: Duration) -> bool {
        let period = self.period.as_secs_f64();
        let t = elapsed.as_secs_f64() % period;
        !(period * 0.25..period * 0.75).contains(&t)
    }

    /// Sets `model` to what the cycle says at `elapsed` since it started: mains present or
    /// not, the drain and charge rates that fit the period, the load and the mains voltage.
    /// [`UpsModel::tick`] then moves the battery.
    pub fn drive(&self, model: &mut UpsModel, elapsed: Duration) {
        // Half a period takes the battery from 100 % to 5 %; a quarter brings it back.
        let drain = 95.0 / (self.period.as_secs_f64() * 0.5);
        model.drain_per_sec = drain;
        model.charge_per_sec = 2.0 * drain;
        let wobble = (elapsed.as_secs() % 7) as u32;
        model.load = 32 + wobble;
        model.set_line_voltage(229.5 + f64::from(wobble) * 0.3);
        match (self.mains_at(elapsed), model.mains) {
            (true, false) => model.mains_restored(),
            (false, true) => model.mains_lost(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_power_cycle_drains_half_and_recharges_a_quarter() {
        let cycle = PowerCycle::new(Duration::from_secs(80));
        let mut m = UpsModel::new();
        let at = |s: u64| Duration::from_secs(s);
        assert!(cycle.mains_at(at(0)) && cycle.mains_at(at(19)));
        assert!(!cycle.mains_at(at(20)) && !cycle.mains_at(at(59)));
        assert!(cycle.mains_at(at(60)) && cycle.mains_at(at(80)));
        assert!(!cycle.mains_at(at(100)));
        for s in 1..=60 {
            cycle.drive(&mut m, at(s));
            m.tick(1.0);
        }
        assert!(m.mains);
        assert!((m.charge - 9.75).abs() < 1e-9, "{}", m.charge);
        assert_eq!(m.input_frequency(), 50.0);
        cycle.drive(&mut m, at(40));
        assert_eq!((m.input_voltage(), m.input_frequency()), (0.0, 0.0));
        assert_eq!((m.load, m.line_voltage), (37, 229.5 + 5.0 * 0.3));
        assert_eq!(
            PowerCycle::new(Duration::ZERO).period(),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn power_events_change_the_state() {
        let mut m = UpsModel::new();
        assert_eq!(m.battery_voltage(), 26.0);
        m.apply("mains-lost").unwrap();
        assert_eq!(m.input_voltage(), 0.0);
        assert_eq!(m.output_voltage(), 230.0);
        m.apply("wait=20").unwrap();
        assert_eq!(m.charge, 90.0);
        m.apply("low-battery").unwrap();
        assert!(m.battery_low());
        m.apply("mains-restored").unwrap();
        m.apply("line=190").unwrap();
        assert_eq!(m.avr(), Avr::Boost);
        m.apply("line=260").unwrap();
        assert_eq!(m.avr(), Avr::Trim);
        assert!(m.apply("charge=x").is_err());
        assert!(m.apply("explode").is_err());
        m.shutdown_in = Some(5.0);
        m.tick(6.0);
        assert!(!m.output_on);
        assert_eq!(m.output_voltage(), 0.0);
    }
}
