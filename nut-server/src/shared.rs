//! What every task of a server shares: the current configuration with its devices (a
//! [`Snapshot`], replaced as a whole on reload), the tracking table and counters.
//!
//! Sessions keep an `Arc` of the snapshot they use and only look for a newer one when the
//! generation counter moved, so the hot path takes no shared lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use nut_proto::names::{CaseInsensitive, UpsName};

use crate::config::{DeviceConfig, ServerConfig};
use crate::device::Device;
use crate::tracking::Tracker;

/// One version of the configuration with the server's copies of its devices.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) config: ServerConfig,
    devices: Vec<Arc<Device>>,
    index: HashMap<UpsName, usize>,
}

impl Snapshot {
    /// Builds a snapshot; `devices` runs parallel to `config.devices`.
    pub(crate) fn new(config: ServerConfig, devices: Vec<Arc<Device>>) -> Self {
        let index = config
            .devices
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        Self {
            config,
            devices,
            index,
        }
    }

    /// The device called `name` (ignoring case).
    pub(crate) fn device(&self, name: &UpsName) -> Option<&Arc<Device>> {
        self.index.get(name).map(|&i| &self.devices[i])
    }

    /// [`device`](Self::device) by a request's word (any spelling), without making a name.
    pub(crate) fn device_named(&self, name: &str) -> Option<&Arc<Device>> {
        self.index
            .get(CaseInsensitive::new(name))
            .map(|&i| &self.devices[i])
    }

    /// The configuration of the device called `name` (ignoring case).
    pub(crate) fn entry(&self, name: &UpsName) -> Option<&DeviceConfig> {
        self.index.get(name).map(|&i| &self.config.devices[i])
    }

    /// Every device's configuration, in configuration order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &DeviceConfig> {
        self.config.devices.iter()
    }
}

/// Counters a [`ServerHandle`](crate::ServerHandle) reports.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) active: AtomicU64,
    pub(crate) tls: AtomicU64,
}

/// State shared by every task of one server.
#[derive(Debug)]
pub(crate) struct Shared {
    current: RwLock<Arc<Snapshot>>,
    generation: AtomicU64,
    pub(crate) tracker: Tracker,
    next_conn_id: AtomicU64,
    pub(crate) counters: Counters,
    /// Woken whenever a device's state changes (each device holds a clone).
    pub(crate) changes: Arc<tokio::sync::Notify>,
}

impl Shared {
    pub(crate) fn new(snapshot: Snapshot) -> Self {
        Self {
            current: RwLock::new(Arc::new(snapshot)),
            generation: AtomicU64::new(0),
            tracker: Tracker::default(),
            next_conn_id: AtomicU64::new(1),
            counters: Counters::default(),
            changes: Arc::default(),
        }
    }

    /// The current snapshot and its generation.
    pub(crate) fn snapshot(&self) -> (Arc<Snapshot>, u64) {
        let generation = self.generation.load(Ordering::Acquire);
        let snap = Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()));
        (snap, generation)
    }

    /// Whether a newer snapshot than `generation` exists.
    pub(crate) fn is_stale(&self, generation: u64) -> bool {
        self.generation.load(Ordering::Acquire) != generation
    }

    /// Installs a new snapshot.
    pub(crate) fn replace(&self, snapshot: Snapshot) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snapshot);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A fresh connection id (increasing).
    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn_id.fetch_add(1, Ordering::Relaxed)
    }
}
