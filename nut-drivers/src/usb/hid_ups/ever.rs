//! Ever (vendor 0x2e51, and 0483:a113 on an ST Microelectronics chip): the table of C NUT
//! 2.8.0's "Ever HID 0.1" subdriver. Ever's vendor collection (`EVER*` usages) holds
//! versions, settings, counters and a network card; some of its conversions read other
//! reports' raw bytes (MAC and IP addresses, packet counters, work mode, messages,
//! alarms), through [`Lookup::Raw`].
//!
//! One deviation from C 2.8.0: its output power factor is published as
//! `outlet.powerfactor`, the name later C uses, not the bare `powerfactor` 2.8.0 wrote.

use super::lookups::*;
use super::reports::Reports;
use super::subdriver::{
    claim_by_ids, no_fix, plain_model, plain_serial, Claim, ClaimContext, DeviceId, Subdriver,
    Tweaks,
};
use super::table::{ConvContext, HidInfo, Lookup, RawToNut, ToNut, ST_NUMBER, ST_RW};
use crate::usb::hid::{vendor_usages::EVER_USAGES, UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

/// Ever's USB vendor id.
pub const EVER_VENDOR: u16 = 0x2e51;
/// ST Microelectronics' USB vendor id (the chip of some Ever units).
pub const STMICRO_VENDOR: u16 = 0x0483;

static IDS: [DeviceId; 3] = [
    (STMICRO_VENDOR, 0xa113, Tweaks::NONE),
    (EVER_VENDOR, 0xffff, Tweaks::NONE),
    (EVER_VENDOR, 0x0000, Tweaks::NONE),
];

fn claim(device: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    claim_by_ids(&IDS, "Ever", device, ctx)
}

/// The value as C's `(unsigned int)` cast of a double gives it on common hardware.
fn as_u32(value: f64) -> u32 {
    value as i64 as u32
}

/// A version word: major and minor nibbles, then a two-digit build (`v1.2b03`).
fn version_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let v = as_u32(value);
    let text = format!(
        "v{:X}.{:X}b{:02}",
        (v & 0xF000) >> 12,
        (v & 0x0F00) >> 8,
        value as i64 as i32 & 0xFF
    );
    Some(c_buffer(text, 10))
}

/// Hardware revision letters (0, A, B, …, Z) by the high byte of the hardware word.
const HARDWARE_REVISIONS: &[u8; 27] = b"0ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A hardware word: revision letter, then a two-digit version (`rev.Bv01`).
fn hardware_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let v = as_u32(value);
    // C indexes its letter array without a bound check; past Z there is no letter
    let revision = HARDWARE_REVISIONS
        .get(((v & 0xFF00) >> 8) as usize)
        .map_or('?', |b| char::from(*b));
    Some(c_buffer(format!("rev.{revision}v{:02}", v & 0xFF), 10))
}

/// The buffered bytes of report `id` after its id byte.
fn payload(reports: &Reports, id: u8) -> &[u8] {
    reports.bytes(id).get(1..).unwrap_or(&[])
}

/// Report holding the network card's MAC address.
const MAC_REPORT: u8 = 210;
/// Reports of the notification destination, address, mask and gateway, read in turn.
const IP_REPORTS: [u8; 4] = [211, 230, 231, 232];
/// Reports of the sent, received, send-error and receive-error counters, read in turn.
const PACKET_REPORTS: [u8; 4] = [215, 216, 217, 218];
/// Report holding the work mode.
const WORKMODE_REPORT: u8 = 74;
/// Report holding the message bits.
const MESSAGES_REPORT: u8 = 75;
/// Report holding the alarm bits.
const ALARMS_REPORT: u8 = 76;

/// The next report of a rotation: C's subdriver keeps one counter per conversion and
/// relies on the table calling it once per line, in order.
fn next_in_turn(ctx: &mut ConvContext<'_>, key: &'static str, reports: &[u8; 4]) -> u8 {
    let turn = ctx
        .scratch
        .get(key)
        .map_or(0, |t| *t as usize % reports.len());
    ctx.scratch.insert(key, ((turn + 1) % reports.len()) as f64);
    reports[turn]
}

