//! Our `mge-shut` against C NUT 2.8.0's on the same simulated SHUT unit (`nut-sim
//! --protocol mge-shut`, serving an Eaton unit of the HID corpus as a USB emulator device
//! file over SHUT framing on a pseudo-terminal): the same `-d 1` dump, the same dumps
//! through a power failure, the same report bytes for an instant command and a SET.

mod support;
mod usb;

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::driver;
use support::Kill;
use usb::Unit;

/// C NUT's driver.
const C_SHUT: &str = "/lib/nut/mge-shut";
/// Ours.
const OURS: &str = env!("CARGO_BIN_EXE_mge-shut");
/// The simulator.
const SIM: &str = env!("CARGO_BIN_EXE_nut-sim");
/// The unit of the HID corpus served.
const UNIT: &str = "Eaton_3S-700";

/// The unit, when the test data and C's driver are there (else a note, or a panic under
/// `NUT_RS_INTEROP=1`).
fn unit() -> Option<Unit> {
    let mut missing = Vec::new();
    if !support::testdata().join("hid/corpus").join(UNIT).is_dir() {
        missing.push("../shared/testdata/hid/corpus");
    }
    if !Path::new(C_SHUT).is_file() {
        missing.push(C_SHUT);
    }
    if !support::skip_unless_interop(&missing) {
        return None;
    }
    let mut unit = Unit::corpus().into_iter().find(|u| u.name == UNIT)?;
    unit.text = pad_descriptor(&unit.text);
    Some(unit)
}

