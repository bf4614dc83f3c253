//! Report bytes rebuilt from C `usbhid-ups` debug lines, the inverse of [`dump_line`]:
//!
//! ```text
//! Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x08, Offset: 0, Size: 8, Value: 100
//! ```
//!
//! Many logs pasted in bug reports hold the report descriptor and these lines but not the raw
//! report bytes (C dumps them only from `-DDD` on). Given the descriptor, each line names one
//! field (report id, type and bit offset), and its physical value can be turned back into the
//! logical value the device sent; the fields a log does not show stay zero. `usb-emu import`
//! uses this for the reports that have no raw bytes in the log.
//!
//! ```
//! use nut_drivers::usb::hid::{rebuild_reports, ReportDescriptor};
//!
//! // UPS / PowerSummary / RemainingCapacity, one byte in Feature report 6
//! let desc = ReportDescriptor::parse(&[
//!     0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, 0x09, 0x24, 0xa1, 0x00, 0x85, 0x06, 0x05, 0x85,
//!     0x09, 0x66, 0x75, 0x08, 0x95, 0x01, 0x15, 0x00, 0x25, 0x64, 0xb1, 0x02, 0xc0, 0xc0,
//! ])?;
//! let log = "Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x06, \
//!            Offset: 0, Size: 8, Value: 95\n";
//! assert_eq!(rebuild_reports(&desc, log).reports[&6], vec![0x06, 95]);
//! # Ok::<(), nut_drivers::usb::hid::DescriptorError>(())
//! ```
//!
//! [`dump_line`]: super::dump_line

use std::collections::BTreeMap;

use super::{Field, ReportDescriptor, ReportType};

/// Report buffers rebuilt from `Path:` lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// One buffer per report id, as C reads it: the id byte, then the report's data bytes
    /// ([`ReportDescriptor::report_len`] in all), with the logged values written in (the
    /// latest line of a field wins) and zeros elsewhere.
    pub reports: BTreeMap<u8, Vec<u8>>,
    /// `Path:` lines with a value that name no field of the descriptor (no field of that
    /// type, report id and offset, or one of another size), trimmed to the `Path: ...` part.
    pub unmatched: Vec<String>,
}

/// One `Path:` line's report coordinates and value.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PathValue {
    ty: ReportType,
    id: u8,
    offset: u32,
    size: u32,
    value: f64,
}

