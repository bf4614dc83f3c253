//! SHUT framing, without I/O: the one-byte tokens, the packets (a type byte, a length
//! byte, up to eight data bytes, an XOR checksum), and the request frames a host sends
//! for a USB-style control request.
//!
//! A packet's type byte holds its kind in the low nibble ([`KIND_REQUEST`],
//! [`KIND_RESPONSE`], [`KIND_NOTIFY`]) and [`LAST`] when no packet of the same transfer
//! follows; its length byte repeats the data length in both nibbles (`0x88` for eight
//! bytes). Every packet is answered with [`ACK`] or [`NAK`].
//!
//! ```
//! use nut_drivers::shut::frame::{parse, Parsed, Setup, request_frames};
//!
//! // GET_REPORT of feature report 0x0c, 6 bytes: one request packet.
//! let setup = Setup { request_type: 0xa1, request: 0x01, value: 0x030c, index: 0, length: 6 };
//! let frames = request_frames(&setup, &[]);
//! assert_eq!(frames[0], [0x81, 0x88, 0xa1, 0x01, 0x0c, 0x03, 0, 0, 6, 0, 0xa1 ^ 0x01 ^ 0x0c ^ 0x03 ^ 6]);
//! match parse(&frames[0]).unwrap() {
//!     Parsed::Packet(p, used) => {
//!         assert!(p.last && used == 11);
//!         assert_eq!(Setup::from_bytes(&p.data), Some(setup));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

/// Acknowledges a packet.
pub const ACK: u8 = 0x06;
/// Refuses a packet (bad checksum): the sender sends it again.
pub const NAK: u8 = 0x15;
/// Synchronisation with complete notifications.
pub const SYNC: u8 = 0x16;
/// Synchronisation with partial notifications.
pub const SYNC_LIGHT: u8 = 0x17;
/// Synchronisation without notifications (polling only): what C NUT's driver sends.
pub const SYNC_OFF: u8 = 0x18;
/// Packet kind: a request from the host.
pub const KIND_REQUEST: u8 = 0x01;
/// Packet kind: the device's answer.
pub const KIND_RESPONSE: u8 = 0x04;
/// Packet kind: a notification the device sends on its own.
pub const KIND_NOTIFY: u8 = 0x05;
/// Type-byte flag of the last packet of a transfer.
pub const LAST: u8 = 0x80;
/// The most data bytes in one packet.
pub const MAX_DATA: usize = 8;

/// XOR of the bytes: the packet checksum.
pub fn checksum(data: &[u8]) -> u8 {
    data.iter().fold(0, |a, b| a ^ b)
}

/// The setup of a control request, as the first request packet carries it (little-endian
/// words, as on USB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// `bmRequestType` (0x80 and up: from the device).
    pub request_type: u8,
    /// `bRequest`.
    pub request: u8,
    /// `wValue`.
    pub value: u16,
    /// `wIndex`.
    pub index: u16,
    /// `wLength`.
    pub length: u16,
}

impl Setup {
    /// The eight bytes of a request packet.
    pub fn to_bytes(&self) -> [u8; 8] {
        let [v0, v1] = self.value.to_le_bytes();
        let [i0, i1] = self.index.to_le_bytes();
        let [l0, l1] = self.length.to_le_bytes();
        [self.request_type, self.request, v0, v1, i0, i1, l0, l1]
    }

    /// The setup in a request packet's data (`None` unless it is eight bytes).
    pub fn from_bytes(data: &[u8]) -> Option<Self> {
        let d: &[u8; 8] = data.try_into().ok()?;
        Some(Self {
            request_type: d[0],
            request: d[1],
            value: u16::from_le_bytes([d[2], d[3]]),
            index: u16::from_le_bytes([d[4], d[5]]),
            length: u16::from_le_bytes([d[6], d[7]]),
        })
    }

    /// Whether data goes from the device to the host.
    pub fn is_in(&self) -> bool {
        self.request_type & 0x80 != 0
    }
}

/// One packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Its kind (the type byte's low nibble).
    pub kind: u8,
    /// Whether it ends its transfer.
    pub last: bool,
    /// Its data (at most [`MAX_DATA`] bytes).
    pub data: Vec<u8>,
}

impl Packet {
    /// The packet's bytes on the line.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.data.len().min(MAX_DATA) as u8;
        let mut out = Vec::with_capacity(n as usize + 3);
        out.push((self.kind & 0x0f) | if self.last { LAST } else { 0 });
        out.push((n << 4) | n);
        out.extend_from_slice(&self.data[..n as usize]);
        out.push(checksum(&self.data[..n as usize]));
        out
    }
}

/// What the bytes at the start of a buffer are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Not enough bytes yet.
    Incomplete,
    /// A one-byte token ([`ACK`], [`NAK`], a sync byte); one byte used.
    Token(u8),
    /// A whole packet with a good checksum, and how many bytes it took.
    Packet(Packet, usize),
}

/// A packet that cannot be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The length byte's nibbles differ, or say more than eight bytes; the type byte and
    /// the length byte are to be skipped.
    #[error("invalid SHUT frame length byte {0:#04x}")]
    Length(u8),
    /// The checksum does not match; the packet (`used` bytes) is to be skipped and
    /// refused with [`NAK`].
    #[error("SHUT checksum {got:#04x}, expected {expected:#04x}")]
    Checksum {
        /// The checksum of the data.
        expected: u8,
        /// The checksum sent.
        got: u8,
        /// The packet's length on the line.
        used: usize,
    },
}

