//! NUT's defaults, defined once for every crate and program: the folders and the environment
//! variables that move them (C NUT's `confpath()`, `dflt_statepath()`, `altpidpath()`,
//! `rootpidpath()`), upsd's TCP port and the user the daemons run as.
//!
//! The defaults are Debian's build of C NUT 2.8.0, whose packages ours replace. An empty
//! variable counts as unset (C 2.8.0 does so for all but `NUT_CONFPATH`, where an empty value
//! would make it read `/ups.conf`).

use std::path::PathBuf;

/// The configuration folder (upsd.conf, ups.conf, …) when `$NUT_CONFPATH` is not set.
pub const CONFPATH: &str = "/etc/nut";
/// The state folder (driver sockets, upsd's PID file) when `$NUT_STATEPATH` is not set.
pub const STATEPATH: &str = "/run/nut";
/// The PID file folder of the daemons that run as root (upsmon, upslog).
pub const PIDPATH: &str = "/run/nut";

/// upsd's TCP port when none is given (`PORT` in C; IANA-assigned).
pub const PORT: u16 = 3493;
/// The unprivileged user the daemons (upsd, drivers, upsmon's child) become when started as
/// root and not told another (`RUN_AS_USER` of Debian's build).
pub const USER: &str = "nut";

/// Moves the configuration folder.
pub const CONFPATH_ENV: &str = "NUT_CONFPATH";
/// Moves the state folder.
pub const STATEPATH_ENV: &str = "NUT_STATEPATH";
/// Moves the PID files of the unprivileged daemons (upsd, drivers).
pub const ALTPIDPATH_ENV: &str = "NUT_ALTPIDPATH";
/// Moves the PID files of the daemons that run as root (C 2.8.1+).
pub const PIDPATH_ENV: &str = "NUT_PIDPATH";

/// `$name` when set and not empty.
pub fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The configuration folder: `$NUT_CONFPATH`, else [`CONFPATH`].
pub fn confpath() -> PathBuf {
    env_path(CONFPATH_ENV).unwrap_or_else(|| CONFPATH.into())
}

/// The state folder: `$NUT_STATEPATH`, else [`STATEPATH`].
pub fn statepath() -> PathBuf {
    env_path(STATEPATH_ENV).unwrap_or_else(|| STATEPATH.into())
}

/// Where unprivileged daemons (upsd, drivers) write PID files: `$NUT_ALTPIDPATH`, else
/// `$NUT_STATEPATH`, else [`STATEPATH`].
pub fn altpidpath() -> PathBuf {
    env_path(ALTPIDPATH_ENV)
        .or_else(|| env_path(STATEPATH_ENV))
        .unwrap_or_else(|| STATEPATH.into())
}

/// Where the daemons that run as root (upsmon, upslog) write PID files: `$NUT_PIDPATH`,
/// else [`PIDPATH`].
pub fn rootpidpath() -> PathBuf {
    env_path(PIDPATH_ENV).unwrap_or_else(|| PIDPATH.into())
}
