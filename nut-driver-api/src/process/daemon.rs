//! What C NUT's daemons share: logging set-up from `-D`, going to the background, the PID
//! file, signalling the running instance (`-c reload|stop`), chroot and dropping root
//! privileges.
//!
//! One way to go to the background: [`background`], C's `background()` (the process forks
//! into a new session with its standard streams on `/dev/null`; the parent exits with status
//! 0). Call it before any thread is started. A program that must start a separate process of
//! its own instead (a privileged parent and its unprivileged child, a timer daemon started by
//! a client) runs itself again with [`own_command`].

use std::fs;
use std::path::{Path, PathBuf};

use super::ProcessError;
use nix::sys::signal::{kill, Signal};
use nix::unistd::{Pid, User};

/// Where C NUT's daemons keep PID files unless told otherwise (Debian's `PIDPATH`).
pub const DEFAULT_PID_PATH: &str = nut_proto::paths::PIDPATH;

/// The directory for PID files of the daemons that run as root (upsmon, upslog): C's
/// `rootpidpath()` (2.8.1+): `$NUT_PIDPATH`, else [`DEFAULT_PID_PATH`].
pub fn root_pid_path() -> PathBuf {
    nut_proto::paths::rootpidpath()
}

/// The directory for PID files of daemons that run unprivileged (upsd, drivers): C's
/// `altpidpath()`: `$NUT_ALTPIDPATH`, else `$NUT_STATEPATH`, else [`DEFAULT_PID_PATH`].
pub fn alt_pid_path() -> PathBuf {
    nut_proto::paths::altpidpath()
}

/// A command that runs this program again: its own executable, under the name it was run
/// under (`argv[0]`), so that the multi-call `nut-rs` starts the same program through it.
pub fn own_command() -> Result<std::process::Command, ProcessError> {
    use std::os::unix::process::CommandExt;
    let exe =
        std::env::current_exe().map_err(|e| ProcessError::io("can't find my own program", e))?;
    let mut command = std::process::Command::new(exe);
    if let Some(name) = std::env::args_os().next() {
        command.arg0(name);
    }
    Ok(command)
}

/// A single-threaded tokio runtime for a short-lived program (the client tools, upslog, the
/// CGI programs); if one cannot be built, says so on stderr and exits with status 1.
pub fn current_thread_runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("can't start the async runtime: {e}");
            std::process::exit(1);
        }
    }
}

/// Sets up `tracing` as [`init_logging_at`] with `warn` as the level without `-D`.
pub fn init_logging(debug: u8) {
    init_logging_at(debug, tracing::Level::WARN);
}

/// Sets up `tracing`: to stderr (until the process [detaches](background)) at `base` without
/// `-D`, and one level more detailed for each `-D` (down to trace); and to syslog once
/// [`super::syslog`] is opened and enabled, at info or the level of `-D` when that is lower,
/// since C sends every `upslogx()` message to syslog. `RUST_LOG` overrides both when set.
///
/// Lines on stderr look like C's: the message alone, without colours; with `-D`, after the
/// seconds since the start as C's debug output has them (`   0.001234\t`).
pub fn init_logging_at(debug: u8, base: tracing::Level) {
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};

    let order = [
        Level::ERROR,
        Level::WARN,
        Level::INFO,
        Level::DEBUG,
        Level::TRACE,
    ];
    let first = order.iter().position(|l| *l == base).unwrap_or(1);
    let level = order[(first + usize::from(debug)).min(order.len() - 1)];
    let filter = |level: Level| {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(level.as_str().to_ascii_lowercase()))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(|| super::syslog::StderrUntilDetached)
        .event_format(CStyle {
            start: std::time::Instant::now(),
            elapsed: debug > 0,
        })
        .with_filter(filter(level));
    let syslog = super::syslog::SyslogLayer.with_filter(filter(level.max(Level::INFO)));
    // A second initialisation (tests calling into a binary's library twice) is harmless.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(syslog)
        .try_init();
}

/// The stderr line format of [`init_logging_at`].
struct CStyle {
    start: std::time::Instant,
    elapsed: bool,
}

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for CStyle
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        if self.elapsed {
            let e = self.start.elapsed();
            write!(writer, "{:4}.{:06}\t", e.as_secs(), e.subsec_micros())?;
        }
        writeln!(writer, "{}", super::syslog::event_text(event))
    }
}

/// C's `background()`: detaches from the terminal (a child process in a new session, the
/// standard streams on `/dev/null`), sends the log to syslog instead of stderr, and logs
/// `Startup successful`. Call it before any thread is started.
pub fn background() -> Result<(), ProcessError> {
    nix::unistd::daemon(true, false)
        .map_err(|e| ProcessError::sys("Unable to enter background", e))?;
    super::syslog::detach();
    super::syslog::message(super::syslog::Severity::Info, "Startup successful");
    Ok(())
}

