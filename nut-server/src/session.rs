//! One client session's protocol logic, without I/O: a request line's words in, the reply
//! bytes out, in the order C upsd makes its checks.
//!
//! The connection task ([`crate::connection`]) feeds lines and writes what comes out.

use std::fmt::Write as _;
use std::sync::Arc;

use bytes::BytesMut;
use nut_proto::names::{UpsName, Value, VarName};
use nut_proto::net::{
    ClientEntry, Command, ErrorCode, ListQuery, ListReply, RangeEntry, Request, RequestError,
    Response, UpsEntry, VarEntry, VarKind, VarType, HELP_TEXT, PROTOCOL_VERSION,
};
use nut_proto::secret::Secret;
use nut_proto::sock::ServerMessage;
use tokio_rustls::TlsAcceptor;

use crate::device::Device;
use crate::shared::{Shared, Snapshot};
use crate::tracking::new_id;

/// What the connection must do after a line.
pub(crate) enum Outcome {
    /// Read the next line.
    Continue,
    /// Send what was written, then close (LOGOUT).
    Close,
    /// Send what was written (`OK STARTTLS`), then start the TLS handshake.
    StartTls(TlsAcceptor),
}

/// The state of one client session.
pub(crate) struct Session {
    conn_id: u64,
    addr: Box<str>,
    username: Option<Box<str>>,
    password: Option<Secret>,
    login: Option<Arc<Device>>,
    tracking: bool,
    tls: bool,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(dev) = self.login.take() {
            dev.logout(self.conn_id);
        }
    }
}

/// `GET VAR` answered straight from the request's words, without a [`Request`] (which
/// would make both names, two allocations): only a well-formed request whose answer is a
/// `VAR` line. Anything else (an error, `server.*`) returns `false` untouched and takes the
/// general way, which answers it as C does.
fn get_var_plain<S: AsRef<str>>(snap: &Snapshot, args: &[S], out: &mut BytesMut) -> bool {
    let [sub, ups, var] = args else {
        return false;
    };
    let (sub, ups, var) = (sub.as_ref(), ups.as_ref(), var.as_ref());
    if !sub.eq_ignore_ascii_case("VAR")
        || UpsName::validate(ups).is_err()
        || VarName::validate(var).is_err()
        || var
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("server."))
    {
        return false;
    }
    write_device_var(snap, ups, var, out).is_ok()
}

/// The success reply to `GET VAR` for a device's own variable (not `server.*`): looks the
/// UPS up, checks that it can answer and has the variable, and writes the `VAR` line with
/// `ups` and `var` as they are (valid names); the status of a UPS in FSD takes `FSD ` in
/// front. Writes nothing and returns the error otherwise.
fn write_device_var(
    snap: &Snapshot,
    ups: &str,
    var: &str,
    out: &mut BytesMut,
) -> Result<(), ErrorCode> {
    let dev = snap.device_named(ups).ok_or(ErrorCode::UnknownUps)?;
    let link = dev.read();
    if let Some(code) = link.unavailable(snap.config.maxage) {
        return Err(code);
    }
    let v = link.state.get(var).ok_or(ErrorCode::VarNotSupported)?;
    if dev.fsd() && var.eq_ignore_ascii_case("ups.status") {
        // Cut as a `Value` is: the prefix may take it past the longest word.
        let value = Value::lossy(&format!("FSD {}", v.value()));
        let _ = Response::write_var_words(out, ups, var, value.as_str());
    } else {
        let _ = Response::write_var_words(out, ups, var, v.value().as_str());
    }
    Ok(())
}

fn reply(out: &mut BytesMut, response: &Response) {
    // Writing into a BytesMut cannot fail.
    let _ = response.write_to(out);
}

fn err(out: &mut BytesMut, code: ErrorCode) {
    reply(out, &Response::err(code));
}

/// A tracking id as C's SET and INSTCMD messages print it.
fn tracking_text(id: Option<&nut_proto::names::TrackingId>) -> &str {
    id.map_or("disabled", |id| id.as_str())
}

/// The text of VER and `server.info`.
fn version_text(version: &str) -> String {
    format!("Network UPS Tools upsd {version} - http://www.networkupstools.org/")
}

/// C's `atoi` as glibc has it: optional blanks and sign, then digits; the result of `strtol`
/// cut to an `int`.
fn c_atoi(s: &str) -> i32 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    let value = if negative { -value } else { value };
    value as i32
}

impl Session {
    pub(crate) fn new(conn_id: u64, addr: &str) -> Self {
        Self {
            conn_id,
            addr: addr.into(),
            username: None,
            password: None,
            login: None,
            tracking: false,
            tls: false,
        }
    }

