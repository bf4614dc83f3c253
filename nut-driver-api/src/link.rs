//! The links between a driver and a server: the C-compatible Unix socket and an in-process
//! channel, behind one pair of types.
//!
//! Whatever carries it, one connection is a stream of [`DriverMessage`]s from the driver and a
//! stream of [`ServerMessage`]s to it, exactly the driver socket protocol. The server holds a
//! [`DriverConnection`], the driver runtime a [`ServerConnection`]; each works the same over a
//! socket and over the in-process channel, so a server and a driver never care which it is.
//!
//! - [`DriverEndpoint`] says where a server finds a driver: a socket path
//!   (`<statepath>/<driver>-<ups>`, served by our drivers and by C's), or an
//!   [`InProcessConnector`] obtained from [`in_process`].
//! - The driver runtime accepts servers from its Unix listener and from the matching
//!   [`InProcessListener`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use nut_driver_api::link::{in_process, DriverEndpoint};
//! use nut_driver_api::proto::sock::{DriverMessage, ServerMessage};
//!
//! let (connector, mut listener) = in_process();
//! let endpoint = DriverEndpoint::InProcess(connector);
//!
//! // The driver side answers one PING.
//! tokio::spawn(async move {
//!     let mut server = listener.accept().await.unwrap();
//!     while let Some(Ok(msg)) = server.recv().await {
//!         if msg == ServerMessage::Ping {
//!             server.send(DriverMessage::Pong).await.unwrap();
//!         }
//!     }
//! });
//!
//! let mut driver = endpoint.connect().await.unwrap();
//! driver.send(ServerMessage::Ping).await.unwrap();
//! assert_eq!(driver.recv().await.unwrap().unwrap(), DriverMessage::Pong);
//! # }
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::net::UnixStream;
use tokio::sync::mpsc;
use tokio_util::codec::Framed;

use nut_proto::sock::{DecodeError, DriverCodec, DriverMessage, ServerCodec, ServerMessage};

/// How many messages an in-process link buffers in each direction before a sender waits.
pub const IN_PROCESS_BUFFER: usize = 1024;

/// Why a link failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The socket failed (connecting, reading or writing).
    #[error("driver socket: {0}")]
    Io(#[from] io::Error),
    /// The other end is gone (the in-process peer was dropped, or nobody listens).
    #[error("the other end of the link is gone")]
    Closed,
}

impl LinkError {
    /// Whether the link is closed for good (as opposed to an I/O error that may be one).
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed)
    }
}

enum Inner<In, Out, C> {
    Socket(Framed<UnixStream, C>),
    Channel {
        tx: mpsc::Sender<Out>,
        rx: mpsc::Receiver<In>,
    },
}

impl<In, Out, C> Inner<In, Out, C>
where
    C: tokio_util::codec::Decoder<Item = Result<In, DecodeError>, Error = io::Error>
        + tokio_util::codec::Encoder<Out, Error = io::Error>,
{
    async fn send(&mut self, msg: Out) -> Result<(), LinkError> {
        match self {
            Self::Socket(framed) => Ok(framed.send(msg).await?),
            Self::Channel { tx, .. } => tx.send(msg).await.map_err(|_| LinkError::Closed),
        }
    }

    async fn send_all(&mut self, msgs: Vec<Out>) -> Result<(), LinkError> {
        match self {
            Self::Socket(framed) => {
                for msg in msgs {
                    framed.feed(msg).await?;
                }
                Ok(framed.flush().await?)
            }
            Self::Channel { tx, .. } => {
                for msg in msgs {
                    tx.send(msg).await.map_err(|_| LinkError::Closed)?;
                }
                Ok(())
            }
        }
    }

    async fn recv(&mut self) -> Option<Result<In, LinkError>> {
        match self {
            Self::Socket(framed) => loop {
                match framed.next().await? {
                    Ok(Ok(msg)) => return Some(Ok(msg)),
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "ignoring a line on the driver socket");
                    }
                    Err(error) => return Some(Err(error.into())),
                }
            },
            Self::Channel { rx, .. } => rx.recv().await.map(Ok),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Socket(_) => "socket",
            Self::Channel { .. } => "in-process",
        }
    }
}

/// A server's end of one connection to a driver.
pub struct DriverConnection {
    inner: Inner<DriverMessage, ServerMessage, ServerCodec>,
}

impl DriverConnection {
    /// Connects to the driver socket at `path` (ours or a C driver's).
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, LinkError> {
        let stream = UnixStream::connect(path).await?;
        Ok(Self::from_unix(stream))
    }

    /// Wraps an already connected socket.
    pub fn from_unix(stream: UnixStream) -> Self {
        Self {
            inner: Inner::Socket(Framed::new(stream, ServerCodec::new())),
        }
    }

    /// Sends one message to the driver.
    pub async fn send(&mut self, msg: ServerMessage) -> Result<(), LinkError> {
        self.inner.send(msg).await
    }

