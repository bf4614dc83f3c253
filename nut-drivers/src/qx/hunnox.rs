//! The Hunnox dialect (C's `nutdrv_qx_hunnox.c`, "Hunnox 0.01"): Zinto's table (`Q1`, `F`,
//! `FW?`) with every status value read in quick polls too, other default delays
//! (`ups.delay.start` 0, `ups.delay.shutdown` 60) and `UPS No Ack` taken as "accepted".
//! Probed after zinto, which claims the same devices: in practice it is chosen with
//! `protocol=hunnox`.

use super::blazer;
use super::dialect::{Claim, Dialect, Family};
use super::item::{Item, Process, ABSENT, QUICK_POLL};

/// The dialect.
pub const DIALECT: Dialect = Dialect {
    version: "Hunnox 0.01",
    claim: Claim::StatusAndVendor,
    status: "Q1\r",
    ratings: true,
    vendor: Some("FW?\r"),
    accepted: Some("UPS No Ack"),
    rejected: None,
    vendor_flags: true,
    family: Family::Hunnox,
};

/// The protocol table (C's `hunnox_qx2nut`).
pub fn table() -> Vec<Item> {
    blazer::table(DIALECT.status, DIALECT.ratings, DIALECT.vendor)
        .into_iter()
        .map(|item| match item.var {
            _ if item.command == DIALECT.status && item.process == Process::Plain => Item {
                flags: item.flags | QUICK_POLL,
                ..item
            },
            "ups.delay.start" if item.has(ABSENT) => Item {
                format: "0",
                ..item
            },
            "ups.delay.shutdown" if item.has(ABSENT) => Item {
                format: "60",
                ..item
            },
            _ => item,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zinto_with_quick_values() {
        let t = table();
        assert_eq!(t.len(), 34);
        assert_eq!(t.iter().filter(|i| i.has(QUICK_POLL)).count(), 7 + 5);
        let start = t.iter().find(|i| i.var == "ups.delay.start").unwrap();
        assert_eq!(start.format, "0");
    }
}
