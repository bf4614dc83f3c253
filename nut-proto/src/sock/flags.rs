//! The flags of a variable, as sent by `SETFLAGS <var> <flag>...`.

use std::fmt;

use crate::names::Value;

use super::words::bare_or_quoted;

/// One flag word of `SETFLAGS`.
///
/// C NUT knows three (matched ignoring case); any other word is kept as [`Flag::Other`] so
/// that a message can be relayed or logged unchanged (C upsd ignores such words with a debug
/// message).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flag {
    /// `RW`: the variable is writable with `SET VAR`.
    Rw,
    /// `STRING`: the variable is a string; its maximum length is the `SETAUX` value.
    String,
    /// `NUMBER`: the variable is numeric (drivers add it with every `ADDRANGE`).
    Number,
    /// A word C NUT does not know. Never `rw`, `string` or `number` in any case when built by
    /// [`Flag::parse`].
    Other(Value),
}

impl Flag {
    /// The flag for one word: the three known ones ignoring case, anything else as `Other`.
    pub fn parse(word: Value) -> Self {
        let known = [
            ("RW", Self::Rw),
            ("STRING", Self::String),
            ("NUMBER", Self::Number),
        ];
        for (keyword, flag) in known {
            if word.as_str().eq_ignore_ascii_case(keyword) {
                return flag;
            }
        }
        Self::Other(word)
    }
}

impl fmt::Display for Flag {
    /// Writes the flag as one word: the known ones in upper case as C writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rw => f.write_str("RW"),
            Self::String => f.write_str("STRING"),
            Self::Number => f.write_str("NUMBER"),
            Self::Other(word) => bare_or_quoted(word.as_str()).fmt(f),
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Flag {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0..=3u8)? {
            0 => Self::Rw,
            1 => Self::String,
            2 => Self::Number,
            _ => Self::parse(Value::arbitrary(u)?),
        })
    }
}

/// The flags of `SETFLAGS`, in the order they came in (or will be written).
///
/// C drivers always write them as `RW`, `STRING`, `NUMBER` in that order, leaving out those
/// not set; [`Flags::new`] builds that form. A message with no flag at all (`SETFLAGS var`)
/// means "no flags": C drivers send it when they clear the last flag.
///
/// ```
/// use nut_proto::sock::{Flag, Flags};
///
/// let flags = Flags::new(true, true, false);
/// assert_eq!(flags.to_string(), "RW STRING");
/// assert!(flags.is_rw() && flags.is_string() && !flags.is_number());
/// assert!(flags.contains(&Flag::Rw));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Flags(Vec<Flag>);

impl Flags {
    /// The flags as a C driver writes them: `RW`, `STRING`, `NUMBER`, those that are set.
    pub fn new(rw: bool, string: bool, number: bool) -> Self {
        let mut list = Vec::with_capacity(3);
        for (set, flag) in [
            (rw, Flag::Rw),
            (string, Flag::String),
            (number, Flag::Number),
        ] {
            if set {
                list.push(flag);
            }
        }
        Self(list)
    }

    /// No flags.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The flags in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Flag> {
        self.0.iter()
    }

    /// The flags as a slice.
    pub fn as_slice(&self) -> &[Flag] {
        &self.0
    }

    /// The number of flag words.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no flag.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `flag` is among them.
    pub fn contains(&self, flag: &Flag) -> bool {
        self.0.contains(flag)
    }

    /// Whether `RW` is set.
    pub fn is_rw(&self) -> bool {
        self.contains(&Flag::Rw)
    }

    /// Whether `STRING` is set.
    pub fn is_string(&self) -> bool {
        self.contains(&Flag::String)
    }

    /// Whether `NUMBER` is set.
    pub fn is_number(&self) -> bool {
        self.contains(&Flag::Number)
    }

    /// The words C NUT does not know, in order.
    pub fn unknown(&self) -> impl Iterator<Item = &Value> + '_ {
        self.0.iter().filter_map(|flag| match flag {
            Flag::Other(word) => Some(word),
            _ => None,
        })
    }

    /// Appends a flag (kept even if already present, as the wire allows).
    pub fn push(&mut self, flag: Flag) {
        self.0.push(flag);
    }
}

impl From<Vec<Flag>> for Flags {
    fn from(list: Vec<Flag>) -> Self {
        Self(list)
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Flags {
    type Item = &'a Flag;
    type IntoIter = std::slice::Iter<'a, Flag>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Flags {
    /// Writes the flag words separated by single spaces (nothing for no flags).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, flag) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            flag.fmt(f)?;
        }
        Ok(())
    }
}

/// A `SETFLAGS` line holds at most this many flags: the tokenizer keeps 32 words, two of which
/// are `SETFLAGS` and the variable name. Further flags are lost on the way.
pub const MAX_FLAGS: usize = crate::tokenizer::MAX_WORDS - 2;

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Flags {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.int_in_range(0..=6usize)?;
        (0..len).map(|_| Flag::arbitrary(u)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> Value {
        Value::new(s).unwrap()
    }

    #[test]
    fn known_flags_ignore_case() {
        assert_eq!(Flag::parse(value("rw")), Flag::Rw);
        assert_eq!(Flag::parse(value("String")), Flag::String);
        assert_eq!(Flag::parse(value("NUMBER")), Flag::Number);
        assert_eq!(
            Flag::parse(value("IMMUTABLE")),
            Flag::Other(value("IMMUTABLE"))
        );
    }

    #[test]
    fn c_order_and_display() {
        assert_eq!(Flags::new(true, true, true).to_string(), "RW STRING NUMBER");
        assert_eq!(Flags::new(false, false, true).to_string(), "NUMBER");
        assert_eq!(Flags::new(false, false, false).to_string(), "");
        assert!(Flags::new(false, false, false).is_empty());
        let odd: Flags = vec![
            Flag::Number,
            Flag::Other(value("a b")),
            Flag::Rw,
            Flag::Other(value("X")),
        ]
        .into();
        assert_eq!(odd.to_string(), "NUMBER \"a b\" RW X");
        assert!(odd.is_rw() && odd.is_number() && !odd.is_string());
        let unknown: Vec<_> = odd.unknown().map(Value::as_str).collect();
        assert_eq!(unknown, ["a b", "X"]);
        assert_eq!(odd.len(), 4);
    }
}
