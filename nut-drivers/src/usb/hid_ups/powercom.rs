//! PowerCOM (vendor 0x0d9f): Imperial, Smart King Pro, WOW, Vanguard, Black Knight Pro.
//! The table follows C NUT 2.8.0's "PowerCOM HID 0.6" subdriver, with its odd delay
//! encodings (minutes and seconds in swapped bytes) and its status bytes.

use nut_driver_api::DeviceState;

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, no_fix, plain_serial, Claim, ClaimContext, DeviceId, Subdriver, Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup};
use crate::usb::hid::{vendor_usages::POWERCOM_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// PowerCOM's USB vendor id.
pub const POWERCOM_VENDOR: u16 = 0x0d9f;

/// Units that only report on the interrupt pipe, 8 bytes at a time.
const INTERRUPT_ONLY: Tweaks = Tweaks {
    interrupt_only: true,
    interrupt_size: Some(8),
    ..Tweaks::NONE
};

static IDS: [DeviceId; 7] = [
    // IMP (Imperial)
    (POWERCOM_VENDOR, 0x00a2, Tweaks::NONE),
    // SKP (Smart King Pro, all Smart series)
    (POWERCOM_VENDOR, 0x00a3, Tweaks::NONE),
    // WOW
    (POWERCOM_VENDOR, 0x00a4, Tweaks::NONE),
    // VGD (Vanguard)
    (POWERCOM_VENDOR, 0x00a5, Tweaks::NONE),
    // BNT (Black Knight Pro)
    (POWERCOM_VENDOR, 0x00a6, Tweaks::NONE),
    // Vanguard and BNT-xxxAP
    (POWERCOM_VENDOR, 0x0004, Tweaks::NONE),
    (POWERCOM_VENDOR, 0x0001, INTERRUPT_ONLY),
];

/// The serial-protocol unit behind a USB-to-serial bridge.
const SERIAL_BRIDGE: u16 = 0x0002;

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    if device.vendor_id == POWERCOM_VENDOR && device.product_id == SERIAL_BRIDGE {
        tracing::warn!(
            "This Powercom device ({:04x}/{:04x}) is not supported by usbhid-ups.\n\
             Please use the 'powercom' driver instead.\n",
            device.vendor_id,
            device.product_id
        );
        return Claim::No;
    }
    claim_by_ids(&IDS, "PowerCOM", device, ctx)
}

/// The value as C's cast of a `double` to `uint16_t` keeps it.
fn word(value: f64) -> u16 {
    value as i64 as u16
}

/// The start delay, in minutes with its bytes swapped, written in seconds.
fn startup_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let i = u32::from(word(value));
    Some((60 * (((i & 0x00ff) << 8) + (i >> 8))).to_string())
}

/// Seconds (the text, else `ups.delay.start`) as whole minutes with swapped bytes.
fn startup_to_hid(ctx: &mut ConvContext<'_>, text: Option<&str>) -> Option<f64> {
    let seconds = c_atoi(text.or_else(|| ctx.state.value("ups.delay.start")));
    let minutes = seconds / 60;
    let Ok(minutes) = u16::try_from(minutes) else {
        tracing::debug!("startup delay {minutes} is not in uint16_t range");
        return Some(0.0);
    };
    Some(f64::from(minutes.swap_bytes()))
}

/// The shutdown delay: minutes in the low byte, seconds in the high byte.
fn shutdown_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let i = u32::from(word(value));
    Some((60 * (i & 0x00ff) + (i >> 8)).to_string())
}

/// Seconds (the text, else `ups.delay.shutdown`) as the shutdown command word with
/// `flag` (restart on mains return, or stay off); 0 seconds becomes 1.
fn shutdown_word(ctx: &ConvContext<'_>, text: Option<&str>, flag: u16) -> Option<f64> {
    let seconds = c_atoi(text.or_else(|| ctx.state.value("ups.delay.shutdown")));
    let Ok(seconds) = u16::try_from(seconds) else {
        tracing::debug!("shutdown delay {seconds} is not in uint16_t range");
        return Some(0.0);
    };
    let seconds = seconds.max(1);
    let command = ((seconds % 60) << 8).wrapping_add(seconds / 60) | flag;
    Some(f64::from(command))
}

