//! The USB side of `riello_usb`, C NUT 2.8.0's Riello USB driver (0.07). Riello's USB units
//! (04b4:5500, the only id of C's table) hide a serial GPSER unit behind a Cypress HID
//! bridge: a request goes out on endpoint `02` in 8-byte packets whose first byte is `0x37`
//! for seven data bytes or `0x30 + n` for the last `n` (the rest of that packet `'0'`),
//! 200 ms apart; replies come from endpoint `81` in 8-byte packets whose first byte's low
//! three bits count the data bytes after it, read 10 ms apart until the frame is whole (at
//! most 300 reads: then C takes what it has). Before the identification C sends a feature
//! report (`SET_REPORT` type 3, `b0 04 00 00 03`) and does not look at the result.
//!
//! C's source calls these transfers bulk ones, but with libusb-1.0 (Debian's build) its
//! `usb_bulk_read` and `usb_bulk_write` are interrupt transfers, as here: the bridge's
//! endpoints are interrupt endpoints (Linux refuses an interrupt transfer on a bulk one).
//!
//! A transfer error fails the request (C's `recv < 0`: a command is refused, a poll is
//! lost); a stall clears the halt of `81` (when that fails the unit is reset and opened
//! again), and a lost device is opened again (then identified again, as C does).
//!
//! ```
//! use nut_drivers::riello::usb::{packets, unpack};
//!
//! let p = packets(b"\x02\x20\x22GI000132\x03");
//! assert_eq!(p.len(), 2);
//! assert_eq!(p[0], *b"\x37\x02\x20\x22GI00");
//! assert_eq!(p[1], *b"\x350132\x0300");
//! assert_eq!(unpack(&p[1]), b"0132\x03");
//! ```

use std::io;
use std::time::Duration;

use async_trait::async_trait;

use super::frame::{Kind, Receiver};
use super::Link;
use crate::usb::transport::{
    ControlSetup, HidInterface, HidOpener, HidTransport, UsbDeviceInfo, UsbError,
};

/// The (interrupt) OUT endpoint requests go to.
pub const EP_OUT: u8 = 0x02;
/// The (interrupt) IN endpoint replies come from.
pub const EP_IN: u8 = 0x81;
/// The pause after each packet sent (C's `USB_WRITE_DELAY`).
pub const WRITE_DELAY: Duration = Duration::from_millis(200);
/// Packets read for one reply before C stops waiting.
pub const MAX_READS: usize = 300;
/// Riello's (Cypress's) vendor id.
pub const VENDOR_ID: u16 = 0x04b4;
/// The product id of C's table.
pub const PRODUCT_ID: u16 = 0x5500;
/// The timeout of every transfer (C's 1000 ms).
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(1);
/// The pause between two reads of a reply.
const READ_PAUSE: Duration = Duration::from_millis(10);

/// Whether C's table takes a device.
pub fn supported(info: &UsbDeviceInfo) -> bool {
    info.vendor_id == VENDOR_ID && info.product_id == PRODUCT_ID
}

/// A request cut into the bridge's 8-byte packets.
pub fn packets(request: &[u8]) -> Vec<[u8; 8]> {
    request
        .chunks(7)
        .map(|chunk| {
            let mut p = [b'0'; 8];
            p[0] = if chunk.len() == 7 {
                0x37
            } else {
                0x30 + chunk.len() as u8
            };
            p[1..=chunk.len()].copy_from_slice(chunk);
            p
        })
        .collect()
}

/// The data bytes of a packet received (its count is the low three bits of the first).
pub fn unpack(packet: &[u8]) -> &[u8] {
    let Some(&first) = packet.first() else {
        return &[];
    };
    let n = usize::from(first & 7).min(packet.len() - 1);
    &packet[1..=n]
}

