//! The mapping tables of C NUT 2.8.0's `snmp-ups-helpers.c`, as Rust data.
//!
//! Generated from C NUT 2.8.0's table by the extractor in `extract/`: do not edit
//! by hand, regenerate (see `extract/README.md`).

use crate::snmp::mib::{Hook, Lookup};

/// The lookup C's `su_convert_to_iso_date_info`.
pub static SU_CONVERT_TO_ISO_DATE_INFO: [Lookup; 1] = [Lookup {
    value: 1,
    text: Some("dummy"),
    hook: Some(Hook::UsDateToIso),
}];
