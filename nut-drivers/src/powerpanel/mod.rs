//! `powerpanel`: CyberPower units speaking the text or the binary serial protocol, a
//! drop-in for C NUT 2.8.0's `powerpanel` (0.28, subdrivers "Powerpanel-Binary 0.5" and
//! "Powerpanel-Text 0.5").
//!
//! The binary protocol (1200 bit/s) is tried first, then the text one (2400 bit/s),
//! unless the `protocol` option (`text` or `binary`) names one. Every byte is sent 50 ms
//! apart, as C sends it.
//!
//! * Binary: `F\r` identifies the unit (model, nominal voltage and frequency, firmware; an
//!   `OP` or `rOnn` model selects the older series whose readings are approximations),
//!   the registers `R<n>\r` give five writable variables with enumerated values
//!   ([`reply::REGISTERS`]), `D\r` gives a 14-byte status frame ([`reply::BinaryStatus`]).
//!   Commands: `test.battery.start.quick`, `test.battery.stop`, `beeper.toggle`,
//!   `shutdown.reboot`, `shutdown.stayoff`, `shutdown.stop` (the UPS echoes them).
//!   `ondelay` and `offdelay` are refused.
//! * Text: `P4\r` identifies the unit (model, firmware, serial, manufacturer), `P3`, `P2`,
//!   `P1` give the battery and the ratings, `P6`/`P7`/`P8` the values the transfer points
//!   and the low charge may be set to (`C2:`, `C3:`, `C4:`), `D\r` the status line in one
//!   of three layouts ([`reply::text_status`]). Commands: battery tests, `beeper.enable`,
//!   `beeper.disable` (and the old `beeper.on`/`beeper.off`), `shutdown.stop`,
//!   `shutdown.return`, `shutdown.stayoff`, `shutdown.reboot` (the UPS answers `#0`).
//!   `ondelay` (minutes, 0..9999, default 1) and `offdelay` (seconds, 6..600, default 60,
//!   cut to a multiple of 6 below a minute, of 60 above) set the shutdown delays.
//!
//! `manufacturer`, `model` and `serial` override what the unit says.
//!
//! ```
//! use nut_drivers::powerpanel::Powerpanel;
//! use nut_drivers::sim::{ModelPort, Protocol, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver =
//!     Powerpanel::with_opener(ModelPort::opener_for(model.clone(), Protocol::Powerpanel));
//! let mut state = DeviceState::new();
//! driver.open(&DriverParams::new("sim"), &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! assert_eq!(state.value("ups.beeper.status"), Some("enabled"));
//! # }
//! ```

pub mod reply;

use std::io;
use std::time::Duration;

use async_trait::async_trait;

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::StatusBuilder;
use nut_driver_api::DeviceState;

pub use crate::qx::PortOpener;
use crate::serial::SerialPort;
use reply::{
    binary_ident, fmt_g, rtrim, series, strtod, strtol, text_fields, text_status, text_status_long,
    text_words, BinaryStatus, Series, BUF, FRAME, REGISTERS,
};

/// The program name.
pub const DRIVER_NAME: &str = "powerpanel";
/// The description printed in the banner (C's).
pub const DRIVER_DESCRIPTION: &str = "CyberPower text/binary protocol UPS driver";
/// `driver.version.internal`: the C driver version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.28";

/// Pause after every byte sent (C's `UPSDELAY`).
const PACE: Duration = Duration::from_millis(50);
/// How long the line may stay silent within a reply.
const SILENCE: Duration = Duration::from_millis(250);
/// Tries of the identification command.
const MAXTRIES: usize = 3;

/// Opens a port at a speed.
pub type BaudOpener = Box<dyn Fn(&str, u32) -> io::Result<Box<dyn SerialPort>> + Send>;

/// Which protocol the unit speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The binary protocol (1200 bit/s).
    Binary,
    /// The text protocol (2400 bit/s).
    Text,
}

impl Mode {
    /// C's name of the protocol (the `protocol` option's value).
    pub fn name(self) -> &'static str {
        match self {
            Self::Binary => "binary",
            Self::Text => "text",
        }
    }

    fn baud(self) -> u32 {
        match self {
            Self::Binary => 1200,
            Self::Text => 2400,
        }
    }
}

