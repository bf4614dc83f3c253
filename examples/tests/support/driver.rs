//! Running a driver (C's or ours) against a simulated device on a pseudo-terminal, the way
//! the differential tests of the serial drivers do: `-s sim -u root -x port=…` with the
//! state and configuration paths in a test directory.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `program -s sim -u root <args> -x port=<port> [-x <extra>]…`, with NUT_STATEPATH,
/// NUT_CONFPATH and NUT_ALTPIDPATH set to `dir` and its output captured.
pub(crate) fn command(
    program: &str,
    dir: &Path,
    port: &Path,
    args: &[&str],
    extra: &[&str],
) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(["-s", "sim", "-u", "root"])
        .args(args)
        .arg("-x")
        .arg(format!("port={}", port.display()))
        .env("NUT_STATEPATH", dir)
        .env("NUT_CONFPATH", dir)
        .env("NUT_ALTPIDPATH", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for x in extra {
        cmd.args(["-x", x]);
    }
    cmd
}

/// Waits for a driver run to end (generously: probing may time out on a loaded machine;
/// this only guards against hangs) and returns its standard output; panics if it failed.
pub(crate) fn finish(program: &str, mut child: Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The `-d 1` dump of `program` on `port`, without the lines that differ by design: the
/// version lines, and the USB-only variable of Debian's USB+serial C build.
pub(crate) fn dump(program: &str, dir: &Path, port: &Path, extra: &[&str]) -> Vec<String> {
    dump_with(program, dir, port, &[], extra)
}

/// [`dump`] with more arguments (`-D`, …) before the options.
pub(crate) fn dump_with(
    program: &str,
    dir: &Path,
    port: &Path,
    args: &[&str],
    extra: &[&str],
) -> Vec<String> {
    let mut all = vec!["-d", "1"];
    all.extend_from_slice(args);
    let child = command(program, dir, port, &all, extra)
        .spawn()
        .unwrap_or_else(|e| panic!("can't start {program}: {e}"));
    finish(program, child)
        .lines()
        .filter(|l| l.contains(": "))
        .filter(|l| !l.starts_with("driver.version: ") && !l.starts_with("driver.version.usb: "))
        .map(str::to_owned)
        .collect()
}

/// Reads lines of a driver socket (with a read timeout set) until one satisfies `done`;
/// returns them all. Panics when the socket closes or nothing ends it within `patience`.
pub(crate) fn read_socket_until(
    reader: &mut std::io::BufReader<std::os::unix::net::UnixStream>,
    patience: Duration,
    done: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    let deadline = Instant::now() + patience;
    loop {
        assert!(
            Instant::now() < deadline,
            "no answer on the driver socket: {lines:#?}"
        );
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => panic!("driver socket closed; got {lines:#?}"),
            Ok(_) => {
                let line = line.trim_end().to_owned();
                let end = done(&line);
                lines.push(line);
                if end {
                    return lines;
                }
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("driver socket: {e}"),
        }
    }
}

/// A driver (C's or ours) running in the foreground (`-F`) against a simulated device, with
/// a connection to its socket (`<program name>-sim` in `dir`), to send it instant commands
/// and SETs. Killed when dropped.
pub(crate) struct Running {
    child: Child,
    writer: std::os::unix::net::UnixStream,
    reader: std::io::BufReader<std::os::unix::net::UnixStream>,
    next_id: u32,
}

impl Running {
    /// Starts `program -F <args> -s sim -u root -x port=<port> [-x <extra>]…`, its output in
    /// `driver.log` in `dir`, and waits (up to 120 s: probing may take a while) for its
    /// socket. `-i 300` in `args` keeps the driver's polls away from the requests.
    pub(crate) fn start(
        program: &str,
        dir: &Path,
        port: &Path,
        args: &[&str],
        extra: &[&str],
    ) -> Self {
        let mut all = vec!["-F"];
        all.extend_from_slice(args);
        let log_path = dir.join("driver.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut cmd = command(program, dir, port, &all, extra);
        let mut child = cmd
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("can't start {program}: {e}"));
        let name = Path::new(program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let socket = dir.join(format!("{name}-sim"));
        let deadline = Instant::now() + Duration::from_secs(120);
        let stream = loop {
            if let Ok(s) = std::os::unix::net::UnixStream::connect(&socket) {
                break s;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "{program} exited ({status}): {}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{program}: no socket {}", socket.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            child,
            writer: stream.try_clone().unwrap(),
            reader: std::io::BufReader::new(stream),
            next_id: 0,
        }
    }

    /// Sends `line` as it is.
    fn send(&mut self, line: &str) {
        use std::io::Write;
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
    }

    /// The next line from the driver, waiting at most `patience`; `None` when none came.
    fn line_within(&mut self, patience: Duration) -> Option<String> {
        self.reader
            .get_ref()
            .set_read_timeout(Some(patience))
            .unwrap();
        let mut l = String::new();
        match self.reader.read_line(&mut l) {
            Ok(n) if n > 0 => Some(l.trim_end().to_owned()),
            _ => None,
        }
    }

    /// The driver's state as `DUMPALL` gives it, without the lines that differ for reasons
    /// of no concern to the tests: the program's version, the port (each simulator has its
    /// own) and the `driver.*` commands of our runtime (C 2.8.0 has none).
    pub(crate) fn dump_all(&mut self) -> Vec<String> {
        self.send("DUMPALL");
        let mut out = Vec::new();
        loop {
            // Generous: only against hangs.
            let l = self
                .line_within(Duration::from_secs(120))
                .expect("DUMPALL: no DUMPDONE");
            if l == "DUMPDONE" {
                break;
            }
            // Broadcasts that were on their way before the dump.
            if !out.is_empty() || l.starts_with("SETINFO ") {
                out.push(l);
            }
        }
        out.retain(|l| {
            !l.starts_with("SETINFO driver.version ")
                && !l.starts_with("SETINFO driver.version.internal ")
                && !l.starts_with("SETINFO driver.parameter.port ")
                && !l.starts_with("ADDCMD driver.")
        });
        out
    }

    /// [`Running::request`] that must be answered (within 120 s: only against hangs).
    pub(crate) fn tracked(&mut self, line: &str) -> String {
        self.request_within(line, Duration::from_secs(120))
            .unwrap_or_else(|| panic!("no result for {line}"))
    }

    /// Waits for the broadcast `line`; false when it did not come within `limit`.
    pub(crate) fn wait_for(&mut self, line: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.line_within(left.max(Duration::from_millis(1))) {
                Some(l) if l == line => return true,
                Some(_) => {}
                None => return false,
            }
        }
        false
    }

    /// Sends `line` (`INSTCMD …`, `SET …`) with a tracking id and returns the result
    /// (`SUCCESS`, `UNKNOWN`, …) when one comes within 20 s.
    pub(crate) fn request(&mut self, line: &str) -> Option<String> {
        self.request_within(line, Duration::from_secs(20))
    }

    /// [`Running::request`] waiting at most `patience` for the result.
    pub(crate) fn request_within(&mut self, line: &str, patience: Duration) -> Option<String> {
        self.next_id += 1;
        let tag = format!("TRACKING r{} ", self.next_id);
        self.send(&format!("{line} {}", tag.trim_end()));
        self.reader
            .get_ref()
            .set_read_timeout(Some(patience))
            .unwrap();
        let mut text = String::new();
        while self.reader.read_line(&mut text).ok()? > 0 {
            if let Some(code) = text.trim_end().strip_prefix(&tag) {
                return Some(code.to_owned());
            }
            text.clear();
        }
        None
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Each of `requests` sent to the driver once `ready` says the simulated unit (whose
    /// received commands `model` logs) has seen its start-up: the result of each and the
    /// commands the unit received for it (the driver's own polls, which `-i 300` keeps
    /// out of the way, are not filtered).
    pub(crate) fn requests_on_the_wire(
        &mut self,
        model: &nut_drivers::sim::SharedModel,
        ready: impl Fn(&[String]) -> bool,
        requests: &[&str],
    ) -> Vec<(Option<String>, Vec<String>)> {
        let deadline = Instant::now() + Duration::from_secs(90);
        while !ready(&model.lock().unwrap().received) {
            assert!(Instant::now() < deadline, "no start-up seen");
            std::thread::sleep(Duration::from_millis(100));
        }
        // The end of the first poll.
        std::thread::sleep(Duration::from_secs(1));
        model.lock().unwrap().received.clear();
        requests
            .iter()
            .map(|r| {
                let result = self.request(r);
                // The last bytes may still be on their way to the unit.
                std::thread::sleep(Duration::from_millis(300));
                (result, std::mem::take(&mut model.lock().unwrap().received))
            })
            .collect()
    }
}

/// What a simulated device received, once nothing new came for `quiet` (at most 30 s).
pub(crate) fn settled(model: &nut_drivers::sim::SharedModel, quiet: Duration) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = model.lock().unwrap().received.clone();
    loop {
        std::thread::sleep(quiet);
        let now = model.lock().unwrap().received.clone();
        if now == last || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// A simulated unit speaking `protocol` on a pseudo-terminal linked as `ttySIM` in a new
/// test directory, its model given `settings` (each name behind `prefix`, as in
/// `powerpanel.` or nothing): the directory, the model and the server.
pub(crate) fn sim(
    protocol: nut_drivers::sim::Protocol,
    prefix: &str,
    settings: &[(&str, &str)],
) -> (
    tempfile::TempDir,
    nut_drivers::sim::SharedModel,
    nut_drivers::sim::pty::PtyServer,
) {
    let dir = tempfile::tempdir().unwrap();
    let model = nut_drivers::sim::UpsModel::shared();
    {
        let mut m = model.lock().unwrap();
        for (k, v) in settings {
            m.settings.insert(format!("{prefix}{k}"), (*v).into());
        }
    }
    let link = dir.path().join("ttySIM");
    let server =
        nut_drivers::sim::pty::PtyServer::spawn(model.clone(), protocol, Some(&link)).unwrap();
    (dir, model, server)
}
