//! [`ClientConfig`]: where to connect and how (timeouts, TLS, credentials, reconnect).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use nut_proto::net::DEFAULT_PORT;
use nut_proto::secret::Secret;

use crate::transport::Connector;

/// Whether and how to use TLS (`STARTTLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsMode {
    /// Plain TCP; never send STARTTLS (C's clients without flags: `upscmd`, `upsrw`).
    #[default]
    Disabled,
    /// Send STARTTLS; when the server does not offer it, go on in plain text (C's
    /// `UPSCLI_CONN_TRYSSL`, used by `upsc` and `upslog`). A failed handshake is an error.
    Opportunistic,
    /// Send STARTTLS and fail when the server does not offer it (C's `FORCESSL`).
    Required,
}

/// TLS settings: trust anchors, the expected name and an optional client certificate.
///
/// Certificates are verified unless [`verify`](Self::verify) is turned off, which mirrors
/// C's `CERTVERIFY 0` and protects against eavesdroppers only, not against impostors.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct TlsConfig {
    /// PEM files with the certificates to trust (CAs or the server's own certificate).
    pub ca_files: Vec<PathBuf>,
    /// PEM text with certificates to trust, in addition to `ca_files`.
    pub ca_pem: Vec<Vec<u8>>,
    /// The name the server's certificate must carry; by default the host connected to.
    pub server_name: Option<String>,
    /// A client certificate chain and its private key, both PEM, for servers that ask.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Whether to verify the server's certificate (default `true` with [`TlsConfig::new`]).
    pub verify: bool,
}

impl TlsConfig {
    /// Verification on, nothing trusted yet: add a CA with [`ca_file`](Self::ca_file).
    pub fn new() -> Self {
        Self {
            verify: true,
            ..Self::default()
        }
    }

    /// No verification at all (C's `CERTVERIFY 0`): encryption against passive listeners.
    pub fn insecure() -> Self {
        Self::default()
    }

    /// Trusts the certificates in the PEM file at `path`.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// Trusts the CA certificates at `path`, as C's `CERTPATH`: a PEM file, or a directory
    /// whose files holding PEM certificates are all read (OpenSSL's CA path). An error names
    /// a path that does not exist, cannot be read, or holds no certificate.
    pub fn ca_path(self, path: impl AsRef<std::path::Path>) -> Result<Self, String> {
        let path = path.as_ref();
        if !path.is_dir() {
            return match path.is_file() {
                true => Ok(self.ca_file(path)),
                false => Err(format!("{} does not exist", path.display())),
            };
        }
        let entries =
            std::fs::read_dir(path).map_err(|e| format!("can't read {}: {e}", path.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut tls = self;
        let mut found = false;
        for file in files {
            let Ok(pem) = std::fs::read(&file) else {
                continue;
            };
            let marker = b"-----BEGIN CERTIFICATE-----";
            if pem.windows(marker.len()).any(|w| w == marker) {
                tls = tls.ca_pem(pem);
                found = true;
            }
        }
        match found {
            true => Ok(tls),
            false => Err(format!("{} holds no PEM certificate", path.display())),
        }
    }

    /// Trusts the certificates in `pem`.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem.push(pem.into());
        self
    }

    /// Expects the server's certificate to be issued to `name` (C's `CERTHOST` name).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Presents this certificate chain and key (PEM files) when the server asks.
    pub fn client_cert(mut self, chain: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_cert = Some((chain.into(), key.into()));
        self
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca_files", &self.ca_files)
            .field("ca_pem", &self.ca_pem.len())
            .field("server_name", &self.server_name)
            .field("client_cert", &self.client_cert)
            .field("verify", &self.verify)
            .finish()
    }
}

/// How to reconnect after the connection is lost: exponential backoff between attempts.
///
/// On reconnect the client replays the session: STARTTLS, USERNAME, PASSWORD, every LOGIN
/// and PRIMARY that succeeded, and `SET TRACKING ON`. A request that was under way when the
/// connection broke fails; GET and LIST requests are retried once on the new connection,
/// SET, INSTCMD and the other commands are not (they may have reached the device).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconnectPolicy {
    /// Delay before the second attempt (the first is immediate).
    pub initial_delay: Duration,
    /// Largest delay between attempts.
    pub max_delay: Duration,
    /// Attempts per reconnection before the request fails (`None`: keep trying).
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_attempts: Some(5),
        }
    }
}

impl ReconnectPolicy {
    /// A policy: first retry after `initial_delay`, doubling up to `max_delay`, at most
    /// `max_attempts` attempts per reconnection (`None`: forever).
    pub fn new(initial_delay: Duration, max_delay: Duration, max_attempts: Option<u32>) -> Self {
        Self {
            initial_delay,
            max_delay,
            max_attempts,
        }
    }

