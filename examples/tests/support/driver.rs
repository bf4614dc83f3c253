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
    let child = command(program, dir, port, &["-d", "1"], extra)
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
