//! One task per device that keeps the server's copy in step with its driver: connect (socket
//! or in-process), `DUMPALL`, apply every message, `PING` a silent driver, pass SET and
//! INSTCMD on, record tracking results, and reconnect when the link drops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nut_driver_api::alarm::Alarm;
use nut_driver_api::link::{DriverEndpoint, LinkError};
use nut_proto::sock::{DriverMessage, ServerMessage};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::device::Device;
use crate::shared::Shared;

/// How many SET / INSTCMD requests may wait for the driver task.
const COMMAND_QUEUE: usize = 64;
/// Complaints about an unreachable driver are logged at most this often (C: 60 s).
const COMPLAIN_EVERY: Duration = Duration::from_secs(60);

/// Runs until `cancel` fires.
pub(crate) async fn run(
    shared: Arc<Shared>,
    device: Arc<Device>,
    endpoint: DriverEndpoint,
    cancel: CancellationToken,
) {
    let mut last_complaint: Option<Instant> = None;
    loop {
        let delay = shared.snapshot().0.config.reconnect_delay;
        let connected = tokio::select! {
            () = cancel.cancelled() => return,
            c = endpoint.connect() => c,
        };
        match connected {
            Ok(mut conn) => {
                if conn.send(ServerMessage::DumpAll).await.is_ok() {
                    tracing::info!("Connected to UPS [{}]: {}", device.name, short(&endpoint));
                    last_complaint = None;
                    serve(&shared, &device, &mut conn, &cancel).await;
                    device.on_disconnect();
                    if cancel.is_cancelled() {
                        let _ = conn.send(ServerMessage::Logout).await;
                        return;
                    }
                    tracing::warn!(
                        "Lost the connection to UPS [{}] ({})",
                        device.name,
                        short(&endpoint)
                    );
                }
            }
            Err(error) => {
                if last_complaint.is_none_or(|t| t.elapsed() >= COMPLAIN_EVERY) {
                    tracing::error!(
                        "Can't connect to UPS [{}] ({}): {}",
                        device.name,
                        short(&endpoint),
                        strerror(&error)
                    );
                    last_complaint = Some(Instant::now());
                }
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// The endpoint as C's messages name it: a socket by its file name (C's upsd works in the
/// state directory), the in-process link as itself.
fn short(endpoint: &DriverEndpoint) -> String {
    match endpoint {
        DriverEndpoint::Socket(path) => path.file_name().map_or_else(
            || path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        ),
        other => other.to_string(),
    }
}

/// C's words for a failed link (`No such file or directory`).
fn strerror(error: &LinkError) -> String {
    match error {
        LinkError::Io(e) => nut_proto::errno::strerror(e),
        other => other.to_string(),
    }
}

/// Serves one driver connection until it fails or `cancel` fires.
async fn serve(
    shared: &Shared,
    device: &Device,
    conn: &mut nut_driver_api::link::DriverConnection,
    cancel: &CancellationToken,
) {
    let (tx, mut rx) = mpsc::channel(COMMAND_QUEUE);
    device.on_connect(tx);
    let mut was_stale = false;
    // No fixed tick: the task wakes for the driver, for a command, or when a PING or a
    // change of staleness can be due (an idle upsd then wakes about as often as C's).
    // The deadline is an `Alarm`, which wakes an idle upsd once per check where a tokio
    // sleep seconds away wakes it three times.
    let mut check = Alarm::new(Instant::now());
    loop {
        let maxage = shared.snapshot().0.config.maxage;
        check.reset(device.next_check(maxage));
        tokio::select! {
            () = cancel.cancelled() => return,
            msg = conn.recv() => match msg {
                Some(Ok(msg)) => {
                    if let DriverMessage::Tracking { id, status } = &msg {
                        shared.tracker.set(id, *status);
                    }
                    device.on_message(&msg);
                    // A dump without data-ok makes it stale at once.
                    was_stale = log_staleness(device, maxage, was_stale);
                }
                Some(Err(error)) => {
                    tracing::warn!("Read from UPS [{}] failed: {error}", device.name);
                    return;
                }
                None => return,
            },
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { return };
                if let Err(error) = conn.send(cmd).await {
                    tracing::warn!("Send to UPS [{}] failed: {error}", device.name);
                    return;
                }
            }
            () = check.due() => {
                was_stale = log_staleness(device, maxage, was_stale);
                if device.ping_due(maxage) {
                    if let Err(error) = conn.send(ServerMessage::Ping).await {
                        tracing::warn!("Send ping to UPS [{}] failed: {error}", device.name);
                        return;
                    }
                }
            }
        }
    }
}

/// Logs a change of the device's staleness (C's words) and returns the new one.
fn log_staleness(device: &Device, maxage: Duration, was_stale: bool) -> bool {
    let stale = device.read().unavailable(maxage).is_some();
    if stale != was_stale {
        if stale {
            tracing::warn!("Data for UPS [{}] is stale - check driver", device.name);
        } else {
            tracing::info!("UPS [{}] data is no longer stale", device.name);
        }
    }
    stale
}
