//! How one MIB maps onto NUT variables and commands, as data.
//!
//! A [`Mapping`] is one device family's table: which OID gives which variable, with which
//! flags, scale and value lookup, which OIDs are instant commands, which OID values are status
//! words and alarms. The tables of every MIB C NUT 2.8.0's `snmp-ups` knows are in
//! [`super::mibs`], with the same names as C's `mibs=` option. The meaning of the bits in
//! [`Item::flags`] follows C's mapping tables bit for bit, so that a table can be checked against
//! C's side by side.

/// One MIB mapping: a device family's table (C's `mib2nut_info_t`).
#[derive(Debug)]
pub struct Mapping {
    /// The name `mibs=` selects it by (`"apcc"`, `"ietf"`, `"eaton_epdu"`, …).
    pub name: &'static str,
    /// The table's version, published in `driver.version.data` after the name.
    pub version: &'static str,
    /// The OID of the power status, read to check that a device answers this MIB.
    pub power_status_oid: Option<&'static str>,
    /// The OID read to recognise the MIB when probing (C's `oid_auto_check`), usually a model
    /// name.
    pub probe_oid: Option<&'static str>,
    /// The `sysObjectID` value (or prefix) of devices that speak this MIB.
    pub sys_oid: Option<&'static str>,
    /// The variables and commands, in C's order (the order matters: C publishes in it, and the
    /// first provider of a [`flag::UNIQUE`] variable wins).
    pub items: &'static [Item],
    /// OIDs whose presence means an alarm or a status word.
    pub alarms: &'static [Alarm],
}

/// One variable or instant command of a [`Mapping`] (C's `snmp_info_t`).
#[derive(Debug)]
pub struct Item {
    /// The NUT variable or command name; outlet, group, phase, ambient and daisy-chain templates
    /// contain `%i` where the index goes.
    pub name: &'static str,
    /// The variable's flags in the driver state ([`var`]: writable, string, number, immutable).
    pub var_flags: u32,
    /// For a [`var::STRING`] variable its maximum length; otherwise the multiplier applied to
    /// the number the device returns.
    pub len: f64,
    /// The OID to read (and to write, for a writable variable or a command); `None` for a
    /// variable that only carries its default value.
    pub oid: Option<&'static str>,
    /// The default value: published when the OID is absent (with [`flag::ABSENT`]) or when there
    /// is no OID; for a command, the value written to its OID.
    pub default: Option<&'static str>,
    /// How the driver treats the item ([`flag`]).
    pub flags: u32,
    /// The translation between the device's numbers and NUT's words, if any.
    pub lookup: Option<&'static [Lookup]>,
}

/// One row of a value lookup (C's `info_lkp_t`).
#[derive(Debug)]
pub struct Lookup {
    /// The device's value.
    pub value: i64,
    /// The NUT word for it.
    pub text: Option<&'static str>,
    /// A conversion that replaces the table lookup (the row then stands for every value).
    pub hook: Option<Hook>,
}

/// Conversions that a plain lookup row cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// A US date `mm/dd/yyyy` (or `mm/dd/yy`) becomes ISO `yyyy-mm-dd`.
    UsDateToIso,
    /// A temperature in the unit the device reports it in (see
    /// [`Hook::EatonTemperatureUnit`]) becomes degrees Celsius.
    TemperatureRead,
    /// Eaton ePDU's sensor temperature unit (0 Kelvin, 1 Celsius, 2 Fahrenheit), remembered for
    /// [`Hook::TemperatureRead`] and published as its name.
    EatonTemperatureUnit,
    /// Eaton ePDU (Marlin): the number of daisy-chained devices, counted from the comma-separated
    /// list of unit addresses the device returns.
    MarlinDeviceCount,
}

/// An OID whose value, when the device reports it, adds to `ups.status` or `ups.alarm` (C's
/// `alarms_info_t`).
#[derive(Debug)]
pub struct Alarm {
    /// The OID (an alarm table's entry value).
    pub oid: Option<&'static str>,
    /// The status word it adds, if any.
    pub status: Option<&'static str>,
    /// The alarm text it adds, if any.
    pub alarm: Option<&'static str>,
}

