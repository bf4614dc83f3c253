//! Units rebuilt from apcupsd's `.rpt` dumps (`../shared/testdata/apcupsd`): each gives an
//! APC unit's USB ids, strings and every report's values, field by field, but no report
//! descriptor. The descriptor is borrowed from the recorded APC unit of the HID corpus whose
//! reports have the same ids, kinds and numbers of values (the firmware families share their
//! layouts), and the dump's values are written into it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nut_drivers::usb::hid::{
    usage_name, vendor_usages::APC_USAGES, ReportDescriptor, ReportType, HID_USAGES,
};

use super::{hex_bytes, Unit};
use crate::support::testdata;

/// One report of the dump: its id, whether apcupsd read it as a feature report, and its
/// values in field order (usage name as apcupsd prints it, raw logical value).
#[derive(Debug)]
struct RptReport {
    id: u8,
    feature: bool,
    values: Vec<(String, i64)>,
}

/// What a dump says of its unit.
#[derive(Debug, Default)]
struct Rpt {
    vendor: u16,
    product: u16,
    version: u16,
    strings: BTreeMap<u8, String>,
    /// String indices of the product, serial and maker strings.
    indices: [u8; 3],
    reports: Vec<RptReport>,
}

fn hex(text: &str) -> Option<u16> {
    u16::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()
}

fn parse(text: &str) -> Result<Rpt, String> {
    let mut rpt = Rpt::default();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("HID: vendor ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            rpt.vendor = words.first().and_then(|w| hex(w)).ok_or("vendor id")?;
            rpt.product = words.get(2).and_then(|w| hex(w)).ok_or("product id")?;
            rpt.version = words.get(4).and_then(|w| hex(w)).unwrap_or(0x0100);
        } else if let Some((feature, id)) = trimmed
            .strip_prefix("InputReport ")
            .map(|id| (false, id))
            .or_else(|| trimmed.strip_prefix("FeatureReport ").map(|id| (true, id)))
        {
            rpt.reports.push(RptReport {
                id: id
                    .trim()
                    .parse()
                    .map_err(|_| format!("report id in {line:?}"))?,
                feature,
                values: Vec::new(),
            });
        } else if let Some(rest) = trimmed.strip_prefix("Usage ") {
            // `Usage 0, RemainingCapacity = 100 percent`, `Usage 0, iProduct = 1  Back-UPS ...`
            let Some((_, rest)) = rest.split_once(", ") else {
                continue;
            };
            let Some((name, rest)) = rest.split_once(" = ") else {
                continue;
            };
            let (value, note) = rest.split_once(' ').unwrap_or((rest, ""));
            let value: i64 = value.parse().map_err(|_| format!("value in {line:?}"))?;
            let report = rpt.reports.last_mut().ok_or("a value before any report")?;
            report.values.push((name.to_owned(), value));
            // A string index (`iProduct`, `iDeviceChemistry`, ...) is followed by its text.
            let is_index = name.len() > 1
                && name.starts_with('i')
                && name[1..].starts_with(|c: char| c.is_ascii_uppercase());
            let string = note
                .strip_prefix(' ')
                .filter(|_| is_index)
                .map(str::trim_end);
            if let (Some(text), Ok(index)) = (string, u8::try_from(value)) {
                let slot = match name {
                    "iProduct" => Some(0),
                    "iSerialNumber" => Some(1),
                    "iManufacturer" | "iOEMInformation" => Some(2),
                    _ => None,
                };
                if index > 0 && !text.is_empty() {
                    // The text as the unit gives it (apcupsd trims nothing but the line end).
                    let raw = line.trim_start().split_once("  ").map_or(text, |(_, t)| t);
                    rpt.strings.insert(index, raw.to_owned());
                    if let Some(slot) = slot {
                        if rpt.indices[slot] == 0 || name == "iManufacturer" {
                            rpt.indices[slot] = index;
                        }
                    }
                }
            }
        }
    }
    if rpt.vendor == 0 || rpt.reports.is_empty() {
        return Err("not an apcupsd HID report dump".into());
    }
    Ok(rpt)
}

/// The recorded APC descriptors of the corpus, by folder name.
fn apc_descriptors() -> Vec<(String, Vec<u8>)> {
    let root = testdata().join("hid/corpus");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs.into_iter()
        .filter(|d| {
            std::fs::read_to_string(d.join("device.txt"))
                .is_ok_and(|t| t.contains("usb.vendorid: 0x051d"))
        })
        .filter_map(|d| {
            let hex = std::fs::read_to_string(d.join("report-descriptor.hex")).ok()?;
            let bytes = hex
                .split_whitespace()
                .filter_map(|b| u8::from_str_radix(b, 16).ok())
                .collect();
            Some((d.file_name()?.to_string_lossy().into_owned(), bytes))
        })
        .collect()
}

