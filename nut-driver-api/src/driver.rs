//! The [`Driver`] trait every protocol family implements, and the types it speaks.
//!
//! A driver knows one device. The runtime ([`crate::runtime`]) owns the driver and its
//! [`DeviceState`], and calls the driver at the right moments:
//!
//! | C driver core (`main.c`) | this trait | when |
//! | --- | --- | --- |
//! | `upsdrv_makevartable` | [`Driver::options`] | before reading the configuration (`-h`, validation) |
//! | `upsdrv_initups` | [`Driver::open`] | at start, and again after a transport error (reconnect) |
//! | `upsdrv_initinfo` | [`Driver::identify`] | after every successful `open` |
//! | `upsdrv_updateinfo` | [`Driver::update`] | every `pollinterval` |
//! | (`extrafd` wake-ups) | [`Driver::event`] | whenever the device sends something unprompted |
//! | `upsh.instcmd` | [`Driver::instcmd`] | `INSTCMD` from a server |
//! | `upsh.setvar` | [`Driver::set_var`] | `SET` from a server |
//! | `upsdrv_shutdown` | [`Driver::shutdown`] | `-k`, or the `driver.killpower` command |
//! | `upsdrv_cleanup` | [`Driver::close`] | before a reconnect and at exit |
//!
//! Errors say what the runtime should do: a [`DriverError::Transport`] error (the port, the
//! USB handle or the socket failed) marks the data stale, closes the driver and re-opens it
//! with a growing delay; a [`DriverError::Device`] error (no answer, a garbled answer) marks
//! the data stale and tries again at the next poll; a [`DriverError::Config`] error from
//! `open` at start-up stops the driver, because retrying cannot help. Nothing else ever makes
//! the runtime exit.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::state::DeviceState;
use nut_proto::sock::TrackingStatus;

/// What a driver says about itself: the program name, a description and its own version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriverInfo {
    /// The program name (`dummy-ups`): `driver.name`, and part of the socket name.
    pub name: String,
    /// A one-line description, printed in the banner (`Device simulation and repeater driver`).
    pub description: String,
    /// The driver's own version: `driver.version.internal`.
    pub version: String,
    /// Whether C marks the driver experimental (`DRV_EXPERIMENTAL`): its program then
    /// warns so after the banner.
    pub experimental: bool,
}

impl DriverInfo {
    /// A description of a driver.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            version: version.into(),
            experimental: false,
        }
    }

    /// The same description, marked experimental.
    pub fn experimental(mut self) -> Self {
        self.experimental = true;
        self
    }
}

/// Whether an option takes a value (`-x name=value`) or is a bare flag (`-x name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptionKind {
    /// `name = value`.
    Value,
    /// A bare `name`.
    Flag,
}

/// One option a driver accepts in its ups.conf section or with `-x`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OptionSpec {
    /// The option name (matched ignoring case).
    pub name: String,
    /// Value or flag.
    pub kind: OptionKind,
    /// The help text shown by `-h`.
    pub help: String,
    /// The value used when the option is not given, if any (shown by `-h`; not published).
    pub default: Option<String>,
    /// Whether the value is a secret (an SNMP community, a password): it is then not
    /// published as `driver.parameter.<name>`.
    pub sensitive: bool,
}

impl OptionSpec {
    /// An option that takes a value.
    pub fn value(name: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: OptionKind::Value,
            help: help.into(),
            default: None,
            sensitive: false,
        }
    }

    /// A flag.
    pub fn flag(name: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            kind: OptionKind::Flag,
            ..Self::value(name, help)
        }
    }

    /// The same option with a default value.
    pub fn with_default(mut self, default: impl Into<String>) -> Self {
        self.default = Some(default.into());
        self
    }

    /// The same option, marked as a secret.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
}

/// The settings a driver is started with: its port and its own options, validated against
/// [`Driver::options`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriverParams {
    /// The `port` setting (a device path, an address, a file name).
    pub port: String,
    /// The driver's own options in the order given (later ones win), names as declared.
    pub options: Vec<(String, Option<String>)>,
    /// The configuration directory (`$NUT_CONFPATH`, default `/etc/nut`): drivers resolve
    /// relative file names against it.
    pub config_dir: PathBuf,
}

impl DriverParams {
    /// Parameters with a port and nothing else (the configuration directory is `/etc/nut`).
    pub fn new(port: impl Into<String>) -> Self {
        Self {
            port: port.into(),
            options: Vec::new(),
            config_dir: PathBuf::from(crate::cli::DEFAULT_CONFPATH),
        }
    }

    /// The same parameters with one more option.
    pub fn with_option(mut self, name: impl Into<String>, value: Option<&str>) -> Self {
        self.options.push((name.into(), value.map(str::to_owned)));
        self
    }

