//! Running the `start`, `stop` and `shutdown` commands: starting drivers with a deadline
//! and retries, running them with `-k`, and signalling them through their PID files.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use nut_proto::config::UpsConf;
use tokio::process::Command as Process;

use super::error::CtlError;
use super::log::{strerror, Log};
use super::table::{format_cmdline, Command, Entry, Settings, Table};

/// How long a driver that missed its start-up deadline gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// How a run went when nothing fatal happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The drivers that failed (could not be started, shut down or signalled).
    pub failed: u32,
}

impl Report {
    /// Whether every driver did what was asked.
    pub fn success(&self) -> bool {
        self.failed == 0
    }

    /// The exit status C upsdrvctl gives: 0 when every driver did what was asked, else 1.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.success())
    }
}

/// How one attempt to run a driver ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    Ok,
    Failed,
}

/// upsdrvctl: the drivers of one ups.conf and what to do with them.
#[derive(Debug, Clone)]
pub struct Controller {
    table: Table,
    settings: Settings,
    log: Log,
}

impl Controller {
    /// A controller for `table`. The log's level should be `settings.debug`.
    pub fn new(table: Table, settings: Settings, log: Log) -> Self {
        Self {
            table,
            settings,
            log,
        }
    }

    /// Reads ups.conf at `path`, logs what C NUT would warn about, and makes a controller.
    pub fn load(path: &Path, settings: Settings, log: Log) -> Result<Self, CtlError> {
        let parsed = UpsConf::load(path)?;
        for warning in &parsed.warnings {
            log.msg(warning);
        }
        let table = Table::new(&parsed.config, &settings.default_driver_paths);
        Ok(Self::new(table, settings, log))
    }

    /// The drivers and settings from ups.conf.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The command-line settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The log messages go to.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Runs `start`, `stop` or `shutdown` on one UPS (`ups`) or all of them. For
    /// [`Command::Supervise`] this only starts the drivers; see
    /// [`supervise`](Self::supervise) for the whole mode.
    pub async fn run(&self, command: Command, ups: Option<&str>) -> Result<Report, CtlError> {
        let entries = self.table.select(command, ups)?;
        let mut report = Report::default();
        for entry in entries {
            let result = match command {
                Command::Start | Command::Supervise => {
                    self.release(entry);
                    self.start_one(entry).await
                }
                Command::Stop => {
                    self.hold(entry);
                    Ok(self.stop_one(entry))
                }
                Command::Shutdown => self.shutdown_one(entry).await,
            };
            match result {
                Ok(true) => {}
                Ok(false) => report.failed += 1,
                // One incomplete section does not stop the others.
                Err(err @ CtlError::NoDriver(_)) => {
                    self.log.msg(err);
                    report.failed += 1;
                }
                Err(err) => return Err(err),
            }
        }
        Ok(report)
    }

    /// Starts the driver of one UPS, making up to `maxretry` attempts `retrydelay` seconds
    /// apart. Returns whether it started; a missing driver program is fatal, as in C.
    pub async fn start_one(&self, entry: &Entry) -> Result<bool, CtlError> {
        self.log
            .debug(1, format_args!("Starting UPS: {}", entry.name));
        let program = self.table.driver_program(entry)?;
        if let Err(source) = std::fs::metadata(&program) {
            return Err(CtlError::DriverMissing {
                path: program,
                source,
            });
        }
        let argv = self.table.argv(entry, Command::Start, &self.settings)?;
        let attempts = self.table.attempts();
        for left in (1..=attempts).rev() {
            self.log.debug(2, format_args!("{left} remaining attempts"));
            self.log
                .debug(2, format_args!("exec: {}", format_cmdline(&argv)));
            if self.settings.test_mode {
                return Ok(true);
            }
            if self.attempt(entry, &argv).await == Attempt::Ok {
                return Ok(true);
            }
            if left > 1 {
                tokio::time::sleep(self.table.retry_pause()).await;
            }
        }
        Ok(false)
    }

