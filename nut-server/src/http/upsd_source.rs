//! The [`Source`] inside upsd: the server's own copies of its devices, read under each
//! device's lock, woken by the devices' change notification; SET and INSTCMD go through a
//! network-protocol session of their own, so that they meet exactly the checks and the
//! ACL a TCP client meets.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::BytesMut;
use nut_proto::net::{ErrorCode, VarKind};

use super::source::{Credentials, DeviceData, Source, VarData, WriteError};
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
}

impl UpsdSource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
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

#[async_trait]
impl Source for UpsdSource {
    async fn devices(&self) -> Vec<DeviceData> {
        let (snap, _) = self.shared.snapshot();
        let maxage = snap.config.maxage;
        snap.entries()
            .filter_map(|entry| {
                let dev = snap.device(&entry.name)?;
                let mut data = DeviceData::new(entry.name.as_str());
                data.desc = entry.desc.clone();
                let link = dev.read();
                if let Some(code) = link.unavailable(maxage) {
                    data.error = Some(code.to_string());
                    return Some(data);
                }
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
