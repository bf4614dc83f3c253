//! upsd.conf: the server's own settings (server/conf.c in C NUT).
//!
//! One directive per line, `KEYWORD args…`; keywords are case-sensitive except `DEBUG_MIN`.
//! Nothing in this file is fatal to C upsd: unknown keywords and bad values are logged as
//! `invalid directive …` and skipped, and so they are warnings here.
//!
//! The TLS keywords differ between C builds: OpenSSL builds know `CERTFILE`, NSS builds
//! (Debian's) `CERTPATH`, `CERTIDENT` and `CERTREQUEST`. All of them are accepted here; the
//! server decides what it supports. `ALLOW_NOT_ALL_LISTENERS` comes from C NUT 2.8.2 and the
//! `CERTREQUEST` words `NO`/`REQUEST`/`REQUIRE` from 2.8.5.

use std::path::Path;

use super::common::{c_parse_boolean, c_str_to_int, logical_lines, push_line, starts_with_digit};
use super::error::{ConfigError, Diag, WarningKind};
use super::Parsed;
use crate::secret::Secret;

/// upsd's default `MAXAGE` (seconds).
pub const DEFAULT_MAXAGE: u32 = 15;
/// upsd's default `TRACKINGDELAY` (seconds).
pub const DEFAULT_TRACKINGDELAY: u32 = 3600;

/// The whole of upsd.conf, with C upsd's defaults for what the file does not set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsdConf {
    /// `MAXAGE`: seconds after which a silent driver's data is stale (default 15).
    pub maxage: u32,
    /// `TRACKINGDELAY`: seconds a tracking result is kept (default 3600).
    pub trackingdelay: u32,
    /// `ALLOW_NO_DEVICE`: start even when ups.conf defines no device.
    pub allow_no_device: bool,
    /// `ALLOW_NOT_ALL_LISTENERS`: start even when some `LISTEN` fails.
    pub allow_not_all_listeners: bool,
    /// `STATEPATH`: where the drivers' sockets are.
    pub statepath: Option<String>,
    /// `DATAPATH`: where cmdvartab is.
    pub datapath: Option<String>,
    /// `LISTEN` lines, in order. Empty means upsd's default (`127.0.0.1` and `::1`).
    pub listen: Vec<Listen>,
    /// `MAXCONN`: maximum number of connections (`None`: the open-file limit).
    pub maxconn: Option<u64>,
    /// `CERTFILE` (OpenSSL builds): PEM file with the certificate chain and key.
    pub certfile: Option<String>,
    /// `CERTPATH` (NSS builds): the certificate database directory.
    pub certpath: Option<String>,
    /// `CERTIDENT` (NSS builds): the certificate name and database password.
    pub certident: Option<CertIdent>,
    /// `CERTREQUEST` (NSS builds): whether to ask clients for certificates.
    pub certrequest: Option<CertRequest>,
    /// `DISABLE_WEAK_SSL`: refuse TLS versions below 1.2.
    pub disable_weak_ssl: bool,
    /// `DEBUG_MIN`: minimum debug level.
    pub debug_min: Option<u32>,
    /// `HTTP_LISTEN address port` lines (nut-rs only; C upsd logs them as invalid
    /// directives): where our upsd serves its web pages, metrics and JSON API.
    pub http_listen: Vec<Listen>,
    /// The `MQTT_*` lines (nut-rs only): upsd's MQTT publisher.
    pub mqtt: MqttConf,
    /// `MDNS_ANNOUNCE [yes|no]` (nut-rs only; C upsd logs it as an invalid directive):
    /// announce the server and its devices over mDNS/DNS-SD. Off by default.
    pub mdns_announce: bool,
}

/// upsd's MQTT publisher (nut-rs only; C upsd logs these lines as invalid directives). It
/// runs when `MQTT_BROKER` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MqttConf {
    /// `MQTT_BROKER host [port]`: the broker (port 1883 when not given).
    pub broker: Option<Listen>,
    /// `MQTT_LOGIN user password`: the broker account.
    pub login: Option<(String, Secret)>,
    /// `MQTT_PREFIX topic`: the first level of every topic (`nut` when not given).
    pub prefix: Option<String>,
    /// `MQTT_DISCOVERY_PREFIX topic`: Home Assistant's discovery prefix (`homeassistant`).
    pub discovery_prefix: Option<String>,
    /// `MQTT_COMMANDS user`: run instant commands published to `<prefix>/<ups>/command` as
    /// this upsd.users user (off when not given).
    pub commands: Option<String>,
}

