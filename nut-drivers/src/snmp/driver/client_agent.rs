//! The driver's [`Agent`] over the SNMP [`Client`]: what the agent does not have is `None`,
//! as C's one-OID requests see it.

use async_trait::async_trait;

use super::fetch::{Agent, AgentError};
use crate::snmp::client::{Client, SnmpError};
use crate::snmp::pdu::{Oid, Value, VarBind};

/// A [`Client`] as the driver's [`Agent`].
pub(crate) struct ClientAgent(pub(crate) Client);

fn error(e: SnmpError) -> AgentError {
    if e.is_timeout() {
        AgentError::Timeout(e.to_string())
    } else {
        AgentError::Other(e.to_string())
    }
}

#[async_trait]
impl Agent for ClientAgent {
    async fn get(&mut self, oids: &[Oid]) -> Result<Vec<Option<Value>>, AgentError> {
        let answers = self.0.get(oids).await.map_err(error)?;
        Ok(answers
            .into_iter()
            .map(|vb| Some(vb.value).filter(|v| !v.is_exception()))
            .collect())
    }

    async fn walk(&mut self, root: &Oid) -> Result<Vec<VarBind>, AgentError> {
        self.0.walk(root).await.map_err(error)
    }

    async fn set(&mut self, varbind: VarBind) -> Result<(), AgentError> {
        self.0
            .set(std::slice::from_ref(&varbind))
            .await
            .map(drop)
            .map_err(error)
    }
}
