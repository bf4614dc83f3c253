//! The mapping tables of C NUT 2.8.0's `apc-pdu-mib.c`, as Rust data.
//!
//! Generated from C NUT 2.8.0's table by the extractor in `extract/`: do not edit
//! by hand, regenerate (see `extract/README.md`).

use crate::snmp::mib::{flag, var, Item, Lookup, Mapping};

/// The `apc_pdu` mapping (C's `apc_pdu_rpdu`).
pub static APC_PDU_RPDU: Mapping = Mapping {
    name: "apc_pdu",
    version: "0.4",
    power_status_oid: None,
    probe_oid: Some(".1.3.6.1.4.1.318.1.1.4.1.4.0"),
    sys_oid: Some(".1.3.6.1.4.1.318.1.3.4.4"),
    items: &APC_PDU_MIB,
    alarms: &[],
};

/// The `apc_pdu` mapping (C's `apc_pdu_rpdu2`).
pub static APC_PDU_RPDU2: Mapping = Mapping {
    name: "apc_pdu",
    version: "0.4",
    power_status_oid: None,
    probe_oid: Some(".1.3.6.1.4.1.318.1.1.4.1.4.0"),
    sys_oid: Some(".1.3.6.1.4.1.318.1.3.4.5"),
    items: &APC_PDU_MIB,
    alarms: &[],
};

/// The `apc_pdu` mapping (C's `apc_pdu_msp`).
pub static APC_PDU_MSP: Mapping = Mapping {
    name: "apc_pdu",
    version: "0.4",
    power_status_oid: None,
    probe_oid: Some(".1.3.6.1.4.1.318.1.1.4.1.4.0"),
    sys_oid: Some(".1.3.6.1.4.1.318.1.3.4.6"),
    items: &APC_PDU_MIB,
    alarms: &[],
};

/// The items of C's `apc_pdu_mib`.
pub static APC_PDU_MIB: [Item; 20] = [
    Item {
        name: "device.mfr",
        var_flags: var::STRING,
        len: 128.0,
        oid: None,
        default: Some("APC"),
        flags: flag::OK | flag::STATIC | flag::ABSENT,
        lookup: None,
    },
    Item {
        name: "device.model",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.1.4.0"),
        default: Some("Switched ePDU"),
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "device.type",
        var_flags: var::STRING,
        len: 128.0,
        oid: None,
        default: Some("pdu"),
        flags: flag::OK | flag::STATIC | flag::ABSENT,
        lookup: None,
    },
    Item {
        name: "device.contact",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.2.1.1.4.0"),
        default: None,
        flags: flag::OK | flag::STALE,
        lookup: None,
    },
    Item {
        name: "device.description",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.2.1.1.5.0"),
        default: None,
        flags: flag::OK | flag::STALE,
        lookup: None,
    },
    Item {
        name: "device.location",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.2.1.1.6.0"),
        default: None,
        flags: flag::OK | flag::STALE,
        lookup: None,
    },
    Item {
        name: "device.uptime",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.2.1.1.3.0"),
        default: None,
        flags: flag::OK | flag::NEG_INVALID,
        lookup: None,
    },
    Item {
        name: "device.serial",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.1.5.0"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "device.part",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.1.4.0"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "device.version",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.1.1.0"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "ups.firmware",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.1.2.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "ups.date",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.1.3.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.realpower",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.12.1.16.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.current",
        var_flags: 0,
        len: 0.1,
        oid: Some(".1.3.6.1.4.1.318.1.1.12.2.3.1.1.2.1"),
        default: None,
        flags: flag::OK,
        lookup: None,
    },
    Item {
        name: "input.voltage.nominal",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.12.1.15.0"),
        default: None,
        flags: flag::OK | flag::NEG_INVALID,
        lookup: None,
    },
    Item {
        name: "outlet.count",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.4.1.0"),
        default: None,
        flags: flag::OK | flag::STATIC,
        lookup: None,
    },
    Item {
        name: "outlet.%i.id",
        var_flags: 0,
        len: 1.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.4.2.1.1.%i"),
        default: Some("%i"),
        flags: flag::OK | flag::STATIC | flag::OUTLET,
        lookup: None,
    },
    Item {
        name: "outlet.%i.desc",
        var_flags: var::RW | var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.4.2.1.4.%i"),
        default: None,
        flags: flag::OK | flag::STALE | flag::OUTLET,
        lookup: None,
    },
    Item {
        name: "outlet.%i.status",
        var_flags: var::RW | var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.4.2.1.3.%i"),
        default: None,
        flags: flag::OK | flag::OUTLET,
        lookup: Some(&APC_PDU_SW_OUTLET_STATUS_INFO),
    },
    Item {
        name: "outlet.%i.switchable",
        var_flags: var::STRING,
        len: 128.0,
        oid: Some(".1.3.6.1.4.1.318.1.1.4.4.2.1.3.%i"),
        default: Some("yes"),
        flags: flag::OK | flag::STATIC | flag::ABSENT | flag::OUTLET,
        lookup: Some(&APC_PDU_SW_OUTLET_SWITCHABILITY_INFO),
    },
];

/// The lookup C's `apc_pdu_sw_outlet_status_info`.
pub static APC_PDU_SW_OUTLET_STATUS_INFO: [Lookup; 2] = [
    Lookup {
        value: 1,
        text: Some("on"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("off"),
        hook: None,
    },
];

/// The lookup C's `apc_pdu_sw_outlet_switchability_info`.
pub static APC_PDU_SW_OUTLET_SWITCHABILITY_INFO: [Lookup; 2] = [
    Lookup {
        value: 1,
        text: Some("yes"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("yes"),
        hook: None,
    },
];
