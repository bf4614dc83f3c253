//! `riello_ser`: Riello UPSes speaking GPSER (or the older SENTR) on a serial line, a
//! drop-in for C NUT 2.8.0's `riello_ser` (0.07), and `riello_usb` (0.07), the same units
//! behind a USB bridge (feature `usb`: `Riello::usb`, the link in `riello::usb`). The protocol
//! itself, without I/O, is in [`frame`]; the driver logic ([`Riello`]) runs over any
//! [`Link`], so that both drivers share it.
//!
//! `riello_usb` differs as C's does: no probing (GPSER at once, after the bridge's feature
//! report), `ups.vendorid` and `ups.productid`, and a request whose transfers fail fails
//! (an instant command is refused, where a serial unit's silence counts as handled); a
//! lost unit is opened again and identified again.
//!
//! Start-up probes, at 9600 then 1200 bit/s, for a SENTR unit (one byte, 192, answered
//! by a 103-byte block) and then a GPSER one (`GI`). Identification reads `GI` (serial,
//! model, firmware, the phase layout and whether frames carry a CRC) and `GN` (ratings);
//! each poll reads `RS` (status and measurements) and `RE` (per-phase output currents and
//! powers; optional). Instant commands: `load.off`, `load.off.delay`, `load.on`,
//! `load.on.delay` on line, `shutdown.return` on battery, `shutdown.stop`,
//! `test.battery.start` and (GPSER) `test.panel.start`; the delays are `ups.delay.shutdown`
//! and `ups.delay.reboot` (5 s). `-k` cancels any pending shutdown and then asks for
//! `shutdown.return`, as C does, before the status is known — so, as in C, it fails.
//! No options.
//!
//! ```
//! use nut_drivers::riello::Riello;
//! use nut_drivers::sim::{ModelPort, Protocol, UpsModel};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let model = UpsModel::shared();
//! let mut driver = Riello::serial_with_opener(ModelPort::opener_for(model.clone(), Protocol::Riello));
//! let mut state = DeviceState::new();
//! driver.open(&DriverParams::new("sim"), &mut state).await.unwrap();
//! driver.identify(&mut state).await.unwrap();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OL"));
//! model.lock().unwrap().mains_lost();
//! driver.update(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OB"));
//! # }
//! ```

pub mod frame;
#[cfg(feature = "usb")]
pub mod usb;

use std::io;
use std::time::Duration;

use async_trait::async_trait;

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::{c_strtol, StatusBuilder};
use nut_driver_api::DeviceState;

pub use crate::qx::PortOpener;
use crate::serial::SerialPort;
use frame::{Kind, Receiver, RielloData};

/// The serial driver's program name.
pub const DRIVER_NAME: &str = "riello_ser";
/// The serial driver's description (C's).
pub const DRIVER_DESCRIPTION: &str = "Riello serial driver";
/// The USB driver's program name.
pub const USB_DRIVER_NAME: &str = "riello_usb";
/// The USB driver's description (C's).
pub const USB_DRIVER_DESCRIPTION: &str = "Riello USB driver";
/// `driver.version.internal`: the C driver version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.07";

