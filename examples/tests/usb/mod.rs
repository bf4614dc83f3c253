//! What the usbhid-ups tests share: emulated units built from the recorded data, and a
//! driver (C's or ours) running on one under `usb-emu run`, reached through its socket, the
//! emulator's transfer log and its control file.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nut_drivers::usb::hid::{ReportDescriptor, ReportType};

use crate::support::{self, testdata};

pub(crate) mod rpt;
pub(crate) mod synth;

/// C NUT's driver.
pub(crate) const C_USBHID: &str = "/lib/nut/usbhid-ups";
/// Ours.
pub(crate) const OURS: &str = env!("CARGO_BIN_EXE_usbhid-ups");
/// The emulator's command.
pub(crate) const EMU: &str = env!("CARGO_BIN_EXE_usb-emu");
/// How long anything may take before the test calls it a hang.
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

/// The recorded APC Back-UPS 500, with the raw report bytes of C's debug log.
pub(crate) const CS500: &str = "nut-ddl/APC/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev";

/// The test data and the C driver are there; otherwise a note and `false` (or a panic under
/// `NUT_RS_INTEROP=1`).
pub(crate) fn ready() -> bool {
    let mut missing = Vec::new();
    if !testdata().join(CS500).is_file() {
        missing.push("../shared/testdata");
    }
    if !Path::new(C_USBHID).is_file() {
        missing.push(C_USBHID);
    }
    support::skip_unless_interop(&missing)
}

/// One emulated unit: a name and a device file's text.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// Where it comes from.
    pub(crate) name: String,
    /// The device file.
    pub(crate) text: String,
    /// The report descriptor (to build report bytes for power events).
    pub(crate) descriptor: Vec<u8>,
}

impl Unit {
    /// The recorded Back-UPS 500, imported from its nut-ddl debug log.
    pub(crate) fn cs500() -> Self {
        let source = testdata().join(CS500);
        let log = std::fs::read_to_string(&source).expect("nut-ddl file");
        let text = nut_usb_emu::import_to_text(&log, CS500).expect("imports");
        let descriptor =
            std::fs::read(testdata().join("hid/APC_Back-UPS_CS_500.report-descriptor.bin"))
                .expect("descriptor");
        Self {
            name: "APC Back-UPS CS 500 (nut-ddl)".into(),
            text,
            descriptor,
        }
    }

