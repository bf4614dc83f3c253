//! U-Talk replies as C's `mge-utalk` reads them: the identification (`Si 1`, or the
//! legacy `Si` numbers), the multiplier table (`Ai`), the four status bit strings and the
//! values of the variable table ([`ITEMS`]), scaled by the table's multipliers. No I/O.
//!
//! ```
//! use nut_drivers::mge_utalk::reply::{model_and_firmware, status_words};
//!
//! assert_eq!(
//!     model_and_firmware("Evolutio 2200 20"),
//!     ("Evolution 2200".to_owned(), Some("20".to_owned()))
//! );
//! let words = status_words(&["00000100", "01000000", "00000000", "00000000"]);
//! assert_eq!(words, ["OB", "CHRG"]);
//! ```

use crate::printf::printf_number;

/// The units a value is in (columns of the multiplier tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Volts.
    Volt = 0,
    /// Amperes.
    Ampere,
    /// Hertz.
    Hertz,
    /// Volt-amperes.
    VoltAmp,
    /// Watts.
    Watt,
    /// Degrees Celsius.
    Celsius,
    /// Minutes given in seconds.
    Min2Sec,
    /// No unit.
    None,
}

/// The multiplier tables `Ai` selects (table 0: raw readings).
pub const MULTIPLIER: [[f64; 8]; 4] = [
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 60.0, 1.0],
    [1.0, 1.0, 0.1, 1000.0, 1000.0, 1.0, 60.0, 1.0],
    [0.01, 0.01, 1.0, 1.0, 1.0, 1.0, 60.0, 1.0],
    [1.0, 0.01, 0.1, 1.0, 1.0, 1.0, 60.0, 1.0],
];

/// A variable of the table: its name, whether it is writable (then a string of `len`),
/// the query, the printf format and the unit.
#[derive(Debug, Clone, Copy)]
pub struct Item {
    /// The variable.
    pub var: &'static str,
    /// Writable (a string of at most `len` characters).
    pub rw: bool,
    /// Length of a writable value.
    pub len: i64,
    /// The query (`?` is replaced by the value to set it).
    pub cmd: &'static str,
    /// The printf format.
    pub fmt: &'static str,
    /// The unit.
    pub unit: Unit,
}

const fn item(var: &'static str, cmd: &'static str, fmt: &'static str, unit: Unit) -> Item {
    Item {
        var,
        rw: false,
        len: 0,
        cmd,
        fmt,
        unit,
    }
}

const fn rw(var: &'static str, len: i64, cmd: &'static str, fmt: &'static str, unit: Unit) -> Item {
    Item {
        var,
        rw: true,
        len,
        cmd,
        fmt,
        unit,
    }
}

/// C's variable table, in its order.
pub const ITEMS: [Item; 20] = [
    item("battery.charge", "Bl", "%05.1f", Unit::None),
    item("battery.runtime", "Bn", "%05d", Unit::None),
    item("battery.voltage", "Bv", "%05.1f", Unit::Volt),
    rw("battery.charge.low", 2, "Bl ?", "%02d", Unit::None),
    item("battery.voltage.nominal", "Bv ?", "%05.1f", Unit::Volt),
    item("ups.temperature", "St", "%05.1f", Unit::Celsius),
    item("ups.load", "Ll", "%05.1f", Unit::None),
    rw("ups.delay.start", 5, "Sm ?", "%03d", Unit::None),
    rw("ups.delay.shutdown", 5, "Sn ?", "%03d", Unit::None),
    rw("ups.test.interval", 5, "Bp ?", "%03d", Unit::None),
    item("output.voltage", "Lv", "%05.1f", Unit::Volt),
    item("output.current", "Lc", "%05.1f", Unit::Ampere),
    item("input.voltage", "Uv", "%05.1f", Unit::Volt),
    item("input.frequency", "Uf", "%05.2f", Unit::Hertz),
    rw("input.transfer.low", 5, "Ee ?", "%05.1f", Unit::Volt),
    rw("input.transfer.boost.low", 5, "Ee ?", "%05.1f", Unit::Volt),
    rw("input.transfer.boost.high", 5, "Eo ?", "%05.1f", Unit::Volt),
    rw("input.transfer.trim.low", 5, "Ea ?", "%05.1f", Unit::Volt),
    rw("input.transfer.high", 5, "Eu ?", "%05.1f", Unit::Volt),
    rw("input.transfer.trim.high", 5, "Eu ?", "%05.1f", Unit::Volt),
];

