//! `upscode2`: units speaking UPScode II on a serial line (Fiskars, Powerware, Compaq,
//! Exide NetUPS, some IBM), a drop-in for C NUT 2.8.0's `upscode2` (0.90, experimental).
//!
//! UPScode II is a line protocol: the driver sends a command (`UPDS`, `UPSN`, …) ending in
//! `\r` (`\r\n` with `use_crlf`, after a `\n` with `use_pre_lf`), paced `output_pace`
//! microseconds a character, and a parameter line after some; the unit answers lines
//! ending in `\n` (carriage returns are ignored, as C's terminal does). `UPCL` lists the
//! commands the unit knows (ended by `UPCL` itself); `UPTP` gives the model (`NNAME`),
//! `UPSN 0` the serial number (`ACSN`), `UPID` the name (`ACID`). Every poll reads
//! `UPDS` (status and measures, [`reply::SIMPLE`]); `UPDV` (nominal values) and `UPBS`
//! (battery strings) are read again once 60 s have passed. A reply is a list of code and
//! value lines; the last code of each table ends it. The driver computes `ups.load` from
//! the currents and powers against their nominal values, estimates `battery.charge` from
//! the battery current or voltage when the unit does not give it, and `battery.runtime`
//! from Peukert's equation when the unit gives no time.
//!
//! Options (C's): `manufacturer` (`ups.mfr`), `baudrate` (300 to 38400, default 1200),
//! `input_timeout` (s, default 2), `output_pace` (µs, default 200), `full_update` (s,
//! default 60), the flags `use_crlf` and `use_pre_lf`. Instant commands (those the unit
//! lists): `shutdown.return` (`UPPF`), `shutdown.stayoff` (`UPPD`), `shutdown.stop`
//! (`UPPU`), `shutdown.reboot` (`UPPC`), `test.panel.start` (`UPIS`),
//! `test.battery.start` (`UPBT`). Writable: `ups.delay.shutdown` (`UPSD`) and
//! `ups.delay.reboot` (`UPCD`), set to 10 and 60 s at start-up as C does. `-k` sends
//! `shutdown.reboot` twice.
//!
//! ```
//! use nut_drivers::upscode2::Upscode2;
//! use nut_drivers::sim::{ModelPort, Protocol, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver = Upscode2::with_opener(ModelPort::opener_for(model.clone(), Protocol::Upscode2));
//! let mut state = DeviceState::new();
//! driver.open(&DriverParams::new("sim"), &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.model"), Some("UPS 1500 VA FW -0026"));
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! # }
//! ```

pub mod reply;

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::time::Instant;

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::StatusBuilder;
use nut_driver_api::DeviceState;

pub use crate::qx::PortOpener;
use crate::serial::SerialPort;
use reply::{apply, fixed, BatteryHistory, Readings, Table};

/// The program name.
pub const DRIVER_NAME: &str = "upscode2";
/// The description printed in the banner (C's).
pub const DRIVER_DESCRIPTION: &str = "UPScode II UPS driver";
/// `driver.version.internal`: the C driver version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.90";

/// Longest reply line (C's buffers).
const BUFLEN: usize = 256;
/// Fiskars UPS9000 models (three-phase units whose output power needs no factor).
const PHASE3_MODELS: [&str; 9] = [
    "UPS9075", "UPS9100", "UPS9150", "UPS9200", "UPS9250", "UPS9300", "UPS9400", "UPS9500",
    "UPS9600",
];

