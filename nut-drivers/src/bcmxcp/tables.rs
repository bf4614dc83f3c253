//! The BCM/XCP tables: which meter is which NUT variable, the alarm names, the command
//! bytes, status codes and the texts C prints for codes.

/// Entries of the meter map C looks at.
pub(crate) const METER_MAP_MAX: usize = 136;
/// Entries of the alarm map C looks at.
pub(crate) const ALARM_MAP_MAX: usize = 264;

/// Command bytes.
pub mod cmd {
    /// Identification block.
    pub const ID_BLOCK: u8 = 0x31;
    /// Status block.
    pub const STATUS: u8 = 0x33;
    /// Meter block.
    pub const METER_BLOCK: u8 = 0x34;
    /// Current alarms.
    pub const CUR_ALARM: u8 = 0x35;
    /// Configuration block.
    pub const CONFIG_BLOCK: u8 = 0x36;
    /// Battery data block.
    pub const BATTERY: u8 = 0x3B;
    /// Extended limits block.
    pub const LIMIT_BLOCK: u8 = 0x3C;
    /// Command list.
    pub const COMMAND_LIST: u8 = 0x40;
    /// Outlet monitoring block.
    pub const OUTLET_BLOCK: u8 = 0x41;
    /// Topology block.
    pub const TOPOLOGY: u8 = 0x43;
    /// Transfer to bypass.
    pub const GO_TO_BYPASS: u8 = 0x88;
    /// UPS (or outlet) on.
    pub const UPS_ON: u8 = 0x89;
    /// Delayed load off and restart.
    pub const LOAD_OFF_RESTART: u8 = 0x8A;
    /// UPS (or outlet) off.
    pub const UPS_OFF: u8 = 0x8B;
    /// Set a configuration value (0xFF: list the settable ones).
    pub const SET_CONF: u8 = 0x95;
    /// Set an outlet parameter.
    pub const SET_OUTLET: u8 = 0x97;
    /// Request-only mode.
    pub const REQ_ONLY_MODE: u8 = 0xA0;
    /// Battery test.
    pub const BATTERY_TEST: u8 = 0xB1;
    /// System test (0xFF: list the tests).
    pub const SYSTEM_TEST: u8 = 0xB2;
    /// Authorization.
    pub const AUTHORIZATION: u8 = 0xCF;
}

/// The authorization command that precedes every control command.
pub const AUTHOR: [u8; 4] = [0xCF, 0x69, 0xE8, 0xD5];

/// Configuration values of the set-configuration command.
pub mod conf {
    /// Low voltage deviation limit (boost).
    pub const LOW_DEV_LIMIT: u8 = 0x02;
    /// High voltage deviation limit (trim).
    pub const HIGH_DEV_LIMIT: u8 = 0x03;
    /// Low battery warning, minutes.
    pub const LOW_BATT: u8 = 0x05;
    /// Beeper.
    pub const BEEPER: u8 = 0x06;
    /// Return delay.
    pub const RETURN_DELAY: u8 = 0x07;
    /// Return capacity.
    pub const RETURN_CAP: u8 = 0x08;
    /// Maximum temperature.
    pub const MAX_TEMP: u8 = 0x0a;
    /// Nominal output voltage.
    pub const NOMINAL_OUT_VOLTAGE: u8 = 0x0b;
    /// Sleep threshold load.
    pub const SLEEP_TH_LOAD: u8 = 0x0d;
    /// Sleep delay.
    pub const SLEEP_DELAY: u8 = 0x0e;
    /// Battery strings.
    pub const BATT_STRINGS: u8 = 0x0f;
    /// List the settable values.
    pub const REQ: u8 = 0xff;
}

/// Execution status codes of control commands.
pub mod ret {
    /// Accepted.
    pub const ACCEPTED: u8 = 0x31;
    /// Not implemented.
    pub const NOT_IMPLEMENTED: u8 = 0x32;
    /// Busy.
    pub const BUSY: u8 = 0x33;
    /// Unrecognised.
    pub const UNRECOGNISED: u8 = 0x34;
    /// Parameter out of range.
    pub const OUT_OF_RANGE: u8 = 0x35;
    /// Invalid parameter.
    pub const INVALID_PARAMETER: u8 = 0x36;
    /// Accepted with the parameter adjusted.
    pub const ACCEPTED_ADJUSTED: u8 = 0x37;
}

