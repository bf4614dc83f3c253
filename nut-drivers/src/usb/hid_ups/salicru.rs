//! Salicru (vendor 0x2e66): the table of C NUT 2.8.0's "Salicru HID 0.3" subdriver
//! (TWIN PRO2/PRO3, TWIN RT3, SPS HOME).

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, no_fix, plain_model, plain_serial, Claim, ClaimContext, DeviceId, Subdriver,
    Tweaks,
};
use super::table::HidInfo;
use crate::usb::hid::{vendor_usages::SALICRU_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// Salicru's USB vendor id.
pub const SALICRU_VENDOR: u16 = 0x2e66;

static IDS: [DeviceId; 4] = [
    // TWIN PRO2 <= 3 kVA, TWIN PRO3 / TWIN RT3
    (SALICRU_VENDOR, 0x0201, Tweaks::NONE),
    (SALICRU_VENDOR, 0x0202, Tweaks::NONE),
    (SALICRU_VENDOR, 0x0203, Tweaks::NONE),
    // SPS 850 HOME
    (SALICRU_VENDOR, 0x0300, Tweaks::NONE),
];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    claim_by_ids(&IDS, "Salicru", device, ctx)
}

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // battery
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID),
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").rw(10).semi_static(),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::var("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").rw(10).semi_static(),
    HidInfo::var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    HidInfo::var("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f"),
    // ups
    HidInfo::var("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    HidInfo::table("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", &BEEPER),
    HidInfo::table("ups.test.result", "UPS.Output.Test", &TEST_READ),
    HidInfo::var("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    // status
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FullyCharged", &FULLYCHARGED),
    HidInfo::status("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", &TIMELIMITEXPIRED),
    HidInfo::status("UPS.Output.CommunicationLost", &COMMFAULT),
    HidInfo::status("UPS.Output.Boost", &BOOST),
    HidInfo::status("UPS.Output.Overload", &OVERLOAD),
    // input
    HidInfo::var("input.frequency", "UPS.Input.Frequency", "%.1f"),
    HidInfo::var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    HidInfo::var("input.voltage", "UPS.Input.Voltage", "%.1f"),
    // read-only on the unit this was written for
    HidInfo::var("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f").once(),
    HidInfo::var("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f").once(),
    // output
    HidInfo::var("output.frequency", "UPS.Output.Frequency", "%.1f"),
    HidInfo::var("output.voltage", "UPS.Output.Voltage", "%.1f"),
    HidInfo::var("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
    // TWIN PRO2 sensors
    HidInfo::var("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    HidInfo::table("ups.test.result", "UPS.BatterySystem.Battery.Test", &TEST_READ),
    HidInfo::var("ups.realpower.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f"),
    HidInfo::var("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PowerSummary.PresentStatus.OverTemperature", &OVERHEAT),
    HidInfo::var("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.1f"),
    HidInfo::var("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    HidInfo::var("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f"),
    HidInfo::var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    HidInfo::var("output.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    HidInfo::table("ups.test.result", "UPS.BatterySystem.Battery.Test", &TEST_READ),
    // TWIN PRO2 instant commands
    HidInfo::cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
];

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "Salicru".into()))
}

static USAGES: [UsageTable; 2] = [SALICRU_USAGES, HID_USAGES];

/// The Salicru HID subdriver.
pub static SALICRU: Subdriver = Subdriver {
    name: "Salicru HID 0.3",
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
        for product in [0x0201, 0x0202, 0x0203, 0x0300] {
            let d = UsbDeviceInfo::new(SALICRU_VENDOR, product);
            assert_eq!(claim(&d, &ctx), Claim::Yes(Tweaks::NONE));
        }
        let unknown = UsbDeviceInfo::new(SALICRU_VENDOR, 0x0400);
        assert_eq!(claim(&unknown, &ctx), Claim::No);
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        assert!(matches!(claim(&unknown, &given), Claim::Yes(_)));
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0764, 0x0201), &given),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&SALICRU), Vec::<&str>::new());
    }

    #[test]
    fn maker_defaults_to_salicru() {
        let mut d = UsbDeviceInfo::new(SALICRU_VENDOR, 0x0201);
        assert_eq!(format_mfr(&d).as_deref(), Some("Salicru"));
        d.vendor = Some("SALICRU S.A.".into());
        assert_eq!(format_mfr(&d).as_deref(), Some("SALICRU S.A."));
    }

    #[test]
    fn recorded_twin_pro2_maps_its_variables() {
        let Some(desc) = corpus_descriptor("Salicru_SLC-TWIN-PRO2-3kVA") else {
            return;
        };
        let mapped = mapped_vars(&SALICRU, &desc);
        for var in ["battery.charge", "input.voltage", "output.voltage", "BOOL"] {
            assert!(mapped.contains(&var), "{var} not mapped: {mapped:?}");
        }
    }
}
