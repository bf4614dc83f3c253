//! End-to-end tests of upsmon against C NUT's upsd and dummy-ups: a simulated power failure
//! (OL → OB → OB LB) seen by our upsmon and by C upsmon, which must report the same events
//! and shut down the same way.
//!
//! Without the C programs the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The real program (Debian's /sbin/upsmon is a wrapper that reads /etc/nut/nut.conf).
const C_UPSMON: &str = "/lib/nut/upsmon";
const DEADLINE: Duration = Duration::from_secs(60);

mod support;

use support::{free_port, have, Proc, C_DUMMY, C_UPSD};

/// A command running `program` where `/run` is a private, empty folder when the test may
/// make one (root, with `unshare`): C 2.8.0's upsmon always writes `/run/nut/upsmon.pid`, and
/// no test may touch the machine's real one (or find another test's). Otherwise `program`
/// itself, told to skip its "already running" check.
fn private_run(program: &str) -> Command {
    let root = nix::unistd::Uid::effective().is_root();
    if root && Command::new("unshare").arg("--help").output().is_ok() {
        let mut c = Command::new("unshare");
        c.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg("mount -t tmpfs tmpfs /run && mkdir -p /run/nut && exec \"$0\" \"$@\"")
            .arg(program);
        return c;
    }
    let mut c = Command::new(program);
    c.args(["-P", "2147483646"]);
    c
}

fn chown_nut(path: &Path) {
    let _ = Command::new("chown")
        .args(["-R", "nut:nut"])
        .arg(path)
        .status();
}

fn spawn(cmd: &mut Command) -> Proc {
    Proc::spawn(cmd)
}

/// C upsd with C dummy-ups drivers, one per `(name, file name, contents)`.
struct Server {
    dir: tempfile::TempDir,
    port: u16,
    _procs: Vec<Proc>,
}

/// Which upsd and dummy-ups serve the UPSes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stack {
    /// Debian's C upsd over C dummy-ups.
    C,
    /// Our upsd over our dummy-ups (the binaries of this package).
    Ours,
}

impl Server {
    fn start_on(stack: Stack, upses: &[(&str, &str, &str)]) -> Self {
        let (upsd, dummy) = match stack {
            Stack::C => (C_UPSD, C_DUMMY),
            Stack::Ours => (env!("CARGO_BIN_EXE_upsd"), env!("CARGO_BIN_EXE_dummy-ups")),
        };
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        let state = dir.path().join("state");
        fs::create_dir_all(&etc).unwrap();
        fs::create_dir_all(&state).unwrap();
        let port = free_port();
        let mut ups_conf = String::new();
        for (name, file, contents) in upses {
            let data = etc.join(file);
            fs::write(&data, contents).unwrap();
            ups_conf += &format!(
                "[{name}]\n\tdriver = dummy-ups\n\tport = {}\n",
                data.display()
            );
        }
        fs::write(etc.join("ups.conf"), ups_conf).unwrap();
        fs::write(etc.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\n")).unwrap();
        fs::write(
            etc.join("upsd.users"),
            "[pri]\n\tpassword = pripass\n\tupsmon primary\n\
             [sec]\n\tpassword = secpass\n\tupsmon secondary\n",
        )
        .unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&state, fs::Permissions::from_mode(0o770)).unwrap();
        chown_nut(dir.path());
        let env = |c: &mut Command| {
            c.env("NUT_CONFPATH", &etc).env("NUT_STATEPATH", &state);
        };
        let mut procs = Vec::new();
        for (name, _, _) in upses {
            let mut c = Command::new(dummy);
            c.args(["-a", name, "-u", "nut", "-F"]);
            env(&mut c);
            procs.push(spawn(&mut c));
        }
        // Wait for the driver sockets so that upsd finds them at once.
        wait_for("driver sockets", || {
            upses
                .iter()
                .all(|(n, _, _)| state.join(format!("dummy-ups-{n}")).exists())
                .then_some(())
        });
        let mut c = Command::new(upsd);
        c.args(["-u", "nut", "-F"]);
        env(&mut c);
        procs.push(spawn(&mut c));
        let server = Self {
            dir,
            port,
            _procs: procs,
        };
        // Any status will do: a failure script may already be past its first few seconds on
        // line when a loaded machine gets upsd this far, and upsmon reports the same events
        // whether it first sees the UPS on line or on battery.
        for (name, _, _) in upses {
            wait_for("upsd to serve the UPS", || server.status(name));
        }
        server
    }

