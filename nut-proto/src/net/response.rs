//! Replies from upsd: [`Response`] (one whole reply), [`ReplyLine`] (one line of one), their
//! encoding (byte-identical to C upsd 2.8) and their decoding (as C's libupsclient reads
//! them: split at LF, then tokenize).
//!
//! Every reply is self-describing by its first word (`OK`, `ERR`, `VAR`, `BEGIN`, …), except
//! the free text that answers `VER`, `HELP`, `NETVER` and `PROTVER`: a line whose first word
//! is not a reply keyword is kept raw as [`Text`].

use std::fmt;

use crate::names::{CmdName, UpsName, Value, VarName};
use crate::tokenizer::{quote, tokenize_line, TokenizeError, MAX_WORDS};

use super::error::ErrorCode;
use super::list::{ListItem, ListQuery, ListReply};
use super::word::Word;
use crate::names::TrackingId;

/// First words that make a line a structured reply rather than free [`Text`].
const REPLY_KEYWORDS: &[&str] = &[
    "OK",
    "ERR",
    "VAR",
    "TYPE",
    "DESC",
    "CMDDESC",
    "UPSDESC",
    "NUMLOGINS",
    "ON",
    "OFF",
    "PENDING",
    "SUCCESS",
    "BEGIN",
    "END",
    "UPS",
    "RW",
    "CMD",
    "ENUM",
    "RANGE",
    "CLIENT",
];

/// The most extra words an `ERR` line can carry through a tokenizer with C's 32-word limit.
pub const MAX_ERR_EXTRA: usize = MAX_WORDS - 2;

#[cfg(feature = "arbitrary")]
fn arbitrary_extra(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Vec<Value>> {
    let count = u.int_in_range(0..=3)?;
    (0..count).map(|_| u.arbitrary()).collect()
}

/// Longest excerpt of a line quoted in an error message.
const EXCERPT_LEN: usize = 120;

/// A whole reply from upsd. A LIST reply, although it spans several lines, is one
/// [`Response::List`].
///
/// Names keep the spelling they were given, so a server can echo the client's spelling.
///
/// ```
/// use nut_proto::net::Response;
/// use nut_proto::names::{UpsName, VarName, Value};
///
/// let reply = Response::Var {
///     ups: UpsName::new("MyUPS").unwrap(),
///     var: VarName::new("ups.status").unwrap(),
///     value: Value::new("OL").unwrap(),
/// };
/// assert_eq!(reply.to_string(), "VAR MyUPS ups.status \"OL\"\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum Response {
    /// `OK`.
    Ok,
    /// `OK Goodbye`, the reply to LOGOUT.
    OkGoodbye,
    /// `OK STARTTLS`: the TLS handshake follows.
    OkStartTls,
    /// `OK PRIMARY-GRANTED`, the reply to PRIMARY.
    OkPrimaryGranted,
    /// `OK MASTER-GRANTED`, the reply to MASTER.
    OkMasterGranted,
    /// `OK FSD-SET`, the reply to FSD.
    OkFsdSet,
    /// `OK TRACKING <id>`: a SET VAR or INSTCMD was handed to the driver, and its outcome can
    /// be asked for with `GET TRACKING <id>`.
    OkTracking(TrackingId),
    /// `ERR <code> [<extra>...]`. C upsd never sends extra words; the protocol allows them.
    Err {
        /// The error code.
        code: ErrorCode,
        /// Extra words after the code. A reader with C's 32-word limit keeps at most
        /// [`MAX_ERR_EXTRA`] of them.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arbitrary_extra))]
        extra: Vec<Value>,
    },
    /// `VAR <ups> <var> "<value>"`, the reply to GET VAR.
    Var {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
        /// Its value.
        value: Value,
    },
    /// `TYPE <ups> <var> <flags>...`, the reply to GET TYPE.
    Type {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
        /// Its type.
        var_type: VarType,
    },
    /// `DESC <ups> <var> "<description>"`, the reply to GET DESC.
    Desc {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
        /// The description (`Description unavailable` when there is none).
        desc: Value,
    },
    /// `CMDDESC <ups> <cmd> "<description>"`, the reply to GET CMDDESC.
    CmdDesc {
        /// The UPS.
        ups: UpsName,
        /// The instant command.
        cmd: CmdName,
        /// The description (`Description unavailable` when there is none).
        desc: Value,
    },
    /// `UPSDESC <ups> "<description>"`, the reply to GET UPSDESC.
    UpsDesc {
        /// The UPS.
        ups: UpsName,
        /// The description from ups.conf (`Unavailable` when there is none).
        desc: Value,
    },
    /// `NUMLOGINS <ups> <count>`, the reply to GET NUMLOGINS.
    NumLogins {
        /// The UPS.
        ups: UpsName,
        /// How many sessions did LOGIN on it.
        count: u32,
    },
    /// `ON` or `OFF`: whether tracking is enabled (reply to `GET TRACKING`).
    TrackingEnabled(bool),
    /// `PENDING`: the tracked command has not completed yet.
    Pending,
    /// `SUCCESS`: the tracked command completed.
    Success,
    /// Free text: the reply to VER, HELP, NETVER and PROTVER.
    Text(Text),
    /// A whole LIST reply.
    List(ListReply),
}

