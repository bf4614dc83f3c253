//! The USB side of a HID power device, behind an object-safe trait.
//!
//! [`HidTransport`] is what the driver talks to: feature reports in and out, string
//! descriptors, and the interrupt-in pipe. [`HidOpener`] finds and opens a device that a
//! [`crate::usb::matcher::UsbMatcher`] accepts and hands back the transport, the device's identity
//! ([`UsbDeviceInfo`]) and its HID report descriptor. The real implementation is
//! [`crate::usb::RusbOpener`]; tests put a fake in its place, and the `usb-emu` emulator
//! stands in for libusb itself so that the real implementation can be tested too.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

/// What went wrong on the USB side, in libusb's terms (C's usbhid-ups decides what to do
/// from these: reconnect, or skip the item and try again later).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsbError {
    /// The transfer timed out.
    #[error("Operation timed out")]
    Timeout,
    /// The device stalled the request (an unsupported report, for example).
    #[error("Pipe error")]
    Pipe,
    /// The device has gone (unplugged, reset, re-enumerated).
    #[error("No such device (it may have been disconnected)")]
    NoDevice,
    /// Permission denied.
    #[error("Access denied (insufficient permissions)")]
    Access,
    /// An input/output error.
    #[error("Input/Output Error")]
    Io,
    /// Another program holds the device.
    #[error("Resource busy")]
    Busy,
    /// Entity not found.
    #[error("Entity not found")]
    NotFound,
    /// The device sent more than asked for.
    #[error("Overflow")]
    Overflow,
    /// Anything else (the text says what).
    #[error("{0}")]
    Other(String),
}

impl UsbError {
    /// Whether C's usbhid-ups gives up on the handle and reconnects after this error
    /// (busy, no device, access, I/O, not found); the others only skip one value.
    pub fn needs_reconnect(&self) -> bool {
        matches!(
            self,
            Self::Busy | Self::NoDevice | Self::Access | Self::Io | Self::NotFound
        )
    }
}

impl From<UsbError> for std::io::Error {
    fn from(e: UsbError) -> Self {
        let kind = match e {
            UsbError::Timeout => std::io::ErrorKind::TimedOut,
            UsbError::NoDevice | UsbError::NotFound => std::io::ErrorKind::NotFound,
            UsbError::Access => std::io::ErrorKind::PermissionDenied,
            UsbError::Busy => std::io::ErrorKind::WouldBlock,
            _ => std::io::ErrorKind::Other,
        };
        Self::new(kind, e)
    }
}

/// Who a USB device is: what the matching options (`vendorid`, `product`, `bus`, …) and
/// the subdrivers look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UsbDeviceInfo {
    /// `idVendor`.
    pub vendor_id: u16,
    /// `idProduct`.
    pub product_id: u16,
    /// `bcdDevice`, the device release number.
    pub bcd_device: u16,
    /// The manufacturer string, when the device has one.
    pub vendor: Option<String>,
    /// The product string.
    pub product: Option<String>,
    /// The serial number string.
    pub serial: Option<String>,
    /// The bus number as C writes it (`001`).
    pub bus: String,
    /// The device address on the bus as C writes it (`002`), when known.
    pub device: Option<String>,
    /// The port path (`1.4`), when known.
    pub bus_port: Option<String>,
}

impl UsbDeviceInfo {
    /// A device with these ids and nothing else known.
    pub fn new(vendor_id: u16, product_id: u16) -> Self {
        Self {
            vendor_id,
            product_id,
            ..Self::default()
        }
    }
}

impl fmt::Display for UsbDeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:04x} {}/{} on bus {}",
            self.vendor_id,
            self.product_id,
            self.vendor.as_deref().unwrap_or("unknown"),
            self.product.as_deref().unwrap_or("unknown"),
            self.bus
        )
    }
}

