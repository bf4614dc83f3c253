//! The Masterguard dialect (A and E series; C's `nutdrv_qx_masterguard.c`,
//! "Masterguard 0.02").
//!
//! The unit answers `WH` (identification and ratings), `Q3` (status line with the status
//! bits as two bytes of `0`/`1`), `MSO` (the output voltages it can be set to) and `PNV`
//! (the one in use), and, for the commands addressed to one unit of a bus, `GS,XX`
//! (settings), `GBS,XX` (battery), `GSN,XX` (serial number), `DRC,XX` (running time) and
//! `FLT,XX` (fault records): `XX` is replaced by the unit's 2-digit slave address (its
//! `ups.id`, read from `WH`) before the command goes out (C's `masterguard_add_slaveaddr`,
//! through [`Item::exchange`]). Setting `ups.id` (`SSnn--,XX`) uses the old address, then
//! the new one from the command's reply on.
//!
//! The model name of `WH` gives the series (`A`/`E`), the power (from which `ups.power`
//! and the currents are computed), the battery packs allowed; the number of cells gives
//! the battery voltages from the per-cell ones. Values without a NUT variable (the series,
//! the cells, the nominal runtimes, the fault records, …) are read once and logged, under
//! `experimental.*` names.
//!
//! The claim ([`claim`]) reads the series, model, power, slave address and output voltages
//! (the slave address must be the `slave_address` option when it is given), marks the
//! items whose command the series does not know as skipped, and makes
//! `output.voltage.nominal` an enumeration of the `MSO` voltages. C 2.8.0 looks two of
//! those items up under names its table does not use, so its claim always fails; this is
//! the claim of C 2.8.1 (commit ef9857965), which works.

use std::io;

use nut_driver_api::driver::OptionSpec;
use nut_driver_api::DeviceState;

