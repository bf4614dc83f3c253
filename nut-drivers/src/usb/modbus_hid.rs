//! Modbus RTU over USB HID: how APC's Smart-UPS units of the SMT, SMX and SRT families
//! (`051d:0003`) carry Modbus on their HID interface, for the `apc_modbus` driver.
//!
//! What travels, as C NUT's `apc_modbus` reaches it through its libmodbus fork (the
//! `rtu_usb` backend):
//!
//! - The unit's report descriptor has two vendor reports on usage page `0xFF86`: usage
//!   `0xFF8600FC`, the report the unit **receives** (C calls it RX; an Output report, id
//!   `0x90` on the units seen), and usage `0xFF8600FD`, the report it **transmits** (TX; an
//!   Input report, id `0x89`). [`report_ids`] finds them as C does, with C's fallback.
//! - A request is the RTU frame **without its CRC** (slave address, function code, data):
//!   USB checks the transfer itself. It goes in 64-byte output reports, the report id and
//!   63 bytes of frame, zero-padded, as interrupt OUT transfers to endpoint `0x01`; a frame
//!   longer than 63 bytes continues in the next report.
//! - The reply comes in 64-byte input reports of the TX id, read from interrupt IN endpoint
//!   `0x81` (reports of other ids, the unit's power-device reports, are skipped); their
//!   63-byte payloads are joined until the function code's length is there, and the padding
//!   after it is dropped.
//!
//! [`ModbusHidStream`] turns that into a byte stream carrying ordinary RTU frames (CRC
//! included) both ways, so that an RTU client works over it unchanged:
//!
//! ```no_run
//! # async fn example(params: &nut_driver_api::DriverParams) -> Result<(), Box<dyn std::error::Error>> {
//! use nut_drivers::usb::modbus_hid;
//! let opened = modbus_hid::open(params).await?;
//! println!("ups.vendorid: {:04x}", opened.vendor_id());
//! // With tokio-modbus: tokio_modbus::client::rtu::attach_slave(opened.stream, Slave(1))
//! # Ok(()) }
//! ```
//!
//! [`open`] finds the unit with the usual USB matching options (`vendorid`, `productid`,
//! `vendor`, `product`, `serial`, `bus`, `device`, `busport`) the way `usbhid-ups` applies
//! them: every option given must match, and only APC's `051d:0003` is taken unless
//! `productid` is given (then any APC product id the options match).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use nut_driver_api::DriverParams;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub use crate::modbus::frame::{crc16, request_len, response_len, with_crc, FrameLen};

use super::hid::{DescriptorError, ReportDescriptor};
use super::matcher::{same_device, MatcherError, UsbMatcher};
use super::transport::{
    ControlSetup, HidInterface, HidOpener, HidTransport, UsbDeviceInfo, UsbError,
};

/// The usage of the report the unit receives (requests): C's `modbus_rtu_usb_usage_rx`.
pub const USAGE_RX: u32 = 0xff86_00fc;
/// The usage of the report the unit transmits (replies): C's `modbus_rtu_usb_usage_tx`.
pub const USAGE_TX: u32 = 0xff86_00fd;
/// APC's USB vendor id.
pub const APC_VENDOR_ID: u16 = 0x051d;
/// The product id of APC's Modbus-capable units (C's device table for `apc_modbus`).
pub const APC_PRODUCT_ID: u16 = 0x0003;
/// Bytes of one report on the wire: the report id and [`PAYLOAD_SIZE`] bytes.
pub const REPORT_SIZE: usize = 64;
/// Frame bytes one report carries.
pub const PAYLOAD_SIZE: usize = REPORT_SIZE - 1;
/// The interrupt OUT endpoint the requests go to.
pub const ENDPOINT_OUT: u8 = 0x01;
/// The interrupt IN endpoint the replies come from.
pub const ENDPOINT_IN: u8 = 0x81;
/// The longest RTU frame (CRC included) Modbus allows.
pub const MAX_ADU: usize = 256;
/// C's `response_timeout_ms` default for USB, for [`ModbusHidStream::set_response_timeout`].
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

