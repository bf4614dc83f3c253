//! `nut-snmp-scale`: many SNMP devices polled from one host. C NUT's `snmp-ups` (one process
//! per device) against ours (one process per device, and all devices in one process), over
//! in-process agents serving recordings; prints a markdown table of CPU, memory and
//! requests per poll.
//!
//! `nut-snmp-scale fleet …` is the one-process mode itself, which the comparison starts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use nut_benches::snmp_scale::agents::AgentFarm;
use nut_benches::snmp_scale::fleet::{run_fleet, FleetConfig, FleetDevice, SnmpSettings};
use nut_benches::snmp_scale::{self, Mode, ScaleConfig};

/// The global allocator: the system's, counting live allocations by size class when
/// [`COUNTING`] is on (the fleet's `--count-allocs`).
struct Counting;

/// Whether [`Counting`] counts. Set once, before anything is allocated that is later freed.
static COUNTING: AtomicBool = AtomicBool::new(false);
/// Size classes: class `i` holds sizes in `(2^(i-1), 2^i]` (class 0: sizes 0 and 1); the
/// last one everything larger.
const CLASSES: usize = 28;
static LIVE_COUNT: [AtomicI64; CLASSES] = [const { AtomicI64::new(0) }; CLASSES];
static LIVE_BYTES: [AtomicI64; CLASSES] = [const { AtomicI64::new(0) }; CLASSES];
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

fn class(size: usize) -> usize {
    (usize::BITS - size.saturating_sub(1).leading_zeros()).min(CLASSES as u32 - 1) as usize
}

fn note_alloc(size: usize) {
    if !COUNTING.load(Ordering::Relaxed) {
        return;
    }
    let bytes = size as i64;
    let c = class(size);
    LIVE_COUNT[c].fetch_add(1, Ordering::Relaxed);
    LIVE_BYTES[c].fetch_add(bytes, Ordering::Relaxed);
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    ALLOCATED.fetch_add(size as u64, Ordering::Relaxed);
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn note_free(size: usize) {
    if !COUNTING.load(Ordering::Relaxed) {
        return;
    }
    let bytes = size as i64;
    let c = class(size);
    LIVE_COUNT[c].fetch_sub(1, Ordering::Relaxed);
    LIVE_BYTES[c].fetch_sub(bytes, Ordering::Relaxed);
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged; the counting only reads sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is System's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note_alloc(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note_free(layout.size());
            note_alloc(new_size);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The fleet's `stats` line: `live=… peak=… allocs=… allocated=… classes=SIZE:COUNT:BYTES,…`
/// (classes with live allocations, SIZE their upper bound).
fn alloc_stats() -> String {
    if !COUNTING.load(Ordering::Relaxed) {
        return "counting=off".to_owned();
    }
    let classes: Vec<String> = (0..CLASSES)
        .filter_map(|c| {
            let count = LIVE_COUNT[c].load(Ordering::Relaxed);
            let bytes = LIVE_BYTES[c].load(Ordering::Relaxed);
            (count != 0).then(|| format!("{}:{count}:{bytes}", 1u64 << c))
        })
        .collect();
    format!(
        "live={} peak={} allocs={} allocated={} classes={}",
        LIVE.load(Ordering::Relaxed),
        PEAK.load(Ordering::Relaxed),
        ALLOCATIONS.load(Ordering::Relaxed),
        ALLOCATED.load(Ordering::Relaxed),
        classes.join(",")
    )
}

/// Compare C NUT's snmp-ups with ours over many devices polled from one host: CPU, memory
/// and SNMP requests per poll, one process per device against all in one process.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Devices (agents, and drivers per mode).
    #[arg(long, default_value_t = 200)]
    devices: usize,
    /// Seconds between two polls of a device (`-x pollfreq=`).
    #[arg(long, default_value_t = 30)]
    pollfreq: u32,
    /// Measured seconds per run (default: 4 × pollfreq).
    #[arg(long)]
    window: Option<f64>,
    /// Seconds of polling after all drivers are ready, before the window (default:
    /// pollfreq + 2).
    #[arg(long)]
    warmup: Option<f64>,
    /// Rounds; each runs every mode once, in order (C, ours, C, ours, …).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Modes, comma-separated: c, ours, ours-1proc, ours-1proc-upsd.
    #[arg(long, value_delimiter = ',', default_value = "c,ours,ours-1proc")]
    modes: Vec<String>,
    /// Folder of the `.snmprec` recordings.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/snmprec"))]
    recordings_dir: PathBuf,
    /// Recordings the agents serve in turn (names without `.snmprec`), comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "apc_smt750x-nmc2,eaton-mgeups_9px,cyberpower,apc_ap7900b"
    )]
    recordings: Vec<String>,
    /// The community the drivers send (the agents answer any).
    #[arg(long, default_value = "bench")]
    community: String,
    /// The SNMP version of the drivers.
    #[arg(long, default_value = "v2c")]
    snmp_version: String,
    /// C NUT's driver.
    #[arg(long, default_value = "/lib/nut/snmp-ups")]
    c_driver: PathBuf,
    /// Our driver program (default: `snmp-ups` beside this program).
    #[arg(long)]
    ours: Option<PathBuf>,
    /// Runtime threads of the one-process mode (1 = current-thread, as each driver process).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Count the one-process mode's allocations (a counting global allocator) and print them.
    #[arg(long)]
    count_allocs: bool,
    /// Seconds the drivers of a run may take to start.
    #[arg(long, default_value_t = 300.0)]
    ready_timeout: f64,
    /// Keep each run's folder of sockets and logs.
    #[arg(long)]
    keep: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the one-process mode: every device's driver in this process, until standard input
    /// ends; `stats` on standard input prints the allocation counters.
    #[command(hide = true)]
    Fleet(FleetArgs),
}