/// The MQTT port when `MQTT_BROKER` gives none.
pub const DEFAULT_MQTT_PORT: u16 = 1883;

impl Default for UpsdConf {
    fn default() -> Self {
        Self {
            maxage: DEFAULT_MAXAGE,
            trackingdelay: DEFAULT_TRACKINGDELAY,
            allow_no_device: false,
            allow_not_all_listeners: false,
            statepath: None,
            datapath: None,
            listen: Vec::new(),
            maxconn: None,
            certfile: None,
            certpath: None,
            certident: None,
            certrequest: None,
            disable_weak_ssl: false,
            debug_min: None,
            http_listen: Vec::new(),
            mqtt: MqttConf::default(),
            mdns_announce: false,
        }
    }
}

/// One `LISTEN address [port]` line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listen {
    /// A host name or an IPv4/IPv6 address, as written.
    pub address: String,
    /// The port, if given (default 3493).
    pub port: Option<u16>,
}

impl Listen {
    /// A `LISTEN` entry.
    pub fn new(address: impl Into<String>, port: Option<u16>) -> Self {
        Self {
            address: address.into(),
            port,
        }
    }

    /// The port, or 3493.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(super::DEFAULT_PORT)
    }
}

/// `CERTIDENT name password`: which certificate to use and the password of the database.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertIdent {
    /// The certificate's name in the database.
    pub name: String,
    /// The database password.
    pub password: Secret,
}

impl CertIdent {
    /// A certificate identity.
    pub fn new(name: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            name: name.into(),
            password: password.into(),
        }
    }
}

/// `CERTREQUEST`: whether upsd asks clients for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum CertRequest {
    /// `0` / `NO`: do not ask.
    No,
    /// `1` / `REQUEST`: ask, accept clients without one.
    Request,
    /// `2` / `REQUIRE`: refuse clients without a valid certificate.
    Require,
}

impl CertRequest {
    /// The number written in upsd.conf.
    pub fn as_number(self) -> u8 {
        match self {
            Self::No => 0,
            Self::Request => 1,
            Self::Require => 2,
        }
    }
}

/// The optional port of a `KEYWORD address [port]` line; `Err` (warned) when it is not a
/// port number.
fn optional_port(diag: &mut Diag, n: usize, words: &[String]) -> Result<Option<u16>, ()> {
    let Some(p) = words.get(2) else {
        return Ok(None);
    };
    match p.parse::<u16>() {
        Ok(port) if p.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(port)),
        _ => {
            diag.warn(
                n,
                WarningKind::BadValue,
                format!(
                    "{} {} {p}: the port must be a number from 0 to 65535; line ignored",
                    words[0], words[1]
                ),
            );
            Err(())
        }
    }
}

impl UpsdConf {
    /// Parses upsd.conf. `file` names the file in messages.
    pub fn parse(text: &[u8], file: &str) -> Result<Parsed<Self>, ConfigError> {
        let mut diag = Diag::with_secrets(file, |words| {
            // CERTIDENT and MQTT_LOGIN lines (misspelled ones too) carry a password as
            // their third word.
            let key = words[0].to_ascii_uppercase();
            words.len() >= 3 && (key.starts_with("CERTID") || key.starts_with("MQTT"))
        });
        let mut conf = Self::default();
        for line in logical_lines(text, &mut diag) {
            if !conf.directive(&mut diag, line.line_no, &line.words) {
                diag.invalid_directive(line.line_no, &line.words);
            }
        }
        Ok(Parsed {
            config: conf,
            warnings: diag.sorted(),
        })
    }

