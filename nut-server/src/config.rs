//! What a server serves: its devices, users, listen addresses and limits
//! ([`ServerConfig`]), built in code or read from C NUT's files ([`ServerConfig::load`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use nut_driver_api::link::DriverEndpoint;
use nut_proto::cmdvartab::{self, Cmdvartab};
use nut_proto::config::{
    CertRequest, ConfigError, ConfigWarning, Listen, MqttConf, UpsConf, UpsdConf, UpsdUser,
    UpsdUsers, DEFAULT_MAXAGE, DEFAULT_TRACKINGDELAY,
};
use nut_proto::names::UpsName;
use nut_proto::sock::socket_name;

use crate::tls::TlsSettings;
use crate::ServerError;

/// The default configuration directory (`$NUT_CONFPATH` overrides it).
pub const DEFAULT_CONFPATH: &str = nut_proto::paths::CONFPATH;
/// The default state directory, where the drivers' sockets are (`$NUT_STATEPATH` or
/// `STATEPATH` override it).
pub const DEFAULT_STATEPATH: &str = nut_proto::paths::STATEPATH;
/// How long a client may stay silent before it is dropped (C upsd: 60 s).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server waits between attempts to reach a driver that is not connected.
pub const DEFAULT_RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// The version upsd reports (`VER`, `server.version`): the C NUT release this is a drop-in for.
pub const UPS_VERSION: &str = "2.8.0";

/// One device the server serves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeviceConfig {
    /// The name clients use (a `[section]` of ups.conf).
    pub name: UpsName,
    /// The `desc` of ups.conf.
    pub desc: Option<String>,
    /// Where its driver is.
    pub endpoint: DriverEndpoint,
}

impl DeviceConfig {
    /// A device without a description.
    pub fn new(name: UpsName, endpoint: DriverEndpoint) -> Self {
        Self {
            name,
            desc: None,
            endpoint,
        }
    }

    /// Sets the description.
    pub fn with_desc(mut self, desc: impl Into<String>) -> Self {
        self.desc = Some(desc.into());
        self
    }
}

/// Everything a server needs besides its sockets. Replace it at run time with
/// [`ServerHandle::reload`](crate::ServerHandle::reload).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The devices, in ups.conf order (LIST UPS keeps it).
    pub devices: Vec<DeviceConfig>,
    /// upsd.users.
    pub users: UpsdUsers,
    /// Addresses to listen on (`LISTEN`), in the order they are bound; names are resolved
    /// and the first address that binds is used, as C does. [`ServerConfig::load`] gives
    /// upsd.conf's lines last first, the order in which C upsd binds them. Listeners handed
    /// in by the caller come in addition.
    pub listen: Vec<Listen>,
    /// Start even when some `LISTEN` address cannot be bound: it is logged (`not listening
    /// on <address> port <port>`) and left out, and only when none at all can be bound does
    /// the start fail, as with C upsd 2.8.0. Off by default (every address must bind);
    /// [`ServerConfig::load`] turns it on, whatever upsd.conf's `ALLOW_NOT_ALL_LISTENERS`
    /// (NUT 2.8.2+) says.
    pub allow_not_all_listeners: bool,
    /// `MAXAGE`: a driver silent this long has stale data.
    pub maxage: Duration,
    /// `TRACKINGDELAY`: how long tracking results are kept.
    pub tracking_delay: Duration,
    /// `MAXCONN`: the most client connections served at once (`None`: no limit). Further
    /// connections wait in the listen backlog.
    pub maxconn: Option<usize>,
    /// Clients silent this long are dropped (C: 60 s).
    pub idle_timeout: Duration,
    /// The delay between attempts to reach a driver.
    pub reconnect_delay: Duration,
    /// Descriptions for GET DESC / GET CMDDESC.
    pub cmdvartab: Arc<Cmdvartab>,
    /// STARTTLS settings; `None`: `ERR FEATURE-NOT-CONFIGURED`.
    pub tls: Option<TlsSettings>,
    /// The version reported by VER and `server.version`.
    pub version: String,
    /// `HTTP_LISTEN`: addresses (with ports) where the HTTP service (web pages, metrics,
    /// JSON API, events) is served; empty: none. Needs the `http` feature; without it they
    /// are ignored with a warning. Bound at start; changes apply at the next start.
    pub http_listen: Vec<Listen>,
    /// The `MQTT_*` settings: with `MQTT_BROKER`, upsd publishes its devices to that
    /// broker (Home Assistant discovery included). Needs the `mqtt` feature; without it they
    /// are ignored with a warning. Read at start; changes apply at the next start.
    pub mqtt: MqttConf,
    /// `MDNS_ANNOUNCE`: announce the server and its devices over mDNS/DNS-SD (`_nut._tcp`
    /// and `_upsd._tcp`, see the README). Off by default. Needs the `mdns` feature; without
    /// it the setting is ignored with a warning.
    pub mdns_announce: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            devices: Vec::new(),
            users: UpsdUsers::default(),
            listen: Vec::new(),
            allow_not_all_listeners: false,
            maxage: Duration::from_secs(DEFAULT_MAXAGE.into()),
            tracking_delay: Duration::from_secs(DEFAULT_TRACKINGDELAY.into()),
            maxconn: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            reconnect_delay: DEFAULT_RECONNECT_DELAY,
            cmdvartab: Arc::new(Cmdvartab::new()),
            tls: None,
            version: UPS_VERSION.to_owned(),
            http_listen: Vec::new(),
            mqtt: MqttConf::default(),
            mdns_announce: false,
        }
    }
}

