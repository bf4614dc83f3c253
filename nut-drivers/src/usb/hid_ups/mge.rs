//! Eaton / MGE (vendor 0x0463) and the units built on them: Dell (0x047c), Powerware
//! (0x0592), HP (0x03f0), AEG (0x2b2d, and AEG-branded Phoenixtec 0x06da), IBM (0x04b3).
//! The table follows C NUT 2.8.0's "MGE HID 1.46" subdriver: the same paths, formats,
//! conversions (Advanced Battery Monitoring, model-dependent battery values, the device
//! clock, eco settings, nominal voltages), status bits, alarms and commands.
//!
//! C reads the model name (`iModel`, else the nominal power) in its `format_model`; here
//! the first two table lines do it during the first walk (see [`MODEL_LINE`]), before any
//! line whose conversion depends on the model type.

mod clock;
mod conv;

use nut_driver_api::DeviceState;

use self::clock::*;
use self::conv::*;
use super::lookups::*;
use super::subdriver::{
    no_fix, plain_serial, possibly_supported, Claim, ClaimContext, Subdriver, Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup, ST_STRING};
use crate::usb::hid::{vendor_usages::MGE_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// Eaton's (formerly MGE Office Protection Systems) USB vendor id.
pub const MGE_VENDOR: u16 = 0x0463;
/// Dell.
pub const DELL_VENDOR: u16 = 0x047c;
/// Powerware.
pub const POWERWARE_VENDOR: u16 = 0x0592;
/// Hewlett Packard.
pub const HP_VENDOR: u16 = 0x03f0;
/// AEG.
pub const AEG_VENDOR: u16 = 0x2b2d;
/// Phoenixtec: the Liebert subdriver's, except for AEG PROTECT NAS units.
pub const PHOENIXTEC_VENDOR: u16 = 0x06da;
/// IBM.
pub const IBM_VENDOR: u16 = 0x04b3;

static IDS: [(u16, u16); 11] = [
    (MGE_VENDOR, 0x0001),
    (MGE_VENDOR, 0xffff),
    (DELL_VENDOR, 0xffff),
    // PW 9140
    (POWERWARE_VENDOR, 0x0004),
    // R/T3000
    (HP_VENDOR, 0x1fe5),
    (HP_VENDOR, 0x1fe6),
    (HP_VENDOR, 0x1fe7),
    (HP_VENDOR, 0x1fe8),
    // PROTECT B / NAS
    (AEG_VENDOR, 0xffff),
    (PHOENIXTEC_VENDOR, 0xffff),
    // 6000 VA LCD 4U rack; 5396-1Kx
    (IBM_VENDOR, 0x0001),
];

/// Whether the maker or product string names AEG.
fn is_aeg(device: &UsbDeviceInfo) -> bool {
    [&device.vendor, &device.product]
        .iter()
        .any(|s| s.as_deref().is_some_and(|s| s.contains("AEG")))
}

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    let known_vendor = IDS.iter().any(|(v, _)| *v == device.vendor_id);
    let listed = IDS
        .iter()
        .any(|(v, p)| *v == device.vendor_id && *p == device.product_id);
    let yes = Claim::Yes(Tweaks::NONE);
    match device.vendor_id {
        // Phoenixtec ids are Liebert's unless the unit says AEG.
        PHOENIXTEC_VENDOR if is_aeg(device) => yes,
        PHOENIXTEC_VENDOR => Claim::No,
        _ if listed => yes,
        _ if !known_vendor => Claim::No,
        _ if ctx.productid_given => yes,
        // These makers have many USB devices that are not UPSes: no note for them.
        HP_VENDOR | DELL_VENDOR => Claim::No,
        _ => {
            possibly_supported("Eaton / MGE", device);
            Claim::No
        }
    }
}

static ENABLE_DISABLE: [(i64, &str); 2] = [(0, "disabled"), (1, "enabled")];
static UPS_TYPE: [(i64, &str); 5] = [
    (1, "offline / line interactive"),
    (2, "online"),
    (3, "online - unitary/parallel"),
    (4, "online - parallel with hot standy"),
    (5, "online - hot standby redundancy"),
];
static SENSITIVITY: [(i64, &str); 3] = [(0, "normal"), (1, "high"), (2, "low")];
static EMERGENCY_STOP: [(i64, &str); 1] = [(1, "Emergency stop!")];
static WIRING_FAULT: [(i64, &str); 1] = [(1, "Wiring fault!")];
static CONFIG_FAILURE: [(i64, &str); 1] = [(1, "Fatal EEPROM fault!")];
static INVERTER_VOLTHI: [(i64, &str); 1] = [(1, "Inverter AC voltage too high!")];
static INVERTER_VOLTLO: [(i64, &str); 1] = [(1, "Inverter AC voltage too low!")];
static SHORT_CIRCUIT: [(i64, &str); 1] = [(1, "Output short circuit!")];
/// The input in use (or too low) means on battery.
static ONBATT: [(i64, &str); 2] = [(1, "!online"), (0, "online")];

