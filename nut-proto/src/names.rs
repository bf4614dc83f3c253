//! Validated names: UPS names, variable names, command names, and values.
//!
//! NUT writes names bare on the wire (`VAR myups ups.status "OL"`), so a name must be a word
//! that tokenizes back to itself: non-empty, at most [`MAX_WORD_LEN`] bytes, printable ASCII
//! without spaces and without the bytes the tokenizer treats specially (`"` `\` `#` `=`).
//! Once a name is built, encoding it cannot fail.
//!
//! Names compare, hash and sort **case-insensitively** (ASCII), as C NUT matches them, while
//! [`as_str`](UpsName::as_str) keeps the spelling they were made with: a server finds
//! `MyUPS` under `myups` and still echoes the client's `MyUPS`.
//!
//! ```
//! use nut_proto::names::{UpsName, VarName};
//!
//! let a = UpsName::try_from("MyUPS").unwrap();
//! let b = UpsName::try_from("myups").unwrap();
//! assert_eq!(a, b);
//! assert_eq!(a.as_str(), "MyUPS");
//! assert!(VarName::try_from("ups status").is_err());
//! ```

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use ref_cast::RefCast;

use crate::tokenizer::MAX_WORD_LEN;

/// Why a string is not a valid name or value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    #[error("{kind} is empty")]
    Empty {
        /// What was being validated ("UPS name", "variable name", …).
        kind: &'static str,
    },
    /// The name is longer than [`MAX_WORD_LEN`] bytes.
    #[error("{kind} is longer than {MAX_WORD_LEN} bytes")]
    TooLong {
        /// What was being validated.
        kind: &'static str,
    },
    /// The name holds a character it may not hold.
    #[error("{kind} {value:?} contains the invalid character {ch:?}")]
    InvalidChar {
        /// What was being validated.
        kind: &'static str,
        /// The rejected input.
        value: String,
        /// The first offending character.
        ch: char,
    },
}

/// Whether `c` may appear in a bare name on the wire.
pub fn is_name_char(c: char) -> bool {
    matches!(c, '!'..='~') && !matches!(c, '"' | '\\' | '#' | '=')
}

fn validate_name(kind: &'static str, s: &str) -> Result<(), NameError> {
    if s.is_empty() {
        return Err(NameError::Empty { kind });
    }
    if s.len() > MAX_WORD_LEN {
        return Err(NameError::TooLong { kind });
    }
    // Names are ASCII: check bytes, and decode characters only to name a bad one.
    let name_byte = |b: u8| (b'!'..=b'~').contains(&b) && !matches!(b, b'"' | b'\\' | b'#' | b'=');
    if s.bytes().all(name_byte) {
        return Ok(());
    }
    if let Some(ch) = s.chars().find(|&c| !is_name_char(c)) {
        return Err(NameError::InvalidChar {
            kind,
            value: s.to_owned(),
            ch,
        });
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        ///
        /// Equality, hashing and ordering ignore ASCII case; [`Display`](fmt::Display) and
        /// `as_str` keep the original spelling.
        #[derive(Clone)]
        pub struct $name(Box<str>);

        impl $name {
            /// What this type names, for error messages.
            pub const KIND: &'static str = $kind;

            /// Validates and wraps `name`.
            pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
                let name = name.into();
                validate_name(Self::KIND, &name)?;
                Ok(Self(name.into_boxed_str()))
            }

            /// Checks `name` as [`new`](Self::new) does, without making a name of it.
            pub fn validate(name: &str) -> Result<(), NameError> {
                validate_name(Self::KIND, name)
            }

            /// The name as it was spelled when it was made.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name in ASCII lower case (for canonical lookups and file names).
            pub fn to_lowercase(&self) -> String {
                self.0.to_ascii_lowercase()
            }

            /// Whether this name equals `other`, ignoring ASCII case.
            pub fn matches(&self, other: &str) -> bool {
                self.0.eq_ignore_ascii_case(other)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = NameError;
            fn try_from(s: &str) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl std::str::FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<CaseInsensitive> for $name {
            fn borrow(&self) -> &CaseInsensitive {
                CaseInsensitive::new(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.eq_ignore_ascii_case(&other.0)
            }
        }

        impl Eq for $name {}

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0.eq_ignore_ascii_case(other)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0.eq_ignore_ascii_case(other)
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                CaseInsensitive::new(&self.0).hash(state)
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                CaseInsensitive::new(&self.0).cmp(CaseInsensitive::new(&other.0))
            }
        }

        #[cfg(feature = "arbitrary")]
        impl<'a> arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                arbitrary_name(u).map(|s| Self(s.into_boxed_str()))
            }
        }
    };
}