/// How long a reply may take (C gives up after more than four seconds by the clock).
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Failed polls before the data is declared stale (C's `COUNTLOST`).
const COUNTLOST: u32 = 10;
/// Shutdown attempts (C's `MAXTRIES`).
const MAXTRIES: u32 = 3;
/// The default `ups.delay.shutdown` and `ups.delay.reboot`.
const DEFAULT_DELAY: u32 = 5;

/// How requests reach the unit and replies come back.
#[async_trait]
pub trait Link: Send {
    /// Sends `request`, then feeds what comes back to `rx` (read as `kind`, GPSER checks
    /// with a CRC when `crc`) until a frame is whole or the link gives up waiting. An error
    /// of kind `TimedOut` fails this request only (C's USB driver); others end the link.
    async fn exchange(
        &mut self,
        request: &[u8],
        rx: &mut Receiver,
        kind: Kind,
        crc: bool,
    ) -> io::Result<()>;

    /// Opens the unit behind the link, once before the first request and again after the
    /// link failed (USB; a serial line is open already).
    async fn connect(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Readies the unit for the identification (C's `start_ups_comm`: USB sends the
    /// bridge's feature report; `-k` skips it, as the identification).
    async fn start_comm(&mut self) {}

    /// The variables the link publishes at start-up (USB ids), as (name, value).
    fn usb_vars(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Changes the line speed (serial links; others ignore it).
    async fn set_speed(&mut self, baud: u32) -> io::Result<()> {
        let _ = baud;
        Ok(())
    }
}

/// Opens a link to a port name (the driver's `port`).
pub type LinkOpener = Box<dyn Fn(&str) -> io::Result<Box<dyn Link>> + Send>;

/// Opens a serial line again at another speed.
type Reopen = Box<dyn Fn(u32) -> io::Result<Box<dyn SerialPort>> + Send>;

/// A serial line: bytes one by one into the receiver, with C's patience.
pub struct SerialLink {
    port: Box<dyn SerialPort>,
    /// Re-opens the line at another speed (real ports).
    reopen: Option<Reopen>,
}

impl SerialLink {
    /// A link over an open port whose speed cannot change (a simulator).
    pub fn new(port: Box<dyn SerialPort>) -> Self {
        Self { port, reopen: None }
    }
}

#[async_trait]
impl Link for SerialLink {
    async fn exchange(
        &mut self,
        request: &[u8],
        rx: &mut Receiver,
        kind: Kind,
        crc: bool,
    ) -> io::Result<()> {
        self.port.write_all(request).await?;
        tracing::trace!(request = %frame_hex(request), "send");
        let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
        let mut buf = [0u8; 1];
        while rx.waiting {
            match tokio::time::timeout_at(deadline, self.port.read_some(&mut buf)).await {
                Err(_) => break,
                Ok(Ok(0)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "serial port closed",
                    ))
                }
                Ok(Ok(_)) => rx.push(buf[0], kind, crc),
                Ok(Err(e)) => return Err(e),
            }
        }
        Ok(())
    }

    async fn set_speed(&mut self, baud: u32) -> io::Result<()> {
        if let Some(reopen) = &self.reopen {
            // Exclusive access: the old one goes first.
            self.port = Box::new(Closed);
            self.port = reopen(baud)?;
        }
        Ok(())
    }
}

/// The port between closing a line and opening it again.
struct Closed;

#[async_trait]
impl SerialPort for Closed {
    async fn write_all(&mut self, _data: &[u8]) -> io::Result<()> {
        Err(io::ErrorKind::NotConnected.into())
    }
    async fn read_some(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::NotConnected.into())
    }
}

fn frame_hex(bytes: &[u8]) -> String {
    crate::sim::liebert::hex(bytes)
}

/// Which protocol the unit speaks, once probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Gpser,
    Sentr,
}

/// The outcome of one request, as C reads its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    BadCrc,
    Nak,
    /// Nothing whole came back in time.
    Timeout,
    /// The transfer failed (USB: C's `recv < 0`): the request fails.
    Failed,
}

/// The Riello driver (serial or USB). See the [module documentation](self).
pub struct Riello {
    info: (&'static str, &'static str, &'static str),
    opener: LinkOpener,
    link: Option<Box<dyn Link>>,
    rx: Receiver,
    proto: Proto,
    crc: bool,
    request_sentr: u8,
    input_mono: bool,
    output_mono: bool,
    data: RielloData,
    countlost: u32,
    /// `riello_usb`: no probing, GPSER only, a failed request fails.
    usb: bool,
}

impl std::fmt::Debug for Riello {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Riello")
            .field("driver", &self.info.0)
            .field("open", &self.link.is_some())
            .field("proto", &self.proto)
            .field("crc", &self.crc)
            .finish_non_exhaustive()
    }
}

