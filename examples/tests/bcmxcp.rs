//! Differential tests of the BCM/XCP driver: C NUT 2.8.0's `bcmxcp` (`/lib/nut/bcmxcp`) and
//! ours are pointed at the same kind of simulated unit (a pseudo-terminal served by
//! `nut_drivers::sim`, speaking BCM/XCP frames, modelled on a Powerware 5125, and on a
//! Powerware 9130 and a three-phase 9355 for the paths only such units take).
//!
//! - Through a power-failure script, both must dump (`-d 1`) the same variables with the
//!   same values.
//! - Running side by side, each on its own simulator, both are given the same instant
//!   commands and settings through their sockets (as upsd sends them, with `TRACKING`);
//!   the frames each unit received for each request (the simulator logs every frame) and
//!   the request's result must be the same, and so must the state published at start.
//! - `-k` sends the same frames (but for the shutdown delay, a deviation).
//!
//! `-x baud_rate=9600` spares C's search of the line speed. Without the C driver the tests
//! print a note and pass, unless `NUT_RS_INTEROP=1`.

mod support;

// These tests spend their time waiting on C's driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use crate::support::driver::Running;
    use nut_drivers::sim::pty::PtyServer;
    use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

    const C_XCP: &str = "/lib/nut/bcmxcp";
    const OURS_XCP: &str = env!("CARGO_BIN_EXE_bcmxcp");

    const BAUD: &str = "baud_rate=9600";

    fn dump(program: &str, dir: &Path, port: &Path) -> Vec<String> {
        crate::support::driver::dump(program, dir, port, &[BAUD])
    }

    #[test]
    fn power_failure_matches_c() {
        power_failure("pw5125");
    }

    #[test]
    fn power_failure_matches_c_on_an_online_unit() {
        power_failure("pw9130");
    }

    #[test]
    fn power_failure_matches_c_on_a_three_phase_unit() {
        power_failure("pw9355");
    }

    fn new_model(unit: &str) -> SharedModel {
        let model = UpsModel::shared();
        model
            .lock()
            .unwrap()
            .settings
            .insert("bcmxcp.unit".into(), unit.into());
        model
    }

    fn power_failure(unit: &str) {
        if !crate::support::have(&[C_XCP]) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let model = new_model(unit);
        let link = dir.path().join("ttyXCP");
        let server = PtyServer::spawn(model.clone(), Protocol::Bcmxcp, Some(&link)).unwrap();
        let steps: [(&str, &[&str], &str); 7] = [
            ("on line", &[], "OL"),
            ("mains lost", &["mains-lost", "wait=30"], "ALARM OB"),
            ("low battery", &["load=40", "low-battery"], "ALARM OB LB"),
            (
                "brown-out",
                &["mains-restored", "line=190", "charge=50"],
                "ALARM OL BOOST",
            ),
            (
                "surge, bad battery",
                &["line=262", "charge=80", "fail"],
                "ALARM OL TRIM RB",
            ),
            ("overload", &["line=229.5", "load=120"], "ALARM OL OVER RB"),
            ("output off", &["load=10"], "ALARM OFF RB"),
        ];
        // The other units go through the first steps only (each of C's runs on the 9130
        // takes two seconds more, for its system tests).
        let count = match unit {
            "pw9130" => 4,
            "pw9355" => 3,
            _ => steps.len(),
        };
        for (name, events, status) in steps.into_iter().take(count) {
            {
                let mut m = model.lock().unwrap();
                for e in events {
                    m.apply(e).unwrap();
                }
                if name == "output off" {
                    m.output_on = false;
                }
            }
            let c = dump(C_XCP, dir.path(), server.path());
            let ours = dump(OURS_XCP, dir.path(), server.path());
            eprintln!("{unit}, step {name:?}: {} variables", ours.len());
            assert_eq!(
                c, ours,
                "{unit}, step {name:?}: C (left) and ours (right) differ"
            );
            let want = format!("ups.status: {status}");
            assert!(ours.contains(&want), "{unit}, step {name:?}: {ours:?}");
        }
        drop(server);
    }

    /// A simulated unit in a directory of its own.
    struct Sim {
        dir: tempfile::TempDir,
        model: SharedModel,
        server: PtyServer,
    }

    impl Sim {
        fn new(unit: &str) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let model = new_model(unit);
            let link = dir.path().join("ttyXCP");
            let server = PtyServer::spawn(model.clone(), Protocol::Bcmxcp, Some(&link)).unwrap();
            Self { dir, model, server }
        }

        /// Every frame the unit received so far, as the simulator logs them.
        fn received(&self) -> Vec<String> {
            self.model.lock().unwrap().received.clone()
        }

        /// [`Sim::received`] once nothing came for half a second.
        fn settled(&self) -> Vec<String> {
            let mut last = self.received();
            loop {
                std::thread::sleep(Duration::from_millis(500));
                let now = self.received();
                if now == last {
                    return now;
                }
                last = now;
            }
        }
    }

    /// Starts `program` with a long poll interval, so that what the unit receives after
    /// start-up comes from the requests alone, and connects to its socket.
    fn start(program: &str, sim: &Sim, options: &[&str]) -> Running {
        let mut extra = vec![BAUD];
        extra.extend_from_slice(options);
        Running::start(
            program,
            sim.dir.path(),
            sim.server.path(),
            &["-i", "300"],
            &extra,
        )
    }

    /// What one request did: the request, the driver's result code, the frames the unit got.
    type Step = (String, String, Vec<String>);

    #[test]
    fn commands_and_settings_match_c() {
        commands_and_settings(
            "pw5125",
            &[
                "INSTCMD beeper.disable",
                "INSTCMD beeper.mute",
                "INSTCMD beeper.enable",
                "INSTCMD test.battery.start",
                "INSTCMD outlet.2.load.off",
                "INSTCMD outlet.2.load.on",
                "SET outlet.1.delay.shutdown \"30\"",
                "INSTCMD outlet.1.shutdown.return",
                "SET outlet.2.delay.start \"9\"",
                "SET battery.packs \"2\"",
                "SET battery.packs \"9\"",
                "SET output.voltage.nominal \"220\"",
                "SET battery.energysave.delay \"5\"",
                "INSTCMD shutdown.stayoff",
                "INSTCMD load.on",
                "INSTCMD shutdown.return",
            ],
            13,
        );
    }

    #[test]
    fn commands_and_settings_match_c_on_an_online_unit() {
        commands_and_settings(
            "pw9130",
            &[
                "INSTCMD test.system.start",
                "INSTCMD test.panel.start",
                "INSTCMD bypass.start",
                "INSTCMD load.on",
                "SET input.transfer.boost.high \"200\"",
                "SET input.transfer.trim.low \"100\"",
                "SET input.transfer.trim.low \"250\"",
                "SET battery.runtime.low \"5\"",
                "SET input.transfer.delay \"0\"",
                "SET input.transfer.delay \"10\"",
                "SET battery.charge.restart \"50\"",
                "SET ambient.temperature.high \"45\"",
                "INSTCMD beeper.enable",
            ],
            10,
        );
    }

    /// Starts C's driver and ours side by side on units of the kind `unit` and gives both
    /// `requests`; at least `carried_out` of them must succeed.
    fn commands_and_settings(unit: &str, requests: &[&str], carried_out: usize) {
        if !crate::support::have(&[C_XCP]) {
            return;
        }
        let run = |program: &'static str| {
            let sim = Sim::new(unit);
            let mut d = start(program, &sim, &["shutdown_delay=30"]);
            let first = d.dump_all();
            sim.settled();
            let steps: Vec<Step> = requests
                .iter()
                .map(|r| {
                    let before = sim.received().len();
                    let code = d.tracked(r);
                    (r.to_string(), code, sim.settled()[before..].to_vec())
                })
                .collect();
            (first, steps)
        };
        let (c, ours) = std::thread::scope(|s| {
            let c = s.spawn(|| run(C_XCP));
            let ours = s.spawn(|| run(OURS_XCP));
            (c.join().unwrap(), ours.join().unwrap())
        });
        let only_c: Vec<&String> = c.0.iter().filter(|l| !ours.0.contains(l)).collect();
        let only_ours: Vec<&String> = ours.0.iter().filter(|l| !c.0.contains(l)).collect();
        assert!(
            only_c.is_empty() && only_ours.is_empty(),
            "{unit}, state after start: only in C {only_c:?}, only in ours {only_ours:?}"
        );
        for (a, b) in c.1.iter().zip(&ours.1) {
            assert_eq!(a, b, "{unit}: C (left) and ours (right) differ");
        }
        assert_eq!(c.1.len(), ours.1.len());
        // The requests did something: most were carried out, each after the authorization.
        assert!(
            ours.1.iter().filter(|s| s.1 == "0").count() >= carried_out,
            "{:?}",
            ours.1
        );
        assert!(ours
            .1
            .iter()
            .all(|s| s.2.first().map(String::as_str) == Some("ab 04 cf 69 e8 d5 5c")));
    }

    /// Runs `program -k` on a fresh simulator; returns its exit status and the frames the unit
    /// received.
    fn killpower(program: &str, options: &[&str]) -> (Option<i32>, Vec<String>) {
        let sim = Sim::new("pw5125");
        let mut cmd = Command::new(program);
        cmd.env("NUT_STATEPATH", sim.dir.path())
            .env("NUT_CONFPATH", sim.dir.path())
            .env("NUT_ALTPIDPATH", sim.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .args(["-k", "-u", "root", "-s", "sim", "-x"])
            .arg(format!("port={}", sim.server.path().display()))
            .args(["-x", BAUD]);
        for o in options {
            cmd.args(["-x", o]);
        }
        let mut child = cmd.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(100);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{program} -k did not finish");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status.code(), sim.settled())
    }

    #[test]
    fn killpower_matches_c() {
        if !crate::support::have(&[C_XCP]) {
            return;
        }
        let (c, ours) = std::thread::scope(|s| {
            let c = s.spawn(|| killpower(C_XCP, &[]));
            let ours = s.spawn(|| killpower(OURS_XCP, &[]));
            (c.join().unwrap(), ours.join().unwrap())
        });
        assert_eq!(c.0, Some(0));
        assert_eq!(ours.0, Some(0));
        // C reads shutdown_delay (default 120 s) only when it sets the unit up, which `-k`
        // skips: it asks for a shutdown after 0 s. Ours uses the delay (README).
        let load_off = |delay: &str| format!("ab 03 8a {delay}");
        let c_frames: Vec<String> =
            c.1.iter()
                .map(|f| f.replace(&load_off("00 00 c8"), &load_off("78 00 50")))
                .collect();
        assert!(c.1.contains(&load_off("00 00 c8")), "{:?}", c.1);
        assert_eq!(c_frames, ours.1, "C (left, delay mended) and ours (right)");
        let (_, with_delay) = killpower(OURS_XCP, &["shutdown_delay=30"]);
        assert_eq!(with_delay.last(), Some(&load_off("1e 00 aa")));
    }
}
