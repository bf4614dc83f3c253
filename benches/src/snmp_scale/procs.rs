//! What `/proc` says about a set of processes: CPU time, resident memory and proportional set
//! size, summed.

use std::fs;
use std::io;
use std::time::Duration;

use crate::load::{cpu_time, rss_bytes};

/// A `kB` field of a `/proc/<pid>/…` file in bytes (`Pss:`, `VmRSS:`, …).
fn kb_field(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// Proportional set size of process `pid` (`Pss` in `/proc/<pid>/smaps_rollup`), in bytes:
/// its private pages plus its share of every page it shares with other processes.
pub fn pss_bytes(pid: u32) -> io::Result<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
    kb_field(&text, "Pss:")
        .ok_or_else(|| io::Error::other(format!("no Pss in /proc/{pid}/smaps_rollup")))
}

/// Private memory of process `pid` (`Private_Clean` + `Private_Dirty` of smaps_rollup), in
/// bytes: what ending it would give back.
pub fn private_bytes(pid: u32) -> io::Result<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
    match (
        kb_field(&text, "Private_Clean:"),
        kb_field(&text, "Private_Dirty:"),
    ) {
        (Some(clean), Some(dirty)) => Ok(clean + dirty),
        _ => Err(io::Error::other(format!(
            "no Private_* in /proc/{pid}/smaps_rollup"
        ))),
    }
}

/// Memory of a set of processes, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// Sum of `VmRSS`: counts shared library pages once per process.
    pub rss: u64,
    /// Sum of `Pss`: every page counted once in all.
    pub pss: u64,
    /// Sum of private pages.
    pub private: u64,
}

/// CPU time (user + system, all threads) of every process in `pids`, summed. A process that
/// is gone counts as an error.
pub fn total_cpu(pids: &[u32]) -> io::Result<Duration> {
    pids.iter().map(|&pid| cpu_time(pid)).sum()
}

/// Time on a CPU of every live thread of process `pid` (the first field of
/// `/proc/<pid>/task/<tid>/schedstat`, in nanoseconds, summed). Exact where `/proc/<pid>/stat`
/// counts in clock ticks (10 ms), but blind to threads that have ended.
pub fn thread_cpu(pid: u32) -> io::Result<Duration> {
    let mut nanos = 0u64;
    for task in fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = task?.path().join("schedstat");
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            // The thread ended after the listing.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        nanos += text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| io::Error::other(format!("malformed {}", path.display())))?;
    }
    Ok(Duration::from_nanos(nanos))
}

/// [`thread_cpu`] of every process in `pids`, summed.
pub fn total_thread_cpu(pids: &[u32]) -> io::Result<Duration> {
    pids.iter().map(|&pid| thread_cpu(pid)).sum()
}

/// Memory of every process in `pids`, summed.
pub fn total_memory(pids: &[u32]) -> io::Result<Memory> {
    let mut total = Memory::default();
    for &pid in pids {
        total.rss += rss_bytes(pid)?;
        total.pss += pss_bytes(pid)?;
        total.private += private_bytes(pid)?;
    }
    Ok(total)
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kb_fields() {
        let text = "Rss:                3420 kB\nPss:                 812 kB\nPss_Anon:  4 kB\n";
        assert_eq!(kb_field(text, "Pss:"), Some(812 * 1024));
        assert_eq!(kb_field(text, "Rss:"), Some(3420 * 1024));
        assert_eq!(kb_field(text, "Swap:"), None);
    }

    #[test]
    fn this_process_has_memory_and_cpu() {
        let me = std::process::id();
        let mem = total_memory(&[me]).unwrap();
        assert!(mem.pss > 0 && mem.pss <= mem.rss);
        assert!(mem.private <= mem.rss);
        assert!(total_cpu(&[me, me]).is_ok());
        let spent = thread_cpu(me).unwrap();
        assert!(total_thread_cpu(&[me, me]).unwrap() >= spent * 2);
    }
}
