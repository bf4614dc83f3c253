//! The USB-to-serial bridges of Q1 UPSes (C nutdrv_qx's USB "subdrivers"): how each one
//! carries a Megatec command to the UPS and its reply back.
//!
//! Most bridges are HID-class chips that take the command in SET_REPORT chunks and send the
//! reply on the interrupt IN pipe (cypress, phoenix, ippon, sgs, armac, fuji, phoenixtec,
//! ablerex), each with its own chunking. The others (krauler, fabula, hunnox, snr, in
//! [`super::strings`]) map each command to a string descriptor index, and the reply is the
//! string.
//!
//! Every exchange returns what C's command function leaves for `qx_command`: `Ok(bytes)`
//! (its buffer up to the length it returns; the NUL padding some bridges leave counts, as
//! it does in C's "short reply" check), or the USB error that made it fail.

use std::time::Duration;

use crate::usb::transport::{ControlSetup, HidTransport, UsbError};

use super::strings;

/// The size of the buffer C gives the bridges (`sizeof(item->answer) - 1`).
pub const BUFLEN: usize = 511;

/// The interrupt IN endpoint every bridge reads.
pub const ENDPOINT_IN: u8 = 0x81;

/// SET_REPORT (output report 0) to interface 0: how most bridges take a command chunk.
const SET_REPORT_0200: ControlSetup = ControlSetup::new(0x21, 0x09, 0x0200, 0);

const MS_1000: Duration = Duration::from_millis(1000);
const MS_5000: Duration = Duration::from_millis(5000);

/// One of the bridges C NUT 2.8.0 knows, by its `subdriver=` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bridge {
    /// Cypress HID-to-serial chips: 8-byte SET_REPORT chunks, 8-byte interrupt reads.
    Cypress,
    /// Phoenixtec (Masterguard): the whole command in a vendor request.
    Phoenixtec,
    /// Phoenix: as Cypress, after draining stale replies.
    Phoenix,
    /// Ippon: 8-byte chunks with another wValue, one 64-byte reply.
    Ippon,
    /// Krauler: commands as string descriptor indices.
    Krauler,
    /// Fabula: string descriptor indices, shutdowns encoded in the index.
    Fabula,
    /// Hunnox: Fabula with a lock-step of extra string reads.
    Hunnox,
    /// Fuji: an 8-byte frame on interrupt OUT.
    Fuji,
    /// SGS (TS Shara): length-prefixed 8-byte chunks both ways.
    Sgs,
    /// SNR: string descriptors in a given language.
    Snr,
    /// Ablerex: a 47-byte feature report each way.
    Ablerex,
    /// Armac (Richcomm PowerManagerII): 3-byte chunks out, 6-byte packets back.
    Armac,
}

impl Bridge {
    /// Every bridge, in C's `subdriver=` table order.
    pub const ALL: [Self; 12] = [
        Self::Cypress,
        Self::Phoenixtec,
        Self::Phoenix,
        Self::Ippon,
        Self::Krauler,
        Self::Fabula,
        Self::Hunnox,
        Self::Fuji,
        Self::Sgs,
        Self::Snr,
        Self::Ablerex,
        Self::Armac,
    ];

    /// The `subdriver=` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cypress => "cypress",
            Self::Phoenixtec => "phoenixtec",
            Self::Phoenix => "phoenix",
            Self::Ippon => "ippon",
            Self::Krauler => "krauler",
            Self::Fabula => "fabula",
            Self::Hunnox => "hunnox",
            Self::Fuji => "fuji",
            Self::Sgs => "sgs",
            Self::Snr => "snr",
            Self::Ablerex => "ablerex",
            Self::Armac => "armac",
        }
    }

    /// The bridge of a `subdriver=` name (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a bridge remembers between commands.
#[derive(Debug, Clone, Default)]
pub struct BridgeState {
    /// C's `langid_fix`: read replies as raw string descriptors in this language.
    pub langid_fix: Option<u16>,
    /// Hunnox's lock-step counter.
    pub hunnox_step: u8,
    /// Krauler answers an unknown command with nothing instead of its echo (see
    /// [`super::UsbProfile::empty_echo`]).
    pub empty_echo: bool,
}