/// Opens a real serial port at `baud` bits per second, 8N1.
fn open_real(path: &str, baud: u32) -> io::Result<Box<dyn SerialPort>> {
    let port = crate::serial::TokioSerial::open(path, crate::serial::SerialSettings::new(baud))?;
    Ok(Box::new(port))
}

impl Riello {
    /// `riello_ser` on real serial ports (tokio-serial, 9600 or 1200 bit/s).
    pub fn serial() -> Self {
        Self::with_link_opener(
            (DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION),
            Box::new(|path: &str| {
                let owned = path.to_owned();
                Ok(Box::new(SerialLink {
                    port: open_real(path, 9600)?,
                    reopen: Some(Box::new(move |baud| open_real(&owned, baud))),
                }) as Box<dyn Link>)
            }),
        )
    }

    /// `riello_ser` on ports opened by `opener` (a simulator, a test double).
    pub fn serial_with_opener(opener: PortOpener) -> Self {
        Self::with_link_opener(
            (DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION),
            Box::new(move |path: &str| {
                Ok(Box::new(SerialLink::new(opener(path)?)) as Box<dyn Link>)
            }),
        )
    }

    /// A driver named by `info` (name, description, version) on links from `opener`.
    pub fn with_link_opener(
        info: (&'static str, &'static str, &'static str),
        opener: LinkOpener,
    ) -> Self {
        Self {
            info,
            opener,
            link: None,
            rx: Receiver::new(),
            proto: Proto::Gpser,
            crc: false,
            request_sentr: frame::SENTR_ONLY192,
            input_mono: true,
            output_mono: true,
            data: RielloData::default(),
            countlost: 0,
            usb: false,
        }
    }

    /// `riello_usb` on the system's libusb.
    #[cfg(feature = "usb")]
    pub fn usb() -> Self {
        Self::usb_with_opener(|| Box::new(crate::usb::RusbOpener::new()))
    }

    /// `riello_usb` on another USB implementation (a test double): `opener` makes the
    /// opener of each connection.
    #[cfg(feature = "usb")]
    pub fn usb_with_opener(
        opener: impl Fn() -> Box<dyn crate::usb::transport::HidOpener> + Send + 'static,
    ) -> Self {
        let mut driver = Self::with_link_opener(
            (USB_DRIVER_NAME, USB_DRIVER_DESCRIPTION, DRIVER_VERSION),
            Box::new(move |_port: &str| {
                Ok(Box::new(usb::UsbConnection::new(opener())) as Box<dyn Link>)
            }),
        );
        driver.usb = true;
        driver
    }

    /// Sends `request` and waits for the reply, read as `kind`.
    async fn exchange(&mut self, request: &[u8], kind: Kind) -> Result<Outcome, DriverError> {
        let Some(link) = self.link.as_mut() else {
            return Err(DriverError::device("not opened"));
        };
        self.rx.start();
        match link.exchange(request, &mut self.rx, kind, self.crc).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::TimedOut => return Ok(Outcome::Failed),
            Err(e) => return Err(e.into()),
        }
        Ok(if self.rx.waiting {
            Outcome::Timeout
        } else if self.rx.bad_crc {
            Outcome::BadCrc
        } else if self.rx.nak {
            Outcome::Nak
        } else {
            Outcome::Ok
        })
    }

    /// C's `riello_comm_setup`: which protocol, at which speed.
    async fn probe(&mut self) -> Result<(), DriverError> {
        for baud in [9600, 1200] {
            tracing::debug!("set baudrate {baud}");
            if let Some(link) = self.link.as_mut() {
                link.set_speed(baud).await?;
            }
            tracing::debug!("try to detect SENTR");
            self.exchange(&[frame::SENTR_ONLY192], Kind::Sentr).await?;
            if self.rx.len == 103 {
                self.proto = Proto::Sentr;
                tracing::info!("Connected to UPS SENTR with baudrate {baud}");
                return Ok(());
            }
            tracing::debug!("try to detect GPSER");
            if self
                .exchange(&frame::gpser(b"GI", b"", false), Kind::Gpser)
                .await?
                == Outcome::Ok
            {
                self.proto = Proto::Gpser;
                tracing::info!("Connected to UPS GPSER with baudrate {baud}");
                return Ok(());
            }
        }
        Err(DriverError::config("Can't connect to the UPS"))
    }

