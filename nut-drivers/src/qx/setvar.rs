//! Writable variables (C's `setvar`), for every dialect: driver-side variables
//! ([`ABSENT`] items, kept in the driver), device-side ones (the item's command is sent
//! and the device must answer with the dialect's "accepted" reply, `(ACK`, or nothing),
//! and one-time settings from driver options ([`NONUT`] items, applied at start).
//!
//! The value is checked against the variable's ranges or enumeration (for [`NONUT`]
//! items, against the table's allowed values), then turned into the device's form by the
//! item's processing (Voltronic's, or a dialect's own through [`special::setvar`], e.g.
//! bestups' `BPn` and `SSn`), and sent. C answers `UNKNOWN` for every failure.

use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::c_strtol;
use nut_driver_api::DeviceState;

use super::blazer;
use super::dialect::Family;
use super::engine::Engine;
use super::item::{is_c_numeric, Process, ABSENT, ENUM, NONUT, RANGE, SETVAR, SKIP};
use super::port::QxPort;
use super::{special, voltronic};

impl Engine {
    /// The allowed values of item `idx`: found at run time, or the table's as they apply
    /// to this device (C's `info_rw` with its preprocess functions).
    pub fn allowed_values(&self, idx: usize, state: &DeviceState) -> Vec<String> {
        let item = &self.items[idx];
        if let Some(v) = self.allowed_override.get(item.var) {
            return v.clone();
        }
        item.allowed
            .iter()
            .filter(|v| {
                self.dialect.family != Family::Voltronic
                    || voltronic::process::keep_allowed(item.var, v, state)
            })
            .map(|v| (*v).to_owned())
            .collect()
    }

    /// Sets `var` to `value` (C's `setvar`); for [`NONUT`] items `value` is ignored and
    /// the driver option of the same name is used.
    pub async fn set_var(
        &mut self,
        port: &mut dyn QxPort,
        state: &mut DeviceState,
        var: &str,
        value: Option<&str>,
    ) -> TrackingStatus {
        let Some(idx) = self.find(var, SETVAR, SKIP) else {
            tracing::debug!("setvar: element {var} unavailable");
            return TrackingStatus::Unknown;
        };
        let item = self.items[idx].clone();
        let value = if item.has(NONUT) {
            if !self.params.is_set(item.var) {
                return TrackingStatus::Handled;
            }
            let v = self.params.get(item.var).unwrap_or("").to_owned();
            tracing::info!(
                "setvar({var}, {})",
                if v.is_empty() { "[NULL]" } else { &v }
            );
            v
        } else {
            let v = value.unwrap_or("");
            tracing::info!("setvar({var}, {})", if v.is_empty() { "[NULL]" } else { v });
            if v.is_empty() {
                tracing::error!("setvar: value not given for {}", item.var);
                return TrackingStatus::Unknown;
            }
            if state
                .value(item.var)
                .is_some_and(|cur| cur.eq_ignore_ascii_case(v))
            {
                tracing::info!("setvar: nothing to do... [{}]", item.var);
                return TrackingStatus::Handled;
            }
            v.to_owned()
        };
        if !self.value_allowed(idx, &item, &value, state) {
            return TrackingStatus::Unknown;
        }
        let command = match item.process {
            Process::DelaySetvar => blazer::truncate_delay(item.var, &value),
            Process::Voltronic(p) => voltronic::process::setvar_command(self, idx, p, &value),
            Process::Dialect(code) => special::setvar(self, idx, code, &value),
            _ => Some(value.clone()),
        };
        let Some(command) = command else {
            tracing::error!("setvar: FAILED");
            return TrackingStatus::Unknown;
        };
        if item.has(ABSENT) {
            let _ = state.set(item.var, &command);
            tracing::info!("setvar: SUCCEED");
            return TrackingStatus::Handled;
        }
        // Without processing, the item's command is sent as it is.
        let sent =
            (!command.is_empty() && item.process != Process::Plain).then_some(command.as_str());
        match self.process(port, idx, sent).await {
            Ok((_, Ok(reply)))
                if reply.is_empty()
                    || self
                        .dialect
                        .accepted
                        .is_some_and(|a| reply.eq_ignore_ascii_case(a)) =>
            {
                tracing::info!("setvar: SUCCEED");
                self.data_changed = true;
                TrackingStatus::Handled
            }
            _ => {
                tracing::error!("setvar: FAILED");
                TrackingStatus::Unknown
            }
        }
    }

    /// The range / enumeration check of C's `setvar`.
    fn value_allowed(
        &self,
        idx: usize,
        item: &super::item::Item,
        value: &str,
        state: &DeviceState,
    ) -> bool {
        let nonut = item.has(NONUT);
        let ok = if item.has(RANGE) {
            if !is_c_numeric(value) {
                tracing::error!("setvar: non numerical value [{}: {value}]", item.var);
                return false;
            }
            if nonut && value.is_empty() {
                tracing::error!("setvar: value not given for {}", item.var);
                return false;
            }
            let n = c_strtol(value);
            if nonut {
                self.allowed_values(idx, state)
                    .chunks_exact(2)
                    .any(|p| c_strtol(&p[0]) <= n && n <= c_strtol(&p[1]))
            } else {
                match state.get(item.var) {
                    Some(v) => v
                        .ranges()
                        .iter()
                        .any(|&(lo, hi)| i64::from(lo) <= n && n <= i64::from(hi)),
                    None => return false,
                }
            }
        } else if item.has(ENUM) {
            if nonut {
                if value.is_empty() {
                    tracing::error!("setvar: value not given for {}", item.var);
                    return false;
                }
                self.allowed_values(idx, state)
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(value))
            } else {
                match state.get(item.var) {
                    Some(v) => v
                        .enums()
                        .iter()
                        .any(|e| e.as_str().eq_ignore_ascii_case(value)),
                    None => return false,
                }
            }
        } else {
            true
        };
        if !ok {
            tracing::error!("setvar: value out of range [{}: {value}]", item.var);
        }
        ok
    }
}
