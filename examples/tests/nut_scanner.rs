//! Our `nut-scanner` next to Debian's C `nut-scanner` 2.8.0: the same command line, the same
//! bytes on standard output.
//!
//! - `-O`: C upsd and our upsd (each over its own dummy-ups) listening on several loopback
//!   addresses on a free port; ranges given by `-s`/`-e` and by `-m`, printed as `ups.conf`
//!   sections (default, `-N`) and parsable lines (`-P`). And, as root, a range of addresses
//!   that drop every packet (a network namespace routing them to an unread tun device): ours
//!   must end in about one timeout.
//! - `-E`: nut-sim's units on pseudo-terminals (the Q1 family, APC Smart, SHUT and XCP) and
//!   hand-made silent, echoing and noisy ports, each port alone and, as root, a list of
//!   ports through links in /dev; where ours finds more or less than C, the test says why.
//!
//! Without the C programs the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

mod support;
mod usb;

use support::{free_port, have, snmpsim, Proc, C_DUMMY, C_UPSD};

const C_SCANNER: &str = "/usr/bin/nut-scanner";
const OURS: &str = env!("CARGO_BIN_EXE_nut-scanner");
/// Guards against a hang only.
const DEADLINE: Duration = Duration::from_secs(90);

/// What one scanner printed.
struct Run {
    stdout: String,
    stderr: String,
    /// The exit status (`None`: killed by a signal).
    code: Option<i32>,
}

