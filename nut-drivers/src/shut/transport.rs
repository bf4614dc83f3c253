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
        self.synchronise_with(frame::SYNC_OFF).await
    }

    /// Sends the sync byte `token` ([`frame::SYNC`], [`frame::SYNC_LIGHT`] or
    /// [`frame::SYNC_OFF`]: which notifications the unit may send) until the unit echoes it
    /// (4 tries, 1 s each, as C does). Returns whether it did.
    pub async fn synchronise_with(&mut self, token: u8) -> Result<bool, UsbError> {
        for attempt in 0..MAX_TRY {
            tracing::debug!("Syncing communication (try {attempt})");
            self.pending.clear();
            let _ = self.port.discard_input();
            self.send(&[token]).await?;
            if self.fill(SYNC_TIMEOUT).await? {
                let echoed = self.pending.first() == Some(&token);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::shut::{ControlDevice, ShutEngine};
    use crate::usb::transport::HidInterface;

    /// A unit with a device descriptor, strings, a HID descriptor, a 20-byte report
    /// descriptor and one feature report; it remembers what was SET.
    #[derive(Default)]
    struct Unit {
        set: Vec<(u16, Vec<u8>)>,
    }

    impl ControlDevice for Unit {
        fn control(&mut self, setup: &Setup, data: &[u8]) -> Option<Vec<u8>> {
            if !setup.is_in() {
                self.set.push((setup.value, data.to_vec()));
                return Some(Vec::new());
            }
            let [lo, hi] = setup.value.to_le_bytes();
            match (setup.request_type, setup.request, hi) {
                (0x80, 6, 1) => Some(vec![
                    18, 1, 0x10, 1, 0, 0, 0, 8, 0x63, 0x04, 0xff, 0xff, 0x02, 0x02, 1, 2, 0, 1,
                ]),
                (0x80, 6, 3) if lo == 1 => Some(b"\x0a\x03E\0a\0t\0n\0".to_vec()),
                (0x80, 6, 3) if lo == 2 => Some(b"\x06\x035\0\xe9\x01".to_vec()),
                (0x81, 6, 0x21) if lo == 1 => Some(vec![9, 0x21, 0x10, 1, 0, 1, 0x22, 20, 0]),
                (0x81, 6, 0x22) if lo == 1 => Some((0..20).collect()),
                (0xa1, 1, 3) if lo == 0x0c => Some(vec![0x0c, 0x64, 0x00, 0x10]),
                _ => None,
            }
        }
    }

    /// The host's port wired to the simulated unit; `corrupt` damages the unit's first
    /// packet once.
    struct Wire {
        engine: ShutEngine<Unit>,
        inbox: Vec<u8>,
        corrupt: bool,
    }

    #[async_trait]
    impl SerialPort for Wire {
        async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
            let mut out = Vec::new();
            self.engine.feed(data, &mut out);
            if self.corrupt && out.len() > 3 && out[0] == frame::ACK {
                self.corrupt = false;
                out[3] ^= 0xff;
            }
            self.inbox.extend_from_slice(&out);
            Ok(())
        }

        async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.inbox.is_empty() {
                std::future::pending::<()>().await;
            }
            let n = buf.len().min(self.inbox.len());
            buf[..n].copy_from_slice(&self.inbox[..n]);
            self.inbox.drain(..n);
            Ok(n)
        }
    }

    fn wire(corrupt: bool) -> ShutTransport {
        ShutTransport::new(Box::new(Wire {
            engine: ShutEngine::new(Unit::default()),
            inbox: Vec::new(),
            corrupt,
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn identifies_reads_and_writes_through_the_simulated_unit() {
        let opened = ShutOpener::identify(wire(false), &|_: &UsbDeviceInfo| {
            Some(HidInterface::DEFAULT)
        })
        .await
        .unwrap()
        .expect("a unit");
        assert_eq!(opened.info.vendor_id, 0x0463);
        assert_eq!(opened.info.bcd_device, 0x0202);
        assert_eq!(opened.info.vendor.as_deref(), Some("Eatn"));
        assert_eq!(opened.info.product.as_deref(), Some("5?"));
        assert_eq!(opened.info.serial.as_deref(), Some("unknown"));
        assert_eq!(opened.info.bus, "serial");
        // bcdDevice 2.02: the full descriptor, number 1.
        assert_eq!(opened.report_descriptor, (0..20).collect::<Vec<u8>>());
        let mut t = opened.transport;
        assert_eq!(t.get_report(0x0c, 4).await, Ok(vec![0x0c, 0x64, 0, 0x10]));
        assert_eq!(t.get_report(0x0c, 2).await, Ok(vec![0x0c, 0x64]));
        // An unknown report: an empty answer.
        assert_eq!(t.get_report(0x33, 4).await, Ok(vec![]));
        let long: Vec<u8> = (0..11).collect();
        assert_eq!(t.set_report(0x10, &long).await, Ok(11));
        assert_eq!(t.set_report(0x11, &[0x11, 1]).await, Ok(2));
    }

    #[tokio::test(start_paused = true)]
    async fn damaged_packet_is_asked_again() {
        let mut t = wire(true);
        assert!(t.synchronise().await.unwrap());
        assert_eq!(t.get_report(0x0c, 4).await, Ok(vec![0x0c, 0x64, 0, 0x10]));
    }

    #[tokio::test(start_paused = true)]
    async fn silent_unit_is_gone() {
        struct Silent;
        #[async_trait]
        impl SerialPort for Silent {
            async fn write_all(&mut self, _: &[u8]) -> io::Result<()> {
                Ok(())
            }
            async fn read_some(&mut self, _: &mut [u8]) -> io::Result<usize> {
                std::future::pending().await
            }
        }
        let mut t = ShutTransport::new(Box::new(Silent));
        assert!(!t.synchronise().await.unwrap());
        assert_eq!(t.get_report(1, 4).await, Err(UsbError::NoDevice));
        let none = ShutOpener::identify(
            ShutTransport::new(Box::new(Silent)),
            &|_: &UsbDeviceInfo| Some(HidInterface::DEFAULT),
        )
        .await
        .unwrap();
        assert!(none.is_none());
    }
}
