//! The MQTT publisher against a real mosquitto broker, watched with mosquitto_sub: Home
//! Assistant discovery, states, availability, events, a command, and the broker going away
//! and coming back. Skipped with a note when mosquitto is not installed, unless
//! `NUT_RS_INTEROP=1`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nut_server::http::mqtt::MqttConfig;
use nut_server::http::{
    async_trait, Credentials, DeviceData, HttpService, Source, VarData, WriteError,
};
use nut_server::CancellationToken;

const DEADLINE: Duration = Duration::from_secs(30);

/// A source the test changes by hand; records the commands it is asked to run.
#[derive(Default)]
struct Manual {
    devices: Mutex<Vec<Arc<DeviceData>>>,
    changed: tokio::sync::Notify,
    commands: Mutex<Vec<String>>,
}

impl Manual {
    fn set(&self, status: &str, charge: &str) {
        let mut d = DeviceData::new("ups");
        for (k, v) in [
            ("ups.status", status),
            ("battery.charge", charge),
            ("input.voltage", "230"),
            ("device.mfr", "Fake Inc."),
            ("device.model", "F1"),
        ] {
            d.vars.push(VarData::new(k, v));
        }
        d.commands.push("test.battery.start".into());
        *self.devices.lock().unwrap() = vec![Arc::new(d)];
        self.changed.notify_one();
    }
}

