//! An APC Smart-UPS speaking Modbus (an SMT750i, as the nut-ddl report of one describes it:
//! firmware `UPS 09.8`, 750 VA / 500 W, a main outlet group and switched group 1), its
//! registers computed from the [`UpsModel`] so that power-failure scripts move them.
//!
//! [`ApcModbusModel::respond`] takes one Modbus RTU request (slave id, PDU, CRC) and gives
//! the reply frame, whatever carries the bytes (a pseudo-terminal, USB HID reports); TCP
//! requests go through [`ApcModbusModel::read`] and [`ApcModbusModel::write`]. Every
//! request is logged in the model's `received` list (RTU frames as hex bytes).
//!
//! Writes act as on a unit: the settings and names stick (kept in the model's settings as
//! `apc_modbus.reg.ADDR`), the command registers start and stop the battery test and the
//! calibration, mute the beeper (`apc_modbus.muted`), put the unit in bypass, and turn the
//! outlets off or on after their delays (the model's `shutdown_in`, `restart_after`).
//! Settings: `apc_modbus.silent=1` makes the unit stop answering, `apc_modbus.slave=N`
//! changes its slave id (1).
//!
//! The dump's fractional readings stay while the model is as created by
//! [`ApcModbusModel::new`] (load 5 % is reported 5.1875 %, the recorded fraction kept at
//! other loads too; the battery voltage is the model's scaled to the recorded 26.84 V).

use super::{SharedModel, UpsModel};
use crate::modbus::frame::{crc16, with_crc, FrameLen};

/// Modbus exception codes the unit answers.
const ILLEGAL_FUNCTION: u8 = 1;
const ILLEGAL_ADDRESS: u8 = 2;
const ILLEGAL_VALUE: u8 = 3;

/// Days since 2000-01-01 of the recorded dates.
const MFR_DATE: u16 = 4857; // 2013-04-19
const BATTERY_DATE: u16 = 7775; // 2021-04-15
const MAINTENANCE_DATE: u16 = 9046; // 2024-10-07

/// The recorded load's fraction of a percent, in 1/256.
const LOAD_FRACTION: u32 = 48;

/// An APC Modbus unit on a shared [`UpsModel`].
#[derive(Debug, Clone)]
pub struct ApcModbusModel {
    model: SharedModel,
}

/// Sets `model` to the recorded SMT750i: its identity and its readings on line.
pub fn smt750(model: &mut UpsModel) {
    model.ident = (
        "American Power Conversion".into(),
        "Smart-UPS 750".into(),
        "UPS 09.8".into(),
    );
    model.serial = "AS1316113420".into();
    model.line_voltage = 240.39;
    model.frequency = 49.97;
    model.nominal_voltage = 230.0;
    model.temperature = 37.3;
    model.load = 5;
    model.realpower_nominal = 500;
    model.charge = 100.0;
}

/// The string `text` in `len` registers, NUL padded.
fn string_regs(text: &str, len: usize) -> Vec<u16> {
    let b = text.as_bytes();
    (0..len)
        .map(|i| {
            let hi = b.get(2 * i).copied().unwrap_or(0);
            let lo = b.get(2 * i + 1).copied().unwrap_or(0);
            (u16::from(hi) << 8) | u16::from(lo)
        })
        .collect()
}

/// The registers written at start (settings and names), before any write.
fn defaults(addr: u16) -> Option<u16> {
    let s = |text: &str, base: u16| string_regs(text, 8)[usize::from(addr - base)];
    Some(match addr {
        595 => BATTERY_DATE,
        596..=603 => s("APCUPS", 596),
        604..=611 => s("UPS Outlets", 604),
        612..=619 => s("Outlet Group 1", 612),
        620..=635 => 0,
        1026 => 253,
        1027 => 208,
        1029 => 180,
        1030 => 0,
        1031 => 0,
        1032 => 8,
        1034 => 90,
        1035 => 0,
        1036 => 0,
        1037 => 8,
        1039 | 1040 | 1044 | 1045 => 0xffff,
        1041 | 1042 | 1046 | 1047 => 0xffff,
        _ => return None,
    })
}

fn setting(m: &UpsModel, key: &str) -> Option<String> {
    m.settings.get(&format!("apc_modbus.{key}")).cloned()
}

fn flag(m: &UpsModel, key: &str) -> bool {
    setting(m, key).is_some_and(|v| v == "1")
}