    /// The connection id given at creation.
    pub(crate) fn conn_id(&self) -> u64 {
        self.conn_id
    }

    /// The user name as C's messages print it (glibc's `(null)` before USERNAME).
    fn user(&self) -> &str {
        self.username.as_deref().unwrap_or("(null)")
    }

    /// What C adds to the login and logout messages of a TLS session.
    fn ssl_note(&self) -> &'static str {
        if self.tls {
            " (SSL)"
        } else {
            ""
        }
    }

    /// Marks the session as running over TLS (STARTTLS then answers `ALREADY-SSL-MODE`).
    pub(crate) fn set_tls(&mut self) {
        self.tls = true;
    }

    /// Whether the session's credentials allow `action` (C's `user_checkaction`).
    fn allowed(
        &self,
        snap: &Snapshot,
        check: impl Fn(&nut_proto::config::UpsdUser) -> bool,
    ) -> bool {
        let (Some(name), Some(password)) = (&self.username, &self.password) else {
            return false;
        };
        snap.config
            .user(name)
            .is_some_and(|u| u.check_password(password.expose()) && check(u))
    }

    fn action(&self, snap: &Snapshot, action: &str) -> bool {
        self.allowed(snap, |u| u.allows_action(action))
    }

    /// Handles one request line (its words) and writes the reply into `out`.
    pub(crate) fn handle<S: AsRef<str>>(
        &mut self,
        shared: &Shared,
        snap: &Snapshot,
        words: &[S],
        out: &mut BytesMut,
    ) -> Outcome {
        let (command, args) = match Command::split(words) {
            Ok(split) => split,
            Err(e) => {
                if let Some(code) = e.code() {
                    err(out, code);
                }
                return Outcome::Continue;
            }
        };
        if command == Command::Get && get_var_plain(snap, args, out) {
            return Outcome::Continue;
        }
        if command.requires_auth() {
            if self.username.is_none() {
                err(out, ErrorCode::UsernameRequired);
                return Outcome::Continue;
            }
            if self.password.is_none() {
                err(out, ErrorCode::PasswordRequired);
                return Outcome::Continue;
            }
        }
        match Request::parse_args(command, args) {
            Ok(request) => self.request(shared, snap, request, out),
            Err(e) => {
                self.reject(snap, command, &e, out);
                Outcome::Continue
            }
        }
    }

    /// A request whose arguments are wrong: the checks C makes before it notices.
    fn reject(&self, snap: &Snapshot, command: Command, e: &RequestError, out: &mut BytesMut) {
        if matches!(e, RequestError::InvalidName { .. }) {
            if command == Command::Login && self.login.is_some() {
                return err(out, ErrorCode::AlreadyLoggedIn);
            }
            if let Some(ups) = e.checked_ups() {
                let Some(dev) = snap.device(ups) else {
                    return err(out, ErrorCode::UnknownUps);
                };
                if let Some(code) = dev.read().unavailable(snap.config.maxage) {
                    return err(out, code);
                }
                if command == Command::Set && !self.action(snap, "SET") {
                    return err(out, ErrorCode::AccessDenied);
                }
            }
        }
        if let Some(code) = e.code() {
            err(out, code);
        }
    }

    /// Looks a device up and checks that it can answer; writes the error otherwise.
    fn available<'s>(
        &self,
        snap: &'s Snapshot,
        ups: &UpsName,
        out: &mut BytesMut,
    ) -> Option<&'s Arc<Device>> {
        let Some(dev) = snap.device(ups) else {
            err(out, ErrorCode::UnknownUps);
            return None;
        };
        if let Some(code) = dev.read().unavailable(snap.config.maxage) {
            err(out, code);
            return None;
        }
        Some(dev)
    }

    fn request(
        &mut self,
        shared: &Shared,
        snap: &Snapshot,
        request: Request,
        out: &mut BytesMut,
    ) -> Outcome {
        match request {
            Request::Ver => {
                let _ = writeln!(out, "{}", version_text(&snap.config.version));
            }
            Request::NetVer | Request::ProtVer => {
                let _ = writeln!(out, "{PROTOCOL_VERSION}");
            }
            Request::Help => {
                let _ = writeln!(out, "{HELP_TEXT}");
            }
            Request::StartTls => {
                if self.tls {
                    err(out, ErrorCode::AlreadySslMode);
                } else if let Some(tls) = &snap.config.tls {
                    reply(out, &Response::OkStartTls);
                    return Outcome::StartTls(tls.acceptor().clone());
                } else {
                    err(out, ErrorCode::FeatureNotConfigured);
                }
            }
            Request::GetVar { ups, var } => {
                let name = var.as_str();
                if name
                    .get(..7)
                    .is_some_and(|p| p.eq_ignore_ascii_case("server."))
                {
                    let value = if name.eq_ignore_ascii_case("server.info") {
                        Some(("server.info", version_text(&snap.config.version)))
                    } else if name.eq_ignore_ascii_case("server.version") {
                        Some(("server.version", snap.config.version.clone()))
                    } else {
                        None
                    };
                    match value {
                        Some((var, value)) => {
                            let _ = writeln!(
                                out,
                                "VAR {ups} {var} {}",
                                nut_proto::tokenizer::quote(&value)
                            );
                        }
                        None => err(out, ErrorCode::VarNotSupported),
                    }
                    return Outcome::Continue;
                }
                if let Err(code) = write_device_var(snap, ups.as_str(), name, out) {
                    err(out, code);
                }
            }
            Request::GetType { ups, var } => {
                let Some(dev) = self.available(snap, &ups, out) else {
                    return Outcome::Continue;
                };
                let link = dev.read();
                match link.state.get(var.as_str()) {
                    None => err(out, ErrorCode::VarNotSupported),
                    Some(v) => {
                        let var_type = VarType {
                            rw: v.is_writable(),
                            enumerated: !v.enums().is_empty(),
                            range: !v.ranges().is_empty(),
                            kind: Some(if v.is_string() {
                                VarKind::String { max_len: v.aux() }
                            } else {
                                VarKind::Number
                            }),
                        };
                        reply(out, &Response::Type { ups, var, var_type });
                    }
                }
            }
            Request::GetDesc { ups, var } => {
                if self.available(snap, &ups, out).is_some() {
                    let desc =
                        Value::lossy(snap.config.cmdvartab.var_desc_or_default(var.as_str()));
                    reply(out, &Response::Desc { ups, var, desc });
                }
            }
            Request::GetCmdDesc { ups, cmd } => {
                if self.available(snap, &ups, out).is_some() {
                    let desc =
                        Value::lossy(snap.config.cmdvartab.cmd_desc_or_default(cmd.as_str()));
                    reply(out, &Response::CmdDesc { ups, cmd, desc });
                }
            }
            Request::GetUpsDesc { ups } => match snap.entry(&ups) {
                None => err(out, ErrorCode::UnknownUps),
                Some(entry) => {
                    let desc = Value::lossy(entry.desc.as_deref().unwrap_or("Unavailable"));
                    reply(out, &Response::UpsDesc { ups, desc });
                }
            },
            Request::GetNumLogins { ups } => {
                if let Some(dev) = self.available(snap, &ups, out) {
                    let count = u32::try_from(dev.num_logins()).unwrap_or(u32::MAX);
                    reply(out, &Response::NumLogins { ups, count });
                }
            }
            Request::GetTracking { id: None } => {
                reply(out, &Response::TrackingEnabled(self.tracking));
            }
            Request::GetTracking { id: Some(id) } => {
                if self.tracking {
                    let _ = writeln!(
                        out,
                        "{}",
                        shared.tracker.get(&id, snap.config.tracking_delay)
                    );
                } else {
                    err(out, ErrorCode::FeatureNotConfigured);
                }
            }
            Request::List(query) => self.list(snap, query, out),
            Request::SetTracking { enable } => {
                self.tracking = enable;
                reply(out, &Response::Ok);
            }
            Request::SetVar { ups, var, value } => {
                let tracking = self.tracking.then(new_id);
                let Some(dev) = self.available(snap, &ups, out) else {
                    return Outcome::Continue;
                };
                if !self.action(snap, "SET") {
                    err(out, ErrorCode::AccessDenied);
                    return Outcome::Continue;
                }
                if let Err(code) = check_set(dev, var.as_str(), value.as_str()) {
                    err(out, code);
                    return Outcome::Continue;
                }
                tracing::info!(
                    "Set variable: {}@{} set {var} on {} to {value} (tracking ID: {})",
                    self.user(),
                    self.addr,
                    dev.name,
                    tracking_text(tracking.as_ref())
                );
                self.deliver(
                    shared,
                    snap,
                    dev,
                    ServerMessage::Set {
                        var,
                        value,
                        tracking,
                    },
                    ErrorCode::SetFailed,
                    out,
                );
            }
            Request::InstCmd { ups, cmd, param } => {
                let tracking = self.tracking.then(new_id);
                let Some(dev) = self.available(snap, &ups, out) else {
                    return Outcome::Continue;
                };
                if !dev.read().state.has_cmd(cmd.as_str()) {
                    err(out, ErrorCode::CmdNotSupported);
                    return Outcome::Continue;
                }
                if !self.allowed(snap, |u| u.allows_instcmd(cmd.as_str())) {
                    err(out, ErrorCode::AccessDenied);
                    return Outcome::Continue;
                }
                tracing::info!(
                    "Instant command: {}@{} did {cmd}{}{} on {} (tracking ID: {})",
                    self.user(),
                    self.addr,
                    if param.is_some() { " with value " } else { "" },
                    param.as_ref().map_or("", |p| p.as_str()),
                    dev.name,
                    tracking_text(tracking.as_ref())
                );
                self.deliver(
                    shared,
                    snap,
                    dev,
                    ServerMessage::InstCmd {
                        cmd,
                        param,
                        tracking,
                    },
                    ErrorCode::InstcmdFailed,
                    out,
                );
            }
            Request::Login { ups } => {
                if self.login.is_some() {
                    err(out, ErrorCode::AlreadyLoggedIn);
                } else if let Some(dev) = snap.device(&ups) {
                    if self.action(snap, "LOGIN") {
                        dev.login(self.conn_id, &self.addr);
                        tracing::info!(
                            "User {}@{} logged into UPS [{}]{}",
                            self.user(),
                            self.addr,
                            dev.name,
                            self.ssl_note()
                        );
                        self.login = Some(Arc::clone(dev));
                        reply(out, &Response::Ok);
                    } else {
                        err(out, ErrorCode::AccessDenied);
                    }
                } else {
                    err(out, ErrorCode::UnknownUps);
                }
            }
            Request::Logout => {
                if let Some(dev) = &self.login {
                    tracing::info!(
                        "User {}@{} logged out from UPS [{}]{}",
                        self.user(),
                        self.addr,
                        dev.name,
                        self.ssl_note()
                    );
                }
                reply(out, &Response::OkGoodbye);
                return Outcome::Close;
            }
            Request::Username { username } => {
                if self.username.is_some() {
                    err(out, ErrorCode::AlreadySetUsername);
                } else {
                    self.username = Some(username.as_str().into());
                    reply(out, &Response::Ok);
                }
            }
            Request::Password { password } => {
                if self.password.is_some() {
                    err(out, ErrorCode::AlreadySetPassword);
                } else {
                    self.password = Some(password);
                    reply(out, &Response::Ok);
                }
            }
            Request::Primary { ups } => self.primary(snap, &ups, Response::OkPrimaryGranted, out),
            Request::Master { ups } => self.primary(snap, &ups, Response::OkMasterGranted, out),
            Request::Fsd { ups } => match snap.device(&ups) {
                None => err(out, ErrorCode::UnknownUps),
                Some(dev) => {
                    if self.action(snap, "FSD") {
                        tracing::info!(
                            "Client {}@{} set FSD on UPS [{}]",
                            self.user(),
                            self.addr,
                            dev.name
                        );
                        dev.set_fsd();
                        reply(out, &Response::OkFsdSet);
                    } else {
                        err(out, ErrorCode::AccessDenied);
                    }
                }
            },
            _ => err(out, ErrorCode::UnknownCommand),
        }
        Outcome::Continue
    }

    fn primary(&self, snap: &Snapshot, ups: &UpsName, granted: Response, out: &mut BytesMut) {
        if snap.device(ups).is_none() {
            err(out, ErrorCode::UnknownUps);
        } else if self.action(snap, "PRIMARY") || self.action(snap, "MASTER") {
            reply(out, &granted);
        } else {
            err(out, ErrorCode::AccessDenied);
        }
    }

    /// Hands a SET or INSTCMD to the driver and answers `OK` / `OK TRACKING <id>`.
    fn deliver(
        &self,
        shared: &Shared,
        snap: &Snapshot,
        dev: &Device,
        msg: ServerMessage,
        failed: ErrorCode,
        out: &mut BytesMut,
    ) {
        let tracking = msg.tracking().cloned();
        if let Some(id) = &tracking {
            shared.tracker.add(id, snap.config.tracking_delay);
        }
        if !dev.send(msg) {
            err(out, failed);
            return;
        }
        match tracking {
            Some(id) => reply(out, &Response::OkTracking(id)),
            None => reply(out, &Response::Ok),
        }
    }

    fn list(&self, snap: &Snapshot, query: ListQuery, out: &mut BytesMut) {
        let list = match query {
            ListQuery::Ups => ListReply::Ups(
                snap.entries()
                    .map(|e| UpsEntry {
                        name: e.name.clone(),
                        desc: Value::lossy(e.desc.as_deref().unwrap_or("Description unavailable")),
                    })
                    .collect(),
            ),
            ListQuery::Client { ups } => {
                let Some(dev) = snap.device(&ups) else {
                    return err(out, ErrorCode::UnknownUps);
                };
                let clients = dev
                    .login_addrs()
                    .into_iter()
                    .map(|addr| ClientEntry {
                        ups: dev.name.clone(),
                        addr: Value::lossy(&addr),
                    })
                    .collect();
                ListReply::Client { ups, clients }
            }
            query => {
                let Some(ups) = query.ups() else { return };
                let Some(dev) = self.available(snap, ups, out) else {
                    return;
                };
                let link = dev.read();
                let state = &link.state;
                match query {
                    ListQuery::Var { ups } => {
                        let fsd = dev.fsd();
                        let vars = state
                            .variables()
                            .map(|v| {
                                let value = if fsd && v.name().matches("ups.status") {
                                    Value::lossy(&format!("FSD {}", v.value()))
                                } else {
                                    v.value().clone()
                                };
                                VarEntry {
                                    name: v.name().clone(),
                                    value,
                                }
                            })
                            .collect();
                        ListReply::Var { ups, vars }
                    }
                    ListQuery::Rw { ups } => ListReply::Rw {
                        ups,
                        vars: state
                            .variables()
                            .filter(|v| v.is_writable())
                            .map(|v| VarEntry {
                                name: v.name().clone(),
                                value: v.value().clone(),
                            })
                            .collect(),
                    },
                    ListQuery::Cmd { ups } => ListReply::Cmd {
                        ups,
                        cmds: state.commands().cloned().collect(),
                    },
                    ListQuery::Enum { ups, var } => match state.get(var.as_str()) {
                        None => return err(out, ErrorCode::VarNotSupported),
                        Some(v) => ListReply::Enum {
                            ups,
                            var,
                            values: v.enums().to_vec(),
                        },
                    },
                    ListQuery::Range { ups, var } => match state.get(var.as_str()) {
                        None => return err(out, ErrorCode::VarNotSupported),
                        Some(v) => ListReply::Range {
                            ups,
                            var,
                            ranges: v
                                .ranges()
                                .iter()
                                .map(|&(min, max)| RangeEntry {
                                    min: min.into(),
                                    max: max.into(),
                                })
                                .collect(),
                        },
                    },
                    _ => return err(out, ErrorCode::InvalidArgument),
                }
            }
        };
        reply(out, &Response::List(list));
    }
}