const TEXT_CMDS: [(&str, Option<&str>); 8] = [
    ("test.battery.start.quick", Some("T\r")),
    ("test.battery.start.deep", Some("TL\r")),
    ("test.battery.stop", Some("CT\r")),
    ("beeper.enable", Some("C7:1\r")),
    ("beeper.disable", Some("C7:0\r")),
    ("beeper.on", None),
    ("beeper.off", None),
    ("shutdown.stop", Some("C\r")),
];

/// The text protocol's writable variables: the variable, the query, the setting prefix
/// and width.
const TEXT_VARS: [(&str, &str, &str, usize); 3] = [
    ("input.transfer.high", "P6\r", "C2:", 3),
    ("input.transfer.low", "P7\r", "C3:", 3),
    ("battery.charge.low", "P8\r", "C4:", 2),
];

const BINARY_CMDS: [(&str, &[u8]); 6] = [
    ("test.battery.start.quick", b"T\x98\r"),
    ("test.battery.stop", b"CT\r"),
    ("beeper.toggle", b"B\r"),
    ("shutdown.reboot", b"S\0\0R\0\x01W\r"),
    ("shutdown.stayoff", b"S\0\0W\r"),
    ("shutdown.stop", b"C\r"),
];

/// The powerpanel driver. See the [module documentation](self).
pub struct Powerpanel {
    opener: BaudOpener,
    port: Option<(Box<dyn SerialPort>, u32)>,
    mode: Mode,
    series: Series,
    /// C's reply buffer of the subdriver in use (the text one keeps what earlier replies
    /// left behind it, which its status parsing may read).
    buf: Vec<u8>,
    ondelay: i64,
    offdelay: i64,
    retry: u32,
    overrides: [(&'static str, Option<String>); 3],
}

impl std::fmt::Debug for Powerpanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Powerpanel")
            .field("open", &self.port.is_some())
            .field("mode", &self.mode)
            .field("series", &self.series)
            .finish_non_exhaustive()
    }
}

impl Default for Powerpanel {
    fn default() -> Self {
        Self::new()
    }
}

