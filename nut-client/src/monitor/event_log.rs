//! The event log (nut-rs; upsmon.conf's `EVENTLOG path`): every notification, one line each,
//! with its local time, appended to a file. C upsmon has no such log (nut#1041 asks for one);
//! an application that embeds [`Monitor`](super::Monitor) gets the same events from its
//! actions and may keep them where it likes.
//!
//! A line is tab-separated: the time (`%Y-%m-%d %H:%M:%S %z`), the event type, the UPS
//! (`-` when the event is about none) and the message as NOTIFYMSG words it (tabs shown
//! as `→`):
//!
//! ```text
//! 2026-12-05 03:12:09 +0000→ONBATT→myups@localhost→UPS myups@localhost on battery
//! ```

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nut_proto::config::UpsmonConf;

use super::decision::Notification;
use crate::strftime::{self, ZonedDateTime};

/// An event log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLog {
    path: PathBuf,
}

impl EventLog {
    /// A log appended to the file at `path` (created when missing).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The log `conf`'s `EVENTLOG` names, if any.
    pub fn from_conf(conf: &UpsmonConf) -> Option<Self> {
        conf.eventlog.as_deref().map(Self::new)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line for notification `n` with its `message`, at time `tm` (with its newline).
    pub fn line(tm: &ZonedDateTime, n: &Notification, message: &str) -> String {
        let one_line = |s: &str| s.replace(['\n', '\t'], " ");
        format!(
            "{}\t{}\t{}\t{}\n",
            strftime::strftime("%Y-%m-%d %H:%M:%S %z", tm),
            n.event,
            one_line(n.ups.as_deref().unwrap_or("-")),
            one_line(message.trim_end()),
        )
    }

    /// Appends the line for `n` and its `message` at the local time now, in one write.
    pub fn record(&self, n: &Notification, message: &str) -> io::Result<()> {
        let line = Self::line(&strftime::now_local(), n, message);
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?
            .write_all(line.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nut_proto::config::NotifyEvent;

    #[test]
    fn lines_are_appended_one_per_event() {
        let dir = tempfile::tempdir().unwrap();
        let conf = UpsmonConf::parse(
            format!("EVENTLOG {}/events.log\n", dir.path().display()).as_bytes(),
            "upsmon.conf",
        )
        .unwrap()
        .config;
        let log = EventLog::from_conf(&conf).unwrap();
        let onbatt = Notification {
            event: NotifyEvent::OnBatt,
            ups: Some("a@h".into()),
            extra: None,
        };
        let shutdown = Notification {
            event: NotifyEvent::Shutdown,
            ups: None,
            extra: None,
        };
        log.record(&onbatt, "UPS a@h on battery").unwrap();
        log.record(&shutdown, "Auto logout and shutdown\nproceeding")
            .unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0][1..], ["ONBATT", "a@h", "UPS a@h on battery"]);
        assert_eq!(
            lines[1][1..],
            ["SHUTDOWN", "-", "Auto logout and shutdown proceeding"]
        );
        assert_eq!(lines[0][0].len(), "2026-12-05 03:12:09 +0000".len());

        let cet = strftime::TimeZone::fixed(jiff::tz::offset(1));
        let tm = strftime::at(0, &cet);
        assert_eq!(
            EventLog::line(&tm, &onbatt, "m"),
            "1970-01-01 01:00:00 +0100\tONBATT\ta@h\tm\n"
        );
    }
}
