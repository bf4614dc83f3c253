//! Belkin (vendor 0x050d) and the Liebert units on the same firmware (vendor 0x10af): the
//! table of C NUT 2.8.0's "Belkin/Liebert HID 0.18" subdriver. Belkin put its own usages
//! on pages reserved for the HID Power Device class (`BELKIN*` names); Liebert units
//! mostly use standard paths, some with voltages off by an exponent of 10⁷ or 10⁸.
//!
//! C's `format_serial` reads `UPS.PowerSummary.iSerialNumber` when the USB serial is
//! missing; here the table's `ups.serial` line does that at the first walk.

use super::lookups::*;
use super::subdriver::{
    no_fix, plain_serial, possibly_supported, Claim, ClaimContext, Subdriver, Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup, ToNut};
use crate::usb::hid::{vendor_usages::BELKIN_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// Belkin's USB vendor id.
pub const BELKIN_VENDOR: u16 = 0x050d;
/// Liebert's USB vendor id.
pub const LIEBERT_VENDOR: u16 = 0x10af;

/// The supported products (C lists 10af:0004 twice, once meant for the GXT4).
static IDS: [(u16, u16); 14] = [
    (BELKIN_VENDOR, 0x0980),  // F6C800-UNV
    (BELKIN_VENDOR, 0x0900),  // F6C900-UNV
    (BELKIN_VENDOR, 0x0910),  // F6C100-UNV
    (BELKIN_VENDOR, 0x0912),  // F6C120-UNV
    (BELKIN_VENDOR, 0x0551),  // F6C550-AVR
    (BELKIN_VENDOR, 0x0750),  // F6C1250-TW-RK
    (BELKIN_VENDOR, 0x0751),  // F6C1500-TW-RK
    (BELKIN_VENDOR, 0x0375),  // F6H375-USB
    (BELKIN_VENDOR, 0x0f51),  // Regulator PRO-USB
    (BELKIN_VENDOR, 0x1100),  // F6C1100-UNV, F6C1200-UNV
    (LIEBERT_VENDOR, 0x0004), // GXT4
    (LIEBERT_VENDOR, 0x0001), // PowerSure PSA
    (LIEBERT_VENDOR, 0x0004), // PowerSure PSI 1440
    (LIEBERT_VENDOR, 0x0008), // GXT3
];

/// Belkin's F5U218-MOB USB hub: a known product that is no UPS.
const BELKIN_HUB: u16 = 0x0218;

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    let (vendor, product) = (device.vendor_id, device.product_id);
    if IDS.iter().any(|(v, p)| *v == vendor && *p == product) {
        return Claim::Yes(Tweaks::NONE);
    }
    let label = match vendor {
        BELKIN_VENDOR if product == BELKIN_HUB => return Claim::No,
        BELKIN_VENDOR => "Belkin",
        LIEBERT_VENDOR => "Liebert",
        _ => return Claim::No,
    };
    if ctx.productid_given {
        return Claim::Yes(Tweaks::NONE);
    }
    possibly_supported(label, device);
    Claim::No
}

/// Scratch key: the multiplier of Liebert's ConfigVoltage.
const CONFIG_MULT: &str = "belkin.liebert_config_voltage_mult";
/// Scratch key: the multiplier of Liebert's line (input, output, battery) voltages.
const LINE_MULT: &str = "belkin.liebert_line_voltage_mult";
/// The value a voltage reads when its exponent is off by 10⁷ (or 10⁸ for ConfigVoltage).
const BROKEN_EXPONENT_VALUE: f64 = 1e-7;

/// Whether `value` is the tell-tale reading of a broken exponent.
fn broken_exponent(value: f64) -> bool {
    (value - BROKEN_EXPONENT_VALUE).abs() < 1e-9
}

/// Liebert's ConfigVoltage: a reading of 10⁻⁷ means every voltage needs correcting (by
/// 10⁸ for this one, 10⁷ for the others, which came first in the walk).
fn liebert_config_voltage_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    if value < 1.0 {
        if broken_exponent(value) {
            ctx.scratch.insert(CONFIG_MULT, 1e8);
            ctx.scratch.insert(LINE_MULT, 1e7);
            tracing::debug!("ConfigVoltage = {value} -> assuming correction factor = 1e8");
        } else {
            tracing::info!("ConfigVoltage exponent looks wrong, but not correcting.");
        }
    }
    let mult = ctx.scratch.get(CONFIG_MULT).copied().unwrap_or(1.0);
    Some(c_buffer(format!("{:.1}", value * mult), 10))
}

