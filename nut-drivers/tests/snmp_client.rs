//! Interop: our SNMP client against snmpsimd (a real agent, written in Python with pysnmp)
//! serving the shared recordings, with net-snmp's `snmpget`/`snmpwalk`/`snmpbulkwalk` as the
//! reference reading the same agent; and our agent in process against those same tools.
//!
//! snmpsimd starts once for the whole test binary, on a free UDP port, from a copy of the
//! recordings. Skipped (with a note) when snmpsimd, net-snmp's tools or the recordings are
//! missing; a failure instead under `NUT_RS_INTEROP=1` (CI).
#![cfg(feature = "snmp")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use nut_drivers::snmp::agent::Agent;
use nut_drivers::snmp::client::{Client, ClientOptions, SnmpError};
use nut_drivers::snmp::community::{Community, Version};
use nut_drivers::snmp::pdu::{Oid, Value, VarBind};
use nut_drivers::snmp::snmprec::{Recording, RecordingSet};

fn interop() -> bool {
    std::env::var("NUT_RS_INTEROP").as_deref() == Ok("1")
}

/// `None`, with a note, when something is missing; a panic under `NUT_RS_INTEROP=1`.
fn skip(what: &str) -> Option<Sim> {
    assert!(!interop(), "NUT_RS_INTEROP=1 but {what}");
    eprintln!("note: skipping the snmpsimd interop tests: {what}");
    None
}

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The shared recordings (`../shared/testdata/snmprec` beside the checkout, or
/// `$NUT_RS_TESTDATA/snmprec`).
fn recordings_dir() -> PathBuf {
    match std::env::var_os("NUT_RS_TESTDATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"),
    }
    .join("snmprec")
}

/// A running snmpsimd. Its wrapper shell reads our end of a pipe and stops snmpsimd when the
/// pipe closes: when this process ends, however it ends (the instance lives in a static,
/// which is never dropped); dropping it kills the whole process group too.
struct Sim {
    port: u16,
    recordings: RecordingSet,
    _dir: tempfile::TempDir,
    child: Child,
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A UDP port on 127.0.0.1 that was free a moment ago, below the ephemeral range (where our
/// clients' sockets get theirs).
fn free_udp_port() -> u16 {
    let seed = std::process::id().wrapping_mul(7919);
    for n in 0..1000u32 {
        let port = 20_000 + (seed.wrapping_add(n.wrapping_mul(104_729)) % 12_000) as u16;
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free UDP port in 20000..32000")
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn start() -> Option<Sim> {
    for program in ["snmpsimd", "snmpget", "snmpwalk", "snmpbulkwalk"] {
        if !installed(program) {
            return skip(&format!("{program} is not installed"));
        }
    }
    let source = recordings_dir();
    if !source.is_dir() {
        return skip(&format!("{} is missing", source.display()));
    }
    let recordings = RecordingSet::load_dir(&source).unwrap_or_else(|e| panic!("{e}"));
    // snmpsimd drops to user nobody: it must read the data and write its index cache.
    let dir = tempfile::tempdir().unwrap();
    let (data, cache) = (dir.path().join("data"), dir.path().join("cache"));
    std::fs::create_dir(&data).unwrap();
    std::fs::create_dir(&cache).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "snmprec") {
            let copy = data.join(path.file_name().unwrap());
            std::fs::copy(&path, &copy).unwrap();
            chmod(&copy, 0o644);
        }
    }
    chmod(dir.path(), 0o755);
    chmod(&data, 0o755);
    chmod(&cache, 0o777);
    let port = free_udp_port();
    let log = std::fs::File::create(dir.path().join("snmpsimd.log")).unwrap();
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new("sh")
            .args([
                "-c",
                "snmpsimd \"$@\" & pid=$!; cat >/dev/null; kill $pid; wait $pid",
                "sh",
            ])
            .arg(format!("--data-dir={}", data.display()))
            .arg(format!("--cache-dir={}", cache.display()))
            .arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"))
            .args(["--process-user=nobody", "--process-group=nogroup"])
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("starting snmpsimd")
    };
    // Ready when it answers (it indexes the recordings first).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let probe = Command::new("snmpget")
            .args(["-v2c", "-c", "apc_smt750x-nmc2", "-t", "0.5", "-r", "0"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("1.3.6.1.2.1.1.2.0")
            .output()
            .unwrap();
        if probe.status.success() {
            break;
        }
        if !matches!(child.try_wait(), Ok(None)) || Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.path().join("snmpsimd.log")).unwrap_or_default();
            let _ = child.kill();
            panic!("snmpsimd did not start:\n{log}");
        }
    }
    // Keeps the pipe open (its end is in `child`).
    let _ = child.stdin.as_mut().unwrap().flush();
    Some(Sim {
        port,
        recordings,
        _dir: dir,
        child,
    })
}

