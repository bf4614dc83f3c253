//! The [`Source`] inside upsd: the server's own copies of its devices, read under each
//! device's lock, woken by the devices' change notification; SET and INSTCMD go through a
//! network-protocol session of their own, so that they meet exactly the checks and the
//! ACL a TCP client meets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::BytesMut;
use nut_proto::net::{ErrorCode, VarKind};

use super::source::{Credentials, DeviceData, Source, VarData, WriteError};
use crate::config::DeviceConfig;
use crate::device::Device;
use crate::session::Session;
use crate::shared::Shared;

/// How long the source waits for more changes once one came, so that a driver's burst of
/// updates makes one reading.
const SETTLE: Duration = Duration::from_millis(50);
/// Data can go stale without a change (a silent driver): the longest wait between readings.
const RECHECK: Duration = Duration::from_secs(1);

/// The devices of a running server.
#[derive(Debug)]
pub(crate) struct UpsdSource {
    shared: Arc<Shared>,
    cache: Mutex<Cache>,
}

impl UpsdSource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Runs protocol lines in a fresh session and returns the reply to the last one, or
    /// the first error.
    fn session(&self, who: &Credentials, lines: &[Vec<&str>]) -> Result<(), WriteError> {
        let (snap, _) = self.shared.snapshot();
        let mut session = Session::new(self.shared.next_conn_id(), &who.peer);
        for words in lines {
            let mut out = BytesMut::new();
            session.handle(&self.shared, &snap, words, &mut out);
            let reply = String::from_utf8_lossy(&out);
            let reply = reply.trim_end();
            if let Some(code) = reply.strip_prefix("ERR ") {
                let code = code.split(' ').next().unwrap_or(code);
                return Err(WriteError::Refused(
                    code.parse().unwrap_or(ErrorCode::Unknown),
                ));
            }
        }
        Ok(())
    }
}

/// The copy of one device that the source made last, and the generation of the
/// configuration it belongs to.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    generation: u64,
    devices: HashMap<String, Arc<DeviceData>>,
}

impl UpsdSource {
    /// A copy of `dev` as it is now.
    fn read(entry: &DeviceConfig, dev: &Device, error: Option<String>) -> DeviceData {
        let mut data = DeviceData::new(entry.name.as_str());
        data.desc = entry.desc.clone();
        if error.is_some() {
            data.error = error;
            return data;
        }
        let link = dev.read();
        let fsd = dev.fsd();
        data.vars = link
            .state
            .variables()
            .map(|v| {
                let mut value = v.value().as_str().to_owned();
                if fsd && v.name().matches("ups.status") {
                    value = format!("FSD {value}");
                }
                VarData {
                    name: v.name().as_str().to_owned(),
                    value,
                    writable: v.is_writable(),
                    kind: Some(if v.is_string() {
                        VarKind::String { max_len: v.aux() }
                    } else {
                        VarKind::Number
                    }),
                    enums: v.enums().iter().map(|e| e.as_str().to_owned()).collect(),
                    ranges: v
                        .ranges()
                        .iter()
                        .map(|&(a, b)| (i64::from(a), i64::from(b)))
                        .collect(),
                }
            })
            .collect();
        data.commands = link
            .state
            .commands()
            .map(|c| c.as_str().to_owned())
            .collect();
        data
    }
}

#[async_trait]
impl Source for UpsdSource {
    /// Copies only the devices that changed (or became available or not) since the last
    /// call; the others are the same `Arc` as before.
    async fn devices(&self) -> Vec<Arc<DeviceData>> {
        let (snap, generation) = self.shared.snapshot();
        let maxage = snap.config.maxage;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.generation != generation {
            cache.devices.clear();
            cache.generation = generation;
        }
        snap.entries()
            .filter_map(|entry| {
                let dev = snap.device(&entry.name)?;
                let changed = dev.take_changed();
                let error = dev.read().unavailable(maxage).map(|c| c.to_string());
                let name = entry.name.as_str();
                if let Some(d) = cache.devices.get(name) {
                    if !changed && d.error == error {
                        return Some(Arc::clone(d));
                    }
                }
                let data = Arc::new(Self::read(entry, dev, error));
                cache.devices.insert(name.to_owned(), Arc::clone(&data));
                Some(data)
            })
            .collect()
    }

    async fn changed(&self) {
        let _ = tokio::time::timeout(RECHECK, self.shared.changes.notified()).await;
        tokio::time::sleep(SETTLE).await;
    }

    async fn set_var(
        &self,
        who: &Credentials,
        ups: &str,
        var: &str,
        value: &str,
    ) -> Result<(), WriteError> {
        self.session(
            who,
            &[
                vec!["USERNAME", &who.username],
                vec!["PASSWORD", who.password.expose()],
                vec!["SET", "VAR", ups, var, value],
            ],
        )
    }

    async fn instcmd(
        &self,
        who: &Credentials,
        ups: &str,
        cmd: &str,
        param: Option<&str>,
    ) -> Result<(), WriteError> {
        let mut line = vec!["INSTCMD", ups, cmd];
        line.extend(param);
        self.session(
            who,
            &[
                vec!["USERNAME", &who.username],
                vec!["PASSWORD", who.password.expose()],
                line,
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;
    use crate::shared::Snapshot;
    use nut_driver_api::link::{in_process, DriverEndpoint};
    use nut_proto::names::{UpsName, Value, VarName};
    use nut_proto::sock::DriverMessage;

    fn set(var: &str, value: &str) -> DriverMessage {
        DriverMessage::SetInfo {
            var: VarName::new(var).unwrap(),
            value: Value::new(value).unwrap(),
        }
    }

    #[tokio::test]
    async fn only_changed_devices_are_copied() {
        let mut config = ServerConfig::default();
        let changes = Arc::new(tokio::sync::Notify::new());
        let mut devices = Vec::new();
        for name in ["a", "b"] {
            let name = UpsName::new(name).unwrap();
            config.devices.push(DeviceConfig::new(
                name.clone(),
                DriverEndpoint::InProcess(in_process().0),
            ));
            let dev = Arc::new(Device::new(name, Arc::clone(&changes)));
            dev.on_connect(tokio::sync::mpsc::channel(1).0);
            dev.on_message(&set("ups.status", "OL"));
            dev.on_message(&DriverMessage::DataOk);
            dev.on_message(&DriverMessage::DumpDone);
            devices.push(dev);
        }
        let shared = Arc::new(Shared::new(Snapshot::new(config, devices.clone())));
        let source = UpsdSource::new(shared);
        let first = source.devices().await;
        assert_eq!(first[0].value("ups.status"), Some("OL"));
        let same = source.devices().await;
        assert!(Arc::ptr_eq(&first[0], &same[0]) && Arc::ptr_eq(&first[1], &same[1]));
        devices[1].on_message(&set("ups.status", "OB"));
        let next = source.devices().await;
        assert!(Arc::ptr_eq(&first[0], &next[0]));
        assert_eq!(next[1].value("ups.status"), Some("OB"));
        devices[0].set_fsd();
        assert_eq!(
            source.devices().await[0].value("ups.status"),
            Some("FSD OL")
        );
        devices[1].on_disconnect();
        let gone = source.devices().await;
        assert_eq!(gone[1].error.as_deref(), Some("DRIVER-NOT-CONNECTED"));
        assert!(gone[1].vars.is_empty());
    }
}
