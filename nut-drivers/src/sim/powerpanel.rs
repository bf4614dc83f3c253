//! CyberPower's serial protocols, text and binary, as C NUT's `powerpanel` driver speaks
//! them.
//!
//! Commands end with `\r` in both. A unit speaks one of the two, as the setting
//! `powerpanel.protocol` says (`binary`, the default, or `text`), and ignores what it does
//! not know.
//!
//! * Binary: `F` answers `.`, the model in 10 characters, `.`, the nominal input voltage
//!   and frequency as one byte each separated by `.`, `.`, four firmware digits, `\r`.
//!   `D` answers a 14-byte frame: `#`, input and output voltage, load, 0, charge,
//!   temperature, frequency, 0, the flags (0x80 on battery, 0x40 low battery, 0x04 test,
//!   0x01 beeper on, 0x02 output on: all 0 when off) and 255 minus them, 0 and 255, `\r`.
//!   On a PR unit the bytes are the values (the frequency as tenths above 45 Hz); on an
//!   OP unit (model `OP…` or `rO…`) they are what C's approximations map back to the
//!   values. `R<reg>` answers `R` and the register's byte; `Q<reg><byte>` sets it; other
//!   commands (`T\x98`, `CT`, `B`, `C`, `S\0\0W`, `S\0\0R\0\x01W`) are echoed.
//! * Text: `P4` answers `#`, the model (11 characters), firmware, serial number and
//!   manufacturer (14 characters) separated by commas; `P3` the battery (`#12.0,002,…`),
//!   `P2` the ratings, `P1` the nominal voltage, transfer points and low charge, `P6`,
//!   `P7`, `P8` the values these may be set to; `D` the status line in the layout
//!   `powerpanel.layout` names (`temperature`, the default, `runtime` or `long`), its
//!   flags 0x40 on battery, 0x20 low battery, 0x08 test, 0x01 otherwise (0 when off);
//!   commands (`T`, `TL`, `CT`, `C`, `C7:n`, `C2:`/`C3:`/`C4:` settings, `Z…`, `S…`) are
//!   answered `#0`.
//!
//! Other settings: `powerpanel.model`. Registers and text settings live in
//! [`UpsModel::settings`] as `powerpanel.reg.<n>` (decimal) and `powerpanel.p1`. Every
//! command is logged in [`UpsModel::received`]: text commands as they are, binary ones as
//! hexadecimal bytes.
//!
//! ```
//! use nut_drivers::sim::powerpanel::respond;
//! use nut_drivers::sim::UpsModel;
//!
//! let mut model = UpsModel::new();
//! assert_eq!(respond(&mut model, b"D").unwrap().len(), 14);
//! model.settings.insert("powerpanel.protocol".into(), "text".into());
//! assert!(respond(&mut model, b"D").unwrap().starts_with(b"#I230.0O230.0"));
//! ```

use super::liebert::hex;
use super::UpsModel;

fn setting<'a>(model: &'a UpsModel, key: &str, default: &'a str) -> &'a str {
    model
        .settings
        .get(&format!("powerpanel.{key}"))
        .map_or(default, String::as_str)
}

fn is_text(model: &UpsModel) -> bool {
    setting(model, "protocol", "binary").eq_ignore_ascii_case("text")
}

fn is_op(model: &UpsModel) -> bool {
    let m = setting(model, "model", "PR2200");
    m.starts_with("OP") || m.starts_with("rO")
}

fn byte(x: f64) -> u8 {
    x.round().clamp(0.0, 255.0) as u8
}

/// The answer of a unit to one command (without its `\r`).
pub fn respond(model: &mut UpsModel, cmd: &[u8]) -> Option<Vec<u8>> {
    if cmd.is_empty() {
        return None;
    }
    if is_text(model) {
        model
            .received
            .push(String::from_utf8_lossy(cmd).into_owned());
        text(model, &String::from_utf8_lossy(cmd))
    } else {
        model.received.push(hex(cmd));
        binary(model, cmd)
    }
}

