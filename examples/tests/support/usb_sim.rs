//! A simulated USB unit for the differential tests of the USB drivers of other protocols
//! than HID (`usb-emu run --sim NAME`): the unit's model is served by the test on a socket
//! in its own folder and handed to the emulator with `--q1-socket`, so that it stays the
//! same between C's run and ours (and the test steps it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nut_drivers::sim::socket::SocketServer;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

/// The emulator.
pub(crate) const USB_EMU: &str = env!("CARGO_BIN_EXE_usb-emu");

/// A simulated unit, served on a socket in its own folder.
pub(crate) struct UsbUnit {
    /// The folder (socket, state folders, transfer logs).
    pub(crate) dir: tempfile::TempDir,
    /// The unit's model.
    pub(crate) model: SharedModel,
    server: SocketServer,
    sim: &'static str,
}

impl UsbUnit {
    /// A unit speaking `protocol` with the device settings `settings`, served to drivers
    /// by `usb-emu run --sim <sim>`.
    pub(crate) fn new(sim: &'static str, protocol: Protocol, settings: &[(&str, &str)]) -> Self {
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
        Self {
            dir,
            model,
            server,
            sim,
        }
    }

    /// A folder `name` in the unit's folder (a driver's state).
    pub(crate) fn folder(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    /// `usb-emu run --sim <sim> --q1-socket <socket> [--log <log>] -- program -s ups -u
    /// root -x port=auto <args>`, with its state in `state` and its output captured, in a
    /// process group of its own (so that `Kill` takes the driver down with the emulator).
    pub(crate) fn command(
        &self,
        program: &str,
        state: &Path,
        log: Option<&Path>,
        args: &[&str],
    ) -> Command {
        let mut c = Command::new(USB_EMU);
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        c.args(["run", "--sim", self.sim, "--q1-socket"])
            .arg(self.server.path());
        if let Some(log) = log {
            c.arg("--log").arg(log);
        }
        c.args(["--", program, "-s", "ups", "-u", "root", "-x", "port=auto"])
            .args(args)
            .env("NUT_STATEPATH", state)
            .env("NUT_CONFPATH", state)
            .env("NUT_ALTPIDPATH", state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// The `-d 1` dump of `program` (the `name: value` lines but the version), its state in
    /// the folder `state`, its transfers logged to `log` if given.
    pub(crate) fn dump(&self, program: &str, state: &str, log: Option<&Path>) -> Vec<String> {
        let state = self.folder(state);
        let child = self
            .command(program, &state, log, &["-d", "1"])
            .spawn()
            .unwrap_or_else(|e| panic!("can't start {program}: {e}"));
        super::driver::finish(program, child)
            .lines()
            .filter(|l| l.contains(": ") && !l.starts_with("driver.version: "))
            .map(str::to_owned)
            .collect()
    }
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
