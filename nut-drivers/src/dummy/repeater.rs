//! Repeater mode: dummy-ups mirrors a UPS served by another upsd (`port = ups@host[:port]`).
//!
//! Built on [`nut_client`]. Every poll lists the remote UPS's variables (`LIST VAR`) and
//! commands (`LIST CMD`), asks each variable's type (`GET TYPE`, and `LIST ENUM` /
//! `LIST RANGE` when the type says so; the requests are pipelined) and mirrors all of it:
//! values, the `RW` and `STRING`/`NUMBER` flags, the maximum length of strings, the accepted
//! values and ranges. Variables and commands that disappear from the remote UPS disappear
//! here too. `driver.*` variables and commands stay this driver's own.
//!
//! The connection tries `STARTTLS` first and goes on in plain text when the remote server
//! does not offer it (C's `UPSCLI_CONN_TRYSSL`; C does not verify the certificate, and
//! neither does this unless asked: a warning says so). The options `certverify` and
//! `certpath` (upsmon's `CERTVERIFY` and `CERTPATH`) require TLS and verify the remote
//! server's certificate, for the name `certname` (default: the host); a server whose
//! certificate fails is refused, never used in plain text. `forcessl` requires TLS without
//! verifying. When the connection fails, the runtime marks the data stale, closes the
//! driver and opens it again with a growing delay, so the mirror recovers when the remote
//! server is back.
//!
//! Unlike C dummy-ups, `SET` and `INSTCMD` are forwarded to the remote upsd: with the
//! `username` and `password` options the repeater authenticates first, and the remote
//! server's answer becomes the tracking result (`OK` → success, `ERR INVALID-VALUE`/
//! `TOO-LONG`/`READONLY`/`INVALID-ARGUMENT` → invalid, `ERR VAR-NOT-SUPPORTED`/
//! `CMD-NOT-SUPPORTED` → unknown, anything else → failed).

use std::collections::BTreeSet;
use std::io;
use std::time::Duration;

use futures_util::future::try_join_all;
use nut_client::proto::config::UpsAddress;
use nut_client::proto::names::{UpsName, VarName};
use nut_client::proto::net::{ErrorCode, RangeEntry, VarKind, VarType};
use nut_client::{Client, ClientConfig, Error, TlsConfig, TlsMode};

use nut_driver_api::driver::{CommandResult, DriverError};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::DeviceState;

/// How long the repeater waits for the remote server (connect and each reply).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to the remote upsd, re-made on demand, and what it mirrors.
#[derive(Debug)]
pub struct Repeater {
    address: UpsAddress,
    login: Option<(String, String)>,
    /// Whether TLS is tried or required.
    tls_mode: TlsMode,
    /// How the remote server's certificate is checked.
    tls: TlsConfig,
    client: Option<Client>,
    /// The variables and commands copied from the remote UPS (to drop the ones it drops).
    mirrored_vars: BTreeSet<String>,
    mirrored_cmds: BTreeSet<String>,
}

/// One variable of the remote UPS: its value and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteVar {
    /// The name.
    pub name: VarName,
    /// The value.
    pub value: String,
    /// The flags and kind from `GET TYPE`.
    pub var_type: VarType,
    /// The accepted values (`LIST ENUM`), in the remote driver's order.
    pub enums: Vec<String>,
    /// The accepted ranges (`LIST RANGE`).
    pub ranges: Vec<RangeEntry>,
}

/// What one poll of the remote UPS found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The variables, sorted by name as listed.
    pub vars: Vec<RemoteVar>,
    /// The instant commands.
    pub cmds: Vec<String>,
}

fn transport(msg: impl std::fmt::Display) -> DriverError {
    DriverError::Transport(io::Error::other(msg.to_string()))
}

/// The repeater's TLS options (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub struct RepeaterTls {
    /// `certpath`: CA certificates, a PEM file or a directory.
    pub certpath: Option<String>,
    /// `certverify`: require TLS and verify the certificate against `certpath`.
    pub certverify: bool,
    /// `certname`: the name the certificate must carry.
    pub certname: Option<String>,
    /// `forcessl`: require TLS.
    pub forcessl: bool,
}