/// Overall status codes of the status block.
pub mod status {
    /// On line.
    pub const ONLINE: u8 = 0x50;
    /// On battery.
    pub const ON_BATTERY: u8 = 0xf0;
    /// Overload.
    pub const OVERLOAD: u8 = 0xe0;
    /// Trim.
    pub const TRIM: u8 = 0x63;
    /// Boost.
    pub const BOOST1: u8 = 0x61;
    /// Boost (second stage).
    pub const BOOST2: u8 = 0x62;
    /// Bypass.
    pub const BYPASS: u8 = 0x60;
    /// Off.
    pub const OFF: u8 = 0x10;
}

/// Alarm bits that change the status.
pub(crate) mod alarm {
    pub(crate) const BATTERY_LOW: usize = 56;
    pub(crate) const BATTERY_NEEDS_SERVICE: usize = 149;
    pub(crate) const UPS_ON_BATTERY: usize = 168;
    pub(crate) const BATTERY_TEST_FAILED: usize = 191;
}

/// Meter indices the driver computes the load from.
pub(crate) mod meter {
    pub(crate) const OUTPUT_VA: usize = 23;
    pub(crate) const LOAD_CURRENT_PHASE_A: usize = 65;
    pub(crate) const LOAD_CURRENT_PHASE_A_BAR_CHART: usize = 68;
    pub(crate) const OUTPUT_VA_BAR_CHART: usize = 71;
}

/// The NUT variable of meter `index` for a unit of `phases` output phases.
pub(crate) fn meter_name(index: usize, phases: u8) -> Option<&'static str> {
    let single = phases == 1;
    Some(match index {
        0 => "output.L1-L2.voltage",
        1 => "output.L2-L3.voltage",
        2 => "output.L3-L1.voltage",
        3 => "input.L1-L2.voltage",
        4 => "input.L2-L3.voltage",
        5 => "input.L3-L1.voltage",
        18 if single => "input.current",
        18 => "input.L1.current",
        19 => "input.L2.current",
        20 => "input.L3.current",
        21 if single => "ups.realpower",
        22 => "input.realpower",
        23 => "ups.power",
        24 => "input.power",
        25 => "output.powerfactor",
        26 => "input.powerfactor",
        27 => "output.frequency",
        28 => "input.frequency",
        30 => "input.bypass.frequency",
        32 => "battery.current",
        33 => "battery.voltage",
        34 => "battery.charge",
        35 => "battery.runtime",
        41 => "battery.voltage.low",
        43 => "battery.charge.low",
        46 => "battery.current.total",
        47 if single => "ups.load",
        47 => "output.L1.power.percent",
        48 if !single => "output.L2.power.percent",
        49 if !single => "output.L3.power.percent",
        50 if !single => "output.L1.power",
        51 if !single => "output.L2.power",
        52 if !single => "output.L3.power",
        53 if single => "input.bypass.voltage",
        53 => "input.bypass.L1-N.voltage",
        54 if !single => "input.bypass.L2-N.voltage",
        55 if !single => "input.bypass.L3-N.voltage",
        56 if single => "input.voltage",
        56 => "input.L1-N.voltage",
        57 => "input.L2-N.voltage",
        58 => "input.L3-N.voltage",
        62 => "ambient.temperature",
        63 => "ups.temperature",
        64 => "ambient.1.temperature",
        65 if single => "output.current",
        65 => "output.L1.current",
        66 => "output.L2.current",
        67 => "output.L3.current",
        68 if single => "output.current.nominal",
        68 => "output.L1.current.nominal",
        69 => "output.L2.current.nominal",
        70 => "output.L3.current.nominal",
        71 => "ups.power.nominal",
        72 => "ups.date",
        73 => "ups.time",
        77 => "battery.temperature",
        78 if single => "output.voltage",
        78 => "output.L1-N.voltage",
        79 => "output.L2-N.voltage",
        80 => "output.L3-N.voltage",
        82 => "ups.L1-N.realpower",
        83 => "ups.L2-N.realpower",
        84 => "ups.L3-N.realpower",
        85 => "ups.realpower.nominal",
        91 => "input.quality",
        _ => return None,
    })
}

