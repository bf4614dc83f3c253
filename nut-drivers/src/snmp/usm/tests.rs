//! The session against a scripted agent built from the same primitives (the interop test in
//! `tests/snmp_usm.rs` checks them against real agents).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rasn::types::{Integer, OctetString};
use rasn_snmp::v3::{Message, ScopedPdu, ScopedPduData, USMSecurityParameters};

use super::*;
use crate::snmp::pdu::{Value, VarBind};

const ENGINE_ID: &[u8] = b"\x80\x00\x1f\x88\x04nut-rs-test";
const SYS_OBJECT_ID: &str = ".1.3.6.1.2.1.1.2.0";

/// A clock the test moves by hand.
#[derive(Clone)]
struct Clock(Arc<Mutex<Instant>>);

impl Clock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }
    fn advance(&self, secs: u64) {
        *self.0.lock().unwrap() += Duration::from_secs(secs);
    }
    fn source(&self) -> impl Fn() -> Instant + Send + Sync + 'static {
        let me = self.clone();
        move || *me.0.lock().unwrap()
    }
}

fn config(level: SecurityLevel, auth: AuthProtocol, privacy: PrivProtocol) -> UsmConfig {
    UsmConfig {
        level,
        user: "nutuser".into(),
        context: "apc_smt750x-nmc2".into(),
        auth_protocol: auth,
        auth_password: Some(Password::new("authpass123")),
        priv_protocol: privacy,
        priv_password: Some(Password::new("privpass456")),
    }
}

/// What the agent read from a request.
struct Request {
    msg_id: i32,
    flags: u8,
    usm: USMSecurityParameters,
    scoped: ScopedPdu,
    pdu: Pdu,
}

/// The authoritative side, as the RFCs describe it.
struct Agent {
    config: UsmConfig,
    boots: u32,
    time: u32,
    auth_key: Key,
    priv_key: Key,
}

impl Agent {
    fn new(config: &UsmConfig) -> Self {
        let auth = config.auth_protocol;
        let ku = |p: &Option<Password>| keys::password_to_key(auth, p.as_ref().unwrap().as_bytes());
        Self {
            config: config.clone(),
            boots: 3,
            time: 1000,
            auth_key: keys::localize_key(auth, &ku(&config.auth_password), ENGINE_ID),
            priv_key: keys::privacy_key(
                auth,
                config.priv_protocol,
                &ku(&config.priv_password),
                ENGINE_ID,
            ),
        }
    }

    fn read(&self, datagram: &[u8]) -> Request {
        let message: Message = rasn::ber::decode(datagram).unwrap();
        assert_eq!(message.version, Integer::from(3));
        assert_eq!(message.global_data.max_size, Integer::from(65507));
        assert_eq!(message.global_data.security_model, Integer::from(3));
        let flags = message.global_data.flags[0];
        let usm: USMSecurityParameters = rasn::ber::decode(&message.security_parameters).unwrap();
        if flags & FLAG_AUTH != 0 {
            let range = ber::auth_params_range(datagram).unwrap();
            let mut zeroed = datagram.to_vec();
            zeroed[range.clone()].fill(0);
            assert!(
                keys::verify(
                    self.config.auth_protocol,
                    &self.auth_key,
                    &zeroed,
                    &datagram[range]
                ),
                "the request's MAC verifies"
            );
        }
        let scoped = match message.scoped_data {
            ScopedPduData::CleartextPdu(s) => s,
            ScopedPduData::EncryptedPdu(c) => {
                let boots = u32::try_from(&usm.authoritative_engine_boots).unwrap();
                let time = u32::try_from(&usm.authoritative_engine_time).unwrap();
                let plain = privacy::decrypt(
                    self.config.priv_protocol,
                    &self.priv_key,
                    boots,
                    time,
                    &usm.privacy_parameters,
                    &c,
                )
                .unwrap();
                let len = ber::first_tlv_len(&plain).unwrap();
                rasn::ber::decode(&plain[..len]).unwrap()
            }
        };
        Request {
            msg_id: i32::try_from(&message.global_data.message_id).unwrap(),
            flags,
            usm,
            pdu: crate::snmp::convert::pdu_from_v2(&scoped.data).unwrap(),
            scoped,
        }
    }

