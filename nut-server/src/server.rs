//! The server: a builder, the running [`Server`], and a cheap [`ServerHandle`] to reload,
//! inspect and stop it.
//!
//! The library spawns its tasks on the caller's tokio runtime: one task per listener, per
//! driver link and per client connection. It creates two threads of its own: on a
//! current-thread runtime, one that serves the first plaintext clients by waiting in poll(2)
//! (see [`ServerBuilder::poll_clients`]), and one for the HTTP service when there is one.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use nut_driver_api::link::DriverEndpoint;
use nut_proto::config::{Listen, UpsdUser};
use nut_proto::names::UpsName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{DeviceConfig, ServerConfig};
use crate::device::Device;
use crate::poller::Poller;
use crate::shared::{Shared, Snapshot};
use crate::{connection, driver, ServerError};

/// The listen backlog of the sockets the server binds.
const BACKLOG: i32 = 4096;

/// Builds a [`Server`]: give it a configuration (or pieces of one) and, if you like, your
/// own bound listeners, then [`start`](Self::start) it.
#[derive(Debug, Default)]
pub struct ServerBuilder {
    config: ServerConfig,
    listeners: Vec<TcpListener>,
    http_listeners: Vec<TcpListener>,
    shutdown: Option<CancellationToken>,
    bound: Option<Vec<(Listen, std::net::TcpListener)>>,
    in_memory: bool,
    poll_clients: Option<usize>,
}

impl ServerBuilder {
    /// A builder with C upsd's defaults, no device, no user and nothing to listen on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets [`start`](Self::start) succeed without any address to listen on: the server
    /// then serves only the streams handed to [`ServerHandle::serve_connection`] (in tests,
    /// or an application that talks to its own embedded server in memory).
    pub fn in_memory(mut self) -> Self {
        self.in_memory = true;
        self
    }

    /// Replaces the whole configuration (e.g. one read by [`ServerConfig::load`]).
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Adds a device.
    pub fn device(mut self, name: UpsName, endpoint: DriverEndpoint) -> Self {
        self.config.devices.push(DeviceConfig::new(name, endpoint));
        self
    }

    /// Adds a device with its description and endpoint.
    pub fn device_config(mut self, device: DeviceConfig) -> Self {
        self.config.devices.push(device);
        self
    }

    /// Adds a user (as a `[user]` section of upsd.users).
    pub fn user(mut self, user: UpsdUser) -> Self {
        self.config.users.users.push(user);
        self
    }

    /// Adds an address to bind (a `LISTEN` line).
    pub fn listen(mut self, listen: Listen) -> Self {
        self.config.listen.push(listen);
        self
    }

    /// Serves on a listener the caller bound. It stays in service across reloads.
    pub fn listener(mut self, listener: TcpListener) -> Self {
        self.listeners.push(listener);
        self
    }

    /// Serves the HTTP service (pages, metrics, JSON API, events) on a listener the caller
    /// bound, besides the `HTTP_LISTEN` addresses.
    #[cfg(feature = "http")]
    pub fn http_listener(mut self, listener: TcpListener) -> Self {
        self.http_listeners.push(listener);
        self
    }

    /// Drops clients silent for this long (default 60 s, as C upsd).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// Serves up to `limit` plaintext clients on a thread of the server's own that waits in
    /// poll(2), as C upsd does; tokio tasks serve the others, and every client after
    /// STARTTLS. `0` serves every client with tasks.
    ///
    /// The default is 64 on a current-thread runtime and 0 on a multi-thread one. With tens
    /// of busy clients on a small machine, waiting in poll(2) answers more requests per
    /// second than waiting in epoll (tokio's reactor): each pass finds more requests ready,
    /// so the server and its clients sleep and wake less often. With hundreds of idle
    /// clients, poll(2)'s look at every socket on every call slows the busy ones.
    pub fn poll_clients(mut self, limit: usize) -> Self {
        self.poll_clients = Some(limit);
        self
    }

    /// Stops the server when `token` is cancelled (default: a token of its own, see
    /// [`ServerHandle::shutdown_token`]).
    pub fn shutdown_token(mut self, token: CancellationToken) -> Self {
        self.shutdown = Some(token);
        self
    }

