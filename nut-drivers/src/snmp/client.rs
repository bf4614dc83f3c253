//! The SNMP request loop: GET, GETNEXT, walks and SET over a UDP socket connected to one
//! agent, whatever the protocol version (a [`Security`] makes the messages).
//!
//! A [`Client`] is one socket and a few reused buffers: no task of its own, nothing allocated
//! per request beyond the datagrams and the results (and what rasn allocates to encode and
//! decode them). Each request waits for the answer with its request id until
//! [`ClientOptions::timeout`], then sends the same datagram again, up to
//! [`ClientOptions::retries`] times; anything else that arrives meanwhile (an answer to an
//! earlier request, a datagram that does not decode, another community) is ignored.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::pdu::{Incoming, Oid, Pdu, PduKind, Security, SecurityError, Value, VarBind};

/// The agent port when the target names none.
pub const DEFAULT_PORT: u16 = 161;

/// How many times in a row a [`Security`] may ask to send a request again
/// ([`Incoming::Resend`]: SNMPv3 discovery, time synchronisation) before the request fails.
const MAX_SECURITY_RESENDS: u32 = 4;

/// The largest datagram a client receives (the largest UDP payload).
const MAX_DATAGRAM: usize = 65_535;

/// How a [`Client`] sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// How long to wait for each answer before sending the request again (C NUT's
    /// `snmp_timeout`, 1 s).
    pub timeout: Duration,
    /// How many times to send a request again after a timeout before giving up (C NUT's
    /// `snmp_retries`, 5).
    pub retries: u32,
    /// The most variables asked in one request (at least 1), and the max-repetitions of
    /// GETBULK in walks; fewer when the agent answers `tooBig`.
    pub max_varbinds: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            retries: 5,
            max_varbinds: 32,
        }
    }
}

/// An agent's error-status (RFC 3416 section 3; 1 to 5 are also SNMPv1's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorStatus {
    /// 1: the answer would not fit in a message.
    TooBig,
    /// 2: (SNMPv1) no such variable, or not writable.
    NoSuchName,
    /// 3: (SNMPv1) a SET value of the wrong type or out of range.
    BadValue,
    /// 4: (SNMPv1) the variable is read-only.
    ReadOnly,
    /// 5: any other failure.
    GenErr,
    /// 6: the variable is not accessible.
    NoAccess,
    /// 7: a SET value of the wrong type.
    WrongType,
    /// 8: a SET value of the wrong length.
    WrongLength,
    /// 9: a SET value badly encoded.
    WrongEncoding,
    /// 10: a SET value the variable cannot take.
    WrongValue,
    /// 11: the variable does not exist and cannot be created.
    NoCreation,
    /// 12: a SET value inconsistent with other variables.
    InconsistentValue,
    /// 13: the agent lacks a resource to carry out the SET.
    ResourceUnavailable,
    /// 14: the SET failed and was undone.
    CommitFailed,
    /// 15: the SET failed and could not be undone.
    UndoFailed,
    /// 16: not authorised.
    AuthorizationError,
    /// 17: the variable cannot be written.
    NotWritable,
    /// 18: the variable does not exist and cannot be created with this name.
    InconsistentName,
    /// Any other number.
    Other(u32),
}

impl ErrorStatus {
    /// noSuchName (2): an SNMPv1 agent's answer for an absent variable.
    pub const NO_SUCH_NAME: u32 = 2;
    /// tooBig (1).
    pub const TOO_BIG: u32 = 1;

    /// The status of error-status `code` (which is not 0, noError).
    pub fn from_code(code: u32) -> Self {
        use ErrorStatus::*;
        match code {
            1 => TooBig,
            2 => NoSuchName,
            3 => BadValue,
            4 => ReadOnly,
            5 => GenErr,
            6 => NoAccess,
            7 => WrongType,
            8 => WrongLength,
            9 => WrongEncoding,
            10 => WrongValue,
            11 => NoCreation,
            12 => InconsistentValue,
            13 => ResourceUnavailable,
            14 => CommitFailed,
            15 => UndoFailed,
            16 => AuthorizationError,
            17 => NotWritable,
            18 => InconsistentName,
            other => Other(other),
        }
    }