/// `Si 1` names and the names C reports for them.
const NAMES: [(&str, &str); 31] = [
    ("Pulsar EX7", "Pulsar EX 7"),
    ("Pulsar EX10", "Pulsar EX 10"),
    ("Pulsar EX15", "Pulsar EX 15"),
    ("Pulsar EX20", "Pulsar EX 20"),
    ("Pulsar EX30", "Pulsar EX 30"),
    ("Pulsar EX40", "Pulsar EX 40"),
    ("Pulsar ES2+", "Pulsar ES 2+"),
    ("Pulsar ES5+", "Pulsar ES 5+"),
    ("Pulsar ESV5+", "Pulsar ESV 5+"),
    ("Pulsar ESV8+", "Pulsar ESV 8+"),
    ("Pulsar ESV11+", "Pulsar ESV 11+"),
    ("Pulsar ESV14+", "Pulsar ESV 14+"),
    ("Pulsar ESV22+", "Pulsar ESV 22+"),
    ("EXTREME 1500", "Pulsar EXtreme 1500"),
    ("EXTREME 2000", "Pulsar EXtreme 2000"),
    ("EXTREME 2500", "Pulsar EXtreme 2500"),
    ("EXTREME 3000", "Pulsar EXtreme 3000"),
    ("EXTREME 4.5", "Comet EXtreme 4.5"),
    ("EXTREME 6", "Comet EXtreme 6"),
    ("EXTREME 9", "Comet EXtreme 9"),
    ("EXTREME 12", "Comet EXtreme 12"),
    ("COMET 5", "Comet 5"),
    ("COMET 7", "Comet 7.5"),
    ("COMET 10", "Comet 10"),
    ("COMET 15", "Comet 15"),
    ("COMET 20", "Comet 20"),
    ("COMET 30", "Comet 30"),
    ("COMET 12", "Comet 12"),
    ("COMET 18", "Comet 18"),
    ("COMET 24", "Comet 24"),
    ("COMET 36", "Comet 36"),
];

/// Legacy units: the two `Si` numbers and the model.
const LEGACY: [(i32, i32, &str); 12] = [
    (3000, 5, "Pulsar SV3"),
    (3000, 6, "Pulsar SV5/8/11"),
    (3000, 7, "Pulsar SV3"),
    (3000, 8, "Pulsar SV5/8"),
    (3000, 10, "Pulsar SV11/ESV13"),
    (3000, 11, "Pulsar ESV17"),
    (3000, 12, "Pulsar ESV20"),
    (3000, 13, "Pulsar ESV13"),
    (3000, 14, "Pulsar ESV17"),
    (3000, 15, "Pulsar ESV20"),
    (3000, 17, "Pulsar ESV8"),
    (3000, 51, "Pulsar ESV 11+"),
];

/// C's `atoi`.
pub fn atoi(s: &str) -> i32 {
    nut_driver_api::status::c_strtol(s) as i32
}

/// C's `atof` for decimal numbers (spaces, sign, digits, point, exponent).
pub fn atof(s: &str) -> f64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if int + frac > 0 {
            i += 1 + frac;
        }
    }
    if int + frac == 0 {
        return 0.0;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let exp = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp > 0 {
            i = j + exp;
        }
    }
    t[..i].parse().unwrap_or(0.0)
}

/// The model and firmware of an `Si 1` reply: the words before its last space are the
/// model (renamed when they are one of C's names, `Evolutio <n>` as `Evolution <n>`), the
/// word after it the firmware.
pub fn model_and_firmware(reply: &str) -> (String, Option<String>) {
    let (model, firmware) = match reply.rfind(' ') {
        Some(p) => (
            &reply[..p],
            Some(reply[p + 1..].to_owned()).filter(|f| !f.is_empty()),
        ),
        None => (reply, None),
    };
    let model = NAMES
        .iter()
        .find(|(base, _)| base.eq_ignore_ascii_case(model))
        .map_or(model, |(_, name)| name);
    (evolution(model), firmware)
}

fn evolution(model: &str) -> String {
    if model.starts_with("Evolutio") {
        // C reads the number after the first space (there is always one in practice).
        let n = model.find(' ').map_or(0, |p| atoi(&model[p..]));
        format!("Evolution {n}")
    } else {
        model.to_owned()
    }
}

/// The two numbers of a legacy `Si` reply (`data1 data2 …`): 0 for a missing one.
pub fn legacy_numbers(reply: &str) -> (i32, i32) {
    let Some(p) = reply.find(' ') else {
        return (0, 0);
    };
    let data1 = atoi(reply);
    let v = &reply[p + 1..];
    let data2 = if v.contains(' ') { atoi(v) } else { 0 };
    (data1, data2)
}

