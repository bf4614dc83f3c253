//! The servers under test, each a separate process in a temporary directory: one C
//! `dummy-ups` driver, and any number of upsd processes (C NUT's and ours) that all serve the
//! data of that one driver through its C-compatible socket.
//!
//! ```text
//! <tmp>/nut-compare-XXXX/
//!   driver/etc/{ups.conf, bench.dev}   driver/state/dummy-ups-<ups>   (the driver's socket)
//!                                      (bench.seq instead when the values change)
//!   c-1/etc/{ups.conf, upsd.conf, upsd.users}   c-1/state/dummy-ups-<ups> -> the socket
//!   ours-2/…                                     (one directory per upsd started)
//! ```
//!
//! C programs want their files readable by user `nut` and the state directory owned by it;
//! when we run as root, everything is chowned to `run_as` and the C programs get `-u`.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::{chown, Pid, User};

/// How long a server may take to start serving the driver's data.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Variables the driver adds to those of the `.dev` file (`driver.name`, `driver.version`,
/// `driver.version.internal`, `driver.parameter.{mode,pollinterval,port,synchronous}`).
pub const DRIVER_VARS: usize = 7;

/// Variables every `.dev` file written here holds; dummy-ups would add defaults for the
/// first five otherwise.
const BASE_VARS: &[(&str, &str)] = &[
    ("ups.status", "OL"),
    ("ups.mfr", "Bench Power"),
    ("ups.model", "Bench 1500"),
    ("device.mfr", "Bench Power"),
    ("device.model", "Bench 1500"),
    ("device.type", "ups"),
];

/// Further variables, in the order they are added, with the value they alternate with in a
/// [`sequence_file`].
const MORE_VARS: &[(&str, &str, &str)] = &[
    ("battery.charge", "100", "99"),
    ("battery.runtime", "1830", "1790"),
    ("battery.voltage", "27.3", "27.1"),
    ("input.voltage", "230.4", "229.8"),
    ("input.frequency", "50.0", "49.9"),
    ("output.voltage", "230.4", "229.9"),
    ("ups.load", "23", "24"),
    ("ups.temperature", "31.5", "31.7"),
    ("battery.charge.low", "10", "11"),
    ("battery.voltage.nominal", "24.0", "24.1"),
    ("input.voltage.nominal", "230", "231"),
    ("output.frequency", "50.0", "50.1"),
    ("ups.realpower.nominal", "1000", "1001"),
    ("ups.serial", "BENCH000001", "BENCH000002"),
];

/// The smallest device [`dev_file`] can describe.
pub const MIN_VARS: usize = DRIVER_VARS + 6;

/// A dummy-ups `.dev` file for a device that serves `vars` variables in all (including the
/// [`DRIVER_VARS`] the driver adds itself); at least [`MIN_VARS`].
pub fn dev_file(vars: usize) -> String {
    let mut text = String::from("# written by nut-benches\n");
    for (name, value, _) in device_vars(vars) {
        writeln!(text, "{name}: {value}").expect("write to String");
    }
    text
}

/// A dummy-ups sequence file for the device of [`dev_file`]: its variables, then after
/// `TIMER 1` all of them but the six first (`ups.status`, names and models) take
/// another value and then their first one again, over and over (dummy-ups in `dummy-loop`
/// mode rereads the file from the top at its end).
pub fn sequence_file(vars: usize) -> String {
    let mut text = dev_file(vars);
    text.push_str("TIMER 1\n");
    for (name, _, other) in device_vars(vars).into_iter().skip(BASE_VARS.len()) {
        writeln!(text, "{name}: {other}").expect("write to String");
    }
    text.push_str("TIMER 1\n");
    text
}

/// The variables of the `.dev` file of a device serving `vars` in all: name, value and the
/// value of the other step of a [`sequence_file`].
fn device_vars(vars: usize) -> Vec<(String, &'static str, &'static str)> {
    let own = vars.saturating_sub(DRIVER_VARS).max(BASE_VARS.len());
    let extra = (own - BASE_VARS.len()).saturating_sub(MORE_VARS.len());
    let generated = (0..extra).map(|i| (format!("ambient.{}.temperature", i + 1), "21.5", "21.6"));
    let fixed = BASE_VARS
        .iter()
        .map(|&(name, value)| (name, value, value))
        .chain(MORE_VARS.iter().copied())
        .map(|(name, value, other)| (name.to_owned(), value, other));
    fixed.chain(generated).take(own).collect()
}

