//! upsdrvctl: start, stop and supervise the drivers listed in ups.conf.
//!
//! This is the library behind the `upsdrvctl` program, a drop-in for C NUT 2.8.0's:
//!
//! ```text
//! upsdrvctl [-t] [-u user] [-r chroot] [-D…] [-d] (start | stop | shutdown | supervise) [<ups>]
//! ```
//!
//! # Commands
//!
//! - **`start [ups]`** runs `<driverpath>/<driver> -a <ups>` for each UPS of ups.conf, in
//!   file order, and waits until the driver exits, which a driver does once it has detached
//!   into the background. Without a `driverpath` in ups.conf, each driver is looked for in
//!   [`Settings::default_driver_paths`] in turn: `/lib/nut` (Debian's C NUT) from the
//!   library, the `upsdrvctl` program's own directory and then `/lib/nut` from the program.
//!   A driver that exits with a non-zero status, dies of a signal, or has not detached
//!   after `maxstartdelay` seconds (the UPS's own value, else the global one, default 45;
//!   negative: no limit) is tried again, up to `maxretry` attempts (default 1)
//!   `retrydelay` seconds apart (default 5). With the global `nowait` flag drivers are not waited for. A driver
//!   program that does not exist stops the whole run, as in C.
//! - **`stop [ups]`** sends SIGTERM to the process named in `<piddir>/<driver>-<ups>.pid`
//!   (or, as C does for old drivers, `<piddir>/<driver>-<basename of port>.pid`), where
//!   `<piddir>` is `$NUT_ALTPIDPATH`, else `$NUT_STATEPATH`, else the state path. It does
//!   not wait for the driver to exit.
//! - **`shutdown [ups]`** runs each driver with `-k` (tell the UPS to cut its power), once,
//!   in `sdorder`: UPSes with `sdorder = 0` (the default) first, then 1, 2, …; a negative
//!   `sdorder` leaves the UPS out (it can still be named explicitly).
//! - **`supervise [ups]`** is ours (see below).
//!
//! Options: `-t` prints what would be run and signals nothing (the `exec:` lines are C's,
//! byte for byte, apart from the timestamps); `-u user` and `-r path` are passed to every
//! driver as `-u user` and `-r path`; `-D` raises upsdrvctl's own debug level; `-d` passes
//! that level on to the drivers started (`-DD` for two `-D`s), as in C 2.8.0.
//!
//! The exit status is 0 when every driver did what was asked, 1 otherwise, and 1 at once for
//! an unknown command, an unknown UPS (`UPS x not found in ups.conf`; names match exactly,
//! as in C), a missing driver program (`Can't start /lib/nut/x: No such file or directory`)
//! or an unreadable ups.conf. Errors in ups.conf are reported with file and line.
//!
//! # Supervise mode
//!
//! C NUT 2.8.0 leaves restarting crashed drivers to the init system. `upsdrvctl supervise
//! [ups]` does it itself: it starts the drivers as `start` does, then stays in the
//! foreground and looks at each driver every second through its PID file. A driver that is
//! gone (killed, crashed, or exited after a fatal error) is started again with the same
//! `maxretry`/`retrydelay` rules; if that fails the supervisor keeps trying every
//! `retrydelay` seconds. On SIGTERM or SIGINT the supervisor sends SIGTERM to every driver
//! it watches and exits. Because it restarts whatever stops, stop supervised drivers by
//! stopping the supervisor, not with `upsdrvctl stop`. It suits a service manager that
//! expects one long-running process (`Type=simple`), or a container.
//!
//! # Differences from C NUT 2.8.0
//!
//! - A driver that has not detached within `maxstartdelay` is stopped (SIGTERM to its
//!   process group, SIGKILL 5 s later) before the next attempt; C leaves it running.
//! - `maxretry` below 1 means one attempt; C then starts nothing and reports success.
//! - A section without `driver` is reported (`UPS x has no driver in ups.conf`) and counted
//!   as a failure; C runs `<driverpath>/(null)`.
//! - ups.conf warnings (unknown keys, bad numbers, …) are printed with file and line.
//! - `stop` with a stale PID file ends with `Stopping <file> failed: No such process`; C
//!   names whatever `errno` happens to hold by then (often `Invalid argument`).
//! - `supervise` is new, and drivers are started in their own process group.
//! - Without a `driverpath`, the `upsdrvctl` program takes a driver from its own directory
//!   when it is there (so that an installed set of our programs finds its drivers), and
//!   from `/lib/nut` otherwise; C looks in its build's driver directory only.
//! - An unreadable ups.conf is reported once (`Can't open <file>: <reason>`); C repeats
//!   the `Can't open <file>:` part.
//!
//! # Use from Rust
//!
//! ```no_run
//! use nut_drivers::upsdrvctl::{Command, Controller, Log, Settings};
//!
//! # async fn demo() -> Result<(), nut_drivers::upsdrvctl::CtlError> {
//! let mut settings = Settings::new("/run/nut");
//! settings.user = Some("nut".into());
//! let log = Log::stderr(settings.debug);
//! let ctl = Controller::load("/etc/nut/ups.conf".as_ref(), settings, log)?;
//! let report = ctl.run(Command::Start, None).await?;
//! std::process::exit(report.exit_code());
//! # }
//! ```

mod control;
mod error;
mod log;
mod program;
mod supervise;
mod table;

pub use control::{Controller, Report};
pub use error::CtlError;
pub use log::{strerror, strip_timestamps, Log, SharedBuf};
pub use program::{
    banner, help, Invocation, DEBUG_NOTE, DEFAULT_CONF_PATH, NUT_VERSION, TEST_MODE_NOTE,
};
pub use supervise::{pid_file_alive, termination, DEFAULT_CHECK_INTERVAL};
pub use table::{format_cmdline, Command, Entry, Settings, Table, DEFAULT_DRIVER_PATH};
