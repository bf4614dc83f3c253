//! The SNMPv3 User-based Security Model (RFC 3414, RFC 3826, RFC 7860), sans-IO: [`Usm`]
//! is the [`Security`] of an SNMPv3 session.
//!
//! A session starts knowing nothing of the agent: its first [`Security::wrap`] makes a
//! discovery message (noAuthNoPriv, reportable, empty engine ID and user name, no varbinds);
//! the agent's usmStatsUnknownEngineIDs report gives its engine ID, boots and time, the keys are
//! localized to that engine ID, and [`Security::unwrap`] answers [`Incoming::Resend`]. An
//! authenticated usmStatsNotInTimeWindows report sets the agent's boots and time likewise. The
//! agent's clock is then kept by the session's own clock (injectable: [`Usm::with_clock`]).
//!
//! What is refused for good ([`SecurityError::Refused`]): the agent's reports of an unknown user
//! name, a wrong digest (wrong authentication password or protocol), an unsupported security
//! level, a decryption error (wrong privacy password or protocol), an unknown or unavailable
//! context; and an agent that keeps asking for rediscovery or resynchronisation.
//!
//! An answer to one of our requests (its msgID matches) whose MAC does not verify is refused
//! too, never accepted: RFC 3414 agents report a wrong digest with an unauthenticated
//! usmStatsWrongDigests report, but some (snmpsimd, pysnmp 4.4) sign their error report with
//! their own key instead, and a MAC that does not verify is then the only sign of a wrong
//! password. It is no easier to forge than the unauthenticated reports every manager must
//! believe: both need one of our outstanding msgIDs.
//!
//! What is ignored ([`SecurityError::Malformed`]), so the request loop keeps waiting: whatever
//! does not decode; a message whose msgID answers none of the last requests; an authenticated
//! message from another engine or user, or outside the time window; a response at another
//! security level than the request's (an unauthenticated response to an authenticated request
//! in particular); an unauthenticated report that would set the clock.
//!
//! Keys and pass phrases are wiped from memory when dropped and never shown by `Debug`.

mod ber;
mod config;
pub mod keys;
mod privacy;

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use rasn::types::{Integer, OctetString};
use rasn_snmp::v3::{HeaderData, Message, ScopedPdu, ScopedPduData, USMSecurityParameters};

pub use self::config::{
    AuthProtocol, ConfigError, Password, PrivProtocol, SecurityLevel, UsmConfig, MIN_PASSWORD_LEN,
};
use self::keys::Key;
use crate::snmp::pdu::{Incoming, Oid, Pdu, PduKind, Security, SecurityError};

/// msgMaxSize: the largest UDP payload over IPv4.
pub const MAX_MESSAGE_SIZE: i32 = 65507;

/// How many reports in a row may ask to send the request again (discovery, then time
/// synchronisation, need two) before the session gives up on the agent.
pub const MAX_RESENDS: u32 = 4;

/// RFC 3414 §3.2 step 7b: how far behind the agent's clock a message may be.
const TIME_WINDOW: u32 = 150;

/// The largest engine boots and time (RFC 3414 §2.2.1).
const ENGINE_MAX: u32 = i32::MAX as u32;

/// How many msgIDs are remembered, so a late answer to a request sent again still counts.
const OUTSTANDING: usize = 8;

const SECURITY_MODEL_USM: i32 = 3;
const FLAG_AUTH: u8 = 0x01;
const FLAG_PRIV: u8 = 0x02;
const FLAG_REPORTABLE: u8 = 0x04;

/// usmStats (RFC 3414): counters 1.3.6.1.6.3.15.1.1.N.0.
const USM_STATS: [u32; 9] = [1, 3, 6, 1, 6, 3, 15, 1, 1];
/// snmpUnavailableContexts and snmpUnknownContexts (RFC 3413): 1.3.6.1.6.3.12.1.{4,5}.0.
const TARGET_STATS: [u32; 8] = [1, 3, 6, 1, 6, 3, 12, 1];
/// snmpMPDStats (RFC 3412): 1.3.6.1.6.3.11.2.1.N.0.
const MPD_STATS: [u32; 9] = [1, 3, 6, 1, 6, 3, 11, 2, 1];

/// What the session knows of the agent's (authoritative) engine.
#[derive(Clone)]
struct Engine {
    id: Vec<u8>,
    boots: u32,
    /// engineTime when learnt …
    time: u32,
    /// … at this moment of our clock.
    learnt: Instant,
    /// The authentication key, localized to this engine.
    auth_key: Option<Key>,
    /// The (extended) privacy key, localized to this engine.
    priv_key: Option<Key>,
}

