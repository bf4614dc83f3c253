//! upsmon.conf: what upsmon watches and how it reacts (clients/upsmon.c in C NUT).
//!
//! One directive per line, `KEYWORD args…`, keywords case-sensitive except `DEBUG_MIN`.
//! C upsmon logs and skips almost every problem; the one it refuses is a `MONITOR` line in
//! the old form without a user name.
//!
//! Every keyword of C NUT 2.8.0 is known. Later C versions added `SHUTDOWNEXIT`,
//! `POLLFAIL_LOG_THROTTLE_MAX` and `OFFDURATION` (2.8.1), `OVERDURATION`, `OBLBDURATION` and
//! `ALARMCRITICAL` (2.8.3) and `CERTFILE` (after 2.8.4); they are accepted too, and kept as
//! `Option`s so that a program can tell whether the file set them.
//!
//! Beyond C, nut-rs reads four keywords of its own, which C upsmon 2.8.0 logs as
//! "invalid directive" and ignores, so one file serves both: `SHUTDOWNCHARGE system
//! percent`, `SHUTDOWNRUNTIME system seconds` and `SHUTDOWNONBATT system seconds`
//! ([`ShutdownThresholds`]: a UPS on battery past such a limit counts as critical, as if it
//! reported low battery) and `EVENTLOG path` (a log of power events with their times).
//!
//! ```
//! use nut_proto::config::{NotifyEvent, NotifyFlags, UpsmonConf};
//!
//! let text = b"MONITOR myups@localhost 1 upsmon secret primary\n\
//!              SHUTDOWNCMD \"/sbin/shutdown -h +0\"\n\
//!              NOTIFYFLAG ONBATT SYSLOG+WALL+EXEC\n";
//! let conf = UpsmonConf::parse(text, "upsmon.conf").unwrap().config;
//! assert_eq!(conf.monitors[0].system.to_string(), "myups@localhost");
//! assert!(conf.monitors[0].role.is_primary());
//! assert!(conf.notify_flags_for(NotifyEvent::OnBatt).contains(NotifyFlags::EXEC));
//! assert_eq!(conf.pollfreq, 5);
//! assert!(!format!("{conf:?}").contains("secret"));
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use super::common::{c_str_to_int, c_strtol, logical_lines, push_line};
use super::error::{ConfigError, Diag, ErrorKind, WarningKind};
use super::notify::{NotifyEvent, NotifyFlags};
use super::upsd_conf::CertIdent;
use super::upsd_users::UpsmonRole;
use super::{Parsed, UpsAddress};
use crate::secret::Secret;