fn stored(m: &UpsModel, addr: u16) -> Option<u16> {
    setting(m, &format!("reg.{addr}"))
        .and_then(|v| v.parse().ok())
        .or_else(|| defaults(addr))
}

fn fixed(v: f64, scale: u32) -> u16 {
    (v * f64::from(1u32 << scale))
        .round()
        .clamp(-32768.0, 65535.0) as i32 as u16
}

/// The load in percent with the recorded fraction, in 1/256.
fn load256(m: &UpsModel) -> u32 {
    if !m.output_on {
        return 0;
    }
    m.load * 256 + LOAD_FRACTION
}

/// One register of the unit as it is now.
fn register(m: &UpsModel, addr: u16) -> u16 {
    if let Some(v) = stored(m, addr) {
        return v;
    }
    let on_line = m.mains && m.output_on;
    let bypass = flag(m, "bypass");
    let s16 = |text: &str, len: usize, base: u16| string_regs(text, len)[usize::from(addr - base)];
    match addr {
        // UPSStatus_BF
        0 => u16::from(m.load > 100) << 5,
        1 => {
            let mut v = 0u16;
            if on_line && !bypass {
                v |= 1 << 1;
            }
            if !m.mains && m.output_on {
                v |= 1 << 2;
            }
            if bypass {
                v |= 1 << 3;
            }
            if !m.output_on {
                v |= 1 << 4;
            }
            if m.testing {
                v |= 1 << 7;
            }
            if on_line && m.avr() == super::model::Avr::Off && !m.testing && !bypass {
                v |= 1 << 13;
            }
            v
        }
        // StatusChangeCause_EN
        2 => {
            if m.testing {
                9
            } else if !m.mains {
                2
            } else {
                8
            }
        }
        // OutletStatus_BF: MOG, SOG0
        4 | 7 => {
            if m.output_on {
                1
            } else {
                2
            }
        }
        // SimpleSignalingStatus_BF: shutdown imminent
        18 => u16::from(!m.mains && m.battery_low()) << 1,
        // BatterySystemError_BF
        22 => u16::from(m.failed) << 2,
        // ReplaceBatteryTestStatus_BF
        23 => setting(m, "test")
            .and_then(|v| v.parse().ok())
            .unwrap_or(if m.failed {
                (1 << 3) | (1 << 8)
            } else if m.testing {
                (1 << 1) | (1 << 8)
            } else {
                (1 << 2) | (1 << 8)
            }),
        // RunTimeCalibrationStatus_BF
        24 => setting(m, "calibration")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        128 | 129 => {
            let runtime =
                (6420.0 * m.charge / 100.0 * 5.0 / f64::from(m.load.max(1))).round() as u32;
            if addr == 128 {
                (runtime >> 16) as u16
            } else {
                runtime as u16
            }
        }
        130 => fixed(m.charge, 9),
        131 => fixed(m.battery_voltage() * 26.84 / 26.0, 5),
        133 => MAINTENANCE_DATE,
        135 => fixed(m.temperature, 7),
        136 => load256(m) as u16,
        // Apparent power in percent: the recorded ratio to the real power.
        138 => (f64::from(load256(m)) * 2660.0 / 1328.0).round() as u16,
        140 => {
            let v = output_voltage(m);
            let va = f64::from(load256(m)) * 2660.0 / 1328.0 / 256.0 / 100.0 * 750.0;
            if v > 0.0 {
                fixed(va / v, 5)
            } else {
                0
            }
        }
        142 => fixed(output_voltage(m), 6),
        144 => fixed(
            if m.mains {
                m.frequency
            } else {
                m.nominal_frequency
            },
            7,
        ),
        145 => (525_890u32 >> 16) as u16,
        146 => 525_890u32 as u16,
        // InputStatus_BF
        150 => match m.avr() {
            super::model::Avr::Boost => 1 << 5,
            super::model::Avr::Trim => 1 << 6,
            super::model::Avr::Off => 0,
        },
        151 => fixed(m.input_voltage(), 6),
        154 => {
            let eff: i16 = if !m.mains {
                -4
            } else if !m.output_on {
                -3
            } else if m.load < 10 {
                -2
            } else {
                (90 * 128) as i16
            };
            eff as u16
        }
        // Countdowns: the main group's and switched group 0's shutdown follow the model.
        155 | 159 => m
            .shutdown_in
            .map_or(0xffff, |s| (s.ceil().max(1.0) as u16).min(0x7fff)),
        156 | 160 => 0xffff,
        157 | 158 | 161 | 162 => 0xffff,
        163..=170 => 0xffff,
        516..=523 => s16(&m.ident.2, 8, 516),
        532..=547 => s16(&m.ident.1, 16, 532),
        564..=571 => s16(&m.serial, 8, 564),
        588 => 750,
        589 => m.realpower_nominal.min(0xffff) as u16,
        590 => setting(m, "sog")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0b11),
        591 => MFR_DATE,
        _ => 0,
    }
}

