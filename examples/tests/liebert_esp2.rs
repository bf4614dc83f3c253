//! Differential tests of the Liebert ESP-II driver: C NUT 2.8.0's `liebert-esp2`
//! (`/lib/nut/…`) and ours are pointed in turn at the same simulated device (a
//! pseudo-terminal served by `nut_drivers::sim` speaking ESP-II) through a power-failure
//! script, and must dump (`-d 1`) the same variables with the same values; the same for a
//! three-phase unit of the other model family. The driver has no instant commands and no
//! writable variables; the bytes of a `-k` shutdown are compared (C stops after the first
//! command, a bug: see the README's differences), as is the refusal of a bad `baudrate`.
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

use std::path::Path;

use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

const C_DRV: &str = "/lib/nut/liebert-esp2";
const OURS: &str = env!("CARGO_BIN_EXE_liebert-esp2");

mod support;

use support::driver::{command, dump, finish};
use support::power_failure::{apply_step, POWER_FAILURE};

fn have() -> bool {
    support::have(&[C_DRV])
}

fn sim(settings: &[(&str, &str)]) -> (tempfile::TempDir, SharedModel, PtyServer) {
    support::driver::sim(Protocol::LiebertEsp2, "", settings)
}

fn status(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("ups.status: "))
        .unwrap_or_default()
        .to_owned()
}

/// Both drivers through the power failure; returns the statuses seen.
fn power_failure(settings: &[(&str, &str)], extra: &[&str]) -> Vec<String> {
    let (dir, model, server) = sim(settings);
    let mut seen = Vec::new();
    for (i, (name, _)) in POWER_FAILURE.iter().enumerate() {
        apply_step(&model, i);
        let c = dump(C_DRV, dir.path(), server.path(), extra);
        let ours = dump(OURS, dir.path(), server.path(), extra);
        assert_eq!(c, ours, "step {name:?}: C (left) and ours (right) differ");
        assert!(ours.len() > 20, "step {name:?}: {ours:?}");
        seen.push(status(&ours));
    }
    seen
}

#[test]
fn power_failure_matches_c() {
    if !have() {
        return;
    }
    let seen = power_failure(&[], &[]);
    assert_eq!(seen[0], "OL");
    assert_eq!(seen[1], "OB DISCHRG");
    assert_eq!(seen[3], "OB DISCHRG LB");
    assert_eq!(seen[4], "OL CHRG BOOST");
    assert_eq!(seen[5], "OL CHRG RB TRIM");
}

#[test]
fn three_phase_nxe_matches_c() {
    if !have() {
        return;
    }
    let seen = power_failure(
        &[
            ("liebert.inphases", "3"),
            ("liebert.outphases", "3"),
            ("liebert.scaling", "2"),
            ("liebert.type", "interactive"),
            ("liebert.model", "Liebert NX"),
            ("liebert.firmware", "I170R150M260"),
        ],
        &["baudrate=9600"],
    );
    assert_eq!(seen[1], "OB DISCHRG");
}

#[test]
fn split_phase_offline_matches_c() {
    if !have() {
        return;
    }
    let (dir, model, server) = sim(&[
        ("liebert.inphases", "2"),
        ("liebert.outphases", "2"),
        ("liebert.scaling", "7"),
        ("liebert.type", "offline"),
    ]);
    model.lock().unwrap().apply("load=120").unwrap();
    let c = dump(C_DRV, dir.path(), server.path(), &[]);
    let ours = dump(OURS, dir.path(), server.path(), &[]);
    assert_eq!(c, ours, "C (left) and ours (right) differ");
    assert!(ours.contains(&"output.L2.power.percent: 120".to_owned()));
    assert_eq!(status(&ours), "OL OVER");
}

/// The shutdown frames (`01 9c …`) the device received during `program -k`.
fn killpower(program: &str, dir: &Path, model: &SharedModel, port: &Path) -> Vec<String> {
    model.lock().unwrap().received.clear();
    let child = command(program, dir, port, &["-k"], &[]).spawn().unwrap();
    finish(program, child);
    model
        .lock()
        .unwrap()
        .received
        .iter()
        .filter(|f| f.starts_with("01 9c"))
        .cloned()
        .collect()
}

