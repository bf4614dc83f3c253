#![no_main]
//! The streaming tokenizer must give the same lines however the input is chunked, never panic,
//! and never keep more than its limits allow; its allocation-free fast path for plain lines
//! (what upsd uses first on every request) must give the same words as the full tokenizer.

use libfuzzer_sys::fuzz_target;
use nut_proto::tokenizer::{Limits, Line, TokenizeError, Tokenizer, MAX_WORDS, MAX_WORD_LEN};

fn run(data: &[u8], chunk: usize) -> Vec<Result<Line, TokenizeError>> {
    let mut tok = Tokenizer::with_limits(Limits::c_compatible().with_max_line_len(256));
    let mut out = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        let mut rest = piece;
        while let Some(line) = tok.feed(&mut rest) {
            out.push(line);
        }
    }
    out.extend(tok.finish());
    out
}

type Words = Vec<Result<Vec<String>, TokenizeError>>;

/// The words of the lines of `data` (whole), taking the fast path wherever it applies.
fn run_fast(data: &[u8]) -> Words {
    let mut tok = Tokenizer::with_limits(Limits::c_compatible().with_max_line_len(256));
    let mut out = Vec::new();
    let mut rest = data;
    let mut words = [""; 8];
    loop {
        if let Some(n) = tok.feed_plain(&mut rest, &mut words) {
            out.push(Ok(words[..n].iter().map(|w| (*w).to_owned()).collect()));
            continue;
        }
        match tok.feed(&mut rest) {
            Some(line) => out.push(line.map(|l| l.words)),
            None => break,
        }
    }
    out.extend(tok.finish().map(|r| r.map(|l| l.words)));
    out
}

fuzz_target!(|input: (u8, &[u8])| {
    let (chunk, data) = input;
    let whole = run(data, data.len());
    let chunked = run(data, usize::from(chunk % 16) + 1);
    assert_eq!(whole, chunked);
    let words: Words = whole
        .iter()
        .map(|r| r.clone().map(|l| l.words.clone()))
        .collect();
    assert_eq!(words, run_fast(data));
    for line in whole.iter().flatten() {
        assert!(line.words.len() <= MAX_WORDS);
        for word in &line.words {
            assert!(word.len() <= MAX_WORD_LEN);
            assert!(word.bytes().all(|b| (0x20..=0x7f).contains(&b)));
        }
    }
});
