//! HID report descriptors: any bytes given to the parser must be either accepted or refused,
//! never panic; for every field of an accepted descriptor, reading a value from arbitrary
//! report bytes, scaling it both ways, printing it and its path must not panic, and writing the
//! value back into a C-sized report buffer must read back the same value (when the field's
//! logical range is not inverted).
//!
//! Input layout: two bytes giving the descriptor length (little endian), the descriptor, then
//! the report bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::usb::hid::vendor_usages::{APC_USAGES, MGE_USAGES};
use nut_drivers::usb::hid::{
    dump_line, path_to_string, string_to_path, ReportDescriptor, HID_USAGES,
};

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let split = usize::from(u16::from_le_bytes(*head)).min(rest.len());
    let (descriptor, report) = rest.split_at(split);
    let Ok(desc) = ReportDescriptor::parse(descriptor) else {
        return;
    };
    let tables = [MGE_USAGES, APC_USAGES, HID_USAGES];
    for field in &desc.fields {
        let len = desc.report_len(field.report_id, field.report_type);
        assert!(len >= 1);
        let mut buffer = vec![0u8; len];
        let n = len.min(report.len());
        buffer[..n].copy_from_slice(&report[..n]);
        let value = field.logical_value(&buffer);
        if field.logical_min <= field.logical_max {
            assert!(value >= field.logical_min && value <= field.logical_max);
            let mut written = buffer.clone();
            field.set_logical_value(&mut written, value);
            assert_eq!(field.logical_value(&written), value, "{field:?}");
        }
        let physical = field.to_physical(value);
        let _ = field.to_logical(physical);
        let line = dump_line(field, physical, &tables);
        assert!(line.starts_with("Path: "));
        let text = path_to_string(&field.path, &tables);
        let _ = string_to_path(&text, &tables);
        let _ = desc.find(&field.path, Some(field.report_type));
    }
    let _ = desc.report_ids();
    // any text as a path
    if let Ok(text) = std::str::from_utf8(report) {
        if let Some(path) = string_to_path(text, &tables) {
            let _ = desc.find(&path, None);
            let _ = path_to_string(&path, &tables);
        }
    }
});
