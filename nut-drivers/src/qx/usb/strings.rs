//! The bridges that answer through string descriptors (krauler, fabula, hunnox, snr): each
//! Megatec command has a string index, and reading that string sends the command; the
//! string is the reply. Replies read "raw" (with a `langid_fix` language) come as UTF-16LE
//! descriptors that are turned into ASCII here, as C does.

use std::time::Duration;

use crate::usb::transport::{HidTransport, UsbError};

use super::bridge::{
    add_missing_cr, c_string, error_text, shown, BridgeState, BUFLEN, ENDPOINT_IN,
};

/// What a unit says to a command it took (or not): never a real reply.
const NO_ACK: &[u8] = b"UPS No Ack";

/// Krauler's commands: the string index, and the byte put in place of the reply's first.
const KRAULER: [(&[u8], u8, u8); 8] = [
    (b"Q1\r", 0x03, b'('),
    (b"F\r", 0x0d, b'#'),
    (b"I\r", 0x0c, b'#'),
    (b"T\r", 0x04, b'\r'),
    (b"TL\r", 0x05, b'\r'),
    (b"Q\r", 0x07, b'\r'),
    (b"C\r", 0x0b, b'\r'),
    (b"CT\r", 0x0b, b'\r'),
];

/// Fabula's and Hunnox's commands (shutdowns are computed, see [`shutdown_index`]).
const FABULA: [(&[u8], u8); 5] = [
    (b"Q1\r", 0x03),
    (b"F\r", 0x0d),
    (b"I\r", 0x0c),
    (b"Q\r", 0x07),
    (b"C\r", 0x0a),
];

/// SNR's commands.
const SNR: [(&[u8], u8, u8); 3] = [
    (b"Q1\r", 0x03, b'('),
    (b"F\r", 0x0d, b'#'),
    (b"I\r", 0x0c, b'#'),
];

/// SNR's replies are never longer than this (and the unit hangs on longer reads).
const SNR_LEN: usize = 102;

/// Whether `reply` is the unit's "UPS No Ack" (exactly ten characters before any `\r`).
fn is_no_ack(reply: &[u8]) -> bool {
    let text = c_string(reply);
    let end = text.iter().position(|&b| b == b'\r').unwrap_or(text.len());
    end == NO_ACK.len() && text[..end].eq_ignore_ascii_case(NO_ACK)
}

/// A raw string descriptor turned into ASCII as C does it: after the two header bytes,
/// the low byte of each UTF-16 unit, `?` for anything above 0xff; at most `max` bytes.
/// `None` when the descriptor's length byte does not match what was read (C reads the
/// byte as a signed char).
pub fn descriptor_text(raw: &[u8], max: usize) -> Option<Vec<u8>> {
    let first = *raw.first()? as i8;
    if i64::from(first) != raw.len() as i64 {
        tracing::debug!("size mismatch: {} / {first}", raw.len());
        return None;
    }
    let mut out = Vec::new();
    let mut si = 2;
    while si < raw.len() {
        if out.len() >= max {
            break;
        }
        let high = raw.get(si + 1).copied().unwrap_or(0);
        out.push(if high != 0 { b'?' } else { raw[si] });
        si += 2;
    }
    Some(out)
}

/// Reads string `index` as C's `usb_get_string_simple` (ASCII, at most `buflen - 1`
/// characters) or, with a language, as `usb_get_string` (raw). An empty string is
/// `Ok(empty)`.
async fn read_string(
    t: &mut dyn HidTransport,
    index: u8,
    langid: Option<u16>,
    buflen: usize,
) -> Result<Vec<u8>, UsbError> {
    match langid {
        Some(l) => t.string_descriptor(index, l, buflen).await,
        None => {
            let mut s = t.get_string(index).await?.into_bytes();
            s.truncate(buflen - 1);
            Ok(s)
        }
    }
}

/// C's `sscanf(cmd, "S%lfR%d")`: the delay after `S` and, when an `R` and a number
/// follow, that number. `None` when there is no delay.
pub fn parse_shutdown(cmd: &[u8]) -> Option<(f64, Option<i32>)> {
    let rest = cmd.strip_prefix(b"S")?;
    let (delay, used) = c_strtod(rest)?;
    let rest = &rest[used..];
    let restart = rest.strip_prefix(b"R").and_then(c_strtoi);
    Some((delay, restart))
}

