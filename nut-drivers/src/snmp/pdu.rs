//! SNMP protocol data units as the driver handles them, whatever the protocol version, and the
//! [`Security`] seam between the request loop and a version's message format.
//!
//! The client ([`super::client`]) sends [`Pdu`]s and matches answers by request id; a
//! [`Security`] turns a PDU into a datagram and back: community strings for SNMPv1/v2c, the
//! User-based Security Model for SNMPv3 ([`super::usm`]). Everything here is sans-IO.

use std::fmt;
use std::str::FromStr;

/// An object identifier, as its arcs (`1.3.6.1.2.1.1.2.0`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(pub Vec<u32>);

impl Oid {
    /// Whether `self` lies under `prefix` (or is equal to it).
    pub fn starts_with(&self, prefix: &Self) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for Oid {
    /// Written as C NUT and net-snmp write numeric OIDs: `.1.3.6.1.2.1.1.2.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for arc in &self.0 {
            write!(f, ".{arc}")?;
        }
        Ok(())
    }
}

/// An OID string that is not dotted decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a numeric OID: {0:?}")]
pub struct BadOid(pub String);

impl FromStr for Oid {
    type Err = BadOid;

    /// Reads `.1.3.6.1` or `1.3.6.1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s.strip_prefix('.').unwrap_or(s);
        if body.is_empty() {
            return Err(BadOid(s.to_owned()));
        }
        body.split('.')
            .map(|arc| arc.parse::<u32>().map_err(|_| BadOid(s.to_owned())))
            .collect::<Result<Vec<_>, _>>()
            .map(Oid)
    }
}

/// A variable's value (SNMPv2 SMI types, and the three v2 exceptions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// INTEGER (Integer32).
    Integer(i64),
    /// OCTET STRING.
    OctetString(Vec<u8>),
    /// NULL (the value of every varbind in a GET request).
    Null,
    /// OBJECT IDENTIFIER.
    ObjectId(Oid),
    /// IpAddress.
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 (Unsigned32).
    Gauge32(u32),
    /// TimeTicks, in hundredths of a second.
    TimeTicks(u32),
    /// Opaque.
    Opaque(Vec<u8>),
    /// Counter64.
    Counter64(u64),
    /// v2 exception: no such object.
    NoSuchObject,
    /// v2 exception: no such instance.
    NoSuchInstance,
    /// v2 exception: end of the MIB view (GETNEXT/GETBULK walked off the end).
    EndOfMibView,
}

impl Value {
    /// Whether this is one of the three v2 exceptions rather than a value.
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Self::NoSuchObject | Self::NoSuchInstance | Self::EndOfMibView
        )
    }
}

/// One variable binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarBind {
    /// The variable.
    pub oid: Oid,
    /// Its value ([`Value::Null`] in requests other than SET).
    pub value: Value,
}

/// What a PDU asks or answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduKind {
    /// GetRequest.
    Get,
    /// GetNextRequest.
    GetNext,
    /// GetBulkRequest (v2c and v3 only).
    GetBulk {
        /// Varbinds read once, before the repeated ones.
        non_repeaters: u32,
        /// How many successors of each repeated varbind to return.
        max_repetitions: u32,
    },
    /// SetRequest.
    Set,
    /// Response (GetResponse in v1).
    Response,
    /// Report (v3: an agent's answer about the message rather than its PDU).
    Report,
}

/// A protocol data unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// What it is.
    pub kind: PduKind,
    /// Matches an answer to its request.
    pub request_id: i32,
    /// 0, or the error the agent reports (RFC 3416 error-status; 2 is v1's noSuchName).
    pub error_status: u32,
    /// Which varbind (from 1) the error is about.
    pub error_index: u32,
    /// The variables.
    pub varbinds: Vec<VarBind>,
}

impl Pdu {
    /// A request of `kind` for `oids`, each bound to NULL.
    pub fn request(kind: PduKind, request_id: i32, oids: impl IntoIterator<Item = Oid>) -> Self {
        Self {
            kind,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: oids
                .into_iter()
                .map(|oid| VarBind {
                    oid,
                    value: Value::Null,
                })
                .collect(),
        }
    }
}

/// What a [`Security`] made of a received datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A PDU for the request loop to match by request id.
    Pdu(Pdu),
    /// The datagram updated the security state (SNMPv3 engine discovery, time window): wrap and
    /// send the pending request again.
    Resend,
}

/// Why a message could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecurityError {
    /// The datagram is not a well-formed message of this version (ignored by the request loop,
    /// which keeps waiting for the answer).
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The agent refused us for good (unknown user, wrong password, unsupported security level,
    /// …): retrying cannot help.
    #[error("{0}")]
    Refused(String),
    /// The request cannot be encoded (for example GETBULK in SNMPv1).
    #[error("cannot encode the request: {0}")]
    Encode(String),
}

/// A protocol version's message format and security: SNMPv1 and v2c communities, SNMPv3 USM.
pub trait Security: Send {
    /// The datagram that carries `pdu` now.
    fn wrap(&mut self, pdu: &Pdu) -> Result<Vec<u8>, SecurityError>;
    /// Reads a received datagram.
    fn unwrap(&mut self, datagram: &[u8]) -> Result<Incoming, SecurityError>;
}
