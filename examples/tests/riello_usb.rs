//! Differential tests of riello_usb: C NUT 2.8.0's `riello_usb` (`/lib/nut/riello_usb`) and
//! ours run in turn under `usb-emu run --sim riello_usb`, which serves a simulated Riello
//! GPSER unit (`nut_drivers::sim::riello`, the model of `nut-sim --protocol riello`) behind
//! the Cypress HID bridge of Riello's USB units (04b4:5500). The unit is served by the test
//! (`--q1-socket`), so that it is the same for both.
//!
//! - Through the power-failure script both dump (`-d 1`) the same variables with the same
//!   values, on a single-phase unit with CRC-checked frames, a three-phase one with byte
//!   sums and the mixed layouts; the unit receives the same frames (the polls aside, whose number depends on
//!   timing), and the start-up puts the same transfers on the wire.
//! - Instant commands sent through the driver socket give the same tracking results, make
//!   the unit receive the same frames in the same packets.
//! - `-k` makes the same transfers.
//!
//! Under the emulator C's driver needs no special flag, but the emulated bridge must be a
//! HID device with a report descriptor: C's USB layer (libusb1.c) opens a device for a
//! driver that gives a callback, as riello_usb does, only once it has read its HID and
//! report descriptors, and skips it otherwise ("insufficient permissions on everything").
//! And C's "bulk" transfers are interrupt transfers with libusb-1.0, so the bridge's
//! endpoints are interrupt endpoints (see `nut_drivers::riello::usb`).
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

mod support;

