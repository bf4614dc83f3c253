//! The HTTP service end to end: our upsd with `HTTP_LISTEN` and `nut-web` over C upsd, both
//! over C dummy-ups playing a power failure, seen through the event stream in order; C upsd
//! given an upsd.conf with `HTTP_LISTEN`; `/metrics` for every recorded nut-ddl device
//! checked by `promtool`.
//!
//! Skipped with a note when C NUT, promtool or the recordings are missing, unless
//! `NUT_RS_INTEROP=1`.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use support::{free_port, have, Proc, Site, C_DUMMY, C_UPSD};

const DEADLINE: Duration = Duration::from_secs(60);

/// On line long enough for the test to subscribe, then on battery, low battery, back on
/// line for good.
const FAILURE: &str = "ups.status: OL\nbattery.charge: 100\nTIMER 8\n\
                       ups.status: OB\nbattery.charge: 50\nTIMER 3\n\
                       ups.status: OB LB\nbattery.charge: 5\nTIMER 3\n\
                       ups.status: OL\nbattery.charge: 20\nTIMER 3600\n";

/// One HTTP/1.1 GET or POST; the status and the body.
fn request(port: u16, method: &str, path: &str, headers: &[&str], body: &str) -> (u16, String) {
    let reply = support::http::request(port, method, path, headers, body.as_bytes());
    (
        reply.status,
        String::from_utf8_lossy(&reply.body).into_owned(),
    )
}

fn get(port: u16, path: &str) -> (u16, String) {
    request(port, "GET", path, &[], "")
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    support::wait_for(what, DEADLINE, Duration::from_millis(100), f)
}

/// Waits until the HTTP service answers.
fn wait_http(port: u16) {
    wait_for("the HTTP service", || {
        TcpStream::connect(("127.0.0.1", port)).ok().map(drop)
    });
}

/// An event-stream subscription.
struct Events(BufReader<TcpStream>);

impl Events {
    fn subscribe(port: u16) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream
            .write_all(b"GET /api/v1/events HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        while line != "\r\n" {
            line.clear();
            reader.read_line(&mut line).unwrap();
        }
        Self(reader)
    }

    /// The status events (name, status) until `last` came.
    fn statuses_until(&mut self, last: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut name = String::new();
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < DEADLINE, "no {last} event: {out:?}");
            let mut line = String::new();
            let n = self.0.read_line(&mut line).expect("an event in time");
            assert!(n > 0, "the stream ended: {out:?}");
            let line = line.trim_end();
            if let Some(ev) = line.strip_prefix("event: ") {
                name = ev.to_owned();
            } else if let Some(data) = line.strip_prefix("data: ") {
                if name == "status" {
                    let e = json(data);
                    assert_eq!(e["ups"], "dummy");
                    assert!(e["time"].as_str().is_some_and(|t| t.ends_with('Z')));
                    let event = e["event"].as_str().unwrap().to_owned();
                    out.push((event.clone(), e["status"].as_str().unwrap().to_owned()));
                    if event == last {
                        return out;
                    }
                }
            }
        }
    }
}

/// The power failure's transitions: a first COMMOK if the stream saw the driver arrive,
/// then on battery, low battery, on line, in this order.
fn check_failure(events: &[(String, String)]) {
    let names: Vec<&str> = events
        .iter()
        .map(|(e, _)| e.as_str())
        .skip_while(|e| *e == "COMMOK")
        .collect();
    assert_eq!(names, ["ONBATT", "LOWBATT", "ONLINE"], "{events:?}");
    let statuses: Vec<&str> = events
        .iter()
        .rev()
        .take(3)
        .map(|(_, s)| s.as_str())
        .collect();
    assert_eq!(statuses, ["OL", "OB LB", "OB"]);
}

/// A site serving `dummy` from the failure script with C dummy-ups; upsd is started by the
/// caller (the driver starts after it, so the whole script is seen).
fn failure_site(dir: &Path, upsd_conf: &str) -> Site {
    let seq = dir.join("power.seq");
    fs::write(&seq, FAILURE).unwrap();
    let ups_conf = format!(
        "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n",
        seq.display()
    );
    Site::new(dir, &ups_conf, upsd_conf, &[])
}

