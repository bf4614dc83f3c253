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
//!
//! With `--protocol bcmxcp` the device is an Eaton/Powerware unit speaking the binary
//! BCM/XCP frames (see `nut_drivers::sim::bcmxcp`): a Powerware 5125, or with
//! `--set bcmxcp.unit=pw9130` a 9130, `pw9355` a three-phase 9355. Every frame it receives
//! is logged:
//!
//! ```text
//! nut-sim --protocol bcmxcp --link /tmp/xcp0
//! bcmxcp -s sim -x port=/tmp/xcp0 -x baud_rate=9600 -D
//! ```
//!
//! With `--protocol apc_modbus` the device is an APC SMT750i speaking Modbus RTU (see
//! `nut_drivers::sim::apc_modbus`), set up as the nut-ddl report of one; every frame it
//! receives is logged; `--tcp ADDR:PORT` also serves it as Modbus TCP:
//!
//! ```text
//! nut-sim --protocol apc_modbus --link /tmp/smt0 --tcp 127.0.0.1:1502
//! apc_modbus -s sim -x port=/tmp/smt0 -x porttype=serial -D
//! apc_modbus -s sim2 -x port=127.0.0.1:1502 -x porttype=tcp -D
//! ```
//!
//! With `--protocol mge-shut` the device is an MGE HID unit speaking SHUT (HID over a
//! serial line), described by a device file of the USB emulator (`--device`, as
//! `usb-emu import` writes them, with its `at` script lines); `--control FILE` is a file
//! of further emulator commands read as lines are appended (`feature 01 ...`), and
//! `--log FILE` logs every request; without `--control`, such commands can be typed on
//! standard input (`unplug`, `plug`, `feature 0c 32`):
//!
//! ```text
//! nut-sim --protocol mge-shut --device eaton.dev --link /tmp/shut0
//! mge-shut -s sim -x port=/tmp/shut0 -D
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use nut_drivers::shut::frame::Setup;
use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::script::{apply_settings, load_script};
use nut_drivers::sim::shut::{ControlDevice, ShutPtyServer};
use nut_drivers::sim::{Protocol, UpsModel};
use tokio::io::AsyncBufReadExt;

/// A virtual UPS on a pseudo-terminal.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The protocol: megatec, megatec/old, mustek, zinto, q1, voltronic, voltronic-qs,
    /// voltronic-qs-hex, bestups, mecer, ablerex, masterguard, apc, liebert-esp2,
    /// powercom, powerpanel, mge-utalk, upscode2, bcmxcp, riello, apc_modbus, or mge-shut
    /// (with --device).
    #[arg(short, long, default_value = "megatec")]
    protocol: String,
    /// A dialect-specific device setting, `KEY=VALUE` (repeatable): `bestups.model=AX1`,
    /// `mecer.p98=1`, `qshex.protocol=T`, `masterguard.series=E`, Voltronic's `flags.enabled=…`,
    /// `liebert.outphases=3`, `powercom.type=BNT`, `powerpanel.protocol=text`,
    /// `mge.model=COMET 7`, `bcmxcp.unit=pw9130`, `upscode2.phases=3`, `riello.type=4`, …
    /// (see the
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
    /// `mge-shut`: the USB emulator's device file of the unit.
    #[arg(long)]
    device: Option<PathBuf>,
    /// `mge-shut`: the emulator's control file (commands appended while running).
    #[arg(long)]
    control: Option<PathBuf>,
    /// `mge-shut`: log every request to this file (the emulator's log format).
    #[arg(long)]
    log: Option<PathBuf>,
    /// `apc_modbus`: also serve the unit as Modbus TCP on this address (`127.0.0.1:1502`).
    #[arg(long, value_name = "ADDR:PORT")]
    tcp: Option<std::net::SocketAddr>,
}

/// A unit of the USB emulator answering SHUT's control requests.
struct EmulatedUnit {
    emu: nut_usb_emu::emu::Emulator,
    handle: Option<u64>,
}

impl EmulatedUnit {
    fn handle(&mut self) -> Option<u64> {
        if let Some(h) = self.handle.filter(|h| self.emu.check(*h).is_ok()) {
            return Some(h);
        }
        let key = *self.emu.device_list().first()?;
        self.handle = self.emu.open(key).ok();
        self.handle
    }
}

