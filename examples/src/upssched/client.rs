//! upssched as upsmon runs it (NOTIFYCMD): reads upssched.conf, and for each `AT` line that
//! matches `NOTIFYTYPE` and `UPSNAME` starts or cancels a timer in the daemon (starting the
//! daemon when needed) or runs CMDSCRIPT at once (`EXECUTE`).
//!
//! The daemon is this same program re-executed with the hidden flag `--timer-daemon`
//! (no `fork` under `forbid(unsafe_code)`), detached in its own process group. LOCKFN keeps
//! two upssched processes from starting two daemons, as in C.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use nut_proto::config::{AtCommand, NotifyEvent, UpsschedConf};

use super::daemon::{self, exec_cmd};
use nut_client::monitor::timers::Origin;
use nut_proto::upssched::{reply_is_ok, DaemonRequest};

/// How long to keep trying to reach or start the daemon (C: 30 tries).
const CONNECT_PATIENCE: Duration = Duration::from_secs(30);

/// upssched's arguments.
#[derive(Debug, Parser)]
#[command(
    name = "upssched",
    version,
    about = "upsmon's timer helper: run as NOTIFYCMD with UPSNAME and NOTIFYTYPE set"
)]
pub struct Args {
    /// Raise the debugging level; repeatable.
    #[arg(short = 'D', action = clap::ArgAction::Count)]
    pub debug: u8,
    /// The notification message (upsmon passes it as the last argument).
    pub message: Option<String>,
    /// Internal: run as the timer daemon.
    #[arg(long = "timer-daemon", hide = true)]
    pub timer_daemon: bool,
}

fn conf_path() -> PathBuf {
    nut_proto::paths::confpath().join("upssched.conf")
}

fn load() -> anyhow::Result<UpsschedConf> {
    let parsed = UpsschedConf::load(conf_path())?;
    for w in &parsed.warnings {
        tracing::warn!("{w}");
    }
    Ok(parsed.config)
}

/// Runs upssched with the process's arguments.
pub fn main() -> ExitCode {
    let args = Args::parse();
    crate::daemon::init_logging(args.debug);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("upssched: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs upssched with parsed arguments.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let conf = load()?;
    if args.timer_daemon {
        let (Some(script), Some(pipefn)) = (conf.cmdscript.clone(), conf.pipefn.clone()) else {
            bail!("CMDSCRIPT and PIPEFN must be set for the timer daemon");
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        return rt.block_on(daemon::run(script, pipefn.into(), daemon::signal_ready));
    }
    let (Ok(upsname), Ok(notifytype)) = (std::env::var("UPSNAME"), std::env::var("NOTIFYTYPE"))
    else {
        println!("Error: UPSNAME and NOTIFYTYPE must be set.");
        println!("This program should only be run from upsmon.");
        bail!("UPSNAME and NOTIFYTYPE must be set");
    };
    let Some(event) = NotifyEvent::from_name(&notifytype) else {
        tracing::info!("NOTIFYTYPE {notifytype} matches no AT line");
        return Ok(());
    };
    let origin = Origin {
        notifytype: notifytype.clone(),
        upsname: upsname.clone(),
        message: args.message.clone().unwrap_or_default(),
    };
    for rule in conf.matching(event, &upsname) {
        let request = match &rule.command {
            AtCommand::StartTimer { name, seconds }
            | AtCommand::StartTimerShared { name, seconds } => DaemonRequest::Start {
                name: name.clone(),
                seconds: (*seconds).into(),
                shared: matches!(rule.command, AtCommand::StartTimerShared { .. }),
                origin: origin.clone(),
            },
            AtCommand::CancelTimer { name, command }
            | AtCommand::CancelTimerMatched { name, command } => DaemonRequest::Cancel {
                name: name.clone(),
                command: command.clone().unwrap_or_default(),
                matched: matches!(rule.command, AtCommand::CancelTimerMatched { .. }),
                origin: origin.clone(),
            },
            AtCommand::Execute { command } => {
                let script = conf.cmdscript.as_deref().unwrap_or_default();
                exec_cmd(script, command, &[]);
                continue;
            }
            other => {
                tracing::error!("Invalid command: {}", other.keyword());
                continue;
            }
        };
        send(&conf, &request)?;
    }
    Ok(())
}

/// Sends `request` to the daemon, starting it when needed (a cancel without a command
/// needs no daemon).
fn send(conf: &UpsschedConf, request: &DaemonRequest) -> anyhow::Result<()> {
    let pipefn = conf.pipefn.as_deref().context("PIPEFN is not set")?;
    let lockfn = conf.lockfn.as_deref().context("LOCKFN is not set")?;
    let line = request.to_line();
    let start = Instant::now();
    while start.elapsed() < CONNECT_PATIENCE {
        match UnixStream::connect(pipefn) {
            Ok(stream) => match exchange(stream, &line) {
                Ok(reply) if reply_is_ok(&reply) => return Ok(()),
                Ok(reply) => tracing::error!("read confirmation got [{}]", reply.trim_end()),
                Err(e) => tracing::error!("talking to the timer daemon failed ({e}), trying again"),
            },
            Err(_) => {
                if let DaemonRequest::Cancel { command, .. } = request {
                    if command.is_empty() {
                        return Ok(());
                    }
                }
                if let Err(e) = start_daemon(lockfn) {
                    tracing::debug!("{e:#}");
                }
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    bail!("Unable to connect to daemon and unable to start daemon")
}

fn exchange(mut stream: UnixStream, line: &str) -> std::io::Result<String> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(line.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    Ok(reply)
}

/// Takes LOCKFN and starts the daemon; returns once it listens (or failed to start).
fn start_daemon(lockfn: &str) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(lockfn);
    if lock.is_err() {
        // Another upssched is starting it, or a stale lock from a crash: C removes it.
        let _ = std::fs::remove_file(lockfn);
        bail!("lock {lockfn} is taken");
    }
    let started = crate::daemon::own_command()?
        .arg("--timer-daemon")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    let result = match started {
        Ok(mut child) => {
            let mut ready = [0u8; 6];
            let ok = child
                .stdout
                .take()
                .map(|mut out| out.read_exact(&mut ready).is_ok())
                .unwrap_or(false);
            // The daemon lives on; a thread collects it when it exits.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            if ok {
                Ok(())
            } else {
                Err(anyhow::anyhow!("the timer daemon did not start"))
            }
        }
        Err(e) => Err(anyhow::anyhow!("can't start the timer daemon: {e}")),
    };
    let _ = std::fs::remove_file(lockfn);
    result
}