#[test]
fn killpower_sends_the_shutdown_sequence() {
    if !have() {
        return;
    }
    let (dir, model, server) = sim(&[]);
    let c = killpower(C_DRV, dir.path(), &model, server.path());
    model.lock().unwrap().output_on = true;
    let ours = killpower(OURS, dir.path(), &model, server.path());
    // C means to send the four commands but its test stops after the first acknowledged
    // one (`!(a != -1) && …`); ours sends them all, C's first.
    assert_eq!(c, ["01 9c 04 01 06 00 01 a9"]);
    assert_eq!(
        ours,
        [
            "01 9c 04 01 06 00 01 a9",
            "01 9c 04 01 05 00 0c b3",
            "01 9c 02 01 07 a7",
            "01 9c 04 01 88 4c 4c c2"
        ]
    );
    assert!(!model.lock().unwrap().output_on);
}

#[test]
fn bad_baudrate_is_refused_like_c() {
    if !have() {
        return;
    }
    let (dir, _model, server) = sim(&[]);
    for program in [C_DRV, OURS] {
        let out = command(
            program,
            dir.path(),
            server.path(),
            &["-d", "1"],
            &["baudrate=600"],
        )
        .output()
        .unwrap();
        assert!(!out.status.success(), "{program} accepted baudrate=600");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("Baudrate [600] unsupported"),
            "{program}: {err}"
        );
    }
}

/// The variables and identification of the units of NUT's device library that ran a
/// driver of today's variable set (NUT 2.6 and later): a device set up with their
/// identification gives the same variable names and strings (the measurements are the
/// simulator's). Needs no C driver.
#[test]
fn variables_match_the_device_library() {
    let Some(root) = support::recorded("nut-ddl/Liebert") else {
        return;
    };
    let mut checked = 0;
    for file in std::fs::read_dir(root).expect("nut-ddl/Liebert").flatten() {
        let text = std::fs::read_to_string(file.path()).unwrap_or_default();
        let vars: Vec<(String, String)> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| {
                let v = v.split('\t').next().unwrap_or(v);
                (k.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let get = |name: &str| {
            vars.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if get("driver.name") != Some("liebert-esp2")
            || get("driver.version").is_none_or(|v| v < "2.6")
        {
            continue;
        }
        let settings: Vec<(&str, &str)> = [
            ("liebert.model", "ups.model"),
            ("liebert.firmware", "ups.firmware"),
            ("liebert.serial", "ups.serial"),
            ("liebert.date", "ups.mfr.date"),
        ]
        .iter()
        .filter_map(|(k, var)| get(var).map(|v| (*k, v)))
        .collect();
        let (dir, _model, server) = sim(&settings);
        let ours = dump(OURS, dir.path(), server.path(), &[]);
        let names = |lines: Vec<String>| {
            let mut n: Vec<String> = lines
                .into_iter()
                .filter(|l| !l.starts_with("driver.") && !l.starts_with("Warning"))
                .collect();
            n.sort();
            n
        };
        let ours = names(ours);
        let recorded = names(vars.iter().map(|(k, v)| format!("{k}: {v}")).collect());
        let key = |l: &String| l.split(": ").next().unwrap_or_default().to_owned();
        let name = file.file_name().to_string_lossy().to_string();
        assert_eq!(
            ours.iter().map(key).collect::<Vec<_>>(),
            recorded.iter().map(key).collect::<Vec<_>>(),
            "{name}: variables"
        );
        for var in [
            "ups.model",
            "ups.firmware",
            "ups.serial",
            "ups.mfr.date",
            "device.model",
        ] {
            let line = |l: &Vec<String>| l.iter().find(|x| key(x) == var).cloned();
            assert_eq!(line(&ours), line(&recorded), "{name}: {var}");
        }
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} recorded units");
}

#[test]
fn a_device_that_is_no_esp2_unit_is_refused_like_c() {
    if !have() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyOther");
    // A PowerCom unit: it answers the leading 0x01 of each command with its own frame.
    let _server = PtyServer::spawn(UpsModel::shared(), Protocol::Powercom, Some(&link)).unwrap();
    for program in [C_DRV, OURS] {
        let out = command(program, dir.path(), &link, &["-d", "1"], &[])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{program} found an ESP-II unit");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("ESP-II capable UPS not detected"),
            "{program}: {err}"
        );
    }
}
