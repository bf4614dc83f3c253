//! End-to-end tests of upssched: a short power blip is dampened (the timer is cancelled and
//! nothing runs), a long outage runs CMDSCRIPT with the timer's name; the same
//! configuration driven through C upssched gives the same results.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const C_UPSSCHED: &str = "/sbin/upssched";

mod support;

fn have_c() -> bool {
    support::have(&[C_UPSSCHED])
}

/// A directory with upssched.conf and a CMDSCRIPT that appends `<arg> <UPSNAME>` to `log`.
fn setup(timer: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = d.join("cmd.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1 $UPSNAME\" >> {}\n",
            d.join("log").display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(
        d.join("upssched.conf"),
        format!(
            "CMDSCRIPT {script}\nPIPEFN {d}/upssched.pipe\nLOCKFN {d}/upssched.lock\n\
             AT ONBATT * START-TIMER onbatt {timer}\n\
             AT ONLINE * CANCEL-TIMER onbatt online-no-timer\n\
             AT LOWBATT * EXECUTE lowbatt-now\n",
            script = script.display(),
            d = d.display()
        ),
    )
    .unwrap();
    dir
}

fn notify(prog: &str, dir: &Path, event: &str) {
    let status = Command::new(prog)
        .arg(format!("UPS myups@localhost: {event}"))
        .env("NUT_CONFPATH", dir)
        .env("UPSNAME", "myups@localhost")
        .env("NOTIFYTYPE", event)
        .status()
        .unwrap();
    assert!(status.success(), "{prog} {event}: {status}");
}

fn log(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn wait_log(dir: &Path, lines: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let l = log(dir);
        if l.len() >= lines || start.elapsed() > Duration::from_secs(60) {
            return l;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Blip: ONBATT then ONLINE within the timer; then a long outage; returns the log.
fn scenario(prog: &str) -> Vec<String> {
    let dir = setup(3);
    let d = dir.path();
    notify(prog, d, "ONBATT");
    notify(prog, d, "ONLINE");
    // Longer than the timer: nothing may have run.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        log(d),
        Vec::<String>::new(),
        "{prog}: the blip ran something"
    );
    // ONLINE with no timer running runs the cancel command; EXECUTE runs at once.
    notify(prog, d, "ONLINE");
    notify(prog, d, "LOWBATT");
    assert_eq!(
        log(d),
        [
            "online-no-timer myups@localhost",
            "lowbatt-now myups@localhost"
        ]
    );
    // A long outage: the timer fires.
    notify(prog, d, "ONBATT");
    let l = wait_log(d, 3);
    assert_eq!(l[2], "onbatt myups@localhost", "{prog}: {l:?}");
    l
}

#[test]
fn dampening_ours() {
    scenario(env!("CARGO_BIN_EXE_upssched"));
}

/// Through a link to the multi-call `nut-rs`: the timer daemon upssched starts (its own
/// program again) is upssched too.
#[test]
fn dampening_through_nut_rs() {
    let links = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_nut-rs"))
        .arg("--link")
        .arg(links.path())
        .arg("upssched")
        .status()
        .unwrap();
    assert!(status.success());
    scenario(links.path().join("upssched").to_str().unwrap());
}

#[test]
fn dampening_same_as_c() {
    if !have_c() {
        return;
    }
    assert_eq!(
        scenario(C_UPSSCHED),
        scenario(env!("CARGO_BIN_EXE_upssched"))
    );
}

#[test]
fn needs_environment_and_valid_config() {
    let dir = setup(1);
    let out = Command::new(env!("CARGO_BIN_EXE_upssched"))
        .env("NUT_CONFPATH", dir.path())
        .env_remove("UPSNAME")
        .env_remove("NOTIFYTYPE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("UPSNAME and NOTIFYTYPE must be set"));
    fs::write(
        dir.path().join("upssched.conf"),
        "AT ONBATT * START-TIMER x 5\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_upssched"))
        .env("NUT_CONFPATH", dir.path())
        .env("UPSNAME", "u")
        .env("NOTIFYTYPE", "ONBATT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("upssched.conf:1"), "{err}");
}