/// Packets to and from the bridge.
#[async_trait]
pub trait PacketPipe: Send {
    /// Writes `data` to `endpoint`.
    async fn write_packet(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> io::Result<()>;
    /// Reads up to `len` bytes from `endpoint`; a timeout is an error of kind `TimedOut`.
    async fn read_packet(
        &mut self,
        endpoint: u8,
        len: usize,
        timeout: Duration,
    ) -> io::Result<Vec<u8>>;
}

/// A [`Link`] through the bridge.
pub struct UsbLink<P> {
    pipe: P,
}

impl<P: PacketPipe> UsbLink<P> {
    /// A link over `pipe`.
    pub fn new(pipe: P) -> Self {
        Self { pipe }
    }
}

#[async_trait]
impl<P: PacketPipe> Link for UsbLink<P> {
    /// A transfer error comes back as it is (a timeout: kind `TimedOut`, which fails the
    /// request but keeps the unit); after [`MAX_READS`] packets the frame counts as whole.
    async fn exchange(
        &mut self,
        request: &[u8],
        rx: &mut Receiver,
        kind: Kind,
        crc: bool,
    ) -> io::Result<()> {
        tracing::trace!(request = %super::frame_hex(request), "send");
        for p in packets(request) {
            self.pipe.write_packet(EP_OUT, &p, TRANSFER_TIMEOUT).await?;
            tokio::time::sleep(WRITE_DELAY).await;
        }
        let mut reads = 0;
        while rx.waiting && rx.len < super::frame::BUFFER_SIZE {
            let packet = self.pipe.read_packet(EP_IN, 8, TRANSFER_TIMEOUT).await?;
            tracing::trace!("read: {packet:02x?}");
            for &b in unpack(&packet) {
                rx.push(b, kind, crc);
            }
            reads += 1;
            if reads > MAX_READS {
                // C stops waiting and takes the buffer as it is.
                rx.waiting = false;
                tracing::debug!("wait_packet reset");
            }
            tokio::time::sleep(READ_PAUSE).await;
        }
        Ok(())
    }
}

/// What an error of the USB layer does to a request: a timeout (or anything that leaves
/// the unit usable) fails it (`TimedOut`); a lost unit is an error of another kind, which
/// makes the driver open the unit again.
fn request_error(e: UsbError) -> io::Error {
    if e.needs_reconnect() {
        e.into()
    } else {
        io::Error::new(io::ErrorKind::TimedOut, e)
    }
}

/// An open transport as the bridge's pipe.
struct TransportPipe<'a>(&'a mut dyn HidTransport);

#[async_trait]
impl PacketPipe for TransportPipe<'_> {
    async fn write_packet(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> io::Result<()> {
        self.0
            .write_interrupt(endpoint, data, timeout)
            .await
            .map(|_| ())
            .map_err(|e| {
                tracing::debug!("USB: Send_USB_Packet: {e}");
                TransportError(e).into()
            })
    }

    async fn read_packet(
        &mut self,
        endpoint: u8,
        len: usize,
        timeout: Duration,
    ) -> io::Result<Vec<u8>> {
        self.0
            .read_interrupt_from(endpoint, len, timeout)
            .await
            .map_err(|e| {
                tracing::debug!("USB: Get_USB_Packet: {e}");
                TransportError(e).into()
            })
    }
}

/// A [`UsbError`] carried through an `io::Error`, to be told apart again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct TransportError(UsbError);

impl From<TransportError> for io::Error {
    fn from(e: TransportError) -> Self {
        Self::other(e)
    }
}

fn usb_error_of(e: &io::Error) -> Option<UsbError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<TransportError>())
        .map(|t| t.0.clone())
}

/// `riello_usb`'s link: the unit found and opened through a [`HidOpener`], the bridge's
/// feature report sent before the identification, then requests through [`UsbLink`]'s
/// framing over interrupt transfers.
pub struct UsbConnection {
    opener: Box<dyn HidOpener>,
    transport: Option<Box<dyn HidTransport>>,
    info: Option<UsbDeviceInfo>,
}

impl std::fmt::Debug for UsbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsbConnection")
            .field("open", &self.transport.is_some())
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// C's message when no unit is found.
pub const NOT_FOUND: &str =
    "No supported devices found. Please check your device availability with 'lsusb'
and make sure you have an up-to-date version of NUT. If this does not help,
try running the driver with at least 'subdriver', 'vendorid' and 'productid'
options specified. Please refer to the man page for details about these options
(man 8 riello_usb).";

impl UsbConnection {
    /// A connection through `opener` (nothing is opened yet: see [`Link::connect`]).
    pub fn new(opener: Box<dyn HidOpener>) -> Self {
        Self {
            opener,
            transport: None,
            info: None,
        }
    }

