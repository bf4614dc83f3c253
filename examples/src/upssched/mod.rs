//! upssched: timers started and cancelled by notifications, run through a background process.
