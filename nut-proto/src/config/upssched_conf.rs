//! upssched.conf: timers and commands run on upsmon events (clients/upssched.c in C NUT).
//!
//! `CMDSCRIPT`, `PIPEFN` and `LOCKFN` must come before the first `AT` line (C exits
//! otherwise). Each `AT event ups command args…` line is one [`AtRule`].
//!
//! C NUT 2.8.0 knows the commands `START-TIMER`, `CANCEL-TIMER` and `EXECUTE`. C NUT 2.8.5
//! added `START-TIMER-SHARED` and `DEBUG_MIN`, and its documentation describes
//! `CANCEL-TIMER-MATCHED`; these are accepted too.
//!
//! ```
//! use nut_proto::config::{AtCommand, NotifyEvent, UpsschedConf};
//!
//! let text = b"CMDSCRIPT /usr/bin/upssched-cmd\nPIPEFN /run/nut/upssched.pipe\n\
//!              LOCKFN /run/nut/upssched.lock\n\
//!              AT ONBATT * START-TIMER onbatt 30\nAT ONLINE * CANCEL-TIMER onbatt online\n";
//! let conf = UpsschedConf::parse(text, "upssched.conf").unwrap().config;
//! let hits: Vec<_> = conf.matching(NotifyEvent::OnBatt, "myups@localhost").collect();
//! assert_eq!(hits[0].command, AtCommand::StartTimer { name: "onbatt".into(), seconds: 30 });
//! ```

use std::path::Path;

use super::common::{c_str_to_int, c_strtol, logical_lines, push_line};
use super::error::{ConfigError, Diag, ErrorKind, WarningKind};
use super::notify::NotifyEvent;
use super::Parsed;

/// The whole of upssched.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsschedConf {
    /// `CMDSCRIPT`: the script timers and `EXECUTE` run.
    pub cmdscript: Option<String>,
    /// `PIPEFN`: the socket of the timer daemon.
    pub pipefn: Option<String>,
    /// `LOCKFN`: the lock file used while starting the daemon.
    pub lockfn: Option<String>,
    /// `DEBUG_MIN` (C NUT 2.8.5): minimum debug level.
    pub debug_min: Option<i32>,
    /// The `AT` lines, in order. When there are any, the three paths above must be set
    /// (otherwise the written file does not read back).
    pub rules: Vec<AtRule>,
}

/// `AT event ups command args…`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct AtRule {
    /// The event (`NOTIFYTYPE`) this rule reacts to.
    pub event: NotifyEvent,
    /// The UPS (`UPSNAME`) it reacts to.
    pub ups: AtUps,
    /// What it does.
    pub command: AtCommand,
}

impl AtRule {
    /// A rule.
    pub fn new(event: NotifyEvent, ups: AtUps, command: AtCommand) -> Self {
        Self {
            event,
            ups,
            command,
        }
    }

    /// Whether the rule applies to `event` on `upsname` (upsmon's `UPSNAME`, such as
    /// `myups@localhost`, compared byte for byte as C does).
    pub fn matches(&self, event: NotifyEvent, upsname: &str) -> bool {
        self.event == event
            && match &self.ups {
                AtUps::Any => true,
                AtUps::Name(n) => n == upsname,
            }
    }
}

/// Which UPS an `AT` line is for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AtUps {
    /// `*`: every UPS.
    Any,
    /// One UPS, as upsmon names it (`myups@localhost`); never `*`.
    Name(String),
}

/// What an `AT` line does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AtCommand {
    /// `START-TIMER name seconds`.
    StartTimer {
        /// The timer's name, passed to CMDSCRIPT when it fires.
        name: String,
        /// Its length.
        seconds: u32,
    },
    /// `START-TIMER-SHARED name seconds` (C NUT 2.8.5): like `START-TIMER`, but one timer
    /// collects every UPS and event that started it.
    StartTimerShared {
        /// The timer's name.
        name: String,
        /// Its length.
        seconds: u32,
    },
    /// `CANCEL-TIMER name [command]`: stop the timer; if it is not running, run `command`.
    CancelTimer {
        /// The timer's name.
        name: String,
        /// What to pass to CMDSCRIPT when there was no timer to cancel.
        command: Option<String>,
    },
    /// `CANCEL-TIMER-MATCHED name [command]` (newer C documentation): cancel only a timer
    /// started for the same UPS and event.
    CancelTimerMatched {
        /// The timer's name.
        name: String,
        /// What to pass to CMDSCRIPT when there was no timer to cancel.
        command: Option<String>,
    },
    /// `EXECUTE command`: pass `command` to CMDSCRIPT now (never empty).
    Execute {
        /// The argument for CMDSCRIPT.
        command: String,
    },
}

