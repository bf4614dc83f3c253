//! How every scanner runs its probes: concurrently, at most `parallel` at once, each one
//! bounded by a timeout, results in the order of the targets; and a progress counter the
//! caller can watch.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

/// C's default network timeout (`-t`), in seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// C's default limit of simultaneous probes (`-T`).
pub const DEFAULT_PARALLEL: usize = 512;

/// Probes started and finished so far, across every scanner sharing it (a cheap clone).
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<[AtomicU64; 2]>);

impl Progress {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many probes were planned so far.
    pub fn total(&self) -> u64 {
        self.0[0].load(Ordering::Relaxed)
    }

    /// How many of them have finished.
    pub fn done(&self) -> u64 {
        self.0[1].load(Ordering::Relaxed)
    }

    fn plan(&self, n: u64) {
        self.0[0].fetch_add(n, Ordering::Relaxed);
    }

    fn finish_one(&self) {
        self.0[1].fetch_add(1, Ordering::Relaxed);
    }
}

/// What every scanner takes: the per-probe timeout, the parallelism, the progress counter.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ScanOptions {
    /// How long one probe (one address, one device) may take in all.
    pub timeout: Duration,
    /// At most this many probes at once (at least 1).
    pub parallel: usize,
    /// Counts the probes.
    pub progress: Progress,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            parallel: DEFAULT_PARALLEL,
            progress: Progress::new(),
        }
    }
}

impl ScanOptions {
    /// The defaults with this timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The defaults with this parallelism.
    pub fn with_parallel(mut self, parallel: usize) -> Self {
        self.parallel = parallel.max(1);
        self
    }
}

/// Runs `probe` on every target, at most `options.parallel` at once, each cut off after
/// `limit`; the results (a probe that timed out gives nothing) in target order.
pub(crate) async fn run_all<T, R, F, Fut>(
    targets: impl Iterator<Item = T>,
    count: u64,
    options: &ScanOptions,
    limit: Duration,
    probe: F,
) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Vec<R>>,
{
    options.progress.plan(count);
    let progress = &options.progress;
    let probe = &probe;
    // Unordered, so that a silent target holds one slot only, not the ones after it; the
    // index puts the results back in target order.
    let mut found: Vec<(usize, Vec<R>)> = stream::iter(targets.enumerate())
        .map(|(i, t)| async move {
            let found = tokio::time::timeout(limit, probe(t))
                .await
                .unwrap_or_default();
            progress.finish_one();
            (i, found)
        })
        .buffer_unordered(options.parallel.max(1))
        .filter(|(_, f)| std::future::ready(!f.is_empty()))
        .collect()
        .await;
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().flat_map(|(_, f)| f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bounded_and_ordered() {
        let options = ScanOptions::default().with_parallel(10);
        let start = tokio::time::Instant::now();
        let out = run_all(
            0..100u64,
            100,
            &options,
            Duration::from_secs(5),
            |n| async move {
                // Every third probe never answers: it is cut off by the timeout.
                if n % 3 == 0 {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(Duration::from_millis(100 - n)).await;
                vec![n]
            },
        )
        .await;
        let expected: Vec<u64> = (0..100).filter(|n| n % 3 != 0).collect();
        assert_eq!(out, expected);
        assert_eq!(options.progress.total(), 100);
        assert_eq!(options.progress.done(), 100);
        // Ten at a time, so the 34 silent ones cost 4 rounds of 5 s (virtual time), not 34.
        assert!(
            start.elapsed() < Duration::from_secs(25),
            "{:?}",
            start.elapsed()
        );
    }
}
