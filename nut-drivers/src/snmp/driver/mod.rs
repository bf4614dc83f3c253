//! The `snmp-ups` driver: C NUT's generic SNMP driver for UPS, PDU and ATS devices.
//!
//! [`SnmpUps`] finds the device's [`Mapping`] (by `sysObjectID`, then by probing each mapping's
//! model OID, as C does; or the one `mibs=` names), then reads the mapping's items every
//! `pollfreq` seconds. It publishes what C 2.8.0 publishes for the same agent; it reads in
//! many-varbind requests where C sends one request per OID.

mod client_agent;
mod decode;
mod engine;
mod fetch;
#[cfg(test)]
mod tests;

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use nut_driver_api::state::DeviceState;
use nut_driver_api::status::c_strtol as atoi;
use nut_driver_api::{CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec};
use nut_proto::sock::TrackingStatus;

use self::engine::{Engine, Mode, SetResult};
use self::fetch::{Agent, AgentError, Learned, WalkCache};
use crate::snmp::mib::Mapping;
use crate::snmp::pdu::Oid;

/// The driver's name, as C's.
pub const DRIVER_NAME: &str = "snmp-ups";
/// The driver's description, as C's.
pub const DRIVER_DESCRIPTION: &str = "Generic SNMP UPS driver";
/// The version C 2.8.0's driver reports.
pub const DRIVER_VERSION: &str = "1.21";

/// `sysObjectID.0`.
const SYS_OBJECT_ID: &str = ".1.3.6.1.2.1.1.2.0";

/// C's polling defaults.
const DEFAULT_POLLFREQ: i64 = 30;
const DEFAULT_SEMISTATICFREQ: i64 = 10;

/// How the driver reaches its agent, given the configuration.
type Connect =
    dyn FnMut(&DriverParams) -> BoxFuture<'static, Result<Box<dyn Agent>, DriverError>> + Send;

/// The driver. See the [module documentation](self).
pub struct SnmpUps {
    mappings: &'static [&'static Mapping],
    connect: Box<Connect>,
    agent: Option<Box<dyn Agent>>,
    engine: Option<Engine>,
    learned: Learned,
    port: String,
    pollfreq: i64,
    last_poll: i64,
    comm_ok: bool,
    no_transfer: bool,
    symmetra: bool,
    /// `ondelay` and `offdelay`, as given.
    delays: [Option<i64>; 2],
}

