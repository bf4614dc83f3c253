//! Differential test of the APC Smart driver: C NUT 2.8.0's `apcsmart` (`/lib/nut/…`) and
//! ours are pointed in turn at the same simulated device (a pseudo-terminal served by
//! `nut_drivers::sim` speaking APC Smart) through a power-failure script, and must dump
//! (`-d 1`) the same variables with the same values.
//!
//! Without the C driver the test prints a note and passes, unless `NUT_RS_INTEROP=1`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::{Protocol, UpsModel};

const C_APC: &str = "/lib/nut/apcsmart";
const OURS_APC: &str = env!("CARGO_BIN_EXE_apcsmart");

fn have(path: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    assert!(
        std::env::var("NUT_RS_INTEROP").as_deref() != Ok("1"),
        "NUT_RS_INTEROP=1 but {path} is missing"
    );
    eprintln!("note: {path} is not installed; skipping the differential test");
    false
}

/// Runs a driver with `-d 1` and returns its dump without the version lines.
fn dump(program: &str, dir: &Path, port: &Path) -> Vec<String> {
    let mut child = Command::new(program)
        .args(["-s", "sim", "-u", "root", "-d", "1", "-x"])
        .arg(format!("port={}", port.display()))
        .env("NUT_STATEPATH", dir)
        .env("NUT_CONFPATH", dir)
        .env("NUT_ALTPIDPATH", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start driver");
    // Generous: never assert on speed.
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{program} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter(|l| l.contains(": "))
        .filter(|l| !l.starts_with("driver.version: ") && !l.starts_with("driver.version.usb: "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn power_failure_matches_c() {
    if !have(C_APC) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = UpsModel::shared();
    let link = dir.path().join("ttyAPC");
    let server = PtyServer::spawn(model.clone(), Protocol::Apc, Some(&link)).unwrap();
    let steps: [(&str, &[&str], &str); 6] = [
        ("on line", &[], "OL"),
        ("mains lost", &["mains-lost", "wait=30"], "OB"),
        ("low battery", &["load=40", "low-battery"], "OB LB"),
        (
            "brown-out",
            &["mains-restored", "line=190", "charge=50"],
            "BOOST OL",
        ),
        (
            "surge, bad battery",
            &["line=262", "charge=80", "fail"],
            "TRIM OL RB",
        ),
        ("overload", &["line=229.5", "load=120"], "OL OVER RB"),
    ];
    for (name, events, status) in steps {
        {
            let mut m = model.lock().unwrap();
            for e in events {
                m.apply(e).unwrap();
            }
        }
        let c = dump(C_APC, dir.path(), server.path());
        let ours = dump(OURS_APC, dir.path(), server.path());
        eprintln!("step {name:?}: {} variables", ours.len());
        assert_eq!(c, ours, "step {name:?}: C (left) and ours (right) differ");
        let want = format!("ups.status: {status}");
        assert!(ours.contains(&want), "step {name:?}: {ours:?}");
    }
    drop(server);
}
