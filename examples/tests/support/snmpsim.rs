//! A real SNMP agent for the differential tests: `snmpsimd` serving the recordings of
//! `../shared/testdata/snmprec`, each under its file name as community (SNMPv1/v2c) or context
//! name (SNMPv3), started once per test binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::Proc;

/// A running snmpsimd.
pub(crate) struct Snmpsim {
    /// `127.0.0.1:<port>`.
    pub(crate) address: String,
    /// The recordings it serves (file stems), sorted.
    pub(crate) recordings: Vec<String>,
    _dir: tempfile::TempDir,
    _proc: Proc,
}

/// A v3 user snmpsimd knows: name, auth protocol and key, privacy protocol and key (as
/// snmpsimd names the protocols).
pub(crate) struct V3User {
    /// The user name.
    pub(crate) name: &'static str,
    /// `--v3-auth-proto` (`NONE` for noAuthNoPriv).
    pub(crate) auth: &'static str,
    /// `--v3-priv-proto` (`NONE` for no privacy).
    pub(crate) privacy: &'static str,
}

/// The shared agent, or `None` (with a message, or a panic under `NUT_RS_INTEROP=1`) when
/// snmpsimd or the recordings are missing.
pub(crate) fn shared(users: &[V3User]) -> Option<&'static Snmpsim> {
    static AGENT: OnceLock<Option<Snmpsim>> = OnceLock::new();
    AGENT.get_or_init(|| start(users)).as_ref()
}

/// The auth key every test user has.
pub(crate) const AUTH_KEY: &str = "authkey-0123";
/// The privacy key every test user has.
pub(crate) const PRIV_KEY: &str = "privkey-0123";

fn start(users: &[V3User]) -> Option<Snmpsim> {
    let address = format!("127.0.0.1:{}", udp_port());
    start_at(&[address.as_str()], users)
}

/// An agent of its own listening on every one of `endpoints` (`address:port`), serving the
/// recordings; stopped when dropped (or when the test process ends). `address` is the first.
pub(crate) fn start_at(endpoints: &[&str], users: &[V3User]) -> Option<Snmpsim> {
    if !super::have(&["snmpsimd", "snmpget"]) {
        return None;
    }
    let source = super::recorded("snmprec")?;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&cache).unwrap();
    let mut recordings = Vec::new();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "snmprec") {
            std::fs::copy(&path, data.join(path.file_name().unwrap())).unwrap();
            recordings.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    recordings.sort();
    open_up(dir.path());
    let address = endpoints[0].to_owned();
    // The agent lives in a static, which is never dropped: a shell stops it when the test
    // process ends and its end of the pipe closes (even after a panic or a kill), so that no
    // snmpsimd outlives the tests.
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "snmpsimd \"$@\" & pid=$!; cat >/dev/null; kill $pid; wait $pid",
        "sh",
    ])
    .arg(format!("--data-dir={}", data.display()))
    .arg(format!("--cache-dir={}", cache.display()))
    .args(
        endpoints
            .iter()
            .map(|e| format!("--agent-udpv4-endpoint={e}")),
    )
    .args(["--process-user=nobody", "--process-group=nogroup"]);
    for u in users {
        cmd.arg(format!("--v3-user={}", u.name));
        if u.auth != "NONE" {
            cmd.arg(format!("--v3-auth-key={AUTH_KEY}"))
                .arg(format!("--v3-auth-proto={}", u.auth));
        }
        if u.privacy != "NONE" {
            cmd.arg(format!("--v3-priv-key={PRIV_KEY}"))
                .arg(format!("--v3-priv-proto={}", u.privacy));
        }
    }
    let proc = {
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;
        cmd.stdin(Stdio::piped()).process_group(0);
        if std::env::var_os("NUT_RS_TEST_VERBOSE").is_none() {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
        Proc(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("can't start snmpsimd: {e}")),
        )
    };
    let probe = recordings.first().cloned().unwrap_or_default();
    super::wait_for(
        "snmpsimd to answer",
        Duration::from_secs(120),
        Duration::from_millis(300),
        || {
            Command::new("snmpget")
                .args([
                    "-v2c",
                    "-c",
                    &probe,
                    "-r",
                    "0",
                    "-t",
                    "1",
                    &address,
                    ".1.3.6.1.2.1.1.2.0",
                ])
                .output()
                .ok()
                .filter(|o| o.status.success())
        },
    );
    Some(Snmpsim {
        address,
        recordings,
        _dir: dir,
        _proc: proc,
    })
}

/// Lets user `nobody` (snmpsimd's) read the data and write the cache.
fn open_up(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let walk = |p: &Path| -> Vec<PathBuf> {
        let mut all = vec![p.to_path_buf()];
        let mut i = 0;
        while i < all.len() {
            if all[i].is_dir() {
                for e in std::fs::read_dir(&all[i]).unwrap() {
                    all.push(e.unwrap().path());
                }
            }
            i += 1;
        }
        all
    };
    for p in walk(dir) {
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777));
    }
}

/// A UDP port that was free a moment ago.
pub(crate) fn udp_port() -> u16 {
    for _ in 0..100 {
        let port = super::free_port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free UDP port")
}
