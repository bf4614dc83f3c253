//! TLS: the STARTTLS negotiation and the stream under a connection. With the `tls` feature
//! (on by default) the handshake is rustls' ([`rustls_config`]); without it a client that
//! requires TLS gets [`Error::TlsUnavailable`] and one that only tries goes on in plain text,
//! as a C client built without SSL does.

#[cfg(feature = "tls")]
mod rustls_config;

#[cfg(feature = "tls")]
use std::sync::Arc;

#[cfg(feature = "tls")]
use tokio::io::AsyncReadExt;
#[cfg(feature = "tls")]
use tokio::io::AsyncWriteExt;
#[cfg(feature = "tls")]
use tokio_rustls::client::TlsStream;
#[cfg(feature = "tls")]
use tokio_rustls::rustls::pki_types::ServerName;
#[cfg(feature = "tls")]
use tokio_rustls::TlsConnector;

#[cfg(feature = "tls")]
use nut_proto::net::{ReplyLine, Response};
#[cfg(feature = "tls")]
pub(crate) use rustls_config::client_config;

use crate::config::{TlsConfig, TlsMode};
use crate::error::{Error, Result};
use crate::transport::Transport;

#[cfg(feature = "tls")]
/// Longest reply line to STARTTLS that is read before giving up.
const MAX_STARTTLS_REPLY: usize = 512;

/// The stream under a connection: plain (TCP or a [`Connector`](crate::Connector)'s
/// stream) or TLS over it.
pub(crate) enum Stream {
    /// Plain text.
    Plain(Box<dyn Transport>),
    /// TLS after STARTTLS.
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream<Box<dyn Transport>>>),
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_tls() {
            "Stream::Tls"
        } else {
            "Stream::Plain"
        })
    }
}

impl Stream {
    /// Whether the stream is encrypted.
    pub(crate) fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return matches!(self, Self::Tls(_));
        #[cfg(not(feature = "tls"))]
        false
    }
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Self::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Self::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(feature = "tls")]
/// Sends STARTTLS on `tcp` as `mode` asks and performs the handshake; `host` is the name
/// connected to (the expected certificate name unless the config names another).
pub(crate) async fn start(
    mut tcp: Box<dyn Transport>,
    host: &str,
    mode: TlsMode,
    tls: &TlsConfig,
) -> Result<Stream> {
    if mode == TlsMode::Disabled {
        return Ok(Stream::Plain(tcp));
    }
    // Build the configuration first: a bad CA file is an error before anything is sent.
    let config = client_config(tls)?;
    tcp.write_all(b"STARTTLS\n").await.map_err(Error::from_io)?;
    let line = read_line(&mut tcp).await?;
    match ReplyLine::decode(&line)? {
        ReplyLine::Single(Response::OkStartTls) => {}
        ReplyLine::Single(reply) if mode == TlsMode::Opportunistic => {
            if matches!(reply, Response::Err { .. }) {
                return Ok(Stream::Plain(tcp));
            }
            return Err(Error::unexpected("STARTTLS", &reply));
        }
        other => {
            let text = other.to_string();
            return Err(Error::TlsUnavailable(text.trim_end().to_owned()));
        }
    }
    let name = tls.server_name.as_deref().unwrap_or(host);
    let name = ServerName::try_from(name.to_owned())
        .map_err(|e| Error::Config(format!("TLS server name {name:?}: {e}")))?;
    let connector = TlsConnector::from(Arc::new(config));
    let stream = connector.connect(name, tcp).await.map_err(Error::Tls)?;
    Ok(Stream::Tls(Box::new(stream)))
}

/// Without the `tls` feature: plain TCP unless TLS is required, which is an error.
#[cfg(not(feature = "tls"))]
pub(crate) async fn start(
    tcp: Box<dyn Transport>,
    _host: &str,
    mode: TlsMode,
    _tls: &TlsConfig,
) -> Result<Stream> {
    match mode {
        TlsMode::Required => Err(Error::TlsUnavailable(
            "this nut-client was built without its tls feature".to_owned(),
        )),
        _ => Ok(Stream::Plain(tcp)),
    }
}

#[cfg(feature = "tls")]
/// Reads one line byte by byte, so that nothing after it is consumed.
async fn read_line(tcp: &mut Box<dyn Transport>) -> Result<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let byte = tcp.read_u8().await.map_err(Error::from_io)?;
        line.push(byte);
        if byte == b'\n' {
            return Ok(line);
        }
        if line.len() > MAX_STARTTLS_REPLY {
            return Err(Error::UnexpectedReply {
                request: "STARTTLS",
                reply: String::from_utf8_lossy(&line).into_owned(),
            });
        }
    }
}

#[cfg(all(test, not(feature = "tls")))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_tls_required_fails_and_opportunistic_stays_plain() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept = tokio::spawn(async move {
            let mut n = 0;
            while n < 2 {
                let _ = listener.accept().await.unwrap();
                n += 1;
            }
        });
        let config = TlsConfig::new();
        let tcp = Box::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        let required = start(tcp, "localhost", TlsMode::Required, &config).await;
        assert!(matches!(required, Err(Error::TlsUnavailable(_))));
        let tcp = Box::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        let tried = start(tcp, "localhost", TlsMode::Opportunistic, &config).await;
        assert!(matches!(tried, Ok(Stream::Plain(_))));
        accept.await.unwrap();
    }
}
