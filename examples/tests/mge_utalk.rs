//! Differential tests of the U-Talk driver: C NUT 2.8.0's `mge-utalk` (`/lib/nut/…`) and
//! ours are pointed in turn at the same simulated MGE unit (a pseudo-terminal served by
//! `nut_drivers::sim` speaking U-Talk) through the main steps of a power failure, and
//! must dump (`-d 1`) the same variables with the same values and send the unit the same
//! commands; `-k`, instant commands and SETs through the driver socket send the same
//! bytes.
//!
//! U-Talk waits half a second before every command, so a run takes about 15 s.
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

mod support;

// These tests spend their time waiting on C's driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use nut_drivers::sim::pty::PtyServer;
    use nut_drivers::sim::{Protocol, SharedModel};

    const C_DRV: &str = "/lib/nut/mge-utalk";
    const OURS: &str = env!("CARGO_BIN_EXE_mge-utalk");

    use crate::support::driver::{command, dump, finish, Running};

    fn have() -> bool {
        crate::support::have(&[C_DRV])
    }

    fn sim(settings: &[(&str, &str)]) -> (tempfile::TempDir, SharedModel, PtyServer) {
        crate::support::driver::sim(Protocol::MgeUtalk, "mge.", settings)
    }

    fn status(lines: &[String]) -> String {
        lines
            .iter()
            .find_map(|l| l.strip_prefix("ups.status: "))
            .unwrap_or_default()
            .to_owned()
    }

    /// Both drivers on a unit with `settings` and driver options `extra`, after each group of
    /// events; returns the statuses seen.
    fn compare(settings: &[(&str, &str)], extra: &[&str], steps: &[&[&str]]) -> Vec<String> {
        // C and ours each on a simulated unit of its own, at the same time: each dump takes
        // C's half second per command, so side by side halves the test.
        let (c_dir, c_model, c_server) = sim(settings);
        let (o_dir, o_model, o_server) = sim(settings);
        let mut seen = Vec::new();
        for events in steps {
            for model in [&c_model, &o_model] {
                for e in *events {
                    model.lock().unwrap().apply(e).unwrap();
                }
                model.lock().unwrap().received.clear();
            }
            let run = |program: &str, dir: &Path, server: &PtyServer, model: &SharedModel| {
                // Each unit is on a terminal of its own: its path is the one difference.
                let out: Vec<String> = dump(program, dir, server.path(), extra)
                    .into_iter()
                    .map(|line| match line.strip_prefix("driver.parameter.port: ") {
                        Some(_) => "driver.parameter.port: (the simulated unit)".to_owned(),
                        None => line,
                    })
                    .collect();
                // The last command a driver sends before it exits may still be on its way.
                std::thread::sleep(Duration::from_millis(500));
                (out, std::mem::take(&mut model.lock().unwrap().received))
            };
            let ((c, c_bytes), (ours, our_bytes)) = std::thread::scope(|s| {
                let c = s.spawn(|| run(C_DRV, c_dir.path(), &c_server, &c_model));
                let ours = run(OURS, o_dir.path(), &o_server, &o_model);
                (c.join().unwrap(), ours)
            });
            assert_eq!(
                c, ours,
                "{settings:?} {extra:?} {events:?}: C (left) and ours (right) differ"
            );
            // C's `-d 1` polls once more than ours: the same commands up to the last poll.
            let n = our_bytes.len() - 1;
            assert_eq!(
                c_bytes[..n],
                our_bytes[..n],
                "{settings:?} {events:?}: commands"
            );
            assert_eq!(c_bytes.last(), our_bytes.last());
            seen.push(status(&ours));
        }
        seen
    }

    #[test]
    fn power_failure_matches_c() {
        if !have() {
            return;
        }
        let seen = compare(&[], &[], &[&[], &["mains-lost", "low-battery"]]);
        assert_eq!(seen, ["OL", "OB LB DISCHRG"]);
    }

    /// A legacy unit (no `Si 1`) without a multiplier table, the start-up settings.
    #[test]
    fn legacy_unit_and_options_match_c() {
        if !have() {
            return;
        }
        compare(
            &[("model", "?"), ("si", "3000 12 0"), ("table", "0")],
            &["LowBatt=40", "OnDelay=3", "OffDelay=60"],
            &[&["line=262", "fail"]],
        );
    }

    /// An Evolution, table 2 (hundredths of volts), an unknown legacy number.
    #[test]
    fn evolution_unit_matches_c() {
        if !have() {
            return;
        }
        compare(
            &[("model", "Evolutio 2200 20"), ("table", "2")],
            &[],
            &[&[]],
        );
    }

    #[test]
    fn legacy_unknown_unit_matches_c() {
        if !have() {
            return;
        }
        compare(
            &[("model", "?"), ("si", "1234 5 0"), ("table", "3")],
            &[],
            &[&[]],
        );
    }

    #[test]
    fn killpower_sends_the_same_bytes() {
        if !have() {
            return;
        }
        let (dir, model, server) = sim(&[]);
        let mut bytes = Vec::new();
        for program in [C_DRV, OURS] {
            model.lock().unwrap().received.clear();
            let child = command(program, dir.path(), server.path(), &["-k"], &[])
                .spawn()
                .unwrap();
            finish(program, child);
            // The last command a driver sends before it exits may still be on its way.
            std::thread::sleep(Duration::from_millis(500));
            bytes.push(std::mem::take(&mut model.lock().unwrap().received));
        }
        assert_eq!(bytes[0], bytes[1], "C (left), ours (right)");
        assert!(bytes[0].contains(&"Sx 0".to_owned()), "{bytes:?}");
    }

    /// The commands other than those of the polls (communication on, status, variables).
    fn commands(received: Vec<String>) -> Vec<String> {
        let reads = ["Bl", "Bn", "Bv", "St", "Ll", "Lv", "Lc", "Uv", "Uf"];
        let mut out = Vec::new();
        let mut previous = String::new();
        for c in received {
            let poll = matches!(c.as_str(), "Z" | "Si" | "Ss" | "Bs" | "Ls" | "Ax 1")
                || (c == "Ps" && previous == "Ls")
                || c.ends_with(" ?")
                || reads.contains(&c.as_str());
            if !poll {
                out.push(c.clone());
            }
            previous = c;
        }
        out
    }

    /// Instant commands and SETs through the socket: the same commands on the wire and the
    /// same results.
    #[test]
    fn commands_and_sets_send_the_same_bytes() {
        if !have() {
            return;
        }
        let requests = [
            "INSTCMD test.battery.start",
            "INSTCMD load.off",
            "INSTCMD load.on",
            "INSTCMD bypass.start",
            "INSTCMD test.panel.start",
            "SET ups.delay.shutdown \"30\"",
            "SET input.transfer.low \"180\"",
            "SET battery.charge \"5\"",
        ];
        let mut bytes = Vec::new();
        let mut results = Vec::new();
        for program in [C_DRV, OURS] {
            let (dir, model, server) = sim(&[]);
            let mut driver =
                Running::start(program, dir.path(), server.path(), &["-i", "300"], &[]);
            // Until the first poll is over.
            let deadline = Instant::now() + Duration::from_secs(90);
            while model
                .lock()
                .unwrap()
                .received
                .iter()
                .filter(|c| *c == "Ps")
                .count()
                < 2
            {
                assert!(Instant::now() < deadline, "{program}: no poll");
                std::thread::sleep(Duration::from_millis(200));
            }
            std::thread::sleep(Duration::from_secs(1));
            model.lock().unwrap().received.clear();
            let got: Vec<_> = requests.iter().map(|r| driver.request(r)).collect();
            results.push(got);
            bytes.push(commands(std::mem::take(
                &mut model.lock().unwrap().received,
            )));
        }
        assert_eq!(bytes[0], bytes[1], "C (left) and ours (right)");
        assert_eq!(bytes[0].len(), 10, "{bytes:?}");
        assert_eq!(results[0][..5], results[1][..5], "results");
    }

    /// The units of NUT's device library: every variable they published is published by
    /// ours on a unit of the same identification. Needs no C driver.
    #[test]
    fn variables_match_the_device_library() {
        let Some(root) = crate::support::recorded("nut-ddl") else {
            return;
        };
        let mut checked = 0;
        let Ok(files) = std::fs::read_dir(root.join("MGE_UPS_SYSTEMS")) else {
            return;
        };
        let mut units: Vec<(String, String)> = Vec::new();
        for file in files.flatten() {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            if text.contains("driver.name: mge-utalk") {
                units.push((file.file_name().to_string_lossy().to_string(), text));
            }
        }
        // One simulated unit each, side by side (a run takes half a minute).
        let runs: Vec<_> = units
            .into_iter()
            .map(|(name, text)| std::thread::spawn(move || check_unit(&name, &text)))
            .collect();
        for run in runs {
            run.join().unwrap();
            checked += 1;
        }
        assert!(checked >= 4, "only {checked} recorded units");
    }

    /// Ours on a simulated unit identified as the recorded one: every recorded variable is
    /// there (and an Evolution's model as recorded).
    fn check_unit(name: &str, text: &str) {
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("ups.id: "))
            .unwrap_or("EXTREME 1500 12")
            .trim()
            .to_owned();
        let (dir, _model, server) = sim(&[("model", &id)]);
        let ours = dump(OURS, dir.path(), server.path(), &[]);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((var, value)) = line.split_once(": ") else {
                continue;
            };
            if var.starts_with("driver.") || var.starts_with("device.") {
                continue;
            }
            assert!(
                ours.iter().any(|l| l.starts_with(&format!("{var}: "))),
                "{name}: {var} missing"
            );
            if var == "ups.model" && id.starts_with("Evolutio") {
                assert!(ours.contains(&line.to_owned()), "{name}: {value}");
            }
        }
    }
}
