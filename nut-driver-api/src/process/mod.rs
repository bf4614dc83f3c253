//! A driver program's `main` as C NUT's drivers have it: [`run_driver`] (feature `process`).
//!
//! With it, a driver outside this workspace is a drop-in for a C driver binary: upsdrvctl
//! starts it, upsd (C's or ours) talks to it over the socket, and it reads ups.conf and
//! answers the common command line as C's drivers do.
//!
//! In order: print the banner; parse the common command line ([`crate::cli`]);
//! answer `-h`, `-L`, `-V`; set up logging from `-D`; read the ups.conf section (or `-s`
//! with `-x`); make sure the state directory exists (created for the driver's user when
//! missing); chroot with `-r`; drop root privileges to `-u` / ups.conf `user` (or C's
//! default user `nut` when it exists); then either `-k` (tell the device to cut the power
//! and exit), `-d n` (dump the state after `n` updates to stdout and exit), or go to the
//! background unless `-F`/`-D`, write the PID file `<altpidpath>/<driver>-<ups>.pid`, serve
//! the socket `<statepath>/<driver>-<ups>` until SIGTERM, SIGINT or SIGQUIT (or a server's
//! `driver.exit`).
//!
//! As in C, the log also goes to syslog (as the program's name) unless `-D` or `-d` is
//! given, and to syslog alone once the driver is in the background (see [`syslog`]).
//!
//! Between polls the driver sleeps on an [`Alarm`](crate::alarm::Alarm)
//! ([`DriverRuntime::with_poll_alarm`]): an idle driver wakes once per `pollinterval`.
//!
//! SIGHUP re-reads ups.conf and the command line, as C 2.8.1+ drivers do, and hands the
//! result to the runtime, which applies what it can.
//!
//! The pieces are public for other daemons (a server, a monitor) that want C's process
//! behaviour too: [`daemon`] (logging set-up, going to the background, PID files, privilege
//! drop, chroot) and [`syslog`] (the system log as C NUT uses it).
//!
//! ```no_run
//! use nut_driver_api::process::run_driver;
//! # use nut_driver_api::{DeviceState, Driver, DriverError, DriverInfo, DriverParams};
//! # struct MyUps;
//! # #[async_trait::async_trait]
//! # impl Driver for MyUps {
//! #     fn info(&self) -> DriverInfo { DriverInfo::new("my-ups", "My UPS", "1.0") }
//! #     async fn open(&mut self, _: &DriverParams, _: &mut DeviceState) -> Result<(), DriverError> { Ok(()) }
//! #     async fn identify(&mut self, _: &mut DeviceState) -> Result<(), DriverError> { Ok(()) }
//! #     async fn update(&mut self, _: &mut DeviceState) -> Result<(), DriverError> { Ok(()) }
//! # }
//!
//! fn main() -> std::process::ExitCode {
//!     run_driver(|| Box::new(MyUps))
//! }
//! ```

pub mod daemon;
mod error;
pub mod memory;
pub mod syslog;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::process::ExitCode;

pub use self::error::ProcessError;

use self::daemon::{alt_pid_path, background, chroot, init_logging, user_ids, PidFile, RunAs};
use crate::cli::{banner, help_text, list_options, CliAction, CliArgs, DEFAULT_USER};
use crate::config::{DriverConfig, Env, SetupError};
use crate::runtime::format_dump;
use crate::{CancellationToken, Driver, DriverRuntime, RunOutcome};

/// Runs the driver `make` builds as a C driver program does (see the
/// [module documentation](self)), with the process's arguments. Returns the exit status:
/// failure for a bad command line, a bad configuration or a driver that cannot start.
pub fn run_driver(make: impl FnOnce() -> Box<dyn Driver>) -> ExitCode {
    run_driver_with_args(make, std::env::args().skip(1))
}

/// [`run_driver`] with `args` (without the program's name) instead of the process's
/// arguments; the name the log uses is still the process's (`argv[0]`).
pub fn run_driver_with_args<I, S>(make: impl FnOnce() -> Box<dyn Driver>, args: I) -> ExitCode
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let driver = make();
    let (info, options) = (driver.info(), driver.options());
    syslog::open(&syslog::program_name(&info.name));
    println!("{}", banner(&info));
    if info.experimental {
        println!("Warning: This is an experimental driver.");
        println!("Some features may not function correctly.\n");
    }
    let args = match CliArgs::parse(args) {
        Ok(args) => args,
        Err(e) => {
            // glibc's getopt names the bad option first, under argv[0] as it was given.
            let argv0 = std::env::args_os().next().unwrap_or_default();
            if let Some(line) = e.getopt_message(&argv0.to_string_lossy()) {
                eprintln!("{line}");
            }
            return fail(e);
        }
    };
    match args.action {
        CliAction::Help => print!("{}", help_text(&info, &options)),
        CliAction::ListOptions => print!("{}", list_options(&options)),
        CliAction::Version => {}
        _ => {
            init_logging(args.debug);
            let config = match DriverConfig::from_cli(&args, &info, &options, &Env::from_process())
            {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            let reread = {
                let (args, info, options) = (args.clone(), info.clone(), options.clone());
                move || DriverConfig::from_cli(&args, &info, &options, &Env::from_process())
            };
            if let Err(e) = run(driver, &args, config, reread) {
                return fail(e);
            }
        }
    }
    ExitCode::SUCCESS
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    syslog::fatal(&e.to_string());
    ExitCode::FAILURE
}

