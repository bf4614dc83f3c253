//! Differential tests of the Riello serial driver: C NUT 2.8.0's `riello_ser`
//! (`/lib/nut/riello_ser`) and ours are pointed in turn at the same simulated GPSER unit (a
//! pseudo-terminal served by `nut_drivers::sim` speaking Riello's protocol; a single-phase
//! unit with CRC-checked frames and a three-phase one with byte sums) through a
//! power-failure script, and must dump (`-d 1`) the same variables with the same values;
//! the unit must receive the same bytes for the start-up probes, every instant command
//! sent through the driver socket and `-k`.
//!
//! Each C start waits five seconds for an answer to its SENTR probe, so a run takes a few
//! seconds. Without the C driver the tests print a note and pass, unless
//! `NUT_RS_INTEROP=1`.

mod support;

// These tests spend their time waiting on C's driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use std::time::Duration;

    use nut_drivers::sim::pty::PtyServer;
    use nut_drivers::sim::{Protocol, SharedModel};

    const C_DRV: &str = "/lib/nut/riello_ser";
    const OURS: &str = env!("CARGO_BIN_EXE_riello_ser");

    use crate::support::driver::{command, dump, settled, Running};
    use crate::support::power_failure::{apply_step, POWER_FAILURE};

    fn have() -> bool {
        crate::support::have(&[C_DRV])
    }

    fn sim(settings: &[(&str, &str)]) -> (tempfile::TempDir, SharedModel, PtyServer) {
        crate::support::driver::sim(Protocol::Riello, "", settings)
    }

    fn status(lines: &[String]) -> String {
        lines
            .iter()
            .find_map(|l| l.strip_prefix("ups.status: "))
            .unwrap_or_default()
            .to_owned()
    }

    /// The frames received, without the polls (`RS`, `RE`), whose number depends on timing.
    fn commands(frames: Vec<String>) -> Vec<String> {
        frames
            .into_iter()
            .filter(|f| !f.starts_with("02 20 22 52 53") && !f.starts_with("02 20 22 52 45"))
            .collect()
    }

    /// Both drivers through the steps `steps` of the power failure on a unit with
    /// `settings`; the bytes the unit received (the polls aside) must match too. Returns the
    /// statuses seen.
    fn power_failure(settings: &[(&str, &str)], steps: &[usize]) -> Vec<String> {
        let (dir, model, server) = sim(settings);
        let mut seen = Vec::new();
        for (i, (name, _)) in POWER_FAILURE.iter().enumerate() {
            apply_step(&model, i);
            if !steps.contains(&i) {
                continue;
            }
            model.lock().unwrap().received.clear();
            let c = dump(C_DRV, dir.path(), server.path(), &[]);
            let c_bytes = std::mem::take(&mut model.lock().unwrap().received);
            let ours = dump(OURS, dir.path(), server.path(), &[]);
            let our_bytes = std::mem::take(&mut model.lock().unwrap().received);
            assert_eq!(
                c, ours,
                "{settings:?}, step {name:?}: C (left) and ours (right) differ"
            );
            assert_eq!(
                commands(c_bytes),
                commands(our_bytes),
                "{settings:?}, step {name:?}: bytes sent"
            );
            seen.push(status(&ours));
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
            &[0, 1, 3, 4],
        );
        assert_eq!(seen, ["OL", "OB", "OB LB", "OL BOOST CHRG"]);
    }

    #[test]
    fn mixed_phase_units_match_c() {
        if !have() {
            return;
        }
        for kind in ["2", "3"] {
            power_failure(&[("riello.type", kind), ("riello.extended", "no")], &[1, 5]);
        }
    }

    #[test]
    fn killpower_sends_the_same_bytes() {
        if !have() {
            return;
        }
        let (dir, model, server) = sim(&[]);
        let mut runs = Vec::new();
        for program in [C_DRV, OURS] {
            model.lock().unwrap().received.clear();
            let out = command(program, dir.path(), server.path(), &["-k"], &[])
                .output()
                .unwrap();
            let bytes = settled(&model, Duration::from_millis(300));
            runs.push((out.status.success(), bytes));
        }
        assert_eq!(runs[0], runs[1], "C (left), ours (right)");
        // The SENTR probe, GI, then shutdown.stop three times: shutdown.return is refused
        // before any status is known, so -k fails.
        assert!(!runs[0].0);
        assert_eq!(runs[0].1.len(), 5, "{:?}", runs[0].1);
        assert_eq!(runs[0].1[0], "c0");
    }

    #[test]
    fn instant_commands_send_the_same_bytes() {
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
        let mut results = Vec::new();
        for program in [C_DRV, OURS] {
            let (dir, model, server) = sim(&[]);
            let mut driver = Running::start(program, dir.path(), server.path(), &["-i", "2"], &[]);
            let mut run = Vec::new();
            for (mains, cmds) in [(true, &on_line[..]), (false, &on_battery[..])] {
                if !mains {
                    model.lock().unwrap().mains_lost();
                    // Both poll every two seconds: wait for a poll.
                    std::thread::sleep(Duration::from_secs(5));
                }
                for cmd in cmds {
                    settled(&model, Duration::from_millis(300));
                    model.lock().unwrap().received.clear();
                    let result = driver.request(&format!("INSTCMD {cmd}"));
                    let bytes = commands(settled(&model, Duration::from_millis(300)));
                    run.push((cmd.to_string(), result, bytes));
                }
            }
            results.push(run);
        }
        for (c, ours) in results[0].iter().zip(&results[1]) {
            assert_eq!(c.2, ours.2, "{}: bytes, C (left) and ours (right)", c.0);
            assert_eq!(c.1, ours.1, "{}: result, C (left) and ours (right)", c.0);
        }
        // On line shutdown.return is unknown and sends nothing; on battery it is CS.
        assert!(results[1][7].2.is_empty(), "{:?}", results[1][7]);
        assert!(results[1][9].2[0].starts_with("02 20 22 43 53"));
        assert!(results[1][10].2.is_empty(), "{:?}", results[1][10]);
        assert_eq!(results[1][0].1.as_deref(), Some("0"));
        assert!(results[1][0].2[0].starts_with("02 20 22 43 53"));
    }

    /// The units of NUT's device library: what they published, ours publishes on a unit of
    /// the same layout (the names C 2.8.0 renamed or added aside). Needs no C driver.
    #[test]
    fn variables_match_the_device_library() {
        let Some(root) = crate::support::recorded("nut-ddl/Riello") else {
            return;
        };
        let mut checked = 0;
        for file in std::fs::read_dir(root).unwrap().flatten() {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            if !text.contains("driver.name: riello_") {
                continue;
            }
            let names = |lines: &mut dyn Iterator<Item = &str>| {
                let mut n: Vec<String> = lines
                    .filter(|l| !l.starts_with('#'))
                    .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim().to_owned()))
                    .filter(|k| !k.starts_with("driver.") && !k.starts_with("device."))
                    .filter(|k| k != "Warning")
                    // Renamed since (ups.power.nominal), or USB-only.
                    .filter(|k| k != "ups.upspower.nominal" && k != "ups.power.nominal")
                    .filter(|k| k != "ups.productid" && k != "ups.vendorid")
                    // Added since.
                    .filter(|k| !k.starts_with("ups.delay.") && !k.ends_with(".phases"))
                    // RE's per-phase powers and currents: published by C 2.8.0 even when
                    // a unit refuses RE, not by older versions.
                    .filter(|k| {
                        !(k.starts_with("output.L")
                            && (k.ends_with(".power")
                                || k.ends_with(".realpower")
                                || k.ends_with(".current")))
                    })
                    .collect();
                n.sort();
                n
            };
            let recorded = names(&mut text.lines());
            let three_in = recorded.iter().any(|k| k == "input.L1-N.voltage");
            let three_out = recorded.iter().any(|k| k == "output.L1-N.voltage");
            let kind = match (three_in, three_out) {
                (false, false) => "1",
                (false, true) => "2",
                (true, false) => "3",
                (true, true) => "4",
            };
            let (dir, _model, server) = sim(&[("riello.type", kind)]);
            let ours = dump(OURS, dir.path(), server.path(), &[]);
            let ours = names(&mut ours.iter().map(String::as_str));
            let name = file.file_name().to_string_lossy().to_string();
            // Charge-dependent: CHRG and the runtime come and go; only names are compared.
            assert_eq!(ours, recorded, "{name}");
            checked += 1;
        }
        assert!(checked >= 5, "only {checked} Riello units");
    }
}
