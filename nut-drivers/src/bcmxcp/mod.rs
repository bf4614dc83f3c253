//! `bcmxcp`: Eaton/Powerware UPSes speaking BCM/XCP on a serial line, a drop-in for C NUT
//! 2.8.0's `bcmxcp` (0.32, serial subdriver 0.21).
//!
//! Start-up follows C: the line speed (`-x baud_rate`, else 19200, 9600, 4800, 2400 and
//! 1200 in turn) is found by sending ESC, the authorization command and the request-only
//! mode command (the identification request when that is not answered). Then the
//! identification block gives the firmware, rating, phases, model and the maps of the
//! meters and alarms the unit has; the outlet, configuration, limits, command list and
//! topology blocks give the rest; the unit lists the settings it lets a client change
//! (`tables::conf_var`) and, when it has the system test command, its tests.
//!
//! Every poll reads the meter block (each meter of the meter map that has a NUT name), the
//! outlets, the current alarms (`ups.alarm`, by their C names), the status block
//! (`ups.status`), the battery block (`ups.test.result`, `battery.charger.status`), the
//! limits and the configuration block. Every control command (instant commands, SETs) is
//! preceded by the authorization command and a two-second pause, as in C.
//!
//! The frames themselves are in [`frame`] (sans I/O); the tables in [`tables`].
//!
//! `bcmxcp_usb` is this driver on USB (`Bcmxcp::usb`, feature `usb`, the transport in
//! `usb`): no line speed to find, the unit is opened by its ids, and C's USB subdriver's
//! ways are kept (five tries of a command, a two-second pause before the reply to a command
//! with parameters, replies assembled from interrupt reads as C assembles them).
//!
//! ```
//! use nut_drivers::bcmxcp::Bcmxcp;
//! use nut_drivers::sim::{bcmxcp, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver = Bcmxcp::with_opener(bcmxcp::opener(model.clone()));
//! let mut state = DeviceState::new();
//! let params = DriverParams::new("sim").with_option("baud_rate", Some("9600"));
//! driver.open(&params, &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! assert_eq!(state.value("ups.model"), Some("PW5125     1500i"));
//! model.lock().unwrap().mains_lost();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("ALARM OB"));
//! # }
//! ```

mod commands;
pub mod frame;
pub mod tables;
#[cfg(feature = "usb")]
pub mod usb;

use std::io;

use async_trait::async_trait;
use tokio::time::{sleep, timeout_at, Duration, Instant};

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::{c_strtol, StatusBuilder};
use nut_driver_api::DeviceState;

use crate::serial::SerialPort;
use frame::{byte, command_frame, word, IdBlock, ReplyReader, Step};
use tables::{cmd, conf, ret, ALARMS, ALARM_MAP_MAX, METER_MAP_MAX};

/// The program name.
pub const DRIVER_NAME: &str = "bcmxcp";
/// The description printed in the banner (C's).
pub const DRIVER_DESCRIPTION: &str = "BCMXCP UPS driver";
/// `driver.version.internal`: the C bcmxcp version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.32";

/// The line speeds tried, in order.
pub const BAUD_RATES: [u32; 5] = [19200, 9600, 4800, 2400, 1200];

/// Opens the port at a line speed: `(port, baud)`.
pub type BaudOpener = Box<dyn Fn(&str, u32) -> io::Result<Box<dyn SerialPort>> + Send>;

/// How long C waits for each byte of a reply.
const BYTE_TIMEOUT: Duration = Duration::from_secs(1);
/// C's pause after the authorization command.
const AUTH_PAUSE: Duration = Duration::from_secs(2);
/// Tries of one command.
const MAX_TRY: usize = 3;
/// The escape character that takes a unit out of its menu.
pub const ESC: u8 = 0x1d;