/// A PID file that is removed when dropped.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes this process's id (and a line feed) to `path`, replacing what was there.
    pub fn create(path: impl Into<PathBuf>) -> Result<Self, ProcessError> {
        let path = path.into();
        fs::write(&path, format!("{}\n", std::process::id()))
            .map_err(|e| ProcessError::io(format!("can't write PID file {}", path.display()), e))?;
        Ok(Self { path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Reads the process id in the PID file at `path`.
pub fn read_pid(path: &Path) -> Result<i32, ProcessError> {
    let text = fs::read_to_string(path)
        .map_err(|e| ProcessError::io(format!("can't open PID file {}", path.display()), e))?;
    let pid: i32 = text
        .trim()
        .parse()
        .map_err(|_| ProcessError::NotAPid(path.to_owned()))?;
    if pid <= 0 {
        return Err(ProcessError::BadPid {
            path: path.to_owned(),
            pid,
        });
    }
    Ok(pid)
}

/// The signal a `-c <command>` sends to the running instance: `reload` → SIGHUP, `stop` →
/// SIGTERM; `None` for another word.
pub fn command_signal(command: &str) -> Option<Signal> {
    match command {
        "reload" => Some(Signal::SIGHUP),
        "stop" => Some(Signal::SIGTERM),
        _ => None,
    }
}

/// Sends `signal` to the process whose id is in the PID file at `path` (what `-c` does).
pub fn signal_pid_file(path: &Path, signal: Signal) -> Result<(), ProcessError> {
    let pid = read_pid(path)?;
    kill(Pid::from_raw(pid), signal).map_err(|e| {
        let what = format!(
            "can't send {signal} to process {pid} from {}",
            path.display()
        );
        ProcessError::sys(what, e)
    })
}

/// A user to run as, looked up before a `chroot` (where the user database may be missing),
/// as C's `get_user_pwent()`.
#[derive(Debug, Clone)]
pub struct RunAs {
    name: std::ffi::CString,
    uid: nix::unistd::Uid,
    gid: nix::unistd::Gid,
}

impl RunAs {
    /// Looks `user` up.
    pub fn lookup(user: &str) -> Result<Self, ProcessError> {
        let (uid, gid) = user_ids(user)?;
        Ok(Self {
            name: std::ffi::CString::new(user).map_err(ProcessError::NulInUserName)?,
            uid,
            gid,
        })
    }

    /// C's `become_user()`: the user's groups, then its group and user id. Nothing when the
    /// process is not root.
    pub fn become_user(&self) -> Result<(), ProcessError> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(());
        }
        nix::unistd::initgroups(&self.name, self.gid)
            .map_err(|e| ProcessError::sys("initgroups", e))?;
        nix::unistd::setgid(self.gid).map_err(|e| ProcessError::sys("setgid", e))?;
        nix::unistd::setuid(self.uid).map_err(|e| ProcessError::sys("setuid", e))?;
        Ok(())
    }
}

/// Drops root privileges to `user` (its groups, group and user id); nothing when the process
/// is not root.
pub fn drop_privileges(user: &str) -> Result<(), ProcessError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    RunAs::lookup(user)?.become_user()
}

/// C's `chroot_start()`: `chroot(dir)`, then `chdir("/")` inside it.
pub fn chroot(dir: &str) -> Result<(), ProcessError> {
    nix::unistd::chroot(dir).map_err(|e| ProcessError::sys(format!("can't chroot to {dir}"), e))?;
    std::env::set_current_dir("/")
        .map_err(|e| ProcessError::io("can't chdir to / in the chroot", e))
}

/// Looks up `user` and returns its uid and gid (to chown a socket or state file before
/// dropping privileges).
pub fn user_ids(user: &str) -> Result<(nix::unistd::Uid, nix::unistd::Gid), ProcessError> {
    let found = User::from_name(user)
        .map_err(|e| ProcessError::sys(format!("can't look up user {user}"), e))?
        .ok_or_else(|| ProcessError::NoSuchUser(user.to_owned()))?;
    Ok((found.uid, found.gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_file_round_trip_and_removal() {
        let dir = std::env::temp_dir().join(format!("nut-pid-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.pid");
        {
            let pid = PidFile::create(&path).unwrap();
            assert_eq!(read_pid(pid.path()).unwrap(), std::process::id() as i32);
        }
        assert!(!path.exists());
        fs::write(&path, "garbage\n").unwrap();
        assert_eq!(
            read_pid(&path).unwrap_err().to_string(),
            format!("PID file {} does not hold a process id", path.display())
        );
        fs::write(&path, "0\n").unwrap();
        assert_eq!(
            read_pid(&path).unwrap_err().to_string(),
            format!("PID file {} holds an invalid process id 0", path.display())
        );
        let missing = dir.join("none.pid");
        assert_eq!(
            read_pid(&missing).unwrap_err().to_string(),
            format!(
                "can't open PID file {}: No such file or directory (os error 2)",
                missing.display()
            )
        );
        assert_eq!(
            user_ids("no-such-user-here").unwrap_err().to_string(),
            "user no-such-user-here not found"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn commands_map_to_signals() {
        assert_eq!(command_signal("reload"), Some(Signal::SIGHUP));
        assert_eq!(command_signal("stop"), Some(Signal::SIGTERM));
        assert_eq!(command_signal("fsd"), None);
    }
}
