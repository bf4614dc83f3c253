#![no_main]
//! upsset.conf: any bytes parse without panicking, and upsset is enabled only when the magic
//! word is in the text: as C's parser, the tokenizer drops bytes it does not take (a warning
//! says so), so the word may come with dropped bytes inside, but never from bytes that are
//! not there.

use libfuzzer_sys::fuzz_target;
use nut_proto::config::{UpssetConf, UPSSET_MAGIC};

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = UpssetConf::parse(data, "upsset.conf") {
        // The magic word's bytes, in order, with anything between them.
        let mut rest = data.iter();
        let has_magic = UPSSET_MAGIC
            .bytes()
            .all(|b| rest.by_ref().any(|&d| d == b));
        assert!(!parsed.config.secured || has_magic);
        assert!(parsed.warnings.iter().all(|w| w.line >= 1));
    }
});