/// Instant commands: name, UPScode II command, fixed parameter. Those without a command
/// are C's placeholders (see the module documentation of the deviations).
const COMMANDS: [(&str, Option<&str>, Option<&str>); 23] = [
    ("load.off", None, None),
    ("load.on", None, None),
    ("shutdown.return", Some("UPPF"), Some("IJHLDMGCIU")),
    ("shutdown.stayoff", Some("UPPD"), Some("LGGNLMDPGV")),
    ("shutdown.stop", Some("UPPU"), None),
    ("shutdown.reboot", Some("UPPC"), Some("IJHLDMGCIU")),
    ("shutdown.reboot.graceful", None, None),
    ("test.panel.start", Some("UPIS"), None),
    ("test.panel.stop", None, None),
    ("test.failure.start", None, None),
    ("test.failure.stop", None, None),
    ("test.battery.start", Some("UPBT"), Some("1")),
    ("test.battery.stop", None, None),
    ("calibrate.start", None, None),
    ("calibrate.stop", None, None),
    ("bypass.start", None, None),
    ("bypass.stop", None, None),
    ("reset.input.minmax", None, None),
    ("reset.watchdog", None, None),
    ("beeper.enable", None, None),
    ("beeper.disable", None, None),
    ("beeper.on", None, None),
    ("beeper.off", None, None),
];

/// Writable variables: name, command, the code of the answer.
const VARIABLES: [(&str, &str, &str); 2] = [
    ("ups.delay.reboot", "UPCD", "ACCD"),
    ("ups.delay.shutdown", "UPSD", "ACSD"),
];

/// The optional commands a unit may list in `UPCL`.
#[derive(Debug, Default, Clone, Copy)]
struct Can {
    upbs: bool,
    upid: bool,
    upda: bool,
    updt: bool,
    uptm: bool,
    uppm: bool,
}

/// The upscode2 driver. See the [module documentation](self).
pub struct Upscode2 {
    opener: PortOpener,
    /// Whether ports are real ones, opened at the `baudrate` option's speed.
    real: bool,
    port: Option<Box<dyn SerialPort>>,
    /// Bytes of a line not complete yet.
    line: Vec<u8>,
    timeout: Duration,
    pace: Duration,
    crlf: bool,
    pre_lf: bool,
    full_update: u64,
    last_full: u64,
    manufacturer: String,
    can: Can,
    variables: [bool; 2],
    inited: bool,
    readings: Readings,
    history: BatteryHistory,
    phases_known: bool,
    in_phases: u32,
    out_phases: u32,
}

impl std::fmt::Debug for Upscode2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upscode2")
            .field("open", &self.port.is_some())
            .field("inited", &self.inited)
            .finish_non_exhaustive()
    }
}

impl Default for Upscode2 {
    fn default() -> Self {
        Self::new()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn bad(what: &str, value: &str) -> DriverError {
    DriverError::config(format!("Bad {what} parameter: {value}"))
}

/// The speed of a `baudrate` option (C's list), or the error C stops with.
pub fn baud_rate(value: &str) -> Result<u32, DriverError> {
    let n = nut_driver_api::status::c_strtol(value);
    match n {
        300 | 600 | 1200 | 2400 | 4800 | 9600 | 19200 | 38400 => Ok(n as u32),
        _ => Err(DriverError::config(format!(
            "Unrecognized baudrate: {value}"
        ))),
    }
}

/// Opens a real serial port at `baud` bits per second, 8N1.
fn open_real(path: &str, baud: u32) -> io::Result<Box<dyn SerialPort>> {
    let port = crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(baud))?;
    Ok(Box::new(port))
}

impl Upscode2 {
    /// A driver that opens real serial ports (the `baudrate` option, default 1200 bit/s,
    /// 8N1) with tokio-serial.
    pub fn new() -> Self {
        let mut driver = Self::with_opener(Box::new(|path: &str| open_real(path, 1200)));
        driver.real = true;
        driver
    }

    /// A driver that opens its port with `opener` (a simulator, a test double).
    pub fn with_opener(opener: PortOpener) -> Self {
        Self {
            opener,
            real: false,
            port: None,
            line: Vec::new(),
            timeout: Duration::from_secs(2),
            pace: Duration::from_micros(200),
            crlf: false,
            pre_lf: false,
            full_update: 60,
            last_full: 0,
            manufacturer: "unknown".into(),
            can: Can::default(),
            variables: [false; 2],
            inited: false,
            readings: Readings::default(),
            history: BatteryHistory::default(),
            phases_known: false,
            in_phases: 1,
            out_phases: 1,
        }
    }

