//! APC's Modbus register map (application note MPAO-98KJ7F) as C NUT's `apc_modbus` reads
//! it, and the conversions between register contents and NUT values.
//!
//! Numbers are big-endian across registers; signed ones are two's complement over their
//! width; scaled ones have a binary point (`value / 2^scale`). Strings hold two characters
//! a register, high byte first, padded with NULs or spaces. Dates count days since
//! 2000-01-01.

/// How a register's contents are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Unsigned, printed as an integer.
    Uint,
    /// Signed, printed as an integer.
    Int,
    /// A string.
    Str,
    /// Unsigned with a binary point, printed with `decimals` decimals.
    UFixed {
        /// Bits after the binary point.
        scale: u8,
        /// Decimals printed.
        decimals: u8,
    },
    /// Signed with a binary point.
    IFixed {
        /// Bits after the binary point.
        scale: u8,
        /// Decimals printed.
        decimals: u8,
    },
    /// A percentage (binary point 8) of the nominal power (apparent when `apparent`).
    Power {
        /// Whether of `ups.power.nominal` (else `ups.realpower.nominal`).
        apparent: bool,
    },
    /// A voltage with binary point 6, `NA` for 0xFFFF.
    Voltage,
    /// The efficiency (binary point 7), or the reason there is none (negative codes).
    Efficiency,
    /// The cause of the last status change.
    Cause,
    /// The battery test result bits.
    TestResult,
    /// The runtime calibration result bits.
    Calibration,
    /// A date in days since 2000-01-01.
    Date,
    /// A countdown: `NotActive` (-1), `CountdownExpired` (0), else seconds.
    Timer,
    /// A nominal power, printed without decimals and remembered for [`Kind::Power`].
    Nominal {
        /// Whether the apparent power nominal (else the real power one).
        apparent: bool,
    },
}

/// One NUT variable read from registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Register {
    /// The NUT variable.
    pub var: &'static str,
    /// The first register.
    pub addr: u16,
    /// How many registers.
    pub len: u16,
    /// How to read it.
    pub kind: Kind,
    /// Whether `SET` may write it.
    pub writable: bool,
}

const fn reg(var: &'static str, addr: u16, len: u16, kind: Kind, writable: bool) -> Register {
    Register {
        var,
        addr,
        len,
        kind,
        writable,
    }
}

const fn uf(scale: u8) -> Kind {
    Kind::UFixed { scale, decimals: 2 }
}

const fn sf(scale: u8) -> Kind {
    Kind::IFixed { scale, decimals: 2 }
}

/// A block of registers read in one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// The first register.
    pub addr: u16,
    /// How many registers.
    pub len: u16,
}

/// Inventory, read at start-up and after each reconnect (registers 516..636).
pub const INVENTORY_BLOCK: Block = Block {
    addr: 516,
    len: 120,
};
/// Status, read every poll (0..27).
pub const STATUS_BLOCK: Block = Block { addr: 0, len: 27 };
/// Dynamic values, read every poll (128..172).
pub const DYNAMIC_BLOCK: Block = Block { addr: 128, len: 44 };
/// Settings, read every poll (1026..1048).
pub const STATIC_BLOCK: Block = Block {
    addr: 1026,
    len: 22,
};

/// The register holding which outlet groups the unit has (SOGRelayConfigSetting_BF).
pub const SOG_RELAY_CONFIG: u16 = 590;

/// The inventory variables.
pub const INVENTORY: [Register; 12] = [
    reg("ups.firmware", 516, 8, Kind::Str, false),
    reg("ups.model", 532, 16, Kind::Str, false),
    reg("ups.serial", 564, 8, Kind::Str, false),
    reg(
        "ups.power.nominal",
        588,
        1,
        Kind::Nominal { apparent: true },
        false,
    ),
    reg(
        "ups.realpower.nominal",
        589,
        1,
        Kind::Nominal { apparent: false },
        false,
    ),
    reg("ups.mfr.date", 591, 1, Kind::Date, false),
    reg("battery.date", 595, 1, Kind::Date, true),
    reg("ups.id", 596, 8, Kind::Str, true),
    reg("outlet.group.0.name", 604, 8, Kind::Str, true),
    reg("outlet.group.1.name", 612, 8, Kind::Str, true),
    reg("outlet.group.2.name", 620, 8, Kind::Str, true),
    reg("outlet.group.3.name", 628, 8, Kind::Str, true),
];

