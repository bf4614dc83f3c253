//! The shared state behind every clone of a [`Client`](crate::Client): the live connection,
//! what the session has done (to replay it after a reconnect), and reconnecting.

use std::sync::Mutex;

use tokio::sync::oneshot;

use nut_proto::names::{UpsName, Value};
use nut_proto::net::{Request, Response};
use nut_proto::secret::Secret;

use crate::config::ClientConfig;
use crate::connection::{self, Call, Link};
use crate::error::{Error, Result};

/// What the session has done that a new connection must repeat.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    pub(crate) username: Option<Value>,
    pub(crate) password: Option<Secret>,
    pub(crate) logins: Vec<UpsName>,
    /// UPSes this session is primary for, and whether MASTER (not PRIMARY) was granted.
    pub(crate) primaries: Vec<(UpsName, bool)>,
    pub(crate) tracking: bool,
}

impl Session {
    pub(crate) fn from_config(config: &ClientConfig) -> Result<Self> {
        let mut session = Self::default();
        if let Some((user, password)) = &config.credentials {
            session.username = Some(Value::new(user.as_str())?);
            session.password = Some(password.clone());
        }
        Ok(session)
    }

    fn replay(&self) -> Vec<Request> {
        let mut requests = Vec::new();
        if let Some(username) = &self.username {
            requests.push(Request::Username {
                username: username.clone(),
            });
        }
        if let Some(password) = &self.password {
            requests.push(Request::Password {
                password: password.clone(),
            });
        }
        for ups in &self.logins {
            requests.push(Request::Login { ups: ups.clone() });
        }
        for (ups, master) in &self.primaries {
            requests.push(match master {
                true => Request::Master { ups: ups.clone() },
                false => Request::Primary { ups: ups.clone() },
            });
        }
        if self.tracking {
            requests.push(Request::SetTracking { enable: true });
        }
        requests
    }
}

#[derive(Debug)]
struct State {
    link: Option<Link>,
    generation: u64,
    session: Session,
}

/// The state shared by the clones of one client.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: ClientConfig,
    state: Mutex<State>,
    reconnecting: tokio::sync::Mutex<()>,
}

/// Sends one request on `link` and waits for its reply.
pub(crate) async fn call(link: &Link, request: Request) -> Result<Response> {
    let (reply, rx) = oneshot::channel();
    link.tx
        .send(Call { request, reply })
        .map_err(|_| Error::Closed)?;
    rx.await.map_err(|_| Error::Closed)?
}

/// Opens a connection and replays `session` on it.
async fn establish(config: &ClientConfig, session: &Session) -> Result<Link> {
    let link = connection::open(config).await?;
    for request in session.replay() {
        let keyword = request.command().as_str();
        match call(&link, request).await? {
            Response::Err { code, .. } => return Err(Error::Server { code }),
            Response::Ok | Response::OkPrimaryGranted | Response::OkMasterGranted => {}
            other => return Err(Error::unexpected(keyword, &other)),
        }
    }
    Ok(link)
}

impl Shared {
    pub(crate) async fn connect(config: ClientConfig) -> Result<Self> {
        let session = Session::from_config(&config)?;
        let link = establish(&config, &session).await?;
        Ok(Self {
            config,
            state: Mutex::new(State {
                link: Some(link),
                generation: 0,
                session,
            }),
            reconnecting: tokio::sync::Mutex::new(()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The live link, if there is one.
    fn current(&self) -> Option<(Link, u64)> {
        let state = self.lock();
        match &state.link {
            Some(link) if !link.tx.is_closed() => Some((link.clone(), state.generation)),
            _ => None,
        }
    }

    /// Whether the current connection uses TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.current().is_some_and(|(link, _)| link.tls)
    }

    /// Changes the recorded session.
    pub(crate) fn record(&self, f: impl FnOnce(&mut Session)) {
        f(&mut self.lock().session);
    }

    /// Forgets the connection of `generation` (it failed).
    fn drop_link(&self, generation: u64) {
        let mut state = self.lock();
        if state.generation == generation {
            state.link = None;
        }
    }

    /// Forgets the current connection and the session (after LOGOUT).
    pub(crate) fn reset(&self) {
        let mut state = self.lock();
        state.link = None;
        state.session.logins.clear();
        state.session.primaries.clear();
    }

    /// The live link, reconnecting (with the policy's backoff) when there is none.
    async fn link(&self) -> Result<(Link, u64)> {
        if let Some(found) = self.current() {
            return Ok(found);
        }
        let Some(policy) = self.config.reconnect.clone() else {
            return Err(Error::Closed);
        };
        let _guard = self.reconnecting.lock().await;
        if let Some(found) = self.current() {
            return Ok(found);
        }
        let mut attempt = 0u32;
        loop {
            tokio::time::sleep(policy.delay(attempt)).await;
            let session = self.lock().session.clone();
            match establish(&self.config, &session).await {
                Ok(link) => {
                    let mut state = self.lock();
                    state.generation += 1;
                    state.link = Some(link.clone());
                    tracing::debug!(host = %self.config.host, "reconnected to upsd");
                    return Ok((link, state.generation));
                }
                Err(e @ (Error::Server { .. } | Error::Config(_) | Error::InvalidArgument(_))) => {
                    return Err(e)
                }
                Err(e) => {
                    attempt = attempt.saturating_add(1);
                    tracing::debug!(host = %self.config.host, attempt, "reconnect failed: {e}");
                    if policy.max_attempts.is_some_and(|max| attempt >= max) {
                        return Err(e);
                    }
                }
            }
        }
    }

    async fn try_request(&self, request: Request) -> Result<Response> {
        let (link, generation) = self.link().await?;
        let result = call(&link, request).await;
        if let Err(e) = &result {
            if e.is_transport() {
                self.drop_link(generation);
            }
        }
        result
    }

    /// Sends `request` and returns the reply (an `ERR` reply is a `Response::Err`, not an
    /// error). Reads are retried once on a new connection when reconnect is on.
    pub(crate) async fn request(&self, request: Request) -> Result<Response> {
        let retry = self.config.reconnect.is_some()
            && matches!(
                request,
                Request::GetVar { .. }
                    | Request::GetType { .. }
                    | Request::GetDesc { .. }
                    | Request::GetCmdDesc { .. }
                    | Request::GetUpsDesc { .. }
                    | Request::GetNumLogins { .. }
                    | Request::List(_)
                    | Request::Ver
                    | Request::NetVer
                    | Request::ProtVer
                    | Request::Help
            );
        if !retry {
            return self.try_request(request).await;
        }
        match self.try_request(request.clone()).await {
            Err(e) if e.is_transport() => self.try_request(request).await,
            other => other,
        }
    }
}
