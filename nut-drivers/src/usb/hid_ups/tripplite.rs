//! Tripp Lite (vendor 0x09ae), with the HP (0x03f0) and Delta/Minuteman (0x05dd) units
//! built on the same firmware: the table of C NUT 2.8.0's "TrippLite HID 0.84" subdriver,
//! with the per-product scales that repair battery voltages, line voltages, frequencies
//! and currents reported with a wrong exponent.

use nut_driver_api::DeviceState;

use super::lookups::*;
use super::subdriver::{
    plain_mfr, plain_model, plain_serial, possibly_supported, Claim, ClaimContext, Subdriver,
    Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup};
use crate::usb::hid::{vendor_usages::TRIPPLITE_USAGES, ReportDescriptor, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// Tripp Lite's USB vendor id.
pub const TRIPPLITE_VENDOR: u16 = 0x09ae;
/// Hewlett Packard's USB vendor id (HP-branded Tripp Lite units).
pub const HP_VENDOR: u16 = 0x03f0;
/// Delta/Minuteman's USB vendor id.
pub const DELTA_VENDOR: u16 = 0x05dd;

/// How a product's readings are scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scales {
    /// The battery voltage reads ten times too high.
    BatteryTenth,
    /// Nothing to repair.
    Plain,
    /// Smart1500LCDT-like firmware: voltages 10⁵ too small, frequencies and currents
    /// 100 times too large.
    Smart1500Lcdt,
}

use Scales::{BatteryTenth, Plain, Smart1500Lcdt};

/// The supported products and their scales.
static IDS: [(u16, u16, Scales); 43] = [
    (TRIPPLITE_VENDOR, 0x1003, BatteryTenth), // AVR550U
    (TRIPPLITE_VENDOR, 0x1007, BatteryTenth), // AVR750U
    (TRIPPLITE_VENDOR, 0x1008, BatteryTenth), // ECO550UPS
    (TRIPPLITE_VENDOR, 0x1009, BatteryTenth),
    (TRIPPLITE_VENDOR, 0x1010, BatteryTenth),
    (TRIPPLITE_VENDOR, 0x1330, Plain),        // SU3000LCD2UHV
    (TRIPPLITE_VENDOR, 0x2005, BatteryTenth), // OMNI1000LCD
    (TRIPPLITE_VENDOR, 0x2007, BatteryTenth), // OMNI900LCD
    (TRIPPLITE_VENDOR, 0x2008, BatteryTenth),
    (TRIPPLITE_VENDOR, 0x2009, BatteryTenth), // Smart1000LCD
    (TRIPPLITE_VENDOR, 0x2010, BatteryTenth),
    (TRIPPLITE_VENDOR, 0x2011, BatteryTenth),
    (TRIPPLITE_VENDOR, 0x2012, BatteryTenth),
    (TRIPPLITE_VENDOR, 0x2013, BatteryTenth),
    (TRIPPLITE_VENDOR, 0x2014, BatteryTenth),
    (TRIPPLITE_VENDOR, 0x3008, Plain),
    (TRIPPLITE_VENDOR, 0x3009, Plain),
    (TRIPPLITE_VENDOR, 0x3010, Plain),
    (TRIPPLITE_VENDOR, 0x3011, Plain),
    (TRIPPLITE_VENDOR, 0x3012, Plain), // smart2200RMXL2U
    (TRIPPLITE_VENDOR, 0x3013, Plain),
    (TRIPPLITE_VENDOR, 0x3014, Plain),
    (TRIPPLITE_VENDOR, 0x3015, Plain),
    (TRIPPLITE_VENDOR, 0x3016, Smart1500Lcdt), // Smart1500LCD (newer unit)
    (TRIPPLITE_VENDOR, 0x3024, Smart1500Lcdt), // AVR750U (newer unit)
    (TRIPPLITE_VENDOR, 0x4001, Plain),         // SmartOnline SU1500RTXL2UA (older unit?)
    (TRIPPLITE_VENDOR, 0x4002, Plain),         // SmartOnline SU6000RT4U?
    (TRIPPLITE_VENDOR, 0x4003, Plain),         // SmartOnline SU1500RTXL2ua
    (TRIPPLITE_VENDOR, 0x4004, Plain),         // SmartOnline SU1000XLA
    (TRIPPLITE_VENDOR, 0x4005, Plain),
    (TRIPPLITE_VENDOR, 0x4006, Plain),
    (TRIPPLITE_VENDOR, 0x4007, Plain),
    (TRIPPLITE_VENDOR, 0x4008, Plain),
    (HP_VENDOR, 0x0001, Plain),
    (HP_VENDOR, 0x1fe0, Plain), // R1500 G2 and G3 INTL
    (HP_VENDOR, 0x1fe1, Plain), // T750 G2
    (HP_VENDOR, 0x1fe2, Plain),
    (HP_VENDOR, 0x1fe3, Plain),    // T1500 G3
    (HP_VENDOR, 0x1f06, Plain),    // T750 INTL
    (HP_VENDOR, 0x1f08, Plain),    // T1000 INTL
    (HP_VENDOR, 0x1f09, Plain),    // T1500 INTL
    (HP_VENDOR, 0x1f0a, Plain),    // R/T 2200 INTL
    (DELTA_VENDOR, 0xa011, Plain), // Enterprise Plus E1500RM2U
];

