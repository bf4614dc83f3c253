//! The Q* dialects (C's subdrivers) and the order they are probed in.
//!
//! C nutdrv_qx 2.8.0 probes, in this order: voltronic, voltronic-qs, voltronic-qs-hex,
//! mustek, megatec/old, bestups, mecer, megatec, zinto, masterguard, hunnox, ablerex and
//! the Q1 fallback, giving each three tries. This module has the Megatec family (mustek,
//! megatec/old, megatec, zinto, Q1); voltronic ([`super::voltronic`]), voltronic-qs
//! ([`super::voltronic_qs`]), bestups ([`super::bestups`]), mecer ([`super::mecer`]),
//! masterguard ([`super::masterguard`]), hunnox ([`super::hunnox`]), voltronic-qs-hex
//! ([`super::voltronic_qs_hex`]) and ablerex ([`super::ablerex`]) have modules of their
//! own.
//!
//! Masterguard's claim never succeeds in C 2.8.0 (it looks for variables under names its
//! table does not use, fixed in C 2.8.1); this driver claims Masterguard units as 2.8.1
//! does. On other devices nothing changes but the three `WH` probes it sends.

use super::item::Item;
pub use super::voltronic::VOLTRONIC;
use super::{ablerex, bestups, blazer, hunnox, masterguard, mecer, voltronic_qs, voltronic_qs_hex};

/// How a dialect decides that a device speaks it (C's `claim` functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The status line gives `input.voltage` and, unless `novendor` is set, the
    /// identification line gives `ups.firmware` (C's `blazer_claim`).
    StatusAndVendor,
    /// The status line gives `input.voltage` (C's `blazer_claim_light`).
    Status,
    /// The status line gives `input.voltage` and the item for this variable gives a value,
    /// whatever `novendor` says (C's `voltronic_claim`: `QGS` and `QPI`; bestups' `ID`
    /// giving `device.model`).
    StatusAndVar(&'static str),
    /// The status line gives `input.voltage`, and `ups.firmware.aux` either answers or is
    /// refused with the dialect's "rejected" reply (mecer).
    StatusAndProtocolOrNak,
    /// `ups.firmware.aux` (the protocol) answers, then the status line gives
    /// `input.voltage` (voltronic-qs).
    ProtocolThenStatus,
    /// The dialect's own claim ([`super::special::claim`]): Masterguard's mandatory
    /// identification items, slave address and command set.
    Own,
}

/// Which family of tables and processing a dialect belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Family {
    /// The Megatec family ([`blazer`]).
    Megatec,
    /// Voltronic QPI/QGS ([`super::voltronic`]).
    Voltronic,
    /// Voltronic-QS ([`super::voltronic_qs`]).
    VoltronicQs,
    /// Voltronic-QS-Hex ([`super::voltronic_qs_hex`]).
    VoltronicQsHex,
    /// Best Power's Fortress/Ferrups ([`super::bestups`]).
    BestUps,
    /// Mecer ([`super::mecer`]).
    Mecer,
    /// Hunnox ([`super::hunnox`]).
    Hunnox,
    /// Ablerex ([`super::ablerex`]).
    Ablerex,
    /// Masterguard A and E series ([`super::masterguard`]).
    Masterguard,
}

/// One dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// `driver.version.data`: the name and the version of C's subdriver (`Megatec 0.06`);
    /// the `protocol` option matches the part before the space, ignoring case.
    pub version: &'static str,
    /// How it is detected.
    pub claim: Claim,
    /// The status command.
    pub status: &'static str,
    /// Whether `F` (ratings) is asked.
    pub ratings: bool,
    /// The identification command, if any.
    pub vendor: Option<&'static str>,
    /// The reply that means "accepted" for commands (`ACK`), if any.
    pub accepted: Option<&'static str>,
    /// The reply that means "rejected", if any.
    pub rejected: Option<&'static str>,
    /// Whether the `norating` and `novendor` flags apply (all but Q1).
    pub vendor_flags: bool,
    /// The family of the table.
    pub family: Family,
}

