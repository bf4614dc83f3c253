//! The system log, used as C NUT's daemons use it.
//!
//! C NUT logs through `upslogx()` and friends (`common/common.c`), which write each message to
//! stderr, to syslog, or both, after two process-wide flags. `open_syslog(progname)` calls
//! `openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON)`; `syslogbit_set()` turns syslog on;
//! `background()` turns syslog on and stderr off as the process detaches, and logs `Startup
//! successful`. The same switches are here: [`open`], [`enable`] and [`detach`]. Which
//! program flips which switch when, as in C NUT 2.8.0:
//!
//! | program | syslog | stderr |
//! | --- | --- | --- |
//! | `upsd` | always, from the start (also with `-F`) | until it goes to the background |
//! | drivers | unless `-D` or `-d` is given (also with `-F`) | until they go to the background |
//! | `upslog`, `upsmon` | once they go to the background (upsmon's `NOTIFYFLAG … SYSLOG` messages always) | until then |
//! | `upsdrvctl` | never (it never goes to the background) | always |
//!
//! The identity is the program's name (`upsd`, `dummy-ups`, the base name of `argv[0]`), the
//! facility `daemon`, and each line carries the process id. Severities follow the `tracing`
//! level: error → `err`, warn → `warning`, info → `info`, debug and trace → `debug`; C sends
//! every `upslogx()` message whatever the debug level, so syslog gets info and above by
//! default, and the debug levels that `-D` asks for.
//!
//! The writer is our own rather than libc's `syslog(3)`: the crate denies unsafe code (the few
//! uses it allows, each where it is and with its proof, are for what no safe API offers), and
//! a test must be able to point it at a socket of its own. Nor is it the `syslog` crate's: its
//! RFC 3164 lines carry the time in UTC with a zero-padded day (`Mar 05`, where glibc writes
//! local time and `Mar  5`), and it neither reconnects to a restarted log daemon nor drops
//! a message the daemon cannot take, so what is left to write here is the socket handling
//! below; the time stamp is jiff's `strftime` in the local time zone. It sends each message
//! as one datagram in the format glibc's `syslog(3)` uses on Linux, `<PRI>Mmm dd hh:mm:ss
//! ident[pid]: message` (local time), to `/dev/log`, or to the socket named by
//! `$NUT_RS_SYSLOG_SOCKET` when that is set (tests set it; nothing else needs it). As with
//! `LOG_NDELAY` the socket is connected when the log is opened, so that a driver that
//! chroots keeps it; a log daemon that restarts is reconnected to. A message that the log
//! daemon cannot take at once (its queue is full) is dropped rather than stalling the
//! program.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The environment variable naming the syslog socket to use instead of [`DEFAULT_SOCKET`].
pub const SOCKET_ENV: &str = "NUT_RS_SYSLOG_SOCKET";
/// Where the system's log daemon listens (glibc's `_PATH_LOG`).
pub const DEFAULT_SOCKET: &str = "/dev/log";
/// The facility C NUT logs with unless built otherwise (`LOG_DAEMON`).
pub const LOG_DAEMON: u8 = 3;

/// A syslog severity (the ones C NUT uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `LOG_ERR`: fatal errors, failures.
    Err = 3,
    /// `LOG_WARNING`.
    Warning = 4,
    /// `LOG_NOTICE`.
    Notice = 5,
    /// `LOG_INFO`: what the daemon does.
    Info = 6,
    /// `LOG_DEBUG`.
    Debug = 7,
}

impl Severity {
    /// The severity of a `tracing` level.
    pub fn of_level(level: &tracing::Level) -> Self {
        match *level {
            tracing::Level::ERROR => Self::Err,
            tracing::Level::WARN => Self::Warning,
            tracing::Level::INFO => Self::Info,
            _ => Self::Debug,
        }
    }
}

/// A connection to a syslog socket with an identity and a facility (what `openlog` sets up).
#[derive(Debug)]
pub struct Writer {
    ident: String,
    facility: u8,
    path: PathBuf,
    /// The local time zone, read when the writer is made (before any chroot, as glibc).
    zone: TimeZone,
    socket: Mutex<Option<UnixDatagram>>,
}

