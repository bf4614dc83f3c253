//! Daemons in the background log to syslog, as C NUT's do: dummy-ups, upsd and upslog are
//! started without `-F`, and the test, playing the system's log daemon on a datagram socket
//! of its own, finds their start-up lines with C's identity (`dummy-ups`, `upsd`, `upslog`),
//! facility (`daemon`) and format, and upslog's lines for SIGHUP and SIGTERM; upsmon in the
//! background logs its start and its `NOTIFYFLAG … SYSLOG` notifications, once each. Ours is pointed at the socket with `$NUT_RS_SYSLOG_SOCKET`; C's
//! programs write to `/dev/log` through libc, so they run in a mount namespace of their own
//! whose `/dev/log` is the test's socket (`unshare`, as root), and the two logs are compared.
//!
//! The C comparison skips with a note when C NUT is not installed (a failure under
//! `NUT_RS_INTEROP=1`) and when a mount namespace cannot be made (not root, or a sandbox
//! that forbids it).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod support;

use support::{Site, C_DUMMY, C_UPSD};

/// Our dummy-ups, upsd and upslog.
const OURS: [&str; 3] = [
    env!("CARGO_BIN_EXE_dummy-ups"),
    env!("CARGO_BIN_EXE_upsd"),
    env!("CARGO_BIN_EXE_upslog"),
];
/// C NUT's upslog.
const C_UPSLOG: &str = "/bin/upslog";
const DEADLINE: Duration = Duration::from_secs(30);

/// One line as a log daemon receives it from glibc's `syslog(3)`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    priority: u32,
    ident: String,
    pid: u32,
    message: String,
}

impl Line {
    /// Parses `<PRI>Mmm dd hh:mm:ss ident[pid]: message`, checking the timestamp's shape.
    fn parse(datagram: &str) -> Option<Self> {
        let rest = datagram.strip_prefix('<')?;
        let (priority, rest) = rest.split_once('>')?;
        let (stamp, rest) = (rest.get(..15)?, rest.get(15..)?);
        let b = stamp.as_bytes();
        let month_ok = b[..3].iter().all(u8::is_ascii_alphabetic) && b[3] == b' ';
        let day_ok = (b[4] == b' ' || b[4].is_ascii_digit()) && b[5].is_ascii_digit();
        let time_ok = b[6] == b' '
            && b[9] == b':'
            && b[12] == b':'
            && [7, 8, 10, 11, 13, 14]
                .iter()
                .all(|&i| b[i].is_ascii_digit());
        if !(month_ok && day_ok && time_ok) {
            return None;
        }
        let rest = rest.strip_prefix(' ')?;
        let (ident, rest) = rest.split_once('[')?;
        let (pid, message) = rest.split_once("]: ")?;
        Some(Self {
            priority: priority.parse().ok()?,
            ident: ident.to_owned(),
            pid: pid.parse().ok()?,
            message: message.to_owned(),
        })
    }
}

/// The test's log daemon: a datagram socket at `path` whose lines a thread collects.
struct LogDaemon {
    path: PathBuf,
    lines: Arc<Mutex<Vec<String>>>,
}

impl LogDaemon {
    fn bind(path: &Path) -> Self {
        let socket = UnixDatagram::bind(path).expect("bind the syslog socket");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while let Ok(n) = socket.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock().unwrap().push(text);
            }
        });
        Self {
            path: path.to_owned(),
            lines,
        }
    }

    /// Every line received so far, parsed (a line that does not parse fails the test).
    fn lines(&self) -> Vec<Line> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|d| Line::parse(d).unwrap_or_else(|| panic!("not a syslog line: {d:?}")))
            .collect()
    }

    /// Waits until a line from `ident` says `message`; returns it.
    fn wait(&self, ident: &str, message: &str) -> Line {
        support::wait_for(
            &format!("{ident}: {message} in syslog: {:#?}", self.lines()),
            DEADLINE,
            Duration::from_millis(50),
            || {
                self.lines()
                    .into_iter()
                    .find(|l| l.ident == ident && l.message == message)
            },
        )
    }
}

