//! The side-by-side comparison: every case against C upsd and against ours, in one run, over
//! one C dummy-ups driver, and a markdown table of the figures with the ratio.
//!
//! Each case gets a fresh upsd process of each kind (so memory and CPU figures start from the
//! same state); C's runs first, then ours.

use std::fmt::{self, Write as _};
use std::io;
use std::time::Duration;

use crate::load::{
    connect_burst, idle_hold, maxconn_check, request_load, Burst, BurstReport, IdleHold,
    IdleReport, MaxConnCheck, MaxConnReport, Millis, Outcomes, RequestLoad, RequestReport, Target,
    Workload,
};
use crate::servers::{Sandbox, UpsdProcess, UpsdSpec};

/// One case of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// GET VAR throughput and latency.
    GetVar,
    /// LIST VAR throughput and latency.
    ListVar,
    /// Many idle clients: probe latency and memory per client.
    Idle,
    /// Thousands of simultaneous connects.
    Burst,
    /// MAXCONN enforcement.
    MaxConn,
}

impl Case {
    /// Every case, in the order they run.
    pub const ALL: [Self; 5] = [
        Self::GetVar,
        Self::ListVar,
        Self::Idle,
        Self::Burst,
        Self::MaxConn,
    ];

    /// The case's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::GetVar => "get-var",
            Self::ListVar => "list-var",
            Self::Idle => "idle",
            Self::Burst => "burst",
            Self::MaxConn => "maxconn",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|case| case.name() == name)
    }
}

/// The sizes of every case.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Which cases to run.
    pub cases: Vec<Case>,
    /// Concurrent clients of GET VAR and LIST VAR.
    pub clients: usize,
    /// Measured window of GET VAR, LIST VAR and the idle-hold probe.
    pub duration: Duration,
    /// Unmeasured load before each window.
    pub warmup: Duration,
    /// Idle connections held.
    pub idle: usize,
    /// Simultaneous connects.
    pub burst: usize,
    /// MAXCONN of the servers in the MAXCONN case.
    pub maxconn: usize,
    /// Clients that try to get in once those are full.
    pub maxconn_extra: usize,
    /// The variable GET VAR asks for.
    pub var: String,
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            cases: Case::ALL.to_vec(),
            clients: 50,
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            idle: 10_000,
            burst: 5_000,
            maxconn: 100,
            maxconn_extra: 50,
            var: "ups.status".to_owned(),
        }
    }
}

impl CompareConfig {
    /// MAXCONN of the servers in every case but the MAXCONN one: room for everything.
    pub fn roomy_maxconn(&self) -> usize {
        self.idle.max(self.burst).max(self.clients) + 1_000
    }
}

/// What one server did in one case.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// GET VAR or LIST VAR.
    Requests(RequestReport),
    /// Idle-hold.
    Idle(IdleReport),
    /// Connect-burst.
    Burst(BurstReport),
    /// MAXCONN.
    MaxConn(MaxConnReport),
    /// The case could not run (the server did not start, …).
    Failed(String),
}

/// Whether a figure meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Target met.
    Met,
    /// Target missed.
    Missed,
    /// No target, or nothing to judge.
    None,
}

impl Verdict {
    fn of(met: Option<bool>) -> Self {
        match met {
            Some(true) => Self::Met,
            Some(false) => Self::Missed,
            None => Self::None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Met => "met",
            Self::Missed => "**missed**",
            Self::None => "",
        })
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// The case, on its first row only.
    pub case: String,
    /// What is measured.
    pub metric: String,
    /// C upsd's figure.
    pub c: String,
    /// Our figure.
    pub ours: String,
    /// Ours relative to C.
    pub ratio: String,
    /// The requirement, if any.
    pub target: String,
    /// Whether ours meets it.
    pub verdict: Verdict,
}