impl std::fmt::Debug for SnmpUps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnmpUps")
            .field("mapping", &self.engine.as_ref().map(|e| e.mapping.name))
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The text of `mibs=--list`: every mapping in detection order, as C prints it.
pub fn mapping_list(mappings: &[&Mapping]) -> String {
    let mut out = String::from(
        "The 'mibs' argument is '--list', so just listing the mappings this driver knows,\n\
         and for 'mibs=auto' these mappings will be tried in the following order until\n\
         the first one matches your device\n\n",
    );
    out.push_str(&format!(
        "{:>7}\t{:<23}\t{:<7}\t{:<31}\t{}\n",
        "NUMBER", "MAPPING NAME", "VERSION", "ENTRY POINT OID", "AUTO CHECK OID"
    ));
    for (i, m) in mappings.iter().enumerate() {
        out.push_str(&format!(
            " {:>4} \t{:<23}\t{:>7}\t{:<31}\t{}\n",
            i + 1,
            m.name,
            m.version,
            m.sys_oid.unwrap_or("<NULL>"),
            m.probe_oid.unwrap_or("<NULL>")
        ));
    }
    out.push_str(&format!(
        "\nOverall this driver has loaded {} MIB-to-NUT mapping tables\n",
        mappings.len()
    ));
    out
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Default for SnmpUps {
    fn default() -> Self {
        Self::new()
    }
}

impl SnmpUps {
    /// The driver with every mapping of C 2.8.0, reaching its agent over UDP as ups.conf
    /// says (`port`, `snmp_version`, `community`, `snmp_retries`, `snmp_timeout`, the SNMPv3
    /// options).
    pub fn new() -> Self {
        Self::with_agent(crate::snmp::mibs::ALL, |params: &DriverParams| {
            let params = params.clone();
            Box::pin(async move { connect(&params).await })
        })
    }

    /// A driver that knows `mappings` (in detection order) and reaches its agent through
    /// `connect` (called by [`Driver::open`] with the configuration).
    pub(crate) fn with_agent(
        mappings: &'static [&'static Mapping],
        connect: impl FnMut(&DriverParams) -> BoxFuture<'static, Result<Box<dyn Agent>, DriverError>>
            + Send
            + 'static,
    ) -> Self {
        Self {
            mappings,
            connect: Box::new(connect),
            agent: None,
            engine: None,
            learned: Learned::default(),
            port: String::new(),
            pollfreq: DEFAULT_POLLFREQ,
            last_poll: 0,
            comm_ok: false,
            no_transfer: false,
            symmetra: false,
            delays: [None, None],
        }
    }

    /// The mapping in use, once [`Driver::open`] found it.
    pub fn mapping(&self) -> Option<&'static Mapping> {
        self.engine.as_ref().map(|e| e.mapping)
    }

    /// C's `match_model_OID` for one candidate: whether its model OID can be read.
    async fn model_answers(agent: &mut dyn Agent, mapping: &'static Mapping) -> bool {
        let mut engine = Engine::new(mapping, DEFAULT_SEMISTATICFREQ);
        let mut cache = WalkCache::start(agent, &Learned::default()).await;
        engine
            .read_model(&mut cache, ["device.model", "ups.model"], 1024)
            .await
            .is_some()
    }

    /// C's `match_sysoid`: the mapping whose `sysObjectID` is the device's and whose model
    /// answers.
    async fn match_sysoid(
        mappings: &'static [&'static Mapping],
        agent: &mut dyn Agent,
        sys: &Oid,
    ) -> Option<&'static Mapping> {
        for m in mappings {
            let Some(candidate) = m.sys_oid.and_then(|s| s.parse::<Oid>().ok()) else {
                continue;
            };
            if candidate == *sys && Self::model_answers(agent, m).await {
                return Some(m);
            }
        }
        tracing::error!(
            "No matching MIB found for sysOID '{sys}'!\nPlease report it to NUT developers, with an 'upsc' output for your device.\nGoing back to the classic MIB detection method."
        );
        None
    }

    /// Beyond C: when no mapping's model OID answers (agents that leave it out, partial
    /// walks), the candidates are the mappings whose `sysObjectID` is the device's or whose
    /// power status OID answers, and the one of them of which the device answers the most
    /// variables wins (the earlier in C's order on a tie); the system group (`sysDescr`, …),
    /// which every agent has, does not count, and a mapping of which nothing else answers is
    /// no match. C gives up ("No supported device detected") although the data is there.
    async fn match_without_model(
        mappings: &'static [&'static Mapping],
        agent: &mut dyn Agent,
        sys: Option<&crate::snmp::pdu::Value>,
    ) -> Option<&'static Mapping> {
        let parse = |s: Option<&str>| s.and_then(|s| s.parse::<Oid>().ok());
        let system: Oid = ".1.3.6.1.2.1.1".parse().expect("a numeric OID");
        let mut best: Option<(&'static Mapping, usize)> = None;
        for m in mappings {
            let by_sys_oid = matches!(sys, Some(crate::snmp::pdu::Value::ObjectId(s)) if parse(m.sys_oid).as_ref() == Some(s));
            let by_status = match parse(m.power_status_oid) {
                Some(oid) => {
                    matches!(agent.get(std::slice::from_ref(&oid)).await, Ok(v) if v.iter().any(Option::is_some))
                }
                None => false,
            };
            if !by_sys_oid && !by_status {
                continue;
            }
            let mut oids: Vec<Oid> = m
                .items
                .iter()
                .filter(|i| i.oid.is_some_and(|o| !o.contains('%')))
                .filter_map(|i| parse(i.oid))
                .filter(|o| !o.starts_with(&system))
                .collect();
            oids.sort();
            oids.dedup();
            let Ok(values) = agent.get(&oids).await else {
                continue;
            };
            let answered = values.iter().filter(|v| v.is_some()).count();
            if answered > 0 && best.is_none_or(|(_, n)| answered > n) {
                best = Some((m, answered));
            }
        }
        let (m, answered) = best?;
        tracing::warn!(
            "The device has no model OID; using the {} MIB, of which it answers {answered} variables",
            m.name
        );
        Some(m)
    }

    /// C's `load_mib2nut`.
    async fn find_mapping(
        mappings: &'static [&'static Mapping],
        port: &str,
        agent: &mut dyn Agent,
        mibs: &str,
        name: &str,
    ) -> Result<&'static Mapping, DriverError> {
        let auto = mibs == "auto";
        // A first read tells whether the agent answers at all: an agent that is silent or
        // refuses us (SNMPv3 credentials) is an error of its own, not "no device detected"
        // after a long probe (C spends minutes timing out on every mapping before saying so).
        let sys_oid: Oid = SYS_OBJECT_ID.parse().expect("a numeric OID");
        let sys = match agent.get(std::slice::from_ref(&sys_oid)).await {
            Ok(mut v) => v.pop().flatten(),
            Err(AgentError::Timeout(m) | AgentError::Other(m)) => {
                return Err(DriverError::config(m))
            }
        };
        if auto {
            match &sys {
                Some(crate::snmp::pdu::Value::ObjectId(sys)) => {
                    if let Some(m) = Self::match_sysoid(mappings, agent, sys).await {
                        return Ok(m);
                    }
                }
                _ => tracing::debug!("Can't get sysOID value"),
            }
        }
        let mut seen = false;
        for m in mappings {
            if !auto && m.name != mibs {
                continue;
            }
            seen |= !auto;
            if Self::model_answers(agent, m).await {
                return Ok(m);
            }
        }
        if auto {
            if let Some(m) = Self::match_without_model(mappings, agent, sys.as_ref()).await {
                return Ok(m);
            }
        }
        Err(DriverError::config(if auto {
            format!("No supported device detected at [{name}] (host {port})")
        } else if seen {
            format!(
                "Requested 'mibs' value '{mibs}' did not match this device [{name}] (host {port})"
            )
        } else {
            format!("Unknown 'mibs' value: {mibs}")
        }))
    }

    /// Runs one walk of `mode` with a fresh cache.
    async fn run_walk(&mut self, state: &mut DeviceState, mode: Mode) -> bool {
        let (Some(agent), Some(engine)) = (self.agent.as_deref_mut(), self.engine.as_mut()) else {
            return false;
        };
        let mut cache = WalkCache::start(agent, &self.learned).await;
        let ok = engine.walk(&mut cache, state, mode).await;
        let down = cache.agent_down();
        if let Some(e) = &cache.error {
            tracing::debug!("walk: {e:?}");
        }
        cache.finish(&mut self.learned);
        ok && !down
    }

    /// C's `set_delays`: `ondelay` and `offdelay`, when given, written to the device's
    /// `ups.delay.start` and `ups.delay.shutdown`.
    async fn set_delays(&mut self, state: &mut DeviceState) {
        for (delay, var) in self
            .delays
            .into_iter()
            .zip(["ups.delay.start", "ups.delay.shutdown"])
        {
            if let Some(n) = delay.filter(|n| *n >= 0) {
                self.set(state, false, var, Some(&n.to_string())).await;
            }
        }
    }

    async fn set(
        &mut self,
        state: &mut DeviceState,
        is_cmd: bool,
        name: &str,
        value: Option<&str>,
    ) -> CommandResult {
        let (Some(agent), Some(engine)) = (self.agent.as_deref_mut(), self.engine.as_mut()) else {
            return TrackingStatus::Failed;
        };
        let mut cache = WalkCache::start(agent, &Learned::default()).await;
        match engine.set_oid(&mut cache, state, is_cmd, name, value).await {
            SetResult::Handled => TrackingStatus::Handled,
            SetResult::Unknown => TrackingStatus::Unknown,
            SetResult::Invalid => TrackingStatus::Invalid,
            SetResult::Failed => TrackingStatus::Failed,
        }
    }
}

