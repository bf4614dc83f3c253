//! Differential tests of `blazer_ser` and `blazer_usb` against C NUT 2.8.0's.
//!
//! - `blazer_ser`: both drivers in turn on the same simulated UPS (a pseudo-terminal served
//!   by `nut_drivers::sim`) through a power failure, with each protocol it detects, with
//!   its options (`norating`, `novendor`, delays, `runtimecal`), and `-k`; the dumps
//!   (`-d 1`) and the commands the UPS receives must be the same.
//! - `blazer_usb`: both under `usb-emu run --q1 BRIDGE` for each of the four bridges it
//!   knows (cypress, phoenix, ippon, krauler): the same dumps through the power failure, and
//!   the same tracking results, UPS commands and USB transfers for instant commands.
//!
//! Each dump is also checked for the status the script means to produce. Without the C
//! drivers the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

mod support;

// These tests spend their time waiting on C's driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use nut_drivers::sim::pty::PtyServer;
    use nut_drivers::sim::q1::Q1Dialect;
    use nut_drivers::sim::{Protocol, UpsModel};

    const C_SER: &str = "/lib/nut/blazer_ser";
    const OURS_SER: &str = env!("CARGO_BIN_EXE_blazer_ser");
    const C_USB: &str = "/lib/nut/blazer_usb";
    const OURS_USB: &str = env!("CARGO_BIN_EXE_blazer_usb");

    use crate::support::power_failure::{apply_step, POWER_FAILURE};
    use crate::support::q1_usb::{for_each_bridge, killpower, Unit};
    use crate::support::qx_session::{cmd, Request};

    /// The status blazer gives at each step of the power failure: the self-test failure and
    /// the pending shutdown are alarms (and the failure stays until the next test).
    const STATUS: [&str; 7] = [
        "OL",
        "OB",
        "OB",
        "ALARM OB LB FSD",
        "OL BOOST",
        "ALARM OL TRIM CAL",
        "ALARM OL",
    ];

    /// A simulated UPS of `dialect` on a pseudo-terminal in a test folder.
    struct Serial {
        dir: tempfile::TempDir,
        model: nut_drivers::sim::SharedModel,
        server: PtyServer,
    }

    impl Serial {
        fn new(dialect: Q1Dialect) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let model = UpsModel::shared();
            let link = dir.path().join("ttyUPS");
            let server =
                PtyServer::spawn(model.clone(), Protocol::Q1(dialect), Some(&link)).unwrap();
            Self { dir, model, server }
        }

        fn dump(&self, program: &str, extra: &[&str]) -> Vec<String> {
            crate::support::driver::dump(program, self.dir.path(), self.server.path(), extra)
        }

        /// C's dump and ours, checked equal.
        fn compare(&self, what: &str, extra: &[&str]) -> Vec<String> {
            let c = self.dump(C_SER, extra);
            let ours = self.dump(OURS_SER, extra);
            assert_eq!(c, ours, "{what}: C (left) and ours (right) differ");
            ours
        }
    }

    #[test]
    fn blazer_ser_matches_c_through_a_power_failure() {
        if !crate::support::have(&[C_SER]) {
            return;
        }
        let ups = Serial::new(Q1Dialect::Megatec);
        for (i, ((name, _), status)) in POWER_FAILURE.iter().zip(STATUS).enumerate() {
            apply_step(&ups.model, i);
            let ours = ups.compare(name, &[]);
            let want = format!("ups.status: {status}");
            assert!(ours.contains(&want), "{name}: no {want:?} in {ours:#?}");
            if i == 0 {
                for line in [
                    "battery.voltage.low: 20.80",
                    "battery.charge: 100",
                    "ups.mfr: NUT-RS",
                    "device.model: SIM-1000",
                    "ups.delay.start: 180",
                ] {
                    assert!(ours.iter().any(|l| l == line), "no {line:?} in {ours:#?}");
                }
            }
        }
    }

    #[test]
    fn blazer_ser_protocols_and_options_match_c() {
        if !crate::support::have(&[C_SER]) {
            return;
        }
        for (dialect, extra, expect) in [
            (Q1Dialect::Mustek, &[][..], "input.voltage: 230.0"),
            (Q1Dialect::MegatecOld, &[], "ups.firmware: VER1.0"),
            (
                Q1Dialect::Zinto,
                &["protocol=zinto"],
                "ups.firmware: VER1.0",
            ),
            (
                Q1Dialect::Megatec,
                &["norating"],
                "battery.voltage.low: -0.87",
            ),
            (Q1Dialect::Megatec, &["novendor"], "battery.charge: 100"),
            (
                Q1Dialect::Megatec,
                &["ondelay=0", "offdelay=125"],
                "ups.delay.shutdown: 120",
            ),
            (
                Q1Dialect::Megatec,
                &[
                    "runtimecal=240,100,720,50",
                    "idleload=5",
                    "chargetime=1000000000",
                ],
                "battery.runtime: 2688",
            ),
        ] {
            let ups = Serial::new(dialect);
            let what = format!("{dialect:?} {extra:?}");
            let ours = ups.compare(&what, extra);
            assert!(
                ours.iter().any(|l| l == expect),
                "{what}: no {expect:?} in {ours:#?}"
            );
        }
    }

    #[test]
    fn blazer_ser_killpower_sends_what_c_sends() {
        if !crate::support::have(&[C_SER]) {
            return;
        }
        for extra in [&[][..], &["offdelay=300", "ondelay=10"], &["ondelay=0"]] {
            let mut sent = Vec::new();
            for program in [C_SER, OURS_SER] {
                let ups = Serial::new(Q1Dialect::Megatec);
                let child = crate::support::driver::command(
                    program,
                    ups.dir.path(),
                    ups.server.path(),
                    &["-k"],
                    extra,
                )
                .spawn()
                .unwrap();
                crate::support::driver::finish(program, child);
                sent.push(ups.model.lock().unwrap().received.clone());
            }
            assert_eq!(sent[0], sent[1], "{extra:?}: C (left) and ours (right)");
            assert!(sent[0].iter().any(|c| c.starts_with('S')), "{sent:?}");
        }
    }

    /// The bridges of blazer_usb.
    const BRIDGES: [&str; 4] = ["cypress", "phoenix", "ippon", "krauler"];

    /// The `-d 1` dump of `program` on the unit behind `bridge`.
    fn usb_dump(program: &str, bridge: &str, unit: &Unit) -> Vec<String> {
        crate::support::q1_usb::dump(program, bridge, unit, &[])
    }

    #[test]
    fn blazer_usb_matches_c_on_every_bridge() {
        for_each_bridge(C_USB, &BRIDGES, |bridge| {
            let unit = Unit::new(Q1Dialect::Megatec);
            for (i, ((name, _), status)) in POWER_FAILURE.iter().zip(STATUS).enumerate() {
                apply_step(&unit.model, i);
                if ![0, 3, 4].contains(&i) {
                    continue;
                }
                let c = usb_dump(C_USB, bridge, &unit);
                let ours = usb_dump(OURS_USB, bridge, &unit);
                assert_eq!(c, ours, "step {name:?}: C (left) and ours (right) differ");
                let want = format!("ups.status: {status}");
                assert!(ours.contains(&want), "{name}: no {want:?} in {ours:#?}");
                assert!(ours.iter().any(|l| l == "driver.name: blazer_usb"));
            }
        });
    }

    /// A command session of `program` on a fresh unit behind `bridge`.
    fn session(
        program: &str,
        bridge: &str,
        requests: &[Request],
    ) -> crate::support::qx_session::Session {
        crate::support::q1_usb::session(program, bridge, &[], "blazer_usb-ups", requests)
    }

    #[test]
    fn blazer_usb_sends_the_same_commands_as_c() {
        let requests = [
            cmd("no.such.command", None),
            cmd("shutdown.return", None),
            cmd("shutdown.stayoff", None),
            cmd("test.battery.start", Some("60")),
            cmd("test.battery.start", Some("100")),
            cmd("beeper.toggle", None),
            cmd("load.off", None),
            cmd("test.battery.stop", None),
        ];
        for_each_bridge(C_USB, &BRIDGES, |b| {
            let (c, ours) = std::thread::scope(|s| {
                let c = s.spawn(|| session(C_USB, b, &requests));
                let ours = session(OURS_USB, b, &requests);
                (c.join().expect("C session"), ours)
            });
            assert_eq!(c.commands, ours.commands, "published commands");
            assert_eq!(c.commands.len(), 10);
            assert_eq!(c.outcomes.len(), ours.outcomes.len());
            for (a, b) in c.outcomes.iter().zip(&ours.outcomes) {
                assert_eq!(a, b, "C (left) and ours (right) differ");
            }
            assert!(c.outcomes.iter().any(|o| !o.3.is_empty()));
        });
    }

    #[test]
    fn blazer_usb_killpower_sends_what_c_sends() {
        for_each_bridge(C_USB, &BRIDGES, |b| {
            let options = ["offdelay=120".to_owned()];
            let c = killpower(C_USB, b, &options);
            let ours = killpower(OURS_USB, b, &options);
            assert_eq!(c, ours, "C (left) and ours (right) differ");
            if b != "krauler" {
                assert!(c.1.iter().any(|x| x == "S02R0003"), "{c:?}");
            }
        });
    }
}