fn sim() -> Option<&'static Sim> {
    static SIM: OnceLock<Option<Sim>> = OnceLock::new();
    SIM.get_or_init(start).as_ref()
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

fn options() -> ClientOptions {
    let mut o = ClientOptions::default();
    // Python on a shared machine: generous.
    o.timeout = Duration::from_secs(3);
    o.retries = 2;
    o
}

async fn client(port: u16, version: Version, community: &str, options: ClientOptions) -> Client {
    Client::connect(
        &format!("127.0.0.1:{port}"),
        Box::new(Community::new(version, community)),
        options,
    )
    .await
    .unwrap()
}

/// A value as net-snmp prints it with `-On -Ox -Ot -Oe -OU`, spaces collapsed.
fn net_snmp_text(value: &Value) -> String {
    let hex = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match value {
        Value::Integer(n) => format!("INTEGER: {n}"),
        Value::OctetString(b) if b.is_empty() => "\"\"".into(),
        Value::OctetString(b) => format!("Hex-STRING: {}", hex(b)),
        Value::Null => "NULL".into(),
        Value::ObjectId(o) => format!("OID: {o}"),
        Value::IpAddress([a, b, c, d]) => format!("IpAddress: {a}.{b}.{c}.{d}"),
        Value::Counter32(n) => format!("Counter32: {n}"),
        Value::Gauge32(n) => format!("Gauge32: {n}"),
        Value::TimeTicks(n) => n.to_string(),
        Value::Opaque(b) => format!("OPAQUE: {}", hex(b)),
        Value::Counter64(n) => format!("Counter64: {n}"),
        Value::NoSuchObject => "No Such Object available on this agent at this OID".into(),
        Value::NoSuchInstance => "No Such Instance currently exists at this OID".into(),
        Value::EndOfMibView => {
            "No more variables left in this MIB View (It is past the end of the MIB tree)".into()
        }
    }
}

/// Runs a net-snmp tool with `args` against `target` and reads its `OID = value` lines
/// (without endOfMibView exceptions).
fn net_snmp(
    tool: &str,
    version: Version,
    community: &str,
    target: &str,
    args: &[String],
) -> Vec<(String, String)> {
    let out = Command::new(tool)
        .args(["-On", "-Ox", "-Ot", "-Oe", "-OU", "-t", "3", "-r", "2"])
        .args(["-v", if version == Version::V1 { "1" } else { "2c" }])
        .args(["-c", community, target])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        // snmpwalk's note at the end of the agent's MIB.
        if line == "End of MIB" {
            continue;
        }
        match line.split_once(" = ") {
            Some((o, v)) if o.starts_with('.') => lines.push((o.to_owned(), v.to_owned())),
            // A hex string goes on over several lines.
            _ => {
                let last = lines.last_mut().expect("output starts with a variable");
                last.1.push(' ');
                last.1.push_str(line);
            }
        }
    }
    for (_, v) in &mut lines {
        *v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    // snmpbulkwalk prints the endOfMibView exceptions of the last answer (as many as the
    // agent sent): not variables.
    let end = net_snmp_text(&Value::EndOfMibView);
    lines.retain(|(_, v)| *v != end);
    lines
}

fn ours(varbinds: &[VarBind]) -> Vec<(String, String)> {
    varbinds
        .iter()
        .map(|vb| (vb.oid.to_string(), net_snmp_text(&vb.value)))
        .collect()
}

/// Up to `n` OIDs spread over `recording`, and two it does not have (an unknown object, and
/// an unknown instance of a known one).
fn sample(recording: &Recording, n: usize) -> Vec<Oid> {
    let vars = recording.vars();
    let step = vars.len().div_ceil(n).max(1);
    let mut oids: Vec<Oid> = vars.iter().step_by(step).map(|(o, _)| o.clone()).collect();
    let mut instance = vars[0].0.clone();
    *instance.0.last_mut().unwrap() += 1000;
    oids.insert(oids.len() / 2, instance);
    oids.insert(1, oid("1.3.6.1.2.1.1.99.0"));
    oids
}

