//! The problems that make upsdrvctl give up at once (C's `fatalx`), worded as C NUT words
//! them where it prints one.

use std::io;
use std::path::PathBuf;

use nut_proto::config::ConfigError;

use super::log::strerror;

/// A problem that ends an upsdrvctl run with exit status 1.
///
/// Problems with one driver among several (it failed to start, its PID file is missing) are
/// not errors: they are logged, counted in the [`Report`](super::Report), and the run goes
/// on with the next driver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtlError {
    /// ups.conf could not be read.
    #[error("Can't open {}: {}", .path.display(), strerror(.source))]
    ConfRead {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// ups.conf holds something that cannot be used (the message names file and line).
    #[error(transparent)]
    Conf(ConfigError),
    /// ups.conf has no UPS sections. `named` tells whether one UPS was asked for (C words
    /// the two cases slightly differently).
    #[error("{}", if *.named { "Error: no UPS definitions found in ups.conf!\n" } else { "Error: no UPS definitions found in ups.conf" })]
    NoUps {
        /// Whether a UPS name was given.
        named: bool,
    },
    /// The command word is not one upsdrvctl knows.
    #[error("Error: unrecognized command [{0}]")]
    UnknownCommand(String),
    /// The UPS asked for is not in ups.conf.
    #[error("UPS {0} not found in ups.conf")]
    UnknownUps(String),
    /// The UPS's section has no `driver`.
    #[error("UPS {0} has no driver in ups.conf")]
    NoDriver(String),
    /// The driver program is not there (C stops at the first such driver).
    #[error("Can't start {}: {}", .path.display(), strerror(.source))]
    DriverMissing {
        /// `<driverpath>/<driver>`.
        path: PathBuf,
        /// What `stat` said.
        #[source]
        source: io::Error,
    },
    /// Signal handling could not be set up (supervise mode).
    #[error("can't install signal handlers: {0}")]
    Signals(#[source] io::Error),
}

impl From<ConfigError> for CtlError {
    fn from(err: ConfigError) -> Self {
        match err {
            ConfigError::Read { file, reason } => Self::ConfRead {
                path: PathBuf::from(file),
                source: reason,
            },
            other => Self::Conf(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = CtlError::DriverMissing {
            path: "/lib/nut/foo".into(),
            source: io::Error::from_raw_os_error(2),
        };
        assert_eq!(
            e.to_string(),
            "Can't start /lib/nut/foo: No such file or directory"
        );
        let read = nut_proto::config::UpsConf::load("/nonexistent/dir/ups.conf").unwrap_err();
        assert_eq!(
            CtlError::from(read).to_string(),
            "Can't open /nonexistent/dir/ups.conf: No such file or directory"
        );
        let bad = nut_proto::config::UpsConf::parse(b"[x]\n driver\n", "ups.conf").unwrap_err();
        assert!(CtlError::from(bad).to_string().starts_with("ups.conf:2: "));
        assert!(CtlError::NoUps { named: true }.to_string().ends_with("!\n"));
    }
}
