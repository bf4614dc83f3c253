//! [`ProcessError`]: why a step of a driver's or a daemon's process set-up failed.

use std::path::PathBuf;

use crate::RuntimeError;

/// Why a step of the process set-up ([`super::run_driver`], [`super::daemon`]) failed.
///
/// The `Display` text is the whole message, its cause included (`can't write PID file
/// /run/nut/x.pid: Permission denied (os error 13)`), as the programs print it. The cause is
/// in the variant's fields and not in [`std::error::Error::source`], so that a printer of
/// error chains (anyhow's `{:#}`) prints it once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// A file or process operation failed.
    #[error("{what}: {error}")]
    Io {
        /// What could not be done (`can't write PID file /run/nut/x.pid`).
        what: String,
        /// Why.
        error: std::io::Error,
    },
    /// A system call failed.
    #[error("{what}: {errno}")]
    Sys {
        /// What could not be done (`can't chroot to /var/empty`).
        what: String,
        /// Why.
        errno: nix::errno::Errno,
    },
    /// The user to run as does not exist.
    #[error("user {0} not found")]
    NoSuchUser(String),
    /// The user name to run as holds a NUL byte.
    #[error("user name contains a NUL byte: {0}")]
    NulInUserName(std::ffi::NulError),
    /// A PID file that does not hold a number.
    #[error("PID file {} does not hold a process id", .0.display())]
    NotAPid(PathBuf),
    /// A PID file that holds a number no process can have.
    #[error("PID file {} holds an invalid process id {pid}", .path.display())]
    BadPid {
        /// The PID file.
        path: PathBuf,
        /// The number in it.
        pid: i32,
    },
    /// The driver could not start or stopped with an error.
    #[error("{0}")]
    Runtime(RuntimeError),
}

impl ProcessError {
    /// An [`Io`](Self::Io) error: `what` could not be done because of `error`.
    pub fn io(what: impl Into<String>, error: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            error,
        }
    }

    /// A [`Sys`](Self::Sys) error: `what` could not be done because of `errno`.
    pub fn sys(what: impl Into<String>, errno: nix::errno::Errno) -> Self {
        Self::Sys {
            what: what.into(),
            errno,
        }
    }
}

impl From<RuntimeError> for ProcessError {
    fn from(error: RuntimeError) -> Self {
        Self::Runtime(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriverError;

    /// The message and its causes as a printer of error chains gives them (anyhow's `{:#}`).
    fn chain(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    #[test]
    fn a_driver_that_cannot_start_is_named_once() {
        let error = ProcessError::from(RuntimeError::from(DriverError::config("Can't open x")));
        assert_eq!(error.to_string(), "Can't open x");
        assert_eq!(chain(&error), "Can't open x");
        // The runtime's error alone, as a library user's chain printer shows it.
        let runtime = RuntimeError::from(DriverError::config("Can't open x"));
        assert_eq!(chain(&runtime), "Can't open x");
    }

    #[test]
    fn causes_are_part_of_the_message_once() {
        let io = std::io::Error::from_raw_os_error(13);
        let error = ProcessError::io("can't write PID file /x.pid", io);
        assert_eq!(
            chain(&error),
            "can't write PID file /x.pid: Permission denied (os error 13)"
        );
        let error = ProcessError::sys("setuid", nix::errno::Errno::EPERM);
        assert_eq!(chain(&error), "setuid: EPERM: Operation not permitted");
        let error = ProcessError::from(RuntimeError::Socket {
            path: "/run/nut/x".into(),
            source: std::io::Error::from_raw_os_error(2),
        });
        assert_eq!(
            chain(&error),
            "can't create the driver socket /run/nut/x: No such file or directory (os error 2)"
        );
    }
}
