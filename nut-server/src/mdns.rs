//! The server's announcement over mDNS/DNS-SD (feature `mdns`; `MDNS_ANNOUNCE` in upsd.conf).
//!
//! The server is announced under two service types: `_nut._tcp`, the name RFC 9271 registers
//! and the one C NUT's avahi service file announces, and `_upsd._tcp`, the one C's
//! `nut-scanner -A` browses. The instance is named after the host (its first label, as avahi
//! names the host), the SRV record points at `<host>.local` and the port upsd listens on, and
//! the TXT record carries `txtvers=1`, `protovers=1.3` and `device_list=<ups>;<ups>;…`, from
//! which scanners make one `ups.conf` section per UPS without connecting. A list too long for
//! one TXT string (255 bytes) is left out; scanners then ask upsd for its UPSes.
//!
//! The records change when a reload changes the devices or the listeners, and are withdrawn
//! (goodbye packets) when the server stops. The mDNS responder is the `mdns-sd` crate's, which
//! runs on a thread of its own beside the async runtime; it shares port 5353 with avahi or any
//! other responder on the host.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceInfo};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The service types announced.
pub const SERVICE_TYPES: [&str; 2] = ["_nut._tcp.local.", "_upsd._tcp.local."];

/// The protocol version announced (what `PROTVER` answers).
const PROTOCOL_VERSION: &str = "1.3";

/// The longest string a TXT record holds.
const TXT_STRING_MAX: usize = 255;

/// How long the withdrawal may take before the responder is shut down anyway.
const WITHDRAW_DEADLINE: Duration = Duration::from_secs(2);

/// mdns-sd sends each goodbye a second time 120 ms after the first.
const GOODBYE_REPEAT: Duration = Duration::from_millis(250);

/// What is announced: where the server listens and what it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The TCP port.
    port: u16,
    /// The addresses listening on that port; empty with `auto`.
    addrs: Vec<IpAddr>,
    /// A wildcard address (`0.0.0.0`, `::`) listens: announce every interface's addresses.
    auto: bool,
    /// The UPS names, in ups.conf order.
    devices: Vec<String>,
}

impl Record {
    /// The record for a server listening on `listening` (the first address gives the port;
    /// the others on that port are announced with it) and serving `devices`. `None` when it
    /// listens nowhere.
    pub(crate) fn new(listening: &[SocketAddr], devices: Vec<String>) -> Option<Self> {
        let port = listening.first()?.port();
        let on_port = listening.iter().filter(|a| a.port() == port);
        let auto = on_port.clone().any(|a| a.ip().is_unspecified());
        let mut addrs: Vec<IpAddr> = if auto {
            Vec::new()
        } else {
            on_port.map(SocketAddr::ip).collect()
        };
        addrs.dedup();
        Some(Self {
            port,
            addrs,
            auto,
            devices,
        })
    }

    /// The TXT record's strings, `device_list` only when it fits in one.
    fn txt(&self) -> Vec<(&'static str, String)> {
        let mut txt = vec![
            ("txtvers", "1".to_owned()),
            ("protovers", PROTOCOL_VERSION.to_owned()),
        ];
        let list = self.devices.join(";");
        if "device_list=".len() + list.len() <= TXT_STRING_MAX {
            txt.push(("device_list", list));
        } else {
            tracing::info!(
                "mDNS: the device list is too long for a TXT record; announcing the server without it"
            );
        }
        txt
    }

    /// The service entries to register: one per service type.
    fn services(&self, instance: &str) -> Result<Vec<ServiceInfo>, mdns_sd::Error> {
        let host = format!("{instance}.local.");
        let txt = self.txt();
        SERVICE_TYPES
            .iter()
            .map(|ty| {
                let info =
                    ServiceInfo::new(ty, instance, &host, &self.addrs[..], self.port, &txt[..])?;
                Ok(if self.auto {
                    info.enable_addr_auto()
                } else {
                    info
                })
            })
            .collect()
    }
}

/// The host's name as avahi announces it: the first label of the system's host name.
fn instance_name() -> String {
    let name = nix::unistd::gethostname()
        .ok()
        .and_then(|n| n.into_string().ok())
        .unwrap_or_default();
    match name.split('.').next() {
        Some(first) if !first.is_empty() => first.to_owned(),
        _ => "upsd".to_owned(),
    }
}

/// A running announcement: a task that keeps the records up to date until stopped.
#[derive(Debug)]
pub(crate) struct Announcer {
    record: watch::Sender<Option<Record>>,
    cancel: CancellationToken,
}