fn output_voltage(m: &UpsModel) -> f64 {
    let v = m.output_voltage();
    // The recorded unit gives 239.00 V out of 240.39 V in.
    if m.mains && v > 0.0 && m.avr() == super::model::Avr::Off {
        (v - 1.39).max(0.0)
    } else {
        v
    }
}

/// Whether registers `addr..addr+n` may be read (the blocks of the map).
fn readable(addr: u16, n: u16) -> bool {
    let end = u32::from(addr) + u32::from(n);
    [
        (0u32, 64u32),
        (128, 192),
        (516, 660),
        (1026, 1100),
        (1536, 1548),
    ]
    .iter()
    .any(|(a, b)| u32::from(addr) >= *a && end <= *b)
}

/// Whether `addr` may be written as a setting or a name.
fn settable(addr: u16) -> bool {
    defaults(addr).is_some()
}

fn put(m: &mut UpsModel, addr: u16, v: u16) {
    m.settings
        .insert(format!("apc_modbus.reg.{addr}"), v.to_string());
}

fn set(m: &mut UpsModel, key: &str, v: impl ToString) {
    m.settings
        .insert(format!("apc_modbus.{key}"), v.to_string());
}

/// Acts on a command register write (`value` over the command's registers).
fn command(m: &mut UpsModel, addr: u16, value: u32) -> Result<(), u8> {
    match addr {
        1536 => {
            if value & (1 << 4) != 0 {
                set(m, "bypass", 1);
            }
            if value & (1 << 5) != 0 {
                set(m, "bypass", 0);
            }
        }
        1538 => {
            let targets = value & (0xf << 8);
            if targets == 0 {
                return Err(ILLEGAL_VALUE);
            }
            if value & 1 != 0 {
                m.shutdown_in = None;
                return Ok(());
            }
            let delay = |m: &UpsModel| f64::from(register(m, 1029) as i16).max(0.0);
            let off_delay = value & (1 << 7) != 0;
            if value & (1 << 1) != 0 {
                m.output_on = true;
                m.shutdown_in = None;
            } else if value & (1 << 2) != 0 {
                m.restart_after = None;
                if off_delay {
                    m.shutdown_in = Some(delay(m).max(1.0));
                } else {
                    m.output_on = false;
                }
            } else if value & (1 << 3) != 0 {
                m.restart_after = Some(0);
                m.shutdown_in = Some(delay(m).max(1.0));
            } else if value & (1 << 4) != 0 {
                // A reboot: the output comes back by itself.
                set(
                    m,
                    "reboots",
                    setting(m, "reboots")
                        .and_then(|v| v.parse::<u32>().ok())
                        .unwrap_or(0)
                        + 1,
                );
            } else {
                return Err(ILLEGAL_VALUE);
            }
        }
        1541 => match value {
            1 => {
                m.testing = true;
                set(m, "test", (1 << 1) | (1 << 6));
            }
            2 => {
                m.testing = false;
                set(m, "test", (1 << 5) | (1 << 6));
            }
            _ => return Err(ILLEGAL_VALUE),
        },
        1542 => match value {
            1 => set(m, "calibration", (1 << 1) | (1 << 6)),
            2 => set(m, "calibration", (1 << 5) | (1 << 6)),
            _ => return Err(ILLEGAL_VALUE),
        },
        1543 => {
            if value & 1 != 0 {
                set(m, "panel_test", 1);
            }
            if value & (1 << 2) != 0 {
                set(m, "muted", 1);
            }
            if value & (1 << 3) != 0 {
                set(m, "muted", 0);
            }
        }
        _ => return Err(ILLEGAL_ADDRESS),
    }
    Ok(())
}

