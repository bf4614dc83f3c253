//! What the integration tests share: finding the C programs (and failing instead of
//! skipping under `NUT_RS_INTEROP=1`), killing children on drop, free ports, waiting for a
//! condition, and where the shared test data lives.
//!
//! Each test file is a crate of its own and uses only part of this module.
#![allow(dead_code)]

pub(crate) mod driver;
pub(crate) mod http;
pub(crate) mod modbus_bank;
pub(crate) mod power_failure;
pub(crate) mod q1_usb;
pub(crate) mod qx_session;
pub(crate) mod snmpsim;
pub(crate) mod usb_sim;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// C NUT's upsd.
pub(crate) const C_UPSD: &str = "/lib/nut/upsd";
/// C NUT's dummy-ups.
pub(crate) const C_DUMMY: &str = "/lib/nut/dummy-ups";
/// The device recordings beside the repository (read there, never copied in).
/// `$NUT_RS_TESTDATA` names another folder (`.ci/fetch-testdata` fills one).
pub(crate) fn testdata() -> std::path::PathBuf {
    std::env::var_os("NUT_RS_TESTDATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"),
        std::path::PathBuf::from,
    )
}

/// Whether `NUT_RS_INTEROP=1`: interop tests must then run, not skip.
pub(crate) fn interop() -> bool {
    std::env::var("NUT_RS_INTEROP").as_deref() == Ok("1")
}

/// Whether every program is there: an absolute path must exist, a bare name must run with
/// `-V`. When one is missing this prints a note and returns `false` (the test skips), or
/// panics under `NUT_RS_INTEROP=1`.
pub(crate) fn have(programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| {
            if p.starts_with('/') {
                !Path::new(p).exists()
            } else {
                Command::new(p).arg("-V").output().is_err()
            }
        })
        .collect();
    skip_unless_interop(&missing)
}

/// The recording `rel` of the shared test data (`nut-ddl/APC/...`), or `None` with a note
/// when the test data is not beside the repository (a fresh clone): the test then skips,
/// or panics under `NUT_RS_INTEROP=1`.
pub(crate) fn recorded(rel: &str) -> Option<std::path::PathBuf> {
    let path = testdata().join(rel);
    skip_unless_interop(if path.exists() {
        &[]
    } else {
        &["../shared/testdata (the recorded devices)"]
    })
    .then_some(path)
}

/// `true` when nothing is `missing`; otherwise a note and `false`, or a panic under
/// `NUT_RS_INTEROP=1`.
pub(crate) fn skip_unless_interop(missing: &[&str]) -> bool {
    if missing.is_empty() {
        return true;
    }
    assert!(!interop(), "NUT_RS_INTEROP=1 but missing: {missing:?}");
    eprintln!("note: skipping interop test, missing: {missing:?}");
    false
}

/// Stops `child` as an admin would: SIGTERM, then SIGKILL if it is still there after two
/// seconds; reaps it either way. (A wrapper such as `usb-emu run` cleans up only on TERM.)
pub(crate) fn stop(child: &mut Child) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A child process killed (and reaped) when dropped.
#[derive(Debug)]
pub(crate) struct Kill(pub(crate) Child);

