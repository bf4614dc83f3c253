//! APC Smart replies: any bytes read in any mode, taken as a command set or a capability
//! table, or converted as any variable, must never panic; and the simulated device must
//! answer any byte sequence, and say its alerts after any of them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::apcsmart::reply::{cmdset_chars, line_end, parse_caps, parse_line, ReadMode};
use nut_drivers::apcsmart::tables::{convert, VARS};
use nut_drivers::sim::{apc, UpsModel};

fuzz_target!(|data: &[u8]| {
    for mode in [
        ReadMode::Plain,
        ReadMode::Alerts,
        ReadMode::Caps,
        ReadMode::CmdSet,
        ReadMode::Shutdown,
    ] {
        let line = parse_line(data, mode);
        // The driver parses what it drains up to the first end of line: the same reply.
        if let Some(end) = line_end(data, mode) {
            assert_eq!(parse_line(&data[..=end], mode), line);
        }
        assert!(line.text.len() <= 4 * nut_drivers::apcsmart::reply::MAX_REPLY);
        let _ = cmdset_chars(&line.text);
        let _ = parse_caps(line.text.as_bytes());
        for v in VARS {
            let _ = convert(v.format, &line.text);
            if let Some(s) = v.shape {
                let _ = s.matches(&line.text);
            }
        }
    }
    let _ = parse_caps(data);
    let mut model = UpsModel::new();
    let (mut pending, mut out) = (Vec::new(), Vec::new());
    apc::feed_model(&mut model, &mut pending, data, &mut out);
    model.apply("mains-lost").unwrap();
    let model = std::sync::Arc::new(std::sync::Mutex::new(model));
    apc::alerts_due(&model, &mut pending, &mut out);
});
