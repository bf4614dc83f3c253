//! The footprint of idle daemons and of the installed programs, C NUT's beside ours: resident
//! memory and wake-ups of an idle upsd, an idle dummy-ups and an idle upsmon, and the
//! programs' size on disk (`nut-footprint`).
//!
//! An idle daemon should cost nothing: no memory beyond what it needs and no wake-ups (each
//! one takes a small machine's CPU out of a power-saving state). Both are read from `/proc`:
//! `VmRSS`, and the context switches of all its threads (`voluntary_ctxt_switches` and
//! `nonvoluntary_ctxt_switches` of `/proc/<pid>/task/<tid>/status`), counted over a window
//! in which nothing talks to it. A thread that wakes up and sleeps again switches once. A
//! daemon that splits into processes (upsmon's privileged parent and unprivileged child) is
//! measured as the sum of the process started and its children.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use crate::load::rss_bytes;
use crate::servers::{family, Sandbox, SandboxConfig, UpsdSpec};
use crate::web_load::spread;

/// The daemons measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemon {
    /// upsd over one C dummy-ups driver, no client connected.
    Upsd,
    /// dummy-ups serving a `.dev` file, no server connected.
    DummyUps,
    /// upsmon monitoring one UPS (primary) on a C upsd over a C dummy-ups, nothing
    /// happening; its processes summed.
    Upsmon,
}

impl Daemon {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Upsd => "upsd",
            Self::DummyUps => "dummy-ups",
            Self::Upsmon => "upsmon",
        }
    }
}

/// What one idle process cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Idle {
    /// Resident memory at the end of the window, bytes.
    pub rss: u64,
    /// Context switches of all its threads per second in the window.
    pub wakeups_per_sec: f64,
}

/// Context switches (voluntary and not) of every live thread of process `pid`, summed.
pub fn context_switches(pid: u32) -> io::Result<u64> {
    Ok(thread_switches(pid)?.values().sum())
}

