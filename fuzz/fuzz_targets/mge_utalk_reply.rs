//! U-Talk replies: any text taken as an identification (`Si 1`, legacy `Si`), a
//! multiplier-table reply, the four status bit strings and a value of every variable under
//! every table must never panic; the simulated unit takes any command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::mge_utalk::reply::{
    extract, legacy_model, legacy_numbers, model_and_firmware, status_words, table, ITEMS,
};
use nut_drivers::sim::{mge_utalk, UpsModel};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = model_and_firmware(&text);
    let (a, b) = legacy_numbers(&text);
    let _ = legacy_model(a, b);
    let _ = table(&text);
    let parts: Vec<&str> = text.split('\r').collect();
    let get = |i: usize| parts.get(i).copied().unwrap_or("");
    let _ = status_words(&[get(0), get(1), get(2), get(3)]);
    for t in 0..4 {
        for item in &ITEMS {
            assert!(extract(&text, item, t).len() <= 31);
        }
    }
    let mut model = UpsModel::new();
    for cmd in data.split(|&b| b == b'\r') {
        let _ = mge_utalk::respond(&mut model, cmd);
    }
});
