//! The host side of SHUT: [`ShutTransport`] carries the HID requests of the `usbhid-ups`
//! logic over a serial line, and [`ShutOpener`] opens the port, synchronises with the
//! unit and reads its descriptors, as C NUT's libshut does.

use std::io;
use std::time::Duration;

use async_trait::async_trait;

use super::frame::{self, FrameError, Packet, Parsed, Reassembler, Setup};
use crate::serial::{SerialPort, SerialSettings, TokioSerial};
use crate::usb::transport::{
    Accept, HidOpener, HidTransport, OpenedDevice, UsbDeviceInfo, UsbError,
};

/// How long a reply byte may take (C: 3 s).
const TIMEOUT: Duration = Duration::from_secs(3);
/// How long the echo of a sync byte may take (C: 1 s).
const SYNC_TIMEOUT: Duration = Duration::from_secs(1);
/// Tries of a sync, and of a packet the unit does not acknowledge.
const MAX_TRY: usize = 4;
/// Line speed of SHUT units.
pub const BAUD: u32 = 2400;
/// Buffer for string descriptors (C's `MAX_STRING_SIZE`).
const STRING_LEN: u16 = 128;

fn io_error(e: io::Error) -> UsbError {
    match e.kind() {
        io::ErrorKind::TimedOut => UsbError::Timeout,
        io::ErrorKind::NotFound => UsbError::NoDevice,
        io::ErrorKind::PermissionDenied => UsbError::Access,
        _ => UsbError::Io,
    }
}

/// HID requests over a SHUT serial line.
pub struct ShutTransport {
    port: Box<dyn SerialPort>,
    pending: Vec<u8>,
    /// Notifications that arrived in the middle of transfers (their data), oldest first.
    notifications: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ShutTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutTransport")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl ShutTransport {
    /// A transport on an open port (already at the right speed).
    pub fn new(port: Box<dyn SerialPort>) -> Self {
        Self {
            port,
            pending: Vec::new(),
            notifications: Vec::new(),
        }
    }

