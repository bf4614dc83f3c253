//! upsmon's connection to one MONITORed UPS: connect, USERNAME/PASSWORD, LOGIN, PRIMARY
//! (falling back to MASTER), then `GET VAR ups.status` every poll, `FSD` and
//! `GET NUMLOGINS` during a shutdown.
//!
//! Written directly on [`nut_proto::net`] (requests encoded with `Display`, replies joined
//! by [`ResponseAssembler`]) over a plain tokio `TcpStream`: the few requests upsmon needs,
//! each bounded by C's 10-second network timeout. Connections are plain TCP: STARTTLS is not
//! attempted (a `FORCESSL` or `CERTVERIFY` configuration is refused when connecting).

use std::time::Duration;

use nut_proto::config::{Monitor, UpsmonConf};
use nut_proto::names::{UpsName, Value, VarName};
use nut_proto::net::{ErrorCode, Request, Response, ResponseAssembler};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// C upsmon's `NET_TIMEOUT`: the longest wait for any network step.
pub const NET_TIMEOUT: Duration = Duration::from_secs(10);

/// Which address families to use (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// Any.
    #[default]
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// Why a request failed.
#[derive(Debug)]
pub enum SessionError {
    /// The connection is unusable (closed, timed out, garbage); it has been dropped.
    Transport(String),
    /// upsd answered `ERR`.
    Server(ErrorCode),
    /// upsd answered something else than expected.
    Unexpected(String),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "{e}"),
            Self::Server(code) => write!(f, "{}", code.description()),
            Self::Unexpected(r) => write!(f, "unexpected reply [{r}]"),
        }
    }
}

/// The result of one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// `ups.status` (and `ups.alarm` when the status holds ALARM).
    Status {
        /// The status text.
        status: String,
        /// The alarm text, if it was asked for and could be read.
        alarm: Option<String>,
    },
    /// The poll failed; `dropped` tells whether the connection is gone.
    Failed {
        /// Whether the connection was lost (then the decider hears `connection_dropped`).
        dropped: bool,
    },
    /// Connected, but logging in failed: nothing to report this round (as C).
    Skipped,
}

struct Conn {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
    assembler: ResponseAssembler,
}

/// One MONITOR line's connection.
pub struct UpsSession {
    monitor: Monitor,
    family: Family,
    tls_wanted: bool,
    conn: Option<Conn>,
}

impl std::fmt::Debug for UpsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpsSession")
            .field("system", &self.monitor.system.to_string())
            .field("connected", &self.conn.is_some())
            .finish()
    }
}

impl UpsSession {
    /// A session for `monitor` (not connected yet).
    pub fn new(monitor: Monitor, conf: &UpsmonConf, family: Family) -> Self {
        let host = monitor.system.host_or_default().to_owned();
        let tls_wanted = conf.forcessl
            || conf.certverify
            || conf
                .certhosts
                .iter()
                .any(|h| h.host == host && (h.forcessl || h.certverify));
        Self {
            monitor,
            family,
            tls_wanted,
            conn: None,
        }
    }

    /// The MONITOR line.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Closes the connection.
    pub fn disconnect(&mut self) {
        self.conn = None;
    }

    fn sys(&self) -> String {
        self.monitor.system.to_string()
    }

    fn ups(&self) -> UpsName {
        self.monitor.system.ups().clone()
    }

