//! Modbus RTU over USB HID (`nut_drivers::usb::modbus_hid`) against the emulated APC unit of
//! `usb-emu run --sim apc_modbus`: the test re-runs itself under the emulator, and the child
//! opens the unit with `modbus_hid::open` (our USB layer, rusb on the emulated libusb) and
//! drives it with tokio-modbus's RTU client. The unit's requests are answered by a register
//! bank the test serves on a socket (`--q1-socket`), which also sees every RTU frame.
//!
//! - Report ids: found on the recorded Smart-UPS SRT 3000 descriptor (shared test data) and
//!   on the emulated unit's own, which has the same Modbus reports.
//! - The emulator's copy of the request lengths cuts as `nut_drivers::modbus::frame` does.
//! - Function 3 reads (a reply of two reports reassembled), 16 and 6 writes (a request of
//!   two reports), exceptions as errors, a unit that does not answer timing out and
//!   answering the next request.
//! - The transfer log shows the layout: 64-byte output reports `90` on interrupt OUT `01`
//!   holding the frame without CRC and zeros, input reports `89` on interrupt IN `81`; the
//!   socket gets the frames with their CRC.
//! - Without `--q1-socket`, `usb-emu run --sim apc_modbus` answers with its own register bank.

mod support;

use nut_drivers::usb::hid::{ReportDescriptor, ReportType};
use nut_drivers::usb::modbus_hid::{self, find_report_ids, ReportIds};

fn hex_bytes(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|w| u8::from_str_radix(w, 16).unwrap())
        .collect()
}

/// The Modbus reports of a descriptor: (id, type, length) of the fields of usage FC and FD.
fn modbus_reports(desc: &ReportDescriptor) -> Vec<(u32, u8, ReportType, usize)> {
    let mut out: Vec<_> = desc
        .fields
        .iter()
        .filter_map(|f| {
            let usage = *f.path.last()?;
            [modbus_hid::USAGE_RX, modbus_hid::USAGE_TX]
                .contains(&usage)
                .then(|| {
                    (
                        usage,
                        f.report_id,
                        f.report_type,
                        desc.report_len(f.report_id, f.report_type),
                    )
                })
        })
        .collect();
    out.dedup();
    out
}

#[test]
fn report_ids_of_the_recorded_srt_and_of_the_emulated_unit() {
    let ours = ReportDescriptor::parse(&hex_bytes(nut_usb_emu::modbus_hid::REPORT_DESCRIPTOR))
        .expect("the emulated unit's descriptor parses");
    assert_eq!(
        find_report_ids(&ours),
        Some(ReportIds { rx: 0x90, tx: 0x89 })
    );
    let Some(path) = support::recorded("hid/corpus/APC_Smart-UPS-SRT-3000/report-descriptor.hex")
    else {
        return;
    };
    let srt = ReportDescriptor::parse(&hex_bytes(&std::fs::read_to_string(path).unwrap()))
        .expect("the recorded descriptor parses");
    assert_eq!(find_report_ids(&srt), Some(ReportIds::DEFAULT));
    // Our Modbus reports are the recorded unit's: same ids, types and lengths.
    let recorded = modbus_reports(&srt);
    assert!(!recorded.is_empty());
    assert_eq!(modbus_reports(&ours), recorded);
    assert!(
        recorded
            .iter()
            .any(|r| r.0 == modbus_hid::USAGE_TX && r.1 == 0x89 && r.2 == ReportType::Input),
        "{recorded:x?}"
    );
    assert!(
        recorded
            .iter()
            .any(|r| r.0 == modbus_hid::USAGE_RX && r.1 == 0x90 && r.2 == ReportType::Output),
        "{recorded:x?}"
    );
}

/// `usb-emu` keeps its own copy of the request lengths (it cannot link nut-drivers): it
/// must cut requests as `nut_drivers::modbus::frame` does.
#[test]
fn the_emulated_unit_cuts_requests_as_the_driver_does() {
    use nut_drivers::modbus::frame::{request_len, FrameLen};
    // Every function code at every length, with the byte counts at 6 and 10 set to 3 and
    // byte 2 (the MEI type of function 2b) 0e or not.
    for function in 0..=255u8 {
        for mei in [0x0e, 0] {
            let bytes = [1, function, mei, 0, 0, 0, 3, 0, 0, 0, 3];
            for len in 0..=bytes.len() {
                let ours = match request_len(&bytes[..len]) {
                    FrameLen::Complete(n) => Some(Ok(n)),
                    FrameLen::NeedMore => None,
                    FrameLen::Unknown => Some(Err(())),
                };
                assert_eq!(
                    nut_usb_emu::modbus_hid::request_len(&bytes[..len]),
                    ours,
                    "{:02x?}",
                    &bytes[..len]
                );
            }
        }
    }
}

mod waiting {
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use crate::support::modbus_bank::RegisterBank;
    use nut_driver_api::DriverParams;
    use nut_drivers::sim::socket::SocketServer;
    use nut_drivers::usb::modbus_hid;
    use tokio_modbus::prelude::*;

