//! Differential tests of what the APC Smart driver sends to the device: C NUT 2.8.0's
//! `apcsmart` and ours run side by side, each in the background on its own simulated
//! device (a pseudo-terminal served by `nut_drivers::sim`), and are given the same
//! instant commands and settings through their sockets (`INSTCMD …` / `SET …` with
//! `TRACKING`, as upsd sends them). The bytes each device received for each request and
//! the request's result must be the same; so must the state the drivers publish, the
//! bytes of a `-k` shutdown for each `sdtype` / `advorder`, and the reaction to an alert
//! the device sends between two polls.
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

mod support;

// These tests spend their time waiting on C's driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use std::io::{BufRead, BufReader, Write};
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use crate::support::driver::Running;

    use nut_drivers::sim::pty::PtyServer;
    use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

    const C_APC: &str = "/lib/nut/apcsmart";
    const OURS_APC: &str = env!("CARGO_BIN_EXE_apcsmart");

    fn have(path: &str) -> bool {
        crate::support::have(&[path])
    }

    /// A simulated APC Smart device in a directory of its own.
    struct Sim {
        dir: tempfile::TempDir,
        model: SharedModel,
        server: PtyServer,
    }

    impl Sim {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let model = UpsModel::shared();
            let link = dir.path().join("ttyAPC");
            let server = PtyServer::spawn(model.clone(), Protocol::Apc, Some(&link)).unwrap();
            Self { dir, model, server }
        }

        fn port(&self) -> String {
            format!("port={}", self.server.path().display())
        }

        /// Every byte the device received so far, as the simulator logs them.
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

        fn apply(&self, event: &str) {
            self.model.lock().unwrap().apply(event).unwrap();
        }

        fn command(&self, program: &str) -> Command {
            let mut c = Command::new(program);
            c.env("NUT_STATEPATH", self.dir.path())
                .env("NUT_CONFPATH", self.dir.path())
                .env("NUT_ALTPIDPATH", self.dir.path())
                .stdin(Stdio::null());
            c
        }
    }

    /// Starts `program` on `sim` with a long poll interval, so that what the device
    /// receives comes from the requests (and alerts) alone, and connects to its socket.
    fn start(program: &str, sim: &Sim, options: &[&str]) -> Running {
        Running::start(
            program,
            sim.dir.path(),
            sim.server.path(),
            &["-i", "300"],
            options,
        )
    }

    /// What one request did: the request, the driver's result code, the bytes the device got.
    type Step = (String, String, Vec<String>);

    /// Runs `script` against C's driver and ours at the same time, each on its own simulator.
    fn both<T: Send>(script: impl Fn(&'static str, &Sim) -> T + Sync) -> (T, T) {
        std::thread::scope(|s| {
            let c = s.spawn(|| script(C_APC, &Sim::new()));
            let ours = s.spawn(|| script(OURS_APC, &Sim::new()));
            (c.join().unwrap(), ours.join().unwrap())
        })
    }

    /// Sends `request` and returns what it did.
    fn step(d: &mut Running, sim: &Sim, request: &str) -> Step {
        let before = sim.received().len();
        let code = d.tracked(request);
        // The last byte may still be on its way to the device when the answer comes.
        (request.to_owned(), code, sim.settled()[before..].to_vec())
    }

    /// What the device received while a driver started: the same, except that C's main loop
    /// polls a second time right after its first update (before waiting for the poll
    /// interval) where our runtime waits: C's extra poll is the status and the polled values.
    fn startup_bytes(c: &[String], ours: &[String]) {
        assert!(c.starts_with(ours), "start-up: C {c:?}\nours {ours:?}");
        let extra: Vec<&str> = c[ours.len()..].iter().map(String::as_str).collect();
        assert_eq!(
            extra,
            ["Q", "C", "P", "L", "F", "O", "f", "B", "j"],
            "C's second poll"
        );
    }

    /// Two dumps hold the same lines in the same order; the message names the differing ones.
    fn same_lines(what: &str, c: &[String], ours: &[String]) {
        let only_c: Vec<&String> = c.iter().filter(|l| !ours.contains(l)).collect();
        let only_ours: Vec<&String> = ours.iter().filter(|l| !c.contains(l)).collect();
        assert!(
            only_c.is_empty() && only_ours.is_empty(),
            "{what}: only in C {only_c:?}, only in ours {only_ours:?}"
        );
        assert_eq!(c, ours, "{what}: order");
    }

    fn compare(what: &str, c: &[Step], ours: &[Step]) {
        for (a, b) in c.iter().zip(ours) {
            assert_eq!(a, b, "{what}: C (left) and ours (right) differ");
        }
        assert_eq!(c.len(), ours.len(), "{what}");
    }

    #[test]
    fn instant_commands_match_c() {
        if !have(C_APC) {
            return;
        }
        let requests = [
            "INSTCMD test.panel.start",
            "INSTCMD test.failure.start",
            "INSTCMD test.battery.start",
            "INSTCMD test.battery.stop",
            "INSTCMD calibrate.start",
            "INSTCMD calibrate.start",
            "INSTCMD calibrate.stop",
            "INSTCMD calibrate.stop",
            "INSTCMD load.on",
            "INSTCMD bypass.start",
            "INSTCMD bypass.stop",
            "INSTCMD beeper.enable",
            "INSTCMD beeper.toggle",
            "INSTCMD test.panel.start extra",
            "INSTCMD shutdown.return bogus",
            "INSTCMD no.such.command",
        ];
        let (c, ours) = both(|program, sim| {
            let mut d = start(program, sim, &[]);
            let first = d.dump_all();
            let start = sim.settled();
            let steps: Vec<Step> = requests.iter().map(|r| step(&mut d, sim, r)).collect();
            let last = d.dump_all();
            (first, steps, last, sim.received(), start)
        });
        startup_bytes(&c.4, &ours.4);
        same_lines("state after start", &c.0, &ours.0);
        for cmd in ["test.panel.start", "calibrate.start", "load.on"] {
            assert!(ours.0.contains(&format!("ADDCMD {cmd}")), "{cmd}");
        }
        compare("instant commands", &c.1, &ours.1);
        // The commands did something (not all were refused).
        assert!(
            ours.1.iter().filter(|s| s.1 == "0").count() >= 8,
            "{:?}",
            ours.1
        );
        same_lines("state after the commands", &c.2, &ours.2);
        assert_eq!(
            c.3[c.4.len()..],
            ours.3[ours.4.len()..],
            "every byte the device received after start-up"
        );
    }

    #[test]
    fn settings_match_c() {
        if !have(C_APC) {
            return;
        }
        let (c, ours) = both(|program, sim| {
            let mut d = start(program, sim, &[]);
            let first = d.dump_all();
            let start = sim.settled();
            // Every enumerated setting: two values on, the value it has, one it cannot have.
            let mut enums: Vec<(String, Vec<String>)> = Vec::new();
            for l in &first {
                let Some(rest) = l.strip_prefix("ADDENUM ") else {
                    continue;
                };
                let (var, val) = rest.split_once(' ').unwrap();
                let val = val.trim_matches('"').to_owned();
                match enums.last_mut() {
                    Some((v, vals)) if v == var => vals.push(val),
                    _ => enums.push((var.to_owned(), vec![val])),
                }
            }
            let mut requests = Vec::new();
            for (var, vals) in &enums {
                requests.push(format!("SET {var} \"{}\"", vals[2 % vals.len()]));
                requests.push(format!("SET {var} \"{}\"", vals[2 % vals.len()]));
                requests.push(format!("SET {var} \"{}\"", vals[1 % vals.len()]));
                requests.push(format!("SET {var} \"nonsense\""));
            }
            requests.extend(
                [
                    "SET ups.id \"RACK7\"",
                    "SET ups.id \"RACK7\"",
                    "SET ups.id \"WAYTOOLONG\"",
                    "SET ups.id \"\"",
                    "SET ups.load \"10\"",
                    "SET no.such.var \"1\"",
                ]
                .map(str::to_owned),
            );
            let steps: Vec<Step> = requests.iter().map(|r| step(&mut d, sim, r)).collect();
            let last = d.dump_all();
            (enums, steps, last, sim.received(), start)
        });
        assert!(ours.0.len() >= 9, "enumerated settings: {:?}", ours.0);
        assert_eq!(c.0, ours.0, "enumerated settings");
        startup_bytes(&c.4, &ours.4);
        compare("settings", &c.1, &ours.1);
        // Some settings were made (with `-`), some refused.
        assert!(ours
            .1
            .iter()
            .any(|s| s.1 == "0" && s.2.contains(&"-".to_owned())));
        assert!(ours.1.iter().any(|s| s.1 != "0"));
        same_lines("state after the settings", &c.2, &ours.2);
        assert!(
            ours.2.contains(&"SETINFO ups.id \"RACK7\"".to_owned()),
            "{:?}",
            ours.2
        );
        assert_eq!(
            c.3[c.4.len()..],
            ours.3[ours.4.len()..],
            "every byte the device received after start-up"
        );
    }

    /// A "nasty" command runs only when asked twice 3 to 15 s apart (one clock for all of
    /// them): the first request does nothing, the second, 4 s later, runs. Then the clock is
    /// left to run out, so that the next command starts afresh.
    fn nasty(d: &mut Running, sim: &Sim, request: &str) -> (Step, Step) {
        let first = step(d, sim, request);
        std::thread::sleep(Duration::from_secs(4));
        let asked = Instant::now();
        let second = step(d, sim, request);
        std::thread::sleep(Duration::from_secs(17).saturating_sub(asked.elapsed()));
        (first, second)
    }

    /// Compares the first and second requests of each nasty command, C's and ours, and
    /// returns what the device got from our driver for each second request.
    fn same_nasty_steps(c: &[(Step, Step)], ours: &[(Step, Step)]) -> Vec<String> {
        for ((c1, c2), (o1, o2)) in c.iter().zip(ours) {
            // Asked once: handled, and nothing sent.
            assert_eq!((c1.1.as_str(), c1.2.len()), ("0", 0), "C {c1:?}");
            assert_eq!(c1, o1, "first request: C (left) and ours (right)");
            assert_eq!(c2, o2, "second request: C (left) and ours (right)");
        }
        assert_eq!(c.len(), ours.len());
        ours.iter().map(|s| s.1 .2.join(" ")).collect()
    }

    /// The nasty commands on line. (On battery in the next test: each takes about 20 s of
    /// waiting, so the two halves run side by side.)
    #[test]
    fn nasty_commands_on_line_match_c() {
        if !have(C_APC) {
            return;
        }
        let (c, ours) = both(|program, sim| {
            // C notices an alert between polls only with the terminal in raw mode.
            let mut d = start(program, sim, &["ttymode=raw"]);
            d.dump_all();
            [
                "INSTCMD shutdown.return",
                "INSTCMD shutdown.return at:5",
                "INSTCMD shutdown.return cs",
                "INSTCMD shutdown.stayoff",
            ]
            .map(|r| nasty(&mut d, sim, r))
        });
        assert_eq!(
            same_nasty_steps(&c, &ours),
            ["S", "@ 0 0 5", "U S", "K K"],
            "what the device got"
        );
    }

    #[test]
    fn nasty_commands_on_battery_match_c() {
        if !have(C_APC) {
            return;
        }
        let (c, ours) = both(|program, sim| {
            let mut d = start(program, sim, &["ttymode=raw"]);
            d.dump_all();
            let start = sim.received().len();
            sim.apply("mains-lost");
            assert!(
                d.wait_for("SETINFO ups.status \"OB\"", Duration::from_secs(60)),
                "{program}: no OB"
            );
            let woken = sim.settled()[start..].to_vec();
            let steps =
                ["INSTCMD shutdown.return", "INSTCMD load.off"].map(|r| nasty(&mut d, sim, r));
            (steps, woken, sim.model.lock().unwrap().output_on)
        });
        assert_eq!(
            same_nasty_steps(&c.0, &ours.0),
            ["S", "Z Z"],
            "what the device got"
        );
        assert_eq!(c.1, ours.1, "the update an alert woke up");
        assert!(!ours.2 && !c.2, "load.off turned the output off");
    }

    /// Runs `program -k` with `options` on a fresh simulator after `events`; returns its exit
    /// status and every byte the device received.
    fn killpower(program: &str, events: &[&str], options: &[&str]) -> (Option<i32>, Vec<String>) {
        let sim = Sim::new();
        for e in events {
            sim.apply(e);
        }
        let mut cmd = sim.command(program);
        cmd.args(["-k", "-u", "root", "-s", "sim", "-x"])
            .arg(sim.port());
        for o in options {
            cmd.args(["-x", o]);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{program} -k {options:?} did not finish");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status.code(), sim.settled())
    }

    #[test]
    fn killpower_matches_c_on_battery() {
        if !have(C_APC) {
            return;
        }
        let variants: &[&[&str]] = &[
            &[],
            &["sdtype=0"],
            &["sdtype=1"],
            &["sdtype=2"],
            &["sdtype=3"],
            &["sdtype=4"],
            &["sdtype=4", "cshdelay=0.5"],
            &["sdtype=5"],
            &["sdtype=5", "awd=7"],
            &["sdtype=5", "awd=12"],
            &["advorder=0"],
            &["advorder=1", "awd=3"],
            &["advorder=2"],
            &["advorder=3"],
            &["advorder=4"],
            &["advorder=01"],
            &["advorder=no", "sdtype=3"],
        ];
        for opts in variants {
            for events in [&["mains-lost"][..], &["mains-lost", "low-battery"]] {
                let (c, ours) = both(|program, _| killpower(program, events, opts));
                eprintln!("{opts:?} {events:?}: {}", ours.1.join(" "));
                assert_eq!(
                    c.1, ours.1,
                    "-k {opts:?} after {events:?}: C (left), ours (right)"
                );
                // C's apcsmart exits 0 whatever happened; ours fails when the device refused
                // (`@` with two digits is taken for `@` with three by this device).
                assert_eq!(c.0, Some(0));
                let refused = opts.contains(&"awd=12");
                assert_eq!(ours.0, Some(i32::from(refused)), "-k {opts:?}");
            }
        }
    }

    /// C reads the status before a `-k` shutdown but takes any two-digit answer for a failed
    /// read and assumes "on battery"; ours uses the answer (see the README). On battery both
    /// do the same (above); on line C sends `S`, which the device refuses, and ours the hard
    /// hibernation that C means to send there.
    #[test]
    fn killpower_on_line_uses_the_status_read() {
        if !have(C_APC) {
            return;
        }
        let (c, ours) = both(|program, _| killpower(program, &[], &[]));
        assert_eq!(c.1.join(" "), "Y Q S R", "C");
        assert_eq!(ours.1.join(" "), "Y Q @ 0 0 0 R", "ours");
        assert_eq!((c.0, ours.0), (Some(0), Some(0)));
    }

    #[test]
    fn alerts_between_polls_match_c() {
        if !have(C_APC) {
            return;
        }
        let (c, ours) = both(|program, sim| {
            let mut d = start(program, sim, &["ttymode=raw"]);
            d.dump_all();
            sim.settled();
            let mut woken = Vec::new();
            for (events, status) in [
                (&["mains-lost"][..], "OB"),
                (&["low-battery"], "OB LB"),
                (&["mains-restored", "charge=90"], "OL"),
                (&["load=120"], "OL OVER"),
                (&["fail"], "OL OVER RB"),
            ] {
                let before = sim.received().len();
                for e in events {
                    sim.apply(e);
                }
                // The poll interval is 300 s: only the alert can wake the driver in time.
                let line = format!("SETINFO ups.status \"{status}\"");
                assert!(
                    d.wait_for(&line, Duration::from_secs(60)),
                    "{program}: no {line}"
                );
                woken.push(sim.settled()[before..].to_vec());
            }
            woken
        });
        assert_eq!(c, ours, "what each alert made the drivers send");
        assert!(ours
            .iter()
            .all(|w| w.first().map(String::as_str) == Some("Q")));
    }

    /// In its default (canonical) terminal mode C gets an alert only with the next reply line,
    /// so between polls it goes on showing the old status; ours reacts at once whatever the
    /// `ttymode` (see the README).
    #[test]
    fn alerts_in_the_default_tty_mode() {
        if !have(C_APC) {
            return;
        }
        let (c, ours) = both(|program, sim| {
            let mut d = start(program, sim, &[]);
            d.dump_all();
            sim.settled();
            sim.apply("mains-lost");
            d.wait_for("SETINFO ups.status \"OB\"", Duration::from_secs(15))
        });
        assert!(!c, "C noticed the alert between polls");
        assert!(ours, "ours did not notice the alert");
    }

    /// `nut-sim --protocol apc` with events typed on its standard input while a driver runs:
    /// each one reaches the driver between two polls.
    #[test]
    fn nut_sim_events_reach_a_running_driver() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("ttySIM");
        let mut sim = Command::new(env!("CARGO_BIN_EXE_nut-sim"))
            .args(["--protocol", "apc", "--link"])
            .arg(&link)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The first line is the port, once it is there.
        let mut first = String::new();
        BufReader::new(sim.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert_eq!(Path::new(first.trim()), link);
        let mut events = sim.stdin.take().unwrap();
        let mut d = Running::start(OURS_APC, dir.path(), &link, &["-i", "300"], &[]);
        d.dump_all();
        for (event, status) in [
            ("mains-lost", "OB"),
            ("low-battery", "OB LB"),
            ("mains-restored", "OL LB"),
            ("charge=90", "OL"),
        ] {
            writeln!(events, "{event}").unwrap();
            let line = format!("SETINFO ups.status \"{status}\"");
            assert!(d.wait_for(&line, Duration::from_secs(60)), "no {line}");
        }
        drop(d);
        let _ = sim.kill();
        let _ = sim.wait();
    }
}