/// The status block's variables (besides `ups.status` and the alarms).
pub const STATUS: [Register; 3] = [
    reg("input.transfer.reason", 2, 1, Kind::Cause, false),
    reg("ups.test.result", 23, 1, Kind::TestResult, false),
    reg(
        "experimental.ups.calibration.result",
        24,
        1,
        Kind::Calibration,
        false,
    ),
];

/// The dynamic block's variables.
pub const DYNAMIC: [Register; 26] = [
    reg("battery.runtime", 128, 2, Kind::Uint, false),
    reg("battery.charge", 130, 1, uf(9), false),
    reg("battery.voltage", 131, 1, sf(5), false),
    reg("battery.date.maintenance", 133, 1, Kind::Date, false),
    reg("battery.temperature", 135, 1, sf(7), false),
    reg("ups.load", 136, 1, uf(8), false),
    reg(
        "ups.realpower",
        136,
        1,
        Kind::Power { apparent: false },
        false,
    ),
    reg("ups.power", 138, 1, Kind::Power { apparent: true }, false),
    reg("output.current", 140, 1, uf(5), false),
    reg("output.voltage", 142, 1, uf(6), false),
    reg("output.frequency", 144, 1, uf(7), false),
    reg("experimental.output.energy", 145, 2, Kind::Uint, false),
    reg("input.voltage", 151, 1, Kind::Voltage, false),
    reg("ups.efficiency", 154, 1, Kind::Efficiency, false),
    reg("ups.timer.shutdown", 155, 1, Kind::Timer, false),
    reg("ups.timer.start", 156, 1, Kind::Timer, false),
    reg("ups.timer.reboot", 157, 2, Kind::Timer, false),
    reg("outlet.group.1.timer.shutdown", 159, 1, Kind::Timer, false),
    reg("outlet.group.1.timer.start", 160, 1, Kind::Timer, false),
    reg("outlet.group.1.timer.reboot", 161, 2, Kind::Timer, false),
    reg("outlet.group.2.timer.shutdown", 163, 1, Kind::Timer, false),
    reg("outlet.group.2.timer.start", 164, 1, Kind::Timer, false),
    reg("outlet.group.2.timer.reboot", 165, 2, Kind::Timer, false),
    reg("outlet.group.3.timer.shutdown", 167, 1, Kind::Timer, false),
    reg("outlet.group.3.timer.start", 168, 1, Kind::Timer, false),
    reg("outlet.group.3.timer.reboot", 169, 2, Kind::Timer, false),
];

/// The settings block's variables (all writable).
pub const STATIC: [Register; 17] = [
    reg("input.transfer.high", 1026, 1, Kind::Uint, true),
    reg("input.transfer.low", 1027, 1, Kind::Uint, true),
    reg("ups.delay.shutdown", 1029, 1, Kind::Int, true),
    reg("ups.delay.start", 1030, 1, Kind::Int, true),
    reg("ups.delay.reboot", 1031, 2, Kind::Int, true),
    reg("outlet.group.0.delay.shutdown", 1029, 1, Kind::Int, true),
    reg("outlet.group.0.delay.start", 1030, 1, Kind::Int, true),
    reg("outlet.group.0.delay.reboot", 1031, 2, Kind::Int, true),
    reg("outlet.group.1.delay.shutdown", 1034, 1, Kind::Int, true),
    reg("outlet.group.1.delay.start", 1035, 1, Kind::Int, true),
    reg("outlet.group.1.delay.reboot", 1036, 2, Kind::Int, true),
    reg("outlet.group.2.delay.shutdown", 1039, 1, Kind::Int, true),
    reg("outlet.group.2.delay.start", 1040, 1, Kind::Int, true),
    reg("outlet.group.2.delay.reboot", 1041, 2, Kind::Int, true),
    reg("outlet.group.3.delay.shutdown", 1044, 1, Kind::Int, true),
    reg("outlet.group.3.delay.start", 1045, 1, Kind::Int, true),
    reg("outlet.group.3.delay.reboot", 1046, 2, Kind::Int, true),
];

/// Every map, in C's order (inventory, status, dynamic, static).
pub fn all() -> impl Iterator<Item = &'static Register> {
    INVENTORY
        .iter()
        .chain(STATUS.iter())
        .chain(DYNAMIC.iter())
        .chain(STATIC.iter())
}

