//! A simulated UPS: a [`Driver`] whose device is a small model of a line-interactive UPS that
//! loses mains power and gets it back on a fixed cycle.

use std::time::Duration;

use async_trait::async_trait;
use nut_driver_api::driver::{CommandResult, Driver, DriverError, DriverInfo, DriverParams};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::state::DeviceState;
use nut_driver_api::status::StatusBuilder;
use tokio::time::Instant;

/// The lowest and highest `battery.charge.low` a client may set.
const CHARGE_LOW_RANGE: (i32, i32) = (5, 50);

/// Where the simulated UPS is in its cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Mains present, battery charging or full.
    Online,
    /// Mains lost, running on battery.
    OnBattery,
}

/// The simulated device: what a poll reads from it.
///
/// The cycle: mains for the first quarter, a power failure for the middle half (the battery
/// drains from full to 5 %, passing the low-battery threshold), mains again for the last
/// quarter while the battery recharges. Time is tokio's clock, so tests can pause it.
#[derive(Debug, Clone)]
pub struct DemoUps {
    cycle: Duration,
    started: Instant,
    last: Instant,
    charge: f64,
    charge_low: i32,
    beeper: bool,
    test_result: &'static str,
    status: StatusBuilder,
}

impl DemoUps {
    /// A UPS with a full battery whose power-failure cycle lasts `cycle` (at least 4 s).
    pub fn new(cycle: Duration) -> Self {
        let now = Instant::now();
        Self {
            cycle: cycle.max(Duration::from_secs(4)),
            started: now,
            last: now,
            charge: 100.0,
            charge_low: 20,
            beeper: true,
            test_result: "No test initiated",
            status: StatusBuilder::new(),
        }
    }

    /// The phase of the cycle at `now`.
    pub fn phase_at(&self, now: Instant) -> Phase {
        let cycle = self.cycle.as_secs_f64();
        let t = now.duration_since(self.started).as_secs_f64() % cycle;
        if (cycle * 0.25..cycle * 0.75).contains(&t) {
            Phase::OnBattery
        } else {
            Phase::Online
        }
    }

    /// The battery charge in percent.
    pub fn charge(&self) -> f64 {
        self.charge
    }

    /// Advances the model to `now`: drain on battery, recharge on mains.
    fn advance(&mut self, now: Instant) {
        let dt = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        // Half a cycle takes the battery from 100 % to 5 %; a quarter brings it back.
        let drain = 95.0 / (self.cycle.as_secs_f64() * 0.5);
        match self.phase_at(now) {
            Phase::OnBattery => self.charge = (self.charge - drain * dt).max(0.0),
            Phase::Online => self.charge = (self.charge + 2.0 * drain * dt).min(100.0),
        }
    }

    /// Publishes the readings of the model at `now`.
    fn publish(&mut self, state: &mut DeviceState, now: Instant) -> Result<(), DriverError> {
        let phase = self.phase_at(now);
        let on_battery = phase == Phase::OnBattery;
        let charge = self.charge.round() as i64;
        // A load that wanders a little, so that watchers see values move.
        let wobble = (now.duration_since(self.started).as_secs() % 7) as i64;
        let load = 32 + wobble;
        let runtime = (self.charge / 100.0 * 2400.0 * 35.0 / load as f64) as i64;
        let battery_v = 21.6 + 5.4 * self.charge / 100.0;
        let input_v = if on_battery {
            0.0
        } else {
            229.5 + wobble as f64 * 0.3
        };
        let values = [
            ("battery.charge", charge.to_string()),
            ("battery.runtime", runtime.to_string()),
            ("battery.voltage", format!("{battery_v:.1}")),
            ("input.voltage", format!("{input_v:.1}")),
            (
                "input.frequency",
                if on_battery { "0.0" } else { "50.0" }.to_owned(),
            ),
            ("output.voltage", "230.0".to_owned()),
            ("ups.load", load.to_string()),
            (
                "ups.beeper.status",
                if self.beeper { "enabled" } else { "disabled" }.to_owned(),
            ),
            ("ups.test.result", self.test_result.to_owned()),
        ];
        for (var, value) in values {
            state.set(var, &value).map_err(DriverError::device)?;
        }

        self.status.clear_words();
        self.status.clear_alarms();
        self.status
            .set(if on_battery { "OB DISCHRG" } else { "OL" });
        if !on_battery && self.charge < 99.5 {
            self.status.set("CHRG");
        }
        if charge < i64::from(self.charge_low) {
            self.status.set("LB");
        }
        self.status.commit(state);
        Ok(())
    }
}

