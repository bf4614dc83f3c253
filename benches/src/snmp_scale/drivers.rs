//! The drivers under test: one process per device (C's `snmp-ups` or ours), or ours all in
//! one process (the fleet, [`super::fleet`]). All write their sockets, PID files and logs in
//! one temporary directory.

use std::fs;
use std::io::{self, BufRead, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::fleet::{driver_args, FleetDevice, SnmpSettings};
use crate::servers::tail;

/// How the devices are driven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// One process of `program` per device (`-u root -F` and the [`driver_args`]).
    Processes {
        /// The driver program (C's `/lib/nut/snmp-ups`, or ours).
        program: PathBuf,
    },
    /// One fleet process: `program` with `args` before `--devices FILE --state-dir DIR`
    /// and the SNMP settings (see the `nut-snmp-scale fleet` command).
    Fleet {
        /// The program (`nut-snmp-scale`).
        program: PathBuf,
        /// Its first arguments (`fleet`, `--threads 1`, …).
        args: Vec<String>,
        /// Whether it embeds a server (readiness is then asked of the server).
        server: bool,
    },
}

/// A running set of drivers; stopped (SIGTERM, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct Drivers {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    keep: bool,
    children: Vec<Child>,
    devices: Vec<FleetDevice>,
    /// The fleet's command pipe and its answers.
    fleet_io: Option<(ChildStdin, BufReader<ChildStdout>)>,
    server: Option<SocketAddr>,
}

/// The name of a driver socket, as both C and ours make it.
fn socket_name(ups: &str) -> String {
    format!("snmp-ups-{ups}")
}

impl Drivers {
    /// Starts the drivers of `devices` as `launch` says.
    pub fn start(
        launch: &Launch,
        devices: &[FleetDevice],
        snmp: &SnmpSettings,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("nut-snmp-scale-")
            .tempdir()?;
        let mut drivers = Self {
            path: dir.path().to_owned(),
            dir: Some(dir),
            keep: false,
            children: Vec::new(),
            devices: devices.to_vec(),
            fleet_io: None,
            server: None,
        };
        match launch {
            Launch::Processes { program } => {
                for device in devices {
                    let mut command = Command::new(program);
                    command
                        .args(["-u", "root", "-F"])
                        .args(driver_args(device, snmp));
                    let log = drivers.path().join(format!("{}.log", device.name));
                    let child = drivers
                        .spawn(command, &log, false)
                        .with_context(|| format!("starting {}", program.display()))?;
                    drivers.children.push(child);
                }
            }
            Launch::Fleet {
                program,
                args,
                server,
            } => {
                let list = drivers.path().join("devices");
                let text: String = devices.iter().map(|d| d.line() + "\n").collect();
                fs::write(&list, text)?;
                let mut command = Command::new(program);
                command
                    .args(args)
                    .arg("--devices")
                    .arg(&list)
                    .arg("--state-dir")
                    .arg(drivers.path())
                    .args(["--community", &snmp.community])
                    .args(["--snmp-version", &snmp.version])
                    .args(["--pollfreq", &snmp.pollfreq.to_string()]);
                if *server {
                    command.arg("--server");
                }
                let log = drivers.path().join("fleet.log");
                let mut child = drivers.spawn(command, &log, true)?;
                let stdin = child.stdin.take().context("fleet stdin")?;
                let mut stdout = BufReader::new(child.stdout.take().context("fleet stdout")?);
                drivers.children.push(child);
                if *server {
                    let mut line = String::new();
                    stdout.read_line(&mut line)?;
                    let addr = line
                        .trim()
                        .strip_prefix("listening ")
                        .and_then(|a| a.parse().ok())
                        .with_context(|| format!("fleet said {line:?}; log: {}", tail(&log)))?;
                    drivers.server = Some(addr);
                }
                drivers.fleet_io = Some((stdin, stdout));
            }
        }
        Ok(drivers)
    }

    fn spawn(&self, mut command: Command, log: &Path, piped: bool) -> io::Result<Child> {
        let out = fs::File::create(log)?;
        let dir = self.path();
        command
            .env(nut_proto::paths::STATEPATH_ENV, dir)
            .env(nut_proto::paths::CONFPATH_ENV, dir)
            .env(nut_proto::paths::ALTPIDPATH_ENV, dir)
            .stderr(out.try_clone()?);
        if piped {
            command.stdin(Stdio::piped()).stdout(Stdio::piped());
        } else {
            command.stdin(Stdio::null()).stdout(out);
        }
        command.spawn()
    }

    /// The directory of sockets, PID files and logs.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// How many drivers serve their data: sockets present, or devices the embedded server
    /// answers `GET VAR <ups> ups.status` for.
    pub fn ready(&self) -> io::Result<usize> {
        match self.server {
            Some(addr) => answering(addr, &self.devices),
            None => Ok(self
                .devices
                .iter()
                .filter(|d| self.path().join(socket_name(&d.name)).exists())
                .count()),
        }
    }

    /// Processes that have exited, with their status.
    pub fn exited(&mut self) -> Vec<String> {
        let mut gone = Vec::new();
        for child in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                gone.push(format!("pid {}: {status}", child.id()));
            }
        }
        gone
    }

    /// Waits until every driver is [ready](Self::ready), a process exits or `timeout` passes.
    pub fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            let ready = self.ready().unwrap_or(0);
            if ready == self.devices.len() {
                return Ok(());
            }
            let gone = self.exited();
            if !gone.is_empty() {
                anyhow::bail!(
                    "{} driver process(es) exited ({}); logs in {}",
                    gone.len(),
                    gone.join(", "),
                    self.path().display()
                );
            }
            if start.elapsed() > timeout {
                anyhow::bail!(
                    "only {ready} of {} drivers ready after {timeout:?}",
                    self.devices.len()
                );
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// The fleet's `stats` line (allocation counters), if this is a fleet that gives one.
    pub fn fleet_stats(&mut self) -> Option<String> {
        let (stdin, stdout) = self.fleet_io.as_mut()?;
        writeln!(stdin, "stats").ok()?;
        stdin.flush().ok()?;
        let mut line = String::new();
        stdout.read_line(&mut line).ok()?;
        Some(line.trim().to_owned()).filter(|l| !l.is_empty())
    }

    /// Keeps the directory after the drivers stop (for reading the logs).
    pub fn keep(&mut self) {
        self.keep = true;
    }

    fn stop(&mut self) {
        // The fleet stops at the end of its input.
        self.fleet_io = None;
        for child in &self.children {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for child in &mut self.children {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        self.children.clear();
    }
}

impl Drop for Drivers {
    fn drop(&mut self) {
        self.stop();
        if let (true, Some(dir)) = (self.keep, self.dir.take()) {
            let _ = dir.keep();
        }
    }
}

/// How many of `devices` the server at `addr` answers `GET VAR <ups> ups.status` for.
fn answering(addr: SocketAddr, devices: &[FleetDevice]) -> io::Result<usize> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut count = 0;
    let mut line = String::new();
    for device in devices {
        writeln!(writer, "GET VAR {} ups.status", device.name)?;
        line.clear();
        reader.read_line(&mut line)?;
        if line.starts_with("VAR ") {
            count += 1;
        }
    }
    let _ = writeln!(writer, "LOGOUT");
    Ok(count)
}
