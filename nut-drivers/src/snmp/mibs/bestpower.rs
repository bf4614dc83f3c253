//! The mapping tables of C NUT 2.8.0's `bestpower-mib.c`, as Rust data.
//!
//! Generated from C NUT 2.8.0's table by the extractor in `extract/`: do not edit
//! by hand, regenerate (see `extract/README.md`).

use crate::snmp::mib::{flag, var, Item, Lookup, Mapping};

/// The `bestpower` mapping (C's `bestpower`).
pub static BESTPOWER: Mapping = Mapping {
    name: "bestpower",
    version: "0.4",
    power_status_oid: None,
    probe_oid: Some(".1.3.6.1.4.1.2947.1.1.2.0"),
    sys_oid: Some(".1.3.6.1.4.1.2947.1.1.2.0"),
    items: &BESTPOWER_MIB,
    alarms: &[],
};

/// The items of C's `bestpower_mib`.
pub static BESTPOWER_MIB: [Item; 15] = [
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
        default: Some("ups"),
        flags: flag::OK | flag::STATIC | flag::ABSENT,
        lookup: None,
    },
    Item {
        name: "ups.mfr",
        var_flags: var::STRING,
        len: 128.0,
        oid: None,
        default: Some("EATON"),
        flags: flag::OK | flag::STATIC | flag::ABSENT,
        lookup: None,
    },
    Item {
        name: "ups.model",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.2947.1.1.2.0"),
        default: Some("Best Ferrups"),
        flags: flag::STATIC,
        lookup: None,
    },
    Item {
        name: "ups.serial",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.2947.1.1.5.0"),
        default: Some(""),
        flags: flag::STATIC,
        lookup: None,
    },
    Item {
        name: "ups.firmware",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.2947.1.1.7.0"),
        default: Some(""),
        flags: flag::STATIC,
        lookup: None,
    },
    Item {
        name: "ups.power",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2947.1.1.3.0"),
        default: Some(""),
        flags: 0,
        lookup: None,
    },
    Item {
        name: "ups.mfr.date",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.2947.1.1.8.0"),
        default: Some(""),
        flags: 0,
        lookup: None,
    },
    Item {
        name: "ups.status",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.2947.1.2.1.0"),
        default: Some(""),
        flags: 0,
        lookup: Some(&BESTPOWER_POWER_STATUS),
    },
    Item {
        name: "battery.runtime",
        var_flags: 0,
        len: 60.0,
        oid: Some(".1.3.6.1.4.1.2947.1.2.3.0"),
        default: Some(""),
        flags: 0,
        lookup: None,
    },
    Item {
        name: "battery.runtime.elapsed",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2947.1.2.2.0"),
        default: Some(""),
        flags: 0,
        lookup: None,
    },
    Item {
        name: "battery.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.2947.1.2.4.0"),
        default: Some(""),
        flags: 0,
        lookup: None,
    },
    Item {
        name: "battery.current",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.2947.1.2.5.0"),
        default: Some(""),
        flags: 0,
        lookup: None,
    },
];

/// The lookup C's `bestpower_power_status`.
pub static BESTPOWER_POWER_STATUS: [Lookup; 2] = [
    Lookup {
        value: 1,
        text: Some("OL"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("OB"),
        hook: None,
    },
];