    /// A message from the agent: `flags` says whether it is signed and encrypted.
    fn send(&self, msg_id: i32, flags: u8, user: &str, pdu: &Pdu) -> Vec<u8> {
        let scoped = ScopedPdu {
            engine_id: ENGINE_ID.to_vec().into(),
            name: self.config.context.clone().into_bytes().into(),
            data: crate::snmp::convert::pdu_to_v2(pdu).unwrap(),
        };
        let (scoped_data, priv_params) = if flags & FLAG_PRIV != 0 {
            let plain = rasn::ber::encode(&scoped).unwrap();
            let (c, p) = privacy::encrypt(
                self.config.priv_protocol,
                &self.priv_key,
                self.boots,
                self.time,
                0xfeed,
                &plain,
            );
            (ScopedPduData::EncryptedPdu(c.into()), p.to_vec().into())
        } else {
            (ScopedPduData::CleartextPdu(scoped), OctetString::default())
        };
        let mac_len = self.config.auth_protocol.mac_len();
        let usm = USMSecurityParameters {
            authoritative_engine_id: ENGINE_ID.to_vec().into(),
            authoritative_engine_boots: Integer::from(self.boots),
            authoritative_engine_time: Integer::from(self.time),
            user_name: user.as_bytes().to_vec().into(),
            authentication_parameters: if flags & FLAG_AUTH != 0 {
                vec![0; mac_len].into()
            } else {
                OctetString::default()
            },
            privacy_parameters: priv_params,
        };
        let mut bytes = Usm::encode(msg_id, flags, &usm, scoped_data).unwrap();
        if flags & FLAG_AUTH != 0 {
            let range = ber::auth_params_range(&bytes).unwrap();
            let mac = keys::sign(self.config.auth_protocol, &self.auth_key, &bytes);
            bytes[range].copy_from_slice(&mac);
        }
        bytes
    }

    fn report(&self, msg_id: i32, stat: &str, flags: u8, user: &str) -> Vec<u8> {
        let pdu = Pdu {
            kind: PduKind::Report,
            request_id: 0,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: stat.parse().unwrap(),
                value: Value::Counter32(1),
            }],
        };
        self.send(msg_id, flags, user, &pdu)
    }

    fn response(&self, request: &Request, level: SecurityLevel) -> Vec<u8> {
        let flags = match level {
            SecurityLevel::NoAuthNoPriv => 0,
            SecurityLevel::AuthNoPriv => FLAG_AUTH,
            SecurityLevel::AuthPriv => FLAG_AUTH | FLAG_PRIV,
        };
        let pdu = Pdu {
            kind: PduKind::Response,
            request_id: request.pdu.request_id,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: SYS_OBJECT_ID.parse().unwrap(),
                value: Value::ObjectId(".1.3.6.1.4.1.318.1.3.27".parse().unwrap()),
            }],
        };
        self.send(request.msg_id, flags, &self.config.user, &pdu)
    }
}

const UNKNOWN_ENGINE_IDS: &str = "1.3.6.1.6.3.15.1.1.4.0";
const NOT_IN_TIME_WINDOWS: &str = "1.3.6.1.6.3.15.1.1.2.0";

fn get(request_id: i32) -> Pdu {
    Pdu::request(PduKind::Get, request_id, [SYS_OBJECT_ID.parse().unwrap()])
}

