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
use std::time::Duration;

use support::snmpsim::{self, Snmpsim, V3User, AUTH_KEY, PRIV_KEY};

const C_SNMP: &str = "/lib/nut/snmp-ups";
const OURS: &str = env!("CARGO_BIN_EXE_snmp-ups");

/// The SNMPv3 users snmpsimd knows (with snmpsimd's protocol names: its `AES192`/`AES256`
/// are the Reeder key extension, `AES192BLMT`/`AES256BLMT` the Blumenthal one that net-snmp,
/// and so C, calls `AES192`/`AES256`).
const V3_USERS: &[V3User] = &[
    V3User {
        name: "noauth",
        auth: "NONE",
        privacy: "NONE",
    },
    V3User {
        name: "md5",
        auth: "MD5",
        privacy: "NONE",
    },
    V3User {
        name: "sha",
        auth: "SHA",
        privacy: "NONE",
    },
    V3User {
        name: "sha224",
        auth: "SHA224",
        privacy: "NONE",
    },
    V3User {
        name: "sha256",
        auth: "SHA256",
        privacy: "NONE",
    },
    V3User {
        name: "sha384",
        auth: "SHA384",
        privacy: "NONE",
    },
    V3User {
        name: "sha512",
        auth: "SHA512",
        privacy: "NONE",
    },
    V3User {
        name: "md5-des",
        auth: "MD5",
        privacy: "DES",
    },
    V3User {
        name: "sha-aes",
        auth: "SHA",
        privacy: "AES",
    },
    V3User {
        name: "sha-aes192",
        auth: "SHA",
        privacy: "AES192BLMT",
    },
    V3User {
        name: "sha256-aes256",
        auth: "SHA256",
        privacy: "AES256BLMT",
    },
    V3User {
        name: "md5-aes192c",
        auth: "MD5",
        privacy: "AES192",
    },
    V3User {
        name: "sha512-aes256c",
        auth: "SHA512",
        privacy: "AES256",
    },
];

/// A user's driver options: snmpsimd's protocol names in the driver's (net-snmp's) spelling.
fn v3_options(user: &V3User) -> Vec<String> {
    let mut o = vec![
        "snmp_version=v3".to_owned(),
        format!("secName={}", user.name),
    ];
    let level = match (user.auth, user.privacy) {
        ("NONE", _) => "noAuthNoPriv",
        (_, "NONE") => "authNoPriv",
        _ => "authPriv",
    };
    o.push(format!("secLevel={level}"));
    if user.auth != "NONE" {
        o.push(format!("authProtocol={}", user.auth));
        o.push(format!("authPassword={AUTH_KEY}"));
    }
    if user.privacy != "NONE" {
        let p = match user.privacy {
            "AES192BLMT" => "AES192",
            "AES256BLMT" => "AES256",
            "AES192" => "AES192C",
            "AES256" => "AES256C",
            other => other,
        };
        o.push(format!("privProtocol={p}"));
        o.push(format!("privPassword={PRIV_KEY}"));
    }
    o
}

/// A folder with net-snmp's `snmp.conf` naming `context` as the default SNMPv3 context, which
/// is how C's driver gets one (through `SNMPCONFPATH`).
fn snmp_conf(context: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("snmp.conf"),
        format!("defContext {context}\n"),
    )
    .unwrap();
    dir
}

/// Recordings C 2.8.0 does not detect (their agents leave out the model OID C probes for, or
/// it is not in the partial walk) and ours reads with the mapping whose data is there: the
/// one its sysObjectID names or whose power status answers, with the most answering
/// variables.
const BEYOND_C: &[(&str, &str)] = &[
    ("abbups_abbups", "ietf"),
    ("apc_ap8853", "apc_pdu"),
    ("apc_smart1500", "apcc"),
    ("cxc_ups", "ietf"),
    ("dell-ups_tower1000w", "ietf"),
    ("deltaups_rfc1628string", "ietf"),
    ("eatonpdu_2", "eaton_epdu"),
    ("eatonups", "pw"),
    ("generex-ups_1", "ietf"),
    ("generex-ups_2", "ietf"),
    ("liebert_apm", "ietf"),
    ("liebert_weblbds", "ietf"),
    ("marathonups", "ietf"),
    ("netagent2", "xppc"),
    ("netmanplus_208", "ietf"),
    ("netmanplus_mct20", "ietf"),
    ("netvision-rfc", "ietf"),
    ("orvaldi-ups", "ietf"),
    ("raritan-pdu_px2-temp", "raritan-px2"),
    ("raritan-pdu_px2", "raritan-px2"),
];

