//! Interop test of dummy-ups in repeater mode: C upsd over C dummy-ups (a .dev file) is the
//! remote; our dummy-ups repeats it (`port = ups@127.0.0.1:PORT`) under a second C upsd.
//! C's `upsc`, `upsrw` and `upscmd -l` must show the same device on both (only `driver.*`
//! lines differ, by design); `upsrw -s` and `upscmd` through the repeater reach the remote
//! driver; when the remote upsd dies the repeated data goes stale, and it comes back when
//! the remote upsd is started again.
//!
//! Skipped with a note when C NUT is not installed, unless `NUT_RS_INTEROP=1`.

use std::time::{Duration, Instant};

mod support;

use support::{have, Kill, Site, C_DUMMY, C_UPSD};

const DEADLINE: Duration = Duration::from_secs(60);

fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    support::wait_for(what, DEADLINE, Duration::from_millis(200), f)
}

/// Runs a C client; returns stdout, and stderr after a NUL when there is any.
fn client(site: &Site, program: &str, args: &[&str]) -> String {
    let out = site.output(program, args);
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    // upsc's TLS notice (it tries STARTTLS without a CA) is not part of the answer.
    let stderr: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| *l != "Init SSL without certificate database")
        .map(|l| format!("{l}\n"))
        .collect();
    if !stderr.is_empty() {
        s.push('\0');
        s.push_str(&stderr);
    }
    s
}

fn upsc_of(site: &Site, name: &str) -> String {
    client(site, "upsc", &[&site.ups(name)])
}

/// Drops what differs by design: `driver.*` variables (upsc), `driver.*` blocks (upsrw),
/// `driver.*` commands (upscmd -l), and the UPS name in headers.
fn normalise(text: &str, ups: &str) -> String {
    let mut out = Vec::new();
    let mut in_driver_block = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_driver_block = line.starts_with("[driver.");
        }
        if in_driver_block || line.starts_with("driver.") {
            continue;
        }
        out.push(line.replace(&format!("[{ups}]"), "[UPS]"));
    }
    out.join("\n")
}

fn upsrw_set(site: &Site, ups: &str, assignment: &str) -> String {
    client(
        site,
        "upsrw",
        &[
            "-s",
            assignment,
            "-u",
            "admin",
            "-p",
            "pw",
            "-w",
            &site.ups(ups),
        ],
    )
}

#[test]
fn repeater_mirrors_forwards_and_recovers() {
    if !have(&[C_UPSD, C_DUMMY, "upsc", "upsrw", "upscmd"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(recording) =
        support::recorded("nut-ddl/APC/APC__Back-UPS_500__newhidups__2.0.3__01.dev")
    else {
        return;
    };
    let dev = std::fs::read_to_string(recording).unwrap();
    let dev = format!("{dev}ups.id: \"two  words\"\ninput.quality: fine\n");
    let remote = Site::new(
        &tmp.path().join("remote"),
        "[dev]\n\tdriver = dummy-ups\n\tport = x.dev\n\tdesc = \"test\"\n",
        "",
        &[("x.dev", &dev)],
    );
    let local = Site::new(
        &tmp.path().join("local"),
        &format!(
            "[rep]\n\tdriver = dummy-ups\n\tport = dev@127.0.0.1:{}\n\tdesc = \"test\"\n\
             \tusername = admin\n\tpassword = pw\n",
            remote.port
        ),
        "",
        &[],
    );
    // The remote driver logs what it is asked to stderr (-D), to see the forwarded command.
    let driver_log = tmp.path().join("remote-driver.log");
    let _remote_driver = Kill(
        remote
            .command(C_DUMMY)
            .args(["-a", "dev", "-F", "-D", "-u", "nut"])
            .stderr(std::fs::File::create(&driver_log).unwrap())
            .spawn()
            .unwrap(),
    );
    let mut remote_upsd = remote.spawn(C_UPSD, &["-F", "-u", "nut"]);
    let ours = env!("CARGO_BIN_EXE_dummy-ups");
    let _repeater = local.spawn(ours, &["-a", "rep", "-F", "-u", "nut"]);
    let _local_upsd = local.spawn(C_UPSD, &["-F", "-u", "nut"]);

    let same = |what: &str, program: &str, args: &dyn Fn(&Site, &str) -> Vec<String>| {
        let run = |site: &Site, ups: &str| {
            let a = args(site, ups);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            normalise(&client(site, program, &a), ups)
        };
        let start = Instant::now();
        loop {
            let (a, b) = (run(&local, "rep"), run(&remote, "dev"));
            if a == b && !a.is_empty() && !a.contains('\0') {
                return a;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{what}: repeater:\n{a}\nremote:\n{b}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let upsc = same("upsc to agree", "upsc", &|s, u| vec![s.ups(u)]);
    assert!(upsc.contains("ups.id: two  words"), "{upsc}");
    assert!(upsc.contains("ups.model: Back-UPS 500"), "{upsc}");
    let types = same("upsrw to agree", "upsrw", &|s, u| vec![s.ups(u)]);
    assert!(types.contains("Maximum length:"), "{types}");
    same("upscmd -l to agree", "upscmd", &|s, u| {
        vec!["-l".into(), s.ups(u)]
    });
    assert!(upsc_of(&local, "rep").contains("driver.parameter.port: dev@127.0.0.1"));

    // SET through the repeater changes the remote device.
    let out = upsrw_set(&local, "rep", "ups.id=changed here");
    assert!(out.contains("SUCCESS") || out.contains("OK"), "{out}");
    wait_for("the remote value to change", || {
        upsc_of(&remote, "dev")
            .contains("ups.id: changed here")
            .then_some(())
    });
    wait_for("the change to come back", || {
        upsc_of(&local, "rep")
            .contains("ups.id: changed here")
            .then_some(())
    });
    // A value the remote refuses is refused here too.
    let out = upsrw_set(&local, "rep", "ups.id=this value is far too long for it");
    assert!(!out.contains("SUCCESS"), "{out}");

    // INSTCMD through the repeater reaches the remote driver.
    let out = client(
        &local,
        "upscmd",
        &["-u", "admin", "-p", "pw", &local.ups("rep"), "load.off"],
    );
    assert!(out.contains("OK"), "{out}");
    wait_for("the remote driver to get load.off", || {
        std::fs::read_to_string(&driver_log)
            .unwrap_or_default()
            .contains("load.off")
            .then_some(())
    });

    // The remote upsd goes away: stale; it comes back: fresh again.
    drop(remote_upsd);
    wait_for("the repeated data to go stale", || {
        upsc_of(&local, "rep").contains("Data stale").then_some(())
    });
    remote_upsd = remote.spawn(C_UPSD, &["-F", "-u", "nut"]);
    let back = wait_for("the repeater to recover", || {
        let out = upsc_of(&local, "rep");
        (!out.contains('\0') && out.contains("ups.id: changed here")).then_some(out)
    });
    assert_eq!(
        normalise(&back, "rep"),
        normalise(&upsc_of(&remote, "dev"), "dev")
    );
    drop(remote_upsd);
}
