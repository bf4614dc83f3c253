#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

/// The protocol crate, re-exported for the binaries.
pub use nut_proto as proto;