/// The MAC address, `aa:bb:…`.
fn mac_address_to_nut(_: &mut ConvContext<'_>, reports: &Reports, _: f64) -> Option<String> {
    let bytes = payload(reports, MAC_REPORT);
    let text = bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    Some(c_buffer(text, 100))
}

/// An IPv4 address, dotted, from the next report in turn.
fn ip_address_to_nut(ctx: &mut ConvContext<'_>, reports: &Reports, _: f64) -> Option<String> {
    let id = next_in_turn(ctx, "ever.ip_turn", &IP_REPORTS);
    let bytes = payload(reports, id);
    let text = bytes
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(".");
    Some(c_buffer(text, 100))
}

/// A packet counter (32 bits, little-endian) from the next report in turn.
fn packets_to_nut(ctx: &mut ConvContext<'_>, reports: &Reports, _: f64) -> Option<String> {
    let id = next_in_turn(ctx, "ever.packets_turn", &PACKET_REPORTS);
    let Some(bytes) = payload(reports, id).get(..4) else {
        return Some(String::new());
    };
    Some(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]).to_string())
}

/// The work mode byte, when its report is known.
fn workmode(reports: &Reports) -> Option<u8> {
    payload(reports, WORKMODE_REPORT).first().copied()
}

/// The work mode, by name.
fn workmode_to_nut(_: &mut ConvContext<'_>, reports: &Reports, _: f64) -> Option<String> {
    let name = match workmode(reports)? {
        2 => "STOP",
        4 => "ONLINE",
        8 => "ONBATTERY",
        16 => "WATCH",
        32 => "WAITING",
        64 => "EMERGENCY",
        _ => "UNKNOWN",
    };
    Some(name.into())
}

/// The output is on only in the online and on-battery work modes.
fn on_off_to_nut(_: &mut ConvContext<'_>, reports: &Reports, _: f64) -> Option<String> {
    let mode = workmode(reports)?;
    Some(
        if mode != 4 && mode != 8 {
            "off"
        } else {
            "!off"
        }
        .into(),
    )
}

/// The 16-bit word after the id byte of report `id`.
fn word(reports: &Reports, id: u8) -> Option<u16> {
    let bytes = payload(reports, id);
    let low = *bytes.first()?;
    Some(u16::from(low) | u16::from(bytes.get(1).copied().unwrap_or(0)) << 8)
}