/// The `Path: ...` part of a log line: `None` for other lines, for lines without a value (C
/// could not read the field) and for lines that do not parse.
fn parse_line(line: &str) -> Option<(&str, PathValue)> {
    let start = line.find("Path: ")?;
    let text = &line[start..];
    let get = |key: &str| -> Option<&str> {
        text.split(", ")
            .find_map(|p| p.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
    };
    let ty = match get("Type: ")? {
        "Feature" => ReportType::Feature,
        "Input" => ReportType::Input,
        "Output" => ReportType::Output,
        _ => return None,
    };
    let id = get("ReportID: ")?;
    let id = u8::from_str_radix(id.strip_prefix("0x").unwrap_or(id), 16).ok()?;
    let offset = get("Offset: ")?.parse().ok()?;
    let size = get("Size: ")?.parse().ok()?;
    let value = get("Value: ")?.parse().ok()?;
    // What follows C's `%g` (a trailing remark, a line end) is not part of the line.
    let end = text.find("Value: ").map_or(text.len(), |v| {
        let after = &text[v + 7..];
        v + 7 + after.find(char::is_whitespace).unwrap_or(after.len())
    });
    Some((
        &text[..end],
        PathValue {
            ty,
            id,
            offset,
            size,
            value,
        },
    ))
}

/// The logical value that C shows as `physical`: [`Field::to_logical`], or a neighbour of it
/// when that reads back closer (the `%g` text and the division by a power of ten can leave a
/// value just below a whole number, which `to_logical` truncates).
fn logical_for(field: &Field, physical: f64) -> i64 {
    let guess = field.to_logical(physical);
    let distance = |l: &i64| (field.to_physical(*l) - physical).abs();
    [guess, guess.saturating_add(1), guess.saturating_sub(1)]
        .into_iter()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .unwrap_or(guess)
}

/// Rebuilds the reports of `desc` whose values the `Path:` lines of `log` give (C's debug
/// output, raw or with `#`, timestamp and `[Dn]` prefixes; other lines are ignored).
pub fn rebuild_reports(desc: &ReportDescriptor, log: &str) -> Rebuilt {
    let mut rebuilt = Rebuilt::default();
    for line in log.lines() {
        let Some((text, p)) = parse_line(line) else {
            continue;
        };
        let field = desc
            .find_by_id_offset(p.id, p.offset, p.ty)
            .filter(|f| f.size == p.size);
        let Some(field) = field else {
            rebuilt.unmatched.push(text.to_owned());
            continue;
        };
        let buf = rebuilt.reports.entry(p.id).or_insert_with(|| {
            let mut b = vec![0; desc.report_len(p.id, p.ty).max(1)];
            b[0] = p.id;
            b
        });
        field.set_logical_value(buf, logical_for(field, p.value));
    }
    rebuilt
}

/// Whether the descriptor declares report `id` as Input only (no Feature or Output field):
/// its rebuilt value belongs in an `input` line of the device file, the others in `feature`.
pub fn input_only(desc: &ReportDescriptor, id: u8) -> bool {
    let mut types = desc
        .fields
        .iter()
        .filter(|f| f.report_id == id)
        .map(|f| f.report_type)
        .peekable();
    types.peek().is_some() && types.all(|t| t == ReportType::Input)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UPS / PowerSummary: report 1 Feature { RemainingCapacity 8 bits 0..100, Voltage 16 bits
    /// 0..65535 in volts, exponent -2 }; report 2 Input { ACPresent, Charging: 1 bit each,
    /// 6 bits padding }.
    const DESC: &[u8] = &[
        0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, 0x09, 0x24, 0xa1, 0x00, // UPS, PowerSummary
        0x85, 0x01, 0x05, 0x85, 0x09, 0x66, 0x75, 0x08, 0x95, 0x01, 0x15, 0x00, 0x25, 0x64, 0xb1,
        0x02, // RemainingCapacity
        0x05, 0x84, 0x09, 0x30, 0x75, 0x10, 0x27, 0xff, 0xff, 0x00, 0x00, 0x67, 0x21, 0xd1, 0xf0,
        0x00, 0x55, 0x05, 0xb1, 0x02, // Voltage, volts, exponent 5 (C: 5 - 7 = -2)
        0x05, 0x85, 0x85, 0x02, 0x75, 0x01, 0x95, 0x02, 0x15, 0x00, 0x25, 0x01, 0x65, 0x00, 0x55,
        0x00, 0x09, 0xd0, 0x09, 0x44, 0x81, 0x02, // ACPresent, Charging
        0x75, 0x06, 0x95, 0x01, 0x81, 0x03, // padding
        0xc0, 0xc0,
    ];

    fn desc() -> ReportDescriptor {
        let parsed = ReportDescriptor::parse(DESC);
        let Ok(desc) = parsed else {
            panic!("{parsed:?}");
        };
        desc
    }

    const LOG: &str = "\
   0.100000\t[D1] Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8, Value: 50\n\
   0.100100\t[D1] Path: UPS.PowerSummary.Voltage, Type: Feature, ReportID: 0x01, Offset: 8, Size: 16, Value: 13.6\n\
   0.100200\t[D1] Path: UPS.PowerSummary.ACPresent, Type: Input, ReportID: 0x02, Offset: 0, Size: 1, Value: 1\n\
   0.100300\t[D1] Path: UPS.PowerSummary.Charging, Type: Input, ReportID: 0x02, Offset: 1, Size: 1\n\
   0.100400\t[D1] Path: UPS.PowerSummary.Nothing, Type: Feature, ReportID: 0x01, Offset: 40, Size: 8, Value: 3\n\
   0.100500\t[D1] Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x01, Offset: 0, Size: 16, Value: 4\n\
   # 0.200000\tPath: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8, Value: 95  <=  remark\n";

    #[test]
    fn rebuilds_reports_from_path_lines() {
        let desc = desc();
        assert_eq!(desc.report_len(1, ReportType::Feature), 4);
        let rebuilt = rebuild_reports(&desc, LOG);
        // 95 (the latest line wins), 13.6 V = 1360 = 0x0550 (not 1359: %g text, exponent -2).
        assert_eq!(rebuilt.reports.get(&1), Some(&vec![0x01, 95, 0x50, 0x05]));
        // The Charging line has no value: its bit stays zero.
        assert_eq!(rebuilt.reports.get(&2), Some(&vec![0x02, 0x01]));
        assert_eq!(rebuilt.reports.len(), 2);
        assert_eq!(
            rebuilt.unmatched,
            vec![
                "Path: UPS.PowerSummary.Nothing, Type: Feature, ReportID: 0x01, Offset: 40, Size: 8, Value: 3",
                "Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x01, Offset: 0, Size: 16, Value: 4",
            ]
        );
        assert!(!input_only(&desc, 1));
        assert!(input_only(&desc, 2));
        assert!(!input_only(&desc, 3));
    }

    #[test]
    fn odd_lines_are_skipped() {
        let desc = desc();
        for line in [
            "Path: UPS.X, Type: Bogus, ReportID: 0x01, Offset: 0, Size: 8, Value: 1",
            "Path: UPS.X, Type: Feature, ReportID: 0xzz, Offset: 0, Size: 8, Value: 1",
            "Path: UPS.X, Type: Feature, ReportID: 0x01, Offset: -1, Size: 8, Value: 1",
            "Path: UPS.X, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8, Value: many",
            "Path: UPS.X",
            "Path: ",
            "",
        ] {
            assert_eq!(rebuild_reports(&desc, line), Rebuilt::default(), "{line}");
        }
        // Values out of range or not numbers C prints are clamped or cut, never a panic.
        let log = "Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8, Value: inf\n\
                   Path: UPS.PowerSummary.Voltage, Type: Feature, ReportID: 0x01, Offset: 8, Size: 16, Value: -1e+300\n";
        assert_eq!(rebuild_reports(&desc, log).reports.len(), 1);
    }
}
