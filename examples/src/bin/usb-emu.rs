//! `usb-emu`: emulated USB devices for C NUT's USB drivers and ours (the logic is in the
//! `nut-usb-emu` crate, see its README for the device-file format; `import` also rebuilds the
//! reports a log gives only as `Path:` values, with `nut_examples::usb_import`).
//!
//! ```text
//! usb-emu import usbhid-ups-DDDDD.log > ups.dev
//! usb-emu run ups.dev -- /lib/nut/usbhid-ups -s ups -x port=auto -u root -d 1
//! ```

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use nut_usb_emu::runner::{self, RunOptions};

/// Emulated USB devices for NUT's USB drivers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Turn a `usbhid-ups -DDDDD` log (or a nut-ddl .dev file holding one) into a device file
    /// on standard output (reports without raw bytes rebuilt from their `Path:` values).
    Import {
        /// The log file.
        log: PathBuf,
    },
    /// Run COMMAND with the emulated libusb serving the devices.
    Run {
        /// Append one line per transfer to this file (NUT_USB_EMU_LOG).
        #[arg(long)]
        log: Option<PathBuf>,
        /// Apply the commands appended to this file while COMMAND runs (NUT_USB_EMU_CONTROL).
        #[arg(long)]
        control: Option<PathBuf>,
        /// Device files, then `--`, then the command and its arguments.
        #[arg(required = true, num_args = 1.., value_name = "DEVICE... -- COMMAND [ARGS]")]
        devices: Vec<PathBuf>,
        /// The command and its arguments.
        #[arg(last = true, required = true, num_args = 1..)]
        command: Vec<std::ffi::OsString>,
    },
}

fn import(log: &PathBuf) -> anyhow::Result<()> {
    let bytes = std::fs::read(log).with_context(|| format!("cannot read {}", log.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let source = log.display().to_string();
    let mut import =
        nut_usb_emu::import_log(&text).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    nut_examples::usb_import::fill_missing_reports(&mut import, &text);
    let device = nut_usb_emu::import::render_checked(&import, &source)
        .map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    std::io::stdout().write_all(device.as_bytes())?;
    Ok(())
}

/// `usb-emu run`: the command runs as our child, and the termination signals we receive
/// (TERM, INT, HUP, QUIT) are passed on to it, so that stopping `usb-emu` stops the command
/// and the private library folder is still removed. Returns the exit code to pass on.
fn run(options: &RunOptions, exe: &std::path::Path) -> Result<i32, String> {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use tokio::signal::unix::{signal, SignalKind};

    let (lib_dir, cmd) = runner::prepare(options, exe)?;
    let program = options.command.first().cloned().unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let status = rt.block_on(async {
        let mut child = tokio::process::Command::from(cmd)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))?;
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        let kinds = [
            (SignalKind::terminate(), Signal::SIGTERM),
            (SignalKind::interrupt(), Signal::SIGINT),
            (SignalKind::hangup(), Signal::SIGHUP),
            (SignalKind::quit(), Signal::SIGQUIT),
        ];
        let mut streams = Vec::new();
        for (kind, sig) in kinds {
            let stream = signal(kind).map_err(|e| format!("signal handler: {e}"))?;
            streams.push((stream, sig));
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for (mut stream, sig) in streams {
            let tx = tx.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if tx.send(sig).is_err() {
                        break;
                    }
                }
            });
        }
        loop {
            tokio::select! {
                status = child.wait() => {
                    return status.map_err(|e| format!("wait for {}: {e}", program.to_string_lossy()));
                }
                Some(sig) = rx.recv() => {
                    if let Some(pid) = pid {
                        let _ = kill(pid, sig);
                    }
                }
            }
        }
    });
    drop(lib_dir);
    status.map(runner::exit_code)
}

fn main() {
    let args = Args::parse();
    let code = match args.command {
        Action::Import { log } => match import(&log) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("usb-emu import: {e:#}");
                1
            }
        },
        Action::Run {
            log,
            control,
            devices,
            command,
        } => {
            let options = RunOptions {
                devices,
                log,
                control,
                library: None,
                command,
            };
            let exe = std::env::current_exe().unwrap_or_default();
            match run(&options, &exe) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("usb-emu run: {e}");
                    1
                }
            }
        }
    };
    std::process::exit(code)
}
