#![no_main]
//! Bytes from a client → upsd's whole session logic (nut-server's connection line splitting
//! and sans-IO session, over a server state with four devices, writable variables, commands
//! and upsd.users) → replies. Never panics; every line the session handles gets exactly one
//! reply, made of well-formed protocol lines that nut-proto's response parser reads back as
//! one whole reply (a LIST included) and that encode back to the same bytes; LOGOUT ends the
//! session with `OK Goodbye`; no login outlives the session; and the replies do not depend
//! on how the bytes were split into reads.

use libfuzzer_sys::fuzz_target;
use nut_proto::net::{Response, ResponseAssembler};
use nut_server::fuzzing::{session, Transcript};

/// Tracking ids are random: compare replies without them.
fn normalised(t: &Transcript) -> Vec<Vec<u8>> {
    t.replies
        .iter()
        .map(|r| {
            if r.starts_with(b"OK TRACKING ") {
                b"OK TRACKING *\n".to_vec()
            } else {
                r.clone()
            }
        })
        .collect()
}

fn check_reply(reply: &[u8]) {
    let text = String::from_utf8_lossy(reply);
    assert!(
        reply.ends_with(b"\n"),
        "reply without its line feed: {text:?}"
    );
    let mut asm = ResponseAssembler::new();
    let mut whole: Vec<Response> = Vec::new();
    for line in reply.split_inclusive(|&b| b == b'\n') {
        match asm.push_line(line) {
            Ok(Some(response)) => whole.push(response),
            Ok(None) => {}
            Err(e) => panic!("reply {text:?} does not parse: {e}"),
        }
    }
    assert!(!asm.is_in_list(), "unfinished list: {text:?}");
    assert_eq!(whole.len(), 1, "not one reply: {text:?}");
    assert_eq!(whole[0].encode().as_bytes(), reply, "{:?}", whole[0]);
}

fuzz_target!(|data: &[u8]| {
    // As the connection task reads: 512 bytes at a time.
    let t = session(data, 512);
    for reply in &t.replies {
        check_reply(reply);
    }
    assert!(
        t.unattributed.is_empty(),
        "bytes written outside a line: {:?}",
        String::from_utf8_lossy(&t.unattributed)
    );
    if t.closed {
        assert_eq!(
            t.replies.last().map(Vec::as_slice),
            Some(&b"OK Goodbye\n"[..])
        );
    }
    assert_eq!(t.logins_left, 0, "a login outlived its session");

    // The same bytes in small reads: the same replies.
    let small = session(data, 7);
    assert_eq!(normalised(&small), normalised(&t));
    assert_eq!(small.closed, t.closed);
    assert_eq!(small.delivered.len(), t.delivered.len());
});
