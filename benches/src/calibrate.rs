//! Calibration of the GET VAR comparison: the same closed-loop load against
//! `nut-bench-ceiling`, a fixed-reply server that does nothing but one `read` and one `write`
//! per request, waiting in epoll and in poll(2) in turn. The better of the two is the most any
//! upsd can reach on this machine with this load generator, so a target above it cannot be
//! shown here whatever the server does.

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

/// How the ceiling server waits for requests (its `--wait`).
pub const WAITS: [&str; 2] = ["epoll", "poll"];

/// Starts the ceiling server at `program` with `threads` threads waiting in `wait` (one of
/// [`WAITS`]) on a free port, answering for `ups` and `var`, and waits until it accepts
/// connections.
fn start(
    program: &Path,
    wait: &str,
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
            "--wait",
            wait,
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

/// Runs `load` (a GET VAR load) against a ceiling server with `threads` threads waiting in
/// `wait`.
pub fn run(
    rt: &tokio::runtime::Runtime,
    program: &Path,
    wait: &str,
    threads: usize,
    ups: &str,
    var: &str,
    load: &RequestLoad,
) -> io::Result<RequestReport> {
    let (ceiling, addr) = start(program, wait, threads, ups, var)?;
    let target = Target::new(addr, ups, var).map_err(io::Error::other)?;
    let cfg = RequestLoad {
        workload: Workload::GetVar,
        server_pid: Some(ceiling.child.id()),
        ..load.clone()
    };
    rt.block_on(request_load(&target, &cfg))
        .map_err(|e| io::Error::other(e.to_string()))
}

/// The calibration table in markdown: the GET VAR `load` against the ceiling server at
/// `program` waiting in each of [`WAITS`] with each of `threads` threads (progress on
/// stderr).
pub fn table(
    rt: &tokio::runtime::Runtime,
    program: &Path,
    threads: &[usize],
    ups: &str,
    var: &str,
    load: &RequestLoad,
) -> io::Result<String> {
    let mut out = String::from(
        "\nCalibration: the same GET VAR load against nut-bench-ceiling (fixed reply, one \
         read and one write per request, no parsing)\n\n| waits in | threads | requests/s | \
         p50 | p99 | server CPU per request | load generator CPU per request |\n| --- | ---: | \
         ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (wait, &n) in WAITS
        .iter()
        .flat_map(|w| threads.iter().map(move |n| (w, n)))
    {
        eprintln!("get-var: ceiling, {wait}, {n} thread(s) …");
        let report = run(rt, program, wait, n, ups, var, load)?;
        let micros = |d: Option<Duration>| {
            d.map_or("?".to_owned(), |d| {
                format!("{:.1} µs", d.as_secs_f64() * 1e6)
            })
        };
        out.push_str(&format!(
            "| {wait} | {n} | {:.0} | {:.3} ms | {:.3} ms | {} | {} |\n",
            report.rate(),
            report.latency.p50.as_secs_f64() * 1e3,
            report.latency.p99.as_secs_f64() * 1e3,
            micros(report.cpu_per_request()),
            micros(report.client_cpu_per_request()),
        ));
    }
    Ok(out)
}
