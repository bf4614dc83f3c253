//! The parser against real descriptors and C's own debug logs, from `../shared/testdata`:
//! every corpus descriptor must parse, and every `Path: …` line C logged for a unit must name a
//! field of that unit's descriptor with the same type, report id, offset and size, with the same
//! printed value where the raw report bytes were logged too.
//!
//! Skips (with a message) when the test data is absent, fails then when `NUT_RS_INTEROP=1`.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use super::vendor_usages::{
    APC_USAGES, BELKIN_USAGES, CPS_USAGES, IDOWELL_USAGES, LEGRAND_USAGES, LIEBERT_USAGES,
    MGE_USAGES, POWERCOM_USAGES, SALICRU_USAGES, TRIPPLITE_USAGES,
};
use super::*;

fn testdata() -> Option<PathBuf> {
    crate::test_data::recorded("hid/corpus").and_then(|c| Some(c.parent()?.parent()?.to_path_buf()))
}

fn hex_bytes(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map_while(|w| u8::from_str_radix(w, 16).ok())
        .collect()
}

/// The tables of the C subdriver that wrote each log (its own table, then HID_USAGES), by
/// corpus folder; `explore` (and units no subdriver claims) use HID_USAGES alone.
fn tables_for(folder: &str) -> Vec<UsageTable> {
    let vendor: Option<UsageTable> = match folder {
        // the log was taken with `-x explore`
        "APC_Back-UPS_CS_500" | "PowerCOM_USB-to-Serial-0d9f-0002" => None,
        f if f.starts_with("APC_") => Some(APC_USAGES),
        f if f.starts_with("CyberPower_") => Some(CPS_USAGES),
        f if f.starts_with("Eaton_") || f.starts_with("IBM_") || f.starts_with("Santak_") => {
            Some(MGE_USAGES)
        }
        // 06da:ffff goes to liebert-hid in 2.8.0 (mge-hid lets it go unless "AEG")
        f if f.starts_with("PowerWalker_VI-1") || f.starts_with("PowerWalker_VI-3") => {
            Some(LIEBERT_USAGES)
        }
        f if f.starts_with("Legrand_") => Some(LEGRAND_USAGES),
        // 10af is Liebert's id in belkin-hid
        f if f.starts_with("Liebert_") => Some(BELKIN_USAGES),
        f if f.starts_with("PowerCOM_") => Some(POWERCOM_USAGES),
        f if f.starts_with("TrippLite_") => Some(TRIPPLITE_USAGES),
        f if f.starts_with("iDowell_") => Some(IDOWELL_USAGES),
        f if f.starts_with("Salicru_") => Some(SALICRU_USAGES),
        _ => None,
    };
    vendor.into_iter().chain([HID_USAGES]).collect()
}

/// Depth of collections at the end of an item walk (independent of the parser).
fn collection_balance(desc: &[u8]) -> Option<i32> {
    let (mut pos, mut depth) = (0usize, 0i32);
    while pos < desc.len() {
        let prefix = desc[pos];
        if prefix == 0xFE {
            let len = usize::from(*desc.get(pos + 1)?);
            pos += 3 + len;
            continue;
        }
        match prefix & 0xFC {
            0xA0 => depth += 1,
            0xC0 => depth -= 1,
            _ => {}
        }
        pos += 1 + [0, 1, 2, 4][usize::from(prefix & 3)];
    }
    (pos == desc.len()).then_some(depth)
}

#[test]
fn every_corpus_descriptor_parses() {
    let Some(data) = testdata() else { return };
    let mut folders: Vec<_> = fs::read_dir(data.join("hid/corpus"))
        .expect("corpus folder")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("report-descriptor.hex").is_file())
        .map(|e| e.path())
        .collect();
    folders.sort();
    assert!(folders.len() >= 54, "{} corpus folders", folders.len());
    for folder in &folders {
        let text = fs::read_to_string(folder.join("report-descriptor.hex")).expect("hex");
        let bytes = hex_bytes(&text);
        assert_eq!(collection_balance(&bytes), Some(0), "{}", folder.display());
        let desc =
            ReportDescriptor::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        assert!(!desc.is_truncated());
        for field in &desc.fields {
            assert!(field.path.len() + field.stale_nodes.len() == MAX_PATH_DEPTH);
            assert!(desc.report_len(field.report_id, field.report_type) >= 1);
        }
        eprintln!(
            "{}: {} bytes, {} fields, {} reports",
            folder.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            bytes.len(),
            desc.fields.len(),
            desc.report_ids().len()
        );
    }
    let bin = fs::read(data.join("hid/APC_Back-UPS_CS_500.report-descriptor.bin")).expect("bin");
    let hex = fs::read_to_string(data.join("hid/corpus/APC_Back-UPS_CS_500/report-descriptor.hex"))
        .expect("hex");
    assert_eq!(bin, hex_bytes(&hex));
    let desc = ReportDescriptor::parse(&bin).expect("CS 500");
    assert_eq!(desc.fields.len(), 35, "C logged '35 HID objects found'");
}