/// The whole of upsmon.conf, with C upsmon's defaults for what the file does not set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsmonConf {
    /// `MONITOR` lines, in order (no two with the same system text).
    pub monitors: Vec<Monitor>,
    /// `MINSUPPLIES`: power supplies that must be fed (default 1).
    pub minsupplies: u32,
    /// `SHUTDOWNCMD`: the command that shuts the system down.
    pub shutdowncmd: Option<String>,
    /// `NOTIFYCMD`: the command run for notifications flagged `EXEC`.
    pub notifycmd: Option<String>,
    /// `POWERDOWNFLAG`: the file created before shutting down.
    pub powerdownflag: Option<String>,
    /// `POLLFREQ`: seconds between polls (default 5).
    pub pollfreq: u32,
    /// `POLLFREQALERT`: seconds between polls while on battery (default 5).
    pub pollfreqalert: u32,
    /// `HOSTSYNC`: seconds to wait for the other systems (default 15).
    pub hostsync: i32,
    /// `DEADTIME`: seconds after which a silent UPS on battery counts as dead (default 15).
    pub deadtime: i32,
    /// `RBWARNTIME`: seconds between replace-battery warnings (default 43200).
    pub rbwarntime: i32,
    /// `NOCOMMWARNTIME`: seconds between no-communication warnings (default 300).
    pub nocommwarntime: i32,
    /// `FINALDELAY`: seconds between the SHUTDOWN notice and SHUTDOWNCMD (default 5).
    pub finaldelay: u32,
    /// `RUN_AS_USER`: the unprivileged user.
    pub run_as_user: Option<String>,
    /// `CERTPATH`: the certificate directory or database.
    pub certpath: Option<String>,
    /// `CERTFILE`: the client certificate (newer C versions).
    pub certfile: Option<String>,
    /// `CERTIDENT`: certificate name and database password.
    pub certident: Option<CertIdent>,
    /// `CERTHOST` lines, in order.
    pub certhosts: Vec<CertHost>,
    /// `CERTVERIFY`: verify server certificates (default off).
    pub certverify: bool,
    /// `FORCESSL`: refuse servers without TLS (default off).
    pub forcessl: bool,
    /// `DEBUG_MIN`: minimum debug level.
    pub debug_min: Option<u32>,
    /// `NOTIFYFLAG`s set in the file; other events use [`NotifyEvent::default_flags`].
    pub notify_flags: BTreeMap<NotifyEvent, NotifyFlags>,
    /// `NOTIFYMSG`s set in the file; other events use [`NotifyEvent::default_message`].
    pub notify_messages: BTreeMap<NotifyEvent, String>,
    /// `SHUTDOWNEXIT` (2.8.1): whether upsmon exits after SHUTDOWNCMD.
    pub shutdownexit: Option<ShutdownExit>,
    /// `POLLFAIL_LOG_THROTTLE_MAX` (2.8.1): how often to repeat poll-failure logs.
    pub pollfail_log_throttle_max: Option<i32>,
    /// `OFFDURATION` (2.8.1): seconds of `OFF` after which a UPS is critical.
    pub offduration: Option<i32>,
    /// `OVERDURATION` (2.8.3): seconds of `OVER` on battery after which a UPS is critical.
    pub overduration: Option<i32>,
    /// `OBLBDURATION` (2.8.3): seconds of `OB LB` before a UPS is critical.
    pub oblbduration: Option<u32>,
    /// `ALARMCRITICAL` (2.8.3): whether `ALARM` makes a UPS on battery critical.
    pub alarmcritical: Option<bool>,
    /// `SHUTDOWNCHARGE`, `SHUTDOWNRUNTIME` and `SHUTDOWNONBATT` (nut-rs only; C upsmon warns
    /// "invalid directive" and ignores them): per-UPS limits past which a UPS on battery
    /// counts as critical, as if it reported low battery. One entry per system, in the
    /// order first named.
    pub thresholds: Vec<ShutdownThresholds>,
    /// `EVENTLOG` (nut-rs only; C warns and ignores it): a file to which upsmon appends
    /// every power event with its time.
    pub eventlog: Option<String>,
}

/// The nut-rs shutdown limits of one monitored UPS (`SHUTDOWNCHARGE system percent`,
/// `SHUTDOWNRUNTIME system seconds`, `SHUTDOWNONBATT system seconds`). Each applies only
/// while the UPS is on battery; a value the server does not report never triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownThresholds {
    /// The UPS, as in its `MONITOR` line.
    pub system: UpsAddress,
    /// Critical when `battery.charge` is at or below this percentage.
    pub charge: Option<u32>,
    /// Critical when `battery.runtime` is at or below this many seconds.
    pub runtime: Option<u32>,
    /// Critical once the UPS has been on battery this many seconds.
    pub on_battery: Option<u32>,
}

impl ShutdownThresholds {
    /// No limits for `system`.
    pub fn new(system: UpsAddress) -> Self {
        Self {
            system,
            charge: None,
            runtime: None,
            on_battery: None,
        }
    }

    /// Whether battery values must be read to apply these limits.
    pub fn needs_battery_values(&self) -> bool {
        self.charge.is_some() || self.runtime.is_some()
    }
}

impl Default for UpsmonConf {
    fn default() -> Self {
        Self {
            monitors: Vec::new(),
            minsupplies: 1,
            shutdowncmd: None,
            notifycmd: None,
            powerdownflag: None,
            pollfreq: 5,
            pollfreqalert: 5,
            hostsync: 15,
            deadtime: 15,
            rbwarntime: 43200,
            nocommwarntime: 300,
            finaldelay: 5,
            run_as_user: None,
            certpath: None,
            certfile: None,
            certident: None,
            certhosts: Vec::new(),
            certverify: false,
            forcessl: false,
            debug_min: None,
            notify_flags: BTreeMap::new(),
            notify_messages: BTreeMap::new(),
            shutdownexit: None,
            pollfail_log_throttle_max: None,
            offduration: None,
            overduration: None,
            oblbduration: None,
            alarmcritical: None,
            thresholds: Vec::new(),
            eventlog: None,
        }
    }
}

