//! An entry point for the fuzz targets (feature `fuzzing`): one client of a driver's socket,
//! served by the driver runtime with a fake driver. Not a stable API.
//!
//! [`driver_socket`] starts a [`DriverRuntime`] for [`FakeDriver`], connects to it over a
//! Unix socket pair whose driver end is served exactly as a connection accepted from the
//! driver's socket (the same codec, connection task and runtime dispatch), writes the input,
//! lets everything settle, hangs up and returns what the driver wrote back. Run it on a
//! current-thread tokio runtime with the clock paused (`start_paused`), so that polls and
//! back-off delays cost nothing.

use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::config::DriverConfig;
use crate::driver::{CommandResult, Driver, DriverError, DriverInfo, DriverParams};
use crate::link::in_process;
use crate::runtime::{DriverRuntime, RunOutcome};
use crate::state::DeviceState;
use nut_proto::names::UpsName;
use nut_proto::sock::TrackingStatus;
use tokio_util::sync::CancellationToken;

/// The longest (virtual) time one session may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(600);

/// The variables and commands both fuzzing fixtures (this driver's and nut-server's
/// `fuzzing` device) start from: a manufacturer needing escapes, a writable string `ups.id`
/// of at most 16 bytes, an enumerated `input.transfer.low` (90, 100, 110), a ranged
/// `ups.delay.shutdown` (0–600) and the commands `test.battery.start`, `load.off` and
/// `beeper.toggle`.
pub fn writable_fixture(s: &mut DeviceState) {
    let _ = s.set("ups.mfr", "Fuzz \"Power\" #1\\");
    let _ = s.set("ups.id", "fuzz");
    s.set_flags("ups.id", true, true, false);
    s.set_aux("ups.id", 16);
    let _ = s.set("input.transfer.low", "100");
    s.set_flags("input.transfer.low", true, false, true);
    for v in ["90", "100", "110"] {
        let _ = s.add_enum("input.transfer.low", v);
    }
    let _ = s.set("ups.delay.shutdown", "20");
    s.set_flags("ups.delay.shutdown", true, false, true);
    s.add_range("ups.delay.shutdown", 0, 600);
    for cmd in ["test.battery.start", "load.off", "beeper.toggle"] {
        let _ = s.add_cmd(cmd);
    }
}

/// A driver with writable variables (a string, an enumeration, a range), commands that
/// succeed, fail or make the device vanish for one poll, and a value set by `override.*`.
#[derive(Debug, Default)]
pub struct FakeDriver {
    updates: u32,
    /// The next update fails with a transport error and the next open fails once.
    unplugged: bool,
    /// The next open fails.
    fail_open: bool,
}

#[async_trait]
impl Driver for FakeDriver {
    fn info(&self) -> DriverInfo {
        DriverInfo::new("fuzz-ups", "Fuzzing driver", "0.1")
    }

    async fn open(&mut self, _: &DriverParams, _: &mut DeviceState) -> Result<(), DriverError> {
        if std::mem::take(&mut self.fail_open) {
            return Err(std::io::Error::other("device unplugged").into());
        }
        Ok(())
    }

    async fn identify(&mut self, s: &mut DeviceState) -> Result<(), DriverError> {
        writable_fixture(s);
        let _ = s.set("ups.model", "F-1");
        let _ = s.add_cmd("fuzz.unplug");
        Ok(())
    }

    async fn update(&mut self, s: &mut DeviceState) -> Result<(), DriverError> {
        if std::mem::take(&mut self.unplugged) {
            self.fail_open = true;
            return Err(std::io::Error::other("device unplugged").into());
        }
        self.updates = self.updates.wrapping_add(1);
        let _ = s.set(
            "ups.status",
            if self.updates % 2 == 0 { "OL" } else { "OB" },
        );
        let _ = s.set("battery.charge", &(100 - self.updates % 100).to_string());
        Ok(())
    }

    async fn instcmd(
        &mut self,
        s: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        match cmd {
            "test.battery.start" => {
                let _ = s.set("ups.test.result", param.unwrap_or("In progress"));
                TrackingStatus::Handled
            }
            "load.off" => TrackingStatus::Failed,
            "beeper.toggle" => match param {
                Some(p) if p.parse::<u8>().is_err() => TrackingStatus::ConversionFailed,
                _ => TrackingStatus::Handled,
            },
            "fuzz.unplug" => {
                self.unplugged = true;
                TrackingStatus::Handled
            }
            _ => TrackingStatus::Unknown,
        }
    }