impl Engine {
    fn time_at(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.learnt).as_secs();
        u32::try_from(u64::from(self.time) + elapsed)
            .unwrap_or(ENGINE_MAX)
            .min(ENGINE_MAX)
    }
}

/// An SNMPv3 session with one agent, as one user: builds and reads its messages. A clone
/// shares the clock and carries on from the same state (same msgIDs and salts: use it for one
/// session only).
#[derive(Clone)]
pub struct Usm {
    config: UsmConfig,
    /// Ku of the authentication pass phrase (when the level authenticates).
    auth_ku: Option<Key>,
    /// Ku of the privacy pass phrase (when the level encrypts).
    priv_ku: Option<Key>,
    engine: Option<Engine>,
    clock: Arc<dyn Fn() -> Instant + Send + Sync>,
    next_msg_id: u32,
    outstanding: VecDeque<i32>,
    salt: u64,
    resends: u32,
}

impl fmt::Debug for Usm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Usm")
            .field("user", &self.config.user)
            .field("level", &self.config.level)
            .field("auth_protocol", &self.config.auth_protocol)
            .field("priv_protocol", &self.config.priv_protocol)
            .field("context", &self.config.context)
            .field("engine_id", &self.engine.as_ref().map(|e| hex(&e.id)))
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn malformed(what: impl fmt::Display) -> SecurityError {
    SecurityError::Malformed(what.to_string())
}

fn encode_error(what: impl fmt::Display) -> SecurityError {
    SecurityError::Encode(what.to_string())
}

/// A seed for msgIDs and salts that differs from session to session (std's hasher keys are
/// random per process, and the time differs between sessions).
fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::collections::hash_map::RandomState::new().hash_one(nanos)
}

impl Usm {
    /// A session for `config` (checked as [`UsmConfig::check`] does), on the system clock. The
    /// pass phrases are hashed into keys here (a few milliseconds each).
    pub fn new(config: UsmConfig) -> Result<Self, ConfigError> {
        config.check()?;
        let auth = config.auth_protocol;
        let ku = |p: &Option<Password>| {
            p.as_ref()
                .map(|p| keys::password_to_key(auth, p.as_bytes()))
        };
        let auth_ku = if config.level.auth() {
            ku(&config.auth_password)
        } else {
            None
        };
        let priv_ku = if config.level.privacy() {
            ku(&config.priv_password)
        } else {
            None
        };
        let seed = random_seed();
        Ok(Self {
            config,
            auth_ku,
            priv_ku,
            engine: None,
            clock: Arc::new(Instant::now),
            next_msg_id: (seed >> 33) as u32,
            outstanding: VecDeque::new(),
            salt: seed,
            resends: 0,
        })
    }

    /// Uses `clock` instead of [`Instant::now`] to keep the agent's engine time.
    pub fn with_clock(mut self, clock: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Starts msgIDs and salts from `seed` instead of a random value: for tests and fuzzing
    /// only, since a salt that repeats under the same key and engine time repeats the IV.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.next_msg_id = (seed >> 33) as u32;
        self.salt = seed;
        self
    }

    /// Sets the agent's engine ID, boots and time as if discovered (net-snmp's `-e` and `-Z`):
    /// the next message goes to the agent directly.
    pub fn set_engine(&mut self, engine_id: &[u8], boots: u32, time: u32) {
        let now = (self.clock)();
        self.learn_engine(engine_id, boots, time, now);
    }

    /// The agent's engine ID, once discovered.
    pub fn engine_id(&self) -> Option<&[u8]> {
        self.engine.as_ref().map(|e| e.id.as_slice())
    }

    /// The agent's engine boots and time as the session reckons them now, once discovered.
    pub fn engine_boots_time(&self) -> Option<(u32, u32)> {
        let now = (self.clock)();
        self.engine.as_ref().map(|e| (e.boots, e.time_at(now)))
    }

    /// The configuration the session was made with.
    pub fn config(&self) -> &UsmConfig {
        &self.config
    }

    fn learn_engine(&mut self, id: &[u8], boots: u32, time: u32, now: Instant) {
        if let Some(engine) = self.engine.as_mut().filter(|e| e.id == id) {
            engine.boots = boots;
            engine.time = time;
            engine.learnt = now;
            return;
        }
        let auth = self.config.auth_protocol;
        self.engine = Some(Engine {
            id: id.to_vec(),
            boots,
            time,
            learnt: now,
            auth_key: self
                .auth_ku
                .as_ref()
                .map(|ku| keys::localize_key(auth, ku, id)),
            priv_key: self
                .priv_ku
                .as_ref()
                .map(|ku| keys::privacy_key(auth, self.config.priv_protocol, ku, id)),
        });
    }

