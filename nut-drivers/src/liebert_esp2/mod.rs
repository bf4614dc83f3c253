//! `liebert-esp2`: Liebert UPSes (GXT2, NXe, …) speaking ESP-II on a serial line, a
//! drop-in for C NUT 2.8.0's `liebert-esp2` (0.05).
//!
//! Every value is one command answered with one checked eight-byte reply
//! ([`reply`]). Identification reads the model, firmware, serial number and manufacturing
//! date two characters at a time, the number of input and output phases and the UPS
//! type, and the scaling word that tells the model family (GXT2 or NXe), which decides
//! some of the multipliers ([`tables`]). Each poll reads the common measurements, those of
//! the input and output phase layouts (one, split or three phases), then three status bit
//! fields into `ups.status` (`OL`/`OB`, `CHRG`/`DISCHRG` from the battery current,
//! `BYPASS`, `RB`, `BOOST`, `TRIM`, `OVER`, `LB`).
//!
//! Option: `baudrate` (1200, 2400 (the default), 4800, 9600 or 19200). No instant
//! commands and no writable variables, as C; `-k` sends the shutdown sequence.
//!
//! ```
//! use nut_drivers::liebert_esp2::LiebertEsp2;
//! use nut_drivers::sim::{ModelPort, Protocol, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver =
//!     LiebertEsp2::with_opener(ModelPort::opener_for(model.clone(), Protocol::LiebertEsp2));
//! let mut state = DeviceState::new();
//! driver.open(&DriverParams::new("sim"), &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! assert_eq!(state.value("ups.model"), Some("GXT2-3000RT230"));
//! model.lock().unwrap().mains_lost();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OB DISCHRG"));
//! # }
//! ```

pub mod reply;
pub mod tables;

use std::time::Duration;

use async_trait::async_trait;

use nut_driver_api::driver::{Driver, DriverError, DriverInfo, DriverParams, OptionSpec};
use nut_driver_api::status::{c_strtol, StatusBuilder};
use nut_driver_api::DeviceState;

use crate::printf::printf_number;
pub use crate::qx::PortOpener;
use crate::serial::{read_while, SerialPort};
use reply::{ident_chars, ident_text, parse_reply, read_command, ups_type, write_command};
use tables::{Multipliers, Reading, COMMON, IDENT, IN_1, IN_2, IN_3, OUT_1, OUT_2, OUT_3};

/// The program name.
pub const DRIVER_NAME: &str = "liebert-esp2";
/// The description printed in the banner (C's).
pub const DRIVER_DESCRIPTION: &str = "Liebert ESP-II serial UPS driver";
/// `driver.version.internal`: the C driver version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.05";

/// How long a reply may take (C: one second).
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);

/// The line speeds C accepts.
const SPEEDS: [u32; 5] = [1200, 2400, 4800, 9600, 19200];

/// The liebert-esp2 driver. See the [module documentation](self).
pub struct LiebertEsp2 {
    opener: PortOpener,
    /// Whether ports are real ones, opened at the `baudrate` option's speed.
    real: bool,
    port: Option<Box<dyn SerialPort>>,
    in_phases: u32,
    out_phases: u32,
    multi: Multipliers,
}

impl std::fmt::Debug for LiebertEsp2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiebertEsp2")
            .field("open", &self.port.is_some())
            .field("in_phases", &self.in_phases)
            .field("out_phases", &self.out_phases)
            .finish_non_exhaustive()
    }
}

impl Default for LiebertEsp2 {
    fn default() -> Self {
        Self::new()
    }
}

/// The line speed the `baudrate` option asks for (C reads it with `atoi`).
fn speed(params: &DriverParams) -> Result<u32, DriverError> {
    match params.get("baudrate") {
        None => Ok(2400),
        Some(v) => {
            let n = c_strtol(v);
            SPEEDS
                .into_iter()
                .find(|s| i64::from(*s) == n)
                .ok_or_else(|| DriverError::config(format!("Baudrate [{v}] unsupported")))
        }
    }
}

impl LiebertEsp2 {
    /// A driver that opens real serial ports (8N1 at the `baudrate` option's speed) with
    /// tokio-serial.
    pub fn new() -> Self {
        let mut driver = Self::with_opener(Box::new(|path: &str| open_real(path, 2400)));
        driver.real = true;
        driver
    }

    /// A driver that opens its port with `opener` (a simulator, a test double); the speed
    /// is then the opener's business.
    pub fn with_opener(opener: PortOpener) -> Self {
        Self {
            opener,
            real: false,
            port: None,
            in_phases: 1,
            out_phases: 1,
            multi: Multipliers::default(),
        }
    }

    fn port(&mut self) -> Result<&mut dyn SerialPort, DriverError> {
        match self.port.as_mut() {
            Some(p) => Ok(p.as_mut()),
            None => Err(DriverError::device("not opened")),
        }
    }

