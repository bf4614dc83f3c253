//! The line tokenizer shared by the network protocol, the driver socket protocol and every
//! configuration file.
//!
//! NUT splits every line it reads into words with one small state machine. This module
//! reproduces its rules exactly:
//!
//! * a line ends at LF; every other whitespace byte (space, tab, CR, VT, FF) separates words;
//! * `"…"` makes one word that may hold spaces; `""` is an empty word; a quote in the middle of
//!   an unquoted word is an ordinary character;
//! * a backslash makes the next byte literal, inside and outside quotes; a backslash before LF
//!   continues the logical line on the next physical line;
//! * `#` outside quotes ends the current word and starts a comment that runs to the end of the
//!   line; an unescaped `#` inside quotes is an error ([`TokenizeError::HashInQuotes`]);
//! * outside quotes, `=` is always a word of its own (`a=b` is three words);
//! * a quote left open at the end of a physical line continues onto the next one;
//! * bytes below 0x20 and above 0x7F that would become part of a word are dropped;
//! * a line keeps at most [`Limits::max_words`] words (later ones are dropped) and a word at most
//!   [`Limits::max_word_len`] bytes (the rest is dropped).
//!
//! On top of C's rules the streaming [`Tokenizer`] enforces a hard maximum on the raw length of
//! one logical line ([`Limits::max_line_len`]), so that a peer that never sends a newline cannot
//! make it work forever on one line.
//!
//! Because only bytes from 0x20 to 0x7F ever reach a word, every word is ASCII and therefore a
//! valid `String`.
//!
//! ```
//! use nut_proto::tokenizer::{tokenize_line, Tokenizer};
//!
//! assert_eq!(tokenize_line(br#"SET VAR ups ups.id "a \"b\"""#).unwrap().words,
//!            ["SET", "VAR", "ups", "ups.id", "a \"b\""]);
//!
//! // Streaming: feed bytes as they arrive, in any chunks.
//! let mut tok = Tokenizer::new();
//! let mut input: &[u8] = b"GET VAR ups ups.sta";
//! assert!(tok.feed(&mut input).is_none());
//! let mut input: &[u8] = b"tus\nLIST UPS\n";
//! let line = tok.feed(&mut input).unwrap().unwrap();
//! assert_eq!(line.words, ["GET", "VAR", "ups", "ups.status"]);
//! assert_eq!(input, b"LIST UPS\n");
//! ```

use std::fmt;

/// C NUT's limit on the number of words in one line (`PCONF_DEFAULT_ARG_LIMIT`).
pub const MAX_WORDS: usize = 32;
/// C NUT's limit on the length of one word in bytes (`PCONF_DEFAULT_WORDLEN_LIMIT`).
pub const MAX_WORD_LEN: usize = 512;
/// The default hard limit on the raw length of one logical line, in bytes.
///
/// C NUT has no such limit (it truncates words and drops extra ones, so its memory stays
/// bounded, but it keeps reading). 64 KiB is far more than any legitimate line: 32 words of
/// 512 bytes, each fully escaped, stay well below it.
pub const DEFAULT_MAX_LINE_LEN: usize = 64 * 1024;

/// Limits applied while tokenizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Words kept per line; later words are dropped. `0` means no limit.
    pub max_words: usize,
    /// Bytes kept per word; later bytes are dropped. `0` means no limit.
    pub max_word_len: usize,
    /// Raw bytes one logical line may take before it is rejected. `0` means no limit.
    pub max_line_len: usize,
}

impl Limits {
    /// C NUT's limits plus the default hard line length.
    pub const fn c_compatible() -> Self {
        Self {
            max_words: MAX_WORDS,
            max_word_len: MAX_WORD_LEN,
            max_line_len: DEFAULT_MAX_LINE_LEN,
        }
    }

    /// Sets the hard maximum raw line length (`0`: unlimited).
    pub const fn with_max_line_len(mut self, max_line_len: usize) -> Self {
        self.max_line_len = max_line_len;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::c_compatible()
    }
}

