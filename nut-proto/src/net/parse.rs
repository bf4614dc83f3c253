//! Reading a [`Request`] from its words, with the ERR codes C upsd 2.8 sends for malformed
//! requests ([`RequestError`]).
//!
//! C upsd handles a line in this order, and a server built on this module should too:
//!
//! 1. an empty line or an unknown keyword: `ERR UNKNOWN-COMMAND` ([`Command::split`]);
//! 2. for commands that [require authentication](Command::requires_auth): no USERNAME yet →
//!    `ERR USERNAME-REQUIRED`, no PASSWORD yet → `ERR PASSWORD-REQUIRED` (the server's job);
//! 3. the arguments ([`Request::parse_args`]): wrong arity or an unknown sub-command →
//!    `ERR INVALID-ARGUMENT`; extra words C ignores are ignored here too;
//! 4. state checks (does the UPS exist, is its driver connected, may the user do this, …):
//!    the server's job.
//!
//! A word in a name position that is not a valid [`UpsName`], [`VarName`] or [`CmdName`]
//! (for instance `"a b"` or `a=b` split by the tokenizer into three words) cannot name
//! anything, so it gets the code C gives for a name that matches nothing: `UNKNOWN-UPS`,
//! `VAR-NOT-SUPPORTED` or `CMD-NOT-SUPPORTED`. C reaches that code only after some state
//! checks; [`RequestError::checked_ups`] says which UPS C would check first.

use crate::names::{CmdName, NameError, UpsName, Value, VarName};
use crate::secret::Secret;
use crate::tokenizer::{tokenize_line, TokenizeError};

use super::error::ErrorCode;
use super::list::ListQuery;
use super::request::{Command, Request};
use super::response::Response;
use crate::names::TrackingId;

/// Why a request line is not a valid request, and what C upsd answers to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The tokenizer rejected the line (an unescaped `#` inside quotes, or a line over the
    /// hard length limit). C upsd sends **no reply** for such a line (it logs it and drops
    /// the rest of the bytes it read with it).
    #[error("request line rejected: {0}")]
    Tokenize(#[from] TokenizeError),
    /// The line holds no word (blank or comment only): `ERR UNKNOWN-COMMAND`.
    #[error("empty request")]
    Empty,
    /// The first word is not a command: `ERR UNKNOWN-COMMAND`.
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// Wrong number of arguments, unknown sub-command, or bad argument:
    /// `ERR INVALID-ARGUMENT`.
    #[error("{command}: {reason}")]
    InvalidArgument {
        /// The command.
        command: Command,
        /// What is wrong.
        reason: &'static str,
    },
    /// A word in a name position is not a valid name, so it matches no UPS, variable or
    /// command: `ERR <code>` with `code` one of `UNKNOWN-UPS`, `VAR-NOT-SUPPORTED`,
    /// `CMD-NOT-SUPPORTED`.
    ///
    /// When `checked_ups` is set, C upsd checks that UPS before it gets to `code`: `ERR
    /// UNKNOWN-UPS` if it does not exist, then `ERR DRIVER-NOT-CONNECTED` / `ERR DATA-STALE`
    /// if its driver is unavailable, and for `SET VAR` also `ERR ACCESS-DENIED` if the user
    /// may not SET. For `LOGIN`, C checks `ALREADY-LOGGED-IN` before the UPS name.
    #[error("{command}: {source}")]
    InvalidName {
        /// The command.
        command: Command,
        /// The code C upsd sends for a name that matches nothing.
        code: ErrorCode,
        /// Why the word is not a valid name.
        source: NameError,
        /// The UPS C upsd checks before it gets to `code`.
        checked_ups: Option<UpsName>,
    },
}

impl RequestError {
    /// The code C upsd sends for this request, or `None` when it sends nothing
    /// ([`Tokenize`](Self::Tokenize)).
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Tokenize(_) => None,
            Self::Empty | Self::UnknownCommand(_) => Some(ErrorCode::UnknownCommand),
            Self::InvalidArgument { .. } => Some(ErrorCode::InvalidArgument),
            Self::InvalidName { code, .. } => Some(code.clone()),
        }
    }

    /// The `ERR` reply C upsd sends for this request, if any.
    pub fn to_response(&self) -> Option<Response> {
        self.code().map(Response::err)
    }

    /// The UPS whose existence and availability C upsd checks before it sends
    /// [`code`](Self::code); see [`RequestError::InvalidName`].
    pub fn checked_ups(&self) -> Option<&UpsName> {
        match self {
            Self::InvalidName { checked_ups, .. } => checked_ups.as_ref(),
            _ => None,
        }
    }
}

