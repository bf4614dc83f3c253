//! The control commands: instant commands and SETs, each after the authorization and
//! C's pause, and what their execution status means.

use nut_driver_api::driver::{CommandResult, DriverError};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::DeviceState;

use super::frame::{byte, word};
use super::tables::{self, cmd, conf, ret};
use super::{atoi, Bcmxcp};

impl Bcmxcp {
    /// Runs one control command (the authorization already sent) and reads what its
    /// execution status says; `ok` makes the success message from the answer.
    async fn control(
        &mut self,
        name: &str,
        command: &[u8],
        ok: impl Fn(&[u8]) -> String + Send,
    ) -> Result<CommandResult, DriverError> {
        let Some(a) = self.exchange(command).await? else {
            tracing::error!("[{name}] Short read from UPS");
            return Ok(TrackingStatus::Failed);
        };
        Ok(match byte(&a, 0) {
            ret::ACCEPTED => {
                tracing::info!("[{name}] {}", ok(&a));
                TrackingStatus::Handled
            }
            ret::ACCEPTED_ADJUSTED => {
                tracing::info!("[{name}] Parameter adjusted");
                tracing::info!("[{name}] {}", ok(&a));
                TrackingStatus::Handled
            }
            ret::BUSY => {
                tracing::info!("[{name}] Busy or disbled by front panel");
                TrackingStatus::Failed
            }
            ret::UNRECOGNISED => {
                tracing::info!("[{name}] Unrecognised command byte or corrupt checksum");
                TrackingStatus::Failed
            }
            ret::INVALID_PARAMETER => {
                tracing::info!("[{name}] Invalid parameter");
                TrackingStatus::Invalid
            }
            ret::OUT_OF_RANGE => {
                tracing::info!("[{name}] Parameter out of range");
                TrackingStatus::Invalid
            }
            _ => {
                tracing::info!("[{name}] Not supported");
                TrackingStatus::Invalid
            }
        })
    }

    pub(super) async fn run_cmd(
        &mut self,
        state: &mut DeviceState,
        name: &str,
    ) -> Result<CommandResult, DriverError> {
        let lower = name.to_ascii_lowercase();
        let delay = self.shutdown_delay;
        let simple: Option<(Vec<u8>, &str)> = match lower.as_str() {
            "shutdown.stayoff" => Some((vec![cmd::UPS_OFF], "Going down NOW")),
            "load.on" => Some((vec![cmd::UPS_ON], "Enabling")),
            "bypass.start" => Some((vec![cmd::GO_TO_BYPASS], "Bypass enabled")),
            "test.battery.start" => {
                Some((vec![cmd::BATTERY_TEST, 0x0A, 0x1E], "Testing battery now"))
            }
            "test.system.start" => Some((vec![cmd::SYSTEM_TEST, 0x01], "Testing system now")),
            "test.panel.start" => Some((vec![cmd::SYSTEM_TEST, 0x04, 0x0A], "Testing panel now")),
            "beeper.disable" => Some((
                vec![cmd::SET_CONF, conf::BEEPER, 0, 0],
                "Beeper status changed",
            )),
            "beeper.enable" => Some((
                vec![cmd::SET_CONF, conf::BEEPER, 1, 0],
                "Beeper status changed",
            )),
            "beeper.mute" => Some((
                vec![cmd::SET_CONF, conf::BEEPER, 2, 0],
                "Beeper status changed",
            )),
            _ => None,
        };
        if let Some((command, ok)) = simple {
            self.authorize().await?;
            return self.control(name, &command, |_| ok.to_owned()).await;
        }
        if lower == "shutdown.return" {
            self.authorize().await?;
            let command = [
                cmd::LOAD_OFF_RESTART,
                (delay & 0xff) as u8,
                (delay >> 8) as u8,
            ];
            return self.delayed(name, &command).await;
        }
        // outlet.N.…: C looks at the eighth character only (nine outlets at most).
        let chars: Vec<char> = name.chars().collect();
        let mut pattern = chars.clone();
        if pattern.len() > 7 {
            pattern[7] = 'n';
        }
        let pattern: String = pattern.into_iter().collect::<String>().to_ascii_lowercase();
        let digit = chars.get(7).copied().unwrap_or('\0');
        let outlet = i64::from(u32::from(digit)) - i64::from(u32::from('0'));
        if pattern == "outlet.n.shutdown.return" {
            self.authorize().await?;
            let mut sddelay: i64 = 3;
            if let Some(v) = state.value(&format!("outlet.{digit}.delay.shutdown")) {
                sddelay = atoi(v);
            }
            if sddelay == -1 {
                sddelay = i64::from(delay);
            }
            if !(1..=9).contains(&outlet) {
                return Ok(TrackingStatus::Failed);
            }
            let command = [
                cmd::LOAD_OFF_RESTART,
                (sddelay & 0xff) as u8,
                ((sddelay >> 8) & 0xff) as u8,
                outlet as u8,
            ];
            return self.delayed(name, &command).await;
        }
        if pattern == "outlet.n.load.on" || pattern == "outlet.n.load.off" {
            self.authorize().await?;
            if !(1..=9).contains(&outlet) {
                return Ok(TrackingStatus::Failed);
            }
            let on = chars.get(15) == Some(&'n');
            let command = [if on { cmd::UPS_ON } else { cmd::UPS_OFF }, outlet as u8];
            let ok = format!("Outlet {outlet} is  {}", if on { "On" } else { "Off" });
            return self.control(name, &command, |_| ok.clone()).await;
        }
        tracing::info!("instcmd: unknown command [{name}]");
        Ok(TrackingStatus::Unknown)
    }