    /// C's `cypress_setfeatures`: the bridge's feature report (its result only logged).
    async fn set_features(t: &mut dyn HidTransport) {
        // USB_ENDPOINT_OUT | USB_TYPE_CLASS | USB_RECIP_INTERFACE, SET_REPORT, feature 0.
        let setup = ControlSetup::new(0x21, 0x09, 0x0300, 0);
        match t
            .control_out(setup, &[0xb0, 0x04, 0x00, 0x00, 0x03], TRANSFER_TIMEOUT)
            .await
        {
            Ok(n) if n > 0 => tracing::debug!("send: features report ok"),
            Ok(_) => tracing::debug!("send: error"),
            Err(e) => tracing::debug!("send: {e}"),
        }
    }
}

#[async_trait]
impl Link for UsbConnection {
    async fn connect(&mut self) -> io::Result<()> {
        self.transport = None;
        // C's table has one id, and no matching option narrows the choice (C takes none):
        // the first unit of that id, on reconnection too.
        let accept = |info: &UsbDeviceInfo| supported(info).then_some(HidInterface::DEFAULT);
        // As a HID device, its report descriptor read (C's USB layer skips a unit without).
        let opened = self.opener.open(&accept).await?;
        let Some(opened) = opened else {
            return Err(io::Error::new(io::ErrorKind::NotFound, NOT_FOUND));
        };
        self.info = Some(opened.info);
        self.transport = Some(opened.transport);
        Ok(())
    }

    async fn start_comm(&mut self) {
        if let Some(t) = self.transport.as_mut() {
            Self::set_features(t.as_mut()).await;
        }
    }

    fn usb_vars(&self) -> Vec<(&'static str, String)> {
        let Some(info) = &self.info else {
            return Vec::new();
        };
        // C's riello_usb publishes no driver.version.usb.
        vec![
            ("ups.vendorid", format!("{:04x}", info.vendor_id)),
            ("ups.productid", format!("{:04x}", info.product_id)),
        ]
    }

