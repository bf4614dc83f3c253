#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod link;
pub mod state;

/// The protocol crate this crate builds on, re-exported so that users need one dependency.
pub use nut_proto as proto;