const COMMUNITIES: &[&str] = &[
    "apc_smt750x-nmc2",
    "cetpower",
    "cxc_ups",
    "cyberpower",
    "eatonups",
    "huaweiups",
    "liebert",
    "netvision-rfc",
    "sentry4",
    "socomec-ups",
];

/// GET: our client reads what snmpget reads, in SNMPv1 (where snmpget drops the variables
/// that fail with noSuchName and asks again, and ours reports them as NoSuchObject) and v2c.
#[tokio::test]
async fn get_reads_what_snmpget_reads() {
    let Some(sim) = sim() else { return };
    let target = format!("127.0.0.1:{}", sim.port);
    for community in COMMUNITIES {
        let (_, recording) = sim.recordings.get(community.as_bytes()).unwrap();
        let oids = sample(recording, 58);
        let args: Vec<String> = oids.iter().map(ToString::to_string).collect();
        for version in [Version::V1, Version::V2c] {
            let mut c = client(sim.port, version, community, options()).await;
            let got = c.get(&oids).await.unwrap();
            let mut ours = ours(&got);
            let theirs = net_snmp("snmpget", version, community, &target, &args);
            if version == Version::V1 {
                let absent = net_snmp_text(&Value::NoSuchObject);
                assert!(ours.iter().filter(|(_, v)| *v == absent).count() >= 2);
                ours.retain(|(_, v)| *v != absent);
            }
            assert_eq!(ours, theirs, "{community} {version}");
        }
    }
}

/// Every variable of every recording, read back from snmpsimd, is what our parser read from
/// the file (so both read the recordings alike), in 64-variable GETs.
#[tokio::test]
async fn snmpsimd_serves_what_we_parse() {
    let Some(sim) = sim() else { return };
    let mut o = options();
    o.max_varbinds = 64;
    let mut total = 0;
    for community in sim.recordings.communities() {
        let (_, recording) = sim.recordings.get(community.as_bytes()).unwrap();
        let oids: Vec<Oid> = recording.vars().iter().map(|(o, _)| o.clone()).collect();
        let mut c = client(sim.port, Version::V2c, community, o.clone()).await;
        let got = c.get(&oids).await.unwrap();
        for (vb, (oid, value)) in got.iter().zip(recording.vars()) {
            assert_eq!((&vb.oid, &vb.value), (oid, value), "{community}");
        }
        total += got.len();
    }
    assert_eq!(total, 56_568);
}

/// Walks: ours (GETNEXT in v1, GETBULK in v2c) read what snmpwalk and snmpbulkwalk read.
#[tokio::test]
async fn walks_read_what_snmpwalk_reads() {
    let Some(sim) = sim() else { return };
    let target = format!("127.0.0.1:{}", sim.port);
    let cases = [
        ("apc_smt750x-nmc2", "1.3.6.1.4.1.318.1.1.1"),
        ("apc_smt750x-nmc2", "1.3.6.1.2.1.1"),
        ("eatonups", "1.3.6.1"),
        ("netvision-rfc", "1.3.6.1.2.1.33"),
        ("cyberpower", "1.3.6.1.4.1.3808"),
    ];
    for (community, root) in cases {
        let root = oid(root);
        for (version, tool) in [(Version::V1, "snmpwalk"), (Version::V2c, "snmpbulkwalk")] {
            let mut c = client(sim.port, version, community, options()).await;
            let walked = c.walk(&root).await.unwrap();
            assert!(!walked.is_empty(), "{community} {root}");
            let theirs = net_snmp(tool, version, community, &target, &[root.to_string()]);
            assert_eq!(ours(&walked), theirs, "{community} {root} {version}");
            // And that is the recording's subtree (SNMPv1 without its Counter64s).
            let (_, recording) = sim.recordings.get(community.as_bytes()).unwrap();
            let expected: Vec<&Oid> = recording
                .vars()
                .iter()
                .filter(|(o, v)| {
                    o.starts_with(&root)
                        && !(version == Version::V1 && matches!(v, Value::Counter64(_)))
                })
                .map(|(o, _)| o)
                .collect();
            let walked: Vec<&Oid> = walked.iter().map(|vb| &vb.oid).collect();
            assert_eq!(walked, expected, "{community} {root} {version}");
            eprintln!(
                "{community} {root} {version}: {} variables in {} round trips",
                walked.len(),
                c.stats().answered
            );
        }
    }
}

