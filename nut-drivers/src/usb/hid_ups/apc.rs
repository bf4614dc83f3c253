//! APC (vendor 0x051d): Back-UPS and Smart-UPS on USB. The table follows C NUT 2.8.0's
//! "APC HID 0.98" subdriver: the same paths, formats, status bits and commands.

use nut_driver_api::DeviceState;

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, find_by_id_node, Claim, ClaimContext, DeviceId, Subdriver, Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup};
use crate::usb::hid::{vendor_usages::APC_USAGES, ReportDescriptor, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// APC's USB vendor id.
pub const APC_VENDOR: u16 = 0x051d;

const PLAIN: Tweaks = Tweaks::NONE;

static IDS: [DeviceId; 3] = [
    (APC_VENDOR, 0x0000, PLAIN),
    (APC_VENDOR, 0x0002, PLAIN),
    // Smart-UPS with this id have a broken interrupt pipe.
    (
        APC_VENDOR,
        0x0003,
        Tweaks {
            no_interrupt: true,
            ..Tweaks::NONE
        },
    ),
];

/// Back-UPS models whose firmware reports wrong report sizes (product string prefixes).
const MAX_REPORT_MODELS: [&str; 2] = ["Back-UPS ES 525", "Back-UPS CS"];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    match claim_by_ids(&IDS, "APC", device, ctx) {
        Claim::Yes(mut tweaks) if device.product_id == 0x0002 => {
            match &device.product {
                None => tracing::warn!(
                    "the device has no product string: can't tell whether the maxreport \
                     workaround is needed"
                ),
                Some(p) => {
                    tweaks.max_report = MAX_REPORT_MODELS.iter().any(|m| p.starts_with(m));
                }
            }
            Claim::Yes(tweaks)
        }
        other => other,
    }
}

/// APC writes dates as hexadecimal digits read as decimal: 0x102202 is 2002/10/22.
fn apc_date_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let v = value as i64;
    if v == 0 {
        return Some("not set".into());
    }
    let digit = |shift: u32| (v >> shift) & 0xf;
    let mut year = digit(0) + 10 * digit(4);
    let month = digit(16) + 10 * digit(20);
    let day = digit(8) + 10 * digit(12);
    year += if year >= 70 { 1900 } else { 2000 };
    Some(format!("{year:04}/{month:02}/{day:02}"))
}

fn apc_date_to_hid(text: &str) -> Option<f64> {
    let (year, month, day) = scan_date(text);
    if year >= 2070 || month > 12 || day > 31 {
        return Some(0.0);
    }
    let year = year % 100;
    let mut date = (((year / 10) & 0x0f) << 4) + (year % 10);
    date += (((month / 10) & 0x0f) << 20) + ((month % 10) << 16);
    date += (((day / 10) & 0x0f) << 12) + ((day % 10) << 8);
    Some(date as f64)
}

const APC_DATE: Lookup = Lookup::Fun {
    to_nut: apc_date_to_nut,
    to_hid: Some(apc_date_to_hid),
};

static STATUS_FLAG: [(i64, &str); 3] = [(8, "!off"), (16, "!off"), (0, "off")];
static LINE_FAIL_VRANGE: [(i64, &str); 6] = [
    (1, "vrange"),
    (2, "vrange"),
    (4, "vrange"),
    (8, "vrange"),
    (9, "vrange"),
    (0, "!vrange"),
];
static LINE_FAIL_FRANGE: [(i64, &str); 2] = [(7, "frange"), (0, "!frange")];
static SENSITIVITY: [(i64, &str); 3] = [(0, "low"), (1, "medium"), (2, "high")];