/// Tripp Lite products that are serial-over-USB, not HID (SMART550USB, SMART3000RM2U).
const NOT_HID_PRODUCT: u16 = 0x0001;

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    let (vendor, product) = (device.vendor_id, device.product_id);
    if IDS.iter().any(|(v, p, _)| *v == vendor && *p == product) {
        return Claim::Yes(Tweaks::default());
    }
    match vendor {
        // HP makes many USB devices that are no UPS: no "possibly supported" note
        HP_VENDOR if ctx.productid_given => Claim::Yes(Tweaks::default()),
        TRIPPLITE_VENDOR if product == NOT_HID_PRODUCT => {
            tracing::warn!(
                "This Tripp Lite device ({vendor:04x}/{product:04x}) is not supported by \
                 usbhid-ups. Please use the tripplite_usb driver instead."
            );
            Claim::No
        }
        TRIPPLITE_VENDOR if ctx.productid_given => Claim::Yes(Tweaks::default()),
        TRIPPLITE_VENDOR => {
            possibly_supported("TrippLite", device);
            Claim::No
        }
        _ => Claim::No,
    }
}

/// The scales of the device the driver runs on (from the USB ids it published).
fn scales(state: &DeviceState) -> Scales {
    let id = |name: &str| {
        state
            .value(name)
            .and_then(|v| u16::from_str_radix(v, 16).ok())
    };
    let (Some(vendor), Some(product)) = (id("ups.vendorid"), id("ups.productid")) else {
        return Plain;
    };
    IDS.iter()
        .find(|(v, p, _)| *v == vendor && *p == product)
        .map_or(Plain, |(_, _, s)| *s)
}

/// `value` times `scale`, as C prints it into its 8-byte buffer.
fn scaled(value: f64, scale: f64) -> Option<String> {
    Some(c_buffer(format!("{:.1}", scale * value), 8))
}

/// The battery voltage, scaled for the product.
fn battvolt_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let scale = match scales(ctx.state) {
        BatteryTenth => 0.1,
        Plain => 1.0,
        Smart1500Lcdt => 100_000.0,
    };
    scaled(value, scale)
}

/// An input or output voltage, scaled for the product.
fn iovolt_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let scale = if scales(ctx.state) == Smart1500Lcdt {
        100_000.0
    } else {
        1.0
    };
    scaled(value, scale)
}

/// An input or output frequency, scaled for the product.
fn iofreq_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let scale = if scales(ctx.state) == Smart1500Lcdt {
        0.01
    } else {
        1.0
    };
    scaled(value, scale)
}

/// An output current, scaled for the product.
fn ioamp_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let scale = if scales(ctx.state) == Smart1500Lcdt {
        0.01
    } else {
        1.0
    };
    scaled(value, scale)
}

