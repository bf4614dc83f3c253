//! A blocking client for simple scripts (feature `blocking`): the async [`Client`] driven by
//! a private single-threaded tokio runtime.
//!
//! ```no_run
//! use nut_client::blocking::Client;
//! use nut_client::ClientConfig;
//!
//! let client = Client::connect(ClientConfig::new("localhost", 3493))?;
//! println!("{}", client.get_var("myups", "battery.charge")?);
//! let (client, ups) = Client::connect_ups("myups@localhost:3493")?;
//! println!("{}", client.status(&ups)?);
//! # Ok::<(), nut_client::Error>(())
//! ```
//!
//! Do not call it from inside an async runtime (tokio forbids blocking there); use the
//! async client.

use std::sync::Arc;
use std::time::Duration;

use nut_proto::names::{CmdName, TrackingId, UpsName, Value, VarName};
use nut_proto::net::{ClientEntry, RangeEntry, Request, Response, UpsEntry, VarType};
use nut_proto::status::Status;

use crate::client::Client as AsyncClient;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::names::IntoName;
use crate::types::{Grant, TrackingStatus, VarEntry, VarValue, Variable};

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

    /// Connects to the server of a `ups[@host[:port]]` address and returns the client and
    /// the checked UPS name (see [`AsyncClient::connect_ups`]).
    pub fn connect_ups(address: &str) -> Result<(Self, UpsName)> {
        let address: nut_proto::config::UpsAddress = address.parse()?;
        let client = Self::connect(ClientConfig::for_address(&address).build())?;
        Ok((client, address.ups().clone()))
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
        fn get_var(ups: impl IntoName<UpsName>, var: impl IntoName<VarName>) -> VarValue;
        /// `ups.status`, parsed.
        fn status(ups: impl IntoName<UpsName>) -> Status;
        /// `GET TYPE`.
        fn get_type(ups: impl IntoName<UpsName>, var: impl IntoName<VarName>) -> VarType;
        /// `GET DESC`.
        fn get_desc(ups: impl IntoName<UpsName>, var: impl IntoName<VarName>) -> String;
        /// `GET CMDDESC`.
        fn get_cmd_desc(ups: impl IntoName<UpsName>, cmd: impl IntoName<CmdName>) -> String;
        /// `GET UPSDESC`.
        fn get_ups_desc(ups: impl IntoName<UpsName>) -> String;
        /// `GET NUMLOGINS`.
        fn get_num_logins(ups: impl IntoName<UpsName>) -> u32;
        /// `LIST UPS`.
        fn list_ups() -> Vec<UpsEntry>;
        /// `LIST VAR`.
        fn list_vars(ups: impl IntoName<UpsName>) -> Vec<VarEntry>;
        /// `LIST RW`.
        fn list_rw(ups: impl IntoName<UpsName>) -> Vec<VarEntry>;
        /// `LIST CMD`.
        fn list_cmds(ups: impl IntoName<UpsName>) -> Vec<CmdName>;
        /// `LIST ENUM`.
        fn list_enum(ups: impl IntoName<UpsName>, var: impl IntoName<VarName>) -> Vec<Value>;
        /// `LIST RANGE`.
        fn list_range(ups: impl IntoName<UpsName>, var: impl IntoName<VarName>) -> Vec<RangeEntry>;
        /// `LIST CLIENT`.
        fn list_clients(ups: impl IntoName<UpsName>) -> Vec<ClientEntry>;
        /// Value, type, description, enumeration and ranges of a variable.
        fn variable(ups: impl IntoName<UpsName>, var: impl IntoName<VarName>) -> Variable;
        /// USERNAME then PASSWORD.
        fn authenticate(username: &str, password: &str) -> ();
        /// `LOGIN`.
        fn login(ups: impl IntoName<UpsName>) -> ();
        /// `PRIMARY` (or `MASTER` on old servers); which one was granted.
        fn primary(ups: impl IntoName<UpsName>) -> Grant;
        /// `FSD`.
        fn fsd(ups: impl IntoName<UpsName>) -> ();
        /// `LOGOUT`.
        fn logout() -> ();
        /// `SET TRACKING ON|OFF`.
        fn set_tracking(enable: bool) -> ();
        /// `GET TRACKING <id>`.
        fn tracking_status(id: &TrackingId) -> TrackingStatus;
        /// `SET VAR`.
        fn set_var(ups: impl IntoName<UpsName>, var: impl IntoName<VarName>, value: &str) -> Option<TrackingId>;
        /// `INSTCMD`.
        fn instcmd(ups: impl IntoName<UpsName>, cmd: impl IntoName<CmdName>, param: Option<&str>) -> Option<TrackingId>;
        /// SET VAR and wait for the driver's result.
        fn set_var_wait(ups: impl IntoName<UpsName>, var: impl IntoName<VarName>, value: &str, limit: Duration) -> TrackingStatus;
        /// INSTCMD and wait for the driver's result.
        fn instcmd_wait(ups: impl IntoName<UpsName>, cmd: impl IntoName<CmdName>, param: Option<&str>, limit: Duration) -> TrackingStatus;
    }
}
