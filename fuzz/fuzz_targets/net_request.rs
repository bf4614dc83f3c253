#![no_main]
//! Bytes → streaming tokenizer → request parser, as upsd reads a connection. Never panics;
//! every request that parses encodes to a line that decodes back to the same request, and
//! that line is stable under another round.

use libfuzzer_sys::fuzz_target;
use nut_proto::net::{Command, Request};
use nut_proto::tokenizer::{Limits, Tokenizer};

fuzz_target!(|data: &[u8]| {
    let mut tok = Tokenizer::with_limits(Limits::c_compatible().with_max_line_len(4096));
    let mut rest = data;
    let mut lines = Vec::new();
    while let Some(line) = tok.feed(&mut rest) {
        lines.push(line);
    }
    lines.extend(tok.finish());
    for line in lines.into_iter().flatten() {
        // The server's order: keyword, (authentication), arguments.
        let parsed = Command::split(&line.words)
            .and_then(|(command, args)| Request::parse_args(command, args));
        assert_eq!(parsed, Request::parse(&line.words));
        match parsed {
            Ok(request) => {
                let wire = request.encode();
                assert!(
                    wire.ends_with('\n') && wire.matches('\n').count() == 1,
                    "{wire:?}"
                );
                let again = Request::decode(wire.as_bytes())
                    .unwrap_or_else(|e| panic!("{wire:?} does not decode: {e}"));
                assert_eq!(again, request, "{wire:?}");
                assert_eq!(again.encode(), wire);
                assert_eq!(again.command(), request.command());
            }
            Err(err) => {
                // Every parse error of a tokenized line has an ERR code and a message.
                assert!(err.code().is_some(), "{err:?}");
                assert!(!err.to_string().is_empty());
            }
        }
    }
});
