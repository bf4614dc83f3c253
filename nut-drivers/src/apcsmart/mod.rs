//! `apcsmart`: the APC Smart protocol on a serial line, a drop-in for C NUT 2.8.0's
//! `apcsmart` (3.2).
//!
//! Start-up follows C: smart mode (`Y` → `SM`, with `ESC` between tries), then the
//! firmware (`V`, else `b`) is looked up in the table of old units that cannot list their
//! commands ([`tables::COMPAT`]); otherwise the device's command set (`a`) decides which
//! variables ([`tables::VARS`]) and instant commands ([`tables::CMDS`]) exist, each
//! variable verified by reading it once; of several characters for one variable the first
//! that answers in shape wins; the capability table (`^Z`) makes settings writable with
//! their allowed values. A device that answers neither is set up as C's "very old" model.
//!
//! Every poll reads the status register (`Q`) into `ups.status` words (`CAL TRIM BOOST OL
//! OB OVER LB RB`, `OFF` when none), then the polled variables (every variable once an
//! hour). Alert characters the device sends between or inside replies change the status at
//! once; one that arrives between polls wakes the driver up for a whole update
//! ([`Driver::event`]), as C's main loop does when the port becomes readable (C only with
//! `ttymode=raw`, not in its default canonical terminal mode; ours always).
//!
//! ```
//! use nut_drivers::apcsmart::Apcsmart;
//! use nut_drivers::sim::{apc, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver = Apcsmart::with_opener(apc::opener(model.clone()));
//! let mut state = DeviceState::new();
//! driver.open(&DriverParams::new("sim"), &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! assert_eq!(state.value("ups.model"), Some("Smart-UPS 1000"));
//! model.lock().unwrap().mains_lost();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OB"));
//! # }
//! ```

// The table and the driver's knowledge of it are indexed together.
#![allow(clippy::needless_range_loop)]

pub mod reply;
pub mod tables;

use std::io;

use async_trait::async_trait;
use tokio::time::{Duration, Instant};

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::StatusBuilder;
use nut_driver_api::DeviceState;

pub use crate::qx::PortOpener;
use crate::serial::{read_while, SerialPort};
use reply::{is_complete, parse_line, ReadMode};
use tables::{convert, show, CmdKind, CMDS, COMPAT, MULTI, PACK, POLL, STRING, VARS};

/// The program name.
pub const DRIVER_NAME: &str = "apcsmart";
/// The description printed in the banner (C's).
pub const DRIVER_DESCRIPTION: &str = "APC Smart protocol driver";
/// `driver.version.internal`: the C apcsmart version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "3.2";

const STAT_CAL: u8 = 0x01;
const STAT_OL: u8 = 0x08;
const STAT_OB: u8 = 0x10;
const STAT_OVER: u8 = 0x20;
const STAT_LB: u8 = 0x40;
const STAT_RB: u8 = 0x80;

const D0: Duration = Duration::ZERO;
const DX: Duration = Duration::from_millis(200);
const D1: Duration = Duration::from_millis(1500);
const D3: Duration = Duration::from_secs(3);
const D6: Duration = Duration::from_secs(6);

/// What the driver knows about one entry of [`VARS`].
#[derive(Debug, Clone, Copy, Default)]
struct VarState {
    present: bool,
    rw: bool,
    enumerated: bool,
    packed: usize,
}

/// The apcsmart driver. See the [module documentation](self).
pub struct Apcsmart {
    opener: PortOpener,
    port: Option<Box<dyn SerialPort>>,
    params: DriverParams,
    vars: Vec<VarState>,
    cmds: Vec<bool>,
    status: u8,
    last_full: Option<Instant>,
    last_nasty: Option<Instant>,
    stale_polls: u32,
    pending: Vec<u8>,
}

impl std::fmt::Debug for Apcsmart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apcsmart")
            .field("open", &self.port.is_some())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serial")]
impl Default for Apcsmart {
    fn default() -> Self {
        Self::new()
    }
}

fn check(value: Option<&str>, name: &str, ok: impl Fn(&str) -> bool) -> Result<(), DriverError> {
    match value {
        Some(v) if !ok(v) => Err(DriverError::config(format!(
            "invalid value ({v}) for option '{name}'"
        ))),
        _ => Ok(()),
    }
}

