//! upsmon's notification events ([`NotifyEvent`]) and what to do with them
//! ([`NotifyFlags`]), shared by upsmon.conf (`NOTIFYFLAG`, `NOTIFYMSG`) and upssched.conf
//! (`AT <event> …`).

use std::fmt;
use std::str::FromStr;

macro_rules! events {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $msg:literal, $since:literal; )*) => {
        /// An event upsmon reports (the `NOTIFYTYPE` a NOTIFYCMD receives).
        ///
        /// C NUT 2.8.0 knows the first eleven (`ONLINE` … `CAL`); the others come from later
        /// C versions and are accepted too ([`NotifyEvent::since`] tells which).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        #[non_exhaustive]
        pub enum NotifyEvent {
            $( $(#[$doc])* $variant, )*
        }

        impl NotifyEvent {
            /// Every event, in C's order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )* ];

            /// The event's name as in the configuration files (`ONBATT`).
            pub fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $name, )* }
            }

            /// The message upsmon prints when no `NOTIFYMSG` replaces it. `%s` stands for
            /// the UPS (`ALARM` and `OTHER` have a second `%s` for the status details).
            pub fn default_message(self) -> &'static str {
                match self { $( Self::$variant => $msg, )* }
            }

            /// The first C NUT release that knows this event ("2.8.0" or later).
            pub fn since(self) -> &'static str {
                match self { $( Self::$variant => $since, )* }
            }
        }
    };
}

events! {
    /// The UPS is back on line power.
    Online = "ONLINE", "UPS %s on line power", "2.8.0";
    /// The UPS is on battery.
    OnBatt = "ONBATT", "UPS %s on battery", "2.8.0";
    /// The battery is low.
    LowBatt = "LOWBATT", "UPS %s battery is low", "2.8.0";
    /// The primary upsmon set the forced-shutdown flag.
    Fsd = "FSD", "UPS %s: forced shutdown in progress", "2.8.0";
    /// Communication with the UPS (re)established.
    CommOk = "COMMOK", "Communications with UPS %s established", "2.8.0";
    /// Communication with the UPS lost.
    CommBad = "COMMBAD", "Communications with UPS %s lost", "2.8.0";
    /// The system is being shut down.
    Shutdown = "SHUTDOWN", "Auto logout and shutdown proceeding", "2.8.0";
    /// The battery needs to be replaced.
    ReplBatt = "REPLBATT", "UPS %s battery needs to be replaced", "2.8.0";
    /// The UPS has not been reachable for a while.
    NoComm = "NOCOMM", "UPS %s is unavailable", "2.8.0";
    /// upsmon's privileged parent process died.
    NoParent = "NOPARENT", "upsmon parent process died - shutdown impossible", "2.8.0";
    /// The UPS is calibrating.
    Cal = "CAL", "UPS %s: calibration in progress", "2.8.0";
    /// Calibration finished.
    NotCal = "NOTCAL", "UPS %s: calibration finished", "2.8.2";
    /// The UPS is administratively off or asleep.
    Off = "OFF", "UPS %s: administratively OFF or asleep", "2.8.1";
    /// The UPS is no longer off.
    NotOff = "NOTOFF", "UPS %s: no longer administratively OFF or asleep", "2.8.1";
    /// The UPS is on bypass.
    Bypass = "BYPASS", "UPS %s: on bypass (powered, not protecting)", "2.8.1";
    /// The UPS is no longer on bypass.
    NotBypass = "NOTBYPASS", "UPS %s: no longer on bypass", "2.8.1";
    /// The UPS is in ECO mode.
    Eco = "ECO", "UPS %s: in ECO mode (as defined by vendor)", "2.8.3";
    /// The UPS left ECO mode.
    NotEco = "NOTECO", "UPS %s: no longer in ECO mode", "2.8.3";
    /// The UPS has active alarms.
    Alarm = "ALARM", "UPS %s: one or more active alarms: [%s]", "2.8.3";
    /// The UPS has no active alarms any more.
    NotAlarm = "NOTALARM", "UPS %s is no longer in an alarm state (no active alarms)", "2.8.3";
    /// The UPS is overloaded.
    Over = "OVER", "UPS %s: overloaded", "2.8.3";
    /// The UPS is no longer overloaded.
    NotOver = "NOTOVER", "UPS %s: no longer overloaded", "2.8.3";
    /// The UPS trims the input voltage.
    Trim = "TRIM", "UPS %s: trimming incoming voltage", "2.8.3";
    /// The UPS no longer trims.
    NotTrim = "NOTTRIM", "UPS %s: no longer trimming incoming voltage", "2.8.3";
    /// The UPS boosts the input voltage.
    Boost = "BOOST", "UPS %s: boosting incoming voltage", "2.8.3";
    /// The UPS no longer boosts.
    NotBoost = "NOTBOOST", "UPS %s: no longer boosting incoming voltage", "2.8.3";
    /// A primary waits for its secondaries before shutting down.
    ShutdownHostsync = "SHUTDOWN_HOSTSYNC", "Shutdown initiated; primary system is waiting for secondaries to log out or time out", "2.8.5";
    /// The UPS reports status words upsmon does not know.
    Other = "OTHER", "UPS %s: has at least one unclassified status token: [%s]", "2.8.3";
    /// The UPS reports no unknown status words any more.
    NotOther = "NOTOTHER", "UPS %s has no unclassified status tokens anymore", "2.8.3";
    /// The operating system is going to sleep.
    SuspendStarting = "SUSPEND_STARTING", "OS is entering sleep/suspend/hibernate mode", "2.8.3";
    /// The operating system woke up.
    SuspendFinished = "SUSPEND_FINISHED", "OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown", "2.8.3";
}