/// Flags of a variable in the driver state (C's `ST_FLAG_*`), for [`Item::var_flags`].
pub mod var {
    /// Writable.
    pub const RW: u32 = 0x0001;
    /// A string (its [`super::Item::len`] is the maximum length).
    pub const STRING: u32 = 0x0002;
    /// A number.
    pub const NUMBER: u32 = 0x0004;
    /// Never changes once set.
    pub const IMMUTABLE: u32 = 0x0008;
}

/// How the driver treats an item (C's `SU_*` bits, same positions), for [`Item::flags`].
pub mod flag {
    /// Publish the item (the driver clears it for items the device does not have).
    pub const OK: u32 = 1 << 0;
    /// Read once, at start.
    pub const STATIC: u32 = 1 << 1;
    /// Absent from the device: publish the default value.
    pub const ABSENT: u32 = 1 << 2;
    /// The last read failed; retried only every few polls (set at run time).
    pub const STALE: u32 = 1 << 3;
    /// A negative value means "not available".
    pub const NEG_INVALID: u32 = 1 << 4;
    /// Only one item may provide this variable: the first that works disables the others.
    pub const UNIQUE: u32 = 1 << 5;
    /// A zero value means "not available".
    pub const ZERO_INVALID: u32 = 1 << 6;
    /// The value "N/A" means "not available".
    pub const NA_INVALID: u32 = 1 << 7;
    /// A command on an outlet: add one to the outlet index in the OID.
    pub const CMD_OFFSET: u32 = 1 << 8;
    /// Re-read only every `semistaticfreq` polls.
    pub const SEMI_STATIC: u32 = 1 << 9;
    /// An outlet group template (`outlet.group.%i.*`).
    pub const OUTLET_GROUP: u32 = 1 << 10;
    /// An outlet template (`outlet.%i.*`).
    pub const OUTLET: u32 = 1 << 11;
    /// Only when the input has one phase.
    pub const INPUT_1: u32 = 1 << 12;
    /// Only when the input has three phases.
    pub const INPUT_3: u32 = 1 << 13;
    /// Only when the output has one phase.
    pub const OUTPUT_1: u32 = 1 << 14;
    /// Only when the output has three phases.
    pub const OUTPUT_3: u32 = 1 << 15;
    /// Only when the bypass has one phase.
    pub const BYPASS_1: u32 = 1 << 16;
    /// Only when the bypass has three phases.
    pub const BYPASS_3: u32 = 1 << 17;
    /// Written as an integer.
    pub const TYPE_INT: u32 = 1 << 18;
    /// Written as time ticks.
    pub const TYPE_TIME: u32 = 1 << 19;
    /// An instant command: write [`super::Item::default`] to the OID.
    pub const TYPE_CMD: u32 = 1 << 20;
    /// The bits of an item's type ([`TYPE_INT`], [`TYPE_TIME`], [`TYPE_CMD`]).
    pub const TYPE_MASK: u32 = 7 << 18;
    /// In a template with two indexes, the daisy-chain device's is the first.
    pub const DAISY_1: u32 = 1 << 21;
    /// In a template with two indexes, the daisy-chain device's is the second.
    pub const DAISY_2: u32 = 1 << 22;
    /// A daisy-chain template (set at run time when there are several devices).
    pub const DAISY: u32 = 1 << 23;
    /// Only for the daisy-chain master (`device.1`).
    pub const DAISY_MASTER_ONLY: u32 = 1 << 24;
    /// An ambient sensor template (`ambient.%i.*`).
    pub const AMBIENT_TEMPLATE: u32 = 1 << 26;
    /// The value (through the lookup) is the power part of `ups.status`.
    pub const STATUS_PWR: u32 = 1 << 28;
    /// The value is the battery part of `ups.status`.
    pub const STATUS_BATT: u32 = 1 << 29;
    /// The value is the calibration part of `ups.status`.
    pub const STATUS_CAL: u32 = 1 << 30;
    /// The value is the replace-battery part of `ups.status`.
    pub const STATUS_RB: u32 = 1 << 31;
}