/// `MONITOR system powervalue username password role`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Monitor {
    /// The UPS and its server.
    pub system: UpsAddress,
    /// How many of this system's power supplies the UPS feeds (0: watch only).
    pub power_value: u32,
    /// The upsd.users user to log in as.
    pub username: String,
    /// Its password.
    pub password: Secret,
    /// `primary` (this system shuts down last and may set FSD) or `secondary`.
    pub role: UpsmonRole,
}

impl Monitor {
    /// A `MONITOR` entry.
    pub fn new(
        system: UpsAddress,
        power_value: u32,
        username: impl Into<String>,
        password: impl Into<Secret>,
        role: UpsmonRole,
    ) -> Self {
        Self {
            system,
            power_value,
            username: username.into(),
            password: password.into(),
            role,
        }
    }
}

/// `CERTHOST hostname certname certverify forcessl`: TLS settings for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertHost {
    /// The server's host name.
    pub host: String,
    /// The name its certificate must carry.
    pub certname: String,
    /// Verify its certificate.
    pub certverify: bool,
    /// Refuse it without TLS.
    pub forcessl: bool,
}

impl CertHost {
    /// A `CERTHOST` entry.
    pub fn new(
        host: impl Into<String>,
        certname: impl Into<String>,
        certverify: bool,
        forcessl: bool,
    ) -> Self {
        Self {
            host: host.into(),
            certname: certname.into(),
            certverify,
            forcessl,
        }
    }
}

/// `SHUTDOWNEXIT`: what upsmon does after running SHUTDOWNCMD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShutdownExit {
    /// `yes`/`on`/`true`: exit at once (C's default).
    Yes,
    /// `no`/`off`/`false` (or a negative number): keep running.
    No,
    /// A number of seconds to wait before exiting.
    After(u32),
}

impl UpsmonConf {
    /// Parses upsmon.conf. `file` names the file in messages.
    pub fn parse(text: &[u8], file: &str) -> Result<Parsed<Self>, ConfigError> {
        let mut diag = Diag::with_secrets(file, |words| {
            // MONITOR lines (misspelled ones too) carry the password.
            words.len() >= 4 || words[0].to_ascii_uppercase().starts_with("MON")
        });
        let mut conf = Self::default();
        for line in logical_lines(text, &mut diag) {
            if !conf.directive(&mut diag, line.line_no, &line.words)? {
                diag.invalid_directive(line.line_no, &line.words);
            }
        }
        Ok(Parsed {
            config: conf,
            warnings: diag.sorted(),
        })
    }

