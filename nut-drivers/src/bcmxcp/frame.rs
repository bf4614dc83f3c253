//! The BCM/XCP wire format, without I/O: command frames, reply blocks and the encodings of
//! the values inside them.
//!
//! A command is `0xAB`, its length, the command bytes and a checksum byte. A reply is one or
//! more blocks, each `0xAB`, a block number, a length, a sequence byte (1, 2, …; bit 7 marks
//! the last block), that many data bytes and a checksum. Checksums make the sum of every
//! byte of the frame 0 modulo 256. Words are little-endian.
//!
//! ```
//! use nut_drivers::bcmxcp::frame::{command_frame, ReplyReader, Step};
//!
//! assert_eq!(command_frame(&[0x31]), [0xAB, 0x01, 0x31, 0x23]);
//! let mut reader = ReplyReader::new(0x31);
//! let block = [0xAB, 0x01, 0x02, 0x81, 0x10, 0x20, 0x00];
//! let mut block = block.to_vec();
//! let sum = block.iter().fold(0u8, |a, b| a.wrapping_add(*b));
//! *block.last_mut().unwrap() = 0u8.wrapping_sub(sum);
//! let mut step = Step::NeedMore;
//! for b in block {
//!     step = reader.push(b);
//! }
//! assert_eq!(step, Step::Done(vec![0x10, 0x20]));
//! ```

use std::fmt;

/// The byte that starts every frame.
pub const START: u8 = 0xAB;
/// The sequence bit of the last block of a reply.
pub const LAST_BLOCK: u8 = 0x80;
/// The most data bytes one reply block carries (C reads blocks into 128 bytes).
pub const MAX_BLOCK_DATA: usize = 123;
/// The most data bytes a whole reply may carry (C's answer buffer).
pub const MAX_REPLY: usize = 256;
/// How many bytes are skipped while looking for a start byte before giving up.
pub const MAX_SKIP: usize = 128;

/// The checksum byte of `frame` (everything before the checksum).
pub fn checksum(frame: &[u8]) -> u8 {
    0u8.wrapping_sub(frame.iter().fold(0u8, |a, b| a.wrapping_add(*b)))
}

/// The frame for one command (its bytes, at most 255).
pub fn command_frame(command: &[u8]) -> Vec<u8> {
    let len = u8::try_from(command.len()).unwrap_or(u8::MAX);
    let mut out = Vec::with_capacity(command.len() + 3);
    out.push(START);
    out.push(len);
    out.extend_from_slice(&command[..usize::from(len)]);
    out.push(checksum(&out));
    out
}

/// The block number a reply to `command` must carry, when C checks it.
pub fn expected_block(command: u8) -> Option<u8> {
    if command <= 0x43 {
        Some(command.wrapping_sub(0x30))
    } else if command == 0xA0 {
        Some(0x01)
    } else if command >= 0x89 {
        Some(0x09)
    } else {
        None
    }
}

/// Why a reply was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// No start byte among the first bytes received.
    NoStart,
    /// The block number is not the one for the command.
    Block(u8),
    /// A block of no data.
    EmptyBlock,
    /// The sequence numbers are not consecutive.
    Sequence(u8),
    /// The checksum does not add up.
    Checksum,
    /// The reply is longer than any answer can be.
    TooLong,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoStart => write!(f, "packet not on start"),
            Self::Block(b) => write!(f, "unexpected block number {b:#04x}"),
            Self::EmptyBlock => write!(f, "packet length 0"),
            Self::Sequence(s) => write!(f, "not the right sequence received {s:#04x}"),
            Self::Checksum => write!(f, "checksum error"),
            Self::TooLong => write!(f, "reply longer than {MAX_REPLY} bytes"),
        }
    }
}

impl std::error::Error for FrameError {}

/// What one more byte did to a reply being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// More bytes are needed.
    NeedMore,
    /// The reply is complete: its data, blocks joined.
    Done(Vec<u8>),
    /// The reply is bad; the reader must not be fed any more.
    Failed(FrameError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Block,
    Length,
    Sequence,
    Data,
    Checksum,
}

