//! The client against the agent in process (and against scripted fake agents for what a
//! well-behaved agent never does), over real UDP sockets on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use rasn::types::OctetString;

use super::*;
use crate::snmp::agent::{Agent, RunningAgent};
use crate::snmp::community::{decode_any, encode, Community, Message, Version};
use crate::snmp::snmprec::Recording;

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

const BASE: &str = "1.3.6.1.4.1.99999";

/// `BASE.1.i.0 = "value i"` and `BASE.2.i.0 = i` for i in 1..=n, a Counter64 at `BASE.3.0`.
fn recording(n: u32) -> Arc<Recording> {
    let mut vars = Vec::new();
    for i in 1..=n {
        vars.push((
            oid(&format!("{BASE}.1.{i}.0")),
            Value::OctetString(format!("value {i}").into_bytes()),
        ));
        vars.push((
            oid(&format!("{BASE}.2.{i}.0")),
            Value::Integer(i64::from(i)),
        ));
    }
    vars.push((oid(&format!("{BASE}.3.0")), Value::Counter64(1 << 40)));
    Arc::new(Recording::from_vars(vars))
}

fn options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_millis(300),
        retries: 2,
        ..ClientOptions::default()
    }
}

async fn serve(agent: Agent) -> RunningAgent {
    agent.bind("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

async fn client(target: &str, version: Version, options: ClientOptions) -> Client {
    Client::connect(target, Box::new(Community::new(version, "public")), options)
        .await
        .unwrap()
}

/// A fake agent: `script` gets each request and gives the datagrams to send back.
async fn fake(
    mut script: impl FnMut(&Message) -> Vec<Vec<u8>> + Send + 'static,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = vec![0; 65_535];
        loop {
            let (len, peer) = socket.recv_from(&mut buf).await.unwrap();
            let message = decode_any(&buf[..len]).unwrap();
            for reply in script(&message) {
                socket.send_to(&reply, peer).await.unwrap();
            }
        }
    });
    (addr, task)
}

/// `message`'s answer: `varbinds` with an error, encoded as it came.
fn reply(message: &Message, status: u32, index: u32, varbinds: Vec<VarBind>) -> Vec<u8> {
    let pdu = Pdu {
        kind: PduKind::Response,
        request_id: message.pdu.request_id,
        error_status: status,
        error_index: index,
        varbinds,
    };
    encode(message.version, message.community.clone(), &pdu).unwrap()
}

/// Each variable asked, with the integer value of its last arc; genErr for `bad`.
fn echo_last_arc(message: &Message, bad: &Oid, index: bool) -> Vec<u8> {
    let vbs = &message.pdu.varbinds;
    if let Some(at) = vbs.iter().position(|vb| vb.oid == *bad) {
        let i = if index { at as u32 + 1 } else { 0 };
        return reply(message, 5, i, vbs.clone());
    }
    let answers = vbs
        .iter()
        .map(|vb| VarBind {
            oid: vb.oid.clone(),
            value: Value::Integer(i64::from(*vb.oid.0.last().unwrap())),
        })
        .collect();
    reply(message, 0, 0, answers)
}