/// The user the driver runs as: `-u` / ups.conf `user`, else C's default when running as
/// root and it exists.
fn target_user(config: &DriverConfig) -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    match &config.user {
        Some(user) => Some(user.clone()),
        None => user_ids(DEFAULT_USER)
            .is_ok()
            .then(|| DEFAULT_USER.to_owned()),
    }
}

/// Creates the state directory when missing (mode 0770, owned by `user`), as the packages
/// of C NUT do, so that the driver can make its socket there after dropping privileges.
fn ensure_state_dir(dir: &Path, user: Option<&str>) -> Result<(), ProcessError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o770)
        .create(dir)
        .map_err(|e| {
            let what = format!("can't create the state directory {}", dir.display());
            ProcessError::io(what, e)
        })?;
    // The mode without the umask's say.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o770))
        .map_err(|e| ProcessError::io(format!("can't set the mode of {}", dir.display()), e))?;
    if let Some(user) = user {
        let (uid, gid) = user_ids(user)?;
        nix::unistd::chown(dir, Some(uid), Some(gid))
            .map_err(|e| ProcessError::sys(format!("can't hand {} to {user}", dir.display()), e))?;
    }
    Ok(())
}

/// Re-reads the driver's configuration (ups.conf and the command line) on SIGHUP.
type Reread = dyn Fn() -> Result<DriverConfig, SetupError> + Send;

fn run(
    driver: Box<dyn Driver>,
    args: &CliArgs,
    config: DriverConfig,
    reread: impl Fn() -> Result<DriverConfig, SetupError> + Send + 'static,
) -> Result<(), ProcessError> {
    let dumping = args.dump_after.is_some();
    let (reload_tx, reload_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runtime = DriverRuntime::new(driver, config.clone())
        .with_dump_after(args.dump_after)
        .with_socket(!dumping)
        .with_reloads(reload_rx)
        // The real clock, not a test's: one wake-up per poll for an idle driver.
        .with_poll_alarm(true)
        .with_started(|| {
            memory::release_startup_pages_settled();
        });
    if let Some(group) = &config.group {
        let found = nix::unistd::Group::from_name(group)
            .map_err(|e| ProcessError::sys(format!("can't look up group {group}"), e))?;
        runtime = runtime.with_socket_group(found.map(|g| g.gid.as_raw()));
    }
    let user = target_user(&config);
    if !dumping && !args.killpower {
        ensure_state_dir(&config.state_path, user.as_deref())?;
    }
    // As C: the user is looked up before the chroot (which may have no user database),
    // and become after it.
    let run_as = match user.as_deref().map(RunAs::lookup).transpose() {
        Ok(run_as) => run_as,
        Err(e) if config.user.is_some() => return Err(e),
        Err(e) => {
            tracing::warn!("staying as the current user: {e}");
            None
        }
    };
    if let Some(dir) = &config.chroot {
        chroot(dir)?;
    }
    if let Some(run_as) = &run_as {
        match (&config.user, run_as.become_user()) {
            (_, Ok(())) => {}
            (Some(_), Err(e)) => return Err(e),
            (None, Err(e)) => tracing::warn!("staying as the current user: {e}"),
        }
    }
    let tokio = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ProcessError::io("can't start the async runtime", e))
    };
    // As C's drivers: the log goes to syslog too unless debugging or dumping.
    if args.debug == 0 && !dumping {
        syslog::enable();
    }
    if args.killpower {
        tracing::info!("Initiating UPS shutdown");
        return Ok(tokio()?.block_on(runtime.killpower())?);
    }
    if !args.stays_in_foreground() {
        background()?;
    }
    let _pid = match dumping {
        false => Some(PidFile::create(config.pid_file_in(&alt_pid_path()))?),
        true => None,
    };
    tokio()?.block_on(async move {
        let stop = CancellationToken::new();
        tokio::spawn(stop_on_signals(stop.clone(), Box::new(reread), reload_tx));
        match runtime.run(stop).await? {
            RunOutcome::Dumped(state) => print!("{}", format_dump(&state)),
            RunOutcome::Exited => tracing::info!("exiting on a server's driver.exit"),
            _ => tracing::info!("Signal received, exiting"),
        }
        Ok(())
    })
}

/// Cancels `stop` on SIGTERM, SIGINT or SIGQUIT; on SIGHUP re-reads the configuration (as C
/// 2.8.1+ drivers do) and hands it to the runtime, which applies what it can.
async fn stop_on_signals(
    stop: CancellationToken,
    reread: Box<Reread>,
    reloads: tokio::sync::mpsc::UnboundedSender<DriverConfig>,
) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading the configuration");
                match reread() {
                    Ok(config) => {
                        let _ = reloads.send(config);
                    }
                    Err(error) => tracing::warn!("Reload failed: {error}"),
                }
                continue;
            }
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = quit.recv() => {}
        }
        stop.cancel();
        return Ok(());
    }
}
