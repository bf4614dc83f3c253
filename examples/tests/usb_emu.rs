//! The `usb-emu` program: `import` (exit codes, messages with line numbers) and `run` (the
//! environment it sets, the exit status it passes on, C `usbhid-ups` on an imported device).
//!
//! Tests that need `../shared/testdata` or `/lib/nut/usbhid-ups` are skipped with a note
//! without them, unless `NUT_RS_INTEROP=1` (then they fail).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_usb-emu");
const C_DRIVER: &str = "/lib/nut/usbhid-ups";
const APC: &str = "nut-ddl/APC/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev";
const POWERWALKER: &str = "nut-ddl/PowerWalker/PowerWalker__VI_2200_SH__usbhid-ups__2.7.4__01.dev";

/// `../shared/testdata`, or `$NUT_RS_TESTDATA`.
fn testdata() -> PathBuf {
    std::env::var_os("NUT_RS_TESTDATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"),
        PathBuf::from,
    )
}

/// True when the test can run; otherwise prints why (or fails under NUT_RS_INTEROP=1).
fn have(test: &str, paths: &[&Path]) -> bool {
    let missing: Vec<String> = paths
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("NUT_RS_INTEROP").map_or(true, |v| v != "1"),
        "{test}: NUT_RS_INTEROP=1 but missing {missing:?}"
    );
    println!("SKIPPED {test}: missing {missing:?}");
    false
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("usb-emu-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("state")).unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir.join("state"), std::fs::Permissions::from_mode(0o777));
    dir
}

