//! openUPS (Minibox, vendor 0x04d8): the table of C NUT 2.8.0's "openUPS HID 0.5"
//! subdriver, with its per-product voltage and current scales and its thermistor table.
//!
//! One deviation from C 2.8.0: C reads the BatteryPresent bit backwards (a battery that
//! is there raises "No battery installed!"); this uses the shared table, as later C does.

use nut_driver_api::DeviceState;

use super::lookups::*;
use super::subdriver::{
    claim_by_ids, no_fix, plain_model, plain_serial, Claim, ClaimContext, DeviceId, Subdriver,
    Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup};
use crate::usb::hid::{vendor_usages::OPENUPS_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// Minibox's USB vendor id.
pub const OPENUPS_VENDOR: u16 = 0x04d8;

static IDS: [DeviceId; 2] = [
    // openUPS Intelligent UPS (firmware 1.4 or later)
    (OPENUPS_VENDOR, 0xd004, Tweaks::NONE),
    (OPENUPS_VENDOR, 0xd005, Tweaks::NONE),
];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    claim_by_ids(&IDS, "openUPS", device, ctx)
}

/// Multipliers of the raw readings: input voltage, output voltage, charge current and
/// discharge current.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scales {
    vin: f64,
    vout: f64,
    ccharge: f64,
    cdischarge: f64,
}

/// The scales of the device the driver runs on (from the product id it published).
fn scales(state: &DeviceState) -> Scales {
    let product = state
        .value("ups.productid")
        .and_then(|v| u16::from_str_radix(v, 16).ok());
    match product {
        Some(0xd004) => Scales {
            vin: 0.03545 * 100.0,
            vout: 0.02571 * 100.0,
            ccharge: 0.8274 / 10.0,
            cdischarge: 16.113 / 10.0,
        },
        // the two currents are unverified on this one
        Some(0xd005) => Scales {
            vin: 0.1,
            vout: 0.1,
            ccharge: 0.1,
            cdischarge: 0.1,
        },
        _ => Scales {
            vin: 1.0,
            vout: 1.0,
            ccharge: 1.0,
            cdischarge: 1.0,
        },
    }
}

/// The input voltage.
fn vin_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(c_buffer(
        format!("{:.2}", value * scales(ctx.state).vin),
        20,
    ))
}

/// The output voltage.
fn vout_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(c_buffer(
        format!("{:.2}", value * scales(ctx.state).vout),
        20,
    ))
}

/// The charge (input) current.
fn ccharge_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(c_buffer(
        format!("{:.3}", value * scales(ctx.state).ccharge),
        20,
    ))
}

/// The discharge (output) current.
fn cdischarge_to_nut(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(c_buffer(
        format!("{:.3}", value * scales(ctx.state).cdischarge),
        20,
    ))
}

/// Thermistor readings (×100) at -40 °C, -35 °C, … 125 °C, from the vendor's monitor.
const THERMISTOR: [u32; 34] = [
    0x31, 0x40, 0x53, 0x68, 0x82, 0xA0, 0xC3, 0xE9, 0x113, 0x13F, 0x16E, 0x19F, 0x1CF, 0x200,
    0x22F, 0x25C, 0x286, 0x2AE, 0x2D3, 0x2F4, 0x312, 0x32D, 0x345, 0x35A, 0x36D, 0x37E, 0x38C,
    0x399, 0x3A5, 0x3AF, 0x3B7, 0x3BF, 0x3C6, 0x3CC,
];

/// The temperature (°C) of a thermistor reading, interpolated in [`THERMISTOR`].
fn temperature_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let reading = (value * 100.0) as u32;
    let last = THERMISTOR.len() - 1;
    if reading <= THERMISTOR[0] {
        return Some("-40".into());
    }
    if reading >= THERMISTOR[last] {
        return Some("125".into());
    }
    let pos = THERMISTOR.iter().rposition(|t| reading >= *t).unwrap_or(0);
    let celsius = |i: usize| i as i64 * 5 - 40;
    if reading == THERMISTOR[pos] {
        return Some(celsius(pos).to_string());
    }
    let (t1, t2) = (celsius(pos), celsius(pos + 1));
    let (d1, d2) = (THERMISTOR[pos], THERMISTOR[pos + 1]);
    let temp = f64::from(reading - d1) * (t2 - t1) as f64 / f64::from(d2 - d1) + t1 as f64;
    Some(format!("{temp:.2}"))
}

/// A bit that reads `on` when set and `!on` when clear.
macro_rules! bit_fun {
    ($name:ident, $set:literal, $clear:literal) => {
        #[doc = concat!("`", $set, "` when the bit is set, `", $clear, "` otherwise.")]
        fn $name(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
            Some(if value != 0.0 { $set } else { $clear }.into())
        }
    };
}

bit_fun!(charging_to_nut, "chrg", "!chrg");
bit_fun!(discharging_to_nut, "dischrg", "!dischrg");
bit_fun!(online_to_nut, "online", "!online");
bit_fun!(good_to_nut, "!off", "off");

