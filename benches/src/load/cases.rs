//! The workloads: request/response throughput, idle-hold, connect-burst and MAXCONN.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use nut_proto::names::{NameError, UpsName, VarName};
use nut_proto::net::{ListQuery, ListReply, Request, Response};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{sleep, sleep_until, timeout, timeout_at, Instant};

use super::conn::{Conn, LoadError, ReplyShape};
use super::stats::{cpu_time, rss_bytes, Latencies, LatencySummary};

/// How long connecting and the first checked request of a connection may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a measured request may take past the end of the run before it counts as lost.
const GRACE: Duration = Duration::from_secs(10);

/// Outcome counts by kind (`"answered"`, `"refused"`, `"no answer"`, …).
pub type Outcomes = BTreeMap<&'static str, usize>;

/// The server under test and what to ask it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Address of upsd.
    pub addr: SocketAddr,
    /// The UPS to query.
    pub ups: UpsName,
    /// The variable GET VAR asks for.
    pub var: VarName,
}

impl Target {
    /// A target; `ups` and `var` must be valid names.
    pub fn new(addr: SocketAddr, ups: &str, var: &str) -> Result<Self, NameError> {
        Ok(Self {
            addr,
            ups: UpsName::new(ups)?,
            var: VarName::new(var)?,
        })
    }

    fn get_var(&self) -> Request {
        Request::GetVar {
            ups: self.ups.clone(),
            var: self.var.clone(),
        }
    }
}

/// What each client of a request load sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// `GET VAR <ups> <var>`, answered with one `VAR` line.
    GetVar,
    /// `LIST VAR <ups>`, answered with a `BEGIN LIST VAR` … `END LIST VAR` block.
    ListVar,
}

impl Workload {
    /// The request line.
    pub fn request(self, target: &Target) -> Request {
        match self {
            Self::GetVar => target.get_var(),
            Self::ListVar => Request::List(ListQuery::Var {
                ups: target.ups.clone(),
            }),
        }
    }

    fn shape(self) -> ReplyShape {
        match self {
            Self::GetVar => ReplyShape::Line,
            Self::ListVar => ReplyShape::List,
        }
    }

    /// Checks a fully decoded reply; returns the number of variables it carries.
    fn check(self, response: &Response) -> Result<usize, LoadError> {
        match (self, response) {
            (Self::GetVar, Response::Var { .. }) => Ok(1),
            (Self::ListVar, Response::List(ListReply::Var { vars, .. })) => Ok(vars.len()),
            (_, Response::Err { code, .. }) => Err(LoadError::ErrReply(code.to_string())),
            (_, other) => Err(LoadError::Unexpected(format!("{other:?}"))),
        }
    }
}

/// Connects to the target and checks one fully decoded reply to `workload`.
async fn open_checked(
    target: &Target,
    workload: Workload,
    limit: Duration,
) -> Result<(Conn, usize), LoadError> {
    let setup = async {
        let mut conn = Conn::connect(target.addr).await?;
        let response = conn.checked(&workload.request(target)).await?;
        let items = workload.check(&response)?;
        Ok((conn, items))
    };
    timeout(limit, setup)
        .await
        .unwrap_or(Err(LoadError::Timeout))
}

/// A closed-loop load: `clients` connections, each sending the next request as soon as the
/// whole reply to the previous one has arrived.
#[derive(Debug, Clone)]
pub struct RequestLoad {
    /// What each client sends.
    pub workload: Workload,
    /// Number of concurrent connections.
    pub clients: usize,
    /// Length of the measured window.
    pub duration: Duration,
    /// Load before the measured window, not counted.
    pub warmup: Duration,
    /// The server's process id, to measure the CPU time it spends in the window.
    pub server_pid: Option<u32>,
}

impl Default for RequestLoad {
    fn default() -> Self {
        Self {
            workload: Workload::GetVar,
            clients: 50,
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            server_pid: None,
        }
    }
}