#[derive(Debug, clap::Args)]
struct FleetArgs {
    /// The devices, one `NAME HOST:PORT` a line.
    #[arg(long)]
    devices: PathBuf,
    /// Where the driver sockets go.
    #[arg(long)]
    state_dir: PathBuf,
    #[arg(long)]
    community: String,
    #[arg(long)]
    snmp_version: String,
    #[arg(long)]
    pollfreq: u32,
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Serve the drivers through one embedded nut-server instead of their sockets.
    #[arg(long)]
    server: bool,
    /// Count allocations.
    #[arg(long)]
    count_allocs: bool,
}

fn fleet(args: FleetArgs) -> anyhow::Result<()> {
    if args.count_allocs {
        COUNTING.store(true, Ordering::Relaxed);
    }
    let text = std::fs::read_to_string(&args.devices)
        .with_context(|| format!("reading {}", args.devices.display()))?;
    let cfg = FleetConfig {
        devices: FleetDevice::parse_list(&text)?,
        snmp: SnmpSettings {
            community: args.community,
            version: args.snmp_version,
            pollfreq: args.pollfreq,
        },
        state_dir: args.state_dir,
        threads: args.threads,
        server: args.server,
    };
    run_fleet(&cfg, alloc_stats)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Command::Fleet(fleet_args)) = args.command {
        return fleet(fleet_args);
    }
    let modes = args
        .modes
        .iter()
        .map(|m| Mode::parse(m).with_context(|| format!("unknown mode {m:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let exe = std::env::current_exe()?;
    let ours = args
        .ours
        .clone()
        .unwrap_or_else(|| exe.with_file_name("snmp-ups"));
    if modes.contains(&Mode::Ours) && !ours.exists() {
        anyhow::bail!(
            "our snmp-ups not found at {} (build it: cargo build --release -p nut-examples \
             --bin snmp-ups, or pass --ours PATH)",
            ours.display()
        );
    }
    let pollfreq = f64::from(args.pollfreq);
    let mut fleet_args = vec![
        "fleet".to_owned(),
        "--threads".to_owned(),
        args.threads.to_string(),
    ];
    if args.count_allocs {
        fleet_args.push("--count-allocs".to_owned());
    }
    let cfg = ScaleConfig {
        snmp: SnmpSettings {
            community: args.community.clone(),
            version: args.snmp_version.clone(),
            pollfreq: args.pollfreq,
        },
        warmup: Duration::from_secs_f64(args.warmup.unwrap_or(pollfreq + 2.0)),
        window: Duration::from_secs_f64(args.window.unwrap_or(4.0 * pollfreq)),
        ready_timeout: Duration::from_secs_f64(args.ready_timeout),
        c_driver: args.c_driver.clone(),
        ours_driver: ours,
        fleet_program: exe,
        fleet_args,
        keep: args.keep,
    };
    let (soft, _) = nut_benches::load::raise_fd_limit().context("raising the open-file limit")?;
    let farm = AgentFarm::start(args.devices, &args.recordings_dir, &args.recordings)?;
    eprintln!(
        "{} agents on 127.0.0.1 serving {}; load average {}",
        args.devices,
        args.recordings.join(", "),
        snmp_scale::procs::load_average()
    );
    let mut runs = Vec::new();
    for round in 1..=args.rounds {
        for &mode in &modes {
            eprintln!("round {round}: {} …", mode.name());
            let figures = snmp_scale::run_once(&farm, mode, &cfg)?;
            eprintln!(
                "  ready after {:.1} s; {:.3} ms CPU per poll per device, PSS {:.1} MiB, {:.1} \
                 requests per poll; load {}",
                figures.ready_after.as_secs_f64(),
                figures.cpu_ms_per_poll(),
                figures.memory.pss as f64 / (1024.0 * 1024.0),
                figures.requests_per_poll(),
                figures.load.1
            );
            if let (true, Some((before, after))) = (args.count_allocs, &figures.fleet_stats) {
                eprintln!("  allocations at the start: {before}\n  at the end: {after}");
            }
            runs.push(figures);
        }
    }

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "nut-snmp-scale: {} devices ({}), SNMP {}, pollfreq {} s, warm-up {:.0} s, window \
         {:.0} s, {} round(s), {cpus} CPUs, open-file limit {soft}, one-process runtime \
         threads {}\n",
        args.devices,
        args.recordings.join(", "),
        args.snmp_version,
        args.pollfreq,
        cfg.warmup.as_secs_f64(),
        cfg.window.as_secs_f64(),
        args.rounds,
        args.threads
    );
    print!("{}", snmp_scale::markdown(&modes, args.devices, &runs));
    if let Some(verdict) = snmp_scale::memory_verdict(&runs) {
        println!("\n{verdict}");
    }
    println!("\nRuns:\n\n{}", snmp_scale::run_log(&runs));
    for r in runs.iter().filter(|_| args.count_allocs) {
        if let Some((before, after)) = &r.fleet_stats {
            println!("{} allocations: start {before}; end {after}", r.mode.name());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes() {
        assert_eq!(class(0), 0);
        assert_eq!(class(1), 0);
        assert_eq!(class(2), 1);
        assert_eq!(class(3), 2);
        assert_eq!(class(4), 2);
        assert_eq!(class(65_536), 16);
        assert_eq!(class(65_537), 17);
        assert_eq!(class(usize::MAX), CLASSES - 1);
    }
}