/// One `Path:` line of a C log, with the report bytes logged for it (if any).
#[derive(Debug)]
struct Logged {
    path: String,
    report_type: String,
    report_id: u8,
    offset: u32,
    size: u32,
    value: Option<String>,
    bytes: Option<Vec<u8>>,
}

fn parse_path_line(line: &str) -> Option<Logged> {
    let start = line.find("Path: ")?;
    let mut rest = &line[start + 6..];
    let mut bytes = None;
    if let Some((head, tail)) = rest.split_once("<=  Report bytes: ") {
        rest = head.trim_end();
        bytes = Some(hex_bytes(tail.split('[').next().unwrap_or("")));
    }
    let parts: Vec<&str> = rest.split(", ").collect();
    let field = |name: &str| {
        parts
            .iter()
            .find_map(|p| p.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(','))
    };
    Some(Logged {
        path: parts.first()?.to_string(),
        report_type: field("Type: ")?.to_string(),
        report_id: u8::from_str_radix(field("ReportID: 0x")?, 16).ok()?,
        offset: field("Offset: ")?.parse().ok()?,
        size: field("Size: ")?.parse().ok()?,
        value: field("Value: ").map(str::to_owned),
        bytes,
    })
}

/// The `Path:` lines of a log; raw bytes are taken from the last `Report[...]` line before
/// each (continuation lines of a wrapped hex dump included).
fn logged_lines(text: &str) -> Vec<Logged> {
    let mut out = Vec::new();
    let mut last_report: Option<Vec<u8>> = None;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if let Some(at) = line.find("Report[") {
            if let Some((_, hex)) = line[at..].split_once("=> ") {
                let mut bytes = hex_bytes(hex);
                let want = line[at..]
                    .split_once('(')
                    .and_then(|(_, r)| r.split_once(" bytes"))
                    .and_then(|(n, _)| n.parse::<usize>().ok())
                    .unwrap_or(bytes.len());
                let mut j = i + 1;
                while bytes.len() < want && j < lines.len() {
                    let more = lines[j].trim_start_matches('#').trim_start();
                    let more = more.strip_prefix("[D3]").unwrap_or(more);
                    bytes.extend(hex_bytes(more));
                    j += 1;
                }
                last_report = Some(bytes);
            }
            continue;
        }
        if let Some(mut logged) = parse_path_line(line) {
            // the 2008 PowerCOM log prints the value on the next line
            if logged.value.is_none() {
                if let Some(v) = lines
                    .get(i + 1)
                    .and_then(|l| l.trim().strip_prefix("Value: "))
                {
                    logged.value = Some(v.trim().to_owned());
                }
            }
            if logged.bytes.is_none() {
                logged.bytes = last_report.clone();
            }
            out.push(logged);
        }
    }
    out
}

/// Descriptor bytes from a `Report Descriptor: (N bytes) => …` block of a log.
fn logged_descriptor(text: &str) -> Option<Vec<u8>> {
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains("Report Descriptor: ("))?;
    let want: usize = lines[i]
        .split_once("Report Descriptor: (")?
        .1
        .split_once(" bytes")?
        .0
        .parse()
        .ok()?;
    let mut bytes = hex_bytes(lines[i].split_once("=> ")?.1);
    for line in &lines[i + 1..] {
        if bytes.len() >= want {
            break;
        }
        let more = line.trim_start_matches('#').trim_start();
        bytes.extend(hex_bytes(more.strip_prefix("[D3]").unwrap_or(more)));
    }
    (bytes.len() == want).then_some(bytes)
}

