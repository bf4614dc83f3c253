//! ups.conf: the devices, read by upsdrvctl, every driver, and upsd.
//!
//! Global directives come first; then one `[upsname]` section per device. A line is
//! `key = value`, or a bare `flag`. Keys that the common driver core, upsdrvctl or upsd know
//! become typed fields; every other key of a section is kept, in order, as a
//! [`DriverOption`] for the driver itself (`cable`, `vendorid`, `override.battery.charge.low`,
//! …).
//!
//! ```
//! use nut_proto::config::UpsConf;
//!
//! let text = b"maxretry = 3\n[myups]\n\tdriver = usbhid-ups\n\tport = auto\n\tdesc = \"Web server\"\n\tvendorid = 0764\n\tnolock\n";
//! let parsed = UpsConf::parse(text, "ups.conf").unwrap();
//! assert!(parsed.warnings.is_empty());
//! let ups = parsed.config.get("MyUPS").unwrap();
//! assert_eq!(ups.driver.as_deref(), Some("usbhid-ups"));
//! assert!(ups.nolock);
//! assert_eq!(ups.option("VendorID"), Some(Some("0764")));
//! assert_eq!(parsed.config.global.maxretry, Some(3));
//! ```

use std::path::Path;

use super::common::{c_str_to_int, c_strtol, logical_lines, push_line};
use super::error::{ConfigError, Diag, ErrorKind, WarningKind};
use super::Parsed;
use crate::names::UpsName;

/// upsdrvctl's default for `maxstartdelay` (seconds).
pub const DEFAULT_MAXSTARTDELAY: i32 = 45;
/// upsdrvctl's default for `maxretry` (attempts).
pub const DEFAULT_MAXRETRY: i32 = 1;
/// upsdrvctl's default for `retrydelay` (seconds).
pub const DEFAULT_RETRYDELAY: i32 = 5;
/// The drivers' default `pollinterval` (seconds).
pub const DEFAULT_POLLINTERVAL: u32 = 2;

/// The whole of ups.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsConf {
    /// The directives before the first section.
    pub global: UpsGlobal,
    /// The devices, in file order. Names are unique (ignoring case).
    pub ups: Vec<UpsSection>,
}

/// The global directives of ups.conf. `None` means "not set": the program's default (or
/// the command line) applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsGlobal {
    /// `chroot`: directory drivers chroot(2) into.
    pub chroot: Option<String>,
    /// `driverpath`: where upsdrvctl finds the driver programs.
    pub driverpath: Option<String>,
    /// `statepath`: where drivers put their sockets (known to C NUT after 2.8.0; 2.8.0 uses
    /// the build default or `NUT_STATEPATH`).
    pub statepath: Option<String>,
    /// `maxstartdelay`: seconds upsdrvctl waits for a driver to start.
    pub maxstartdelay: Option<i32>,
    /// `maxretry`: attempts upsdrvctl makes to start a driver.
    pub maxretry: Option<i32>,
    /// `retrydelay`: seconds between those attempts.
    pub retrydelay: Option<i32>,
    /// `nowait`: upsdrvctl does not wait for the drivers.
    pub nowait: bool,
    /// `pollinterval`: seconds between two updates of every driver (always above 0).
    pub pollinterval: Option<u32>,
    /// `synchronous`: how drivers write to their socket.
    pub synchronous: Option<Synchronous>,
    /// `user`: the user drivers run as.
    pub user: Option<String>,
    /// `group`: the group of the drivers' sockets.
    pub group: Option<String>,
    /// `debug_min`: minimum debug level of every driver.
    pub debug_min: Option<u32>,
    /// Other global directives, in order. C NUT 2.8.0 ignores them; newer versions know
    /// some (`LIBUSB_DEBUG`, `reconnect_max_tries`, …).
    pub other: Vec<DriverOption>,
}