    /// The delay before attempt `attempt` (0-based; attempt 0 is immediate).
    pub fn delay(&self, attempt: u32) -> Duration {
        if attempt == 0 {
            return Duration::ZERO;
        }
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.initial_delay
            .saturating_mul(factor)
            .min(self.max_delay)
    }
}

/// Everything [`Client::connect`](crate::Client::connect) needs. Build one with
/// [`ClientConfig::builder`].
///
/// ```
/// use std::time::Duration;
/// use nut_client::{ClientConfig, TlsMode};
///
/// let config = ClientConfig::builder("ups.example.net")
///     .port(3493)
///     .read_timeout(Duration::from_secs(5))
///     .credentials("monuser", "secret")
///     .tls_mode(TlsMode::Opportunistic)
///     .build();
/// assert_eq!(config.port, 3493);
/// assert!(!format!("{config:?}").contains("secret"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Host name or address of upsd.
    pub host: String,
    /// TCP port (default 3493).
    pub port: u16,
    /// Longest time to establish the TCP connection (default 10 s).
    pub connect_timeout: Duration,
    /// Longest time to wait for the next reply line while a request is outstanding
    /// (default 10 s; `None`: wait forever). On expiry the connection is closed.
    pub read_timeout: Option<Duration>,
    /// Whether to use STARTTLS.
    pub tls_mode: TlsMode,
    /// TLS settings (used when `tls_mode` is not [`TlsMode::Disabled`]).
    pub tls: TlsConfig,
    /// USERNAME and PASSWORD sent right after connecting.
    pub credentials: Option<(String, Secret)>,
    /// Reconnect automatically (default: no).
    pub reconnect: Option<ReconnectPolicy>,
    /// Opens the byte stream instead of connecting by TCP to `host:port` (default: none,
    /// TCP).
    pub connector: Option<Connector>,
}

impl ClientConfig {
    /// A builder for a connection to `host` with the defaults.
    pub fn builder(host: impl Into<String>) -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: Self {
                host: host.into(),
                port: DEFAULT_PORT,
                connect_timeout: Duration::from_secs(10),
                read_timeout: Some(Duration::from_secs(10)),
                tls_mode: TlsMode::Disabled,
                tls: TlsConfig::new(),
                credentials: None,
                reconnect: None,
                connector: None,
            },
        }
    }

    /// The defaults for `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self::builder(host).port(port).build()
    }

    /// A builder for the server of a `ups[@host[:port]]` address: its host (or `localhost`)
    /// and its port (or 3493), as C's clients read such an address.
    ///
    /// ```
    /// use nut_client::ClientConfig;
    ///
    /// let address = "myups@[::1]:3494".parse().unwrap();
    /// let config = ClientConfig::for_address(&address).build();
    /// assert_eq!((config.host.as_str(), config.port), ("::1", 3494));
    /// ```
    pub fn for_address(address: &nut_proto::config::UpsAddress) -> ClientConfigBuilder {
        Self::builder(address.host_or_default()).port(address.port_or_default())
    }
}

/// Builder of [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
}

impl ClientConfigBuilder {
    /// The TCP port.
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The read timeout (see [`ClientConfig::read_timeout`]).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = Some(timeout);
        self
    }

    /// Waits for replies forever.
    pub fn no_read_timeout(mut self) -> Self {
        self.config.read_timeout = None;
        self
    }

    /// The TLS mode.
    pub fn tls_mode(mut self, mode: TlsMode) -> Self {
        self.config.tls_mode = mode;
        self
    }

    /// The TLS settings; also turns TLS to [`TlsMode::Required`] if it was disabled.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.tls = tls;
        if self.config.tls_mode == TlsMode::Disabled {
            self.config.tls_mode = TlsMode::Required;
        }
        self
    }

    /// USERNAME and PASSWORD to send after connecting.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.config.credentials = Some((username.into(), Secret::new(password.into())));
        self
    }

    /// Reconnect automatically with `policy`.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.config.reconnect = Some(policy);
        self
    }

    /// Opens the byte stream with `connector` instead of TCP (an in-memory pipe, a Unix
    /// socket, a tunnel).
    pub fn connector(mut self, connector: Connector) -> Self {
        self.config.connector = Some(connector);
        self
    }

    /// The configuration.
    pub fn build(self) -> ClientConfig {
        self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = ReconnectPolicy {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            max_attempts: None,
        };
        let delays: Vec<_> = (0..6).map(|a| p.delay(a).as_secs()).collect();
        assert_eq!(delays, [0, 1, 2, 4, 5, 5]);
        assert_eq!(p.delay(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn tls_turns_tls_on() {
        let c = ClientConfig::builder("h")
            .tls(TlsConfig::insecure())
            .build();
        assert_eq!(c.tls_mode, TlsMode::Required);
        assert!(!c.tls.verify);
        let c = ClientConfig::builder("h")
            .tls_mode(TlsMode::Opportunistic)
            .tls(TlsConfig::new())
            .build();
        assert_eq!(c.tls_mode, TlsMode::Opportunistic);
    }
}
