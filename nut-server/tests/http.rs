//! The HTTP service inside the server (feature `http`): the JSON API with its checks, the
//! metrics (checked with `promtool` when installed), the event stream and the pages, over
//! an in-process driver the test controls.

use std::net::SocketAddr;
use std::time::Duration;

use nut_server::driver_api::link::{in_process, DriverEndpoint};
use nut_server::driver_api::proto::config::UpsdUser;
use nut_server::driver_api::proto::names::{UpsName, Value, VarName};
use nut_server::driver_api::proto::sock::{DriverMessage, ServerMessage};
use nut_server::driver_api::state::DeviceState;
use nut_server::{Server, ServerHandle};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(30);

fn state() -> DeviceState {
    let mut s = DeviceState::new();
    s.set("ups.status", "OL").unwrap();
    s.set("device.mfr", "Fake Inc.").unwrap();
    s.set("device.model", "Model <1>").unwrap();
    s.set("battery.charge", "100").unwrap();
    s.set_flags("battery.charge", false, false, true);
    s.set("input.voltage", "230.5").unwrap();
    s.set("ups.delay.shutdown", "20").unwrap();
    s.set_flags("ups.delay.shutdown", true, false, true);
    s.add_range("ups.delay.shutdown", 0, 600);
    s.set("input.transfer.low", "100").unwrap();
    s.set_flags("input.transfer.low", true, false, true);
    for v in ["100", "110"] {
        s.add_enum("input.transfer.low", v).unwrap();
    }
    s.set("ups.id", "rack1").unwrap();
    s.set_flags("ups.id", true, true, false);
    s.set_aux("ups.id", 8);
    s.add_cmd("test.battery.start").unwrap();
    s.set_data_ok(true);
    s.take_changes();
    s
}

