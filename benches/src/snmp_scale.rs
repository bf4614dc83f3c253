//! Many SNMP devices polled from one host: C NUT's `snmp-ups` (one process per device)
//! against ours, as one process per device and as one process for all of them.
//!
//! The harness starts N [agents] in its own process, then, for each mode in turn,
//! starts the drivers of all N devices, waits until every one serves its data, lets them poll
//! for a warm-up, and measures a window: the CPU time the drivers use (`/proc/<pid>/stat`,
//! before and after), their memory at the end (sum of RSS, PSS and private memory over the
//! processes) and the requests and polls the agents received. Then the drivers are stopped.
//! The agents' own work runs in the harness, so it is counted against no driver.

pub mod agents;
pub mod drivers;
pub mod fleet;
pub mod procs;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use self::agents::{AgentCounts, AgentFarm};
use self::drivers::{Drivers, Launch};
use self::fleet::{FleetDevice, SnmpSettings};
use self::procs::{load_average, total_cpu, total_memory, total_thread_cpu, Memory};

/// How the devices are driven in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// C NUT's `snmp-ups`, one process per device.
    C,
    /// Our `snmp-ups`, one process per device.
    Ours,
    /// Ours, every driver in one process (each with its Unix socket).
    Fleet,
    /// Ours, every driver and one embedded nut-server in one process (no sockets).
    FleetServer,
}

