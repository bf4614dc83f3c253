//! The web-load measurement, tiny: nut-bench-upsd (nut-server embedded, with `http`) over C
//! dummy-ups, one run of each condition with a few clients; checks that every figure is
//! there, not how fast anything is. Skipped when C's dummy-ups is absent (fails then under
//! NUT_RS_INTEROP=1).

use std::path::Path;
use std::time::Duration;

use nut_benches::load::{RequestLoad, Target, Workload};
use nut_benches::servers::{Sandbox, SandboxConfig, UpsdSpec};
use nut_benches::web_load::http::HttpLoad;
use nut_benches::web_load::{markdown, run_all, Condition, WebLoadConfig};

const DRIVER: &str = "/lib/nut/dummy-ups";

#[test]
fn web_load_gives_every_figure() {
    if !Path::new(DRIVER).exists() {
        assert!(
            std::env::var_os("NUT_RS_INTEROP").is_none(),
            "NUT_RS_INTEROP=1 but {DRIVER} is missing"
        );
        eprintln!("skipped: {DRIVER} is missing (apt-get install nut-server)");
        return;
    }
    let sandbox = Sandbox::new(&SandboxConfig {
        changing: true,
        ..SandboxConfig::default()
    })
    .unwrap();
    let mut spec = UpsdSpec::ours(env!("CARGO_BIN_EXE_nut-bench-upsd"));
    spec.args.clear();
    spec.drops_privileges = false;
    spec.http = true;
    let server = sandbox.start_upsd(&spec, 200).unwrap();
    let target = Target::new(server.addr, sandbox.ups(), "ups.status").unwrap();
    let cfg = WebLoadConfig {
        get_var: RequestLoad {
            workload: Workload::GetVar,
            clients: 4,
            duration: Duration::from_millis(1500),
            warmup: Duration::from_millis(300),
            server_pid: None,
        },
        http: HttpLoad {
            pollers: 3,
            subscribers: 20,
        },
        runs: 1,
    };
    let rt = nut_benches::load::runtime(1).unwrap();
    let runs = run_all(&rt, &server, &target, &cfg, |_| {}).unwrap();

    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].condition, Condition::Alone);
    assert!(runs[0].http.is_none());
    for run in &runs {
        let r = &run.get_var;
        assert!(r.requests > 0 && r.errors.is_empty(), "{r:?}");
        assert!(
            r.server_cpu.is_some() && run.generator_cpu.is_some(),
            "{run:?}"
        );
    }
    let web = runs[1].http.as_ref().expect("figures of the web load");
    assert_eq!(web.events.len(), 20, "{web:?}");
    assert!(web.polls > 0 && web.poll_errors.is_empty(), "{web:?}");
    assert!(
        web.dropped.is_empty() && web.first_error.is_none(),
        "{web:?}"
    );
    assert!(web.cpu.is_some() && web.latency.p50 <= web.latency.p99);

    let table = markdown(&runs);
    for figure in [
        "GET VAR requests/s",
        "GET VAR p50",
        "GET VAR p99",
        "server CPU per GET VAR",
        "API polls/s",
        "API poll p50",
        "SSE events per subscriber",
        "fell behind",
        "dropped",
        "CPU in use",
        "run 2 (b)",
    ] {
        assert!(table.contains(figure), "no {figure:?} in\n{table}");
    }
    eprintln!("{table}");
}