/// Runs `program args…` (with `env`) to the end, killing it after [`DEADLINE`].
fn scan(program: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = support::Kill::spawn(&mut cmd);
    support::wait_for(
        &format!("{program} {args:?} to end"),
        DEADLINE,
        Duration::from_millis(20),
        || child.0.try_wait().ok().flatten(),
    );
    let out = child.take_output();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// C's and ours with the same arguments; panics unless stdout is the same. Returns C's output.
fn same(args: &[&str], env: &[(&str, &str)]) -> String {
    let c = scan(C_SCANNER, args, env);
    let ours = scan(OURS, args, env);
    assert_eq!(
        ours.stdout, c.stdout,
        "nut-scanner {args:?}: ours (left) and C's differ\nour stderr: {}\nC's stderr: {}",
        ours.stderr, c.stderr
    );
    c.stdout
}

/// An upsd (C's or ours) with one dummy-ups per UPS, listening on `addresses` at `port`.
struct Server {
    _dir: tempfile::TempDir,
    _procs: Vec<Proc>,
}

/// The files of an upsd set-up (ups.conf with one dummy-ups per UPS, upsd.conf listening on
/// `addresses` at `port`), not started.
struct Site {
    dir: tempfile::TempDir,
    upses: Vec<String>,
}

impl Site {
    /// `upses`: `(name, description)`.
    fn new(addresses: &[&str], port: u16, upses: &[(&str, Option<&str>)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (etc, state) = (dir.path().join("etc"), dir.path().join("state"));
        fs::create_dir_all(&etc).unwrap();
        fs::create_dir_all(&state).unwrap();
        let mut ups_conf = String::new();
        for (name, desc) in upses {
            let data = etc.join(format!("{name}.dev"));
            fs::write(&data, "ups.status: OL\nbattery.charge: 100\n").unwrap();
            ups_conf += &format!(
                "[{name}]\n\tdriver = dummy-ups\n\tport = {}\n",
                data.display()
            );
            if let Some(d) = desc {
                ups_conf += &format!("\tdesc = \"{d}\"\n");
            }
        }
        fs::write(etc.join("ups.conf"), ups_conf).unwrap();
        let listen: String = addresses
            .iter()
            .map(|a| format!("LISTEN {a} {port}\n"))
            .collect();
        fs::write(etc.join("upsd.conf"), listen).unwrap();
        fs::write(etc.join("upsd.users"), "").unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&state, fs::Permissions::from_mode(0o770)).unwrap();
        chown_nut(dir.path());
        Self {
            dir,
            upses: upses.iter().map(|(n, _)| (*n).to_owned()).collect(),
        }
    }

    fn etc(&self) -> std::path::PathBuf {
        self.dir.path().join("etc")
    }

    fn state(&self) -> std::path::PathBuf {
        self.dir.path().join("state")
    }
}

impl Server {
    /// `upses`: `(name, description)`.
    fn start(c: bool, addresses: &[&str], port: u16, upses: &[(&str, Option<&str>)]) -> Self {
        let (upsd, dummy) = if c {
            (C_UPSD, C_DUMMY)
        } else {
            (env!("CARGO_BIN_EXE_upsd"), env!("CARGO_BIN_EXE_dummy-ups"))
        };
        let site = Site::new(addresses, port, upses);
        let (etc, state) = (site.etc(), site.state());
        let env = |c: &mut Command| {
            c.env("NUT_CONFPATH", &etc).env("NUT_STATEPATH", &state);
        };
        let mut procs = Vec::new();
        for (name, _) in upses {
            let mut c = Command::new(dummy);
            c.args(["-a", name, "-u", "nut", "-F"]);
            env(&mut c);
            procs.push(Proc::spawn(&mut c));
        }
        wait(&state, upses);
        let mut c = Command::new(upsd);
        c.args(["-u", "nut", "-F"]);
        env(&mut c);
        procs.push(Proc::spawn(&mut c));
        for a in addresses {
            support::wait_for(
                "upsd to listen",
                DEADLINE,
                Duration::from_millis(50),
                || std::net::TcpStream::connect((*a, port)).ok(),
            );
        }
        Self {
            _dir: site.dir,
            _procs: procs,
        }
    }
}

fn wait(state: &Path, upses: &[(&str, Option<&str>)]) {
    support::wait_for(
        "driver sockets",
        DEADLINE,
        Duration::from_millis(50),
        || {
            upses
                .iter()
                .all(|(n, _)| state.join(format!("dummy-ups-{n}")).exists())
                .then_some(())
        },
    );
}

fn chown_nut(path: &Path) {
    let _ = Command::new("chown")
        .args(["-R", "nut:nut"])
        .arg(path)
        .status();
}

#[test]
fn nut_servers_on_several_addresses_are_found_as_c_finds_them() {
    if !have(&[C_SCANNER, C_UPSD, C_DUMMY]) {
        return;
    }
    let port = free_port();
    let _c = Server::start(
        true,
        &["127.0.0.2", "127.0.0.3", "::1"],
        port,
        &[("alpha", Some("Rack A")), ("beta", None)],
    );
    let _ours = Server::start(
        false,
        &["127.0.0.5"],
        port,
        &[("gamma", Some("Closet")), ("delta", None), ("eps", None)],
    );
    let port = port.to_string();
    // C probes its addresses in threads and lists what answers first first; one thread
    // (-T 1) makes its order the addresses' order, which is ours whatever the parallelism.
    let mut outputs = Vec::new();
    for display in [None, Some("-N"), Some("-P")] {
        let mut args = vec![
            "-O",
            "-q",
            "-T",
            "1",
            "-p",
            &port,
            "-s",
            "127.0.0.1",
            "-e",
            "127.0.0.6",
        ];
        args.extend(display);
        outputs.push(same(&args, &[]));
    }
    assert_eq!(outputs[0], outputs[1], "-N is the default");
    assert_eq!(
        outputs[2],
        "NUT:driver=\"nutclient\",port=\"alpha@127.0.0.2\"\n\
         NUT:driver=\"nutclient\",port=\"beta@127.0.0.2\"\n\
         NUT:driver=\"nutclient\",port=\"alpha@127.0.0.3\"\n\
         NUT:driver=\"nutclient\",port=\"beta@127.0.0.3\"\n\
         NUT:driver=\"nutclient\",port=\"gamma@127.0.0.5\"\n\
         NUT:driver=\"nutclient\",port=\"delta@127.0.0.5\"\n\
         NUT:driver=\"nutclient\",port=\"eps@127.0.0.5\"\n"
    );
    assert!(outputs[0].starts_with(
        "[nutdev1]\n\tdriver = \"nutclient\"\n\tport = \"alpha@127.0.0.2\"\n[nutdev2]\n"
    ));
    // A CIDR block, the long options, and the end before the start (C swaps them).
    same(
        &[
            "--oldnut_scan",
            "--quiet",
            "--thread",
            "1",
            "--port",
            &port,
            "--mask_cidr",
            "127.0.0.0/29",
        ],
        &[],
    );
    same(
        &[
            "-O",
            "-q",
            "-T",
            "1",
            "-p",
            &port,
            "-s",
            "127.0.0.5",
            "-e",
            "127.0.0.3",
            "-P",
        ],
        &[],
    );
    // One address, given by -e alone; and a port where nothing listens.
    same(&["-O", "-q", "-p", &port, "-e", "127.0.0.3", "-P"], &[]);
    let nothing = free_port().to_string();
    assert_eq!(
        same(&["-O", "-q", "-p", &nothing, "-m", "127.0.0.0/29"], &[]),
        ""
    );
    // IPv6: one address, and a range given by a CIDR block.
    let v6 = same(&["-O", "-q", "-p", &port, "-s", "::1", "-P"], &[]);
    assert_eq!(
        v6,
        "NUT:driver=\"nutclient\",port=\"alpha@::1\"\nNUT:driver=\"nutclient\",port=\"beta@::1\"\n"
    );
    same(
        &["-O", "-q", "-T", "1", "-p", &port, "-m", "::/126", "-P"],
        &[],
    );
    // Ours with its default parallelism prints the same as C with one thread.
    let c = scan(
        C_SCANNER,
        &["-O", "-q", "-T", "1", "-p", &port, "-m", "127.0.0.0/28"],
        &[],
    );
    let ours = scan(OURS, &["-O", "-q", "-p", &port, "-m", "127.0.0.0/28"], &[]);
    assert_eq!(ours.stdout, c.stdout);
}

#[test]
fn version_and_available_buses_are_c_s() {
    if !have(&[C_SCANNER]) {
        return;
    }
    for args in [&["-V"][..], &["--version"], &["-a"], &["--available"]] {
        same(args, &[]);
    }
}

/// C 2.8.0's options, short and long (its getopt table).
const C_OPTIONS: [(char, &str); 32] = [
    ('C', "complete_scan"),
    ('U', "usb_scan"),
    ('S', "snmp_scan"),
    ('M', "xml_scan"),
    ('O', "oldnut_scan"),
    ('A', "avahi_scan"),
    ('I', "ipmi_scan"),
    ('E', "eaton_serial"),
    ('T', "thread"),
    ('t', "timeout"),
    ('s', "start_ip"),
    ('e', "end_ip"),
    ('m', "mask_cidr"),
    ('c', "community"),
    ('l', "secLevel"),
    ('u', "secName"),
    ('w', "authProtocol"),
    ('W', "authPassword"),
    ('x', "privProtocol"),
    ('X', "privPassword"),
    ('b', "username"),
    ('B', "password"),
    ('d', "authType"),
    ('L', "cipher_suite_id"),
    ('p', "port"),
    ('N', "disp_nut_conf"),
    ('P', "disp_parsable"),
    ('q', "quiet"),
    ('D', "nut_debug_level"),
    ('V', "version"),
    ('a', "available"),
    ('h', "help"),
];

/// What C writes on stderr after its usage when an option cannot be used.
const OPTIONS_WARNING: &str = "\n\nWARNING: Some error has occurred while processing 'nut-scanner' \
                               command-line\narguments, see more details above the usage help text.\n\n";

#[test]
fn help_lists_every_c_option_and_exits_0() {
    if !have(&[C_SCANNER]) {
        return;
    }
    for args in [&["-h"][..], &["--help"]] {
        let c = scan(C_SCANNER, args, &[]);
        let ours = scan(OURS, args, &[]);
        assert_eq!((ours.code, c.code), (Some(0), Some(0)), "{args:?}");
        assert_eq!(
            (ours.stderr.as_str(), c.stderr.as_str()),
            ("", ""),
            "{args:?}"
        );
        for (short, long) in C_OPTIONS {
            let flag = format!("-{short}, --{long}");
            assert!(ours.stdout.contains(&flag), "{args:?}: ours lacks {flag}");
        }
        // Every option C's own help shows is in the table above.
        for line in c.stdout.lines().filter(|l| l.starts_with("  -")) {
            let flag = line.trim_start().split(':').next().unwrap();
            let flag = flag.split(' ').take(2).collect::<Vec<_>>().join(" ");
            assert!(ours.stdout.contains(&flag), "ours lacks {flag}");
        }
    }
}

#[test]
fn unavailable_scans_and_bad_options_answer_as_c() {
    if !have(&[C_SCANNER]) {
        return;
    }
    // XML/HTTP and IPMI are built into neither: the usage and a warning, exit 0. An unknown
    // option or a missing value: the same, exit 255 (C's -1).
    for args in [
        &["-M"][..],
        &["--xml_scan"],
        &["-I"],
        &["-O", "-I", "-P"],
        &["-b", "admin"],
        &["--cipher_suite_id", "3"],
        &["-Z"],
        &["--nonsense"],
        &["-O", "-t"],
    ] {
        let c = scan(C_SCANNER, args, &[]);
        let ours = scan(OURS, args, &[]);
        assert_eq!(ours.code, c.code, "{args:?}: exit status");
        for (who, run) in [("C", &c), ("ours", &ours)] {
            assert!(
                run.stderr.ends_with(OPTIONS_WARNING),
                "{args:?}: {who}: {}",
                run.stderr
            );
            assert!(
                run.stdout.contains("-O, --oldnut_scan"),
                "{args:?}: {who}: no usage"
            );
        }
        if c.code == Some(0) {
            assert_eq!(ours.stderr, c.stderr, "{args:?}");
        }
    }
}

#[test]
fn bad_ranges_are_clear_errors() {
    for args in [
        &["-O", "-s", "127.0.0.300"][..],
        &["-O", "-m", "127.0.0.1"],
        &["-O", "-m", "127.0.0.1/40"],
        &["-O", "-s", "::1", "-e", "127.0.0.1"],
        &["-O", "-s", "127.0.0.1", "-p", "http"],
    ] {
        let run = scan(OURS, args, &[]);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}: no message");
    }
}