/// Reads the reply to one command byte by byte, checking it as C's serial layer does.
#[derive(Debug, Clone)]
pub struct ReplyReader {
    command: u8,
    phase: Phase,
    skipped: usize,
    frame: Vec<u8>,
    length: usize,
    previous_sequence: u8,
    last: bool,
    data: Vec<u8>,
}

impl ReplyReader {
    /// A reader for the reply to a command starting with `command`.
    pub fn new(command: u8) -> Self {
        Self {
            command,
            phase: Phase::Start,
            skipped: 0,
            frame: Vec::new(),
            length: 0,
            previous_sequence: 0,
            last: false,
            data: Vec::new(),
        }
    }

    /// Feeds one byte.
    pub fn push(&mut self, byte: u8) -> Step {
        match self.phase {
            Phase::Start => {
                self.skipped += 1;
                if byte == START {
                    self.frame.clear();
                    self.frame.push(byte);
                    self.phase = Phase::Block;
                } else if self.skipped >= MAX_SKIP {
                    return Step::Failed(FrameError::NoStart);
                }
            }
            Phase::Block => {
                if expected_block(self.command).is_some_and(|b| b != byte) {
                    return Step::Failed(FrameError::Block(byte));
                }
                self.frame.push(byte);
                self.phase = Phase::Length;
            }
            Phase::Length => {
                if byte == 0 {
                    return Step::Failed(FrameError::EmptyBlock);
                }
                self.length = usize::from(byte);
                self.frame.push(byte);
                self.phase = Phase::Sequence;
            }
            Phase::Sequence => {
                self.last = byte & LAST_BLOCK != 0;
                if byte & 0x07 != self.previous_sequence.wrapping_add(1) {
                    return Step::Failed(FrameError::Sequence(byte));
                }
                self.previous_sequence = byte;
                self.frame.push(byte);
                self.phase = Phase::Data;
            }
            Phase::Data => {
                self.frame.push(byte);
                if self.frame.len() == 4 + self.length {
                    self.phase = Phase::Checksum;
                }
            }
            Phase::Checksum => {
                self.frame.push(byte);
                if self.frame.iter().fold(0u8, |a, b| a.wrapping_add(*b)) != 0 {
                    return Step::Failed(FrameError::Checksum);
                }
                self.data.extend_from_slice(&self.frame[4..4 + self.length]);
                if self.data.len() > MAX_REPLY {
                    return Step::Failed(FrameError::TooLong);
                }
                if self.last {
                    return Step::Done(std::mem::take(&mut self.data));
                }
                self.phase = Phase::Start;
            }
        }
        Step::NeedMore
    }
}

/// Reads a whole reply to `command` from `bytes`: the data, or why it is bad; `Ok(None)`
/// when the bytes end before the reply does.
pub fn parse_reply(command: u8, bytes: &[u8]) -> Result<Option<Vec<u8>>, FrameError> {
    let mut reader = ReplyReader::new(command);
    for &b in bytes {
        match reader.push(b) {
            Step::NeedMore => {}
            Step::Done(data) => return Ok(Some(data)),
            Step::Failed(e) => return Err(e),
        }
    }
    Ok(None)
}

/// The reply blocks a device sends for `data` in answer to a command with block number
/// `block`: blocks of at most `chunk` bytes (at least one, even for no data).
pub fn reply_frames(block: u8, data: &[u8], chunk: usize) -> Vec<u8> {
    let chunk = chunk.clamp(1, MAX_BLOCK_DATA);
    let pieces: Vec<&[u8]> = if data.is_empty() {
        vec![&[0u8][..]]
    } else {
        data.chunks(chunk).collect()
    };
    let mut out = Vec::new();
    let n = pieces.len();
    for (i, piece) in pieces.into_iter().enumerate() {
        let start = out.len();
        out.push(START);
        out.push(block);
        out.push(u8::try_from(piece.len()).unwrap_or(u8::MAX));
        let mut seq = u8::try_from(i % 7 + 1).unwrap_or(1);
        if i + 1 == n {
            seq |= LAST_BLOCK;
        }
        out.push(seq);
        out.extend_from_slice(piece);
        out.push(checksum(&out[start..]));
    }
    out
}

/// The little-endian word at `at` (0 past the end).
pub fn word(data: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([byte(data, at), byte(data, at + 1)])
}