fn digits(v: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

impl Apcsmart {
    /// A driver that opens real serial ports (2400 bit/s, 8N1) with tokio-serial.
    #[cfg(feature = "serial")]
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
            params: DriverParams::default(),
            vars: vec![VarState::default(); VARS.len()],
            cmds: vec![false; CMDS.len()],
            status: 0,
            last_full: None,
            last_nasty: None,
            stale_polls: 0,
            pending: Vec::new(),
        }
    }

    fn port(&mut self) -> Result<&mut dyn SerialPort, DriverError> {
        match self.port.as_mut() {
            Some(p) => Ok(p.as_mut()),
            None => Err(DriverError::device("not opened")),
        }
    }

    async fn write(&mut self, c: u8) -> Result<(), DriverError> {
        Ok(self.port()?.write_all(&[c]).await?)
    }

    /// C's `apc_flush`: with alerts, read what is there and act on its alerts; else drop it.
    async fn flush(&mut self, alerts: bool, state: &mut DeviceState) -> Result<(), DriverError> {
        if !alerts {
            self.pending.clear();
            self.port()?.discard_input()?;
            return Ok(());
        }
        // What already arrived first (an alert that woke [`Driver::event`] up), then
        // whatever else is there, without waiting.
        loop {
            self.take_alerts(state);
            let mut buf = [0u8; 64];
            let port = self.port()?;
            match tokio::time::timeout(D0, port.read_some(&mut buf)).await {
                Ok(Ok(0)) => {
                    return Err(
                        io::Error::new(io::ErrorKind::UnexpectedEof, "serial port closed").into(),
                    )
                }
                Ok(Ok(n)) => self.pending.extend_from_slice(&buf[..n]),
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => return Ok(()),
            }
        }
    }

    /// Acts on the alert characters among the bytes received and not read yet, and drops
    /// the rest (C reads such bytes with alerts on and throws the text away).
    fn take_alerts(&mut self, state: &mut DeviceState) {
        for c in std::mem::take(&mut self.pending) {
            if reply::ALERT_CHARS.contains(&c) {
                self.alert(c, state);
            }
        }
    }

    /// C's `apc_read`: one reply, `None` when none came in time. Bytes after the end of
    /// the reply are kept for the next read, as the terminal's line buffer keeps them.
    async fn read(
        &mut self,
        mode: ReadMode,
        timeout: Duration,
        state: &mut DeviceState,
    ) -> Result<Option<String>, DriverError> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 64];
        while !is_complete(&self.pending, mode) && self.pending.len() < reply::MAX_REPLY + 64 {
            let port = self.port()?;
            match tokio::time::timeout_at(deadline, port.read_some(&mut buf)).await {
                Err(_) => break,
                Ok(Ok(0)) => {
                    return Err(
                        io::Error::new(io::ErrorKind::UnexpectedEof, "serial port closed").into(),
                    )
                }
                Ok(Ok(n)) => self.pending.extend_from_slice(&buf[..n]),
                Ok(Err(e)) => return Err(e.into()),
            }
        }
        let end = reply::line_end(&self.pending, mode).map_or(self.pending.len(), |e| e + 1);
        let raw: Vec<u8> = self.pending.drain(..end).collect();
        let line = parse_line(&raw, mode);
        for &c in &line.alerts {
            self.alert(c, state);
        }
        Ok(line.complete.then_some(line.text))
    }

    /// Sends `cmd` and reads the answer; `None` for no answer or `NA`.
    async fn ask(
        &mut self,
        cmd: u8,
        mode: ReadMode,
        timeout: Duration,
        state: &mut DeviceState,
    ) -> Result<Option<String>, DriverError> {
        self.write(cmd).await?;
        Ok(self
            .read(mode, timeout, state)
            .await?
            .filter(|r| !r.is_empty() && r != "NA"))
    }

    /// Sends a character twice about 1.5 s apart (C's `apc_write_rep`); false when the
    /// device answered the first one.
    async fn write_rep(&mut self, c: u8, state: &mut DeviceState) -> Result<bool, DriverError> {
        self.write(c).await?;
        if self.read(ReadMode::Plain, DX, state).await?.is_some() {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(1300)).await;
        self.write(c).await?;
        Ok(true)
    }

    /// Sends a command with arguments (C's `apc_write_long`): the first character, then
    /// (unless the device answered it) the rest paced 50 ms apart.
    async fn write_long(
        &mut self,
        text: &[u8],
        state: &mut DeviceState,
    ) -> Result<bool, DriverError> {
        let Some((&first, rest)) = text.split_first() else {
            return Ok(false);
        };
        self.write(first).await?;
        if self.read(ReadMode::Plain, DX, state).await?.is_some() {
            return Ok(false);
        }
        for &c in rest {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.write(c).await?;
        }
        Ok(true)
    }

    fn alert(&mut self, c: u8, state: &mut DeviceState) {
        tracing::debug!("alert_handler: {}", show(c));
        match c {
            b'!' => self.status = (self.status & !STAT_OL) | STAT_OB,
            b'$' => self.status = (self.status & !STAT_OB) | STAT_OL,
            b'%' => self.status |= STAT_LB,
            b'+' => self.status &= !STAT_LB,
            b'#' => self.status |= STAT_RB,
            b'?' => self.status |= STAT_OVER,
            b'=' => self.status &= !STAT_OVER,
            _ => {}
        }
        self.commit_status(state);
    }

    fn commit_status(&self, state: &mut DeviceState) {
        let mut b = StatusBuilder::new();
        for (bit, word) in ["CAL", "TRIM", "BOOST", "OL", "OB", "OVER", "LB", "RB"]
            .into_iter()
            .enumerate()
        {
            if self.status & (1 << bit) != 0 {
                b.set(word);
            }
        }
        if self.status == 0 {
            b.set("OFF");
        }
        b.commit_status(state);
    }

    /// C's `smartmode`.
    async fn smartmode(
        &mut self,
        tries: u32,
        state: &mut DeviceState,
    ) -> Result<bool, DriverError> {
        for _ in 0..tries {
            self.flush(false, state).await?;
            self.write(b'Y').await?;
            if self.read(ReadMode::Plain, D1, state).await?.as_deref() == Some("SM") {
                return Ok(true);
            }
            self.write(27).await?;
            let _ = self.read(ReadMode::Plain, D1, state).await?;
        }
        Ok(false)
    }

    fn set_value(&mut self, i: usize, raw: &str, state: &mut DeviceState) {
        let v = &VARS[i];
        if v.flags & PACK == 0 {
            let _ = state.set(v.name, &convert(v.format, raw));
            return;
        }
        let fields: Vec<&str> = raw
            .splitn(tables::PACK_MAX + 1, ',')
            .take(tables::PACK_MAX)
            .collect();
        if self.vars[i].packed > fields.len() {
            self.delete_packed(i, fields.len(), state);
        }
        self.vars[i].packed = fields.len();
        for (n, f) in fields.iter().enumerate() {
            let name = v.name.replacen(".0.", &format!(".{}.", n + 1), 1);
            let value = if f.is_empty() {
                "N/A".to_owned()
            } else {
                convert(v.format, f)
            };
            let _ = state.set(&name, &value);
        }
    }

    fn delete_packed(&mut self, i: usize, from: usize, state: &mut DeviceState) {
        for n in from..self.vars[i].packed {
            state.delete(&VARS[i].name.replacen(".0.", &format!(".{}.", n + 1), 1));
        }
        self.vars[i].packed = 0;
    }

    fn delete_value(&mut self, i: usize, state: &mut DeviceState) {
        if VARS[i].flags & PACK == 0 {
            state.delete(VARS[i].name);
        } else {
            self.delete_packed(i, 0, state);
        }
    }

    fn string_setup(&mut self, i: usize, state: &mut DeviceState) {
        if VARS[i].flags & STRING != 0 {
            state.set_flags(VARS[i].name, true, true, false);
            state.set_aux(VARS[i].name, tables::STRING_LEN as i64);
            self.vars[i].rw = true;
        }
    }

    /// C's `preread_data`.
    async fn preread(
        &mut self,
        i: usize,
        state: &mut DeviceState,
    ) -> Result<Option<String>, DriverError> {
        tracing::debug!("preread_data: {} [{}]", VARS[i].name, show(VARS[i].cmd));
        self.flush(false, state).await?;
        let r = self.ask(VARS[i].cmd, ReadMode::Plain, D3, state).await?;
        if r.is_none() {
            tracing::error!(
                "preread_data: {} [{}] timed out or not supported",
                VARS[i].name,
                show(VARS[i].cmd)
            );
        }
        Ok(r)
    }

    /// C's `var_verify`.
    async fn var_verify(&mut self, i: usize, state: &mut DeviceState) -> Result<(), DriverError> {
        if VARS[i].flags & MULTI != 0 {
            self.vars[i].present = true;
            return Ok(());
        }
        match self.preread(i, state).await? {
            Some(raw) => {
                self.vars[i].present = true;
                self.set_value(i, &raw, state);
                self.string_setup(i, state);
            }
            None => tracing::warn!(
                "{} [{}] - variable invalid",
                VARS[i].name,
                show(VARS[i].cmd)
            ),
        }
        Ok(())
    }

    /// C's `deprecate_vars`: of several characters for one variable, keep the first good.
    async fn deprecate_vars(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        for i in 0..VARS.len() {
            let v = &VARS[i];
            if v.flags & MULTI == 0 || !self.vars[i].present {
                continue;
            }
            let raw = self.preread(i, state).await?;
            let Some(raw) = raw.filter(|r| v.shape.is_none_or(|s| s.matches(r))) else {
                self.vars[i].present = false;
                tracing::warn!(
                    "{} [{}] - variable combination invalid",
                    v.name,
                    show(v.cmd)
                );
                continue;
            };
            for j in i + 1..VARS.len() {
                if VARS[j].name == v.name || VARS[j].cmd == v.cmd {
                    self.vars[j].present = false;
                }
            }
            self.set_value(i, &raw, state);
            self.string_setup(i, state);
        }
        Ok(())
    }

    /// C's `protocol_verify`.
    async fn protocol_verify(&mut self, c: u8, state: &mut DeviceState) -> Result<(), DriverError> {
        if tables::UNREPORTED.contains(&c) {
            return Ok(());
        }
        let vars: Vec<usize> = (0..VARS.len()).filter(|&i| VARS[i].cmd == c).collect();
        for &i in &vars {
            self.var_verify(i, state).await?;
        }
        if !vars.is_empty() {
            return Ok(());
        }
        let mut found = false;
        for (i, ct) in CMDS.iter().enumerate() {
            if ct.cmd == c {
                self.cmds[i] = true;
                let _ = state.add_cmd(ct.name);
                found = true;
            }
        }
        if !found {
            tracing::warn!("[{}] unrecognized", show(c));
        }
        Ok(())
    }

    fn lookup_char(&self, c: u8) -> Option<usize> {
        (0..VARS.len()).find(|&i| self.vars[i].present && VARS[i].cmd == c)
    }

    fn lookup_name(&self, name: &str) -> Option<usize> {
        (0..VARS.len()).find(|&i| self.vars[i].present && VARS[i].name.eq_ignore_ascii_case(name))
    }

    /// C's `firmware_table_lookup`: 0 no match, 1 matched, 2 a quirky firmware.
    async fn firmware_table_lookup(&mut self, state: &mut DeviceState) -> Result<u8, DriverError> {
        self.flush(false, state).await?;
        self.write(b'V').await?;
        let mut fw = self
            .read(ReadMode::Plain, D3, state)
            .await?
            .unwrap_or_default();
        if fw.is_empty() || fw == "NA" {
            self.write(b'b').await?;
            match self.read(ReadMode::Plain, D3, state).await? {
                Some(r) if !r.is_empty() => fw = r,
                _ => return Ok(0),
            }
        }
        tracing::debug!("detected firmware version: {fw}");
        if fw == "451.2.I" {
            return Ok(2);
        }
        if fw.len() == 2 && fw.bytes().all(|b| b.is_ascii_hexdigit()) {
            fw = "set\x01".into();
        }
        let Some((name, chars)) = COMPAT.iter().find(|(f, _)| *f == fw) else {
            return Ok(0);
        };
        let model = if name.starts_with(['0', '5']) {
            "Matrix-UPS"
        } else {
            "Smart-UPS"
        };
        let _ = state.set("ups.model", model);
        for &c in *chars {
            self.protocol_verify(c, state).await?;
        }
        self.deprecate_vars(state).await?;
        Ok(1)
    }

    /// C's `oldapcsetup`.
    async fn old_setup(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        for name in [
            "ups.temperature",
            "ups.load",
            "input.voltage",
            "output.voltage",
            "battery.charge",
            "battery.voltage",
            "ups.model",
            "ups.serial",
            "ups.firmware",
            "output.current",
        ] {
            for i in 0..VARS.len() {
                if VARS[i].name == name {
                    self.var_verify(i, state).await?;
                }
            }
        }
        self.deprecate_vars(state).await?;
        if self.lookup_name("output.current").is_some() {
            let _ = state.set("ups.model", "Matrix-UPS");
        } else if self.lookup_name("ups.model").is_none() {
            let _ = state.set("ups.model", "Smart-UPS");
        }
        Ok(())
    }

    /// C's `apc_getcaps`.
    async fn getcaps(&mut self, quirky: bool, state: &mut DeviceState) -> Result<(), DriverError> {
        let locale = state
            .value("ups.firmware")
            .and_then(|f| f.bytes().last())
            .unwrap_or(0);
        self.flush(false, state).await?;
        let Some(caps) = self.ask(0x1a, ReadMode::Caps, D6, state).await? else {
            tracing::warn!("APC cannot do capabilities but said it could !");
            return Ok(());
        };
        let (entries, err) = reply::parse_caps(caps.as_bytes());
        for e in entries {
            let vt = self.lookup_char(e.cmd);
            let valid = vt
                .filter(|&i| (e.locale == locale || e.locale == b'4') && VARS[i].flags & PACK == 0);
            let Some(i) = valid else {
                if vt.is_some() {
                    tracing::warn!(
                        "WARN: packed APC variable {} reported as enumerable",
                        show(e.cmd)
                    );
                }
                continue;
            };
            tracing::debug!(
                "{} [{}({})] - capability supported",
                VARS[i].name,
                show(e.cmd),
                show(e.locale)
            );
            state.set_flags(VARS[i].name, true, false, false);
            self.vars[i].rw = true;
            self.vars[i].enumerated = true;
            for v in e.values {
                let _ = state.add_enum(VARS[i].name, &convert(VARS[i].format, &v));
            }
        }
        match err {
            Some(reply::CapsError::BadStart) => {
                tracing::warn!(
                    "unknown capability start char [{}] !",
                    caps.chars().next().unwrap_or(' ')
                );
                Ok(())
            }
            Some(reply::CapsError::Overflow) if quirky => Ok(()),
            Some(e) => Err(DriverError::device(e)),
            None => Ok(()),
        }
    }

    /// C's `getbaseinfo`.
    async fn getbaseinfo(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let qco = self.firmware_table_lookup(state).await?;
        if qco == 1 {
            return Ok(());
        }
        self.flush(false, state).await?;
        self.write(b'a').await?;
        let set = self
            .read(ReadMode::CmdSet, D6, state)
            .await?
            .unwrap_or_default();
        let Some(chars) = reply::cmdset_chars(&set).map(<[u8]>::to_vec) else {
            tracing::info!("very old or unknown APC model, support will be limited");
            return self.old_setup(state).await;
        };
        for &c in &chars {
            self.protocol_verify(c, state).await?;
        }
        self.deprecate_vars(state).await?;
        if chars.contains(&0x1a) {
            self.getcaps(qco == 2, state).await?;
        }
        Ok(())
    }

    /// C's `update_status`.
    async fn update_status(&mut self, state: &mut DeviceState) -> Result<bool, DriverError> {
        self.flush(true, state).await?;
        match self.ask(b'Q', ReadMode::Alerts, D3, state).await? {
            Some(r) => {
                self.status = (c_strtol16(&r) & 0xff) as u8;
                self.commit_status(state);
                Ok(true)
            }
            None => {
                tracing::warn!("update_status: failed");
                Ok(false)
            }
        }
    }

    /// C's `poll_data`.
    async fn poll_data(&mut self, i: usize, state: &mut DeviceState) -> Result<bool, DriverError> {
        if !self.vars[i].present {
            return Ok(true);
        }
        self.flush(true, state).await?;
        self.write(VARS[i].cmd).await?;
        let Some(r) = self
            .read(ReadMode::Alerts, D3, state)
            .await?
            .filter(|r| !r.is_empty())
        else {
            return Ok(false);
        };
        if r == "NA" {
            tracing::warn!(
                "poll_data: verified variable {} [{}] returned NA, removing",
                VARS[i].name,
                show(VARS[i].cmd)
            );
            self.vars[i].present = false;
            self.delete_value(i, state);
        } else {
            self.set_value(i, &r, state);
        }
        Ok(true)
    }

    async fn sdok(
        &mut self,
        ignore_silence: bool,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        let r = self.read(ReadMode::Shutdown, D1, state).await?;
        tracing::debug!("sdok: got \"{}\"", r.as_deref().unwrap_or(""));
        Ok(match r.as_deref() {
            Some("OK") => TrackingStatus::Handled,
            None if ignore_silence => TrackingStatus::Handled,
            _ => TrackingStatus::Failed,
        })
    }

    async fn sd_s(&mut self, state: &mut DeviceState) -> Result<CommandResult, DriverError> {
        self.flush(false, state).await?;
        self.write(b'S').await?;
        self.sdok(false, state).await
    }

    async fn sd_cs(&mut self, state: &mut DeviceState) -> Result<CommandResult, DriverError> {
        let delay = self
            .params
            .get("cshdelay")
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(3.5);
        if self.status & STAT_OL != 0 {
            self.flush(false, state).await?;
            self.write(b'U').await?;
            let _ = self.read(ReadMode::Plain, D1, state).await?;
            tokio::time::sleep(Duration::from_secs_f64(delay.max(0.0))).await;
        }
        self.sd_s(state).await
    }

    async fn sd_at(
        &mut self,
        awd: Option<&str>,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        let awd = awd.unwrap_or("000");
        let pad = if awd.len() == 2 { 2 } else { 3 };
        let text = format!("@{awd:0>pad$}");
        self.flush(false, state).await?;
        if !self.write_long(text.as_bytes(), state).await? {
            tracing::error!("issuing [@] with {pad} digits failed");
            return Ok(TrackingStatus::Failed);
        }
        let r = self.sdok(false, state).await?;
        if r == TrackingStatus::Handled || pad == 3 {
            return Ok(r);
        }
        tracing::error!("command [@] with 2 digits doesn't work - try 3 digits");
        self.write(b'Y').await?;
        let _ = self.read(ReadMode::Plain, D1, state).await?;
        Ok(TrackingStatus::Failed)
    }

    async fn sd_rep(
        &mut self,
        c: u8,
        silent_ok: bool,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        self.flush(false, state).await?;
        if !self.write_rep(c, state).await? {
            return Ok(TrackingStatus::Failed);
        }
        self.sdok(silent_ok, state).await
    }

    async fn do_cal(
        &mut self,
        start: bool,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        self.flush(true, state).await?;
        let Some(r) = self.ask(b'Q', ReadMode::Alerts, D3, state).await? else {
            tracing::warn!("runtime calibration state undeterminable");
            return Ok(TrackingStatus::Handled);
        };
        let running = c_strtol16(&r) & i64::from(STAT_CAL) != 0;
        if running == start {
            tracing::info!(
                "runtime calibration {}",
                if start {
                    "already in progress"
                } else {
                    "not occurring"
                }
            );
            return Ok(TrackingStatus::Handled);
        }
        let r = self.ask(b'D', ReadMode::Alerts, D3, state).await?;
        if r.as_deref().is_none_or(|r| r == "NO") {
            tracing::warn!(
                "{} calibration failed",
                if start { "start" } else { "stop" }
            );
        }
        Ok(TrackingStatus::Handled)
    }

    async fn do_cmd(
        &mut self,
        i: usize,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        let ct = CMDS[i];
        self.flush(true, state).await?;
        let sent = match ct.kind {
            CmdKind::Repeat | CmdKind::NastyRepeat => self.write_rep(ct.cmd, state).await?,
            _ => {
                self.write(ct.cmd).await?;
                true
            }
        };
        if !sent {
            return Ok(TrackingStatus::Failed);
        }
        match self.read(ReadMode::Alerts, D3, state).await? {
            Some(r) if r == "OK" => {
                tracing::info!("do_cmd: {} completed", ct.name);
                Ok(TrackingStatus::Handled)
            }
            r => {
                tracing::warn!(
                    "do_cmd: got [{}] after command [{}]",
                    r.unwrap_or_default(),
                    ct.name
                );
                Ok(TrackingStatus::Failed)
            }
        }
    }

    async fn run_cmd(
        &mut self,
        cmd: &str,
        arg: Option<&str>,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        let Some(i) = CMDS
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(cmd) && c.arg.accepts(arg))
        else {
            tracing::warn!("instcmd: unknown command [{cmd} {}]", arg.unwrap_or(""));
            return Ok(TrackingStatus::Invalid);
        };
        if !self.cmds[i] {
            tracing::warn!(
                "instcmd: command [{cmd}] recognized, but not supported by your UPS model"
            );
            return Ok(TrackingStatus::Invalid);
        }
        if matches!(CMDS[i].kind, CmdKind::Nasty | CmdKind::NastyRepeat) {
            let now = Instant::now();
            let last = self.last_nasty.replace(now);
            let ok = last.is_some_and(|l| (3..=15).contains(&now.duration_since(l).as_secs()));
            if !ok {
                tracing::debug!("instcmd_chktime: outside window for [{cmd}]");
                return Ok(TrackingStatus::Handled);
            }
        }
        let cmd = cmd.to_ascii_lowercase();
        match cmd.as_str() {
            "calibrate.start" => self.do_cal(true, state).await,
            "calibrate.stop" => self.do_cal(false, state).await,
            "load.on" => {
                self.flush(false, state).await?;
                Ok(match self.write_rep(0x0e, state).await? {
                    true => TrackingStatus::Handled,
                    false => TrackingStatus::Failed,
                })
            }
            "load.off" => self.sd_rep(b'Z', true, state).await,
            "shutdown.stayoff" => self.sd_rep(b'K', false, state).await,
            "shutdown.return" => match arg.unwrap_or("").as_bytes().first() {
                None => self.sd_s(state).await,
                Some(b'a' | b'A') => self.sd_at(arg.and_then(|a| a.get(3..)), state).await,
                Some(_) => self.sd_cs(state).await,
            },
            _ => self.do_cmd(i, state).await,
        }
    }

    async fn setvar_enum(
        &mut self,
        i: usize,
        val: &str,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        let v = VARS[i];
        self.flush(true, state).await?;
        let Some(orig) = self.ask(v.cmd, ReadMode::Alerts, D3, state).await? else {
            return Ok(TrackingStatus::Failed);
        };
        if convert(v.format, &orig) == val {
            tracing::info!(
                "setvar_enum: ignoring SET {}='{val}' (unchanged value)",
                v.name
            );
            return Ok(TrackingStatus::Handled);
        }
        for _ in 0..32 {
            if self
                .ask(b'-', ReadMode::Alerts, D3, state)
                .await?
                .as_deref()
                != Some("OK")
            {
                return Ok(TrackingStatus::Failed);
            }
            let Some(now) = self.ask(v.cmd, ReadMode::Alerts, D3, state).await? else {
                return Ok(TrackingStatus::Failed);
            };
            let now = convert(v.format, &now);
            if now == val {
                tracing::info!("setvar_enum: SET {}='{val}'", v.name);
                self.poll_data(i, state).await?;
                return Ok(TrackingStatus::Handled);
            }
            if now == orig {
                tracing::error!("setvar_enum: variable {} wrapped", v.name);
                return Ok(TrackingStatus::Failed);
            }
        }
        self.poll_data(i, state).await?;
        Ok(TrackingStatus::Failed)
    }

    async fn setvar_string(
        &mut self,
        i: usize,
        val: &str,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        let v = VARS[i];
        if val.len() > tables::STRING_LEN {
            tracing::error!("setvar_string: value ({val}) too long");
            return Ok(TrackingStatus::Failed);
        }
        self.flush(true, state).await?;
        let Some(cur) = self.ask(v.cmd, ReadMode::Alerts, D3, state).await? else {
            return Ok(TrackingStatus::Failed);
        };
        if cur == val {
            return Ok(TrackingStatus::Handled);
        }
        let mut text = vec![b'-'];
        text.extend_from_slice(val.as_bytes());
        text.resize(tables::STRING_LEN + 1, b'\r');
        if !self.write_long(&text, state).await? {
            return Ok(TrackingStatus::Failed);
        }
        match self.read(ReadMode::Alerts, D3, state).await? {
            Some(r) if !r.is_empty() && r != "NO" => {}
            _ => return Ok(TrackingStatus::Failed),
        }
        self.poll_data(i, state).await?;
        tracing::info!("setvar_string: SET {}='{val}'", v.name);
        Ok(TrackingStatus::Handled)
    }

    async fn run_shutdown(
        &mut self,
        state: &mut DeviceState,
    ) -> Result<CommandResult, DriverError> {
        let awd = self.params.get("awd").map(str::to_owned);
        let awd = awd.as_deref();
        if let Some(order) = self
            .params
            .get("advorder")
            .filter(|o| !o.starts_with(['n', 'N']))
        {
            let order = order.to_owned();
            let mut r = TrackingStatus::Failed;
            for c in order.bytes() {
                r = match c {
                    b'0' => self.sd_s(state).await?,
                    b'1' => self.sd_at(awd, state).await?,
                    b'2' => self.sd_rep(b'K', false, state).await?,
                    b'3' => self.sd_rep(b'Z', true, state).await?,
                    _ => self.sd_cs(state).await?,
                };
                if r == TrackingStatus::Handled {
                    break;
                }
            }
            return Ok(r);
        }
        let sdtype = self.params.get("sdtype").map_or(0, tables::c_strtol10);
        Ok(match sdtype {
            5 => self.sd_at(awd, state).await?,
            4 => self.sd_cs(state).await?,
            3 => self.sd_rep(b'K', false, state).await?,
            2 => self.sd_rep(b'Z', true, state).await?,
            1 => {
                let s = if self.status & STAT_OB != 0 {
                    self.sd_s(state).await?
                } else {
                    TrackingStatus::Failed
                };
                if s == TrackingStatus::Handled {
                    s
                } else {
                    self.sd_at(awd, state).await?
                }
            }
            _ if self.status & STAT_OL != 0 => self.sd_at(awd, state).await?,
            _ => self.sd_s(state).await?,
        })
    }
}

