//! Usage names and the conversion between numeric paths and their text form
//! (`UPS.PowerSummary.RemainingCapacity`), as C NUT 2.8.0's `libhid.c` does it.

/// A usage name table: (`page << 16 | id`, name) pairs, searched in order.
pub type UsageTable = &'static [(u32, &'static str)];

/// The longest path text C prints: it formats paths into a 128-byte buffer.
pub const MAX_PATH_TEXT: usize = 127;

/// The longest path text C parses: it copies the text into a 512-byte buffer first.
const MAX_PATH_INPUT: usize = 511;

/// C's deepest path, beyond which it aborts.
const MAX_PARSED_NODES: usize = 255;

/// The standard usage names of the Power Device (0x84) and Battery System (0x85) pages, in the
/// order and spelling of C NUT 2.8.0's `hid_usage_lkp` (including its oddities such as
/// `iDevicename` and a second `Undefined` and `VoltageOutOfRange` on page 0x85).
pub static HID_USAGES: UsageTable = &[
    (0x00840000, "Undefined"),
    (0x00840001, "iName"),
    (0x00840002, "PresentStatus"),
    (0x00840003, "ChangedStatus"),
    (0x00840004, "UPS"),
    (0x00840005, "PowerSupply"),
    (0x00840010, "BatterySystem"),
    (0x00840011, "BatterySystemID"),
    (0x00840012, "Battery"),
    (0x00840013, "BatteryID"),
    (0x00840014, "Charger"),
    (0x00840015, "ChargerID"),
    (0x00840016, "PowerConverter"),
    (0x00840017, "PowerConverterID"),
    (0x00840018, "OutletSystem"),
    (0x00840019, "OutletSystemID"),
    (0x0084001a, "Input"),
    (0x0084001b, "InputID"),
    (0x0084001c, "Output"),
    (0x0084001d, "OutputID"),
    (0x0084001e, "Flow"),
    (0x0084001f, "FlowID"),
    (0x00840020, "Outlet"),
    (0x00840021, "OutletID"),
    (0x00840022, "Gang"),
    (0x00840023, "GangID"),
    (0x00840024, "PowerSummary"),
    (0x00840025, "PowerSummaryID"),
    (0x00840030, "Voltage"),
    (0x00840031, "Current"),
    (0x00840032, "Frequency"),
    (0x00840033, "ApparentPower"),
    (0x00840034, "ActivePower"),
    (0x00840035, "PercentLoad"),
    (0x00840036, "Temperature"),
    (0x00840037, "Humidity"),
    (0x00840038, "BadCount"),
    (0x00840040, "ConfigVoltage"),
    (0x00840041, "ConfigCurrent"),
    (0x00840042, "ConfigFrequency"),
    (0x00840043, "ConfigApparentPower"),
    (0x00840044, "ConfigActivePower"),
    (0x00840045, "ConfigPercentLoad"),
    (0x00840046, "ConfigTemperature"),
    (0x00840047, "ConfigHumidity"),
    (0x00840050, "SwitchOnControl"),
    (0x00840051, "SwitchOffControl"),
    (0x00840052, "ToggleControl"),
    (0x00840053, "LowVoltageTransfer"),
    (0x00840054, "HighVoltageTransfer"),
    (0x00840055, "DelayBeforeReboot"),
    (0x00840056, "DelayBeforeStartup"),
    (0x00840057, "DelayBeforeShutdown"),
    (0x00840058, "Test"),
    (0x00840059, "ModuleReset"),
    (0x0084005a, "AudibleAlarmControl"),
    (0x00840060, "Present"),
    (0x00840061, "Good"),
    (0x00840062, "InternalFailure"),
    (0x00840063, "VoltageOutOfRange"),
    (0x00840064, "FrequencyOutOfRange"),
    (0x00840065, "Overload"),
    (0x00840066, "OverCharged"),
    (0x00840067, "OverTemperature"),
    (0x00840068, "ShutdownRequested"),
    (0x00840069, "ShutdownImminent"),
    (0x0084006b, "SwitchOn/Off"),
    (0x0084006c, "Switchable"),
    (0x0084006d, "Used"),
    (0x0084006e, "Boost"),
    (0x0084006f, "Buck"),
    (0x00840070, "Initialized"),
    (0x00840071, "Tested"),
    (0x00840072, "AwaitingPower"),
    (0x00840073, "CommunicationLost"),
    (0x008400fd, "iManufacturer"),
    (0x008400fe, "iProduct"),
    (0x008400ff, "iSerialNumber"),
    (0x00850000, "Undefined"),
    (0x00850001, "SMBBatteryMode"),
    (0x00850002, "SMBBatteryStatus"),
    (0x00850003, "SMBAlarmWarning"),
    (0x00850004, "SMBChargerMode"),
    (0x00850005, "SMBChargerStatus"),
    (0x00850006, "SMBChargerSpecInfo"),
    (0x00850007, "SMBSelectorState"),
    (0x00850008, "SMBSelectorPresets"),
    (0x00850009, "SMBSelectorInfo"),
    (0x00850010, "OptionalMfgFunction1"),
    (0x00850011, "OptionalMfgFunction2"),
    (0x00850012, "OptionalMfgFunction3"),
    (0x00850013, "OptionalMfgFunction4"),
    (0x00850014, "OptionalMfgFunction5"),
    (0x00850015, "ConnectionToSMBus"),
    (0x00850016, "OutputConnection"),
    (0x00850017, "ChargerConnection"),
    (0x00850018, "BatteryInsertion"),
    (0x00850019, "Usenext"),
    (0x0085001a, "OKToUse"),
    (0x0085001b, "BatterySupported"),
    (0x0085001c, "SelectorRevision"),
    (0x0085001d, "ChargingIndicator"),
    (0x00850028, "ManufacturerAccess"),
    (0x00850029, "RemainingCapacityLimit"),
    (0x0085002a, "RemainingTimeLimit"),
    (0x0085002b, "AtRate"),
    (0x0085002c, "CapacityMode"),
    (0x0085002d, "BroadcastToCharger"),
    (0x0085002e, "PrimaryBattery"),
    (0x0085002f, "ChargeController"),
    (0x00850040, "TerminateCharge"),
    (0x00850041, "TerminateDischarge"),
    (0x00850042, "BelowRemainingCapacityLimit"),
    (0x00850043, "RemainingTimeLimitExpired"),
    (0x00850044, "Charging"),
    (0x00850045, "Discharging"),
    (0x00850046, "FullyCharged"),
    (0x00850047, "FullyDischarged"),
    (0x00850048, "ConditioningFlag"),
    (0x00850049, "AtRateOK"),
    (0x0085004a, "SMBErrorCode"),
    (0x0085004b, "NeedReplacement"),
    (0x00850060, "AtRateTimeToFull"),
    (0x00850061, "AtRateTimeToEmpty"),
    (0x00850062, "AverageCurrent"),
    (0x00850063, "Maxerror"),
    (0x00850064, "RelativeStateOfCharge"),
    (0x00850065, "AbsoluteStateOfCharge"),
    (0x00850066, "RemainingCapacity"),
    (0x00850067, "FullChargeCapacity"),
    (0x00850068, "RunTimeToEmpty"),
    (0x00850069, "AverageTimeToEmpty"),
    (0x0085006a, "AverageTimeToFull"),
    (0x0085006b, "CycleCount"),
    (0x00850080, "BattPackModelLevel"),
    (0x00850081, "InternalChargeController"),
    (0x00850082, "PrimaryBatterySupport"),
    (0x00850083, "DesignCapacity"),
    (0x00850084, "SpecificationInfo"),
    (0x00850085, "ManufacturerDate"),
    (0x00850086, "SerialNumber"),
    (0x00850087, "iManufacturerName"),
    (0x00850088, "iDevicename"),
    (0x00850089, "iDeviceChemistry"),
    (0x0085008a, "ManufacturerData"),
    (0x0085008b, "Rechargeable"),
    (0x0085008c, "WarningCapacityLimit"),
    (0x0085008d, "CapacityGranularity1"),
    (0x0085008e, "CapacityGranularity2"),
    (0x0085008f, "iOEMInformation"),
    (0x008500c0, "InhibitCharge"),
    (0x008500c1, "EnablePolling"),
    (0x008500c2, "ResetToZero"),
    (0x008500d0, "ACPresent"),
    (0x008500d1, "BatteryPresent"),
    (0x008500d2, "PowerFail"),
    (0x008500d3, "AlarmInhibited"),
    (0x008500d4, "ThermistorUnderRange"),
    (0x008500d5, "ThermistorHot"),
    (0x008500d6, "ThermistorCold"),
    (0x008500d7, "ThermistorOverRange"),
    (0x008500d8, "VoltageOutOfRange"),
    (0x008500d9, "CurrentOutOfRange"),
    (0x008500da, "CurrentNotRegulated"),
    (0x008500db, "VoltageNotRegulated"),
    (0x008500dc, "MasterMode"),
    (0x008500f0, "ChargerSelectorSupport"),
    (0x008500f1, "ChargerSpec"),
    (0x008500f2, "Level2"),
    (0x008500f3, "Level3"),
];

