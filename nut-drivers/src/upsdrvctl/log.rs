//! upsdrvctl's messages, written the way C NUT's logging functions write them.
//!
//! C upsdrvctl writes everything to stderr. While its debug level is above zero every line
//! starts with the time elapsed since the first message (`   0.000123` and a tab), and a
//! debug message at level *n* is tagged `[Dn] `. Dry-run output (`-t`) is made of those
//! lines, so this module reproduces the format exactly; only the timestamps differ from run
//! to run.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// C's `strerror(errno)` words for an I/O error.
pub use nut_proto::errno::strerror;

/// Where upsdrvctl's messages go, with C NUT's line format. Cloning gives another handle on
/// the same output (the supervisor's tasks share one).
#[derive(Clone)]
pub struct Log {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    level: u32,
    start: Option<Instant>,
    out: Box<dyn Write + Send>,
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("level", &self.level())
            .finish_non_exhaustive()
    }
}

impl Log {
    /// Messages to `out`, showing debug messages up to `level` (the number of `-D`s).
    pub fn new(level: u32, out: impl Write + Send + 'static) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                level,
                start: None,
                out: Box::new(out),
            })),
        }
    }

    /// Messages to stderr.
    pub fn stderr(level: u32) -> Self {
        Self::new(level, io::stderr())
    }

    /// A log that keeps its messages in memory (for tests and for callers that want the
    /// text), with the buffer they are appended to.
    pub fn buffer(level: u32) -> (Self, SharedBuf) {
        let buf = SharedBuf::default();
        (Self::new(level, buf.clone()), buf)
    }

    /// The debug level.
    pub fn level(&self) -> u32 {
        self.lock().level
    }

    /// Raises the debug level to at least `level` (`-t` makes it 2).
    pub fn raise_level(&self, level: u32) {
        let mut inner = self.lock();
        inner.level = inner.level.max(level);
    }

    /// A message that is always shown (C's `upslogx`).
    pub fn msg(&self, text: impl fmt::Display) {
        self.lock().write(&text.to_string());
    }

    /// A message without the timestamp, whatever the level (what C writes with `perror`).
    pub fn raw(&self, text: impl fmt::Display) {
        let mut inner = self.lock();
        let line = format!("{text}\n");
        let _ = inner.out.write_all(line.as_bytes());
        let _ = inner.out.flush();
    }

    /// A debug message, shown when the level is at least `level` (C's `upsdebugx`).
    pub fn debug(&self, level: u32, text: impl fmt::Display) {
        let mut inner = self.lock();
        if inner.level >= level {
            let line = format!("[D{level}] {text}");
            inner.write(&line);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn write(&mut self, text: &str) {
        let mut line = String::new();
        if self.level > 0 {
            let now = Instant::now();
            let start = *self.start.get_or_insert(now);
            let elapsed = now.duration_since(start);
            line.push_str(&format!(
                "{:4}.{:06}\t",
                elapsed.as_secs(),
                elapsed.subsec_micros()
            ));
        }
        line.push_str(text);
        line.push('\n');
        // Nothing sensible can be done when stderr is gone.
        let _ = self.out.write_all(line.as_bytes());
        let _ = self.out.flush();
    }
}

/// A byte buffer that several writers may append to (see [`Log::buffer`]).
#[derive(Debug, Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    /// What was written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Strips the timestamps C NUT puts in front of log lines at debug levels above zero, so
/// that two runs' output can be compared.
pub fn strip_timestamps(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(strip_one(line));
    }
    out
}

fn strip_one(line: &str) -> &str {
    let Some((head, rest)) = line.split_once('\t') else {
        return line;
    };
    let trimmed = head.trim_start_matches(' ');
    let Some((secs, micros)) = trimmed.split_once('.') else {
        return line;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(secs) && micros.len() == 6 && digits(micros) {
        rest
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_messages_without_debug() {
        let (log, buf) = Log::buffer(0);
        log.msg("Driver failed to start (exit status=3)");
        log.debug(1, "hidden");
        assert_eq!(buf.text(), "Driver failed to start (exit status=3)\n");
    }

    #[test]
    fn debug_lines_have_timestamps_and_tags() {
        let (log, buf) = Log::buffer(2);
        log.debug(1, "Starting UPS: a");
        log.debug(2, "exec:  /lib/nut/dummy-ups -a a");
        log.debug(3, "hidden");
        log.msg("plain");
        log.raw("kill: No such process");
        let text = buf.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[3], "kill: No such process");
        assert!(lines[0].starts_with("   0.000000\t[D1] Starting UPS: a"));
        assert!(lines[1].ends_with("\t[D2] exec:  /lib/nut/dummy-ups -a a"));
        assert_eq!(
            strip_timestamps(&text),
            "[D1] Starting UPS: a\n[D2] exec:  /lib/nut/dummy-ups -a a\nplain\nkill: No such process\n"
        );
    }

    #[test]
    fn raising_the_level() {
        let (log, buf) = Log::buffer(0);
        log.raise_level(2);
        log.raise_level(1);
        assert_eq!(log.level(), 2);
        log.debug(2, "");
        assert_eq!(strip_timestamps(&buf.text()), "[D2] \n");
    }

    #[test]
    fn strip_keeps_other_lines() {
        let text = "a\tb\n  12.000001\tx\n1.5\ty\n";
        assert_eq!(strip_timestamps(text), "a\tb\nx\n1.5\ty\n");
    }
}