/// Runs `script` (bash) in a new network namespace where 10.99.0.0/24 is routed to a tun
/// device that nobody reads: every packet to it vanishes. `None` (with a note, or a panic under
/// `NUT_RS_INTEROP=1`) unless root with `unshare` and `ip`.
fn in_dropping_namespace(script: &str) -> Option<Run> {
    let root = nix::unistd::Uid::effective().is_root();
    if !root || Command::new("ip").arg("-V").output().is_err() {
        support::skip_unless_interop(&["root with unshare and ip (a network namespace)"]);
        return None;
    }
    // A tun device nobody reads: what is routed to it vanishes (the dummy interface would do
    // as well, but not every kernel has its module).
    let setup = "ip link set lo up && ip tuntap add dev t0 mode tun && ip link set t0 up && \
                 ip route add 10.99.0.0/24 dev t0 && ";
    Some(scan(
        "unshare",
        &["-n", "bash", "-c", &format!("{setup}{script}")],
        &[],
    ))
}

#[test]
fn a_range_that_drops_packets_costs_about_one_timeout() {
    if !have(&[C_SCANNER]) {
        return;
    }
    // First make sure packets really vanish there: a connection neither succeeds nor is
    // refused within the timeout.
    let Some(probe) = in_dropping_namespace(
        "timeout 3 bash -c 'exec 3<>/dev/tcp/10.99.0.7/3493' 2>/dev/null; echo rc=$?",
    ) else {
        return;
    };
    assert_eq!(
        probe.stdout.trim(),
        "rc=124",
        "the namespace does not drop: {}",
        probe.stderr
    );
    let args = "-O -q -t 2 -m 10.99.0.0/24 -P";
    let time = |program: &str| {
        let run = in_dropping_namespace(&format!(
            "s=$(date +%s%N); {program} {args}; e=$(date +%s%N); echo \"took $(( (e - s) / 1000000 )) ms\" >&2"
        ))
        .expect("the namespace worked a moment ago");
        assert_eq!(run.stdout, "", "{program}: {}", run.stderr);
        let ms: u64 = run
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("took ")?.strip_suffix(" ms")?.parse().ok())
            .unwrap_or_else(|| panic!("{program}: {}", run.stderr));
        ms
    };
    let c = time(C_SCANNER);
    let ours = time(OURS);
    // For the record (run with --nocapture); no assertion on speed beyond the hang guard.
    eprintln!("256 silent addresses, -t 2: C's nut-scanner {c} ms, ours {ours} ms");
}

/// A folder with net-snmp's `snmp.conf` (C's scanner takes the agent port and the SNMPv3
/// context from it; ours reads the same file).
fn snmp_conf(port: u16, context: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("defaultPort {port}\n");
    if let Some(c) = context {
        text += &format!("defContext {c}\n");
    }
    fs::write(dir.path().join("snmp.conf"), text).unwrap();
    dir
}

fn snmp_users() -> [snmpsim::V3User; 4] {
    use snmpsim::V3User;
    [
        V3User {
            name: "noauth",
            auth: "NONE",
            privacy: "NONE",
        },
        V3User {
            name: "sha256",
            auth: "SHA256",
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
    ]
}

#[test]
fn snmp_agents_are_identified_as_c_identifies_them() {
    if !have(&[C_SCANNER]) {
        return;
    }
    let (port, other) = (snmpsim::udp_port(), snmpsim::udp_port());
    let endpoints = [
        format!("127.0.0.2:{port}"),
        format!("127.0.0.3:{port}"),
        format!("127.0.0.4:{other}"),
    ];
    let endpoints: Vec<&str> = endpoints.iter().map(String::as_str).collect();
    let Some(agent) = snmpsim::start_at(&endpoints, &snmp_users()) else {
        return;
    };
    let conf = snmp_conf(port, None);
    let env = [("SNMPCONFPATH", conf.path().to_str().unwrap())];
    // Every recording, as the community, on two addresses (C with one thread, so that its
    // order is the addresses'): the same devices, MIB mappings and descriptions.
    let mut found = 0;
    for recording in &agent.recordings {
        let out = same(
            &[
                "-S",
                "-q",
                "-T",
                "1",
                "-t",
                "2",
                "-s",
                "127.0.0.2",
                "-e",
                "127.0.0.3",
                "-c",
                recording,
                "-P",
            ],
            &env,
        );
        found += usize::from(!out.is_empty());
    }
    assert!(found > 40, "only {found} recordings identified");
    // ups.conf sections, the long options, a CIDR block with silent and refusing addresses.
    same(
        &[
            "--snmp_scan",
            "--quiet",
            "--thread",
            "1",
            "--timeout",
            "1",
            "--mask_cidr",
            "127.0.0.0/30",
            "--community",
            "cyberpower",
        ],
        &env,
    );
    // The agent on another port, found there only.
    let conf = snmp_conf(other, None);
    let env = [("SNMPCONFPATH", conf.path().to_str().unwrap())];
    let out = same(
        &[
            "-S",
            "-q",
            "-T",
            "1",
            "-t",
            "1",
            "-s",
            "127.0.0.3",
            "-e",
            "127.0.0.4",
            "-c",
            "apc_ap7900b",
            "-N",
        ],
        &env,
    );
    assert!(
        out.contains("port = \"127.0.0.4\"") && !out.contains("127.0.0.3"),
        "{out}"
    );
}

#[test]
fn snmpv3_agents_are_identified_as_c_identifies_them() {
    if !have(&[C_SCANNER]) {
        return;
    }
    let port = snmpsim::udp_port();
    let endpoint = format!("127.0.0.2:{port}");
    let Some(_agent) = snmpsim::start_at(&[endpoint.as_str()], &snmp_users()) else {
        return;
    };
    let (auth, privacy) = (snmpsim::AUTH_KEY, snmpsim::PRIV_KEY);
    for recording in ["apc_smt750x-nmc2", "eaton-mgeups_9px", "cyberpower"] {
        let conf = snmp_conf(port, Some(recording));
        let env = [("SNMPCONFPATH", conf.path().to_str().unwrap())];
        for user in [
            vec!["-l", "noAuthNoPriv", "-u", "noauth"],
            vec![
                "-l",
                "authNoPriv",
                "-u",
                "sha256",
                "-w",
                "SHA256",
                "-W",
                auth,
            ],
            vec![
                "-l", "authPriv", "-u", "md5-des", "-w", "MD5", "-W", auth, "-x", "DES", "-X",
                privacy,
            ],
            vec![
                "--secLevel",
                "authPriv",
                "--secName",
                "sha-aes",
                "--authProtocol",
                "SHA",
                "--authPassword",
                auth,
                "--privProtocol",
                "AES",
                "--privPassword",
                privacy,
            ],
        ] {
            let mut args = vec!["-S", "-q", "-t", "2", "-s", "127.0.0.2"];
            args.extend(user.iter().copied());
            let c = same(&args, &env);
            assert!(c.contains("snmp_version = \"v3\""), "{args:?}: {c}");
        }
        // A wrong pass phrase finds nothing, in both.
        let args = [
            "-S",
            "-q",
            "-t",
            "1",
            "-s",
            "127.0.0.2",
            "-l",
            "authNoPriv",
            "-u",
            "sha256",
            "-w",
            "SHA256",
            "-W",
            "not-the-key",
        ];
        assert_eq!(same(&args, &env), "");
    }
}

/// `usb-emu run DEVICES -- PROGRAM -U ARGS` where C's nut-scanner, too, loads the emulator:
/// it opens libusb by its full path in the system's library folder (not through the dynamic
/// linker's search, so `LD_LIBRARY_PATH` does not reach it), so the emulator library is
/// bind-mounted over that file in a private mount namespace. `None` (with a note, or a panic
/// under `NUT_RS_INTEROP=1`) unless root with `unshare`.
fn usb_scan(program: &str, devices: &[std::path::PathBuf], args: &[&str]) -> Option<Run> {
    if !nix::unistd::Uid::effective().is_root() {
        support::skip_unless_interop(&["root (a private mount namespace)"]);
        return None;
    }
    let emu = Path::new(env!("CARGO_BIN_EXE_usb-emu"));
    let dir = emu.parent().unwrap();
    let lib = std::env::var_os("NUT_USB_EMU_LIB")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            [
                dir.join("deps/libnut_usb_emu.so"),
                dir.join("libnut_usb_emu.so"),
            ]
            .into_iter()
            .find(|p| p.exists())
        })
        .expect("the emulator library beside usb-emu");
    let system = fs::canonicalize("/usr/lib/x86_64-linux-gnu/libusb-1.0.so.0")
        .expect("the system libusb-1.0");
    let mut all: Vec<String> = vec![
        "-m".into(),
        "sh".into(),
        "-c".into(),
        "mount --bind \"$0\" \"$1\" && shift && exec \"$@\"".into(),
        lib.display().to_string(),
        system.display().to_string(),
        emu.display().to_string(),
        "run".into(),
    ];
    all.extend(devices.iter().map(|d| d.display().to_string()));
    all.extend(["--".into(), program.into(), "-U".into()]);
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    Some(scan("unshare", &all, &[]))
}