    async fn delayed(&mut self, name: &str, command: &[u8]) -> Result<CommandResult, DriverError> {
        // The answer says in how many seconds the unit goes down.
        self.control(name, command, |a| {
            format!("Going down in {} sec", word(a, 2))
        })
        .await
    }

    pub(super) async fn run_set(
        &mut self,
        var: &str,
        value: &str,
    ) -> Result<CommandResult, DriverError> {
        if let Some((code, min, max, two)) = tables::settable(var) {
            self.authorize().await?;
            let v = atoi(value);
            if v < min || v > max {
                return Ok(TrackingStatus::Invalid);
            }
            let high = if two { ((v >> 8) & 0xff) as u8 } else { 0 };
            let command = [cmd::SET_CONF, code, (v & 0xff) as u8, high];
            return self.control(var, &command, |_| format!("set to {v}")).await;
        }
        let chars: Vec<char> = var.chars().collect();
        let mut pattern = chars.clone();
        if pattern.len() > 7 {
            pattern[7] = 'n';
        }
        let pattern: String = pattern.into_iter().collect::<String>().to_ascii_lowercase();
        let start = pattern == "outlet.n.delay.start";
        if start || pattern == "outlet.n.delay.shutdown" {
            if self.outlet_len <= 8 {
                return Ok(TrackingStatus::Invalid);
            }
            self.authorize().await?;
            let digit = chars.get(7).copied().unwrap_or('\0');
            let outlet = i64::from(u32::from(digit)) - i64::from(u32::from('0'));
            if !(1..=9).contains(&outlet) {
                return Ok(TrackingStatus::Invalid);
            }
            let sec = atoi(value);
            if !(-1..=0x7FFF).contains(&sec) {
                return Ok(TrackingStatus::Invalid);
            }
            let command = [
                cmd::SET_OUTLET,
                if start { 2 } else { 1 },
                outlet as u8,
                (sec & 0xff) as u8,
                ((sec >> 8) & 0xff) as u8,
            ];
            let what = if start { "start" } else { "shutdown" };
            return self
                .control(var, &command, |_| {
                    format!("Outlet {outlet} {what} delay set to {sec} sec")
                })
                .await;
        }
        Ok(TrackingStatus::Invalid)
    }
}
