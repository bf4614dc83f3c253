//! Differential tests of the Voltronic (QPI/QGS) dialect of `nutdrv_qx`: C NUT 2.8.0's
//! driver (`/lib/nut/nutdrv_qx`) and ours are run in turn against the same simulated
//! Voltronic P01 device (`nut_drivers::sim::voltronic` on a pseudo-terminal), each time
//! from the same device state, and must
//!
//! 1. dump (`-d 1`) the same variables through a power-failure script, autodetecting or
//!    with `protocol=voltronic`, with and without options, sending the device exactly the
//!    same commands;
//! 2. answer the same instant commands and SETs (sent on the driver socket with
//!    `TRACKING` ids) with the same result and send the device the same commands;
//! 3. send the same commands for `-k` (killpower).
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

const C_QX: &str = "/lib/nut/nutdrv_qx";
const OURS_QX: &str = env!("CARGO_BIN_EXE_nutdrv_qx");

mod support;

use support::driver::{command as driver, dump, finish};

fn have(path: &str) -> bool {
    support::have(&[path])
}

fn with_model<T>(model: &SharedModel, f: impl FnOnce(&mut UpsModel) -> T) -> T {
    f(&mut model.lock().unwrap())
}

/// Runs `run` for C then for ours, each from the same device state; returns both results
/// and the commands the device received during each run.
fn both<T>(
    model: &SharedModel,
    mut run: impl FnMut(&str) -> T,
) -> ((T, Vec<String>), (T, Vec<String>)) {
    let snapshot = with_model(model, |m| m.clone());
    let mut one = |program: &str| {
        with_model(model, |m| *m = snapshot.clone());
        let r = run(program);
        let received = with_model(model, |m| m.received[snapshot.received.len()..].to_vec());
        (r, received)
    };
    let c = one(C_QX);
    let ours = one(OURS_QX);
    (c, ours)
}

fn server(dir: &Path, model: &SharedModel) -> PtyServer {
    let link = dir.join("ttyVoltronic");
    PtyServer::spawn(model.clone(), Protocol::Voltronic, Some(&link)).unwrap()
}

/// Another unit: online, ECO mode on, beeper control off, programmable outlets.
fn other_device(m: &mut UpsModel) {
    for (k, v) in [
        ("flags.enabled", "jbreo"),
        ("flags.disabled", "pascgfl"),
        ("outlet.1.delay", "008"),
        ("eco.volt.low", "209"),
    ] {
        m.settings.insert(k.to_owned(), v.to_owned());
    }
    m.beeper = false;
    m.line_interactive = false;
}

/// The `ups.status` of a dump.
fn status(dump: &[String]) -> String {
    dump.iter()
        .find_map(|l| l.strip_prefix("ups.status: "))
        .unwrap_or_default()
        .to_owned()
}

/// C and ours through a power failure; returns our dump at each step.
fn power_failure(setup: impl FnOnce(&mut UpsModel), extra: &[&str]) -> Vec<Vec<String>> {
    if !have(C_QX) {
        return Vec::new();
    }
    let dir = tempfile::tempdir().unwrap();
    let model = UpsModel::shared();
    with_model(&model, setup);
    let server = server(dir.path(), &model);
    let steps: [(&str, &[&str]); 7] = [
        ("on line", &[]),
        ("mains lost", &["mains-lost", "wait=30"]),
        ("battery draining", &["wait=60", "load=40"]),
        ("low battery", &["low-battery"]),
        (
            "mains back, brown-out",
            &["mains-restored", "line=190", "charge=50"],
        ),
        ("surge, self-test", &["line=262", "charge=80", "fail"]),
        ("normal", &["line=229.5", "charge=100"]),
    ];
    let mut seen = Vec::new();
    for (name, events) in steps {
        with_model(&model, |m| {
            for e in events {
                m.apply(e).unwrap();
            }
            m.testing = name.contains("self-test");
            m.shutdown_in = name.contains("low battery").then_some(60.0);
        });
        let ((c, mut c_sent), (ours, mut our_sent)) =
            both(&model, |p| dump(p, dir.path(), server.path(), extra));
        // How many quick polls a `-d 1` run makes before dumping is the main loop's
        // business (C makes one more), not the dialect's.
        for sent in [&mut c_sent, &mut our_sent] {
            while sent.last().is_some_and(|c| c == "QGS") {
                sent.pop();
            }
        }
        assert_eq!(c, ours, "step {name:?}: C (left) and ours (right) differ");
        assert_eq!(
            c_sent, our_sent,
            "step {name:?}: the device received different commands"
        );
        assert!(
            c_sent.iter().any(|c| c == "QGS"),
            "step {name:?}: {c_sent:?}"
        );
        seen.push(ours);
    }
    drop(server);
    seen
}

