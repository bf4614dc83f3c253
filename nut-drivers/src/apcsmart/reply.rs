//! Reading APC Smart replies: what C's `apc_read` makes of the bytes a device sends, and
//! the parsers for the command set (`a`) and capability (`^Z`) answers. Pure functions,
//! no I/O; they never panic on any input.
//!
//! A reply ends with LF; CR is ignored (C puts the terminal in canonical mode with
//! `IGNCR`). Alert characters (`$!%+#?=`) may arrive inside a reply; depending on the
//! read they are acted upon, dropped, or (for the command set and capability answers)
//! kept. `*` is a second end of line that some firmware sends instead of `OK` after a
//! shutdown command.
//!
//! ```
//! use nut_drivers::apcsmart::reply::{parse_line, ReadMode};
//! let r = parse_line(b"!08\r\n", ReadMode::Alerts);
//! assert_eq!((r.text.as_str(), r.alerts.as_slice(), r.complete), ("08", &b"!"[..], true));
//! ```

/// The alert characters.
pub const ALERT_CHARS: &[u8] = b"$!%+#?=";

/// Which characters a read acts upon or drops (C's `SER_AA`, `SER_CC`, `SER_CS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadMode {
    /// Drop alert characters and `|&`.
    Plain,
    /// Act on alert characters; drop `|&`.
    Alerts,
    /// A capability string: drop `|&$!%+?=` (keep `#`).
    Caps,
    /// A command set: keep everything.
    CmdSet,
    /// A shutdown answer: `*` means `OK`.
    Shutdown,
}

/// What one read produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// The reply text (at most 511 bytes, as C's buffer).
    pub text: String,
    /// Alert characters to act upon, in order.
    pub alerts: Vec<u8>,
    /// Whether the reply was complete (LF, or `*` in [`ReadMode::Shutdown`]).
    pub complete: bool,
}

/// The longest reply kept.
pub const MAX_REPLY: usize = 511;

/// Whether `raw` holds a complete reply for `mode`.
pub fn is_complete(raw: &[u8], mode: ReadMode) -> bool {
    line_end(raw, mode).is_some()
}

/// Where the first complete reply in `raw` ends (the index of its LF, or of its `*` in
/// [`ReadMode::Shutdown`]).
pub fn line_end(raw: &[u8], mode: ReadMode) -> Option<usize> {
    raw.iter()
        .position(|&b| b == b'\n' || (mode == ReadMode::Shutdown && b == b'*'))
}

/// Interprets the bytes of one reply (C's `apc_read`).
pub fn parse_line(raw: &[u8], mode: ReadMode) -> Line {
    let mut line = Line::default();
    let mut text = Vec::new();
    for &b in raw {
        match b {
            b'\n' => {
                line.complete = true;
                break;
            }
            b'*' if mode == ReadMode::Shutdown => {
                line.complete = true;
                text = b"OK".to_vec();
                break;
            }
            b'\r' | b'*' => {}
            b'|' | b'&' if mode != ReadMode::CmdSet => {}
            b if ALERT_CHARS.contains(&b) => match mode {
                ReadMode::Alerts => line.alerts.push(b),
                ReadMode::CmdSet => text.push(b),
                ReadMode::Caps if b == b'#' => text.push(b),
                _ => {}
            },
            b => text.push(b),
        }
        if text.len() >= MAX_REPLY {
            break;
        }
    }
    line.text = String::from_utf8_lossy(&text).into_owned();
    line
}

/// The command characters of an `a` answer (`version.alerts.commands[.more]`), if it has
/// that shape.
pub fn cmdset_chars(reply: &str) -> Option<&[u8]> {
    let b = reply.as_bytes();
    let parts: Vec<&[u8]> = b.split(|&c| c == b'.').collect();
    let ok = (3..=4).contains(&parts.len())
        && parts[0].len() == 1
        && parts[0][0].is_ascii_digit()
        && parts[2..].iter().all(|p| !p.is_empty());
    if ok {
        parts.get(2).copied()
    } else {
        None
    }
}