/// A Liebert input, output or battery voltage, corrected when its exponent is broken.
fn liebert_line_voltage_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    if value < 1.0 {
        if broken_exponent(value) {
            ctx.scratch.insert(LINE_MULT, 1e7);
            tracing::debug!("Input/OutputVoltage = {value} -> assuming correction factor = 1e7");
        } else {
            tracing::info!("LineVoltage exponent looks wrong, but not correcting.");
        }
    }
    let mult = ctx.scratch.get(LINE_MULT).copied().unwrap_or(1.0);
    Some(c_buffer(format!("{:.1}", value * mult), 10))
}

/// A status word set by any non-zero value (Liebert's bits may read 10⁻⁷ too).
macro_rules! nonzero_word {
    ($name:ident, $word:literal) => {
        #[doc = concat!("`", $word, "` for any non-zero value.")]
        fn $name(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
            Some(
                if value != 0.0 {
                    $word
                } else {
                    concat!("!", $word)
                }
                .into(),
            )
        }
    };
}

nonzero_word!(liebert_online, "online");
nonzero_word!(liebert_discharging, "dischrg");
nonzero_word!(liebert_charging, "chrg");
nonzero_word!(liebert_lowbatt, "lowbatt");
nonzero_word!(liebert_replacebatt, "replacebatt");
nonzero_word!(liebert_shutdownimm, "shutdownimm");

/// A status word set by one bit of a Belkin status byte.
macro_rules! bit_word {
    ($name:ident, $mask:literal, $word:literal) => {
        #[doc = concat!("`", $word, "` when bit mask ", stringify!($mask), " is set.")]
        fn $name(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
            let set = (value as i64) & $mask != 0;
            Some(if set { $word } else { concat!("!", $word) }.into())
        }
    };
}

bit_word!(belkin_overload, 0x0010, "overload");
bit_word!(belkin_overheat, 0x0040, "overheat");
bit_word!(belkin_commfault, 0x0080, "commfault");
bit_word!(belkin_awaitingpower, 0x2000, "awaitingpower");
bit_word!(belkin_lowbatt, 0x0004, "lowbatt");
bit_word!(belkin_depleted, 0x0040, "depleted");
bit_word!(belkin_replacebatt, 0x0080, "replacebatt");

/// Bit 0 of Belkin's power status is "AC failure": set means on battery.
fn belkin_online(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(
        if (value as i64) & 0x0001 != 0 {
            "!online"
        } else {
            "online"
        }
        .into(),
    )
}

/// The firmware version: the high nibble of the UPS type byte.
fn belkin_firmware(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(((value as i64) >> 4).to_string())
}

/// The UPS type: the low nibble of the UPS type byte.
fn belkin_upstype(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let kind = match (value as i64) & 0x0f {
        1 => "offline",
        2 => "line-interactive",
        3 => "simple online",
        4 => "simple offline",
        5 => "simple line-interactive",
        _ => "online",
    };
    Some(kind.into())
}

/// The voltage sensitivity.
fn belkin_sensitivity(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let level = match value as i64 {
        1 => "reduced",
        2 => "low",
        _ => "normal",
    };
    Some(level.into())
}

/// Belkin's battery test results.
static BELKIN_TEST: [(i64, &str); 6] = [
    (0, "No test initiated"),
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
];

/// A conversion without a way back.
const fn fun(to_nut: ToNut) -> Lookup {
    Lookup::Fun {
        to_nut,
        to_hid: None,
    }
}

