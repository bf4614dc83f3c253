//! [`Secret`]: a string that never shows itself in `Debug` output.

use std::fmt;

use subtle::ConstantTimeEq;

/// A secret string, such as a password. Its `Debug` output is `"***"` in every build, so
/// secrets do not leak into logs through `{:?}` of a config or request; reading it takes an
/// explicit [`expose`](Self::expose).
///
/// ```
/// use nut_proto::secret::Secret;
///
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s:?}"), "***");
/// assert_eq!(s.expose(), "hunter2");
/// assert!(s.ct_eq("hunter2") && !s.ct_eq("hunter3"));
/// assert!(s == Secret::new("hunter2"));
/// ```
///
/// Equality (`==`, and so a derived `PartialEq` of a struct holding one) compares in
/// constant time too, as [`ct_eq`](Self::ct_eq) does.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares with `other` in time that depends only on the lengths, not on where the
    /// strings differ, so that a password check leaks nothing through timing.
    pub fn ct_eq(&self, other: &str) -> bool {
        self.0.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl PartialEq for Secret {
    /// Constant-time, as [`Secret::ct_eq`].
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(&other.0)
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Secret {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        <crate::names::Value as arbitrary::Arbitrary<'a>>::arbitrary(u)
            .map(|v| Self(v.as_str().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_redacts_and_compare_works() {
        let s = Secret::new("pw");
        assert_eq!(format!("{s:?} {:?}", Some(&s)), "*** Some(***)");
        assert!(s.ct_eq("pw"));
        assert!(!s.ct_eq("pW"));
        assert!(!s.ct_eq("pw "));
        assert!(!s.ct_eq(""));
        assert!(Secret::new("").ct_eq(""));
        assert_eq!(s, Secret::from("pw"));
        assert_ne!(s, Secret::from("pw2"));
    }
}
