//! The BestUPS dialect (Best Power and Sola Australia units; C's `nutdrv_qx_bestups.c`,
//! "BestUPS 0.06").
//!
//! The status is the Megatec `Q1` line, without the beeper bit; the bypass/boost/buck bit is
//! read last and ignored unless the unit is on line and neither testing nor shutting down
//! (some models invert it). `ID` gives the model and ratings as a comma-separated line
//! (`FOR,750,120,120,20.0,27.6`) that is first padded to fixed columns; `M` gives the index
//! of the voltage settings (transfer points and nominal voltages from a table); `RT` the
//! runtime in minutes (not on Patriot Pro / Sola 320); `BP?` the battery packs (Axxium /
//! Sola 620 only, writable with `BPn`); `SS?` the shutdown mode of pins 1 and 7, written
//! with `SSn` only from the `pins_shutdown_mode` option. The device is claimed when both
//! `Q1` and `ID` answer.

use nut_driver_api::status::c_strtol;
use nut_driver_api::DeviceState;

use super::blazer::{status_bit, DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use super::dialect::{Claim, Dialect, Family};
use super::engine::Engine;
use super::item::{
    c_strtod, is_c_numeric, printf_float, Item, Process, ReplyError, ABSENT, NONUT, QUICK_POLL,
    RANGE, SEMI_STATIC, SETVAR, SKIP, STATIC,
};

/// The dialect.
pub const DIALECT: Dialect = Dialect {
    version: "BestUPS 0.06",
    claim: Claim::StatusAndVar("device.model"),
    status: "Q1\r",
    ratings: false,
    vendor: None,
    accepted: None,
    rejected: None,
    vendor_flags: false,
    family: Family::BestUps,
};

/// The `ups.conf` option that sets the pins' shutdown mode.
pub const PINS_OPTION: &str = "pins_shutdown_mode";

const MFR: u8 = 1;
const MODEL: u8 = 2;
const RUNTIME: u8 = 3;
const PACKS: u8 = 4;
const PINS: u8 = 5;
const VOLTAGES: u8 = 6;
const BYPASS_BIT: u8 = 7;
const SET: u8 = 8;

const ONDELAY_RANGE: &[&str] = &["60", "599940"];
const OFFDELAY_RANGE: &[&str] = &["12", "5940"];
const PACKS_RANGE: &[&str] = &["0", "5"];
const PINS_RANGE: &[&str] = &["0", "6"];

/// The [`Engine::private`] key of the "inverted bypass/boost/buck bit" quirk.
const INVERTED: &str = "bestups.inverted_bbb";
/// The [`Engine::private`] key of the pins' shutdown mode read from the device.
const PINS_READ: &str = "bestups.pins_shutdown_mode";

fn rw(item: Item, allowed: &'static [&'static str]) -> Item {
    Item {
        rw: true,
        allowed,
        ..item
    }
}

fn setter(var: &'static str, command: &'static str, allowed: &'static [&'static str]) -> Item {
    Item {
        allowed,
        flags: SETVAR | RANGE | SKIP,
        ..Item::cmd(var, command, Process::Dialect(SET))
    }
}

