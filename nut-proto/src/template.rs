//! The template language of the `upsstats.cgi` pages (`upsstats.html`,
//! `upsstats-single.html`): HTML with `@DIRECTIVE@` commands, read as C NUT 2.8.0 reads it.
//!
//! The file is read a line at a time (as C's `fgets` into a 4096-byte buffer: a longer line
//! is read in pieces of 4095 bytes, and a NUL byte ends what is read of a piece). Within a
//! line, text between two `@` is a command and the rest is copied through. A command never
//! spans lines: an `@` left open at the end of a line swallows the rest of that line, which
//! C drops without a word; here it is kept as [`Segment::Unterminated`] and reported by
//! [`Template::warnings`] so that the program can tell its administrator.
//!
//! ```
//! use nut_proto::template::{Command, Segment, Template};
//!
//! let t = Template::parse(b"<td>@VAR ups.load@ %</td>\n@IFSUPP battery.charge@ok@ENDIF@\n");
//! assert_eq!(t.lines()[0].segments[1], Segment::Command(Command::Var("ups.load".into())));
//! assert_eq!(t.lines()[1].segments[0], Segment::Command(Command::IfSupp("battery.charge".into())));
//! assert_eq!(t.to_bytes(), b"<td>@VAR ups.load@ %</td>\n@IFSUPP battery.charge@ok@ENDIF@\n");
//! assert!(t.warnings().is_empty());
//! ```

use std::fmt;

/// The longest piece of a line read at once (C's 4096-byte `fgets` buffer, less the NUL).
pub const MAX_LINE: usize = 4095;
/// The longest command kept; C cuts the text between the `@`s to this many bytes.
pub const MAX_COMMAND: usize = 511;

/// One `@...@` command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `VAR name`: the variable's value.
    Var(String),
    /// `HOST`: the `ups@host` of the current UPS.
    Host,
    /// `HOSTDESC`: its hosts.conf description.
    HostDesc,
    /// `RUNTIME`: `battery.runtime` as `HH:MM:SS`.
    Runtime,
    /// `STATUS`: the status words spelled out, each followed by `<br>`.
    Status,
    /// `STATUSCOLOR`: green, yellow or red (`#00FF00`, …) for the status.
    StatusColor,
    /// `TEMPF`: show temperatures in Fahrenheit from here on.
    TempF,
    /// `TEMPC`: show temperatures in Celsius from here on (the default).
    TempC,
    /// `DATE format`: the local time through `strftime`.
    Date(String),
    /// `IMG type [arg=value ...]`: an `<IMG>` tag for upsimage.cgi (the arguments as
    /// written, unparsed).
    Img {
        /// The variable to draw.
        kind: String,
        /// What follows the variable name (after its space), if anything.
        args: Option<String>,
    },
    /// `VERSION`: the NUT version.
    Version,
    /// `REFRESH`: a `<META HTTP-EQUIV="Refresh">` tag when `refresh=` was given.
    Refresh,
    /// `FOREACHUPS`: repeat from the next line to `ENDFOR` for every hosts.conf UPS.
    ForEachUps,
    /// `ENDFOR`: the end of a `FOREACHUPS` block.
    EndFor,
    /// `HOSTLINK`: a link to the single page of the current UPS.
    HostLink,
    /// `TREELINK`: a link to its data tree.
    TreeLink,
    /// `IFSUPP var`: skip to `ELSE`/`ENDIF` unless the variable exists.
    IfSupp(String),
    /// `UPSTEMP`: `ups.temperature` in the chosen unit.
    UpsTemp,
    /// `BATTTEMP`: `battery.temperature` in the chosen unit.
    BattTemp,
    /// `AMBTEMP`: `ambient.temperature` in the chosen unit.
    AmbTemp,
    /// `DEGREES`: `&deg;C` or `&deg;F`.
    Degrees,
    /// `IFEQ var value`: skip unless the variable has that value (the words as split by C:
    /// at every space, one trailing empty word dropped, at most 15).
    IfEq(Vec<String>),
    /// `IFBETWEEN low high var`: skip unless `low <= var <= high` (same splitting).
    IfBetween(Vec<String>),
    /// `ELSE`.
    Else,
    /// `ENDIF`.
    EndIf,
    /// `UPSSTATSPATH path`: the URL of upsstats.cgi in links (ignored when empty).
    UpsStatsPath(String),
    /// `UPSIMAGEPATH path`: the URL of upsimage.cgi in images (ignored when empty).
    UpsImagePath(String),
    /// Anything else: C prints nothing for it.
    Unknown(String),
}

