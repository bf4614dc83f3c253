//! upssched: timers started and cancelled by notifications, run through a background process.
//!
//! * the timer queue is [`nut_client::monitor::timers`]; the lines sent over the PIPEFN
//!   socket are [`nut_proto::upssched`]'s.
//! * [`daemon`] — the background timer process.
//! * [`client`] — what one invocation by upsmon does, and the command line.

pub mod client;
pub mod daemon;
