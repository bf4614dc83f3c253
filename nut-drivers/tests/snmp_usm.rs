//! SNMPv3 USM against a real agent: snmpsimd (pysnmp) serving a recorded APC Smart-UPS, with a
//! user for each authentication and each privacy protocol, through a minimal blocking UDP loop
//! (wrap, send, receive with a timeout, unwrap, send again on `Resend`); net-snmp's `snmpget`
//! asks the same agent the same question, as a cross-check.
//!
//! Skips when snmpsimd or the recordings are missing, unless `NUT_RS_INTEROP=1` (CI), which
//! makes that a failure. One agent for the whole binary, killed by a guard even on panic.

use std::net::UdpSocket;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nut_drivers::snmp::pdu::{Incoming, Oid, Pdu, PduKind, Security, SecurityError, Value};
use nut_drivers::snmp::usm::{AuthProtocol, Password, PrivProtocol, SecurityLevel, Usm, UsmConfig};

const RECORDING: &str = "apc_smt750x-nmc2";
const SYS_OBJECT_ID: &str = ".1.3.6.1.2.1.1.2.0";
const APC_MODEL: &str = ".1.3.6.1.4.1.318.1.1.1.1.1.1.0";
const AUTH_PASSWORD: &str = "authpass123";
const PRIV_PASSWORD: &str = "privpass456";

/// A user of the agent: name, level, protocols, and snmpsimd's names for them.
struct User {
    name: &'static str,
    level: SecurityLevel,
    auth: AuthProtocol,
    privacy: PrivProtocol,
    sim_auth: &'static str,
    sim_priv: &'static str,
}

const fn user(
    name: &'static str,
    level: SecurityLevel,
    auth: AuthProtocol,
    privacy: PrivProtocol,
    sim_auth: &'static str,
    sim_priv: &'static str,
) -> User {
    User {
        name,
        level,
        auth,
        privacy,
        sim_auth,
        sim_priv,
    }
}

use AuthProtocol as A;
use PrivProtocol as P;
use SecurityLevel::{AuthNoPriv, AuthPriv, NoAuthNoPriv};

/// pysnmp calls the Blumenthal extension `AES192BLMT`/`AES256BLMT`, and the Reeder (Cisco) one
/// `AES192`/`AES256`: the other way round from net-snmp's `AES192`/`AES192C`.
const USERS: &[User] = &[
    user("noauth", NoAuthNoPriv, A::Md5, P::Des, "", ""),
    user("md5", AuthNoPriv, A::Md5, P::Des, "MD5", ""),
    user("sha", AuthNoPriv, A::Sha1, P::Des, "SHA", ""),
    user("sha224", AuthNoPriv, A::Sha224, P::Des, "SHA224", ""),
    user("sha256", AuthNoPriv, A::Sha256, P::Des, "SHA256", ""),
    user("sha384", AuthNoPriv, A::Sha384, P::Des, "SHA384", ""),
    user("sha512", AuthNoPriv, A::Sha512, P::Des, "SHA512", ""),
    user("md5-des", AuthPriv, A::Md5, P::Des, "MD5", "DES"),
    user("sha-aes", AuthPriv, A::Sha1, P::Aes128, "SHA", "AES"),
    user(
        "md5-aes192",
        AuthPriv,
        A::Md5,
        P::Aes192,
        "MD5",
        "AES192BLMT",
    ),
    user(
        "sha-aes256",
        AuthPriv,
        A::Sha1,
        P::Aes256,
        "SHA",
        "AES256BLMT",
    ),
    user(
        "md5-aes192c",
        AuthPriv,
        A::Md5,
        P::Aes192Reeder,
        "MD5",
        "AES192",
    ),
    user(
        "sha-aes256c",
        AuthPriv,
        A::Sha1,
        P::Aes256Reeder,
        "SHA",
        "AES256",
    ),
    user("sha512-des", AuthPriv, A::Sha512, P::Des, "SHA512", "DES"),
    user(
        "sha256-aes256",
        AuthPriv,
        A::Sha256,
        P::Aes256,
        "SHA256",
        "AES256BLMT",
    ),
];

