//! A thread that serves plaintext clients by waiting in poll(2), as C upsd does, for a server
//! on a current-thread runtime.
//!
//! Why a thread of its own: with 50 clients asking GET VAR over loopback on 2 cores, the
//! same fixed-reply server answered 4–8 % more requests per second waiting in poll(2) than
//! in epoll (tokio's reactor), and its clients spent less CPU per request (benches/README.md).
//! poll(2) looks at every socket on every call, so each pass of the loop takes a little
//! longer and finds more requests ready (9 per wait against 4 with epoll): the server and
//! its clients go to sleep and wake up less often. That look at every socket is also poll(2)'s
//! limit: beside 1,000 idle clients, one busy client waited 3× longer than with epoll (the
//! same up to 256). So this thread takes the first [`DEFAULT_LIMIT`] plaintext clients, and
//! tokio tasks serve any beyond, where thousands of idle ones cost nothing per request.
//!
//! A client stays here while it speaks plaintext. After STARTTLS its socket and session go to
//! a tokio task, which does the handshake and the rest.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connection::{serve_tls, ActiveGuard, Conn, Step};
use crate::shared::Shared;

/// Plaintext clients the thread takes by default: well below the few hundred idle sockets
/// past which poll(2)'s look at each of them on every call slows the busy ones.
pub(crate) const DEFAULT_LIMIT: usize = 64;
/// Bytes read at a time (one buffer for the whole thread).
const READ_BUF: usize = 4096;

/// The runtime's side: hands accepted clients to the thread.
#[derive(Debug)]
pub(crate) struct Poller {
    arrivals: mpsc::Sender<Arrival>,
    /// Written to wake the thread (new clients, shutdown).
    wake: UnixStream,
    /// Clients the thread has or is about to take.
    clients: Arc<AtomicUsize>,
    limit: usize,
}

/// A client on its way to the thread.
struct Arrival {
    stream: std::net::TcpStream,
    conn: Conn,
    permit: Option<OwnedSemaphorePermit>,
    active: ActiveGuard,
}

/// A client the thread serves.
struct Client {
    stream: std::net::TcpStream,
    conn: Conn,
    /// While replies wait for the socket to drain: what to do once they are out.
    flushing: Option<Step>,
    _permit: Option<OwnedSemaphorePermit>,
    _active: ActiveGuard,
}

/// What becomes of a client after it was served.
enum Fate {
    Stays,
    Gone,
    StartTls(TlsAcceptor),
}

impl Poller {
    /// Starts the thread, which serves up to `limit` clients until `cancel` fires. Its end
    /// is tracked by `tasks`, and clients that start TLS become tasks of the current runtime.
    pub(crate) fn start(
        limit: usize,
        cancel: &CancellationToken,
        tasks: &TaskTracker,
    ) -> io::Result<Self> {
        let (wake, woken) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        woken.set_nonblocking(true)?;
        let (arrivals, arrived) = mpsc::channel();
        let clients = Arc::new(AtomicUsize::new(0));
        let thread = Thread {
            arrived,
            woken,
            cancel: cancel.clone(),
            runtime: Handle::current(),
            tasks: tasks.clone(),
            count: Arc::clone(&clients),
            clients: Vec::new(),
        };
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("upsd-clients".to_owned())
            .spawn(move || {
                thread.run();
                drop(done);
            })?;
        // On shutdown, wake the thread; the server's end waits for the thread's.
        let waker = wake.try_clone()?;
        let cancelled = cancel.clone();
        tasks.spawn(async move {
            cancelled.cancelled().await;
            let _ = (&waker).write(&[1]);
            let _ = finished.await;
        });
        Ok(Self {
            arrivals,
            wake,
            clients,
            limit,
        })
    }

    /// Gives the thread a client just accepted, or gives it back when the thread is full.
    pub(crate) fn adopt(
        &self,
        shared: &Arc<Shared>,
        stream: TcpStream,
        peer: SocketAddr,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Result<(), (TcpStream, Option<OwnedSemaphorePermit>)> {
        if self.clients.fetch_add(1, Ordering::Relaxed) >= self.limit {
            self.clients.fetch_sub(1, Ordering::Relaxed);
            return Err((stream, permit));
        }
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(error) => {
                self.clients.fetch_sub(1, Ordering::Relaxed);
                tracing::warn!(%peer, %error, "client dropped: could not leave the reactor");
                return Ok(());
            }
        };
        let active = ActiveGuard::new(shared);
        let conn = Conn::new(Arc::clone(shared), peer.ip().to_string());
        tracing::debug!(addr = %conn.addr(), conn_id = conn.conn_id(), "connect");
        let arrival = Arrival {
            stream,
            conn,
            permit,
            active,
        };
        if self.arrivals.send(arrival).is_err() {
            // The thread has ended (the server is stopping): the client is closed.
            self.clients.fetch_sub(1, Ordering::Relaxed);
            return Ok(());
        }
        // A full pipe means a wake-up is already on its way.
        let _ = (&self.wake).write(&[1]);
        Ok(())
    }
}

/// The thread's side.
struct Thread {
    arrived: mpsc::Receiver<Arrival>,
    woken: UnixStream,
    cancel: CancellationToken,
    runtime: Handle,
    tasks: TaskTracker,
    count: Arc<AtomicUsize>,
    clients: Vec<Client>,
}

