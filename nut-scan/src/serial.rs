//! Serial ports (C's `-E`): each port is asked, in C's order, for
//!
//! 1. Eaton's SHUT (MGE HID over serial, reported for `mge-shut`): at 2400 baud, with DTR
//!    on and RTS off, the sync byte `0x16` up to 4 times, 1 s each, until it comes back;
//!    then, beyond C, the unit's USB device descriptor, so that a port that echoes what it
//!    is sent is not taken for a SHUT unit. C gives up on a port whose DTR line cannot be
//!    set (a pseudo-terminal); ours carries on without it.
//! 2. Eaton/Powerware's XCP (reported for `bcmxcp`): at 19200, 9600, 4800, 2400 and 1200
//!    baud in turn, ESC, 90 ms, the authorization command, 500 ms, then the request-only
//!    mode command, a byte every millisecond; the first byte of the answer, within 1 s,
//!    must start a frame (`0xAB`), as in C, and beyond C the rest must be the command's
//!    well-formed reply, so that line noise starting with that byte is not reported.
//! 3. A Megatec/Q1 status (`Q1`, reported for `blazer_ser` as C reports it), at 2400 baud;
//!
//! with 100 ms between them, as C. Beyond C, ours then asks for an APC Smart
//! identification (`Y` answered `SM`, reported for `apcsmart`) and lets nut-drivers'
//! `nutdrv_qx` probe its dialects the way it does when it starts (reported for `nutdrv_qx`
//! with the `protocol` it found: Voltronic, Mustek, Megatec/old, Masterguard, …). The
//! SHUT and XCP framing are nut-drivers' (`mge-shut`'s transport, `bcmxcp`'s frames).

use std::time::Duration;

use nut_driver_api::{DeviceState, Driver, DriverParams};
use nut_drivers::bcmxcp::frame::{command_frame, ReplyReader, Step, START};
use nut_drivers::bcmxcp::tables::{cmd, AUTHOR};
use nut_drivers::bcmxcp::{BAUD_RATES, ESC};
use nut_drivers::qx::NutdrvQx;
use nut_drivers::serial::{read_until, SerialPort, SerialSettings, TokioSerial};
use nut_drivers::shut::frame::SYNC;
use nut_drivers::shut::ShutTransport;

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

/// What answers on `port`, if anything we know does: SHUT, XCP and Q1 as C asks, then
/// APC Smart and the dialects of `nutdrv_qx`.
pub async fn probe_port(port: &str) -> Option<Finding> {
    if let Some(found) = probe_shut(port).await {
        return Some(found);
    }
    tokio::time::sleep(BETWEEN).await;
    if let Some(found) = probe_xcp(port).await {
        return Some(found);
    }
    tokio::time::sleep(BETWEEN).await;
    if let Some(found) = probe_q1_and_apc(port).await {
        return Some(found);
    }
    probe_qx_dialects(port).await
}

/// C's pause between two protocols, and between two line speeds of XCP.
const BETWEEN: Duration = Duration::from_millis(100);
/// How long the device descriptor of a SHUT unit may take, retries included.
const SHUT_DESCRIPTOR_LIMIT: Duration = Duration::from_secs(5);

/// `port` opened at `baud`, its unread input thrown away (as C's speed change does).
fn open(port: &str, baud: u32) -> Option<TokioSerial> {
    match TokioSerial::open(port, SerialSettings::new(baud)) {
        Ok(mut s) => {
            let _ = s.discard_input();
            Some(s)
        }
        Err(e) => {
            tracing::debug!("{port}: {e}");
            None
        }
    }
}

/// C's SHUT check (the sync byte echoed), then the device descriptor.
async fn probe_shut(port: &str) -> Option<Finding> {
    let mut serial = open(port, nut_drivers::shut::transport::BAUD)?;
    // C's cable power for units with the plug-and-play feature. C gives up when DTR cannot
    // be set (a pseudo-terminal has no modem lines); a unit there still answers.
    if let Err(e) = serial.set_dtr(true) {
        tracing::debug!("{port}: DTR: {e}");
    }
    let _ = serial.set_rts(false);
    let mut shut = ShutTransport::new(Box::new(serial));
    if !shut.synchronise_with(SYNC).await.unwrap_or(false) {
        return None;
    }
    tracing::debug!("{port}: SHUT sync echoed");
    let descriptor = tokio::time::timeout(SHUT_DESCRIPTOR_LIMIT, shut.descriptor(0x01, 0, 18))
        .await
        .ok()?
        .ok()?;
    // A device descriptor: its type (1) in its second byte, the ids within its first 12.
    if descriptor.len() < 12 || descriptor[1] != 0x01 {
        tracing::debug!("{port}: not a device descriptor: {descriptor:02x?}");
        return None;
    }
    Some(Finding::new(Bus::Serial, "mge-shut", port))
}

/// C's XCP check at each of bcmxcp's line speeds.
async fn probe_xcp(port: &str) -> Option<Finding> {
    for (i, &baud) in BAUD_RATES.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(BETWEEN).await;
        }
        let mut serial = open(port, baud)?;
        // ESC takes the unit out of its front-panel menu.
        serial.write_all(&[ESC]).await.ok()?;
        tokio::time::sleep(Duration::from_millis(90)).await;
        let _ = serial.write_all(&command_frame(&AUTHOR)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        // C paces this command: one byte, then a millisecond.
        for byte in command_frame(&[cmd::REQ_ONLY_MODE]) {
            if serial.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if xcp_reply(&mut serial).await {
            return Some(Finding::new(Bus::Serial, "bcmxcp", port));
        }
        tracing::debug!("{port}: no XCP answer at {baud} baud");
    }
    None
}

/// Whether the reply to the request-only mode command comes: its first byte within a
/// second must start a frame (C's check), and the rest must be a well-formed reply, each
/// byte within a second (as bcmxcp reads it).
async fn xcp_reply(serial: &mut TokioSerial) -> bool {
    let mut reader = ReplyReader::new(cmd::REQ_ONLY_MODE);
    let mut first = true;
    loop {
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_secs(1), serial.read_some(&mut byte)).await {
            Ok(Ok(1)) => {}
            _ => return false,
        }
        if first && byte[0] != START {
            return false;
        }
        first = false;
        match reader.push(byte[0]) {
            Step::NeedMore => {}
            Step::Done(_) => return true,
            Step::Failed(e) => {
                tracing::debug!("XCP reply: {e}");
                return false;
            }
        }
    }
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
