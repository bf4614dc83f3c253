//! The Mecer dialect (C's `nutdrv_qx_mecer.c`, "Mecer 0.07"): the Megatec table (`Q1`, `F`,
//! `I`) for units that answer commands with `(ACK` or `(NAK`, and for Voltronic Power P98
//! units that also answer `QPI` with `(PI98`.
//!
//! The device is claimed when `Q1` answers and `QPI` either gives `(PI98`
//! (`ups.firmware.aux` becomes `Voltronic Power P98`) or is refused with `(NAK`. A P98
//! unit accepts battery tests from 12 seconds (`T.2`), others from one minute.

use nut_driver_api::DeviceState;

use super::blazer;
use super::dialect::{Claim, Dialect, Family};
use super::engine::Engine;
use super::item::{Item, Process, ReplyError, CMD, STATIC};

/// The dialect.
pub const DIALECT: Dialect = Dialect {
    version: "Mecer 0.07",
    claim: Claim::StatusAndProtocolOrNak,
    status: "Q1\r",
    ratings: true,
    vendor: Some("I\r"),
    accepted: Some("ACK"),
    rejected: Some("(NAK\r"),
    vendor_flags: true,
    family: Family::Mecer,
};

const P98: u8 = 1;
const TEST: u8 = 2;

/// What `ups.firmware.aux` says for a P98 unit.
pub const P98_NAME: &str = "Voltronic Power P98";

/// The protocol table (C's `mecer_qx2nut`): the Megatec one after a `QPI` query, with
/// commands whose `(ACK`/`(NAK` replies are checked.
pub fn table() -> Vec<Item> {
    let mut t = vec![
        Item::value("ups.firmware.aux", "QPI\r", 6, b'(', 1, 4, "%s", STATIC)
            .with(Process::Dialect(P98)),
    ];
    for item in blazer::table(DIALECT.status, DIALECT.ratings, DIALECT.vendor) {
        if !item.has(CMD) {
            t.push(item);
            continue;
        }
        let item = Item {
            answer_len: 5,
            leading: b'(',
            from: 1,
            to: 3,
            ..item
        };
        if item.var == "test.battery.start" {
            t.push(Item {
                command: "T%s\r",
                process: Process::Dialect(TEST),
                ..item
            });
        } else {
            t.push(item);
        }
    }
    t
}

/// The dialect's value processing: the `QPI` protocol must be `PI98`.
pub fn value(_engine: &mut Engine, _idx: usize, code: u8, raw: &str) -> Result<String, ReplyError> {
    match code {
        P98 if raw.eq_ignore_ascii_case("PI98") => Ok(P98_NAME.to_owned()),
        P98 => {
            tracing::error!("Protocol [{raw}] is not supported by this driver");
            Err(ReplyError::Unexpected)
        }
        _ => Err(ReplyError::Unexpected),
    }
}

/// The text of `test.battery.start` (C's `mecer_process_test_battery`): `param` seconds
/// (digits only, default 600) from 12 (P98) or 60 up to 5940, as `.n` tenths of a minute
/// below one minute, else as `nn` minutes.
pub fn test_battery(template: &str, param: &str, p98: bool) -> Option<String> {
    if !param.bytes().all(|b| b.is_ascii_digit()) {
        tracing::error!("test.battery.start: non numerical value [{param}]");
        return None;
    }
    let min = if p98 { 12 } else { 60 };
    let secs = if param.is_empty() {
        600
    } else {
        nut_driver_api::status::c_strtol(param)
    };
    if !(min..=5940).contains(&secs) {
        tracing::error!(
            "test.battery.start: battery test time '{secs}' out of range [{min}..5940] seconds"
        );
        return None;
    }
    let arg = if secs < 60 {
        format!(".{}", secs / 6)
    } else {
        format!("{:02}", secs / 60)
    };
    Some(template.replace("%s", &arg))
}

/// The device command for an instant command of this dialect.
pub fn command(
    engine: &Engine,
    idx: usize,
    code: u8,
    param: &str,
    state: &DeviceState,
) -> Option<String> {
    let item = &engine.items[idx];
    match code {
        TEST => {
            let p98 = state
                .value("ups.firmware.aux")
                .is_some_and(|v| v.eq_ignore_ascii_case(P98_NAME));
            test_battery(item.command, param, p98)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_test_times() {
        assert_eq!(test_battery("T%s\r", "", false).as_deref(), Some("T10\r"));
        assert_eq!(test_battery("T%s\r", "12", true).as_deref(), Some("T.2\r"));
        assert_eq!(test_battery("T%s\r", "12", false), None);
        assert_eq!(test_battery("T%s\r", "5941", true), None);
        assert_eq!(test_battery("T%s\r", "1.5", true), None);
        assert_eq!(test_battery("T%s\r", "90", false).as_deref(), Some("T01\r"));
        let t = table();
        assert_eq!(t.len(), 35);
        assert_eq!(t[0].command, "QPI\r");
        assert!(t.iter().filter(|i| i.has(CMD)).all(|i| i.answer_len == 5));
    }
}
