//! `blazer_ser` and `blazer_usb`: C NUT's older drivers for Megatec/Q1 UPSes, kept because
//! users' `ups.conf` sections name them, on the transports of `nutdrv_qx` (the serial line
//! of [`super::port::SerialQx`], the USB bridges of [`super::usb`]).
//!
//! They behave as C 2.8.0's: at start the protocol is found among megatec, mustek,
//! megatec/old and zinto (or taken from `protocol=`) by reading the status three times;
//! the ratings and the identification are read unless `norating`/`novendor`; the battery
//! charge is guessed from the voltage between `battery.voltage.low` and `.high` (given in
//! ups.conf, or guessed from the nominal voltage), or estimated over time with
//! `runtimecal` ([`parse::Model`]). `ondelay` is in minutes (0 to 9999, default 3),
//! `offdelay` in seconds (12 to 600, default 30). The variables, the ten instant commands
//! and the shutdown sequence (`-k`: stop a pending shutdown, then `S…R…`) are C's.
//!
//! ```
//! use nut_drivers::qx::legacy::{Blazer, Link};
//! use nut_drivers::sim::{q1::Q1Dialect, ModelPort, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver = Blazer::with_opener(ModelPort::opener(model.clone(), Q1Dialect::Megatec));
//! let mut state = DeviceState::new();
//! driver.open(&DriverParams::new("sim"), &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! assert_eq!(state.value("ups.delay.start"), Some("180"));
//! model.lock().unwrap().mains_lost();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OB"));
//! # }
//! ```

pub mod parse;

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::{c_strtol, StatusBuilder};
use nut_driver_api::DeviceState;

use super::battery::runtime_calibration;
use super::item::{c_strtod, printf_float};
use super::port::{open_serial, QxPort, SETTLE};
use super::PortOpener;
use parse::Model;

/// How often C tries a thing before giving up.
const MAXTRIES: u32 = 3;

/// The protocols, in C's probing order: name, status, ratings and identification commands.
const PROTOCOLS: [(&str, &str, &str, &str); 4] = [
    ("megatec", "Q1\r", "F\r", "I\r"),
    ("mustek", "QS\r", "F\r", "I\r"),
    ("megatec/old", "D\r", "F\r", "I\r"),
    ("zinto", "Q1\r", "F\r", "FW?\r"),
];

/// The instant commands sent as they are.
const FIXED_COMMANDS: [(&str, &str); 7] = [
    ("beeper.toggle", "Q\r"),
    ("load.off", "S00R0000\r"),
    ("load.on", "C\r"),
    ("shutdown.stop", "C\r"),
    ("test.battery.start.deep", "TL\r"),
    ("test.battery.start.quick", "T\r"),
    ("test.battery.stop", "CT\r"),
];

/// The instant commands, in C's order.
const COMMANDS: [&str; 10] = [
    "beeper.toggle",
    "load.off",
    "load.on",
    "shutdown.return",
    "shutdown.stayoff",
    "shutdown.stop",
    "test.battery.start",
    "test.battery.start.deep",
    "test.battery.start.quick",
    "test.battery.stop",
];

/// Which of the two drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// `blazer_ser`: a serial line at 2400 bit/s, modem lines as `cablepower` says.
    Serial,
    /// `blazer_usb`: a USB-to-serial bridge (cypress, phoenix, ippon, krauler).
    Usb,
}

impl Link {
    /// The program name.
    pub fn driver_name(self) -> &'static str {
        match self {
            Self::Serial => "blazer_ser",
            Self::Usb => "blazer_usb",
        }
    }
}

/// The blazer driver. See the [module documentation](self).
pub struct Blazer {
    link: Link,
    opener: PortOpener,
    #[cfg(feature = "usb")]
    usb_opener: super::UsbOpenerFactory,
    port: Option<Box<dyn QxPort>>,
    params: DriverParams,
    /// Minutes.
    ondelay: i64,
    /// Seconds, truncated to what the device can do.
    offdelay: i64,
    protocol: usize,
    model: Model,
    runtimecal: bool,
    last_poll: i64,
    retry: u32,
}

