//! `bcmxcp_usb`'s transport: the BCM/XCP frames over USB, as C NUT 2.8.0's USB
//! communication subdriver (0.27) carries them.
//!
//! The unit is the first one of C's table ([`DEVICES`]); no matching option narrows the
//! choice (C has none). Its interface 0 is claimed and the halt of interrupt endpoint 0x81
//! cleared (when that fails, the device is reset and tried again after five seconds, four
//! times in all). A command frame goes in a control transfer: on Powerware's ids a standard
//! SET_DESCRIPTOR of string 4 (`00 07 0304 0000`), on Phoenixtec's and HP's a vendor request
//! (`42 0d 0000 0000`). The reply comes from interrupt endpoint 0x81 in reads of up to 128
//! bytes, assembled by [`UsbReply`] within five seconds. A command is tried up to five
//! times; one that carries parameters is followed by a two-second pause before its reply is
//! read.

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::{sleep, Instant};

use nut_driver_api::DriverError;

use super::frame::{UsbReply, UsbStep, USB_READ};
use super::XcpLink;
use crate::usb::transport::{
    ControlSetup, HidInterface, HidOpener, HidTransport, UsbDeviceInfo, UsbError,
};
use crate::usb::RusbOpener;

/// The program name.
pub const DRIVER_NAME: &str = "bcmxcp_usb";

/// How a unit of the table takes its commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A standard SET_DESCRIPTOR request (Powerware's ids).
    Powerware,
    /// Vendor request 0x0d (Phoenixtec's and HP's ids).
    Phoenixtec,
}

impl Request {
    /// The setup fields of the control transfer that carries a command frame.
    pub fn setup(self) -> ControlSetup {
        match self {
            // USB_ENDPOINT_OUT, SET_DESCRIPTOR, (USB_DT_STRING << 8) + 4.
            Self::Powerware => ControlSetup::new(0x00, 0x07, 0x0304, 0),
            Self::Phoenixtec => ControlSetup::new(0x42, 0x0d, 0, 0),
        }
    }
}

/// C's table of units: vendor id, product id, how they take commands.
pub const DEVICES: [(u16, u16, Request); 4] = [
    (0x0592, 0x0002, Request::Powerware),
    (0x06da, 0x0002, Request::Phoenixtec),
    // HP T500 and T750.
    (0x03f0, 0x1f01, Request::Phoenixtec),
    (0x03f0, 0x1f02, Request::Phoenixtec),
];

/// The table's entry for a device.
pub fn supported(info: &UsbDeviceInfo) -> Option<Request> {
    DEVICES
        .iter()
        .find(|(v, p, _)| *v == info.vendor_id && *p == info.product_id)
        .map(|(_, _, r)| *r)
}

/// The interrupt IN endpoint.
const ENDPOINT_IN: u8 = 0x81;
/// How long a whole reply may take.
const REPLY_TIMEOUT: Duration = Duration::from_millis(5000);
/// The control transfer's timeout.
const SEND_TIMEOUT: Duration = Duration::from_millis(1000);
/// Sendings of one command.
const TRIES: usize = 5;
/// Openings tried.
const OPEN_TRIES: usize = 4;
/// C's pause between a command with parameters and its reply.
const WRITE_PAUSE: Duration = Duration::from_secs(2);
/// C's wait for a reset device to come back.
const RESET_PAUSE: Duration = Duration::from_secs(5);

/// The USB link of [`Bcmxcp`](super::Bcmxcp).
pub(super) struct UsbLink {
    opener: Box<dyn HidOpener>,
    transport: Option<Box<dyn HidTransport>>,
    request: Request,
    failures: u32,
}

impl UsbLink {
    /// A link on the system's libusb.
    pub(super) fn new() -> Self {
        Self::with_opener(Box::new(RusbOpener::new()))
    }

    /// A link on another USB implementation.
    pub(super) fn with_opener(opener: Box<dyn HidOpener>) -> Self {
        Self {
            opener,
            transport: None,
            request: Request::Powerware,
            failures: 0,
        }
    }

    fn transport(&mut self) -> Result<&mut Box<dyn HidTransport>, DriverError> {
        self.transport
            .as_mut()
            .ok_or_else(|| DriverError::Transport(UsbError::NoDevice.into()))
    }

