//! Reads for one walk: C reads OID after OID, one request each; we answer the engine from a
//! cache filled by a few many-varbind requests, with the OIDs the previous walk read.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;

use super::engine::Source;
use crate::snmp::pdu::{Oid, Value, VarBind};

/// Why a request to the agent failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AgentError {
    /// No answer after every retry: the agent is down or unreachable.
    Timeout(String),
    /// Any other failure (refused, malformed, an error status), with its message.
    Other(String),
}

/// The requests the driver makes of an agent.
#[async_trait]
pub(crate) trait Agent: Send {
    /// One value per OID, `None` for what the agent does not have.
    async fn get(&mut self, oids: &[Oid]) -> Result<Vec<Option<Value>>, AgentError>;
    /// The subtree under `root`, `root` included when it exists.
    async fn walk(&mut self, root: &Oid) -> Result<Vec<VarBind>, AgentError>;
    /// One SET.
    async fn set(&mut self, varbind: VarBind) -> Result<(), AgentError>;
}

/// The OIDs a device's walks read, learnt walk after walk.
#[derive(Debug, Default)]
pub(crate) struct Learned {
    oids: Vec<Oid>,
}

/// A [`Source`] for one walk over an [`Agent`]: prefetched values, then single reads for what
/// was not foreseen; after a timeout, every further read of the walk fails at once (C would
/// wait out the timeout again for each OID).
pub(crate) struct WalkCache<'a> {
    agent: &'a mut dyn Agent,
    cache: HashMap<Oid, Option<Value>>,
    read: HashSet<Oid>,
    down: bool,
    /// The first error of the walk, for the log.
    pub(crate) error: Option<AgentError>,
}

impl<'a> WalkCache<'a> {
    /// Starts a walk, reading in bulk what the previous walk read.
    pub(crate) async fn start(agent: &'a mut dyn Agent, learned: &Learned) -> WalkCache<'a> {
        let mut me = WalkCache {
            agent,
            cache: HashMap::new(),
            read: HashSet::new(),
            down: false,
            error: None,
        };
        if !learned.oids.is_empty() {
            match me.agent.get(&learned.oids).await {
                Ok(values) => {
                    for (oid, value) in learned.oids.iter().zip(values) {
                        me.cache.insert(oid.clone(), value);
                    }
                }
                Err(e) => me.fail(e),
            }
        }
        me
    }

    fn fail(&mut self, e: AgentError) {
        if matches!(e, AgentError::Timeout(_)) {
            self.down = true;
        }
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Whether the agent stopped answering during the walk.
    pub(crate) fn agent_down(&self) -> bool {
        self.down
    }

    /// Ends the walk, remembering what it read for the next one.
    pub(crate) fn finish(self, learned: &mut Learned) {
        if self.down {
            return;
        }
        let mut oids: Vec<Oid> = self.read.into_iter().collect();
        oids.sort();
        learned.oids = oids;
    }
}

#[async_trait]
impl Source for WalkCache<'_> {
    async fn get(&mut self, oid: &Oid) -> Option<Value> {
        self.read.insert(oid.clone());
        if let Some(v) = self.cache.get(oid) {
            return v.clone();
        }
        if self.down {
            return None;
        }
        let value = match self.agent.get(std::slice::from_ref(oid)).await {
            Ok(mut values) => values.pop().flatten(),
            Err(e) => {
                self.fail(e);
                return None;
            }
        };
        self.cache.insert(oid.clone(), value.clone());
        value
    }

    async fn walk(&mut self, root: &Oid) -> Vec<VarBind> {
        if self.down {
            return Vec::new();
        }
        match self.agent.walk(root).await {
            Ok(rows) => rows,
            Err(e) => {
                self.fail(e);
                Vec::new()
            }
        }
    }

    async fn set(&mut self, varbind: VarBind) -> Result<(), String> {
        self.agent.set(varbind).await.map_err(|e| match e {
            AgentError::Timeout(m) | AgentError::Other(m) => m,
        })
    }
}

/// An agent in memory (tests): a table of values, with every value or none answering.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct MemoryAgent {
    /// The values.
    pub(crate) values: std::collections::BTreeMap<Oid, Value>,
    /// Requests made (GETs with their OID counts, walks, sets).
    pub(crate) requests: Vec<String>,
    /// The SETs received.
    pub(crate) sets: Vec<VarBind>,
    /// Whether the agent is silent.
    pub(crate) silent: bool,
}

#[cfg(test)]
#[async_trait]
impl Agent for MemoryAgent {
    async fn get(&mut self, oids: &[Oid]) -> Result<Vec<Option<Value>>, AgentError> {
        self.requests.push(format!("get {}", oids.len()));
        if self.silent {
            return Err(AgentError::Timeout("silent".into()));
        }
        Ok(oids.iter().map(|o| self.values.get(o).cloned()).collect())
    }

    async fn walk(&mut self, root: &Oid) -> Result<Vec<VarBind>, AgentError> {
        self.requests.push(format!("walk {root}"));
        if self.silent {
            return Err(AgentError::Timeout("silent".into()));
        }
        Ok(self
            .values
            .range(root.clone()..)
            .take_while(|(o, _)| o.starts_with(root))
            .map(|(o, v)| VarBind {
                oid: o.clone(),
                value: v.clone(),
            })
            .collect())
    }

    async fn set(&mut self, varbind: VarBind) -> Result<(), AgentError> {
        self.requests.push(format!("set {}", varbind.oid));
        if self.silent {
            return Err(AgentError::Timeout("silent".into()));
        }
        self.values
            .insert(varbind.oid.clone(), varbind.value.clone());
        self.sets.push(varbind);
        Ok(())
    }
}
