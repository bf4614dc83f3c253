//! An SNMPv1/v2c agent in process that serves [`Recording`]s: for tests, benchmarks and
//! trying the driver without hardware.
//!
//! It answers GET, GETNEXT, GETBULK and SET as a device's agent would, including SNMPv1's
//! errors (noSuchName for an absent variable, for a Counter64, for a SET on a read-only
//! variable). Serving a [`RecordingSet`], it chooses the recording by community as snmpsimd
//! does (the file name without `.snmprec`) and ignores other communities; serving one
//! [`Recording`], it answers any community. Variables are read-only unless marked writable; a
//! SET of a writable one changes the value this agent serves (the recording, shared, is left
//! as it is) and is logged for the test to read ([`AgentHandle::sets`]).
//!
//! [`Agent::answer`] is the whole agent without I/O; [`Agent::bind`] runs it as a task on the
//! caller's runtime, one UDP socket each, so that hundreds of agents cost little (the parsed
//! recordings are shared through [`Arc`]).

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rasn::types::OctetString;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use super::client::ErrorStatus;
use super::community::{decode_any, encode, Version};
use super::pdu::{Oid, Pdu, PduKind, Value, VarBind};
use super::snmprec::{Recording, RecordingSet};

/// The largest answer by default: the largest UDP payload over IPv4.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 65_507;

/// The most variables in a GETBULK answer, whatever the request asks.
const MAX_BULK_VARBINDS: usize = 2_048;

#[derive(Debug, Clone)]
enum Source {
    One(Arc<Recording>),
    Set(Arc<RecordingSet>),
}

#[derive(Debug, Clone, Default)]
enum Writable {
    #[default]
    Nothing,
    All,
    Only(HashSet<Oid>),
}

#[derive(Debug, Default)]
struct Shared {
    silent: AtomicBool,
    received: AtomicU64,
    answered: AtomicU64,
    sets: Mutex<Vec<(Oid, Value)>>,
}

/// What a test reads and changes of an agent while it runs.
#[derive(Debug, Clone)]
pub struct AgentHandle {
    shared: Arc<Shared>,
}

impl AgentHandle {
    /// Every variable written by a successful SET so far, in order.
    pub fn sets(&self) -> Vec<(Oid, Value)> {
        self.shared
            .sets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many datagrams the agent received (dropped ones included).
    pub fn received(&self) -> u64 {
        self.shared.received.load(Ordering::Relaxed)
    }

    /// How many it answered.
    pub fn answered(&self) -> u64 {
        self.shared.answered.load(Ordering::Relaxed)
    }

    /// Makes the agent drop every request (`true`) or answer again (`false`).
    pub fn set_silent(&self, silent: bool) {
        self.shared.silent.store(silent, Ordering::Relaxed);
    }
}

/// An SNMPv1/v2c agent serving recordings (see the module documentation).
#[derive(Debug)]
pub struct Agent {
    source: Source,
    writable: Writable,
    max_message_size: usize,
    drop_first: u64,
    shared: Arc<Shared>,
    /// Values written by SETs, by community (`""` for a single recording).
    written: HashMap<String, HashMap<Oid, Value>>,
}

impl Agent {
    fn with_source(source: Source) -> Self {
        Self {
            source,
            writable: Writable::Nothing,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            drop_first: 0,
            shared: Arc::default(),
            written: HashMap::new(),
        }
    }

    /// An agent serving `recording` to any community.
    pub fn new(recording: Arc<Recording>) -> Self {
        Self::with_source(Source::One(recording))
    }

    /// An agent serving each recording of `set` to its community (and ignoring others).
    pub fn with_set(set: Arc<RecordingSet>) -> Self {
        Self::with_source(Source::Set(set))
    }

    /// Makes `oids` writable (in every recording served).
    pub fn writable(mut self, oids: impl IntoIterator<Item = Oid>) -> Self {
        match &mut self.writable {
            Writable::All => {}
            Writable::Only(set) => set.extend(oids),
            w @ Writable::Nothing => *w = Writable::Only(oids.into_iter().collect()),
        }
        self
    }

