//! Messages upsd (or any other client of a driver's socket) sends to a driver.

use std::fmt;

use crate::names::{CmdName, Value, VarName};
use crate::tokenizer::{quote, tokenize_line};

use super::error::{DecodeError, ParseError};
use super::words::{bare_or_quoted, find_keyword, Args};
use crate::names::TrackingId;

/// A line a client of a driver's socket (normally upsd) writes to the driver.
///
/// Parsing follows C drivers: keywords ignore case, and every layout a C driver accepts is
/// accepted here (see each variant). Encoding ([`Display`](fmt::Display) without the line
/// feed, [`to_line`](Self::to_line) with it) is what C upsd writes, except where C's output
/// would not reach the driver intact (see [`ServerMessage::InstCmd`]).
///
/// C drivers answer every line they cannot parse with nothing: they log `Unknown command on
/// socket:` and the words of the line, and go on.
///
/// ```
/// use nut_proto::sock::{ServerMessage, TrackingId};
///
/// let msg = ServerMessage::parse_line(b"SET ups.id \"Data room\" TRACKING 2dedb58a\n").unwrap();
/// let ServerMessage::Set { var, value, tracking } = &msg else { panic!() };
/// assert_eq!((var.as_str(), value.as_str()), ("ups.id", "Data room"));
/// assert_eq!(tracking.as_ref().map(TrackingId::as_str), Some("2dedb58a"));
/// assert_eq!(msg.to_string(), "SET ups.id \"Data room\" TRACKING 2dedb58a");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum ServerMessage {
    /// `DUMPALL`: send everything. upsd sends it right after connecting.
    ///
    /// The driver answers with `DATASTALE` if its data is stale; then, for every variable in
    /// ASCII-case-insensitive order of names, `SETINFO`, its `ADDENUM`s in the order they
    /// were added, its `ADDRANGE`s, `SETAUX` if not 0, `SETFLAGS` if any flag is set; then
    /// `ADDCMD` for every command in case-insensitive order; then `DATAOK` if the data is not
    /// stale; then `DUMPDONE`.
    DumpAll,
    /// `PING`: the driver answers `PONG`. upsd sends it after MAXAGE/3 seconds of silence.
    Ping,
    /// `INSTCMD <cmd> [<param>] [TRACKING <id>]`: run an instant command.
    ///
    /// A C driver accepts exactly these layouts: `INSTCMD c`, `INSTCMD c p`,
    /// `INSTCMD c TRACKING id`, `INSTCMD c p TRACKING id` (the keyword `TRACKING` in any
    /// case); any other number of words is "Malformed INSTCMD request". So `INSTCMD c
    /// TRACKING` has the parameter `TRACKING`.
    ///
    /// C upsd writes the parameter bare with `\`, `"` and `#` escaped, which splits a
    /// parameter holding a space or `=` into several words (and drops an empty one). This type
    /// writes such a parameter quoted, and every other parameter as C does.
    InstCmd {
        /// The command.
        cmd: CmdName,
        /// Its parameter, if any.
        param: Option<Value>,
        /// The id to report the result with (`TRACKING <id> <code>`), if tracked.
        tracking: Option<TrackingId>,
    },
    /// `SET <var> "<value>" [TRACKING <id>]`: change a writable variable.
    ///
    /// A C driver ignores a 4th word when there are exactly four (`SET v "x" junk` sets `v`),
    /// and rejects five words unless the 4th is `TRACKING`. With six words or more it ignores
    /// everything after the value, the tracking id included, so the result is never
    /// reported; this type keeps the id when the 4th word is `TRACKING` and ignores the rest.
    Set {
        /// The variable.
        var: VarName,
        /// The new value.
        value: Value,
        /// The id to report the result with, if tracked.
        tracking: Option<TrackingId>,
    },
    /// `LOGOUT`: the driver answers `OK Goodbye` and closes the connection (NUT 2.8.3 and
    /// later; older drivers log it as an unknown command).
    Logout,
    /// `GETPID`: the driver answers `PID <pid>` (NUT 2.8.3 and later).
    GetPid,
    /// `DUMPVALUE <var>`: like `DUMPALL` for one variable: `DATASTALE` if stale, the
    /// variable's lines if it exists, `DATAOK` if not stale, `DUMPDONE` (NUT 2.8.3 and later).
    DumpValue {
        /// The variable.
        var: VarName,
    },
    /// `DUMPSTATUS`: the same as `DUMPVALUE ups.status` (NUT 2.8.3 and later).
    DumpStatus,
    /// `NOBROADCAST`: stop sending this connection the unprompted updates (NUT 2.8.1 and
    /// later).
    NoBroadcast,
    /// `BROADCAST [n]`: send this connection the unprompted updates again; with a number
    /// below 1, stop sending them (NUT 2.8.1 and later).
    ///
    /// A C driver reads an argument that is not a number as no argument (updates on); this
    /// type rejects it.
    Broadcast {
        /// The optional argument.
        level: Option<i32>,
    },
}