    /// The same parameters with another configuration directory.
    pub fn with_config_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config_dir = dir.into();
        self
    }

    /// The value of option `name` (ignoring case): `None` when absent or given as a flag.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
    }

    /// Whether option `name` was given at all (as a flag or with a value).
    pub fn is_set(&self, name: &str) -> bool {
        self.options
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// Resolves a file name as C drivers do: absolute paths as they are, others relative to
    /// the configuration directory.
    pub fn resolve_path(&self, file: &str) -> PathBuf {
        let path = Path::new(file);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.config_dir.join(path)
        }
    }
}

/// Why a driver call failed, and therefore what the runtime does next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The transport failed (port closed, USB device gone, socket error): the runtime marks
    /// the data stale, closes the driver and re-opens it with a growing delay.
    #[error("transport: {0}")]
    Transport(#[from] io::Error),
    /// The device did not answer or answered nonsense: the data is stale until the next
    /// successful update, and the runtime just polls again.
    #[error("device: {0}")]
    Device(String),
    /// The configuration cannot work (a bad option value, a missing file name): fatal when
    /// returned by the first `open`, retried like a transport error later.
    #[error("{0}")]
    Config(String),
    /// The operation is not supported by this driver or device.
    #[error("not supported: {0}")]
    Unsupported(String),
}

impl DriverError {
    /// A device error with a message.
    pub fn device(msg: impl fmt::Display) -> Self {
        Self::Device(msg.to_string())
    }

    /// A configuration error with a message.
    pub fn config(msg: impl fmt::Display) -> Self {
        Self::Config(msg.to_string())
    }

    /// Whether the runtime must close and re-open the driver.
    pub fn needs_reconnect(&self) -> bool {
        matches!(self, Self::Transport(_))
    }
}

/// The result of an instant command or a SET, as reported to a server that tracks it
/// (`TRACKING <id> <code>`).
pub type CommandResult = TrackingStatus;

/// A device driver. Object safe: the runtime holds a `Box<dyn Driver>`.
///
/// Every method gets the device state to update; changes are broadcast to the servers after
/// the call returns. See the [module documentation](self) for when each method is called,
/// and the crate documentation for how the protocol families map onto it.
#[async_trait]
pub trait Driver: Send {
    /// The program name, description and version.
    fn info(&self) -> DriverInfo;

    /// The options the driver accepts in ups.conf or with `-x` (besides the common ones:
    /// `port`, `pollinterval`, …). The default is none.
    fn options(&self) -> Vec<OptionSpec> {
        Vec::new()
    }

    /// Opens the device (C's `upsdrv_initups`): open the port, find the USB device, check
    /// that the SNMP agent answers. `params` holds the validated configuration.
    async fn open(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<(), DriverError>;

    /// Reads what does not change (C's `upsdrv_initinfo`): model, serial, the writable
    /// variables with their flags, enums and ranges, the instant commands.
    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError>;

    /// Polls the device once (C's `upsdrv_updateinfo`). `Ok` means the data is fresh.
    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError>;

    /// Waits for something the device sends on its own (a HID interrupt report, an APC
    /// alert byte) and applies it. The runtime drops this future whenever it has something
    /// else to do, so it must be cancel safe: keep partial input in `self`, not in locals.
    /// The default waits forever (a driver that only polls).
    async fn event(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state;
        std::future::pending().await
    }

    /// Runs an instant command. The default knows none.
    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        let _ = (state, param);
        tracing::info!("instcmd: unknown command [{cmd}]");
        TrackingStatus::Unknown
    }

    /// Changes a writable variable. The default knows none.
    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        let _ = (state, value);
        tracing::info!("setvar: unknown variable [{var}]");
        TrackingStatus::Unknown
    }

    /// Tells the device to cut the load power (killpower, `-k`). The default refuses.
    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state;
        Err(DriverError::Unsupported("shutdown".into()))
    }

    /// Releases the device before a reconnect or at exit. The default does nothing.
    async fn close(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_lookup_and_paths() {
        let p = DriverParams::new("x.dev")
            .with_option("Mode", Some("dummy"))
            .with_option("mode", Some("repeater"))
            .with_option("nolock", None)
            .with_config_dir("/etc/nut");
        assert_eq!(p.get("MODE"), Some("repeater"));
        assert_eq!(p.get("nolock"), None);
        assert!(p.is_set("NoLock"));
        assert!(!p.is_set("other"));
        assert_eq!(p.resolve_path("x.dev"), PathBuf::from("/etc/nut/x.dev"));
        assert_eq!(p.resolve_path("/tmp/y.seq"), PathBuf::from("/tmp/y.seq"));
    }

    #[test]
    fn errors_say_what_to_do() {
        assert!(DriverError::from(io::Error::other("gone")).needs_reconnect());
        assert!(!DriverError::device("no answer").needs_reconnect());
        assert_eq!(DriverError::config("bad").to_string(), "bad");
        let spec = OptionSpec::flag("x", "help").with_default("1").sensitive();
        assert_eq!(spec.kind, OptionKind::Flag);
        assert!(spec.sensitive);
        assert_eq!(spec.default.as_deref(), Some("1"));
    }
}