    /// The error-status number.
    pub fn code(self) -> u32 {
        use ErrorStatus::*;
        match self {
            TooBig => 1,
            NoSuchName => 2,
            BadValue => 3,
            ReadOnly => 4,
            GenErr => 5,
            NoAccess => 6,
            WrongType => 7,
            WrongLength => 8,
            WrongEncoding => 9,
            WrongValue => 10,
            NoCreation => 11,
            InconsistentValue => 12,
            ResourceUnavailable => 13,
            CommitFailed => 14,
            UndoFailed => 15,
            AuthorizationError => 16,
            NotWritable => 17,
            InconsistentName => 18,
            Other(code) => code,
        }
    }
}

impl fmt::Display for ErrorStatus {
    /// RFC 3416's name (`notWritable`), or `error-status N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorStatus::*;
        f.write_str(match self {
            TooBig => "tooBig",
            NoSuchName => "noSuchName",
            BadValue => "badValue",
            ReadOnly => "readOnly",
            GenErr => "genErr",
            NoAccess => "noAccess",
            WrongType => "wrongType",
            WrongLength => "wrongLength",
            WrongEncoding => "wrongEncoding",
            WrongValue => "wrongValue",
            NoCreation => "noCreation",
            InconsistentValue => "inconsistentValue",
            ResourceUnavailable => "resourceUnavailable",
            CommitFailed => "commitFailed",
            UndoFailed => "undoFailed",
            AuthorizationError => "authorizationError",
            NotWritable => "notWritable",
            InconsistentName => "inconsistentName",
            Other(code) => return write!(f, "error-status {code}"),
        })
    }
}

fn naming(oid: &Option<Oid>) -> String {
    oid.as_ref()
        .map(|o| format!(" for {o}"))
        .unwrap_or_default()
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnmpError {
    /// No answer after all the tries.
    #[error("no answer from {host} ({tries} tries, {timeout:?} each)")]
    Timeout {
        /// The agent, as given to [`Client::connect`].
        host: String,
        /// How many times the request was sent.
        tries: u32,
        /// How long each wait was.
        timeout: Duration,
    },
    /// The socket failed, or the agent's address could not be resolved.
    #[error("{host}: {source}")]
    Io {
        /// The agent.
        host: String,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// The security model refused the exchange for good (SNMPv3: unknown user, wrong key, …),
    /// or the agent answered with a report.
    #[error("{host} refused the request: {reason}")]
    Refused {
        /// The agent.
        host: String,
        /// Why.
        reason: String,
    },
    /// The agent answered with an error-status.
    #[error("{host} answered {status}{} (error-index {index})", naming(.oid))]
    Agent {
        /// The agent.
        host: String,
        /// Its error-status.
        status: ErrorStatus,
        /// Its error-index: which variable of the request (from 1), or 0.
        index: u32,
        /// That variable, when the index names one.
        oid: Option<Oid>,
    },
    /// The request cannot be encoded (an OID BER cannot carry, GETBULK in SNMPv1, …).
    #[error("cannot encode the request to {host}: {reason}")]
    Encode {
        /// The agent.
        host: String,
        /// Why.
        reason: String,
    },
    /// A walk received a variable that does not come after the previous one: the agent would
    /// make it loop.
    #[error("{host} walked backwards: {oid} after {previous}")]
    NotIncreasing {
        /// The agent.
        host: String,
        /// The variable before.
        previous: Oid,
        /// The variable that should have come after it.
        oid: Oid,
    },
    /// The answer does not fit the request (another number of variables, …).
    #[error("{host} answered {reason}")]
    Protocol {
        /// The agent.
        host: String,
        /// What is wrong.
        reason: String,
    },
}

impl SnmpError {
    /// Whether the agent did not answer at all.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The agent's error-status, if that is the error.
    pub fn status(&self) -> Option<ErrorStatus> {
        match self {
            Self::Agent { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Counters of a [`Client`]'s traffic, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Requests answered (round trips).
    pub answered: u64,
    /// Datagrams sent, retries included.
    pub sent: u64,
    /// Datagrams received and ignored (another request id, malformed, another community).
    pub ignored: u64,
}

/// An SNMP client of one agent.
pub struct Client {
    socket: UdpSocket,
    host: String,
    security: Box<dyn Security>,
    options: ClientOptions,
    next_id: i32,
    /// Variables per request: `max_varbinds`, halved by each `tooBig`.
    batch: usize,
    /// GETBULK max-repetitions in walks: `max_varbinds`, halved by each `tooBig`.
    repetitions: u32,
    /// Whether walks use GETBULK (until the security says it cannot encode one: SNMPv1).
    bulk: bool,
    /// The request being made (its buffers reused).
    request: Pdu,
    /// Which results a GET still waits for.
    pending: Vec<usize>,
    stats: ClientStats,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.host)
            .field("options", &self.options)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Splits `host[:port]` (`[v6]:port`, a bare IPv6 address, an optional `udp:` or `udp6:`
/// prefix as net-snmp takes) into host and port.
fn split_target(target: &str) -> io::Result<(&str, u16)> {
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, why.to_owned());
    let rest = ["udp:", "udp6:"]
        .iter()
        .find_map(|p| {
            target
                .get(..p.len())
                .filter(|head| head.eq_ignore_ascii_case(p))
                .map(|_| &target[p.len()..])
        })
        .unwrap_or(target);
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| invalid("not a port number"))
    };
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("no ] after [IPv6 address"))?;
        match after {
            "" => (host, DEFAULT_PORT),
            _ => (
                host,
                port(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| invalid("not :port after ]"))?,
                )?,
            ),
        }
    } else if rest.parse::<Ipv6Addr>().is_ok() {
        (rest, DEFAULT_PORT)
    } else {
        match rest.split_once(':') {
            Some((host, p)) => (host, port(p)?),
            None => (rest, DEFAULT_PORT),
        }
    };
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    Ok((host, port))
}

