//! A blocking client for simple scripts (feature `blocking`): the async [`Client`] driven by
//! a private single-threaded tokio runtime.
//!
//! ```no_run
//! use nut_client::blocking::Client;
//! use nut_client::ClientConfig;
//!
//! let client = Client::connect(ClientConfig::new("localhost", 3493))?;
//! println!("{}", client.get_var("myups", "battery.charge")?);
//! # Ok::<(), nut_client::Error>(())
//! ```
//!
//! Do not call it from inside an async runtime (tokio forbids blocking there); use the
//! async client.

use std::sync::Arc;
use std::time::Duration;

use nut_proto::names::{CmdName, TrackingId, Value};
use nut_proto::net::{ClientEntry, RangeEntry, Request, Response, UpsEntry, VarEntry, VarType};
use nut_proto::status::Status;

use crate::client::Client as AsyncClient;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::types::{TrackingStatus, VarValue, Variable};

/// A blocking handle; clones share the connection and the runtime.
#[derive(Debug, Clone)]
pub struct Client {
    runtime: Arc<tokio::runtime::Runtime>,
    inner: AsyncClient,
}

macro_rules! blocking {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;
    )*) => {$(
        $(#[$doc])*
        pub fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
            self.runtime.block_on(self.inner.$name($($arg),*))
        }
    )*};
}

impl Client {
    /// Connects as `config` says (see [`AsyncClient::connect`]).
    pub fn connect(config: ClientConfig) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Io)?;
        let inner = runtime.block_on(AsyncClient::connect(config))?;
        Ok(Self {
            runtime: Arc::new(runtime),
            inner,
        })
    }

    /// The async client underneath (use it only through this runtime).
    pub fn as_async(&self) -> &AsyncClient {
        &self.inner
    }

    blocking! {
        /// Any request; the reply as it came. See [`AsyncClient::request`].
        fn request(request: Request) -> Response;
        /// `VER`.
        fn server_version() -> String;
        /// `NETVER`.
        fn protocol_version() -> String;
        /// `GET VAR`.
        fn get_var(ups: &str, var: &str) -> VarValue;
        /// `ups.status`, parsed.
        fn status(ups: &str) -> Status;
        /// `GET TYPE`.
        fn get_type(ups: &str, var: &str) -> VarType;
        /// `GET DESC`.
        fn get_desc(ups: &str, var: &str) -> String;
        /// `GET CMDDESC`.
        fn get_cmd_desc(ups: &str, cmd: &str) -> String;
        /// `GET UPSDESC`.
        fn get_ups_desc(ups: &str) -> String;
        /// `GET NUMLOGINS`.
        fn get_num_logins(ups: &str) -> u32;
        /// `LIST UPS`.
        fn list_ups() -> Vec<UpsEntry>;
        /// `LIST VAR`.
        fn list_vars(ups: &str) -> Vec<VarEntry>;
        /// `LIST RW`.
        fn list_rw(ups: &str) -> Vec<VarEntry>;
        /// `LIST CMD`.
        fn list_cmds(ups: &str) -> Vec<CmdName>;
        /// `LIST ENUM`.
        fn list_enum(ups: &str, var: &str) -> Vec<Value>;
        /// `LIST RANGE`.
        fn list_range(ups: &str, var: &str) -> Vec<RangeEntry>;
        /// `LIST CLIENT`.
        fn list_clients(ups: &str) -> Vec<ClientEntry>;
        /// Value, type, description, enumeration and ranges of a variable.
        fn variable(ups: &str, var: &str) -> Variable;
        /// USERNAME then PASSWORD.
        fn authenticate(username: &str, password: &str) -> ();
        /// `LOGIN`.
        fn login(ups: &str) -> ();
        /// `PRIMARY` (or `MASTER` on old servers); whether MASTER was used.
        fn primary(ups: &str) -> bool;
        /// `FSD`.
        fn fsd(ups: &str) -> ();
        /// `LOGOUT`.
        fn logout() -> ();
        /// `SET TRACKING ON|OFF`.
        fn set_tracking(enable: bool) -> ();
        /// `GET TRACKING <id>`.
        fn tracking_status(id: &TrackingId) -> TrackingStatus;
        /// `SET VAR`.
        fn set_var(ups: &str, var: &str, value: &str) -> Option<TrackingId>;
        /// `INSTCMD`.
        fn instcmd(ups: &str, cmd: &str, param: Option<&str>) -> Option<TrackingId>;
        /// SET VAR and wait for the driver's result.
        fn set_var_wait(ups: &str, var: &str, value: &str, limit: Duration) -> TrackingStatus;
        /// INSTCMD and wait for the driver's result.
        fn instcmd_wait(ups: &str, cmd: &str, param: Option<&str>, limit: Duration) -> TrackingStatus;
    }
}
