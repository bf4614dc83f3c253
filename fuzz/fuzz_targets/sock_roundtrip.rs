#![no_main]
//! Arbitrary driver socket messages and `ups.status` values: encode → decode gives the same
//! value, and encoding that again gives the same text.

use libfuzzer_sys::fuzz_target;
use nut_proto::sock::{DriverMessage, ServerMessage};
use nut_proto::status::Status;

fuzz_target!(|input: (DriverMessage, ServerMessage, Status)| {
    let (driver, server, status) = input;

    let text = driver.to_line();
    let back = DriverMessage::parse_line(text.as_bytes())
        .unwrap_or_else(|e| panic!("{driver:?} encoded as {text:?}: {e}"));
    assert_eq!(back, driver, "{text:?}");
    assert_eq!(back.to_line(), text);

    let text = server.to_line();
    let back = ServerMessage::parse_line(text.as_bytes())
        .unwrap_or_else(|e| panic!("{server:?} encoded as {text:?}: {e}"));
    assert_eq!(back, server, "{text:?}");
    assert_eq!(back.to_line(), text);

    let text = status.to_string();
    let back = Status::parse(&text);
    assert_eq!(back, status, "{text:?}");
    assert_eq!(back.to_string(), text);
});
