//! Our [`Pdu`] to and from rasn-snmp's SNMPv2 PDUs (the PDU of an SNMPv3 scopedPDU).

use rasn::types::{FixedOctetString, Integer, ObjectIdentifier, OctetString};
use rasn_smi::v1::{Counter, Gauge, IpAddress, Opaque, TimeTicks};
use rasn_smi::v2::{ApplicationSyntax, Counter64, ObjectSyntax, SimpleSyntax};
use rasn_snmp::v2::{self, BulkPdu, Pdus, VarBindValue};

use crate::snmp::pdu::{Oid, Pdu, PduKind, SecurityError, Value, VarBind};

fn oid_to_rasn(oid: &Oid) -> Result<ObjectIdentifier, SecurityError> {
    ObjectIdentifier::new(oid.0.clone())
        .ok_or_else(|| SecurityError::Encode(format!("OID {oid} cannot be encoded")))
}

fn value_to_rasn(value: &Value) -> Result<VarBindValue, SecurityError> {
    let simple = |s: SimpleSyntax| VarBindValue::Value(ObjectSyntax::Simple(s));
    let app = |a: ApplicationSyntax| VarBindValue::Value(ObjectSyntax::ApplicationWide(a));
    Ok(match value {
        Value::Integer(i) => simple(SimpleSyntax::Integer(Integer::from(*i))),
        Value::OctetString(s) => simple(SimpleSyntax::String(OctetString::from(s.clone()))),
        Value::Null => VarBindValue::Unspecified,
        Value::ObjectId(oid) => simple(SimpleSyntax::ObjectId(oid_to_rasn(oid)?)),
        Value::IpAddress(a) => app(ApplicationSyntax::Address(IpAddress(
            FixedOctetString::from(*a),
        ))),
        Value::Counter32(c) => app(ApplicationSyntax::Counter(Counter(*c))),
        Value::Gauge32(g) => app(ApplicationSyntax::Unsigned(Gauge(*g))),
        Value::TimeTicks(t) => app(ApplicationSyntax::Ticks(TimeTicks(*t))),
        Value::Opaque(bytes) => app(ApplicationSyntax::Arbitrary(opaque(bytes)?)),
        Value::Counter64(c) => app(ApplicationSyntax::BigCounter(Counter64(*c))),
        Value::NoSuchObject => VarBindValue::NoSuchObject,
        Value::NoSuchInstance => VarBindValue::NoSuchInstance,
        Value::EndOfMibView => VarBindValue::EndOfMibView,
    })
}

/// rasn-smi builds an Opaque only from a value it encodes itself: decode one from its TLV.
fn opaque(bytes: &[u8]) -> Result<Opaque, SecurityError> {
    let mut tlv = vec![0x44];
    let len = bytes.len();
    if len < 0x80 {
        tlv.push(len as u8);
    } else {
        let be = (len as u32).to_be_bytes();
        let skip = be.iter().take_while(|&&b| b == 0).count();
        tlv.push(0x80 | (4 - skip) as u8);
        tlv.extend_from_slice(&be[skip..]);
    }
    tlv.extend_from_slice(bytes);
    rasn::ber::decode(&tlv).map_err(|e| SecurityError::Encode(format!("Opaque value: {e}")))
}

/// The rasn-snmp PDU for `pdu`.
pub(crate) fn pdu_to_rasn(pdu: &Pdu) -> Result<Pdus, SecurityError> {
    let variable_bindings = pdu
        .varbinds
        .iter()
        .map(|vb| {
            Ok(v2::VarBind {
                name: oid_to_rasn(&vb.oid)?,
                value: value_to_rasn(&vb.value)?,
            })
        })
        .collect::<Result<Vec<_>, SecurityError>>()?;
    let plain = || v2::Pdu {
        request_id: pdu.request_id,
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        variable_bindings: variable_bindings.clone(),
    };
    Ok(match pdu.kind {
        PduKind::Get => Pdus::GetRequest(v2::GetRequest(plain())),
        PduKind::GetNext => Pdus::GetNextRequest(v2::GetNextRequest(plain())),
        PduKind::GetBulk {
            non_repeaters,
            max_repetitions,
        } => Pdus::GetBulkRequest(v2::GetBulkRequest(BulkPdu {
            request_id: pdu.request_id,
            non_repeaters,
            max_repetitions,
            variable_bindings,
        })),
        PduKind::Set => Pdus::SetRequest(v2::SetRequest(plain())),
        PduKind::Response => Pdus::Response(v2::Response(plain())),
        PduKind::Report => Pdus::Report(v2::Report(plain())),
    })
}

fn malformed(what: impl std::fmt::Display) -> SecurityError {
    SecurityError::Malformed(what.to_string())
}

