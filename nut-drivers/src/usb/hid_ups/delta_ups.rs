//! Delta (vendor 0x05dd): RT and Amplon R series, single phase, 1 to 3 kVA. The table
//! follows C NUT 2.8.0's "Delta UPS HID 0.6" subdriver.

use nut_driver_api::DeviceState;

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, no_fix, plain_serial, Claim, ClaimContext, DeviceId, Subdriver, Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup, ST_RW};
use crate::usb::hid::{vendor_usages::DELTA_UPS_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// Delta's USB vendor id.
pub const DELTA_VENDOR: u16 = 0x05dd;

static IDS: [DeviceId; 1] = [
    // RT series and Amplon R series
    (DELTA_VENDOR, 0x041b, Tweaks::NONE),
];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    claim_by_ids(&IDS, "Delta", device, ctx)
}

static SENSITIVITY: [(i64, &str); 3] = [(0, "normal"), (1, "reduced"), (2, "low")];

static OUTPUT_SOURCE: [(i64, &str); 9] = [
    (0, "normal"),
    (1, "battery"),
    (2, "bypass/reserve"),
    (3, "reducing"),
    (4, "boosting"),
    (5, "manual bypass"),
    (6, "other"),
    (7, "no output"),
    (8, "on eco"),
];

/// The low nibble is the kind of UPS; codes 3 and 4 repeat 1 and 2.
fn ups_type_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    const TYPES: [&str; 5] = [
        "online",
        "offline",
        "line-interactive",
        "3-phase",
        "split-phase",
    ];
    let code = (value as i32) & 0xf;
    let index = match code {
        6 => 4,
        3..=5 => code - 2,
        other => other,
    };
    usize::try_from(index)
        .ok()
        .and_then(|i| TYPES.get(i))
        .map(|t| (*t).to_owned())
}

const UPS_TYPE: Lookup = Lookup::Fun {
    to_nut: ups_type_to_nut,
    to_hid: None,
};

/// The model name string, when the device has one, replaces the USB product string.
fn model_name(ctx: &mut ConvContext<'_>, name: &str) -> Option<String> {
    if !name.is_empty() {
        let _ = ctx.state.set("ups.model", name);
    }
    None
}

const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // Not in C's table: C reads this string in its format_model.
    HidInfo::lookup(MODEL_LINE, "UPS.DeltaCustom.[1].DeltaModelName", Lookup::StringWith(model_name)).once(),
    HidInfo::table("input.sensitivity", "UPS.DeltaCustom.[1].DeltaConfigSensitivity", &SENSITIVITY).nut_flags(ST_RW, 0),
    HidInfo::var("input.voltage.nominal", "UPS.PowerSummary.Input.ConfigVoltage", "%.1f").semi_static(),
    HidInfo::var("input.voltage", "UPS.PowerSummary.Input.Voltage", "%.1f").quick(),
    HidInfo::var("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.1f").quick(),
    HidInfo::var("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f").nut_flags(ST_RW, 0),
    HidInfo::var("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f").nut_flags(ST_RW, 0),
    HidInfo::var("input.transfer.low.min", "UPS.PowerConverter.Output.DeltaConfigTransferLowMin", "%.1f").once(),
    HidInfo::var("input.transfer.low.max", "UPS.PowerConverter.Output.DeltaConfigTransferLowMax", "%.1f").once(),
    HidInfo::var("input.transfer.high.min", "UPS.PowerConverter.Output.DeltaConfigTransferHighMin", "%.1f").once(),
    HidInfo::var("input.transfer.high.max", "UPS.PowerConverter.Output.DeltaConfigTransferHighMax", "%.1f").once(),
    HidInfo::table("input.source", "UPS.OutletSystem.Outlet.DeltaOutputSource", &OUTPUT_SOURCE),
    HidInfo::var("input.frequency", "UPS.PowerConverter.Input.Frequency", "%.1f").quick(),
    HidInfo::var("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f").once(),
    HidInfo::var("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.1f").quick(),
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f").quick(),
    HidInfo::var("battery.charge", "UPS.BatterySystem.Battery.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").rw(5).semi_static(),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f").semi_static(),
    HidInfo::lookup("battery.temperature", "UPS.BatterySystem.Temperature", KELVIN_CELSIUS).quick(),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f").quick(),
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID).once(),
    HidInfo::var("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f").semi_static(),
    HidInfo::var("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f").semi_static(),
    HidInfo::var("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.1f").semi_static(),
    HidInfo::var("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.1f").semi_static(),
    HidInfo::var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f").quick(),
    HidInfo::var("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f").quick(),
    HidInfo::var("output.current", "UPS.PowerConverter.Output.Current", "%.1f").quick(),
    HidInfo::table("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", &BEEPER).quick(),
    HidInfo::table("ups.test.result", "UPS.BatterySystem.Test", &TEST_READ),
    HidInfo::lookup("ups.type", "UPS.DeltaCustom.[1].DeltaUPSType", UPS_TYPE).once(),
    HidInfo::table("ups.start.auto", "UPS.DeltaCustom.[1].DeltaConfigStartPowerRestore", &YES_NO).nut_flags(ST_RW, 0),
    HidInfo::var("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f").once(),
    HidInfo::var("ups.realpower", "UPS.OutletSystem.Outlet.ActivePower", "%.1f").quick(),
    HidInfo::var("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.1f").quick(),
    HidInfo::var("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.1f").quick(),
    HidInfo::var("ups.delay.start", "UPS.OutletSystem.Outlet.DeltaConfigStartPowerRestoreDelay", "%.0f").nut_flags(ST_RW, 0),
    HidInfo::var("ups.timer.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f").quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Good", &OFF).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.InternalFailure", &COMMFAULT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FullyCharged", &FULLYCHARGED).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FullyDischarged", &DEPLETED).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT).quick(),
    HidInfo::status("UPS.PowerConverter.PresentStatus.VoltageOutOfRange", &VRANGE).quick(),
    HidInfo::status("UPS.PowerConverter.PresentStatus.Buck", &TRIM).quick(),
    HidInfo::status("UPS.PowerConverter.PresentStatus.Boost", &BOOST).quick(),
    HidInfo::status("UPS.PowerConverter.PresentStatus.Overload", &OVERLOAD).quick(),
    HidInfo::status("UPS.PowerConverter.PresentStatus.Used", &NOBATTERY).quick(),
    HidInfo::status("UPS.PowerConverter.PresentStatus.OverTemperature", &OVERHEAT).quick(),
    HidInfo::status("UPS.PowerConverter.PresentStatus.InternalFailure", &COMMFAULT).quick(),
    HidInfo::status("UPS.PowerConverter.PresentStatus.AwaitingPower", &AWAITINGPOWER).quick(),
    HidInfo::cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    HidInfo::cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    // 10 s test; test until the battery is low; stop.
    HidInfo::cmd("test.battery.start.quick", "UPS.BatterySystem.Test", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.BatterySystem.Test", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.BatterySystem.Test", "3"),
    HidInfo::cmd("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "10"),
];