/// Where [`ServerConfig::load`] reads from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConfigPaths {
    /// The directory of upsd.conf, upsd.users and ups.conf.
    pub confpath: PathBuf,
    /// Overrides `STATEPATH` (what `$NUT_STATEPATH` does).
    pub statepath: Option<PathBuf>,
    /// Overrides `DATAPATH` (what `$NUT_DATAPATH` does).
    pub datapath: Option<PathBuf>,
}

impl ConfigPaths {
    /// Files in `confpath`, no overrides.
    pub fn new(confpath: impl Into<PathBuf>) -> Self {
        Self {
            confpath: confpath.into(),
            statepath: None,
            datapath: None,
        }
    }

    /// The paths C upsd uses: `$NUT_CONFPATH` (default `/etc/nut`), `$NUT_STATEPATH`,
    /// `$NUT_DATAPATH`.
    pub fn from_env() -> Self {
        use nut_proto::paths::{confpath, env_path, STATEPATH_ENV};
        Self {
            confpath: confpath(),
            statepath: env_path(STATEPATH_ENV),
            datapath: env_path(cmdvartab::DATAPATH_ENV),
        }
    }
}

/// A configuration read from files, with what C would have logged on the way.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Loaded {
    /// The configuration.
    pub config: ServerConfig,
    /// Warnings from the three files (upsd.conf or upsd.users readable by others included),
    /// and problems met reading cmdvartab.
    pub warnings: Vec<String>,
}

fn warn_all(out: &mut Vec<String>, warnings: Vec<ConfigWarning>) {
    out.extend(warnings.into_iter().map(|w| w.to_string()));
}

