//! `nutdrv_qx`: the Megatec "Q1" protocol family, Voltronic's QPI/QGS ([`voltronic`]) and
//! the other dialects C knows (bestups, mecer, voltronic-qs, voltronic-qs-hex,
//! masterguard, hunnox, ablerex; see [`dialect`] and [`special`]) on a serial line, a drop-in for C NUT 2.8.0's
//! `nutdrv_qx` (serial part).
//!
//! The device is probed as C probes it (see [`dialect`]): each dialect's table is tried
//! until one yields a valid status line (and identification, where required). Then the
//! table is walked: at start for everything ([`engine::WalkMode::Init`]), every
//! `pollinterval` for the status bits, and every `pollfreq` seconds (or after a command) for
//! every value. Status bits become `ups.status` words in C's order (`OL`/`OB`, `LB`,
//! `TRIM`/`BOOST`/`BYPASS` from the output/input voltage ratio, `CAL`, `FSD`), `ups.alarm`
//! and `ups.beeper.status`; the battery charge and runtime are estimated from the voltage
//! when the device gives neither ([`battery`]). Writable variables ([`setvar`]) are kept in
//! the driver or sent to the device, which must acknowledge them.
//!
//! ```
//! use nut_drivers::qx::NutdrvQx;
//! use nut_drivers::sim::{q1::Q1Dialect, ModelPort, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver = NutdrvQx::with_opener(ModelPort::opener(model.clone(), Q1Dialect::Megatec));
//! let mut state = DeviceState::new();
//! driver.open(&DriverParams::new("sim"), &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("driver.version.data"), Some("Megatec 0.06"));
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! model.lock().unwrap().mains_lost();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OB"));
//! # }
//! ```

pub mod ablerex;
pub mod battery;
pub mod bestups;
pub mod blazer;
pub mod dialect;
pub mod engine;
pub mod hunnox;
pub mod item;
pub mod legacy;
pub mod masterguard;
pub mod mecer;
pub mod port;
pub mod setvar;
pub mod special;
#[cfg(feature = "usb")]
pub mod usb;
pub mod voltronic;
pub mod voltronic_qs;
pub mod voltronic_qs_hex;

use std::io;

use async_trait::async_trait;
use tokio::time::{Duration, Instant};

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::c_strtol;
use nut_driver_api::DeviceState;

use crate::serial::SerialPort;
use battery::BatteryOptions;
use dialect::{Claim, Dialect};
use engine::{Engine, WalkMode};
use item::{Process, CMD, SKIP};
use port::QxPort;

/// The program name.
pub const DRIVER_NAME: &str = "nutdrv_qx";
/// The description printed in the banner (C's, as Debian builds it: USB and serial).
pub const DRIVER_DESCRIPTION: &str = "Generic Q* USB/Serial driver";
/// `driver.version.internal`: the C nutdrv_qx version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.32";
/// Seconds between full updates when `pollfreq` is not set.
pub const DEFAULT_POLLFREQ: u64 = 30;
/// How often C tries a thing before giving up.
const MAXTRIES: u32 = 3;

/// The USB options (after `idleload`, before `cablepower`, as C lists them).
fn usb_options() -> Vec<OptionSpec> {
    #[cfg(feature = "usb")]
    return usb::options(&usb::NUTDRV_QX);
    #[cfg(not(feature = "usb"))]
    Vec::new()
}

/// Opens the port named by the `port` setting.
pub type PortOpener = Box<dyn Fn(&str) -> io::Result<Box<dyn SerialPort>> + Send>;

/// Makes the USB opener a USB unit is looked for with (the system's libusb, or a test
/// double).
#[cfg(feature = "usb")]
pub type UsbOpenerFactory = Box<dyn Fn() -> Box<dyn crate::usb::transport::HidOpener> + Send>;

/// The nutdrv_qx driver. See the [module documentation](self).
pub struct NutdrvQx {
    opener: PortOpener,
    #[cfg(feature = "usb")]
    usb_opener: UsbOpenerFactory,
    port: Option<Box<dyn QxPort>>,
    engine: Option<Engine>,
    params: DriverParams,
    pollfreq: u64,
    last_full: Instant,
    retry: u32,
}

