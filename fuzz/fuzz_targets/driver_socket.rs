#![no_main]
//! Bytes from a client of a driver's socket (what upsd, upsdrvctl or a tool sends) → the
//! driver runtime's socket handling (codec, connection task, dispatch to a fake driver) →
//! what the driver writes back, on a paused-clock tokio runtime. Never panics or hangs;
//! every line written is a well-formed driver message that encodes back to the same line;
//! every PING gets a PONG and every GETPID a PID; unless the driver exits (`driver.exit`),
//! every DUMPALL / DUMPVALUE / DUMPSTATUS gets its DUMPDONE, every tracked SET and INSTCMD
//! its TRACKING answer, and LOGOUT an `OK Goodbye` as the last line, with nothing read
//! after it.

use libfuzzer_sys::fuzz_target;
use nut_driver_api::fuzzing::driver_socket;
use nut_proto::sock::{DriverMessage, ServerMessage};
use nut_proto::tokenizer::Tokenizer;

/// Inputs are cut here: the harness writes the input before the driver reads any of it,
/// which a socket buffer holds whole only up to some size.
const MAX_INPUT: usize = 32 * 1024;

/// What the driver must answer, from the requests as the driver's codec reads them.
#[derive(Default)]
struct Expected {
    pings: usize,
    getpids: usize,
    dumps: usize,
    tracking: Vec<String>,
    logout: bool,
}

fn expected(input: &[u8]) -> Expected {
    let mut e = Expected::default();
    let mut tok = Tokenizer::new();
    let mut rest = input;
    // An unterminated last line is never acted on: no `finish()`.
    while let Some(line) = tok.feed(&mut rest) {
        let Ok(line) = line else { continue };
        if line.words.is_empty() {
            continue;
        }
        let Ok(msg) = ServerMessage::parse(&line.words) else {
            continue;
        };
        if let Some(id) = msg.tracking() {
            e.tracking.push(id.as_str().to_owned());
        }
        match msg {
            ServerMessage::Ping => e.pings += 1,
            ServerMessage::GetPid => e.getpids += 1,
            ServerMessage::DumpAll
            | ServerMessage::DumpValue { .. }
            | ServerMessage::DumpStatus => e.dumps += 1,
            ServerMessage::Logout => {
                e.logout = true;
                break;
            }
            _ => {}
        }
    }
    e
}

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(MAX_INPUT)];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    let t = rt.block_on(driver_socket(data));
    let text = String::from_utf8(t.replies.clone()).expect("the driver writes ASCII");
    assert!(text.is_empty() || text.ends_with('\n'), "{text:?}");

    let mut got = Vec::new();
    for line in text.split_inclusive('\n') {
        let msg = DriverMessage::parse_line(line.as_bytes())
            .unwrap_or_else(|e| panic!("the driver wrote {line:?}: {e}"));
        assert_eq!(msg.to_line(), line);
        got.push(msg);
    }
    let count = |f: fn(&DriverMessage) -> bool| got.iter().filter(|m| f(m)).count();
    let e = expected(data);
    let pongs = count(|m| *m == DriverMessage::Pong);
    let pids = count(|m| matches!(m, DriverMessage::Pid { .. }));
    let goodbyes = count(|m| *m == DriverMessage::Goodbye);
    if t.exited {
        assert!(pongs <= e.pings && pids <= e.getpids, "{text:?}");
        return;
    }
    assert_eq!(pongs, e.pings, "{text:?}");
    assert_eq!(pids, e.getpids, "{text:?}");
    assert_eq!(
        count(|m| *m == DriverMessage::DumpDone),
        e.dumps,
        "{text:?}"
    );
    let mut tracked: Vec<String> = got
        .iter()
        .filter_map(|m| match m {
            DriverMessage::Tracking { id, .. } => Some(id.as_str().to_owned()),
            _ => None,
        })
        .collect();
    tracked.sort();
    let mut want = e.tracking;
    want.sort();
    assert_eq!(tracked, want, "{text:?}");
    if e.logout {
        assert_eq!(goodbyes, 1, "{text:?}");
        assert_eq!(got.last(), Some(&DriverMessage::Goodbye), "{text:?}");
    } else {
        assert_eq!(goodbyes, 0, "{text:?}");
    }
});