/// The little-endian 32-bit number at `at` (0 past the end).
pub fn long(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([
        byte(data, at),
        byte(data, at + 1),
        byte(data, at + 2),
        byte(data, at + 3),
    ])
}

/// The byte at `at` (0 past the end: C reads a zeroed buffer there).
pub fn byte(data: &[u8], at: usize) -> u8 {
    data.get(at).copied().unwrap_or(0)
}

/// The IEEE-754 single at `at`, with NaN and infinities read as C does (`±FLT_MAX`).
pub fn float(data: &[u8], at: usize) -> f32 {
    let v = f32::from_bits(long(data, at));
    if v.is_nan() {
        f32::MAX
    } else if v.is_infinite() {
        if v < 0.0 {
            -f32::MAX
        } else {
            f32::MAX
        }
    } else {
        v
    }
}

fn bcd(b: u8) -> (u8, u8) {
    (b >> 4, b & 0x0f)
}

/// A meter value at `at` of the meter block in the meter map's `format`, printed as C does:
/// long integers (`0xf0`, seconds `0xe2`), fixed point (`0xf1`–`0xff`), floats with
/// width and precision in the two nibbles (`0x00`–`0x97`), BCD dates (`0xe0`) and times
/// (`0xe1`); `???` for other formats, nothing for format 0.
pub fn meter_value(data: &[u8], at: usize, format: u8) -> String {
    let n = long(data, at);
    match format {
        0 => String::new(),
        0xf0 | 0xe2 => format!("{}", n as i32),
        0xf1..=0xff => {
            let v = (f64::from(n) / f64::from(1u32 << (format & 0x0f))) as f32;
            crate::printf::printf_number("%.2f", f64::from(v))
        }
        0x01..=0x97 => {
            let spec = format!("%{}.{}f", format >> 4, format & 0x0f);
            crate::printf::printf_number(&spec, f64::from(float(data, at)))
        }
        0xe0 => {
            let (d, m, y, c) = (
                bcd(byte(data, at)),
                bcd(byte(data, at + 1)),
                bcd(byte(data, at + 2)),
                byte(data, at + 3),
            );
            let c = bcd(c & 0x7f);
            if byte(data, at + 3) & 0x80 != 0 {
                format!("{}{}/{}{}/{}{}{}{}", d.0, d.1, m.0, m.1, c.0, c.1, y.0, y.1)
            } else {
                format!("{}{}{}{}:{}{}{}", c.0, c.1, y.0, y.1, m.1, d.0, d.1)
            }
        }
        0xe1 => {
            let (cc, ss, mm, hh) = (
                bcd(byte(data, at)),
                bcd(byte(data, at + 1)),
                bcd(byte(data, at + 2)),
                bcd(byte(data, at + 3)),
            );
            format!(
                "{}{}:{}{}:{}{}.{}{}",
                hh.0, hh.1, mm.0, mm.1, ss.0, ss.1, cc.0, cc.1
            )
        }
        _ => "???".to_owned(),
    }
}

/// What the identification block (command `0x31`) says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdBlock {
    /// `ups.firmware`: `Cont:MM.mm Inve:MM.mm` (C's text).
    pub firmware: Option<String>,
    /// The rating in VA (up to 255 kVA given in kVA, or up to 3.2 MVA in units of 50 VA;
    /// C 2.8.0 keeps it in 16 bits, which ratings above 65535 VA overflow).
    pub rating: u32,
    /// Output phases.
    pub phases: u8,
    /// The model as C builds it: the description, the rating with `i` when missing, no
    /// trailing spaces.
    pub model: String,
    /// Meter map: the format of each meter (0: not present).
    pub meter_map: Vec<u8>,
    /// Alarm map: one bit per alarm.
    pub alarm_map: Vec<u8>,
    /// Length of the configuration block.
    pub config_len: u16,
    /// Length of the topology block.
    pub topology_len: u16,
    /// Length of the command list block.
    pub command_list_len: u16,
    /// Length of the outlet monitoring block.
    pub outlet_len: u16,
    /// Length of the alarm block.
    pub alarm_len: u16,
}