    /// Runs the driver of one UPS with `-k`, once. Returns whether it succeeded.
    pub async fn shutdown_one(&self, entry: &Entry) -> Result<bool, CtlError> {
        self.log
            .debug(1, format_args!("Shutdown UPS: {}", entry.name));
        let argv = self.table.argv(entry, Command::Shutdown, &self.settings)?;
        self.log
            .debug(2, format_args!("exec: {}", format_cmdline(&argv)));
        if self.settings.test_mode {
            return Ok(true);
        }
        Ok(self.attempt(entry, &argv).await == Attempt::Ok)
    }

    /// Sends SIGTERM to the driver of one UPS through its PID file (in test mode, only
    /// checks that the file is there). Returns whether that worked.
    pub fn stop_one(&self, entry: &Entry) -> bool {
        self.log
            .debug(1, format_args!("Stopping UPS: {}", entry.name));
        let Some(pid_file) = self.find_pid_file(entry) else {
            return false;
        };
        self.log
            .debug(2, format_args!("Sending signal to {}", pid_file.display()));
        if self.settings.test_mode {
            return true;
        }
        match signal_pid_file(&pid_file, Signal::SIGTERM) {
            Ok(_) => true,
            Err(failure) => {
                let [first, last] = failure.lines(&pid_file);
                // C reports a refused kill with perror, which has no timestamp.
                if matches!(failure, SignalFailure::Kill(_)) {
                    self.log.raw(first);
                } else {
                    self.log.msg(first);
                }
                self.log.msg(last);
                false
            }
        }
    }

    /// The file that says a driver was stopped on purpose (`upsdrvctl stop`), so that a
    /// running [`supervise`](Self::supervise) does not start it again until `upsdrvctl start`
    /// does: `<piddir>/<driver>-<ups>.stopped`, beside the driver's PID file.
    pub fn hold_file(&self, entry: &Entry) -> Option<PathBuf> {
        let files = self.table.pid_files(entry, &self.settings.pid_dir).ok()?;
        files.first().map(|f| f.with_extension("stopped"))
    }

    /// `upsdrvctl stop`: leaves the [hold file](Self::hold_file) for a supervisor.
    fn hold(&self, entry: &Entry) {
        if self.settings.test_mode {
            return;
        }
        if let Some(file) = self.hold_file(entry) {
            if let Err(err) = std::fs::write(&file, "stopped by upsdrvctl stop\n") {
                self.log.msg(format_args!(
                    "Can't write {} (a running upsdrvctl supervise will restart the driver): {}",
                    file.display(),
                    strerror(&err)
                ));
            }
        }
    }

    /// `upsdrvctl start`: removes the [hold file](Self::hold_file).
    fn release(&self, entry: &Entry) {
        if self.settings.test_mode {
            return;
        }
        if let Some(file) = self.hold_file(entry) {
            let _ = std::fs::remove_file(file);
        }
    }

    /// The PID file of a running driver, logging C's messages when none is found.
    pub(super) fn find_pid_file(&self, entry: &Entry) -> Option<PathBuf> {
        let candidates = match self.table.pid_files(entry, &self.settings.pid_dir) {
            Ok(c) => c,
            Err(err) => {
                self.log.msg(err);
                return None;
            }
        };
        let last = candidates.len() - 1;
        for (i, path) in candidates.into_iter().enumerate() {
            match std::fs::metadata(&path) {
                Ok(_) => return Some(path),
                Err(err) if i < last => {
                    self.log.msg(format_args!(
                        "Can't open {}: {}",
                        path.display(),
                        strerror(&err)
                    ));
                }
                Err(err) => {
                    self.log.msg(format_args!(
                        "Can't open {} either: {}",
                        path.display(),
                        strerror(&err)
                    ));
                }
            }
        }
        None
    }

