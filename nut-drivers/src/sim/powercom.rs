//! PowerCom's serial protocol (KIN, BNT, IMP, OPTI, Trust, Egys, KP625AP units), as C
//! NUT's `powercom` driver speaks it.
//!
//! Single-byte commands, no terminator. `0x01` asks for a status frame: a fixed number of
//! raw bytes (16; 11 for the Trust family) with no checksum: load, battery, input and
//! output voltage, input frequency, firmware byte, output frequency, two zero bytes, the
//! status bytes A (mains failure, low battery, AVR on, AVR mode, overload, off) and B (bad
//! battery, test), the model letter and the model number (high nibble the rating, low
//! nibble the line voltage), then three more bytes. `0x03` starts a battery test (only logged: the simulated test is over at once; [`UpsModel::testing`] says one runs); `0xba
//! [minutes] seconds` shuts the output off, `0xb9 0xbc [minutes] seconds` shuts it off and
//! back on when mains returns (minutes are sent by the families that take them). No other
//! command is answered.
//!
//! Device settings ([`UpsModel::settings`]): `powercom.type` (`KIN`, the default, `BNT`,
//! `IMP`, `OPTI`, `Trust`, `Egys`, `KP625AP`), `powercom.model` (the model number byte in
//! decimal; the default is a 1500 VA, 230 V unit of each family, a 625 VA for IMP and a
//! 575 VA for OPTI). Every byte received is logged in [`UpsModel::received`] as two
//! hexadecimal digits, a command with its arguments on one line.
//!
//! ```
//! use nut_drivers::sim::powercom::frame;
//! use nut_drivers::sim::UpsModel;
//!
//! let mut model = UpsModel::new();
//! assert_eq!(frame(&model).len(), 16);
//! assert_eq!(frame(&model)[11], b'K');
//! model.mains_lost();
//! assert_eq!(frame(&model)[9] & 1, 1);
//! ```

use super::model::Avr;
use super::{SharedModel, UpsModel};

/// The families the simulator knows, as `powercom.type` names them.
pub const TYPES: [&str; 7] = ["KIN", "BNT", "IMP", "OPTI", "Trust", "Egys", "KP625AP"];

fn kind(model: &UpsModel) -> &str {
    model
        .settings
        .get("powercom.type")
        .map_or("KIN", String::as_str)
}

fn model_byte(model: &UpsModel) -> u8 {
    let default = match kind(model) {
        "IMP" | "OPTI" => 0x39,
        _ => 0x89,
    };
    model
        .settings
        .get("powercom.model")
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether the family sends minutes with the shutdown delays.
fn takes_minutes(model: &UpsModel) -> bool {
    !matches!(kind(model), "Trust" | "Egys" | "KP625AP")
}

fn byte(x: f64) -> u8 {
    x.round().clamp(0.0, 255.0) as u8
}

/// The status frame the device sends now.
pub fn frame(model: &UpsModel) -> Vec<u8> {
    let kind = kind(model);
    let on_battery = !model.mains && model.output_on;
    let load = f64::from(model.load.min(255));
    let vin = model.input_voltage();
    let vout = model.output_voltage();
    let (volt, freq, battery, version, letter) = match kind {
        "KIN" => (
            1.0 / 1.61,
            4807.0 / model.frequency.max(1.0),
            165.0 + model.charge / 2.6,
            0x10,
            b'K',
        ),
        "BNT" => (
            1.0 / 2.2,
            4807.0 / model.frequency.max(1.0),
            165.0 + model.charge * 0.28 - load / 4.0,
            0x10,
            b'B',
        ),
        "IMP" | "OPTI" => (0.5, model.frequency, model.charge, 0xff, b'O'),
        _ => (
            1.0 / 1.9216,
            (1.0 / model.frequency.max(1.0) - 0.00020928) / 0.00020997,
            (model.charge + 835.82) / 4.5639,
            if kind == "Trust" { 0 } else { 0x80 },
            0,
        ),
    };
    let letter = if kind == "IMP" { b'I' } else { letter };
    let mut a = 0u8;
    if on_battery || !model.mains {
        a |= 1;
    }
    if model.battery_low() {
        a |= 2;
    }
    match model.avr() {
        Avr::Boost => a |= 8 | 16,
        Avr::Trim => a |= 8,
        Avr::Off => {}
    }
    if model.load > 100 {
        a |= 32;
    }
    if !model.output_on {
        a |= 128;
    }
    let b = u8::from(model.failed) << 1 | u8::from(model.testing) << 2;
    let bnt_offset = if kind == "BNT" { 24.0 / 2.2 } else { 0.0 };
    let mut f = vec![
        byte(load),
        byte(battery),
        byte(vin * volt + if vin > 0.0 { bnt_offset } else { 0.0 }),
        byte(vout * volt + bnt_offset),
        byte(if model.mains { freq } else { 0.0 }),
        version,
        byte(freq),
        0,
        0,
        a,
        b,
        letter,
        model_byte(model),
        0,
        0,
        byte(model.battery_voltage() * 4.0),
    ];
    if kind == "Trust" {
        f.truncate(11);
    }
    f
}

/// Takes the commands out of `pending` and appends the answers to `out`. A command whose
/// arguments have not all arrived stays in `pending`.
pub fn feed(model: &SharedModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
    feed_model(&mut m, pending, out);
}

/// [`feed`] for a model at hand.
pub fn feed_model(m: &mut UpsModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    let delay = if takes_minutes(m) { 2 } else { 1 };
    while let Some(&cmd) = pending.first() {
        let len = match cmd {
            0xba => 1 + delay,
            0xb9 => 2 + delay,
            _ => 1,
        };
        if pending.len() < len {
            return;
        }
        let bytes: Vec<u8> = pending.drain(..len).collect();
        m.received.push(super::liebert::hex(&bytes));
        match cmd {
            0x01 => out.extend_from_slice(&frame(m)),
            0xba => {
                m.shutdown_in = Some(seconds(&bytes[1..]));
                m.restart_after = None;
            }
            0xb9 => {
                m.shutdown_in = Some(seconds(&bytes[2..]));
                m.restart_after = Some(0);
            }
            _ => {}
        }
    }
}

fn seconds(delay: &[u8]) -> f64 {
    match delay {
        [m, s] => f64::from(*m) * 60.0 + f64::from(*s),
        [s] => f64::from(*s),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_commands() {
        let model = UpsModel::shared();
        let mut out = Vec::new();
        let mut pending = vec![1, 3, 0xb9, 0xbc, 1];
        feed(&model, &mut pending, &mut out);
        assert_eq!(out.len(), 16);
        assert_eq!(pending, [0xb9, 0xbc, 1]);
        pending.push(30);
        feed(&model, &mut pending, &mut out);
        let m = model.lock().unwrap();
        assert_eq!(m.received, ["01", "03", "b9 bc 01 1e"]);
        assert_eq!(m.shutdown_in, Some(90.0));
        drop(m);
        let proto = crate::sim::Protocol::from_name("PowerCom").unwrap();
        let reply = proto.respond(&mut UpsModel::new(), &[1]).unwrap();
        assert_eq!(reply.len(), 16);
        for t in TYPES {
            let mut m = UpsModel::new();
            m.settings.insert("powercom.type".into(), t.into());
            m.apply("mains-lost").unwrap();
            let f = frame(&m);
            assert_eq!(f.len(), if t == "Trust" { 11 } else { 16 });
            assert_eq!(f[9] & 1, 1, "{t}");
        }
    }
}