/// A random request id to start from, positive with room to grow (std's hasher keys are
/// random per process and per call).
fn random_request_id() -> i32 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x6e75_742d_7273);
    (h.finish() % 0x3fff_ffff) as i32 + 1
}

/// Makes `request` a `kind` request for `oids`, reusing its buffers.
fn fill<'a>(request: &mut Pdu, kind: PduKind, id: i32, oids: impl Iterator<Item = &'a Oid>) {
    request.kind = kind;
    request.request_id = id;
    request.error_status = 0;
    request.error_index = 0;
    let mut n = 0;
    for oid in oids {
        match request.varbinds.get_mut(n) {
            Some(vb) => {
                vb.oid.0.clone_from(&oid.0);
                vb.value = Value::Null;
            }
            None => request.varbinds.push(VarBind {
                oid: oid.clone(),
                value: Value::Null,
            }),
        }
        n += 1;
    }
    request.varbinds.truncate(n);
}

/// Receives one datagram through a buffer of the calling thread, returning its bytes: a
/// 64 KiB buffer per client would be most of the memory of a process watching hundreds of
/// devices, and no buffer is held across the wait.
async fn recv_datagram(socket: &UdpSocket) -> io::Result<Vec<u8>> {
    thread_local! {
        static BUF: std::cell::RefCell<Box<[u8]>> =
            std::cell::RefCell::new(vec![0; MAX_DATAGRAM].into_boxed_slice());
    }
    loop {
        socket.readable().await?;
        let got = BUF.with(|buf| {
            let mut buf = buf.borrow_mut();
            socket.try_recv(&mut buf).map(|n| buf[..n].to_vec())
        });
        match got {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            other => return other,
        }
    }
}

