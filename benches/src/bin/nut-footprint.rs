//! `nut-footprint`: what idle daemons and the installed programs cost, C NUT's beside ours:
//! idle resident memory and wake-ups of upsd, dummy-ups and upsmon (alternate runs, median and
//! spread), and each program's size on disk; prints a markdown table.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use nut_benches::footprint::{self, Daemon, IdleConfig};

/// Compare the idle footprint of C NUT's daemons and ours, and the programs' sizes. Run as
/// root (the C programs then run as user nut). Build ours in release mode first: the sizes
/// are those of the programs beside this one (or in --ours-dir).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Where our programs are (default: beside this program).
    #[arg(long)]
    ours_dir: Option<PathBuf>,
    /// C NUT's upsd.
    #[arg(long, default_value = "/lib/nut/upsd")]
    c_upsd: PathBuf,
    /// C NUT's dummy-ups (also the driver under both upsds).
    #[arg(long, default_value = "/lib/nut/dummy-ups")]
    c_driver: PathBuf,
    /// C NUT's upsmon (it monitors C's upsd, as ours does).
    #[arg(long, default_value = "/lib/nut/upsmon")]
    c_upsmon: PathBuf,
    /// Runs of each daemon, alternately C and ours.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seconds each daemon is left alone before counting: past start-up, which for ours
    /// ends with giving back its start-up pages 5 s after it starts serving
    /// (`nut_driver_api::process::memory::SETTLE`).
    #[arg(long, default_value_t = 8.0)]
    settle: f64,
    /// Seconds its wake-ups are counted.
    #[arg(long, default_value_t = 10.0)]
    window: f64,
    /// The daemons measured, comma-separated: upsd, dummy-ups, upsmon.
    #[arg(long, default_value = "upsd,dummy-ups,upsmon", value_delimiter = ',', value_parser = daemon)]
    daemons: Vec<Daemon>,
    /// Only the sizes (no daemon is started).
    #[arg(long)]
    sizes_only: bool,
}

/// A daemon by its name in the report.
fn daemon(name: &str) -> Result<Daemon, String> {
    [Daemon::Upsd, Daemon::DummyUps, Daemon::Upsmon]
        .into_iter()
        .find(|d| d.name() == name)
        .ok_or_else(|| format!("{name:?}: not one of upsd, dummy-ups, upsmon"))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let ours_dir = match args.ours_dir {
        Some(dir) => dir,
        None => std::env::current_exe()?
            .parent()
            .context("no folder around this program")?
            .to_path_buf(),
    };
    let mut table = footprint::TABLE_HEAD.to_owned();
    if !args.sizes_only {
        let cfg = IdleConfig {
            c_upsd: args.c_upsd,
            c_driver: args.c_driver,
            ours_upsd: ours_dir.join("upsd"),
            ours_driver: ours_dir.join("dummy-ups"),
            c_upsmon: args.c_upsmon,
            ours_upsmon: ours_dir.join("upsmon"),
            runs: args.runs,
            settle: Duration::from_secs_f64(args.settle),
            window: Duration::from_secs_f64(args.window),
        };
        let mut comparisons = Vec::new();
        for daemon in args.daemons {
            eprintln!("{}: {} runs each", daemon.name(), cfg.runs);
            comparisons.push(
                footprint::compare_idle(daemon, &cfg)
                    .with_context(|| format!("measuring {}", daemon.name()))?,
            );
        }
        table += &footprint::idle_rows(&comparisons);
    }
    table += &footprint::size_rows(&ours_dir);
    print!("{table}");
    Ok(())
}