impl NotifyEvent {
    /// What upsmon does with the event when no `NOTIFYFLAG` says otherwise: `SYSLOG+WALL`
    /// (C NUT 2.8.0 used `SYSLOG` alone for `CAL`).
    pub fn default_flags(self) -> NotifyFlags {
        match self {
            Self::Cal => NotifyFlags::SYSLOG,
            _ => NotifyFlags::SYSLOG.with(NotifyFlags::WALL),
        }
    }

    /// Looks an event up by name, ignoring ASCII case (as C does).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|e| e.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for NotifyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown notify event name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid notify event name")]
pub struct UnknownEvent(pub String);

impl FromStr for NotifyEvent {
    type Err = UnknownEvent;
    fn from_str(s: &str) -> Result<Self, UnknownEvent> {
        Self::from_name(s).ok_or_else(|| UnknownEvent(s.to_owned()))
    }
}

/// What upsmon does with an event: any of `SYSLOG`, `WALL`, `EXEC`, or `IGNORE`
/// (written `SYSLOG+WALL+EXEC` in `NOTIFYFLAG`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NotifyFlags(u8);

impl NotifyFlags {
    /// Do nothing at all (overrides the others).
    pub const IGNORE: Self = Self(1);
    /// Log the message to syslog.
    pub const SYSLOG: Self = Self(2);
    /// Send the message to all logged-in users with `wall`.
    pub const WALL: Self = Self(4);
    /// Run NOTIFYCMD with the message.
    pub const EXEC: Self = Self(8);
    /// No flag at all (what a `NOTIFYFLAG` line without a valid flag leaves).
    pub const NONE: Self = Self(0);

