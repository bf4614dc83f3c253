//! The driver runtime: runs one [`Driver`], keeps its [`DeviceState`], and serves it to any
//! number of servers over the C-compatible Unix socket and the in-process link.
//!
//! What it does, in C's order: publish `device.type`, the `driver.parameter.*` /
//! `driver.flag.*` settings and the `override.*` / `default.*` values; open the device;
//! publish `driver.name`, `driver.version`, `driver.version.internal`; identify and update
//! once; publish `driver.parameter.pollinterval` and `driver.parameter.synchronous` and copy
//! `ups.mfr`/`ups.model`/`ups.serial` to `device.*`; then start serving and poll every
//! `pollinterval`.
//!
//! A device error marks the data stale (`DATASTALE`) until the next good update (`DATAOK`);
//! a transport error also closes the driver and re-opens it after 1 s, 2 s, 4 s, … up to
//! [`DriverRuntime::with_backoff`]'s maximum. Nothing but the shutdown token, a
//! `driver.exit` command or a configuration error at start makes [`DriverRuntime::run`]
//! return.
//!
//! The runtime never creates a tokio runtime or a thread: it is one future, and several of
//! them run side by side in one process. It spawns one task per connected server.
//!
//! Beyond the driver's own commands it handles `driver.exit`, `driver.reload` (close and
//! re-open the device), `driver.reload-or-exit` (exit if the re-open fails) and
//! `driver.killpower` (only with the `allow_killpower` flag), as NUT 2.8.1+ drivers do.
//!
//! Between polls the runtime sleeps on tokio's timer, which follows tokio's clock (paused
//! and advanced by tests), or, with [`DriverRuntime::with_poll_alarm`], on an
//! [`Alarm`], which wakes an idle driver once per poll where tokio's
//! timer wheel wakes it two or three times. Driver programs (`process::run_driver`, feature
//! `process`) turn the alarm on.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant, Sleep};
use tokio_util::sync::CancellationToken;

use crate::alarm::Alarm;
use crate::cli::VERSION;
use crate::config::DriverConfig;
use crate::driver::{Driver, DriverError};
use crate::link::{InProcessListener, ServerConnection};
use crate::serve::{serve_connection, Batch, Request, SocketListener, OUTBOX_BATCHES};
use crate::state::DeviceState;
use nut_proto::config::Synchronous;
use nut_proto::names::{TrackingId, VarName};
use nut_proto::sock::{DriverMessage, ServerMessage, TrackingStatus};

/// The commands the runtime handles itself.
pub const DRIVER_COMMANDS: [&str; 4] = [
    "driver.exit",
    "driver.killpower",
    "driver.reload",
    "driver.reload-or-exit",
];

/// How long the connections may take, after `driver.exit`, to write what was queued for them.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Why [`DriverRuntime::run`] returned.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunOutcome {
    /// The shutdown token was cancelled.
    Stopped,
    /// A server sent `driver.exit` (or `driver.reload-or-exit` and the reload failed).
    Exited,
    /// `-d n`: the state after `n` updates.
    Dumped(DeviceState),
}

/// Why the runtime could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The driver refused its configuration at start. Its message alone: the driver's error
    /// is this error's source too, so a printer of error chains must not print it twice.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The driver socket could not be created.
    #[error("can't create the driver socket {path}: {source}")]
    Socket {
        /// The socket path.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
}

struct Conn {
    outbox: mpsc::Sender<Batch>,
    broadcast: bool,
}

/// One driver, ready to run. See the [module documentation](self).
pub struct DriverRuntime {
    driver: Box<dyn Driver>,
    config: DriverConfig,
    socket: bool,
    socket_gid: Option<u32>,
    in_process: Option<InProcessListener>,
    dump_after: Option<u32>,
    backoff: (Duration, Duration),
    reloads: Option<mpsc::UnboundedReceiver<DriverConfig>>,
    started: Option<Box<dyn FnOnce() + Send>>,
    poll_alarm: bool,
}

impl std::fmt::Debug for DriverRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverRuntime")
            .field("driver", &self.driver.info().name)
            .field("ups", &self.config.ups_name)
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

/// The mutable side of a running driver.
struct Running {
    driver: Box<dyn Driver>,
    config: DriverConfig,
    state: DeviceState,
    connected: bool,
    conns: HashMap<u64, Conn>,
    delay: Duration,
    backoff: (Duration, Duration),
    remapped: bool,
}