/// The kind of the descriptor's fields for a report of the dump.
fn kinds(report: &RptReport) -> &'static [ReportType] {
    if report.feature {
        &[ReportType::Feature]
    } else {
        // apcupsd reads input reports; the drivers ask for the same values as features.
        &[ReportType::Input, ReportType::Feature]
    }
}

/// The descriptor's value fields of report `id` of `ty`, in order.
fn fields_of(
    desc: &ReportDescriptor,
    id: u8,
    ty: ReportType,
) -> Vec<&nut_drivers::usb::hid::Field> {
    desc.fields
        .iter()
        .filter(|f| f.report_id == id && f.report_type == ty && !f.is_constant())
        .collect()
}

/// How well `desc` fits the dump: reports whose value count matches, then usage names that
/// agree.
fn fit(desc: &ReportDescriptor, rpt: &Rpt) -> (usize, usize) {
    let tables = [APC_USAGES, HID_USAGES];
    let mut reports = 0;
    let mut names = 0;
    for report in &rpt.reports {
        let fields = fields_of(desc, report.id, kinds(report)[0]);
        if fields.len() != report.values.len() {
            continue;
        }
        reports += 1;
        for (field, (name, _)) in fields.iter().zip(&report.values) {
            let ours = field
                .path
                .last()
                .and_then(|n| usage_name(*n, &tables))
                .unwrap_or_default();
            if ours.eq_ignore_ascii_case(name) {
                names += 1;
            }
        }
    }
    (reports, names)
}

impl Unit {
    /// The unit of an apcupsd dump, on the best-fitting recorded APC descriptor; `Err` when
    /// the dump does not parse or no descriptor fits 4 in 5 of its reports.
    pub(crate) fn from_apcupsd(path: &Path) -> Result<Self, String> {
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        let bytes = std::fs::read(path).map_err(|e| format!("{file}: {e}"))?;
        let text = String::from_utf8_lossy(&bytes);
        let rpt = parse(&text).map_err(|e| format!("{file}: {e}"))?;
        let (borrowed, descriptor, desc) = apc_descriptors()
            .into_iter()
            .filter_map(|(name, bytes)| {
                let desc = ReportDescriptor::parse(&bytes).ok()?;
                Some((name, bytes, desc))
            })
            .max_by_key(|(_, _, desc)| fit(desc, &rpt))
            .ok_or_else(|| format!("{file}: no recorded APC descriptor"))?;
        let (matched, _) = fit(&desc, &rpt);
        // Firmware revisions add or drop a few reports: at least 4 in 5 must fit (the others
        // read as zeros).
        if matched * 5 < rpt.reports.len() * 4 {
            return Err(format!(
                "{file}: the closest descriptor ({borrowed}) fits {matched} of {} reports",
                rpt.reports.len()
            ));
        }
        let mut reports: BTreeMap<(u8, bool), Vec<u8>> = BTreeMap::new();
        for report in &rpt.reports {
            for ty in kinds(report) {
                let fields = fields_of(&desc, report.id, *ty);
                if fields.len() != report.values.len() {
                    continue;
                }
                let buf = reports
                    .entry((report.id, *ty == ReportType::Feature))
                    .or_insert_with(|| {
                        let mut b = vec![0; desc.report_len(report.id, *ty)];
                        b[0] = report.id;
                        b
                    });
                for (field, (_, value)) in fields.iter().zip(&report.values) {
                    field.set_logical_value(buf, *value);
                }
            }
        }
        let [product, serial, maker] = rpt.indices;
        let mut text = format!(
            "vendor-id {:04x}\nproduct-id {:04x}\nbcd-device {:04x}\n",
            rpt.vendor, rpt.product, rpt.version
        );
        for (index, s) in &rpt.strings {
            let s = s.replace('\\', "\\\\").replace('"', "\\\"");
            text.push_str(&format!("string {index} \"{s}\"\n"));
        }
        text.push_str(&format!(
            "product-index {product}\nserial-index {serial}\nmanufacturer-index {maker}\n"
        ));
        text.push_str(&format!("report-descriptor {}\n", hex_bytes(&descriptor)));
        for ((_, feature), bytes) in &reports {
            let kind = if *feature { "feature" } else { "input" };
            text.push_str(&format!("{kind} {}\n", hex_bytes(bytes)));
        }
        Ok(Self {
            name: format!(
                "{file} (apcupsd, {matched} of {} reports on the descriptor of {borrowed})",
                rpt.reports.len()
            ),
            text,
            descriptor,
        })
    }

    /// Every apcupsd dump of the test data, rebuilt (or why not).
    pub(crate) fn apcupsd() -> Vec<Result<Self, String>> {
        let root = testdata().join("apcupsd");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|f| f.extension().is_some_and(|e| e == "rpt"));
        files.sort();
        files.iter().map(|f| Self::from_apcupsd(f)).collect()
    }
}
