//! upssched: timers started and cancelled by notifications, run through a background process.
//!
//! * [`timers`] — the timer queue, pure, on a clock passed in.
//! * the lines sent over the PIPEFN socket are [`nut_proto::upssched`]'s.
//! * [`daemon`] — the background timer process.
//! * [`client`] — what one invocation by upsmon does, and the command line.

pub mod client;
pub mod daemon;
pub mod timers;
