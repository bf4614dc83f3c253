//! SNMP agents (C's `-S`): at every address of a range, identify the device by the MIB
//! mappings of nut-drivers' `snmp-ups`, as C's scanner does: a mapping whose `sysObjectID`
//! is the agent's and whose model OID answers (or that has none); when none is, every
//! mapping whose model OID answers.

use std::net::IpAddr;
use std::time::Duration;

use nut_drivers::snmp::client::{Client, ClientOptions};
use nut_drivers::snmp::community::Community;
use nut_drivers::snmp::driver::net_snmp_setting;
use nut_drivers::snmp::mib::Mapping;
use nut_drivers::snmp::mibs;
use nut_drivers::snmp::pdu::{Oid, Security, Value};
use nut_drivers::snmp::usm::{ConfigError, Usm, UsmConfig};

use crate::runner::{run_all, ScanOptions};
use crate::{Bus, Finding, IpRange};

/// The SNMP agent port when net-snmp's `snmp.conf` sets no `defaultPort`.
pub const DEFAULT_PORT: u16 = 161;

/// The mappings in the order C's scanner tries them (its table is built from the mapping
/// sources sorted by file name, not in the driver's detection order).
pub static SCAN_ORDER: [&Mapping; 30] = [
    &mibs::apc_ats::APC_ATS,
    &mibs::apc::APC,
    &mibs::apc_pdu::APC_PDU_RPDU,
    &mibs::apc_pdu::APC_PDU_RPDU2,
    &mibs::apc_pdu::APC_PDU_MSP,
    &mibs::baytech::BAYTECH,
    &mibs::bestpower::BESTPOWER,
    &mibs::compaq::COMPAQ,
    &mibs::cyberpower::CYBERPOWER,
    &mibs::delta_ups::DELTA_UPS,
    &mibs::eaton_ats16_nm2::EATON_ATS16_NM2,
    &mibs::eaton_ats16_nmc::EATON_ATS16_NMC,
    &mibs::eaton_ats30::EATON_ATS30,
    &mibs::eaton_pdu_genesis2::APHEL_GENESISII,
    &mibs::eaton_pdu_marlin::EATON_MARLIN,
    &mibs::eaton_pdu_pulizzi::PULIZZI_SWITCHED1,
    &mibs::eaton_pdu_pulizzi::PULIZZI_SWITCHED2,
    &mibs::eaton_pdu_revelation::APHEL_REVELATION,
    &mibs::emerson_avocent_pdu::EMERSON_AVOCENT_PDU,
    &mibs::hpe_pdu::HPE_PDU,
    &mibs::huawei::HUAWEI,
    &mibs::ietf::TRIPPLITE_IETF,
    &mibs::ietf::IETF,
    &mibs::mge::MGE,
    &mibs::netvision::NETVISION,
    &mibs::powerware::POWERWARE,
    &mibs::powerware::PXGX_UPS,
    &mibs::raritan_pdu::RARITAN,
    &mibs::raritan_px2::RARITAN_PX2,
    &mibs::xppc::XPPC,
];

/// SNMPv3 settings as C's `-l -u -w -W -x -X` give them (printed back as given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V3Options {
    /// `secLevel` (`noAuthNoPriv`, `authNoPriv`, `authPriv`).
    pub sec_level: Option<String>,
    /// `secName`.
    pub sec_name: Option<String>,
    /// `authPassword`.
    pub auth_password: Option<String>,
    /// `privPassword`.
    pub priv_password: Option<String>,
    /// `authProtocol`.
    pub auth_protocol: Option<String>,
    /// `privProtocol`.
    pub priv_protocol: Option<String>,
}

impl V3Options {
    /// The options as ups.conf names them, in C's order, those given only.
    fn named(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("secLevel", self.sec_level.as_deref()),
            ("secName", self.sec_name.as_deref()),
            ("authPassword", self.auth_password.as_deref()),
            ("privPassword", self.priv_password.as_deref()),
            ("authProtocol", self.auth_protocol.as_deref()),
            ("privProtocol", self.priv_protocol.as_deref()),
        ]
    }
}

/// How to talk to the agents.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// SNMPv1 with this community (C's `-c`, `public` by default).
    Community(String),
    /// SNMPv3 (C uses it when a security level is given and no community).
    V3(V3Options),
}

impl Credentials {
    /// What C picks from its options: v1 with `community` (or `public`) unless there is no
    /// community and a security level is given.
    pub fn from_c_options(community: Option<String>, v3: V3Options) -> Self {
        match community {
            Some(c) => Self::Community(c),
            None if v3.sec_level.is_some() => Self::V3(v3),
            None => Self::Community("public".into()),
        }
    }
}

