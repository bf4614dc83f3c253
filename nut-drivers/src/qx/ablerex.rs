//! The Ablerex dialect (C's `nutdrv_qx_ablerex.c`, "Ablerex 0.01"): Megatec's `Q1`, `F`
//! (read as output ratings, in quick polls too) and `I`, plus binary replies: `Q5` (output
//! frequency and current, fault code, battery voltages), `At` (runtime) and `TR` (test
//! result). The battery voltage is scaled by the nominal one, the charge looked up in
//! tables; the bypass/boost/buck and failure bits set status words directly (before
//! `OL`/`OB`, as C's subdriver does). Probed after megatec, which claims the same devices:
//! in practice it is chosen with `protocol=ablerex`.

use nut_driver_api::DeviceState;

use super::blazer;
use super::dialect::{Claim, Dialect, Family};
use super::engine::Engine;
use super::item::{c_strtod, printf_float, Item, Process, ReplyError, QUICK_POLL, STATIC, TRIM};

/// The dialect.
pub const DIALECT: Dialect = Dialect {
    version: "Ablerex 0.01",
    claim: Claim::StatusAndVendor,
    status: "Q1\r",
    ratings: true,
    vendor: Some("I\r"),
    accepted: Some("ACK"),
    rejected: None,
    vendor_flags: true,
    family: Family::Ablerex,
};

const BATTERY: u8 = 1;
const CHARGE: u8 = 2;
const BITS: u8 = 3;
const LIMITS: u8 = 4;
const Q5: u8 = 5;
const RUNTIME: u8 = 6;
const TEST: u8 = 7;

const Q5_VB: &str = "ablerex.q5_vb";
const Q5_VBC: &str = "ablerex.q5_vbc";

/// The protocol table (C's `ablerex_qx2nut`).
pub fn table() -> Vec<Item> {
    let q = |var: &'static str, from: usize, to: usize, format: &'static str, flags: u32| {
        Item::value(var, "Q1\r", 47, b'(', from, to, format, flags)
    };
    let bit = |var: &'static str, col: usize, flags: u32, format: &'static str| {
        q(var, col, col, format, flags).with(Process::StatusBit)
    };
    let f = |var: &'static str, from: usize, to: usize| {
        Item::value(var, "F\r", 22, b'#', from, to, "%.2f", QUICK_POLL)
    };
    let mut t = vec![
        q("input.voltage", 1, 5, "%.1f", 0),
        q("input.voltage.fault", 7, 11, "%.1f", 0),
        q("output.voltage", 13, 17, "%.1f", 0),
        q("ups.load", 19, 21, "%.0f", 0),
        q("input.frequency", 23, 26, "%.1f", 0),
        q("battery.voltage", 28, 31, "%.2f", 0).with(Process::Dialect(BATTERY)),
        q("battery.charge", 28, 31, "%.2f", 0).with(Process::Dialect(CHARGE)),
        q("ups.temperature", 33, 36, "%.1f", 0),
        bit("ups.status", 38, QUICK_POLL, ""),
        bit("ups.status", 39, QUICK_POLL, ""),
        q("ups.status", 40, 42, "", QUICK_POLL).with(Process::Dialect(BITS)),
        q("ups.status", 41, 41, "", QUICK_POLL).with(Process::Dialect(BITS)),
        bit("ups.alarm", 41, 0, ""),
        bit("ups.type", 42, STATIC, "%s"),
        bit("ups.status", 43, QUICK_POLL, ""),
        bit("ups.status", 44, QUICK_POLL, ""),
        bit("ups.beeper.status", 45, 0, "%s"),
        Item {
            format: "%.1f",
            ..f("output.voltage.nominal", 1, 5)
        },
        Item {
            format: "%.1f",
            ..f("output.current.nominal", 7, 9)
        },
        Item {
            format: "%.1f",
            ..f("battery.voltage.nominal", 11, 15)
        },
        Item {
            format: "%.1f",
            ..f("output.frequency.nominal", 17, 20)
        },
        f("battery.voltage.low", 1, 2).with(Process::Dialect(LIMITS)),
        f("battery.voltage.high", 2, 3).with(Process::Dialect(LIMITS)),
        Item::value("output.frequency", "Q5\r", 22, b'(', 1, 18, "%.1f", 0)
            .with(Process::Dialect(Q5)),
        Item::value("battery.runtime", "At\r", 0, b'(', 0, 0, "%d", 0)
            .with(Process::Dialect(RUNTIME)),
        Item::value("ups.test.result", "TR\r", 0, b'#', 0, 0, "%s", 0).with(Process::Dialect(TEST)),
        Item::value("device.mfr", "I\r", 39, b'#', 1, 15, "%s", STATIC | TRIM),
        Item::value("device.model", "I\r", 39, b'#', 17, 26, "%s", STATIC | TRIM),
        Item::value("ups.firmware", "I\r", 39, b'#', 28, 37, "%s", STATIC | TRIM),
    ];
    for item in blazer::commands() {
        if item.var == "load.off" {
            t.push(Item {
                command: "S.2\r",
                ..item
            });
        } else {
            t.push(item);
        }
    }
    t
}

