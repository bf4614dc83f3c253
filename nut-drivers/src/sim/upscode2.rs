//! UPScode II (Fiskars, Powerware, Compaq, Exide NetUPS), as C NUT's `upscode2` driver
//! speaks it.
//!
//! A command is a line ending in `\r` (a `\n` before or after it is ignored); some take a
//! parameter on the next line. Every answer line ends in `\r\n`. `UPCL` lists the
//! commands the unit knows, `UPCL` last; `UPTP` answers `NNAME` and the model
//! (`upscode2.model`, default `UPS 1500 VA FW -0026`), `UPSN <p>` `ACSN` and the serial
//! number (`upscode2.serial`), `UPID` `ACID` and a name (`upscode2.id`). `UPDS` answers
//! code and value lines (status `STAT`, `STBO`, `STBL`, `STLR`, `STUF`, then the measures,
//! `MOFFF` last), `UPDV` the nominal values (`NOFLL` last), `UPBS` eight battery strings
//! (`BDAT8` last). `UPSD <s>` and `UPCD <s>` set the shutdown and restart delays and
//! answer `ACSD`/`ACCD` and the delay; `UPPF`, `UPPC` (shutdown and restart), `UPPD`
//! (shutdown, stay off), `UPPU` (cancel), `UPBT`, `UPIS` (tests) get no answer. `UPPM 0`
//! lists two parameters, `UPPM P<nn>` answers one; `UPDT 0` and `UPTM 0` a fixed date and
//! time.
//!
//! Settings (`upscode2.` and): `phases` (`3` for a three-phase unit), `full` (`1`: the
//! unit also knows `UPBS`, `UPID`, `UPDT`, `UPTM`, `UPPM`, `UPDA`), `commands` (the
//! `UPCL` list, comma-separated, instead of the default one), `add` and `omit` (codes to
//! add to or leave out of the `UPDS` and `UPDV` answers, such as `MBCH1`, `MBIII`, `NBILL`,
//! `NBTHH`), a code itself (`NBAHN=17.00`: its value), `va` (the rating, default 1500),
//! `silent` (`1`: answers nothing). Every line received is logged in
//! [`UpsModel::received`].
//!
//! ```
//! use nut_drivers::sim::upscode2::respond;
//! use nut_drivers::sim::UpsModel;
//!
//! let mut model = UpsModel::new();
//! assert_eq!(respond(&mut model, b"UPTP").unwrap(), b"NNAME\r\nUPS 1500 VA FW -0026\r\n");
//! assert!(respond(&mut model, b"UPSD").is_none());
//! assert_eq!(respond(&mut model, b"30").unwrap(), b"ACSD\r\n030\r\n");
//! ```

use super::model::Avr;
use super::UpsModel;

fn setting(model: &UpsModel, key: &str) -> Option<String> {
    model.settings.get(&format!("upscode2.{key}")).cloned()
}

