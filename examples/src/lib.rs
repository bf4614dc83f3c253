#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod cgi;
pub mod daemon;
pub mod demo;
pub mod driver_main;
pub mod sim_script;
pub mod syslog;
pub mod tools;
pub mod upsmon;
pub mod upssched;
pub mod usb_import;

/// The protocol crate, re-exported for the binaries.
pub use nut_proto as proto;