    /// A GPSER request with the unit's check.
    fn request(&self, cmd: &[u8; 2], data: &[u8]) -> Vec<u8> {
        frame::gpser(cmd, data, self.crc)
    }

    /// Polls a SENTR unit (C's `get_ups_sentr`).
    async fn get_sentr(&mut self) -> Result<bool, DriverError> {
        let request: &[u8] = if self.request_sentr == frame::SENTR_EXT176 {
            &[frame::SENTR_EXT176, 103, 1, 0, 24]
        } else {
            &[self.request_sentr]
        };
        let request = request.to_vec();
        match self.exchange(&request, Kind::Sentr).await? {
            Outcome::Ok => {
                self.request_sentr = frame::parse_sentr(&self.rx.buf, &mut self.data);
                Ok(true)
            }
            Outcome::Timeout => {
                tracing::debug!("Get sentry Ko: no answer");
                Ok(false)
            }
            o => {
                tracing::debug!("Get sentry Ko: {o:?}");
                Ok(false)
            }
        }
    }

    /// Sends a command and reads its acknowledgement: handled unless the unit refuses it
    /// or garbles the answer (no answer at all counts as handled, as in C).
    async fn command(&mut self, request: &[u8], kind: Kind, name: &str) -> CommandResult {
        match self.exchange(request, kind).await {
            Err(e) => {
                tracing::debug!("Command {name} communication error: {e}");
                TrackingStatus::Failed
            }
            Ok(Outcome::BadCrc) => {
                tracing::debug!("Command {name} Ko: bad CRC or Checksum");
                TrackingStatus::Failed
            }
            Ok(Outcome::Nak) => {
                tracing::debug!("Command {name} Ko: command not supported");
                TrackingStatus::Failed
            }
            Ok(Outcome::Failed) => {
                tracing::debug!("Command {name} err: transfer failed");
                TrackingStatus::Failed
            }
            Ok(_) => {
                tracing::debug!("Command {name} Ok");
                TrackingStatus::Handled
            }
        }
    }

    /// A delay variable read as C's `atoi`; `None` outside 0–65535.
    fn delay(state: &DeviceState, var: &str) -> Option<u16> {
        let v = c_strtol(state.value(var).unwrap_or("0"));
        u16::try_from(v).ok()
    }

    async fn off(&mut self, delay: u16, name: &str) -> CommandResult {
        let (request, kind) = match self.proto {
            Proto::Gpser => (frame::shutdown(delay, self.crc), Kind::Gpser),
            Proto::Sentr => (frame::sentr_command(6, delay), Kind::Sentr),
        };
        self.command(&request, kind, name).await
    }

    async fn on(&mut self, delay: u16, name: &str) -> CommandResult {
        match self.proto {
            Proto::Gpser => {
                let request = frame::restore(delay, self.crc);
                self.command(&request, Kind::Gpser, name).await
            }
            Proto::Sentr => {
                let r = self
                    .command(&frame::sentr_command(2, delay), Kind::Sentr, name)
                    .await;
                if r != TrackingStatus::Handled {
                    return r;
                }
                self.command(&frame::sentr_command(1, delay), Kind::Sentr, name)
                    .await
            }
        }
    }

