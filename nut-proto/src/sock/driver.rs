//! Messages a driver sends to upsd (or to any other client of its socket).

use std::fmt;

use crate::names::{CmdName, Value, VarName};
use crate::tokenizer::{quote, tokenize_line};

use super::error::{DecodeError, ParseError};
use super::flags::{Flag, Flags};
use super::tracking::TrackingStatus;
use super::words::{bare_or_quoted, find_keyword, Args};
use crate::names::TrackingId;

/// A line a driver writes on its socket.
///
/// Drivers send these as the answer to `DUMPALL` (see [`ServerMessage::DumpAll`] for the
/// order) and, unprompted, whenever their state changes. Each variant documents the exact
/// line C NUT writes and what C upsd does with a malformed one.
///
/// Parsing is C's: keywords ignore case, extra words at the end are ignored, and a missing
/// argument is an error. Encoding ([`Display`](fmt::Display), without the line feed; or
/// [`to_line`](Self::to_line)) is byte for byte what a C driver writes in its `DUMPALL`
/// answer.
///
/// ```
/// use nut_proto::sock::DriverMessage;
///
/// let msg = DriverMessage::parse_line(br#"SETINFO ups.mfr "Say \"hi\"""#).unwrap();
/// match &msg {
///     DriverMessage::SetInfo { var, value } => {
///         assert_eq!(var.as_str(), "ups.mfr");
///         assert_eq!(value.as_str(), "Say \"hi\"");
///     }
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(msg.to_string(), r#"SETINFO ups.mfr "Say \"hi\"""#);
/// ```
///
/// [`ServerMessage::DumpAll`]: super::ServerMessage::DumpAll
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum DriverMessage {
    /// `SETINFO <var> "<value>"`: create or update a variable.
    ///
    /// C drivers escape `\`, `"` and `#` in the value in their `DUMPALL` answer, but write the
    /// raw value in the update they broadcast when it changes (a C bug: a value with a quote
    /// in it then reaches upsd cut short). This type always escapes.
    SetInfo {
        /// The variable.
        var: VarName,
        /// Its new value.
        value: Value,
    },
    /// `DELINFO <var>`: the variable is gone.
    DelInfo {
        /// The variable.
        var: VarName,
    },
    /// `ADDENUM <var> "<value>"`: one more allowed value of a writable variable. Enum values
    /// are listed in the order they were added.
    AddEnum {
        /// The variable.
        var: VarName,
        /// The allowed value.
        value: Value,
    },
    /// `DELENUM <var> "<value>"`: an allowed value is no longer allowed.
    DelEnum {
        /// The variable.
        var: VarName,
        /// The value to remove.
        value: Value,
    },
    /// `ADDRANGE <var> <min> <max>`: one more allowed range of a numeric writable variable.
    /// Written with `%i`; C upsd reads the numbers with `atoi` (garbage reads as 0), this
    /// type rejects them.
    AddRange {
        /// The variable.
        var: VarName,
        /// The lowest allowed value.
        min: i32,
        /// The highest allowed value.
        max: i32,
    },
    /// `DELRANGE <var> <min> <max>`: remove a range.
    DelRange {
        /// The variable.
        var: VarName,
        /// The lowest value of the range to remove.
        min: i32,
        /// The highest value of the range to remove.
        max: i32,
    },
    /// `SETAUX <var> <n>`: the auxiliary number of a variable: the maximum length of a
    /// writable string. Drivers leave it out of their dump when it is 0.
    SetAux {
        /// The variable.
        var: VarName,
        /// The number (C's `long`, read by upsd with `strtol`).
        aux: i64,
    },
    /// `SETFLAGS <var> [flag...]`: replace the flags of a variable.
    ///
    /// C drivers write `SETFLAGS var` with no flag when they clear the last one; C upsd
    /// ignores that line (it wants at least one flag), so its copy keeps the old flags. This
    /// type accepts it as "no flags".
    SetFlags {
        /// The variable.
        var: VarName,
        /// The new flags.
        flags: Flags,
    },
    /// `ADDCMD <cmd>`: the driver supports one more instant command.
    AddCmd {
        /// The command.
        cmd: CmdName,
    },
    /// `DELCMD <cmd>`: a command is no longer supported.
    DelCmd {
        /// The command.
        cmd: CmdName,
    },
    /// `DUMPDONE`: the end of the answer to `DUMPALL` (or `DUMPVALUE`/`DUMPSTATUS`).
    DumpDone,
    /// `DATAOK`: the data is fresh. Sent at the end of a dump (before `DUMPDONE`) when the
    /// data is not stale, and whenever the driver recovers.
    DataOk,
    /// `DATASTALE`: the driver lost the device. Sent first in a dump when stale.
    DataStale,
    /// `PONG`: the answer to `PING`.
    Pong,
    /// `PID <pid>`: the answer to `GETPID` (NUT 2.8.3 and later). Numeric on POSIX systems but
    /// to be treated as an opaque word.
    Pid {
        /// The process id as a word.
        pid: Value,
    },
    /// `TRACKING <id> <code>`: the result of a tracked `INSTCMD` or `SET`.
    ///
    /// C upsd 2.8.0 reads the code with `atoi`, so a code that is not a number reads as 0
    /// (success); this type rejects it.
    Tracking {
        /// The id given in the request.
        id: TrackingId,
        /// The result.
        status: TrackingStatus,
    },
    /// `OK Goodbye`: the answer to `LOGOUT`, just before the driver closes the connection
    /// (NUT 2.8.3 and later).
    Goodbye,
}

impl DriverMessage {
    /// Parses the words of one line (as the tokenizer produced them).
    ///
    /// C upsd treats every error here the same way: it ignores the line, without a log
    /// message, and the line does not count as a sign of life of the driver. It does not
    /// know `PID` and `OK` either (they are for other clients of the socket).
    pub fn parse(words: &[String]) -> Result<Self, ParseError> {
        let command = find_keyword(words, &KEYWORDS)?;
        let args = |min| Args::new(command, words, min);
        Ok(match command {
            "SETINFO" => {
                let a = args(3)?;
                Self::SetInfo {
                    var: a.var(1)?,
                    value: a.value(2)?,
                }
            }
            "DELINFO" => Self::DelInfo {
                var: args(2)?.var(1)?,
            },
            "ADDENUM" => {
                let a = args(3)?;
                Self::AddEnum {
                    var: a.var(1)?,
                    value: a.value(2)?,
                }
            }
            "DELENUM" => {
                let a = args(3)?;
                Self::DelEnum {
                    var: a.var(1)?,
                    value: a.value(2)?,
                }
            }
            "ADDRANGE" => {
                let a = args(4)?;
                Self::AddRange {
                    var: a.var(1)?,
                    min: a.int(2, "min")?,
                    max: a.int(3, "max")?,
                }
            }
            "DELRANGE" => {
                let a = args(4)?;
                Self::DelRange {
                    var: a.var(1)?,
                    min: a.int(2, "min")?,
                    max: a.int(3, "max")?,
                }
            }
            "SETAUX" => {
                let a = args(3)?;
                Self::SetAux {
                    var: a.var(1)?,
                    aux: a.int(2, "aux")?,
                }
            }
            "SETFLAGS" => {
                let a = args(2)?;
                let var = a.var(1)?;
                let flags = (2..a.len())
                    .map(|i| a.value(i).map(Flag::parse))
                    .collect::<Result<Flags, _>>()?;
                Self::SetFlags { var, flags }
            }
            "ADDCMD" => Self::AddCmd {
                cmd: args(2)?.cmd(1)?,
            },
            "DELCMD" => Self::DelCmd {
                cmd: args(2)?.cmd(1)?,
            },
            "DUMPDONE" => Self::DumpDone,
            "DATAOK" => Self::DataOk,
            "DATASTALE" => Self::DataStale,
            "PONG" => Self::Pong,
            "PID" => Self::Pid {
                pid: args(2)?.value(1)?,
            },
            "TRACKING" => {
                let a = args(3)?;
                Self::Tracking {
                    id: a.tracking_id(1)?,
                    status: TrackingStatus::from_code(a.int(2, "status")?),
                }
            }
            // "OK"
            _ => {
                let a = args(2)?;
                if !a.is(1, "Goodbye") {
                    return Err(a.malformed("the only OK a driver sends is \"OK Goodbye\""));
                }
                Self::Goodbye
            }
        })
    }

    /// Tokenizes one line (a trailing LF is optional) and parses it.
    pub fn parse_line(line: &[u8]) -> Result<Self, DecodeError> {
        let line = tokenize_line(line)?;
        Self::parse(&line.words).map_err(|error| DecodeError::Parse {
            line_no: line.line_no,
            error,
        })
    }

    /// The line as written on the socket, with its line feed.
    pub fn to_line(&self) -> String {
        format!("{self}\n")
    }

    /// The command keyword of this message, in upper case (`"OK"` for [`Self::Goodbye`]).
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::SetInfo { .. } => "SETINFO",
            Self::DelInfo { .. } => "DELINFO",
            Self::AddEnum { .. } => "ADDENUM",
            Self::DelEnum { .. } => "DELENUM",
            Self::AddRange { .. } => "ADDRANGE",
            Self::DelRange { .. } => "DELRANGE",
            Self::SetAux { .. } => "SETAUX",
            Self::SetFlags { .. } => "SETFLAGS",
            Self::AddCmd { .. } => "ADDCMD",
            Self::DelCmd { .. } => "DELCMD",
            Self::DumpDone => "DUMPDONE",
            Self::DataOk => "DATAOK",
            Self::DataStale => "DATASTALE",
            Self::Pong => "PONG",
            Self::Pid { .. } => "PID",
            Self::Tracking { .. } => "TRACKING",
            Self::Goodbye => "OK",
        }
    }
}

