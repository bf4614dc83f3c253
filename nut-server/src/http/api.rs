//! The JSON API under `/api/v1`:
//!
//! - `GET /api/v1/devices`: every device with its description, status and availability;
//! - `GET /api/v1/devices/<ups>`: the variables as one flat object (`{"battery.charge":
//!   "100", …}`, as PeaNUT serves them);
//! - `GET /api/v1/devices/<ups>/variables[/<var>]`: variables with their type, whether they
//!   are writable, their enumeration and ranges;
//! - `GET /api/v1/devices/<ups>/commands`: the instant commands;
//! - `POST /api/v1/devices/<ups>/variables/<var>` with `{"value": "…"}`: SET VAR;
//! - `POST /api/v1/devices/<ups>/commands/<cmd>` with `{}` or `{"param": "…"}`: INSTCMD.
//!
//! Writes authenticate with HTTP Basic against upsd.users and meet the network protocol's
//! checks and ACL (the source runs them). Against cross-site request forgery they require
//! `Content-Type: application/json`: a page on another site can make a browser send a form
//! (with the browser's remembered Basic credentials) but only as a form or plain text; a
//! JSON request from another origin needs a CORS preflight, which this service never
//! grants. Errors are JSON `{"error": CODE, "reason": text}` with a 4xx or 5xx status.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use nut_proto::net::{ErrorCode, VarKind};
use serde_json::{json, Map, Value};

use super::source::{Credentials, DeviceData, VarData, WriteError};
use super::AppState;

/// An error answer: status, code and reason.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: String,
    reason: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, reason: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            reason: reason.into(),
        }
    }

    fn unknown_ups(ups: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownUps.as_str(),
            format!("no device called {ups:?}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": self.code, "reason": self.reason})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"upsd\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        let code = match &e {
            WriteError::Refused(code) => code,
            WriteError::Unreachable(_) => {
                return Self::new(StatusCode::BAD_GATEWAY, "UNREACHABLE", e.to_string())
            }
        };
        let status = match code {
            ErrorCode::UnknownUps
            | ErrorCode::VarNotSupported
            | ErrorCode::CmdNotSupported
            | ErrorCode::UnknownVar
            | ErrorCode::VarUnknown
            | ErrorCode::UnknownInstcmd => StatusCode::NOT_FOUND,
            ErrorCode::AccessDenied
            | ErrorCode::PasswordIncorrect
            | ErrorCode::InvalidPassword
            | ErrorCode::InvalidUsername
            | ErrorCode::UsernameRequired
            | ErrorCode::PasswordRequired => StatusCode::FORBIDDEN,
            ErrorCode::Readonly
            | ErrorCode::InvalidValue
            | ErrorCode::TooLong
            | ErrorCode::InvalidArgument
            | ErrorCode::MissingArgument => StatusCode::BAD_REQUEST,
            ErrorCode::DriverNotConnected | ErrorCode::DataStale => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_GATEWAY,
        };
        let reason = match code {
            ErrorCode::AccessDenied => {
                "access denied: wrong user name or password, or upsd.users does not allow this user to do this".to_owned()
            }
            other => other.description().to_owned(),
        };
        Self::new(status, code.as_str(), reason)
    }
}

/// The device `ups` from the latest reading, readable.
fn readable(state: &AppState, ups: &str) -> Result<Arc<DeviceData>, ApiError> {
    let dev = state
        .hub
        .device(ups)
        .ok_or_else(|| ApiError::unknown_ups(ups))?;
    if let Some(error) = &dev.error {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            error,
            format!("{ups} cannot be read now: {error}"),
        ));
    }
    Ok(dev)
}

/// A variable as the API shows it.
fn var_json(var: &VarData) -> Value {
    let mut obj = Map::new();
    obj.insert("name".into(), var.name.clone().into());
    obj.insert("value".into(), var.value.clone().into());
    obj.insert("writable".into(), var.writable.into());
    match var.kind {
        Some(VarKind::String { max_len }) => {
            obj.insert("type".into(), "string".into());
            obj.insert("max_length".into(), max_len.into());
        }
        Some(VarKind::Number) => {
            obj.insert("type".into(), "number".into());
        }
        None => {
            obj.insert("type".into(), Value::Null);
        }
    }
    if !var.enums.is_empty() {
        obj.insert("enum".into(), var.enums.clone().into());
    }
    if !var.ranges.is_empty() {
        let ranges: Vec<Value> = var
            .ranges
            .iter()
            .map(|(min, max)| json!({"min": min, "max": max}))
            .collect();
        obj.insert("ranges".into(), ranges.into());
    }
    Value::Object(obj)
}

/// `GET /api/v1/devices`.
pub(crate) async fn devices(State(state): State<Arc<AppState>>) -> Json<Value> {
    let list: Vec<Value> = state
        .hub
        .devices()
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "description": d.desc,
                "available": d.available(),
                "error": d.error,
                "status": d.value("ups.status"),
            })
        })
        .collect();
    Json(Value::Array(list))
}

