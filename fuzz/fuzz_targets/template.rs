#![no_main]
//! upsstats templates: any bytes parse without panicking; every command reads back from its
//! written form to itself (but for IFEQ/IFBETWEEN words lost to C's splitting); and a template of short lines without NUL bytes, long commands
//! or invalid UTF-8 is written back byte for byte.

use libfuzzer_sys::fuzz_target;
use nut_proto::template::{Command, Segment, Template, MAX_COMMAND, MAX_LINE};

fuzz_target!(|data: &[u8]| {
    let template = Template::parse(data);
    let _ = template.warnings();
    for line in template.lines() {
        for segment in &line.segments {
            if let Segment::Command(c) = segment {
                let text = c.to_string();
                // Words split at spaces do not all come back: empty ones, and past 15.
                let lossy = match c {
                    Command::IfEq(w) | Command::IfBetween(w) => {
                        w.len() >= 15 || w.iter().any(String::is_empty)
                    }
                    _ => false,
                };
                if !lossy {
                    assert_eq!(&Command::parse(&text), c, "{text:?}");
                }
            }
        }
    }
    let plain = std::str::from_utf8(data).is_ok()
        && !data.contains(&0)
        && data.split(|&b| b == b'\n').all(|l| l.len() < MAX_LINE.min(MAX_COMMAND))
        && !data.windows(2).any(|w| w == b"IF");
    if plain {
        assert_eq!(template.to_bytes(), data);
        assert_eq!(Template::parse(&template.to_bytes()), template);
    }
});