    /// C's `get_answer`: the reply's data (`Some(empty)` when nothing came in time), `None`
    /// when it is bad.
    async fn answer(&mut self) -> Result<Option<Vec<u8>>, DriverError> {
        let start = Instant::now();
        let mut reply = UsbReply::new();
        loop {
            let elapsed = start.elapsed();
            if elapsed >= REPLY_TIMEOUT {
                break;
            }
            let t = self.transport()?;
            let bytes = match t
                .read_interrupt_from(ENDPOINT_IN, USB_READ, REPLY_TIMEOUT - elapsed)
                .await
            {
                Ok(b) => b,
                Err(e) if e.needs_reconnect() => return Err(DriverError::Transport(e.into())),
                Err(e) => {
                    tracing::trace!("get_answer: {e}");
                    let _ = t.clear_halt(ENDPOINT_IN).await;
                    break;
                }
            };
            if bytes.is_empty() {
                continue;
            }
            tracing::trace!("get_answer: {bytes:02x?}");
            match reply.push(&bytes) {
                UsbStep::Read => {}
                UsbStep::Done(data) => return Ok(Some(data)),
                UsbStep::Failed(e) => {
                    self.comm_fail(&format!("get_answer: {e}"));
                    return Ok(None);
                }
            }
        }
        Ok(Some(reply.partial().to_vec()))
    }

    /// C's `nutusb_comm_fail`, the logging of it.
    fn comm_fail(&mut self, why: &str) {
        self.failures += 1;
        if self.failures == 10 || self.failures % 10 == 0 {
            tracing::warn!("Warning: excessive comm failures, limiting error reporting");
        }
        if self.failures > 10 && self.failures % 10 != 0 {
            return;
        }
        tracing::warn!("Communications with UPS lost: {why}");
    }
}

#[async_trait]
impl XcpLink for UsbLink {
    fn name(&self) -> &'static str {
        DRIVER_NAME
    }

    async fn open(&mut self) -> Result<(), DriverError> {
        self.transport = None;
        let accept = |info: &UsbDeviceInfo| supported(info).map(|_| HidInterface::DEFAULT);
        for _ in 0..OPEN_TRIES {
            let opened = self
                .opener
                .open_raw(&accept)
                .await
                .map_err(|e| DriverError::Transport(e.into()))?;
            let Some(mut opened) = opened else {
                tracing::debug!("Can't open POWERWARE USB device");
                continue;
            };
            tracing::debug!("device {} opened successfully", opened.info.bus);
            match opened.transport.clear_halt(ENDPOINT_IN).await {
                Ok(()) => {
                    self.request = supported(&opened.info).unwrap_or(Request::Powerware);
                    self.transport = Some(opened.transport);
                    return Ok(());
                }
                Err(e) => {
                    tracing::debug!("Can't reset POWERWARE USB endpoint: {e}");
                    let _ = opened.transport.reset().await;
                    drop(opened);
                    sleep(RESET_PAUSE).await;
                }
            }
        }
        Err(DriverError::config(
            "Unable to find POWERWARE UPS device on USB bus (USB): is it connected, and may this \
             user open it? (upsdrvctl -u, or user= in ups.conf)",
        ))
    }

    async fn send(&mut self, frame: &[u8]) -> Result<(), DriverError> {
        let setup = self.request.setup();
        let t = self.transport()?;
        match t.control_out(setup, frame, SEND_TIMEOUT).await {
            Ok(_) => Ok(()),
            Err(e) if e.needs_reconnect() => Err(DriverError::Transport(e.into())),
            // C does not look at the result.
            Err(e) => {
                tracing::debug!("send: {e}");
                Ok(())
            }
        }
    }

    async fn exchange(&mut self, command: &[u8]) -> Result<Option<Vec<u8>>, DriverError> {
        let frame = super::frame::command_frame(command);
        for _ in 0..TRIES {
            tracing::trace!("send_command: {frame:02x?}");
            self.send(&frame).await?;
            if command.len() > 1 {
                sleep(WRITE_PAUSE).await;
            }
            match self.answer().await? {
                Some(data) if !data.is_empty() => {
                    if self.failures > 0 {
                        tracing::info!("Communications with UPS re-established");
                        self.failures = 0;
                    }
                    return Ok(Some(data));
                }
                _ => {}
            }
        }
        self.comm_fail("Error executing command");
        Ok(None)
    }

    fn close(&mut self) {
        self.transport = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_its_requests() {
        let info = |v, p| UsbDeviceInfo::new(v, p);
        assert_eq!(supported(&info(0x0592, 2)), Some(Request::Powerware));
        assert_eq!(supported(&info(0x06da, 2)), Some(Request::Phoenixtec));
        assert_eq!(supported(&info(0x03f0, 0x1f02)), Some(Request::Phoenixtec));
        assert_eq!(supported(&info(0x06da, 3)), None);
        assert_eq!(
            Request::Powerware.setup(),
            ControlSetup::new(0x00, 0x07, 0x0304, 0)
        );
        assert_eq!(
            Request::Phoenixtec.setup(),
            ControlSetup::new(0x42, 0x0d, 0, 0)
        );
    }
}