/// The model of a legacy unit.
pub fn legacy_model(data1: i32, data2: i32) -> Option<String> {
    LEGACY
        .iter()
        .find(|(a, b, _)| *a == data1 && *b == data2)
        .map(|(_, _, m)| evolution(m))
}

/// The multiplier table of an `Ai` reply (the number after its first space, 1 to 3).
pub fn table(reply: &str) -> Option<usize> {
    let p = reply.find(' ')?;
    let t = atoi(&reply[p + 1..]);
    (1..4).contains(&t).then_some(t as usize)
}

/// A value as C prints it: the reply scaled by the multiplier of `table` for the item's
/// unit, printed with the item's format (31 characters at most).
pub fn extract(reply: &str, item: &Item, table: usize) -> String {
    let x = MULTIPLIER[table.min(3)][item.unit as usize] * atof(reply);
    let x = if item.fmt.ends_with('d') {
        // C's (int) conversion: saturating here, undefined there.
        f64::from(x as i32)
    } else {
        x
    };
    let mut s = printf_number(item.fmt, x);
    s.truncate(31);
    s
}

fn bit(s: &str, i: usize) -> bool {
    s.as_bytes().get(i) == Some(&b'1')
}

/// The status words of the `Ss`, `Bs`, `Ls` and `Ps` replies (as C's buffers: a reply of
/// eight characters or fewer tells nothing); `None` when `Ss` tells nothing.
pub fn status_words(replies: &[&str; 4]) -> Vec<&'static str> {
    let [ss, bs, ls, ps] = *replies;
    let mut w = Vec::new();
    let (mut rb, mut over) = (false, false);
    if ss.len() > 7 {
        if bit(ss, 6) {
            over = true;
            w.push("OVER");
        }
        w.push(if bit(ss, 5) { "OB" } else { "OL" });
        if bit(ss, 4) {
            w.push("LB");
        }
        if bit(ss, 3) {
            rb = true;
            w.push("RB");
        }
        if bit(ss, 1) {
            w.push("COMMFAULT");
        }
        if bit(ss, 0) {
            w.push("ALARM");
        }
    }
    if bs.len() > 7 {
        if !rb && (bit(bs, 7) || bit(bs, 3)) {
            w.push("RB");
        }
        if bit(bs, 1) {
            w.push("CHRG");
        }
        if bit(bs, 0) {
            w.push("DISCHRG");
        }
    }
    if ls.len() > 7 {
        if bit(ls, 4) {
            w.push("BOOST");
        }
        if !over && bit(ls, 3) {
            w.push("OVER");
        }
        if bit(ls, 2) {
            w.push("TRIM");
        }
    }
    if ls.len() > 15 && bit(ls, 16) {
        w.push("OB");
        w.push("LB");
    }
    if ps.len() > 7 {
        if bit(ps, 7) {
            w.push("BYPASS");
        }
        if bit(ps, 6) {
            w.push("BYPASS");
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identification() {
        assert_eq!(
            model_and_firmware("EXtreme 700C 16"),
            ("EXtreme 700C".to_owned(), Some("16".into()))
        );
        assert_eq!(
            model_and_firmware("COMET 7 12"),
            ("Comet 7.5".into(), Some("12".into()))
        );
        assert_eq!(
            model_and_firmware("COMET 7"),
            ("COMET".into(), Some("7".into()))
        );
        assert_eq!(model_and_firmware("20"), ("20".into(), None));
        assert_eq!(legacy_numbers("3000 51 0"), (3000, 51));
        assert_eq!(legacy_numbers("3000 51"), (3000, 0));
        assert_eq!(legacy_model(3000, 17).as_deref(), Some("Pulsar ESV8"));
        assert_eq!(table("0 2"), Some(2));
        assert_eq!(table("0 7"), None);
    }

    #[test]
    fn values_and_status() {
        assert_eq!(extract("500", &ITEMS[13], 1), "50.00");
        assert_eq!(extract("1480", &ITEMS[1], 1), "01480");
        assert_eq!(extract("30", &ITEMS[3], 0), "30");
        assert_eq!(extract("x", &ITEMS[0], 0), "000.0");
        let w = status_words(&["00010010", "01000000", "00001000 00000001", "00000011"]);
        assert_eq!(
            w,
            ["OVER", "OL", "RB", "CHRG", "BOOST", "OB", "LB", "BYPASS", "BYPASS"]
        );
        assert!(status_words(&["", "", "", ""]).is_empty());
    }
}