/// How to lay out the sandbox and start its driver.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The UPS name in ups.conf.
    pub ups: String,
    /// Variables the device serves in all (see [`dev_file`]).
    pub vars: usize,
    /// C NUT's dummy-ups.
    pub driver: PathBuf,
    /// The user the C programs run as when we are root (they refuse to stay root).
    pub run_as: String,
    /// Keep the directory after the run (for reading the logs).
    pub keep: bool,
    /// Whether the values change: the driver reads the [`sequence_file`] (`bench.seq`,
    /// `pollinterval = 1`) instead of the [`dev_file`], so that all variables but
    /// `ups.status` and the names change every second or two.
    pub changing: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            ups: "bench".to_owned(),
            vars: 20,
            driver: PathBuf::from("/lib/nut/dummy-ups"),
            run_as: "nut".to_owned(),
            keep: false,
            changing: false,
        }
    }
}

/// A temporary directory with a running C dummy-ups driver.
#[derive(Debug)]
pub struct Sandbox {
    root: PathBuf,
    keep: bool,
    ups: String,
    vars: usize,
    /// The user to chown to and run C programs as, when we are root.
    owner: Option<User>,
    /// The driver's program (C's dummy-ups).
    driver_program: PathBuf,
    /// The running driver; replaced by [`Sandbox::restart_driver`].
    driver: Mutex<Child>,
    driver_socket: PathBuf,
    /// The driver's data file (in `driver/etc`).
    data_file: &'static str,
    started: AtomicUsize,
    /// Whether an upsd has been started here (and the driver may have lost a client).
    served: AtomicBool,
}

impl Sandbox {
    /// Creates the directory and starts the driver; returns once its socket exists.
    pub fn new(cfg: &SandboxConfig) -> io::Result<Self> {
        let owner = if nix::unistd::geteuid().is_root() {
            Some(
                User::from_name(&cfg.run_as)?
                    .ok_or_else(|| io::Error::other(format!("no user {:?}", cfg.run_as)))?,
            )
        } else {
            None
        };
        let root = tempfile::Builder::new()
            .prefix("nut-compare-")
            .tempdir()?
            .keep();
        let etc = root.join("driver/etc");
        let state = root.join("driver/state");
        let (data_file, data) = if cfg.changing {
            ("bench.seq", sequence_file(cfg.vars))
        } else {
            ("bench.dev", dev_file(cfg.vars))
        };
        let prepare = || -> io::Result<()> {
            set_owner(&root, owner.as_ref(), 0o755)?;
            make_dir(&root.join("driver"), owner.as_ref())?;
            make_dir(&etc, owner.as_ref())?;
            make_dir(&state, owner.as_ref())?;
            write_file(&etc.join(data_file), &data, owner.as_ref())?;
            write_file(
                &etc.join("ups.conf"),
                &ups_conf(&cfg.ups, &etc.join(data_file)),
                owner.as_ref(),
            )
        };
        if let Err(e) = prepare() {
            let _ = fs::remove_dir_all(&root);
            return Err(e);
        }
        let driver_socket = state.join(format!("dummy-ups-{}", cfg.ups));
        let driver = match Self::spawn_driver(
            &cfg.driver,
            &cfg.ups,
            owner.as_ref(),
            &root,
            &driver_socket,
        ) {
            Ok(driver) => driver,
            Err(e) => {
                if !cfg.keep {
                    let _ = fs::remove_dir_all(&root);
                }
                return Err(e);
            }
        };
        Ok(Self {
            root,
            keep: cfg.keep,
            ups: cfg.ups.clone(),
            vars: cfg.vars.max(MIN_VARS),
            owner,
            driver_program: cfg.driver.clone(),
            driver: Mutex::new(driver),
            driver_socket,
            data_file,
            started: AtomicUsize::new(0),
            served: AtomicBool::new(false),
        })
    }

