//! The load harness against a tiny fake upsd (always), and against C NUT's upsd over C
//! dummy-ups (with `NUT_RS_INTEROP=1`, as root, when C NUT is installed). Loads are tiny:
//! this checks that the harness works, not how fast anything is.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use nut_benches::load::{
    connect_burst, idle_hold, maxconn_check, request_load, Burst, IdleHold, MaxConnCheck,
    RequestLoad, Target, Workload,
};
use nut_benches::servers::{Sandbox, SandboxConfig, UpsdSpec};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A fake upsd for UPS `bench` with 20 variables; at most `maxconn` clients are accepted at
/// a time, the others wait in the backlog (as nut-server does).
async fn fake_upsd(maxconn: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let permits = Arc::new(Semaphore::new(maxconn));
    tokio::spawn(async move {
        loop {
            let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let _permit = permit;
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply = match line.as_str() {
                        "GET VAR bench ups.status" => "VAR bench ups.status \"OL\"\n".to_owned(),
                        "LIST VAR bench" => {
                            let mut r = String::from("BEGIN LIST VAR bench\n");
                            for i in 0..20 {
                                r.push_str(&format!("VAR bench test.var{i} \"{i}\"\n"));
                            }
                            r + "END LIST VAR bench\n"
                        }
                        _ => "ERR UNKNOWN-COMMAND\n".to_owned(),
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

fn target(addr: SocketAddr) -> Target {
    Target::new(addr, "bench", "ups.status").unwrap()
}

fn small(workload: Workload) -> RequestLoad {
    RequestLoad {
        workload,
        clients: 3,
        duration: Duration::from_millis(200),
        warmup: Duration::from_millis(50),
        server_pid: Some(std::process::id()),
    }
}

#[tokio::test]
async fn request_loads() {
    let addr = fake_upsd(100).await;
    let get = request_load(&target(addr), &small(Workload::GetVar))
        .await
        .unwrap();
    assert!(get.requests > 0, "{get:?}");
    assert!(get.errors.is_empty(), "{get:?}");
    assert_eq!(get.items_per_reply, 1);
    assert_eq!(get.bytes_per_reply, "VAR bench ups.status \"OL\"\n".len());
    assert!(get.rate() > 0.0 && get.latency.p50 <= get.latency.p99);
    assert!(get.server_cpu.is_some());

    let list = request_load(&target(addr), &small(Workload::ListVar))
        .await
        .unwrap();
    assert!(list.requests > 0 && list.errors.is_empty(), "{list:?}");
    assert_eq!(list.items_per_reply, 20);
}

#[tokio::test]
async fn an_err_reply_stops_the_client() {
    let addr = fake_upsd(100).await;
    let wrong = Target::new(addr, "other", "ups.status").unwrap();
    let err = request_load(&wrong, &small(Workload::GetVar))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("UNKNOWN-COMMAND"), "{err}");
}

#[tokio::test]
async fn idle_hold_and_burst() {
    let addr = fake_upsd(1_000).await;
    let idle = idle_hold(
        &target(addr),
        &IdleHold {
            idle: 40,
            probe: Duration::from_millis(100),
            settle: Duration::ZERO,
            sample: 10,
            server_pid: Some(std::process::id()),
            ..IdleHold::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(idle.held, 40, "{idle:?}");
    assert_eq!((idle.sample_answered, idle.sample_size), (10, 10));
    assert!(idle.probe.requests > 0);
    assert!(idle.bytes_per_client().is_some());

    let burst = connect_burst(
        &target(addr),
        &Burst {
            clients: 50,
            timeout: Duration::from_secs(20),
        },
    )
    .await
    .unwrap();
    assert_eq!(burst.answered, 50, "{burst:?}");
    assert!(burst.all_answered_in().is_some());
}

#[tokio::test]
async fn maxconn_is_observed() {
    let addr = fake_upsd(4).await;
    let report = maxconn_check(
        &target(addr),
        &MaxConnCheck {
            maxconn: 4,
            extra: 2,
            answer_timeout: Duration::from_millis(300),
        },
    )
    .await
    .unwrap();
    assert_eq!(report.admitted, 4, "{report:?}");
    assert_eq!(report.extra.get("no answer"), Some(&2), "{report:?}");
    assert_eq!(report.still_served, 4);
    assert!(report.fresh_after_release.is_ok(), "{report:?}");
}

/// C upsd over C dummy-ups, as nut-compare runs them.
#[test]
fn c_upsd_in_a_sandbox() {
    let installed = std::path::Path::new("/lib/nut/upsd").exists()
        && std::path::Path::new("/lib/nut/dummy-ups").exists();
    if std::env::var_os("NUT_RS_INTEROP").is_none()
        || !installed
        || !nix::unistd::geteuid().is_root()
    {
        eprintln!("skipped: needs NUT_RS_INTEROP=1, root and C NUT in /lib/nut");
        return;
    }
    let sandbox = Sandbox::new(&SandboxConfig::default()).unwrap();
    let server = sandbox
        .start_upsd(&UpsdSpec::c("/lib/nut/upsd"), 50)
        .unwrap();
    let rt = nut_benches::load::runtime(1).unwrap();
    let mut cfg = small(Workload::ListVar);
    cfg.server_pid = Some(server.pid());
    let report = rt
        .block_on(request_load(&target(server.addr), &cfg))
        .unwrap();
    assert_eq!(report.items_per_reply, 20, "{report:?}");
    assert!(report.errors.is_empty(), "{report:?}");
}