    fn port(&mut self) -> Result<&mut dyn SerialPort, DriverError> {
        match self.port.as_mut() {
            Some(p) => Ok(p.as_mut()),
            None => Err(DriverError::device("not opened")),
        }
    }

    fn flush(&mut self) -> Result<(), DriverError> {
        self.line.clear();
        self.port()?.discard_input()?;
        Ok(())
    }

    /// C's `upscsend`: the command and its terminator, a pause after every character.
    async fn send(&mut self, cmd: &str) -> Result<(), DriverError> {
        let mut bytes = Vec::new();
        if self.pre_lf {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(cmd.as_bytes());
        bytes.extend_from_slice(if self.crlf { b"\r\n" } else { b"\r" });
        let pace = self.pace;
        let port = self.port()?;
        for b in bytes {
            port.write_all(&[b]).await?;
            tokio::time::sleep(pace).await;
        }
        tracing::trace!("upscsend: '{cmd}'");
        Ok(())
    }

    /// C's `upscrecv`: the next non-empty line (without its end), or "" when none came
    /// within `input_timeout`.
    async fn recv(&mut self) -> Result<String, DriverError> {
        let mut deadline = Instant::now() + self.timeout;
        let timeout = self.timeout;
        let mut byte = [0u8; 1];
        loop {
            let port = match self.port.as_mut() {
                Some(p) => p,
                None => return Err(DriverError::device("not opened")),
            };
            match tokio::time::timeout_at(deadline, port.read_some(&mut byte)).await {
                Err(_) => {
                    tracing::trace!("upscrecv: Timeout");
                    return Ok(String::new());
                }
                Ok(Ok(0)) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e.into()),
            }
            match byte[0] {
                b'\r' => {}
                b'\n' if self.line.is_empty() => {
                    tracing::trace!("upscrecv: Empty line");
                    deadline = Instant::now() + timeout;
                }
                b'\n' => break,
                b => {
                    self.line.push(b);
                    if self.line.len() >= BUFLEN - 1 {
                        break;
                    }
                }
            }
        }
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        tracing::trace!("upscrecv: {} bytes:\t'{text}'", text.len());
        Ok(text)
    }

    /// C's `upsc_getvalue`: `cmd` (and `param`), then the answer code and value; the value
    /// when the code is `resp` (also set in `var`).
    async fn get_value(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
        resp: &str,
        var: Option<&str>,
    ) -> Result<Option<String>, DriverError> {
        tracing::debug!("Request value: {cmd} {}", param.unwrap_or("\"\""));
        self.send(cmd).await?;
        if let Some(p) = param {
            self.send(p).await?;
        }
        let code = self.recv().await?;
        let value = self.recv().await?;
        tracing::debug!("Got value: {code} {value}");
        if code != resp {
            tracing::error!(
                "Bad response to {cmd} {}: {code} {value}",
                param.unwrap_or("\"\"")
            );
            return Ok(None);
        }
        if let Some(var) = var {
            let _ = state.set(var, &value);
        }
        Ok(Some(value))
    }

    /// C's `upsc_commandlist`: whether the unit listed its commands.
    async fn command_list(&mut self, state: &mut DeviceState) -> Result<bool, DriverError> {
        self.flush()?;
        self.send("UPCL").await?;
        loop {
            let line = self.recv().await?;
            if line.is_empty() {
                tracing::error!("Missing UPCL after UPCL");
                return Ok(false);
            }
            tracing::debug!("Supports command: {line}");
            match line.as_str() {
                "UPBS" => self.can.upbs = true,
                "UPPM" => self.can.uppm = true,
                "UPID" => self.can.upid = true,
                "UPDA" => self.can.upda = true,
                "UPDT" => self.can.updt = true,
                "UPTM" => self.can.uptm = true,
                _ => {}
            }
            if let Some((name, code, _)) = COMMANDS.iter().find(|c| c.1 == Some(line.as_str())) {
                tracing::debug!("instcmd: {name} {}", code.unwrap_or_default());
                let _ = state.add_cmd(name);
            }
            if let Some(i) = VARIABLES.iter().position(|v| v.1 == line) {
                tracing::debug!("setvar: {} {}", VARIABLES[i].0, VARIABLES[i].1);
                self.variables[i] = true;
            }
            if line == "UPCL" {
                break;
            }
        }
        for (i, (var, cmd, resp)) in VARIABLES.iter().enumerate() {
            if self.variables[i] {
                self.get_value(state, cmd, Some("0000"), resp, Some(var))
                    .await?;
                state.set_flags(var, true, true, false);
                state.set_aux(var, 7);
            }
        }
        Ok(true)
    }