/// Sends `cmd` through `bridge` and reads the reply (C's `subdriver_command`).
pub async fn exchange(
    bridge: Bridge,
    t: &mut dyn HidTransport,
    state: &mut BridgeState,
    cmd: &str,
) -> Result<Vec<u8>, UsbError> {
    let cmd = cmd.as_bytes();
    match bridge {
        Bridge::Cypress => cypress(t, cmd, MS_5000).await,
        Bridge::Phoenix => {
            drain(t).await;
            cypress(t, cmd, MS_1000).await
        }
        Bridge::Ippon => ippon(t, cmd).await,
        Bridge::Sgs => sgs(t, cmd).await,
        Bridge::Armac => armac(t, cmd).await,
        Bridge::Fuji => fuji(t, cmd).await,
        Bridge::Phoenixtec => phoenixtec(t, cmd).await,
        Bridge::Ablerex => ablerex(t, cmd).await,
        Bridge::Krauler => strings::krauler(t, state, cmd).await,
        Bridge::Fabula => strings::fabula(t, state, cmd, false).await,
        Bridge::Hunnox => strings::fabula(t, state, cmd, true).await,
        Bridge::Snr => strings::snr(t, state, cmd).await,
    }
}

/// The command as C's `"%.*s", strcspn(cmd, "\r")` prints it.
pub(super) fn shown(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == 0)
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// A USB error as C's drivers print it (libusb's message).
pub(super) fn error_text(e: &UsbError) -> String {
    e.to_string()
}

/// Appends the `\r` a reply lacks, when there is room (what several bridges do).
pub(super) fn add_missing_cr(buf: &mut Vec<u8>, buflen: usize) {
    if !buf.is_empty() && !buf.contains(&b'\r') {
        tracing::trace!("the reply lacks the expected terminating CR");
        if buf.len() < buflen - 1 {
            buf.push(b'\r');
        }
    }
}

/// Reads 8-byte pieces into a zeroed buffer until one holds a `\r` (Cypress, Phoenix,
/// Fuji): returns the buffer up to what was read.
async fn read_chunks_until_cr(t: &mut dyn HidTransport) -> Result<Vec<u8>, UsbError> {
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() <= BUFLEN - 8 && !buf.contains(&b'\r') {
        match t.read_interrupt_from(ENDPOINT_IN, 8, MS_1000).await {
            Ok(piece) if !piece.is_empty() => buf.extend_from_slice(&piece),
            Ok(_) => {
                tracing::debug!("read: timeout (0)");
                return Ok(Vec::new());
            }
            Err(e) => {
                tracing::debug!("read: {}", error_text(&e));
                return Err(e);
            }
        }
    }
    tracing::debug!("read: {}", shown(&buf));
    Ok(buf)
}

