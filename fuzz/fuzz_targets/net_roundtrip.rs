#![no_main]
//! Arbitrary requests and replies → encode → decode gives the same value and the same text.

use libfuzzer_sys::fuzz_target;
use nut_proto::net::{Request, Response, ResponseAssembler};

fuzz_target!(|input: (Request, Response)| {
    let (request, response) = input;

    let wire = request.encode();
    let decoded = Request::decode(wire.as_bytes())
        .unwrap_or_else(|e| panic!("{wire:?} does not decode: {e}"));
    assert_eq!(decoded, request, "{wire:?}");
    assert_eq!(decoded.encode(), wire);

    let wire = response.encode();
    let mut asm = ResponseAssembler::new();
    let mut decoded = Vec::new();
    for line in wire.as_bytes().split_inclusive(|&b| b == b'\n') {
        match asm.push_line(line) {
            Ok(Some(r)) => decoded.push(r),
            Ok(None) => {}
            Err(e) => panic!("{wire:?} does not decode: {e}"),
        }
    }
    assert_eq!(decoded, [response], "{wire:?}");
    assert_eq!(decoded[0].encode(), wire);
});
