//! Integration tests of nut-server: recorded sessions, C clients against our upsd, and the
//! server's behaviour over time (reload, TLS, stale drivers, limits).

mod behaviour;
mod clients;
mod sessions;
mod support;
mod tls;