    use crate::support::usb_sim::USB_EMU;

    /// Names the scenario when the test binary runs as the emulator's child.
    const CHILD: &str = "NUT_RS_MODBUS_HID_CHILD";
    /// What the child prints before each result line.
    const MARK: &str = "MODBUS-HID: ";

    /// The child: opens the emulated unit and runs the scenario, printing what it got.
    #[test]
    fn child_under_the_emulator() {
        let Ok(scenario) = std::env::var(CHILD) else {
            return;
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let opened = modbus_hid::open(&DriverParams::new("auto")).await.unwrap();
            println!(
                "{MARK}ids {:04x}:{:04x} rx={:02x} tx={:02x}",
                opened.vendor_id(),
                opened.product_id(),
                opened.report_ids.rx,
                opened.report_ids.tx
            );
            let mut ctx = rtu::attach_slave(opened.stream, Slave(1));
            let limit = modbus_hid::DEFAULT_RESPONSE_TIMEOUT;
            match scenario.as_str() {
                "registers" => {
                    let r = ctx.read_holding_registers(0, 4).await.unwrap().unwrap();
                    println!("{MARK}read 0+4 {r:?}");
                    let many = ctx.read_holding_registers(100, 60).await.unwrap().unwrap();
                    let expected: Vec<u16> = (100..160).collect();
                    println!("{MARK}read 100+60 {}", many == expected);
                    ctx.write_multiple_registers(10, &[0xbeef, 0x1234])
                        .await
                        .unwrap()
                        .unwrap();
                    ctx.write_single_register(12, 7).await.unwrap().unwrap();
                    let back = ctx.read_holding_registers(10, 3).await.unwrap().unwrap();
                    println!("{MARK}read 10+3 {back:04x?}");
                    let values: Vec<u16> = (0..40).map(|i| 1000 + i).collect();
                    ctx.write_multiple_registers(200, &values)
                        .await
                        .unwrap()
                        .unwrap();
                    let back = ctx.read_holding_registers(200, 40).await.unwrap().unwrap();
                    println!("{MARK}read 200+40 {}", back == values);
                    let e = ctx.read_holding_registers(250, 10).await.unwrap();
                    println!("{MARK}beyond {e:?}");
                    let e = ctx.read_coils(0, 1).await.unwrap();
                    println!("{MARK}coils {e:?}");
                }
                "silent" => {
                    let start = Instant::now();
                    let first = tokio::time::timeout(limit, ctx.read_holding_registers(0, 1)).await;
                    println!(
                        "{MARK}first {} after {}ms",
                        if first.is_err() {
                            "timed out"
                        } else {
                            "answered"
                        },
                        start.elapsed().as_millis()
                    );
                    let second = tokio::time::timeout(limit * 4, ctx.read_holding_registers(3, 1))
                        .await
                        .map(|r| r.unwrap().unwrap());
                    println!("{MARK}second {second:?}");
                }
                "model" => {
                    // ups.model: 16 registers of text at 532 in APC's map.
                    let r = ctx.read_holding_registers(532, 16).await.unwrap().unwrap();
                    let bytes: Vec<u8> = r.iter().flat_map(|w| w.to_be_bytes()).collect();
                    let text = String::from_utf8_lossy(&bytes);
                    println!("{MARK}model {:?}", text.trim_end_matches(['\0', ' ']));
                }
                other => panic!("no scenario {other}"),
            }
        });
    }

    /// What a scenario run against the served unit left: the child's result lines, the RTU
    /// frames the unit got, and the emulator's transfer log.
    struct Served {
        lines: Vec<String>,
        seen: Vec<Vec<u8>>,
        transfers: Vec<String>,
    }

    /// Runs `scenario` under `usb-emu run --sim apc_modbus --q1-socket` against a register
    /// bank the test serves on the socket: 256 registers (each holding its address), every
    /// request seen, and silence for the first `silent` requests.
    fn run_served(scenario: &str, silent: usize) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("ups.sock");
        let log = dir.path().join("usb.log");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::clone(&seen);
        let mut bank = RegisterBank::new(1, 256);
        let _server = SocketServer::spawn_responder(
            move |adu: &[u8]| {
                let mut requests = requests.lock().unwrap();
                requests.push(adu.to_vec());
                if requests.len() <= silent {
                    return None;
                }
                bank.respond(adu)
            },
            &socket,
        )
        .unwrap();
        let lines = run(
            scenario,
            &[
                "--q1-socket".as_ref(),
                socket.as_os_str(),
                "--log".as_ref(),
                log.as_os_str(),
            ],
        );
        let seen = seen.lock().unwrap().clone();
        Served {
            lines,
            seen,
            transfers: transfers(&log),
        }
    }

    /// Runs the child scenario under `usb-emu run --sim apc_modbus <emu>`.
    fn run(scenario: &str, emu: &[&std::ffi::OsStr]) -> Vec<String> {
        let exe = std::env::current_exe().unwrap();
        let mut c = Command::new(USB_EMU);
        c.args(["run", "--sim", "apc_modbus"])
            .args(emu)
            .arg("--")
            .arg(exe)
            .args([
                "--exact",
                "waiting::child_under_the_emulator",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD, scenario)
            .stdin(Stdio::null());
        let output = c.output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let lines = text
            .lines()
            .filter_map(|l| l.find(MARK).map(|at| l[at + MARK.len()..].to_owned()))
            .collect();
        assert!(
            output.status.success(),
            "child failed: {}\n{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
        lines
    }

    /// The transfer log's lines without their time.
    fn transfers(log: &Path) -> Vec<String> {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(_, rest)| rest.to_owned()))
            .collect()
    }

    #[test]
    fn tokio_modbus_reads_and_writes_registers() {
        let Served {
            lines,
            seen,
            transfers: t,
        } = run_served("registers", 0);
        assert_eq!(
            lines,
            [
                "ids 051d:0003 rx=90 tx=89",
                "read 0+4 [0, 1, 2, 3]",
                "read 100+60 true",
                "read 10+3 [beef, 1234, 0007]",
                "read 200+40 true",
                "beyond Err(IllegalDataAddress)",
                "coils Err(IllegalFunction)",
            ]
        );
        // The socket got RTU frames with their CRC.
        assert_eq!(seen.len(), 9);
        assert_eq!(seen[0], modbus_hid::with_crc(&[1, 3, 0, 0, 0, 4]));
        assert_eq!(seen[2][..6], [1, 0x10, 0, 10, 0, 2]);
        assert_eq!(seen[3], modbus_hid::with_crc(&[1, 6, 0, 12, 0, 7]));
        assert_eq!(seen[5].len(), 7 + 80 + 2);

        let unit = "dev1 051d:0003 ";
        // The report descriptor is read (for the report ids).
        assert!(
            t.iter().any(|l| l.starts_with(&format!(
                "{unit}control in type=81 req=06 value=2200 index=0000 len=2048"
            ))),
            "{t:#?}"
        );
        // The first request: output report 90, the frame without CRC, zeros, on OUT 01.
        let zeros = |n: usize| "00".repeat(n);
        let request = format!(
            "{unit}interrupt out ep=01 len=64 data=90010300000004{} result=64",
            zeros(57)
        );
        let at = t.iter().position(|l| *l == request).expect("first request");
        assert_eq!(
            t[at - 1],
            format!("{unit}apc_modbus request=010300000004 reply=0103080000000100020003")
        );
        // Its reply: input report 89, the frame without CRC, zeros, on IN 81.
        let reply = format!(
            "{unit}interrupt in ep=81 len=64 data=89010308000000010002000300{} result=64",
            zeros(51)
        );
        assert!(t[at..].contains(&reply), "{t:#?}");
        // The reply of 60 registers came in two reports, the second zero-padded: 123
        // bytes, 63 in the first report, 60 in the second, then 3 zeros.
        let first_in = t
            .iter()
            .position(|l| l.contains("interrupt in ep=81 len=64 data=89010378"))
            .expect("the first report of the long reply");
        let second = t[first_in + 1..]
            .iter()
            .find(|l| l.contains("interrupt in ep=81"))
            .expect("a second report");
        assert!(second.contains("data=89"), "{second}");
        assert!(
            second.ends_with(&format!("{} result=64", zeros(3))),
            "{second}"
        );
        // The 40-register write went in two output reports.
        let write = t
            .iter()
            .position(|l| {
                l.contains("interrupt out ep=01 len=64 data=900110") && l.contains("0028")
            })
            .expect("the long write");
        assert!(t[write + 1..]
            .iter()
            .find(|l| l.contains("interrupt out"))
            .is_some_and(|l| l.contains("data=90")));
        // Exceptions go back as three-byte frames.
        assert!(t
            .iter()
            .any(|l| l.ends_with("apc_modbus request=010100000001 reply=018101")));
    }

    #[test]
    fn a_unit_that_does_not_answer_times_out() {
        let start = Instant::now();
        let Served {
            lines,
            seen,
            transfers,
        } = run_served("silent", 1);
        assert!(start.elapsed() < Duration::from_secs(30));
        assert_eq!(lines.len(), 3, "{lines:?}");
        let ms: u64 = lines[1]
            .strip_prefix("first timed out after ")
            .and_then(|r| r.strip_suffix("ms"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{lines:?}"));
        assert!((500..2000).contains(&ms), "{ms}");
        assert_eq!(lines[2], "second Ok([3])");
        assert_eq!(seen.len(), 2);
        assert!(transfers
            .iter()
            .any(|l| l.ends_with("apc_modbus request=010300000001 reply=-")));
    }

    #[test]
    fn usb_emu_serves_the_simulated_smt750() {
        let lines = run("model", &[]);
        assert_eq!(
            lines,
            ["ids 051d:0003 rx=90 tx=89", "model \"Smart-UPS 750\""]
        );
    }
}