/// "unknown" on the AVR550U (1003) and OMNI1000LCD (2005), whose firmware gives a bad
/// string index for the chemistry; the string otherwise.
fn chemistry_first(ctx: &mut ConvContext<'_>, _: f64) -> Option<String> {
    match ctx.state.value("ups.productid") {
        Some("1003") | Some("2005") => Some("unknown".into()),
        _ => None,
    }
}

const BATTVOLT: Lookup = Lookup::Fun {
    to_nut: battvolt_to_nut,
    to_hid: None,
};
const IOVOLT: Lookup = Lookup::Fun {
    to_nut: iovolt_to_nut,
    to_hid: None,
};
const IOFREQ: Lookup = Lookup::Fun {
    to_nut: iofreq_to_nut,
    to_hid: None,
};
const IOAMP: Lookup = Lookup::Fun {
    to_nut: ioamp_to_nut,
    to_hid: None,
};
const CHEMISTRY: Lookup = Lookup::StringIndexOr(chemistry_first);

const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // device
    HidInfo::lookup("device.part", "UPS.TLCustom.[1].iUPSPartNumber", STRING_ID).once(),
    // battery
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.charge", "UPS.BatterySystem.Battery.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").rw(5).semi_static(),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::var("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f").once(),
    HidInfo::lookup("battery.voltage", "UPS.BatterySystem.Battery.Voltage", BATTVOLT),
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", CHEMISTRY).once(),
    HidInfo::lookup("battery.temperature", "UPS.BatterySystem.Temperature", KELVIN_CELSIUS),
    // ups
    HidInfo::absent("ups.delay.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.start", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.start", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f").quick(),
    HidInfo::table("ups.test.result", "UPS.BatterySystem.Test", &TEST_READ),
    HidInfo::table("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", &BEEPER),
    HidInfo::var("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f").once(),
    HidInfo::var("ups.power", "UPS.OutletSystem.Outlet.ActivePower", "%.1f"),
    HidInfo::var("ups.power", "UPS.PowerConverter.Output.ActivePower", "%.1f"),
    HidInfo::var("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    HidInfo::var("ups.firmware", "UPS.TLCustom.[1].UPSFirmwareVersion", "%.0f").once(),
    // seconds before the watchdog reboots the UPS (0: disabled)
    HidInfo::var("ups.watchdog.status", "UPS.OutletSystem.Outlet.TLWatchdog", "%.0f"),
    // status
    HidInfo::status("UPS.PowerSummary.PresentStatus.InternalFailure", &COMMFAULT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FullyCharged", &FULLYCHARGED).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FullyDischarged", &DEPLETED).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT),
    // the same bits under the usage codes some OMNI1000LCD firmware uses
    HidInfo::status("UPS.PowerSummary.PresentStatus.TLACPresent", &ONLINE).quick(),
    // Tripp Lite's 0x00840045 is a discharging bit; HP uses it for ConfigPercentLoad
    HidInfo::status("UPS.PowerSummary.PresentStatus.TLDischarging", &DISCHARGING).quick(),
    HidInfo::var("ups.load.nominal", "UPS.Flow.ConfigPercentLoad", "%.0f"),
    HidInfo::status("UPS.PowerSummary.PresentStatus.TLCharging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.TLNeedReplacement", &REPLACEBATT),
    HidInfo::status("UPS.PowerConverter.PresentStatus.VoltageOutOfRange", &VRANGE),
    HidInfo::status("UPS.PowerConverter.PresentStatus.Buck", &TRIM),
    HidInfo::status("UPS.PowerConverter.PresentStatus.Boost", &BOOST),
    HidInfo::status("UPS.PowerConverter.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PowerConverter.PresentStatus.OverTemperature", &OVERHEAT),
    HidInfo::status("UPS.PowerConverter.PresentStatus.InternalFailure", &COMMFAULT),
    HidInfo::status("UPS.PowerConverter.PresentStatus.AwaitingPower", &AWAITINGPOWER),
    // input
    HidInfo::var("input.voltage.nominal", "UPS.PowerSummary.Input.ConfigVoltage", "%.0f").once(),
    HidInfo::lookup("input.voltage", "UPS.PowerSummary.Input.Voltage", IOVOLT),
    HidInfo::lookup("input.voltage", "UPS.PowerConverter.Input.Voltage", IOVOLT),
    HidInfo::lookup("input.frequency", "UPS.PowerConverter.Input.Frequency", IOFREQ),
    HidInfo::var("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f").rw(5).semi_static(),
    HidInfo::var("input.transfer.low.max", "UPS.PowerConverter.Output.TLLowVoltageTransferMax", "%.0f").once(),
    HidInfo::var("input.transfer.low.min", "UPS.PowerConverter.Output.TLLowVoltageTransferMin", "%.0f").once(),
    HidInfo::var("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f").rw(5).semi_static(),
    HidInfo::var("input.transfer.high.max", "UPS.PowerConverter.Output.TLHighVoltageTransferMax", "%.0f").once(),
    HidInfo::var("input.transfer.high.min", "UPS.PowerConverter.Output.TLHighVoltageTransferMin", "%.0f").once(),
    // output
    HidInfo::var("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f").once(),
    HidInfo::lookup("output.voltage", "UPS.PowerConverter.Output.Voltage", IOVOLT),
    HidInfo::lookup("output.voltage", "UPS.PowerSummary.Voltage", IOVOLT),
    HidInfo::lookup("output.current", "UPS.PowerConverter.Output.Current", IOAMP),
    HidInfo::var("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.0f").once(),
    HidInfo::lookup("output.frequency", "UPS.PowerConverter.Output.Frequency", IOFREQ),
    // instant commands
    HidInfo::cmd("test.battery.start.quick", "UPS.BatterySystem.Test", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.BatterySystem.Test", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.BatterySystem.Test", "3"),
    HidInfo::cmd("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("load.on.delay", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "10"),
    // the ECO550UPS has no DelayBeforeStartup: its watchdog reboots it instead
    HidInfo::cmd("shutdown.reboot", "UPS.OutletSystem.Outlet.TLWatchdog", "10"),
    // the UPS reboots when this timer runs out
    HidInfo::cmd("reset.watchdog", "UPS.OutletSystem.Outlet.TLWatchdog", "60"),
    HidInfo::cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    HidInfo::cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

/// No fix-up.
fn fix_report_desc(_: &UsbDeviceInfo, _: &mut ReportDescriptor) -> bool {
    false
}

static USAGES: [UsageTable; 2] = [TRIPPLITE_USAGES, HID_USAGES];

/// The Tripp Lite HID subdriver.
pub static TRIPPLITE: Subdriver = Subdriver {
    name: "TrippLite HID 0.84",
    claim,
    usages: &USAGES,
    table: TABLE,
    format_model: plain_model,
    format_mfr: plain_mfr,
    format_serial: plain_serial,
    fix_report_desc,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::hid::{string_to_path, value_from_report, ReportType};
    use crate::usb::hid_ups::table::test_support::{
        convert, corpus_descriptor, mapped_vars, state_for, unresolved_paths,
    };
    use std::collections::HashMap;

    fn given() -> ClaimContext {
        ClaimContext {
            productid_given: true,
            explore: false,
        }
    }

    #[test]
    fn claims() {
        let plain = ClaimContext::default();
        for (v, p) in [
            (TRIPPLITE_VENDOR, 0x1003),
            (TRIPPLITE_VENDOR, 0x3016),
            (TRIPPLITE_VENDOR, 0x4008),
            (HP_VENDOR, 0x1fe0),
            (DELTA_VENDOR, 0xa011),
        ] {
            assert_eq!(
                claim(&UsbDeviceInfo::new(v, p), &plain),
                Claim::Yes(Tweaks::default())
            );
        }
        // an unknown Tripp Lite or HP product only with productid
        for (v, p) in [(TRIPPLITE_VENDOR, 0x5001), (HP_VENDOR, 0x0002)] {
            let d = UsbDeviceInfo::new(v, p);
            assert_eq!(claim(&d, &plain), Claim::No);
            assert!(matches!(claim(&d, &given()), Claim::Yes(_)));
        }
        // serial-over-USB Tripp Lite units and unknown Delta products: never
        let d = UsbDeviceInfo::new(TRIPPLITE_VENDOR, NOT_HID_PRODUCT);
        assert_eq!(claim(&d, &given()), Claim::No);
        let d = UsbDeviceInfo::new(DELTA_VENDOR, 0xa0a0);
        assert_eq!(claim(&d, &given()), Claim::No);
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0764, 0x0501), &given()),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&TRIPPLITE), Vec::<&str>::new());
    }

    #[test]
    fn scales_by_product() {
        let mut scratch = HashMap::new();
        let mut state = state_for(TRIPPLITE_VENDOR, 0x1003);
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 138.0).as_deref(),
            Some("13.8")
        );
        assert_eq!(
            convert(iovolt_to_nut, &mut state, &mut scratch, 121.4).as_deref(),
            Some("121.4")
        );
        let mut state = state_for(TRIPPLITE_VENDOR, 0x3012);
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 27.1).as_deref(),
            Some("27.1")
        );
        assert_eq!(
            convert(iofreq_to_nut, &mut state, &mut scratch, 59.9).as_deref(),
            Some("59.9")
        );
        let mut state = state_for(TRIPPLITE_VENDOR, 0x3016);
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 0.000136).as_deref(),
            Some("13.6")
        );
        assert_eq!(
            convert(iovolt_to_nut, &mut state, &mut scratch, 0.001214).as_deref(),
            Some("121.4")
        );
        assert_eq!(
            convert(iofreq_to_nut, &mut state, &mut scratch, 6000.0).as_deref(),
            Some("60.0")
        );
        assert_eq!(
            convert(ioamp_to_nut, &mut state, &mut scratch, 150.0).as_deref(),
            Some("1.5")
        );
        // an unlisted product taken with productid: nothing scaled
        let mut state = state_for(TRIPPLITE_VENDOR, 0x5001);
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 13.2).as_deref(),
            Some("13.2")
        );
        // C's 8-byte buffer
        let mut state = state_for(TRIPPLITE_VENDOR, 0x3016);
        assert_eq!(
            convert(battvolt_to_nut, &mut state, &mut scratch, 1.0).as_deref(),
            Some("100000.")
        );
    }

    #[test]
    fn chemistry_of_buggy_firmware() {
        let mut scratch = HashMap::new();
        for (product, expected) in [
            (0x1003, Some("unknown")),
            (0x2005, Some("unknown")),
            (0x3012, None),
        ] {
            let mut state = state_for(TRIPPLITE_VENDOR, product);
            assert_eq!(
                convert(chemistry_first, &mut state, &mut scratch, 4.0).as_deref(),
                expected
            );
        }
    }

    #[test]
    fn recorded_3016_unit() {
        let Some(mut desc) = corpus_descriptor("TrippLite_UPS-09ae-3016") else {
            return;
        };
        let before = desc.clone();
        assert!(!fix_report_desc(
            &UsbDeviceInfo::new(TRIPPLITE_VENDOR, 0x3016),
            &mut desc
        ));
        assert_eq!(desc, before);
        let mapped = mapped_vars(&TRIPPLITE, &desc);
        for var in ["battery.charge", "input.voltage", "BOOL", "load.off.delay"] {
            assert!(mapped.contains(&var), "{var} not mapped: {mapped:?}");
        }
        // the logged input voltage report (31 be 04), scaled as the subdriver does
        let path = string_to_path("UPS.PowerSummary.Input.Voltage", &USAGES).expect("path");
        let field = desc.find(&path, Some(ReportType::Feature)).expect("field");
        let value = value_from_report(&desc, field, &[0x31, 0xbe, 0x04]).expect("value");
        let mut state = state_for(TRIPPLITE_VENDOR, 0x3016);
        let mut scratch = HashMap::new();
        assert_eq!(
            convert(iovolt_to_nut, &mut state, &mut scratch, value).as_deref(),
            Some("121.4")
        );
    }
}