fn usb_emu(args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(EXE);
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap_or_else(|e| panic!("{EXE}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn import_errors_exit_1_with_a_clear_message() {
    let dir = scratch("errors");
    let log = dir.join("bad.log");
    std::fs::write(
        &log,
        "   0.1\t[D2] - VendorID: 051d\n   0.2\t[D3] Report Descriptor: (4 bytes) => 05 84 0g 04\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = usb_emu(&["import", &log.display().to_string()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("line 2") && err.contains("hex"), "{err}");

    std::fs::write(&log, "nothing useful\n").unwrap_or_else(|e| panic!("{e}"));
    let out = usb_emu(&["import", &log.display().to_string()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Report Descriptor"),
        "{}",
        text(&out.stderr)
    );

    let out = usb_emu(
        &["import", &dir.join("absent.log").display().to_string()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn import_nut_ddl_files() {
    let data = testdata();
    if !have("import_nut_ddl_files", &[&data.join(APC)]) {
        return;
    }
    let out = usb_emu(&["import", &data.join(APC).display().to_string()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let device = text(&out.stdout);
    let spec = nut_usb_emu::DeviceSpec::parse(&device, "stdout").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((spec.vendor_id, spec.product_id), (0x051d, 0x0002));
    assert_eq!(spec.report_descriptor.len(), 374);
    assert_eq!(spec.features.len(), 23);

    let out = usb_emu(
        &["import", &data.join(POWERWALKER).display().to_string()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("only its size (line"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn run_sets_the_environment_and_passes_the_exit_status() {
    let dir = scratch("run");
    let device = dir.join("ups.dev");
    std::fs::write(&device, "vendor-id 0001\nproduct-id 0002\n").unwrap_or_else(|e| panic!("{e}"));
    let script = "echo \"$NUT_USB_EMU_DEVICES|$NUT_USB_EMU_LOG|$NUT_USB_EMU_CONTROL\"; \
                  ls \"${LD_LIBRARY_PATH%%:*}\"; exit 7";
    let log = dir.join("t.log");
    let control = dir.join("ctl");
    let out = usb_emu(
        &[
            "run",
            "--log",
            &log.display().to_string(),
            "--control",
            &control.display().to_string(),
            &device.display().to_string(),
            "--",
            "/bin/sh",
            "-c",
            script,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let expected = format!(
        "{}|{}|{}",
        device.display(),
        log.display(),
        control.display()
    );
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(stdout.contains("libusb-1.0.so.0"), "{stdout}");

    // A device file that does not parse stops `run` before the command starts.
    std::fs::write(&device, "vendor-id 0001\nbogus 1\n").unwrap_or_else(|e| panic!("{e}"));
    let out = usb_emu(
        &["run", &device.display().to_string(), "--", "/bin/true"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("ups.dev:2:"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_c_usbhid_ups_on_an_imported_device() {
    let data = testdata();
    if !have(
        "run_c_usbhid_ups_on_an_imported_device",
        &[&data.join(APC), Path::new(C_DRIVER)],
    ) {
        return;
    }
    let dir = scratch("c");
    let out = usb_emu(&["import", &data.join(APC).display().to_string()], &[]);
    let device = dir.join("apc.dev");
    std::fs::write(&device, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let args = [
        "run",
        &device.display().to_string(),
        "--",
        C_DRIVER,
        "-s",
        "ups",
        "-x",
        "port=auto",
        "-u",
        "root",
        "-d",
        "1",
    ]
    .map(String::from);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = usb_emu(&args, &[("NUT_STATEPATH", &dir.join("state"))]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    for line in [
        "battery.charge: 100",
        "battery.runtime: 2580",
        "device.model: Back-UPS 500",
        "ups.status: OL",
        "battery.type: PbAc",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line} missing:\n{stdout}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CyberPower log with the descriptor and `Path:` values but no raw report bytes, as C
/// prints it (built from the corpus unit: its descriptor, ids and values).
fn cyberpower_log(unit: &Path) -> String {
    let hex = std::fs::read_to_string(unit.join("report-descriptor.hex"))
        .unwrap_or_else(|e| panic!("{e}"));
    let bytes: Vec<&str> = hex.split_whitespace().collect();
    let mut log = String::from(
        "   0.010000\t[D2] Checking device 1 of 1 (0764/0501)\n\
         \x20  0.010100\t[D2] - VendorID: 0764\n\
         \x20  0.010200\t[D2] - ProductID: 0501\n\
         \x20  0.010300\t[D2] - Device release number: 0001\n\
         \x20  0.010400\t[D2] Device matches\n",
    );
    // C wraps the dump over the following lines.
    log.push_str(&format!(
        "   0.020000\t[D3] Report Descriptor: ({} bytes) => {}\n",
        bytes.len(),
        bytes[..16.min(bytes.len())].join(" ")
    ));
    for chunk in bytes.get(16..).unwrap_or_default().chunks(16) {
        log.push_str(&format!("   0.020000\t[D3]  {}\n", chunk.join(" ")));
    }
    let values = std::fs::read_to_string(unit.join("values.txt")).unwrap_or_else(|e| panic!("{e}"));
    for line in values.lines().filter(|l| l.starts_with("Path: ")) {
        // values.txt adds the logged bytes after the value; C's line ends with the value.
        let line = line.split("  <=").next().unwrap_or_default();
        log.push_str(&format!("   0.030000\t[D1] {line}\n"));
    }
    log
}

#[test]
fn import_rebuilds_reports_from_path_values() {
    let unit = testdata().join("hid/corpus/CyberPower_CP1500PFCLCD");
    if !have(
        "import_rebuilds_reports_from_path_values",
        &[&unit.join("values.txt"), Path::new(C_DRIVER)],
    ) {
        return;
    }
    let dir = scratch("rebuild");
    let log = dir.join("cp1500.log");
    std::fs::write(&log, cyberpower_log(&unit)).unwrap_or_else(|e| panic!("{e}"));
    let out = usb_emu(&["import", &log.display().to_string()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let device = text(&out.stdout);
    assert!(!device.contains("no raw bytes"), "{device}");
    assert!(device.contains("rebuilt from `Path:` values"), "{device}");
    let spec = nut_usb_emu::DeviceSpec::parse(&device, "stdout").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((spec.vendor_id, spec.product_id), (0x0764, 0x0501));
    assert_eq!(spec.report_descriptor.len(), 439);
    // RemainingCapacity 100, RunTimeToEmpty 9180 s, RemainingTimeLimit 300 s (report 08, also
    // declared as Feature); Input.Voltage 121 V (report 0f, 16 bits); ACPresent and
    // FullyCharged (bits 0 and 4 of report 0b).
    let feature = |id: u8| spec.features.get(&id).cloned().unwrap_or_default();
    assert_eq!(feature(0x08), [0x08, 100, 0xdc, 0x23, 0x2c, 0x01]);
    assert_eq!(feature(0x0f), [0x0f, 121, 0]);
    assert_eq!(feature(0x0b), [0x0b, 0x11]);

    let path = dir.join("cp1500.dev");
    std::fs::write(&path, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let args = [
        "run",
        &path.display().to_string(),
        "--",
        C_DRIVER,
        "-s",
        "ups",
        "-x",
        "port=auto",
        "-u",
        "root",
        "-d",
        "1",
    ]
    .map(String::from);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = usb_emu(&args, &[("NUT_STATEPATH", &dir.join("state"))]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // C's CyberPower table: battery.charge "%.0f" (at most 100), battery.runtime "%.0f",
    // input.voltage "%.1f" (the descriptor fix-up of this model changes only the output
    // voltage's limits), ups.load "%.0f"; ACPresent without Charging or Discharging: OL.
    for line in [
        "battery.charge: 100",
        "battery.runtime: 9180",
        "battery.runtime.low: 300",
        "input.voltage: 121.0",
        "ups.load: 3",
        "ups.status: OL",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line} missing:\n{stdout}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const QX: &str = "/lib/nut/nutdrv_qx";

/// What tells that C's driver used the bridge it should have: bytes in the transfer log
/// (each subdriver's framing of `Q1\r`), and its debug output (`-DDDD`).
struct BridgeCase {
    bridge: &'static str,
    /// Options C needs besides `port=auto` (only SNR, which C never picks by itself).
    extra: &'static [&'static str],
    log_has: &'static [&'static str],
    stderr_has: &'static [&'static str],
    stderr_lacks: &'static [&'static str],
}

const BRIDGES: [BridgeCase; 12] = [
    BridgeCase {
        bridge: "cypress",
        extra: &[],
        log_has: &["0665:5161 control out type=21 req=09 value=0200 index=0000 len=8 data=51310d0000000000 result=8"],
        stderr_has: &[],
        // phoenix_command's drain.
        stderr_lacks: &["flush:"],
    },
    BridgeCase {
        bridge: "phoenixtec",
        extra: &[],
        log_has: &["06da:0002 control out type=42 req=0d value=0000 index=0000 len=3 data=51310d result=3"],
        stderr_has: &[],
        stderr_lacks: &[],
    },
    BridgeCase {
        bridge: "phoenix",
        extra: &[],
        log_has: &["06da:0601 control out type=21 req=09 value=0200 index=0000 len=8 data=51310d0000000000 result=8"],
        stderr_has: &["flush: Operation timed out"],
        stderr_lacks: &[],
    },
    BridgeCase {
        bridge: "ippon",
        extra: &[],
        log_has: &["06da:0003 control out type=21 req=09 value=0002 index=0000 len=8 data=51310d00", "interrupt in ep=81 len=64 data=28"],
        stderr_has: &[],
        stderr_lacks: &[],
    },
    BridgeCase {
        bridge: "krauler",
        extra: &[],
        log_has: &["0001:0000 control in type=80 req=06 value=0303 index=0409 len=255 data=6003280032"],
        // libusb_get_string_descriptor_ascii: 47 characters, the first one `(`.
        stderr_has: &["received 47 (40)"],
        // fabula_command and hunnox_command.
        stderr_lacks: &["command index:", "asking for:"],
    },
    BridgeCase {
        bridge: "fabula",
        extra: &[],
        log_has: &["0001:0000 control in type=80 req=06 value=0303 index=0409 len=255 data=6003280032"],
        stderr_has: &["command index: 0x03"],
        stderr_lacks: &["asking for:", "received "],
    },
    BridgeCase {
        bridge: "hunnox",
        extra: &[],
        log_has: &["0001:0000 control in type=80 req=06 value=0300 index=0409 len=1026 data=04030904 result=4"],
        stderr_has: &["command index: 0x03", "asking for: 0D"],
        stderr_lacks: &[],
    },
    BridgeCase {
        bridge: "fuji",
        extra: &[],
        log_has: &["0001:0000 interrupt out ep=02 len=8 data=800603035131002f result=8"],
        stderr_has: &[],
        stderr_lacks: &[],
    },
    BridgeCase {
        bridge: "sgs",
        extra: &[],
        log_has: &["0483:0035 control out type=21 req=09 value=0200 index=0000 len=8 data=0351310d00000000 result=8", "interrupt in ep=81 len=8 data=0728"],
        stderr_has: &[],
        stderr_lacks: &[],
    },
    BridgeCase {
        bridge: "snr",
        // C's table gives 0001:0000 to Krauler (or Hunnox for "MEC0003") first; and its
        // snr_command passes langid_fix to libusb as is, so it must be set (C stops with
        // "usb_get_string() args out of range" on its default, -1).
        extra: &["subdriver=snr", "vendorid=0001", "productid=0000", "langid_fix=0x0409"],
        log_has: &["0001:0000 control in type=80 req=06 value=0303 index=0409 len=102 data=6003280032"],
        // The raw descriptor: 96 bytes, bLength 96.
        stderr_has: &["received 96 (96)"],
        stderr_lacks: &["asking for:", "command index:"],
    },
    BridgeCase {
        bridge: "ablerex",
        extra: &[],
        log_has: &["ffff:0000 control out type=21 req=09 value=0305 index=0000 len=47 data=05000351310d", "control in type=a1 req=01 value=0305 index=0000 len=47 data=28"],
        stderr_has: &[],
        stderr_lacks: &[],
    },
    BridgeCase {
        bridge: "armac",
        extra: &[],
        log_has: &["0925:1234 control out type=21 req=09 value=0200 index=0000 len=4 data=a351310d result=4", "interrupt in ep=81 len=6 data=a00000000000 result=6"],
        stderr_has: &[],
        stderr_lacks: &[],
    },
];

/// Runs `usb-emu` with `args`, stopping it (TERM, passed on to its command) after `limit`.
fn usb_emu_within(args: &[String], envs: &[(&str, &Path)], limit: std::time::Duration) -> Output {
    use std::process::Stdio;
    let mut cmd = Command::new(EXE);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap_or_else(|e| panic!("{EXE}: {e}"));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap_or(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output();
        let _ = tx.send(());
        out
    });
    if rx.recv_timeout(limit).is_err() {
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    }
    waiter
        .join()
        .unwrap_or_else(|_| panic!("waiting for {EXE}"))
        .unwrap_or_else(|e| panic!("{EXE}: {e}"))
}

/// One bridge: C's driver through `usb-emu run --q1 BRIDGE`; the problems found, if any.
fn c_on_bridge(case: &BridgeCase, dir: &Path, script: &Path) -> Vec<String> {
    let state = dir.join(case.bridge);
    std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777));
    let log = dir.join(format!("{}.log", case.bridge));
    let mut args: Vec<String> = [
        "run",
        "--log",
        &log.display().to_string(),
        "--q1",
        case.bridge,
        "--script",
        &script.display().to_string(),
        "--",
        QX,
        "-s",
        "ups",
        "-x",
        "port=auto",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for option in case.extra {
        args.extend(["-x".to_owned(), (*option).to_owned()]);
    }
    args.extend(["-u", "root", "-d", "1", "-DDDD"].map(String::from));
    let limit = std::time::Duration::from_secs(120);
    let out = usb_emu_within(&args, &[("NUT_STATEPATH", &state)], limit);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let transfers = std::fs::read_to_string(&log).unwrap_or_default();
    let mut problems = Vec::new();
    if out.status.code() != Some(0) {
        problems.push(format!("exit status {:?}", out.status));
    }
    for line in [
        "ups.status: OL",
        "input.voltage: 221.5",
        "output.voltage: 221.5",
    ] {
        if !stdout.lines().any(|l| l == line) {
            problems.push(format!("no `{line}` in its dump"));
        }
    }
    for needle in case.log_has {
        if !transfers.contains(needle) {
            problems.push(format!("no `{needle}` in the transfer log"));
        }
    }
    for needle in case.stderr_has {
        if !stderr.contains(needle) {
            problems.push(format!("no `{needle}` in its debug output"));
        }
    }
    for needle in case.stderr_lacks {
        if stderr.contains(needle) {
            problems.push(format!("`{needle}` in its debug output"));
        }
    }
    if !problems.is_empty() {
        let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
        problems.push(format!(
            "stdout:\n{stdout}\nstderr (last lines):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    problems
}

/// C `nutdrv_qx` finds a simulated Megatec unit behind each of its twelve USB bridges with
/// `port=auto` (SNR with the options it needs), uses that bridge's framing, and reads the
/// model's values (221.5 V, set by the script at time 0). Phoenix, SGS and SNR cost C a 1 s
/// interrupt timeout per command, so the twelve runs go side by side.
#[test]
fn c_nutdrv_qx_reads_a_q1_ups_behind_every_bridge() {
    if !have(
        "c_nutdrv_qx_reads_a_q1_ups_behind_every_bridge",
        &[Path::new(QX)],
    ) {
        return;
    }
    let dir = scratch("q1-bridges");
    let script = dir.join("power.txt");
    std::fs::write(&script, "0 line=221.5\n").unwrap_or_else(|e| panic!("{e}"));
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = BRIDGES
            .iter()
            .map(|case| {
                let (dir, script) = (&dir, &script);
                (
                    case.bridge,
                    scope.spawn(move || c_on_bridge(case, dir, script)),
                )
            })
            .collect();
        runs.into_iter()
            .filter_map(|(bridge, run)| {
                let problems = run.join().unwrap_or_else(|_| vec!["panicked".into()]);
                (!problems.is_empty()).then(|| format!("{bridge}: {}", problems.join("\n")))
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--q1-socket`: the test serves the model itself (a loaded unit on battery), C reads it
/// through the bridge, and the model saw C's commands.
#[test]
fn c_nutdrv_qx_reads_a_model_served_by_the_test() {
    use nut_drivers::sim::q1::Q1Dialect;
    use nut_drivers::sim::socket::SocketServer;
    use nut_drivers::sim::{Protocol, UpsModel};
    if !have(
        "c_nutdrv_qx_reads_a_model_served_by_the_test",
        &[Path::new(QX)],
    ) {
        return;
    }
    let dir = scratch("q1-socket");
    let model = UpsModel::shared();
    {
        let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
        m.load = 42;
        m.mains_lost();
    }
    let socket = dir.join("ups.sock");
    let server = SocketServer::spawn(model.clone(), Protocol::Q1(Q1Dialect::Megatec), &socket)
        .unwrap_or_else(|e| panic!("{e}"));
    let args: Vec<String> = [
        "run",
        "--q1",
        "armac",
        "--q1-socket",
        &socket.display().to_string(),
        "--",
        QX,
        "-s",
        "ups",
        "-x",
        "port=auto",
        "-u",
        "root",
        "-d",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = usb_emu_within(
        &args,
        &[("NUT_STATEPATH", &dir.join("state"))],
        std::time::Duration::from_secs(120),
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    for line in ["ups.load: 42", "ups.status: OB", "input.voltage: 0.0"] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line} missing:\n{stdout}"
        );
    }
    let received = model
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .received
        .clone();
    assert!(received.iter().any(|c| c == "Q1"), "{received:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The device file `run --q1` writes (the bridge's identity, or the ids given), without C.
#[test]
fn run_q1_writes_the_bridge_device_first() {
    let dir = scratch("q1-device");
    let other = dir.join("other.dev");
    std::fs::write(&other, "vendor-id 051d\nproduct-id 0002\n").unwrap_or_else(|e| panic!("{e}"));
    let out = usb_emu(
        &[
            "run",
            "--q1",
            "Fabula",
            "--vendor-id",
            "0x0002",
            &other.display().to_string(),
            "--",
            "/bin/sh",
            "-c",
            "echo \"$NUT_USB_EMU_DEVICES\"; cat \"${NUT_USB_EMU_DEVICES%%:*}\"; \
             ls -l \"${LD_LIBRARY_PATH%%:*}\"",
        ],
        &[],
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.ends_with(&format!("/q1.dev:{}", other.display())),
        "{stdout}"
    );
    for line in [
        "vendor-id 0002",
        "product-id 0000",
        "manufacturer \"MEC\"",
        "product \"MEC0003\"",
        "q1-bridge fabula",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("srw-rw-rw-"), "the socket:\n{stdout}");
    for (args, message) in [
        (
            &["run", "--q1", "usb", "--", "/bin/true"][..],
            "unknown bridge `usb`",
        ),
        (
            &[
                "run",
                "--q1",
                "cypress",
                "--protocol",
                "x",
                "--",
                "/bin/true",
            ],
            "unknown protocol `x`",
        ),
        (&["run", "--protocol", "megatec", "--", "/bin/true"], "--q1"),
        (
            &[
                "run",
                "--q1",
                "cypress",
                "--q1-socket",
                "/s",
                "--set",
                "a=b",
                "--",
                "/bin/true",
            ],
            "cannot be used",
        ),
    ] {
        let out = usb_emu(args, &[]);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(
            text(&out.stderr).contains(message),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