/// The device file with its report descriptor padded (with harmless Usage Page items
/// after the last collection) to a length whose two bytes are equal: C 2.8.0's libshut
/// reads the length from the HID descriptor wrongly (its low byte twice; NUT issue
/// #2022, fixed in 2.8.1), so only such units work with it.
fn pad_descriptor(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match line.strip_prefix("report-descriptor ") {
            Some(bytes) => {
                let n = bytes.split_whitespace().count();
                let target = n.div_ceil(0x0101) * 0x0101;
                let pad = target - n;
                out.push_str(line);
                for _ in 0..pad / 2 {
                    out.push_str(" 05 84");
                }
                if pad % 2 == 1 {
                    out.push_str(" 04");
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// A simulated unit on a pseudo-terminal, with its control file and request log.
struct Sim {
    _child: Kill,
    dir: tempfile::TempDir,
    port: PathBuf,
}

impl Sim {
    fn start(unit: &Unit, extra: &str) -> Self {
        let dir = usb::scratch();
        let device = unit.write(dir.path(), extra);
        let port = dir.path().join("tty");
        let control = dir.path().join("control");
        std::fs::write(&control, "").expect("control file");
        let child = Kill::spawn(
            std::process::Command::new(SIM)
                .args(["--protocol", "mge-shut", "--device"])
                .arg(&device)
                .arg("--link")
                .arg(&port)
                .arg("--control")
                .arg(&control)
                .arg("--log")
                .arg(dir.path().join("shut.log"))
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null()),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while !port.exists() {
            assert!(Instant::now() < deadline, "the simulator did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            _child: child,
            dir,
            port,
        }
    }

    /// A directory for one driver run (its state files).
    fn run_dir(&self, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let d = self.dir.path().join(name);
        std::fs::create_dir_all(&d).expect("run dir");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).expect("mode");
        d
    }

    fn dump(&self, program: &str, name: &str) -> Vec<String> {
        driver::dump(program, &self.run_dir(name), &self.port, &[])
    }

    /// Appends emulator commands to the control file.
    fn control(&self, line: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("control"))
            .expect("control file");
        writeln!(f, "{line}").expect("write control");
    }

    /// The SET_REPORT requests of the simulator's log, without their times.
    fn sets(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("shut.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(" control out ") && l.contains(" req=09 "))
            .filter_map(|l| l.split_once(" control ").map(|(_, r)| r.to_owned()))
            .collect()
    }

    /// Starts `program` in the foreground on the unit and connects to its socket.
    fn run(&self, program: &str, name: &str) -> Running {
        let dir = self.run_dir(name);
        let child = Kill::spawn(&mut driver::command(
            program,
            &dir,
            &self.port,
            &["-F", "-i", "2"],
            &[],
        ));
        let sock = dir.join("mge-shut-sim");
        let deadline = Instant::now() + Duration::from_secs(60);
        let stream = loop {
            if let Ok(s) = UnixStream::connect(&sock) {
                break s;
            }
            assert!(Instant::now() < deadline, "{program}: no driver socket");
            std::thread::sleep(Duration::from_millis(50));
        };
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let writer = stream.try_clone().expect("clone");
        Running {
            _child: child,
            reader: BufReader::new(stream),
            writer,
            next: 0,
        }
    }
}

/// A driver running on the simulated unit, reached through its socket.
struct Running {
    _child: Kill,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next: usize,
}

impl Running {
    /// Sends a request line with a tracking id and returns the tracking answer.
    fn request(&mut self, line: &str) -> String {
        let id = self.next;
        self.next += 1;
        self.writer
            .write_all(format!("{line} TRACKING t{id}\n").as_bytes())
            .expect("write");
        let tag = format!("TRACKING t{id} ");
        let lines = driver::read_socket_until(&mut self.reader, Duration::from_secs(60), |l| {
            l.starts_with(&tag)
        });
        lines
            .last()
            .and_then(|l| l.strip_prefix(&tag))
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the driver's dump is complete (`DUMPALL` answered); returns it.
    fn ready(&mut self) -> Vec<String> {
        self.writer.write_all(b"DUMPALL\n").expect("write");
        driver::read_socket_until(&mut self.reader, Duration::from_secs(60), |l| {
            l == "DUMPDONE"
        })
    }

    /// Reads socket lines until `line` comes.
    fn wait_line(&mut self, line: &str) {
        driver::read_socket_until(&mut self.reader, Duration::from_secs(90), |l| l == line);
    }
}

#[test]
fn dump_is_the_same_as_c() {
    let Some(unit) = unit() else { return };
    let sim = Sim::start(&unit, "");
    let c = sim.dump(C_SHUT, "c");
    let ours = sim.dump(OURS, "ours");
    assert!(
        c.iter().any(|l| l.starts_with("ups.status: ")),
        "C's dump: {c:#?}"
    );
    assert_eq!(c, ours);
}

/// Ours reads the report descriptor's length right: the unit as recorded (a length C
/// 2.8.0 misreads) gives ours the dump C gives with the padded descriptor.
#[test]
fn ours_reads_any_descriptor_length() {
    let Some(padded) = unit() else { return };
    let Some(mut plain) = Unit::corpus().into_iter().find(|u| u.name == UNIT) else {
        return;
    };
    plain.name.push_str(" (as recorded)");
    let but_port = |dump: Vec<String>| -> Vec<String> {
        dump.into_iter()
            .filter(|l| !l.starts_with("driver.parameter.port: "))
            .collect()
    };
    let c = but_port(Sim::start(&padded, "").dump(C_SHUT, "c"));
    let sim = Sim::start(&plain, "");
    let ours = but_port(sim.dump(OURS, "ours"));
    assert_eq!(c, ours);
    let dir = sim.run_dir("c");
    let out = driver::command(C_SHUT, &dir, &sim.port, &["-d", "1"], &[])
        .output()
        .expect("run C");
    assert!(!out.status.success(), "C 2.8.0 now reads this length right");
}

/// Fields given new values, and the status words the dump must then show.
type Step = (&'static [(&'static str, f64)], &'static [&'static str]);

/// Mains lost, battery low, mains back: C and ours dump the same at every step.
#[test]
fn power_failure_gives_the_same_dumps() {
    let Some(unit) = unit() else { return };
    const S: &str = "UPS.PowerSummary.PresentStatus.";
    let steps: [Step; 3] = [
        (
            &[
                ("ACPresent", 0.0),
                ("Charging", 0.0),
                ("Discharging", 1.0),
                ("UPS.PowerSummary.RemainingCapacity", 60.0),
            ],
            &["OB"],
        ),
        (
            &[
                ("UPS.PowerSummary.RemainingCapacity", 8.0),
                ("BelowRemainingCapacityLimit", 1.0),
                ("ShutdownImminent", 1.0),
            ],
            &["OB", "LB"],
        ),
        (
            &[
                ("ACPresent", 1.0),
                ("Discharging", 0.0),
                ("Charging", 1.0),
                ("BelowRemainingCapacityLimit", 0.0),
                ("ShutdownImminent", 0.0),
            ],
            &["OL"],
        ),
    ];
    let mut reports = unit.reports();
    let mut extra = String::new();
    for (i, (changes, status)) in steps.iter().enumerate() {
        for (path, value) in *changes {
            let path = if path.starts_with("UPS.") {
                (*path).to_owned()
            } else {
                format!("{S}{path}")
            };
            extra.push_str(
                &unit
                    .feature_line(&mut reports, &path, *value)
                    .expect("path"),
            );
        }
        let sim = Sim::start(&unit, &extra);
        let c = sim.dump(C_SHUT, "c");
        let ours = sim.dump(OURS, "ours");
        assert_eq!(c, ours, "step {i}");
        let words: Vec<&str> = ours
            .iter()
            .find_map(|l| l.strip_prefix("ups.status: "))
            .unwrap_or_default()
            .split(' ')
            .collect();
        assert!(
            status.iter().all(|w| words.contains(w)),
            "step {i}: {status:?} not in {words:?}"
        );
    }
}

/// An instant command and a SET send the same report bytes over SHUT, with the same
/// answers.
#[test]
fn command_and_set_send_the_same_reports() {
    let Some(unit) = unit() else { return };
    let requests = ["INSTCMD beeper.disable", "SET battery.charge.low \"25\""];
    let mut seen = Vec::new();
    for program in [C_SHUT, OURS] {
        let sim = Sim::start(&unit, "");
        let mut driver = sim.run(program, "run");
        driver.ready();
        let answers: Vec<String> = requests.iter().map(|r| driver.request(r)).collect();
        seen.push((answers, sim.sets()));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0].0, ["0", "0"], "C's answers: {:?}", seen[0]);
    assert_eq!(seen[0].1.len(), 2, "C's reports: {:?}", seen[0].1);
}

/// `-k` (killpower) sends the same reports as C's and exits the same way.
#[test]
fn killpower_sends_the_same_reports_as_c() {
    let Some(unit) = unit() else { return };
    let mut seen = Vec::new();
    for program in [C_SHUT, OURS] {
        let sim = Sim::start(&unit, "");
        let dir = sim.run_dir("k");
        let out = driver::command(program, &dir, &sim.port, &["-k"], &[])
            .output()
            .expect("run the driver");
        seen.push((out.status.code(), sim.sets()));
    }
    assert_eq!(seen[0], seen[1]);
    assert!(!seen[0].1.is_empty(), "C sent no report: {:?}", seen[0]);
}

/// A unit that stops answering (its cable pulled) makes our data stale; once it answers
/// again, the driver finds it without a restart and its data is fresh.
#[test]
fn silent_unit_goes_stale_and_comes_back() {
    let Some(unit) = unit() else { return };
    let sim = Sim::start(&unit, "");
    let mut ours = sim.run(OURS, "ours");
    let first = ours.ready();
    assert!(
        first.iter().any(|l| l == "SETINFO ups.status \"OL\""),
        "{first:#?}"
    );
    sim.control("unplug");
    ours.wait_line("DATASTALE");
    let mut reports = unit.reports();
    let line = unit
        .feature_line(&mut reports, "UPS.PowerSummary.RemainingCapacity", 50.0)
        .expect("path");
    sim.control(line.trim_end());
    sim.control("plug");
    ours.wait_line("DATAOK");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let dump = ours.ready();
        if dump.iter().any(|l| l == "SETINFO battery.charge \"50\"") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "battery.charge never 50: {dump:#?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The same power failure while the drivers run (the unit changed through the control
/// file): C and ours publish the same whole state (DUMPALL) at each step.
#[test]
fn live_power_failure_gives_the_same_state() {
    let Some(unit) = unit() else { return };
    const S: &str = "UPS.PowerSummary.PresentStatus.";
    let steps: [Step; 2] = [
        (
            &[
                ("ACPresent", 0.0),
                ("Discharging", 1.0),
                ("UPS.PowerSummary.RemainingCapacity", 40.0),
            ],
            &["OB"],
        ),
        (&[("ACPresent", 1.0), ("Discharging", 0.0)], &["OL"]),
    ];
    let mut seen = Vec::new();
    for program in [C_SHUT, OURS] {
        let sim = Sim::start(&unit, "");
        let mut driver = sim.run(program, "run");
        driver.ready();
        let mut reports = unit.reports();
        let mut states = Vec::new();
        for (changes, status) in &steps {
            for (path, value) in *changes {
                let path = if path.starts_with("UPS.") {
                    (*path).to_owned()
                } else {
                    format!("{S}{path}")
                };
                let line = unit
                    .feature_line(&mut reports, &path, *value)
                    .expect("path");
                sim.control(line.trim_end());
            }
            let deadline = Instant::now() + Duration::from_secs(60);
            let state = loop {
                let dump = driver.ready();
                let words: Vec<String> = dump
                    .iter()
                    .find_map(|l| l.strip_prefix("SETINFO ups.status "))
                    .map(|v| v.trim_matches('"').split(' ').map(str::to_owned).collect())
                    .unwrap_or_default();
                if status.iter().all(|w| words.iter().any(|x| x == w)) {
                    // Once more: the changes broadcast before that dump are read by now.
                    std::thread::sleep(Duration::from_millis(500));
                    break driver.ready();
                }
                assert!(
                    Instant::now() < deadline,
                    "{program}: never {status:?}: {dump:#?}"
                );
                std::thread::sleep(Duration::from_millis(300));
            };
            let state: Vec<String> = state
                .into_iter()
                .filter(|l| {
                    !(l.starts_with("SETINFO driver.version ")
                        || l.starts_with("SETINFO driver.parameter.port ")
                        || l.starts_with("ADDCMD driver.")
                        || l.starts_with("PONG"))
                })
                .collect();
            states.push(state);
        }
        seen.push(states);
    }
    assert_eq!(seen[0], seen[1]);
}

/// Every MGE / Eaton unit of the HID corpus (vendor 0463), padded for C: the same dump.
#[test]
fn every_eaton_corpus_unit_dumps_the_same() {
    if unit().is_none() {
        return;
    }
    let units: Vec<Unit> = Unit::corpus()
        .into_iter()
        .filter(|u| u.text.contains("vendor-id 0463"))
        .collect();
    assert!(units.len() > 3, "{} Eaton units", units.len());
    let mut failures = Vec::new();
    for mut unit in units {
        unit.text = pad_descriptor(&unit.text);
        let sim = Sim::start(&unit, "");
        let c = sim.dump(C_SHUT, "c");
        let ours = sim.dump(OURS, "ours");
        eprintln!("{}: {} lines", unit.name, c.len());
        if c != ours {
            let only_c: Vec<_> = c.iter().filter(|l| !ours.contains(l)).collect();
            let only_ours: Vec<_> = ours.iter().filter(|l| !c.contains(l)).collect();
            failures.push(format!(
                "{}: only C {only_c:?}; only ours {only_ours:?}",
                unit.name
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