/// Runs `case` against a fresh upsd of `spec`.
pub fn run_case(
    rt: &tokio::runtime::Runtime,
    sandbox: &Sandbox,
    spec: &UpsdSpec,
    case: Case,
    cfg: &CompareConfig,
) -> Outcome {
    let maxconn = if case == Case::MaxConn {
        cfg.maxconn
    } else {
        cfg.roomy_maxconn()
    };
    let server = match sandbox.start_upsd(spec, maxconn) {
        Ok(server) => server,
        Err(e) => return Outcome::Failed(format!("start: {e}")),
    };
    let outcome = rt.block_on(measure(&server, sandbox.ups(), case, cfg));
    let mut server = server;
    match outcome {
        Ok(outcome) if server.is_running() => outcome,
        Ok(_) => Outcome::Failed(format!("server died: {}", server.log_tail())),
        Err(e) => Outcome::Failed(format!("{e}; server log: {}", server.log_tail())),
    }
}

async fn measure(
    server: &UpsdProcess,
    ups: &str,
    case: Case,
    cfg: &CompareConfig,
) -> io::Result<Outcome> {
    let target = Target::new(server.addr, ups, &cfg.var).map_err(io::Error::other)?;
    let pid = Some(server.pid());
    let requests = |workload| RequestLoad {
        workload,
        clients: cfg.clients,
        duration: cfg.duration,
        warmup: cfg.warmup,
        server_pid: pid,
    };
    let outcome = match case {
        Case::GetVar => request_load(&target, &requests(Workload::GetVar))
            .await
            .map(Outcome::Requests),
        Case::ListVar => request_load(&target, &requests(Workload::ListVar))
            .await
            .map(Outcome::Requests),
        Case::Idle => idle_hold(
            &target,
            &IdleHold {
                idle: cfg.idle,
                probe: cfg.duration,
                server_pid: pid,
                ..IdleHold::default()
            },
        )
        .await
        .map(Outcome::Idle),
        Case::Burst => connect_burst(
            &target,
            &Burst {
                clients: cfg.burst,
                ..Burst::default()
            },
        )
        .await
        .map(Outcome::Burst),
        Case::MaxConn => maxconn_check(
            &target,
            &MaxConnCheck {
                maxconn: cfg.maxconn,
                extra: cfg.maxconn_extra,
                ..MaxConnCheck::default()
            },
        )
        .await
        .map(Outcome::MaxConn),
    };
    Ok(outcome.unwrap_or_else(|e| Outcome::Failed(e.to_string())))
}

/// The table rows comparing C's outcome with ours for one case.
pub fn rows(case: Case, cfg: &CompareConfig, c: &Outcome, ours: &Outcome) -> Vec<Row> {
    let mut rows = match (c, ours) {
        (Outcome::Failed(_), Outcome::Failed(_)) => vec![row(
            "outcome",
            brief(c),
            brief(ours),
            String::new(),
            "",
            Some(false),
        )],
        // One side failed: show the other side's figures, judge only what needs no ratio.
        (Outcome::Failed(_), _) => one_sided(case, cfg, ours, c, true),
        (_, Outcome::Failed(_)) => one_sided(case, cfg, c, ours, false),
        (Outcome::Requests(c), Outcome::Requests(o)) => request_rows(case, c, o),
        (Outcome::Idle(c), Outcome::Idle(o)) => idle_rows(c, o),
        (Outcome::Burst(c), Outcome::Burst(o)) => burst_rows(c, o),
        (Outcome::MaxConn(c), Outcome::MaxConn(o)) => maxconn_rows(c, o),
        _ => unreachable!("both sides ran the same case"),
    };
    if let Some(first) = rows.first_mut() {
        first.case = case_title(case, cfg);
    }
    rows
}

/// Rows for a case that only one side completed: `ran` is that side's outcome.
fn one_sided(
    case: Case,
    cfg: &CompareConfig,
    ran: &Outcome,
    failed: &Outcome,
    ours_ran: bool,
) -> Vec<Row> {
    let mut rows = rows(case, cfg, ran, ran);
    for (i, r) in rows.iter_mut().enumerate() {
        let blank = if i == 0 { brief(failed) } else { String::new() };
        r.ratio.clear();
        if ours_ran {
            r.c = blank;
            if r.target.contains("× C") {
                r.verdict = Verdict::None;
            }
        } else {
            r.ours = blank;
            r.verdict = if i == 0 {
                Verdict::Missed
            } else {
                Verdict::None
            };
        }
    }
    rows
}