/// `ups.test.result` for the battery test status byte.
pub(crate) fn battery_test(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "No test initiated",
        1 => "In progress",
        2 => "Done and passed",
        3 => "Aborted",
        4 => "Done and error",
        5 => "Test scheduled",
        _ => return None,
    })
}

/// `battery.charger.status` for the ABM status byte (1-based).
pub(crate) const ABM_STATUS: [&str; 4] = ["charging", "discharging", "floating", "resting"];

/// `outlet.N.status` for the outlet state byte.
pub(crate) const OUTLET_STATUS: [&str; 9] = [
    "unknown",
    "on/closed",
    "off/open",
    "on with pending",
    "off with pending",
    "unknown",
    "unknown",
    "failed and closed",
    "failed and open",
];

/// `ups.beeper.status` for the horn status byte.
pub(crate) const HORN_STATUS: [&str; 3] = ["disabled", "enabled", "muted"];

/// `ups.description` for the topology word.
pub(crate) fn topology(code: u16) -> Option<&'static str> {
    Some(match code {
        0x0010 => "Off-line switcher, Single Phase",
        0x0020 => "Line-Interactive UPS, Single Phase",
        0x0021 => "Line-Interactive UPS, Two Phase",
        0x0022 => "Line-Interactive UPS, Three Phase",
        0x0030 => "Dual AC Input, On-Line UPS, Single Phase",
        0x0031 => "Dual AC Input, On-Line UPS, Two Phase",
        0x0032 => "Dual AC Input, On-Line UPS, Three Phase",
        0x0040 => "On-Line UPS, Single Phase",
        0x0041 => "On-Line UPS, Two Phase",
        0x0042 => "On-Line UPS, Three Phase",
        0x0050 => "Parallel Redundant On-Line UPS, Single Phase",
        0x0051 => "Parallel Redundant On-Line UPS, Two Phase",
        0x0052 => "Parallel Redundant On-Line UPS, Three Phase",
        0x0060 => "Parallel for Capacity On-Line UPS, Single Phase",
        0x0061 => "Parallel for Capacity On-Line UPS, Two Phase",
        0x0062 => "Parallel for Capacity On-Line UPS, Three Phase",
        0x0102 => "System Bypass Module, Three Phase",
        0x0122 => "Hot-Tie Cabinet, Three Phase",
        0x0200 => "Outlet Controller, Single Phase",
        0x0222 => "Dual AC Input Static Switch Module, 3 Phase",
        _ => return None,
    })
}

/// The instant command of a control command byte in the command list.
pub(crate) fn command_name(byte: u8) -> Option<&'static str> {
    Some(match byte {
        cmd::BATTERY_TEST => "test.battery.start",
        cmd::LOAD_OFF_RESTART => "shutdown.return",
        cmd::UPS_OFF => "shutdown.stayoff",
        cmd::UPS_ON => "load.on",
        cmd::GO_TO_BYPASS => "bypass.start",
        _ => return None,
    })
}

/// The instant command of a system test code.
pub(crate) fn system_test_name(code: u8) -> Option<&'static str> {
    match code {
        0x01 => Some("test.system.start"),
        0x04 => Some("test.panel.start"),
        _ => None,
    }
}

/// The writable variable a settable configuration value makes, with its size.
pub(crate) fn conf_var(code: u8) -> Option<(&'static str, i64)> {
    Some(match code {
        conf::LOW_DEV_LIMIT => ("input.transfer.boost.high", 3),
        conf::HIGH_DEV_LIMIT => ("input.transfer.trim.low", 3),
        conf::LOW_BATT => ("battery.runtime.low", 2),
        conf::RETURN_DELAY => ("input.transfer.delay", 5),
        conf::RETURN_CAP => ("battery.charge.restart", 3),
        conf::MAX_TEMP => ("ambient.temperature.high", 3),
        conf::NOMINAL_OUT_VOLTAGE => ("output.voltage.nominal", 3),
        conf::SLEEP_TH_LOAD => ("battery.energysave.load", 3),
        conf::SLEEP_DELAY => ("battery.energysave.delay", 3),
        conf::BATT_STRINGS => ("battery.packs", 1),
        _ => return None,
    })
}

