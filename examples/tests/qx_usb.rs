//! Differential tests of nutdrv_qx on USB: C NUT 2.8.0's `nutdrv_qx` (Debian's build loads
//! libusb-1.0 dynamically) and ours run under `usb-emu run --q1 BRIDGE`, which puts a
//! simulated Megatec UPS (`nut_drivers::sim`, served on a Unix socket by this test) behind an
//! emulated USB-to-serial bridge, for each of the 12 bridges C knows.
//!
//! - Through a power failure, both dump (`-d 1`) the same variables with the same values,
//!   and the status the script means to produce.
//! - Instant commands and delay settings sent through the driver socket give the same
//!   tracking results, make the UPS receive the same commands, and put the same transfers
//!   on the wire (the emulator's transfer log; C leaves uninitialised bytes after the
//!   command in the Ippon and Ablerex frames, so OUT data is compared up to its `\r`).
//! - A unit unplugged and plugged back is found again without a restart, by both.
//!
//! The bridges run side by side (each has its own simulated unit): several need a second
//! per command (their replies end with a read timeout). Without the C driver the tests
//! print a note and pass, unless `NUT_RS_INTEROP=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_drivers::sim::q1::Q1Dialect;
use nut_drivers::sim::socket::SocketServer;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

const C_QX: &str = "/lib/nut/nutdrv_qx";
const OURS_QX: &str = env!("CARGO_BIN_EXE_nutdrv_qx");
const USB_EMU: &str = env!("CARGO_BIN_EXE_usb-emu");

mod support;

use support::qx_session::{cmd, drive, set, Request, PATIENCE};

/// A simulated unit: its model, served on a socket in its own folder.
struct Unit {
    dir: tempfile::TempDir,
    model: SharedModel,
    server: SocketServer,
}

impl Unit {
    fn new(dialect: Q1Dialect) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let model = UpsModel::shared();
        let server = SocketServer::spawn(
            model.clone(),
            Protocol::Q1(dialect),
            &dir.path().join("ups.sock"),
        )
        .unwrap();
        Self { dir, model, server }
    }

    /// A state folder of its own for one driver run.
    fn state(&self, name: &str) -> PathBuf {
        let state = self.dir.path().join(name);
        std::fs::create_dir_all(&state).unwrap();
        state
    }
}

/// The options a bridge needs besides `port=auto`: C picks every bridge by itself but SNR
/// (whose ids it gives to Hunnox), and C 2.8.0's SNR needs `langid_fix` (see
/// `nut_drivers::qx::usb::strings::snr`).
fn bridge_options(bridge: &str) -> Vec<String> {
    let mut out = vec!["protocol=megatec".to_owned()];
    if bridge == "snr" {
        out.extend(
            [
                "subdriver=snr",
                "vendorid=0001",
                "productid=0000",
                "langid_fix=0x0409",
            ]
            .map(str::to_owned),
        );
    }
    out
}

