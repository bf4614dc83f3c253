#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod calibrate;
pub mod compare;
pub mod contend;
pub mod figure;
pub mod footprint;
pub mod load;
pub mod rounds;
pub mod servers;
pub mod snmp_scale;
pub mod web_load;

/// The protocol crate, re-exported for the benchmarks.
pub use nut_proto as proto;