/// How one driver run on one recording ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    /// The `-d 1` dump, without the version and SNMP-version lines.
    Dump(Vec<String>),
    /// The driver exited with an error (no device detected, …), with what it said.
    Failed(String),
    /// It did not finish within the limit.
    Hung,
}

/// `program -s sim -d 1` on `recording` of `agent` with `options` (`-x` values) and the extra
/// environment `env`.
fn run_with(program: &str, agent: &Snmpsim, options: &[String], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(program);
    cmd.args(["-s", "sim", "-u", "root", "-d", "1"])
        .args(["-x", &format!("port={}", agent.address)])
        .env("NUT_STATEPATH", dir.path())
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path())
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for x in options {
        cmd.args(["-x", x]);
    }
    let mut child = support::Kill::spawn(&mut cmd);
    // C never ends on some recordings over v2c; 20 s is far more than any finishing run needs.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(_)) = child.0.try_wait() {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Run::Hung;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.take_output();
    if !out.status.success() {
        return Run::Failed(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Run::Dump(dump_lines(&String::from_utf8_lossy(&out.stdout)))
}

/// `program` on `recording` over SNMPv1 or v2c.
fn run(program: &str, agent: &Snmpsim, recording: &str, version: &str) -> Run {
    let options = [
        format!("community={recording}"),
        format!("snmp_version={version}"),
    ];
    run_with(program, agent, &options, &[])
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

/// A dump without its `outlet.<n>.id` lines. C numbers these from -1 (its made-up outlet
/// numbers do not start where the device's do); ours numbers them as the device's outlets.
fn without_outlet_ids(dump: &[String]) -> Vec<String> {
    dump.iter()
        .filter(|l| outlet_id(l).is_none())
        .cloned()
        .collect()
}

/// The outlet number and value of an `outlet.<n>.id: <v>` line.
fn outlet_id(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("outlet.")?;
    let (n, rest) = rest.split_once('.')?;
    let value = rest.strip_prefix("id: ")?;
    n.trim_start_matches('-')
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then_some((n, value))
}

/// Checks that every outlet with variables has its `outlet.<n>.id: <n>`, and no other.
fn outlet_ids_follow_outlets(dump: &[String]) -> Result<(), String> {
    let ids: std::collections::BTreeSet<(&str, &str)> =
        dump.iter().filter_map(|l| outlet_id(l)).collect();
    let outlets: std::collections::BTreeSet<&str> = dump
        .iter()
        .filter(|l| outlet_id(l).is_none())
        .filter_map(|l| l.strip_prefix("outlet.")?.split_once('.').map(|(n, _)| n))
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let expected: std::collections::BTreeSet<(&str, &str)> =
        outlets.iter().map(|n| (*n, *n)).collect();
    if ids == expected {
        Ok(())
    } else {
        Err(format!("outlet ids {ids:?} for outlets {outlets:?}"))
    }
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
    let Some(agent) = snmpsim::shared(V3_USERS) else {
        return;
    };
    if !support::have(&[C_SNMP]) {
        return;
    }
    let results = each_recording(agent, |name| {
        let c = run(C_SNMP, agent, name, "v1");
        let ours_v1 = run(OURS, agent, name, "v1");
        let ours_v2c = run(OURS, agent, name, "v2c");
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
                        Run::Dump(o) if without_outlet_ids(o) == without_outlet_ids(c) => {
                            if let Err(e) = outlet_ids_follow_outlets(o) {
                                failures.push_str(&format!("{name} ({version}): {e}\n"));
                            }
                        }
                        Run::Dump(o) => {
                            failures.push_str(&format!("{name} ({version}):\n{}", diff(c, o)))
                        }
                        other => {
                            failures.push_str(&format!("{name} ({version}): ours {other:?}\n"))
                        }
                    }
                }
            }
            Run::Failed(_) => match (v1, v2c) {
                (Run::Failed(_), Run::Failed(_)) => {
                    if BEYOND_C.iter().any(|(r, _)| r == name) {
                        failures.push_str(&format!("{name}: ours no longer finds the device\n"));
                    }
                }
                (Run::Dump(a), Run::Dump(b)) if a == b => {
                    let mapping = a
                        .iter()
                        .find_map(|l| l.strip_prefix("driver.version.data: "));
                    let expected = BEYOND_C.iter().find(|(r, _)| r == name).map(|(_, m)| *m);
                    let data = a
                        .iter()
                        .filter(|l| !l.starts_with("driver.") && !l.starts_with("device."))
                        .count();
                    if expected.is_none()
                        || mapping.is_none_or(|m| {
                            !m.starts_with(&format!("{} MIB", expected.unwrap_or("")))
                        })
                    {
                        failures.push_str(&format!(
                            "{name}: C finds nothing, ours reads it with {mapping:?}\n"
                        ));
                    } else if data == 0 {
                        failures.push_str(&format!(
                            "{name}: ours detects {mapping:?} but reads nothing\n"
                        ));
                    }
                }
                other => failures.push_str(&format!("{name}: C finds nothing, ours: {other:?}\n")),
            },
            Run::Hung => failures.push_str(&format!("{name}: C hangs over v1\n")),
        }
    }
    assert!(
        failures.is_empty(),
        "{detected} recordings detected by C; differences:\n{failures}"
    );
    assert!(detected >= 37, "C detected only {detected} recordings");
    eprintln!(
        "{detected} recordings read as C reads them; {} more that C does not detect",
        BEYOND_C.len()
    );
}

