//! The web load (`nut-web-load`): does our upsd's HTTP service under load slow the network
//! protocol? One upsd of ours with `HTTP_LISTEN`, over the C dummy-ups of a
//! [`Sandbox`](crate::servers::Sandbox) whose values change every second or so, measured
//! with the GET VAR load of `nut-compare` in two conditions, alternately:
//!
//! - [`Condition::Alone`]: the GET VAR load alone;
//! - [`Condition::WithWeb`]: the same while the [`http`] load runs (pollers of
//!   `/api/v1/devices`, back to back, and subscribers of `/api/v1/events` reading every
//!   event).
//!
//! [`markdown`] turns the runs into a table of medians with their range, the ratios (b)/(a)
//! of each pair of runs, and the web side's own figures.

pub mod http;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::load::{
    request_load, thread_cpu_time, LoadError, Millis, RequestLoad, RequestReport, Target,
};
use crate::servers::UpsdProcess;
use crate::snmp_scale::median;
use http::{HttpLoad, HttpReport, RunningHttpLoad};

/// The two conditions the GET VAR load runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// (a) the GET VAR load alone.
    Alone,
    /// (b) the GET VAR load while the web load runs.
    WithWeb,
}

/// The sizes of a web-load measurement.
#[derive(Debug, Clone)]
pub struct WebLoadConfig {
    /// The GET VAR load (its `server_pid` is set to the server's).
    pub get_var: RequestLoad,
    /// The web load of condition (b).
    pub http: HttpLoad,
    /// Runs of each condition.
    pub runs: usize,
}

impl Default for WebLoadConfig {
    fn default() -> Self {
        Self {
            get_var: RequestLoad::default(),
            http: HttpLoad::default(),
            runs: 5,
        }
    }
}

/// One run of one condition.
#[derive(Debug, Clone)]
pub struct Run {
    /// Which condition.
    pub condition: Condition,
    /// The GET VAR figures (server CPU over the GET VAR window).
    pub get_var: RequestReport,
    /// CPU time of the GET VAR load generator's thread over its whole run (connecting,
    /// warm-up and window), and the wall-clock time of that run.
    pub generator_cpu: Option<Duration>,
    /// Wall-clock time of the GET VAR run.
    pub generator_wall: Duration,
    /// The web load's figures, in condition (b).
    pub http: Option<HttpReport>,
    /// `/proc/loadavg`'s first three figures at the end of the run.
    pub loadavg: String,
}

/// Runs `cfg.runs` pairs of runs, (a) then (b), against `server` (which must serve HTTP),
/// calling `progress` after each run.
pub fn run_all(
    rt: &tokio::runtime::Runtime,
    server: &UpsdProcess,
    target: &Target,
    cfg: &WebLoadConfig,
    mut progress: impl FnMut(&Run),
) -> Result<Vec<Run>, LoadError> {
    let http_addr = server
        .http_addr
        .ok_or_else(|| LoadError::Unexpected("the server does not serve HTTP".into()))?;
    let get_var = RequestLoad {
        server_pid: Some(server.pid()),
        ..cfg.get_var.clone()
    };
    let mut runs = Vec::with_capacity(cfg.runs * 2);
    for _ in 0..cfg.runs {
        for condition in [Condition::Alone, Condition::WithWeb] {
            let web = match condition {
                Condition::Alone => None,
                Condition::WithWeb => Some(RunningHttpLoad::start(http_addr, cfg.http)?),
            };
            if let Some(web) = &web {
                web.measure();
            }
            let cpu_before = thread_cpu_time().ok();
            let started = Instant::now();
            let report = rt.block_on(request_load(target, &get_var))?;
            let generator_wall = started.elapsed();
            let generator_cpu =
                cpu_before.and_then(|c| Some(thread_cpu_time().ok()?.saturating_sub(c)));
            let http = web.map(RunningHttpLoad::finish).transpose()?;
            let run = Run {
                condition,
                get_var: report,
                generator_cpu,
                generator_wall,
                http,
                loadavg: loadavg(),
            };
            progress(&run);
            runs.push(run);
        }
    }
    Ok(runs)
}

/// The first three figures of `/proc/loadavg`.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Median, least and greatest of `values` (all zero when empty).
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median(&finite), min, max)
}

