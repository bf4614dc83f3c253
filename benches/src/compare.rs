//! The side-by-side comparison: every case against C upsd and against ours, in one run, over
//! one C dummy-ups driver, and a markdown table of the figures with the ratio.
//!
//! Each case gets a fresh upsd process of each kind (so memory and CPU figures start from the
//! same state). A case yields [`Figure`]s per round; [`crate::rounds`] turns the rounds'
//! figures into [`Row`]s and [`markdown`] into the table.

use std::fmt::Write as _;
use std::io;
use std::time::Duration;

use crate::figure::{Better, Cell, Figure, Judge, Unit, Verdict};
use crate::load::{
    connect_burst, idle_hold, maxconn_check, request_load, Burst, BurstReport, IdleHold,
    IdleReport, MaxConnCheck, MaxConnReport, Millis, Outcomes, RequestLoad, RequestReport, Target,
    Workload,
};
use crate::servers::{Sandbox, UpsdProcess, UpsdSpec};

/// The metric of the throughput rows of GET VAR and LIST VAR.
pub const THROUGHPUT: &str = "requests/s";

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

/// The figures of one case in one round, comparing C's outcome with ours.
pub fn figures(case: Case, c: &Outcome, ours: &Outcome) -> Vec<Figure> {
    match (c, ours) {
        (Outcome::Failed(c), Outcome::Failed(o)) => vec![Figure::given(
            "outcome",
            Cell::Failed(c.clone()),
            Cell::Failed(o.clone()),
            Better::NoRatio,
            "",
            Some(false),
        )],
        // One side failed: show the other side's figures, judge only what needs no ratio.
        (Outcome::Failed(why), _) => one_sided(case, ours, why, true),
        (_, Outcome::Failed(why)) => one_sided(case, c, why, false),
        (Outcome::Requests(c), Outcome::Requests(o)) => request_figures(case, c, o),
        (Outcome::Idle(c), Outcome::Idle(o)) => idle_figures(c, o),
        (Outcome::Burst(c), Outcome::Burst(o)) => burst_figures(c, o),
        (Outcome::MaxConn(c), Outcome::MaxConn(o)) => maxconn_figures(c, o),
        _ => unreachable!("both sides ran the same case"),
    }
}

/// Figures of a case that only one side completed: `ran` is that side's outcome, `why` the
/// other's failure.
fn one_sided(case: Case, ran: &Outcome, why: &str, ours_ran: bool) -> Vec<Figure> {
    let mut figures = figures(case, ran, ran);
    for (i, f) in figures.iter_mut().enumerate() {
        let blank = if i == 0 {
            Cell::Failed(why.to_owned())
        } else {
            Cell::Blank
        };
        if ours_ran {
            f.c = blank;
            if matches!(f.judge, Judge::TimesC(_)) {
                f.verdict = Verdict::None;
            }
        } else {
            f.ours = blank;
            f.clean = true;
            f.verdict = if i == 0 {
                Verdict::Missed
            } else {
                Verdict::None
            };
        }
    }
    figures
}

