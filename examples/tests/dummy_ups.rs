//! Interop tests of dummy-ups with C NUT 2.8.0: C upsd on top of our driver and on top of C's,
//! compared through C's upsc/upsrw/upscmd; and every nut-ddl device dump through C upsd.
//!
//! Skipped with a note when C NUT is not installed, unless `NUT_RS_INTEROP=1` (then a
//! missing C program fails the test).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nut_driver_api::config::DriverConfig;
use nut_driver_api::proto::names::UpsName;
use nut_driver_api::{CancellationToken, DriverParams, DriverRuntime};
use nut_drivers::dummy::DummyUps;

mod support;

use support::{have, testdata, Site, C_DUMMY, C_UPSD};

const DEADLINE: Duration = Duration::from_secs(40);

/// The group id of user `nut`, for our drivers' sockets.
fn nut_gid() -> u32 {
    nix::unistd::User::from_name("nut")
        .unwrap()
        .expect("user nut")
        .gid
        .as_raw()
}

/// Runs a C client against `site`'s upsd; returns stdout (and stderr after a NUL).
fn client(site: &Site, program: &str, args: &[String]) -> String {
    let out = site.output(program, args);
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.stderr.is_empty() {
        s.push('\0');
        s.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    s
}

/// Waits until `site`'s upsd serves fresh data for `ups`.
fn wait_ready(site: &Site, ups: &str) {
    let start = Instant::now();
    loop {
        let out = client(site, "upsc", &[site.ups(ups), "ups.status".into()]);
        let stdout = out.split('\0').next().unwrap_or_default();
        if !stdout.is_empty() && !stdout.starts_with("WAIT") && !out.contains("Error") {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{ups} never became ready: {out}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Normalises what may legitimately differ between the two drivers: the NUT version they
/// report, the UPS name in headers, and the four driver.* commands our runtime adds.
fn normalise(text: &str, ups: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("driver.version:"))
        .filter(|l| !l.starts_with("driver.exit") && !l.starts_with("driver.killpower"))
        .filter(|l| !l.starts_with("driver.reload"))
        .map(|l| l.replace(&format!("[{ups}]"), "[UPS]"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn c_upsd_sees_the_same_device_from_our_driver_and_from_c_dummy_ups() {
    if !have(&[C_UPSD, C_DUMMY, "upsc", "upsrw", "upscmd"]) {
        return;
    }
    let ours = env!("CARGO_BIN_EXE_dummy-ups");
    let Some(recording) =
        support::recorded("nut-ddl/APC/APC__Back-UPS_500__newhidups__2.0.3__01.dev")
    else {
        return;
    };
    let dev = std::fs::read_to_string(recording).unwrap();
    let extra =
        "battery.charge.warning: 50\nups.id: \"two  words\"\ninput.quality: fine\nups.load: 23\n";
    let tmp = tempfile::tempdir().unwrap();
    let site = Site::new(
        tmp.path(),
        "[ours]\n\tdriver = dummy-ups\n\tport = x.dev\n\tdesc = \"test\"\n[theirs]\n\tdriver = dummy-ups\n\tport = x.dev\n\tdesc = \"test\"\n",
        "MAXAGE 60\n",
        &[("x.dev", &format!("{dev}{extra}"))],
    );
    let _c_driver = site.spawn(C_DUMMY, &["-a", "theirs", "-F", "-u", "nut"]);
    let _our_driver = site.spawn(ours, &["-a", "ours", "-F", "-u", "nut"]);
    let _upsd = site.spawn(C_UPSD, &["-F", "-u", "nut"]);
    wait_ready(&site, "ours");
    wait_ready(&site, "theirs");

    let compare = |what: &str, args: &dyn Fn(&str) -> Vec<String>, program: &str| {
        let a = normalise(&client(&site, program, &args("ours")), "ours");
        let b = normalise(&client(&site, program, &args("theirs")), "theirs");
        assert_eq!(a, b, "{what} differs (ours first)");
        assert!(!a.is_empty());
        a
    };
    let upsc = compare("upsc", &|u| vec![site.ups(u)], "upsc");
    assert!(upsc.contains("ups.id: two  words"), "{upsc}");
    assert!(upsc.contains("driver.name: dummy-ups"));
    compare("upsrw", &|u| vec![site.ups(u)], "upsrw");
    compare("upscmd -l", &|u| vec!["-l".into(), site.ups(u)], "upscmd");

    // SET through upsd on both, then compare again.
    for u in ["ours", "theirs"] {
        for set in ["ups.id=changed", "battery.charge=42", "ups.status=OB LB"] {
            let out = client(
                &site,
                "upsrw",
                &[
                    "-s".into(),
                    set.into(),
                    "-u".into(),
                    "admin".into(),
                    "-p".into(),
                    "pw".into(),
                    "-w".into(),
                    site.ups(u),
                ],
            );
            assert!(
                out.contains("OK") || out.contains("SUCCESS"),
                "{u} {set}: {out}"
            );
        }
    }
    let start = Instant::now();
    loop {
        let a = normalise(&client(&site, "upsc", &[site.ups("ours")]), "ours");
        let b = normalise(&client(&site, "upsc", &[site.ups("theirs")]), "theirs");
        if a == b && a.contains("ups.id: changed") && a.contains("ups.status: OB LB") {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "after SET:\nours:\n{a}\ntheirs:\n{b}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    compare("upsrw after SET", &|u| vec![site.ups(u)], "upsrw");
    // INSTCMD: both refuse load.off the same way (C's dummy-ups knows no command).
    compare(
        "upscmd load.off",
        &|u| {
            vec![
                "-u".into(),
                "admin".into(),
                "-p".into(),
                "pw".into(),
                "-w".into(),
                site.ups(u),
                "load.off".into(),
            ]
        },
        "upscmd",
    );
}

/// The expected `var: value` pairs of a device dump, read with NUT's file tokenizer (quotes,
/// escapes, `#` comments): later lines win; `driver.*` lines and lines without a value are
/// left out; words are joined by single spaces and cut to 127 bytes (C's buffer); and, as
/// every C driver does once at start, `device.mfr`/`model`/`serial` are copied from `ups.*`.
fn expected_vars(text: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in nut_driver_api::proto::tokenizer::file_lines(text).flatten() {
        let name = line.words[0]
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        if line.words.len() < 2 || name.starts_with("driver.") || name.starts_with("TIMER") {
            continue;
        }
        let mut value = line.words[1..].join(" ");
        value.truncate(127);
        out.insert(name, value);
    }
    for (from, to) in [
        ("ups.mfr", "device.mfr"),
        ("ups.model", "device.model"),
        ("ups.serial", "device.serial"),
    ] {
        if let Some(v) = out.get(from).cloned() {
            out.insert(to.to_owned(), v);
        }
    }
    out
}

fn ddl_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for mfr in std::fs::read_dir(testdata().join("nut-ddl")).unwrap() {
        let mfr = mfr.unwrap().path();
        if !mfr.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(mfr).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "dev") {
                files.push(f);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_nut_ddl_dump_loads_and_c_upsc_shows_it() {
    if !have(&[C_UPSD, "upsc"]) {
        return;
    }
    if support::recorded("nut-ddl").is_none() {
        return;
    }
    let files = ddl_files();
    assert_eq!(files.len(), 645, "the nut-ddl test data");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let nut_gid = nut_gid();
    let mut failures = Vec::new();
    let mut like_c = Vec::new();
    for (batch_no, batch) in files.chunks(160).enumerate() {
        let mut conf = String::new();
        for i in 0..batch.len() {
            conf.push_str(&format!(
                "[d{i}]\n\tdriver = dummy-ups\n\tport = d{i}.dev\n"
            ));
        }
        let tmp = tempfile::tempdir().unwrap();
        let site = Site::new(tmp.path(), &conf, "MAXAGE 60\n", &[]);
        let stop = CancellationToken::new();
        let _guard = rt.enter();
        for (i, file) in batch.iter().enumerate() {
            let params = DriverParams::new(file.display().to_string())
                .with_option("mode", Some("dummy-once"));
            let config =
                DriverConfig::new("dummy-ups", UpsName::new(format!("d{i}")).unwrap(), params)
                    .with_state_path(site.state())
                    .with_poll_interval(30);
            let runtime = DriverRuntime::new(Box::new(DummyUps::new()), config)
                .with_socket_group(Some(nut_gid));
            rt.spawn(runtime.run(stop.clone()));
        }
        // Wait for every socket, then start upsd.
        let start = Instant::now();
        while (0..batch.len()).any(|i| !site.state().join(format!("dummy-ups-d{i}")).exists()) {
            assert!(start.elapsed() < DEADLINE, "driver sockets did not appear");
            std::thread::sleep(Duration::from_millis(100));
        }
        let _upsd = site.spawn(C_UPSD, &["-F", "-u", "nut"]);
        // Each file is checked on its own: four at a time (the time is spent waiting on
        // upsc and upsd).
        let indexed: Vec<(usize, &PathBuf)> = batch.iter().enumerate().collect();
        let site = &site;
        let results: Vec<Check> = std::thread::scope(|s| {
            let handles: Vec<_> = indexed
                .chunks(indexed.len().div_ceil(4))
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|(i, file)| check_file(site, *i, file, batch_no))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("checker thread"))
                .collect()
        });
        for result in results {
            match result {
                Check::Exact => {}
                Check::LikeC(text) => like_c.push(text),
                Check::UnlikeC(text) => failures.push(text),
            }
        }
        stop.cancel();
    }
    eprintln!(
        "nut-ddl: {} of {} files shown by C upsc exactly as written; {} differ exactly as with C dummy-ups; {} differ from C",
        files.len() - failures.len() - like_c.len(),
        files.len(),
        like_c.len(),
        failures.len()
    );
    for f in &like_c {
        eprintln!("  as C: {f}");
    }
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(failures.is_empty(), "{} files differ", failures.len());
}

/// How one nut-ddl file shows in C upsc.
enum Check {
    /// As written in the file.
    Exact,
    /// Unlike the file, exactly as with C dummy-ups (the text says where).
    LikeC(String),
    /// Unlike the file and unlike C dummy-ups.
    UnlikeC(String),
}

/// Checks what C upsc shows of the driver `d{i}` serving `file`.
fn check_file(site: &Site, i: usize, file: &Path, batch_no: usize) -> Check {
    let ups = format!("d{i}");
    wait_ready(site, &ups);
    let out = client(site, "upsc", &[site.ups(&ups)]);
    let shown: BTreeMap<&str, &str> = out.lines().filter_map(|l| l.split_once(": ")).collect();
    let wrong: Vec<String> = expected_vars(&std::fs::read(file).unwrap())
        .into_iter()
        .filter(|(k, v)| shown.get(k.as_str()) != Some(&v.as_str()))
        .map(|(k, v)| {
            format!(
                "{k}: expected {v:?}, upsc shows {:?}",
                shown.get(k.as_str())
            )
        })
        .collect();
    if wrong.is_empty() {
        return Check::Exact;
    }
    // Where we differ from the file, C dummy-ups must differ in the same way.
    let c_out = client(
        site,
        C_DUMMY,
        &[
            "-s".into(),
            // A name per file: concurrent C drivers of one name would stop each other.
            format!("ref{i}"),
            "-x".into(),
            format!("port={}", file.display()),
            "-d".into(),
            "1".into(),
            "-u".into(),
            "root".into(),
        ],
    );
    let c_vars: BTreeMap<&str, &str> = c_out
        .split('\0')
        .next()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(": "))
        .collect();
    let unlike_c: Vec<&String> = wrong
        .iter()
        .filter(|w| {
            let var = w.split(':').next().unwrap_or_default();
            c_vars.get(var) != shown.get(var)
        })
        .collect();
    if unlike_c.is_empty() {
        Check::LikeC(format!("{}: {}", file.display(), wrong.join("; ")))
    } else {
        Check::UnlikeC(format!(
            "{} (batch {batch_no}): {unlike_c:?}",
            file.display()
        ))
    }
}

/// `-d 1` prints the data as C's `dstate_dump` does, values in their escaped form.
#[test]
fn dump_mode_prints_what_c_prints() {
    if !have(&[C_DUMMY]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("t.dev");
    std::fs::write(
        &dev,
        "ups.status: OL\nups.id: \"a\\\"b\\\\c\"\nups.mfr: Some\\\\Where\nbattery.charge: 87\n",
    )
    .unwrap();
    let dump = |program: &str| {
        let out = std::process::Command::new(program)
            .args(["-s", "t", "-u", "root", "-d", "1", "-x"])
            .arg(format!("port={}", dev.display()))
            .env("NUT_STATEPATH", tmp.path())
            .env("NUT_CONFPATH", tmp.path())
            .env("NUT_ALTPIDPATH", tmp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{program}: {out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains(": ") && !l.starts_with("driver.version"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let c = dump(C_DUMMY);
    assert!(c.iter().any(|l| l == "ups.id: a\\\"b\\\\c"), "{c:?}");
    assert_eq!(dump(env!("CARGO_BIN_EXE_dummy-ups")), c);
}

/// A command line a driver refuses gets C's words on stderr (glibc's getopt line first for
/// a bad option, under the program's path) and C's exit status.
#[test]
fn bad_command_lines_are_refused_in_cs_words() {
    if !have(&[C_DUMMY]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 8] = [
        &["-Z"],
        &["-a"],
        &["-s", "u", "-x"],
        &["--debug"],
        &["-hZ", "-s"],
        &["-s", "u", "extra"],
        &["-s", "u", "--", "-a"],
        &["-i", "0"],
    ];
    for args in cases {
        let run = |program: &str| {
            let out = std::process::Command::new(program)
                .args(args)
                .env("NUT_STATEPATH", tmp.path())
                .env("NUT_CONFPATH", tmp.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).replace(program, "PROG");
            (stderr, out.status.code())
        };
        let c = run(C_DUMMY);
        assert_eq!(run(env!("CARGO_BIN_EXE_dummy-ups")), c, "{args:?}");
    }
}

/// A driver that cannot start says why once, in C's words, and exits with C's status.
#[test]
fn a_driver_that_cannot_start_says_why_once_as_c() {
    if !have(&[C_DUMMY]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("missing.dev");
    for mode in [&["-F"][..], &["-d", "1"]] {
        let run = |program: &str| {
            std::process::Command::new(program)
                .args(["-s", "t", "-u", "root"])
                .args(mode)
                .arg("-x")
                .arg(format!("port={}", dev.display()))
                .env("NUT_STATEPATH", tmp.path())
                .env("NUT_CONFPATH", tmp.path())
                .env("NUT_ALTPIDPATH", tmp.path())
                .output()
                .unwrap()
        };
        let (c, ours) = (run(C_DUMMY), run(env!("CARGO_BIN_EXE_dummy-ups")));
        let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();
        let path = dev.display();
        assert_eq!(
            stderr(&c),
            format!("Can't open dummy-ups definition file {path}: Can't open {path}: No such file or directory\n"),
            "{mode:?}"
        );
        assert_eq!(stderr(&ours), stderr(&c), "{mode:?}");
        assert_eq!(ours.status.code(), c.status.code(), "{mode:?}");
    }
}

/// The driver's variables as `DUMPALL` on its socket gives them (`SETINFO` lines).
fn dumpall(socket: &Path) -> Option<BTreeMap<String, String>> {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream.write_all(b"DUMPALL\n").ok()?;
    let mut vars = BTreeMap::new();
    for line in BufReader::new(stream).lines() {
        let line = line.ok()?;
        if line == "DUMPDONE" {
            return Some(vars);
        }
        if let Some(rest) = line.strip_prefix("SETINFO ") {
            let (name, value) = rest.split_once(' ')?;
            vars.insert(name.to_owned(), value.trim_matches('"').to_owned());
        }
    }
    None
}

/// SIGHUP re-reads ups.conf (as C 2.8.1+ drivers): a new `pollinterval` and `override.*`
/// value apply at once; a changed port is named as needing a restart, and the driver goes
/// on with the old one.
#[test]
fn sighup_reloads_what_can_change_and_names_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // As root the driver becomes user nut, which must reach the folder.
    std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    std::fs::write(d.join("a.dev"), "ups.status: OL\n").unwrap();
    let conf = |poll: u32, port: &str, model: &str| {
        std::fs::write(
            d.join("ups.conf"),
            format!(
                "pollinterval = {poll}\n[u]\n\tdriver = dummy-ups\n\tport = {port}\n\toverride.ups.model = \"{model}\"\n"
            ),
        )
        .unwrap();
    };
    conf(2, "a.dev", "First");
    let mut child = support::Kill(
        std::process::Command::new(env!("CARGO_BIN_EXE_dummy-ups"))
            .args(["-a", "u", "-F"])
            .env("NUT_CONFPATH", d)
            .env("NUT_STATEPATH", d)
            .env("NUT_ALTPIDPATH", d)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let socket = d.join("dummy-ups-u");
    let wait = |what: &str, f: &dyn Fn(&BTreeMap<String, String>) -> bool| {
        support::wait_for(what, DEADLINE, Duration::from_millis(100), || {
            dumpall(&socket).filter(|v| f(v))
        })
    };
    let vars = wait("the driver", &|v| v.get("ups.model").is_some());
    assert_eq!(vars["ups.model"], "First");
    assert_eq!(vars["driver.parameter.pollinterval"], "2");

    conf(7, "b.dev", "Second");
    let pid = nix::unistd::Pid::from_raw(child.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    let vars = wait("the reload", &|v| {
        v.get("ups.model").map(String::as_str) == Some("Second")
    });
    assert_eq!(vars["driver.parameter.pollinterval"], "7");
    assert_eq!(vars["driver.parameter.port"], "a.dev");
    assert_eq!(vars["ups.status"], "OL");
    support::stop(&mut child.0);
    let stderr = String::from_utf8_lossy(&child.take_output().stderr).into_owned();
    assert!(
        stderr.contains("changes to port or a driver option need a restart of the driver"),
        "{stderr}"
    );
}
