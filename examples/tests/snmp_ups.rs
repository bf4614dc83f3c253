//! Differential tests of `snmp-ups` against C NUT 2.8.0's on real agent recordings.
//!
//! snmpsimd serves the 90 recordings of `../shared/testdata/snmprec`; C's driver and ours read
//! each with `-d 1`, and the dumps must be the same line for line. The reference is C over
//! SNMPv1: over SNMPv2c, C 2.8.0 takes the agent's "no such instance" answers for values (its
//! template counting never ends on nine of the recordings, and it misses sensors and outlets
//! on another), so ours over v2c must give what C gives over v1. Recordings C does not detect
//! must not be detected by ours either unless the data is there (see the README's list).

mod support;

use std::collections::BTreeMap;
use std::sync::Mutex;

use support::snmpsim::{self, Snmpsim};

const C_SNMP: &str = "/lib/nut/snmp-ups";
const OURS: &str = env!("CARGO_BIN_EXE_snmp-ups");

/// How one driver run on one recording ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    /// The `-d 1` dump, without the version and SNMP-version lines.
    Dump(Vec<String>),
    /// The driver exited with an error (no device detected, …).
    Failed,
    /// It did not finish within the limit.
    Hung,
}

fn run(program: &str, agent: &Snmpsim, recording: &str, version: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(program);
    cmd.args(["-s", "sim", "-u", "root", "-d", "1"])
        .args(["-x", &format!("port={}", agent.address)])
        .args(["-x", &format!("community={recording}")])
        .args(["-x", &format!("snmp_version={version}")])
        .env("NUT_STATEPATH", dir.path())
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for x in extra {
        cmd.args(["-x", x]);
    }
    let mut child = support::Kill::spawn(&mut cmd);
    // C never ends on some recordings over v2c; 20 s is far more than any finishing run needs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Ok(Some(_)) = child.0.try_wait() {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Run::Hung;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.take_output();
    if !out.status.success() {
        return Run::Failed;
    }
    Run::Dump(dump_lines(&String::from_utf8_lossy(&out.stdout)))
}

/// The variables of a dump, without the version and SNMP-version lines. C keeps control
/// characters in values (a binary string in net-snmp's hex layout has newlines) and prints them
/// as they are, so a value may run over several lines; ours drops them (they would break the
/// network protocol), so C's continuation lines are joined to the line they continue.
fn dump_lines(out: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for l in out.split('\n') {
        match lines.last_mut() {
            Some(last) if !l.contains(": ") => last.push_str(l),
            _ => lines.push(l.to_owned()),
        }
    }
    lines.retain(|l| {
        l.contains(": ")
            && !l.starts_with("driver.version: ")
            && !l.starts_with("driver.parameter.snmp_version: ")
    });
    lines
}

/// Runs `f` on every recording, a few at a time; returns the results by recording.
fn each_recording<T: Send>(agent: &Snmpsim, f: impl Fn(&str) -> T + Sync) -> BTreeMap<String, T> {
    let queue = Mutex::new(agent.recordings.clone());
    let results = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let Some(name) = queue.lock().unwrap().pop() else {
                    break;
                };
                let r = f(&name);
                results.lock().unwrap().insert(name, r);
            });
        }
    });
    results.into_inner().unwrap()
}

fn diff(a: &[String], b: &[String]) -> String {
    let (sa, sb): (std::collections::BTreeSet<_>, std::collections::BTreeSet<_>) =
        (a.iter().collect(), b.iter().collect());
    let mut out = String::new();
    for l in sa.difference(&sb) {
        out.push_str(&format!("  C:    {l}\n"));
    }
    for l in sb.difference(&sa) {
        out.push_str(&format!("  ours: {l}\n"));
    }
    out
}

#[test]
fn every_recording_gives_what_c_gives_over_snmpv1() {
    let Some(agent) = snmpsim::shared(&[]) else {
        return;
    };
    if !support::have(&[C_SNMP]) {
        return;
    }
    let results = each_recording(agent, |name| {
        let c = run(C_SNMP, agent, name, "v1", &[]);
        let ours_v1 = run(OURS, agent, name, "v1", &[]);
        let ours_v2c = run(OURS, agent, name, "v2c", &[]);
        (c, ours_v1, ours_v2c)
    });
    let mut failures = String::new();
    let mut detected = 0;
    for (name, (c, v1, v2c)) in &results {
        match c {
            Run::Dump(c) => {
                detected += 1;
                for (version, ours) in [("v1", v1), ("v2c", v2c)] {
                    match ours {
                        Run::Dump(o) if o == c => {}
                        Run::Dump(o) => {
                            failures.push_str(&format!("{name} ({version}):\n{}", diff(c, o)))
                        }
                        other => {
                            failures.push_str(&format!("{name} ({version}): ours {other:?}\n"))
                        }
                    }
                }
            }
            Run::Failed => {
                if *v1 == Run::Hung || *v2c == Run::Hung {
                    failures.push_str(&format!("{name}: C finds nothing, ours hangs\n"));
                }
            }
            Run::Hung => failures.push_str(&format!("{name}: C hangs over v1\n")),
        }
    }
    assert!(
        failures.is_empty(),
        "{detected} recordings detected by C; differences:\n{failures}"
    );
    assert!(detected >= 37, "C detected only {detected} recordings");
}