/// Cypress (and Phoenix after its drain): the command, NUL-padded, in 8-byte SET_REPORTs;
/// the reply in 8-byte interrupt reads up to a `\r`.
async fn cypress(
    t: &mut dyn HidTransport,
    cmd: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, UsbError> {
    let cmd = c_string(cmd);
    let mut i = 0;
    while i < cmd.len() {
        let chunk = padded(&cmd[i..], 8);
        match t.control_out(SET_REPORT_0200, &chunk, timeout).await {
            Ok(n) if n > 0 => i += n,
            Ok(_) => {
                tracing::debug!("send: timeout (0)");
                return Ok(Vec::new());
            }
            Err(e) => {
                tracing::debug!("send: {}", error_text(&e));
                return Err(e);
            }
        }
    }
    tracing::debug!("send: {}", shown(cmd));
    read_chunks_until_cr(t).await
}

/// Phoenix's converter keeps stale bytes: read until nothing comes (at most 8 reads).
async fn drain(t: &mut dyn HidTransport) {
    for _ in 0..8 {
        match t.read_interrupt_from(ENDPOINT_IN, 8, MS_1000).await {
            Ok(stale) => tracing::trace!("dump: {stale:02x?}"),
            Err(e) => {
                if e == UsbError::Pipe {
                    let _ = t.clear_halt(ENDPOINT_IN).await;
                }
                tracing::debug!("flush: {}", error_text(&e));
                break;
            }
        }
    }
}

/// Ippon: 8-byte chunks (wValue 2), then the whole reply in one 64-byte read.
async fn ippon(t: &mut dyn HidTransport, cmd: &[u8]) -> Result<Vec<u8>, UsbError> {
    let cmd = c_string(cmd);
    let cmd = &cmd[..cmd.len().min(63)];
    let setup = ControlSetup::new(0x21, 0x09, 0x0002, 0);
    let mut i = 0;
    while i < cmd.len() {
        match t.control_out(setup, &padded(&cmd[i..], 8), MS_1000).await {
            Ok(n) if n > 0 => i += n,
            Ok(_) => return Ok(Vec::new()),
            Err(e) => {
                tracing::debug!("send: {}", error_text(&e));
                return Err(e);
            }
        }
    }
    tracing::debug!("send: {}", shown(cmd));
    let reply = match t.read_interrupt_from(ENDPOINT_IN, 64, MS_1000).await {
        Ok(r) if !r.is_empty() => r,
        Ok(_) => return Ok(Vec::new()),
        Err(e) => {
            tracing::debug!("read: {}", error_text(&e));
            return Err(e);
        }
    };
    // Up to and with the first `\r`, or else the text up to a NUL.
    let len = match reply.iter().position(|&b| b == b'\r') {
        Some(p) => p + 1,
        None => c_string(&reply).len(),
    };
    let len = len.min(BUFLEN - 1);
    let mut buf = reply[..len].to_vec();
    add_missing_cr(&mut buf, BUFLEN);
    tracing::debug!("read: {}", shown(&buf));
    Ok(buf)
}

/// SGS: chunks of `[n, n bytes]` (n ≤ 7) both ways; the reply ends when a read times out.
async fn sgs(t: &mut dyn HidTransport, cmd: &[u8]) -> Result<Vec<u8>, UsbError> {
    let cmd = c_string(cmd);
    let mut i = 0;
    while i < cmd.len() {
        let n = (cmd.len() - i).min(7);
        let mut chunk = vec![0u8; 8];
        chunk[0] = n as u8;
        chunk[1..=n].copy_from_slice(&cmd[i..i + n]);
        match t.control_out(SET_REPORT_0200, &chunk, MS_5000).await {
            // C steps by what was written less the length byte (a device that took only
            // that byte would keep C looping: give up instead).
            Ok(written) if written > 1 => i += written - 1,
            Ok(_) => return Ok(Vec::new()),
            Err(e) => {
                tracing::debug!("send: {}", error_text(&e));
                return Err(e);
            }
        }
    }
    tracing::debug!("send: {}", shown(cmd));
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() <= BUFLEN - 8 {
        let piece = match t.read_interrupt_from(ENDPOINT_IN, 8, MS_1000).await {
            Err(UsbError::Timeout) => break,
            Ok(p) if !p.is_empty() => p,
            Ok(_) => return Ok(Vec::new()),
            Err(e) => {
                tracing::debug!("read: {}", error_text(&e));
                return Err(e);
            }
        };
        // The first byte says how many follow (C reads it as a signed char).
        let n = piece[0] as i8;
        if n <= 0 {
            if n < 0 {
                break;
            }
            continue;
        }
        let n = (n as usize).min(7).min(piece.len() - 1);
        buf.extend_from_slice(&piece[1..=n]);
    }
    add_missing_cr(&mut buf, BUFLEN);
    tracing::debug!("read: {}", shown(&buf));
    Ok(buf)
}

/// Armac: `[0xa0 + n, n bytes]` (n ≤ 3) in 4-byte SET_REPORTs; the reply in 6-byte packets
/// `[0x?n, n bytes]` until one with n = 0. Commands the unit ignores are echoed at once.
async fn armac(t: &mut dyn HidTransport, cmd: &[u8]) -> Result<Vec<u8>, UsbError> {
    const UNSUPPORTED: [&[u8]; 5] = [b"QGS\r", b"QS\r", b"QPI\r", b"M\r", b"D\r"];
    let cmd = c_string(cmd);
    if UNSUPPORTED.contains(&cmd) {
        tracing::debug!("armac: unsupported cmd: {}", shown(cmd));
        return Ok(cmd[..cmd.len().min(BUFLEN - 1)].to_vec());
    }
    let mut last: Result<usize, UsbError> = Ok(0);
    let mut i = 0;
    while i < cmd.len() {
        let n = (cmd.len() - i).min(3);
        let mut chunk = vec![0u8; 4];
        chunk[0] = 0xa0 + n as u8;
        chunk[1..=n].copy_from_slice(&cmd[i..i + n]);
        last = t.control_out(SET_REPORT_0200, &chunk, MS_5000).await;
        i += n;
    }
    match last {
        Ok(n) if n > 0 => {}
        Ok(_) => return Ok(Vec::new()),
        Err(e) => {
            tracing::debug!("send control: {}", error_text(&e));
            return Err(e);
        }
    }
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() + 6 < BUFLEN {
        let piece = match t.read_interrupt_from(ENDPOINT_IN, 6, MS_1000).await {
            Ok(p) if p.len() == 6 => p,
            Ok(p) => {
                // C returns the short count as the reply's length.
                tracing::debug!("interrupt read error: ({})", p.len());
                let mut out = vec![0u8; p.len()];
                let k = buf.len().min(p.len());
                out[..k].copy_from_slice(&buf[..k]);
                return Ok(out);
            }
            Err(e) => {
                tracing::debug!("interrupt read error: {}", error_text(&e));
                return Err(e);
            }
        };
        let n = usize::from(piece[0] & 0x0f);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&piece[1..1 + n.min(5)]);
        if n <= 2 {
            // Let the unit buffer more.
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }
    if buf.len() + 6 >= BUFLEN {
        tracing::debug!("Protocol error, too much data read.");
        return Err(UsbError::Overflow);
    }
    tracing::debug!(
        "armac command {} response read: '{}'",
        shown(cmd),
        shown(&buf)
    );
    Ok(buf)
}

/// Fuji: an 8-byte frame `80 06 <len+1> 03 <command ≤ 3 bytes> … <answer length>` on
/// interrupt OUT 2; the reply in 8-byte reads. Longer commands are echoed unsent;
/// `SnRm` shutdowns are cut to `Sn` (the unit restarts when power returns).
async fn fuji(t: &mut dyn HidTransport, cmd: &[u8]) -> Result<Vec<u8>, UsbError> {
    const QUERIES: [(&[u8], u8); 3] = [(b"Q1", 47), (b"F", 22), (b"I", 39)];
    let full = c_string(cmd);
    let mut command: Vec<u8> = full.iter().copied().take_while(|&b| b != b'\r').collect();
    if let Some((_, Some(restart))) = strings::parse_shutdown(full) {
        if restart != 0 && command.len() > 3 {
            tracing::trace!("trimming the shutdown command to 3 bytes");
            command.truncate(3);
        }
    }
    if command.len() > 3 {
        tracing::debug!("unsupported command {}", String::from_utf8_lossy(&command));
        return Ok(full[..full.len().min(BUFLEN - 1)].to_vec());
    }
    let answer_len = QUERIES
        .iter()
        .find(|(q, _)| *q == command.as_slice())
        .map_or(0, |(_, l)| *l);
    let mut frame = [0u8; 8];
    frame[0] = 0x80;
    frame[1] = 0x06;
    frame[2] = command.len() as u8 + 1;
    frame[3] = 0x03;
    frame[4..4 + command.len()].copy_from_slice(&command);
    frame[7] = answer_len;
    match t.write_interrupt(0x02, &frame, MS_5000).await {
        Ok(n) if n > 0 => {}
        Ok(_) => return Ok(Vec::new()),
        Err(e) => {
            tracing::debug!("send: {}", error_text(&e));
            return Err(e);
        }
    }
    tracing::debug!("send: {}", String::from_utf8_lossy(&command));
    let buf = read_chunks_until_cr(t).await?;
    // The unit pads every piece with NULs: the reply is the text.
    Ok(c_string(&buf).to_vec())
}

/// Phoenixtec (Masterguard): the whole command in one vendor request; commands that give
/// no answer are not waited for; the reply is read up to its `\r`.
async fn phoenixtec(t: &mut dyn HidTransport, cmd: &[u8]) -> Result<Vec<u8>, UsbError> {
    const SILENT: [&[u8]; 13] = [
        b"T", b"TL", b"S", b"C", b"CT", b"M", b"N", b"O", b"SRC", b"FCLR", b"SS", b"TUD", b"SSN",
    ];
    let cmd = c_string(cmd);
    let setup = ControlSetup::new(0x42, 0x0d, 0, 0);
    match t.control_out(setup, cmd, MS_1000).await {
        Ok(n) if n > 0 => {}
        Ok(_) => return Ok(Vec::new()),
        Err(e) => {
            tracing::debug!("send: {}", error_text(&e));
            return Err(e);
        }
    }
    // A silent command is one of those followed by anything but a capital ("M" is
    // silent, "MSO" is not).
    let silent = SILENT
        .iter()
        .any(|p| cmd.starts_with(p) && !cmd.get(p.len()).is_some_and(u8::is_ascii_uppercase));
    if silent {
        tracing::trace!("command {} returns no answer", shown(cmd));
        return Ok(Vec::new());
    }
    let mut buf: Vec<u8> = Vec::new();
    loop {
        if buf.len() >= BUFLEN {
            tracing::debug!("read: buflen {BUFLEN} too small");
            return Ok(Vec::new());
        }
        let piece = match t
            .read_interrupt_from(ENDPOINT_IN, BUFLEN - buf.len(), MS_1000)
            .await
        {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => return Ok(Vec::new()),
            Err(e) => {
                tracing::debug!("read: {}", error_text(&e));
                return Err(e);
            }
        };
        let start = buf.len();
        buf.extend_from_slice(&piece);
        if let Some(p) = piece.iter().position(|&b| b == b'\r') {
            let end = start + p + 1;
            if end < BUFLEN {
                buf.truncate(end);
                return Ok(buf);
            }
            tracing::debug!("read: buflen {BUFLEN} too small");
            return Ok(Vec::new());
        }
    }
}

/// Ablerex: the command in feature report 5 (`05 00 <len> <command>`, 47 bytes), half a
/// second to answer, the reply read back from the same report; replies of the wrong
/// length are asked for again (three tries).
async fn ablerex(t: &mut dyn HidTransport, cmd: &[u8]) -> Result<Vec<u8>, UsbError> {
    let cmd = c_string(cmd);
    let text_len = cmd.iter().position(|&b| b == b'\r').unwrap_or(cmd.len());
    for _ in 0..3 {
        let mut report = vec![0u8; 47];
        report[0] = 0x05;
        let n = (text_len + 1).min(44);
        report[2] = n as u8;
        for (k, b) in cmd.iter().take(n).enumerate() {
            report[3 + k] = *b;
        }
        let sent = t
            .control_out(ControlSetup::new(0x21, 0x09, 0x0305, 0), &report, MS_1000)
            .await;
        tracing::trace!("R11 read: {sent:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let reply = t
            .control_in(ControlSetup::new(0xa1, 0x01, 0x0305, 0), 47, MS_1000)
            .await;
        let reply = match reply {
            Ok(r) if !r.is_empty() => r,
            Ok(_) => return Ok(Vec::new()),
            Err(e) => {
                tracing::debug!("read: {}", error_text(&e));
                return Err(e);
            }
        };
        // The reply runs to its `\r` (a `\r` first counts as nothing, as in C).
        let len = match reply.iter().position(|&b| b == b'\r') {
            Some(0) | None => 0,
            Some(p) => p + 1,
        };
        let is = |name: &[u8]| cmd.eq_ignore_ascii_case(name);
        let wanted = if is(b"Q1\r") {
            Some(47)
        } else if is(b"I\r") {
            Some(39)
        } else if is(b"F\r") {
            Some(22)
        } else {
            None
        };
        if wanted.is_some_and(|w| w != len) {
            continue;
        }
        if is(b"Q5\r") && len != 22 {
            tracing::debug!("read Q5 Fail...");
            let mut failed = vec![0u8; 22];
            failed[0] = b'(';
            return Ok(failed);
        }
        if len == 0 {
            // C returns 0 with its buffer holding what came: the text is what counts.
            return Ok(c_string(&reply).to_vec());
        }
        tracing::debug!("read: {}", shown(&reply));
        return Ok(reply[..len].to_vec());
    }
    Ok(Vec::new())
}

/// The bytes up to the first NUL (a C string).
pub(super) fn c_string(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// The first `n` bytes of `bytes`, NUL-padded to `n`.
fn padded(bytes: &[u8], n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let k = bytes.len().min(n);
    out[..k].copy_from_slice(&bytes[..k]);
    out
}