/// The figures: round trips of a 60-variable GET with the default options.
#[tokio::test]
async fn round_trips_of_a_60_variable_get() {
    let Some(sim) = sim() else { return };
    let community = "apc_smt750x-nmc2";
    let (_, recording) = sim.recordings.get(community.as_bytes()).unwrap();
    let oids: Vec<Oid> = recording
        .vars()
        .iter()
        .take(60)
        .map(|(o, _)| o.clone())
        .collect();
    for version in [Version::V1, Version::V2c] {
        let mut c = client(sim.port, version, community, ClientOptions::default()).await;
        let started = Instant::now();
        let got = c.get(&oids).await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(got.len(), 60);
        let absent = got
            .iter()
            .filter(|vb| vb.value.is_exception() || vb.value == Value::NoSuchObject)
            .count();
        eprintln!(
            "60-variable GET, {version}: {} round trips ({} absent), {elapsed:?}",
            c.stats().answered,
            absent
        );
        // 32 + 28 (and in v1, one more round trip per variable snmpsimd cannot give).
        assert_eq!(
            c.stats().answered,
            2 + if version == Version::V1 {
                absent as u64
            } else {
                0
            }
        );
    }
}

/// snmpsimd does not write: SNMPv1 says noSuchName, v2c answers with an exception.
#[tokio::test]
async fn set_refused_by_snmpsimd() {
    let Some(sim) = sim() else { return };
    let vb = [VarBind {
        oid: oid("1.3.6.1.2.1.1.5.0"),
        value: Value::OctetString(b"test".to_vec()),
    }];
    let mut c = client(sim.port, Version::V1, "apc_smt750x-nmc2", options()).await;
    let err = c.set(&vb).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "127.0.0.1:{} answered noSuchName for .1.3.6.1.2.1.1.5.0 (error-index 1)",
            sim.port
        )
    );
    let mut c = client(sim.port, Version::V2c, "apc_smt750x-nmc2", options()).await;
    let err = c.set(&vb).await.unwrap_err();
    assert!(matches!(err, SnmpError::Protocol { .. }), "{err}");
}

/// Our agent in process, read by net-snmp's tools: the same answers snmpsimd gives.
#[tokio::test]
async fn our_agent_answers_snmpget_as_snmpsimd_does() {
    let Some(sim) = sim() else { return };
    let set = Arc::new(sim.recordings.clone());
    let agent = Agent::with_set(set)
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let ours_target = agent.target();
    let theirs_target = format!("127.0.0.1:{}", sim.port);
    for community in COMMUNITIES {
        let (_, recording) = sim.recordings.get(community.as_bytes()).unwrap();
        let args: Vec<String> = sample(recording, 40)
            .iter()
            .filter(|o| recording.get(o).is_some())
            .map(ToString::to_string)
            .collect();
        for version in [Version::V1, Version::V2c] {
            let (a, b) = tokio::task::spawn_blocking({
                let (args, ours_target, theirs_target) =
                    (args.clone(), ours_target.clone(), theirs_target.clone());
                move || {
                    (
                        net_snmp("snmpget", version, community, &ours_target, &args),
                        net_snmp("snmpget", version, community, &theirs_target, &args),
                    )
                }
            })
            .await
            .unwrap();
            assert_eq!(a, b, "{community} {version}");
        }
        let root = recording.vars()[0].0 .0[..4].to_vec();
        let args = [Oid(root).to_string()];
        let (a, b) = tokio::task::spawn_blocking({
            let (ours_target, theirs_target) = (ours_target.clone(), theirs_target.clone());
            move || {
                (
                    net_snmp("snmpbulkwalk", Version::V2c, community, &ours_target, &args),
                    net_snmp(
                        "snmpbulkwalk",
                        Version::V2c,
                        community,
                        &theirs_target,
                        &args,
                    ),
                )
            }
        })
        .await
        .unwrap();
        assert_eq!(a, b, "{community} bulkwalk");
    }
}
