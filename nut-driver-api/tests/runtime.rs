//! The driver runtime with a fake driver: servers coming and going, several at once, over the
//! socket and the in-process link; a device that stops answering or disappears.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use nut_driver_api::config::DriverConfig;
use nut_driver_api::link::{in_process, DriverConnection, InProcessConnector};
use nut_driver_api::proto::names::{CmdName, TrackingId, UpsName, Value, VarName};
use nut_driver_api::proto::sock::{DriverMessage, ServerMessage, TrackingStatus};
use nut_driver_api::{
    CancellationToken, DeviceState, Driver, DriverError, DriverInfo, DriverParams, DriverRuntime,
    RunOutcome,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::task::JoinHandle;
use tokio::time::timeout;

const LONG: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct Ctl {
    /// How many of the next opens fail with a transport error.
    fail_opens: u32,
    /// The next updates fail: Some(true) transport, Some(false) device.
    failing: Option<bool>,
    opens: u32,
    updates: u32,
    charge: u32,
    shutdowns: u32,
    /// When each update began, on the real clock.
    update_times: Vec<std::time::Instant>,
}

struct Fake(Arc<Mutex<Ctl>>);

#[async_trait]
impl Driver for Fake {
    fn info(&self) -> DriverInfo {
        DriverInfo::new("fake-ups", "Fake", "9.9")
    }
    async fn open(&mut self, _: &DriverParams, _: &mut DeviceState) -> Result<(), DriverError> {
        let mut c = self.0.lock().unwrap();
        c.opens += 1;
        if c.fail_opens > 0 {
            c.fail_opens -= 1;
            return Err(std::io::Error::other("no such device").into());
        }
        Ok(())
    }
    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        state.set("ups.mfr", "Fake Inc.").unwrap();
        state.set("ups.id", "one").unwrap();
        state.set_flags("ups.id", true, true, false);
        state.set_aux("ups.id", 8);
        state.add_cmd("test.battery.start").unwrap();
        Ok(())
    }
    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let mut c = self.0.lock().unwrap();
        c.updates += 1;
        c.update_times.push(std::time::Instant::now());
        match c.failing {
            Some(true) => return Err(std::io::Error::other("port gone").into()),
            Some(false) => return Err(DriverError::device("no answer")),
            None => {}
        }
        state.set("battery.charge", &c.charge.to_string()).unwrap();
        state.set("ups.status", "OL").unwrap();
        Ok(())
    }
    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        _: Option<&str>,
    ) -> TrackingStatus {
        if cmd == "test.battery.start" {
            state.set("ups.test.result", "In progress").unwrap();
            TrackingStatus::Handled
        } else {
            TrackingStatus::Unknown
        }
    }
    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> TrackingStatus {
        if var != "ups.id" {
            return TrackingStatus::Unknown;
        }
        if value.len() > 8 {
            return TrackingStatus::Invalid;
        }
        state.set(var, value).unwrap();
        TrackingStatus::Handled
    }
    async fn shutdown(&mut self, _: &mut DeviceState) -> Result<(), DriverError> {
        self.0.lock().unwrap().shutdowns += 1;
        Ok(())
    }
}

struct Running {
    ctl: Arc<Mutex<Ctl>>,
    connector: InProcessConnector,
    stop: CancellationToken,
    task: JoinHandle<Result<RunOutcome, nut_driver_api::RuntimeError>>,
    dir: tempfile::TempDir,
    config: DriverConfig,
}

fn start(ctl: Ctl, socket: bool, poll: u32, allow_killpower: bool) -> Running {
    start_with(ctl, socket, poll, allow_killpower, |runtime| runtime)
}