#[test]
fn usb_devices_are_found_as_c_finds_them() {
    if !have(&[C_SCANNER]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let device = |name: &str, text: &str| {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let devices = vec![
        // Strings with trailing blanks (C trims them), on bus 3.
        device(
            "apc.dev",
            "vendor-id 051d\nproduct-id 0002\nmanufacturer \"American Power Conversion \"\n\
             product \"Back-UPS CS 500\"\nserial \"BB0123456789  \"\nbus 3\naddress 7\n",
        ),
        // Not a UPS: left out.
        device(
            "mouse.dev",
            "vendor-id 046d\nproduct-id c077\nproduct \"USB Optical Mouse\"\n",
        ),
        // A Q1 unit behind a Cypress bridge, no strings.
        device(
            "q1.dev",
            "vendor-id 0665\nproduct-id 5161\nbus 1\naddress 4\n",
        ),
        // A serial number whose string descriptor cannot be read.
        device(
            "eaton.dev",
            "vendor-id 0463\nproduct-id ffff\nmanufacturer \"EATON\"\nproduct \"5E\"\n\
             serial-index 9\nbus 2\n",
        ),
        // A known vendor's product that no driver claims.
        device(
            "cps.dev",
            "vendor-id 0764\nproduct-id 9999\nproduct \"Unknown\"\n",
        ),
        // A Riello unit behind its bridge (riello_usb).
        device(
            "riello.dev",
            "vendor-id 04b4\nproduct-id 5500\nbus 4\naddress 2\n",
        ),
    ];
    let mut outputs = Vec::new();
    for display in [&[][..], &["-N"], &["-P"]] {
        let mut args = vec!["-q"];
        args.extend_from_slice(display);
        let Some(c) = usb_scan(C_SCANNER, &devices, &args) else {
            return;
        };
        let ours = usb_scan(OURS, &devices, &args).unwrap();
        assert_eq!(
            ours.stdout, c.stdout,
            "-U {args:?}\nour stderr: {}\nC's: {}",
            ours.stderr, c.stderr
        );
        outputs.push(c.stdout);
    }
    assert_eq!(
        outputs[2],
        "USB:driver=\"usbhid-ups\",port=\"auto\",vendorid=\"051D\",productid=\"0002\",\
         product=\"Back-UPS CS 500\",serial=\"BB0123456789\",vendor=\"American Power Conversion\",bus=\"003\"\n\
         USB:driver=\"nutdrv_qx\",port=\"auto\",vendorid=\"0665\",productid=\"5161\",bus=\"001\"\n\
         USB:driver=\"usbhid-ups\",port=\"auto\",vendorid=\"0463\",productid=\"FFFF\",product=\"5E\",\
         vendor=\"EATON\",bus=\"002\"\n\
         USB:driver=\"riello_usb\",port=\"auto\",vendorid=\"04B4\",productid=\"5500\",bus=\"004\"\n"
    );
    // An empty bus: nothing on stdout from either (C ends in an error, ours finds nothing).
    let c = usb_scan(C_SCANNER, &[], &["-q"]).unwrap();
    let ours = usb_scan(OURS, &[], &["-q"]).unwrap();
    assert_eq!((ours.stdout.as_str(), c.stdout.as_str()), ("", ""));
    // 0925:1234 is both an Armac Q1 bridge (nutdrv_qx, which we have) and a Richcomm unit
    // (richcomm_usb, which we have not); C's table names the latter.
    let armac = vec![device("armac.dev", "vendor-id 0925\nproduct-id 1234\n")];
    let c = usb_scan(C_SCANNER, &armac, &["-q", "-P"]).unwrap();
    let ours = usb_scan(OURS, &armac, &["-q", "-P"]).unwrap();
    assert_eq!(c.stdout, "USB:driver=\"richcomm_usb\",port=\"auto\",vendorid=\"0925\",productid=\"1234\",bus=\"001\"\n");
    assert_eq!(
        ours.stdout,
        "USB:driver=\"nutdrv_qx\",port=\"auto\",vendorid=\"0925\",productid=\"1234\",bus=\"001\"\n"
    );
}

#[test]
fn every_recorded_usb_unit_is_found_as_c_finds_it() {
    if !have(&[C_SCANNER]) || support::recorded("hid/corpus").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut units = usb::Unit::corpus();
    units.push(usb::Unit::cs500());
    let devices: Vec<std::path::PathBuf> = units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            let path = dir.path().join(format!("unit{i}.dev"));
            fs::write(&path, &unit.text).unwrap();
            path
        })
        .collect();
    let Some(c) = usb_scan(C_SCANNER, &devices, &["-q", "-P"]) else {
        return;
    };
    let ours = usb_scan(OURS, &devices, &["-q", "-P"]).unwrap();
    assert_eq!(ours.stdout, c.stdout, "our stderr: {}", ours.stderr);
    assert!(c.stdout.lines().count() > units.len() / 2, "{}", c.stdout);
}