/// The `synchronous` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum Synchronous {
    /// `yes`: always wait for upsd to read.
    Yes,
    /// `no` (or any unknown value): never wait.
    No,
    /// `auto`: switch to synchronous writes when the socket is full (the default).
    Auto,
}

impl Synchronous {
    /// The word used in ups.conf.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Auto => "auto",
        }
    }
}

/// One `[name]` section of ups.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsSection {
    /// The section name: the UPS name clients use.
    pub name: UpsName,
    /// `driver`: the driver program (required).
    pub driver: Option<String>,
    /// `port`: the device path or address (required).
    pub port: Option<String>,
    /// `desc`: the description upsd gives to clients.
    pub desc: Option<String>,
    /// `sdorder`: shutdown order for upsdrvctl (`-1` excludes the UPS).
    pub sdorder: Option<i32>,
    /// `maxstartdelay`: overrides the global value for this UPS.
    pub maxstartdelay: Option<i32>,
    /// `nolock`: do not lock the port.
    pub nolock: bool,
    /// `ignorelb`: ignore the UPS's own low-battery flag.
    pub ignorelb: bool,
    /// `pollinterval`: overrides the global value (always above 0).
    pub pollinterval: Option<u32>,
    /// `synchronous`: overrides the global value.
    pub synchronous: Option<Synchronous>,
    /// `user`: overrides the global value.
    pub user: Option<String>,
    /// `group`: overrides the global value.
    pub group: Option<String>,
    /// `debug_min`: overrides the global value.
    pub debug_min: Option<u32>,
    /// Every other setting, in file order (including repeated keys), for the driver.
    pub options: Vec<DriverOption>,
}

/// A setting passed through to a driver: `key = value`, or a bare flag (`value` is `None`).
///
/// The key must not be one of the keys [`UpsSection`] has a field for, must not be empty,
/// and must not look like a section header (`[x]`); otherwise the written file reads back
/// differently.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriverOption {
    /// The setting's name (drivers match it ignoring case).
    pub key: String,
    /// Its value; `None` for a flag.
    pub value: Option<String>,
}

impl DriverOption {
    /// `key = value`.
    pub fn value(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: Some(value.into()),
        }
    }

    /// A bare flag.
    pub fn flag(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: None,
        }
    }
}

/// The section keys with a field in [`UpsSection`].
#[cfg_attr(not(feature = "arbitrary"), allow(dead_code))]
pub(crate) const SECTION_KEYS: &[&str] = &[
    "driver",
    "port",
    "desc",
    "sdorder",
    "maxstartdelay",
    "nolock",
    "ignorelb",
    "pollinterval",
    "synchronous",
    "user",
    "group",
    "debug_min",
    "sddelay",
];

/// The global keys with a field in [`UpsGlobal`].
#[cfg_attr(not(feature = "arbitrary"), allow(dead_code))]
pub(crate) const GLOBAL_KEYS: &[&str] = &[
    "chroot",
    "driverpath",
    "statepath",
    "maxstartdelay",
    "maxretry",
    "retrydelay",
    "nowait",
    "pollinterval",
    "synchronous",
    "user",
    "group",
    "debug_min",
];

impl UpsSection {
    /// A section with its two required settings.
    pub fn new(name: UpsName, driver: impl Into<String>, port: impl Into<String>) -> Self {
        Self {
            driver: Some(driver.into()),
            port: Some(port.into()),
            ..Self::empty(name)
        }
    }

    /// A section with nothing set.
    pub fn empty(name: UpsName) -> Self {
        Self {
            name,
            driver: None,
            port: None,
            desc: None,
            sdorder: None,
            maxstartdelay: None,
            nolock: false,
            ignorelb: false,
            pollinterval: None,
            synchronous: None,
            user: None,
            group: None,
            debug_min: None,
            options: Vec::new(),
        }
    }

    /// Whether `driver` and `port` are both set (upsd ignores sections without them).
    pub fn is_complete(&self) -> bool {
        self.driver.is_some() && self.port.is_some()
    }