/// Whether a byte is a token rather than the start of a packet.
pub fn is_token(b: u8) -> bool {
    matches!(b, ACK | NAK | SYNC | SYNC_LIGHT | SYNC_OFF)
}

/// Parses the token or packet at the start of `buf`.
pub fn parse(buf: &[u8]) -> Result<Parsed, FrameError> {
    let Some(&first) = buf.first() else {
        return Ok(Parsed::Incomplete);
    };
    if is_token(first) {
        return Ok(Parsed::Token(first));
    }
    let Some(&len) = buf.get(1) else {
        return Ok(Parsed::Incomplete);
    };
    let n = usize::from(len & 0x0f);
    if len >> 4 != len & 0x0f || n > MAX_DATA {
        return Err(FrameError::Length(len));
    }
    let used = n + 3;
    if buf.len() < used {
        return Ok(Parsed::Incomplete);
    }
    let data = &buf[2..2 + n];
    let expected = checksum(data);
    let got = buf[2 + n];
    if expected != got {
        return Err(FrameError::Checksum {
            expected,
            got,
            used,
        });
    }
    Ok(Parsed::Packet(
        Packet {
            kind: first & 0x0f,
            last: first & LAST != 0,
            data: data.to_vec(),
        },
        used,
    ))
}

/// The request packets of a control request, each to be acknowledged before the next:
/// the setup, then (host-to-device requests) `data` in packets of up to eight bytes.
pub fn request_frames(setup: &Setup, data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let chunks: Vec<&[u8]> = if setup.is_in() {
        Vec::new()
    } else {
        data.chunks(MAX_DATA).collect()
    };
    out.push(
        Packet {
            kind: KIND_REQUEST,
            last: chunks.is_empty(),
            data: setup.to_bytes().to_vec(),
        }
        .encode(),
    );
    let count = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        out.push(
            Packet {
                kind: KIND_REQUEST,
                last: i + 1 == count,
                data: chunk.to_vec(),
            }
            .encode(),
        );
    }
    out
}

/// The response packets carrying `data` (an empty answer is one empty last packet).
pub fn response_frames(data: &[u8]) -> Vec<Vec<u8>> {
    if data.is_empty() {
        return vec![Packet {
            kind: KIND_RESPONSE,
            last: true,
            data: Vec::new(),
        }
        .encode()];
    }
    let count = data.len().div_ceil(MAX_DATA);
    data.chunks(MAX_DATA)
        .enumerate()
        .map(|(i, c)| {
            Packet {
                kind: KIND_RESPONSE,
                last: i + 1 == count,
                data: c.to_vec(),
            }
            .encode()
        })
        .collect()
}

/// Gathers the data of a transfer's packets: feed packets in order; a notification
/// in the middle is set aside.
#[derive(Debug, Default, Clone)]
pub struct Reassembler {
    data: Vec<u8>,
    /// The notifications seen (their data), oldest first.
    pub notifications: Vec<Vec<u8>>,
}

impl Reassembler {
    /// A new, empty transfer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a packet; returns the whole data once the last packet of the transfer came.
    pub fn push(&mut self, packet: Packet) -> Option<Vec<u8>> {
        if packet.kind == KIND_NOTIFY {
            self.notifications.push(packet.data);
            return None;
        }
        self.data.extend_from_slice(&packet.data);
        packet.last.then(|| std::mem::take(&mut self.data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_report_frames_and_round_trip() {
        let setup = Setup {
            request_type: 0x21,
            request: 0x09,
            value: 0x0310,
            index: 0,
            length: 10,
        };
        let data: Vec<u8> = (1..=10).collect();
        let frames = request_frames(&setup, &data);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0][0], 0x01);
        assert_eq!(frames[1][..2], [0x01, 0x88]);
        assert_eq!(frames[2][..2], [0x81, 0x22]);
        let mut r = Reassembler::new();
        let mut got = None;
        for f in &frames[1..] {
            let Ok(Parsed::Packet(p, used)) = parse(f) else {
                panic!("bad frame")
            };
            assert_eq!(used, f.len());
            got = r.push(p);
        }
        assert_eq!(got, Some(data));
    }

    #[test]
    fn bad_frames() {
        assert_eq!(parse(&[]), Ok(Parsed::Incomplete));
        assert_eq!(parse(&[SYNC_OFF, 1]), Ok(Parsed::Token(SYNC_OFF)));
        assert_eq!(parse(&[0x84]), Ok(Parsed::Incomplete));
        assert_eq!(parse(&[0x84, 0x12]), Err(FrameError::Length(0x12)));
        assert_eq!(parse(&[0x84, 0x99]), Err(FrameError::Length(0x99)));
        assert_eq!(parse(&[0x84, 0x22, 1]), Ok(Parsed::Incomplete));
        assert!(matches!(
            parse(&[0x84, 0x22, 1, 2, 0]),
            Err(FrameError::Checksum { used: 5, .. })
        ));
        let empty = response_frames(&[]);
        assert_eq!(empty, vec![vec![0x84, 0x00, 0x00]]);
        let resp = response_frames(&[9; 17]);
        assert_eq!(resp.len(), 3);
        assert_eq!(resp[2][..2], [0x84, 0x11]);
    }
}
