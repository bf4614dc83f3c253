//! The limits nut-rs adds to upsmon's decision (upsmon.conf's `SHUTDOWNCHARGE`,
//! `SHUTDOWNRUNTIME` and `SHUTDOWNONBATT`, see [`ShutdownThresholds`]) and the
//! time-on-battery counters.

use std::time::Duration;

use nut_proto::config::{NotifyEvent, ShutdownThresholds};

use super::Decider;

impl Decider {
    /// The nut-rs limits of UPS `i` (`SHUTDOWNCHARGE`, `SHUTDOWNRUNTIME`,
    /// `SHUTDOWNONBATT`): LOWBATT, with the reason, the first time one is passed while on
    /// battery; the UPS then counts as critical until it is back on line.
    pub(super) fn check_thresholds(&mut self, i: usize, now: Duration) {
        let t = &self.ups[i];
        let Some(limits) = &t.thresholds else {
            return;
        };
        if !t.flags.onbatt {
            self.ups[i].threshold_hit = false;
            return;
        }
        let mut reason = None;
        if let (Some(limit), Some(charge)) = (limits.charge, t.charge) {
            if charge <= f64::from(limit) {
                reason = Some(format!("battery.charge {charge} <= SHUTDOWNCHARGE {limit}"));
            }
        }
        if let (Some(limit), Some(runtime)) = (limits.runtime, t.runtime) {
            if reason.is_none() && runtime <= f64::from(limit) {
                reason = Some(format!(
                    "battery.runtime {runtime} <= SHUTDOWNRUNTIME {limit}"
                ));
            }
        }
        if let (Some(limit), Some(since)) = (limits.on_battery, t.onbatt_since) {
            let secs = now.saturating_sub(since).as_secs();
            if reason.is_none() && secs >= u64::from(limit) {
                reason = Some(format!("on battery {secs} s >= SHUTDOWNONBATT {limit}"));
            }
        }
        let Some(reason) = reason else {
            return;
        };
        if !std::mem::replace(&mut self.ups[i].threshold_hit, true) {
            tracing::warn!("UPS [{}]: {reason}", self.ups[i].sys);
            self.notify(Some(i), NotifyEvent::LowBatt, Some(reason));
        }
    }

    /// The battery values read for UPS `index` at its last poll (`battery.charge` in
    /// percent, `battery.runtime` in seconds), for its nut-rs shutdown limits; `None` for
    /// a value that was not read.
    pub fn battery_values(&mut self, index: usize, charge: Option<f64>, runtime: Option<f64>) {
        if let Some(t) = self.ups.get_mut(index) {
            t.charge = charge;
            t.runtime = runtime;
        }
    }

    /// Whether the poll of UPS `index` should read `battery.charge` and `battery.runtime`
    /// (its nut-rs limits need them) when the status says it is on battery.
    pub fn needs_battery_values(&self, index: usize) -> bool {
        self.ups.get(index).is_some_and(|t| {
            t.thresholds
                .as_ref()
                .is_some_and(ShutdownThresholds::needs_battery_values)
        })
    }

    /// The nut-rs shutdown limits of UPS `index`, if it has any.
    pub fn thresholds(&self, index: usize) -> Option<&ShutdownThresholds> {
        self.ups.get(index).and_then(|t| t.thresholds.as_ref())
    }

    /// How long UPS `index` has been on battery this time (`None` when it is not).
    pub fn on_battery_for(&self, index: usize, now: Duration) -> Option<Duration> {
        let since = self.ups.get(index)?.onbatt_since?;
        Some(now.saturating_sub(since))
    }

    /// The total time UPS `index` has spent on battery since monitoring began, the
    /// current stretch included.
    pub fn time_on_battery(&self, index: usize, now: Duration) -> Duration {
        self.ups.get(index).map_or(Duration::ZERO, |t| {
            t.onbatt_total
                + t.onbatt_since
                    .map_or(Duration::ZERO, |s| now.saturating_sub(s))
        })
    }
}
