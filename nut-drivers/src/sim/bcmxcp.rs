//! A simulated Eaton/Powerware unit speaking BCM/XCP: binary frames (`0xAB`, length,
//! command, checksum) answered with reply blocks (see [`crate::bcmxcp::frame`]).
//!
//! The unit is modelled on a Powerware 5125 1500 VA line-interactive UPS as NUT's device
//! library reports it (two switchable outlets, firmware `Cont:01.01 Inve:01.01`, settable
//! beeper, nominal output voltage, energy saving and battery strings); with the setting
//! `bcmxcp.unit=pw9130`, on a Powerware 9130 700 VA on-line UPS (a clock, bypass meters,
//! its own load meter, transfer to bypass, system and panel tests, settable transfer
//! limits, low battery warning, return delay and capacity, maximum temperature and
//! beeper); with `bcmxcp.unit=pw9355`, on a Powerware 9355 8 kVA three-phase on-line UPS.
//! Each follows the model's mains voltage and frequency, load and battery: its
//! identification block, meter and alarm maps, status,
//! battery, limits, configuration, command list, outlet and topology blocks follow the
//! model's state. Alarms it reports: output overload, battery low, utility fail, battery
//! needs service, on battery, battery test failed, on buck, on boost.
//!
//! Bytes before a start byte (the ESC a driver sends to leave the front panel menu) are
//! skipped. The authorization command is not answered (C's driver does not read an
//! answer to it); a command the unit does not list is refused as not implemented. Every
//! frame received is logged in [`UpsModel::received`] as lowercase hex
//! bytes separated by spaces (`ab 01 34 20`). Control commands act on the model: load off
//! and restart (`0x8A`, the whole unit or one outlet), off (`0x8B`), on (`0x89`), battery
//! test (`0xB1`), set configuration (`0x95`) and outlet parameters (`0x97`); their
//! settings are kept in [`UpsModel::settings`] under `bcmxcp.*` names. The length of the
//! alarm map is the setting `bcmxcp.alarm_map_len` (25 to 255 bytes, default 33).
//!
//! ```
//! use nut_drivers::bcmxcp::frame::{command_frame, parse_reply};
//! use nut_drivers::sim::{bcmxcp, UpsModel};
//!
//! let model = UpsModel::shared();
//! let mut pending = command_frame(&[0x33]);
//! let mut out = Vec::new();
//! bcmxcp::feed_buffer(&model, &mut pending, &mut out);
//! let status = parse_reply(0x33, &out).unwrap().unwrap();
//! assert_eq!(status[0], 0x50); // on line
//! ```

use crate::bcmxcp::frame::{checksum, reply_frames, START};
use crate::bcmxcp::tables::{cmd, conf, ret};
use crate::bcmxcp::BaudOpener;
use crate::serial::SerialPort;

use super::model::Avr;
use super::{ModelPort, Protocol, SharedModel, UpsModel};

/// Data bytes per reply block.
const CHUNK: usize = 120;
/// The alarms the unit has, in alarm map order.
const ALARMS: [usize; 8] = [25, 56, 57, 149, 168, 191, 196, 197];
const OUTLETS: u8 = 2;
const OUTLET_BLOCK_LEN: u16 = 2 + 6 * OUTLETS as u16;
const CONFIG_BLOCK_LEN: usize = 82;

/// What tells two simulated units apart.
#[derive(Debug)]
struct Unit {
    /// Firmware versions (minor, major) of its processors, in C's order (controller,
    /// inverter, rectifier, network, display; 0.0 when absent).
    firmware: &'static [u8],
    /// Output phases.
    phases: u8,
    /// Rating in VA.
    rating: u32,
    /// The model description of the identification block.
    description: &'static [u8],
    /// The topology word.
    topology: u16,
    /// The meter map: (meter index, format).
    meters: &'static [(usize, u8)],
    /// The commands the unit lists.
    commands: &'static [u8],
    /// The configuration values a client may set (0x95 0xFF lists them).
    settable: &'static [u8],
    /// The system tests the unit offers (0xB2 0xFF lists them).
    system_tests: &'static [u8],
    /// Part and serial number (16 bytes each).
    part: &'static [u8; 16],
    serial: &'static [u8; 16],
    /// Horn status at start (0 disabled, 1 enabled, 2 muted).
    horn: i64,
    /// Battery test result at start.
    test_result: i64,
}

