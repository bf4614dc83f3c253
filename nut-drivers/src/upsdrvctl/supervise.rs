//! The `supervise` command: start drivers, restart the ones that die, stop them all on
//! SIGTERM or SIGINT. C NUT 2.8.0 has no such mode (see the [module docs](super)).
//!
//! A driver detaches into the background after it starts, so the supervisor is not its
//! parent and cannot wait for it. It watches the driver's PID file instead
//! (`<piddir>/<driver>-<ups>.pid`): the driver is alive while that file names a process that
//! exists and is not a zombie. A driver found dead at two checks in a row (one check could
//! fall in the instant between a driver's fork and the rewrite of its PID file) is started
//! again as `start` would, with `maxretry` attempts; when that fails the supervisor tries
//! again after `retrydelay` seconds (at least one), for as long as it runs.
//!
//! A driver stopped on purpose with `upsdrvctl stop` (which leaves a
//! [hold file](Controller::hold_file) beside the PID file) is not restarted; `upsdrvctl
//! start` removes the file and starts the driver, and the supervisor watches it again.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use tokio::signal::unix::{signal, SignalKind};
use tokio::task::JoinSet;

use super::control::{read_pid_file, Controller, Report};
use super::error::CtlError;
use super::table::{Command, Entry};

/// How often the supervisor looks at each driver.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Consecutive checks that must find a driver dead before it is restarted.
const MISSES_BEFORE_RESTART: u32 = 2;

/// A future that completes when the process receives SIGTERM or SIGINT: what ends
/// [`Controller::supervise`] in the upsdrvctl program. Must be called inside a tokio
/// runtime.
pub fn termination() -> Result<impl Future<Output = ()> + Send + 'static, CtlError> {
    let mut term = signal(SignalKind::terminate()).map_err(CtlError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(CtlError::Signals)?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// Whether the process named in a PID file is running (exists and is not a zombie).
pub fn pid_file_alive(path: &Path) -> bool {
    let Ok(pid) = read_pid_file(path) else {
        return false;
    };
    let Some(pid) = i32::try_from(pid).ok().filter(|p| *p >= 2) else {
        return false;
    };
    match kill(Pid::from_raw(pid), None) {
        Ok(()) | Err(Errno::EPERM) => !is_zombie(pid),
        Err(_) => false,
    }
}

/// A process that has exited but was not reaped still answers `kill(pid, 0)`. Drivers are
/// reparented to init when they detach, and in a container "init" may never reap them; on
/// Linux `/proc` tells the difference.
fn is_zombie(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may hold anything.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z" || state == "X")
}

impl Controller {
    /// Supervise mode: starts the drivers (one UPS or all, in file order, like `start`),
    /// then checks each every `check_interval` and restarts it when it has died, until
    /// `stop` completes; then sends SIGTERM to every supervised driver and returns.
    ///
    /// The report counts the drivers that could not be started at first or stopped at the
    /// end. In test mode this only prints what `start` would run. A driver program missing
    /// at the first start is fatal, as for `start`.
    pub async fn supervise(
        &self,
        ups: Option<&str>,
        check_interval: Duration,
        stop: impl Future<Output = ()>,
    ) -> Result<Report, CtlError> {
        // A section without a driver is reported by the first start, and not watched.
        let entries: Vec<Entry> = self
            .table()
            .select(Command::Supervise, ups)?
            .into_iter()
            .filter(|e| e.driver.is_some())
            .cloned()
            .collect();
        let mut report = self.run(Command::Start, ups).await?;
        if self.settings().test_mode {
            return Ok(report);
        }
        self.log()
            .debug(1, format_args!("Supervising {} driver(s)", entries.len()));
        let mut watchers = JoinSet::new();
        for entry in entries.iter().cloned() {
            let ctl = self.clone();
            watchers.spawn(async move { ctl.watch(entry, check_interval).await });
        }
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                done = watchers.join_next() => match done {
                    // Watchers never end on their own; one that panicked is a bug, and the
                    // others go on.
                    Some(Err(err)) if err.is_panic() => {
                        self.log().msg(format_args!("supervisor task failed: {err}"));
                    }
                    Some(_) => {}
                    None => break,
                },
            }
        }
        watchers.shutdown().await;
        self.log().debug(1, "Stopping the supervised drivers");
        for entry in &entries {
            if !self.stop_one(entry) {
                report.failed += 1;
            }
        }
        Ok(report)
    }

    /// Whether the driver of a UPS is running, by its PID file.
    pub fn driver_alive(&self, entry: &Entry) -> bool {
        match self.table().pid_files(entry, &self.settings().pid_dir) {
            Ok(files) => files.first().is_some_and(|f| pid_file_alive(f)),
            Err(_) => false,
        }
    }

    /// Watches one driver forever, restarting it when it has died.
    async fn watch(&self, entry: Entry, check_interval: Duration) {
        let backoff = self.table().retry_pause().max(Duration::from_secs(1));
        let mut misses = 0;
        let mut held = false;
        loop {
            tokio::time::sleep(check_interval).await;
            if self.driver_alive(&entry) {
                misses = 0;
                held = false;
                continue;
            }
            // Stopped on purpose: left alone until `upsdrvctl start` starts it again.
            if self.hold_file(&entry).is_some_and(|f| f.exists()) {
                if !held {
                    self.log().msg(format_args!(
                        "UPS {}: driver stopped with upsdrvctl stop; not restarting it until upsdrvctl start",
                        entry.name
                    ));
                    held = true;
                }
                misses = 0;
                continue;
            }
            misses += 1;
            if misses < MISSES_BEFORE_RESTART {
                continue;
            }
            self.log().msg(format_args!(
                "UPS {}: driver is not running; restarting it",
                entry.name
            ));
            match self.start_one(&entry).await {
                Ok(true) => misses = 0,
                Ok(false) => {
                    self.log().msg(format_args!(
                        "UPS {}: driver failed to start; trying again in {} s",
                        entry.name,
                        backoff.as_secs()
                    ));
                    tokio::time::sleep(backoff).await;
                }
                Err(err) => {
                    self.log().msg(format_args!(
                        "UPS {}: {err}; trying again in {} s",
                        entry.name,
                        backoff.as_secs()
                    ));
                    tokio::time::sleep(backoff).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_by_pid_file() {
        let dir = std::env::temp_dir().join(format!("nut-drvctl-alive-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("d-u.pid");
        assert!(!pid_file_alive(&f));
        std::fs::write(&f, format!("{}\n", std::process::id())).unwrap();
        assert!(pid_file_alive(&f));
        std::fs::write(&f, "1\n").unwrap();
        assert!(!pid_file_alive(&f));
        // A child that has exited but is not reaped yet is a zombie: dead.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        std::fs::write(&f, format!("{pid}\n")).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while pid_file_alive(&f) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!pid_file_alive(&f));
        child.wait().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