    /// C's `upsc_getparams`: `cmd` and the code/value lines of its reply, until the last
    /// code of `table`. Whether that code came.
    async fn get_params(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        table: Table,
    ) -> Result<bool, DriverError> {
        self.flush()?;
        self.send(cmd).await?;
        self.readings.end = false;
        let mut first = true;
        let mut set = Vec::new();
        while !self.readings.end {
            let mut code = self.recv().await?;
            if code.is_empty() {
                if first {
                    code = self.recv().await?;
                }
                if code.is_empty() {
                    tracing::warn!("Empty string from UPS for {cmd}!");
                    break;
                }
            }
            first = false;
            let value = self.recv().await?;
            if value.is_empty() {
                tracing::warn!("Empty value from UPS for {cmd} {code}!");
                break;
            }
            tracing::debug!("Parameter {code} {value}");
            if !apply(table, &code, &value, &mut self.readings, &mut set) {
                tracing::error!("Unknown response to {cmd}: {code} {value}");
            }
            for (var, value) in set.drain(..) {
                let _ = state.set(&var, &value);
            }
        }
        Ok(self.readings.end)
    }

    /// C's `check_uppm`: lists the unit's parameters and reads each (only logged).
    async fn check_uppm(&mut self) -> Result<(), DriverError> {
        self.flush()?;
        self.send("UPPM").await?;
        self.send("0").await?;
        let head = self.recv().await?;
        if head != "ACPM" {
            tracing::error!("Bad response to UPPM: {head}");
        }
        let mut have = [false; 100];
        let mut last = 0;
        loop {
            let line = self.recv().await?;
            if line.is_empty() {
                break;
            }
            tracing::debug!("UPPM available: {line}");
            match reply::uppm_parameter(&line) {
                Some(n) if (0..100).contains(&n) => {
                    have[n as usize] = true;
                    last = last.max(n as usize);
                }
                // C writes outside its array for a negative number; ignored here.
                Some(_) => {}
                None => {
                    tracing::error!("Bad response to UPPM: {line}");
                    return Ok(());
                }
            }
        }
        for (i, _) in have.iter().enumerate().take(last + 1).filter(|(_, h)| **h) {
            self.send("UPPM").await?;
            let p = format!("P{i:02}");
            self.send(&p).await?;
            let head = self.recv().await?;
            if head != "ACPM" {
                tracing::error!("Bad response to UPPM {p}: {head}");
                continue;
            }
            let value = self.recv().await?;
            tracing::debug!("UPPM value: {value}");
        }
        Ok(())
    }

    /// C's `upsdrv_initinfo`.
    async fn init_info(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        if !self.command_list(state).await? {
            tracing::error!("No contact with UPS, delaying init.");
            self.inited = false;
            return Ok(());
        }
        self.inited = true;
        let _ = state.set("ups.mfr", &self.manufacturer.clone());
        if self
            .get_value(state, "UPTP", None, "NNAME", Some("ups.model"))
            .await?
            .is_none()
        {
            self.get_value(state, "UPTP", None, "NNAME", Some("ups.model"))
                .await?;
        }
        self.get_value(state, "UPSN", Some("0"), "ACSN", Some("ups.serial"))
            .await?;
        if self.can.upda {
            self.flush()?;
            self.send("UPDA").await?;
        }
        if self.can.upid {
            self.get_value(state, "UPID", None, "ACID", Some("ups.id"))
                .await?;
        }
        if self.can.uppm {
            self.check_uppm().await?;
        }
        // Sensible defaults, as C.
        self.set_value(state, "ups.delay.shutdown", "10").await?;
        self.set_value(state, "ups.delay.reboot", "60").await?;
        Ok(())
    }

