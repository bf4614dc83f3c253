//! Shared test support: a fake driver on a Unix socket, C NUT programs in a temporary
//! directory, our server over the same configuration, and a line client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nut_server::driver_api::link::ServerConnection;
use nut_server::driver_api::proto::sock::{DriverMessage, ServerMessage, TrackingStatus};
use nut_server::driver_api::state::DeviceState;
use nut_server::{ConfigPaths, Server, ServerConfig};
use tokio::net::UnixListener;
use tokio::task::JoinHandle;

/// Generous deadline for anything we wait for.
pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

/// Whether a C program is installed; panics when it is not and `NUT_RS_INTEROP=1`.
pub(crate) fn have(program: &str) -> bool {
    let found = Path::new(program).exists()
        || (!program.contains('/')
            && std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).exists())));
    if !found {
        assert!(
            std::env::var("NUT_RS_INTEROP").as_deref() != Ok("1"),
            "NUT_RS_INTEROP=1 but {program} is not installed"
        );
        eprintln!("note: {program} not installed, skipping this interop test");
    }
    found
}

/// A TCP port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `f` until it returns `Some` or the deadline passes.
pub(crate) fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The state the fake driver serves: every kind of variable the protocol can describe.
pub(crate) fn fake_state(stale: bool) -> DeviceState {
    let mut s = DeviceState::new();
    s.set("ups.status", "OL").unwrap();
    s.set("ups.mfr", "Fake Inc.").unwrap();
    s.set("battery.charge", "100").unwrap();
    s.set_flags("battery.charge", false, false, true);
    s.set("ups.id", "rack \"1\" \\ #2").unwrap();
    s.set_flags("ups.id", true, true, false);
    s.set_aux("ups.id", 16);
    s.set("input.transfer.low", "100").unwrap();
    s.set_flags("input.transfer.low", true, false, false);
    for v in ["100", "110", "120"] {
        s.add_enum("input.transfer.low", v).unwrap();
    }
    s.set("input.transfer.high", "140").unwrap();
    s.set_flags("input.transfer.high", true, false, false);
    s.add_range("input.transfer.high", 130, 135);
    s.add_range("input.transfer.high", 140, 150);
    s.set("ups.delay.shutdown", "20").unwrap();
    s.set_flags("ups.delay.shutdown", true, false, false);
    s.set("ups.contacts", "x").unwrap();
    s.set_flags("ups.contacts", true, true, false);
    s.set("Ups.Test.Result", "Done and passed").unwrap();
    for c in [
        "test.battery.start",
        "test.fail",
        "load.off",
        "test.invalid",
    ] {
        s.add_cmd(c).unwrap();
    }
    s.set_data_ok(!stale);
    s.take_changes();
    s
}

/// A fake driver on `path`: answers DUMPALL with `state`, PING with PONG, applies SETs
/// (tracked ones answered 0), answers tracked INSTCMDs (`test.fail` → 3, `test.invalid` → 2,
/// others 0). Each connection gets its own copy of the state. Dropping it stops it.
pub(crate) struct FakeDriver {
    task: JoinHandle<()>,
    pub(crate) path: PathBuf,
}

impl Drop for FakeDriver {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

impl FakeDriver {
    /// Starts serving on `path` (on the current tokio runtime).
    pub(crate) fn start(path: &Path, state: DeviceState) -> Self {
        Self::start_with(path, state, true)
    }

    /// Like `start`; `pong = false` makes it ignore PING (to go stale).
    pub(crate) fn start_with(path: &Path, state: DeviceState, pong: bool) -> Self {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) aborts the connections.
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                conns.spawn(serve_fake(ServerConnection::from_unix(stream), state, pong));
            }
        });
        Self {
            task,
            path: path.to_owned(),
        }
    }
}

async fn serve_fake(mut conn: ServerConnection, mut state: DeviceState, pong: bool) {
    while let Some(Ok(msg)) = conn.recv().await {
        let mut out = Vec::new();
        match msg {
            ServerMessage::DumpAll => out = state.dump(),
            ServerMessage::Ping if pong => out.push(DriverMessage::Pong),
            ServerMessage::Set {
                var,
                value,
                tracking,
            } => {
                let _ = state.set(var.as_str(), value.as_str());
                out = state.take_changes();
                if let Some(id) = tracking {
                    out.push(DriverMessage::Tracking {
                        id,
                        status: TrackingStatus::Handled,
                    });
                }
            }
            ServerMessage::InstCmd {
                cmd,
                tracking: Some(id),
                ..
            } => {
                let status = match cmd.as_str() {
                    "test.fail" => TrackingStatus::Failed,
                    "test.invalid" => TrackingStatus::Invalid,
                    _ => TrackingStatus::Handled,
                };
                out.push(DriverMessage::Tracking { id, status });
            }
            _ => {}
        }
        if !out.is_empty() && conn.send_all(out).await.is_err() {
            return;
        }
    }
}

/// A child process killed on drop.
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A configuration directory and a state directory, readable by C's `nut` user.
pub(crate) struct Dirs {
    pub(crate) root: tempfile::TempDir,
}

