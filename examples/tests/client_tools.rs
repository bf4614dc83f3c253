//! Interop tests: our upsc, upscmd, upsrw and upslog against Debian's C versions, on the
//! same C upsd + C dummy-ups, compared byte for byte (stdout, stderr, exit code); and the
//! nut-client library exercised against C upsd for every command.

#[path = "client_tools/harness.rs"]
mod harness;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use harness::{have, run, CNut, Outcome};
use nut_client::proto::net::{ErrorCode, Request, Response};
use nut_client::{Client, ClientConfig, TrackingStatus};

const UPSC: &str = env!("CARGO_BIN_EXE_upsc");
const UPSCMD: &str = env!("CARGO_BIN_EXE_upscmd");
const UPSRW: &str = env!("CARGO_BIN_EXE_upsrw");
const UPSLOG: &str = env!("CARGO_BIN_EXE_upslog");

/// Runs the C tool and ours with the same arguments and input; they must agree exactly.
fn same(tool: &str, ours: &str, args: &[&str], stdin: &str) -> Outcome {
    let c = run(tool, args, stdin);
    let r = run(ours, args, stdin);
    assert_eq!(r, c, "{tool} {args:?}: ours (left) differs from C (right)");
    c
}

/// A port where nothing listens.
fn closed_port() -> String {
    format!("dummy@127.0.0.1:{}", harness::free_port())
}

#[test]
fn upsc_matches_c() {
    if !have(&["upsc"]) {
        return;
    }
    let Some(nut) = CNut::start() else { return };
    let dummy = nut.ups("dummy");
    let host = format!("127.0.0.1:{}", nut.port);
    let bad_name = format!("bad\"name@127.0.0.1:{}", nut.port);
    let at_host = format!("@127.0.0.1:{}", nut.port);
    let trailing = format!("{dummy}:");
    let refused = closed_port();
    let nosuch = nut.ups("nosuch");
    let cases: Vec<Vec<&str>> = vec![
        vec![&dummy],
        vec![&dummy, "ups.status"],
        vec![&dummy, "UPS.MFR"],
        vec![&dummy, "ups.nonexistent"],
        vec![&dummy, "oldstyle"],
        vec![&dummy, "ups.status", "extra"],
        vec![&nosuch],
        vec![&nosuch, "ups.status"],
        vec![&bad_name],
        vec![&at_host],
        vec![&trailing],
        vec![&refused],
        vec!["dummy@nonexistent.invalid"],
        vec!["dummy@"],
        vec!["dummy@[::1"],
        vec!["dummy@127.0.0.1:0"],
        vec!["-l", &host],
        vec!["-L", &host],
        vec!["-l", "127.0.0.1:abc"],
        vec!["-c", &dummy],
        vec!["-c", &nosuch],
        vec!["-lc", &dummy],
        vec![],
        vec!["-h"],
        vec!["-x"],
        vec!["-V"],
        vec!["--", &dummy, "ups.load"],
        // getopt without long options: `--help` is `-`, `-h`, `-e`, ...
        vec!["--help"],
        vec!["--version"],
        vec!["--list", &host],
        vec!["-l", "--", &host],
    ];
    for args in &cases {
        same("upsc", UPSC, args, "");
    }
    // Sanity: the comparison is not vacuous.
    let out = same("upsc", UPSC, &[&dummy, "ups.mfr"], "");
    assert_eq!(out.stdout, "Dummy Corp\n");
    assert_eq!(out.code, Some(0));
}