    /// The last value given to a driver option, matching the key ignoring case as drivers
    /// do: `Some(None)` for a flag, `None` when absent.
    pub fn option(&self, key: &str) -> Option<Option<&str>> {
        self.options
            .iter()
            .rev()
            .find(|o| o.key.eq_ignore_ascii_case(key))
            .map(|o| o.value.as_deref())
    }
}

impl UpsConf {
    /// Parses ups.conf. `file` names the file in messages.
    pub fn parse(text: &[u8], file: &str) -> Result<Parsed<Self>, ConfigError> {
        let mut diag = Diag::with_secrets(file, |words| {
            let key = words[0].to_ascii_lowercase();
            key.contains("pass") || key.contains("community")
        });
        let mut conf = Self::default();
        // Index into `conf.ups` of the current section, and the header lines.
        let mut current: Option<usize> = None;
        let mut header_lines = Vec::new();
        for line in logical_lines(text, &mut diag) {
            let n = line.line_no;
            let words = &line.words;
            let Some(first) = words.first() else { continue };
            if let Some(name) = section_name(first) {
                let name = UpsName::new(name).map_err(|e| {
                    diag.error(
                        n,
                        ErrorKind::BadName,
                        format!("invalid UPS name [{name}]: {e}"),
                    )
                })?;
                diag.extra_arguments(n, words, 1);
                if let Some(i) = conf.ups.iter().position(|u| u.name == name) {
                    diag.warn(
                        n,
                        WarningKind::Duplicate,
                        format!("section [{name}] is defined again; its settings are merged into the first one"),
                    );
                    current = Some(i);
                } else {
                    current = Some(conf.ups.len());
                    conf.ups.push(UpsSection::empty(name));
                    header_lines.push(n);
                }
                continue;
            }
            let (key, value) = match words.len() {
                1 => (first.as_str(), None),
                _ if words.len() >= 3 && words[1] == "=" => {
                    diag.extra_arguments(n, words, 3);
                    (first.as_str(), Some(words[2].as_str()))
                }
                _ => {
                    diag.warn(
                        n,
                        WarningKind::InvalidDirective,
                        format!(
                            "invalid directive {}: expected 'key = value' or a flag",
                            diag.shown(words)
                        ),
                    );
                    continue;
                }
            };
            if key.is_empty() {
                diag.warn(
                    n,
                    WarningKind::InvalidDirective,
                    "empty setting name; line ignored",
                );
                continue;
            }
            match current.and_then(|i| conf.ups.get_mut(i)) {
                None => global_arg(&mut conf.global, &mut diag, n, key, value)?,
                Some(section) => section_arg(section, &mut diag, n, key, value)?,
            }
        }
        for (ups, line) in conf.ups.iter().zip(header_lines) {
            if !ups.is_complete() {
                diag.warn(
                    line,
                    WarningKind::Incomplete,
                    format!(
                        "Warning: ignoring incomplete configuration for UPS [{}]",
                        ups.name
                    ),
                );
            }
        }
        Ok(Parsed {
            config: conf,
            warnings: diag.sorted(),
        })
    }