impl DriverRuntime {
    /// A runtime for `driver` with `config`, serving the socket `config.socket_path()`.
    pub fn new(driver: Box<dyn Driver>, config: DriverConfig) -> Self {
        Self {
            driver,
            config,
            socket: true,
            socket_gid: None,
            in_process: None,
            dump_after: None,
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            reloads: None,
            started: None,
            poll_alarm: false,
        }
    }

    /// Sleeps between polls (and between attempts to re-open the device) on an
    /// [`Alarm`] rather than on tokio's timer: an idle driver then wakes
    /// once per `pollinterval` on Linux (a `timerfd`), where tokio's timer wheel wakes it two
    /// or three times (a deadline seconds away is moved down its coarser slots first). Off
    /// by default, because the alarm keeps the real time: tokio's paused clock
    /// (`tokio::time::pause`, `#[tokio::test(start_paused = true)]`), on which tests advance
    /// a runtime through its polls, does not move it. A driver program's `main`
    /// (`process::run_driver`, feature `process`) turns it on.
    pub fn with_poll_alarm(mut self, enabled: bool) -> Self {
        self.poll_alarm = enabled;
        self
    }

    /// Calls `started` once, when start-up is over: the device opened (or first tried), its
    /// state published and the socket listening, just before serving. Not called with
    /// [`DriverRuntime::with_dump_after`]. The driver program gives back its start-up pages
    /// there ([`process::memory`](crate::process::memory), feature `process`).
    pub fn with_started(mut self, started: impl FnOnce() + Send + 'static) -> Self {
        self.started = Some(Box::new(started));
        self
    }

    /// Takes new configurations while running (the driver program sends one when it
    /// re-reads ups.conf on SIGHUP): what can change without re-opening the device is
    /// applied (`pollinterval`, `override.*` values), and every other change is logged as
    /// needing a restart, by name.
    pub fn with_reloads(mut self, reloads: mpsc::UnboundedReceiver<DriverConfig>) -> Self {
        self.reloads = Some(reloads);
        self
    }

    /// Serves (or not) the Unix socket. On by default.
    pub fn with_socket(mut self, enabled: bool) -> Self {
        self.socket = enabled;
        self
    }

    /// Gives this group access to the socket (`-g`).
    pub fn with_socket_group(mut self, gid: Option<u32>) -> Self {
        self.socket_gid = gid;
        self
    }

    /// Also serves the servers that connect through this in-process link.
    pub fn with_in_process(mut self, listener: InProcessListener) -> Self {
        self.in_process = Some(listener);
        self
    }

    /// `-d n`: serve nothing, update `n` times and return the state.
    pub fn with_dump_after(mut self, updates: Option<u32>) -> Self {
        self.dump_after = updates;
        self
    }

