//! `mge-utalk`: MGE UPS SYSTEMS units speaking U-Talk on a serial line (Pulsar, Comet,
//! EXtreme, Evolution of the 1990s and 2000s), a drop-in for C NUT 2.8.0's `mge-utalk`
//! (0.94).
//!
//! U-Talk is a text protocol at 2400 bit/s: a command (`Ss`, `Bv ?`, …) ends with `\r\n`,
//! a reply with `\r`, `?` means "unknown". Every command waits half a second first, as C.
//! Communication is switched on (`Z`, `Z`, `Si`, `Ax 1` when `Si` gets no answer) before
//! each poll and off (`Ax 0`) at the end. The unit is identified by `Si 1` (model and
//! firmware) or, for older ones, the numbers of `Si`; `Ai` gives the multiplier table the
//! values are scaled with ([`reply::MULTIPLIER`]). Every poll reads the four status bit
//! strings (`Ss`, `Bs`, `Ls`, `Ps`: `OL`/`OB`, `LB`, `RB`, `CHRG`/`DISCHRG`, `BOOST`,
//! `TRIM`, `OVER`, `BYPASS`); the table's variables ([`reply::ITEMS`]) are read at
//! start-up and then once a poll interval has passed.
//!
//! Options: `LowBatt` (%), `OnDelay` (minutes), `OffDelay` (seconds), sent to the unit at
//! start-up; `oldmac` (keep RTS up, for old Macintosh cables). Instant commands:
//! `test.battery.start`, `test.panel.start`, `load.off`, `load.on`, `bypass.start`,
//! `bypass.stop`, `shutdown.return`, `shutdown.stayoff`. SET sends the new value of a
//! writable variable (the unit's answer is only logged, as in C).
//!
//! ```
//! use nut_drivers::mge_utalk::MgeUtalk;
//! use nut_drivers::sim::{ModelPort, Protocol, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver = MgeUtalk::with_opener(ModelPort::opener_for(model.clone(), Protocol::MgeUtalk));
//! let mut state = DeviceState::new();
//! driver.open(&DriverParams::new("sim"), &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.model"), Some("Pulsar EXtreme 1500"));
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! # }
//! ```

pub mod reply;

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::StatusBuilder;
use nut_driver_api::DeviceState;

pub use crate::qx::PortOpener;
use crate::serial::SerialPort;
use reply::{atoi, extract, legacy_model, legacy_numbers, model_and_firmware, status_words, ITEMS};

/// The program name.
pub const DRIVER_NAME: &str = "mge-utalk";
/// The description printed in the banner (C's).
pub const DRIVER_DESCRIPTION: &str = "MGE UPS SYSTEMS/U-Talk driver";
/// `driver.version.internal`: the C driver version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.94";

/// Pause before every command.
const COMMAND_DELAY: Duration = Duration::from_millis(500);
/// Pause after switching communication on or off.
const CONNECT_DELAY: Duration = Duration::from_millis(500);
/// How long a reply may stay silent.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
/// Size of C's reply buffers.
const BUFFLEN: usize = 256;
/// Extra tries of the identification and of the status.
const MAXTRIES: u32 = 10;

/// The mge-utalk driver. See the [module documentation](self).
pub struct MgeUtalk {
    opener: PortOpener,
    port: Option<Box<dyn SerialPort>>,
    table: usize,
    available: [bool; ITEMS.len()],
    lastpoll: u64,
    pollinterval: u64,
    path: String,
}