/// A transport other than the serial line (`bcmxcp_usb`'s): it opens the unit, sends
/// frames and runs a command's exchange with its own retries.
#[async_trait]
trait XcpLink: Send {
    /// The program name of the driver on this transport.
    fn name(&self) -> &'static str;
    /// Finds and opens the unit.
    async fn open(&mut self) -> Result<(), DriverError>;
    /// Sends one frame, without waiting for a reply.
    async fn send(&mut self, frame: &[u8]) -> Result<(), DriverError>;
    /// Sends `command` and reads its reply's data; `None` when no good reply came.
    async fn exchange(&mut self, command: &[u8]) -> Result<Option<Vec<u8>>, DriverError>;
    /// Lets the unit go.
    fn close(&mut self);
}

/// The bcmxcp driver. See the [module documentation](self).
pub struct Bcmxcp {
    /// The transport when it is not the serial line.
    link: Option<Box<dyn XcpLink>>,
    opener: BaudOpener,
    port: Option<Box<dyn SerialPort>>,
    pending: Vec<u8>,
    params: DriverParams,
    shutdown_delay: u32,
    phases: u8,
    /// Format and offset in the meter block of each meter.
    meters: Vec<(u8, usize)>,
    /// Position in the alarm block of each alarm the unit has.
    alarms: Vec<Option<usize>>,
    commands: Vec<u8>,
    outlet_len: u16,
    topology_mask: u8,
    replace_battery: bool,
}

impl std::fmt::Debug for Bcmxcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bcmxcp")
            .field("open", &self.port.is_some())
            .field("phases", &self.phases)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serial")]
impl Default for Bcmxcp {
    fn default() -> Self {
        Self::new()
    }
}

/// C's `atoi`, saturated to `i32`.
fn atoi(text: &str) -> i64 {
    c_strtol(text).clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}

