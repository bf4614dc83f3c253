//! `usb-emu`: emulated USB devices for C NUT's USB drivers and ours (the logic is in the
//! `nut-usb-emu` crate, see its README for the device-file format; `import` also rebuilds the
//! reports a log gives only as `Path:` values, with `nut_examples::usb_import`).
//!
//! ```text
//! usb-emu import usbhid-ups-DDDDD.log > ups.dev
//! usb-emu run ups.dev -- /lib/nut/usbhid-ups -s ups -x port=auto -u root -d 1
//! usb-emu run --q1 cypress -- /lib/nut/nutdrv_qx -s ups -x port=auto -u root -d 1
//! usb-emu run --sim tripplite_usb -- /lib/nut/tripplite_usb -s ups -x port=auto -u root -d 1
//! usb-emu run --sim bcmxcp_usb --set bcmxcp.unit=pw9130 -- /lib/nut/bcmxcp_usb -s ups -x port=auto -u root -d 1
//! usb-emu run --sim riello_usb --set riello.type=4 -- /lib/nut/riello_usb -s ups -x port=auto -u root -d 1
//! usb-emu run --sim apc_modbus -- PROGRAM
//! ```
//!
//! `run --sim tripplite_usb` serves a simulated Tripp Lite unit of the older USB protocol
//! (`nut_drivers::sim::tripplite_usb`) the same way, with `--set`, `--script`,
//! `--vendor-id` and `--product-id` as for `--q1`. `run --sim bcmxcp_usb` serves a simulated
//! Eaton/Powerware BCM/XCP unit (`nut_drivers::sim::bcmxcp`, nut-sim's `--protocol bcmxcp`
//! models: `--set bcmxcp.unit=pw5125|pw9130|pw9355`) on Powerware's ids (`0592:0002`; give
//! `--vendor-id 06da` for a Phoenixtec one, which takes its commands by vendor request).
//! `run --sim riello_usb` serves a simulated Riello GPSER unit (`nut_drivers::sim::riello`,
//! nut-sim's `--protocol riello` model and its `riello.*` settings) behind the bulk-endpoint
//! bridge of Riello's USB units (`04b4:5500`). `run --sim apc_modbus` serves an APC
//! Smart-UPS (`051d:0003`) speaking Modbus RTU in vendor HID reports (see
//! `nut_usb_emu::modbus_hid`): nut-sim's `--protocol apc_modbus` model, the SMT750i of
//! `nut_drivers::sim::apc_modbus`, with `--set` and `--script`; `--q1-socket PATH` hands its
//! RTU frames to a responder a test serves there instead (`SocketServer::spawn_responder`).
//!
//! `run --q1 BRIDGE` puts a simulated Megatec/Q1 UPS (`nut_drivers::sim`, the `nut-sim`
//! models: `--protocol`, `--set KEY=VALUE`, `--script FILE`) behind an emulated USB-to-serial
//! bridge of that name (cypress, phoenixtec, phoenix, ippon, krauler, fabula, hunnox, fuji,
//! sgs, snr, ablerex, armac): the model is served on a Unix socket in the run's private
//! folder, and a device file there (the bridge's default ids and strings, or `--vendor-id`,
//! `--product-id`) is the first device on the bus, before any DEVICE files given. With
//! `--q1-socket PATH` the model is someone else's (a test serving and stepping it): only the
//! device file is written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use nut_drivers::sim::apc_modbus::ApcModbusModel;
use nut_drivers::sim::socket::SocketServer;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};
use nut_usb_emu::q1_bridge::Bridge;
use nut_usb_emu::runner::{self, LibDir, RunOptions};

/// Emulated USB devices for NUT's USB drivers.
#[derive(Debug, Parser)]
#[command(version)]
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
        #[command(flatten)]
        q1: Box<Q1Args>,
        /// Device files, then `--`, then the command and its arguments.
        #[arg(
            required_unless_present_any = ["q1", "sim"],
            num_args = 0..,
            value_name = "DEVICE"
        )]
        devices: Vec<PathBuf>,
        /// The command and its arguments.
        #[arg(last = true, required = true, num_args = 1..)]
        command: Vec<std::ffi::OsString>,
    },
}