/// Discovery, then one GET answered at the session's level.
fn exchange(config: &UsmConfig) {
    let clock = Clock::new();
    let agent = Agent::new(config);
    let mut usm = Usm::new(config.clone()).unwrap().with_clock(clock.source());
    assert_eq!(usm.engine_id(), None);

    let discovery = agent.read(&usm.wrap(&get(41)).unwrap());
    assert_eq!(discovery.flags, FLAG_REPORTABLE);
    assert!(discovery.usm.authoritative_engine_id.is_empty());
    assert!(discovery.usm.user_name.is_empty());
    assert!(discovery.scoped.engine_id.is_empty());
    assert!(discovery.pdu.varbinds.is_empty());
    let report = agent.report(discovery.msg_id, UNKNOWN_ENGINE_IDS, 0, "");
    assert_eq!(usm.unwrap(&report), Ok(Incoming::Resend));
    assert_eq!(usm.engine_id(), Some(ENGINE_ID));

    clock.advance(7);
    let request = agent.read(&usm.wrap(&get(41)).unwrap());
    let level = config.level;
    let want_flags = FLAG_REPORTABLE
        | if level.auth() { FLAG_AUTH } else { 0 }
        | if level.privacy() { FLAG_PRIV } else { 0 };
    assert_eq!(request.flags, want_flags, "{level}");
    assert_eq!(&request.usm.authoritative_engine_id[..], ENGINE_ID);
    assert_eq!(request.usm.authoritative_engine_boots, Integer::from(3));
    assert_eq!(request.usm.authoritative_engine_time, Integer::from(1007));
    assert_eq!(&request.usm.user_name[..], b"nutuser");
    assert_eq!(&request.scoped.engine_id[..], ENGINE_ID);
    assert_eq!(&request.scoped.name[..], b"apc_smt750x-nmc2");
    assert_eq!(request.pdu, get(41));

    match usm.unwrap(&agent.response(&request, level)) {
        Ok(Incoming::Pdu(pdu)) => {
            assert_eq!(pdu.kind, PduKind::Response);
            assert_eq!(pdu.request_id, 41);
            assert_eq!(
                pdu.varbinds[0].value,
                Value::ObjectId(".1.3.6.1.4.1.318.1.3.27".parse().unwrap())
            );
        }
        other => panic!("{config:?}: {other:?}"),
    }
}

#[test]
fn discovery_and_get_at_every_level_and_protocol() {
    exchange(&config(
        SecurityLevel::NoAuthNoPriv,
        AuthProtocol::Md5,
        PrivProtocol::Des,
    ));
    for auth in AuthProtocol::ALL {
        exchange(&config(SecurityLevel::AuthNoPriv, auth, PrivProtocol::Des));
    }
    // Each privacy protocol once, with an authentication protocol that varies (MD5's short
    // key needs extending for AES-192/256 both ways).
    for (privacy, auth) in PrivProtocol::ALL.into_iter().zip([
        AuthProtocol::Sha1,
        AuthProtocol::Sha256,
        AuthProtocol::Md5,
        AuthProtocol::Md5,
        AuthProtocol::Md5,
        AuthProtocol::Sha1,
    ]) {
        exchange(&config(SecurityLevel::AuthPriv, auth, privacy));
    }
}

/// A discovered authPriv session and its agent.
fn discovered(clock: &Clock) -> (Usm, Agent) {
    let config = config(
        SecurityLevel::AuthPriv,
        AuthProtocol::Sha1,
        PrivProtocol::Aes128,
    );
    let agent = Agent::new(&config);
    let mut usm = Usm::new(config).unwrap().with_clock(clock.source());
    let discovery = agent.read(&usm.wrap(&get(1)).unwrap());
    let report = agent.report(discovery.msg_id, UNKNOWN_ENGINE_IDS, 0, "");
    assert_eq!(usm.unwrap(&report), Ok(Incoming::Resend));
    (usm, agent)
}

