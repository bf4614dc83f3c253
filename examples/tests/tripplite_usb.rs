//! Differential tests of tripplite_usb: C NUT 2.8.0's `tripplite_usb` (Debian's build loads
//! libusb-1.0 dynamically) and ours run in turn under `usb-emu run --sim tripplite_usb`,
//! which serves a simulated Tripp Lite unit of the older USB protocol
//! (`nut_drivers::sim::tripplite_usb`) behind the emulated libusb.
//!
//! - Through a power failure, both dump (`-d 1`) the same variables with the same values, for
//!   each protocol generation (0004, 1001, 2001, 3003, 3005). The unit is served by the test
//!   (`--q1-socket`), so that its battery does not drain between the two runs; one more run
//!   goes through a `--script` of power events with usb-emu's own simulator.
//! - Instant commands and SETs sent through the driver socket give the same tracking results,
//!   make the unit receive the same commands and put the same transfers on the wire (the
//!   emulator's transfer log), except where we deviate on purpose (see the README).
//! - `-k` makes the same transfers.
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nut_drivers::sim::{Protocol, SharedModel};

mod support;

use support::qx_session::{cmd, drive, set, Outcome, Request};
use support::usb_sim::Unit;

const C_TL: &str = "/lib/nut/tripplite_usb";
const OURS_TL: &str = env!("CARGO_BIN_EXE_tripplite_usb");

/// `usb-emu run --sim tripplite_usb <emu> -- program … <args>`, with its state in `state`.
fn driver(program: &str, state: &Path, emu: &[&std::ffi::OsStr], args: &[&str]) -> Command {
    support::usb_sim::driver("tripplite_usb", program, state, emu, args)
}

/// The `-d 1` dump of `program` (the `name: value` lines but the version).
fn dump(program: &str, state: &Path, emu: &[&std::ffi::OsStr]) -> Vec<String> {
    support::usb_sim::dump("tripplite_usb", program, state, emu)
}

/// C's dump and ours of the unit as it is now, the two drivers side by side.
fn both_dumps(unit: &Unit, step: usize) -> (Vec<String>, Vec<String>) {
    let socket = unit.server.path().as_os_str().to_owned();
    let emu = ["--q1-socket".as_ref(), socket.as_os_str()];
    let (c_state, ours_state) = (
        unit.folder(&format!("c{step}")),
        unit.folder(&format!("ours{step}")),
    );
    std::thread::scope(|s| {
        let c = s.spawn(|| dump(C_TL, &c_state, &emu));
        let ours = dump(OURS_TL, &ours_state, &emu);
        (c.join().expect("C run"), ours)
    })
}

/// The power failure: a name, the model events, and the status of a SMART unit (the OMNIVS
/// protocol 1001 knows no CAL and no OFF: it says OL there).
const STEPS: [(&str, &[&str], &str); 7] = [
    ("on line", &[], "OL"),
    ("mains lost", &["mains-lost", "charge=80"], "OB"),
    ("low battery", &["low-battery"], "OB LB"),
    (
        "mains back, brown-out",
        &["mains-restored", "line=190", "charge=50"],
        "OL",
    ),
    ("surge, self-test", &["line=262", "charge=80"], "CAL OL"),
    ("failed battery, output off", &["line=229.5", "fail"], "OFF"),
    ("normal", &["charge=100"], "OL"),
];

fn apply_step(model: &SharedModel, i: usize) {
    let (name, events, _) = STEPS[i];
    let mut m = model.lock().unwrap();
    for e in events {
        m.apply(e).unwrap();
    }
    m.testing = name.contains("self-test");
    m.output_on = !name.contains("output off");
}