/// `run --q1` / `run --sim`: a simulated Q1 UPS behind an emulated USB-to-serial bridge, or
/// a simulated USB UPS.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("served").args(["q1", "sim"])))]
struct Q1Args {
    /// Serve a simulated Megatec/Q1 UPS behind this USB-to-serial bridge, as the first device:
    /// cypress, phoenixtec, phoenix, ippon, krauler, fabula, hunnox, fuji, sgs, snr, ablerex
    /// or armac (the names of nutdrv_qx's `subdriver` option).
    #[arg(long, value_name = "BRIDGE")]
    q1: Option<String>,
    /// Serve a simulated USB UPS speaking this protocol, as the first device:
    /// tripplite_usb (Tripp Lite's older USB protocol), bcmxcp_usb (Eaton/Powerware
    /// BCM/XCP), riello_usb (Riello GPSER) or apc_modbus (APC Smart-UPS, Modbus in HID
    /// reports).
    #[arg(long, value_name = "PROTOCOL", conflicts_with = "q1")]
    sim: Option<String>,
    /// The simulated UPS's protocol, as nut-sim names them [default: megatec].
    #[arg(long, value_name = "P", requires = "q1")]
    protocol: Option<String>,
    /// A device setting of the simulated UPS, `KEY=VALUE` (repeatable; see nut-sim).
    #[arg(long = "set", value_name = "KEY=VALUE", requires = "served")]
    settings: Vec<String>,
    /// Timed power events for the simulated UPS (nut-sim's script format).
    #[arg(long, value_name = "FILE", requires = "served")]
    script: Option<PathBuf>,
    /// Do not serve a UPS: the bridge forwards its commands to the one served on this socket.
    #[arg(
        long,
        value_name = "PATH",
        requires = "served",
        conflicts_with_all = ["protocol", "settings", "script"]
    )]
    q1_socket: Option<PathBuf>,
    /// The bridge's idVendor instead of its default (hex).
    #[arg(long, value_name = "HEX", value_parser = hex16, requires = "served")]
    vendor_id: Option<u16>,
    /// The bridge's idProduct instead of its default (hex).
    #[arg(long, value_name = "HEX", value_parser = hex16, requires = "served")]
    product_id: Option<u16>,
}

fn hex16(text: &str) -> Result<u16, String> {
    let digits = text.trim_start_matches("0x");
    u16::from_str_radix(digits, 16).map_err(|_| format!("`{text}` is not a 16-bit hex number"))
}

/// The simulated UPS `usb-emu run --q1` serves: its model, socket server and power events.
struct Served {
    model: SharedModel,
    steps: Vec<(f64, String)>,
    _server: SocketServer,
}

