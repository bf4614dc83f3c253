#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod display;
mod finding;
#[cfg(feature = "mdns")]
pub mod mdns;
pub mod nut;
mod range;
mod runner;
#[cfg(feature = "serial")]
pub mod serial;
pub mod simulation;
#[cfg(feature = "snmp")]
pub mod snmp;
#[cfg(feature = "usb")]
pub mod usb;

pub use finding::{Bus, Finding};
pub use range::{IpRange, RangeError};
pub use runner::{Progress, ScanOptions, DEFAULT_PARALLEL, DEFAULT_TIMEOUT};

/// The protocol crate this crate builds on, re-exported so that users need one dependency.
pub use nut_proto as proto;