fn list(model: &UpsModel, key: &str) -> Vec<String> {
    setting(model, key)
        .map(|s| {
            s.split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The commands that take a parameter line.
const WITH_PARAMETER: [&str; 10] = [
    "UPSN", "UPPM", "UPCD", "UPSD", "UPDT", "UPTM", "UPBT", "UPPF", "UPPD", "UPPC",
];

const BASIC: [&str; 12] = [
    "UPDS", "UPDV", "UPTP", "UPSN", "UPCD", "UPSD", "UPPF", "UPPD", "UPPU", "UPPC", "UPBT", "UPIS",
];

const FULL: [&str; 6] = ["UPBS", "UPID", "UPDT", "UPTM", "UPPM", "UPDA"];

fn n(x: f64) -> String {
    format!("{x:.2}")
}

fn delay(model: &UpsModel, key: &str, default: u32) -> u32 {
    setting(model, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The code and value pairs of the `UPDS` answer.
fn measures(model: &UpsModel) -> Vec<(String, String)> {
    let on_battery = !model.mains && model.output_on;
    let three = setting(model, "phases").as_deref() == Some("3");
    let va = setting(model, "va")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(1500.0);
    let load = f64::from(model.load) / 100.0;
    let phases = if three { 3.0 } else { 1.0 };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |c: &str, v: String| out.push((c.to_owned(), v));
    let mut alarms = Vec::new();
    if model.failed {
        alarms.push("BY");
    }
    if model.load > 100 {
        alarms.push("OL");
    }
    if !model.output_on {
        alarms.push("OD");
    }
    if alarms.is_empty() {
        alarms.push("00");
    }
    for a in alarms {
        push("STAT", a.into());
    }
    let flag = |b: bool| if b { "11" } else { "00" }.to_owned();
    push("STBO", flag(on_battery));
    push("STBL", flag(model.battery_low()));
    push("STUF", flag(!model.mains));
    push(
        "STLR",
        match model.avr() {
            Avr::Boost => "SU",
            Avr::Trim => "SD",
            Avr::Off => "NO",
        }
        .into(),
    );
    push("BTIME", format!("{}", (model.runtime() / 60.0).round()));
    push("MIFFF", n(if model.mains { model.frequency } else { 0.0 }));
    let vin = model.input_voltage();
    let vout = model.output_voltage();
    let current = load * va / model.nominal_voltage / phases;
    for p in 1..=(phases as u32) {
        push(&format!("MIUL{p}"), n(vin));
        push(&format!("MOUL{p}"), n(vout));
        push(&format!("MOIL{p}"), n(current));
        push(&format!("MOSL{p}"), n(load * va / 1000.0 / phases));
        push(&format!("MOPL{p}"), n(load * va * 0.7 / 1000.0 / phases));
    }
    if three {
        let root3 = 3f64.sqrt();
        for c in ["12", "23", "31"] {
            push(&format!("MIU{c}"), n(vin * root3));
            push(&format!("MOU{c}"), n(vout * root3));
        }
    }
    push("MBCH1", n(model.charge));
    push(
        "MBIII",
        n(if on_battery {
            -load * va / model.battery_nominal
        } else if model.charge < 100.0 {
            0.5
        } else {
            0.0
        }),
    );
    push("MBUUU", n(model.battery_voltage()));
    push("MUTE1", n(model.temperature));
    push(
        "MOFFF",
        n(if model.output_on {
            model.nominal_frequency
        } else {
            0.0
        }),
    );
    out
}

/// The code and value pairs of the `UPDV` answer.
fn nominal(model: &UpsModel) -> Vec<(String, String)> {
    let va = setting(model, "va")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(1500.0);
    let v = model.nominal_voltage;
    let b = model.battery_nominal;
    let f = model.nominal_frequency;
    let current = va / v;
    let runtime_max = 100.0 / model.drain_per_sec / 60.0;
    [
        ("NIUHH", n(v * 1.2)),
        ("NIULL", n(v * 0.7)),
        ("NIUNN", n(v)),
        ("NBAHN", n(7.2)),
        ("NBILL", n(-(va * 0.7) / b)),
        ("NBTHH", n(runtime_max.round())),
        ("NBUHH", n(130.0 * b / 120.0)),
        ("NBULL", n(104.0 * b / 120.0)),
        ("NBUNN", n(b)),
        ("NOFHH", n(f + 3.0)),
        ("NOIHH", n(current * 1.1)),
        ("NOINN", n(current)),
        ("NOPNN", n(va * 0.7 / 1000.0)),
        ("NOSNN", n(va / 1000.0)),
        ("NOUHH", n(v * 1.06)),
        ("NOULL", n(v * 0.9)),
        ("NOUNN", n(v)),
        ("NOFLL", n(f - 3.0)),
    ]
    .into_iter()
    .map(|(c, v)| (c.to_owned(), v))
    .collect()
}

/// The codes left out of `UPDS` and `UPDV` unless asked for.
const OPTIONAL: [&str; 4] = ["MBCH1", "MBIII", "NBILL", "NBTHH"];

fn pairs(model: &UpsModel, mut all: Vec<(String, String)>) -> Vec<u8> {
    let add = list(model, "add");
    let omit = list(model, "omit");
    all.retain(|(c, _)| !omit.contains(c) && (!OPTIONAL.contains(&c.as_str()) || add.contains(c)));
    let mut out = Vec::new();
    for (code, value) in all {
        let value = setting(model, &code).unwrap_or(value);
        out.extend_from_slice(format!("{code}\r\n{value}\r\n").as_bytes());
    }
    out
}

fn lines(items: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in items {
        out.extend_from_slice(l.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The answer of the unit to one line (without its `\r`), if any.
pub fn respond(model: &mut UpsModel, line: &[u8]) -> Option<Vec<u8>> {
    let line = String::from_utf8_lossy(line);
    let line = line.trim_matches('\n');
    if line.is_empty() {
        return None;
    }
    model.received.push(line.to_owned());
    if setting(model, "silent").as_deref() == Some("1") {
        return None;
    }
    if let Some(cmd) = model.settings.remove("upscode2.await") {
        return parameter(model, &cmd, line);
    }
    if WITH_PARAMETER.contains(&line) {
        model
            .settings
            .insert("upscode2.await".into(), line.to_owned());
        return None;
    }
    let full = setting(model, "full").as_deref() == Some("1");
    let answer = match line {
        "UPCL" => {
            let mut cmds = list(model, "commands");
            if cmds.is_empty() {
                cmds = BASIC.iter().map(|c| (*c).to_owned()).collect();
                if full {
                    cmds.extend(FULL.iter().map(|c| (*c).to_owned()));
                }
            }
            cmds.push("UPCL".into());
            let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
            lines(&refs)
        }
        "UPTP" => {
            let m = setting(model, "model").unwrap_or_else(|| "UPS 1500 VA FW -0026".into());
            lines(&["NNAME", &m])
        }
        "UPID" => {
            let id = setting(model, "id").unwrap_or_else(|| "NUT-RS SIM".into());
            lines(&["ACID", &id])
        }
        "UPDS" => {
            let all = measures(model);
            pairs(model, all)
        }
        "UPDV" => {
            let all = nominal(model);
            pairs(model, all)
        }
        "UPBS" => {
            let mut out = Vec::new();
            for i in 1..=8 {
                let t = model.temperature - 5.0 + f64::from(i) / 10.0;
                out.extend(lines(&[
                    &format!("MBTE{i}"),
                    &n(t),
                    &format!("MBIN{i}"),
                    "1",
                    &format!("BDAT{i}"),
                    &format!("2024-0{}-01", 1 + i % 9),
                ]));
            }
            out
        }
        "UPPU" => {
            model.shutdown_in = None;
            return None;
        }
        "UPIS" => {
            model.testing = true;
            return None;
        }
        _ => return None,
    };
    Some(answer)
}

fn parameter(model: &mut UpsModel, cmd: &str, p: &str) -> Option<Vec<u8>> {
    let number = p.parse::<u32>().ok();
    Some(match cmd {
        "UPSN" => {
            let s = setting(model, "serial").unwrap_or_else(|| "SIM0001".into());
            lines(&["ACSN", &s])
        }
        "UPSD" | "UPCD" => {
            let (key, code, default) = if cmd == "UPSD" {
                ("delay.shutdown", "ACSD", 20)
            } else {
                ("delay.reboot", "ACCD", 60)
            };
            if let Some(v) = number {
                model
                    .settings
                    .insert(format!("upscode2.{key}"), v.to_string());
            }
            let v = delay(model, key, default);
            lines(&[code, &format!("{v:03}")])
        }
        "UPPM" if p == "0" => lines(&["ACPM", "P01", "P05"]),
        "UPPM" => lines(&["ACPM", &format!("{}0", p.trim_start_matches('P'))]),
        "UPDT" => lines(&["ACDT", "2026-12-05"]),
        "UPTM" => lines(&["ACTM", "06:30:00"]),
        "UPBT" => {
            model.testing = true;
            return None;
        }
        "UPPF" | "UPPC" | "UPPD" => {
            model.shutdown_in = Some(f64::from(delay(model, "delay.shutdown", 20)));
            model.restart_after = (cmd != "UPPD").then_some(0);
            return None;
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: Option<Vec<u8>>) -> String {
        String::from_utf8(b.unwrap_or_default()).unwrap()
    }

    #[test]
    fn answers() {
        let mut m = UpsModel::new();
        let cl = text(respond(&mut m, b"UPCL"));
        assert!(
            cl.starts_with("UPDS\r\n") && cl.ends_with("UPCL\r\n"),
            "{cl}"
        );
        let ds = text(respond(&mut m, b"UPDS"));
        assert!(ds.starts_with("STAT\r\n00\r\nSTBO\r\n00\r\n"), "{ds}");
        assert!(ds.ends_with("MOFFF\r\n50.00\r\n"), "{ds}");
        assert!(!ds.contains("MBCH1"));
        let dv = text(respond(&mut m, b"UPDV"));
        assert!(dv.ends_with("NOFLL\r\n47.00\r\n"), "{dv}");
        m.apply("mains-lost").unwrap();
        let ds = text(respond(&mut m, b"\nUPDS"));
        assert!(ds.contains("STBO\r\n11\r\n"), "{ds}");
        assert!(respond(&mut m, b"UPPD").is_none());
        assert!(respond(&mut m, b"LGGNLMDPGV").is_none());
        assert_eq!(m.shutdown_in, Some(20.0));
        assert_eq!(text(respond(&mut m, b"UPSN")), "");
        assert_eq!(text(respond(&mut m, b"0")), "ACSN\r\nSIM0001\r\n");
        assert_eq!(m.received.last().unwrap(), "0");
        let p = crate::sim::Protocol::from_name("upscode2").unwrap();
        m.settings.insert("upscode2.omit".into(), "MOFFF".into());
        assert!(!text(p.respond(&mut m, b"UPDS")).contains("MOFFF"));
    }
}
