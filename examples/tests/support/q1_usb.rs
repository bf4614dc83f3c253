//! Q1 UPSes on emulated USB for the differential tests of `nutdrv_qx` and `blazer_usb`:
//! a simulated unit served on a Unix socket, the driver (C's or ours) run under
//! `usb-emu run --q1 BRIDGE` against it, and what the tests read back (dumps, the
//! emulator's transfer log, the driver socket).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_drivers::sim::q1::Q1Dialect;
use nut_drivers::sim::socket::SocketServer;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

use super::qx_session::PATIENCE;

/// The USB emulator (built with the tests that use this module).
pub(crate) const USB_EMU: &str = env!("CARGO_BIN_EXE_usb-emu");

/// A simulated unit: its model, served on a socket in its own folder.
pub(crate) struct Unit {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) model: SharedModel,
    pub(crate) server: SocketServer,
}

impl Unit {
    pub(crate) fn new(dialect: Q1Dialect) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let model = UpsModel::shared();
        let server = SocketServer::spawn(
            model.clone(),
            Protocol::Q1(dialect),
            &dir.path().join("ups.sock"),
        )
        .unwrap();
        Self { dir, model, server }
    }

    /// A state folder of its own for one driver run.
    pub(crate) fn state(&self, name: &str) -> PathBuf {
        let state = self.dir.path().join(name);
        std::fs::create_dir_all(&state).unwrap();
        state
    }
}

/// `usb-emu run --q1 BRIDGE --q1-socket … <emu flags> -- program -s ups -u root -x
/// port=auto <args> -x <options>…`, with its state in `state`.
pub(crate) fn driver(
    program: &str,
    bridge: &str,
    unit: &Unit,
    state: &Path,
    emu: &[(&str, &Path)],
    args: &[&str],
    options: &[String],
) -> Command {
    let mut c = Command::new(USB_EMU);
    // A group of its own: `Kill` then takes the driver down with the emulator.
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    c.args(["run", "--q1", bridge, "--q1-socket"])
        .arg(unit.server.path());
    for (flag, path) in emu {
        c.arg(flag).arg(path);
    }
    c.args(["--", program, "-s", "ups", "-u", "root", "-x", "port=auto"])
        .args(args);
    for o in options {
        c.args(["-x", o]);
    }
    c.env("NUT_STATEPATH", state)
        .env("NUT_CONFPATH", state)
        .env("NUT_ALTPIDPATH", state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// The `-d 1` dump of `program`, without the version lines.
pub(crate) fn dump(program: &str, bridge: &str, unit: &Unit, options: &[String]) -> Vec<String> {
    let state = unit.state("dump");
    let child = driver(program, bridge, unit, &state, &[], &["-d", "1"], options)
        .spawn()
        .unwrap_or_else(|e| panic!("can't start {program}: {e}"));
    super::driver::finish(program, child)
        .lines()
        .filter(|l| l.contains(": "))
        .filter(|l| !l.starts_with("driver.version: ") && !l.starts_with("driver.version.usb: "))
        .map(str::to_owned)
        .collect()
}

/// Runs `check` for every bridge at once (when the C program `c_program` is there to
/// compare with); panics naming each bridge that failed.
pub(crate) fn for_each_bridge(
    c_program: &str,
    bridges: &[&'static str],
    check: impl Fn(&'static str) + Sync,
) {
    if !super::have(&[c_program]) {
        return;
    }
    let failed: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = bridges.iter().map(|&b| (b, s.spawn(|| check(b)))).collect();
        runs.into_iter()
            .filter_map(|(b, run)| {
                run.join().err().map(|e| {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    format!("{b}: {msg}")
                })
            })
            .collect()
    });
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// The transfer log lines written since `seen` bytes, without the time and the reads of
/// query strings, OUT data up to its first `\r`; `seen` moves on.
pub(crate) fn new_transfers(log: &Path, seen: &mut usize) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let fresh = text.get(*seen..).unwrap_or_default().to_owned();
    *seen = text.len();
    fresh
        .lines()
        // Reads of the query strings (Q1, I, F) are polls: Hunnox's lock-step reads one
        // before each command, by a count of commands that depends on how often the
        // driver polled.
        .filter(|l| {
            !["value=0303 ", "value=030c ", "value=030d "]
                .iter()
                .any(|q| l.contains(q))
        })
        .map(|l| {
            let rest = l.split_once(' ').map_or(l, |(_, r)| r);
            if !rest.contains(" out ") {
                return rest.to_owned();
            }
            rest.split(' ')
                .map(|field| match field.strip_prefix("data=") {
                    Some(hex) => {
                        let cut = (0..hex.len())
                            .step_by(2)
                            .find(|&i| hex.get(i..i + 2) == Some("0d"))
                            .map_or(hex.len(), |i| i + 2);
                        format!("data={}", &hex[..cut])
                    }
                    None => field.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Reads the driver socket's answer to `DUMPALL` (with the status) until `done`.
pub(crate) fn socket_dump(sock: &Path) -> Vec<String> {
    use std::io::{BufReader, Write};
    let Ok(stream) = std::os::unix::net::UnixStream::connect(sock) else {
        return Vec::new();
    };
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    writer.write_all(b"DUMPALL\n").unwrap();
    super::driver::read_socket_until(&mut reader, PATIENCE, |l| l == "DUMPDONE")
}

/// What `-k` did: whether the program said it succeeded, the commands the UPS received and
/// the transfers on the wire (as [`new_transfers`] gives them).
pub(crate) type Killpower = (bool, Vec<String>, Vec<String>);

/// `program -k` on a fresh unit behind `bridge`.
pub(crate) fn killpower(program: &str, bridge: &str, options: &[String]) -> Killpower {
    let unit = Unit::new(Q1Dialect::Megatec);
    let state = unit.state("kill");
    let log = unit.dir.path().join("transfers.log");
    let out = driver(
        program,
        bridge,
        &unit,
        &state,
        &[("--log", &log)],
        &["-k"],
        options,
    )
    .output()
    .unwrap_or_else(|e| panic!("can't run {program}: {e}"));
    let received = unit.model.lock().unwrap().received.clone();
    (out.status.success(), received, new_transfers(&log, &mut 0))
}

/// A command session of `program` on a fresh unit behind `bridge` (options `options`, driver
/// socket `socket` in the state folder), with the transfers each request made.
pub(crate) fn session(
    program: &str,
    bridge: &str,
    options: &[String],
    socket: &str,
    requests: &[super::qx_session::Request],
) -> super::qx_session::Session {
    let unit = Unit::new(Q1Dialect::Megatec);
    let state = unit.state("run");
    let log = unit.dir.path().join("transfers.log");
    let mut run = driver(
        program,
        bridge,
        &unit,
        &state,
        &[("--log", &log)],
        &["-F", "-i", "3600"],
        options,
    );
    run.stdout(Stdio::null()).stderr(Stdio::null());
    let mut seen = 0;
    super::qx_session::drive(
        program,
        run,
        &state.join(socket),
        &unit.model,
        requests,
        true,
        &mut || new_transfers(&log, &mut seen),
    )
}
