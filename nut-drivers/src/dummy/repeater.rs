//! Repeater mode: dummy-ups mirrors a UPS served by another upsd (`port = ups@host[:port]`).
//!
//! Every poll lists the remote UPS's variables (`LIST VAR`) and commands (`LIST CMD`); the
//! driver applies the values as C dummy-ups does (its `setvar`, `driver.*` skipped) and
//! declares the commands. A connection that fails makes the runtime mark the data stale and
//! connect again with backoff.
//!
//! Unlike C dummy-ups, `SET` and `INSTCMD` are forwarded to the remote upsd: with the
//! `username` and `password` options the repeater logs in first, and the remote server's
//! answer becomes the tracking result (`OK` → success, `ERR INVALID-VALUE`/`TOO-LONG`/
//! `READONLY`/`INVALID-ARGUMENT` → invalid, `ERR VAR-NOT-SUPPORTED`/`CMD-NOT-SUPPORTED` →
//! unknown, anything else → failed).
//!
//! The client side of the network protocol is [`nut_proto::net`]'s `ClientCodec`: one
//! request at a time, each reply awaited with a timeout.

use std::io;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_util::codec::Framed;

use nut_driver_api::driver::{CommandResult, DriverError};
use nut_driver_api::proto::config::UpsAddress;
use nut_driver_api::proto::names::{CmdName, UpsName, Value, VarName};
use nut_driver_api::proto::net::codec::ClientCodec;
use nut_driver_api::proto::net::{ErrorCode, ListQuery, ListReply, Request, Response};
use nut_driver_api::proto::secret::Secret;
use nut_driver_api::proto::sock::TrackingStatus;

/// How long the repeater waits for the remote server (connect and each reply).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to the remote upsd, re-made on demand.
#[derive(Debug)]
pub struct Repeater {
    address: UpsAddress,
    login: Option<(String, String)>,
    conn: Option<Framed<TcpStream, ClientCodec>>,
}

/// What one poll of the remote UPS found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The variables and values, as listed.
    pub vars: Vec<(VarName, Value)>,
    /// The instant commands.
    pub cmds: Vec<CmdName>,
}

fn transport(msg: impl std::fmt::Display) -> DriverError {
    DriverError::Transport(io::Error::other(msg.to_string()))
}

impl Repeater {
    /// A repeater for `port` (`ups[@host[:port]]`), with optional credentials for
    /// forwarding SET and INSTCMD.
    pub fn new(port: &str, login: Option<(String, String)>) -> Result<Self, DriverError> {
        let address: UpsAddress = port.parse().map_err(|_| {
            DriverError::config(
                "Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]",
            )
        })?;
        Ok(Self {
            address,
            login,
            conn: None,
        })
    }

    /// The remote UPS name.
    pub fn ups(&self) -> &UpsName {
        self.address.ups()
    }

    /// Connects (and logs in, with credentials).
    pub async fn connect(&mut self) -> Result<(), DriverError> {
        self.conn = None;
        let host = self.address.host_or_default().to_owned();
        let port = self.address.port_or_default();
        let stream = timeout(REPLY_TIMEOUT, TcpStream::connect((host.as_str(), port)))
            .await
            .map_err(|_| transport(format!("connecting to {host}:{port} timed out")))??;
        self.conn = Some(Framed::new(stream, ClientCodec::new()));
        if let Some((user, pass)) = self.login.clone() {
            let user = Value::new(user).map_err(|e| DriverError::config(e.to_string()))?;
            self.expect_ok(Request::Username { username: user }).await?;
            self.expect_ok(Request::Password {
                password: Secret::new(pass),
            })
            .await?;
        }
        tracing::debug!(ups = %self.address, "connected to the remote server");
        Ok(())
    }

    /// Sends LOGOUT (best effort) and drops the connection.
    pub async fn disconnect(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = timeout(Duration::from_secs(1), conn.send(Request::Logout)).await;
        }
    }

    async fn call(&mut self, request: Request) -> Result<Response, DriverError> {
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| transport("not connected"))?;
        let result = timeout(REPLY_TIMEOUT, async {
            conn.send(request).await.map_err(transport)?;
            match conn.next().await {
                Some(Ok(reply)) => Ok(reply),
                Some(Err(e)) => Err(transport(e)),
                None => Err(transport("the remote server closed the connection")),
            }
        })
        .await
        .unwrap_or_else(|_| Err(transport("the remote server did not answer in time")));
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    async fn expect_ok(&mut self, request: Request) -> Result<(), DriverError> {
        match self.call(request).await? {
            Response::Ok => Ok(()),
            other => Err(DriverError::config(format!(
                "the remote server refused the login: {}",
                other.to_string().trim_end()
            ))),
        }
    }

    /// Lists the remote UPS's variables and commands.
    pub async fn poll(&mut self) -> Result<Snapshot, DriverError> {
        let ups = self.ups().clone();
        let vars = match self
            .call(Request::List(ListQuery::Var { ups: ups.clone() }))
            .await?
        {
            Response::List(ListReply::Var { vars, .. }) => {
                vars.into_iter().map(|v| (v.name, v.value)).collect()
            }
            other => return Err(remote_error(&other)),
        };
        let cmds = match self.call(Request::List(ListQuery::Cmd { ups })).await? {
            Response::List(ListReply::Cmd { cmds, .. }) => cmds,
            other => return Err(remote_error(&other)),
        };
        Ok(Snapshot { vars, cmds })
    }

    /// Forwards a SET.
    pub async fn set_var(&mut self, var: &str, value: &str) -> CommandResult {
        let (Ok(var), Ok(value)) = (VarName::new(var), Value::new(value)) else {
            return TrackingStatus::Invalid;
        };
        let ups = self.ups().clone();
        self.forward(Request::SetVar { ups, var, value }).await
    }

    /// Forwards an INSTCMD.
    pub async fn instcmd(&mut self, cmd: &str, param: Option<&str>) -> CommandResult {
        let Ok(cmd) = CmdName::new(cmd) else {
            return TrackingStatus::Invalid;
        };
        let param = match param.map(Value::new).transpose() {
            Ok(p) => p,
            Err(_) => return TrackingStatus::Invalid,
        };
        let ups = self.ups().clone();
        self.forward(Request::InstCmd { ups, cmd, param }).await
    }

    async fn forward(&mut self, request: Request) -> CommandResult {
        if self.conn.is_none() && self.connect().await.is_err() {
            return TrackingStatus::Failed;
        }
        match self.call(request).await {
            Ok(Response::Ok | Response::OkTracking(_)) => TrackingStatus::Handled,
            Ok(Response::Err { code, .. }) => {
                tracing::info!(%code, "the remote server refused the request");
                match code {
                    ErrorCode::InvalidValue
                    | ErrorCode::TooLong
                    | ErrorCode::Readonly
                    | ErrorCode::InvalidArgument => TrackingStatus::Invalid,
                    ErrorCode::VarNotSupported | ErrorCode::CmdNotSupported => {
                        TrackingStatus::Unknown
                    }
                    _ => TrackingStatus::Failed,
                }
            }
            Ok(_) | Err(_) => TrackingStatus::Failed,
        }
    }
}

fn remote_error(reply: &Response) -> DriverError {
    DriverError::device(format!(
        "unexpected reply from the remote server: {}",
        reply.to_string().trim_end()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let r = Repeater::new("myups@host:3494", None).unwrap();
        assert_eq!(r.ups().as_str(), "myups");
        assert!(Repeater::new("bad name@host", None).is_err());
        assert!(Repeater::new("u@host:0", None).is_err());
    }
}