impl Writer {
    /// A writer for `ident` with facility `daemon`, to `$NUT_RS_SYSLOG_SOCKET` when set,
    /// else [`DEFAULT_SOCKET`]; connected at once when the socket is there.
    pub fn open(ident: &str) -> Self {
        let path = std::env::var_os(SOCKET_ENV)
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_SOCKET), PathBuf::from);
        Self::with_path(ident, LOG_DAEMON, path)
    }

    /// A writer for `ident` and `facility` to the datagram socket at `path`.
    pub fn with_path(ident: &str, facility: u8, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let socket = connect(&path).ok();
        Self {
            ident: ident.to_owned(),
            facility,
            path,
            zone: TimeZone::try_system().unwrap_or(TimeZone::UTC),
            socket: Mutex::new(socket),
        }
    }

    /// The identity each line carries.
    pub fn ident(&self) -> &str {
        &self.ident
    }

    /// The socket it writes to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends `message` with `severity`. Errors are swallowed, as `syslog(3)` does: there is
    /// nowhere left to report them.
    pub fn send(&self, severity: Severity, message: &str) {
        let _ = self.try_send(severity, message);
    }

    /// Sends `message` with `severity`; fails when no log daemon takes it (a message dropped
    /// because the log daemon's queue is full counts as sent).
    pub fn try_send(&self, severity: Severity, message: &str) -> io::Result<()> {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let line = self.format(severity, message, epoch, std::process::id());
        let mut socket = self.socket.lock().unwrap_or_else(PoisonError::into_inner);
        let sent = match socket.as_ref() {
            Some(s) => s.send(line.as_bytes()),
            None => Err(io::ErrorKind::NotConnected.into()),
        };
        let result = match sent {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => {
                // Not connected yet, or the log daemon went away: (re)connect, once more.
                *socket = connect(&self.path).ok();
                match socket.as_ref() {
                    Some(s) => s.send(line.as_bytes()),
                    None => Err(e),
                }
            }
            other => other,
        };
        match result {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
            _ => Ok(()),
        }
    }

    /// The datagram for `message`, as glibc writes it: `<PRI>Mmm dd hh:mm:ss ident[pid]:
    /// message`, the time being `epoch` in local time.
    pub fn format(&self, severity: Severity, message: &str, epoch: i64, pid: u32) -> String {
        let time = Timestamp::from_second(epoch)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.zone.clone())
            .strftime("%b %e %H:%M:%S")
            .to_string();
        let priority = u32::from(self.facility) * 8 + severity as u32;
        format!("<{priority}>{time} {}[{pid}]: {message}", self.ident)
    }
}

fn connect(path: &Path) -> io::Result<UnixDatagram> {
    let socket = UnixDatagram::unbound()?;
    socket.connect(path)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

static WRITER: OnceLock<Writer> = OnceLock::new();
static TO_SYSLOG: AtomicBool = AtomicBool::new(false);
static TO_STDERR: AtomicBool = AtomicBool::new(true);

/// The program's name as C NUT takes it for the log: the base name of `argv[0]`.
pub fn program_name(default: &str) -> String {
    std::env::args_os()
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// C's `open_syslog(ident)`: connects this process's log to the syslog socket (messages go
/// there only once [`enable`]d). Only the first call in a process counts.
pub fn open(ident: &str) {
    let _ = WRITER.set(Writer::open(ident));
}

/// C's `syslogbit_set()`: messages go to syslog from now on (once [`open`]ed).
pub fn enable() {
    TO_SYSLOG.store(true, Ordering::Relaxed);
}

/// What C's `background()` does to the log: syslog on, stderr off.
pub fn detach() {
    TO_SYSLOG.store(true, Ordering::Relaxed);
    TO_STDERR.store(false, Ordering::Relaxed);
}

/// Whether messages go to syslog.
pub fn enabled() -> bool {
    TO_SYSLOG.load(Ordering::Relaxed) && WRITER.get().is_some()
}

/// Whether messages go to stderr (until the process detaches).
pub fn stderr_enabled() -> bool {
    TO_STDERR.load(Ordering::Relaxed)
}

/// Sends `message` to syslog when it is [`enabled`].
pub fn message(severity: Severity, message: &str) {
    if !TO_SYSLOG.load(Ordering::Relaxed) {
        return;
    }
    if let Some(writer) = WRITER.get() {
        writer.send(severity, message);
    }
}

/// C's `fatalx()` without the exit: `text` to stderr (while the process has one) and to
/// syslog at `err` when it is on.
pub fn fatal(text: &str) {
    if stderr_enabled() {
        eprintln!("{text}");
    }
    message(Severity::Err, text);
}

/// A `tracing` layer that sends each event to syslog while it is [`enabled`]: the message,
/// then the other fields as `name=value`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SyslogLayer;

impl<S: tracing::Subscriber> Layer<S> for SyslogLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if !enabled() {
            return;
        }
        message(
            Severity::of_level(event.metadata().level()),
            &event_text(event),
        );
    }
}

