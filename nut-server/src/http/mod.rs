//! The HTTP service (feature `http`): status pages, Prometheus metrics, a JSON API and
//! Server-Sent Events over a [`Source`] of device data.
//!
//! Inside upsd it serves the server's own state on the `HTTP_LISTEN` addresses of
//! upsd.conf (see [`ServerConfig::http_listen`](crate::ServerConfig::http_listen)); over
//! [`ClientSource`] it serves the devices of any upsd (the `nut-web` program).
//!
//! | path | what |
//! | --- | --- |
//! | `/` | every device at a glance |
//! | `/ups/<name>` | one device: every variable, the writable ones and the commands, charts |
//! | `/metrics` | Prometheus text format (nut_exporter's names) |
//! | `/api/v1/devices[/<ups>[/variables[/<var>]\|/commands[/<cmd>]]]` | JSON API |
//! | `/api/v1/events` | Server-Sent Events |
//!
//! With the `mqtt` feature, [`HttpService::with_mqtt`] adds the [`mqtt`] publisher.

mod api;
mod client_source;
mod events;
mod hub;
mod metrics;
#[cfg(feature = "mqtt")]
pub mod mqtt;
mod pages;
mod source;
pub(crate) mod upsd_source;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::header;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The attribute that implementations of [`Source`] use.
pub use async_trait::async_trait;
pub use client_source::ClientSource;
pub use hub::{Event, EventKind};
pub use source::{Credentials, DeviceData, Source, VarData, WriteError};

use hub::Hub;

/// How often the charted values are sampled by default.
pub const DEFAULT_SAMPLE_EVERY: Duration = Duration::from_secs(60);
/// How far back the charts reach by default.
pub const DEFAULT_CHART_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// What the handlers share.
pub(crate) struct AppState {
    pub(crate) hub: Arc<Hub>,
    pub(crate) cancel: CancellationToken,
}

/// The HTTP service over one source. Start it with [`serve`](Self::serve).
pub struct HttpService {
    hub: Arc<Hub>,
    #[cfg(feature = "mqtt")]
    mqtt: Option<mqtt::MqttConfig>,
}

impl std::fmt::Debug for HttpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpService").finish_non_exhaustive()
    }
}

impl HttpService {
    /// A service over `source`, charting the last 24 hours in one-minute samples.
    pub fn new(source: Arc<dyn Source>) -> Self {
        Self::with_charts(source, DEFAULT_SAMPLE_EVERY, DEFAULT_CHART_WINDOW)
    }

    /// A service that samples the charted values every `every` (whole seconds) and keeps
    /// `window` of them.
    pub fn with_charts(source: Arc<dyn Source>, every: Duration, window: Duration) -> Self {
        Self {
            hub: Arc::new(Hub::new(source, every, window)),
            #[cfg(feature = "mqtt")]
            mqtt: None,
        }
    }

    /// Also publishes to an MQTT broker while [`serve`](Self::serve) runs (feature `mqtt`).
    #[cfg(feature = "mqtt")]
    pub fn with_mqtt(mut self, config: mqtt::MqttConfig) -> Self {
        self.mqtt = Some(config);
        self
    }

    /// The routes, for embedding in another axum application. The handlers need the
    /// client's address: serve with `into_make_service_with_connect_info::<SocketAddr>()`.
    /// The source is read only while [`serve`](Self::serve) runs.
    pub fn router(&self, cancel: CancellationToken) -> Router {
        let state = Arc::new(AppState {
            hub: Arc::clone(&self.hub),
            cancel,
        });
        Router::new()
            .route("/", get(pages::index))
            .route("/ups/{ups}", get(pages::device))
            .route(
                "/metrics",
                get(
                    |axum::extract::State(state): axum::extract::State<Arc<AppState>>| async move {
                        (
                            [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
                            metrics::render(&state.hub.devices()),
                        )
                    },
                ),
            )
            .route("/api/v1/devices", get(api::devices))
            .route("/api/v1/devices/{ups}", get(api::device))
            .route("/api/v1/devices/{ups}/variables", get(api::variables))
            .route(
                "/api/v1/devices/{ups}/variables/{var}",
                get(api::variable).post(api::set_var),
            )
            .route("/api/v1/devices/{ups}/commands", get(api::commands))
            .route(
                "/api/v1/devices/{ups}/commands/{cmd}",
                axum::routing::post(api::instcmd),
            )
            .route("/api/v1/events", get(events::events))
            .fallback(|| async {
                api::ApiError::new(
                    axum::http::StatusCode::NOT_FOUND,
                    "NOT-FOUND",
                    "no such page",
                )
            })
            .method_not_allowed_fallback(|| async {
                api::ApiError::new(
                    axum::http::StatusCode::METHOD_NOT_ALLOWED,
                    "METHOD-NOT-ALLOWED",
                    "this path does not take that method (reads are GET, writes POST)",
                )
            })
            .with_state(state)
    }

    /// Reads the source and serves on `listeners` until `cancel` fires; returns when every
    /// connection is closed (event streams end at once).
    pub async fn serve(self, listeners: Vec<TcpListener>, cancel: CancellationToken) {
        let tasks = TaskTracker::new();
        self.spawn(listeners, cancel, &tasks);
        tasks.close();
        tasks.wait().await;
    }

    /// Spawns the reading task and one task per listener on `tasks`.
    pub(crate) fn spawn(
        self,
        listeners: Vec<TcpListener>,
        cancel: CancellationToken,
        tasks: &TaskTracker,
    ) {
        tasks.spawn(Arc::clone(&self.hub).run(cancel.clone()));
        #[cfg(feature = "mqtt")]
        if let Some(config) = self.mqtt.clone() {
            mqtt::spawn(Arc::clone(&self.hub), config, cancel.clone(), tasks);
        }
        let router = self.router(cancel.clone());
        for listener in listeners {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!("HTTP service listening on {addr}");
            }
            let service = router
                .clone()
                .into_make_service_with_connect_info::<SocketAddr>();
            let cancel = cancel.clone();
            tasks.spawn(async move {
                let served = axum::serve(listener, service)
                    .with_graceful_shutdown(cancel.cancelled_owned())
                    .await;
                if let Err(error) = served {
                    tracing::error!(%error, "HTTP service failed");
                }
            });
        }
    }
}