    /// Binds the `LISTEN` addresses now, outside any runtime, with the rules and messages of
    /// [`start`](Self::start), which then serves on these sockets. For a daemon that must
    /// report a failed bind before it goes to the background (as C upsd does) and cannot
    /// fork once a runtime has started threads. Listeners handed in with
    /// [`listener`](Self::listener) count as bound.
    pub fn bind(mut self) -> Result<Self, ServerError> {
        let resolved = self
            .config
            .listen
            .iter()
            .map(|l| {
                let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(
                    l.address.as_str(),
                    l.port_or_default(),
                ));
                (
                    l.clone(),
                    addrs.map(Iterator::collect).map_err(|e| gai_text(&e)),
                )
            })
            .collect();
        let bound = bind_resolved(resolved, true, &self.config, self.listeners.len())?;
        self.bound = Some(bound);
        Ok(self)
    }

    /// Binds the `LISTEN` addresses (in order; for each, the first of its addresses that
    /// binds, as C upsd does), starts the driver links and starts accepting clients, on the
    /// current tokio runtime.
    ///
    /// Fails when a `LISTEN` name does not resolve, when no address can be bound, or when one
    /// cannot and [`allow_not_all_listeners`](ServerConfig::allow_not_all_listeners) is off.
    pub async fn start(self) -> Result<Server, ServerError> {
        // A child token, so that a failed start can stop its tasks without touching the
        // caller's token.
        let cancel = self.shutdown.unwrap_or_default().child_token();
        let permits = self
            .config
            .maxconn
            .unwrap_or(Semaphore::MAX_PERMITS)
            .min(Semaphore::MAX_PERMITS);
        let tasks = TaskTracker::new();
        let poll_limit =
            self.poll_clients.unwrap_or_else(|| {
                match tokio::runtime::Handle::current().runtime_flavor() {
                    tokio::runtime::RuntimeFlavor::CurrentThread => crate::poller::DEFAULT_LIMIT,
                    _ => 0,
                }
            });
        let poller = match poll_limit {
            0 => None,
            limit => match Poller::start(limit, &cancel, &tasks) {
                Ok(poller) => Some(poller),
                Err(e) => {
                    cancel.cancel();
                    return Err(e.into());
                }
            },
        };
        let inner = Arc::new(Inner {
            shared: Arc::new(Shared::new(Snapshot::new(
                ServerConfig::default(),
                Vec::new(),
            ))),
            cancel,
            tasks,
            poller,
            semaphore: Arc::new(Semaphore::new(permits)),
            managed: Mutex::new(Managed::default()),
        });
        let mut extra = Vec::new();
        for listener in self.listeners {
            let addr = listener.local_addr()?;
            let token = inner.cancel.child_token();
            inner.spawn_accept(listener, token);
            extra.push(addr);
        }
        if extra.is_empty() && self.config.listen.is_empty() && !self.in_memory {
            inner.cancel.cancel();
            return Err(ServerError::NoListener);
        }
        {
            let mut managed = inner.managed.lock().await;
            managed.extra = extra;
            managed.in_memory = self.in_memory;
        }
        let http_listen = self.config.http_listen.clone();
        let allow_not_all = self.config.allow_not_all_listeners;
        #[cfg(feature = "mqtt")]
        let mqtt =
            crate::http::mqtt::MqttConfig::from_upsd_conf(&self.config.mqtt, &self.config.users);
        #[cfg(not(feature = "mqtt"))]
        let mqtt = None;
        if let Err(e) = inner.apply(self.config, true, self.bound).await {
            inner.cancel.cancel();
            return Err(e);
        }
        if let Err(e) = inner
            .start_http(&http_listen, allow_not_all, self.http_listeners, mqtt)
            .await
        {
            inner.cancel.cancel();
            return Err(e);
        }
        Ok(Server {
            handle: ServerHandle { inner },
        })
    }
}

/// A running server. Dropping it does not stop it: cancel its
/// [shutdown token](ServerHandle::shutdown_token), then await [`run`](Self::run).
#[derive(Debug)]
pub struct Server {
    handle: ServerHandle,
}

impl Server {
    /// A builder.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::new()
    }

    /// A handle to reload, inspect or stop the server.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// The addresses the server listens on.
    pub async fn local_addrs(&self) -> Vec<SocketAddr> {
        self.handle.local_addrs().await
    }

    /// Waits until the shutdown token is cancelled, then for every task to end: listeners
    /// close, clients are disconnected, drivers get `LOGOUT`.
    pub async fn run(self) {
        let inner = &self.handle.inner;
        inner.cancel.cancelled().await;
        inner.tasks.close();
        inner.tasks.wait().await;
    }
}

