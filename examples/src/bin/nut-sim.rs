//! `nut-sim`: a virtual UPS on a pseudo-terminal, for trying serial drivers without hardware.
//!
//! ```text
//! nut-sim --protocol megatec --link /tmp/ups0 --script power-fail.txt
//! nutdrv_qx -s sim -x port=/tmp/ups0 -u root -D
//! ```
//!
//! A script has one event per line, `<seconds> <event>` (seconds from the start), `#` for
//! comments. Events: `mains-lost`, `mains-restored`, `low-battery`, `charge=N`, `line=V`,
//! `load=N`, `fail`. Between events the battery drains on battery and recharges on line.
//! Events can also be typed on standard input, one per line.
//!
//! With `--protocol apc` the device speaks on its own as a real APC Smart UPS does: once a
//! driver put it in smart mode, every event that changes its status (including the battery
//! running low as it drains) sends the alert characters at once (`!` on battery, `$` back
//! on line, `%`/`+` low battery and back, `?`/`=` overload and back, `#` replace battery),
//! so that a driver reacts between two polls:
//!
//! ```text
//! nut-sim --protocol apc --link /tmp/apc0
//! apcsmart -s sim -x port=/tmp/apc0 -i 300 -D     # C's: add -x ttymode=raw
//! mains-lost                                      # typed into nut-sim: OB at once
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::{Protocol, UpsModel};
use nut_examples::sim_script::{apply_settings, load_script};
use tokio::io::AsyncBufReadExt;

/// A virtual UPS on a pseudo-terminal.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The protocol: megatec, megatec/old, mustek, zinto, q1, voltronic, voltronic-qs,
    /// voltronic-qs-hex, bestups, mecer, ablerex, masterguard, apc, liebert-esp2,
    /// powercom, powerpanel or mge-utalk.
    #[arg(short, long, default_value = "megatec")]
    protocol: String,
    /// A dialect-specific device setting, `KEY=VALUE` (repeatable): `bestups.model=AX1`,
    /// `mecer.p98=1`, `qshex.protocol=T`, `masterguard.series=E`, Voltronic's `flags.enabled=…`,
    /// `liebert.outphases=3`, `powercom.type=BNT`, `powerpanel.protocol=text`, `mge.model=COMET 7`, … (see the
    /// simulator's dialect modules).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Create a symbolic link to the terminal with this name.
    #[arg(short, long)]
    link: Option<PathBuf>,
    /// A script of timed power events.
    #[arg(short, long)]
    script: Option<PathBuf>,
    /// Seconds between two steps of the battery clock.
    #[arg(long, default_value_t = 1.0)]
    tick: f64,
    /// Exit after the script's last event plus this many seconds.
    #[arg(long)]
    exit_after: Option<f64>,
}

#[tokio::main(flavor = "current_thread")]
pub(crate) async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    nut_examples::daemon::init_logging(1);
    let Some(protocol) = Protocol::from_name(&args.protocol) else {
        bail!("unknown protocol {:?}", args.protocol);
    };
    let steps = match &args.script {
        Some(p) => load_script(p)?,
        None => Vec::new(),
    };
    let model = UpsModel::shared();
    apply_settings(&model, &args.settings)?;
    let server = PtyServer::spawn(model.clone(), protocol, args.link.as_deref())?;
    println!("{}", server.path().display());
    let start = Instant::now();
    let last = steps.last().map_or(0.0, |s| s.0);
    let mut steps = steps.into_iter().peekable();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let tick = Duration::from_secs_f64(args.tick.max(0.01));
    let mut clock = tokio::time::interval(tick);
    loop {
        tokio::select! {
            _ = clock.tick() => {
                let now = start.elapsed().as_secs_f64();
                let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
                m.tick(tick.as_secs_f64());
                while let Some((_, event)) = steps.next_if(|(at, _)| *at <= now) {
                    tracing::info!(event, "power event");
                    if let Err(e) = m.apply(&event) {
                        tracing::warn!("{e}");
                    }
                }
                if args.exit_after.is_some_and(|x| now > last + x) {
                    break;
                }
            }
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(l)) if !l.trim().is_empty() => {
                    let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
                    match m.apply(l.trim()) {
                        Ok(()) => tracing::info!(event = l.trim(), "power event"),
                        Err(e) => tracing::warn!("{e}"),
                    }
                }
                Ok(Some(_)) => {}
                _ => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    drop(server);
    Ok(())
}