impl Dialect {
    /// The dialect's name as the `protocol` option gives it (`Megatec/old`).
    pub fn name(&self) -> &'static str {
        self.version.split(' ').next().unwrap_or(self.version)
    }

    /// The protocol table.
    pub fn table(&self) -> Vec<Item> {
        match self.family {
            Family::Voltronic => super::voltronic::table::table(),
            Family::VoltronicQs => voltronic_qs::table(),
            Family::VoltronicQsHex => voltronic_qs_hex::table(),
            Family::BestUps => bestups::table(),
            Family::Mecer => mecer::table(),
            Family::Hunnox => hunnox::table(),
            Family::Ablerex => ablerex::table(),
            Family::Masterguard => masterguard::table(),
            Family::Megatec => blazer::table(self.status, self.ratings, self.vendor),
        }
    }
}

/// Mustek: `QS` status, `F`, `I`.
pub const MUSTEK: Dialect = Dialect {
    version: "Mustek 0.07",
    claim: Claim::Status,
    status: "QS\r",
    ratings: true,
    vendor: Some("I\r"),
    accepted: Some("ACK"),
    rejected: None,
    vendor_flags: true,
    family: Family::Megatec,
};

/// Megatec/old: `D` status, `F`, `I`.
pub const MEGATEC_OLD: Dialect = Dialect {
    version: "Megatec/old 0.07",
    claim: Claim::Status,
    status: "D\r",
    ..MUSTEK
};

/// Megatec: `Q1` status, `F`, `I`; the identification must answer.
pub const MEGATEC: Dialect = Dialect {
    version: "Megatec 0.06",
    claim: Claim::StatusAndVendor,
    status: "Q1\r",
    ..MUSTEK
};

/// Zinto: as Megatec with `FW?` for the identification.
pub const ZINTO: Dialect = Dialect {
    version: "Zinto 0.06",
    vendor: Some("FW?\r"),
    ..MEGATEC
};

/// The fallback: `Q1` only.
pub const Q1: Dialect = Dialect {
    version: "Q1 0.07",
    claim: Claim::Status,
    status: "Q1\r",
    ratings: false,
    vendor: None,
    accepted: Some("ACK"),
    rejected: None,
    vendor_flags: false,
    family: Family::Megatec,
};

/// The dialects in probing order.
pub const ALL: [Dialect; 13] = [
    VOLTRONIC,
    voltronic_qs::DIALECT,
    voltronic_qs_hex::DIALECT,
    MUSTEK,
    MEGATEC_OLD,
    bestups::DIALECT,
    mecer::DIALECT,
    MEGATEC,
    ZINTO,
    masterguard::DIALECT,
    hunnox::DIALECT,
    ablerex::DIALECT,
    Q1,
];

/// The names C knows for the `protocol` option but this driver does not implement yet
/// (none left).
pub const NOT_YET: [&str; 0] = [];

/// The dialects to probe for a `protocol` option (all of them without one). An error
/// names a protocol that does not exist or is not implemented.
pub fn candidates(protocol: Option<&str>) -> Result<Vec<Dialect>, String> {
    let Some(p) = protocol else {
        return Ok(ALL.to_vec());
    };
    let found: Vec<Dialect> = ALL
        .iter()
        .filter(|d| d.name().eq_ignore_ascii_case(p))
        .copied()
        .collect();
    if !found.is_empty() {
        return Ok(found);
    }
    if NOT_YET.iter().any(|n| n.eq_ignore_ascii_case(p)) {
        return Err(format!("Protocol {p} is not supported by this driver yet"));
    }
    Err("Device not supported!".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_option_picks_dialects() {
        assert_eq!(candidates(None).unwrap().len(), 13);
        assert_eq!(ALL[9], masterguard::DIALECT);
        assert_eq!(candidates(Some("VOLTRONIC")).unwrap(), vec![VOLTRONIC]);
        assert_eq!(candidates(Some("BESTUPS")).unwrap(), vec![bestups::DIALECT]);
        assert_eq!(
            candidates(Some("voltronic-qs")).unwrap(),
            vec![voltronic_qs::DIALECT]
        );
        assert_eq!(candidates(Some("MEGATEC/OLD")).unwrap(), vec![MEGATEC_OLD]);
        assert_eq!(candidates(Some("q1")).unwrap(), vec![Q1]);
        assert_eq!(
            candidates(Some("MasterGuard")).unwrap(),
            vec![masterguard::DIALECT]
        );
        assert_eq!(
            candidates(Some("nope")).unwrap_err(),
            "Device not supported!"
        );
        assert_eq!(ZINTO.name(), "Zinto");
        assert_eq!(
            ZINTO
                .table()
                .iter()
                .filter(|i| i.command == "FW?\r")
                .count(),
            3
        );
    }
}
