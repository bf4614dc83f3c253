//! CyberPower (vendor 0x0764): the table of C NUT 2.8.0's "CyberPower HID 0.6"
//! subdriver, with its battery charge clamp, the 2/3 battery voltage scale some 0501
//! units need, and the report descriptor fix-up for their output voltage limits.

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, find_by_id_node, plain_serial, Claim, ClaimContext, DeviceId, Subdriver, Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup};
use crate::usb::hid::{vendor_usages::CPS_USAGES, ReportDescriptor, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// CyberPower's USB vendor id.
pub const CPS_VENDOR: u16 = 0x0764;

/// The product whose battery voltage may read 1.5 times too high, and whose report
/// descriptor may need the fix-up.
const SCALED_PRODUCT: u16 = 0x0501;

static IDS: [DeviceId; 3] = [
    // 900AVR, BC900D
    (CPS_VENDOR, 0x0005, Tweaks::NONE),
    // CP1200AVR, CP1000PFCLCD, CP1500C, … (battery voltage checked for scaling)
    (CPS_VENDOR, SCALED_PRODUCT, Tweaks::NONE),
    // OR2200LCDRM2U, OR700LCDRM1U, PR6000LCDRTXL5U
    (CPS_VENDOR, 0x0601, Tweaks::NONE),
];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    claim_by_ids(&IDS, "CyberPower", device, ctx)
}

/// A battery voltage this many times the nominal one means the readings are 1.5 too high.
const SANITY_RATIO: f64 = 1.4;
/// Scratch key: the battery voltage scale, once decided.
const SCALE_KEY: &str = "cps.battery_scale";

/// Whether the published USB ids are those of the product that may need scaling (C
/// decides this in the claim handler of that id).
fn may_need_scale(state: &nut_driver_api::DeviceState) -> bool {
    let id = |name: &str| {
        state
            .value(name)
            .and_then(|v| u16::from_str_radix(v, 16).ok())
    };
    id("ups.vendorid") == Some(CPS_VENDOR) && id("ups.productid") == Some(SCALED_PRODUCT)
}

/// The battery voltage scale: 2/3 when the first reading is well above the nominal
/// voltage (decided once, when the nominal voltage is known), else 1.
fn battery_scale(ctx: &mut ConvContext<'_>, volts: f64) -> f64 {
    if let Some(scale) = ctx.scratch.get(SCALE_KEY) {
        return *scale;
    }
    if !may_need_scale(ctx.state) {
        return 1.0;
    }
    let Some(nominal) = ctx.state.value("battery.voltage.nominal").map(c_strtod) else {
        tracing::debug!("battery.voltage.nominal not available yet: no scale decided");
        return 1.0;
    };
    if nominal == 0.0 {
        tracing::debug!("battery.voltage.nominal is 0: no scale decided");
        return 1.0;
    }
    let scale = if volts / nominal > SANITY_RATIO {
        tracing::info!("battery readings will be scaled by 2/3");
        2.0 / 3.0
    } else {
        1.0
    };
    ctx.scratch.insert(SCALE_KEY, scale);
    scale
}

/// The battery voltage, scaled when the unit needs it.
fn battvolt_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let scale = battery_scale(ctx, value);
    tracing::trace!("battery scale = {scale:.3}");
    Some(c_buffer(format!("{:.1}", scale * value), 8))
}

const BATTVOLT: Lookup = Lookup::Fun {
    to_nut: battvolt_to_nut,
    to_hid: None,
};

/// The battery charge, never above 100 %.
fn battcharge_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(c_buffer(format!("{:.0}", value.min(100.0)), 8))
}

const BATTCHARGE: Lookup = Lookup::Fun {
    to_nut: battcharge_to_nut,
    to_hid: None,
};

const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // battery
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID),
    HidInfo::lookup("battery.mfr.date", "UPS.PowerSummary.iOEMInformation", STRING_ID),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").rw(10).semi_static(),
    HidInfo::lookup("battery.charge", "UPS.PowerSummary.RemainingCapacity", BATTCHARGE),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::var("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").rw(10).semi_static(),
    HidInfo::var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    HidInfo::lookup("battery.voltage", "UPS.PowerSummary.Voltage", BATTVOLT),
    // ups
    HidInfo::var("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    HidInfo::table("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", &BEEPER),
    HidInfo::table("ups.test.result", "UPS.Output.Test", &TEST_READ),
    HidInfo::var("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    HidInfo::absent("ups.delay.start", "UPS.Output.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f").quick(),
    // status
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FullyCharged", &FULLYCHARGED),
    HidInfo::status("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", &TIMELIMITEXPIRED),
    HidInfo::status("UPS.Output.Boost", &BOOST),
    HidInfo::status("UPS.Output.Overload", &OVERLOAD),
    // input
    HidInfo::var("input.frequency", "UPS.Input.Frequency", "%.1f"),
    HidInfo::var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    HidInfo::var("input.voltage", "UPS.Input.Voltage", "%.1f"),
    HidInfo::var("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f").rw(10).semi_static(),
    HidInfo::var("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f").rw(10).semi_static(),
    // output
    HidInfo::var("output.frequency", "UPS.Output.Frequency", "%.1f"),
    HidInfo::var("output.voltage", "UPS.Output.Voltage", "%.1f"),
    HidInfo::var("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
    // instant commands
    HidInfo::cmd("test.battery.start.quick", "UPS.Output.Test", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.Output.Test", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.Output.Test", "3"),
    HidInfo::cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10"),
    HidInfo::cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    HidInfo::cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

fn format_model(device: &UsbDeviceInfo, _: &mut nut_driver_api::DeviceState) -> Option<String> {
    device.product.clone()
}

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "CPS".into()))
}