#[async_trait]
impl Driver for SnmpUps {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION)
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value(
                "mibs",
                "NOTE: You can run the driver binary with '-x mibs=--list' for an up to date listing)\nSet MIB compliance (default=ietf, allowed: mge,apcc,netvision,pw,cpqpower,...)",
            ),
            OptionSpec::value("community", "Set community name (default=public)").sensitive(),
            OptionSpec::value("snmp_version", "Set SNMP version (default=v1, allowed: v2c,v3)"),
            OptionSpec::value("pollfreq", "Set polling frequency in seconds, to reduce network flow (default=30)"),
            OptionSpec::value(
                "semistaticfreq",
                "Set semistatic value update frequency in update cycles, to reduce network flow (default=10)",
            ),
            OptionSpec::value("snmp_retries", "Specifies the number of Net-SNMP retries to be used in the requests (default=5)"),
            OptionSpec::value("snmp_timeout", "Specifies the Net-SNMP timeout in seconds between retries (default=1)"),
            OptionSpec::flag("notransferoids", "Disable transfer OIDs (use on APCC Symmetras)"),
            OptionSpec::flag("symmetrathreephase", "Enable APCC three phase Symmetra quirks (use on APCC three phase Symmetras)"),
            OptionSpec::value(
                "secLevel",
                "Set the securityLevel used for SNMPv3 messages (default=noAuthNoPriv, allowed: authNoPriv,authPriv)",
            ),
            OptionSpec::value("secName", "Set the securityName used for authenticated SNMPv3 messages (no default)").sensitive(),
            OptionSpec::value("authPassword", "Set the authentication pass phrase used for authenticated SNMPv3 messages (no default)")
                .sensitive(),
            OptionSpec::value("privPassword", "Set the privacy pass phrase used for encrypted SNMPv3 messages (no default)").sensitive(),
            OptionSpec::value(
                "authProtocol",
                "Set the authentication protocol (MD5, SHA, SHA256, SHA384, SHA512) used for authenticated SNMPv3 messages (default=MD5 if available)",
            ),
            OptionSpec::value(
                "privProtocol",
                "Set the privacy protocol (DES, AES, AES192, AES256) used for encrypted SNMPv3 messages (default=DES if available)",
            ),
            OptionSpec::value("ondelay", "Set start delay time after shutdown"),
            OptionSpec::value("offdelay", "Set delay time before shutdown "),
            OptionSpec::value(
                "snmp_context",
                "Set the SNMPv3 context name (default: defContext of net-snmp's snmp.conf, else empty)",
            ),
        ]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        self.port = params.port.clone();
        let mut agent = (self.connect)(params).await?;
        let mibs = params.get("mibs").unwrap_or("auto").to_owned();
        let name = params.get("upsname").unwrap_or(DRIVER_NAME).to_owned();
        let found =
            Self::find_mapping(self.mappings, &self.port, agent.as_mut(), &mibs, &name).await;
        let mapping = match found {
            // Agents are not obliged to answer a user they do not know or a message they
            // cannot decrypt (snmpsimd, for one, does not): say what to check.
            Err(DriverError::Config(m)) if params.get("snmp_version") == Some("v3") && m.starts_with("no answer") => {
                return Err(DriverError::config(format!(
                    "{m}: check secName, privProtocol and privPassword (an SNMPv3 agent may stay silent to an unknown user or a message it cannot decrypt)"
                )))
            }
            other => other?,
        };
        self.pollfreq = params.get("pollfreq").map_or(DEFAULT_POLLFREQ, atoi);
        let mut semistatic = params
            .get("semistaticfreq")
            .map_or(DEFAULT_SEMISTATICFREQ, atoi);
        if semistatic < 1 {
            semistatic = DEFAULT_SEMISTATICFREQ;
        }
        let mut engine = Engine::new(mapping, semistatic);
        {
            let mut cache = WalkCache::start(agent.as_mut(), &Learned::default()).await;
            match engine
                .read_model(&mut cache, ["ups.model", "device.model"], decode::INFO_SIZE)
                .await
            {
                Some(model) => tracing::info!(
                    "Detected {model} on host {} (mib: {} {})",
                    self.port,
                    mapping.name,
                    mapping.version
                ),
                // Only a mapping found without its model (beyond C) gets here.
                None => tracing::info!(
                    "Detected a device without a model name on host {} (mib: {} {})",
                    self.port,
                    mapping.name,
                    mapping.version
                ),
            }
            engine.daisychain_init(&mut cache, state).await;
            engine.init_extras(&mut cache, state).await;
        }
        self.delays = [
            params.get("ondelay").map(atoi),
            params.get("offdelay").map(atoi),
        ];
        self.agent = Some(agent);
        self.engine = Some(engine);
        self.set_delays(state).await;
        self.no_transfer = params.is_set("notransferoids");
        self.symmetra = params.is_set("symmetrathreephase");
        self.last_poll = 0;
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let (Some(agent), Some(engine)) = (self.agent.as_deref_mut(), self.engine.as_mut()) else {
            return Err(DriverError::device("not open"));
        };
        let version = format!("{} MIB {}", engine.mapping.name, engine.mapping.version);
        let _ = state.set("driver.version.data", &version);
        {
            let mut cache = WalkCache::start(agent, &Learned::default()).await;
            engine
                .init_commands(&mut cache, state, self.no_transfer, self.symmetra)
                .await;
        }
        self.comm_ok = self.run_walk(state, Mode::Init).await;
        state.set_data_ok(self.comm_ok);
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let t = now();
        if t > self.last_poll + self.pollfreq {
            if let Some(engine) = self.engine.as_mut() {
                engine.begin_poll();
            }
            self.comm_ok = self.run_walk(state, Mode::Update).await;
            if let Some(engine) = self.engine.as_mut() {
                engine.commit_poll(state);
            }
            self.last_poll = now();
        }
        if self.comm_ok {
            Ok(())
        } else {
            Err(DriverError::device(format!("no answer from {}", self.port)))
        }
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        self.set(state, true, cmd, param).await
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        self.set(state, false, var, Some(value)).await
    }

    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        self.set_delays(state).await;
        for cmd in ["shutdown.return", "shutdown.reboot", "load.off.delay"] {
            if self.set(state, true, cmd, None).await == TrackingStatus::Handled {
                return Ok(());
            }
        }
        Err(DriverError::device("Shutdown failed!"))
    }

    async fn close(&mut self) {
        self.agent = None;
    }
}