/// C's `breakargs`: split at every space, at most 15 words; a trailing empty word is not one.
fn break_args(s: &str) -> Vec<String> {
    let mut words: Vec<String> = s.split(' ').map(str::to_owned).collect();
    if words.last().is_some_and(String::is_empty) {
        words.pop();
    }
    words.truncate(15);
    words
}

impl Command {
    /// Reads the text between two `@`s, as C's `do_command` tells commands apart.
    pub fn parse(text: &str) -> Self {
        let word = |prefix: &str| text.strip_prefix(prefix).map(str::to_owned);
        match text {
            "ENDIF" => return Self::EndIf,
            "ELSE" => return Self::Else,
            "HOST" => return Self::Host,
            "HOSTDESC" => return Self::HostDesc,
            "RUNTIME" => return Self::Runtime,
            "STATUS" => return Self::Status,
            "STATUSCOLOR" => return Self::StatusColor,
            "TEMPF" => return Self::TempF,
            "TEMPC" => return Self::TempC,
            "VERSION" => return Self::Version,
            "REFRESH" => return Self::Refresh,
            "FOREACHUPS" => return Self::ForEachUps,
            "ENDFOR" => return Self::EndFor,
            "HOSTLINK" => return Self::HostLink,
            "TREELINK" => return Self::TreeLink,
            "UPSTEMP" => return Self::UpsTemp,
            "BATTTEMP" => return Self::BattTemp,
            "AMBTEMP" => return Self::AmbTemp,
            "DEGREES" => return Self::Degrees,
            _ => {}
        }
        if let Some(v) = word("VAR ") {
            Self::Var(v)
        } else if let Some(f) = word("DATE ") {
            Self::Date(f)
        } else if let Some(rest) = word("IMG ") {
            match rest.split_once(' ') {
                Some((kind, args)) => Self::Img {
                    kind: kind.to_owned(),
                    args: Some(args.to_owned()),
                },
                None => Self::Img {
                    kind: rest,
                    args: None,
                },
            }
        } else if let Some(v) = word("IFSUPP ") {
            Self::IfSupp(v)
        } else if let Some(a) = word("IFEQ ") {
            Self::IfEq(break_args(&a))
        } else if let Some(a) = word("IFBETWEEN ") {
            Self::IfBetween(break_args(&a))
        } else if let Some(p) = word("UPSSTATSPATH ") {
            Self::UpsStatsPath(p)
        } else if let Some(p) = word("UPSIMAGEPATH ") {
            Self::UpsImagePath(p)
        } else {
            Self::Unknown(text.to_owned())
        }
    }
}

impl fmt::Display for Command {
    /// The command as written between the `@`s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Var(v) => write!(f, "VAR {v}"),
            Self::Host => f.write_str("HOST"),
            Self::HostDesc => f.write_str("HOSTDESC"),
            Self::Runtime => f.write_str("RUNTIME"),
            Self::Status => f.write_str("STATUS"),
            Self::StatusColor => f.write_str("STATUSCOLOR"),
            Self::TempF => f.write_str("TEMPF"),
            Self::TempC => f.write_str("TEMPC"),
            Self::Date(d) => write!(f, "DATE {d}"),
            Self::Img { kind, args: None } => write!(f, "IMG {kind}"),
            Self::Img {
                kind,
                args: Some(a),
            } => write!(f, "IMG {kind} {a}"),
            Self::Version => f.write_str("VERSION"),
            Self::Refresh => f.write_str("REFRESH"),
            Self::ForEachUps => f.write_str("FOREACHUPS"),
            Self::EndFor => f.write_str("ENDFOR"),
            Self::HostLink => f.write_str("HOSTLINK"),
            Self::TreeLink => f.write_str("TREELINK"),
            Self::IfSupp(v) => write!(f, "IFSUPP {v}"),
            Self::UpsTemp => f.write_str("UPSTEMP"),
            Self::BattTemp => f.write_str("BATTTEMP"),
            Self::AmbTemp => f.write_str("AMBTEMP"),
            Self::Degrees => f.write_str("DEGREES"),
            Self::IfEq(a) => write!(f, "IFEQ {}", a.join(" ")),
            Self::IfBetween(a) => write!(f, "IFBETWEEN {}", a.join(" ")),
            Self::Else => f.write_str("ELSE"),
            Self::EndIf => f.write_str("ENDIF"),
            Self::UpsStatsPath(p) => write!(f, "UPSSTATSPATH {p}"),
            Self::UpsImagePath(p) => write!(f, "UPSIMAGEPATH {p}"),
            Self::Unknown(t) => f.write_str(t),
        }
    }
}