name_type!(
    /// The name of a device (a `[section]` of ups.conf), as in `upsc myups@host`.
    UpsName,
    "UPS name"
);
name_type!(
    /// The name of a device variable, such as `ups.status` or `battery.charge`.
    VarName,
    "variable name"
);
name_type!(
    /// The name of an instant command, such as `test.battery.start`.
    CmdName,
    "command name"
);

/// A borrowed string that compares, hashes and sorts ignoring ASCII case.
///
/// The names borrow as this type, so a map keyed by [`UpsName`] can be searched with any
/// `&str`: `map.get(CaseInsensitive::new("MYUPS"))`.
#[derive(Debug, RefCast)]
#[repr(transparent)]
pub struct CaseInsensitive(str);

impl CaseInsensitive {
    /// Wraps a string slice.
    pub fn new(s: &str) -> &Self {
        Self::ref_cast(s)
    }

    /// The wrapped string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for CaseInsensitive {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for CaseInsensitive {}

impl Hash for CaseInsensitive {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Lower-cased a chunk at a time: one `write` per chunk, not one per byte (the
        // server hashes the UPS name of every request).
        let mut chunk = [0u8; 64];
        for part in self.0.as_bytes().chunks(chunk.len()) {
            let lower = &mut chunk[..part.len()];
            lower.copy_from_slice(part);
            lower.make_ascii_lowercase();
            state.write(lower);
        }
        state.write_u8(0xff);
    }
}

impl PartialOrd for CaseInsensitive {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CaseInsensitive {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        for (x, y) in a.iter().zip(b) {
            let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
            if x != y {
                return x.cmp(&y);
            }
        }
        a.len().cmp(&b.len())
    }
}

/// A value as it travels on the wire: printable ASCII (0x20–0x7F) of at most
/// [`MAX_WORD_LEN`] bytes, which is exactly what the tokenizer can produce. Encoded quoted,
/// so spaces, quotes and backslashes are fine.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Value(Box<str>);

impl Value {
    /// What this type names, for error messages.
    pub const KIND: &'static str = "value";

    /// Validates and wraps `value`.
    pub fn new(value: impl Into<String>) -> Result<Self, NameError> {
        let value = value.into();
        if value.len() > MAX_WORD_LEN {
            return Err(NameError::TooLong { kind: Self::KIND });
        }
        if let Some(ch) = value.chars().find(|&c| !is_value_char(c)) {
            return Err(NameError::InvalidChar {
                kind: Self::KIND,
                value,
                ch,
            });
        }
        Ok(Self(value.into_boxed_str()))
    }