impl ServerMessage {
    /// Parses the words of one line (as the tokenizer produced them).
    pub fn parse(words: &[String]) -> Result<Self, ParseError> {
        let command = find_keyword(words, &KEYWORDS)?;
        let args = |min| Args::new(command, words, min);
        Ok(match command {
            "DUMPALL" => Self::DumpAll,
            "PING" => Self::Ping,
            "INSTCMD" => {
                let a = args(2)?;
                let cmd = a.cmd(1)?;
                let (param, tracking) = match a.len() {
                    2 => (None, None),
                    3 => (Some(a.value(2)?), None),
                    4 if a.is(2, "TRACKING") => (None, Some(a.tracking_id(3)?)),
                    5 if a.is(3, "TRACKING") => (Some(a.value(2)?), Some(a.tracking_id(4)?)),
                    _ => {
                        return Err(a.malformed("expected INSTCMD <cmd> [<param>] [TRACKING <id>]"))
                    }
                };
                Self::InstCmd {
                    cmd,
                    param,
                    tracking,
                }
            }
            "SET" => {
                let a = args(3)?;
                let var = a.var(1)?;
                let value = a.value(2)?;
                let tracking = match a.len() {
                    3 | 4 => None,
                    _ if a.is(3, "TRACKING") => Some(a.tracking_id(4)?),
                    5 => return Err(a.malformed("the 4th word of 5 must be TRACKING")),
                    _ => None,
                };
                Self::Set {
                    var,
                    value,
                    tracking,
                }
            }
            "LOGOUT" => Self::Logout,
            "GETPID" => Self::GetPid,
            "DUMPVALUE" => Self::DumpValue {
                var: args(2)?.var(1)?,
            },
            "DUMPSTATUS" => Self::DumpStatus,
            "NOBROADCAST" => Self::NoBroadcast,
            // "BROADCAST"
            _ => {
                let a = args(1)?;
                let level = if a.len() > 1 {
                    Some(a.int(1, "level")?)
                } else {
                    None
                };
                Self::Broadcast { level }
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

    /// The command keyword of this message, in upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::DumpAll => "DUMPALL",
            Self::Ping => "PING",
            Self::InstCmd { .. } => "INSTCMD",
            Self::Set { .. } => "SET",
            Self::Logout => "LOGOUT",
            Self::GetPid => "GETPID",
            Self::DumpValue { .. } => "DUMPVALUE",
            Self::DumpStatus => "DUMPSTATUS",
            Self::NoBroadcast => "NOBROADCAST",
            Self::Broadcast { .. } => "BROADCAST",
        }
    }

    /// The tracking id of a tracked `INSTCMD` or `SET`.
    pub fn tracking(&self) -> Option<&TrackingId> {
        match self {
            Self::InstCmd { tracking, .. } | Self::Set { tracking, .. } => tracking.as_ref(),
            _ => None,
        }
    }

    /// For `BROADCAST`: whether it turns the updates on (no argument, or one of at least 1).
    /// `None` for every other message.
    pub fn broadcast_enabled(&self) -> Option<bool> {
        match self {
            Self::Broadcast { level } => Some(level.is_none_or(|n| n >= 1)),
            Self::NoBroadcast => Some(false),
            _ => None,
        }
    }
}

/// Every keyword [`ServerMessage::parse`] knows, in upper case.
const KEYWORDS: [&str; 10] = [
    "DUMPALL",
    "PING",
    "INSTCMD",
    "SET",
    "LOGOUT",
    "GETPID",
    "DUMPVALUE",
    "DUMPSTATUS",
    "NOBROADCAST",
    "BROADCAST",
];

impl fmt::Display for ServerMessage {
    /// Writes the line without its line feed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keyword = self.keyword();
        match self {
            Self::InstCmd {
                cmd,
                param,
                tracking,
            } => {
                write!(f, "{keyword} {cmd}")?;
                if let Some(param) = param {
                    write!(f, " {}", bare_or_quoted(param.as_str()))?;
                }
                if let Some(id) = tracking {
                    write!(f, " TRACKING {}", bare_or_quoted(id.as_str()))?;
                }
                Ok(())
            }
            Self::Set {
                var,
                value,
                tracking,
            } => {
                write!(f, "{keyword} {var} {}", quote(value.as_str()))?;
                if let Some(id) = tracking {
                    write!(f, " TRACKING {}", bare_or_quoted(id.as_str()))?;
                }
                Ok(())
            }
            Self::DumpValue { var } => write!(f, "{keyword} {var}"),
            Self::Broadcast { level: Some(n) } => write!(f, "{keyword} {n}"),
            Self::DumpAll
            | Self::Ping
            | Self::Logout
            | Self::GetPid
            | Self::DumpStatus
            | Self::NoBroadcast
            | Self::Broadcast { level: None } => f.write_str(keyword),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<ServerMessage, ParseError> {
        match ServerMessage::parse_line(line.as_bytes()) {
            Ok(msg) => Ok(msg),
            Err(DecodeError::Parse { error, .. }) => Err(error),
            Err(other) => panic!("tokenizer error {other}"),
        }
    }

    fn instcmd(cmd: &str, param: Option<&str>, id: Option<&str>) -> ServerMessage {
        ServerMessage::InstCmd {
            cmd: CmdName::new(cmd).unwrap(),
            param: param.map(|p| Value::new(p).unwrap()),
            tracking: id.map(|i| TrackingId::new(i).unwrap()),
        }
    }

    fn set(var: &str, value: &str, id: Option<&str>) -> ServerMessage {
        ServerMessage::Set {
            var: VarName::new(var).unwrap(),
            value: Value::new(value).unwrap(),
            tracking: id.map(|i| TrackingId::new(i).unwrap()),
        }
    }

    #[test]
    fn instcmd_layouts_are_cs() {
        assert_eq!(parse("INSTCMD c").unwrap(), instcmd("c", None, None));
        assert_eq!(
            parse("INSTCMD c 10").unwrap(),
            instcmd("c", Some("10"), None)
        );
        assert_eq!(
            parse("instcmd c tracking id").unwrap(),
            instcmd("c", None, Some("id"))
        );
        assert_eq!(
            parse("INSTCMD c 10 TRACKING id").unwrap(),
            instcmd("c", Some("10"), Some("id"))
        );
        // Three words: the third is the parameter, even if it reads TRACKING.
        assert_eq!(
            parse("INSTCMD c TRACKING").unwrap(),
            instcmd("c", Some("TRACKING"), None)
        );
        for bad in [
            "INSTCMD c a b",
            "INSTCMD c a b c",
            "INSTCMD c 10 TRACKING id extra",
        ] {
            assert!(
                matches!(
                    parse(bad),
                    Err(ParseError::Malformed {
                        command: "INSTCMD",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            parse("INSTCMD"),
            Err(ParseError::MissingArguments { .. })
        ));
    }

    #[test]
    fn set_layouts() {
        assert_eq!(parse("SET v \"x y\"").unwrap(), set("v", "x y", None));
        assert_eq!(parse("SET v x junk").unwrap(), set("v", "x", None));
        assert_eq!(
            parse("set v x Tracking id").unwrap(),
            set("v", "x", Some("id"))
        );
        assert!(matches!(
            parse("SET v x NOT id"),
            Err(ParseError::Malformed { command: "SET", .. })
        ));
        // Six words or more: C drops the id; we keep it.
        assert_eq!(
            parse("SET v x TRACKING id extra").unwrap(),
            set("v", "x", Some("id"))
        );
        assert_eq!(parse("SET v x a b c").unwrap(), set("v", "x", None));
        assert!(matches!(
            parse("SET v"),
            Err(ParseError::MissingArguments { .. })
        ));
    }

    #[test]
    fn instcmd_param_encoding() {
        let cases = [
            (Some("10"), None, "INSTCMD c 10"),
            (None, Some("ID"), "INSTCMD c TRACKING ID"),
            (Some("a\"b"), Some("ID"), "INSTCMD c a\\\"b TRACKING ID"),
            (Some("a b=c"), None, "INSTCMD c \"a b=c\""),
            (Some(""), None, "INSTCMD c \"\""),
            (Some("TRACKING"), None, "INSTCMD c TRACKING"),
            (Some("TRACKING"), Some("x"), "INSTCMD c TRACKING TRACKING x"),
        ];
        for (param, id, text) in cases {
            let msg = instcmd("c", param, id);
            assert_eq!(msg.to_string(), text);
            let back = parse(text).unwrap();
            assert_eq!(back, msg, "{text}");
            assert_eq!(back.to_string(), text);
        }
    }

    #[test]
    fn broadcast() {
        let on = parse("BROADCAST").unwrap();
        assert_eq!(on, ServerMessage::Broadcast { level: None });
        assert_eq!(on.broadcast_enabled(), Some(true));
        let off = parse("BROADCAST 0").unwrap();
        assert_eq!(off.broadcast_enabled(), Some(false));
        assert_eq!(off.to_string(), "BROADCAST 0");
        assert_eq!(
            parse("BROADCAST -3").unwrap().broadcast_enabled(),
            Some(false)
        );
        assert_eq!(
            parse("BROADCAST 2").unwrap().broadcast_enabled(),
            Some(true)
        );
        assert_eq!(
            parse("NOBROADCAST").unwrap().broadcast_enabled(),
            Some(false)
        );
        assert_eq!(parse("PING").unwrap().broadcast_enabled(), None);
        assert!(matches!(
            parse("BROADCAST yes"),
            Err(ParseError::BadNumber {
                command: "BROADCAST",
                ..
            })
        ));
    }

    #[test]
    fn unknown_and_empty() {
        assert_eq!(parse("   "), Err(ParseError::Empty));
        assert_eq!(
            parse("SETINFO x y"),
            Err(ParseError::UnknownCommand {
                command: "SETINFO".into()
            })
        );
        assert!(matches!(
            parse("DUMPVALUE"),
            Err(ParseError::MissingArguments {
                command: "DUMPVALUE",
                ..
            })
        ));
    }
}
