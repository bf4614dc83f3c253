//! `powercom`: PowerCom (KIN, BNT, IMP), OptiUPS, Trust, Advice and Socomec Egys units on
//! a serial line, a drop-in for C NUT 2.8.0's `powercom` (0.19).
//!
//! The driver sends `0x01` and reads a fixed-length status frame ([`reply`]); the `type`
//! option picks the family ([`types::TYPES`]: frame length, line set-up, validation
//! bytes, shutdown delays, conversion coefficients), and every part of it can be
//! overridden with C's options (`numOfBytesFromUPS`, `methodOfFlowControl`,
//! `validationSequence`, `shutdownArguments`, `frequency`, `loadPercentage`,
//! `batteryPercentage`, `voltage`, `linevoltage`). For the KIN, BNT, IMP and OPTI
//! families the first frame tells the model and the line voltage, and a battery test is
//! started unless `nobt` is given. Instant commands: `test.battery.start`,
//! `shutdown.return`, `shutdown.stayoff`.
//!
//! ```
//! use nut_drivers::powercom::Powercom;
//! use nut_drivers::sim::{ModelPort, Protocol, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver = Powercom::with_opener(ModelPort::opener_for(model.clone(), Protocol::Powercom));
//! let mut state = DeviceState::new();
//! let params = DriverParams::new("sim").with_option("type", Some("KIN"));
//! driver.open(&params, &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.model"), Some("KIN-1500AP"));
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! # }
//! ```

pub mod reply;
pub mod types;

use std::time::Duration;

use async_trait::async_trait;

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::{c_strtol, StatusBuilder};
use nut_driver_api::DeviceState;

use crate::printf::printf_number;
pub use crate::qx::PortOpener;
use crate::serial::{read_while, SerialPort};
use reply::{Calc, Raw, BNT_MODELS, IMP_MODELS, KIN_MODELS, MAX_FRAME, OPTI_MODELS, VOLTAGES};
use types::{scan, FlowControl, TypeEntry, TYPES};

/// The program name.
pub const DRIVER_NAME: &str = "powercom";
/// The description printed in the banner (C's).
pub const DRIVER_DESCRIPTION: &str = "PowerCom protocol UPS driver";
/// `driver.version.internal`: the C driver version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.19";

const SEND_DATA: u8 = 0x01;
const BATTERY_TEST: u8 = 0x03;
const RESTART: u8 = 0xb9;
const SHUTDOWN: u8 = 0xba;
const COUNTER: u8 = 0xbc;

/// How long a frame may take (C: three seconds).
const FRAME_TIMEOUT: Duration = Duration::from_secs(3);

/// The powercom driver. See the [module documentation](self).
pub struct Powercom {
    opener: PortOpener,
    port: Option<Box<dyn SerialPort>>,
    calc: Calc,
    raw: Raw,
    manufacturer: String,
    modelname: String,
    serial: String,
}

impl std::fmt::Debug for Powercom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Powercom")
            .field("open", &self.port.is_some())
            .field("calc", &self.calc)
            .finish_non_exhaustive()
    }
}

impl Default for Powercom {
    fn default() -> Self {
        Self::new()
    }
}

fn bad(what: &str, value: &str) -> DriverError {
    DriverError::config(format!("Given {what} '{value}' isn't valid!"))
}