/// A cheap, cloneable handle to a running server.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    inner: Arc<Inner>,
}

/// Numbers about a running server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Client connections accepted since the start.
    pub accepted: u64,
    /// Client connections open now.
    pub active: u64,
    /// Successful STARTTLS handshakes since the start.
    pub tls_sessions: u64,
}

impl ServerHandle {
    /// Applies a new configuration without dropping clients: users, limits, descriptions
    /// and TLS settings change at once; new devices get a driver link, removed ones lose
    /// theirs (a device keeps its link when its socket path is unchanged, or when both old
    /// and new are in-process); new `LISTEN` addresses are bound and removed ones closed.
    ///
    /// On error (an address cannot be bound and not all are required) nothing changes.
    pub async fn reload(&self, config: ServerConfig) -> Result<(), ServerError> {
        self.inner.apply(config, false, None).await
    }

    /// The token that stops the server when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }

    /// Stops the server (the same as cancelling the shutdown token).
    pub fn shutdown(&self) {
        self.inner.cancel.cancel();
    }

    /// The addresses the server listens on.
    pub async fn local_addrs(&self) -> Vec<SocketAddr> {
        let managed = self.inner.managed.lock().await;
        let mut addrs = managed.extra.clone();
        addrs.extend(managed.listeners.iter().map(|l| l.addr));
        addrs
    }

    /// The addresses the HTTP service listens on (empty without `HTTP_LISTEN`).
    pub async fn http_addrs(&self) -> Vec<SocketAddr> {
        self.inner.managed.lock().await.http.clone()
    }

    /// Serves one client over `stream`, any byte stream (one end of
    /// [`tokio::io::duplex`], a Unix socket), as if it had connected from `peer` (an address
    /// as text, shown in `LIST CLIENT` and the logs). STARTTLS works over it when TLS is
    /// configured. The connection is counted in [`stats`](Self::stats) but not against
    /// `MAXCONN`; it ends when the client leaves, idles out, or the server stops.
    pub fn serve_connection<S>(&self, stream: S, peer: impl Into<String>)
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let inner = &self.inner;
        inner
            .shared
            .counters
            .accepted
            .fetch_add(1, Ordering::Relaxed);
        inner.tasks.spawn(connection::serve_io(
            Arc::clone(&inner.shared),
            stream,
            peer.into(),
            inner.cancel.clone(),
        ));
    }

    /// Connection counters.
    pub fn stats(&self) -> Stats {
        let c = &self.inner.shared.counters;
        Stats {
            accepted: c.accepted.load(Ordering::Relaxed),
            active: c.active.load(Ordering::Relaxed),
            tls_sessions: c.tls.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug)]
struct BoundListener {
    listen: Listen,
    addr: SocketAddr,
    cancel: CancellationToken,
}

#[derive(Debug)]
struct RunningDevice {
    device: Arc<Device>,
    endpoint: DriverEndpoint,
    cancel: CancellationToken,
}

#[derive(Debug, Default)]
struct Managed {
    extra: Vec<SocketAddr>,
    /// Started with [`ServerBuilder::in_memory`]: no listener is needed.
    in_memory: bool,
    listeners: Vec<BoundListener>,
    devices: HashMap<UpsName, RunningDevice>,
    maxconn: Option<usize>,
    /// Where the HTTP service listens.
    http: Vec<SocketAddr>,
    /// The `HTTP_LISTEN` entries it was started with.
    http_listen: Vec<Listen>,
    /// The `MQTT_*` settings it was started with.
    mqtt: nut_proto::config::MqttConf,
    /// The mDNS announcement, while `MDNS_ANNOUNCE` is on.
    #[cfg(feature = "mdns")]
    mdns: Option<crate::mdns::Announcer>,
}

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tasks: TaskTracker,
    semaphore: Arc<Semaphore>,
    managed: Mutex<Managed>,
    /// The thread serving the first plaintext clients, if the server has one.
    poller: Option<Poller>,
}

fn same_endpoint(a: &DriverEndpoint, b: &DriverEndpoint) -> bool {
    match (a, b) {
        (DriverEndpoint::Socket(a), DriverEndpoint::Socket(b)) => a == b,
        (DriverEndpoint::InProcess(_), DriverEndpoint::InProcess(_)) => true,
        _ => false,
    }
}

