//! `usb-emu import`: turns the debug output of C `usbhid-ups -DDDDD` (as pasted in bug reports,
//! or kept in the comment blocks of a nut-ddl `.dev` file) into a device file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::device::DeviceSpec;
use crate::hex;

/// A log that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based line of the problem (0: the log as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ImportError {}

/// The result of an import: the device and remarks for the device file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The device.
    pub spec: DeviceSpec,
    /// Remarks (guessed or unknown strings, ...).
    pub notes: Vec<String>,
    /// Reports that `Path:` lines name without raw bytes in the log: report id → the logged
    /// `PATH (TYPE) = VALUE` items. [`render`] writes a `# NOTE:` line for each; a caller that
    /// rebuilds some of them from the values (into [`spec`](Self::spec)) removes them here.
    pub missing: BTreeMap<u8, Vec<String>>,
}

/// USB identity lines of one device the C driver looked at.
#[derive(Debug, Clone, Default)]
struct Candidate {
    vendor: Option<u16>,
    product: Option<u16>,
    manufacturer: Option<String>,
    product_name: Option<String>,
    serial: Option<String>,
    bus: Option<u8>,
    address: Option<u8>,
    release: Option<u16>,
}

/// A `Path:` line.
#[derive(Debug, Clone)]
struct PathLine {
    path: String,
    kind: String,
    report: u8,
    value: String,
}

/// A hex dump being collected over several lines.
struct Dump {
    what: DumpKind,
    expected: usize,
    bytes: Vec<u8>,
    start: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DumpKind {
    Descriptor,
    Feature,
    Input,
    Ignored,
}

/// Strips what surrounds a log message: a `#` comment prefix (nut-ddl), a ` 0.123456\t`
/// timestamp and a `[D3]` debug-level tag. Returns the message and whether it was commented.
fn clean(line: &str) -> (&str, bool) {
    let line = line.trim_end_matches(['\r', '\n']);
    let (mut rest, commented) = match line.strip_prefix('#') {
        Some(r) => (r, true),
        None => (line, false),
    };
    rest = rest.trim_start();
    // Timestamp: digits '.' digits followed by whitespace.
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && rest[digits..].starts_with('.') {
        let after = &rest[digits + 1..];
        let frac = after.bytes().take_while(u8::is_ascii_digit).count();
        if frac > 0 && after[frac..].starts_with([' ', '\t']) {
            rest = after[frac..].trim_start();
        }
    }
    if rest.starts_with("[D") {
        if let Some(end) = rest.find(']') {
            if rest[2..end].bytes().all(|b| b.is_ascii_digit()) {
                rest = &rest[end + 1..];
                rest = rest.strip_prefix(' ').unwrap_or(rest);
            }
        }
    }
    (rest, commented)
}

/// `Name: (N bytes) => hex...`: the name, N and the hex text.
fn dump_header(text: &str) -> Option<(&str, usize, &str)> {
    let (name, rest) = text.split_once(": (")?;
    let (count, rest) = rest.split_once(" bytes) =>")?;
    let count = count.trim().parse().ok()?;
    Some((name.trim(), count, rest))
}

fn hex_line(text: &str, line: usize) -> Result<Vec<u8>, ImportError> {
    hex::parse_bytes(text.split_whitespace()).map_err(|message| ImportError {
        line,
        message: format!("bad hex: {message}"),
    })
}

fn value_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.strip_prefix(key)
        .map(|v| v.strip_prefix(' ').unwrap_or(v))
}

fn known(value: &str) -> Option<String> {
    (value != "unknown" && !value.is_empty()).then(|| value.to_owned())
}

/// `(051D/0002)` anywhere in the text: vendor and product ids.
fn id_pair(text: &str) -> Option<(u16, u16)> {
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let inner = &rest[open + 1..];
        if let Some((a, b)) = inner
            .get(..10)
            .and_then(|s| s.strip_suffix(')'))
            .and_then(|s| s.split_once('/'))
        {
            if a.len() == 4 && b.len() == 4 {
                if let (Ok(a), Ok(b)) = (u16::from_str_radix(a, 16), u16::from_str_radix(b, 16)) {
                    return Some((a, b));
                }
            }
        }
        rest = inner;
    }
    None
}

