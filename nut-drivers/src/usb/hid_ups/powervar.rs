//! Powervar (vendor 0x4234): the table of C NUT 2.8.0's "Powervar HID 0.20" subdriver.
//!
//! C reads these units' HID descriptor and reports on interface 1 (its claim sets the
//! USB layer's `hid_rep_index`); [`POWERVAR_HID_INTERFACE`] records that fact for the
//! transport.

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, no_fix, plain_model, plain_serial, Claim, ClaimContext, DeviceId, Subdriver,
    Tweaks,
};
use super::table::HidInfo;
use crate::usb::hid::{vendor_usages::POWERVAR_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::{HidInterface, UsbDeviceInfo};

/// Powervar's USB vendor id.
pub const POWERVAR_VENDOR: u16 = 0x4234;
/// The USB interface whose HID descriptor and reports C uses for these units.
pub const POWERVAR_HID_INTERFACE: u8 = 1;

static IDS: [DeviceId; 1] = [(POWERVAR_VENDOR, 0x0002, Tweaks::NONE)];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    match claim_by_ids(&IDS, "Powervar", device, ctx) {
        Claim::Yes(tweaks) => Claim::Yes(Tweaks {
            interface: HidInterface {
                number: POWERVAR_HID_INTERFACE,
                endpoint_in: 0x81,
                alt_setting: None,
            },
            ..tweaks
        }),
        Claim::No => Claim::No,
    }
}

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // battery
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID),
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    // C spells it so; usage names match without regard to case
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RuntimeToEmpty", "%.0f"),
    // status
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", &TIMELIMITEXPIRED),
    // "yes"/"no" are no status words: C maps these two bits to nothing
    HidInfo::status("UPS.PowerSummary.PresentStatus.InternalFailure", &YES_NO),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Good", &YES_NO),
    HidInfo::status("UPS.PowerSummary.PresentStatus.OverTemperature", &OVERHEAT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FullyCharged", &FULLYCHARGED),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FullyDischarged", &DEPLETED),
];

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "Powervar".into()))
}

static USAGES: [UsageTable; 2] = [POWERVAR_USAGES, HID_USAGES];

/// The Powervar HID subdriver.
pub static POWERVAR: Subdriver = Subdriver {
    name: "Powervar HID 0.20",
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
            number: POWERVAR_HID_INTERFACE,
            endpoint_in: 0x81,
            alt_setting: None,
        },
        ..Tweaks::NONE
    };
    use crate::usb::hid::{string_to_path, usage_code};
    use crate::usb::hid_ups::table::test_support::unresolved_paths;

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        let d = UsbDeviceInfo::new(POWERVAR_VENDOR, 0x0002);
        assert_eq!(claim(&d, &ctx), Claim::Yes(CLAIMED));
        let unknown = UsbDeviceInfo::new(POWERVAR_VENDOR, 0x0001);
        assert_eq!(claim(&unknown, &ctx), Claim::No);
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        assert!(matches!(claim(&unknown, &given), Claim::Yes(_)));
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0002, 0x4234), &given),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&POWERVAR), Vec::<&str>::new());
        // the odd spelling lands on the standard usage
        assert_eq!(
            string_to_path("UPS.PowerSummary.RuntimeToEmpty", &USAGES),
            string_to_path("UPS.PowerSummary.RunTimeToEmpty", &USAGES)
        );
        assert_eq!(usage_code("POWERVAR1", &USAGES), Some(0xff00_0001));
    }

    #[test]
    fn maker_defaults_to_powervar() {
        let d = UsbDeviceInfo::new(POWERVAR_VENDOR, 0x0002);
        assert_eq!(format_mfr(&d).as_deref(), Some("Powervar"));
    }
}