/// The name of `node` in the first table that has it.
pub fn usage_name(node: u32, tables: &[UsageTable]) -> Option<&'static str> {
    tables
        .iter()
        .find_map(|table| table.iter().find(|(code, _)| *code == node))
        .map(|(_, name)| *name)
}

/// The usage a name stands for in the first table that has it, ignoring ASCII case.
pub fn usage_code(name: &str, tables: &[UsageTable]) -> Option<u32> {
    tables
        .iter()
        .find_map(|table| {
            table
                .iter()
                .find(|(_, known)| known.eq_ignore_ascii_case(name))
        })
        .map(|(code, _)| *code)
}

/// The text form of a path, as C prints it: nodes joined with `.`, each one its name from
/// `tables` (first table first), else `[N]` for a collection index node `0x00ffNNNN`, else
/// eight lowercase hex digits. Like C, the text is cut at [`MAX_PATH_TEXT`] bytes.
pub fn path_to_string(path: &[u32], tables: &[UsageTable]) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    for (i, node) in path.iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        if let Some(name) = usage_name(*node, tables) {
            text.push_str(name);
        } else if node & 0xFFFF_0000 == 0x00FF_0000 {
            let _ = write!(text, "[{}]", node & 0xFFFF);
        } else {
            let _ = write!(text, "{node:08x}");
        }
        if text.len() > MAX_PATH_TEXT {
            break;
        }
    }
    if text.len() > MAX_PATH_TEXT {
        let mut end = MAX_PATH_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// C's `strtol` on the leading decimal digits of `digits` (saturating), then cut to an `int`
/// as `atoi` does.
fn c_atoi(digits: &[u8]) -> i32 {
    let mut value: i64 = 0;
    for digit in digits.iter().take_while(|b| b.is_ascii_digit()) {
        value = value
            .saturating_mul(10)
            .saturating_add(i64::from(digit - b'0'));
    }
    value as i32
}

/// The numeric path of a text path, as C's `string_to_path` reads it: components separated by
/// dots (empty ones skipped), each a name from `tables` (any case), else a hex number up to
/// `ffffffff`, else an index `[N]`; C skips a component it cannot read and keeps going. `None`
/// when no component was read, or when C would abort (more than 255).
pub fn string_to_path(text: &str, tables: &[UsageTable]) -> Option<Vec<u32>> {
    let bytes = text.as_bytes();
    let bytes = &bytes[..bytes.len().min(MAX_PATH_INPUT)];
    let bytes = bytes.split(|b| *b == 0).next().unwrap_or_default();
    let mut path = Vec::new();
    for token in bytes.split(|b| *b == b'.').filter(|t| !t.is_empty()) {
        if let Some(code) = std::str::from_utf8(token)
            .ok()
            .and_then(|name| usage_code(name, tables))
        {
            path.push(code);
            continue;
        }
        if token.iter().all(u8::is_ascii_hexdigit) {
            let mut value: u64 = 0;
            for digit in token {
                let d = char::from(*digit).to_digit(16).unwrap_or(0);
                value = value.saturating_mul(16).saturating_add(u64::from(d));
            }
            if let Ok(node) = u32::try_from(value) {
                path.push(node);
            }
            continue;
        }
        if token
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'[' || *b == b']')
        {
            let index = c_atoi(&token[1..]);
            if let Ok(index) = u32::try_from(index) {
                path.push(0x00FF_0000u32.wrapping_add(index));
            }
        }
    }
    if path.is_empty() || path.len() > MAX_PARSED_NODES {
        None
    } else {
        Some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::hid::vendor_usages::{APC_USAGES, MGE_USAGES};

    #[test]
    fn names_indexes_and_hex() {
        let path = [0x0084_0004, 0x0084_001e, 0x00ff_0004, 0x0084_0043];
        let text = path_to_string(&path, &[HID_USAGES]);
        assert_eq!(text, "UPS.Flow.[4].ConfigApparentPower");
        assert_eq!(string_to_path(&text, &[HID_USAGES]), Some(path.to_vec()));
        assert_eq!(
            path_to_string(&[0x0084_0004, 0xff86_0060], &[HID_USAGES]),
            "UPS.ff860060"
        );
        assert_eq!(
            path_to_string(&[0x0084_0004, 0xff86_0060], &[APC_USAGES, HID_USAGES]),
            "UPS.APCStatusFlag"
        );
        // the vendor table comes first
        assert_eq!(
            path_to_string(&[0xffff_0000], &[MGE_USAGES, HID_USAGES]),
            "Undefined"
        );
        assert_eq!(
            string_to_path("Undefined", &[MGE_USAGES, HID_USAGES]),
            Some(vec![0xffff_0000])
        );
    }

    #[test]
    fn c_reading_of_odd_text() {
        let t = &[HID_USAGES];
        assert_eq!(
            string_to_path("ups..powersummary", t),
            Some(vec![0x0084_0004, 0x0084_0024])
        );
        // an unreadable component is skipped
        assert_eq!(
            string_to_path("UPS.Nonsense.Voltage", t),
            Some(vec![0x0084_0004, 0x0084_0030])
        );
        assert_eq!(string_to_path("Nonsense", t), None);
        assert_eq!(string_to_path("", t), None);
        // hex wins over an index, "[" alone is index 0
        assert_eq!(
            string_to_path("12.[.[7]", t),
            Some(vec![0x12, 0x00ff_0000, 0x00ff_0007])
        );
        assert_eq!(string_to_path("123456789", t), None);
        // atoi keeps the low 32 bits of the number: negative ones are refused
        assert_eq!(string_to_path("[4294967295]", t), None);
        assert_eq!(
            string_to_path("[99999999999]", t),
            Some(vec![0x00ff_0000u32.wrapping_add(1_215_752_191)])
        );
    }

    #[test]
    fn long_text_is_cut_like_c() {
        let path = vec![0x0084_0004; 40];
        assert_eq!(path_to_string(&path, &[HID_USAGES]).len(), MAX_PATH_TEXT);
    }
}