#[derive(Default, Debug)]
struct Tally {
    lines: usize,
    /// Same path text, type, report id, offset and size.
    exact: usize,
    /// Same place, but a component C named with a table of another NUT version.
    renamed: usize,
    with_value: usize,
    values: usize,
    /// Values the re-rendered sources rounded to an integer.
    rounded: usize,
    misses: Vec<String>,
}

/// Whether the logged path differs from ours only where the log names a node that the 2.8.0
/// tables leave unnamed (printed as 8 hex digits), or in letter case.
fn renamed_only(ours: &str, logged: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.split('.').collect(), logged.split('.').collect());
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x.eq_ignore_ascii_case(y) || (x.len() == 8 && x.bytes().all(|c| c.is_ascii_hexdigit()))
        })
}

fn check_log(
    name: &str,
    desc: &ReportDescriptor,
    tables: &[UsageTable],
    log: &str,
    verbatim: bool,
) -> Tally {
    let mut tally = Tally::default();
    for logged in logged_lines(log) {
        tally.lines += 1;
        let at_place = |f: &&Field| {
            f.report_type.to_string() == logged.report_type
                && f.report_id == logged.report_id
                && f.offset == logged.offset
                && f.size == logged.size
        };
        let exact = desc
            .fields
            .iter()
            .filter(at_place)
            .find(|f| path_to_string(&f.path, tables) == logged.path);
        let field = match exact {
            Some(field) => {
                tally.exact += 1;
                field
            }
            None => {
                let renamed = desc
                    .fields
                    .iter()
                    .filter(at_place)
                    .find(|f| renamed_only(&path_to_string(&f.path, tables), &logged.path));
                let Some(field) = renamed else {
                    tally
                        .misses
                        .push(format!("{name}: no field for {logged:?}"));
                    continue;
                };
                tally.renamed += 1;
                eprintln!(
                    "  {name}: logged {} is our {}",
                    logged.path,
                    path_to_string(&field.path, tables)
                );
                field
            }
        };
        let (Some(value), Some(bytes)) = (&logged.value, &logged.bytes) else {
            continue;
        };
        tally.with_value += 1;
        let Some(ours) = value_from_report(desc, field, bytes) else {
            tally
                .misses
                .push(format!("{name}: no value for {}", logged.path));
            continue;
        };
        let text = format_g(ours);
        if &text == value
            || (value.contains('.') && value.parse::<f64>().ok() == text.parse::<f64>().ok())
        {
            tally.values += 1;
        } else if !verbatim && value.parse::<i64>().ok() == Some(ours.round() as i64) {
            tally.rounded += 1;
        } else {
            tally.misses.push(format!(
                "{name}: value {text} != logged {value} for {}",
                dump_line(field, ours, tables)
            ));
        }
    }
    tally
}

/// C's CyberPower fix-up (`cps_fix_report_desc`, 0764:0501): when the output voltage (report
/// 18) has the logical range of the high voltage transfer (report 16), it becomes 0..511.
fn cps_fix(desc: &mut ReportDescriptor) {
    let Some(hvt) = desc.find_by_id_node(16, 0x0084_0054) else {
        return;
    };
    let range = (hvt.logical_min, hvt.logical_max);
    if let Some(field) = desc
        .fields
        .iter_mut()
        .find(|f| f.report_id == 18 && f.path.last() == Some(&0x0084_0030))
    {
        if (field.logical_min, field.logical_max) == range {
            field.logical_min = 0;
            field.logical_max = 511;
        }
    }
}