/// What a [`RequestLoad`] measured.
#[derive(Debug, Clone)]
pub struct RequestReport {
    /// What was sent.
    pub workload: Workload,
    /// Number of connections.
    pub clients: usize,
    /// Requests answered within the measured window.
    pub requests: u64,
    /// Length of the measured window.
    pub window: Duration,
    /// Latency of the requests answered within the window.
    pub latency: LatencySummary,
    /// Variables per reply (1 for GET VAR).
    pub items_per_reply: usize,
    /// Bytes per reply.
    pub bytes_per_reply: usize,
    /// Clients that stopped on an error, by kind.
    pub errors: Outcomes,
    /// The first error, in full.
    pub first_error: Option<String>,
    /// CPU time the server process used within the window.
    pub server_cpu: Option<Duration>,
    /// CPU time the load generator's process used within the window.
    pub client_cpu: Option<Duration>,
}

impl RequestReport {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64()
    }

    /// Server CPU time per answered request.
    pub fn cpu_per_request(&self) -> Option<Duration> {
        self.per_request(self.server_cpu?)
    }

    /// Load generator CPU time per answered request.
    pub fn client_cpu_per_request(&self) -> Option<Duration> {
        self.per_request(self.client_cpu?)
    }

    fn per_request(&self, cpu: Duration) -> Option<Duration> {
        (self.requests > 0).then(|| cpu.div_f64(self.requests as f64))
    }
}

struct ClientResult {
    latencies: Latencies,
    bytes: usize,
    error: Option<LoadError>,
}

/// Runs a closed-loop request load.
pub async fn request_load(target: &Target, cfg: &RequestLoad) -> Result<RequestReport, LoadError> {
    let request: Arc<[u8]> = cfg.workload.request(target).encode().into_bytes().into();
    let shape = cfg.workload.shape();
    let mut conns = Vec::with_capacity(cfg.clients);
    let mut items_per_reply = 0;
    for _ in 0..cfg.clients {
        let (conn, items) = open_checked(target, cfg.workload, SETUP_TIMEOUT).await?;
        items_per_reply = items;
        conns.push(conn);
    }

    let measure_start = Instant::now() + cfg.warmup;
    let end = measure_start + cfg.duration;
    // CPU time of the server and of this process over the window.
    let server_pid = cfg.server_pid;
    let cpu = tokio::spawn(async move {
        let own = std::process::id();
        let sample = move || {
            (
                server_pid.and_then(|pid| cpu_time(pid).ok()),
                cpu_time(own).ok(),
            )
        };
        sleep_until(measure_start).await;
        let before = sample();
        sleep_until(end).await;
        let after = sample();
        let delta = |a: Option<Duration>, b: Option<Duration>| Some(b?.saturating_sub(a?));
        (delta(before.0, after.0), delta(before.1, after.1))
    });

    let mut clients = JoinSet::new();
    for mut conn in conns {
        let request = Arc::clone(&request);
        clients.spawn(async move {
            let mut result = ClientResult {
                latencies: Latencies::new(),
                bytes: 0,
                error: None,
            };
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                match timeout_at(end + GRACE, conn.roundtrip(&request, shape)).await {
                    Ok(Ok(bytes)) => {
                        let done = Instant::now();
                        if done >= measure_start && done <= end {
                            result.latencies.record(done - sent);
                        }
                        result.bytes = bytes;
                    }
                    Ok(Err(e)) => {
                        result.error = Some(e);
                        break;
                    }
                    Err(_) => {
                        result.error = Some(LoadError::Timeout);
                        break;
                    }
                }
            }
            result
        });
    }

    let mut latencies = Latencies::new();
    let mut bytes_per_reply = 0;
    let mut errors = Outcomes::new();
    let mut first_error = None;
    while let Some(joined) = clients.join_next().await {
        let result = joined.expect("client task panicked");
        latencies.merge(&result.latencies);
        bytes_per_reply = bytes_per_reply.max(result.bytes);
        if let Some(e) = result.error {
            *errors.entry(e.kind()).or_default() += 1;
            first_error.get_or_insert_with(|| e.to_string());
        }
    }
    let (server_cpu, client_cpu) = cpu.await.unwrap_or_default();
    Ok(RequestReport {
        workload: cfg.workload,
        clients: cfg.clients,
        requests: latencies.count(),
        window: cfg.duration,
        latency: latencies.summary(),
        items_per_reply,
        bytes_per_reply,
        errors,
        first_error,
        server_cpu,
        client_cpu,
    })
}