    /// The first and the longest delay between two attempts to re-open the device.
    pub fn with_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = (first, max.max(first));
        self
    }

    /// `-k`: opens the device and tells it to cut the power.
    pub async fn killpower(mut self) -> Result<(), RuntimeError> {
        let mut state = DeviceState::new();
        self.driver.open(&self.config.params, &mut state).await?;
        let result = self.driver.shutdown(&mut state).await;
        self.driver.close().await;
        Ok(result?)
    }

    /// Runs the driver until `shutdown` is cancelled or a server sends `driver.exit`.
    pub async fn run(self, shutdown: CancellationToken) -> Result<RunOutcome, RuntimeError> {
        let Self {
            driver,
            config,
            socket,
            socket_gid,
            mut in_process,
            dump_after,
            backoff,
            mut reloads,
            started,
            poll_alarm,
        } = self;
        let mut run = Running {
            driver,
            config,
            state: DeviceState::new(),
            connected: false,
            conns: HashMap::new(),
            delay: backoff.0,
            backoff,
            remapped: false,
        };
        run.publish_settings();
        let mut open_error = None;
        match run.open().await {
            Ok(()) => {}
            Err(e @ DriverError::Config(_)) => return Err(e.into()),
            Err(error) => {
                tracing::warn!(%error, "can't open the device; will retry");
                open_error = Some(error);
            }
        }
        run.publish_driver_info();
        if run.connected {
            run.update().await;
        }
        run.publish_after_start();
        if let Some(n) = dump_after {
            for _ in 0..n {
                if run.connected {
                    run.update().await;
                } else {
                    run.reopen().await;
                }
            }
            run.driver.close().await;
            // A dump of a device never reached is no dump: fail, as C's drivers exit.
            if !run.connected {
                return Err(open_error
                    .unwrap_or_else(|| DriverError::device("can't open the device"))
                    .into());
            }
            run.state.take_changes();
            return Ok(RunOutcome::Dumped(run.state));
        }
        run.state.take_changes();

        let listener = if socket {
            let path = run.config.socket_path();
            let l =
                SocketListener::bind(&path, socket_gid).map_err(|source| RuntimeError::Socket {
                    path: path.display().to_string(),
                    source,
                })?;
            tracing::debug!(path = %l.path().display(), "listening");
            Some(l)
        } else {
            None
        };

        let (req_tx, mut req_rx) = mpsc::channel::<(u64, Request)>(1024);
        let conn_cancel = shutdown.child_token();
        let mut tasks = JoinSet::new();
        let mut next_id = 0u64;
        let mut interval = Duration::from_secs(u64::from(run.config.poll_interval.max(1)));
        let mut next_tick = Instant::now() + run.wait_time(interval);
        let mut tick = Tick::new(poll_alarm, next_tick);
        let mut outcome = RunOutcome::Stopped;
        if let Some(started) = started {
            started();
        }

        loop {
            tick.reset(next_tick);
            let accept_socket = async {
                match &listener {
                    Some(l) => l.accept().await,
                    None => std::future::pending().await,
                }
            };
            let accept_in_process = async {
                match in_process.as_mut() {
                    Some(l) => l.accept().await,
                    None => std::future::pending().await,
                }
            };
            let next_reload = async {
                match reloads.as_mut() {
                    Some(r) => r.recv().await,
                    None => std::future::pending().await,
                }
            };
            let connected = run.connected;
            let mut new_conn: Option<ServerConnection> = None;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                reload = next_reload => match reload {
                    Some(config) => {
                        run.reload(config);
                        run.broadcast();
                        interval = Duration::from_secs(u64::from(run.config.poll_interval.max(1)));
                        next_tick = next_tick.min(Instant::now() + run.wait_time(interval));
                    }
                    None => reloads = None,
                },
                () = tick.due() => {
                    if run.connected {
                        run.update().await;
                    } else {
                        run.reopen().await;
                    }
                    next_tick = Instant::now() + run.wait_time(interval);
                }
                result = run.driver.event(&mut run.state), if connected => {
                    if let Err(error) = result {
                        run.failed(error).await;
                        next_tick = Instant::now() + run.wait_time(interval);
                    }
                }
                accepted = accept_socket => match accepted {
                    Ok(conn) => new_conn = Some(conn),
                    Err(error) => tracing::warn!(%error, "accept on the driver socket failed"),
                },
                accepted = accept_in_process => match accepted {
                    Some(conn) => new_conn = Some(conn),
                    None => in_process = None,
                },
                Some((id, request)) = req_rx.recv() => {
                    let stop = run.request(id, request).await;
                    if stop {
                        outcome = RunOutcome::Exited;
                        run.broadcast();
                        break;
                    }
                    if !run.connected {
                        next_tick = next_tick.min(Instant::now() + run.wait_time(interval));
                    }
                }
            }
            if let Some(conn) = new_conn {
                next_id += 1;
                let (tx, rx) = mpsc::channel(OUTBOX_BATCHES);
                run.conns.insert(
                    next_id,
                    Conn {
                        outbox: tx,
                        broadcast: true,
                    },
                );
                tracing::debug!(id = next_id, ?conn, "server connected");
                tasks.spawn(serve_connection(
                    next_id,
                    conn,
                    rx,
                    req_tx.clone(),
                    conn_cancel.clone(),
                ));
            }
            run.broadcast();
        }
        // Dropping the queues ends every connection once it has written what was queued for
        // it. After `driver.exit` that includes the command's own `TRACKING` answer, so the
        // connections get a moment for it; on shutdown they are cut at once.
        run.conns.clear();
        drop(req_tx);
        if matches!(outcome, RunOutcome::Exited) {
            let drained = async { while tasks.join_next().await.is_some() {} };
            let _ = tokio::time::timeout(EXIT_GRACE, drained).await;
        }
        conn_cancel.cancel();
        while tasks.join_next().await.is_some() {}
        run.driver.close().await;
        drop(listener);
        Ok(outcome)
    }
}