/// The charge for a battery voltage: per cell (below 3 V) on line, per 12 V block
/// otherwise (C's `ablerex_battery_charge`).
pub fn charge(volts: f64) -> i64 {
    const ONLINE: [(f64, i64); 55] = [
        (2.22, 100),
        (2.21, 90),
        (2.20, 88),
        (2.19, 87),
        (2.18, 85),
        (2.17, 83),
        (2.16, 82),
        (2.15, 80),
        (2.14, 78),
        (2.13, 77),
        (2.12, 75),
        (2.11, 73),
        (2.10, 72),
        (2.09, 70),
        (2.08, 68),
        (2.07, 65),
        (2.06, 65),
        (2.05, 62),
        (2.04, 62),
        (2.03, 58),
        (2.02, 58),
        (2.01, 55),
        (2.00, 55),
        (1.99, 53),
        (1.98, 52),
        (1.97, 50),
        (1.96, 48),
        (1.95, 47),
        (1.94, 45),
        (1.93, 43),
        (1.92, 42),
        (1.91, 40),
        (1.90, 38),
        (1.89, 37),
        (1.88, 35),
        (1.87, 33),
        (1.86, 32),
        (1.85, 30),
        (1.84, 28),
        (1.83, 27),
        (1.82, 25),
        (1.81, 23),
        (1.80, 22),
        (1.79, 20),
        (1.78, 18),
        (1.77, 17),
        (1.76, 15),
        (1.75, 13),
        (1.74, 12),
        (1.73, 10),
        (1.72, 8),
        (1.71, 7),
        (1.70, 5),
        (1.69, 3),
        (1.68, 2),
    ];
    const OFFLINE: [(f64, i64); 34] = [
        (13.5, 100),
        (13.3, 90),
        (13.2, 88),
        (13.1, 86),
        (13.0, 83),
        (12.9, 80),
        (12.8, 77),
        (12.7, 74),
        (12.6, 72),
        (12.5, 69),
        (12.4, 66),
        (12.3, 63),
        (12.2, 61),
        (12.1, 58),
        (12.0, 55),
        (11.9, 52),
        (11.8, 49),
        (11.7, 47),
        (11.6, 44),
        (11.5, 41),
        (11.4, 38),
        (11.3, 36),
        (11.2, 33),
        (11.1, 30),
        (11.0, 27),
        (10.9, 24),
        (10.8, 22),
        (10.7, 19),
        (10.6, 16),
        (10.5, 13),
        (10.4, 11),
        (10.3, 8),
        (10.2, 5),
        (10.1, 2),
    ];
    let table: &[(f64, i64)] = if volts < 3.0 { &ONLINE } else { &OFFLINE };
    table
        .iter()
        .find(|&&(v, _)| volts >= v)
        .map_or(0, |&(_, c)| c)
}

fn word(b: &[u8], i: usize) -> i64 {
    i64::from(b.get(i).copied().unwrap_or(0)) * 256 + i64::from(b.get(i + 1).copied().unwrap_or(0))
}

fn memo(engine: &Engine, key: &str) -> i64 {
    engine
        .private
        .get(key)
        .map_or(-1, |v| nut_driver_api::status::c_strtol(v))
}