use super::blazer::{DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use super::dialect::{Claim, Dialect, Family};
use super::engine::Engine;
use super::item::{
    c_strtod, printf_float, Item, Process, ReplyError, ABSENT, ENUM, NONUT, QUICK_POLL, RANGE,
    SEMI_STATIC, SETVAR, SKIP, STATIC, TRIM,
};
use super::port::QxPort;

/// The dialect.
pub const DIALECT: Dialect = Dialect {
    version: "Masterguard 0.02",
    claim: Claim::Own,
    status: "Q3\r",
    ratings: false,
    vendor: None,
    accepted: None,
    rejected: None,
    vendor_flags: false,
    family: Family::Masterguard,
};

// Value processing codes.
const SLAVE: u8 = 1;
const SERIES: u8 = 2;
const MODEL: u8 = 3;
const POWER: u8 = 4;
const MMM_SS: u8 = 5;
const HHH: u8 = 6;
const TTTT: u8 = 7;
const CELLS: u8 = 8;
const BATTVOLT: u8 = 9;
const UPS_POWER: u8 = 10;
const CURRENT: u8 = 11;
const CURRENT_NOMINAL: u8 = 12;
const STATUS: u8 = 13;
const BEEPER: u8 = 14;
const VOLTAGES: u8 = 15;
const FAULT: u8 = 16;
// Instant command codes.
const SHUTDOWN_RETURN: u8 = 20;
const SHUTDOWN_STAYOFF: u8 = 21;
const TEST_BATTERY: u8 = 22;
// Setvar codes.
const SET: u8 = 30;
const SET_SLAVE: u8 = 31;
// Exchange codes: the slave address goes into the command; after the command that
// changes it, the new address is used.
const ADD_SLAVE: u8 = 1;
const ADD_SLAVE_NEW: u8 = 2;

/// [`Engine::private`] keys.
const KEY_SLAVE: &str = "masterguard.slave";
const KEY_NEXT_SLAVE: &str = "masterguard.next_slave";
const KEY_SERIES: &str = "masterguard.series";
const KEY_POWER: &str = "masterguard.power";
const KEY_CELLS: &str = "masterguard.cells";

const SLAVE_RANGE: &[&str] = &["0", "99"];
const PACKS_RANGE: &[&str] = &["0", "9"];
const OFFDELAY_RANGE: &[&str] = &["0", "5940"];
const ONDELAY_RANGE: &[&str] = &["0", "599940"];

/// The commands of the A series (C's `masterguard_commands_a`).
pub const COMMANDS_A: &[&str] = &[
    "Q", "Q1", "Q3", "T", "TL", "S", "C", "CT", "WH", "M", "N", "O", "DECO", "DRC", "SRC", "FLT",
    "FCLR", "G", "SS", "GS", "MSO", "PNV", "FOFF", "FON", "TUD", "GBS", "SSN", "GSN",
];

/// The commands of the E series (C's `masterguard_commands_e`).
pub const COMMANDS_E: &[&str] = &[
    "Q", "Q1", "Q3", "PSR", "T", "TL", "S", "C", "CT", "WH", "DRC", "SRC", "FLT", "FCLR", "SS",
    "GS", "MSO", "PNV", "FOFF", "FON", "TUD", "GBS", "SSN", "GSN", "BUS", "V", "INVDC", "BUSP",
    "BUSN",
];

/// The items read by the claim, by variable (C 2.8.1's list).
const MANDATORY: [&str; 5] = [
    "experimental.series",
    "device.model",
    "ups.power.nominal",
    "ups.id",
    "experimental.output_voltages",
];

/// The driver options of this dialect (C's `masterguard_makevartable`, in its order).
/// They are listed by `-h` as C lists them; nothing reads them but `slave_address`.
pub fn options() -> Vec<OptionSpec> {
    [
        ("series", "Series (A/E)"),
        ("slave_address", "Slave address (UPS id) to match"),
        (
            "input_fault_voltage",
            "Input fault voltage (whatever that means)",
        ),
        (
            "number_of_battery_cells",
            "Number of battery cells in series",
        ),
        ("nominal_cell_voltage", "Nominal battery cell voltage"),
        (
            "runtime_half",
            "Nominal battery run time at 50% load (seconds)",
        ),
        (
            "runtime_full",
            "Nominal battery run time at 100% load (seconds)",
        ),
        (
            "recharge_time",
            "Nominal battery recharge time to 95% capacity (seconds)",
        ),
        ("output_voltages", "Possible output voltages (volts)"),
        ("fault_1", "Fault record 1 (newest)"),
        ("fault_2", "Fault record 2"),
        ("fault_3", "Fault record 3"),
        ("fault_4", "Fault record 4"),
        ("fault_5", "Fault record 5 (oldest)"),
    ]
    .into_iter()
    .map(|(name, help)| OptionSpec::value(name, help))
    .collect()
}

fn setter(var: &'static str, command: &'static str, input: &'static str, code: u8) -> Item {
    Item {
        format: input,
        flags: SETVAR,
        ..Item::cmd(var, command, Process::Dialect(code))
    }
}

fn absent(var: &'static str, value: &'static str) -> Item {
    Item {
        format: value,
        flags: STATIC | ABSENT,
        ..Item::cmd(var, "", Process::Plain)
    }
}

fn delay(var: &'static str, allowed: &'static [&'static str], default: &'static str) -> Item {
    Item {
        rw: true,
        allowed,
        format: default,
        flags: ABSENT | SETVAR | RANGE,
        ..Item::cmd(var, "", Process::Plain)
    }
}

/// The protocol table (C's `masterguard_qx2nut`).
pub fn table() -> Vec<Item> {
    let wh = |var: &'static str, from: usize, to: usize, format: &'static str, flags: u32| {
        Item::value(var, "WH\r", 113, b'(', from, to, format, flags)
    };
    let q3 = |var: &'static str, from: usize, to: usize, format: &'static str, flags: u32| {
        Item::value(var, "Q3\r", 71, b'(', from, to, format, flags)
    };
    let bit = |var: &'static str, from: usize, to: usize, flags: u32| {
        q3(var, from, to, "", flags).with(Process::Dialect(STATUS))
    };
    let d = |code: u8| Process::Dialect(code);
    let fault = |var: &'static str, from: usize| {
        Item::value(var, "FLT,XX\r", 108, b'(', from, from + 19, "%s", NONUT)
            .with(d(FAULT))
            .exchanging(ADD_SLAVE)
    };
    vec![
        absent("device.mfr", "Masterguard"),
        absent("load.high", "140"),
        absent("battery.type", "PbAc"),
        // WH
        wh("ups.id", 1, 2, "%.0f", SEMI_STATIC | RANGE)
            .writable(SLAVE_RANGE)
            .with(d(SLAVE)),
        wh("ups.firmware", 4, 8, "%s", STATIC),
        wh("ups.firmware.aux", 10, 14, "%s", STATIC),
        wh("experimental.series", 16, 16, "%s", STATIC | NONUT).with(d(SERIES)),
        wh("device.model", 16, 45, "%s", STATIC).with(d(MODEL)),
        wh("ups.power.nominal", 16, 45, "%s", STATIC).with(d(POWER)),
        wh("input.voltage.nominal", 49, 51, "%.0f", STATIC),
        wh("input.frequency.nominal", 53, 57, "%.2f", STATIC),
        wh(
            "experimental.number_of_battery_cells",
            59,
            61,
            "%.0f",
            STATIC | NONUT,
        )
        .with(d(CELLS)),
        wh(
            "experimental.nominal_cell_voltage",
            63,
            67,
            "%.2f",
            STATIC | NONUT,
        ),
        wh("battery.voltage.nominal", 63, 67, "%.2f", STATIC).with(d(BATTVOLT)),
        wh("experimental.runtime_half", 69, 74, "%.0f", STATIC | NONUT).with(d(MMM_SS)),
        wh("experimental.runtime_full", 76, 81, "%.0f", STATIC | NONUT).with(d(MMM_SS)),
        wh("experimental.recharge_time", 83, 85, "%.0f", STATIC | NONUT).with(d(HHH)),
        wh("ambient.0.temperature.low", 87, 88, "%.0f", STATIC),
        wh("ambient.0.temperature.high", 90, 91, "%.0f", STATIC),
        wh("input.voltage.low.critical", 93, 95, "%.0f", STATIC),
        wh("input.voltage.high.critical", 97, 99, "%.0f", STATIC),
        wh("input.frequency.low", 101, 105, "%.2f", STATIC),
        wh("input.frequency.high", 107, 111, "%.2f", STATIC),
        // Q3
        q3("input.voltage", 4, 8, "%.1f", 0),
        q3("experimental.input_fault_voltage", 10, 14, "%.1f", NONUT),
        q3("output.voltage", 16, 20, "%.1f", 0),
        q3("ups.load", 22, 24, "%.0f", 0),
        q3("ups.power", 22, 24, "%.0f", 0).with(d(UPS_POWER)),
        q3("output.current", 22, 24, "%f", 0).with(d(CURRENT)),
        q3("input.frequency", 26, 29, "%.1f", 0),
        q3("battery.voltage", 31, 35, "%.1f", 0).with(d(BATTVOLT)),
        q3("ups.temperature", 37, 40, "%.1f", 0),
        q3("ambient.0.temperature", 37, 40, "%.1f", 0),
        q3("battery.runtime", 42, 47, "%.0f", 0).with(d(MMM_SS)),
        q3("battery.charge", 49, 51, "%.0f", 0),
        bit("ups.status", 53, 53, QUICK_POLL),
        bit("ups.status", 54, 54, QUICK_POLL),
        bit("ups.status", 55, 55, QUICK_POLL),
        bit("ups.alarm", 56, 56, QUICK_POLL),
        bit("ups.type", 57, 57, STATIC),
        bit("ups.status", 58, 58, QUICK_POLL),
        bit("ups.status", 59, 59, QUICK_POLL),
        Item {
            answer_len: 69,
            ..bit("ups.alarm", 63, 63, QUICK_POLL)
        },
        bit("ups.status", 65, 65, QUICK_POLL),
        bit("ups.alarm", 66, 66, QUICK_POLL),
        bit("ups.test.result", 67, 69, QUICK_POLL),
        // GS
        Item {
            flags: SETVAR | RANGE,
            ..setter("ups.id", "SS%02d--,XX\r", "d", SET_SLAVE)
        }
        .exchanging(ADD_SLAVE_NEW),
        Item::value(
            "battery.packs",
            "GS,XX\r",
            0,
            b'(',
            7,
            7,
            "%.0f",
            SEMI_STATIC | RANGE,
        )
        .writable(PACKS_RANGE)
        .exchanging(ADD_SLAVE),
        Item {
            flags: SETVAR | RANGE,
            allowed: PACKS_RANGE,
            ..setter("battery.packs", "SS--%1d-,XX\r", "d", SET)
        }
        .exchanging(ADD_SLAVE),
        Item::value(
            "ups.beeper.status",
            "GS,XX\r",
            11,
            b'(',
            9,
            9,
            "",
            SEMI_STATIC,
        )
        .with(d(BEEPER))
        .exchanging(ADD_SLAVE),
        // GBS
        Item::value("battery.charge", "GBS,XX\r", 43, b'(', 4, 6, "%.0f", 0).exchanging(ADD_SLAVE),
        // GSN
        Item::value(
            "device.part",
            "GSN,XX\r",
            25,
            b'(',
            8,
            18,
            "%s",
            STATIC | TRIM,
        )
        .exchanging(ADD_SLAVE),
        Item::value("device.serial", "GSN,XX\r", 25, b'(', 20, 23, "%s", STATIC)
            .exchanging(ADD_SLAVE),
        // DRC: the running time since the last maintenance.
        Item::value(
            "device.uptime",
            "DRC,XX\r",
            17,
            b'(',
            4,
            16,
            "%.0f",
            SEMI_STATIC,
        )
        .writable(&[])
        .with(d(TTTT))
        .exchanging(ADD_SLAVE),
        setter("device.uptime", "SRC%s,XX\r", "thms", SET).exchanging(ADD_SLAVE),
        // MSO, PNV
        Item::value(
            "experimental.output_voltages",
            "MSO\r",
            5,
            b'(',
            1,
            0,
            "%s",
            STATIC | NONUT,
        )
        .with(d(VOLTAGES)),
        Item::value(
            "output.voltage.nominal",
            "PNV\r",
            8,
            b'(',
            5,
            7,
            "%.0f",
            SEMI_STATIC | ENUM,
        )
        .writable(&[]),
        setter("output.voltage.nominal", "PNV=%03d\r", "d", SET),
        Item::value(
            "output.current.nominal",
            "PNV\r",
            8,
            b'(',
            5,
            7,
            "%.0f",
            SEMI_STATIC,
        )
        .with(d(CURRENT_NOMINAL)),
        // FLT
        fault("experimental.fault_1", 4),
        fault("experimental.fault_2", 25),
        fault("experimental.fault_3", 46),
        fault("experimental.fault_4", 67),
        fault("experimental.fault_5", 88),
        // Instant commands.
        Item::cmd("shutdown.return", "", d(SHUTDOWN_RETURN)),
        Item::cmd("shutdown.stayoff", "", d(SHUTDOWN_STAYOFF)),
        Item::cmd("shutdown.stop", "C\r", Process::Plain),
        Item::cmd("test.battery.start", "", d(TEST_BATTERY)),
        Item::cmd("test.battery.start.quick", "T\r", Process::Plain),
        Item::cmd("test.battery.start.deep", "TUD\r", Process::Plain),
        Item::cmd("test.battery.stop", "CT\r", Process::Plain),
        Item::cmd("bypass.start", "FOFF\r", Process::Plain),
        Item::cmd("bypass.stop", "FON\r", Process::Plain),
        Item::cmd("beeper.enable", "SS---1,XX\r", Process::Plain).exchanging(ADD_SLAVE),
        Item::cmd("beeper.disable", "SS---0,XX\r", Process::Plain).exchanging(ADD_SLAVE),
        // Driver-side variables.
        delay("ups.delay.shutdown", OFFDELAY_RANGE, DEFAULT_OFFDELAY),
        delay("ups.delay.start", ONDELAY_RANGE, DEFAULT_ONDELAY),
    ]
}

