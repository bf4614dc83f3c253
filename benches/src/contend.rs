//! Competing CPU load for the comparison: busy processes ("spinners") that run for the
//! whole of it, at the niceness of `nut-compare` itself (that of the servers and the load
//! generator), so that neither server has an idle core to itself.
//!
//! A spinner is the calling program re-executed with a hidden argument that makes it call
//! [`spin`]: a loop that calls nothing. The [`Spinners`] guard kills and reaps them when it
//! is dropped (normal end, error return, panic), and each spinner asks the kernel to kill it
//! when its parent dies (`PR_SET_PDEATHSIG`), so none outlives a `nut-compare` that was
//! killed outright. Ctrl-C reaches them anyway: they are in the terminal's foreground
//! process group.

use std::fmt;
use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::load::{cpu_time, niceness};

/// How many spinners to start: a number, or one per CPU (`cores`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpinnerCount {
    /// Exactly this many (0: no competing load).
    Exactly(usize),
    /// One per CPU this process may run on.
    PerCore,
}

impl Default for SpinnerCount {
    fn default() -> Self {
        Self::Exactly(0)
    }
}

impl SpinnerCount {
    /// The number of spinners this stands for on this machine.
    pub fn resolve(self) -> usize {
        match self {
            Self::Exactly(n) => n,
            Self::PerCore => std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// The error of parsing a [`SpinnerCount`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a number of busy processes or `cores`, not {0:?}")]
pub struct SpinnerCountError(String);

impl FromStr for SpinnerCount {
    type Err = SpinnerCountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cores" => Ok(Self::PerCore),
            _ => s
                .parse()
                .map(Self::Exactly)
                .map_err(|_| SpinnerCountError(s.to_owned())),
        }
    }
}

impl fmt::Display for SpinnerCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exactly(n) => write!(f, "{n}"),
            Self::PerCore => f.write_str("cores"),
        }
    }
}

/// Running spinners, killed and reaped when dropped.
///
/// Start them from the main thread: `PR_SET_PDEATHSIG` fires when the *thread* that forked
/// the child ends, not only the process.
#[derive(Debug)]
pub struct Spinners {
    children: Vec<Child>,
    started: Instant,
}

impl Spinners {
    /// Starts `n` spinners: `program` (normally `std::env::current_exe()`) with
    /// `spin_arg` and this process's id as its arguments; `program` must then call
    /// [`spin`] with that id. Those already started are stopped if one fails to start.
    pub fn start(program: &Path, spin_arg: &str, n: usize) -> io::Result<Self> {
        let mut spinners = Self {
            children: Vec::with_capacity(n),
            started: Instant::now(),
        };
        let parent = std::process::id().to_string();
        for _ in 0..n {
            let child = Command::new(program)
                .args([spin_arg, &parent])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            spinners.children.push(child);
        }
        Ok(spinners)
    }

    /// How many run.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Their process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// What they did so far: their niceness and the CPU they got.
    pub fn report(&self) -> io::Result<SpinnerReport> {
        let mut cpu = Duration::ZERO;
        for pid in self.pids() {
            cpu += cpu_time(pid)?;
        }
        let nice = match self.children.first() {
            Some(child) => niceness(child.id())?,
            None => niceness(std::process::id())?,
        };
        Ok(SpinnerReport {
            count: self.len(),
            nice,
            cpu,
            wall: self.started.elapsed(),
        })
    }
}

impl Drop for Spinners {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
        }
        for child in &mut self.children {
            let _ = child.wait();
        }
    }
}

/// What the spinners did, for the table's header line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpinnerReport {
    /// How many ran.
    pub count: usize,
    /// Their niceness.
    pub nice: i32,
    /// CPU time they got, all together.
    pub cpu: Duration,
    /// Time since they started.
    pub wall: Duration,
}

impl SpinnerReport {
    /// The share of one CPU each got on average (1.0: a whole core all the time).
    pub fn core_share(&self) -> f64 {
        if self.count == 0 || self.wall.is_zero() {
            return 0.0;
        }
        self.cpu.as_secs_f64() / self.wall.as_secs_f64() / self.count as f64
    }
}

impl fmt::Display for SpinnerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.count == 1 { "" } else { "es" };
        write!(
            f,
            "{} busy process{s} at nice {} (each got {:.0} % of a CPU)",
            self.count,
            self.nice,
            self.core_share() * 100.0
        )
    }
}

/// The body of a spinner: dies with `parent` (`PR_SET_PDEATHSIG`), returns at once if
/// `parent` is already gone, else burns CPU until killed.
pub fn spin(parent: u32) {
    if nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL).is_err() {
        return;
    }
    // The parent may have died before the line above: then we were re-parented.
    if nix::unistd::getppid().as_raw() as u32 != parent {
        return;
    }
    let mut n = 0u64;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parse() {
        assert_eq!("0".parse(), Ok(SpinnerCount::Exactly(0)));
        assert_eq!("3".parse(), Ok(SpinnerCount::Exactly(3)));
        assert_eq!("cores".parse(), Ok(SpinnerCount::PerCore));
        assert!("-1".parse::<SpinnerCount>().is_err());
        assert!("all".parse::<SpinnerCount>().is_err());
        assert_eq!(SpinnerCount::Exactly(3).resolve(), 3);
        assert_eq!(SpinnerCount::default().resolve(), 0);
        assert!(SpinnerCount::PerCore.resolve() >= 1);
        assert_eq!(SpinnerCount::PerCore.to_string(), "cores");
    }

    #[test]
    fn report_share() {
        let report = SpinnerReport {
            count: 2,
            nice: 0,
            cpu: Duration::from_secs(3),
            wall: Duration::from_secs(2),
        };
        assert!((report.core_share() - 0.75).abs() < 1e-9);
        assert_eq!(
            report.to_string(),
            "2 busy processes at nice 0 (each got 75 % of a CPU)"
        );
    }
}