fn shutdown_to_hid(ctx: &mut ConvContext<'_>, text: Option<&str>) -> Option<f64> {
    shutdown_word(ctx, text, 0x4000)
}

fn stayoff_to_hid(ctx: &mut ConvContext<'_>, text: Option<&str>) -> Option<f64> {
    shutdown_word(ctx, text, 0x8000)
}

/// The stay-off conversion only writes.
fn write_only(_: &mut ConvContext<'_>, _: f64) -> Option<String> {
    None
}

/// C's `atoi`: optional sign and leading digits; 0 for nothing.
fn c_atoi(text: Option<&str>) -> i64 {
    let t = text.unwrap_or("").trim_start();
    let (sign, digits) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |v, d| {
            v.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    i64::from((sign * value) as i32)
}

const STARTUP: Lookup = Lookup::Custom {
    to_nut: startup_to_nut,
    to_hid: Some(startup_to_hid),
    values: &[],
};
const SHUTDOWN: Lookup = Lookup::Custom {
    to_nut: shutdown_to_nut,
    to_hid: Some(shutdown_to_hid),
    values: &[],
};
const STAYOFF: Lookup = Lookup::Custom {
    to_nut: write_only,
    to_hid: Some(stayoff_to_hid),
    values: &[],
};

static BEEPER_STATUS: [(i64, &str); 2] = [(1, "enabled"), (2, "disabled")];

/// Line voltages are reported in units of 4 V.
fn voltage_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(format!("{:.0}", value * 4.0))
}

const VOLTAGE: Lookup = Lookup::Fun {
    to_nut: voltage_to_nut,
    to_hid: None,
};

/// A status word from bit `mask` of the value (`!word` when clear).
fn bit(value: f64, mask: i64, word: &'static str, not_word: &'static str) -> Option<String> {
    Some(
        if (value as i64) & mask != 0 {
            word
        } else {
            not_word
        }
        .to_owned(),
    )
}

// The first status byte: UPS fault, battery bad, test running, shutdown count-down.
fn upsfail_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    bit(value, 0x01, "fanfail", "!fanfail")
}

fn replacebatt_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    bit(value, 0x02, "replacebatt", "!replacebatt")
}

fn test_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    bit(value, 0x04, "cal", "!cal")
}

fn shutdownimm_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    bit(value, 0x10, "shutdownimm", "!shutdownimm")
}

// The second status byte: on battery, battery low, AVR active (buck or boost), overload.
fn online_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    bit(value, 0x01, "!online", "online")
}

fn lowbatt_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    bit(value, 0x02, "lowbatt", "!lowbatt")
}

fn trim_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let on = (value as i64) & 0x18 == 0x08;
    Some(if on { "trim" } else { "!trim" }.to_owned())
}

fn boost_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let on = (value as i64) & 0x18 == 0x18;
    Some(if on { "boost" } else { "!boost" }.to_owned())
}

fn overload_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    bit(value, 0x20, "overload", "!overload")
}

/// A conversion that only reads.
const fn read(to_nut: super::table::ToNut) -> Lookup {
    Lookup::Fun {
        to_nut,
        to_hid: None,
    }
}

/// A command with a conversion and no default value.
const fn cmd_with(
    var: &'static str,
    path: &'static str,
    dfl: Option<&'static str>,
    lookup: Lookup,
) -> HidInfo {
    HidInfo {
        dfl,
        lookup: Some(lookup),
        ..HidInfo::cmd(var, path, "")
    }
}

const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

const CHARGE_CONTROLLER: &str =
    "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomInternalChargeController";