    /// Reads and parses an upsmon.conf file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed<Self>, ConfigError> {
        super::load_with(path.as_ref(), Self::parse)
    }

    /// What upsmon does with `event`: the file's `NOTIFYFLAG`, or the default.
    pub fn notify_flags_for(&self, event: NotifyEvent) -> NotifyFlags {
        self.notify_flags
            .get(&event)
            .copied()
            .unwrap_or_else(|| event.default_flags())
    }

    /// The message template for `event`: the file's `NOTIFYMSG`, or the default.
    pub fn notify_message_for(&self, event: NotifyEvent) -> &str {
        self.notify_messages
            .get(&event)
            .map_or_else(|| event.default_message(), String::as_str)
    }

    /// The sum of the power values of every `MONITOR` line (C refuses to run when it is
    /// below `MINSUPPLIES`).
    pub fn total_power_value(&self) -> u64 {
        self.monitors.iter().map(|m| u64::from(m.power_value)).sum()
    }

    /// Handles one line: `Ok(false)` is C's "invalid directive".
    fn directive(
        &mut self,
        diag: &mut Diag,
        n: usize,
        words: &[String],
    ) -> Result<bool, ConfigError> {
        let (Some(key), Some(arg)) = (words.first(), words.get(1)) else {
            return Ok(false);
        };
        let key = key.as_str();
        let string_slot = match key {
            "SHUTDOWNCMD" => Some(&mut self.shutdowncmd),
            "POWERDOWNFLAG" => Some(&mut self.powerdownflag),
            "NOTIFYCMD" => Some(&mut self.notifycmd),
            "RUN_AS_USER" => Some(&mut self.run_as_user),
            "CERTPATH" => Some(&mut self.certpath),
            "CERTFILE" => Some(&mut self.certfile),
            "EVENTLOG" => Some(&mut self.eventlog),
            _ => None,
        };
        if let Some(slot) = string_slot {
            *slot = Some(arg.clone());
            diag.extra_arguments(n, words, 2);
            return Ok(true);
        }
        let used = match key {
            "POLLFREQ" | "POLLFREQALERT" | "MINSUPPLIES" | "FINALDELAY" => {
                if let Some(v) = diag.atoi_unsigned(n, key, arg) {
                    *match key {
                        "POLLFREQ" => &mut self.pollfreq,
                        "POLLFREQALERT" => &mut self.pollfreqalert,
                        "MINSUPPLIES" => &mut self.minsupplies,
                        _ => &mut self.finaldelay,
                    } = v;
                }
                2
            }
            "HOSTSYNC" | "DEADTIME" | "RBWARNTIME" | "NOCOMMWARNTIME" => {
                if let Some(v) = diag.atoi(n, key, arg) {
                    *match key {
                        "HOSTSYNC" => &mut self.hostsync,
                        "DEADTIME" => &mut self.deadtime,
                        "RBWARNTIME" => &mut self.rbwarntime,
                        _ => &mut self.nocommwarntime,
                    } = v;
                }
                2
            }
            "OFFDURATION" | "OVERDURATION" => {
                if let Some(v) = diag.atoi(n, key, arg) {
                    *if key == "OFFDURATION" {
                        &mut self.offduration
                    } else {
                        &mut self.overduration
                    } = Some(v);
                }
                2
            }
            "OBLBDURATION" => {
                if let Some(v) = diag.atoi(n, key, arg) {
                    // C: values below 1 mean 0.
                    self.oblbduration = Some(u32::try_from(v).unwrap_or(0));
                }
                2
            }
            "POLLFAIL_LOG_THROTTLE_MAX" => {
                match diag.atoi(n, key, arg) {
                    Some(v) if v >= 0 && v != i32::MAX => self.pollfail_log_throttle_max = Some(v),
                    Some(v) => diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("Ignoring invalid POLLFAIL_LOG_THROTTLE_MAX value: {v}"),
                    ),
                    None => {}
                }
                2
            }
            "CERTVERIFY" | "FORCESSL" | "ALARMCRITICAL" => {
                if let Some(v) = diag.atoi(n, key, arg) {
                    match key {
                        "CERTVERIFY" => self.certverify = v != 0,
                        "FORCESSL" => self.forcessl = v != 0,
                        _ => self.alarmcritical = Some(v != 0),
                    }
                }
                2
            }
            "SHUTDOWNEXIT" => {
                self.shutdownexit = Some(shutdown_exit(diag, n, arg));
                2
            }
            _ if key.eq_ignore_ascii_case("DEBUG_MIN") => {
                match c_str_to_int(arg).map(u32::try_from) {
                    Some(Ok(v)) => self.debug_min = Some(v),
                    _ => diag.warn(
                        n,
                        WarningKind::BadValue,
                        "WARNING : Invalid DEBUG_MIN value found in upsmon.conf global settings",
                    ),
                }
                2
            }
            "NOTIFYMSG" | "NOTIFYFLAG" | "CERTIDENT" => {
                let Some(arg2) = words.get(2) else {
                    return Ok(false);
                };
                match key {
                    "NOTIFYMSG" => match NotifyEvent::from_name(arg) {
                        Some(e) => {
                            self.notify_messages.insert(e, arg2.clone());
                        }
                        None => diag.warn(
                            n,
                            WarningKind::Unknown,
                            format!("'{arg}' is not a valid notify event name"),
                        ),
                    },
                    "NOTIFYFLAG" => self.notify_flag(diag, n, arg, arg2),
                    _ => self.certident = Some(CertIdent::new(arg.clone(), arg2.as_str())),
                }
                3
            }
            "SHUTDOWNCHARGE" | "SHUTDOWNRUNTIME" | "SHUTDOWNONBATT" => {
                let Some(value) = words.get(2) else {
                    return Ok(false);
                };
                self.threshold(diag, n, key, arg, value);
                3
            }
            "CERTHOST" => {
                let [_, host, certname, verify, force, ..] = words else {
                    return Ok(false);
                };
                let verify = diag.atoi(n, "CERTHOST certverify", verify);
                let force = diag.atoi(n, "CERTHOST forcessl", force);
                if let (Some(verify), Some(force)) = (verify, force) {
                    self.certhosts.push(CertHost::new(
                        host.clone(),
                        certname.clone(),
                        verify != 0,
                        force != 0,
                    ));
                }
                5
            }
            "MONITOR" => match words.len() {
                0..=4 => return Ok(false),
                5 => {
                    return Err(diag.error(
                        n,
                        ErrorKind::Obsolete,
                        "Unable to use old-style MONITOR line without a username \
                         (convert it and add a username to upsd.users - see the documentation)",
                    ))
                }
                _ => {
                    self.monitor(diag, n, words);
                    6
                }
            },
            _ => return Ok(false),
        };
        diag.extra_arguments(n, words, used);
        Ok(true)
    }

    /// The limits for `system`, if any are set.
    pub fn thresholds_for(&self, system: &UpsAddress) -> Option<&ShutdownThresholds> {
        let text = system.to_string();
        self.thresholds
            .iter()
            .find(|t| t.system.to_string() == text)
    }

    fn threshold(&mut self, diag: &mut Diag, n: usize, key: &str, sys: &str, value: &str) {
        let system = match sys.parse::<UpsAddress>() {
            Ok(s) => s,
            Err(e) => {
                diag.warn(
                    n,
                    WarningKind::BadValue,
                    format!("{key}: unable to split UPS name [{sys}]: {e}; line ignored"),
                );
                return;
            }
        };
        // A keyword of our own: no C quirks to follow, a plain number or nothing.
        let Ok(v) = value.parse::<u32>() else {
            diag.warn(
                n,
                WarningKind::BadValue,
                format!("{key} {sys}: \"{value}\" is not a number of 0 or more; line ignored"),
            );
            return;
        };
        let text = system.to_string();
        let entry = match self
            .thresholds
            .iter()
            .position(|t| t.system.to_string() == text)
        {
            Some(i) => &mut self.thresholds[i],
            None => {
                self.thresholds.push(ShutdownThresholds::new(system));
                self.thresholds.last_mut().expect("just pushed")
            }
        };
        *match key {
            "SHUTDOWNCHARGE" => &mut entry.charge,
            "SHUTDOWNRUNTIME" => &mut entry.runtime,
            _ => &mut entry.on_battery,
        } = Some(v);
    }

    fn notify_flag(&mut self, diag: &mut Diag, n: usize, event: &str, flags: &str) {
        let Some(event) = NotifyEvent::from_name(event) else {
            diag.warn(
                n,
                WarningKind::Unknown,
                format!("Warning: invalid notify type [{event}]"),
            );
            return;
        };
        let (parsed, invalid) = NotifyFlags::parse_lenient(flags);
        for bad in invalid {
            diag.warn(
                n,
                WarningKind::BadValue,
                format!("Invalid notify flag: [{bad}]"),
            );
        }
        self.notify_flags.insert(event, parsed);
    }

    fn monitor(&mut self, diag: &mut Diag, n: usize, words: &[String]) {
        let [_, sys, pv, user, pass, role, ..] = words else {
            return;
        };
        let system = match sys.parse::<UpsAddress>() {
            Ok(s) => s,
            Err(e) => {
                diag.warn(
                    n,
                    WarningKind::BadValue,
                    format!("Error: unable to split UPS name [{sys}]: {e}; MONITOR line ignored"),
                );
                return;
            }
        };
        let (value, clean) = c_strtol(pv);
        let Ok(power_value) = u32::try_from(value) else {
            diag.warn(
                n,
                WarningKind::BadValue,
                format!("UPS [{sys}]: ignoring invalid power value [{pv}]"),
            );
            return;
        };
        if !clean {
            diag.warn(
                n,
                WarningKind::NotANumber,
                format!("UPS [{sys}]: power value \"{pv}\" is not a number; C NUT reads it as {power_value}"),
            );
        }
        // C compares the text as written; comparing the parsed address also catches
        // `u@[host]` against `u@host`, which name the same UPS.
        let text = system.to_string();
        if self.monitors.iter().any(|m| m.system.to_string() == text) {
            diag.warn(
                n,
                WarningKind::Duplicate,
                format!("Warning: ignoring duplicate UPS [{sys}]"),
            );
            return;
        }
        let role = UpsmonRole::from_word(role).unwrap_or_else(|| {
            diag.warn(
                n,
                WarningKind::Unknown,
                format!("UPS [{sys}]: unknown role '{role}' (expected primary or secondary); C NUT treats it as secondary"),
            );
            UpsmonRole::Secondary
        });
        self.monitors.push(Monitor::new(
            system,
            power_value,
            user.clone(),
            pass.as_str(),
            role,
        ));
    }

    /// Writes the configuration as upsmon.conf text (settings at their default are left
    /// out; passwords in clear, as the file holds them).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let d = Self::default();
        for m in &self.monitors {
            push_line(
                &mut out,
                &[
                    "MONITOR",
                    &m.system.to_string(),
                    &m.power_value.to_string(),
                    &m.username,
                    m.password.expose(),
                    m.role.as_str(),
                ],
            );
        }
        let numbers: [(&str, i64, i64); 9] = [
            ("MINSUPPLIES", self.minsupplies.into(), d.minsupplies.into()),
            ("POLLFREQ", self.pollfreq.into(), d.pollfreq.into()),
            (
                "POLLFREQALERT",
                self.pollfreqalert.into(),
                d.pollfreqalert.into(),
            ),
            ("HOSTSYNC", self.hostsync.into(), d.hostsync.into()),
            ("DEADTIME", self.deadtime.into(), d.deadtime.into()),
            ("RBWARNTIME", self.rbwarntime.into(), d.rbwarntime.into()),
            (
                "NOCOMMWARNTIME",
                self.nocommwarntime.into(),
                d.nocommwarntime.into(),
            ),
            ("FINALDELAY", self.finaldelay.into(), d.finaldelay.into()),
            ("CERTVERIFY", self.certverify.into(), 0),
        ];
        for (key, value, default) in numbers {
            if value != default {
                push_line(&mut out, &[key, &value.to_string()]);
            }
        }
        if self.forcessl {
            push_line(&mut out, &["FORCESSL", "1"]);
        }
        for (key, value) in [
            ("SHUTDOWNCMD", &self.shutdowncmd),
            ("NOTIFYCMD", &self.notifycmd),
            ("POWERDOWNFLAG", &self.powerdownflag),
            ("RUN_AS_USER", &self.run_as_user),
            ("CERTPATH", &self.certpath),
            ("CERTFILE", &self.certfile),
            ("EVENTLOG", &self.eventlog),
        ] {
            if let Some(v) = value {
                push_line(&mut out, &[key, v]);
            }
        }
        if let Some(c) = &self.certident {
            push_line(&mut out, &["CERTIDENT", &c.name, c.password.expose()]);
        }
        for h in &self.certhosts {
            let flag = |b: bool| if b { "1" } else { "0" };
            push_line(
                &mut out,
                &[
                    "CERTHOST",
                    &h.host,
                    &h.certname,
                    flag(h.certverify),
                    flag(h.forcessl),
                ],
            );
        }
        if let Some(v) = self.debug_min {
            push_line(&mut out, &["DEBUG_MIN", &v.to_string()]);
        }
        if let Some(e) = self.shutdownexit {
            let text = match e {
                ShutdownExit::Yes => "yes".to_owned(),
                ShutdownExit::No => "no".to_owned(),
                ShutdownExit::After(s) => s.to_string(),
            };
            push_line(&mut out, &["SHUTDOWNEXIT", &text]);
        }
        let optional: [(&str, Option<i64>); 5] = [
            (
                "POLLFAIL_LOG_THROTTLE_MAX",
                self.pollfail_log_throttle_max.map(i64::from),
            ),
            ("OFFDURATION", self.offduration.map(i64::from)),
            ("OVERDURATION", self.overduration.map(i64::from)),
            ("OBLBDURATION", self.oblbduration.map(i64::from)),
            ("ALARMCRITICAL", self.alarmcritical.map(i64::from)),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                push_line(&mut out, &[key, &v.to_string()]);
            }
        }
        for t in &self.thresholds {
            let sys = t.system.to_string();
            for (key, value) in [
                ("SHUTDOWNCHARGE", t.charge),
                ("SHUTDOWNRUNTIME", t.runtime),
                ("SHUTDOWNONBATT", t.on_battery),
            ] {
                if let Some(v) = value {
                    push_line(&mut out, &[key, &sys, &v.to_string()]);
                }
            }
        }
        for (event, msg) in &self.notify_messages {
            push_line(&mut out, &["NOTIFYMSG", event.as_str(), msg]);
        }
        for (event, flags) in &self.notify_flags {
            push_line(
                &mut out,
                &["NOTIFYFLAG", event.as_str(), &flags.to_string()],
            );
        }
        out
    }
}