/// The claim (C 2.8.1's `masterguard_claim`): the `slave_address` option, when given, must
/// be a number 0..=99 equal to the unit's address; the mandatory items must answer and be
/// understood (their values are kept by the dialect, not published); the items whose
/// command the series does not know are skipped.
pub async fn claim(
    engine: &mut Engine,
    port: &mut dyn QxPort,
    state: &mut DeviceState,
) -> io::Result<bool> {
    let wanted = match engine.params.get("slave_address") {
        None => None,
        Some("") => {
            tracing::debug!("claim: empty slave_address");
            return Ok(false);
        }
        Some(sa) => match strtol_whole(sa) {
            Some(n) if (0..=99).contains(&n) => Some(n),
            _ => {
                tracing::debug!("claim: illegal slave_address {sa}");
                return Ok(false);
            }
        },
    };
    for var in MANDATORY {
        let Some(idx) = engine.find(var, 0, SETVAR) else {
            tracing::debug!("claim: cannot find {var}");
            return Ok(false);
        };
        let raw = match engine.process(port, idx, None).await? {
            (_, Ok(raw)) => raw,
            (_, Err(_)) => {
                tracing::debug!("claim: cannot process {var}");
                return Ok(false);
            }
        };
        // Only the processing: publishing now would make the writable ones read-only.
        let Process::Dialect(code) = engine.items[idx].process else {
            tracing::debug!("claim: no preprocess function for {var}");
            return Ok(false);
        };
        if value(engine, idx, code, &raw, state).is_err() {
            tracing::debug!("claim: failed to preprocess {var}");
            return Ok(false);
        }
    }
    let have = engine.private.get(KEY_SLAVE).cloned().unwrap_or_default();
    if let Some(want) = wanted {
        if nut_driver_api::status::c_strtol(&have) != want {
            tracing::debug!("claim: slave address mismatch: want {want:02}, have {have}");
            return Ok(false);
        }
    }
    let commands = match engine.private.get(KEY_SERIES).map(String::as_str) {
        Some("A") => COMMANDS_A,
        Some("E") => COMMANDS_E,
        _ => return Ok(false),
    };
    // C walks the list with `sp != NULL` instead of `*sp != NULL` (it would read past the
    // end for a command no series has; none of the table's is such). The intent: a
    // command is supported when its leading upper-case letters are one of the series'
    // command names.
    for item in &mut engine.items {
        if item.command.is_empty() {
            continue;
        }
        let name = command_name(item.command);
        let supported = commands.contains(&name);
        tracing::trace!(
            "command {name} {}implemented",
            if supported { "" } else { "NOT " }
        );
        if !supported {
            item.flags |= SKIP;
        }
    }
    if engine
        .find("output.voltage.nominal", ENUM, SETVAR)
        .is_none()
    {
        tracing::debug!("claim: cannot find output.voltage.nominal");
        return Ok(false);
    }
    Ok(true)
}

/// The leading upper-case letters of a command (`SS` of `SS%02d--,XX\r`).
pub fn command_name(command: &str) -> &str {
    let end = command
        .bytes()
        .position(|b| !b.is_ascii_uppercase())
        .unwrap_or(command.len());
    &command[..end]
}

/// C's `strtol(s, &end, 10)` that must use the whole string (`*end == '\0'`): leading
/// spaces and a sign are allowed, an empty string is 0; `None` when something follows the
/// number. Out-of-range values saturate, as strtol does.
pub fn strtol_whole(s: &str) -> Option<i64> {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        // strtol without digits consumes nothing: only the empty string ends there.
        return s.is_empty().then_some(0);
    }
    let mut n: i64 = 0;
    for b in digits.bytes() {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    Some(if neg { n.saturating_neg() } else { n })
}