fn delay(var: &'static str, allowed: &'static [&'static str], default: &'static str) -> Item {
    Item {
        rw: true,
        allowed,
        format: default,
        flags: ABSENT | SETVAR | RANGE,
        ..Item::cmd(var, "", Process::DelaySetvar)
    }
}

/// The protocol table (C's `bestups_qx2nut`).
pub fn table() -> Vec<Item> {
    let q = |var: &'static str, from: usize, to: usize, format: &'static str| {
        Item::value(var, "Q1\r", 47, b'(', from, to, format, 0)
    };
    let bit = |var: &'static str, col: usize, flags: u32, format: &'static str| {
        Item::value(var, "Q1\r", 47, b'(', col, col, format, flags).with(Process::StatusBit)
    };
    let id = |var: &'static str, from: usize, to: usize, format: &'static str, flags: u32| {
        Item::value(var, "ID\r", 28, 0, from, to, format, flags)
    };
    let m = |var: &'static str| {
        Item::value(var, "M\r", 2, 0, 0, 0, "%d", 0).with(Process::Dialect(VOLTAGES))
    };
    vec![
        q("input.voltage", 1, 5, "%.1f"),
        q("input.voltage.fault", 7, 11, "%.1f"),
        q("output.voltage", 13, 17, "%.1f"),
        q("ups.load", 19, 21, "%.0f"),
        q("input.frequency", 23, 26, "%.1f"),
        q("battery.voltage", 28, 31, "%.2f"),
        q("ups.temperature", 33, 36, "%.1f"),
        bit("ups.status", 38, QUICK_POLL, ""),
        bit("ups.status", 39, QUICK_POLL, ""),
        bit("ups.alarm", 41, 0, ""),
        bit("ups.type", 42, STATIC, "%s"),
        bit("ups.status", 43, QUICK_POLL, ""),
        bit("ups.status", 44, QUICK_POLL, ""),
        // Last: it needs the status bits read before it.
        bit("ups.status", 40, QUICK_POLL, "").with(Process::Dialect(BYPASS_BIT)),
        id("device.mfr", 0, 2, "%s", STATIC).with(Process::Dialect(MFR)),
        id("device.model", 0, 2, "%s", STATIC).with(Process::Dialect(MODEL)),
        id("ups.power.nominal", 4, 7, "%.0f", STATIC),
        id("input.voltage.nominal", 9, 11, "%.0f", STATIC),
        id("output.voltage.nominal", 13, 15, "%.0f", STATIC),
        id("battery.voltage.low", 17, 20, "%.1f", SEMI_STATIC),
        id("battery.voltage.high", 22, 26, "%.1f", SEMI_STATIC),
        Item::value("battery.runtime", "RT\r", 4, 0, 0, 2, "%.0f", SKIP)
            .with(Process::Dialect(RUNTIME)),
        rw(
            Item::value(
                "battery.packs",
                "BP?\r",
                3,
                0,
                0,
                1,
                "%d",
                SEMI_STATIC | RANGE | SKIP,
            )
            .with(Process::Dialect(PACKS)),
            PACKS_RANGE,
        ),
        setter("battery.packs", "BP%.0f\r", PACKS_RANGE),
        rw(
            Item::value(
                PINS_OPTION,
                "SS?\r",
                2,
                0,
                0,
                0,
                "%.0f",
                SEMI_STATIC | RANGE | NONUT,
            )
            .with(Process::Dialect(PINS)),
            PINS_RANGE,
        ),
        Item {
            flags: SETVAR | RANGE | NONUT | SKIP,
            ..setter(PINS_OPTION, "SS%.0f\r", PINS_RANGE)
        },
        m("input.transfer.low"),
        m("input.transfer.boost.low"),
        m("input.transfer.boost.high"),
        m("input.voltage.nominal"),
        m("output.voltage.nominal"),
        m("input.transfer.trim.low"),
        m("input.transfer.trim.high"),
        m("input.transfer.high"),
        Item::cmd("shutdown.return", "S%s\r", Process::DelayCommand),
        // As in C: without `R0000`, so this is a shutdown.return without restart delay.
        Item::cmd("shutdown.stayoff", "S%s\r", Process::DelayCommand),
        Item::cmd("shutdown.stop", "C\r", Process::Plain),
        Item::cmd("load.on", "C\r", Process::Plain),
        Item::cmd("load.off", "S00R0000\r", Process::Plain),
        Item::cmd("test.battery.start", "T%02d\r", Process::DelayCommand),
        Item::cmd("test.battery.start.deep", "TL\r", Process::Plain),
        Item::cmd("test.battery.start.quick", "T\r", Process::Plain),
        Item::cmd("test.battery.stop", "CT\r", Process::Plain),
        delay("ups.delay.start", ONDELAY_RANGE, DEFAULT_ONDELAY),
        delay("ups.delay.shutdown", OFFDELAY_RANGE, DEFAULT_OFFDELAY),
    ]
}

/// Pads the `ID` reply to fixed columns (C's `bestups_preprocess_id_answer`): the power
/// right-aligned in 4 characters, the last field (with its `\r`) in 6. Anything but six
/// fields in a 25..=27-byte reply is refused; an empty reply is left alone.
pub fn pad_id(reply: Vec<u8>) -> Result<Vec<u8>, ReplyError> {
    if reply.is_empty() {
        return Ok(reply);
    }
    if !(25..=27).contains(&reply.len()) {
        return Err(ReplyError::Unexpected);
    }
    let text = reply.split(|&b| b == 0).next().unwrap_or_default();
    let mut out: Vec<u8> = Vec::with_capacity(28);
    let mut fields = 0;
    // strtok: empty fields do not count.
    for token in text.split(|&b| b == b',').filter(|t| !t.is_empty()) {
        fields += 1;
        let width: usize = match fields {
            2 => 4,
            6 => 6,
            _ => 0,
        };
        if fields > 1 {
            out.push(b',');
        }
        out.extend(std::iter::repeat_n(b' ', width.saturating_sub(token.len())));
        out.extend_from_slice(token);
    }
    if fields != 6 || out.len() != 28 {
        return Err(ReplyError::Unexpected);
    }
    Ok(out)
}

