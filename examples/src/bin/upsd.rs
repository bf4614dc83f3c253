//! `upsd`: the NUT network data server, a drop-in for C upsd 2.8.0, over the `nut-server`
//! library. Reads upsd.conf, upsd.users and ups.conf from `$NUT_CONFPATH` (default
//! `/etc/nut`); SIGHUP (or `upsd -c reload`) reloads them, SIGTERM (`upsd -c stop`) stops.

use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{ArgAction, Parser};
use nix::sys::signal::kill;
use nix::unistd::Pid;
use nut_driver_api::cli::DEFAULT_USER;
use nut_examples::daemon::{
    alt_pid_path, background, chroot, command_signal, init_logging_at, signal_pid_file, PidFile,
    RunAs,
};
use nut_examples::syslog;
use nut_server::{ConfigPaths, Server, ServerBuilder, ServerConfig};
use tokio::signal::unix::{signal, SignalKind};

/// Network server for UPS data.
#[derive(Parser, Debug)]
#[command(name = "upsd", disable_version_flag = true)]
struct Args {
    /// Print the version and exit.
    #[arg(short = 'V', long = "version")]
    version: bool,
    /// Send a command to the running upsd: `reload` or `stop`.
    #[arg(short = 'c', value_name = "command")]
    command: Option<String>,
    /// With -c: signal this process instead of the one in the PID file.
    #[arg(short = 'P', value_name = "pid")]
    pid: Option<i32>,
    /// Raise the debugging level (repeatable); stays in the foreground.
    #[arg(short = 'D', action = ArgAction::Count)]
    debug: u8,
    /// Stay in the foreground.
    #[arg(short = 'F', action = ArgAction::Count)]
    foreground: u8,
    /// Go to the background even when debugging.
    #[arg(short = 'B')]
    background: bool,
    /// Drop root privileges to this user after binding the sockets (default: `nut`, as
    /// C's upsd).
    #[arg(short = 'u', value_name = "user")]
    user: Option<String>,
    /// Chroot to this directory before reading the configuration (which is then found in
    /// it, as the state directory is).
    #[arg(short = 'r', value_name = "dir")]
    chroot: Option<String>,
}

fn load(paths: &ConfigPaths) -> anyhow::Result<ServerConfig> {
    let loaded = ServerConfig::load(paths)?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    Ok(loaded.config)
}

pub(crate) fn main() -> ExitCode {
    let args = Args::parse();
    // As C's upsd, the banner first, and -V stops there.
    println!(
        "Network UPS Tools upsd {} (nut-rs)",
        env!("CARGO_PKG_VERSION")
    );
    if args.version {
        return ExitCode::SUCCESS;
    }
    // As C's upsd, what it does is said at the default level (C's upslogx), the details
    // with -D (C's upsdebugx).
    init_logging_at(args.debug, tracing::Level::INFO);
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            syslog::fatal(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let pid_path = alt_pid_path().join("upsd.pid");
    if let Some(command) = &args.command {
        let Some(sig) = command_signal(command) else {
            bail!("unknown command {command:?} (use reload or stop)");
        };
        return match args.pid {
            Some(pid) => kill(Pid::from_raw(pid), sig).context("signalling upsd"),
            None => Ok(signal_pid_file(&pid_path, sig)?),
        };
    }
    // As C upsd: everything it logs goes to syslog too, in the foreground as well.
    syslog::open(&syslog::program_name("upsd"));
    syslog::enable();
    // As C upsd: the user is looked up before the chroot (which may have no user
    // database); the configuration is read inside it.
    let run_as = match args.user.as_deref() {
        Some(user) => Some(RunAs::lookup(user)?),
        // As C's upsd, root drops to the user NUT was built for (`nut`) without -u; where
        // there is no such user, it stays as it is and says so.
        None if nix::unistd::geteuid().is_root() => match RunAs::lookup(DEFAULT_USER) {
            Ok(run_as) => Some(run_as),
            Err(e) => {
                tracing::warn!("staying root: {e:#} (give the user to run as with -u)");
                None
            }
        },
        None => None,
    };
    if let Some(dir) = &args.chroot {
        chroot(dir)?;
    }
    let paths = ConfigPaths::from_env();
    let config = load(&paths)?;
    // As C upsd, bind before going to the background, so that a failure is reported where
    // upsd was started, with its exit status.
    let builder = Server::builder().config(config).bind()?;
    if args.background || (args.foreground == 0 && args.debug == 0) {
        background()?;
    }
    runtime()?.block_on(serve(args, run_as, paths, builder, pid_path))
}

/// The environment variable that sets the number of runtime threads serving clients.
const THREADS_ENV: &str = "NUT_RS_THREADS";
/// The async runtime. `NUT_RS_THREADS=1` runs every client on one thread (a current-thread
/// runtime: no work stealing, no waking of idle workers); `NUT_RS_THREADS=N` uses a
/// multi-thread runtime with N workers. Unset (or 0), it is one worker per CPU but one, so
/// that the drivers and the rest of the machine keep a CPU: a single thread on 2 CPUs, where
/// it also answers GET VAR faster (see benches/). On one thread, the first 64 plaintext
/// clients are served by the server's poll(2) thread (`ServerBuilder::poll_clients`).
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let threads = match std::env::var(THREADS_ENV) {
        Ok(v) => v
            .trim()
            .parse::<usize>()
            .with_context(|| format!("{THREADS_ENV}={v:?}: not a number of threads"))?,
        Err(_) => 0,
    };
    let threads = match threads {
        0 => std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1),
        n => n,
    };
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    Ok(builder.enable_all().build()?)
}

async fn serve(
    args: Args,
    run_as: Option<RunAs>,
    paths: ConfigPaths,
    builder: ServerBuilder,
    pid_path: std::path::PathBuf,
) -> anyhow::Result<()> {
    let server = builder.start().await?;
    if let Some(run_as) = &run_as {
        run_as.become_user()?;
    }
    // Start-up is over: the program's pages it alone needed leave the resident set.
    nut_driver_api::process::memory::release_startup_pages_settled();
    // C's rule: a PID file in the background or with -FF; -F (or -D) alone keeps none.
    let _pid_file = if args.background || (args.foreground == 0 && args.debug == 0) {
        Some(PidFile::create(&pid_path)?)
    } else if args.foreground >= 2 {
        tracing::warn!("Running as foreground process, but saving a PID file anyway");
        Some(PidFile::create(&pid_path)?)
    } else {
        tracing::warn!("Running as foreground process, not saving a PID file");
        None
    };
    let handle = server.handle();
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let run = tokio::spawn(server.run());
    loop {
        tokio::select! {
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading configuration");
                match load(&paths) {
                    Ok(config) => {
                        if let Err(e) = handle.reload(config).await {
                            tracing::error!("Reload failed: {e}");
                        }
                    }
                    Err(e) => tracing::error!("Reload failed: {e:#}"),
                }
            }
            _ = term.recv() => break tracing::info!("Signal {}: exiting", nix::sys::signal::Signal::SIGTERM as i32),
            _ = int.recv() => break tracing::info!("Signal {}: exiting", nix::sys::signal::Signal::SIGINT as i32),
        }
    }
    handle.shutdown();
    run.await?;
    Ok(())
}
