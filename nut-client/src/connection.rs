//! One connection to upsd: opening it (resolve, connect, STARTTLS) and the task that owns
//! the socket, writes requests as they come and hands each reply to the request that is
//! first in line (replies come in request order, so a FIFO matches them).

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::codec::Framed;

use nut_proto::net::codec::ClientCodec;
use nut_proto::net::{Request, Response};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::tls::{self, Stream};
use crate::transport::Transport;

/// A request on its way to the connection task, with the slot for its reply.
pub(crate) struct Call {
    pub(crate) request: Request,
    pub(crate) reply: oneshot::Sender<Result<Response>>,
}

/// The sending side of a live connection.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub(crate) tx: mpsc::UnboundedSender<Call>,
    pub(crate) tls: bool,
}

/// Resolves the host and connects to the first address that accepts, within the connect
/// timeout.
async fn connect_tcp(config: &ClientConfig) -> Result<TcpStream> {
    let host = config.host.as_str();
    let port = config.port;
    let attempt = async {
        let addrs: Vec<_> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|source| Error::Resolve {
                host: host.to_owned(),
                source,
            })?
            .collect();
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(Error::Connect {
            host: host.to_owned(),
            port,
            source: last.unwrap_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no address for host")
            }),
        })
    };
    match timeout(config.connect_timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(Error::ConnectTimeout {
            host: host.to_owned(),
            port,
        }),
    }
}

/// Opens a connection as `config` says and spawns its task.
pub(crate) async fn open(config: &ClientConfig) -> Result<Link> {
    let tcp: Box<dyn Transport> = match &config.connector {
        Some(connector) => {
            let (host, port) = (config.host.as_str(), config.port);
            match timeout(config.connect_timeout, connector.open(host, port)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(source)) => {
                    return Err(Error::Connect {
                        host: host.to_owned(),
                        port,
                        source,
                    })
                }
                Err(_) => {
                    return Err(Error::ConnectTimeout {
                        host: host.to_owned(),
                        port,
                    })
                }
            }
        }
        None => {
            let tcp = connect_tcp(config).await?;
            let _ = tcp.set_nodelay(true);
            Box::new(tcp)
        }
    };
    let stream = match config.read_timeout {
        Some(limit) => timeout(
            limit,
            tls::start(tcp, &config.host, config.tls_mode, &config.tls),
        )
        .await
        .map_err(|_| Error::Timeout)??,
        None => tls::start(tcp, &config.host, config.tls_mode, &config.tls).await?,
    };
    let tls = stream.is_tls();
    let (tx, rx) = mpsc::unbounded_channel();
    let framed = Framed::new(stream, ClientCodec::new());
    tokio::spawn(run(framed, rx, config.read_timeout));
    Ok(Link { tx, tls })
}

/// The connection task. It ends when the socket fails, the server closes it, a reply does
/// not come in time, or every handle is gone (then it says LOGOUT, as C's clients do).
async fn run(
    mut framed: Framed<Stream, ClientCodec>,
    mut rx: mpsc::UnboundedReceiver<Call>,
    read_timeout: Option<Duration>,
) {
    let mut pending: VecDeque<oneshot::Sender<Result<Response>>> = VecDeque::new();
    // When the oldest outstanding request gives up waiting for its next reply line.
    let mut deadline: Option<Instant> = None;
    let mut handles_gone = false;
    let failure = loop {
        if handles_gone && pending.is_empty() {
            let _ = SinkExt::<Request>::send(&mut framed, Request::Logout).await;
            return;
        }
        let wait = async {
            match deadline {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            call = rx.recv(), if !handles_gone => match call {
                Some(first) => {
                    let mut batch = vec![first];
                    while let Ok(more) = rx.try_recv() {
                        batch.push(more);
                    }
                    let mut write_error = None;
                    for call in batch {
                        if call.reply.is_closed() {
                            continue;
                        }
                        if let Err(e) = framed.feed(call.request).await {
                            let _ = call.reply.send(Err(Error::from_io(e.kind().into())));
                            write_error = Some(Error::from_io(e));
                            break;
                        }
                        if pending.is_empty() {
                            deadline = read_timeout.map(|t| Instant::now() + t);
                        }
                        pending.push_back(call.reply);
                    }
                    if let Some(e) = write_error {
                        break e;
                    }
                    if let Err(e) = SinkExt::<Request>::flush(&mut framed).await {
                        break Error::from_io(e);
                    }
                }
                None => handles_gone = true,
            },
            reply = framed.next() => match reply {
                Some(Ok(response)) => match pending.pop_front() {
                    Some(slot) => {
                        let _ = slot.send(Ok(response));
                        deadline = match pending.is_empty() {
                            true => None,
                            false => read_timeout.map(|t| Instant::now() + t),
                        };
                    }
                    None => {
                        break Error::UnexpectedReply {
                            request: "(none)",
                            reply: response.to_string().trim_end().to_owned(),
                        }
                    }
                },
                Some(Err(e)) => break Error::from_codec(e),
                None => break Error::Closed,
            },
            () = wait => break Error::Timeout,
        }
    };
    tracing::debug!("NUT connection ends: {failure}");
    for slot in pending {
        let _ = slot.send(Err(failure.duplicate()));
    }
    // Requests queued behind the failure see the channel closed and get `Error::Closed`.
}