    /// Every unit of the HID corpus a subdriver could claim, by folder name, with the
    /// values its `values.txt` logged put into its reports (other reports read as zeros).
    pub(crate) fn corpus() -> Vec<Self> {
        let root = testdata().join("hid/corpus");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
            .expect("corpus")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("report-descriptor.hex").is_file())
            .collect();
        dirs.sort();
        dirs.iter().filter_map(|d| Self::from_corpus(d)).collect()
    }

    fn from_corpus(dir: &Path) -> Option<Self> {
        let info = std::fs::read_to_string(dir.join("device.txt")).ok()?;
        let field = |key: &str| -> Option<String> {
            info.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        let hex_id = |key: &str| -> Option<u16> {
            let v = field(key)?;
            u16::from_str_radix(v.trim_start_matches("0x"), 16).ok()
        };
        let (vendor, product) = (hex_id("usb.vendorid:")?, hex_id("usb.productid:")?);
        let hex = std::fs::read_to_string(dir.join("report-descriptor.hex")).ok()?;
        let descriptor: Vec<u8> = hex
            .split_whitespace()
            .filter_map(|b| u8::from_str_radix(b, 16).ok())
            .collect();
        let mut text = format!("vendor-id {vendor:04x}\nproduct-id {product:04x}\n");
        if let Some(bcd) = field("usb.bcdDevice:") {
            if bcd.len() == 4 && bcd.chars().all(|c| c.is_ascii_hexdigit()) {
                text.push_str(&format!("bcd-device {bcd}\n"));
            }
        }
        for (key, stmt) in [
            ("usb.manufacturer:", "manufacturer"),
            ("usb.product:", "product"),
            ("usb.serial:", "serial"),
        ] {
            if let Some(v) = field(key) {
                let v = v.split(" (").next().unwrap_or_default();
                if !v.is_empty() {
                    text.push_str(&format!(
                        "{stmt} \"{}\"\n",
                        v.replace('\\', "\\\\").replace('"', "\\\"")
                    ));
                }
            }
        }
        text.push_str("report-descriptor");
        for b in &descriptor {
            text.push_str(&format!(" {b:02x}"));
        }
        text.push('\n');
        if let Ok(values) = std::fs::read_to_string(dir.join("values.txt")) {
            if let Ok(desc) = ReportDescriptor::parse(&descriptor) {
                for (id, bytes) in nut_drivers::usb::hid::rebuild_reports(&desc, &values).reports {
                    let kind = if nut_drivers::usb::hid::input_only(&desc, id) {
                        "input"
                    } else {
                        "feature"
                    };
                    text.push_str(&format!("{kind} {}\n", hex_bytes(&bytes)));
                }
            }
        }
        Some(Self {
            name: dir.file_name()?.to_string_lossy().into_owned(),
            text,
            descriptor,
        })
    }

    /// Writes the device file into `dir`.
    pub(crate) fn write(&self, dir: &Path, extra: &str) -> PathBuf {
        let path = dir.join("unit.dev");
        std::fs::write(&path, format!("{}{extra}", self.text)).expect("device file");
        path
    }

    /// The feature reports the device file gives, by id (id byte first).
    pub(crate) fn reports(&self) -> BTreeMap<u8, Vec<u8>> {
        nut_usb_emu::DeviceSpec::parse(&self.text, &self.name)
            .map(|spec| spec.features)
            .unwrap_or_default()
    }

    /// A `feature` line giving the field at `path` (feature report) the physical `value`,
    /// the rest of that report as `current` holds it.
    pub(crate) fn feature_line(
        &self,
        current: &mut BTreeMap<u8, Vec<u8>>,
        path: &str,
        value: f64,
    ) -> Option<String> {
        let desc = ReportDescriptor::parse(&self.descriptor).ok()?;
        let nodes = nut_drivers::usb::hid::string_to_path(
            path,
            &[
                nut_drivers::usb::hid::vendor_usages::APC_USAGES,
                nut_drivers::usb::hid::HID_USAGES,
            ],
        )?;
        let field = desc.find(&nodes, Some(ReportType::Feature))?;
        let len = desc.report_len(field.report_id, ReportType::Feature);
        let buf = current.entry(field.report_id).or_insert_with(|| {
            let mut b = vec![0; len];
            b[0] = field.report_id;
            b
        });
        field.set_logical_value(buf, field.to_logical(value));
        Some(format!("feature {}\n", hex_bytes(buf)))
    }
}

/// Bytes as the device file writes them.
pub(crate) fn hex_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A scratch directory whose `state/` any user may write (C drivers drop to `nut`).
pub(crate) fn scratch() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("mode");
    dir
}

