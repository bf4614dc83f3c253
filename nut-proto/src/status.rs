//! The words of `ups.status`, and the `ups.alarm` text.
//!
//! A driver builds `ups.status` from space-separated words (`OL CHRG`, `OB LB`, …); upsd adds
//! `FSD` in front once a primary upsmon has asked for a forced shutdown, and shows `WAIT`
//! until the driver's first dump has arrived; a driver puts `ALARM` first while `ups.alarm`
//! is set. Clients match the words ignoring case. [`Status`] keeps the words in the order
//! they came (duplicates too), so that it displays back to the same text.
//!
//! ```
//! use nut_proto::status::{Status, StatusWord};
//!
//! let mut status: Status = "OB DISCHRG".parse().unwrap();
//! assert!(status.contains(&StatusWord::Ob));
//! status.insert(StatusWord::Lb);
//! assert_eq!(status.to_string(), "OB DISCHRG LB");
//! assert!(status.is_on_battery() && status.is_low_battery());
//! status.remove(&StatusWord::Dischrg);
//! assert_eq!(status.to_string(), "OB LB");
//! ```

use std::convert::Infallible;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::names::CaseInsensitive;

/// One word of `ups.status`.
///
/// The named variants are the words NUT 2.8 documents or its clients react to; any other
/// word is kept as [`StatusWord::Other`] with its spelling. Words compare ignoring ASCII case,
/// as upsmon matches them.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub enum StatusWord {
    /// `OL`: on line power.
    Ol,
    /// `OB`: on battery.
    Ob,
    /// `LB`: low battery.
    Lb,
    /// `HB`: high battery.
    Hb,
    /// `RB`: the battery needs replacing.
    Rb,
    /// `CHRG`: the battery is charging.
    Chrg,
    /// `DISCHRG`: the battery is discharging.
    Dischrg,
    /// `BYPASS`: the load is on the bypass circuit, without battery protection.
    Bypass,
    /// `CAL`: a runtime calibration is running.
    Cal,
    /// `OFF`: the UPS output is off.
    Off,
    /// `OVER`: overload.
    Over,
    /// `TRIM`: the UPS lowers a high input voltage ("buck").
    Trim,
    /// `BOOST`: the UPS raises a low input voltage.
    Boost,
    /// `FSD`: forced shutdown (set by upsd on a primary upsmon's request).
    Fsd,
    /// `ALARM`: `ups.alarm` holds something; drivers put it first.
    Alarm,
    /// `ECO`: a vendor's economy / high-efficiency mode (known to upsmon since NUT 2.8.1).
    Eco,
    /// `TEST`: a self test is running (written by a few drivers).
    Test,
    /// `WAIT`: upsd has no data from the driver yet.
    Wait,
    /// Any other word, as written (for example `OVERHEAT`, `COMMFAULT` from some drivers).
    /// Never one of the words above, in any case, when made by [`StatusWord::parse`].
    Other(String),
}

/// The named words and their spelling on the wire.
static KNOWN: [(StatusWord, &str); 18] = [
    (StatusWord::Ol, "OL"),
    (StatusWord::Ob, "OB"),
    (StatusWord::Lb, "LB"),
    (StatusWord::Hb, "HB"),
    (StatusWord::Rb, "RB"),
    (StatusWord::Chrg, "CHRG"),
    (StatusWord::Dischrg, "DISCHRG"),
    (StatusWord::Bypass, "BYPASS"),
    (StatusWord::Cal, "CAL"),
    (StatusWord::Off, "OFF"),
    (StatusWord::Over, "OVER"),
    (StatusWord::Trim, "TRIM"),
    (StatusWord::Boost, "BOOST"),
    (StatusWord::Fsd, "FSD"),
    (StatusWord::Alarm, "ALARM"),
    (StatusWord::Eco, "ECO"),
    (StatusWord::Test, "TEST"),
    (StatusWord::Wait, "WAIT"),
];

impl StatusWord {
    /// The word for `word`: a named one if it matches ignoring case, else `Other`.
    pub fn parse(word: &str) -> Self {
        KNOWN
            .iter()
            .find(|(_, text)| word.eq_ignore_ascii_case(text))
            .map_or_else(|| Self::Other(word.to_owned()), |(known, _)| known.clone())
    }

