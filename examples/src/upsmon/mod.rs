//! upsmon: a thin process around [`nut_client::monitor`], which holds the decision, the
//! sessions, POWERDOWNFLAG and the polling loop.
//!
//! * [`notify`] — NOTIFYMSG, NOTIFYFLAG, NOTIFYCMD and `wall`.
//! * [`monitor`] — the monitoring process: signals, reload, carrying out the actions.
//! * [`cli`] — the command line and the privileged parent / unprivileged child split.

pub mod cli;
pub mod monitor;
pub mod notify;