    /// Starts the driver; returns once its socket exists.
    fn spawn_driver(
        program: &Path,
        ups: &str,
        owner: Option<&User>,
        root: &Path,
        socket: &Path,
    ) -> io::Result<Child> {
        let _ = fs::remove_file(socket);
        let mut command = Command::new(program);
        command.args(["-a", ups, "-F"]);
        if let Some(user) = owner {
            command.args(["-u", &user.name]);
        }
        let log = root.join("driver/driver.log");
        let mut driver = spawn_logged(
            command,
            &root.join("driver/etc"),
            &root.join("driver/state"),
            &log,
        )?;
        let deadline = Instant::now() + START_TIMEOUT;
        while !socket.exists() {
            if let Some(status) = driver.try_wait()? {
                return Err(io::Error::other(format!(
                    "dummy-ups exited ({status}): {}",
                    tail(&log)
                )));
            }
            if Instant::now() > deadline {
                stop(&mut driver);
                return Err(io::Error::other("dummy-ups did not create its socket"));
            }
            thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    /// Stops the driver and starts a fresh one. C 2.8.0's dummy-ups spins on a whole CPU
    /// once an upsd that was connected to it goes away (a `pselect`/`read` loop on the dead
    /// connection, about 29,000 times a second). That would leave a competing load behind
    /// every server run but the first, so [`start_upsd`](Self::start_upsd) calls this
    /// before every server but the first; a caller that measures something else after the
    /// servers (the ceiling) calls it too.
    pub fn restart_driver(&self) -> io::Result<()> {
        let mut driver = self.driver.lock().unwrap_or_else(|e| e.into_inner());
        stop(&mut driver);
        *driver = Self::spawn_driver(
            &self.driver_program,
            &self.ups,
            self.owner.as_ref(),
            &self.root,
            &self.driver_socket,
        )?;
        Ok(())
    }

    /// The sandbox directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The UPS name.
    pub fn ups(&self) -> &str {
        &self.ups
    }

    /// The driver's process id.
    pub fn driver_pid(&self) -> u32 {
        self.driver.lock().unwrap_or_else(|e| e.into_inner()).id()
    }

    /// Starts an upsd in a new directory of its own, listening on a free port of
    /// 127.0.0.1 with `MAXCONN maxconn`, and waits until it serves the driver's data.
    pub fn start_upsd(&self, spec: &UpsdSpec, maxconn: usize) -> io::Result<UpsdProcess> {
        if self.served.swap(true, Ordering::Relaxed) {
            self.restart_driver()?;
        }
        let n = self.started.fetch_add(1, Ordering::Relaxed) + 1;
        let dir = self.root.join(format!("{}-{n}", spec.label));
        let etc = dir.join("etc");
        let state = dir.join("state");
        let owner = self.owner.as_ref();
        make_dir(&dir, owner)?;
        make_dir(&etc, owner)?;
        make_dir(&state, owner)?;
        let addr = free_port()?;
        let data = self.root.join("driver/etc").join(self.data_file);
        write_file(&etc.join("ups.conf"), &ups_conf(&self.ups, &data), owner)?;
        let mut upsd_conf = format!("LISTEN {} {}\nMAXCONN {maxconn}\n", addr.ip(), addr.port());
        let http_addr = if spec.http {
            let http = free_port()?;
            writeln!(upsd_conf, "HTTP_LISTEN {} {}", http.ip(), http.port())
                .expect("write to String");
            Some(http)
        } else {
            None
        };
        write_file(&etc.join("upsd.conf"), &upsd_conf, owner)?;
        write_file(
            &etc.join("upsd.users"),
            "[bench]\n  password = bench\n  upsmon primary\n",
            owner,
        )?;
        symlink(
            &self.driver_socket,
            state.join(format!("dummy-ups-{}", self.ups)),
        )?;

        let mut command = Command::new(&spec.program);
        command.args(&spec.args);
        if let (Some(user), true) = (owner, spec.drops_privileges) {
            command.args(["-u", &user.name]);
        }
        let log = dir.join("upsd.log");
        let child = spawn_logged(command, &etc, &state, &log)?;
        let mut process = UpsdProcess {
            child,
            addr,
            http_addr,
            label: spec.label.clone(),
            log,
        };
        process.wait_serving(&self.ups, self.vars)?;
        Ok(process)
    }
}

impl Sandbox {
    /// Starts an upsmon in a new directory of its own, monitoring this sandbox's UPS on
    /// `upsd` as a primary (the user `bench` of every upsd started here), in the foreground
    /// (`-F`), with a harmless `SHUTDOWNCMD`; returns once it has logged in (upsd lists it
    /// in `LIST CLIENT`) or fails after the start timeout. As root it runs its unprivileged
    /// part as the sandbox's user, as installed.
    pub fn start_upsmon(&self, program: &Path, upsd: &UpsdProcess) -> io::Result<UpsmonProcess> {
        let n = self.started.fetch_add(1, Ordering::Relaxed) + 1;
        let dir = self.root.join(format!("upsmon-{n}"));
        let etc = dir.join("etc");
        let state = dir.join("state");
        let owner = self.owner.as_ref();
        make_dir(&dir, owner)?;
        make_dir(&etc, owner)?;
        make_dir(&state, owner)?;
        let mut conf = format!(
            "MONITOR {}@{}:{} 1 bench bench primary
MINSUPPLIES 1
             SHUTDOWNCMD \"/bin/true\"
POWERDOWNFLAG {}
",
            self.ups,
            upsd.addr.ip(),
            upsd.addr.port(),
            state.join("killpower").display()
        );
        if let Some(user) = owner {
            writeln!(conf, "RUN_AS_USER {}", user.name).expect("write to String");
        }
        // upsmon refuses a configuration others can read (it holds a password).
        write_file(&etc.join("upsmon.conf"), &conf, owner)?;
        set_owner(&etc.join("upsmon.conf"), None, 0o600)?;
        let mut command = Command::new(program);
        command.arg("-F");
        let log = dir.join("upsmon.log");
        let child = spawn_logged(command, &etc, &state, &log)?;
        let mut process = UpsmonProcess { child, log };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = process.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "upsmon {} exited ({status}): {}",
                    program.display(),
                    tail(&process.log)
                )));
            }
            if logged_in(upsd.addr, &self.ups)? {
                return Ok(process);
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "upsmon {} did not log in to {} after {START_TIMEOUT:?}: {}",
                    program.display(),
                    upsd.addr,
                    tail(&process.log)
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Whether a client is logged in to `ups` on the upsd at `addr` (`LIST CLIENT` names one).
fn logged_in(addr: SocketAddr, ups: &str) -> io::Result<bool> {
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return Ok(false);
    };
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut writer = stream.try_clone()?;
    writeln!(writer, "LIST CLIENT {ups}")?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(false);
        }
        if line.starts_with("CLIENT ") {
            return Ok(true);
        }
        if line.starts_with("END LIST") || line.starts_with("ERR") {
            return Ok(false);
        }
    }
}