#[async_trait]
impl Source for Manual {
    async fn devices(&self) -> Vec<Arc<DeviceData>> {
        self.devices.lock().unwrap().clone()
    }
    async fn changed(&self) {
        self.changed.notified().await;
    }
    async fn set_var(&self, _: &Credentials, _: &str, _: &str, _: &str) -> Result<(), WriteError> {
        Ok(())
    }
    async fn instcmd(
        &self,
        who: &Credentials,
        ups: &str,
        cmd: &str,
        _: Option<&str>,
    ) -> Result<(), WriteError> {
        self.commands
            .lock()
            .unwrap()
            .push(format!("{} {ups} {cmd}", who.username));
        Ok(())
    }
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have_mosquitto() -> bool {
    let found = [
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto_sub",
        "/usr/bin/mosquitto_pub",
    ]
    .iter()
    .all(|p| std::path::Path::new(p).exists());
    if !found {
        assert!(
            std::env::var("NUT_RS_INTEROP").as_deref() != Ok("1"),
            "NUT_RS_INTEROP=1 but mosquitto and mosquitto-clients are not installed"
        );
        eprintln!("note: mosquitto not installed, skipping");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn broker(port: u16) -> Kill {
    let child = Command::new("/usr/sbin/mosquitto")
        .args(["-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < DEADLINE, "mosquitto did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Kill(child)
}

/// mosquitto_sub on every topic: `(retained, topic, payload)` lines as they come.
struct Sub {
    _child: Kill,
    lines: std::sync::mpsc::Receiver<(bool, String, String)>,
    seen: Vec<(bool, String, String)>,
}

impl Sub {
    fn start(port: u16) -> Self {
        let mut child = Command::new("/usr/bin/mosquitto_sub")
            .args(["-p", &port.to_string(), "-t", "#", "-F", "%r %t %p"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let mut parts = line.splitn(3, ' ');
                let retained = parts.next() == Some("1");
                let topic = parts.next().unwrap_or_default().to_owned();
                let payload = parts.next().unwrap_or_default().to_owned();
                if tx.send((retained, topic, payload)).is_err() {
                    return;
                }
            }
        });
        Self {
            _child: Kill(child),
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a message on `topic` whose payload satisfies `ok`; returns it.
    fn wait(&mut self, topic: &str, ok: impl Fn(&str) -> bool) -> (bool, String) {
        let start = Instant::now();
        loop {
            if let Some((r, _, p)) = self.seen.iter().find(|(_, t, p)| t == topic && ok(p)) {
                return (*r, p.clone());
            }
            let left = DEADLINE.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(m) => self.seen.push(m),
                Err(_) => panic!("no message on {topic}; seen: {:#?}", self.seen),
            }
        }
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

#[test]
fn discovery_states_events_commands_and_a_broker_restart() {
    if !have_mosquitto() {
        return;
    }
    let port = free_port();
    let mut mosquitto = broker(port);
    let mut sub = Sub::start(port);
    std::thread::sleep(Duration::from_millis(200));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let source = Arc::new(Manual::default());
    source.set("OL", "100");
    let mut config = MqttConfig::new("127.0.0.1", port);
    config.commands = Some(Credentials::new("admin", "pw", "mqtt"));
    let cancel = CancellationToken::new();
    let service = HttpService::new(Arc::clone(&source) as Arc<dyn Source>).with_mqtt(config);
    let serving = rt.spawn(service.serve(Vec::new(), cancel.clone()));

    // Discovery: one device, sensors with classes and units, availability, a button.
    let (_, text) = sub.wait("homeassistant/device/nut_ups/config", |_| true);
    let d = json(&text);
    assert_eq!(d["device"]["identifiers"][0], "nut_ups");
    assert_eq!(d["device"]["manufacturer"], "Fake Inc.");
    assert_eq!(d["device"]["model"], "F1");
    assert_eq!(d["origin"]["name"], "nut-rs");
    assert_eq!(d["availability_mode"], "all");
    assert_eq!(d["availability"][0]["topic"], "nut/status");
    assert_eq!(d["availability"][1]["topic"], "nut/ups/availability");
    let charge = &d["components"]["battery_charge"];
    assert_eq!(charge["platform"], "sensor");
    assert_eq!(charge["device_class"], "battery");
    assert_eq!(charge["unit_of_measurement"], "%");
    assert_eq!(charge["state_topic"], "nut/ups/state");
    assert_eq!(
        charge["value_template"],
        "{{ value_json['battery.charge'] }}"
    );
    assert_eq!(charge["unique_id"], "nut_ups_battery_charge");
    assert_eq!(d["components"]["input_voltage"]["device_class"], "voltage");
    let button = &d["components"]["cmd_test_battery_start"];
    assert_eq!(button["platform"], "button");
    assert_eq!(button["command_topic"], "nut/ups/command");
    assert_eq!(button["payload_press"], "test.battery.start");
    let ids: Vec<&str> = d["components"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["unique_id"].as_str().unwrap())
        .collect();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "unique ids");

    sub.wait("nut/status", |p| p == "online");
    sub.wait("nut/ups/availability", |p| p == "online");
    let (_, state) = sub.wait("nut/ups/state", |_| true);
    assert_eq!(json(&state)["battery.charge"], "100");
    // A subscriber that comes later gets them from the broker: they are retained.
    let mut late = Sub::start(port);
    for topic in [
        "homeassistant/device/nut_ups/config",
        "nut/status",
        "nut/ups/availability",
        "nut/ups/state",
    ] {
        assert!(late.wait(topic, |_| true).0, "{topic} retained");
    }
    drop(late);

    // A power failure: an event and the new state.
    source.set("OB DISCHRG", "80");
    let (_, event) = sub.wait("nut/ups/event", |_| true);
    let event = json(&event);
    assert_eq!(
        (event["event"].as_str(), event["status"].as_str()),
        (Some("ONBATT"), Some("OB DISCHRG"))
    );
    sub.wait("nut/ups/state", |p| json(p)["battery.charge"] == "80");

    // A command from the opt-in topic runs as the configured user.
    let status = Command::new("/usr/bin/mosquitto_pub")
        .args([
            "-p",
            &port.to_string(),
            "-t",
            "nut/ups/command",
            "-m",
            "test.battery.start",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    sub.wait("nut/ups/command/result", |p| p == "OK test.battery.start");
    assert_eq!(
        *source.commands.lock().unwrap(),
        ["admin ups test.battery.start"]
    );

    // The broker goes away (no persistence: its retained messages are gone) and comes back:
    // everything retained is published again.
    drop(sub);
    drop(mosquitto);
    std::thread::sleep(Duration::from_secs(2));
    source.set("OL", "81");
    mosquitto = broker(port);
    let mut sub = Sub::start(port);
    sub.wait("homeassistant/device/nut_ups/config", |_| true);
    sub.wait("nut/status", |p| p == "online");
    sub.wait("nut/ups/state", |p| json(p)["battery.charge"] == "81");

    // Stopping says offline.
    cancel.cancel();
    sub.wait("nut/status", |p| p == "offline");
    rt.block_on(serving).unwrap();
    let seen: HashMap<String, String> = sub
        .seen
        .iter()
        .map(|(_, t, p)| (t.clone(), p.clone()))
        .collect();
    assert!(seen.contains_key("nut/ups/availability"));
    drop(mosquitto);
}