#[test]
fn engine_time_advances_and_resynchronises() {
    let clock = Clock::new();
    let (mut usm, mut agent) = discovered(&clock);
    clock.advance(3600);
    assert_eq!(usm.engine_boots_time(), Some((3, 4600)));
    let request = agent.read(&usm.wrap(&get(2)).unwrap());
    assert_eq!(request.usm.authoritative_engine_time, Integer::from(4600));

    // The agent rebooted: its authenticated report gives the new boots and time.
    agent.boots = 4;
    agent.time = 12;
    let report = agent.report(request.msg_id, NOT_IN_TIME_WINDOWS, FLAG_AUTH, "nutuser");
    assert_eq!(usm.unwrap(&report), Ok(Incoming::Resend));
    let request = agent.read(&usm.wrap(&get(2)).unwrap());
    assert_eq!(request.usm.authoritative_engine_boots, Integer::from(4));
    assert_eq!(request.usm.authoritative_engine_time, Integer::from(12));
    assert!(matches!(
        usm.unwrap(&agent.response(&request, SecurityLevel::AuthPriv)),
        Ok(Incoming::Pdu(_))
    ));

    // An unauthenticated one cannot move the clock.
    let request = agent.read(&usm.wrap(&get(3)).unwrap());
    agent.boots = 9;
    let report = agent.report(request.msg_id, NOT_IN_TIME_WINDOWS, 0, "nutuser");
    assert!(matches!(
        usm.unwrap(&report),
        Err(SecurityError::Malformed(_))
    ));
    assert_eq!(usm.engine_boots_time(), Some((4, 12)));

    // An authenticated response from the past (boots 4, time 12, while we reckon 12 + 200)
    // is outside the window; one ahead of our reckoning moves it forward.
    agent.boots = 4;
    clock.advance(200);
    let request = agent.read(&usm.wrap(&get(4)).unwrap());
    let late = agent.response(&request, SecurityLevel::AuthPriv);
    assert!(
        matches!(usm.unwrap(&late), Err(SecurityError::Malformed(m)) if m.contains("time window"))
    );
    agent.time = 500;
    assert!(matches!(
        usm.unwrap(&agent.response(&request, SecurityLevel::AuthPriv)),
        Ok(Incoming::Pdu(_))
    ));
    assert_eq!(usm.engine_boots_time(), Some((4, 500)));
}

#[test]
fn agent_reports_refuse_with_the_cause() {
    let clock = Clock::new();
    let (mut usm, agent) = discovered(&clock);
    for (stat, want) in [
        ("1.3.6.1.6.3.15.1.1.3.0", "unknown user name 'nutuser'"),
        (
            "1.3.6.1.6.3.15.1.1.5.0",
            "authentication failure for user 'nutuser' (wrong password or protocol?)",
        ),
        (
            "1.3.6.1.6.3.15.1.1.1.0",
            "security level authPriv is not supported for user 'nutuser'",
        ),
        (
            "1.3.6.1.6.3.15.1.1.6.0",
            "decryption error for user 'nutuser' (wrong privacy password or protocol?)",
        ),
        ("1.3.6.1.6.3.12.1.5.0", "unknown context 'apc_smt750x-nmc2'"),
        (
            "1.3.6.1.6.3.12.1.4.0",
            "context 'apc_smt750x-nmc2' unavailable",
        ),
        (
            "1.3.6.1.6.3.11.2.1.3.0",
            "the agent has no handler for the PDU",
        ),
        ("1.3.6.1.4.1.9.9", "the agent reported .1.3.6.1.4.1.9.9"),
    ] {
        let request = agent.read(&usm.wrap(&get(5)).unwrap());
        let report = agent.report(request.msg_id, stat, 0, "nutuser");
        assert_eq!(
            usm.unwrap(&report),
            Err(SecurityError::Refused(want.into())),
            "{stat}"
        );
    }
}

