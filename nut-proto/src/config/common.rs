//! Helpers shared by the configuration parsers and writers: C's number rules, the line loop,
//! and how a word is written back.

use std::fmt;

use super::error::{Diag, WarningKind};
use crate::tokenizer::{file_lines, quote, Line};

/// Splits a file into its logical lines; lines the tokenizer rejects and what it dropped
/// become warnings.
pub(crate) fn logical_lines(text: &[u8], diag: &mut Diag) -> Vec<Line> {
    let mut out = Vec::new();
    for item in file_lines(text) {
        match item {
            Ok(line) => {
                diag.dropped(line.line_no, &line.dropped);
                out.push(line);
            }
            Err(err) => diag.tokenize_error(&err),
        }
    }
    out
}

/// What C's `strtol(s, NULL, 10)` (and so `atoi`) makes of `s`: leading white space and a
/// sign are accepted, digits are read until the first other character, and a value out of
/// range saturates. The flag tells whether `s` was exactly a number (no white space, at
/// least one digit, nothing after the digits, no overflow).
pub(crate) fn c_strtol(s: &str) -> (i64, bool) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while bytes.get(i).is_some_and(|&b| is_c_space(b)) {
        i += 1;
    }
    let mut clean = i == 0;
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut value: i64 = 0;
    let mut overflow = false;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        let digit = i64::from(b - b'0');
        match value.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(digit)
            } else {
                v.checked_add(digit)
            }
        }) {
            Some(v) => value = v,
            None => {
                overflow = true;
                value = if negative { i64::MIN } else { i64::MAX };
            }
        }
        i += 1;
    }
    if i == start {
        // No digits: strtol reads nothing and returns 0.
        return (0, false);
    }
    clean &= i == bytes.len() && !overflow;
    (value, clean)
}

/// C's `isspace` in the "C" locale.
pub(crate) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// NUT's `str_to_int`: white space around the number is trimmed, then the whole text must be
/// one decimal integer (with an optional sign) that fits an `int`.
pub(crate) fn c_str_to_int(s: &str) -> Option<i32> {
    let trimmed = s.trim_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    let (value, clean) = c_strtol(trimmed);
    if !clean {
        return None;
    }
    i32::try_from(value).ok()
}

/// Whether the first byte of `s` is a decimal digit (C's `isdigit(arg[0])` test).
pub(crate) fn starts_with_digit(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// upsd's `parse_boolean`: `true`/`on`/`yes`/`1` or `false`/`off`/`no`/`0`, any case.
pub(crate) fn c_parse_boolean(s: &str) -> Option<bool> {
    const TRUE: [&str; 4] = ["true", "on", "yes", "1"];
    const FALSE: [&str; 4] = ["false", "off", "no", "0"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(s)) {
        Some(true)
    } else if FALSE.iter().any(|t| t.eq_ignore_ascii_case(s)) {
        Some(false)
    } else {
        None
    }
}

impl Diag {
    /// A number read the way C's `atoi` reads it, as an `i32`. Text that is not a clean
    /// number gives the value C would use plus a warning; a value that does not fit an `int`
    /// is refused (C's result would be meaningless).
    pub(crate) fn atoi(&mut self, line: usize, keyword: &str, text: &str) -> Option<i32> {
        let (value, clean) = c_strtol(text);
        let Ok(value) = i32::try_from(value) else {
            self.warn(
                line,
                WarningKind::BadValue,
                format!("{keyword}: value {text} is out of range; ignored"),
            );
            return None;
        };
        if !clean {
            self.warn(
                line,
                WarningKind::NotANumber,
                format!("{keyword}: \"{text}\" is not a number; C NUT reads it as {value}"),
            );
        }
        Some(value)
    }

    /// Like [`atoi`](Self::atoi), for settings that must not be negative: a negative value
    /// is ignored with C's message `Ignoring invalid <keyword> value: <n>`.
    pub(crate) fn atoi_unsigned(&mut self, line: usize, keyword: &str, text: &str) -> Option<u32> {
        let value = self.atoi(line, keyword, text)?;
        match u32::try_from(value) {
            Ok(v) => Some(v),
            Err(_) => {
                self.warn(
                    line,
                    WarningKind::BadValue,
                    format!("Ignoring invalid {keyword} value: {value}"),
                );
                None
            }
        }
    }

    /// Sorts the warnings by line (stable), since tokenizer warnings are found first.
    pub(crate) fn sorted(mut self) -> Vec<super::ConfigWarning> {
        self.warnings.sort_by_key(|w| w.line);
        self.warnings
    }
}

/// Writes `s` as one configuration word: bare when that reads back the same, quoted (with
/// `\`, `"` and `#` escaped) otherwise.
pub(crate) fn word(s: &str) -> Word<'_> {
    Word(s)
}