    /// Reads and parses a ups.conf file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed<Self>, ConfigError> {
        super::load_with(path.as_ref(), Self::parse)
    }

    /// The section of a UPS, matching the name ignoring case.
    pub fn get(&self, name: &str) -> Option<&UpsSection> {
        self.ups.iter().find(|u| u.name.matches(name))
    }

    /// The `maxstartdelay` that applies to a UPS.
    pub fn maxstartdelay_for(&self, ups: &UpsSection) -> i32 {
        ups.maxstartdelay
            .or(self.global.maxstartdelay)
            .unwrap_or(DEFAULT_MAXSTARTDELAY)
    }

    /// The `pollinterval` that applies to a UPS.
    pub fn pollinterval_for(&self, ups: &UpsSection) -> u32 {
        ups.pollinterval
            .or(self.global.pollinterval)
            .unwrap_or(DEFAULT_POLLINTERVAL)
    }

    /// The `synchronous` mode that applies to a UPS.
    pub fn synchronous_for(&self, ups: &UpsSection) -> Synchronous {
        ups.synchronous
            .or(self.global.synchronous)
            .unwrap_or(Synchronous::Auto)
    }

    /// The `user` that applies to a UPS, if any is configured.
    pub fn user_for<'a>(&'a self, ups: &'a UpsSection) -> Option<&'a str> {
        ups.user.as_deref().or(self.global.user.as_deref())
    }

    /// The `group` that applies to a UPS, if any is configured.
    pub fn group_for<'a>(&'a self, ups: &'a UpsSection) -> Option<&'a str> {
        ups.group.as_deref().or(self.global.group.as_deref())
    }

    /// The `debug_min` that applies to a UPS, if any is configured.
    pub fn debug_min_for(&self, ups: &UpsSection) -> Option<u32> {
        ups.debug_min.or(self.global.debug_min)
    }

    /// Writes the configuration as ups.conf text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let g = &self.global;
        let num = |v: Option<i32>| v.map(|v| v.to_string());
        let pairs: [(&str, Option<String>); 11] = [
            ("chroot", g.chroot.clone()),
            ("driverpath", g.driverpath.clone()),
            ("statepath", g.statepath.clone()),
            ("maxstartdelay", num(g.maxstartdelay)),
            ("maxretry", num(g.maxretry)),
            ("retrydelay", num(g.retrydelay)),
            ("pollinterval", g.pollinterval.map(|v| v.to_string())),
            ("synchronous", g.synchronous.map(|s| s.as_str().to_owned())),
            ("user", g.user.clone()),
            ("group", g.group.clone()),
            ("debug_min", g.debug_min.map(|v| v.to_string())),
        ];
        write_pairs(&mut out, "", &pairs);
        if g.nowait {
            out.push_str("nowait\n");
        }
        write_options(&mut out, "", &g.other);
        for ups in &self.ups {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push('[');
            out.push_str(ups.name.as_str());
            out.push_str("]\n");
            let pairs: [(&str, Option<String>); 10] = [
                ("driver", ups.driver.clone()),
                ("port", ups.port.clone()),
                ("desc", ups.desc.clone()),
                ("sdorder", num(ups.sdorder)),
                ("maxstartdelay", num(ups.maxstartdelay)),
                ("pollinterval", ups.pollinterval.map(|v| v.to_string())),
                (
                    "synchronous",
                    ups.synchronous.map(|s| s.as_str().to_owned()),
                ),
                ("user", ups.user.clone()),
                ("group", ups.group.clone()),
                ("debug_min", ups.debug_min.map(|v| v.to_string())),
            ];
            write_pairs(&mut out, "\t", &pairs);
            if ups.nolock {
                out.push_str("\tnolock\n");
            }
            if ups.ignorelb {
                out.push_str("\tignorelb\n");
            }
            write_options(&mut out, "\t", &ups.options);
        }
        out
    }
}

fn write_pairs(out: &mut String, indent: &str, pairs: &[(&str, Option<String>)]) {
    for (key, value) in pairs {
        if let Some(v) = value {
            out.push_str(indent);
            push_line(out, &[key, "=", v]);
        }
    }
}

fn write_options(out: &mut String, indent: &str, options: &[DriverOption]) {
    for o in options {
        out.push_str(indent);
        match &o.value {
            Some(v) => push_line(out, &[&o.key, "=", v]),
            None => push_line(out, &[&o.key]),
        }
    }
}

/// `[name]` → `name` (C: first byte `[`, last byte `]`).
pub(crate) fn section_name(word: &str) -> Option<&str> {
    if word.len() >= 2 && word.starts_with('[') && word.ends_with(']') {
        word.get(1..word.len() - 1)
    } else {
        None
    }
}