    fn new_msg_id(&mut self) -> i32 {
        self.next_msg_id = self.next_msg_id.wrapping_add(1) & ENGINE_MAX;
        let id = self.next_msg_id as i32;
        if self.outstanding.len() == OUTSTANDING {
            self.outstanding.pop_front();
        }
        self.outstanding.push_back(id);
        id
    }

    fn encode(
        msg_id: i32,
        flags: u8,
        usm: &USMSecurityParameters,
        scoped_data: ScopedPduData,
    ) -> Result<Vec<u8>, SecurityError> {
        let message = Message {
            version: Integer::from(3),
            global_data: HeaderData {
                message_id: Integer::from(msg_id),
                max_size: Integer::from(MAX_MESSAGE_SIZE),
                flags: OctetString::from(vec![flags]),
                security_model: Integer::from(SECURITY_MODEL_USM),
            },
            security_parameters: rasn::ber::encode(usm).map_err(encode_error)?.into(),
            scoped_data,
        };
        rasn::ber::encode(&message).map_err(encode_error)
    }

    /// RFC 3414 §4: the message that makes the agent report its engine ID, boots and time.
    fn discovery(&mut self, request_id: i32) -> Result<Vec<u8>, SecurityError> {
        let msg_id = self.new_msg_id();
        let usm = USMSecurityParameters {
            authoritative_engine_id: OctetString::default(),
            authoritative_engine_boots: Integer::ZERO,
            authoritative_engine_time: Integer::ZERO,
            user_name: OctetString::default(),
            authentication_parameters: OctetString::default(),
            privacy_parameters: OctetString::default(),
        };
        let pdu = Pdu::request(PduKind::Get, request_id, []);
        let scoped = ScopedPdu {
            engine_id: OctetString::default(),
            name: OctetString::default(),
            data: crate::snmp::convert::pdu_to_v2(&pdu)?,
        };
        Self::encode(
            msg_id,
            FLAG_REPORTABLE,
            &usm,
            ScopedPduData::CleartextPdu(scoped),
        )
    }

    /// Reads the report `pdu` (already authenticated if `authenticated`).
    fn report(
        &mut self,
        pdu: &Pdu,
        usm: &USMSecurityParameters,
        authenticated: bool,
        now: Instant,
    ) -> Result<Incoming, SecurityError> {
        let oid = &pdu
            .varbinds
            .first()
            .ok_or_else(|| malformed("a report without a varbind"))?
            .oid
            .0;
        let user = &self.config.user;
        let stat = |base: &[u32]| {
            (oid.len() == base.len() + 2 && oid.starts_with(base) && oid[oid.len() - 1] == 0)
                .then(|| oid[base.len()])
        };
        let refused = |why: String| Err(SecurityError::Refused(why));
        match (stat(&USM_STATS), stat(&TARGET_STATS), stat(&MPD_STATS)) {
            (Some(4), _, _) => {
                // usmStatsUnknownEngineIDs: discovery.
                let id = usm.authoritative_engine_id.to_vec();
                if id.is_empty() {
                    return Err(malformed(
                        "an unknown-engine-ID report without an engine ID",
                    ));
                }
                let (boots, time) = boots_time(usm)?;
                self.learn_engine(&id, boots, time, now);
                self.resend()
            }
            (Some(2), _, _) => {
                // usmStatsNotInTimeWindows: the agent's clock, trusted only when authenticated.
                if !authenticated {
                    return Err(malformed(
                        "an unauthenticated not-in-time-window report cannot set the agent's clock",
                    ));
                }
                let (boots, time) = boots_time(usm)?;
                let id = usm.authoritative_engine_id.to_vec();
                self.learn_engine(&id, boots, time, now);
                self.resend()
            }
            (Some(3), _, _) => refused(format!("unknown user name '{user}'")),
            (Some(5), _, _) => refused(format!(
                "authentication failure for user '{user}' (wrong password or protocol?)"
            )),
            (Some(1), _, _) => refused(format!(
                "security level {} is not supported for user '{user}'",
                self.config.level
            )),
            (Some(6), _, _) => refused(format!(
                "decryption error for user '{user}' (wrong privacy password or protocol?)"
            )),
            (_, Some(4), _) => refused(format!("context '{}' unavailable", self.config.context)),
            (_, Some(5), _) => refused(format!("unknown context '{}'", self.config.context)),
            (_, _, Some(1)) => refused("the agent does not know the USM security model".into()),
            (_, _, Some(3)) => refused("the agent has no handler for the PDU".into()),
            _ => refused(format!("the agent reported {}", Oid(oid.clone()))),
        }
    }

