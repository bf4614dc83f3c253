//! APC Modbus values: any register contents, of any length (a short reply included), read
//! through every variable of the register map, the status bits and the input bits must
//! never panic, and the texts must be printable; any text given to a SET either encodes to
//! exactly the variable's registers or is refused. The simulated unit must take any
//! request frame, and every reply it gives must carry a valid CRC and its slave id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::apc_modbus::registers::{all, encode, input_words, status_bits, value, Nominals};
use nut_drivers::sim::apc_modbus::ApcModbusModel;
use nut_drivers::sim::UpsModel;

fuzz_target!(|data: &[u8]| {
    let regs: Vec<u16> = data
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    let mut nominals = Nominals::default();
    for r in all() {
        let n = usize::from(r.len).min(regs.len());
        let v = value(r, &regs[..n], &mut nominals);
        assert!(v.chars().all(|c| (' '..='~').contains(&c)), "{v:?}");
        let text = String::from_utf8_lossy(data);
        if let Ok(words) = encode(r, &text) {
            assert_eq!(words.len(), usize::from(r.len));
        }
    }
    let mut present = [false; 4];
    for (i, p) in present.iter_mut().enumerate() {
        *p = data.first().is_some_and(|b| b & (1 << i) != 0);
    }
    let _ = status_bits(&regs, present);
    let _ = input_words(&regs);
    let mut unit = ApcModbusModel::new(UpsModel::shared());
    if let Some(reply) = unit.respond(data) {
        assert!(reply.len() >= 5);
        assert_eq!(reply[0], data[0]);
        let crc = crc16(&reply[..reply.len() - 2]);
        assert_eq!(&reply[reply.len() - 2..], &crc.to_le_bytes());
    }
});

/// Modbus's CRC-16, worked out bit by bit to check the simulator's.
fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0xffffu16;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xa001
            } else {
                crc >> 1
            };
        }
    }
    crc
}
