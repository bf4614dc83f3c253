//! SNMPv1 (RFC 1157) and SNMPv2c (RFC 1901) messages: a version number and a community
//! string around a PDU, with no other security.

use std::fmt;
use std::str::FromStr;

use rasn::types::{Integer, OctetString};
use rasn_snmp::{v1, v2, v2c};

use super::convert::{pdu_from_v1, pdu_from_v2, pdu_to_v1, pdu_to_v2};
use super::pdu::{Incoming, Pdu, Security, SecurityError};

/// A community-based protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// SNMPv1: no GETBULK, no Counter64, no per-varbind exceptions (an absent variable fails
    /// the whole request with noSuchName).
    V1,
    /// SNMPv2c: SNMPv2 PDUs with a community string.
    V2c,
}

impl Version {
    /// The number in the message's version field (0 for v1, 1 for v2c).
    pub fn number(self) -> u8 {
        match self {
            Self::V1 => 0,
            Self::V2c => 1,
        }
    }
}

impl fmt::Display for Version {
    /// As C NUT's `snmp_version` option spells it: `v1`, `v2c`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1 => "v1",
            Self::V2c => "v2c",
        })
    }
}

/// A version other than `v1` and `v2c`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a community-based SNMP version (v1, v2c): {0:?}")]
pub struct BadVersion(pub String);

impl FromStr for Version {
    type Err = BadVersion;

    /// Reads C NUT's `snmp_version` values `v1` and `v2c`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v1" => Ok(Self::V1),
            "v2c" => Ok(Self::V2c),
            _ => Err(BadVersion(s.to_owned())),
        }
    }
}

/// SNMPv1 or SNMPv2c with a community string: the [`Security`] of those versions.
///
/// Answers that are not well-formed messages of this version with this community are
/// [`SecurityError::Malformed`], which the client ignores.
#[derive(Clone)]
pub struct Community {
    version: Version,
    community: OctetString,
}

impl fmt::Debug for Community {
    /// The community is a password: it is not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Community")
            .field("version", &self.version)
            .field("community", &"***")
            .finish()
    }
}

impl Community {
    /// `version` with `community`.
    pub fn new(version: Version, community: impl AsRef<[u8]>) -> Self {
        Self {
            version,
            community: OctetString::from(community.as_ref().to_vec()),
        }
    }

    /// SNMPv1 with `community`.
    pub fn v1(community: impl AsRef<[u8]>) -> Self {
        Self::new(Version::V1, community)
    }

    /// SNMPv2c with `community`.
    pub fn v2c(community: impl AsRef<[u8]>) -> Self {
        Self::new(Version::V2c, community)
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.version
    }
}

impl Security for Community {
    fn wrap(&mut self, pdu: &Pdu) -> Result<Vec<u8>, SecurityError> {
        encode(self.version, self.community.clone(), pdu)
    }

    fn unwrap(&mut self, datagram: &[u8]) -> Result<Incoming, SecurityError> {
        let (version, community, pdu) = match self.version {
            Version::V1 => {
                let m: v1::Message<v1::Pdus> = decode(datagram)?;
                (m.version, m.community, pdu_from_v1(&m.data)?)
            }
            Version::V2c => {
                let m: v2c::Message<v2::Pdus> = decode(datagram)?;
                (m.version, m.community, pdu_from_v2(&m.data)?)
            }
        };
        if version != Integer::from(self.version.number()) {
            return Err(SecurityError::Malformed(format!(
                "message version {version}, expected {} ({})",
                self.version.number(),
                self.version
            )));
        }
        if community != self.community {
            return Err(SecurityError::Malformed("another community".into()));
        }
        Ok(Incoming::Pdu(pdu))
    }
}

fn decode<T: rasn::Decode>(datagram: &[u8]) -> Result<T, SecurityError> {
    rasn::ber::decode(datagram).map_err(|e| SecurityError::Malformed(e.to_string()))
}

/// The datagram of `pdu` in a `version` message with `community`.
pub(crate) fn encode(
    version: Version,
    community: OctetString,
    pdu: &Pdu,
) -> Result<Vec<u8>, SecurityError> {
    let encoded = match version {
        Version::V1 => rasn::ber::encode(&v1::Message {
            version: Integer::from(0),
            community,
            data: pdu_to_v1(pdu)?,
        }),
        Version::V2c => rasn::ber::encode(&v2c::Message {
            version: Integer::from(1),
            community,
            data: pdu_to_v2(pdu)?,
        }),
    };
    encoded.map_err(|e| SecurityError::Encode(e.to_string()))
}

/// A decoded message of either version, as an agent receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// The version it was sent with (the answer goes back with the same).
    pub(crate) version: Version,
    /// Its community string.
    pub(crate) community: OctetString,
    /// Its PDU.
    pub(crate) pdu: Pdu,
}

/// Reads an SNMPv1 or SNMPv2c message, whichever `datagram` is.
pub(crate) fn decode_any(datagram: &[u8]) -> Result<Message, SecurityError> {
    let v1 = || {
        let m: v1::Message<v1::Pdus> = decode(datagram)?;
        if m.version != Integer::from(0) {
            return Err(SecurityError::Malformed(format!(
                "message version {}",
                m.version
            )));
        }
        Ok(Message {
            version: Version::V1,
            pdu: pdu_from_v1(&m.data)?,
            community: m.community,
        })
    };
    match decode::<v2c::Message<v2::Pdus>>(datagram) {
        Ok(m) if m.version == Integer::from(1) => Ok(Message {
            version: Version::V2c,
            pdu: pdu_from_v2(&m.data)?,
            community: m.community,
        }),
        // SNMPv1 encodes a few things differently (its own value types): read it again as one.
        Ok(m) if m.version == Integer::from(0) => v1(),
        Ok(m) => Err(SecurityError::Malformed(format!(
            "message version {}",
            m.version
        ))),
        Err(_) => v1(),
    }
}

#[cfg(test)]
mod tests;