impl Powerpanel {
    /// A driver that opens real serial ports with tokio-serial, at each protocol's speed.
    pub fn new() -> Self {
        Self::with_baud_opener(Box::new(|path: &str, baud: u32| {
            let port =
                crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(baud))?;
            Ok(Box::new(port) as Box<dyn SerialPort>)
        }))
    }

    /// A driver that opens its port with `opener` (a simulator, a test double) whatever
    /// the speed.
    pub fn with_opener(opener: PortOpener) -> Self {
        Self::with_baud_opener(Box::new(move |path: &str, _baud: u32| opener(path)))
    }

    /// A driver that opens its port at a speed with `opener`.
    pub fn with_baud_opener(opener: BaudOpener) -> Self {
        Self {
            opener,
            port: None,
            mode: Mode::Binary,
            series: Series::Pr,
            buf: vec![0; BUF],
            ondelay: 1,
            offdelay: 60,
            retry: 0,
            overrides: [("ups.mfr", None), ("ups.model", None), ("ups.serial", None)],
        }
    }

    /// The protocol detected.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn port(&mut self) -> Result<&mut dyn SerialPort, DriverError> {
        match self.port.as_mut() {
            Some((p, _)) => Ok(p.as_mut()),
            None => Err(DriverError::device("not opened")),
        }
    }

    /// Sends `bytes` one by one, 50 ms apart, after throwing away what the UPS sent.
    async fn send(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        let port = self.port()?;
        port.discard_input()?;
        for b in bytes {
            port.write_all(std::slice::from_ref(b)).await?;
            tokio::time::sleep(PACE).await;
        }
        tracing::trace!("send {bytes:02x?}");
        Ok(())
    }

    /// C's `ser_get_line`: bytes up to `\r` (NUL bytes dropped) into the cleared buffer;
    /// the count, or `None` when the line did not end in time.
    async fn get_line(&mut self) -> Result<Option<usize>, DriverError> {
        self.buf.fill(0);
        let mut n = 0;
        let mut byte = [0u8; 1];
        while n < BUF - 1 {
            let port = self.port()?;
            match tokio::time::timeout(SILENCE, port.read_some(&mut byte)).await {
                Err(_) => return Ok(None),
                Ok(Ok(0)) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e.into()),
            }
            match byte[0] {
                b'\r' => break,
                0 => {}
                b => {
                    self.buf[n] = b;
                    n += 1;
                }
            }
        }
        tracing::trace!("read {:02x?}", &self.buf[..n]);
        Ok(Some(n))
    }

    /// C's `ser_get_buf_len`: exactly `len` bytes at `at` in the buffer (cleared first);
    /// `false` when they did not all come.
    async fn get_buf(&mut self, at: usize, len: usize) -> Result<bool, DriverError> {
        self.buf[at..at + len].fill(0);
        let mut n = 0;
        while n < len {
            let mut chunk = vec![0u8; len - n];
            let port = self.port()?;
            match tokio::time::timeout(SILENCE, port.read_some(&mut chunk)).await {
                Err(_) => return Ok(false),
                Ok(Ok(0)) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
                Ok(Ok(k)) => {
                    self.buf[at + n..at + n + k].copy_from_slice(&chunk[..k]);
                    n += k;
                }
                Ok(Err(e)) => return Err(e.into()),
            }
        }
        tracing::trace!("read {:02x?}", &self.buf[at..at + len]);
        Ok(true)
    }

    /// A text command and its one-line answer (the count, or `None`).
    async fn text_command(&mut self, cmd: &str) -> Result<Option<usize>, DriverError> {
        self.send(cmd.as_bytes()).await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.get_line().await
    }

    /// A binary command and its answer of one byte less.
    async fn binary_command(&mut self, cmd: &[u8]) -> Result<bool, DriverError> {
        self.send(cmd).await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.get_buf(0, cmd.len() - 1).await
    }

    fn answer_is(&self, n: Option<usize>, want: &str) -> bool {
        n == Some(want.len()) && self.buf[..want.len()].eq_ignore_ascii_case(want.as_bytes())
    }

    async fn open_at(&mut self, path: &str, baud: u32) -> Result<(), DriverError> {
        if self.port.as_ref().map(|(_, b)| *b) != Some(baud) {
            self.port = None;
            let mut port = (self.opener)(path, baud)?;
            // Modem lines a pseudo-terminal lacks are no reason to stop, as in C.
            let _ = port.set_rts(false);
            self.port = Some((port, baud));
        }
        Ok(())
    }

    async fn probe_binary(&mut self, params: &DriverParams) -> Result<bool, DriverError> {
        tracing::debug!("Trying binary protocol...");
        self.send(b"\r\r").await?;
        for _ in 0..MAXTRIES {
            self.send(b"F\r").await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let Some(n) = self.get_line().await? else {
                continue;
            };
            if n < 20 {
                tracing::debug!("Expected 20 bytes but only got {n}");
                continue;
            }
            if self.buf[0] != b'.' {
                tracing::debug!(
                    "Expected start character '.' but got '{}'",
                    char::from(self.buf[0])
                );
                continue;
            }
            self.series = series(&self.buf);
            for opt in ["ondelay", "offdelay"] {
                if params.get(opt).is_some() {
                    return Err(DriverError::config(format!(
                        "Setting '{opt}' not supported by binary driver"
                    )));
                }
            }
            return Ok(true);
        }
        Ok(false)
    }

    async fn probe_text(&mut self, params: &DriverParams) -> Result<bool, DriverError> {
        tracing::debug!("Trying text protocol...");
        self.text_command("\r\r").await?;
        for _ in 0..MAXTRIES {
            let Some(n) = self.text_command("P4\r").await? else {
                continue;
            };
            if n < 1 {
                continue;
            }
            if n < 46 {
                tracing::debug!("Expected 46 bytes, but only got {n}");
                continue;
            }
            if self.buf[0] != b'#' {
                tracing::debug!(
                    "Expected start character '#', but got '{}'",
                    char::from(self.buf[0])
                );
                continue;
            }
            if let Some(v) = params.get("ondelay") {
                self.ondelay = strtol(v);
            }
            if !(0..=9999).contains(&self.ondelay) {
                return Err(DriverError::config(format!(
                    "Start delay '{}' out of range [0..9999]",
                    self.ondelay
                )));
            }
            if let Some(v) = params.get("offdelay") {
                self.offdelay = strtol(v);
            }
            if !(6..=600).contains(&self.offdelay) {
                return Err(DriverError::config(format!(
                    "Shutdown delay '{}' out of range [6..600]",
                    self.offdelay
                )));
            }
            self.offdelay -= self.offdelay % if self.offdelay < 60 { 6 } else { 60 };
            return Ok(true);
        }
        Ok(false)
    }

    async fn initinfo_text(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state.set("ups.delay.start", &(60 * self.ondelay).to_string());
        let _ = state.set("ups.delay.shutdown", &self.offdelay.to_string());
        // The P4 answer of the detection is still in the buffer.
        let f = text_fields(&self.buf);
        let names = ["ups.model", "ups.firmware", "ups.serial", "ups.mfr"];
        for (i, (var, v)) in names.iter().zip(&f).enumerate() {
            let v = if i == 0 || i == 3 { rtrim(v) } else { v };
            let _ = state.set(var, v);
        }
        if self.text_command("P3\r").await?.is_some_and(|n| n > 0) {
            let f = text_fields(&self.buf);
            let vars = [
                "battery.voltage.nominal",
                "battery.packs",
                "battery.capacity",
            ];
            for (i, (var, v)) in vars.iter().zip(&f).enumerate() {
                let text = if i == 1 {
                    strtol(v).to_string()
                } else {
                    fmt_g(strtod(v))
                };
                let _ = state.set(var, &text);
            }
        }
        let queries: [(&str, &[&str]); 2] = [
            (
                "P2\r",
                &[
                    "ups.power.nominal",
                    "ups.realpower.nominal",
                    "input.voltage.nominal",
                    "input.frequency.low",
                    "input.frequency.high",
                ],
            ),
            (
                "P1\r",
                &[
                    "input.voltage.nominal",
                    "input.transfer.high",
                    "input.transfer.low",
                    "battery.charge.low",
                ],
            ),
        ];
        for (cmd, vars) in queries {
            if self.text_command(cmd).await?.is_some_and(|n| n > 0) {
                for (var, v) in vars.iter().zip(text_fields(&self.buf)) {
                    let _ = state.set(var, &strtol(&v).to_string());
                }
            }
        }
        for (cmd, _) in TEXT_CMDS {
            let _ = state.add_cmd(cmd);
        }
        for (var, get, _, _) in TEXT_VARS {
            if state.value(var).is_none() {
                continue;
            }
            if self.text_command(get).await?.is_none_or(|n| n < 1) {
                continue;
            }
            for (i, v) in text_fields(&self.buf).iter().enumerate() {
                if i == 0 {
                    state.set_flags(var, true, false, false);
                }
                let _ = state.add_enum(var, &strtol(v).to_string());
            }
        }
        // Queries whose answers nobody knows yet, and the cancelling of a pending shutdown.
        for cmd in ["P5\r", "P9\r", "C\r"] {
            self.text_command(cmd).await?;
        }
        for cmd in ["shutdown.return", "shutdown.stayoff", "shutdown.reboot"] {
            let _ = state.add_cmd(cmd);
        }
        Ok(())
    }

    async fn initinfo_binary(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state.set("ups.delay.start", "45");
        let _ = state.set("ups.delay.shutdown", "0");
        // The F answer of the detection is still in the buffer.
        let id = binary_ident(&self.buf);
        if let Some(m) = &id.model {
            let _ = state.set("ups.model", m);
        }
        if let Some(v) = id.voltage {
            let _ = state.set("input.voltage.nominal", &v.to_string());
        }
        if let Some(v) = id.frequency {
            let _ = state.set("input.frequency.nominal", &v.to_string());
        }
        if let Some(v) = &id.firmware {
            let _ = state.set("ups.firmware", v);
        }
        for (cmd, _) in BINARY_CMDS {
            let _ = state.add_cmd(cmd);
        }
        for r in REGISTERS {
            if !self.binary_command(&[b'R', r.reg, b'\r']).await? {
                continue;
            }
            let byte = self.buf[1];
            if let Some(v) = r.lookup(self.series, byte) {
                let _ = state.set(r.var, v);
            }
            if state.value(r.var).is_none() {
                tracing::warn!("warning: [{byte}] unknown value for [{}]!", r.var);
                continue;
            }
            state.set_flags(r.var, true, false, false);
            for (v, _) in r.values(self.series) {
                let _ = state.add_enum(r.var, v);
            }
        }
        for cmd in ["shutdown.stayoff", "shutdown.reboot"] {
            let _ = state.add_cmd(cmd);
        }
        Ok(())
    }

    /// One status read: whether on battery.
    async fn updateinfo(&mut self, state: &mut DeviceState) -> Result<bool, DriverError> {
        match self.mode {
            Mode::Text => self.update_text(state).await,
            Mode::Binary => self.update_binary(state).await,
        }
    }

    async fn update_text(&mut self, state: &mut DeviceState) -> Result<bool, DriverError> {
        self.send(b"D\r").await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        if !self.get_buf(0, 35).await? {
            return Err(DriverError::device("read: timeout"));
        }
        let s = match text_status(&self.buf) {
            Some(s) => s,
            None => {
                if !self.get_buf(35, 23).await? {
                    return Err(DriverError::device("read: timeout"));
                }
                let _ = state.set("battery.voltage.nominal", "72");
                let _ = state.set("output.voltage.nominal", "120");
                text_status_long(&self.buf)
                    .ok_or_else(|| DriverError::device("Parsing status string failed"))?
            }
        };
        let _ = state.set("input.voltage", &format!("{:.1}", f64::from(s.i_volt)));
        let _ = state.set("output.voltage", &format!("{:.1}", f64::from(s.o_volt)));
        let _ = state.set("ups.load", &s.o_load.to_string());
        let _ = state.set("input.frequency", &format!("{:.1}", f64::from(s.i_freq)));
        let _ = state.set("ups.temperature", &s.u_temp.to_string());
        let _ = state.set("battery.charge", &s.b_chrg.to_string());
        if let Some(v) = s.b_volt {
            let _ = state.set("battery.voltage", &format!("{:.1}", f64::from(v)));
        }
        if let Some(v) = s.o_freq {
            let _ = state.set("output.frequency", &format!("{:.1}", f64::from(v)));
        }
        if let Some(r) = s.runtime {
            let _ = state.set("battery.runtime", &r.wrapping_mul(60).to_string());
        }
        let mut status = StatusBuilder::new();
        for w in text_words(&s) {
            status.set(w);
        }
        status.commit_status(state);
        Ok(s.flags[0] & 0x40 != 0)
    }

    async fn update_binary(&mut self, state: &mut DeviceState) -> Result<bool, DriverError> {
        self.send(b"D\r").await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut frame = vec![0u8; BUF];
        std::mem::swap(&mut frame, &mut self.buf);
        let got = self.get_buf(0, FRAME).await;
        std::mem::swap(&mut frame, &mut self.buf);
        if !got? {
            return Err(DriverError::device("read: timeout"));
        }
        let s = BinaryStatus::parse(&frame[..FRAME])
            .ok_or_else(|| DriverError::device("checksum flags failed"))?;
        for (var, v) in s.values(self.series) {
            let v = v.unwrap_or_else(|| {
                state
                    .value("output.voltage.nominal")
                    .unwrap_or("(null)")
                    .to_owned()
            });
            let _ = state.set(var, &v);
        }
        let _ = state.set("ups.beeper.status", s.beeper());
        let mut status = StatusBuilder::new();
        for w in s.words() {
            status.set(w);
        }
        status.commit_status(state);
        Ok(s.flags() & 0x80 != 0)
    }

    fn delay_code(&self) -> String {
        if self.offdelay < 60 {
            format!(".{}", self.offdelay / 6)
        } else {
            format!("{:02}", self.offdelay / 60)
        }
    }

    async fn instcmd_text(&mut self, cmd: &str, extra: Option<&str>) -> CommandResult {
        let extra = extra.unwrap_or("(null)");
        let cmd = if cmd.eq_ignore_ascii_case("beeper.off") {
            tracing::warn!("The 'beeper.off' command has been renamed to 'beeper.disable'");
            "beeper.disable"
        } else if cmd.eq_ignore_ascii_case("beeper.on") {
            tracing::warn!("The 'beeper.on' command has been renamed to 'beeper.enable'");
            "beeper.enable"
        } else {
            cmd
        };
        let command = if let Some((_, c)) = TEXT_CMDS
            .iter()
            .find(|(n, c)| n.eq_ignore_ascii_case(cmd) && c.is_some())
        {
            c.unwrap_or_default().to_owned()
        } else if cmd.eq_ignore_ascii_case("shutdown.return") {
            format!("Z{}\r", self.delay_code())
        } else if cmd.eq_ignore_ascii_case("shutdown.stayoff") {
            format!("S{}\r", self.delay_code())
        } else if cmd.eq_ignore_ascii_case("shutdown.reboot") {
            format!("S{}R{:04}\r", self.delay_code(), self.ondelay)
        } else {
            tracing::info!("powpan_instcmd: command [{cmd}] [{extra}] unknown");
            return TrackingStatus::Unknown;
        };
        match self.text_command(&command).await {
            Ok(n) if self.answer_is(n, "#0") => TrackingStatus::Handled,
            _ => {
                tracing::error!("powpan_instcmd: command [{cmd}] [{extra}] failed");
                TrackingStatus::Failed
            }
        }
    }

    async fn instcmd_binary(&mut self, cmd: &str, extra: Option<&str>) -> CommandResult {
        let Some((_, bytes)) = BINARY_CMDS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(cmd))
        else {
            tracing::error!("powpan_instcmd: command [{cmd}] not found");
            return TrackingStatus::Unknown;
        };
        match self.binary_command(bytes).await {
            Ok(true) if self.buf[..bytes.len() - 1] == bytes[..bytes.len() - 1] => {
                TrackingStatus::Handled
            }
            _ => {
                tracing::error!(
                    "powpan_instcmd: command [{cmd}] [{}] failed",
                    extra.unwrap_or("(null)")
                );
                TrackingStatus::Failed
            }
        }
    }

    async fn setvar_text(
        &mut self,
        state: &mut DeviceState,
        var: &str,
        val: &str,
    ) -> CommandResult {
        let Some((var, _, prefix, width)) = TEXT_VARS
            .iter()
            .find(|(v, ..)| v.eq_ignore_ascii_case(var))
            .copied()
        else {
            tracing::error!("powpan_setvar: variable [{var}] not found");
            return TrackingStatus::Unknown;
        };
        if state
            .value(var)
            .is_some_and(|cur| cur.eq_ignore_ascii_case(val))
        {
            tracing::info!("powpan_setvar: [{val}] no change for variable [{var}]");
            return TrackingStatus::Handled;
        }
        let n = strtol(val) as i32;
        let command = format!("{prefix}{n:0width$}\r");
        match self.text_command(&command).await {
            Ok(n) if self.answer_is(n, "#0") => {
                let _ = state.set(var, val);
                TrackingStatus::Handled
            }
            _ => {
                tracing::error!("powpan_setvar: setting variable [{var}] to [{val}] failed");
                TrackingStatus::Unknown
            }
        }
    }

    async fn setvar_binary(
        &mut self,
        state: &mut DeviceState,
        var: &str,
        val: &str,
    ) -> CommandResult {
        let Some(r) = REGISTERS.iter().find(|r| r.var.eq_ignore_ascii_case(var)) else {
            tracing::error!("powpan_setvar: variable [{var}] not found");
            return TrackingStatus::Unknown;
        };
        if state
            .value(r.var)
            .is_some_and(|cur| cur.eq_ignore_ascii_case(val))
        {
            tracing::info!("powpan_setvar: [{val}] no change for variable [{var}]");
            return TrackingStatus::Handled;
        }
        let Some((_, byte)) = r
            .values(self.series)
            .iter()
            .find(|(v, _)| v.eq_ignore_ascii_case(val))
        else {
            tracing::error!("powpan_setvar: [{val}] is not valid for variable [{var}]");
            return TrackingStatus::Unknown;
        };
        let command = [b'Q', r.reg, *byte as u8, b'\r'];
        match self.binary_command(&command).await {
            Ok(true) if self.buf[..3] == command[..3] => {
                let _ = state.set(r.var, val);
                TrackingStatus::Handled
            }
            _ => {
                tracing::error!("powpan_setvar: setting variable [{var}] to [{val}] failed");
                TrackingStatus::Unknown
            }
        }
    }

    async fn instcmd_any(&mut self, cmd: &str) -> CommandResult {
        match self.mode {
            Mode::Text => self.instcmd_text(cmd, None).await,
            Mode::Binary => self.instcmd_binary(cmd, None).await,
        }
    }
}