impl Repeater {
    /// The same repeater with TLS options; a configuration that cannot work (verification
    /// without `certpath`, a `certpath` without certificates) is an error.
    pub fn with_tls(mut self, options: RepeaterTls) -> Result<Self, DriverError> {
        self.tls_mode = match options.certverify || options.forcessl {
            true => TlsMode::Required,
            false => TlsMode::Opportunistic,
        };
        self.tls = match (options.certverify, &options.certpath) {
            (false, _) => TlsConfig::insecure(),
            (true, None) => {
                return Err(DriverError::config(
                    "certverify is set, but no certpath names the CA certificates",
                ))
            }
            (true, Some(path)) => {
                let tls = TlsConfig::new()
                    .ca_path(path)
                    .map_err(|e| DriverError::config(format!("certpath {e}")))?;
                match &options.certname {
                    Some(name) => tls.server_name(name.as_str()),
                    None => tls,
                }
            }
        };
        if !options.certverify {
            tracing::warn!(
                "the remote server's certificate will not be verified (set certverify and certpath)"
            );
        }
        Ok(self)
    }

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
            tls_mode: TlsMode::Opportunistic,
            tls: TlsConfig::insecure(),
            client: None,
            mirrored_vars: BTreeSet::new(),
            mirrored_cmds: BTreeSet::new(),
        })
    }

    /// The remote UPS name.
    pub fn ups(&self) -> &UpsName {
        self.address.ups()
    }

    /// The client settings: opportunistic STARTTLS, C's timeouts, the credentials.
    fn client_config(&self) -> ClientConfig {
        let mut builder = ClientConfig::builder(self.address.host_or_default())
            .port(self.address.port_or_default())
            .connect_timeout(REPLY_TIMEOUT)
            .read_timeout(REPLY_TIMEOUT)
            .tls_mode(self.tls_mode)
            .tls(self.tls.clone());
        if let Some((user, pass)) = &self.login {
            builder = builder.credentials(user.as_str(), pass.as_str());
        }
        builder.build()
    }

    /// Connects (and authenticates, with credentials).
    pub async fn connect(&mut self) -> Result<(), DriverError> {
        self.client = None;
        let client = Client::connect(self.client_config())
            .await
            .map_err(|e| match e {
                Error::Server { code } => {
                    DriverError::config(format!("the remote server refused the login: {code}"))
                }
                Error::Config(msg) => DriverError::config(msg),
                e => transport(e),
            })?;
        tracing::debug!(ups = %self.address, tls = client.is_tls(), "connected to the remote server");
        self.client = Some(client);
        Ok(())
    }

    /// Drops the connection (the client says LOGOUT as it goes).
    pub async fn disconnect(&mut self) {
        self.client = None;
    }

    fn client(&self) -> Result<Client, DriverError> {
        self.client
            .clone()
            .ok_or_else(|| transport("not connected"))
    }

    /// Turns a client error into a driver error, dropping a connection that is gone.
    fn failed(&mut self, e: Error) -> DriverError {
        if e.is_transport() {
            self.client = None;
            return transport(e);
        }
        DriverError::device(format!("the remote server: {e}"))
    }

    /// Lists the remote UPS's variables (with their types) and commands.
    pub async fn poll(&mut self) -> Result<Snapshot, DriverError> {
        let client = self.client()?;
        let ups = self.ups().clone();
        match fetch(&client, &ups).await {
            Ok(snapshot) => Ok(snapshot),
            Err(e) => Err(self.failed(e)),
        }
    }

    /// Polls the remote UPS and mirrors what it found into `state`.
    pub async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let snapshot = self.poll().await?;
        self.apply(&snapshot, state);
        Ok(())
    }

    /// Mirrors `snapshot` into `state`: values, flags, lengths, enumerations, ranges and
    /// commands; what the remote UPS no longer has is removed.
    pub fn apply(&mut self, snapshot: &Snapshot, state: &mut DeviceState) {
        let mut seen = BTreeSet::new();
        for var in &snapshot.vars {
            let name = var.name.as_str();
            if is_driver_own(name) {
                continue;
            }
            if let Err(error) = state.set(name, &var.value) {
                tracing::debug!(name, %error, "can't mirror this variable");
                continue;
            }
            seen.insert(name.to_owned());
            mirror_type(state, var);
        }
        for gone in self.mirrored_vars.difference(&seen) {
            state.delete(gone);
        }
        self.mirrored_vars = seen;

        let mut seen = BTreeSet::new();
        for cmd in &snapshot.cmds {
            if is_driver_own(cmd) {
                continue;
            }
            if state.add_cmd(cmd).is_ok() {
                seen.insert(cmd.clone());
            }
        }
        for gone in self.mirrored_cmds.difference(&seen) {
            state.del_cmd(gone);
        }
        self.mirrored_cmds = seen;
    }

    /// Forwards a SET.
    pub async fn set_var(&mut self, var: &str, value: &str) -> CommandResult {
        let Some(client) = self.forwarding_client().await else {
            return TrackingStatus::Failed;
        };
        let result = client.set_var(self.ups(), var, value).await;
        self.outcome(result.map(drop))
    }

    /// Forwards an INSTCMD.
    pub async fn instcmd(&mut self, cmd: &str, param: Option<&str>) -> CommandResult {
        let Some(client) = self.forwarding_client().await else {
            return TrackingStatus::Failed;
        };
        let result = client.instcmd(self.ups(), cmd, param).await;
        self.outcome(result.map(drop))
    }

    async fn forwarding_client(&mut self) -> Option<Client> {
        if self.client.is_none() {
            if let Err(error) = self.connect().await {
                tracing::info!(%error, "can't forward the request");
                return None;
            }
        }
        self.client.clone()
    }

    fn outcome(&mut self, result: nut_client::Result<()>) -> CommandResult {
        match result {
            Ok(()) => TrackingStatus::Handled,
            Err(Error::Server { code }) => {
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
            Err(Error::InvalidArgument(_)) => TrackingStatus::Invalid,
            Err(e) => {
                tracing::info!(error = %e, "forwarding failed");
                if e.is_transport() {
                    self.client = None;
                }
                TrackingStatus::Failed
            }
        }
    }
}

