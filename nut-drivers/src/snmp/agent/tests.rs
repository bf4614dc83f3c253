//! The agent without I/O: requests encoded with [`Community`], answers decoded with it.

use std::sync::Arc;

use super::*;
use crate::snmp::community::Community;
use crate::snmp::pdu::{Incoming, Security};

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

fn rec(text: &str) -> Arc<Recording> {
    Arc::new(Recording::parse("test", text.as_bytes()).unwrap())
}

const TEXT: &str = "1.3.6.1.2.1.1.1.0|4|UPS\n\
                    1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.318\n\
                    1.3.6.1.2.1.1.3.0|70|12345678901\n\
                    1.3.6.1.2.1.1.4.0|2|-3\n\
                    1.3.6.1.2.1.1.5.0|129|\n\
                    1.3.6.1.2.1.2.1.0|66|7\n";

/// `agent`'s answer to `pdu` sent with `community`, if any.
fn ask(agent: &mut Agent, community: &mut Community, pdu: &Pdu) -> Option<Pdu> {
    let answer = agent.answer(&community.wrap(pdu).unwrap())?;
    match community.unwrap(&answer).unwrap() {
        Incoming::Pdu(p) => Some(p),
        Incoming::Resend => panic!("resend"),
    }
}

fn request(kind: PduKind, oids: &[&str]) -> Pdu {
    Pdu::request(kind, 77, oids.iter().map(|s| oid(s)))
}

fn values(p: &Pdu) -> Vec<(String, Value)> {
    p.varbinds
        .iter()
        .map(|vb| (vb.oid.to_string(), vb.value.clone()))
        .collect()
}

