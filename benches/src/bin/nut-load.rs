//! `nut-load`: drive one NUT server (any upsd) with one workload and print the figures.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Parser, ValueEnum};
use nut_benches::load::{
    self, Burst, IdleHold, MaxConnCheck, Millis, RequestLoad, RequestReport, Target, Workload,
};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    /// N clients sending GET VAR one at a time.
    GetVar,
    /// N clients sending LIST VAR one at a time.
    ListVar,
    /// K idle connections held while one probe client sends GET VAR.
    IdleHold,
    /// Many clients connecting at once, each asking one GET VAR.
    ConnectBurst,
    /// Fill a server configured with MAXCONN m, let more try, check the first m.
    Maxconn,
}

/// Load generator for NUT servers (upsd): throughput, latency, idle clients, connect bursts
/// and MAXCONN, over plain TCP.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The server.
    #[arg(long, default_value = "127.0.0.1:3493")]
    addr: SocketAddr,
    /// The UPS to query.
    #[arg(long, default_value = "dummy")]
    ups: String,
    /// The variable GET VAR asks for.
    #[arg(long, default_value = "ups.status")]
    var: String,
    /// The workload.
    #[arg(long, value_enum, default_value = "get-var")]
    mode: Mode,
    /// Concurrent clients (get-var, list-var).
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Measured seconds (get-var, list-var; the probe of idle-hold).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured seconds of load first.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Idle connections (idle-hold).
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
    /// Simultaneous connects (connect-burst).
    #[arg(long, default_value_t = 5_000)]
    burst: usize,
    /// The server's MAXCONN (maxconn).
    #[arg(long, default_value_t = 100)]
    maxconn: usize,
    /// Clients that try once the server is full (maxconn).
    #[arg(long, default_value_t = 50)]
    extra: usize,
    /// The server's process id: CPU time per request, and memory per idle client.
    #[arg(long)]
    pid: Option<u32>,
    /// Threads of the load generator (1 = a current-thread runtime).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn print_requests(r: &RequestReport) {
    println!(
        "{:?}: {} clients, {:.0} requests/s ({} in {:.1} s)",
        r.workload,
        r.clients,
        r.rate(),
        r.requests,
        r.window.as_secs_f64()
    );
    println!("latency: {}", r.latency);
    println!(
        "reply: {} variables, {} bytes",
        r.items_per_reply, r.bytes_per_reply
    );
    if let Some(cpu) = r.cpu_per_request() {
        println!("server CPU per request: {:.1} µs", cpu.as_secs_f64() * 1e6);
    }
    if let Some(cpu) = r.client_cpu_per_request() {
        println!(
            "load generator CPU per request: {:.1} µs",
            cpu.as_secs_f64() * 1e6
        );
    }
    if let Some(first) = &r.first_error {
        println!("clients stopped by errors: {:?} (first: {first})", r.errors);
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (soft, _) = load::raise_fd_limit().context("raising the open-file limit")?;
    let target = Target::new(args.addr, &args.ups, &args.var)?;
    let duration = Duration::from_secs_f64(args.duration);
    let warmup = Duration::from_secs_f64(args.warmup);
    let needed = match args.mode {
        Mode::IdleHold => args.idle,
        Mode::ConnectBurst => args.burst,
        _ => args.clients,
    };
    if needed as u64 + 64 > soft {
        bail!("{needed} connections need more than the open-file limit {soft} allows");
    }
    let rt = load::runtime(args.threads)?;
    rt.block_on(async {
        match args.mode {
            Mode::GetVar | Mode::ListVar => {
                let workload = match args.mode {
                    Mode::ListVar => Workload::ListVar,
                    _ => Workload::GetVar,
                };
                let cfg = RequestLoad {
                    workload,
                    clients: args.clients,
                    duration,
                    warmup,
                    server_pid: args.pid,
                };
                print_requests(&load::request_load(&target, &cfg).await?);
            }
            Mode::IdleHold => {
                let cfg = IdleHold {
                    idle: args.idle,
                    probe: duration,
                    server_pid: args.pid,
                    ..IdleHold::default()
                };
                let r = load::idle_hold(&target, &cfg).await?;
                println!(
                    "idle: {} of {} held (failures {:?}), opened in {}",
                    r.held,
                    r.requested,
                    r.open_failures,
                    Millis(r.open_time)
                );
                if let Some(b) = r.bytes_per_client() {
                    println!(
                        "server memory: {} kB before, {} kB held, {b:.0} B per idle client",
                        r.rss_before.unwrap_or(0) / 1024,
                        r.rss_held.unwrap_or(0) / 1024
                    );
                }
                print_requests(&r.probe);
                println!(
                    "sampled idle clients answered afterwards: {} of {}",
                    r.sample_answered, r.sample_size
                );
            }
            Mode::ConnectBurst => {
                let cfg = Burst {
                    clients: args.burst,
                    ..Burst::default()
                };
                let r = load::connect_burst(&target, &cfg).await?;
                println!(
                    "burst: {} of {} answered (failures {:?}), {} stalled >= 1 s",
                    r.answered, r.clients, r.failures, r.stalled
                );
                println!("time from start to answer: {}", r.latency);
            }
            Mode::Maxconn => {
                let cfg = MaxConnCheck {
                    maxconn: args.maxconn,
                    extra: args.extra,
                    ..MaxConnCheck::default()
                };
                let r = load::maxconn_check(&target, &cfg).await?;
                println!("admitted: {} (stop: {:?})", r.admitted, r.admission_stop);
                println!("extra clients: {:?}", r.extra);
                println!(
                    "admitted still served: {} ({})",
                    r.still_served, r.still_served_latency
                );
                println!("new client after release: {:?}", r.fresh_after_release);
            }
        }
        anyhow::Ok(())
    })
}
