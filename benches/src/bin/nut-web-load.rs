//! `nut-web-load`: does our upsd's HTTP service under load slow the network protocol? The
//! GET VAR load alone and with 50 pollers of `/api/v1/devices` and 500 event-stream
//! subscribers, alternately; prints a markdown table.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Parser;
use nut_benches::calibrate;
use nut_benches::load::{self, RequestLoad, Target, Workload};
use nut_benches::servers::{Sandbox, SandboxConfig, UpsdSpec};
use nut_benches::web_load::http::HttpLoad;
use nut_benches::web_load::{self, WebLoadConfig};

/// Measure the network protocol's GET VAR load with and without a web load on our upsd's
/// HTTP service (`HTTP_LISTEN`), over a C dummy-ups whose values change every second. Run
/// as root (the C driver then runs as user nut).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Our upsd, built with the `http` feature (default: `upsd` beside this program).
    #[arg(long)]
    ours: Option<PathBuf>,
    /// Arguments for our upsd, replacing the default `-F` (repeat for several).
    #[arg(long = "ours-arg", allow_hyphen_values = true)]
    ours_args: Vec<String>,
    /// C dummy-ups, the driver.
    #[arg(long, default_value = "/lib/nut/dummy-ups")]
    c_driver: PathBuf,
    /// GET VAR clients.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// HTTP clients polling `/api/v1/devices` back to back in condition (b).
    #[arg(long, default_value_t = 50)]
    pollers: usize,
    /// Event-stream subscribers of `/api/v1/events` in condition (b).
    #[arg(long, default_value_t = 500)]
    subscribers: usize,
    /// Runs of each condition, alternately (a), (b), (a), …
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Measured seconds of GET VAR per run.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured seconds of load before each window.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Threads of the GET VAR load generator (1 = a current-thread runtime); the web load
    /// has a thread of its own.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also run the GET VAR load against `nut-bench-ceiling` (beside this program) with
    /// 1 and 2 threads: the most the load generator reaches on this machine.
    #[arg(long)]
    ceiling: bool,
    /// Keep the temporary directory (configs and logs).
    #[arg(long)]
    keep: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let program = match &args.ours {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("upsd"),
    };
    if !program.exists() {
        bail!(
            "our upsd not found at {} (build it: cargo build --release -p nut-examples --bin \
             upsd, or pass --ours PATH)",
            program.display()
        );
    }
    let mut spec = UpsdSpec::ours(program);
    spec.http = true;
    if !args.ours_args.is_empty() {
        spec.args.clone_from(&args.ours_args);
    }
    let (soft, _) = load::raise_fd_limit().context("raising the open-file limit")?;
    let connections = args.clients + args.pollers + args.subscribers;
    let get_var = RequestLoad {
        workload: Workload::GetVar,
        clients: args.clients,
        duration: Duration::from_secs_f64(args.duration),
        warmup: Duration::from_secs_f64(args.warmup),
        server_pid: None,
    };
    let cfg = WebLoadConfig {
        get_var: get_var.clone(),
        http: HttpLoad {
            pollers: args.pollers,
            subscribers: args.subscribers,
        },
        runs: args.runs,
    };

    let sandbox = Sandbox::new(&SandboxConfig {
        driver: args.c_driver.clone(),
        keep: args.keep,
        changing: true,
        ..SandboxConfig::default()
    })
    .context("starting the C dummy-ups driver")?;
    eprintln!("sandbox: {}", sandbox.path().display());
    let server = sandbox
        .start_upsd(&spec, connections + 1_000)
        .context("starting our upsd")?;
    let target = Target::new(server.addr, sandbox.ups(), "ups.status")?;
    let rt = load::runtime(args.threads)?;
    let start_load = web_load::loadavg();
    let mut n = 0;
    let runs = web_load::run_all(&rt, &server, &target, &cfg, |run| {
        n += 1;
        eprintln!("{}", web_load::run_line(n, run));
    })?;
    let mut server = server;
    if !server.is_running() {
        bail!("our upsd died: {}", server.log_tail());
    }
    let calibration = if args.ceiling {
        let ceiling = std::env::current_exe()?.with_file_name("nut-bench-ceiling");
        calibrate::table(
            &rt,
            &ceiling,
            &[1, 2],
            sandbox.ups(),
            "ups.status",
            &get_var,
        )
        .with_context(|| format!("running {}", ceiling.display()))?
    } else {
        String::new()
    };

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "nut-web-load: GET VAR × {} clients, {:.1} s per run after {:.1} s warm-up, {} runs \
         of each condition; web load {} pollers of /api/v1/devices + {} subscribers of \
         /api/v1/events; {cpus} CPUs, load average {start_load} at the start, {} at the end, \
         open-file limit {soft}\n",
        args.clients,
        args.duration,
        args.warmup,
        args.runs,
        args.pollers,
        args.subscribers,
        web_load::loadavg(),
    );
    print!("{}", web_load::markdown(&runs));
    print!("{calibration}");
    Ok(())
}
