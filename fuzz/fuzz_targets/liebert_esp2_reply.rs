//! Liebert ESP-II replies: any bytes checked as a reply, read as an identification
//! string, a type word or a scaling word, and scaled for every variable, must never panic;
//! the simulated device must take any byte stream, and every answer it gives must be a
//! reply the driver accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::liebert_esp2::reply::{
    checksum, ident_chars, ident_text, parse_reply, scaled, ups_type, REPLY_LEN,
};
use nut_drivers::liebert_esp2::tables::{Multipliers, COMMON, IN_3, OUT_3};
use nut_drivers::printf::printf_number;
use nut_drivers::sim::{liebert, UpsModel};

fuzz_target!(|data: &[u8]| {
    match parse_reply(data) {
        Ok(v) => {
            assert_eq!(checksum(&data[..7]), data[7]);
            let (inp, out, _) = ups_type(v);
            assert!(inp <= 3 && out <= 3);
            let _ = ident_chars(v);
            for m in [Multipliers::default(), Multipliers::for_scaling(v)] {
                for r in COMMON.iter().chain(IN_3).chain(OUT_3) {
                    let _ = printf_number(r.fmt, scaled(m.get(r.mult), v));
                }
            }
        }
        Err(_) => assert!(data.len() < REPLY_LEN || checksum(&data[..7]) != data[7]),
    }
    let _ = ident_text(data);
    let model = UpsModel::shared();
    let (mut pending, mut out) = (data.to_vec(), Vec::new());
    liebert::feed(&model, &mut pending, &mut out);
    assert_eq!(out.len() % REPLY_LEN, 0);
    for reply in out.chunks(REPLY_LEN) {
        assert!(parse_reply(reply).is_ok());
    }
});
