//! upsmon's connection to one MONITORed UPS: connect (with STARTTLS as upsmon.conf says),
//! USERNAME/PASSWORD, LOGIN, PRIMARY (falling back to MASTER), then `GET VAR ups.status`
//! every poll, `FSD` and `GET NUMLOGINS` during a shutdown.
//!
//! Built on [`nut_client::Client`] without its automatic reconnect: upsmon decides itself
//! when to connect again (at the next poll), and every step is bounded by C's 10-second
//! network timeout.
//!
//! # TLS
//!
//! As C upsmon, every connection first tries `STARTTLS` and goes on in plain text when the
//! server does not offer it. The settings for a server are its `CERTHOST` line when there
//! is one for the MONITOR line's host, else the global `CERTVERIFY` and `FORCESSL`:
//!
//! * `FORCESSL 1`: a server without TLS is refused (no connection; COMMBAD/NOCOMM follow).
//! * `CERTVERIFY 1`: the server's certificate must chain to a CA from `CERTPATH` and carry
//!   the CERTHOST line's certificate name (without a CERTHOST line: the host name of the
//!   MONITOR line). A server without TLS is refused too, as C does.
//! * Otherwise the certificate is not checked (encryption against passive listeners only).
//!
//! `CERTPATH` names either a directory or a file. A directory is read as OpenSSL's CA path
//! (what C's OpenSSL build passes to `SSL_CTX_load_verify_locations`): every regular file
//! in it that holds PEM certificates is trusted, whatever its name (hashed `xxxxxxxx.0`
//! links and `*.pem`/`*.crt` files alike); files without certificates are skipped. A file
//! is read as a PEM CA bundle. (C's NSS build takes a certificate database there instead;
//! that format is not supported.) `CERTFILE` (newer C), a PEM file with a client
//! certificate and its key, is presented when the server asks for one.

use std::path::Path;
use std::time::Duration;

use crate::{Client, ClientConfig, Connector, Error, TlsConfig, TlsMode};
use nut_proto::config::{Monitor, UpsmonConf};
use nut_proto::names::UpsName;
use nut_proto::net::ErrorCode;

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
#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome {
    /// `ups.status` (and `ups.alarm` when the status holds ALARM).
    Status {
        /// The status text.
        status: String,
        /// The alarm text, if it was asked for and could be read.
        alarm: Option<String>,
        /// `battery.charge`, if it was asked for and could be read as a number.
        charge: Option<f64>,
        /// `battery.runtime`, if it was asked for and could be read as a number.
        runtime: Option<f64>,
    },
    /// The poll failed; `dropped` tells whether the connection is gone.
    Failed {
        /// Whether the connection was lost (then the decider hears `connection_dropped`).
        dropped: bool,
    },
    /// Connected, but logging in failed: nothing to report this round (as C).
    Skipped,
}

/// The TLS settings for one server, worked out from upsmon.conf.
#[derive(Debug, Clone)]
struct TlsPlan {
    mode: TlsMode,
    /// The rustls settings, or why they cannot be made (then no connection is attempted).
    config: Result<TlsConfig, String>,
}

impl TlsPlan {
    fn new(conf: &UpsmonConf, host: &str) -> Self {
        let certhost = conf.certhosts.iter().find(|h| h.host == host);
        let (verify, force) = match certhost {
            Some(h) => (h.certverify, h.forcessl),
            None => (conf.certverify, conf.forcessl),
        };
        let mode = match verify || force {
            true => TlsMode::Required,
            false => TlsMode::Opportunistic,
        };
        let name = certhost.map_or(host, |h| h.certname.as_str());
        let config = match verify {
            false => Ok(TlsConfig::insecure()),
            true => match conf.certpath.as_deref() {
                None => Err("CERTVERIFY is set, but no CERTPATH names the CA certificates".into()),
                Some(path) => trust(TlsConfig::new(), Path::new(path)),
            },
        };
        let config = config.map(|tls| {
            let tls = tls.server_name(name);
            match &conf.certfile {
                Some(file) => tls.client_cert(file, file),
                None => tls,
            }
        });
        Self { mode, config }
    }
}

/// Adds the CA certificates at `path` (a CA directory or a PEM file) to `tls`.
fn trust(tls: TlsConfig, path: &Path) -> Result<TlsConfig, String> {
    tls.ca_path(path).map_err(|e| format!("CERTPATH {e}"))
}

/// One MONITOR line's connection.
pub struct UpsSession {
    monitor: Monitor,
    family: Family,
    tls: TlsPlan,
    connector: Option<Connector>,
    client: Option<Client>,
}

impl std::fmt::Debug for UpsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpsSession")
            .field("system", &self.monitor.system.to_string())
            .field("tls", &self.tls.mode)
            .field("connected", &self.client.is_some())
            .finish()
    }
}

