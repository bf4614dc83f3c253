//! Glue of `usb-emu import`: the reports an imported log lacks, rebuilt from its `Path:`
//! lines with [`nut_drivers::usb::hid::rebuild_reports`].

use nut_drivers::usb::hid::{input_only, rebuild_reports, ReportDescriptor};
use nut_usb_emu::import::Import;

/// Puts into `import` the reports it lacks ([`Import::missing`]) rebuilt from the `Path:`
/// lines of `log` (the text it was imported from): raw bytes from the log always win, and the
/// reports that cannot be rebuilt stay in `missing`. Adds a note naming the rebuilt reports
/// and the lines that fit no field. Returns how many reports were rebuilt.
pub fn fill_missing_reports(import: &mut Import, log: &str) -> usize {
    if import.missing.is_empty() {
        return 0;
    }
    let desc = match ReportDescriptor::parse(&import.spec.report_descriptor) {
        Ok(desc) => desc,
        Err(e) => {
            import.notes.push(format!(
                "the report descriptor does not parse ({e}): reports not rebuilt from `Path:` values"
            ));
            return 0;
        }
    };
    let rebuilt = rebuild_reports(&desc, log);
    let mut done = Vec::new();
    for (id, bytes) in rebuilt.reports {
        let raw = import.spec.features.contains_key(&id) || import.spec.inputs.contains_key(&id);
        if raw || import.missing.remove(&id).is_none() {
            continue;
        }
        let map = if input_only(&desc, id) {
            &mut import.spec.inputs
        } else {
            &mut import.spec.features
        };
        map.insert(id, bytes);
        done.push(format!("0x{id:02x}"));
    }
    if !done.is_empty() {
        import.notes.push(format!(
            "reports {} rebuilt from `Path:` values (fields the log does not show are zero)",
            done.join(", ")
        ));
    }
    if !rebuilt.unmatched.is_empty() {
        import.notes.push(format!(
            "`Path:` lines that fit no field of the descriptor: {}",
            rebuilt.unmatched.join("; ")
        ));
    }
    done.len()
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

    const LOG: &str = "\
   0.100000\t[D1] Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8, Value: 50\n\
   0.100100\t[D1] Path: UPS.PowerSummary.Voltage, Type: Feature, ReportID: 0x01, Offset: 8, Size: 16, Value: 13.6\n\
   0.100200\t[D1] Path: UPS.PowerSummary.ACPresent, Type: Input, ReportID: 0x02, Offset: 0, Size: 1, Value: 1\n\
   0.100300\t[D1] Path: UPS.PowerSummary.Charging, Type: Input, ReportID: 0x02, Offset: 1, Size: 1\n\
   0.100400\t[D1] Path: UPS.PowerSummary.Nothing, Type: Feature, ReportID: 0x01, Offset: 40, Size: 8, Value: 3\n\
   0.100500\t[D1] Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x01, Offset: 0, Size: 16, Value: 4\n\
   # 0.200000\tPath: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8, Value: 95  <=  remark\n";

    #[test]
    fn fills_only_the_missing_reports() {
        let hex: Vec<String> = DESC.iter().map(|b| format!("{b:02x}")).collect();
        let log = format!(
            "- VendorID: 051d\n- ProductID: 0002\nDevice matches\n\
             Report Descriptor: ({} bytes) => {}\n\
             Report[get]: (4 bytes) => 01 0a 00 00\n{LOG}",
            DESC.len(),
            hex.join(" ")
        );
        let imported = nut_usb_emu::import_log(&log);
        let Ok(mut import) = imported else {
            panic!("{imported:?}");
        };
        assert_eq!(import.missing.keys().copied().collect::<Vec<_>>(), vec![2]);
        assert_eq!(fill_missing_reports(&mut import, &log), 1);
        assert!(import.missing.is_empty());
        // Raw bytes win over the Path values of report 1; report 2 is Input only.
        assert_eq!(import.spec.features.get(&1), Some(&vec![0x01, 0x0a, 0, 0]));
        assert_eq!(import.spec.inputs.get(&2), Some(&vec![0x02, 0x01]));
        assert!(!import.spec.features.contains_key(&2));
        assert!(import
            .notes
            .iter()
            .any(|n| n.contains("reports 0x02 rebuilt")));
        assert!(import.notes.iter().any(|n| n.contains("Offset: 40")));
        let text = nut_usb_emu::import::render_checked(&import, "t.log");
        assert!(text.is_ok_and(|t| t.contains("input 02 01") && !t.contains("no raw bytes")));

        // Nothing missing: nothing to do, even with a descriptor that does not parse.
        let mut bare = import.clone();
        bare.spec.report_descriptor = vec![0xc0];
        assert_eq!(fill_missing_reports(&mut bare, &log), 0);
        bare.missing.insert(7, vec!["x".into()]);
        assert_eq!(fill_missing_reports(&mut bare, &log), 0);
        assert_eq!(bare.missing.len(), 1);
        assert!(bare.notes.iter().any(|n| n.contains("does not parse")));
    }
}
