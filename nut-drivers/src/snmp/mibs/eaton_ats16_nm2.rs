//! The mapping tables of C NUT 2.8.0's `eaton-ats16-nm2-mib.c`, as Rust data.
//!
//! Generated from C NUT 2.8.0's table by the extractor in `extract/`: do not edit
//! by hand, regenerate (see `extract/README.md`).

use crate::snmp::mib::{flag, var, Item, Lookup, Mapping};

/// The `eaton_ats16_nm2` mapping (C's `eaton_ats16_nm2`).
pub static EATON_ATS16_NM2: Mapping = Mapping {
    name: "eaton_ats16_nm2",
    version: "0.22",
    power_status_oid: None,
    probe_oid: Some(".1.3.6.1.4.1.534.10.2.1.2.0"),
    sys_oid: Some(".1.3.6.1.4.1.534.10.2"),
    items: &EATON_ATS16_NM2_MIB,
    alarms: &[],
};

/// The items of C's `eaton_ats16_nm2_mib`.
pub static EATON_ATS16_NM2_MIB: [Item; 37] = [
    Item {
        name: "device.description",
        var_flags: var::RW | var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.2.1.1.1.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "device.contact",
        var_flags: var::RW | var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.2.1.1.4.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "device.location",
        var_flags: var::RW | var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.2.1.1.6.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "device.type",
        var_flags: var::STRING,
        len: 128.0,
        oid: None,
        default: Some("ats"),
        flags: flag::OK | flag::STATIC | flag::ABSENT,
        lookup: None,
    },
    Item {
        name: "device.mfr",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.1.1.0"),
        default: Some("Eaton"),
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "device.model",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.1.2.0"),
        default: Some("ATS"),
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "ups.firmware",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.1.3.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.firmware.aux",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.1.7.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "device.serial",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.1.5.0"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "device.part",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.1.6.0"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "input.1.id",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.2.1.1.1"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "input.2.id",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.2.1.1.2"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "input.1.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.2.1.2.1"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.2.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.2.1.2.2"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.1.voltage.status",
        var_flags: var::STRING,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.3.2.1.5.1"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_NM2_INPUT_VOLTAGE_STATUS_INFO),
    },
    Item {
        name: "input.2.voltage.status",
        var_flags: var::STRING,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.3.2.1.5.2"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_NM2_INPUT_VOLTAGE_STATUS_INFO),
    },
    Item {
        name: "input.1.frequency",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.2.1.3.1"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.2.frequency",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.2.1.3.2"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.1.frequency.status",
        var_flags: var::STRING,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.3.2.1.2.1"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_NM2_INPUT_FREQUENCY_STATUS_INFO),
    },
    Item {
        name: "input.2.frequency.status",
        var_flags: var::STRING,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.3.2.1.2.2"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_NM2_INPUT_FREQUENCY_STATUS_INFO),
    },
    Item {
        name: "input.sensitivity",
        var_flags: var::RW,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.4.6.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_NM2_SENSITIVITY_INFO),
    },
    Item {
        name: "input.source",
        var_flags: var::STRING,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.4.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_NM2_SOURCE_INFO),
    },
    Item {
        name: "input.source.preferred",
        var_flags: var::RW,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.4.5.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.phase.shift",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.1.1.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.3.1.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.voltage.nominal",
        var_flags: var::RW,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.4.4.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.current",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.2.2.3.2.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.test.result",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.4.8.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_NM2_TEST_RESULT_INFO),
    },
    Item {
        name: "ups.status",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.3.3.2.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_NM2_OUTPUT_STATUS_INFO),
    },
    Item {
        name: "ambient.temperature",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.5.1.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ambient.temperature.low",
        var_flags: var::RW,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.5.5.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ambient.temperature.high",
        var_flags: var::RW,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.5.6.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ambient.humidity",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.5.2.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ambient.humidity.low",
        var_flags: var::RW,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.5.7.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ambient.humidity.high",
        var_flags: var::RW,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.5.8.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ambient.contacts.1.status",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.5.4.1.3.1"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_AMBIENT_DRYCONTACTS_INFO),
    },
    Item {
        name: "ambient.contacts.2.status",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.2.5.4.1.3.2"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS16_AMBIENT_DRYCONTACTS_INFO),
    },
];

/// The lookup C's `eaton_ats16_nm2_input_voltage_status_info`.
pub static EATON_ATS16_NM2_INPUT_VOLTAGE_STATUS_INFO: [Lookup; 4] = [
    Lookup {
        value: 1,
        text: Some("good"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("derated-range"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("out-of-range"),
        hook: None,
    },
    Lookup {
        value: 4,
        text: Some("unknown"),
        hook: None,
    },
];

/// The lookup C's `eaton_ats16_nm2_input_frequency_status_info`.
pub static EATON_ATS16_NM2_INPUT_FREQUENCY_STATUS_INFO: [Lookup; 2] = [
    Lookup {
        value: 1,
        text: Some("good"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("out-of-range"),
        hook: None,
    },
];

/// The lookup C's `eaton_ats16_nm2_sensitivity_info`.
pub static EATON_ATS16_NM2_SENSITIVITY_INFO: [Lookup; 3] = [
    Lookup {
        value: 1,
        text: Some("normal"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("high"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("low"),
        hook: None,
    },
];

/// The lookup C's `eaton_ats16_nm2_source_info`.
pub static EATON_ATS16_NM2_SOURCE_INFO: [Lookup; 7] = [
    Lookup {
        value: 1,
        text: Some("init"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("diagnosis"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("off"),
        hook: None,
    },
    Lookup {
        value: 4,
        text: Some("1"),
        hook: None,
    },
    Lookup {
        value: 5,
        text: Some("2"),
        hook: None,
    },
    Lookup {
        value: 6,
        text: Some("safe"),
        hook: None,
    },
    Lookup {
        value: 7,
        text: Some("fault"),
        hook: None,
    },
];

/// The lookup C's `eaton_ats16_nm2_test_result_info`.
pub static EATON_ATS16_NM2_TEST_RESULT_INFO: [Lookup; 6] = [
    Lookup {
        value: 1,
        text: Some("done and passed"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("done and warning"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("done and error"),
        hook: None,
    },
    Lookup {
        value: 4,
        text: Some("aborted"),
        hook: None,
    },
    Lookup {
        value: 5,
        text: Some("in progress"),
        hook: None,
    },
    Lookup {
        value: 6,
        text: Some("no test initiated"),
        hook: None,
    },
];

/// The lookup C's `eaton_ats16_nm2_output_status_info`.
pub static EATON_ATS16_NM2_OUTPUT_STATUS_INFO: [Lookup; 2] = [
    Lookup {
        value: 1,
        text: Some("OFF"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("OL"),
        hook: None,
    },
];

/// The lookup C's `eaton_ats16_ambient_drycontacts_info`.
pub static EATON_ATS16_AMBIENT_DRYCONTACTS_INFO: [Lookup; 5] = [
    Lookup {
        value: -1,
        text: Some("unknown"),
        hook: None,
    },
    Lookup {
        value: 1,
        text: Some("opened"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("closed"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("opened"),
        hook: None,
    },
    Lookup {
        value: 4,
        text: Some("closed"),
        hook: None,
    },
];