/// `(001/004)` after the ids in 2.7-era logs: bus and address.
fn bus_pair(text: &str) -> Option<(u8, u8)> {
    let start = text.rfind('(')?;
    let (a, b) = text[start + 1..].strip_suffix(')')?.split_once('/')?;
    if a.len() == 3 && b.len() == 3 {
        Some((a.parse().ok()?, b.parse().ok()?))
    } else {
        None
    }
}

fn parse_path(text: &str) -> Option<PathLine> {
    let rest = text.strip_prefix("Path: ")?;
    let mut fields = BTreeMap::new();
    let (path, rest) = rest.split_once(", Type: ")?;
    fields.insert("Type", rest.split(',').next()?.trim());
    for part in rest.split(", ") {
        if let Some((k, v)) = part.split_once(": ") {
            fields.insert(
                if k == "ReportID" {
                    "ReportID"
                } else if k == "Value" {
                    "Value"
                } else {
                    ""
                },
                v.trim(),
            );
        }
    }
    let report = fields.get("ReportID")?;
    let report = u8::from_str_radix(report.trim_start_matches("0x"), 16).ok()?;
    Some(PathLine {
        path: path.to_owned(),
        kind: fields.get("Type")?.to_string(),
        report,
        value: fields
            .get("Value")
            .map(|v| v.to_string())
            .unwrap_or_default(),
    })
}