/// A running upsmon (and the processes it forked); stopped (SIGTERM, then SIGKILL) when
/// dropped.
#[derive(Debug)]
pub struct UpsmonProcess {
    child: Child,
    log: PathBuf,
}

impl UpsmonProcess {
    /// The process id of the program started (its privileged part, when it splits).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of its log (stdout and stderr).
    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }
}

impl Drop for UpsmonProcess {
    fn drop(&mut self) {
        // C's unprivileged child outlives a parent stopped alone: stop the children too.
        let children = family(self.child.id()).unwrap_or_default();
        stop(&mut self.child);
        for pid in children.into_iter().skip(1) {
            stop_pid(pid);
        }
    }
}

/// Process `pid` and its children (the processes whose parent it is).
pub fn family(pid: u32) -> io::Result<Vec<u32>> {
    let mut pids = vec![pid];
    for entry in fs::read_dir("/proc")? {
        let Some(child) = entry?
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // `pid (comm) state ppid …`: the command may hold spaces and parentheses.
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            pids.push(child);
        }
    }
    Ok(pids)
}

/// SIGTERM to a process that is not our child, up to 3 s to end, then SIGKILL.
fn stop_pid(pid: u32) {
    let Ok(raw) = i32::try_from(pid) else { return };
    let pid = Pid::from_raw(raw);
    let gone = || kill(pid, None).is_err();
    let _ = kill(pid, Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !gone() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    if !gone() {
        let _ = kill(pid, Signal::SIGKILL);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        stop(self.driver.get_mut().unwrap_or_else(|e| e.into_inner()));
        if !self.keep {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// How to start one upsd.
#[derive(Debug, Clone)]
pub struct UpsdSpec {
    /// Short name, used in directory names and reports (`c`, `ours`).
    pub label: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments (it must stay in the foreground).
    pub args: Vec<String>,
    /// Whether to add `-u <user>` when we are root.
    pub drops_privileges: bool,
    /// Whether to serve HTTP too (`HTTP_LISTEN` on another free port; ours only).
    pub http: bool,
}

impl UpsdSpec {
    /// C NUT's upsd (`/lib/nut/upsd` on Debian), in the foreground.
    pub fn c(program: impl Into<PathBuf>) -> Self {
        Self {
            label: "c".to_owned(),
            program: program.into(),
            args: vec!["-F".to_owned()],
            drops_privileges: true,
            http: false,
        }
    }

    /// Our upsd binary (nut-examples' `upsd`), in the foreground; it reads NUT_CONFPATH and
    /// NUT_STATEPATH like C's.
    pub fn ours(program: impl Into<PathBuf>) -> Self {
        Self {
            label: "ours".to_owned(),
            program: program.into(),
            args: vec!["-F".to_owned()],
            drops_privileges: true,
            http: false,
        }
    }
}

/// A running upsd; stopped (SIGTERM, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct UpsdProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where it serves HTTP, when its spec asked for it.
    pub http_addr: Option<SocketAddr>,
    /// The label of its [`UpsdSpec`].
    pub label: String,
    log: PathBuf,
}

impl UpsdProcess {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of its log (stdout and stderr).
    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until LIST VAR shows at least `vars` variables (the driver's whole dump).
    fn wait_serving(&mut self, ups: &str, vars: usize) -> io::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "{} upsd exited ({status}): {}",
                    self.label,
                    self.log_tail()
                )));
            }
            let last = match count_vars(self.addr, ups) {
                Ok(Ok(n)) if n >= vars => return Ok(()),
                Ok(Ok(n)) => format!("{n} of {vars} variables"),
                Ok(Err(line)) => line,
                Err(e) => e.to_string(),
            };
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "{} upsd at {} not serving the whole device after {START_TIMEOUT:?}: \
                     {last}; log: {}",
                    self.label,
                    self.addr,
                    self.log_tail()
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for UpsdProcess {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// One blocking `LIST VAR <ups>`: the number of variables, or the line that is not a list.
fn count_vars(addr: SocketAddr, ups: &str) -> io::Result<Result<usize, String>> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(format!("LIST VAR {ups}\n").as_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut count = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(Err("connection closed".to_owned()));
        }
        if line.starts_with("VAR ") {
            count += 1;
        } else if line.starts_with("END LIST") {
            return Ok(Ok(count));
        } else if !line.starts_with("BEGIN LIST") {
            return Ok(Err(line.trim_end().to_owned()));
        }
    }
}

