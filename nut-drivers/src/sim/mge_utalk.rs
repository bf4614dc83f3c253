//! MGE UPS SYSTEMS' U-Talk, as C NUT's `mge-utalk` driver speaks it.
//!
//! A command ends with `\r\n` (a `\n` left before the next one is ignored), a reply with
//! `\r`; `?` answers what the unit does not know. `Z` and `Ax n` (communication on and
//! off) get no answer. `Si` answers the legacy numbers (`mge.si`, default `3000 51 0`),
//! `Si 1` the model and firmware (`mge.model`, default `EXTREME 1500 12`; `?` for a legacy
//! unit), `Ai` the multiplier table (`0 <mge.table>`, default 1: frequency in tenths).
//! `Ss`, `Bs`, `Ls`, `Ps` answer eight `0`/`1` characters (system: alarm, RB at 3, LB at 4,
//! OB at 5, overload at 6; battery: discharging at 0, charging at 1; load: TRIM at 2,
//! overload at 3, BOOST at 4; bypass: at 7). Values: `Bl` charge, `Bn` runtime (s), `Bv`
//! battery voltage, `St`, `Ll`, `Lv`, `Lc`, `Uv`, `Uf`; settings read with `<cmd> ?`
//! (`Bl`, `Bv`, `Sm`, `Sn`, `Bp`, `Ee`, `Eo`, `Ea`, `Eu`) and set with `<cmd> <value>`
//! (answered `OK`); commands `Bx 1`, `Sx 129`, `Sx 5`, `Sx 0`, `Wy 65535`, `Wx 0|1`,
//! `Px 2|3` are answered `OK`. Every command is logged in [`UpsModel::received`].
//!
//! ```
//! use nut_drivers::sim::mge_utalk::respond;
//! use nut_drivers::sim::UpsModel;
//!
//! let mut model = UpsModel::new();
//! assert_eq!(respond(&mut model, b"\nSs").unwrap(), b"00000000\r");
//! assert_eq!(respond(&mut model, b"Uf").unwrap(), b"500\r");
//! assert!(respond(&mut model, b"Z").is_none());
//! ```

use super::model::Avr;
use super::UpsModel;

fn setting(model: &UpsModel, key: &str) -> Option<String> {
    model.settings.get(&format!("mge.{key}")).cloned()
}

fn bits(set: &[usize]) -> String {
    (0..8)
        .map(|i| if set.contains(&i) { '1' } else { '0' })
        .collect()
}

fn number(x: f64) -> String {
    format!("{}", (x * 10.0).round() / 10.0)
}

/// The answer of the unit to one command (without its `\r\n`), `\r` included.
pub fn respond(model: &mut UpsModel, cmd: &[u8]) -> Option<Vec<u8>> {
    let cmd = String::from_utf8_lossy(cmd);
    let cmd = cmd.trim_start_matches('\n');
    if cmd.is_empty() {
        return None;
    }
    model.received.push(cmd.to_owned());
    let table: u32 = setting(model, "table")
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let on_battery = !model.mains && model.output_on;
    let answer = match cmd {
        "Z" | "Ax 0" | "Ax 1" => return None,
        "Si" => setting(model, "si").unwrap_or_else(|| "3000 51 0".into()),
        "Si 1" => setting(model, "model").unwrap_or_else(|| "EXTREME 1500 12".into()),
        "Ai" => format!("0 {table}"),
        "Ss" => {
            let mut set = Vec::new();
            if model.failed {
                set.push(3);
            }
            if model.battery_low() {
                set.push(4);
            }
            if on_battery {
                set.push(5);
            }
            if model.load > 100 {
                set.push(6);
            }
            bits(&set)
        }
        "Bs" => bits(if on_battery {
            &[0]
        } else if model.charge < 100.0 {
            &[1]
        } else {
            &[]
        }),
        "Ls" => bits(match model.avr() {
            Avr::Trim => &[2],
            Avr::Boost => &[4],
            Avr::Off => &[],
        }),
        "Ps" => bits(&[]),
        "Bl" => number(model.charge),
        "Bn" => format!("{}", model.runtime().round()),
        "Bv" => number(model.battery_voltage()),
        "St" => number(model.temperature),
        "Ll" => format!("{}", model.load),
        "Lv" => number(model.output_voltage()),
        "Lc" => number(f64::from(model.load) / 100.0 * f64::from(model.nominal_current)),
        "Uv" => number(model.input_voltage()),
        "Uf" => {
            let f = if model.mains { model.frequency } else { 0.0 };
            format!(
                "{}",
                (if table == 1 || table == 3 {
                    f * 10.0
                } else {
                    f
                })
                .round()
            )
        }
        "Bx 1" | "Sx 129" => {
            model.testing = true;
            "OK".into()
        }
        "Sx 5" => {
            model.shutdown_in = Some(5.0);
            model.restart_after = Some(0);
            "OK".into()
        }
        "Sx 0" => {
            model.shutdown_in = Some(0.0);
            "OK".into()
        }
        "Wy 65535" | "Px 2" | "Px 3" => "OK".into(),
        "Wx 0" | "Wx 1" => {
            model.output_on = cmd.ends_with('1');
            "OK".into()
        }
        _ => {
            let Some((key, arg)) = cmd.split_once(' ') else {
                return Some(b"?\r".to_vec());
            };
            let default = match key {
                "Bl" => number(model.low_charge),
                "Bv" => number(model.battery_nominal),
                "Sm" => "1".into(),
                "Sn" => "20".into(),
                "Bp" => "10080".into(),
                "Ee" => number(model.nominal_voltage * 0.8),
                "Eo" => number(model.nominal_voltage * 0.9),
                "Ea" => number(model.nominal_voltage * 1.1),
                "Eu" => number(model.nominal_voltage * 1.2),
                _ => return Some(b"?\r".to_vec()),
            };
            let name = format!("mge.{key}");
            if arg == "?" {
                model.settings.get(&name).cloned().unwrap_or(default)
            } else {
                model.settings.insert(name, arg.to_owned());
                "OK".into()
            }
        }
    };
    let mut out = answer.into_bytes();
    out.push(b'\r');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        let mut m = UpsModel::new();
        assert_eq!(respond(&mut m, b"Si 1").unwrap(), b"EXTREME 1500 12\r");
        assert_eq!(respond(&mut m, b"Bl ?").unwrap(), b"20\r");
        assert_eq!(respond(&mut m, b"Bl 40").unwrap(), b"OK\r");
        assert_eq!(respond(&mut m, b"Bl ?").unwrap(), b"40\r");
        assert_eq!(respond(&mut m, b"Xx").unwrap(), b"?\r");
        m.apply("mains-lost").unwrap();
        assert_eq!(respond(&mut m, b"Ss").unwrap(), b"00000100\r");
        assert_eq!(respond(&mut m, b"Bs").unwrap(), b"10000000\r");
        let p = crate::sim::Protocol::from_name("mge-utalk").unwrap();
        assert_eq!(p.respond(&mut m, b"\nUv").unwrap(), b"0\r");
        assert_eq!(m.received.last().unwrap(), "Uv");
    }
}