/// The registers of `map` inside a block read at `offset`: each with its slice of `regs`.
/// Those the block does not hold whole are left out.
pub fn in_block<'a>(
    map: &'a [Register],
    regs: &'a [u16],
    offset: u16,
) -> impl Iterator<Item = (&'a Register, &'a [u16])> + 'a {
    map.iter().filter_map(move |r| {
        let start = usize::from(r.addr.checked_sub(offset)?);
        regs.get(start..start + usize::from(r.len)).map(|s| (r, s))
    })
}

// ---------------------------------------------------------------- raw values

/// The registers as one unsigned number, big-endian (at most the last four count).
pub fn to_u64(regs: &[u16]) -> u64 {
    regs.iter().fold(0u64, |acc, &r| (acc << 16) | u64::from(r))
}

/// The registers as one signed number of their width (two's complement).
pub fn to_i64(regs: &[u16]) -> i64 {
    let raw = to_u64(regs);
    let bits = (regs.len().min(4) * 16) as u32;
    if bits == 0 {
        return 0;
    }
    if bits >= 64 {
        return raw as i64;
    }
    let shift = 64 - bits;
    ((raw << shift) as i64) >> shift
}

/// A Modbus string as C reads it: leading empty registers skipped (and a NUL high byte of
/// the first one), trailing NULs and spaces cut, other characters outside the printable
/// ASCII range made spaces.
pub fn to_string(regs: &[u16]) -> String {
    let mut bytes = Vec::with_capacity(regs.len() * 2);
    let mut rest = regs.iter().skip_while(|&&r| r == 0).peekable();
    if let Some(&&first) = rest.peek() {
        if first >> 8 == 0 {
            bytes.push((first & 0xff) as u8);
            rest.next();
        }
    }
    for &r in rest {
        bytes.push((r >> 8) as u8);
        bytes.push((r & 0xff) as u8);
    }
    // C keeps the first character even when it is a NUL or a space.
    while bytes.len() > 1 && matches!(bytes.last(), Some(0 | b' ')) {
        bytes.pop();
    }
    if bytes == [0] {
        bytes.clear();
    }
    bytes
        .into_iter()
        .map(|b| {
            if (0x20..=0x7e).contains(&b) {
                char::from(b)
            } else {
                ' '
            }
        })
        .collect()
}

/// `value` in `len` registers, high byte first, padded with NULs; `None` when too long.
pub fn from_string(value: &str, len: usize) -> Option<Vec<u16>> {
    let b = value.as_bytes();
    if b.len() > len * 2 {
        return None;
    }
    let mut out = vec![0u16; len];
    for (i, pair) in b.chunks(2).enumerate() {
        let lo = pair.get(1).copied().unwrap_or(0);
        out[i] = (u16::from(pair[0]) << 8) | u16::from(lo);
    }
    Some(out)
}

/// `value` in `len` registers; `None` when it does not fit.
pub fn from_u64(value: u64, len: usize) -> Option<Vec<u16>> {
    let bits = len * 16;
    if len == 0 || (bits < 64 && value >> bits != 0) {
        return None;
    }
    Some(
        (0..len)
            .rev()
            .map(|i| {
                let shift = i * 16;
                if shift >= 64 {
                    0
                } else {
                    (value >> shift) as u16
                }
            })
            .collect(),
    )
}

/// `value` in `len` registers, two's complement; `None` when it does not fit.
pub fn from_i64(value: i64, len: usize) -> Option<Vec<u16>> {
    let bits = len * 16;
    if len == 0 {
        return None;
    }
    if bits < 64 {
        let limit = 1i64 << (bits - 1);
        if value >= limit || value < -limit {
            return None;
        }
    }
    Some(
        (0..len)
            .rev()
            .map(|i| {
                let shift = (i * 16).min(63);
                (value >> shift) as u16
            })
            .collect(),
    )
}

/// C's `strtoll`/`strtoull` with base 0, the whole text consumed: optional blanks and sign,
/// then decimal, `0x` hexadecimal or `0` octal digits.
pub fn parse_c_integer(text: &str) -> Option<i128> {
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    if digits.is_empty() || digits.len() > 40 {
        return None;
    }
    let n = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -n } else { n })
}