    async fn exchange(
        &mut self,
        request: &[u8],
        rx: &mut Receiver,
        kind: Kind,
        crc: bool,
    ) -> io::Result<()> {
        let Some(t) = self.transport.as_mut() else {
            return Err(UsbError::NoDevice.into());
        };
        let result = UsbLink::new(TransportPipe(t.as_mut()))
            .exchange(request, rx, kind, crc)
            .await;
        let Err(e) = result else {
            return Ok(());
        };
        let Some(usb) = usb_error_of(&e) else {
            return Err(e);
        };
        tracing::debug!("riello_command err: {usb}");
        match usb {
            UsbError::Busy => Err(io::Error::other("Got disconnected by another driver")),
            UsbError::Pipe => {
                if t.clear_halt(EP_IN).await.is_ok() {
                    tracing::debug!("Stall condition cleared");
                    return Err(request_error(UsbError::Pipe));
                }
                if t.reset().await.is_ok() {
                    tracing::debug!("Device reset handled");
                }
                self.transport = None;
                Err(UsbError::NoDevice.into())
            }
            e if e.needs_reconnect() => {
                self.transport = None;
                Err(e.into())
            }
            e => Err(request_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::riello::frame::gpser;
    use crate::sim::{riello, SharedModel, UpsModel};

    /// The bridge in front of a simulated unit.
    struct FakeBridge {
        model: SharedModel,
        pending: Vec<u8>,
        out: Vec<u8>,
    }

    #[async_trait]
    impl PacketPipe for FakeBridge {
        async fn write_packet(&mut self, ep: u8, data: &[u8], _t: Duration) -> io::Result<()> {
            assert_eq!(ep, EP_OUT);
            self.pending.extend_from_slice(unpack(data));
            riello::feed(&self.model, &mut self.pending, &mut self.out);
            Ok(())
        }
        async fn read_packet(&mut self, ep: u8, _len: usize, _t: Duration) -> io::Result<Vec<u8>> {
            assert_eq!(ep, EP_IN);
            if self.out.is_empty() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let n = self.out.len().min(7);
            let mut p = vec![n as u8];
            p.extend(self.out.drain(..n));
            p.resize(8, 0);
            Ok(p)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_and_replies_cross_the_bridge() {
        let model = UpsModel::shared();
        let mut link = UsbLink::new(FakeBridge {
            model: model.clone(),
            pending: Vec::new(),
            out: Vec::new(),
        });
        let mut rx = Receiver::new();
        rx.start();
        let request = gpser(b"GI", b"", false);
        link.exchange(&request, &mut rx, Kind::Gpser, false)
            .await
            .unwrap();
        assert!(!rx.waiting && !rx.bad_crc);
        assert_eq!(rx.len, 68);
        assert_eq!(model.lock().unwrap().received, [riello::hex(&request)]);
        // Nothing comes back for a SENTR probe: the read times out, the request fails.
        rx.start();
        let e = link
            .exchange(&[192], &mut rx, Kind::Sentr, false)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(rx.waiting);
    }

    /// What the fake unit does to the next interrupt read.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Fault {
        None,
        /// Says nothing (every read times out).
        Silent,
        /// Stalls once; clearing the halt works when the flag says so.
        Stall(bool),
        /// Is gone.
        Gone,
    }

    /// The unit's USB side as the driver sees it: the bridge's packets on interrupt
    /// endpoints, answered by the simulated unit.
    struct Unit {
        bridge: FakeBridge,
        fault: std::sync::Arc<std::sync::Mutex<Fault>>,
        log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    }

    #[async_trait]
    impl HidTransport for Unit {
        async fn get_report(&mut self, _id: u8, _len: usize) -> Result<Vec<u8>, UsbError> {
            Err(UsbError::Pipe)
        }
        async fn set_report(&mut self, _id: u8, _data: &[u8]) -> Result<usize, UsbError> {
            Err(UsbError::Pipe)
        }
        async fn get_string(&mut self, _index: u8) -> Result<String, UsbError> {
            Err(UsbError::Pipe)
        }
        async fn interrupt_read(&mut self, _l: usize, _t: Duration) -> Result<Vec<u8>, UsbError> {
            Err(UsbError::Pipe)
        }
        async fn control_out(
            &mut self,
            setup: ControlSetup,
            data: &[u8],
            _t: Duration,
        ) -> Result<usize, UsbError> {
            self.log
                .lock()
                .unwrap()
                .push(format!("control {setup:?} {data:02x?}"));
            Ok(data.len())
        }
        async fn write_interrupt(
            &mut self,
            ep: u8,
            data: &[u8],
            t: Duration,
        ) -> Result<usize, UsbError> {
            if *self.fault.lock().unwrap() == Fault::Gone {
                return Err(UsbError::NoDevice);
            }
            self.bridge.write_packet(ep, data, t).await.unwrap();
            Ok(data.len())
        }
        async fn read_interrupt_from(
            &mut self,
            ep: u8,
            len: usize,
            t: Duration,
        ) -> Result<Vec<u8>, UsbError> {
            let fault = *self.fault.lock().unwrap();
            match fault {
                Fault::None => {}
                Fault::Silent => {
                    self.bridge.out.clear();
                    return Err(UsbError::Timeout);
                }
                Fault::Stall(_) => {
                    // The stalled reply is lost.
                    self.bridge.out.clear();
                    return Err(UsbError::Pipe);
                }
                Fault::Gone => return Err(UsbError::NoDevice),
            }
            self.bridge
                .read_packet(ep, len, t)
                .await
                .map_err(|_| UsbError::Timeout)
        }
        async fn clear_halt(&mut self, endpoint: u8) -> Result<(), UsbError> {
            self.log
                .lock()
                .unwrap()
                .push(format!("clear_halt {endpoint:02x}"));
            let mut fault = self.fault.lock().unwrap();
            let Fault::Stall(clears) = *fault else {
                return Ok(());
            };
            *fault = Fault::None;
            if clears {
                Ok(())
            } else {
                Err(UsbError::Pipe)
            }
        }
        async fn reset(&mut self) -> Result<(), UsbError> {
            self.log.lock().unwrap().push("reset".into());
            Ok(())
        }
    }

    struct Opener {
        model: SharedModel,
        fault: std::sync::Arc<std::sync::Mutex<Fault>>,
        log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
        ids: (u16, u16),
    }

    #[async_trait]
    impl HidOpener for Opener {
        async fn open(
            &mut self,
            accept: &crate::usb::transport::Accept,
        ) -> Result<Option<crate::usb::transport::OpenedDevice>, UsbError> {
            let info = UsbDeviceInfo::new(self.ids.0, self.ids.1);
            if accept(&info).is_none() {
                return Ok(None);
            }
            self.log.lock().unwrap().push("open".into());
            Ok(Some(crate::usb::transport::OpenedDevice {
                transport: Box::new(Unit {
                    bridge: FakeBridge {
                        model: self.model.clone(),
                        pending: Vec::new(),
                        out: Vec::new(),
                    },
                    fault: self.fault.clone(),
                    log: self.log.clone(),
                }),
                info,
                report_descriptor: vec![0x06, 0xa0, 0xff],
            }))
        }
    }

    type Shared<T> = std::sync::Arc<std::sync::Mutex<T>>;

    fn driver(
        ids: (u16, u16),
    ) -> (
        crate::riello::Riello,
        SharedModel,
        Shared<Fault>,
        Shared<Vec<String>>,
    ) {
        let model = UpsModel::shared();
        let fault = Shared::new(std::sync::Mutex::new(Fault::None));
        let log = Shared::default();
        let (m, f, l) = (model.clone(), fault.clone(), log.clone());
        let d = crate::riello::Riello::usb_with_opener(move || {
            Box::new(Opener {
                model: m.clone(),
                fault: f.clone(),
                log: l.clone(),
                ids,
            })
        });
        (d, model, fault, log)
    }

    #[tokio::test(start_paused = true)]
    async fn the_driver_over_the_bridge() {
        use nut_driver_api::{DeviceState, Driver, DriverParams};
        use nut_proto::sock::TrackingStatus;

        let (mut d, model, fault, log) = driver((VENDOR_ID, PRODUCT_ID));
        let mut state = DeviceState::new();
        let params = DriverParams::new("auto");
        d.open(&params, &mut state).await.unwrap();
        assert_eq!(state.value("ups.vendorid"), Some("04b4"));
        assert_eq!(state.value("ups.productid"), Some("5500"));
        // The feature report comes with the identification, not before.
        assert_eq!(*log.lock().unwrap(), ["open"]);
        d.identify(&mut state).await.unwrap();
        assert!(
            log.lock().unwrap()[1].contains("[b0, 04, 00, 00, 03]"),
            "{log:?}"
        );
        assert!(log.lock().unwrap()[1].contains("request_type: 33, request: 9, value: 768"));
        d.update(&mut state).await.unwrap();
        assert_eq!(state.value("ups.status"), Some("OL"));
        assert_eq!(state.value("ups.power.nominal"), Some("1000"));
        assert!(state.has_cmd("test.panel.start"));
        assert_eq!(
            d.instcmd(&mut state, "shutdown.stop", None).await,
            TrackingStatus::Handled
        );

        // A silent unit: the command fails (a silent serial unit's would be handled), the
        // poll is lost without an error, until the tenth.
        *fault.lock().unwrap() = Fault::Silent;
        assert_eq!(
            d.instcmd(&mut state, "load.off", None).await,
            TrackingStatus::Failed
        );
        d.update(&mut state).await.unwrap();

        // A stall whose halt clears: the request fails, the unit stays.
        *fault.lock().unwrap() = Fault::Stall(true);
        assert_eq!(
            d.instcmd(&mut state, "test.battery.start", None).await,
            TrackingStatus::Failed
        );
        assert_eq!(log.lock().unwrap().last().unwrap(), "clear_halt 81");
        *fault.lock().unwrap() = Fault::None;
        model.lock().unwrap().mains_lost();
        d.update(&mut state).await.unwrap();
        assert_eq!(state.value("ups.status"), Some("OB"));

        // One that does not: the unit is reset, and the driver must open it again.
        *fault.lock().unwrap() = Fault::Stall(false);
        let e = d.update(&mut state).await.unwrap_err();
        assert!(e.needs_reconnect(), "{e}");
        assert_eq!(log.lock().unwrap().last().unwrap(), "reset");
        d.close().await;
        d.open(&params, &mut state).await.unwrap();
        d.identify(&mut state).await.unwrap();
        d.update(&mut state).await.unwrap();

        // A unit gone: opened again too.
        *fault.lock().unwrap() = Fault::Gone;
        assert!(d.update(&mut state).await.unwrap_err().needs_reconnect());
    }

    #[tokio::test(start_paused = true)]
    async fn other_ids_are_not_taken() {
        use nut_driver_api::{DeviceState, Driver, DriverParams};
        let (mut d, _model, _fault, _log) = driver((0x0665, 0x5161));
        let e = d
            .open(&DriverParams::new("auto"), &mut DeviceState::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("No supported devices found"), "{e}");
        assert!(!e.needs_reconnect());
    }
}