impl UpsSession {
    /// A session for `monitor` (not connected yet), with the TLS settings `conf` gives for
    /// its host.
    pub fn new(monitor: Monitor, conf: &UpsmonConf, family: Family) -> Self {
        let tls = TlsPlan::new(conf, monitor.system.host_or_default());
        Self {
            monitor,
            family,
            tls,
            connector: None,
            client: None,
        }
    }

    /// Opens the connections with `connector` instead of TCP (then the address family is
    /// the connector's business).
    pub fn set_connector(&mut self, connector: Option<Connector>) {
        self.connector = connector;
    }

    /// The MONITOR line.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.client.is_some()
    }

    /// Whether the open connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.client.as_ref().is_some_and(Client::is_tls)
    }

    /// Closes the connection.
    pub fn disconnect(&mut self) {
        self.client = None;
    }

    fn sys(&self) -> String {
        self.monitor.system.to_string()
    }

    fn ups(&self) -> &UpsName {
        self.monitor.system.ups()
    }

    fn config(&self, host: &str, tls: TlsConfig) -> ClientConfig {
        let builder = ClientConfig::builder(host)
            .port(self.monitor.system.port_or_default())
            .connect_timeout(NET_TIMEOUT)
            .read_timeout(NET_TIMEOUT)
            .tls_mode(self.tls.mode)
            .tls(tls);
        match &self.connector {
            Some(connector) => builder.connector(connector.clone()).build(),
            None => builder.build(),
        }
    }

    async fn connect(&mut self) -> Result<(), String> {
        let tls = self.tls.config.clone()?;
        let host = self.monitor.system.host_or_default().to_owned();
        let family = match self.connector {
            Some(_) => Family::Any,
            None => self.family,
        };
        let client = match family {
            Family::Any => Client::connect(self.config(&host, tls))
                .await
                .map_err(|e| connect_error(&host, &e))?,
            family => {
                // Resolve here to keep one family; the certificate name stays the host's.
                let port = self.monitor.system.port_or_default();
                let addrs = tokio::time::timeout(
                    NET_TIMEOUT,
                    tokio::net::lookup_host((host.as_str(), port)),
                )
                .await
                .map_err(|_| format!("resolving {host} timed out"))?
                .map_err(|e| format!("can't resolve {host}: {e}"))?;
                let mut last = format!("no usable address for {host}");
                let mut found = None;
                for addr in addrs {
                    if (family == Family::V4) != addr.is_ipv4() {
                        continue;
                    }
                    let ip = addr.ip().to_string();
                    match Client::connect(self.config(&ip, tls.clone())).await {
                        Ok(c) => {
                            found = Some(c);
                            break;
                        }
                        Err(e) => last = connect_error(&host, &e),
                    }
                }
                found.ok_or(last)?
            }
        };
        tracing::debug!(
            "Connected to UPS [{}]{}",
            self.sys(),
            if client.is_tls() { " over TLS" } else { "" }
        );
        self.client = Some(client);
        Ok(())
    }

    /// Turns a client error into a [`SessionError`], dropping the connection when it is
    /// gone.
    fn fail(&mut self, e: Error) -> SessionError {
        match e {
            Error::Server { code } => SessionError::Server(code),
            e if e.is_transport() => {
                self.client = None;
                SessionError::Transport(e.to_string())
            }
            e => SessionError::Unexpected(e.to_string()),
        }
    }

    fn client(&self) -> Result<Client, SessionError> {
        self.client
            .clone()
            .ok_or_else(|| SessionError::Transport("not connected".into()))
    }

    /// USERNAME, PASSWORD, LOGIN, and PRIMARY/MASTER for a primary.
    async fn authenticate(&mut self) -> Result<(), String> {
        let sys = self.sys();
        let client = self.client().map_err(|e| e.to_string())?;
        let ups = self.ups().clone();
        let r = client.username(&self.monitor.username).await;
        r.map_err(|e| format!("Set username on [{sys}] failed: {}", self.fail(e)))?;
        let r = client.password(self.monitor.password.expose()).await;
        r.map_err(|e| format!("Set password on [{sys}] failed: {}", self.fail(e)))?;
        let r = client.login(&ups).await;
        r.map_err(|e| format!("Login on UPS [{sys}] failed: {}", self.fail(e)))?;
        tracing::info!("Logged into UPS {sys}");
        if self.monitor.role.is_primary() {
            // `primary` falls back to MASTER for servers that do not know PRIMARY.
            if let Err(e) = client.primary(&ups).await {
                let e = self.fail(e);
                return Err(match e {
                    SessionError::Transport(_) => {
                        format!("Can't set primary mode on UPS [{sys}] - {e}")
                    }
                    _ => format!("Primary managerial privileges unavailable on UPS [{sys}]: {e}"),
                });
            }
        }
        Ok(())
    }

    async fn get_var(&mut self, var: &str) -> Result<String, SessionError> {
        let client = self.client()?;
        match client.get_var(self.ups(), var).await {
            Ok(value) => Ok(value.into_string()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// One poll: connects (and logs in) when needed, then reads `ups.status` (and
    /// `ups.alarm` when the status says ALARM). With `battery`, a status that says OB is
    /// followed by reading `battery.charge` and `battery.runtime` (for nut-rs shutdown
    /// limits; C upsmon never asks for them).
    pub async fn poll(&mut self, battery: bool) -> PollOutcome {
        let sys = self.sys();
        if self.client.is_none() {
            tracing::debug!("Trying to connect to UPS [{sys}]");
            if let Err(e) = self.connect().await {
                tracing::error!("UPS [{sys}]: connect failed: {e}");
                return PollOutcome::Failed { dropped: false };
            }
            if let Err(e) = self.authenticate().await {
                tracing::error!("{e}");
                return if self.client.is_some() {
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
                let (mut charge, mut runtime) = (None, None);
                if battery && status.split_ascii_whitespace().any(|w| w == "OB") {
                    charge = self.get_number("battery.charge").await;
                    runtime = self.get_number("battery.runtime").await;
                }
                PollOutcome::Status {
                    status,
                    alarm,
                    charge,
                    runtime,
                }
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
                    dropped: self.client.is_none(),
                }
            }
        }
    }

    async fn get_number(&mut self, var: &str) -> Option<f64> {
        self.get_var(var).await.ok()?.trim().parse().ok()
    }

    /// Sends `FSD` (the forced-shutdown flag) for this UPS.
    pub async fn set_fsd(&mut self) {
        let sys = self.sys();
        tracing::info!("Setting FSD on UPS {sys}");
        let result = match self.client() {
            Ok(client) => client.fsd(self.ups()).await.map_err(|e| self.fail(e)),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::error!("FSD set on UPS {sys} failed: {e}");
        }
    }

    /// `GET NUMLOGINS` for this UPS (`None` when it could not be read).
    pub async fn num_logins(&mut self) -> Option<u64> {
        let client = self.client().ok()?;
        match client.get_num_logins(self.ups()).await {
            Ok(count) => Some(count.into()),
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }
}

/// C's wording for a failed connection, with the reason.
fn connect_error(host: &str, e: &Error) -> String {
    match e {
        Error::TlsUnavailable(_) => {
            format!("Can not connect to {host} in SSL, disconnect ({e})")
        }
        Error::Tls(_) => format!("SSL handshake with {host} failed: {e}"),
        e if e.is_timeout() => format!("Connection timed out: {e}"),
        e => format!("Connection failure: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nut_proto::config::CertHost;

    fn conf() -> UpsmonConf {
        UpsmonConf::default()
    }

    #[test]
    fn opportunistic_unverified_by_default() {
        let plan = TlsPlan::new(&conf(), "h");
        assert_eq!(plan.mode, TlsMode::Opportunistic);
        assert!(!plan.config.unwrap().verify);
    }

    #[test]
    fn forcessl_requires_tls() {
        let mut c = conf();
        c.forcessl = true;
        let plan = TlsPlan::new(&c, "h");
        assert_eq!(plan.mode, TlsMode::Required);
        assert!(!plan.config.unwrap().verify);
    }

    #[test]
    fn certverify_needs_certpath() {
        let mut c = conf();
        c.certverify = true;
        let plan = TlsPlan::new(&c, "h");
        assert_eq!(plan.mode, TlsMode::Required);
        assert!(plan.config.unwrap_err().contains("CERTPATH"));
        c.certpath = Some("/nonexistent/ca".into());
        assert!(TlsPlan::new(&c, "h").config.is_err());
    }

    #[test]
    fn certhost_overrides_and_names_the_certificate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("key.pem"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
        let mut c = conf();
        c.certpath = Some(dir.path().display().to_string());
        c.certhosts
            .push(CertHost::new("h", "ups.example.net", true, true));
        c.certhosts.push(CertHost::new("other", "x", false, false));
        // No certificate in the directory yet.
        assert!(TlsPlan::new(&c, "h").config.is_err());
        std::fs::write(
            dir.path().join("ab12cd34.0"),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let plan = TlsPlan::new(&c, "h");
        assert_eq!(plan.mode, TlsMode::Required);
        let tls = plan.config.unwrap();
        assert!(tls.verify);
        assert_eq!(tls.ca_pem.len(), 1);
        assert_eq!(tls.server_name.as_deref(), Some("ups.example.net"));
        // A CERTHOST line without verification wins over a global CERTVERIFY.
        c.certverify = true;
        let plan = TlsPlan::new(&c, "other");
        assert_eq!(plan.mode, TlsMode::Opportunistic);
        assert!(!plan.config.unwrap().verify);
        // No CERTHOST line: the global setting and the MONITOR host name.
        let tls = TlsPlan::new(&c, "third").config.unwrap();
        assert!(tls.verify);
        assert_eq!(tls.server_name.as_deref(), Some("third"));
    }
}