/// One entry of a capability string: a command character, a locale, and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapEntry {
    /// The command character.
    pub cmd: u8,
    /// The locale the values apply to (`4` for all).
    pub locale: u8,
    /// The allowed values, as the device spells them.
    pub values: Vec<String>,
}

/// Why a capability string cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapsError {
    /// Does not start with `#`.
    #[error("unknown capability start char")]
    BadStart,
    /// An entry runs past the end.
    #[error("capability string has overflowed")]
    Overflow,
    /// A count or length below `0`.
    #[error("nument or entlen out of range")]
    BadCount,
}

/// Parses a `^Z` answer (C's `apc_getcaps`): `#` then entries of command, locale, count
/// and length characters (offset by `'0'`), then the values; Matrix-UPS units repeat `##`
/// before every entry. Returns the entries read before any error along with it.
pub fn parse_caps(reply: &[u8]) -> (Vec<CapEntry>, Option<CapsError>) {
    let mut out = Vec::new();
    if reply.first() != Some(&b'#') {
        return (out, Some(CapsError::BadStart));
    }
    let matrix = reply.get(1) == Some(&b'#');
    let mut pos = if matrix { 0 } else { 1 };
    while pos < reply.len() {
        if matrix {
            pos += 2;
        }
        let Some(head) = reply.get(pos..pos + 4) else {
            return (out, Some(CapsError::Overflow));
        };
        if head[2] < b'0' || head[3] < b'0' {
            return (out, Some(CapsError::BadCount));
        }
        let (count, len) = (usize::from(head[2] - b'0'), usize::from(head[3] - b'0'));
        pos += 4;
        let mut values = Vec::with_capacity(count);
        for _ in 0..count {
            // C copies what is there even past the end; a short last entry is cut.
            let end = (pos + len).min(reply.len());
            let v = reply.get(pos..end).unwrap_or_default();
            values.push(String::from_utf8_lossy(v).into_owned());
            pos += len;
        }
        out.push(CapEntry {
            cmd: head[0],
            locale: head[1],
            values,
        });
    }
    (out, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_alerts_and_stars() {
        let l = parse_line(b"2$29.5\r\n", ReadMode::Alerts);
        assert_eq!(
            (l.text.as_str(), l.alerts, l.complete),
            ("229.5", b"$".to_vec(), true)
        );
        let l = parse_line(b"2$29.5\r\n", ReadMode::Plain);
        assert_eq!(l.text, "229.5");
        assert!(!parse_line(b"22", ReadMode::Plain).complete);
        let l = parse_line(b"*", ReadMode::Shutdown);
        assert_eq!((l.text.as_str(), l.complete), ("OK", true));
        assert_eq!(parse_line(b"#u|$\n", ReadMode::Caps).text, "#u");
        assert_eq!(
            parse_line(b"3.!$|.AB.x\n", ReadMode::CmdSet).text,
            "3.!$|.AB.x"
        );
    }

    #[test]
    fn cmdsets() {
        assert_eq!(cmdset_chars("3.!$%.ABC.x"), Some(&b"ABC"[..]));
        assert_eq!(cmdset_chars("3..ABC"), Some(&b"ABC"[..]));
        assert_eq!(cmdset_chars("NA"), None);
        assert_eq!(cmdset_chars("3.x."), None);
        assert_eq!(cmdset_chars("3.x.a.b.c"), None);
    }

    #[test]
    fn caps() {
        let (e, err) = parse_caps(b"#uI43253264271280eI");
        assert_eq!(err, Some(CapsError::Overflow));
        assert_eq!(e[0].values, ["253", "264", "271", "280"]);
        let (e, err) = parse_caps(b"##uI23100200##l4110");
        assert_eq!(err, None);
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].values, ["0"]);
        assert_eq!(parse_caps(b"x").1, Some(CapsError::BadStart));
        assert_eq!(parse_caps(b"#ab!0").1, Some(CapsError::BadCount));
    }
}