/// A server with one device `ups` fed by the test, its HTTP address, what the driver
/// receives, and a way to send driver messages.
struct Rig {
    handle: ServerHandle,
    http: SocketAddr,
    received: mpsc::UnboundedReceiver<ServerMessage>,
    /// Dropping it ends the driver (the server loses its link).
    send: Option<mpsc::UnboundedSender<DriverMessage>>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

async fn rig() -> Rig {
    let (connector, mut drivers) = in_process();
    let (to_test, received) = mpsc::unbounded_channel();
    let (send, mut from_test) = mpsc::unbounded_channel::<DriverMessage>();
    tokio::spawn(async move {
        let Some(mut conn) = drivers.accept().await else {
            return;
        };
        let mut ups = state();
        loop {
            tokio::select! {
                msg = conn.recv() => match msg {
                    Some(Ok(ServerMessage::DumpAll)) => {
                        conn.send_all(ups.dump()).await.unwrap();
                    }
                    Some(Ok(ServerMessage::Ping)) => conn.send(DriverMessage::Pong).await.unwrap(),
                    Some(Ok(other)) => {
                        let _ = to_test.send(other);
                    }
                    _ => return,
                },
                msg = from_test.recv() => match msg {
                    Some(msg) => {
                        ups.apply(&msg);
                        conn.send(msg).await.unwrap();
                    }
                    None => return,
                },
            }
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut admin = UpsdUser::new("admin", "pw").unwrap();
    admin.actions.push("SET".into());
    admin.instcmds.push("ALL".into());
    let server = Server::builder()
        .device(
            UpsName::new("ups").unwrap(),
            DriverEndpoint::InProcess(connector),
        )
        .user(admin)
        .user(UpsdUser::new("viewer", "pw").unwrap())
        .listener(listener)
        .http_listener(http)
        .start()
        .await
        .unwrap();
    let handle = server.handle();
    let addr = handle.http_addrs().await[0];
    tokio::spawn(server.run());
    let rig = Rig {
        handle,
        http: addr,
        received,
        send: Some(send),
    };
    // Until the driver's dump is served.
    wait_until(&rig, "the device", |b| b.contains("\"ups.status\":\"OL\"")).await;
    rig
}

/// One HTTP/1.1 request; returns the status and the body.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut raw))
        .await
        .expect("response in time")
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let status = text[9..12].parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

async fn get(rig: &Rig, path: &str) -> (u16, String) {
    request(rig.http, "GET", path, &[], "").await
}

async fn wait_until(rig: &Rig, what: &str, ok: impl Fn(&str) -> bool) {
    let start = std::time::Instant::now();
    loop {
        let (status, body) = get(rig, "/api/v1/devices/ups").await;
        if status == 200 && ok(&body) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

const ADMIN: &str = "Authorization: Basic YWRtaW46cHc="; // admin:pw
const JSON: &str = "Content-Type: application/json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_reads() {
    let rig = rig().await;
    let (status, body) = get(&rig, "/api/v1/devices").await;
    assert_eq!(status, 200);
    let list = json(&body);
    assert_eq!(list[0]["name"], "ups");
    assert_eq!(list[0]["status"], "OL");
    assert_eq!(list[0]["available"], true);

    let (_, body) = get(&rig, "/api/v1/devices/ups").await;
    let flat = json(&body);
    assert_eq!(flat["battery.charge"], "100");
    assert_eq!(flat["device.model"], "Model <1>");

    let (status, body) = get(&rig, "/api/v1/devices/ups/variables/ups.delay.shutdown").await;
    assert_eq!(status, 200);
    let v = json(&body);
    assert_eq!(v["type"], "number");
    assert_eq!(v["writable"], true);
    assert_eq!(v["ranges"], json(r#"[{"min":0,"max":600}]"#));
    let (_, body) = get(&rig, "/api/v1/devices/ups/variables").await;
    let vars = json(&body);
    let id = vars
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "ups.id")
        .unwrap();
    assert_eq!(id["type"], "string");
    assert_eq!(id["max_length"], 8);
    let low = vars
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "input.transfer.low")
        .unwrap();
    assert_eq!(low["enum"], json(r#"["100","110"]"#));
    let (_, body) = get(&rig, "/api/v1/devices/ups/commands").await;
    assert_eq!(json(&body), json(r#"["test.battery.start"]"#));

    for path in [
        "/api/v1/devices/nope",
        "/api/v1/devices/ups/variables/no.such",
        "/nowhere",
    ] {
        let (status, body) = get(&rig, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(json(&body)["reason"].as_str().is_some(), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_writes_and_bad_requests() {
    let mut rig = rig().await;
    let path = "/api/v1/devices/ups/variables/ups.delay.shutdown";
    let (status, body) =
        request(rig.http, "POST", path, &[ADMIN, JSON], r#"{"value": "30"}"#).await;
    assert_eq!(status, 202, "{body}");
    match tokio::time::timeout(DEADLINE, rig.received.recv())
        .await
        .unwrap()
    {
        Some(ServerMessage::Set { var, value, .. }) => {
            assert_eq!((var.as_str(), value.as_str()), ("ups.delay.shutdown", "30"));
        }
        other => panic!("{other:?}"),
    }
    let cmd = "/api/v1/devices/ups/commands/test.battery.start";
    let (status, _) = request(rig.http, "POST", cmd, &[ADMIN, JSON], "").await;
    assert_eq!(status, 202);
    assert!(matches!(
        rig.received.recv().await,
        Some(ServerMessage::InstCmd { cmd, .. }) if cmd.as_str() == "test.battery.start"
    ));

    let wrong = "Authorization: Basic YWRtaW46bm8="; // admin:no
    let viewer = "Authorization: Basic dmlld2VyOnB3"; // viewer:pw
    let form = "Content-Type: application/x-www-form-urlencoded";
    let bad: &[(&str, &[&str], &str, u16, &str)] = &[
        (
            "/api/v1/devices/nope/variables/ups.id",
            &[ADMIN, JSON],
            r#"{"value":"1"}"#,
            404,
            "UNKNOWN-UPS",
        ),
        (
            "/api/v1/devices/ups/variables/no.such",
            &[ADMIN, JSON],
            r#"{"value":"1"}"#,
            404,
            "VAR-NOT-SUPPORTED",
        ),
        (
            path,
            &[ADMIN, JSON],
            r#"{"value": "30""#,
            400,
            "MALFORMED-JSON",
        ),
        (path, &[ADMIN, JSON], r#"["30"]"#, 400, "MALFORMED-JSON"),
        (
            path,
            &[ADMIN, JSON],
            r#"{"value": true}"#,
            400,
            "MALFORMED-JSON",
        ),
        (path, &[ADMIN, JSON], r#"{}"#, 400, "MISSING-ARGUMENT"),
        (
            path,
            &[ADMIN, JSON],
            r#"{"value": "601"}"#,
            400,
            "INVALID-VALUE",
        ),
        (
            path,
            &[ADMIN, JSON],
            r#"{"value": "-1"}"#,
            400,
            "INVALID-VALUE",
        ),
        (
            "/api/v1/devices/ups/variables/input.transfer.low",
            &[ADMIN, JSON],
            r#"{"value": "105"}"#,
            400,
            "INVALID-VALUE",
        ),
        (
            "/api/v1/devices/ups/variables/ups.id",
            &[ADMIN, JSON],
            r#"{"value": "much too long"}"#,
            400,
            "TOO-LONG",
        ),
        (
            "/api/v1/devices/ups/variables/battery.charge",
            &[ADMIN, JSON],
            r#"{"value": "5"}"#,
            400,
            "READONLY",
        ),
        (
            path,
            &[wrong, JSON],
            r#"{"value": "40"}"#,
            403,
            "ACCESS-DENIED",
        ),
        (
            path,
            &[viewer, JSON],
            r#"{"value": "40"}"#,
            403,
            "ACCESS-DENIED",
        ),
        (path, &[JSON], r#"{"value": "40"}"#, 401, "AUTH-REQUIRED"),
        (
            path,
            &["Authorization: Basic !!!", JSON],
            r#"{"value": "40"}"#,
            400,
            "BAD-AUTHORIZATION",
        ),
        (path, &[ADMIN], r#"{"value": "40"}"#, 415, "JSON-REQUIRED"),
        (path, &[ADMIN, form], "value=40", 415, "JSON-REQUIRED"),
        (
            path,
            &[ADMIN, "Content-Type: text/plain"],
            r#"{"value": "40"}"#,
            415,
            "JSON-REQUIRED",
        ),
        (
            "/api/v1/devices/ups/commands/no.such",
            &[ADMIN, JSON],
            "{}",
            404,
            "CMD-NOT-SUPPORTED",
        ),
        (cmd, &[viewer, JSON], "{}", 403, "ACCESS-DENIED"),
        (cmd, &[ADMIN, form], "", 415, "JSON-REQUIRED"),
    ];
    for (path, headers, body, want, code) in bad {
        let (status, reply) = request(rig.http, "POST", path, headers, body).await;
        assert_eq!(status, *want, "{path} {headers:?} {body}: {reply}");
        let reply = json(&reply);
        assert_eq!(reply["error"], *code, "{path} {body}");
        assert!(!reply["reason"].as_str().unwrap().is_empty());
    }
    for (method, path) in [("GET", cmd), ("DELETE", path), ("POST", "/api/v1/devices")] {
        let (status, reply) = request(rig.http, method, path, &[ADMIN, JSON], "{}").await;
        assert_eq!(status, 405, "{method} {path}");
        assert_eq!(json(&reply)["error"], "METHOD-NOT-ALLOWED");
    }
    // Nothing reached the driver, nothing changed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rig.received.try_recv().is_err());
    let (_, body) = get(&rig, "/api/v1/devices/ups").await;
    assert_eq!(json(&body)["ups.delay.shutdown"], "20");
    assert_eq!(json(&body)["ups.id"], "rack1");
}

/// Reads SSE events until `n` status events came; returns every event (name, data).
async fn status_events(
    stream: &mut BufReader<TcpStream>,
    n: usize,
) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    let mut name = String::new();
    while out.iter().filter(|(name, _)| name == "status").count() < n {
        let mut line = String::new();
        let read = tokio::time::timeout(DEADLINE, stream.read_line(&mut line))
            .await
            .expect("event in time")
            .unwrap();
        assert!(read > 0, "the stream ended");
        let line = line.trim_end();
        if let Some(ev) = line.strip_prefix("event: ") {
            name = ev.to_owned();
        } else if let Some(data) = line.strip_prefix("data: ") {
            out.push((name.clone(), json(data)));
        }
    }
    out
}

async fn subscribe(addr: SocketAddr) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"GET /api/v1/events HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n",
        )
        .await
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    while line != "\r\n" {
        line.clear();
        reader.read_line(&mut line).await.unwrap();
    }
    reader
}

fn set(var: &str, value: &str) -> DriverMessage {
    DriverMessage::SetInfo {
        var: VarName::new(var).unwrap(),
        value: Value::new(value).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_in_order() {
    let rig = rig().await;
    let mut events = subscribe(rig.http).await;
    for (status, charge) in [("OB DISCHRG", "80"), ("OB LB", "10"), ("OL CHRG", "12")] {
        let send = rig.send.as_ref().unwrap();
        send.send(set("battery.charge", charge)).unwrap();
        send.send(set("ups.status", status)).unwrap();
        let want = format!("\"ups.status\":\"{status}\"");
        wait_until(&rig, status, |b| b.contains(&want)).await;
    }
    let all = status_events(&mut events, 3).await;
    let statuses: Vec<&str> = all
        .iter()
        .filter(|(n, _)| n == "status")
        .map(|(_, e)| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ONBATT", "LOWBATT", "ONLINE"], "{all:?}");
    let (_, first) = &all[0];
    assert_eq!(first["ups"], "ups");
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    assert!(all.iter().any(|(n, e)| n == "variable"
        && e["var"] == "battery.charge"
        && e["value"] == "10"
        && e["old"] == "80"));
    // Shutting down ends the stream.
    rig.handle.shutdown();
    let mut rest = String::new();
    tokio::time::timeout(DEADLINE, events.read_to_string(&mut rest))
        .await
        .expect("the stream ends at shutdown")
        .unwrap();
}

/// Whether `promtool` is installed; panics under `NUT_RS_INTEROP=1` when it is not.
fn have_promtool() -> bool {
    let found = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var("NUT_RS_INTEROP").as_deref() != Ok("1"),
            "NUT_RS_INTEROP=1 but promtool (Debian package prometheus) is not installed"
        );
        eprintln!("note: promtool not installed, skipping its check");
    }
    found
}

/// Runs `promtool check metrics` on `text`.
fn promtool_check(text: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
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
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics() {
    let rig = rig().await;
    let (status, text) = get(&rig, "/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "network_ups_tools_battery_charge{ups=\"ups\"} 100",
        "network_ups_tools_input_voltage{ups=\"ups\"} 230.5",
        "network_ups_tools_ups_status{ups=\"ups\",flag=\"OL\"} 1",
        "network_ups_tools_ups_status{ups=\"ups\",flag=\"OB\"} 0",
        "network_ups_tools_device_info{ups=\"ups\",mfr=\"Fake Inc.\",model=\"Model <1>\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
    if have_promtool() {
        promtool_check(&text);
    }
}

/// Checks that the tags of an HTML page nest (void elements aside), outside scripts.
fn well_formed(html: &str) {
    const VOID: [&str; 6] = ["meta", "input", "br", "img", "hr", "link"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if let Some(closing) = tag.strip_prefix('/') {
            let _ = closing;
            assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "at </{name}>");
        } else if !VOID.contains(&name.as_str()) {
            if name == "script" {
                let end = rest.find("</script>").expect("script end");
                rest = &rest[end + "</script>".len()..];
                continue;
            }
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages() {
    let rig = rig().await;
    let (status, index) = get(&rig, "/").await;
    assert_eq!(status, 200);
    well_formed(&index);
    assert!(index.contains("<a href=\"/ups/ups\">ups</a>"));
    assert!(index.contains("data-var=\"ups.status\">OL</span>"));
    assert!(index.contains("Model &lt;1&gt;"), "escaped");
    assert!(index.contains("name=\"viewport\""));
    assert!(!index.contains("src=\"http"), "no external scripts");
    let (status, page) = get(&rig, "/ups/ups").await;
    assert_eq!(status, 200);
    well_formed(&page);
    assert!(page.contains("data-var=\"battery.charge\">100</span>"));
    assert!(page.contains("<svg"), "a chart");
    assert!(page.contains("data-path=\"/api/v1/devices/ups/commands/test.battery.start\""));
    assert!(page.contains("data-path=\"/api/v1/devices/ups/variables/ups.delay.shutdown\""));
    let (status, page) = get(&rig, "/ups/nope").await;
    assert_eq!(status, 404);
    well_formed(&page);
}