impl Command {
    /// Splits a request's words into its command and its arguments.
    ///
    /// ```
    /// use nut_proto::net::{Command, ErrorCode};
    ///
    /// let (command, args) = Command::split(&["list", "VAR", "ups"]).unwrap();
    /// assert_eq!((command, args), (Command::List, &["VAR", "ups"][..]));
    /// let err = Command::split::<&str>(&[]).unwrap_err();
    /// assert_eq!(err.code(), Some(ErrorCode::UnknownCommand));
    /// ```
    pub fn split<S: AsRef<str>>(words: &[S]) -> Result<(Self, &[S]), RequestError> {
        let (first, args) = words.split_first().ok_or(RequestError::Empty)?;
        let command = Self::parse(first.as_ref())
            .ok_or_else(|| RequestError::UnknownCommand(first.as_ref().to_owned()))?;
        Ok((command, args))
    }
}

/// The arguments after the command keyword.
struct Args<'a, S> {
    command: Command,
    words: &'a [S],
}

impl<'a, S: AsRef<str>> Args<'a, S> {
    fn len(&self) -> usize {
        self.words.len()
    }

    /// Argument `i`; the empty string past the end (callers check `len` first).
    fn word(&self, i: usize) -> &'a str {
        self.words.get(i).map_or("", AsRef::as_ref)
    }

    fn invalid(&self, reason: &'static str) -> RequestError {
        RequestError::InvalidArgument {
            command: self.command,
            reason,
        }
    }

    fn exactly(&self, n: usize) -> Result<(), RequestError> {
        if self.len() == n {
            Ok(())
        } else {
            Err(self.invalid("wrong number of arguments"))
        }
    }

    fn ups(&self, i: usize) -> Result<UpsName, RequestError> {
        UpsName::new(self.word(i)).map_err(|source| RequestError::InvalidName {
            command: self.command,
            code: ErrorCode::UnknownUps,
            source,
            checked_ups: None,
        })
    }

    fn var(&self, i: usize, ups: &UpsName) -> Result<VarName, RequestError> {
        let word = self.word(i);
        VarName::new(word).map_err(|source| {
            // C answers `server.*` variables without looking at the UPS.
            let server_var = word
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("server."));
            RequestError::InvalidName {
                command: self.command,
                code: ErrorCode::VarNotSupported,
                source,
                checked_ups: (!(server_var && self.command == Command::Get)).then(|| ups.clone()),
            }
        })
    }

    fn cmd(&self, i: usize, ups: &UpsName) -> Result<CmdName, RequestError> {
        CmdName::new(self.word(i)).map_err(|source| RequestError::InvalidName {
            command: self.command,
            code: ErrorCode::CmdNotSupported,
            source,
            checked_ups: Some(ups.clone()),
        })
    }

    fn value(&self, i: usize) -> Result<Value, RequestError> {
        Value::new(self.word(i)).map_err(|_| self.invalid("argument is not a valid word"))
    }
}

impl Request {
    /// Tokenizes one line (up to its first LF) and parses it; see [`Request::parse`].
    pub fn decode(line: &[u8]) -> Result<Self, RequestError> {
        let line = tokenize_line(line)?;
        Self::parse(&line.words)
    }

    /// Parses a request from its words (the command keyword first), as C upsd does, minus
    /// its state checks and its authentication check (which comes between
    /// [`Command::split`] and [`Request::parse_args`]).
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Self, RequestError> {
        let (command, args) = Command::split(words)?;
        Self::parse_args(command, args)
    }