/// The reply preprocessing of the dialect: only `ID` is padded.
pub fn answer(item: &Item, reply: Vec<u8>) -> Result<Vec<u8>, ReplyError> {
    if item.command == "ID\r" {
        pad_id(reply)
    } else {
        Ok(reply)
    }
}

/// The manufacturer for a model code.
fn manufacturer(code: &str) -> &'static str {
    match code {
        "AX1" | "FOR" | "FTC" | "PR2" | "PRO" => "Best Power",
        // As in C, 320 and 525 are Sola models but not Sola manufacturers.
        "325" | "520" | "620" => "Sola Australia",
        _ => "Unknown",
    }
}

/// The model name for a model code, and whether its bypass/boost/buck bit is inverted.
fn model(code: &str) -> (String, bool) {
    match code {
        "AX1" => ("Axxium Rackmount".into(), false),
        "FOR" => ("Fortress".into(), false),
        "FTC" => ("Fortress Telecom".into(), false),
        "PR2" => ("Patriot Pro II".into(), true),
        "PRO" => ("Patriot Pro".into(), true),
        "320" | "325" | "520" | "525" | "620" => (format!("Sola {code}"), false),
        _ => {
            tracing::info!("Unknown model detected - please report this ID: '{code}'");
            // C prints the text through the item's "%s" format, so the code is not in it.
            ("Unknown (%s)".into(), false)
        }
    }
}

/// `(low, boost, nominal, buck, high)` for each `M` index: 120 V models, then 230 V ones.
const VOLTAGE_SETTINGS: [[i64; 5]; 20] = [
    [96, 109, 120, 130, 146],
    [96, 109, 120, 138, 156],
    [90, 104, 120, 130, 146],
    [90, 104, 120, 138, 156],
    [90, 104, 110, 120, 130],
    [90, 104, 110, 130, 146],
    [90, 96, 110, 120, 130],
    [90, 96, 110, 130, 146],
    [96, 109, 128, 146, 156],
    [90, 104, 128, 146, 156],
    [200, 222, 240, 250, 284],
    [200, 222, 240, 264, 290],
    [188, 210, 240, 250, 284],
    [188, 210, 240, 264, 290],
    [188, 210, 230, 244, 270],
    [188, 210, 230, 250, 284],
    [180, 200, 230, 244, 270],
    [180, 200, 230, 250, 284],
    [165, 188, 208, 222, 244],
    [165, 188, 208, 244, 270],
];

fn digits_only(v: &str) -> Result<(), ReplyError> {
    if v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ReplyError::NotNumeric(v.to_owned()))
    }
}

/// Clears the skip flag of the first item for `var` with all of `flags` and none of
/// `noflags`.
fn unskip(engine: &mut Engine, var: &str, flags: u32, noflags: u32) -> Result<(), ReplyError> {
    let idx = engine
        .find(var, flags, noflags)
        .ok_or(ReplyError::Unexpected)?;
    engine.items[idx].flags &= !SKIP;
    Ok(())
}

