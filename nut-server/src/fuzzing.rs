//! An entry point for the fuzz targets (feature `fuzzing`): one client session over a fixed
//! server state, without sockets. Not a stable API.
//!
//! [`session`] builds a server state (devices, variables, commands, upsd.users), feeds the
//! input to a connection in chunks, as reads from a socket would bring it, through the
//! connection task's own line splitting and session, and returns what the server answered to
//! each line it handled.

use std::sync::{Arc, OnceLock};

use nut_driver_api::link::DriverEndpoint;
use nut_driver_api::state::DeviceState;
use nut_proto::cmdvartab::Cmdvartab;
use nut_proto::config::UpsdUsers;
use nut_proto::names::UpsName;
use nut_proto::sock::{DriverMessage, ServerMessage};
use tokio::sync::mpsc;

use crate::config::{DeviceConfig, ServerConfig};
use crate::connection::{Conn, Step};
use crate::device::Device;
use crate::shared::{Shared, Snapshot};

/// The users of the fuzzed server: every kind of grant, a user without a password.
pub const UPSD_USERS: &str = "\
[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
[mon]
  password = pass
  upsmon primary
[sec]
  password = pass
  upsmon secondary
[viewer]
  password = \"two words\"
  actions = set
  instcmds = test.battery.start
  instcmds = beeper.toggle
[nopass]
  actions = SET
  instcmds = ALL
";

/// Descriptions for GET DESC and GET CMDDESC.
const CMDVARTAB: &str = "\
VARDESC ups.status \"UPS status\"
VARDESC ups.id \"UPS system identifier\"
CMDDESC load.off \"Turn off the load immediately\"
CMDDESC test.battery.start \"Start a battery test\"
";

/// The devices, in `LIST UPS` order: `ups` answers; `stale` has stale data; `gone` has no
/// driver; `stuck` has a driver that never takes a command (SET and INSTCMD fail).
pub const DEVICES: [&str; 4] = ["ups", "stale", "gone", "stuck"];

/// What the server answered in one session.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// The reply bytes to each line the session handled, in order. (Lines the tokenizer
    /// rejects get no reply, as from C upsd, and do not appear here.)
    pub replies: Vec<Vec<u8>>,
    /// Reply bytes written outside a handled line (always empty when the server is right).
    pub unattributed: Vec<u8>,
    /// Whether the session closed (LOGOUT); input after it was not read.
    pub closed: bool,
    /// The commands each device's driver received (SET, INSTCMD), as socket lines.
    pub delivered: Vec<String>,
    /// Logins the devices still counted after the session ended (always 0 when right).
    pub logins_left: usize,
}

/// The state of the `ups` device: a string, an enumeration and a range (all writable), a
/// writable string without a sane length, a read-only value and commands.
fn ups_state() -> DeviceState {
    let mut s = DeviceState::new();
    let _ = s.set("ups.status", "OL CHRG");
    let _ = s.set("battery.charge", "100");
    nut_driver_api::fuzzing::writable_fixture(&mut s);
    let _ = s.set("ups.contacts", "x");
    s.set_flags("ups.contacts", true, true, false);
    s.add_range("ups.delay.shutdown", 900, 1000);
    s.set_data_ok(true);
    s
}

/// What every session starts from: the configuration and the dumps the drivers sent (built
/// once: the fuzz target builds a fresh server from them for every input).
struct Prepared {
    config: ServerConfig,
    /// The dump of `ups` and `stuck`.
    full: Vec<DriverMessage>,
    /// The dump of `stale`: a status, and stale.
    stale: Vec<DriverMessage>,
}

fn prepared() -> &'static Prepared {
    static PREPARED: OnceLock<Prepared> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let mut config = ServerConfig::default();
        if let Ok(users) = UpsdUsers::parse(UPSD_USERS.as_bytes(), "upsd.users") {
            config.users = users.config;
        }
        config.cmdvartab = Arc::new(Cmdvartab::parse(CMDVARTAB.as_bytes()).0);
        for name in DEVICES {
            if let Ok(name) = UpsName::new(name) {
                let mut entry = DeviceConfig::new(name, DriverEndpoint::Socket("/".into()));
                if entry.name.as_str() == "ups" {
                    entry = entry.with_desc("Fuzzed UPS");
                }
                config.devices.push(entry);
            }
        }
        let mut stale = DeviceState::new();
        let _ = stale.set("ups.status", "OB LB");
        stale.set_data_ok(false);
        Prepared {
            config,
            full: ups_state().dump(),
            stale: stale.dump(),
        }
    })
}