/// A `LISTEN` entry with its addresses, or the resolver's message when it has none.
type Resolved = (Listen, Result<Vec<SocketAddr>, String>);

/// Binds each `LISTEN` entry in order as C's `setuptcp()` does: the first of its addresses
/// for which a socket can be made, bound and put to listen; the others are not tried. Logs
/// `listening on <address> port <port>` or `not listening on <address> port <port>` for
/// each. At start-up (`first`) a name that does not resolve ends it, as in C. A failed entry
/// is an error unless the configuration allows it; nothing bound at all (with `others`
/// listeners besides) is always one.
fn bind_resolved(
    resolved: Vec<Resolved>,
    first: bool,
    config: &ServerConfig,
    others: usize,
) -> Result<Vec<(Listen, std::net::TcpListener)>, ServerError> {
    let mut bound = Vec::new();
    let mut failures = Vec::new();
    for (listen, addrs) in resolved {
        let (address, port) = (&listen.address, listen.port_or_default());
        let addrs = match addrs {
            Ok(addrs) => addrs,
            Err(text) if first => return Err(ServerError::Resolve(text)),
            Err(text) => {
                tracing::error!("not listening on {address} port {port}: {text}");
                failures.push(format!("{address} port {port}: {text}"));
                continue;
            }
        };
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address");
        let listener = addrs.into_iter().find_map(|addr| match bind_addr(addr) {
            Ok(listener) => Some(listener),
            Err(e) => {
                tracing::debug!(%addr, error = %e, "bind");
                last = e;
                None
            }
        });
        match listener {
            Some(listener) => {
                tracing::info!("listening on {address} port {port}");
                bound.push((listen, listener));
            }
            None => {
                tracing::error!("not listening on {address} port {port}");
                failures.push(format!("{address} port {port}: {last}"));
            }
        }
    }
    if !failures.is_empty() && !config.allow_not_all_listeners {
        return Err(ServerError::Listen(failures.join("; ")));
    }
    if bound.len() + others == 0 {
        return Err(ServerError::NoListeningInterface);
    }
    Ok(bound)
}

