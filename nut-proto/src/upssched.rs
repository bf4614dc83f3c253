//! upssched's command socket: the requests upssched sends its timer daemon over the PIPEFN
//! Unix socket, one line each,
//! in C upssched's format (words split by NUT's tokenizer, quoted as needed):
//!
//! * `START <name> <seconds> [<NOTIFYTYPE> <UPSNAME> <message>]`
//! * `START-SHARED <name> <seconds> <NOTIFYTYPE> <UPSNAME> <message>` (C 2.8.5)
//! * `CANCEL <name> [<command> [<NOTIFYTYPE> <UPSNAME> <message>]]`
//! * `CANCEL-MATCHED <name> [<command> [<NOTIFYTYPE> <UPSNAME> <message>]]`
//!
//! The daemon answers `OK` or `ERR UNKNOWN`. C 2.8.0 sends `START name seconds`, which is
//! accepted; the longer forms that C 2.8.5 and this program send are understood by a C
//! 2.8.0 daemon too (it ignores the extra words).

use crate::tokenizer::{quote, tokenize_line};

/// The daemon's answer to a request it carried out.
pub const REPLY_OK: &str = "OK\n";
/// The daemon's answer to a line that is not a request.
pub const REPLY_UNKNOWN: &str = "ERR UNKNOWN\n";

/// Whether a reply line from the daemon says the request was carried out.
pub fn reply_is_ok(line: &str) -> bool {
    line.starts_with("OK")
}

/// The notification that started or cancels a timer: upsmon's `NOTIFYTYPE`, `UPSNAME` and
/// message (any of them may be empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// `NOTIFYTYPE`.
    pub notifytype: String,
    /// `UPSNAME`.
    pub upsname: String,
    /// The notification message.
    pub message: String,
}

/// One request to the timer daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonRequest {
    /// Start a timer.
    Start {
        /// Its name.
        name: String,
        /// Its length in seconds.
        seconds: u64,
        /// Shared (`START-SHARED`).
        shared: bool,
        /// Who started it.
        origin: Origin,
    },
    /// Cancel timers.
    Cancel {
        /// Their name.
        name: String,
        /// What to pass to CMDSCRIPT when none was running (empty: nothing).
        command: String,
        /// Only timers of the same event and UPS (`CANCEL-MATCHED`).
        matched: bool,
        /// Who cancels.
        origin: Origin,
    },
}

impl DaemonRequest {
    /// The request as a line (with its line feed).
    pub fn to_line(&self) -> String {
        let (keyword, words): (&str, Vec<String>) = match self {
            Self::Start {
                name,
                seconds,
                shared,
                ..
            } => (
                if *shared { "START-SHARED" } else { "START" },
                vec![name.clone(), seconds.to_string()],
            ),
            Self::Cancel {
                name,
                command,
                matched,
                ..
            } => (
                if *matched { "CANCEL-MATCHED" } else { "CANCEL" },
                vec![name.clone(), command.clone()],
            ),
        };
        let origin = match self {
            Self::Start { origin, .. } | Self::Cancel { origin, .. } => origin,
        };
        let mut line = keyword.to_owned();
        for w in words
            .iter()
            .chain([&origin.notifytype, &origin.upsname, &origin.message])
        {
            line.push(' ');
            line.push_str(&quote(w).to_string());
        }
        line.push('\n');
        line
    }

    /// Reads a request line; `None` for anything that is not one.
    pub fn parse(line: &[u8]) -> Option<Self> {
        let words = tokenize_line(line).ok()?.words;
        let word = |i: usize| words.get(i).cloned().unwrap_or_default();
        let origin = |from: usize| Origin {
            notifytype: word(from),
            upsname: word(from + 1),
            message: word(from + 2),
        };
        match words.first()?.as_str() {
            k @ ("START" | "START-SHARED") => {
                if words.len() < 3 || (k == "START-SHARED" && words.len() < 6) {
                    return None;
                }
                let seconds = words[2].trim().parse::<u64>().ok()?;
                Some(Self::Start {
                    name: word(1),
                    seconds,
                    shared: k == "START-SHARED",
                    origin: origin(3),
                })
            }
            k @ ("CANCEL" | "CANCEL-MATCHED") if words.len() >= 2 => Some(Self::Cancel {
                name: word(1),
                command: word(2),
                matched: k == "CANCEL-MATCHED",
                origin: if words.len() >= 6 {
                    origin(3)
                } else {
                    Origin::default()
                },
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_c_forms() {
        let origin = Origin {
            notifytype: "ONBATT".into(),
            upsname: "ups@host".into(),
            message: "UPS \"ups@host\" on battery".into(),
        };
        let start = DaemonRequest::Start {
            name: "onbatt".into(),
            seconds: 30,
            shared: false,
            origin: origin.clone(),
        };
        let line = start.to_line();
        assert_eq!(
            line,
            "START \"onbatt\" \"30\" \"ONBATT\" \"ups@host\" \"UPS \\\"ups@host\\\" on battery\"\n"
        );
        assert_eq!(DaemonRequest::parse(line.as_bytes()), Some(start));
        let cancel = DaemonRequest::Cancel {
            name: "onbatt".into(),
            command: String::new(),
            matched: true,
            origin,
        };
        assert_eq!(
            DaemonRequest::parse(cancel.to_line().as_bytes()),
            Some(cancel)
        );
        // C 2.8.0's short forms.
        assert!(matches!(
            DaemonRequest::parse(b"START \"t\" \"5\"\n"),
            Some(DaemonRequest::Start { seconds: 5, .. })
        ));
        assert!(matches!(
            DaemonRequest::parse(b"CANCEL \"t\"\n"),
            Some(DaemonRequest::Cancel { ref command, .. }) if command.is_empty()
        ));
        assert_eq!(DaemonRequest::parse(b"START t x\n"), None);
        assert_eq!(DaemonRequest::parse(b"START-SHARED t 5\n"), None);
        assert_eq!(DaemonRequest::parse(b"HELLO\n"), None);
    }
}
