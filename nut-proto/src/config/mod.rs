//! The configuration files of C NUT 2.8, parsed into typed structs and written back.
//!
//! | file | type | read by |
//! | --- | --- | --- |
//! | ups.conf | [`UpsConf`] | upsdrvctl, drivers, upsd |
//! | upsd.conf | [`UpsdConf`] | upsd |
//! | upsd.users | [`UpsdUsers`] | upsd |
//! | upsmon.conf | [`UpsmonConf`] | upsmon |
//! | upssched.conf | [`UpsschedConf`] | upssched |
//! | hosts.conf | [`HostsConf`] | the CGI programs |
//! | nut.conf | [`NutConf`] | init scripts (a shell file) |
//!
//! Every parser is sans-IO: it takes the file's bytes and a file name for its messages, and
//! returns the configuration together with the warnings C NUT would log ([`Parsed`]), or a
//! [`ConfigError`] where C NUT refuses the file. All files but nut.conf are split into words
//! by [`crate::tokenizer`], exactly as C does (so `a=b` is three words). Each type also has a
//! `load(path)` that reads the file, and a `to_text()` that writes it back so that
//! `parse(to_text(x)) == x`.
//!
//! Passwords are [`Secret`](crate::secret::Secret)s, so `Debug` output of a configuration
//! never shows one.
//!
//! ```
//! use nut_proto::config::{UpsdConf, WarningKind};
//!
//! let parsed = UpsdConf::parse(b"LISTEN 127.0.0.1 3493\nMAXAGE abc\n", "upsd.conf").unwrap();
//! assert_eq!(parsed.config.listen[0].address, "127.0.0.1");
//! assert_eq!(parsed.warnings[0].to_string(), "upsd.conf:2: MAXAGE has non numeric value (abc)!");
//! assert_eq!(parsed.warnings[1].kind, WarningKind::InvalidDirective);
//! ```

mod address;
mod common;
mod error;
mod hosts_conf;
mod notify;
mod nut_conf;
mod ups_conf;
mod upsd_conf;
mod upsd_users;
mod upsmon_conf;
mod upssched_conf;
mod upsset_conf;

#[cfg(feature = "arbitrary")]
mod arb;

pub use address::{AddressError, UpsAddress, DEFAULT_PORT};
pub use error::{ConfigError, ConfigWarning, ErrorKind, WarningKind};
pub use hosts_conf::{HostEntry, HostsConf};
pub use notify::{format_notify_message, NotifyEvent, NotifyFlags, UnknownEvent};
pub use nut_conf::{NutConf, NutMode, NutVar, KNOWN_NAMES as NUT_CONF_NAMES};
pub use ups_conf::{
    DriverOption, Synchronous, UpsConf, UpsGlobal, UpsSection, DEFAULT_MAXRETRY,
    DEFAULT_MAXSTARTDELAY, DEFAULT_POLLINTERVAL, DEFAULT_RETRYDELAY,
};
pub use upsd_conf::{
    CertIdent, CertRequest, Listen, MqttConf, UpsdConf, DEFAULT_MAXAGE, DEFAULT_MQTT_PORT,
    DEFAULT_TRACKINGDELAY,
};
pub use upsd_users::{UpsdUser, UpsdUsers, UpsmonRole};
pub use upsmon_conf::{CertHost, Monitor, ShutdownExit, ShutdownThresholds, UpsmonConf};
pub use upssched_conf::{AtCommand, AtRule, AtUps, UpsschedConf};
pub use upsset_conf::{UpssetConf, UPSSET_MAGIC};

use std::path::Path;

/// A parsed configuration together with the warnings met on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parsed<T> {
    /// The configuration.
    pub config: T,
    /// What C NUT would have logged while reading the file, in line order.
    pub warnings: Vec<ConfigWarning>,
}

impl<T> Parsed<T> {
    /// The configuration, dropping the warnings.
    pub fn into_config(self) -> T {
        self.config
    }
}

/// Reads `path` and hands its bytes to `parse`, naming the file by its path.
fn load_with<T>(
    path: &Path,
    parse: impl FnOnce(&[u8], &str) -> Result<Parsed<T>, ConfigError>,
) -> Result<Parsed<T>, ConfigError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|reason| ConfigError::Read {
        file: name.clone(),
        reason,
    })?;
    parse(&bytes, &name)
}