// ---------------------------------------------------------------- dates

const fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a count of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days from 1970-01-01 to 2000-01-01.
const EPOCH_2000: i64 = 10_957;

/// `YYYY-MM-DD` of a count of days since 2000-01-01.
pub fn date_from_days(days: u64) -> String {
    let (y, m, d) = civil_from_days(EPOCH_2000 + days.min(1 << 40) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The days since 2000-01-01 of a `YYYY-MM-DD` date; `None` for anything else or a date
/// before 2000.
pub fn days_from_date(text: &str) -> Option<u64> {
    let mut parts = text.trim().splitn(3, '-');
    let num = |s: Option<&str>| -> Option<i64> {
        let s = s?.trim();
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let y = num(parts.next())?;
    let m = u32::try_from(num(parts.next())?).ok()?;
    let d = u32::try_from(num(parts.next())?).ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    u64::try_from(days_from_civil(y, m, d) - EPOCH_2000).ok()
}

// ---------------------------------------------------------------- texts

/// The cause of the last status change (StatusChangeCause_EN).
pub fn cause_text(value: u64) -> &'static str {
    const CAUSES: [&str; 31] = [
        "SystemInitialization",
        "HighInputVoltage",
        "LowInputVoltage",
        "DistortedInput",
        "RapidChangeOfInputVoltage",
        "HighInputFrequency",
        "LowInputFrequency",
        "FreqAndOrPhaseDifference",
        "AcceptableInput",
        "AutomaticTest",
        "TestEnded",
        "LocalUICommand",
        "ProtocolCommand",
        "LowBatteryVoltage",
        "GeneralError",
        "PowerSystemError",
        "BatterySystemError",
        "ErrorCleared",
        "AutomaticRestart",
        "DistortedInverterOutput",
        "InverterOutputAcceptable",
        "EPOInterface",
        "InputPhaseDeltaOutOfRange",
        "InputNeutralNotConnected",
        "ATSTransfer",
        "ConfigurationChange",
        "AlertAsserted",
        "AlertCleared",
        "PlugRatingExceeded",
        "OutletGroupStateChange",
        "FailureBypassExpired",
    ];
    usize::try_from(value)
        .ok()
        .and_then(|i| CAUSES.get(i))
        .copied()
        .unwrap_or("Unknown")
}

/// The first entry, in the order of `maps` and then of each map, whose bit is set in
/// `value`.
fn first_set(maps: &[&[(u64, &'static str)]], value: u64) -> Option<&'static str> {
    maps.iter()
        .flat_map(|map| map.iter())
        .find(|(bit, _)| value & bit != 0)
        .map(|e| e.1)
}

/// The result bits of both the battery test and the calibration.
const RESULTS: [(u64, &str); 6] = [
    (1 << 0, "Pending"),
    (1 << 1, "InProgress"),
    (1 << 2, "Passed"),
    (1 << 3, "Failed"),
    (1 << 4, "Refused"),
    (1 << 5, "Aborted"),
];
/// Who started it (printed after `Source: `).
const SOURCES: [(u64, &str); 3] = [
    (1 << 6, "Protocol"),
    (1 << 7, "LocalUI"),
    (1 << 8, "Internal"),
];
/// The modifier bits of both (printed after `Modifier: `).
const MODIFIERS: [(u64, &str); 3] = [
    (1 << 9, "InvalidState"),
    (1 << 10, "InternalFault"),
    (1 << 11, "StateOfChargeNotAcceptable"),
];
/// The modifier bits of the calibration alone.
const CAL_MODIFIERS: [(u64, &str); 4] = [
    (1 << 12, "LoadChange"),
    (1 << 13, "ACInputNotAcceptable"),
    (1 << 14, "LoadTooLow"),
    (1 << 15, "OverChargeInProgress"),
];
/// C's shared test status table names two of the source bits its own way (and not the
/// first): it is [`RESULTS`], these, then [`MODIFIERS`].
const TEST_STATUS_SOURCES: [(u64, &str); 2] = [(1 << 7, "LocalUser"), (1 << 8, "Internal")];

/// The battery test result (ReplaceBatteryTestStatus_BF): result, source and modifier,
/// joined by `, ` (`None` when no bit is set, as C's table says).
pub fn test_result_text(value: u64) -> String {
    let result = if value == 0 {
        Some("None")
    } else {
        first_set(&[&RESULTS, &TEST_STATUS_SOURCES, &MODIFIERS], value)
    };
    join(
        result,
        first_set(&[&SOURCES], value),
        first_set(&[&MODIFIERS], value),
    )
}

/// The runtime calibration result (RunTimeCalibrationStatus_BF), as
/// [`test_result_text`] (empty when no bit is set: C's table has no entry for 0).
pub fn calibration_text(value: u64) -> String {
    join(
        first_set(&[&RESULTS], value),
        first_set(&[&SOURCES], value),
        first_set(&[&MODIFIERS, &CAL_MODIFIERS], value),
    )
}

fn join(result: Option<&str>, source: Option<&str>, modifier: Option<&str>) -> String {
    let parts = [
        result.map(str::to_owned),
        source.map(|s| format!("Source: {s}")),
        modifier.map(|m| format!("Modifier: {m}")),
    ];
    parts.into_iter().flatten().collect::<Vec<_>>().join(", ")
}

/// The reason there is no efficiency figure, for the negative codes.
pub fn efficiency_reason(value: i64) -> Option<&'static str> {
    Some(match value {
        -1 => "NotAvailable",
        -2 => "LoadTooLow",
        -3 => "OutputOff",
        -4 => "OnBattery",
        -5 => "InBypass",
        -6 => "BatteryCharging",
        -7 => "PoorACInput",
        -8 => "BatteryDisconnected",
        _ => return None,
    })
}

/// A countdown as C prints it.
pub fn timer_text(value: i64) -> String {
    match value {
        -1 => "NotActive".into(),
        0 => "CountdownExpired".into(),
        n => n.to_string(),
    }
}

/// The nominal powers the percentages are of.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Nominals {
    /// `ups.power.nominal`, VA.
    pub apparent: f64,
    /// `ups.realpower.nominal`, W.
    pub real: f64,
}

fn scaled(raw: f64, scale: u8) -> f64 {
    raw / f64::from(1u32 << scale.min(31))
}

/// The NUT value of register `r` holding `regs` (exactly `r.len` registers), remembering
/// the nominal powers in `nominals`.
pub fn value(r: &Register, regs: &[u16], nominals: &mut Nominals) -> String {
    let u = || to_u64(regs);
    let i = || to_i64(regs);
    match r.kind {
        Kind::Uint => u().to_string(),
        Kind::Int => i().to_string(),
        Kind::Str => to_string(regs),
        Kind::UFixed { scale, decimals } => {
            format!("{:.*}", usize::from(decimals), scaled(u() as f64, scale))
        }
        Kind::IFixed { scale, decimals } => {
            format!("{:.*}", usize::from(decimals), scaled(i() as f64, scale))
        }
        Kind::Power { apparent } => {
            let pct = scaled(u() as f64, 8);
            let nominal = if apparent {
                nominals.apparent
            } else {
                nominals.real
            };
            format!("{:.2}", pct / 100.0 * nominal)
        }
        Kind::Voltage if u() == 0xffff => "NA".into(),
        Kind::Voltage => format!("{:.2}", scaled(u() as f64, 6)),
        Kind::Efficiency => match efficiency_reason(i()) {
            Some(reason) => reason.into(),
            None => format!("{:.1}", scaled(i() as f64, 7)),
        },
        Kind::Cause => cause_text(u()).into(),
        Kind::TestResult => test_result_text(u()),
        Kind::Calibration => calibration_text(u()),
        Kind::Date => date_from_days(u()),
        Kind::Timer => timer_text(i()),
        Kind::Nominal { apparent } => {
            let v = u() as f64;
            if apparent {
                nominals.apparent = v;
            } else {
                nominals.real = v;
            }
            format!("{v:.0}")
        }
    }
}

/// Why a value cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The register is not writable.
    #[error("not writable")]
    ReadOnly,
    /// The value does not parse or does not fit.
    #[error("failed to convert value")]
    Conversion,
}

/// The registers that hold `text` as the value of `r` (a SET).
pub fn encode(r: &Register, text: &str) -> Result<Vec<u16>, EncodeError> {
    if !r.writable {
        return Err(EncodeError::ReadOnly);
    }
    let len = usize::from(r.len);
    let out = match r.kind {
        Kind::Str => from_string(text, len),
        Kind::Date => days_from_date(text).and_then(|d| from_u64(d, len)),
        Kind::Uint => parse_c_integer(text)
            .and_then(|n| u64::try_from(n).ok())
            .and_then(|n| from_u64(n, len)),
        Kind::Int => parse_c_integer(text)
            .and_then(|n| i64::try_from(n).ok())
            .and_then(|n| from_i64(n, len)),
        _ => None,
    };
    out.ok_or(EncodeError::Conversion)
}

// ---------------------------------------------------------------- status bits

/// What the status block says besides its variables: `ups.status` words, alarms, the
/// "buzzwords" (vendor modes) and the outlet groups' on/off states.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusBits {
    /// Status words in C's order.
    pub words: Vec<&'static str>,
    /// Alarm messages in C's order.
    pub alarms: Vec<&'static str>,
    /// `experimental.ups.mode.buzzwords` entries.
    pub buzzwords: Vec<&'static str>,
    /// On (true) or off of each outlet group (MOG, SOG0..2), for those present.
    pub outlets: [Option<bool>; 4],
}

/// The status words and alarms of a status block (registers 0..27, shorter blocks give
/// what they hold), for the outlet groups `present`.
pub fn status_bits(regs: &[u16], present: [bool; 4]) -> StatusBits {
    let get = |at: usize, n: usize| regs.get(at..at + n).map_or(0, to_u64);
    let mut s = StatusBits::default();
    let ups = get(0, 2);
    for (bit, word) in [(1, "OL"), (2, "OB"), (3, "BYPASS"), (4, "OFF")] {
        if ups & (1 << bit) != 0 {
            s.words.push(word);
        }
    }
    if ups & (1 << 5) != 0 {
        s.alarms.push("General fault");
    }
    if ups & (1 << 6) != 0 {
        s.alarms.push("Input not acceptable");
    }
    if ups & (1 << 7) != 0 {
        s.words.push("TEST");
    }
    if ups & (1 << 13) != 0 {
        s.buzzwords.push("vendor:apc:HE");
    }
    if ups & (1 << 21) != 0 {
        s.words.push("OVER");
    }
    let power = get(20, 2);
    const POWER: [(u32, &str); 12] = [
        (0, "Power system - Output overload"),
        (1, "Power system - Output short circuit"),
        (2, "Power system - Output overvoltage"),
        (4, "Power system - Overtemperature"),
        (5, "Power system - Backfeed relay fault"),
        (6, "Power system - AVR relay fault"),
        (7, "Power system - PFC input relay fault"),
        (8, "Power system - Output relay fault"),
        (9, "Power system - Bypass relay fault"),
        (11, "Power system - PFC fault"),
        (12, "Power system - DC bus overvoltage"),
        (13, "Power system - Inverter fault"),
    ];
    for (bit, text) in POWER {
        if power & (1 << bit) != 0 {
            s.alarms.push(text);
        }
    }
    for (i, p) in present.iter().enumerate() {
        if *p {
            s.outlets[i] = Some(get(3 + i * 3, 2) & 1 != 0);
        }
    }
    if get(18, 1) & (1 << 1) != 0 {
        s.words.push("LB");
    }
    let battery = get(22, 1);
    const BATTERY: [(u32, &str); 7] = [
        (0, "Battery system - Disconnected"),
        (1, "Battery system - Over voltage"),
        (2, "Battery system - Needs replacement"),
        (3, "Battery system - Over temperature"),
        (4, "Battery system - Charger fault"),
        (5, "Battery system - Temperature sensor fault"),
        (6, "Battery system - Bus soft start fault"),
    ];
    for (bit, text) in BATTERY {
        if battery & (1 << bit) != 0 {
            if bit == 2 {
                s.words.push("RB");
            }
            s.alarms.push(text);
        }
    }
    if get(24, 1) & (1 << 1) != 0 {
        s.words.push("CAL");
    }
    s
}

/// The words of the dynamic block's InputStatus_BF (register 150): `BOOST`, `TRIM`.
pub fn input_words(dynamic: &[u16]) -> Vec<&'static str> {
    let v = dynamic.get(22).copied().unwrap_or(0);
    let mut w = Vec::new();
    if v & (1 << 5) != 0 {
        w.push("BOOST");
    }
    if v & (1 << 6) != 0 {
        w.push("TRIM");
    }
    w
}
