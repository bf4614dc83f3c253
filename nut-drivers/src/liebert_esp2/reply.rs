//! ESP-II frames: building commands and checking replies, with no I/O.
//!
//! A command is `01 <cmd> <n> <n argument bytes> <sum>`; a reply is eight bytes whose last
//! is the sum of the seven before it (the low byte of their sum), the value a signed 16-bit
//! number in bytes 5 (high) and 6 (low).
//!
//! ```
//! use nut_drivers::liebert_esp2::reply::{parse_reply, read_command, ReplyError};
//!
//! assert_eq!(read_command(0x94, 1), [1, 148, 2, 1, 1, 153]);
//! let reply = [1, 0x95, 4, 1, 7, 0xff, 0xfe, 0x9f];
//! assert_eq!(parse_reply(&reply), Ok(-2));
//! assert_eq!(parse_reply(&reply[..5]), Err(ReplyError::Truncated(5)));
//! ```

use std::fmt;

/// The length of every reply.
pub const REPLY_LEN: usize = 8;

/// Why a reply is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyError {
    /// Fewer than eight bytes arrived (how many did).
    Truncated(usize),
    /// The last byte is not the sum of the others.
    Checksum,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(n) => write!(f, "truncated reply ({n} of {REPLY_LEN} bytes)"),
            Self::Checksum => f.write_str("checksum error"),
        }
    }
}

impl std::error::Error for ReplyError {}

/// The checksum of a frame: the low byte of the sum of its bytes.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b))
}

/// The read command for `cmd` (the group) and `index` (the item): `01 cmd 02 01 index sum`.
pub fn read_command(cmd: u8, index: u8) -> [u8; 6] {
    let mut c = [1, cmd, 2, 1, index, 0];
    c[5] = checksum(&c[..5]);
    c
}

/// A write command: `01 cmd 04 args sum`.
pub fn write_command(cmd: u8, args: [u8; 4]) -> [u8; 8] {
    let mut c = [1, cmd, 4, args[0], args[1], args[2], args[3], 0];
    c[7] = checksum(&c[..7]);
    c
}

/// The value of a reply: eight bytes with a good checksum (more are ignored, as C reads
/// eight).
pub fn parse_reply(bytes: &[u8]) -> Result<i16, ReplyError> {
    if bytes.len() < REPLY_LEN {
        return Err(ReplyError::Truncated(bytes.len()));
    }
    if checksum(&bytes[..7]) != bytes[7] {
        return Err(ReplyError::Checksum);
    }
    Ok(i16::from_be_bytes([bytes[5], bytes[6]]))
}

/// The two characters one word of an identification string holds (low byte first).
pub fn ident_chars(value: i16) -> [u8; 2] {
    let [hi, lo] = value.to_be_bytes();
    [lo, hi]
}

/// What the type word says: input phases, output phases and `ups.type`.
pub fn ups_type(value: i16) -> (u32, u32, &'static str) {
    let [hi, lo] = value.to_be_bytes();
    let kind = if hi & 0x10 != 0 {
        "offline"
    } else if hi & 0x20 != 0 {
        "line-interactive"
    } else {
        "online"
    };
    (u32::from(lo & 3), u32::from((lo >> 4) & 3), kind)
}

/// The words of an identification string up to the first NUL, as text (bytes that are
/// not UTF-8 replaced).
pub fn ident_text(chars: &[u8]) -> String {
    let end = chars.iter().position(|&b| b == 0).unwrap_or(chars.len());
    String::from_utf8_lossy(&chars[..end]).into_owned()
}

/// C's `multiplier * value` in single precision, widened for printing.
pub fn scaled(multiplier: f32, value: i16) -> f64 {
    f64::from(multiplier * f32::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_replies() {
        assert_eq!(read_command(0x88, 1), [1, 136, 2, 1, 1, 141]);
        assert_eq!(read_command(0xa1, 14), [1, 161, 2, 1, 14, 179]);
        assert_eq!(
            write_command(0x9c, [1, 5, 0, 12]),
            [1, 156, 4, 1, 5, 0, 12, 179]
        );
        assert_eq!(
            parse_reply(&[1, 2, 3, 4, 5, 6, 7, 0]),
            Err(ReplyError::Checksum)
        );
        assert_eq!(parse_reply(&[1, 2, 3, 4, 5, 6, 7, 28, 99]), Ok(0x0607));
        assert_eq!(parse_reply(&[]), Err(ReplyError::Truncated(0)));
        assert_eq!(ident_chars(i16::from_be_bytes([b'X', b'G'])), *b"GX");
        assert_eq!(ups_type(0x0011), (1, 1, "online"));
        assert_eq!(ups_type(0x1033), (3, 3, "offline"));
        assert_eq!(ups_type(0x2002), (2, 0, "line-interactive"));
        assert_eq!(ident_text(b"AB\0CD"), "AB");
        assert_eq!(scaled(0.1, 2245), f64::from(224.5f32));
    }
}