fn case_title(case: Case, cfg: &CompareConfig) -> String {
    match case {
        Case::GetVar => format!("GET VAR, {} clients", cfg.clients),
        Case::ListVar => format!("LIST VAR, {} clients", cfg.clients),
        Case::Idle => format!("{} idle clients", cfg.idle),
        Case::Burst => format!("burst of {} connects", cfg.burst),
        Case::MaxConn => format!("MAXCONN {} + {} more", cfg.maxconn, cfg.maxconn_extra),
    }
}

fn brief(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Failed(e) => format!("failed: {e}"),
        _ => "ran".to_owned(),
    }
}

fn row(
    metric: &str,
    c: String,
    ours: String,
    ratio: String,
    target: &str,
    met: Option<bool>,
) -> Row {
    Row {
        case: String::new(),
        metric: metric.to_owned(),
        c,
        ours,
        ratio,
        target: target.to_owned(),
        verdict: Verdict::of(met),
    }
}

/// `ours / c` as "N×" (more is better).
fn times_more(c: f64, ours: f64) -> String {
    if c > 0.0 {
        format!("{:.2}×", ours / c)
    } else {
        String::new()
    }
}

/// `c / ours` as "N× lower" (less is better).
fn times_less(c: Duration, ours: Duration) -> String {
    if ours.is_zero() || c.is_zero() {
        String::new()
    } else {
        format!("{:.2}× lower", c.as_secs_f64() / ours.as_secs_f64())
    }
}

fn errors(report: &RequestReport) -> String {
    match &report.first_error {
        None => "0".to_owned(),
        Some(first) => format!("{} ({first})", outcomes(&report.errors)),
    }
}