/// The family entry the options describe, and the line voltage.
pub fn configure(params: &DriverParams) -> Result<(TypeEntry, u32), DriverError> {
    let mut entry = TYPES[0];
    if let Some(t) = params.get("type") {
        entry = *TYPES
            .iter()
            .find(|e| e.name == t)
            .ok_or_else(|| bad("UPS type", t))?;
    }
    let mut linevoltage = 230;
    if let Some(v) = params.get("linevoltage") {
        let n = c_strtol(v) as i32;
        if !((200..=240).contains(&n) || (100..=120).contains(&n)) {
            return Err(DriverError::config(format!(
                "Given line voltage '{n}' is out of range (100-120 or 200-240 V)"
            )));
        }
        linevoltage = n as u32;
    }
    if let Some(v) = params.get("numOfBytesFromUPS") {
        let n = c_strtol(v) as i32;
        if !(1..=MAX_FRAME as i32).contains(&n) {
            return Err(DriverError::config(format!(
                "Given numOfBytesFromUPS '{n}' is out of range (1 to {MAX_FRAME})"
            )));
        }
        entry.frame_len = n as usize;
    }
    if let Some(v) = params.get("methodOfFlowControl") {
        entry.flow = TYPES
            .iter()
            .map(|e| e.flow)
            .find(|f| f.name() == v)
            .ok_or_else(|| bad("methodOfFlowControl", v))?;
    }
    let overrides: [(&str, &str, usize); 6] = [
        ("validationSequence", "{{%u,%x},{%u,%x},{%u,%x}}", 6),
        ("shutdownArguments", "{{%b,%b},%c}", 3),
        ("frequency", "{%f,%f}", 2),
        ("loadPercentage", "{%f,%f,%f,%f}", 4),
        ("batteryPercentage", "{%f,%f,%f,%f,%f}", 5),
        ("voltage", "{%f,%f,%f,%f}", 4),
    ];
    for (name, format, wanted) in overrides {
        let Some(v) = params.get(name) else { continue };
        let got = scan(v, format);
        // As C's sscanf: what was converted is stored even when the rest is refused.
        let f = |i: usize| got[i] as f32;
        match name {
            "validationSequence" => {
                for (i, x) in got.iter().enumerate() {
                    let (idx, val) = &mut entry.validation[i / 2];
                    *if i % 2 == 0 { idx } else { val } = *x as u32;
                }
            }
            "shutdownArguments" => {
                for (i, x) in got.iter().enumerate() {
                    match i {
                        0 | 1 => entry.delay[i] = *x as u8,
                        _ => entry.use_minutes = *x as u8,
                    }
                }
            }
            "frequency" => (0..got.len()).for_each(|i| entry.freq[i] = f(i)),
            "loadPercentage" => (0..got.len()).for_each(|i| entry.loadpct[i] = f(i)),
            "batteryPercentage" => (0..got.len()).for_each(|i| entry.battpct[i] = f(i)),
            _ => (0..got.len()).for_each(|i| entry.voltage[i] = f(i)),
        }
        if got.len() < wanted {
            return Err(bad(name, v));
        }
    }
    Ok((entry, linevoltage))
}