impl ApcModbusModel {
    /// The unit on `model`, which is set to the recorded SMT750i ([`smt750`]).
    pub fn new(model: SharedModel) -> Self {
        smt750(&mut model.lock().unwrap_or_else(|e| e.into_inner()));
        Self { model }
    }

    /// The unit on `model` as it is (no change of its state).
    pub fn attach(model: SharedModel) -> Self {
        Self { model }
    }

    /// The model behind the unit.
    pub fn model(&self) -> &SharedModel {
        &self.model
    }

    /// Answers one Modbus RTU request frame (slave id, PDU, CRC): the reply frame, or
    /// `None` when the unit stays silent (another slave id, a broadcast, a bad CRC, a
    /// frame too short, or `apc_modbus.silent=1`).
    pub fn respond(&mut self, request_rtu_adu: &[u8]) -> Option<Vec<u8>> {
        let mut m = self.model.lock().unwrap_or_else(|e| e.into_inner());
        respond(&mut m, request_rtu_adu)
    }

    /// Reads `count` holding registers from `addr` (function 3), or the exception code.
    pub fn read(&mut self, addr: u16, count: u16) -> Result<Vec<u16>, u8> {
        let m = self.model.lock().unwrap_or_else(|e| e.into_inner());
        read(&m, addr, count)
    }

    /// Writes registers from `addr` (functions 6 and 16), or the exception code.
    pub fn write(&mut self, addr: u16, words: &[u16]) -> Result<(), u8> {
        let mut m = self.model.lock().unwrap_or_else(|e| e.into_inner());
        write(&mut m, addr, words)
    }
}

/// Function 3 on `m`.
pub fn read(m: &UpsModel, addr: u16, count: u16) -> Result<Vec<u16>, u8> {
    if count == 0 || count > 125 {
        return Err(ILLEGAL_VALUE);
    }
    if !readable(addr, count) {
        return Err(ILLEGAL_ADDRESS);
    }
    Ok((addr..addr + count).map(|a| register(m, a)).collect())
}

/// Functions 6 and 16 on `m`: settings, names and commands.
pub fn write(m: &mut UpsModel, addr: u16, words: &[u16]) -> Result<(), u8> {
    if words.is_empty() || words.len() > 123 {
        return Err(ILLEGAL_VALUE);
    }
    if (1536..1544).contains(&addr) {
        let value = words.iter().fold(0u32, |a, &w| (a << 16) | u32::from(w));
        let width = match addr {
            1536 | 1538 => 2,
            _ => 1,
        };
        if words.len() != width {
            return Err(ILLEGAL_ADDRESS);
        }
        return command(m, addr, value);
    }
    let end = u32::from(addr) + words.len() as u32;
    if !(u32::from(addr)..end).all(|a| settable(a as u16)) {
        return Err(ILLEGAL_ADDRESS);
    }
    if addr == 595 && words[0] < 7300 {
        // A battery replaced before 2020: refused.
        return Err(ILLEGAL_VALUE);
    }
    for (i, w) in words.iter().enumerate() {
        put(m, addr + i as u16, *w);
    }
    Ok(())
}

/// The reply frame for `pdu` from `slave`.
fn frame(slave: u8, pdu: &[u8]) -> Vec<u8> {
    with_crc(&[&[slave], pdu].concat())
}

/// The length of the request frame at the start of `buf`, its CRC included, when it can be
/// told; only for functions 3, 4, 6 and 16 ([`feed`] takes a frame of any other function as
/// it stands).
pub fn request_len(buf: &[u8]) -> Option<usize> {
    if !matches!(buf.get(1)?, 3 | 4 | 6 | 16) {
        return None;
    }
    match crate::modbus::frame::request_len(buf) {
        FrameLen::Complete(n) => Some(n + 2),
        FrameLen::NeedMore | FrameLen::Unknown => None,
    }
}