/// A C `%lf` conversion at the start of `s` (blanks skipped): the value and the bytes used.
fn c_strtod(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let start = i;
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_digits = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        frac_digits = s[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if int_digits > 0 || frac_digits > 0 {
            i += 1 + frac_digits;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = s[j.min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if exp_digits > 0 {
            i = j + exp_digits;
        }
    }
    let text = std::str::from_utf8(&s[start..i]).ok()?;
    let text = text.strip_suffix('.').unwrap_or(text);
    text.parse::<f64>().ok().map(|v| (v, i))
}

/// A C `%d` conversion at the start of `s` (blanks skipped, saturated to `i32`): `None`
/// when no digit follows (sscanf's count stops there).
fn c_strtoi(s: &[u8]) -> Option<i32> {
    let text = String::from_utf8_lossy(s);
    let t = text.trim_start();
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if !unsigned.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let v = nut_driver_api::status::c_strtol(t);
    Some(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

/// Fabula's string index for a shutdown command: the delay (.5 to 10 minutes) in the high
/// nibble, 8 added when the UPS is to restart (`R` with anything but 0, or no `R`).
pub fn shutdown_index(cmd: &[u8]) -> Option<u8> {
    let (val1, restart) = parse_shutdown(cmd)?;
    let delay = val1.clamp(0.5, 10.0);
    let mut index = if delay < 1.0 {
        16 + ((delay - 0.5) * 10.0).round() as i32 * 16
    } else {
        (96.0 + (delay - 1.0) * 16.0) as i32
    };
    // C starts the restart delay at -1: no `R` counts as "restart".
    if restart.unwrap_or(-1) != 0 {
        index += 8;
    }
    u8::try_from(index).ok()
}

/// Krauler: the string of the command's index, with the first byte replaced; "UPS No Ack"
/// and (raw) garbled replies are asked for again, ten times at most. Unknown commands are
/// echoed.
pub async fn krauler(
    t: &mut dyn HidTransport,
    state: &mut BridgeState,
    cmd: &[u8],
) -> Result<Vec<u8>, UsbError> {
    let cmd = c_string(cmd);
    tracing::debug!("send: {}", shown(cmd));
    let Some(&(_, index, prefix)) = KRAULER.iter().find(|(c, _, _)| *c == cmd) else {
        tracing::debug!("read: {}", shown(cmd));
        if state.empty_echo {
            return Ok(Vec::new());
        }
        return Ok(cmd[..cmd.len().min(BUFLEN - 1)].to_vec());
    };
    for _ in 0..10 {
        let Some(mut buf) = string_reply(t, index, state.langid_fix, BUFLEN, BUFLEN).await? else {
            continue;
        };
        if buf.is_empty() {
            return Ok(buf);
        }
        add_missing_cr(&mut buf, BUFLEN);
        if is_no_ack(&buf) {
            tracing::debug!("read: {}", shown(&buf));
            continue;
        }
        buf[0] = prefix;
        tracing::debug!("read: {}", shown(&buf));
        return Ok(buf);
    }
    Ok(Vec::new())
}

/// One string read for a command: `Ok(Some(text))` (empty when the unit sent nothing),
/// `Ok(None)` when a raw reply is garbled.
async fn string_reply(
    t: &mut dyn HidTransport,
    index: u8,
    langid: Option<u16>,
    read_len: usize,
    buflen: usize,
) -> Result<Option<Vec<u8>>, UsbError> {
    let raw = match read_string(t, index, langid, read_len).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!("read: {}", error_text(&e));
            return Err(e);
        }
    };
    if raw.is_empty() {
        tracing::debug!("read: timeout (0)");
        return Ok(Some(raw));
    }
    tracing::trace!("received {} ({})", raw.len(), raw[0] as i8);
    if langid.is_none() {
        return Ok(Some(raw));
    }
    Ok(descriptor_text(&raw, buflen - 1))
}

/// Fabula, and Hunnox (`hunnox`: with its lock-step reads, a 102-byte buffer, and raw reads
/// in the `langid_fix` language). "UPS No Ack" counts as an empty reply: a failure for a
/// query, a success for a command.
pub async fn fabula(
    t: &mut dyn HidTransport,
    state: &mut BridgeState,
    cmd: &[u8],
    hunnox: bool,
) -> Result<Vec<u8>, UsbError> {
    let cmd = c_string(cmd);
    tracing::debug!("send: {}", shown(cmd));
    let index = match FABULA.iter().find(|(c, _)| *c == cmd) {
        Some(&(_, index)) => index,
        None => match shutdown_index(cmd) {
            Some(index) => index,
            None => {
                tracing::debug!("read: {}", shown(cmd));
                return Ok(cmd[..cmd.len().min(BUFLEN - 1)].to_vec());
            }
        },
    };
    tracing::trace!("command index: 0x{index:02x}");
    let (langid, buflen) = if hunnox {
        hunnox_step(t, state, index).await;
        (state.langid_fix, 102)
    } else {
        (None, BUFLEN)
    };
    let Some(mut buf) = string_reply(t, index, langid, buflen, buflen).await? else {
        return Ok(Vec::new());
    };
    if buf.is_empty() {
        return Ok(buf);
    }
    if !hunnox {
        add_missing_cr(&mut buf, buflen);
    }
    tracing::debug!("read: {}", shown(&buf));
    if is_no_ack(&buf) {
        return Ok(Vec::new());
    }
    Ok(buf)
}

/// Hunnox's lock-step: the first time, the language table twice and string 1; then, in
/// turn, string 0x0d, 0x03 or 0x0c unless that is the very index about to be read.
async fn hunnox_step(t: &mut dyn HidTransport, state: &mut BridgeState, asking_for: u8) {
    let langid = state.langid_fix.unwrap_or(0x0409);
    match state.hunnox_step {
        0 => {
            let _ = t.string_descriptor(0x00, langid, 1026).await;
            let _ = t.string_descriptor(0x00, langid, 1026).await;
            let _ = t.string_descriptor(0x01, langid, 1026).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        step @ 1..=3 => {
            let index = [0x0d, 0x03, 0x0c][usize::from(step - 1)];
            if asking_for != index {
                tracing::trace!("asking for: {index:02X}");
                let _ = t.string_descriptor(index, langid, 102).await;
            }
        }
        _ => state.hunnox_step = 0,
    }
    state.hunnox_step += 1;
    if state.hunnox_step > 3 {
        state.hunnox_step = 1;
    }
}

/// SNR: an interrupt read first (the unit sends zeros until one is done), then raw string
/// reads (102 bytes) in the `langid_fix` language, asked for again on "UPS No Ack" or a
/// garbled reply. C NUT 2.8.0 on libusb 1.0 exits when `langid_fix` is not set (its
/// language -1 does not fit the call); as with libusb 0.1, language 0xffff is sent then.
pub async fn snr(
    t: &mut dyn HidTransport,
    state: &mut BridgeState,
    cmd: &[u8],
) -> Result<Vec<u8>, UsbError> {
    let cmd = c_string(cmd);
    tracing::debug!("send: {}", shown(cmd));
    let _ = t
        .read_interrupt_from(ENDPOINT_IN, SNR_LEN, Duration::from_millis(1000))
        .await;
    let Some(&(_, index, prefix)) = SNR.iter().find(|(c, _, _)| *c == cmd) else {
        tracing::debug!("read: {}", shown(cmd));
        return Ok(cmd[..cmd.len().min(BUFLEN - 1)].to_vec());
    };
    let langid = Some(state.langid_fix.unwrap_or(0xffff));
    for _ in 0..10 {
        let Some(mut buf) = string_reply(t, index, langid, SNR_LEN, BUFLEN).await? else {
            continue;
        };
        if buf.is_empty() {
            return Ok(buf);
        }
        if is_no_ack(&buf) {
            tracing::debug!("read: {}", shown(&buf));
            continue;
        }
        buf[0] = prefix;
        tracing::debug!("read: {}", shown(&buf));
        return Ok(buf);
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_indices_as_c() {
        // .5 min stay off, .5 min restart, 1 min, 1.5 min (truncated), 10 min and beyond
        assert_eq!(shutdown_index(b"S.5R0000\r"), Some(0x10));
        assert_eq!(shutdown_index(b"S.5R0001\r"), Some(0x18));
        assert_eq!(shutdown_index(b"S.7R0000\r"), Some(0x30));
        assert_eq!(shutdown_index(b"S01R0000\r"), Some(0x60));
        assert_eq!(shutdown_index(b"S1.5R0003\r"), Some(0x68 + 8));
        assert_eq!(shutdown_index(b"S10R0000\r"), Some(0xf0));
        assert_eq!(
            shutdown_index(b"S99\r"),
            Some(0xf8),
            "no R: C's -1 means restart"
        );
        assert_eq!(shutdown_index(b"S.2R0000\r"), Some(0x10), "below .5 is .5");
        assert_eq!(shutdown_index(b"SOMETHING\r"), None);
        assert_eq!(shutdown_index(b"Q1\r"), None);
    }

    #[test]
    fn raw_descriptors_become_ascii() {
        let raw = [8, 3, b'(', 0, b'1', 0, b'\r', 0];
        assert_eq!(descriptor_text(&raw, 510).unwrap(), b"(1\r");
        let raw = [6, 3, b'A', 0x04, b'B', 0];
        assert_eq!(descriptor_text(&raw, 510).unwrap(), b"?B");
        assert_eq!(
            descriptor_text(&[10, 3, b'A', 0], 510),
            None,
            "length mismatch"
        );
        assert_eq!(descriptor_text(&raw, 1).unwrap(), b"?");
        assert_eq!(descriptor_text(&[], 510), None);
    }

    #[test]
    fn no_ack_is_ten_characters() {
        assert!(is_no_ack(b"UPS No Ack\r"));
        assert!(is_no_ack(b"ups no ack"));
        assert!(!is_no_ack(b"UPS No Ack!\r"));
    }

    #[test]
    fn c_conversions() {
        assert_eq!(c_strtod(b".5R"), Some((0.5, 2)));
        assert_eq!(c_strtod(b" 01R"), Some((1.0, 3)));
        assert_eq!(c_strtod(b"1.R"), Some((1.0, 2)));
        assert_eq!(c_strtod(b"2e1x"), Some((20.0, 3)));
        assert_eq!(c_strtod(b"2ex"), Some((2.0, 1)));
        assert_eq!(c_strtod(b"."), None);
        assert_eq!(c_strtod(b"R"), None);
        assert_eq!(c_strtoi(b"0001\r"), Some(1));
        assert_eq!(c_strtoi(b"-3"), Some(-3));
        assert_eq!(c_strtoi(b"99999999999"), Some(i32::MAX));
        assert_eq!(c_strtoi(b"x"), None);
    }
}