impl Powercom {
    /// A driver that opens real serial ports (1200 bit/s, 8N1) with tokio-serial.
    pub fn new() -> Self {
        Self::with_opener(Box::new(|path: &str| {
            let port =
                crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(1200))?;
            Ok(Box::new(port) as Box<dyn SerialPort>)
        }))
    }

    /// A driver that opens its port with `opener` (a simulator, a test double).
    pub fn with_opener(opener: PortOpener) -> Self {
        Self {
            opener,
            port: None,
            calc: Calc {
                name: TYPES[0].name,
                entry: TYPES[0],
                linevoltage: 230,
            },
            raw: Raw::default(),
            manufacturer: "PowerCom".into(),
            modelname: "Unknown".into(),
            serial: "Unknown".into(),
        }
    }

    fn port(&mut self) -> Result<&mut dyn SerialPort, DriverError> {
        match self.port.as_mut() {
            Some(p) => Ok(p.as_mut()),
            None => Err(DriverError::device("not opened")),
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        Ok(self.port()?.write_all(bytes).await?)
    }

    /// C's `ups_getinfo`: asks for a frame, reads it and checks it.
    async fn getinfo(&mut self) -> Result<(), DriverError> {
        let len = self.calc.entry.frame_len;
        let port = self.port()?;
        port.discard_input()?;
        port.write_all(&[SEND_DATA]).await?;
        let bytes = read_while(port, len, FRAME_TIMEOUT, |b| b.len() >= len).await?;
        self.raw.0[..bytes.len()].copy_from_slice(&bytes);
        if bytes.len() != len {
            return Err(DriverError::device(format!(
                "data receiving error ({} instead of {len} bytes)",
                bytes.len()
            )));
        }
        if !self.calc.valid(&self.raw) {
            return Err(DriverError::device(
                "data receiving error (validation check)",
            ));
        }
        Ok(())
    }

    /// Model and line voltage from the first frame (KIN, BNT, IMP, OPTI families).
    async fn detect(&mut self, params: &DriverParams) -> Result<(), DriverError> {
        if let Err(e) = self.getinfo().await {
            tracing::info!("{e}");
            return Ok(());
        }
        let r = self.raw.0;
        let (hi, lo) = (usize::from(r[12] / 16), usize::from(r[12] % 16));
        let mut model = 0;
        if matches!(r[11], b'B' | b'K' | b'O') {
            if r[5] == 0xff {
                self.calc.name = "IMP";
                model = IMP_MODELS[hi];
            } else {
                model = BNT_MODELS[hi];
                if self.calc.name == "BNT-other" {
                } else if r[11] == b'B' {
                    self.calc.name = "BNT";
                } else if r[11] == b'K' {
                    self.calc.name = "KIN";
                    model = KIN_MODELS[hi];
                } else {
                    self.calc.name = "OPTI";
                    model = OPTI_MODELS[hi];
                }
            }
        } else if r[5] == 0xff {
            self.calc.name = "IMP";
            model = IMP_MODELS[hi];
        }
        self.calc.linevoltage = VOLTAGES[lo];
        let mut name = if self.calc.name == "OPTI" {
            format!("{}-{model}", self.calc.name)
        } else {
            format!("{}-{model}AP", self.calc.name)
        };
        // C's buffer holds 19 characters.
        name.truncate(19);
        if self.modelname == "Unknown" {
            self.modelname = name.clone();
        }
        tracing::debug!("Detected: {name} , {}V", self.calc.linevoltage);
        if params.is_set("nobt") {
            tracing::info!("nobt flag set, skipping battery test as requested");
        } else {
            tracing::info!("nobt flag not set, performing battery test as requested");
            self.send(&[BATTERY_TEST]).await?;
        }
        Ok(())
    }

    /// The delay bytes of the shutdown commands.
    fn delay(&self) -> Vec<u8> {
        let e = &self.calc.entry;
        if e.use_minutes != b'n' {
            e.delay.to_vec()
        } else {
            vec![e.delay[1]]
        }
    }

    async fn shutdown_return(&mut self) -> Result<(), DriverError> {
        let mut bytes = vec![RESTART, COUNTER];
        bytes.extend(self.delay());
        self.send(&bytes).await?;
        tracing::info!("Shutdown (return) initiated.");
        Ok(())
    }
}