    /// The next message from the driver: `None` when the driver closed the link, `Some(Err)`
    /// when the link failed. Lines that do not parse are logged (debug) and skipped, as C
    /// upsd ignores them.
    pub async fn recv(&mut self) -> Option<Result<DriverMessage, LinkError>> {
        self.inner.recv().await
    }
}

impl fmt::Debug for DriverConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DriverConnection")
            .field("kind", &self.inner.kind())
            .finish()
    }
}

/// A driver's end of one connection from a server (or from any other client of its socket).
pub struct ServerConnection {
    inner: Inner<ServerMessage, DriverMessage, DriverCodec>,
}

impl ServerConnection {
    /// Wraps a socket accepted from the driver's Unix listener.
    pub fn from_unix(stream: UnixStream) -> Self {
        Self {
            inner: Inner::Socket(Framed::new(stream, DriverCodec::new())),
        }
    }

    /// Sends one message to the server.
    pub async fn send(&mut self, msg: DriverMessage) -> Result<(), LinkError> {
        self.inner.send(msg).await
    }

    /// Sends several messages, flushing once at the end (a dump, a batch of changes).
    pub async fn send_all(&mut self, msgs: Vec<DriverMessage>) -> Result<(), LinkError> {
        self.inner.send_all(msgs).await
    }

    /// The next message from the server: `None` when the server closed the link, `Some(Err)`
    /// when the link failed. Lines that do not parse are logged (debug) and skipped.
    pub async fn recv(&mut self) -> Option<Result<ServerMessage, LinkError>> {
        self.inner.recv().await
    }

    /// Whether this connection came through the in-process link.
    pub fn is_in_process(&self) -> bool {
        matches!(self.inner, Inner::Channel { .. })
    }
}

impl fmt::Debug for ServerConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConnection")
            .field("kind", &self.inner.kind())
            .finish()
    }
}

/// Creates an in-process link: servers connect with the [`InProcessConnector`] (cheap to
/// clone, any number of connections), the driver runtime accepts them from the
/// [`InProcessListener`].
pub fn in_process() -> (InProcessConnector, InProcessListener) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        InProcessConnector { tx },
        InProcessListener {
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
        },
    )
}

/// Connects servers to an in-process driver. See [`in_process`].
#[derive(Clone)]
pub struct InProcessConnector {
    tx: mpsc::UnboundedSender<ServerConnection>,
}

impl InProcessConnector {
    /// Opens a new connection to the driver; fails with [`LinkError::Closed`] when the
    /// driver's listener is gone.
    pub fn connect(&self) -> Result<DriverConnection, LinkError> {
        let (to_driver, from_server) = mpsc::channel(IN_PROCESS_BUFFER);
        let (to_server, from_driver) = mpsc::channel(IN_PROCESS_BUFFER);
        let driver_end = ServerConnection {
            inner: Inner::Channel {
                tx: to_server,
                rx: from_server,
            },
        };
        self.tx.send(driver_end).map_err(|_| LinkError::Closed)?;
        Ok(DriverConnection {
            inner: Inner::Channel {
                tx: to_driver,
                rx: from_driver,
            },
        })
    }

    /// Hands the driver the driver end of a connected Unix socket, served exactly as a
    /// connection accepted from its socket file (the fuzz target's way in).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn attach_socket(&self, stream: UnixStream) -> Result<(), LinkError> {
        self.tx
            .send(ServerConnection::from_unix(stream))
            .map_err(|_| LinkError::Closed)
    }

    /// Whether the driver's listener is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl fmt::Debug for InProcessConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessConnector")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The driver's side of an in-process link: yields one [`ServerConnection`] per
/// [`InProcessConnector::connect`]. See [`in_process`].
///
/// Clones share one queue of connections, and the link stays open while any clone lives:
/// a driver runtime that ended (on `driver.exit`, say) can be replaced by a new one given
/// another clone, and the servers' connectors reach the new one, as a supervised driver
/// process is found again on its socket.
#[derive(Debug, Clone)]
pub struct InProcessListener {
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<ServerConnection>>>,
}

impl InProcessListener {
    /// The next server that connected; `None` once every connector is dropped.
    pub async fn accept(&mut self) -> Option<ServerConnection> {
        self.rx.lock().await.recv().await
    }
}

/// Where a server finds a driver.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DriverEndpoint {
    /// A driver socket, `<statepath>/<driver>-<ups>`: one of ours or a C driver.
    Socket(PathBuf),
    /// A driver in the same process.
    InProcess(InProcessConnector),
}

impl DriverEndpoint {
    /// Opens a new connection to the driver.
    pub async fn connect(&self) -> Result<DriverConnection, LinkError> {
        match self {
            Self::Socket(path) => DriverConnection::connect_unix(path).await,
            Self::InProcess(connector) => connector.connect(),
        }
    }
}

impl fmt::Display for DriverEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Socket(path) => write!(f, "{}", path.display()),
            Self::InProcess(_) => f.write_str("in-process link"),
        }
    }
}
