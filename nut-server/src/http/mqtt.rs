//! The MQTT publisher (feature `mqtt`): the hub's readings and events to a broker, with
//! Home Assistant MQTT discovery, over rumqttc.
//!
//! Topics (`<prefix>` is `nut` by default):
//!
//! - `<prefix>/status`: `online` (retained) while connected, `offline` as the last will
//!   and at shutdown;
//! - `<prefix>/<ups>/state`: every variable as one JSON object (retained), on each change;
//! - `<prefix>/<ups>/availability`: `online` or `offline` (retained): whether upsd can read
//!   the device;
//! - `<prefix>/<ups>/event`: the status transitions (`{"ups", "time", "event", "status"}`);
//! - `<prefix>/<ups>/command` (only with [`MqttConfig::commands`]): a payload `cmd [param]`
//!   runs the instant command as the configured upsd user; the answer goes to
//!   `<prefix>/<ups>/command/result`;
//! - `<discovery>/device/nut_<ups>/config` (retained): Home Assistant's device-based
//!   discovery: one device per UPS, a sensor per known variable with its device class and
//!   unit, a button per command when commands are on; available while both the
//!   publisher's and the device's availability topics say `online`.
//!
//! Everything retained is published again after each (re)connection, so a broker that
//! restarted without persistence has it back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use nut_proto::config::{MqttConf, UpsdUsers, DEFAULT_MQTT_PORT};
use rumqttc::{AsyncClient, Event as MqttEvent, LastWill, MqttOptions, Packet, QoS};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::events::event_json;
use super::hub::{EventKind, Hub};
use super::source::{Credentials, DeviceData};

/// How often the publisher looks for changed readings.
const TICK: Duration = Duration::from_millis(500);
/// How long to wait before reconnecting to the broker.
const RECONNECT: Duration = Duration::from_secs(1);

/// Where and how to publish.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MqttConfig {
    /// The broker's host name or address.
    pub host: String,
    /// The broker's port (1883).
    pub port: u16,
    /// The MQTT client id.
    pub client_id: String,
    /// The first level of every topic (`nut`).
    pub prefix: String,
    /// Home Assistant's discovery prefix (`homeassistant`).
    pub discovery_prefix: String,
    /// User name and password for the broker.
    pub login: Option<(String, String)>,
    /// Run instant commands from `<prefix>/<ups>/command` as this upsd user (off: `None`).
    pub commands: Option<Credentials>,
}

impl MqttConfig {
    /// A broker at `host:port`, default topics, no commands.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            client_id: format!("nut-rs-{}", std::process::id()),
            prefix: "nut".to_owned(),
            discovery_prefix: "homeassistant".to_owned(),
            login: None,
            commands: None,
        }
    }

    /// The publisher upsd.conf's `MQTT_*` lines ask for (`None` without `MQTT_BROKER`).
    /// `MQTT_COMMANDS` names a user of `users`; one without a password leaves commands off.
    pub fn from_upsd_conf(conf: &MqttConf, users: &UpsdUsers) -> Option<Self> {
        let broker = conf.broker.as_ref()?;
        let mut config = Self::new(
            broker.address.clone(),
            broker.port.unwrap_or(DEFAULT_MQTT_PORT),
        );
        if let Some(prefix) = &conf.prefix {
            config.prefix.clone_from(prefix);
        }
        if let Some(prefix) = &conf.discovery_prefix {
            config.discovery_prefix.clone_from(prefix);
        }
        config.login = conf
            .login
            .as_ref()
            .map(|(user, password)| (user.clone(), password.expose().to_owned()));
        config.commands = conf.commands.as_ref().and_then(|name| {
            let user = users.users.iter().find(|u| &u.name == name)?;
            let password = user.password.as_ref()?;
            Some(Credentials::new(name.clone(), password.clone(), "MQTT"))
        });
        Some(config)
    }
}

/// Home Assistant sensors for the variables that have a meaning it knows: variable, name,
/// device class, unit.
const SENSORS: [(&str, &str, Option<&str>, Option<&str>); 14] = [
    ("ups.status", "Status", None, None),
    (
        "battery.charge",
        "Battery charge",
        Some("battery"),
        Some("%"),
    ),
    (
        "battery.runtime",
        "Battery runtime",
        Some("duration"),
        Some("s"),
    ),
    (
        "battery.voltage",
        "Battery voltage",
        Some("voltage"),
        Some("V"),
    ),
    ("ups.load", "Load", None, Some("%")),
    ("input.voltage", "Input voltage", Some("voltage"), Some("V")),
    (
        "output.voltage",
        "Output voltage",
        Some("voltage"),
        Some("V"),
    ),
    (
        "input.frequency",
        "Input frequency",
        Some("frequency"),
        Some("Hz"),
    ),
    (
        "output.frequency",
        "Output frequency",
        Some("frequency"),
        Some("Hz"),
    ),
    ("ups.realpower", "Real power", Some("power"), Some("W")),
    (
        "ups.power",
        "Apparent power",
        Some("apparent_power"),
        Some("VA"),
    ),
    (
        "ups.temperature",
        "Temperature",
        Some("temperature"),
        Some("°C"),
    ),
    (
        "battery.temperature",
        "Battery temperature",
        Some("temperature"),
        Some("°C"),
    ),
    (
        "battery.charge.low",
        "Low battery charge",
        Some("battery"),
        Some("%"),
    ),
];

