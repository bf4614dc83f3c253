//! The `upsd` binary: start in the foreground from C's files, `-c reload` with a changed
//! ups.conf and upsd.users (existing clients stay and see the change), `-c stop`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

mod support;

use support::{free_port, Kill};

fn upsd(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_upsd"));
    cmd.env("NUT_CONFPATH", dir)
        .env("NUT_STATEPATH", dir)
        .env("NUT_ALTPIDPATH", dir)
        .env("NUT_DATAPATH", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    support::wait_for(what, Duration::from_secs(30), Duration::from_millis(50), f)
}

fn ask(stream: &mut BufReader<TcpStream>, line: &str) -> Vec<String> {
    stream
        .get_mut()
        .write_all(format!("{line}\n").as_bytes())
        .unwrap();
    let mut lines = Vec::new();
    loop {
        let mut l = String::new();
        assert!(stream.read_line(&mut l).unwrap() > 0, "connection closed");
        let l = l.trim_end_matches('\n').to_owned();
        let more = (l.starts_with("BEGIN") || !lines.is_empty()) && !l.starts_with("END");
        lines.push(l);
        if !more {
            return lines;
        }
    }
}

#[test]
fn foreground_reload_and_stop() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    std::fs::write(d.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\n")).unwrap();
    std::fs::write(d.join("upsd.users"), "").unwrap();
    std::fs::write(d.join("ups.conf"), "[one]\n driver = none\n port = x\n").unwrap();
    // Started as root, upsd becomes user nut (as C's), which keeps its PID file here and
    // reads the files again on reload.
    std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    // -FF: in the foreground with a PID file, which `-c reload` and `-c stop` use (C's
    // upsd keeps none with -F alone).
    let mut child = Kill(upsd(d).arg("-FF").spawn().unwrap());

    let stream = wait_for("upsd to listen", || {
        TcpStream::connect(("127.0.0.1", port)).ok()
    });
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut c = BufReader::new(stream);
    assert_eq!(
        ask(&mut c, "GET VAR one ups.status"),
        ["ERR DRIVER-NOT-CONNECTED"]
    );
    assert_eq!(ask(&mut c, "USERNAME admin"), ["OK"]);
    assert_eq!(ask(&mut c, "PASSWORD pw"), ["OK"]);
    assert_eq!(ask(&mut c, "FSD one"), ["ERR ACCESS-DENIED"]);
    wait_for("the PID file", || d.join("upsd.pid").exists().then_some(()));

    std::fs::write(
        d.join("ups.conf"),
        "[one]\n driver = none\n port = x\n[two]\n driver = none\n port = y\n desc = \"Second\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("upsd.users"),
        "[admin]\n password = pw\n actions = FSD\n",
    )
    .unwrap();
    let status = upsd(d).args(["-c", "reload"]).status().unwrap();
    assert!(status.success());
    wait_for("the reload", || {
        (ask(&mut c, "GET UPSDESC two") == ["UPSDESC two \"Second\""]).then_some(())
    });
    assert_eq!(ask(&mut c, "FSD one"), ["OK FSD-SET"]);

    let status = upsd(d).args(["-c", "stop"]).status().unwrap();
    assert!(status.success());
    let exit = wait_for("upsd to exit", || child.0.try_wait().unwrap());
    assert!(exit.success(), "{exit:?}");
    assert!(!d.join("upsd.pid").exists(), "PID file left behind");

    // A broken configuration is reported with the file name, and upsd does not start.
    // One readable line, even with RUST_BACKTRACE set (no panic, no backtrace, no colour).
    std::fs::remove_file(d.join("upsd.users")).unwrap();
    let out = upsd(d)
        .arg("-F")
        .env("RUST_BACKTRACE", "1")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("upsd.users"), "{out:?}");
    let fatal: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.ends_with("is world readable"))
        .collect();
    assert_eq!(fatal.len(), 1, "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr}");
}