impl Client {
    /// A client of the agent at `target` (`host[:port]`, port 161 by default; IPv4, IPv6 as
    /// `[addr]:port` or a bare address, or a name to resolve), speaking through `security`.
    pub async fn connect(
        target: &str,
        security: Box<dyn Security>,
        options: ClientOptions,
    ) -> Result<Self, SnmpError> {
        let io_err = |source| SnmpError::Io {
            host: target.to_owned(),
            source,
        };
        let (host, port) = split_target(target).map_err(io_err)?;
        let peer = tokio::net::lookup_host((host, port))
            .await
            .map_err(io_err)?
            .next()
            .ok_or_else(|| {
                io_err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "the name has no address",
                ))
            })?;
        let local = match peer {
            SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        };
        let socket = UdpSocket::bind(local).await.map_err(io_err)?;
        socket.connect(peer).await.map_err(io_err)?;
        Ok(Self::with_socket(socket, target, security, options))
    }

    /// A client on `socket`, already connected to the agent; `host` names the agent in errors.
    pub fn with_socket(
        socket: UdpSocket,
        host: &str,
        security: Box<dyn Security>,
        options: ClientOptions,
    ) -> Self {
        let max = options.max_varbinds.max(1);
        Self {
            socket,
            host: host.to_owned(),
            security,
            next_id: random_request_id(),
            batch: max,
            repetitions: u32::try_from(max).unwrap_or(u32::MAX),
            bulk: true,
            request: Pdu::request(PduKind::Get, 0, []),
            pending: Vec::new(),
            stats: ClientStats::default(),
            options,
        }
    }

    /// The agent, as given.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The options.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The traffic so far.
    pub fn stats(&self) -> ClientStats {
        self.stats
    }

    /// The agent's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket.peer_addr()
    }

    /// Reads `oids`: one answer per OID, in order, in as few requests as the agent allows.
    ///
    /// A variable the agent does not have is answered [`Value::NoSuchObject`] (SNMPv1's
    /// noSuchName error; an SNMPv2 agent's own exception, NoSuchObject or NoSuchInstance, is
    /// passed on). A variable the agent fails to read with another error (genErr, or tooBig
    /// on its own) is also [`Value::NoSuchObject`]: the others are asked again in smaller
    /// requests until the failing one is found, and it alone is marked.
    pub async fn get(&mut self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        self.fetch(PduKind::Get, oids).await
    }

    /// The variable after each of `oids` (GETNEXT), in order; one past the end of the agent's
    /// MIB is [`Value::EndOfMibView`] with the OID asked (SNMPv1's noSuchName included).
    pub async fn get_next(&mut self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        self.fetch(PduKind::GetNext, oids).await
    }

    /// Every variable under `root` (not `root` itself), in order: GETBULK when the security
    /// can encode it (SNMPv2c, SNMPv3), GETNEXT otherwise (SNMPv1). Stops at the end of the
    /// subtree, at EndOfMibView and at SNMPv1's noSuchName; an agent that answers an OID that
    /// does not come after the previous one is [`SnmpError::NotIncreasing`].
    pub async fn walk(&mut self, root: &Oid) -> Result<Vec<VarBind>, SnmpError> {
        let mut out: Vec<VarBind> = Vec::new();
        loop {
            let bulk = self.bulk;
            let kind = if bulk {
                PduKind::GetBulk {
                    non_repeaters: 0,
                    max_repetitions: self.repetitions,
                }
            } else {
                PduKind::GetNext
            };
            let id = self.next_request_id();
            let last = out.last().map_or(root, |vb| &vb.oid);
            fill(&mut self.request, kind, id, std::iter::once(last));
            let answer = match self.exchange().await {
                Err(SnmpError::Encode { .. }) if bulk && self.getnext_encodes() => {
                    tracing::debug!(host = %self.host, "no GETBULK: walking with GETNEXT");
                    self.bulk = false;
                    continue;
                }
                answer => answer?,
            };
            match answer.error_status {
                0 => {}
                ErrorStatus::NO_SUCH_NAME if !bulk => return Ok(out),
                ErrorStatus::TOO_BIG if bulk && self.repetitions > 1 => {
                    self.repetitions /= 2;
                    continue;
                }
                _ => return Err(self.agent_error(&answer)),
            }
            if answer.varbinds.is_empty() {
                return Ok(out);
            }
            for vb in answer.varbinds {
                if vb.value == Value::EndOfMibView || !vb.oid.starts_with(root) {
                    return Ok(out);
                }
                let previous = out.last().map_or(root, |vb| &vb.oid);
                if vb.oid <= *previous {
                    return Err(SnmpError::NotIncreasing {
                        host: self.host.clone(),
                        previous: previous.clone(),
                        oid: vb.oid,
                    });
                }
                out.push(vb);
            }
        }
    }

    /// Writes `varbinds` in one SET request; the agent's answer (its copy of the variables)
    /// on success, its error-status as [`SnmpError::Agent`] otherwise (and an answer with an
    /// exception for a value, which means nothing was written, as [`SnmpError::Protocol`]).
    pub async fn set(&mut self, varbinds: &[VarBind]) -> Result<Vec<VarBind>, SnmpError> {
        let id = self.next_request_id();
        fill(
            &mut self.request,
            PduKind::Set,
            id,
            varbinds.iter().map(|vb| &vb.oid),
        );
        for (slot, vb) in self.request.varbinds.iter_mut().zip(varbinds) {
            slot.value.clone_from(&vb.value);
        }
        let answer = self.exchange().await?;
        if answer.error_status != 0 {
            return Err(self.agent_error(&answer));
        }
        // Some agents (snmpsimd) answer a SET they did not carry out with an exception.
        if let Some(vb) = answer.varbinds.iter().find(|vb| vb.value.is_exception()) {
            return Err(SnmpError::Protocol {
                host: self.host.clone(),
                reason: format!("{:?} for {} to a SET", vb.value, vb.oid),
            });
        }
        Ok(answer.varbinds)
    }

    fn next_request_id(&mut self) -> i32 {
        let id = self.next_id;
        self.next_id = if id == i32::MAX { 1 } else { id + 1 };
        id
    }

    /// Whether the request would encode as a GETNEXT (after GETBULK did not).
    fn getnext_encodes(&mut self) -> bool {
        self.request.kind = PduKind::GetNext;
        self.security.wrap(&self.request).is_ok()
    }

    /// The error of an `answer` to the current request with a non-zero error-status.
    fn agent_error(&self, answer: &Pdu) -> SnmpError {
        let index = answer.error_index;
        let oid = usize::try_from(index)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.request.varbinds.get(i))
            .map(|vb| vb.oid.clone());
        SnmpError::Agent {
            host: self.host.clone(),
            status: ErrorStatus::from_code(answer.error_status),
            index,
            oid,
        }
    }

    async fn fetch(&mut self, kind: PduKind, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        let absent = match kind {
            PduKind::GetNext => Value::EndOfMibView,
            _ => Value::NoSuchObject,
        };
        let mut out: Vec<VarBind> = oids
            .iter()
            .map(|oid| VarBind {
                oid: oid.clone(),
                value: Value::Null,
            })
            .collect();
        self.pending.clear();
        self.pending.extend(0..oids.len());
        // Request size after errors other than tooBig (which lowers `self.batch` for good).
        let mut limit = self.batch;
        let mut isolate = false;
        while !self.pending.is_empty() {
            let size = if isolate {
                1
            } else {
                limit.min(self.batch).min(self.pending.len())
            };
            isolate = false;
            let id = self.next_request_id();
            fill(
                &mut self.request,
                kind,
                id,
                self.pending[..size].iter().map(|&i| &out[i].oid),
            );
            let answer = self.exchange().await?;
            let index = usize::try_from(answer.error_index)
                .ok()
                .filter(|i| (1..=size).contains(i));
            match (answer.error_status, index) {
                (0, _) => {
                    if answer.varbinds.len() != size {
                        return Err(SnmpError::Protocol {
                            host: self.host.clone(),
                            reason: format!(
                                "{} variables to a request for {size}",
                                answer.varbinds.len()
                            ),
                        });
                    }
                    for (&i, vb) in self.pending[..size].iter().zip(answer.varbinds) {
                        match kind {
                            PduKind::GetNext => out[i] = vb,
                            _ => out[i].value = vb.value,
                        }
                    }
                    self.pending.drain(..size);
                }
                (ErrorStatus::TOO_BIG, _) if size > 1 => {
                    self.batch = size / 2;
                    tracing::debug!(host = %self.host, batch = self.batch, "tooBig: smaller requests");
                }
                (ErrorStatus::NO_SUCH_NAME, Some(index)) => {
                    let i = self.pending.remove(index - 1);
                    out[i].value = absent.clone();
                }
                (status, _) if size == 1 => {
                    let i = self.pending.remove(0);
                    tracing::debug!(
                        host = %self.host, oid = %out[i].oid,
                        status = %ErrorStatus::from_code(status), "variable unreadable"
                    );
                    out[i].value = absent.clone();
                    limit = self.batch;
                }
                (_, Some(index)) => {
                    // Ask the one the agent names on its own first.
                    self.pending[..index].rotate_right(1);
                    isolate = true;
                }
                (_, None) => limit = size / 2,
            }
        }
        Ok(out)
    }

    /// Sends the current request and waits for its answer, sending it again after each
    /// timeout.
    async fn exchange(&mut self) -> Result<Pdu, SnmpError> {
        let mut datagram = self.wrap()?;
        self.send(&datagram).await?;
        let mut resends = 0u32;
        let mut security_resends = 0;
        let mut deadline = Instant::now() + self.options.timeout;
        loop {
            let received = tokio::time::timeout_at(deadline, recv_datagram(&self.socket)).await;
            let answer = match received {
                Err(_elapsed) => {
                    if resends == self.options.retries {
                        return Err(SnmpError::Timeout {
                            host: self.host.clone(),
                            tries: resends.saturating_add(1),
                            timeout: self.options.timeout,
                        });
                    }
                    resends += 1;
                    self.send(&datagram).await?;
                    deadline = Instant::now() + self.options.timeout;
                    continue;
                }
                // An ICMP port unreachable for an earlier datagram: as if nothing came.
                Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    tracing::trace!(host = %self.host, "port unreachable");
                    continue;
                }
                Ok(Err(source)) => {
                    return Err(SnmpError::Io {
                        host: self.host.clone(),
                        source,
                    })
                }
                Ok(Ok(answer)) => answer,
            };
            match self.security.unwrap(&answer) {
                Ok(Incoming::Pdu(pdu)) if pdu.request_id == self.request.request_id => {
                    match pdu.kind {
                        PduKind::Response => {
                            self.stats.answered += 1;
                            return Ok(pdu);
                        }
                        PduKind::Report => {
                            return Err(SnmpError::Refused {
                                host: self.host.clone(),
                                reason: match pdu.varbinds.first() {
                                    Some(vb) => format!("report {}", vb.oid),
                                    None => "an empty report".into(),
                                },
                            })
                        }
                        _ => self.ignore(format_args!("a {:?} PDU", pdu.kind)),
                    }
                }
                Ok(Incoming::Pdu(pdu)) => {
                    self.ignore(format_args!("request id {}", pdu.request_id));
                }
                Ok(Incoming::Resend) => {
                    if security_resends == MAX_SECURITY_RESENDS {
                        return Err(SnmpError::Refused {
                            host: self.host.clone(),
                            reason: format!(
                                "still not synchronised after {MAX_SECURITY_RESENDS} tries"
                            ),
                        });
                    }
                    security_resends += 1;
                    datagram = self.wrap()?;
                    self.send(&datagram).await?;
                    deadline = Instant::now() + self.options.timeout;
                }
                Err(SecurityError::Refused(reason)) => {
                    return Err(SnmpError::Refused {
                        host: self.host.clone(),
                        reason,
                    })
                }
                Err(e) => self.ignore(format_args!("{e}")),
            }
        }
    }

    fn ignore(&mut self, what: fmt::Arguments<'_>) {
        self.stats.ignored += 1;
        tracing::debug!(host = %self.host, "ignored a datagram: {what}");
    }

    fn wrap(&mut self) -> Result<Vec<u8>, SnmpError> {
        self.security.wrap(&self.request).map_err(|e| match e {
            SecurityError::Refused(reason) => SnmpError::Refused {
                host: self.host.clone(),
                reason,
            },
            SecurityError::Encode(reason) | SecurityError::Malformed(reason) => SnmpError::Encode {
                host: self.host.clone(),
                reason,
            },
        })
    }

    async fn send(&mut self, datagram: &[u8]) -> Result<(), SnmpError> {
        self.stats.sent += 1;
        let refused = |r: &io::Result<usize>| matches!(r, Err(e) if e.kind() == io::ErrorKind::ConnectionRefused);
        let mut sent = self.socket.send(datagram).await;
        if refused(&sent) {
            // An ICMP port unreachable for an earlier datagram, reported now: send again (and
            // if the port is still closed, wait for the answer that will not come).
            sent = self.socket.send(datagram).await;
            if refused(&sent) {
                return Ok(());
            }
        }
        sent.map(drop).map_err(|source| SnmpError::Io {
            host: self.host.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests;
