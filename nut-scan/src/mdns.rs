//! NUT servers announced over mDNS/DNS-SD (C's `-A`): browse `_nut._tcp` (the name RFC 9271
//! registers) and `_upsd._tcp` (the one C looks for) for a while, then turn each server into
//! findings as C does: one per UPS of its `device_list` TXT entry (`name;name;…`), or, when it
//! lists none, the UPSes upsd itself lists, or else the server alone.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use mdns_sd::{ResolvedService, ServiceDaemon, ServiceEvent};

use crate::runner::ScanOptions;
use crate::{nut, Bus, Finding};

/// The service types browsed.
pub const SERVICE_TYPES: [&str; 2] = ["_nut._tcp.local.", "_upsd._tcp.local."];

/// mDNS could not be used at all (no socket, no interface).
#[derive(Debug, thiserror::Error)]
#[error("mDNS: {0}")]
pub struct MdnsError(#[from] mdns_sd::Error);

/// One server as announced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Announcement {
    /// The instance's full name (`myhost._nut._tcp.local.`).
    pub fullname: String,
    /// The host name, without the final dot (`myhost.local`).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// Its addresses, IPv4 first.
    pub addresses: Vec<IpAddr>,
    /// The UPS names of its `device_list` TXT entry, if it has one.
    pub devices: Option<Vec<String>>,
}

impl Announcement {
    fn from_resolved(s: &ResolvedService) -> Self {
        let mut addresses: Vec<IpAddr> = s.get_addresses().iter().map(|a| a.to_ip_addr()).collect();
        addresses.sort_by_key(|a| (a.is_ipv6(), *a));
        Self {
            fullname: s.fullname.clone(),
            host: s.host.trim_end_matches('.').to_owned(),
            port: s.port,
            addresses,
            devices: s.get_property_val_str("device_list").map(|l| {
                l.split(';')
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
        }
    }
}

/// Every server announced within `listen`, by full name.
pub async fn browse(listen: Duration) -> Result<Vec<Announcement>, MdnsError> {
    let daemon = ServiceDaemon::new()?;
    let receivers = SERVICE_TYPES
        .iter()
        .map(|t| daemon.browse(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut found = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + listen;
    loop {
        let next = futures_util::future::select_all(receivers.iter().map(|r| r.recv_async()));
        match tokio::time::timeout_at(deadline, next).await {
            Err(_) => break,
            Ok((Ok(ServiceEvent::ServiceResolved(s)), _, _)) => {
                let a = Announcement::from_resolved(&s);
                found.insert(a.fullname.clone(), a);
            }
            Ok((Ok(_), _, _)) => {}
            Ok((Err(_), _, _)) => break,
        }
    }
    let _ = daemon.shutdown();
    Ok(found.into_values().collect())
}

/// The findings of one announced server, as C makes them.
pub async fn findings(a: &Announcement, timeout: Duration) -> Vec<Finding> {
    let desc = match a.addresses.first() {
        Some(IpAddr::V6(_)) => "IPv6",
        _ => "IPv4",
    };
    let at = |name: Option<&str>| {
        let server = if a.port == nut::DEFAULT_PORT {
            a.host.clone()
        } else {
            format!("{}:{}", a.host, a.port)
        };
        let port = match name {
            Some(n) => format!("{n}@{server}"),
            None => server,
        };
        let mut f = Finding::new(Bus::Nut, "nutclient", port).with_option("desc", desc);
        f.server = a
            .addresses
            .first()
            .map(|ip| std::net::SocketAddr::new(*ip, a.port));
        f
    };
    if let Some(devices) = &a.devices {
        if !devices.is_empty() {
            return devices.iter().map(|d| at(Some(d))).collect();
        }
    }
    for ip in &a.addresses {
        let listed = nut::probe_server(*ip, a.port, timeout).await;
        if !listed.is_empty() {
            return listed;
        }
    }
    vec![at(None)]
}

/// Every NUT server announced within `options.timeout`, and its UPSes. A server announced
/// under both service types (as our upsd is) counts once: the first announcement of a host
/// and port is used.
pub async fn scan(options: &ScanOptions) -> Result<Vec<Finding>, MdnsError> {
    let servers = browse(options.timeout).await?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for a in &servers {
        if seen.insert((a.host.to_ascii_lowercase(), a.port)) {
            out.extend(findings(a, options.timeout).await);
        }
    }
    Ok(out)
}