/// One logical line split into words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// The words, in order. Empty for a blank or comment-only line.
    pub words: Vec<String>,
    /// The physical line number (1-based) on which this logical line started.
    pub line_no: usize,
    /// What the tokenizer had to drop to fit C NUT's rules.
    pub dropped: Dropped,
}

/// What the tokenizer dropped from a line. C NUT drops these silently; callers may warn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dropped {
    /// Bytes outside 0x20–0x7F that were removed from words.
    pub invalid_bytes: usize,
    /// Words cut to [`Limits::max_word_len`].
    pub truncated_words: usize,
    /// Words dropped beyond [`Limits::max_words`].
    pub extra_words: usize,
}

impl Dropped {
    /// Whether nothing was dropped.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A line the tokenizer rejected. The rest of that line is skipped; the next line starts clean.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenizeError {
    /// An unescaped `#` inside a quoted word (C: "Unbalanced word due to unescaped # in quotes").
    #[error("unbalanced word due to unescaped # in quotes (line {line_no})")]
    HashInQuotes {
        /// Physical line (1-based) on which the logical line started.
        line_no: usize,
    },
    /// The logical line exceeded [`Limits::max_line_len`] bytes.
    #[error("line {line_no} is longer than {limit} bytes")]
    LineTooLong {
        /// Physical line (1-based) on which the logical line started.
        line_no: usize,
        /// The limit in force.
        limit: usize,
    },
}