/// [`start`], with `more` adding to the runtime's settings.
fn start_with(
    ctl: Ctl,
    socket: bool,
    poll: u32,
    allow_killpower: bool,
    more: impl FnOnce(DriverRuntime) -> DriverRuntime,
) -> Running {
    let ctl = Arc::new(Mutex::new(ctl));
    let dir = tempfile::tempdir().unwrap();
    let mut params = DriverParams::new("fake-port");
    if allow_killpower {
        params = params.with_option("allow_killpower", None);
    }
    let config = DriverConfig::new("fake-ups", UpsName::new("f").unwrap(), params)
        .with_poll_interval(poll)
        .with_state_path(dir.path());
    let (connector, listener) = in_process();
    let runtime = DriverRuntime::new(Box::new(Fake(ctl.clone())), config.clone())
        .with_socket(socket)
        .with_in_process(listener)
        .with_backoff(Duration::from_secs(1), Duration::from_secs(4));
    let runtime = more(runtime);
    let stop = CancellationToken::new();
    let task = tokio::spawn(runtime.run(stop.clone()));
    Running {
        ctl,
        connector,
        stop,
        task,
        dir,
        config,
    }
}

async fn next(conn: &mut DriverConnection) -> DriverMessage {
    timeout(LONG, conn.recv())
        .await
        .expect("driver answered in time")
        .expect("link open")
        .expect("no link error")
}

/// Sends DUMPALL and builds a copy of the state from the answer.
async fn dump(conn: &mut DriverConnection) -> DeviceState {
    conn.send(ServerMessage::DumpAll).await.unwrap();
    let mut copy = DeviceState::new();
    loop {
        match next(conn).await {
            DriverMessage::DumpDone => return copy,
            msg => {
                copy.apply(&msg);
            }
        }
    }
}

/// Reads messages into `copy` until `pred` holds.
async fn until(
    conn: &mut DriverConnection,
    copy: &mut DeviceState,
    pred: impl Fn(&DeviceState, &DriverMessage) -> bool,
) {
    loop {
        let msg = next(conn).await;
        copy.apply(&msg);
        if pred(copy, &msg) {
            return;
        }
    }
}

async fn connect_socket(r: &Running) -> DriverConnection {
    let path = r.config.socket_path();
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        match DriverConnection::connect_unix(&path).await {
            Ok(c) => return c,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("socket {} never appeared: {e}", path.display()),
        }
    }
}

#[tokio::test]
async fn publishes_standard_variables_and_serves_the_socket() {
    let r = start(Ctl::default(), true, 1, false);
    let mut conn = connect_socket(&r).await;
    let s = dump(&mut conn).await;
    for (var, value) in [
        ("device.type", "ups"),
        ("device.mfr", "Fake Inc."),
        ("driver.name", "fake-ups"),
        ("driver.version.internal", "9.9"),
        ("driver.parameter.port", "fake-port"),
        ("driver.parameter.pollinterval", "1"),
        ("driver.parameter.synchronous", "auto"),
        ("ups.status", "OL"),
    ] {
        assert_eq!(s.value(var), Some(value), "{var}");
    }
    assert!(s.has_cmd("driver.exit") && s.has_cmd("test.battery.start"));
    assert!(s.is_data_ok());
    assert_eq!(s.get("ups.id").unwrap().aux(), 8);
    let mode = std::fs::metadata(r.config.socket_path()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o660);

    conn.send(ServerMessage::Ping).await.unwrap();
    assert_eq!(next(&mut conn).await, DriverMessage::Pong);
    conn.send(ServerMessage::GetPid).await.unwrap();
    assert_eq!(
        next(&mut conn).await,
        DriverMessage::Pid {
            pid: Value::new(std::process::id().to_string()).unwrap()
        }
    );
    conn.send(ServerMessage::DumpStatus).await.unwrap();
    assert_eq!(
        next(&mut conn).await,
        DriverMessage::SetInfo {
            var: VarName::new("ups.status").unwrap(),
            value: Value::new("OL").unwrap()
        }
    );
    assert_eq!(next(&mut conn).await, DriverMessage::DataOk);
    assert_eq!(next(&mut conn).await, DriverMessage::DumpDone);
    conn.send(ServerMessage::Logout).await.unwrap();
    loop {
        match timeout(LONG, conn.recv()).await.unwrap() {
            Some(Ok(DriverMessage::Goodbye)) => break,
            Some(Ok(_)) => continue,
            other => panic!("expected OK Goodbye, got {other:?}"),
        }
    }
    assert!(timeout(LONG, conn.recv()).await.unwrap().is_none());

    r.stop.cancel();
    assert!(matches!(
        r.task.await.unwrap().unwrap(),
        RunOutcome::Stopped
    ));
    assert!(!r.config.socket_path().exists(), "socket removed at exit");
    drop(r.dir);
}