/// How long [`ModbusHidStream::discard_input`] waits for one more report (C's flush).
const FLUSH_WAIT: Duration = Duration::from_millis(10);
/// How long one interrupt OUT transfer may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest single interrupt IN wait (reads are repeated until the reply is there): what
/// a request sent after a caller gave up on a reply may wait for the read still under way.
const READ_SLICE: Duration = Duration::from_millis(100);
/// C's timeout and buffer for the report descriptor request.
const DESCRIPTOR_TIMEOUT: Duration = Duration::from_secs(5);
const DESCRIPTOR_LEN: usize = 2048;
/// The most bytes a client may write before flushing.
const MAX_PENDING_WRITE: usize = 4 * MAX_ADU;

/// The ids of the two Modbus reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportIds {
    /// The report the unit receives, usage [`USAGE_RX`] (requests, host to unit).
    pub rx: u8,
    /// The report the unit transmits, usage [`USAGE_TX`] (replies, unit to host).
    pub tx: u8,
}

impl ReportIds {
    /// The libmodbus fork's defaults, used when the report descriptor cannot be read.
    pub const DEFAULT: Self = Self { rx: 0x90, tx: 0x89 };
}

impl Default for ReportIds {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The Modbus report ids a parsed descriptor declares: the last field whose usage is
/// [`USAGE_RX`] and the last whose usage is [`USAGE_TX`], of any report type, as C looks
/// for them. `None` when either is missing.
pub fn find_report_ids(descriptor: &ReportDescriptor) -> Option<ReportIds> {
    let last = |usage: u32| {
        descriptor
            .fields
            .iter()
            .rev()
            .find(|f| f.path.last() == Some(&usage))
            .map(|f| f.report_id)
    };
    Some(ReportIds {
        rx: last(USAGE_RX)?,
        tx: last(USAGE_TX)?,
    })
}

/// C's decision from a unit's report descriptor: without one (it could not be read), the
/// default ids; with one, the ids it declares, or an error when it does not parse or has no
/// Modbus reports (C then does not take the unit).
pub fn report_ids(descriptor: Option<&[u8]>) -> Result<ReportIds, ModbusHidError> {
    let Some(bytes) = descriptor else {
        return Ok(ReportIds::DEFAULT);
    };
    let parsed = ReportDescriptor::parse(bytes).map_err(ModbusHidError::Descriptor)?;
    find_report_ids(&parsed).ok_or(ModbusHidError::NoModbusReports)
}

/// Why a Modbus unit could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModbusHidError {
    /// The USB side failed.
    #[error(transparent)]
    Usb(#[from] UsbError),
    /// A matching option is not a valid regular expression.
    #[error(transparent)]
    Matcher(#[from] MatcherError),
    /// No device matched (or none of those that matched has Modbus reports).
    #[error("No matching USB/HID UPS found")]
    NotFound,
    /// The report descriptor does not parse.
    #[error("Failed to parse report descriptor: {0}")]
    Descriptor(DescriptorError),
    /// The report descriptor has no Modbus reports.
    #[error("No Modbus USB report descriptor found")]
    NoModbusReports,
}

/// Cuts `frame` into the reports that carry it: each `report_id` and 63 bytes of the frame,
/// the last zero-padded to [`REPORT_SIZE`]. An empty frame gives no report.
pub fn pack(report_id: u8, frame: &[u8]) -> Vec<Vec<u8>> {
    frame
        .chunks(PAYLOAD_SIZE)
        .map(|chunk| {
            let mut report = Vec::with_capacity(REPORT_SIZE);
            report.push(report_id);
            report.extend_from_slice(chunk);
            report.resize(REPORT_SIZE, 0);
            report
        })
        .collect()
}

/// Which length rule an [`Unpacker`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Requests (host to unit): [`request_len`].
    Request,
    /// Replies (unit to host): [`response_len`].
    Response,
}

/// Joins the payloads of one report id back into frames (without CRC): the host's side
/// for replies, the unit's for requests. A frame starts at the start of a report; what
/// follows a complete frame in its last report is padding and dropped. A frame whose
/// function code has no known length ends with its report, trailing zeros dropped.
#[derive(Debug, Clone)]
pub struct Unpacker {
    report_id: u8,
    direction: Direction,
    partial: Vec<u8>,
}

impl Unpacker {
    /// An unpacker of the reports with id `report_id`.
    pub fn new(report_id: u8, direction: Direction) -> Self {
        Self {
            report_id,
            direction,
            partial: Vec::new(),
        }
    }

