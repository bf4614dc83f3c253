//! `/api/v1/events`: Server-Sent Events of the hub's [`Event`]s. A status transition is an
//! event named `status` (`{"ups", "time", "event": "ONBATT", "status": "OB DISCHRG"}`), a
//! variable change one named `variable` (`{"ups", "time", "var", "value", "old"}`; `value`
//! is `null` when the variable went away). A client too slow to keep up gets an event
//! named `lagged` with the number of events it missed. The stream ends when the service
//! shuts down.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::hub::{Event, EventKind};
use super::AppState;

/// An event as JSON.
pub(crate) fn event_json(event: &Event) -> serde_json::Value {
    let time = humantime::format_rfc3339_millis(event.time).to_string();
    match &event.kind {
        EventKind::Status {
            event: name,
            status,
        } => json!({
            "ups": event.ups, "time": time, "event": name, "status": status,
        }),
        EventKind::Variable { var, value, old } => json!({
            "ups": event.ups, "time": time, "var": var, "value": value, "old": old,
        }),
    }
}

fn sse(event: &Event) -> SseEvent {
    let name = match event.kind {
        EventKind::Status { .. } => "status",
        EventKind::Variable { .. } => "variable",
    };
    SseEvent::default()
        .event(name)
        .data(event_json(event).to_string())
}

/// `GET /api/v1/events`.
pub(crate) async fn events(
    State(state): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.hub.subscribe();
    let cancel = state.cancel.clone();
    let stream = futures_util::stream::unfold((rx, cancel), |(mut rx, cancel)| async move {
        let item = tokio::select! {
            () = cancel.cancelled() => return None,
            r = rx.recv() => match r {
                Ok(event) => sse(&event),
                Err(RecvError::Lagged(n)) => SseEvent::default().event("lagged").data(n.to_string()),
                Err(RecvError::Closed) => return None,
            },
        };
        Some((Ok(item), (rx, cancel)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