    /// Makes every variable writable.
    pub fn all_writable(mut self) -> Self {
        self.writable = Writable::All;
        self
    }

    /// Answers no larger than `bytes`: a larger GET or GETNEXT answer is tooBig, a GETBULK
    /// answer is cut short (as RFC 3416 says). Real agents often allow 484 or 1472 bytes.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Drops the first `n` requests (a lossy network, an agent slow to start).
    pub fn drop_first(mut self, n: u64) -> Self {
        self.drop_first = n;
        self
    }

    /// Drops every request (until [`AgentHandle::set_silent`] says otherwise).
    pub fn silent(self) -> Self {
        self.shared.silent.store(true, Ordering::Relaxed);
        self
    }

    /// The handle to the agent's log and switches.
    pub fn handle(&self) -> AgentHandle {
        AgentHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Serves on a UDP socket bound to `addr` (port 0 for any free one), as a task on the
    /// current tokio runtime.
    pub async fn bind(self, addr: SocketAddr) -> io::Result<RunningAgent> {
        let socket = UdpSocket::bind(addr).await?;
        self.serve(socket)
    }

    /// Serves on `socket`, as a task on the current tokio runtime.
    pub fn serve(self, socket: UdpSocket) -> io::Result<RunningAgent> {
        let addr = socket.local_addr()?;
        let handle = self.handle();
        let task = tokio::spawn(run(self, socket));
        Ok(RunningAgent { addr, handle, task })
    }

    /// The answer to one datagram, if it gets one: the whole agent without I/O.
    pub fn answer(&mut self, datagram: &[u8]) -> Option<Vec<u8>> {
        let n = self.shared.received.fetch_add(1, Ordering::Relaxed);
        if self.shared.silent.load(Ordering::Relaxed) || n < self.drop_first {
            return None;
        }
        let message = decode_any(datagram).ok()?;
        let source = self.source.clone();
        let (name, recording) = match &source {
            Source::One(recording) => ("", recording),
            Source::Set(set) => set.get(&message.community)?,
        };
        let version = message.version;
        let request = &message.pdu;
        let view = View {
            recording,
            written: self.written.get(name),
            v1: version == Version::V1,
        };
        let (mut response, bulk) = match request.kind {
            PduKind::Get => (view.get(request), false),
            PduKind::GetNext => (view.get_next(request), false),
            PduKind::GetBulk {
                non_repeaters,
                max_repetitions,
            } if version == Version::V2c => {
                (view.get_bulk(request, non_repeaters, max_repetitions), true)
            }
            PduKind::Set => (self.set(name, recording, version, request), false),
            PduKind::GetBulk { .. } | PduKind::Response | PduKind::Report => return None,
        };
        response.kind = PduKind::Response;
        response.request_id = request.request_id;
        let reply = self.fit(version, &message.community, response, bulk, request)?;
        self.shared.answered.fetch_add(1, Ordering::Relaxed);
        Some(reply)
    }

    /// `response` encoded within the size limit: a GETBULK answer cut short, or tooBig.
    fn fit(
        &self,
        version: Version,
        community: &OctetString,
        mut response: Pdu,
        bulk: bool,
        request: &Pdu,
    ) -> Option<Vec<u8>> {
        let max = self.max_message_size;
        let encoded = |pdu: &Pdu| encode(version, community.clone(), pdu).ok();
        let full = encoded(&response)?;
        if full.len() <= max {
            return Some(full);
        }
        if bulk {
            // The most leading variables that fit.
            let all = std::mem::take(&mut response.varbinds);
            let (mut fits, mut fails) = (0, all.len());
            while fails - fits > 1 {
                let mid = (fits + fails) / 2;
                response.varbinds = all[..mid].to_vec();
                if encoded(&response).is_some_and(|b| b.len() <= max) {
                    fits = mid;
                } else {
                    fails = mid;
                }
            }
            if fits > 0 {
                response.varbinds = all[..fits].to_vec();
                return encoded(&response);
            }
        }
        // tooBig: SNMPv1 repeats the request's variables (RFC 1157), SNMPv2 sends none (RFC
        // 3416); without them when they do not fit either.
        response.error_status = ErrorStatus::TooBig.code();
        response.error_index = 0;
        if version == Version::V1 {
            response.varbinds = request.varbinds.clone();
            if let Some(b) = encoded(&response).filter(|b| b.len() <= max) {
                return Some(b);
            }
        }
        response.varbinds = Vec::new();
        encoded(&response).filter(|b| b.len() <= max)
    }

    fn set(&mut self, name: &str, recording: &Recording, version: Version, request: &Pdu) -> Pdu {
        let view = View {
            recording,
            written: self.written.get(name),
            v1: version == Version::V1,
        };
        for (i, vb) in request.varbinds.iter().enumerate() {
            let writable = match &self.writable {
                Writable::Nothing => false,
                Writable::All => true,
                Writable::Only(set) => set.contains(&vb.oid),
            };
            let current = view.value(&vb.oid);
            let status = match (version, writable, current) {
                (Version::V1, false, _) | (Version::V1, _, None) => Some(ErrorStatus::NoSuchName),
                (Version::V2c, false, _) => Some(ErrorStatus::NotWritable),
                (Version::V2c, true, None) => Some(ErrorStatus::NoCreation),
                (_, true, Some(current))
                    if std::mem::discriminant(current) != std::mem::discriminant(&vb.value) =>
                {
                    Some(match version {
                        Version::V1 => ErrorStatus::BadValue,
                        Version::V2c => ErrorStatus::WrongType,
                    })
                }
                _ => None,
            };
            if let Some(status) = status {
                return error(request, status, i);
            }
        }
        let written = self.written.entry(name.to_owned()).or_default();
        let mut log = self.shared.sets.lock().unwrap_or_else(|e| e.into_inner());
        for vb in &request.varbinds {
            written.insert(vb.oid.clone(), vb.value.clone());
            log.push((vb.oid.clone(), vb.value.clone()));
        }
        answer(request.varbinds.clone())
    }
}

/// A response with `varbinds`.
fn answer(varbinds: Vec<VarBind>) -> Pdu {
    Pdu {
        kind: PduKind::Response,
        request_id: 0,
        error_status: 0,
        error_index: 0,
        varbinds,
    }
}

/// An error response about the `i`th variable (from 0) of `request`, which it repeats.
fn error(request: &Pdu, status: ErrorStatus, i: usize) -> Pdu {
    Pdu {
        error_status: status.code(),
        error_index: u32::try_from(i + 1).unwrap_or(u32::MAX),
        ..answer(request.varbinds.clone())
    }
}

/// One recording as one request sees it: with the values SETs wrote, and without what SNMPv1
/// cannot carry.
struct View<'a> {
    recording: &'a Recording,
    written: Option<&'a HashMap<Oid, Value>>,
    v1: bool,
}

impl View<'_> {
    /// The value of the variable at `place` in the recording.
    fn at(&self, place: usize) -> (&Oid, &Value) {
        let (oid, value) = &self.recording.vars()[place];
        let value = self.written.and_then(|w| w.get(oid)).unwrap_or(value);
        (oid, value)
    }