    /// Forgets a partly received frame.
    pub fn clear(&mut self) {
        self.partial.clear();
    }

    /// Whether part of a frame is waiting for more reports.
    pub fn is_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Takes one report as read (id byte first); returns the frame it completes, if any.
    /// Reports of other ids and empty ones are ignored; a frame that would grow past
    /// [`MAX_ADU`] bytes is dropped.
    pub fn push(&mut self, report: &[u8]) -> Option<Vec<u8>> {
        let (&id, payload) = report.split_first()?;
        if id != self.report_id {
            return None;
        }
        let payload = &payload[..payload.len().min(PAYLOAD_SIZE)];
        self.partial.extend_from_slice(payload);
        let len = match self.direction {
            Direction::Request => request_len(&self.partial),
            Direction::Response => response_len(&self.partial),
        };
        match len {
            FrameLen::Complete(n) if n <= self.partial.len() => {
                let frame = self.partial[..n].to_vec();
                self.partial.clear();
                Some(frame)
            }
            FrameLen::Complete(n) if n > MAX_ADU => {
                self.partial.clear();
                None
            }
            FrameLen::Complete(_) | FrameLen::NeedMore => {
                if self.partial.len() > MAX_ADU {
                    self.partial.clear();
                }
                None
            }
            FrameLen::Unknown => {
                let end = self
                    .partial
                    .iter()
                    .rposition(|&b| b != 0)
                    .map_or(0, |i| i + 1)
                    .max(2)
                    .min(self.partial.len());
                let frame = self.partial[..end].to_vec();
                self.partial.clear();
                Some(frame)
            }
        }
    }
}

/// Splits what an RTU client wrote (whole frames with their CRC) into frames without CRC.
/// A frame of unknown function takes all that is left. `Err` when a CRC is wrong or a frame
/// is cut short; `Ok` with what it could split otherwise.
pub fn split_rtu_requests(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut frames = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = match request_len(rest) {
            FrameLen::Complete(n) => n,
            FrameLen::Unknown => rest.len().saturating_sub(2),
            FrameLen::NeedMore => 0,
        };
        if n < 2 || rest.len() < n + 2 {
            return Err(format!(
                "incomplete Modbus RTU frame of {} bytes",
                rest.len()
            ));
        }
        let (frame, tail) = rest.split_at(n);
        let crc = u16::from_le_bytes([tail[0], tail[1]]);
        if crc != crc16(frame) {
            return Err(format!(
                "bad CRC {crc:04x} (expected {:04x}) on a Modbus RTU frame",
                crc16(frame)
            ));
        }
        frames.push(frame.to_vec());
        rest = &tail[2..];
    }
    Ok(frames)
}

type OpFuture = Pin<Box<dyn Future<Output = (Box<dyn HidTransport>, OpResult)> + Send>>;

enum OpResult {
    Wrote(usize, Result<usize, UsbError>),
    Read(Result<Vec<u8>, UsbError>),
}