impl TokenizeError {
    /// The physical line (1-based) on which the rejected logical line started.
    pub fn line_no(&self) -> usize {
        match self {
            Self::HashInQuotes { line_no } | Self::LineTooLong { line_no, .. } => *line_no,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between words.
    FindWordStart,
    /// Inside a comment, until LF.
    Comment,
    /// Inside a quoted word.
    Quoted,
    /// After a backslash inside a quoted word.
    QuotedLiteral,
    /// Inside an unquoted word.
    Word,
    /// After a backslash outside quotes.
    WordLiteral,
    /// Skipping the rest of a rejected line, until LF.
    Discard,
}

/// A streaming tokenizer: feed it bytes in chunks of any size, get complete lines back.
///
/// It never allocates more than the limits allow: at most `max_words` words of at most
/// `max_word_len` bytes are kept for a line, however long the line is.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    limits: Limits,
    state: State,
    word: String,
    words: Vec<String>,
    dropped: Dropped,
    word_truncated: bool,
    /// Raw bytes consumed for the current logical line.
    line_len: usize,
    /// Physical line number of the next byte.
    physical_line: usize,
    /// Physical line number at which the current logical line started.
    line_start: usize,
    /// Error to report once the rejected line has been skipped.
    pending_error: Option<TokenizeError>,
    /// Whether anything at all has been seen for the current line (for `finish`).
    dirty: bool,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Tokenizer {
    /// A tokenizer with C NUT's limits ([`Limits::c_compatible`]).
    pub fn new() -> Self {
        Self::with_limits(Limits::c_compatible())
    }

    /// A tokenizer with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            limits,
            state: State::FindWordStart,
            word: String::new(),
            words: Vec::new(),
            dropped: Dropped::default(),
            word_truncated: false,
            line_len: 0,
            physical_line: 1,
            line_start: 1,
            pending_error: None,
            dirty: false,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether a line is partly read: bytes were fed since the last complete line.
    pub fn is_mid_line(&self) -> bool {
        self.dirty
    }

    /// Consumes bytes from the front of `input` until one line is complete, and returns it.
    ///
    /// `input` is advanced past the consumed bytes. `None` means every byte was consumed and
    /// the line is still incomplete: feed more. A rejected line is reported as an error once
    /// its end (LF) has been consumed, so the caller can go on with the next line.
    pub fn feed(&mut self, input: &mut &[u8]) -> Option<Result<Line, TokenizeError>> {
        let mut consumed = 0;
        let mut result = None;
        for &byte in input.iter() {
            consumed += 1;
            if let Some(done) = self.push(byte) {
                result = Some(done);
                break;
            }
        }
        *input = &input[consumed..];
        result
    }

    /// A fast path for the common request line, without allocating: when no line is in
    /// progress and `input` begins with a complete line of plain words (printable ASCII
    /// without `"`, `\`, `#` or `=`, separated by blanks) that fits the limits and `words`,
    /// stores its words (borrowed from `input`) in `words`, advances `input` past the LF and
    /// returns how many there are: exactly the words [`feed`](Self::feed) would return, with
    /// nothing dropped. Otherwise returns `None` and consumes nothing: use `feed`.
    pub fn feed_plain<'a>(&mut self, input: &mut &'a [u8], words: &mut [&'a str]) -> Option<usize> {
        if self.dirty {
            return None;
        }
        let data: &'a [u8] = input;
        let end = data.iter().position(|&b| b == b'\n')?;
        if self.limits.max_line_len != 0 && end + 1 > self.limits.max_line_len {
            return None;
        }
        let max_words = match self.limits.max_words {
            0 => words.len(),
            n => n.min(words.len()),
        };
        let mut count = 0;
        let mut start = None;
        for (i, &b) in data[..=end].iter().enumerate() {
            if is_space(b) || b == b'\n' {
                if let Some(from) = start.take() {
                    if count == max_words
                        || (self.limits.max_word_len != 0 && i - from > self.limits.max_word_len)
                    {
                        return None;
                    }
                    // Printable ASCII only: always UTF-8.
                    words[count] = std::str::from_utf8(&data[from..i]).ok()?;
                    count += 1;
                }
            } else if (0x21..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'#' | b'=') {
                start.get_or_insert(i);
            } else {
                return None;
            }
        }
        self.physical_line += 1;
        *input = &data[end + 1..];
        Some(count)
    }

    /// Ends the input: returns the last line if it was not terminated by LF.
    ///
    /// (C NUT's file reader loses a last line that holds a single word and no newline; this
    /// returns it.) Returns `None` when nothing is pending.
    pub fn finish(&mut self) -> Option<Result<Line, TokenizeError>> {
        if !self.dirty {
            return None;
        }
        match self.state {
            State::Discard => {
                let err = self.pending_error.take();
                self.reset_line();
                err.map(Err)
            }
            State::Word
            | State::WordLiteral
            | State::Quoted
            | State::QuotedLiteral
            | State::FindWordStart
            | State::Comment => {
                // As in C: a word still being built is kept only if it has characters.
                if !self.word.is_empty() || self.word_truncated {
                    self.end_word();
                }
                if self.words.is_empty() {
                    self.reset_line();
                    None
                } else {
                    Some(Ok(self.take_line()))
                }
            }
        }
    }

    /// Pushes one byte; returns a result when this byte completed a line.
    pub fn push(&mut self, byte: u8) -> Option<Result<Line, TokenizeError>> {
        if !self.dirty {
            self.dirty = true;
            self.line_start = self.physical_line;
        }
        if byte == b'\n' {
            self.physical_line += 1;
        }
        if self.state != State::Discard {
            self.line_len += 1;
            if self.limits.max_line_len != 0 && self.line_len > self.limits.max_line_len {
                return self.reject(
                    byte,
                    TokenizeError::LineTooLong {
                        line_no: self.line_start,
                        limit: self.limits.max_line_len,
                    },
                );
            }
        }
        match self.state {
            State::FindWordStart => self.find_word_start(byte),
            State::Comment => {
                if byte == b'\n' {
                    return Some(Ok(self.take_line()));
                }
            }
            State::Quoted => match byte {
                b'#' => {
                    self.end_word();
                    return self.reject(
                        byte,
                        TokenizeError::HashInQuotes {
                            line_no: self.line_start,
                        },
                    );
                }
                b'"' => {
                    self.end_word();
                    self.state = State::FindWordStart;
                }
                b'\\' => self.state = State::QuotedLiteral,
                _ => self.add_byte(byte),
            },
            State::QuotedLiteral => {
                // Backslash-LF continues the quoted word on the next line.
                if byte != b'\n' {
                    self.add_byte(byte);
                }
                self.state = State::Quoted;
            }
            State::Word => match byte {
                b'#' => {
                    self.end_word();
                    self.state = State::Comment;
                }
                b'\n' => {
                    self.end_word();
                    return Some(Ok(self.take_line()));
                }
                b'=' => {
                    self.end_word();
                    self.state = State::FindWordStart;
                    self.find_word_start(byte);
                }
                b'\\' => self.state = State::WordLiteral,
                _ if is_space(byte) => {
                    self.end_word();
                    self.state = State::FindWordStart;
                }
                _ => self.add_byte(byte),
            },
            State::WordLiteral => {
                if byte != b'\n' {
                    self.add_byte(byte);
                }
                self.state = State::Word;
            }
            State::Discard => {
                if byte == b'\n' {
                    let err = self.pending_error.take();
                    self.reset_line();
                    return err.map(Err);
                }
            }
        }
        if self.state == State::FindWordStart && byte == b'\n' {
            return Some(Ok(self.take_line()));
        }
        None
    }

    fn find_word_start(&mut self, byte: u8) {
        match byte {
            b'\n' => {} // the caller completes the line
            b'#' => self.state = State::Comment,
            b'\\' => self.state = State::WordLiteral,
            b'"' => self.state = State::Quoted,
            b'=' => {
                self.add_byte(byte);
                self.end_word();
            }
            _ if is_space(byte) => {}
            _ => {
                self.add_byte(byte);
                self.state = State::Word;
            }
        }
    }

    fn add_byte(&mut self, byte: u8) {
        if !(0x20..=0x7f).contains(&byte) {
            self.dropped.invalid_bytes += 1;
            return;
        }
        if self.limits.max_word_len != 0 && self.word.len() >= self.limits.max_word_len {
            self.word_truncated = true;
            return;
        }
        self.word.push(char::from(byte));
    }

    fn end_word(&mut self) {
        if self.word_truncated {
            self.dropped.truncated_words += 1;
            self.word_truncated = false;
        }
        if self.limits.max_words != 0 && self.words.len() >= self.limits.max_words {
            self.dropped.extra_words += 1;
            self.word.clear();
            return;
        }
        self.words.push(std::mem::take(&mut self.word));
    }

    /// Rejects the current line. If `byte` (already counted) ended it, the error is returned
    /// now; otherwise the rest of the line is skipped first.
    fn reject(&mut self, byte: u8, err: TokenizeError) -> Option<Result<Line, TokenizeError>> {
        if byte == b'\n' {
            self.reset_line();
            return Some(Err(err));
        }
        self.words.clear();
        self.word.clear();
        self.pending_error = Some(err);
        self.state = State::Discard;
        None
    }

    fn take_line(&mut self) -> Line {
        let line = Line {
            words: std::mem::take(&mut self.words),
            line_no: self.line_start,
            dropped: self.dropped,
        };
        self.reset_line();
        line
    }

    fn reset_line(&mut self) {
        self.state = State::FindWordStart;
        self.word.clear();
        self.words.clear();
        self.dropped = Dropped::default();
        self.word_truncated = false;
        self.line_len = 0;
        self.pending_error = None;
        self.dirty = false;
    }
}

/// C's `isspace` in the "C" locale, minus LF (which ends the line).
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// Tokenizes one line (an LF, if any, ends it; the rest is ignored).
///
/// Uses C NUT's limits and no line-length limit.
pub fn tokenize_line(line: &[u8]) -> Result<Line, TokenizeError> {
    let mut tok = Tokenizer::with_limits(Limits::c_compatible().with_max_line_len(0));
    let mut input = line;
    match tok.feed(&mut input) {
        Some(result) => result,
        None => tok.finish().unwrap_or_else(|| Ok(Line::default())),
    }
}

/// Splits a whole file into its non-empty logical lines, each with its line number.
///
/// Blank and comment-only lines are skipped; rejected lines come as errors and do not stop
/// the iteration. No line-length limit applies (a file is read whole anyway).
///
/// ```
/// use nut_proto::tokenizer::file_lines;
///
/// let text = b"# ups.conf\n[myups]\n\tdriver = dummy-ups\n\tport = \"my file.dev\"\n";
/// let lines: Vec<_> = file_lines(text).map(|l| l.unwrap()).collect();
/// assert_eq!(lines[0].words, ["[myups]"]);
/// assert_eq!(lines[1].words, ["driver", "=", "dummy-ups"]);
/// assert_eq!(lines[2].words, ["port", "=", "my file.dev"]);
/// assert_eq!(lines[2].line_no, 4);
/// ```
pub fn file_lines(text: &[u8]) -> FileLines<'_> {
    FileLines {
        tok: Tokenizer::with_limits(Limits::c_compatible().with_max_line_len(0)),
        rest: text,
        done: false,
    }
}

/// Iterator over the logical lines of a file; see [`file_lines`].
#[derive(Debug, Clone)]
pub struct FileLines<'a> {
    tok: Tokenizer,
    rest: &'a [u8],
    done: bool,
}