/// Opens the client the options describe.
async fn connect(params: &DriverParams) -> Result<Box<dyn Agent>, DriverError> {
    use crate::snmp::client::{Client, ClientOptions};
    use crate::snmp::community::Community;
    let mut options = ClientOptions::default();
    if let Some(r) = params.get("snmp_retries") {
        options.retries = u32::try_from(atoi(r)).unwrap_or(0);
    }
    if let Some(t) = params.get("snmp_timeout") {
        options.timeout = std::time::Duration::from_secs(u64::try_from(atoi(t)).unwrap_or(0));
    }
    let version = params.get("snmp_version").unwrap_or("v1");
    let security: Box<dyn crate::snmp::pdu::Security> = match version {
        "v1" | "v2c" => {
            let community = params.get("community").unwrap_or("public");
            Box::new(if version == "v1" {
                Community::v1(community)
            } else {
                Community::v2c(community)
            })
        }
        "v3" => {
            use crate::snmp::usm::{Usm, UsmConfig};
            let mut config = UsmConfig::from_nut_options(|name| params.get(name))
                .map_err(DriverError::config)?;
            config.context = match params.get("snmp_context") {
                Some(c) => c.to_owned(),
                None => net_snmp_default_context().unwrap_or_default(),
            };
            Box::new(Usm::new(config).map_err(DriverError::config)?)
        }
        other => return Err(DriverError::config(format!("Bad SNMP version: {other}"))),
    };
    let client = Client::connect(&params.port, security, options)
        .await
        .map_err(|e| DriverError::config(format!("Unable to establish communication: {e}")))?;
    Ok(Box::new(client_agent::ClientAgent(client)))
}