/// `sscanf`'s `%d`: spaces, a sign, digits; the number (as glibc stores it in an `int`)
/// and the rest.
fn scan_int(s: &str) -> Option<(i32, &str)> {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let b = t.as_bytes();
    let sign = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = b
        .iter()
        .skip(sign)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let end = sign + digits;
    let mut n: i64 = 0;
    for &c in &b[sign..end] {
        n = n.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if b.first() == Some(&b'-') {
        n = n.saturating_neg();
    }
    // glibc converts with strtol, then stores the long in an int.
    Some((n as i32, &t[end..]))
}

/// `sscanf`'s `%f`: spaces, then a decimal number (as a `float`); the number and the rest.
fn scan_float(s: &str) -> Option<(f32, &str)> {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int = b.iter().skip(i).take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = b
            .iter()
            .skip(i + 1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if int + frac > 0 {
            i += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let exp = b.iter().skip(j).take_while(|c| c.is_ascii_digit()).count();
        if exp > 0 {
            i = j + exp;
        }
    }
    let x = t[..i].parse::<f32>().ok()?;
    Some((x, &t[i..]))
}

/// `sscanf(s, "%d<sep>%d<sep>…")`: the integers separated by `sep`, all of them or `None`.
fn scan_ints<const N: usize>(s: &str, sep: char) -> Option<[i32; N]> {
    let mut out = [0; N];
    let mut rest = s;
    for (i, slot) in out.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(sep)?;
        }
        let (n, r) = scan_int(rest)?;
        *slot = n;
        rest = r;
    }
    Some(out)
}

fn private_i64(engine: &Engine, key: &str) -> i64 {
    engine
        .private
        .get(key)
        .map_or(0, |v| nut_driver_api::status::c_strtol(v))
}

/// `mmm.ss` as seconds.
pub fn mmm_ss(raw: &str) -> Option<i32> {
    let [m, s] = scan_ints::<2>(raw, '.')?;
    Some(m.wrapping_mul(60).wrapping_add(s))
}

/// `TTTT:hh:mm:ss` (days, hours, minutes, seconds) as seconds.
pub fn tttt_hh_mm_ss(raw: &str) -> Option<i32> {
    let [t, h, m, s] = scan_ints::<4>(raw, ':')?;
    Some(
        t.wrapping_mul(86400)
            .wrapping_add(h.wrapping_mul(3600))
            .wrapping_add(m.wrapping_mul(60))
            .wrapping_add(s),
    )
}

/// The model name and battery packs range for the `T` field of `WH` (`A 1000`, `E 60`;
/// `-19` anywhere in it: a rack model).
pub fn model(raw: &str) -> Option<(String, u8, u8)> {
    let rack = raw.contains("-19");
    let (name, min, max) = if raw.starts_with("A  700") {
        ("A700", 0, 0)
    } else if raw.starts_with("A 1000") {
        ("A1000", 0, 2)
    } else if raw.starts_with("A 2000") {
        ("A2000", u8::from(rack), if rack { 5 } else { 2 })
    } else if raw.starts_with("A 3000") {
        ("A3000", u8::from(rack), if rack { 5 } else { 2 })
    } else if raw.starts_with("E 60") {
        ("E60", 1, 1)
    } else if raw.starts_with("E100") {
        ("E100", 1, 1)
    } else if raw.starts_with("E200") {
        ("E200", 1, 1)
    } else {
        return None;
    };
    Some((format!("{name}{}", if rack { "-19" } else { "" }), min, max))
}

/// The power (VA) of a model from the `T` field of `WH`.
pub fn power(raw: &str) -> Option<i64> {
    [
        ("A  700", 700),
        ("A 1000", 1000),
        ("A 2000", 2000),
        ("A 3000", 3000),
        ("E 60", 6000),
        ("E100", 10000),
        ("E200", 20000),
    ]
    .iter()
    .find(|(prefix, _)| raw.starts_with(prefix))
    .map(|&(_, p)| p)
}