impl Response {
    /// Writes the line of [`Response::Var`] (`VAR <ups> <var> "<value>"` and its line feed)
    /// from borrowed parts, for a server that answers GET VAR without building a `Response`.
    ///
    /// ```
    /// use nut_proto::names::{UpsName, VarName};
    /// use nut_proto::net::Response;
    ///
    /// let (ups, var) = (UpsName::new("ups").unwrap(), VarName::new("ups.id").unwrap());
    /// let mut line = String::new();
    /// Response::write_var(&mut line, &ups, &var, "a \"b\"").unwrap();
    /// assert_eq!(line, "VAR ups ups.id \"a \\\"b\\\"\"\n");
    /// ```
    pub fn write_var<W: fmt::Write + ?Sized>(
        w: &mut W,
        ups: &UpsName,
        var: &VarName,
        value: &str,
    ) -> fmt::Result {
        Self::write_var_words(w, ups.as_str(), var.as_str(), value)
    }

    /// [`Response::write_var`] from the words of the request, for a server that answers
    /// GET VAR without making names of them. `ups` and `var` must be valid names (checked
    /// with [`UpsName::validate`] and [`VarName::validate`]): they are written as they are.
    ///
    /// ```
    /// use nut_proto::names::{UpsName, VarName};
    /// use nut_proto::net::Response;
    ///
    /// assert!(UpsName::validate("ups").is_ok() && VarName::validate("ups.id").is_ok());
    /// let mut line = String::new();
    /// Response::write_var_words(&mut line, "ups", "ups.id", "a#b").unwrap();
    /// assert_eq!(line, "VAR ups ups.id \"a\\#b\"\n");
    /// ```
    pub fn write_var_words<W: fmt::Write + ?Sized>(
        w: &mut W,
        ups: &str,
        var: &str,
        value: &str,
    ) -> fmt::Result {
        // Piece by piece rather than `writeln!`: this is the reply to nearly every request
        // a busy server answers.
        w.write_str("VAR ")?;
        w.write_str(ups)?;
        w.write_char(' ')?;
        w.write_str(var)?;
        w.write_char(' ')?;
        quote(value).write_to(w)?;
        w.write_char('\n')
    }

    /// `ERR <code>` without extra words.
    pub fn err(code: ErrorCode) -> Self {
        Self::Err {
            code,
            extra: Vec::new(),
        }
    }