#[test]
fn upscmd_matches_c() {
    if !have(&["upscmd"]) {
        return;
    }
    let Some(nut) = CNut::start() else { return };
    let dummy = nut.ups("dummy");
    let nosuch = nut.ups("nosuch");
    let refused = closed_port();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-l", &dummy], ""),
        (vec!["-l", &nosuch], ""),
        (vec!["-u", "admin", "-p", "secret", &dummy, "load.off"], ""),
        (
            vec!["-u", "admin", "-p", "secret", &dummy, "load.off", "5"],
            "",
        ),
        (vec!["-u", "admin", "-p", "wrong", &dummy, "load.off"], ""),
        (vec!["-u", "mon", "-p", "pw", &dummy, "load.off"], ""),
        (vec!["-u", "nobody", "-p", "pw", &dummy, "load.off"], ""),
        (
            vec!["-u", "admin", "-p", "secret", &dummy, "no.such.cmd"],
            "",
        ),
        (vec!["-u", "admin", "-p", "secret", &dummy, "load"], ""),
        (vec!["-u", "admin", "-p", "secret", &nosuch, "load.off"], ""),
        (
            vec!["-u", "admin", "-p", "secret", &refused, "load.off"],
            "",
        ),
        (vec!["-u", "admin", "-p", "secret", &dummy], ""),
        (
            vec!["-w", "-u", "admin", "-p", "secret", &dummy, "load.off"],
            "",
        ),
        (vec!["-t", "abc", &dummy, "load.off"], ""),
        (vec!["-u"], ""),
        (vec![&dummy, "load.off"], "admin\nsecret\n"),
        (vec![&dummy, "load.off"], "\nsecret\n"),
        (vec![&dummy, "load.off"], "admin\n"),
        (vec![&dummy, "load.off"], ""),
        (vec![], ""),
        (vec!["-h"], ""),
        (vec!["-V"], ""),
    ];
    for (args, input) in &cases {
        same("upscmd", UPSCMD, args, input);
    }
    let out = same("upscmd", UPSCMD, &["-l", &dummy], "");
    assert!(out
        .stdout
        .starts_with("Instant commands supported on UPS [dummy"));
}

#[test]
fn upsrw_matches_c() {
    if !have(&["upsrw"]) {
        return;
    }
    let Some(nut) = CNut::start() else { return };
    let dummy = nut.ups("dummy");
    let nosuch = nut.ups("nosuch");
    let refused = closed_port();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&dummy], ""),
        (vec!["-l", &dummy], ""),
        (vec![&nosuch], ""),
        (vec![&refused], ""),
        (
            vec!["-s", "ups.mfr=Acme", "-u", "admin", "-p", "secret", &dummy],
            "",
        ),
        (
            vec!["-s", "ups.mfr=Acme", "-u", "admin", "-p", "wrong", &dummy],
            "",
        ),
        (
            vec!["-s", "ups.mfr=Acme", "-u", "mon", "-p", "pw", &dummy],
            "",
        ),
        (
            vec!["-s", "ups.nope=1", "-u", "admin", "-p", "secret", &dummy],
            "",
        ),
        (
            vec!["-s", "nodot=1", "-u", "admin", "-p", "secret", &dummy],
            "",
        ),
        (
            vec!["-s", "ups.mfr=Acme", "-u", "admin", "-p", "secret", &nosuch],
            "",
        ),
        (
            vec![
                "-w",
                "-s",
                "ups.mfr=Acme",
                "-u",
                "admin",
                "-p",
                "secret",
                &dummy,
            ],
            "",
        ),
        (vec!["-s", "battery.charge", &dummy], "admin\nsecret\n42\n"),
        (vec!["-s", "x", "-l", &dummy], ""),
        (vec![], ""),
        (vec!["-h"], ""),
        (vec!["-V"], ""),
    ];
    for (args, input) in &cases {
        same("upsrw", UPSRW, args, input);
    }
    let out = same("upsrw", UPSRW, &[&dummy], "");
    assert!(out.stdout.contains("[ups.mfr]\n"), "{}", out.stdout);
}

/// Starts an upslog logging to stdout and returns its first `lines` lines of stdout.
fn upslog_lines(program: &str, args: &[&str], lines: usize) -> Vec<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start upslog");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut out = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        out.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

#[test]
fn upslog_matches_c() {
    if !have(&["upslog"]) {
        return;
    }
    let Some(nut) = CNut::start() else { return };
    let dummy = nut.ups("dummy");
    for args in [
        vec!["-h"],
        vec!["--version"],
        vec!["--help"],
        vec![],
        vec!["-s", &dummy],
        vec!["-l", "-"],
        vec!["a", "b"],
        vec!["-V"],
    ] {
        same("upslog", UPSLOG, &args, "");
    }
    let pid_dir = harness::TempDir::new("upslog");
    let pid = pid_dir.0.join("upslog.pid");
    let pid = pid.to_str().unwrap();
    let format = "x %VAR ups.status% %UPSHOST% %VAR ups.nope% %VAR bad% %FOO% %% \
                  %TIME @Y@m@d% tail %VAR ups.load";
    let args = ["-s", &dummy, "-l", "-", "-i", "1", "-p", pid, "-f", format];
    let c = upslog_lines("upslog", &args, 3);
    let ours = upslog_lines(UPSLOG, &args, 3);
    assert_eq!(c.len(), 3, "{c:?}");
    assert_eq!(ours, c);
    assert!(c[2].starts_with("x OL "), "{c:?}");
    // Old-style arguments: <system> <logfile> <interval> <format words...>.
    // (`-p` first: no test writes a PID file outside its own folder.)
    let old = [
        "-p",
        pid,
        dummy.as_str(),
        "-",
        "1",
        "%VAR",
        "ups.mfr%",
        "%UPSHOST%",
    ];
    assert_eq!(
        upslog_lines(UPSLOG, &old, 3),
        upslog_lines("upslog", &old, 3)
    );
}