    /// Makes a value from any string, dropping the characters a value may not hold and
    /// cutting it to [`MAX_WORD_LEN`] bytes — what C NUT does to such a string on the wire.
    pub fn lossy(value: &str) -> Self {
        let mut s: String = value.chars().filter(|&c| is_value_char(c)).collect();
        s.truncate(MAX_WORD_LEN);
        Self(s.into_boxed_str())
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `c` may appear in a [`Value`].
pub fn is_value_char(c: char) -> bool {
    matches!(c, ' '..='\x7f')
}

impl TryFrom<&str> for Value {
    type Error = NameError;
    fn try_from(s: &str) -> Result<Self, NameError> {
        Self::new(s)
    }
}

impl TryFrom<String> for Value {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        Self::new(s)
    }
}

impl std::str::FromStr for Value {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        Self::new(s)
    }
}

impl AsRef<str> for Value {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Value {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.int_in_range(0..=24)?;
        let mut s = String::with_capacity(len);
        for _ in 0..len {
            s.push(char::from(u.int_in_range(0x20u8..=0x7f)?));
        }
        Ok(Self(s.into_boxed_str()))
    }
}

/// The id of a tracked `SET VAR` or `INSTCMD`: `OK TRACKING <id>` and `GET TRACKING <id>` on
/// the network, `INSTCMD … TRACKING <id>` and `TRACKING <id> <code>` on the driver socket.
///
/// C upsd makes ids from UUIDs (`2DDC5036-F665-4D29-BE4C-0374D091D263`), but accepts any word
/// in `GET TRACKING <id>` (and answers `ERR UNKNOWN` for one it does not know), so this type
/// holds any word the tokenizer can produce: printable ASCII (0x20–0x7F) of at most
/// [`MAX_WORD_LEN`] bytes, possibly empty. Like C's lookup, equality, hashing and ordering
/// ignore ASCII case.
///
/// ```
/// use nut_proto::names::TrackingId;
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

/// An arbitrary valid name, biased towards realistic characters.
#[cfg(feature = "arbitrary")]
pub(crate) fn arbitrary_name(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<String> {
    let len = u.int_in_range(1..=16)?;
    let mut s = String::with_capacity(len);
    for _ in 0..len {
        let mut c = char::from(u.int_in_range(0x21u8..=0x7e)?);
        if !is_name_char(c) {
            c = '.';
        }
        s.push(c);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::tokenize_line;
    use std::collections::{BTreeSet, HashMap};

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

    #[test]
    fn validation() {
        assert!(UpsName::try_from("ups-1_a.b@x:2").is_ok());
        assert_eq!(
            UpsName::try_from(""),
            Err(NameError::Empty { kind: "UPS name" })
        );
        for bad in ["a b", "a\"b", "a\\b", "a#b", "a=b", "é", "a\tb", "a\x7f"] {
            assert!(VarName::try_from(bad).is_err(), "{bad:?}");
        }
        assert!(CmdName::try_from("x".repeat(512)).is_ok());
        assert!(CmdName::try_from("x".repeat(513)).is_err());
        assert!(Value::try_from("any \"thing\" \\ # = \x7f").is_ok());
        assert!(Value::try_from("").is_ok());
        assert!(Value::try_from("a\nb").is_err());
        assert_eq!(Value::lossy("a\nb\u{e9}").as_str(), "ab");
    }

    #[test]
    fn every_valid_name_is_one_word() {
        let all: String = (0x21u8..=0x7e)
            .map(char::from)
            .filter(|&c| is_name_char(c))
            .collect();
        let name = VarName::try_from(all.as_str()).unwrap();
        assert_eq!(
            tokenize_line(name.as_str().as_bytes()).unwrap().words,
            [all]
        );
    }

    #[test]
    fn case_insensitive_but_spelling_kept() {
        let a = VarName::try_from("UPS.Status").unwrap();
        let b = VarName::try_from("ups.status").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "UPS.Status");
        let mut map = HashMap::new();
        map.insert(b, 1);
        assert_eq!(map.get(&a), Some(&1));
        assert_eq!(map.get(CaseInsensitive::new("UPS.STATUS")), Some(&1));
        let set: BTreeSet<_> = ["b", "A", "c", "B_"]
            .into_iter()
            .map(|s| VarName::try_from(s).unwrap())
            .collect();
        let order: Vec<_> = set.iter().map(VarName::as_str).collect();
        assert_eq!(order, ["A", "b", "B_", "c"]);
    }

    #[test]
    fn case_insensitive_hash_and_order_span_long_names() {
        use std::hash::{BuildHasher, RandomState};
        let long: String = (0..150).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let upper = long.to_ascii_uppercase();
        let hasher = RandomState::new();
        let hash = |s: &str| hasher.hash_one(CaseInsensitive::new(s));
        assert_eq!(hash(&long), hash(&upper));
        assert_ne!(hash(&long), hash(&long[..149]));
        assert_ne!(hash(&long[..64]), hash(&long[..65]));
        let ci = CaseInsensitive::new;
        assert_eq!(ci(&long).cmp(ci(&upper)), Ordering::Equal);
        assert_eq!(ci("ab").cmp(ci("ABC")), Ordering::Less);
        assert_eq!(ci("B").cmp(ci("a")), Ordering::Greater);
        assert_eq!(ci("a_").cmp(ci("A")), Ordering::Greater);
        assert_eq!(ci("").cmp(ci("")), Ordering::Equal);
    }
}
