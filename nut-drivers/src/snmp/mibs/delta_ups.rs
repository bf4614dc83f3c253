//! The mapping tables of C NUT 2.8.0's `delta_ups-mib.c`, as Rust data.
//!
//! Generated from C NUT 2.8.0's table by the extractor in `extract/`: do not edit
//! by hand, regenerate (see `extract/README.md`).

use crate::snmp::mib::{flag, var, Item, Lookup, Mapping};

/// The `delta_ups` mapping (C's `delta_ups`).
pub static DELTA_UPS: Mapping = Mapping {
    name: "delta_ups",
    version: "0.5",
    power_status_oid: None,
    probe_oid: None,
    sys_oid: Some(".1.3.6.1.4.1.2254.2.4"),
    items: &DELTA_UPS_MIB,
    alarms: &[],
};

/// The items of C's `delta_ups_mib`.
pub static DELTA_UPS_MIB: [Item; 19] = [
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
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.1.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.model",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.2.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.firmware",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.4.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.firmware.aux",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.3.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.type",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.19.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&DELTA_UPS_UPSTYPE_INFO),
    },
    Item {
        name: "ups.load",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.5.7.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.power",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.7.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.voltage.nominal",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.8.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.2254.2.4.5.4.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.frequency.nominal",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.9.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "output.current",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.2254.2.4.5.5.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.voltage.nominal",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.10.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.voltage",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.2254.2.4.4.3.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.frequency.nominal",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.1.11.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.frequency",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.2254.2.4.4.2.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.status",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.2254.2.4.5.1.0"),
        default: None,
        flags: flag::OK,
        lookup: Some(&DELTA_UPS_PWR_INFO),
    },
];

/// The lookup C's `delta_ups_upstype_info`.
pub static DELTA_UPS_UPSTYPE_INFO: [Lookup; 5] = [
    Lookup {
        value: 1,
        text: Some("on-line"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("off-line"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("line-interactive"),
        hook: None,
    },
    Lookup {
        value: 4,
        text: Some("3phase"),
        hook: None,
    },
    Lookup {
        value: 5,
        text: Some("splite-phase"),
        hook: None,
    },
];

/// The lookup C's `delta_ups_pwr_info`.
pub static DELTA_UPS_PWR_INFO: [Lookup; 7] = [
    Lookup {
        value: 0,
        text: Some("OL"),
        hook: None,
    },
    Lookup {
        value: 1,
        text: Some("OB"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("BYPASS"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("TRIM"),
        hook: None,
    },
    Lookup {
        value: 4,
        text: Some("BOOST"),
        hook: None,
    },
    Lookup {
        value: 5,
        text: Some("BYPASS"),
        hook: None,
    },
    Lookup {
        value: 7,
        text: Some("OFF"),
        hook: None,
    },
];