/// Imports a C `usbhid-ups -DDDDD` log (raw, or inside a nut-ddl `.dev` file).
pub fn import_log(text: &str) -> Result<Import, ImportError> {
    let mut candidate = Candidate::default();
    let mut matched: Option<Candidate> = None;
    let mut descriptor: Option<Vec<u8>> = None;
    let mut descriptor_size_line = None;
    let mut hid: Option<Vec<u8>> = None;
    let mut features: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    let mut inputs: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    let mut paths: Vec<PathLine> = Vec::new();
    let mut upsc: BTreeMap<String, String> = BTreeMap::new();
    let mut dump: Option<Dump> = None;

    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let (message, commented) = clean(raw);
        if let Some(mut d) = dump.take() {
            let trimmed = message.trim();
            let is_hex = !trimmed.is_empty()
                && trimmed
                    .split_whitespace()
                    .all(|w| w.len() == 2 && hex::is_hex_byte(w));
            if is_hex {
                d.bytes.extend(hex_line(trimmed, number)?);
                finish_dump(d, &mut descriptor, &mut features, &mut inputs, &mut dump)?;
                continue;
            }
            return Err(ImportError {
                line: d.start,
                message: format!(
                    "hex dump of {} bytes ends after {} bytes (line {number} is not hex)",
                    d.expected,
                    d.bytes.len()
                ),
            });
        }
        if !commented {
            if let Some((key, value)) = message.split_once(": ") {
                if !key.is_empty()
                    && key.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_'
                    })
                    && key.contains('.')
                {
                    upsc.insert(key.to_owned(), value.to_owned());
                    continue;
                }
            }
        }
        let msg = message.trim_start();
        if msg.starts_with("Checking device") {
            candidate = Candidate::default();
            if let Some((v, p)) = id_pair(msg) {
                candidate.vendor = Some(v);
                candidate.product = Some(p);
            }
            if let Some((b, a)) = bus_pair(msg) {
                candidate.bus = Some(b);
                candidate.address = Some(a);
            }
        } else if let Some(v) = value_after(msg, "- VendorID:") {
            candidate.vendor = hex::parse_number(v.trim(), 0xffff).ok().map(|n| n as u16);
        } else if let Some(v) = value_after(msg, "- ProductID:") {
            candidate.product = hex::parse_number(v.trim(), 0xffff).ok().map(|n| n as u16);
        } else if let Some(v) = value_after(msg, "- Manufacturer:") {
            candidate.manufacturer = known(v);
        } else if let Some(v) = value_after(msg, "- Product:") {
            candidate.product_name = known(v);
        } else if let Some(v) = value_after(msg, "- Serial Number:") {
            candidate.serial = known(v);
        } else if let Some(v) = value_after(msg, "- Bus:") {
            candidate.bus = hex::parse_decimal(v.trim(), 255)
                .ok()
                .map(|n| n as u8)
                .or(candidate.bus);
        } else if let Some(v) = value_after(msg, "- Device:") {
            candidate.address = hex::parse_decimal(v.trim(), 127)
                .ok()
                .map(|n| n as u8)
                .or(candidate.address);
        } else if let Some(v) = value_after(msg, "- Device release number:") {
            candidate.release = hex::parse_number(v.trim(), 0xffff).ok().map(|n| n as u16);
        } else if msg.starts_with("Device matches") {
            matched = Some(candidate.clone());
        } else if msg.starts_with("Report Descriptor size =") {
            descriptor_size_line = Some(number);
        } else if let Some(path) = parse_path(msg) {
            paths.push(path);
        } else if let Some((name, count, rest)) = dump_header(msg) {
            let what = match name {
                "Report Descriptor" => DumpKind::Descriptor,
                "Report[get]" | "Report[buf]" | "Report[set]" => DumpKind::Feature,
                "Report[int]" => DumpKind::Input,
                n if n.starts_with("HID descriptor") => {
                    hid = hex_line(rest, number).ok();
                    continue;
                }
                _ => DumpKind::Ignored,
            };
            if what == DumpKind::Ignored {
                continue;
            }
            if count > 65_535 {
                return Err(ImportError {
                    line: number,
                    message: format!("a dump of {count} bytes is too large"),
                });
            }
            let d = Dump {
                what,
                expected: count,
                bytes: hex_line(rest, number)?,
                start: number,
            };
            finish_dump(d, &mut descriptor, &mut features, &mut inputs, &mut dump)?;
        }
    }
    if let Some(d) = dump {
        return Err(ImportError {
            line: d.start,
            message: format!(
                "hex dump of {} bytes ends after {} bytes (end of the log)",
                d.expected,
                d.bytes.len()
            ),
        });
    }
    let Some(descriptor) = descriptor else {
        let message = match descriptor_size_line {
            Some(n) => format!("no report descriptor bytes found: the log gives only its size (line {n}); it needs `usbhid-ups -DDDDD` output with a `Report Descriptor: (N bytes) => ...` dump"),
            None => "no `Report Descriptor: (N bytes) => ...` dump found (run `usbhid-ups -DDDDD` to get one)".to_owned(),
        };
        return Err(ImportError { line: 0, message });
    };
    let device = matched.unwrap_or(candidate);
    build(device, descriptor, hid, features, inputs, &paths, &upsc)
}

fn finish_dump(
    d: Dump,
    descriptor: &mut Option<Vec<u8>>,
    features: &mut BTreeMap<u8, Vec<u8>>,
    inputs: &mut BTreeMap<u8, Vec<u8>>,
    pending: &mut Option<Dump>,
) -> Result<(), ImportError> {
    if d.bytes.len() < d.expected {
        *pending = Some(d);
        return Ok(());
    }
    if d.bytes.len() > d.expected {
        return Err(ImportError {
            line: d.start,
            message: format!(
                "hex dump announces {} bytes but holds {}",
                d.expected,
                d.bytes.len()
            ),
        });
    }
    match d.what {
        DumpKind::Descriptor => *descriptor = Some(d.bytes),
        DumpKind::Feature | DumpKind::Input => {
            if let Some(&id) = d.bytes.first() {
                let map = if d.what == DumpKind::Feature {
                    features
                } else {
                    inputs
                };
                map.insert(id, d.bytes);
            }
        }
        DumpKind::Ignored => {}
    }
    Ok(())
}

