//! Our [`Pdu`]s and [`Value`]s to and from rasn-snmp's SNMPv1 (RFC 1157) and SNMPv2 (RFC 3416)
//! PDUs.
//!
//! The SNMPv2 functions serve SNMPv2c ([`super::community`]) and SNMPv3, whose scoped PDUs
//! carry the same PDUs. Encoding failures are [`SecurityError::Encode`] and decoding failures
//! [`SecurityError::Malformed`], so that a [`super::pdu::Security`] can pass them on as they
//! are.

use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_smi::{v1 as smi1, v2 as smi2};
use rasn_snmp::{v1, v2};

use super::pdu::{Oid, Pdu, PduKind, SecurityError, Value, VarBind};

/// The rasn form of `oid`, if BER can carry it: at least two arcs, the first 0, 1 or 2, the
/// second below 40 under 0 and 1 (X.690 packs the first two arcs into one number).
pub(crate) fn oid_to_rasn(oid: &Oid) -> Result<ObjectIdentifier, SecurityError> {
    let arcs = &oid.0;
    let valid = match arcs.as_slice() {
        [0 | 1, second, ..] => *second < 40,
        [2, second, ..] => *second <= u32::MAX - 80,
        _ => false,
    };
    if !valid {
        return Err(SecurityError::Encode(format!(
            "{oid} is not an OID that BER can carry"
        )));
    }
    Ok(ObjectIdentifier::new_unchecked(arcs.clone().into()))
}

/// Our form of a decoded OID.
pub(crate) fn oid_from_rasn(oid: &ObjectIdentifier) -> Oid {
    Oid(oid.to_vec())
}

fn malformed(what: impl Into<String>) -> SecurityError {
    SecurityError::Malformed(what.into())
}

fn int_from_rasn(n: &Integer, what: &str) -> Result<i64, SecurityError> {
    i64::try_from(n).map_err(|_| malformed(format!("{what} out of range: {n}")))
}

/// An Opaque holding `bytes` as they are (rasn-smi builds Opaques only by BER-encoding a value,
/// so this decodes a hand-made TLV, tag `[APPLICATION 4]`).
fn opaque(bytes: &[u8]) -> Result<smi1::Opaque, SecurityError> {
    let mut tlv = Vec::with_capacity(bytes.len() + 6);
    tlv.push(0x44);
    let len = bytes.len();
    if len < 0x80 {
        tlv.push(len as u8);
    } else {
        let be = (len as u64).to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        tlv.push(0x80 | (be.len() - skip) as u8);
        tlv.extend_from_slice(&be[skip..]);
    }
    tlv.extend_from_slice(bytes);
    rasn::ber::decode(&tlv).map_err(|e| SecurityError::Encode(format!("opaque value: {e}")))
}

/// An SNMPv2 varbind value (a request's [`Value::Null`] is `unSpecified`).
pub(crate) fn value_to_v2(value: &Value) -> Result<v2::VarBindValue, SecurityError> {
    use smi2::{ApplicationSyntax as A, ObjectSyntax as O, SimpleSyntax as S};
    use v2::VarBindValue as V;
    let app = |a: A| Ok(V::Value(O::ApplicationWide(a)));
    match value {
        Value::Integer(n) => Ok(V::Value(O::Simple(S::Integer((*n).into())))),
        Value::OctetString(s) => Ok(V::Value(O::Simple(S::String(OctetString::from(s.clone()))))),
        Value::Null => Ok(V::Unspecified),
        Value::ObjectId(oid) => Ok(V::Value(O::Simple(S::ObjectId(oid_to_rasn(oid)?)))),
        Value::IpAddress(ip) => app(A::Address(smi1::IpAddress((*ip).into()))),
        Value::Counter32(n) => app(A::Counter(smi1::Counter(*n))),
        Value::Gauge32(n) => app(A::Unsigned(smi1::Gauge(*n))),
        Value::TimeTicks(n) => app(A::Ticks(smi1::TimeTicks(*n))),
        Value::Opaque(bytes) => app(A::Arbitrary(opaque(bytes)?)),
        Value::Counter64(n) => app(A::BigCounter(smi2::Counter64(*n))),
        Value::NoSuchObject => Ok(V::NoSuchObject),
        Value::NoSuchInstance => Ok(V::NoSuchInstance),
        Value::EndOfMibView => Ok(V::EndOfMibView),
    }
}