#[test]
fn targets() {
    let ok = [
        ("ups.example", ("ups.example", 161)),
        ("ups.example:1161", ("ups.example", 1161)),
        ("10.0.0.5", ("10.0.0.5", 161)),
        ("10.0.0.5:16100", ("10.0.0.5", 16100)),
        ("[::1]", ("::1", 161)),
        ("[fe80::1]:162", ("fe80::1", 162)),
        ("::1", ("::1", 161)),
        ("udp:10.0.0.5:1161", ("10.0.0.5", 1161)),
        ("UDP6:[::1]:1161", ("::1", 1161)),
    ];
    for (target, expected) in ok {
        assert_eq!(split_target(target).unwrap(), expected, "{target}");
    }
    for bad in [
        "",
        ":161",
        "host:",
        "host:0",
        "host:70000",
        "[::1",
        "[::1]x",
        "a:b:c",
    ] {
        assert!(split_target(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn get_many_in_few_round_trips() {
    let agent = serve(Agent::new(recording(40))).await;
    let mut oids: Vec<Oid> = (1..=30)
        .flat_map(|i| {
            [
                oid(&format!("{BASE}.1.{i}.0")),
                oid(&format!("{BASE}.2.{i}.0")),
            ]
        })
        .collect();
    oids[7] = oid(&format!("{BASE}.1.4.1"));
    oids[40] = oid(&format!("{BASE}.9.0"));
    for version in [Version::V1, Version::V2c] {
        let mut c = client(&agent.target(), version, options()).await;
        let got = c.get(&oids).await.unwrap();
        assert_eq!(got.len(), 60);
        for (vb, asked) in got.iter().zip(&oids) {
            assert_eq!(vb.oid, *asked);
        }
        assert_eq!(got[0].value, Value::OctetString(b"value 1".to_vec()));
        assert_eq!(got[59].value, Value::Integer(30));
        let absent = match version {
            Version::V1 => [Value::NoSuchObject, Value::NoSuchObject],
            // The agent's own exceptions: an instance of a known object, an unknown object.
            Version::V2c => [Value::NoSuchInstance, Value::NoSuchObject],
        };
        assert_eq!([got[7].value.clone(), got[40].value.clone()], absent);
        let answered = c.stats().answered;
        match version {
            // 32 + 28, and one noSuchName in each of them.
            Version::V1 => assert_eq!(answered, 4),
            Version::V2c => assert_eq!(answered, 2),
        }
    }
    let mut c = client(
        &agent.target(),
        Version::V2c,
        ClientOptions {
            max_varbinds: 60,
            ..options()
        },
    )
    .await;
    c.get(&oids).await.unwrap();
    assert_eq!(c.stats().answered, 1);
}

#[tokio::test]
async fn v1_nosuchname_one_at_a_time() {
    let agent = serve(Agent::new(recording(10))).await;
    let mut c = client(&agent.target(), Version::V1, options()).await;
    let oids = [
        oid(&format!("{BASE}.1.1.0")),
        oid(&format!("{BASE}.1.99.0")),
        oid(&format!("{BASE}.3.0")), // Counter64: SNMPv1 cannot carry it
        oid(&format!("{BASE}.2.2.0")),
        oid("1.3.6.1.2.1.1.1.0"),
    ];
    let got = c.get(&oids).await.unwrap();
    let values: Vec<Value> = got.into_iter().map(|vb| vb.value).collect();
    assert_eq!(
        values,
        [
            Value::OctetString(b"value 1".to_vec()),
            Value::NoSuchObject,
            Value::NoSuchObject,
            Value::Integer(2),
            Value::NoSuchObject,
        ]
    );
    assert_eq!(c.stats().answered, 4);
    // Nothing there at all.
    let got = c.get(&oids[1..3]).await.unwrap();
    assert!(got.iter().all(|vb| vb.value == Value::NoSuchObject));
    assert_eq!(c.get(&[]).await.unwrap(), []);
}

#[tokio::test]
async fn too_big_splits_and_remembers() {
    let long: Vec<(Oid, Value)> = (1..=60)
        .map(|i| {
            (
                oid(&format!("{BASE}.1.{i}.0")),
                Value::OctetString(vec![b'x'; 30]),
            )
        })
        .collect();
    let agent = serve(Agent::new(Arc::new(Recording::from_vars(long))).max_message_size(484)).await;
    let oids: Vec<Oid> = (1..=60).map(|i| oid(&format!("{BASE}.1.{i}.0"))).collect();
    for version in [Version::V1, Version::V2c] {
        let mut c = client(&agent.target(), version, options()).await;
        let got = c.get(&oids).await.unwrap();
        assert!(got
            .iter()
            .all(|vb| vb.value == Value::OctetString(vec![b'x'; 30])));
        // 32 is too big, then 16 still is; 8 fits (8 variables of 47 bytes).
        assert_eq!(c.batch, 8);
        let first = c.stats().answered;
        c.get(&oids).await.unwrap();
        assert_eq!(c.stats().answered - first, 8, "no tooBig the second time");
    }
}

#[tokio::test]
async fn gen_err_marks_only_the_failing_variable() {
    let bad = oid(&format!("{BASE}.1.13.0"));
    let oids: Vec<Oid> = (1..=40).map(|i| oid(&format!("{BASE}.1.{i}.0"))).collect();
    for with_index in [true, false] {
        let b = bad.clone();
        let (addr, task) = fake(move |m| vec![echo_last_arc(m, &b, with_index)]).await;
        let mut c = client(&addr.to_string(), Version::V2c, options()).await;
        let got = c.get(&oids).await.unwrap();
        for (i, vb) in got.iter().enumerate() {
            let expected = if vb.oid == bad {
                Value::NoSuchObject
            } else {
                Value::Integer(0)
            };
            assert_eq!(vb.value, expected, "{i}");
        }
        // With the index: 32 (genErr), the one alone, 31 left, 8 more. Without it: halving
        // 32, 16, then 8 (good), 8, 4 (good), 4, 2, down to the one alone, then the rest.
        let expected = if with_index { 4 } else { 9 };
        assert_eq!(c.stats().answered, expected);
        task.abort();
    }
}

#[tokio::test]
async fn get_next_and_walks() {
    let agent = serve(Agent::new(recording(50))).await;
    let root = oid(&format!("{BASE}.1"));
    let expected: Vec<Oid> = (1..=50)
        .map(|i| oid(&format!("{BASE}.1.{i}.0")))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for version in [Version::V1, Version::V2c] {
        let mut c = client(&agent.target(), version, options()).await;
        let walked = c.walk(&root).await.unwrap();
        let oids: Vec<Oid> = walked.iter().map(|vb| vb.oid.clone()).collect();
        assert_eq!(oids, expected);
        assert_eq!(walked[0].value, Value::OctetString(b"value 1".to_vec()));
        match version {
            // One GETNEXT per variable and the one that leaves the subtree.
            Version::V1 => assert_eq!(c.stats().answered, 51),
            // GETBULK of 32, then 32 more that go past the end.
            Version::V2c => assert_eq!(c.stats().answered, 2),
        }
        // Walking past the end of the MIB: EndOfMibView (v2c), noSuchName (v1).
        let last = oid(&format!("{BASE}.3"));
        let walked = c.walk(&last).await.unwrap();
        let counter64: &[Value] = match version {
            Version::V1 => &[],
            Version::V2c => &[Value::Counter64(1 << 40)],
        };
        assert_eq!(
            walked.iter().map(|vb| vb.value.clone()).collect::<Vec<_>>(),
            counter64
        );
        assert_eq!(c.walk(&oid("1.3.6.1.4.1.99999.9")).await.unwrap(), []);
        let next = c
            .get_next(&[oid(&format!("{BASE}.1.9.0")), oid("1.3.6.1.4.1.99999.9")])
            .await
            .unwrap();
        assert_eq!(next[0].oid, oid(&format!("{BASE}.1.10.0")));
        assert_eq!(next[1].oid, oid("1.3.6.1.4.1.99999.9"));
        assert_eq!(next[1].value, Value::EndOfMibView);
    }
}

#[tokio::test]
async fn bulk_walk_with_small_messages() {
    let agent = serve(Agent::new(recording(50)).max_message_size(300)).await;
    let mut c = client(&agent.target(), Version::V2c, options()).await;
    let walked = c.walk(&oid(BASE)).await.unwrap();
    assert_eq!(walked.len(), 101);
    // About ten variables per answer.
    assert!(c.stats().answered > 5, "{:?}", c.stats());
}

#[tokio::test]
async fn walk_refuses_to_loop() {
    let (addr, task) = fake(|m| {
        let asked = m.pdu.varbinds[0].oid.clone();
        // Always the same variable, whatever is asked after it.
        let same = VarBind {
            oid: Oid(vec![1, 3, 6, 1, 9, 1]),
            value: Value::Integer(1),
        };
        let _ = asked;
        vec![reply(m, 0, 0, vec![same.clone(), same])]
    })
    .await;
    let mut c = client(&addr.to_string(), Version::V2c, options()).await;
    let err = c.walk(&oid("1.3.6.1.9")).await.unwrap_err();
    assert!(matches!(err, SnmpError::NotIncreasing { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("{addr} walked backwards: .1.3.6.1.9.1 after .1.3.6.1.9.1")
    );
    task.abort();
}

#[tokio::test]
async fn set_writes_or_says_why_not() {
    let writable = oid(&format!("{BASE}.2.1.0"));
    let agent = serve(Agent::new(recording(3)).writable([writable.clone()])).await;
    let read_only = oid(&format!("{BASE}.2.2.0"));
    let absent = oid(&format!("{BASE}.2.9.0"));
    for (version, value) in [(Version::V2c, 42), (Version::V1, 43)] {
        let mut c = client(&agent.target(), version, options()).await;
        let ok = c
            .set(&[VarBind {
                oid: writable.clone(),
                value: Value::Integer(value),
            }])
            .await
            .unwrap();
        assert_eq!(ok[0].value, Value::Integer(value));
        let got = c.get(std::slice::from_ref(&writable)).await.unwrap();
        assert_eq!(got[0].value, Value::Integer(value));
        let cases = [
            (read_only.clone(), Value::Integer(1)),
            (absent.clone(), Value::Integer(1)),
            (writable.clone(), Value::OctetString(b"x".to_vec())),
        ];
        let expected = match version {
            Version::V2c => [
                ErrorStatus::NotWritable,
                ErrorStatus::NotWritable,
                ErrorStatus::WrongType,
            ],
            Version::V1 => [
                ErrorStatus::NoSuchName,
                ErrorStatus::NoSuchName,
                ErrorStatus::BadValue,
            ],
        };
        for ((o, value), status) in cases.into_iter().zip(expected) {
            let vbs = [
                VarBind {
                    oid: writable.clone(),
                    value: Value::Integer(7),
                },
                VarBind {
                    oid: o.clone(),
                    value,
                },
            ];
            let err = c.set(&vbs).await.unwrap_err();
            match &err {
                SnmpError::Agent {
                    status: s,
                    index,
                    oid: Some(at),
                    ..
                } => assert_eq!((*s, *index, at), (status, 2, &o)),
                other => panic!("{other}"),
            }
            assert_eq!(err.status(), Some(status));
            assert!(
                err.to_string()
                    .contains(&format!("answered {status} for {o}")),
                "{err}"
            );
        }
    }
    // Only the two that succeeded, in order; a failed SET writes nothing.
    assert_eq!(
        agent.sets(),
        [
            (writable.clone(), Value::Integer(42)),
            (writable, Value::Integer(43))
        ]
    );
}

#[tokio::test]
async fn timeout_names_the_host_after_all_tries() {
    let agent = serve(Agent::new(recording(1)).silent()).await;
    let opts = ClientOptions {
        timeout: Duration::from_millis(50),
        retries: 2,
        ..options()
    };
    let mut c = client(&agent.target(), Version::V2c, opts).await;
    let err = c.get(&[oid(&format!("{BASE}.1.1.0"))]).await.unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(
        err.to_string(),
        format!("no answer from {} (3 tries, 50ms each)", agent.target())
    );
    assert_eq!(agent.handle().received(), 3);
    // It answers again.
    agent.handle().set_silent(false);
    assert!(c.get(&[oid(&format!("{BASE}.1.1.0"))]).await.is_ok());
}

#[tokio::test]
async fn retries_after_lost_requests() {
    let agent = serve(Agent::new(recording(1)).drop_first(2)).await;
    let opts = ClientOptions {
        timeout: Duration::from_millis(50),
        retries: 2,
        ..options()
    };
    let mut c = client(&agent.target(), Version::V1, opts).await;
    let got = c.get(&[oid(&format!("{BASE}.2.1.0"))]).await.unwrap();
    assert_eq!(got[0].value, Value::Integer(1));
    assert_eq!(agent.handle().received(), 3);
    assert_eq!(c.stats().sent, 3);
}

#[tokio::test]
async fn stray_datagrams_are_ignored() {
    let (addr, task) = fake(|m| {
        let good = VarBind {
            oid: m.pdu.varbinds[0].oid.clone(),
            value: Value::Integer(5),
        };
        let stale = Pdu {
            request_id: m.pdu.request_id.wrapping_sub(1),
            kind: PduKind::Response,
            ..m.pdu.clone()
        };
        let other_community = reply(
            &Message {
                community: OctetString::from(b"private".to_vec()),
                ..m.clone()
            },
            0,
            0,
            vec![good.clone()],
        );
        let v1 = reply(
            &Message {
                version: Version::V1,
                ..m.clone()
            },
            0,
            0,
            vec![good.clone()],
        );
        let request_echo = encode(m.version, m.community.clone(), &m.pdu).unwrap();
        vec![
            b"garbage".to_vec(),
            encode(m.version, m.community.clone(), &stale).unwrap(),
            other_community,
            v1,
            request_echo,
            reply(m, 0, 0, vec![good]),
        ]
    })
    .await;
    let mut c = client(&addr.to_string(), Version::V2c, options()).await;
    let got = c.get(&[oid("1.3.6.1.2.1.1.1.0")]).await.unwrap();
    assert_eq!(got[0].value, Value::Integer(5));
    assert_eq!(c.stats().ignored, 5);
    assert_eq!(c.stats().sent, 1);
    task.abort();
}

#[tokio::test]
async fn wrong_answer_size_is_a_protocol_error() {
    let (addr, task) = fake(|m| vec![reply(m, 0, 0, Vec::new())]).await;
    let mut c = client(&addr.to_string(), Version::V2c, options()).await;
    let err = c.get(&[oid("1.3.6.1.2.1.1.1.0")]).await.unwrap_err();
    assert!(matches!(err, SnmpError::Protocol { .. }), "{err}");
    task.abort();
}

/// A community that asks for a resend, or refuses, as an SNMPv3 security would.
struct Scripted {
    inner: Community,
    resends: u32,
    refuse: bool,
    wraps: Arc<AtomicU32>,
}

impl Security for Scripted {
    fn wrap(&mut self, pdu: &Pdu) -> Result<Vec<u8>, SecurityError> {
        self.wraps.fetch_add(1, Ordering::Relaxed);
        self.inner.wrap(pdu)
    }

    fn unwrap(&mut self, datagram: &[u8]) -> Result<Incoming, SecurityError> {
        if self.refuse {
            return Err(SecurityError::Refused("unknown user".into()));
        }
        if self.resends > 0 {
            self.resends -= 1;
            return Ok(Incoming::Resend);
        }
        self.inner.unwrap(datagram)
    }
}

#[tokio::test]
async fn security_resends_and_refusals() {
    let agent = serve(Agent::new(recording(1))).await;
    let wraps = Arc::new(AtomicU32::new(0));
    for (resends, refuse) in [(2, false), (9, false), (0, true)] {
        wraps.store(0, Ordering::Relaxed);
        let security = Scripted {
            inner: Community::v2c("public"),
            resends,
            refuse,
            wraps: Arc::clone(&wraps),
        };
        let mut c = Client::connect(&agent.target(), Box::new(security), options())
            .await
            .unwrap();
        let got = c.get(&[oid(&format!("{BASE}.2.1.0"))]).await;
        match (resends, refuse) {
            (2, _) => {
                assert_eq!(got.unwrap()[0].value, Value::Integer(1));
                assert_eq!(wraps.load(Ordering::Relaxed), 3);
            }
            (9, _) => {
                let err = got.unwrap_err();
                assert!(matches!(err, SnmpError::Refused { .. }), "{err}");
                assert_eq!(wraps.load(Ordering::Relaxed), 1 + MAX_SECURITY_RESENDS);
            }
            _ => {
                let err = got.unwrap_err();
                assert_eq!(
                    err.to_string(),
                    format!("{} refused the request: unknown user", agent.target())
                );
            }
        }
    }
}

#[tokio::test]
async fn encode_errors_and_names() {
    let agent = serve(Agent::new(recording(1))).await;
    let mut c = client(&agent.target(), Version::V1, options()).await;
    let err = c.get(&[Oid(vec![7, 1])]).await.unwrap_err();
    assert!(matches!(err, SnmpError::Encode { .. }), "{err}");
    let err = c
        .set(&[VarBind {
            oid: oid(&format!("{BASE}.3.0")),
            value: Value::Counter64(1),
        }])
        .await
        .unwrap_err();
    assert!(matches!(err, SnmpError::Encode { .. }), "{err}");
    // Nothing was sent.
    assert_eq!(c.stats().sent, 0);
    // A name to resolve.
    let port = agent.local_addr().port();
    let mut c = client(&format!("localhost:{port}"), Version::V2c, options()).await;
    assert!(c.get(&[oid(&format!("{BASE}.2.1.0"))]).await.is_ok());
    let err = Client::connect(
        "no-such-host.invalid",
        Box::new(Community::v2c("x")),
        options(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SnmpError::Io { .. }), "{err}");
    assert!(
        err.to_string().starts_with("no-such-host.invalid: "),
        "{err}"
    );
}

#[tokio::test]
async fn ipv6() {
    let Ok(agent) = Agent::new(recording(1))
        .bind("[::1]:0".parse().unwrap())
        .await
    else {
        eprintln!("note: no IPv6 loopback; skipping");
        return;
    };
    let target = agent.target();
    assert!(target.starts_with("[::1]:"), "{target}");
    let mut c = client(&target, Version::V2c, options()).await;
    assert!(c.peer_addr().unwrap().is_ipv6());
    let got = c.get(&[oid(&format!("{BASE}.2.1.0"))]).await.unwrap();
    assert_eq!(got[0].value, Value::Integer(1));
}

/// 200 agents sharing one recording and 200 clients on one runtime, each client reading 60
/// variables at once, all in flight together.
#[tokio::test]
async fn two_hundred_clients_and_agents() {
    let shared = recording(30);
    let mut agents = Vec::new();
    for _ in 0..200 {
        agents.push(serve(Agent::new(Arc::clone(&shared))).await);
    }
    let oids: Arc<[Oid]> = (1..=30)
        .flat_map(|i| {
            [
                oid(&format!("{BASE}.1.{i}.0")),
                oid(&format!("{BASE}.2.{i}.0")),
            ]
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for agent in &agents {
        let target = agent.target();
        let oids = Arc::clone(&oids);
        tasks.spawn(async move {
            let mut c = client(&target, Version::V2c, options()).await;
            let got = c.get(&oids).await.unwrap();
            assert!(got.iter().all(|vb| !vb.value.is_exception()));
            c.stats().answered
        });
    }
    while let Some(answered) = tasks.join_next().await {
        assert_eq!(answered.unwrap(), 2);
    }
}
