//! The Voltronic-QS-Hex dialect (C's `nutdrv_qx_voltronic-qs-hex.c`,
//! "Voltronic-QS-Hex 0.10"): `M` answers the protocol (`P` or `T`), and `QS` answers a
//! binary line (`#` then space-separated groups of raw bytes; bytes that would disturb the
//! line are escaped after `(`). The line is first rewritten as hexadecimal text (the status
//! and rating bytes as eight binary digits), then values are computed from the numbers:
//! voltages `a × b / 51 / 256`, frequency `b / a`, battery voltage `a × b / 510`. Protocol
//! `T` devices also give nominal ratings and a quick battery test.

use super::dialect::{Claim, Dialect, Family};
use super::engine::Engine;
use super::item::{
    Item, Process, ReplyError, ABSENT, CMD, QUICK_POLL, RANGE, SETVAR, SKIP, STATIC,
};
use super::{blazer, item::printf_float};

/// The dialect.
pub const DIALECT: Dialect = Dialect {
    version: "Voltronic-QS-Hex 0.10",
    claim: Claim::ProtocolThenStatus,
    status: "QS\r",
    ratings: false,
    vendor: None,
    accepted: None,
    rejected: Some("N\r"),
    vendor_flags: false,
    family: Family::VoltronicQsHex,
};

const PROTOCOL: u8 = 1;
const VOLTAGE: u8 = 2;
const LOAD: u8 = 3;
const FREQUENCY: u8 = 4;
const BATTERY: u8 = 5;
const RATING: u8 = 6;

const ONDELAY_RANGE: &[&str] = &["60", "599940"];
const OFFDELAY_RANGE: &[&str] = &["12", "540"];

/// The protocol table (C's `voltronic_qs_hex_qx2nut`).
pub fn table() -> Vec<Item> {
    let qs = |var: &'static str, from: usize, to: usize, format: &'static str, code: u8| {
        Item::value(var, "QS\r", 47, b'#', from, to, format, 0).with(Process::Dialect(code))
    };
    let bit = |var: &'static str, col: usize, flags: u32, format: &'static str| {
        Item::value(var, "QS\r", 47, b'#', col, col, format, flags).with(Process::StatusBit)
    };
    let rating = |var: &'static str, from: usize, to: usize| {
        Item::value(var, "QS\r", 56, b'#', from, to, "%.1f", SKIP).with(Process::Dialect(RATING))
    };
    let mut t = vec![
        Item::value("ups.firmware.aux", "M\r", 2, 0, 0, 0, "PM-%s", STATIC)
            .with(Process::Dialect(PROTOCOL)),
        qs("input.voltage", 1, 7, "%.1f", VOLTAGE),
        qs("output.voltage", 9, 15, "%.1f", VOLTAGE),
        qs("ups.load", 17, 18, "%d", LOAD),
        qs("output.frequency", 20, 30, "%.1f", FREQUENCY),
        qs("battery.voltage", 32, 36, "%.2f", BATTERY),
        bit("ups.status", 38, QUICK_POLL, ""),
        bit("ups.status", 39, QUICK_POLL, ""),
        bit("ups.status", 40, QUICK_POLL, ""),
        bit("ups.alarm", 41, 0, ""),
        bit("ups.type", 42, STATIC, "%s"),
        bit("ups.status", 43, QUICK_POLL, ""),
        bit("ups.status", 44, QUICK_POLL, ""),
        bit("ups.beeper.status", 45, 0, "%s"),
        rating("output.frequency.nominal", 47, 47),
        rating("battery.voltage.nominal", 48, 49),
        rating("output.voltage.nominal", 52, 54),
    ];
    let megatec = blazer::commands();
    for name in [
        "beeper.toggle",
        "load.off",
        "load.on",
        "shutdown.return",
        "shutdown.stayoff",
        "shutdown.stop",
        "test.battery.start.quick",
    ] {
        if let Some(item) = megatec.iter().find(|i| i.var == name && i.has(CMD)) {
            let mut item = item.clone();
            if name == "test.battery.start.quick" {
                item.flags |= SKIP;
            }
            t.push(item);
        }
    }
    for item in megatec.iter().filter(|i| i.has(ABSENT | SETVAR | RANGE)) {
        let allowed = if item.var == "ups.delay.start" {
            ONDELAY_RANGE
        } else {
            OFFDELAY_RANGE
        };
        t.push(Item {
            allowed,
            ..item.clone()
        });
    }
    t
}