/// A listening socket on `addr`, non-blocking, with `SO_REUSEADDR` as C sets it. Without
/// IPv6 in the kernel, making an IPv6 socket fails and the caller tries the next address.
fn bind_addr(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The resolver's message in a failed lookup (std wraps `gai_strerror`'s text).
fn gai_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.strip_prefix("failed to lookup address information: ") {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// The MQTT publisher to start with the HTTP service, if `MQTT_BROKER` asks for one.
#[cfg(feature = "mqtt")]
type MqttStart = Option<crate::http::mqtt::MqttConfig>;
/// Without the `mqtt` feature there is never a publisher to start.
#[cfg(not(feature = "mqtt"))]
type MqttStart = Option<std::convert::Infallible>;

impl Inner {
    /// Binds the `HTTP_LISTEN` addresses (each to the first of its addresses that binds)
    /// and starts the HTTP service on them and on `extra`, over the server's own state,
    /// with the MQTT publisher of `MQTT_BROKER` (feature `mqtt`).
    #[cfg(feature = "http")]
    async fn start_http(
        self: &Arc<Self>,
        listen: &[Listen],
        allow_not_all: bool,
        extra: Vec<TcpListener>,
        mqtt: MqttStart,
    ) -> Result<(), ServerError> {
        let mut listeners = extra;
        for l in listen {
            let port = l.port_or_default();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((l.address.as_str(), port))
                .await
                .map_err(|e| ServerError::Resolve(gai_text(&e)))?
                .collect();
            match addrs.into_iter().find_map(|a| bind_addr(a).ok()) {
                Some(std_listener) => listeners.push(TcpListener::from_std(std_listener)?),
                None if allow_not_all => {
                    tracing::error!("not serving HTTP on {} port {port}", l.address);
                }
                None => {
                    return Err(ServerError::Listen(format!(
                        "HTTP_LISTEN {} {port}",
                        l.address
                    )))
                }
            }
        }
        if listeners.is_empty() && mqtt.is_none() {
            return Ok(());
        }
        let mut managed = self.managed.lock().await;
        for l in &listeners {
            managed.http.push(l.local_addr()?);
        }
        drop(managed);
        let source = Arc::new(crate::http::upsd_source::UpsdSource::new(Arc::clone(
            &self.shared,
        )));
        let service = crate::http::HttpService::new(source);
        let service = match mqtt {
            #[cfg(feature = "mqtt")]
            Some(config) => service.with_mqtt(config),
            #[cfg(not(feature = "mqtt"))]
            Some(never) => match never {},
            None => service,
        };
        // The service runs on a thread of its own, with a runtime of its own. Tokio gives
        // every ready task its turn alike, so on the network protocol's runtime each HTTP
        // request (about twice the work of a GET VAR) would take a turn from the protocol's
        // clients: on two CPUs, where that runtime is one thread, 50 clients polling
        // /api/v1/devices halved GET VAR throughput (benches/, nut-web-load). On its own
        // thread the kernel divides the CPUs between the two.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listeners = {
            let _inside = rt.enter();
            listeners
                .into_iter()
                .map(|l| TcpListener::from_std(l.into_std()?))
                .collect::<io::Result<Vec<_>>>()?
        };
        let cancel = self.cancel.clone();
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("upsd-http".to_owned())
            .spawn(move || {
                rt.block_on(service.serve(listeners, cancel));
                drop(done);
            })?;
        // The server's shutdown waits for the service's.
        self.tasks.spawn(async move {
            let _ = finished.await;
        });
        Ok(())
    }

    /// Without the `http` feature: nothing to start (the configuration loader warned).
    #[cfg(not(feature = "http"))]
    async fn start_http(
        self: &Arc<Self>,
        _listen: &[Listen],
        _allow_not_all: bool,
        _extra: Vec<TcpListener>,
        _mqtt: MqttStart,
    ) -> Result<(), ServerError> {
        Ok(())
    }

    fn spawn_accept(self: &Arc<Self>, listener: TcpListener, token: CancellationToken) {
        let inner = Arc::clone(self);
        self.tasks
            .spawn(async move { inner.accept_loop(listener, token).await });
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener, token: CancellationToken) {
        loop {
            let permit = tokio::select! {
                () = token.cancelled() => return,
                p = Arc::clone(&self.semaphore).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            let accepted = tokio::select! {
                () = token.cancelled() => return,
                r = listener.accept() => r,
            };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            self.shared
                .counters
                .accepted
                .fetch_add(1, Ordering::Relaxed);
            let (stream, permit) = match &self.poller {
                Some(poller) => match poller.adopt(&self.shared, stream, peer, Some(permit)) {
                    Ok(()) => continue,
                    Err(given_back) => given_back,
                },
                None => (stream, Some(permit)),
            };
            let shared = Arc::clone(&self.shared);
            let cancel = self.cancel.clone();
            self.tasks
                .spawn(connection::serve(shared, stream, peer, cancel, permit));
        }
    }

    /// Installs `config`: listeners, MAXCONN, devices, then the snapshot. The new
    /// listeners are `bound` when given (bound by [`ServerBuilder::bind`] before the
    /// start), else those bound now.
    async fn apply(
        self: &Arc<Self>,
        config: ServerConfig,
        first: bool,
        bound: Option<Vec<(Listen, std::net::TcpListener)>>,
    ) -> Result<(), ServerError> {
        let mut managed = self.managed.lock().await;
        if first {
            managed.http_listen.clone_from(&config.http_listen);
            managed.mqtt.clone_from(&config.mqtt);
        } else {
            if managed.http_listen != config.http_listen {
                tracing::warn!("HTTP_LISTEN changes take effect at the next start of upsd");
            }
            if managed.mqtt != config.mqtt {
                tracing::warn!("MQTT_* changes take effect at the next start of upsd");
            }
        }

        // Listeners: keep those still configured, bind the new ones in the configured
        // order. A duplicate entry is bound again (and fails), as in C.
        let keep = |l: &BoundListener| config.listen.contains(&l.listen);
        let mut adopted: Vec<(usize, Listen)> = Vec::new();
        let new_listeners = match bound {
            Some(bound) => bound,
            None => {
                let mut resolved = Vec::new();
                for listen in &config.listen {
                    if managed.listeners.iter().any(|l| l.listen == *listen) {
                        continue;
                    }
                    let addrs: Result<Vec<SocketAddr>, String> = tokio::net::lookup_host((
                        listen.address.as_str(),
                        listen.port_or_default(),
                    ))
                    .await
                    .map(Iterator::collect)
                    .map_err(|e| gai_text(&e));
                    // A socket that goes away already holds one of its addresses (the same
                    // address under another name): it serves the new entry, since a new
                    // socket could not be bound beside it.
                    let holder = addrs.as_ref().ok().and_then(|addrs| {
                        managed.listeners.iter().position(|l| {
                            !keep(l)
                                && addrs.contains(&l.addr)
                                && !adopted
                                    .iter()
                                    .any(|(i, _)| l.addr == managed.listeners[*i].addr)
                        })
                    });
                    match holder {
                        Some(i) => adopted.push((i, listen.clone())),
                        None => resolved.push((listen.clone(), addrs)),
                    }
                }
                let others = managed.listeners.iter().filter(|l| keep(l)).count()
                    + adopted.len()
                    + managed.extra.len()
                    + usize::from(managed.in_memory);
                bind_resolved(resolved, first, &config, others)?
            }
        };
        for (i, listen) in adopted {
            let l = &mut managed.listeners[i];
            tracing::info!(
                "listening on {} port {}",
                listen.address,
                listen.port_or_default()
            );
            l.listen = listen;
        }
        managed.listeners.retain(|l| {
            let k = keep(l);
            if !k {
                tracing::info!(addr = %l.addr, "no longer listening");
                l.cancel.cancel();
            }
            k
        });
        for (listen, listener) in new_listeners {
            let listener = TcpListener::from_std(listener)?;
            let addr = listener.local_addr()?;
            let cancel = self.cancel.child_token();
            self.spawn_accept(listener, cancel.clone());
            managed.listeners.push(BoundListener {
                listen,
                addr,
                cancel,
            });
        }

        // MAXCONN.
        if !first && managed.maxconn != config.maxconn {
            let old = managed
                .maxconn
                .unwrap_or(Semaphore::MAX_PERMITS)
                .min(Semaphore::MAX_PERMITS);
            let new = config
                .maxconn
                .unwrap_or(Semaphore::MAX_PERMITS)
                .min(Semaphore::MAX_PERMITS);
            if new > old {
                self.semaphore.add_permits(new - old);
            } else {
                self.semaphore.forget_permits(old - new);
            }
        }
        managed.maxconn = config.maxconn;

        // Devices: keep the links of unchanged ones.
        let mut devices = Vec::with_capacity(config.devices.len());
        let mut running = HashMap::new();
        for dc in &config.devices {
            let reuse = managed
                .devices
                .remove(&dc.name)
                .filter(|r| same_endpoint(&r.endpoint, &dc.endpoint));
            let run = match reuse {
                Some(r) => r,
                None => {
                    let device = Arc::new(Device::new(
                        dc.name.clone(),
                        Arc::clone(&self.shared.changes),
                    ));
                    let cancel = self.cancel.child_token();
                    self.tasks.spawn(driver::run(
                        Arc::clone(&self.shared),
                        Arc::clone(&device),
                        dc.endpoint.clone(),
                        cancel.clone(),
                    ));
                    RunningDevice {
                        device,
                        endpoint: dc.endpoint.clone(),
                        cancel,
                    }
                }
            };
            devices.push(Arc::clone(&run.device));
            running.insert(dc.name.clone(), run);
        }
        for (name, gone) in managed.devices.drain() {
            tracing::info!(ups = %name, "device removed");
            gone.cancel.cancel();
        }
        managed.devices = running;
        #[cfg(feature = "mdns")]
        self.update_mdns(&mut managed, &config);
        self.shared.replace(Snapshot::new(config, devices));
        Ok(())
    }

    /// Starts, updates or stops the mDNS announcement as `config` asks, with the addresses
    /// listening now and the devices of `config`.
    #[cfg(feature = "mdns")]
    fn update_mdns(self: &Arc<Self>, managed: &mut Managed, config: &ServerConfig) {
        if !config.mdns_announce {
            if let Some(announcer) = managed.mdns.take() {
                announcer.stop();
            }
            return;
        }
        let listening: Vec<SocketAddr> = managed
            .listeners
            .iter()
            .map(|l| l.addr)
            .chain(managed.extra.iter().copied())
            .collect();
        let devices = config
            .devices
            .iter()
            .map(|d| d.name.as_str().to_owned())
            .collect();
        let record = crate::mdns::Record::new(&listening, devices);
        match &managed.mdns {
            Some(announcer) => announcer.update(record),
            None => {
                managed.mdns = Some(crate::mdns::Announcer::start(
                    record,
                    &self.cancel,
                    &self.tasks,
                ));
            }
        }
    }
}
