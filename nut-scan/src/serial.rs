//! Serial ports (C's `-E`): ask each port, at 2400 baud, for a Megatec/Q1 status (`Q1`,
//! as C does, reported for `blazer_ser` as C reports it) and, beyond C, for an APC Smart
//! identification (`Y` answered `SM`, reported for `apcsmart`), then let nut-drivers'
//! `nutdrv_qx` probe its dialects the way it does when it starts (reported for `nutdrv_qx`
//! with the `protocol` it found: Voltronic, Mustek, Megatec/old, Masterguard, …). C also tries
//! Eaton's SHUT and XCP protocols first; we have no driver for them, so we do not.

use std::time::Duration;

use nut_driver_api::{DeviceState, Driver, DriverParams};
use nut_drivers::qx::NutdrvQx;
use nut_drivers::serial::{read_until, SerialPort, SerialSettings, TokioSerial};

use crate::runner::{run_all, ScanOptions};
use crate::{Bus, Finding};

/// How often a port is asked (C's `MAXTRIES`).
const TRIES: usize = 3;
/// How long one answer may take (C's `SER_WAIT_SEC`).
const WAIT: Duration = Duration::from_secs(1);

/// The ports C's `-E` argument names, on Linux: `auto` (or nothing) for `/dev/ttyS0`–`9`
/// and `/dev/ttyUSB0`–`9`; `X-Y` for those suffixes in both families; one character for
/// that suffix; otherwise a comma-separated list of paths (C takes a list only of
/// `/dev/tty…` paths; ours takes any).
///
/// ```
/// use nut_scan::serial::ports;
/// assert_eq!(ports("0-1"), ["/dev/ttyS0", "/dev/ttyS1", "/dev/ttyUSB0", "/dev/ttyUSB1"]);
/// assert_eq!(ports("/tmp/a,/tmp/b"), ["/tmp/a", "/tmp/b"]);
/// assert_eq!(ports("auto").len(), 20);
/// ```
pub fn ports(spec: &str) -> Vec<String> {
    let families = ["/dev/ttyS", "/dev/ttyUSB"];
    let span = |from: char, to: char| -> Vec<String> {
        families
            .iter()
            .flat_map(|f| (from..=to).map(move |c| format!("{f}{c}")))
            .collect()
    };
    if spec.is_empty() || spec.starts_with("auto") {
        return span('0', '9');
    }
    let mut chars = spec.chars();
    match (chars.next(), chars.next(), chars.next(), chars.next()) {
        (Some(c), None, None, None) => return span(c, c),
        (Some(a), Some('-'), Some(b), None) => return span(a, b),
        _ => {}
    }
    spec.split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What answers on `port`, if anything we know does: C's Q1 check, APC Smart, then the
/// dialects of `nutdrv_qx`.
pub async fn probe_port(port: &str) -> Option<Finding> {
    if let Some(found) = probe_q1_and_apc(port).await {
        return Some(found);
    }
    probe_qx_dialects(port).await
}

/// `nutdrv_qx`'s own detection: its dialects in its order, as when it starts on `port`.
async fn probe_qx_dialects(port: &str) -> Option<Finding> {
    let mut driver = NutdrvQx::new();
    let mut state = DeviceState::new();
    let opened = driver.open(&DriverParams::new(port), &mut state).await;
    let name = driver.dialect().map(|d| d.name());
    driver.close().await;
    opened.ok()?;
    Some(Finding::new(Bus::Serial, "nutdrv_qx", port).with_option("protocol", name?.to_lowercase()))
}

/// C's Q1 check, then an APC Smart identification.
async fn probe_q1_and_apc(port: &str) -> Option<Finding> {
    let mut serial = match TokioSerial::open(port, SerialSettings::new(2400)) {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!("{port}: {e}");
            return None;
        }
    };
    // C's "normal" cable power, and time for it to settle.
    let _ = serial.set_dtr(true);
    let _ = serial.set_rts(false);
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..TRIES {
        let _ = serial.discard_input();
        if serial.write_all(b"Q1\r").await.is_err() {
            return None;
        }
        let reply = read_until(&mut serial, b'\r', 128, WAIT).await.ok()?;
        // C's check: a whole status line, at least 46 bytes, starting with '('.
        if reply.len() >= 46 && reply[0] == b'(' {
            return Some(Finding::new(Bus::Serial, "blazer_ser", port));
        }
    }
    for _ in 0..TRIES {
        let _ = serial.discard_input();
        if serial.write_all(b"Y").await.is_err() {
            return None;
        }
        let reply = read_until(&mut serial, b'\n', 16, WAIT).await.ok()?;
        if reply.starts_with(b"SM") {
            return Some(Finding::new(Bus::Serial, "apcsmart", port));
        }
    }
    None
}

/// How long one port may take in all.
pub const PORT_LIMIT: Duration = Duration::from_secs(30);

/// Every port of `ports` where a device answers, in the order given; the ports are probed
/// at once (at most `options.parallel`), each for at most [`PORT_LIMIT`].
pub async fn scan(ports: &[String], options: &ScanOptions) -> Vec<Finding> {
    let limit = PORT_LIMIT;
    run_all(
        ports.iter(),
        ports.len() as u64,
        options,
        limit,
        |port| async move { probe_port(port).await.into_iter().collect() },
    )
    .await
}
