//! NUT servers (C's `-O`): connect to upsd at every address of a range and list its UPSes.

use std::net::IpAddr;
use std::time::Duration;

use nut_client::{Client, ClientConfig};

use crate::runner::{run_all, ScanOptions};
use crate::{Bus, Finding, IpRange};

/// upsd's port when none is given.
pub use nut_proto::net::DEFAULT_PORT;

/// The UPSes of one upsd: `[]` when nothing answers there.
pub async fn probe_server(addr: IpAddr, port: u16, timeout: Duration) -> Vec<Finding> {
    let config = ClientConfig::builder(addr.to_string())
        .port(port)
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .build();
    let client = match Client::connect(config).await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("{addr}:{port}: {e}");
            return Vec::new();
        }
    };
    let list = match client.list_ups().await {
        Ok(list) => list,
        Err(e) => {
            tracing::debug!("{addr}:{port}: LIST UPS: {e}");
            return Vec::new();
        }
    };
    let _ = client.logout().await;
    list.into_iter()
        .map(|ups| {
            // C writes the host without the port, even for a server on another port.
            let mut f = Finding::new(Bus::Nut, "nutclient", format!("{}@{addr}", ups.name));
            f.description = Some(ups.desc.to_string());
            f.server = Some(std::net::SocketAddr::new(addr, port));
            f
        })
        .collect()
}

/// Every UPS of every upsd in `range` on `port` (3493 when `None`).
///
/// A probe gets the options' timeout to connect and again to read each reply; a silent
/// address costs one timeout, and `options.parallel` addresses are probed at once.
pub async fn scan(range: &IpRange, port: Option<u16>, options: &ScanOptions) -> Vec<Finding> {
    let port = port.unwrap_or(DEFAULT_PORT);
    let timeout = options.timeout;
    run_all(
        range.iter(),
        u64::try_from(range.len()).unwrap_or(u64::MAX),
        options,
        timeout * 3,
        |addr| probe_server(addr, port, timeout),
    )
    .await
}
