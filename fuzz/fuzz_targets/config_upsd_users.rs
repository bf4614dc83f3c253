#![no_main]
//! upsd.users: any bytes parse without panicking, and whatever parses is written and read back
//! to the same configuration (and the same text). The same bytes, read as an `Arbitrary`
//! configuration, must round-trip too.

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use nut_proto::config::UpsdUsers;

fn round_trip(config: &UpsdUsers) {
    let text = config.to_text();
    let back = UpsdUsers::parse(text.as_bytes(), "upsd.users")
        .unwrap_or_else(|e| panic!("written text does not parse: {e}\n{text}"));
    assert_eq!(&back.config, config, "\n{text}");
    assert_eq!(back.config.to_text(), text);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = UpsdUsers::parse(data, "upsd.users") {
        assert!(parsed.warnings.iter().all(|w| w.line >= 1));
        round_trip(&parsed.config);
    }
    if let Ok(value) = UpsdUsers::arbitrary_take_rest(Unstructured::new(data)) {
        round_trip(&value);
    }
});
