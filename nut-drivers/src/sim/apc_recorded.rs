//! Real APC Smart units as reply tables: what a unit answered to each command character,
//! rebuilt from the values a C driver published for it (a dump of NUT's device library).
//! Tests serve such a table (on a pseudo-terminal, or as an in-process port) to check that
//! drivers make the same values out of it.
//!
//! ```
//! use std::collections::HashMap;
//! use nut_drivers::sim::apc_recorded::recorded_replies;
//! let dump: HashMap<String, String> = [
//!     ("battery.runtime", "960"),
//!     ("input.transfer.reason", "high utility voltage"),
//!     ("ups.status", "OL LB"),
//! ]
//! .map(|(k, v)| (k.to_owned(), v.to_owned()))
//! .into();
//! let r = recorded_replies(&dump);
//! assert_eq!(r[&b'j'], "0016:");
//! assert_eq!(r[&b'G'], "H");
//! assert_eq!(r[&b'Q'], "48");
//! assert_eq!(r[&b'a'], "3.!$%+?=#|.Gj");
//! ```

use std::collections::HashMap;

use crate::apcsmart::tables::{self, convert, PACK, VARS};

/// What a real unit answered, rebuilt from the values a C driver published for it (a
/// dump of NUT's device library): each variable of the driver's table back to its command
/// character and the device's spelling (hours, minutes, transfer reason letter), the
/// status words back to the register, `Y` → `SM`, and a command set (`a`) listing exactly
/// those characters. Anything else is answered `NA` by whoever serves
/// the table.
pub fn recorded_replies(vars: &HashMap<String, String>) -> HashMap<u8, String> {
    let mut r = HashMap::new();
    let mut chars = Vec::new();
    for (name, value) in vars {
        let Some(v) = VARS.iter().find(|v| {
            v.name == name && v.flags & PACK == 0 && v.shape.is_none_or(|s| s.matches(value))
        }) else {
            continue;
        };
        let secs = || tables::c_strtol10(value);
        let raw = match v.format {
            tables::Format::Hours => (secs() / 3600).to_string(),
            tables::Format::Minutes => format!("{:04}:", secs() / 60),
            tables::Format::Reason => ["R", "H", "L", "T", "O", "S"]
                .into_iter()
                .find(|c| convert(v.format, c) == *value)
                .unwrap_or(value)
                .to_owned(),
            _ => value.clone(),
        };
        r.insert(v.cmd, raw);
        chars.push(v.cmd);
    }
    // A firmware without three parts is an old unit's, which `V` reports.
    if let Some(fw) = vars.get("ups.firmware") {
        if !tables::Shape::Firmware.matches(fw) {
            r.remove(&b'b');
            r.insert(b'V', fw.clone());
        }
    }
    let mut status = 0u8;
    for word in vars.get("ups.status").map_or("", String::as_str).split(' ') {
        let bit = ["CAL", "TRIM", "BOOST", "OL", "OB", "OVER", "LB", "RB"]
            .iter()
            .position(|w| *w == word);
        if let Some(b) = bit {
            status |= 1 << b;
        }
    }
    r.insert(b'Q', format!("{status:02X}"));
    r.insert(b'Y', "SM".into());
    chars.sort_unstable();
    r.insert(
        b'a',
        format!("3.!$%+?=#|.{}", String::from_utf8_lossy(&chars)),
    );
    r
}
