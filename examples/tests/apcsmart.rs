//! Differential test of the APC Smart driver: C NUT 2.8.0's `apcsmart` (`/lib/nut/…`) and
//! ours are pointed in turn at the same simulated device (a pseudo-terminal served by
//! `nut_drivers::sim` speaking APC Smart) through a power-failure script, and must dump
//! (`-d 1`) the same variables with the same values.
//!
//! The same comparison is made for real units: a device answering what each apcsmart
//! unit of NUT's device library answered (`nut_drivers::sim::apc_recorded`).
//!
//! Without the C driver the test prints a note and passes, unless `NUT_RS_INTEROP=1`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nut_drivers::sim::apc_recorded::recorded_replies;
use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::{Protocol, UpsModel};

const C_APC: &str = "/lib/nut/apcsmart";
const OURS_APC: &str = env!("CARGO_BIN_EXE_apcsmart");

mod support;

fn have(path: &str) -> bool {
    support::have(&[path])
}

/// Runs a driver with `-d 1` and returns its dump without the version lines.
fn dump(program: &str, dir: &Path, port: &Path) -> Vec<String> {
    support::driver::dump(program, dir, port, &[])
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

/// A recorded unit on a pseudo-terminal: every byte received is answered from its table
/// (`NA` for the rest), with CR LF.
struct TablePty {
    link: PathBuf,
    stop: Arc<AtomicBool>,
    slave: File,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TablePty {
    fn spawn(table: HashMap<u8, String>, link: &Path) -> Self {
        use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
        let pty = nix::pty::openpty(None, None).unwrap();
        let mut tio = tcgetattr(&pty.slave).unwrap();
        cfmakeraw(&mut tio);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &tio).unwrap();
        let path = nix::unistd::ttyname(&pty.slave).unwrap();
        let _ = std::fs::remove_file(link);
        std::os::unix::fs::symlink(path, link).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let mut master = File::from(pty.master);
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 || flag.load(Ordering::SeqCst) {
                    return;
                }
                let mut out = Vec::new();
                for c in &buf[..n] {
                    out.extend_from_slice(table.get(c).map_or("NA", String::as_str).as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                if master.write_all(&out).is_err() {
                    return;
                }
            }
        });
        Self {
            link: link.to_path_buf(),
            stop,
            slave: File::from(pty.slave),
            thread: Some(thread),
        }
    }
}

impl Drop for TablePty {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.slave.write_all(b"\r");
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.link);
    }
}

/// Dump lines with `\x` read as `x`.
fn unescape(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let mut out = String::new();
            let mut chars = l.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next().or(Some('\\'))),
                    c => out.push(c),
                }
            }
            out
        })
        .collect()
}

#[test]
fn recorded_units_match_c() {
    if !have(C_APC) {
        return;
    }
    let Some(root) = support::recorded("nut-ddl/APC") else {
        return;
    };
    let files = std::fs::read_dir(root).expect("nut-ddl/APC");
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for file in files.flatten() {
        let name = file.file_name().to_string_lossy().to_string();
        let text = std::fs::read_to_string(file.path()).unwrap_or_default();
        let vars: HashMap<String, String> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        if vars.get("driver.name").map(String::as_str) != Some("apcsmart") {
            continue;
        }
        let link = dir.path().join("ttyREC");
        let device = TablePty::spawn(recorded_replies(&vars), &link);
        let c = dump(C_APC, dir.path(), &link);
        let ours = dump(OURS_APC, dir.path(), &link);
        drop(device);
        assert_eq!(c, ours, "{name}: C (left) and ours (right) differ");
        // Dumps print values escaped (`\\` for `\`, `\"` for `"`); the recording does not.
        let ours = unescape(&ours);
        let model = vars.get("ups.model");
        assert!(
            model.is_none()
                || ours
                    .iter()
                    .any(|l| Some(l) == model.map(|m| format!("ups.model: {m}")).as_ref()),
            "{name}: {ours:?}"
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} recorded units");
}
