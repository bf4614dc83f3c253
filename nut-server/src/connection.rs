//! One task per client connection: read bytes, split them into lines with nut-proto's
//! streaming tokenizer, hand each line to the [`Session`], write the replies; drop the client
//! after the idle timeout; switch to TLS on STARTTLS.
//!
//! An idle plaintext connection holds no read buffer: the task waits for readability and
//! reads into a small buffer that lives only while the bytes are processed. The reply buffer
//! is dropped when a large reply made it grow.

use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::BytesMut;
use nut_proto::tokenizer::Tokenizer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{sleep_until, Instant};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::on_wake::OnWake;
use crate::session::{Outcome, Session};
use crate::shared::{Shared, Snapshot};

/// Bytes read at a time.
const READ_CHUNK: usize = 512;
/// A reply buffer that grew beyond this is released after use.
const KEEP_OUT: usize = 1024;
/// Words a line may have for the allocation-free path (longer lines take the general one).
const PLAIN_WORDS: usize = 8;
/// The longest a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// What became of a chunk of input.
pub(crate) enum Step {
    Continue,
    Close,
    /// STARTTLS; `true` when plaintext followed it (refused).
    StartTls(TlsAcceptor, bool),
}

/// The per-connection state besides the socket.
pub(crate) struct Conn {
    shared: Arc<Shared>,
    snap: Arc<Snapshot>,
    generation: u64,
    session: Session,
    tokenizer: Tokenizer,
    /// The replies not yet written.
    pub(crate) out: BytesMut,
    deadline: Instant,
    addr: String,
}

impl Conn {
    /// A new session of the client at `addr` (its IP address as text).
    pub(crate) fn new(shared: Arc<Shared>, addr: String) -> Self {
        let (snap, generation) = shared.snapshot();
        let conn_id = shared.next_conn_id();
        Self {
            session: Session::new(conn_id, &addr),
            deadline: Instant::now() + snap.config.idle_timeout,
            shared,
            snap,
            generation,
            tokenizer: Tokenizer::new(),
            out: BytesMut::new(),
            addr,
        }
    }

    /// Feeds `input` to the tokenizer and the session; replies go to `self.out`.
    pub(crate) fn process(&mut self, input: &[u8]) -> Step {
        self.process_observed(input, |_| {})
    }

    /// [`process`](Self::process), calling `after_line` with `self.out` after each line the
    /// session handled (the fuzz target tells the replies to each line apart with it).
    pub(crate) fn process_observed(
        &mut self,
        mut input: &[u8],
        mut after_line: impl FnMut(&[u8]),
    ) -> Step {
        if self.shared.is_stale(self.generation) {
            (self.snap, self.generation) = self.shared.snapshot();
        }
        loop {
            // Plain lines (nearly every request) are split without allocating.
            let mut plain = [""; PLAIN_WORDS];
            let outcome = if let Some(n) = self.tokenizer.feed_plain(&mut input, &mut plain) {
                self.line(&plain[..n])
            } else {
                match self.tokenizer.feed(&mut input) {
                    None => return Step::Continue,
                    Some(Ok(line)) => self.line(&line.words),
                    Some(Err(error)) => {
                        tracing::debug!(addr = %self.addr, %error, "parse error on a client line");
                        continue;
                    }
                }
            };
            after_line(&self.out);
            match outcome {
                Outcome::Continue => {}
                Outcome::Close => return Step::Close,
                Outcome::StartTls(acceptor) => {
                    let leftover = !input.is_empty() || self.tokenizer.is_mid_line();
                    return Step::StartTls(acceptor, leftover);
                }
            }
        }
    }

    /// Hands one line's words to the session.
    fn line<S: AsRef<str>>(&mut self, words: &[S]) -> Outcome {
        self.deadline = Instant::now() + self.snap.config.idle_timeout;
        self.session
            .handle(&self.shared, &self.snap, words, &mut self.out)
    }

    async fn flush<W: AsyncWrite + Unpin>(&mut self, w: &mut W) -> io::Result<()> {
        if !self.out.is_empty() {
            w.write_all(&self.out).await?;
            w.flush().await?;
            self.replies_written();
        }
        Ok(())
    }