/// [`ApcModbusModel::respond`] on a locked model.
pub fn respond(m: &mut UpsModel, adu: &[u8]) -> Option<Vec<u8>> {
    m.received.push(
        adu.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    if adu.len() < 4 || flag(m, "silent") {
        return None;
    }
    let (body, crc) = adu.split_at(adu.len() - 2);
    if crc16(body).to_le_bytes() != crc {
        tracing::debug!("simulator: bad CRC in {adu:02x?}");
        return None;
    }
    let me = setting(m, "slave")
        .and_then(|v| v.parse::<u8>().ok())
        .unwrap_or(1);
    let slave = body[0];
    let pdu = &body[1..];
    let fc = pdu[0];
    let word =
        |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*pdu.get(i)?, *pdu.get(i + 1)?])) };
    let result: Result<Vec<u8>, u8> = match fc {
        3 => match (word(1), word(3)) {
            (Some(addr), Some(n)) => read(m, addr, n).map(|regs| {
                let mut out = vec![3, (regs.len() * 2) as u8];
                for r in regs {
                    out.extend_from_slice(&r.to_be_bytes());
                }
                out
            }),
            _ => Err(ILLEGAL_VALUE),
        },
        6 => match (word(1), word(3)) {
            (Some(addr), Some(v)) => write(m, addr, &[v]).map(|()| pdu[..5].to_vec()),
            _ => Err(ILLEGAL_VALUE),
        },
        16 => match (word(1), word(3), pdu.get(5)) {
            (Some(addr), Some(n), Some(&bytes))
                if usize::from(bytes) == usize::from(n) * 2
                    && pdu.len() == 6 + usize::from(bytes) =>
            {
                let words: Vec<u16> = (0..usize::from(n))
                    .filter_map(|i| word(6 + 2 * i))
                    .collect();
                write(m, addr, &words).map(|()| pdu[..5].to_vec())
            }
            _ => Err(ILLEGAL_VALUE),
        },
        _ => Err(ILLEGAL_FUNCTION),
    };
    if slave != me {
        return None;
    }
    Some(match result {
        Ok(pdu) => frame(slave, &pdu),
        Err(code) => frame(slave, &[fc | 0x80, code]),
    })
}