#[test]
fn upslog_several_ups_and_sighup() {
    let Some(nut) = CNut::start() else { return };
    let dir = harness::TempDir::new("upslog-m");
    let log_a = dir.0.join("a.log");
    let log_b = dir.0.join("b.log");
    let pid = dir.0.join("upslog.pid");
    let tuple_a = format!("{},{}", nut.ups("dummy"), log_a.display());
    let tuple_b = format!("{},{}", nut.ups("other"), log_b.display());
    let mut child = Command::new(UPSLOG)
        .args([
            "-F",
            "-i",
            "1",
            "-u",
            "root",
            "-f",
            "%UPSHOST% %VAR ups.status%",
        ])
        .args(["-p", pid.to_str().unwrap(), "-m", &tuple_a, "-m", &tuple_b])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start upslog");
    let wait_for = |path: &std::path::Path, want: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            if text.contains(want) {
                return text;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{want:?} not in {text:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for(&log_a, &format!("{} OL\n", nut.ups("dummy")));
    wait_for(&log_b, &format!("{} OL\n", nut.ups("other")));
    // Rotate a.log away; after SIGHUP upslog writes to a new a.log.
    let rotated = dir.0.join("a.log.1");
    std::fs::rename(&log_a, &rotated).unwrap();
    let pid_num = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid_num, nix::sys::signal::Signal::SIGHUP).unwrap();
    wait_for(&log_a, "OL\n");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_against_c_upsd() {
    let Some(nut) = tokio::task::spawn_blocking(CNut::start).await.unwrap() else {
        return;
    };
    let client = Client::connect(ClientConfig::new("127.0.0.1", nut.port))
        .await
        .unwrap();
    assert!(client.server_version().await.unwrap().contains("upsd"));
    assert_eq!(client.protocol_version().await.unwrap(), "1.3");
    assert!(client.help().await.unwrap().starts_with("Commands:"));
    assert_eq!(client.get_var("dummy", "ups.status").await.unwrap(), "OL");
    assert!(client.status("dummy").await.unwrap().is_online());
    let charge = client.get_var("dummy", "battery.charge").await.unwrap();
    assert_eq!(charge.as_f64(), Some(100.0));
    let err = client.get_var("dummy", "ups.nope").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::VarNotSupported));
    let err = client.get_var("nosuch", "ups.status").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UnknownUps));
    let t = client.get_type("dummy", "ups.mfr").await.unwrap();
    assert!(t.rw);
    assert!(!client
        .get_desc("dummy", "ups.load")
        .await
        .unwrap()
        .is_empty());
    assert!(!client
        .get_cmd_desc("dummy", "load.off")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(client.get_ups_desc("dummy").await.unwrap(), "Test UPS");
    assert_eq!(client.get_num_logins("dummy").await.unwrap(), 0);
    let upses = client.list_ups().await.unwrap();
    assert_eq!(upses.len(), 2);
    let vars = client.list_vars("dummy").await.unwrap();
    assert!(vars.iter().any(|v| v.name.as_str() == "ups.load"));
    assert!(!client.list_rw("dummy").await.unwrap().is_empty());
    assert!(client
        .list_cmds("dummy")
        .await
        .unwrap()
        .iter()
        .any(|c| c.as_str() == "load.off"));
    assert!(client
        .list_enum("dummy", "ups.mfr")
        .await
        .unwrap()
        .is_empty());
    assert!(client
        .list_range("dummy", "ups.load")
        .await
        .unwrap()
        .is_empty());
    let var = client.variable("dummy", "ups.mfr").await.unwrap();
    assert_eq!(var.value, "Dummy Corp");
    assert_eq!(var.max_len(), Some(32));
    // Raw requests keep ERR as a reply.
    let reply = client
        .request(Request::GetVar {
            ups: "nosuch".try_into().unwrap(),
            var: "ups.status".try_into().unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(reply, Response::err(ErrorCode::UnknownUps));

    // Without credentials: the commands that need them are refused.
    let err = client.login("dummy").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UsernameRequired));

    // A primary session.
    let admin = Client::connect(
        ClientConfig::builder("127.0.0.1")
            .port(nut.port)
            .credentials("admin", "secret")
            .build(),
    )
    .await
    .unwrap();
    admin.login("dummy").await.unwrap();
    assert_eq!(
        admin.login("dummy").await.unwrap_err().code(),
        Some(&ErrorCode::AlreadyLoggedIn)
    );
    assert_eq!(
        admin.primary("dummy").await.unwrap(),
        nut_client::Grant::Primary,
        "PRIMARY, not MASTER"
    );
    assert_eq!(client.get_num_logins("dummy").await.unwrap(), 1);
    assert_eq!(client.list_clients("dummy").await.unwrap().len(), 1);
    assert_eq!(
        admin.set_var("dummy", "ups.mfr", "Acme").await.unwrap(),
        None
    );
    assert_eq!(
        admin
            .set_var("dummy", "ups.nope", "1")
            .await
            .unwrap_err()
            .code(),
        Some(&ErrorCode::VarNotSupported)
    );
    assert_eq!(
        admin.instcmd("dummy", "load.off", None).await.unwrap(),
        None
    );
    assert_eq!(
        admin
            .instcmd("dummy", "no.such", None)
            .await
            .unwrap_err()
            .code(),
        Some(&ErrorCode::CmdNotSupported)
    );
    // Tracking: SET is carried out by dummy-ups, INSTCMD is not supported by it.
    admin.set_tracking(true).await.unwrap();
    assert!(admin.tracking_enabled().await.unwrap());
    let done = admin
        .set_var_wait("dummy", "ups.mfr", "Tracked", Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(done, TrackingStatus::Success);
    let done = admin
        .instcmd_wait("dummy", "load.off", None, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(done, TrackingStatus::Failed(ErrorCode::Unknown));
    // The driver takes the value after a poll; wait for it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while client.get_var("dummy", "ups.mfr").await.unwrap() != "Tracked" {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // FSD from the primary; ups.status shows it.
    admin.fsd("dummy").await.unwrap();
    assert!(client.status("dummy").await.unwrap().is_forced_shutdown());
    // A secondary may not set FSD.
    let mon = Client::connect(
        ClientConfig::builder("127.0.0.1")
            .port(nut.port)
            .credentials("mon", "pw")
            .build(),
    )
    .await
    .unwrap();
    mon.login("other").await.unwrap();
    assert_eq!(
        mon.fsd("other").await.unwrap_err().code(),
        Some(&ErrorCode::AccessDenied)
    );
    admin.logout().await.unwrap();
    let err = admin.get_var("dummy", "ups.status").await.unwrap_err();
    assert!(err.is_transport(), "{err:?}");

    // Many concurrent requests from clones share the connection.
    let gets = (0..50).map(|_| {
        let c = client.clone();
        async move { c.get_var("dummy", "ups.load").await }
    });
    for value in futures_util::future::join_all(gets).await {
        assert_eq!(value.unwrap(), "25");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_against_c_upsd_without_certificate() {
    use nut_client::{TlsConfig, TlsMode};
    let Some(nut) = tokio::task::spawn_blocking(CNut::start).await.unwrap() else {
        return;
    };
    // Debian's upsd (NSS build) has no certificate configured: opportunistic TLS goes on
    // in plain text, required TLS fails with a clear error.
    let config = ClientConfig::builder("127.0.0.1")
        .port(nut.port)
        .tls(TlsConfig::insecure())
        .tls_mode(TlsMode::Opportunistic)
        .build();
    let client = Client::connect(config).await.unwrap();
    assert!(!client.is_tls());
    assert_eq!(client.get_var("dummy", "ups.status").await.unwrap(), "OL");
    let config = ClientConfig::builder("127.0.0.1")
        .port(nut.port)
        .tls(TlsConfig::insecure())
        .build();
    let err = Client::connect(config).await.unwrap_err();
    assert!(
        matches!(err, nut_client::Error::TlsUnavailable(ref r) if r == "ERR FEATURE-NOT-CONFIGURED"),
        "{err:?}"
    );
}
