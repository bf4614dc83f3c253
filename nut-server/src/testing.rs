//! In-memory client↔server pairs (feature `testing`): a [`Client`] or a
//! [`Connector`] whose connections a running [`Server`](crate::Server) serves over
//! [`tokio::io::duplex`] pipes, with no TCP port. For tests, examples, and applications that
//! talk to the server they embed.
//!
//! ```
//! use nut_server::driver_api::link::{in_process, DriverEndpoint};
//! use nut_server::driver_api::{proto::names::UpsName, state::DeviceState};
//! use nut_server::{testing, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (link, mut drivers) = in_process();
//! tokio::spawn(async move {
//!     let mut ups = DeviceState::new();
//!     ups.set("ups.status", "OL").unwrap();
//!     ups.set_data_ok(true);
//!     while let Some(mut server) = drivers.accept().await {
//!         server.send_all(ups.dump()).await.unwrap();
//!         while server.recv().await.is_some() {}
//!     }
//! });
//! let server = Server::builder()
//!     .device(UpsName::new("myups")?, DriverEndpoint::InProcess(link))
//!     .in_memory()
//!     .start()
//!     .await?;
//! let client = testing::pair(&server.handle()).await?;
//! let mut status = client.get_var("myups", "ups.status").await;
//! while status.as_ref().is_err() || status.as_ref().unwrap().as_str() == "WAIT" {
//!     tokio::task::yield_now().await; // until the driver's dump is in
//!     status = client.get_var("myups", "ups.status").await;
//! }
//! assert_eq!(status?.as_str(), "OL");
//! # Ok(())
//! # }
//! ```

use nut_client::{Client, ClientConfig, Connector};

use crate::ServerHandle;

/// How large each in-memory pipe's buffer is, in bytes, each way.
const PIPE_BUFFER: usize = 64 * 1024;

/// The address in-memory clients appear to come from (`LIST CLIENT`, logs).
pub const PEER: &str = "127.0.0.1";

/// A connector whose every connection is a fresh in-memory pipe served by `server` (the
/// host and port asked for are ignored). Give it to
/// [`ClientConfigBuilder::connector`](nut_client::ClientConfigBuilder::connector) or to
/// `nut_client::monitor::Monitor::with_connector`.
pub fn connector(server: &ServerHandle) -> Connector {
    let server = server.clone();
    Connector::new(move |_host, _port| {
        let (near, far) = tokio::io::duplex(PIPE_BUFFER);
        server.serve_connection(far, PEER);
        async move { Ok(near) }
    })
}

/// A client connected to `server` over an in-memory pipe, with the default settings
/// (no TLS, no credentials).
pub async fn pair(server: &ServerHandle) -> nut_client::Result<Client> {
    Client::connect(
        ClientConfig::builder("in-memory")
            .connector(connector(server))
            .build(),
    )
    .await
}
