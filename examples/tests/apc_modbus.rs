//! Tests of the apc_modbus driver against the simulated SMT750i (`nut_drivers::sim::
//! apc_modbus`) on a pseudo-terminal (Modbus RTU), over Modbus TCP (`nut-sim --tcp`) and over
//! USB (`usb-emu run --sim apc_modbus`: RTU in APC's HID reports).
//! C NUT 2.8.0 has no apc_modbus, so there is no C program to compare with: the values are
//! checked against the nut-ddl report of a real SMT750i, and the bytes of every instant
//! command and SET against APC's published register map (MPAO-98KJ7F): function 16, the
//! register, the count and the values, worked out here by hand.

mod support;

// These tests spend their time waiting on the driver and the simulated unit, not
// computing: CI runs every `waiting` module beside the other tests (see .ci/run).
mod waiting {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use nut_drivers::sim::pty::PtyServer;
    use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

    use crate::support::driver::{dump, Running};
    use crate::support::power_failure::{apply_step, POWER_FAILURE};

    const OURS: &str = env!("CARGO_BIN_EXE_apc_modbus");
    const NUT_SIM: &str = env!("CARGO_BIN_EXE_nut-sim");
    const REPORT: &str = "nut-ddl/APC/APC__Smart-UPS_750__apc_modbus__2.8.2__01.dev";
    const SERIAL: &[&str] = &["porttype=serial"];

    /// The recorded unit on a pseudo-terminal in a new directory.
    fn sim() -> (tempfile::TempDir, SharedModel, PtyServer) {
        let dir = tempfile::tempdir().unwrap();
        let model = UpsModel::shared();
        nut_drivers::sim::apc_modbus::smt750(&mut model.lock().unwrap());
        let link = dir.path().join("ttySIM");
        let server = PtyServer::spawn(model.clone(), Protocol::ApcModbus, Some(&link)).unwrap();
        (dir, model, server)
    }

