//! Calibration of the GET VAR comparison: the same closed-loop load against
//! `nut-bench-ceiling`, a fixed-reply epoll server that does nothing but one `read` and one
//! `write` per request. Its throughput is the most any upsd can reach on this machine with
//! this load generator, so a target above it cannot be shown here whatever the server does.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::{request_load, RequestLoad, RequestReport, Target, Workload};

/// A running `nut-bench-ceiling`, killed when dropped.
#[derive(Debug)]
struct Ceiling {
    child: Child,
}

impl Drop for Ceiling {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the ceiling server at `program` with `threads` threads on a free port, answering
/// for `ups` and `var`, and waits until it accepts connections.
fn start(
    program: &Path,
    threads: usize,
    ups: &str,
    var: &str,
) -> io::Result<(Ceiling, SocketAddr)> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let child = Command::new(program)
        .args([
            "--listen",
            &addr.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .args(["--ups", ups, "--var", var])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let ceiling = Ceiling { child };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            return Err(io::Error::other(
                "nut-bench-ceiling did not start listening",
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((ceiling, addr))
}

/// Runs `load` (a GET VAR load) against a ceiling server with `threads` threads.
pub fn run(
    rt: &tokio::runtime::Runtime,
    program: &Path,
    threads: usize,
    ups: &str,
    var: &str,
    load: &RequestLoad,
) -> io::Result<RequestReport> {
    let (ceiling, addr) = start(program, threads, ups, var)?;
    let target = Target::new(addr, ups, var).map_err(io::Error::other)?;
    let cfg = RequestLoad {
        workload: Workload::GetVar,
        server_pid: Some(ceiling.child.id()),
        ..load.clone()
    };
    rt.block_on(request_load(&target, &cfg))
        .map_err(|e| io::Error::other(e.to_string()))
}
