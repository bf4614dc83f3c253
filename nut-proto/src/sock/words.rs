//! Small helpers shared by both directions: reading typed arguments out of a tokenized line,
//! and writing a free-form argument as one word.

use std::fmt;
use std::str::FromStr;

use crate::names::{CmdName, NameError, Value, VarName};
use crate::tokenizer::quote;

use super::error::ParseError;
use crate::names::TrackingId;

/// Writes `text` as exactly one word that tokenizes back to `text`.
///
/// When C NUT writes a free-form argument bare (an INSTCMD parameter, a PID), it escapes `\`,
/// `"` and `#` with a backslash and nothing else. That is kept here whenever it is correct:
/// for a non-empty text without spaces and without `=`. Anything else (which C would split
/// into several words) is written quoted instead.
pub(crate) fn bare_or_quoted(text: &str) -> BareOrQuoted<'_> {
    BareOrQuoted(text)
}

/// See [`bare_or_quoted`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct BareOrQuoted<'a>(&'a str);

impl fmt::Display for BareOrQuoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let bare_ok = !text.is_empty() && !text.contains([' ', '=']);
        if !bare_ok {
            return quote(text).fmt(f);
        }
        let mut rest = text;
        while let Some(pos) = rest.find(['\\', '"', '#']) {
            let (head, tail) = rest.split_at(pos);
            f.write_str(head)?;
            f.write_str("\\")?;
            let mut chars = tail.chars();
            if let Some(c) = chars.next() {
                fmt::Write::write_char(f, c)?;
            }
            rest = chars.as_str();
        }
        f.write_str(rest)
    }
}

/// The keyword of `keywords` that the first word names (ignoring case).
pub(crate) fn find_keyword(
    words: &[String],
    keywords: &[&'static str],
) -> Result<&'static str, ParseError> {
    let Some(keyword) = words.first() else {
        return Err(ParseError::Empty);
    };
    keywords
        .iter()
        .find(|k| keyword.eq_ignore_ascii_case(k))
        .copied()
        .ok_or_else(|| ParseError::UnknownCommand {
            command: keyword.clone(),
        })
}

/// The words of one line, with the command keyword they belong to, for typed access.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Args<'a> {
    command: &'static str,
    words: &'a [String],
}

impl<'a> Args<'a> {
    /// Wraps the words of a line whose first word is `command`. Checks that at least `min`
    /// words (the keyword included) are present, as C does before it looks at them.
    pub(crate) fn new(
        command: &'static str,
        words: &'a [String],
        min: usize,
    ) -> Result<Self, ParseError> {
        if words.len() < min {
            return Err(ParseError::MissingArguments {
                command,
                expected: min.saturating_sub(1),
                got: words.len().saturating_sub(1),
            });
        }
        Ok(Self { command, words })
    }

    /// The number of words, the keyword included.
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    /// The word at `index`, or the empty string past the end (callers check the count).
    pub(crate) fn word(&self, index: usize) -> &'a str {
        self.words.get(index).map_or("", String::as_str)
    }

    /// Whether the word at `index` is `keyword`, ignoring ASCII case (C's `strcasecmp`).
    pub(crate) fn is(&self, index: usize, keyword: &str) -> bool {
        self.words
            .get(index)
            .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
    }

    fn name_error(&self, source: NameError) -> ParseError {
        ParseError::InvalidArgument {
            command: self.command,
            source,
        }
    }

    /// The word at `index` as a variable name.
    pub(crate) fn var(&self, index: usize) -> Result<VarName, ParseError> {
        VarName::new(self.word(index)).map_err(|e| self.name_error(e))
    }

    /// The word at `index` as a command name.
    pub(crate) fn cmd(&self, index: usize) -> Result<CmdName, ParseError> {
        CmdName::new(self.word(index)).map_err(|e| self.name_error(e))
    }

    /// The word at `index` as a value.
    pub(crate) fn value(&self, index: usize) -> Result<Value, ParseError> {
        Value::new(self.word(index)).map_err(|e| self.name_error(e))
    }

    /// The word at `index` as a tracking id.
    pub(crate) fn tracking_id(&self, index: usize) -> Result<TrackingId, ParseError> {
        TrackingId::new(self.word(index)).map_err(|e| self.name_error(e))
    }

    /// The word at `index` as a decimal integer (optional sign, digits, nothing else).
    pub(crate) fn int<T: FromStr>(
        &self,
        index: usize,
        argument: &'static str,
    ) -> Result<T, ParseError> {
        let word = self.word(index);
        let digits = word.strip_prefix(['-', '+']).unwrap_or(word);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.bad_number(argument, word));
        }
        word.parse().map_err(|_| self.bad_number(argument, word))
    }

    fn bad_number(&self, argument: &'static str, word: &str) -> ParseError {
        ParseError::BadNumber {
            command: self.command,
            argument,
            value: word.to_owned(),
        }
    }

    /// A malformed-line error for this command.
    pub(crate) fn malformed(&self, reason: &'static str) -> ParseError {
        ParseError::Malformed {
            command: self.command,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::tokenize_line;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn bare_when_c_would_be_right_quoted_otherwise() {
        let cases = [
            ("10", "10"),
            ("a\"b", "a\\\"b"),
            ("back\\slash", "back\\\\slash"),
            ("#x", "\\#x"),
            ("\"", "\\\""),
            ("", "\"\""),
            ("a b", "\"a b\""),
            ("a=b", "\"a=b\""),
            ("q\"uo te#", "\"q\\\"uo te\\#\""),
        ];
        for (text, expected) in cases {
            let encoded = bare_or_quoted(text).to_string();
            assert_eq!(encoded, expected, "{text:?}");
            assert_eq!(
                tokenize_line(encoded.as_bytes()).unwrap().words,
                [text],
                "{encoded}"
            );
        }
    }

    #[test]
    fn every_value_char_round_trips_bare_or_quoted() {
        let all: String = (0x20u8..=0x7f).map(char::from).collect();
        for i in 0..all.len() {
            let text = &all[i..=i];
            let encoded = bare_or_quoted(text).to_string();
            assert_eq!(tokenize_line(encoded.as_bytes()).unwrap().words, [text]);
        }
        let encoded = bare_or_quoted(&all).to_string();
        assert_eq!(tokenize_line(encoded.as_bytes()).unwrap().words, [all]);
    }

    #[test]
    fn integers_are_strict() {
        let w = words("X 12 -7 +3 1x  99999999999 -");
        let args = Args::new("X", &w, 1).unwrap();
        assert_eq!(args.int::<i32>(1, "n").unwrap(), 12);
        assert_eq!(args.int::<i32>(2, "n").unwrap(), -7);
        assert_eq!(args.int::<i32>(3, "n").unwrap(), 3);
        for i in [4, 5, 6, 7, 8] {
            assert!(
                matches!(
                    args.int::<i32>(i, "n"),
                    Err(ParseError::BadNumber { argument: "n", .. })
                ),
                "word {i}"
            );
        }
        assert_eq!(args.int::<i64>(6, "n").unwrap(), 99_999_999_999);
    }

    #[test]
    fn arity_error_counts_arguments_not_keyword() {
        let w = words("SETINFO x");
        assert_eq!(
            Args::new("SETINFO", &w, 3).unwrap_err(),
            ParseError::MissingArguments {
                command: "SETINFO",
                expected: 2,
                got: 1
            }
        );
    }
}
