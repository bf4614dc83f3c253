//! C NUT's `usbhid-ups` on emulated devices imported from nut-ddl debug logs: its dump must
//! give the values the device's owner recorded with `upsc`, and an unplug through the control
//! file must make it report a lost device.
//!
//! Needs `../shared/testdata` and `/lib/nut/usbhid-ups`: skipped without them, unless
//! `NUT_RS_INTEROP=1` (then missing pieces are failures).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nut_usb_emu::runner::{self, LibDir, RunOptions};

const C_DRIVER: &str = "/lib/nut/usbhid-ups";
const APC: &str = "nut-ddl/APC/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev";

fn interop_required() -> bool {
    std::env::var("NUT_RS_INTEROP").is_ok_and(|v| v == "1")
}

/// The test data folder and the C driver, or `None` (after saying why) when the test is skipped.
fn prerequisites(test: &str) -> Option<PathBuf> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    let mut missing = Vec::new();
    if !data.join(APC).is_file() {
        missing.push(format!("test data {}", data.display()));
    }
    if !Path::new(C_DRIVER).is_file() {
        missing.push(format!("C driver {C_DRIVER} (apt-get install nut-server)"));
    }
    if missing.is_empty() {
        return Some(data);
    }
    assert!(
        !interop_required(),
        "{test}: NUT_RS_INTEROP=1 but missing: {}",
        missing.join(", ")
    );
    println!("SKIPPED {test}: missing {}", missing.join(", "));
    None
}

/// A scratch folder for one test (state path for the C driver, device files, logs).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("usb-emu-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{}: {e}", state.display()));
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777));
    dir
}

fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    runner::find_library(&exe).unwrap_or_else(|e| panic!("{e}"))
}

/// Imports a nut-ddl file into `dir/device.dev`.
fn import(source: &Path, dir: &Path) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(source).map_err(|e| e.to_string())?;
    let device = nut_usb_emu::import_to_text(&text, &source.display().to_string())
        .map_err(|e| e.to_string())?;
    let path = dir.join("device.dev");
    std::fs::write(&path, device).map_err(|e| e.to_string())?;
    Ok(path)
}

/// The `upsc` values at the top of a nut-ddl file (lines `name: value` outside comments).
fn recorded(source: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(source).unwrap_or_default();
    dump_values(&text)
}

