#![doc = include_str!("../README.md")]
// Unsafe code only where a safe API is missing, each use allowed where it is, with its proof.
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod alarm;
pub mod cli;
pub mod config;
pub mod driver;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod link;
#[cfg(feature = "process")]
#[cfg_attr(docsrs, doc(cfg(feature = "process")))]
pub mod process;
pub mod runtime;
mod serve;
pub mod state;
pub mod status;

pub use driver::{CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec};
pub use runtime::{DriverRuntime, RunOutcome, RuntimeError};
pub use state::DeviceState;
pub use status::StatusBuilder;
/// The cancellation token the runtime stops on, re-exported from tokio-util.
pub use tokio_util::sync::CancellationToken;

/// The protocol crate this crate builds on, re-exported so that users need one dependency.
pub use nut_proto as proto;
