//! Tracking of SET and INSTCMD requests: the id upsd attaches to a request, and the result
//! code the driver sends back for it.

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::names::{is_name_char, CaseInsensitive, NameError};
use crate::tokenizer::MAX_WORD_LEN;

/// The id of a tracked request, as in `INSTCMD load.off TRACKING <id>` and
/// `TRACKING <id> 0`.
///
/// C upsd makes these as upper-case UUIDs (`2DDC5036-F665-4D29-BE4C-0374D091D263`), but any
/// bare word is accepted. Ids compare and hash ignoring ASCII case, as C upsd matches them,
/// and keep their spelling.
///
/// ```
/// use nut_proto::sock::TrackingId;
///
/// let id = TrackingId::new("1bd31808-cb49-4aec-9d75-d056e6f018d2").unwrap();
/// assert_eq!(id, TrackingId::new("1BD31808-CB49-4AEC-9D75-D056E6F018D2").unwrap());
/// assert!(TrackingId::new("two words").is_err());
/// ```
#[derive(Clone)]
pub struct TrackingId(Box<str>);

impl TrackingId {
    /// What this type names, for error messages.
    pub const KIND: &'static str = "tracking id";

    /// Validates and wraps `id`: a non-empty bare word (the characters a name may hold).
    pub fn new(id: impl Into<String>) -> Result<Self, NameError> {
        let id = id.into();
        if id.is_empty() {
            return Err(NameError::Empty { kind: Self::KIND });
        }
        if id.len() > MAX_WORD_LEN {
            return Err(NameError::TooLong { kind: Self::KIND });
        }
        if let Some(ch) = id.chars().find(|&c| !is_name_char(c)) {
            return Err(NameError::InvalidChar {
                kind: Self::KIND,
                value: id,
                ch,
            });
        }
        Ok(Self(id.into_boxed_str()))
    }

    /// The id as it was spelled.
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

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for TrackingId {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        crate::names::arbitrary_name(u).map(|s| Self(s.into_boxed_str()))
    }
}

/// The result a driver reports for a tracked request: `TRACKING <id> <code>`.
///
/// The codes are the return values of a driver's `instcmd`/`setvar` handlers. upsd turns them
/// into the answer of the network protocol's `GET TRACKING <id>` ([`net_reply`]).
///
/// [`net_reply`]: Self::net_reply
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrackingStatus {
    /// `0`: done successfully.
    Handled,
    /// `1`: an unspecified error; also what drivers answer for a command or variable they do
    /// not know.
    Unknown,
    /// `2`: the command or value is invalid (not writable, out of range, …).
    Invalid,
    /// `3`: the device refused or the request failed.
    Failed,
    /// `4`: the value could not be converted (added in NUT 2.8.1).
    ConversionFailed,
    /// Any other code. Never built for 0–4 by [`from_code`](Self::from_code).
    Other(i32),
}

impl TrackingStatus {
    /// The status for a numeric code; codes 0–4 map to the named variants.
    pub fn from_code(code: i32) -> Self {
        match code {
            0 => Self::Handled,
            1 => Self::Unknown,
            2 => Self::Invalid,
            3 => Self::Failed,
            4 => Self::ConversionFailed,
            other => Self::Other(other),
        }
    }

    /// The numeric code written on the socket.
    pub fn code(self) -> i32 {
        match self {
            Self::Handled => 0,
            Self::Unknown => 1,
            Self::Invalid => 2,
            Self::Failed => 3,
            Self::ConversionFailed => 4,
            Self::Other(code) => code,
        }
    }

    /// Whether the request succeeded.
    pub fn is_success(self) -> bool {
        self == Self::Handled
    }

    /// What upsd answers to `GET TRACKING <id>` once this result has arrived: `SUCCESS`,
    /// `ERR UNKNOWN`, `ERR INVALID-ARGUMENT` or `ERR FAILED`.
    ///
    /// Codes 2 and 4 both give `ERR INVALID-ARGUMENT`, as in NUT 2.8.1 and later (upsd 2.8.0,
    /// which predates code 4, answers `ERR UNKNOWN` for it). Any other code gives
    /// `ERR UNKNOWN` (upsd 2.8.0 answers `PENDING` for `-1`, which leaves the client waiting
    /// for a result that will never change).
    pub fn net_reply(self) -> &'static str {
        match self {
            Self::Handled => "SUCCESS",
            Self::Invalid | Self::ConversionFailed => "ERR INVALID-ARGUMENT",
            Self::Failed => "ERR FAILED",
            Self::Unknown | Self::Other(_) => "ERR UNKNOWN",
        }
    }
}

impl From<i32> for TrackingStatus {
    fn from(code: i32) -> Self {
        Self::from_code(code)
    }
}

impl From<TrackingStatus> for i32 {
    fn from(status: TrackingStatus) -> Self {
        status.code()
    }
}

impl fmt::Display for TrackingStatus {
    /// Writes the numeric code, as on the socket.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for TrackingStatus {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::from_code(i32::arbitrary(u)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_net_replies() {
        let table = [
            (0, TrackingStatus::Handled, "SUCCESS"),
            (1, TrackingStatus::Unknown, "ERR UNKNOWN"),
            (2, TrackingStatus::Invalid, "ERR INVALID-ARGUMENT"),
            (3, TrackingStatus::Failed, "ERR FAILED"),
            (4, TrackingStatus::ConversionFailed, "ERR INVALID-ARGUMENT"),
            (5, TrackingStatus::Other(5), "ERR UNKNOWN"),
            (-1, TrackingStatus::Other(-1), "ERR UNKNOWN"),
        ];
        for (code, status, reply) in table {
            assert_eq!(TrackingStatus::from_code(code), status);
            assert_eq!(status.code(), code);
            assert_eq!(status.to_string(), code.to_string());
            assert_eq!(status.net_reply(), reply);
        }
        assert!(TrackingStatus::Handled.is_success());
        assert!(!TrackingStatus::Failed.is_success());
    }

    #[test]
    fn ids_are_case_insensitive_and_validated() {
        let a = TrackingId::new("AbC-1").unwrap();
        let b = TrackingId::new("abc-1").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "AbC-1");
        let set: HashSet<_> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(
            TrackingId::new(""),
            Err(NameError::Empty {
                kind: TrackingId::KIND
            })
        );
        assert!(TrackingId::new("a b").is_err());
        assert!(TrackingId::new("a\"b").is_err());
        assert!(TrackingId::new("x".repeat(513)).is_err());
    }
}