    /// Whether this version can answer with `value`.
    fn carries(&self, value: &Value) -> bool {
        !(value.is_exception() || self.v1 && matches!(value, Value::Counter64(_)))
    }

    /// The value of `oid`, if it has one this version can carry.
    fn value(&self, oid: &Oid) -> Option<&Value> {
        let place = self.recording.position(oid).ok()?;
        Some(self.at(place).1).filter(|v| self.carries(v))
    }

    /// The first variable after `oid` with a value this version can carry.
    fn next(&self, oid: &Oid) -> Option<VarBind> {
        let start = match self.recording.position(oid) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        (start..self.recording.len())
            .map(|place| self.at(place))
            .find(|(_, value)| self.carries(value))
            .map(|(oid, value)| VarBind {
                oid: oid.clone(),
                value: value.clone(),
            })
    }

    fn get(&self, request: &Pdu) -> Pdu {
        let mut varbinds = Vec::with_capacity(request.varbinds.len());
        for (i, vb) in request.varbinds.iter().enumerate() {
            let value = match self.value(&vb.oid) {
                Some(value) => value.clone(),
                None if self.v1 => return error(request, ErrorStatus::NoSuchName, i),
                // An exception recorded as the value, as snmpsim serves it.
                None => match self.recording.get(&vb.oid) {
                    Some(recorded) if recorded.is_exception() => recorded.clone(),
                    _ => self.absent(&vb.oid),
                },
            };
            varbinds.push(VarBind {
                oid: vb.oid.clone(),
                value,
            });
        }
        answer(varbinds)
    }