/// A byte stream of Modbus RTU frames (CRC included) over a unit's Modbus HID reports:
/// tokio's `AsyncRead + AsyncWrite + Unpin + Send`, for an RTU client such as
/// `tokio_modbus::client::rtu::attach_slave(stream, Slave(1))`.
///
/// What the client writes is sent when it flushes: each frame's CRC is checked and taken
/// off, the frame packed into reports of the RX id ([`pack`]) and written to interrupt OUT
/// [`ENDPOINT_OUT`]. Reading takes the TX id's reports from interrupt IN [`ENDPOINT_IN`],
/// joins them into the reply ([`Unpacker`]) and hands it out with its CRC computed anew.
/// Sending a request forgets what was left of an earlier reply.
///
/// Reads wait for the reply as long as the caller does: give up with
/// `tokio::time::timeout` around the client's call (C's `response_timeout_ms`,
/// [`DEFAULT_RESPONSE_TIMEOUT`]), and the next call works as usual. A USB transfer under way
/// is never cut: it is kept in the stream, and a report it brings is taken (and dropped as
/// stale when a new request goes). With [`set_response_timeout`](Self::set_response_timeout)
/// the stream gives up by itself, the read failing with `TimedOut`; a `tokio_util` framed
/// client (tokio-modbus) then answers its next call with `BrokenPipe` once, as after any
/// error of its transport. Late replies still waiting in the unit are dropped with
/// [`discard_input`](Self::discard_input).
pub struct ModbusHidStream {
    transport: Option<Box<dyn HidTransport>>,
    op: Option<OpFuture>,
    ids: ReportIds,
    endpoint_out: u8,
    endpoint_in: u8,
    written: Vec<u8>,
    sending: VecDeque<Vec<u8>>,
    unpacker: Unpacker,
    readable: VecDeque<u8>,
    response_timeout: Option<Duration>,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl std::fmt::Debug for ModbusHidStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModbusHidStream")
            .field("ids", &self.ids)
            .field("endpoint_out", &self.endpoint_out)
            .field("endpoint_in", &self.endpoint_in)
            .field("response_timeout", &self.response_timeout)
            .field("busy", &self.op.is_some())
            .finish_non_exhaustive()
    }
}

impl ModbusHidStream {
    /// A stream over an open, claimed unit with these report ids, on endpoints
    /// [`ENDPOINT_OUT`] and [`ENDPOINT_IN`].
    pub fn new(transport: Box<dyn HidTransport>, ids: ReportIds) -> Self {
        Self {
            transport: Some(transport),
            op: None,
            ids,
            endpoint_out: ENDPOINT_OUT,
            endpoint_in: ENDPOINT_IN,
            written: Vec::new(),
            sending: VecDeque::new(),
            unpacker: Unpacker::new(ids.tx, Direction::Response),
            readable: VecDeque::new(),
            response_timeout: None,
            deadline: None,
        }
    }

    /// The same stream on other endpoints (interrupt OUT `out`, interrupt IN `input`).
    pub fn with_endpoints(mut self, out: u8, input: u8) -> Self {
        self.endpoint_out = out;
        self.endpoint_in = input;
        self
    }

    /// How long a reply may take after its request went before a read fails with
    /// `TimedOut` (`None`, the default: reads wait as long as the caller does).
    pub fn set_response_timeout(&mut self, timeout: Option<Duration>) {
        self.response_timeout = timeout;
    }

    /// The response timeout.
    pub fn response_timeout(&self) -> Option<Duration> {
        self.response_timeout
    }

    /// The report ids in use.
    pub fn report_ids(&self) -> ReportIds {
        self.ids
    }

