//! [`Error`]: what can go wrong talking to upsd, with protocol `ERR` codes kept apart from
//! transport failures.

use std::io;

use std::error::Error as _;
use std::fmt;

use nut_proto::config::AddressError;
use nut_proto::names::NameError;
use nut_proto::net::codec::ClientCodecError;
use nut_proto::net::{ErrorCode, Response, ResponseError};

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from the client.
///
/// [`Error::Server`] is the server's answer `ERR <code>`: the connection is fine and can be
/// used again. Every other variant is a local or transport problem; after
/// [`is_transport`](Self::is_transport) errors the connection is gone (a client with
/// [reconnect](crate::ReconnectPolicy) opens a new one on the next request).
///
/// `Debug` prints the same readable message as `Display` (with the underlying causes), so
/// that an error returned from `main` reads `Error: can't connect to localhost:3493: …`.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// upsd answered `ERR <code>`.
    #[error("server error {code}: {}", code.description())]
    Server {
        /// The code.
        code: ErrorCode,
    },
    /// The host name could not be resolved.
    #[error("can't resolve host {host:?}: {source}")]
    Resolve {
        /// The host name.
        host: String,
        /// Why.
        source: io::Error,
    },
    /// No address of the host accepted the connection (the error is the last address's).
    #[error("can't connect to {host}:{port}: {source}")]
    Connect {
        /// The host name.
        host: String,
        /// The port.
        port: u16,
        /// Why.
        source: io::Error,
    },
    /// Connecting took longer than the configured connect timeout.
    #[error("connecting to {host}:{port} timed out")]
    ConnectTimeout {
        /// The host name.
        host: String,
        /// The port.
        port: u16,
    },
    /// No reply came within the configured read timeout; the connection was closed.
    #[error("no reply from the server within the read timeout")]
    Timeout,
    /// Reading or writing the socket failed.
    #[error("connection failed: {0}")]
    Io(#[source] io::Error),
    /// The server closed the connection (or it was closed after an earlier failure).
    #[error("the server closed the connection")]
    Closed,
    /// The server sent a line that is not a valid reply; the connection was closed.
    #[error("invalid reply from the server: {0}")]
    Protocol(#[from] ResponseError),
    /// The server sent a valid reply of the wrong kind for the request.
    #[error("unexpected reply to {request}: {reply}")]
    UnexpectedReply {
        /// The request's command keyword.
        request: &'static str,
        /// The reply, as received (without its line feed; the first line of a list).
        reply: String,
    },
    /// TLS was required but the server does not offer STARTTLS.
    #[error("the server does not offer TLS (STARTTLS answered {0})")]
    TlsUnavailable(String),
    /// The TLS handshake failed (certificate not trusted, wrong name, …).
    #[error("TLS handshake failed: {0}")]
    Tls(#[source] io::Error),
    /// The client's configuration cannot be used (unreadable CA file, bad key, …).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// An argument is not a valid name or value on the wire.
    #[error("invalid argument: {0}")]
    InvalidArgument(#[from] NameError),
    /// A `ups@host[:port]` string could not be read (see [`UpsAddress`](nut_proto::config::UpsAddress)).
    #[error("invalid UPS address: {0}")]
    Address(#[from] AddressError),
    /// A tracked command was still pending when the wait ended.
    #[error("the tracked command did not complete in time")]
    TrackingTimeout,
}

impl fmt::Debug for Error {
    /// The `Display` message, then each cause not already in it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.to_string();
        f.write_str(&message)?;
        let mut cause = self.source();
        while let Some(c) = cause {
            let text = c.to_string();
            if !message.contains(&text) {
                write!(f, "\n  caused by: {text}")?;
            }
            cause = c.source();
        }
        Ok(())
    }
}

impl Error {
    /// The `ERR` code, when the server answered with one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Server { code } => Some(code),
            _ => None,
        }
    }

    /// Whether the connection is lost because of this error (anything but a server `ERR`,
    /// a bad argument or address, a configuration problem or a tracking wait that ran out).
    pub fn is_transport(&self) -> bool {
        !matches!(
            self,
            Self::Server { .. }
                | Self::InvalidArgument(_)
                | Self::Address(_)
                | Self::Config(_)
                | Self::TrackingTimeout
                | Self::UnexpectedReply { .. }
        )
    }

    /// Whether this is a timeout (connect, read, or tracking wait).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::ConnectTimeout { .. } | Self::TrackingTimeout
        )
    }

    /// Whether the connection was closed by the server.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed)
    }

    pub(crate) fn from_codec(err: ClientCodecError) -> Self {
        match err {
            ClientCodecError::Io(e) => Self::from_io(e),
            ClientCodecError::Response(e) => Self::Protocol(e),
            // `ClientCodecError` is non-exhaustive.
            #[allow(unreachable_patterns)]
            other => Self::Io(io::Error::other(other.to_string())),
        }
    }

    pub(crate) fn from_io(err: io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe => Self::Closed,
            _ => Self::Io(err),
        }
    }

    /// Turns an `ERR` reply into [`Error::Server`]; other replies go through.
    pub(crate) fn check(response: Response) -> Result<Response> {
        match response {
            Response::Err { code, .. } => Err(Self::Server { code }),
            other => Ok(other),
        }
    }

    pub(crate) fn unexpected(request: &'static str, reply: &Response) -> Self {
        let text = reply.to_string();
        let first = text.lines().next().unwrap_or_default().to_owned();
        Self::UnexpectedReply {
            request,
            reply: first,
        }
    }

    /// A copy for handing the same failure to several waiting requests.
    pub(crate) fn duplicate(&self) -> Self {
        match self {
            Self::Server { code } => Self::Server { code: code.clone() },
            Self::Timeout => Self::Timeout,
            Self::Closed => Self::Closed,
            Self::Protocol(e) => Self::Protocol(e.clone()),
            Self::Io(e) => Self::Io(io::Error::new(e.kind(), e.to_string())),
            Self::Tls(e) => Self::Tls(io::Error::new(e.kind(), e.to_string())),
            other => Self::Io(io::Error::other(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let server = Error::Server {
            code: ErrorCode::AccessDenied,
        };
        assert_eq!(server.code(), Some(&ErrorCode::AccessDenied));
        assert!(!server.is_transport());
        assert!(Error::Closed.is_transport() && Error::Closed.is_closed());
        assert!(Error::Timeout.is_timeout() && Error::Timeout.is_transport());
        assert!(matches!(
            Error::from_io(io::ErrorKind::UnexpectedEof.into()),
            Error::Closed
        ));
        assert!(matches!(
            Error::check(Response::err(ErrorCode::UnknownUps)),
            Err(Error::Server {
                code: ErrorCode::UnknownUps
            })
        ));
        assert_eq!(
            server.to_string(),
            "server error ACCESS-DENIED: the credentials or the host do not allow this command"
        );
        assert_eq!(format!("{server:?}"), server.to_string());
        let connect = Error::Connect {
            host: "localhost".into(),
            port: 3493,
            source: io::ErrorKind::ConnectionRefused.into(),
        };
        assert_eq!(
            format!("{connect:?}"),
            "can't connect to localhost:3493: connection refused"
        );
    }
}
