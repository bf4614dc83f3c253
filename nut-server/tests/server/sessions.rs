//! Recorded protocol sessions (`tests/sessions/*.session`): `C: ` lines are requests,
//! `S: ` lines the replies C upsd 2.8.0 gave (`C1:`/`S1:` … on further connections).
//! In requests `\xHH` stands for a byte. Tracking ids are written `<ID>`; a request
//! `GET TRACKING <ID>` asks about the last id handed out and is repeated while `PENDING`.
//!
//! They are replayed against our server (over the fake driver's socket), and against a live C
//! upsd when one is installed, so that the fixtures stay honest. `record_sessions` (ignored;
//! run with `NUT_RS_RECORD=1 cargo test -p nut-server --test server -- --ignored record`)
//! rewrites the `S:` lines from C upsd.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::*;

/// One request of a session.
struct Step {
    conn: usize,
    text: String,
    expected: Vec<String>,
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sessions");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "session"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "session fixtures are missing");
    files
}

/// `C: x` → (0, "x"), `S3: y` → (3, "y").
fn split_prefix(line: &str, kind: char) -> Option<(usize, &str)> {
    let rest = line.strip_prefix(kind)?;
    let colon = rest
        .find(": ")
        .or_else(|| (rest.ends_with(':')).then(|| rest.len() - 1))?;
    let digits = &rest[..colon];
    let conn = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some((conn, rest.get(colon + 2..).unwrap_or("")))
}

fn parse(text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in text.lines() {
        if let Some((conn, req)) = split_prefix(line, 'C') {
            steps.push(Step {
                conn,
                text: req.to_owned(),
                expected: Vec::new(),
            });
        } else if let Some((conn, reply)) = split_prefix(line, 'S') {
            let step = steps.last_mut().expect("S: line before any C: line");
            assert_eq!(step.conn, conn, "reply on another connection: {line}");
            step.expected.push(reply.to_owned());
        } else {
            panic!("bad fixture line {line:?}");
        }
    }
    steps
}

/// The bytes of a request: `\xHH` escapes decoded, LF added.
fn request_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 3 < b.len() {
            if let Ok(v) = u8::from_str_radix(&text[i + 2..i + 4], 16) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out.push(b'\n');
    out
}