    /// NoSuchInstance when the object (the OID less its last arc) has instances,
    /// NoSuchObject otherwise.
    fn absent(&self, oid: &Oid) -> Value {
        let object = Oid(oid.0[..oid.0.len().saturating_sub(1)].to_vec());
        match self.recording.next_after(&object) {
            Some((next, _)) if !object.0.is_empty() && next.starts_with(&object) => {
                Value::NoSuchInstance
            }
            _ => Value::NoSuchObject,
        }
    }

    fn get_next(&self, request: &Pdu) -> Pdu {
        let mut varbinds = Vec::with_capacity(request.varbinds.len());
        for (i, vb) in request.varbinds.iter().enumerate() {
            match self.next(&vb.oid) {
                Some(next) => varbinds.push(next),
                None if self.v1 => return error(request, ErrorStatus::NoSuchName, i),
                None => varbinds.push(VarBind {
                    oid: vb.oid.clone(),
                    value: Value::EndOfMibView,
                }),
            }
        }
        answer(varbinds)
    }

    fn get_bulk(&self, request: &Pdu, non_repeaters: u32, max_repetitions: u32) -> Pdu {
        let n = usize::try_from(non_repeaters)
            .unwrap_or(usize::MAX)
            .min(request.varbinds.len());
        let (singles, repeated) = request.varbinds.split_at(n);
        let mut varbinds: Vec<VarBind> = singles
            .iter()
            .map(|vb| {
                self.next(&vb.oid).unwrap_or_else(|| VarBind {
                    oid: vb.oid.clone(),
                    value: Value::EndOfMibView,
                })
            })
            .collect();
        if repeated.is_empty() {
            return answer(varbinds);
        }
        let mut cursor: Vec<Oid> = repeated.iter().map(|vb| vb.oid.clone()).collect();
        for _ in 0..max_repetitions {
            if varbinds.len() + cursor.len() > MAX_BULK_VARBINDS {
                break;
            }
            let mut all_ended = true;
            for at in &mut cursor {
                match self.next(at) {
                    Some(next) => {
                        all_ended = false;
                        at.clone_from(&next.oid);
                        varbinds.push(next);
                    }
                    None => varbinds.push(VarBind {
                        oid: at.clone(),
                        value: Value::EndOfMibView,
                    }),
                }
            }
            if all_ended {
                break;
            }
        }
        answer(varbinds)
    }
}

/// A running [`Agent`]: stops when dropped.
#[derive(Debug)]
pub struct RunningAgent {
    addr: SocketAddr,
    handle: AgentHandle,
    task: JoinHandle<()>,
}

impl RunningAgent {
    /// The address it serves on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its address as a client's target, `host:port` (`[v6]:port`).
    pub fn target(&self) -> String {
        self.addr.to_string()
    }

    /// The handle to its log and switches.
    pub fn handle(&self) -> &AgentHandle {
        &self.handle
    }

    /// Every variable written by a successful SET so far, in order.
    pub fn sets(&self) -> Vec<(Oid, Value)> {
        self.handle.sets()
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(mut agent: Agent, socket: UdpSocket) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (len, peer) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(e) => {
                tracing::debug!("snmp agent: {e}");
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                ) {
                    continue;
                }
                return;
            }
        };
        if let Some(reply) = agent.answer(&buf[..len]) {
            if let Err(e) = socket.send_to(&reply, peer).await {
                tracing::debug!("snmp agent: answering {peer}: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests;