/// C's `strtol(s, NULL, 16)` for a status register.
fn c_strtol16(s: &str) -> i64 {
    let s = s.trim_start();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let mut n: i64 = 0;
    for c in s.chars().map_while(|c| c.to_digit(16)).take(15) {
        n = n * 16 + i64::from(c);
    }
    n
}

#[async_trait]
impl Driver for Apcsmart {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION)
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value("ttymode", "tty discipline selection"),
            OptionSpec::value("cable", "alternate cable (940-0095B) selection"),
            OptionSpec::value("awd", "hard hibernate's additional wakeup delay"),
            OptionSpec::value("sdtype", "simple shutdown method"),
            OptionSpec::value("advorder", "advanced shutdown control"),
            OptionSpec::value("cshdelay", "CS hack delay"),
        ]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        check(params.get("awd"), "awd", |v| digits(v, 1, 3))?;
        check(params.get("sdtype"), "sdtype", |v| {
            v.len() == 1 && (b'0'..=b'5').contains(&v.as_bytes()[0])
        })?;
        check(params.get("advorder"), "advorder", |v| {
            v.eq_ignore_ascii_case("no")
                || ((1..=5).contains(&v.len()) && v.bytes().all(|b| (b'0'..=b'4').contains(&b)))
        })?;
        check(params.get("cshdelay"), "cshdelay", |v| {
            match v.split_once('.') {
                None => digits(v, 1, 1),
                Some((a, b)) => {
                    (digits(a, 1, 1) && digits(b, 0, 0)) || (digits(a, 0, 1) && digits(b, 1, 1))
                }
            }
        })?;
        self.params = params.clone();
        let mut port = (self.opener)(&params.port)?;
        if params
            .get("cable")
            .is_some_and(|c| c.eq_ignore_ascii_case("940-0095B"))
        {
            port.set_dtr(true)?;
            port.set_rts(false)?;
        }
        let _ = port.discard_input();
        self.port = Some(port);
        self.vars = vec![VarState::default(); VARS.len()];
        self.cmds = vec![false; CMDS.len()];
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        if !self.smartmode(5, state).await? {
            return Err(DriverError::device(format!(
                "unable to detect an APC Smart protocol UPS on port {}",
                self.params.port
            )));
        }
        self.getbaseinfo(state).await?;
        let _ = state.set("ups.mfr", "APC");
        tracing::debug!(
            "detected {} [{}] on {}",
            state.value("ups.model").unwrap_or("\"unknown model\""),
            state.value("ups.serial").unwrap_or("unknown serial"),
            self.params.port
        );
        self.last_full = None;
        self.stale_polls = 0;
        state.set_data_ok(true);
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        if !state.is_data_ok() {
            self.last_full = None;
            self.stale_polls += 1;
            if self.stale_polls < 10 {
                return Err(DriverError::device("comm lost"));
            }
            if !self.smartmode(1, state).await? {
                return Err(DriverError::device("comm lost"));
            }
            self.stale_polls = 0;
        }
        if !self.update_status(state).await? {
            return Err(DriverError::device("status read failed"));
        }
        let all = self
            .last_full
            .map_or(true, |t| t.elapsed() > Duration::from_secs(3600));
        if all {
            self.last_full = Some(Instant::now());
        }
        for i in 0..VARS.len() {
            if !all && VARS[i].flags & POLL == 0 {
                continue;
            }
            if !self.poll_data(i, state).await? {
                return Err(DriverError::device("update_info: aborting scan"));
            }
        }
        Ok(())
    }

    async fn event(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let mut buf = [0u8; 64];
        let n = self.port()?.read_some(&mut buf).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "serial port closed").into());
        }
        // As C woken up by the port: a whole update, whose first flush acts on the
        // alerts. They are acted upon here already, so that a status change is not lost
        // when the runtime drops this future for something else to do.
        self.pending.extend_from_slice(&buf[..n]);
        self.take_alerts(state);
        self.update(state).await
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        match self.run_cmd(cmd, param, state).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("instcmd {cmd}: {e}");
                TrackingStatus::Failed
            }
        }
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        let Some(i) = self.lookup_name(var) else {
            return TrackingStatus::Unknown;
        };
        let r = if !self.vars[i].rw {
            tracing::warn!("setvar: [{var}] is not writable");
            return TrackingStatus::Unknown;
        } else if self.vars[i].enumerated {
            self.setvar_enum(i, value, state).await
        } else if VARS[i].flags & STRING != 0 {
            self.setvar_string(i, value, state).await
        } else {
            return TrackingStatus::Unknown;
        };
        r.unwrap_or(TrackingStatus::Failed)
    }

    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        if !self.smartmode(1, state).await? {
            tracing::warn!("upsdrv_shutdown: setting SmartMode failed !");
        }
        self.write(b'Q').await?;
        // C compares the length of the answer with 1 here, which no two-digit answer
        // passes; the answer is used instead.
        self.status = match self.read(ReadMode::Plain, D1, state).await? {
            Some(r) if !r.is_empty() && r != "NA" => (c_strtol16(&r) & 0xff) as u8,
            _ => {
                tracing::warn!("upsdrv_shutdown: status read failed, assuming LB+OB");
                STAT_LB | STAT_OB
            }
        };
        match self.run_shutdown(state).await? {
            TrackingStatus::Handled => Ok(()),
            _ => Err(DriverError::device("Shutdown failed!")),
        }
    }

    async fn close(&mut self) {
        if let Some(mut port) = self.port.take() {
            let _ = port.discard_input();
            if port.write_all(b"R").await.is_ok() {
                let _ = read_while(port.as_mut(), 64, D3, |b| b.contains(&b'\n')).await;
            }
        }
    }
}

#[cfg(test)]
mod tests;
