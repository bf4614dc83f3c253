//! A small Modbus register bank answering RTU frames: a unit for the transport tests of
//! `usb::modbus_hid`, whose registers hold their own addresses (the simulated SMT750i is
//! `nut_drivers::sim::apc_modbus`).
//!
//! It answers function 3 and 4 (read holding / input registers, the same bank), 6 (write
//! one register) and 16 (write registers) for its slave address; other functions get
//! exception 1 (illegal function), addresses past the bank exception 2, bad quantities
//! exception 3. A frame with a bad CRC or for another slave is not answered, as a serial
//! unit would not.

use nut_drivers::usb::modbus_hid::{crc16, with_crc};

/// Holding registers behind one slave address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegisterBank {
    /// The slave address answered.
    pub(crate) slave: u8,
    /// The registers, from address 0.
    pub(crate) registers: Vec<u16>,
}

impl RegisterBank {
    /// `len` registers for `slave`, each holding its own address.
    pub(crate) fn new(slave: u8, len: u16) -> Self {
        Self {
            slave,
            registers: (0..len).collect(),
        }
    }

    /// The reply to one RTU request (CRC included both ways); `None`: no reply.
    pub(crate) fn respond(&mut self, adu: &[u8]) -> Option<Vec<u8>> {
        let (frame, crc) = adu.split_at(adu.len().checked_sub(2)?);
        if crc != crc16(frame).to_le_bytes() {
            return None;
        }
        let (&slave, rest) = frame.split_first()?;
        let (&function, data) = rest.split_first()?;
        if slave != self.slave {
            return None;
        }
        let reply = match self.answer(function, data) {
            Ok(mut body) => {
                body.insert(0, function);
                body
            }
            Err(code) => vec![function | 0x80, code],
        };
        Some(with_crc(&[&[slave][..], &reply].concat()))
    }

    fn answer(&mut self, function: u8, data: &[u8]) -> Result<Vec<u8>, u8> {
        let word = |at: usize| -> Result<usize, u8> {
            Ok(usize::from(u16::from_be_bytes([
                *data.get(at).ok_or(3u8)?,
                *data.get(at + 1).ok_or(3u8)?,
            ])))
        };
        match function {
            3 | 4 => {
                let (addr, count) = (word(0)?, word(2)?);
                if !(1..=125).contains(&count) {
                    return Err(3);
                }
                let regs = self.registers.get(addr..addr + count).ok_or(2u8)?;
                let mut out = vec![u8::try_from(2 * count).map_err(|_| 3u8)?];
                for r in regs {
                    out.extend_from_slice(&r.to_be_bytes());
                }
                Ok(out)
            }
            6 => {
                let (addr, value) = (word(0)?, word(2)?);
                let slot = self.registers.get_mut(addr).ok_or(2u8)?;
                *slot = u16::try_from(value).map_err(|_| 3u8)?;
                Ok(data.get(..4).ok_or(3u8)?.to_vec())
            }
            16 => {
                let (addr, count) = (word(0)?, word(2)?);
                let bytes = usize::from(*data.get(4).ok_or(3u8)?);
                if !(1..=123).contains(&count) || bytes != 2 * count {
                    return Err(3);
                }
                let mut values = Vec::with_capacity(count);
                for i in 0..count {
                    values.push(u16::try_from(word(5 + 2 * i)?).map_err(|_| 3u8)?);
                }
                let slots = self.registers.get_mut(addr..addr + count).ok_or(2u8)?;
                slots.copy_from_slice(&values);
                Ok(data.get(..4).ok_or(3u8)?.to_vec())
            }
            _ => Err(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_exceptions() {
        let mut bank = RegisterBank::new(1, 16);
        assert_eq!(
            bank.respond(&with_crc(&[1, 3, 0, 2, 0, 2])),
            Some(with_crc(&[1, 3, 4, 0, 2, 0, 3]))
        );
        assert_eq!(
            bank.respond(&with_crc(&[1, 0x10, 0, 4, 0, 1, 2, 0xab, 0xcd])),
            Some(with_crc(&[1, 0x10, 0, 4, 0, 1]))
        );
        assert_eq!(bank.registers[4], 0xabcd);
        assert_eq!(
            bank.respond(&with_crc(&[1, 6, 0, 5, 0, 9])),
            Some(with_crc(&[1, 6, 0, 5, 0, 9]))
        );
        assert_eq!(bank.registers[5], 9);
        assert_eq!(
            bank.respond(&with_crc(&[1, 3, 0, 15, 0, 2])),
            Some(with_crc(&[1, 0x83, 2]))
        );
        assert_eq!(
            bank.respond(&with_crc(&[1, 3, 0, 0, 0, 0])),
            Some(with_crc(&[1, 0x83, 3]))
        );
        assert_eq!(
            bank.respond(&with_crc(&[1, 1, 0, 0, 0, 1])),
            Some(with_crc(&[1, 0x81, 1]))
        );
        assert_eq!(bank.respond(&with_crc(&[2, 3, 0, 0, 0, 1])), None);
        let mut bad = with_crc(&[1, 3, 0, 0, 0, 1]);
        bad[6] ^= 1;
        assert_eq!(bank.respond(&bad), None);
        assert_eq!(bank.respond(&[]), None);
        assert_eq!(
            bank.respond(&with_crc(&[1, 0x10, 0, 0, 0, 2, 4, 0])),
            Some(with_crc(&[1, 0x90, 3]))
        );
    }
}
