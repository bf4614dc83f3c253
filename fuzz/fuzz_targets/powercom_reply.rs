//! PowerCom status frames: any bytes taken as a frame of every family (and under the
//! family names detection gives), validated and converted into every variable and the
//! status, must never panic; the option parser takes any text; the simulated device takes
//! any byte stream and answers only whole frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::powercom::reply::{Calc, Raw, MAX_FRAME};
use nut_drivers::powercom::types::{scan, TYPES};
use nut_drivers::printf::printf_number;
use nut_drivers::sim::{powercom, UpsModel};

fuzz_target!(|data: &[u8]| {
    let mut raw = Raw::default();
    let n = data.len().min(MAX_FRAME);
    raw.0[..n].copy_from_slice(&data[..n]);
    let linevoltage = data.get(MAX_FRAME).map_or(230, |b| u32::from(*b) * 2);
    for entry in TYPES {
        for name in [entry.name, "KIN", "BNT", "IMP", "OPTI"] {
            let calc = Calc {
                name,
                entry,
                linevoltage,
            };
            let _ = calc.valid(&raw);
            for x in [
                calc.input_frequency(&raw),
                calc.output_frequency(&raw),
                calc.load(&raw),
                calc.battery(&raw),
                calc.input_voltage(&raw),
                calc.output_voltage(&raw),
            ] {
                let _ = printf_number("%03.1f", f64::from(x));
            }
            assert!(!calc.status(&raw).is_empty());
        }
    }
    let text = String::from_utf8_lossy(data);
    for format in ["{{%u,%x},{%u,%x},{%u,%x}}", "{{%b,%b},%c}", "{%f,%f,%f,%f,%f}"] {
        assert!(scan(&text, format).len() <= 6);
    }
    for t in powercom::TYPES {
        let mut model = UpsModel::new();
        model.settings.insert("powercom.type".into(), t.into());
        let (mut pending, mut out) = (data.to_vec(), Vec::new());
        powercom::feed_model(&mut model, &mut pending, &mut out);
        let len = if t == "Trust" { 11 } else { 16 };
        assert_eq!(out.len() % len, 0);
        assert!(pending.len() < 4);
    }
});