const BATTERY_SUPPORT: &str =
    "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPrimaryBatterySupport";

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BatteryPresent", &NOBATTERY),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING),
    HidInfo::status("UPS.PowerSummary.PresentStatus.CommunicationLost", &COMMFAULT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", &TIMELIMITEXPIRED),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
    HidInfo::status("UPS.PresentStatus.ACPresent", &ONLINE),
    HidInfo::status("UPS.PresentStatus.BatteryPresent", &NOBATTERY),
    HidInfo::status("UPS.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT),
    HidInfo::status("UPS.PresentStatus.Boost", &BOOST),
    HidInfo::status("UPS.PresentStatus.Buck", &TRIM),
    HidInfo::status("UPS.PresentStatus.Charging", &CHARGING),
    HidInfo::status("UPS.PresentStatus.CommunicationLost", &COMMFAULT),
    HidInfo::status("UPS.PresentStatus.Discharging", &DISCHARGING),
    HidInfo::status("UPS.PresentStatus.NeedReplacement", &REPLACEBATT),
    HidInfo::status("UPS.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PresentStatus.RemainingTimeLimitExpired", &TIMELIMITEXPIRED),
    HidInfo::status("UPS.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
    // The battery voltage paths carry the output voltage on these units: not mapped.
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.charge", "UPS.Battery.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::lookup("battery.date", "UPS.Battery.ManufacturerDate", DATE).once(),
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID).once(),
    HidInfo::table("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", &BEEPER_STATUS),
    HidInfo::table("ups.beeper.status", "UPS.AudibleAlarmControl", &BEEPER_STATUS),
    HidInfo::var("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    HidInfo::lookup("ups.date", "UPS.PowerSummary.ManufacturerDate", DATE).once(),
    HidInfo::table("ups.test.result", "UPS.Battery.Test", &TEST_READ),
    // Read as minutes in bytes 7 and 8; written with command 4 (minutes, high byte first).
    HidInfo::absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "60").rw(8),
    HidInfo::lookup("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", STARTUP),
    // Read as minutes and seconds in bytes 13 and 14; the two top bits of the seconds
    // byte choose between restarting on mains return and staying off.
    HidInfo::absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY).rw(8),
    HidInfo::lookup("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", SHUTDOWN).quick(),
    HidInfo::absent("ups.delay.shutdown", "UPS.PowerSummary.PCMDelayBeforeShutdown", OFFDELAY).rw(8),
    HidInfo::lookup("ups.timer.shutdown", "UPS.PowerSummary.PCMDelayBeforeShutdown", SHUTDOWN).quick(),
    HidInfo::var("input.voltage", "UPS.Input.Voltage", "%.1f"),
    HidInfo::var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f").once(),
    HidInfo::var("input.frequency", "UPS.Input.Frequency", "%.1f"),
    HidInfo::var("output.voltage", "UPS.Output.Voltage", "%.1f"),
    HidInfo::var("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f").once(),
    HidInfo::var("output.frequency", "UPS.Output.Frequency", "%.1f"),
    HidInfo::cmd("beeper.toggle", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "0"),
    HidInfo::cmd("test.battery.start.quick", "UPS.Battery.Test", "1"),
    cmd_with("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", None, STARTUP),
    cmd_with("shutdown.return", "UPS.PowerSummary.DelayBeforeShutdown", None, SHUTDOWN),
    cmd_with("shutdown.stayoff", "UPS.PowerSummary.DelayBeforeShutdown", None, STAYOFF),
    cmd_with("load.on", "UPS.PowerSummary.PCMDelayBeforeStartup", Some("0"), STARTUP),
    cmd_with("load.off", "UPS.PowerSummary.PCMDelayBeforeShutdown", Some("0"), STAYOFF),
    cmd_with("shutdown.return", "UPS.PowerSummary.PCMDelayBeforeShutdown", None, SHUTDOWN),
    cmd_with("shutdown.stayoff", "UPS.PowerSummary.PCMDelayBeforeShutdown", None, STAYOFF),
    HidInfo::lookup("ups.serial", "PowercomUPS.PowercomSerialNumber", STRING_ID),
    HidInfo::lookup("ups.mfr", "PowercomUPS.PowercomManufacturerName", STRING_ID),
    HidInfo::lookup("ups.mfr.date", "PowercomUPS.PowercomManufacturerDate", DATE),
    HidInfo::var("battery.temperature", "PowercomUPS.PowercomBatterySystem.PowercomTemperature", "%.0f"),
    HidInfo::var("battery.temperature", "UPS.Battery.Temperature", "%.1f"),
    HidInfo::var("battery.charge", "PowercomUPS.PowercomBatterySystem.PowercomVoltage", "%.0f"),
    HidInfo::var("input.frequency", "PowercomUPS.PowercomPowerConverter.PowercomInput.PowercomFrequency", "%.0f"),
    HidInfo::lookup("input.voltage", "PowercomUPS.PowercomPowerConverter.PowercomInput.PowercomVoltage", VOLTAGE),
    HidInfo::lookup("output.voltage", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomVoltage", VOLTAGE),
    HidInfo::var("ups.load", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPercentLoad", "%.0f"),
    HidInfo::status_with(CHARGE_CONTROLLER, read(upsfail_to_nut)).quick(),
    HidInfo::status_with(CHARGE_CONTROLLER, read(replacebatt_to_nut)).quick(),
    HidInfo::status_with(CHARGE_CONTROLLER, read(test_to_nut)).quick(),
    HidInfo::status_with(CHARGE_CONTROLLER, read(shutdownimm_to_nut)).quick(),
    HidInfo::status_with(BATTERY_SUPPORT, read(online_to_nut)).quick(),
    // The low battery bit may not work.
    HidInfo::status_with(BATTERY_SUPPORT, read(lowbatt_to_nut)).quick(),
    HidInfo::status_with(BATTERY_SUPPORT, read(trim_to_nut)).quick(),
    HidInfo::status_with(BATTERY_SUPPORT, read(boost_to_nut)).quick(),
    HidInfo::status_with(BATTERY_SUPPORT, read(overload_to_nut)).quick(),
    HidInfo::var("output.frequency", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomFrequency", "%.0f"),
    HidInfo::table("ups.test.result", "PowercomUPS.PowercomPowerConverter.PowercomTest", &TEST_READ),
    HidInfo::var("ups.delay.shutdown", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeShutdown", "%.0f"),
    HidInfo::var("ups.delay.start", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeStartup", "%.0f"),
    HidInfo::cmd("load.off", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeShutdown", "0"),
];

fn format_model(device: &UsbDeviceInfo, _: &mut DeviceState) -> Option<String> {
    device.product.clone()
}

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "PowerCOM".into()))
}

static USAGES: [UsageTable; 2] = [POWERCOM_USAGES, HID_USAGES];

/// The PowerCOM subdriver.
pub static POWERCOM: Subdriver = Subdriver {
    name: "PowerCOM HID 0.6",
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
    use crate::usb::hid_ups::table::test_support::{convert, corpus_descriptor, unresolved_paths};
    use crate::usb::hid_ups::table::ToNut;
    use std::collections::HashMap;

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        for product in [0x00a2, 0x00a3, 0x00a4, 0x00a5, 0x00a6, 0x0004] {
            let d = UsbDeviceInfo::new(POWERCOM_VENDOR, product);
            assert_eq!(claim(&d, &ctx), Claim::Yes(Tweaks::NONE), "{product:04x}");
        }
        let d = UsbDeviceInfo::new(POWERCOM_VENDOR, 0x0001);
        let Claim::Yes(t) = claim(&d, &ctx) else {
            panic!("0001 not claimed");
        };
        assert!(t.interrupt_only);
        assert_eq!(t.interrupt_size, Some(8));
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        // The serial bridge is refused even when asked for.
        let d = UsbDeviceInfo::new(POWERCOM_VENDOR, SERIAL_BRIDGE);
        assert_eq!(claim(&d, &ctx), Claim::No);
        assert_eq!(claim(&d, &given), Claim::No);
        let d = UsbDeviceInfo::new(POWERCOM_VENDOR, 0x00b0);
        assert_eq!(claim(&d, &ctx), Claim::No);
        assert_eq!(claim(&d, &given), Claim::Yes(Tweaks::NONE));
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0764, 0x0501), &given),
            Claim::No
        );
    }

    #[test]
    fn delays() {
        let mut state = DeviceState::new();
        let mut scratch = HashMap::new();
        // 2 minutes, bytes swapped
        assert_eq!(
            convert(startup_to_nut, &mut state, &mut scratch, 512.0).as_deref(),
            Some("120")
        );
        // 1 minute 30 seconds
        assert_eq!(
            convert(shutdown_to_nut, &mut state, &mut scratch, f64::from(0x1e01)).as_deref(),
            Some("90")
        );
        let mut ctx = ConvContext {
            state: &mut state,
            scratch: &mut scratch,
        };
        assert_eq!(startup_to_hid(&mut ctx, Some("120")), Some(512.0));
        assert_eq!(startup_to_hid(&mut ctx, Some("-60")), Some(0.0));
        assert_eq!(startup_to_hid(&mut ctx, Some("0")), Some(0.0));
        assert_eq!(
            shutdown_to_hid(&mut ctx, Some("90")),
            Some(f64::from(0x5e01))
        );
        assert_eq!(
            stayoff_to_hid(&mut ctx, Some("90")),
            Some(f64::from(0x9e01))
        );
        // 0 would be the longest delay: 1 second instead
        assert_eq!(
            shutdown_to_hid(&mut ctx, Some("0")),
            Some(f64::from(0x4100))
        );
        assert_eq!(shutdown_to_hid(&mut ctx, Some("70000")), Some(0.0));
        // without a value, the delay variables are used
        let _ = ctx.state.set("ups.delay.start", "180");
        let _ = ctx.state.set("ups.delay.shutdown", "20");
        assert_eq!(startup_to_hid(&mut ctx, None), Some(f64::from(0x0300)));
        assert_eq!(stayoff_to_hid(&mut ctx, None), Some(f64::from(0x9400)));
        assert_eq!(write_only(&mut ctx, 1.0), None);
    }

    #[test]
    fn status_bytes() {
        let mut state = DeviceState::new();
        let mut scratch = HashMap::new();
        let mut run =
            |f: ToNut, v: f64| convert(f, &mut state, &mut scratch, v).unwrap_or_default();
        assert_eq!(run(upsfail_to_nut, 1.0), "fanfail");
        assert_eq!(run(upsfail_to_nut, 2.0), "!fanfail");
        assert_eq!(run(replacebatt_to_nut, 2.0), "replacebatt");
        assert_eq!(run(test_to_nut, 4.0), "cal");
        assert_eq!(run(shutdownimm_to_nut, 0x10 as f64), "shutdownimm");
        assert_eq!(run(online_to_nut, 1.0), "!online");
        assert_eq!(run(online_to_nut, 0.0), "online");
        assert_eq!(run(lowbatt_to_nut, 3.0), "lowbatt");
        assert_eq!(run(trim_to_nut, 0x08 as f64), "trim");
        assert_eq!(run(trim_to_nut, 0x18 as f64), "!trim");
        assert_eq!(run(boost_to_nut, 0x18 as f64), "boost");
        assert_eq!(run(boost_to_nut, 0x10 as f64), "!boost");
        assert_eq!(run(overload_to_nut, 0x20 as f64), "overload");
        assert_eq!(run(voltage_to_nut, 57.5), "230");
    }

    #[test]
    fn atoi() {
        assert_eq!(c_atoi(Some(" 42s")), 42);
        assert_eq!(c_atoi(Some("-7")), -7);
        assert_eq!(c_atoi(Some("x")), 0);
        assert_eq!(c_atoi(None), 0);
    }

    #[test]
    fn strings() {
        let mut d = UsbDeviceInfo::new(POWERCOM_VENDOR, 0x0004);
        assert_eq!(format_mfr(&d).as_deref(), Some("PowerCOM"));
        d.vendor = Some("POWERCOM Co.,LTD".into());
        assert_eq!(format_mfr(&d).as_deref(), Some("POWERCOM Co.,LTD"));
    }

    #[test]
    fn paths_resolve() {
        assert!(
            unresolved_paths(&POWERCOM).is_empty(),
            "{:?}",
            unresolved_paths(&POWERCOM)
        );
    }

    #[test]
    fn corpus_units() {
        for folder in ["PowerCOM_HID-UPS-Battery-966", "PowerCOM_BNT-800AP-996"] {
            let Some(mut desc) = corpus_descriptor(folder) else {
                return;
            };
            let d = UsbDeviceInfo::new(POWERCOM_VENDOR, 0x0004);
            let before = desc.clone();
            assert!(!(POWERCOM.fix_report_desc)(&d, &mut desc));
            assert_eq!(desc, before);
            let has = |path: &str| {
                string_to_path(path, POWERCOM.usages).is_some_and(|p| desc.find(&p, None).is_some())
            };
            assert!(has("UPS.PowerSummary.RemainingCapacity"), "{folder}");
            assert!(has("UPS.PowerSummary.DelayBeforeShutdown"), "{folder}");
        }
    }
}
