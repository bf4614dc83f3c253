//! upsmon: the shutdown decision (a pure state machine) and the daemon around it.
//!
//! * [`decision`] — what C upsmon decides, driven by poll results and a clock passed in.
//! * [`notify`] — NOTIFYMSG, NOTIFYFLAG and NOTIFYCMD.
//! * [`settings`] — the numbers the decision uses, with C's defaults.
//! * [`session`] — the connection to upsd for one MONITOR line.
//! * [`flag`] — the POWERDOWNFLAG file.
//! * [`monitor`] — the polling loop and its signals.
//! * [`cli`] — the command line and the privileged parent / unprivileged child split.

pub mod cli;
pub mod decision;
pub mod flag;
pub mod monitor;
pub mod notify;
pub mod session;
pub mod settings;