/// C and ours through the power failure on a unit of `protocol` (the steps `steps`).
fn power_failure(protocol: &str, steps: &[usize]) {
    let unit = Unit::new(Protocol::TrippLiteUsb, &[("tripplite.protocol", protocol)]);
    for (i, (name, _, status)) in STEPS.iter().enumerate() {
        apply_step(&unit.model, i);
        if !steps.contains(&i) {
            continue;
        }
        let (c, ours) = both_dumps(&unit, i);
        assert_eq!(
            c, ours,
            "{protocol}, step {name:?}: C (left) and ours (right) differ"
        );
        let status = match (protocol, *status) {
            ("1001", "CAL OL" | "OFF") => "OL",
            (_, s) => s,
        };
        let want = format!("ups.status: {status}");
        assert!(
            ours.contains(&want),
            "{protocol}, step {name:?}: no {want:?} in {ours:#?}"
        );
        let want = format!("ups.firmware.aux: protocol {protocol}");
        assert!(ours.contains(&want), "{ours:#?}");
    }
}

/// Runs `check` for each protocol at once (when C's driver is there); names the failures.
fn for_each(protocols: &[&'static str], check: impl Fn(&'static str) + Sync) {
    if !support::have(&[C_TL]) {
        return;
    }
    let failed: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = protocols
            .iter()
            .map(|&p| (p, s.spawn(|| check(p))))
            .collect();
        runs.into_iter()
            .filter_map(|(p, run)| {
                run.join().err().map(|e| {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    format!("{p}: {msg}")
                })
            })
            .collect()
    });
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn binary_smart_matches_c_through_a_power_failure() {
    for_each(&["3005"], |p| power_failure(p, &[0, 1, 2, 3, 4, 5, 6]));
}

#[test]
fn smartpro_matches_c_through_a_power_failure() {
    for_each(&["3003"], |p| power_failure(p, &[0, 1, 2, 3, 4, 5, 6]));
}

#[test]
fn older_protocols_match_c_through_a_power_failure() {
    for_each(&["0004", "1001", "2001"], |p| {
        power_failure(p, &[0, 2, 4, 5])
    });
}

/// usb-emu's own simulator and a `--script`: events at time 0 apply before the driver
/// starts. The battery drains while the drivers run (C polls once more than we do before it
/// dumps), so the values that follow the charge are left out of the comparison.
#[test]
fn a_scripted_power_failure_reads_as_in_c() {
    if !support::have(&[C_TL]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("events");
    std::fs::write(&script, "0 mains-lost\n0 charge=60\n0 load=40\n").unwrap();
    let run = |program: &str, name: &str| {
        let state = dir.path().join(name);
        std::fs::create_dir_all(&state).unwrap();
        let emu = [
            "--script".as_ref(),
            script.as_os_str(),
            "--set".as_ref(),
            "tripplite.protocol=3003".as_ref(),
        ];
        dump(program, &state, &emu)
            .into_iter()
            .filter(|l| {
                ![
                    "battery.charge:",
                    "battery.voltage:",
                    "ups.debug.D:",
                    "ups.debug.S:",
                ]
                .iter()
                .any(|p| l.starts_with(p))
            })
            .collect::<Vec<_>>()
    };
    let (c, ours) = std::thread::scope(|s| {
        let c = s.spawn(|| run(C_TL, "c"));
        (c.join().expect("C run"), run(OURS_TL, "ours"))
    });
    assert_eq!(c, ours, "C (left) and ours (right) differ");
    for want in ["ups.status: OB", "input.voltage: 0", "ups.load: 40"] {
        assert!(ours.iter().any(|l| l == want), "no {want:?} in {ours:#?}");
    }
}

/// The commands a poll sends: left out of the transfers compared for a request (a poll may
/// run while a request is answered).
const POLLS: [u8; 12] = [
    0, b'W', b'S', b'P', b'F', b'V', b'U', b'B', b'D', b'M', b'T', b'L',
];

/// The transfer log lines written since `seen` bytes, without the time and the polls.
fn new_transfers(log: &Path, seen: &mut usize) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let fresh = text.get(*seen..).unwrap_or_default().to_owned();
    *seen = text.len();
    fresh
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, rest)| rest.to_owned()))
        .filter(|l| {
            let data = l
                .split(' ')
                .find_map(|f| f.strip_prefix("data="))
                .unwrap_or_default();
            // The command letter: after the `:` of a frame, first in a reply.
            let at = if l.contains(" out ") { 2 } else { 0 };
            let letter = data
                .get(at..at + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            !letter.is_some_and(|b| POLLS.contains(&b))
        })
        .collect()
}