/// `usb-emu run [--log] [--control] DEVICE -- PROGRAM -s ups -x port=auto -u root ARGS`.
pub(crate) fn command(program: &str, device: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(EMU);
    // A group of its own: `Kill` then takes the driver down with the emulator.
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    c.arg("run")
        .arg("--log")
        .arg(dir.join("usb.log"))
        .arg("--control")
        .arg(dir.join("control"))
        .arg(device)
        .arg("--")
        .arg(program)
        .args(["-s", "ups", "-x", "port=auto", "-u", "root"])
        .args(args)
        .env("NUT_STATEPATH", dir)
        .env("NUT_CONFPATH", dir)
        .env("NUT_ALTPIDPATH", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// What `-d 1` printed (the `name: value` lines but the version ones), or the failure.
pub(crate) fn dump(program: &str, device: &Path, extra: &[&str]) -> Result<Vec<String>, String> {
    let dir = scratch();
    let mut args = vec!["-d", "1"];
    for x in extra {
        args.extend(["-x", x]);
    }
    let out = command(program, device, dir.path(), &args)
        .output()
        .expect("run the driver");
    if !out.status.success() {
        return Err(format!("exit {:?}", out.status.code()));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(": "))
        .filter(|l| !l.starts_with("driver.version: "))
        .map(str::to_owned)
        .collect())
}

/// A driver running in the background on an emulated unit, with its socket open.
pub(crate) struct Running {
    child: Child,
    dir: tempfile::TempDir,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next: usize,
}

impl Drop for Running {
    fn drop(&mut self) {
        support::stop(&mut self.child);
    }
}

impl Running {
    /// Starts `program` on `unit` (plus `extra` device-file lines) with `args`; `Err` with its
    /// output when it exits before its socket appears.
    pub(crate) fn start(
        program: &str,
        unit: &Unit,
        extra: &str,
        args: &[&str],
    ) -> Result<Self, String> {
        let dir = scratch();
        let device = unit.write(dir.path(), extra);
        std::fs::write(dir.path().join("control"), "").expect("control file");
        let mut all = vec!["-F", "-i", "2"];
        all.extend_from_slice(args);
        let mut child = command(program, &device, dir.path(), &all)
            .spawn()
            .expect("start the driver");
        let sock = dir.path().join("usbhid-ups-ups");
        let deadline = Instant::now() + PATIENCE;
        let stream = loop {
            if let Ok(s) = UnixStream::connect(&sock) {
                break s;
            }
            if let Some(status) = child.try_wait().expect("wait") {
                let out = child.wait_with_output().expect("output");
                return Err(format!(
                    "exit {:?}: {}",
                    status.code(),
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or_default()
                ));
            }
            assert!(Instant::now() < deadline, "{program}: no driver socket");
            std::thread::sleep(Duration::from_millis(50));
        };
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let writer = stream.try_clone().expect("clone");
        Ok(Self {
            child,
            dir,
            reader: BufReader::new(stream),
            writer,
            next: 0,
        })
    }

    /// Reads socket lines until one satisfies `done`.
    pub(crate) fn read_until(&mut self, done: impl Fn(&str) -> bool) -> Vec<String> {
        support::driver::read_socket_until(&mut self.reader, PATIENCE, done)
    }

    /// The driver's whole state (`DUMPALL`), without what differs by design: the driver's
    /// version lines and the `driver.*` commands our runtime adds.
    pub(crate) fn dumpall(&mut self) -> Vec<String> {
        self.writer.write_all(b"DUMPALL\n").expect("write");
        let mut lines = self.read_until(|l| l == "DUMPDONE");
        lines.retain(|l| {
            let by_design = l.starts_with("SETINFO driver.version ")
                || l.starts_with("ADDCMD driver.")
                || l.starts_with("PONG")
                || l == "DUMPDONE";
            !by_design
        });
        lines
    }

    /// The value of `var` in a fresh `DUMPALL`.
    pub(crate) fn value(&mut self, var: &str) -> Option<String> {
        let prefix = format!("SETINFO {var} ");
        self.dumpall()
            .iter()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(|v| v.trim_matches('"').to_owned())
    }

    /// Sends a request line with a tracking id and returns the tracking answer.
    pub(crate) fn request(&mut self, line: &str) -> String {
        let id = self.next;
        self.next += 1;
        self.writer
            .write_all(format!("{line} TRACKING t{id}\n").as_bytes())
            .expect("write");
        let tag = format!("TRACKING t{id} ");
        let lines = self.read_until(|l| l.starts_with(&tag));
        lines
            .last()
            .and_then(|l| l.strip_prefix(&tag))
            .unwrap_or_default()
            .to_owned()
    }

    /// The emulator's log lines so far.
    pub(crate) fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("usb.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The SET_REPORT requests in the log since line `from`, without their times.
    pub(crate) fn sets_since(&self, from: usize) -> Vec<String> {
        self.log()
            .iter()
            .skip(from)
            .filter(|l| l.contains(" control out ") && l.contains(" req=09 "))
            .map(|l| {
                l.split_once(' ')
                    .map_or(l.as_str(), |(_, rest)| rest)
                    .to_owned()
            })
            .collect()
    }

    /// Appends a line to the emulator's control file.
    pub(crate) fn control(&self, line: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("control"))
            .expect("control file");
        writeln!(f, "{line}").expect("write control");
    }

    /// Waits until `var` has `value` (through fresh dumps).
    pub(crate) fn wait_value(&mut self, var: &str, value: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let got = self.value(var);
            if got.as_deref() == Some(value) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{var} never became {value} (last {got:?})"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