/// `driver.*` names belong to the local driver, not to the mirrored UPS.
fn is_driver_own(name: &str) -> bool {
    name.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("driver."))
}

/// Everything about the remote UPS, requests pipelined.
async fn fetch(client: &Client, ups: &UpsName) -> nut_client::Result<Snapshot> {
    let (vars, cmds) = tokio::try_join!(client.list_vars(ups), client.list_cmds(ups))?;
    let vars = try_join_all(vars.into_iter().map(|entry| async move {
        let name = entry.name.as_str();
        let var_type = client.get_type(ups, name).await?;
        let (enums, ranges) = tokio::try_join!(
            async {
                match var_type.enumerated {
                    true => client.list_enum(ups, name).await,
                    false => Ok(Vec::new()),
                }
            },
            async {
                match var_type.range {
                    true => client.list_range(ups, name).await,
                    false => Ok(Vec::new()),
                }
            }
        )?;
        Ok::<_, Error>(RemoteVar {
            value: entry.value.as_str().to_owned(),
            name: entry.name,
            var_type,
            enums: enums.iter().map(|v| v.as_str().to_owned()).collect(),
            ranges,
        })
    }))
    .await?;
    Ok(Snapshot {
        vars,
        cmds: cmds.iter().map(|c| c.as_str().to_owned()).collect(),
    })
}

