//! `nut-web`: the web pages, Prometheus metrics, JSON API and event stream of nut-server's
//! HTTP service for the devices of any upsd (ours or C's), read over the network protocol.
//!
//! `nut-web --listen 127.0.0.1:8080 myups@localhost otherups@nas:3493`; without devices on
//! the command line, the `MONITOR` lines of hosts.conf (in `$NUT_CONFPATH`, default
//! `/etc/nut`) name them, as for C's CGI programs.
//!
//! `--mqtt HOST:PORT` also publishes to an MQTT broker, with Home Assistant discovery;
//! `--mqtt-commands USER` runs instant commands from `<prefix>/<ups>/command` as that upsd
//! user (password in `$NUT_WEB_COMMAND_PASSWORD`); `$NUT_WEB_MQTT_USER` and
//! `$NUT_WEB_MQTT_PASSWORD` log in to the broker.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{ArgAction, Parser};
use nut_examples::daemon::init_logging;
use nut_server::http::mqtt::MqttConfig;
use nut_server::http::{ClientSource, Credentials, HttpService};
use nut_server::proto::config::{HostsConf, UpsAddress};
use nut_server::CancellationToken;

/// Web pages, metrics, JSON API and events for UPSes on NUT servers.
#[derive(Parser, Debug)]
#[command(name = "nut-web", version)]
struct Args {
    /// Address and port to serve HTTP on (repeatable).
    #[arg(long, value_name = "ADDR:PORT", required = true)]
    listen: Vec<String>,
    /// Seconds between readings of the servers.
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    interval: u64,
    /// Publish to this MQTT broker too.
    #[arg(long, value_name = "HOST:PORT")]
    mqtt: Option<String>,
    /// The first level of the MQTT topics.
    #[arg(long, value_name = "PREFIX", default_value = "nut")]
    mqtt_prefix: String,
    /// Run instant commands from MQTT as this upsd user (password in
    /// $NUT_WEB_COMMAND_PASSWORD).
    #[arg(long, value_name = "USER", requires = "mqtt")]
    mqtt_commands: Option<String>,
    /// Raise the debugging level (repeatable).
    #[arg(short = 'D', action = ArgAction::Count)]
    debug: u8,
    /// The devices: `ups@host[:port]` (default: the MONITOR lines of hosts.conf).
    #[arg(value_name = "ups@host[:port]")]
    devices: Vec<UpsAddress>,
}

/// The MQTT settings of the command line and environment.
fn mqtt_config(broker: &str, args: &Args) -> anyhow::Result<MqttConfig> {
    let (host, port) = broker
        .rsplit_once(':')
        .and_then(|(h, p)| {
            Some((
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse().ok()?,
            ))
        })
        .with_context(|| format!("--mqtt {broker}: expected HOST:PORT"))?;
    let mut config = MqttConfig::new(host, port);
    config.prefix.clone_from(&args.mqtt_prefix);
    if let (Ok(user), Ok(password)) = (
        std::env::var("NUT_WEB_MQTT_USER"),
        std::env::var("NUT_WEB_MQTT_PASSWORD"),
    ) {
        config.login = Some((user, password));
    }
    if let Some(user) = &args.mqtt_commands {
        let password = std::env::var("NUT_WEB_COMMAND_PASSWORD")
            .context("--mqtt-commands needs the user's password in $NUT_WEB_COMMAND_PASSWORD")?;
        config.commands = Some(Credentials::new(user.as_str(), password, "mqtt"));
    }
    Ok(config)
}

/// The devices of hosts.conf's MONITOR lines.
fn hosts_conf() -> anyhow::Result<Vec<UpsAddress>> {
    let path = nut_proto::paths::confpath().join("hosts.conf");
    let parsed = HostsConf::load(&path)?;
    for warning in &parsed.warnings {
        tracing::warn!("{warning}");
    }
    let devices: Vec<UpsAddress> = parsed
        .config
        .monitors
        .into_iter()
        .map(|m| m.system)
        .collect();
    if devices.is_empty() {
        anyhow::bail!(
            "no device: give ups@host[:port] arguments or MONITOR lines in {}",
            path.display()
        );
    }
    Ok(devices)
}

#[tokio::main]
pub(crate) async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    init_logging(args.debug);
    let mut listeners = Vec::new();
    for addr in &args.listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        listeners.push(listener);
    }
    let devices = if args.devices.is_empty() {
        hosts_conf()?
    } else {
        std::mem::take(&mut args.devices)
    };
    let interval = Duration::from_secs(args.interval.max(1));
    let source = Arc::new(ClientSource::new(devices, interval));
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    #[cfg(unix)]
    {
        let stop = cancel.clone();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::spawn(async move {
            term.recv().await;
            stop.cancel();
        });
    }
    let mut service = HttpService::new(source);
    if let Some(broker) = &args.mqtt {
        service = service.with_mqtt(mqtt_config(broker, &args)?);
    }
    service.serve(listeners, cancel).await;
    Ok(())
}