impl AtCommand {
    /// The keyword in the file.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::StartTimer { .. } => "START-TIMER",
            Self::StartTimerShared { .. } => "START-TIMER-SHARED",
            Self::CancelTimer { .. } => "CANCEL-TIMER",
            Self::CancelTimerMatched { .. } => "CANCEL-TIMER-MATCHED",
            Self::Execute { .. } => "EXECUTE",
        }
    }
}

impl UpsschedConf {
    /// A configuration with the three required paths and no rules.
    pub fn new(
        cmdscript: impl Into<String>,
        pipefn: impl Into<String>,
        lockfn: impl Into<String>,
    ) -> Self {
        Self {
            cmdscript: Some(cmdscript.into()),
            pipefn: Some(pipefn.into()),
            lockfn: Some(lockfn.into()),
            debug_min: None,
            rules: Vec::new(),
        }
    }

    /// Parses upssched.conf. `file` names the file in messages.
    pub fn parse(text: &[u8], file: &str) -> Result<Parsed<Self>, ConfigError> {
        let mut diag = Diag::new(file);
        let mut conf = Self::default();
        for line in logical_lines(text, &mut diag) {
            if !conf.directive(&mut diag, line.line_no, &line.words)? {
                diag.invalid_directive(line.line_no, &line.words);
            }
        }
        Ok(Parsed {
            config: conf,
            warnings: diag.sorted(),
        })
    }