    /// One run of a driver program: wait (up to the UPS's `maxstartdelay`) for it to exit,
    /// which a driver does once it has detached into the background.
    async fn attempt(&self, entry: &Entry, argv: &[String]) -> Attempt {
        let mut process = Process::new(&argv[0]);
        process
            .args(&argv[1..])
            .stdin(Stdio::null())
            .process_group(0);
        let mut child = match process.spawn() {
            Ok(child) => child,
            Err(err) => {
                self.log.msg(format_args!("execv: {}", strerror(&err)));
                return Attempt::Failed;
            }
        };
        if self.table.nowait {
            self.log.debug(2, "'nowait' set, continuing...");
            return Attempt::Ok;
        }
        let status = match self.table.start_timeout(entry) {
            None => child.wait().await,
            Some(limit) => match tokio::time::timeout(limit, child.wait()).await {
                Ok(status) => status,
                Err(_) => {
                    self.log.msg("Startup timer elapsed, continuing...");
                    self.kill_late_driver(&mut child).await;
                    return Attempt::Failed;
                }
            },
        };
        match status {
            Ok(status) => self.judge(status),
            Err(err) => {
                self.log.msg(format_args!("waitpid: {}", strerror(&err)));
                Attempt::Failed
            }
        }
    }

    fn judge(&self, status: ExitStatus) -> Attempt {
        match status.code() {
            None => {
                self.log.msg("Driver exited abnormally");
                Attempt::Failed
            }
            Some(0) => Attempt::Ok,
            Some(code) => {
                self.log
                    .msg(format_args!("Driver failed to start (exit status={code})"));
                Attempt::Failed
            }
        }
    }

    /// A driver that did not detach in time is stopped (C leaves it running, where it may
    /// fight with the next attempt): SIGTERM to its process group, SIGKILL after a grace
    /// period.
    async fn kill_late_driver(&self, child: &mut tokio::process::Child) {
        let Some(id) = child.id().and_then(|id| i32::try_from(id).ok()) else {
            return;
        };
        let group = Pid::from_raw(id);
        self.log.debug(
            1,
            format_args!("Stopping driver process {id} that did not detach in time"),
        );
        let _ = killpg(group, Signal::SIGTERM);
        if tokio::time::timeout(KILL_GRACE, child.wait())
            .await
            .is_err()
        {
            let _ = killpg(group, Signal::SIGKILL);
            let _ = child.wait().await;
        }
    }
}

/// Why a signal could not be sent through a PID file.
#[derive(Debug)]
pub(super) enum SignalFailure {
    /// The file could not be read.
    Open(io::Error),
    /// The file holds no line.
    Empty,
    /// The number in it cannot be a process id.
    BadPid(i64),
    /// `kill` refused.
    Kill(Errno),
}

impl SignalFailure {
    /// C's messages for the failure, the last one naming the PID file.
    pub(super) fn lines(&self, pid_file: &Path) -> [String; 2] {
        let file = pid_file.display();
        let (first, errno) = match self {
            Self::Open(err) => (
                format!("fopen {file}: {}", strerror(err)),
                Some(strerror(err)),
            ),
            Self::Empty => (format!("Failed to read pid from {file}"), None),
            Self::BadPid(pid) => (format!("Ignoring invalid pid number {pid}"), None),
            Self::Kill(errno) => (
                format!("kill: {}", errno.desc()),
                Some(errno.desc().to_owned()),
            ),
        };
        let last = match errno {
            Some(e) => format!("Stopping {file} failed: {e}"),
            None => format!("Stopping {file} failed"),
        };
        [first, last]
    }
}

/// Reads a PID file the way C NUT does (`strtol` of its first line).
pub(super) fn read_pid_file(path: &Path) -> Result<i64, SignalFailure> {
    let text = std::fs::read_to_string(path).map_err(SignalFailure::Open)?;
    let line = text.lines().next().ok_or(SignalFailure::Empty)?;
    let trimmed = line.trim_start();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let value = digits[..end].parse::<i64>().unwrap_or(0);
    Ok(if negative { -value } else { value })
}