    async fn connect(&mut self) -> Result<(), String> {
        if self.tls_wanted {
            return Err("FORCESSL/CERTVERIFY are set, but this upsmon has no TLS support".into());
        }
        let host = self.monitor.system.host_or_default().to_owned();
        let port = self.monitor.system.port_or_default();
        let addrs =
            tokio::time::timeout(NET_TIMEOUT, tokio::net::lookup_host((host.as_str(), port)))
                .await
                .map_err(|_| format!("resolving {host} timed out"))?
                .map_err(|e| format!("can't resolve {host}: {e}"))?;
        let mut last = format!("no usable address for {host}");
        for addr in addrs {
            match self.family {
                Family::V4 if !addr.is_ipv4() => continue,
                Family::V6 if !addr.is_ipv6() => continue,
                _ => {}
            }
            match tokio::time::timeout(NET_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let (r, w) = stream.into_split();
                    self.conn = Some(Conn {
                        reader: BufReader::new(r),
                        writer: w,
                        assembler: ResponseAssembler::new(),
                    });
                    return Ok(());
                }
                Ok(Err(e)) => last = format!("Connection failure: {e}"),
                Err(_) => last = "Connection timed out".into(),
            }
        }
        Err(last)
    }

    /// Sends `request` and reads its reply. Transport problems drop the connection.
    async fn request(&mut self, request: &Request) -> Result<Response, SessionError> {
        let result = match self.conn.as_mut() {
            None => Err("not connected".to_owned()),
            Some(conn) => tokio::time::timeout(NET_TIMEOUT, exchange(conn, request))
                .await
                .unwrap_or_else(|_| Err("Read timeout".into())),
        };
        match result {
            Ok(Response::Err { code, .. }) => Err(SessionError::Server(code)),
            Ok(r) => Ok(r),
            Err(e) => {
                self.conn = None;
                Err(SessionError::Transport(e))
            }
        }
    }

    async fn expect_ok(&mut self, request: &Request) -> Result<(), SessionError> {
        match self.request(request).await? {
            Response::Ok
            | Response::OkPrimaryGranted
            | Response::OkMasterGranted
            | Response::OkFsdSet => Ok(()),
            other => Err(SessionError::Unexpected(
                other.to_string().trim_end().to_owned(),
            )),
        }
    }

    /// USERNAME, PASSWORD, LOGIN, and PRIMARY/MASTER for a primary.
    async fn authenticate(&mut self) -> Result<(), String> {
        let sys = self.sys();
        let username = Value::new(self.monitor.username.clone())
            .map_err(|e| format!("UPS [{sys}]: bad user name: {e}"))?;
        self.expect_ok(&Request::Username { username })
            .await
            .map_err(|e| format!("Set username on [{sys}] failed: {e}"))?;
        let password = self.monitor.password.clone();
        self.expect_ok(&Request::Password { password })
            .await
            .map_err(|e| format!("Set password on [{sys}] failed: {e}"))?;
        self.expect_ok(&Request::Login { ups: self.ups() })
            .await
            .map_err(|e| format!("Login on UPS [{sys}] failed: {e}"))?;
        tracing::info!("Logged into UPS {sys}");
        if self.monitor.role.is_primary() {
            let primary = self.expect_ok(&Request::Primary { ups: self.ups() }).await;
            if let Err(first) = primary {
                if matches!(first, SessionError::Transport(_)) {
                    return Err(format!("Can't set primary mode on UPS [{sys}] - {first}"));
                }
                self.expect_ok(&Request::Master { ups: self.ups() })
                    .await
                    .map_err(|e| {
                        format!("Primary managerial privileges unavailable on UPS [{sys}]: {e}")
                    })?;
            }
        }
        Ok(())
    }

    async fn get_var(&mut self, var: &str) -> Result<String, SessionError> {
        let var = VarName::new(var).map_err(|e| SessionError::Unexpected(e.to_string()))?;
        match self
            .request(&Request::GetVar {
                ups: self.ups(),
                var,
            })
            .await?
        {
            Response::Var { value, .. } => Ok(value.as_str().to_owned()),
            other => Err(SessionError::Unexpected(
                other.to_string().trim_end().to_owned(),
            )),
        }
    }

    /// One poll: connects (and logs in) when needed, then reads `ups.status` (and
    /// `ups.alarm` when the status says ALARM).
    pub async fn poll(&mut self) -> PollOutcome {
        let sys = self.sys();
        if self.conn.is_none() {
            tracing::debug!("Trying to connect to UPS [{sys}]");
            if let Err(e) = self.connect().await {
                tracing::error!("UPS [{sys}]: connect failed: {e}");
                return PollOutcome::Failed { dropped: false };
            }
            if let Err(e) = self.authenticate().await {
                tracing::error!("{e}");
                return if self.conn.is_some() {
                    PollOutcome::Skipped
                } else {
                    PollOutcome::Failed { dropped: true }
                };
            }
        }
        match self.get_var("ups.status").await {
            Ok(status) => {
                let alarm = if status
                    .split_ascii_whitespace()
                    .any(|w| w.eq_ignore_ascii_case("ALARM"))
                {
                    self.get_var("ups.alarm").await.ok()
                } else {
                    None
                };
                PollOutcome::Status { status, alarm }
            }
            Err(e) => {
                match &e {
                    SessionError::Server(ErrorCode::UnknownUps) => tracing::error!(
                        "Poll UPS [{sys}] failed - [{}] does not exist on server {}",
                        self.monitor.system.ups(),
                        self.monitor.system.host_or_default()
                    ),
                    _ => tracing::error!("Poll UPS [{sys}] failed - {e}"),
                }
                PollOutcome::Failed {
                    dropped: self.conn.is_none(),
                }
            }
        }
    }

    /// Sends `FSD` (the forced-shutdown flag) for this UPS.
    pub async fn set_fsd(&mut self) {
        let sys = self.sys();
        tracing::info!("Setting FSD on UPS {sys}");
        if let Err(e) = self.expect_ok(&Request::Fsd { ups: self.ups() }).await {
            tracing::error!("FSD set on UPS {sys} failed: {e}");
        }
    }

    /// `GET NUMLOGINS` for this UPS (`None` when it could not be read).
    pub async fn num_logins(&mut self) -> Option<u64> {
        match self
            .request(&Request::GetNumLogins { ups: self.ups() })
            .await
        {
            Ok(Response::NumLogins { count, .. }) => Some(count.into()),
            _ => None,
        }
    }
}

/// Writes one request and reads lines until a whole reply has arrived.
async fn exchange(conn: &mut Conn, request: &Request) -> Result<Response, String> {
    conn.writer
        .write_all(request.to_string().as_bytes())
        .await
        .map_err(|e| format!("Write error: {e}"))?;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut conn.reader)
            .take(64 * 1024)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| format!("Read error: {e}"))?;
        if n == 0 {
            return Err("Server disconnected".into());
        }
        if line.last() != Some(&b'\n') {
            return Err("reply line too long or cut short".into());
        }
        match conn.assembler.push_line(&line) {
            Ok(Some(response)) => return Ok(response),
            Ok(None) => {}
            Err(e) => return Err(format!("Protocol error: {e}")),
        }
    }
}