impl std::fmt::Debug for NutdrvQx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NutdrvQx")
            .field("dialect", &self.engine.as_ref().map(|e| e.dialect.version))
            .field("open", &self.port.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serial")]
impl Default for NutdrvQx {
    fn default() -> Self {
        Self::new()
    }
}

impl NutdrvQx {
    /// A driver that opens real serial ports (2400 bit/s, 8N1) with tokio-serial.
    #[cfg(feature = "serial")]
    pub fn new() -> Self {
        Self::with_opener(Box::new(|path: &str| {
            let port =
                crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(2400))?;
            Ok(Box::new(port) as Box<dyn SerialPort>)
        }))
    }

    /// A driver that opens its port with `opener` (a simulator, a test double); USB units
    /// (`port = auto`) are looked for with the system's libusb.
    pub fn with_opener(opener: PortOpener) -> Self {
        Self {
            opener,
            #[cfg(feature = "usb")]
            usb_opener: Box::new(|| Box::new(crate::usb::RusbOpener::new())),
            port: None,
            engine: None,
            params: DriverParams::default(),
            pollfreq: DEFAULT_POLLFREQ,
            last_full: Instant::now(),
            retry: 0,
        }
    }

    /// A driver that looks for USB units with the openers `usb_opener` makes (a test
    /// double, the USB emulator), and opens serial ports as [`new`](Self::new) does.
    #[cfg(feature = "usb")]
    pub fn with_usb_opener(usb_opener: UsbOpenerFactory) -> Self {
        Self {
            usb_opener,
            ..Self::new()
        }
    }

    /// The dialect found by [`open`](Driver::open).
    pub fn dialect(&self) -> Option<&Dialect> {
        self.engine.as_ref().map(|e| &e.dialect)
    }

    fn parts(&mut self) -> Result<(&mut Engine, &mut dyn QxPort), DriverError> {
        match (self.engine.as_mut(), self.port.as_mut()) {
            (Some(e), Some(p)) => Ok((e, p.as_mut())),
            _ => Err(DriverError::device("not opened")),
        }
    }

    /// Reads item `var` and publishes it: true when it gave a variable.
    async fn claim_item(
        engine: &mut Engine,
        port: &mut dyn QxPort,
        var: &str,
        state: &mut DeviceState,
    ) -> io::Result<bool> {
        let Some(idx) = engine.find(var, 0, 0) else {
            return Ok(false);
        };
        Ok(match engine.process(port, idx, None).await? {
            (_, Ok(raw)) => engine.infoval_set(idx, &raw, state) == Ok(true),
            _ => false,
        })
    }

    /// Tries one dialect (C's `claim`): `Ok(Some(engine))` when the device speaks it.
    async fn claim(
        port: &mut dyn QxPort,
        dialect: Dialect,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> io::Result<Option<Engine>> {
        let mut engine = Engine::new(dialect);
        engine.params = params.clone();
        if dialect.claim == Claim::Own {
            return Ok(special::claim(&mut engine, port, state)
                .await?
                .then_some(engine));
        }
        if dialect.claim == Claim::ProtocolThenStatus {
            if !Self::claim_item(&mut engine, port, "ups.firmware.aux", state).await? {
                return Ok(None);
            }
            if !Self::claim_item(&mut engine, port, "input.voltage", state).await? {
                state.delete("ups.firmware.aux");
                return Ok(None);
            }
            return Ok(Some(engine));
        }
        if !Self::claim_item(&mut engine, port, "input.voltage", state).await? {
            return Ok(None);
        }
        let ok = match dialect.claim {
            Claim::StatusAndVendor if !params.is_set("novendor") => {
                Self::claim_item(&mut engine, port, "ups.firmware", state).await?
            }
            Claim::StatusAndVar(var) => Self::claim_item(&mut engine, port, var, state).await?,
            Claim::StatusAndProtocolOrNak => match engine.find("ups.firmware.aux", 0, 0) {
                None => false,
                Some(idx) => match engine.process(port, idx, None).await? {
                    (_, Ok(raw)) => engine.infoval_set(idx, &raw, state) == Ok(true),
                    // Refused with exactly the "rejected" reply: a unit without QPI.
                    (reply, Err(_)) => {
                        let text = reply.split(|&b| b == 0).next().unwrap_or_default();
                        let nak = !text.is_empty()
                            && dialect
                                .rejected
                                .is_some_and(|r| text.eq_ignore_ascii_case(r.as_bytes()));
                        if nak {
                            engine.items[idx].flags |= SKIP;
                        }
                        nak
                    }
                },
            },
            _ => true,
        };
        if !ok {
            state.delete("input.voltage");
            return Ok(None);
        }
        Ok(Some(engine))
    }

    /// Opens the device: a USB unit when `port = auto` or a USB option is given (as C
    /// decides), else the serial port, with its modem lines set as `cablepower` says.
    async fn open_port(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<Box<dyn QxPort>, DriverError> {
        #[cfg(feature = "usb")]
        {
            let opener = (self.usb_opener)();
            // Debian's C build publishes it whatever the port.
            let _ = state.set("driver.version.usb", &opener.library_version());
            if usb::wants_usb(params) {
                let link = usb::UsbQx::open(opener, params, state).await?;
                return Ok(Box::new(link));
            }
        }
        #[cfg(not(feature = "usb"))]
        let _ = &state;
        let port = port::open_serial(&self.opener, params)?;
        tokio::time::sleep(port::SETTLE).await;
        Ok(Box::new(port))
    }

    /// C's `blazer_initups`: the `norating`, `novendor` and `ignoresab` flags skip items.
    fn apply_flags(engine: &mut Engine, params: &DriverParams) {
        let vendor_flags = engine.dialect.vendor_flags;
        let nr = vendor_flags && params.is_set("norating");
        let nv = vendor_flags && params.is_set("novendor");
        let isb = params.is_set("ignoresab");
        for item in &mut engine.items {
            let cmd = item.command;
            if (nr && cmd.eq_ignore_ascii_case("F\r"))
                || (nv && (cmd.eq_ignore_ascii_case("I\r") || cmd.eq_ignore_ascii_case("FW?\r")))
                || (isb && item.var == "ups.status" && item.from == 44 && item.to == 44)
            {
                item.flags |= SKIP;
            }
        }
    }

    /// Runs an instant command (C's `instcmd`).
    async fn run_cmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        let (engine, port) = match self.parts() {
            Ok(p) => p,
            Err(_) => return TrackingStatus::Failed,
        };
        let Some(idx) = engine.find(cmd, CMD, SKIP) else {
            tracing::debug!(cmd, "command unavailable");
            return TrackingStatus::Invalid;
        };
        let item = engine.items[idx].clone();
        tracing::info!("instcmd({cmd}, {})", param.unwrap_or("[NULL]"));
        let command = match item.process {
            Process::DelayCommand => {
                let off = state.value("ups.delay.shutdown").map(c_strtol).unwrap_or(0);
                let on = state.value("ups.delay.start").map(c_strtol).unwrap_or(0);
                match blazer::delay_command(item.var, item.command, off, on, param.unwrap_or("")) {
                    Some(c) => c,
                    None => {
                        tracing::error!("instcmd: FAILED");
                        return TrackingStatus::Failed;
                    }
                }
            }
            Process::Voltronic(_) => {
                match voltronic::process::command_text(engine, idx, param.unwrap_or(""), state) {
                    Some(c) => c,
                    None => {
                        tracing::error!("instcmd: FAILED");
                        return TrackingStatus::Failed;
                    }
                }
            }
            Process::Dialect(code) => {
                match special::command(engine, idx, code, param.unwrap_or(""), state) {
                    Some(c) => c,
                    None => {
                        tracing::error!("instcmd: FAILED");
                        return TrackingStatus::Failed;
                    }
                }
            }
            _ => item.command.to_owned(),
        };
        match engine.process(port, idx, Some(&command)).await {
            Ok((_, Ok(value))) => {
                let accepted = engine
                    .dialect
                    .accepted
                    .is_some_and(|a| value.eq_ignore_ascii_case(a));
                if value.is_empty() || accepted {
                    tracing::info!("instcmd: SUCCEED");
                    engine.data_changed = true;
                    TrackingStatus::Handled
                } else {
                    tracing::error!("instcmd: FAILED");
                    TrackingStatus::Failed
                }
            }
            Ok((_, Err(_))) | Err(_) => {
                tracing::error!("instcmd: FAILED");
                TrackingStatus::Failed
            }
        }
    }

    /// Changes a variable (C's `setvar`, see [`setvar`]).
    async fn run_set(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        match self.parts() {
            Ok((engine, port)) => engine.set_var(port, state, var, Some(value)).await,
            Err(_) => TrackingStatus::Failed,
        }
    }

    /// Publishes the driver-side delays and applies the `ondelay`/`offdelay` options.
    async fn init_delays(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        for (var, opt, what) in [
            ("ups.delay.start", "ondelay", "Start"),
            ("ups.delay.shutdown", "offdelay", "Shutdown"),
        ] {
            if state.get(var).is_none() {
                continue;
            }
            if let Some(v) = self.params.get(opt).map(str::to_owned) {
                if self.run_set(state, var, &v).await != TrackingStatus::Handled {
                    return Err(DriverError::config(format!(
                        "{what} delay '{v}' out of range"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Driver for NutdrvQx {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION)
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value("offdelay", "Set shutdown delay, in seconds (default=30)"),
            OptionSpec::value("ondelay", "Set startup delay, in seconds (default=180)"),
            OptionSpec::flag(
                "stayoff",
                "If invoked the UPS won't return after a shutdown when FSD arises",
            ),
            OptionSpec::value(
                "pollfreq",
                "Set polling frequency, in seconds, to reduce data flow (default=30)",
            ),
            OptionSpec::value(
                "protocol",
                "Preselect communication protocol (skip autodetection)",
            ),
            OptionSpec::value("runtimecal", "Parameters used for runtime calculation"),
            OptionSpec::value("chargetime", "Nominal charge time for UPS battery"),
            OptionSpec::value(
                "idleload",
                "Minimum load to be used for runtime calculation",
            ),
        ]
        .into_iter()
        .chain(usb_options())
        .chain([
            OptionSpec::value("cablepower", "Set cable power for serial interface"),
            OptionSpec::flag("norating", "Skip reading rating information from UPS"),
            OptionSpec::flag("novendor", "Skip reading vendor information from UPS"),
            OptionSpec::flag("ignoresab", "Ignore 'Shutdown Active' bit in UPS status"),
        ])
        .chain(voltronic::options())
        .chain([OptionSpec::value(
            bestups::PINS_OPTION,
            "Set shutdown mode functionality of Pin 1 and Pin 7 on the UPS DB9 \
             communication port (Per Best Power's EPS-0059) to n (integer, 0-6)",
        )])
        .chain(masterguard::options())
        .collect()
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        self.params = params.clone();
        let candidates =
            dialect::candidates(params.get("protocol")).map_err(DriverError::config)?;
        let mut port = self.open_port(params, state).await?;
        for d in candidates {
            for _ in 0..MAXTRIES {
                if let Some(mut engine) = Self::claim(port.as_mut(), d, params, state).await? {
                    tracing::info!("Using protocol: {}", d.version);
                    Self::apply_flags(&mut engine, params);
                    self.engine = Some(engine);
                    self.port = Some(port);
                    return Ok(());
                }
            }
        }
        Err(DriverError::device("Device not supported!"))
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let (engine, port) = self.parts()?;
        let _ = state.set("driver.version.data", engine.dialect.version);
        if !engine.walk(port, WalkMode::Init, state).await? {
            return Err(DriverError::device("Can't initialise data from the UPS"));
        }
        let opts = BatteryOptions {
            runtimecal: self.params.get("runtimecal").map(str::to_owned),
            chargetime: self.params.get("chargetime").map(str::to_owned),
            idleload: self.params.get("idleload").map(str::to_owned),
        };
        if let Some(e) = self.engine.as_mut() {
            e.battery.init(state, &opts)?;
        }
        self.init_delays(state).await?;
        self.pollfreq = match self.params.get("pollfreq") {
            Some(v) => u64::try_from(c_strtol(v)).unwrap_or(0),
            None => DEFAULT_POLLFREQ,
        };
        let _ = state.set("driver.parameter.pollfreq", &self.pollfreq.to_string());
        self.last_full = Instant::now();
        self.retry = 0;
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let due =
            Instant::now().duration_since(self.last_full) > Duration::from_secs(self.pollfreq);
        let (engine, port) = self.parts()?;
        let full = due || engine.data_changed;
        if full {
            engine.start_full();
        }
        let mode = if full {
            WalkMode::Full
        } else {
            WalkMode::Quick
        };
        let ok = engine.walk(port, mode, state).await?;
        if !ok {
            // C keeps the data "OK" for three failed polls before calling it stale.
            self.retry += 1;
            if self.retry <= MAXTRIES {
                tracing::debug!("Communications with the UPS lost: status read failed!");
                return Ok(());
            }
            return Err(DriverError::device(
                "Communications with the UPS lost: status read failed!",
            ));
        }
        if full {
            engine.data_changed = false;
            engine.commit_alarms(state);
        }
        engine.commit_status(state);
        if full {
            self.last_full = Instant::now();
        }
        if self.retry > MAXTRIES {
            tracing::info!("Communications with the UPS re-established");
        }
        self.retry = 0;
        Ok(())
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        let cmd = match cmd.to_ascii_lowercase().as_str() {
            "beeper.off" => {
                tracing::warn!("The 'beeper.off' command has been renamed to 'beeper.disable'");
                "beeper.disable".to_owned()
            }
            "beeper.on" => {
                tracing::warn!("The 'beeper.on' command has been renamed to 'beeper.enable'");
                "beeper.enable".to_owned()
            }
            other => other.to_owned(),
        };
        self.run_cmd(state, &cmd, param).await
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        // A device-side change asks for a full update (see `Engine::set_var`); a
        // driver-side variable does not, as in C.
        self.run_set(state, var, value).await
    }

    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let Some(engine) = self.engine.as_ref() else {
            return Err(DriverError::device("not opened"));
        };
        for var in ["ups.delay.start", "ups.delay.shutdown"] {
            let Some(idx) = engine.find(var, 0, SKIP) else {
                return Err(DriverError::device(format!("Unable to set {var}")));
            };
            let _ = state.set(var, engine.items[idx].format);
            engine.set_var_info(idx, state);
        }
        self.init_delays(state).await?;
        if self
            .engine
            .as_ref()
            .and_then(|e| e.find("shutdown.stop", CMD, SKIP))
            .is_some()
        {
            let mut stopped = false;
            for _ in 0..MAXTRIES {
                if self.run_cmd(state, "shutdown.stop", None).await == TrackingStatus::Handled {
                    stopped = true;
                    break;
                }
            }
            if !stopped {
                tracing::info!("No shutdown pending");
            }
        }
        let cmd = if self.params.is_set("stayoff") {
            "shutdown.stayoff"
        } else {
            "shutdown.return"
        };
        for _ in 0..MAXTRIES {
            if self.run_cmd(state, cmd, None).await == TrackingStatus::Handled {
                tracing::info!(
                    "Shutting down in {} seconds",
                    state.value("ups.delay.shutdown").unwrap_or("?")
                );
                return Ok(());
            }
        }
        Err(DriverError::device("Shutdown failed!"))
    }

    async fn close(&mut self) {
        self.port = None;
        self.engine = None;
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dialects;
