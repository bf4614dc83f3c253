//! Typed results: variable values (raw text with parsed numbers), listed variables, whole
//! variable descriptions, tracking outcomes, the grant of PRIMARY.

use std::fmt;

use nut_proto::names::{Value, VarName};
use nut_proto::net::{ErrorCode, RangeEntry, VarKind, VarType};
use nut_proto::status::Status;

/// A variable's value as upsd sent it, with parsed views.
///
/// The raw text is always kept: NUT values are strings on the wire, and drivers format
/// numbers their own way (`"230.0"`, `"0230"`), so [`as_str`](Self::as_str) is what C's
/// `upsc` prints.
///
/// ```
/// use nut_client::VarValue;
///
/// let v = VarValue::new("0230.5");
/// assert_eq!(v.as_str(), "0230.5");
/// assert_eq!(v.as_f64(), Some(230.5));
/// assert_eq!(v.as_i64(), None);
/// assert_eq!(VarValue::new("100").as_i64(), Some(100));
/// assert_eq!(VarValue::new("OL CHRG").as_status().len(), 2);
/// assert_eq!(VarValue::new("n/a").as_f64(), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct VarValue(String);

impl VarValue {
    /// Wraps a raw value.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The value as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a decimal number, if it is one (surrounding blanks allowed; `inf`,
    /// `nan` and hexadecimal are not numbers here).
    pub fn as_f64(&self) -> Option<f64> {
        let s = self.0.trim();
        let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
        let well_formed = !digits.is_empty()
            && digits.bytes().any(|b| b.is_ascii_digit())
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
        if !well_formed {
            return None;
        }
        s.parse().ok()
    }

    /// The value as an integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.trim().parse().ok()
    }

    /// The value read as `ups.status` words.
    pub fn as_status(&self) -> Status {
        Status::parse(&self.0)
    }

    /// The raw text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<Value> for VarValue {
    fn from(value: Value) -> Self {
        Self(value.as_str().to_owned())
    }
}

impl fmt::Display for VarValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VarValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl PartialEq<str> for VarValue {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for VarValue {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// One variable of a `LIST VAR` or `LIST RW` reply: its name and value, the value as the same
/// [`VarValue`] that [`Client::get_var`](crate::Client::get_var) returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct VarEntry {
    /// The variable's name.
    pub name: VarName,
    /// Its value.
    pub value: VarValue,
}

impl From<nut_proto::net::VarEntry> for VarEntry {
    fn from(entry: nut_proto::net::VarEntry) -> Self {
        Self {
            name: entry.name,
            value: entry.value.into(),
        }
    }
}

/// What the server granted to [`Client::primary`](crate::Client::primary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Grant {
    /// `PRIMARY` was accepted (NUT 2.8 and later; `OK PRIMARY-GRANTED`).
    Primary,
    /// The server did not know `PRIMARY` and accepted the older `MASTER` (before NUT 2.8;
    /// `OK MASTER-GRANTED`). The session has the same rights.
    Master,
}

/// Everything upsd knows about one variable: value, type, description, and the values it
/// accepts (what `upsrw` shows).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Variable {
    /// The name.
    pub name: VarName,
    /// The current value.
    pub value: VarValue,
    /// Its flags: writable, enumerated, ranged, string (with maximum length) or number.
    pub var_type: VarType,
    /// The description from the server's cmdvartab (`Description unavailable` if none).
    pub description: String,
    /// The accepted values, for an enumerated variable (in the driver's order).
    pub enum_values: Vec<String>,
    /// The accepted ranges, for a ranged variable.
    pub ranges: Vec<RangeEntry>,
}

impl Variable {
    /// Whether the variable can be changed with SET VAR.
    pub fn is_writable(&self) -> bool {
        self.var_type.rw
    }

    /// Whether the variable is a number.
    pub fn is_number(&self) -> bool {
        matches!(self.var_type.kind, Some(VarKind::Number))
    }

    /// The maximum length of a string variable.
    pub fn max_len(&self) -> Option<i64> {
        match self.var_type.kind {
            Some(VarKind::String { max_len }) => Some(max_len),
            _ => None,
        }
    }

    /// Whether `value` would be accepted by the enumeration and ranges (the checks upsd
    /// makes before INVALID-VALUE); a variable with neither accepts anything.
    pub fn accepts(&self, value: &str) -> bool {
        if self.var_type.enumerated && !self.enum_values.iter().any(|v| v == value) {
            return false;
        }
        if self.var_type.range {
            let Ok(n) = value.trim().parse::<i64>() else {
                return false;
            };
            return self.ranges.iter().any(|r| r.min <= n && n <= r.max);
        }
        true
    }
}

/// The outcome of a tracked SET VAR or INSTCMD (`GET TRACKING <id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrackingStatus {
    /// The driver has not answered yet.
    Pending,
    /// The driver carried it out.
    Success,
    /// The driver refused or failed: `UNKNOWN`, `INVALID-ARGUMENT` or `FAILED`.
    Failed(ErrorCode),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(t: VarType, enums: &[&str], ranges: &[(i64, i64)]) -> Variable {
        Variable {
            name: VarName::new("x.y").unwrap(),
            value: VarValue::new("1"),
            var_type: t,
            description: String::new(),
            enum_values: enums.iter().map(|s| s.to_string()).collect(),
            ranges: ranges
                .iter()
                .map(|&(min, max)| RangeEntry { min, max })
                .collect(),
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(VarValue::new(" 12 ").as_f64(), Some(12.0));
        assert_eq!(VarValue::new("-1.5e2").as_f64(), Some(-150.0));
        assert_eq!(VarValue::new("inf").as_f64(), None);
        assert_eq!(VarValue::new("").as_f64(), None);
        assert_eq!(VarValue::new("-").as_f64(), None);
        assert_eq!(VarValue::new("1.2.3").as_f64(), None);
    }

    #[test]
    fn accepts() {
        let e = var(
            VarType {
                rw: true,
                enumerated: true,
                ..VarType::default()
            },
            &["a", "b"],
            &[],
        );
        assert!(e.accepts("a") && !e.accepts("c"));
        let r = var(
            VarType {
                range: true,
                kind: Some(VarKind::Number),
                ..VarType::default()
            },
            &[],
            &[(1, 5), (10, 12)],
        );
        assert!(r.accepts("11") && !r.accepts("7") && !r.accepts("x"));
        assert!(r.is_number() && r.max_len().is_none());
    }
}
