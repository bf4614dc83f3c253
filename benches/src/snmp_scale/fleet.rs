//! Ours in one process: many `snmp-ups` drivers ([`SnmpUps`], each in its own
//! [`DriverRuntime`]) on one tokio runtime, each configured from the same command line a
//! driver process gets, and optionally one embedded nut-server that serves them all through
//! in-process links instead of the Unix sockets.
//!
//! The process is driven through its standard input: a line `stats` makes it print one line
//! with whatever the `report` callback returns (the benchmark binary reports its allocation
//! counters there); the end of the input stops it. With the server it first prints
//! `listening <addr>`.

use std::io::{self, BufRead, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context as _;
use nut_driver_api::cli::CliArgs;
use nut_driver_api::config::{DriverConfig, Env};
use nut_driver_api::link::{in_process, DriverEndpoint};
use nut_driver_api::{CancellationToken, Driver, DriverRuntime};
use nut_drivers::snmp::driver::SnmpUps;
use nut_server::proto::names::UpsName;
use nut_server::Server;

/// One device: its UPS name and the address of its agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetDevice {
    /// The UPS name (`-s NAME`).
    pub name: String,
    /// The agent, `host:port`.
    pub port: String,
}

impl FleetDevice {
    /// One line of a devices file: `NAME HOST:PORT`.
    pub fn line(&self) -> String {
        format!("{} {}", self.name, self.port)
    }

    /// Reads a devices file (one [`line`](Self::line) per device).
    pub fn parse_list(text: &str) -> anyhow::Result<Vec<Self>> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (name, port) = l
                    .trim()
                    .split_once(' ')
                    .with_context(|| format!("not `NAME HOST:PORT`: {l:?}"))?;
                Ok(Self {
                    name: name.to_owned(),
                    port: port.trim().to_owned(),
                })
            })
            .collect()
    }
}

/// The SNMP settings every driver gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnmpSettings {
    /// `-x community=`.
    pub community: String,
    /// `-x snmp_version=` (`v1`, `v2c`).
    pub version: String,
    /// `-x pollfreq=`: seconds between two walks.
    pub pollfreq: u32,
}

/// The driver options for `device` (`-s NAME -x port=… -x community=… -x snmp_version=… -x
/// pollfreq=…`), the same for C's driver, ours as a process and ours in the fleet.
pub fn driver_args(device: &FleetDevice, snmp: &SnmpSettings) -> Vec<String> {
    let mut args = vec!["-s".to_owned(), device.name.clone()];
    for x in [
        format!("port={}", device.port),
        format!("community={}", snmp.community),
        format!("snmp_version={}", snmp.version),
        format!("pollfreq={}", snmp.pollfreq),
    ] {
        args.push("-x".to_owned());
        args.push(x);
    }
    args
}

/// How to run the fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// The devices.
    pub devices: Vec<FleetDevice>,
    /// What every driver gets.
    pub snmp: SnmpSettings,
    /// Where the driver sockets go (and `$NUT_CONFPATH` for the drivers: nothing is read).
    pub state_dir: PathBuf,
    /// Runtime threads: 1 = a current-thread runtime, as each driver process has.
    pub threads: usize,
    /// Serve the drivers through one embedded nut-server (in-process links, no sockets)
    /// instead of each driver's Unix socket.
    pub server: bool,
}

/// The runtime and driver of one device, configured as a driver process would be.
fn driver_runtime(cfg: &FleetConfig, device: &FleetDevice) -> anyhow::Result<DriverRuntime> {
    let driver = SnmpUps::new();
    let args = CliArgs::parse(driver_args(device, &cfg.snmp))
        .map_err(|e| anyhow::anyhow!("{}: {e}", device.name))?;
    let env = Env {
        confpath: Some(cfg.state_dir.clone()),
        statepath: Some(cfg.state_dir.clone()),
    };
    let config = DriverConfig::from_cli(&args, &driver.info(), &driver.options(), &env)
        .with_context(|| format!("configuring {}", device.name))?;
    Ok(DriverRuntime::new(Box::new(driver), config))
}

/// Runs the fleet until its standard input ends (see the [module documentation](self)).
pub fn run_fleet(
    cfg: &FleetConfig,
    report: impl Fn() -> String + Send + 'static,
) -> anyhow::Result<()> {
    let rt = crate::load::runtime(cfg.threads)?;
    let stop = CancellationToken::new();
    let on_eof = stop.clone();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            match line {
                Ok(l) if l.trim() == "stats" => {
                    let mut out = io::stdout().lock();
                    let _ = writeln!(out, "{}", report());
                    let _ = out.flush();
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        on_eof.cancel();
    });
    rt.block_on(async {
        let mut builder = Server::builder();
        let mut drivers = tokio::task::JoinSet::new();
        for device in &cfg.devices {
            let mut runtime = driver_runtime(cfg, device)?;
            if cfg.server {
                let (connector, listener) = in_process();
                runtime = runtime.with_socket(false).with_in_process(listener);
                let name = UpsName::new(device.name.as_str())
                    .map_err(|e| anyhow::anyhow!("{}: {e}", device.name))?;
                builder = builder.device(name, DriverEndpoint::InProcess(connector));
            }
            let (name, token) = (device.name.clone(), stop.clone());
            drivers.spawn(async move {
                if let Err(e) = runtime.run(token).await {
                    eprintln!("{name}: {e}");
                }
            });
        }
        let server = if cfg.server {
            let listener =
                tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
            let addr = listener.local_addr()?;
            let server = builder
                .listener(listener)
                .shutdown_token(stop.clone())
                .start()
                .await
                .context("starting the embedded server")?;
            println!("listening {addr}");
            io::stdout().flush()?;
            Some(server)
        } else {
            None
        };
        while drivers.join_next().await.is_some() {}
        if let Some(server) = server {
            server.run().await;
        }
        anyhow::Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_file_round_trip() {
        let devices = vec![
            FleetDevice {
                name: "dev0".into(),
                port: "127.0.0.1:40000".into(),
            },
            FleetDevice {
                name: "dev1".into(),
                port: "127.0.0.1:40001".into(),
            },
        ];
        let text: String = devices.iter().map(|d| d.line() + "\n").collect();
        assert_eq!(FleetDevice::parse_list(&text).unwrap(), devices);
        assert!(FleetDevice::parse_list("dev0\n").is_err());
    }

    #[test]
    fn driver_args_are_c_s() {
        let device = FleetDevice {
            name: "dev3".into(),
            port: "127.0.0.1:161".into(),
        };
        let snmp = SnmpSettings {
            community: "bench".into(),
            version: "v2c".into(),
            pollfreq: 5,
        };
        assert_eq!(
            driver_args(&device, &snmp).join(" "),
            "-s dev3 -x port=127.0.0.1:161 -x community=bench -x snmp_version=v2c -x pollfreq=5"
        );
    }
}