const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").rw(10).semi_static(),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    HidInfo::var("battery.runtime", "UPS.Battery.RunTimeToEmpty", "%.0f"),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::var("battery.runtime.low", "UPS.Battery.RemainingTimeLimit", "%.0f").rw(10).semi_static(),
    HidInfo::var("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").rw(10).semi_static(),
    HidInfo::var("battery.voltage", "UPS.Battery.Voltage", "%.1f"),
    HidInfo::var("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    HidInfo::var("battery.voltage.nominal", "UPS.Battery.ConfigVoltage", "%.1f"),
    HidInfo::var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f"),
    HidInfo::lookup("battery.temperature", "UPS.Battery.Temperature", KELVIN_CELSIUS),
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID),
    HidInfo::lookup("battery.mfr.date", "UPS.Battery.ManufacturerDate", DATE).rw(10).semi_static(),
    HidInfo::lookup("battery.mfr.date", "UPS.PowerSummary.APCBattReplaceDate", APC_DATE),
    HidInfo::lookup("battery.date", "UPS.Battery.APCBattReplaceDate", APC_DATE),
    HidInfo::var("ups.load", "UPS.Output.PercentLoad", "%.1f"),
    HidInfo::var("ups.load", "UPS.PowerConverter.PercentLoad", "%.0f"),
    HidInfo::absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f").quick(),
    HidInfo::absent("ups.delay.start", "UPS.Output.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f").quick(),
    HidInfo::absent("ups.delay.start", "UPS.APCGeneralCollection.APCDelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.APCGeneralCollection.APCDelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.APCGeneralCollection.APCDelayBeforeReboot", "%.0f").quick(),
    HidInfo::table("ups.test.result", "UPS.Battery.Test", &TEST_READ),
    HidInfo::table("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", &BEEPER),
    HidInfo::lookup("ups.mfr.date", "UPS.ManufacturerDate", DATE),
    HidInfo::lookup("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", DATE),
    HidInfo::var("ups.realpower.nominal", "UPS.PowerConverter.ConfigActivePower", "%.0f"),
    HidInfo::var("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", &TIMELIMITEXPIRED),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BatteryPresent", &NOBATTERY),
    HidInfo::status("UPS.PowerSummary.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.ShutdownImminent", &SHUTDOWNIMM),
    HidInfo::status("UPS.PowerSummary.APCStatusFlag", &STATUS_FLAG).quick(),
    // Mapped twice so that both the voltage and the frequency reason can clear.
    HidInfo::status("UPS.Input.APCLineFailCause", &LINE_FAIL_VRANGE),
    HidInfo::status("UPS.Input.APCLineFailCause", &LINE_FAIL_FRANGE),
    HidInfo::var("input.voltage", "UPS.Input.Voltage", "%.1f"),
    HidInfo::var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    HidInfo::var("input.transfer.low", "UPS.Output.LowVoltageTransfer", "%.0f").rw(10).semi_static(),
    HidInfo::var("input.transfer.high", "UPS.Output.HighVoltageTransfer", "%.0f").rw(10).semi_static(),
    HidInfo::var("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f").rw(10).semi_static(),
    HidInfo::var("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f").rw(10).semi_static(),
    HidInfo::table("input.sensitivity", "UPS.Input.APCSensitivity", &SENSITIVITY).rw(10).semi_static(),
    HidInfo::var("output.voltage", "UPS.Output.Voltage", "%.1f"),
    HidInfo::var("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.1f"),
    HidInfo::var("output.current", "UPS.Output.Current", "%.2f"),
    HidInfo::var("output.frequency", "UPS.Output.Frequency", "%.1f"),
    HidInfo::lookup("ambient.temperature", "UPS.APCEnvironment.APCProbe1.Temperature", KELVIN_CELSIUS),
    HidInfo::var("ambient.humidity", "UPS.APCEnvironment.APCProbe1.Humidity", "%.1f"),
    HidInfo::cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    HidInfo::cmd("test.battery.start.quick", "UPS.Battery.Test", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    HidInfo::cmd("test.battery.start.deep", "UPS.Battery.Test", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    HidInfo::cmd("test.battery.stop", "UPS.Battery.Test", "3"),
    HidInfo::cmd("test.panel.start", "UPS.APCPanelTest", "1"),
    HidInfo::cmd("test.panel.stop", "UPS.APCPanelTest", "0"),
    HidInfo::cmd("test.panel.start", "UPS.PowerSummary.APCPanelTest", "1"),
    HidInfo::cmd("test.panel.stop", "UPS.PowerSummary.APCPanelTest", "0"),
    HidInfo::cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10"),
    HidInfo::cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10"),
    HidInfo::cmd("load.off.delay", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.APCGeneralCollection.APCDelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.APCGeneralCollection.APCDelayBeforeReboot", "10"),
    HidInfo::cmd("shutdown.return", "UPS.Output.APCDelayBeforeReboot", "1"),
    HidInfo::cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    HidInfo::cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

/// The product string up to "FW:" is the model; what follows is the firmware, and after
/// "USB FW:" the USB firmware.
fn format_model(device: &UsbDeviceInfo, state: &mut DeviceState) -> Option<String> {
    let mut model: String = device.product.as_deref().unwrap_or("unknown").to_owned();
    if model.len() > 63 {
        let mut cut = 63;
        while !model.is_char_boundary(cut) {
            cut -= 1;
        }
        model.truncate(cut);
    }
    if let Some(at) = model.find("FW:") {
        let mut firmware = model[at + 3..].to_owned();
        if let Some(usb_at) = firmware.find("USB FW:") {
            let aux = firmware[usb_at + 7..].to_owned();
            firmware.truncate(usb_at.saturating_sub(1));
            let _ = state.set("ups.firmware.aux", &aux);
        }
        let _ = state.set("ups.firmware", &firmware);
        model.truncate(at.saturating_sub(1));
    }
    Some(model)
}

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "APC".into()))
}