    /// C's `setvar`: whether the variable is one of the table's.
    async fn set_value(
        &mut self,
        state: &mut DeviceState,
        var: &str,
        value: &str,
    ) -> Result<bool, DriverError> {
        tracing::debug!("Setvar: {var} {value}");
        let Some(&(name, cmd, resp)) = VARIABLES.iter().find(|v| v.0.eq_ignore_ascii_case(var))
        else {
            tracing::info!("Setvar: unsettable variable {var}");
            return Ok(false);
        };
        self.get_value(state, cmd, Some(value), resp, Some(name))
            .await?;
        Ok(true)
    }

    /// C's `instcmd`: `None` for a command C does not know.
    async fn run_instcmd(&mut self, cmd: &str, data: Option<&str>) -> Result<bool, DriverError> {
        let cmd = if cmd.eq_ignore_ascii_case("beeper.off") {
            tracing::warn!("The 'beeper.off' command has been renamed to 'beeper.disable'");
            "beeper.disable"
        } else if cmd.eq_ignore_ascii_case("beeper.on") {
            tracing::warn!("The 'beeper.on' command has been renamed to 'beeper.enable'");
            "beeper.enable"
        } else {
            cmd
        };
        tracing::debug!("Instcmd: {cmd} {}", data.unwrap_or("\"\""));
        let Some(&(_, code, param)) = COMMANDS.iter().find(|c| c.0.eq_ignore_ascii_case(cmd))
        else {
            tracing::info!("instcmd: unknown command {cmd}");
            return Ok(false);
        };
        let Some(code) = code else {
            // C sends its placeholder's null pointer as "(null)"; nothing is sent here.
            tracing::info!("instcmd: {cmd} has no UPScode II command");
            return Ok(false);
        };
        self.send(code).await?;
        if let Some(p) = param.or(data) {
            self.send(p).await?;
        }
        Ok(true)
    }

    /// C's `change_name` for a variable of the `UPDS` table.
    fn rename(&mut self, state: &mut DeviceState, old: &'static str, new: &'static str) {
        if reply::SIMPLE.iter().any(|e| e.var == Some(old)) {
            self.readings.renamed.push((old, new));
            if let Some(v) = state.value(old).map(str::to_owned) {
                let _ = state.set(new, &v);
            }
            state.delete(old);
            tracing::debug!("Changing name: {old} => {new}");
        }
    }

    fn init_phases(&mut self, state: &mut DeviceState) {
        let has = |s: &DeviceState, v: &str| s.value(v).is_some();
        if has(state, "input.L3-L1.voltage") || has(state, "input.L3-N.voltage") {
            self.in_phases = 3;
            self.rename(state, "input.current", "input.L1.current");
            self.rename(state, "input.realpower", "input.L1.realpower");
            self.rename(state, "input.power", "input.L1.power");
            self.rename(state, "input.voltage", "input.L1-N.voltage");
        }
        if has(state, "output.L3-L1.voltage") || has(state, "output.L3-N.voltage") {
            self.out_phases = 3;
            let model = state.value("ups.model").unwrap_or_default();
            if PHASE3_MODELS.iter().any(|m| model.starts_with(m)) {
                tracing::info!("Fiskars UPS9000 detected, protocol kludges activated");
                self.readings.volt_nominal = 384.0;
                let _ = state.set("battery.voltage.nominal", &fixed(384.0, 0));
            } else {
                self.readings.output_power_factor *= 3.0;
            }
            self.rename(state, "output.current", "output.L1.current");
            self.rename(state, "output.current.peak", "output.L1.current.peak");
            self.rename(state, "output.realpower", "output.L1.realpower");
            self.rename(state, "output.power", "output.L1.power");
            self.rename(state, "output.voltage", "output.L1-N.voltage");
        }
        let _ = state.set("input.phases", &self.in_phases.to_string());
        let _ = state.set("output.phases", &self.out_phases.to_string());
        self.phases_known = true;
    }