    /// Reads and parses an upssched.conf file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed<Self>, ConfigError> {
        super::load_with(path.as_ref(), Self::parse)
    }

    /// The rules for `event` on `upsname`, in file order (every one of them applies).
    pub fn matching<'a>(
        &'a self,
        event: NotifyEvent,
        upsname: &'a str,
    ) -> impl Iterator<Item = &'a AtRule> + 'a {
        self.rules.iter().filter(move |r| r.matches(event, upsname))
    }

    fn directive(
        &mut self,
        diag: &mut Diag,
        n: usize,
        words: &[String],
    ) -> Result<bool, ConfigError> {
        let (Some(key), Some(arg)) = (words.first(), words.get(1)) else {
            return Ok(false);
        };
        let slot = match key.as_str() {
            "CMDSCRIPT" => &mut self.cmdscript,
            "PIPEFN" => &mut self.pipefn,
            "LOCKFN" => &mut self.lockfn,
            "DEBUG_MIN" => {
                match c_str_to_int(arg) {
                    Some(v) => self.debug_min = Some(v),
                    None => diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("DEBUG_MIN: \"{arg}\" is not a number; ignored"),
                    ),
                }
                diag.extra_arguments(n, words, 2);
                return Ok(true);
            }
            "AT" if words.len() >= 5 => {
                self.at(diag, n, words)?;
                return Ok(true);
            }
            _ => return Ok(false),
        };
        *slot = Some(arg.clone());
        diag.extra_arguments(n, words, 2);
        Ok(true)
    }

    fn at(&mut self, diag: &mut Diag, n: usize, words: &[String]) -> Result<(), ConfigError> {
        for (set, name) in [
            (self.cmdscript.is_some(), "CMDSCRIPT"),
            (self.pipefn.is_some(), "PIPEFN"),
            (self.lockfn.is_some(), "LOCKFN"),
        ] {
            if !set {
                return Err(diag.error(
                    n,
                    ErrorKind::Order,
                    format!("{name} must be set before any ATs in the config file!"),
                ));
            }
        }
        let [_, event, ups, cmd, arg1, rest @ ..] = words else {
            return Ok(());
        };
        let arg2 = rest.first();
        let Some(event) = NotifyEvent::from_name(event) else {
            diag.warn(
                n,
                WarningKind::Unknown,
                format!("'{event}' is not a valid notify event name; this AT line can never match"),
            );
            return Ok(());
        };
        let ups = if ups == "*" {
            AtUps::Any
        } else {
            AtUps::Name(ups.clone())
        };
        let (command, used) = match cmd.as_str() {
            "START-TIMER" | "START-TIMER-SHARED" => {
                let Some(secs) = arg2 else {
                    diag.warn(
                        n,
                        WarningKind::InvalidDirective,
                        format!("{cmd} needs a timer name and an interval; line ignored"),
                    );
                    return Ok(());
                };
                let (value, clean) = c_strtol(secs);
                let Ok(seconds) = u32::try_from(value) else {
                    diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("bogus offset for timer, ignoring ({secs})"),
                    );
                    return Ok(());
                };
                if !clean {
                    diag.warn(
                        n,
                        WarningKind::NotANumber,
                        format!("{cmd}: \"{secs}\" is not a number; C NUT reads it as {seconds}"),
                    );
                }
                let name = arg1.clone();
                let command = if cmd == "START-TIMER" {
                    AtCommand::StartTimer { name, seconds }
                } else {
                    AtCommand::StartTimerShared { name, seconds }
                };
                (command, 6)
            }
            "CANCEL-TIMER" | "CANCEL-TIMER-MATCHED" => {
                let name = arg1.clone();
                let command = arg2.cloned();
                let command = if cmd == "CANCEL-TIMER" {
                    AtCommand::CancelTimer { name, command }
                } else {
                    AtCommand::CancelTimerMatched { name, command }
                };
                (command, 6)
            }
            "EXECUTE" => {
                if arg1.is_empty() {
                    diag.warn(n, WarningKind::BadValue, "Empty EXECUTE command argument");
                    return Ok(());
                }
                (
                    AtCommand::Execute {
                        command: arg1.clone(),
                    },
                    5,
                )
            }
            other => {
                diag.warn(n, WarningKind::Unknown, format!("Invalid command: {other}"));
                return Ok(());
            }
        };
        diag.extra_arguments(n, words, used);
        self.rules.push(AtRule {
            event,
            ups,
            command,
        });
        Ok(())
    }

    /// Writes the configuration as upssched.conf text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (key, value) in [
            ("CMDSCRIPT", &self.cmdscript),
            ("PIPEFN", &self.pipefn),
            ("LOCKFN", &self.lockfn),
        ] {
            if let Some(v) = value {
                push_line(&mut out, &[key, v]);
            }
        }
        if let Some(v) = self.debug_min {
            push_line(&mut out, &["DEBUG_MIN", &v.to_string()]);
        }
        for rule in &self.rules {
            let ups = match &rule.ups {
                AtUps::Any => "*",
                AtUps::Name(n) => n,
            };
            let mut words = vec!["AT", rule.event.as_str(), ups, rule.command.keyword()];
            let seconds;
            match &rule.command {
                AtCommand::StartTimer { name, seconds: s }
                | AtCommand::StartTimerShared { name, seconds: s } => {
                    seconds = s.to_string();
                    words.extend([name.as_str(), seconds.as_str()]);
                }
                AtCommand::CancelTimer { name, command }
                | AtCommand::CancelTimerMatched { name, command } => {
                    words.push(name);
                    words.extend(command.as_deref());
                }
                AtCommand::Execute { command } => words.push(command),
            }
            push_line(&mut out, &words);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "CMDSCRIPT /bin/true\nPIPEFN /run/p\nLOCKFN /run/l\n";

    fn parse(text: &str) -> Parsed<UpsschedConf> {
        UpsschedConf::parse(text.as_bytes(), "upssched.conf").unwrap()
    }

    #[test]
    fn paths_must_come_first() {
        // C upssched 2.8.0 prints exactly this and exits.
        let err = UpsschedConf::parse(b"FOO bar\nAT ONBATT * START-TIMER x 10\n", "upssched.conf")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "upssched.conf:2: CMDSCRIPT must be set before any ATs in the config file!"
        );
        let err = UpsschedConf::parse(b"CMDSCRIPT a\nPIPEFN b\nAT x * y z\n", "u").unwrap_err();
        assert_eq!(
            err.to_string(),
            "u:3: LOCKFN must be set before any ATs in the config file!"
        );
        // A short AT line is just invalid, even before the paths.
        let p = parse("AT ONBATT *\n");
        assert_eq!(
            p.warnings[0].to_string(),
            "upssched.conf:1: invalid directive AT ONBATT *"
        );
    }

    #[test]
    fn rules_and_messages() {
        let p = parse(&format!(
            "{HEAD}AT ONBATT *\nAT ONBATT * BOGUS x\nAT online * START-TIMER-SHARED x 10\n\
             AT ONLINE * EXECUTE \"\"\nAT COMMBAD * START-TIMER upsgone 10\n\
             AT COMMOK myups@localhost CANCEL-TIMER upsgone back\nAT WHAT * EXECUTE x\n\
             AT ONBATT * START-TIMER t\nAT ONBATT * START-TIMER t -5\nAT ONBATT * EXECUTE a b\n\
             AT OB * CANCEL-TIMER-MATCHED t\nDEBUG_MIN 2\n"
        ));
        let msgs: Vec<_> = p.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "upssched.conf:4: invalid directive AT ONBATT *",
                "upssched.conf:5: Invalid command: BOGUS",
                "upssched.conf:7: Empty EXECUTE command argument",
                "upssched.conf:10: 'WHAT' is not a valid notify event name; this AT line can never match",
                "upssched.conf:11: START-TIMER needs a timer name and an interval; line ignored",
                "upssched.conf:12: bogus offset for timer, ignoring (-5)",
                "upssched.conf:13: AT: extra argument(s) ignored: b (quote values that hold spaces)",
                "upssched.conf:14: 'OB' is not a valid notify event name; this AT line can never match",
            ]
        );
        let c = &p.config;
        assert_eq!(c.debug_min, Some(2));
        assert_eq!(c.rules.len(), 4);
        assert_eq!(
            c.rules[0].command,
            AtCommand::StartTimerShared {
                name: "x".into(),
                seconds: 10
            }
        );
        let hits: Vec<_> = c.matching(NotifyEvent::CommOk, "myups@localhost").collect();
        assert_eq!(
            hits[0].command,
            AtCommand::CancelTimer {
                name: "upsgone".into(),
                command: Some("back".into())
            }
        );
        assert_eq!(
            c.matching(NotifyEvent::CommOk, "MYUPS@localhost").count(),
            0
        );
        assert_eq!(c.matching(NotifyEvent::CommBad, "any@host").count(), 1);
    }

    #[test]
    fn writes_and_reads_back() {
        let mut c = UpsschedConf::new("/usr/bin/upssched-cmd", "/run/nut/p", "/run/nut/l");
        c.rules.push(AtRule::new(
            NotifyEvent::OnBatt,
            AtUps::Any,
            AtCommand::StartTimer {
                name: "on batt".into(),
                seconds: 30,
            },
        ));
        c.rules.push(AtRule::new(
            NotifyEvent::Online,
            AtUps::Name("ups@host".into()),
            AtCommand::CancelTimerMatched {
                name: "on batt".into(),
                command: None,
            },
        ));
        c.rules.push(AtRule::new(
            NotifyEvent::LowBatt,
            AtUps::Any,
            AtCommand::Execute {
                command: "low#1".into(),
            },
        ));
        let text = c.to_text();
        assert_eq!(
            text,
            "CMDSCRIPT /usr/bin/upssched-cmd\nPIPEFN /run/nut/p\nLOCKFN /run/nut/l\n\
             AT ONBATT * START-TIMER \"on batt\" 30\nAT ONLINE ups@host CANCEL-TIMER-MATCHED \"on batt\"\n\
             AT LOWBATT * EXECUTE \"low\\#1\"\n"
        );
        let back = parse(&text);
        assert!(back.warnings.is_empty());
        assert_eq!(back.config, c);
    }
}