/// `LISTEN localhost` beside `LISTEN 127.0.0.1` at the same port, a common pair: upsd binds
/// the last line first, so the 127.0.0.1 line is refused with C's message, and the server
/// serves on what it got. The same with C upsd 2.8.0 when it is installed: the same refusal
/// on stderr, and upsc (ours and C's) reads the UPS through both names.
#[test]
fn a_refused_listen_line_is_logged_and_upsd_serves_on_the_others_as_c_does() {
    use support::{have, stop, Site, C_UPSD};
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dummy.dev");
    std::fs::write(&dev, "ups.status: OL\n").unwrap();
    let site = Site::new(
        dir.path(),
        &format!(
            "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n",
            dev.display()
        ),
        "",
        &[],
    );
    let port = site.port;
    std::fs::write(
        site.etc().join("upsd.conf"),
        format!("LISTEN 127.0.0.1 {port}\nLISTEN localhost {port}\n"),
    )
    .unwrap();
    site.chown();
    let _driver = Kill::spawn(
        site.command(env!("CARGO_BIN_EXE_dummy-ups"))
            .args(["-a", "dummy", "-F"]),
    );
    let mut upsds = vec![env!("CARGO_BIN_EXE_upsd")];
    if have(&[C_UPSD]) {
        upsds.push(C_UPSD);
    }
    let mut clients = vec![env!("CARGO_BIN_EXE_upsc")];
    if Path::new("/bin/upsc").exists() {
        clients.push("/bin/upsc");
    }
    let mut refusals = Vec::new();
    for upsd in upsds {
        let mut child = Kill::spawn(site.command(upsd).arg("-F").stderr(Stdio::piped()));
        for client in &clients {
            for host in ["127.0.0.1", "localhost"] {
                let ups = format!("dummy@{host}:{port}");
                wait_for(&format!("{client} {ups} with {upsd}"), || {
                    let out = site.output(client, &[ups.as_str(), "ups.status"]);
                    (out.stdout == b"OL\n").then_some(())
                });
            }
        }
        stop(&mut child.0);
        let stderr = String::from_utf8_lossy(&child.take_output().stderr).into_owned();
        // Ours puts a time and level in front of the message.
        let refused: Vec<String> = stderr
            .lines()
            .filter_map(|l| l.find("not listening on").map(|i| l[i..].to_owned()))
            .collect();
        assert_eq!(
            refused,
            [format!("not listening on 127.0.0.1 port {port}")],
            "{upsd}: {stderr}"
        );
        refusals.push(refused);
    }
    refusals.dedup();
    assert_eq!(refusals.len(), 1);
}

/// Without IPv6 on the host, the default listeners (127.0.0.1 and ::1 at port 3493, no
/// LISTEN line) serve on 127.0.0.1 and log `not listening on ::1 port 3493`, with ours as
/// with C upsd 2.8.0. Each runs in a network namespace of its own whose loopback has IPv6
/// turned off (`unshare --net`, as root); skipped with a note when that cannot be made.
#[test]
fn default_listeners_without_ipv6_serve_on_127_0_0_1_as_c_does() {
    use support::{have, Site, C_UPSD};
    let probe = Command::new("unshare")
        .args(["--net", "sh", "-c"])
        .arg("ip link set lo up && echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("note: skipping: no network namespace (needs root, unshare and ip)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dummy.dev");
    std::fs::write(&dev, "ups.status: OL\n").unwrap();
    let site = Site::new(
        dir.path(),
        &format!(
            "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n",
            dev.display()
        ),
        "",
        &[],
    );
    std::fs::write(site.etc().join("upsd.conf"), "").unwrap();
    site.chown();
    let _driver = Kill::spawn(
        site.command(env!("CARGO_BIN_EXE_dummy-ups"))
            .args(["-a", "dummy", "-F"]),
    );
    let mut upsds = vec![env!("CARGO_BIN_EXE_upsd")];
    if have(&[C_UPSD]) {
        upsds.push(C_UPSD);
    }
    // In the namespace: loopback up without IPv6, upsd -F, upsc until it answers, stop.
    let script = r#"
        ip link set lo up && echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6 || exit 9
        "$1" -F >/dev/null 2>"$3" &
        pid=$!
        i=0
        while [ $i -lt 300 ]; do
            "$2" dummy@127.0.0.1 ups.status 2>/dev/null | grep -qx OL && break
            sleep 0.1
            i=$((i + 1))
        done
        "$2" dummy@127.0.0.1 ups.status 2>/dev/null
        kill $pid
        wait $pid
        "#;
    for upsd in upsds {
        let stderr_file = dir.path().join("upsd.err");
        let out = site
            .command("unshare")
            .args(["--net", "sh", "-c", script, "sh", upsd])
            .arg(env!("CARGO_BIN_EXE_upsc"))
            .arg(&stderr_file)
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        let stderr = std::fs::read_to_string(&stderr_file).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "OL\n",
            "{upsd}: {stderr}"
        );
        // Ours puts a time and level in front of the message.
        let refused: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.find("not listening on").map(|i| &l[i..]))
            .collect();
        assert_eq!(
            refused,
            ["not listening on ::1 port 3493"],
            "{upsd}: {stderr}"
        );
    }
}

