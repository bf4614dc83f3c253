//! Safe-shutdown monitoring: upsmon's logic as a library (feature `monitor`).
//!
//! An application that runs on UPS power asks one question: *when must I shut down?* This
//! module answers it the way C NUT's `upsmon` 2.8.0 does, for one or more `ups@host`
//! systems described by the `MONITOR` lines of an upsmon.conf
//! ([`UpsmonConf`](nut_proto::config::UpsmonConf)): power values and `MINSUPPLIES`,
//! primary and secondary roles, `HOSTSYNC`, `DEADTIME`, `FINALDELAY`, forced shutdown (FSD)
//! and the POWERDOWNFLAG file.
//!
//! It comes in two layers:
//!
//! * [`Decider`] (in [`decision`]): the decision as a pure state machine. It is told what
//!   each poll returned and what time it is (a [`Duration`](std::time::Duration) since any
//!   origin), and answers with [`Action`]s: a [`Notification`] of one of upsmon's event
//!   types ([`NotifyEvent`](nut_proto::config::NotifyEvent): ONLINE, ONBATT, LOWBATT, FSD,
//!   COMMOK, COMMBAD, SHUTDOWN, REPLBATT, NOCOMM, NOPARENT, CAL, NOTCAL, OFF, NOTOFF, BYPASS,
//!   NOTBYPASS, …), "set FSD on this UPS", or [`Action::Shutdown`]: *shut down now*. No
//!   sockets and no clock, so every scenario replays in a unit test.
//! * [`Monitor`]: the same decision driven over the network. It keeps one
//!   [`UpsSession`] per `MONITOR` line (login, `PRIMARY`, STARTTLS as upsmon.conf says),
//!   polls `ups.status` every `POLLFREQ`/`POLLFREQALERT` seconds, sends `FSD` itself when it
//!   is the primary, and hands the application the other actions, one at a time, from
//!   [`Monitor::next_action`].
//!
//! Beyond C upsmon, upsmon.conf may set per-UPS shutdown limits (`SHUTDOWNCHARGE`,
//! `SHUTDOWNRUNTIME`, `SHUTDOWNONBATT`, see
//! [`ShutdownThresholds`](nut_proto::config::ShutdownThresholds)), which the decider applies
//! (a UPS past one counts as critical, with a LOWBATT that names the reason), and it counts
//! the time each UPS spends on battery ([`Decider::on_battery_for`],
//! [`Decider::time_on_battery`]). [`EventLog`] writes the events with their times to a file
//! (`EVENTLOG`). C upsmon 2.8.0 logs these keywords as "invalid directive" and goes on, so
//! one upsmon.conf serves both.
//!
//! Beside them: [`powerdown_flag`] (the file that tells the shutdown scripts to cut the
//! UPS's power) and [`timers`] (upssched's timer queue, whose command-socket lines are
//! [`nut_proto::upssched`]'s).
//!
//! What the application does with a notification (run a command, write to syslog, `wall`)
//! and how it shuts down stay its own business: our `upsmon` program is a thin shell that
//! does exactly what C upsmon does with them.
//!
//! # Example
//!
//! The pure decision, on a clock of its own: a secondary of one UPS shuts down when the UPS
//! reports low battery while on battery.
//!
//! ```
//! use std::time::Duration;
//! use nut_client::monitor::{Action, Decider};
//! use nut_client::proto::config::{NotifyEvent, UpsmonConf};
//!
//! let text = "MONITOR myups@localhost 1 monuser secret secondary\nFINALDELAY 0\n";
//! let conf = UpsmonConf::parse(text.as_bytes(), "upsmon.conf").unwrap().config;
//! let mut decider = Decider::new(&conf);
//! let at = Duration::from_secs;
//!
//! assert!(decider.poll_status(0, "OL", None, at(0)).is_empty());
//! assert!(decider.check(at(0)).is_empty());
//! let events = decider.poll_status(0, "OB DISCHRG", None, at(5));
//! assert!(matches!(&events[..], [Action::Notify(n)] if n.event == NotifyEvent::OnBatt));
//! decider.poll_status(0, "OB LB", None, at(10));
//! // A secondary gives the primary HOSTSYNC (15 s) to set FSD first.
//! assert!(decider.check(at(10)).is_empty());
//! decider.poll_status(0, "OB LB", None, at(30));
//! assert!(decider.check(at(30)).contains(&Action::Shutdown));
//! ```

pub mod decision;
pub mod event_log;
pub mod powerdown_flag;
mod runner;
mod session;
mod settings;
pub mod timers;

pub use decision::{Action, Decider, Notification, Phase, UpsFlags};
pub use event_log::EventLog;
pub use runner::Monitor;
pub use session::{Family, PollOutcome, SessionError, UpsSession, NET_TIMEOUT};
pub use settings::Settings;