/// Takes the complete request frames out of `pending` and appends the replies to `out`
/// (for byte streams such as a pseudo-terminal).
pub fn feed(model: &SharedModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    loop {
        let Some(len) = request_len(pending) else {
            if pending.len() >= 2 {
                // An unknown function: its length cannot be told; a unit waits for the
                // line to go quiet, and so drops what it has.
                let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
                let frame = std::mem::take(pending);
                if let Some(r) = respond(&mut m, &frame) {
                    out.extend_from_slice(&r);
                }
            }
            return;
        };
        if pending.len() < len {
            return;
        }
        let frame: Vec<u8> = pending.drain(..len).collect();
        let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = respond(&mut m, &frame) {
            out.extend_from_slice(&r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pdu: &[u8]) -> Vec<u8> {
        frame(1, pdu)
    }

    #[test]
    fn reads_the_recorded_inventory() {
        let mut unit = ApcModbusModel::new(UpsModel::shared());
        let reply = unit.respond(&req(&[3, 0x02, 0x04, 0, 120])).unwrap();
        assert_eq!(&reply[..3], &[1, 3, 240]);
        assert_eq!(&reply[3..11], b"UPS 09.8");
        // CRC of the reply checks.
        let (body, crc) = reply.split_at(reply.len() - 2);
        assert_eq!(crc16(body).to_le_bytes(), crc);
    }

    #[test]
    fn request_lengths_count_the_crc_for_the_served_functions() {
        assert_eq!(request_len(&req(&[3, 0, 0, 0, 27])), Some(8));
        assert_eq!(request_len(&[1, 4]), Some(8));
        assert_eq!(request_len(&[1, 6]), Some(8));
        assert_eq!(request_len(&[1, 16, 0x02, 0x04, 0, 1]), None);
        assert_eq!(request_len(&[1, 16, 0x02, 0x04, 0, 1, 2]), Some(11));
        // Other functions, and too few bytes to tell.
        assert_eq!(request_len(&[1, 1, 0, 0, 0, 1]), None);
        assert_eq!(request_len(&[1, 0x2b, 0x0e]), None);
        assert_eq!(request_len(&[1]), None);
    }

    #[test]
    fn bad_frames_get_no_answer_or_an_exception() {
        let mut unit = ApcModbusModel::new(UpsModel::shared());
        let mut bad = req(&[3, 0, 0, 0, 27]);
        bad[3] ^= 1;
        assert_eq!(unit.respond(&bad), None);
        assert_eq!(unit.respond(&[1, 3]), None);
        assert_eq!(unit.respond(&frame(2, &[3, 0, 0, 0, 1])), None);
        assert_eq!(
            unit.respond(&req(&[3, 0x30, 0, 0, 1])).unwrap(),
            frame(1, &[0x83, 2])
        );
        assert_eq!(
            unit.respond(&req(&[0x2b, 0x0e])).unwrap(),
            frame(1, &[0xab, 1])
        );
        // A write to a read-only register.
        assert_eq!(
            unit.respond(&req(&[16, 0x02, 0x04, 0, 1, 2, 0, 0]))
                .unwrap(),
            frame(1, &[0x90, 2])
        );
    }

    #[test]
    fn writes_stick_and_commands_act() {
        let shared = UpsModel::shared();
        let mut unit = ApcModbusModel::new(shared.clone());
        unit.write(596, &string_regs("SIM", 8)).unwrap();
        assert_eq!(unit.read(596, 2).unwrap(), vec![0x5349, 0x4d00]);
        unit.write(1541, &[1]).unwrap();
        assert!(shared.lock().unwrap().testing);
        assert_eq!(unit.read(23, 1).unwrap(), vec![(1 << 1) | (1 << 6)]);
        unit.write(1543, &[4]).unwrap();
        assert_eq!(
            shared
                .lock()
                .unwrap()
                .settings
                .get("apc_modbus.muted")
                .map(String::as_str),
            Some("1")
        );
        // shutdown.return on both groups: off after the 180 s delay.
        unit.write(1538, &[0, (1 << 3) | (1 << 7) | (1 << 8) | (1 << 9)])
            .unwrap();
        assert_eq!(shared.lock().unwrap().shutdown_in, Some(180.0));
        assert_eq!(unit.read(155, 1).unwrap(), vec![180]);
        assert_eq!(unit.write(1538, &[0, 1 << 2]), Err(ILLEGAL_VALUE));
    }
}

#[cfg(feature = "modbus-sim-tcp")]
mod tcp {
    use std::future::{ready, Ready};

    use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};

    use super::ApcModbusModel;

    /// One connection's view of the unit, as tokio-modbus's TCP server calls it.
    struct TcpUnit(ApcModbusModel);

    fn exception(code: u8) -> ExceptionCode {
        match code {
            1 => ExceptionCode::IllegalFunction,
            2 => ExceptionCode::IllegalDataAddress,
            _ => ExceptionCode::IllegalDataValue,
        }
    }

    impl tokio_modbus::server::Service for TcpUnit {
        type Request = SlaveRequest<'static>;
        type Response = Option<Response>;
        type Exception = ExceptionCode;
        type Future = Ready<Result<Self::Response, Self::Exception>>;

        fn call(&self, req: Self::Request) -> Self::Future {
            let mut m = self.0.model.lock().unwrap_or_else(|e| e.into_inner());
            m.received
                .push(format!("tcp {} {:?}", req.slave, req.request));
            if super::flag(&m, "silent") {
                return ready(Ok(None));
            }
            let result = match req.request {
                Request::ReadHoldingRegisters(addr, n) => {
                    super::read(&m, addr, n).map(Response::ReadHoldingRegisters)
                }
                Request::WriteSingleRegister(addr, v) => super::write(&mut m, addr, &[v])
                    .map(|()| Response::WriteSingleRegister(addr, v)),
                Request::WriteMultipleRegisters(addr, words) => super::write(&mut m, addr, &words)
                    .map(|()| Response::WriteMultipleRegisters(addr, words.len() as u16)),
                _ => Err(1),
            };
            ready(result.map(Some).map_err(exception))
        }
    }

    /// Serves `unit` as Modbus TCP on `listener` until the task is dropped.
    pub async fn serve_tcp(listener: tokio::net::TcpListener, unit: ApcModbusModel) {
        let server = tokio_modbus::server::tcp::Server::new(listener);
        let on_connected = |stream, addr| {
            let unit = unit.clone();
            async move {
                tokio_modbus::server::tcp::accept_tcp_connection(stream, addr, |_| {
                    Ok(Some(TcpUnit(unit.clone())))
                })
            }
        };
        if let Err(e) = server
            .serve(&on_connected, |e| {
                tracing::debug!(%e, "simulator: Modbus TCP connection failed");
            })
            .await
        {
            tracing::warn!(%e, "simulator: Modbus TCP server stopped");
        }
    }
}

#[cfg(feature = "modbus-sim-tcp")]
pub use tcp::serve_tcp;