#[async_trait]
impl Driver for Powerpanel {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION).experimental()
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value("ondelay", "Delay before UPS startup"),
            OptionSpec::value("offdelay", "Delay before UPS shutdown"),
            OptionSpec::value("manufacturer", "manufacturer"),
            OptionSpec::value("model", "modelname"),
            OptionSpec::value("serial", "serialnumber"),
            OptionSpec::value(
                "protocol",
                "protocol to use [text|binary] (default: autodection)",
            ),
        ]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        let protocol = params.get("protocol");
        for (i, opt) in ["manufacturer", "model", "serial"].iter().enumerate() {
            self.overrides[i].1 = params.get(opt).map(str::to_owned);
        }
        self.retry = 0;
        for mode in [Mode::Binary, Mode::Text] {
            if protocol.is_some_and(|p| !p.eq_ignore_ascii_case(mode.name())) {
                continue;
            }
            self.open_at(&params.port, mode.baud()).await?;
            self.mode = mode;
            let _ = self.port()?.set_dtr(true);
            tokio::time::sleep(Duration::from_millis(10)).await;
            let found = match mode {
                Mode::Binary => self.probe_binary(params).await?,
                Mode::Text => self.probe_text(params).await?,
            };
            if found {
                tracing::info!(
                    "CyberPower UPS with {} protocol on {} detected",
                    mode.name(),
                    params.port
                );
                return Ok(());
            }
            let _ = self.port()?.set_dtr(false);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.port = None;
        Err(DriverError::config(format!(
            "CyberPower UPS not found on {}",
            params.port
        )))
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state.set("ups.mfr", "CyberPower");
        let _ = state.set("ups.model", "[unknown]");
        let _ = state.set("ups.serial", "[unknown]");
        match self.mode {
            Mode::Text => self.initinfo_text(state).await?,
            Mode::Binary => self.initinfo_binary(state).await?,
        }
        for (var, v) in &self.overrides {
            if let Some(v) = v {
                let _ = state.set(var, v);
            }
        }
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        match self.updateinfo(state).await {
            Ok(_) => {
                self.retry = 0;
                Ok(())
            }
            Err(DriverError::Transport(e)) => Err(DriverError::Transport(e)),
            Err(e) => {
                tracing::warn!("Status read failed! ({e})");
                // As C: three failed reads in a row before the data goes stale.
                if self.retry < 3 {
                    self.retry += 1;
                    if state.is_data_ok() {
                        return Ok(());
                    }
                }
                Err(e)
            }
        }
    }

    async fn instcmd(
        &mut self,
        _state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        match self.mode {
            Mode::Text => self.instcmd_text(cmd, param).await,
            Mode::Binary => self.instcmd_binary(cmd, param).await,
        }
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        match self.mode {
            Mode::Text => self.setvar_text(state, var, value).await,
            Mode::Binary => self.setvar_binary(state, var, value).await,
        }
    }

    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        // Newer models: off after the delay, back on when the power returns.
        if self.instcmd_any("shutdown.return").await == TrackingStatus::Handled {
            return Ok(());
        }
        // Older ones: on battery unless the status says otherwise.
        let mut on_battery = None;
        for _ in 0..MAXTRIES {
            if let Ok(ob) = self.updateinfo(state).await {
                on_battery = Some(ob);
                break;
            }
        }
        let (cmd, note) = match on_battery {
            Some(true) => ("shutdown.stayoff", "Waiting for power to return..."),
            Some(false) => ("shutdown.reboot", "Rebooting now..."),
            None => ("", ""),
        };
        if !cmd.is_empty() && self.instcmd_any(cmd).await == TrackingStatus::Handled {
            tracing::info!("{note}");
            return Ok(());
        }
        tracing::error!("Shutdown command failed!");
        Ok(())
    }

    async fn close(&mut self) {
        if let Some((port, _)) = self.port.as_mut() {
            let _ = port.set_dtr(false);
        }
        self.port = None;
    }
}

#[cfg(test)]
mod tests;
