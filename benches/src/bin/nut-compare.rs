//! `nut-compare`: every load case against C upsd and against ours, side by side, over one C
//! dummy-ups driver, in one or more rounds, optionally under competing CPU load; prints a
//! markdown table.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Parser;
use nut_benches::calibrate;
use nut_benches::compare::{self, Case, CompareConfig, Outcome};
use nut_benches::contend::{self, SpinnerCount, Spinners};
use nut_benches::figure::Verdict;
use nut_benches::load;
use nut_benches::rounds;
use nut_benches::servers::{Sandbox, SandboxConfig, UpsdSpec, MIN_VARS};

/// Compare our upsd with C NUT's under load: GET VAR and LIST VAR throughput, idle clients,
/// connect bursts and MAXCONN. Run as root (the C programs then run as user nut).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Our upsd (default: `upsd` beside this program, i.e. in the same target directory).
    #[arg(long)]
    ours: Option<PathBuf>,
    /// Arguments for our upsd, replacing the default `-F` (repeat for several).
    #[arg(long = "ours-arg", allow_hyphen_values = true)]
    ours_args: Vec<String>,
    /// Do not pass `-u nut` to our upsd.
    #[arg(long)]
    ours_no_user: bool,
    /// Use `nut-bench-upsd` (nut-server embedded, beside this program) as ours instead of
    /// the upsd binary; `--ours-arg --threads --ours-arg 1` picks its runtime.
    #[arg(long, conflicts_with = "ours")]
    ours_embedded: bool,
    /// Run C upsd only (to try the harness before ours exists).
    #[arg(long)]
    c_only: bool,
    /// Run ours only (for quick experiments; no ratios).
    #[arg(long, conflicts_with = "c_only")]
    ours_only: bool,
    /// C upsd.
    #[arg(long, default_value = "/lib/nut/upsd")]
    c_upsd: PathBuf,
    /// C dummy-ups, the driver both servers read.
    #[arg(long, default_value = "/lib/nut/dummy-ups")]
    c_driver: PathBuf,
    /// Cases to run, comma-separated: get-var, list-var, idle, burst, maxconn.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "get-var,list-var,idle,burst,maxconn"
    )]
    cases: Vec<String>,
    /// Concurrent clients of get-var and list-var.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured seconds of load before each run.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Idle clients held.
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
    /// Simultaneous connects.
    #[arg(long, default_value_t = 5_000)]
    burst: usize,
    /// MAXCONN of the servers in the maxconn case.
    #[arg(long, default_value_t = 100)]
    maxconn: usize,
    /// Clients that try to get in once those are full.
    #[arg(long, default_value_t = 50)]
    maxconn_extra: usize,
    /// Variables the device serves (LIST VAR's length), at least 13.
    #[arg(long, default_value_t = 20)]
    vars: usize,
    /// Threads of the load generator (1 = a current-thread runtime).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Keep the temporary directory (configs and logs).
    #[arg(long)]
    keep: bool,
    /// Also run the GET VAR load against `nut-bench-ceiling` (beside this program) with 1
    /// and 2 threads: the most any server can reach on this machine with this load
    /// generator.
    #[arg(long)]
    ceiling: bool,
    /// Run every case this many times, alternating which server goes first (C in odd
    /// rounds, ours in even ones); the table shows each figure's median and min–max.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
    /// Busy processes competing for the CPU during the whole comparison (and --ceiling),
    /// at this program's niceness: a number, or `cores` for one per CPU.
    #[arg(long, default_value = "0", value_name = "N|cores")]
    contend: SpinnerCount,
    /// Be one of the busy processes of --contend, dying with process PID (internal).
    #[arg(long = SPIN_ARG.trim_start_matches('-'), hide = true, value_name = "PID")]
    spin: Option<u32>,
}

/// The hidden argument that makes this program a busy process of `--contend`.
const SPIN_ARG: &str = "--spin";