/// Whether `program` is on PATH; panics when it is not and `NUT_RS_INTEROP=1`.
fn have(program: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).exists()));
    if !found {
        assert!(
            std::env::var("NUT_RS_INTEROP").as_deref() != Ok("1"),
            "NUT_RS_INTEROP=1 but {program} is not installed"
        );
        eprintln!("note: {program} not installed, skipping this interop test");
    }
    found
}

/// The recording, or `None` (skip) when the shared test data is absent.
fn recording() -> Option<PathBuf> {
    let root = std::env::var_os("NUT_RS_TESTDATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"),
        PathBuf::from,
    );
    let path = root.join(format!("snmprec/{RECORDING}.snmprec"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("NUT_RS_INTEROP").as_deref() != Ok("1"),
        "NUT_RS_INTEROP=1 but {} is missing",
        path.display()
    );
    eprintln!("note: {} is missing; skipping", path.display());
    None
}

/// snmpsimd, killed when dropped.
struct Agent {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Agent {
    fn start(recording: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (data, cache) = (dir.path().join("data"), dir.path().join("cache"));
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::copy(recording, data.join(format!("{RECORDING}.snmprec"))).unwrap();
        for p in [dir.path(), &data, &cache] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let port = free_udp_port();
        let mut cmd = Command::new("snmpsimd");
        cmd.arg(format!("--cache-dir={}", cache.display()));
        // As root it must drop privileges; the folders above are open to nobody.
        if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
            cmd.args(["--process-user=nobody", "--process-group=nogroup"]);
        }
        // The users belong to the engine named before them; the data and endpoint after them.
        cmd.arg("--v3-engine-id=8000000001020304");
        for u in USERS {
            cmd.arg(format!("--v3-user={}", u.name));
            if u.level.auth() {
                cmd.arg(format!("--v3-auth-key={AUTH_PASSWORD}"));
                cmd.arg(format!("--v3-auth-proto={}", u.sim_auth));
            }
            if u.level.privacy() {
                cmd.arg(format!("--v3-priv-key={PRIV_PASSWORD}"));
                cmd.arg(format!("--v3-priv-proto={}", u.sim_priv));
            }
        }
        cmd.arg(format!("--data-dir={}", data.display()));
        cmd.arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"));
        let log = std::fs::File::create(dir.path().join("snmpsimd.log")).unwrap();
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = cmd.spawn().expect("snmpsimd starts");
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("snmpsimd.log")).unwrap_or_default()
    }
}

/// A change to a user's configuration.
type Change = Box<dyn Fn(&mut UsmConfig)>;

/// Why a request failed.
#[derive(Debug)]
enum Failure {
    Security(SecurityError),
    Timeout,
}

/// The minimal blocking request loop: at most `tries` sends of the request, each waited for
/// `wait`; `Resend` sends it again at once (it does not count as a try).
fn request(
    usm: &mut Usm,
    socket: &UdpSocket,
    pdu: &Pdu,
    tries: u32,
    wait: Duration,
) -> Result<Pdu, Failure> {
    socket.set_read_timeout(Some(wait)).unwrap();
    let mut buf = vec![0; 65535];
    let mut sent = 0;
    let mut resends = 0;
    'send: loop {
        if sent == tries || resends > 10 {
            return Err(Failure::Timeout);
        }
        sent += 1;
        let datagram = usm.wrap(pdu).map_err(Failure::Security)?;
        socket.send(&datagram).unwrap();
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            let n = match socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue 'send;
                }
                // Nothing listens yet (ICMP port unreachable): as good as no answer.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    std::thread::sleep(Duration::from_millis(200));
                    continue 'send;
                }
                Err(e) => panic!("recv: {e}"),
            };
            match usm.unwrap(&buf[..n]) {
                Ok(Incoming::Pdu(p)) if p.request_id == pdu.request_id => return Ok(p),
                Ok(Incoming::Pdu(_)) => {}
                Err(SecurityError::Malformed(why)) => {
                    if std::env::var_os("NUT_RS_USM_DEBUG").is_some() {
                        eprintln!("ignored: {why}: {:02x?}", &buf[..n]);
                    }
                }
                Ok(Incoming::Resend) => {
                    sent -= 1;
                    resends += 1;
                    continue 'send;
                }
                Err(e) => return Err(Failure::Security(e)),
            }
        }
    }
}