impl Iterator for FileLines<'_> {
    type Item = Result<Line, TokenizeError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let item = match self.tok.feed(&mut self.rest) {
                Some(item) => item,
                None => {
                    self.done = true;
                    self.tok.finish()?
                }
            };
            match item {
                Ok(line) if line.words.is_empty() => continue,
                other => return Some(other),
            }
        }
        None
    }
}

/// Writes `value` as one quoted word: wrapped in double quotes, with `\`, `"` and `#` escaped
/// by a backslash.
///
/// This is how C NUT writes every value — on the network, on the driver socket and in
/// configuration files (`pconf_encode`). The result tokenizes back to `value` whenever `value`
/// holds only bytes 0x20–0x7F and is at most [`MAX_WORD_LEN`] bytes long.
pub fn quote(value: &str) -> Quoted<'_> {
    Quoted { value }
}

/// A value displayed as a quoted word; see [`quote`].
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a> {
    value: &'a str,
}

impl Quoted<'_> {
    /// Writes the quoted word straight to `w`, without the formatting machinery (the
    /// server quotes a value in every `VAR` reply).
    pub fn write_to<W: fmt::Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        w.write_char('"')?;
        let mut rest = self.value;
        while let Some(pos) = rest.find(['"', '\\', '#']) {
            w.write_str(&rest[..pos])?;
            w.write_char('\\')?;
            w.write_str(&rest[pos..=pos])?;
            rest = &rest[pos + 1..];
        }
        w.write_str(rest)?;
        w.write_char('"')
    }
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(input: &[u8]) -> Vec<String> {
        tokenize_line(input).unwrap().words
    }

    #[test]
    fn known_answers() {
        let cases: &[(&[u8], &[&str])] = &[
            (b"this is a line", &["this", "is", "a", "line"]),
            (
                b"this \"is also\" a line",
                &["this", "is also", "a", "line"],
            ),
            (b"embedded\\ space", &["embedded space"]),
            (b"embedded\\\\backslash", &["embedded\\backslash"]),
            (b"a=b", &["a", "=", "b"]),
            (b"a = b", &["a", "=", "b"]),
            (b"=a", &["=", "a"]),
            (b"a==b", &["a", "=", "=", "b"]),
            (b"\"a=b\"", &["a=b"]),
            (b"a\\=b", &["a=b"]),
            (b"foo#bar baz", &["foo"]),
            (b"foo #bar baz", &["foo"]),
            (b"\"a\\#b\"", &["a#b"]),
            (b"ab\"cd\"", &["ab\"cd\""]),
            (b"\"ab\"cd", &["ab", "cd"]),
            (b"\"\"", &[""]),
            (b"\"\" x", &["", "x"]),
            (b"x \"\"", &["x", ""]),
            (b"\"esc \\\"q\\\" \\\\\"", &["esc \"q\" \\"]),
            (b"  \t lead and trail \t ", &["lead", "and", "trail"]),
            (
                b"GET VAR ups ups.status\r",
                &["GET", "VAR", "ups", "ups.status"],
            ),
            (b"a\rb", &["a", "b"]),
            (b"", &[]),
            (b"   ", &[]),
            (b"# only a comment", &[]),
            (b"\r", &[]),
            (b"del\x7fkept", &["del\x7fkept"]),
            (b"ctl\x01\x1bdropped", &["ctldropped"]),
            (b"hi\xc3\xa9gh", &["high"]),
            (b"\"tab\tin quotes\"", &["tabin quotes"]),
            (b"\\", &[]),
            (b"\"", &[]),
            (b"a \\\"b", &["a", "\"b"]),
        ];
        for (input, expected) in cases {
            assert_eq!(
                words(input),
                *expected,
                "input {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn continuation_and_open_quotes_span_lines() {
        let mut lines = file_lines(b"a \\\n b\n\"open\nquote\" c\nx\\\ny\n");
        let l = lines.next().unwrap().unwrap();
        // A backslash before LF outside a word starts an (empty) word, as in C.
        assert_eq!(l.words, ["a", "", "b"]);
        assert_eq!(l.line_no, 1);
        let l = lines.next().unwrap().unwrap();
        assert_eq!(l.words, ["openquote", "c"]);
        assert_eq!(l.line_no, 3);
        let l = lines.next().unwrap().unwrap();
        assert_eq!(l.words, ["xy"]);
        assert_eq!(l.line_no, 5);
        assert!(lines.next().is_none());
    }

    #[test]
    fn hash_in_quotes_rejects_the_rest_of_the_line() {
        let mut lines = file_lines(b"one \"a#b\" two\nthree\n");
        assert_eq!(
            lines.next().unwrap(),
            Err(TokenizeError::HashInQuotes { line_no: 1 })
        );
        assert_eq!(lines.next().unwrap().unwrap().words, ["three"]);
        assert!(lines.next().is_none());
    }

    #[test]
    fn word_and_count_limits() {
        let long = "x".repeat(600);
        let line = tokenize_line(long.as_bytes()).unwrap();
        assert_eq!(line.words, ["x".repeat(512)]);
        assert_eq!(line.dropped.truncated_words, 1);

        let many: String = (0..40).map(|i| format!("w{i} ")).collect();
        let line = tokenize_line(many.as_bytes()).unwrap();
        assert_eq!(line.words.len(), 32);
        assert_eq!(line.words[31], "w31");
        assert_eq!(line.dropped.extra_words, 8);
    }

    #[test]
    fn line_length_limit_skips_to_newline_and_recovers() {
        let mut tok = Tokenizer::with_limits(Limits::c_compatible().with_max_line_len(10));
        let mut input: &[u8] = b"0123456789abcdef";
        assert!(tok.feed(&mut input).is_none());
        let mut input: &[u8] = b"ghij\nok\n";
        assert_eq!(
            tok.feed(&mut input),
            Some(Err(TokenizeError::LineTooLong {
                line_no: 1,
                limit: 10
            }))
        );
        assert_eq!(tok.feed(&mut input).unwrap().unwrap().words, ["ok"]);
        assert_eq!(tok.feed(&mut input), None);
    }

    #[test]
    fn exact_line_length_is_accepted() {
        let mut tok = Tokenizer::with_limits(Limits::c_compatible().with_max_line_len(4));
        let mut input: &[u8] = b"abc\n";
        assert_eq!(tok.feed(&mut input).unwrap().unwrap().words, ["abc"]);
    }

    #[test]
    fn chunking_does_not_matter() {
        let input: &[u8] =
            b"SET VAR ups x \"a \\\"b\\\"\"\r\n# c\nLIST UPS\n\"open\ncontinued\" y\n";
        let whole: Vec<_> = {
            let mut tok = Tokenizer::new();
            let mut rest = input;
            std::iter::from_fn(|| tok.feed(&mut rest)).collect()
        };
        assert_eq!(whole.len(), 4);
        for chunk in 1..input.len() {
            let mut tok = Tokenizer::new();
            let mut out = Vec::new();
            for piece in input.chunks(chunk) {
                let mut rest = piece;
                while let Some(line) = tok.feed(&mut rest) {
                    out.push(line);
                }
            }
            assert_eq!(out, whole, "chunk size {chunk}");
        }
    }

    #[test]
    fn last_line_without_newline_is_kept() {
        let lines: Vec<_> = file_lines(b"a b\nsingle").map(Result::unwrap).collect();
        assert_eq!(lines[1].words, ["single"]);
        assert_eq!(lines[1].line_no, 2);
        let lines: Vec<_> = file_lines(b"\"unterminated").map(Result::unwrap).collect();
        assert_eq!(lines[0].words, ["unterminated"]);
    }

    #[test]
    fn quoting_round_trips() {
        for value in [
            "",
            "plain",
            "with space",
            "q\"uote",
            "back\\slash",
            "=",
            "a=b",
            "\\\"",
        ] {
            let encoded = quote(value).to_string();
            assert_eq!(words(encoded.as_bytes()), [value], "{encoded}");
        }
        assert_eq!(quote("a\"b\\c").to_string(), r#""a\"b\\c""#);
        assert_eq!(quote("x#y").to_string(), "\"x\\#y\"");
        assert_eq!(words(quote("x#y").to_string().as_bytes()), ["x#y"]);
    }

    #[test]
    fn feed_plain_matches_feed() {
        let long_word = "w".repeat(MAX_WORD_LEN + 1);
        let many_words = "a ".repeat(MAX_WORDS + 1);
        let lines: Vec<Vec<u8>> = [
            "GET VAR ups ups.status",
            "GET VAR ups ups.status\r",
            "  \t lead and trail \t ",
            "",
            "   ",
            "a=b",
            "foo#bar",
            "\"q\" x",
            "back\\slash",
            "del\x7f",
            "ctl\x01x",
            "high\u{e9}",
            &long_word,
            &many_words,
        ]
        .iter()
        .map(|l| format!("{l}\n").into_bytes())
        .collect();
        for line in &lines {
            let mut stream = line.clone();
            stream.extend_from_slice(b"NEXT 1\n");
            let mut general = Tokenizer::new();
            let mut input = &stream[..];
            let expected = general.feed(&mut input).unwrap().unwrap();
            let mut fast = Tokenizer::new();
            let mut input = &stream[..];
            let mut buf = [""; 8];
            match fast.feed_plain(&mut input, &mut buf) {
                Some(n) => {
                    assert_eq!(buf[..n], expected.words, "{line:?}");
                    assert_eq!(expected.dropped, Dropped::default());
                }
                None => {
                    assert_eq!(input, &stream[..], "{line:?}");
                    fast.feed(&mut input).unwrap().unwrap();
                }
            }
            // The tokenizer goes on with the next line, counting lines the same.
            let next = fast.feed(&mut input).unwrap().unwrap();
            assert_eq!(next.words, ["NEXT", "1"]);
            assert_eq!(next.line_no, 2, "{line:?}");
        }
        // Mid-line: the fast path stays out.
        let mut tok = Tokenizer::new();
        let mut input = &b"GET V"[..];
        assert!(tok.feed(&mut input).is_none());
        let mut input = &b"AR u x\n"[..];
        assert_eq!(tok.feed_plain(&mut input, &mut [""; 8]), None);
        assert_eq!(
            tok.feed(&mut input).unwrap().unwrap().words,
            ["GET", "VAR", "u", "x"]
        );
    }
}