    fn resend(&mut self) -> Result<Incoming, SecurityError> {
        self.resends += 1;
        if self.resends > MAX_RESENDS {
            self.resends = 0;
            return Err(SecurityError::Refused(format!(
                "the agent asked {MAX_RESENDS} times in a row for engine discovery or time \
                 synchronisation without answering: giving up"
            )));
        }
        Ok(Incoming::Resend)
    }
}

/// The message's engine boots and time, which RFC 3414 bounds by 2^31 − 1.
fn boots_time(usm: &USMSecurityParameters) -> Result<(u32, u32), SecurityError> {
    let get = |i: &Integer, what: &str| {
        u32::try_from(i)
            .ok()
            .filter(|v| *v <= ENGINE_MAX)
            .ok_or_else(|| malformed(format!("{what} {i} out of range")))
    };
    Ok((
        get(&usm.authoritative_engine_boots, "engine boots")?,
        get(&usm.authoritative_engine_time, "engine time")?,
    ))
}

impl Security for Usm {
    fn wrap(&mut self, pdu: &Pdu) -> Result<Vec<u8>, SecurityError> {
        let now = (self.clock)();
        let Some(engine) = self.engine.clone() else {
            return self.discovery(pdu.request_id);
        };
        let level = self.config.level;
        let confirmed = matches!(
            pdu.kind,
            PduKind::Get | PduKind::GetNext | PduKind::GetBulk { .. } | PduKind::Set
        );
        let mut flags = if confirmed { FLAG_REPORTABLE } else { 0 };
        let scoped = ScopedPdu {
            engine_id: engine.id.clone().into(),
            name: self.config.context.clone().into_bytes().into(),
            data: crate::snmp::convert::pdu_to_v2(pdu)?,
        };
        let time = engine.time_at(now);
        let (scoped_data, privacy_parameters) = match (level.privacy(), &engine.priv_key) {
            (true, Some(key)) => {
                flags |= FLAG_PRIV;
                self.salt = self.salt.wrapping_add(1);
                let plain = rasn::ber::encode(&scoped).map_err(encode_error)?;
                let (cipher, params) = privacy::encrypt(
                    self.config.priv_protocol,
                    key,
                    engine.boots,
                    time,
                    self.salt,
                    &plain,
                );
                (
                    ScopedPduData::EncryptedPdu(cipher.into()),
                    params.to_vec().into(),
                )
            }
            _ => (ScopedPduData::CleartextPdu(scoped), OctetString::default()),
        };
        let auth_key = engine.auth_key.as_ref().filter(|_| level.auth());
        if auth_key.is_some() {
            flags |= FLAG_AUTH;
        }
        let usm = USMSecurityParameters {
            authoritative_engine_id: engine.id.clone().into(),
            authoritative_engine_boots: Integer::from(engine.boots),
            authoritative_engine_time: Integer::from(time),
            user_name: self.config.user.clone().into_bytes().into(),
            authentication_parameters: match auth_key {
                Some(_) => vec![0; self.config.auth_protocol.mac_len()].into(),
                None => OctetString::default(),
            },
            privacy_parameters,
        };
        let msg_id = self.new_msg_id();
        let mut message = Self::encode(msg_id, flags, &usm, scoped_data)?;
        if let Some(key) = auth_key {
            let range = ber::auth_params_range(&message)
                .ok_or_else(|| encode_error("msgAuthenticationParameters not found"))?;
            let mac = keys::sign(self.config.auth_protocol, key, &message);
            message[range].copy_from_slice(&mac);
        }
        Ok(message)
    }