/// A Powerware 5125 1500i, line-interactive (the default unit).
const PW5125: Unit = Unit {
    firmware: &[0x01, 0x01, 0x01, 0x01],
    phases: 1,
    rating: 1500,
    description: b"PW5125    ",
    topology: 0x0020,
    meters: &[
        (12, 0xf0),
        (21, 0xf0),
        (23, 0xf0),
        (27, 0x52),
        (28, 0x52),
        (33, 0x52),
        (34, 0xf0),
        (35, 0xf0),
        (56, 0xf0),
        (62, 0xf0),
        (65, 0x41),
        (68, 0x41),
        (71, 0xf0),
        (78, 0xf0),
    ],
    commands: &[
        0x31, 0x33, 0x34, 0x35, 0x36, 0x3B, 0x3C, 0x40, 0x41, 0x43, 0x89, 0x8A, 0x8B, 0x95, 0x97,
        0xA0, 0xB1, 0xCF,
    ],
    settable: &[
        conf::BEEPER,
        conf::NOMINAL_OUT_VOLTAGE,
        conf::SLEEP_TH_LOAD,
        conf::SLEEP_DELAY,
        conf::BATT_STRINGS,
    ],
    system_tests: &[],
    part: b"05146632-5501   ",
    serial: b"UX475A0SIM01    ",
    horn: 1,
    test_result: 0,
};

/// A Powerware 9130 700 VA, on-line, with a clock, bypass meters, transfer to bypass and
/// system tests.
const PW9130: Unit = Unit {
    firmware: &[0x13, 0x00, 0x29, 0x01],
    phases: 1,
    rating: 700,
    description: b"PW9130  700VA-T                 ",
    topology: 0x0040,
    meters: &[
        (21, 0xf0),
        (23, 0xf0),
        (27, 0x41),
        (28, 0x41),
        (30, 0x41),
        (33, 0x51),
        (34, 0xf0),
        (35, 0xf0),
        (47, 0xf0),
        (53, 0x41),
        (56, 0x41),
        (62, 0xf0),
        (63, 0xf0),
        (65, 0x41),
        (68, 0x41),
        (72, 0xe0),
        (73, 0xe1),
        (78, 0x41),
        (91, 0xf0),
    ],
    commands: &[
        0x31, 0x33, 0x34, 0x35, 0x36, 0x3B, 0x3C, 0x40, 0x41, 0x43, 0x88, 0x89, 0x8A, 0x8B, 0x95,
        0x97, 0xA0, 0xB1, 0xB2, 0xCF,
    ],
    settable: &[
        conf::LOW_DEV_LIMIT,
        conf::HIGH_DEV_LIMIT,
        conf::LOW_BATT,
        conf::BEEPER,
        conf::RETURN_DELAY,
        conf::RETURN_CAP,
        conf::MAX_TEMP,
    ],
    system_tests: &[0x01, 0x02, 0x04],
    part: b"103006433-6591  ",
    serial: b"GG28SIM0018     ",
    horn: 2,
    test_result: 2,
};

/// A Powerware 9355 8 kVA, on-line, three phases.
const PW9355: Unit = Unit {
    firmware: &[0, 0, 0x50, 0x02, 0, 0, 0, 0, 0x12, 0x01],
    phases: 3,
    rating: 8000,
    description: b"9355-8-N-15-32x9Ah  ",
    topology: 0x0042,
    meters: &[
        (18, 0x41),
        (19, 0x41),
        (20, 0x41),
        (23, 0xf0),
        (27, 0x41),
        (28, 0x41),
        (33, 0x41),
        (34, 0xf0),
        (35, 0xf0),
        (47, 0xf0),
        (48, 0xf0),
        (49, 0xf0),
        (56, 0x41),
        (57, 0x41),
        (58, 0x41),
        (62, 0x41),
        (65, 0x41),
        (66, 0x41),
        (67, 0x41),
        (68, 0x41),
        (69, 0x41),
        (70, 0x41),
        (71, 0xf0),
        (78, 0x41),
        (79, 0x41),
        (80, 0x41),
        (82, 0x41),
        (83, 0x41),
        (84, 0x41),
        (85, 0x41),
    ],
    commands: &[
        0x31, 0x33, 0x34, 0x35, 0x36, 0x3B, 0x3C, 0x40, 0x41, 0x43, 0x89, 0x8A, 0x8B, 0x95, 0x97,
        0xA0, 0xB1, 0xCF,
    ],
    settable: &[conf::BEEPER, conf::LOW_BATT, conf::MAX_TEMP],
    system_tests: &[],
    part: b"103005425-5591  ",
    serial: b"EF13SIM0042     ",
    horn: 0,
    test_result: 0,
};