    /// C's `calc_upsload`: the largest of the phases' loads (a fraction), -1 when unknown;
    /// sets the per-phase percentages.
    fn load(&self, state: &mut DeviceState) -> f32 {
        let num = |s: &DeviceState, v: &str| s.value(v).and_then(reply::scan_f32);
        let mut load: f32 = -1.0;
        let maxcurr = if self.readings.out_current_nominal > 0.0 {
            self.readings.out_current_nominal
        } else {
            self.readings.out_current_max
        };
        if maxcurr > 0.0 {
            let first = match state.value("output.L1.current") {
                Some(v) => reply::scan_f32(v),
                None => num(state, "output.current"),
            };
            if let Some(x) = first {
                load = x / maxcurr;
            }
            for v in ["output.L2.current", "output.L3.current"] {
                if let Some(x) = num(state, v) {
                    load = load.max(x / maxcurr);
                }
            }
        }
        let phases = self.out_phases as f32;
        for (nominal, kind, at_least) in [
            ("ups.power.nominal", "power", false),
            ("output.realpower.nominal", "realpower", true),
        ] {
            // C reads the nominal only when the variable is there; -1 otherwise.
            let nom = match state.value(nominal) {
                Some(v) => reply::scan_f32(v).unwrap_or(-1.0),
                None => -1.0,
            };
            let usable = if at_least { nom >= 0.0 } else { nom > 0.0 };
            if !usable {
                continue;
            }
            for l in 1..=3 {
                let var = format!("output.L{l}.{kind}");
                if let Some(mut x) = num(state, &var) {
                    x /= nom / phases;
                    if x > load {
                        load = x;
                    }
                    let _ = state.set(&format!("{var}.percent"), &fixed(x * 100.0, 1));
                }
            }
        }
        load
    }
}

#[async_trait]
impl Driver for Upscode2 {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION).experimental()
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value("manufacturer", "manufacturer [unknown]"),
            OptionSpec::value("baudrate", "Serial interface baudrate [1200]"),
            OptionSpec::value("input_timeout", "Command response timeout [2]"),
            OptionSpec::value("output_pace", "Output character delay in usecs [200]"),
            OptionSpec::value("full_update", "Delay between full value downloads [60]"),
            OptionSpec::flag("use_crlf", "Use CR-LF to terminate commands to UPS"),
            OptionSpec::flag("use_pre_lf", "Use LF to introduce commands to UPS"),
        ]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        let mut baud = 1200;
        if let Some(b) = params.get("baudrate") {
            baud = baud_rate(b)?;
            tracing::debug!("baud_rate = {baud}");
        }
        if let Some(v) = params.get("input_timeout") {
            let n = nut_driver_api::status::c_strtol(v) as i32;
            if n <= 0 {
                return Err(bad("input_timeout", v));
            }
            self.timeout = Duration::from_secs(n as u64);
        }
        tracing::debug!("input_timeout = {} Sec", self.timeout.as_secs());
        if let Some(v) = params.get("output_pace") {
            let n = nut_driver_api::status::c_strtol(v);
            if n <= 0 {
                return Err(bad("output_pace", v));
            }
            self.pace = Duration::from_micros(n as u64);
        }
        tracing::debug!("output_pace = {} uSec", self.pace.as_micros());
        if let Some(v) = params.get("full_update") {
            let n = nut_driver_api::status::c_strtol(v) as i32;
            if n <= 0 {
                return Err(bad("full_update", v));
            }
            self.full_update = n as u64;
        }
        tracing::debug!("full_update_timer = {} Sec", self.full_update);
        self.crlf = params.is_set("use_crlf");
        tracing::debug!("use_crlf = {}", i32::from(self.crlf));
        self.pre_lf = params.is_set("use_pre_lf");
        tracing::debug!("use_pre_lf = {}", i32::from(self.pre_lf));
        self.manufacturer = params.get("manufacturer").unwrap_or("unknown").to_owned();
        self.line.clear();
        self.port = Some(match self.real {
            true => open_real(&params.port, baud)?,
            false => (self.opener)(&params.port)?,
        });
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.init_info(state).await
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        if !self.inited {
            self.init_info(state).await?;
            if !self.inited {
                return Err(DriverError::device("no contact with the UPS"));
            }
        }
        self.readings.status = 0;
        let mut ok = self.get_params(state, "UPDS", Table::Simple).await?;
        let t = now();
        if ok && t.saturating_sub(self.last_full) > self.full_update {
            self.last_full = t;
            ok = self.get_params(state, "UPDV", Table::Nominal).await?;
            if ok && self.can.upbs {
                ok = self.get_params(state, "UPBS", Table::Battery).await?;
            }
        }
        if !ok {
            self.last_full = 0;
            return Err(DriverError::device("incomplete answer"));
        }
        if !self.phases_known {
            self.init_phases(state);
        }
        let load = self.load(state);
        if load >= 0.0 {
            tracing::trace!("ups.load: {}", fixed(load * 100.0, 1));
            let _ = state.set("ups.load", &fixed(load * 100.0, 1));
        } else {
            tracing::trace!("ups.load: No value");
        }
        if self.can.updt {
            if let Some(d) = self
                .get_value(state, "UPDT", Some("0"), "ACDT", None)
                .await?
            {
                let _ = state.set("ups.date", &d);
            }
        }
        if self.can.uptm {
            if let Some(d) = self
                .get_value(state, "UPTM", Some("0"), "ACTM", None)
                .await?
            {
                let _ = state.set("ups.time", &d);
            }
        }
        let r = &mut self.readings;
        if r.charge < 0.0 {
            if r.current < 0.0 {
                self.history.reset();
            }
            r.charge = reply::charge_estimate(r, &mut self.history);
        }
        if r.charge >= 0.0 {
            let _ = state.set("battery.charge", &fixed(r.charge, 1));
        } else {
            state.delete("battery.charge");
        }
        // 9999 is "unknown".
        if r.runtime >= 0.0 && r.runtime < 9999.0 {
            let _ = state.set("battery.runtime", &fixed(r.runtime * 60.0, 0));
        } else if load > 0.0 && r.discharge_max != 0.0 {
            let runtime = reply::runtime_estimate(r, load);
            tracing::trace!("Calculated runtime: {} seconds", fixed(runtime, 0));
            let _ = state.set("battery.runtime", &fixed(runtime, 0));
        } else if r.runtime_max > 0.0 {
            let _ = state.set("battery.runtime", &fixed(r.runtime_max * 60.0, 0));
        } else {
            state.delete("battery.runtime");
        }
        r.charge = -1.0;
        r.runtime = -1.0;
        if r.status & reply::ONBATT == 0 {
            r.status |= reply::ONLINE;
        }
        let mut status = StatusBuilder::new();
        for w in reply::status_words(r.status) {
            status.set(w);
        }
        status.commit_status(state);
        Ok(())
    }

    async fn instcmd(
        &mut self,
        _state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        match self.run_instcmd(cmd, param).await {
            Ok(true) => TrackingStatus::Handled,
            Ok(false) => TrackingStatus::Unknown,
            Err(e) => {
                tracing::warn!("instcmd {cmd}: {e}");
                TrackingStatus::Failed
            }
        }
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        match self.set_value(state, var, value).await {
            Ok(true) => TrackingStatus::Handled,
            Ok(false) => TrackingStatus::Unknown,
            Err(e) => {
                tracing::warn!("setvar {var}: {e}");
                TrackingStatus::Failed
            }
        }
    }

    async fn shutdown(&mut self, _state: &mut DeviceState) -> Result<(), DriverError> {
        tracing::error!("Shutting down...");
        // Twice, to be sure (as C).
        for _ in 0..2 {
            self.run_instcmd("shutdown.reboot", None).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Ok(())
    }

    async fn close(&mut self) {
        self.port = None;
        self.line.clear();
    }
}

#[cfg(test)]
mod tests;