const LINE_VOLTAGE: Lookup = fun(liebert_line_voltage_to_nut);
const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // Belkin's own usages
    HidInfo::var("battery.charge", "UPS.BELKINBatterySystem.BELKINCharge", "%.0f"),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID),
    HidInfo::lookup("battery.voltage", "UPS.BELKINBatterySystem.BELKINVoltage", DIVIDE_BY_10),
    HidInfo::var("battery.voltage.nominal", "UPS.BELKINConfig.BELKINConfigBatteryVoltage", "%.0f"),
    HidInfo::lookup("input.frequency", "UPS.BELKINPowerState.BELKINInput.BELKINFrequency", DIVIDE_BY_10),
    HidInfo::var("input.frequency.nominal", "UPS.BELKINConfig.BELKINConfigFrequency", "%.0f"),
    HidInfo::lookup("input.sensitivity", "UPS.BELKINDevice.BELKINVoltageSensitivity", fun(belkin_sensitivity)).rw(10),
    HidInfo::var("input.transfer.high", "UPS.BELKINConfig.BELKINHighVoltageTransfer", "%.0f").rw(10),
    HidInfo::var("input.transfer.high.max", "UPS.BELKINConfig.BELKINHighVoltageTransferMax", "%.0f"),
    HidInfo::var("input.transfer.high.min", "UPS.BELKINConfig.BELKINHighVoltageTransferMin", "%.0f"),
    HidInfo::var("input.transfer.low", "UPS.BELKINConfig.BELKINLowVoltageTransfer", "%.0f").rw(10),
    HidInfo::var("input.transfer.low.max", "UPS.BELKINConfig.BELKINLowVoltageTransferMax", "%.0f"),
    HidInfo::var("input.transfer.low.min", "UPS.BELKINConfig.BELKINLowVoltageTransferMin", "%.0f"),
    HidInfo::lookup("input.voltage", "UPS.BELKINPowerState.BELKINInput.BELKINVoltage", DIVIDE_BY_10),
    HidInfo::var("input.voltage.nominal", "UPS.BELKINConfig.BELKINConfigVoltage", "%.0f"),
    HidInfo::lookup("output.frequency", "UPS.BELKINPowerState.BELKINOutput.BELKINFrequency", DIVIDE_BY_10),
    HidInfo::lookup("output.voltage", "UPS.BELKINPowerState.BELKINOutput.BELKINVoltage", DIVIDE_BY_10),
    HidInfo::table("ups.beeper.status", "UPS.BELKINControls.BELKINAudibleAlarmControl", &BEEPER),
    HidInfo::absent("ups.delay.start", "UPS.BELKINControls.BELKINDelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.BELKINControls.BELKINDelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.BELKINControls.BELKINDelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.BELKINControls.BELKINDelayBeforeReboot", "%.0f").quick(),
    HidInfo::lookup("ups.firmware", "UPS.BELKINDevice.BELKINUPSType", fun(belkin_firmware)),
    HidInfo::var("ups.load", "UPS.BELKINPowerState.BELKINOutput.BELKINPercentLoad", "%.0f"),
    HidInfo::var("ups.load.high", "UPS.BELKINConfig.BELKINConfigOverloadTransfer", "%.0f"),
    HidInfo::lookup("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", DATE),
    HidInfo::var("ups.power.nominal", "UPS.BELKINConfig.BELKINConfigApparentPower", "%.0f"),
    HidInfo::lookup("ups.serial", "UPS.PowerSummary.iSerialNumber", STRING_ID),
    HidInfo::table("ups.test.result", "UPS.BELKINControls.BELKINTest", &BELKIN_TEST),
    HidInfo::lookup("ups.type", "UPS.BELKINDevice.BELKINUPSType", fun(belkin_upstype)),
    // Liebert PSA
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f").quick(),
    HidInfo::lookup("input.frequency", "UPS.Input.Frequency", DIVIDE_BY_10),
    HidInfo::lookup("input.voltage", "UPS.Input.Voltage", LINE_VOLTAGE),
    HidInfo::lookup("output.voltage", "UPS.Output.Voltage", LINE_VOLTAGE),
    // the battery voltage is off by the line voltages' factor, not the nominal one's
    HidInfo::lookup("battery.voltage", "UPS.PowerSummary.Voltage", LINE_VOLTAGE),
    HidInfo::lookup("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", fun(liebert_config_voltage_to_nut)).once(),
    HidInfo::var("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    // status
    HidInfo::lookup("BOOL", "UPS.PowerSummary.Discharging", fun(liebert_discharging)).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.Charging", fun(liebert_charging)).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.ShutdownImminent", fun(liebert_shutdownimm)),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.ACPresent", fun(liebert_online)).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.Discharging", fun(liebert_discharging)).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.Charging", fun(liebert_charging)).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.ShutdownImminent", fun(liebert_shutdownimm)),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.ACPresent", fun(liebert_online)).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.NeedReplacement", fun(liebert_replacebatt)).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", fun(liebert_lowbatt)).quick(),
    HidInfo::lookup("BOOL", "UPS.BELKINStatus.BELKINPowerStatus", fun(belkin_overload)),
    HidInfo::lookup("BOOL", "UPS.BELKINStatus.BELKINPowerStatus", fun(belkin_overheat)),
    HidInfo::lookup("BOOL", "UPS.BELKINStatus.BELKINPowerStatus", fun(belkin_commfault)),
    HidInfo::lookup("BOOL", "UPS.BELKINStatus.BELKINPowerStatus", fun(belkin_awaitingpower)),
    HidInfo::lookup("BOOL", "UPS.BELKINStatus.BELKINPowerStatus", fun(belkin_online)).quick(),
    HidInfo::lookup("BOOL", "UPS.BELKINStatus.BELKINBatteryStatus", fun(belkin_depleted)).quick(),
    HidInfo::lookup("BOOL", "UPS.BELKINStatus.BELKINBatteryStatus", fun(belkin_replacebatt)),
    HidInfo::lookup("BOOL", "UPS.BELKINStatus.BELKINBatteryStatus", fun(belkin_lowbatt)).quick(),
    // instant commands
    HidInfo::cmd("test.battery.start.quick", "UPS.BELKINControls.BELKINTest", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.BELKINControls.BELKINTest", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.BELKINControls.BELKINTest", "3"),
    HidInfo::cmd("beeper.on", "UPS.BELKINControls.BELKINAudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.off", "UPS.BELKINControls.BELKINAudibleAlarmControl", "3"),
    HidInfo::cmd("beeper.disable", "UPS.BELKINControls.BELKINAudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.enable", "UPS.BELKINControls.BELKINAudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.mute", "UPS.BELKINControls.BELKINAudibleAlarmControl", "3"),
    HidInfo::cmd("load.off", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "1"),
    HidInfo::cmd("load.on", "UPS.BELKINControls.BELKINDelayBeforeStartup", "1"),
    HidInfo::cmd("load.off.delay", "UPS.BELKINControls.BELKINDelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.BELKINControls.BELKINDelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.BELKINControls.BELKINDelayBeforeReboot", "10"),
];

