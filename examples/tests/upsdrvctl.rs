//! upsdrvctl: dry runs compared with C upsdrvctl, start/stop of the C dummy-ups driver,
//! retries with a fake driver, and the supervise mode.
//!
//! Tests that need a C program skip with a note when it is missing, unless
//! `NUT_RS_INTEROP=1` is set: then a missing C program is a failure.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use nut_drivers::upsdrvctl::{pid_file_alive, strip_timestamps};

const DEADLINE: Duration = Duration::from_secs(60);

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "nut-rs-upsdrvctl-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn sub(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        fs::create_dir_all(&p).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

mod support;

use support::{interop, Kill};

/// The C program at the first of `paths` that exists; `None` (with a note) when none does.
fn c_program(paths: &[&str]) -> Option<PathBuf> {
    if let Some(p) = paths.iter().map(PathBuf::from).find(|p| p.exists()) {
        return Some(p);
    }
    assert!(
        !interop(),
        "NUT_RS_INTEROP=1 but none of {paths:?} exists (apt-get install nut-server)"
    );
    eprintln!("note: skipping: C program not found at {paths:?}");
    None
}

fn c_upsdrvctl() -> Option<PathBuf> {
    c_program(&[
        "/lib/nut/upsdrvctl",
        "/sbin/upsdrvctl",
        "/usr/sbin/upsdrvctl",
    ])
}

fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_upsdrvctl"))
}

