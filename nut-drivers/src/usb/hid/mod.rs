//! The HID layer of the USB HID power device driver (`usbhid-ups`), sans IO.
//!
//! It reproduces C NUT 2.8.0's HID parser and helpers (`hidparser.c`, `libhid.c`) exactly,
//! quirks included, so that our driver finds the same fields, reads the same values and prints
//! the same debug lines as C for the same device:
//!
//! - [`ReportDescriptor::parse`] turns a report descriptor into [`Field`]s (C's `HIDData_t`);
//! - [`Field::logical_value`], [`Field::set_logical_value`], [`Field::to_physical`] and
//!   [`Field::to_logical`] read, write and scale values in report buffers;
//! - [`path_to_string`] and [`string_to_path`] convert paths with usage name tables
//!   ([`HID_USAGES`] and the per-vendor tables in [`vendor_usages`]);
//! - [`dump_line`] and [`dump_tree`] print C's `Path: …` debug lines.
//!
//! ```
//! use nut_drivers::usb::hid::{path_to_string, ReportDescriptor, ReportType, HID_USAGES};
//!
//! // UPS / PowerSummary / RemainingCapacity, one byte in Feature report 6
//! let bytes = [
//!     0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, 0x09, 0x24, 0xa1, 0x00, 0x85, 0x06, 0x05, 0x85,
//!     0x09, 0x66, 0x75, 0x08, 0x95, 0x01, 0x15, 0x00, 0x25, 0x64, 0xb1, 0x02, 0xc0, 0xc0,
//! ];
//! let desc = ReportDescriptor::parse(&bytes)?;
//! let path = nut_drivers::usb::hid::string_to_path(
//!     "UPS.PowerSummary.RemainingCapacity",
//!     &[HID_USAGES],
//! )
//! .unwrap_or_default();
//! let field = desc.find(&path, Some(ReportType::Feature)).expect("declared above");
//! assert_eq!(desc.report_len(6, ReportType::Feature), 2);
//! assert_eq!(field.to_physical(field.logical_value(&[0x06, 95])), 95.0);
//! assert_eq!(path_to_string(&field.path, &[HID_USAGES]), "UPS.PowerSummary.RemainingCapacity");
//! # Ok::<(), nut_drivers::usb::hid::DescriptorError>(())
//! ```

mod descriptor;
mod dump;
mod parser;
mod rebuild;
mod usage;
mod value;
pub mod vendor_usages;

#[cfg(test)]
mod corpus_tests;

pub use descriptor::{
    DescriptorError, Field, ReportDescriptor, ReportType, MAX_DESCRIPTOR_LEN, MAX_FIELDS,
    MAX_PATH_DEPTH,
};
pub use dump::{
    dump_line, dump_line_without_value, dump_skips, dump_tree, format_g, value_from_report,
};
pub use rebuild::{input_only, rebuild_reports, Rebuilt};
pub use usage::{
    path_to_string, string_to_path, usage_code, usage_name, UsageTable, HID_USAGES, MAX_PATH_TEXT,
};
pub use value::{c_double_to_long, effective_exponent, power_of, UNIT_EXPONENT_CORRECTIONS};
