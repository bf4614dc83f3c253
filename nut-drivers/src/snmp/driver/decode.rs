//! Turning SNMP values into NUT's words and numbers the way C's `snmp-ups` does (its
//! `decode_str`, `nut_snmp_get_int` and the number formatting of `su_ups_get`), so that the
//! same agent gives the same variables.

use crate::printf::printf_number;
use crate::snmp::mib::{Hook, Lookup};
use crate::snmp::pdu::{Oid, Value};

/// The size of C's value buffer: strings are cut to one byte less.
pub(crate) const INFO_SIZE: usize = 128;

/// What a string-typed read of one OID gives, before any follow-up read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Text {
    /// The text.
    Done(String),
    /// The value is an OID: C reads that OID in turn (and falls back to its last arc).
    Follow(Oid),
}

/// Whether C's `isprint() || isspace()` holds in the C locale.
fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || (0x09..=0x0d).contains(&b)
}

/// net-snmp's hex rendering of a binary string into a buffer of `buf_len` bytes
/// (`snprint_hexstring`): `"%02X "` per byte, 16 bytes a line, a newline between lines; a
/// line that does not fit whole (with one byte to spare) ends the text, which keeps what was
/// written before it.
pub(crate) fn hex_string(bytes: &[u8], buf_len: usize) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    let mut chunks = bytes.chunks(16).peekable();
    while let Some(line) = chunks.next() {
        if out.len() + line.len() * 3 + 1 >= buf_len {
            break;
        }
        for b in line {
            out.push_str(&format!("{b:02X} "));
        }
        if chunks.peek().is_some() {
            out.push('\n');
        }
    }
    out
}

/// Cuts `s` to at most `max` bytes (C copies bytes; our strings are ASCII or hex here).
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// C's `decode_str` into a buffer of `buf_len` bytes, with the item's lookup applied to
/// numbers. `None` when C cannot decode the type or the lookup has no row for the number.
pub(crate) fn decode_text(
    value: &Value,
    lookup: Option<&[Lookup]>,
    buf_len: usize,
    temperature: &mut TemperatureUnit,
) -> Option<Text> {
    let max = buf_len.saturating_sub(1);
    match value {
        Value::OctetString(bytes) | Value::Opaque(bytes) => {
            if bytes.iter().all(|&b| printable(b)) {
                let s: String = bytes[..bytes.len().min(max)]
                    .iter()
                    .map(|&b| b as char)
                    .collect();
                Some(Text::Done(s))
            } else {
                Some(Text::Done(hex_string(bytes, buf_len)))
            }
        }
        Value::Integer(_) | Value::Counter32(_) | Value::Gauge32(_) => {
            let n = number(value)?;
            match lookup {
                Some(rows) => find_infoval(rows, n, temperature).map(|s| Text::Done(cut(s, max))),
                None => Some(Text::Done(cut(n.to_string(), max))),
            }
        }
        Value::TimeTicks(t) => Some(Text::Done(cut((i64::from(*t) / 100).to_string(), max))),
        Value::ObjectId(oid) => Some(Text::Follow(oid.clone())),
        _ => None,
    }
}

/// The number an INTEGER, Counter32 or Gauge32 holds.
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(n) => Some(*n),
        Value::Counter32(n) | Value::Gauge32(n) => Some(i64::from(*n)),
        _ => None,
    }
}

/// What a number-typed read of one OID gives (C's `nut_snmp_get_int`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Int {
    /// The number.
    Done(i64),
    /// The value is an OID: C reads that OID in turn (and falls back to its last arc).
    Follow(Oid),
}

/// C's `nut_snmp_get_int` on one value: strings through `strtol(…, 0)`, time ticks in seconds.
/// `None` for the types C refuses (IpAddress, Counter64, NULL, exceptions).
pub(crate) fn decode_int(value: &Value) -> Option<Int> {
    match value {
        Value::OctetString(bytes) | Value::Opaque(bytes) => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            Some(Int::Done(strtol0(&String::from_utf8_lossy(&bytes[..end]))))
        }
        Value::Integer(_) | Value::Counter32(_) | Value::Gauge32(_) => number(value).map(Int::Done),
        Value::TimeTicks(t) => Some(Int::Done(i64::from(*t) / 100)),
        Value::ObjectId(oid) => Some(Int::Follow(oid.clone())),
        _ => None,
    }
}

/// The last arc of an OID as C's fall-back reads it (`strtol` of the text after the last dot).
pub(crate) fn last_arc(oid: &Oid) -> i64 {
    oid.0.last().map_or(0, |&a| i64::from(a))
}

/// C's `strtol(s, NULL, 0)`: leading space, a sign, `0x` hex, leading `0` octal, else decimal;
/// stops at the first character that does not fit; saturates like a 64-bit `long`.
pub(crate) fn strtol0(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if (t.starts_with("0x") || t.starts_with("0X"))
        && t[2..].bytes().next().is_some_and(|b| b.is_ascii_hexdigit())
    {
        (16, &t[2..])
    } else if t.starts_with('0') {
        (8, t)
    } else {
        (10, t)
    };
    let mut n: i128 = 0;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => n = (n * i128::from(radix) + i128::from(d)).min(i128::from(i64::MAX) + 1),
            None => break,
        }
    }
    let n = if neg { -n } else { n };
    n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// C's `atof`: the longest leading decimal number, 0 when there is none.