    /// Parses the arguments of `command` (the words after the keyword), as C upsd does.
    ///
    /// Quirks kept from C upsd 2.8: extra words are ignored by GET, LIST, SET, STARTTLS and
    /// INSTCMD (but an INSTCMD with four or more arguments loses its parameter), while VER,
    /// NETVER, PROTVER, HELP, LOGOUT, USERNAME, PASSWORD, LOGIN, PRIMARY, MASTER and FSD
    /// want an exact count; sub-commands and `ON`/`OFF` match without regard to case.
    pub fn parse_args<S: AsRef<str>>(command: Command, args: &[S]) -> Result<Self, RequestError> {
        let a = Args {
            command,
            words: args,
        };
        match command {
            Command::Ver => a.exactly(0).map(|()| Self::Ver),
            Command::NetVer => a.exactly(0).map(|()| Self::NetVer),
            Command::ProtVer => a.exactly(0).map(|()| Self::ProtVer),
            Command::Help => a.exactly(0).map(|()| Self::Help),
            Command::Logout => a.exactly(0).map(|()| Self::Logout),
            Command::StartTls => Ok(Self::StartTls),
            Command::Username => {
                a.exactly(1)?;
                Ok(Self::Username {
                    username: a.value(0)?,
                })
            }
            Command::Password => {
                a.exactly(1)?;
                Ok(Self::Password {
                    password: Secret::new(a.word(0)),
                })
            }
            Command::Login => {
                a.exactly(1)?;
                Ok(Self::Login { ups: a.ups(0)? })
            }
            Command::Primary => {
                a.exactly(1)?;
                Ok(Self::Primary { ups: a.ups(0)? })
            }
            Command::Master => {
                a.exactly(1)?;
                Ok(Self::Master { ups: a.ups(0)? })
            }
            Command::Fsd => {
                a.exactly(1)?;
                Ok(Self::Fsd { ups: a.ups(0)? })
            }
            Command::Get => parse_get(&a),
            Command::List => parse_list(&a).map(Self::List),
            Command::Set => parse_set(&a),
            Command::InstCmd => {
                if a.len() < 2 {
                    return Err(a.invalid("wrong number of arguments"));
                }
                let ups = a.ups(0)?;
                let cmd = a.cmd(1, &ups)?;
                // C takes the parameter only when there are exactly three arguments.
                let param = if a.len() == 3 {
                    Some(a.value(2)?)
                } else {
                    None
                };
                Ok(Self::InstCmd { ups, cmd, param })
            }
        }
    }
}