/// Usage ids of the Power Device page the fix-up looks at.
const USAGE_VOLTAGE: u32 = 0x0084_0030;
const USAGE_HIGH_VOLTAGE_TRANSFER: u32 = 0x0084_0054;
/// Report ids of the input voltage, high transfer voltage and output voltage.
const INPUT_VOLTAGE_REPORT: u8 = 15;
const HVT_REPORT: u8 = 16;
const OUTPUT_VOLTAGE_REPORT: u8 = 18;
/// The logical range the fix-up gives the voltages (with a safety margin).
const VOLTAGE_LOGICAL: (i64, i64) = (0, 511);

/// Some 0501 units (CP900EPFCLCD, …) give the output voltage the logical limits of the
/// high transfer voltage, and EU units a wrong input voltage maximum: when the first is
/// seen, both voltages get the range 0–511.
///
/// C 2.8.0 logs that it sets the input voltage range but leaves it unchanged (fixed
/// upstream later); this sets it, as the log says.
fn fix_report_desc(device: &UsbDeviceInfo, desc: &mut ReportDescriptor) -> bool {
    if device.vendor_id != CPS_VENDOR || device.product_id != SCALED_PRODUCT {
        return false;
    }
    tracing::debug!(
        "Attempting Report Descriptor fix for UPS: Vendor: {:04x}, Product: {:04x}",
        device.vendor_id,
        device.product_id
    );
    let Some(hvt) = find_by_id_node(desc, HVT_REPORT, USAGE_HIGH_VOLTAGE_TRANSFER)
        .map(|f| (f.logical_min, f.logical_max))
    else {
        return false;
    };
    let Some(output) = find_by_id_node(desc, OUTPUT_VOLTAGE_REPORT, USAGE_VOLTAGE) else {
        return false;
    };
    if (output.logical_min, output.logical_max) != hvt {
        return false;
    }
    (output.logical_min, output.logical_max) = VOLTAGE_LOGICAL;
    tracing::debug!(
        "Fixing Report Descriptor. Set Output Voltage LogMin = {}, LogMax = {}",
        VOLTAGE_LOGICAL.0,
        VOLTAGE_LOGICAL.1
    );
    if let Some(input) = find_by_id_node(desc, INPUT_VOLTAGE_REPORT, USAGE_VOLTAGE) {
        (input.logical_min, input.logical_max) = VOLTAGE_LOGICAL;
        tracing::debug!(
            "Fixing Report Descriptor. Set Input Voltage LogMin = {}, LogMax = {}",
            VOLTAGE_LOGICAL.0,
            VOLTAGE_LOGICAL.1
        );
    }
    true
}

static USAGES: [UsageTable; 2] = [CPS_USAGES, HID_USAGES];

