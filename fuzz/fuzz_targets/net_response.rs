#![no_main]
//! Bytes → reply lines → response assembler, as a client reads a connection. Never panics;
//! every reply decoded encodes to text that decodes back to the same reply, and that text is
//! stable under another round.

use libfuzzer_sys::fuzz_target;
use nut_proto::net::{Response, ResponseAssembler};

fn decode_all(wire: &[u8]) -> Vec<Response> {
    let mut asm = ResponseAssembler::new();
    let mut out = Vec::new();
    for line in wire.split_inclusive(|&b| b == b'\n') {
        match asm.push_line(line) {
            Ok(Some(response)) => out.push(response),
            Ok(None) => {}
            Err(e) => panic!("{:?} does not decode: {e}", String::from_utf8_lossy(wire)),
        }
    }
    assert!(!asm.is_in_list());
    out
}

fuzz_target!(|data: &[u8]| {
    let mut asm = ResponseAssembler::with_max_list_items(64);
    for line in data.split_inclusive(|&b| b == b'\n') {
        let Ok(Some(response)) = asm.push_line(line) else {
            continue;
        };
        let wire = response.encode();
        assert_eq!(decode_all(wire.as_bytes()), [response.clone()], "{wire:?}");
        assert_eq!(decode_all(wire.as_bytes())[0].encode(), wire);
    }
});
