//! [`Client`]: a cheap, cloneable handle with one method per protocol command.

use std::sync::Arc;
use std::time::Duration;

use nut_proto::config::UpsAddress;
use nut_proto::names::{CmdName, TrackingId, UpsName, Value, VarName};
use nut_proto::net::{
    ClientEntry, ErrorCode, ListQuery, ListReply, RangeEntry, Request, Response, UpsEntry, VarType,
};
use nut_proto::secret::Secret;
use nut_proto::status::Status;

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::names::IntoName;
use crate::session::Shared;
use crate::types::{Grant, TrackingStatus, VarEntry, VarValue, Variable};

/// A connection to upsd.
///
/// Clones share the connection: requests from any clone, issued concurrently, are written
/// at once (pipelined) and their replies handed back in order. Names are given as `&str`
/// (checked before anything is sent: [`Error::InvalidArgument`]) or as the typed
/// [`UpsName`], [`VarName`] and [`CmdName`] of [`nut_proto::names`], used as they are (see
/// [`IntoName`]); an `ERR` reply is [`Error::Server`].
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

type Ups = UpsName;
type Var = VarName;
type Cmd = CmdName;

impl Client {
    /// Connects as `config` says: TCP, STARTTLS if asked, then USERNAME and PASSWORD if
    /// credentials are configured.
    pub async fn connect(config: ClientConfig) -> Result<Self> {
        Ok(Self {
            shared: Arc::new(Shared::connect(config).await?),
        })
    }

    /// Connects to `host:port` with the default settings (plain TCP, no credentials).
    pub async fn connect_to(host: &str, port: u16) -> Result<Self> {
        Self::connect(ClientConfig::new(host, port)).await
    }

    /// Connects to the server of a `ups[@host[:port]]` address, as upsc takes it (host
    /// `localhost` and port 3493 when left out), with the default settings; returns the
    /// client and the UPS name, checked, to pass to its methods. The address is read by
    /// [`UpsAddress`] (`ups@[::1]:3494` for IPv6); for TLS, credentials or timeouts start
    /// from [`ClientConfig::for_address`] instead.
    ///
    /// ```no_run
    /// # async fn demo() -> nut_client::Result<()> {
    /// let (client, ups) = nut_client::Client::connect_ups("myups@localhost:3493").await?;
    /// println!("{}", client.get_var(&ups, "battery.charge").await?);
    /// # Ok(()) }
    /// ```
    pub async fn connect_ups(address: &str) -> Result<(Self, UpsName)> {
        let address: UpsAddress = address.parse()?;
        let client = Self::connect(ClientConfig::for_address(&address).build()).await?;
        Ok((client, address.ups().clone()))
    }

