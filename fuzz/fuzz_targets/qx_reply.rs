//! Q* replies: any bytes given to any item of any dialect's table (Megatec family,
//! Voltronic and the dialects with modules of their own) must be either accepted or
//! refused, never panic, also through the dialects' command and reply rewriting and the full
//! processing of the table walker (status bits, Voltronic and the other dialects' own
//! processing, unskipping); the command and setting preprocessors must take any
//! parameter; and the simulated devices must answer any command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_driver_api::DeviceState;
use nut_drivers::qx::blazer::status_bit;
use nut_drivers::qx::dialect::ALL;
use nut_drivers::qx::engine::Engine;
use nut_drivers::qx::item::{extract, format_value, Process};
use nut_drivers::qx::voltronic::process::{command_text, setvar_command};
use nut_drivers::qx::{bestups, mecer, special, voltronic_qs_hex};
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
        let mut engine = Engine::new(dialect);
        let mut state = DeviceState::new();
        let _ = state.set("ups.firmware.aux", "P01");
        let _ = state.set("output.voltage.nominal", "230.0");
        let _ = state.set("input.voltage.nominal", "230");
        for idx in 0..engine.items.len() {
            let item = engine.items[idx].clone();
            let _ = special::answer(&mut engine, idx, data.to_vec());
            if let Some(code) = item.exchange {
                let _ = special::command_text(&engine, code, &String::from_utf8_lossy(data));
            }
            if let Ok(raw) = extract(&item, data, dialect.rejected) {
                let _ = engine.infoval_set(idx, &raw, &mut state);
            }
            let param = String::from_utf8_lossy(data);
            match item.process {
                Process::Voltronic(p) => {
                    let _ = setvar_command(&engine, idx, p, &param);
                    let _ = command_text(&engine, idx, &param, &state);
                }
                Process::Dialect(code) => {
                    let _ = special::setvar(&mut engine, idx, code, &param);
                    let _ = special::command(&engine, idx, code, &param, &state);
                }
                _ => {}
            }
        }
        engine.commit_alarms(&mut state);
        engine.commit_status(&mut state);
    }
    let _ = bestups::pad_id(data.to_vec());
    let _ = voltronic_qs_hex::unhex(data.to_vec());
    let mut model = UpsModel::new();
    let cmd = String::from_utf8_lossy(data);
    let _ = mecer::test_battery("T%s\r", &cmd, true);
    for d in Q1Dialect::ALL {
        let _ = respond(&mut model, d, &cmd);
    }
    let _ = nut_drivers::sim::voltronic::respond(&mut model, &cmd);
});
