//! The mapping tables of C NUT 2.8.0's `eaton-ats30-mib.c`, as Rust data.
//!
//! Generated from C NUT 2.8.0's table by the extractor in `extract/`: do not edit
//! by hand, regenerate (see `extract/README.md`).

use crate::snmp::mib::{flag, var, Item, Lookup, Mapping};

/// The `eaton_ats30` mapping (C's `eaton_ats30`).
pub static EATON_ATS30: Mapping = Mapping {
    name: "eaton_ats30",
    version: "0.03",
    power_status_oid: None,
    probe_oid: Some(".1.3.6.1.4.1.534.10.1.2.1.0"),
    sys_oid: Some(".1.3.6.1.4.1.534.10.1"),
    items: &EATON_ATS30_MIB,
    alarms: &[],
};

/// The items of C's `eaton_ats30_mib`.
pub static EATON_ATS30_MIB: [Item; 22] = [
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
        name: "device.mfr",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.1.1.0"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "device.model",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.2.1.0"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "ups.firmware",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.2.2.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "device.serial",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.2.4.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.1.id",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.1.1.1.1"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.2.id",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.1.1.1.2"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.1.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.1.1.2.1"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.2.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.1.1.2.2"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.1.frequency",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.1.1.3.1"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.2.frequency",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.1.1.3.2"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.2.1.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.current",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.2.2.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.temperature",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.3.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "device.uptime",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.5.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.source",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.3.7.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS30_SOURCE_INFO),
    },
    Item {
        name: "ups.status",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.4.5.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS30_STATUS_INFO),
    },
    Item {
        name: "input.source.preferred",
        var_flags: var::RW,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.6.5.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.sensitivity",
        var_flags: var::RW,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.534.10.1.6.6.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&EATON_ATS30_INPUT_SENSITIVITY),
    },
];

/// The lookup C's `eaton_ats30_source_info`.
pub static EATON_ATS30_SOURCE_INFO: [Lookup; 7] = [
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

/// The lookup C's `eaton_ats30_status_info`.
pub static EATON_ATS30_STATUS_INFO: [Lookup; 16] = [
    Lookup {
        value: 0,
        text: Some("OL"),
        hook: None,
    },
    Lookup {
        value: 1,
        text: Some("OL"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("OFF"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("OFF"),
        hook: None,
    },
    Lookup {
        value: 4,
        text: Some("OL OVER"),
        hook: None,
    },
    Lookup {
        value: 5,
        text: Some("OL OVER"),
        hook: None,
    },
    Lookup {
        value: 6,
        text: Some("OFF OVER"),
        hook: None,
    },
    Lookup {
        value: 7,
        text: Some("OFF OVER"),
        hook: None,
    },
    Lookup {
        value: 8,
        text: Some("OL"),
        hook: None,
    },
    Lookup {
        value: 9,
        text: Some("OL"),
        hook: None,
    },
    Lookup {
        value: 10,
        text: Some("OFF"),
        hook: None,
    },
    Lookup {
        value: 11,
        text: Some("OFF"),
        hook: None,
    },
    Lookup {
        value: 12,
        text: Some("OL OVER"),
        hook: None,
    },
    Lookup {
        value: 13,
        text: Some("OL OVER"),
        hook: None,
    },
    Lookup {
        value: 14,
        text: Some("OFF OVER"),
        hook: None,
    },
    Lookup {
        value: 15,
        text: Some("OFF OVER"),
        hook: None,
    },
];

/// The lookup C's `eaton_ats30_input_sensitivity`.
pub static EATON_ATS30_INPUT_SENSITIVITY: [Lookup; 2] = [
    Lookup {
        value: 1,
        text: Some("high"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("low"),
        hook: None,
    },
];
