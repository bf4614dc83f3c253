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

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata")
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