fn build(
    device: Candidate,
    descriptor: Vec<u8>,
    hid: Option<Vec<u8>>,
    features: BTreeMap<u8, Vec<u8>>,
    inputs: BTreeMap<u8, Vec<u8>>,
    paths: &[PathLine],
    upsc: &BTreeMap<String, String>,
) -> Result<Import, ImportError> {
    let mut notes = Vec::new();
    let upsc_hex = |key: &str| {
        upsc.get(key)
            .and_then(|v| hex::parse_number(v, 0xffff).ok())
            .map(|n| n as u16)
    };
    let vendor = device.vendor.or_else(|| upsc_hex("ups.vendorid"));
    let product = device.product.or_else(|| upsc_hex("ups.productid"));
    let (Some(vendor_id), Some(product_id)) = (vendor, product) else {
        return Err(ImportError {
            line: 0,
            message: "no USB vendor/product ids found (`Checking device (VVVV/PPPP)` or `- VendorID:` lines)".to_owned(),
        });
    };
    let mut spec = DeviceSpec {
        vendor_id,
        product_id,
        report_descriptor: descriptor,
        ..DeviceSpec::default()
    };
    if let Some(b) = device.bus {
        spec.bus = b;
    }
    if let Some(a) = device.address.filter(|a| *a > 0) {
        spec.address = a;
    }
    if let Some(r) = device.release {
        spec.bcd_device = r;
    }
    if let Some(h) = hid.filter(|h| h.len() >= 9 && h[1] == 0x21) {
        spec.hid_version = u16::from_le_bytes([h[2], h[3]]);
        spec.hid_country = h[4];
    }
    // Report values, id first on the wire unless the device has no report ids.
    for (id, bytes) in features {
        spec.features.insert(id, bytes);
    }
    for (id, bytes) in inputs {
        spec.inputs.insert(id, bytes);
    }
    // String indices the log reveals through `i...` usages.
    let mut index_of: BTreeMap<&str, u8> = BTreeMap::new();
    for p in paths {
        let usage = p.path.rsplit('.').next().unwrap_or("");
        if usage.starts_with('i') && usage.len() > 1 && usage.as_bytes()[1].is_ascii_uppercase() {
            if let Ok(v) = p.value.trim().parse::<u8>() {
                if v > 0 {
                    index_of.entry(usage).or_insert(v);
                }
            }
        }
    }
    let mut used: BTreeSet<u8> = index_of.values().copied().collect();
    let pick = |preferred: Option<u8>, used: &mut BTreeSet<u8>| -> u8 {
        if let Some(p) = preferred {
            return p;
        }
        let free = (1..=255u8).find(|i| !used.contains(i)).unwrap_or(255);
        used.insert(free);
        free
    };
    let manufacturer = device.manufacturer.clone();
    if manufacturer.is_some() {
        let preferred = index_of
            .get("iManufacturer")
            .or(index_of.get("iOEMInformation"))
            .copied();
        spec.i_manufacturer = pick(preferred, &mut used);
    }
    if device.product_name.is_some() {
        spec.i_product = pick(index_of.get("iProduct").copied(), &mut used);
    }
    if device.serial.is_some() {
        spec.i_serial = pick(index_of.get("iSerialNumber").copied(), &mut used);
    }
    for (usage, index) in &index_of {
        let text = match *usage {
            "iManufacturer" | "iOEMInformation" => manufacturer.clone(),
            "iProduct" => device.product_name.clone(),
            "iSerialNumber" => device.serial.clone(),
            "iDeviceChemistry" => upsc.get("battery.type").cloned(),
            "iName" => upsc.get("device.model").or(upsc.get("ups.model")).cloned(),
            _ => None,
        };
        match text {
            Some(t) => {
                spec.strings.entry(*index).or_insert(t);
            }
            None => notes.push(format!(
                "string {index} ({usage}) is not in the log: left out"
            )),
        }
    }
    if let Some(m) = manufacturer {
        spec.strings.insert(spec.i_manufacturer, m);
    }
    if let Some(p) = device.product_name {
        spec.strings.insert(spec.i_product, p);
    }
    if let Some(s) = device.serial {
        spec.strings.insert(spec.i_serial, s);
    }
    // Reports the log names (Path lines) without their raw bytes.
    let mut missing: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    for p in paths {
        if !spec.features.contains_key(&p.report) && !spec.inputs.contains_key(&p.report) {
            missing
                .entry(p.report)
                .or_default()
                .push(format!("{} ({}) = {}", p.path, p.kind, p.value));
        }
    }
    Ok(Import {
        spec,
        notes,
        missing,
    })
}