fn need<'a>(
    diag: &Diag,
    line: usize,
    key: &str,
    value: Option<&'a str>,
) -> Result<&'a str, ConfigError> {
    value.ok_or_else(|| {
        diag.error(
            line,
            ErrorKind::MissingValue,
            format!("'{key}' needs a value ({key} = ...); C NUT crashes on a bare '{key}'"),
        )
    })
}

fn flag(diag: &mut Diag, line: usize, key: &str, value: Option<&str>) -> bool {
    if let Some(v) = value {
        diag.warn(
            line,
            WarningKind::BadValue,
            format!("'{key}' is a flag: its value \"{v}\" is ignored and the flag is set"),
        );
    }
    true
}

fn pollinterval(
    diag: &mut Diag,
    line: usize,
    section: Option<&UpsName>,
    text: &str,
) -> Option<u32> {
    let (value, clean) = c_strtol(text);
    match u32::try_from(value) {
        Ok(v) if v > 0 && i32::try_from(v).is_ok() => {
            if !clean {
                diag.warn(
                    line,
                    WarningKind::NotANumber,
                    format!("pollinterval: \"{text}\" is not a number; C NUT reads it as {v}"),
                );
            }
            Some(v)
        }
        _ => {
            let shown = i32::try_from(value).map_or_else(|_| text.to_owned(), |v| v.to_string());
            let message = match section {
                None => format!("Error: invalid pollinterval: {shown}"),
                Some(name) => format!("Error: UPS [{name}]: invalid pollinterval: {shown}"),
            };
            diag.warn(line, WarningKind::DriverFatal, message);
            None
        }
    }
}

fn synchronous(diag: &mut Diag, line: usize, text: &str) -> Synchronous {
    match text {
        "yes" => Synchronous::Yes,
        "auto" => Synchronous::Auto,
        "no" => Synchronous::No,
        other => {
            diag.warn(
                line,
                WarningKind::BadValue,
                format!("synchronous: unknown value \"{other}\"; C NUT treats it as 'no'"),
            );
            Synchronous::No
        }
    }
}

fn debug_min(diag: &mut Diag, line: usize, value: Option<&str>, global: bool) -> Option<u32> {
    match value.and_then(c_str_to_int).map(u32::try_from) {
        Some(Ok(v)) => Some(v),
        _ => {
            let wording = if global {
                "WARNING : Invalid debug_min value found in ups.conf global settings"
            } else {
                "WARNING : Invalid debug_min value found in ups.conf for the driver"
            };
            diag.warn(line, WarningKind::BadValue, wording);
            None
        }
    }
}

fn global_arg(
    g: &mut UpsGlobal,
    diag: &mut Diag,
    n: usize,
    key: &str,
    value: Option<&str>,
) -> Result<(), ConfigError> {
    match key {
        "chroot" => g.chroot = Some(need(diag, n, key, value)?.to_owned()),
        "driverpath" => g.driverpath = Some(need(diag, n, key, value)?.to_owned()),
        "statepath" => g.statepath = Some(need(diag, n, key, value)?.to_owned()),
        "user" => g.user = Some(need(diag, n, key, value)?.to_owned()),
        "group" => g.group = Some(need(diag, n, key, value)?.to_owned()),
        "maxstartdelay" | "maxretry" | "retrydelay" => {
            let v = need(diag, n, key, value)?;
            let parsed = diag.atoi(n, key, v);
            let slot = match key {
                "maxstartdelay" => &mut g.maxstartdelay,
                "maxretry" => &mut g.maxretry,
                _ => &mut g.retrydelay,
            };
            if parsed.is_some() {
                *slot = parsed;
            }
        }
        "nowait" => g.nowait = flag(diag, n, key, value),
        "pollinterval" => {
            let v = need(diag, n, key, value)?;
            if let Some(p) = pollinterval(diag, n, None, v) {
                g.pollinterval = Some(p);
            }
        }
        "synchronous" => {
            let v = need(diag, n, key, value)?;
            g.synchronous = Some(synchronous(diag, n, v));
        }
        "debug_min" => {
            if let Some(v) = debug_min(diag, n, value, true) {
                g.debug_min = Some(v);
            }
        }
        _ => {
            diag.warn(
                n,
                WarningKind::Unknown,
                format!("unknown global directive '{key}' before the first [section] (C NUT 2.8.0 ignores it)"),
            );
            g.other.push(DriverOption {
                key: key.to_owned(),
                value: value.map(str::to_owned),
            });
        }
    }
    Ok(())
}

