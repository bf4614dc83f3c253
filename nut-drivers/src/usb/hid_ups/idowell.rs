//! iDowell (vendor 0x075d): the table of C NUT 2.8.0's "iDowell HID 0.2" subdriver.

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, no_fix, plain_model, plain_serial, Claim, ClaimContext, DeviceId, Subdriver,
    Tweaks,
};
use super::table::HidInfo;
use crate::usb::hid::{vendor_usages::IDOWELL_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// iDowell's USB vendor id.
pub const IDOWELL_VENDOR: u16 = 0x075d;

static IDS: [DeviceId; 1] = [(IDOWELL_VENDOR, 0x0300, Tweaks::NONE)];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    claim_by_ids(&IDS, "iDowell", device, ctx)
}

const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // status
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.CommunicationLost", &COMMFAULT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Good", &OFF),
    HidInfo::status("UPS.PowerSummary.PresentStatus.InternalFailure", &COMMFAULT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
    // battery
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    // read-only
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").once(),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID).once(),
    // ups
    HidInfo::absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    HidInfo::var("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f").once(),
    // input
    HidInfo::var("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f").once(),
    HidInfo::var("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f").once(),
    // output
    HidInfo::var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    HidInfo::var("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", "%.0f").once(),
    HidInfo::var("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f").once(),
    // instant commands
    HidInfo::cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
];

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "iDowell".into()))
}

static USAGES: [UsageTable; 2] = [IDOWELL_USAGES, HID_USAGES];

/// The iDowell HID subdriver.
pub static IDOWELL: Subdriver = Subdriver {
    name: "iDowell HID 0.2",
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
    use crate::usb::hid_ups::table::test_support::{
        corpus_descriptor, mapped_vars, unresolved_paths,
    };

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        let d = UsbDeviceInfo::new(IDOWELL_VENDOR, 0x0300);
        assert_eq!(claim(&d, &ctx), Claim::Yes(Tweaks::NONE));
        let unknown = UsbDeviceInfo::new(IDOWELL_VENDOR, 0x0301);
        assert_eq!(claim(&unknown, &ctx), Claim::No);
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        assert!(matches!(claim(&unknown, &given), Claim::Yes(_)));
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0300, 0x075d), &given),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&IDOWELL), Vec::<&str>::new());
    }

    #[test]
    fn maker_defaults_to_idowell() {
        let d = UsbDeviceInfo::new(IDOWELL_VENDOR, 0x0300);
        assert_eq!(format_mfr(&d).as_deref(), Some("iDowell"));
    }

    #[test]
    fn recorded_smart_battery_maps_its_variables() {
        for unit in ["iDowell_Smart-Battery-270", "iDowell_Smart-Battery-291"] {
            let Some(desc) = corpus_descriptor(unit) else {
                return;
            };
            let mapped = mapped_vars(&IDOWELL, &desc);
            for var in [
                "battery.charge",
                "BOOL",
                "ups.timer.shutdown",
                "load.off.delay",
            ] {
                assert!(
                    mapped.contains(&var),
                    "{unit}: {var} not mapped: {mapped:?}"
                );
            }
        }
    }
}