    /// `ups.status` of `ups`, as upsd serves it.
    fn status(&self, ups: &str) -> Option<String> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        (&stream)
            .write_all(format!("GET VAR {ups} ups.status\n").as_bytes())
            .ok()?;
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).ok()?;
        let value = line.strip_prefix(&format!("VAR {ups} ups.status "))?;
        Some(value.trim().trim_matches('"').to_owned())
    }
}

fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    support::wait_for(what, DEADLINE, Duration::from_millis(100), f)
}

/// OL for a few seconds, then on battery, then low battery for good.
const FAILURE: &str = "ups.status: OL\nbattery.charge: 100\nTIMER 3\n\
                       ups.status: OB\nbattery.charge: 50\nTIMER 3\n\
                       ups.status: OB LB\nbattery.charge: 5\nTIMER 3600\n";
const STEADY: &str = "ups.status: OL\nbattery.charge: 100\n";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Impl {
    Ours,
    C,
}

/// One upsmon with its own configuration and records.
struct Upsmon {
    dir: tempfile::TempDir,
    _proc: Proc,
}

const EVENTS_2_8_0: [&str; 10] = [
    "ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "REPLBATT", "NOCOMM",
    "NOPARENT",
];

impl Upsmon {
    /// Starts upsmon with `monitors` (MONITOR lines) and `extra` settings. `log` is a file
    /// every notification is also appended to, as `<tag> <EVENT>`.
    fn start(which: Impl, monitors: &str, extra: &str, tag: &str, log: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let script = d.join("notify.sh");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$NOTIFYTYPE $UPSNAME\" >> {events}\necho \"{tag} $NOTIFYTYPE\" >> {log}\n",
                events = d.join("events").display(),
                log = log.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        let mut conf = format!(
            "{monitors}NOTIFYCMD {}\nSHUTDOWNCMD \"echo shutdown >> {shutdown}; echo '{tag} SHUTDOWNCMD' >> {log}\"\n\
             POWERDOWNFLAG {flag}\nPOLLFREQ 1\nPOLLFREQALERT 1\nDEADTIME 5\nFINALDELAY 1\n{extra}",
            script.display(),
            shutdown = d.join("shutdown").display(),
            log = log.display(),
            flag = d.join("killpower").display(),
        );
        for e in EVENTS_2_8_0 {
            conf += &format!("NOTIFYFLAG {e} EXEC\n");
        }
        let conf_path = d.join("upsmon.conf");
        fs::write(&conf_path, conf).unwrap();
        fs::set_permissions(d, fs::Permissions::from_mode(0o770)).unwrap();
        chown_nut(d);
        let mut cmd = match which {
            Impl::Ours => Command::new(env!("CARGO_BIN_EXE_upsmon")),
            Impl::C => private_run(C_UPSMON),
        };
        cmd.arg("-F")
            .arg("-f")
            .arg(&conf_path)
            .env("NUT_PIDPATH", d)
            .env("NUT_CONFPATH", d);
        Self {
            _proc: spawn(&mut cmd),
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The recorded events (`EVENT ups` lines).
    fn events(&self) -> Vec<String> {
        fs::read_to_string(self.path("events"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn wait_shutdown(&self) {
        wait_for("SHUTDOWNCMD", || {
            fs::read_to_string(self.path("shutdown"))
                .ok()
                .filter(|s| !s.is_empty())
        });
        // Let the notifier processes finish their writes.
        wait_for("SHUTDOWN notification", || {
            self.events()
                .iter()
                .any(|e| e.starts_with("SHUTDOWN"))
                .then_some(())
        });
    }
}

fn primary_scenario(which: Impl) -> Vec<String> {
    primary_scenario_on(Stack::C, which)
}

fn primary_scenario_on(stack: Stack, which: Impl) -> Vec<String> {
    let server = Server::start_on(stack, &[("dummy", "power.seq", FAILURE)]);
    let log = server.dir.path().join("log");
    let mon = Upsmon::start(
        which,
        &format!(
            "MONITOR dummy@127.0.0.1:{} 1 pri pripass primary\n",
            server.port
        ),
        "HOSTSYNC 5\n",
        "primary",
        &log,
    );
    mon.wait_shutdown();
    assert_eq!(
        fs::read_to_string(mon.path("killpower")).unwrap(),
        "upsmon-shutdown-file"
    );
    let status = server.status("dummy").unwrap();
    assert!(status.starts_with("FSD"), "server status {status:?}");
    mon.events()
}

#[test]
fn primary_power_failure_same_as_c() {
    if !have(&[C_UPSD, C_DUMMY, C_UPSMON]) {
        return;
    }
    let ours = primary_scenario(Impl::Ours);
    let ups = |e: &str| e.split(' ').next().unwrap().to_owned();
    let names: Vec<String> = ours.iter().map(|e| ups(e)).collect();
    assert_eq!(names, ["ONBATT", "LOWBATT", "SHUTDOWN"], "{ours:?}");
    assert!(ours[0].ends_with("dummy@127.0.0.1") || ours[0].contains("dummy@127.0.0.1:"));
    // C forks every notifier at once, so its order may vary: compare the events.
    let c = primary_scenario(Impl::C);
    let mut c_names: Vec<String> = c.iter().map(|e| ups(e)).collect();
    let mut sorted = names.clone();
    c_names.sort();
    sorted.sort();
    assert_eq!(sorted, c_names, "ours {ours:?}, C {c:?}");
}

/// The primary and the secondary watch the same UPS; the secondary must shut down when the
/// primary sets FSD, and the primary only after the secondary has gone.
fn secondary_scenario(primary: Impl, secondary: Impl) -> (Vec<String>, Vec<String>) {
    secondary_scenario_on(Stack::C, primary, secondary)
}

fn secondary_scenario_on(
    stack: Stack,
    primary: Impl,
    secondary: Impl,
) -> (Vec<String>, Vec<String>) {
    let server = Server::start_on(stack, &[("dummy", "power.seq", FAILURE)]);
    let log = server.dir.path().join("log");
    let sec = Upsmon::start(
        secondary,
        &format!(
            "MONITOR dummy@127.0.0.1:{} 1 sec secpass secondary\n",
            server.port
        ),
        "HOSTSYNC 30\n",
        "secondary",
        &log,
    );
    let pri = Upsmon::start(
        primary,
        &format!(
            "MONITOR dummy@127.0.0.1:{} 1 pri pripass primary\n",
            server.port
        ),
        "HOSTSYNC 30\n",
        "primary",
        &log,
    );
    sec.wait_shutdown();
    pri.wait_shutdown();
    let lines: Vec<String> = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let at = |l: &str| {
        lines
            .iter()
            .position(|x| x == l)
            .unwrap_or_else(|| panic!("{l} not in {lines:?}"))
    };
    assert!(at("secondary FSD") < at("secondary SHUTDOWN"), "{lines:?}");
    assert!(
        at("secondary SHUTDOWN") < at("primary SHUTDOWN"),
        "{lines:?}"
    );
    assert!(
        at("secondary SHUTDOWNCMD") < at("primary SHUTDOWNCMD"),
        "{lines:?}"
    );
    let names = |m: &Upsmon| -> Vec<String> {
        m.events()
            .iter()
            .map(|e| e.split(' ').next().unwrap().to_owned())
            .collect()
    };
    (names(&pri), names(&sec))
}

/// ONBATT first and FSD before SHUTDOWN (LOWBATT may come on either side of FSD: upsd puts
/// FSD first in the status).
fn check_secondary_events(sec: &[String], ordered: bool) {
    let mut sorted = sec.to_vec();
    sorted.retain(|e| e != "LOWBATT");
    if !ordered {
        sorted.sort();
        assert_eq!(sorted, ["FSD", "ONBATT", "SHUTDOWN"], "{sec:?}");
    } else {
        assert_eq!(sorted, ["ONBATT", "FSD", "SHUTDOWN"], "{sec:?}");
    }
}

#[test]
fn secondary_follows_the_primary_ours() {
    if !have(&[C_UPSD, C_DUMMY]) {
        return;
    }
    let (pri, sec) = secondary_scenario(Impl::Ours, Impl::Ours);
    assert_eq!(pri, ["ONBATT", "LOWBATT", "SHUTDOWN"]);
    check_secondary_events(&sec, true);
}

#[test]
fn secondary_mixed_with_c() {
    if !have(&[C_UPSD, C_DUMMY, C_UPSMON]) {
        return;
    }
    // C primary, our secondary; then our primary, C secondary.
    let (pri, sec) = secondary_scenario(Impl::C, Impl::Ours);
    check_secondary_events(&sec, true);
    assert!(pri.contains(&"SHUTDOWN".to_owned()), "{pri:?}");
    let (pri, sec) = secondary_scenario(Impl::Ours, Impl::C);
    check_secondary_events(&sec, false);
    assert_eq!(pri, ["ONBATT", "LOWBATT", "SHUTDOWN"]);
}

fn redundant_scenario(which: Impl) -> Vec<String> {
    redundant_scenario_on(Stack::C, which)
}

fn redundant_scenario_on(stack: Stack, which: Impl) -> Vec<String> {
    let server = Server::start_on(stack, &[("a", "a.seq", FAILURE), ("b", "b.dev", STEADY)]);
    let log = server.dir.path().join("log");
    let p = server.port;
    let mon = Upsmon::start(
        which,
        &format!(
            "MONITOR a@127.0.0.1:{p} 1 pri pripass primary\nMONITOR b@127.0.0.1:{p} 1 pri pripass primary\nMINSUPPLIES 1\n"
        ),
        "HOSTSYNC 5\n",
        "mon",
        &log,
    );
    wait_for("LOWBATT on a", || {
        mon.events()
            .iter()
            .any(|e| e.starts_with("LOWBATT a@"))
            .then_some(())
    });
    // Several poll rounds with `a` critical: `b` alone still feeds MINSUPPLIES.
    std::thread::sleep(Duration::from_secs(5));
    assert!(!mon.path("shutdown").exists());
    assert!(!server.status("a").unwrap().contains("FSD"));
    mon.events()
}

#[test]
fn redundant_supplies_survive_losing_one_same_as_c() {
    if !have(&[C_UPSD, C_DUMMY, C_UPSMON]) {
        return;
    }
    let ours = redundant_scenario(Impl::Ours);
    let c = redundant_scenario(Impl::C);
    let strip = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|e| e.split(':').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(strip(&ours), ["ONBATT a@127.0.0.1", "LOWBATT a@127.0.0.1"]);
    assert_eq!(strip(&ours), strip(&c));
}

#[test]
fn check_flag_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("killpower");
    let conf = dir.path().join("upsmon.conf");
    fs::write(&conf, format!("POWERDOWNFLAG {}\n", flag.display())).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_upsmon"))
            .args(args)
            .env("NUT_PIDPATH", dir.path())
            .output()
            .unwrap()
    };
    let k = ["-K", "-f", conf.to_str().unwrap()];
    assert_eq!(run(&k).status.code(), Some(1));
    fs::write(&flag, "upsmon-shutdown-file").unwrap();
    assert_eq!(run(&k).status.code(), Some(0));
    // No running instance to signal.
    let out = run(&["-c", "stop"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PID file"));
    // A bad config is reported with file and line.
    fs::write(&conf, "MONITOR x@h 1 pass primary\n").unwrap();
    let out = run(&["-F", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    // Too little power configured.
    fs::write(&conf, "MINSUPPLIES 2\nMONITOR x@h 1 u p primary\n").unwrap();
    let out = run(&["-F", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("insufficient power configured"));
}

/// The same scenarios with our upsd and our dummy-ups serving the UPSes: upsmon (ours and
/// C's) must see the same events as on C's stack.
#[test]
fn scenarios_on_our_stack() {
    if !have(&[C_UPSMON]) {
        return;
    }
    let ups = |e: &String| e.split(' ').next().unwrap().to_owned();
    for which in [Impl::Ours, Impl::C] {
        let mut events: Vec<String> = primary_scenario_on(Stack::Ours, which)
            .iter()
            .map(ups)
            .collect();
        if which == Impl::C {
            // C forks its notifiers at once: compare the events, not their order.
            events.sort();
            assert_eq!(events, ["LOWBATT", "ONBATT", "SHUTDOWN"], "{which:?}");
        } else {
            assert_eq!(events, ["ONBATT", "LOWBATT", "SHUTDOWN"], "{which:?}");
        }
    }
    let (pri, sec) = secondary_scenario_on(Stack::Ours, Impl::Ours, Impl::Ours);
    assert_eq!(pri, ["ONBATT", "LOWBATT", "SHUTDOWN"]);
    check_secondary_events(&sec, true);
    let strip = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|e| e.split(':').next().unwrap().to_owned())
            .collect()
    };
    let ours = redundant_scenario_on(Stack::Ours, Impl::Ours);
    assert_eq!(strip(&ours), ["ONBATT a@127.0.0.1", "LOWBATT a@127.0.0.1"]);
    assert_eq!(
        strip(&redundant_scenario_on(Stack::Ours, Impl::C)),
        strip(&ours)
    );
}