    /// The word as written on the wire (upper case for the named ones).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(word) => word,
            known => KNOWN
                .iter()
                .find(|(k, _)| std::mem::discriminant(k) == std::mem::discriminant(known))
                .map_or("", |(_, text)| text),
        }
    }

    /// A short English description of a named word; `None` for [`StatusWord::Other`].
    pub fn description(&self) -> Option<&'static str> {
        Some(match self {
            Self::Ol => "on line power",
            Self::Ob => "on battery",
            Self::Lb => "low battery",
            Self::Hb => "high battery",
            Self::Rb => "battery needs replacement",
            Self::Chrg => "battery charging",
            Self::Dischrg => "battery discharging",
            Self::Bypass => "on bypass",
            Self::Cal => "runtime calibration",
            Self::Off => "output off",
            Self::Over => "overload",
            Self::Trim => "trimming input voltage",
            Self::Boost => "boosting input voltage",
            Self::Fsd => "forced shutdown",
            Self::Alarm => "alarm",
            Self::Eco => "economy mode",
            Self::Test => "self test",
            Self::Wait => "waiting for the driver",
            Self::Other(_) => return None,
        })
    }
}

impl PartialEq for StatusWord {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Other(a), Self::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Hash for StatusWord {
    fn hash<H: Hasher>(&self, state: &mut H) {
        CaseInsensitive::new(self.as_str()).hash(state);
    }
}

impl FromStr for StatusWord {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(Self::parse(s))
    }
}

impl From<&str> for StatusWord {
    fn from(s: &str) -> Self {
        Self::parse(s)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for StatusWord {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let index = u.int_in_range(0..=KNOWN.len())?;
        match KNOWN.get(index) {
            Some((word, _)) => Ok(word.clone()),
            None => Ok(Self::parse(&crate::names::arbitrary_name(u)?)),
        }
    }
}

/// The value of `ups.status`: its words in order.
///
/// Parsing splits at ASCII whitespace and never fails; [`Display`](fmt::Display) joins the
/// words with single spaces, which gives back the text a driver wrote (C drivers separate the
/// words with one space). An empty value is an empty status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Status(Vec<StatusWord>);

impl Status {
    /// No words.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a `ups.status` value.
    pub fn parse(value: &str) -> Self {
        Self(
            value
                .split_ascii_whitespace()
                .map(StatusWord::parse)
                .collect(),
        )
    }

    /// The words in order.
    pub fn iter(&self) -> std::slice::Iter<'_, StatusWord> {
        self.0.iter()
    }

    /// The words as a slice.
    pub fn words(&self) -> &[StatusWord] {
        &self.0
    }

    /// The number of words.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no word.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `word` is present (ignoring case).
    pub fn contains(&self, word: &StatusWord) -> bool {
        self.0.contains(word)
    }

    /// Appends `word`, even if it is already present (what a C driver's `status_set` does).
    pub fn push(&mut self, word: StatusWord) {
        self.0.push(word);
    }

    /// Appends `word` unless it is already present; returns whether it was added.
    pub fn insert(&mut self, word: StatusWord) -> bool {
        if self.contains(&word) {
            return false;
        }
        self.0.push(word);
        true
    }

    /// Puts `word` first unless it is already present (how upsd shows `FSD` and drivers show
    /// `ALARM`); returns whether it was added.
    pub fn insert_first(&mut self, word: StatusWord) -> bool {
        if self.contains(&word) {
            return false;
        }
        self.0.insert(0, word);
        true
    }

    /// Removes every occurrence of `word`; returns whether there was one.
    pub fn remove(&mut self, word: &StatusWord) -> bool {
        let before = self.0.len();
        self.0.retain(|w| w != word);
        self.0.len() != before
    }

    /// `OL` is present.
    pub fn is_online(&self) -> bool {
        self.contains(&StatusWord::Ol)
    }

    /// `OB` is present.
    pub fn is_on_battery(&self) -> bool {
        self.contains(&StatusWord::Ob)
    }

    /// `LB` is present.
    pub fn is_low_battery(&self) -> bool {
        self.contains(&StatusWord::Lb)
    }

    /// `FSD` is present.
    pub fn is_forced_shutdown(&self) -> bool {
        self.contains(&StatusWord::Fsd)
    }
}

impl FromStr for Status {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(Self::parse(s))
    }
}

impl From<Vec<StatusWord>> for Status {
    fn from(words: Vec<StatusWord>) -> Self {
        Self(words)
    }
}

impl FromIterator<StatusWord> for Status {
    fn from_iter<I: IntoIterator<Item = StatusWord>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Status {
    type Item = &'a StatusWord;
    type IntoIter = std::slice::Iter<'a, StatusWord>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(word.as_str())?;
        }
        Ok(())
    }
}