    /// Writes the replies to a non-blocking socket as far as it takes them. `Ok(true)` when
    /// all are written, `Ok(false)` when the rest waits for the socket to drain.
    pub(crate) fn write_nonblocking(&mut self, mut w: impl io::Write) -> io::Result<bool> {
        while !self.out.is_empty() {
            match w.write(&self.out) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => bytes::Buf::advance(&mut self.out, n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.replies_written();
        Ok(true)
    }

    /// The replies are out: keeps the buffer for the next ones unless a large reply grew it.
    fn replies_written(&mut self) {
        if self.out.capacity() > KEEP_OUT {
            self.out = BytesMut::new();
        } else {
            self.out.clear();
        }
    }

    /// When the client, silent since, is dropped.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The session's connection number, for log lines.
    pub(crate) fn conn_id(&self) -> u64 {
        self.session.conn_id()
    }

    /// The client's address, for log lines.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }
}

/// Counts a connection as active while it lives.
pub(crate) struct ActiveGuard(Arc<Shared>);

impl ActiveGuard {
    /// Counts one more active connection.
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        shared
            .counters
            .active
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(Arc::clone(shared))
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0
            .counters
            .active
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Serves one client until it leaves, idles out, or `cancel` fires.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    cancel: CancellationToken,
    permit: Option<OwnedSemaphorePermit>,
) {
    let _permit = permit;
    let _active = ActiveGuard::new(&shared);
    let mut conn = Conn::new(shared, peer.ip().to_string());
    tracing::debug!(addr = %conn.addr, conn_id = conn.session.conn_id(), "connect");
    let mut stream = stream;
    let step = serve_plain(&mut conn, &mut stream, &cancel).await;
    let Some((acceptor, leftover)) = step else {
        tracing::debug!(addr = %conn.addr, "disconnect");
        return;
    };
    if leftover {
        tracing::warn!(addr = %conn.addr, "plaintext after STARTTLS: connection refused");
        return;
    }
    // Boxed: the TLS states (a rustls connection) would otherwise make every plaintext
    // connection's task ~3.5 KB larger.
    Box::pin(serve_tls(conn, stream, acceptor, cancel)).await;
}

/// Serves one client over any byte stream (see `ServerHandle::serve_connection`), STARTTLS
/// included.
pub(crate) async fn serve_io<S: AsyncRead + AsyncWrite + Unpin>(
    shared: Arc<Shared>,
    mut stream: S,
    peer: String,
    cancel: CancellationToken,
) {
    let _active = ActiveGuard::new(&shared);
    let mut conn = Conn::new(shared, peer);
    tracing::debug!(addr = %conn.addr, conn_id = conn.session.conn_id(), "connect (stream)");
    let Some((acceptor, leftover)) = serve_stream(&mut conn, &mut stream, &cancel).await else {
        tracing::debug!(addr = %conn.addr, "disconnect");
        return;
    };
    if leftover {
        tracing::warn!(addr = %conn.addr, "plaintext after STARTTLS: connection refused");
        return;
    }
    Box::pin(serve_tls(conn, stream, acceptor, cancel)).await;
}

/// The handshake and the session after STARTTLS.
pub(crate) async fn serve_tls<S: AsyncRead + AsyncWrite + Unpin>(
    mut conn: Conn,
    stream: S,
    acceptor: TlsAcceptor,
    cancel: CancellationToken,
) {
    let handshake = tokio::select! {
        () = cancel.cancelled() => return,
        r = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => r,
    };
    let tls = match handshake {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            tracing::info!(addr = %conn.addr, %error, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::info!(addr = %conn.addr, "TLS handshake timed out");
            return;
        }
    };
    if tls.get_ref().1.peer_certificates().is_some() {
        // Only a certificate that verified gets this far (CERTREQUEST 1 or 2).
        tracing::debug!(addr = %conn.addr, "client certificate verified");
    }
    conn.shared
        .counters
        .tls
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    conn.session.set_tls();
    conn.deadline = Instant::now() + conn.snap.config.idle_timeout;
    let mut tls = tls;
    // The session refuses STARTTLS over TLS, so no acceptor comes back here.
    let _ = serve_stream(&mut conn, &mut tls, &cancel).await;
    tracing::debug!(addr = %conn.addr, "disconnect");
}

/// What woke a plaintext connection.
enum Event {
    /// Input was read and handled; the replies are in `conn.out`.
    Handled(Step),
    /// The client closed the connection, or it failed.
    Gone,
    /// The server is stopping.
    Cancelled,
    /// The idle timer fired.
    Idle,
}

/// The plaintext part of a session. Returns the TLS acceptor when the client sent STARTTLS.
///
/// Each wake-up tries the socket first and handles what it reads in place, from a buffer
/// that lives only for that wake-up. The shutdown token and the idle timer are polled only
/// when they woke the task ([`OnWake`]): nearly every wake-up is a request, and polling
/// them every time cost more than parsing and answering a GET VAR.
async fn serve_plain(
    conn: &mut Conn,
    stream: &mut TcpStream,
    cancel: &CancellationToken,
) -> Option<(TlsAcceptor, bool)> {
    let cancelled = std::pin::pin!(cancel.cancelled());
    let mut cancelled = OnWake::new(cancelled);
    let idle = std::pin::pin!(sleep_until(conn.deadline));
    let mut idle = OnWake::new(idle);
    loop {
        let event = std::future::poll_fn(|cx| {
            if cancelled.is_woken() && cancelled.poll_if_woken(cx).is_ready() {
                return Poll::Ready(Event::Cancelled);
            }
            if idle.is_woken() && idle.poll_if_woken(cx).is_ready() {
                return Poll::Ready(Event::Idle);
            }
            // Uninitialised: zeroing 512 bytes on every request showed in profiles.
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut buf);
            match Pin::new(&mut *stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => Poll::Ready(Event::Gone),
                Poll::Ready(Ok(())) => Poll::Ready(Event::Handled(conn.process(buf.filled()))),
                Poll::Ready(Err(_)) => Poll::Ready(Event::Gone),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        let step = match event {
            Event::Handled(step) => step,
            Event::Gone | Event::Cancelled => return None,
            Event::Idle => {
                if Instant::now() < conn.deadline {
                    idle.update(|sleep| sleep.reset(conn.deadline));
                    continue;
                }
                tracing::debug!(addr = %conn.addr, "idle client dropped");
                return None;
            }
        };
        // A client that stops reading its replies must not hold the server's shutdown.
        let mut flush = std::pin::pin!(conn.flush(stream));
        let flushed = std::future::poll_fn(|cx| {
            if cancelled.is_woken() && cancelled.poll_if_woken(cx).is_ready() {
                return Poll::Ready(false);
            }
            flush.as_mut().poll(cx).map(|r| r.is_ok())
        })
        .await;
        if !flushed {
            return None;
        }
        match step {
            Step::Continue => {}
            Step::Close => return None,
            Step::StartTls(acceptor, leftover) => return Some((acceptor, leftover)),
        }
    }
}

/// The session over any byte stream (TLS after STARTTLS, or a stream handed to the
/// server). Returns the TLS acceptor, with the stream left open, when the client sent
/// STARTTLS; otherwise closes the stream.
async fn serve_stream<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn,
    stream: &mut S,
    cancel: &CancellationToken,
) -> Option<(TlsAcceptor, bool)> {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            () = sleep_until(conn.deadline) => {
                tracing::debug!(addr = %conn.addr, "idle client dropped");
                break;
            }
            r = stream.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
        };
        let step = conn.process(&buf[..n]);
        let flushed = tokio::select! {
            biased;
            () = cancel.cancelled() => false,
            r = conn.flush(stream) => r.is_ok(),
        };
        if !flushed {
            break;
        }
        match step {
            Step::Continue => {}
            Step::Close => break,
            Step::StartTls(acceptor, leftover) => return Some((acceptor, leftover)),
        }
    }
    let _ = stream.shutdown().await;
    None
}