/// Idle-hold: open many connections that each ask one question and then stay silent, then
/// measure a separate probe client's latency while they are held.
#[derive(Debug, Clone)]
pub struct IdleHold {
    /// Number of idle connections.
    pub idle: usize,
    /// How many of them are being opened at any one time.
    pub concurrency: usize,
    /// How long the probe client sends GET VAR, one request at a time.
    pub probe: Duration,
    /// Pause between opening the idle connections and reading the server's memory.
    pub settle: Duration,
    /// How many idle connections ask a question again after the probe.
    pub sample: usize,
    /// The server's process id, to read its resident memory.
    pub server_pid: Option<u32>,
}

impl Default for IdleHold {
    fn default() -> Self {
        Self {
            idle: 10_000,
            concurrency: 16,
            probe: Duration::from_secs(5),
            settle: Duration::from_secs(1),
            sample: 100,
            server_pid: None,
        }
    }
}

/// What an [`IdleHold`] measured.
#[derive(Debug, Clone)]
pub struct IdleReport {
    /// Idle connections asked for.
    pub requested: usize,
    /// Idle connections that got an answer and were held.
    pub held: usize,
    /// Why the others failed, by kind.
    pub open_failures: Outcomes,
    /// Time to open and check all idle connections.
    pub open_time: Duration,
    /// Server memory before the idle connections were opened.
    pub rss_before: Option<u64>,
    /// Server memory while they are held.
    pub rss_held: Option<u64>,
    /// The probe client's run.
    pub probe: RequestReport,
    /// Sampled idle connections that answered again after the probe.
    pub sample_answered: usize,
    /// Size of that sample.
    pub sample_size: usize,
}

impl IdleReport {
    /// Server memory per held idle connection, in bytes.
    pub fn bytes_per_client(&self) -> Option<f64> {
        let (before, held) = (self.rss_before?, self.rss_held?);
        (self.held > 0).then(|| (held as f64 - before as f64) / self.held as f64)
    }
}

/// Runs an idle-hold measurement.
pub async fn idle_hold(target: &Target, cfg: &IdleHold) -> Result<IdleReport, LoadError> {
    let rss_before = cfg.server_pid.and_then(|pid| rss_bytes(pid).ok());
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut opening = JoinSet::new();
    for _ in 0..cfg.idle {
        let target = target.clone();
        let permits = Arc::clone(&permits);
        opening.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            open_checked(&target, Workload::GetVar, SETUP_TIMEOUT).await
        });
    }
    let mut idle = Vec::with_capacity(cfg.idle);
    let mut open_failures = Outcomes::new();
    while let Some(joined) = opening.join_next().await {
        match joined.expect("connect task panicked") {
            Ok((conn, _)) => idle.push(conn),
            Err(e) => *open_failures.entry(e.kind()).or_default() += 1,
        }
    }
    let open_time = started.elapsed();
    sleep(cfg.settle).await;
    let rss_held = cfg.server_pid.and_then(|pid| rss_bytes(pid).ok());

    let probe = request_load(
        target,
        &RequestLoad {
            workload: Workload::GetVar,
            clients: 1,
            duration: cfg.probe,
            warmup: Duration::from_millis(200),
            server_pid: cfg.server_pid,
        },
    )
    .await?;

    // Ask a spread-out sample of the idle connections again, all at once.
    let request: Arc<[u8]> = target.get_var().encode().into_bytes().into();
    let held = idle.len();
    let step = (held / cfg.sample.max(1)).max(1);
    let mut sampled = JoinSet::new();
    let mut rest = Vec::with_capacity(held);
    for (i, mut conn) in idle.into_iter().enumerate() {
        if i % step != 0 || sampled.len() >= cfg.sample {
            rest.push(conn);
            continue;
        }
        let request = Arc::clone(&request);
        sampled.spawn(async move {
            timeout(SETUP_TIMEOUT, conn.roundtrip(&request, ReplyShape::Line))
                .await
                .is_ok_and(|r| r.is_ok())
        });
    }
    let sample_size = sampled.len();
    let mut sample_answered = 0;
    while let Some(joined) = sampled.join_next().await {
        sample_answered += usize::from(joined.expect("sample task panicked"));
    }
    drop(rest);
    Ok(IdleReport {
        requested: cfg.idle,
        held,
        open_failures,
        open_time,
        rss_before,
        rss_held,
        probe,
        sample_answered,
        sample_size,
    })
}