/// Our form of an SNMPv2 varbind value (`unSpecified` is [`Value::Null`]).
pub(crate) fn value_from_v2(value: &v2::VarBindValue) -> Result<Value, SecurityError> {
    use smi2::{ApplicationSyntax as A, ObjectSyntax as O, SimpleSyntax as S};
    use v2::VarBindValue as V;
    Ok(match value {
        V::Value(O::Simple(S::Integer(n))) => Value::Integer(int_from_rasn(n, "INTEGER")?),
        V::Value(O::Simple(S::String(s))) => Value::OctetString(s.to_vec()),
        V::Value(O::Simple(S::ObjectId(oid))) => Value::ObjectId(oid_from_rasn(oid)),
        V::Value(O::ApplicationWide(A::Address(ip))) => Value::IpAddress(*ip.0),
        V::Value(O::ApplicationWide(A::Counter(n))) => Value::Counter32(n.0),
        V::Value(O::ApplicationWide(A::Unsigned(n))) => Value::Gauge32(n.0),
        V::Value(O::ApplicationWide(A::Ticks(n))) => Value::TimeTicks(n.0),
        V::Value(O::ApplicationWide(A::Arbitrary(o))) => Value::Opaque(o.as_ref().to_vec()),
        V::Value(O::ApplicationWide(A::BigCounter(n))) => Value::Counter64(n.0),
        V::Unspecified => Value::Null,
        V::NoSuchObject => Value::NoSuchObject,
        V::NoSuchInstance => Value::NoSuchInstance,
        V::EndOfMibView => Value::EndOfMibView,
    })
}

/// An SNMPv1 value: SNMPv1 has no Counter64 and no exceptions.
pub(crate) fn value_to_v1(value: &Value) -> Result<smi1::ObjectSyntax, SecurityError> {
    use smi1::{ApplicationSyntax as A, ObjectSyntax as O, SimpleSyntax as S};
    let app = |a: A| Ok(O::ApplicationWide(a));
    match value {
        Value::Integer(n) => Ok(O::Simple(S::Number((*n).into()))),
        Value::OctetString(s) => Ok(O::Simple(S::String(OctetString::from(s.clone())))),
        Value::Null => Ok(O::Simple(S::Empty)),
        Value::ObjectId(oid) => Ok(O::Simple(S::Object(oid_to_rasn(oid)?))),
        Value::IpAddress(ip) => app(A::Address(smi1::NetworkAddress::Internet(smi1::IpAddress(
            (*ip).into(),
        )))),
        Value::Counter32(n) => app(A::Counter(smi1::Counter(*n))),
        Value::Gauge32(n) => app(A::Gauge(smi1::Gauge(*n))),
        Value::TimeTicks(n) => app(A::Ticks(smi1::TimeTicks(*n))),
        Value::Opaque(bytes) => app(A::Arbitrary(opaque(bytes)?)),
        Value::Counter64(_) | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {
            Err(SecurityError::Encode(format!(
                "SNMPv1 has no {value:?} value"
            )))
        }
    }
}

/// Our form of an SNMPv1 value.
pub(crate) fn value_from_v1(value: &smi1::ObjectSyntax) -> Result<Value, SecurityError> {
    use smi1::{ApplicationSyntax as A, ObjectSyntax as O, SimpleSyntax as S};
    Ok(match value {
        O::Simple(S::Number(n)) => Value::Integer(int_from_rasn(n, "INTEGER")?),
        O::Simple(S::String(s)) => Value::OctetString(s.to_vec()),
        O::Simple(S::Object(oid)) => Value::ObjectId(oid_from_rasn(oid)),
        O::Simple(S::Empty) => Value::Null,
        O::ApplicationWide(A::Address(smi1::NetworkAddress::Internet(ip))) => {
            Value::IpAddress(*ip.0)
        }
        O::ApplicationWide(A::Counter(n)) => Value::Counter32(n.0),
        O::ApplicationWide(A::Gauge(n)) => Value::Gauge32(n.0),
        O::ApplicationWide(A::Ticks(n)) => Value::TimeTicks(n.0),
        O::ApplicationWide(A::Arbitrary(o)) => Value::Opaque(o.as_ref().to_vec()),
    })
}

fn varbinds_to_v2(varbinds: &[VarBind]) -> Result<v2::VarBindList, SecurityError> {
    varbinds
        .iter()
        .map(|vb| {
            Ok(v2::VarBind {
                name: oid_to_rasn(&vb.oid)?,
                value: value_to_v2(&vb.value)?,
            })
        })
        .collect()
}

fn varbinds_from_v2(varbinds: &[v2::VarBind]) -> Result<Vec<VarBind>, SecurityError> {
    varbinds
        .iter()
        .map(|vb| {
            Ok(VarBind {
                oid: oid_from_rasn(&vb.name),
                value: value_from_v2(&vb.value)?,
            })
        })
        .collect()
}

/// The SNMPv2 PDU for `pdu` (every [`PduKind`] has one).
pub(crate) fn pdu_to_v2(pdu: &Pdu) -> Result<v2::Pdus, SecurityError> {
    let variable_bindings = varbinds_to_v2(&pdu.varbinds)?;
    let kind: fn(v2::Pdu) -> v2::Pdus = match pdu.kind {
        PduKind::Get => |p| v2::Pdus::GetRequest(v2::GetRequest(p)),
        PduKind::GetNext => |p| v2::Pdus::GetNextRequest(v2::GetNextRequest(p)),
        PduKind::Set => |p| v2::Pdus::SetRequest(v2::SetRequest(p)),
        PduKind::Response => |p| v2::Pdus::Response(v2::Response(p)),
        PduKind::Report => |p| v2::Pdus::Report(v2::Report(p)),
        PduKind::GetBulk {
            non_repeaters,
            max_repetitions,
        } => {
            return Ok(v2::Pdus::GetBulkRequest(v2::GetBulkRequest(v2::BulkPdu {
                request_id: pdu.request_id,
                non_repeaters,
                max_repetitions,
                variable_bindings,
            })))
        }
    };
    Ok(kind(v2::Pdu {
        request_id: pdu.request_id,
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        variable_bindings,
    }))
}

