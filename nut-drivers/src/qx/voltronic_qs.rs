//! The Voltronic-QS dialect (C's `nutdrv_qx_voltronic-qs.c`, "Voltronic-QS 0.07"): `M`
//! must answer `V` (published as `ups.firmware.aux` `PM-V`), then a `QS` status line as
//! Megatec's `Q1` (its frequency is the output's) and `F` ratings of the output. Few
//! commands; no battery test but the quick one.

use super::blazer;
use super::dialect::{Claim, Dialect, Family};
use super::engine::Engine;
use super::item::{Item, Process, ReplyError, ABSENT, CMD, RANGE, SETVAR, STATIC};

/// The dialect.
pub const DIALECT: Dialect = Dialect {
    version: "Voltronic-QS 0.07",
    claim: Claim::ProtocolThenStatus,
    status: "QS\r",
    ratings: true,
    vendor: None,
    accepted: None,
    rejected: None,
    vendor_flags: false,
    family: Family::VoltronicQs,
};

const PROTOCOL: u8 = 1;

const ONDELAY_RANGE: &[&str] = &["60", "599940"];
const OFFDELAY_RANGE: &[&str] = &["12", "540"];

/// The commands this dialect has (C's table order).
const COMMANDS: [&str; 7] = [
    "beeper.toggle",
    "load.off",
    "load.on",
    "shutdown.return",
    "shutdown.stayoff",
    "shutdown.stop",
    "test.battery.start.quick",
];

/// The protocol table (C's `voltronic_qs_qx2nut`).
pub fn table() -> Vec<Item> {
    let mut t = vec![
        Item::value("ups.firmware.aux", "M\r", 2, 0, 0, 0, "PM-%s", STATIC)
            .with(Process::Dialect(PROTOCOL)),
    ];
    let megatec = blazer::table(DIALECT.status, true, None);
    for item in &megatec {
        if item.has(CMD) || item.has(ABSENT | SETVAR) {
            continue;
        }
        let var = match item.var {
            "input.frequency" => "output.frequency",
            "input.voltage.nominal" => "output.voltage.nominal",
            "input.current.nominal" => "output.current.nominal",
            "input.frequency.nominal" => "output.frequency.nominal",
            v => v,
        };
        t.push(Item {
            var,
            ..item.clone()
        });
    }
    for name in COMMANDS {
        if let Some(item) = megatec.iter().find(|i| i.var == name && i.has(CMD)) {
            t.push(Item {
                from: 1,
                to: 3,
                ..item.clone()
            });
        }
    }
    for item in megatec.iter().filter(|i| i.has(ABSENT | SETVAR | RANGE)) {
        let allowed = if item.var == "ups.delay.start" {
            ONDELAY_RANGE
        } else {
            OFFDELAY_RANGE
        };
        t.push(Item {
            allowed,
            ..item.clone()
        });
    }
    t
}

/// The dialect's value processing: the protocol must be `V`.
pub fn value(_engine: &mut Engine, _idx: usize, code: u8, raw: &str) -> Result<String, ReplyError> {
    match code {
        PROTOCOL if raw.eq_ignore_ascii_case("V") => Ok(format!("PM-{raw}")),
        _ => Err(ReplyError::Unexpected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_c_s() {
        let t = table();
        assert_eq!(t.len(), 1 + 15 + 4 + 7 + 2);
        assert_eq!(t[5].var, "output.frequency");
        assert!(t.iter().all(|i| i.command != "I\r"));
        let d = t.iter().find(|i| i.var == "ups.delay.shutdown").unwrap();
        assert_eq!(d.allowed, OFFDELAY_RANGE);
    }
}