/// Whether a command the unit received is a poll's.
fn is_poll(command: &str) -> bool {
    [
        "S", "P", "F", "V", "U", "B", "D", "M", "T", "L", "\\x00", "W\\x00",
    ]
    .contains(&command)
}

/// A command session of `program` on a fresh unit of `protocol`.
fn session(program: &str, protocol: &str, requests: &[Request]) -> support::qx_session::Session {
    let unit = Unit::new(Protocol::TrippLiteUsb, &[("tripplite.protocol", protocol)]);
    let state = unit.folder("run");
    let log = unit.dir.path().join("transfers.log");
    let socket = unit.server.path().as_os_str().to_owned();
    let emu = [
        "--q1-socket".as_ref(),
        socket.as_os_str(),
        "--log".as_ref(),
        log.as_os_str(),
    ];
    let mut run = driver(program, &state, &emu, &["-F", "-i", "3600"]);
    run.stdout(Stdio::null()).stderr(Stdio::null());
    let mut seen = 0;
    let mut s = drive(
        program,
        run,
        &state.join("tripplite_usb-ups"),
        &unit.model,
        requests,
        false,
        &mut || new_transfers(&log, &mut seen),
    );
    for o in &mut s.outcomes {
        o.2.retain(|c| !is_poll(c));
    }
    s
}

fn requests() -> Vec<Request> {
    vec![
        cmd("no.such.command", None),
        set("ups.delay.shutdown", "30"),
        set("ups.delay.shutdown", "-5"),
        cmd("shutdown.return", None),
        set("ups.id", "513"),
        set("outlet.1.switch", "off"),
        set("outlet.1.switch", "ON"),
        set("outlet.2.switch", "1"),
        set("outlet.x", "1"),
        set("no.such.var", "1"),
        cmd("test.battery.start", None),
        cmd("load.off", None),
        cmd("load.on", None),
        cmd("reset.input.minmax", None),
    ]
}

/// The outcomes of C and ours, side by side, on a unit of `protocol`.
fn sessions(protocol: &str) -> (support::qx_session::Session, support::qx_session::Session) {
    let requests = requests();
    std::thread::scope(|s| {
        let c = s.spawn(|| session(C_TL, protocol, &requests));
        let ours = session(OURS_TL, protocol, &requests);
        (c.join().expect("C session"), ours)
    })
}

fn find<'a>(outcomes: &'a [Outcome], request: &str) -> &'a Outcome {
    outcomes
        .iter()
        .find(|o| o.0.contains(request))
        .unwrap_or_else(|| panic!("no outcome for {request}"))
}

#[test]
fn smartpro_commands_and_sets_match_c() {
    for_each(&["3003"], |p| {
        let (c, ours) = sessions(p);
        assert_eq!(c.commands, ours.commands, "published commands");
        assert_eq!(c.writable, ours.writable, "writable variables");
        for (a, b) in c.outcomes.iter().zip(&ours.outcomes) {
            if a.0.contains("reset.input.minmax") {
                // C answers "unknown" whatever happens (see the README).
                assert_eq!((&a.2, &a.3), (&b.2, &b.3));
                assert_eq!(b.1, "0");
                continue;
            }
            assert_eq!(a, b, "C (left) and ours (right) differ");
        }
        let off = find(&ours.outcomes, "\"outlet.1.switch\", \"off\"");
        assert_eq!(off.2, ["N05", "K10"]);
        assert!(!find(&ours.outcomes, "shutdown.return").3.is_empty());
    });
}