/// `median (min–max)` of `values`, each formatted with `decimals`.
fn cell(values: &[f64], decimals: usize) -> String {
    if values.is_empty() {
        return "n/a".to_owned();
    }
    let (median, min, max) = spread(values);
    format!("{median:.decimals$} ({min:.decimals$}–{max:.decimals$})")
}

/// Percent of one core.
fn percent(cpu: Option<Duration>, wall: Duration) -> Option<f64> {
    Some(cpu?.as_secs_f64() / wall.as_secs_f64() * 100.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The figures of one condition's GET VAR runs: each row's values, run by run.
fn get_var_figures(runs: &[&Run]) -> Vec<(&'static str, Vec<f64>, usize)> {
    let of = |f: &dyn Fn(&Run) -> Option<f64>| runs.iter().filter_map(|r| f(r)).collect();
    vec![
        ("GET VAR requests/s", of(&|r| Some(r.get_var.rate())), 0),
        (
            "GET VAR p50 (ms)",
            of(&|r| Some(ms(r.get_var.latency.p50))),
            3,
        ),
        (
            "GET VAR p99 (ms)",
            of(&|r| Some(ms(r.get_var.latency.p99))),
            3,
        ),
        (
            "server CPU per GET VAR (µs; in (b) with the HTTP work)",
            of(&|r| Some(r.get_var.cpu_per_request()?.as_secs_f64() * 1e6)),
            2,
        ),
        (
            "server CPU (% of one core)",
            of(&|r| percent(r.get_var.server_cpu, r.get_var.window)),
            0,
        ),
        (
            "GET VAR load generator thread (% of one core)",
            of(&|r| percent(r.generator_cpu, r.generator_wall)),
            0,
        ),
    ]
}

/// The runs as markdown: the comparison table, the web side's figures and the run log.
pub fn markdown(runs: &[Run]) -> String {
    let alone: Vec<&Run> = runs
        .iter()
        .filter(|r| r.condition == Condition::Alone)
        .collect();
    let web: Vec<&Run> = runs
        .iter()
        .filter(|r| r.condition == Condition::WithWeb)
        .collect();
    let mut out = String::from(
        "| figure | (a) GET VAR alone | (b) with the web load | (b)/(a), pair by pair |\n\
         | --- | ---: | ---: | ---: |\n",
    );
    for ((name, a, decimals), (_, b, _)) in get_var_figures(&alone)
        .into_iter()
        .zip(get_var_figures(&web))
    {
        let ratios: Vec<f64> = a.iter().zip(&b).map(|(a, b)| b / a).collect();
        writeln!(
            out,
            "| {name} | {} | {} | {} |",
            cell(&a, decimals),
            cell(&b, decimals),
            cell(&ratios, 2)
        )
        .expect("write to String");
    }
    let errors = |runs: &[&Run]| -> usize { runs.iter().map(|r| r.get_var.errors.len()).sum() };
    writeln!(
        out,
        "| GET VAR clients stopped by an error | {} | {} | |",
        errors(&alone),
        errors(&web)
    )
    .expect("write to String");

    let reports: Vec<&HttpReport> = web.iter().filter_map(|r| r.http.as_ref()).collect();
    let of = |f: &dyn Fn(&HttpReport) -> f64| reports.iter().map(|h| f(h)).collect::<Vec<_>>();
    let per_subscriber: Vec<f64> = reports
        .iter()
        .flat_map(|h| h.events.iter().map(|&n| n as f64))
        .collect();
    let subscribers: usize = reports.iter().map(|h| h.events.len()).sum();
    let lagged: usize = reports.iter().map(|h| h.lagged).sum();
    let missed: u64 = reports.iter().map(|h| h.missed).sum();
    let sum = |f: &dyn Fn(&HttpReport) -> usize| reports.iter().map(|h| f(h)).sum::<usize>();
    let dropped = sum(&|h| h.dropped.values().sum());
    let poll_errors = sum(&|h| h.poll_errors.values().sum());
    let first_error = reports.iter().find_map(|h| h.first_error.clone());
    let rows = [
        ("API polls/s", cell(&of(&HttpReport::rate), 0)),
        ("API poll p50 (ms)", cell(&of(&|h| ms(h.latency.p50)), 3)),
        ("API poll p99 (ms)", cell(&of(&|h| ms(h.latency.p99)), 3)),
        (
            "SSE events per subscriber in a window",
            cell(&per_subscriber, 0),
        ),
        (
            "SSE events delivered/s, all subscribers",
            cell(&of(&HttpReport::events_rate), 0),
        ),
        (
            "SSE subscribers that fell behind (`lagged`) / events they missed",
            format!("{lagged} of {subscribers} / {missed}"),
        ),
        (
            "SSE subscribers dropped / pollers stopped by an error",
            format!("{dropped} / {poll_errors}"),
        ),
        (
            "web load thread (% of one core)",
            cell(&of(&|h| percent(h.cpu, h.window).unwrap_or(f64::NAN)), 0),
        ),
    ];
    for (name, value) in rows {
        writeln!(out, "| {name} | | {value} | |").expect("write to String");
    }
    if let Some(e) = first_error {
        writeln!(out, "\nFirst web-load error: {e}").expect("write to String");
    }

    out.push_str(&saturation(&alone, &web));
    out.push_str("\nRun log:\n\n");
    for (i, run) in runs.iter().enumerate() {
        out.push_str(&run_line(i + 1, run));
        out.push('\n');
    }
    out
}

/// Where the CPU went, medians over the runs, against the machine's cores.
fn saturation(alone: &[&Run], web: &[&Run]) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let median = |f: &dyn Fn(&Run) -> Option<f64>, runs: &[&Run]| {
        spread(&runs.iter().filter_map(|r| f(r)).collect::<Vec<_>>()).0
    };
    let server = |r: &Run| percent(r.get_var.server_cpu, r.get_var.window);
    let generator = |r: &Run| percent(r.generator_cpu, r.generator_wall);
    let web_thread = |r: &Run| percent(r.http.as_ref()?.cpu, r.http.as_ref()?.window);
    let (sa, ga) = (median(&server, alone), median(&generator, alone));
    let (sb, gb, wb) = (
        median(&server, web),
        median(&generator, web),
        median(&web_thread, web),
    );
    format!(
        "\nCPU in use (medians, % of one core; the machine has {cores} cores = {}%): \
         (a) server {sa:.0} + GET VAR generator {ga:.0} = {:.0}; \
         (b) server {sb:.0} + GET VAR generator {gb:.0} + web load {wb:.0} = {:.0}.\n",
        cores * 100,
        sa + ga,
        sb + gb + wb,
    )
}

/// One run's raw figures.
pub fn run_line(n: usize, run: &Run) -> String {
    let r = &run.get_var;
    let micros = |d: Option<Duration>| {
        d.map_or("?".to_owned(), |d| {
            format!("{:.2} µs", d.as_secs_f64() * 1e6)
        })
    };
    let mut line = format!(
        "- run {n} {}: GET VAR {:.0}/s p50 {} p99 {} server CPU/req {} generator {:.0}%",
        match run.condition {
            Condition::Alone => "(a)",
            Condition::WithWeb => "(b)",
        },
        r.rate(),
        Millis(r.latency.p50),
        Millis(r.latency.p99),
        micros(r.cpu_per_request()),
        percent(run.generator_cpu, run.generator_wall).unwrap_or(f64::NAN),
    );
    if let Some(h) = &run.http {
        let (median, min, max) = spread(&h.events.iter().map(|&n| n as f64).collect::<Vec<_>>());
        write!(
            line,
            "; API {:.0}/s p50 {}; SSE events/subscriber {median:.0} ({min:.0}–{max:.0}), \
             lagged {}, dropped {}; web thread {:.0}%",
            h.rate(),
            Millis(h.latency.p50),
            h.lagged,
            h.dropped.values().sum::<usize>(),
            percent(h.cpu, h.window).unwrap_or(f64::NAN),
        )
        .expect("write to String");
    }
    write!(line, "; load {}", run.loadavg).expect("write to String");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads() {
        assert_eq!(spread(&[3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(spread(&[4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0));
        assert_eq!(spread(&[]), (0.0, 0.0, 0.0));
        assert_eq!(cell(&[1.0, 0.5, 0.75], 2), "0.75 (0.50–1.00)");
    }
}