/// A name made of the characters allowed in discovery object ids.
fn object_id(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The discovery message of one device.
pub(crate) fn discovery(config: &MqttConfig, dev: &DeviceData) -> Value {
    let ups = &dev.name;
    let id = format!("nut_{}", object_id(ups));
    let state_topic = format!("{}/{ups}/state", config.prefix);
    let mut device = Map::new();
    device.insert("identifiers".into(), json!([id]));
    device.insert(
        "name".into(),
        dev.desc.clone().unwrap_or_else(|| ups.clone()).into(),
    );
    for (var, key) in [
        ("device.mfr", "manufacturer"),
        ("device.model", "model"),
        ("device.serial", "serial_number"),
        ("ups.firmware", "sw_version"),
    ] {
        if let Some(v) = dev.value(var).filter(|v| !v.trim().is_empty()) {
            device.insert(key.into(), v.into());
        }
    }
    let mut components = Map::new();
    for (var, name, class, unit) in SENSORS {
        if dev.var(var).is_none() {
            continue;
        }
        let mut c = Map::new();
        c.insert("platform".into(), "sensor".into());
        c.insert("name".into(), name.into());
        c.insert(
            "unique_id".into(),
            format!("{id}_{}", object_id(var)).into(),
        );
        c.insert("state_topic".into(), state_topic.clone().into());
        c.insert(
            "value_template".into(),
            format!("{{{{ value_json['{var}'] }}}}").into(),
        );
        if let Some(class) = class {
            c.insert("device_class".into(), class.into());
        }
        if let Some(unit) = unit {
            c.insert("unit_of_measurement".into(), unit.into());
            c.insert("state_class".into(), "measurement".into());
        }
        components.insert(object_id(var), Value::Object(c));
    }
    if config.commands.is_some() {
        for cmd in &dev.commands {
            components.insert(
                format!("cmd_{}", object_id(cmd)),
                json!({
                    "platform": "button",
                    "name": cmd,
                    "unique_id": format!("{id}_cmd_{}", object_id(cmd)),
                    "command_topic": format!("{}/{ups}/command", config.prefix),
                    "payload_press": cmd,
                }),
            );
        }
    }
    json!({
        "device": device,
        "origin": {"name": "nut-rs", "sw_version": env!("CARGO_PKG_VERSION")},
        "availability": [
            {"topic": format!("{}/status", config.prefix)},
            {"topic": format!("{}/{ups}/availability", config.prefix)},
        ],
        "availability_mode": "all",
        "components": components,
    })
}

/// The values of a device as one JSON object.
fn state(dev: &DeviceData) -> Value {
    let map: Map<String, Value> = dev
        .vars
        .iter()
        .map(|v| (v.name.clone(), v.value.clone().into()))
        .collect();
    Value::Object(map)
}

/// Spawns the connection task and the publisher on `tasks`.
pub(crate) fn spawn(
    hub: Arc<Hub>,
    config: MqttConfig,
    cancel: CancellationToken,
    tasks: &TaskTracker,
) {
    let mut options = MqttOptions::new(&config.client_id, &config.host, config.port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_last_will(LastWill::new(
        format!("{}/status", config.prefix),
        "offline",
        QoS::AtLeastOnce,
        true,
    ));
    if let Some((user, password)) = &config.login {
        options.set_credentials(user, password);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let (connected_tx, connected) = watch::channel(0u64);
    let (commands_tx, commands) = mpsc::channel(64);
    let stop = cancel.clone();
    let broker = format!("{}:{}", config.host, config.port);
    tasks.spawn(async move {
        let mut up = false;
        loop {
            let event = tokio::select! {
                () = stop.cancelled() => {
                    // Let the publisher's last messages and DISCONNECT out.
                    let drain = async { while eventloop.poll().await.is_ok() {} };
                    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                    return;
                }
                e = eventloop.poll() => e,
            };
            match event {
                Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                    tracing::info!(%broker, "connected to the MQTT broker");
                    up = true;
                    connected_tx.send_modify(|n| *n += 1);
                }
                Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                    let _ = commands_tx.try_send((p.topic, p.payload));
                }
                Ok(_) => {}
                Err(error) => {
                    if up {
                        tracing::warn!(%broker, %error, "lost the MQTT broker; reconnecting");
                        up = false;
                    } else {
                        tracing::debug!(%broker, %error, "MQTT broker not reachable");
                    }
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(RECONNECT) => {}
                    }
                }
            }
        }
    });
    tasks.spawn(publish(hub, config, client, connected, commands, cancel));
}