    /// The error code, if this is an `ERR` reply.
    pub fn error_code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Err { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Writes the reply as C upsd sends it; every line ends in LF.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        match self {
            Self::Ok => w.write_str("OK\n"),
            Self::OkGoodbye => w.write_str("OK Goodbye\n"),
            Self::OkStartTls => w.write_str("OK STARTTLS\n"),
            Self::OkPrimaryGranted => w.write_str("OK PRIMARY-GRANTED\n"),
            Self::OkMasterGranted => w.write_str("OK MASTER-GRANTED\n"),
            Self::OkFsdSet => w.write_str("OK FSD-SET\n"),
            Self::OkTracking(id) => writeln!(w, "OK TRACKING {}", Word(id.as_str())),
            Self::Err { code, extra } => {
                write!(w, "ERR {}", Word(code.as_str()))?;
                for word in extra {
                    write!(w, " {}", Word(word.as_str()))?;
                }
                w.write_str("\n")
            }
            Self::Var { ups, var, value } => Self::write_var(w, ups, var, value.as_str()),
            Self::Type { ups, var, var_type } => writeln!(w, "TYPE {ups} {var}{var_type}"),
            Self::Desc { ups, var, desc } => {
                writeln!(w, "DESC {ups} {var} {}", quote(desc.as_str()))
            }
            Self::CmdDesc { ups, cmd, desc } => {
                writeln!(w, "CMDDESC {ups} {cmd} {}", quote(desc.as_str()))
            }
            Self::UpsDesc { ups, desc } => {
                writeln!(w, "UPSDESC {ups} {}", quote(desc.as_str()))
            }
            Self::NumLogins { ups, count } => writeln!(w, "NUMLOGINS {ups} {count}"),
            Self::TrackingEnabled(true) => w.write_str("ON\n"),
            Self::TrackingEnabled(false) => w.write_str("OFF\n"),
            Self::Pending => w.write_str("PENDING\n"),
            Self::Success => w.write_str("SUCCESS\n"),
            Self::Text(text) => writeln!(w, "{text}"),
            Self::List(list) => list.write_to(w),
        }
    }

    /// The reply as C upsd sends it (see [`write_to`](Self::write_to)).
    pub fn encode(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Response {
    /// The wire form, every line ending in LF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// The type of a variable, as in `TYPE <ups> <var> [RW] [ENUM] [RANGE] STRING:<n>|NUMBER`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct VarType {
    /// `RW`: the variable can be SET.
    pub rw: bool,
    /// `ENUM`: it has a list of accepted values (LIST ENUM).
    pub enumerated: bool,
    /// `RANGE`: it has ranges of accepted values (LIST RANGE).
    pub range: bool,
    /// `STRING:<n>` or `NUMBER`; C upsd 2.8 always sends one, older servers may not.
    pub kind: Option<VarKind>,
}

/// Whether a variable holds a string or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum VarKind {
    /// `STRING:<n>`: a string of at most `max_len` bytes (the driver's aux value; `0` when
    /// the driver set none).
    String {
        /// The maximum length.
        max_len: i64,
    },
    /// `NUMBER`: an integer or decimal number.
    Number,
}

impl VarType {
    /// Reads the flag words after `TYPE <ups> <var>`. Like C's upsrw, flags are matched
    /// without regard to case and unknown flags are ignored.
    fn from_flags(flags: &[String]) -> Result<Self, &'static str> {
        let mut var_type = Self::default();
        for flag in flags {
            let upper = flag.to_ascii_uppercase();
            match upper.as_str() {
                "RW" => var_type.rw = true,
                "ENUM" => var_type.enumerated = true,
                "RANGE" => var_type.range = true,
                "NUMBER" => var_type.kind = Some(VarKind::Number),
                _ => {
                    if let Some(len) = upper.strip_prefix("STRING:") {
                        let max_len = len.parse().map_err(|_| "STRING length is not a number")?;
                        var_type.kind = Some(VarKind::String { max_len });
                    }
                }
            }
        }
        Ok(var_type)
    }
}

impl fmt::Display for VarType {
    /// The flags, each preceded by a space, in C upsd's order: ` RW ENUM STRING:32`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rw {
            f.write_str(" RW")?;
        }
        if self.enumerated {
            f.write_str(" ENUM")?;
        }
        if self.range {
            f.write_str(" RANGE")?;
        }
        match self.kind {
            Some(VarKind::String { max_len }) => write!(f, " STRING:{max_len}"),
            Some(VarKind::Number) => f.write_str(" NUMBER"),
            None => Ok(()),
        }
    }
}

/// A free-text reply line (VER, HELP, NETVER, PROTVER), kept exactly as sent.
///
/// It holds printable ASCII (0x20–0x7F), is not blank, and its first word is not a reply
/// keyword (`OK`, `ERR`, `VAR`, `BEGIN`, …), so that it cannot be mistaken for another reply.
///
/// ```
/// use nut_proto::net::Text;
///
/// assert!(Text::new("Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/").is_ok());
/// assert!(Text::new("1.3").is_ok());
/// assert!(Text::new("OK then").is_err());
/// assert!(Text::new("  ").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(Box<str>);