impl std::fmt::Debug for MgeUtalk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MgeUtalk")
            .field("open", &self.port.is_some())
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl Default for MgeUtalk {
    fn default() -> Self {
        Self::new()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl MgeUtalk {
    /// A driver that opens real serial ports (2400 bit/s, 8N1) with tokio-serial.
    pub fn new() -> Self {
        Self::with_opener(Box::new(|path: &str| {
            let port =
                crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(2400))?;
            Ok(Box::new(port) as Box<dyn SerialPort>)
        }))
    }

    /// A driver that opens its port with `opener` (a simulator, a test double).
    pub fn with_opener(opener: PortOpener) -> Self {
        Self {
            opener,
            port: None,
            table: 0,
            available: [true; ITEMS.len()],
            lastpoll: 0,
            pollinterval: 2,
            path: String::new(),
        }
    }

    fn port(&mut self) -> Result<&mut dyn SerialPort, DriverError> {
        match self.port.as_mut() {
            Some(p) => Ok(p.as_mut()),
            None => Err(DriverError::device("not opened")),
        }
    }

    /// C's `mge_command`: waits, sends `cmd` and `\r\n`, and with `reply` (C's buffer
    /// size) reads the answer line: the count (0 when it did not end in time) and what
    /// arrived.
    async fn command(
        &mut self,
        cmd: &str,
        reply: Option<usize>,
    ) -> Result<(usize, String), DriverError> {
        tokio::time::sleep(COMMAND_DELAY).await;
        let port = self.port()?;
        port.discard_input()?;
        let mut bytes = cmd.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        port.write_all(&bytes).await?;
        tracing::trace!("mge_command: sending {cmd:?}");
        let Some(len) = reply else {
            return Ok((0, String::new()));
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        let mut complete = false;
        while line.len() < len - 1 {
            match tokio::time::timeout(REPLY_TIMEOUT, port.read_some(&mut byte)).await {
                Err(_) => break,
                Ok(Ok(0)) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e.into()),
            }
            match byte[0] {
                b'\r' => {
                    complete = true;
                    break;
                }
                b'\n' | 0 => {}
                b => line.push(b),
            }
        }
        if line.len() == len - 1 {
            complete = true;
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        tracing::trace!("mge_command: received {text:?}");
        Ok((if complete { line.len() } else { 0 }, text))
    }

    /// A command whose answer is wanted (a 256-byte buffer).
    async fn ask(&mut self, cmd: &str) -> Result<(usize, String), DriverError> {
        self.command(cmd, Some(BUFFLEN)).await
    }

    async fn enable_comm(&mut self) -> Result<(), DriverError> {
        self.command("Z", None).await?;
        self.command("Z", None).await?;
        if self.command("Si", Some(8)).await?.0 == 0 {
            self.command("Ax 1", None).await?;
            tokio::time::sleep(CONNECT_DELAY).await;
        }
        self.port()?.discard_input()?;
        Ok(())
    }

    async fn disable_comm(&mut self) -> Result<(), DriverError> {
        tracing::debug!("disable_ups_comm()");
        self.port()?.discard_input()?;
        tokio::time::sleep(CONNECT_DELAY).await;
        self.command("Ax 0", None).await?;
        Ok(())
    }

    /// C's `get_ups_status`: the status words committed, and whether `Ss` answered.
    async fn status(&mut self, state: &mut DeviceState) -> Result<bool, DriverError> {
        let mut tries = 0;
        loop {
            let (n, ss) = self.ask("Ss").await?;
            let ok = n > 0 && ss.len() > 7;
            let ss = if n > 0 { ss } else { String::new() };
            let (_, bs) = self.ask("Bs").await?;
            let (_, ls) = self.ask("Ls").await?;
            let (_, ps) = self.ask("Ps").await?;
            let words = status_words(&[&ss, &bs, &ls, &ps]);
            if ok || tries >= MAXTRIES {
                let mut status = StatusBuilder::new();
                for w in words {
                    status.set(w);
                }
                status.commit_status(state);
                return Ok(ok);
            }
            tries += 1;
        }
    }

    async fn read_items(
        &mut self,
        state: &mut DeviceState,
        first: bool,
    ) -> Result<(), DriverError> {
        for (i, item) in ITEMS.iter().enumerate() {
            if !first && !self.available[i] {
                continue;
            }
            let (n, text) = self.ask(item.cmd).await?;
            let good = n >= 1 && !text.starts_with('?');
            if first {
                self.available[i] = good;
            }
            if !good {
                if first {
                    tracing::debug!("initinfo: {} unavailable", item.var);
                } else {
                    tracing::info!("updateinfo: Cannot update {}", item.var);
                    self.disable_comm().await?;
                    self.enable_comm().await?;
                }
                continue;
            }
            let value = extract(&text, item, self.table);
            let _ = state.set(item.var, &value);
            if first {
                state.set_flags(item.var, item.rw, item.rw, false);
                if item.rw {
                    state.set_aux(item.var, item.len);
                }
            }
        }
        Ok(())
    }

    /// C's `upsdrv_shutdown` with the given kind (`Sx 5` first for an automatic restart),
    /// then the clean-up.
    async fn shutdown_sequence(&mut self, stayoff: bool) -> Result<(), DriverError> {
        let mut answer = String::new();
        if !stayoff {
            answer = self.ask("Sx 5").await?.1;
            tracing::info!("UPS response to Automatic Restart was {answer}");
        }
        if answer == "OK" || stayoff {
            let answer = self.ask("Sx 0").await?.1;
            tracing::info!("UPS response to Shutdown was {answer}");
        }
        self.disable_comm().await
    }

    async fn ok_command(&mut self, cmd: &str) -> Result<bool, DriverError> {
        Ok(self.ask(cmd).await?.1 == "OK")
    }

    async fn run_instcmd(&mut self, cmd: &str) -> Result<Option<bool>, DriverError> {
        let c = cmd.to_ascii_lowercase();
        Ok(Some(match c.as_str() {
            "test.battery.start" => self.ok_command("Bx 1").await?,
            "test.panel.start" => self.ok_command("Sx 129").await?,
            "shutdown.stayoff" | "shutdown.return" => {
                self.shutdown_sequence(c == "shutdown.stayoff").await?;
                true
            }
            "load.off" | "load.on" => {
                self.ok_command("Wy 65535").await?
                    && self
                        .ok_command(if c == "load.on" { "Wx 1" } else { "Wx 0" })
                        .await?
            }
            "bypass.start" | "bypass.stop" => {
                let (n, ps) = self.ask("Ps").await?;
                if n == 0 {
                    return Ok(None);
                }
                let cmd = if ps.starts_with('1') { "Px 2" } else { "Px 3" };
                self.ok_command(cmd).await?
            }
            _ => return Ok(None),
        }))
    }
}

#[async_trait]
impl Driver for MgeUtalk {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION)
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value(
                "LowBatt",
                "Low battery level, in %              (default =  30)",
            ),
            OptionSpec::value(
                "OnDelay",
                "Delay before startup, in minutes     (default =   1)",
            ),
            OptionSpec::value(
                "OffDelay",
                "Delay before shutdown, in seconds    (default =  20)",
            ),
            OptionSpec::flag("oldmac", "Enable Oldworld Apple Macintosh support"),
        ]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        self.pollinterval = params
            .get("pollinterval")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(2);
        self.path = params.port.clone();
        let mut port = (self.opener)(&params.port)?;
        // Modem lines a pseudo-terminal lacks are no reason to stop, as in C.
        if params.is_set("oldmac") {
            let _ = port.set_dtr(false);
        } else {
            let _ = port.set_rts(false);
        }
        self.port = Some(port);
        self.enable_comm().await?;
        let settings = [
            (
                "lowbatt",
                "Bl",
                "Low Battery Level set to {}%",
                "Low Battery Level cannot be set",
            ),
            (
                "ondelay",
                "Sm",
                "ON delay set to {} min",
                "OnDelay unavailable",
            ),
            (
                "offdelay",
                "Sn",
                "OFF delay set to {} sec",
                "OffDelay unavailable",
            ),
        ];
        for (opt, cmd, done, failed) in settings {
            let Some(v) = params.get(opt) else { continue };
            let n = atoi(v);
            if self.ask(&format!("{cmd} {n}")).await?.1 == "OK" {
                tracing::debug!("{}", done.replace("{}", &n.to_string()));
            } else {
                tracing::debug!("initups: {failed}");
            }
        }
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state.set("ups.mfr", "MGE UPS SYSTEMS");
        let mut model: Option<String> = None;
        let mut firmware: Option<String> = None;
        let mut tries = 0;
        loop {
            print!(".");
            let (n, si1) = self.ask("Si 1").await?;
            if n > 0 && !si1.starts_with('?') {
                let _ = state.set("ups.id", &si1);
                let (m, f) = model_and_firmware(&si1);
                model = Some(m);
                firmware = f;
            } else {
                tracing::debug!("initinfo: 'Si 1' unavailable, switching to 'Si' command");
                let (n, si) = self.ask("Si").await?;
                if n > 0 && !si.starts_with('?') {
                    println!(
                        "\nCAUTION : This is an older model. It may not support too much polling.\nPlease read man mge-utalk and use pollinterval"
                    );
                    let (d1, d2) = legacy_numbers(&si);
                    if let Some(m) = legacy_model(d1, d2) {
                        model = Some(m);
                    }
                    if model.is_none() {
                        println!(
                            "No model found by that model and version ID\nPlease contact us with UPS model, name and reminder info\nReminder info : Data1={d1} , Data2={d2}"
                        );
                    }
                }
            }
            if let Some(m) = &model {
                let _ = state.set("ups.model", m);
            }
            let _ = state.set("ups.firmware", firmware.as_deref().unwrap_or("unknown"));
            let (n, ai) = self.ask("Ai").await?;
            if n > 0 && !ai.starts_with('?') {
                if let Some(t) = reply::table(&ai) {
                    self.table = t;
                }
            }
            let ok = self.status(state).await?;
            if ok || tries >= MAXTRIES {
                break;
            }
            tries += 1;
        }
        if self.table == 0 {
            tracing::warn!("Could not get multiplier table: using raw readings.");
        }
        self.read_items(state, true).await?;
        self.lastpoll = now();
        for cmd in [
            "load.off",
            "load.on",
            "shutdown.return",
            "shutdown.stayoff",
            "test.panel.start",
            "test.battery.start",
            "bypass.start",
            "bypass.stop",
        ] {
            let _ = state.add_cmd(cmd);
        }
        println!(
            "Detected {} on {}",
            state.value("ups.model").unwrap_or("(null)"),
            self.path
        );
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.enable_comm().await?;
        if !self.status(state).await? {
            tracing::info!("updateinfo: Cannot update system status");
            self.disable_comm().await?;
            self.enable_comm().await?;
        }
        if now() <= self.lastpoll + self.pollinterval {
            return Ok(());
        }
        self.read_items(state, false).await?;
        self.lastpoll = now();
        Ok(())
    }

    async fn instcmd(
        &mut self,
        _state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        match self.run_instcmd(cmd).await {
            Ok(Some(true)) => TrackingStatus::Handled,
            Ok(Some(false)) => TrackingStatus::Unknown,
            Ok(None) => {
                tracing::info!(
                    "instcmd: unknown command [{cmd}] [{}]",
                    param.unwrap_or("(null)")
                );
                TrackingStatus::Unknown
            }
            Err(e) => {
                tracing::warn!("instcmd {cmd}: {e}");
                TrackingStatus::Failed
            }
        }
    }

    async fn set_var(&mut self, _state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        let found = ITEMS
            .iter()
            .position(|i| i.var.eq_ignore_ascii_case(var))
            .filter(|&i| self.available[i] && ITEMS[i].cmd.contains('?'));
        let Some(i) = found else {
            tracing::debug!("setvar: Variable {var} not supported by UPS");
            return TrackingStatus::Unknown;
        };
        let cmd = ITEMS[i].cmd;
        let command = format!("{}{value}", &cmd[..cmd.find('?').unwrap_or(cmd.len())]);
        match self.ask(&command).await {
            Ok((_, answer)) => {
                tracing::info!("setvar: UPS response to Set {var} to {value} was {answer}")
            }
            Err(e) => tracing::warn!("setvar {var}: {e}"),
        }
        // As C: the answer is only logged.
        TrackingStatus::Unknown
    }

    async fn shutdown(&mut self, _state: &mut DeviceState) -> Result<(), DriverError> {
        let r = self.shutdown_sequence(false).await;
        self.port = None;
        r
    }

    async fn close(&mut self) {
        if self.port.is_some() {
            tracing::debug!("cleaning up");
            let _ = self.disable_comm().await;
        }
        self.port = None;
    }
}

#[cfg(test)]
mod tests;