/// An open HID device. Every call may block on USB, so implementations run them off the
/// async runtime's worker threads.
#[async_trait]
pub trait HidTransport: Send {
    /// GET_REPORT of feature report `id` into a buffer of `len` bytes; returns the bytes the
    /// device sent (the report id first, when the device numbers its reports).
    async fn get_report(&mut self, id: u8, len: usize) -> Result<Vec<u8>, UsbError>;
    /// SET_REPORT of feature report `id` with `data` (the report id first); returns how
    /// many bytes the device took.
    async fn set_report(&mut self, id: u8, data: &[u8]) -> Result<usize, UsbError>;
    /// String descriptor `index` as ASCII.
    async fn get_string(&mut self, index: u8) -> Result<String, UsbError>;
    /// Reads the interrupt-in pipe for at most `len` bytes, waiting up to `timeout`;
    /// `Err(UsbError::Timeout)` when nothing came.
    async fn interrupt_read(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError>;

    // The raw transfers below serve the USB-to-serial bridges of the Q1 family (see
    // `nut_drivers::qx::usb`), which speak their own framings over control, interrupt and
    // string-descriptor requests. A transport that cannot do them answers
    // `UsbError::Other`.

    /// A control transfer from the device: up to `len` bytes.
    async fn control_in(
        &mut self,
        setup: ControlSetup,
        len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let _ = (setup, len, timeout);
        Err(unsupported("control IN transfers"))
    }

    /// A control transfer to the device; returns how many bytes it took.
    async fn control_out(
        &mut self,
        setup: ControlSetup,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        let _ = (setup, data, timeout);
        Err(unsupported("control OUT transfers"))
    }

    /// Reads up to `len` bytes from interrupt IN `endpoint` (0x81), waiting up to
    /// `timeout`; `Err(UsbError::Timeout)` when nothing came.
    async fn read_interrupt_from(
        &mut self,
        endpoint: u8,
        len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let _ = (endpoint, len, timeout);
        Err(unsupported("interrupt IN transfers"))
    }

    /// Writes `data` to interrupt OUT `endpoint` (0x02); returns how many bytes went.
    async fn write_interrupt(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        let _ = (endpoint, data, timeout);
        Err(unsupported("interrupt OUT transfers"))
    }

    /// String descriptor `index` in language `langid`, raw (its length and type bytes
    /// first, then UTF-16LE), at most `len` bytes.
    async fn string_descriptor(
        &mut self,
        index: u8,
        langid: u16,
        len: usize,
    ) -> Result<Vec<u8>, UsbError> {
        let _ = (index, langid, len);
        Err(unsupported("raw string descriptors"))
    }

    /// Clears a halt (stall) of `endpoint`.
    async fn clear_halt(&mut self, endpoint: u8) -> Result<(), UsbError> {
        let _ = endpoint;
        Err(unsupported("clearing a halt"))
    }

    /// Resets the device (it may come back as another device: reopen afterwards).
    async fn reset(&mut self) -> Result<(), UsbError> {
        Err(unsupported("resetting the device"))
    }
}

fn unsupported(what: &str) -> UsbError {
    UsbError::Other(format!("{what}: not supported by this transport"))
}

/// The setup fields of a control transfer (the data stage's length aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlSetup {
    /// `bmRequestType` (direction, type and recipient).
    pub request_type: u8,
    /// `bRequest`.
    pub request: u8,
    /// `wValue`.
    pub value: u16,
    /// `wIndex`.
    pub index: u16,
}

impl ControlSetup {
    /// A setup with these fields.
    pub const fn new(request_type: u8, request: u8, value: u16, index: u16) -> Self {
        Self {
            request_type,
            request,
            value,
            index,
        }
    }
}

/// A device found and opened.
pub struct OpenedDevice {
    /// The transport to talk to it.
    pub transport: Box<dyn HidTransport>,
    /// Who it is.
    pub info: UsbDeviceInfo,
    /// Its HID report descriptor.
    pub report_descriptor: Vec<u8>,
}

impl fmt::Debug for OpenedDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedDevice")
            .field("info", &self.info)
            .field("report_descriptor", &self.report_descriptor.len())
            .finish_non_exhaustive()
    }
}

/// Which USB interface carries the HID reports, and its interrupt-in endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HidInterface {
    /// The interface number (claimed, and the `wIndex` of descriptor and report requests).
    pub number: u8,
    /// The interrupt-in endpoint address (0x81 for endpoint 1).
    pub endpoint_in: u8,
    /// An alternate setting to select after claiming (C's `usb_set_altinterface`
    /// option); `None` leaves the interface as it is.
    pub alt_setting: Option<u8>,
}

impl HidInterface {
    /// Interface 0, endpoint 0x81: what nearly every UPS uses.
    pub const DEFAULT: Self = Self {
        number: 0,
        endpoint_in: 0x81,
        alt_setting: None,
    };
}

impl Default for HidInterface {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Decides whether to take a device, from its identity, and on which interface.
pub type Accept = dyn for<'a> Fn(&'a UsbDeviceInfo) -> Option<HidInterface> + Send + Sync;

/// Finds and opens HID devices.
#[async_trait]
pub trait HidOpener: Send {
    /// Opens the first device that `accept` accepts (after reading its identity, before
    /// claiming it) on the interface it names. `Ok(None)` when there is none.
    async fn open(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError>;

    /// Opens the first device that `accept` accepts and claims its interface, without
    /// reading a HID report descriptor (USB-to-serial bridges have none worth reading):
    /// the [`OpenedDevice`]'s `report_descriptor` is empty.
    async fn open_raw(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        let _ = accept;
        Err(unsupported("devices without a report descriptor"))
    }

    /// The version of the USB library, for `driver.version.usb`.
    fn library_version(&self) -> String {
        String::from("unknown")
    }
}