fn section_arg(
    s: &mut UpsSection,
    diag: &mut Diag,
    n: usize,
    key: &str,
    value: Option<&str>,
) -> Result<(), ConfigError> {
    match key {
        "driver" => s.driver = Some(need(diag, n, key, value)?.to_owned()),
        "port" => s.port = Some(need(diag, n, key, value)?.to_owned()),
        "desc" => s.desc = Some(need(diag, n, key, value)?.to_owned()),
        "user" => s.user = Some(need(diag, n, key, value)?.to_owned()),
        "group" => s.group = Some(need(diag, n, key, value)?.to_owned()),
        "sdorder" | "maxstartdelay" => {
            let v = need(diag, n, key, value)?;
            let parsed = diag.atoi(n, key, v);
            let slot = if key == "sdorder" {
                &mut s.sdorder
            } else {
                &mut s.maxstartdelay
            };
            if parsed.is_some() {
                *slot = parsed;
            }
        }
        "nolock" => s.nolock = flag(diag, n, key, value),
        "ignorelb" => s.ignorelb = flag(diag, n, key, value),
        "pollinterval" => {
            let v = need(diag, n, key, value)?;
            if let Some(p) = pollinterval(diag, n, Some(&s.name), v) {
                s.pollinterval = Some(p);
            }
        }
        "synchronous" => {
            let v = need(diag, n, key, value)?;
            s.synchronous = Some(synchronous(diag, n, v));
        }
        "debug_min" => {
            if let Some(v) = debug_min(diag, n, value, false) {
                s.debug_min = Some(v);
            }
        }
        "sddelay" if value.is_some() => {
            diag.warn(
                n,
                WarningKind::Obsolete,
                "Obsolete value sddelay found in ups.conf",
            );
        }
        _ => s.options.push(DriverOption {
            key: key.to_owned(),
            value: value.map(str::to_owned),
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed<UpsConf> {
        UpsConf::parse(text.as_bytes(), "ups.conf").unwrap()
    }

    fn messages(p: &Parsed<UpsConf>) -> Vec<String> {
        p.warnings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn globals_and_sections() {
        let p = parse(
            "chroot = /var/chroot\nmaxstartdelay = 60\nnowait\nsynchronous = auto\n\
             debug_min = 2\npollinterval = 5\n\
             [a]\n driver = dummy-ups\n port = a.dev\n sdorder = -1\n \
             override.battery.charge.low = 30\n cable = 940-0095B\n usb_set_altinterface\n\
             [b]\n driver = apcsmart\n port = /dev/ttyS0\n pollinterval = 1\n",
        );
        assert_eq!(messages(&p), Vec::<String>::new());
        let c = &p.config;
        assert_eq!(c.global.chroot.as_deref(), Some("/var/chroot"));
        assert!(c.global.nowait);
        assert_eq!(c.global.synchronous, Some(Synchronous::Auto));
        assert_eq!(c.global.debug_min, Some(2));
        assert_eq!(c.ups.len(), 2);
        let a = &c.ups[0];
        assert_eq!(a.sdorder, Some(-1));
        assert_eq!(a.options.len(), 3);
        assert_eq!(a.options[2], DriverOption::flag("usb_set_altinterface"));
        assert_eq!(a.option("cable"), Some(Some("940-0095B")));
        assert_eq!(c.maxstartdelay_for(a), 60);
        assert_eq!(c.pollinterval_for(a), 5);
        assert_eq!(c.pollinterval_for(&c.ups[1]), 1);
        assert_eq!(c.synchronous_for(a), Synchronous::Auto);
    }

    #[test]
    fn missing_value_is_fatal() {
        let err = UpsConf::parse(b"[x]\n\tdriver\n\tport = y\n", "ups.conf").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ups.conf:2: 'driver' needs a value (driver = ...); C NUT crashes on a bare 'driver'"
        );
        assert_eq!(err.kind(), Some(ErrorKind::MissingValue));
    }

    #[test]
    fn quirks_become_warnings() {
        let p = parse(
            "pollinterval = 0\nfoo = 1\n[u]\n driver = d\n port =\n port = p x\n nolock = no\n \
             debug_min = x\n pollinterval = abc\n sddelay = 5\n synchronous = maybe\n\
             [U]\n desc = again\n[v]\n",
        );
        assert_eq!(
            messages(&p),
            [
                "ups.conf:1: Error: invalid pollinterval: 0",
                "ups.conf:2: unknown global directive 'foo' before the first [section] (C NUT 2.8.0 ignores it)",
                "ups.conf:5: invalid directive port =: expected 'key = value' or a flag",
                "ups.conf:6: port: extra argument(s) ignored: x (quote values that hold spaces)",
                "ups.conf:7: 'nolock' is a flag: its value \"no\" is ignored and the flag is set",
                "ups.conf:8: WARNING : Invalid debug_min value found in ups.conf for the driver",
                "ups.conf:9: Error: UPS [u]: invalid pollinterval: 0",
                "ups.conf:10: Obsolete value sddelay found in ups.conf",
                "ups.conf:11: synchronous: unknown value \"maybe\"; C NUT treats it as 'no'",
                "ups.conf:12: section [U] is defined again; its settings are merged into the first one",
                "ups.conf:14: Warning: ignoring incomplete configuration for UPS [v]",
            ]
        );
        assert_eq!(p.warnings[0].kind, WarningKind::DriverFatal);
        let u = &p.config.ups[0];
        assert_eq!(u.port.as_deref(), Some("p"));
        assert!(u.nolock);
        assert_eq!(u.desc.as_deref(), Some("again"));
        assert_eq!(u.synchronous, Some(Synchronous::No));
        assert_eq!(p.config.global.other, [DriverOption::value("foo", "1")]);
        assert_eq!(p.config.ups.len(), 2);
    }

    #[test]
    fn bad_section_names() {
        let err = UpsConf::parse(b"\"[my ups]\"\n", "ups.conf").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("ups.conf:1: invalid UPS name [my ups]"));
        assert_eq!(section_name("[]"), Some(""));
        assert!(UpsConf::parse(b"[]\n", "u").is_err());
        assert_eq!(section_name("["), None);
        assert_eq!(section_name("x]"), None);
    }

    #[test]
    fn writes_and_reads_back() {
        let mut conf = UpsConf::default();
        conf.global.maxretry = Some(3);
        conf.global
            .other
            .push(DriverOption::value("LIBUSB_DEBUG", "1"));
        let mut s = UpsSection::new(UpsName::new("MyUPS").unwrap(), "dummy-ups", "my file.dev");
        s.desc = Some("A \"quoted\" # desc".into());
        s.ignorelb = true;
        s.options
            .push(DriverOption::value("override.battery.charge.low", "30"));
        s.options.push(DriverOption::flag("nowarn"));
        conf.ups.push(s);
        let text = conf.to_text();
        assert_eq!(
            text,
            "maxretry = 3\nLIBUSB_DEBUG = 1\n\n[MyUPS]\n\tdriver = dummy-ups\n\
             \tport = \"my file.dev\"\n\tdesc = \"A \\\"quoted\\\" \\# desc\"\n\tignorelb\n\
             \toverride.battery.charge.low = 30\n\tnowarn\n"
        );
        let back = UpsConf::parse(text.as_bytes(), "ups.conf").unwrap();
        assert_eq!(back.config, conf);
        assert_eq!(back.config.to_text(), text);
    }
}
