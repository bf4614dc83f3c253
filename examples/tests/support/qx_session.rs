//! Driving a nutdrv_qx through its socket for the differential tests of instant commands
//! and writable variables (serial units in `qx_commands.rs`, USB units in `qx_usb.rs`):
//! the same requests to C's driver and ours, and what each made the device do.

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nut_drivers::sim::SharedModel;

/// Generous: only against hangs, never a speed requirement.
pub(crate) const PATIENCE: Duration = Duration::from_secs(120);

/// What drivers send to read the device, not to act on it.
pub(crate) const QUERIES: [&str; 15] = [
    "Q1", "QS", "D", "F", "I", "FW?", "ID", "M", "RT", "BP?", "SS?", "QPI", "Q5", "At", "TR",
];

/// The device commands received since `from`, without the queries, once they have
/// stopped changing for a while.
pub(crate) fn settled(model: &SharedModel, from: usize) -> Vec<String> {
    let deadline = Instant::now() + PATIENCE;
    let mut last = model.lock().unwrap().received.len();
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(300) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        let now = model.lock().unwrap().received.len();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        }
    }
    let m = model.lock().unwrap();
    m.received[from.min(m.received.len())..]
        .iter()
        .filter(|c| !QUERIES.contains(&c.as_str()))
        .cloned()
        .collect()
}

/// One request to the driver.
#[derive(Debug, Clone)]
pub(crate) enum Request {
    /// `INSTCMD name [param]`.
    Cmd(String, Option<String>),
    /// `SET var "value"`.
    Set(String, String),
}

impl Request {
    fn line(&self, id: usize) -> String {
        match self {
            Self::Cmd(c, None) => format!("INSTCMD {c} TRACKING t{id}\n"),
            Self::Cmd(c, Some(p)) => format!("INSTCMD {c} \"{p}\" TRACKING t{id}\n"),
            Self::Set(v, x) => format!("SET {v} \"{x}\" TRACKING t{id}\n"),
        }
    }
}

pub(crate) fn cmd(name: &str, param: Option<&str>) -> Request {
    Request::Cmd(name.into(), param.map(Into::into))
}

pub(crate) fn set(var: &str, value: &str) -> Request {
    Request::Set(var.into(), value.into())
}

/// What a driver did: its published commands (without the `driver.*` ones its runtime
/// adds), its writable variables' flags, ranges and enumerations, and per request what
/// happened.
#[derive(Debug, PartialEq)]
pub(crate) struct Session {
    pub(crate) commands: Vec<String>,
    pub(crate) writable: Vec<String>,
    pub(crate) outcomes: Vec<Outcome>,
}

/// What one request did: the request, its tracking result, the device commands it caused
/// and the transfers it made (for USB units; empty on a serial line).
pub(crate) type Outcome = (String, String, Vec<String>, Vec<String>);

/// Reads socket lines until one satisfies `done`; returns them all.
pub(crate) fn read_until(
    reader: &mut BufReader<UnixStream>,
    done: impl Fn(&str) -> bool,
) -> Vec<String> {
    super::driver::read_socket_until(reader, PATIENCE, done)
}

/// Starts the driver `run` (in the foreground, polling rarely) on a unit modelled by
/// `model`, waits for its socket `sock`, sends it `requests` (plus one per published
/// command, with and without a parameter, when `every_command`), and records what
/// happened; `wire` gives the transfers made since its previous call.
pub(crate) fn drive(
    program: &str,
    mut run: Command,
    sock: &Path,
    model: &SharedModel,
    requests: &[Request],
    every_command: bool,
    wire: &mut dyn FnMut() -> Vec<String>,
) -> Session {
    let _driver = super::Kill(run.spawn().expect("start driver"));
    let deadline = Instant::now() + PATIENCE;
    let stream = loop {
        if let Ok(s) = UnixStream::connect(sock) {
            break s;
        }
        assert!(Instant::now() < deadline, "{program}: no driver socket");
        std::thread::sleep(Duration::from_millis(50));
    };
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    writer.write_all(b"DUMPALL\n").unwrap();
    let dump = read_until(&mut reader, |l| l == "DUMPDONE");
    let commands: Vec<String> = dump
        .iter()
        .filter_map(|l| l.strip_prefix("ADDCMD "))
        .filter(|c| !c.starts_with("driver."))
        .map(str::to_owned)
        .collect();
    let writable: Vec<String> = dump
        .iter()
        .filter(|l| {
            ["SETFLAGS ", "ADDRANGE ", "ADDENUM ", "SETAUX "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .filter(|l| {
            !l.split(' ')
                .nth(1)
                .is_some_and(|v| v.starts_with("driver."))
        })
        .cloned()
        .collect();
    let mut all: Vec<Request> = Vec::new();
    if every_command {
        all.extend(commands.iter().map(|c| cmd(c, None)));
        all.extend(commands.iter().map(|c| cmd(c, Some("120"))));
    }
    all.extend(requests.iter().cloned());
    let mut outcomes = Vec::new();
    let _ = wire();
    for (id, req) in all.iter().enumerate() {
        let from = model.lock().unwrap().received.len();
        writer.write_all(req.line(id).as_bytes()).unwrap();
        let tag = format!("TRACKING t{id} ");
        let lines = read_until(&mut reader, |l| l.starts_with(&tag));
        let code = lines
            .last()
            .and_then(|l| l.strip_prefix(&tag))
            .unwrap_or_default()
            .to_owned();
        let received = settled(model, from);
        outcomes.push((format!("{req:?}"), code, received, wire()));
    }
    Session {
        commands,
        writable,
        outcomes,
    }
}