fn config(u: &User) -> UsmConfig {
    UsmConfig {
        level: u.level,
        user: u.name.into(),
        context: RECORDING.into(),
        auth_protocol: u.auth,
        auth_password: Some(Password::new(AUTH_PASSWORD)),
        priv_protocol: u.privacy,
        priv_password: Some(Password::new(PRIV_PASSWORD)),
    }
}

fn connect(agent: &Agent) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(("127.0.0.1", agent.port)).unwrap();
    socket
}

fn get(usm: &mut Usm, socket: &UdpSocket, request_id: i32) -> Result<Pdu, Failure> {
    let oids: [Oid; 2] = [SYS_OBJECT_ID.parse().unwrap(), APC_MODEL.parse().unwrap()];
    request(
        usm,
        socket,
        &Pdu::request(PduKind::Get, request_id, oids),
        3,
        Duration::from_secs(2),
    )
}

/// The answer a GET of sysObjectID and the model must get from the recording.
fn check_answer(pdu: &Pdu) -> Result<(), String> {
    let values: Vec<&Value> = pdu.varbinds.iter().map(|vb| &vb.value).collect();
    let want_oid = Value::ObjectId(".1.3.6.1.4.1.318.1.3.27".parse().unwrap());
    let want_model = Value::OctetString(b"Smart-UPS X 750".to_vec());
    if pdu.error_status == 0 && values == [&want_oid, &want_model] {
        Ok(())
    } else {
        Err(format!("unexpected answer {pdu:?}"))
    }
}

/// Waits until the agent answers (it indexes its data on start).
fn wait_until_ready(agent: &mut Agent) {
    let deadline = Instant::now() + Duration::from_secs(45);
    let socket = connect(agent);
    while Instant::now() < deadline {
        if let Some(status) = agent.child.try_wait().unwrap() {
            panic!("snmpsimd exited ({status}):\n{}", agent.log());
        }
        let mut usm = Usm::new(config(&USERS[0])).unwrap();
        if get_once(&mut usm, &socket).is_ok() {
            return;
        }
    }
    panic!("snmpsimd did not answer within 45 s:\n{}", agent.log());
}

fn get_once(usm: &mut Usm, socket: &UdpSocket) -> Result<Pdu, Failure> {
    let pdu = Pdu::request(PduKind::Get, 1, [SYS_OBJECT_ID.parse().unwrap()]);
    request(usm, socket, &pdu, 1, Duration::from_millis(500))
}