impl Announcer {
    /// Starts announcing `record` on a task of `tasks`, until `parent` or
    /// [`stop`](Self::stop) ends it, then withdraws it.
    pub(crate) fn start(
        record: Option<Record>,
        parent: &CancellationToken,
        tasks: &TaskTracker,
    ) -> Self {
        let (tx, rx) = watch::channel(record);
        let cancel = parent.child_token();
        tasks.spawn(run(rx, cancel.clone()));
        Self { record: tx, cancel }
    }

    /// Announces `record` instead (nothing happens when it is the same).
    pub(crate) fn update(&self, record: Option<Record>) {
        self.record.send_if_modified(|old| {
            let changed = *old != record;
            *old = record;
            changed
        });
    }

    /// Withdraws the announcement and ends the task.
    pub(crate) fn stop(self) {
        self.cancel.cancel();
    }
}

async fn run(mut rx: watch::Receiver<Option<Record>>, cancel: CancellationToken) {
    let daemon = match ServiceDaemon::new() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("mDNS: cannot announce the server: {e}");
            return;
        }
    };
    let instance = instance_name();
    let mut announced: Vec<String> = Vec::new();
    loop {
        let record = rx.borrow_and_update().clone();
        let services = match record.as_ref().map(|r| r.services(&instance)) {
            None => Ok(Vec::new()),
            Some(s) => s,
        };
        match services {
            Ok(services) => {
                let names: Vec<String> = services
                    .iter()
                    .map(|s| s.get_fullname().to_owned())
                    .collect();
                for gone in announced.iter().filter(|n| !names.contains(n)) {
                    let _ = daemon.unregister(gone);
                }
                for service in services {
                    if let Err(e) = daemon.register(service) {
                        tracing::error!("mDNS: cannot announce the server: {e}");
                    }
                }
                if let Some(r) = &record {
                    tracing::info!(
                        "mDNS: announcing {instance} ({}) port {} with {} UPS",
                        SERVICE_TYPES.join(", "),
                        r.port,
                        r.devices.len()
                    );
                }
                announced = names;
            }
            Err(e) => tracing::error!("mDNS: cannot announce the server: {e}"),
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            changed = rx.changed() => if changed.is_err() { break },
        }
    }
    withdraw(&daemon, &announced).await;
}

/// Sends the goodbye packets of `names`, waits for their repeat, and stops the responder.
async fn withdraw(daemon: &ServiceDaemon, names: &[String]) {
    let goodbyes = async {
        for name in names {
            if let Ok(status) = daemon.unregister(name) {
                let _ = status.recv_async().await;
            }
        }
        if !names.is_empty() {
            tokio::time::sleep(GOODBYE_REPEAT).await;
        }
        if let Ok(status) = daemon.shutdown() {
            let _ = status.recv_async().await;
        }
    };
    if tokio::time::timeout(WITHDRAW_DEADLINE, goodbyes)
        .await
        .is_err()
    {
        tracing::warn!("mDNS: the announcement was not withdrawn in time");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn record_from_listeners() {
        assert_eq!(Record::new(&[], vec![]), None);
        let r = Record::new(
            &[
                addr("127.0.0.1:3493"),
                addr("[::1]:3493"),
                addr("127.0.0.2:4000"),
            ],
            vec!["a".into(), "b".into()],
        )
        .unwrap();
        assert_eq!(r.port, 3493);
        assert_eq!(r.addrs, [addr("127.0.0.1:1").ip(), addr("[::1]:1").ip()]);
        assert!(!r.auto);
        assert_eq!(
            r.txt(),
            [
                ("txtvers", "1".to_owned()),
                ("protovers", "1.3".to_owned()),
                ("device_list", "a;b".to_owned())
            ]
        );
        let services = r.services("host").unwrap();
        assert_eq!(services.len(), 2);
        assert_eq!(services[0].get_fullname(), "host._nut._tcp.local.");
        assert_eq!(services[1].get_fullname(), "host._upsd._tcp.local.");
        assert_eq!(services[1].get_hostname(), "host.local.");
        assert_eq!(services[1].get_property_val_str("device_list"), Some("a;b"));

        let wild = Record::new(&[addr("0.0.0.0:3493")], vec![]).unwrap();
        assert!(wild.auto && wild.addrs.is_empty());
        assert!(wild.services("host").unwrap()[0].is_addr_auto());
    }

    #[test]
    fn a_long_device_list_is_left_out() {
        let devices: Vec<String> = (0..40).map(|i| format!("ups-number-{i}")).collect();
        let r = Record::new(&[addr("127.0.0.1:3493")], devices).unwrap();
        let txt = r.txt();
        assert_eq!(txt.len(), 2);
        assert!(r.services("host").is_ok());
    }
}
