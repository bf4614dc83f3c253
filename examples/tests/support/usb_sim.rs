//! Units of the simulator on emulated USB for the differential tests of the USB drivers
//! that `usb-emu run --sim NAME` serves (`bcmxcp_usb`, `tripplite_usb`, `riello_usb`): a
//! simulated unit served on a Unix socket in its own folder (handed to the emulator with
//! `--q1-socket`, so that it stays the same between C's run and ours, and the test steps
//! it), and the driver (C's or ours) run under the emulator against it.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nut_drivers::sim::socket::SocketServer;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

/// The USB emulator (built with the tests that use this module).
pub(crate) const USB_EMU: &str = env!("CARGO_BIN_EXE_usb-emu");

/// A simulated unit: its model, served on a socket (`ups.sock`) in its own folder.
pub(crate) struct Unit {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) model: SharedModel,
    pub(crate) server: SocketServer,
}

impl Unit {
    /// A unit speaking `protocol`, its model given the device settings `settings`.
    pub(crate) fn new(protocol: Protocol, settings: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let model = UpsModel::shared();
        {
            let mut m = model.lock().unwrap();
            for (k, v) in settings {
                m.settings.insert((*k).into(), (*v).into());
            }
        }
        let server =
            SocketServer::spawn(model.clone(), protocol, &dir.path().join("ups.sock")).unwrap();
        Self { dir, model, server }
    }

    /// A folder `name` of its own (created) in the unit's folder, for one driver run.
    pub(crate) fn folder(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    /// usb-emu's options: this unit's socket, a transfer log if given, `more`.
    pub(crate) fn emu(&self, log: Option<&Path>, more: &[&str]) -> Vec<OsString> {
        let mut out: Vec<OsString> = vec!["--q1-socket".into(), self.server.path().into()];
        if let Some(log) = log {
            out.push("--log".into());
            out.push(log.into());
        }
        out.extend(more.iter().map(Into::into));
        out
    }
}

/// `usb-emu run --sim <sim> <emu> -- program -s ups -u root -x port=auto <args>`, with its
/// state in `state` and its output captured. The emulator gets a process group of its own,
/// so that killing the group takes the driver down with it.
pub(crate) fn driver(
    sim: &str,
    program: &str,
    state: &Path,
    emu: &[impl AsRef<OsStr>],
    args: &[&str],
) -> Command {
    let mut c = Command::new(USB_EMU);
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    c.args(["run", "--sim", sim])
        .args(emu)
        .args(["--", program, "-s", "ups", "-u", "root", "-x", "port=auto"])
        .args(args)
        .env("NUT_STATEPATH", state)
        .env("NUT_CONFPATH", state)
        .env("NUT_ALTPIDPATH", state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// The `-d 1` dump of `program` under `usb-emu run --sim <sim> <emu>` (the `name: value`
/// lines but the version).
pub(crate) fn dump(
    sim: &str,
    program: &str,
    state: &Path,
    emu: &[impl AsRef<OsStr>],
) -> Vec<String> {
    let child = driver(sim, program, state, emu, &["-d", "1"])
        .spawn()
        .unwrap_or_else(|e| panic!("can't start {program}: {e}"));
    super::driver::finish(program, child)
        .lines()
        .filter(|l| l.contains(": ") && !l.starts_with("driver.version: "))
        .map(str::to_owned)
        .collect()
}

/// The transfer log lines written since `seen` bytes (which it moves on), without their
/// time.
pub(crate) fn new_transfers(log: &Path, seen: &mut usize) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let fresh = text.get(*seen..).unwrap_or_default().to_owned();
    *seen = text.len();
    fresh
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, rest)| rest.to_owned()))
        .collect()
}