    async fn set_var(&mut self, s: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        let ok = match var {
            "ups.id" => value.len() <= 16,
            "input.transfer.low" => ["90", "100", "110"].contains(&value),
            "ups.delay.shutdown" => value.parse::<u16>().is_ok_and(|n| n <= 600),
            _ => return TrackingStatus::Unknown,
        };
        if !ok {
            return TrackingStatus::Invalid;
        }
        match s.set(var, value) {
            Ok(_) => TrackingStatus::Handled,
            Err(_) => TrackingStatus::Invalid,
        }
    }

    async fn shutdown(&mut self, s: &mut DeviceState) -> Result<(), DriverError> {
        let _ = s.set("ups.status", "OFF");
        Ok(())
    }
}

/// What the driver wrote to one socket client.
#[derive(Debug, Clone)]
pub struct SocketTranscript {
    /// Every byte the driver wrote, until it closed the connection.
    pub replies: Vec<u8>,
    /// Whether the runtime ended by itself (`driver.exit`, or a failed
    /// `driver.reload-or-exit`) rather than on the shutdown token.
    pub exited: bool,
}

/// Runs one socket session over `input` (see the [module documentation](self)).
///
/// # Panics
///
/// When the session takes longer than ten minutes of (paused) time: a hang.
pub async fn driver_socket(input: &[u8]) -> SocketTranscript {
    tokio::time::timeout(HANG, session(input))
        .await
        .unwrap_or_else(|_| panic!("the driver socket session hangs"))
}

async fn session(input: &[u8]) -> SocketTranscript {
    let params = DriverParams::new("fuzz").with_option("allow_killpower", None);
    let Ok(ups) = UpsName::new("fuzz") else {
        unreachable!("a valid name")
    };
    let mut config = DriverConfig::new("fuzz-ups", ups, params).with_poll_interval(2);
    config
        .overrides
        .push(("ups.serial".to_owned(), "FZ-1".to_owned()));
    let (connector, listener) = in_process();
    let runtime = DriverRuntime::new(Box::<FakeDriver>::default(), config)
        .with_socket(false)
        .with_in_process(listener);
    let shutdown = CancellationToken::new();
    let run = tokio::spawn(runtime.run(shutdown.clone()));

    let (ours, theirs) = UnixStream::pair().expect("a socket pair");
    connector
        .attach_socket(theirs)
        .expect("the runtime takes connections");
    let (mut rd, mut wr) = ours.into_split();
    let reader = tokio::spawn(async move {
        let mut replies = Vec::new();
        let _ = rd.read_to_end(&mut replies).await;
        replies
    });
    // Written before the runtime runs at all: the socket buffer takes a fuzz input whole, so
    // this never writes to a connection the driver already closed (LOGOUT).
    let _ = wr.write_all(input).await;
    // With the clock paused, this ends only once every task waits for something.
    tokio::time::sleep(Duration::from_millis(1)).await;
    drop(wr);
    let replies = reader.await.unwrap_or_default();
    shutdown.cancel();
    let exited = matches!(run.await, Ok(Ok(RunOutcome::Exited)));
    SocketTranscript { replies, exited }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn transcript(input: &str) -> String {
        let t = driver_socket(input.as_bytes()).await;
        String::from_utf8(t.replies).unwrap()
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_session_gets_its_answers() {
        let out = transcript("PING\nDUMPALL\nSET ups.id abc TRACKING 1\nLOGOUT\nPING\n").await;
        assert!(out.starts_with("PONG\n"), "{out}");
        assert!(out.contains("SETINFO ups.serial \"FZ-1\"\n"), "{out}");
        assert!(out.contains("DUMPDONE\n"), "{out}");
        assert!(out.contains("TRACKING 1 0\n"), "{out}");
        assert!(out.ends_with("OK Goodbye\n"), "{out}");
        assert_eq!(
            out.matches("PONG").count(),
            1,
            "nothing after LOGOUT: {out}"
        );
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn driver_exit_ends_the_runtime() {
        let t = driver_socket(b"INSTCMD driver.exit TRACKING x\n").await;
        assert!(t.exited);
        assert_eq!(String::from_utf8_lossy(&t.replies), "TRACKING x 0\n");
    }
}
