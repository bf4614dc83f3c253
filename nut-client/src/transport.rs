//! [`Connector`]: how a connection's byte stream is opened when it is not plain TCP (an
//! in-memory pipe in a test or an example, a Unix socket, a tunnel).

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream a connection can run over: anything that tokio can read and write, such
/// as a `TcpStream`, a `UnixStream` or one end of [`tokio::io::duplex`].
pub trait Transport: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Transport for T {}

/// The future a [`Connector`] returns.
type Opening = Pin<Box<dyn Future<Output = io::Result<Box<dyn Transport>>> + Send>>;

/// The function inside a [`Connector`].
type Open = dyn Fn(&str, u16) -> Opening + Send + Sync;

/// Opens the byte stream to a server in place of a TCP connection
/// ([`ClientConfigBuilder::connector`](crate::ClientConfigBuilder::connector)). It is given
/// the configured host and port, and called again for each reconnection. STARTTLS, the
/// timeouts and everything after run over the stream it returns as over TCP.
///
/// ```
/// use nut_client::{Client, ClientConfig, Connector};
/// use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nut_client::Error> {
/// // Each connection is a fresh in-memory pipe with a one-line server at its far end.
/// let connector = Connector::new(|_host, _port| async {
///     let (near, far) = tokio::io::duplex(4096);
///     tokio::spawn(async move {
///         let (read, mut write) = tokio::io::split(far);
///         let mut lines = BufReader::new(read).lines();
///         while let Ok(Some(_line)) = lines.next_line().await {
///             write.write_all(b"Network UPS Tools upsd 2.8.0\n").await.unwrap();
///         }
///     });
///     Ok(near)
/// });
/// let config = ClientConfig::builder("in-memory").connector(connector).build();
/// let client = Client::connect(config).await?;
/// assert_eq!(client.server_version().await?, "Network UPS Tools upsd 2.8.0");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Connector(Arc<Open>);

impl Connector {
    /// A connector that calls `open(host, port)` for each connection.
    pub fn new<F, Fut, T>(open: F) -> Self
    where
        F: Fn(String, u16) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = io::Result<T>> + Send + 'static,
        T: Transport,
    {
        Self(Arc::new(move |host: &str, port: u16| {
            let opening = open(host.to_owned(), port);
            Box::pin(async move { Ok(Box::new(opening.await?) as Box<dyn Transport>) })
        }))
    }

    /// Opens a stream to `host:port`.
    pub(crate) fn open(&self, host: &str, port: u16) -> Opening {
        (self.0)(host, port)
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connector(..)")
    }
}
