//! The dummy-ups definition files (`.dev`, `.seq`), read as C dummy-ups 2.8 reads them.
//!
//! The file is split into words by NUT's tokenizer (quotes, escapes, `#` comments). Then each
//! line is one [`Step`]:
//!
//! - a first word starting with `TIMER`: pause for the number of seconds in the second word;
//! - a first word starting with `ALARM`: raise the alarm given by the other words, or clear
//!   every alarm when there are none (NUT 2.8.1+);
//! - otherwise the first word, cut at its first `:`, is a variable name; names starting with
//!   `driver.` are skipped; names starting with `ups.status` set the status words; any other
//!   name gets the other words joined by single spaces (at most [`MAX_VALUE_LEN`] bytes).
//!   A line with no value reuses the value of the previous line read in the same pass, as C
//!   does (its buffer is not cleared), and a pass starts with an empty value, which deletes
//!   the variable.
//!
//! ```
//! use nut_drivers::dummy::file::{parse_steps, Step};
//!
//! let steps = parse_steps(b"ups.status: OB LB\nbattery.charge:  10\nTIMER 5\n# comment\ndriver.name: x\n");
//! assert_eq!(steps[0].1, Step::Status(vec!["OB".into(), "LB".into()]));
//! assert_eq!(steps[1].1, Step::Set { name: "battery.charge".into(), value: Some("10".into()) });
//! assert_eq!(steps[2].1, Step::Timer(5));
//! assert_eq!(steps[3].1, Step::Skip);
//! ```

use nut_driver_api::status::c_strtol;
use nut_proto::tokenizer::file_lines;

/// C dummy-ups keeps at most this many bytes of a value read from the file.
pub const MAX_VALUE_LEN: usize = 127;

/// What one line of a definition file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `TIMER <seconds>`: stop reading here for that long.
    Timer(u64),
    /// `ALARM <text>` (`Some`) or a bare `ALARM` (`None`, clears the alarms).
    Alarm(Option<String>),
    /// A `driver.*` line: ignored.
    Skip,
    /// A `ups.status` line: the status words.
    Status(Vec<String>),
    /// Any other variable: its value, or `None` when the line has none.
    Set {
        /// The variable name (the first word, cut at its first `:`).
        name: String,
        /// The value, `None` when the line holds only the name.
        value: Option<String>,
    },
}

/// Joins words with single spaces and cuts the result to [`MAX_VALUE_LEN`] bytes.
fn join_value(words: &[String]) -> String {
    let mut value = words.join(" ");
    if value.len() > MAX_VALUE_LEN {
        let mut cut = MAX_VALUE_LEN;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        value.truncate(cut);
    }
    value
}

/// One line's words as a step.
pub fn step(words: &[String]) -> Option<Step> {
    let first = words.first()?;
    if first.starts_with("TIMER") {
        let secs = words.get(1).map_or(0, |w| c_strtol(w)).max(0);
        return Some(Step::Timer(secs.unsigned_abs()));
    }
    if first.starts_with("ALARM") {
        let text = join_value(&words[1..]);
        return Some(Step::Alarm((!text.is_empty()).then_some(text)));
    }
    let name = first.split(':').next().unwrap_or_default();
    if name.starts_with("driver.") {
        return Some(Step::Skip);
    }
    if name.starts_with("ups.status") {
        return Some(Step::Status(words[1..].to_vec()));
    }
    let value = (words.len() > 1).then(|| join_value(&words[1..]));
    Some(Step::Set {
        name: name.to_owned(),
        value,
    })
}

/// Every step of a file with its line number. Lines the tokenizer rejects are logged and
/// left out, as C leaves them out.
pub fn parse_steps(text: &[u8]) -> Vec<(usize, Step)> {
    let mut out = Vec::new();
    for line in file_lines(text) {
        match line {
            Ok(line) => {
                if let Some(s) = step(&line.words) {
                    out.push((line.line_no, s));
                }
            }
            Err(error) => tracing::debug!(%error, "skipping a line of the definition file"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Step {
        let steps = parse_steps(line.as_bytes());
        assert_eq!(steps.len(), 1, "{line}");
        steps.into_iter().next().unwrap().1
    }

    #[test]
    fn c_rules() {
        assert_eq!(
            one("ups.firmware:  6.5.D   x"),
            Step::Set {
                name: "ups.firmware".into(),
                value: Some("6.5.D x".into())
            }
        );
        assert_eq!(
            one("ups.mfr:"),
            Step::Set {
                name: "ups.mfr".into(),
                value: None
            }
        );
        assert_eq!(
            one("a:b c"),
            Step::Set {
                name: "a".into(),
                value: Some("c".into())
            }
        );
        assert_eq!(
            one("x = y"),
            Step::Set {
                name: "x".into(),
                value: Some("= y".into())
            }
        );
        assert_eq!(one("TIMER"), Step::Timer(0));
        assert_eq!(one("TIMER -3"), Step::Timer(0));
        assert_eq!(one("TIMERS 7s"), Step::Timer(7));
        assert_eq!(one("ALARM"), Step::Alarm(None));
        assert_eq!(
            one("ALARM Fan failure"),
            Step::Alarm(Some("Fan failure".into()))
        );
        assert_eq!(one("ups.status.extra: OL"), Step::Status(vec!["OL".into()]));
        assert_eq!(one("driver.version: 1"), Step::Skip);
        assert_eq!(
            one("ups.id: \"quoted  spaces\""),
            Step::Set {
                name: "ups.id".into(),
                value: Some("quoted  spaces".into())
            }
        );
        let long = format!("v: {}", "x".repeat(300));
        let Step::Set { value: Some(v), .. } = one(&long) else {
            panic!()
        };
        assert_eq!(v.len(), MAX_VALUE_LEN);
    }

    #[test]
    fn bad_lines_are_skipped_with_their_numbers_kept() {
        let steps = parse_steps(b"a: 1\nb: \"unterminated # x\"\nc: 3\n");
        let names: Vec<_> = steps
            .iter()
            .map(|(n, s)| match s {
                Step::Set { name, .. } => format!("{n}:{name}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["1:a", "3:c"]);
    }
}