/// The dialect's value processing (C's `bestups_*` preprocess functions).
pub fn value(
    engine: &mut Engine,
    idx: usize,
    code: u8,
    raw: &str,
    state: &DeviceState,
) -> Result<String, ReplyError> {
    let item = engine.items[idx].clone();
    match code {
        MFR => Ok(manufacturer(raw).to_owned()),
        MODEL => {
            let (name, inverted) = model(raw);
            if inverted {
                engine.private.insert(INVERTED.into(), "1".into());
            }
            if raw != "PRO" && raw != "320" {
                unskip(engine, "battery.runtime", 0, 0)?;
            }
            if raw == "AX1" || raw == "620" {
                unskip(engine, "battery.packs", 0, SETVAR)?;
            }
            Ok(name)
        }
        RUNTIME => {
            if !is_c_numeric(raw) {
                return Err(ReplyError::NotNumeric(raw.to_owned()));
            }
            Ok(printf_float(item.format, c_strtod(raw) * 60.0))
        }
        PACKS => {
            if !raw.bytes().all(|b| b.is_ascii_digit() || b == b' ') {
                return Err(ReplyError::NotNumeric(raw.to_owned()));
            }
            let packs = c_strtol(raw);
            unskip(engine, "battery.packs", SETVAR, 0)?;
            Ok(packs.to_string())
        }
        PINS => {
            digits_only(raw)?;
            let mode = c_strtol(raw);
            if mode > i64::from(i32::MAX) {
                return Err(ReplyError::Unexpected);
            }
            engine.private.insert(PINS_READ.into(), mode.to_string());
            if engine.params.get(PINS_OPTION).is_some() {
                unskip(engine, PINS_OPTION, SETVAR, 0)?;
            }
            Ok(mode.to_string())
        }
        VOLTAGES => {
            digits_only(raw)?;
            let index = c_strtol(raw);
            let Ok(mut index @ 0..=9) = usize::try_from(index) else {
                return Err(ReplyError::Unexpected);
            };
            let nominal = state
                .value("input.voltage.nominal")
                .or_else(|| state.value("output.voltage.nominal"))
                .ok_or(ReplyError::Unexpected)?;
            if c_strtol(nominal) > 160 {
                index += 10;
            }
            let [low, boost, nominal, buck, high] = VOLTAGE_SETTINGS[index];
            let v = match item.var {
                "input.transfer.low" | "input.transfer.boost.low" => low,
                "input.transfer.boost.high" => boost,
                "input.voltage.nominal" | "output.voltage.nominal" => nominal,
                "input.transfer.trim.low" => buck,
                "input.transfer.trim.high" | "input.transfer.high" => high,
                _ => return Err(ReplyError::Unexpected),
            };
            Ok(v.to_string())
        }
        BYPASS_BIT => {
            // Unreliable on battery, in a test or a shutdown: then ignored.
            let unreliable =
                !engine.bits.online() || engine.bits.has("CAL") || engine.bits.has("FSD");
            let inverted = engine.private.contains_key(INVERTED);
            let bit = match raw {
                "1" if unreliable || inverted => "0",
                "0" if !unreliable && inverted => "1",
                other => other,
            };
            let vi = state.value("input.voltage").map(c_strtod).unwrap_or(0.0);
            let vo = state.value("output.voltage").map(c_strtod).unwrap_or(0.0);
            Ok(status_bit(40, bit, vi, vo)?.unwrap_or("").to_owned())
        }
        _ => Err(ReplyError::Unexpected),
    }
}

/// The command that writes a device setting (C's `bestups_process_setvar`): the value
/// printed into the item's `%.0f`. `None` when there is no value, or when the pins'
/// shutdown mode already has it.
pub fn setvar(engine: &Engine, idx: usize, value: &str) -> Option<String> {
    let item = &engine.items[idx];
    if value.is_empty() {
        return None;
    }
    let v = c_strtod(value);
    if item.var.eq_ignore_ascii_case(PINS_OPTION)
        && engine
            .private
            .get(PINS_READ)
            .is_some_and(|p| c_strtod(p) == v)
    {
        tracing::info!("{} is already set to {v:.0}", item.var);
        return None;
    }
    Some(item.command.replace("%.0f", &printf_float("%.0f", v)))
}

/// The dialect's special processing codes that make commands (only setvars here).
pub fn is_setvar(code: u8) -> bool {
    code == SET
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_padded_to_fixed_columns() {
        let p = |s: &str| pad_id(s.as_bytes().to_vec()).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(
            p("FOR,750,120,120,20.0,27.6\r").unwrap(),
            "FOR, 750,120,120,20.0, 27.6\r"
        );
        assert_eq!(
            p("FOR,1500,120,120,20.0,27.6\r").unwrap(),
            "FOR,1500,120,120,20.0, 27.6\r"
        );
        assert_eq!(p("").unwrap(), "");
        assert!(p("FOR,750,120,120,20.0,27.6,1\r").is_err());
        // strtok: an empty field is no field.
        assert_eq!(
            p("FOR,,750,120,120,20.0,27\r").unwrap(),
            "FOR, 750,120,120,20.0,   27\r"
        );
        assert!(p("ID\r").is_err());
        // C's length limits: a 28-byte reply is refused even when it would fit.
        assert!(p("FOR,3000,120,120,20.0,100.6\r").is_err());
        let t = table();
        assert_eq!(t.len(), 45);
        assert!(t.iter().all(|i| i.var != "ups.beeper.status"));
    }

    #[test]
    fn names_and_quirks() {
        assert_eq!(manufacturer("620"), "Sola Australia");
        assert_eq!(manufacturer("320"), "Unknown");
        assert_eq!(model("525").0, "Sola 525");
        assert_eq!(model("PR2"), ("Patriot Pro II".into(), true));
        assert_eq!(model("XYZ").0, "Unknown (%s)");
    }
}
