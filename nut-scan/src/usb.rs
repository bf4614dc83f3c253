//! USB devices (C's `-U`): every device on the USB buses that one of nut-drivers' USB
//! drivers claims (`usbhid-ups` by its subdrivers' ids, `nutdrv_qx` by its table of
//! USB-to-serial bridges), with the options C's scanner writes for it.

use nut_drivers::bcmxcp::usb::DEVICES as BCMXCP_DEVICES;
use nut_drivers::qx::usb::{bridge_in, DEVICES};
use nut_drivers::riello::usb::supported as riello_supported;
use nut_drivers::tripplite_usb::{PRODUCT_ID as TRIPPLITE_PRODUCT, VENDOR_ID as TRIPPLITE_VENDOR};
use nut_drivers::usb::hid_ups::subdriver::{Claim, ClaimContext};
use nut_drivers::usb::hid_ups::SUBDRIVERS;
use nut_drivers::usb::transport::{UsbDeviceInfo, UsbError};

use crate::{Bus, Finding};

/// The driver of ours that takes `device`, if one does: `tripplite_usb` for Tripp Lite's
/// older protocol (09ae:0001), `bcmxcp_usb` for the ids of its table but Phoenixtec's
/// (06da:0002, which C's scanner gives to `nutdrv_qx`), `riello_usb` for Riello's bridge
/// (04b4:5500), `usbhid-ups` when a subdriver
/// claims its ids, `nutdrv_qx` when its bridge table lists them.
pub fn driver_for(device: &UsbDeviceInfo) -> Option<&'static str> {
    let ids = (device.vendor_id, device.product_id);
    if ids == (TRIPPLITE_VENDOR, TRIPPLITE_PRODUCT) {
        return Some("tripplite_usb");
    }
    if ids != (0x06da, 0x0002) && BCMXCP_DEVICES.iter().any(|(v, p, _)| (*v, *p) == ids) {
        return Some("bcmxcp_usb");
    }
    if riello_supported(device) {
        return Some("riello_usb");
    }
    let ctx = ClaimContext::default();
    if SUBDRIVERS
        .iter()
        .any(|s| matches!((s.claim)(device, &ctx), Claim::Yes(_)))
    {
        return Some("usbhid-ups");
    }
    bridge_in(&DEVICES, device).map(|_| "nutdrv_qx")
}

/// C's `str_rtrim(s, ' ')`.
fn rtrim(s: &str) -> String {
    s.trim_end_matches(' ').to_owned()
}

/// The finding for `device` taken by `driver`, with C's options in C's order.
pub fn finding(device: &UsbDeviceInfo, driver: &str) -> Finding {
    let mut f = Finding::new(Bus::Usb, driver, "auto")
        .with_option("vendorid", format!("{:04X}", device.vendor_id))
        .with_option("productid", format!("{:04X}", device.product_id));
    for (name, value) in [
        ("product", &device.product),
        ("serial", &device.serial),
        ("vendor", &device.vendor),
    ] {
        if let Some(v) = value {
            f = f.with_option(name, rtrim(v));
        }
    }
    f.description = device.product.as_deref().map(rtrim);
    f.with_option("bus", device.bus.clone())
}

/// Every claimed device, in libusb's order. A device that cannot be opened is skipped; only
/// a libusb that cannot start at all is an error.
pub async fn scan() -> Result<Vec<Finding>, UsbError> {
    let devices = tokio::task::spawn_blocking(nut_drivers::usb::list_devices)
        .await
        .map_err(|e| UsbError::Other(format!("USB scan task failed: {e}")))??;
    Ok(devices
        .iter()
        .filter_map(|d| driver_for(d).map(|driver| finding(d, driver)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C's scanner table is the one Debian's udev rules are made from: each rule names the
    /// ids and the driver. Ours must give the same driver for every id of a driver we have.
    #[test]
    fn the_drivers_are_c_s_for_every_id_we_claim() {
        let Ok(rules) = std::fs::read_to_string("/lib/udev/rules.d/62-nut-usbups.rules") else {
            eprintln!("note: no C NUT udev rules here; skipping");
            return;
        };
        let mut comment = "";
        let mut checked = 0;
        for line in rules.lines() {
            if line.starts_with('#') {
                comment = line;
                continue;
            }
            let Some(rest) = line.strip_prefix("ATTR{idVendor}==\"") else {
                continue;
            };
            let vendor = u16::from_str_radix(&rest[..4], 16).unwrap();
            let product_at = rest.find("ATTR{idProduct}==\"").unwrap() + 18;
            let product = u16::from_str_radix(&rest[product_at..product_at + 4], 16).unwrap();
            let c_driver = comment.rsplit(" - ").next().unwrap();
            if ![
                "usbhid-ups",
                "nutdrv_qx",
                "tripplite_usb",
                "bcmxcp_usb",
                "riello_usb",
            ]
            .contains(&c_driver)
            {
                continue;
            }
            let ours = driver_for(&UsbDeviceInfo::new(vendor, product));
            assert_eq!(
                ours,
                Some(c_driver),
                "{vendor:04x}:{product:04x} ({comment})"
            );
            checked += 1;
        }
        assert!(checked > 100, "{checked}");
    }
}