#[test]
fn binary_smart_commands_and_sets_match_c() {
    for_each(&["3005"], |p| {
        let (c, ours) = sessions(p);
        assert_eq!(c.commands, ours.commands, "published commands");
        assert_eq!(c.writable, ours.writable, "writable variables");
        for (a, b) in c.outcomes.iter().zip(&ours.outcomes) {
            // C's outlet commands lose their zero bytes, and its reset.input.minmax always
            // answers "unknown" (see the README).
            let zero_bytes = a.0.contains("load.")
                || a.0.contains("\"off\"")
                || a.0.contains("reset.input.minmax");
            if !zero_bytes {
                assert_eq!(a, b, "C (left) and ours (right) differ");
            }
        }
        assert_eq!(find(&c.outcomes, "load.off").2, ["N\\x05", "K"]);
        assert_eq!(
            find(&ours.outcomes, "load.off").2,
            ["N\\x05", "K\\x00\\x00"]
        );
        assert_eq!(find(&ours.outcomes, "load.on").2, ["N\\x05", "K\\x00\\x01"]);
    });
}

/// OMNIVS units have no outlets to switch and no SMART commands.
#[test]
fn omnivs_commands_and_sets_match_c() {
    for_each(&["1001"], |p| {
        let (c, ours) = sessions(p);
        assert_eq!(c.commands, ours.commands, "published commands");
        assert_eq!(c.commands, ["shutdown.return"]);
        assert_eq!(c.writable, ours.writable, "writable variables");
        assert_eq!(
            c.outcomes, ours.outcomes,
            "C (left) and ours (right) differ"
        );
    });
}

/// `-k`: the shutdown delay, then the shutdown; the same transfers.
#[test]
fn killpower_sends_what_c_sends() {
    for_each(&["3005", "1001"], |p| {
        let run = |program: &str| {
            let unit = Unit::new(Protocol::TrippLiteUsb, &[("tripplite.protocol", p)]);
            let state = unit.folder("kill");
            let log = unit.dir.path().join("transfers.log");
            let socket = unit.server.path().as_os_str().to_owned();
            let emu = [
                "--q1-socket".as_ref(),
                socket.as_os_str(),
                "--log".as_ref(),
                log.as_os_str(),
            ];
            let out = driver(program, &state, &emu, &["-k", "-x", "offdelay=300"])
                .output()
                .unwrap_or_else(|e| panic!("can't run {program}: {e}"));
            let received = unit.model.lock().unwrap().received.clone();
            let wire: Vec<String> = std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.split_once(' ').map(|(_, r)| r.to_owned()))
                .collect();
            (out.status.success(), received, wire)
        };
        let (c, ours) = std::thread::scope(|s| {
            let c = s.spawn(|| run(C_TL));
            (c.join().expect("C"), run(OURS_TL))
        });
        assert_eq!(c, ours, "C (left) and ours (right) differ");
        assert_eq!(ours.1, ["N\\x01,", "G"]);
    });
}