impl Kill {
    /// Starts `cmd` in a process group of its own.
    pub(crate) fn spawn(cmd: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        Self(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("can't start {cmd:?}: {e}")),
        )
    }

    /// The output of a child that has ended (its pipes read to the end).
    pub(crate) fn take_output(&mut self) -> std::process::Output {
        use std::io::Read;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        if let Some(mut out) = self.0.stdout.take() {
            let _ = out.read_to_end(&mut stdout);
        }
        if let Some(mut err) = self.0.stderr.take() {
            let _ = err.read_to_end(&mut stderr);
        }
        let status = self.0.wait().expect("wait");
        std::process::Output {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Kill {
    /// Kills the child and, when it leads a process group of its own (spawned with
    /// `process_group(0)`, as `usb-emu run` is, whose driver is its child), the whole group:
    /// a driver left behind would spin on its vanished device for the rest of the run.
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range:
/// a port the kernel hands out (port 0) may go to a test's outgoing connection before the
/// server binds it, and the server then fails to start.
pub(crate) fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id().wrapping_mul(7919);
    for _ in 0..1000 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // 20000..32000: under Linux's default ephemeral range (32768 and up).
        let port = 20_000 + (seed.wrapping_add(n.wrapping_mul(104_729)) % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000..32000")
}

/// Polls `f` every `every` until it gives a value; panics after `deadline` (generous: it
/// only guards against hangs, it does not measure speed).
pub(crate) fn wait_for<T>(
    what: &str,
    deadline: Duration,
    every: Duration,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::sleep(every);
    }
}

/// A NUT set-up in a directory of its own, as C programs want it: `etc/` with `ups.conf`,
/// `upsd.conf` (`LISTEN 127.0.0.1 <port>` plus extra lines) and an `upsd.users` with an
/// `admin`/`pw` user allowed everything, and `state/`; all owned by user `nut`.
#[derive(Debug)]
pub(crate) struct Site {
    dir: std::path::PathBuf,
    /// The port upsd listens on.
    pub(crate) port: u16,
}

impl Site {
    /// Creates the set-up in `dir`, with the extra `upsd.conf` lines and extra `etc/` files.
    pub(crate) fn new(dir: &Path, ups_conf: &str, upsd_conf: &str, files: &[(&str, &str)]) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let port = free_port();
        let site = Self {
            dir: dir.to_path_buf(),
            port,
        };
        let (etc, state) = (site.etc(), site.state());
        std::fs::create_dir_all(&etc).expect("etc/");
        std::fs::create_dir_all(&state).expect("state/");
        std::fs::write(etc.join("ups.conf"), ups_conf).expect("ups.conf");
        std::fs::write(
            etc.join("upsd.conf"),
            format!("LISTEN 127.0.0.1 {port}\n{upsd_conf}"),
        )
        .expect("upsd.conf");
        std::fs::write(
            etc.join("upsd.users"),
            "[admin]\n\tpassword = pw\n\tactions = SET\n\tinstcmds = ALL\n",
        )
        .expect("upsd.users");
        for (name, text) in files {
            std::fs::write(etc.join(name), text).expect("etc file");
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("mode");
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o770)).expect("mode");
        site.chown();
        site
    }

    /// Gives everything in the set-up to user `nut` again (after writing more files).
    pub(crate) fn chown(&self) {
        let _ = Command::new("chown")
            .args(["-R", "nut:nut"])
            .arg(&self.dir)
            .status();
    }

    /// The configuration directory.
    pub(crate) fn etc(&self) -> std::path::PathBuf {
        self.dir.join("etc")
    }

    /// The state directory (driver sockets, PID files).
    pub(crate) fn state(&self) -> std::path::PathBuf {
        self.dir.join("state")
    }

    /// `program` with NUT_CONFPATH, NUT_STATEPATH and NUT_ALTPIDPATH pointing here, and no
    /// standard input or output.
    pub(crate) fn command(&self, program: &str) -> Command {
        use std::process::Stdio;
        let mut c = Command::new(program);
        c.env("NUT_CONFPATH", self.etc())
            .env("NUT_STATEPATH", self.state())
            .env("NUT_ALTPIDPATH", self.state())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    /// Starts `program args…` here; it is killed when the guard drops.
    pub(crate) fn spawn(&self, program: &str, args: &[&str]) -> Kill {
        Kill(
            self.command(program)
                .args(args)
                .spawn()
                .unwrap_or_else(|e| panic!("can't start {program}: {e}")),
        )
    }

    /// Runs `program args…` here to the end and returns what it printed.
    pub(crate) fn output<S: AsRef<std::ffi::OsStr>>(
        &self,
        program: &str,
        args: &[S],
    ) -> std::process::Output {
        use std::process::Stdio;
        self.command(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("can't run {program}: {e}"))
    }

    /// `name@127.0.0.1:<port>`.
    pub(crate) fn ups(&self, name: &str) -> String {
        format!("{name}@127.0.0.1:{}", self.port)
    }
}

/// A child process in a process group of its own, killed with its whole group when dropped
/// (for programs that fork helpers, such as upsmon).
#[derive(Debug)]
pub(crate) struct Proc(pub(crate) Child);

impl Proc {
    /// Starts `cmd` in a new process group, with no standard input; its output is discarded
    /// unless `NUT_RS_TEST_VERBOSE` is set.
    pub(crate) fn spawn(cmd: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;
        cmd.stdin(Stdio::null()).process_group(0);
        if std::env::var_os("NUT_RS_TEST_VERBOSE").is_none() {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
        Self(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("can't start {cmd:?}: {e}")),
        )
    }

    /// Whether it is still running.
    pub(crate) fn running(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