/// An event as one line, as C's daemons word theirs: the message, then the other fields
/// as `name=value`.
pub fn event_text(event: &tracing::Event<'_>) -> String {
    let mut text = Text::default();
    event.record(&mut text);
    text.finish()
}

/// An event's fields as one line of text.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(self) -> String {
        match (self.message.is_empty(), self.fields.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.fields,
            (false, false) => format!("{} {}", self.message, self.fields),
        }
    }

    fn field(&mut self, field: &Field, value: &dyn std::fmt::Display) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value}");
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={value}", field.name());
        }
    }
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, &value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.field(field, &format_args!("{value:?}"));
    }
}

/// Standard error while the process has not detached; nothing after (C clears its stderr
/// flag in `background()`). A [`tracing_subscriber::fmt::MakeWriter`] through a closure.
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrUntilDetached;

impl Write for StderrUntilDetached {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if stderr_enabled() {
            io::stderr().write(buf)
        } else {
            Ok(buf.len())
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_glibc_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let mut writer = Writer::with_path("upsd", LOG_DAEMON, &path);
        writer.zone = TimeZone::UTC;
        // 2024-03-05 07:08:09 UTC.
        let line = writer.format(
            Severity::Info,
            "listening on 127.0.0.1 port 3493",
            1_709_622_489,
            42,
        );
        assert_eq!(
            line,
            "<30>Mar  5 07:08:09 upsd[42]: listening on 127.0.0.1 port 3493"
        );
        assert_eq!(
            writer.format(Severity::Err, "x", 1_709_622_489, 1),
            "<27>Mar  5 07:08:09 upsd[1]: x"
        );
        writer.send(Severity::Warning, "hello");
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).unwrap();
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(got.starts_with("<28>"), "{got}");
        assert!(
            got.ends_with(&format!(" upsd[{}]: hello", std::process::id())),
            "{got}"
        );
    }

    #[test]
    fn reconnects_when_the_log_daemon_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let writer = Writer::with_path("x", LOG_DAEMON, &path);
        writer.send(Severity::Info, "lost: nobody listens");
        let server = UnixDatagram::bind(&path).unwrap();
        writer.send(Severity::Info, "found");
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).ends_with(": found"));
        // The log daemon restarts: a new socket at the same path.
        drop(server);
        std::fs::remove_file(&path).unwrap();
        let server = UnixDatagram::bind(&path).unwrap();
        writer.send(Severity::Info, "again");
        let n = server.recv(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).ends_with(": again"));
    }

    #[test]
    fn severities_of_levels() {
        assert_eq!(Severity::of_level(&tracing::Level::ERROR), Severity::Err);
        assert_eq!(Severity::of_level(&tracing::Level::WARN), Severity::Warning);
        assert_eq!(Severity::of_level(&tracing::Level::INFO), Severity::Info);
        assert_eq!(Severity::of_level(&tracing::Level::DEBUG), Severity::Debug);
        assert_eq!(Severity::of_level(&tracing::Level::TRACE), Severity::Debug);
    }

    #[test]
    fn event_text_puts_the_message_first() {
        let mut t = Text::default();
        t.fields.push_str("addr=1.2.3.4");
        t.message.push_str("listening");
        assert_eq!(t.finish(), "listening addr=1.2.3.4");
        assert_eq!(Text::default().finish(), "");
    }
}