impl std::fmt::Debug for Blazer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blazer")
            .field("link", &self.link)
            .field("protocol", &PROTOCOLS[self.protocol].0)
            .field("open", &self.port.is_some())
            .finish_non_exhaustive()
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Blazer {
    /// `blazer_ser` on real serial ports (2400 bit/s, 8N1) with tokio-serial.
    pub fn serial() -> Self {
        Self::with_opener(Box::new(|path: &str| {
            let port =
                crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(2400))?;
            Ok(Box::new(port) as Box<dyn crate::serial::SerialPort>)
        }))
    }

    /// `blazer_ser` opening its port with `opener` (a simulator, a test double).
    pub fn with_opener(opener: PortOpener) -> Self {
        Self {
            link: Link::Serial,
            opener,
            #[cfg(feature = "usb")]
            usb_opener: Box::new(|| Box::new(crate::usb::RusbOpener::new())),
            port: None,
            params: DriverParams::default(),
            ondelay: 3,
            offdelay: 30,
            protocol: 0,
            model: Model::default(),
            runtimecal: false,
            last_poll: 0,
            retry: 0,
        }
    }

    /// `blazer_usb`, looking for its unit with the openers `usb_opener` makes (the system's
    /// libusb: [`crate::usb::RusbOpener`], the USB emulator, a test double).
    #[cfg(feature = "usb")]
    pub fn usb(usb_opener: super::UsbOpenerFactory) -> Self {
        Self {
            link: Link::Usb,
            usb_opener,
            ..Self::serial()
        }
    }

    /// The protocol found by [`identify`](Driver::identify) (`megatec`, `mustek`, …).
    pub fn protocol(&self) -> &'static str {
        PROTOCOLS[self.protocol].0
    }

    async fn command(&mut self, cmd: &str) -> Result<Option<Vec<u8>>, DriverError> {
        let port = self
            .port
            .as_mut()
            .ok_or_else(|| DriverError::device("not opened"))?;
        Ok(port.command(cmd).await?)
    }

    /// C's `blazer_status`: reads the status with `cmd` and commits `ups.status`.
    async fn status(&mut self, cmd: &str, state: &mut DeviceState) -> Result<bool, DriverError> {
        let reply = self.command(cmd).await?.unwrap_or_default();
        let mut status = StatusBuilder::new();
        match self
            .model
            .status(&reply, self.runtimecal, state, &mut status)
        {
            Ok(()) => {
                status.commit(state);
                Ok(true)
            }
            Err(e) => {
                tracing::debug!("status: {e}");
                Ok(false)
            }
        }
    }

    /// Reads the ratings or the identification, up to three times.
    async fn read_info(
        &mut self,
        rating: bool,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        let (_, _, f, i) = PROTOCOLS[self.protocol];
        let what = if rating { "Rating" } else { "Vendor" };
        for retry in 1..=MAXTRIES {
            let reply = self
                .command(if rating { f } else { i })
                .await?
                .unwrap_or_default();
            let read = if rating {
                self.model.rating(&reply, state)
            } else {
                parse::vendor(&reply, state)
            };
            match read {
                Ok(()) => {
                    if rating {
                        tracing::debug!("Ratings read in {retry} tries");
                    } else {
                        tracing::info!("Vendor information read in {retry} tries");
                    }
                    return Ok(());
                }
                Err(e) => {
                    tracing::debug!("{what}: {e}");
                    tracing::debug!("{what} read {retry} failed");
                }
            }
        }
        tracing::debug!("{what} information unavailable");
        Ok(())
    }

    /// C's `blazer_initbattery`: the voltage limits of the charge guess, and the runtime
    /// calibration.
    fn init_battery(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let m = &mut self.model;
        if m.volt_nom != 1.0 && (m.volt_high == -1.0 || m.volt_low == -1.0) {
            tracing::info!("No values provided for battery high/low voltages in ups.conf");
            m.volt_low = 104.0 * m.volt_nom / 120.0;
            m.volt_high = 130.0 * m.volt_nom / 120.0;
            let _ = state.set("battery.voltage.low", &printf_float("%.2f", m.volt_low));
            let _ = state.set("battery.voltage.high", &printf_float("%.2f", m.volt_high));
            tracing::info!(
                "Using 'guestimation' (low: {}, high: {})!",
                printf_float("%f", m.volt_low),
                printf_float("%f", m.volt_high)
            );
        }
        let Some(cal) = self.params.get("runtimecal").map(str::to_owned) else {
            tracing::info!("Battery runtime will not be calculated (runtimecal not set)");
            return Ok(());
        };
        self.last_poll = now_secs();
        let m = &mut self.model;
        (m.runtime_exponent, m.runtime_nominal) = runtime_calibration(&cal)?;
        tracing::debug!("battery runtime exponent : {:.3}", m.runtime_exponent);
        tracing::debug!("battery runtime nominal  : {:.1}", m.runtime_nominal);
        if m.charge < 0.0 {
            m.volt_low = m.volt_nom;
            m.volt_high = 1.15 * m.volt_nom;
            // C feeds the published (already multiplied) voltage back in.
            let v = state.value("battery.voltage").map_or(0.0, c_strtod);
            m.battery(v, true, state);
        }
        let Some(charge) = state.value("battery.charge").map(c_strtod) else {
            return Err(DriverError::config("Initial battery charge undetermined"));
        };
        let m = &mut self.model;
        m.runtime_estimate = m.runtime_nominal * charge / 100.0;
        match self.params.get("chargetime") {
            Some(v) => {
                m.charge_time = c_strtol(v);
                if m.charge_time <= 0 {
                    return Err(DriverError::config("Charge time out of range [1..s]"));
                }
            }
            None => tracing::info!(
                "No charge time specified, using built in default [{} seconds]",
                m.charge_time
            ),
        }
        match self.params.get("idleload") {
            Some(v) => {
                m.load_low = c_strtod(v) / 100.0;
                if m.load_low <= 0.0 || m.load_low > 1.0 {
                    return Err(DriverError::config("Idle load out of range [0..100]"));
                }
            }
            None => tracing::info!(
                "No idle load specified, using built in default [{:.1} %]",
                100.0 * m.load_low
            ),
        }
        Ok(())
    }

    /// The `S…` command of a shutdown (C's `shutdown.return` and `shutdown.stayoff`).
    fn shutdown_command(&self, stayoff: bool) -> String {
        let off = if self.offdelay < 60 {
            format!(".{}", self.offdelay / 6)
        } else {
            format!("{:02}", self.offdelay / 60)
        };
        if stayoff {
            format!("S{off}R0000\r")
        } else if self.ondelay == 0 {
            format!("S{off}\r")
        } else {
            format!("S{off}R{:04}\r", self.ondelay)
        }
    }

    /// C's `blazer_instcmd`.
    async fn run_cmd(&mut self, cmd: &str, param: Option<&str>) -> CommandResult {
        tracing::info!("instcmd({cmd}, {})", param.unwrap_or("[NULL]"));
        let lower = cmd.to_ascii_lowercase();
        let text = if let Some((_, text)) = FIXED_COMMANDS.iter().find(|(c, _)| *c == lower) {
            (*text).to_owned()
        } else {
            match lower.as_str() {
                "shutdown.return" => self.shutdown_command(false),
                "shutdown.stayoff" => self.shutdown_command(true),
                "test.battery.start" => {
                    let delay = param.map_or(10, c_strtol);
                    if !(1..=99).contains(&delay) {
                        tracing::error!(
                            "instcmd: command [{cmd}] failed, delay [{}] out of range",
                            param.unwrap_or("(null)")
                        );
                        return TrackingStatus::Failed;
                    }
                    format!("T{delay:02}\r")
                }
                _ => {
                    tracing::error!("instcmd: command [{cmd}] not found");
                    return TrackingStatus::Unknown;
                }
            }
        };
        // An invalid command is echoed back; `ACK` or `(ACK` means done. No reply at all
        // counts as done too, as in C.
        match self.command(&text).await {
            Ok(Some(reply)) if !reply.is_empty() => {
                if !reply.starts_with(b"ACK") && !reply.starts_with(b"(ACK") {
                    tracing::error!("instcmd: command [{cmd}] failed");
                    return TrackingStatus::Failed;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!("instcmd: command [{cmd}] failed: {e}");
                return TrackingStatus::Failed;
            }
        }
        tracing::info!("instcmd: command [{cmd}] handled");
        TrackingStatus::Handled
    }

    /// Opens the serial port or finds the USB unit.
    async fn open_port(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<Box<dyn QxPort>, DriverError> {
        #[cfg(feature = "usb")]
        if self.link == Link::Usb {
            let opener = (self.usb_opener)();
            let _ = state.set("driver.version.usb", &opener.library_version());
            let link =
                super::usb::UsbQx::open_for(opener, params, state, &super::usb::BLAZER_USB).await?;
            return Ok(Box::new(link));
        }
        let _ = &state;
        let port = open_serial(&self.opener, params)?;
        tokio::time::sleep(SETTLE).await;
        Ok(Box::new(port))
    }
}

/// `blazer_usb`'s own options (before the common ones).
fn usb_options() -> Vec<OptionSpec> {
    #[cfg(feature = "usb")]
    return super::usb::options(&super::usb::BLAZER_USB);
    #[cfg(not(feature = "usb"))]
    Vec::new()
}

#[async_trait]
impl Driver for Blazer {
    fn info(&self) -> DriverInfo {
        match self.link {
            Link::Serial => DriverInfo::new(
                self.link.driver_name(),
                "Megatec/Q1 protocol serial driver",
                "1.58",
            ),
            Link::Usb => DriverInfo::new(
                self.link.driver_name(),
                "Megatec/Q1 protocol USB driver",
                "0.14",
            ),
        }
    }

    fn options(&self) -> Vec<OptionSpec> {
        let own = match self.link {
            Link::Serial => vec![OptionSpec::value(
                "cablepower",
                "Set cable power for serial interface",
            )],
            Link::Usb => usb_options(),
        };
        own.into_iter()
            .chain([
                OptionSpec::value("ondelay", "Delay before UPS startup (minutes)"),
                OptionSpec::value("offdelay", "Delay before UPS shutdown (seconds)"),
                OptionSpec::value("runtimecal", "Parameters used for runtime calculation"),
                OptionSpec::value("chargetime", "Nominal charge time for UPS battery"),
                OptionSpec::value(
                    "idleload",
                    "Minimum load to be used for runtime calculation",
                ),
                OptionSpec::flag("norating", "Skip reading rating information from UPS"),
                OptionSpec::flag("novendor", "Skip reading vendor information from UPS"),
                // A flag in C's table too, though it takes a value.
                OptionSpec::flag(
                    "protocol",
                    "Preselect communication protocol (skip autodetection)",
                ),
            ])
            .collect()
    }

    /// C's `upsdrv_initups`: the port, and the delays checked and truncated.
    async fn open(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        self.params = params.clone();
        self.ondelay = params.get("ondelay").map_or(3, c_strtol);
        self.offdelay = params.get("offdelay").map_or(30, c_strtol);
        let port = self.open_port(params, state).await?;
        if !(0..=9999).contains(&self.ondelay) {
            return Err(DriverError::config(format!(
                "Start delay '{}' out of range [0..9999]",
                self.ondelay
            )));
        }
        if !(12..=600).contains(&self.offdelay) {
            return Err(DriverError::config(format!(
                "Shutdown delay '{}' out of range [12..600]",
                self.offdelay
            )));
        }
        self.offdelay -= self.offdelay % if self.offdelay < 60 { 6 } else { 60 };
        self.model = Model::default();
        if let Some(v) = state.value("battery.voltage.high") {
            self.model.volt_high = c_strtod(v);
        }
        if let Some(v) = state.value("battery.voltage.low") {
            self.model.volt_low = c_strtod(v);
        }
        self.runtimecal = params.get("runtimecal").is_some();
        self.retry = 0;
        self.port = Some(port);
        Ok(())
    }

    /// C's `blazer_initinfo`: the protocol, ratings, identification, battery model,
    /// delays and commands.
    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        tracing::warn!(
            "Please note that this driver is deprecated and will not receive new \
             development. If it works for managing your devices - fine, but if you are \
             running it to try setting up a new device, please consider the newer nutdrv_qx \
             instead, which should handle all 'Qx' protocol variants for NUT."
        );
        let wanted = self.params.get("protocol").map(str::to_owned);
        let mut found = None;
        for (i, (name, cmd, _, _)) in PROTOCOLS.iter().enumerate() {
            if wanted
                .as_deref()
                .is_some_and(|w| !w.eq_ignore_ascii_case(name))
            {
                tracing::debug!("Skipping {name} protocol...");
                continue;
            }
            tracing::debug!("Trying {name} protocol...");
            for retry in 1..=MAXTRIES {
                if self.status(cmd, state).await? {
                    tracing::debug!("Status read in {retry} tries");
                    found = Some(i);
                    break;
                }
                tracing::debug!("Status read {retry} failed");
            }
            if found.is_some() {
                tracing::info!("Supported UPS detected with {name} protocol");
                break;
            }
        }
        let Some(protocol) = found else {
            return Err(DriverError::config("No supported UPS detected"));
        };
        self.protocol = protocol;
        if !self.params.is_set("norating") {
            self.read_info(true, state).await?;
        }
        if !self.params.is_set("novendor") {
            self.read_info(false, state).await?;
        }
        self.init_battery(state)?;
        let _ = state.set("ups.delay.start", &(60 * self.ondelay).to_string());
        let _ = state.set("ups.delay.shutdown", &self.offdelay.to_string());
        for cmd in COMMANDS {
            let _ = state.add_cmd(cmd);
        }
        Ok(())
    }

    /// C's `upsdrv_updateinfo`: the status, and the runtime estimate with `runtimecal`.
    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let cmd = PROTOCOLS[self.protocol].1;
        if !self.status(cmd, state).await? {
            // C keeps the data "OK" through four failed polls before calling it stale.
            self.retry += 1;
            if self.retry <= MAXTRIES {
                tracing::debug!("Communications with UPS lost: status read failed!");
                return Ok(());
            }
            if self.retry == MAXTRIES + 1 {
                tracing::warn!("Communications with UPS lost: status read failed!");
                return Ok(());
            }
            return Err(DriverError::device(
                "Communications with UPS lost: status read failed!",
            ));
        }
        if self.runtimecal {
            let now = now_secs();
            let elapsed = (now - self.last_poll) as f64;
            let m = &mut self.model;
            if m.online {
                m.runtime_estimate += m.runtime_nominal * elapsed / m.charge_time as f64;
                m.runtime_estimate = m.runtime_estimate.min(m.runtime_nominal);
            } else {
                m.runtime_estimate -= m.load_effective * elapsed;
                m.runtime_estimate = m.runtime_estimate.max(0.0);
            }
            let charge = 100.0 * m.runtime_estimate / m.runtime_nominal;
            let runtime = m.runtime_estimate / m.load_effective;
            let _ = state.set("battery.charge", &printf_float("%.0f", charge));
            let _ = state.set("battery.runtime", &printf_float("%.0f", runtime));
            self.last_poll = now;
        }
        if self.retry > MAXTRIES {
            tracing::info!("Communications with UPS re-established");
        }
        self.retry = 0;
        Ok(())
    }

    async fn instcmd(
        &mut self,
        _state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        self.run_cmd(cmd, param).await
    }

    /// C's `upsdrv_shutdown`: stop a pending shutdown, then `shutdown.return`.
    async fn shutdown(&mut self, _state: &mut DeviceState) -> Result<(), DriverError> {
        let mut stopped = false;
        for _ in 0..MAXTRIES {
            if self.run_cmd("shutdown.stop", None).await == TrackingStatus::Handled {
                stopped = true;
                break;
            }
        }
        if !stopped {
            tracing::info!("No shutdown pending");
        }
        for _ in 0..MAXTRIES {
            if self.run_cmd("shutdown.return", None).await == TrackingStatus::Handled {
                tracing::info!("Shutting down in {} seconds", self.offdelay);
                return Ok(());
            }
        }
        Err(DriverError::device("Shutdown failed!"))
    }

    async fn close(&mut self) {
        self.port = None;
    }
}

#[cfg(test)]
mod tests;