/// Rewrites a binary `QS` reply as text (C's `voltronic_qs_hex_preprocess_qs_answer`):
/// bytes as two hexadecimal digits, those of the 10th and 11th groups as eight binary
/// digits, escapes (`(` then 0..=4 for CR, XON, XOFF, LF, space) undone. Exactly 10 groups
/// (46 characters) or 11 (55) are accepted; an empty reply is left alone.
pub fn unhex(reply: Vec<u8>) -> Result<Vec<u8>, ReplyError> {
    if reply.is_empty() {
        return Ok(reply);
    }
    if reply[0] != b'#' {
        return Err(ReplyError::Leading(reply[0]));
    }
    let binary = |b: u8| format!("{b:08b}");
    let mut out = String::from("#");
    let mut group = 1;
    let mut i = 1;
    while i < reply.len() {
        let b = reply[i];
        let raw = |b: u8, group: usize| {
            if group == 10 || group == 11 {
                binary(b)
            } else {
                format!("{b:02x}")
            }
        };
        match b {
            b' ' => {
                out.push(' ');
                group += 1;
            }
            b'(' => {
                // Past the end, C reads the zeroed buffer: an escaped CR.
                let unescaped = match reply.get(i + 1).copied().unwrap_or(0) {
                    0 => Some(0x0D),
                    1 => Some(0x11),
                    2 => Some(0x13),
                    3 => Some(0x0A),
                    4 => Some(0x20),
                    _ => None,
                };
                match unescaped {
                    Some(u) => {
                        out.push_str(&format!("{u:02x}"));
                        i += 1;
                    }
                    None => out.push_str(&raw(b, group)),
                }
            }
            b'\r' => break,
            _ => out.push_str(&raw(b, group)),
        }
        i += 1;
    }
    let ok = match group {
        10 => out.len() == 46,
        11 => out.len() == 55,
        _ => false,
    };
    if !ok {
        return Err(ReplyError::Unexpected);
    }
    out.push('\r');
    Ok(out.into_bytes())
}

/// The reply preprocessing of the dialect: only `QS` is rewritten.
pub fn answer(item: &Item, reply: Vec<u8>) -> Result<Vec<u8>, ReplyError> {
    if item.command == "QS\r" {
        unhex(reply)
    } else {
        Ok(reply)
    }
}

/// C's `strtol(s, &end, 16)` on hexadecimal digits and spaces: the number and the rest.
fn strtol16(s: &str) -> (i64, &str) {
    let t = s.trim_start();
    let digits = t.bytes().take_while(u8::is_ascii_hexdigit).count();
    if digits == 0 {
        return (0, s);
    }
    let n = t[..digits].bytes().fold(0i64, |n, b| {
        n.saturating_mul(16)
            .saturating_add(i64::from((b as char).to_digit(16).unwrap_or(0)))
    });
    (n, &t[digits..])
}

fn hex_only(raw: &str, spaces: bool) -> Result<(), ReplyError> {
    if raw
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || (spaces && b == b' '))
    {
        Ok(())
    } else {
        Err(ReplyError::NotNumeric(raw.to_owned()))
    }
}