fn unit(m: &UpsModel) -> &'static Unit {
    match m.settings.get("bcmxcp.unit").map(String::as_str) {
        Some(u) if u.eq_ignore_ascii_case("pw9130") => &PW9130,
        Some(u) if u.eq_ignore_ascii_case("pw9355") => &PW9355,
        _ => &PW5125,
    }
}

/// An opener for [`crate::bcmxcp::Bcmxcp::with_opener`] that ignores the port and speed.
pub fn opener(model: SharedModel) -> BaudOpener {
    Box::new(move |_port: &str, _baud: u32| {
        Ok(Box::new(ModelPort::new(model.clone(), Protocol::Bcmxcp)) as Box<dyn SerialPort>)
    })
}

fn setting(model: &UpsModel, name: &str, default: i64) -> i64 {
    model
        .settings
        .get(&format!("bcmxcp.{name}"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn put(model: &mut UpsModel, name: &str, value: i64) {
    model
        .settings
        .insert(format!("bcmxcp.{name}"), value.to_string());
}

fn w(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Takes the complete frames out of `pending` and appends the unit's answers to `out`.
pub fn feed_buffer(model: &SharedModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    loop {
        // Skip what is not a frame start (ESC, line noise).
        match pending.iter().position(|&b| b == START) {
            Some(0) => {}
            Some(n) => {
                pending.drain(..n);
            }
            None => {
                pending.clear();
                return;
            }
        }
        if pending.len() < 2 {
            return;
        }
        let total = usize::from(pending[1]) + 3;
        if pending.len() < total {
            return;
        }
        let frame: Vec<u8> = pending.drain(..total).collect();
        let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
        m.received.push(hex(&frame));
        let body = &frame[2..total - 1];
        if checksum(&frame[..total - 1]) != frame[total - 1] || body.is_empty() {
            out.extend_from_slice(&reply_frames(
                0x09,
                &[ret::UNRECOGNISED, body.first().copied().unwrap_or(0)],
                CHUNK,
            ));
            continue;
        }
        if let Some(reply) = respond(&mut m, body) {
            out.extend_from_slice(&reply);
        }
    }
}

fn id_block(m: &UpsModel) -> Vec<u8> {
    let u = unit(m);
    let mut d = vec![(u.firmware.len() / 2) as u8];
    d.extend_from_slice(u.firmware);
    d.push(0);
    w(&mut d, (u.rating / 50) as u16);
    d.push(u.phases);
    d.push(0); // phase angle
    d.push(u.description.len() as u8);
    d.extend_from_slice(u.description);
    let map_len = u.meters.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
    let mut map = vec![0u8; map_len];
    for &(i, f) in u.meters {
        map[i] = f;
    }
    d.push(map_len as u8);
    d.extend_from_slice(&map);
    // The whole map (33 bytes, every alarm C knows) unless `bcmxcp.alarm_map_len` says
    // otherwise: C takes the alarms past a shorter map for the first alarm of the block.
    let alarm_len = setting(m, "alarm_map_len", 33).clamp(25, 255) as usize;
    let mut bits = vec![0u8; alarm_len];
    for a in ALARMS {
        bits[a / 8] |= 1 << (a % 8);
    }
    d.push(alarm_len as u8);
    d.extend_from_slice(&bits);
    w(&mut d, CONFIG_BLOCK_LEN as u16);
    d.push(0); // statistics map
    w(&mut d, 0); // alarm history
    w(&mut d, 0); // custom event log
    w(&mut d, 2); // topology block
    d.push(16); // longest command
    w(&mut d, u.commands.len() as u16 + 2);
    w(&mut d, OUTLET_BLOCK_LEN);
    w(&mut d, ALARMS.len() as u16);
    d
}

fn va(m: &UpsModel) -> f64 {
    if m.output_on {
        (f64::from(unit(m).rating) * f64::from(m.load) / 100.0).round()
    } else {
        0.0
    }
}

fn meter(m: &UpsModel, index: usize) -> f64 {
    let va = va(m);
    let phases = f64::from(unit(m).phases);
    match index {
        18..=20 if m.mains => (va / phases / m.input_voltage() * 10.0).round() / 10.0,
        18..=20 => 0.0,
        48 | 49 if m.output_on => f64::from(m.load),
        57 | 58 => m.input_voltage().round(),
        66 | 67 => {
            let v = m.output_voltage();
            if v > 0.0 {
                va / phases / v
            } else {
                0.0
            }
        }
        69 | 70 => f64::from(unit(m).rating) / phases / m.nominal_voltage,
        79 | 80 => m.output_voltage().round(),
        82..=84 => (va * 0.64 / phases).round(),
        85 => f64::from(unit(m).rating) * 0.3,
        12 => 5.0,
        21 => (va * 0.64).round(),
        23 => va,
        27 if m.mains => m.frequency,
        27 => m.nominal_frequency,
        28 | 30 if m.mains => m.frequency,
        33 if unit(m).rating == 1500 => m.battery_voltage() * 2.0,
        33 if unit(m).phases == 3 => m.battery_voltage() * 10.0,
        33 => m.battery_voltage(),
        34 => m.charge.round(),
        35 => m.runtime().round(),
        47 if m.output_on => f64::from(m.load),
        53 | 56 => m.input_voltage().round(),
        62 => m.temperature.round() - 8.0,
        63 => m.temperature.round(),
        65 => {
            let v = m.output_voltage();
            if v > 0.0 {
                va / phases / v
            } else {
                0.0
            }
        }
        68 => f64::from(unit(m).rating) / phases / m.nominal_voltage,
        71 => f64::from(unit(m).rating),
        78 => m.output_voltage().round(),
        91 => 4.0,
        _ => 0.0,
    }
}

fn meter_block(m: &UpsModel) -> Vec<u8> {
    let mut d = Vec::new();
    for &(i, f) in unit(m).meters {
        match f {
            // 28/09/2013 (month/day form), 19:33:33.82, packed BCD.
            0xe0 => d.extend_from_slice(&[0x28, 0x09, 0x13, 0xA0]),
            0xe1 => d.extend_from_slice(&[0x82, 0x33, 0x33, 0x19]),
            0xf0 => d.extend_from_slice(&(meter(m, i) as i32).to_le_bytes()),
            _ => d.extend_from_slice(&(meter(m, i) as f32).to_le_bytes()),
        }
    }
    d
}

fn alarm_active(m: &UpsModel, alarm: usize) -> bool {
    match alarm {
        25 => m.load > 100,
        56 => m.battery_low(),
        57 => !m.mains,
        149 => false,
        168 => !m.mains && m.output_on,
        191 => m.failed,
        196 => m.avr() == Avr::Trim,
        197 => m.avr() == Avr::Boost,
        _ => false,
    }
}

fn status_block(m: &UpsModel) -> Vec<u8> {
    let status = if !m.output_on {
        0x10
    } else if setting(m, "bypass", 0) != 0 {
        0x60
    } else if !m.mains {
        0xf0
    } else if m.load > 100 {
        0xe0
    } else {
        match m.avr() {
            Avr::Trim => 0x63,
            Avr::Boost => 0x61,
            Avr::Off => 0x50,
        }
    };
    let topology = if m.battery_low() { 0x20 } else { 0x00 };
    vec![status, topology, 0, 0]
}

fn battery_block(m: &UpsModel) -> Vec<u8> {
    let mut d = vec![0u8; 21];
    d[0] = setting(m, "test", unit(m).test_result) as u8;
    d[1..5].copy_from_slice(&(m.battery_voltage() as f32).to_le_bytes());
    d[19] = 1;
    d[20] = if !m.mains {
        2
    } else if m.charge < 100.0 {
        1
    } else {
        4
    };
    d
}

fn limit_block(m: &UpsModel) -> Vec<u8> {
    let nom = m.nominal_voltage;
    let mut d = Vec::new();
    w(&mut d, nom as u16);
    w(&mut d, m.nominal_frequency as u16);
    w(&mut d, (f64::from(unit(m).rating) * 0.7) as u16);
    w(&mut d, 0x0110);
    w(&mut d, 500); // frequency deviation, 1/100 Hz
    w(
        &mut d,
        setting(m, "boost", (nom * 0.9).round() as i64) as u16,
    );
    w(
        &mut d,
        setting(m, "trim", (nom * 1.06).round() as i64) as u16,
    );
    w(&mut d, 0);
    d.push(setting(m, "lowbatt", 2) as u8);
    d.push(setting(m, "beeper", unit(m).horn) as u8);
    w(&mut d, (nom * 0.7).round() as u16);
    w(&mut d, (nom * 1.2).round() as u16);
    w(&mut d, setting(m, "return_delay", 0) as u16);
    d.push(setting(m, "return_cap", 76) as u8);
    d.push(0);
    d.push(setting(m, "max_temp", 70) as u8);
    d.extend_from_slice(&[0, 0]);
    d.push(setting(m, "sleep_load", 0) as u8);
    d.push(setting(m, "sleep_delay", 0) as u8);
    d.push(0);
    d
}

fn config_block(m: &UpsModel) -> Vec<u8> {
    let mut d = vec![0u8; CONFIG_BLOCK_LEN];
    d[0..2].copy_from_slice(&0x0105u16.to_le_bytes());
    d[2..4].copy_from_slice(&5125u16.to_le_bytes());
    let nominal_out = setting(m, "nominal_out", m.nominal_voltage as i64) as u16;
    d[8..10].copy_from_slice(&nominal_out.to_le_bytes());
    d[10..12].copy_from_slice(&(m.nominal_frequency as u16).to_le_bytes());
    d[16] = 0x2f;
    d[26] = setting(m, "strings", 1) as u8;
    d[48..64].copy_from_slice(unit(m).part);
    d[64..80].copy_from_slice(unit(m).serial);
    d
}

fn outlet_block(m: &UpsModel) -> Vec<u8> {
    let mut d = vec![OUTLETS, 6];
    for n in 1..=OUTLETS {
        d.push(n);
        let on = m.output_on && setting(m, &format!("outlet{n}.on"), 1) != 0;
        d.push(if on { 1 } else { 2 });
        w(
            &mut d,
            setting(m, &format!("outlet{n}.off_delay"), -1) as u16,
        );
        w(
            &mut d,
            setting(m, &format!("outlet{n}.on_delay"), i64::from(n) * 2 + 1) as u16,
        );
    }
    d
}

fn ack(status: u8, command: u8, extra: &[u8]) -> Vec<u8> {
    let mut d = vec![status, command];
    d.extend_from_slice(extra);
    reply_frames(0x09, &d, CHUNK)
}

fn set_conf(m: &mut UpsModel, body: &[u8]) -> u8 {
    let code = body.get(1).copied().unwrap_or(0);
    let value = i64::from(u16::from_le_bytes([
        body.get(2).copied().unwrap_or(0),
        body.get(3).copied().unwrap_or(0),
    ]));
    if !unit(m).settable.contains(&code) {
        return ret::INVALID_PARAMETER;
    }
    let name = match code {
        conf::BEEPER if value <= 2 => "beeper",
        conf::BEEPER => return ret::OUT_OF_RANGE,
        conf::LOW_DEV_LIMIT => "boost",
        conf::HIGH_DEV_LIMIT => "trim",
        conf::LOW_BATT => "lowbatt",
        conf::RETURN_DELAY => "return_delay",
        conf::RETURN_CAP => "return_cap",
        conf::MAX_TEMP => "max_temp",
        conf::NOMINAL_OUT_VOLTAGE => "nominal_out",
        conf::SLEEP_TH_LOAD => "sleep_load",
        conf::SLEEP_DELAY => "sleep_delay",
        conf::BATT_STRINGS => "strings",
        _ => return ret::INVALID_PARAMETER,
    };
    put(m, name, value);
    if code == conf::BEEPER {
        m.beeper = value == 1;
    }
    ret::ACCEPTED
}

/// The unit's answer (reply blocks, as sent) to one command (its bytes, unframed); `None`
/// when it says nothing.
pub fn respond(m: &mut UpsModel, body: &[u8]) -> Option<Vec<u8>> {
    let command = *body.first()?;
    let block = |data: Vec<u8>| Some(reply_frames(command.wrapping_sub(0x30), &data, CHUNK));
    match command {
        cmd::ID_BLOCK => block(id_block(m)),
        cmd::STATUS => block(status_block(m)),
        cmd::METER_BLOCK => block(meter_block(m)),
        cmd::CUR_ALARM => block(
            ALARMS
                .iter()
                .map(|&a| u8::from(alarm_active(m, a)))
                .collect(),
        ),
        cmd::CONFIG_BLOCK => block(config_block(m)),
        cmd::BATTERY => block(battery_block(m)),
        cmd::LIMIT_BLOCK => block(limit_block(m)),
        cmd::COMMAND_LIST => {
            let list = unit(m).commands;
            let mut d = vec![list.len() as u8, 1];
            d.extend_from_slice(list);
            block(d)
        }
        cmd::OUTLET_BLOCK => block(outlet_block(m)),
        cmd::TOPOLOGY => block(unit(m).topology.to_le_bytes().to_vec()),
        c if !unit(m).commands.contains(&c) => Some(ack(ret::NOT_IMPLEMENTED, command, &[])),
        cmd::AUTHORIZATION => None,
        cmd::REQ_ONLY_MODE => Some(reply_frames(0x01, &[ret::ACCEPTED, command], CHUNK)),
        cmd::LOAD_OFF_RESTART => {
            let delay = u16::from_le_bytes([
                body.get(1).copied().unwrap_or(0),
                body.get(2).copied().unwrap_or(0),
            ]);
            match body.get(3) {
                None => {
                    m.shutdown_in = Some(f64::from(delay));
                    m.restart_after = Some(0);
                }
                Some(&n) if (1..=OUTLETS).contains(&n) => put(m, &format!("outlet{n}.on"), 0),
                Some(_) => return Some(ack(ret::INVALID_PARAMETER, command, &[])),
            }
            Some(ack(ret::ACCEPTED, command, &delay.to_le_bytes()))
        }
        cmd::UPS_OFF | cmd::UPS_ON => {
            let on = command == cmd::UPS_ON;
            match body.get(1) {
                None => {
                    m.output_on = on;
                    m.shutdown_in = None;
                    put(m, "bypass", 0);
                }
                Some(&n) if (1..=OUTLETS).contains(&n) => {
                    put(m, &format!("outlet{n}.on"), i64::from(on));
                }
                Some(_) => return Some(ack(ret::INVALID_PARAMETER, command, &[])),
            }
            Some(ack(ret::ACCEPTED, command, &[]))
        }
        cmd::BATTERY_TEST => {
            put(m, "test", if m.failed { 4 } else { 2 });
            m.testing = true;
            Some(ack(ret::ACCEPTED, command, &[]))
        }
        cmd::SET_CONF if body.get(1) == Some(&conf::REQ) => {
            let mut d = vec![ret::ACCEPTED, command, 0];
            d.extend_from_slice(unit(m).settable);
            Some(reply_frames(0x09, &d, CHUNK))
        }
        cmd::SYSTEM_TEST if body.get(1) == Some(&0xFF) => {
            let mut d = vec![ret::ACCEPTED, command, 0];
            d.extend_from_slice(unit(m).system_tests);
            Some(reply_frames(0x09, &d, CHUNK))
        }
        cmd::SYSTEM_TEST => {
            let known = body
                .get(1)
                .is_some_and(|t| unit(m).system_tests.contains(t));
            let status = if known {
                ret::ACCEPTED
            } else {
                ret::INVALID_PARAMETER
            };
            Some(ack(status, command, &[]))
        }
        cmd::GO_TO_BYPASS => {
            put(m, "bypass", 1);
            Some(ack(ret::ACCEPTED, command, &[]))
        }
        cmd::SET_CONF => {
            let status = set_conf(m, body);
            Some(ack(status, command, &[]))
        }
        cmd::SET_OUTLET => {
            let (what, n) = (body.get(1).copied(), body.get(2).copied().unwrap_or(0));
            let value = i64::from(i16::from_le_bytes([
                body.get(3).copied().unwrap_or(0),
                body.get(4).copied().unwrap_or(0),
            ]));
            if !(1..=OUTLETS).contains(&n) {
                return Some(ack(ret::INVALID_PARAMETER, command, &[]));
            }
            match what {
                Some(1) => put(m, &format!("outlet{n}.off_delay"), value),
                Some(2) => put(m, &format!("outlet{n}.on_delay"), value),
                _ => return Some(ack(ret::INVALID_PARAMETER, command, &[])),
            }
            Some(ack(ret::ACCEPTED, command, &[]))
        }
        0x89..=0xFF => Some(ack(ret::NOT_IMPLEMENTED, command, &[])),
        _ => Some(ack(ret::UNRECOGNISED, command, &[])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bcmxcp::frame::{command_frame, parse_reply, IdBlock};

    fn ask(model: &SharedModel, command: &[u8]) -> Option<Vec<u8>> {
        let mut pending = vec![0x1d];
        pending.extend_from_slice(&command_frame(command));
        let mut out = Vec::new();
        feed_buffer(model, &mut pending, &mut out);
        assert!(pending.is_empty());
        if out.is_empty() {
            return None;
        }
        Some(parse_reply(command[0], &out).unwrap().unwrap())
    }

    #[test]
    fn answers_like_a_pw5125() {
        let model = UpsModel::shared();
        let id = IdBlock::parse(&ask(&model, &[0x31]).unwrap());
        assert_eq!(id.model, "PW5125     1500i");
        assert_eq!(id.firmware.as_deref(), Some("Cont:01.01 Inve:01.01"));
        assert_eq!(id.outlet_len, 14);
        assert_eq!(id.command_list_len, 20);
        assert_eq!(ask(&model, &[0x35]).unwrap(), vec![0; 8]);
        model.lock().unwrap().apply("mains-lost").unwrap();
        assert_eq!(ask(&model, &[0x35]).unwrap(), vec![0, 0, 1, 0, 1, 0, 0, 0]);
        assert_eq!(ask(&model, &[0x33]).unwrap()[0], 0xf0);
        // No answer to the authorization; control commands act and are logged.
        assert_eq!(ask(&model, &crate::bcmxcp::tables::AUTHOR), None);
        assert_eq!(
            ask(&model, &[0x95, 0x0b, 0x78, 0x00]).unwrap(),
            vec![0x31, 0x95]
        );
        assert_eq!(&config_block(&model.lock().unwrap())[8..10], &[0x78, 0]);
        assert_eq!(
            ask(&model, &[0x8A, 0x78, 0x00]).unwrap(),
            vec![0x31, 0x8A, 0x78, 0]
        );
        assert_eq!(model.lock().unwrap().shutdown_in, Some(120.0));
        let log = model.lock().unwrap().received.clone();
        assert_eq!(log[0], "ab 01 31 23");
        assert_eq!(log.last().map(String::as_str), Some("ab 03 8a 78 00 50"));
        // The other unit.
        let other = UpsModel::shared();
        other
            .lock()
            .unwrap()
            .settings
            .insert("bcmxcp.unit".into(), "PW9130".into());
        let id = IdBlock::parse(&ask(&other, &[0x31]).unwrap());
        assert_eq!(id.model, "PW9130  700VA-T                  700i");
        assert_eq!(id.firmware.as_deref(), Some("Cont:00.13 Inve:01.29"));
        assert_eq!(
            ask(&other, &[0xB2, 0xFF]).unwrap(),
            vec![0x31, 0xB2, 0, 1, 2, 4]
        );
        assert_eq!(ask(&model, &[0xB2, 0xFF]).unwrap(), vec![0x32, 0xB2]);
        // A corrupted frame is refused.
        let mut bad = command_frame(&[0x34]);
        bad[3] ^= 1;
        let mut out = Vec::new();
        feed_buffer(&model, &mut bad, &mut out);
        assert_eq!(parse_reply(0x89, &out).unwrap().unwrap(), vec![0x34, 0x34]);
    }
}
