//! Differential tests of nutdrv_qx's instant commands, writable variables and killpower:
//! C NUT 2.8.0's `nutdrv_qx` and ours run in turn (in the foreground, `-F`) on a fresh
//! simulated device of each dialect; through the driver socket
//! (`<NUT_STATEPATH>/nutdrv_qx-sim`) each gets the same `INSTCMD`s and `SET`s (every
//! command the driver publishes, with and without parameters, delays in and out of range
//! followed by shutdowns). For each request the tracking result and the exact commands the
//! device received because of it must be the same. Killpower (`-k`) is compared the same
//! way, with and without `stayoff` and the delay options.
//!
//! The drivers poll the device on their own too: the status and information queries
//! (`Q1`, `F`, `I`, `ID`, …) are left out of the comparison, and a long poll interval keeps
//! them rare.
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

mod support;

// These tests spend their time waiting on C's driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use nut_drivers::sim::pty::PtyServer;
    use nut_drivers::sim::q1::Q1Dialect;
    use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

    const C_QX: &str = "/lib/nut/nutdrv_qx";
    const OURS_QX: &str = env!("CARGO_BIN_EXE_nutdrv_qx");

    use crate::support::qx_session::{cmd, drive, set, Request, Session, PATIENCE, QUERIES};

    fn have(path: &str) -> bool {
        crate::support::have(&[path])
    }

    /// A simulated device speaking `protocol` with the dialect `settings`, on a
    /// pseudo-terminal.
    fn device(
        protocol: Protocol,
        settings: &[(&str, &str)],
        dir: &Path,
    ) -> (SharedModel, PtyServer) {
        let model = UpsModel::shared();
        {
            let mut m = model.lock().unwrap();
            for (k, v) in settings {
                m.settings.insert((*k).into(), (*v).into());
            }
        }
        let link = dir.join("ttyUPS");
        let server = PtyServer::spawn(model.clone(), protocol, Some(&link)).unwrap();
        (model, server)
    }

    /// A driver on `port` whose output goes nowhere (it runs for the whole test).
    fn driver_command(program: &str, dir: &Path, port: &Path, extra: &[&str]) -> Command {
        let mut cmd = crate::support::driver::command(program, dir, port, &[], extra);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        cmd
    }

    // A driver that is killed when the test ends, whatever happens.
    use crate::support::Kill as Running;

    /// Starts `program` on a fresh device, sends it `requests` (plus one per published
    /// command when `every_command`), and records what happened.
    fn session(
        program: &str,
        protocol: Protocol,
        settings: &[(&str, &str)],
        extra: &[&str],
        requests: &[Request],
        every_command: bool,
    ) -> Session {
        let dir = tempfile::tempdir().unwrap();
        let (model, server) = device(protocol, settings, dir.path());
        let mut run = driver_command(program, dir.path(), server.path(), extra);
        run.args(["-F", "-i", "3600"]);
        let sock = dir.path().join("nutdrv_qx-sim");
        let session = drive(
            program,
            run,
            &sock,
            &model,
            requests,
            every_command,
            &mut Vec::new,
        );
        drop(server);
        session
    }

    /// Runs the same session with C and ours and compares them.
    fn compare(
        dialect: Q1Dialect,
        settings: &[(&str, &str)],
        extra: &[&str],
        requests: &[Request],
    ) {
        if !have(C_QX) {
            return;
        }
        // The two sessions are independent (a device each): run them side by side.
        let run = |program| {
            session(
                program,
                Protocol::Q1(dialect),
                settings,
                extra,
                requests,
                true,
            )
        };
        let (c, ours) = std::thread::scope(|s| {
            let c = s.spawn(|| run(C_QX));
            let ours = run(OURS_QX);
            (c.join().expect("C session"), ours)
        });
        assert_eq!(c.commands, ours.commands, "{dialect:?}: published commands");
        assert_eq!(c.writable, ours.writable, "{dialect:?}: writable variables");
        assert!(c
            .writable
            .iter()
            .any(|l| l.starts_with("ADDRANGE ups.delay.")));
        assert!(!c.commands.is_empty());
        for (a, b) in c.outcomes.iter().zip(&ours.outcomes) {
            assert_eq!(a, b, "{dialect:?}: C (left) and ours (right) differ");
        }
        assert_eq!(c.outcomes.len(), ours.outcomes.len());
        // The comparison really saw the device act.
        assert!(c.outcomes.iter().any(|(_, _, sent, _)| !sent.is_empty()));
    }

    /// Delays in and out of range, each followed by the shutdowns that use them.
    fn delay_requests(extra: &[Request]) -> Vec<Request> {
        let mut r = vec![
            cmd("beeper.off", None),
            cmd("beeper.on", None),
            cmd("no.such.command", None),
            set("no.such.var", "1"),
            set("ups.delay.start", "240"),
            set("ups.delay.shutdown", "59"),
            cmd("shutdown.return", None),
            cmd("shutdown.stayoff", None),
            set("ups.delay.start", "0"),
            set("ups.delay.shutdown", "125"),
            cmd("shutdown.return", None),
            set("ups.delay.start", "30"),
            set("ups.delay.start", "599999"),
            set("ups.delay.shutdown", "5"),
            set("ups.delay.shutdown", "540"),
            set("ups.delay.shutdown", "900"),
            set("ups.delay.shutdown", "abc"),
            set("ups.delay.shutdown", ""),
            cmd("shutdown.return", None),
            cmd("shutdown.stayoff", None),
            cmd("test.battery.start", Some("10")),
            cmd("test.battery.start", Some("60")),
            cmd("test.battery.start", Some("5940")),
            cmd("test.battery.start", Some("6000")),
            cmd("test.battery.start", Some("x")),
            cmd("shutdown.stop", None),
        ];
        r.extend(extra.iter().cloned());
        r
    }

    #[test]
    fn megatec_commands_match_c() {
        compare(Q1Dialect::Megatec, &[], &[], &delay_requests(&[]));
    }

    #[test]
    fn q1_commands_match_c_with_delay_options() {
        compare(
            Q1Dialect::Q1,
            &[],
            &["ondelay=0", "offdelay=12"],
            &delay_requests(&[]),
        );
    }

    #[test]
    fn bestups_commands_match_c() {
        compare(
            Q1Dialect::Bestups,
            &[("bestups.model", "AX1")],
            &[],
            &delay_requests(&[
                set("battery.packs", "3"),
                set("battery.packs", "1"),
                set("battery.packs", "6"),
                set("battery.packs", "2.5"),
                set("pins_shutdown_mode", "2"),
            ]),
        );
    }

    #[test]
    fn mecer_commands_match_c() {
        compare(Q1Dialect::Mecer, &[], &[], &delay_requests(&[]));
    }

    #[test]
    fn mecer_p98_commands_match_c() {
        compare(
            Q1Dialect::Mecer,
            &[("mecer.p98", "")],
            &[],
            &delay_requests(&[
                cmd("test.battery.start", Some("12")),
                cmd("test.battery.start", Some("59")),
                cmd("test.battery.start", Some("11")),
            ]),
        );
    }

    #[test]
    fn voltronic_qs_commands_match_c() {
        compare(Q1Dialect::VoltronicQs, &[], &[], &delay_requests(&[]));
    }

    /// Runs `program -k` on a fresh device: whether it succeeded, and the device commands
    /// after the last query (the end of the detection).
    fn killpower(
        program: &str,
        dialect: Q1Dialect,
        settings: &[(&str, &str)],
        extra: &[&str],
    ) -> (bool, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let (model, server) = device(Protocol::Q1(dialect), settings, dir.path());
        let mut cmd = driver_command(program, dir.path(), server.path(), extra);
        cmd.arg("-k");
        let mut child = Running(cmd.spawn().expect("start driver"));
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(s) = child.0.try_wait().expect("wait") {
                break s;
            }
            assert!(Instant::now() < deadline, "{program} -k did not finish");
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(server);
        let m = model.lock().unwrap();
        let last_query = m
            .received
            .iter()
            .rposition(|c| QUERIES.contains(&c.as_str()))
            .map_or(0, |i| i + 1);
        (status.success(), m.received[last_query..].to_vec())
    }

    fn compare_killpower(dialect: Q1Dialect, settings: &[(&str, &str)], base: &[&str]) {
        if !have(C_QX) {
            return;
        }
        for extra in [
            &[][..],
            &["stayoff"],
            &["ondelay=240", "offdelay=120"],
            &["stayoff", "offdelay=18"],
            &["ondelay=0", "offdelay=59"],
            &["offdelay=5"],
            &["ondelay=30"],
        ] {
            let extra: Vec<&str> = base.iter().chain(extra).copied().collect();
            let (c, ours) = std::thread::scope(|s| {
                let c = s.spawn(|| killpower(C_QX, dialect, settings, &extra));
                let ours = killpower(OURS_QX, dialect, settings, &extra);
                (c.join().expect("C run"), ours)
            });
            assert_eq!(
                c, ours,
                "{dialect:?} -k {extra:?}: C (left) and ours (right)"
            );
        }
    }

    #[test]
    fn megatec_killpower_matches_c() {
        compare_killpower(Q1Dialect::Megatec, &[], &[]);
    }

    #[test]
    fn bestups_killpower_matches_c() {
        compare_killpower(Q1Dialect::Bestups, &[], &[]);
    }

    #[test]
    fn mecer_killpower_matches_c() {
        compare_killpower(Q1Dialect::Mecer, &[], &[]);
    }

    #[test]
    fn voltronic_qs_killpower_matches_c() {
        compare_killpower(Q1Dialect::VoltronicQs, &[], &[]);
    }

    #[test]
    fn hunnox_commands_match_c() {
        compare(
            Q1Dialect::Zinto,
            &[],
            &["protocol=hunnox"],
            &delay_requests(&[]),
        );
    }

    #[test]
    fn hunnox_killpower_matches_c() {
        compare_killpower(Q1Dialect::Zinto, &[], &["protocol=hunnox"]);
    }

    #[test]
    fn voltronic_qs_hex_commands_match_c() {
        compare(
            Q1Dialect::VoltronicQsHex,
            &[("qshex.protocol", "T")],
            &[],
            &delay_requests(&[]),
        );
    }

    #[test]
    fn voltronic_qs_hex_killpower_matches_c() {
        compare_killpower(Q1Dialect::VoltronicQsHex, &[], &[]);
    }

    #[test]
    fn ablerex_commands_match_c() {
        compare(
            Q1Dialect::Ablerex,
            &[],
            &["protocol=ablerex"],
            &delay_requests(&[]),
        );
    }

    #[test]
    fn ablerex_killpower_matches_c() {
        compare_killpower(Q1Dialect::Ablerex, &[], &["protocol=ablerex"]);
    }

    /// The writable variables of a Voltronic unit (the other side of the merge of the
    /// Voltronic dialect and the ranges' NUMBER flag): flags, ranges and enumerations as C
    /// declares them, on the default unit and on one with other capabilities.
    #[test]
    fn voltronic_writable_variables_match_c() {
        if !have(C_QX) {
            return;
        }
        for settings in [
            &[][..],
            &[("flags.enabled", "jbreo"), ("flags.disabled", "pascgfl")],
        ] {
            let c = session(C_QX, Protocol::Voltronic, settings, &[], &[], false);
            let ours = session(OURS_QX, Protocol::Voltronic, settings, &[], &[], false);
            assert_eq!(
                c.writable, ours.writable,
                "{settings:?}: writable variables"
            );
            assert!(c
                .writable
                .iter()
                .any(|l| l.starts_with("SETFLAGS ") && l.contains("NUMBER")));
            assert!(c.writable.iter().any(|l| l.starts_with("ADDENUM ")));
            assert_eq!(
                c.commands, ours.commands,
                "{settings:?}: published commands"
            );
        }
    }
}