const ABM_ENABLED: Lookup = read(abm_enabled);
const ABM_STATUS: Lookup = read(abm_status);
const ABM_CHRG_DISCHRG: Lookup = read(abm_chrg_dischrg);
const DISCHARGING_UNLESS_ABM: Lookup = read(check_dischrg);
const CHARGING_UNLESS_ABM: Lookup = read(check_chrg);
const CLOCK_DATE: Lookup = Lookup::Custom {
    to_nut: clock_date_to_nut,
    to_hid: Some(clock_date_to_hid),
    values: &[],
};
const CLOCK_TIME: Lookup = Lookup::Custom {
    to_nut: clock_time_to_nut,
    to_hid: Some(clock_time_to_hid),
    values: &[],
};
const BATTERY_VOLTAGE_NOMINAL: Lookup = read(battery_voltage_nominal);
const BATTERY_VOLTAGE: Lookup = read(battery_voltage);
const POWER_FACTOR: Lookup = read(power_factor);
const BATTERY_CAPACITY: Lookup = read(battery_capacity);
const PEGASUS_THRESHOLD: Lookup = Lookup::Custom {
    to_nut: pegasus_threshold,
    to_hid: None,
    values: &[(10, "10"), (25, "25"), (60, "60")],
};
const PEGASUS_YES_NO: Lookup = Lookup::Custom {
    to_nut: pegasus_yes_no,
    to_hid: Some(pegasus_yes_no_to_hid),
    values: &[(0, "no"), (1, "yes")],
};
const COUNTRY_CHECK: Lookup = read(check_country);
const REALPOWER_ESTIMATE: Lookup = read(compute_realpower);
const NOMINAL_OUTPUT_VOLTAGE: Lookup = Lookup::Custom {
    to_nut: nominal_output_voltage,
    to_hid: None,
    values: &[
        (200, "200"),
        (208, "208"),
        (220, "220"),
        (230, "230"),
        (240, "240"),
        (100, "100"),
        (110, "110"),
        (120, "120"),
        (127, "127"),
    ],
};
const OUTPUT_GOOD: Lookup = read(good_to_off);
const CONVERTER_ONLINE: Lookup = read(converter_online);