/// The checks of SET VAR after access: VAR-NOT-SUPPORTED, READONLY, SET-FAILED (a string
/// without a sane length), TOO-LONG, INVALID-VALUE (enumeration, then ranges).
fn check_set(dev: &Device, var: &str, value: &str) -> Result<(), ErrorCode> {
    let link = dev.read();
    let v = link.state.get(var).ok_or(ErrorCode::VarNotSupported)?;
    if !v.is_writable() {
        return Err(ErrorCode::Readonly);
    }
    if v.is_string() {
        if v.aux() < 1 {
            tracing::warn!(ups = %dev.name, var, "the driver gave no sane length for this string");
            return Err(ErrorCode::SetFailed);
        }
        if v.aux() < value.len() as i64 {
            return Err(ErrorCode::TooLong);
        }
    }
    if !v.enums().is_empty() && !v.enums().iter().any(|e| e.as_str() == value) {
        return Err(ErrorCode::InvalidValue);
    }
    if !v.ranges().is_empty() {
        let n = c_atoi(value);
        if !v.ranges().iter().any(|&(min, max)| n >= min && n <= max) {
            return Err(ErrorCode::InvalidValue);
        }
    }
    Ok(())
}

/// A reply line of free text, validated (used by tests of the formats above).
#[cfg(test)]
fn text(s: &str) -> nut_proto::net::Text {
    nut_proto::net::Text::new(s).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_like_c() {
        assert_eq!(c_atoi("42"), 42);
        assert_eq!(c_atoi("  -7x"), -7);
        assert_eq!(c_atoi("+3"), 3);
        assert_eq!(c_atoi("abc"), 0);
        assert_eq!(c_atoi(""), 0);
        assert_eq!(c_atoi("4294967297"), 1, "strtol result cut to int");
    }

    #[test]
    fn version_text_is_a_text_reply() {
        assert_eq!(
            text(&version_text("2.8.0")).as_str(),
            "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"
        );
    }
}