/// At the default level, `upsd -F` says what C's says (its `upslogx()` lines): the
/// listening addresses, the world-readable files, whether it keeps a PID file, each UPS
/// connected or not, logins and logouts, and the signal that ends it. The same lines from
/// C's upsd 2.8.0 over the same files, in any order (the drivers are connected
/// concurrently), except the lines C alone prints about a previous instance's PID file.
#[test]
fn default_messages_same_as_c() {
    use support::{have, stop, Site, C_DUMMY, C_UPSD};
    if !have(&[C_UPSD, C_DUMMY]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("a.dev");
    std::fs::write(&dev, "ups.status: OL\n").unwrap();
    let site = Site::new(
        dir.path(),
        &format!(
            "[a]\n\tdriver = dummy-ups\n\tport = {}\n[b]\n\tdriver = dummy-ups\n\tport = {}\n",
            dev.display(),
            dir.path().join("b.dev").display()
        ),
        "",
        &[],
    );
    std::fs::write(
        site.etc().join("upsd.users"),
        "[admin]\n\tpassword = pw\n\tupsmon primary\n",
    )
    .unwrap();
    site.chown();
    let _driver = Kill::spawn(site.command(C_DUMMY).args(["-a", "a", "-F"]));
    wait_for("the driver socket", || {
        site.state().join("dummy-ups-a").exists().then_some(())
    });
    let etc = site.etc().display().to_string();
    let port = site.port;
    let mut seen = Vec::new();
    for program in [env!("CARGO_BIN_EXE_upsd"), C_UPSD] {
        let mut child = Kill::spawn(site.command(program).arg("-F").stderr(Stdio::piped()));
        let stream = wait_for("upsd to serve a", || {
            let stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let mut c = BufReader::new(stream);
            (ask(&mut c, "GET VAR a ups.status") == ["VAR a ups.status \"OL\""]).then_some(c)
        });
        let mut c = stream;
        assert_eq!(ask(&mut c, "USERNAME admin"), ["OK"]);
        assert_eq!(ask(&mut c, "PASSWORD pw"), ["OK"]);
        assert_eq!(ask(&mut c, "LOGIN a"), ["OK"]);
        assert_eq!(ask(&mut c, "LOGOUT"), ["OK Goodbye"]);
        stop(&mut child.0);
        let stderr = String::from_utf8_lossy(&child.take_output().stderr).into_owned();
        let mut lines: Vec<String> = stderr
            .lines()
            .filter(|l| {
                !(l.is_empty()
                    || l.starts_with("fopen ")
                    || l.starts_with("Could not find PID file")
                    || l.starts_with("mainloop: "))
            })
            .map(str::to_owned)
            .collect();
        lines.sort();
        seen.push(lines);
    }
    let mut expected = vec![
        format!("listening on 127.0.0.1 port {port}"),
        format!("{etc}/upsd.conf is world readable"),
        format!("{etc}/upsd.users is world readable"),
        "Running as foreground process, not saving a PID file".to_owned(),
        "Can't connect to UPS [b] (dummy-ups-b): No such file or directory".to_owned(),
        "Connected to UPS [a]: dummy-ups-a".to_owned(),
        "User admin@127.0.0.1 logged into UPS [a]".to_owned(),
        "User admin@127.0.0.1 logged out from UPS [a]".to_owned(),
        "Signal 15: exiting".to_owned(),
    ];
    expected.sort();
    assert_eq!(seen[0], expected, "ours");
    assert_eq!(seen[1], expected, "C's");
}

/// `-r <dir>` (as root): the driver reads ups.conf outside and then lives in the chroot (its
/// device file, state directory and socket inside); upsd reads its configuration inside
/// the chroot and serves the driver's data. Ours as C's 2.8.0 programs, over the same
/// files.
#[test]
fn chroot_with_r_as_c() {
    use support::{have, stop, Site, C_DUMMY, C_UPSD};
    if !nix::unistd::geteuid().is_root() {
        assert!(!support::interop(), "-r needs root");
        eprintln!("note: skipping: -r needs root");
        return;
    }
    let mut pairs = vec![(env!("CARGO_BIN_EXE_upsd"), env!("CARGO_BIN_EXE_dummy-ups"))];
    if have(&[C_UPSD, C_DUMMY]) {
        pairs.push((C_UPSD, C_DUMMY));
    }
    let mut sockets = Vec::new();
    for (upsd, driver) in pairs.iter().copied() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Site makes etc/ and state/ (owned by nut) in the new root.
        let site = Site::new(
            root,
            "[u]\n\tdriver = dummy-ups\n\tport = /etc/ups.dev\n",
            "",
            &[],
        );
        std::fs::write(
            site.etc().join("ups.dev"),
            "ups.status: OL\nbattery.charge: 77\n",
        )
        .unwrap();
        site.chown();
        let root_arg = root.to_str().unwrap();
        let driver_proc = Kill::spawn(
            Command::new(driver)
                .args(["-a", "u", "-u", "nut", "-F", "-r", root_arg])
                .env("NUT_CONFPATH", site.etc())
                .env("NUT_STATEPATH", "/state")
                .env("NUT_ALTPIDPATH", "/state")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for(&format!("{driver}'s socket in the chroot"), || {
            site.state().join("dummy-ups-u").exists().then_some(())
        });
        let mut server = Kill::spawn(
            Command::new(upsd)
                .args(["-u", "nut", "-F", "-r", root_arg])
                .env("NUT_CONFPATH", "/etc")
                .env("NUT_STATEPATH", "/state")
                .env("NUT_ALTPIDPATH", "/state")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for(&format!("{upsd} to serve from the chroot"), || {
            let stream = TcpStream::connect(("127.0.0.1", site.port)).ok()?;
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let mut c = BufReader::new(stream);
            (ask(&mut c, "GET VAR u battery.charge") == ["VAR u battery.charge \"77\""])
                .then_some(())
        });
        // Both run inside the chroot, as user nut; the socket is the driver's, owned as C's
        // (by the user it runs as: C 2.8.0 creates it after dropping privileges too).
        let nut = nix::unistd::User::from_name("nut").unwrap().unwrap();
        for pid in [driver_proc.0.id(), server.0.id()] {
            let proc_root = std::fs::read_link(format!("/proc/{pid}/root")).unwrap();
            assert_eq!(proc_root, root.canonicalize().unwrap(), "{upsd}/{driver}");
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
            let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
            assert!(
                uid.split_whitespace()
                    .skip(1)
                    .all(|u| u == nut.uid.to_string()),
                "{upsd}/{driver}: {uid}"
            );
        }
        let socket = std::fs::metadata(site.state().join("dummy-ups-u")).unwrap();
        sockets.push((
            std::os::unix::fs::MetadataExt::uid(&socket),
            std::os::unix::fs::MetadataExt::mode(&socket) & 0o777,
        ));
        stop(&mut server.0);
    }
    // Our driver's socket has the owner and mode of C's.
    if pairs.len() == 2 {
        assert_eq!(
            sockets[0], sockets[1],
            "socket owner and mode, ours then C's"
        );
    }
}

/// Started as root without `-u`, upsd runs as user `nut`, as C's does (C's built-in
/// RUN_AS_USER on Debian); `-u root` keeps it root.
#[test]
fn root_without_u_runs_as_nut() {
    use support::{stop, Site};
    let Some(nut) = nix::unistd::User::from_name("nut").ok().flatten() else {
        assert!(!support::interop(), "no user nut");
        eprintln!("note: skipping: no user nut");
        return;
    };
    if !nix::unistd::geteuid().is_root() {
        eprintln!("note: skipping: not root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new(
        dir.path(),
        "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n",
        "",
        &[],
    );
    for (args, uid) in [
        (vec!["-F"], nut.uid.as_raw()),
        (vec!["-F", "-u", "root"], 0),
    ] {
        let mut upsd = Kill::spawn(site.command(env!("CARGO_BIN_EXE_upsd")).args(&args));
        wait_for("upsd to listen", || {
            TcpStream::connect(("127.0.0.1", site.port)).ok()
        });
        let pid = upsd.0.id();
        // (It drops privileges just after it starts listening.)
        wait_for(&format!("upsd {args:?} to run as uid {uid}"), || {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let uids = status.lines().find(|l| l.starts_with("Uid:"))?.to_owned();
            uids.split_whitespace()
                .skip(1)
                .all(|u| u == uid.to_string())
                .then_some(())
        });
        stop(&mut upsd.0);
    }
}