/// Connect-burst: many clients connect at the same instant and each asks one GET VAR.
#[derive(Debug, Clone)]
pub struct Burst {
    /// Number of simultaneous clients.
    pub clients: usize,
    /// How long after the start a client may still get its answer.
    pub timeout: Duration,
}

impl Default for Burst {
    fn default() -> Self {
        Self {
            clients: 5_000,
            timeout: Duration::from_secs(60),
        }
    }
}

/// What a [`Burst`] measured.
#[derive(Debug, Clone)]
pub struct BurstReport {
    /// Clients started.
    pub clients: usize,
    /// Clients that got their answer.
    pub answered: usize,
    /// Why the others did not, by kind.
    pub failures: Outcomes,
    /// Time from the common start to each client's answer.
    pub latency: LatencySummary,
    /// Clients answered only after a second or more (the mark of a dropped SYN being
    /// retransmitted, i.e. a full accept queue).
    pub stalled: usize,
}

impl BurstReport {
    /// Time until every client had its answer, if all did.
    pub fn all_answered_in(&self) -> Option<Duration> {
        (self.answered == self.clients).then_some(self.latency.max)
    }
}

/// Runs a connect burst.
pub async fn connect_burst(target: &Target, cfg: &Burst) -> Result<BurstReport, LoadError> {
    let request: Arc<[u8]> = target.get_var().encode().into_bytes().into();
    let (go, ready) = watch::channel(None::<Instant>);
    let mut clients = JoinSet::new();
    for _ in 0..cfg.clients {
        let mut ready = ready.clone();
        let request = Arc::clone(&request);
        let addr = target.addr;
        let limit = cfg.timeout;
        clients.spawn(async move {
            let start = loop {
                if let Some(start) = *ready.borrow_and_update() {
                    break start;
                }
                ready.changed().await.expect("burst start sender alive");
            };
            let attempt = async {
                let mut conn = Conn::connect(addr).await?;
                conn.roundtrip(&request, ReplyShape::Line).await?;
                Ok::<_, LoadError>(conn)
            };
            match timeout_at(start + limit, attempt).await {
                Ok(Ok(conn)) => Ok((conn, start.elapsed())),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(LoadError::Timeout),
            }
        });
    }
    // Let every task reach the start line, then release them together.
    tokio::task::yield_now().await;
    go.send_replace(Some(Instant::now()));

    let mut held = Vec::with_capacity(cfg.clients);
    let mut latencies = Latencies::new();
    let mut failures = Outcomes::new();
    let mut stalled = 0;
    while let Some(joined) = clients.join_next().await {
        match joined.expect("burst task panicked") {
            Ok((conn, took)) => {
                latencies.record(took);
                stalled += usize::from(took >= Duration::from_secs(1));
                held.push(conn);
            }
            Err(e) => *failures.entry(e.kind()).or_default() += 1,
        }
    }
    Ok(BurstReport {
        clients: cfg.clients,
        answered: held.len(),
        failures,
        latency: latencies.summary(),
        stalled,
    })
}