impl ServerConfig {
    /// Reads upsd.conf, upsd.users and ups.conf from `paths.confpath`, cmdvartab from the
    /// data path, the TLS certificate from `CERTFILE` and, with `CERTREQUEST` 1 or 2, the
    /// CA certificates for client certificates from `CERTPATH` (PEM), as C upsd does at
    /// start-up and on reload.
    ///
    /// Errors (with file and line where there is one): a file that cannot be read or parsed,
    /// no device in ups.conf without `ALLOW_NO_DEVICE`, a section without `driver`, a
    /// certificate that cannot be used, `CERTREQUEST` 1 or 2 with `CERTFILE` but without
    /// `CERTPATH`. A missing cmdvartab is only a warning.
    pub fn load(paths: &ConfigPaths) -> Result<Loaded, ServerError> {
        let mut warnings = Vec::new();
        // As C's upsd: the files that may hold secrets should not be readable by everyone.
        for file in ["upsd.conf", "upsd.users"] {
            warnings.extend(world_readable(&paths.confpath.join(file)));
        }
        let upsd = UpsdConf::load(paths.confpath.join("upsd.conf"))?;
        warn_all(&mut warnings, upsd.warnings);
        let upsd = upsd.config;
        let users = UpsdUsers::load(paths.confpath.join("upsd.users"))?;
        warn_all(&mut warnings, users.warnings);
        let ups_path = paths.confpath.join("ups.conf");
        let ups = UpsConf::load(&ups_path)?;
        warn_all(&mut warnings, ups.warnings);

        let statepath = paths
            .statepath
            .clone()
            .or_else(|| upsd.statepath.as_ref().map(PathBuf::from))
            .unwrap_or_else(|| DEFAULT_STATEPATH.into());
        let devices = devices_from(&ups.config, &statepath, &ups_path)?;
        if devices.is_empty() && !upsd.allow_no_device {
            return Err(ServerError::Config(format!(
                "{}: no UPS defined (set ALLOW_NO_DEVICE in upsd.conf to start anyway)",
                ups_path.display()
            )));
        }

        let datadir = cmdvartab::data_dir(
            paths.datapath.as_deref().map(Path::as_os_str),
            upsd.datapath.as_deref().map(Path::new),
        );
        let cmdvartab = match Cmdvartab::load(&cmdvartab::file_path(&datadir)) {
            Ok((table, errors)) => {
                warnings.extend(errors.iter().map(|e| e.to_string()));
                table
            }
            Err(e) => {
                warnings.push(e.to_string());
                Cmdvartab::new()
            }
        };

        let tls = match &upsd.certfile {
            Some(file) => Some(TlsSettings::from_pem_file(
                Path::new(file),
                upsd.certrequest,
                upsd.certpath.as_deref().map(Path::new),
                upsd.disable_weak_ssl,
            )?),
            None => None,
        };
        if upsd.certfile.is_none() && (upsd.certpath.is_some() || upsd.certident.is_some()) {
            warnings.push(
                "upsd.conf: NSS certificate databases (CERTPATH/CERTIDENT) are not supported; \
                 set CERTFILE (PEM certificate chain and key) to offer STARTTLS"
                    .to_owned(),
            );
        } else if upsd.certident.is_some() {
            warnings.push(
                "upsd.conf: CERTIDENT (an NSS certificate name) is ignored; the certificate \
                 comes from CERTFILE"
                    .to_owned(),
            );
        }
        if upsd.certfile.is_none()
            && matches!(
                upsd.certrequest,
                Some(CertRequest::Request | CertRequest::Require)
            )
        {
            warnings.push(
                "upsd.conf: CERTREQUEST has no effect without CERTFILE (no STARTTLS)".to_owned(),
            );
        }
        if upsd.certfile.is_some()
            && upsd.certpath.is_some()
            && matches!(upsd.certrequest, None | Some(CertRequest::No))
        {
            warnings.push(
                "upsd.conf: CERTPATH (client CA certificates) is unused without CERTREQUEST 1 or 2"
                    .to_owned(),
            );
        }

        if !upsd.http_listen.is_empty() && !cfg!(feature = "http") {
            warnings.push(
                "upsd.conf: HTTP_LISTEN is ignored: this upsd was built without the http feature"
                    .to_owned(),
            );
        }
        if upsd.mdns_announce && !cfg!(feature = "mdns") {
            warnings.push(
                "upsd.conf: MDNS_ANNOUNCE is ignored: this upsd was built without the mdns feature"
                    .to_owned(),
            );
        }
        warnings.extend(mqtt_warnings(&upsd.mqtt, &users.config));
        let config = Self {
            http_listen: upsd.http_listen.clone(),
            mqtt: upsd.mqtt.clone(),
            mdns_announce: upsd.mdns_announce,
            devices,
            users: users.config,
            listen: bind_order(upsd.effective_listen(), upsd.listen.is_empty()),
            allow_not_all_listeners: true,
            maxage: Duration::from_secs(upsd.maxage.into()),
            tracking_delay: Duration::from_secs(upsd.trackingdelay.into()),
            maxconn: upsd
                .maxconn
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            cmdvartab: Arc::new(cmdvartab),
            tls,
            ..Self::default()
        };
        Ok(Loaded { config, warnings })
    }