#[test]
fn c_logs_match_our_fields_and_values() {
    let Some(data) = testdata() else { return };
    let corpus = data.join("hid/corpus");
    let mut sources: Vec<(String, Vec<u8>, Vec<UsageTable>, String)> = Vec::new();
    for entry in fs::read_dir(&corpus)
        .expect("corpus")
        .filter_map(Result::ok)
    {
        let folder = entry.file_name().to_string_lossy().into_owned();
        let Ok(log) = fs::read_to_string(entry.path().join("values.txt")) else {
            continue;
        };
        let hex = fs::read_to_string(entry.path().join("report-descriptor.hex")).expect("hex");
        sources.push((folder.clone(), hex_bytes(&hex), tables_for(&folder), log));
    }
    // nut-ddl reports with C's own HID debug blocks
    let ddl = data.join("nut-ddl");
    let apc = fs::read_to_string(ddl.join("APC/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev"))
        .expect("nut-ddl APC CS 500");
    let apc_desc = logged_descriptor(&apc).expect("descriptor in the APC log");
    sources.push((
        "nut-ddl APC CS 500 (explore)".into(),
        apc_desc,
        vec![HID_USAGES],
        apc,
    ));
    // only Path lines; INDEX.md: they fit the VI 1200 SHL descriptor exactly (liebert-hid)
    let pw = fs::read_to_string(
        ddl.join("PowerWalker/PowerWalker__VI_2200_SH__usbhid-ups__2.7.4__01.dev"),
    )
    .expect("nut-ddl PowerWalker");
    let pw_hex = fs::read_to_string(corpus.join("PowerWalker_VI-1200-SHL/report-descriptor.hex"))
        .expect("VI 1200 SHL");
    sources.push((
        "nut-ddl PowerWalker VI 2200 SH".into(),
        hex_bytes(&pw_hex),
        vec![LIEBERT_USAGES, HID_USAGES],
        pw,
    ));
    sources.sort_by(|a, b| a.0.cmp(&b.0));

    let mut total = Tally::default();
    for (name, bytes, tables, log) in &sources {
        let mut desc = ReportDescriptor::parse(bytes).expect("descriptor parses");
        if name.starts_with("CyberPower_CP1500PFCLCD") {
            cps_fix(&mut desc);
        }
        // verbatim C output: the nut-ddl blocks and the corpus files that say so
        let verbatim = name.starts_with("nut-ddl") || log.starts_with("# Verbatim");
        let tally = check_log(name, &desc, tables, log, verbatim);
        eprintln!(
            "{name}: {} lines: {} exact, {} renamed; values {} identical, {} rounded by the source, of {}",
            tally.lines, tally.exact, tally.renamed, tally.values, tally.rounded, tally.with_value
        );
        total.lines += tally.lines;
        total.exact += tally.exact;
        total.renamed += tally.renamed;
        total.with_value += tally.with_value;
        total.values += tally.values;
        total.rounded += tally.rounded;
        total.misses.extend(tally.misses);
    }
    for miss in &total.misses {
        eprintln!("  MISS {miss}");
    }
    eprintln!(
        "total: {} lines: {} exact, {} renamed; values {} identical, {} rounded by the source, of {}",
        total.lines, total.exact, total.renamed, total.values, total.rounded, total.with_value
    );
    assert!(total.lines > 400, "{} lines", total.lines);
    assert!(total.misses.is_empty(), "{} misses", total.misses.len());
}

#[test]
fn dump_tree_reproduces_c_explore_output() {
    let Some(data) = testdata() else { return };
    let log = fs::read_to_string(data.join("hid/corpus/APC_Back-UPS_CS_500/values.txt"))
        .expect("APC CS 500 values");
    let mut reports = BTreeMap::new();
    let mut expected = Vec::new();
    for line in log.lines() {
        if let Some((_, hex)) = line.split_once("Report[get]: ") {
            let bytes = hex_bytes(hex.split_once("=> ").map_or("", |(_, h)| h));
            reports
                .entry(bytes.first().copied().unwrap_or(0))
                .or_insert(bytes);
        }
        if let Some(path) = line.strip_prefix("[D1] ") {
            expected.push(path.to_owned());
        }
    }
    let bin = fs::read(data.join("hid/APC_Back-UPS_CS_500.report-descriptor.bin")).expect("bin");
    let desc = ReportDescriptor::parse(&bin).expect("CS 500");
    let lines = dump_tree(&desc, 0x051d, 0x0002, &reports, &[HID_USAGES]);
    assert_eq!(lines, expected);
    // a report that cannot be read prints the line without a value
    reports.remove(&1);
    let lines = dump_tree(&desc, 0x051d, 0x0002, &reports, &[HID_USAGES]);
    assert_eq!(
        lines[0],
        "Path: UPS.PowerSummary.iProduct, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8"
    );
}
