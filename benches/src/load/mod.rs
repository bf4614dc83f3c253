//! The load generator: tokio clients that drive a NUT server (any upsd, ours or C NUT's)
//! over TCP.
//!
//! Every workload is a plain async function over a [`Target`]:
//!
//! * [`request_load`]: N connections, each sending one request at a time (GET VAR or
//!   LIST VAR) for a fixed time; requests/s and latency percentiles.
//! * [`idle_hold`]: K idle connections held while a probe client measures latency; the
//!   server's memory per idle connection.
//! * [`connect_burst`]: thousands of simultaneous connects, each asking one question.
//! * [`maxconn_check`]: a server full at MAXCONN, more clients trying, the ones inside
//!   still served.

mod cases;
mod conn;
mod stats;

use std::io;

pub use cases::{
    connect_burst, idle_hold, maxconn_check, request_load, Burst, BurstReport, IdleHold,
    IdleReport, MaxConnCheck, MaxConnReport, Outcomes, RequestLoad, RequestReport, Target,
    Workload,
};
pub use conn::{Conn, LoadError, ReplyShape};
pub use stats::{
    cpu_time, niceness, rss_bytes, thread_cpu_time, Latencies, LatencySummary, Millis,
};

/// A tokio runtime for the load generator: a current-thread runtime for `threads <= 1`
/// (the default: it leaves the most CPU to the server under test), else a multi-thread one.
pub fn runtime(threads: usize) -> io::Result<tokio::runtime::Runtime> {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
}

/// Raises this process's soft limit on open files to its hard limit (child processes, such
/// as the servers under test, inherit it). Returns the new `(soft, hard)` limits.
pub fn raise_fd_limit() -> io::Result<(u64, u64)> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(io::Error::from)?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).map_err(io::Error::from)?;
    }
    Ok((hard.max(soft), hard))
}