/// Runs `prog args` with ups.conf in `etc` and state (and PID files) in `state`.
fn run(prog: &Path, args: &[&str], etc: &Path, state: &Path) -> Output {
    Command::new(prog)
        .args(args)
        .env("NUT_CONFPATH", etc)
        .env("NUT_STATEPATH", state)
        .env_remove("NUT_ALTPIDPATH")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_script(path: &Path, body: &str) {
    fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count_lines(path: &Path) -> usize {
    fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

/// Runs the same arguments through C upsdrvctl and ours and compares stdout, stderr
/// (timestamps removed) and the exit status.
fn compare(c: &Path, args: &[&str], etc: &Path, state: &Path) {
    let theirs = run(c, args, etc, state);
    let mine = run(&ours(), args, etc, state);
    assert_eq!(
        text(&mine.stdout),
        text(&theirs.stdout),
        "stdout of {args:?}"
    );
    assert_eq!(
        strip_timestamps(&text(&mine.stderr)),
        strip_timestamps(&text(&theirs.stderr)),
        "stderr of {args:?}"
    );
    assert_eq!(
        mine.status.code(),
        theirs.status.code(),
        "status of {args:?}"
    );
}

#[test]
fn dry_run_matches_c() {
    let Some(c) = c_upsdrvctl() else { return };
    let dir = TempDir::new("dry");
    let etc = dir.sub("etc");
    let state = dir.sub("state");
    fs::write(
        etc.join("ups.conf"),
        "driverpath = /lib/nut\nmaxretry = 3\n\
         [a]\n driver = dummy-ups\n port = a.dev\n sdorder = 2\n\
         [b]\n driver = dummy-ups\n port = /somewhere/b.dev\n sdorder = -1\n\
         [c]\n driver = apcsmart\n port = /dev/ttyS0\n user = foo\n\
         [d]\n driver = nutdrv_qx\n port = auto\n sdorder = 1\n maxstartdelay = 5\n\
         [e]\n driver = dummy-ups\n port = e.dev\n sdorder = 1\n\
         [f]\n driver = dummy-ups\n port = f.dev\n sdorder = 3\n",
    )
    .unwrap();
    fs::write(state.join("dummy-ups-e.pid"), "1\n").unwrap();
    // A stale PID file naming a process that cannot exist (above any pid_max).
    fs::write(state.join("dummy-ups-f.pid"), "2147483646\n").unwrap();
    for args in [
        &["-t", "start"][..],
        &["-t", "-u", "nut", "start"],
        &["-t", "-u", "nut", "shutdown"],
        &["-t", "shutdown", "b"],
        &["-t", "stop"],
        &["-t", "stop", "e"],
        &["-t", "-D", "-d", "-r", "/chroot", "-u", "nut", "start", "a"],
        &["-t", "-DD", "-d", "start"],
        &["-t", "-D", "shutdown"],
        &["-t", "start", "zzz"],
        &["-t", "start", "A"],
        &["-t", "bogus"],
        &["bogus"],
        &["start", "zzz"],
        &["start", "-t"],
        &["-t", "start", "-D"],
        &["-V"],
    ] {
        compare(&c, args, &etc, &state);
    }
    // A stale PID file: the same messages, except that C names a stale errno
    // ("Invalid argument") in the last one where we give kill's ("No such process").
    for args in [&["stop", "f"][..], &["-D", "stop", "f"]] {
        let theirs = run(&c, args, &etc, &state);
        let mine = run(&ours(), args, &etc, &state);
        assert_eq!(mine.status.code(), theirs.status.code(), "{args:?}");
        let (mine, theirs) = (
            strip_timestamps(&text(&mine.stderr)),
            strip_timestamps(&text(&theirs.stderr)),
        );
        let (m, t): (Vec<&str>, Vec<&str>) = (mine.lines().collect(), theirs.lines().collect());
        assert_eq!(m.len(), t.len(), "{mine}");
        assert_eq!(m[..m.len() - 1], t[..t.len() - 1]);
        let pid_file = state.join("dummy-ups-f.pid");
        assert_eq!(
            m[m.len() - 1],
            format!("Stopping {} failed: No such process", pid_file.display())
        );
        assert!(t[t.len() - 1].starts_with(&format!("Stopping {} failed: ", pid_file.display())));
    }
    // A missing driver stops the run, even in test mode.
    fs::write(
        etc.join("ups.conf"),
        format!(
            "driverpath = {}\n[x]\n driver = no-such-driver\n port = p\n",
            dir.path().display()
        ),
    )
    .unwrap();
    compare(&c, &["-t", "start"], &etc, &state);
    compare(&c, &["-t", "shutdown"], &etc, &state);
    compare(&c, &["start"], &etc, &state);
    // No UPS at all.
    fs::write(etc.join("ups.conf"), "maxretry = 2\n").unwrap();
    compare(&c, &["-t", "start"], &etc, &state);
    compare(&c, &["stop"], &etc, &state);
}

#[test]
fn usage_and_exit_codes() {
    let dir = TempDir::new("usage");
    let etc = dir.sub("etc");
    let state = dir.sub("state");
    for args in [&[][..], &["-h"], &["--help"], &["-x"]] {
        let out = run(&ours(), args, &etc, &state);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with("Network UPS Tools - UPS driver controller 2.8.0\n"));
        assert!(stdout.contains("usage: "), "{args:?}: {stdout}");
    }
    let out = run(&ours(), &["-x"], &etc, &state);
    assert!(
        text(&out.stderr).ends_with(": invalid option -- 'x'\n"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&ours(), &["-u"], &etc, &state);
    assert!(
        text(&out.stderr).ends_with(": option requires an argument -- 'u'\n"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    let out = run(&ours(), &["--version"], &etc, &state);
    assert_eq!(
        text(&out.stdout),
        "Network UPS Tools - UPS driver controller 2.8.0\n"
    );
    // ups.conf errors name the file and line.
    fs::write(etc.join("ups.conf"), "[x]\n driver\n port = p\n").unwrap();
    let out = run(&ours(), &["start"], &etc, &state);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!("{}/ups.conf:2: ", etc.display());
    assert!(
        text(&out.stderr).starts_with(&expected),
        "{}",
        text(&out.stderr)
    );
}

/// A fake driver that fails (exit 3) until it has been run `fails + 1` times.
fn flaky_driver(dir: &Path, fails: usize) {
    let count = dir.join("count");
    write_script(
        &dir.join("flaky"),
        &format!(
            "echo \"$*\" >> {count}\n\
             n=$(wc -l < {count})\n\
             if [ \"$n\" -le {fails} ]; then exit 3; fi\n\
             exit 0\n",
            count = count.display()
        ),
    );
}

#[test]
fn retries_until_the_driver_starts() {
    let dir = TempDir::new("retry");
    let etc = dir.sub("etc");
    let state = dir.sub("state");
    let drv = dir.sub("drv");
    let conf = |maxretry: u32| {
        format!(
            "driverpath = {}\nmaxretry = {maxretry}\nretrydelay = 0\n[u]\n driver = flaky\n port = x\n",
            drv.display()
        )
    };
    // Fails twice, then starts: three attempts are enough.
    flaky_driver(&drv, 2);
    fs::write(etc.join("ups.conf"), conf(3)).unwrap();
    let out = run(&ours(), &["-u", "nut", "start"], &etc, &state);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "Driver failed to start (exit status=3)\nDriver failed to start (exit status=3)\n"
    );
    assert_eq!(
        fs::read_to_string(drv.join("count")).unwrap(),
        "-a u -u nut\n-a u -u nut\n-a u -u nut\n"
    );
    // Two attempts are not.
    fs::remove_file(drv.join("count")).unwrap();
    fs::write(etc.join("ups.conf"), conf(2)).unwrap();
    let out = run(&ours(), &["start", "u"], &etc, &state);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(count_lines(&drv.join("count")), 2);
    // C does the same with the same fake driver.
    if let Some(c) = c_upsdrvctl() {
        fs::remove_file(drv.join("count")).unwrap();
        let theirs = run(&c, &["start", "u"], &etc, &state);
        assert_eq!(count_lines(&drv.join("count")), 2);
        assert_eq!(theirs.status.code(), out.status.code());
        assert_eq!(text(&theirs.stderr), text(&out.stderr));
        assert_eq!(text(&theirs.stdout), text(&out.stdout));
    }
}

#[test]
fn late_driver_is_stopped() {
    let dir = TempDir::new("late");
    let etc = dir.sub("etc");
    let state = dir.sub("state");
    let drv = dir.sub("drv");
    let pid_file = drv.join("sleeper.pid");
    write_script(
        &drv.join("sleeper"),
        &format!("echo $$ > {}\nexec sleep 600\n", pid_file.display()),
    );
    fs::write(
        etc.join("ups.conf"),
        format!(
            "driverpath = {}\nmaxstartdelay = 30\n[u]\n driver = sleeper\n port = x\n maxstartdelay = 1\n",
            drv.display()
        ),
    )
    .unwrap();
    let out = run(&ours(), &["start"], &etc, &state);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Startup timer elapsed, continuing...\n");
    // Unlike C, the driver that missed its deadline is not left behind.
    wait_until("the late driver to be killed", || {
        !pid_file_alive(&pid_file)
    });
}

/// A state directory the C drivers (which switch to user nut) can use.
fn nut_owned(dirs: &[&Path]) -> bool {
    let Ok(Some(user)) = nix::unistd::User::from_name("nut") else {
        return false;
    };
    dirs.iter()
        .all(|d| nix::unistd::chown(*d, Some(user.uid), Some(user.gid)).is_ok())
}

#[test]
fn start_and_stop_c_dummy_ups() {
    let Some(_) = c_program(&["/lib/nut/dummy-ups"]) else {
        return;
    };
    let dir = TempDir::new("dummy");
    let etc = dir.sub("etc");
    let state = dir.sub("state");
    fs::write(etc.join("ups.dev"), "ups.status: OL\nbattery.charge: 100\n").unwrap();
    fs::write(
        etc.join("ups.conf"),
        format!(
            "driverpath = /lib/nut\n[dev]\n driver = dummy-ups\n port = {}/ups.dev\n desc = \"test\"\n",
            etc.display()
        ),
    )
    .unwrap();
    if !nut_owned(&[&etc, &state, &etc.join("ups.conf"), &etc.join("ups.dev")]) {
        assert!(!interop(), "cannot give the temp dirs to user nut");
        eprintln!("note: skipping: not root or no user nut");
        return;
    }
    let socket = state.join("dummy-ups-dev");
    let pid_file = state.join("dummy-ups-dev.pid");
    let out = run(&ours(), &["-u", "nut", "start", "dev"], &etc, &state);
    // Whatever happens next, do not leave the driver running.
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            if let Ok(t) = fs::read_to_string(&self.0) {
                if let Ok(pid) = t.trim().parse::<i32>() {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
        }
    }
    let _cleanup = Cleanup(pid_file.clone());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    wait_until("the driver socket", || socket.exists());
    // The driver rewrites its PID file after it has detached.
    wait_until("the driver's PID file", || pid_file_alive(&pid_file));
    let out = run(&ours(), &["stop", "dev"], &etc, &state);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    wait_until("the socket to go", || !socket.exists());
    wait_until("the driver to exit", || !pid_file_alive(&pid_file));
    // Stopping again: no PID file any more.
    let out = run(&ours(), &["stop", "dev"], &etc, &state);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("dummy-ups-dev.pid: No such file or directory"));
}

#[test]
fn supervise_restarts_a_killed_driver() {
    let dir = TempDir::new("supervise");
    let etc = dir.sub("etc");
    let state = dir.sub("state");
    let drv = dir.sub("drv");
    let starts = drv.join("starts");
    // A fake driver that detaches like a real one: it leaves a background process behind
    // and names it in <statepath>/<driver>-<ups>.pid.
    write_script(
        &drv.join("fake"),
        &format!(
            "echo \"$*\" >> {starts}\n\
             sleep 600 </dev/null >/dev/null 2>&1 &\n\
             echo $! > \"$NUT_STATEPATH/fake-$2.pid\"\n\
             exit 0\n",
            starts = starts.display()
        ),
    );
    fs::write(
        etc.join("ups.conf"),
        format!(
            "driverpath = {}\nretrydelay = 1\n[u]\n driver = fake\n port = x\n",
            drv.display()
        ),
    )
    .unwrap();
    let pid_file = state.join("fake-u.pid");
    let read_pid = || -> i32 {
        fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let child = Command::new(ours())
        .args(["supervise"])
        .env("NUT_CONFPATH", &etc)
        .env("NUT_STATEPATH", &state)
        .env_remove("NUT_ALTPIDPATH")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sup = Kill(child);
    wait_until("the first start", || {
        count_lines(&starts) == 1 && pid_file_alive(&pid_file)
    });
    assert!(state.join("upsdrvctl.pid").exists());
    let first = read_pid();
    kill(Pid::from_raw(first), Signal::SIGKILL).unwrap();
    wait_until("the restart", || {
        count_lines(&starts) == 2 && pid_file_alive(&pid_file)
    });
    let second = read_pid();
    assert_ne!(first, second);
    // `upsdrvctl stop` reaches the supervisor: the driver stays stopped...
    let ctl = |command: &str| {
        let out = Command::new(ours())
            .args([command, "u"])
            .env("NUT_CONFPATH", &etc)
            .env("NUT_STATEPATH", &state)
            .env_remove("NUT_ALTPIDPATH")
            .output()
            .unwrap();
        assert!(out.status.success(), "{command}: {}", text(&out.stderr));
    };
    ctl("stop");
    wait_until("the stop", || !pid_file_alive(&pid_file));
    // (several supervisor checks, one second apart)
    std::thread::sleep(Duration::from_secs(4));
    assert!(!pid_file_alive(&pid_file));
    assert_eq!(count_lines(&starts), 2);
    // ... until `upsdrvctl start`, after which the supervisor watches it again.
    ctl("start");
    wait_until("the start", || {
        count_lines(&starts) == 3 && pid_file_alive(&pid_file)
    });
    kill(Pid::from_raw(read_pid()), Signal::SIGKILL).unwrap();
    wait_until("the restart after start", || {
        count_lines(&starts) == 4 && pid_file_alive(&pid_file)
    });
    // SIGTERM to the supervisor stops the driver and the supervisor.
    kill(Pid::from_raw(sup.0.id() as i32), Signal::SIGTERM).unwrap();
    let mut status = None;
    wait_until("the supervisor to exit", || {
        status = sup.0.try_wait().unwrap();
        status.is_some()
    });
    assert_eq!(status.unwrap().code(), Some(0));
    wait_until("the driver to stop", || !pid_file_alive(&pid_file));
    assert_eq!(count_lines(&starts), 4);
    assert!(!state.join("upsdrvctl.pid").exists());
    let mut stderr = String::new();
    use std::io::Read;
    sup.0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("UPS u: driver is not running; restarting it"),
        "{stderr}"
    );
    assert!(
        stderr.contains("UPS u: driver stopped with upsdrvctl stop; not restarting it"),
        "{stderr}"
    );
    assert!(!state.join("fake-u.stopped").exists());
}

#[test]
fn supervise_restarts_c_dummy_ups() {
    let Some(_) = c_program(&["/lib/nut/dummy-ups"]) else {
        return;
    };
    let dir = TempDir::new("supdummy");
    let etc = dir.sub("etc");
    let state = dir.sub("state");
    fs::write(etc.join("ups.dev"), "ups.status: OL\n").unwrap();
    fs::write(
        etc.join("ups.conf"),
        format!(
            "driverpath = /lib/nut\nretrydelay = 1\n[dev]\n driver = dummy-ups\n port = {}/ups.dev\n",
            etc.display()
        ),
    )
    .unwrap();
    if !nut_owned(&[&etc, &state, &etc.join("ups.conf"), &etc.join("ups.dev")]) {
        assert!(!interop(), "cannot give the temp dirs to user nut");
        eprintln!("note: skipping: not root or no user nut");
        return;
    }
    let pid_file = state.join("dummy-ups-dev.pid");
    let socket = state.join("dummy-ups-dev");
    let read_pid = || -> Option<i32> { fs::read_to_string(&pid_file).ok()?.trim().parse().ok() };
    let child = Command::new(ours())
        .args(["-u", "nut", "supervise", "dev"])
        .env("NUT_CONFPATH", &etc)
        .env("NUT_STATEPATH", &state)
        .env_remove("NUT_ALTPIDPATH")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut sup = Kill(child);
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            if let Ok(t) = fs::read_to_string(&self.0) {
                if let Ok(pid) = t.trim().parse::<i32>() {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
        }
    }
    let _cleanup = Cleanup(pid_file.clone());
    wait_until("the driver", || {
        socket.exists() && pid_file_alive(&pid_file)
    });
    let first = read_pid().unwrap();
    kill(Pid::from_raw(first), Signal::SIGKILL).unwrap();
    wait_until("the restarted driver", || {
        read_pid().is_some_and(|p| p != first) && pid_file_alive(&pid_file) && socket.exists()
    });
    kill(Pid::from_raw(sup.0.id() as i32), Signal::SIGTERM).unwrap();
    let mut status = None;
    wait_until("the supervisor to exit", || {
        status = sup.0.try_wait().unwrap();
        status.is_some()
    });
    assert_eq!(status.unwrap().code(), Some(0));
    wait_until("the driver to stop", || {
        !socket.exists() && !pid_file_alive(&pid_file)
    });
}

/// With no `driverpath` in ups.conf, upsdrvctl takes the drivers beside itself: an
/// installed stack (`cargo install --locked --path examples --root X` puts every program in
/// `X/bin`) starts without editing ups.conf, and runs our dummy-ups, not C's.
///
/// The installation is what `cargo install` makes of the two programs: copies of them in
/// `<root>/bin` (a real `cargo install` resolves the package's features on its own and
/// rebuilds for minutes, too long for a test; CI's fresh-clone step builds as users do).
#[test]
fn default_driverpath_is_the_programs_own_folder() {
    let dir = TempDir::new("installed");
    let bin = dir.sub("bin");
    for (name, built) in [
        ("upsdrvctl", ours()),
        ("dummy-ups", PathBuf::from(env!("CARGO_BIN_EXE_dummy-ups"))),
    ] {
        fs::copy(&built, bin.join(name)).unwrap();
    }
    let etc = dir.sub("etc");
    let state = dir.sub("state");
    fs::write(etc.join("ups.dev"), "ups.status: OL\n").unwrap();
    fs::write(
        etc.join("ups.conf"),
        format!(
            "[dev]\n driver = dummy-ups\n port = {}/ups.dev\n",
            etc.display()
        ),
    )
    .unwrap();
    // As root the driver runs as user nut (when there is one), which needs the folders.
    if nix::unistd::geteuid().is_root() {
        nut_owned(&[&etc, &state, &etc.join("ups.dev")]);
    }
    let upsdrvctl = bin.join("upsdrvctl");
    let driver = bin.join("dummy-ups");

    let out = run(&upsdrvctl, &["-t", "start"], &etc, &state);
    assert!(
        text(&out.stderr).contains(&format!("exec:  {} -a dev", driver.display())),
        "{}",
        text(&out.stderr)
    );

    let socket = state.join("dummy-ups-dev");
    let pid_file = state.join("dummy-ups-dev.pid");
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            if let Ok(t) = fs::read_to_string(&self.0) {
                if let Ok(pid) = t.trim().parse::<i32>() {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
        }
    }
    let _cleanup = Cleanup(pid_file.clone());
    let out = run(&upsdrvctl, &["start"], &etc, &state);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    wait_until("the driver socket", || socket.exists());
    wait_until("the driver's PID file", || pid_file_alive(&pid_file));
    // The process is the dummy-ups of the bin folder.
    let pid = fs::read_to_string(&pid_file).unwrap();
    let exe = fs::read_link(format!("/proc/{}/exe", pid.trim())).unwrap();
    assert_eq!(exe, driver);
    let out = run(&upsdrvctl, &["stop"], &etc, &state);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    wait_until("the driver to exit", || !pid_file_alive(&pid_file));
}