/// A set-up with one C dummy-ups device `dummy` reading `dev` (a .dev file's text), and
/// these upsd.conf lines.
fn dummy_site(dir: &Path, dev: &str, upsd_conf: &str) -> Site {
    let file = dir.join("x.dev");
    fs::write(&file, dev).unwrap();
    Site::new(
        dir,
        &format!(
            "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n",
            file.display()
        ),
        upsd_conf,
        &[],
    )
}

fn start_dummy(site: &Site) -> Proc {
    let mut c = site.command(C_DUMMY);
    c.args(["-a", "dummy", "-u", "nut", "-F"]);
    Proc::spawn(&mut c)
}

fn promtool_check(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn our_upsd_http_listen_follows_a_power_failure() {
    if !have(&[C_DUMMY]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let http = free_port();
    let site = failure_site(tmp.path(), &format!("HTTP_LISTEN 127.0.0.1 {http}\n"));
    let mut upsd = Proc::spawn(
        site.command(env!("CARGO_BIN_EXE_upsd"))
            .args(["-u", "nut", "-F"]),
    );
    wait_http(http);
    let mut events = Events::subscribe(http);
    let _dummy = start_dummy(&site);
    let seen = events.statuses_until("ONLINE");
    check_failure(&seen);

    let (status, body) = get(http, "/api/v1/devices/dummy");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["ups.status"], "OL");
    let (_, metrics) = get(http, "/metrics");
    assert!(metrics.contains("network_ups_tools_ups_status{ups=\"dummy\",flag=\"OL\"} 1"));
    if have(&["promtool"]) {
        promtool_check(&metrics);
    }
    // The network protocol is served beside it as before.
    let out = site.output("upsc", &[site.ups("dummy"), "ups.status".into()]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OL\n");

    // SIGTERM stops upsd with an event stream open: the stream ends, upsd exits.
    let pid = nix::unistd::Pid::from_raw(i32::try_from(upsd.0.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let mut rest = String::new();
    let _ = events.0.read_to_string(&mut rest);
    let status = wait_for("upsd to exit", || upsd.0.try_wait().unwrap());
    assert!(status.success(), "{status:?}");
}

#[test]
fn nut_web_over_c_upsd_follows_a_power_failure() {
    if !have(&[C_UPSD, C_DUMMY]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let site = failure_site(tmp.path(), "");
    let _upsd = Proc::spawn(site.command(C_UPSD).args(["-u", "nut", "-F"]));
    let http = free_port();
    let _web = Proc::spawn(Command::new(env!("CARGO_BIN_EXE_nut-web")).args([
        "--listen",
        &format!("127.0.0.1:{http}"),
        "--interval",
        "1",
        &site.ups("dummy"),
    ]));
    wait_http(http);
    let mut events = Events::subscribe(http);
    let _dummy = start_dummy(&site);
    let seen = events.statuses_until("ONLINE");
    check_failure(&seen);

    // Writes go to C upsd with the request's credentials: its answers come back.
    let path = "/api/v1/devices/dummy/variables/ups.status";
    let json_type = "Content-Type: application/json";
    let wrong = "Authorization: Basic YWRtaW46bm8="; // admin:no
    let (status, body) = request(http, "POST", path, &[wrong, json_type], r#"{"value":"OB"}"#);
    assert_eq!(
        (status, json(&body)["error"].as_str()),
        (403, Some("ACCESS-DENIED")),
        "{body}"
    );
    let (status, body) = request(http, "POST", path, &[json_type], r#"{"value":"OB"}"#);
    assert_eq!(status, 401, "{body}");
    let (status, body) = get(http, "/api/v1/devices/nope");
    assert_eq!(status, 404, "{body}");
    let (status, page) = get(http, "/ups/dummy");
    assert_eq!(status, 200);
    assert!(page.contains("data-var=\"ups.status\">OL</span>"), "{page}");
}

#[test]
fn c_upsd_serves_with_http_listen_in_its_upsd_conf() {
    // The keyword is ours: C upsd logs it as an invalid directive and serves as before.
    if !have(&[C_UPSD, C_DUMMY, "upsc"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("x.dev");
    fs::write(&dev, "ups.status: OL\nbattery.charge: 90\n").unwrap();
    let site = Site::new(
        tmp.path(),
        &format!(
            "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n",
            dev.display()
        ),
        &format!("HTTP_LISTEN 127.0.0.1 {}\nMAXAGE 20\n", free_port()),
        &[],
    );
    let _dummy = start_dummy(&site);
    wait_for("the driver socket", || {
        site.state().join("dummy-ups-dummy").exists().then_some(())
    });
    let _upsd = Proc::spawn(site.command(C_UPSD).args(["-u", "nut", "-F"]));
    let value = wait_for("C upsd to serve", || {
        let out = site.output("upsc", &[site.ups("dummy"), "battery.charge".into()]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (!text.is_empty()).then_some(text)
    });
    assert_eq!(value, "90\n");
}

#[test]
fn a_real_prometheus_scrapes_our_metrics() {
    if !have(&[C_DUMMY, "prometheus"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let http = free_port();
    let site = dummy_site(
        tmp.path(),
        "ups.status: OB LB\nbattery.charge: 17\ninput.voltage: 0\ndevice.mfr: Acme\n",
        &format!("HTTP_LISTEN 127.0.0.1 {http}\n"),
    );
    let _dummy = start_dummy(&site);
    let _upsd = Proc::spawn(
        site.command(env!("CARGO_BIN_EXE_upsd"))
            .args(["-u", "nut", "-F"]),
    );
    wait_http(http);
    let web = free_port();
    let config = tmp.path().join("prometheus.yml");
    fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: nut\n    \
             static_configs:\n      - targets: ['127.0.0.1:{http}']\n"
        ),
    )
    .unwrap();
    let _prometheus = Proc::spawn(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                tmp.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{web}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    );
    wait_http(web);
    let query = |q: &str| {
        let (status, body) = get(web, &format!("/api/v1/query?query={q}"));
        assert_eq!(status, 200, "{body}");
        json(&body)["data"]["result"].clone()
    };
    // The scrape succeeds (no parse error in Prometheus's own report of it) …
    let up = wait_for("a successful scrape", || {
        let r = query("up");
        (r[0]["value"][1] == "1").then_some(r)
    });
    assert_eq!(
        up[0]["metric"]["instance"],
        format!("127.0.0.1:{http}"),
        "{up}"
    );
    // … and the values are in its database under nut_exporter's names and labels.
    let charge = wait_for("the charge", || {
        let r = query("network_ups_tools_battery_charge");
        (r[0]["value"][1] == "17").then_some(r)
    });
    assert_eq!(charge[0]["metric"]["ups"], "dummy", "{charge}");
    let on_battery = query("network_ups_tools_ups_status%7Bflag%3D%22OB%22%7D");
    assert_eq!(on_battery[0]["value"][1], "1", "{on_battery}");
    let online = query("network_ups_tools_ups_status%7Bflag%3D%22OL%22%7D");
    assert_eq!(online[0]["value"][1], "0", "{online}");
    let info = query("network_ups_tools_device_info");
    assert_eq!(info[0]["metric"]["ups"], "dummy", "{info}");
}

#[test]
fn metrics_of_every_recorded_device_pass_promtool() {
    use nut_driver_api::config::DriverConfig;
    use nut_driver_api::proto::names::UpsName;
    use nut_driver_api::{CancellationToken, DriverParams, DriverRuntime};
    use nut_drivers::dummy::DummyUps;
    use nut_server::{ConfigPaths, Server, ServerConfig};

    if !have(&["promtool"]) {
        return;
    }
    let Some(ddl) = support::recorded("nut-ddl") else {
        return;
    };
    let mut files = Vec::new();
    for mfr in fs::read_dir(ddl).unwrap() {
        let mfr = mfr.unwrap().path();
        if mfr.is_dir() {
            for f in fs::read_dir(mfr).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "dev") {
                    files.push(f);
                }
            }
        }
    }
    files.sort();
    assert!(files.len() > 600, "the nut-ddl recordings");
    let tmp = tempfile::tempdir().unwrap();
    let (etc, state) = (tmp.path().join("etc"), tmp.path().join("state"));
    fs::create_dir_all(&etc).unwrap();
    fs::create_dir_all(&state).unwrap();
    let mut ups_conf = String::new();
    for i in 0..files.len() {
        ups_conf += &format!("[d{i}]\n\tdriver = dummy-ups\n\tport = d{i}.dev\n");
    }
    fs::write(etc.join("ups.conf"), ups_conf).unwrap();
    fs::write(etc.join("upsd.conf"), "MAXAGE 120\n").unwrap();
    fs::write(etc.join("upsd.users"), "").unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stop = CancellationToken::new();
    let _guard = rt.enter();
    for (i, file) in files.iter().enumerate() {
        let params =
            DriverParams::new(file.display().to_string()).with_option("mode", Some("dummy-once"));
        let config = DriverConfig::new("dummy-ups", UpsName::new(format!("d{i}")).unwrap(), params)
            .with_state_path(&state)
            .with_poll_interval(30);
        rt.spawn(DriverRuntime::new(Box::new(DummyUps::new()), config).run(stop.clone()));
    }
    let mut paths = ConfigPaths::new(&etc);
    paths.statepath = Some(state.clone());
    let config = ServerConfig::load(&paths).unwrap().config;
    let (server, http) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server::builder()
            .config(config)
            .shutdown_token(stop.clone())
            .listener(listener)
            .http_listener(http)
            .start()
            .await
            .unwrap();
        let http = server.handle().http_addrs().await[0].port();
        (server, http)
    });
    let run = rt.spawn(server.run());
    // Every device served, none waiting for its driver.
    wait_for("every device", || {
        let (_, body) = get(http, "/api/v1/devices");
        let list = json(&body);
        let list = list.as_array().unwrap();
        let ready = list.len() == files.len()
            && list.iter().all(|d| {
                d["available"] == true && d["status"].as_str().is_some_and(|s| s != "WAIT")
            });
        ready.then_some(())
    });
    let (status, metrics) = get(http, "/metrics");
    assert_eq!(status, 200);
    for i in [0, files.len() - 1] {
        assert!(
            metrics.contains(&format!("network_ups_tools_device_info{{ups=\"d{i}\"")),
            "d{i} in one scrape: {}",
            metrics
                .lines()
                .filter(|l| l.contains(&format!("\"d{i}\"")))
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    promtool_check(&metrics);
    stop.cancel();
    rt.block_on(run).unwrap();
}

/// A page in headless Chromium, driven over the DevTools protocol.
struct Browser {
    _proc: Proc,
    _profile: tempfile::TempDir,
    ws: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
    /// Every event received (`method`, `params`).
    events: Vec<serde_json::Value>,
}

impl Browser {
    fn start() -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("chromium");
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank");
        let proc = Proc::spawn(&mut cmd);
        // Chromium writes its port here once it listens.
        let port_file = profile.path().join("DevToolsActivePort");
        let port: u16 = wait_for("Chromium's DevTools port", || {
            fs::read_to_string(&port_file)
                .ok()?
                .lines()
                .next()?
                .parse()
                .ok()
        });
        let body = devtools_new_page(port);
        let url = json(&body)["webSocketDebuggerUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        let (ws, _) = tungstenite::client(url.as_str(), stream).expect("DevTools websocket");
        let mut browser = Self {
            _proc: proc,
            _profile: profile,
            ws,
            next_id: 0,
            events: Vec::new(),
        };
        for method in ["Runtime.enable", "Log.enable", "Page.enable"] {
            browser.call(method, serde_json::json!({}));
        }
        browser
    }

    /// Sends a command and waits for its result, keeping the events that come meanwhile.
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = serde_json::json!({"id": id, "method": method, "params": params});
        self.ws
            .send(tungstenite::Message::text(msg.to_string()))
            .unwrap();
        loop {
            let reply = self.ws.read().expect("a DevTools message");
            let tungstenite::Message::Text(text) = reply else {
                continue;
            };
            let v = json(text.as_str());
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    fn eval(&mut self, expression: &str) -> serde_json::Value {
        let r = self.call(
            "Runtime.evaluate",
            serde_json::json!({"expression": expression, "returnByValue": true}),
        );
        r["result"]["value"].clone()
    }

    /// Loads `url` at `width`×`height` (a phone when `mobile`) and waits for the load.
    fn open(&mut self, url: &str, width: u32, height: u32, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        );
        self.call("Page.navigate", serde_json::json!({"url": url}));
        wait_for("the page to load", || {
            (self.eval("document.readyState") == "complete").then_some(())
        });
    }

    /// A PNG screenshot.
    fn screenshot(&mut self) -> Vec<u8> {
        let r = self.call(
            "Page.captureScreenshot",
            serde_json::json!({"format": "png"}),
        );
        base64_decode(r["data"].as_str().unwrap())
    }

    /// Console errors, uncaught exceptions and failed loads seen so far.
    fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| match e["method"].as_str() {
                Some("Runtime.exceptionThrown") => true,
                Some("Runtime.consoleAPICalled") => e["params"]["type"] == "error",
                Some("Log.entryAdded") => e["params"]["entry"]["level"] == "error",
                _ => false,
            })
            .map(ToString::to_string)
            .collect()
    }
}

/// `PUT /json/new` on Chromium's DevTools port: a new page's description. (Its HTTP
/// server keeps the connection open: the body is read by its length.)
fn devtools_new_page(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream
        .write_all(
            b"PUT /json/new?about:blank HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    while line != "\r\n" {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

/// Standard base64 (the DevTools screenshot encoding).
fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn pages_in_chromium_update_live_after_a_set() {
    if !have(&[C_DUMMY, "chromium"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let http = free_port();
    let site = dummy_site(tmp.path(), "ups.status: OL\nbattery.charge: 100\nups.load: 20\ninput.voltage: 230\nbattery.runtime: 1800\n", &format!("HTTP_LISTEN 127.0.0.1 {http}\n"));
    let _dummy = start_dummy(&site);
    wait_for("the driver socket", || {
        site.state().join("dummy-ups-dummy").exists().then_some(())
    });
    let _upsd = Proc::spawn(
        site.command(env!("CARGO_BIN_EXE_upsd"))
            .args(["-u", "nut", "-F"]),
    );
    wait_http(http);
    wait_for("the device", || {
        let (_, body) = get(http, "/api/v1/devices/dummy");
        body.contains("\"battery.charge\":\"100\"").then_some(())
    });

    let mut browser = Browser::start();
    let base = format!("http://127.0.0.1:{http}");
    // NUT_RS_SCREENSHOTS=<dir> keeps them (how nut-server/docs/screenshots was made).
    let shots = std::env::var_os("NUT_RS_SCREENSHOTS")
        .map_or_else(|| tmp.path().join("screenshots"), std::path::PathBuf::from);
    fs::create_dir_all(&shots).unwrap();
    for (page, width, height, mobile) in [
        ("/", 1280, 800, false),
        ("/", 390, 844, true),
        ("/ups/dummy", 1280, 800, false),
        ("/ups/dummy", 390, 844, true),
    ] {
        browser.open(&format!("{base}{page}"), width, height, mobile);
        let png = browser.screenshot();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{page} at {width}");
        let name = match page.trim_matches('/') {
            "" => format!("index-{width}.png"),
            p => format!("{}-{width}.png", p.replace('/', "-")),
        };
        fs::write(shots.join(name), png).unwrap();
        // Nothing wider than the screen.
        let fits = browser.eval("document.documentElement.scrollWidth <= window.innerWidth");
        assert_eq!(fits, true, "{page} at {width} px scrolls sideways");
    }
    // The device page is open, with charts of what the device has (charge, load, input
    // voltage, runtime) from its first values on.
    assert_eq!(
        browser.eval("document.querySelectorAll('figure svg polyline').length"),
        4
    );
    // A SET through the API shows up in it.
    let shown = "document.querySelector('[data-var=\"battery.charge\"]').textContent";
    assert_eq!(browser.eval(shown), "100");
    let (status, body) = request(
        http,
        "POST",
        "/api/v1/devices/dummy/variables/battery.charge",
        &[
            "Content-Type: application/json",
            "Authorization: Basic YWRtaW46cHc=",
        ],
        r#"{"value": "42"}"#,
    );
    assert_eq!(status, 202, "{body}");
    wait_for("the page to show the new value", || {
        (browser.eval(shown) == "42").then_some(())
    });
    // The page's own form: log in, set a value, see the answer and the new value.
    browser.eval(
        "(function(){var l=document.getElementById('login');l.user.value='admin';l.password.value='pw';\
         var f=document.querySelector('form[data-path$=\"/variables/battery.charge\"]');\
         f.value.value='55';f.requestSubmit();return true;})()",
    );
    let answer = "document.querySelector('form[data-path$=\"/variables/battery.charge\"] output').textContent";
    wait_for("the form's answer", || {
        (browser.eval(answer) == "SET handed to the driver").then_some(())
    });
    wait_for("the page to show the value set in it", || {
        (browser.eval(shown) == "55").then_some(())
    });
    // A wrong password gets the API's reason in the page.
    browser.eval(
        "(function(){document.getElementById('login').password.value='no';\
         document.querySelector('form[data-path$=\"/variables/battery.charge\"]').requestSubmit();return true;})()",
    );
    wait_for("the refusal", || {
        browser
            .eval(answer)
            .as_str()
            .is_some_and(|t| t.starts_with("ACCESS-DENIED: "))
            .then_some(())
    });
    // The refused request is a 403 the browser logs as a failed load; nothing else.
    let errors: Vec<String> = browser
        .errors()
        .into_iter()
        .filter(|e| !e.contains("403"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// The retained messages of the broker on `port`, as a subscriber that comes later gets
/// them, once they contain `expected`.
fn retained(port: u16, expected: &str) -> String {
    wait_for("the retained messages", || {
        let out = Command::new("mosquitto_sub")
            .args(["-p", &port.to_string(), "-t", "#", "-v", "-W", "2"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.contains(expected).then_some(text)
    })
}

/// The last payload on `topic` in `mosquitto_sub -v` output.
fn topic_line(messages: &str, topic: &str) -> String {
    messages
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(&format!("{topic} ")))
        .unwrap_or_else(|| panic!("no {topic} in {messages}"))
        .to_owned()
}

#[test]
fn upsd_publishes_to_mqtt_with_its_keywords() {
    if !have(&[C_DUMMY, "/usr/sbin/mosquitto", "/usr/bin/mosquitto_sub"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("x.dev");
    fs::write(&dev, "ups.status: OB\nbattery.charge: 61\n").unwrap();
    let mqtt = free_port();
    let _broker = Proc::spawn(Command::new("/usr/sbin/mosquitto").args(["-p", &mqtt.to_string()]));
    wait_http(mqtt);
    // No HTTP_LISTEN: the publisher runs on its own.
    let site = Site::new(
        tmp.path(),
        &format!(
            "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n",
            dev.display()
        ),
        &format!(
            "MQTT_BROKER 127.0.0.1 {mqtt}\nMQTT_LOGIN nut \"any thing\"\nMQTT_PREFIX home/ups\n\
             MQTT_DISCOVERY_PREFIX ha\nMQTT_COMMANDS admin\n"
        ),
        &[],
    );
    let _dummy = start_dummy(&site);
    wait_for("the driver socket", || {
        site.state().join("dummy-ups-dummy").exists().then_some(())
    });
    let log = tmp.path().join("upsd.log");
    let mut upsd = site.command(env!("CARGO_BIN_EXE_upsd"));
    upsd.args(["-u", "nut", "-F"])
        .stderr(fs::File::create(&log).unwrap());
    let upsd = Proc::spawn(&mut upsd);
    let messages = retained(mqtt, "\"battery.charge\":\"61\"");
    let line = |topic: &str| topic_line(&messages, topic);
    assert_eq!(json(&line("home/ups/dummy/state"))["ups.status"], "OB");
    assert_eq!(line("home/ups/status"), "online");
    assert_eq!(line("home/ups/dummy/availability"), "online");
    let discovery = json(&line("ha/device/nut_dummy/config"));
    assert_eq!(
        discovery["components"]["battery_charge"]["state_topic"],
        "home/ups/dummy/state"
    );
    // Commands are on (MQTT_COMMANDS names a user with a password): discovery says where.
    assert!(messages.contains("home/ups/dummy/command"), "{messages}");
    // A command runs as that user: logged in, so upsd's own answer comes back.
    let mut sub = Command::new("mosquitto_sub")
        .args([
            "-p",
            &mqtt.to_string(),
            "-t",
            "home/ups/dummy/command/result",
        ])
        .args(["-C", "1", "-W", "60"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The subscriber may not be subscribed yet: publish until it has its answer.
    wait_for("the command's result", || {
        let published = Command::new("mosquitto_pub")
            .args(["-p", &mqtt.to_string(), "-t", "home/ups/dummy/command"])
            .args(["-m", "no.such.command"])
            .status()
            .unwrap();
        assert!(published.success());
        std::thread::sleep(Duration::from_millis(500));
        sub.try_wait().unwrap()
    });
    let mut result = String::new();
    sub.stdout
        .as_mut()
        .unwrap()
        .read_to_string(&mut result)
        .unwrap();
    assert!(
        result.starts_with("ERR no.such.command: CMD-NOT-SUPPORTED"),
        "{result}"
    );
    drop(upsd);
    // upsd says nothing about the keywords it knows, and never shows the broker password.
    let text = fs::read_to_string(&log).unwrap();
    assert!(!text.contains("MQTT"), "{text}");
    assert!(!text.contains("any thing"), "{text}");
    // On a clean exit the publisher leaves "offline" behind.
    wait_for("offline", || {
        (topic_line(&retained(mqtt, "home/ups/status"), "home/ups/status") == "offline")
            .then_some(())
    });
}

#[test]
fn nut_web_publishes_to_mqtt() {
    if !have(&[
        C_UPSD,
        C_DUMMY,
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto_sub",
    ]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("x.dev");
    fs::write(
        &dev,
        "ups.status: OL\nbattery.charge: 97\ndevice.mfr: Acme\n",
    )
    .unwrap();
    let site = Site::new(
        tmp.path(),
        &format!(
            "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n",
            dev.display()
        ),
        "",
        &[],
    );
    let _dummy = start_dummy(&site);
    wait_for("the driver socket", || {
        site.state().join("dummy-ups-dummy").exists().then_some(())
    });
    let _upsd = Proc::spawn(site.command(C_UPSD).args(["-u", "nut", "-F"]));
    let mqtt = free_port();
    let _broker = Proc::spawn(Command::new("/usr/sbin/mosquitto").args(["-p", &mqtt.to_string()]));
    wait_http(mqtt);
    let http = free_port();
    let _web = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_nut-web"))
            .args(["--listen", &format!("127.0.0.1:{http}"), "--interval", "1"])
            .args(["--mqtt", &format!("127.0.0.1:{mqtt}"), &site.ups("dummy")]),
    );
    let messages = retained(mqtt, "\"battery.charge\":\"97\"");
    let line = |topic: &str| topic_line(&messages, topic);
    assert_eq!(
        json(&line("nut/dummy/state"))["battery.charge"],
        "97",
        "{messages}"
    );
    assert_eq!(line("nut/status"), "online");
    assert_eq!(line("nut/dummy/availability"), "online");
    let discovery = json(&line("homeassistant/device/nut_dummy/config"));
    // C dummy-ups puts its own device.mfr over the file's.
    assert_eq!(discovery["device"]["manufacturer"], "Dummy Manufacturer");
    assert_eq!(
        discovery["components"]["battery_charge"]["device_class"],
        "battery"
    );
}