/// The USB product string; the table's first line replaces it with the model name the
/// device reports, when it has one.
fn format_model(device: &UsbDeviceInfo, _: &mut DeviceState) -> Option<String> {
    device.product.clone()
}

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "Delta".into()))
}

static USAGES: [UsageTable; 2] = [DELTA_UPS_USAGES, HID_USAGES];

/// The Delta subdriver.
pub static DELTA_UPS: Subdriver = Subdriver {
    name: "Delta UPS HID 0.6",
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
    use crate::usb::hid_ups::table::test_support::{convert, unresolved_paths};
    use std::collections::HashMap;

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        let d = UsbDeviceInfo::new(DELTA_VENDOR, 0x041b);
        assert_eq!(claim(&d, &ctx), Claim::Yes(Tweaks::NONE));
        // Minuteman's unit with Delta's vendor id is not in the list.
        let d = UsbDeviceInfo::new(DELTA_VENDOR, 0xa0a0);
        assert_eq!(claim(&d, &ctx), Claim::No);
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        assert_eq!(claim(&d, &given), Claim::Yes(Tweaks::NONE));
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0463, 0xffff), &given),
            Claim::No
        );
    }

    #[test]
    fn ups_types() {
        let mut state = DeviceState::new();
        let mut scratch = HashMap::new();
        let mut run = |v: f64| convert(ups_type_to_nut, &mut state, &mut scratch, v);
        let expected = [
            (0.0, Some("online")),
            (1.0, Some("offline")),
            (2.0, Some("line-interactive")),
            (3.0, Some("offline")),
            (4.0, Some("line-interactive")),
            (5.0, Some("3-phase")),
            (6.0, Some("split-phase")),
            (7.0, None),
            (15.0, None),
            // only the low nibble counts
            (0x12 as f64, Some("line-interactive")),
            (-1.0, None),
        ];
        for (value, text) in expected {
            assert_eq!(run(value).as_deref(), text, "{value}");
        }
    }

    #[test]
    fn model_from_device() {
        let mut state = DeviceState::new();
        let _ = state.set("ups.model", "USB product");
        let mut scratch = HashMap::new();
        let mut ctx = ConvContext {
            state: &mut state,
            scratch: &mut scratch,
        };
        assert_eq!(model_name(&mut ctx, ""), None);
        assert_eq!(ctx.state.value("ups.model"), Some("USB product"));
        assert_eq!(model_name(&mut ctx, "RT-1K"), None);
        assert_eq!(ctx.state.value("ups.model"), Some("RT-1K"));
        assert!(ctx.state.value(MODEL_LINE).is_none());
    }

    #[test]
    fn strings() {
        let mut d = UsbDeviceInfo::new(DELTA_VENDOR, 0x041b);
        let mut state = DeviceState::new();
        assert_eq!(format_mfr(&d).as_deref(), Some("Delta"));
        d.product = Some("UPS".into());
        assert_eq!(format_model(&d, &mut state).as_deref(), Some("UPS"));
    }

    #[test]
    fn paths_resolve() {
        assert!(
            unresolved_paths(&DELTA_UPS).is_empty(),
            "{:?}",
            unresolved_paths(&DELTA_UPS)
        );
    }
}