/// C 2.8.0 has no scan for dummy-ups simulation files; later C versions list the `.dev` and
/// `.seq` files of the configuration folder with `-n`, as ours does.
#[test]
fn simulation_files_are_listed_as_later_c_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["alpha.dev", "beta.seq", "ups.conf", "notes.dev.txt", ".dev"] {
        fs::write(dir.path().join(f), "ups.status: OL\n").unwrap();
    }
    fs::create_dir(dir.path().join("dir.dev")).unwrap();
    let env = [("NUT_CONFPATH", dir.path().to_str().unwrap())];
    let run = scan(OURS, &["-n", "-q"], &env);
    assert_eq!(
        run.stdout,
        "[nutdev1]\n\tdriver = \"dummy-ups\"\n\tport = \"beta.seq\"\n\
         [nutdev2]\n\tdriver = \"dummy-ups\"\n\tport = \"alpha.dev\"\n"
    );
    let run = scan(OURS, &["--nut_simulation_scan", "-P"], &env);
    assert_eq!(
        run.stdout,
        "NUT_SIMULATION:driver=\"dummy-ups\",port=\"beta.seq\"\n\
         NUT_SIMULATION:driver=\"dummy-ups\",port=\"alpha.dev\"\n"
    );
    // A folder that cannot be read is an error, not an empty result.
    let run = scan(OURS, &["-n"], &[("NUT_CONFPATH", "/nonexistent/nut")]);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("/nonexistent/nut"), "{}", run.stderr);
}

/// The shell lines that start `site` with C's dummy-ups and upsd (`c`) or ours (in the
/// background, in the caller's process group, their ids in `$pids`, upsd's last) and wait
/// until upsd answers at `address:port`.
fn start_in_shell(site: &Site, c: bool, address: &str, port: u16) -> String {
    let (upsd, dummy) = if c {
        (C_UPSD, C_DUMMY)
    } else {
        (env!("CARGO_BIN_EXE_upsd"), env!("CARGO_BIN_EXE_dummy-ups"))
    };
    let env = format!(
        "NUT_CONFPATH={} NUT_STATEPATH={}",
        site.etc().display(),
        site.state().display()
    );
    let mut script = String::new();
    for ups in &site.upses {
        script +=
            &format!("{env} {dummy} -a {ups} -u nut -F >/dev/null 2>&1 &\npids=\"$pids $!\"\n");
        script += &format!(
            "while [ ! -e {}/dummy-ups-{ups} ]; do sleep 0.05; done\n",
            site.state().display()
        );
    }
    script += &format!("{env} {upsd} -u nut -F >/dev/null 2>&1 &\npids=\"$pids $!\"\n");
    script +=
        &format!("until (exec 3<>/dev/tcp/{address}/{port}) 2>/dev/null; do sleep 0.05; done\n");
    script
}

#[test]
fn a_range_that_drops_refuses_and_serves_gives_what_c_gives() {
    if !have(&[C_SCANNER, C_UPSD, C_DUMMY]) {
        return;
    }
    // 10.99.0.0/24 vanishes into the tun device; 10.99.1.0/24 is local (refused, but for
    // 10.99.1.2 where C upsd serves two UPSes); the range spans both.
    let port = free_port();
    let site = Site::new(
        &["10.99.1.2"],
        port,
        &[("alpha", Some("Rack A")), ("beta", None)],
    );
    let time = |program: &str| {
        format!(
            "s=$(date +%s%N); {program} -O -q -t 2 -p {port} -s 10.99.0.200 -e 10.99.1.20 -P; \
             e=$(date +%s%N); echo \"{program} took $(( (e - s) / 1000000 )) ms\" >&2\n"
        )
    };
    let script = format!(
        "ip addr add 10.99.1.1/24 dev lo\n{}{}{}kill $pids\nwait\n",
        start_in_shell(&site, true, "10.99.1.2", port),
        time(C_SCANNER),
        time(OURS)
    );
    let Some(run) = in_dropping_namespace(&script) else {
        return;
    };
    let expected = "NUT:driver=\"nutclient\",port=\"alpha@10.99.1.2\"\n\
                    NUT:driver=\"nutclient\",port=\"beta@10.99.1.2\"\n";
    assert_eq!(
        run.stdout,
        format!("{expected}{expected}"),
        "{}",
        run.stderr
    );
    // For the record (run with --nocapture).
    for line in run.stderr.lines().filter(|l| l.contains(" took ")) {
        eprintln!("77 addresses (56 silent, 20 refusing, 1 upsd), -t 2: {line}");
    }
}

/// `nut-sim --protocol PROTOCOL` on a pseudo-terminal linked at `link`, once it is there.
fn simulator(protocol: &str, link: &Path) -> support::Kill {
    simulator_with(protocol, &[], link)
}