    /// Reads and parses an upsd.conf file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed<Self>, ConfigError> {
        super::load_with(path.as_ref(), Self::parse)
    }

    /// Handles one line; `false` means C's "invalid directive".
    fn directive(&mut self, diag: &mut Diag, n: usize, words: &[String]) -> bool {
        if words.first().is_some_and(|k| k == "MDNS_ANNOUNCE") {
            self.mdns_announce(diag, n, words);
            return true;
        }
        let (Some(key), Some(arg)) = (words.first(), words.get(1)) else {
            return false;
        };
        let key = key.as_str();
        if key.eq_ignore_ascii_case("DEBUG_MIN") {
            match c_str_to_int(arg).map(u32::try_from) {
                Some(Ok(v)) => self.debug_min = Some(v),
                _ => diag.warn(
                    n,
                    WarningKind::BadValue,
                    "DEBUG_MIN has non numeric or negative value in upsd.conf",
                ),
            }
            diag.extra_arguments(n, words, 2);
            return true;
        }
        let used = match key {
            "MAXAGE" | "TRACKINGDELAY" | "MAXCONN" => {
                if !starts_with_digit(arg) {
                    diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("{key} has non numeric value ({arg})!"),
                    );
                    return false;
                }
                let Some(v) = diag.atoi(n, key, arg) else {
                    return false;
                };
                // Starts with a digit, so it is not negative.
                let v = v.unsigned_abs();
                match key {
                    "MAXAGE" => self.maxage = v,
                    "TRACKINGDELAY" => self.trackingdelay = v,
                    _ => self.maxconn = Some(u64::from(v)),
                }
                2
            }
            "ALLOW_NO_DEVICE" | "ALLOW_NOT_ALL_LISTENERS" => {
                let value = if starts_with_digit(arg) {
                    diag.atoi(n, key, arg).map(|v| v != 0)
                } else {
                    c_parse_boolean(arg)
                };
                let Some(value) = value else {
                    diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("{key} has non numeric and non boolean value ({arg})!"),
                    );
                    return false;
                };
                if key == "ALLOW_NO_DEVICE" {
                    self.allow_no_device = value;
                } else {
                    self.allow_not_all_listeners = value;
                }
                2
            }
            "DISABLE_WEAK_SSL" => {
                let Some(value) = c_parse_boolean(arg) else {
                    diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("DISABLE_WEAK_SSL has non boolean value ({arg})!"),
                    );
                    return false;
                };
                self.disable_weak_ssl = value;
                2
            }
            "CERTREQUEST" => {
                let value = if starts_with_digit(arg) {
                    match diag.atoi(n, key, arg) {
                        Some(0) => Some(CertRequest::No),
                        Some(1) => Some(CertRequest::Request),
                        Some(2) => Some(CertRequest::Require),
                        _ => {
                            diag.warn(
                                n,
                                WarningKind::BadValue,
                                format!("CERTREQUEST value {arg} is not 0, 1 or 2; C NUT then does not ask for certificates"),
                            );
                            Some(CertRequest::No)
                        }
                    }
                } else {
                    match arg.as_str() {
                        "NO" => Some(CertRequest::No),
                        "REQUEST" => Some(CertRequest::Request),
                        "REQUIRE" => Some(CertRequest::Require),
                        _ => None,
                    }
                };
                let Some(value) = value else {
                    diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("CERTREQUEST has non numeric value ({arg})!"),
                    );
                    return false;
                };
                self.certrequest = Some(value);
                2
            }
            "STATEPATH" | "DATAPATH" | "CERTFILE" | "CERTPATH" => {
                let slot = match key {
                    "STATEPATH" => &mut self.statepath,
                    "DATAPATH" => &mut self.datapath,
                    "CERTFILE" => &mut self.certfile,
                    _ => &mut self.certpath,
                };
                *slot = Some(arg.clone());
                2
            }
            "ACCEPT" | "REJECT" => {
                diag.warn(
                    n,
                    WarningKind::Obsolete,
                    format!("{key} in upsd.conf is no longer supported - switch to LISTEN"),
                );
                words.len()
            }
            "LISTEN" => {
                let Ok(port) = optional_port(diag, n, words) else {
                    return true;
                };
                self.listen.push(Listen::new(arg.clone(), port));
                3
            }
            "HTTP_LISTEN" => {
                let port = words.get(2).and_then(|p| {
                    p.bytes()
                        .all(|b| b.is_ascii_digit())
                        .then(|| p.parse::<u16>().ok())
                        .flatten()
                });
                let Some(port) = port else {
                    diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("HTTP_LISTEN {arg}: give an address and a port from 0 to 65535 (HTTP_LISTEN <address> <port>); line ignored"),
                    );
                    return true;
                };
                self.http_listen.push(Listen::new(arg.clone(), Some(port)));
                3
            }
            "MQTT_BROKER" => {
                let Ok(port) = optional_port(diag, n, words) else {
                    return true;
                };
                self.mqtt.broker = Some(Listen::new(arg.clone(), port));
                3
            }
            "MQTT_LOGIN" => {
                let Some(password) = words.get(2) else {
                    diag.warn(
                        n,
                        WarningKind::BadValue,
                        "MQTT_LOGIN needs a user and a password (MQTT_LOGIN <user> <password>); line ignored",
                    );
                    return true;
                };
                self.mqtt.login = Some((arg.clone(), Secret::from(password.as_str())));
                3
            }
            "MQTT_PREFIX" | "MQTT_DISCOVERY_PREFIX" => {
                let prefix = arg.trim_end_matches('/');
                if prefix.is_empty() || prefix.contains(['+', '#']) {
                    diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("{key} {arg}: a topic prefix must be non-empty without the wildcards + and #; line ignored"),
                    );
                    return true;
                }
                let slot = if key == "MQTT_PREFIX" {
                    &mut self.mqtt.prefix
                } else {
                    &mut self.mqtt.discovery_prefix
                };
                *slot = Some(prefix.to_owned());
                2
            }
            "MQTT_COMMANDS" => {
                self.mqtt.commands = Some(arg.clone());
                2
            }
            "ACL" if words.len() >= 3 => {
                diag.warn(
                    n,
                    WarningKind::Obsolete,
                    "ACL in upsd.conf is no longer supported - switch to LISTEN",
                );
                words.len()
            }
            "CERTIDENT" => {
                let Some(password) = words.get(2) else {
                    return false;
                };
                self.certident = Some(CertIdent::new(arg.clone(), password.as_str()));
                3
            }
            _ => return false,
        };
        diag.extra_arguments(n, words, used);
        true
    }

    /// `MDNS_ANNOUNCE` alone or `MDNS_ANNOUNCE yes` turns the announcement on, `no` off;
    /// another value is a warning and leaves the setting as it was.
    fn mdns_announce(&mut self, diag: &mut Diag, n: usize, words: &[String]) {
        match words.get(1).map(String::as_str) {
            None | Some("yes") => self.mdns_announce = true,
            Some("no") => self.mdns_announce = false,
            Some(other) => {
                diag.warn(
                    n,
                    WarningKind::BadValue,
                    format!("MDNS_ANNOUNCE {other}: give yes, no or nothing (which means yes); line ignored"),
                );
                return;
            }
        }
        diag.extra_arguments(n, words, 2);
    }

    /// The `LISTEN` entries upsd uses: the configured ones, or `127.0.0.1` and `::1` on
    /// port 3493 when there are none.
    pub fn effective_listen(&self) -> Vec<Listen> {
        if self.listen.is_empty() {
            vec![Listen::new("127.0.0.1", None), Listen::new("::1", None)]
        } else {
            self.listen.clone()
        }
    }

    /// Writes the configuration as upsd.conf text (settings at their default are left out).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let d = Self::default();
        let mut num = |key: &str, v: u64, default: Option<u64>| {
            if Some(v) != default {
                push_line(&mut out, &[key, &v.to_string()]);
            }
        };
        num("MAXAGE", u64::from(self.maxage), Some(u64::from(d.maxage)));
        num(
            "TRACKINGDELAY",
            u64::from(self.trackingdelay),
            Some(u64::from(d.trackingdelay)),
        );
        if let Some(m) = self.maxconn {
            num("MAXCONN", m, None);
        }
        for (key, on) in [
            ("ALLOW_NO_DEVICE", self.allow_no_device),
            ("ALLOW_NOT_ALL_LISTENERS", self.allow_not_all_listeners),
            ("DISABLE_WEAK_SSL", self.disable_weak_ssl),
        ] {
            if on {
                push_line(&mut out, &[key, "true"]);
            }
        }
        for (key, value) in [
            ("STATEPATH", &self.statepath),
            ("DATAPATH", &self.datapath),
            ("CERTFILE", &self.certfile),
            ("CERTPATH", &self.certpath),
        ] {
            if let Some(v) = value {
                push_line(&mut out, &[key, v]);
            }
        }
        if let Some(c) = &self.certident {
            push_line(&mut out, &["CERTIDENT", &c.name, c.password.expose()]);
        }
        if let Some(r) = self.certrequest {
            push_line(&mut out, &["CERTREQUEST", &r.as_number().to_string()]);
        }
        if let Some(v) = self.debug_min {
            push_line(&mut out, &["DEBUG_MIN", &v.to_string()]);
        }
        for l in &self.listen {
            match l.port {
                Some(p) => push_line(&mut out, &["LISTEN", &l.address, &p.to_string()]),
                None => push_line(&mut out, &["LISTEN", &l.address]),
            }
        }
        for l in &self.http_listen {
            let port = l.port_or_default().to_string();
            push_line(&mut out, &["HTTP_LISTEN", &l.address, &port]);
        }
        let m = &self.mqtt;
        if let Some(b) = &m.broker {
            match b.port {
                Some(p) => push_line(&mut out, &["MQTT_BROKER", &b.address, &p.to_string()]),
                None => push_line(&mut out, &["MQTT_BROKER", &b.address]),
            }
        }
        if let Some((user, password)) = &m.login {
            push_line(&mut out, &["MQTT_LOGIN", user, password.expose()]);
        }
        for (key, value) in [
            ("MQTT_PREFIX", &m.prefix),
            ("MQTT_DISCOVERY_PREFIX", &m.discovery_prefix),
            ("MQTT_COMMANDS", &m.commands),
        ] {
            if let Some(v) = value {
                push_line(&mut out, &[key, v]);
            }
        }
        if self.mdns_announce {
            push_line(&mut out, &["MDNS_ANNOUNCE", "yes"]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed<UpsdConf> {
        UpsdConf::parse(text.as_bytes(), "upsd.conf").unwrap()
    }

    fn messages(p: &Parsed<UpsdConf>) -> Vec<String> {
        p.warnings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_keyword() {
        let p = parse(
            "MAXAGE 30\nTRACKINGDELAY 60\nALLOW_NO_DEVICE yes\nALLOW_NOT_ALL_LISTENERS 1\n\
             STATEPATH /run/nut\nDATAPATH /usr/share/nut\nLISTEN 127.0.0.1 3493\nLISTEN ::1\n\
             MAXCONN 1024\nCERTFILE /etc/nut/cert.pem\nCERTPATH /etc/nut/cert\n\
             CERTIDENT \"my cert\" \"db pass\"\nCERTREQUEST REQUIRE\nDISABLE_WEAK_SSL on\n\
             debug_min 3\n",
        );
        assert_eq!(messages(&p), Vec::<String>::new());
        let c = &p.config;
        assert_eq!((c.maxage, c.trackingdelay, c.maxconn), (30, 60, Some(1024)));
        assert!(c.allow_no_device && c.allow_not_all_listeners && c.disable_weak_ssl);
        assert_eq!(
            c.listen,
            [
                Listen::new("127.0.0.1", Some(3493)),
                Listen::new("::1", None)
            ]
        );
        assert_eq!(c.listen[1].port_or_default(), 3493);
        let ident = c.certident.as_ref().unwrap();
        assert_eq!(
            (ident.name.as_str(), ident.password.expose()),
            ("my cert", "db pass")
        );
        assert_eq!(c.certrequest, Some(CertRequest::Require));
        assert_eq!(c.debug_min, Some(3));
        assert!(!format!("{c:?}").contains("db pass"));
    }

    #[test]
    fn mqtt_keywords() {
        let p = parse(
            "MQTT_BROKER broker.lan\nMQTT_LOGIN nut \"s3cret word\"\nMQTT_PREFIX home/ups/\n\
             MQTT_DISCOVERY_PREFIX ha\nMQTT_COMMANDS admin\n",
        );
        assert_eq!(messages(&p), Vec::<String>::new());
        let m = &p.config.mqtt;
        assert_eq!(m.broker, Some(Listen::new("broker.lan", None)));
        let (user, password) = m.login.as_ref().unwrap();
        assert_eq!((user.as_str(), password.expose()), ("nut", "s3cret word"));
        assert_eq!(m.prefix.as_deref(), Some("home/ups"));
        assert_eq!(m.discovery_prefix.as_deref(), Some("ha"));
        assert_eq!(m.commands.as_deref(), Some("admin"));
        assert!(!format!("{m:?}").contains("s3cret"));
        let back = parse(&p.config.to_text());
        assert_eq!(back.config, p.config);

        let p = parse(
            "MQTT_BROKER b 99999\nMQTT_LOGIN onlyuser\nMQTT_PREFIX a/+\nMQTT_LOGON nut secret\n",
        );
        let warnings = messages(&p);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(warnings[0].starts_with("upsd.conf:1:") && warnings[0].contains("port"));
        assert!(warnings[1].starts_with("upsd.conf:2:") && warnings[1].contains("password"));
        assert!(warnings[2].starts_with("upsd.conf:3:") && warnings[2].contains("wildcards"));
        assert!(warnings[3].starts_with("upsd.conf:4:") && !warnings[3].contains("secret"));
        assert_eq!(p.config.mqtt, MqttConf::default());
    }

    #[test]
    fn c_messages_for_bad_lines() {
        // The same lines were fed to C upsd 2.8.0; these are its messages (with our prefix).
        let p = parse(
            "MAXAGE abc\nMAXAGE 5x\nFOO bar\nMAXAGE\nACL x y\nDISABLE_WEAK_SSL maybe\n\
             \"bad # here\" x\nALLOW_NO_DEVICE perhaps\nACCEPT all\nACL x\nCERTIDENT a\n\
             DEBUG_MIN -1\nLISTEN 0.0.0.0 nut\nmaxage 5\nLISTEN a 1 2\n",
        );
        assert_eq!(
            messages(&p),
            [
                "upsd.conf:1: MAXAGE has non numeric value (abc)!",
                "upsd.conf:1: invalid directive MAXAGE abc",
                "upsd.conf:2: MAXAGE: \"5x\" is not a number; C NUT reads it as 5",
                "upsd.conf:3: invalid directive FOO bar",
                "upsd.conf:4: invalid directive MAXAGE",
                "upsd.conf:5: ACL in upsd.conf is no longer supported - switch to LISTEN",
                "upsd.conf:6: DISABLE_WEAK_SSL has non boolean value (maybe)!",
                "upsd.conf:6: invalid directive DISABLE_WEAK_SSL maybe",
                "upsd.conf:7: Parse error: Unbalanced word due to unescaped # in quotes",
                "upsd.conf:8: ALLOW_NO_DEVICE has non numeric and non boolean value (perhaps)!",
                "upsd.conf:8: invalid directive ALLOW_NO_DEVICE perhaps",
                "upsd.conf:9: ACCEPT in upsd.conf is no longer supported - switch to LISTEN",
                "upsd.conf:10: invalid directive ACL x",
                "upsd.conf:11: invalid directive CERTIDENT a",
                "upsd.conf:12: DEBUG_MIN has non numeric or negative value in upsd.conf",
                "upsd.conf:13: LISTEN 0.0.0.0 nut: the port must be a number from 0 to 65535; line ignored",
                "upsd.conf:14: invalid directive maxage 5",
                "upsd.conf:15: LISTEN: extra argument(s) ignored: 2 (quote values that hold spaces)",
            ]
        );
        assert_eq!(p.config.maxage, 5);
        assert_eq!(p.config.listen, [Listen::new("a", Some(1))]);
        assert_eq!(p.warnings[1].kind, WarningKind::InvalidDirective);
        assert_eq!(p.warnings[4].kind, WarningKind::InvalidDirective);
    }

    #[test]
    fn http_listen() {
        let p = parse(
            "HTTP_LISTEN 127.0.0.1 8080\nHTTP_LISTEN ::1 8081\nHTTP_LISTEN 0.0.0.0\n\
             HTTP_LISTEN 0.0.0.0 http\nHTTP_LISTEN 0.0.0.0 70000\nHTTP_LISTEN\n\
             HTTP_LISTEN a 1 2\nMAXAGE 20\n",
        );
        assert_eq!(
            messages(&p),
            [
                "upsd.conf:3: HTTP_LISTEN 0.0.0.0: give an address and a port from 0 to 65535 (HTTP_LISTEN <address> <port>); line ignored",
                "upsd.conf:4: HTTP_LISTEN 0.0.0.0: give an address and a port from 0 to 65535 (HTTP_LISTEN <address> <port>); line ignored",
                "upsd.conf:5: HTTP_LISTEN 0.0.0.0: give an address and a port from 0 to 65535 (HTTP_LISTEN <address> <port>); line ignored",
                "upsd.conf:6: invalid directive HTTP_LISTEN",
                "upsd.conf:7: HTTP_LISTEN: extra argument(s) ignored: 2 (quote values that hold spaces)",
            ]
        );
        assert_eq!(
            p.config.http_listen,
            [
                Listen::new("127.0.0.1", Some(8080)),
                Listen::new("::1", Some(8081)),
                Listen::new("a", Some(1))
            ]
        );
        assert!(p.config.listen.is_empty(), "LISTEN is not touched");
        assert_eq!(p.config.maxage, 20);
        let text = p.config.to_text();
        assert!(
            text.ends_with("HTTP_LISTEN 127.0.0.1 8080\nHTTP_LISTEN ::1 8081\nHTTP_LISTEN a 1\n")
        );
        assert_eq!(parse(&text).config, p.config);
    }

    #[test]
    fn mdns_announce() {
        for (text, on) in [
            ("MDNS_ANNOUNCE\n", true),
            ("MDNS_ANNOUNCE yes\n", true),
            ("MDNS_ANNOUNCE yes\nMDNS_ANNOUNCE no\n", false),
            ("# off by default\n", false),
        ] {
            let p = parse(text);
            assert_eq!(messages(&p), Vec::<String>::new(), "{text}");
            assert_eq!(p.config.mdns_announce, on, "{text}");
            assert_eq!(parse(&p.config.to_text()).config, p.config, "{text}");
        }
        let p =
            parse("MDNS_ANNOUNCE\nMDNS_ANNOUNCE maybe\nMDNS_ANNOUNCE Yes\nMDNS_ANNOUNCE no x\n");
        assert_eq!(
            messages(&p),
            [
                "upsd.conf:2: MDNS_ANNOUNCE maybe: give yes, no or nothing (which means yes); line ignored",
                "upsd.conf:3: MDNS_ANNOUNCE Yes: give yes, no or nothing (which means yes); line ignored",
                "upsd.conf:4: MDNS_ANNOUNCE: extra argument(s) ignored: x (quote values that hold spaces)",
            ]
        );
        assert!(!p.config.mdns_announce, "the last good line says no");
        assert_eq!(p.warnings[0].kind, WarningKind::BadValue);
    }

    #[test]
    fn defaults_and_round_trip() {
        let empty = parse("# nothing\n");
        assert_eq!(empty.config, UpsdConf::default());
        assert_eq!(empty.config.to_text(), "");
        assert_eq!(empty.config.effective_listen().len(), 2);
        let mut c = UpsdConf {
            maxage: 25,
            ..UpsdConf::default()
        };
        c.listen.push(Listen::new("::", Some(3493)));
        c.certident = Some(CertIdent::new("n", "p#w \"x\""));
        c.certrequest = Some(CertRequest::No);
        c.allow_no_device = true;
        let text = c.to_text();
        assert_eq!(
            text,
            "MAXAGE 25\nALLOW_NO_DEVICE true\nCERTIDENT n \"p\\#w \\\"x\\\"\"\nCERTREQUEST 0\nLISTEN :: 3493\n"
        );
        let back = parse(&text);
        assert!(back.warnings.is_empty());
        assert_eq!(back.config, c);
    }
}
