#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod c_text;
#[cfg(feature = "cgi")]
#[cfg_attr(docsrs, doc(cfg(feature = "cgi")))]
pub mod cgi;
mod client;
mod config;
mod connection;
mod error;
#[cfg(feature = "monitor")]
#[cfg_attr(docsrs, doc(cfg(feature = "monitor")))]
pub mod monitor;
mod names;
mod session;
pub mod strftime;
mod tls;
#[cfg(feature = "tools")]
#[cfg_attr(docsrs, doc(cfg(feature = "tools")))]
pub mod tools;
mod transport;
mod types;
mod watch;

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;

pub use client::Client;
pub use config::{ClientConfig, ClientConfigBuilder, ReconnectPolicy, TlsConfig, TlsMode};
pub use error::{Error, Result};
pub use names::IntoName;
pub use transport::{Connector, Transport};
pub use types::{Grant, TrackingStatus, VarEntry, VarValue, Variable};
pub use watch::{diff, Snapshot, VarChange, Watch};

/// The protocol crate this crate builds on, re-exported so that users need one dependency.
pub use nut_proto as proto;