pub(crate) fn strtod(s: &str) -> f64 {
    let t = s.trim_start();
    (1..=t.len())
        .rev()
        .filter(|&n| t.is_char_boundary(n))
        .find_map(|n| {
            t[..n]
                .parse::<f64>()
                .ok()
                .filter(|_| !t[..n].contains(['i', 'I', 'n', 'N']))
        })
        .unwrap_or(0.0)
}

/// The unit Eaton ePDUs report temperatures in, learnt from their unit OID (C keeps it in a
/// global).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TemperatureUnit {
    /// Not (yet) known: temperatures are not converted.
    #[default]
    Unknown,
    /// Tenths of Kelvin.
    Kelvin,
    /// Tenths of degrees Celsius.
    Celsius,
    /// Tenths of degrees Fahrenheit.
    Fahrenheit,
}

/// C's `su_find_infoval`: a hook in the first row replaces the table; otherwise the row whose
/// value matches.
pub(crate) fn find_infoval(rows: &[Lookup], n: i64, unit: &mut TemperatureUnit) -> Option<String> {
    if let Some(hook) = rows.first().and_then(|r| r.hook) {
        return number_hook(hook, n, unit);
    }
    rows.iter()
        .take_while(|r| r.text.is_some_and(|t| t != "NULL"))
        .find(|r| r.value == n)
        .and_then(|r| r.text.map(str::to_owned))
}

/// A hook applied to a number.
fn number_hook(hook: Hook, n: i64, unit: &mut TemperatureUnit) -> Option<String> {
    match hook {
        Hook::EatonTemperatureUnit => {
            *unit = match n {
                0 => TemperatureUnit::Kelvin,
                1 => TemperatureUnit::Celsius,
                2 => TemperatureUnit::Fahrenheit,
                _ => TemperatureUnit::Unknown,
            };
            Some("celsius".to_owned())
        }
        Hook::TemperatureRead => Some(match unit {
            // C computes in double and stores into a long: truncation toward zero.
            TemperatureUnit::Kelvin => (((n / 10) as f64 - 273.15) as i64).to_string(),
            TemperatureUnit::Celsius => (n / 10).to_string(),
            TemperatureUnit::Fahrenheit => (((n / 10) - 32) * 5 / 9).to_string(),
            TemperatureUnit::Unknown => String::new(),
        }),
        // A string hook called with a number: C would read the number's bytes as text; no
        // table of C 2.8.0 does that.
        Hook::UsDateToIso | Hook::MarlinDeviceCount => None,
    }
}

/// C's `su_find_strval`: only a hook in the first row changes a string.
pub(crate) fn find_strval(rows: Option<&[Lookup]>, s: &str) -> Option<String> {
    match rows.and_then(|r| r.first()).and_then(|r| r.hook) {
        Some(Hook::UsDateToIso) => Some(us_date_to_iso(s)),
        _ => None,
    }
}

/// C's `su_find_valinfo`: the device value for a NUT word, -1 when none.
pub(crate) fn find_valinfo(rows: &[Lookup], word: &str) -> i64 {
    rows.iter()
        .take_while(|r| r.text.is_some_and(|t| t != "NULL"))
        .find(|r| r.text == Some(word))
        .map_or(-1, |r| r.value)
}

/// Marlin's device count: the number of entries in a comma-separated list.
pub(crate) fn marlin_device_count(list: &str) -> i64 {
    let commas = list.bytes().filter(|&b| b == b',').count() as i64;
    commas + i64::from(!list.is_empty() && !list.ends_with(','))
}

/// C's US-date conversion: `strptime("%m/%d/%Y")` into a zeroed `struct tm`, then
/// `strftime("%F")`. What does not parse stays zero, as in C (`1900-01-00` for garbage).
pub(crate) fn us_date_to_iso(s: &str) -> String {
    let (mut mon, mut mday, mut year) = (0i64, 0i64, 1900i64);
    let mut rest = s;
    let field = |rest: &mut &str, max_digits: usize| -> Option<i64> {
        let t = rest.trim_start();
        let len = t
            .bytes()
            .take(max_digits)
            .take_while(u8::is_ascii_digit)
            .count();
        if len == 0 {
            return None;
        }
        let n = t[..len].parse().ok()?;
        *rest = &t[len..];
        Some(n)
    };
    let slash = |rest: &mut &str| -> bool {
        match rest.strip_prefix('/') {
            Some(r) => {
                *rest = r;
                true
            }
            None => false,
        }
    };
    'parse: {
        match field(&mut rest, 2) {
            Some(m) if (1..=12).contains(&m) => mon = m - 1,
            _ => break 'parse,
        }
        if !slash(&mut rest) {
            break 'parse;
        }
        match field(&mut rest, 2) {
            Some(d) if (1..=31).contains(&d) => mday = d,
            _ => break 'parse,
        }
        if !slash(&mut rest) {
            break 'parse;
        }
        if let Some(y) = field(&mut rest, 4) {
            year = y;
        }
    }
    format!("{year:04}-{:02}-{mday:02}", mon + 1)
}