/// `nut-sim --protocol PROTOCOL ARGS… --link LINK`, once the link is there.
fn simulator_with(protocol: &str, args: &[&std::ffi::OsStr], link: &Path) -> support::Kill {
    use std::io::BufRead;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nut-sim"));
    cmd.args(["--protocol", protocol])
        .args(args)
        .arg("--link")
        .arg(link)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut sim = support::Kill::spawn(&mut cmd);
    let mut first = String::new();
    std::io::BufReader::new(sim.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(Path::new(first.trim()), link, "nut-sim {protocol}");
    sim
}

#[test]
fn serial_devices_are_found_as_c_finds_them() {
    if !have(&[C_SCANNER]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let protocols = [
        "megatec",
        "megatec/old",
        "mustek",
        "zinto",
        "q1",
        "voltronic",
        "bestups",
        "mecer",
        "ablerex",
        "masterguard",
    ];
    // C tries Eaton's SHUT and XCP before Q1 and needs seconds per port: the units are
    // probed at once, one scanner of each per unit.
    let results: Vec<(String, Run, Run)> = std::thread::scope(|s| {
        let handles: Vec<_> = protocols
            .iter()
            .map(|protocol| {
                let dir = dir.path();
                s.spawn(move || {
                    let link = dir.join(protocol.replace('/', "_"));
                    let _sim = simulator(protocol, &link);
                    let port = link.display().to_string();
                    let c = scan(C_SCANNER, &["-q", "-P", "-E", &port], &[]);
                    let ours = scan(OURS, &["-q", "-P", "-E", &port], &[]);
                    ((*protocol).to_owned(), c, ours)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // What C does not find (it asks for Q1 only), ours finds by nutdrv_qx's own probing.
    const BEYOND_C: [&str; 4] = ["megatec/old", "mustek", "voltronic", "masterguard"];
    let mut found = 0;
    for (protocol, c, ours) in &results {
        if BEYOND_C.contains(&protocol.as_str()) {
            assert_eq!(c.stdout, "", "{protocol}: C finds it now");
            let port = dir.path().join(protocol.replace('/', "_"));
            assert_eq!(
                ours.stdout,
                format!(
                    "EATON_SERIAL:driver=\"nutdrv_qx\",port=\"{}\",protocol=\"{protocol}\"\n",
                    port.display()
                ),
                "{}",
                ours.stderr
            );
            continue;
        }
        assert_eq!(ours.stdout, c.stdout, "{protocol}: {}", ours.stderr);
        found += usize::from(c.stdout.contains("blazer_ser"));
    }
    assert_eq!(found, protocols.len() - BEYOND_C.len());
    // Beyond C: an APC Smart unit (C looks for Eaton's protocols and Q1 only); several ports
    // at once, in the order given, and a port that does not exist.
    let apc = dir.path().join("apc");
    let q1 = dir.path().join("q1");
    let (_apc, _q1) = (simulator("apc", &apc), simulator("megatec", &q1));
    let ports = format!("{},/nonexistent/tty,{}", apc.display(), q1.display());
    let ours = scan(OURS, &["-q", "-E", &ports], &[]);
    assert_eq!(
        ours.stdout,
        format!(
            "[nutdev1]\n\tdriver = \"apcsmart\"\n\tport = \"{}\"\n\
             [nutdev2]\n\tdriver = \"blazer_ser\"\n\tport = \"{}\"\n",
            apc.display(),
            q1.display()
        )
    );
}

/// A SHUT unit for `nut-sim --protocol mge-shut`: an Eaton identity and a report
/// descriptor of one empty collection (the scanners read no further than the device
/// descriptor).
const SHUT_UNIT: &str = "vendor-id 0463\nproduct-id ffff\nmanufacturer \"EATON\"\n\
                         product \"Ellipse ECO\"\nreport-descriptor 05 84 09 04 a1 01 c0\n";

/// What a hand-made port does with what it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Nothing (a port with no device, or one that does not answer).
    Silent,
    /// Sends it back (a loopback plug, a modem with echo on).
    Echo,
    /// Answers anything with the same burst of bytes, starting with XCP's start byte.
    Noise,
}

/// A pseudo-terminal linked at `link` whose other side behaves as `line` says, until
/// dropped.
struct HandPort {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    slave: fs::File,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HandPort {
    fn spawn(line: Line, link: &Path) -> Self {
        use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let pty = nix::pty::openpty(None, None).unwrap();
        let mut tio = tcgetattr(&pty.slave).unwrap();
        cfmakeraw(&mut tio);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &tio).unwrap();
        let path = nix::unistd::ttyname(&pty.slave).unwrap();
        let _ = fs::remove_file(link);
        std::os::unix::fs::symlink(path, link).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let mut master = fs::File::from(pty.master);
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 || flag.load(Ordering::SeqCst) {
                    return;
                }
                let answer = match line {
                    Line::Silent => Vec::new(),
                    Line::Echo => buf[..n].to_vec(),
                    // XCP's start byte, a block number no command has, SHUT's sync byte,
                    // Q1's '(': never a whole reply of any protocol.
                    Line::Noise => [0xAB, 0x00, 0x16, b'('].repeat(20),
                };
                if master.write_all(&answer).is_err() {
                    return;
                }
            }
        });
        Self {
            stop,
            slave: fs::File::from(pty.slave),
            thread: Some(thread),
        }
    }
}

impl Drop for HandPort {
    fn drop(&mut self) {
        use std::io::Write;
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the thread up (raw mode: the byte goes through at once).
        let _ = self.slave.write_all(b"\r");
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One unit of the Eaton serial test, running until dropped: a simulator or a hand-made
/// port.
struct EatonUnit {
    _sim: Option<support::Kill>,
    _hand: Option<HandPort>,
}

impl EatonUnit {
    fn sim(sim: support::Kill) -> Self {
        Self {
            _sim: Some(sim),
            _hand: None,
        }
    }

    fn hand(line: Line, link: &Path) -> Self {
        Self {
            _sim: None,
            _hand: Some(HandPort::spawn(line, link)),
        }
    }
}

/// The unit `name` of the Eaton serial test on a port linked at `link`, started.
fn start_eaton_unit(name: &str, dir: &Path, link: &Path) -> EatonUnit {
    match name {
        "shut" => {
            let device = dir.join(format!(
                "{}.dev",
                link.file_name().unwrap().to_string_lossy()
            ));
            fs::write(&device, SHUT_UNIT).unwrap();
            EatonUnit::sim(simulator_with(
                "mge-shut",
                &["--device".as_ref(), device.as_os_str()],
                link,
            ))
        }
        "xcp" => EatonUnit::sim(simulator("bcmxcp", link)),
        "q1" => EatonUnit::sim(simulator("megatec", link)),
        "silent" => EatonUnit::hand(Line::Silent, link),
        "echo" => EatonUnit::hand(Line::Echo, link),
        "noise" => EatonUnit::hand(Line::Noise, link),
        other => panic!("no unit {other}"),
    }
}

/// Symbolic links `/dev/ttyNUTRS<pid><name>` (C 2.8.0 takes a list of ports only of
/// `/dev/tty…` names), removed when dropped.
struct DevLinks(Vec<std::path::PathBuf>);

impl Drop for DevLinks {
    fn drop(&mut self) {
        for l in &self.0 {
            let _ = fs::remove_file(l);
        }
    }
}

/// A preload library that makes the ioctls setting and clearing modem lines succeed where
/// the terminal has none (a pseudo-terminal), built with the system's C compiler into
/// `dir`; `None` (with a note, or a panic under `NUT_RS_INTEROP=1`) without one.
fn modem_line_shim(dir: &Path) -> Option<std::path::PathBuf> {
    const SOURCE: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <termios.h>
int ioctl(int fd, unsigned long request, ...) {
    static int (*next)(int, unsigned long, ...);
    va_list args;
    va_start(args, request);
    void *arg = va_arg(args, void *);
    va_end(args);
    if (!next)
        next = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    int r = next(fd, request, arg);
    if (r < 0 && (request == TIOCMBIS || request == TIOCMBIC))
        return 0;
    return r;
}
"#;
    let source = dir.join("modem_lines.c");
    let library = dir.join("modem_lines.so");
    fs::write(&source, SOURCE).unwrap();
    let built = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(&source)
        .arg("-ldl")
        .status()
        .is_ok_and(|s| s.success());
    if !built {
        support::skip_unless_interop(&["cc (a C compiler, for a preload library)"]);
        return None;
    }
    Some(library)
}

/// `-E` (C's serial scan, which asks for Eaton's SHUT, then XCP, then Q1) on simulated
/// units: a SHUT unit (`nut-sim --protocol mge-shut`), an XCP unit (`bcmxcp`), a Q1 unit
/// (`megatec`), and ports where nothing should be found: one silent, one echoing what it
/// is sent, one answering everything with line noise. Each port is scanned alone by C and
/// by ours, all ports at once (C 2.8.0's one-port argument may be any path; a list must be
/// of `/dev/tty…` names); as root, C and ours also scan a list of ports at once, through
/// links in /dev.
///
/// Where they differ, on purpose:
/// - the SHUT unit: C 2.8.0's SHUT probe first sets DTR and gives up when it cannot, and a
///   pseudo-terminal has no modem lines (TIOCMBIS fails with ENOTTY), so C never sends it
///   the sync byte; its XCP and Q1 probes get no answer either. Ours carries on without DTR
///   and finds it. With a preload library that lets C set the lines (built with `cc`), C
///   finds it too, and prints what ours prints.
/// - the noise: C's XCP probe takes any port whose first byte back is `0xAB` for an XCP
///   unit; ours reads the whole reply and finds it is not one.
#[test]
fn eaton_serial_units_are_found_as_c_finds_them() {
    if !have(&[C_SCANNER]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // C reads "X-Y" as a range of port numbers and refuses the rest: a path for it must not
    // have a '-'.
    assert!(
        !dir.path().to_string_lossy().contains('-'),
        "{:?}",
        dir.path()
    );
    let names = ["shut", "xcp", "q1", "silent", "echo", "noise"];
    let line = |driver: &str, port: &Path| {
        format!(
            "EATON_SERIAL:driver=\"{driver}\",port=\"{}\"\n",
            port.display()
        )
    };
    let root = nix::unistd::Uid::effective().is_root();
    // What was scanned (a unit's name, a list of ports), C's run and ours.
    type Both = (String, Run, Run);
    let (results, list, shut_with_dtr): (Vec<Both>, Option<Both>, Option<Both>) =
        std::thread::scope(|s| {
            let dir = dir.path();
            let alone: Vec<_> = names
                .iter()
                .map(|name| {
                    s.spawn(move || {
                        let link = dir.join(name);
                        let _unit = start_eaton_unit(name, dir, &link);
                        let port = link.display().to_string();
                        let c = scan(C_SCANNER, &["-q", "-P", "-E", &port], &[]);
                        let ours = scan(OURS, &["-q", "-P", "-E", &port], &[]);
                        ((*name).to_owned(), c, ours)
                    })
                })
                .collect();
            // C with modem lines, on a SHUT unit of its own.
            let shut_with_dtr = s.spawn(move || {
                let library = modem_line_shim(dir)?;
                let link = dir.join("shut_dtr");
                let _unit = start_eaton_unit("shut", dir, &link);
                let port = link.display().to_string();
                let preload = [("LD_PRELOAD", library.to_str().unwrap())];
                let c = scan(C_SCANNER, &["-q", "-P", "-E", &port], &preload);
                let ours = scan(OURS, &["-q", "-P", "-E", &port], &[]);
                Some((port, c, ours))
            });
            // A list, in the order C finds them (C prints them as its probes end, ours in
            // the order given): XCP at once, Q1 after C's XCP probe has tried every line speed.
            let together = root.then(|| {
                s.spawn(move || {
                    let mut links = DevLinks(Vec::new());
                    let mut units = Vec::new();
                    for name in ["xcp", "q1", "silent"] {
                        let link = dir.join(format!("list_{name}"));
                        units.push(start_eaton_unit(name, dir, &link));
                        let dev = std::path::PathBuf::from(format!(
                            "/dev/ttyNUTRS{}{name}",
                            std::process::id()
                        ));
                        let _ = fs::remove_file(&dev);
                        std::os::unix::fs::symlink(&link, &dev).unwrap();
                        links.0.push(dev);
                    }
                    let ports: Vec<String> =
                        links.0.iter().map(|l| l.display().to_string()).collect();
                    let ports = ports.join(",");
                    let c = scan(C_SCANNER, &["-q", "-E", &ports], &[]);
                    let ours = scan(OURS, &["-q", "-E", &ports], &[]);
                    (ports, c, ours)
                })
            });
            (
                alone.into_iter().map(|h| h.join().unwrap()).collect(),
                together.map(|h| h.join().unwrap()),
                shut_with_dtr.join().unwrap(),
            )
        });
    for (name, c, ours) in &results {
        let port = dir.path().join(name);
        let (c_expected, ours_expected) = match name.as_str() {
            "shut" => (String::new(), line("mge-shut", &port)),
            "xcp" => (line("bcmxcp", &port), line("bcmxcp", &port)),
            "q1" => (line("blazer_ser", &port), line("blazer_ser", &port)),
            "noise" => (line("bcmxcp", &port), String::new()),
            _ => (String::new(), String::new()),
        };
        assert_eq!(c.stdout, c_expected, "{name}: C's output\n{}", c.stderr);
        assert_eq!(ours.stdout, ours_expected, "{name}: ours\n{}", ours.stderr);
    }
    if let Some((port, c, ours)) = shut_with_dtr {
        let expected = line("mge-shut", Path::new(&port));
        assert_eq!(c.stdout, expected, "C with modem lines\n{}", c.stderr);
        assert_eq!(ours.stdout, c.stdout, "ours\n{}", ours.stderr);
    }
    match list {
        Some((ports, c, ours)) => {
            let mut found = ports.split(',');
            let (xcp, q1) = (found.next().unwrap(), found.next().unwrap());
            let expected = format!(
                "[nutdev1]\n\tdriver = \"bcmxcp\"\n\tport = \"{xcp}\"\n\
                 [nutdev2]\n\tdriver = \"blazer_ser\"\n\tport = \"{q1}\"\n"
            );
            assert_eq!(c.stdout, expected, "C on {ports}\n{}", c.stderr);
            assert_eq!(ours.stdout, c.stdout, "ours on {ports}\n{}", ours.stderr);
        }
        None => {
            support::skip_unless_interop(&["root (links in /dev for a list of ports)"]);
        }
    }
}

/// Ours on the host's network, against announcements made here with mdns-sd: one server
/// that lists its UPSes in `device_list`, one (our upsd) that does not, so that the scanner
/// asks it. (C's `-A` needs avahi-daemon: see the next test.)
#[test]
fn servers_announced_over_mdns_are_found() {
    use mdns_sd::{ServiceDaemon, ServiceInfo};
    let port = free_port();
    let _ours = Server::start(false, &["127.0.0.1"], port, &[("gamma", None)]);
    let daemon = ServiceDaemon::new().expect("an mDNS daemon");
    let tag = format!("nutrs{}", std::process::id());
    let host = format!("{tag}.local.");
    let listed = ServiceInfo::new(
        "_nut._tcp.local.",
        &format!("{tag}-listed"),
        &host,
        "127.0.0.1",
        3493,
        &[("txtvers", "1"), ("device_list", "alpha;beta")][..],
    )
    .unwrap();
    let asked = ServiceInfo::new(
        "_upsd._tcp.local.",
        &format!("{tag}-asked"),
        &host,
        "127.0.0.1",
        port,
        &[("txtvers", "1")][..],
    )
    .unwrap();
    daemon.register(listed).unwrap();
    daemon.register(asked).unwrap();
    let run = scan(OURS, &["-A", "-q", "-t", "3", "-P"], &[]);
    let _ = daemon.shutdown();
    let mine: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(&tag) || l.contains("gamma@"))
        .collect();
    assert_eq!(
        mine,
        [
            "NUT:driver=\"nutclient\",port=\"gamma@127.0.0.1\"".to_owned(),
            format!("NUT:driver=\"nutclient\",port=\"alpha@{tag}.local\",desc=\"IPv4\""),
            format!("NUT:driver=\"nutclient\",port=\"beta@{tag}.local\",desc=\"IPv4\""),
        ],
        "{}",
        run.stderr
    );
}

/// avahi-daemon's settings for the namespace of [`in_avahi_namespace`]: loopback only, IPv4
/// only (so that C's scanner finds each service once), the host named `nutrs-mdns`.
const AVAHI_CONF: &str = "[server]\nhost-name=nutrs-mdns\nuse-ipv4=yes\nuse-ipv6=no\n\
                          allow-interfaces=lo\nenable-dbus=yes\nratelimit-interval-usec=1000000\n\
                          ratelimit-burst=1000\n[wide-area]\nenable-wide-area=no\n\
                          [publish]\npublish-hinfo=no\npublish-workstation=no\n";

/// Runs `script` (bash) with a D-Bus system bus and avahi-daemon of its own, in new network,
/// mount, UTS and PID namespaces: only loopback (multicast on), a private tmpfs on /run (the
/// bus, avahi's files, PID files) and on /etc/avahi/services (Debian's nut-server package
/// puts a service file there, with which avahi would announce `_nut._tcp` itself), the host
/// name `nutrs-mdns`; everything started there dies with the namespace. `None` (with a note, or a panic under `NUT_RS_INTEROP=1`) unless root with
/// those programs.
fn in_avahi_namespace(dir: &Path, script: &str) -> Option<Run> {
    let root = nix::unistd::Uid::effective().is_root();
    let tools = ["ip", "dbus-daemon", "avahi-daemon", "avahi-browse"];
    let missing: Vec<&str> = tools
        .into_iter()
        .filter(|t| Command::new(t).arg("--version").output().is_err())
        .collect();
    if !root || !missing.is_empty() {
        support::skip_unless_interop(&[
            "root with unshare, ip, dbus-daemon, avahi-daemon and avahi-browse (avahi-utils)",
        ]);
        return None;
    }
    let conf = dir.join("avahi-daemon.conf");
    fs::write(&conf, AVAHI_CONF).unwrap();
    let setup = format!(
        "set -e\nip link set lo up multicast on\nmount -t tmpfs nut-rs-test /run\n\
         mkdir -p /run/dbus /run/avahi-daemon /run/nut\nchown nut:nut /run/nut\n\
         mount -t tmpfs nut-rs-test /etc/avahi/services\n\
         hostname nutrs-mdns\n\
         dbus-daemon --system --fork\n\
         avahi-daemon -D --no-drop-root --no-chroot -f {}\n",
        conf.display()
    );
    Some(scan(
        "unshare",
        &[
            "--net",
            "--mount",
            "--uts",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "bash",
            "-c",
            &format!("{setup}{script}"),
        ],
        &[],
    ))
}

/// The parts of `text` after each `=== name` line, by name.
fn sections(text: &str) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    let mut name = String::new();
    for line in text.split_inclusive('\n') {
        match line.strip_prefix("=== ") {
            Some(n) => {
                name = n.trim_end().to_owned();
                out.entry(name.clone()).or_insert_with(String::new);
            }
            None => out
                .entry(name.clone())
                .or_insert_with(String::new)
                .push_str(line),
        }
    }
    out
}

/// Our upsd with `MDNS_ANNOUNCE`, beside avahi-daemon in a network namespace: avahi sees
/// both services with their TXT records, C's `nut-scanner -A` and ours find its UPSes and
/// print the same bytes (`-P` and `-N`), a reload that drops a UPS updates the TXT record,
/// and the announcement is gone once upsd stops.
#[test]
fn our_upsd_s_announcement_is_found_by_avahi_and_both_scanners() {
    if !have(&[C_SCANNER]) {
        return;
    }
    let port = free_port();
    let site = Site::new(
        &["127.0.0.1"],
        port,
        &[("alpha", Some("Rack A")), ("beta", None)],
    );
    let upsd_conf = site.etc().join("upsd.conf");
    let listen = fs::read_to_string(&upsd_conf).unwrap();
    fs::write(&upsd_conf, format!("{listen}MDNS_ANNOUNCE\n")).unwrap();
    let mut script = start_in_shell(&site, false, "127.0.0.1", port);
    // After the scans, a reload without beta (the last section) updates the TXT record.
    let ups_conf = site.etc().join("ups.conf");
    let ups_conf = ups_conf.display();
    script += &format!(
        "upsd=${{pids##* }}\n\
         for i in $(seq 1 150); do\n\
             avahi-browse -rtp _upsd._tcp 2>/dev/null | grep -q '^=.*;{port};.*device_list' && break\n\
             sleep 0.2\n\
         done\n\
         for t in _nut._tcp _upsd._tcp; do echo \"=== avahi $t\"; avahi-browse -rtp $t; done\n\
         for f in -P -N; do\n\
             echo \"=== C $f\"; {C_SCANNER} -A -q $f\n\
             echo \"=== ours $f\"; {OURS} -A -q -t 3 $f\n\
         done\n\
         sed -i '/^\\[beta\\]/,$d' {ups_conf}\n\
         kill -HUP $upsd\n\
         for i in $(seq 1 150); do\n\
             avahi-browse -rtp _upsd._tcp 2>/dev/null | grep -q '\"device_list=alpha\"' && break\n\
             sleep 0.2\n\
         done\n\
         echo '=== avahi reloaded'; avahi-browse -rtp _upsd._tcp\n\
         kill -TERM $upsd\n\
         while kill -0 $upsd 2>/dev/null; do sleep 0.05; done\n\
         sleep 2\n\
         echo '=== avahi after'\n\
         avahi-browse -rtp _nut._tcp; avahi-browse -rtp _upsd._tcp\n\
         kill $pids 2>/dev/null || true\n"
    );
    let Some(run) = in_avahi_namespace(site.dir.path(), &script) else {
        return;
    };
    let out = sections(&run.stdout);
    let context = format!("stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    for ty in ["_nut._tcp", "_upsd._tcp"] {
        let resolved: Vec<&str> = out
            .get(&format!("avahi {ty}"))
            .map(|s| s.lines().filter(|l| l.starts_with('=')).collect())
            .unwrap_or_default();
        let prefix = format!("=;lo;IPv4;nutrs-mdns;{ty};local;nutrs-mdns.local;127.0.0.1;{port};");
        assert_eq!(resolved.len(), 1, "{ty}: {context}");
        let txt = resolved[0]
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{ty}: {context}"));
        let mut txt: Vec<&str> = txt.split(' ').collect();
        txt.sort_unstable();
        assert_eq!(
            txt,
            [
                "\"device_list=alpha;beta\"",
                "\"protovers=1.3\"",
                "\"txtvers=1\""
            ],
            "{context}"
        );
    }
    let parsable = format!(
        "NUT:driver=\"nutclient\",port=\"alpha@nutrs-mdns.local:{port}\",desc=\"IPv4\"\n\
         NUT:driver=\"nutclient\",port=\"beta@nutrs-mdns.local:{port}\",desc=\"IPv4\"\n"
    );
    assert_eq!(out.get("C -P"), Some(&parsable), "{context}");
    for f in ["-P", "-N"] {
        assert_eq!(
            out.get(&format!("ours {f}")),
            out.get(&format!("C {f}")),
            "ours (left) and C's differ with -A {f}: {context}"
        );
    }
    assert!(
        out.get("C -N").is_some_and(
            |s| s.starts_with("[nutdev1]\n\tdriver = \"nutclient\"\n\tport = \"alpha@")
        ),
        "{context}"
    );
    assert!(
        out.get("avahi reloaded").is_some_and(|s| s
            .lines()
            .any(|l| l.contains(&format!(";{port};")) && l.contains("\"device_list=alpha\""))),
        "a reload did not update the device list: {context}"
    );
    assert_eq!(
        out.get("avahi after")
            .map(|s| s.lines().any(|l| l.contains(&format!(";{port};")))),
        Some(false),
        "the goodbye packets did not withdraw the announcement: {context}"
    );
}
