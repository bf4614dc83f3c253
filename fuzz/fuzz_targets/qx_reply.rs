//! Q1 replies: any bytes given to any item of any Megatec-family table must be either
//! accepted or refused, never panic; and the simulated device must answer any command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::qx::blazer::status_bit;
use nut_drivers::qx::dialect::ALL;
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
    let mut model = UpsModel::new();
    let cmd = String::from_utf8_lossy(data);
    for d in Q1Dialect::ALL {
        let _ = respond(&mut model, d, &cmd);
    }
});
