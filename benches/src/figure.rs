//! One figure of the comparison as measured in one round: C's value and ours, what their
//! ratio means, the target and how it is judged. [`crate::rounds`] combines the figures of
//! several rounds into the table's rows.

use std::fmt;
use std::time::Duration;

use crate::load::Millis;

/// Whether a figure meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Target met.
    Met,
    /// Target missed.
    Missed,
    /// No target, or nothing to judge.
    None,
}

impl Verdict {
    /// `Met` for `Some(true)`, `Missed` for `Some(false)`, `None` for `None`.
    pub fn of(met: Option<bool>) -> Self {
        match met {
            Some(true) => Self::Met,
            Some(false) => Self::Missed,
            None => Self::None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Met => "met",
            Self::Missed => "**missed**",
            Self::None => "",
        })
    }
}

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Requests per second, no decimals.
    Rate,
    /// Seconds, shown in milliseconds ([`Millis`]).
    Millis,
    /// Seconds, shown in microseconds with one decimal.
    Micros,
    /// Bytes, no decimals.
    Bytes,
    /// A count (a median of an even number of rounds may end in .5).
    Count,
}

impl Unit {
    /// `value` in this unit.
    pub fn format(self, value: f64) -> String {
        match self {
            Self::Rate => format!("{value:.0}"),
            Self::Millis => Millis(Duration::from_secs_f64(value.max(0.0))).to_string(),
            Self::Micros => format!("{:.1} µs", value * 1e6),
            Self::Bytes => format!("{value:.0} B"),
            Self::Count if value.fract() == 0.0 => format!("{value:.0}"),
            Self::Count => format!("{value:.1}"),
        }
    }

    /// A range of values in this unit, "min–max" (the unit once, where it has one).
    pub fn format_range(self, min: f64, max: f64) -> String {
        let (lo, hi) = (self.format(min), self.format(max));
        match (self, lo.rsplit_once(' '), hi.rsplit_once(' ')) {
            (_, Some((lo_num, lo_unit)), Some((hi_num, hi_unit))) if lo_unit == hi_unit => {
                format!("{lo_num}–{hi_num} {hi_unit}")
            }
            _ => format!("{lo}–{hi}"),
        }
    }
}

/// One side's value of a figure in one round.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A number, which several rounds summarise as median and spread.
    Num(f64, Unit),
    /// Anything else (counts out of totals, outcomes, …), shown as it is.
    Text(String),
    /// This side's run failed; shown on the case's first row.
    Failed(String),
    /// No value: the side failed (on rows after the first), or the figure was not measured.
    Blank,
}

impl Cell {
    /// A duration, shown in milliseconds.
    pub fn millis(d: Duration) -> Self {
        Self::Num(d.as_secs_f64(), Unit::Millis)
    }

    /// A duration, shown in microseconds.
    pub fn micros(d: Duration) -> Self {
        Self::Num(d.as_secs_f64(), Unit::Micros)
    }

    /// The number, if this is one.
    pub fn num(&self) -> Option<f64> {
        match self {
            Self::Num(v, _) => Some(*v),
            _ => None,
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(v, unit) => f.write_str(&unit.format(*v)),
            Self::Text(text) => f.write_str(text),
            Self::Failed(why) => write!(f, "failed: {why}"),
            Self::Blank => Ok(()),
        }
    }
}

/// What the ratio column shows for a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// More is better: "ours / C ×".
    More,
    /// Less is better: "C / ours × lower".
    Less,
    /// No ratio.
    NoRatio,
}

impl Better {
    /// The ratio of `ours` to `c` as the column shows it (empty where it means nothing).
    pub fn ratio(self, c: f64, ours: f64) -> String {
        match self {
            Self::More if c > 0.0 => format!("{:.2}×", ours / c),
            Self::Less if c > 0.0 && ours > 0.0 => format!("{:.2}× lower", c / ours),
            _ => String::new(),
        }
    }

    /// Whether `ours` is no worse than `c`: at least C's where more is better, at most
    /// where less is; `None` for [`Better::NoRatio`].
    pub fn no_worse(self, c: f64, ours: f64) -> Option<bool> {
        match self {
            Self::More => Some(ours >= c),
            Self::Less => Some(ours <= c),
            Self::NoRatio => None,
        }
    }
}