fn register(model: &UpsModel, reg: u8) -> u8 {
    let default = if reg == 0x0f { 2 } else { 0 };
    model
        .settings
        .get(&format!("powerpanel.reg.{reg}"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn binary(model: &mut UpsModel, cmd: &[u8]) -> Option<Vec<u8>> {
    match cmd {
        b"F" => {
            let mut out = vec![b'.'];
            out.extend(format!("{:<10.10}", setting(model, "model", "PR2200")).bytes());
            out.extend([
                b'.',
                byte(model.nominal_voltage),
                b'.',
                byte(model.nominal_frequency),
                b'.',
            ]);
            out.extend(b"1100\r");
            Some(out)
        }
        b"D" => Some(frame(model)),
        [b'R', reg] => Some(vec![b'R', register(model, *reg)]),
        [b'Q', reg, value] => {
            model
                .settings
                .insert(format!("powerpanel.reg.{reg}"), value.to_string());
            Some(cmd.to_vec())
        }
        b"B" => {
            model.beeper = !model.beeper;
            Some(cmd.to_vec())
        }
        b"C" => {
            model.shutdown_in = None;
            Some(cmd.to_vec())
        }
        b"S\0\0W" => {
            model.shutdown_in = Some(0.0);
            model.restart_after = Some(0);
            Some(cmd.to_vec())
        }
        b"S\0\0R\0\x01W" => {
            model.shutdown_in = Some(0.0);
            model.restart_after = Some(1);
            Some(cmd.to_vec())
        }
        b"T\x98" | b"CT" => {
            model.testing = cmd[0] == b'T';
            Some(cmd.to_vec())
        }
        _ => None,
    }
}

/// The binary status frame the unit sends now.
pub fn frame(model: &UpsModel) -> Vec<u8> {
    let on_battery = !model.mains && model.output_on;
    let (vin, vout) = (model.input_voltage(), model.output_voltage());
    let load = f64::from(model.load);
    let freq = if model.mains { model.frequency } else { 0.0 };
    let [v_in, v_out, l, c, t, f] = if is_op(model) {
        let volt = |v: f64| {
            if v < 6.0 {
                0.0
            } else {
                (v - 6.0) * 230.0 / 200.0 + 0.5
            }
        };
        [
            volt(vin),
            volt(vout),
            load * 108.0 / 200.0 + 0.5,
            151.0 + model.charge * 46.0 / 100.0 + 0.5,
            (model.temperature - 10.0).max(0.0).sqrt() * 32.0,
            if freq > 0.0 {
                12600.0 / freq - 32.0
            } else {
                0.0
            },
        ]
    } else {
        [
            vin,
            vout,
            load,
            model.charge,
            model.temperature,
            if freq > 0.0 {
                (freq - 45.0) * 10.0
            } else {
                0.0
            },
        ]
    };
    let mut flags = 0u8;
    if model.output_on {
        flags |= 0x02;
        if on_battery {
            flags |= 0x80;
        }
        if model.battery_low() {
            flags |= 0x40;
        }
        if model.testing {
            flags |= 0x04;
        }
        if model.beeper {
            flags |= 0x01;
        }
    }
    vec![
        b'#',
        byte(v_in),
        byte(v_out),
        byte(l),
        0,
        byte(c),
        byte(t),
        byte(f),
        0,
        flags,
        255 - flags,
        0,
        255,
        b'\r',
    ]
}

fn p1(model: &UpsModel) -> Vec<i64> {
    let nominal = model.nominal_voltage.round() as i64;
    let default = if nominal < 180 {
        [nominal, 138, 88, 20]
    } else {
        [nominal, 270, 180, 20]
    };
    let mut v = default.to_vec();
    for (i, key) in [(1, "C2"), (2, "C3"), (3, "C4")] {
        if let Some(x) = model
            .settings
            .get(&format!("powerpanel.{key}"))
            .and_then(|x| x.parse().ok())
        {
            v[i] = x;
        }
    }
    v
}

fn list(values: &[i64], width: usize) -> Vec<u8> {
    let items: Vec<String> = values.iter().map(|v| format!("{v:0width$}")).collect();
    format!("#{}\r", items.join(",")).into_bytes()
}

fn text(model: &mut UpsModel, cmd: &str) -> Option<Vec<u8>> {
    let ok = Some(b"#0\r".to_vec());
    let low_line = model.nominal_voltage < 180.0;
    match cmd {
        "P4" => Some(
            format!(
                "#{:<11.11},1.600,000000000000,{:<14.14}\r",
                setting(model, "model", "1000VA"),
                "CYBER POWER"
            )
            .into_bytes(),
        ),
        "P3" => Some(
            format!(
                "#12.0,{:03},007.0,00\r",
                (model.battery_nominal / 12.0).round() as i64
            )
            .into_bytes(),
        ),
        "P2" => Some(
            format!(
                "#1000,0700,{:03},47,63\r",
                model.nominal_voltage.round() as i64
            )
            .into_bytes(),
        ),
        "P1" => Some(list(&p1(model), 3)),
        "P6" if low_line => Some(list(&[138, 141, 144, 147], 3)),
        "P6" => Some(list(&[264, 267, 270, 273], 3)),
        "P7" if low_line => Some(list(&[88, 91, 94, 97], 3)),
        "P7" => Some(list(&[170, 175, 180, 185], 3)),
        "P8" => Some(list(&[20, 25, 30, 35], 2)),
        "D" => Some(status_line(model)),
        "C" => {
            model.shutdown_in = None;
            model.restart_after = None;
            ok
        }
        "T" | "TL" => {
            model.testing = true;
            ok
        }
        "CT" => {
            model.testing = false;
            ok
        }
        "C7:0" | "C7:1" => {
            model.beeper = cmd.ends_with('1');
            ok
        }
        _ => {
            if let Some((key, value)) = cmd.split_once(':') {
                if matches!(key, "C2" | "C3" | "C4") {
                    model
                        .settings
                        .insert(format!("powerpanel.{key}"), value.to_owned());
                    return ok;
                }
                return None;
            }
            let delay = |s: &str| {
                let minutes = s.strip_prefix('.').map_or_else(
                    || s.parse::<f64>().ok(),
                    |t| t.parse::<f64>().ok().map(|x| x / 10.0),
                );
                minutes.map(|m| m * 60.0)
            };
            if let Some(rest) = cmd.strip_prefix('Z') {
                model.shutdown_in = Some(delay(rest)?);
                model.restart_after = Some(0);
                return ok;
            }
            if let Some(rest) = cmd.strip_prefix('S') {
                let (d, restart) = match rest.split_once('R') {
                    Some((d, r)) => (d, Some(r.parse().ok()?)),
                    None => (rest, None),
                };
                model.shutdown_in = Some(delay(d)?);
                model.restart_after = restart;
                return ok;
            }
            None
        }
    }
}

/// The text status line the unit sends now.
pub fn status_line(model: &UpsModel) -> Vec<u8> {
    let on_battery = !model.mains && model.output_on;
    let mut flags = 0u8;
    if model.output_on {
        flags = 0x01;
        if on_battery {
            flags |= 0x40;
        }
        if model.battery_low() {
            flags |= 0x20;
        }
        if model.testing {
            flags |= 0x08;
        }
    }
    let head = format!(
        "#I{:05.1}O{:05.1}L{:03}B{:03}",
        model.input_voltage(),
        model.output_voltage(),
        model.load.min(999),
        model.charge.round() as i64
    );
    let freq = if model.mains { model.frequency } else { 0.0 };
    let minutes = (model.runtime() / 60.0).round() as i64;
    let temp = model.temperature.round() as i64;
    let body = match setting(model, "layout", "temperature") {
        "runtime" => format!("{head}F{freq:05.1}R{minutes:04}S"),
        "long" => format!(
            "{head}V{:04.1}T{temp:03}F{freq:05.1}H{:05.1}R{minutes:04}C00Q0.0S",
            model.battery_voltage(),
            if model.output_on {
                model.frequency
            } else {
                0.0
            },
        ),
        _ => format!("{head}T{temp:03}F{freq:05.1}S"),
    };
    let mut out = body.into_bytes();
    out.extend([flags, 0x01, b'\r']);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_protocols() {
        let mut m = UpsModel::new();
        let f = respond(&mut m, b"F").unwrap();
        assert_eq!(f.len(), 21);
        assert_eq!(respond(&mut m, b"R\x0f").unwrap(), [b'R', 2]);
        assert_eq!(respond(&mut m, b"Q\x0f\x00").unwrap(), b"Q\x0f\x00");
        assert_eq!(respond(&mut m, b"R\x0f").unwrap(), [b'R', 0]);
        m.apply("mains-lost").unwrap();
        assert_eq!(frame(&m)[9] & 0x80, 0x80);
        m.settings
            .insert("powerpanel.protocol".into(), "text".into());
        for layout in ["temperature", "runtime", "long"] {
            m.settings.insert("powerpanel.layout".into(), layout.into());
            let len = status_line(&m).len();
            assert_eq!(
                len,
                [35, 36, 58][["temperature", "runtime", "long"]
                    .iter()
                    .position(|l| *l == layout)
                    .unwrap()]
            );
        }
        assert_eq!(respond(&mut m, b"P4").unwrap().len(), 47);
        assert_eq!(respond(&mut m, b"Z.5").unwrap(), b"#0\r");
        assert_eq!(m.shutdown_in, Some(30.0));
        assert_eq!(respond(&mut m, b"C2:264").unwrap(), b"#0\r");
        assert_eq!(respond(&mut m, b"P1").unwrap(), b"#230,264,180,020\r");
        assert!(respond(&mut m, b"F").is_none());
        assert_eq!(m.received.last().unwrap(), "F");
    }
}
