//! upsmon.conf keywords of nut-rs that C NUT does not know (`SHUTDOWNCHARGE`,
//! `SHUTDOWNRUNTIME`, `SHUTDOWNONBATT`, `EVENTLOG`): our upsmon acts on them, and C upsmon
//! 2.8.0 reading the very same file warns "invalid directive" and otherwise works as before.
//!
//! The UPS (our dummy-ups under our upsd) goes on battery and drains to 25 % without ever
//! reporting low battery. Our upsmon, a secondary told `SHUTDOWNCHARGE 30`, shuts down and
//! logs the events; C upsmon, with the same file, only reports ONBATT and keeps running.
//!
//! Without the C programs the C half prints a note and is left out, unless `NUT_RS_INTEROP=1`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod support;

use support::{have, Proc, Site};

const C_UPSMON: &str = "/lib/nut/upsmon";

/// On line for two seconds, then on battery, draining to 25 % and staying there.
const DRAIN: &str = "ups.status: OL\nbattery.charge: 100\nbattery.runtime: 1800\nTIMER 2\n\
                     ups.status: OB DISCHRG\nbattery.charge: 50\nbattery.runtime: 900\nTIMER 3\n\
                     ups.status: OB DISCHRG\nbattery.charge: 25\nbattery.runtime: 400\nTIMER 3600\n";

fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    support::wait_for(what, Duration::from_secs(60), Duration::from_millis(100), f)
}

/// A command running `program` with a private, empty `/run` when the test may make one
/// (C 2.8.0's upsmon always writes `/run/nut/upsmon.pid`); otherwise told to skip its
/// "already running" check.
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

/// One upsmon, its configuration and what it recorded, in a folder of its own.
struct Upsmon {
    dir: tempfile::TempDir,
    proc: Proc,
}

impl Upsmon {
    fn start(c: bool, ups: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let script = d.join("notify.sh");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$NOTIFYTYPE\" >> {}\n",
                d.join("events").display()
            ),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        let mut conf = format!(
            "MONITOR {ups} 1 mon pw secondary\n\
             NOTIFYCMD {script}\nSHUTDOWNCMD \"echo shutdown >> {shutdown}\"\n\
             POWERDOWNFLAG {flag}\nPOLLFREQ 1\nPOLLFREQALERT 1\nFINALDELAY 0\n\
             SHUTDOWNCHARGE {ups} 30\nSHUTDOWNONBATT {ups} 3600\nEVENTLOG {log}\n",
            script = script.display(),
            shutdown = d.join("shutdown").display(),
            flag = d.join("killpower").display(),
            log = d.join("events.log").display(),
        );
        for e in [
            "ONLINE", "ONBATT", "LOWBATT", "SHUTDOWN", "COMMBAD", "COMMOK",
        ] {
            conf += &format!("NOTIFYFLAG {e} EXEC\n");
        }
        let conf_path = d.join("upsmon.conf");
        fs::write(&conf_path, conf).unwrap();
        fs::set_permissions(d, fs::Permissions::from_mode(0o777)).unwrap();
        let _ = Command::new("chown")
            .args(["-R", "nut:nut"])
            .arg(d)
            .status();
        let mut cmd = match c {
            false => Command::new(env!("CARGO_BIN_EXE_upsmon")),
            true => private_run(C_UPSMON),
        };
        cmd.arg("-F")
            .arg("-f")
            .arg(&conf_path)
            .env("NUT_PIDPATH", d)
            .env("NUT_CONFPATH", d);
        Self {
            proc: Proc::spawn(&mut cmd),
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn events(&self) -> Vec<String> {
        read_lines(&self.path("events"))
    }
}

/// `ups.status` of `ups` as upsd serves it (`None` until it does).
fn status(port: u16, ups: &str) -> Option<String> {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
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

fn read_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn charge_limit_and_event_log_ours_and_c_reads_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new(
        dir.path(),
        "[u]\n\tdriver = dummy-ups\n\tport = drain.seq\n",
        "",
        &[
            ("drain.seq", DRAIN),
            ("upsd.users", "[mon]\n\tpassword = pw\n\tupsmon secondary\n"),
        ],
    );
    let _driver = site.spawn(
        env!("CARGO_BIN_EXE_dummy-ups"),
        &["-a", "u", "-u", "nut", "-F"],
    );
    wait_for("the driver socket", || {
        site.state().join("dummy-ups-u").exists().then_some(())
    });
    let _upsd = site.spawn(env!("CARGO_BIN_EXE_upsd"), &["-u", "nut", "-F"]);
    let ups = site.ups("u");
    // Only once upsd serves the UPS, so that no upsmon starts with COMMBAD.
    wait_for("upsd to serve the UPS", || status(site.port, "u"));
    let with_c = have(&[C_UPSMON]);
    let ours = Upsmon::start(false, &ups);
    let mut c = with_c.then(|| Upsmon::start(true, &ups));

    wait_for("our SHUTDOWNCMD", || {
        fs::read_to_string(ours.path("shutdown"))
            .ok()
            .filter(|s| !s.is_empty())
    });
    wait_for("our SHUTDOWN notification", || {
        ours.events().iter().any(|e| e == "SHUTDOWN").then_some(())
    });
    let events = ours.events();
    assert_eq!(events, ["ONBATT", "LOWBATT", "SHUTDOWN"], "{events:?}");
    // The event log: every event, with its time, the UPS and the message.
    let log = read_lines(&ours.path("events.log"));
    let fields: Vec<Vec<&str>> = log.iter().map(|l| l.split('\t').collect()).collect();
    let events: Vec<&str> = fields.iter().map(|f| f[1]).collect();
    assert_eq!(events, ["ONBATT", "LOWBATT", "SHUTDOWN"], "{log:?}");
    assert_eq!(fields[0][2], ups);
    assert_eq!(fields[0][3], format!("UPS {ups} on battery"));
    assert_eq!(fields[2][2], "-");
    assert!(fields
        .iter()
        .all(|f| f[0].len() == "2026-12-05 03:12:09 +0000".len()));

    let Some(c) = c.as_mut() else {
        return;
    };
    // C has seen the same drain (the shutdown above came after it), without low battery:
    // ONBATT only, no shutdown, still running, and a warning for each keyword of ours.
    wait_for("C's ONBATT", || {
        c.events().iter().any(|e| e == "ONBATT").then_some(())
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(c.events(), ["ONBATT"]);
    assert!(!c.path("shutdown").exists());
    assert!(!c.path("events.log").exists());
    assert!(c.proc.running(), "C upsmon stopped");
    // What C says about the file (`-K` reads it and stops).
    let out = Command::new(C_UPSMON)
        .arg("-K")
        .env("NUT_CONFPATH", c.dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for keyword in ["SHUTDOWNCHARGE", "SHUTDOWNONBATT", "EVENTLOG"] {
        assert!(
            stderr.contains(&format!("invalid directive {keyword} ")),
            "{keyword}: {stderr}"
        );
    }
    assert!(stderr.contains("Power down flag is not set"), "{stderr}");
    // Ours reads the file without a word about them.
    let out = Command::new(env!("CARGO_BIN_EXE_upsmon"))
        .arg("-K")
        .env("NUT_CONFPATH", c.dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("invalid directive"), "{stderr}");
}