impl Bcmxcp {
    /// A driver that opens real serial ports (8N1) with tokio-serial.
    #[cfg(feature = "serial")]
    pub fn new() -> Self {
        Self::with_opener(Box::new(|path: &str, baud: u32| {
            let port =
                crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(baud))?;
            Ok(Box::new(port) as Box<dyn SerialPort>)
        }))
    }

    /// A driver that opens its port with `opener` (a simulator, a test double).
    pub fn with_opener(opener: BaudOpener) -> Self {
        Self {
            link: None,
            opener,
            port: None,
            pending: Vec::new(),
            params: DriverParams::default(),
            shutdown_delay: 120,
            phases: 0,
            meters: vec![(0, 0); METER_MAP_MAX],
            alarms: vec![None; ALARM_MAP_MAX],
            commands: Vec::new(),
            outlet_len: 0,
            topology_mask: 0,
            replace_battery: false,
        }
    }

    /// `bcmxcp_usb`: the driver on the system's libusb.
    #[cfg(feature = "usb")]
    pub fn usb() -> Self {
        Self::on_link(Box::new(usb::UsbLink::new()))
    }

    /// `bcmxcp_usb` on another USB implementation (the emulator's, a test double).
    #[cfg(feature = "usb")]
    pub fn usb_with_opener(opener: Box<dyn crate::usb::transport::HidOpener>) -> Self {
        Self::on_link(Box::new(usb::UsbLink::with_opener(opener)))
    }

    #[cfg(feature = "usb")]
    fn on_link(link: Box<dyn XcpLink>) -> Self {
        let mut driver = Self::with_opener(Box::new(|_: &str, _: u32| {
            Err(io::Error::other("not a serial driver"))
        }));
        driver.link = Some(link);
        driver
    }

    fn port(&mut self) -> Result<&mut Box<dyn SerialPort>, DriverError> {
        self.port
            .as_mut()
            .ok_or_else(|| DriverError::device("not opened"))
    }

    async fn send(&mut self, command: &[u8]) -> Result<(), DriverError> {
        let frame = command_frame(command);
        tracing::trace!("send_command: {frame:02x?}");
        if let Some(link) = self.link.as_mut() {
            return link.send(&frame).await;
        }
        Ok(self.port()?.write_all(&frame).await?)
    }

    fn flush_input(&mut self) -> Result<(), DriverError> {
        self.pending.clear();
        Ok(self.port()?.discard_input()?)
    }

    /// One byte of the device, or `None` after a second of silence.
    async fn read_byte(&mut self) -> Result<Option<u8>, DriverError> {
        if self.pending.is_empty() {
            let deadline = Instant::now() + BYTE_TIMEOUT;
            let mut buf = [0u8; 256];
            let port = self.port()?;
            match timeout_at(deadline, port.read_some(&mut buf)).await {
                Err(_) => return Ok(None),
                Ok(Ok(0)) => {
                    return Err(
                        io::Error::new(io::ErrorKind::UnexpectedEof, "serial port closed").into(),
                    )
                }
                Ok(Ok(n)) => self.pending.extend_from_slice(&buf[..n]),
                Ok(Err(e)) => return Err(e.into()),
            }
        }
        Ok(Some(self.pending.remove(0)))
    }

    /// The reply to `command` (C's `get_answer`): its data, or `None` when it is missing or bad.
    async fn answer(&mut self, command: u8) -> Result<Option<Vec<u8>>, DriverError> {
        let mut reader = ReplyReader::new(command);
        loop {
            let Some(b) = self.read_byte().await? else {
                tracing::debug!("receive error: no reply to {command:#04x}");
                return Ok(None);
            };
            match reader.push(b) {
                Step::NeedMore => {}
                Step::Done(data) => return Ok(Some(data)),
                Step::Failed(e) => {
                    tracing::debug!("receive error: {e}");
                    return Ok(None);
                }
            }
        }
    }

    /// Sends `command` and reads its reply, up to three times (C's `command_sequence`).
    async fn exchange(&mut self, command: &[u8]) -> Result<Option<Vec<u8>>, DriverError> {
        if let Some(link) = self.link.as_mut() {
            return link.exchange(command).await;
        }
        for attempt in 1..=MAX_TRY {
            if attempt == MAX_TRY {
                self.flush_input()?;
            }
            self.send(command).await?;
            if let Some(data) = self.answer(command[0]).await? {
                if !data.is_empty() {
                    return Ok(Some(data));
                }
            }
        }
        tracing::debug!("error executing command {:#04x}", command[0]);
        Ok(None)
    }

    /// The authorization command and C's pause after it.
    async fn authorize(&mut self) -> Result<(), DriverError> {
        self.send(&tables::AUTHOR).await?;
        sleep(AUTH_PAUSE).await;
        Ok(())
    }

    async fn required(&mut self, command: u8) -> Result<Vec<u8>, DriverError> {
        self.exchange(&[command])
            .await?
            .ok_or_else(|| DriverError::device("Could not communicate with the ups"))
    }

    /// Tries to reach the unit at `baud`.
    async fn try_baud(&mut self, baud: u32) -> Result<bool, DriverError> {
        self.port = None;
        self.pending.clear();
        self.port = Some((self.opener)(&self.params.port, baud)?);
        self.port()?.write_all(&[ESC]).await?;
        sleep(Duration::from_millis(90)).await;
        self.send(&tables::AUTHOR).await?;
        sleep(Duration::from_millis(500)).await;
        if self.exchange(&[cmd::REQ_ONLY_MODE]).await?.is_some() {
            return Ok(true);
        }
        sleep(Duration::from_millis(500)).await;
        Ok(self.exchange(&[cmd::ID_BLOCK]).await?.is_some())
    }

    async fn comm_setup(&mut self) -> Result<(), DriverError> {
        let port = self.params.port.clone();
        if let Some(v) = self.params.get("baud_rate").map(str::to_owned) {
            let br = atoi(&v);
            if br < 0 {
                // C goes on with the port as it opened it, without a word to the unit.
                tracing::error!("baud_rate option is invalid");
                self.port = Some((self.opener)(&port, BAUD_RATES[0])?);
                return Ok(());
            }
            let Some(&baud) = BAUD_RATES.iter().find(|&&b| i64::from(b) == br) else {
                return Err(DriverError::config(format!(
                    "Specified baudrate \"{v}\" is invalid!"
                )));
            };
            if self.try_baud(baud).await? {
                tracing::info!("Connected to UPS on {port} with baudrate {baud}");
                return Ok(());
            }
            tracing::error!("No response from UPS on {port} with baudrate {baud}");
        }
        tracing::info!("Attempting to autodect baudrate");
        for baud in BAUD_RATES {
            if self.try_baud(baud).await? {
                tracing::info!("Connected to UPS on {port} with baudrate {baud}");
                return Ok(());
            }
            tracing::debug!("No response from UPS on {port} with baudrate {baud}");
        }
        Err(DriverError::device(format!(
            "Can't connect to the UPS on port {port}!"
        )))
    }

    /// Reads the outlet block into `outlet.N.*`; the number of outlets.
    async fn outlets(&mut self, state: &mut DeviceState) -> Result<u8, DriverError> {
        let a = self.required(cmd::OUTLET_BLOCK).await?;
        let count = byte(&a, 0);
        let mut i = 2usize;
        for n in 1..=count {
            let _ = state.set(&format!("outlet.{n}.id"), &byte(&a, i).to_string());
            let st = byte(&a, i + 1);
            if (1..9).contains(&st) {
                let _ = state.set(
                    &format!("outlet.{n}.status"),
                    tables::OUTLET_STATUS[usize::from(st)],
                );
            }
            for (k, name) in [(2, "shutdown"), (4, "start")] {
                let var = format!("outlet.{n}.delay.{name}");
                let _ = state.set(&var, &word(&a, i + k).to_string());
                state.set_flags(&var, true, true, false);
                state.set_aux(&var, 5);
            }
            i += 6;
        }
        Ok(count)
    }

    fn set_nonzero(state: &mut DeviceState, var: &str, value: u16) {
        if value != 0 {
            let _ = state.set(var, &value.to_string());
        }
    }

    async fn config(&mut self, state: &mut DeviceState, initial: bool) -> Result<(), DriverError> {
        let a = if initial {
            self.required(cmd::CONFIG_BLOCK).await?
        } else {
            match self.exchange(&[cmd::CONFIG_BLOCK]).await? {
                Some(a) => a,
                None => {
                    tracing::debug!("Failed to read CONF BLOCK from UPS");
                    return Ok(());
                }
            }
        };
        if initial {
            self.topology_mask = byte(&a, 16);
        }
        Self::set_nonzero(state, "output.voltage.nominal", word(&a, 8));
        if initial {
            Self::set_nonzero(state, "output.frequency.nominal", word(&a, 10));
        }
        Self::set_nonzero(state, "battery.packs", u16::from(byte(&a, 26)));
        if initial {
            for (at, var) in [(64, "ups.serial"), (48, "device.part")] {
                let text: Vec<u8> = a
                    .iter()
                    .skip(at)
                    .take(16)
                    .take_while(|&&b| b != 0)
                    .copied()
                    .collect();
                if !text.is_empty() {
                    let text =
                        nut_driver_api::proto::names::Value::lossy(&String::from_utf8_lossy(&text));
                    let _ = state.set(var, text.as_str());
                }
            }
        }
        Ok(())
    }

    fn limits(&mut self, a: &[u8], state: &mut DeviceState, initial: bool) {
        Self::set_nonzero(state, "input.voltage.nominal", word(a, 0));
        if initial {
            let fnom = word(a, 2);
            if fnom != 0 {
                let _ = state.set("input.frequency.nominal", &fnom.to_string());
                let dev = word(a, 8) / 100;
                if word(a, 8) != 0 {
                    let _ = state.set("input.frequency.low", &fnom.wrapping_sub(dev).to_string());
                    let _ = state.set("input.frequency.high", &fnom.wrapping_add(dev).to_string());
                }
            }
        }
        Self::set_nonzero(state, "input.transfer.boost.high", word(a, 10));
        Self::set_nonzero(state, "input.transfer.trim.low", word(a, 12));
        if initial {
            let lowbatt = u32::from(byte(a, 16)) * 60;
            if self.shutdown_delay > lowbatt {
                tracing::warn!(
                    "Shutdown delay longer than battery capacity when Low Battery warning is given. (max {lowbatt} seconds)"
                );
            }
        }
        if let Some(horn) = tables::HORN_STATUS.get(usize::from(byte(a, 17))) {
            let _ = state.set("ups.beeper.status", horn);
        }
        Self::set_nonzero(state, "input.transfer.low", word(a, 18));
        Self::set_nonzero(state, "input.transfer.high", word(a, 20));
        if initial {
            Self::set_nonzero(state, "ambient.temperature.low", u16::from(byte(a, 25)));
        }
        Self::set_nonzero(state, "ambient.temperature.high", u16::from(byte(a, 26)));
        Self::set_nonzero(state, "battery.energysave.load", u16::from(byte(a, 29)));
        Self::set_nonzero(state, "battery.energysave.delay", u16::from(byte(a, 30)));
        Self::set_nonzero(state, "battery.runtime.low", u16::from(byte(a, 16)));
        Self::set_nonzero(state, "input.transfer.delay", word(a, 22));
        Self::set_nonzero(state, "battery.charge.restart", u16::from(byte(a, 24)));
    }

    async fn command_list(
        &mut self,
        size: u16,
        state: &mut DeviceState,
    ) -> Result<bool, DriverError> {
        let Some(a) = self.exchange(&[cmd::COMMAND_LIST]).await? else {
            tracing::debug!("No command list block.");
            return Ok(false);
        };
        let count = usize::from(byte(&a, 0));
        if count + 2 != usize::from(size) {
            tracing::debug!("Invalid response received from Command List block");
            return Ok(false);
        }
        let mut known = [false; 256];
        for k in 0..count {
            let c = byte(&a, 2 + k);
            // C keeps the bytes below 0xD0 (its command map).
            if c < 0xD0 {
                known[usize::from(c)] = true;
            }
        }
        self.commands = (0..=255u8).filter(|&c| known[usize::from(c)]).collect();
        for &c in &self.commands {
            if let Some(name) = tables::command_name(c) {
                let _ = state.add_cmd(name);
            }
        }
        Ok(true)
    }

    async fn system_tests(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.authorize().await?;
        let Some(a) = self.exchange(&[cmd::SYSTEM_TEST, 0xFF]).await? else {
            tracing::error!("Short read from UPS");
            return Ok(());
        };
        if byte(&a, 0) != ret::ACCEPTED {
            tracing::debug!("System test capabilities list not supported");
            return Ok(());
        }
        for &code in a.iter().skip(3) {
            if let Some(name) = tables::system_test_name(code) {
                let _ = state.add_cmd(name);
            }
        }
        Ok(())
    }

    async fn ext_vars(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.authorize().await?;
        let a = self
            .exchange(&[cmd::SET_CONF, conf::REQ, 0, 0])
            .await?
            .ok_or_else(|| DriverError::device("Could not communicate with the ups"))?;
        if a.len() < 4 {
            return Ok(());
        }
        for &code in &a[3..] {
            if code == conf::BEEPER {
                for c in ["beeper.disable", "beeper.enable", "beeper.mute"] {
                    let _ = state.add_cmd(c);
                }
            } else if let Some((var, aux)) = tables::conf_var(code) {
                let _ = state.set(var, "0");
                state.set_flags(var, true, true, false);
                state.set_aux(var, aux);
            }
        }
        Ok(())
    }

    fn ups_load(&self, a: &[u8]) -> Option<f32> {
        use tables::meter::*;
        let value = |i: usize| {
            let (format, at) = self.meters[i];
            c_atof(&frame::meter_value(a, at, format)) as f32
        };
        let (out, max) = if self.meters[OUTPUT_VA].0 != 0 && self.meters[OUTPUT_VA_BAR_CHART].0 != 0
        {
            (value(OUTPUT_VA), value(OUTPUT_VA_BAR_CHART))
        } else if self.meters[LOAD_CURRENT_PHASE_A].0 != 0
            && self.meters[LOAD_CURRENT_PHASE_A_BAR_CHART].0 != 0
        {
            (
                value(LOAD_CURRENT_PHASE_A),
                value(LOAD_CURRENT_PHASE_A_BAR_CHART),
            )
        } else {
            return None;
        };
        (max > 0.0)
            .then(|| 100.0 * (out / max))
            .filter(|v| *v >= 0.0)
    }
}