    fn unwrap(&mut self, datagram: &[u8]) -> Result<Incoming, SecurityError> {
        let now = (self.clock)();
        let message: Message = rasn::ber::decode(datagram).map_err(malformed)?;
        if message.version != Integer::from(3) {
            return Err(malformed(format!("SNMP version {} ≠ v3", message.version)));
        }
        let header = &message.global_data;
        if header.security_model != Integer::from(SECURITY_MODEL_USM) {
            return Err(malformed(format!(
                "security model {} is not USM",
                header.security_model
            )));
        }
        let msg_id = i32::try_from(&header.message_id)
            .map_err(|_| malformed(format!("msgID {} out of range", header.message_id)))?;
        if !self.outstanding.contains(&msg_id) {
            return Err(malformed(format!(
                "msgID {msg_id} answers no request of ours"
            )));
        }
        let [flags] = header.flags[..] else {
            return Err(malformed("msgFlags is not one byte"));
        };
        let (auth_flag, priv_flag) = (flags & FLAG_AUTH != 0, flags & FLAG_PRIV != 0);
        if priv_flag && !auth_flag {
            return Err(malformed(
                "msgFlags asks for privacy without authentication",
            ));
        }
        let usm: USMSecurityParameters =
            rasn::ber::decode(&message.security_parameters).map_err(malformed)?;

        let in_time = !auth_flag || self.authenticate(datagram, &usm, now)?;
        let scoped = match message.scoped_data {
            ScopedPduData::CleartextPdu(scoped) if !priv_flag => scoped,
            ScopedPduData::EncryptedPdu(cipher) if priv_flag => {
                let key = self
                    .engine
                    .as_ref()
                    .and_then(|e| e.priv_key.as_ref())
                    .ok_or_else(|| malformed("an encrypted message, and we have no privacy key"))?;
                let (boots, time) = boots_time(&usm)?;
                let plain = privacy::decrypt(
                    self.config.priv_protocol,
                    key,
                    boots,
                    time,
                    &usm.privacy_parameters,
                    &cipher,
                )
                .map_err(malformed)?;
                let len = ber::first_tlv_len(&plain)
                    .ok_or_else(|| malformed("the decrypted scopedPDU does not decode"))?;
                rasn::ber::decode(&plain[..len]).map_err(|e| {
                    malformed(format!("the decrypted scopedPDU does not decode: {e}"))
                })?
            }
            _ => return Err(malformed("msgFlags and msgData disagree about privacy")),
        };
        let pdu = crate::snmp::convert::pdu_from_v2(&scoped.data)?;
        match pdu.kind {
            PduKind::Report => self.report(&pdu, &usm, auth_flag, now),
            PduKind::Response => {
                let level = self.config.level;
                if (auth_flag, priv_flag) != (level.auth(), level.privacy()) {
                    return Err(malformed(format!(
                        "a response at another security level than {level}"
                    )));
                }
                if !in_time {
                    return Err(malformed(
                        "an authenticated response outside the time window",
                    ));
                }
                self.resends = 0;
                Ok(Incoming::Pdu(pdu))
            }
            _ => Err(malformed("neither a response nor a report")),
        }
    }
}

impl Usm {
    /// RFC 3414 §3.2 steps 6–7: checks the MAC (an error if it does not verify), moves our
    /// notion of the agent's clock forward if the message is ahead of it, and says whether the
    /// message is within the time window (a not-in-time-window report need not be).
    fn authenticate(
        &mut self,
        datagram: &[u8],
        usm: &USMSecurityParameters,
        now: Instant,
    ) -> Result<bool, SecurityError> {
        let auth = self.config.auth_protocol;
        let engine = self
            .engine
            .as_mut()
            .ok_or_else(|| malformed("an authenticated message before discovery"))?;
        if usm.authoritative_engine_id[..] != engine.id[..] {
            return Err(malformed("an authenticated message from another engine"));
        }
        if usm.user_name[..] != *self.config.user.as_bytes() {
            return Err(malformed("an authenticated message for another user"));
        }
        let key = engine
            .auth_key
            .as_ref()
            .ok_or_else(|| malformed("an authenticated message, and we have no key"))?;
        let range = ber::auth_params_range(datagram)
            .ok_or_else(|| malformed("msgAuthenticationParameters not found"))?;
        let mut zeroed = datagram.to_vec();
        zeroed[range.clone()].fill(0);
        if !keys::verify(auth, key, &zeroed, &datagram[range]) {
            return Err(SecurityError::Refused(format!(
                "authentication failure for user '{}' (wrong password or protocol?): the \
                 agent's answer does not verify with our key",
                self.config.user
            )));
        }
        let (boots, time) = boots_time(usm)?;
        let ours = engine.time_at(now);
        if boots > engine.boots || (boots == engine.boots && time > ours) {
            engine.boots = boots;
            engine.time = time;
            engine.learnt = now;
        }
        let ours = engine.time_at(now);
        Ok(!(boots == ENGINE_MAX
            || boots < engine.boots
            || (boots == engine.boots && time.saturating_add(TIME_WINDOW) < ours)))
    }
}

#[cfg(test)]
mod tests;