    /// Sends a command and reads its reply (C's `do_command`): the value, or `None` when
    /// the reply is missing, short or garbled.
    async fn command(&mut self, command: &[u8]) -> Result<Option<i16>, DriverError> {
        let port = self.port()?;
        port.discard_input()?;
        port.write_all(command).await?;
        tracing::trace!(?command, "send");
        let bytes = read_while(port, reply::REPLY_LEN, REPLY_TIMEOUT, |b| {
            b.len() >= reply::REPLY_LEN
        })
        .await?;
        match parse_reply(&bytes) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                tracing::debug!(?bytes, "read: {e}");
                Ok(None)
            }
        }
    }

    async fn read(&mut self, cmd: u8, index: u8) -> Result<Option<i16>, DriverError> {
        self.command(&read_command(cmd, index)).await
    }

    /// Reads a table of measurements; the ones that get no answer are left as they are.
    async fn read_table(
        &mut self,
        table: &[Reading],
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        for r in table {
            if let Some(v) = self.read(r.cmd, r.index).await? {
                let x = reply::scaled(self.multi.get(r.mult), v);
                let _ = state.set(r.var, &printf_number(r.fmt, x));
            }
        }
        Ok(())
    }
}

/// Opens a real serial port at `baud` bits per second, 8N1.
fn open_real(path: &str, baud: u32) -> std::io::Result<Box<dyn SerialPort>> {
    let port = crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(baud))?;
    Ok(Box::new(port))
}

#[async_trait]
impl Driver for LiebertEsp2 {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION).experimental()
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![OptionSpec::value("baudrate", "serial line speed")]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        let baud = speed(params)?;
        let port = match self.real {
            true => open_real(&params.port, baud)?,
            _ => (self.opener)(&params.port)?,
        };
        self.port = Some(port);
        self.in_phases = 1;
        self.out_phases = 1;
        self.multi = Multipliers::default();
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state.set("ups.mfr", "Liebert");
        let mut read_ok = false;
        for (var, first, words) in IDENT {
            let mut chars = Vec::new();
            let mut complete = true;
            for i in 0..words {
                match self.read(0x88, first + i).await? {
                    Some(v) => chars.extend_from_slice(&ident_chars(v)),
                    None => {
                        complete = false;
                        break;
                    }
                }
            }
            if complete {
                let _ = state.set(var, &ident_text(&chars));
                read_ok = true;
            }
        }
        if !read_ok {
            // C gives up for good.
            return Err(DriverError::config("ESP-II capable UPS not detected"));
        }
        if let Some(v) = self.read(0x88, 1).await? {
            let (inp, out, kind) = ups_type(v);
            self.in_phases = inp;
            self.out_phases = out;
            let _ = state.set("input.phases", &inp.to_string());
            let _ = state.set("output.phases", &out.to_string());
            let _ = state.set("ups.type", kind);
        }
        if let Some(v) = self.read(0x83, 2).await? {
            self.multi = Multipliers::for_scaling(v);
        }
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.read_table(COMMON, state).await?;
        let inputs = match self.in_phases {
            3 => IN_3,
            2 => IN_2,
            _ => IN_1,
        };
        let outputs = match self.out_phases {
            3 => OUT_3,
            2 => OUT_2,
            _ => OUT_1,
        };
        self.read_table(inputs, state).await?;
        self.read_table(outputs, state).await?;

        let mut status = StatusBuilder::new();
        let Some(bits1) = self.read(0x94, 1).await? else {
            return Err(DriverError::device("Failed reading bitfield #1"));
        };
        let [hi, _] = bits1.to_be_bytes();
        status.set(if hi & 1 != 0 { "OB" } else { "OL" });
        if let Some(current) = state
            .value("battery.current")
            .and_then(|v| v.parse::<f64>().ok())
        {
            if current > 0.05 {
                status.set("CHRG");
            }
            if current < -0.05 {
                status.set("DISCHRG");
            }
        }
        let Some(bits2) = self.read(0x94, 2).await? else {
            return Err(DriverError::device("Failed reading bitfield #2"));
        };
        let [hi, lo] = bits2.to_be_bytes();
        for (set, word) in [
            (lo & 1 != 0, "BYPASS"),
            (lo & 0x20 != 0, "RB"),
            (lo & 0x40 != 0, "BOOST"),
            (hi & 2 != 0, "TRIM"),
        ] {
            if set {
                status.set(word);
            }
        }
        let Some(bits3) = self.read(0x94, 3).await? else {
            return Err(DriverError::device("Failed reading bitfield #3"));
        };
        let [_, lo] = bits3.to_be_bytes();
        if lo & 1 != 0 {
            status.set("OVER");
        }
        if lo & 0x20 != 0 {
            status.set("LB");
        }
        status.commit_status(state);
        Ok(())
    }

    async fn shutdown(&mut self, _state: &mut DeviceState) -> Result<(), DriverError> {
        // Output-off mode, the delay, the load key, then the shutdown itself; each must be
        // acknowledged before the next is sent.
        let sequence: [&[u8]; 4] = [
            &write_command(0x9c, [1, 6, 0, 1]),
            &write_command(0x9c, [1, 5, 0, tables::SHUTDOWN_DELAY]),
            &read_command(0x9c, 7),
            &write_command(0x9c, [1, 0x88, 76, 76]),
        ];
        for command in sequence {
            if self.command(command).await?.is_none() {
                return Err(DriverError::device("Failed to shutdown UPS"));
            }
        }
        Ok(())
    }

    async fn close(&mut self) {
        self.port = None;
    }
}

#[cfg(test)]
mod tests;