/// C's `atof` for the numbers the driver prints itself.
fn c_atof(text: &str) -> f64 {
    let t = text.trim_start();
    let end = t
        .char_indices()
        .take_while(|(i, c)| {
            c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))
        })
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    t[..end].parse().unwrap_or(0.0)
}

#[async_trait]
impl Driver for Bcmxcp {
    fn info(&self) -> DriverInfo {
        let name = self.link.as_ref().map_or(DRIVER_NAME, |l| l.name());
        DriverInfo::new(name, DRIVER_DESCRIPTION, DRIVER_VERSION)
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value("shutdown_delay", "Specify shutdown delay (seconds)"),
            OptionSpec::value("baud_rate", "Specify communication speed (ex: 9600)"),
        ]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        self.params = params.clone();
        // C reads it when it sets the unit up, after opening it, and so not for `-k`
        // (where it shuts down after 0 s); ours reads it before, for both.
        self.shutdown_delay = match params.get("shutdown_delay") {
            Some(v) => {
                let n = atoi(v);
                if n < 0 {
                    return Err(DriverError::config(format!(
                        "Invalid setting for shutdown_delay: {v}"
                    )));
                }
                n as u32
            }
            None => 120,
        };
        if let Some(link) = self.link.as_mut() {
            return link.open().await;
        }
        self.comm_setup().await
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.replace_battery = false;
        self.commands.clear();
        let a = self.required(cmd::ID_BLOCK).await?;
        let id = IdBlock::parse(&a);
        if let Some(fw) = &id.firmware {
            let _ = state.set("ups.firmware", fw);
        }
        let _ = state.set("ups.power.nominal", &id.rating.to_string());
        self.phases = id.phases;
        let _ = state.set("output.phases", &id.phases.to_string());
        let _ = state.set("ups.mfr", "Eaton");
        let model = nut_driver_api::proto::names::Value::lossy(&id.model);
        let _ = state.set("ups.model", model.as_str());
        self.meters = vec![(0, 0); METER_MAP_MAX];
        let mut offset = 0usize;
        for (i, &format) in id.meter_map.iter().take(METER_MAP_MAX).enumerate() {
            if format != 0 {
                self.meters[i] = (format, offset);
                offset += 4;
            } else {
                self.meters[i] = (0, 0);
            }
        }
        self.alarms = vec![None; ALARM_MAP_MAX];
        let mut position = 0usize;
        for (k, &bits) in id.alarm_map.iter().take(ALARM_MAP_MAX / 8).enumerate() {
            for bit in 0..8 {
                if bits & (1 << bit) != 0 {
                    self.alarms[k * 8 + bit] = Some(position);
                    position += 1;
                }
            }
        }
        self.outlet_len = id.outlet_len;
        if id.outlet_len > 8 {
            if id.outlet_len > 255 {
                return Err(DriverError::device(format!(
                    "outlet_block_len overflow: {}",
                    id.outlet_len
                )));
            }
            let n = self.outlets(state).await?;
            for k in 1..=n {
                for c in ["shutdown.return", "load.on", "load.off"] {
                    let _ = state.add_cmd(&format!("outlet.{k}.{c}"));
                }
            }
        }
        self.config(state, true).await?;
        let limits = self.required(cmd::LIMIT_BLOCK).await?;
        self.limits(&limits, state, true);
        let mut got_list = false;
        if id.command_list_len != 0 {
            got_list = self.command_list(id.command_list_len, state).await?;
        }
        if !got_list {
            for c in ["shutdown.return", "shutdown.stayoff", "test.battery.start"] {
                let _ = state.add_cmd(c);
            }
        }
        if id.topology_len != 0 {
            let a = self.required(cmd::TOPOLOGY).await?;
            if let Some(text) = tables::topology(word(&a, 0)) {
                let _ = state.set("ups.description", text);
            }
        }
        if self.commands.contains(&cmd::SYSTEM_TEST) {
            self.system_tests(state).await?;
        }
        self.ext_vars(state).await?;
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let Some(a) = self.exchange(&[cmd::METER_BLOCK]).await? else {
            tracing::error!("Short read from UPS");
            return Err(DriverError::device("Short read from UPS"));
        };
        let mut has_load = false;
        for i in 0..METER_MAP_MAX {
            let (format, at) = self.meters[i];
            if format == 0 {
                continue;
            }
            if let Some(name) = tables::meter_name(i, self.phases) {
                let value = frame::meter_value(&a, at, format);
                let _ = state.set(name, &value);
                has_load |= name == "ups.load";
            }
        }
        if !has_load {
            if let Some(load) = self.ups_load(&a) {
                let _ = state.set(
                    "ups.load",
                    &crate::printf::printf_number("%5.1f", f64::from(load)),
                );
            }
        }
        if self.outlet_len > 8 {
            self.outlets(state).await?;
        }
        let Some(a) = self.exchange(&[cmd::CUR_ALARM]).await? else {
            tracing::error!("Short read from UPS");
            return Err(DriverError::device("Short read from UPS"));
        };
        let mut status = StatusBuilder::new();
        let (mut on_battery, mut low_battery) = (false, false);
        for (i, position) in self.alarms.iter().enumerate() {
            let (Some(p), Some(name)) = (position, ALARMS[i]) else {
                continue;
            };
            if byte(&a, *p) > 0 {
                status.alarm(name);
                match i {
                    tables::alarm::UPS_ON_BATTERY => on_battery = true,
                    tables::alarm::BATTERY_LOW => low_battery = true,
                    tables::alarm::BATTERY_TEST_FAILED | tables::alarm::BATTERY_NEEDS_SERVICE => {
                        self.replace_battery = true;
                    }
                    _ => {}
                }
            }
        }
        status.commit_alarm(state);
        let Some(a) = self.exchange(&[cmd::STATUS]).await? else {
            tracing::error!("Short read from UPS");
            return Err(DriverError::device("Short read from UPS"));
        };
        let topology = byte(&a, 1) & self.topology_mask;
        use tables::status as st;
        match byte(&a, 0) {
            st::ONLINE => status.set("OL"),
            st::ON_BATTERY => {
                if !on_battery {
                    status.set("OB");
                }
            }
            st::OVERLOAD => status.set("OL OVER"),
            st::TRIM => status.set("OL TRIM"),
            st::BOOST1 | st::BOOST2 => status.set("OL BOOST"),
            st::BYPASS => status.set("OL BYPASS"),
            st::OFF => status.set("OFF"),
            _ => status.set("OL"),
        }
        if topology & 0x20 != 0 && !low_battery {
            status.set("LB");
        }
        if on_battery {
            status.set("OB");
        }
        if low_battery {
            status.set("LB");
        }
        if self.replace_battery {
            status.set("RB");
        }
        status.commit_status(state);
        match self.exchange(&[cmd::BATTERY]).await? {
            None => tracing::debug!("Failed to read Battery Status from UPS"),
            Some(a) => {
                if let Some(text) = tables::battery_test(byte(&a, 0)) {
                    let _ = state.set("ups.test.result", text);
                }
                let abm = byte(&a, 18 + usize::from(byte(&a, 18)) + 2);
                // C indexes its table with the value minus one, 0 included.
                if (1..5).contains(&abm) {
                    let _ = state.set(
                        "battery.charger.status",
                        tables::ABM_STATUS[usize::from(abm) - 1],
                    );
                }
            }
        }
        match self.exchange(&[cmd::LIMIT_BLOCK]).await? {
            None => tracing::debug!("Failed to read EXT LIMITs from UPS"),
            Some(a) => self.limits(&a, state, false),
        }
        self.config(state, false).await?;
        Ok(())
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        _param: Option<&str>,
    ) -> CommandResult {
        match self.run_cmd(state, cmd).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("instcmd {cmd}: {e}");
                TrackingStatus::Failed
            }
        }
    }

    async fn set_var(&mut self, _state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        match self.run_set(var, value).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("setvar {var}: {e}");
                TrackingStatus::Failed
            }
        }
    }

    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        for c in ["shutdown.return", "shutdown.stayoff"] {
            if self.run_cmd(state, c).await? == TrackingStatus::Handled {
                return Ok(());
            }
        }
        Err(DriverError::device("Shutdown failed!"))
    }

    async fn close(&mut self) {
        if let Some(link) = self.link.as_mut() {
            link.close();
        }
        self.port = None;
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests;