/// The dialect's value processing (C's `ablerex_*` preprocess functions).
pub fn value(
    engine: &mut Engine,
    idx: usize,
    code: u8,
    raw: &str,
    state: &mut DeviceState,
) -> Result<String, ReplyError> {
    let from = engine.items[idx].from;
    let nominal = state.value("battery.voltage.nominal").map(c_strtod);
    match code {
        BATTERY => {
            let v = c_strtod(raw);
            let Some(nom) = nominal else {
                return Ok(printf_float("%.2f", v));
            };
            let vb = memo(engine, Q5_VB);
            let actual = if vb > 0 {
                vb as f64 * nom / 1200.0
            } else if v > 3.0 {
                v
            } else {
                v * 6.0 * nom / 12.0
            };
            Ok(printf_float("%.2f", actual))
        }
        CHARGE => {
            let mut v = c_strtod(raw);
            let Some(nom) = nominal else {
                return Ok("100".into());
            };
            if v > 3.0 {
                v /= nom / 12.0;
            }
            Ok(charge(v).to_string())
        }
        BITS => {
            let b = raw.as_bytes();
            match from {
                40 => {
                    if b.first() == Some(&b'1') {
                        let vi = state.value("input.voltage").map_or(0.0, c_strtod);
                        let vo = state.value("output.voltage").map_or(0.0, c_strtod);
                        let w = if b.get(2) == Some(&b'1') {
                            if vo < 0.5 * vi {
                                return Err(ReplyError::BadStatusBit(raw.to_owned()));
                            } else if vo < 0.95 * vi {
                                "TRIM"
                            } else if vo < 1.05 * vi {
                                "BYPASS"
                            } else if vo < 1.5 * vi {
                                "BOOST"
                            } else {
                                return Err(ReplyError::BadStatusBit(raw.to_owned()));
                            }
                        } else {
                            "BYPASS"
                        };
                        engine.direct_status.push(w);
                    }
                }
                41 => {
                    if b.first() == Some(&b'1') {
                        engine.direct_status.push("RB");
                    }
                    if state.value("output.voltage").map_or(0.0, c_strtod) < 50.0 {
                        engine.direct_status.push("OFF");
                    }
                }
                _ => return Err(ReplyError::Unexpected),
            }
            Ok(String::new())
        }
        LIMITS => {
            let nom = nominal.unwrap_or(0.0);
            let vbc = memo(engine, Q5_VBC);
            let low = if vbc > 0 {
                vbc as f64 * nom / 1200.0
            } else {
                960.0 * nom / 1200.0
            };
            let v = match from {
                1 => low,
                2 => 1365.0 * nom / 1200.0,
                _ => return Err(ReplyError::Unexpected),
            };
            Ok(printf_float("%.2f", v))
        }
        Q5 => {
            let a = &engine.answer;
            let fout = word(a, 1);
            let vb = word(a, 7);
            let vbc = word(a, 9);
            let err = word(a, 13);
            let current = word(a, 15);
            engine.private.insert(Q5_VB.into(), vb.to_string());
            engine.private.insert(Q5_VBC.into(), vbc.to_string());
            let freq = printf_float("%.1f", 0.1 * fout as f64);
            let _ = state.set("output.frequency", &freq);
            let _ = state.set("ups.alarm", &err.to_string());
            let _ = state.set(
                "output.current",
                &printf_float("%.1f", 0.1 * current as f64),
            );
            Ok(freq)
        }
        RUNTIME => {
            let a = &engine.answer;
            let b = |i: usize| i32::from(a.get(i).copied().unwrap_or(0));
            let v = b(1)
                .wrapping_mul(65536 * 256)
                .wrapping_add(b(2) * 65536)
                .wrapping_add(b(3) * 256)
                .wrapping_add(b(4));
            Ok(v.to_string())
        }
        TEST => {
            let a = engine
                .answer
                .get(1..5.min(engine.answer.len()))
                .unwrap_or_default();
            let text = a.split(|&c| c == 0).next().unwrap_or_default();
            Ok(String::from_utf8_lossy(text).into_owned())
        }
        _ => Err(ReplyError::Unexpected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_tables() {
        assert_eq!(charge(2.30), 100);
        assert_eq!(charge(2.005), 55);
        assert_eq!(charge(1.0), 0);
        assert_eq!(charge(13.0), 83);
        assert_eq!(charge(9.0), 0);
        assert_eq!(table().len(), 29 + 12);
    }
}