/// The product string, or "unknown" when it is missing or empty.
fn format_model(device: &UsbDeviceInfo, _: &mut nut_driver_api::DeviceState) -> Option<String> {
    match device.product.as_deref() {
        Some(p) if !p.is_empty() => Some(p.to_owned()),
        _ => Some("unknown".into()),
    }
}

/// The manufacturer string without leading spaces, or "Belkin" when that leaves nothing.
fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    let mfr = device
        .vendor
        .as_deref()
        .unwrap_or("Belkin")
        .trim_start_matches(' ');
    Some(if mfr.is_empty() { "Belkin" } else { mfr }.to_owned())
}

static USAGES: [UsageTable; 2] = [BELKIN_USAGES, HID_USAGES];

/// The Belkin/Liebert HID subdriver.
pub static BELKIN: Subdriver = Subdriver {
    name: "Belkin/Liebert HID 0.18",
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
        let ctx = ClaimContext::default();
        for (v, p) in IDS {
            assert_eq!(
                claim(&UsbDeviceInfo::new(v, p), &ctx),
                Claim::Yes(Tweaks::NONE)
            );
        }
        for (v, p) in [(BELKIN_VENDOR, 0x0999), (LIEBERT_VENDOR, 0x0000)] {
            let d = UsbDeviceInfo::new(v, p);
            assert_eq!(claim(&d, &ctx), Claim::No);
            assert_eq!(claim(&d, &given()), Claim::Yes(Tweaks::NONE));
        }
        // the Belkin hub, never
        assert_eq!(
            claim(&UsbDeviceInfo::new(BELKIN_VENDOR, BELKIN_HUB), &given()),
            Claim::No
        );
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x06da, 0xffff), &given()),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&BELKIN), Vec::<&str>::new());
    }

    fn run(f: ToNut, v: f64) -> String {
        let mut state = state_for(BELKIN_VENDOR, 0x0980);
        convert(f, &mut state, &mut HashMap::new(), v).unwrap_or_default()
    }

    #[test]
    fn belkin_conversions() {
        // UPS type 0x52: firmware 5, line-interactive
        assert_eq!(run(belkin_firmware, 82.0), "5");
        assert_eq!(run(belkin_upstype, 82.0), "line-interactive");
        assert_eq!(run(belkin_upstype, 0x30 as f64), "online");
        assert_eq!(run(belkin_upstype, 0x35 as f64), "simple line-interactive");
        assert_eq!(run(belkin_sensitivity, 0.0), "normal");
        assert_eq!(run(belkin_sensitivity, 1.0), "reduced");
        assert_eq!(run(belkin_sensitivity, 2.0), "low");
        // power status 0x2011: AC failure, overload, awaiting power
        let power = f64::from(0x2011);
        assert_eq!(run(belkin_online, power), "!online");
        assert_eq!(run(belkin_overload, power), "overload");
        assert_eq!(run(belkin_awaitingpower, power), "awaitingpower");
        assert_eq!(run(belkin_overheat, power), "!overheat");
        assert_eq!(run(belkin_commfault, power), "!commfault");
        assert_eq!(run(belkin_online, 0.0), "online");
        // battery status 0xc4: low, empty, replace
        let battery = f64::from(0xc4);
        assert_eq!(run(belkin_lowbatt, battery), "lowbatt");
        assert_eq!(run(belkin_depleted, battery), "depleted");
        assert_eq!(run(belkin_replacebatt, battery), "replacebatt");
        assert_eq!(run(belkin_replacebatt, 4.0), "!replacebatt");
    }

    #[test]
    fn liebert_bits_take_any_nonzero_value() {
        assert_eq!(run(liebert_online, 1e-7), "online");
        assert_eq!(run(liebert_online, 0.0), "!online");
        assert_eq!(run(liebert_discharging, 1.0), "dischrg");
        assert_eq!(run(liebert_charging, 0.0), "!chrg");
        assert_eq!(run(liebert_lowbatt, 1.0), "lowbatt");
        assert_eq!(run(liebert_replacebatt, 0.0), "!replacebatt");
        assert_eq!(run(liebert_shutdownimm, 1.0), "shutdownimm");
    }

    #[test]
    fn liebert_voltage_exponents() {
        let mut state = state_for(LIEBERT_VENDOR, 0x0001);
        let mut scratch = HashMap::new();
        // sound readings stay as they are
        assert_eq!(
            convert(liebert_line_voltage_to_nut, &mut state, &mut scratch, 230.4).as_deref(),
            Some("230.4")
        );
        // a line voltage of 1.2e-5 V (120 V off by 1e7) is not the tell-tale 1e-7 value
        assert_eq!(
            convert(
                liebert_line_voltage_to_nut,
                &mut state,
                &mut scratch,
                1.2e-5
            )
            .as_deref(),
            Some("0.0")
        );
        // a ConfigVoltage of 1e-7 sets both factors
        assert_eq!(
            convert(
                liebert_config_voltage_to_nut,
                &mut state,
                &mut scratch,
                1e-7
            )
            .as_deref(),
            Some("10.0")
        );
        assert_eq!(
            convert(
                liebert_line_voltage_to_nut,
                &mut state,
                &mut scratch,
                1.2e-5
            )
            .as_deref(),
            Some("120.0")
        );
        assert_eq!(
            convert(
                liebert_config_voltage_to_nut,
                &mut state,
                &mut scratch,
                1.2e-7
            )
            .as_deref(),
            Some("12.0")
        );
        // a line reading of 1e-7 sets the line factor alone
        let mut scratch = HashMap::new();
        assert_eq!(
            convert(liebert_line_voltage_to_nut, &mut state, &mut scratch, 1e-7).as_deref(),
            Some("1.0")
        );
        assert_eq!(
            convert(
                liebert_line_voltage_to_nut,
                &mut state,
                &mut scratch,
                2.3e-5
            )
            .as_deref(),
            Some("230.0")
        );
        assert_eq!(
            convert(
                liebert_config_voltage_to_nut,
                &mut state,
                &mut scratch,
                24.0
            )
            .as_deref(),
            Some("24.0")
        );
        // C's 10-byte buffer
        assert_eq!(
            convert(liebert_line_voltage_to_nut, &mut state, &mut scratch, 1.0).as_deref(),
            Some("10000000.")
        );
    }

    #[test]
    fn model_and_maker() {
        let mut state = nut_driver_api::DeviceState::new();
        let mut d = UsbDeviceInfo::new(BELKIN_VENDOR, 0x0980);
        assert_eq!(format_model(&d, &mut state).as_deref(), Some("unknown"));
        assert_eq!(format_mfr(&d).as_deref(), Some("Belkin"));
        d.product = Some(String::new());
        d.vendor = Some("   ".into());
        assert_eq!(format_model(&d, &mut state).as_deref(), Some("unknown"));
        assert_eq!(format_mfr(&d).as_deref(), Some("Belkin"));
        d.product = Some("F6C800-UNV".into());
        d.vendor = Some("  BELKIN ".into());
        assert_eq!(format_model(&d, &mut state).as_deref(), Some("F6C800-UNV"));
        assert_eq!(format_mfr(&d).as_deref(), Some("BELKIN "));
    }

    #[test]
    fn recorded_liebert_units_map_their_variables() {
        let units: [(&str, &[&str]); 2] = [
            (
                "Liebert_GXT4",
                &[
                    "battery.charge",
                    "battery.voltage",
                    "battery.voltage.nominal",
                    "BOOL",
                ],
            ),
            (
                "Liebert_PSA5",
                &["battery.charge", "battery.runtime", "BOOL"],
            ),
        ];
        for (unit, expected) in units {
            let Some(desc) = corpus_descriptor(unit) else {
                return;
            };
            let mapped = mapped_vars(&BELKIN, &desc);
            for var in expected {
                assert!(mapped.contains(var), "{unit}: {var} not mapped: {mapped:?}");
            }
        }
    }
}