impl Dirs {
    pub(crate) fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("etc")).unwrap();
        std::fs::create_dir(root.path().join("state")).unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(
            root.path().join("state"),
            std::fs::Permissions::from_mode(0o777),
        )
        .unwrap();
        Self { root }
    }
    pub(crate) fn etc(&self) -> PathBuf {
        self.root.path().join("etc")
    }
    pub(crate) fn state(&self) -> PathBuf {
        self.root.path().join("state")
    }
    /// Writes a file in etc, readable by everyone (C's `nut` user reads it).
    pub(crate) fn write(&self, name: &str, text: &str) {
        let p = self.etc().join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    /// Our configuration read from these files.
    pub(crate) fn config(&self) -> ServerConfig {
        let mut paths = ConfigPaths::new(self.etc());
        paths.statepath = Some(self.state());
        paths.datapath = Some("/usr/share/nut".into());
        ServerConfig::load(&paths).unwrap().config
    }
    /// Starts C upsd (as user nut) on `port`.
    pub(crate) fn c_upsd(&self, port: u16) -> Proc {
        let child = Command::new("/lib/nut/upsd")
            .args(["-F", "-u", "nut"])
            .env("NUT_CONFPATH", self.etc())
            .env("NUT_STATEPATH", self.state())
            .env("NUT_ALTPIDPATH", self.state())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let p = Proc(child);
        wait_for("C upsd to listen", || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        p
    }
}

/// The users every test configuration has.
pub(crate) const USERS: &str =
    "[admin]\n password = adminpw\n actions = SET FSD\n instcmds = ALL\n\
[mon]\n password = monpw\n upsmon primary\n\
[sec]\n password = secpw\n upsmon secondary\n\
[limited]\n password = lpw\n instcmds = test.battery.start\n";

/// Which of the server's two ways of serving plaintext clients a test uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Serving {
    /// The thread that waits in poll(2), as upsd on a current-thread runtime does.
    PollThread,
    /// A tokio task per client, as on a multi-thread runtime or past the thread's limit.
    Tasks,
}

/// Two tests of `async fn $body(serving: Serving)`: plaintext clients on the poll thread,
/// then on tasks.
macro_rules! both_ways {
    ($body:ident: $on_poll_thread:ident, $on_tasks:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $on_poll_thread() {
            $body(Serving::PollThread).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $on_tasks() {
            $body(Serving::Tasks).await;
        }
    };
}
pub(crate) use both_ways;

/// Starts our server with `config` on a listener of its own, its plaintext clients on the
/// poll thread (as upsd serves them on a small machine); returns it and its address.
pub(crate) async fn our_server(config: ServerConfig) -> (Server, SocketAddr) {
    our_server_serving(config, Serving::PollThread).await
}

/// [`our_server`], serving plaintext clients the way `serving` says.
pub(crate) async fn our_server_serving(
    config: ServerConfig,
    serving: Serving,
) -> (Server, SocketAddr) {
    let limit = match serving {
        Serving::PollThread => 64,
        Serving::Tasks => 0,
    };
    our_server_polling(config, limit).await
}

/// [`our_server`] with up to `limit` plaintext clients on the poll thread and any others on
/// tasks.
pub(crate) async fn our_server_polling(config: ServerConfig, limit: usize) -> (Server, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = config;
    config.listen.clear();
    let server = Server::builder()
        .config(config)
        .listener(listener)
        .poll_clients(limit)
        .start()
        .await
        .unwrap();
    (server, addr)
}

/// A blocking line client.
pub(crate) struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        Self {
            reader: BufReader::new(stream),
        }
    }
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }
    /// One line, without LF; `None` at end of stream.
    pub(crate) fn line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                assert_eq!(buf.pop(), Some(b'\n'), "unterminated line {buf:?}");
                Some(String::from_utf8(buf).unwrap())
            }
            Err(e) => panic!("reading a reply: {e}"),
        }
    }
    /// A whole reply (a LIST is one), as lines.
    pub(crate) fn reply(&mut self) -> Vec<String> {
        let first = self.line().expect("connection closed");
        let mut lines = vec![first.clone()];
        if first.starts_with("BEGIN LIST") {
            loop {
                let l = self.line().expect("connection closed in a list");
                let end = l.starts_with("END LIST");
                lines.push(l);
                if end {
                    break;
                }
            }
        }
        lines
    }
    /// Sends a request line and returns its reply.
    pub(crate) fn ask(&mut self, line: &str) -> Vec<String> {
        self.send(format!("{line}\n").as_bytes());
        self.reply()
    }
    /// Whether the server closed the connection (reads until EOF or the deadline).
    pub(crate) fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 64];
        matches!(self.reader.read(&mut buf), Ok(0))
    }
    pub(crate) fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }
}

/// `program` with a private, empty `/run` when the test may make one (`unshare --mount`
/// works: root): C 2.8.0's upsmon always writes `/run/nut/upsmon.pid`, and no test may touch
/// the machine's real one. Otherwise `program` itself.
pub(crate) fn private_run(program: &str) -> Command {
    let can = Command::new("unshare")
        .args(["--mount", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !can {
        return Command::new(program);
    }
    let mut c = Command::new("unshare");
    c.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg("mount -t tmpfs tmpfs /run && mkdir -p /run/nut && exec \"$0\" \"$@\"")
        .arg(program);
    c
}