/// Our form of an SNMPv2 PDU; traps and informs, which the client and the agent never expect,
/// are [`SecurityError::Malformed`].
pub(crate) fn pdu_from_v2(pdus: &v2::Pdus) -> Result<Pdu, SecurityError> {
    let plain = |kind: PduKind, p: &v2::Pdu| {
        Ok(Pdu {
            kind,
            request_id: p.request_id,
            error_status: p.error_status,
            error_index: p.error_index,
            varbinds: varbinds_from_v2(&p.variable_bindings)?,
        })
    };
    match pdus {
        v2::Pdus::GetRequest(p) => plain(PduKind::Get, &p.0),
        v2::Pdus::GetNextRequest(p) => plain(PduKind::GetNext, &p.0),
        v2::Pdus::SetRequest(p) => plain(PduKind::Set, &p.0),
        v2::Pdus::Response(p) => plain(PduKind::Response, &p.0),
        v2::Pdus::Report(p) => plain(PduKind::Report, &p.0),
        v2::Pdus::GetBulkRequest(b) => Ok(Pdu {
            kind: PduKind::GetBulk {
                non_repeaters: b.0.non_repeaters,
                max_repetitions: b.0.max_repetitions,
            },
            request_id: b.0.request_id,
            error_status: 0,
            error_index: 0,
            varbinds: varbinds_from_v2(&b.0.variable_bindings)?,
        }),
        v2::Pdus::InformRequest(_) => Err(malformed("an InformRequest, not a request or answer")),
        v2::Pdus::Trap(_) => Err(malformed("a trap, not a request or answer")),
    }
}

/// The SNMPv1 PDU for `pdu`: GETBULK, reports, Counter64 and the exceptions are
/// [`SecurityError::Encode`].
pub(crate) fn pdu_to_v1(pdu: &Pdu) -> Result<v1::Pdus, SecurityError> {
    let p = v1::Pdu {
        request_id: pdu.request_id.into(),
        error_status: pdu.error_status.into(),
        error_index: pdu.error_index.into(),
        variable_bindings: pdu
            .varbinds
            .iter()
            .map(|vb| {
                Ok(v1::VarBind {
                    name: oid_to_rasn(&vb.oid)?,
                    value: value_to_v1(&vb.value)?,
                })
            })
            .collect::<Result<_, SecurityError>>()?,
    };
    Ok(match pdu.kind {
        PduKind::Get => v1::Pdus::GetRequest(v1::GetRequest(p)),
        PduKind::GetNext => v1::Pdus::GetNextRequest(v1::GetNextRequest(p)),
        PduKind::Set => v1::Pdus::SetRequest(v1::SetRequest(p)),
        PduKind::Response => v1::Pdus::GetResponse(v1::GetResponse(p)),
        PduKind::GetBulk { .. } => {
            return Err(SecurityError::Encode("SNMPv1 has no GETBULK".into()))
        }
        PduKind::Report => return Err(SecurityError::Encode("SNMPv1 has no reports".into())),
    })
}

/// Our form of an SNMPv1 PDU; traps are [`SecurityError::Malformed`].
pub(crate) fn pdu_from_v1(pdus: &v1::Pdus) -> Result<Pdu, SecurityError> {
    let (kind, p) = match pdus {
        v1::Pdus::GetRequest(p) => (PduKind::Get, &p.0),
        v1::Pdus::GetNextRequest(p) => (PduKind::GetNext, &p.0),
        v1::Pdus::SetRequest(p) => (PduKind::Set, &p.0),
        v1::Pdus::GetResponse(p) => (PduKind::Response, &p.0),
        v1::Pdus::Trap(_) => return Err(malformed("a trap, not a request or answer")),
    };
    let field = |n: &Integer, what: &str| {
        u32::try_from(n).map_err(|_| malformed(format!("{what} out of range: {n}")))
    };
    Ok(Pdu {
        kind,
        request_id: i32::try_from(&p.request_id)
            .map_err(|_| malformed(format!("request-id out of range: {}", p.request_id)))?,
        error_status: field(&p.error_status, "error-status")?,
        error_index: field(&p.error_index, "error-index")?,
        varbinds: p
            .variable_bindings
            .iter()
            .map(|vb| {
                Ok(VarBind {
                    oid: oid_from_rasn(&vb.name),
                    value: value_from_v1(&vb.value)?,
                })
            })
            .collect::<Result<_, SecurityError>>()?,
    })
}
