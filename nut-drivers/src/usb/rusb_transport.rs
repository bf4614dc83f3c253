//! The real USB transport: libusb-1.0 through `rusb`, linked against the system library
//! (so that the `usb-emu` emulator can stand in for it). Every libusb call runs on tokio's
//! blocking pool, never on a runtime worker.
//!
//! The requests are the ones C NUT's libusb-1.0 layer sends: the HID descriptor and the
//! report descriptor with standard GET_DESCRIPTOR requests to the interface, feature
//! reports with class GET_REPORT/SET_REPORT, and the interrupt-in endpoint 0x81.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusb::{Context, DeviceHandle, UsbContext};

use super::transport::{
    Accept, ControlSetup, HidInterface, HidOpener, HidTransport, OpenedDevice, UsbDeviceInfo,
    UsbError,
};

/// C's timeout for control transfers.
const USB_TIMEOUT: Duration = Duration::from_millis(5000);
/// How often C tries again to read a string descriptor.
const STRING_RETRIES: usize = 3;

fn usb_error(e: rusb::Error) -> UsbError {
    match e {
        rusb::Error::Timeout => UsbError::Timeout,
        rusb::Error::Pipe => UsbError::Pipe,
        rusb::Error::NoDevice => UsbError::NoDevice,
        rusb::Error::Access => UsbError::Access,
        rusb::Error::Io => UsbError::Io,
        rusb::Error::Busy => UsbError::Busy,
        rusb::Error::NotFound => UsbError::NotFound,
        rusb::Error::Overflow => UsbError::Overflow,
        other => UsbError::Other(other.to_string()),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, UsbError> + Send + 'static,
) -> Result<T, UsbError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(UsbError::Other(format!("USB task failed: {e}"))))
}

/// Opens HID devices with libusb.
#[derive(Debug, Default)]
pub struct RusbOpener {
    _private: (),
}

impl RusbOpener {
    /// An opener on the system libusb.
    pub fn new() -> Self {
        Self::default()
    }
}