impl Text {
    /// Validates and wraps `text`.
    pub fn new(text: impl Into<String>) -> Result<Self, ResponseError> {
        let text = text.into();
        let malformed = |reason| ResponseError::Malformed {
            line: excerpt(text.as_bytes()),
            reason,
        };
        if !text.bytes().all(|b| (0x20..=0x7f).contains(&b)) {
            return Err(malformed("text reply holds a byte outside 0x20-0x7F"));
        }
        match first_word(text.as_bytes()) {
            None => Err(malformed("text reply is blank")),
            Some(word) if is_reply_keyword(&word) => {
                Err(malformed("text reply starts with a reply keyword"))
            }
            Some(_) => Ok(Self(text.into_boxed_str())),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl TryFrom<&str> for Text {
    type Error = ResponseError;
    fn try_from(s: &str) -> Result<Self, ResponseError> {
        Self::new(s)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Text {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        // A leading `x` keeps the first word from being blank or a keyword.
        let rest = <Value as arbitrary::Arbitrary<'a>>::arbitrary(u)?;
        Self::new(format!("x{rest}")).map_err(|_| arbitrary::Error::IncorrectFormat)
    }
}

/// Why a reply line could not be decoded, or did not fit where it came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The line holds no word.
    #[error("empty reply line")]
    Empty,
    /// A reply keyword starts the line but the rest could not be tokenized.
    #[error("reply line {line:?} could not be tokenized: {source}")]
    Tokenize {
        /// The start of the line.
        line: String,
        /// The tokenizer's error.
        source: TokenizeError,
    },
    /// A reply keyword starts the line but the rest does not fit it.
    #[error("malformed reply line {line:?}: {reason}")]
    Malformed {
        /// The start of the line.
        line: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A list item (other than `VAR`) outside a list.
    #[error("list item {line:?} outside a list")]
    StrayItem {
        /// The start of the line.
        line: String,
    },
    /// `END LIST` outside a list.
    #[error("{line:?} without BEGIN LIST")]
    StrayEnd {
        /// The start of the line.
        line: String,
    },
    /// A line that is neither an item of the open list nor its `END LIST`.
    #[error("unexpected line {line:?} inside LIST {query}")]
    UnexpectedInList {
        /// The open list's query.
        query: ListQuery,
        /// The start of the line.
        line: String,
    },
    /// An item of another kind, UPS or variable than the open list.
    #[error("item {line:?} does not belong to LIST {query}")]
    ItemMismatch {
        /// The open list's query.
        query: ListQuery,
        /// The start of the line.
        line: String,
    },
    /// `END LIST` echoing another query than `BEGIN LIST` did.
    #[error("{line:?} does not close LIST {query}")]
    EndMismatch {
        /// The open list's query.
        query: ListQuery,
        /// The start of the line.
        line: String,
    },
    /// The list grew beyond the assembler's limit.
    #[error("LIST {query} has more than {limit} items")]
    TooManyItems {
        /// The open list's query.
        query: ListQuery,
        /// The limit in force.
        limit: usize,
    },
    /// A line grew beyond the codec's limit without a line feed.
    #[error("reply line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
}

/// One line of a reply: a whole single-line reply, or a piece of a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyLine {
    /// A complete one-line reply (never [`Response::List`]).
    Single(Response),
    /// `BEGIN LIST <query>`.
    Begin(ListQuery),
    /// An item line. A `VAR` line always decodes as an item; outside a list it is the
    /// reply to GET VAR.
    Item(ListItem),
    /// `END LIST <query>`.
    End(ListQuery),
}

impl ReplyLine {
    /// Decodes one line (up to its first LF, if any), as C's libupsclient reads it.
    ///
    /// ```
    /// use nut_proto::net::{ReplyLine, Response, ErrorCode};
    ///
    /// assert_eq!(ReplyLine::decode(b"ERR UNKNOWN-UPS\n").unwrap(),
    ///            ReplyLine::Single(Response::err(ErrorCode::UnknownUps)));
    /// assert!(matches!(ReplyLine::decode(b"1.3\n").unwrap(),
    ///                  ReplyLine::Single(Response::Text(t)) if t.as_str() == "1.3"));
    /// ```
    pub fn decode(line: &[u8]) -> Result<Self, ResponseError> {
        let line = match line.iter().position(|&b| b == b'\n') {
            Some(end) => &line[..end],
            None => line,
        };
        let tokenized = tokenize_line(line);
        let first = match &tokenized {
            Ok(tokens) => tokens.words.first().cloned(),
            Err(_) => first_word(line),
        };
        let Some(first) = first else {
            return Err(ResponseError::Empty);
        };
        let keyword = first.to_ascii_uppercase();
        if !REPLY_KEYWORDS.contains(&keyword.as_str()) {
            let text = line.strip_suffix(b"\r").unwrap_or(line);
            let text = String::from_utf8(text.to_vec()).map_err(|_| ResponseError::Malformed {
                line: excerpt(line),
                reason: "text reply holds a byte outside 0x20-0x7F",
            })?;
            return Text::new(text).map(|t| Self::Single(Response::Text(t)));
        }
        let words = match tokenized {
            Ok(tokens) => tokens.words,
            Err(source) => {
                return Err(ResponseError::Tokenize {
                    line: excerpt(line),
                    source,
                })
            }
        };
        decode_words(&keyword, &words).map_err(|reason| ResponseError::Malformed {
            line: excerpt(line),
            reason,
        })
    }

    /// Writes the line as C upsd sends it, ending in LF.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        match self {
            Self::Single(response) => response.write_to(w),
            Self::Begin(query) => writeln!(w, "BEGIN LIST {query}"),
            Self::Item(item) => writeln!(w, "{item}"),
            Self::End(query) => writeln!(w, "END LIST {query}"),
        }
    }
}

impl fmt::Display for ReplyLine {
    /// The wire form, ending in LF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// Decodes the words of a line whose first word is the reply keyword `keyword` (upper case).
fn decode_words(keyword: &str, words: &[String]) -> Result<ReplyLine, &'static str> {
    fn ups(word: &str) -> Result<UpsName, &'static str> {
        UpsName::new(word).map_err(|_| "invalid UPS name")
    }
    fn var(word: &str) -> Result<VarName, &'static str> {
        VarName::new(word).map_err(|_| "invalid variable name")
    }
    fn value(word: &str) -> Result<Value, &'static str> {
        Value::new(word).map_err(|_| "invalid value")
    }
    let single = |response| Ok(ReplyLine::Single(response));
    match (keyword, words) {
        ("OK", [_]) => single(Response::Ok),
        ("OK", [_, what]) => match what.to_ascii_uppercase().as_str() {
            "GOODBYE" => single(Response::OkGoodbye),
            "STARTTLS" => single(Response::OkStartTls),
            "PRIMARY-GRANTED" => single(Response::OkPrimaryGranted),
            "MASTER-GRANTED" => single(Response::OkMasterGranted),
            "FSD-SET" => single(Response::OkFsdSet),
            _ => Err("unknown OK reply"),
        },
        ("OK", [_, tracking, id]) if tracking.eq_ignore_ascii_case("TRACKING") => {
            let id = TrackingId::new(id.as_str()).map_err(|_| "invalid tracking id")?;
            single(Response::OkTracking(id))
        }
        ("OK", _) => Err("unknown OK reply"),
        ("ERR", [_, code, extra @ ..]) => single(Response::Err {
            code: ErrorCode::from(code.as_str()),
            extra: extra.iter().map(|w| value(w)).collect::<Result<_, _>>()?,
        }),
        ("ERR", _) => Err("ERR without a code"),
        ("TYPE", [_, u, v, flags @ ..]) => single(Response::Type {
            ups: ups(u)?,
            var: var(v)?,
            var_type: VarType::from_flags(flags)?,
        }),
        ("DESC", [_, u, v, desc]) => single(Response::Desc {
            ups: ups(u)?,
            var: var(v)?,
            desc: value(desc)?,
        }),
        ("CMDDESC", [_, u, c, desc]) => single(Response::CmdDesc {
            ups: ups(u)?,
            cmd: CmdName::new(c.as_str()).map_err(|_| "invalid command name")?,
            desc: value(desc)?,
        }),
        ("UPSDESC", [_, u, desc]) => single(Response::UpsDesc {
            ups: ups(u)?,
            desc: value(desc)?,
        }),
        ("NUMLOGINS", [_, u, count]) => single(Response::NumLogins {
            ups: ups(u)?,
            count: count.parse().map_err(|_| "login count is not a number")?,
        }),
        ("ON", [_]) => single(Response::TrackingEnabled(true)),
        ("OFF", [_]) => single(Response::TrackingEnabled(false)),
        ("PENDING", [_]) => single(Response::Pending),
        ("SUCCESS", [_]) => single(Response::Success),
        ("BEGIN" | "END", [_, list, query @ ..]) if list.eq_ignore_ascii_case("LIST") => {
            let query = ListQuery::from_echo(query)?;
            Ok(if keyword == "BEGIN" {
                ReplyLine::Begin(query)
            } else {
                ReplyLine::End(query)
            })
        }
        ("BEGIN" | "END", _) => Err("expected LIST after BEGIN or END"),
        ("UPS" | "VAR" | "RW" | "CMD" | "ENUM" | "RANGE" | "CLIENT", _) => {
            ListItem::from_words(keyword, words).map(ReplyLine::Item)
        }
        _ => Err("wrong number of words"),
    }
}