/// Builds the server state and keeps the command queues of its drivers: the ones read after
/// every chunk, and the one of `stuck`, never read.
fn server() -> (
    Arc<Shared>,
    Vec<mpsc::Receiver<ServerMessage>>,
    mpsc::Receiver<ServerMessage>,
) {
    let prepared = prepared();
    let changes = Arc::new(tokio::sync::Notify::new());
    let mut devices = Vec::new();
    let mut queues = Vec::new();
    let (stuck_tx, stuck) = mpsc::channel(1);
    // The queue is full from the start.
    let _ = stuck_tx.try_send(ServerMessage::Ping);
    for entry in &prepared.config.devices {
        let dev = Arc::new(Device::new(entry.name.clone(), Arc::clone(&changes)));
        let dump = match entry.name.as_str() {
            "ups" | "stuck" => Some(&prepared.full),
            "stale" => Some(&prepared.stale),
            _ => None,
        };
        if let Some(dump) = dump {
            if entry.name.as_str() == "stuck" {
                dev.on_connect(stuck_tx.clone());
            } else {
                let (tx, rx) = mpsc::channel(64);
                dev.on_connect(tx);
                queues.push(rx);
            }
            for msg in dump {
                dev.on_message(msg);
            }
        }
        devices.push(dev);
    }
    let snapshot = Snapshot::new(prepared.config.clone(), devices);
    (Arc::new(Shared::new(snapshot)), queues, stuck)
}

/// Runs one session of a client at 127.0.0.1 over `input`, read `chunk` bytes at a time
/// (the connection task reads 512), and returns what the server answered.
pub fn session(input: &[u8], chunk: usize) -> Transcript {
    let (shared, mut queues, _stuck) = server();
    let mut conn = Conn::new(Arc::clone(&shared), "127.0.0.1".to_owned());
    let mut t = Transcript::default();
    for piece in input.chunks(chunk.max(1)) {
        let mut start = 0;
        let step = conn.process_observed(piece, |out| {
            t.replies.push(out[start..].to_vec());
            start = out.len();
        });
        t.unattributed.extend_from_slice(&conn.out[start..]);
        conn.out.clear();
        // The drivers read their queues between reads from the client.
        for queue in &mut queues {
            while let Ok(msg) = queue.try_recv() {
                t.delivered.push(msg.to_line());
            }
        }
        match step {
            Step::Continue => {}
            Step::Close | Step::StartTls(..) => {
                t.closed = true;
                break;
            }
        }
    }
    drop(conn);
    let (snap, _) = shared.snapshot();
    t.logins_left = snap
        .entries()
        .filter_map(|e| snap.device(&e.name))
        .map(|d| d.num_logins())
        .sum();
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replies(input: &str, chunk: usize) -> (Vec<String>, Transcript) {
        let t = session(input.as_bytes(), chunk);
        let text = t
            .replies
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        (text, t)
    }

    #[test]
    fn login_and_set_reach_the_driver() {
        let input = "USERNAME admin\nPASSWORD secret\nLOGIN ups\nGET NUMLOGINS ups\n\
                     SET VAR ups ups.id \"new id\"\nSET VAR ups ups.delay.shutdown 700\n\
                     INSTCMD stuck load.off\nLIST UPS\nLOGOUT\nVER\n";
        for chunk in [512, 3] {
            let (r, t) = replies(input, chunk);
            assert_eq!(
                r[..7],
                [
                    "OK\n",
                    "OK\n",
                    "ERR ACCESS-DENIED\n",
                    "NUMLOGINS ups 0\n",
                    "OK\n",
                    "ERR INVALID-VALUE\n",
                    "ERR INSTCMD-FAILED\n"
                ]
            );
            assert!(r[7].starts_with("BEGIN LIST UPS\nUPS ups \"Fuzzed UPS\"\n"));
            assert_eq!(r[8], "OK Goodbye\n");
            assert_eq!(r.len(), 9, "nothing read after LOGOUT");
            assert!(t.closed && t.unattributed.is_empty());
            assert_eq!(t.delivered, ["SET ups.id \"new id\"\n"]);
            assert_eq!(t.logins_left, 0);
        }
    }

    #[test]
    fn a_login_ends_with_its_session() {
        let (r, t) = replies(
            "USERNAME mon\nPASSWORD pass\nLOGIN ups\nGET NUMLOGINS ups\nLIST CLIENT ups\n",
            512,
        );
        assert_eq!(r[3], "NUMLOGINS ups 1\n");
        assert_eq!(
            r[4],
            "BEGIN LIST CLIENT ups\nCLIENT ups 127.0.0.1\nEND LIST CLIENT ups\n"
        );
        assert!(!t.closed);
        assert_eq!(t.logins_left, 0);
    }

    #[test]
    fn checks_in_c_order() {
        let (r, _) = replies(
            "SET VAR ups ups.id x\nUSERNAME viewer\nPASSWORD \"two words\"\n\
             GET VAR stale ups.status\nGET VAR gone ups.status\nINSTCMD ups load.off\n\
             \"unterminated # quote\n",
            512,
        );
        assert_eq!(
            r,
            [
                "ERR USERNAME-REQUIRED\n",
                "OK\n",
                "OK\n",
                "ERR DATA-STALE\n",
                "ERR DRIVER-NOT-CONNECTED\n",
                "ERR ACCESS-DENIED\n"
            ]
        );
    }
}
