//! Differential tests of the CyberPower driver: C NUT 2.8.0's `powerpanel` (`/lib/nut/…`)
//! and ours are pointed in turn at the same simulated unit (a pseudo-terminal served by
//! `nut_drivers::sim` speaking the binary or the text protocol) through a power-failure
//! script, and must dump (`-d 1`) the same variables with the same values; the unit must
//! receive the same bytes (detection, `-k`, instant commands and SETs through the driver
//! socket), and bad options are refused by both.
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

mod support;

// These tests spend their time waiting on C's driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use std::time::Duration;

    use nut_drivers::sim::pty::PtyServer;
    use nut_drivers::sim::{Protocol, SharedModel};

    const C_DRV: &str = "/lib/nut/powerpanel";
    const OURS: &str = env!("CARGO_BIN_EXE_powerpanel");

    use crate::support::driver::{command, dump, finish, Running};
    use crate::support::power_failure::{apply_step, POWER_FAILURE};

    /// Unit settings, events or requests, and driver options of one case.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a [&'a str]);

    fn have() -> bool {
        crate::support::have(&[C_DRV])
    }

    fn sim(settings: &[(&str, &str)]) -> (tempfile::TempDir, SharedModel, PtyServer) {
        crate::support::driver::sim(Protocol::Powerpanel, "powerpanel.", settings)
    }

    fn status(lines: &[String]) -> String {
        lines
            .iter()
            .find_map(|l| l.strip_prefix("ups.status: "))
            .unwrap_or_default()
            .to_owned()
    }

    /// The commands other than the status polls.
    fn commands(bytes: Vec<String>) -> Vec<String> {
        bytes
            .into_iter()
            .filter(|c| c != "D" && c != "44")
            .collect()
    }

    /// Both drivers through the power failure on a unit with `settings` and the driver
    /// options `extra`. Returns the statuses seen.
    fn power_failure(settings: &[(&str, &str)], extra: &[&str]) -> Vec<String> {
        let (dir, model, server) = sim(settings);
        let mut seen = Vec::new();
        for (i, (name, _)) in POWER_FAILURE.iter().enumerate() {
            apply_step(&model, i);
            model.lock().unwrap().received.clear();
            let mut c = dump(C_DRV, dir.path(), server.path(), extra);
            if settings.contains(&("layout", "runtime")) {
                // This layout has no temperature: C prints what its stack held, ours 0.
                for line in c.iter_mut().filter(|l| l.starts_with("ups.temperature: ")) {
                    *line = "ups.temperature: 0".into();
                }
            }
            let c_bytes = std::mem::take(&mut model.lock().unwrap().received);
            let ours = dump(OURS, dir.path(), server.path(), extra);
            let our_bytes = std::mem::take(&mut model.lock().unwrap().received);
            assert_eq!(
                c, ours,
                "{settings:?} {extra:?}, step {name:?}: C (left) and ours (right) differ"
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
    fn binary_pr_unit_matches_c() {
        if !have() {
            return;
        }
        let seen = power_failure(&[], &[]);
        assert_eq!(seen[0], "OL");
        assert_eq!(seen[1], "OB");
        assert_eq!(seen[3], "OB LB");
        assert_eq!(seen[5], "OL TEST");
    }

    #[test]
    fn binary_op_units_match_c() {
        if !have() {
            return;
        }
        power_failure(&[("model", "OP1500")], &["protocol=binary"]);
        power_failure(
            &[("model", "rO43"), ("reg.2", "3"), ("reg.8", "250")],
            &["manufacturer=Acme", "model=X", "serial=42"],
        );
    }

    #[test]
    fn text_unit_matches_c() {
        if !have() {
            return;
        }
        let seen = power_failure(&[("protocol", "text")], &["protocol=text"]);
        assert_eq!(seen[1], "OB");
        assert_eq!(seen[3], "OB LB");
        assert_eq!(seen[4], "OL BOOST");
    }

    #[test]
    fn text_runtime_layout_matches_c() {
        if !have() {
            return;
        }
        power_failure(
            &[("protocol", "text"), ("layout", "runtime")],
            &["protocol=text", "offdelay=40", "ondelay=3"],
        );
    }

    #[test]
    fn text_long_layout_matches_c() {
        if !have() {
            return;
        }
        // Detected after the binary protocol got no answer.
        power_failure(&[("protocol", "text"), ("layout", "long")], &[]);
    }

    #[test]
    fn killpower_sends_the_same_bytes() {
        if !have() {
            return;
        }
        let cases: [Case<'_>; 3] = [
            (&[], &[], &[]),
            (&[], &["mains-lost"], &[]),
            (
                &[("protocol", "text")],
                &[],
                &["protocol=text", "offdelay=30"],
            ),
        ];
        for (settings, events, extra) in cases {
            let (dir, model, server) = sim(settings);
            for e in events {
                model.lock().unwrap().apply(e).unwrap();
            }
            let mut bytes = Vec::new();
            for program in [C_DRV, OURS] {
                model.lock().unwrap().received.clear();
                let child = command(program, dir.path(), server.path(), &["-k"], extra)
                    .spawn()
                    .unwrap();
                finish(program, child);
                bytes.push(std::mem::take(&mut model.lock().unwrap().received));
            }
            assert_eq!(
                bytes[0], bytes[1],
                "{settings:?} {events:?}: C (left), ours (right)"
            );
        }
    }

    #[test]
    fn bad_options_are_refused_like_c() {
        if !have() {
            return;
        }
        for (settings, bad) in [
            (&[][..], "ondelay=2"),
            (&[][..], "protocol=serial"),
            (&[("protocol", "text")][..], "offdelay=5"),
            (&[("protocol", "text")][..], "ondelay=10000"),
            (&[("protocol", "text")][..], "protocol=binary"),
        ] {
            let (dir, _model, server) = sim(settings);
            for program in [C_DRV, OURS] {
                let out = command(
                    program,
                    dir.path(),
                    server.path(),
                    &["-d", "1"],
                    &["protocol=text", bad][usize::from(settings.is_empty())..],
                )
                .output()
                .unwrap();
                assert!(!out.status.success(), "{program} accepted {bad}");
            }
        }
    }

    /// The commands the unit received once nothing but polls came for a second.
    fn settled(model: &SharedModel) -> Vec<String> {
        let mut last = commands(model.lock().unwrap().received.clone());
        loop {
            std::thread::sleep(Duration::from_millis(1000));
            let now = commands(model.lock().unwrap().received.clone());
            if now == last {
                return now;
            }
            last = now;
        }
    }

    /// Instant commands and SETs through the socket: the same bytes on the wire.
    #[test]
    fn commands_and_sets_send_the_same_bytes() {
        if !have() {
            return;
        }
        let cases: [Case<'_>; 2] = [
            (
                &[],
                &[
                    "INSTCMD beeper.toggle",
                    "INSTCMD test.battery.start.quick",
                    "INSTCMD shutdown.stop",
                    "SET input.transfer.low \"93\"",
                    "SET ups.start.battery \"no\"",
                    "SET battery.charge.low \"33\"",
                ],
                &[],
            ),
            (
                &[("protocol", "text")],
                &[
                    "INSTCMD beeper.off",
                    "INSTCMD test.battery.start.deep",
                    "INSTCMD shutdown.return",
                    "INSTCMD shutdown.reboot",
                    "SET input.transfer.high \"267\"",
                    "SET battery.charge.low \"25\"",
                ],
                &["protocol=text"],
            ),
        ];
        for (settings, requests, extra) in cases {
            let mut bytes = Vec::new();
            let mut results = Vec::new();
            for program in [C_DRV, OURS] {
                let (dir, model, server) = sim(settings);
                let mut driver =
                    Running::start(program, dir.path(), server.path(), &["-i", "300"], extra);
                settled(&model);
                model.lock().unwrap().received.clear();
                let mut got = Vec::new();
                for r in requests {
                    got.push(driver.request_within(r, Duration::from_secs(5)));
                    settled(&model);
                }
                results.push(got);
                bytes.push(settled(&model));
            }
            assert_eq!(
                bytes[0], bytes[1],
                "{settings:?}: C (left) and ours (right)"
            );
            assert_eq!(results[0], results[1], "{settings:?}: results");
            assert!(bytes[0].len() >= requests.len() - 1, "{bytes:?}");
        }
    }

    /// The units of NUT's device library: every variable they published is published by ours
    /// on a unit of the same protocol and model.
    #[test]
    fn variables_match_the_device_library() {
        let Some(root) = crate::support::recorded("nut-ddl") else {
            return;
        };
        let mut checked = 0;
        for vendor in ["Cyber_Power_Systems", "MicroDowell"] {
            let Ok(files) = std::fs::read_dir(root.join(vendor)) else {
                continue;
            };
            for file in files.flatten() {
                let text = std::fs::read_to_string(file.path()).unwrap_or_default();
                if !text.contains("driver.name: powerpanel") {
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
                let binary = text.contains("ups.beeper.status");
                let model = text
                    .lines()
                    .find_map(|l| l.strip_prefix("ups.model: "))
                    .unwrap_or("PR2200")
                    .trim();
                let protocol = if binary { "binary" } else { "text" };
                let (dir, _model, server) = sim(&[("protocol", protocol), ("model", model)]);
                let option = format!("protocol={protocol}");
                let ours = dump(OURS, dir.path(), server.path(), &[&option]);
                let ours = names(&mut ours.iter().map(String::as_str));
                let name = file.file_name().to_string_lossy().to_string();
                for var in &recorded {
                    assert!(ours.contains(var), "{name}: {var} missing from {ours:?}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 6, "only {checked} recorded units");
    }
}