/// Unplugged, the unit goes stale; plugged back, both drivers find it again by themselves.
fn replug(program: &str) {
    let unit = Unit::new(Protocol::TrippLiteUsb, &[("tripplite.protocol", "3005")]);
    let state = unit.folder("run");
    let control = unit.dir.path().join("control");
    std::fs::write(&control, "").unwrap();
    let socket = unit.server.path().as_os_str().to_owned();
    let emu = [
        "--q1-socket".as_ref(),
        socket.as_os_str(),
        "--control".as_ref(),
        control.as_os_str(),
    ];
    let mut run = driver(program, &state, &emu, &["-F", "-i", "1"]);
    run.stdout(Stdio::null()).stderr(Stdio::null());
    let _driver = support::Kill(run.spawn().expect("start driver"));
    let sock = state.join("tripplite_usb-ups");
    let wait = |what: &str, ok: &dyn Fn(&[String]) -> bool| {
        let deadline = std::time::Instant::now() + support::qx_session::PATIENCE;
        loop {
            let d = support::q1_usb::socket_dump(&sock);
            if ok(&d) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{program}: {what}: {d:#?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    };
    let fresh = |status: &'static str| {
        move |d: &[String]| {
            d.iter()
                .any(|l| *l == format!("SETINFO ups.status \"{status}\""))
                && !d.iter().any(|l| l == "DATASTALE")
        }
    };
    wait("on line at first", &fresh("OL"));
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
    wait("back, on battery", &fresh("OB"));
}

#[test]
fn unplugged_units_are_found_again_as_by_c() {
    if !support::have(&[C_TL]) {
        return;
    }
    std::thread::scope(|s| {
        let c = s.spawn(|| replug(C_TL));
        replug(OURS_TL);
        c.join().expect("C");
    });
}

/// What C 2.8.0 no longer publishes that the recorded units (C 2.7) show: the protocol
/// reply of a known protocol, and on 3005 the `L` reply.
fn published_by_2_8(name: &str, protocol: &str) -> bool {
    !(name.starts_with("driver.")
        || name == "ups.debug.0"
        || (protocol == "3005" && name == "ups.debug.L"))
}

/// The units recorded in nut-ddl with C 2.7 (ups.firmware.aux names their protocol): ours,
/// on a simulated unit of the same protocol, rating, firmware, unit id and load banks,
/// publishes every variable they show (those C 2.8.0 still publishes), with the same values
/// for those settings. Needs no C program.
#[test]
fn recorded_units_variables_are_published() {
    let Some(dir) = support::recorded("nut-ddl/Tripp_Lite") else {
        return;
    };
    let mut checked = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().contains("__tripplite_usb__2.7"))
        .collect();
    files.sort();
    let work = tempfile::tempdir().unwrap();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let values: Vec<(String, String)> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| {
                let v = v.split('\t').next().unwrap_or(v).trim_end();
                (k.trim().to_owned(), v.to_owned())
            })
            .collect();
        let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let Some(protocol) =
            get("ups.firmware.aux").and_then(|v| v.strip_prefix("protocol ").map(str::to_owned))
        else {
            continue;
        };
        let mut settings = vec![format!("tripplite.protocol={protocol}")];
        let mut expect = vec![format!("ups.firmware.aux: protocol {protocol}")];
        for (var, setting) in [
            ("ups.power.nominal", "tripplite.va"),
            ("ups.debug.load_banks", "tripplite.banks"),
            ("ups.id", "tripplite.unit_id"),
        ] {
            if let Some(v) = get(var) {
                settings.push(format!("{setting}={v}"));
                expect.push(format!("{var}: {v}"));
            }
        }
        if let Some(fw) = get("ups.firmware").and_then(|f| f.strip_prefix('F').map(str::to_owned)) {
            if fw.len() == 6 {
                settings.push(format!("tripplite.firmware={fw}"));
                expect.push(format!("ups.firmware: F{fw}"));
            }
        }
        let mut emu: Vec<std::ffi::OsString> = Vec::new();
        for s in &settings {
            emu.push("--set".into());
            emu.push(s.into());
        }
        let emu: Vec<&std::ffi::OsStr> = emu.iter().map(|s| s.as_os_str()).collect();
        let state = work.path().join(file.file_name().unwrap());
        std::fs::create_dir_all(&state).unwrap();
        let ours = dump(OURS_TL, &state, &emu);
        let names: Vec<&str> = ours
            .iter()
            .filter_map(|l| l.split_once(": ").map(|(k, _)| k))
            .collect();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for (var, _) in &values {
            if published_by_2_8(var, &protocol) {
                assert!(
                    names.contains(&var.as_str()),
                    "{name}: no {var} in {ours:#?}"
                );
            }
        }
        for want in &expect {
            assert!(ours.contains(want), "{name}: no {want:?} in {ours:#?}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} recorded units");
}