impl Mode {
    /// Every mode, in the order a round runs them.
    pub const ALL: [Self; 4] = [Self::C, Self::Ours, Self::Fleet, Self::FleetServer];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::C => "c",
            Self::Ours => "ours",
            Self::Fleet => "ours-1proc",
            Self::FleetServer => "ours-1proc-upsd",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The column heading, for `n` devices.
    pub fn heading(self, n: usize) -> String {
        match self {
            Self::C => format!("C 2.8.0, {n} processes"),
            Self::Ours => format!("ours, {n} processes"),
            Self::Fleet => "ours, 1 process".to_owned(),
            Self::FleetServer => "ours, 1 process with upsd".to_owned(),
        }
    }
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct ScaleConfig {
    /// What every driver gets.
    pub snmp: SnmpSettings,
    /// Polling before the window.
    pub warmup: Duration,
    /// The measured window.
    pub window: Duration,
    /// How long the drivers may take to start.
    pub ready_timeout: Duration,
    /// C's driver.
    pub c_driver: PathBuf,
    /// Our driver program.
    pub ours_driver: PathBuf,
    /// The program that runs the fleet (`nut-snmp-scale`).
    pub fleet_program: PathBuf,
    /// Arguments that make it one (`fleet`, `--threads N`, …).
    pub fleet_args: Vec<String>,
    /// Keep the drivers' directories (logs).
    pub keep: bool,
}

impl ScaleConfig {
    fn launch(&self, mode: Mode) -> Launch {
        match mode {
            Mode::C => Launch::Processes {
                program: self.c_driver.clone(),
            },
            Mode::Ours => Launch::Processes {
                program: self.ours_driver.clone(),
            },
            Mode::Fleet | Mode::FleetServer => Launch::Fleet {
                program: self.fleet_program.clone(),
                args: self.fleet_args.clone(),
                server: mode == Mode::FleetServer,
            },
        }
    }
}

/// The devices of `farm`'s agents: `dev0`, `dev1`, …
pub fn devices(farm: &AgentFarm) -> Vec<FleetDevice> {
    farm.agents()
        .iter()
        .enumerate()
        .map(|(i, a)| FleetDevice {
            name: format!("dev{i}"),
            port: a.addr.to_string(),
        })
        .collect()
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct RunFigures {
    /// The mode.
    pub mode: Mode,
    /// Devices driven.
    pub devices: usize,
    /// Processes measured.
    pub processes: usize,
    /// From the start of the drivers until all served their data.
    pub ready_after: Duration,
    /// The window as measured.
    pub window: Duration,
    /// CPU time of the drivers' threads in the window (`schedstat`, exact).
    pub cpu: Duration,
    /// CPU time of the drivers in the window from `/proc/<pid>/stat` (all threads, ended ones
    /// included, in clock ticks).
    pub cpu_ticks: Duration,
    /// Their memory at the end of the window.
    pub memory: Memory,
    /// Requests and polls the agents received in the window, summed.
    pub counts: AgentCounts,
    /// The load average at the start and at the end of the window.
    pub load: (String, String),
    /// The fleet's allocation counters at the start and at the end of the window.
    pub fleet_stats: Option<(String, String)>,
}

impl RunFigures {
    /// CPU time per poll of one device, in milliseconds.
    pub fn cpu_ms_per_poll(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e3 / self.counts.polls.max(1) as f64
    }

    /// CPU used, in % of one core.
    pub fn cpu_percent(&self) -> f64 {
        100.0 * self.cpu.as_secs_f64() / self.window.as_secs_f64()
    }

    /// Requests per poll of one device.
    pub fn requests_per_poll(&self) -> f64 {
        self.counts.requests as f64 / self.counts.polls.max(1) as f64
    }

    /// Polls per device in the window.
    pub fn polls_per_device(&self) -> f64 {
        self.counts.polls as f64 / self.devices.max(1) as f64
    }
}

/// Sums what `farm` counted between `before` and now.
fn counted_since(farm: &AgentFarm, before: &[AgentCounts]) -> AgentCounts {
    farm.counts()
        .into_iter()
        .zip(before)
        .map(|(now, &then)| now.since(then))
        .fold(AgentCounts::default(), |a, b| a + b)
}

/// Runs `mode` once over every agent of `farm`.
pub fn run_once(farm: &AgentFarm, mode: Mode, cfg: &ScaleConfig) -> anyhow::Result<RunFigures> {
    let devices = devices(farm);
    let start = Instant::now();
    let mut drivers = Drivers::start(&cfg.launch(mode), &devices, &cfg.snmp)?;
    if cfg.keep {
        drivers.keep();
        eprintln!("  logs in {}", drivers.path().display());
    }
    drivers
        .wait_ready(cfg.ready_timeout)
        .with_context(|| format!("{}: starting", mode.name()))?;
    let ready_after = start.elapsed();
    thread::sleep(cfg.warmup);
    let pids = drivers.pids();
    let stats_before = drivers.fleet_stats();
    let load_before = load_average();
    let counts_before = farm.counts();
    let ticks_before = total_cpu(&pids).context("CPU time at the start")?;
    let cpu_before = total_thread_cpu(&pids).context("CPU time at the start")?;
    let window_start = Instant::now();
    thread::sleep(cfg.window);
    let cpu_after = total_thread_cpu(&pids).context("CPU time at the end")?;
    let ticks_after = total_cpu(&pids).context("CPU time at the end")?;
    let window = window_start.elapsed();
    let counts = counted_since(farm, &counts_before);
    let memory = total_memory(&pids).context("memory at the end")?;
    let load_after = load_average();
    let stats_after = drivers.fleet_stats();
    let gone = drivers.exited();
    anyhow::ensure!(
        gone.is_empty(),
        "{}: driver process(es) exited during the run: {}",
        mode.name(),
        gone.join(", ")
    );
    Ok(RunFigures {
        mode,
        devices: devices.len(),
        processes: pids.len(),
        ready_after,
        window,
        cpu: cpu_after.saturating_sub(cpu_before),
        cpu_ticks: ticks_after.saturating_sub(ticks_before),
        memory,
        counts,
        load: (load_before, load_after),
        fleet_stats: stats_before.zip(stats_after),
    })
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

/// A figure of the table: its name, its precision and how to read it off a run.
struct Figure {
    name: &'static str,
    decimals: usize,
    get: fn(&RunFigures) -> f64,
}

const MIB: f64 = 1024.0 * 1024.0;

const FIGURES: &[Figure] = &[
    Figure {
        name: "CPU per poll per device (ms)",
        decimals: 3,
        get: RunFigures::cpu_ms_per_poll,
    },
    Figure {
        name: "CPU (% of one core)",
        decimals: 2,
        get: RunFigures::cpu_percent,
    },
    Figure {
        name: "PSS, total (MiB)",
        decimals: 1,
        get: |r| r.memory.pss as f64 / MIB,
    },
    Figure {
        name: "PSS per device (KiB)",
        decimals: 0,
        get: |r| r.memory.pss as f64 / 1024.0 / r.devices.max(1) as f64,
    },
    Figure {
        name: "RSS, total (MiB)",
        decimals: 1,
        get: |r| r.memory.rss as f64 / MIB,
    },
    Figure {
        name: "RSS per device (KiB)",
        decimals: 0,
        get: |r| r.memory.rss as f64 / 1024.0 / r.devices.max(1) as f64,
    },
    Figure {
        name: "private memory, total (MiB)",
        decimals: 1,
        get: |r| r.memory.private as f64 / MIB,
    },
    Figure {
        name: "requests per poll per device",
        decimals: 1,
        get: RunFigures::requests_per_poll,
    },
    Figure {
        name: "polls per device in the window",
        decimals: 2,
        get: RunFigures::polls_per_device,
    },
    Figure {
        name: "all drivers ready after (s)",
        decimals: 1,
        get: |r| r.ready_after.as_secs_f64(),
    },
];

/// The summary table: for each figure, each mode's median over its runs with the range, and
/// the ratio of each of ours to C's medians.
pub fn markdown(modes: &[Mode], devices: usize, runs: &[RunFigures]) -> String {
    let has_c = modes.contains(&Mode::C);
    let ours: Vec<Mode> = modes.iter().copied().filter(|&m| m != Mode::C).collect();
    let mut out = String::from("| figure |");
    for m in modes {
        write!(out, " {} |", m.heading(devices)).expect("write to String");
    }
    if has_c {
        for m in &ours {
            write!(out, " {} / C |", m.name()).expect("write to String");
        }
    }
    out.push_str("\n| --- |");
    let columns = modes.len() + if has_c { ours.len() } else { 0 };
    out.push_str(&" ---: |".repeat(columns));
    out.push('\n');
    for figure in FIGURES {
        let values = |mode: Mode| -> Vec<f64> {
            runs.iter()
                .filter(|r| r.mode == mode)
                .map(figure.get)
                .collect()
        };
        let d = figure.decimals;
        write!(out, "| {} |", figure.name).expect("write to String");
        for &m in modes {
            let v = values(m);
            let (lo, hi) = v
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                });
            if v.is_empty() {
                out.push_str(" – |");
            } else if v.len() == 1 {
                write!(out, " {:.d$} |", median(&v)).expect("write to String");
            } else {
                write!(out, " {:.d$} ({lo:.d$}–{hi:.d$}) |", median(&v)).expect("write to String");
            }
        }
        if has_c {
            let c = median(&values(Mode::C));
            for &m in &ours {
                let ratio = median(&values(m)) / c;
                if ratio.is_finite() {
                    write!(out, " {ratio:.3} |").expect("write to String");
                } else {
                    out.push_str(" – |");
                }
            }
        }
        out.push('\n');
    }
    out
}

/// One line per run: the raw figures and the load average.
pub fn run_log(runs: &[RunFigures]) -> String {
    let mut out = String::from(
        "| run | mode | processes | window (s) | CPU (s) | CPU, stat (s) | polls | requests | PSS \
         (MiB) | RSS (MiB) | load at start | load at end |\n| ---: | --- | ---: | ---: | ---: | \
         ---: | ---: | ---: | ---: | ---: | --- | --- |\n",
    );
    for (i, r) in runs.iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.3} | {:.2} | {} | {} | {:.1} | {:.1} | {} | {} |",
            i + 1,
            r.mode.name(),
            r.processes,
            r.window.as_secs_f64(),
            r.cpu.as_secs_f64(),
            r.cpu_ticks.as_secs_f64(),
            r.counts.polls,
            r.counts.requests,
            r.memory.pss as f64 / MIB,
            r.memory.rss as f64 / MIB,
            r.load.0,
            r.load.1
        )
        .expect("write to String");
    }
    out
}