/// The poll loop's deadline: tokio's sleep (on tokio's clock) or an [`Alarm`] (on the real
/// clock, one wake-up). See [`DriverRuntime::with_poll_alarm`].
enum Tick {
    Sleep(Pin<Box<Sleep>>),
    Alarm(Alarm),
}

impl Tick {
    fn new(alarm: bool, at: Instant) -> Self {
        if alarm {
            Self::Alarm(Alarm::new(at.into_std()))
        } else {
            Self::Sleep(Box::pin(sleep_until(at)))
        }
    }

    /// Moves the deadline to `at`; nothing is done when it is there already.
    fn reset(&mut self, at: Instant) {
        match self {
            Self::Sleep(sleep) => {
                if sleep.deadline() != at {
                    sleep.as_mut().reset(at);
                }
            }
            Self::Alarm(alarm) => alarm.reset(at.into_std()),
        }
    }

    /// Waits for the deadline. Cancel-safe.
    async fn due(&mut self) {
        match self {
            Self::Sleep(sleep) => sleep.as_mut().await,
            Self::Alarm(alarm) => alarm.due().await,
        }
    }
}

impl Running {
    fn wait_time(&self, interval: Duration) -> Duration {
        if self.connected {
            interval
        } else {
            self.delay
        }
    }

    fn set(&mut self, var: &str, value: &str) {
        if let Err(error) = self.state.set(var, value) {
            tracing::warn!(var, value, %error, "can't publish");
        }
    }

    /// Applies a re-read configuration (see [`DriverRuntime::with_reloads`]).
    fn reload(&mut self, new: DriverConfig) {
        let old = &self.config;
        let mut restart = Vec::new();
        for (name, changed) in [
            ("port or a driver option", old.params != new.params),
            ("user", old.user != new.user),
            ("group", old.group != new.group),
            ("chroot", old.chroot != new.chroot),
            ("synchronous", old.synchronous != new.synchronous),
            ("debug_min", old.debug_min != new.debug_min),
            ("the state path", old.state_path != new.state_path),
        ] {
            if changed {
                restart.push(name);
            }
        }
        let published = |c: &DriverConfig| {
            c.published
                .iter()
                .filter(|(k, _)| k.starts_with("default."))
                .cloned()
                .collect::<Vec<_>>()
        };
        if published(old) != published(&new) {
            restart.push("default.*");
        }
        let gone: Vec<String> = old
            .overrides
            .iter()
            .filter(|(k, _)| !new.overrides.iter().any(|(n, _)| n == k))
            .map(|(k, _)| k.clone())
            .collect();
        if !gone.is_empty() {
            restart.push("a removed override.*");
        }
        if old.poll_interval != new.poll_interval {
            tracing::info!(
                "ups.conf reloaded: pollinterval {} -> {}",
                old.poll_interval,
                new.poll_interval
            );
        }
        let mut applied = Vec::new();
        for (var, value) in &new.overrides {
            if !old.overrides.iter().any(|(k, v)| k == var && v == value) {
                match self.state.set_immutable(var, value) {
                    Ok(_) => applied.push(var.clone()),
                    Err(error) => tracing::warn!(var, value, %error, "can't publish override"),
                }
            }
        }
        if !applied.is_empty() {
            tracing::info!(
                "ups.conf reloaded: override.* applied: {}",
                applied.join(", ")
            );
        }
        if !restart.is_empty() {
            tracing::warn!(
                "ups.conf reloaded: changes to {} need a restart of the driver to apply",
                restart.join(", ")
            );
        }
        // The rest keeps its running values until a restart.
        self.config.poll_interval = new.poll_interval;
        self.config.overrides = new.overrides;
        let poll = self.config.poll_interval.to_string();
        self.set("driver.parameter.pollinterval", &poll);
    }

    fn publish_settings(&mut self) {
        self.set("device.type", "ups");
        for (var, value) in self.config.published.clone() {
            self.set(&var, &value);
        }
        for (var, value) in self.config.overrides.clone() {
            if let Err(error) = self.state.set_immutable(&var, &value) {
                tracing::warn!(var, value, %error, "can't publish override");
            }
        }
    }

    fn publish_driver_info(&mut self) {
        let name = self.config.driver_name.clone();
        self.set("driver.version", VERSION);
        self.set("driver.version.internal", &self.driver.info().version);
        self.set("driver.name", &name);
        for cmd in DRIVER_COMMANDS {
            let _ = self.state.add_cmd(cmd);
        }
    }