// These tests spend their time waiting on C's driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use nut_drivers::sim::Protocol;

    use crate::support::power_failure::{apply_step, POWER_FAILURE};
    use crate::support::qx_session::{cmd, drive, Outcome, Request};
    use crate::support::usb_sim::{driver, dump, new_transfers, Unit};

    const C_DRV: &str = "/lib/nut/riello_usb";
    const OURS: &str = env!("CARGO_BIN_EXE_riello_usb");

    fn have() -> bool {
        crate::support::have(&[C_DRV])
    }

    /// The emulator's name for the unit.
    const SIM: &str = "riello_usb";

    fn unit(settings: &[(&str, &str)]) -> Unit {
        Unit::new(Protocol::Riello, settings)
    }

    /// Whether a frame the unit received (hex) is a poll (`RS`, `RE`).
    fn is_poll(frame: &str) -> bool {
        frame.starts_with("02 20 22 52 53") || frame.starts_with("02 20 22 52 45")
    }

    fn status(lines: &[String]) -> String {
        lines
            .iter()
            .find_map(|l| l.strip_prefix("ups.status: "))
            .unwrap_or_default()
            .to_owned()
    }

    /// The OUT packets of each frame sent (the data of the transfers to `02`, a frame's
    /// packets joined by spaces), the polls aside.
    fn frames_sent(transfers: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let mut packets: Vec<String> = Vec::new();
        let mut bytes: Vec<u8> = Vec::new();
        for line in transfers {
            if !line.contains("interrupt out ep=02") {
                continue;
            }
            let Some(data) = line
                .split(' ')
                .find_map(|w| w.strip_prefix("data="))
                .map(str::to_owned)
            else {
                continue;
            };
            let raw: Vec<u8> = (0..data.len() / 2)
                .filter_map(|i| u8::from_str_radix(&data[2 * i..2 * i + 2], 16).ok())
                .collect();
            let n = usize::from(raw.first().copied().unwrap_or(0) & 7);
            bytes.extend(raw.iter().skip(1).take(n));
            packets.push(data);
            if bytes.contains(&0x03) {
                // A poll: 02 20 22 'R' 'S'|'E'. The end of a frame whose start was logged
                // before: left out too.
                let poll = bytes.get(3) == Some(&b'R') && matches!(bytes.get(4), Some(b'S' | b'E'));
                if !poll && bytes.first() == Some(&0x02) {
                    out.push(packets.join(" "));
                }
                packets.clear();
                bytes.clear();
            }
        }
        out
    }

    /// The start-up's transfers: everything before the first poll is sent.
    fn start_up(transfers: &[String]) -> Vec<String> {
        transfers
            .iter()
            .take_while(|l| !l.contains("data=3702202252533030"))
            .cloned()
            .collect()
    }

    /// Both drivers, one after the other, through the steps `steps` of the power failure on
    /// a unit with `settings`: the same dumps, the same frames received (the polls aside);
    /// at the first step the same start-up transfers. Returns the statuses seen.
    fn power_failure(settings: &[(&str, &str)], steps: &[usize]) -> Vec<String> {
        let u = unit(settings);
        let mut seen = Vec::new();
        for (i, (name, _)) in POWER_FAILURE.iter().enumerate() {
            apply_step(&u.model, i);
            if !steps.contains(&i) {
                continue;
            }
            let mut runs = Vec::new();
            for (who, program) in [("c", C_DRV), ("ours", OURS)] {
                u.model.lock().unwrap().received.clear();
                let log = u.dir.path().join(format!("{who}{i}.log"));
                let state = u.folder(&format!("{who}{i}"));
                let dump = dump(SIM, program, &state, &u.emu(Some(&log), &[]));
                let frames: Vec<String> = std::mem::take(&mut u.model.lock().unwrap().received)
                    .into_iter()
                    .filter(|f| !is_poll(f))
                    .collect();
                let transfers = new_transfers(&log, &mut 0);
                runs.push((dump, frames, start_up(&transfers)));
            }
            let (c, ours) = (&runs[0], &runs[1]);
            assert_eq!(
                c.0, ours.0,
                "{settings:?}, step {name:?}: C (left) and ours (right) differ"
            );
            assert_eq!(c.1, ours.1, "{settings:?}, step {name:?}: frames received");
            if i == steps[0] {
                assert_eq!(c.2, ours.2, "{settings:?}: start-up transfers");
                assert!(
                    ours.2
                        .iter()
                        .any(|l| l.contains("control out type=21 req=09 value=0300")
                            && l.contains("data=b004000003")),
                    "{:#?}",
                    ours.2
                );
            }
            assert!(ours.0.contains(&"ups.vendorid: 04b4".to_owned()));
            seen.push(status(&ours.0));
        }
        seen
    }

    #[test]
    fn single_phase_unit_matches_c() {
        if !have() {
            return;
        }
        let seen = power_failure(&[], &[0, 1, 3, 4, 5]);
        assert_eq!(
            seen,
            ["OL", "OB", "OB LB", "OL BOOST CHRG", "OL TRIM RB CHRG"]
        );
    }

    #[test]
    fn three_phase_unit_matches_c() {
        if !have() {
            return;
        }
        let seen = power_failure(
            &[
                ("riello.type", "4"),
                ("riello.crc", "0"),
                ("riello.power", "10000"),
                ("riello.model", "MPT10"),
            ],
            &[0, 1, 3],
        );
        assert_eq!(seen, ["OL", "OB", "OB LB"]);
    }

    /// One phase in and three out, and three in and one out, on units that refuse `RE`.
    #[test]
    fn mixed_phase_units_match_c() {
        if !have() {
            return;
        }
        for kind in ["2", "3"] {
            let seen = power_failure(&[("riello.type", kind), ("riello.extended", "no")], &[1]);
            assert_eq!(seen, ["OB"]);
        }
    }

    /// A command session of `program` on a fresh unit with `settings` (on battery from the
    /// start when `on_battery`): the published commands, and per request the result, the
    /// frames received (polls aside) and the packets of the frames sent (polls aside).
    fn session(
        program: &str,
        settings: &[(&str, &str)],
        on_battery: bool,
        requests: &[Request],
    ) -> (Vec<String>, Vec<Outcome>) {
        let u = unit(settings);
        if on_battery {
            u.model.lock().unwrap().mains_lost();
        }
        let state = u.folder("run");
        let log = u.dir.path().join("transfers.log");
        // C polls every two seconds whatever -i says (it sets its poll interval itself):
        // the polls are left out of what is compared.
        let mut run = driver(
            SIM,
            program,
            &state,
            &u.emu(Some(&log), &[]),
            &["-F", "-i", "3600"],
        );
        run.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut seen = 0;
        let s = drive(
            program,
            run,
            &state.join("riello_usb-ups"),
            &u.model,
            requests,
            false,
            &mut || new_transfers(&log, &mut seen),
        );
        let outcomes = s
            .outcomes
            .into_iter()
            .map(|(req, code, frames, transfers)| {
                (
                    req,
                    code,
                    frames.into_iter().filter(|f| !is_poll(f)).collect(),
                    frames_sent(&transfers),
                )
            })
            .collect();
        (s.commands, outcomes)
    }

    /// C's session and ours side by side; returns ours.
    fn sessions(on_battery: bool, commands: &[&str]) -> Vec<Outcome> {
        let requests: Vec<Request> = commands.iter().map(|c| cmd(c, None)).collect();
        let (c, ours) = std::thread::scope(|s| {
            let c = s.spawn(|| session(C_DRV, &[], on_battery, &requests));
            let ours = session(OURS, &[], on_battery, &requests);
            (c.join().expect("C session"), ours)
        });
        assert_eq!(c.0, ours.0, "published commands");
        assert_eq!(c.1.len(), ours.1.len());
        for (a, b) in c.1.iter().zip(&ours.1) {
            assert_eq!(
                a, b,
                "on battery: {on_battery}: C (left) and ours (right) differ"
            );
        }
        ours.1
    }

    #[test]
    fn instant_commands_match_c() {
        if !have() {
            return;
        }
        let on_line = [
            "load.off",
            "load.off.delay",
            "load.on",
            "load.on.delay",
            "shutdown.stop",
            "test.battery.start",
            "test.panel.start",
            "shutdown.return",
            "beeper.off",
        ];
        let on_battery = ["shutdown.return", "load.off", "test.battery.start"];
        let (line, battery) = std::thread::scope(|s| {
            let line = s.spawn(|| sessions(false, &on_line));
            let battery = sessions(true, &on_battery);
            (line.join().expect("on line"), battery)
        });
        // On line: load.off is CS with no delay, its 16 bytes sent in three packets.
        assert_eq!(line[0].1, "0", "{:?}", line[0]);
        assert!(line[0].2[0].starts_with("02 20 22 43 53"), "{:?}", line[0]);
        assert!(
            line[0].3[0].starts_with("3702202243533034 37") && line[0].3[0].len() == 50,
            "{:?}",
            line[0]
        );
        // shutdown.return is not a command on line: nothing is sent.
        assert!(
            line[7].2.is_empty() && line[7].3.is_empty(),
            "{:?}",
            line[7]
        );
        assert_ne!(line[7].1, line[0].1, "{:?}", line[7]);
        // On battery it is CS with the delay; load.off is not a command then.
        assert!(
            battery[0].2[0].starts_with("02 20 22 43 53"),
            "{:?}",
            battery[0]
        );
        assert!(battery[1].2.is_empty(), "{:?}", battery[1]);
    }

    /// `program -k` on a fresh unit: whether it succeeded, the frames the unit received, the
    /// transfers.
    fn killpower(program: &str) -> (bool, Vec<String>, Vec<String>) {
        let u = unit(&[]);
        let state = u.folder("kill");
        let log = u.dir.path().join("transfers.log");
        let out = driver(SIM, program, &state, &u.emu(Some(&log), &[]), &["-k"])
            .output()
            .unwrap_or_else(|e| panic!("can't run {program}: {e}"));
        let received = u.model.lock().unwrap().received.clone();
        (out.status.success(), received, new_transfers(&log, &mut 0))
    }

    /// C's `-k` skips the identification (no feature report, no `GI`): the status is not
    /// known, so `shutdown.return` is refused and `shutdown.stop` is sent three times; `-k`
    /// fails.
    #[test]
    fn killpower_matches_c() {
        if !have() {
            return;
        }
        let (c, ours) = std::thread::scope(|s| {
            let c = s.spawn(|| killpower(C_DRV));
            (c.join().expect("C"), killpower(OURS))
        });
        assert_eq!(c, ours, "C (left) and ours (right)");
        assert!(!ours.0);
        assert_eq!(ours.1.len(), 3, "{:?}", ours.1);
        assert!(
            ours.1.iter().all(|f| f.starts_with("02 20 22 43 44")),
            "{:?}",
            ours.1
        );
    }
}