/// MAXCONN check against a server configured with `MAXCONN maxconn`: fill it, let more
/// clients try, and check that the clients already in are still served.
#[derive(Debug, Clone)]
pub struct MaxConnCheck {
    /// The server's MAXCONN.
    pub maxconn: usize,
    /// Clients that try to get in once it is full.
    pub extra: usize,
    /// How long a client may wait for its answer.
    pub answer_timeout: Duration,
}

impl Default for MaxConnCheck {
    fn default() -> Self {
        Self {
            maxconn: 100,
            extra: 50,
            answer_timeout: Duration::from_secs(2),
        }
    }
}

/// What a [`MaxConnCheck`] found.
#[derive(Debug, Clone)]
pub struct MaxConnReport {
    /// The server's MAXCONN.
    pub maxconn: usize,
    /// Clients admitted one after the other before the first one was not served.
    pub admitted: usize,
    /// What happened to the first client not admitted, if admission stopped early.
    pub admission_stop: Option<String>,
    /// What happened to the extra clients, by kind (`"answered"` = served anyway).
    pub extra: Outcomes,
    /// Admitted clients that still got an answer while the extra ones were waiting.
    pub still_served: usize,
    /// Their latency.
    pub still_served_latency: LatencySummary,
    /// Time for a new client to be served once everyone else had left.
    pub fresh_after_release: Result<Duration, String>,
}

/// Runs a MAXCONN check.
pub async fn maxconn_check(
    target: &Target,
    cfg: &MaxConnCheck,
) -> Result<MaxConnReport, LoadError> {
    let mut admitted = Vec::with_capacity(cfg.maxconn);
    let mut admission_stop = None;
    while admitted.len() < cfg.maxconn {
        match open_checked(target, Workload::GetVar, cfg.answer_timeout).await {
            Ok((conn, _)) => admitted.push(conn),
            Err(e) => {
                admission_stop = Some(format!("client {}: {e}", admitted.len() + 1));
                break;
            }
        }
    }

    let mut trying = JoinSet::new();
    for _ in 0..cfg.extra {
        let target = target.clone();
        let limit = cfg.answer_timeout;
        trying.spawn(async move {
            match open_checked(&target, Workload::GetVar, limit).await {
                Ok((conn, _)) => (Some(conn), "answered"),
                Err(e) => (None, e.kind()),
            }
        });
    }
    let mut extra = Outcomes::new();
    let mut extra_conns = Vec::new();
    while let Some(joined) = trying.join_next().await {
        let (conn, kind) = joined.expect("extra client task panicked");
        *extra.entry(kind).or_default() += 1;
        extra_conns.extend(conn);
    }

    // While the extra clients still wait (their sockets stay open), ask everyone inside.
    let request: Arc<[u8]> = target.get_var().encode().into_bytes().into();
    let admitted_count = admitted.len();
    let mut asking = JoinSet::new();
    for mut conn in admitted {
        let request = Arc::clone(&request);
        let limit = cfg.answer_timeout * 2;
        asking.spawn(async move {
            let sent = Instant::now();
            let ok = timeout(limit, conn.roundtrip(&request, ReplyShape::Line))
                .await
                .is_ok_and(|r| r.is_ok());
            ok.then(|| sent.elapsed())
        });
    }
    let mut still_served = 0;
    let mut latencies = Latencies::new();
    while let Some(joined) = asking.join_next().await {
        if let Some(took) = joined.expect("inside client task panicked") {
            still_served += 1;
            latencies.record(took);
        }
    }
    drop(extra_conns);

    // Everyone has left (the JoinSet dropped its connections); a new client must get in.
    sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let fresh_after_release = open_checked(target, Workload::GetVar, Duration::from_secs(10))
        .await
        .map(|_| started.elapsed())
        .map_err(|e| e.to_string());

    Ok(MaxConnReport {
        maxconn: cfg.maxconn,
        admitted: admitted_count,
        admission_stop,
        extra,
        still_served,
        still_served_latency: latencies.summary(),
        fresh_after_release,
    })
}