    fn publish_after_start(&mut self) {
        let poll = self.config.poll_interval.to_string();
        self.set("driver.parameter.pollinterval", &poll);
        let sync = match self.config.synchronous {
            Synchronous::Yes => "yes",
            Synchronous::No => "no",
            _ => "auto",
        };
        self.set("driver.parameter.synchronous", sync);
        self.remap_device_info();
    }

    /// C copies `ups.mfr`, `ups.model` and `ups.serial` to `device.*` once, after the first
    /// identification. It copies what `dstate_getinfo` returns, the escaped form, so a value
    /// with a `\\`, `"` or `#` reaches `device.*` escaped once more than in `ups.*`; the
    /// same here, for the same output.
    fn remap_device_info(&mut self) {
        if self.remapped || !self.connected {
            return;
        }
        self.remapped = true;
        for (from, to) in [
            ("ups.mfr", "device.mfr"),
            ("ups.model", "device.model"),
            ("ups.serial", "device.serial"),
        ] {
            if let Some(v) = self.state.value(from).map(c_escaped) {
                self.set(to, &v);
            }
        }
    }

    async fn open(&mut self) -> Result<(), DriverError> {
        self.driver
            .open(&self.config.params, &mut self.state)
            .await?;
        if let Err(e) = self.driver.identify(&mut self.state).await {
            self.driver.close().await;
            return Err(e);
        }
        self.connected = true;
        self.delay = self.backoff.0;
        Ok(())
    }

    async fn reopen(&mut self) {
        match self.open().await {
            Ok(()) => {
                tracing::info!("device re-opened");
                self.update().await;
                self.remap_device_info();
            }
            Err(error) => {
                tracing::debug!(%error, delay = ?self.delay, "re-opening the device failed");
                self.state.set_data_ok(false);
                self.delay = (self.delay * 2).min(self.backoff.1);
            }
        }
    }

    async fn update(&mut self) {
        match self.driver.update(&mut self.state).await {
            Ok(()) => {
                self.state.set_data_ok(true);
            }
            Err(error) => self.failed(error).await,
        }
    }

    async fn failed(&mut self, error: DriverError) {
        self.state.set_data_ok(false);
        if error.needs_reconnect() {
            tracing::warn!(%error, "lost the device; reconnecting");
            self.driver.close().await;
            self.connected = false;
            self.delay = self.backoff.0;
        } else {
            tracing::warn!(%error, "update failed; data is stale");
        }
    }

    /// Sends the queued changes to every connection that wants them.
    fn broadcast(&mut self) {
        let changes = self.state.take_changes();
        if changes.is_empty() {
            return;
        }
        let batch: Batch = Arc::from(changes);
        self.conns.retain(|id, conn| {
            if !conn.broadcast {
                return true;
            }
            keep_if_sent(*id, conn, batch.clone())
        });
    }

    fn send_to(&mut self, id: u64, msgs: Vec<DriverMessage>) {
        if let Some(conn) = self.conns.get(&id) {
            if !keep_if_sent(id, conn, Arc::from(msgs)) {
                self.conns.remove(&id);
            }
        }
    }

    fn dump_one(&self, var: &str) -> Vec<DriverMessage> {
        let mut out = Vec::new();
        if !self.state.is_data_ok() {
            out.push(DriverMessage::DataStale);
        }
        if let Some(v) = self.state.get(var) {
            v.dump_into(&mut out);
        }
        if self.state.is_data_ok() {
            out.push(DriverMessage::DataOk);
        }
        out.push(DriverMessage::DumpDone);
        out
    }