    /// C's `riello_instcmd`.
    async fn run_instcmd(&mut self, state: &DeviceState, cmd: &str) -> CommandResult {
        let is = |name: &str| cmd.eq_ignore_ascii_case(name);
        if !frame::bit(&self.data.status, 1) {
            if is("load.off") {
                return self.off(0, "load.off").await;
            }
            if is("load.off.delay") {
                let Some(d) = Self::delay(state, "ups.delay.shutdown") else {
                    return TrackingStatus::Failed;
                };
                return self.off(d, "load.off.delay").await;
            }
            if is("load.on") {
                return self.on(0, "load.on").await;
            }
            if is("load.on.delay") {
                let Some(d) = Self::delay(state, "ups.delay.reboot") else {
                    return TrackingStatus::Failed;
                };
                return self.on(d, "load.on.delay").await;
            }
        } else if is("shutdown.return") {
            let Some(d) = Self::delay(state, "ups.delay.shutdown") else {
                return TrackingStatus::Failed;
            };
            return self.off(d, "shutdown.return").await;
        }
        if is("shutdown.stop") {
            let (request, kind) = match self.proto {
                Proto::Gpser => (self.request(b"CD", b""), Kind::Gpser),
                Proto::Sentr => (frame::sentr_command(5, 0), Kind::Sentr),
            };
            return self.command(&request, kind, "shutdown.stop").await;
        }
        if is("test.panel.start") {
            let request = self.request(b"TP", b"");
            return self
                .command(&request, Kind::Gpser, "test.panel.start")
                .await;
        }
        if is("test.battery.start") {
            let (request, kind) = match self.proto {
                Proto::Gpser => (frame::battery_test(self.crc), Kind::Gpser),
                Proto::Sentr => (frame::sentr_command(4, 0), Kind::Sentr),
            };
            return self.command(&request, kind, "test.battery.start").await;
        }
        tracing::info!("instcmd: unknown command [{cmd}]");
        TrackingStatus::Unknown
    }

    fn publish_nominal(&self, state: &mut DeviceState) {
        let d = &self.data;
        let _ = state.set("ups.realpower.nominal", &d.nom_power_w.to_string());
        let _ = state.set("ups.power.nominal", &d.nom_power_va.to_string());
        let _ = state.set("output.voltage.nominal", &d.nominal_u_out.to_string());
        let _ = state.set(
            "output.frequency.nominal",
            &format!("{:.1}", f64::from(d.nom_f_out) / 10.0),
        );
        let _ = state.set("battery.voltage.nominal", &d.nom_u_bat.to_string());
        let _ = state.set("battery.capacity", &d.nom_bat_cap.to_string());
    }

    /// Reads the status: `Ok(false)` when the unit did not answer properly.
    async fn poll(&mut self) -> Result<(bool, bool), DriverError> {
        match self.proto {
            Proto::Sentr => Ok((self.get_sentr().await?, true)),
            Proto::Gpser => {
                let request = self.request(b"RS", b"");
                match self.exchange(&request, Kind::Gpser).await? {
                    Outcome::Ok => {}
                    o => {
                        tracing::debug!("Get status Ko: {o:?}");
                        return Ok((false, false));
                    }
                }
                let numread = if self.input_mono {
                    42
                } else if self.output_mono {
                    48
                } else {
                    64
                };
                tracing::debug!("Get status Ok: received byte {}", self.rx.len);
                frame::parse_rs(&self.rx.buf, &mut self.data, numread);
                let request = self.request(b"RE", b"");
                let extended = match self.exchange(&request, Kind::Gpser).await? {
                    Outcome::Ok => {
                        frame::parse_re(&self.rx.buf, &mut self.data);
                        true
                    }
                    // Optional: a unit without it still publishes the last values.
                    Outcome::Nak => true,
                    o => {
                        tracing::debug!("Get extended Ko: {o:?}");
                        false
                    }
                };
                Ok((true, extended))
            }
        }
    }
}