/// Sends `signal` to the process named in a PID file; returns its id.
pub(super) fn signal_pid_file(path: &Path, signal: Signal) -> Result<Pid, SignalFailure> {
    let pid = read_pid_file(path)?;
    let pid = match i32::try_from(pid) {
        Ok(p) if p >= 2 => Pid::from_raw(p),
        _ => return Err(SignalFailure::BadPid(pid)),
    };
    kill(pid, None).map_err(SignalFailure::Kill)?;
    kill(pid, signal).map_err(SignalFailure::Kill)?;
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upsdrvctl::log::strip_timestamps;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "nut-drvctl-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn controller(
        conf: &str,
        dir: &Path,
        test_mode: bool,
    ) -> (Controller, super::super::log::SharedBuf) {
        let conf = UpsConf::parse(conf.as_bytes(), "ups.conf").unwrap().config;
        let mut settings = Settings::new(dir);
        settings.test_mode = test_mode;
        settings.debug = if test_mode { 2 } else { 0 };
        let (log, buf) = Log::buffer(settings.debug);
        let table = Table::new(&conf, &settings.default_driver_paths);
        (Controller::new(table, settings, log), buf)
    }

    #[test]
    fn pid_file_parsing() {
        let dir = temp_dir("pidparse");
        let f = dir.join("x.pid");
        std::fs::write(&f, "1234\n").unwrap();
        assert_eq!(read_pid_file(&f).unwrap(), 1234);
        std::fs::write(&f, "  77abc\n").unwrap();
        assert_eq!(read_pid_file(&f).unwrap(), 77);
        std::fs::write(&f, "junk\n").unwrap();
        assert!(matches!(
            signal_pid_file(&f, Signal::SIGTERM),
            Err(SignalFailure::BadPid(0))
        ));
        std::fs::write(&f, "").unwrap();
        assert!(matches!(read_pid_file(&f), Err(SignalFailure::Empty)));
        assert!(matches!(
            read_pid_file(&dir.join("none")),
            Err(SignalFailure::Open(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn stop_reports_missing_pid_files() {
        let dir = temp_dir("stopmissing");
        let conf = format!(
            "driverpath = {}\n[a]\n driver = drv\n port = /dev/ttyS0\n[b]\n driver = drv\n port = p\n",
            dir.display()
        );
        std::fs::write(dir.join("drv-b.pid"), "999999999\n").unwrap();
        let (ctl, buf) = controller(&conf, &dir, true);
        let report = ctl.run(Command::Stop, None).await.unwrap();
        assert_eq!(report.failed, 1);
        let d = dir.display();
        assert_eq!(
            strip_timestamps(&buf.text()),
            format!(
                "[D1] Stopping UPS: a\nCan't open {d}/drv-a.pid: No such file or directory\n\
                 Can't open {d}/drv-ttyS0.pid either: No such file or directory\n\
                 [D1] Stopping UPS: b\n[D2] Sending signal to {d}/drv-b.pid\n"
            )
        );
        // Outside test mode a stale PID file is a failure too.
        let (ctl, buf) = controller(&conf, &dir, false);
        assert_eq!(ctl.run(Command::Stop, Some("b")).await.unwrap().failed, 1);
        assert_eq!(
            buf.text(),
            format!("kill: No such process\nStopping {d}/drv-b.pid failed: No such process\n")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn section_without_driver_is_a_failure_not_fatal() {
        let dir = temp_dir("nodriver");
        let conf = format!(
            "driverpath = {}\n[a]\n port = x\n[b]\n driver = sh\n port = y\n",
            dir.display()
        );
        std::fs::write(dir.join("sh"), "").unwrap();
        let (ctl, buf) = controller(&conf, &dir, true);
        let report = ctl.run(Command::Start, None).await.unwrap();
        assert_eq!(report.failed, 1);
        assert_eq!(report.exit_code(), 1);
        let text = strip_timestamps(&buf.text());
        assert!(
            text.starts_with(
                "[D1] Starting UPS: a\nUPS a has no driver in ups.conf\n[D1] Starting UPS: b\n"
            ),
            "{text}"
        );
        let (ctl, buf) = controller(&conf, &dir, true);
        assert_eq!(ctl.run(Command::Shutdown, None).await.unwrap().failed, 1);
        assert!(buf.text().contains("UPS a has no driver in ups.conf\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn start_missing_driver_is_fatal() {
        let dir = temp_dir("startmissing");
        let conf = format!(
            "driverpath = {}\n[a]\n driver = nope\n port = x\n",
            dir.display()
        );
        let (ctl, _buf) = controller(&conf, &dir, true);
        let err = ctl.run(Command::Start, None).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "Can't start {}/nope: No such file or directory",
                dir.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