#[test]
fn snmpsimd_every_protocol() {
    if !have("snmpsimd") {
        return;
    }
    let Some(recording) = recording() else {
        return;
    };
    let started = Instant::now();
    let mut agent = Agent::start(&recording);
    wait_until_ready(&mut agent);
    eprintln!("snmpsimd ready after {:?}", started.elapsed());
    let socket = connect(&agent);
    let mut failures = Vec::new();

    // Every user: discovery, time synchronisation, two GETs (the second without discovery).
    for (i, u) in USERS.iter().enumerate() {
        let label = format!(
            "{} ({}, {}, {})",
            u.name,
            u.level,
            u.auth,
            if u.level.privacy() {
                u.privacy.name()
            } else {
                "-"
            }
        );
        let mut usm = Usm::new(config(u)).unwrap();
        let outcome = get(&mut usm, &socket, 100 + i as i32)
            .map_err(|e| format!("{e:?}"))
            .and_then(|p| check_answer(&p))
            .and_then(|()| {
                get(&mut usm, &socket, 200 + i as i32)
                    .map_err(|e| format!("{e:?}"))
                    .and_then(|p| check_answer(&p))
            });
        match outcome {
            Ok(()) => eprintln!("ok     {label}"),
            Err(e) => {
                eprintln!("FAILED {label}: {e}");
                failures.push(format!("{label}: {e}"));
            }
        }
    }

    // Refusals come from the agent's reports, at once: no waiting for a timeout.
    let refusals: [(&str, Change, &str); 3] = [
        (
            "wrong authentication password",
            Box::new(|c| c.auth_password = Some(Password::new("wrongpass123"))),
            "authentication failure",
        ),
        // snmpsimd (pysnmp 4.4.12) answers neither an unknown user nor an undecryptable
        // request (net-snmp's snmpget times out the same way): the scripted agent of the unit
        // tests checks the refusals that usmStatsUnknownUserNames and
        // usmStatsDecryptionErrors reports bring.
        ("unknown user", Box::new(|c| c.user = "ghost".into()), ""),
        (
            "wrong privacy password",
            Box::new(|c| c.priv_password = Some(Password::new("wrongpass456"))),
            "",
        ),
    ];
    for (what, change, want) in refusals {
        let mut c = config(&USERS[8]);
        change(&mut c);
        let mut usm = Usm::new(c).unwrap();
        let t = Instant::now();
        let outcome = get(&mut usm, &socket, 300);
        let took = t.elapsed();
        match outcome {
            Err(Failure::Security(SecurityError::Refused(m))) if m.contains(want) => {
                eprintln!("ok     {what}: refused after {took:?}: {m}");
            }
            Err(Failure::Timeout) if want.is_empty() => {
                eprintln!("note   {what}: snmpsimd sends no report, timed out after {took:?}");
            }
            other => {
                eprintln!("FAILED {what}: {other:?}");
                failures.push(format!("{what}: {other:?}"));
            }
        }
    }

    // net-snmp's snmpget asks the same agent as users of each kind.
    if have("snmpget") {
        for (name, level, args) in [
            ("noauth", "noAuthNoPriv", &[][..]),
            (
                "sha512",
                "authNoPriv",
                &["-a", "SHA-512", "-A", AUTH_PASSWORD][..],
            ),
            (
                "md5-des",
                "authPriv",
                &[
                    "-a",
                    "MD5",
                    "-A",
                    AUTH_PASSWORD,
                    "-x",
                    "DES",
                    "-X",
                    PRIV_PASSWORD,
                ][..],
            ),
            (
                "sha-aes256",
                "authPriv",
                &[
                    "-a",
                    "SHA",
                    "-A",
                    AUTH_PASSWORD,
                    "-x",
                    "AES-256",
                    "-X",
                    PRIV_PASSWORD,
                ][..],
            ),
        ] {
            let out = Command::new("snmpget")
                .args([
                    "-v3", "-l", level, "-u", name, "-n", RECORDING, "-r", "1", "-t", "2",
                ])
                .args(args)
                .args(["-On", "-Ov"])
                .arg(format!("127.0.0.1:{}", agent.port))
                .args([SYS_OBJECT_ID, APC_MODEL])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let want = "OID: .1.3.6.1.4.1.318.1.3.27\nSTRING: \"Smart-UPS X 750\"\n";
            if text == want {
                eprintln!("ok     snmpget as {name}: same answer");
            } else {
                let err = String::from_utf8_lossy(&out.stderr);
                failures.push(format!("snmpget as {name}: {text:?} {err:?}"));
            }
        }
    }

    eprintln!("interop run took {:?}", started.elapsed());
    assert!(
        failures.is_empty(),
        "{}\n--- snmpsimd log (tail) ---\n{}",
        failures.join("\n"),
        agent
            .log()
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