fn format_serial(device: &UsbDeviceInfo) -> Option<String> {
    device.serial.clone()
}

/// Usage ids of the Power Device page the fix-up looks at.
const USAGE_VOLTAGE: u32 = 0x0084_0030;
const USAGE_CONFIG_VOLTAGE: u32 = 0x0084_0040;
const USAGE_HIGH_VOLTAGE_TRANSFER: u32 = 0x0084_0054;

/// The Back-UPS XS 1400U (and others with id 0002) declare input voltage limits too small
/// for 230 V mains: widen them from the high transfer voltage's limit.
fn fix_report_desc(device: &UsbDeviceInfo, desc: &mut ReportDescriptor) -> bool {
    if device.vendor_id != APC_VENDOR || device.product_id != 0x0002 {
        return false;
    }
    let Some(hvt_max) =
        find_by_id_node(desc, 0x33, USAGE_HIGH_VOLTAGE_TRANSFER).map(|f| f.logical_max)
    else {
        return false;
    };
    let mut fixed = false;
    if let Some(f) = find_by_id_node(desc, 0x31, USAGE_VOLTAGE) {
        if hvt_max > f.logical_max {
            f.logical_min = 0;
            f.logical_max = hvt_max * 2;
            fixed = true;
        }
    }
    if let Some(f) = find_by_id_node(desc, 0x30, USAGE_CONFIG_VOLTAGE) {
        if hvt_max > f.logical_max {
            f.logical_max = 255;
            fixed = true;
        }
    }
    fixed
}

static USAGES: [UsageTable; 2] = [APC_USAGES, HID_USAGES];

/// The APC subdriver.
pub static APC: Subdriver = Subdriver {
    name: "APC HID 0.98",
    claim,
    usages: &USAGES,
    table: TABLE,
    format_model,
    format_mfr,
    format_serial,
    fix_report_desc,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn model_and_firmware() {
        let mut state = DeviceState::new();
        let mut d = UsbDeviceInfo::new(APC_VENDOR, 2);
        d.product = Some("Back-UPS 500 FW: 6.5.I USB FW: c1 ".into());
        assert_eq!(format_model(&d, &mut state).unwrap(), "Back-UPS 500");
        assert_eq!(state.value("ups.firmware"), Some(" 6.5.I"));
        assert_eq!(state.value("ups.firmware.aux"), Some(" c1 "));
    }

    #[test]
    fn apc_dates() {
        let mut state = DeviceState::new();
        let mut scratch = HashMap::new();
        let mut ctx = ConvContext {
            state: &mut state,
            scratch: &mut scratch,
        };
        assert_eq!(
            apc_date_to_nut(&mut ctx, f64::from(0x10_2202)).unwrap(),
            "2002/10/22"
        );
        assert_eq!(apc_date_to_hid("2002/10/22"), Some(f64::from(0x10_2202)));
    }

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        let mut d = UsbDeviceInfo::new(APC_VENDOR, 2);
        d.product = Some("Back-UPS CS 650".into());
        assert_eq!(
            claim(&d, &ctx),
            Claim::Yes(Tweaks {
                max_report: true,
                ..Tweaks::NONE
            })
        );
        let d = UsbDeviceInfo::new(APC_VENDOR, 3);
        assert!(matches!(claim(&d, &ctx), Claim::Yes(t) if t.no_interrupt));
        let d = UsbDeviceInfo::new(APC_VENDOR, 0x77);
        assert_eq!(claim(&d, &ctx), Claim::No);
        let ctx = ClaimContext {
            productid_given: true,
            explore: false,
        };
        assert!(matches!(claim(&d, &ctx), Claim::Yes(_)));
        assert_eq!(claim(&UsbDeviceInfo::new(0x0764, 0x0501), &ctx), Claim::No);
    }
}