#[async_trait]
impl Driver for Riello {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(self.info.0, self.info.1, self.info.2).experimental()
    }

    fn options(&self) -> Vec<OptionSpec> {
        Vec::new()
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        let mut link = (self.opener)(&params.port)?;
        if let Err(e) = link.connect().await {
            return Err(match e.kind() {
                io::ErrorKind::NotFound => DriverError::config(e),
                _ => e.into(),
            });
        }
        for (var, value) in link.usb_vars() {
            let _ = state.set(var, &value);
        }
        self.link = Some(link);
        self.crc = false;
        self.data = RielloData::default();
        self.countlost = 0;
        if self.usb {
            // C's USB driver speaks GPSER at once.
            self.proto = Proto::Gpser;
            return Ok(());
        }
        if let Err(e) = self.probe().await {
            self.link = None;
            return Err(match e {
                DriverError::Config(m) => {
                    DriverError::config(format!("{m} on port {}!", params.port))
                }
                e => e,
            });
        }
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        if let Some(link) = self.link.as_mut() {
            link.start_comm().await;
        }
        // The probe's reply stays in the buffer: C reads it again when this one is late.
        let outcome = match self.proto {
            Proto::Gpser => {
                self.exchange(&frame::gpser(b"GI", b"", false), Kind::Gpser)
                    .await?
            }
            Proto::Sentr => self.exchange(&[frame::SENTR_ONLY192], Kind::Sentr).await?,
        };
        // C's USB driver gives up when the transfers fail.
        if outcome == Outcome::Failed {
            return Err(DriverError::config("No communication with UPS"));
        }
        if matches!(outcome, Outcome::BadCrc | Outcome::Nak) {
            return Err(DriverError::config("Bad checksum or NACK"));
        }
        match self.proto {
            Proto::Gpser => frame::parse_gi(&self.rx.buf, &mut self.data),
            Proto::Sentr => {
                self.request_sentr = frame::parse_sentr(&self.rx.buf, &mut self.data);
            }
        }
        let d = &self.data;
        self.crc = d.ident_bytes[4].wrapping_sub(0x30) != 0;
        let kind = d.ident_bytes[0];
        self.input_mono = kind == b'1' || kind == b'2';
        if !self.input_mono {
            let _ = state.set("input.phases", "3");
            let _ = state.set("input.bypass.phases", "3");
        }
        self.output_mono = kind == b'1' || kind == b'3';
        if !self.output_mono {
            let _ = state.set("output.phases", "3");
        }
        let model = String::from_utf8_lossy(&d.model_str).into_owned();
        let serial = String::from_utf8_lossy(&d.identification).into_owned();
        let firmware = String::from_utf8_lossy(&d.version).into_owned();
        for (var, value) in [
            ("device.mfr", "RPS S.p.a."),
            ("device.model", &model),
            ("device.serial", &serial),
            ("device.type", "ups"),
            ("ups.mfr", "RPS S.p.a."),
            ("ups.model", &model),
            ("ups.serial", &serial),
            ("ups.firmware", &firmware),
        ] {
            let _ = state.set(var, value);
        }
        match self.proto {
            Proto::Gpser => {
                let request = self.request(b"GN", b"");
                match self.exchange(&request, Kind::Gpser).await? {
                    Outcome::Ok => match frame::parse_gn(&self.rx.buf, &mut self.data) {
                        Ok(()) => self.publish_nominal(state),
                        Err(e) => tracing::warn!("Get nominal: {e}"),
                    },
                    o => tracing::debug!("Get nominal Ko: {o:?}"),
                }
            }
            Proto::Sentr => {
                if self.get_sentr().await? {
                    self.publish_nominal(state);
                }
            }
        }
        for cmd in [
            "load.off",
            "load.on",
            "load.off.delay",
            "load.on.delay",
            "shutdown.return",
            "shutdown.stop",
            "test.battery.start",
        ] {
            let _ = state.add_cmd(cmd);
        }
        for var in ["ups.delay.shutdown", "ups.delay.reboot"] {
            let _ = state.set(var, &DEFAULT_DELAY.to_string());
            state.set_flags(var, true, true, false);
            state.set_aux(var, 3);
        }
        if self.proto == Proto::Gpser {
            let _ = state.add_cmd("test.panel.start");
        }
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        tracing::debug!("countlost {}", self.countlost);
        if self.countlost > 0 {
            tracing::debug!("Communication with UPS is lost: status read failed!");
            if self.countlost == COUNTLOST {
                tracing::warn!("Communication with UPS is lost: status read failed!");
            }
        }
        let (ok, extended) = self.poll().await?;
        if !ok {
            if self.countlost < COUNTLOST {
                self.countlost += 1;
            }
            // C leaves the data as it is until the tenth failure in a row.
            if self.countlost >= COUNTLOST {
                return Err(DriverError::device("status read failed"));
            }
            return Ok(());
        }
        if self.countlost == COUNTLOST {
            tracing::info!("Communication with UPS is re-established!");
        }
        let d = &self.data;
        let mut set = |var: &str, value: String| {
            let _ = state.set(var, &value);
        };
        let tenth = |v: u16, p: usize| format!("{:.*}", p, f64::from(v) / 10.0);
        set("input.frequency", tenth(d.f_inp, 2));
        set("input.bypass.frequency", tenth(d.f_bypass, 2));
        set("output.frequency", tenth(d.f_out, 2));
        set("battery.voltage", tenth(d.u_bat, 1));
        if d.bat_cap < 0xffff && d.bat_time < 0xffff {
            set("battery.charge", d.bat_cap.to_string());
            set("battery.runtime", (u32::from(d.bat_time) * 60).to_string());
        }
        if d.t_system < 0xff {
            set("ups.temperature", d.t_system.to_string());
        }
        if self.input_mono {
            set("input.voltage", d.u_inp[0].to_string());
            set("input.bypass.voltage", d.u_bypass[0].to_string());
        } else {
            for i in 0..3 {
                set(
                    &format!("input.L{}-N.voltage", i + 1),
                    d.u_inp[i].to_string(),
                );
                set(
                    &format!("input.bypass.L{}-N.voltage", i + 1),
                    d.u_bypass[i].to_string(),
                );
            }
        }
        if self.output_mono {
            set("output.voltage", d.u_out[0].to_string());
            set("output.power.percent", d.p_out[0].to_string());
            set("ups.load", d.p_out[0].to_string());
        } else {
            for i in 0..3 {
                set(
                    &format!("output.L{}-N.voltage", i + 1),
                    d.u_out[i].to_string(),
                );
                set(
                    &format!("output.L{}.power.percent", i + 1),
                    d.p_out[i].to_string(),
                );
            }
            let load = (u32::from(d.p_out[0]) + u32::from(d.p_out[1]) + u32::from(d.p_out[2])) / 3;
            set("ups.load", load.to_string());
        }
        let s = &d.status;
        let mut status = StatusBuilder::new();
        status.set(if frame::bit(s, 1) { "OB" } else { "OL" });
        for (on, word) in [
            (frame::bit(s, 1) && frame::bit(s, 0), "LB"),
            (!frame::bit(s, 3), "OFF"),
            (frame::bit(s, 11), "BYPASS"),
            (frame::bit(s, 34), "OVER"),
            (frame::bit(s, 8), "TRIM"),
            (frame::bit(s, 9), "BOOST"),
            (frame::bit(s, 16), "RB"),
            (frame::bit(s, 18), "CHRG"),
        ] {
            if on {
                status.set(word);
            }
        }
        status.commit_status(state);
        if extended {
            for i in 0..3 {
                let n = i + 1;
                let _ = state.set(&format!("output.L{n}.power"), &d.pout_va[i].to_string());
                let _ = state.set(&format!("output.L{n}.realpower"), &d.pout_w[i].to_string());
                let _ = state.set(&format!("output.L{n}.current"), &d.i_out[i].to_string());
            }
        }
        self.countlost = 0;
        Ok(())
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        _param: Option<&str>,
    ) -> CommandResult {
        self.run_instcmd(state, cmd).await
    }

    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        tracing::debug!("upsdrv Shutdown execute");
        for _ in 0..MAXTRIES {
            if self.run_instcmd(state, "shutdown.stop").await != TrackingStatus::Handled {
                continue;
            }
            if self.run_instcmd(state, "shutdown.return").await != TrackingStatus::Handled {
                continue;
            }
            tracing::info!("Shutting down");
            return Ok(());
        }
        Err(DriverError::device("Shutdown failed!"))
    }

    async fn close(&mut self) {
        self.link = None;
    }
}

#[cfg(test)]
mod tests;