#[test]
fn power_failure_matches_c() {
    let dumps = power_failure(|_| {}, &[]);
    if dumps.is_empty() {
        return;
    }
    let seen: Vec<String> = dumps.iter().map(|d| status(d)).collect();
    // The script really went through the states it claims to.
    assert_eq!(
        seen,
        [
            "OL",
            "OB",
            "OB",
            "OB LB FSD",
            "OL BOOST",
            "OL RB TRIM CAL",
            "OL RB"
        ]
    );
}

#[test]
fn power_failure_with_protocol_and_options_matches_c() {
    let seen = power_failure(
        |_| {},
        &[
            "protocol=voltronic",
            "pollfreq=10",
            "ondelay=120",
            "offdelay=48",
            "bypass_alarm=disabled",
            "alarm_control=enabled",
            "battery_number=3",
            "max_bypass_volt=250",
            "min_bypass_freq=49.0",
            "output_phase_angle=120",
        ],
    );
    if seen.is_empty() {
        return;
    }
    assert_eq!(status(&seen[0]), "OL");
    assert_eq!(status(&seen[3]), "OB LB FSD");
}

#[test]
fn power_failure_on_another_device_matches_c() {
    let seen = power_failure(
        other_device,
        &[
            "eco_mode=enabled",
            "battery_alarm=disabled",
            "bypass_alarm=enabled",
        ],
    );
    if seen.is_empty() {
        return;
    }
    assert_eq!(status(&seen[0]), "ALARM OL BYPASS");
    assert_eq!(status(&seen[1]), "OB");
    assert!(seen[0].contains(&"outlet.1.delay.shutdown: 480".to_owned()));
}

/// Every protocol C knows: multi-phase (P03, P09, P10), without ECO mode or bypass
/// limits (P00, P08), with battery type and grid range (P31).
#[test]
fn every_protocol_matches_c() {
    for (protocol, extra) in [
        ("00", &[][..]),
        ("02", &["max_bypass_volt=260", "min_bypass_volt=209"][..]),
        ("03", &[][..]),
        ("08", &[][..]),
        ("09", &["output_phase_angle=120"][..]),
        (
            "10",
            &["output_phase_angle=000", "min_bypass_freq=46.0"][..],
        ),
        ("13", &["max_bypass_volt=300", "bypass_alarm=maybe"][..]),
        ("14", &["battery_number=12", "converter_mode=enabled"][..]),
        ("31", &["work_range_type=UPS"][..]),
        ("99", &["max_bypass_freq=54.0"][..]),
    ] {
        let seen = power_failure(
            |m| {
                m.settings.insert("protocol".into(), protocol.into());
            },
            extra,
        );
        if seen.is_empty() {
            return;
        }
        let has = |var: &str| seen[0].iter().any(|l| l.starts_with(&format!("{var}: ")));
        assert_eq!(
            has("output.L1-N.voltage"),
            matches!(protocol, "09" | "10"),
            "P{protocol}"
        );
        assert_eq!(
            has("input.L3.current"),
            matches!(protocol, "03" | "10"),
            "P{protocol}"
        );
        assert_eq!(has("battery.type"), protocol == "31", "P{protocol}");
        assert_eq!(
            has("input.transfer.high.max"),
            !matches!(protocol, "00" | "08" | "31"),
            "P{protocol}"
        );
    }
}

/// A driver running in the foreground with its socket connected.
struct Running {
    child: Child,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next_id: u32,
}