fn default_ours(embedded: bool) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.with_file_name(if embedded { "nut-bench-upsd" } else { "upsd" }))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(parent) = args.spin {
        contend::spin(parent);
        return Ok(());
    }
    if args.vars < MIN_VARS {
        bail!("--vars must be at least {MIN_VARS}");
    }
    let cases = args
        .cases
        .iter()
        .map(|name| Case::parse(name).with_context(|| format!("unknown case {name:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let cfg = CompareConfig {
        cases,
        clients: args.clients,
        duration: Duration::from_secs_f64(args.duration),
        warmup: Duration::from_secs_f64(args.warmup),
        idle: args.idle,
        burst: args.burst,
        maxconn: args.maxconn,
        maxconn_extra: args.maxconn_extra,
        ..CompareConfig::default()
    };
    let (soft, hard) = load::raise_fd_limit().context("raising the open-file limit")?;
    if (cfg.roomy_maxconn() as u64) > soft {
        eprintln!(
            "warning: open-file limit {soft} (hard {hard}) is below the {} connections asked for",
            cfg.roomy_maxconn()
        );
    }

    let c_spec = UpsdSpec::c(&args.c_upsd);
    let ours_spec = if args.c_only {
        None
    } else {
        let mut spec = UpsdSpec::ours(match &args.ours {
            Some(path) => path.clone(),
            None => default_ours(args.ours_embedded)?,
        });
        if args.ours_embedded {
            spec.args.clear();
        }
        if !spec.program.exists() {
            bail!(
                "our upsd not found at {} (build it: cargo build --release -p nut-examples \
                 --bin upsd, or pass --ours PATH, or --c-only)",
                spec.program.display()
            );
        }
        if !args.ours_args.is_empty() {
            spec.args.clone_from(&args.ours_args);
        }
        spec.drops_privileges = !args.ours_no_user && !args.ours_embedded;
        Some(spec)
    };

    let sandbox = Sandbox::new(&SandboxConfig {
        vars: args.vars,
        driver: args.c_driver.clone(),
        keep: args.keep,
        ..SandboxConfig::default()
    })
    .context("starting the C dummy-ups driver")?;
    eprintln!("sandbox: {}", sandbox.path().display());
    let rt = load::runtime(args.threads)?;
    // From the main thread: the spinners die when the thread that started them ends.
    let spinners = Spinners::start(&std::env::current_exe()?, SPIN_ARG, args.contend.resolve())
        .context("starting the busy processes of --contend")?;
    if !spinners.is_empty() {
        eprintln!("busy processes (--contend): {:?}", spinners.pids());
    }

    let mut figures = vec![Vec::new(); cfg.cases.len()];
    for round in 1..=args.rounds {
        let label = |case: Case| {
            if args.rounds == 1 {
                case.name().to_owned()
            } else {
                format!("{}, round {round}/{}", case.name(), args.rounds)
            }
        };
        for (i, &case) in cfg.cases.iter().enumerate() {
            let run_c = || {
                if args.ours_only {
                    Outcome::Failed("not run (--ours-only)".to_owned())
                } else {
                    eprintln!("{}: C upsd …", label(case));
                    compare::run_case(&rt, &sandbox, &c_spec, case, &cfg)
                }
            };
            let run_ours = || match &ours_spec {
                Some(spec) => {
                    eprintln!("{}: ours …", label(case));
                    compare::run_case(&rt, &sandbox, spec, case, &cfg)
                }
                None => Outcome::Failed("not run (--c-only)".to_owned()),
            };
            let (c, ours) = if round % 2 == 1 {
                let c = run_c();
                (c, run_ours())
            } else {
                let ours = run_ours();
                (run_c(), ours)
            };
            figures[i].push(compare::figures(case, &c, &ours));
        }
    }
    let rows: Vec<_> = cfg
        .cases
        .iter()
        .zip(&figures)
        .flat_map(|(&case, rounds)| rounds::rows(&compare::case_title(case, &cfg), rounds))
        .collect();

    let calibration = if args.ceiling && cfg.cases.contains(&Case::GetVar) {
        // The last server run left C's driver spinning (see `Sandbox::restart_driver`).
        sandbox
            .restart_driver()
            .context("restarting the C dummy-ups driver")?;
        let program = std::env::current_exe()?.with_file_name("nut-bench-ceiling");
        let load = load::RequestLoad {
            workload: load::Workload::GetVar,
            clients: cfg.clients,
            duration: cfg.duration,
            warmup: cfg.warmup,
            server_pid: None,
        };
        calibrate::table(&rt, &program, &[1, 2], sandbox.ups(), &cfg.var, &load)
            .with_context(|| format!("running {}", program.display()))?
    } else {
        String::new()
    };

    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut header = format!(
        "nut-compare: {} clients, {:.1} s per run after {:.1} s warm-up, {} variables, \
         {cpus} CPUs, load average {}, open-file limit {soft}",
        cfg.clients,
        cfg.duration.as_secs_f64(),
        cfg.warmup.as_secs_f64(),
        args.vars,
        loadavg
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    if args.threads > 1 {
        header.push_str(&format!(", {} load generator threads", args.threads));
    }
    if args.rounds > 1 {
        header.push_str(&format!(
            ", {} rounds (C first in odd rounds, ours in even ones; each figure: median \
             (min–max), ours vs C: ratio of the medians)",
            args.rounds
        ));
    }
    if !spinners.is_empty() {
        let report = spinners
            .report()
            .context("reading the busy processes' CPU time")?;
        header.push_str(&format!(", competing load: {report}"));
    }
    println!("{header}\n");
    print!("{}", compare::markdown(&rows));
    if args.rounds > 1 {
        println!();
        for (&case, rounds) in cfg.cases.iter().zip(&figures) {
            if matches!(case, Case::GetVar | Case::ListVar) {
                println!(
                    "{} {} ratios (ours / C) by round: {}",
                    compare::case_title(case, &cfg),
                    compare::THROUGHPUT,
                    rounds::format_ratios(&rounds::ratios_by_round(rounds, compare::THROUGHPUT))
                );
            }
        }
    }
    let missed = rows.iter().filter(|r| r.verdict == Verdict::Missed).count();
    println!("\n{missed} target(s) missed");
    print!("{calibration}");
    Ok(())
}