/// The device file of an import, with a header naming the source and the notes.
pub fn render(import: &Import, source: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Device file made by `usb-emu import` from {source}\n"
    ));
    for note in &import.notes {
        out.push_str(&format!("# NOTE: {}\n", note.replace('\n', " ")));
    }
    for (id, items) in &import.missing {
        let note = format!(
            "report 0x{id:02x} has no raw bytes in the log: {}",
            items.join("; ")
        );
        out.push_str(&format!("# NOTE: {}\n", note.replace('\n', " ")));
    }
    out.push_str(&import.spec.to_text());
    out
}

/// Imports and renders in one go, checking that the device file reads back.
pub fn import_to_text(text: &str, source: &str) -> Result<String, ImportError> {
    render_checked(&import_log(text)?, source)
}

/// [`render`], checking that the device file reads back.
pub fn render_checked(import: &Import, source: &str) -> Result<String, ImportError> {
    let rendered = render(import, source);
    DeviceSpec::parse(&rendered, source).map_err(|e| ImportError {
        line: 0,
        message: format!("internal error: the device file does not read back: {e}"),
    })?;
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "   0.000000\t[D2] Checking device 1 of 2 (0463/FFFF)\n\
   0.000100\t[D2] - VendorID: 0463\n\
   0.000200\t[D2] Device does not match - skipping\n\
   0.001000\t[D2] Checking device 2 of 2 (051D/0002)\n\
   0.001100\t[D2] - VendorID: 051d\n\
   0.001100\t[D2] - ProductID: 0002\n\
   0.001200\t[D2] - Manufacturer: American Power Conversion\n\
   0.001300\t[D2] - Product: Back-UPS 500 FW: 6.5.I USB FW: c1 \n\
   0.001400\t[D2] - Serial Number: AB0427\n\
   0.001500\t[D2] - Bus: 003\n\
   0.001500\t[D2] - Device: unknown\n\
   0.001600\t[D2] - Device release number: 0106\n\
   0.001700\t[D2] Device matches\n\
   0.002000\t[D3] HID descriptor, method 1: (9 bytes) => 09 21 11 01 21 01 22 0b 00\n\
   0.003000\t[D3] Report Descriptor: (11 bytes) => 05 84 09 04\n\
   0.003000\t[D3]  a1 01 85 01 09 fe\n\
   0.003000\t[D3]  c0\n\
   0.004000\t[D3] Report[get]: (2 bytes) => 01 01\n\
   0.004100\t[D1] Path: UPS.PowerSummary.iProduct, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8, Value: 1\n\
   0.004200\t[D3] Report[get]: (2 bytes) => 03 04\n\
   0.004300\t[D1] Path: UPS.PowerSummary.iDeviceChemistry, Type: Feature, ReportID: 0x03, Offset: 0, Size: 8, Value: 4\n\
   0.004400\t[D3] Report[err]: (2 bytes) => 07 00\n\
   0.004500\t[D1] Path: UPS.PowerSummary.Voltage, Type: Feature, ReportID: 0x09, Offset: 0, Size: 16, Value: 13.6\n\
   0.004600\t[D3] Report[int]: (3 bytes) => 0b 04 00\n\
   0.004700\t[D3] Report[get]: (2 bytes) => 01 02\n";

    #[test]
    fn imports_a_raw_log() {
        let import = import_log(LOG);
        let Ok(import) = import else {
            panic!("{import:?}");
        };
        let spec = &import.spec;
        assert_eq!(
            (spec.vendor_id, spec.product_id, spec.bcd_device, spec.bus),
            (0x051d, 2, 0x0106, 3)
        );
        assert_eq!(spec.report_descriptor.len(), 11);
        assert_eq!((spec.hid_version, spec.hid_country), (0x0111, 0x21));
        assert_eq!(
            spec.features.get(&1),
            Some(&vec![1, 2]),
            "the latest value wins"
        );
        assert_eq!(spec.features.get(&3), Some(&vec![3, 4]));
        assert_eq!(spec.inputs.get(&0x0b), Some(&vec![0x0b, 4, 0]));
        assert!(
            !spec.features.contains_key(&7),
            "Report[err] is not a value"
        );
        assert_eq!(spec.i_product, 1);
        assert_eq!(
            spec.strings.get(&1).map(String::as_str),
            Some("Back-UPS 500 FW: 6.5.I USB FW: c1 ")
        );
        assert_eq!(
            spec.strings.get(&spec.i_serial).map(String::as_str),
            Some("AB0427")
        );
        assert!(
            import.missing.get(&9).is_some_and(|m| m
                .iter()
                .any(|p| p.contains("Voltage") && p.contains("13.6"))),
            "{:?}",
            import.missing
        );
        assert_eq!(import.missing.len(), 1, "{:?}", import.missing);
        assert!(
            import.notes.iter().any(|n| n.contains("iDeviceChemistry")),
            "{:?}",
            import.notes
        );
        let text = render(&import, "test.log");
        assert!(
            text.contains("# NOTE: report 0x09 has no raw bytes"),
            "{text}"
        );
        assert_eq!(
            DeviceSpec::parse(&text, "x").map(|s| s.report_descriptor.len()),
            Ok(11)
        );
    }

    #[test]
    fn imports_dev_comment_blocks() {
        let dev: String = LOG
            .lines()
            .map(|l| format!("# {}\n", l.trim_start()))
            .collect();
        let dev = format!("battery.type: PbAc\nups.vendorid: 051d\n\n{dev}");
        let Ok(import) = import_log(&dev) else {
            panic!("dev import");
        };
        assert_eq!(
            import.spec.strings.get(&4).map(String::as_str),
            Some("PbAc")
        );
    }

    #[test]
    fn errors_have_line_numbers() {
        let e = import_log("nothing here\n").err();
        assert_eq!(e.as_ref().map(|e| e.line), Some(0));
        assert!(e
            .map(|e| e.message)
            .unwrap_or_default()
            .contains("Report Descriptor"));
        let e = import_log("Report Descriptor size = 495\n").err();
        assert!(e.map(|e| e.message).unwrap_or_default().contains("line 1"));
        let bad = LOG.replace("a1 01 85 01 09 fe", "a1 01 85 zz 09 fe");
        let e = import_log(&bad).err();
        assert_eq!(e.map(|e| e.line), Some(15));
        let short = LOG.replace("[D3]  c0\n", "[D3] Report Descriptor size = 11\n");
        let e = import_log(&short).err();
        assert_eq!(e.as_ref().map(|e| e.line), Some(15), "{e:?}");
        let e = import_log("Report Descriptor: (2 bytes) => 05 84 09\n").err();
        assert_eq!(e.map(|e| e.line), Some(1));
        let e = import_log("Report Descriptor: (2 bytes) => 05 84\n").err();
        assert!(e.map(|e| e.message).unwrap_or_default().contains("vendor"));
    }

    #[test]
    fn cleaning() {
        assert_eq!(clean("#    0.089608\tPath: x"), ("Path: x", true));
        assert_eq!(clean("# [D3]  79 01"), (" 79 01", true));
        assert_eq!(clean("  12.5 [D1] a"), ("a", false));
        assert_eq!(clean("1.2.3 x"), ("1.2.3 x", false));
        assert_eq!(
            id_pair("Checking device (06DA/FFFF) (001/004)"),
            Some((0x06da, 0xffff))
        );
        assert_eq!(
            bus_pair("Checking device (06DA/FFFF) (001/004)"),
            Some((1, 4))
        );
    }
}