/// Context switches (voluntary and not) of each live thread of process `pid`, by thread id.
pub fn thread_switches(pid: u32) -> io::Result<BTreeMap<u64, u64>> {
    let mut threads = BTreeMap::new();
    for task in fs::read_dir(format!("/proc/{pid}/task"))? {
        let task = task?;
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let text = match fs::read_to_string(task.path().join("status")) {
            Ok(text) => text,
            // The thread ended after the listing.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        threads.insert(tid, switches_in_status(&text));
    }
    Ok(threads)
}

/// Switches between two [`thread_switches`] readings: each thread alive at the end counts
/// what it did since the first reading (all of it if it started since). A thread that
/// ended in between is left out: a sum over live threads would count its whole past as
/// negative (a tokio blocking-pool thread that ends 10 s after start-up made an idle
/// driver look as if it slept more than it did).
fn switches_between(before: &BTreeMap<u64, u64>, after: &BTreeMap<u64, u64>) -> u64 {
    after
        .iter()
        .map(|(tid, &n)| n.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .sum()
}

/// The two context-switch counters of a `/proc/…/status` text, summed.
fn switches_in_status(text: &str) -> u64 {
    text.lines()
        .filter_map(|line| {
            line.strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
        })
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .sum()
}

/// Measures process `pid` and its children left alone: waits `settle`, then counts their
/// switches over `window`; their resident memory is summed.
pub fn measure_idle(pid: u32, settle: Duration, window: Duration) -> io::Result<Idle> {
    thread::sleep(settle);
    let pids = family(pid)?;
    let switches = |pids: &[u32]| -> io::Result<Vec<BTreeMap<u64, u64>>> {
        pids.iter().map(|&p| thread_switches(p)).collect()
    };
    let before = switches(&pids)?;
    thread::sleep(window);
    let after = switches(&pids)?;
    let switched: u64 = before
        .iter()
        .zip(&after)
        .map(|(b, a)| switches_between(b, a))
        .sum();
    Ok(Idle {
        rss: pids
            .iter()
            .map(|&p| rss_bytes(p))
            .sum::<io::Result<u64>>()?,
        wakeups_per_sec: switched as f64 / window.as_secs_f64(),
    })
}

/// How to run the idle comparison.
#[derive(Debug, Clone)]
pub struct IdleConfig {
    /// C NUT's upsd.
    pub c_upsd: PathBuf,
    /// C NUT's dummy-ups (also the driver under both upsds).
    pub c_driver: PathBuf,
    /// Our upsd.
    pub ours_upsd: PathBuf,
    /// Our dummy-ups.
    pub ours_driver: PathBuf,
    /// C NUT's upsmon.
    pub c_upsmon: PathBuf,
    /// Our upsmon.
    pub ours_upsmon: PathBuf,
    /// Runs of each program, alternately C, ours, C, …
    pub runs: usize,
    /// Seconds left alone before counting.
    pub settle: Duration,
    /// Seconds counted.
    pub window: Duration,
}

/// The idle figures of one daemon: C's runs and ours.
#[derive(Debug, Clone)]
pub struct IdleComparison {
    /// Which daemon.
    pub daemon: Daemon,
    /// C's runs.
    pub c: Vec<Idle>,
    /// Our runs.
    pub ours: Vec<Idle>,
}

/// Runs C's `daemon` and ours alternately, `cfg.runs` times each, and measures each idle.
pub fn compare_idle(daemon: Daemon, cfg: &IdleConfig) -> io::Result<IdleComparison> {
    let mut result = IdleComparison {
        daemon,
        c: Vec::new(),
        ours: Vec::new(),
    };
    for _ in 0..cfg.runs {
        for ours in [false, true] {
            let idle = match daemon {
                Daemon::Upsd => {
                    let sandbox = Sandbox::new(&SandboxConfig {
                        driver: cfg.c_driver.clone(),
                        ..SandboxConfig::default()
                    })?;
                    let spec = if ours {
                        UpsdSpec::ours(&cfg.ours_upsd)
                    } else {
                        UpsdSpec::c(&cfg.c_upsd)
                    };
                    let upsd = sandbox.start_upsd(&spec, 1024)?;
                    measure_idle(upsd.pid(), cfg.settle, cfg.window)?
                }
                Daemon::DummyUps => {
                    let driver = if ours {
                        &cfg.ours_driver
                    } else {
                        &cfg.c_driver
                    };
                    let sandbox = Sandbox::new(&SandboxConfig {
                        driver: driver.clone(),
                        ..SandboxConfig::default()
                    })?;
                    measure_idle(sandbox.driver_pid(), cfg.settle, cfg.window)?
                }
                Daemon::Upsmon => {
                    // Both upsmons watch the same kind of server: C's upsd over C's driver.
                    let sandbox = Sandbox::new(&SandboxConfig {
                        driver: cfg.c_driver.clone(),
                        ..SandboxConfig::default()
                    })?;
                    let upsd = sandbox.start_upsd(&UpsdSpec::c(&cfg.c_upsd), 1024)?;
                    let program = if ours {
                        &cfg.ours_upsmon
                    } else {
                        &cfg.c_upsmon
                    };
                    let upsmon = sandbox.start_upsmon(program, &upsd)?;
                    measure_idle(upsmon.pid(), cfg.settle, cfg.window)?
                }
            };
            if ours {
                result.ours.push(idle);
            } else {
                result.c.push(idle);
            }
        }
    }
    Ok(result)
}

/// A program's size on disk, or `None` when it is not there.
pub fn file_size(path: &Path) -> Option<u64> {
    fs::metadata(path).ok().map(|m| m.len())
}

/// The installed programs compared for size: our binary's name and C's program.
pub const PROGRAMS: [(&str, &str); 12] = [
    ("upsd", "/lib/nut/upsd"),
    ("upsmon", "/lib/nut/upsmon"),
    ("upssched", "/sbin/upssched"),
    ("upsc", "/bin/upsc"),
    ("upscmd", "/bin/upscmd"),
    ("upsrw", "/bin/upsrw"),
    ("upslog", "/bin/upslog"),
    ("upsdrvctl", "/lib/nut/upsdrvctl"),
    ("dummy-ups", "/lib/nut/dummy-ups"),
    ("usbhid-ups", "/lib/nut/usbhid-ups"),
    ("nutdrv_qx", "/lib/nut/nutdrv_qx"),
    ("snmp-ups", "/lib/nut/snmp-ups"),
];

/// One line of the markdown table: `figure | C | ours | ours/C`.
fn row(figure: &str, c: &[f64], ours: &[f64], decimals: usize) -> String {
    let cell = |values: &[f64]| {
        let (median, min, max) = spread(values);
        format!("{median:.decimals$} ({min:.decimals$}–{max:.decimals$})")
    };
    let (c_median, ..) = spread(c);
    let (o_median, ..) = spread(ours);
    let ratio = if c_median > 0.0 {
        format!("{:.2}", o_median / c_median)
    } else {
        "–".to_owned()
    };
    format!("| {figure} | {} | {} | {ratio} |\n", cell(c), cell(ours))
}

/// The idle comparisons as markdown rows: RSS in MB and wake-ups per second, median and
/// spread of the runs.
pub fn idle_rows(comparisons: &[IdleComparison]) -> String {
    let mut out = String::new();
    for cmp in comparisons {
        let mb = |runs: &[Idle]| -> Vec<f64> { runs.iter().map(|i| i.rss as f64 / 1e6).collect() };
        let wakes =
            |runs: &[Idle]| -> Vec<f64> { runs.iter().map(|i| i.wakeups_per_sec).collect() };
        let name = cmp.daemon.name();
        out += &row(
            &format!("{name} idle RSS, MB"),
            &mb(&cmp.c),
            &mb(&cmp.ours),
            2,
        );
        out += &row(
            &format!("{name} idle wake-ups per second"),
            &wakes(&cmp.c),
            &wakes(&cmp.ours),
            2,
        );
    }
    out
}

/// The size table: each program (ours from `ours_dir`, C's from its Debian path), their
/// total, and our multi-call binary `nut-rs` if it is in `ours_dir`.
pub fn size_rows(ours_dir: &Path) -> String {
    let mb = |b: u64| format!("{:.2}", b as f64 / 1e6);
    let mut out = String::new();
    let (mut c_total, mut o_total) = (0, 0);
    for (ours, c) in PROGRAMS {
        let path = ours_dir.join(ours);
        // Installed as links to the multi-call binary (`nut-rs --link`), a program takes no
        // room of its own: the link is shown as such and counted as nothing.
        let link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        let o = if link { Some(0) } else { file_size(&path) };
        let c = file_size(Path::new(c));
        c_total += c.unwrap_or(0);
        o_total += o.unwrap_or(0);
        out += &format!(
            "| {ours} on disk, MB | {} | {} | {} |\n",
            c.map_or("absent".to_owned(), mb),
            if link {
                "link to nut-rs".to_owned()
            } else {
                o.map_or("absent".to_owned(), mb)
            },
            match (c, o) {
                (Some(c), Some(o)) if c > 0 && !link => format!("{:.1}", o as f64 / c as f64),
                _ => "–".to_owned(),
            }
        );
    }
    out += &format!(
        "| these {} programs, MB | {} | {} | {:.1} |\n",
        PROGRAMS.len(),
        mb(c_total),
        mb(o_total),
        o_total as f64 / c_total.max(1) as f64
    );
    if let Some(all) = file_size(&ours_dir.join("nut-rs")) {
        out += &format!(
            "| nut-rs (every program, one binary), MB | {} | {} | {:.1} |\n",
            mb(c_total),
            mb(all),
            all as f64 / c_total.max(1) as f64
        );
    }
    out
}

/// The table's head.
pub const TABLE_HEAD: &str = "| figure | C, median (min–max) | ours, median (min–max) | ours/C |\n| --- | ---: | ---: | ---: |\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_ended_in_the_window_is_left_out() {
        let before = BTreeMap::from([(10, 100), (11, 40)]);
        // Thread 11 ended, 12 started: 10 switched 2 times, 12 switched 3 times.
        let after = BTreeMap::from([(10, 102), (12, 3)]);
        assert_eq!(switches_between(&before, &after), 5);
        assert_eq!(switches_between(&after, &after), 0);
    }

    #[test]
    fn counts_both_kinds_of_switch() {
        let text = "Name:\tupsd\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n";
        assert_eq!(switches_in_status(text), 15);
        assert_eq!(switches_in_status("Name:\tx\n"), 0);
    }

    #[test]
    fn each_sleep_of_a_thread_is_a_switch() {
        let ticker = thread::spawn(|| {
            for _ in 0..20 {
                thread::sleep(Duration::from_millis(2));
            }
            switches_in_status(&fs::read_to_string("/proc/thread-self/status").unwrap())
        });
        assert!(ticker.join().unwrap() >= 20);
        assert!(context_switches(std::process::id()).unwrap() > 0);
    }

    #[test]
    fn sizes_of_missing_programs_are_absent() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("upsd"), vec![0u8; 2_000_000]).unwrap();
        let rows = size_rows(dir.path());
        assert!(rows.contains("| upsd on disk, MB |"), "{rows}");
        assert!(rows.contains("| 2.00 |"), "{rows}");
        assert!(rows.contains("| upsmon on disk, MB |") && rows.contains("absent"));
    }

    #[test]
    fn links_to_the_multi_call_binary_take_no_room() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("nut-rs"), vec![0u8; 3_000_000]).unwrap();
        for name in ["upsd", "upsc"] {
            std::os::unix::fs::symlink("nut-rs", dir.path().join(name)).unwrap();
        }
        let rows = size_rows(dir.path());
        assert!(rows.contains("| upsd on disk, MB |"), "{rows}");
        assert!(rows.contains("| link to nut-rs | – |"), "{rows}");
        assert!(
            rows.contains("| nut-rs (every program, one binary), MB |")
                && rows.contains("| 3.00 |"),
            "{rows}"
        );
        assert!(!rows.contains("| 6.00 |"), "links counted: {rows}");
    }
}