/// The CPU names of the firmware versions, in order.
const CPUS: [&str; 5] = ["Cont:", "Inve:", "Rect:", "Netw:", "Disp:"];

fn c_string(data: &[u8], at: usize, max: usize) -> String {
    let bytes: Vec<u8> = data
        .iter()
        .skip(at)
        .take(max)
        .take_while(|&&b| b != 0)
        .copied()
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl IdBlock {
    /// Reads the identification block as C does (bytes past the end read as 0).
    pub fn parse(data: &[u8]) -> Self {
        let mut id = Self::default();
        let mut i = 0usize;
        let mut cpus = usize::from(byte(data, i));
        i += 1;
        if cpus > 0 {
            let mut text = String::new();
            let mut n = 0usize;
            // C stops after six CPUs (and has names for five only).
            while cpus > 0 && n <= 5 {
                if byte(data, i) != 0 || byte(data, i + 1) != 0 {
                    let name = CPUS.get(n).copied().unwrap_or("");
                    text.push_str(&format!(
                        "{name}{:02x}.{:02x} ",
                        byte(data, i + 1),
                        byte(data, i)
                    ));
                }
                i += 2;
                cpus -= 1;
                n += 1;
            }
            // C appends into a buffer of 11 bytes per CPU plus one, of which it uses one
            // byte less than it could (the last version's trailing space goes).
            let limit = usize::from(byte(data, 0)) * 11 - 1;
            text.truncate(limit);
            id.firmware = Some(text);
            i += cpus * 2;
        }
        let kva = byte(data, i);
        i += 1;
        id.rating = if kva > 0 {
            u32::from(kva) * 1000
        } else {
            let r = u32::from(word(data, i)) * 50;
            i += 2;
            r
        };
        id.phases = byte(data, i);
        i += 2;
        let len = usize::from(byte(data, i));
        i += 1;
        let mut model = c_string(data, i, len);
        i += len;
        let rating = format!("{}i", id.rating);
        if !model.contains(&rating) {
            model.push(' ');
            model.push_str(&rating);
            // (C's buffer, len + 8 characters, holds any 16-bit rating.)
        }
        id.model = model.trim_end_matches(' ').to_owned();
        let len = usize::from(byte(data, i));
        i += 1;
        id.meter_map = (0..len).map(|k| byte(data, i + k)).collect();
        i += len;
        let len = usize::from(byte(data, i));
        i += 1;
        id.alarm_map = (0..len).map(|k| byte(data, i + k)).collect();
        i += len;
        id.config_len = word(data, i);
        i += 2;
        let len = usize::from(byte(data, i));
        i += 1 + len;
        // Alarm history log, custom event log.
        i += 4;
        id.topology_len = word(data, i);
        i += 2;
        // Maximum command length.
        i += 1;
        if i < data.len() {
            id.command_list_len = word(data, i);
        }
        i += 2;
        if i < data.len() {
            id.outlet_len = word(data, i);
        }
        i += 2;
        if i < data.len() {
            id.alarm_len = word(data, i);
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let data: Vec<u8> = (0..=200u8).collect();
        let wire = reply_frames(0x04, &data, 120);
        assert_eq!(parse_reply(0x34, &wire), Ok(Some(data.clone())));
        // Garbage before the start byte is skipped, a wrong block refused.
        let mut noisy = vec![0x1d, 0x00];
        noisy.extend_from_slice(&wire);
        assert_eq!(parse_reply(0x34, &noisy), Ok(Some(data)));
        assert_eq!(parse_reply(0x33, &wire), Err(FrameError::Block(0x04)));
        assert_eq!(parse_reply(0x34, &wire[..10]), Ok(None));
        let mut bad = wire.clone();
        bad[7] ^= 1;
        assert_eq!(parse_reply(0x34, &bad), Err(FrameError::Checksum));
        assert_eq!(parse_reply(0x34, &[0; 200]), Err(FrameError::NoStart));
        // Control commands answer in block 9, request-only mode in block 1.
        let ack = reply_frames(0x09, &[0x31, 0x8A], 120);
        assert_eq!(parse_reply(0x8A, &ack), Ok(Some(vec![0x31, 0x8A])));
        assert_eq!(parse_reply(0xA0, &ack), Err(FrameError::Block(0x09)));
        assert_eq!(
            parse_reply(0x31, &[0xAB, 0x01, 0x01, 0x02, 0, 0]),
            Err(FrameError::Sequence(2))
        );
    }

    #[test]
    fn values_print_as_c() {
        let mut d = Vec::new();
        d.extend_from_slice(&60.08f32.to_le_bytes());
        d.extend_from_slice(&132u32.to_le_bytes());
        d.extend_from_slice(&(13.6f32 * 16.0).to_bits().to_le_bytes());
        d.extend_from_slice(&[0x28, 0x09, 0x13, 0xA0]);
        d.extend_from_slice(&[0x82, 0x33, 0x33, 0x19]);
        d.extend_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(meter_value(&d, 0, 0x52), "60.08");
        assert_eq!(meter_value(&d, 0, 0x41), "60.1");
        assert_eq!(meter_value(&d, 4, 0xf0), "132");
        assert_eq!(meter_value(&d, 4, 0xf2), "33.00");
        assert_eq!(meter_value(&d, 12, 0xe0), "28/09/2013");
        assert_eq!(meter_value(&d, 16, 0xe1), "19:33:33.82");
        assert_eq!(meter_value(&d, 0, 0xa0), "???");
        assert_eq!(meter_value(&d, 0, 0), "");
        assert!(meter_value(&d, 20, 0x10).starts_with("340282346638528859811704183484516925440"));
        assert_eq!(meter_value(&d, 100, 0x41), " 0.0");
    }

    #[test]
    fn large_ratings_do_not_wrap() {
        // A 550 kVA unit (NUT's device library has a 9395 of that size): C 2.8.0 says 25072.
        let mut d = vec![0u8, 0];
        d.extend_from_slice(&11000u16.to_le_bytes());
        d.extend_from_slice(&[3, 0, 4]);
        d.extend_from_slice(b"9395");
        let id = IdBlock::parse(&d);
        assert_eq!(id.rating, 550_000);
        assert_eq!(id.model, "9395 550000i");
        assert_eq!(IdBlock::parse(&[0, 200]).rating, 200_000);
    }

    #[test]
    fn id_block_of_nothing_is_empty() {
        let id = IdBlock::parse(&[]);
        assert_eq!(id.rating, 0);
        assert_eq!(id.model, " 0i");
        assert!(id.firmware.is_none());
    }
}

/// The biggest data length of a reply block C's USB reader accepts (120 in normal mode, 140
/// in test mode).
pub const USB_MAX_BLOCK: usize = 140;
/// How many bytes C's USB reader asks for in each interrupt read.
pub const USB_READ: usize = 128;
/// The most bytes [`UsbReply`] holds before giving a reply up.
pub const USB_MAX_BUFFER: usize = 4096;

/// What [`UsbReply`] wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbStep {
    /// Another interrupt read.
    Read,
    /// The reply's data: the last block came.
    Done(Vec<u8>),
    /// The reply is bad (C's `get_answer` returns -1).
    Failed(FrameError),
}

/// A reply as C's USB subdriver (`bcmxcp_usb`'s `get_answer`) assembles it from interrupt
/// reads, without I/O: a read is due while [`UsbReply::wants_read`]; each read's bytes go
/// to [`UsbReply::push`]. It counts the bytes it still needs as C does, so it asks for as
/// many reads as C (its count goes wrong when a read ends inside a block that follows
/// another: C then waits for bytes that never come, and keeps the blocks before). Unlike
/// the serial reader it does not check the block number, and it takes a reply whose reads
/// stop early (a timeout) as the blocks read so far ([`UsbReply::partial`]).
///
/// ```
/// use nut_drivers::bcmxcp::frame::{reply_frames, UsbReply, UsbStep};
///
/// let wire = reply_frames(0x01, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 6);
/// let mut reply = UsbReply::new();
/// let mut step = UsbStep::Read;
/// for packet in wire.chunks(8) {
///     assert!(reply.wants_read());
///     step = reply.push(packet);
///     if step != UsbStep::Read {
///         break;
///     }
/// }
/// assert_eq!(step, UsbStep::Done(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
/// ```
#[derive(Debug, Clone)]
pub struct UsbReply {
    /// C's buffer: bytes stay where they were read until a block is taken out.
    buf: Vec<u8>,
    /// Where the current block starts in `buf` (C's `my_buf`).
    at: usize,
    /// Bytes read into `buf`, counted from its start (C's `bytes_read`).
    bytes_read: usize,
    /// C's `need_data`.
    need: isize,
    /// The sequence number the next block must have.
    sequence: u8,
    data: Vec<u8>,
}

impl Default for UsbReply {
    fn default() -> Self {
        Self::new()
    }
}

impl UsbReply {
    /// A reader for one reply.
    pub fn new() -> Self {
        Self {
            buf: vec![0; 2 * MAX_REPLY],
            at: 0,
            bytes_read: 0,
            need: 5,
            sequence: 1,
            data: Vec::new(),
        }
    }

    /// Whether the reader needs another read.
    pub fn wants_read(&self) -> bool {
        self.need > 0
    }

    /// The data of the blocks taken so far (what C returns when its reads stop early).
    pub fn partial(&self) -> &[u8] {
        &self.data
    }

    fn ensure(&mut self, len: usize) {
        if self.buf.len() < len {
            self.buf.resize(len, 0);
        }
    }

    /// Takes the bytes of one interrupt read (an empty read changes nothing).
    pub fn push(&mut self, bytes: &[u8]) -> UsbStep {
        if bytes.is_empty() {
            return UsbStep::Read;
        }
        let end = self.bytes_read + bytes.len();
        if end > USB_MAX_BUFFER {
            // C's buffer of 256 bytes would have overflowed long before.
            return UsbStep::Failed(FrameError::TooLong);
        }
        self.ensure(end);
        self.buf[self.bytes_read..end].copy_from_slice(bytes);
        self.bytes_read = end;
        self.need -= isize::try_from(bytes.len()).unwrap_or(isize::MAX);
        self.process()
    }

    /// C's frame checks, for as long as no read is needed.
    fn process(&mut self) -> UsbStep {
        while self.need <= 0 {
            if self.buf[self.at] != START {
                // C looks for a start byte in the next `bytes_read` bytes.
                let end = (self.at + self.bytes_read).min(self.buf.len());
                match self.buf[self.at..end].iter().position(|&b| b == START) {
                    Some(i) => self.at += i,
                    None => return UsbStep::Failed(FrameError::NoStart),
                }
            }
            self.ensure(self.at + 4);
            let length = usize::from(self.buf[self.at + 2]);
            if self.bytes_read < length + 5 {
                if self.need < 0 {
                    self.need -= 1;
                }
                self.need += isize::try_from(length + 1).unwrap_or(isize::MAX);
                if self.need > 0 {
                    return UsbStep::Read;
                }
                if length == 0 {
                    // C would go round here for ever without reading.
                    return UsbStep::Failed(FrameError::EmptyBlock);
                }
                // C checks the same block again, counting up what it needs.
                continue;
            }
            if length > USB_MAX_BLOCK {
                return UsbStep::Failed(FrameError::TooLong);
            }
            let sequence = self.buf[self.at + 3];
            if sequence & 0x7f != self.sequence {
                return UsbStep::Failed(FrameError::Sequence(sequence));
            }
            self.ensure(self.at + length + 5);
            let frame = &self.buf[self.at..self.at + length + 5];
            if frame.iter().fold(0u8, |a, b| a.wrapping_add(*b)) != 0 {
                return UsbStep::Failed(FrameError::Checksum);
            }
            let last = sequence & LAST_BLOCK != 0;
            if !last {
                self.sequence = self.sequence.wrapping_add(1);
            }
            self.data
                .extend_from_slice(&self.buf[self.at + 4..self.at + 4 + length]);
            if self.data.len() > MAX_REPLY {
                return UsbStep::Failed(FrameError::TooLong);
            }
            let tail = self.bytes_read - (length + 5);
            let from = self.at + length + 5;
            self.ensure(from + tail);
            self.buf.copy_within(from..from + tail, 0);
            self.at = 0;
            self.bytes_read = tail;
            if last {
                return UsbStep::Done(std::mem::take(&mut self.data));
            }
        }
        UsbStep::Read
    }
}
