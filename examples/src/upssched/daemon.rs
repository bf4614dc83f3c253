//! The upssched timer daemon: listens on PIPEFN (a Unix stream socket, mode 0660), keeps the
//! [`TimerQueue`], runs CMDSCRIPT when a timer fires, and exits (removing the socket) once
//! no timer has been running for [`IDLE_EXIT`], as C's daemon does after 15 empty passes.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use nut_client::monitor::timers::TimerQueue;
use nut_proto::upssched::{DaemonRequest, REPLY_OK, REPLY_UNKNOWN};

/// How long the daemon stays without timers before it exits.
pub const IDLE_EXIT: Duration = Duration::from_secs(15);

/// Runs CMDSCRIPT with `arg` (through `/bin/sh`, as C's `system("cmdscript arg")`; the
/// argument is passed as one word) and the extra environment `env`; waits for it.
pub fn exec_cmd(cmdscript: &str, arg: &str, env: &[(&str, String)]) {
    tracing::info!("Executing command: {cmdscript} {arg}");
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(format!("{cmdscript} \"$1\""))
        .arg("upssched")
        .arg(arg)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => tracing::info!("exec_cmd({cmdscript} {arg}) returned {s}"),
        Err(e) => tracing::error!("Execute command failure: {cmdscript} {arg}: {e}"),
    }
}

struct State {
    queue: TimerQueue,
    start: Instant,
}

/// The timer daemon for `cmdscript` on socket `pipefn`. `ready` is called once the socket
/// listens.
pub async fn run(cmdscript: String, pipefn: PathBuf, ready: impl FnOnce()) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(&pipefn);
    let listener =
        UnixListener::bind(&pipefn).with_context(|| format!("bind {} failed", pipefn.display()))?;
    std::fs::set_permissions(&pipefn, std::fs::Permissions::from_mode(0o660))
        .with_context(|| format!("chmod({}, 0660) failed", pipefn.display()))?;
    tracing::info!("Timer daemon started");
    ready();
    let state = Arc::new(Mutex::new(State {
        queue: TimerQueue::new(),
        start: Instant::now(),
    }));
    let mut idle_since = Some(Instant::now());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let state = Arc::clone(&state);
                    let script = cmdscript.clone();
                    tokio::spawn(async move { serve(stream, state, script).await });
                }
            }
            _ = tick.tick() => {
                let due = {
                    let mut s = state.lock().expect("timer state");
                    let now = s.start.elapsed();
                    s.queue.take_due(now)
                };
                for timer in due {
                    tracing::info!("Event: {}", timer.name);
                    let script = cmdscript.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        exec_cmd(&script, &timer.name, &timer.environment());
                    })
                    .await;
                }
                let empty = state.lock().expect("timer state").queue.is_empty();
                match (empty, idle_since) {
                    (false, _) => idle_since = None,
                    (true, None) => idle_since = Some(Instant::now()),
                    (true, Some(t)) if t.elapsed() >= IDLE_EXIT => {
                        tracing::info!("Timer queue empty, exiting");
                        let _ = std::fs::remove_file(&pipefn);
                        return Ok(());
                    }
                    (true, Some(_)) => {}
                }
            }
        }
    }
}

/// Answers the requests of one connection.
async fn serve(stream: UnixStream, state: Arc<Mutex<State>>, cmdscript: String) {
    let (r, mut w) = stream.into_split();
    let mut reader = BufReader::new(r.take(64 * 1024));
    let mut line = Vec::new();
    loop {
        line.clear();
        match tokio::time::timeout(Duration::from_secs(30), reader.read_until(b'\n', &mut line))
            .await
        {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
        let reply = match DaemonRequest::parse(&line) {
            Some(request) => {
                let run = apply(&state, request);
                if let Some(arg) = run {
                    let script = cmdscript.clone();
                    let _ = tokio::task::spawn_blocking(move || exec_cmd(&script, &arg, &[])).await;
                }
                REPLY_OK
            }
            None => {
                tracing::info!(
                    "Unknown command on socket: {}",
                    String::from_utf8_lossy(&line).trim_end()
                );
                REPLY_UNKNOWN
            }
        };
        if w.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Applies a request; returns the CMDSCRIPT argument to run for a cancel that found no
/// timer.
fn apply(state: &Mutex<State>, request: DaemonRequest) -> Option<String> {
    let mut s = state.lock().expect("timer state");
    let now = s.start.elapsed();
    match request {
        DaemonRequest::Start {
            name,
            seconds,
            shared,
            origin,
        } => {
            tracing::info!("New timer: {name} ({seconds} seconds)");
            s.queue.start(&name, seconds, &origin, shared, now);
            None
        }
        DaemonRequest::Cancel {
            name,
            command,
            matched,
            origin,
        } => {
            let removed = s.queue.cancel(&name, &origin, matched);
            if removed > 0 {
                tracing::info!("Cancelling timer: {name}");
                None
            } else {
                (!command.is_empty()).then(|| {
                    tracing::info!("Cancel {name}, event: {command}");
                    command
                })
            }
        }
    }
}

/// Tells the process that started the daemon that it listens: a line on standard output,
/// which is then pointed at `/dev/null` (as are standard input and error).
pub fn signal_ready() {
    let mut out = std::io::stdout();
    let _ = out.write_all(b"ready\n");
    let _ = out.flush();
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&null);
        for target in 0..=2 {
            let _ = nix::unistd::dup2(fd, target);
        }
    }
}