/// Every keyword [`DriverMessage::parse`] knows, in upper case.
const KEYWORDS: [&str; 17] = [
    "SETINFO",
    "DELINFO",
    "ADDENUM",
    "DELENUM",
    "ADDRANGE",
    "DELRANGE",
    "SETAUX",
    "SETFLAGS",
    "ADDCMD",
    "DELCMD",
    "DUMPDONE",
    "DATAOK",
    "DATASTALE",
    "PONG",
    "PID",
    "TRACKING",
    "OK",
];

impl fmt::Display for DriverMessage {
    /// Writes the line without its line feed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keyword = self.keyword();
        match self {
            Self::SetInfo { var, value }
            | Self::AddEnum { var, value }
            | Self::DelEnum { var, value } => {
                write!(f, "{keyword} {var} {}", quote(value.as_str()))
            }
            Self::DelInfo { var } => write!(f, "{keyword} {var}"),
            Self::AddRange { var, min, max } | Self::DelRange { var, min, max } => {
                write!(f, "{keyword} {var} {min} {max}")
            }
            Self::SetAux { var, aux } => write!(f, "{keyword} {var} {aux}"),
            Self::SetFlags { var, flags } => {
                write!(f, "{keyword} {var}")?;
                for flag in flags {
                    write!(f, " {flag}")?;
                }
                Ok(())
            }
            Self::AddCmd { cmd } | Self::DelCmd { cmd } => write!(f, "{keyword} {cmd}"),
            Self::DumpDone | Self::DataOk | Self::DataStale | Self::Pong => f.write_str(keyword),
            Self::Pid { pid } => write!(f, "{keyword} {}", bare_or_quoted(pid.as_str())),
            Self::Tracking { id, status } => {
                write!(f, "{keyword} {} {status}", bare_or_quoted(id.as_str()))
            }
            Self::Goodbye => f.write_str("OK Goodbye"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(s: &str) -> VarName {
        VarName::new(s).unwrap()
    }

    fn value(s: &str) -> Value {
        Value::new(s).unwrap()
    }

    fn parse(line: &str) -> Result<DriverMessage, ParseError> {
        match DriverMessage::parse_line(line.as_bytes()) {
            Ok(msg) => Ok(msg),
            Err(DecodeError::Parse { error, .. }) => Err(error),
            Err(other) => panic!("tokenizer error {other}"),
        }
    }

    #[test]
    fn keywords_ignore_case_and_encode_upper() {
        let msg = parse("setinfo ups.status \"OL\"").unwrap();
        assert_eq!(
            msg,
            DriverMessage::SetInfo {
                var: var("ups.status"),
                value: value("OL")
            }
        );
        assert_eq!(msg.to_string(), "SETINFO ups.status \"OL\"");
        assert_eq!(parse("DumpDone").unwrap(), DriverMessage::DumpDone);
        assert_eq!(parse("ok goodbye").unwrap(), DriverMessage::Goodbye);
    }

    #[test]
    fn extra_words_are_ignored_as_c_does() {
        assert_eq!(
            parse("DELINFO x y z").unwrap(),
            DriverMessage::DelInfo { var: var("x") }
        );
        assert_eq!(parse("PONG extra").unwrap(), DriverMessage::Pong);
        assert_eq!(
            parse("ADDRANGE v 1 2 3").unwrap(),
            DriverMessage::AddRange {
                var: var("v"),
                min: 1,
                max: 2
            }
        );
    }

    #[test]
    fn errors() {
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(
            parse("BOGUS x"),
            Err(ParseError::UnknownCommand {
                command: "BOGUS".into()
            })
        );
        // Server messages are not driver messages.
        assert!(matches!(
            parse("DUMPALL"),
            Err(ParseError::UnknownCommand { .. })
        ));
        assert_eq!(
            parse("SETINFO x"),
            Err(ParseError::MissingArguments {
                command: "SETINFO",
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            parse("ADDRANGE x 1"),
            Err(ParseError::MissingArguments {
                command: "ADDRANGE",
                expected: 3,
                got: 2
            })
        );
        assert_eq!(
            parse("SETAUX x 1.5"),
            Err(ParseError::BadNumber {
                command: "SETAUX",
                argument: "aux",
                value: "1.5".into()
            })
        );
        assert!(matches!(
            parse("TRACKING id PENDING"),
            Err(ParseError::BadNumber {
                argument: "status",
                ..
            })
        ));
        assert!(matches!(
            parse("SETINFO \"bad name\" x"),
            Err(ParseError::InvalidArgument {
                command: "SETINFO",
                ..
            })
        ));
        assert!(matches!(
            parse("OK whatever"),
            Err(ParseError::Malformed { command: "OK", .. })
        ));
        assert!(matches!(
            parse("DELCMD"),
            Err(ParseError::MissingArguments { .. })
        ));
    }

    #[test]
    fn setflags_keeps_order_and_unknown_words() {
        let msg = parse("SETFLAGS v string rw FUTURE").unwrap();
        let DriverMessage::SetFlags { flags, .. } = &msg else {
            panic!("{msg:?}");
        };
        assert_eq!(
            flags.as_slice(),
            [Flag::String, Flag::Rw, Flag::Other(value("FUTURE"))]
        );
        assert_eq!(msg.to_string(), "SETFLAGS v STRING RW FUTURE");
        let cleared = parse("SETFLAGS v").unwrap();
        assert_eq!(
            cleared,
            DriverMessage::SetFlags {
                var: var("v"),
                flags: Flags::empty()
            }
        );
        assert_eq!(cleared.to_string(), "SETFLAGS v");
    }

    #[test]
    fn broadcast_bug_line_reads_like_c_upsd_reads_it() {
        // A C driver broadcasts a changed value without escaping it. C upsd then sees the
        // value cut at the first inner quote; so do we.
        let msg = parse(r#"SETINFO ups.id "a"b" \c #d = e""#).unwrap();
        assert_eq!(
            msg,
            DriverMessage::SetInfo {
                var: var("ups.id"),
                value: value("a")
            }
        );
    }
}
