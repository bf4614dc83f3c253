//! [`ClientSource`]: the devices of one or more upsd servers (ours or C's), read over the
//! network protocol with nut-client every polling interval.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use nut_client::{Client, ClientConfig, Error};
use nut_proto::config::UpsAddress;
use nut_proto::net::{ErrorCode, VarKind};
use tokio::sync::Mutex;

use super::source::{Credentials, DeviceData, Source, VarData, WriteError};

/// What is known of a variable's type once asked (types do not change while a driver runs).
type TypeInfo = (Option<VarKind>, Vec<String>, Vec<(i64, i64)>);

#[derive(Debug, Default)]
struct Server {
    client: Option<Client>,
    types: HashMap<(String, String), TypeInfo>,
    descs: HashMap<String, String>,
}

/// Devices read from upsd servers over the network protocol.
#[derive(Debug)]
pub struct ClientSource {
    devices: Vec<UpsAddress>,
    servers: Mutex<HashMap<(String, u16), Server>>,
    interval: Duration,
}

impl ClientSource {
    /// Reads `devices` every `interval`.
    pub fn new(devices: Vec<UpsAddress>, interval: Duration) -> Self {
        Self {
            devices,
            servers: Mutex::new(HashMap::new()),
            interval,
        }
    }

    fn config(addr: &UpsAddress) -> nut_client::ClientConfigBuilder {
        ClientConfig::builder(addr.host_or_default())
            .port(addr.port_or_default())
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(5))
    }

    async fn read(server: &mut Server, addr: &UpsAddress) -> Result<DeviceData, Error> {
        let client = match &server.client {
            Some(c) => c.clone(),
            None => {
                let c = Client::connect(Self::config(addr).build()).await?;
                server.client = Some(c.clone());
                c
            }
        };
        let ups = addr.ups();
        let mut data = DeviceData::new(ups.as_str());
        if !server.descs.contains_key(ups.as_str()) {
            let desc = client.get_ups_desc(ups).await?;
            server.descs.insert(ups.as_str().to_owned(), desc);
        }
        data.desc = server
            .descs
            .get(ups.as_str())
            .filter(|d| *d != "Unavailable" && *d != "Description unavailable")
            .cloned();
        let (vars, rw, cmds) = tokio::try_join!(
            client.list_vars(ups),
            client.list_rw(ups),
            client.list_cmds(ups)
        )?;
        for entry in vars {
            let name = entry.name.as_str();
            let mut var = VarData::new(name, entry.value.as_str());
            if rw.iter().any(|r| r.name == entry.name) {
                var.writable = true;
                let key = (ups.as_str().to_owned(), name.to_owned());
                if !server.types.contains_key(&key) {
                    let v = client.variable(ups, &entry.name).await?;
                    let ranges = v.ranges.iter().map(|r| (r.min, r.max)).collect();
                    server
                        .types
                        .insert(key.clone(), (v.var_type.kind, v.enum_values, ranges));
                }
                if let Some((kind, enums, ranges)) = server.types.get(&key) {
                    var.kind = *kind;
                    var.enums.clone_from(enums);
                    var.ranges.clone_from(ranges);
                }
            }
            data.vars.push(var);
        }
        data.commands = cmds.iter().map(|c| c.as_str().to_owned()).collect();
        Ok(data)
    }

    async fn with_client<T>(
        addr: &UpsAddress,
        who: &Credentials,
        f: impl AsyncFnOnce(Client) -> nut_client::Result<T>,
    ) -> Result<T, WriteError> {
        let config = Self::config(addr)
            .credentials(who.username.clone(), who.password.expose())
            .build();
        let client = Client::connect(config).await.map_err(write_error)?;
        let result = f(client.clone()).await.map_err(write_error);
        let _ = client.logout().await;
        result
    }

    fn find(&self, ups: &str) -> Result<&UpsAddress, WriteError> {
        self.devices
            .iter()
            .find(|d| d.ups().as_str() == ups)
            .ok_or(WriteError::Refused(ErrorCode::UnknownUps))
    }
}

fn write_error(e: Error) -> WriteError {
    match e {
        Error::Server { code } => WriteError::Refused(code),
        Error::InvalidArgument(_) => WriteError::Refused(ErrorCode::InvalidArgument),
        other => WriteError::Unreachable(other.to_string()),
    }
}

#[async_trait]
impl Source for ClientSource {
    async fn devices(&self) -> Vec<Arc<DeviceData>> {
        let mut servers = self.servers.lock().await;
        let mut out = Vec::with_capacity(self.devices.len());
        for addr in &self.devices {
            let server = servers
                .entry((addr.host_or_default().to_owned(), addr.port_or_default()))
                .or_default();
            match Self::read(server, addr).await {
                Ok(data) => out.push(data),
                Err(e) => {
                    if !matches!(e, Error::Server { .. }) {
                        // The connection is gone or confused: make a new one next time.
                        server.client = None;
                    }
                    let mut data = DeviceData::new(addr.ups().as_str());
                    data.desc = server.descs.get(addr.ups().as_str()).cloned();
                    data.error = Some(match e {
                        Error::Server { code } => code.to_string(),
                        other => other.to_string(),
                    });
                    out.push(data);
                }
            }
        }
        out.into_iter().map(Arc::new).collect()
    }

    async fn changed(&self) {
        tokio::time::sleep(self.interval).await;
    }

    async fn set_var(
        &self,
        who: &Credentials,
        ups: &str,
        var: &str,
        value: &str,
    ) -> Result<(), WriteError> {
        let addr = self.find(ups)?;
        Self::with_client(addr, who, async |c| {
            c.set_var(ups, var, value).await.map(drop)
        })
        .await
    }

    async fn instcmd(
        &self,
        who: &Credentials,
        ups: &str,
        cmd: &str,
        param: Option<&str>,
    ) -> Result<(), WriteError> {
        let addr = self.find(ups)?;
        Self::with_client(addr, who, async |c| {
            c.instcmd(ups, cmd, param).await.map(drop)
        })
        .await
    }
}