/// See [`word`].
pub(crate) struct Word<'a>(&'a str);

/// Whether `s` can be written without quotes.
pub(crate) fn is_bare_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| matches!(b, b'!'..=b'~') && !matches!(b, b'"' | b'\\' | b'#' | b'='))
}

impl fmt::Display for Word<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_bare_word(self.0) {
            f.write_str(self.0)
        } else {
            fmt::Display::fmt(&quote(self.0), f)
        }
    }
}

/// Appends `key value` (or just `key`) as one line.
pub(crate) fn push_line(out: &mut String, words: &[&str]) {
    use fmt::Write as _;
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if *w == "=" {
            out.push('=');
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "{}", word(w));
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::tokenize_line;

    #[test]
    fn strtol_like_c() {
        assert_eq!(c_strtol("15"), (15, true));
        assert_eq!(c_strtol("-3"), (-3, true));
        assert_eq!(c_strtol("+7"), (7, true));
        assert_eq!(c_strtol("5x"), (5, false));
        assert_eq!(c_strtol("abc"), (0, false));
        assert_eq!(c_strtol(""), (0, false));
        assert_eq!(c_strtol("-"), (0, false));
        assert_eq!(c_strtol(" 42"), (42, false));
        assert_eq!(c_strtol("99999999999999999999"), (i64::MAX, false));
        assert_eq!(c_strtol("-99999999999999999999"), (i64::MIN, false));
    }

    #[test]
    fn str_to_int_is_strict() {
        assert_eq!(c_str_to_int("3"), Some(3));
        assert_eq!(c_str_to_int(" 3 "), Some(3));
        assert_eq!(c_str_to_int("-1"), Some(-1));
        assert_eq!(c_str_to_int("3x"), None);
        assert_eq!(c_str_to_int(""), None);
        assert_eq!(c_str_to_int("2147483648"), None);
    }

    #[test]
    fn booleans() {
        assert_eq!(c_parse_boolean("YES"), Some(true));
        assert_eq!(c_parse_boolean("Off"), Some(false));
        assert_eq!(c_parse_boolean("maybe"), None);
        assert!(starts_with_digit("5x") && !starts_with_digit("-5") && !starts_with_digit(""));
    }

    #[test]
    fn atoi_warnings() {
        let mut diag = Diag::new("f");
        assert_eq!(diag.atoi(1, "POLLFREQ", "abc"), Some(0));
        assert_eq!(diag.atoi(2, "POLLFREQ", "7"), Some(7));
        assert_eq!(diag.atoi(3, "POLLFREQ", "3000000000"), None);
        assert_eq!(diag.atoi_unsigned(4, "POLLFREQ", "-3"), None);
        let msgs: Vec<_> = diag.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "f:1: POLLFREQ: \"abc\" is not a number; C NUT reads it as 0",
                "f:3: POLLFREQ: value 3000000000 is out of range; ignored",
                "f:4: Ignoring invalid POLLFREQ value: -3",
            ]
        );
    }

    #[test]
    fn words_read_back() {
        for s in [
            "plain",
            "",
            "two words",
            "a=b",
            "#x",
            "q\"uote",
            "back\\slash",
            "[x]",
            "=",
        ] {
            let mut line = String::new();
            push_line(&mut line, &["k", s]);
            assert_eq!(
                tokenize_line(line.as_bytes()).unwrap().words,
                ["k", s],
                "{line}"
            );
        }
        assert_eq!(word("plain").to_string(), "plain");
        assert_eq!(word("a b").to_string(), "\"a b\"");
        assert_eq!(word("x#y").to_string(), "\"x\\#y\"");
    }
}
