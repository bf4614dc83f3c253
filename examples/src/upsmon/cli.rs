//! upsmon's command line and process layout.
//!
//! C upsmon forks: the root parent waits on a pipe and runs SHUTDOWNCMD when the
//! unprivileged child writes to it. `forbid(unsafe_code)` rules out `fork`, so the parent
//! here re-executes its own binary ([`std::env::current_exe`]) with the hidden flag
//! `--privsep-child` and the pipe's write end as the child's standard input; the child takes
//! that descriptor over, puts `/dev/null` in its place, drops to RUN_AS_USER and monitors.
//! Going to the background (no `-F`/`-D`) is C's `background()`, [`daemon::background`],
//! before the parent starts its child; a child started in the background gets the hidden flag
//! `--detached` so that it logs to syslog alone, as its parent (see [`crate::syslog`]).
//!
//! The PID file (`upsmon.pid`, the monitoring process's id, as in C) is in `$NUT_PIDPATH`
//! (C 2.8.2+) or `/run/nut`.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use anyhow::Context;
use clap::Parser;
use nix::sys::signal::Signal;
use nut_proto::config::{ShutdownExit, UpsmonConf};

use super::monitor::{run_shutdown_command, Monitor, ShutdownLink};
use crate::daemon;
use crate::syslog;
use nut_client::monitor::powerdown_flag as flag;
use nut_client::monitor::Family;

/// upsmon's arguments (those of C upsmon 2.8).
#[derive(Debug, Parser)]
#[command(
    name = "upsmon",
    version,
    about = "Monitors UPS servers and may initiate shutdown if necessary."
)]
pub struct Args {
    /// Send a command to the running process: fsd, stop or reload.
    #[arg(short = 'c', value_name = "cmd")]
    pub command: Option<String>,
    /// Send the signal to this process id instead of the one in the PID file.
    #[arg(short = 'P', value_name = "pid")]
    pub pid: Option<i32>,
    /// Raise the debugging level (and stay in the foreground); repeatable.
    #[arg(short = 'D', action = clap::ArgAction::Count)]
    pub debug: u8,
    /// Stay in the foreground.
    #[arg(short = 'F')]
    pub foreground: bool,
    /// Stay in the background even with -D.
    #[arg(short = 'B')]
    pub background: bool,
    /// Read this configuration file instead of $NUT_CONFPATH/upsmon.conf.
    #[arg(short = 'f', value_name = "file")]
    pub config: Option<PathBuf>,
    /// Check POWERDOWNFLAG: exit 0 when it is set.
    #[arg(short = 'K')]
    pub check_flag: bool,
    /// Run as one privileged process (no privileged parent).
    #[arg(short = 'p')]
    pub privileged: bool,
    /// Run the monitoring child as this user (RUN_AS_USER in upsmon.conf wins, as in C).
    #[arg(short = 'u', value_name = "user")]
    pub user: Option<String>,
    /// IPv4 only.
    #[arg(short = '4')]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Internal: this process is the monitoring child of a privileged parent.
    #[arg(long = "privsep-child", hide = true)]
    pub privsep_child: bool,
    /// Internal: started by upsmon in the background; messages go to syslog.
    #[arg(long = "detached", hide = true)]
    pub detached: bool,
}

/// The default unprivileged user (Debian's build of C NUT).
pub const DEFAULT_USER: &str = nut_proto::paths::USER;

fn config_path(args: &Args) -> PathBuf {
    args.config
        .clone()
        .unwrap_or_else(|| nut_proto::paths::confpath().join("upsmon.conf"))
}

/// Where the PID file goes.
pub fn pid_file_path() -> PathBuf {
    daemon::root_pid_path().join("upsmon.pid")
}

fn family(args: &Args) -> Family {
    match (args.ipv4, args.ipv6) {
        (true, false) => Family::V4,
        (false, true) => Family::V6,
        _ => Family::Any,
    }
}

fn load(path: &Path) -> anyhow::Result<UpsmonConf> {
    let parsed = UpsmonConf::load(path)?;
    for w in &parsed.warnings {
        tracing::warn!("{w}");
    }
    Ok(parsed.config)
}