/// The dialect's value processing (C's `voltronic_qs_hex_*` preprocess functions).
pub fn value(engine: &mut Engine, idx: usize, code: u8, raw: &str) -> Result<String, ReplyError> {
    let format = engine.items[idx].format;
    let from = engine.items[idx].from;
    match code {
        PROTOCOL => {
            if !raw.eq_ignore_ascii_case("P") && !raw.eq_ignore_ascii_case("T") {
                return Err(ReplyError::Unexpected);
            }
            if raw.eq_ignore_ascii_case("T") {
                for (var, flags, noflags) in [
                    ("test.battery.start.quick", CMD, 0),
                    ("output.frequency.nominal", 0, 0),
                    ("battery.voltage.nominal", 0, 0),
                    ("output.voltage.nominal", 0, 0),
                ] {
                    let i = engine
                        .find(var, flags, noflags)
                        .ok_or(ReplyError::Unexpected)?;
                    engine.items[i].flags &= !SKIP;
                }
            }
            Ok(format!("PM-{raw}"))
        }
        VOLTAGE => {
            hex_only(raw, true)?;
            let (a, rest) = strtol16(raw);
            let (b, _) = strtol16(rest);
            let v = a.saturating_mul(b) / 51;
            Ok(printf_float(format, v as f64 / 256.0))
        }
        LOAD => {
            hex_only(raw, false)?;
            Ok(strtol16(raw).0.to_string())
        }
        FREQUENCY => {
            hex_only(raw, true)?;
            let (a, rest) = strtol16(raw);
            let (b, _) = strtol16(rest);
            // As in C: 0/0 is NaN (printed "-nan" on x86), x/0 infinite and capped.
            let f = if a == 0 && b == 0 {
                -f64::NAN
            } else {
                b as f64 / a as f64
            };
            Ok(printf_float(format, if f > 99.9 { 99.9 } else { f }))
        }
        BATTERY => {
            hex_only(raw, true)?;
            let (a, rest) = strtol16(raw);
            let (b, _) = strtol16(rest);
            Ok(printf_float(format, a.saturating_mul(b) as f64 / 510.0))
        }
        RATING => {
            if !raw.bytes().all(|b| b == b'0' || b == b'1') {
                return Err(ReplyError::BadStatusBit(raw.to_owned()));
            }
            let v = nut_driver_api::status::c_strtol(raw);
            let x = match (from, v) {
                (47, 0) => 50.0,
                (47, _) => 60.0,
                (48, 0) => 12.0,
                (48, 1) => 24.0,
                (48, 10) => 36.0,
                (48, _) => 48.0,
                (52, 0) => 110.0,
                (52, 1) => 120.0,
                (52, 10) => 220.0,
                (52, 11) => 230.0,
                (52, 100) => 240.0,
                _ => return Err(ReplyError::Unexpected),
            };
            Ok(printf_float(format, x))
        }
        _ => Err(ReplyError::Unexpected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_lines_become_text() {
        // C's own test reply.
        let r = b"#\x6C\x01 \x35 \x6C\x01 \x35 \x03 \x51\x9A \x28\x02\x12\xD0 \xE6 \x1E \x09\r";
        let text = String::from_utf8(unhex(r.to_vec()).unwrap()).unwrap();
        assert_eq!(text, "#6c01 35 6c01 35 03 519a 1312d0 e6 1e 00001001\r");
        let with_ratings =
            b"#\x6C\x01 \x35 \x6C\x01 \x35 \x03 \x51\x9A \x28\x02\x12\xD0 \xE6 \x1E \x09 \x16\r";
        let text = String::from_utf8(unhex(with_ratings.to_vec()).unwrap()).unwrap();
        assert_eq!(text.len(), 56);
        assert!(text.ends_with(" 00010110\r"));
        assert!(unhex(b"#\x01 \x02\r".to_vec()).is_err());
        assert!(unhex(b"(1\r".to_vec()).is_err());
        assert_eq!(unhex(Vec::new()).unwrap(), b"");
        // A lone escape at the end is an escaped CR.
        assert!(unhex(b"#(".to_vec()).is_err());
        assert_eq!(strtol16("6c01 35"), (0x6c01, " 35"));
        assert_eq!(strtol16(" zz"), (0, " zz"));
        assert_eq!(table().len(), 1 + 5 + 8 + 3 + 7 + 2);
    }
}
