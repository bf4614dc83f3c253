//! SNMPv3 USM: arbitrary datagrams fed to sessions at each security level, discovered (so that
//! msgID matching, the MAC, decryption and the scopedPDU decoding are reached) and not (so that
//! discovery reports are); and answers built from the input by a twin session, signed and
//! encrypted with the same keys, must come back whole. Nothing may panic.
#![no_main]

use std::sync::OnceLock;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use nut_drivers::snmp::pdu::{Incoming, Oid, Pdu, PduKind, Security, Value, VarBind};
use nut_drivers::snmp::usm::{AuthProtocol, Password, PrivProtocol, SecurityLevel, Usm, UsmConfig};

const ENGINE_ID: &[u8] = b"\x80\x00\x1f\x88\x04fuzz";
const SEED: u64 = 0x5eed_0000_0000_0000;

/// Sessions made once (hashing the pass phrases is slow), cloned for each input.
fn sessions() -> &'static [Usm; 4] {
    static SESSIONS: OnceLock<[Usm; 4]> = OnceLock::new();
    SESSIONS.get_or_init(|| {
        let now = Instant::now();
        let make = |level, auth, privacy, discovered: bool| {
            let config = UsmConfig {
                level,
                user: "fuzz".into(),
                context: "ctx".into(),
                auth_protocol: auth,
                auth_password: Some(Password::new("authpassword")),
                priv_protocol: privacy,
                priv_password: Some(Password::new("privpassword")),
            };
            let mut usm = Usm::new(config)
                .unwrap()
                .with_clock(move || now)
                .with_seed(SEED);
            if discovered {
                usm.set_engine(ENGINE_ID, 5, 1000);
            }
            usm
        };
        [
            make(
                SecurityLevel::AuthPriv,
                AuthProtocol::Sha1,
                PrivProtocol::Aes128,
                false,
            ),
            make(
                SecurityLevel::NoAuthNoPriv,
                AuthProtocol::Md5,
                PrivProtocol::Des,
                true,
            ),
            make(
                SecurityLevel::AuthPriv,
                AuthProtocol::Md5,
                PrivProtocol::Des,
                true,
            ),
            make(
                SecurityLevel::AuthPriv,
                AuthProtocol::Sha256,
                PrivProtocol::Aes256Reeder,
                true,
            ),
        ]
    })
}

/// A response PDU made of the input: varbinds of every value type.
fn response(data: &[u8]) -> Pdu {
    let mut varbinds = Vec::new();
    for chunk in data.chunks(9).take(20) {
        let n = u64::from_le_bytes(std::array::from_fn(|i| {
            chunk.get(i + 1).copied().unwrap_or(0)
        }));
        let value = match chunk[0] % 14 {
            0 => Value::Integer(n as i64),
            1 => Value::OctetString(chunk[1..].to_vec()),
            2 => Value::Null,
            3 => Value::ObjectId(Oid(vec![1, 3, 6, 1, (n >> 32) as u32, n as u32])),
            4 => Value::IpAddress((n as u32).to_be_bytes()),
            5 => Value::Counter32(n as u32),
            6 => Value::Gauge32(n as u32),
            7 => Value::TimeTicks(n as u32),
            8 => Value::Opaque(chunk.to_vec()),
            9 => Value::Counter64(n),
            10 => Value::NoSuchObject,
            11 => Value::NoSuchInstance,
            12 => Value::EndOfMibView,
            _ => Value::OctetString(vec![chunk[0]; n as usize % 600]),
        };
        varbinds.push(VarBind {
            oid: Oid(vec![1, 3, 6, 1, 4, 1, 318, u32::from(chunk[0]), n as u32]),
            value,
        });
    }
    Pdu {
        kind: PduKind::Response,
        request_id: 7,
        error_status: data.first().map_or(0, |b| u32::from(*b % 19)),
        error_index: 0,
        varbinds,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let request = Pdu::request(PduKind::Get, 7, [Oid(vec![1, 3, 6, 1, 2, 1, 1, 2, 0])]);
    for proto in sessions() {
        let mut usm = proto.clone();
        // A request outstanding, so the input's msgID can match it.
        let _ = usm.wrap(&request).unwrap();
        if mode % 2 == 0 {
            let _ = usm.unwrap(rest);
            let _ = usm.unwrap(rest);
            let _ = usm.wrap(&request);
        } else if usm.engine_id().is_some() {
            // The twin is the session before its request: its next message has the same
            // msgID, keys and level, and a response PDU.
            let mut twin = proto.clone();
            let answer = response(rest);
            if let Ok(datagram) = twin.wrap(&answer) {
                match usm.unwrap(&datagram) {
                    Ok(Incoming::Pdu(pdu)) => assert_eq!(pdu, answer),
                    other => panic!("a well-formed answer was not accepted: {other:?}"),
                }
            }
        }
    }
});