#[async_trait]
impl Driver for DemoUps {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(
            "nut-demo",
            "Simulated UPS for the demo",
            env!("CARGO_PKG_VERSION"),
        )
    }

    async fn open(
        &mut self,
        _params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let fixed = [
            ("device.mfr", "nut-rs"),
            ("device.model", "Demo UPS 1500"),
            ("device.serial", "DEMO0001"),
            ("device.type", "ups"),
            ("ups.mfr", "nut-rs"),
            ("ups.model", "Demo UPS 1500"),
            ("ups.serial", "DEMO0001"),
            ("ups.firmware", env!("CARGO_PKG_VERSION")),
            ("ups.realpower.nominal", "900"),
            ("battery.voltage.nominal", "24"),
            ("battery.type", "PbAc"),
            ("input.voltage.nominal", "230"),
        ];
        for (var, value) in fixed {
            state.set(var, value).map_err(DriverError::device)?;
        }
        state
            .set("battery.charge.low", &self.charge_low.to_string())
            .map_err(DriverError::device)?;
        state.set_flags("battery.charge.low", true, false, true);
        state.add_range("battery.charge.low", CHARGE_LOW_RANGE.0, CHARGE_LOW_RANGE.1);
        for cmd in [
            "beeper.enable",
            "beeper.disable",
            "test.battery.start.quick",
        ] {
            state.add_cmd(cmd).map_err(DriverError::device)?;
        }
        let now = Instant::now();
        self.publish(state, now)
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let now = Instant::now();
        self.advance(now);
        self.publish(state, now)
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        _param: Option<&str>,
    ) -> CommandResult {
        match cmd.to_ascii_lowercase().as_str() {
            "beeper.enable" => self.beeper = true,
            "beeper.disable" => self.beeper = false,
            "test.battery.start.quick" => {
                self.test_result = if self.phase_at(Instant::now()) == Phase::OnBattery {
                    "Aborted: on battery"
                } else {
                    "Done and passed"
                };
            }
            _ => return TrackingStatus::Unknown,
        }
        match self.publish(state, Instant::now()) {
            Ok(()) => TrackingStatus::Handled,
            Err(_) => TrackingStatus::Failed,
        }
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        if !var.eq_ignore_ascii_case("battery.charge.low") {
            return TrackingStatus::Unknown;
        }
        let Ok(low) = value.trim().parse::<i32>() else {
            return TrackingStatus::Invalid;
        };
        if !(CHARGE_LOW_RANGE.0..=CHARGE_LOW_RANGE.1).contains(&low) {
            return TrackingStatus::Invalid;
        }
        self.charge_low = low;
        let _ = state.set("battery.charge.low", &low.to_string());
        match self.publish(state, Instant::now()) {
            Ok(()) => TrackingStatus::Handled,
            Err(_) => TrackingStatus::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn poll(ups: &mut DemoUps, state: &mut DeviceState) -> String {
        ups.update(state).await.unwrap();
        state.value("ups.status").unwrap().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn goes_through_a_power_failure_and_back() {
        let mut ups = DemoUps::new(Duration::from_secs(80));
        let mut state = DeviceState::new();
        ups.identify(&mut state).await.unwrap();
        assert_eq!(state.value("ups.status"), Some("OL"));

        let mut seen = Vec::new();
        for _ in 0..80 {
            tokio::time::advance(Duration::from_secs(1)).await;
            let status = poll(&mut ups, &mut state).await;
            if seen.last() != Some(&status) {
                seen.push(status);
            }
        }
        assert_eq!(
            seen,
            [
                "OL",
                "OB DISCHRG",
                "OB DISCHRG LB",
                "OL CHRG LB",
                "OL CHRG",
                "OL"
            ]
        );
        assert_eq!(state.value("input.voltage").map(|v| v != "0.0"), Some(true));
    }

    #[tokio::test(start_paused = true)]
    async fn commands_and_settings() {
        let mut ups = DemoUps::new(Duration::from_secs(60));
        let mut state = DeviceState::new();
        ups.identify(&mut state).await.unwrap();
        assert_eq!(
            ups.set_var(&mut state, "battery.charge.low", "30").await,
            TrackingStatus::Handled
        );
        assert_eq!(state.value("battery.charge.low"), Some("30"));
        assert_eq!(
            ups.set_var(&mut state, "battery.charge.low", "90").await,
            TrackingStatus::Invalid
        );
        assert_eq!(
            ups.set_var(&mut state, "ups.load", "1").await,
            TrackingStatus::Unknown
        );
        assert_eq!(
            ups.instcmd(&mut state, "beeper.disable", None).await,
            TrackingStatus::Handled
        );
        assert_eq!(state.value("ups.beeper.status"), Some("disabled"));
        assert_eq!(
            ups.instcmd(&mut state, "load.off", None).await,
            TrackingStatus::Unknown
        );
    }
}