/// The CyberPower HID subdriver.
pub static CPS: Subdriver = Subdriver {
    name: "CyberPower HID 0.6",
    claim,
    usages: &USAGES,
    table: TABLE,
    format_model,
    format_mfr,
    format_serial: plain_serial,
    fix_report_desc,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::hid_ups::table::test_support::{
        convert, corpus_descriptor, state_for, unresolved_paths,
    };
    use std::collections::HashMap;

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        for product in [0x0005, 0x0501, 0x0601] {
            let d = UsbDeviceInfo::new(CPS_VENDOR, product);
            assert_eq!(claim(&d, &ctx), Claim::Yes(Tweaks::default()));
        }
        let unknown = UsbDeviceInfo::new(CPS_VENDOR, 0x0777);
        assert_eq!(claim(&unknown, &ctx), Claim::No);
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        assert!(matches!(claim(&unknown, &given), Claim::Yes(_)));
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x051d, 0x0002), &given),
            Claim::No
        );
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0501, 0x0764), &given),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&CPS), Vec::<&str>::new());
    }

    #[test]
    fn charge_is_clamped() {
        let mut state = state_for(CPS_VENDOR, 0x0501);
        let mut scratch = HashMap::new();
        let mut run = |v| convert(battcharge_to_nut, &mut state, &mut scratch, v);
        assert_eq!(run(99.6).as_deref(), Some("100"));
        assert_eq!(run(57.0).as_deref(), Some("57"));
        assert_eq!(run(132.0).as_deref(), Some("100"));
    }

    #[test]
    fn battery_voltage_scaled_by_two_thirds_when_too_high() {
        // 0501 with a 12 V battery reading 20.4 V: 20.4 / 12 = 1.7 > 1.4.
        let mut state = state_for(CPS_VENDOR, 0x0501);
        let mut scratch = HashMap::new();
        // no nominal voltage yet: no scaling, nothing decided
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 20.4).as_deref(),
            Some("20.4")
        );
        assert!(scratch.is_empty());
        let _ = state.set("battery.voltage.nominal", "12");
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 20.4).as_deref(),
            Some("13.6")
        );
        // decided once: a later normal reading is scaled too
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 13.5).as_deref(),
            Some("9.0")
        );
    }

    #[test]
    fn battery_voltage_kept_when_plausible_or_other_product() {
        let mut state = state_for(CPS_VENDOR, 0x0501);
        let _ = state.set("battery.voltage.nominal", "24");
        let mut scratch = HashMap::new();
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 27.3).as_deref(),
            Some("27.3")
        );
        // decided (1.0): a later high reading stays as it is
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 40.0).as_deref(),
            Some("40.0")
        );
        // the 0601 models are never scaled
        let mut state = state_for(CPS_VENDOR, 0x0601);
        let _ = state.set("battery.voltage.nominal", "12");
        let mut scratch = HashMap::new();
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 20.4).as_deref(),
            Some("20.4")
        );
        // a nominal voltage of 0 decides nothing
        let mut state = state_for(CPS_VENDOR, 0x0501);
        let _ = state.set("battery.voltage.nominal", "0");
        let mut scratch = HashMap::new();
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 20.4).as_deref(),
            Some("20.4")
        );
        assert!(scratch.is_empty());
    }

    #[test]
    fn fixes_the_cp900epfclcd_output_voltage_limits() {
        let Some(mut desc) = corpus_descriptor("CyberPower_CP900EPFCLCD") else {
            return;
        };
        let hvt = desc
            .find_by_id_node(HVT_REPORT, USAGE_HIGH_VOLTAGE_TRANSFER)
            .map(|f| (f.logical_min, f.logical_max));
        let output = desc
            .find_by_id_node(OUTPUT_VOLTAGE_REPORT, USAGE_VOLTAGE)
            .map(|f| (f.logical_min, f.logical_max));
        assert!(hvt.is_some());
        assert_eq!(hvt, output, "the bug this fix-up is for");
        // another vendor or product: untouched
        let before = desc.clone();
        assert!(!fix_report_desc(
            &UsbDeviceInfo::new(CPS_VENDOR, 0x0601),
            &mut desc
        ));
        assert!(!fix_report_desc(
            &UsbDeviceInfo::new(0x051d, 0x0501),
            &mut desc
        ));
        assert_eq!(desc, before);
        assert!(fix_report_desc(
            &UsbDeviceInfo::new(CPS_VENDOR, 0x0501),
            &mut desc
        ));
        for id in [INPUT_VOLTAGE_REPORT, OUTPUT_VOLTAGE_REPORT] {
            let f = desc.find_by_id_node(id, USAGE_VOLTAGE).expect("voltage");
            assert_eq!(
                (f.logical_min, f.logical_max),
                VOLTAGE_LOGICAL,
                "report {id}"
            );
        }
        // a second pass finds nothing left to fix
        assert!(!fix_report_desc(
            &UsbDeviceInfo::new(CPS_VENDOR, 0x0501),
            &mut desc
        ));
    }

    #[test]
    fn leaves_sound_descriptors_alone() {
        for unit in ["CyberPower_EC850LCD", "CyberPower_CP1500C"] {
            let Some(mut desc) = corpus_descriptor(unit) else {
                return;
            };
            let hvt = desc
                .find_by_id_node(HVT_REPORT, USAGE_HIGH_VOLTAGE_TRANSFER)
                .map(|f| (f.logical_min, f.logical_max));
            let output = desc
                .find_by_id_node(OUTPUT_VOLTAGE_REPORT, USAGE_VOLTAGE)
                .map(|f| (f.logical_min, f.logical_max));
            let before = desc.clone();
            let fixed = fix_report_desc(&UsbDeviceInfo::new(CPS_VENDOR, 0x0501), &mut desc);
            assert_eq!(fixed, hvt.is_some() && hvt == output, "{unit}");
            if !fixed {
                assert_eq!(desc, before, "{unit}");
            }
        }
    }
}
