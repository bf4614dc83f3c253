//! CyberPower replies: any bytes taken as C's reply buffer are read as every text layout,
//! as comma-separated fields, as a binary identification and as a binary status frame of
//! both series, looked up in every register: no panic; the simulated unit takes any command
//! in both protocols.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::powerpanel::reply::{
    binary_ident, fmt_g, series, strtod, text_fields, text_status, text_status_long,
    text_words, BinaryStatus, Series, BUF, REGISTERS,
};
use nut_drivers::sim::{powerpanel, UpsModel};

fuzz_target!(|data: &[u8]| {
    let mut buf = data.to_vec();
    buf.resize(data.len().max(BUF), 0);
    if let Some(s) = text_status(&buf).or_else(|| text_status_long(&buf)) {
        assert!(!text_words(&s).is_empty());
    }
    for f in text_fields(&buf) {
        let _ = fmt_g(strtod(&f));
    }
    let _ = series(&buf);
    let _ = binary_ident(data);
    if let Some(frame) = BinaryStatus::parse(data) {
        for s in [Series::Pr, Series::Op] {
            assert_eq!(frame.values(s).len(), 6);
        }
        assert!(!frame.words().is_empty());
    }
    for r in REGISTERS {
        for b in data.iter().take(4) {
            let _ = r.lookup(Series::Pr, *b);
            let _ = r.lookup(Series::Op, *b);
        }
    }
    for protocol in ["binary", "text"] {
        let mut model = UpsModel::new();
        model
            .settings
            .insert("powerpanel.protocol".into(), protocol.into());
        for cmd in data.split(|&b| b == b'\r') {
            let _ = powerpanel::respond(&mut model, cmd);
        }
    }
});