    /// The user `name` that can log in (has a password), as C looks users up.
    pub(crate) fn user(&self, name: &str) -> Option<&UpsdUser> {
        self.users
            .users
            .iter()
            .find(|u| u.name == name && u.password.is_some())
    }
}

/// C's `check_perms()`: a warning when others may read (or search) `path`.
fn world_readable(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    (meta.permissions().mode() & 0o005 != 0)
        .then(|| format!("{} is world readable", path.display()))
}

/// What upsd.conf's `MQTT_*` lines leave unused or cannot do.
fn mqtt_warnings(mqtt: &MqttConf, users: &UpsdUsers) -> Vec<String> {
    let mut warnings = Vec::new();
    let other_set = mqtt.login.is_some()
        || mqtt.prefix.is_some()
        || mqtt.discovery_prefix.is_some()
        || mqtt.commands.is_some();
    if mqtt.broker.is_none() {
        if other_set {
            warnings
                .push("upsd.conf: MQTT_* settings have no effect without MQTT_BROKER".to_owned());
        }
        return warnings;
    }
    if !cfg!(feature = "mqtt") {
        warnings.push(
            "upsd.conf: MQTT_BROKER is ignored: this upsd was built without the mqtt feature"
                .to_owned(),
        );
        return warnings;
    }
    if let Some(name) = &mqtt.commands {
        if !users
            .users
            .iter()
            .any(|u| &u.name == name && u.password.is_some())
        {
            warnings.push(format!(
                "upsd.conf: MQTT_COMMANDS {name}: no such user with a password in upsd.users; \
                 commands from MQTT are off"
            ));
        }
    }
    warnings
}

/// The devices of ups.conf, each reached through `<statepath>/<driver>-<name>`.
fn devices_from(
    ups: &UpsConf,
    statepath: &Path,
    file: &Path,
) -> Result<Vec<DeviceConfig>, ServerError> {
    ups.ups
        .iter()
        .map(|section| {
            let driver = section.driver.as_deref().ok_or_else(|| {
                ServerError::Config(format!(
                    "{}: UPS [{}] has no driver",
                    file.display(),
                    section.name
                ))
            })?;
            let path = statepath.join(socket_name(driver, section.name.as_str()));
            Ok(DeviceConfig {
                name: section.name.clone(),
                desc: section.desc.clone(),
                endpoint: DriverEndpoint::Socket(path),
            })
        })
        .collect()
}

impl From<ConfigError> for ServerError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e.to_string())
    }
}