/// How a figure's target is judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Judge {
    /// Not from the numbers: no target, or a pass/fail the case decided (the figure's
    /// verdict says which).
    Given,
    /// Ours at least this many times C's.
    TimesC(f64),
    /// Ours below this.
    Below(f64),
    /// Ours at most this.
    AtMost(f64),
}

impl Judge {
    /// Whether the numbers meet the target; `None` for [`Judge::Given`], or when a number
    /// the judgement needs is missing.
    pub fn holds(self, c: Option<f64>, ours: Option<f64>) -> Option<bool> {
        match self {
            Self::Given => None,
            Self::TimesC(k) => Some(c? > 0.0 && ours? >= k * c?),
            Self::Below(limit) => Some(ours? < limit),
            Self::AtMost(limit) => Some(ours? <= limit),
        }
    }
}

/// One figure of one case in one round.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What is measured (the row's key across rounds).
    pub metric: String,
    /// C upsd's value.
    pub c: Cell,
    /// Ours.
    pub ours: Cell,
    /// What the ratio column shows.
    pub better: Better,
    /// The requirement, if any.
    pub target: String,
    /// How the requirement is judged.
    pub judge: Judge,
    /// Whether ours ran cleanly enough for its numbers to count (no client errors, …);
    /// a numeric target is missed in any round where it did not.
    pub clean: bool,
    /// The verdict of this round alone.
    pub verdict: Verdict,
    /// Figures of the same case (their metrics) that must be no worse than C's
    /// ([`Better::no_worse`]) for this one's target to be met (see
    /// [`Figure::and_no_worse_than_c`]).
    pub no_worse_than_c: Vec<String>,
}

impl Figure {
    /// A figure whose verdict follows from the numbers (`judge`) and `clean`.
    pub fn judged(
        metric: &str,
        c: Cell,
        ours: Cell,
        better: Better,
        target: &str,
        judge: Judge,
        clean: bool,
    ) -> Self {
        let met = judge
            .holds(c.num(), ours.num())
            .map(|met| clean && met)
            .unwrap_or(false);
        Self {
            metric: metric.to_owned(),
            c,
            ours,
            better,
            target: target.to_owned(),
            judge,
            clean,
            verdict: Verdict::of(Some(met)),
            no_worse_than_c: Vec::new(),
        }
    }

    /// A figure with no target, or with a pass/fail the caller decided (`met`).
    pub fn given(
        metric: &str,
        c: Cell,
        ours: Cell,
        better: Better,
        target: &str,
        met: Option<bool>,
    ) -> Self {
        Self {
            metric: metric.to_owned(),
            c,
            ours,
            better,
            target: target.to_owned(),
            judge: Judge::Given,
            clean: true,
            verdict: Verdict::of(met),
            no_worse_than_c: Vec::new(),
        }
    }

    /// This figure's target also requires each of `others` (figures of the same round) to be
    /// no worse than C's: a met verdict becomes a miss where one is worse or lacks a number.
    /// Their metrics are kept, so that several rounds judge them on the medians too
    /// ([`crate::rounds::rows`]).
    pub fn and_no_worse_than_c(mut self, others: &[&Self]) -> Self {
        if self.verdict == Verdict::Met && !others.iter().all(|f| f.no_worse() == Some(true)) {
            self.verdict = Verdict::Missed;
        }
        self.no_worse_than_c = others.iter().map(|f| f.metric.clone()).collect();
        self
    }

    /// Whether ours is no worse than C's in this round ([`Better::no_worse`]); `None`
    /// without both numbers or without a direction.
    pub fn no_worse(&self) -> Option<bool> {
        self.better.no_worse(self.c.num()?, self.ours.num()?)
    }