/// Whether `word` is `keyword`, ignoring case.
fn is(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

fn parse_get<S: AsRef<str>>(a: &Args<'_, S>) -> Result<Request, RequestError> {
    const SUBCOMMANDS: &[&str] = &[
        "TRACKING",
        "NUMLOGINS",
        "UPSDESC",
        "VAR",
        "TYPE",
        "DESC",
        "CMDDESC",
    ];
    if a.len() < 1 {
        return Err(a.invalid("missing sub-command"));
    }
    let sub = a.word(0);
    if is(sub, "TRACKING") {
        if a.len() < 2 {
            return Ok(Request::GetTracking { id: None });
        }
        let id =
            TrackingId::new(a.word(1)).map_err(|_| a.invalid("tracking id is not a valid word"))?;
        return Ok(Request::GetTracking { id: Some(id) });
    }
    if !SUBCOMMANDS.iter().any(|k| is(sub, k)) {
        return Err(a.invalid("unknown sub-command"));
    }
    if a.len() < 2 {
        return Err(a.invalid("wrong number of arguments"));
    }
    if is(sub, "NUMLOGINS") {
        return Ok(Request::GetNumLogins { ups: a.ups(1)? });
    }
    if is(sub, "UPSDESC") {
        return Ok(Request::GetUpsDesc { ups: a.ups(1)? });
    }
    if a.len() < 3 {
        return Err(a.invalid("wrong number of arguments"));
    }
    let ups = a.ups(1)?;
    if is(sub, "CMDDESC") {
        let cmd = a.cmd(2, &ups)?;
        return Ok(Request::GetCmdDesc { ups, cmd });
    }
    let var = a.var(2, &ups)?;
    Ok(if is(sub, "VAR") {
        Request::GetVar { ups, var }
    } else if is(sub, "TYPE") {
        Request::GetType { ups, var }
    } else {
        Request::GetDesc { ups, var }
    })
}

fn parse_list<S: AsRef<str>>(a: &Args<'_, S>) -> Result<ListQuery, RequestError> {
    const WITH_UPS: &[&str] = &["VAR", "RW", "CMD", "CLIENT"];
    const WITH_VAR: &[&str] = &["ENUM", "RANGE"];
    if a.len() < 1 {
        return Err(a.invalid("missing sub-command"));
    }
    let sub = a.word(0);
    if is(sub, "UPS") {
        return Ok(ListQuery::Ups);
    }
    let with_ups = WITH_UPS.iter().any(|k| is(sub, k));
    if !with_ups && !WITH_VAR.iter().any(|k| is(sub, k)) {
        return Err(a.invalid("unknown sub-command"));
    }
    if a.len() < 2 || (!with_ups && a.len() < 3) {
        return Err(a.invalid("wrong number of arguments"));
    }
    let ups = a.ups(1)?;
    Ok(if is(sub, "VAR") {
        ListQuery::Var { ups }
    } else if is(sub, "RW") {
        ListQuery::Rw { ups }
    } else if is(sub, "CMD") {
        ListQuery::Cmd { ups }
    } else if is(sub, "CLIENT") {
        ListQuery::Client { ups }
    } else {
        let var = a.var(2, &ups)?;
        if is(sub, "ENUM") {
            ListQuery::Enum { ups, var }
        } else {
            ListQuery::Range { ups, var }
        }
    })
}

fn parse_set<S: AsRef<str>>(a: &Args<'_, S>) -> Result<Request, RequestError> {
    if a.len() < 2 {
        return Err(a.invalid("wrong number of arguments"));
    }
    let sub = a.word(0);
    if is(sub, "VAR") {
        if a.len() < 4 {
            return Err(a.invalid("wrong number of arguments"));
        }
        let ups = a.ups(1)?;
        let var = a.var(2, &ups)?;
        let value = a.value(3)?;
        return Ok(Request::SetVar { ups, var, value });
    }
    if is(sub, "TRACKING") {
        let value = a.word(1);
        return if is(value, "ON") {
            Ok(Request::SetTracking { enable: true })
        } else if is(value, "OFF") {
            Ok(Request::SetTracking { enable: false })
        } else {
            Err(a.invalid("expected ON or OFF"))
        };
    }
    Err(a.invalid("unknown sub-command"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(line: &str) -> Option<ErrorCode> {
        Request::decode(line.as_bytes()).unwrap_err().code()
    }

    #[test]
    fn checked_ups_follows_c_order() {
        let err = Request::decode(b"SET VAR MyUps \"a b\" 1").unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::VarNotSupported));
        assert_eq!(err.checked_ups().map(UpsName::as_str), Some("MyUps"));
        // Both names invalid: the UPS is looked at first.
        let err = Request::decode(b"GET VAR \"a b\" \"c d\"").unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::UnknownUps));
        assert_eq!(err.checked_ups(), None);
        // server.* variables are answered without a UPS check.
        let err = Request::decode(b"GET VAR ups \"server.a b\"").unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::VarNotSupported));
        assert_eq!(err.checked_ups(), None);
        let err = Request::decode(b"INSTCMD ups =").unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::CmdNotSupported));
        assert!(err.checked_ups().is_some());
    }

    #[test]
    fn errors_map_to_replies() {
        assert_eq!(code(""), Some(ErrorCode::UnknownCommand));
        assert_eq!(code("REQ x"), Some(ErrorCode::UnknownCommand));
        assert_eq!(code("GET"), Some(ErrorCode::InvalidArgument));
        assert_eq!(code("LOGIN \"a b\""), Some(ErrorCode::UnknownUps));
        assert_eq!(code("GET VAR \"x"), Some(ErrorCode::InvalidArgument));
        assert_eq!(code("GET VAR u \"x#y\""), None);
        assert_eq!(
            Request::decode(b"HELP me").unwrap_err().to_response(),
            Some(Response::err(ErrorCode::InvalidArgument))
        );
        assert_eq!(
            Request::decode(b"HELP me").unwrap_err().to_string(),
            "HELP: wrong number of arguments"
        );
    }

    #[test]
    fn hand_built_words_that_are_not_values_are_invalid_arguments() {
        let err = Request::parse(&["USERNAME", "line\nbreak"]).unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidArgument));
        let err = Request::parse(&["GET", "TRACKING", "\u{e9}"]).unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidArgument));
    }
}