/// A conversion without a way back.
const fn fun(to_nut: super::table::ToNut) -> Lookup {
    Lookup::Fun {
        to_nut,
        to_hid: None,
    }
}

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    HidInfo::lookup("ups.serial", "UPS.PowerSummary.iSerialNumber", STRING_ID),
    // battery
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID).once(),
    HidInfo::lookup("battery.mfr.date", "UPS.PowerSummary.iOEMInformation", STRING_ID).once(),
    HidInfo::var("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f").quick(),
    HidInfo::var("battery.current", "UPS.PowerSummary.Current", "%.3f").quick(),
    HidInfo::var("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f").once(),
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f").quick(),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").quick(),
    HidInfo::var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f").quick(),
    HidInfo::lookup("battery.temperature", "UPS.PowerSummary.Temperature", fun(temperature_to_nut)).quick(),
    // output
    HidInfo::lookup("output.voltage", "UPS.PowerSummary.Output.Voltage", fun(vout_to_nut)).quick(),
    HidInfo::lookup("output.current", "UPS.PowerSummary.Output.Current", fun(cdischarge_to_nut)).quick(),
    // input
    HidInfo::lookup("input.voltage", "UPS.PowerSummary.Input.Voltage", fun(vin_to_nut)).quick(),
    HidInfo::lookup("input.current", "UPS.PowerSummary.Input.Current", fun(ccharge_to_nut)).quick(),
    // status
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.Good", fun(good_to_nut)).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.InternalFailure", &COMMFAULT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.OverTemperature", &OVERHEAT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", &TIMELIMITEXPIRED).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.Charging", fun(charging_to_nut)).quick(),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.Discharging", fun(discharging_to_nut)).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT),
    HidInfo::lookup("BOOL", "UPS.PowerSummary.PresentStatus.ACPresent", fun(online_to_nut)).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BatteryPresent", &NOBATTERY).quick(),
];

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "openUPS".into()))
}

static USAGES: [UsageTable; 2] = [OPENUPS_USAGES, HID_USAGES];

/// The openUPS HID subdriver.
pub static OPENUPS: Subdriver = Subdriver {
    name: "openUPS HID 0.5",
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
    use crate::usb::hid_ups::table::test_support::{convert, state_for, unresolved_paths};
    use std::collections::HashMap;

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        for product in [0xd004, 0xd005] {
            let d = UsbDeviceInfo::new(OPENUPS_VENDOR, product);
            assert_eq!(claim(&d, &ctx), Claim::Yes(Tweaks::NONE));
        }
        let unknown = UsbDeviceInfo::new(OPENUPS_VENDOR, 0xd006);
        assert_eq!(claim(&unknown, &ctx), Claim::No);
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        assert!(matches!(claim(&unknown, &given), Claim::Yes(_)));
        assert_eq!(
            claim(&UsbDeviceInfo::new(0xd004, 0x04d8), &given),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&OPENUPS), Vec::<&str>::new());
    }

    #[test]
    fn scaled_readings() {
        let mut scratch = HashMap::new();
        let mut d004 = state_for(OPENUPS_VENDOR, 0xd004);
        // d004: raw × 3.545, × 2.571, × 0.08274, × 1.6113
        assert_eq!(
            convert(vin_to_nut, &mut d004, &mut scratch, 100.0).as_deref(),
            Some("354.50")
        );
        assert_eq!(
            convert(vout_to_nut, &mut d004, &mut scratch, 100.0).as_deref(),
            Some("257.10")
        );
        assert_eq!(
            convert(ccharge_to_nut, &mut d004, &mut scratch, 10.0).as_deref(),
            Some("0.827")
        );
        assert_eq!(
            convert(cdischarge_to_nut, &mut d004, &mut scratch, 10.0).as_deref(),
            Some("16.113")
        );
        let mut d005 = state_for(OPENUPS_VENDOR, 0xd005);
        assert_eq!(
            convert(vin_to_nut, &mut d005, &mut scratch, 121.0).as_deref(),
            Some("12.10")
        );
        assert_eq!(
            convert(cdischarge_to_nut, &mut d005, &mut scratch, 15.0).as_deref(),
            Some("1.500")
        );
        // an unlisted product (taken with productid): as read
        let mut other = state_for(OPENUPS_VENDOR, 0xd006);
        assert_eq!(
            convert(vout_to_nut, &mut other, &mut scratch, 12.5).as_deref(),
            Some("12.50")
        );
    }

    #[test]
    fn thermistor_table() {
        let mut state = state_for(OPENUPS_VENDOR, 0xd004);
        let mut scratch = HashMap::new();
        let mut t = |v: f64| convert(temperature_to_nut, &mut state, &mut scratch, v);
        assert_eq!(t(0.2).as_deref(), Some("-40"));
        assert_eq!(t(0.49).as_deref(), Some("-40"));
        assert_eq!(t(10.0).as_deref(), Some("125"));
        // 0x200 = 512 is the 14th entry: 13 × 5 - 40 = 25 °C
        assert_eq!(t(5.12).as_deref(), Some("25"));
        // halfway between 0x200 (25 °C) and 0x22F (30 °C): 512 + 23 = 535 → 25 + 5·23/47
        assert_eq!(t(5.35).as_deref(), Some("27.45"));
        assert_eq!(t(-3.0).as_deref(), Some("-40"));
        assert_eq!(t(f64::NAN).as_deref(), Some("-40"));
    }

    #[test]
    fn status_bits() {
        let mut state = DeviceState::new();
        let mut scratch = HashMap::new();
        let mut run = |f, v| convert(f, &mut state, &mut scratch, v);
        assert_eq!(run(charging_to_nut, 1.0).as_deref(), Some("chrg"));
        assert_eq!(run(discharging_to_nut, 0.0).as_deref(), Some("!dischrg"));
        assert_eq!(run(online_to_nut, 1.0).as_deref(), Some("online"));
        assert_eq!(run(good_to_nut, 1.0).as_deref(), Some("!off"));
        assert_eq!(run(good_to_nut, 0.0).as_deref(), Some("off"));
        // a battery that is there is no alarm
        assert_eq!(
            NOBATTERY.iter().find(|(v, _)| *v == 1).map(|(_, w)| *w),
            Some("!nobattery")
        );
    }
}