/// The `LISTEN` entries in the order C upsd binds them: it adds each line to the front of
/// its list, so the last line is bound first; its defaults (`127.0.0.1`, then `::1`) come
/// in that order already.
fn bind_order(mut listen: Vec<Listen>, defaults: bool) -> Vec<Listen> {
    if !defaults {
        listen.reverse();
    }
    listen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mqtt_lines_without_a_broker_or_with_an_unknown_command_user() {
        let users = UpsdUsers::parse(b"[admin]\n password = pw\n[nopass]\n", "upsd.users")
            .unwrap()
            .config;
        let conf = |text: &str| {
            UpsdConf::parse(text.as_bytes(), "upsd.conf")
                .unwrap()
                .config
                .mqtt
        };
        let w = mqtt_warnings(&conf("MQTT_PREFIX x\n"), &users);
        assert_eq!(
            w,
            ["upsd.conf: MQTT_* settings have no effect without MQTT_BROKER"]
        );
        assert!(
            mqtt_warnings(&conf("MQTT_BROKER b\nMQTT_COMMANDS admin\n"), &users).len()
                == usize::from(!cfg!(feature = "mqtt"))
        );
        let w = mqtt_warnings(&conf("MQTT_BROKER b\nMQTT_COMMANDS nopass\n"), &users);
        if cfg!(feature = "mqtt") {
            assert_eq!(w.len(), 1);
            assert!(w[0].contains("MQTT_COMMANDS nopass: no such user"), "{w:?}");
        }
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn loads_c_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "upsd.conf",
            "LISTEN 127.0.0.1 3494\nMAXAGE 30\nMAXCONN 5\nHTTP_LISTEN 127.0.0.1 8080\nMDNS_ANNOUNCE\n",
        );
        write(
            d,
            "upsd.users",
            "[admin]\n password = pw\n actions = SET\n instcmds = ALL\n[nopass]\n",
        );
        write(
            d,
            "ups.conf",
            "[b]\n driver = dummy-ups\n port = x.dev\n desc = \"Bee\"\n[a]\n driver = x\n port = y\n",
        );
        let mut paths = ConfigPaths::new(d);
        paths.statepath = Some("/state".into());
        paths.datapath = Some(d.to_owned());
        let loaded = ServerConfig::load(&paths).unwrap();
        let c = loaded.config;
        assert_eq!(c.maxage, Duration::from_secs(30));
        assert_eq!(c.maxconn, Some(5));
        assert_eq!(c.listen, vec![Listen::new("127.0.0.1", Some(3494))]);
        assert_eq!(c.http_listen, vec![Listen::new("127.0.0.1", Some(8080))]);
        assert_eq!(
            loaded.warnings.iter().any(|w| w.contains("HTTP_LISTEN")),
            !cfg!(feature = "http")
        );
        assert!(c.mdns_announce);
        // Warned about only when it cannot be done (C upsd calls it an invalid directive).
        assert_eq!(
            loaded.warnings.iter().any(|w| w.contains("MDNS_ANNOUNCE")),
            !cfg!(feature = "mdns")
        );
        let names: Vec<_> = c.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(c.devices[0].desc.as_deref(), Some("Bee"));
        match &c.devices[0].endpoint {
            DriverEndpoint::Socket(p) => assert_eq!(p, Path::new("/state/dummy-ups-b")),
            other => panic!("{other:?}"),
        }
        assert!(c.user("admin").is_some());
        assert!(c.user("nopass").is_none());
        assert!(c.user("Admin").is_none());
        assert!(loaded.warnings.iter().any(|w| w.contains("cmdvartab")));
    }

    #[test]
    fn no_device_is_an_error_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "upsd.conf", "");
        write(d, "upsd.users", "");
        write(d, "ups.conf", "");
        let err = ServerConfig::load(&ConfigPaths::new(d)).unwrap_err();
        assert!(err.to_string().contains("no UPS defined"), "{err}");
        write(d, "upsd.conf", "ALLOW_NO_DEVICE true\n");
        let c = ServerConfig::load(&ConfigPaths::new(d)).unwrap().config;
        assert!(c.devices.is_empty());
        assert_eq!(c.listen.len(), 2, "default 127.0.0.1 and ::1");
    }

    #[test]
    fn unreadable_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = ServerConfig::load(&ConfigPaths::new(dir.path())).unwrap_err();
        assert!(err.to_string().contains("upsd.conf"), "{err}");
    }
}
