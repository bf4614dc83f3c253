//! The text C NUT 2.8.0 prints about fields in its debug output: the `Path: …` lines of
//! `HIDDumpTree` (`usbhid-ups -D`, the `explore` subdriver) and C's `%g` number format.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::descriptor::{Field, ReportDescriptor};
use super::usage::{path_to_string, UsageTable};

/// Formats a number as C's `printf("%g")` does: six significant digits, trailing zeros
/// removed, exponent form (`1e+06`, `1.5e-05`) below 1e-4 or from 1e6 on; `inf`, `-inf`,
/// `nan`, `-nan`, `-0` as glibc prints them.
pub fn format_g(value: f64) -> String {
    const PRECISION: i32 = 6;
    if value.is_nan() {
        return if value.is_sign_negative() {
            "-nan"
        } else {
            "nan"
        }
        .to_owned();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, value);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..PRECISION).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            strip_fraction_zeros(mantissa),
            exponent.unsigned_abs()
        )
    } else {
        let decimals = (PRECISION - 1 - exponent) as usize;
        strip_fraction_zeros(&format!("{value:.decimals$}")).to_owned()
    }
}

/// Removes trailing zeros after a decimal point, and the point when nothing follows it.
fn strip_fraction_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// The part of C's line that does not depend on the value.
fn describe(field: &Field, tables: &[UsageTable]) -> String {
    let mut line = String::new();
    let _ = write!(
        line,
        "Path: {}, Type: {}, ReportID: 0x{:02x}, Offset: {}, Size: {}",
        path_to_string(&field.path, tables),
        field.report_type,
        field.report_id,
        field.offset,
        field.size
    );
    line
}

/// C's debug line for a field and its physical value, without the `[D1] ` prefix:
/// `Path: UPS.PowerSummary.iProduct, Type: Feature, ReportID: 0x01, Offset: 0, Size: 8, Value: 1`.
pub fn dump_line(field: &Field, value: f64, tables: &[UsageTable]) -> String {
    let mut line = describe(field, tables);
    line.push_str(", Value: ");
    line.push_str(&format_g(value));
    line
}

/// C's debug line for a field whose report could not be read (no `Value:` part).
pub fn dump_line_without_value(field: &Field, tables: &[UsageTable]) -> String {
    describe(field, tables)
}

/// Whether C's `HIDDumpTree` leaves this report out for this device: reports 254 and 255 of
/// Eaton/MGE (0x0463) and Dell (0x047c) units, report 0x54 of the Tripp Lite SU3000LCD2UHV
/// (09ae:1330).
pub fn dump_skips(vendor_id: u16, product_id: u16, report_id: u8) -> bool {
    match (vendor_id, product_id) {
        (0x0463 | 0x047c, _) => report_id >= 254,
        (0x09ae, 0x1330) => report_id == 0x54,
        _ => false,
    }
}

/// The physical value C computes for `field` from the bytes a GET_REPORT returned: C reads
/// them into a zeroed buffer of [`ReportDescriptor::report_len`] bytes (extra bytes are cut,
/// missing ones stay zero). `None` when nothing was returned, which C treats as a failure.
pub fn value_from_report(desc: &ReportDescriptor, field: &Field, bytes: &[u8]) -> Option<f64> {
    if bytes.is_empty() {
        return None;
    }
    let len = desc.report_len(field.report_id, field.report_type);
    let mut buffer = vec![0u8; len];
    let n = len.min(bytes.len());
    buffer[..n].copy_from_slice(&bytes[..n]);
    Some(field.to_physical(field.logical_value(&buffer)))
}

/// The `Path:` lines of C's `HIDDumpTree`, in its order (every field, except those
/// [`dump_skips`] leaves out), each with the value read from `reports` (report id → the bytes
/// GET_REPORT returned, id byte first), or without a value when `reports` has nothing for
/// that id. C's other debug lines (the object count, the `Report[get]` hex dumps, read errors)
/// are not produced.
pub fn dump_tree(
    desc: &ReportDescriptor,
    vendor_id: u16,
    product_id: u16,
    reports: &BTreeMap<u8, Vec<u8>>,
    tables: &[UsageTable],
) -> Vec<String> {
    desc.fields
        .iter()
        .filter(|field| !dump_skips(vendor_id, product_id, field.report_id))
        .map(|field| {
            let value = reports
                .get(&field.report_id)
                .and_then(|bytes| value_from_report(desc, field, bytes));
            match value {
                Some(value) => dump_line(field, value, tables),
                None => dump_line_without_value(field, tables),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_like_glibc() {
        // expected strings printed by glibc's printf("%g")
        let cases: [(f64, &str); 17] = [
            (123456.5, "123456"),
            (2.5, "2.5"),
            (1234565.0, "1.23456e+06"),
            (0.5, "0.5"),
            (1234575.0, "1.23458e+06"),
            (0.000123456785, "0.000123457"),
            (1e-5, "1e-05"),
            (123456789.0, "1.23457e+08"),
            (-0.0, "-0"),
            (100000.0, "100000"),
            (999999.5, "1e+06"),
            (9999995.0, "1e+07"),
            (0.1, "0.1"),
            (13.6, "13.6"),
            (1e300, "1e+300"),
            (5e-324, "4.94066e-324"),
            (-1.0, "-1"),
        ];
        for (value, text) in cases {
            assert_eq!(format_g(value), text, "{value:e}");
        }
        assert_eq!(format_g(f64::INFINITY), "inf");
        assert_eq!(format_g(f64::NAN), "nan");
        assert_eq!(format_g(2580.0), "2580");
        assert_eq!(format_g(0.0001), "0.0001");
    }

    #[test]
    fn dump_skips_as_c() {
        assert!(dump_skips(0x0463, 0xffff, 254));
        assert!(dump_skips(0x047c, 0xffff, 255));
        assert!(!dump_skips(0x0463, 0xffff, 253));
        assert!(dump_skips(0x09ae, 0x1330, 0x54));
        assert!(!dump_skips(0x09ae, 0x3016, 0x54));
        assert!(!dump_skips(0x051d, 0x0002, 255));
    }
}