/// The `defContext` of net-snmp's `snmp.conf`, which C's driver uses as its SNMPv3 context.
fn net_snmp_default_context() -> Option<String> {
    net_snmp_setting("defContext")
}

/// A setting of net-snmp's `snmp.conf` (`defContext`, `defaultPort`, …), as C programs
/// linked with net-snmp get it: the folders of `SNMPCONFPATH` (colon-separated), else
/// net-snmp's defaults; the token's case does not matter, and the last setting read wins, as
/// net-snmp reads the files in order.
pub fn net_snmp_setting(token: &str) -> Option<String> {
    let path = std::env::var("SNMPCONFPATH").unwrap_or_else(|_| {
        let home = std::env::var("HOME")
            .map(|h| format!(":{h}/.snmp"))
            .unwrap_or_default();
        format!("/etc/snmp:/usr/share/snmp:/usr/lib/x86_64-linux-gnu/snmp{home}")
    });
    let mut value = None;
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        for file in ["snmp.conf", "snmp.local.conf"] {
            let Ok(text) = std::fs::read_to_string(std::path::Path::new(dir).join(file)) else {
                continue;
            };
            for line in text.lines() {
                let mut words = line.split_whitespace();
                if words.next().is_some_and(|k| k.eq_ignore_ascii_case(token)) {
                    value = Some(words.collect::<Vec<_>>().join(" "));
                }
            }
        }
    }
    value
}
