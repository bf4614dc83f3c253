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

use std::process::Stdio;
use std::time::{Duration, Instant};

use nut_drivers::sim::q1::Q1Dialect;

const C_QX: &str = "/lib/nut/nutdrv_qx";
const OURS_QX: &str = env!("CARGO_BIN_EXE_nutdrv_qx");

mod support;

use support::power_failure::{apply_step, POWER_FAILURE};
use support::q1_usb::{driver, dump, for_each_bridge, killpower, socket_dump, Unit};
use support::qx_session::{cmd, set, Request, PATIENCE};

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

/// The status nutdrv_qx gives at each step of the power failure.
const STATUS: [&str; 7] = [
    "OL",
    "OB",
    "OB",
    "OB LB FSD",
    "OL BOOST",
    "OL TRIM CAL",
    "OL",
];

/// C and ours through the power failure on `bridge` (all steps, or the on line, low
/// battery and brown-out ones).
fn power_failure(bridge: &str, all_steps: bool) {
    let unit = Unit::new(Q1Dialect::Megatec);
    let options = bridge_options(bridge);
    for (i, ((name, _), status)) in POWER_FAILURE.iter().zip(STATUS).enumerate() {
        apply_step(&unit.model, i);
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
    for_each_bridge(C_QX, &["cypress"], |b| power_failure(b, true));
}

#[test]
fn bridges_match_c_through_a_power_failure() {
    for_each_bridge(
        C_QX,
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
    for_each_bridge(C_QX, &["phoenix", "sgs", "ablerex"], |b| {
        power_failure(b, false)
    });
}

/// Cypress with the protocol detected rather than given: every probe of another dialect
/// goes through the bridge too.
#[test]
fn cypress_detects_the_protocol_as_c() {
    for_each_bridge(C_QX, &["cypress"], |b| {
        let unit = Unit::new(Q1Dialect::Megatec);
        let c = dump(C_QX, b, &unit, &[]);
        let ours = dump(OURS_QX, b, &unit, &[]);
        assert_eq!(c, ours, "C (left) and ours (right) differ");
        assert!(ours
            .iter()
            .any(|l| l == "driver.version.data: Megatec 0.06"));
    });
}

/// A command session of `program` on a fresh unit behind `bridge`.
fn session(program: &str, bridge: &str, requests: &[Request]) -> support::qx_session::Session {
    support::q1_usb::session(
        program,
        bridge,
        &bridge_options(bridge),
        "nutdrv_qx-ups",
        requests,
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
        C_QX,
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

/// `-k` through each kind of bridge: the same commands reach the UPS, the same transfers
/// on the wire.
#[test]
fn killpower_sends_what_c_sends() {
    for_each_bridge(C_QX, &["cypress", "krauler", "fabula", "armac"], |b| {
        let mut options = bridge_options(b);
        options.push("offdelay=120".to_owned());
        let c = killpower(C_QX, b, &options);
        let ours = killpower(OURS_QX, b, &options);
        assert_eq!(c, ours, "C (left) and ours (right) differ");
        assert!(!c.2.is_empty(), "no transfer: {c:?}");
    });
}