/// The title of `case`'s first row.
pub fn case_title(case: Case, cfg: &CompareConfig) -> String {
    match case {
        Case::GetVar => format!("GET VAR, {} clients", cfg.clients),
        Case::ListVar => format!("LIST VAR, {} clients", cfg.clients),
        Case::Idle => format!("{} idle clients", cfg.idle),
        Case::Burst => format!("burst of {} connects", cfg.burst),
        Case::MaxConn => format!("MAXCONN {} + {} more", cfg.maxconn, cfg.maxconn_extra),
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn count(n: usize) -> Cell {
    Cell::Num(n as f64, Unit::Count)
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

fn request_figures(case: Case, c: &RequestReport, o: &RequestReport) -> Vec<Figure> {
    let clean = o.errors.is_empty() && o.requests > 0;
    let list = case == Case::ListVar;
    let p50 = if list {
        Figure::judged(
            "latency p50",
            Cell::millis(c.latency.p50),
            Cell::millis(o.latency.p50),
            Better::Less,
            "< 1 ms",
            Judge::Below(0.001),
            clean,
        )
    } else {
        Figure::given(
            "latency p50",
            Cell::millis(c.latency.p50),
            Cell::millis(o.latency.p50),
            Better::Less,
            "",
            None,
        )
    };
    let p99 = Figure::given(
        "latency p99",
        Cell::millis(c.latency.p99),
        Cell::millis(o.latency.p99),
        Better::Less,
        "",
        None,
    );
    let throughput = |target: &str, ratio_needed: f64| {
        Figure::judged(
            THROUGHPUT,
            Cell::Num(c.rate(), Unit::Rate),
            Cell::Num(o.rate(), Unit::Rate),
            Better::More,
            target,
            Judge::TimesC(ratio_needed),
            clean,
        )
    };
    let throughput = if list {
        throughput("≥ 40× C", 40.0)
    } else {
        // Issue #18: GET VAR at least as fast as C, with no worse latency.
        throughput("≥ 1.0× C, p50 and p99 ≤ C", 1.0).and_no_worse_than_c(&[&p50, &p99])
    };
    // The shape around the median: two servers with the same mean can have very different
    // medians (a tight hump against two humps, fast and slow).
    let spread = |name: &'static str, c: Duration, o: Duration| {
        Figure::given(
            name,
            Cell::millis(c),
            Cell::millis(o),
            Better::Less,
            "",
            None,
        )
    };
    let mut figures = vec![
        throughput,
        p50,
        p99,
        spread("latency p10", c.latency.p10, o.latency.p10),
        spread("latency p90", c.latency.p90, o.latency.p90),
        spread("latency mean", c.latency.mean, o.latency.mean),
    ];
    if let (Some(cc), Some(oc)) = (c.cpu_per_request(), o.cpu_per_request()) {
        figures.push(Figure::given(
            "server CPU per request",
            Cell::micros(cc),
            Cell::micros(oc),
            Better::Less,
            "",
            None,
        ));
    }
    if let (Some(cc), Some(oc)) = (c.client_cpu_per_request(), o.client_cpu_per_request()) {
        figures.push(Figure::given(
            "load generator CPU per request",
            Cell::micros(cc),
            Cell::micros(oc),
            Better::NoRatio,
            "",
            None,
        ));
    }
    figures.push(Figure::given(
        "variables / bytes per reply",
        text(format!("{} / {}", c.items_per_reply, c.bytes_per_reply)),
        text(format!("{} / {}", o.items_per_reply, o.bytes_per_reply)),
        Better::NoRatio,
        if list { "20 variables" } else { "" },
        list.then_some(o.items_per_reply == 20 && c.items_per_reply == 20),
    ));
    figures.push(Figure::given(
        "clients stopped by an error",
        text(errors(c)),
        text(errors(o)),
        Better::NoRatio,
        "0",
        Some(o.errors.is_empty()),
    ));
    figures
}

fn idle_figures(c: &IdleReport, o: &IdleReport) -> Vec<Figure> {
    let held = |r: &IdleReport| {
        if r.open_failures.is_empty() {
            text(format!("{} of {}", r.held, r.requested))
        } else {
            text(format!(
                "{} of {} ({})",
                r.held,
                r.requested,
                outcomes(&r.open_failures)
            ))
        }
    };
    let bytes = |r: &IdleReport| {
        r.bytes_per_client()
            .map_or_else(|| text("n/a"), |b| Cell::Num(b, Unit::Bytes))
    };
    let probe_clean = o.probe.errors.is_empty() && o.probe.requests > 0;
    vec![
        Figure::given(
            "idle clients held",
            held(c),
            held(o),
            Better::NoRatio,
            "all",
            Some(o.held == o.requested),
        ),
        Figure::given(
            "time to open them",
            Cell::millis(c.open_time),
            Cell::millis(o.open_time),
            Better::Less,
            "",
            None,
        ),
        Figure::judged(
            "probe GET VAR p50",
            Cell::millis(c.probe.latency.p50),
            Cell::millis(o.probe.latency.p50),
            Better::Less,
            "well under 0.5 ms",
            Judge::Below(0.000_250),
            probe_clean,
        ),
        Figure::judged(
            "probe GET VAR p99",
            Cell::millis(c.probe.latency.p99),
            Cell::millis(o.probe.latency.p99),
            Better::Less,
            "< 0.5 ms",
            Judge::Below(0.000_500),
            probe_clean,
        ),
        Figure::judged(
            "server memory per idle client",
            bytes(c),
            bytes(o),
            Better::NoRatio,
            "≤ 2048 B",
            Judge::AtMost(2048.0),
            true,
        ),
        Figure::given(
            "sampled idle clients answered after",
            text(format!("{} of {}", c.sample_answered, c.sample_size)),
            text(format!("{} of {}", o.sample_answered, o.sample_size)),
            Better::NoRatio,
            "all",
            Some(o.sample_answered == o.sample_size),
        ),
    ]
}

fn burst_figures(c: &BurstReport, o: &BurstReport) -> Vec<Figure> {
    let answered = |r: &BurstReport| {
        if r.failures.is_empty() {
            text(format!("{} of {}", r.answered, r.clients))
        } else {
            text(format!(
                "{} of {} ({})",
                r.answered,
                r.clients,
                outcomes(&r.failures)
            ))
        }
    };
    let all = |r: &BurstReport| {
        r.all_answered_in()
            .map_or_else(|| text("not all"), Cell::millis)
    };
    vec![
        Figure::given(
            "clients answered",
            answered(c),
            answered(o),
            Better::NoRatio,
            "all",
            Some(o.answered == o.clients),
        ),
        Figure::given(
            "time until all answered",
            all(c),
            all(o),
            Better::Less,
            "",
            None,
        ),
        Figure::given(
            "time to answer p50 / p99",
            text(format!(
                "{} / {}",
                Millis(c.latency.p50),
                Millis(c.latency.p99)
            )),
            text(format!(
                "{} / {}",
                Millis(o.latency.p50),
                Millis(o.latency.p99)
            )),
            Better::NoRatio,
            "",
            None,
        ),
        Figure::judged(
            "clients stalled ≥ 1 s",
            count(c.stalled),
            count(o.stalled),
            Better::NoRatio,
            "0 (no stalls)",
            Judge::AtMost(0.0),
            o.answered == o.clients,
        ),
    ]
}

fn maxconn_figures(c: &MaxConnReport, o: &MaxConnReport) -> Vec<Figure> {
    let admitted = |r: &MaxConnReport| match &r.admission_stop {
        None => text(format!("{}", r.admitted)),
        Some(why) => text(format!("{} (then {why})", r.admitted)),
    };
    let served_extra = |r: &MaxConnReport| r.extra.get("answered").copied().unwrap_or(0);
    let fresh = |r: &MaxConnReport| match &r.fresh_after_release {
        Ok(d) => Cell::millis(*d),
        Err(e) => text(format!("failed: {e}")),
    };
    let still = |r: &MaxConnReport| {
        text(format!(
            "{} of {} (max {})",
            r.still_served,
            r.admitted,
            Millis(r.still_served_latency.max)
        ))
    };
    vec![
        Figure::given(
            "clients admitted one by one",
            admitted(c),
            admitted(o),
            Better::NoRatio,
            "MAXCONN",
            Some(o.admitted == o.maxconn),
        ),
        Figure::given(
            "extra clients: outcome",
            text(outcomes(&c.extra)),
            text(outcomes(&o.extra)),
            Better::NoRatio,
            "none served",
            Some(served_extra(o) == 0),
        ),
        Figure::given(
            "admitted clients still served",
            still(c),
            still(o),
            Better::NoRatio,
            "all",
            Some(o.admitted > 0 && o.still_served == o.admitted),
        ),
        Figure::given(
            "new client once all left",
            fresh(c),
            fresh(o),
            Better::NoRatio,
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
                ..LatencySummary::default()
            },
            items_per_reply: 20,
            bytes_per_reply: 700,
            errors: Outcomes::new(),
            first_error: None,
            server_cpu: Some(Duration::from_millis(500)),
            client_cpu: None,
        }
    }

    fn table(case: Case, c: &Outcome, ours: &Outcome) -> Vec<Row> {
        let title = case_title(case, &CompareConfig::default());
        crate::rounds::rows(&title, &[figures(case, c, ours)])
    }

    #[test]
    fn list_var_verdicts() {
        let rows = table(
            Case::ListVar,
            &Outcome::Requests(report(1_000, 44_000)),
            &Outcome::Requests(report(50_000, 800)),
        );
        assert_eq!(rows[0].case, "LIST VAR, 50 clients");
        assert_eq!(rows[0].ratio, "50.00×");
        assert_eq!(rows[0].verdict, Verdict::Met);
        assert_eq!(rows[1].verdict, Verdict::Met);
        let table = markdown(&rows);
        assert!(table.contains("| requests/s | 1000 | 50000 | 50.00× | ≥ 40× C | met |"));
        assert!(
            table.contains("| latency p50 | 44.0 ms | 0.800 ms | 55.00× lower | < 1 ms | met |")
        );
        assert!(
            table.contains("| server CPU per request | 500.0 µs | 10.0 µs | 50.00× lower |  |  |")
        );
    }

    #[test]
    fn get_var_verdicts() {
        let get_var = |rate, p50_us| {
            let mut r = report(rate, p50_us);
            r.workload = Workload::GetVar;
            r.items_per_reply = 1;
            Outcome::Requests(r)
        };
        let c = get_var(1_000, 100);
        // As fast as C, with the same latency: met.
        let rows = table(Case::GetVar, &c, &get_var(1_000, 100));
        assert_eq!(rows[0].case, "GET VAR, 50 clients");
        assert_eq!(rows[0].verdict, Verdict::Met);
        assert!(markdown(&rows)
            .contains("| requests/s | 1000 | 1000 | 1.00× | ≥ 1.0× C, p50 and p99 ≤ C | met |"));
        // Faster, but with a worse p50 and p99: missed.
        let rows = table(Case::GetVar, &c, &get_var(2_000, 110));
        assert_eq!(rows[0].ratio, "2.00×");
        assert_eq!(rows[0].verdict, Verdict::Missed);
        // Better latency, but below C's throughput: missed.
        let rows = table(Case::GetVar, &c, &get_var(999, 50));
        assert_eq!(rows[0].verdict, Verdict::Missed);
    }

    #[test]
    fn a_failed_side_is_reported() {
        let rows = table(
            Case::GetVar,
            &Outcome::Requests(report(1_000, 100)),
            &Outcome::Failed("start: no such file".into()),
        );
        assert_eq!(rows[0].verdict, Verdict::Missed);
        assert!(rows[0].ours.contains("no such file"));
        assert_eq!(rows[0].c, "1000");
        assert!(rows.iter().skip(1).all(|r| r.verdict == Verdict::None));
        assert!(rows.iter().skip(1).all(|r| r.ours.is_empty()));
    }

    #[test]
    fn a_failed_c_leaves_ours_judged_without_ratios() {
        let rows = table(
            Case::ListVar,
            &Outcome::Failed("start: no such file".into()),
            &Outcome::Requests(report(50_000, 800)),
        );
        assert_eq!(rows[0].c, "failed: start: no such file");
        assert_eq!(rows[0].ours, "50000");
        assert_eq!(rows[0].ratio, "");
        assert_eq!(rows[0].verdict, Verdict::None);
        assert_eq!(rows[1].c, "");
        assert_eq!(rows[1].verdict, Verdict::Met);
    }

    #[test]
    fn both_failed() {
        let rows = table(
            Case::Idle,
            &Outcome::Failed("a".into()),
            &Outcome::Failed("b".into()),
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].c.as_str(), rows[0].ours.as_str()),
            ("failed: a", "failed: b")
        );
        assert_eq!(rows[0].verdict, Verdict::Missed);
    }

    #[test]
    fn case_names_round_trip() {
        for case in Case::ALL {
            assert_eq!(Case::parse(case.name()), Some(case));
        }
        assert_eq!(Case::parse("nope"), None);
    }
}