fn dump_values(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| k.contains('.') && !k.contains(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Values that legitimately differ: the driver's own variables.
fn comparable(values: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    values
        .iter()
        .filter(|(k, _)| !k.starts_with("driver."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn c_command(
    device: &Path,
    dir: &Path,
    lib_dir: &LibDir,
    args: &[&str],
    log: Option<PathBuf>,
    control: Option<PathBuf>,
) -> std::process::Command {
    let mut command: Vec<std::ffi::OsString> = vec![C_DRIVER.into()];
    command.extend(args.iter().map(Into::into));
    let options = RunOptions {
        devices: vec![device.to_path_buf()],
        log,
        control,
        library: None,
        command,
    };
    let mut cmd = runner::command(&options, lib_dir).unwrap_or_else(|e| panic!("{e}"));
    cmd.env("NUT_STATEPATH", dir.join("state"))
        .env("NUT_CONFPATH", dir)
        .stdin(Stdio::null());
    cmd
}

/// Runs C `usbhid-ups -d 1` on a device file and returns its dump's values.
fn c_dump(device: &Path, dir: &Path) -> (BTreeMap<String, String>, String) {
    let lib_dir = LibDir::new(&library()).unwrap_or_else(|e| panic!("{e}"));
    let args = ["-s", "ups", "-x", "port=auto", "-u", "root", "-d", "1"];
    let mut cmd = c_command(
        device,
        dir,
        &lib_dir,
        &args,
        Some(dir.join("transfers.log")),
        None,
    );
    let output = cmd.output().unwrap_or_else(|e| panic!("{C_DRIVER}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (
        dump_values(&stdout),
        format!("{stdout}\n--- stderr ---\n{stderr}"),
    )
}

#[test]
fn c_usbhid_ups_reads_the_imported_apc_back_ups() {
    let Some(data) = prerequisites("c_usbhid_ups_reads_the_imported_apc_back_ups") else {
        return;
    };
    let dir = scratch("apc");
    let source = data.join(APC);
    let device = import(&source, &dir).unwrap_or_else(|e| panic!("{e}"));
    let (values, output) = c_dump(&device, &dir);
    let expected = comparable(&recorded(&source));
    assert!(
        expected.len() > 20,
        "the recorded dump is too small: {expected:?}"
    );
    assert_eq!(comparable(&values), expected, "C's dump differs:\n{output}");
    assert_eq!(
        values.get("driver.name").map(String::as_str),
        Some("usbhid-ups")
    );
    let transfers = std::fs::read_to_string(dir.join("transfers.log")).unwrap_or_default();
    assert!(
        transfers.contains("control in type=a1 req=01 value=030c"),
        "{transfers}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads what the child printed so far without blocking forever (a reader thread).
fn spawn_reader(child: &mut Child) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(mut out) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
    }
    rx
}

fn wait_for(
    rx: &std::sync::mpsc::Receiver<Vec<u8>>,
    seen: &mut String,
    needle: &str,
    deadline: Duration,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if seen.contains(needle) {
            return true;
        }
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    seen.contains(needle)
}

fn append(path: &Path, line: &str) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let _ = writeln!(file, "{line}");
}

#[test]
fn c_usbhid_ups_notices_an_unplug_and_finds_the_device_again() {
    let Some(data) = prerequisites("c_usbhid_ups_notices_an_unplug_and_finds_the_device_again")
    else {
        return;
    };
    let dir = scratch("unplug");
    let device = import(&data.join(APC), &dir).unwrap_or_else(|e| panic!("{e}"));
    let control = dir.join("control");
    std::fs::write(&control, "").unwrap_or_else(|e| panic!("{e}"));
    let lib_dir = LibDir::new(&library()).unwrap_or_else(|e| panic!("{e}"));
    let args = [
        "-s",
        "ups",
        "-x",
        "port=auto",
        "-u",
        "root",
        "-D",
        "-i",
        "1",
    ];
    let mut cmd = c_command(
        &device,
        &dir,
        &lib_dir,
        &args,
        Some(dir.join("transfers.log")),
        Some(control.clone()),
    );
    // C's debug output goes to stderr.
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{C_DRIVER}: {e}"));
    let rx = spawn_reader(&mut child);
    let mut seen = String::new();
    let started = wait_for(&rx, &mut seen, "Quick update", Duration::from_secs(30));
    append(&control, "unplug");
    let lost = started && wait_for(&rx, &mut seen, "No such device", Duration::from_secs(30));
    let reconnecting =
        lost && wait_for(&rx, &mut seen, "Got to reconnect", Duration::from_secs(30));
    let transfers_before = std::fs::read_to_string(dir.join("transfers.log"))
        .unwrap_or_default()
        .len();
    append(&control, "plug address 9");
    let mut found_again = false;
    let start = Instant::now();
    while reconnecting && start.elapsed() < Duration::from_secs(30) {
        let transfers = std::fs::read_to_string(dir.join("transfers.log")).unwrap_or_default();
        // C reopens the device (reading its strings again) and reads reports from it.
        let after = transfers.get(transfers_before..).unwrap_or("");
        if after.contains("type=80 req=06 value=0302")
            && after
                .contains("type=a1 req=01 value=030c index=0000 len=6 data=0c640000140a result=6")
        {
            found_again = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    wait_for(&rx, &mut seen, "\u{0}", Duration::from_secs(1));
    assert!(started, "C's driver did not start:\n{seen}");
    assert!(lost, "C's driver did not report the unplug:\n{seen}");
    assert!(reconnecting, "C's driver did not try to reconnect:\n{seen}");
    assert!(
        found_again,
        "C's driver did not open and read the re-plugged device:\n{seen}"
    );
    drop(lib_dir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The other nut-ddl files holding usbhid-ups debug output: what an import gives, and what C
/// makes of it. Only the APC log has the raw bytes C needs; the others must fail with a clear
/// message (the PowerWalker log has `Path:` values but not the descriptor; the Cyber Power and
/// Powercom files hold `lsusb -v` output whose report descriptor was "UNAVAILABLE").
#[test]
fn other_nut_ddl_debug_logs() {
    let Some(data) = prerequisites("other_nut_ddl_debug_logs") else {
        return;
    };
    let expectations = [
        (
            "nut-ddl/Cyber_Power_Systems/Cyber_Power_Systems__UT2200E__usbhid-ups__2.7.4__01.dev",
            "Report Descriptor",
        ),
        (
            "nut-ddl/PowerWalker/PowerWalker__VI_2200_SH__usbhid-ups__2.7.4__01.dev",
            "only its size",
        ),
        (
            "nut-ddl/Powercom/Powercom__RPT-600AP__usbhid-ups__2.7.2__01.dev",
            "Report Descriptor",
        ),
        (
            "nut-ddl/Powercom/Powercom__Raptor_2000__usbhid-ups__2.7.4__01.dev",
            "Report Descriptor",
        ),
    ];
    for (file, why) in expectations {
        let source = data.join(file);
        let text = std::fs::read_to_string(&source).unwrap_or_else(|e| panic!("{file}: {e}"));
        match nut_usb_emu::import_log(&text) {
            Ok(import) => panic!(
                "{file}: imported unexpectedly ({} notes)",
                import.notes.len()
            ),
            Err(e) => assert!(e.to_string().contains(why), "{file}: {e}"),
        }
    }
}

/// Hex bytes of ASCII text, for `reply` lines.
fn hex_of(text: &str) -> String {
    text.bytes()
        .map(|b| format!("{b:02x} "))
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// A Megatec Q1 unit behind a Cypress USB-serial bridge: C `nutdrv_qx` sends its commands with
/// SET_REPORT in 8-byte pieces and reads the answers from the interrupt endpoint, 8 bytes at a
/// time; the device file's `reply` lines answer them.
#[test]
fn c_nutdrv_qx_talks_q1_through_an_emulated_cypress_bridge() {
    const QX: &str = "/lib/nut/nutdrv_qx";
    if !Path::new(QX).is_file() {
        assert!(!interop_required(), "NUT_RS_INTEROP=1 but {QX} is missing");
        println!("SKIPPED c_nutdrv_qx_talks_q1_through_an_emulated_cypress_bridge: no {QX}");
        return;
    }
    let dir = scratch("q1");
    let mut device = String::from(
        "vendor-id 0665\nproduct-id 5161\nproduct \"USB to Serial\"\nendpoint 81 interrupt 8 10\n",
    );
    for (command, answer) in [
        ("Q1\r", "(215.0 195.0 230.0 014 49.0 2.27 30.0 00101000\r"),
        ("F\r", "#230.0 004 24.00 50.0\r"),
        ("I\r", "#Emulated UPS    Model-1    Ver-1.0   \r"),
    ] {
        device.push_str(&format!(
            "reply {} => {}\n",
            hex_of(command),
            hex_of(answer)
        ));
    }
    let path = dir.join("q1.dev");
    std::fs::write(&path, device).unwrap_or_else(|e| panic!("{e}"));
    let lib_dir = LibDir::new(&library()).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions {
        devices: vec![path],
        log: Some(dir.join("transfers.log")),
        control: None,
        library: None,
        command: [
            QX,
            "-s",
            "q1",
            "-x",
            "port=auto",
            "-x",
            "subdriver=cypress",
            "-x",
            "vendorid=0665",
            "-x",
            "productid=5161",
            "-x",
            "protocol=megatec",
            "-u",
            "root",
            "-d",
            "1",
        ]
        .iter()
        .map(Into::into)
        .collect(),
    };
    let mut cmd = runner::command(&options, &lib_dir).unwrap_or_else(|e| panic!("{e}"));
    cmd.env("NUT_STATEPATH", dir.join("state"))
        .stdin(Stdio::null());
    let output = cmd.output().unwrap_or_else(|e| panic!("{QX}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let values = dump_values(&stdout);
    for (key, value) in [
        ("input.voltage", "215.0"),
        ("input.voltage.fault", "195.0"),
        ("output.voltage", "230.0"),
        ("ups.load", "14"),
        ("input.frequency", "49.0"),
        ("ups.temperature", "30.0"),
        ("ups.status", "OL BOOST"),
        ("ups.firmware", "Ver-1.0"),
        ("input.voltage.nominal", "230"),
    ] {
        assert_eq!(
            values.get(key).map(String::as_str),
            Some(value),
            "{key}:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every C USB driver of Debian's nut-server loads with the emulated library (they are linked
/// with BIND_NOW, so a missing symbol would stop them at start) and finds no device on an empty
/// bus.
#[test]
fn every_c_usb_driver_loads_the_emulated_library() {
    let drivers = [
        "usbhid-ups",
        "blazer_usb",
        "nutdrv_qx",
        "tripplite_usb",
        "bcmxcp_usb",
        "riello_usb",
    ];
    let present: Vec<&str> = drivers
        .iter()
        .copied()
        .filter(|d| Path::new("/lib/nut").join(d).is_file())
        .collect();
    if present.len() < drivers.len() {
        assert!(
            !interop_required(),
            "NUT_RS_INTEROP=1 but C USB drivers are missing"
        );
        println!("SKIPPED every_c_usb_driver_loads_the_emulated_library: C drivers missing");
        return;
    }
    let dir = scratch("load");
    let lib_dir = LibDir::new(&library()).unwrap_or_else(|e| panic!("{e}"));
    for driver in present {
        let program = Path::new("/lib/nut").join(driver);
        let options = RunOptions {
            command: vec![
                program.into_os_string(),
                "-s".into(),
                "x".into(),
                "-x".into(),
                "port=auto".into(),
                "-u".into(),
                "root".into(),
                "-d".into(),
                "1".into(),
            ],
            ..RunOptions::default()
        };
        let mut cmd = runner::command(&options, &lib_dir).unwrap_or_else(|e| panic!("{e}"));
        cmd.env("NUT_STATEPATH", dir.join("state"))
            .stdin(Stdio::null());
        let output = cmd.output().unwrap_or_else(|e| panic!("{driver}: {e}"));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !all.contains("symbol lookup error") && !all.contains("undefined symbol"),
            "{driver}: {all}"
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "{driver} should exit 1 on an empty bus: {all}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