    /// Handles one request; returns true when the runtime must exit.
    async fn request(&mut self, id: u64, request: Request) -> bool {
        let msg = match request {
            Request::Closed => {
                self.conns.remove(&id);
                return false;
            }
            Request::Message(msg) => msg,
        };
        match msg {
            ServerMessage::DumpAll => {
                let dump = self.state.dump();
                self.send_to(id, dump);
            }
            ServerMessage::DumpValue { var } => {
                let dump = self.dump_one(var.as_str());
                self.send_to(id, dump);
            }
            ServerMessage::DumpStatus => {
                let dump = self.dump_one("ups.status");
                self.send_to(id, dump);
            }
            ServerMessage::NoBroadcast | ServerMessage::Broadcast { .. } => {
                let on = msg.broadcast_enabled().unwrap_or(true);
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.broadcast = on;
                }
            }
            ServerMessage::InstCmd {
                cmd,
                param,
                tracking,
            } => {
                let param = param.as_ref().map(|p| p.as_str());
                let (status, exit) = self.instcmd(cmd.as_str(), param).await;
                self.reply(id, tracking, status);
                return exit;
            }
            ServerMessage::Set {
                var,
                value,
                tracking,
            } => {
                let status = self.set_var(&var, value.as_str()).await;
                self.reply(id, tracking, status);
            }
            other => tracing::debug!(?other, "ignoring a message on the driver socket"),
        }
        false
    }

    /// Broadcasts what the handler changed, then tells the requester the result.
    fn reply(&mut self, id: u64, tracking: Option<TrackingId>, status: TrackingStatus) {
        self.broadcast();
        if let Some(id_) = tracking {
            self.send_to(id, vec![DriverMessage::Tracking { id: id_, status }]);
        }
    }

    async fn instcmd(&mut self, cmd: &str, param: Option<&str>) -> (TrackingStatus, bool) {
        tracing::info!(cmd, ?param, "instant command");
        match cmd.to_ascii_lowercase().as_str() {
            "driver.exit" => (TrackingStatus::Handled, true),
            "driver.reload" | "driver.reload-or-exit" => {
                self.driver.close().await;
                self.connected = false;
                match self.open().await {
                    Ok(()) => {
                        self.update().await;
                        (TrackingStatus::Handled, false)
                    }
                    Err(error) => {
                        tracing::warn!(%error, "reload failed");
                        self.state.set_data_ok(false);
                        (
                            TrackingStatus::Failed,
                            cmd.eq_ignore_ascii_case("driver.reload-or-exit"),
                        )
                    }
                }
            }
            "driver.killpower" => {
                if self.state.get("driver.flag.allow_killpower").is_none() {
                    tracing::warn!("driver.killpower refused: the allow_killpower flag is not set");
                    return (TrackingStatus::Invalid, false);
                }
                match self.driver.shutdown(&mut self.state).await {
                    Ok(()) => (TrackingStatus::Handled, false),
                    Err(error) => {
                        tracing::warn!(%error, "killpower failed");
                        (TrackingStatus::Failed, false)
                    }
                }
            }
            _ if !self.connected => (TrackingStatus::Failed, false),
            _ => (
                self.driver.instcmd(&mut self.state, cmd, param).await,
                false,
            ),
        }
    }

    async fn set_var(&mut self, var: &VarName, value: &str) -> TrackingStatus {
        tracing::info!(var = var.as_str(), value, "set");
        if self.state.is_immutable(var.as_str()) {
            return TrackingStatus::Invalid;
        }
        if !self.connected {
            return TrackingStatus::Failed;
        }
        self.driver
            .set_var(&mut self.state, var.as_str(), value)
            .await
    }
}

fn keep_if_sent(id: u64, conn: &Conn, batch: Batch) -> bool {
    match conn.outbox.try_send(batch) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!(id, "server does not read its socket; dropping it");
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

/// The `-d` output: `var: value` per variable, as C's `dstate_dump` prints it: values in
/// their escaped form ([`c_escaped`]).
pub fn format_dump(state: &DeviceState) -> String {
    let mut out = String::new();
    for var in state.variables() {
        out.push_str(var.name().as_str());
        out.push_str(": ");
        out.push_str(&c_escaped(var.value().as_str()));
        out.push('\n');
    }
    out
}

/// The form C keeps a value in besides the raw one (`pconf_encode` into a 256-byte buffer):
/// `\\`, `"` and `#` preceded by a backslash, cut at 255 bytes without splitting an escape.
/// It is what C's `dstate_getinfo` returns and what its `-d` dump prints.
pub fn c_escaped(value: &str) -> String {
    /// C's `ST_MAX_VALUE_LEN` less the terminating NUL.
    const MAX_ESCAPED: usize = 255;
    let mut escaped = Vec::with_capacity(value.len());
    for &b in value.as_bytes() {
        if matches!(b, b'\\' | b'"' | b'#') {
            if escaped.len() + 1 >= MAX_ESCAPED {
                break;
            }
            escaped.push(b'\\');
        }
        if escaped.len() >= MAX_ESCAPED {
            break;
        }
        escaped.push(b);
    }
    String::from_utf8_lossy(&escaped).into_owned()
}