/// Publishes changes, events and (again after each connection) everything retained; runs
/// commands.
async fn publish(
    hub: Arc<Hub>,
    config: MqttConfig,
    client: AsyncClient,
    mut connected: watch::Receiver<u64>,
    mut commands: mpsc::Receiver<(String, bytes::Bytes)>,
    cancel: CancellationToken,
) {
    let prefix = config.prefix.clone();
    let status_topic = format!("{prefix}/status");
    let mut events = hub.subscribe();
    // What was published in this connection, by device.
    let mut sent: HashMap<String, Arc<DeviceData>> = HashMap::new();
    let mut discovered: HashMap<String, Value> = HashMap::new();
    let mut tick = tokio::time::interval(TICK);
    let mut online = false;
    loop {
        tokio::select! {
            () = cancel.cancelled() => {
                let _ = client.publish(&status_topic, QoS::AtLeastOnce, true, "offline").await;
                let _ = client.disconnect().await;
                return;
            }
            changed = connected.changed() => {
                if changed.is_err() {
                    return;
                }
                online = true;
                sent.clear();
                discovered.clear();
                let _ = client.publish(&status_topic, QoS::AtLeastOnce, true, "online").await;
                if config.commands.is_some() {
                    let _ = client.subscribe(format!("{prefix}/+/command"), QoS::AtLeastOnce).await;
                }
                tick.reset_immediately();
            }
            _ = tick.tick(), if online => {
                for dev in hub.devices().iter() {
                    if sent.get(&dev.name).is_some_and(|d| Arc::ptr_eq(d, dev)) {
                        continue;
                    }
                    // Until the driver's first dump is in, there is nothing to describe.
                    if dev.value("ups.status") == Some("WAIT") {
                        continue;
                    }
                    let ups = &dev.name;
                    if dev.available() {
                        let config_msg = discovery(&config, dev);
                        if discovered.get(ups) != Some(&config_msg) {
                            let topic = format!(
                                "{}/device/nut_{}/config",
                                config.discovery_prefix,
                                object_id(ups)
                            );
                            let _ = client
                                .publish(topic, QoS::AtLeastOnce, true, config_msg.to_string())
                                .await;
                            discovered.insert(ups.clone(), config_msg);
                        }
                        let _ = client
                            .publish(format!("{prefix}/{ups}/state"), QoS::AtLeastOnce, true, state(dev).to_string())
                            .await;
                    }
                    let availability = if dev.available() { "online" } else { "offline" };
                    let _ = client
                        .publish(format!("{prefix}/{ups}/availability"), QoS::AtLeastOnce, true, availability)
                        .await;
                    sent.insert(ups.clone(), Arc::clone(dev));
                }
            }
            event = events.recv() => match event {
                Ok(event) if online && matches!(event.kind, EventKind::Status { .. }) => {
                    let topic = format!("{prefix}/{}/event", event.ups);
                    let _ = client
                        .publish(topic, QoS::AtLeastOnce, false, event_json(&event).to_string())
                        .await;
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "the MQTT publisher fell behind the events");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            Some((topic, payload)) = commands.recv() => {
                run_command(&hub, &config, &client, &topic, &payload).await;
            }
        }
    }
}

/// Runs the instant command of a message on `<prefix>/<ups>/command`.
async fn run_command(
    hub: &Hub,
    config: &MqttConfig,
    client: &AsyncClient,
    topic: &str,
    payload: &[u8],
) {
    let Some(who) = &config.commands else { return };
    let Some(ups) = topic
        .strip_prefix(&format!("{}/", config.prefix))
        .and_then(|t| t.strip_suffix("/command"))
    else {
        return;
    };
    let text = String::from_utf8_lossy(payload);
    let mut words = text.split_whitespace();
    let result = match words.next() {
        None => "ERR empty command".to_owned(),
        Some(cmd) => {
            let param = words.next();
            match hub.source.instcmd(who, ups, cmd, param).await {
                Ok(()) => format!("OK {cmd}"),
                Err(e) => format!("ERR {cmd}: {e}"),
            }
        }
    };
    tracing::info!(ups, command = %text, %result, "MQTT command");
    let _ = client
        .publish(format!("{topic}/result"), QoS::AtLeastOnce, false, result)
        .await;
}
