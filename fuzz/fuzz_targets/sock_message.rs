#![no_main]
//! Arbitrary bytes on a driver socket, read by both ends: the streaming tokenizer splits them
//! into lines, each line is parsed as a driver message and as a server message. Nothing may
//! panic, and whatever parses must encode to a line that parses back to the same message and
//! encodes to the same text again. `ups.status` parsing of the same words must round-trip too.

use libfuzzer_sys::fuzz_target;
use nut_proto::sock::{DriverMessage, ServerMessage};
use nut_proto::status::Status;
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
        if let Ok(msg) = DriverMessage::parse(&line.words) {
            let text = msg.to_line();
            let back = DriverMessage::parse_line(text.as_bytes())
                .unwrap_or_else(|e| panic!("{msg:?} encoded as {text:?}: {e}"));
            assert_eq!(back, msg, "{text:?}");
            assert_eq!(back.to_line(), text);
        }
        if let Ok(msg) = ServerMessage::parse(&line.words) {
            let text = msg.to_line();
            let back = ServerMessage::parse_line(text.as_bytes())
                .unwrap_or_else(|e| panic!("{msg:?} encoded as {text:?}: {e}"));
            assert_eq!(back, msg, "{text:?}");
            assert_eq!(back.to_line(), text);
        }
        let status = Status::parse(&line.words.join(" "));
        let text = status.to_string();
        assert_eq!(Status::parse(&text), status);
        assert_eq!(Status::parse(&text).to_string(), text);
    }
});