/// A status bit (or the three test bits) of `Q3` at column `from`: the status word (`OL`,
/// `!LB`, …), alarm or value it means (C's `masterguard_status`).
pub fn status(from: usize, raw: &str) -> Option<String> {
    let mut neg = match raw.as_bytes().first() {
        Some(b'0') => true,
        Some(b'1') => false,
        _ => return None,
    };
    let word = match from {
        53 => {
            neg = !neg;
            "OL"
        }
        54 => "LB",
        55 => "BYPASS",
        56 => {
            let w = if neg { "" } else { "UPS Failed" };
            neg = false;
            w
        }
        57 => {
            let w = if neg { "online" } else { "offline" };
            neg = false;
            w
        }
        58 => "CAL",
        59 => "FSD",
        63 => {
            let w = if neg {
                ""
            } else {
                "problems in parallel operation mode"
            };
            neg = false;
            w
        }
        65 => "RB",
        66 => {
            let w = if neg { "" } else { "no battery connected" };
            neg = false;
            w
        }
        67 => {
            neg = false;
            match raw.get(..3)? {
                "000" => "no test in progress",
                "001" => "in progress",
                "010" => "OK",
                "011" => "failed",
                "100" => "not possible",
                "101" => "aborted",
                "110" => "autonomy time calibration in progress",
                "111" => "unknown",
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(format!("{}{word}", if neg { "!" } else { "" }))
}

/// A fault record of `FLT` (`7 0043 0000:16:48:06`) made readable: `<seconds>: <what>`
/// (C's `masterguard_fault`).
pub fn fault(raw: &str) -> Option<String> {
    let mut chars = raw.chars();
    let id = chars.next()?;
    let (f, rest) = scan_float(chars.as_str())?;
    let when = i64::from(tttt_hh_mm_ss(rest)?);
    let f = f64::from(f);
    let what = match id {
        '0' => "none".to_owned(),
        '1' => format!("bus fault ({}V)", printf_float("%.0f", f)),
        '2' => format!("inverter fault ({}V)", printf_float("%.0f", f)),
        '3' => format!("overheat fault ({}C)", printf_float("%.0f", f)),
        '4' => format!("battery overvoltage fault ({}V)", printf_float("%.2f", f)),
        '5' => format!("battery mode overload fault ({}%)", printf_float("%.0f", f)),
        '6' => format!("bypass mode overload fault ({}%)", printf_float("%.0f", f)),
        '7' => format!(
            "inverter mode outpt short-circuit fault ({}V)",
            printf_float("%.0f", f)
        ),
        '8' => "fan lock fault".to_owned(),
        '9' => format!("battery fault ({}V)", printf_float("%.0f", f)),
        'A' => "charger fault".to_owned(),
        'B' => "EPO activated".to_owned(),
        'C' => "parallel error".to_owned(),
        'D' => "MCU communication error".to_owned(),
        _ => {
            tracing::debug!("unknown or reserved fault id {id}");
            return None;
        }
    };
    Some(format!("{when}: {what}"))
}

/// The dialect's value processing (C's `masterguard_*` preprocess functions). Some of
/// them remember what later items need (slave address, series, power, cells).
pub fn value(
    engine: &mut Engine,
    idx: usize,
    code: u8,
    raw: &str,
    state: &mut DeviceState,
) -> Result<String, ReplyError> {
    let bad = || ReplyError::Invalid(raw.to_owned());
    let from = engine.items.get(idx).map_or(0, |i| i.from);
    let va = private_i64(engine, KEY_POWER) as f64;
    let output_current = |fraction: f64| -> Result<String, ReplyError> {
        // C would crash without an output voltage.
        let Some(ov) = state.value("output.voltage") else {
            return Err(ReplyError::Unexpected);
        };
        Ok(printf_float("%.2f", fraction * va / c_strtod(ov) + 0.005))
    };
    match code {
        SLAVE => {
            if raw.len() != 2 {
                tracing::debug!("slaveaddr length not 2");
                return Err(bad());
            }
            engine.private.insert(KEY_SLAVE.into(), raw.to_owned());
            Ok(raw.to_owned())
        }
        SERIES => {
            let series = raw.get(..1).filter(|s| *s == "A" || *s == "E");
            let Some(series) = series else {
                tracing::debug!("unknown series {raw}");
                return Err(bad());
            };
            engine.private.insert(KEY_SERIES.into(), series.to_owned());
            Ok(series.to_owned())
        }
        MODEL => {
            let Some((name, min, max)) = model(raw) else {
                tracing::debug!("unknown T {raw}");
                return Err(bad());
            };
            engine
                .allowed_override
                .insert("battery.packs", vec![min.to_string(), max.to_string()]);
            Ok(name)
        }
        POWER => {
            let Some(p) = power(raw) else {
                tracing::debug!("unknown T {raw}");
                return Err(bad());
            };
            engine.private.insert(KEY_POWER.into(), p.to_string());
            Ok(p.to_string())
        }
        MMM_SS => mmm_ss(raw).map(|s| s.to_string()).ok_or_else(bad),
        HHH => scan_int(raw)
            .map(|(h, _)| h.wrapping_mul(3600).to_string())
            .ok_or_else(bad),
        TTTT => tttt_hh_mm_ss(raw).map(|s| s.to_string()).ok_or_else(bad),
        CELLS => {
            let (n, _) = scan_int(raw).ok_or_else(bad)?;
            engine.private.insert(KEY_CELLS.into(), n.to_string());
            Ok(n.to_string())
        }
        BATTVOLT => {
            let (per_cell, _) = scan_float(raw).ok_or_else(bad)?;
            // C multiplies a long by a float: in float.
            let cells = private_i64(engine, KEY_CELLS) as f32;
            Ok(printf_float("%.2f", f64::from(cells * per_cell)))
        }
        UPS_POWER => {
            let (q, _) = scan_int(raw).ok_or_else(bad)?;
            Ok(printf_float("%.0f", f64::from(q) / 100.0 * va + 0.5))
        }
        CURRENT => {
            let (q, _) = scan_int(raw).ok_or_else(bad)?;
            output_current(f64::from(q) / 100.0)
        }
        CURRENT_NOMINAL => output_current(1.0),
        STATUS => status(from, raw).ok_or_else(|| ReplyError::BadStatusBit(raw.to_owned())),
        BEEPER => match raw.as_bytes().first() {
            Some(b'0') => Ok("disabled".into()),
            Some(b'1') => Ok("enabled".into()),
            _ => Err(bad()),
        },
        VOLTAGES => {
            let list: Vec<String> = raw
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect();
            engine
                .allowed_override
                .insert("output.voltage.nominal", list);
            Ok(raw.to_owned())
        }
        FAULT => fault(raw).ok_or_else(bad),
        _ => Err(ReplyError::Unexpected),
    }
}

/// Puts the slave address into a command ending in `,XX\r` (C's
/// `masterguard_add_slaveaddr`); `None` for a command without that ending.
pub fn command_text(engine: &Engine, _code: u8, command: &str) -> Option<String> {
    let Some(head) = command.strip_suffix(",XX\r") else {
        tracing::debug!("add slaveaddr: no ,XX\\r at end of command {command:?}");
        return None;
    };
    let slave = engine.private.get(KEY_SLAVE).map_or("??", String::as_str);
    Some(format!("{head},{slave}\r"))
}

/// After the command that changes the slave address (sent with the old one), the new
/// address is used (C's `masterguard_new_slaveaddr`).
pub fn answer(engine: &mut Engine, code: u8, reply: Vec<u8>) -> Result<Vec<u8>, ReplyError> {
    if code != ADD_SLAVE_NEW {
        return Ok(reply);
    }
    let next = private_i64(engine, KEY_NEXT_SLAVE);
    if !(0..=99).contains(&next) {
        tracing::debug!("new slaveaddr: illegal value {next}");
        return Err(ReplyError::Invalid(next.to_string()));
    }
    engine
        .private
        .insert(KEY_SLAVE.into(), format!("{next:02}"));
    Ok(reply)
}

/// One printf conversion (`%d`, `%03d`, `%1d`, `%f`, `%.2f`, `%s`) of a command template
/// filled with the argument.
enum Arg {
    Int(i64),
    Float(f64),
    Text(String),
}

fn fill(template: &str, arg: &Arg) -> Option<String> {
    let start = template.find('%')?;
    let spec = &template[start + 1..];
    let conv_at = spec.find(|c: char| c.is_ascii_alphabetic())?;
    let (flags, conv) = (&spec[..conv_at], spec[conv_at..].chars().next()?);
    let zero = flags.starts_with('0');
    let (w, prec) = match flags.split_once('.') {
        Some((w, p)) => (w, p.parse::<usize>().ok()),
        None => (flags, None),
    };
    let width = w.trim_start_matches('0').parse::<usize>().unwrap_or(0);
    let text = match (conv, arg) {
        ('d', Arg::Int(i)) if zero => format!("{i:0width$}"),
        ('d', Arg::Int(i)) => format!("{i:width$}"),
        ('f', Arg::Float(x)) => {
            let s = printf_float(&format!("%.{}f", prec.unwrap_or(6)), *x);
            if zero {
                format!("{s:0>width$}")
            } else {
                format!("{s:>width$}")
            }
        }
        ('s', Arg::Text(s)) => format!("{s:>width$}"),
        _ => return None,
    };
    let rest = &spec[conv_at + conv.len_utf8()..];
    Some(format!("{}{text}{rest}", &template[..start]))
}

/// The command that sets item `idx` to `value` (C's `masterguard_setvar`): the input
/// format in the item's format field is `d` (an integer), `f` (a number), `s` (text) or
/// `thms` (seconds, sent as `TTTT:hh:mm:ss`).
///
/// C's `thms` tries the `TTTT:hh:mm:ss` form on the item's last reply instead of on the
/// value (a slip; that reply is always empty), so only seconds are accepted: so here.
fn set_command(item: &Item, value: &str) -> Option<String> {
    if value.is_empty() {
        tracing::debug!("setvar: no value");
        return None;
    }
    let arg = match item.format {
        "d" => Arg::Int(strtol_whole(value)?),
        "f" => {
            let t = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
            Arg::Float(t.parse::<f64>().ok()?)
        }
        "s" if value.len() < 80 => Arg::Text(value.to_owned()),
        f if f.starts_with("thms") => {
            let l = strtol_whole(value)?;
            let (sec, l) = (l % 60, l / 60);
            let (m, l) = (l % 60, l / 60);
            let (h, l) = (l % 24, l / 24);
            if l > 9999 {
                tracing::debug!("setvar: illegal {f} value {value}");
                return None;
            }
            // C keeps them in ints.
            let (t, h, m, sec) = (l as i32, h as i32, m as i32, sec as i32);
            Arg::Text(format!("{t:04}:{h:02}:{m:02}:{sec:02}"))
        }
        other => {
            tracing::debug!("setvar: unknown dfl {other}");
            return None;
        }
    };
    fill(item.command, &arg)
}

/// The command for a SET of item `idx` (C's `masterguard_setvar`, and
/// `masterguard_set_slaveaddr` for `ups.id`, which also notes the address to use after
/// it).
pub fn setvar(engine: &mut Engine, idx: usize, code: u8, value: &str) -> Option<String> {
    let item = engine.items.get(idx)?.clone();
    match code {
        SET => set_command(&item, value),
        SET_SLAVE => {
            // C notes the number before checking that it is all there is.
            let t = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
            let next = scan_int(t).map_or(0, |(n, _)| i64::from(n));
            engine
                .private
                .insert(KEY_NEXT_SLAVE.into(), next.to_string());
            strtol_whole(value)?;
            set_command(&item, value)
        }
        _ => None,
    }
}

/// `S<off>` or `S<off>R<on>` for the delays: `.n` tenths of a minute below a minute, else
/// minutes up to 99; the restart delay as C gives it (`%04ld` of the seconds).
pub fn shutdown_command(offdelay: &str, ondelay: Option<&str>) -> Option<String> {
    let off = strtol_whole(offdelay)?;
    let off = match off {
        0..=59 => format!(".{}", off / 6),
        60..=5940 => format!("{:02}", off / 60),
        _ => {
            tracing::debug!("shutdown: illegal ups.delay.shutdown {offdelay}");
            return None;
        }
    };
    match ondelay {
        None => Some(format!("S{off}\r")),
        Some(on) => {
            let n = strtol_whole(on).filter(|n| (0..=9999 * 60).contains(n));
            let Some(n) = n else {
                tracing::debug!("shutdown: illegal ups.delay.start {on}");
                return None;
            };
            Some(format!("S{off}R{n:04}\r"))
        }
    }
}

/// `T` for a 10-second test, `Tnn` for 60..=5940 seconds in minutes (C's
/// `masterguard_test_battery`): the duration is required.
pub fn test_battery_command(param: &str) -> Option<String> {
    if param.is_empty() {
        tracing::debug!("battery test: no duration");
        return None;
    }
    match strtol_whole(param)? {
        10 => Some("T\r".into()),
        d @ 60..=5940 => Some(format!("T{:02}\r", d / 60)),
        _ => {
            tracing::debug!("battery test: illegal duration {param}");
            None
        }
    }
}

/// The device command for an instant command of this dialect.
pub fn command(code: u8, param: &str, state: &DeviceState) -> Option<String> {
    // C reads them with dstate_getinfo: never missing (driver-side variables).
    let off = state.value("ups.delay.shutdown").unwrap_or("");
    let on = state.value("ups.delay.start").unwrap_or("");
    match code {
        SHUTDOWN_RETURN => shutdown_command(off, Some(on)),
        SHUTDOWN_STAYOFF => shutdown_command(off, None),
        TEST_BATTERY => test_battery_command(param),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qx::item::extract;

    /// The examples of C's comments.
    const WH: &str = "(00 10.06 03.09 A  700  + 0 Bat Pack-19        0 230 50.00 012 02.30 \
                      006.00 012.00 018 10 40 160 276 47.00 53.00\r";
    const Q3: &str = "(00 225.9 225.9 229.3 043 50.0 02.27 23.4 017.03 100 00000000 00000000\r";
    const Q3_B: &str = "(01 226.9 226.9 226.9 039 50.0 02.30 21.8 000.00 000 01100000 00011000\r";
    const FLT: &str = "(01,9 0010 1780:14:57:19 7 0046 0000:21:14:41 0 0000 0000:00:00:00 \
                       0 0000 0000:00:00:00 0 0000 0000:00:00:00\r";

    /// Publishes every value item of `command` from `reply`, as a walk does; returns the
    /// processed values of the items without a NUT variable.
    fn publish(
        engine: &mut Engine,
        state: &mut DeviceState,
        command: &str,
        reply: &str,
    ) -> Vec<(&'static str, String)> {
        let mut nonut = Vec::new();
        for idx in 0..engine.items.len() {
            let item = engine.items[idx].clone();
            if item.command != command || item.flags & (SETVAR | ABSENT) != 0 {
                continue;
            }
            let raw = extract(&item, reply.as_bytes(), None).unwrap();
            if item.has(NONUT) {
                let v = match item.process {
                    Process::Dialect(code) => value(engine, idx, code, &raw, state).unwrap(),
                    _ => super::super::item::format_value(&item, &raw).unwrap(),
                };
                nonut.push((item.var, v));
                continue;
            }
            engine.infoval_set(idx, &raw, state).unwrap();
        }
        nonut
    }

    fn check(state: &DeviceState, expect: &[(&str, &str)]) {
        for (var, v) in expect {
            assert_eq!(state.value(var), Some(*v), "{var}");
        }
    }

    #[test]
    fn identification_line() {
        let mut e = Engine::new(DIALECT);
        let mut s = DeviceState::new();
        let nonut = publish(&mut e, &mut s, "WH\r", WH);
        check(
            &s,
            &[
                ("ups.id", "00"),
                ("ups.firmware", "10.06"),
                ("ups.firmware.aux", "03.09"),
                // "-19" in the name: a rack model.
                ("device.model", "A700-19"),
                ("ups.power.nominal", "700"),
                ("input.voltage.nominal", "230"),
                ("input.frequency.nominal", "50.00"),
                // 12 cells of 2.30 V.
                ("battery.voltage.nominal", "27.60"),
                ("ambient.0.temperature.low", "10"),
                ("ambient.0.temperature.high", "40"),
                ("input.voltage.low.critical", "160"),
                ("input.voltage.high.critical", "276"),
                ("input.frequency.low", "47.00"),
                ("input.frequency.high", "53.00"),
            ],
        );
        let nonut: Vec<(&str, &str)> = nonut.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            nonut,
            [
                ("experimental.series", "A"),
                ("experimental.number_of_battery_cells", "12"),
                ("experimental.nominal_cell_voltage", "2.30"),
                // 6 min 00 s, 12 min 00 s, 18 h.
                ("experimental.runtime_half", "360"),
                ("experimental.runtime_full", "720"),
                ("experimental.recharge_time", "64800"),
            ]
        );
        assert_eq!(e.private[KEY_SLAVE], "00");
        assert_eq!(e.private[KEY_POWER], "700");
        // An A700 takes no battery packs.
        assert_eq!(e.allowed_override["battery.packs"], ["0", "0"]);
    }

    #[test]
    fn status_line() {
        let mut e = Engine::new(DIALECT);
        let mut s = DeviceState::new();
        publish(&mut e, &mut s, "WH\r", WH);
        let nonut = publish(&mut e, &mut s, "Q3\r", Q3);
        assert_eq!(
            nonut,
            [("experimental.input_fault_voltage", "225.9".to_owned())]
        );
        check(
            &s,
            &[
                ("input.voltage", "225.9"),
                ("output.voltage", "229.3"),
                ("ups.load", "43"),
                // 43 % of 700 VA + 0.5 = 301.5, printed to the even 302.
                ("ups.power", "302"),
                // 0.43 * 700 / 229.3 + 0.005 = 1.3177
                ("output.current", "1.32"),
                ("input.frequency", "50.0"),
                // 12 cells of 2.27 V, in float.
                ("battery.voltage", "27.24"),
                ("ups.temperature", "23.4"),
                ("ambient.0.temperature", "23.4"),
                // 17 min 03 s.
                ("battery.runtime", "1023"),
                ("battery.charge", "100"),
                ("ups.type", "online"),
                ("ups.test.result", "no test in progress"),
            ],
        );
        // Every bit clear: on line, nothing else.
        assert_eq!(e.bits.to_words(), "OL");
        e.start_full();
        publish(&mut e, &mut s, "Q3\r", Q3_B);
        assert_eq!(e.bits.to_words(), "OL LB RB BYPASS");
        e.commit_alarms(&mut s);
        assert_eq!(
            s.value("ups.alarm"),
            Some("no battery connected Replace battery!")
        );
        // 39 % of 700 VA over 226.9 V.
        assert_eq!(s.value("ups.power"), Some("274"));
        assert_eq!(s.value("output.current"), Some("1.21"));
        assert_eq!(s.value("battery.runtime"), Some("0"));
    }

    #[test]
    fn status_bits() {
        let cases = [
            (53, "0", "OL"),
            (53, "1", "!OL"),
            (54, "1", "LB"),
            (54, "0", "!LB"),
            (55, "1", "BYPASS"),
            (56, "1", "UPS Failed"),
            (56, "0", ""),
            (57, "1", "offline"),
            (58, "1", "CAL"),
            (59, "0", "!FSD"),
            (63, "1", "problems in parallel operation mode"),
            (65, "1", "RB"),
            (66, "0", ""),
            (67, "001", "in progress"),
            (67, "011", "failed"),
            (67, "110", "autonomy time calibration in progress"),
        ];
        for (col, raw, want) in cases {
            assert_eq!(status(col, raw).as_deref(), Some(want), "{col} {raw}");
        }
        assert_eq!(status(53, "x"), None);
        assert_eq!(status(60, "1"), None);
        assert_eq!(status(67, "01"), None);
        assert_eq!(status(67, "0é"), None);
        assert_eq!(status(67, "012"), None);
    }

    #[test]
    fn fault_records() {
        let item =
            |from: usize| Item::value("x", "FLT,XX\r", 108, b'(', from, from + 19, "%s", NONUT);
        let raw = |from| extract(&item(from), FLT.as_bytes(), None).unwrap();
        // 1780 days 14:57:19; 21:14:41.
        assert_eq!(fault(&raw(4)).unwrap(), "153845839: battery fault (10V)");
        assert_eq!(
            fault(&raw(25)).unwrap(),
            "76481: inverter mode outpt short-circuit fault (46V)"
        );
        assert_eq!(fault(&raw(46)).unwrap(), "0: none");
        assert_eq!(
            fault("7 0043 0000:16:48:06").unwrap(),
            "60486: inverter mode outpt short-circuit fault (43V)"
        );
        assert_eq!(
            fault("4 27.456 0000:00:00:01").unwrap(),
            "1: battery overvoltage fault (27.46V)"
        );
        assert_eq!(fault("E 0000 0000:00:00:00"), None);
        assert_eq!(fault("1 0000 0000:00:00"), None);
        assert_eq!(fault(""), None);
    }

    #[test]
    fn addressed_replies() {
        let mut e = Engine::new(DIALECT);
        let mut s = DeviceState::new();
        publish(&mut e, &mut s, "GS,XX\r", "(00,00 0 1\r");
        publish(
            &mut e,
            &mut s,
            "GBS,XX\r",
            "(00,100 0017 0000 0708 0712 0994 115 02.28\r",
        );
        publish(&mut e, &mut s, "GSN,XX\r", "(00,SSN=6A1212      2782\r");
        publish(&mut e, &mut s, "DRC,XX\r", "(00,1869:19:06:37\r");
        check(
            &s,
            &[
                ("battery.packs", "0"),
                ("ups.beeper.status", "enabled"),
                ("battery.charge", "100"),
                ("device.part", "6A1212"),
                ("device.serial", "2782"),
                // 1869 days 19:06:37.
                ("device.uptime", "161550397"),
            ],
        );
        e.private.insert(KEY_SLAVE.into(), "07".into());
        assert_eq!(
            command_text(&e, ADD_SLAVE, "GBS,XX\r").as_deref(),
            Some("GBS,07\r")
        );
        assert_eq!(command_text(&e, ADD_SLAVE, "WH\r"), None);
        assert_eq!(command_text(&e, ADD_SLAVE, "\r"), None);
    }

    #[test]
    fn output_voltages_and_nominal_current() {
        let mut e = Engine::new(DIALECT);
        let mut s = DeviceState::new();
        publish(&mut e, &mut s, "WH\r", WH);
        publish(&mut e, &mut s, "Q3\r", Q3);
        let nonut = publish(&mut e, &mut s, "MSO\r", "(220 230 240\r");
        assert_eq!(
            nonut,
            [("experimental.output_voltages", "220 230 240".to_owned())]
        );
        assert_eq!(
            e.allowed_override["output.voltage.nominal"],
            ["220", "230", "240"]
        );
        publish(&mut e, &mut s, "PNV\r", "(PNV=230\r");
        // 700 VA / 229.3 V + 0.005 = 3.0578
        check(
            &s,
            &[
                ("output.voltage.nominal", "230"),
                ("output.current.nominal", "3.06"),
            ],
        );
        // C divides by a zero output voltage.
        let _ = s.set("output.voltage", "0.0");
        let idx = e.find("output.current.nominal", 0, 0).unwrap();
        assert_eq!(
            value(&mut e, idx, CURRENT_NOMINAL, "230", &mut s).unwrap(),
            "inf"
        );
    }

    #[test]
    fn models() {
        assert_eq!(model("A 1000"), Some(("A1000".into(), 0, 2)));
        assert_eq!(model("A 2000"), Some(("A2000".into(), 0, 2)));
        assert_eq!(model("A 3000  -19"), Some(("A3000-19".into(), 1, 5)));
        assert_eq!(model("E 60"), Some(("E60".into(), 1, 1)));
        assert_eq!(model("E200-19"), Some(("E200-19".into(), 1, 1)));
        assert_eq!(model("A 700"), None);
        assert_eq!(power("E100"), Some(10000));
        assert_eq!(power("A 3000"), Some(3000));
        assert_eq!(power("B"), None);
        assert_eq!(mmm_ss("017.03"), Some(1023));
        assert_eq!(mmm_ss("17"), None);
        assert_eq!(tttt_hh_mm_ss(" 1:2:3:4"), Some(93784));
    }

    #[test]
    fn settings_become_commands() {
        let mut e = Engine::new(DIALECT);
        let set = |e: &mut Engine, var: &str, v: &str| {
            let idx = e.find(var, SETVAR, 0).unwrap();
            let Process::Dialect(code) = e.items[idx].process else {
                panic!("{var}")
            };
            setvar(e, idx, code, v)
        };
        assert_eq!(
            set(&mut e, "battery.packs", "2").as_deref(),
            Some("SS--2-,XX\r")
        );
        assert_eq!(
            set(&mut e, "output.voltage.nominal", "230").as_deref(),
            Some("PNV=230\r")
        );
        assert_eq!(set(&mut e, "output.voltage.nominal", "23x"), None);
        assert_eq!(set(&mut e, "output.voltage.nominal", ""), None);
        assert_eq!(
            set(&mut e, "device.uptime", "3661").as_deref(),
            Some("SRC0000:01:01:01,XX\r")
        );
        assert_eq!(
            set(&mut e, "device.uptime", "161550397").as_deref(),
            Some("SRC1869:19:06:37,XX\r")
        );
        // C reads the T:h:m:s form from the wrong place: only seconds work.
        assert_eq!(set(&mut e, "device.uptime", "1869:19:06:37"), None);
        assert_eq!(set(&mut e, "device.uptime", "864000000"), None);
        assert_eq!(
            set(&mut e, "device.uptime", "-5").as_deref(),
            Some("SRC0000:00:00:-5,XX\r")
        );
        // The new address is used once the command (with the old one) has gone.
        e.private.insert(KEY_SLAVE.into(), "00".into());
        assert_eq!(set(&mut e, "ups.id", "5").as_deref(), Some("SS05--,XX\r"));
        assert_eq!(
            command_text(&e, ADD_SLAVE_NEW, "SS05--,XX\r").as_deref(),
            Some("SS05--,00\r")
        );
        assert_eq!(answer(&mut e, ADD_SLAVE, Vec::new()), Ok(Vec::new()));
        assert_eq!(e.private[KEY_SLAVE], "00");
        assert_eq!(answer(&mut e, ADD_SLAVE_NEW, Vec::new()), Ok(Vec::new()));
        assert_eq!(e.private[KEY_SLAVE], "05");
        assert_eq!(set(&mut e, "ups.id", "6.5"), None);
        e.private.insert(KEY_NEXT_SLAVE.into(), "100".into());
        assert!(answer(&mut e, ADD_SLAVE_NEW, Vec::new()).is_err());
    }

    #[test]
    fn shutdown_and_test_commands() {
        assert_eq!(
            shutdown_command("30", Some("180")).as_deref(),
            Some("S.5R0180\r")
        );
        assert_eq!(shutdown_command("0", None).as_deref(), Some("S.0\r"));
        assert_eq!(shutdown_command("59", None).as_deref(), Some("S.9\r"));
        assert_eq!(shutdown_command("90", None).as_deref(), Some("S01\r"));
        assert_eq!(
            shutdown_command("5940", Some("599940")).as_deref(),
            Some("S99R599940\r")
        );
        assert_eq!(shutdown_command("5941", None), None);
        assert_eq!(shutdown_command("-1", None), None);
        assert_eq!(shutdown_command("30", Some("599941")), None);
        assert_eq!(shutdown_command("7.5", None), None);
        assert_eq!(test_battery_command(""), None);
        assert_eq!(test_battery_command("10").as_deref(), Some("T\r"));
        assert_eq!(test_battery_command("60").as_deref(), Some("T01\r"));
        assert_eq!(test_battery_command("5940").as_deref(), Some("T99\r"));
        assert_eq!(test_battery_command("59"), None);
        assert_eq!(test_battery_command("10s"), None);
    }

    #[test]
    fn every_command_of_the_table_is_known_to_both_series() {
        // Why C's runaway loop over the series' commands never runs off the end.
        for series in [COMMANDS_A, COMMANDS_E] {
            for item in table().iter().filter(|i| !i.command.is_empty()) {
                assert!(
                    series.contains(&command_name(item.command)),
                    "{}",
                    item.command
                );
            }
        }
        assert_eq!(command_name("SS%02d--,XX\r"), "SS");
        assert_eq!(command_name("PNV=%03d\r"), "PNV");
        assert_eq!(command_name(""), "");
    }

    #[test]
    fn bad_values_are_refused_without_panic() {
        let mut e = Engine::new(DIALECT);
        let mut s = DeviceState::new();
        let raws = [
            "",
            "-",
            "é",
            "1é",
            "00é",
            "9999999999999",
            "1.",
            ".",
            "1:2",
            "0 x",
        ];
        for idx in 0..e.items.len() {
            let Process::Dialect(code) = e.items[idx].process else {
                continue;
            };
            for raw in raws {
                let _ = value(&mut e, idx, code, raw, &mut s);
                let _ = setvar(&mut e, idx, code, raw);
                let _ = command(code, raw, &s);
            }
        }
        assert_eq!(strtol_whole(""), Some(0));
        assert_eq!(strtol_whole(" +7"), Some(7));
        assert_eq!(strtol_whole("7 "), None);
        assert_eq!(strtol_whole("-"), None);
    }
}