/// Sets up `--q1` in the run's private folder: the simulator (unless `--q1-socket`) and the
/// bridge's device file, which becomes the first device.
fn setup_q1(
    q1: &Q1Args,
    lib_dir: &LibDir,
    options: &mut RunOptions,
) -> Result<Option<Served>, String> {
    let (bridge, default_protocol) = match (&q1.q1, &q1.sim) {
        (Some(name), _) => {
            let bridge = Bridge::from_name(name)
                .filter(|b| Bridge::ALL.contains(b))
                .ok_or_else(|| {
                    let names: Vec<&str> = Bridge::ALL.iter().map(|b| b.name()).collect();
                    format!("unknown bridge `{name}` ({})", names.join(", "))
                })?;
            (bridge, "megatec")
        }
        (None, Some(name)) if name.eq_ignore_ascii_case("tripplite_usb") => {
            (Bridge::TrippLite, "tripplite_usb")
        }
        (None, Some(name)) if name.eq_ignore_ascii_case("bcmxcp_usb") => (Bridge::Bcmxcp, "bcmxcp"),
        (None, Some(name)) if name.eq_ignore_ascii_case("riello_usb") => (Bridge::Riello, "riello"),
        (None, Some(name)) if name.eq_ignore_ascii_case("apc_modbus") => {
            (Bridge::ApcModbus, "apc_modbus")
        }
        (None, Some(name)) => {
            return Err(format!(
            "unknown simulated device `{name}` (tripplite_usb, bcmxcp_usb, riello_usb, apc_modbus)"
        ))
        }
        (None, None) => return Ok(None),
    };
    let private = |file: &str| {
        lib_dir
            .file(file)
            .ok_or_else(|| format!("no private file {file}"))
    };
    let mut served = None;
    let socket = match &q1.q1_socket {
        Some(path) => std::path::absolute(path).unwrap_or_else(|_| path.clone()),
        None => {
            let steps = match &q1.script {
                Some(path) => {
                    nut_drivers::sim::script::load_script(path).map_err(|e| e.to_string())?
                }
                None => Vec::new(),
            };
            let model = UpsModel::shared();
            let path = private("q1.sock")?;
            let server = if bridge == Bridge::ApcModbus {
                // The SMT750i first, so that --set can change what it reports.
                let mut unit = ApcModbusModel::new(model.clone());
                nut_drivers::sim::script::apply_settings(&model, &q1.settings)
                    .map_err(|e| e.to_string())?;
                SocketServer::spawn_responder(move |adu: &[u8]| unit.respond(adu), &path)
            } else {
                let protocol_name = q1.protocol.as_deref().unwrap_or(default_protocol);
                let protocol = Protocol::from_name(protocol_name)
                    .ok_or_else(|| format!("unknown protocol `{protocol_name}`"))?;
                nut_drivers::sim::script::apply_settings(&model, &q1.settings)
                    .map_err(|e| e.to_string())?;
                SocketServer::spawn(model.clone(), protocol, &path)
            }
            .map_err(|e| format!("simulator socket {}: {e}", path.display()))?;
            // Drivers that drop their privileges must still reach it.
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666));
            served = Some(Served {
                model,
                steps,
                _server: server,
            });
            path
        }
    };
    let identity = bridge.identity();
    let ids = (
        q1.vendor_id.unwrap_or(identity.vendor_id),
        q1.product_id.unwrap_or(identity.product_id),
    );
    let device = private("q1.dev")?;
    std::fs::write(&device, bridge.device_text(&socket, Some(ids)))
        .map_err(|e| format!("{}: {e}", device.display()))?;
    options.devices.insert(0, device);
    Ok(served)
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
fn run(options: &RunOptions, q1: &Q1Args, exe: &Path) -> Result<i32, String> {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use tokio::signal::unix::{signal, SignalKind};

    runner::check_devices(options)?;
    let library = runner::find_library(exe)?;
    let lib_dir = LibDir::new(&library).map_err(|e| format!("temporary library folder: {e}"))?;
    let mut options = options.clone();
    let served = setup_q1(q1, &lib_dir, &mut options)?;
    let cmd = runner::command(&options, &lib_dir)?;
    let program = options.command.first().cloned().unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    // The simulated UPS's script: the events at time 0 before the command starts, the others
    // with its clock (battery, pending shutdown), once a second.
    let start = Instant::now();
    let mut steps = served
        .as_ref()
        .map(|s| s.steps.clone())
        .unwrap_or_default()
        .into_iter()
        .peekable();
    if let Some(s) = &served {
        let mut m = s.model.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((_, event)) = steps.next_if(|(at, _)| *at <= 0.0) {
            if let Err(e) = m.apply(&event) {
                eprintln!("usb-emu run: {e}");
            }
        }
    }
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
        let second = Duration::from_secs(1);
        let mut clock = tokio::time::interval_at(tokio::time::Instant::now() + second, second);
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
                _ = clock.tick(), if served.is_some() => {
                    if let Some(s) = &served {
                        let now = start.elapsed().as_secs_f64();
                        let mut m = s.model.lock().unwrap_or_else(|e| e.into_inner());
                        m.tick(1.0);
                        while let Some((_, event)) = steps.next_if(|(at, _)| *at <= now) {
                            if let Err(e) = m.apply(&event) {
                                eprintln!("usb-emu run: {e}");
                            }
                        }
                    }
                }
            }
        }
    });
    drop(served);
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
            q1,
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
            match run(&options, &q1, &exe) {
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