const ONDELAY: &str = super::DEFAULT_ONDELAY;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // Not in C's table: C's format_model reads these two.
    HidInfo::lookup(MODEL_LINE, "UPS.PowerSummary.iModel", Lookup::StringWith(model_from_imodel)).once(),
    HidInfo::lookup(MODEL_LINE, "UPS.Flow.[4].ConfigApparentPower", read(model_from_power)).once(),
    // Read for the country code only; never published.
    HidInfo::lookup("device.country", "UPS.PowerSummary.Country", COUNTRY_CHECK).nut_flags(ST_STRING, 20).once(),
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimitSetting", "%.0f").rw(5).semi_static(),
    HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").once(),
    HidInfo::var("battery.charge.restart", "UPS.PowerSummary.RestartLevel", "%.0f").rw(3).semi_static(),
    HidInfo::lookup("battery.capacity", "UPS.BatterySystem.Battery.DesignCapacity", BATTERY_CAPACITY).once(),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::var("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").rw(10),
    HidInfo::var("battery.runtime.elapsed", "UPS.StatisticSystem.Input.[1].Statistic.[1].Time", "%.0f").quick(),
    HidInfo::var("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").rw(10),
    HidInfo::lookup("battery.temperature", "UPS.BatterySystem.Battery.Temperature", KELVIN_CELSIUS),
    HidInfo::lookup("battery.type", "UPS.PowerSummary.iDeviceChemistry", STRING_ID).once(),
    HidInfo::var("battery.voltage", "UPS.BatterySystem.Voltage", "%.1f"),
    HidInfo::lookup("battery.voltage", "UPS.PowerSummary.Voltage", BATTERY_VOLTAGE),
    HidInfo::var("battery.voltage.nominal", "UPS.BatterySystem.ConfigVoltage", "%.0f").once(),
    HidInfo::lookup("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", BATTERY_VOLTAGE_NOMINAL).once(),
    HidInfo::table("battery.protection", "UPS.BatterySystem.Battery.DeepDischargeProtection", &YES_NO).rw(5).semi_static(),
    HidInfo::table("battery.energysave", "UPS.PowerConverter.Input.[3].EnergySaving", &YES_NO).rw(5).semi_static(),
    HidInfo::var("battery.energysave.load", "UPS.PowerConverter.Input.[3].ConfigPercentLoad", "%.0f").rw(5).semi_static(),
    HidInfo::var("battery.energysave.delay", "UPS.PowerConverter.Input.[3].EnergySaving.ShutdownTimer", "%.0f").rw(5).semi_static(),
    HidInfo::var("battery.energysave.delay", "UPS.PowerConverter.Input.[3].ShutdownTimer", "%.0f").rw(5).semi_static(),
    HidInfo::var("battery.energysave.realpower", "UPS.PowerConverter.Input.[3].ConfigActivePower", "%.0f").rw(5).semi_static(),
    // Advanced Battery Monitoring: the mode first (kept, not published), then the state;
    // both before the status bits that depend on them.
    HidInfo::lookup("battery.charger.status", "UPS.BatterySystem.Charger.ABMEnable", ABM_ENABLED).quick(),
    HidInfo::lookup("battery.charger.status", "UPS.BatterySystem.Charger.Mode", ABM_STATUS).quick(),
    HidInfo::var("ups.efficiency", "UPS.PowerConverter.Output.Efficiency", "%.0f"),
    HidInfo::lookup("ups.firmware", "UPS.PowerSummary.iVersion", STRING_ID).once(),
    HidInfo::var("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    HidInfo::var("ups.load.high", "UPS.Flow.[4].ConfigPercentLoad", "%.0f").rw(5).semi_static(),
    HidInfo::absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY).rw(10),
    HidInfo::absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f").quick(),
    HidInfo::var("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").quick(),
    HidInfo::var("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f").quick(),
    HidInfo::table("ups.test.result", "UPS.BatterySystem.Battery.Test", &TEST_READ),
    HidInfo::var("ups.test.interval", "UPS.BatterySystem.Battery.TestPeriod", "%.0f").rw(8).semi_static(),
    // Some units (3S) use the first path: the first one present wins.
    HidInfo::table("ups.beeper.status", "UPS.BatterySystem.Battery.AudibleAlarmControl", &BEEPER).semi_static(),
    HidInfo::table("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", &BEEPER).semi_static(),
    HidInfo::lookup("ups.temperature", "UPS.PowerSummary.Temperature", KELVIN_CELSIUS),
    HidInfo::var("ups.power", "UPS.PowerConverter.Output.ApparentPower", "%.0f"),
    HidInfo::var("ups.L1.power", "UPS.PowerConverter.Output.Phase.[1].ApparentPower", "%.0f"),
    HidInfo::var("ups.L2.power", "UPS.PowerConverter.Output.Phase.[2].ApparentPower", "%.0f"),
    HidInfo::var("ups.L3.power", "UPS.PowerConverter.Output.Phase.[3].ApparentPower", "%.0f"),
    HidInfo::var("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f").once(),
    HidInfo::var("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    // Without a measure, an estimate (the line needs a path that exists to be called).
    HidInfo::lookup("ups.realpower", "UPS.Flow.[4].ConfigApparentPower", REALPOWER_ESTIMATE),
    HidInfo::var("ups.L1.realpower", "UPS.PowerConverter.Output.Phase.[1].ActivePower", "%.0f"),
    HidInfo::var("ups.L2.realpower", "UPS.PowerConverter.Output.Phase.[2].ActivePower", "%.0f"),
    HidInfo::var("ups.L3.realpower", "UPS.PowerConverter.Output.Phase.[3].ActivePower", "%.0f"),
    HidInfo::var("ups.realpower.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f").once(),
    HidInfo::table("ups.start.auto", "UPS.PowerConverter.Input.[1].AutomaticRestart", &YES_NO).rw(5).semi_static(),
    HidInfo::table("ups.start.battery", "UPS.PowerConverter.Input.[3].StartOnBattery", &YES_NO).rw(5).semi_static(),
    HidInfo::table("ups.start.reboot", "UPS.PowerConverter.Output.ForcedReboot", &YES_NO).rw(5).semi_static(),
    HidInfo::table("ups.shutdown", "UPS.PowerSummary.PresentStatus.Switchable", &ENABLE_DISABLE).rw(10).semi_static().enumerated(),
    HidInfo::lookup("ups.date", "UPS.PowerSummary.Time", CLOCK_DATE).rw(10),
    HidInfo::lookup("ups.time", "UPS.PowerSummary.Time", CLOCK_TIME).rw(10),
    HidInfo::table("ups.type", "UPS.PowerConverter.ConverterType", &UPS_TYPE).once(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerConverter.Input.[3].PresentStatus.Used", &ONBATT),
    // The plain charge bits count while ABM is off; the charger mode while it is on.
    HidInfo::status_with("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_UNLESS_ABM).quick(),
    HidInfo::status_with("UPS.PowerSummary.PresentStatus.Charging", CHARGING_UNLESS_ABM).quick(),
    HidInfo::status_with("UPS.BatterySystem.Charger.Mode", ABM_CHRG_DISCHRG).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", &LOWBATT).quick(),
    // Output overload, levels 1, 2 and 3.
    HidInfo::status("UPS.PowerConverter.Output.Overload.[1].PresentStatus.OverThreshold", &OVERLOAD),
    HidInfo::status("UPS.PowerConverter.Output.Overload.[2].PresentStatus.OverThreshold", &OVERLOAD),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT),
    HidInfo::status("UPS.LCMSystem.LCMAlarm.[2].PresentStatus.TimerExpired", &REPLACEBATT),
    HidInfo::status("UPS.PowerConverter.Input.[1].PresentStatus.Buck", &TRIM),
    HidInfo::status("UPS.PowerConverter.Input.[1].PresentStatus.Boost", &BOOST),
    HidInfo::status("UPS.PowerConverter.Input.[1].PresentStatus.VoltageOutOfRange", &VRANGE),
    HidInfo::status("UPS.PowerConverter.Input.[1].PresentStatus.FrequencyOutOfRange", &FRANGE),
    // Before the next line, which only counts while the output is on.
    HidInfo::status_with("UPS.PowerSummary.PresentStatus.Good", OUTPUT_GOOD),
    HidInfo::status_with("UPS.PowerConverter.Input.[1].PresentStatus.Used", CONVERTER_ONLINE),
    HidInfo::status("UPS.PowerConverter.Input.[2].PresentStatus.Used", &BYPASS_AUTO),
    HidInfo::status("UPS.PowerConverter.Input.[4].PresentStatus.Used", &BYPASS_MANUAL),
    HidInfo::status("UPS.PowerSummary.PresentStatus.FanFailure", &FANFAIL),
    HidInfo::status("UPS.BatterySystem.Battery.PresentStatus.Present", &NOBATTERY),
    HidInfo::status("UPS.BatterySystem.Charger.PresentStatus.InternalFailure", &CHARGERFAIL),
    HidInfo::status("UPS.BatterySystem.Charger.PresentStatus.VoltageTooHigh", &BATTVOLTHI),
    HidInfo::status("UPS.PowerConverter.Input.[1].PresentStatus.VoltageTooHigh", &BATTVOLTHI),
    HidInfo::status("UPS.BatterySystem.Battery.PresentStatus.VoltageTooHigh", &BATTVOLTHI),
    HidInfo::status("UPS.BatterySystem.Charger.PresentStatus.VoltageTooLow", &BATTVOLTLO),
    HidInfo::status("UPS.PowerConverter.Input.[1].PresentStatus.VoltageTooLow", &ONBATT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.InternalFailure", &COMMFAULT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.OverTemperature", &OVERHEAT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
    HidInfo::table("ups.alarm", "UPS.PowerSummary.PresentStatus.EmergencyStop", &EMERGENCY_STOP),
    HidInfo::table("ups.alarm", "UPS.PowerConverter.Input.[1].PresentStatus.WiringFault", &WIRING_FAULT),
    HidInfo::table("ups.alarm", "UPS.PowerSummary.PresentStatus.ConfigurationFailure", &CONFIG_FAILURE),
    HidInfo::table("ups.alarm", "UPS.PowerConverter.Inverter.PresentStatus.VoltageTooHigh", &INVERTER_VOLTHI),
    HidInfo::table("ups.alarm", "UPS.PowerConverter.Inverter.PresentStatus.VoltageTooLow", &INVERTER_VOLTLO),
    HidInfo::table("ups.alarm", "UPS.PowerConverter.Output.PresentStatus.ShortCircuit", &SHORT_CIRCUIT),
    HidInfo::var("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    HidInfo::var("input.L1-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[1].Voltage", "%.1f"),
    HidInfo::var("input.L2-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[2].Voltage", "%.1f"),
    HidInfo::var("input.L3-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[3].Voltage", "%.1f"),
    HidInfo::var("input.L1-L2.voltage", "UPS.PowerConverter.Input.[1].Phase.[12].Voltage", "%.1f"),
    HidInfo::var("input.L2-L3.voltage", "UPS.PowerConverter.Input.[1].Phase.[23].Voltage", "%.1f"),
    HidInfo::var("input.L3-L1.voltage", "UPS.PowerConverter.Input.[1].Phase.[31].Voltage", "%.1f"),
    HidInfo::var("input.voltage.nominal", "UPS.Flow.[1].ConfigVoltage", "%.0f").once(),
    HidInfo::var("input.current", "UPS.PowerConverter.Input.[1].Current", "%.2f"),
    HidInfo::var("input.L1.current", "UPS.PowerConverter.Input.[1].Phase.[1].Current", "%.1f"),
    HidInfo::var("input.L2.current", "UPS.PowerConverter.Input.[1].Phase.[2].Current", "%.1f"),
    HidInfo::var("input.L3.current", "UPS.PowerConverter.Input.[1].Phase.[3].Current", "%.1f"),
    HidInfo::var("input.current.nominal", "UPS.Flow.[1].ConfigCurrent", "%.2f").once(),
    HidInfo::var("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.1f"),
    HidInfo::var("input.frequency.nominal", "UPS.Flow.[1].ConfigFrequency", "%.0f").once(),
    // The same as input.transfer.boost.low.
    HidInfo::var("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f").rw(5).semi_static(),
    HidInfo::var("input.transfer.boost.low", "UPS.PowerConverter.Output.LowVoltageBoostTransfer", "%.0f").rw(5).semi_static(),
    HidInfo::var("input.transfer.boost.high", "UPS.PowerConverter.Output.HighVoltageBoostTransfer", "%.0f").rw(5).semi_static(),
    HidInfo::var("input.transfer.trim.low", "UPS.PowerConverter.Output.LowVoltageBuckTransfer", "%.0f").rw(5).semi_static(),
    // The same as input.transfer.trim.high.
    HidInfo::var("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f").rw(5).semi_static(),
    HidInfo::var("input.transfer.trim.high", "UPS.PowerConverter.Output.HighVoltageBuckTransfer", "%.0f").rw(5).semi_static(),
    HidInfo::table("input.sensitivity", "UPS.PowerConverter.Output.SensitivityMode", &SENSITIVITY).rw(10).semi_static(),
    HidInfo::table("input.voltage.extended", "UPS.PowerConverter.Output.ExtendedVoltageMode", &YES_NO).rw(5).semi_static(),
    HidInfo::table("input.frequency.extended", "UPS.PowerConverter.Output.ExtendedFrequencyMode", &YES_NO).rw(5).semi_static(),
    HidInfo::var("input.bypass.voltage", "UPS.PowerConverter.Input.[2].Voltage", "%.1f"),
    HidInfo::var("input.bypass.L1-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[1].Voltage", "%.1f"),
    HidInfo::var("input.bypass.L2-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[2].Voltage", "%.1f"),
    HidInfo::var("input.bypass.L3-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[3].Voltage", "%.1f"),
    HidInfo::var("input.bypass.L1-L2.voltage", "UPS.PowerConverter.Input.[2].Phase.[12].Voltage", "%.1f"),
    HidInfo::var("input.bypass.L2-L3.voltage", "UPS.PowerConverter.Input.[2].Phase.[23].Voltage", "%.1f"),
    HidInfo::var("input.bypass.L3-L1.voltage", "UPS.PowerConverter.Input.[2].Phase.[31].Voltage", "%.1f"),
    HidInfo::var("input.bypass.voltage.nominal", "UPS.Flow.[2].ConfigVoltage", "%.0f").once(),
    HidInfo::var("input.bypass.current", "UPS.PowerConverter.Input.[2].Current", "%.2f"),
    HidInfo::var("input.bypass.L1.current", "UPS.PowerConverter.Input.[2].Phase.[1].Current", "%.1f"),
    HidInfo::var("input.bypass.L2.current", "UPS.PowerConverter.Input.[2].Phase.[2].Current", "%.1f"),
    HidInfo::var("input.bypass.L3.current", "UPS.PowerConverter.Input.[2].Phase.[3].Current", "%.1f"),
    HidInfo::var("input.bypass.current.nominal", "UPS.Flow.[2].ConfigCurrent", "%.2f").once(),
    HidInfo::var("input.bypass.frequency", "UPS.PowerConverter.Input.[2].Frequency", "%.1f"),
    HidInfo::var("input.bypass.frequency.nominal", "UPS.Flow.[2].ConfigFrequency", "%.0f").once(),
    HidInfo::var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    HidInfo::var("output.L1-N.voltage", "UPS.PowerConverter.Output.Phase.[1].Voltage", "%.1f"),
    HidInfo::var("output.L2-N.voltage", "UPS.PowerConverter.Output.Phase.[2].Voltage", "%.1f"),
    HidInfo::var("output.L3-N.voltage", "UPS.PowerConverter.Output.Phase.[3].Voltage", "%.1f"),
    HidInfo::var("output.L1-L2.voltage", "UPS.PowerConverter.Output.Phase.[12].Voltage", "%.1f"),
    HidInfo::var("output.L2-L3.voltage", "UPS.PowerConverter.Output.Phase.[23].Voltage", "%.1f"),
    HidInfo::var("output.L3-L1.voltage", "UPS.PowerConverter.Output.Phase.[31].Voltage", "%.1f"),
    HidInfo::lookup("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", NOMINAL_OUTPUT_VOLTAGE).rw(3).semi_static().enumerated(),
    HidInfo::var("output.current", "UPS.PowerConverter.Output.Current", "%.2f"),
    HidInfo::var("output.L1.current", "UPS.PowerConverter.Output.Phase.[1].Current", "%.1f"),
    HidInfo::var("output.L2.current", "UPS.PowerConverter.Output.Phase.[2].Current", "%.1f"),
    HidInfo::var("output.L3.current", "UPS.PowerConverter.Output.Phase.[3].Current", "%.1f"),
    HidInfo::var("output.current.nominal", "UPS.Flow.[4].ConfigCurrent", "%.2f"),
    HidInfo::var("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f"),
    HidInfo::var("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f").once(),
    HidInfo::lookup("output.powerfactor", "UPS.PowerConverter.Output.PowerFactor", POWER_FACTOR),
    // The main outlet, then the PowerShare outlets 1 and 2.
    HidInfo::var("outlet.id", "UPS.OutletSystem.Outlet.[1].OutletID", "%.0f").once(),
    HidInfo::absent("outlet.desc", "UPS.OutletSystem.Outlet.[1].OutletID", "Main Outlet").rw(20),
    HidInfo::table("outlet.switchable", "UPS.OutletSystem.Outlet.[1].PresentStatus.Switchable", &YES_NO).once(),
    // Protection Station: the master outlet's power under which the others go off.
    HidInfo::lookup("outlet.power", "UPS.OutletSystem.Outlet.[1].ConfigApparentPower", PEGASUS_THRESHOLD).rw(6).semi_static().enumerated(),
    HidInfo::var("outlet.power", "UPS.OutletSystem.Outlet.[1].ApparentPower", "%.0f"),
    HidInfo::var("outlet.realpower", "UPS.OutletSystem.Outlet.[1].ActivePower", "%.0f"),
    HidInfo::var("outlet.current", "UPS.OutletSystem.Outlet.[1].Current", "%.2f"),
    HidInfo::var("outlet.powerfactor", "UPS.OutletSystem.Outlet.[1].PowerFactor", "%.2f"),
    HidInfo::var("outlet.1.id", "UPS.OutletSystem.Outlet.[2].OutletID", "%.0f").once(),
    HidInfo::absent("outlet.1.desc", "UPS.OutletSystem.Outlet.[2].OutletID", "PowerShare Outlet 1").rw(20),
    HidInfo::table("outlet.1.switchable", "UPS.OutletSystem.Outlet.[2].PresentStatus.Switchable", &YES_NO).once(),
    HidInfo::table("outlet.1.status", "UPS.OutletSystem.Outlet.[2].PresentStatus.SwitchOn/Off", &ON_OFF),
    // Low-end models with one outlet that is not on battery.
    HidInfo::table("outlet.1.status", "UPS.PowerSummary.PresentStatus.ACPresent", &ON_OFF),
    HidInfo::var("outlet.1.autoswitch.charge.low", "UPS.OutletSystem.Outlet.[2].RemainingCapacityLimit", "%.0f").rw(3).semi_static(),
    HidInfo::var("outlet.1.delay.shutdown", "UPS.OutletSystem.Outlet.[2].ShutdownTimer", "%.0f").rw(5).semi_static(),
    HidInfo::var("outlet.1.delay.start", "UPS.OutletSystem.Outlet.[2].StartupTimer", "%.0f").rw(5).semi_static(),
    HidInfo::var("outlet.1.power", "UPS.OutletSystem.Outlet.[2].ApparentPower", "%.0f"),
    HidInfo::var("outlet.1.realpower", "UPS.OutletSystem.Outlet.[2].ActivePower", "%.0f"),
    HidInfo::var("outlet.1.current", "UPS.OutletSystem.Outlet.[2].Current", "%.2f"),
    HidInfo::var("outlet.1.powerfactor", "UPS.OutletSystem.Outlet.[2].PowerFactor", "%.2f"),
    HidInfo::var("outlet.2.id", "UPS.OutletSystem.Outlet.[3].OutletID", "%.0f").once(),
    HidInfo::absent("outlet.2.desc", "UPS.OutletSystem.Outlet.[3].OutletID", "PowerShare Outlet 2").rw(20),
    // Writable on Pegasus models (master/slave mode), read-only on the others.
    HidInfo::lookup("outlet.2.switchable", "UPS.OutletSystem.Outlet.[3].PresentStatus.Switchable", PEGASUS_YES_NO).rw(3).semi_static(),
    HidInfo::table("outlet.2.switchable", "UPS.OutletSystem.Outlet.[3].PresentStatus.Switchable", &YES_NO),
    HidInfo::table("outlet.2.status", "UPS.OutletSystem.Outlet.[3].PresentStatus.SwitchOn/Off", &ON_OFF),
    HidInfo::var("outlet.2.autoswitch.charge.low", "UPS.OutletSystem.Outlet.[3].RemainingCapacityLimit", "%.0f").rw(3).semi_static(),
    HidInfo::var("outlet.2.delay.shutdown", "UPS.OutletSystem.Outlet.[3].ShutdownTimer", "%.0f").rw(5).semi_static(),
    HidInfo::var("outlet.2.delay.start", "UPS.OutletSystem.Outlet.[3].StartupTimer", "%.0f").rw(5).semi_static(),
    HidInfo::var("outlet.2.power", "UPS.OutletSystem.Outlet.[3].ApparentPower", "%.0f"),
    HidInfo::var("outlet.2.realpower", "UPS.OutletSystem.Outlet.[3].ActivePower", "%.0f"),
    HidInfo::var("outlet.2.current", "UPS.OutletSystem.Outlet.[3].Current", "%.2f"),
    HidInfo::var("outlet.2.powerfactor", "UPS.OutletSystem.Outlet.[3].PowerFactor", "%.2f"),
    HidInfo::cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    HidInfo::cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    HidInfo::cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    HidInfo::cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY),
    HidInfo::cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    HidInfo::cmd("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10"),
    HidInfo::cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    // Units such as the 3S use the first path: the first one present wins.
    HidInfo::cmd("beeper.mute", "UPS.BatterySystem.Battery.AudibleAlarmControl", "3"),
    HidInfo::cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    HidInfo::cmd("beeper.disable", "UPS.BatterySystem.Battery.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    HidInfo::cmd("beeper.enable", "UPS.BatterySystem.Battery.AudibleAlarmControl", "2"),
    HidInfo::cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    HidInfo::cmd("outlet.1.load.off", "UPS.OutletSystem.Outlet.[2].DelayBeforeShutdown", "0"),
    HidInfo::cmd("outlet.1.load.on", "UPS.OutletSystem.Outlet.[2].DelayBeforeStartup", "0"),
    HidInfo::cmd("outlet.2.load.off", "UPS.OutletSystem.Outlet.[3].DelayBeforeShutdown", "0"),
    HidInfo::cmd("outlet.2.load.on", "UPS.OutletSystem.Outlet.[3].DelayBeforeStartup", "0"),
];

/// (product string, model string, type, name when not "product model").
type ModelName = (&'static str, &'static str, i64, Option<&'static str>);

#[rustfmt::skip]
static MODEL_NAMES: &[ModelName] = &[
    ("ELLIPSE", "300", TYPE_OFFLINE, Some("ellipse 300")),
    ("ELLIPSE", "500", TYPE_OFFLINE, Some("ellipse 500")),
    ("ELLIPSE", "650", TYPE_OFFLINE, Some("ellipse 650")),
    ("ELLIPSE", "800", TYPE_OFFLINE, Some("ellipse 800")),
    ("ELLIPSE", "1200", TYPE_OFFLINE, Some("ellipse 1200")),
    ("ellipse", "PR500", TYPE_OFFLINE, Some("ellipse premium 500")),
    ("ellipse", "PR650", TYPE_OFFLINE, Some("ellipse premium 650")),
    ("ellipse", "PR800", TYPE_OFFLINE, Some("ellipse premium 800")),
    ("ellipse", "PR1200", TYPE_OFFLINE, Some("ellipse premium 1200")),
    ("ELLIPSE", "600", TYPE_OFFLINE, Some("Ellipse 600")),
    ("ELLIPSE", "750", TYPE_OFFLINE, Some("Ellipse 750")),
    ("ELLIPSE", "1000", TYPE_OFFLINE, Some("Ellipse 1000")),
    ("ELLIPSE", "1500", TYPE_OFFLINE, Some("Ellipse 1500")),
    ("Ellipse MAX", "600", TYPE_OFFLINE, None),
    ("Ellipse MAX", "850", TYPE_OFFLINE, None),
    ("Ellipse MAX", "1100", TYPE_OFFLINE, None),
    ("Ellipse MAX", "1500", TYPE_OFFLINE, None),
    ("PROTECTIONCENTER", "420", TYPE_OFFLINE, Some("Protection Center 420")),
    ("PROTECTIONCENTER", "500", TYPE_OFFLINE, Some("Protection Center 500")),
    ("PROTECTIONCENTER", "675", TYPE_OFFLINE, Some("Protection Center 675")),
    ("Protection Station", "500", TYPE_PEGASUS, None),
    ("Protection Station", "650", TYPE_PEGASUS, None),
    ("Protection Station", "800", TYPE_PEGASUS, None),
    ("Ellipse ECO", "650", TYPE_PEGASUS, None),
    ("Ellipse ECO", "800", TYPE_PEGASUS, None),
    ("Ellipse ECO", "1200", TYPE_PEGASUS, None),
    ("Ellipse ECO", "1600", TYPE_PEGASUS, None),
    ("3S", "450", TYPE_OFFLINE, None),
    ("3S", "550", TYPE_OFFLINE, None),
    ("3S", "700", TYPE_3S, None),
    ("3S", "750", TYPE_3S, None),
    ("Evolution", "500", TYPE_DEFAULT, Some("Pulsar Evolution 500")),
    ("Evolution", "800", TYPE_DEFAULT, Some("Pulsar Evolution 800")),
    ("Evolution", "1100", TYPE_DEFAULT, Some("Pulsar Evolution 1100")),
    ("Evolution", "1500", TYPE_DEFAULT, Some("Pulsar Evolution 1500")),
    ("Evolution", "2200", TYPE_DEFAULT, Some("Pulsar Evolution 2200")),
    ("Evolution", "3000", TYPE_DEFAULT, Some("Pulsar Evolution 3000")),
    ("Evolution", "3000XL", TYPE_DEFAULT, Some("Pulsar Evolution 3000 XL")),
    ("Evolution", "650", TYPE_EVOLUTION_650, None),
    ("Evolution", "850", TYPE_EVOLUTION + 2, None),
    ("Evolution", "1150", TYPE_EVOLUTION + 3, None),
    ("Evolution", "S 1250", TYPE_EVOLUTION + 4, None),
    ("Evolution", "1550", TYPE_EVOLUTION + 5, None),
    ("Evolution", "S 1750", TYPE_EVOLUTION + 6, None),
    ("Evolution", "2000", TYPE_EVOLUTION + 7, None),
    ("Evolution", "S 2500", TYPE_EVOLUTION + 8, None),
    ("Evolution", "S 3000", TYPE_EVOLUTION + 9, None),
    ("Eaton 5P", "650", TYPE_5P, Some("5P 650")),
    ("Eaton 5P", "850", TYPE_5P, Some("5P 850")),
    ("Eaton 5P", "1150", TYPE_5P, Some("5P 1150")),
    ("Eaton 5P", "1550", TYPE_5P, Some("5P 1550")),
    ("PULSAR M", "2200", TYPE_PULSAR_M + 1, None),
    ("PULSAR M", "3000", TYPE_PULSAR_M + 2, None),
    ("PULSAR M", "3000 XL", TYPE_PULSAR_M + 3, None),
    ("EX", "2200", TYPE_PULSAR_M + 1, None),
    ("EX", "3000", TYPE_PULSAR_M + 2, None),
    // (sic: the XL has the type of the 3000)
    ("EX", "3000 XL", TYPE_PULSAR_M + 2, None),
    ("PULSAR", "MX4000", TYPE_DEFAULT, Some("Pulsar MX 4000 RT")),
    ("PULSAR", "MX5000", TYPE_DEFAULT, Some("Pulsar MX 5000 RT")),
    ("NOVA AVR", "500", TYPE_DEFAULT, Some("Nova 500 AVR")),
    ("NOVA AVR", "600", TYPE_DEFAULT, Some("Nova 600 AVR")),
    ("NOVA AVR", "625", TYPE_DEFAULT, Some("Nova 625 AVR")),
    ("NOVA AVR", "1100", TYPE_DEFAULT, Some("Nova 1100 AVR")),
    ("NOVA AVR", "1250", TYPE_DEFAULT, Some("Nova 1250 AVR")),
    ("EXtreme", "700C", TYPE_DEFAULT, Some("Pulsar EXtreme 700C")),
    ("EXtreme", "1000C", TYPE_DEFAULT, Some("Pulsar EXtreme 1000C")),
    ("EXtreme", "1500C", TYPE_DEFAULT, Some("Pulsar EXtreme 1500C")),
    ("EXtreme", "1500CCLA", TYPE_DEFAULT, Some("Pulsar EXtreme 1500C CLA")),
    ("EXtreme", "2200C", TYPE_DEFAULT, Some("Pulsar EXtreme 2200C")),
    ("EXtreme", "3200C", TYPE_DEFAULT, Some("Pulsar EXtreme 3200C")),
    ("EX", "700RT", TYPE_DEFAULT, Some("Pulsar EX 700 RT")),
    ("EX", "1000RT", TYPE_DEFAULT, Some("Pulsar EX 1000 RT")),
    ("EX", "1500RT", TYPE_DEFAULT, Some("Pulsar EX 1500 RT")),
    ("EX", "2200RT", TYPE_DEFAULT, Some("Pulsar EX 2200 RT")),
    ("EX", "3200RT", TYPE_DEFAULT, Some("Pulsar EX 3200 RT")),
    ("EX", "5RT31", TYPE_DEFAULT, Some("EX 5 RT 3:1")),
    ("EX", "7RT31", TYPE_DEFAULT, Some("EX 7 RT 3:1")),
    ("EX", "11RT31", TYPE_DEFAULT, Some("EX 11 RT 3:1")),
    ("EX", "5RT", TYPE_DEFAULT, Some("EX 5 RT")),
    ("EX", "7RT", TYPE_DEFAULT, Some("EX 7 RT")),
    ("EX", "11RT", TYPE_DEFAULT, Some("EX 11 RT")),
    ("GALAXY", "3000_10", TYPE_DEFAULT, Some("Galaxy 3000 10 kVA")),
    ("GALAXY", "3000_15", TYPE_DEFAULT, Some("Galaxy 3000 15 kVA")),
    ("GALAXY", "3000_20", TYPE_DEFAULT, Some("Galaxy 3000 20 kVA")),
    ("GALAXY", "3000_30", TYPE_DEFAULT, Some("Galaxy 3000 30 kVA")),
];

/// The model name of a product and model string, and the model type when the list
/// knows the pair (names compare exactly).
fn model_name(product: &str, model: &str) -> (String, Option<i64>) {
    match MODEL_NAMES
        .iter()
        .find(|(p, m, _, _)| *p == product && *m == model)
    {
        Some((_, _, ty, Some(name))) => ((*name).to_owned(), Some(*ty)),
        Some((_, _, ty, None)) => (format!("{product} {model}"), Some(*ty)),
        None => (format!("{product} {model}"), None),
    }
}

/// Dell units already have a full name in the product string.
fn is_dell(ctx: &ConvContext<'_>) -> bool {
    ctx.state.value("ups.vendorid") == Some("047c")
}

/// Writes `ups.model` from the product string (the current `ups.model`) and `model`,
/// and keeps the model type.
fn refine_model(ctx: &mut ConvContext<'_>, model: &str) {
    let product = ctx.state.value("ups.model").unwrap_or("unknown").to_owned();
    let (name, ty) = model_name(&product, model);
    tracing::debug!("model name of ({product}, {model}): {name}");
    if let Some(ty) = ty {
        ctx.scratch.insert(TYPE, ty as f64);
    }
    let _ = ctx.state.set("ups.model", &name);
    ctx.scratch.insert(MODEL_SET, 1.0);
}

/// The model string, when there is one.
fn model_from_imodel(ctx: &mut ConvContext<'_>, model: &str) -> Option<String> {
    if !is_dell(ctx) && !model.is_empty() {
        refine_model(ctx, model);
    }
    None
}

/// Else the nominal apparent power stands for the model.
fn model_from_power(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    if !is_dell(ctx) && !ctx.scratch.contains_key(MODEL_SET) {
        refine_model(ctx, &(value as i32).to_string());
    }
    None
}

/// The USB product string; the table's first lines refine it.
fn format_model(device: &UsbDeviceInfo, _: &mut DeviceState) -> Option<String> {
    device.product.clone()
}

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "Eaton".into()))
}

static USAGES: [UsageTable; 2] = [MGE_USAGES, HID_USAGES];

/// The Eaton / MGE subdriver.
pub static MGE: Subdriver = Subdriver {
    name: "MGE HID 1.46",
    claim,
    usages: &USAGES,
    table: TABLE,
    format_model,
    format_mfr,
    format_serial: plain_serial,
    fix_report_desc: no_fix,
};

#[cfg(test)]
mod tests;