/// A settable variable: its configuration code, the range C accepts, and whether the
/// value takes two bytes.
pub(crate) fn settable(var: &str) -> Option<(u8, i64, i64, bool)> {
    let lower = var.to_ascii_lowercase();
    Some(match lower.as_str() {
        "input.transfer.boost.high" => (conf::LOW_DEV_LIMIT, 0, 460, true),
        "input.transfer.trim.low" => (conf::HIGH_DEV_LIMIT, 110, 540, true),
        "battery.runtime.low" => (conf::LOW_BATT, 0, 30, false),
        "input.transfer.delay" => (conf::RETURN_DELAY, 1, 18000, true),
        "battery.charge.restart" => (conf::RETURN_CAP, 0, 100, false),
        "ambient.temperature.high" => (conf::MAX_TEMP, 0, 100, false),
        "output.voltage.nominal" => (conf::NOMINAL_OUT_VOLTAGE, 0, 460, true),
        "battery.energysave.load" => (conf::SLEEP_TH_LOAD, 0, 100, false),
        "battery.energysave.delay" => (conf::SLEEP_DELAY, 0, 255, false),
        "battery.packs" => (conf::BATT_STRINGS, 0, 5, false),
        _ => return None,
    })
}

/// The alarm names of the alarm map, by bit number (`None`: no name, never reported).
pub(crate) const ALARMS: [Option<&str>; ALARM_MAP_MAX] = [
    Some("INVERTER_AC_OVER_VOLTAGE"),
    Some("INVERTER_AC_UNDER_VOLTAGE"),
    Some("INVERTER_OVER_OR_UNDER_FREQ"),
    Some("BYPASS_AC_OVER_VOLTAGE"),
    Some("BYPASS_AC_UNDER_VOLTAGE"),
    Some("BYPASS_OVER_OR_UNDER_FREQ"),
    Some("INPUT_AC_OVER_VOLTAGE"),
    Some("INPUT_AC_UNDER_VOLTAGE"),
    Some("INPUT_UNDER_OR_OVER_FREQ"),
    Some("OUTPUT_OVER_VOLTAGE"),
    Some("OUTPUT_UNDER_VOLTAGE"),
    Some("OUTPUT_UNDER_OR_OVER_FREQ"),
    Some("REMOTE_EMERGENCY_PWR_OFF"),
    Some("REMOTE_GO_TO_BYPASS"),
    Some("BUILDING_ALARM_6"),
    Some("BUILDING_ALARM_5"),
    Some("BUILDING_ALARM_4"),
    Some("BUILDING_ALARM_3"),
    Some("BUILDING_ALARM_2"),
    Some("BUILDING_ALARM_1"),
    Some("STATIC_SWITCH_OVER_TEMP"),
    Some("CHARGER_OVER_TEMP"),
    Some("CHARGER_LOGIC_PWR_FAIL"),
    Some("CHARGER_OVER_VOLTAGE_OR_CURRENT"),
    Some("INVERTER_OVER_TEMP"),
    Some("OUTPUT_OVERLOAD"),
    Some("RECTIFIER_INPUT_OVER_CURRENT"),
    Some("INVERTER_OUTPUT_OVER_CURRENT"),
    Some("DC_LINK_OVER_VOLTAGE"),
    Some("DC_LINK_UNDER_VOLTAGE"),
    Some("RECTIFIER_FAILED"),
    Some("INVERTER_FAULT"),
    Some("BATTERY_CONNECTOR_FAIL"),
    Some("BYPASS_BREAKER_FAIL"),
    Some("CHARGER_FAIL"),
    Some("RAMP_UP_FAILED"),
    Some("STATIC_SWITCH_FAILED"),
    Some("ANALOG_AD_REF_FAIL"),
    Some("BYPASS_UNCALIBRATED"),
    Some("RECTIFIER_UNCALIBRATED"),
    Some("OUTPUT_UNCALIBRATED"),
    Some("INVERTER_UNCALIBRATED"),
    Some("DC_VOLT_UNCALIBRATED"),
    Some("OUTPUT_CURRENT_UNCALIBRATED"),
    Some("RECTIFIER_CURRENT_UNCALIBRATED"),
    Some("BATTERY_CURRENT_UNCALIBRATED"),
    Some("INVERTER_ON_OFF_STAT_FAIL"),
    Some("BATTERY_CURRENT_LIMIT"),
    Some("INVERTER_STARTUP_FAIL"),
    Some("ANALOG_BOARD_AD_STAT_FAIL"),
    Some("OUTPUT_CURRENT_OVER_100"),
    Some("BATTERY_GROUND_FAULT"),
    Some("WAITING_FOR_CHARGER_SYNC"),
    Some("NV_RAM_FAIL"),
    Some("ANALOG_BOARD_AD_TIMEOUT"),
    Some("SHUTDOWN_IMMINENT"),
    Some("BATTERY_LOW"),
    Some("UTILITY_FAIL"),
    Some("OUTPUT_SHORT_CIRCUIT"),
    Some("UTILITY_NOT_PRESENT"),
    Some("FULL_TIME_CHARGING"),
    Some("FAST_BYPASS_COMMAND"),
    Some("AD_ERROR"),
    Some("INTERNAL_COM_FAIL"),
    Some("RECTIFIER_SELFTEST_FAIL"),
    Some("RECTIFIER_EEPROM_FAIL"),
    Some("RECTIFIER_EPROM_FAIL"),
    Some("INPUT_LINE_VOLTAGE_LOSS"),
    Some("BATTERY_DC_OVER_VOLTAGE"),
    Some("POWER_SUPPLY_OVER_TEMP"),
    Some("POWER_SUPPLY_FAIL"),
    Some("POWER_SUPPLY_5V_FAIL"),
    Some("POWER_SUPPLY_12V_FAIL"),
    Some("HEATSINK_OVER_TEMP"),
    Some("HEATSINK_TEMP_SENSOR_FAIL"),
    Some("RECTIFIER_CURRENT_OVER_125"),
    Some("RECTIFIER_FAULT_INTERRUPT_FAIL"),
    Some("RECTIFIER_POWER_CAPACITOR_FAIL"),
    Some("INVERTER_PROGRAM_STACK_ERROR"),
    Some("INVERTER_BOARD_SELFTEST_FAIL"),
    Some("INVERTER_AD_SELFTEST_FAIL"),
    Some("INVERTER_RAM_SELFTEST_FAIL"),
    Some("NV_MEMORY_CHECKSUM_FAIL"),
    Some("PROGRAM_CHECKSUM_FAIL"),
    Some("INVERTER_CPU_SELFTEST_FAIL"),
    Some("NETWORK_NOT_RESPONDING"),
    Some("FRONT_PANEL_SELFTEST_FAIL"),
    Some("NODE_EEPROM_VERIFICATION_ERROR"),
    Some("OUTPUT_AC_OVER_VOLT_TEST_FAIL"),
    Some("OUTPUT_DC_OVER_VOLTAGE"),
    Some("INPUT_PHASE_ROTATION_ERROR"),
    Some("INVERTER_RAMP_UP_TEST_FAILED"),
    Some("INVERTER_OFF_COMMAND"),
    Some("INVERTER_ON_COMMAND"),
    Some("TO_BYPASS_COMMAND"),
    Some("FROM_BYPASS_COMMAND"),
    Some("AUTO_MODE_COMMAND"),
    Some("EMERGENCY_SHUTDOWN_COMMAND"),
    Some("SETUP_SWITCH_OPEN"),
    Some("INVERTER_OVER_VOLT_INT"),
    Some("INVERTER_UNDER_VOLT_INT"),
    Some("ABSOLUTE_DCOV_ACOV"),
    Some("PHASE_A_CURRENT_LIMIT"),
    Some("PHASE_B_CURRENT_LIMIT"),
    Some("PHASE_C_CURRENT_LIMIT"),
    Some("BYPASS_NOT_AVAILABLE"),
    Some("RECTIFIER_BREAKER_OPEN"),
    Some("BATTERY_CONTACTOR_OPEN"),
    Some("INVERTER_CONTACTOR_OPEN"),
    Some("BYPASS_BREAKER_OPEN"),
    Some("INV_BOARD_ACOV_INT_TEST_FAIL"),
    Some("INVERTER_OVER_TEMP_TRIP"),
    Some("INV_BOARD_ACUV_INT_TEST_FAIL"),
    Some("INVERTER_VOLTAGE_FEEDBACK_ERROR"),
    Some("DC_UNDER_VOLTAGE_TIMEOUT"),
    Some("AC_UNDER_VOLTAGE_TIMEOUT"),
    Some("DC_UNDER_VOLTAGE_WHILE_CHARGE"),
    Some("INVERTER_VOLTAGE_BIAS_ERROR"),
    Some("RECTIFIER_PHASE_ROTATION"),
    Some("BYPASS_PHASER_ROTATION"),
    Some("SYSTEM_INTERFACE_BOARD_FAIL"),
    Some("PARALLEL_BOARD_FAIL"),
    Some("LOST_LOAD_SHARING_PHASE_A"),
    Some("LOST_LOAD_SHARING_PHASE_B"),
    Some("LOST_LOAD_SHARING_PHASE_C"),
    Some("DC_OVER_VOLTAGE_TIMEOUT"),
    Some("BATTERY_TOTALLY_DISCHARGED"),
    Some("INVERTER_PHASE_BIAS_ERROR"),
    Some("INVERTER_VOLTAGE_BIAS_ERROR_2"),
    Some("DC_LINK_BLEED_COMPLETE"),
    Some("LARGE_CHARGER_INPUT_CURRENT"),
    Some("INV_VOLT_TOO_LOW_FOR_RAMP_LEVEL"),
    Some("LOSS_OF_REDUNDANCY"),
    Some("LOSS_OF_SYNC_BUS"),
    Some("RECTIFIER_BREAKER_SHUNT_TRIP"),
    Some("LOSS_OF_CHARGER_SYNC"),
    Some("INVERTER_LOW_LEVEL_TEST_TIMEOUT"),
    Some("OUTPUT_BREAKER_OPEN"),
    Some("CONTROL_POWER_ON"),
    Some("INVERTER_ON"),
    Some("CHARGER_ON"),
    Some("BYPASS_ON"),
    Some("BYPASS_POWER_LOSS"),
    Some("ON_MANUAL_BYPASS"),
    Some("BYPASS_MANUAL_TURN_OFF"),
    Some("INVERTER_BLEEDING_DC_LINK_VOLT"),
    Some("CPU_ISR_ERROR"),
    Some("SYSTEM_ISR_RESTART"),
    Some("PARALLEL_DC"),
    Some("BATTERY_NEEDS_SERVICE"),
    Some("BATTERY_CHARGING"),
    Some("BATTERY_NOT_CHARGED"),
    Some("DISABLED_BATTERY_TIME"),
    Some("SERIES_7000_ENABLE"),
    Some("OTHER_UPS_ON"),
    Some("PARALLEL_INVERTER"),
    Some("UPS_IN_PARALLEL"),
    Some("OUTPUT_BREAKER_REALY_FAIL"),
    Some("CONTROL_POWER_OFF"),
    Some("LEVEL_2_OVERLOAD_PHASE_A"),
    Some("LEVEL_2_OVERLOAD_PHASE_B"),
    Some("LEVEL_2_OVERLOAD_PHASE_C"),
    Some("LEVEL_3_OVERLOAD_PHASE_A"),
    Some("LEVEL_3_OVERLOAD_PHASE_B"),
    Some("LEVEL_3_OVERLOAD_PHASE_C"),
    Some("LEVEL_4_OVERLOAD_PHASE_A"),
    Some("LEVEL_4_OVERLOAD_PHASE_B"),
    Some("LEVEL_4_OVERLOAD_PHASE_C"),
    Some("UPS_ON_BATTERY"),
    Some("UPS_ON_BYPASS"),
    Some("LOAD_DUMPED"),
    Some("LOAD_ON_INVERTER"),
    Some("UPS_ON_COMMAND"),
    Some("UPS_OFF_COMMAND"),
    Some("LOW_BATTERY_SHUTDOWN"),
    Some("AUTO_ON_ENABLED"),
    Some("SOFTWARE_INCOMPABILITY_DETECTED"),
    Some("INVERTER_TEMP_SENSOR_FAILED"),
    Some("DC_START_OCCURED"),
    Some("IN_PARALLEL_OPERATION"),
    Some("SYNCING_TO_BYPASS"),
    Some("RAMPING_UPS_UP"),
    Some("INVERTER_ON_DELAY"),
    Some("CHARGER_ON_DELAY"),
    Some("WAITING_FOR_UTIL_INPUT"),
    Some("CLOSE_BYPASS_BREAKER"),
    Some("TEMPORARY_BYPASS_OPERATION"),
    Some("SYNCING_TO_OUTPUT"),
    Some("BYPASS_FAILURE"),
    Some("AUTO_OFF_COMMAND_EXECUTED"),
    Some("AUTO_ON_COMMAND_EXECUTED"),
    Some("BATTERY_TEST_FAILED"),
    Some("FUSE_FAIL"),
    Some("FAN_FAIL"),
    Some("SITE_WIRING_FAULT"),
    Some("BACKFEED_CONTACTOR_FAIL"),
    Some("ON_BUCK"),
    Some("ON_BOOST"),
    Some("ON_DOUBLE_BOOST"),
    Some("BATTERIES_DISCONNECTED"),
    Some("UPS_CABINET_OVER_TEMP"),
    Some("TRANSFORMER_OVER_TEMP"),
    Some("AMBIENT_UNDER_TEMP"),
    Some("AMBIENT_OVER_TEMP"),
    Some("CABINET_DOOR_OPEN"),
    Some("CABINET_DOOR_OPEN_VOLT_PRESENT"),
    Some("AUTO_SHUTDOWN_PENDING"),
    Some("TAP_SWITCHING_REALY_PENDING"),
    Some("UNABLE_TO_CHARGE_BATTERIES"),
    Some("STARTUP_FAILURE_CHECK_EPO"),
    Some("AUTOMATIC_STARTUP_PENDING"),
    Some("MODEM_FAILED"),
    Some("INCOMING_MODEM_CALL_STARTED"),
    Some("OUTGOING_MODEM_CALL_STARTED"),
    Some("MODEM_CONNECTION_ESTABLISHED"),
    Some("MODEM_CALL_COMPLETED_SUCCESS"),
    Some("MODEM_CALL_COMPLETED_FAIL"),
    Some("INPUT_BREAKER_FAIL"),
    Some("SYSINIT_IN_PROGRESS"),
    Some("AUTOCALIBRATION_FAIL"),
    Some("SELECTIVE_TRIP_OF_MODULE"),
    Some("INVERTER_OUTPUT_FAILURE"),
    Some("ABNORMAL_OUTPUT_VOLT_AT_STARTUP"),
    Some("RECTIFIER_OVER_TEMP"),
    Some("CONFIG_ERROR"),
    Some("REDUNDANCY_LOSS_DUE_TO_OVERLOAD"),
    Some("ON_ALTERNATE_AC_SOURCE"),
    Some("IN_HIGH_EFFICIENCY_MODE"),
    Some("SYSTEM_NOTICE_ACTIVE"),
    Some("SYSTEM_ALARM_ACTIVE"),
    Some("ALTERNATE_POWER_SOURCE_NOT_AVAILABLE"),
    Some("CURRENT_BALANCE_FAILURE"),
    Some("CHECK_AIR_FILTER"),
    Some("SUBSYSTEM_NOTICE_ACTIVE"),
    Some("SUBSYSTEM_ALARM_ACTIVE"),
    Some("CHARGER_ON_COMMAND"),
    Some("CHARGER_OFF_COMMAND"),
    Some("UPS_NORMAL"),
    Some("INVERTER_PHASE_ROTATION"),
    Some("UPS_OFF"),
    Some("EXTERNAL_COMMUNICATION_FAILURE"),
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    Some("BATTERY_TEST_INPROGRESS"),
    Some("SYSTEM_TEST_INPROGRESS"),
    Some("BATTERY_TEST_ABORTED"),
    None,
    None,
    None,
    None,
    None,
];