/// The names of the bits set in `bits`, space-separated; a name may cover several bits.
fn bit_names(bits: u16, names: &[(u16, &str)]) -> String {
    names
        .iter()
        .filter(|(mask, _)| bits & mask != 0)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Ever's messages (its overload and battery-low bits duplicate `ups.status`).
fn messages_to_nut(_: &mut ConvContext<'_>, reports: &Reports, _: f64) -> Option<String> {
    const NAMES: [(u16, &str); 11] = [
        (0x0004, "BOOST"),
        (0x0008, "BUCK"),
        (0x0010, "BOOST_BLOCKED"),
        (0x0020, "BUCK_BLOCKED"),
        (0x0040, "CHARGING"),
        (0x0080, "FAN_ON"),
        (0x0100, "EPO_BLOCKED"),
        (0x0200, "NEED_REPLACMENT"),
        (0x0C00, "OVERHEAT"),
        (0x1000, "WAITING_FOR_MIN_CHARGE"),
        (0x2000, "MAINS_OUT_OF_RANGE"),
    ];
    Some(bit_names(word(reports, MESSAGES_REPORT)?, &NAMES))
}

/// Ever's alarms.
fn alarms_to_nut(_: &mut ConvContext<'_>, reports: &Reports, _: f64) -> Option<String> {
    const NAMES: [(u16, &str); 8] = [
        (0x0001, "OVERLOAD"),
        (0x0002, "SHORT-CIRCUIT"),
        (0x000C, "OVERHEAT"),
        (0x0010, "EPO"),
        (0x0020, "INERNAL_ERROR"),
        (0x0040, "REVERSE_POWER_SUPPLY"),
        (0x0080, "NO_INETERNAL_COMM"),
        (0x0100, "CRITICAL_BATT_VOLTAGE"),
    ];
    Some(bit_names(word(reports, ALARMS_REPORT)?, &NAMES))
}

/// A conversion without a way back.
const fn fun(to_nut: ToNut) -> Lookup {
    Lookup::Fun {
        to_nut,
        to_hid: None,
    }
}

const VERSION: Lookup = fun(version_to_nut);
const HARDWARE: Lookup = fun(hardware_to_nut);
const MAC: Lookup = Lookup::Raw(mac_address_to_nut);
const IP: Lookup = Lookup::Raw(ip_address_to_nut);
const PACKETS: Lookup = Lookup::Raw(packets_to_nut);
const WORKMODE: Lookup = Lookup::Raw(workmode_to_nut);
const MESSAGES: Lookup = Lookup::Raw(messages_to_nut);
const ALARMS: Lookup = Lookup::Raw(alarms_to_nut);
const ON_OFF: RawToNut = on_off_to_nut;
/// Writable numbers.
const RW_NUMBER: u32 = ST_RW | ST_NUMBER;
const OFFDELAY: &str = super::DEFAULT_OFFDELAY;

#[rustfmt::skip]
static TABLE: &[HidInfo] = &[
    // identifiers of the battery system
    HidInfo::var("experimental.battery.batteryid", "UPS.BatterySystem.Battery.BatteryID", "%.0f"),
    HidInfo::var("experimental.battery.systemid", "UPS.BatterySystem.BatterySystemID", "%.0f"),
    HidInfo::var("experimental.battery.chargerid", "UPS.BatterySystem.Charger.ChargerID", "%.0f"),
    HidInfo::var("experimental.battery.input_flowid", "UPS.BatterySystem.Input.FlowID", "%.0f"),
    HidInfo::var("experimental.battery.input_id", "UPS.BatterySystem.Input.InputID", "%.0f"),
    HidInfo::var("experimental.battery.output_flowid", "UPS.BatterySystem.Output.FlowID", "%.0f"),
    HidInfo::var("experimental.battery.output_id", "UPS.BatterySystem.Output.OutputID", "%.0f"),
    // versions
    HidInfo::lookup("experimental.id.firmware_version_inverter", "UPS.EVER1.EVER13", VERSION),
    HidInfo::lookup("experimental.id.firmware_version_interfaces", "UPS.EVER1.EVER14", VERSION),
    HidInfo::lookup("experimental.id.hardware_version", "UPS.EVER1.EVER15", HARDWARE),
    HidInfo::lookup("experimental.id.protocol_version_inverter", "UPS.EVER1.EVER16", VERSION),
    HidInfo::lookup("experimental.id.protocol_version_interfaces", "UPS.EVER1.EVER17", VERSION),
    // inverter
    HidInfo::lookup("ups.temperature", "UPS.EVER1.EVER42", KELVIN_CELSIUS),
    HidInfo::lookup("battery.temperature", "UPS.EVER1.EVER43", KELVIN_CELSIUS),
    HidInfo::var("outlet.powerfactor", "UPS.EVER1.EVER44", "%.0f"),
    // controls
    HidInfo::var("experimental.control.ups_on", "UPS.EVER1.EVER45.EVER46", "%.0f").nut_flags(RW_NUMBER, 0),
    HidInfo::var("experimental.control.clear_fault", "UPS.EVER1.EVER45.EVER47", "%.0f").nut_flags(RW_NUMBER, 0),
    HidInfo::var("experimental.control.clear_battery_fault", "UPS.EVER1.EVER45.EVER48", "%.0f").nut_flags(RW_NUMBER, 0),
    HidInfo::var("experimental.control.epo_blocked", "UPS.EVER1.EVER49.EVER50", "%.0f").nut_flags(RW_NUMBER, 0),
    HidInfo::var("experimental.control.green_mode", "UPS.EVER1.EVER49.EVER51", "%.0f").nut_flags(RW_NUMBER, 0),
    HidInfo::var("experimental.control.button_sound", "UPS.EVER1.EVER49.EVER52", "%.0f").nut_flags(RW_NUMBER, 0),
    HidInfo::var("experimental.control.audible_alarm", "UPS.EVER1.EVER49.EVER53", "%.0f").nut_flags(RW_NUMBER, 0),
    // configuration
    HidInfo::var("output.voltage", "UPS.EVER1.EVER54", "%.0f").rw(3),
    HidInfo::var("experimental.config.overload_clearance_threshold", "UPS.EVER1.EVER59", "%.0f").rw(2),
    HidInfo::var("experimental.config.stb_charge", "UPS.EVER1.EVER60", "%.0f").rw(2),
    HidInfo::var("battery.packs.external", "UPS.EVER1.EVER61", "%.0f").rw(1),
    // statistics
    HidInfo::var("experimental.statistics.mains_loss_counter", "UPS.EVER1.EVER62", "%.0f"),
    HidInfo::var("experimental.statistics.lowering_AVR_trigger_counter", "UPS.EVER1.EVER63", "%.0f"),
    HidInfo::var("experimental.statistics.rising_AVR_trigger_counter", "UPS.EVER1.EVER64", "%.0f"),
    HidInfo::var("experimental.statistics.overload_counter", "UPS.EVER1.EVER65", "%.0f"),
    HidInfo::var("experimental.statistics.short_circuit_counter", "UPS.EVER1.EVER66", "%.0f"),
    HidInfo::var("experimental.statistics.discharge_counter", "UPS.EVER1.EVER67", "%.0f"),
    HidInfo::var("experimental.statistics.overheat_counter", "UPS.EVER1.EVER68", "%.0f"),
    HidInfo::var("experimental.statistics.mains_operation_time", "UPS.EVER1.EVER69", "%.0f"),
    HidInfo::var("experimental.statistics.autonomous_operation_time", "UPS.EVER1.EVER70", "%.0f"),
    HidInfo::var("experimental.statistics.overload_operation_time", "UPS.EVER1.EVER71", "%.0f"),
    // network card
    HidInfo::lookup("experimental.networkcard.mac_address", "UPS.EVER1.EVER72", MAC),
    HidInfo::lookup("experimental.networkcard.notification_destination_ip", "UPS.EVER1.EVER73", IP),
    HidInfo::lookup("experimental.networkcard.send_packets", "UPS.EVER1.EVER77", PACKETS),
    HidInfo::lookup("experimental.networkcard.received_packets", "UPS.EVER1.EVER78", PACKETS),
    HidInfo::lookup("experimental.networkcard.send_packets_err", "UPS.EVER1.EVER79", PACKETS),
    HidInfo::lookup("experimental.networkcard.received_packets_err", "UPS.EVER1.EVER80", PACKETS),
    HidInfo::var("experimental.networkcard.config_dhcp_enabled", "UPS.EVER1.EVER85.EVER86", "%.0f"),
    HidInfo::var("experimental.networkcard.config_ethernet_enabled", "UPS.EVER1.EVER85.EVER87", "%.0f"),
    HidInfo::var("experimental.networkcard.config_http_enabled", "UPS.EVER1.EVER85.EVER88", "%.0f"),
    HidInfo::var("experimental.networkcard.config_snmp_enabled", "UPS.EVER1.EVER85.EVER89", "%.0f"),
    HidInfo::var("experimental.networkcard.config_snmp_trap_enabled", "UPS.EVER1.EVER85.EVER90", "%.0f"),
    HidInfo::var("experimental.networkcard.config_readonly", "UPS.EVER1.EVER85.EVER91", "%.0f"),
    HidInfo::var("experimental.networkcard.config_restart_eth", "UPS.EVER1.EVER85.EVER96", "%.0f"),
    HidInfo::lookup("experimental.networkcard.ip_address", "UPS.EVER1.EVER93", IP),
    HidInfo::lookup("experimental.networkcard.network_mask", "UPS.EVER1.EVER94", IP),
    HidInfo::lookup("experimental.networkcard.default_gateway", "UPS.EVER1.EVER95", IP),
    // flow
    HidInfo::var("ups.realpower.nominal", "UPS.Flow.ConfigActivePower", "%.0f"),
    HidInfo::var("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f"),
    HidInfo::var("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.0f"),
    HidInfo::var("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    HidInfo::var("experimental.ups.flow_id", "UPS.Flow.FlowID", "%.0f"),
    // outlet
    HidInfo::var("outlet.1.id", "UPS.OutletSystem.Outlet.OutletID", "%.0f"),
    HidInfo::table("experimental.outlet.1.present", "UPS.OutletSystem.Outlet.PresentStatus.Present", &YES_NO),
    HidInfo::table("outlet.1.switchable", "UPS.OutletSystem.Outlet.PresentStatus.Switchable", &YES_NO),
    HidInfo::var("outlet.1.status", "UPS.OutletSystem.Outlet.PresentStatus.SwitchOn/Off", "%.0f"),
    HidInfo::var("experimental.outlet.1.undefined", "UPS.OutletSystem.Outlet.PresentStatus.Undefined", "%.0f"),
    HidInfo::var("experimental.outlet.1.system_id", "UPS.OutletSystem.OutletSystemID", "%.0f"),
    HidInfo::var("experimental.outlet.1.switch_off_control", "UPS.OutletSystem.Outlet.SwitchOffControl", "%.0f").nut_flags(RW_NUMBER, 0),
    HidInfo::var("experimental.outlet.1.switch_on_control", "UPS.OutletSystem.Outlet.SwitchOnControl", "%.0f").nut_flags(RW_NUMBER, 0),
    // power converter
    HidInfo::var("experimental.powerconverter.input_flow_id", "UPS.PowerConverter.Input.FlowID", "%.0f"),
    HidInfo::var("input.frequency", "UPS.PowerConverter.Input.Frequency", "%.0f"),
    HidInfo::var("experimental.powerconverter.input_id", "UPS.PowerConverter.Input.InputID", "%.0f"),
    HidInfo::var("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.0f"),
    HidInfo::var("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    HidInfo::var("ups.power", "UPS.PowerConverter.Output.ApparentPower", "%.0f"),
    HidInfo::var("output.current", "UPS.PowerConverter.Output.Current", "%.0f"),
    HidInfo::var("experimental.powerconverter.output_flowid", "UPS.PowerConverter.Output.FlowID", "%.0f"),
    HidInfo::var("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.0f"),
    HidInfo::var("experimental.powerconverter.output_id", "UPS.PowerConverter.Output.OutputID", "%.0f"),
    HidInfo::var("ups.load", "UPS.PowerConverter.Output.PercentLoad", "%.0f"),
    HidInfo::var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.0f"),
    HidInfo::var("experimental.powerconverter.powerconverterid", "UPS.PowerConverter.PowerConverterID", "%.0f"),
    // power summary
    HidInfo::var("experimental.powersummary.capacity_granularity_1", "UPS.PowerSummary.CapacityGranularity1", "%.0f"),
    HidInfo::var("experimental.powersummary.capacity_granularity_2", "UPS.PowerSummary.CapacityGranularity2", "%.0f"),
    HidInfo::var("experimental.powersummary.capacity_mode", "UPS.PowerSummary.CapacityMode", "%.0f"),
    HidInfo::absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY).rw(10),
    HidInfo::var("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f"),
    HidInfo::var("experimental.powersummary.flow_id", "UPS.PowerSummary.FlowID", "%.0f"),
    HidInfo::var("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    // C prints the string index itself here
    HidInfo::var("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%.0f"),
    HidInfo::var("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    HidInfo::var("experimental.powersummary.rechargeable", "UPS.PowerSummary.Rechargeable", "%.0f"),
    HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    HidInfo::var("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").nut_flags(RW_NUMBER, 0),
    HidInfo::var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    HidInfo::var("battery.voltage", "UPS.PowerSummary.Voltage", "%.0f"),
    HidInfo::var("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").quick(),
    // status
    HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.AwaitingPower", &AWAITINGPOWER).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.BatteryPresent", &NOBATTERY),
    HidInfo::status("UPS.PowerSummary.PresentStatus.CommunicationLost", &COMMFAULT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Discharging", &DISCHARGING).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.NeedReplacement", &REPLACEBATT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.Overload", &OVERLOAD).quick(),
    HidInfo::status("UPS.PowerSummary.PresentStatus.OverTemperature", &OVERHEAT),
    HidInfo::status("UPS.PowerSummary.PresentStatus.ShutdownImminent", &SHUTDOWNIMM),
    HidInfo::status("UPS.EVER1.EVER18.EVER19", &OVERLOAD),
    HidInfo::status("UPS.EVER1.EVER18.EVER20", &LOWBATT),
    HidInfo::status("UPS.EVER1.EVER18.EVER21", &BOOST),
    HidInfo::status("UPS.EVER1.EVER18.EVER22", &TRIM),
    HidInfo::status("UPS.EVER1.EVER18.EVER25", &CHARGING),
    HidInfo::status("UPS.EVER1.EVER18.EVER28", &REPLACEBATT),
    HidInfo::status("UPS.EVER1.EVER32.EVER33", &OVERLOAD),
    HidInfo::status("UPS.EVER1.EVER32.EVER40", &COMMFAULT),
    HidInfo::lookup("BOOL", "UPS.EVER1.EVER97.EVER102", Lookup::Raw(ON_OFF)),
    // work mode, messages and alarms
    HidInfo::lookup("experimental.status.workmode", "UPS.EVER1.EVER97.EVER98", WORKMODE),
    HidInfo::lookup("experimental.status.messages", "UPS.EVER1.EVER18.EVER28", MESSAGES),
    HidInfo::lookup("experimental.status.alarms", "UPS.EVER1.EVER32.EVER33", ALARMS),
    // instant commands
    HidInfo::cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY),
    HidInfo::cmd("shutdown.return", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY),
];

fn format_mfr(device: &UsbDeviceInfo) -> Option<String> {
    Some(device.vendor.clone().unwrap_or_else(|| "Ever".into()))
}

static USAGES: [UsageTable; 2] = [EVER_USAGES, HID_USAGES];

/// The Ever HID subdriver.
pub static EVER: Subdriver = Subdriver {
    name: "Ever HID 0.1",
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
    use crate::usb::hid::ReportDescriptor;
    use crate::usb::hid_ups::table::test_support::{convert, state_for, unresolved_paths};
    use std::collections::HashMap;

    #[test]
    fn claims() {
        let ctx = ClaimContext::default();
        for (v, p) in [
            (STMICRO_VENDOR, 0xa113),
            (EVER_VENDOR, 0xffff),
            (EVER_VENDOR, 0),
        ] {
            assert_eq!(
                claim(&UsbDeviceInfo::new(v, p), &ctx),
                Claim::Yes(Tweaks::NONE)
            );
        }
        let given = ClaimContext {
            productid_given: true,
            explore: false,
        };
        for (v, p) in [(EVER_VENDOR, 0x0001), (STMICRO_VENDOR, 0x5740)] {
            let unknown = UsbDeviceInfo::new(v, p);
            assert_eq!(claim(&unknown, &ctx), Claim::No);
            assert!(matches!(claim(&unknown, &given), Claim::Yes(_)));
        }
        assert_eq!(
            claim(&UsbDeviceInfo::new(0x0764, 0xa113), &given),
            Claim::No
        );
    }

    #[test]
    fn every_path_resolves() {
        assert_eq!(unresolved_paths(&EVER), Vec::<&str>::new());
    }

    #[test]
    fn versions() {
        let mut state = state_for(EVER_VENDOR, 0xffff);
        let mut scratch = HashMap::new();
        let mut run = |f, v: u32| convert(f, &mut state, &mut scratch, f64::from(v));
        assert_eq!(run(version_to_nut, 0x1203).as_deref(), Some("v1.2b03"));
        assert_eq!(run(version_to_nut, 0xA1FF).as_deref(), Some("vA.1b255"));
        assert_eq!(run(hardware_to_nut, 0x0201).as_deref(), Some("rev.Bv01"));
        assert_eq!(run(hardware_to_nut, 0x1A63).as_deref(), Some("rev.Zv99"));
        assert_eq!(run(hardware_to_nut, 0x1B05).as_deref(), Some("rev.?v05"));
    }

    /// Report buffers for Feature reports with these ids and payload lengths.
    fn reports(layout: &[(u8, u8)]) -> Reports {
        let mut bytes = vec![0x05, 0x84, 0x09, 0x04, 0xa1, 0x01];
        for (id, len) in layout {
            bytes.extend([
                0x85, *id, 0x75, 0x08, 0x95, *len, 0x15, 0x00, 0x26, 0xff, 0x00,
            ]);
            bytes.extend([0x09, 0x30, 0xb1, 0x02]);
        }
        bytes.push(0xc0);
        let desc = ReportDescriptor::parse(&bytes).expect("test descriptor");
        Reports::new(&desc)
    }

    fn raw(
        f: RawToNut,
        reports: &Reports,
        scratch: &mut HashMap<&'static str, f64>,
    ) -> Option<String> {
        let mut state = state_for(EVER_VENDOR, 0xffff);
        let mut ctx = ConvContext {
            state: &mut state,
            scratch,
        };
        f(&mut ctx, reports, 0.0)
    }

    #[test]
    fn network_card() {
        let mut r = reports(&[
            (210, 6),
            (211, 4),
            (230, 4),
            (231, 4),
            (232, 4),
            (215, 4),
            (216, 4),
            (217, 2),
        ]);
        r.file(&[210, 0x00, 0x1b, 0x2c, 0x3d, 0x4e, 0xf5]);
        r.file(&[211, 10, 0, 0, 1]);
        r.file(&[230, 192, 168, 1, 20]);
        r.file(&[231, 255, 255, 255, 0]);
        r.file(&[232, 192, 168, 1, 1]);
        r.file(&[215, 0xd2, 0x04, 0, 0]);
        r.file(&[216, 0xff, 0xff, 0xff, 0xff]);
        let mut scratch = HashMap::new();
        assert_eq!(
            raw(mac_address_to_nut, &r, &mut scratch).as_deref(),
            Some("00:1b:2c:3d:4e:f5")
        );
        // the four address lines read their reports in turn, then start over
        let ips: Vec<_> = (0..5)
            .map(|_| raw(ip_address_to_nut, &r, &mut scratch).unwrap_or_default())
            .collect();
        assert_eq!(
            ips,
            [
                "10.0.0.1",
                "192.168.1.20",
                "255.255.255.0",
                "192.168.1.1",
                "10.0.0.1"
            ]
        );
        let packets: Vec<_> = (0..5)
            .map(|_| raw(packets_to_nut, &r, &mut scratch).unwrap_or_default())
            .collect();
        // 217 is too short for a counter, 218 is not on this device
        assert_eq!(packets, ["1234", "-1", "", "", "1234"]);
    }

    #[test]
    fn work_mode_messages_alarms() {
        let mut r = reports(&[(74, 1), (75, 2), (76, 2)]);
        let mut scratch = HashMap::new();
        r.file(&[74, 4]);
        assert_eq!(
            raw(workmode_to_nut, &r, &mut scratch).as_deref(),
            Some("ONLINE")
        );
        assert_eq!(
            raw(on_off_to_nut, &r, &mut scratch).as_deref(),
            Some("!off")
        );
        r.file(&[74, 8]);
        assert_eq!(
            raw(on_off_to_nut, &r, &mut scratch).as_deref(),
            Some("!off")
        );
        r.file(&[74, 2]);
        assert_eq!(
            raw(workmode_to_nut, &r, &mut scratch).as_deref(),
            Some("STOP")
        );
        assert_eq!(raw(on_off_to_nut, &r, &mut scratch).as_deref(), Some("off"));
        r.file(&[74, 3]);
        assert_eq!(
            raw(workmode_to_nut, &r, &mut scratch).as_deref(),
            Some("UNKNOWN")
        );
        r.file(&[75, 0x44, 0x2a]);
        assert_eq!(
            raw(messages_to_nut, &r, &mut scratch).as_deref(),
            Some("BOOST CHARGING NEED_REPLACMENT OVERHEAT MAINS_OUT_OF_RANGE")
        );
        r.file(&[75, 0x03, 0x00]);
        assert_eq!(raw(messages_to_nut, &r, &mut scratch).as_deref(), Some(""));
        r.file(&[76, 0x0d, 0x01]);
        assert_eq!(
            raw(alarms_to_nut, &r, &mut scratch).as_deref(),
            Some("OVERLOAD OVERHEAT CRITICAL_BATT_VOLTAGE")
        );
        // reports the device does not have: no value at all
        let none = reports(&[(1, 1)]);
        assert_eq!(raw(workmode_to_nut, &none, &mut scratch), None);
        assert_eq!(raw(on_off_to_nut, &none, &mut scratch), None);
        assert_eq!(raw(messages_to_nut, &none, &mut scratch), None);
        assert_eq!(raw(alarms_to_nut, &none, &mut scratch), None);
        assert_eq!(
            raw(mac_address_to_nut, &none, &mut scratch).as_deref(),
            Some("")
        );
    }
}
