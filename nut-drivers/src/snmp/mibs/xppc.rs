//! The mapping tables of C NUT 2.8.0's `xppc-mib.c`, as Rust data.
//!
//! Generated from C NUT 2.8.0's table by the extractor in `extract/`: do not edit
//! by hand, regenerate (see `extract/README.md`).

use crate::snmp::mib::{flag, var, Item, Lookup, Mapping};

/// The `xppc` mapping (C's `xppc`).
pub static XPPC: Mapping = Mapping {
    name: "xppc",
    version: "0.4",
    power_status_oid: None,
    probe_oid: None,
    sys_oid: Some(".1.3.6.1.4.1.935"),
    items: &XPPC_MIB,
    alarms: &[],
};

/// The items of C's `xppc_mib`.
pub static XPPC_MIB: [Item; 13] = [
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
        name: "ups.mfr",
        var_flags: var::STRING,
        len: 128.0,
        oid: None,
        default: Some("Tripp Lite / Phoenixtec"),
        flags: flag::OK | flag::STATIC | flag::ABSENT,
        lookup: None,
    },
    Item {
        name: "ups.model",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.1.1.1.0"),
        default: Some("Generic Phoenixtec SNMP device"),
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.status",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.2.1.1.0"),
        default: Some(""),
        flags: flag::OK | flag::TYPE_INT | flag::STATUS_BATT,
        lookup: Some(&XPCC_ONBATT_INFO),
    },
    Item {
        name: "battery.charge",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.2.2.1.0"),
        default: None,
        flags: flag::OK | flag::TYPE_INT,
        lookup: None,
    },
    Item {
        name: "ups.temperature",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.2.2.3.0"),
        default: None,
        flags: flag::OK | flag::TYPE_INT,
        lookup: None,
    },
    Item {
        name: "input.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.3.2.1.0"),
        default: None,
        flags: flag::OK | flag::TYPE_INT,
        lookup: None,
    },
    Item {
        name: "ups.status",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.4.1.1.0"),
        default: Some(""),
        flags: flag::TYPE_INT | flag::STATUS_PWR,
        lookup: Some(&XPCC_POWER_INFO),
    },
    Item {
        name: "output.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.4.2.1.0"),
        default: None,
        flags: flag::OK | flag::TYPE_INT,
        lookup: None,
    },
    Item {
        name: "output.frequency",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.4.2.2.0"),
        default: None,
        flags: flag::OK | flag::TYPE_INT,
        lookup: None,
    },
    Item {
        name: "ups.load",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.935.1.1.1.4.2.3.0"),
        default: None,
        flags: flag::OK | flag::TYPE_INT,
        lookup: None,
    },
];

/// The lookup C's `xpcc_onbatt_info`.
pub static XPCC_ONBATT_INFO: [Lookup; 3] = [
    Lookup {
        value: 1,
        text: Some(""),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some(""),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("LB"),
        hook: None,
    },
];

/// The lookup C's `xpcc_power_info`.
pub static XPCC_POWER_INFO: [Lookup; 9] = [
    Lookup {
        value: 1,
        text: Some(""),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("OL"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("OB"),
        hook: None,
    },
    Lookup {
        value: 4,
        text: Some("OL BOOST"),
        hook: None,
    },
    Lookup {
        value: 5,
        text: Some("OFF"),
        hook: None,
    },
    Lookup {
        value: 6,
        text: Some("BYPASS"),
        hook: None,
    },
    Lookup {
        value: 7,
        text: Some(""),
        hook: None,
    },
    Lookup {
        value: 8,
        text: Some("OFF"),
        hook: None,
    },
    Lookup {
        value: 9,
        text: Some("OL TRIM"),
        hook: None,
    },
];
