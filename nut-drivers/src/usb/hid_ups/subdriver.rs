//! What a subdriver is: a vendor's claim on USB ids, its usage names, its table, how it
//! writes the model, maker and serial, and its fix-ups of broken report descriptors.

use nut_driver_api::DeviceState;

use super::table::HidInfo;
use crate::usb::hid::{Field, ReportDescriptor, UsageTable};
use crate::usb::transport::{HidInterface, UsbDeviceInfo};

/// Device-specific workarounds a claim switches on (C's `usb_device_id_t` handlers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tweaks {
    /// Ask for feature reports with C's "maximum" buffer (APC Back-UPS firmware that
    /// reports wrong sizes; the `maxreport` option).
    pub max_report: bool,
    /// Do not read the interrupt pipe (the `pollonly` option).
    pub no_interrupt: bool,
    /// Read values from the interrupt pipe only, never with GET_REPORT (the
    /// `interruptonly` option).
    pub interrupt_only: bool,
    /// Bytes to ask for on the interrupt pipe, unless the `interruptsize` option says.
    pub interrupt_size: Option<usize>,
    /// The USB interface of the HID reports (interface 0 and endpoint 0x81 for nearly
    /// every UPS; some boards put the HID function on another interface).
    pub interface: HidInterface,
}

impl Tweaks {
    /// No workaround.
    pub const NONE: Self = Self {
        max_report: false,
        no_interrupt: false,
        interrupt_only: false,
        interrupt_size: None,
        interface: HidInterface::DEFAULT,
    };
}

/// What a subdriver says of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Not this subdriver's.
    No,
    /// Supported, with these workarounds.
    Yes(Tweaks),
}

/// The context of a claim: what the user asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClaimContext {
    /// The `productid` option was given: a known vendor's unknown product is taken.
    pub productid_given: bool,
    /// The `explore` flag was given: the explore subdriver takes any device.
    pub explore: bool,
}

/// A subdriver (C's `subdriver_t`).
#[derive(Clone, Copy)]
pub struct Subdriver {
    /// Its name and version, published as `driver.version.data` (`APC HID 0.98`).
    pub name: &'static str,
    /// Whether it takes a device.
    pub claim: fn(&UsbDeviceInfo, &ClaimContext) -> Claim,
    /// Its usage names, searched in order.
    pub usages: &'static [UsageTable],
    /// Its table.
    pub table: &'static [HidInfo],
    /// `ups.model` (may publish more, such as `ups.firmware`).
    pub format_model: fn(&UsbDeviceInfo, &mut DeviceState) -> Option<String>,
    /// `ups.mfr`.
    pub format_mfr: fn(&UsbDeviceInfo) -> Option<String>,
    /// `ups.serial`.
    pub format_serial: fn(&UsbDeviceInfo) -> Option<String>,
    /// Repairs a broken report descriptor; returns whether it changed anything.
    pub fix_report_desc: fn(&UsbDeviceInfo, &mut ReportDescriptor) -> bool,
}

impl std::fmt::Debug for Subdriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subdriver")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One entry of a vendor's list of USB ids: the product, and the workarounds it needs.
pub type DeviceId = (u16, u16, Tweaks);

/// Whether `device` is in `ids` (C's `is_usb_device_supported`): `Some(tweaks)` when the
/// product is listed; otherwise, when the vendor is known, what the user said decides
/// (C prints a "possibly supported" note and declines unless `productid` was given).
pub fn claim_by_ids(
    ids: &[DeviceId],
    vendor_label: &str,
    device: &UsbDeviceInfo,
    ctx: &ClaimContext,
) -> Claim {
    let mut known_vendor = false;
    for (vendor, product, tweaks) in ids {
        if *vendor != device.vendor_id {
            continue;
        }
        known_vendor = true;
        if *product == device.product_id {
            return Claim::Yes(*tweaks);
        }
    }
    if known_vendor {
        if ctx.productid_given {
            return Claim::Yes(Tweaks::default());
        }
        possibly_supported(vendor_label, device);
    }
    Claim::No
}

/// C's note for a known vendor's unknown product.
pub fn possibly_supported(vendor_label: &str, device: &UsbDeviceInfo) {
    tracing::warn!(
        "This {vendor_label} device ({:04x}:{:04x}) is not (or perhaps not yet) supported by \
         usbhid-ups. Make sure you have an up-to-date version; if that does not help, try \
         the driver with the '-x productid={:04x}' option and report the results.",
        device.vendor_id,
        device.product_id,
        device.product_id
    );
}

/// The default formatting: the USB strings as they are.
pub fn plain_model(device: &UsbDeviceInfo, _: &mut DeviceState) -> Option<String> {
    device.product.clone()
}

/// The default maker: the USB manufacturer string.
pub fn plain_mfr(device: &UsbDeviceInfo) -> Option<String> {
    device.vendor.clone()
}

/// The default serial: the USB serial string.
pub fn plain_serial(device: &UsbDeviceInfo) -> Option<String> {
    device.serial.clone()
}

/// No fix-up.
pub fn no_fix(_: &UsbDeviceInfo, _: &mut ReportDescriptor) -> bool {
    false
}

/// The first field of report `id` whose path ends with usage `node` (C's
/// `FindObject_with_ID_Node`), for fix-ups.
pub fn find_by_id_node(desc: &mut ReportDescriptor, id: u8, node: u32) -> Option<&mut Field> {
    desc.fields
        .iter_mut()
        .find(|f| f.report_id == id && f.path.last() == Some(&node))
}
