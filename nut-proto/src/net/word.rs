//! Free-form words on the wire: the rule for writing a word that may need quotes.
//!
//! Names ([`UpsName`](crate::names::UpsName) and friends) are always written bare. Other
//! words — a user name, a password, an INSTCMD parameter, a tracking id, the extra words of
//! an `ERR` reply, a client address — are written bare when they look like a name (which is
//! what C's clients and upsd send for all real-world values) and quoted otherwise, so that
//! any word survives the trip: C's clients write them unquoted with `%s`, which breaks on a
//! space or a quote.

use std::fmt;

use crate::names::{is_name_char, is_value_char, Value};
use crate::tokenizer::quote;

/// Whether `s` can be written as a bare word that tokenizes back to itself.
pub(crate) fn is_bare(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_name_char)
}

/// Displays a word bare when [`is_bare`], otherwise quoted as C's `pconf_encode` does
/// (escaping `\`, `"` and `#`). Characters no word can hold (control bytes, non-ASCII) are
/// dropped, as the peer's tokenizer would drop them, so a word never breaks the line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Word<'a>(pub(crate) &'a str);

impl fmt::Display for Word<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.chars().all(is_value_char) {
            let clean = Value::lossy(self.0);
            return Word(clean.as_str()).fmt(f);
        }
        if is_bare(self.0) {
            f.write_str(self.0)
        } else {
            quote(self.0).fmt(f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::tokenize_line;

    #[test]
    fn words_are_bare_only_when_safe() {
        let cases = [
            ("monuser", "monuser"),
            ("120", "120"),
            ("", "\"\""),
            ("two words", "\"two words\""),
            ("a=b", "\"a=b\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("back\\slash", "\"back\\\\slash\""),
            ("hash#", "\"hash\\#\""),
            ("del\x7f", "\"del\x7f\""),
        ];
        for (word, wire) in cases {
            let encoded = Word(word).to_string();
            assert_eq!(encoded, wire);
            assert_eq!(tokenize_line(encoded.as_bytes()).unwrap().words, [word]);
        }
        // Unvalidated text (ErrorCode::Other) cannot break the line.
        assert_eq!(Word("A\nB").to_string(), "AB");
        assert_eq!(Word("\n").to_string(), "\"\"");
        assert_eq!(Word("x y\u{e9}").to_string(), "\"x y\"");
    }
}
