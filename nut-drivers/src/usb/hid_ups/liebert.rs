//! Phoenixtec (vendor 0x06da), sold as Liebert and others. The table follows C NUT
//! 2.8.0's "Phoenixtec/Liebert HID 0.41" subdriver. (The Liebert units with vendor id
//! 0x10af are the Belkin subdriver's.)

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, no_fix, plain_serial, Claim, ClaimContext, DeviceId, Subdriver, Tweaks,
};
use super::table::HidInfo;
use crate::usb::hid::{vendor_usages::LIEBERT_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;
use nut_driver_api::DeviceState;

/// Phoenixtec's USB vendor id.
pub const LIEBERT_VENDOR: u16 = 0x06da;

static IDS: [DeviceId; 1] = [(LIEBERT_VENDOR, 0xffff, Tweaks::NONE)];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    claim_by_ids(&IDS, "Liebert", device, ctx)
}

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    HidInfo::var("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f"),
    HidInfo::var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.2f").once(),
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID),
    HidInfo::var("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    HidInfo::var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    HidInfo::var("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.2f"),
    HidInfo::var("output.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f").semi_static(),
    HidInfo::var("output.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f").semi_static(),
    HidInfo::var("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    HidInfo::var("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.2f"),
    // Vendor usages without a name: written as hex.
    HidInfo::var("input.transfer.low", "UPS.PowerConverter.Output.ffff0057", "%.0f").semi_static(),
    HidInfo::var("input.transfer.high", "UPS.PowerConverter.Output.ffff0058", "%.0f").semi_static(),
    HidInfo::var("input.frequency.transfer.low", "UPS.PowerConverter.Output.ffff00f9", "%.0f").semi_static(),
    HidInfo::var("input.frequency.transfer.high", "UPS.PowerConverter.Output.ffff00f8", "%.0f").semi_static(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
];

fn format_model(device: &UsbDeviceInfo, _: &mut DeviceState) -> Option<String> {
    device.product.clone()
}

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "Liebert".into()))
}

static USAGES: [UsageTable; 2] = [LIEBERT_USAGES, HID_USAGES];

/// The Phoenixtec/Liebert subdriver.
pub static LIEBERT: Subdriver = Subdriver {
    name: "Phoenixtec/Liebert HID 0.41",
    claim,
    usages: &USAGES,
    table: TABLE,
    format_model,
    format_mfr,
    format_serial: plain_serial,
    fix_report_desc: no_fix,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::hid::string_to_path;
    use crate::usb::hid_ups::table::test_support::{corpus_descriptor, unresolved_paths};

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        let d = UsbDeviceInfo::new(LIEBERT_VENDOR, 0xffff);
        assert_eq!(claim(&d, &ctx), Claim::Yes(Tweaks::NONE));
        let d = UsbDeviceInfo::new(LIEBERT_VENDOR, 0x0003);
        assert_eq!(claim(&d, &ctx), Claim::No);
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        assert_eq!(claim(&d, &given), Claim::Yes(Tweaks::NONE));
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x10af, 0x0000), &given),
            Claim::No
        );
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0463, 0xffff), &given),
            Claim::No
        );
    }

    #[test]
    fn strings() {
        let mut d = UsbDeviceInfo::new(LIEBERT_VENDOR, 0xffff);
        let mut state = DeviceState::new();
        assert_eq!(format_mfr(&d).as_deref(), Some("Liebert"));
        assert_eq!(format_model(&d, &mut state), None);
        d.vendor = Some("PPC".into());
        d.product = Some("Offline UPS".into());
        assert_eq!(format_mfr(&d).as_deref(), Some("PPC"));
        assert_eq!(format_model(&d, &mut state).as_deref(), Some("Offline UPS"));
    }

    #[test]
    fn paths_resolve() {
        assert!(
            unresolved_paths(&LIEBERT).is_empty(),
            "{:?}",
            unresolved_paths(&LIEBERT)
        );
        assert_eq!(
            string_to_path("UPS.PowerConverter.Output.ffff00f9", LIEBERT.usages),
            Some(vec![0x0084_0004, 0x0084_0016, 0x0084_001c, 0xffff_00f9])
        );
    }

    #[test]
    fn corpus_unit() {
        // A PowerWalker VI 1200 SHL (06da:ffff, "Offline UPS").
        let Some(mut desc) = corpus_descriptor("PowerWalker_VI-1200-SHL") else {
            return;
        };
        let d = UsbDeviceInfo::new(LIEBERT_VENDOR, 0xffff);
        let before = desc.clone();
        assert!(!(LIEBERT.fix_report_desc)(&d, &mut desc));
        assert_eq!(desc, before);
        let mapped = TABLE
            .iter()
            .filter(|item| {
                string_to_path(item.path, LIEBERT.usages)
                    .is_some_and(|p| desc.find(&p, None).is_some())
            })
            .count();
        assert!(mapped >= 5, "only {mapped} lines map");
    }
}
