//! `nutdrv_qx`: the Megatec Q1 family serial driver, a drop-in for C NUT's. Usage as C's:
//! `nutdrv_qx -a <ups>` (ups.conf) or `nutdrv_qx -s <ups> -x port=/dev/ttyS0`; `-h` for help.

use std::process::ExitCode;

use anyhow::Context;
use nut_driver_api::cli::{banner, help_text, list_options, CliAction, CliArgs, DEFAULT_USER};
use nut_driver_api::config::{DriverConfig, Env};
use nut_driver_api::runtime::format_dump;
use nut_driver_api::{CancellationToken, Driver, DriverRuntime, RunOutcome};
use nut_drivers::qx::NutdrvQx;
use nut_examples::daemon::{alt_pid_path, drop_privileges, init_logging, PidFile};

fn main() -> ExitCode {
    let driver = NutdrvQx::new();
    let (info, options) = (driver.info(), driver.options());
    println!("{}", banner(&info));
    let args = match CliArgs::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => return fail(e),
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
            if let Err(e) = run(driver, &args, config) {
                return fail(format!("{e:#}"));
            }
        }
    }
    ExitCode::SUCCESS
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("{e}");
    ExitCode::FAILURE
}

fn run(driver: NutdrvQx, args: &CliArgs, config: DriverConfig) -> anyhow::Result<()> {
    let mut runtime = DriverRuntime::new(Box::new(driver), config.clone())
        .with_dump_after(args.dump_after)
        .with_socket(args.dump_after.is_none());
    if let Some(group) = &config.group {
        let found = nix::unistd::Group::from_name(group)?;
        runtime = runtime.with_socket_group(found.map(|g| g.gid.as_raw()));
    }
    // Root drops to the configured user, or to C's default user when it exists.
    match &config.user {
        Some(user) => drop_privileges(user)?,
        None => {
            if let Err(e) = drop_privileges(DEFAULT_USER) {
                tracing::warn!("staying as the current user: {e:#}");
            }
        }
    }
    let tokio = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    if args.killpower {
        tracing::info!("Initiating UPS shutdown");
        return Ok(tokio()?.block_on(runtime.killpower())?);
    }
    if !args.stays_in_foreground() {
        nix::unistd::daemon(true, false).context("can't go to the background")?;
    }
    let _pid = match args.dump_after {
        None => Some(PidFile::create(config.pid_file_in(&alt_pid_path()))?),
        Some(_) => None,
    };
    tokio()?.block_on(async move {
        let stop = CancellationToken::new();
        let signals = stop.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let mut hup = signal(SignalKind::hangup())?;
            let mut term = signal(SignalKind::terminate())?;
            let mut int = signal(SignalKind::interrupt())?;
            let mut quit = signal(SignalKind::quit())?;
            loop {
                tokio::select! {
                    _ = hup.recv() => continue,
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                    _ = quit.recv() => {}
                }
                signals.cancel();
                return Ok::<(), std::io::Error>(());
            }
        });
        match runtime.run(stop).await? {
            RunOutcome::Dumped(state) => print!("{}", format_dump(&state)),
            _ => tracing::info!("exiting"),
        }
        Ok(())
    })
}