#[test]
fn get_in_both_versions() {
    let mut agent = Agent::new(rec(TEXT));
    let mut v2c = Community::v2c("anything");
    let mut v1 = Community::v1("goes");
    let req = request(
        PduKind::Get,
        &[
            "1.3.6.1.2.1.1.1.0",
            "1.3.6.1.2.1.1.3.0",
            "1.3.6.1.2.1.1.1.1",
            "1.3.6.1.2.1.9.0",
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    let a = ask(&mut agent, &mut v2c, &req).unwrap();
    assert_eq!(
        (a.kind, a.request_id, a.error_status),
        (PduKind::Response, 77, 0)
    );
    let got: Vec<Value> = a.varbinds.into_iter().map(|vb| vb.value).collect();
    assert_eq!(
        got,
        [
            Value::OctetString(b"UPS".to_vec()),
            Value::Counter64(12_345_678_901),
            Value::NoSuchInstance,
            Value::NoSuchObject,
            Value::NoSuchInstance,
        ]
    );
    // SNMPv1: the Counter64 is noSuchName, the request repeated.
    let a = ask(&mut agent, &mut v1, &req).unwrap();
    assert_eq!((a.error_status, a.error_index), (2, 2));
    assert_eq!(a.varbinds, req.varbinds);
    let a = ask(
        &mut agent,
        &mut v1,
        &request(PduKind::Get, &["1.3.6.1.2.1.1.4.0"]),
    )
    .unwrap();
    assert_eq!(a.varbinds[0].value, Value::Integer(-3));
    assert_eq!(agent.handle().answered(), 3);
}

#[test]
fn get_next_skips_what_v1_cannot_carry() {
    let mut agent = Agent::new(rec(TEXT));
    let req = request(
        PduKind::GetNext,
        &["1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.2.1.0"],
    );
    let a = ask(&mut agent, &mut Community::v2c("c"), &req).unwrap();
    assert_eq!(
        values(&a),
        [
            (
                ".1.3.6.1.2.1.1.3.0".into(),
                Value::Counter64(12_345_678_901)
            ),
            (".1.3.6.1.2.1.2.1.0".into(), Value::EndOfMibView),
        ]
    );
    let req = request(PduKind::GetNext, &["1.3.6.1.2.1.1.2.0"]);
    let a = ask(&mut agent, &mut Community::v1("c"), &req).unwrap();
    // Past the Counter64 and the recorded exception.
    assert_eq!(
        values(&a),
        [(".1.3.6.1.2.1.1.4.0".into(), Value::Integer(-3))]
    );
    let req = request(
        PduKind::GetNext,
        &["1.3.6.1.2.1.1.4.0", "1.3.6.1.2.1.2.1.0"],
    );
    let a = ask(&mut agent, &mut Community::v1("c"), &req).unwrap();
    assert_eq!((a.error_status, a.error_index), (2, 2));
}

#[test]
fn get_bulk() {
    let mut agent = Agent::new(rec(TEXT));
    let mut c = Community::v2c("c");
    let req = Pdu::request(
        PduKind::GetBulk {
            non_repeaters: 1,
            max_repetitions: 3,
        },
        5,
        [
            oid("1.3.6.1.2.1.1.1.0"),
            oid("1.3.6.1.2.1.1.3.0"),
            oid("1.3.6.1.2.1.1.9"),
        ],
    );
    let a = ask(&mut agent, &mut c, &req).unwrap();
    assert_eq!(
        values(&a),
        [
            (
                ".1.3.6.1.2.1.1.2.0".into(),
                Value::ObjectId(oid("1.3.6.1.4.1.318"))
            ),
            (".1.3.6.1.2.1.1.4.0".into(), Value::Integer(-3)),
            (".1.3.6.1.2.1.2.1.0".into(), Value::Gauge32(7)),
            (".1.3.6.1.2.1.2.1.0".into(), Value::Gauge32(7)),
            (".1.3.6.1.2.1.2.1.0".into(), Value::EndOfMibView),
            // A last row at the end of the MIB for both, and no more.
            (".1.3.6.1.2.1.2.1.0".into(), Value::EndOfMibView),
            (".1.3.6.1.2.1.2.1.0".into(), Value::EndOfMibView),
        ]
    );
    // Huge max-repetitions: bounded, and cut to the message size.
    let mut vars = String::new();
    for i in 0..5000 {
        vars.push_str(&format!("1.3.6.1.4.1.1.{i}|2|{i}\n"));
    }
    let mut agent = Agent::new(rec(&vars)).max_message_size(1472);
    let req = Pdu::request(
        PduKind::GetBulk {
            non_repeaters: u32::MAX,
            max_repetitions: u32::MAX,
        },
        5,
        [oid("1.3.6.1.4.1.1")],
    );
    let a = ask(&mut agent, &mut c, &req).unwrap();
    assert_eq!(a.varbinds.len(), 1);
    let req = Pdu {
        kind: PduKind::GetBulk {
            non_repeaters: 0,
            max_repetitions: u32::MAX,
        },
        ..req
    };
    let bytes = agent.answer(&c.wrap(&req).unwrap()).unwrap();
    assert!(bytes.len() <= 1472 && bytes.len() > 1400, "{}", bytes.len());
    let Incoming::Pdu(a) = c.unwrap(&bytes).unwrap() else {
        panic!()
    };
    assert!(a.varbinds.len() > 50, "{}", a.varbinds.len());
    assert_eq!(a.varbinds[9].oid, oid("1.3.6.1.4.1.1.9"));
    // SNMPv1 has no GETBULK: such a message does not even decode as SNMPv1.
}

#[test]
fn too_big() {
    let mut agent = Agent::new(rec(TEXT)).max_message_size(50);
    let req = request(PduKind::Get, &["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0"]);
    let a = ask(&mut agent, &mut Community::v2c("c"), &req).unwrap();
    assert_eq!((a.error_status, a.error_index, a.varbinds.len()), (1, 0, 0));
    // Not even tooBig fits: no answer.
    let mut agent = Agent::new(rec(TEXT)).max_message_size(20);
    assert_eq!(ask(&mut agent, &mut Community::v2c("c"), &req), None);
}

#[test]
fn communities_choose_recordings() {
    let mut set = RecordingSet::new();
    set.insert("ups-a", rec("1.3.6.1.2.1.1.1.0|4|A\n"));
    set.insert("ups-b", rec("1.3.6.1.2.1.1.1.0|4|B\n"));
    let mut agent = Agent::with_set(Arc::new(set)).all_writable();
    let req = request(PduKind::Get, &["1.3.6.1.2.1.1.1.0"]);
    for (community, expected) in [("ups-a", "A"), ("ups-b", "B")] {
        let a = ask(&mut agent, &mut Community::v1(community), &req).unwrap();
        assert_eq!(a.varbinds[0].value, Value::OctetString(expected.into()));
    }
    assert_eq!(ask(&mut agent, &mut Community::v2c("public"), &req), None);
    // A SET changes what that community's recording answers, not the other.
    let set_req = Pdu {
        kind: PduKind::Set,
        varbinds: vec![VarBind {
            oid: oid("1.3.6.1.2.1.1.1.0"),
            value: Value::OctetString(b"A2".to_vec()),
        }],
        ..req.clone()
    };
    let a = ask(&mut agent, &mut Community::v2c("ups-a"), &set_req).unwrap();
    assert_eq!(a.error_status, 0);
    for (community, expected) in [("ups-a", "A2"), ("ups-b", "B")] {
        let a = ask(&mut agent, &mut Community::v2c(community), &req).unwrap();
        assert_eq!(a.varbinds[0].value, Value::OctetString(expected.into()));
    }
    assert_eq!(
        agent.handle().sets(),
        [(oid("1.3.6.1.2.1.1.1.0"), Value::OctetString(b"A2".to_vec()))]
    );
}

#[test]
fn faults_and_garbage() {
    let mut agent = Agent::new(rec(TEXT)).drop_first(2);
    let mut c = Community::v2c("c");
    let req = request(PduKind::Get, &["1.3.6.1.2.1.1.1.0"]);
    assert_eq!(ask(&mut agent, &mut c, &req), None);
    assert_eq!(ask(&mut agent, &mut c, &req), None);
    assert!(ask(&mut agent, &mut c, &req).is_some());
    agent.handle().set_silent(true);
    assert_eq!(ask(&mut agent, &mut c, &req), None);
    agent.handle().set_silent(false);
    assert_eq!(agent.answer(b"\x30\x03\x02\x01\x01"), None);
    assert_eq!(agent.answer(b""), None);
    // Answers are not answered.
    let response = Pdu {
        kind: PduKind::Response,
        ..req
    };
    assert_eq!(ask(&mut agent, &mut c, &response), None);
    assert_eq!(agent.handle().received(), 7);
    assert_eq!(agent.handle().answered(), 1);
}

/// Every shared recording, served from its folder, answers its sysDescr or first variable.
#[test]
fn serves_all_shared_recordings() {
    let Some(dir) = crate::test_data::recorded("snmprec") else {
        return;
    };
    let set = Arc::new(RecordingSet::load_dir(&dir).unwrap());
    let mut agent = Agent::with_set(Arc::clone(&set));
    for community in set.communities() {
        let (_, recording) = set.get(community.as_bytes()).unwrap();
        let (first, value) = &recording.vars()[0];
        let req = Pdu::request(PduKind::GetNext, 1, [Oid(vec![1, 3])]);
        let a = ask(&mut agent, &mut Community::v2c(community), &req).unwrap();
        let expected = if value.is_exception() {
            recording
                .vars()
                .iter()
                .find(|(_, v)| !v.is_exception())
                .unwrap()
        } else {
            &recording.vars()[0]
        };
        assert_eq!(a.varbinds[0].oid, expected.0, "{community}: {first}");
        assert_eq!(a.varbinds[0].value, expected.1, "{community}");
    }
}