fn shutdown_exit(diag: &mut Diag, n: usize, arg: &str) -> ShutdownExit {
    let is = |words: [&str; 3]| words.iter().any(|w| w.eq_ignore_ascii_case(arg));
    if is(["on", "yes", "true"]) {
        return ShutdownExit::Yes;
    }
    if is(["off", "no", "false"]) {
        return ShutdownExit::No;
    }
    match c_str_to_int(arg) {
        Some(v) => u32::try_from(v).map_or(ShutdownExit::No, ShutdownExit::After),
        None => {
            diag.warn(
                n,
                WarningKind::BadValue,
                "SHUTDOWNEXIT value not recognized, defaulting to 'yes'",
            );
            ShutdownExit::Yes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed<UpsmonConf> {
        UpsmonConf::parse(text.as_bytes(), "upsmon.conf").unwrap()
    }

    fn messages(p: &Parsed<UpsmonConf>) -> Vec<String> {
        p.warnings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn c_messages_for_bad_lines() {
        // The same lines were given to C upsmon 2.8.0; where it printed a message, ours
        // carries the same words.
        let p = parse(
            "MONITOR dummy@127.0.0.1:34931 1 mon p primary\n\
             MONITOR dummy@127.0.0.1:34931 1 mon p secondary\n\
             MONITOR other@localhost x mon p weird\n\
             MONITOR third@ 1 mon p slave\n\
             MONITOR short 1 mon\n\
             POLLFREQ abc\nPOLLFREQ -3\nNOTIFYFLAG ONLINE SYSLOG+BAD+EXEC\n\
             NOTIFYFLAG WHAT SYSLOG\nNOTIFYMSG WHAT \"x\"\nNOTIFYMSG ONLINE\nFOO\nDEBUG_MIN x\n\
             MONITOR neg@h -1 u p primary\n",
        );
        assert_eq!(
            messages(&p),
            [
                "upsmon.conf:2: Warning: ignoring duplicate UPS [dummy@127.0.0.1:34931]",
                "upsmon.conf:3: UPS [other@localhost]: power value \"x\" is not a number; C NUT reads it as 0",
                "upsmon.conf:3: UPS [other@localhost]: unknown role 'weird' (expected primary or secondary); C NUT treats it as secondary",
                "upsmon.conf:4: Error: unable to split UPS name [third@]: no host name after '@'; MONITOR line ignored",
                "upsmon.conf:5: invalid directive MONITOR (3 more word(s) not shown: they may hold a password)",
                "upsmon.conf:6: POLLFREQ: \"abc\" is not a number; C NUT reads it as 0",
                "upsmon.conf:7: Ignoring invalid POLLFREQ value: -3",
                "upsmon.conf:8: Invalid notify flag: [BAD]",
                "upsmon.conf:9: Warning: invalid notify type [WHAT]",
                "upsmon.conf:10: 'WHAT' is not a valid notify event name",
                "upsmon.conf:11: invalid directive NOTIFYMSG ONLINE",
                "upsmon.conf:12: invalid directive FOO",
                "upsmon.conf:13: WARNING : Invalid DEBUG_MIN value found in upsmon.conf global settings",
                "upsmon.conf:14: UPS [neg@h]: ignoring invalid power value [-1]",
            ]
        );
        let c = &p.config;
        assert_eq!(c.monitors.len(), 2);
        assert_eq!(c.monitors[1].power_value, 0);
        assert_eq!(c.monitors[1].role, UpsmonRole::Secondary);
        assert_eq!(c.pollfreq, 0);
        assert_eq!(
            c.notify_flags_for(NotifyEvent::Online),
            NotifyFlags::SYSLOG.with(NotifyFlags::EXEC)
        );
    }

    #[test]
    fn old_monitor_form_is_fatal() {
        let err = UpsmonConf::parse(
            b"MINSUPPLIES 1\nMONITOR ups@host 1 pass primary\n",
            "upsmon.conf",
        )
        .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("upsmon.conf:2: Unable to use old-style MONITOR line without a username"));
        assert_eq!(err.kind(), Some(ErrorKind::Obsolete));
    }

    #[test]
    fn newer_keywords() {
        let p = parse(
            "SHUTDOWNEXIT no\nOFFDURATION 10\nOVERDURATION -1\nOBLBDURATION -5\nALARMCRITICAL 0\n\
             POLLFAIL_LOG_THROTTLE_MAX 2147483647\nCERTFILE /c.pem\n",
        );
        assert_eq!(
            messages(&p),
            ["upsmon.conf:6: Ignoring invalid POLLFAIL_LOG_THROTTLE_MAX value: 2147483647"]
        );
        let c = &p.config;
        assert_eq!(c.shutdownexit, Some(ShutdownExit::No));
        assert_eq!(
            (c.offduration, c.overduration, c.oblbduration),
            (Some(10), Some(-1), Some(0))
        );
        assert_eq!(c.alarmcritical, Some(false));
        assert_eq!(c.certfile.as_deref(), Some("/c.pem"));
        let p = parse("SHUTDOWNEXIT 30\nSHUTDOWNEXIT maybe\n");
        assert_eq!(p.config.shutdownexit, Some(ShutdownExit::Yes));
        assert_eq!(
            p.warnings[0].message,
            "SHUTDOWNEXIT value not recognized, defaulting to 'yes'"
        );
        assert_eq!(
            parse("SHUTDOWNEXIT 30\n").config.shutdownexit,
            Some(ShutdownExit::After(30))
        );
    }

    #[test]
    fn writes_and_reads_back() {
        let mut c = UpsmonConf::default();
        c.monitors.push(Monitor::new(
            "ups@[::1]:3493".parse().unwrap(),
            2,
            "mon",
            "pa ss#",
            UpsmonRole::Primary,
        ));
        c.deadtime = 25;
        c.shutdowncmd = Some("/sbin/shutdown -h +0".into());
        c.certident = Some(CertIdent::new("me", "pw"));
        c.certhosts.push(CertHost::new("h", "cn", true, false));
        c.notify_flags.insert(
            NotifyEvent::OnBatt,
            NotifyFlags::SYSLOG.with(NotifyFlags::EXEC),
        );
        c.notify_flags
            .insert(NotifyEvent::Online, NotifyFlags::IGNORE);
        c.notify_messages
            .insert(NotifyEvent::LowBatt, "UPS %s is \"low\"".into());
        c.oblbduration = Some(3);
        let text = c.to_text();
        assert_eq!(
            text,
            "MONITOR ups@[::1]:3493 2 mon \"pa ss\\#\" primary\nDEADTIME 25\n\
             SHUTDOWNCMD \"/sbin/shutdown -h +0\"\nCERTIDENT me pw\nCERTHOST h cn 1 0\n\
             OBLBDURATION 3\nNOTIFYMSG LOWBATT \"UPS %s is \\\"low\\\"\"\n\
             NOTIFYFLAG ONLINE IGNORE\nNOTIFYFLAG ONBATT SYSLOG+EXEC\n"
        );
        let back = parse(&text);
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_eq!(back.config, c);
        assert_eq!(c.total_power_value(), 2);
    }

    #[test]
    fn nut_rs_thresholds_and_event_log() {
        let p = parse(
            "MONITOR a@h 1 u p primary\n\
             SHUTDOWNCHARGE a@h 40\n\
             SHUTDOWNRUNTIME a@h 300\n\
             SHUTDOWNONBATT b@h:3494 600\n\
             SHUTDOWNCHARGE a@h 30\n\
             SHUTDOWNRUNTIME a@h\n\
             SHUTDOWNONBATT c@h soon\n\
             EVENTLOG /var/log/nut/events.log\n",
        );
        let c = &p.config;
        assert_eq!(c.thresholds.len(), 2);
        let a = c.thresholds_for(&"a@h".parse().unwrap()).unwrap();
        assert_eq!(
            (a.charge, a.runtime, a.on_battery),
            (Some(30), Some(300), None)
        );
        assert!(a.needs_battery_values());
        let b = c.thresholds_for(&"b@h:3494".parse().unwrap()).unwrap();
        assert_eq!(b.on_battery, Some(600));
        assert!(!b.needs_battery_values());
        assert_eq!(c.eventlog.as_deref(), Some("/var/log/nut/events.log"));
        // A missing value is C's "invalid directive"; a bad number is reported.
        let w = messages(&p);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("invalid directive"), "{w:?}");
        let back = parse(&c.to_text());
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_eq!(&back.config, c);
    }
}
