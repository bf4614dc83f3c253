//! Differential tests of the PowerCom driver: C NUT 2.8.0's `powercom` (`/lib/nut/…`) and
//! ours are pointed in turn at the same simulated device (a pseudo-terminal served by
//! `nut_drivers::sim` speaking PowerCom, one family after the other) through a
//! power-failure script, and must dump (`-d 1`) the same variables with the same values;
//! the device must receive the same bytes (the start-up battery test, the `-k` shutdown,
//! the instant commands sent through the driver socket), and bad options are refused by
//! both.
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

use std::time::{Duration, Instant};

use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::{Protocol, SharedModel};

const C_DRV: &str = "/lib/nut/powercom";
const OURS: &str = env!("CARGO_BIN_EXE_powercom");

mod support;

use support::driver::{command, dump, finish, settled, Running};
use support::power_failure::{apply_step, POWER_FAILURE};

fn have() -> bool {
    support::have(&[C_DRV])
}

fn sim(settings: &[(&str, &str)]) -> (tempfile::TempDir, SharedModel, PtyServer) {
    support::driver::sim(Protocol::Powercom, "", settings)
}

fn status(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("ups.status: "))
        .unwrap_or_default()
        .to_owned()
}

/// Both drivers through the power failure on a unit of family `device` with `extra`
/// options; the commands the device received (other than the polls) must match too. Returns the statuses seen.
fn power_failure(device: &str, extra: &[&str]) -> Vec<String> {
    let (dir, model, server) = sim(&[("powercom.type", device)]);
    let mut seen = Vec::new();
    for (i, (name, _)) in POWER_FAILURE.iter().enumerate() {
        apply_step(&model, i);
        model.lock().unwrap().received.clear();
        let c = dump(C_DRV, dir.path(), server.path(), extra);
        let c_bytes = std::mem::take(&mut model.lock().unwrap().received);
        let ours = dump(OURS, dir.path(), server.path(), extra);
        let our_bytes = std::mem::take(&mut model.lock().unwrap().received);
        assert_eq!(
            c, ours,
            "{device} {extra:?}, step {name:?}: C (left) and ours (right) differ"
        );
        // C's `-d 1` polls once more than ours: the polls aside, the same bytes.
        let commands = |b: Vec<String>| b.into_iter().filter(|c| c != "01").collect::<Vec<_>>();
        assert_eq!(
            commands(c_bytes),
            commands(our_bytes),
            "{device}, step {name:?}: bytes sent"
        );
        seen.push(status(&ours));
    }
    seen
}

#[test]
fn kin_matches_c() {
    if !have() {
        return;
    }
    let seen = power_failure("KIN", &["type=KIN"]);
    assert_eq!(seen[0], "OL");
    assert_eq!(seen[1], "OB");
    assert_eq!(seen[3], "OB LB");
    assert_eq!(seen[4], "OL BOOST");
    assert_eq!(seen[5], "OL TRIM RB TEST");
}

#[test]
fn bnt_and_imp_match_c() {
    if !have() {
        return;
    }
    let seen = power_failure("BNT", &["type=BNT"]);
    assert_eq!(seen[3], "OB LB");
    power_failure("BNT", &["type=BNT-other", "nobt"]);
    let seen = power_failure("IMP", &["type=IMP"]);
    assert_eq!(seen[1], "OB");
    // An OPTI answers as an IMP in C 2.8.0 (its firmware byte is 0xff).
    power_failure("OPTI", &["type=OPTI"]);
    // A KIN unit configured as BNT is renamed by its model letter.
    power_failure(
        "KIN",
        &["type=BNT", "validationSequence={{11,0x4b},{8,0},{8,0}}"],
    );
}

#[test]
fn linear_families_match_c() {
    if !have() {
        return;
    }
    let seen = power_failure("Trust", &[]);
    assert_eq!(seen[1], "OB");
    power_failure("KP625AP", &["type=KP625AP", "linevoltage=120"]);
    power_failure(
        "Egys",
        &[
            "type=Egys",
            "manufacturer=Socomec",
            "modelname=Egys 420",
            "serialnumber=123",
            "frequency={0.0002,0.0001}",
            "loadPercentage={1.5,0.5,2,1}",
            "batteryPercentage={1,0.5,2,3,-100}",
            "voltage={2,1,1,0}",
            "numOfBytesFromUPS=16",
            "methodOfFlowControl=dtr0rts1",
        ],
    );
}

/// Waits until the simulated device has received nothing new for 200 ms (at most 3 s).
fn settle(model: &SharedModel) {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut seen = model.lock().unwrap().received.len();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        let now = model.lock().unwrap().received.len();
        if now == seen {
            return;
        }
        seen = now;
    }
}

#[test]
fn killpower_sends_the_same_bytes() {
    if !have() {
        return;
    }
    for (device, extra) in [
        ("KIN", &["type=KIN"][..]),
        ("Trust", &[][..]),
        (
            "KIN",
            &["type=KIN", "nobt", "shutdownArguments={{2,15},y}"][..],
        ),
    ] {
        let (dir, model, server) = sim(&[("powercom.type", device)]);
        let mut bytes = Vec::new();
        for program in [C_DRV, OURS] {
            model.lock().unwrap().received.clear();
            let child = command(program, dir.path(), server.path(), &["-k"], extra)
                .spawn()
                .unwrap();
            finish(program, child);
            // The last bytes may still be in the terminal when the driver has exited.
            settle(&model);
            bytes.push(std::mem::take(&mut model.lock().unwrap().received));
        }
        assert_eq!(
            bytes[0], bytes[1],
            "{device} {extra:?}: C (left), ours (right)"
        );
        assert!(bytes[0].last().unwrap().starts_with("b9 bc"), "{bytes:?}");
    }
}