#[tokio::test]
async fn several_servers_disconnect_and_reconnect() {
    let r = start(Ctl::default(), true, 1, false);
    let mut a = connect_socket(&r).await;
    let mut b = r.connector.connect().unwrap();
    let mut quiet = connect_socket(&r).await;
    let mut sa = dump(&mut a).await;
    let mut sb = dump(&mut b).await;
    dump(&mut quiet).await;
    quiet.send(ServerMessage::NoBroadcast).await.unwrap();

    // One hangs up; the others keep getting every change.
    let hung_up = connect_socket(&r).await;
    drop(hung_up);
    r.ctl.lock().unwrap().charge = 42;
    until(&mut a, &mut sa, |s, _| {
        s.value("battery.charge") == Some("42")
    })
    .await;
    until(&mut b, &mut sb, |s, _| {
        s.value("battery.charge") == Some("42")
    })
    .await;

    // A tracked SET from one server: both see the change, only it sees the result.
    let id = TrackingId::new("abc-1").unwrap();
    a.send(ServerMessage::Set {
        var: VarName::new("ups.id").unwrap(),
        value: Value::new("two").unwrap(),
        tracking: Some(id.clone()),
    })
    .await
    .unwrap();
    until(&mut a, &mut sa, |_, m| {
        matches!(m, DriverMessage::Tracking { .. })
    })
    .await;
    assert_eq!(sa.value("ups.id"), Some("two"));
    until(&mut b, &mut sb, |s, _| s.value("ups.id") == Some("two")).await;
    b.send(ServerMessage::Set {
        var: VarName::new("ups.id").unwrap(),
        value: Value::new("far too long").unwrap(),
        tracking: Some(TrackingId::new("abc-2").unwrap()),
    })
    .await
    .unwrap();
    loop {
        if let DriverMessage::Tracking { id, status } = next(&mut b).await {
            assert_eq!(id.as_str(), "abc-2");
            assert_eq!(status, TrackingStatus::Invalid);
            break;
        }
    }
    b.send(ServerMessage::InstCmd {
        cmd: CmdName::new("test.battery.start").unwrap(),
        param: None,
        tracking: Some(TrackingId::new("c").unwrap()),
    })
    .await
    .unwrap();
    until(&mut b, &mut sb, |_, m| {
        matches!(
            m,
            DriverMessage::Tracking {
                status: TrackingStatus::Handled,
                ..
            }
        )
    })
    .await;
    assert_eq!(sb.value("ups.test.result"), Some("In progress"));

    // The quiet one got no broadcast: its first message is the answer to PING.
    quiet.send(ServerMessage::Ping).await.unwrap();
    assert_eq!(next(&mut quiet).await, DriverMessage::Pong);

    // A server goes away and comes back: a fresh dump has everything.
    drop(a);
    let mut a = connect_socket(&r).await;
    let again = dump(&mut a).await;
    assert_eq!(again.value("ups.id"), Some("two"));
    assert_eq!(again.value("battery.charge"), Some("42"));

    // driver.exit ends the runtime.
    b.send(ServerMessage::InstCmd {
        cmd: CmdName::new("driver.exit").unwrap(),
        param: None,
        tracking: None,
    })
    .await
    .unwrap();
    let outcome = timeout(LONG, r.task).await.unwrap().unwrap().unwrap();
    assert!(matches!(outcome, RunOutcome::Exited));
}

