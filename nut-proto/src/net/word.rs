//! Free-form words on the wire: [`TrackingId`] and the rule for writing a word that may need
//! quotes.
//!
//! Names ([`UpsName`](crate::names::UpsName) and friends) are always written bare. Other
//! words — a user name, a password, an INSTCMD parameter, a tracking id, the extra words of
//! an `ERR` reply, a client address — are written bare when they look like a name (which is
//! what C's clients and upsd send for all real-world values) and quoted otherwise, so that
//! any word survives the trip: C's clients write them unquoted with `%s`, which breaks on a
//! space or a quote.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::names::{is_name_char, is_value_char, CaseInsensitive, NameError, Value};
use crate::tokenizer::{quote, MAX_WORD_LEN};

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

/// The id of a tracked `SET VAR` or `INSTCMD`, as in `OK TRACKING <id>` and
/// `GET TRACKING <id>`.
///
/// C upsd makes ids from UUIDs (`2DDC5036-F665-4D29-BE4C-0374D091D263`), but accepts any word
/// in `GET TRACKING <id>` (and answers `ERR UNKNOWN` for one it does not know), so this type
/// holds any word the tokenizer can produce: printable ASCII (0x20–0x7F) of at most
/// [`MAX_WORD_LEN`] bytes, possibly empty. Like C's lookup, equality, hashing and ordering
/// ignore ASCII case.
///
/// ```
/// use nut_proto::net::TrackingId;
///
/// let id = TrackingId::new("2ddc5036-f665-4d29-be4c-0374d091d263").unwrap();
/// assert_eq!(id, TrackingId::new("2DDC5036-F665-4D29-BE4C-0374D091D263").unwrap());
/// assert!(TrackingId::new("line\nbreak").is_err());
/// ```
#[derive(Clone)]
pub struct TrackingId(Box<str>);

impl TrackingId {
    /// What this type names, for error messages.
    pub const KIND: &'static str = "tracking id";

    /// Validates and wraps `id`.
    pub fn new(id: impl Into<String>) -> Result<Self, NameError> {
        let id = id.into();
        if id.len() > MAX_WORD_LEN {
            return Err(NameError::TooLong { kind: Self::KIND });
        }
        if let Some(ch) = id.chars().find(|&c| !is_value_char(c)) {
            return Err(NameError::InvalidChar {
                kind: Self::KIND,
                value: id,
                ch,
            });
        }
        Ok(Self(id.into_boxed_str()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for TrackingId {
    type Error = NameError;
    fn try_from(s: &str) -> Result<Self, NameError> {
        Self::new(s)
    }
}

impl std::str::FromStr for TrackingId {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        Self::new(s)
    }
}

impl AsRef<str> for TrackingId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq for TrackingId {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for TrackingId {}

impl Hash for TrackingId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        CaseInsensitive::new(&self.0).hash(state);
    }
}

impl PartialOrd for TrackingId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TrackingId {
    fn cmp(&self, other: &Self) -> Ordering {
        CaseInsensitive::new(&self.0).cmp(CaseInsensitive::new(&other.0))
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for TrackingId {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let value = <Value as arbitrary::Arbitrary<'a>>::arbitrary(u)?;
        Ok(Self(value.as_str().into()))
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

    #[test]
    fn tracking_ids() {
        assert!(TrackingId::new("").is_ok());
        assert!(TrackingId::new("x".repeat(512)).is_ok());
        assert_eq!(
            TrackingId::new("x".repeat(513)).unwrap_err(),
            NameError::TooLong {
                kind: "tracking id"
            }
        );
        assert!(TrackingId::new("tab\there").is_err());
        let a = TrackingId::new("abc-DEF").unwrap();
        assert_eq!(a, TrackingId::new("ABC-def").unwrap());
        assert_eq!(a.to_string(), "abc-DEF");
        assert_eq!(format!("{a:?}"), "\"abc-DEF\"");
    }
}