/// Settings that cannot work (an SNMPv3 level without its user or passwords, an unknown
/// protocol).
#[derive(Debug, thiserror::Error)]
#[error("bad SNMPv3 settings: {0}")]
pub struct BadCredentials(#[from] ConfigError);

/// A security model per agent (each SNMPv3 agent has an engine of its own).
enum Maker {
    Community(String),
    V3(UsmConfig),
}

impl Maker {
    fn security(&self) -> Option<Box<dyn Security>> {
        Some(match self {
            Self::Community(c) => Box::new(Community::v1(c)),
            Self::V3(config) => Box::new(Usm::new(config.clone()).ok()?),
        })
    }
}

/// The agent port: net-snmp's `defaultPort` of `snmp.conf` (as C gets it), else 161.
pub fn agent_port() -> u16 {
    net_snmp_setting("defaultPort")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(DEFAULT_PORT)
}

/// Every SNMP device in `range`, on `port` (see [`agent_port`]).
///
/// Each address gets `options.timeout` for each request, one try each (as C: no retries).
pub async fn scan(
    range: &IpRange,
    port: u16,
    credentials: &Credentials,
    options: &ScanOptions,
) -> Result<Vec<Finding>, BadCredentials> {
    let maker = match credentials {
        Credentials::Community(c) => Maker::Community(c.clone()),
        Credentials::V3(v3) => {
            let mut config = UsmConfig::from_nut_options(|name| {
                v3.named()
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, v)| v)
            })?;
            config.context = net_snmp_setting("defContext").unwrap_or_default();
            Maker::V3(config)
        }
    };
    let timeout = options.timeout;
    let (maker, credentials) = (&maker, credentials);
    // The system OID, then at most every mapping's model OID.
    let limit = timeout * (SCAN_ORDER.len() as u32 + 2);
    Ok(run_all(
        range.iter(),
        u64::try_from(range.len()).unwrap_or(u64::MAX),
        options,
        limit,
        |addr| probe_agent(addr, port, maker, credentials, timeout),
    )
    .await)
}

/// The value of `oid` at the agent, when it has one.
async fn get(client: &mut Client, oid: &Oid) -> Option<Value> {
    let mut answer = client.get(std::slice::from_ref(oid)).await.ok()?;
    let vb = answer.pop()?;
    (vb.oid == *oid && !vb.value.is_exception() && vb.value != Value::Null).then_some(vb.value)
}

/// What C's scanner puts in `desc`: the value's bytes, up to the first NUL.
fn desc(value: &Value) -> String {
    match value {
        Value::OctetString(b) | Value::Opaque(b) => {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            String::from_utf8_lossy(&b[..end]).into_owned()
        }
        Value::Integer(n) => n.to_string(),
        Value::Counter32(n) | Value::Gauge32(n) | Value::TimeTicks(n) => n.to_string(),
        Value::Counter64(n) => n.to_string(),
        Value::ObjectId(o) => o.to_string(),
        Value::IpAddress(a) => IpAddr::from(*a).to_string(),
        _ => String::new(),
    }
}

async fn probe_agent(
    addr: IpAddr,
    port: u16,
    maker: &Maker,
    credentials: &Credentials,
    timeout: Duration,
) -> Vec<Finding> {
    let Some(security) = maker.security() else {
        return Vec::new();
    };
    let target = match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    };
    let mut client_options = ClientOptions::default();
    client_options.timeout = timeout;
    client_options.retries = 0;
    let Ok(mut client) = Client::connect(&target, security, client_options).await else {
        return Vec::new();
    };
    let sys_oid: Oid = ".1.3.6.1.2.1.1.2.0".parse().expect("a numeric OID");
    // Any answer, an error included, says an agent is there (C then tries every mapping's
    // model OID); silence or a transport error says none is.
    let sys = match client.get(std::slice::from_ref(&sys_oid)).await {
        Ok(mut answer) => answer.pop().map(|vb| vb.value),
        Err(e) if e.status().is_some() => None,
        Err(_) => return Vec::new(),
    };
    let parse = |s: Option<&str>| s.and_then(|s| s.parse::<Oid>().ok());
    let found = |mapping: &Mapping, value: Option<&Value>| {
        let mut f = Finding::new(Bus::Snmp, "snmp-ups", addr.to_string());
        if let Some(v) = value {
            let d = desc(v);
            f.description = Some(d.clone());
            f = f.with_option("desc", d);
        }
        f = f.with_option("mibs", mapping.name);
        match credentials {
            Credentials::Community(c) => f = f.with_option("community", c.clone()),
            Credentials::V3(v3) => {
                f = f.with_option("snmp_version", "v3");
                for (name, value) in v3.named() {
                    if let Some(v) = value {
                        f = f.with_option(name, v);
                    }
                }
            }
        }
        f.server = Some(std::net::SocketAddr::new(addr, port));
        f
    };
    let mut out = Vec::new();
    if let Some(Value::ObjectId(sys)) = &sys {
        for m in SCAN_ORDER {
            if parse(m.sys_oid).as_ref() != Some(sys) {
                continue;
            }
            match parse(m.probe_oid) {
                None => out.push(found(m, None)),
                Some(model) => {
                    if let Some(v) = get(&mut client, &model).await {
                        out.push(found(m, Some(&v)));
                    }
                }
            }
        }
    }
    if out.is_empty() {
        for m in SCAN_ORDER {
            let Some(model) = parse(m.probe_oid) else {
                continue;
            };
            if let Some(v) = get(&mut client, &model).await {
                out.push(found(m, Some(&v)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_order_holds_every_mapping_once() {
        assert_eq!(SCAN_ORDER.len(), mibs::ALL.len());
        for m in mibs::ALL {
            assert_eq!(
                SCAN_ORDER.iter().filter(|s| std::ptr::eq(**s, *m)).count(),
                1,
                "{}",
                m.name
            );
        }
    }
}