/// Gives the local variable the remote one's flags, length, enumeration and ranges.
fn mirror_type(state: &mut DeviceState, var: &RemoteVar) {
    let name = var.name.as_str();
    let t = &var.var_type;
    let (string, number, len) = match t.kind {
        Some(VarKind::String { max_len }) => (true, false, max_len),
        Some(VarKind::Number) => (false, true, 0),
        None => (false, false, 0),
    };
    state.set_flags(name, t.rw, string, number);
    if len > 0 || state.get(name).is_some_and(|v| v.aux() != 0) {
        state.set_aux(name, len);
    }
    let Some(local) = state.get(name) else {
        return;
    };
    let same_enums = local
        .enums()
        .iter()
        .map(|v| v.as_str())
        .eq(var.enums.iter().map(String::as_str));
    let ranges: Vec<(i32, i32)> = var
        .ranges
        .iter()
        .map(|r| (clamp(r.min), clamp(r.max)))
        .collect();
    let same_ranges = local.ranges() == ranges.as_slice();
    let old_enums: Vec<String> = local
        .enums()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let old_ranges = local.ranges().to_vec();
    if !same_enums {
        for old in &old_enums {
            let _ = state.del_enum(name, old);
        }
        for value in &var.enums {
            let _ = state.add_enum(name, value);
        }
    }
    if !same_ranges {
        for (min, max) in old_ranges {
            state.del_range(name, min, max);
        }
        for &(min, max) in &ranges {
            state.add_range(name, min, max);
        }
    }
}

fn clamp(n: i64) -> i32 {
    n.clamp(i32::MIN.into(), i32::MAX.into()) as i32
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

    fn var(
        name: &str,
        value: &str,
        var_type: VarType,
        enums: &[&str],
        ranges: &[(i64, i64)],
    ) -> RemoteVar {
        RemoteVar {
            name: VarName::new(name).unwrap(),
            value: value.into(),
            var_type,
            enums: enums.iter().map(|s| s.to_string()).collect(),
            ranges: ranges
                .iter()
                .map(|&(min, max)| RangeEntry { min, max })
                .collect(),
        }
    }

    #[test]
    fn mirrors_types_and_drops_what_vanished() {
        let mut r = Repeater::new("ups@host", None).unwrap();
        let mut state = DeviceState::new();
        let string_rw = VarType {
            rw: true,
            enumerated: true,
            kind: Some(VarKind::String { max_len: 10 }),
            ..VarType::default()
        };
        let ranged = VarType {
            rw: true,
            range: true,
            kind: Some(VarKind::Number),
            ..VarType::default()
        };
        let first = Snapshot {
            vars: vec![
                var("driver.name", "remote", VarType::default(), &[], &[]),
                var(
                    "input.transfer.high",
                    "250",
                    ranged,
                    &[],
                    &[(240, 260), (300, 9_000_000_000)],
                ),
                var("ups.beeper", "on", string_rw, &["on", "off"], &[]),
                var(
                    "ups.load",
                    "23",
                    VarType {
                        kind: Some(VarKind::Number),
                        ..VarType::default()
                    },
                    &[],
                    &[],
                ),
            ],
            cmds: vec!["beeper.on".into(), "driver.reload".into()],
        };
        r.apply(&first, &mut state);
        assert_eq!(state.get("driver.name"), None);
        let beeper = state.get("ups.beeper").unwrap();
        assert!(beeper.is_writable() && beeper.is_string());
        assert_eq!(beeper.aux(), 10);
        let enums: Vec<_> = beeper.enums().iter().map(|v| v.as_str()).collect();
        assert_eq!(enums, ["on", "off"]);
        let high = state.get("input.transfer.high").unwrap();
        assert!(high.is_writable() && !high.is_string());
        assert_eq!(high.ranges(), [(240, 260), (300, i32::MAX)]);
        assert!(!state.get("ups.load").unwrap().is_writable());
        assert!(state.has_cmd("beeper.on") && !state.has_cmd("driver.reload"));

        // The remote driver drops a variable, a command and an enum value.
        let second = Snapshot {
            vars: vec![var("ups.beeper", "off", string_rw, &["off"], &[])],
            cmds: vec![],
        };
        r.apply(&second, &mut state);
        assert_eq!(state.value("ups.beeper"), Some("off"));
        let enums: Vec<_> = state
            .get("ups.beeper")
            .unwrap()
            .enums()
            .iter()
            .map(|v| v.as_str())
            .collect();
        assert_eq!(enums, ["off"]);
        assert!(state.get("ups.load").is_none() && state.get("input.transfer.high").is_none());
        assert!(!state.has_cmd("beeper.on"));
    }
}
