//! Legrand (vendor 0x1cb0): Keor PDU and Keor SP. The table follows C NUT 2.8.0's
//! "Legrand HID 0.2" subdriver; both models need the interrupt pipe off.

use nut_driver_api::DeviceState;

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, no_fix, plain_serial, Claim, ClaimContext, DeviceId, Subdriver, Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup};
use crate::usb::hid::{vendor_usages::LEGRAND_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// Legrand's USB vendor id.
pub const LEGRAND_VENDOR: u16 = 0x1cb0;

/// C logs this once when it turns the interrupt pipe off.
const POLL_ONLY: Tweaks = Tweaks {
    no_interrupt: true,
    ..Tweaks::NONE
};

static IDS: [DeviceId; 2] = [
    // Keor PDU (800 VA)
    (LEGRAND_VENDOR, 0x0038, POLL_ONLY),
    // Keor SP (600 to 2000 VA)
    (LEGRAND_VENDOR, 0x0032, POLL_ONLY),
];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    let claim = claim_by_ids(&IDS, "Legrand", device, ctx);
    if matches!(claim, Claim::Yes(t) if t.no_interrupt) {
        tracing::info!(
            "interrupt pipe disabled (add 'pollonly' flag to 'ups.conf' to get rid of this message)"
        );
    }
    claim
}

/// The value times `factor`, with one decimal.
fn times(value: f64, factor: f64) -> Option<String> {
    Some(format!("{:.1}", value * factor))
}

fn times_10(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    times(value, 10.0)
}

fn times_100k(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    times(value, 100_000.0)
}

fn times_1m(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    times(value, 1_000_000.0)
}

fn times_10m(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    times(value, 10_000_000.0)
}

const TIMES_10: Lookup = Lookup::Fun {
    to_nut: times_10,
    to_hid: None,
};
const TIMES_100K: Lookup = Lookup::Fun {
    to_nut: times_100k,
    to_hid: None,
};
const TIMES_1M: Lookup = Lookup::Fun {
    to_nut: times_1m,
    to_hid: None,
};
const TIMES_10M: Lookup = Lookup::Fun {
    to_nut: times_10m,
    to_hid: None,
};

const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    HidInfo::var("input.voltage", "UPS.Input.Voltage", "%.0f"),
    HidInfo::lookup("input.voltage", "UPS.PowerConverter.Input.Voltage", TIMES_1M),
    HidInfo::var("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f").once(),
    HidInfo::lookup("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", TIMES_10).once(),
    HidInfo::var("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f").once(),
    HidInfo::var("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f").once(),
    HidInfo::var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f").once(),
    HidInfo::var("input.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f").once(),
    HidInfo::lookup("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", DIVIDE_BY_10).once(),
    HidInfo::var("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.0f").once(),
    HidInfo::lookup("battery.voltage", "UPS.PowerSummary.Voltage", DIVIDE_BY_10),
    HidInfo::lookup("battery.voltage", "UPS.BatterySystem.Battery.Voltage", TIMES_100K),
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    // C's path (sic): the standard usage is "RunTimeToEmpty"; names match ignoring case.
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RuntimeToEmpty", "%.0f"),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f").once(),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").once(),
    HidInfo::var("output.voltage", "UPS.Output.Voltage", "%.0f"),
    HidInfo::lookup("output.voltage", "UPS.PowerConverter.Output.Voltage", TIMES_10M),
    HidInfo::var("output.frequency", "UPS.Output.Frequency", "%.0f"),
    HidInfo::var("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    HidInfo::var("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    HidInfo::var("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f").once(),
    HidInfo::var("ups.realpower.nominal", "UPS.Flow.ConfigApparentPower", "%.0f").once(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Charging", &CHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.Output.Overload", &OVERLOAD).quick(),
    HidInfo::absent("ups.delay.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::absent("ups.delay.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::absent("ups.delay.start", "UPS.Output.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::cmd("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    HidInfo::cmd("test.battery.start.quick", "UPS.Output.Test", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.Output.Test", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.Output.Test", "3"),
    HidInfo::cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

fn format_model(device: &UsbDeviceInfo, _: &mut DeviceState) -> Option<String> {
    device.product.clone()
}

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "Legrand".into()))
}

static USAGES: [UsageTable; 2] = [LEGRAND_USAGES, HID_USAGES];

/// The Legrand subdriver.
pub static LEGRAND: Subdriver = Subdriver {
    name: "Legrand HID 0.2",
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
        for product in [0x0038, 0x0032] {
            let d = UsbDeviceInfo::new(LEGRAND_VENDOR, product);
            assert_eq!(claim(&d, &ctx), Claim::Yes(POLL_ONLY));
        }
        let d = UsbDeviceInfo::new(LEGRAND_VENDOR, 0x0001);
        assert_eq!(claim(&d, &ctx), Claim::No);
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        // An unknown product taken on request gets no workaround.
        assert_eq!(claim(&d, &given), Claim::Yes(Tweaks::NONE));
        // Keor DK is a Megatec device on a Cypress bridge, not Legrand's id.
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0665, 0x5161), &given),
            Claim::No
        );
    }

    #[test]
    fn conversions() {
        let mut state = DeviceState::new();
        let mut scratch = HashMap::new();
        let mut run = |f: ToNut, v: f64| convert(f, &mut state, &mut scratch, v);
        assert_eq!(run(times_10, 23.4).as_deref(), Some("234.0"));
        assert_eq!(run(times_100k, 0.000_136).as_deref(), Some("13.6"));
        assert_eq!(run(times_1m, 0.000_230).as_deref(), Some("230.0"));
        assert_eq!(run(times_10m, 0.000_023).as_deref(), Some("230.0"));
        assert_eq!(run(divide_by_10_to_nut, 136.0).as_deref(), Some("13.6"));
    }

    #[test]
    fn strings() {
        let mut d = UsbDeviceInfo::new(LEGRAND_VENDOR, 0x0032);
        assert_eq!(format_mfr(&d).as_deref(), Some("Legrand"));
        d.vendor = Some("LEGRAND".into());
        assert_eq!(format_mfr(&d).as_deref(), Some("LEGRAND"));
    }

    #[test]
    fn paths_resolve() {
        assert!(
            unresolved_paths(&LEGRAND).is_empty(),
            "{:?}",
            unresolved_paths(&LEGRAND)
        );
    }

    #[test]
    fn corpus_units() {
        for (folder, product) in [
            ("Legrand_Keor-PDU-800", 0x0038),
            ("Legrand_UPS-1cb0-0032", 0x0032),
        ] {
            let Some(mut desc) = corpus_descriptor(folder) else {
                return;
            };
            let d = UsbDeviceInfo::new(LEGRAND_VENDOR, product);
            let before = desc.clone();
            assert!(!(LEGRAND.fix_report_desc)(&d, &mut desc));
            assert_eq!(desc, before);
            let has = |path: &str| {
                string_to_path(path, LEGRAND.usages).is_some_and(|p| desc.find(&p, None).is_some())
            };
            assert!(has("UPS.PowerSummary.RemainingCapacity"), "{folder}");
            assert!(has("UPS.PowerSummary.PresentStatus.ACPresent"), "{folder}");
        }
    }
}