/// `GET /api/v1/devices/<ups>`: the flat object of values.
pub(crate) async fn device(
    State(state): State<Arc<AppState>>,
    Path(ups): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let dev = readable(&state, &ups)?;
    let map: Map<String, Value> = dev
        .vars
        .iter()
        .map(|v| (v.name.clone(), v.value.clone().into()))
        .collect();
    Ok(Json(Value::Object(map)))
}

/// `GET /api/v1/devices/<ups>/variables`.
pub(crate) async fn variables(
    State(state): State<Arc<AppState>>,
    Path(ups): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let dev = readable(&state, &ups)?;
    Ok(Json(Value::Array(dev.vars.iter().map(var_json).collect())))
}

/// `GET /api/v1/devices/<ups>/variables/<var>`.
pub(crate) async fn variable(
    State(state): State<Arc<AppState>>,
    Path((ups, var)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let dev = readable(&state, &ups)?;
    let var = dev.var(&var).ok_or_else(|| unknown_var(&ups, &var))?;
    Ok(Json(var_json(var)))
}

fn unknown_var(ups: &str, var: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::VarNotSupported.as_str(),
        format!("{ups} has no variable {var:?}"),
    )
}

/// `GET /api/v1/devices/<ups>/commands`.
pub(crate) async fn commands(
    State(state): State<Arc<AppState>>,
    Path(ups): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let dev = readable(&state, &ups)?;
    Ok(Json(dev.commands.clone().into()))
}

/// The checks every write makes before anything else: a JSON body (the CSRF guard), Basic
/// credentials, a well-formed object. Returns the credentials and the object.
fn write_request(
    headers: &HeaderMap,
    peer: SocketAddr,
    body: &Bytes,
) -> Result<(Credentials, Map<String, Value>), ApiError> {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JSON-REQUIRED",
            "writes must be sent as Content-Type: application/json (this keeps other sites' forms out)",
        ));
    }
    let who = basic_auth(headers, peer)?;
    let object = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "MALFORMED-JSON",
                    "the body must be a JSON object",
                ))
            }
            Err(e) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "MALFORMED-JSON",
                    format!("the body is not valid JSON: {e}"),
                ))
            }
        }
    };
    Ok((who, object))
}

/// The credentials of an `Authorization: Basic` header.
fn basic_auth(headers: &HeaderMap, peer: SocketAddr) -> Result<Credentials, ApiError> {
    let missing = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AUTH-REQUIRED",
            "writes need HTTP Basic credentials of a user in upsd.users",
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(missing());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "BAD-AUTHORIZATION",
                "the Basic credentials are not base64 of UTF-8 user:password",
            )
        })?;
    let (user, password) = decoded.split_once(':').ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD-AUTHORIZATION",
            "the Basic credentials have no ':' between user and password",
        )
    })?;
    Ok(Credentials::new(user, password, &peer.ip().to_string()))
}

/// The one string member `key` that the request object may have (any other member is an
/// error).
fn only_member(object: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    if let Some(extra) = object.keys().find(|k| *k != key) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED-JSON",
            format!("unknown member \"{extra}\""),
        ));
    }
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED-JSON",
            format!("\"{key}\" must be a string or a number"),
        )),
    }
}

fn accepted(what: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({"result": format!("{what} handed to the driver")})),
    )
        .into_response()
}

/// `POST /api/v1/devices/<ups>/variables/<var>` `{"value": …}`.
pub(crate) async fn set_var(
    State(state): State<Arc<AppState>>,
    Path((ups, var)): Path<(String, String)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (who, object) = write_request(&headers, peer, &body)?;
    let value = only_member(&object, "value")?.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MissingArgument.as_str(),
            "the body must hold {\"value\": …}",
        )
    })?;
    let dev = state
        .hub
        .device(&ups)
        .ok_or_else(|| ApiError::unknown_ups(&ups))?;
    if dev.available() && dev.var(&var).is_none() {
        return Err(unknown_var(&ups, &var));
    }
    state.hub.source.set_var(&who, &ups, &var, &value).await?;
    Ok(accepted("SET"))
}

/// `POST /api/v1/devices/<ups>/commands/<cmd>` `{}` or `{"param": …}`.
pub(crate) async fn instcmd(
    State(state): State<Arc<AppState>>,
    Path((ups, cmd)): Path<(String, String)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (who, object) = write_request(&headers, peer, &body)?;
    let param = only_member(&object, "param")?;
    let dev = state
        .hub
        .device(&ups)
        .ok_or_else(|| ApiError::unknown_ups(&ups))?;
    if dev.available() && !dev.commands.contains(&cmd) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::CmdNotSupported.as_str(),
            format!("{ups} has no command {cmd:?}"),
        ));
    }
    state
        .hub
        .source
        .instcmd(&who, &ups, &cmd, param.as_deref())
        .await?;
    Ok(accepted("INSTCMD"))
}