    const NAMES: [(Self, &'static str); 4] = [
        (Self::SYSLOG, "SYSLOG"),
        (Self::WALL, "WALL"),
        (Self::EXEC, "EXEC"),
        (Self::IGNORE, "IGNORE"),
    ];

    /// These flags plus `other`.
    #[must_use]
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every flag in `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 & 0x0f == 0
    }

    /// Parses `SYSLOG+WALL+EXEC` the way upsmon does: flag names are case-sensitive;
    /// unknown ones are returned separately (C warns `Invalid notify flag: [x]` and goes on).
    pub fn parse_lenient(text: &str) -> (Self, Vec<String>) {
        let mut flags = Self::NONE;
        let mut invalid = Vec::new();
        for part in text.split('+') {
            match Self::NAMES.iter().find(|(_, name)| *name == part) {
                Some((flag, _)) => flags = flags.with(*flag),
                None => invalid.push(part.to_owned()),
            }
        }
        (flags, invalid)
    }
}

impl fmt::Display for NotifyFlags {
    /// `SYSLOG+WALL`; empty flags display as nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (flag, name) in Self::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str("+")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for NotifyFlags {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(u8::arbitrary(u)? & 0x0f))
    }
}

impl fmt::Debug for NotifyFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NotifyFlags({self})")
    }
}

/// Fills in a notify message: each `%s` in turn takes the next argument (`%%` is a literal
/// `%`); missing arguments become empty text. This is how upsmon formats `NOTIFYMSG`.
///
/// ```
/// use nut_proto::config::{format_notify_message, NotifyEvent};
///
/// let msg = format_notify_message(NotifyEvent::OnBatt.default_message(), &["ups@host"]);
/// assert_eq!(msg, "UPS ups@host on battery");
/// ```
pub fn format_notify_message(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('s') {
            out.push_str(args.next().copied().unwrap_or(""));
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('%') {
            out.push('%');
            rest = tail;
        } else {
            out.push('%');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_defaults() {
        assert_eq!(NotifyEvent::ALL.len(), 31);
        assert_eq!(NotifyEvent::from_name("onbatt"), Some(NotifyEvent::OnBatt));
        assert_eq!(
            "SHUTDOWN_HOSTSYNC".parse(),
            Ok(NotifyEvent::ShutdownHostsync)
        );
        assert_eq!(
            "WHAT".parse::<NotifyEvent>().unwrap_err().to_string(),
            "'WHAT' is not a valid notify event name"
        );
        assert_eq!(
            NotifyEvent::LowBatt.default_message(),
            "UPS %s battery is low"
        );
        assert_eq!(NotifyEvent::Cal.default_flags(), NotifyFlags::SYSLOG);
        assert_eq!(
            NotifyEvent::Online.default_flags().to_string(),
            "SYSLOG+WALL"
        );
        assert_eq!(NotifyEvent::NoParent.since(), "2.8.0");
        assert_eq!(NotifyEvent::Eco.since(), "2.8.3");
        for e in NotifyEvent::ALL {
            assert_eq!(NotifyEvent::from_name(e.as_str()), Some(*e));
        }
    }

    #[test]
    fn flags() {
        let (f, bad) = NotifyFlags::parse_lenient("SYSLOG+BAD+EXEC");
        assert_eq!(f, NotifyFlags::SYSLOG.with(NotifyFlags::EXEC));
        assert_eq!(bad, ["BAD"]);
        assert_eq!(f.to_string(), "SYSLOG+EXEC");
        let (f, bad) = NotifyFlags::parse_lenient("syslog");
        assert!(f.is_empty());
        assert_eq!(bad, ["syslog"]);
        let (f, bad) = NotifyFlags::parse_lenient("IGNORE");
        assert!(f.contains(NotifyFlags::IGNORE) && bad.is_empty());
        assert_eq!(format!("{:?}", NotifyFlags::NONE), "NotifyFlags()");
    }

    #[test]
    fn formatting() {
        assert_eq!(
            format_notify_message("UPS %s: alarms [%s] 100%% %d", &["a", "b"]),
            "UPS a: alarms [b] 100% %d"
        );
        assert_eq!(format_notify_message("%s %s", &["x"]), "x ");
        assert_eq!(format_notify_message("end %", &[]), "end %");
    }
}
