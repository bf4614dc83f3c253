//! Latency histograms and what the harness reads about a server process from `/proc`.

use std::fmt;
use std::fs;
use std::io;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Highest latency a histogram records exactly (longer ones are clamped): 5 minutes.
const MAX_NANOS: u64 = 300_000_000_000;

/// A latency histogram in nanoseconds, 3 significant digits.
#[derive(Debug, Clone)]
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// An empty histogram.
    pub fn new() -> Self {
        Self(Histogram::new_with_bounds(1, MAX_NANOS, 3).expect("valid histogram bounds"))
    }

    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(MAX_NANOS);
        self.0.saturating_record(nanos.clamp(1, MAX_NANOS));
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Self) {
        self.0.add(&other.0).expect("histograms of equal bounds");
    }

    /// The number of samples.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The percentiles and extremes.
    pub fn summary(&self) -> LatencySummary {
        let at = |q: f64| Duration::from_nanos(self.0.value_at_quantile(q));
        LatencySummary {
            count: self.count(),
            p10: at(0.10),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: Duration::from_nanos(self.0.max()),
            mean: Duration::from_nanos(self.0.mean() as u64),
        }
    }
}

/// Percentiles of a latency histogram (all zero when it is empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencySummary {
    /// Number of samples.
    pub count: u64,
    /// 10th percentile.
    pub p10: Duration,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
    /// Arithmetic mean.
    pub mean: Duration,
}

impl fmt::Display for LatencySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {} p99 {} max {} mean {} (n={})",
            Millis(self.p50),
            Millis(self.p99),
            Millis(self.max),
            Millis(self.mean),
            self.count
        )
    }
}

/// Formats a duration in milliseconds with a precision that suits its size.
#[derive(Debug, Clone, Copy)]
pub struct Millis(pub Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_secs_f64() * 1000.0;
        if ms < 1.0 {
            write!(f, "{ms:.3} ms")
        } else if ms < 100.0 {
            write!(f, "{ms:.1} ms")
        } else {
            write!(f, "{ms:.0} ms")
        }
    }
}

/// Resident memory of process `pid` (`VmRSS` in `/proc/<pid>/status`), in bytes.
pub fn rss_bytes(pid: u32) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| io::Error::other(format!("no VmRSS in /proc/{pid}/status")))
}

/// CPU time (user + system, all threads) used so far by process `pid`.
pub fn cpu_time(pid: u32) -> io::Result<Duration> {
    stat_cpu_time(&format!("/proc/{pid}/stat"))
}

/// CPU time (user + system) used so far by the calling thread alone.
pub fn thread_cpu_time() -> io::Result<Duration> {
    stat_cpu_time("/proc/thread-self/stat")
}

/// Niceness of process `pid` (field 19 of `/proc/<pid>/stat`).
pub fn niceness(pid: u32) -> io::Result<i32> {
    stat_field(&format!("/proc/{pid}/stat"), 19)
}

/// The CPU time in a `stat` file of `/proc`.
fn stat_cpu_time(path: &str) -> io::Result<Duration> {
    let stat = fs::read_to_string(path)?;
    // Fields 14 (utime) and 15 (stime).
    let total = field::<u64>(&stat, 14)? + field::<u64>(&stat, 15)?;
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|&hz| hz > 0)
        .unwrap_or(100) as u64;
    Ok(Duration::from_nanos(total * 1_000_000_000 / hz))
}

/// Field `i` (counted from 1) of the `stat` file of `/proc` at `path`.
fn stat_field<T: std::str::FromStr>(path: &str, i: usize) -> io::Result<T> {
    field(&fs::read_to_string(path)?, i)
}

/// Field `i` (counted from 1, with the command name as field 2) of a `stat` file's text.
fn field<T: std::str::FromStr>(stat: &str, i: usize) -> io::Result<T> {
    let malformed = || io::Error::other("malformed /proc/<pid>/stat");
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let (_, after_name) = stat.rsplit_once(')').ok_or_else(malformed)?;
    after_name
        .split_whitespace()
        .nth(i.checked_sub(3).ok_or_else(malformed)?)
        .and_then(|v| v.parse().ok())
        .ok_or_else(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_set() {
        let mut lat = Latencies::new();
        for us in 1..=100 {
            lat.record(Duration::from_micros(us));
        }
        let s = lat.summary();
        assert_eq!(s.count, 100);
        assert!((49_900..=50_100).contains(&(s.p50.as_nanos() as u64)));
        assert!((98_900..=99_100).contains(&(s.p99.as_nanos() as u64)));
        let mut other = Latencies::new();
        other.record(Duration::from_secs(1));
        lat.merge(&other);
        assert_eq!(lat.count(), 101);
    }

    #[test]
    fn reads_own_process() {
        let pid = std::process::id();
        assert!(rss_bytes(pid).unwrap() > 0);
        cpu_time(pid).unwrap();
        assert!(thread_cpu_time().unwrap() <= cpu_time(pid).unwrap());
        let nice = niceness(pid).unwrap();
        assert!((-20..=19).contains(&nice));
    }

    #[test]
    fn millis_formatting() {
        assert_eq!(Millis(Duration::from_micros(42)).to_string(), "0.042 ms");
        assert_eq!(Millis(Duration::from_micros(43_950)).to_string(), "44.0 ms");
        assert_eq!(Millis(Duration::from_secs(3)).to_string(), "3000 ms");
    }
}