/// The value of `ups.alarm` as a driver builds it: free-text alarm messages joined by single
/// spaces, in the order they were raised.
///
/// Alarm texts may hold spaces themselves, so a received `ups.alarm` cannot be split back into
/// messages; this type is for building one. While any alarm is set, the driver writes
/// `ups.alarm` and puts `ALARM` first in `ups.status` ([`Alarms::apply_to`]); when none is
/// left it deletes `ups.alarm` ([`Alarms::value`] is `None`).
///
/// ```
/// use nut_proto::status::{Alarms, Status};
///
/// let mut alarms = Alarms::new();
/// alarms.push("Replace battery!");
/// alarms.push("Fan failure");
/// assert_eq!(alarms.value().as_deref(), Some("Replace battery! Fan failure"));
/// let mut status: Status = "OL".parse().unwrap();
/// alarms.apply_to(&mut status);
/// assert_eq!(status.to_string(), "ALARM OL");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alarms(Vec<String>);

impl Alarms {
    /// No alarm.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an alarm message. Empty messages are ignored.
    pub fn push(&mut self, message: &str) {
        if !message.is_empty() {
            self.0.push(message.to_owned());
        }
    }

    /// Whether any alarm is set.
    pub fn is_active(&self) -> bool {
        !self.0.is_empty()
    }

    /// The messages in order.
    pub fn messages(&self) -> &[String] {
        &self.0
    }

    /// The `ups.alarm` value, or `None` when no alarm is set (the variable is then deleted).
    pub fn value(&self) -> Option<String> {
        self.is_active().then(|| self.0.join(" "))
    }

    /// Adds `ALARM` in front of `status` while an alarm is set, and removes it otherwise.
    pub fn apply_to(&self, status: &mut Status) {
        if self.is_active() {
            status.insert_first(StatusWord::Alarm);
        } else {
            status.remove(&StatusWord::Alarm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_word_round_trips() {
        for (word, text) in &KNOWN {
            assert_eq!(StatusWord::parse(text), *word);
            assert_eq!(StatusWord::parse(&text.to_ascii_lowercase()), *word);
            assert_eq!(word.as_str(), *text);
            assert!(word.description().is_some());
        }
        let odd = StatusWord::parse("OVERHEAT");
        assert_eq!(odd, StatusWord::Other("OVERHEAT".into()));
        assert_eq!(odd, StatusWord::parse("overheat"));
        assert_eq!(odd.as_str(), "OVERHEAT");
        assert_eq!(odd.description(), None);
        assert_ne!(odd, StatusWord::Over);
    }

    #[test]
    fn keeps_order_and_duplicates() {
        for text in [
            "OL CHRG",
            "OB DISCHRG LB",
            "ALARM OL",
            "FSD OB LB",
            "OL OL",
            "",
            "WAIT",
        ] {
            assert_eq!(Status::parse(text).to_string(), text);
        }
        let s = Status::parse("OL OL");
        assert_eq!(s.len(), 2);
        assert_eq!(Status::parse("  OL \t OB ").to_string(), "OL OB");
        assert_eq!(Status::parse("ol trim").to_string(), "OL TRIM");
    }

    #[test]
    fn set_operations() {
        let mut s = Status::parse("OL");
        assert!(s.insert(StatusWord::Chrg));
        assert!(!s.insert(StatusWord::parse("chrg")));
        assert!(s.insert_first(StatusWord::Fsd));
        assert_eq!(s.to_string(), "FSD OL CHRG");
        s.push(StatusWord::Ol);
        assert!(s.remove(&StatusWord::Ol));
        assert!(!s.remove(&StatusWord::Ol));
        assert_eq!(s.to_string(), "FSD CHRG");
        assert!(s.is_forced_shutdown() && !s.is_online());
        assert!(Status::new().is_empty());
    }

    #[test]
    fn alarms() {
        let mut alarms = Alarms::new();
        alarms.push("");
        assert_eq!(alarms.value(), None);
        let mut status = Status::parse("ALARM OL");
        alarms.apply_to(&mut status);
        assert_eq!(status.to_string(), "OL");
        alarms.push("Overheat");
        alarms.apply_to(&mut status);
        alarms.apply_to(&mut status);
        assert_eq!(status.to_string(), "ALARM OL");
        assert_eq!(alarms.messages(), ["Overheat"]);
    }
}