    fn as_map(lines: &[String]) -> BTreeMap<String, String> {
        lines
            .iter()
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// The `upsc` lines of a nut-ddl report.
    fn report(text: &str) -> BTreeMap<String, String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                // `name: value`; an empty value leaves `name: ` or `name:`.
                let (k, v) = l.split_once(':')?;
                Some((
                    k.trim().to_owned(),
                    v.strip_prefix(' ').unwrap_or(v).to_owned(),
                ))
            })
            .collect()
    }

    #[test]
    fn dump_reproduces_the_nut_ddl_report() {
        let Some(path) = crate::support::recorded(REPORT) else {
            return;
        };
        let recorded = report(&std::fs::read_to_string(path).unwrap());
        let (dir, _model, server) = sim();
        let ours = as_map(&dump(OURS, dir.path(), server.path(), SERIAL));
        // Deliberate differences, with their reasons.
        let deliberate: &[(&str, Option<&str>, &str)] = &[
            (
                "device.serial",
                Some("AS1316113420"),
                "redacted in the report (ours is ups.serial)",
            ),
            (
                "ups.vendorid",
                None,
                "USB only: the report's unit was on USB",
            ),
            ("ups.productid", None, "USB only"),
            // C 2.8.2-195 put HE in ups.status; current C (0.21) reports it as a buzzword.
            (
                "ups.status",
                Some("OL"),
                "HE moved to experimental.ups.mode.buzzwords",
            ),
            // Current C prints countdowns as words: -1 is NotActive.
            (
                "ups.timer.reboot",
                Some("NotActive"),
                "C 0.21's countdown text",
            ),
            (
                "ups.timer.shutdown",
                Some("NotActive"),
                "C 0.21's countdown text",
            ),
            (
                "ups.timer.start",
                Some("NotActive"),
                "C 0.21's countdown text",
            ),
            // Current C counts the main group too (MOG and SOG0).
            (
                "outlet.group.count",
                Some("2"),
                "C 0.21 counts the main outlet group",
            ),
        ];
        let mut compared = 0;
        for (k, v) in &recorded {
            if k.starts_with("driver.") {
                continue;
            }
            if let Some((_, want, _)) = deliberate.iter().find(|d| d.0 == k) {
                assert_eq!(ours.get(k).map(String::as_str), *want, "{k}");
                continue;
            }
            // Current C leaves out the variables of outlet groups the unit lacks.
            if k.starts_with("outlet.group.2.") || k.starts_with("outlet.group.3.") {
                assert!(!ours.contains_key(k), "{k} of an absent group");
                continue;
            }
            assert_eq!(ours.get(k), Some(v), "{k}");
            compared += 1;
        }
        assert!(compared > 40, "only {compared} variables compared");
        // What current C adds besides.
        assert_eq!(ours["experimental.ups.mode.buzzwords"], "vendor:apc:HE");
        assert_eq!(ours["outlet.group.0.id"], "MOG");
        assert_eq!(ours["outlet.group.1.designator"], "Group 1");
        assert_eq!(ours["outlet.group.1.status"], "on");
        assert_eq!(ours["outlet.group.1.timer.shutdown"], "NotActive");
    }

    /// Over USB (C's default `porttype`: the RTU frames in APC's HID reports, under
    /// `usb-emu run --sim apc_modbus`, whose unit is the same SMT750i) the driver reports what
    /// it reports over the serial line, and the unit's USB ids as the nut-ddl report has them.
    #[test]
    fn usb_gives_the_serial_values_and_the_units_usb_ids() {
        let (dir, _model, server) = sim();
        let serial = as_map(&dump(OURS, dir.path(), server.path(), SERIAL));
        let state = tempfile::tempdir().unwrap();
        let usb = as_map(&crate::support::usb_sim::dump(
            "apc_modbus",
            OURS,
            state.path(),
            &[] as &[&str],
        ));
        let mut compared = 0;
        for (k, v) in &serial {
            if k.starts_with("driver.parameter.") {
                continue;
            }
            assert_eq!(
                usb.get(k),
                Some(v),
                "{k}: serial {v:?}, USB {:?}",
                usb.get(k)
            );
            compared += 1;
        }
        assert!(compared > 40, "{compared} variables");
        assert_eq!(
            usb.get("driver.parameter.port").map(String::as_str),
            Some("auto")
        );
        assert_eq!(usb.get("ups.vendorid").map(String::as_str), Some("051d"));
        assert_eq!(usb.get("ups.productid").map(String::as_str), Some("0003"));
        if let Some(path) = crate::support::recorded(REPORT) {
            let recorded = report(&std::fs::read_to_string(path).unwrap());
            for k in ["ups.vendorid", "ups.productid"] {
                assert_eq!(usb.get(k), recorded.get(k), "{k}");
            }
        }
    }

    #[test]
    fn power_failure_moves_status_and_battery() {
        let (dir, model, server) = sim();
        let mut seen = Vec::new();
        for i in 0..POWER_FAILURE.len() {
            apply_step(&model, i);
            let d = as_map(&dump(OURS, dir.path(), server.path(), SERIAL));
            seen.push(
                [
                    "ups.status",
                    "battery.charge",
                    "input.voltage",
                    "input.transfer.reason",
                    "ups.test.result",
                    "ups.timer.shutdown",
                ]
                .map(|k| d.get(k).cloned().unwrap_or_default())
                .join(" | "),
            );
        }
        assert_eq!(
            seen,
            [
                "OL | 100.00 | 240.39 | AcceptableInput | Passed, Source: Internal | NotActive",
                "OB | 85.00 | 0.00 | LowInputVoltage | Passed, Source: Internal | NotActive",
                "OB | 55.00 | 0.00 | LowInputVoltage | Passed, Source: Internal | NotActive",
                "OB LB | 19.00 | 0.00 | LowInputVoltage | Passed, Source: Internal | 60",
                "OL BOOST | 50.00 | 190.00 | AcceptableInput | Passed, Source: Internal | NotActive",
                "ALARM OL TEST RB TRIM | 80.00 | 262.00 | AutomaticTest | Failed, Source: Internal | NotActive",
                "ALARM OL RB | 100.00 | 229.50 | AcceptableInput | Failed, Source: Internal | NotActive",
            ]
        );
    }

    /// The RTU frame of a write of `words` at `addr` to unit 1 (function 16), without its
    /// CRC, as hex bytes.
    fn write_frame(addr: u16, words: &[u16]) -> String {
        let mut b = vec![1u8, 16];
        b.extend_from_slice(&addr.to_be_bytes());
        b.extend_from_slice(&(words.len() as u16).to_be_bytes());
        b.push((words.len() * 2) as u8);
        for w in words {
            b.extend_from_slice(&w.to_be_bytes());
        }
        hex(&b)
    }

    /// A read of `n` registers at `addr` (function 3), without its CRC.
    fn read_frame(addr: u16, n: u16) -> String {
        let mut b = vec![1u8, 3];
        b.extend_from_slice(&addr.to_be_bytes());
        b.extend_from_slice(&n.to_be_bytes());
        hex(&b)
    }

    fn hex(b: &[u8]) -> String {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn without_crc(frames: &[String]) -> Vec<String> {
        frames
            .iter()
            .map(|f| f.get(..f.len().saturating_sub(6)).unwrap_or("").to_owned())
            .collect()
    }

    fn start(dir: &std::path::Path, server: &PtyServer, model: &SharedModel) -> Running {
        let d = Running::start(OURS, dir, server.path(), &["-i", "300"], SERIAL);
        // The start-up is over once the settings block has been read.
        let settings = read_frame(1026, 22);
        crate::support::wait_for(
            "the first poll",
            Duration::from_secs(60),
            Duration::from_millis(50),
            || {
                model
                    .lock()
                    .unwrap()
                    .received
                    .iter()
                    .any(|f| f.starts_with(&settings))
                    .then_some(())
            },
        );
        std::thread::sleep(Duration::from_millis(300));
        model.lock().unwrap().received.clear();
        d
    }

    #[test]
    fn commands_and_sets_write_the_published_registers() {
        let (dir, model, server) = sim();
        let mut d = start(dir.path(), &server, &model);
        // Main outlet group (bit 8) and switched group 0 (bit 9).
        let both = (1 << 8) | (1 << 9);
        let (on, off, shutdown, reboot) = (1 << 1, 1 << 2, 1 << 3, 1 << 4);
        let (on_delay, off_delay) = (1 << 6, 1 << 7);
        let commands: Vec<(&str, u16, Vec<u16>)> = vec![
            ("test.battery.start", 1541, vec![1]),
            ("test.battery.stop", 1541, vec![2]),
            ("test.panel.start", 1543, vec![1]),
            ("calibrate.start", 1542, vec![1]),
            ("calibrate.stop", 1542, vec![2]),
            ("bypass.start", 1536, vec![0, 1 << 4]),
            ("bypass.stop", 1536, vec![0, 1 << 5]),
            ("beeper.mute", 1543, vec![1 << 2]),
            ("load.off", 1538, vec![0, off | both]),
            ("load.on", 1538, vec![0, on | both]),
            ("load.cycle", 1538, vec![0, reboot | both]),
            ("load.off.delay", 1538, vec![0, off | off_delay | both]),
            ("load.on.delay", 1538, vec![0, on | on_delay | both]),
            (
                "shutdown.return",
                1538,
                vec![0, shutdown | off_delay | both],
            ),
            ("shutdown.stayoff", 1538, vec![0, off | off_delay | both]),
            ("shutdown.reboot", 1538, vec![0, reboot | both]),
            (
                "shutdown.reboot.graceful",
                1538,
                vec![0, reboot | off_delay | both],
            ),
            (
                "shutdown.default",
                1538,
                vec![0, shutdown | off_delay | both],
            ),
            ("outlet.group.0.load.off", 1538, vec![0, off | both]),
            ("outlet.group.1.load.off", 1538, vec![0, off | (1 << 9)]),
            (
                "outlet.group.1.shutdown.return",
                1538,
                vec![0, shutdown | off_delay | (1 << 9)],
            ),
            ("load.on", 1538, vec![0, on | both]),
        ];
        for (cmd, addr, words) in &commands {
            let code = d.tracked(&format!("INSTCMD {cmd}"));
            assert_eq!(code, "0", "{cmd}");
            let got = without_crc(&crate::support::driver::settled(
                &model,
                Duration::from_millis(200),
            ));
            model.lock().unwrap().received.clear();
            assert_eq!(got, [write_frame(*addr, words)], "{cmd}");
        }
        {
            let m = model.lock().unwrap();
            assert_eq!(
                m.settings.get("apc_modbus.muted").map(String::as_str),
                Some("1")
            );
            assert!(m.output_on, "load.on last");
        }
        // SETs: the write, then the read-back of the same registers.
        let text = |s: &str, n: usize| -> Vec<u16> {
            let b = s.as_bytes();
            (0..n)
                .map(|i| {
                    (u16::from(b.get(2 * i).copied().unwrap_or(0)) << 8)
                        | u16::from(b.get(2 * i + 1).copied().unwrap_or(0))
                })
                .collect()
        };
        let sets: Vec<(&str, &str, u16, Vec<u16>)> = vec![
            ("ups.id", "RACK1", 596, text("RACK1", 8)),
            ("outlet.group.1.name", "Disks", 612, text("Disks", 8)),
            ("battery.date", "2024-01-02", 595, vec![8767]),
            ("input.transfer.high", "260", 1026, vec![260]),
            ("input.transfer.low", "0xc8", 1027, vec![200]),
            ("ups.delay.shutdown", "120", 1029, vec![120]),
            ("outlet.group.1.delay.reboot", "10", 1036, vec![0, 10]),
            ("ups.delay.start", "-1", 1030, vec![0xffff]),
        ];
        for (var, value, addr, words) in &sets {
            let code = d.tracked(&format!("SET {var} \"{value}\""));
            assert_eq!(code, "0", "{var}");
            let got = without_crc(&crate::support::driver::settled(
                &model,
                Duration::from_millis(300),
            ));
            model.lock().unwrap().received.clear();
            assert_eq!(
                got,
                [
                    write_frame(*addr, words),
                    read_frame(*addr, words.len() as u16)
                ],
                "{var}"
            );
        }
        let all = d.dump_all();
        for line in [
            "SETINFO ups.id \"RACK1\"",
            "SETINFO outlet.group.1.name \"Disks\"",
            "SETINFO battery.date \"2024-01-02\"",
            "SETINFO ups.delay.shutdown \"120\"",
            "SETINFO outlet.group.0.delay.shutdown \"120\"",
            "SETINFO ups.delay.start \"-1\"",
        ] {
            assert!(all.iter().any(|l| l == line), "{line} in {all:#?}");
        }
    }

    #[test]
    fn bad_requests_and_a_silent_unit() {
        let (dir, model, server) = sim();
        let mut d = start(dir.path(), &server, &model);
        for (request, code) in [
            ("INSTCMD frobnicate", "1"),
            ("INSTCMD load.frobnicate", "1"),
            ("INSTCMD outlet.group.2.load.off", "2"),
            ("INSTCMD outlet.group.7.load.off", "2"),
            ("SET no.such.var \"1\"", "1"),
            ("SET ups.load \"1\"", "2"),
            ("SET outlet.group.3.name \"x\"", "2"),
            ("SET ups.delay.shutdown \"soon\"", "4"),
            ("SET ups.delay.shutdown \"40000\"", "4"),
            ("SET battery.date \"2021-02-30\"", "4"),
            ("SET ups.id \"a name far too long for it\"", "4"),
        ] {
            assert_eq!(d.tracked(request), code, "{request}");
        }
        assert!(
            model.lock().unwrap().received.is_empty(),
            "nothing is sent for refused requests: {:?}",
            model.lock().unwrap().received
        );
        // The unit refuses a date before 2020: the driver reports the failure.
        assert_eq!(d.tracked("SET battery.date \"2010-01-01\""), "3");
        // A unit that stops answering: the data goes stale, the driver says why, and
        // reconnects (reading the inventory again) once the unit answers again.
        model
            .lock()
            .unwrap()
            .settings
            .insert("apc_modbus.silent".into(), "1".into());
        drop(d);
        let mut d = Running::start(OURS, dir.path(), server.path(), &["-i", "1"], SERIAL);
        let log = dir.path().join("driver.log");
        let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
        // Started while the unit was silent: the first inventory read fails.
        crate::support::wait_for(
            "a read failure in the log",
            Duration::from_secs(60),
            Duration::from_millis(100),
            || {
                read_log()
                    .contains("Read of 516:636 failed: Connection timed out")
                    .then_some(())
            },
        );
        drop(d);
        model.lock().unwrap().settings.remove("apc_modbus.silent");
        model.lock().unwrap().received.clear();
        d = Running::start(OURS, dir.path(), server.path(), &["-i", "1", "-D"], SERIAL);
        let settings = read_frame(1026, 22);
        crate::support::wait_for(
            "a poll",
            Duration::from_secs(60),
            Duration::from_millis(50),
            || {
                let m = model.lock().unwrap();
                m.received
                    .iter()
                    .any(|f| f.starts_with(&settings))
                    .then_some(())
            },
        );
        model
            .lock()
            .unwrap()
            .settings
            .insert("apc_modbus.silent".into(), "1".into());
        assert!(
            d.wait_for("DATASTALE", Duration::from_secs(30)),
            "no DATASTALE: {}",
            read_log()
        );
        let log_now = read_log();
        assert!(log_now.contains("Connection timed out"), "{log_now}");
        assert!(log_now.contains("Closing connection"), "{log_now}");
        model.lock().unwrap().settings.remove("apc_modbus.silent");
        assert!(
            d.wait_for("DATAOK", Duration::from_secs(30)),
            "no DATAOK after the unit came back: {}",
            read_log()
        );
        assert!(
            read_log().contains("Opened modbus successfully"),
            "{}",
            read_log()
        );
    }

    #[test]
    fn killpower_shuts_every_outlet_group_down() {
        let (dir, model, server) = sim();
        let out = crate::support::driver::command(OURS, dir.path(), server.path(), &["-k"], SERIAL)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let frames = without_crc(&crate::support::driver::settled(
            &model,
            Duration::from_millis(300),
        ));
        // The inventory (for the outlet groups), then shutdown.return on MOG and SOG0.
        assert_eq!(
            frames,
            [
                read_frame(516, 120),
                write_frame(1538, &[0, (1 << 3) | (1 << 7) | (1 << 8) | (1 << 9)])
            ]
        );
        assert_eq!(model.lock().unwrap().shutdown_in, Some(180.0));
    }

    #[test]
    fn modbus_tcp_gives_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::support::free_port();
        let link = dir.path().join("ttySIM");
        let mut sim = crate::support::Kill::spawn(
            std::process::Command::new(NUT_SIM)
                .args(["--protocol", "apc_modbus", "--tcp"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("--link")
                .arg(&link)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null()),
        );
        crate::support::wait_for(
            "the simulator",
            Duration::from_secs(30),
            Duration::from_millis(50),
            || std::net::TcpStream::connect(("127.0.0.1", port)).ok(),
        );
        let serial = as_map(&dump(OURS, dir.path(), &link, SERIAL));
        let tcp_port = std::path::PathBuf::from(format!("127.0.0.1:{port}"));
        let tcp = as_map(&dump(OURS, dir.path(), &tcp_port, &["porttype=tcp"]));
        let strip = |m: &BTreeMap<String, String>| {
            m.iter()
                .filter(|(k, _)| !k.starts_with("driver.parameter."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(strip(&serial), strip(&tcp));
        assert_eq!(tcp["ups.model"], "Smart-UPS 750");
        let _ = sim.0.stdin.take();
    }
}
