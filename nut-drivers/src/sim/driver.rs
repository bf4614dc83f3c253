//! A driver whose device is a [`UpsModel`] itself, with no protocol in between: what a poll
//! of a real UPS would read, for programs that want a UPS without hardware or a serial
//! simulation (the `nut-demo` program). With a [`PowerCycle`] the model loses mains power
//! and gets it back on a fixed cycle.
//!
//! Time is tokio's clock, so tests can pause it.
//!
//! ```
//! use std::time::Duration;
//! use nut_drivers::sim::driver::ModelDriver;
//! use nut_drivers::sim::model::PowerCycle;
//! use nut_drivers::sim::UpsModel;
//!
//! let model = UpsModel::shared();
//! let driver = ModelDriver::new(model.clone()).with_power_cycle(PowerCycle::new(Duration::from_secs(120)));
//! # drop(driver);
//! ```

use std::sync::{MutexGuard, PoisonError};

use async_trait::async_trait;
use nut_driver_api::driver::{CommandResult, Driver, DriverError, DriverInfo, DriverParams};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::{DeviceState, StatusBuilder};
use tokio::time::Instant;

use super::model::{PowerCycle, SharedModel, UpsModel};

/// The lowest and highest `battery.charge.low` a client may set.
pub const CHARGE_LOW_RANGE: (i32, i32) = (5, 50);

/// A [`Driver`] that reads its variables from a shared [`UpsModel`] and acts on it: the
/// beeper commands, a quick battery test, and `battery.charge.low` (writable, 5 to 50).
/// Each update lets the time since the last one pass on the model ([`UpsModel::tick`]),
/// after the [`PowerCycle`], when there is one, has set it.
#[derive(Debug)]
pub struct ModelDriver {
    model: SharedModel,
    info: DriverInfo,
    cycle: Option<PowerCycle>,
    started: Instant,
    last: Instant,
    test_result: &'static str,
    status: StatusBuilder,
}

impl ModelDriver {
    /// A driver for `model`, named `sim-ups`.
    pub fn new(model: SharedModel) -> Self {
        let now = Instant::now();
        Self {
            model,
            info: DriverInfo::new("sim-ups", "Simulated UPS", env!("CARGO_PKG_VERSION")),
            cycle: None,
            started: now,
            last: now,
            test_result: "No test initiated",
            status: StatusBuilder::new(),
        }
    }

    /// The name, description and version the driver gives (`driver.name`, ...).
    pub fn with_info(mut self, info: DriverInfo) -> Self {
        self.info = info;
        self
    }

    /// Drives the model through `cycle`, counted from the driver's creation.
    pub fn with_power_cycle(mut self, cycle: PowerCycle) -> Self {
        self.cycle = Some(cycle);
        self
    }

    fn model(&self) -> MutexGuard<'_, UpsModel> {
        self.model.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Brings the model to `now`: the cycle's state, then the time passed.
    fn advance(&mut self, now: Instant) {
        let dt = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        let elapsed = now.duration_since(self.started);
        let cycle = self.cycle;
        let mut model = self.model();
        if let Some(cycle) = cycle {
            cycle.drive(&mut model, elapsed);
        }
        model.tick(dt);
    }

    /// Publishes the model's readings.
    fn publish(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let m = self.model().clone();
        let charge = m.charge.round() as i64;
        let values = [
            ("battery.charge", charge.to_string()),
            ("battery.runtime", (m.runtime() as i64).to_string()),
            ("battery.voltage", format!("{:.1}", m.battery_voltage())),
            ("input.voltage", format!("{:.1}", m.input_voltage())),
            ("input.frequency", format!("{:.1}", m.input_frequency())),
            ("output.voltage", format!("{:.1}", m.output_voltage())),
            ("ups.load", m.load.to_string()),
            (
                "ups.beeper.status",
                if m.beeper { "enabled" } else { "disabled" }.to_owned(),
            ),
            ("ups.test.result", self.test_result.to_owned()),
        ];
        for (var, value) in values {
            state.set(var, &value).map_err(DriverError::device)?;
        }
        self.status.clear_words();
        self.status.clear_alarms();
        self.status.set(if m.mains { "OL" } else { "OB DISCHRG" });
        if m.mains && m.charge < 99.5 {
            self.status.set("CHRG");
        }
        if m.battery_low() {
            self.status.set("LB");
        }
        self.status.commit(state);
        Ok(())
    }
}

#[async_trait]
impl Driver for ModelDriver {
    fn info(&self) -> DriverInfo {
        self.info.clone()
    }