/// C's number formatting in `su_ups_get`: the value times the multiplier, as an integer when
/// that loses nothing (compared in `float`), else with two decimals of the `float`.
pub(crate) fn scaled(value: i64, multiplier: f64) -> String {
    let d = value as f64 * multiplier;
    let as_int = d as i32;
    if ((as_int as f32) - (d as f32)).abs() <= f32::EPSILON {
        as_int.to_string()
    } else {
        printf_number("%.2f", f64::from(d as f32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_as_c_decodes_them() {
        let mut unit = TemperatureUnit::Unknown;
        let text = |v: Value| decode_text(&v, None, INFO_SIZE, &mut TemperatureUnit::Unknown);
        assert_eq!(
            text(Value::OctetString(b"Smart-UPS 750".to_vec())),
            Some(Text::Done("Smart-UPS 750".into()))
        );
        assert_eq!(
            text(Value::OctetString(vec![0x00, 0x1f, 0xab])),
            Some(Text::Done("00 1F AB ".into()))
        );
        let long = vec![b'x'; 200];
        assert_eq!(
            text(Value::OctetString(long)),
            Some(Text::Done("x".repeat(127)))
        );
        assert_eq!(
            text(Value::TimeTicks(12345)),
            Some(Text::Done("123".into()))
        );
        assert_eq!(text(Value::Gauge32(7)), Some(Text::Done("7".into())));
        assert_eq!(text(Value::IpAddress([1, 2, 3, 4])), None);
        assert_eq!(text(Value::NoSuchInstance), None);
        let rows = [
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
        ];
        assert_eq!(
            decode_text(&Value::Integer(3), Some(&rows), INFO_SIZE, &mut unit),
            Some(Text::Done("OB".into()))
        );
        assert_eq!(
            decode_text(&Value::Integer(9), Some(&rows), INFO_SIZE, &mut unit),
            None
        );
        assert_eq!(hex_string(&[0u8; 17], INFO_SIZE).matches('\n').count(), 1);
        // Two lines fit in C's 128 bytes, the third does not: the text keeps the newline.
        let long = hex_string(&[0u8; 64], INFO_SIZE);
        assert_eq!(long.len(), 98);
        assert!(long.ends_with("00 \n"));
    }

    #[test]
    fn numbers_as_c_reads_and_prints_them() {
        assert_eq!(strtol0("  42abc"), 42);
        assert_eq!(strtol0("0x1F"), 31);
        assert_eq!(strtol0("010"), 8);
        assert_eq!(strtol0("-7"), -7);
        assert_eq!(strtol0("junk"), 0);
        assert_eq!(
            decode_int(&Value::OctetString(b"230".to_vec())),
            Some(Int::Done(230))
        );
        assert_eq!(decode_int(&Value::Counter64(1)), None);
        assert_eq!(scaled(547, 0.1), "54.70");
        assert_eq!(scaled(1191, 0.1), "119.10");
        assert_eq!(scaled(100, 1.0), "100");
        assert_eq!(scaled(2300, 0.01), "23");
        assert_eq!(scaled(-5, 1.0), "-5");
    }

    #[test]
    fn hooks() {
        let mut unit = TemperatureUnit::Unknown;
        let unit_rows = [Lookup {
            value: 0,
            text: Some("dummy"),
            hook: Some(Hook::EatonTemperatureUnit),
        }];
        let read_rows = [Lookup {
            value: 0,
            text: Some("dummy"),
            hook: Some(Hook::TemperatureRead),
        }];
        assert_eq!(
            find_infoval(&read_rows, 250, &mut unit).as_deref(),
            Some("")
        );
        assert_eq!(
            find_infoval(&unit_rows, 2, &mut unit).as_deref(),
            Some("celsius")
        );
        assert_eq!(
            find_infoval(&read_rows, 770, &mut unit).as_deref(),
            Some("25")
        );
        find_infoval(&unit_rows, 0, &mut unit);
        assert_eq!(
            find_infoval(&read_rows, 2981, &mut unit).as_deref(),
            Some("24")
        );
        assert_eq!(us_date_to_iso("05/17/2019"), "2019-05-17");
        assert_eq!(us_date_to_iso("garbage"), "1900-01-00");
        assert_eq!(marlin_device_count("0,3,4,5"), 4);
        assert_eq!(marlin_device_count("0,"), 1);
        assert_eq!(marlin_device_count(""), 0);
        let rows = [Lookup {
            value: 1,
            text: Some("on"),
            hook: None,
        }];
        assert_eq!(find_valinfo(&rows, "on"), 1);
        assert_eq!(find_valinfo(&rows, "off"), -1);
    }
}