/// A dump without its `driver.parameter.*` lines.
fn without_parameters(dump: &[String]) -> Vec<String> {
    dump.iter()
        .filter(|l| !l.starts_with("driver.parameter."))
        .cloned()
        .collect()
}

/// The recordings of the SNMPv3 comparisons: a UPS of each family C detects.
const V3_RECORDINGS: &[&str] = &[
    "apc_smt750x-nmc2",
    "eaton-mgeups_9px",
    "cyberpower",
    "apc_ap7900b",
    "generex-ups_cs141",
];

#[test]
fn snmpv3_with_every_protocol_gives_what_c_gives() {
    let Some(agent) = snmpsim::shared(V3_USERS) else {
        return;
    };
    if !support::have(&[C_SNMP]) {
        return;
    }
    // Every user on one recording, and one authPriv user on each recording.
    let mut cases: Vec<(&V3User, &str)> = V3_USERS.iter().map(|u| (u, V3_RECORDINGS[0])).collect();
    cases.extend(V3_RECORDINGS[1..].iter().map(|r| (&V3_USERS[8], *r)));
    let failures = Mutex::new(String::new());
    let queue = Mutex::new(cases);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let Some((user, recording)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let conf = snmp_conf(recording);
                let conf_path = conf.path().to_str().unwrap().to_owned();
                let options = v3_options(user);
                // C has no SHA-224 and no Reeder AES: ours must read what C reads over v1.
                let c_supports =
                    user.auth != "SHA224" && !matches!(user.privacy, "AES192" | "AES256");
                // Where C never ends (it counts outlets on "no such instance" answers, as
                // over v2c), its SNMPv1 reading is the reference too.
                let reference = match c_supports
                    .then(|| run_with(C_SNMP, agent, &options, &[("SNMPCONFPATH", &conf_path)]))
                {
                    Some(Run::Hung) | None => run(C_SNMP, agent, recording, "v1"),
                    Some(c) => c,
                };
                // Ours takes the context as C does, and from its own option.
                let by_conf = run_with(OURS, agent, &options, &[("SNMPCONFPATH", &conf_path)]);
                let mut with_option = options.clone();
                with_option.push(format!("snmp_context={recording}"));
                let by_option = run_with(
                    OURS,
                    agent,
                    &with_option,
                    &[("SNMPCONFPATH", "/nonexistent")],
                );
                let mut f = failures.lock().unwrap();
                match &reference {
                    Run::Dump(c) => {
                        // The driver.parameter lines echo the options, which differ by design.
                        let c = &without_parameters(c);
                        for (how, ours) in [("snmp.conf", &by_conf), ("snmp_context", &by_option)] {
                            match ours {
                                Run::Dump(o) if without_parameters(o) == *c => {}
                                Run::Dump(o) => f.push_str(&format!(
                                    "{recording} {} ({how}):\n{}",
                                    user.name,
                                    diff(c, o)
                                )),
                                other => f.push_str(&format!(
                                    "{recording} {} ({how}): ours {other:?}\n",
                                    user.name
                                )),
                            }
                        }
                    }
                    other => f.push_str(&format!("{recording} {}: C {other:?}\n", user.name)),
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "differences:\n{failures}");
}

#[test]
fn snmpv3_refusals_are_clear_errors() {
    let Some(agent) = snmpsim::shared(V3_USERS) else {
        return;
    };
    let conf = snmp_conf(V3_RECORDINGS[0]);
    let conf_path = conf.path().to_str().unwrap();
    let env = [("SNMPCONFPATH", conf_path)];
    let user = &V3_USERS[7];
    let with = |change: &dyn Fn(&mut Vec<String>)| {
        let mut o = v3_options(user);
        o.push("snmp_retries=1".to_owned());
        change(&mut o);
        let started = std::time::Instant::now();
        (run_with(OURS, agent, &o, &env), started.elapsed())
    };
    // A wrong authentication password: the agent's answer does not verify.
    let (run, took) = with(&|o| o.push("authPassword=wrong-password".to_owned()));
    match run {
        Run::Failed(msg) => assert!(msg.contains("authentication failure"), "{msg}"),
        other => panic!("wrong password: {other:?}"),
    }
    assert!(took < Duration::from_secs(10), "{took:?}");
    // An unknown user and a wrong privacy password: snmpsimd does not answer at all, so the
    // driver gives up after its retries, saying so.
    for (what, change) in [
        ("unknown user", "secName=nobody"),
        ("wrong privacy password", "privPassword=wrong-password"),
    ] {
        let (run, took) = with(&|o| o.push(change.to_owned()));
        match run {
            Run::Failed(msg) => assert!(msg.contains("no answer"), "{what}: {msg}"),
            other => panic!("{what}: {other:?}"),
        }
        assert!(took < Duration::from_secs(15), "{what}: {took:?}");
    }
    // A password too short for SNMPv3 and an unknown protocol are configuration errors.
    for (change, expect) in [
        ("authPassword=short", "8"),
        ("authProtocol=SHA1024", "SHA1024"),
    ] {
        let (run, _) = with(&|o| o.push(change.to_owned()));
        match run {
            Run::Failed(msg) => assert!(msg.contains(expect), "{change}: {msg}"),
            other => panic!("{change}: {other:?}"),
        }
    }
}

/// An in-process agent serving `recording` (with the command OIDs of `mapping`, when one is
/// named, and every variable writable), on a runtime of its own.
struct LocalAgent {
    agent: nut_drivers::snmp::agent::RunningAgent,
    _rt: tokio::runtime::Runtime,
}

/// [`LocalAgent`] of `recording`, or `None` without the recordings.
fn local_agent(recording: &str, mapping: Option<&str>) -> Option<LocalAgent> {
    use std::sync::Arc;

    use nut_drivers::snmp::agent::Agent;
    use nut_drivers::snmp::snmprec::Recording;

    let file = support::recorded(&format!("snmprec/{recording}.snmprec"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut rec = Recording::load(&file).unwrap();
    if let Some(m) = mapping {
        rec = with_command_oids(rec, m);
    }
    let agent = rt
        .block_on(
            Agent::new(Arc::new(rec))
                .all_writable()
                .bind("127.0.0.1:0".parse().unwrap()),
        )
        .unwrap();
    Some(LocalAgent { agent, _rt: rt })
}

/// `program -s sim -u root <args> -x port=<agent> -x <options>…` with its paths in `dir`, its
/// output discarded and its log in `dir/driver.log`.
fn driver_command(
    program: &str,
    agent: &LocalAgent,
    dir: &std::path::Path,
    args: &[&str],
    options: &[&str],
) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    cmd.args(["-s", "sim", "-u", "root"])
        .args(args)
        .args(["-x", &format!("port={}", agent.agent.target())])
        .env("NUT_STATEPATH", dir)
        .env("NUT_CONFPATH", dir)
        .env("NUT_ALTPIDPATH", dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join("driver.log")).unwrap());
    for o in options {
        cmd.args(["-x", o]);
    }
    cmd
}

/// `recording` with a value (1) at every command OID of `mapping` it lacks (outlet commands
/// for outlets 1 to 8), as a device that has the commands would answer: partial recordings
/// leave them out, and both drivers publish only the commands whose OID answers.
fn with_command_oids(
    recording: nut_drivers::snmp::snmprec::Recording,
    mapping: &str,
) -> nut_drivers::snmp::snmprec::Recording {
    use nut_drivers::snmp::mib::flag;
    use nut_drivers::snmp::pdu::{Oid, Value};
    let mut vars: Vec<(Oid, Value)> = recording.vars().to_vec();
    // Several mappings may share a name (C's three apc_pdu tables).
    let items = nut_drivers::snmp::mibs::ALL
        .iter()
        .filter(|m| m.name == mapping)
        .flat_map(|m| m.items);
    for item in items.filter(|i| i.flags & flag::TYPE_MASK == flag::TYPE_CMD) {
        let Some(oid) = item.oid else { continue };
        let oids: Vec<String> = if oid.contains("%i") {
            (1..=8).map(|n| oid.replace("%i", &n.to_string())).collect()
        } else {
            vec![oid.to_owned()]
        };
        for o in oids {
            let o: Oid = o.parse().unwrap();
            if recording.get(&o).is_none() && !vars.iter().any(|(v, _)| *v == o) {
                vars.push((o, Value::Integer(1)));
            }
        }
    }
    nut_drivers::snmp::snmprec::Recording::from_vars(vars)
}

/// The commands a driver published, its writable variables (with the value set), and per
/// request (the socket line) its tracking result and the SETs the agent received.
type CommandSession = (Vec<String>, Vec<String>, Vec<(String, String, Vec<String>)>);

/// What one driver did with the commands and writable variables it published, through its
/// socket: per request, the tracking result and the SETs the agent received.
fn command_session(program: &str, recording: &str, mapping: &str) -> CommandSession {
    use std::io::{BufReader, Write};

    use support::qx_session::{read_until, Request};

    let local = local_agent(recording, Some(mapping)).unwrap();
    let agent = &local.agent;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = driver_command(
        program,
        &local,
        dir.path(),
        &["-F", "-i", "3600"],
        &["community=public", "snmp_version=v1"],
    );
    let _driver = support::Kill::spawn(&mut cmd);
    let sock = dir.path().join("snmp-ups-sim");
    let stream = support::wait_for(
        "the driver socket",
        Duration::from_secs(60),
        Duration::from_millis(50),
        || std::os::unix::net::UnixStream::connect(&sock).ok(),
    );
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    writer.write_all(b"DUMPALL\n").unwrap();
    let log = dir.path().join("driver.log");
    let dump = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_until(&mut reader, |l| l == "DUMPDONE")
    }))
    .unwrap_or_else(|_| {
        panic!(
            "{program}: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    let commands: Vec<String> = dump
        .iter()
        .filter_map(|l| l.strip_prefix("ADDCMD "))
        .filter(|c| !c.starts_with("driver."))
        .map(str::to_owned)
        .collect();
    // The writable variables, with a value to set each to: an enumerated one, else a number
    // or a word as the variable's type asks.
    let mut writable: Vec<(String, String)> = Vec::new();
    for l in &dump {
        let mut words = l.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("SETFLAGS"), Some(var), Some(flags))
                if flags.contains("RW") && !var.starts_with("driver.") =>
            {
                let value = if flags.contains("STRING") {
                    "nut-rs"
                } else {
                    "120"
                };
                writable.push((var.to_owned(), value.to_owned()));
            }
            (Some("ADDENUM"), Some(var), Some(value)) => {
                if let Some(w) = writable.iter_mut().find(|w| w.0 == var) {
                    w.1 = value.trim_matches('"').to_owned();
                }
            }
            _ => {}
        }
    }
    let mut requests: Vec<Request> = commands
        .iter()
        .map(|c| support::qx_session::cmd(c, None))
        .collect();
    // C 2.8.0 crashes on a SET of an outlet variable without an outlet number (outlet.desc):
    // that one is left out here (ours answers it as an unknown variable: see the unit tests).
    let numbered = |v: &str| {
        !v.starts_with("outlet.")
            || v.split('.')
                .nth(1)
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            || v.starts_with("outlet.group.")
    };
    requests.extend(
        writable
            .iter()
            .filter(|(v, _)| numbered(v))
            .map(|(v, x)| support::qx_session::set(v, x)),
    );
    requests.push(support::qx_session::cmd("no.such.command", None));
    requests.push(support::qx_session::set("no.such.variable", "1"));
    let mut outcomes = Vec::new();
    for (id, req) in requests.iter().enumerate() {
        let before = agent.sets().len();
        let line = match req {
            Request::Cmd(c, _) => format!("INSTCMD {c} TRACKING t{id}\n"),
            Request::Set(v, x) => format!("SET {v} \"{x}\" TRACKING t{id}\n"),
        };
        writer.write_all(line.as_bytes()).unwrap();
        let tag = format!("TRACKING t{id} ");
        let lines = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_until(&mut reader, |l| l.starts_with(&tag))
        }))
        .unwrap_or_else(|_| {
            panic!(
                "{program} died on {line}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        let code = lines
            .last()
            .and_then(|l| l.strip_prefix(&tag))
            .unwrap_or_default()
            .to_owned();
        let sets = agent.sets()[before..]
            .iter()
            .map(|(o, v)| format!("{o} = {v:?}"))
            .collect();
        outcomes.push((line.trim_end().to_owned(), code, sets));
    }
    let writable = writable
        .into_iter()
        .map(|(v, x)| format!("{v}={x}"))
        .collect();
    (commands, writable, outcomes)
}

#[test]
fn commands_and_sets_write_what_c_writes() {
    if !support::have(&[C_SNMP]) || support::recorded("snmprec").is_none() {
        return;
    }
    let recordings = [
        ("apc_smt750x-nmc2", "apcc"),
        ("eaton-mgeups_9px", "mge"),
        ("apc_ap7900b", "apc_pdu"),
        ("cyberpower", "cyberpower"),
        ("eatonpdu_dbq", "aphel_revelation"),
    ];
    let results: Vec<_> = std::thread::scope(|s| {
        let runs: Vec<_> = recordings
            .iter()
            .map(|(r, m)| {
                s.spawn(move || {
                    (
                        r,
                        command_session(C_SNMP, r, m),
                        command_session(OURS, r, m),
                    )
                })
            })
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failures = String::new();
    for (recording, c, ours) in results {
        let sets: usize = c.2.iter().map(|o| o.2.len()).sum();
        eprintln!(
            "{recording}: {} commands, {} writable, {} requests, {sets} SETs on the agent",
            c.0.len(),
            c.1.len(),
            c.2.len()
        );
        assert!(
            !c.0.is_empty() || !c.1.is_empty(),
            "{recording}: C published no command and no writable variable"
        );
        if c.0 != ours.0 {
            failures.push_str(&format!(
                "{recording}: commands C {:?}\n  ours {:?}\n",
                c.0, ours.0
            ));
        }
        if c.1 != ours.1 {
            failures.push_str(&format!(
                "{recording}: writable C {:?}\n  ours {:?}\n",
                c.1, ours.1
            ));
        }
        for (a, b) in c.2.iter().zip(&ours.2) {
            if a != b {
                failures.push_str(&format!("{recording}: C {a:?}\n  ours {b:?}\n"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn the_mapping_list_is_c_s() {
    if !support::have(&[C_SNMP]) {
        return;
    }
    let list = |program: &str| {
        let out = std::process::Command::new(program)
            .args(["-s", "x", "-x", "port=127.0.0.1:9", "-x", "mibs=--list"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{program}");
        // Only the banner's version differs.
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (banner, rest) = text.split_once('\n').unwrap();
        assert!(
            banner.starts_with("Network UPS Tools - Generic SNMP UPS driver 1.21 ("),
            "{banner}"
        );
        rest.to_owned()
    };
    assert_eq!(list(OURS), list(C_SNMP));
}

#[test]
fn an_agent_that_stops_answering_makes_the_data_stale_until_it_returns() {
    use std::io::{BufReader, Write};

    let Some(local) = local_agent("apc_smt750x-nmc2", None) else {
        return;
    };
    let agent = &local.agent;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = driver_command(
        OURS,
        &local,
        dir.path(),
        &["-F", "-i", "1"],
        &["pollfreq=0", "snmp_retries=1", "snmp_timeout=1"],
    );
    let _driver = support::Kill::spawn(&mut cmd);
    let sock = dir.path().join("snmp-ups-sim");
    let stream = support::wait_for(
        "the driver socket",
        Duration::from_secs(60),
        Duration::from_millis(50),
        || std::os::unix::net::UnixStream::connect(&sock).ok(),
    );
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    writer.write_all(b"DUMPALL\n").unwrap();
    let dump = support::qx_session::read_until(&mut reader, |l| l == "DUMPDONE");
    assert!(dump.iter().any(|l| l == "DATAOK"), "{dump:?}");
    agent.handle().set_silent(true);
    support::qx_session::read_until(&mut reader, |l| l == "DATASTALE");
    agent.handle().set_silent(false);
    let back = support::qx_session::read_until(&mut reader, |l| l == "DATAOK");
    assert!(
        !back.iter().any(|l| l.starts_with("DELINFO")),
        "nothing is lost: {back:?}"
    );
}

/// `program -k` with `options` on a fresh writable agent serving `recording` (with the
/// command OIDs of `mapping`): whether it succeeded, and the SETs the agent received.
fn killpower(
    program: &str,
    recording: &str,
    mapping: &str,
    options: &[&str],
) -> (bool, Vec<String>) {
    let local = local_agent(recording, Some(mapping)).unwrap();
    let agent = &local.agent;
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["community=public", "snmp_version=v1"];
    all.extend_from_slice(options);
    let status = driver_command(program, &local, dir.path(), &["-k"], &all)
        .status()
        .unwrap();
    let sets = agent
        .sets()
        .iter()
        .map(|(o, v)| format!("{o} = {v:?}"))
        .collect();
    (status.success(), sets)
}

#[test]
fn killpower_writes_what_c_writes() {
    if !support::have(&[C_SNMP]) || support::recorded("snmprec").is_none() {
        return;
    }
    let mut wrote = 0;
    for (recording, mapping) in [
        ("apc_smt750x-nmc2", "apcc"),
        ("eaton-mgeups_9px", "mge"),
        ("cyberpower", "cyberpower"),
    ] {
        for options in [&[][..], &["ondelay=30", "offdelay=20"][..]] {
            let c = killpower(C_SNMP, recording, mapping, options);
            let ours = killpower(OURS, recording, mapping, options);
            assert_eq!(ours, c, "{recording} {options:?}");
            wrote += c.1.len();
        }
    }
    assert!(wrote > 0, "C wrote nothing");
}