#[test]
fn bad_options_are_refused_like_c() {
    if !have() {
        return;
    }
    let (dir, _model, server) = sim(&[]);
    for bad in [
        "type=kin",
        "linevoltage=150",
        "numOfBytesFromUPS=0",
        "methodOfFlowControl=dtr1",
        "validationSequence={{1,2},{3,4}}",
        "shutdownArguments={{1,30}}",
        "frequency={x,1}",
    ] {
        for program in [C_DRV, OURS] {
            let out = command(program, dir.path(), server.path(), &["-d", "1"], &[bad])
                .output()
                .unwrap();
            assert!(!out.status.success(), "{program} accepted {bad}");
        }
    }
}

#[test]
fn instant_commands_send_the_same_bytes() {
    if !have() {
        return;
    }
    for cmd in ["test.battery.start", "shutdown.return", "shutdown.stayoff"] {
        let mut bytes = Vec::new();
        for program in [C_DRV, OURS] {
            let (dir, model, server) = sim(&[("powercom.type", "KIN")]);
            let mut driver = Running::start(
                program,
                dir.path(),
                server.path(),
                &["-i", "300"],
                &["type=KIN"],
            );
            settled(&model, Duration::from_millis(500));
            model.lock().unwrap().received.clear();
            let result = driver.request_within(&format!("INSTCMD {cmd}"), Duration::from_secs(1));
            bytes.push(settled(&model, Duration::from_millis(500)));
            if program == OURS {
                assert_eq!(result.as_deref(), Some("0"), "{cmd}");
            }
        }
        assert_eq!(bytes[0], bytes[1], "{cmd}: C (left) and ours (right)");
        assert_eq!(bytes[0].len(), 1, "{cmd}: {bytes:?}");
    }
}

/// Units of other ratings and line voltages (the model number byte), through the states
/// that take the conversions' other branches: on battery (the inverter formulas),
/// brown-out and surge (AVR).
#[test]
fn ratings_and_line_voltages_match_c() {
    if !have() {
        return;
    }
    let units: [(&str, &[u8]); 3] = [
        ("KIN", &[0x19, 0x43, 0x38, 0xa8, 0xd7, 0xe0, 0x03, 0x5a]),
        ("BNT", &[0x18, 0x58, 0x6a, 0x79, 0x98, 0x09, 0x33]),
        ("IMP", &[0x13, 0x8a]),
    ];
    for (family, bytes) in units {
        for byte in bytes {
            let number = byte.to_string();
            let (dir, model, server) =
                sim(&[("powercom.type", family), ("powercom.model", &number)]);
            let option = format!("type={family}");
            for events in [
                &["load=55"][..],
                &["mains-lost", "charge=60"][..],
                &["mains-restored", "line=100", "load=5"][..],
                &["line=262", "charge=97"][..],
            ] {
                for e in events {
                    model.lock().unwrap().apply(e).unwrap();
                }
                let c = dump(C_DRV, dir.path(), server.path(), &[&option, "nobt"]);
                let ours = dump(OURS, dir.path(), server.path(), &[&option, "nobt"]);
                assert_eq!(
                    c, ours,
                    "{family} {byte:#04x} {events:?}: C (left), ours (right)"
                );
            }
        }
    }
}

/// The units of NUT's device library: every one of them published the variables ours
/// publishes on a device of its family. Needs no C driver.
#[test]
fn variables_match_the_device_library() {
    let Some(root) = support::recorded("nut-ddl") else {
        return;
    };
    let mut checked = 0;
    for vendor in ["Powercom", "OptiUPS", "Ultra", "XPCC"] {
        let Ok(files) = std::fs::read_dir(root.join(vendor)) else {
            continue;
        };
        for file in files.flatten() {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            if !text.contains("driver.name: powercom") {
                continue;
            }
            let names = |lines: &mut dyn Iterator<Item = &str>| {
                let mut n: Vec<String> = lines
                    .filter(|l| !l.starts_with('#'))
                    .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim().to_owned()))
                    .filter(|k| !k.starts_with("driver.") && !k.starts_with("device."))
                    .collect();
                n.sort();
                n
            };
            let recorded = names(&mut text.lines());
            let given = text
                .lines()
                .find_map(|l| l.strip_prefix("driver.parameter.type: "))
                .unwrap_or("KIN")
                .trim();
            let family = if given.starts_with("KIN") {
                "KIN"
            } else {
                given
            };
            let device = if family == "BNT-other" { "KIN" } else { family };
            let (dir, _model, server) = sim(&[("powercom.type", device)]);
            let option = format!("type={family}");
            let ours = dump(OURS, dir.path(), server.path(), &[&option]);
            let ours = names(&mut ours.iter().map(String::as_str));
            let name = file.file_name().to_string_lossy().to_string();
            assert_eq!(ours, recorded, "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} recorded units");
}