impl RusbOpener {
    /// Enumerates, takes the first device `accept` takes, claims its interface and, with
    /// `descriptor`, reads its HID report descriptor.
    async fn open_with(
        &mut self,
        accept: &Accept,
        descriptor: bool,
    ) -> Result<Option<OpenedDevice>, UsbError> {
        // Listing and reading strings is quick; the matcher is not 'static, so enumerate
        // here and only move the claimed handle to the blocking pool afterwards.
        let context = blocking(|| Context::new().map_err(usb_error)).await?;
        let candidates = {
            let context = context.clone();
            blocking(move || identify_all(&context)).await?
        };
        for (info, device) in candidates {
            let Some(interface) = accept(&info) else {
                tracing::debug!(device = %info, "device does not match - skipping");
                continue;
            };
            let claimed = blocking(move || {
                let handle = claim(&device, interface)?;
                let report = if descriptor {
                    report_descriptor(&device, &handle, interface.number)?
                } else {
                    Vec::new()
                };
                Ok((handle, report))
            })
            .await;
            match claimed {
                Ok((handle, report_descriptor)) => {
                    return Ok(Some(OpenedDevice {
                        transport: Box::new(RusbTransport {
                            handle: Arc::new(handle),
                            interface,
                            pending: None,
                        }),
                        info,
                        report_descriptor,
                    }))
                }
                Err(e) => tracing::warn!(device = %info, error = %e, "can't claim the device"),
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl HidOpener for RusbOpener {
    async fn open(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        self.open_with(accept, true).await
    }

    async fn open_raw(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        self.open_with(accept, false).await
    }

    fn library_version(&self) -> String {
        let v = rusb::version();
        format!(
            "libusb-{}.{}.{} (API: 0x{:x})",
            v.major(),
            v.minor(),
            v.micro(),
            0x0100_0109
        )
    }
}

type Found = Vec<(UsbDeviceInfo, rusb::Device<Context>)>;

/// Every USB device libusb lists that can be opened, with its strings (what a scanner needs);
/// a device that cannot be opened is left out (logged), it does not end the listing.
/// Blocking: run it on a blocking thread.
pub fn list_devices() -> Result<Vec<UsbDeviceInfo>, UsbError> {
    let context = Context::new().map_err(usb_error)?;
    Ok(identify_all(&context)?
        .into_iter()
        .map(|(info, _)| info)
        .collect())
}

fn identify_all(context: &Context) -> Result<Found, UsbError> {
    let mut found = Vec::new();
    for device in context.devices().map_err(usb_error)?.iter() {
        let Ok(desc) = device.device_descriptor() else {
            continue;
        };
        let handle = match device.open() {
            Ok(h) => h,
            Err(e) => {
                tracing::debug!(
                    "Failed to open device ({:04X}/{:04X}), skipping: {e}",
                    desc.vendor_id(),
                    desc.product_id()
                );
                continue;
            }
        };
        let read = |index: Option<u8>| -> Option<String> {
            let index = index?;
            (0..STRING_RETRIES).find_map(|_| handle.read_string_descriptor_ascii(index).ok())
        };
        let version = desc.device_version();
        let bcd = (u16::from(version.major()) << 8)
            | (u16::from(version.minor()) << 4)
            | u16::from(version.sub_minor());
        let ports = device.port_numbers().unwrap_or_default();
        let info = UsbDeviceInfo {
            vendor_id: desc.vendor_id(),
            product_id: desc.product_id(),
            bcd_device: bcd,
            vendor: read(desc.manufacturer_string_index()),
            product: read(desc.product_string_index()),
            serial: read(desc.serial_number_string_index()),
            bus: format!("{:03}", device.bus_number()),
            device: Some(format!("{:03}", device.address())),
            bus_port: (!ports.is_empty()).then(|| {
                ports
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(".")
            }),
        };
        tracing::debug!(
            "Checking device ({:04X}/{:04X}): {}",
            info.vendor_id,
            info.product_id,
            info
        );
        drop(handle);
        found.push((info, device));
    }
    Ok(found)
}

/// Opens the device and claims the interface (detaching a kernel driver, as C does), then
/// selects the alternate setting when one is asked for.
fn claim(
    device: &rusb::Device<Context>,
    interface: HidInterface,
) -> Result<DeviceHandle<Context>, UsbError> {
    let number = interface.number;
    let handle = device.open().map_err(usb_error)?;
    if handle.kernel_driver_active(number).unwrap_or(false) {
        let _ = handle.set_auto_detach_kernel_driver(true);
    }
    let mut tries = 0;
    while let Err(e) = handle.claim_interface(number) {
        let _ = handle.detach_kernel_driver(number);
        tries += 1;
        if tries > STRING_RETRIES {
            return Err(usb_error(e));
        }
    }
    if let Some(alt) = interface.alt_setting {
        if let Err(e) = handle.set_alternate_setting(number, alt) {
            tracing::warn!("libusb_set_interface_alt_setting(udev, {number}, {alt}) failed: {e}");
        }
    }
    Ok(handle)
}

/// Reads the HID report descriptor of a claimed interface: its length from the HID class
/// descriptor (asked for, or else found in the configuration descriptor).
fn report_descriptor(
    device: &rusb::Device<Context>,
    handle: &DeviceHandle<Context>,
    number: u8,
) -> Result<Vec<u8>, UsbError> {
    // The HID class descriptor says how long the report descriptor is.
    let request_in = rusb::request_type(
        rusb::Direction::In,
        rusb::RequestType::Standard,
        rusb::Recipient::Interface,
    );
    let mut hid = [0u8; 9];
    let mut len = match handle.read_control(
        request_in,
        0x06,
        0x21 << 8,
        u16::from(number),
        &mut hid,
        USB_TIMEOUT,
    ) {
        Ok(n) if n >= 9 => usize::from(u16::from_le_bytes([hid[7], hid[8]])),
        _ => 0,
    };
    if len == 0 {
        // Fall back on the class descriptor in the configuration descriptor.
        let config = device.config_descriptor(0).map_err(usb_error)?;
        len = config
            .interfaces()
            .flat_map(|i| i.descriptors().collect::<Vec<_>>())
            .find(|d| d.interface_number() == number)
            .and_then(|d| {
                let extra = d.extra();
                (extra.len() >= 9 && extra[1] == 0x21)
                    .then(|| usize::from(u16::from_le_bytes([extra[7], extra[8]])))
            })
            .unwrap_or(0);
    }
    if len == 0 {
        return Err(UsbError::Other(
            "unable to retrieve any HID descriptor".into(),
        ));
    }
    let mut report = vec![0u8; len];
    let n = handle
        .read_control(
            request_in,
            0x06,
            0x22 << 8,
            u16::from(number),
            &mut report,
            USB_TIMEOUT,
        )
        .map_err(usb_error)?;
    report.truncate(n);
    Ok(report)
}

type Pending = tokio::task::JoinHandle<Result<Vec<u8>, UsbError>>;

/// An open, claimed HID device.
struct RusbTransport {
    handle: Arc<DeviceHandle<Context>>,
    interface: HidInterface,
    /// An interrupt read still running on the blocking pool: kept across cancelled
    /// `interrupt_read` calls, so that a report it brings is not lost.
    pending: Option<Pending>,
}

#[async_trait]
impl HidTransport for RusbTransport {
    async fn get_report(&mut self, id: u8, len: usize) -> Result<Vec<u8>, UsbError> {
        let handle = Arc::clone(&self.handle);
        let index = u16::from(self.interface.number);
        blocking(move || {
            let mut buf = vec![0u8; len];
            let request = rusb::request_type(
                rusb::Direction::In,
                rusb::RequestType::Class,
                rusb::Recipient::Interface,
            );
            let n = handle
                .read_control(
                    request,
                    0x01,
                    (0x03 << 8) | u16::from(id),
                    index,
                    &mut buf,
                    USB_TIMEOUT,
                )
                .map_err(usb_error)?;
            buf.truncate(n);
            Ok(buf)
        })
        .await
    }

    async fn set_report(&mut self, id: u8, data: &[u8]) -> Result<usize, UsbError> {
        let handle = Arc::clone(&self.handle);
        let index = u16::from(self.interface.number);
        let data = data.to_vec();
        blocking(move || {
            let request = rusb::request_type(
                rusb::Direction::Out,
                rusb::RequestType::Class,
                rusb::Recipient::Interface,
            );
            handle
                .write_control(
                    request,
                    0x09,
                    (0x03 << 8) | u16::from(id),
                    index,
                    &data,
                    USB_TIMEOUT,
                )
                .map_err(usb_error)
        })
        .await
    }

    async fn get_string(&mut self, index: u8) -> Result<String, UsbError> {
        let handle = Arc::clone(&self.handle);
        blocking(move || {
            handle
                .read_string_descriptor_ascii(index)
                .map_err(usb_error)
        })
        .await
    }

    async fn interrupt_read(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        if self.pending.is_none() {
            let handle = Arc::clone(&self.handle);
            let endpoint = self.interface.endpoint_in;
            self.pending = Some(tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; len];
                match handle.read_interrupt(endpoint, &mut buf, timeout) {
                    Ok(n) => {
                        buf.truncate(n);
                        Ok(buf)
                    }
                    Err(rusb::Error::Pipe) => {
                        let _ = handle.clear_halt(endpoint);
                        Err(UsbError::Pipe)
                    }
                    Err(e) => Err(usb_error(e)),
                }
            }));
        }
        let Some(pending) = self.pending.as_mut() else {
            return Err(UsbError::Other("no interrupt read".into()));
        };
        // Awaiting through `&mut` keeps the task when this future is dropped.
        let result = pending.await;
        self.pending = None;
        result.unwrap_or_else(|e| Err(UsbError::Other(format!("USB task failed: {e}"))))
    }

    async fn control_in(
        &mut self,
        setup: ControlSetup,
        len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let handle = Arc::clone(&self.handle);
        blocking(move || {
            let mut buf = vec![0u8; len];
            let n = handle
                .read_control(
                    setup.request_type,
                    setup.request,
                    setup.value,
                    setup.index,
                    &mut buf,
                    timeout,
                )
                .map_err(usb_error)?;
            buf.truncate(n);
            Ok(buf)
        })
        .await
    }

    async fn control_out(
        &mut self,
        setup: ControlSetup,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        let handle = Arc::clone(&self.handle);
        let data = data.to_vec();
        blocking(move || {
            handle
                .write_control(
                    setup.request_type,
                    setup.request,
                    setup.value,
                    setup.index,
                    &data,
                    timeout,
                )
                .map_err(usb_error)
        })
        .await
    }

    async fn read_interrupt_from(
        &mut self,
        endpoint: u8,
        len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let handle = Arc::clone(&self.handle);
        blocking(move || {
            let mut buf = vec![0u8; len];
            let n = handle
                .read_interrupt(endpoint, &mut buf, timeout)
                .map_err(usb_error)?;
            buf.truncate(n);
            Ok(buf)
        })
        .await
    }

    async fn write_interrupt(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        let handle = Arc::clone(&self.handle);
        let data = data.to_vec();
        blocking(move || {
            handle
                .write_interrupt(endpoint, &data, timeout)
                .map_err(usb_error)
        })
        .await
    }

    async fn string_descriptor(
        &mut self,
        index: u8,
        langid: u16,
        len: usize,
    ) -> Result<Vec<u8>, UsbError> {
        // libusb_get_string_descriptor: a standard GET_DESCRIPTOR to the device.
        // libusb's own timeout for it is one second.
        let setup = ControlSetup::new(0x80, 0x06, (0x03 << 8) | u16::from(index), langid);
        self.control_in(setup, len, Duration::from_secs(1)).await
    }

    async fn clear_halt(&mut self, endpoint: u8) -> Result<(), UsbError> {
        let handle = Arc::clone(&self.handle);
        blocking(move || handle.clear_halt(endpoint).map_err(usb_error)).await
    }

    async fn reset(&mut self) -> Result<(), UsbError> {
        let handle = Arc::clone(&self.handle);
        blocking(move || handle.reset().map_err(usb_error)).await
    }
}