/// Asks the kernel for a free TCP port on 127.0.0.1.
fn free_port() -> io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// The `ups.conf` of the device whose driver reads `data` (a `.seq` file is read every
/// second).
fn ups_conf(ups: &str, data: &Path) -> String {
    let mut text = format!(
        "[{ups}]\n  driver = dummy-ups\n  port = {}\n  desc = \"nut-benches device\"\n",
        data.display()
    );
    if data.extension().is_some_and(|e| e == "seq") {
        text.push_str("  pollinterval = 1\n");
    }
    text
}

fn spawn_logged(mut command: Command, etc: &Path, state: &Path, log: &Path) -> io::Result<Child> {
    let out = fs::File::create(log)?;
    command
        .env(nut_proto::paths::CONFPATH_ENV, etc)
        .env(nut_proto::paths::STATEPATH_ENV, state)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("{:?}: {e}", command.get_program())))
}

/// SIGTERM, up to 3 s to exit, then SIGKILL.
fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last 8 lines of the log at `path`, joined with ` | `.
pub(crate) fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join(" | ")
}

fn set_owner(path: &Path, owner: Option<&User>, mode: u32) -> io::Result<()> {
    if let Some(user) = owner {
        chown(path, Some(user.uid), Some(user.gid))?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

fn make_dir(path: &Path, owner: Option<&User>) -> io::Result<()> {
    fs::create_dir_all(path)?;
    set_owner(path, owner, 0o770)
}

fn write_file(path: &Path, text: &str, owner: Option<&User>) -> io::Result<()> {
    fs::write(path, text)?;
    set_owner(path, owner, 0o640)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(dev: &str) -> usize {
        dev.lines().filter(|l| l.contains(": ")).count()
    }

    #[test]
    fn dev_file_sizes() {
        assert_eq!(count(&dev_file(20)), 20 - DRIVER_VARS);
        assert_eq!(count(&dev_file(MIN_VARS)), 6);
        assert_eq!(count(&dev_file(1)), 6);
        let big = dev_file(100);
        assert_eq!(count(&big), 100 - DRIVER_VARS);
        assert!(big.contains("ambient.1.temperature: 21.5"));
        assert!(dev_file(20).starts_with("# written by nut-benches\nups.status: OL\n"));
    }

    #[test]
    fn sequence_alternates_all_but_the_first_six() {
        let seq = sequence_file(20);
        let (first, rest) = seq.split_once("TIMER 1\n").unwrap();
        assert_eq!(first, dev_file(20));
        assert_eq!(count(rest), 20 - DRIVER_VARS - 6);
        assert!(rest.starts_with("battery.charge: 99\n") && rest.ends_with("TIMER 1\n"));
        assert!(!rest.contains("ups.status"));
    }
}