#[tokio::test(start_paused = true)]
async fn device_stops_answering_then_recovers() {
    let r = start(Ctl::default(), false, 2, false);
    let mut conn = r.connector.connect().unwrap();
    let mut s = dump(&mut conn).await;
    assert!(s.is_data_ok());

    r.ctl.lock().unwrap().failing = Some(false);
    until(&mut conn, &mut s, |_, m| *m == DriverMessage::DataStale).await;
    r.ctl.lock().unwrap().failing = None;
    until(&mut conn, &mut s, |_, m| *m == DriverMessage::DataOk).await;
    assert_eq!(
        r.ctl.lock().unwrap().opens,
        1,
        "a device error does not reconnect"
    );

    // The transport fails; the next three opens fail too; the runtime keeps trying.
    {
        let mut c = r.ctl.lock().unwrap();
        c.failing = Some(true);
        c.fail_opens = 3;
    }
    until(&mut conn, &mut s, |_, m| *m == DriverMessage::DataStale).await;
    r.ctl.lock().unwrap().failing = None;
    until(&mut conn, &mut s, |_, m| *m == DriverMessage::DataOk).await;
    assert_eq!(r.ctl.lock().unwrap().opens, 5);
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn missing_device_at_start_is_retried_and_killpower_needs_the_flag() {
    let r = start(
        Ctl {
            fail_opens: 2,
            ..Ctl::default()
        },
        false,
        2,
        false,
    );
    let mut conn = r.connector.connect().unwrap();
    let mut s = DeviceState::new();
    until(&mut conn, &mut s, |_, m| *m == DriverMessage::DataOk).await;
    let s = dump(&mut conn).await;
    assert_eq!(s.value("device.mfr"), Some("Fake Inc."));
    conn.send(ServerMessage::InstCmd {
        cmd: CmdName::new("driver.killpower").unwrap(),
        param: None,
        tracking: Some(TrackingId::new("k").unwrap()),
    })
    .await
    .unwrap();
    loop {
        if let DriverMessage::Tracking { status, .. } = next(&mut conn).await {
            assert_eq!(status, TrackingStatus::Invalid);
            break;
        }
    }
    assert_eq!(r.ctl.lock().unwrap().shutdowns, 0);
    r.stop.cancel();
    r.task.await.unwrap().unwrap();

    let r = start(Ctl::default(), false, 2, true);
    let mut conn = r.connector.connect().unwrap();
    dump(&mut conn).await;
    conn.send(ServerMessage::InstCmd {
        cmd: CmdName::new("driver.killpower").unwrap(),
        param: None,
        tracking: Some(TrackingId::new("k").unwrap()),
    })
    .await
    .unwrap();
    loop {
        if let DriverMessage::Tracking { status, .. } = next(&mut conn).await {
            assert_eq!(status, TrackingStatus::Handled);
            break;
        }
    }
    assert_eq!(r.ctl.lock().unwrap().shutdowns, 1);
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

/// Writes `input` to the driver socket in one piece, half-closes, and reads to the end.
async fn raw_session(r: &Running, input: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = connect_socket(r).await;
    let mut raw = tokio::net::UnixStream::connect(r.config.socket_path())
        .await
        .unwrap();
    raw.write_all(input.as_bytes()).await.unwrap();
    raw.shutdown().await.unwrap();
    let mut out = String::new();
    timeout(LONG, raw.read_to_string(&mut out))
        .await
        .expect("the driver closes the connection")
        .unwrap();
    out
}

// Found while writing the driver_socket fuzz target: LOGOUT (and a hang-up) right after a request used
// to close the connection before the runtime's answer to that request was written.
#[tokio::test]
async fn answers_before_logout_or_hang_up_are_written() {
    let r = start(Ctl::default(), true, 1, false);
    let out = raw_session(&r, "DUMPALL\nSET ups.id two TRACKING t1\nLOGOUT\nPING\n").await;
    assert!(out.contains("SETINFO ups.mfr \"Fake Inc.\"\n"), "{out}");
    assert!(out.contains("DUMPDONE\n"), "{out}");
    assert!(out.contains("TRACKING t1 0\n"), "{out}");
    assert!(out.ends_with("OK Goodbye\n"), "{out}");
    assert!(!out.contains("PONG"), "nothing is read after LOGOUT: {out}");

    let out = raw_session(&r, "DUMPSTATUS\nINSTCMD test.battery.start TRACKING t2\n").await;
    assert!(out.contains("DUMPDONE\n"), "{out}");
    assert!(out.ends_with("TRACKING t2 0\n"), "{out}");
    r.stop.cancel();
    timeout(LONG, r.task).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn driver_exit_still_answers_its_tracking_id() {
    let r = start(Ctl::default(), true, 1, false);
    let out = raw_session(&r, "DUMPSTATUS\nINSTCMD driver.exit TRACKING bye\n").await;
    assert!(out.contains("DUMPDONE\n"), "{out}");
    assert!(out.ends_with("TRACKING bye 0\n"), "{out}");
    assert!(matches!(
        timeout(LONG, r.task).await.unwrap().unwrap().unwrap(),
        RunOutcome::Exited
    ));
}

#[tokio::test]
async fn a_server_that_never_reads_is_dropped_not_waited_for() {
    let r = start(Ctl::default(), true, 1, false);
    let path = r.config.socket_path();
    let _ = connect_socket(&r).await;
    // A raw client that asks for dumps forever and never reads.
    let mut raw = tokio::net::UnixStream::connect(&path).await.unwrap();
    use tokio::io::AsyncWriteExt;
    let flood = "DUMPALL\n".repeat(2000);
    let writer = tokio::spawn(async move {
        for _ in 0..50 {
            if raw.write_all(flood.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    // Meanwhile a well-behaved server still gets its answers.
    let mut good = r.connector.connect().unwrap();
    for n in 1..=3 {
        r.ctl.lock().unwrap().charge = n;
        let s = dump(&mut good).await;
        assert!(s.value("battery.charge").is_some());
    }
    writer.abort();
    r.stop.cancel();
    timeout(LONG, r.task).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn dump_mode_returns_the_state() {
    let ctl = Arc::new(Mutex::new(Ctl {
        charge: 77,
        ..Ctl::default()
    }));
    let config = DriverConfig::new(
        "fake-ups",
        UpsName::new("d").unwrap(),
        DriverParams::new("p"),
    );
    let runtime = DriverRuntime::new(Box::new(Fake(ctl.clone())), config).with_dump_after(Some(2));
    let RunOutcome::Dumped(state) = runtime.run(CancellationToken::new()).await.unwrap() else {
        panic!("expected a dump");
    };
    assert_eq!(ctl.lock().unwrap().updates, 3);
    let text = nut_driver_api::runtime::format_dump(&state);
    assert!(text.contains("battery.charge: 77\n"), "{text}");
    assert!(
        text.starts_with("battery.charge: 77\ndevice.mfr: Fake Inc.\n"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn dump_mode_fails_when_the_device_never_opens() {
    let config = || {
        DriverConfig::new(
            "fake-ups",
            UpsName::new("d").unwrap(),
            DriverParams::new("p"),
        )
    };
    let ctl = Arc::new(Mutex::new(Ctl {
        fail_opens: 3,
        ..Ctl::default()
    }));
    let runtime =
        DriverRuntime::new(Box::new(Fake(ctl.clone())), config()).with_dump_after(Some(2));
    let err = runtime.run(CancellationToken::new()).await.unwrap_err();
    assert!(err.to_string().contains("no such device"), "{err}");
    assert_eq!(ctl.lock().unwrap().opens, 3);
    // Opened on the second try: the dump is there.
    let ctl = Arc::new(Mutex::new(Ctl {
        fail_opens: 1,
        ..Ctl::default()
    }));
    let runtime = DriverRuntime::new(Box::new(Fake(ctl)), config()).with_dump_after(Some(2));
    assert!(matches!(
        runtime.run(CancellationToken::new()).await,
        Ok(RunOutcome::Dumped(_))
    ));
}

#[test]
fn c_escaped_is_pconf_encode() {
    use nut_driver_api::runtime::c_escaped;
    assert_eq!(c_escaped("plain"), "plain");
    assert_eq!(c_escaped("a\"b\\c#d"), "a\\\"b\\\\c\\#d");
    // Cut at 255 bytes, never between a backslash and the character it escapes.
    let hashes = c_escaped(&"#".repeat(300));
    assert_eq!(hashes.len(), 254);
    assert!(hashes.chars().eq("\\#".repeat(127).chars()));
    let long = c_escaped(&"x".repeat(300));
    assert_eq!(long.len(), 255);
}

/// A runtime that polls every `poll` seconds on the alarm, and the sender of its reloads.
fn start_on_the_alarm(poll: u32) -> (Running, UnboundedSender<DriverConfig>) {
    let (reload_tx, reload_rx) = unbounded_channel();
    let r = start_with(Ctl::default(), false, poll, false, |runtime| {
        runtime.with_poll_alarm(true).with_reloads(reload_rx)
    });
    (r, reload_tx)
}

/// The real times of the updates so far.
fn update_times(r: &Running) -> Vec<std::time::Instant> {
    r.ctl.lock().unwrap().update_times.clone()
}

#[tokio::test]
async fn on_the_alarm_polls_every_pollinterval_in_real_time() {
    let (r, _reloads) = start_on_the_alarm(1);
    let mut conn = r.connector.connect().unwrap();
    dump(&mut conn).await;
    tokio::time::sleep(Duration::from_millis(3_600)).await;
    let times = update_times(&r);
    // The update at start and one per second since.
    assert!(
        (4..=5).contains(&times.len()),
        "{} updates in 3.6 s at pollinterval 1",
        times.len()
    );
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        // Never early (the next poll is due a pollinterval after the update ends), and
        // not much late.
        assert!(
            gap >= Duration::from_secs(1) && gap < Duration::from_millis(1_500),
            "{gap:?} between two polls at pollinterval 1"
        );
    }
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_reloaded_pollinterval_moves_the_alarm() {
    let (r, reloads) = start_on_the_alarm(30);
    let mut conn = r.connector.connect().unwrap();
    dump(&mut conn).await;
    assert_eq!(update_times(&r).len(), 1, "the update at start");
    // 30 s -> 1 s: the next poll comes a second after the reload, not 30 s after start.
    let reloaded = std::time::Instant::now();
    reloads
        .send(r.config.clone().with_poll_interval(1))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2_600)).await;
    let times = update_times(&r);
    assert_eq!(times.len(), 3, "two polls 2.6 s after pollinterval 1");
    assert!(times[1] - reloaded >= Duration::from_secs(1));
    // 1 s -> 30 s: the poll due within the second still comes, then none for 30 s.
    reloads
        .send(r.config.clone().with_poll_interval(30))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let after = update_times(&r).len();
    assert!(
        (3..=4).contains(&after),
        "{after} updates: pollinterval 30 polls no more"
    );
    let s = dump(&mut conn).await;
    assert_eq!(s.value("driver.parameter.pollinterval"), Some("30"));
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

/// The alarm is the kernel's timer: the paused tokio clock of the other tests does not move
/// it, where it moves tokio's sleep (which the runtime uses without the alarm).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[tokio::test(start_paused = true)]
async fn on_the_alarm_polls_by_the_real_clock_not_tokios() {
    for alarm in [true, false] {
        let r = start_with(Ctl::default(), false, 10, false, |runtime| {
            runtime.with_poll_alarm(alarm)
        });
        let mut conn = r.connector.connect().unwrap();
        dump(&mut conn).await;
        // A minute on tokio's clock, at once in real time.
        tokio::time::sleep(Duration::from_secs(65)).await;
        let updates = r.ctl.lock().unwrap().updates;
        if alarm {
            assert_eq!(updates, 1, "a tokio minute is no real time for the alarm");
        } else {
            assert_eq!(updates, 7, "tokio's sleep follows tokio's clock");
        }
        r.stop.cancel();
        r.task.await.unwrap().unwrap();
    }
}
