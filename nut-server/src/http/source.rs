//! Where the HTTP service gets its data: a [`Source`] of devices, read as a whole
//! ([`DeviceData`]), told when something may have changed, and asked to SET a variable or
//! run an instant command on behalf of a user.
//!
//! Two sources exist: the server's own state inside upsd (built by the server when
//! `HTTP_LISTEN` is configured) and [`ClientSource`](super::ClientSource), which reads any
//! upsd over the network protocol.

use std::sync::Arc;

use async_trait::async_trait;
use nut_proto::net::{ErrorCode, VarKind};
use nut_proto::secret::Secret;

/// One variable of a device, with its type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VarData {
    /// The name (`battery.charge`).
    pub name: String,
    /// The value as upsd serves it.
    pub value: String,
    /// Whether it can be SET.
    pub writable: bool,
    /// A string (with its maximum length) or a number; `None` when the source does not
    /// know (a read-only variable read over the network, where asking for every type would
    /// cost a request each).
    pub kind: Option<VarKind>,
    /// The accepted values of an enumerated variable.
    pub enums: Vec<String>,
    /// The accepted ranges of a ranged variable.
    pub ranges: Vec<(i64, i64)>,
}

impl VarData {
    /// A read-only number variable.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            writable: false,
            kind: None,
            enums: Vec::new(),
            ranges: Vec::new(),
        }
    }
}

/// Everything the HTTP service shows of one device at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceData {
    /// The name clients use.
    pub name: String,
    /// The description (ups.conf's `desc`), if any.
    pub desc: Option<String>,
    /// Why the device cannot be read now (`DRIVER-NOT-CONNECTED`, `DATA-STALE`, or the
    /// connection to upsd failing); `None` when it can.
    pub error: Option<String>,
    /// The variables, in upsd's order.
    pub vars: Vec<VarData>,
    /// The instant commands.
    pub commands: Vec<String>,
}

impl DeviceData {
    /// A device that can be read, without variables.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            desc: None,
            error: None,
            vars: Vec::new(),
            commands: Vec::new(),
        }
    }

    /// The value of variable `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.var(name).map(|v| v.value.as_str())
    }

    /// The variable `name`.
    pub fn var(&self, name: &str) -> Option<&VarData> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// Whether the device can be read.
    pub fn available(&self) -> bool {
        self.error.is_none()
    }
}

/// A user name and password from an HTTP request (Basic authentication), checked against
/// upsd.users by the source.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: Secret,
    /// The address of the HTTP client (for the log).
    pub peer: String,
}

impl Credentials {
    /// Credentials of a client at `peer`.
    pub fn new(username: impl Into<String>, password: impl Into<Secret>, peer: &str) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            peer: peer.to_owned(),
        }
    }
}

/// Why a SET or INSTCMD was not passed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// upsd's answer (`ACCESS-DENIED`, `INVALID-VALUE`, `UNKNOWN-UPS`, …).
    #[error("{}: {}", .0, .0.description())]
    Refused(ErrorCode),
    /// upsd could not be reached.
    #[error("upsd cannot be reached: {0}")]
    Unreachable(String),
}

/// A source of device data for the HTTP service.
#[async_trait]
pub trait Source: Send + Sync + 'static {
    /// Every device, in configuration order. A device that did not change may be the same
    /// `Arc` as in the previous answer (the hub then skips comparing it).
    async fn devices(&self) -> Vec<Arc<DeviceData>>;

    /// Returns when the data may have changed (at once after a change, or after a polling
    /// interval for sources that cannot be told).
    async fn changed(&self);

    /// `SET VAR ups var value` as `who`, with the network protocol's checks and ACL.
    async fn set_var(
        &self,
        who: &Credentials,
        ups: &str,
        var: &str,
        value: &str,
    ) -> Result<(), WriteError>;

    /// `INSTCMD ups cmd [param]` as `who`, with the network protocol's checks and ACL.
    async fn instcmd(
        &self,
        who: &Credentials,
        ups: &str,
        cmd: &str,
        param: Option<&str>,
    ) -> Result<(), WriteError>;
}