    /// Reads and drops what the unit has sent and nobody asked for (a reply that came after
    /// its request timed out), as C's `modbus_flush` does after connecting: interrupt IN
    /// reads of 10 ms until one brings nothing. Returns how many reports were dropped.
    pub async fn discard_input(&mut self) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_op(cx)).await?;
        self.unpacker.clear();
        self.readable.clear();
        let mut transport = self.take_transport()?;
        let mut dropped = 0;
        let result = loop {
            if dropped >= 1024 {
                break Ok(dropped);
            }
            match transport
                .read_interrupt_from(self.endpoint_in, REPORT_SIZE, FLUSH_WAIT)
                .await
            {
                Ok(_) => dropped += 1,
                Err(UsbError::Timeout) => break Ok(dropped),
                Err(e) => break Err(e.into()),
            }
        };
        self.transport = Some(transport);
        result
    }

    /// Drives the USB transfer under way, if any, to its end.
    fn poll_op(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(op) = self.op.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let (transport, result) = ready!(op.as_mut().poll(cx));
        self.op = None;
        self.transport = Some(transport);
        match result {
            OpResult::Wrote(expected, Ok(n)) if n < expected => {
                self.sending.clear();
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    format!("the unit took {n} of {expected} bytes of a report"),
                )))
            }
            OpResult::Wrote(_, Ok(_)) => Poll::Ready(Ok(())),
            OpResult::Wrote(_, Err(e)) => {
                self.sending.clear();
                Poll::Ready(Err(e.into()))
            }
            OpResult::Read(Ok(report)) => {
                if let Some(frame) = self.unpacker.push(&report) {
                    self.readable.extend(with_crc(&frame));
                    self.deadline = None;
                }
                Poll::Ready(Ok(()))
            }
            OpResult::Read(Err(UsbError::Timeout)) => Poll::Ready(Ok(())),
            OpResult::Read(Err(e)) => Poll::Ready(Err(e.into())),
        }
    }

    fn take_transport(&mut self) -> io::Result<Box<dyn HidTransport>> {
        self.transport
            .take()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no USB transport"))
    }

    fn start_write(&mut self, report: Vec<u8>) -> io::Result<()> {
        let mut transport = self.take_transport()?;
        let endpoint = self.endpoint_out;
        self.op = Some(Box::pin(async move {
            let result = transport
                .write_interrupt(endpoint, &report, WRITE_TIMEOUT)
                .await;
            (transport, OpResult::Wrote(report.len(), result))
        }));
        Ok(())
    }

    fn start_read(&mut self) -> io::Result<()> {
        let mut transport = self.take_transport()?;
        let endpoint = self.endpoint_in;
        let wait = self
            .deadline
            .as_ref()
            .map(|d| {
                d.deadline()
                    .saturating_duration_since(tokio::time::Instant::now())
            })
            .unwrap_or(READ_SLICE)
            .clamp(Duration::from_millis(1), READ_SLICE);
        self.op = Some(Box::pin(async move {
            let result = transport
                .read_interrupt_from(endpoint, REPORT_SIZE, wait)
                .await;
            (transport, OpResult::Read(result))
        }));
        Ok(())
    }

    /// Turns what the client wrote into reports to send.
    fn queue_written(&mut self) -> io::Result<()> {
        let written = std::mem::take(&mut self.written);
        let frames = split_rtu_requests(&written)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        for frame in frames {
            // A new request: what is left of an earlier reply is stale.
            self.unpacker.clear();
            self.readable.clear();
            self.sending.extend(pack(self.ids.rx, &frame));
            self.deadline = self
                .response_timeout
                .map(|t| Box::pin(tokio::time::sleep(t)));
        }
        Ok(())
    }
}

impl AsyncWrite for ModbusHidStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.written.len() + buf.len() > MAX_PENDING_WRITE {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "more than a Modbus frame written without a flush",
            )));
        }
        this.written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            ready!(this.poll_op(cx))?;
            if let Some(report) = this.sending.pop_front() {
                this.start_write(report)?;
                continue;
            }
            if this.written.is_empty() {
                return Poll::Ready(Ok(()));
            }
            this.queue_written()?;
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncRead for ModbusHidStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.readable.is_empty() {
                let n = this.readable.len().min(buf.remaining());
                let bytes: Vec<u8> = this.readable.drain(..n).collect();
                buf.put_slice(&bytes);
                return Poll::Ready(Ok(()));
            }
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if let Some(deadline) = this.deadline.as_mut() {
                if deadline.as_mut().poll(cx).is_ready() {
                    this.deadline = None;
                    this.unpacker.clear();
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no Modbus reply from the unit within the response timeout",
                    )));
                }
            }
            ready!(this.poll_op(cx))?;
            if !this.readable.is_empty() {
                continue;
            }
            if let Some(report) = this.sending.pop_front() {
                this.start_write(report)?;
            } else {
                this.start_read()?;
            }
        }
    }
}