fn value_from_rasn(value: VarBindValue) -> Result<Value, SecurityError> {
    Ok(match value {
        VarBindValue::Unspecified => Value::Null,
        VarBindValue::NoSuchObject => Value::NoSuchObject,
        VarBindValue::NoSuchInstance => Value::NoSuchInstance,
        VarBindValue::EndOfMibView => Value::EndOfMibView,
        VarBindValue::Value(ObjectSyntax::Simple(s)) => match s {
            SimpleSyntax::Integer(i) => Value::Integer(
                i64::try_from(&i).map_err(|_| malformed(format!("INTEGER {i} out of range")))?,
            ),
            SimpleSyntax::String(s) => Value::OctetString(s.to_vec()),
            SimpleSyntax::ObjectId(oid) => Value::ObjectId(Oid(oid.to_vec())),
        },
        VarBindValue::Value(ObjectSyntax::ApplicationWide(a)) => match a {
            ApplicationSyntax::Address(IpAddress(a)) => Value::IpAddress(*a),
            ApplicationSyntax::Counter(Counter(c)) => Value::Counter32(c),
            ApplicationSyntax::Unsigned(Gauge(g)) => Value::Gauge32(g),
            ApplicationSyntax::Ticks(TimeTicks(t)) => Value::TimeTicks(t),
            ApplicationSyntax::Arbitrary(o) => Value::Opaque(o.as_ref().to_vec()),
            ApplicationSyntax::BigCounter(Counter64(c)) => Value::Counter64(c),
        },
    })
}

/// Our PDU for a received rasn-snmp PDU; traps and informs are not answers to anything we ask.
pub(crate) fn pdu_from_rasn(pdus: Pdus) -> Result<Pdu, SecurityError> {
    let (kind, pdu) = match pdus {
        Pdus::Response(v2::Response(p)) => (PduKind::Response, p),
        Pdus::Report(v2::Report(p)) => (PduKind::Report, p),
        Pdus::GetRequest(v2::GetRequest(p)) => (PduKind::Get, p),
        Pdus::GetNextRequest(v2::GetNextRequest(p)) => (PduKind::GetNext, p),
        Pdus::SetRequest(v2::SetRequest(p)) => (PduKind::Set, p),
        Pdus::GetBulkRequest(v2::GetBulkRequest(b)) => (
            PduKind::GetBulk {
                non_repeaters: b.non_repeaters,
                max_repetitions: b.max_repetitions,
            },
            v2::Pdu {
                request_id: b.request_id,
                error_status: 0,
                error_index: 0,
                variable_bindings: b.variable_bindings,
            },
        ),
        Pdus::InformRequest(_) | Pdus::Trap(_) => {
            return Err(malformed("a notification, not an answer"))
        }
    };
    Ok(Pdu {
        kind,
        request_id: pdu.request_id,
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        varbinds: pdu
            .variable_bindings
            .into_iter()
            .map(|vb| {
                Ok(VarBind {
                    oid: Oid(vb.name.to_vec()),
                    value: value_from_rasn(vb.value)?,
                })
            })
            .collect::<Result<_, SecurityError>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        let values = [
            Value::Integer(-5),
            Value::Integer(i64::from(i32::MAX) + 1),
            Value::OctetString(b"Smart-UPS".to_vec()),
            Value::Null,
            Value::ObjectId(".1.3.6.1.4.1.318".parse().unwrap()),
            Value::IpAddress([192, 0, 2, 1]),
            Value::Counter32(u32::MAX),
            Value::Gauge32(7),
            Value::TimeTicks(100),
            Value::Opaque(vec![0x9f, 0x78, 0x04, 0, 0, 0, 0]),
            Value::Opaque(vec![1; 300]),
            Value::Counter64(u64::MAX),
            Value::NoSuchObject,
            Value::NoSuchInstance,
            Value::EndOfMibView,
        ];
        for kind in [
            PduKind::Get,
            PduKind::GetNext,
            PduKind::Set,
            PduKind::Response,
            PduKind::Report,
        ] {
            let pdu = Pdu {
                kind,
                request_id: -77,
                error_status: 2,
                error_index: 1,
                varbinds: values
                    .iter()
                    .map(|v| VarBind {
                        oid: ".1.3.6.1.2.1.1.2.0".parse().unwrap(),
                        value: v.clone(),
                    })
                    .collect(),
            };
            let encoded = rasn::ber::encode(&pdu_to_rasn(&pdu).unwrap()).unwrap();
            let back = pdu_from_rasn(rasn::ber::decode(&encoded).unwrap()).unwrap();
            assert_eq!(back, pdu);
        }
        let bulk = Pdu::request(
            PduKind::GetBulk {
                non_repeaters: 1,
                max_repetitions: 10,
            },
            5,
            [".1.3.6.1.2.1.33".parse().unwrap()],
        );
        let encoded = rasn::ber::encode(&pdu_to_rasn(&bulk).unwrap()).unwrap();
        assert_eq!(
            pdu_from_rasn(rasn::ber::decode(&encoded).unwrap()).unwrap(),
            bulk
        );
    }

    #[test]
    fn unencodable_oid_is_an_encode_error() {
        let pdu = Pdu::request(PduKind::Get, 1, [Oid(vec![7])]);
        assert!(matches!(pdu_to_rasn(&pdu), Err(SecurityError::Encode(_))));
    }
}