    /// The configuration this client was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// Whether the current connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.shared.is_tls()
    }

    /// Sends any [`Request`] and returns the [`Response`] as it came, `ERR` included.
    pub async fn request(&self, request: Request) -> Result<Response> {
        self.shared.request(request).await
    }

    /// Sends a request; an `ERR` reply becomes [`Error::Server`].
    async fn ask(&self, request: Request) -> Result<Response> {
        Error::check(self.request(request).await?)
    }

    async fn expect_ok(&self, request: Request) -> Result<()> {
        let keyword = request.command().as_str();
        match self.ask(request).await? {
            Response::Ok => Ok(()),
            other => Err(Error::unexpected(keyword, &other)),
        }
    }

    async fn text(&self, request: Request) -> Result<String> {
        let keyword = request.command().as_str();
        match self.ask(request).await? {
            Response::Text(text) => Ok(text.as_str().to_owned()),
            other => Err(Error::unexpected(keyword, &other)),
        }
    }

    /// `VER`: the server's version text.
    pub async fn server_version(&self) -> Result<String> {
        self.text(Request::Ver).await
    }

    /// `NETVER`: the protocol version (`1.3` for NUT 2.8).
    pub async fn protocol_version(&self) -> Result<String> {
        self.text(Request::NetVer).await
    }

    /// `HELP`: the server's list of commands.
    pub async fn help(&self) -> Result<String> {
        self.text(Request::Help).await
    }

    // ----- GET -----

    /// `GET VAR`: one variable's value.
    pub async fn get_var(
        &self,
        ups: impl IntoName<Ups>,
        var: impl IntoName<Var>,
    ) -> Result<VarValue> {
        let request = Request::GetVar {
            ups: ups.into_name()?,
            var: var.into_name()?,
        };
        match self.ask(request).await? {
            Response::Var { value, .. } => Ok(value.into()),
            other => Err(Error::unexpected("GET VAR", &other)),
        }
    }

    /// `ups.status`, parsed into its words ([`Status`]).
    pub async fn status(&self, ups: impl IntoName<Ups>) -> Result<Status> {
        let ups: Ups = ups.into_name()?;
        Ok(self.get_var(&ups, "ups.status").await?.as_status())
    }

    /// `GET TYPE`: a variable's flags and kind ([`VarType`]).
    pub async fn get_type(
        &self,
        ups: impl IntoName<Ups>,
        var: impl IntoName<Var>,
    ) -> Result<VarType> {
        let request = Request::GetType {
            ups: ups.into_name()?,
            var: var.into_name()?,
        };
        match self.ask(request).await? {
            Response::Type { var_type, .. } => Ok(var_type),
            other => Err(Error::unexpected("GET TYPE", &other)),
        }
    }

    /// `GET DESC`: a variable's description.
    pub async fn get_desc(
        &self,
        ups: impl IntoName<Ups>,
        var: impl IntoName<Var>,
    ) -> Result<String> {
        let request = Request::GetDesc {
            ups: ups.into_name()?,
            var: var.into_name()?,
        };
        match self.ask(request).await? {
            Response::Desc { desc, .. } => Ok(desc.as_str().to_owned()),
            other => Err(Error::unexpected("GET DESC", &other)),
        }
    }

    /// `GET CMDDESC`: an instant command's description.
    pub async fn get_cmd_desc(
        &self,
        ups: impl IntoName<Ups>,
        cmd: impl IntoName<Cmd>,
    ) -> Result<String> {
        let request = Request::GetCmdDesc {
            ups: ups.into_name()?,
            cmd: cmd.into_name()?,
        };
        match self.ask(request).await? {
            Response::CmdDesc { desc, .. } => Ok(desc.as_str().to_owned()),
            other => Err(Error::unexpected("GET CMDDESC", &other)),
        }
    }

    /// `GET UPSDESC`: the UPS's description from ups.conf (`Unavailable` if none).
    pub async fn get_ups_desc(&self, ups: impl IntoName<Ups>) -> Result<String> {
        let request = Request::GetUpsDesc {
            ups: ups.into_name()?,
        };
        match self.ask(request).await? {
            Response::UpsDesc { desc, .. } => Ok(desc.as_str().to_owned()),
            other => Err(Error::unexpected("GET UPSDESC", &other)),
        }
    }

    /// `GET NUMLOGINS`: how many sessions did LOGIN on the UPS.
    pub async fn get_num_logins(&self, ups: impl IntoName<Ups>) -> Result<u32> {
        let request = Request::GetNumLogins {
            ups: ups.into_name()?,
        };
        match self.ask(request).await? {
            Response::NumLogins { count, .. } => Ok(count),
            other => Err(Error::unexpected("GET NUMLOGINS", &other)),
        }
    }

    /// `GET TRACKING`: whether this session has tracking on.
    pub async fn tracking_enabled(&self) -> Result<bool> {
        match self.ask(Request::GetTracking { id: None }).await? {
            Response::TrackingEnabled(on) => Ok(on),
            other => Err(Error::unexpected("GET TRACKING", &other)),
        }
    }

    /// `GET TRACKING <id>`: the outcome of a tracked SET VAR or INSTCMD ([`TrackingId`]).
    pub async fn tracking_status(&self, id: &TrackingId) -> Result<TrackingStatus> {
        let request = Request::GetTracking {
            id: Some(id.clone()),
        };
        match self.request(request).await? {
            Response::Pending => Ok(TrackingStatus::Pending),
            Response::Success => Ok(TrackingStatus::Success),
            Response::Err { code, .. } => Ok(TrackingStatus::Failed(code)),
            other => Err(Error::unexpected("GET TRACKING", &other)),
        }
    }

    /// Polls `GET TRACKING <id>` every `poll` until the outcome is known or `limit` has
    /// passed ([`Error::TrackingTimeout`]).
    pub async fn wait_tracking(
        &self,
        id: &TrackingId,
        limit: Duration,
        poll: Duration,
    ) -> Result<TrackingStatus> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match self.tracking_status(id).await? {
                TrackingStatus::Pending => {}
                done => return Ok(done),
            }
            if tokio::time::Instant::now() + poll > deadline {
                return Err(Error::TrackingTimeout);
            }
            tokio::time::sleep(poll).await;
        }
    }

    // ----- LIST -----

    async fn list(&self, query: ListQuery) -> Result<ListReply> {
        match self.ask(Request::List(query)).await? {
            Response::List(list) => Ok(list),
            other => Err(Error::unexpected("LIST", &other)),
        }
    }

    /// `LIST UPS`: every UPS the server has, with its description ([`UpsEntry`]).
    pub async fn list_ups(&self) -> Result<Vec<UpsEntry>> {
        match self.list(ListQuery::Ups).await? {
            ListReply::Ups(items) => Ok(items),
            other => Err(Error::unexpected("LIST", &Response::List(other))),
        }
    }

    /// `LIST VAR`: every variable of the UPS with its value ([`VarEntry`]: the same
    /// [`VarValue`] as [`get_var`](Self::get_var)), sorted by name.
    pub async fn list_vars(&self, ups: impl IntoName<Ups>) -> Result<Vec<VarEntry>> {
        match self
            .list(ListQuery::Var {
                ups: ups.into_name()?,
            })
            .await?
        {
            ListReply::Var { vars, .. } => Ok(vars.into_iter().map(VarEntry::from).collect()),
            other => Err(Error::unexpected("LIST", &Response::List(other))),
        }
    }

    /// `LIST RW`: the writable variables with their values ([`VarEntry`]).
    pub async fn list_rw(&self, ups: impl IntoName<Ups>) -> Result<Vec<VarEntry>> {
        match self
            .list(ListQuery::Rw {
                ups: ups.into_name()?,
            })
            .await?
        {
            ListReply::Rw { vars, .. } => Ok(vars.into_iter().map(VarEntry::from).collect()),
            other => Err(Error::unexpected("LIST", &Response::List(other))),
        }
    }

    /// `LIST CMD`: the instant commands of the UPS ([`CmdName`]s).
    pub async fn list_cmds(&self, ups: impl IntoName<Ups>) -> Result<Vec<CmdName>> {
        match self
            .list(ListQuery::Cmd {
                ups: ups.into_name()?,
            })
            .await?
        {
            ListReply::Cmd { cmds, .. } => Ok(cmds),
            other => Err(Error::unexpected("LIST", &Response::List(other))),
        }
    }

    /// `LIST ENUM`: the values an enumerated variable accepts ([`Value`]s).
    pub async fn list_enum(
        &self,
        ups: impl IntoName<Ups>,
        var: impl IntoName<Var>,
    ) -> Result<Vec<Value>> {
        let query = ListQuery::Enum {
            ups: ups.into_name()?,
            var: var.into_name()?,
        };
        match self.list(query).await? {
            ListReply::Enum { values, .. } => Ok(values),
            other => Err(Error::unexpected("LIST", &Response::List(other))),
        }
    }

    /// `LIST RANGE`: the ranges a numeric variable accepts ([`RangeEntry`]).
    pub async fn list_range(
        &self,
        ups: impl IntoName<Ups>,
        var: impl IntoName<Var>,
    ) -> Result<Vec<RangeEntry>> {
        let query = ListQuery::Range {
            ups: ups.into_name()?,
            var: var.into_name()?,
        };
        match self.list(query).await? {
            ListReply::Range { ranges, .. } => Ok(ranges),
            other => Err(Error::unexpected("LIST", &Response::List(other))),
        }
    }

    /// `LIST CLIENT`: the addresses of the sessions that did LOGIN on the UPS
    /// ([`ClientEntry`]).
    pub async fn list_clients(&self, ups: impl IntoName<Ups>) -> Result<Vec<ClientEntry>> {
        match self
            .list(ListQuery::Client {
                ups: ups.into_name()?,
            })
            .await?
        {
            ListReply::Client { clients, .. } => Ok(clients),
            other => Err(Error::unexpected("LIST", &Response::List(other))),
        }
    }

    /// Everything about one variable: value, type, description and, as its type says,
    /// its enumeration or ranges. The requests are pipelined.
    pub async fn variable(
        &self,
        ups: impl IntoName<Ups>,
        var: impl IntoName<Var>,
    ) -> Result<Variable> {
        let (ups, var): (Ups, Var) = (ups.into_name()?, var.into_name()?);
        let (value, var_type, description) = tokio::try_join!(
            self.get_var(&ups, &var),
            self.get_type(&ups, &var),
            self.get_desc(&ups, &var)
        )?;
        let (enum_values, ranges) = tokio::try_join!(
            async {
                match var_type.enumerated {
                    true => self.list_enum(&ups, &var).await,
                    false => Ok(Vec::new()),
                }
            },
            async {
                match var_type.range {
                    true => self.list_range(&ups, &var).await,
                    false => Ok(Vec::new()),
                }
            }
        )?;
        Ok(Variable {
            name: var,
            value,
            var_type,
            description,
            enum_values: enum_values
                .into_iter()
                .map(|v| v.as_str().to_owned())
                .collect(),
            ranges,
        })
    }

    /// [`variable`](Self::variable) for every writable variable of the UPS.
    pub async fn rw_variables(&self, ups: impl IntoName<Ups>) -> Result<Vec<Variable>> {
        let ups: Ups = ups.into_name()?;
        let names = self.list_rw(&ups).await?;
        let all = names.iter().map(|entry| self.variable(&ups, &entry.name));
        futures_util::future::try_join_all(all).await
    }

    // ----- authentication and actions -----

    /// `USERNAME`.
    pub async fn username(&self, username: &str) -> Result<()> {
        let username = Value::new(username)?;
        self.expect_ok(Request::Username {
            username: username.clone(),
        })
        .await?;
        self.shared.record(|s| s.username = Some(username));
        Ok(())
    }

    /// `PASSWORD`.
    pub async fn password(&self, password: &str) -> Result<()> {
        let password = Secret::new(password);
        self.expect_ok(Request::Password {
            password: password.clone(),
        })
        .await?;
        self.shared.record(|s| s.password = Some(password));
        Ok(())
    }

    /// USERNAME then PASSWORD.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<()> {
        self.username(username).await?;
        self.password(password).await
    }

    /// `LOGIN`: records that this system draws power from the UPS (upsmon does this).
    pub async fn login(&self, ups: impl IntoName<Ups>) -> Result<()> {
        let ups = ups.into_name()?;
        self.expect_ok(Request::Login { ups: ups.clone() }).await?;
        self.shared.record(|s| s.logins.push(ups));
        Ok(())
    }

    /// `PRIMARY`, falling back to `MASTER` for servers older than NUT 2.8 (which answer
    /// PRIMARY with `ERR UNKNOWN-COMMAND`). Returns which of the two was granted.
    pub async fn primary(&self, ups: impl IntoName<Ups>) -> Result<Grant> {
        let ups = ups.into_name()?;
        let master = match self.request(Request::Primary { ups: ups.clone() }).await? {
            Response::OkPrimaryGranted | Response::Ok => false,
            Response::Err {
                code: ErrorCode::UnknownCommand,
                ..
            } => match self.ask(Request::Master { ups: ups.clone() }).await? {
                Response::OkMasterGranted | Response::Ok => true,
                other => return Err(Error::unexpected("MASTER", &other)),
            },
            Response::Err { code, .. } => return Err(Error::Server { code }),
            other => return Err(Error::unexpected("PRIMARY", &other)),
        };
        self.shared.record(|s| s.primaries.push((ups, master)));
        Ok(if master {
            Grant::Master
        } else {
            Grant::Primary
        })
    }

    /// `FSD`: sets the forced-shutdown flag of the UPS (primary only).
    pub async fn fsd(&self, ups: impl IntoName<Ups>) -> Result<()> {
        match self
            .ask(Request::Fsd {
                ups: ups.into_name()?,
            })
            .await?
        {
            Response::OkFsdSet | Response::Ok => Ok(()),
            other => Err(Error::unexpected("FSD", &other)),
        }
    }

    /// `LOGOUT`: ends the session; the server closes the connection. A client with
    /// reconnect opens a new, unauthenticated-by-LOGIN session on its next request.
    pub async fn logout(&self) -> Result<()> {
        let reply = self.ask(Request::Logout).await;
        self.shared.reset();
        match reply? {
            Response::OkGoodbye | Response::Ok => Ok(()),
            other => Err(Error::unexpected("LOGOUT", &other)),
        }
    }

    /// `SET TRACKING ON|OFF`.
    pub async fn set_tracking(&self, enable: bool) -> Result<()> {
        self.expect_ok(Request::SetTracking { enable }).await?;
        self.shared.record(|s| s.tracking = enable);
        Ok(())
    }

    fn handed_over(keyword: &'static str, reply: Response) -> Result<Option<TrackingId>> {
        match reply {
            Response::Ok => Ok(None),
            Response::OkTracking(id) => Ok(Some(id)),
            other => Err(Error::unexpected(keyword, &other)),
        }
    }

    /// `SET VAR`: hands a new value to the driver. With tracking on, returns the id to
    /// follow with [`tracking_status`](Self::tracking_status).
    pub async fn set_var(
        &self,
        ups: impl IntoName<Ups>,
        var: impl IntoName<Var>,
        value: &str,
    ) -> Result<Option<TrackingId>> {
        let request = Request::SetVar {
            ups: ups.into_name()?,
            var: var.into_name()?,
            value: Value::new(value)?,
        };
        Self::handed_over("SET", self.ask(request).await?)
    }

    /// `INSTCMD` with an optional parameter. With tracking on, returns the id to follow.
    pub async fn instcmd(
        &self,
        ups: impl IntoName<Ups>,
        cmd: impl IntoName<Cmd>,
        param: Option<&str>,
    ) -> Result<Option<TrackingId>> {
        let request = Request::InstCmd {
            ups: ups.into_name()?,
            cmd: cmd.into_name()?,
            param: param.map(Value::new).transpose()?,
        };
        Self::handed_over("INSTCMD", self.ask(request).await?)
    }

    /// SET VAR and wait for the driver's result (turns tracking on if needed).
    pub async fn set_var_wait(
        &self,
        ups: impl IntoName<Ups>,
        var: impl IntoName<Var>,
        value: &str,
        limit: Duration,
    ) -> Result<TrackingStatus> {
        let (ups, var): (Ups, Var) = (ups.into_name()?, var.into_name()?);
        self.set_tracking(true).await?;
        match self.set_var(ups, var, value).await? {
            Some(id) => self.wait_tracking(&id, limit, Duration::from_secs(1)).await,
            None => Err(Error::UnexpectedReply {
                request: "SET",
                reply: "OK (no tracking id)".into(),
            }),
        }
    }

    /// INSTCMD and wait for the driver's result (turns tracking on if needed).
    pub async fn instcmd_wait(
        &self,
        ups: impl IntoName<Ups>,
        cmd: impl IntoName<Cmd>,
        param: Option<&str>,
        limit: Duration,
    ) -> Result<TrackingStatus> {
        let (ups, cmd): (Ups, Cmd) = (ups.into_name()?, cmd.into_name()?);
        self.set_tracking(true).await?;
        match self.instcmd(ups, cmd, param).await? {
            Some(id) => self.wait_tracking(&id, limit, Duration::from_secs(1)).await,
            None => Err(Error::UnexpectedReply {
                request: "INSTCMD",
                reply: "OK (no tracking id)".into(),
            }),
        }
    }

    /// Watches the UPS's variables: see [`Watch`](crate::Watch).
    pub fn watch(&self, ups: impl IntoName<Ups>, interval: Duration) -> Result<crate::Watch> {
        crate::watch::Watch::new(self.clone(), ups.into_name()?, interval)
    }
}