/// A piece of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text copied to the page (raw bytes: templates need not be UTF-8).
    Text(Vec<u8>),
    /// A command.
    Command(Command),
    /// An `@` not closed on its line, and what followed it: C prints none of it.
    Unterminated(Vec<u8>),
}

/// One line (or piece of a long line) of a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// Its pieces, in order.
    pub segments: Vec<Segment>,
    /// Bytes after a NUL in the piece, which C does not see (empty when there was none).
    pub after_nul: Vec<u8>,
}

/// Something in a template that C ignores without a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateWarning {
    /// The 1-based line (piece) number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TemplateWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    lines: Vec<Line>,
}

/// The pieces C's `fgets` reads: up to and including a newline, at most [`MAX_LINE`] bytes.
fn pieces(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let limit = rest.len().min(MAX_LINE);
        let end = rest[..limit]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(limit, |i| i + 1);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

/// Reads one piece as C's `parse_line` does.
fn parse_piece(piece: &[u8]) -> Line {
    let (seen, after_nul) = match piece.iter().position(|&b| b == 0) {
        Some(i) => (&piece[..i], piece[i..].to_vec()),
        None => (piece, Vec::new()),
    };
    let mut segments = Vec::new();
    // `Some(text)` while inside an `@`: the text read since it.
    let mut open: Option<&[u8]> = None;
    let mut i = 0;
    while i < seen.len() {
        let len = seen[i..]
            .iter()
            .position(|&b| b == b'@')
            .unwrap_or(seen.len() - i);
        if len == 0 {
            open = match open {
                Some(cmd) => {
                    let cmd = &cmd[..cmd.len().min(MAX_COMMAND)];
                    let text = String::from_utf8_lossy(cmd);
                    segments.push(Segment::Command(Command::parse(&text)));
                    None
                }
                None => Some(&[]),
            };
            i += 1;
            continue;
        }
        let run = &seen[i..i + len];
        match open {
            Some(_) => open = Some(run),
            None => segments.push(Segment::Text(run.to_vec())),
        }
        i += len;
    }
    if let Some(cmd) = open {
        segments.push(Segment::Unterminated(cmd.to_vec()));
    }
    Line {
        segments,
        after_nul,
    }
}

impl Template {
    /// Reads a template. Every input reads: what C ignores is kept and reported by
    /// [`warnings`](Self::warnings).
    pub fn parse(text: &[u8]) -> Self {
        Self {
            lines: pieces(text).map(parse_piece).collect(),
        }
    }

    /// The lines, in order (a `FOREACHUPS` loop starts again at the line after its own).
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// What C would ignore silently: unknown commands, unclosed `@`, bytes after a NUL,
    /// `IFEQ`/`IFBETWEEN` with the wrong number of words.
    pub fn warnings(&self) -> Vec<TemplateWarning> {
        let mut out = Vec::new();
        for (n, line) in self.lines.iter().enumerate() {
            let mut warn = |message: String| {
                out.push(TemplateWarning {
                    line: n + 1,
                    message,
                })
            };
            for segment in &line.segments {
                match segment {
                    Segment::Command(Command::Unknown(c)) => {
                        warn(format!("unknown command @{c}@ (prints nothing)"))
                    }
                    Segment::Command(Command::IfEq(a)) if a.len() != 2 => {
                        warn("IFEQ needs two words: var value".into())
                    }
                    Segment::Command(Command::IfBetween(a)) if a.len() != 3 => {
                        warn("IFBETWEEN needs three words: low high var".into())
                    }
                    Segment::Unterminated(t) => warn(format!(
                        "an @ is not closed on its line: {:?} is not printed",
                        String::from_utf8_lossy(t)
                    )),
                    _ => {}
                }
            }
            if !line.after_nul.is_empty() {
                warn("a NUL byte: the rest of the line is not printed".into());
            }
        }
        out
    }

    /// The template written back: text as read, commands between `@`s.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for line in &self.lines {
            for segment in &line.segments {
                match segment {
                    Segment::Text(t) => out.extend_from_slice(t),
                    Segment::Command(c) => {
                        out.push(b'@');
                        out.extend_from_slice(c.to_string().as_bytes());
                        out.push(b'@');
                    }
                    Segment::Unterminated(t) => {
                        out.push(b'@');
                        out.extend_from_slice(t);
                    }
                }
            }
            out.extend_from_slice(&line.after_nul);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_as_c_tells_them_apart() {
        let cases = [
            ("VAR ups.load", Command::Var("ups.load".into())),
            ("VAR", Command::Unknown("VAR".into())),
            ("DATE %X", Command::Date("%X".into())),
            (
                "IMG battery.charge width=80 height=200",
                Command::Img {
                    kind: "battery.charge".into(),
                    args: Some("width=80 height=200".into()),
                },
            ),
            (
                "IFEQ ups.status OL ",
                Command::IfEq(vec!["ups.status".into(), "OL".into()]),
            ),
            (
                "IFEQ a  b",
                Command::IfEq(vec!["a".into(), "".into(), "b".into()]),
            ),
            ("UPSSTATSPATH ", Command::UpsStatsPath(String::new())),
            ("hostlink", Command::Unknown("hostlink".into())),
            ("", Command::Unknown(String::new())),
        ];
        for (text, want) in cases {
            assert_eq!(Command::parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn lines_pieces_and_open_at_signs() {
        let t = Template::parse(b"a@@b\nmail me@x.org please\n@ENDFOR@ tail");
        assert_eq!(
            t.lines()[0].segments,
            vec![
                Segment::Text(b"a".to_vec()),
                Segment::Command(Command::Unknown(String::new())),
                Segment::Text(b"b\n".to_vec()),
            ]
        );
        assert_eq!(
            t.lines()[1].segments,
            vec![
                Segment::Text(b"mail me".to_vec()),
                Segment::Unterminated(b"x.org please\n".to_vec()),
            ]
        );
        assert_eq!(t.lines()[2].segments.len(), 2);
        let warnings = t.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert_eq!(warnings[1].line, 2);
        assert_eq!(
            t.to_bytes(),
            b"a@@b\nmail me@x.org please\n@ENDFOR@ tail".to_vec()
        );
    }

    #[test]
    fn long_lines_and_nul_bytes_as_fgets_reads_them() {
        let mut text = vec![b'x'; MAX_LINE + 10];
        text.push(b'\n');
        text.extend_from_slice(b"ab\0@VERSION@\n");
        let t = Template::parse(&text);
        assert_eq!(t.lines().len(), 3);
        assert_eq!(
            t.lines()[0].segments,
            vec![Segment::Text(vec![b'x'; MAX_LINE])]
        );
        assert_eq!(t.lines()[2].after_nul, b"\0@VERSION@\n".to_vec());
        assert_eq!(t.to_bytes(), text);
    }

    #[test]
    fn long_commands_are_cut() {
        let long = format!("@VAR {}@", "v".repeat(600));
        let t = Template::parse(long.as_bytes());
        let Segment::Command(Command::Var(v)) = &t.lines()[0].segments[0] else {
            panic!("{t:?}")
        };
        assert_eq!(v.len(), MAX_COMMAND - 4);
    }
}
