#![no_main]
//! Arbitrary bytes as a cmdvartab file: the loader must not panic, every error must point at
//! a line of the input, and every description it keeps must be found again under its name
//! in any case.

use libfuzzer_sys::fuzz_target;
use nut_proto::cmdvartab::{Cmdvartab, DESCRIPTION_UNAVAILABLE};
use nut_proto::tokenizer::file_lines;

fuzz_target!(|data: &[u8]| {
    let (table, errors) = Cmdvartab::parse(data);
    let physical_lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    for error in &errors {
        assert!(error.line_no >= 1 && error.line_no <= physical_lines);
        assert!(!error.to_string().is_empty());
    }
    for line in file_lines(data).flatten() {
        let [keyword, name, ..] = line.words.as_slice() else {
            continue;
        };
        let upper = name.to_ascii_uppercase();
        match keyword.as_str() {
            "VARDESC" if line.words.len() >= 3 => {
                assert!(table.var_desc(&upper).is_some(), "{name:?}");
            }
            "CMDDESC" if line.words.len() >= 3 => {
                assert!(table.cmd_desc(&upper).is_some(), "{name:?}");
            }
            _ => {}
        }
    }
    let _ = table.var_desc_or_default(DESCRIPTION_UNAVAILABLE);
});
