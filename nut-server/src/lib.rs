#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod config;
mod connection;
mod device;
mod driver;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "mdns")]
pub mod mdns;
mod on_wake;
mod poller;
mod server;
mod session;
mod shared;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod tls;
mod tracking;

pub use config::{
    ConfigPaths, DeviceConfig, Loaded, ServerConfig, DEFAULT_CONFPATH, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_RECONNECT_DELAY, DEFAULT_STATEPATH, UPS_VERSION,
};
pub use server::{Server, ServerBuilder, ServerHandle, Stats};
pub use tls::TlsSettings;

/// The driver API crate (device state and driver links), re-exported.
pub use nut_driver_api as driver_api;
/// The protocol crate this crate builds on, re-exported so that users need one dependency.
pub use nut_proto as proto;
/// The cancellation token type used for shutdown.
pub use tokio_util::sync::CancellationToken;

/// Why a server could not start or reload.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A configuration file could not be read or makes no sense (the message names the file
    /// and line).
    #[error("configuration: {0}")]
    Config(String),
    /// The TLS certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// Listening addresses could not be bound (and not all are required to be).
    #[error("cannot listen on {0}")]
    Listen(String),
    /// A `LISTEN` name did not resolve at start-up (C upsd's wording, with the resolver's
    /// message).
    #[error("getaddrinfo: {0}")]
    Resolve(String),
    /// No `LISTEN` address could be bound (C upsd's wording).
    #[error("no listening interface available")]
    NoListeningInterface,
    /// Neither a `LISTEN` address nor a listener was given.
    #[error("nothing to listen on: give a LISTEN address or a listener")]
    NoListener,
    /// Another I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