impl Thread {
    fn run(mut self) {
        let mut buf = vec![0u8; READ_BUF];
        let mut ready: Vec<PollFlags> = Vec::new();
        let mut leaving: Vec<(usize, Option<TlsAcceptor>)> = Vec::new();
        loop {
            let timeout = self.timeout();
            {
                let mut fds = Vec::with_capacity(self.clients.len() + 1);
                fds.push(PollFd::new(self.woken.as_fd(), PollFlags::POLLIN));
                for c in &self.clients {
                    let want = if c.flushing.is_some() {
                        PollFlags::POLLOUT
                    } else {
                        PollFlags::POLLIN
                    };
                    fds.push(PollFd::new(c.stream.as_fd(), want));
                }
                match poll(&mut fds, timeout) {
                    Ok(_) => {}
                    Err(Errno::EINTR) => continue,
                    Err(error) => {
                        // Nothing in poll(2)'s list can last; do not spin on it.
                        tracing::error!(%error, "poll failed");
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    }
                }
                ready.clear();
                ready.extend(
                    fds.iter()
                        .map(|fd| fd.revents().unwrap_or(PollFlags::empty())),
                );
            }
            let polled = ready.len() - 1;
            if !ready[0].is_empty() && !self.take_arrivals() {
                break;
            }
            let now = Instant::now();
            for (i, client) in self.clients[..polled].iter_mut().enumerate() {
                let revents = ready[i + 1];
                let fate = if !revents.is_empty() {
                    serve(client, revents, &mut buf)
                } else if client.flushing.is_none() && now >= client.conn.deadline() {
                    tracing::debug!(addr = %client.conn.addr(), "idle client dropped");
                    Fate::Gone
                } else {
                    Fate::Stays
                };
                match fate {
                    Fate::Stays => {}
                    Fate::Gone => leaving.push((i, None)),
                    Fate::StartTls(acceptor) => leaving.push((i, Some(acceptor))),
                }
            }
            // Last first: each removal moves a client that stays into the place.
            while let Some((i, tls)) = leaving.pop() {
                let client = self.clients.swap_remove(i);
                self.count.fetch_sub(1, Ordering::Relaxed);
                match tls {
                    Some(acceptor) => self.start_tls(client, acceptor),
                    None => tracing::debug!(addr = %client.conn.addr(), "disconnect"),
                }
            }
        }
        // Stopping: the clients' sockets close as they drop.
        self.count.fetch_sub(self.clients.len(), Ordering::Relaxed);
    }

    /// Until the first idle deadline of a client waiting for a request (forever without one).
    fn timeout(&self) -> PollTimeout {
        let first = self
            .clients
            .iter()
            .filter(|c| c.flushing.is_none())
            .map(|c| c.conn.deadline())
            .min();
        let Some(first) = first else {
            return PollTimeout::NONE;
        };
        let wait = first.saturating_duration_since(Instant::now());
        // Rounded up: waking a little early would only find nobody idle yet.
        let ms = wait.as_micros().div_ceil(1000);
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
    }

    /// Reads the wake-up pipe and takes new clients. `false` when the thread should end: the
    /// server is stopping, or nothing can wake the thread any more.
    fn take_arrivals(&mut self) -> bool {
        let mut drain = [0u8; 64];
        loop {
            match (&self.woken).read(&mut drain) {
                Ok(0) => return false,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return false,
            }
        }
        if self.cancel.is_cancelled() {
            return false;
        }
        while let Ok(a) = self.arrived.try_recv() {
            self.clients.push(Client {
                stream: a.stream,
                conn: a.conn,
                flushing: None,
                _permit: a.permit,
                _active: a.active,
            });
        }
        true
    }

    /// Hands a client that sent STARTTLS to a tokio task for the handshake and the rest.
    fn start_tls(&self, client: Client, acceptor: TlsAcceptor) {
        let cancel = self.cancel.clone();
        self.tasks.spawn_on(
            async move {
                let Client {
                    stream,
                    conn,
                    _permit,
                    _active,
                    ..
                } = client;
                match TcpStream::from_std(stream) {
                    Ok(stream) => Box::pin(serve_tls(conn, stream, acceptor, cancel)).await,
                    Err(error) => {
                        tracing::warn!(addr = %conn.addr(), %error, "client dropped: could not join the reactor");
                    }
                }
            },
            &self.runtime,
        );
    }
}

/// Serves a client poll(2) found ready: writes the replies still waiting, or reads and
/// answers what it sent.
fn serve(client: &mut Client, revents: PollFlags, buf: &mut [u8]) -> Fate {
    if let Some(step) = client.flushing.take() {
        return flush(client, step);
    }
    if revents.contains(PollFlags::POLLNVAL) {
        return Fate::Gone;
    }
    let n = match (&client.stream).read(buf) {
        Ok(0) => return Fate::Gone,
        Ok(n) => n,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            return Fate::Stays
        }
        Err(_) => return Fate::Gone,
    };
    let step = client.conn.process(&buf[..n]);
    flush(client, step)
}

/// Writes what the socket takes of the replies; once they are all out, acts on `step`.
fn flush(client: &mut Client, step: Step) -> Fate {
    match client.conn.write_nonblocking(&client.stream) {
        Ok(true) => {}
        Ok(false) => {
            client.flushing = Some(step);
            return Fate::Stays;
        }
        Err(_) => return Fate::Gone,
    }
    match step {
        Step::Continue => Fate::Stays,
        Step::Close => Fate::Gone,
        Step::StartTls(_, true) => {
            tracing::warn!(addr = %client.conn.addr(), "plaintext after STARTTLS: connection refused");
            Fate::Gone
        }
        Step::StartTls(acceptor, false) => Fate::StartTls(acceptor),
    }
}