    async fn fill(&mut self, timeout: Duration) -> Result<bool, UsbError> {
        let mut buf = [0u8; 64];
        match tokio::time::timeout(timeout, self.port.read_some(&mut buf)).await {
            Err(_) => Ok(false),
            Ok(Ok(0)) => Err(UsbError::Io),
            Ok(Ok(n)) => {
                self.pending.extend_from_slice(&buf[..n]);
                Ok(true)
            }
            Ok(Err(e)) => Err(io_error(e)),
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), UsbError> {
        tracing::trace!("shut send {bytes:02x?}");
        self.port.write_all(bytes).await.map_err(io_error)
    }

    /// Sends the no-notification sync byte until the unit echoes it (4 tries, 1 s each,
    /// as C does). Returns whether it did.
    pub async fn synchronise(&mut self) -> Result<bool, UsbError> {
        for attempt in 0..MAX_TRY {
            tracing::debug!("Syncing communication (try {attempt})");
            self.pending.clear();
            let _ = self.port.discard_input();
            self.send(&[frame::SYNC_OFF]).await?;
            if self.fill(SYNC_TIMEOUT).await? {
                let echoed = self.pending.first() == Some(&frame::SYNC_OFF);
                self.pending.clear();
                if echoed {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Waits for the acknowledgement of a packet: `Ok(true)` ACK, `Ok(false)` NAK or
    /// nothing. A notification packet that comes instead is acknowledged and kept.
    async fn wait_ack(&mut self) -> Result<bool, UsbError> {
        loop {
            if self.pending.is_empty() && !self.fill(TIMEOUT).await? {
                return Ok(false);
            }
            match self.pending[0] {
                frame::ACK => {
                    self.pending.remove(0);
                    return Ok(true);
                }
                frame::NAK => {
                    self.pending.remove(0);
                    return Ok(false);
                }
                b if b & 0x0f == frame::KIND_NOTIFY && !frame::is_token(b) => {
                    let p = self.read_packet().await?;
                    self.notifications.push(p.data);
                }
                _ => {
                    // A stray byte (a late sync echo): skip it.
                    self.pending.remove(0);
                }
            }
        }
    }

    /// Reads one packet, refusing damaged ones (up to three times) and acknowledging the
    /// good one.
    async fn read_packet(&mut self) -> Result<Packet, UsbError> {
        let mut retries = 0;
        loop {
            match frame::parse(&self.pending) {
                Ok(Parsed::Incomplete) => {
                    if !self.fill(TIMEOUT).await? {
                        self.pending.clear();
                        return Err(UsbError::Timeout);
                    }
                }
                Ok(Parsed::Token(_)) => {
                    self.pending.remove(0);
                }
                Ok(Parsed::Packet(p, used)) => {
                    self.pending.drain(..used);
                    self.send(&[frame::ACK]).await?;
                    return Ok(p);
                }
                Err(e) => {
                    tracing::debug!("{e}");
                    let used = match e {
                        FrameError::Checksum { used, .. } => used,
                        _ => self.pending.len(),
                    };
                    self.pending.drain(..used.min(self.pending.len()));
                    self.send(&[frame::NAK]).await?;
                    retries += 1;
                    if retries >= 3 {
                        return Err(UsbError::Io);
                    }
                }
            }
        }
    }

    /// One control request: `data` goes to the unit (host-to-device requests); the
    /// answer's bytes come back (device-to-host requests, at most `setup.length`).
    pub async fn control(&mut self, setup: Setup, data: &[u8]) -> Result<Vec<u8>, UsbError> {
        tracing::trace!("shut control {setup:?}");
        for packet in frame::request_frames(&setup, data) {
            let mut tries = 0;
            loop {
                self.send(&packet).await?;
                if self.wait_ack().await? {
                    break;
                }
                tries += 1;
                if tries >= MAX_TRY {
                    tracing::debug!("Max tries reached while waiting for ACK");
                    // A unit that answers a sync only lost this request; one that does
                    // not is gone (its cable pulled, switched off): reconnect.
                    return Err(if self.synchronise().await? {
                        UsbError::Timeout
                    } else {
                        UsbError::NoDevice
                    });
                }
            }
        }
        if !setup.is_in() {
            return Ok(Vec::new());
        }
        let mut r = Reassembler::new();
        loop {
            let p = self.read_packet().await?;
            if let Some(mut answer) = r.push(p) {
                self.notifications.append(&mut r.notifications);
                answer.truncate(usize::from(setup.length));
                return Ok(answer);
            }
        }
    }

    /// GET_DESCRIPTOR: `kind` (1 device, 3 string, 0x21 HID, 0x22 report) number `index`.
    pub async fn descriptor(&mut self, kind: u8, index: u8, len: u16) -> Result<Vec<u8>, UsbError> {
        let setup = Setup {
            request_type: if kind >= 0x21 { 0x81 } else { 0x80 },
            request: 0x06,
            value: u16::from(kind) << 8 | u16::from(index),
            index: 0,
            length: len,
        };
        self.control(setup, &[]).await
    }

    async fn string(&mut self, index: u8, len: u16) -> Result<String, UsbError> {
        let raw = self.descriptor(0x03, index, len).await?;
        if raw.len() < 2 || raw[1] != 0x03 {
            return Err(UsbError::Io);
        }
        let end = usize::from(raw[0]).min(raw.len());
        Ok(raw
            .get(2..end)
            .unwrap_or_default()
            .chunks(2)
            .map(|c| match c {
                [lo, 0] => char::from(*lo),
                _ => '?',
            })
            .collect())
    }

    /// Notifications that arrived in the middle of transfers since the last call.
    pub fn take_notifications(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.notifications)
    }
}

#[async_trait]
impl HidTransport for ShutTransport {
    async fn get_report(&mut self, id: u8, len: usize) -> Result<Vec<u8>, UsbError> {
        let setup = Setup {
            request_type: 0xa1,
            request: 0x01,
            value: 0x0300 | u16::from(id),
            index: 0,
            length: u16::try_from(len).map_err(|_| UsbError::Overflow)?,
        };
        self.control(setup, &[]).await
    }

    async fn set_report(&mut self, id: u8, data: &[u8]) -> Result<usize, UsbError> {
        let setup = Setup {
            request_type: 0x21,
            request: 0x09,
            value: 0x0300 | u16::from(id),
            index: 0,
            length: u16::try_from(data.len()).map_err(|_| UsbError::Overflow)?,
        };
        self.control(setup, data).await?;
        Ok(data.len())
    }

    async fn get_string(&mut self, index: u8) -> Result<String, UsbError> {
        self.string(index, STRING_LEN).await
    }

    async fn interrupt_read(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        // The unit was synchronised without notifications (as C does): there is no
        // interrupt pipe; a notification caught during a transfer is handed out here.
        if let Some(mut n) = self.notifications.first().cloned() {
            self.notifications.remove(0);
            n.truncate(len);
            return Ok(n);
        }
        tokio::time::sleep(timeout).await;
        Err(UsbError::Timeout)
    }
}

/// Opens a SHUT unit on a serial port (the driver's `port`).
#[derive(Debug, Clone)]
pub struct ShutOpener {
    path: String,
}

impl ShutOpener {
    /// An opener for the serial port at `path`.
    pub fn new(path: &str) -> Self {
        Self { path: path.into() }
    }

    /// Synchronises and reads the unit's identity and report descriptor on `transport`
    /// (C's `libshut_open` after opening the port). `Ok(None)`: the unit does not answer,
    /// or `accept` refuses it.
    pub async fn identify(
        mut transport: ShutTransport,
        accept: &Accept,
    ) -> Result<Option<OpenedDevice>, UsbError> {
        if !transport.synchronise().await? {
            tracing::debug!("No communication with UPS");
            return Ok(None);
        }
        tracing::debug!("Communication with UPS established");
        let dev = transport.descriptor(0x01, 0, 18).await?;
        if dev.len() < 9 {
            tracing::debug!(
                "DEVICE descriptor too short (expected 18, got {})",
                dev.len()
            );
            return Ok(None);
        }
        let word = |i: usize| {
            u16::from_le_bytes([
                dev.get(i).copied().unwrap_or(0),
                dev.get(i + 1).copied().unwrap_or(0),
            ])
        };
        let byte = |i: usize| dev.get(i).copied().unwrap_or(0);
        let mut info = UsbDeviceInfo::new(word(8), word(10));
        info.bcd_device = word(12);
        info.bus = "serial".into();
        info.vendor = Some(
            optional_string(&mut transport, byte(14), STRING_LEN)
                .await
                .unwrap_or_else(|| "Eaton".into()),
        );
        info.product = Some(
            optional_string(&mut transport, byte(15), STRING_LEN)
                .await
                .unwrap_or_else(|| "unknown".into()),
        );
        info.serial = Some(
            optional_string(&mut transport, byte(16), 0x25)
                .await
                .unwrap_or_else(|| "unknown".into()),
        );
        tracing::debug!("- VendorID: {:04x}", info.vendor_id);
        tracing::debug!("- ProductID: {:04x}", info.product_id);
        let hid_index = u8::from(info.vendor_id == 0x0463 && info.bcd_device == 0x0202);
        let hid = transport.descriptor(0x21, hid_index, 9).await?;
        if hid.len() < 9 {
            tracing::debug!("HID descriptor too short (expected 9, got {})", hid.len());
            return Ok(None);
        }
        let len = u16::from_le_bytes([hid[7], hid[8]]);
        let report_descriptor = transport.descriptor(0x22, hid_index, len).await?;
        if report_descriptor.len() != usize::from(len) {
            tracing::debug!(
                "Report descriptor too short (expected {len}, got {})",
                report_descriptor.len()
            );
            return Ok(None);
        }
        if accept(&info).is_none() {
            tracing::debug!("Caller doesn't like this device");
            return Ok(None);
        }
        Ok(Some(OpenedDevice {
            transport: Box::new(transport),
            info,
            report_descriptor,
        }))
    }
}

/// String `index` of the unit, when it has one (index 0: none) and it reads.
async fn optional_string(t: &mut ShutTransport, index: u8, len: u16) -> Option<String> {
    if index == 0 {
        return None;
    }
    t.string(index, len).await.ok().filter(|s| !s.is_empty())
}

#[async_trait]
impl HidOpener for ShutOpener {
    async fn open(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        let mut port = TokioSerial::open(&self.path, SerialSettings::new(BAUD))
            .map_err(|e| UsbError::Other(format!("Unable to open {}: {e}", self.path)))?;
        // Cable power: DTR off, RTS on (pseudo-terminals have no modem lines).
        if let Err(e) = port.set_dtr(false).and_then(|()| port.set_rts(true)) {
            tracing::debug!("setting the modem lines of {}: {e}", self.path);
        }
        Self::identify(ShutTransport::new(Box::new(port)), accept).await
    }
}
