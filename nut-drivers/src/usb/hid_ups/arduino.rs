//! Arduino boards running a HID power device sketch (vendors 0x2341 and 0x2a03): the
//! table of C NUT 2.8.0's "Arduino HID 0.2" subdriver.
//!
//! C reads these boards on interface 2 with interrupt endpoints 4 (in) and 5 (out): its
//! claim sets the USB layer's `hid_rep_index`, `hid_ep_in` and `hid_ep_out`.
//! [`ARDUINO_HID_INTERFACE`] and [`ARDUINO_ENDPOINTS`] record those facts for the
//! transport.

use super::subdriver::{
    claim_by_ids, no_fix, plain_model, plain_serial, Claim, ClaimContext, DeviceId, Subdriver,
    Tweaks,
};
use super::table::HidInfo;
use crate::usb::hid::{vendor_usages::ARDUINO_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::{HidInterface, UsbDeviceInfo};

/// Arduino's USB vendor id.
pub const ARDUINO_VENDOR: u16 = 0x2341;
/// Arduino's second USB vendor id (arduino.org boards).
pub const ARDUINO_VENDOR2: u16 = 0x2a03;
/// The USB interface whose HID descriptor and reports C uses for these boards.
pub const ARDUINO_HID_INTERFACE: u8 = 2;
/// The interrupt endpoint numbers (in, out) C uses for these boards.
pub const ARDUINO_ENDPOINTS: (u8, u8) = (4, 5);

static IDS: [DeviceId; 6] = [
    // Leonardo, Leonardo ETH, Pro Micro
    (ARDUINO_VENDOR, 0x0036, Tweaks::NONE),
    (ARDUINO_VENDOR, 0x8036, Tweaks::NONE),
    (ARDUINO_VENDOR2, 0x0036, Tweaks::NONE),
    (ARDUINO_VENDOR2, 0x8036, Tweaks::NONE),
    (ARDUINO_VENDOR2, 0x0040, Tweaks::NONE),
    (ARDUINO_VENDOR2, 0x8040, Tweaks::NONE),
];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    match claim_by_ids(&IDS, "Arduino", device, ctx) {
        Claim::Yes(tweaks) => Claim::Yes(Tweaks {
            interface: HidInterface {
                number: ARDUINO_HID_INTERFACE,
                endpoint_in: 0x80 | ARDUINO_ENDPOINTS.0,
                alt_setting: None,
            },
            ..tweaks
        }),
        Claim::No => Claim::No,
    }
}

const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    HidInfo::absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f").quick(),
    HidInfo::cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10"),
];

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "Arduino".into()))
}

static USAGES: [UsageTable; 2] = [ARDUINO_USAGES, HID_USAGES];

/// The Arduino HID subdriver.
pub static ARDUINO: Subdriver = Subdriver {
    name: "Arduino HID 0.2",
    claim,
    usages: &USAGES,
    table: TABLE,
    format_model: plain_model,
    format_mfr,
    format_serial: plain_serial,
    fix_report_desc: no_fix,
};

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIMED: Tweaks = Tweaks {
        interface: HidInterface {
            number: ARDUINO_HID_INTERFACE,
            endpoint_in: 0x80 | ARDUINO_ENDPOINTS.0,
            alt_setting: None,
        },
        ..Tweaks::NONE
    };
    use crate::usb::hid_ups::table::test_support::unresolved_paths;

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        for (v, p) in IDS.iter().map(|(v, p, _)| (*v, *p)) {
            assert_eq!(claim(&UsbDeviceInfo::new(v, p), &ctx), Claim::Yes(CLAIMED));
        }
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        for vendor in [ARDUINO_VENDOR, ARDUINO_VENDOR2] {
            let unknown = UsbDeviceInfo::new(vendor, 0x0043);
            assert_eq!(claim(&unknown, &ctx), Claim::No);
            assert!(matches!(claim(&unknown, &given), Claim::Yes(_)));
        }
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x2e8a, 0x103a), &given),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&ARDUINO), Vec::<&str>::new());
    }

    #[test]
    fn maker_defaults_to_arduino() {
        let d = UsbDeviceInfo::new(ARDUINO_VENDOR, 0x8036);
        assert_eq!(format_mfr(&d).as_deref(), Some("Arduino"));
    }
}
