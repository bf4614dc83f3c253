#![no_main]
//! upsset.conf: any bytes parse without panicking, and upsset is enabled only when the magic
//! word is in the text.

use libfuzzer_sys::fuzz_target;
use nut_proto::config::{UpssetConf, UPSSET_MAGIC};

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = UpssetConf::parse(data, "upsset.conf") {
        let has_magic = data
            .windows(UPSSET_MAGIC.len())
            .any(|w| w == UPSSET_MAGIC.as_bytes());
        assert!(!parsed.config.secured || has_magic);
        assert!(parsed.warnings.iter().all(|w| w.line >= 1));
    }
});