fn is_reply_keyword(word: &str) -> bool {
    REPLY_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// The first word of a line, as the tokenizer sees it. When the tokenizer rejects the line
/// (an unescaped `#` inside quotes), the words before the first `#` are used.
fn first_word(line: &[u8]) -> Option<String> {
    match tokenize_line(line) {
        Ok(tokens) => tokens.words.into_iter().next(),
        Err(_) => {
            let cut = line.iter().position(|&b| b == b'#').unwrap_or(line.len());
            let prefix = line.get(..cut).unwrap_or_default();
            tokenize_line(prefix).ok()?.words.into_iter().next()
        }
    }
}

/// The start of a line, for error messages.
pub(crate) fn excerpt(line: &[u8]) -> String {
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    let line = line.get(..end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut text = String::from_utf8_lossy(line).into_owned();
    if text.len() > EXCERPT_LEN {
        let mut cut = EXCERPT_LEN;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(line: &str) -> Response {
        match ReplyLine::decode(line.as_bytes()) {
            Ok(ReplyLine::Single(response)) => response,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn malformed(line: &str) -> &'static str {
        match ReplyLine::decode(line.as_bytes()) {
            Err(ResponseError::Malformed { reason, .. }) => reason,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    #[test]
    fn type_flags() {
        let t = |line: &str| match single(line) {
            Response::Type { var_type, .. } => var_type,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            t("TYPE u v RW STRING:32"),
            VarType {
                rw: true,
                kind: Some(VarKind::String { max_len: 32 }),
                ..VarType::default()
            }
        );
        assert_eq!(
            t("TYPE u v rw enum range number"),
            VarType {
                rw: true,
                enumerated: true,
                range: true,
                kind: Some(VarKind::Number),
            }
        );
        // Older servers: no kind; unknown flags are ignored as upsrw does.
        assert_eq!(
            t("TYPE u v ENUM FUTURE"),
            VarType {
                enumerated: true,
                ..VarType::default()
            }
        );
        assert_eq!(
            malformed("TYPE u v STRING:x"),
            "STRING length is not a number"
        );
        assert_eq!(malformed("TYPE u"), "wrong number of words");
    }

    #[test]
    fn text_classification() {
        assert!(matches!(single("Commands: HELP VER"), Response::Text(_)));
        // A quoted keyword is still a keyword once tokenized.
        assert_eq!(single("\"OK\""), Response::Ok);
        // `#` inside quotes: a keyword line is a tokenizer error, other lines are text.
        assert!(matches!(
            ReplyLine::decode(b"VAR u v \"a#b\""),
            Err(ResponseError::Tokenize { .. })
        ));
        assert_eq!(
            single("say \"a#b\"\r"),
            Response::Text(Text::new("say \"a#b\"").unwrap())
        );
        assert_eq!(
            ReplyLine::decode(b"  # only a comment\n"),
            Err(ResponseError::Empty)
        );
        assert_eq!(ReplyLine::decode(b""), Err(ResponseError::Empty));
        assert_eq!(
            malformed("Caf\u{e9}"),
            "text reply holds a byte outside 0x20-0x7F"
        );
        assert!(Text::new("x\"OK").is_ok());
        assert!(Text::new("ok").is_err());
        assert!(Text::new("#").is_err());
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "é".repeat(200);
        let e = excerpt(long.as_bytes());
        assert!(e.len() <= EXCERPT_LEN + '…'.len_utf8());
        assert!(e.ends_with('…'));
        assert_eq!(excerpt(b"short"), "short");
        assert_eq!(excerpt(b"line\r\nnext"), "line");
    }
}