#[test]
fn forged_stale_and_downgraded_answers_are_never_accepted() {
    let clock = Clock::new();
    let (mut usm, agent) = discovered(&clock);
    let request = agent.read(&usm.wrap(&get(6)).unwrap());
    let good = agent.response(&request, SecurityLevel::AuthPriv);

    // One bit flipped anywhere: never accepted (refused when only the MAC catches it).
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        match usm.unwrap(&bad) {
            Err(SecurityError::Malformed(_)) => {}
            Err(SecurityError::Refused(m)) if m.contains("authentication failure") => {}
            other => panic!("byte {i} flipped: {other:?}"),
        }
    }
    // The MAC zeroed, or signed with another key (a wrong password on one side).
    let range = ber::auth_params_range(&good).unwrap();
    let mut zeroed = good.clone();
    zeroed[range].fill(0);
    let wrong_digest = |r: Result<Incoming, SecurityError>| {
        matches!(r, Err(SecurityError::Refused(m)) if m.starts_with(
            "authentication failure for user 'nutuser' (wrong password or protocol?)"))
    };
    assert!(wrong_digest(usm.unwrap(&zeroed)));
    let mut other = config(
        SecurityLevel::AuthPriv,
        AuthProtocol::Sha1,
        PrivProtocol::Aes128,
    );
    other.auth_password = Some(Password::new("not the password"));
    let forger = Agent::new(&other);
    assert!(wrong_digest(
        usm.unwrap(&forger.response(&request, SecurityLevel::AuthPriv))
    ));
    // Unauthenticated or unencrypted answers to an authPriv request.
    for level in [SecurityLevel::NoAuthNoPriv, SecurityLevel::AuthNoPriv] {
        assert!(matches!(
            usm.unwrap(&agent.response(&request, level)),
            Err(SecurityError::Malformed(m)) if m.contains("security level")
        ));
    }
    // Another msgID.
    let stray = Request {
        msg_id: request.msg_id.wrapping_add(1000),
        ..request
    };
    assert!(matches!(
        usm.unwrap(&agent.response(&stray, SecurityLevel::AuthPriv)),
        Err(SecurityError::Malformed(m)) if m.contains("msgID")
    ));
    // Garbage and truncations.
    assert!(matches!(usm.unwrap(&[]), Err(SecurityError::Malformed(_))));
    for cut in 0..good.len() {
        assert!(matches!(
            usm.unwrap(&good[..cut]),
            Err(SecurityError::Malformed(_))
        ));
    }
    // The genuine answer still goes through.
    assert!(matches!(usm.unwrap(&good), Ok(Incoming::Pdu(_))));
}

#[test]
fn endless_rediscovery_gives_up() {
    let clock = Clock::new();
    let (mut usm, agent) = discovered(&clock);
    let mut outcome = Ok(Incoming::Resend);
    for _ in 0..MAX_RESENDS {
        let request = agent.read(&usm.wrap(&get(7)).unwrap());
        outcome = usm.unwrap(&agent.report(request.msg_id, UNKNOWN_ENGINE_IDS, 0, ""));
        if outcome != Ok(Incoming::Resend) {
            break;
        }
    }
    assert!(
        matches!(&outcome, Err(SecurityError::Refused(m)) if m.contains("giving up")),
        "{outcome:?}"
    );
}

#[test]
fn late_answer_to_an_earlier_attempt_counts() {
    let clock = Clock::new();
    let (mut usm, agent) = discovered(&clock);
    let first = agent.read(&usm.wrap(&get(8)).unwrap());
    let _second = agent.read(&usm.wrap(&get(8)).unwrap());
    assert!(matches!(
        usm.unwrap(&agent.response(&first, SecurityLevel::AuthPriv)),
        Ok(Incoming::Pdu(p)) if p.request_id == 8
    ));
}

#[test]
fn set_engine_skips_discovery_and_seeds_are_deterministic() {
    let config = config(
        SecurityLevel::AuthNoPriv,
        AuthProtocol::Md5,
        PrivProtocol::Des,
    );
    let agent = Agent::new(&config);
    let clock = Clock::new();
    let mut a = Usm::new(config.clone())
        .unwrap()
        .with_clock(clock.source())
        .with_seed(42);
    let mut b = Usm::new(config)
        .unwrap()
        .with_clock(clock.source())
        .with_seed(42);
    a.set_engine(ENGINE_ID, 3, 1000);
    b.set_engine(ENGINE_ID, 3, 1000);
    let (wa, wb) = (a.wrap(&get(9)).unwrap(), b.wrap(&get(9)).unwrap());
    assert_eq!(wa, wb);
    let request = agent.read(&wa);
    assert_eq!(request.flags, FLAG_AUTH | FLAG_REPORTABLE);
    assert!(matches!(
        a.unwrap(&agent.response(&request, SecurityLevel::AuthNoPriv)),
        Ok(Incoming::Pdu(_))
    ));
}

#[test]
fn debug_output_shows_no_secret() {
    let clock = Clock::new();
    let (usm, _) = discovered(&clock);
    let shown = format!("{usm:?} {:?}", usm.config());
    assert!(
        !shown.contains("authpass123") && !shown.contains("privpass456"),
        "{shown}"
    );
    assert!(shown.contains("nutuser"));
}