/// `<facility daemon>*8 + severity`.
const DAEMON_INFO: u32 = 3 * 8 + 6;
const DAEMON_ERR: u32 = 3 * 8 + 3;

/// Waits until the PID file `file` holds `pid` (C's drivers write it before they detach
/// and again after).
fn wait_pid_file(file: &Path, pid: u32) {
    support::wait_for(
        &format!("{} to hold {pid}", file.display()),
        DEADLINE,
        Duration::from_millis(50),
        || {
            let text = std::fs::read_to_string(file).ok()?;
            (text.trim().parse::<u32>().ok()? == pid).then_some(())
        },
    );
}

/// Kills the processes of the PID files when dropped (whatever happened to the test).
struct Reaper(Vec<PathBuf>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for file in &self.0 {
            if let Some(pid) = std::fs::read_to_string(file)
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok())
            {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// A site whose upsd listens on 127.0.0.1 and `localhost` at the same port (`localhost`
/// is bound first, so the 127.0.0.1 line is refused when `localhost` is 127.0.0.1) and
/// serves one dummy-ups UPS, `dummy`.
fn site(dir: &Path) -> Site {
    let dev = dir.join("dummy.dev");
    std::fs::write(&dev, "ups.status: OL\nbattery.charge: 100\n").unwrap();
    let ups_conf = format!(
        "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n",
        dev.display()
    );
    let site = Site::new(dir, &ups_conf, "", &[]);
    let port = site.port;
    std::fs::write(
        site.etc().join("upsd.conf"),
        format!("LISTEN 127.0.0.1 {port}\nLISTEN localhost {port}\n"),
    )
    .unwrap();
    site.chown();
    site
}

/// Runs `program args…` at `site` to its end (a daemon's parent exits once the child has
/// detached), with `wrap` in front when given; asserts success.
fn run_detaching(site: &Site, log: &LogDaemon, wrap: &[String], program: &str, args: &[&str]) {
    let mut cmd = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = site.command(first);
            c.args(rest).arg(program);
            c
        }
        None => site.command(program),
    };
    let out = cmd
        .args(args)
        .env("NUT_RS_SYSLOG_SOCKET", &log.path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("can't run {program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
}

/// What one stack (dummy-ups, upsd and upslog, all ours or all C's) sent to syslog from its
/// start to upslog's end, checked on the way.
fn start_up_lines(dir: &Path, [driver, upsd, upslog]: [&str; 3], wrap: &[String]) -> Vec<Line> {
    let site = site(dir);
    let log = LogDaemon::bind(&dir.join("log"));
    let state = site.state();
    let _reaper = Reaper(vec![
        state.join("dummy-ups-dummy.pid"),
        state.join("upsd.pid"),
    ]);
    run_detaching(&site, &log, wrap, driver, &["-a", "dummy"]);
    // The line comes from the detached driver, whose id is in the PID file.
    let started = log.wait("dummy-ups", "Startup successful");
    assert_eq!(started.priority, DAEMON_INFO);
    wait_pid_file(&state.join("dummy-ups-dummy.pid"), started.pid);

    run_detaching(&site, &log, wrap, upsd, &[]);
    let started = log.wait("upsd", "Startup successful");
    assert_eq!(started.priority, DAEMON_INFO);
    let upsd_pid = started.pid;
    wait_pid_file(&state.join("upsd.pid"), upsd_pid);
    let port = site.port;
    let listening = log.wait("upsd", &format!("listening on localhost port {port}"));
    let refused = log.wait("upsd", &format!("not listening on 127.0.0.1 port {port}"));
    assert_eq!(listening.priority, DAEMON_INFO);
    assert_eq!(refused.priority, DAEMON_ERR);
    // Bound before going to the background: by the parent, whose id is not the daemon's.
    assert_ne!(listening.pid, upsd_pid);

    // It serves on what it got.
    support::wait_for(
        "upsc to show the status",
        DEADLINE,
        Duration::from_millis(100),
        || {
            let out = site.output(
                env!("CARGO_BIN_EXE_upsc"),
                &[format!("dummy@127.0.0.1:{port}"), "ups.status".into()],
            );
            (out.stdout == b"OL\n").then_some(())
        },
    );

    // upslog in the background: its start, then SIGHUP and SIGTERM, each logged.
    let pid_file = state.join("upslog.pid");
    let ups = format!("dummy@127.0.0.1:{port}");
    // upslog leaves root for user nut (when started as root): the log file is nut's, as an
    // admin would make it, so that SIGHUP can reopen it.
    let log_file = dir.join("ups.log");
    std::fs::write(&log_file, "").unwrap();
    site.chown();
    let upslog_args = ["-s", &ups, "-i", "1", "-l"];
    let mut args: Vec<&str> = upslog_args.to_vec();
    let (log_file, pid_arg) = (
        log_file.display().to_string(),
        pid_file.display().to_string(),
    );
    args.extend([log_file.as_str(), "-p", pid_arg.as_str()]);
    let _upslog_reaper = Reaper(vec![pid_file.clone()]);
    run_detaching(&site, &log, wrap, upslog, &args);
    let started = log.wait("upslog", "Startup successful");
    assert_eq!(started.priority, DAEMON_INFO);
    wait_pid_file(&pid_file, started.pid);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(started.pid).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    log.wait("upslog", "Signal 1: reopening log file");
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    log.wait("upslog", "Signal 15: exiting");
    log.lines()
}

/// The messages of `ident` among `lines`, in order, with their priority.
fn messages(lines: &[Line], ident: &str) -> Vec<(u32, String)> {
    lines
        .iter()
        .filter(|l| l.ident == ident)
        .map(|l| (l.priority, l.message.clone()))
        .collect()
}

#[test]
fn backgrounded_driver_upsd_and_upslog_log_to_syslog() {
    let dir = tempfile::tempdir().unwrap();
    let lines = start_up_lines(dir.path(), OURS, &[]);
    // Nothing else writes there; every line is at facility daemon.
    assert!(
        lines.iter().all(
            |l| ["upsd", "dummy-ups", "upslog"].contains(&l.ident.as_str()) && l.priority / 8 == 3
        ),
        "{lines:#?}"
    );
}

/// The command that runs a program in a mount namespace whose `/dev/log` is `socket`: a
/// tmpfs on `/dev` with links to the real entries (bound at `<dir>/realdev`) and `log`.
fn namespace_wrapper(dir: &Path, socket: &Path) -> Vec<String> {
    let script = dir.join("ns.sh");
    let real = dir.join("realdev");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(
        &script,
        format!(
            "set -e\n\
             mount --rbind /dev {real}\n\
             mount -t tmpfs tmpfs /dev\n\
             for f in {real}/* {real}/.[!.]*; do if [ -e \"$f\" ]; then ln -s \"$f\" /dev/; fi; done\n\
             rm -f /dev/log\n\
             ln -s {socket} /dev/log\n\
             exec \"$@\"\n",
            real = real.display(),
            socket = socket.display()
        ),
    )
    .unwrap();
    ["unshare", "--mount", "--propagation", "private", "sh"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([script.display().to_string()])
        .collect()
}

/// Whether this process may make a mount namespace and mount in it.
fn can_unshare() -> bool {
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("mount -t tmpfs tmpfs /mnt")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_lines_match_c_dummy_ups_upsd_and_upslog() {
    if !support::have(&[C_UPSD, C_DUMMY, C_UPSLOG]) {
        return;
    }
    if !can_unshare() {
        eprintln!("note: skipping the C comparison: no mount namespace (needs root and unshare)");
        return;
    }
    let ours_dir = tempfile::tempdir().unwrap();
    let ours = start_up_lines(ours_dir.path(), OURS, &[]);
    let c_dir = tempfile::tempdir().unwrap();
    let wrap = namespace_wrapper(c_dir.path(), &c_dir.path().join("log"));
    let c = start_up_lines(c_dir.path(), [C_DUMMY, C_UPSD, C_UPSLOG], &wrap);

    // The driver: one line, the same (C's also has a debug line when upsd connects).
    let not_debug = |lines: &[Line], ident: &str| -> Vec<(u32, String)> {
        messages(lines, ident)
            .into_iter()
            .filter(|(p, _)| p % 8 < 7)
            .collect()
    };
    assert_eq!(not_debug(&ours, "dummy-ups"), not_debug(&c, "dummy-ups"));
    assert_eq!(not_debug(&c, "dummy-ups").len(), 1, "{c:#?}");
    // upslog: its start and both signals, the same.
    assert_eq!(messages(&ours, "upslog"), messages(&c, "upslog"));
    // upsd: the LISTEN lines in the same order and with the same severities, then the
    // start-up line. (C also warns about world-readable files and names the drivers it
    // connected to before it detached; ours connects to its drivers once detached.)
    let wanted = |lines: &[Line]| -> Vec<(u32, String)> {
        messages(lines, "upsd")
            .into_iter()
            .filter(|(_, m)| m.contains("listening on") || m == "Startup successful")
            .map(|(p, m)| match m.rsplit_once(" port ") {
                Some((head, _)) => (p, format!("{head} port PORT")),
                None => (p, m),
            })
            .collect()
    };
    assert_eq!(wanted(&ours), wanted(&c));
    assert_eq!(wanted(&c).len(), 3, "{c:?}");
}

/// upsmon in the background: its start and a notification whose NOTIFYFLAG says SYSLOG
/// (the UPS is on battery from the start), each once, at C's severities.
#[test]
fn backgrounded_upsmon_logs_its_start_and_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let site = site(dir.path());
    std::fs::write(dir.path().join("dummy.dev"), "ups.status: OB\n").unwrap();
    let port = site.port;
    let mut conf = format!(
        "MONITOR dummy@127.0.0.1:{port} 1 admin pw secondary\n\
         SHUTDOWNCMD \"/bin/true\"\nPOWERDOWNFLAG {}\nPOLLFREQ 1\n",
        dir.path().join("killpower").display()
    );
    for event in [
        "ONLINE", "ONBATT", "LOWBATT", "COMMOK", "COMMBAD", "NOCOMM", "REPLBATT",
    ] {
        conf.push_str(&format!("NOTIFYFLAG {event} SYSLOG\n"));
    }
    std::fs::write(site.etc().join("upsmon.conf"), conf).unwrap();
    site.chown();
    let log = LogDaemon::bind(&dir.path().join("log"));
    let foreground = |program: &str, args: &[&str]| {
        let mut cmd = site.command(program);
        cmd.args(args).env("NUT_RS_SYSLOG_SOCKET", &log.path);
        support::Kill::spawn(&mut cmd)
    };
    let _driver = foreground(OURS[0], &["-a", "dummy", "-F"]);
    let _upsd = foreground(OURS[1], &["-F"]);
    let pid_file = site.state().join("upsmon.pid");
    let _reaper = Reaper(vec![pid_file.clone()]);
    let upsmon = env!("CARGO_BIN_EXE_upsmon");
    let out = site
        .command(upsmon)
        .env("NUT_PIDPATH", site.state())
        .env("NUT_RS_SYSLOG_SOCKET", &log.path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let started = log.wait("upsmon", "Startup successful");
    assert_eq!(started.priority, DAEMON_INFO);
    let on_battery = format!("UPS dummy@127.0.0.1:{port} on battery");
    let notified = log.wait("upsmon", &on_battery);
    assert_eq!(notified.priority, 3 * 8 + 5, "daemon.notice");
    wait_pid_file(&pid_file, notified.pid);

    let out = site
        .command(upsmon)
        .args(["-c", "stop"])
        .env("NUT_PIDPATH", site.state())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    support::wait_for(
        "upsmon to stop",
        DEADLINE,
        Duration::from_millis(50),
        || (!pid_file.exists()).then_some(()),
    );
    let lines = log.lines();
    let count = |message: &str| {
        lines
            .iter()
            .filter(|l| l.ident == "upsmon" && l.message == message)
            .count()
    };
    assert_eq!(count("Startup successful"), 1, "{lines:#?}");
    assert_eq!(count(&on_battery), 1, "{lines:#?}");
}