impl Running {
    fn start(program: &str, dir: &Path, port: &Path) -> Self {
        let child = driver(program, dir, port, &["-F", "-i", "1"], &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start driver");
        let socket = dir.join("nutdrv_qx-sim");
        let deadline = Instant::now() + Duration::from_secs(120);
        let stream = loop {
            if let Ok(s) = UnixStream::connect(&socket) {
                break s;
            }
            assert!(Instant::now() < deadline, "{program}: no socket");
            std::thread::sleep(Duration::from_millis(50));
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        writer.write_all(b"NOBROADCAST\n").unwrap();
        Self {
            child,
            reader: BufReader::new(stream),
            writer,
            next_id: 1,
        }
    }

    /// Sends one request with a tracking id and returns the result code.
    fn request(&mut self, line: &str) -> String {
        let id = format!("id{}", self.next_id);
        self.next_id += 1;
        writeln!(self.writer, "{line} TRACKING {id}").unwrap();
        let want = format!("TRACKING {id} ");
        loop {
            let mut l = String::new();
            let n = self.reader.read_line(&mut l).expect("driver reply");
            assert!(n > 0, "driver closed its socket after {line:?}");
            if let Some(code) = l.trim_end().strip_prefix(&want) {
                return code.to_owned();
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The device commands (not the inquiries a poll sends) among `received`.
fn device_commands(received: &[String]) -> Vec<String> {
    received
        .iter()
        .filter(|c| !c.starts_with('Q') && !matches!(c.as_str(), "F" | "I" | "RE0"))
        .cloned()
        .collect()
}

/// Waits until the device got `what` after position `from` (a full update), or a while.
fn wait_for(model: &SharedModel, from: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if with_model(model, |m| m.received[from..].iter().any(|c| c == what)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const REQUESTS: &[&str] = &[
    "INSTCMD beeper.toggle",
    "INSTCMD beeper.toggle",
    "INSTCMD beeper.disable",
    "INSTCMD beeper.toggle",
    "INSTCMD beeper.enable",
    "INSTCMD bypass.start",
    "INSTCMD bypass.stop",
    "INSTCMD test.battery.start 30",
    "INSTCMD test.battery.stop",
    "INSTCMD test.battery.start 5",
    "INSTCMD test.battery.start x1",
    "INSTCMD test.battery.start 120",
    "INSTCMD test.battery.stop",
    "INSTCMD test.battery.start",
    "INSTCMD test.battery.start.quick",
    "INSTCMD test.battery.start.deep",
    "INSTCMD test.battery.stop",
    "INSTCMD test.battery.stop",
    "INSTCMD shutdown.return",
    "INSTCMD shutdown.stop",
    "INSTCMD shutdown.stayoff",
    "INSTCMD shutdown.stop",
    "INSTCMD load.off",
    "INSTCMD load.on",
    "INSTCMD outlet.1.load.off",
    "INSTCMD no.such.command",
    "SET ups.start.auto \"yes\"",
    "SET ups.start.auto \"yes\"",
    "SET ups.start.auto \"maybe\"",
    "SET battery.protection \"no\"",
    "SET battery.energysave \"yes\"",
    "SET ups.start.battery \"no\"",
    "SET input.transfer.high \"250\"",
    "SET input.transfer.high \"300\"",
    "SET input.transfer.low \"210\"",
    "SET input.frequency.high \"55\"",
    "SET input.frequency.low \"46.5\"",
    "SET input.frequency.low \"30\"",
    "SET battery.packs \"2\"",
    "SET battery.packs \"x\"",
    "SET battery.voltage.low \"24\"",
    "SET battery.voltage.low \"30\"",
    "SET battery.type \"Li\"",
    "SET ups.delay.shutdown \"75\"",
    "SET ups.delay.start \"0\"",
    "INSTCMD shutdown.return",
    "INSTCMD shutdown.stop",
    "SET ups.delay.shutdown \"6000\"",
    "SET ups.delay.start \"61\"",
    "INSTCMD shutdown.return",
    "INSTCMD shutdown.stop",
];

const OTHER_REQUESTS: &[&str] = &[
    "INSTCMD beeper.toggle",
    "INSTCMD beeper.enable",
    "INSTCMD outlet.1.load.off",
    "INSTCMD outlet.2.load.on",
    "INSTCMD outlet.3.load.off",
    "INSTCMD outlet.4.load.off",
    "SET outlet.1.delay.shutdown \"600\"",
    "SET outlet.1.delay.shutdown \"60000\"",
    "SET outlet.2.delay.shutdown \"120\"",
    "SET outlet.0.switchable \"no\"",
    "SET ups.start.auto \"no\"",
    "INSTCMD bypass.stop",
    "INSTCMD shutdown.stayoff",
    "INSTCMD shutdown.stop",
];

/// Sends `requests` to C and to ours running on the device `setup` makes; returns our
/// results.
fn commands(setup: impl FnOnce(&mut UpsModel), requests: &[&str]) -> Vec<String> {
    if !have(C_QX) {
        return Vec::new();
    }
    let dir = tempfile::tempdir().unwrap();
    let model = UpsModel::shared();
    with_model(&model, setup);
    let server = server(dir.path(), &model);
    let ((c, _), (ours, _)) = both(&model, |program| {
        let mut d = Running::start(program, dir.path(), server.path());
        // Let the driver settle into its quick polls.
        let start = with_model(&model, |m| m.received.len());
        wait_for(&model, start, "QGS");
        let mut results = Vec::new();
        for line in requests {
            let before = with_model(&model, |m| m.received.len());
            let code = d.request(line);
            let sent = with_model(&model, |m| device_commands(&m.received[before..]));
            if code == "0" && !line.contains("ups.delay") {
                // A change makes the next poll a full one: let it happen, so that the
                // next request sees the device's new state in both drivers.
                wait_for(&model, before, "RE0");
                wait_for(&model, before, "QGS");
            }
            results.push(format!("{line} -> {code} {sent:?}"));
        }
        results
    });
    for r in &ours {
        eprintln!("{r}");
    }
    for (c, ours) in c.iter().zip(&ours) {
        assert_eq!(c, ours, "C (left) and ours (right) differ");
    }
    assert_eq!(c.len(), ours.len());
    drop(server);
    ours
}

#[test]
fn commands_and_settings_match_c() {
    let ours = commands(|_| {}, REQUESTS);
    if ours.is_empty() {
        return;
    }
    // The requests really reached the device.
    assert!(
        ours.iter().any(|r| r.ends_with("-> 0 [\"T.5\"]")),
        "{ours:#?}"
    );
    assert!(ours.iter().any(|r| r.contains("[\"HEH250\"]")), "{ours:#?}");
}

#[test]
fn outlet_commands_and_settings_match_c() {
    let ours = commands(other_device, OTHER_REQUESTS);
    if ours.is_empty() {
        return;
    }
    assert!(ours.iter().any(|r| r.contains("[\"SKOFF1\"]")), "{ours:#?}");
}

#[test]
fn killpower_matches_c() {
    if !have(C_QX) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = UpsModel::shared();
    let server = server(dir.path(), &model);
    for extra in [&[][..], &["stayoff", "offdelay=120", "ondelay=0"][..]] {
        let ((_, c), (_, ours)) = both(&model, |program| {
            let child = driver(program, dir.path(), server.path(), &["-k"], extra)
                .spawn()
                .expect("start driver");
            finish(program, child);
        });
        assert_eq!(c, ours, "{extra:?}: C (left) and ours (right) differ");
        assert!(ours.iter().any(|c| c.starts_with('S')), "{ours:?}");
    }
    drop(server);
}

#[test]
fn p31_settings_match_c() {
    let ours = commands(
        |m| {
            m.settings.insert("protocol".into(), "31".into());
        },
        &[
            "SET battery.type \"AGM\"",
            "SET battery.type \"agm\"",
            "SET battery.type \"Li\"",
            "SET battery.type \"NiMH\"",
            "SET input.transfer.high \"250\"",
            "INSTCMD bypass.start",
        ],
    );
    if ours.is_empty() {
        return;
    }
    assert!(ours.iter().any(|r| r.contains("[\"PBT02\"]")), "{ours:#?}");
}

/// Capabilities reset to their defaults (`reset_to_default`, only in standby) and
/// refused (on line).
#[test]
fn reset_to_default_matches_c() {
    if !have(C_QX) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = UpsModel::shared();
    let server = server(dir.path(), &model);
    for output_on in [false, true] {
        with_model(&model, |m| {
            m.output_on = output_on;
            m.settings.insert("flags.enabled".into(), "pbrsc".into());
        });
        let ((c, c_sent), (ours, our_sent)) = both(&model, |p| {
            dump(p, dir.path(), server.path(), &["reset_to_default"])
        });
        assert_eq!(c, ours, "output on: {output_on}");
        assert_eq!(
            c_sent.contains(&"PF".to_owned()),
            our_sent.contains(&"PF".to_owned())
        );
        assert_eq!(our_sent.contains(&"PF".to_owned()), !output_on);
    }
    drop(server);
}
