//! The timers of the upssched daemon as a pure data structure on a clock passed in.
//!
//! As in C upssched: starting a timer adds it to the end of the queue even when one of the
//! same name runs (so `START-TIMER` twice makes two timers); cancelling removes every timer
//! of that name; a timer fires when its whole number of seconds has passed. A shared timer
//! (`START-TIMER-SHARED`, C 2.8.5) is started once and then only collects the UPS names,
//! events and messages of later starts. `CANCEL-TIMER-MATCHED` cancels only timers that were
//! started for the same event and UPS.

use std::time::Duration;

pub use nut_proto::upssched::Origin;

/// One running timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    /// Its name (passed to CMDSCRIPT when it fires).
    pub name: String,
    /// When it fires.
    pub due: Duration,
    /// The distinct `NOTIFYTYPE`s that started it.
    pub notifytypes: Vec<String>,
    /// The distinct `UPSNAME`s that started it.
    pub upsnames: Vec<String>,
    /// The distinct messages that started it.
    pub messages: Vec<String>,
}

impl Timer {
    fn add_origin(&mut self, origin: &Origin) {
        for (list, value) in [
            (&mut self.notifytypes, &origin.notifytype),
            (&mut self.upsnames, &origin.upsname),
            (&mut self.messages, &origin.message),
        ] {
            if !value.is_empty() && !list.contains(value) {
                list.push(value.clone());
            }
        }
    }

    /// The environment CMDSCRIPT gets when the timer fires (as C 2.8.5): `UPSNAME` and
    /// `NOTIFYTYPE` joined with `,`, `NOTIFYMSG` joined with `.` and a tab; empty lists are
    /// left out.
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        for (key, list, sep) in [
            ("UPSNAME", &self.upsnames, ","),
            ("NOTIFYTYPE", &self.notifytypes, ","),
            ("NOTIFYMSG", &self.messages, ".\t"),
        ] {
            if !list.is_empty() {
                env.push((key, list.join(sep)));
            }
        }
        env
    }
}

/// The daemon's timers, in the order they were started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimerQueue {
    timers: Vec<Timer>,
}

impl TimerQueue {
    /// No timers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts timer `name` for `seconds` from `now`. With `shared`, a running timer of that
    /// name only records `origin` and keeps its time.
    pub fn start(
        &mut self,
        name: &str,
        seconds: u64,
        origin: &Origin,
        shared: bool,
        now: Duration,
    ) {
        if shared {
            if let Some(t) = self.timers.iter_mut().find(|t| t.name == name) {
                t.add_origin(origin);
                return;
            }
        }
        let mut timer = Timer {
            name: name.to_owned(),
            due: now + Duration::from_secs(seconds),
            notifytypes: Vec::new(),
            upsnames: Vec::new(),
            messages: Vec::new(),
        };
        timer.add_origin(origin);
        self.timers.push(timer);
    }

    /// Cancels the timers called `name` and returns how many there were. With `matched`
    /// and a non-empty event or UPS in `origin`, only timers started for that event and
    /// UPS are cancelled.
    pub fn cancel(&mut self, name: &str, origin: &Origin, matched: bool) -> usize {
        let constrained = matched && !(origin.notifytype.is_empty() && origin.upsname.is_empty());
        let before = self.timers.len();
        self.timers.retain(|t| {
            if t.name != name {
                return true;
            }
            if !constrained {
                return false;
            }
            let type_ok =
                origin.notifytype.is_empty() || t.notifytypes.contains(&origin.notifytype);
            let ups_ok = origin.upsname.is_empty() || t.upsnames.contains(&origin.upsname);
            !(type_ok && ups_ok)
        });
        before - self.timers.len()
    }

    /// Removes and returns the timers due at `now`, in queue order.
    pub fn take_due(&mut self, now: Duration) -> Vec<Timer> {
        let (due, keep) = std::mem::take(&mut self.timers)
            .into_iter()
            .partition(|t| now >= t.due);
        self.timers = keep;
        due
    }

    /// Whether no timer runs.
    pub fn is_empty(&self) -> bool {
        self.timers.is_empty()
    }

    /// The running timers.
    pub fn timers(&self) -> &[Timer] {
        &self.timers
    }

    /// When the next timer fires.
    pub fn next_due(&self) -> Option<Duration> {
        self.timers.iter().map(|t| t.due).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn origin(t: &str, u: &str) -> Origin {
        Origin {
            notifytype: t.into(),
            upsname: u.into(),
            message: format!("{t} on {u}"),
        }
    }

    #[test]
    fn blip_is_cancelled_long_outage_fires() {
        let mut q = TimerQueue::new();
        q.start("onbatt", 30, &origin("ONBATT", "a@h"), false, s(0));
        assert!(q.take_due(s(29)).is_empty());
        assert_eq!(q.cancel("onbatt", &origin("ONLINE", "a@h"), false), 1);
        assert!(q.is_empty());
        assert!(q.take_due(s(100)).is_empty());

        q.start("onbatt", 30, &origin("ONBATT", "a@h"), false, s(100));
        assert_eq!(q.next_due(), Some(s(130)));
        let fired = q.take_due(s(130));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].name, "onbatt");
        assert_eq!(
            fired[0].environment(),
            [
                ("UPSNAME", "a@h".to_owned()),
                ("NOTIFYTYPE", "ONBATT".to_owned()),
                ("NOTIFYMSG", "ONBATT on a@h".to_owned())
            ]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn plain_timers_stack_shared_ones_collect() {
        let mut q = TimerQueue::new();
        q.start("t", 10, &origin("ONBATT", "a"), false, s(0));
        q.start("t", 10, &origin("ONBATT", "b"), false, s(5));
        assert_eq!(q.timers().len(), 2);
        assert_eq!(q.take_due(s(10)).len(), 1);
        assert_eq!(q.cancel("t", &Origin::default(), false), 1);

        q.start("s", 10, &origin("ONBATT", "a"), true, s(0));
        q.start("s", 10, &origin("LOWBATT", "b"), true, s(5));
        q.start("s", 10, &origin("ONBATT", "a"), true, s(6));
        assert_eq!(q.timers().len(), 1);
        let t = &q.timers()[0];
        assert_eq!(t.due, s(10));
        assert_eq!(t.upsnames, ["a", "b"]);
        assert_eq!(t.notifytypes, ["ONBATT", "LOWBATT"]);
        assert_eq!(t.environment()[2].1, "ONBATT on a.\tLOWBATT on b");
    }

    #[test]
    fn matched_cancel_respects_origin() {
        let mut q = TimerQueue::new();
        q.start("t", 10, &origin("ONBATT", "a"), false, s(0));
        q.start("t", 10, &origin("ONBATT", "b"), false, s(0));
        assert_eq!(q.cancel("t", &origin("ONBATT", "c"), true), 0);
        assert_eq!(q.cancel("t", &origin("ONBATT", "b"), true), 1);
        assert_eq!(q.timers()[0].upsnames, ["a"]);
        // Without an event or UPS to match, it cancels like CANCEL-TIMER.
        assert_eq!(q.cancel("t", &Origin::default(), true), 1);
        assert_eq!(q.cancel("other", &Origin::default(), false), 0);
    }
}
