#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod cgi;
pub mod demo;
pub mod upsmon;
pub mod upssched;
pub mod usb_import;

/// The protocol crate, re-exported for the binaries.
pub use nut_proto as proto;

/// The daemons' shared process set-up (logging, background, PID files, privilege drop),
/// from nut-driver-api.
pub use nut_driver_api::process::daemon;
/// The system log as C NUT uses it, from nut-driver-api.
pub use nut_driver_api::process::syslog;