/// Runs upsmon with the process's arguments.
pub fn main() -> ExitCode {
    let args = Args::parse();
    daemon::init_logging(args.debug);
    syslog::open(&syslog::program_name("upsmon"));
    if args.detached {
        // The child of a parent in the background: the log goes to syslog alone, as the
        // parent's (which said "Startup successful" as it went there).
        syslog::detach();
    }
    match run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("upsmon: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs upsmon with parsed arguments; returns the exit status.
pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.privsep_child {
        return run_child(&args);
    }
    println!(
        "Network UPS Tools upsmon {} (nut-rs)",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(cmd) = &args.command {
        return send_command(cmd, args.pid);
    }
    let path = config_path(&args);
    let conf = load(&path)?;
    if let Some(d) = conf.debug_min {
        tracing::debug!("DEBUG_MIN {d} in upsmon.conf");
    }
    if args.check_flag {
        let (code, message) = flag::check(conf.powerdownflag.as_deref());
        eprintln!("{message}");
        return Ok(code);
    }
    refuse_second_instance(args.pid)?;
    if conf.shutdowncmd.is_none() {
        println!("Warning: no shutdown command defined!");
    }
    flag::clear(conf.powerdownflag.as_deref());
    let total = conf.total_power_value();
    if total < u64::from(conf.minsupplies) {
        println!("\nFatal error: insufficient power configured!\n");
        println!("Sum of power values........: {total}");
        println!("Minimum value (MINSUPPLIES): {}", conf.minsupplies);
        println!("\nEdit your upsmon.conf and change the values.");
        return Ok(1);
    }
    let foreground = if args.foreground {
        true
    } else if args.background {
        false
    } else {
        args.debug > 0
    };
    if !foreground {
        daemon::background()?;
    }
    if args.privileged {
        tracing::info!("Warning: running as one big root process by request (upsmon -p)");
        let _pid = write_pid_file();
        let monitor = Monitor::new(path, conf, family(&args), ShutdownLink::Direct);
        return runtime()?.block_on(monitor.run());
    }
    run_parent(&conf)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("can't start the runtime")
}

fn write_pid_file() -> Option<daemon::PidFile> {
    daemon::PidFile::create(pid_file_path())
        .map_err(|e| tracing::warn!("{e:#}"))
        .ok()
}

fn send_command(cmd: &str, pid: Option<i32>) -> anyhow::Result<u8> {
    let signal = match cmd {
        "fsd" => Signal::SIGUSR1,
        other => daemon::command_signal(other)
            .with_context(|| format!("unknown command {other:?} (use fsd, stop or reload)"))?,
    };
    match pid {
        Some(pid) => nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal)
            .with_context(|| format!("can't send {signal} to process {pid}"))?,
        None => daemon::signal_pid_file(&pid_file_path(), signal)?,
    }
    Ok(0)
}

fn refuse_second_instance(pid: Option<i32>) -> anyhow::Result<()> {
    let running = match pid {
        Some(p) => Some(p),
        None => daemon::read_pid(&pid_file_path()).ok(),
    };
    if let Some(p) = running {
        if p > 0 && nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok() {
            anyhow::bail!(
                "Fatal error: A previous upsmon instance is already running!\n\
                 Either stop the previous instance first, or use the 'reload' command."
            );
        }
    }
    Ok(())
}

fn own_args() -> Vec<OsString> {
    std::env::args_os().skip(1).collect()
}

/// The privileged parent: starts the monitoring child with the pipe's write end as its
/// standard input, then waits for one byte on the read end.
fn run_parent(conf: &UpsmonConf) -> anyhow::Result<u8> {
    let (read_end, write_end) = nix::unistd::pipe().context("pipe creation failed")?;
    let mut args = own_args();
    args.push("--privsep-child".into());
    if !syslog::stderr_enabled() {
        args.push("--detached".into());
    }
    let mut child = daemon::own_command()?
        .args(args)
        .stdin(Stdio::from(write_end))
        .spawn()
        .context("can't start the monitoring process")?;
    let rt = runtime()?;
    // All the parent does from now on is wait: its start-up pages can go.
    nut_driver_api::process::memory::release_startup_pages();
    let code = rt.block_on(async {
        // Signals that C's parent ignores (they are meant for the child).
        use tokio::signal::unix::{signal, SignalKind};
        let _ignored = [
            signal(SignalKind::hangup()),
            signal(SignalKind::user_defined1()),
            signal(SignalKind::user_defined2()),
        ];
        let mut pipe = File::from(read_end);
        let got = tokio::task::spawn_blocking(move || {
            let mut byte = [0u8; 1];
            pipe.read(&mut byte).map(|n| (n, byte[0]))
        })
        .await;
        match got {
            Ok(Ok((1, 1))) => {}
            Ok(Ok((1, other))) => {
                tracing::error!("upsmon parent: got bogus pipe command {other}");
                return 1;
            }
            Ok(Ok(_)) => {
                tracing::info!("upsmon parent: exiting (child exited)");
                let _ = tokio::task::spawn_blocking(move || child.wait()).await;
                return 1;
            }
            Ok(Err(e)) => {
                tracing::error!("upsmon parent: read: {e}");
                return 1;
            }
            Err(e) => {
                tracing::error!("upsmon parent: {e}");
                return 1;
            }
        }
        let conf = conf.clone();
        let wait_for_child = !matches!(conf.shutdownexit, None | Some(ShutdownExit::Yes));
        let limit = match conf.shutdownexit {
            Some(ShutdownExit::After(n)) => Some(std::time::Duration::from_secs(n.into())),
            _ => None,
        };
        let _ = tokio::task::spawn_blocking(move || {
            run_shutdown_command(&conf);
            if wait_for_child {
                let start = std::time::Instant::now();
                while !matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
                    if limit.is_some_and(|l| start.elapsed() > l) {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            } else {
                // The child exits right after asking; collect it if it is already gone.
                let _ = child.try_wait();
            }
        })
        .await;
        0
    });
    Ok(code)
}

/// The monitoring child: takes the pipe from standard input, writes the PID file, drops
/// privileges and monitors.
fn run_child(args: &Args) -> anyhow::Result<u8> {
    let pipe = File::from(
        std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .context("no pipe to the parent on standard input")?,
    );
    // Put /dev/null in place of the pipe so that programs started later do not get it.
    let null = File::open("/dev/null").context("can't open /dev/null")?;
    nix::unistd::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0).context("dup2")?;
    drop(null);

    let path = config_path(args);
    let conf = load(&path)?;
    let pid_file = write_pid_file();
    let user = conf
        .run_as_user
        .clone()
        .or_else(|| args.user.clone())
        .unwrap_or_else(|| DEFAULT_USER.to_owned());
    daemon::drop_privileges(&user)?;
    let monitor = Monitor::new(path, conf, family(args), ShutdownLink::Parent(pipe));
    let code = runtime()?.block_on(monitor.run())?;
    drop(pid_file);
    Ok(code)
}
