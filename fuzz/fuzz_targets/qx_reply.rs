//! Q1 replies: any bytes given to any item of any Q* dialect's table (and to the dialects'
//! own reply and value processing) must be either accepted or refused, never panic; and
//! the simulated device must answer any command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_driver_api::DeviceState;
use nut_drivers::qx::blazer::status_bit;
use nut_drivers::qx::dialect::ALL;
use nut_drivers::qx::engine::Engine;
use nut_drivers::qx::{bestups, mecer, voltronic_qs_hex};
use nut_drivers::qx::item::{extract, format_value, Process};
use nut_drivers::sim::q1::{respond, Q1Dialect};
use nut_drivers::sim::UpsModel;

fuzz_target!(|data: &[u8]| {
    for dialect in ALL {
        for item in dialect.table() {
            let Ok(raw) = extract(&item, data, Some("NAK")) else {
                continue;
            };
            match item.process {
                Process::StatusBit => {
                    let _ = status_bit(item.from, &raw, 230.0, 220.0);
                }
                _ => {
                    if let Ok(v) = format_value(&item, &raw) {
                        assert!(!v.is_empty());
                    }
                }
            }
        }
    }
    // The dialects' own processing (bestups, mecer, voltronic-qs) through the engine.
    for dialect in ALL {
        let mut engine = Engine::new(dialect);
        let mut state = DeviceState::new();
        let _ = state.set("input.voltage.nominal", "230");
        for idx in 0..engine.items.len() {
            if let Ok(raw) = extract(&engine.items[idx], data, dialect.rejected) {
                let _ = engine.infoval_set(idx, &raw, &mut state);
            }
        }
    }
    let _ = bestups::pad_id(data.to_vec());
    let _ = voltronic_qs_hex::unhex(data.to_vec());
    let mut model = UpsModel::new();
    let cmd = String::from_utf8_lossy(data);
    let _ = mecer::test_battery("T%s\r", &cmd, true);
    for d in Q1Dialect::ALL {
        let _ = respond(&mut model, d, &cmd);
    }
});