/// A unit found and opened: the stream to talk Modbus to it, who it is (for
/// `ups.vendorid` and `ups.productid`, and the exact match of a reconnect) and its report ids.
#[derive(Debug)]
#[non_exhaustive]
pub struct Opened {
    /// The Modbus stream.
    pub stream: ModbusHidStream,
    /// The unit's identity.
    pub info: UsbDeviceInfo,
    /// The report ids found (or C's defaults).
    pub report_ids: ReportIds,
}

impl Opened {
    /// `idVendor` (C's `ups.vendorid`, `%04x`).
    pub fn vendor_id(&self) -> u16 {
        self.info.vendor_id
    }

    /// `idProduct` (C's `ups.productid`, `%04x`).
    pub fn product_id(&self) -> u16 {
        self.info.product_id
    }
}

/// The matcher of the USB matching options among `params`' options ([`super::matcher`]).
pub fn matcher(params: &DriverParams) -> Result<UsbMatcher, MatcherError> {
    UsbMatcher::new(
        params
            .options
            .iter()
            .filter_map(|(n, v)| v.as_deref().map(|v| (n.as_str(), v))),
    )
}

/// Finds and opens the unit `params`' matching options name on the system's libusb.
pub async fn open(params: &DriverParams) -> Result<Opened, ModbusHidError> {
    let matcher = matcher(params)?;
    let mut opener = super::RusbOpener::new();
    open_with(&mut opener, &matcher, None).await
}

/// Finds and opens a unit through `opener`: APC's `051d:0003` (any APC product id when
/// `productid` is among the options) that `matcher` accepts and, on a reconnect, that is the
/// `known` unit again ([`same_device`]). The HID report descriptor of the unit taken is read
/// for the report ids ([`report_ids`]): a unit whose descriptor has none is left for the
/// next one; one whose descriptor cannot be read gets the default ids.
pub async fn open_with(
    opener: &mut dyn HidOpener,
    matcher: &UsbMatcher,
    known: Option<&UsbDeviceInfo>,
) -> Result<Opened, ModbusHidError> {
    let productid_given = matcher.has_option("productid");
    let mut skipped: Vec<UsbDeviceInfo> = Vec::new();
    // Bounded: each round skips one more device.
    for _ in 0..128 {
        let (matcher, known, rejected) = (matcher.clone(), known.cloned(), skipped.clone());
        let accept = move |info: &UsbDeviceInfo| {
            let supported = info.vendor_id == APC_VENDOR_ID
                && (info.product_id == APC_PRODUCT_ID || productid_given);
            (supported
                && matcher.matches(info)
                && known.as_ref().is_none_or(|k| same_device(k, info))
                && !rejected.contains(info))
            .then_some(HidInterface::DEFAULT)
        };
        let Some(mut opened) = opener.open_raw(&accept).await? else {
            return Err(ModbusHidError::NotFound);
        };
        let setup = ControlSetup::new(
            0x81,
            0x06,
            0x22 << 8,
            u16::from(HidInterface::DEFAULT.number),
        );
        let descriptor = match opened
            .transport
            .control_in(setup, DESCRIPTOR_LEN, DESCRIPTOR_TIMEOUT)
            .await
        {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                tracing::warn!("No HID report descriptor ({e}), using defaults");
                None
            }
        };
        match report_ids(descriptor.as_deref()) {
            Ok(ids) => {
                tracing::debug!(
                    "Found report ids RX=0x{:02x} TX=0x{:02x} on {}",
                    ids.rx,
                    ids.tx,
                    opened.info
                );
                return Ok(Opened {
                    stream: ModbusHidStream::new(opened.transport, ids),
                    info: opened.info,
                    report_ids: ids,
                });
            }
            Err(e) => {
                tracing::debug!(device = %opened.info, "{e}: skipping");
                skipped.push(opened.info);
            }
        }
    }
    Err(ModbusHidError::NotFound)
}

#[cfg(test)]
mod tests;