fn outcomes(outcomes: &Outcomes) -> String {
    if outcomes.is_empty() {
        return "none".to_owned();
    }
    outcomes
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn request_rows(case: Case, c: &RequestReport, o: &RequestReport) -> Vec<Row> {
    let (target, ratio_needed) = match case {
        Case::ListVar => ("≥ 40× C", 40.0),
        _ => ("≥ 1.3× C", 1.3),
    };
    let clean = o.errors.is_empty() && o.requests > 0;
    let mut rows = vec![
        row(
            "requests/s",
            format!("{:.0}", c.rate()),
            format!("{:.0}", o.rate()),
            times_more(c.rate(), o.rate()),
            target,
            Some(clean && c.rate() > 0.0 && o.rate() >= ratio_needed * c.rate()),
        ),
        {
            let p50_target = case == Case::ListVar;
            row(
                "latency p50",
                Millis(c.latency.p50).to_string(),
                Millis(o.latency.p50).to_string(),
                times_less(c.latency.p50, o.latency.p50),
                if p50_target { "< 1 ms" } else { "" },
                p50_target.then_some(clean && o.latency.p50 < Duration::from_millis(1)),
            )
        },
        row(
            "latency p99",
            Millis(c.latency.p99).to_string(),
            Millis(o.latency.p99).to_string(),
            times_less(c.latency.p99, o.latency.p99),
            "",
            None,
        ),
    ];
    if let (Some(cc), Some(oc)) = (c.cpu_per_request(), o.cpu_per_request()) {
        rows.push(row(
            "server CPU per request",
            format!("{:.1} µs", cc.as_secs_f64() * 1e6),
            format!("{:.1} µs", oc.as_secs_f64() * 1e6),
            times_less(cc, oc),
            "",
            None,
        ));
    }
    if let (Some(cc), Some(oc)) = (c.client_cpu_per_request(), o.client_cpu_per_request()) {
        rows.push(row(
            "load generator CPU per request",
            format!("{:.1} µs", cc.as_secs_f64() * 1e6),
            format!("{:.1} µs", oc.as_secs_f64() * 1e6),
            String::new(),
            "",
            None,
        ));
    }
    rows.push(row(
        "variables / bytes per reply",
        format!("{} / {}", c.items_per_reply, c.bytes_per_reply),
        format!("{} / {}", o.items_per_reply, o.bytes_per_reply),
        String::new(),
        if case == Case::ListVar {
            "20 variables"
        } else {
            ""
        },
        (case == Case::ListVar).then_some(o.items_per_reply == 20 && c.items_per_reply == 20),
    ));
    rows.push(row(
        "clients stopped by an error",
        errors(c),
        errors(o),
        String::new(),
        "0",
        Some(o.errors.is_empty()),
    ));
    rows
}

fn idle_rows(c: &IdleReport, o: &IdleReport) -> Vec<Row> {
    let held = |r: &IdleReport| {
        if r.open_failures.is_empty() {
            format!("{} of {}", r.held, r.requested)
        } else {
            format!(
                "{} of {} ({})",
                r.held,
                r.requested,
                outcomes(&r.open_failures)
            )
        }
    };
    let bytes = |r: &IdleReport| {
        r.bytes_per_client()
            .map_or_else(|| "n/a".to_owned(), |b| format!("{b:.0} B"))
    };
    let probe_clean = o.probe.errors.is_empty() && o.probe.requests > 0;
    vec![
        row(
            "idle clients held",
            held(c),
            held(o),
            String::new(),
            "all",
            Some(o.held == o.requested),
        ),
        row(
            "time to open them",
            Millis(c.open_time).to_string(),
            Millis(o.open_time).to_string(),
            times_less(c.open_time, o.open_time),
            "",
            None,
        ),
        row(
            "probe GET VAR p50",
            Millis(c.probe.latency.p50).to_string(),
            Millis(o.probe.latency.p50).to_string(),
            times_less(c.probe.latency.p50, o.probe.latency.p50),
            "well under 0.5 ms",
            Some(probe_clean && o.probe.latency.p50 < Duration::from_micros(250)),
        ),
        row(
            "probe GET VAR p99",
            Millis(c.probe.latency.p99).to_string(),
            Millis(o.probe.latency.p99).to_string(),
            times_less(c.probe.latency.p99, o.probe.latency.p99),
            "< 0.5 ms",
            Some(probe_clean && o.probe.latency.p99 < Duration::from_micros(500)),
        ),
        row(
            "server memory per idle client",
            bytes(c),
            bytes(o),
            String::new(),
            "≤ 2048 B",
            Some(o.bytes_per_client().is_some_and(|b| b <= 2048.0)),
        ),
        row(
            "sampled idle clients answered after",
            format!("{} of {}", c.sample_answered, c.sample_size),
            format!("{} of {}", o.sample_answered, o.sample_size),
            String::new(),
            "all",
            Some(o.sample_answered == o.sample_size),
        ),
    ]
}

fn burst_rows(c: &BurstReport, o: &BurstReport) -> Vec<Row> {
    let answered = |r: &BurstReport| {
        if r.failures.is_empty() {
            format!("{} of {}", r.answered, r.clients)
        } else {
            format!(
                "{} of {} ({})",
                r.answered,
                r.clients,
                outcomes(&r.failures)
            )
        }
    };
    let all = |r: &BurstReport| {
        r.all_answered_in()
            .map_or_else(|| "not all".to_owned(), |d| Millis(d).to_string())
    };
    vec![
        row(
            "clients answered",
            answered(c),
            answered(o),
            String::new(),
            "all",
            Some(o.answered == o.clients),
        ),
        row(
            "time until all answered",
            all(c),
            all(o),
            match (c.all_answered_in(), o.all_answered_in()) {
                (Some(cd), Some(od)) => times_less(cd, od),
                _ => String::new(),
            },
            "",
            None,
        ),
        row(
            "time to answer p50 / p99",
            format!("{} / {}", Millis(c.latency.p50), Millis(c.latency.p99)),
            format!("{} / {}", Millis(o.latency.p50), Millis(o.latency.p99)),
            String::new(),
            "",
            None,
        ),
        row(
            "clients stalled ≥ 1 s",
            c.stalled.to_string(),
            o.stalled.to_string(),
            String::new(),
            "0 (no stalls)",
            Some(o.stalled == 0 && o.answered == o.clients),
        ),
    ]
}

fn maxconn_rows(c: &MaxConnReport, o: &MaxConnReport) -> Vec<Row> {
    let admitted = |r: &MaxConnReport| match &r.admission_stop {
        None => format!("{}", r.admitted),
        Some(why) => format!("{} (then {why})", r.admitted),
    };
    let served_extra = |r: &MaxConnReport| r.extra.get("answered").copied().unwrap_or(0);
    let fresh = |r: &MaxConnReport| match &r.fresh_after_release {
        Ok(d) => Millis(*d).to_string(),
        Err(e) => format!("failed: {e}"),
    };
    vec![
        row(
            "clients admitted one by one",
            admitted(c),
            admitted(o),
            String::new(),
            "MAXCONN",
            Some(o.admitted == o.maxconn),
        ),
        row(
            "extra clients: outcome",
            outcomes(&c.extra),
            outcomes(&o.extra),
            String::new(),
            "none served",
            Some(served_extra(o) == 0),
        ),
        row(
            "admitted clients still served",
            format!(
                "{} of {} (max {})",
                c.still_served,
                c.admitted,
                Millis(c.still_served_latency.max)
            ),
            format!(
                "{} of {} (max {})",
                o.still_served,
                o.admitted,
                Millis(o.still_served_latency.max)
            ),
            String::new(),
            "all",
            Some(o.admitted > 0 && o.still_served == o.admitted),
        ),
        row(
            "new client once all left",
            fresh(c),
            fresh(o),
            String::new(),
            "served",
            Some(o.fresh_after_release.is_ok()),
        ),
    ]
}

/// The rows as a markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| case | metric | C upsd 2.8.0 | ours | ours vs C | target | |\n\
         | --- | --- | ---: | ---: | ---: | --- | --- |\n",
    );
    for r in rows {
        let cell = |s: &str| s.replace('|', "\\|");
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.case),
            cell(&r.metric),
            cell(&r.c),
            cell(&r.ours),
            cell(&r.ratio),
            cell(&r.target),
            r.verdict
        )
        .expect("write to String");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::LatencySummary;

    fn report(rate: u64, p50_us: u64) -> RequestReport {
        RequestReport {
            workload: Workload::ListVar,
            clients: 50,
            requests: rate,
            window: Duration::from_secs(1),
            latency: LatencySummary {
                count: rate,
                p50: Duration::from_micros(p50_us),
                p99: Duration::from_micros(p50_us * 2),
                max: Duration::from_micros(p50_us * 3),
                mean: Duration::from_micros(p50_us),
            },
            items_per_reply: 20,
            bytes_per_reply: 700,
            errors: Outcomes::new(),
            first_error: None,
            server_cpu: Some(Duration::from_millis(500)),
            client_cpu: None,
        }
    }

    #[test]
    fn list_var_verdicts() {
        let cfg = CompareConfig::default();
        let rows = rows(
            Case::ListVar,
            &cfg,
            &Outcome::Requests(report(1_000, 44_000)),
            &Outcome::Requests(report(50_000, 800)),
        );
        assert_eq!(rows[0].case, "LIST VAR, 50 clients");
        assert_eq!(rows[0].ratio, "50.00×");
        assert_eq!(rows[0].verdict, Verdict::Met);
        assert_eq!(rows[1].verdict, Verdict::Met);
        let table = markdown(&rows);
        assert!(table.contains("| requests/s | 1000 | 50000 | 50.00× | ≥ 40× C | met |"));
    }

    #[test]
    fn a_failed_side_is_reported() {
        let cfg = CompareConfig::default();
        let rows = rows(
            Case::GetVar,
            &cfg,
            &Outcome::Requests(report(1_000, 100)),
            &Outcome::Failed("start: no such file".into()),
        );
        assert_eq!(rows[0].verdict, Verdict::Missed);
        assert!(rows[0].ours.contains("no such file"));
        assert_eq!(rows[0].c, "1000");
        assert!(rows.iter().skip(1).all(|r| r.verdict == Verdict::None));
    }

    #[test]
    fn case_names_round_trip() {
        for case in Case::ALL {
            assert_eq!(Case::parse(case.name()), Some(case));
        }
        assert_eq!(Case::parse("nope"), None);
    }
}
