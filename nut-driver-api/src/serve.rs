//! The server side of the runtime: the Unix socket listener and one task per connected
//! server (or tool), over the socket or the in-process link.
//!
//! Each connection task owns its [`ServerConnection`]. It answers what needs no device state
//! itself (`PING` → `PONG`, `GETPID` → `PID n`, `LOGOUT` → `OK Goodbye` and close) and hands
//! everything else to the runtime as a [`Request`]. The runtime answers through a bounded
//! queue of message batches; a batch is written and flushed as one piece, so a dump is never
//! interleaved with anything. A server that stops reading fills its queue and is dropped, as
//! a C driver drops a connection whose socket is full; a server that hangs up ends its task,
//! and the runtime forgets it.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::link::ServerConnection;
use nut_proto::names::Value;
use nut_proto::sock::{DriverMessage, ServerMessage};

/// How many batches a connection may have queued before it is dropped as too slow.
pub(crate) const OUTBOX_BATCHES: usize = 4096;

/// A batch of messages for one connection.
pub(crate) type Batch = Arc<[DriverMessage]>;

/// What a connection task tells the runtime.
#[derive(Debug)]
pub(crate) enum Request {
    /// A message that needs the runtime (DUMPALL, INSTCMD, SET, …).
    Message(ServerMessage),
    /// The connection is gone.
    Closed,
}

/// The Unix listener at `<statepath>/<driver>-<ups>`; the file is removed on drop.
#[derive(Debug)]
pub(crate) struct SocketListener {
    listener: UnixListener,
    path: PathBuf,
}

impl SocketListener {
    /// Replaces whatever is at `path` with a listening socket of mode 0660 (and group
    /// `gid`, when given).
    pub(crate) fn bind(path: &Path, gid: Option<u32>) -> io::Result<Self> {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
        if let Some(gid) = gid {
            std::os::unix::fs::chown(path, None, Some(gid))?;
        }
        Ok(Self {
            listener,
            path: path.to_path_buf(),
        })
    }

    /// The next connection.
    pub(crate) async fn accept(&self) -> io::Result<ServerConnection> {
        let (stream, _) = self.listener.accept().await?;
        Ok(ServerConnection::from_unix(stream))
    }

    /// The socket's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketListener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Serves one connection until it closes, its queue is dropped, or `cancel` fires.
///
/// When the client hangs up or sends `LOGOUT`, nothing more is read, but the answers to what
/// it asked before are still written, in order, as a C driver answers each line before it
/// reads the next: the runtime is told the connection is closing, and the task writes the
/// batches it queued until the runtime lets go of the queue; after `LOGOUT`, `OK Goodbye`
/// comes last.
pub(crate) async fn serve_connection(
    id: u64,
    mut conn: ServerConnection,
    mut outbox: mpsc::Receiver<Batch>,
    requests: mpsc::Sender<(u64, Request)>,
    cancel: CancellationToken,
) {
    let pid = Value::lossy(&std::process::id().to_string());
    // Set when the client hung up (`Some(false)`) or said LOGOUT (`Some(true)`), and the
    // runtime was told.
    let mut ending: Option<bool> = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            batch = outbox.recv() => {
                let Some(batch) = batch else {
                    if ending == Some(true) {
                        let _ = conn.send(DriverMessage::Goodbye).await;
                    }
                    break;
                };
                if let Err(error) = conn.send_all(batch.to_vec()).await {
                    tracing::debug!(id, %error, "write to server failed; dropping it");
                    break;
                }
            }
            msg = conn.recv(), if ending.is_none() => {
                let msg = match msg {
                    None => {
                        ending = Some(false);
                        if requests.send((id, Request::Closed)).await.is_err() {
                            break;
                        }
                        continue;
                    }
                    Some(Err(error)) => {
                        tracing::debug!(id, %error, "read from server failed; dropping it");
                        break;
                    }
                    Some(Ok(msg)) => msg,
                };
                let reply = match msg {
                    ServerMessage::Ping => DriverMessage::Pong,
                    ServerMessage::GetPid => DriverMessage::Pid { pid: pid.clone() },
                    ServerMessage::Logout => {
                        ending = Some(true);
                        if requests.send((id, Request::Closed)).await.is_err() {
                            break;
                        }
                        continue;
                    }
                    other => {
                        if requests.send((id, Request::Message(other))).await.is_err() {
                            break;
                        }
                        continue;
                    }
                };
                if conn.send(reply).await.is_err() {
                    break;
                }
            }
        }
    }
    tracing::debug!(id, "server connection closed");
    if ending.is_none() {
        let _ = requests.send((id, Request::Closed)).await;
    }
}