    async fn open(
        &mut self,
        _params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.advance(Instant::now());
        let m = self.model().clone();
        let (mfr, model, firmware) = &m.ident;
        let fixed = [
            ("device.mfr", mfr.clone()),
            ("device.model", model.clone()),
            ("device.serial", m.serial.clone()),
            ("device.type", "ups".to_owned()),
            ("ups.mfr", mfr.clone()),
            ("ups.model", model.clone()),
            ("ups.serial", m.serial.clone()),
            ("ups.firmware", firmware.clone()),
            ("ups.realpower.nominal", m.realpower_nominal.to_string()),
            ("battery.voltage.nominal", m.battery_nominal.to_string()),
            ("battery.type", "PbAc".to_owned()),
            ("input.voltage.nominal", m.nominal_voltage.to_string()),
            ("battery.charge.low", format!("{:.0}", m.low_charge)),
        ];
        for (var, value) in fixed {
            state.set(var, &value).map_err(DriverError::device)?;
        }
        state.set_flags("battery.charge.low", true, false, true);
        state.add_range("battery.charge.low", CHARGE_LOW_RANGE.0, CHARGE_LOW_RANGE.1);
        for cmd in [
            "beeper.enable",
            "beeper.disable",
            "test.battery.start.quick",
        ] {
            state.add_cmd(cmd).map_err(DriverError::device)?;
        }
        self.publish(state)
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.advance(Instant::now());
        self.publish(state)
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        _param: Option<&str>,
    ) -> CommandResult {
        match cmd.to_ascii_lowercase().as_str() {
            "beeper.enable" => self.model().beeper = true,
            "beeper.disable" => self.model().beeper = false,
            "test.battery.start.quick" => {
                self.test_result = if self.model().mains {
                    "Done and passed"
                } else {
                    "Aborted: on battery"
                };
            }
            _ => return TrackingStatus::Unknown,
        }
        match self.publish(state) {
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
        self.model().low_charge = f64::from(low);
        let _ = state.set("battery.charge.low", &low.to_string());
        match self.publish(state) {
            Ok(()) => TrackingStatus::Handled,
            Err(_) => TrackingStatus::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cycling(period: u64) -> (SharedModel, ModelDriver) {
        let model = UpsModel::shared();
        let driver = ModelDriver::new(model.clone())
            .with_power_cycle(PowerCycle::new(Duration::from_secs(period)));
        (model, driver)
    }

    async fn poll(ups: &mut ModelDriver, state: &mut DeviceState) -> String {
        ups.update(state).await.unwrap();
        state.value("ups.status").unwrap().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn goes_through_a_power_failure_and_back() {
        let (_, mut ups) = cycling(80);
        let mut state = DeviceState::new();
        ups.identify(&mut state).await.unwrap();
        assert_eq!(state.value("ups.status"), Some("OL"));
        assert_eq!(state.value("battery.charge.low"), Some("20"));
        assert_eq!(state.value("input.voltage.nominal"), Some("230"));

        let mut seen = Vec::new();
        for second in 1..=80 {
            tokio::time::advance(Duration::from_secs(1)).await;
            let status = poll(&mut ups, &mut state).await;
            if second == 40 {
                assert_eq!(state.value("input.voltage"), Some("0.0"));
                assert_eq!(state.value("input.frequency"), Some("0.0"));
                assert_eq!(state.value("battery.charge"), Some("50"));
            }
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
        assert_eq!(state.value("input.frequency"), Some("50.0"));
    }

    #[tokio::test(start_paused = true)]
    async fn commands_and_settings_act_on_the_model() {
        let (model, mut ups) = cycling(60);
        let mut state = DeviceState::new();
        ups.identify(&mut state).await.unwrap();
        assert_eq!(
            ups.set_var(&mut state, "battery.charge.low", "30").await,
            TrackingStatus::Handled
        );
        assert_eq!(state.value("battery.charge.low"), Some("30"));
        assert_eq!(model.lock().unwrap().low_charge, 30.0);
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
        assert!(!model.lock().unwrap().beeper);
        assert_eq!(
            ups.instcmd(&mut state, "test.battery.start.quick", None)
                .await,
            TrackingStatus::Handled
        );
        assert_eq!(state.value("ups.test.result"), Some("Done and passed"));
        tokio::time::advance(Duration::from_secs(20)).await;
        ups.update(&mut state).await.unwrap();
        assert_eq!(
            ups.instcmd(&mut state, "test.battery.start.quick", None)
                .await,
            TrackingStatus::Handled
        );
        assert_eq!(state.value("ups.test.result"), Some("Aborted: on battery"));
        assert_eq!(
            ups.instcmd(&mut state, "load.off", None).await,
            TrackingStatus::Unknown
        );
    }

    #[tokio::test(start_paused = true)]
    async fn reports_what_others_do_to_the_model() {
        let model = UpsModel::shared();
        let mut ups = ModelDriver::new(model.clone());
        let mut state = DeviceState::new();
        ups.identify(&mut state).await.unwrap();
        assert_eq!(state.value("ups.mfr"), Some("NUT-RS"));
        assert_eq!(state.value("ups.serial"), Some("SIM0001"));
        model.lock().unwrap().apply("mains-lost").unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(poll(&mut ups, &mut state).await, "OB DISCHRG");
        // 0.5 % a second for 10 s.
        assert_eq!(state.value("battery.charge"), Some("95"));
        assert_eq!(state.value("battery.runtime"), Some("190"));
        model.lock().unwrap().apply("low-battery").unwrap();
        assert_eq!(poll(&mut ups, &mut state).await, "OB DISCHRG LB");
        model.lock().unwrap().apply("mains-restored").unwrap();
        assert_eq!(poll(&mut ups, &mut state).await, "OL CHRG LB");
    }
}