impl ControlDevice for EmulatedUnit {
    fn control(&mut self, setup: &Setup, data: &[u8]) -> Option<Vec<u8>> {
        self.emu.tick();
        let handle = self.handle()?;
        let mut buf = if setup.is_in() {
            vec![0; usize::from(setup.length)]
        } else {
            data.to_vec()
        };
        let step = self.emu.control(
            handle,
            setup.request_type,
            setup.request,
            setup.value,
            setup.index,
            &mut buf,
        );
        match step {
            nut_usb_emu::emu::Step::Done(Ok(n)) => {
                buf.truncate(n);
                Some(buf)
            }
            _ => None,
        }
    }

    fn tick(&mut self) {
        self.emu.tick();
    }

    fn present(&mut self) -> bool {
        self.emu.tick();
        !self.emu.device_list().is_empty()
    }
}

/// `--protocol mge-shut`: serves the device file until interrupted. Without `--control`,
/// lines typed on standard input are the emulator's commands (through a private control
/// file).
async fn serve_shut(args: &Args) -> anyhow::Result<()> {
    let Some(device) = &args.device else {
        bail!("--protocol mge-shut needs --device FILE (a usb-emu device file)");
    };
    let spec = nut_usb_emu::DeviceSpec::load(device)?;
    let typed = match &args.control {
        Some(_) => None,
        None => {
            let path =
                std::env::temp_dir().join(format!("nut-sim-shut-{}.control", std::process::id()));
            std::fs::write(&path, "")?;
            Some(path)
        }
    };
    let control = args.control.clone().or_else(|| typed.clone());
    let emu = nut_usb_emu::emu::Emulator::new(vec![spec], control, args.log.clone());
    let server = ShutPtyServer::spawn(EmulatedUnit { emu, handle: None }, args.link.as_deref())?;
    println!("{}", server.path().display());
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = typed.is_some();
    let limit = tokio::time::sleep(Duration::from_secs_f64(
        args.exit_after.map_or(f64::from(u32::MAX), |x| x.max(0.0)),
    ));
    tokio::pin!(limit);
    loop {
        tokio::select! {
            _ = &mut limit => break,
            _ = tokio::signal::ctrl_c() => break,
            line = stdin.next_line(), if stdin_open => match (line, &typed) {
                (Ok(Some(l)), Some(path)) => {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new().append(true).open(path)?;
                    writeln!(f, "{}", l.trim())?;
                }
                _ => stdin_open = false,
            },
        }
    }
    drop(server);
    if let Some(path) = typed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
pub(crate) async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    nut_examples::daemon::init_logging(1);
    if args.protocol.eq_ignore_ascii_case("mge-shut") || args.protocol.eq_ignore_ascii_case("shut")
    {
        return serve_shut(&args).await;
    }
    let Some(protocol) = Protocol::from_name(&args.protocol) else {
        bail!("unknown protocol {:?}", args.protocol);
    };
    let steps = match &args.script {
        Some(p) => load_script(p)?,
        None => Vec::new(),
    };
    let model = UpsModel::shared();
    let modbus = protocol == Protocol::ApcModbus;
    if modbus {
        nut_drivers::sim::apc_modbus::smt750(&mut model.lock().unwrap_or_else(|e| e.into_inner()));
    } else if args.tcp.is_some() {
        bail!("--tcp is for --protocol apc_modbus");
    }
    apply_settings(&model, &args.settings)?;
    let server = PtyServer::spawn(model.clone(), protocol, args.link.as_deref())?;
    println!("{}", server.path().display());
    if let Some(addr) = args.tcp {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("modbus tcp {}", listener.local_addr()?);
        let unit = nut_drivers::sim::apc_modbus::ApcModbusModel::attach(model.clone());
        tokio::spawn(nut_drivers::sim::apc_modbus::serve_tcp(listener, unit));
    }
    let start = Instant::now();
    let last = steps.last().map_or(0.0, |s| s.0);
    let mut steps = steps.into_iter().peekable();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let tick = Duration::from_secs_f64(args.tick.max(0.01));
    let mut clock = tokio::time::interval(tick);
    let mut logged = 0usize;
    loop {
        tokio::select! {
            _ = clock.tick() => {
                let now = start.elapsed().as_secs_f64();
                let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
                if protocol.is_framed() || modbus {
                    for frame in m.received.get(logged..).unwrap_or_default() {
                        tracing::info!(frame, "received");
                    }
                    logged = m.received.len();
                }
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