/// `usb-emu run --q1 BRIDGE --q1-socket … <emu flags> -- program -s ups -u root -x
/// port=auto <args> -x <options>…`, with its state in `state`.
fn driver(
    program: &str,
    bridge: &str,
    unit: &Unit,
    state: &Path,
    emu: &[(&str, &Path)],
    args: &[&str],
    options: &[String],
) -> Command {
    let mut c = Command::new(USB_EMU);
    c.args(["run", "--q1", bridge, "--q1-socket"])
        .arg(unit.server.path());
    for (flag, path) in emu {
        c.arg(flag).arg(path);
    }
    c.args(["--", program, "-s", "ups", "-u", "root", "-x", "port=auto"])
        .args(args);
    for o in options {
        c.args(["-x", o]);
    }
    c.env("NUT_STATEPATH", state)
        .env("NUT_CONFPATH", state)
        .env("NUT_ALTPIDPATH", state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// The `-d 1` dump of `program`, without the version lines.
fn dump(program: &str, bridge: &str, unit: &Unit, options: &[String]) -> Vec<String> {
    let state = unit.state("dump");
    let child = driver(program, bridge, unit, &state, &[], &["-d", "1"], options)
        .spawn()
        .unwrap_or_else(|e| panic!("can't start {program}: {e}"));
    support::driver::finish(program, child)
        .lines()
        .filter(|l| l.contains(": "))
        .filter(|l| !l.starts_with("driver.version: ") && !l.starts_with("driver.version.usb: "))
        .map(str::to_owned)
        .collect()
}

/// Runs `check` for every bridge at once; panics naming each bridge that failed.
fn for_each_bridge(bridges: &[&'static str], check: impl Fn(&'static str) + Sync) {
    if !support::have(&[C_QX]) {
        return;
    }
    let failed: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = bridges.iter().map(|&b| (b, s.spawn(|| check(b)))).collect();
        runs.into_iter()
            .filter_map(|(b, run)| {
                run.join().err().map(|e| {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    format!("{b}: {msg}")
                })
            })
            .collect()
    });
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// The power failure: events, and the status they must give.
const STEPS: [(&str, &[&str], &str); 7] = [
    ("on line", &[], "OL"),
    ("mains lost", &["mains-lost", "wait=30"], "OB"),
    ("battery draining", &["wait=60", "load=40"], "OB"),
    ("low battery", &["low-battery"], "OB LB FSD"),
    (
        "mains back, brown-out",
        &["mains-restored", "line=190", "charge=50"],
        "OL BOOST",
    ),
    (
        "surge, self-test",
        &["line=262", "charge=80", "fail"],
        "OL TRIM CAL",
    ),
    ("normal", &["line=229.5", "charge=100"], "OL"),
];

/// C and ours through the power failure on `bridge` (all steps, or the on line, low
/// battery and brown-out ones).
fn power_failure(bridge: &str, all_steps: bool) {
    let unit = Unit::new(Q1Dialect::Megatec);
    let options = bridge_options(bridge);
    for (i, (name, events, status)) in STEPS.iter().enumerate() {
        {
            let mut m = unit.model.lock().unwrap();
            for e in *events {
                m.apply(e).unwrap();
            }
            m.testing = name.contains("self-test");
            m.shutdown_in = name.contains("low battery").then_some(60.0);
        }
        if !all_steps && ![0, 3, 4].contains(&i) {
            continue;
        }
        let c = dump(C_QX, bridge, &unit, &options);
        let ours = dump(OURS_QX, bridge, &unit, &options);
        assert_eq!(c, ours, "step {name:?}: C (left) and ours (right) differ");
        let want = format!("ups.status: {status}");
        assert!(
            ours.contains(&want),
            "step {name:?}: no {want:?} in {ours:#?}"
        );
        assert!(ours.iter().any(|l| l == "input.voltage.nominal: 230"));
    }
}

#[test]
fn cypress_matches_c_through_a_power_failure() {
    for_each_bridge(&["cypress"], |b| power_failure(b, true));
}

#[test]
fn bridges_match_c_through_a_power_failure() {
    for_each_bridge(
        &[
            "phoenixtec",
            "ippon",
            "krauler",
            "fabula",
            "hunnox",
            "fuji",
            "snr",
            "armac",
        ],
        |b| power_failure(b, false),
    );
}

/// The bridges whose every command takes a second or more (a drain, a read that ends in a
/// timeout, a half-second wait).
#[test]
fn slow_bridges_match_c_through_a_power_failure() {
    for_each_bridge(&["phoenix", "sgs", "ablerex"], |b| power_failure(b, false));
}

/// Cypress with the protocol detected rather than given: every probe of another dialect
/// goes through the bridge too.
#[test]
fn cypress_detects_the_protocol_as_c() {
    for_each_bridge(&["cypress"], |b| {
        let unit = Unit::new(Q1Dialect::Megatec);
        let c = dump(C_QX, b, &unit, &[]);
        let ours = dump(OURS_QX, b, &unit, &[]);
        assert_eq!(c, ours, "C (left) and ours (right) differ");
        assert!(ours
            .iter()
            .any(|l| l == "driver.version.data: Megatec 0.06"));
    });
}

/// The transfer log lines written since `seen` bytes, without the time and the reads of
/// query strings, OUT data up to its first `\r`; `seen` moves on.
fn new_transfers(log: &Path, seen: &mut usize) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let fresh = text.get(*seen..).unwrap_or_default().to_owned();
    *seen = text.len();
    fresh
        .lines()
        // Reads of the query strings (Q1, I, F) are polls: Hunnox's lock-step reads one
        // before each command, by a count of commands that depends on how often the
        // driver polled.
        .filter(|l| {
            !["value=0303 ", "value=030c ", "value=030d "]
                .iter()
                .any(|q| l.contains(q))
        })
        .map(|l| {
            let rest = l.split_once(' ').map_or(l, |(_, r)| r);
            if !rest.contains(" out ") {
                return rest.to_owned();
            }
            rest.split(' ')
                .map(|field| match field.strip_prefix("data=") {
                    Some(hex) => {
                        let cut = (0..hex.len())
                            .step_by(2)
                            .find(|&i| hex.get(i..i + 2) == Some("0d"))
                            .map_or(hex.len(), |i| i + 2);
                        format!("data={}", &hex[..cut])
                    }
                    None => field.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// A command session of `program` on a fresh unit behind `bridge`.
fn session(program: &str, bridge: &str, requests: &[Request]) -> support::qx_session::Session {
    let unit = Unit::new(Q1Dialect::Megatec);
    let state = unit.state("run");
    let log = unit.dir.path().join("transfers.log");
    let mut run = driver(
        program,
        bridge,
        &unit,
        &state,
        &[("--log", &log)],
        &["-F", "-i", "3600"],
        &bridge_options(bridge),
    );
    run.stdout(Stdio::null()).stderr(Stdio::null());
    let mut seen = 0;
    drive(
        program,
        run,
        &state.join("nutdrv_qx-ups"),
        &unit.model,
        requests,
        true,
        &mut || new_transfers(&log, &mut seen),
    )
}

#[test]
fn bridges_send_the_same_commands_as_c() {
    let requests = [
        cmd("no.such.command", None),
        set("ups.delay.start", "240"),
        set("ups.delay.shutdown", "59"),
        cmd("shutdown.return", None),
        cmd("shutdown.stayoff", None),
        set("ups.delay.shutdown", "540"),
        cmd("shutdown.return", None),
        cmd("test.battery.start", Some("60")),
    ];
    for_each_bridge(
        &[
            "cypress",
            "phoenixtec",
            "phoenix",
            "ippon",
            "krauler",
            "fabula",
            "hunnox",
            "fuji",
            "sgs",
            "snr",
            "ablerex",
            "armac",
        ],
        |b| {
            let (c, ours) = std::thread::scope(|s| {
                let c = s.spawn(|| session(C_QX, b, &requests));
                let ours = session(OURS_QX, b, &requests);
                (c.join().expect("C session"), ours)
            });
            assert_eq!(c.commands, ours.commands, "published commands");
            assert!(!c.commands.is_empty());
            assert_eq!(c.outcomes.len(), ours.outcomes.len());
            for (a, b) in c.outcomes.iter().zip(&ours.outcomes) {
                assert_eq!(a, b, "C (left) and ours (right) differ");
            }
            // The comparison saw the wire (SNR sends only Q1, F and I: commands are
            // echoed without a transfer).
            if b != "snr" {
                assert!(c.outcomes.iter().any(|o| !o.3.is_empty()));
            }
        },
    );
}

/// Reads the driver socket's answer to `DUMPALL` (with the status) until `done`.
fn socket_dump(sock: &Path) -> Vec<String> {
    use std::io::{BufReader, Write};
    let Ok(stream) = std::os::unix::net::UnixStream::connect(sock) else {
        return Vec::new();
    };
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    writer.write_all(b"DUMPALL\n").unwrap();
    support::driver::read_socket_until(&mut reader, PATIENCE, |l| l == "DUMPDONE")
}

/// Unplugged, the unit goes stale; plugged back, both drivers find it again by themselves.
fn replug(program: &str) {
    let unit = Unit::new(Q1Dialect::Megatec);
    let state = unit.state("run");
    let control = unit.dir.path().join("control");
    std::fs::write(&control, "").unwrap();
    let mut run = driver(
        program,
        "cypress",
        &unit,
        &state,
        &[("--control", &control)],
        &["-F", "-i", "1"],
        &bridge_options("cypress"),
    );
    run.stdout(Stdio::null()).stderr(Stdio::null());
    let _driver = support::Kill(run.spawn().expect("start driver"));
    let sock = state.join("nutdrv_qx-ups");
    let wait = |what: &str, ok: &dyn Fn(&[String]) -> bool| {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let d = socket_dump(&sock);
            if ok(&d) {
                return;
            }
            assert!(Instant::now() < deadline, "{program}: {what}: {d:#?}");
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    let online = |d: &[String]| {
        d.iter().any(|l| l == "SETINFO ups.status \"OL\"") && !d.iter().any(|l| l == "DATASTALE")
    };
    wait("on line at first", &online);
    let append = |line: &str| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&control)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    };
    append("unplug");
    wait("stale when unplugged", &|d| {
        d.iter().any(|l| l == "DATASTALE")
    });
    unit.model.lock().unwrap().mains_lost();
    append("plug address 7");
    wait("back, on battery", &|d| {
        d.iter().any(|l| l == "SETINFO ups.status \"OB\"") && !d.iter().any(|l| l == "DATASTALE")
    });
}

#[test]
fn unplugged_units_are_found_again_as_by_c() {
    if !support::have(&[C_QX]) {
        return;
    }
    std::thread::scope(|s| {
        let c = s.spawn(|| replug(C_QX));
        replug(OURS_QX);
        c.join().expect("C");
    });
}
