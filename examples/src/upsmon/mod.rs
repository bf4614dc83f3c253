//! upsmon: the shutdown decision (a pure state machine) and the daemon around it.