fn is_uuid(word: &str) -> bool {
    let parts: Vec<_> = word.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn normalise(line: &str) -> String {
    line.split(' ')
        .map(|w| if is_uuid(w) { "<ID>" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

fn prefix(kind: char, conn: usize) -> String {
    if conn == 0 {
        format!("{kind}: ")
    } else {
        format!("{kind}{conn}: ")
    }
}

/// Runs `steps` against `addr`; returns the transcript. With `record`, reply boundaries are
/// found by structure and a silence of 1.5 s; otherwise the fixture's line counts are used.
fn run(addr: SocketAddr, steps: &[Step], record: bool) -> String {
    let mut conns: HashMap<usize, Client> = HashMap::new();
    let mut last_id = String::new();
    let mut out = String::new();
    for step in steps {
        let client = conns
            .entry(step.conn)
            .or_insert_with(|| Client::connect(addr));
        let wire_text = step.text.replace("<ID>", &last_id);
        out.push_str(&prefix('C', step.conn));
        out.push_str(&step.text);
        out.push('\n');
        let start = Instant::now();
        let reply = loop {
            client.send(&request_bytes(&wire_text));
            let reply = if record {
                read_recording(client)
            } else {
                let mut lines = Vec::new();
                for _ in 0..step.expected.len() {
                    match client.line() {
                        Some(l) => lines.push(l),
                        None => break,
                    }
                }
                lines
            };
            let pending = step.text.starts_with("GET TRACKING <ID>") && reply == ["PENDING"];
            if !pending || start.elapsed() > DEADLINE {
                break reply;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        for line in reply {
            if let Some(id) = line.strip_prefix("OK TRACKING ") {
                last_id = id.to_owned();
            }
            out.push_str(&prefix('S', step.conn));
            out.push_str(&normalise(&line));
            out.push('\n');
        }
    }
    out
}

fn read_recording(client: &mut Client) -> Vec<String> {
    client
        .stream()
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let first = client.stream().peek(&mut [0u8; 1]);
    client.stream().set_read_timeout(Some(DEADLINE)).unwrap();
    match first {
        Ok(0) | Err(_) => Vec::new(),
        Ok(_) => client.reply(),
    }
}

const UPS_CONF: &str =
    "[fake]\n driver = fake\n port = none\n desc = \"Fake \\\"quoted\\\" UPS\"\n\
[stale]\n driver = fake\n port = none\n\
[nodriver]\n driver = dummy-ups\n port = none.dev\n";

/// A configuration with the fake drivers running; the caller adds a server.
fn setup(port: u16) -> (Dirs, FakeDriver, FakeDriver) {
    let dirs = Dirs::new();
    dirs.write("ups.conf", UPS_CONF);
    dirs.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\n"));
    dirs.write("upsd.users", USERS);
    let fresh = FakeDriver::start(&dirs.state().join("fake-fake"), fake_state(false));
    let stale = FakeDriver::start(&dirs.state().join("fake-stale"), fake_state(true));
    (dirs, fresh, stale)
}

/// Waits until the server has both fake drivers' dumps.
fn wait_ready(addr: SocketAddr) {
    let mut c = Client::connect(addr);
    wait_for("the fake drivers' dumps", || {
        let a = c.ask("GET VAR fake ups.status");
        let b = c.ask("GET VAR stale ups.status");
        (a == ["VAR fake ups.status \"OL\""] && b == ["ERR DATA-STALE"]).then_some(())
    });
}

fn compare(file: &Path, expected: &str, actual: &str, against: &str) {
    if expected != actual {
        let exp: Vec<_> = expected.lines().collect();
        let act: Vec<_> = actual.lines().collect();
        let at = exp
            .iter()
            .zip(&act)
            .position(|(a, b)| a != b)
            .unwrap_or(exp.len().min(act.len()));
        panic!(
            "{} differs against {against} at line {}:\n expected: {:?}\n actual:   {:?}",
            file.display(),
            at + 1,
            exp.get(at),
            act.get(at)
        );
    }
}

fn fixture_text(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with('S')),
        "{} has no recorded replies",
        file.display()
    );
    text
}

both_ways!(sessions_replay_against_our_server: sessions_replay_against_our_server_on_the_poll_thread, sessions_replay_against_our_server_on_tasks);

async fn sessions_replay_against_our_server(serving: Serving) {
    for file in fixtures() {
        let text = fixture_text(&file);
        let (dirs, _a, _b) = setup(free_port());
        let (server, addr) = our_server_serving(dirs.config(), serving).await;
        let steps = parse(&text);
        let actual = tokio::task::spawn_blocking(move || {
            wait_ready(addr);
            run(addr, &steps, false)
        })
        .await
        .unwrap();
        compare(&file, &text, &actual, "our upsd");
        server.handle().shutdown();
        server.run().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_replay_against_c_upsd() {
    if !have("/lib/nut/upsd") {
        return;
    }
    for file in fixtures() {
        let text = fixture_text(&file);
        let port = free_port();
        let (dirs, _a, _b) = setup(port);
        let _upsd = dirs.c_upsd(port);
        let steps = parse(&text);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let actual = tokio::task::spawn_blocking(move || {
            wait_ready(addr);
            run(addr, &steps, false)
        })
        .await
        .unwrap();
        compare(&file, &text, &actual, "C upsd");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "rewrites the fixtures from C upsd; run with NUT_RS_RECORD=1"]
async fn record_sessions() {
    if std::env::var("NUT_RS_RECORD").as_deref() != Ok("1") || !have("/lib/nut/upsd") {
        return;
    }
    for file in fixtures() {
        let text = std::fs::read_to_string(&file).unwrap();
        let port = free_port();
        let (dirs, _a, _b) = setup(port);
        let _upsd = dirs.c_upsd(port);
        let steps = parse(&text);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let recorded = tokio::task::spawn_blocking(move || {
            wait_ready(addr);
            run(addr, &steps, true)
        })
        .await
        .unwrap();
        std::fs::write(&file, recorded).unwrap();
        let _ = TcpStream::connect(addr);
    }
}

#[test]
fn fixture_syntax() {
    assert_eq!(split_prefix("C: GET", 'C'), Some((0, "GET")));
    assert_eq!(split_prefix("S12: OK", 'S'), Some((12, "OK")));
    assert_eq!(split_prefix("C: ", 'C'), Some((0, "")));
    assert_eq!(request_bytes("a\\x01\\b"), b"a\x01\\b\n");
    assert_eq!(
        normalise("OK TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263"),
        "OK TRACKING <ID>"
    );
}