    /// The ratio column of this round alone.
    pub fn ratio(&self) -> String {
        match (self.c.num(), self.ours.num()) {
            (Some(c), Some(ours)) => self.better.ratio(c, ours),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_format() {
        assert_eq!(Unit::Rate.format(1234.4), "1234");
        assert_eq!(Unit::Millis.format(0.000_042), "0.042 ms");
        assert_eq!(Unit::Micros.format(0.000_002_34), "2.3 µs");
        assert_eq!(Unit::Bytes.format(776.0), "776 B");
        assert_eq!(Unit::Count.format(3.0), "3");
        assert_eq!(Unit::Count.format(2.5), "2.5");
        assert_eq!(Unit::Micros.format_range(2e-6, 3e-6), "2.0–3.0 µs");
        assert_eq!(Unit::Rate.format_range(900.0, 1100.0), "900–1100");
        assert_eq!(Unit::Millis.format_range(0.0005, 0.002), "0.500–2.0 ms");
    }

    #[test]
    fn ratios_and_judges() {
        assert_eq!(Better::More.ratio(100.0, 150.0), "1.50×");
        assert_eq!(Better::More.ratio(0.0, 150.0), "");
        assert_eq!(Better::Less.ratio(0.004, 0.001), "4.00× lower");
        assert_eq!(Better::Less.ratio(0.004, 0.0), "");
        assert_eq!(Better::NoRatio.ratio(1.0, 2.0), "");
        assert_eq!(
            Judge::TimesC(1.3).holds(Some(100.0), Some(130.0)),
            Some(true)
        );
        assert_eq!(
            Judge::TimesC(1.3).holds(Some(0.0), Some(130.0)),
            Some(false)
        );
        assert_eq!(Judge::TimesC(1.3).holds(None, Some(130.0)), None);
        assert_eq!(
            Judge::TimesC(1.0).holds(Some(100.0), Some(100.0)),
            Some(true)
        );
        assert_eq!(
            Judge::TimesC(1.0).holds(Some(100.0), Some(99.0)),
            Some(false)
        );
        assert_eq!(Judge::Below(1.0).holds(None, Some(1.0)), Some(false));
        assert_eq!(Judge::AtMost(1.0).holds(None, Some(1.0)), Some(true));
        assert_eq!(Judge::Given.holds(Some(1.0), Some(1.0)), None);
    }

    #[test]
    fn an_unclean_run_misses_its_target() {
        let fig = |clean| {
            Figure::judged(
                "requests/s",
                Cell::Num(100.0, Unit::Rate),
                Cell::Num(200.0, Unit::Rate),
                Better::More,
                "≥ 1.3× C",
                Judge::TimesC(1.3),
                clean,
            )
        };
        assert_eq!(fig(true).verdict, Verdict::Met);
        assert_eq!(fig(false).verdict, Verdict::Missed);
        assert_eq!(fig(true).ratio(), "2.00×");
    }

    #[test]
    fn no_worse_than_c() {
        assert_eq!(Better::More.no_worse(100.0, 100.0), Some(true));
        assert_eq!(Better::More.no_worse(100.0, 99.0), Some(false));
        assert_eq!(Better::Less.no_worse(0.002, 0.002), Some(true));
        assert_eq!(Better::Less.no_worse(0.002, 0.003), Some(false));
        assert_eq!(Better::NoRatio.no_worse(1.0, 1.0), None);

        let latency = |c_ms: f64, ours_ms: Option<f64>| {
            Figure::given(
                "latency p99",
                Cell::Num(c_ms / 1e3, Unit::Millis),
                ours_ms.map_or(Cell::Blank, |ms| Cell::Num(ms / 1e3, Unit::Millis)),
                Better::Less,
                "",
                None,
            )
        };
        let throughput = |ours, others: &[&Figure]| {
            Figure::judged(
                "requests/s",
                Cell::Num(100.0, Unit::Rate),
                Cell::Num(ours, Unit::Rate),
                Better::More,
                "≥ 1.0× C",
                Judge::TimesC(1.0),
                true,
            )
            .and_no_worse_than_c(others)
        };
        let (faster, same, slower) = (
            latency(2.0, Some(1.0)),
            latency(2.0, Some(2.0)),
            latency(2.0, Some(3.0)),
        );
        let unmeasured = latency(2.0, None);
        assert_eq!(throughput(100.0, &[&faster, &same]).verdict, Verdict::Met);
        assert_eq!(
            throughput(100.0, &[&faster, &slower]).verdict,
            Verdict::Missed
        );
        assert_eq!(throughput(100.0, &[&unmeasured]).verdict, Verdict::Missed);
        assert_eq!(throughput(99.0, &[&faster]).verdict, Verdict::Missed);
        assert_eq!(
            throughput(100.0, &[&faster, &same]).no_worse_than_c,
            ["latency p99", "latency p99"]
        );
    }
}