#[async_trait]
impl Driver for Powercom {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION)
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value(
                "type",
                "Type of UPS: 'Trust','Egys','KP625AP','IMP','KIN','BNT','BNT-other','OPTI'\n (default: 'Trust')",
            ),
            OptionSpec::value("manufacturer", "Manufacturer name (default: 'PowerCom')"),
            OptionSpec::value("modelname", "Model name [cannot be detected] (default: Unknown)"),
            OptionSpec::value("serialnumber", "Serial number [cannot be detected] (default: Unknown)"),
            OptionSpec::value(
                "shutdownArguments",
                "Delay values for shutdown: Minutes, Seconds, UseMinutes?'y'or'n'",
            ),
            OptionSpec::value("linevoltage", "Line voltage 110-120 or 220-240 V (default: 230)"),
            OptionSpec::value("numOfBytesFromUPS", "The number of bytes in a UPS frame"),
            OptionSpec::value(
                "methodOfFlowControl",
                "Flow control method for UPS: 'dtr0rts1' or 'no_flow_control'",
            ),
            OptionSpec::value("validationSequence", "Validation values: ByteIndex, ByteValue x 3"),
            OptionSpec::value("frequency", "Frequency conversion values: FreqFactor, FreqConst"),
            OptionSpec::value(
                "loadPercentage",
                "Load conversion values: OffFactor, OffConst, OnFactor, OnConst",
            ),
            OptionSpec::value(
                "batteryPercentage",
                "Battery conversion values: OffFactor, LoadFactor, OffConst, OnFactor, OnConst",
            ),
            OptionSpec::value(
                "voltage",
                "Voltage conversion values: 240VFactor, 240VConst, 120VFactor, 120VConst",
            ),
            OptionSpec::flag("nobt", "Disable battery test at driver init/startup"),
        ]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        let (entry, linevoltage) = configure(params)?;
        self.calc = Calc {
            name: entry.name,
            entry,
            linevoltage,
        };
        self.manufacturer = params.get("manufacturer").unwrap_or("PowerCom").to_owned();
        self.modelname = params.get("modelname").unwrap_or("Unknown").to_owned();
        self.serial = params.get("serialnumber").unwrap_or("Unknown").to_owned();
        let mut port = (self.opener)(&params.port)?;
        if entry.flow == FlowControl::Dtr0Rts1 {
            // Modem lines a pseudo-terminal lacks are no reason to stop, as in C.
            let _ = port.set_dtr(false);
            let _ = port.set_rts(true);
        }
        self.port = Some(port);
        if entry.name.starts_with("BNT") || matches!(entry.name, "KIN" | "IMP" | "OPTI") {
            self.detect(params).await?;
        }
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state.set("ups.mfr", &self.manufacturer);
        let _ = state.set("ups.model", &self.modelname);
        let _ = state.set("ups.serial", &self.serial);
        let _ = state.set("ups.model.type", self.calc.name);
        let _ = state.set("input.voltage.nominal", &self.calc.linevoltage.to_string());
        for cmd in ["test.battery.start", "shutdown.return", "shutdown.stayoff"] {
            let _ = state.add_cmd(cmd);
        }
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.getinfo().await?;
        let (c, r) = (self.calc, self.raw);
        let values = [
            ("input.frequency", "%02.2f", c.input_frequency(&r)),
            ("output.frequency", "%02.2f", c.output_frequency(&r)),
            ("ups.load", "%03.1f", c.load(&r)),
            ("battery.charge", "%03.1f", c.battery(&r)),
            ("input.voltage", "%03.1f", c.input_voltage(&r)),
            ("output.voltage", "%03.1f", c.output_voltage(&r)),
        ];
        for (var, fmt, x) in values {
            let _ = state.set(var, &printf_number(fmt, f64::from(x)));
        }
        let mut status = StatusBuilder::new();
        status.set(&c.status(&r));
        status.commit_status(state);
        Ok(())
    }

    async fn instcmd(
        &mut self,
        _state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        let result = if cmd.eq_ignore_ascii_case("test.battery.start") {
            self.send(&[BATTERY_TEST]).await
        } else if cmd.eq_ignore_ascii_case("shutdown.return") {
            self.shutdown_return().await
        } else if cmd.eq_ignore_ascii_case("shutdown.stayoff") {
            let mut bytes = vec![SHUTDOWN];
            bytes.extend(self.delay());
            let r = self.send(&bytes).await;
            tracing::info!("Shutdown (stayoff) initiated.");
            r
        } else {
            tracing::info!(
                "instcmd: unknown command [{cmd}] [{}]",
                param.unwrap_or("(null)")
            );
            return TrackingStatus::Unknown;
        };
        match result {
            Ok(()) => TrackingStatus::Handled,
            Err(e) => {
                tracing::warn!("instcmd {cmd}: {e}");
                TrackingStatus::Failed
            }
        }
    }

    async fn shutdown(&mut self, _state: &mut DeviceState) -> Result<(), DriverError> {
        tracing::info!("Forced UPS shutdown (and wait for power)...");
        self.shutdown_return().await
    }

    async fn close(&mut self) {
        self.port = None;
    }
}

#[cfg(test)]
mod tests;