/// The verdict on the target, ours in one process under a quarter of C's memory
/// (PSS), or `None` without both figures.
pub fn memory_verdict(runs: &[RunFigures]) -> Option<String> {
    let pss = |mode: Mode| {
        median(
            &runs
                .iter()
                .filter(|r| r.mode == mode)
                .map(|r| r.memory.pss as f64)
                .collect::<Vec<_>>(),
        )
    };
    let rss = |mode: Mode| {
        median(
            &runs
                .iter()
                .filter(|r| r.mode == mode)
                .map(|r| r.memory.rss as f64)
                .collect::<Vec<_>>(),
        )
    };
    let (c, fleet) = (pss(Mode::C), pss(Mode::Fleet));
    if c.is_nan() || fleet.is_nan() {
        return None;
    }
    let ratio = fleet / c;
    Some(format!(
        "Target (ours in one process < 1/4 of C's memory): PSS {:.1} MiB against {:.1} MiB, \
         ratio {ratio:.3} — {}; by RSS the ratio is {:.3}.",
        fleet / MIB,
        c / MIB,
        if ratio < 0.25 { "met" } else { "missed" },
        rss(Mode::Fleet) / rss(Mode::C),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mode: Mode, cpu_ms: u64, pss_mib: u64) -> RunFigures {
        RunFigures {
            mode,
            devices: 10,
            processes: 10,
            ready_after: Duration::from_secs(2),
            window: Duration::from_secs(10),
            cpu: Duration::from_millis(cpu_ms),
            cpu_ticks: Duration::from_millis(cpu_ms),
            memory: Memory {
                rss: (pss_mib * 2) << 20,
                pss: pss_mib << 20,
                private: pss_mib << 19,
            },
            counts: AgentCounts {
                requests: 400,
                polls: 20,
            },
            load: ("1.00 1.00 1.00".into(), "1.10 1.00 1.00".into()),
            fleet_stats: None,
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn table_has_medians_ranges_and_ratios() {
        let runs = [
            run(Mode::C, 400, 40),
            run(Mode::Fleet, 40, 8),
            run(Mode::C, 600, 40),
            run(Mode::Fleet, 60, 8),
            run(Mode::C, 500, 40),
            run(Mode::Fleet, 50, 8),
        ];
        let table = markdown(&[Mode::C, Mode::Fleet], 10, &runs);
        assert!(table.starts_with(
            "| figure | C 2.8.0, 10 processes | ours, 1 process | ours-1proc / C |\n"
        ));
        // 500 ms over 20 polls: 25 ms per poll.
        assert!(table.contains(
            "| CPU per poll per device (ms) | 25.000 (20.000–30.000) | 2.500 (2.000–3.000) | 0.100 |"
        ));
        assert!(table.contains("| requests per poll per device | 20.0 (20.0–20.0) |"));
        let verdict = memory_verdict(&runs).unwrap();
        assert!(verdict.contains("ratio 0.200 — met"), "{verdict}");
        assert!(run_log(&runs).lines().count() == 8);
    }

    #[test]
    fn modes_parse() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.name()), Some(m));
        }
        assert_eq!(Mode::parse("x"), None);
    }
}
