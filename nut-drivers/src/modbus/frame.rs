//! Modbus RTU frames: their CRC, and their length (slave address, function code, data; the
//! CRC not counted) as far as their first bytes tell: fixed by the function code, or given
//! by a byte count inside the frame.
//!
//! "Incomplete is not invalid": [`FrameLen::NeedMore`] when the bytes so far do not tell
//! yet, [`FrameLen::Unknown`] when the function code never will.

/// The CRC of a Modbus RTU frame (polynomial 0xA001 reflected, start 0xFFFF); it goes on
/// the wire low byte first.
pub fn crc16(bytes: &[u8]) -> u16 {
    crc::Crc::<u16>::new(&crc::CRC_16_MODBUS).checksum(bytes)
}

/// `frame` with its CRC appended.
pub fn with_crc(frame: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.len() + 2);
    out.extend_from_slice(frame);
    out.extend_from_slice(&crc16(frame).to_le_bytes());
    out
}

/// How long a frame (slave address, function code, data; no CRC) is, as far as its first
/// bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameLen {
    /// This many bytes.
    Complete(usize),
    /// More bytes are needed to tell.
    NeedMore,
    /// The function code does not say (unknown function).
    Unknown,
}

/// The length of a request frame (host to unit) starting `bytes`, without CRC.
pub fn request_len(bytes: &[u8]) -> FrameLen {
    let Some(&function) = bytes.get(1) else {
        return FrameLen::NeedMore;
    };
    match function {
        0x01..=0x06 => FrameLen::Complete(6),
        0x07 | 0x0b | 0x0c | 0x11 => FrameLen::Complete(2),
        0x08 => FrameLen::Complete(6),
        0x0f | 0x10 => counted(bytes, 6, 7),
        0x16 => FrameLen::Complete(8),
        0x17 => counted(bytes, 10, 11),
        0x18 => FrameLen::Complete(4),
        0x2b => match bytes.get(2) {
            None => FrameLen::NeedMore,
            Some(0x0e) => FrameLen::Complete(5),
            Some(_) => FrameLen::Unknown,
        },
        _ => FrameLen::Unknown,
    }
}

/// The length of a reply frame (unit to host) starting `bytes`, without CRC.
pub fn response_len(bytes: &[u8]) -> FrameLen {
    let Some(&function) = bytes.get(1) else {
        return FrameLen::NeedMore;
    };
    match function {
        0x80..=0xff => FrameLen::Complete(3),
        0x01..=0x04 | 0x0c | 0x11 | 0x14 | 0x15 | 0x17 => counted(bytes, 2, 3),
        0x05 | 0x06 | 0x08 | 0x0b | 0x0f | 0x10 => FrameLen::Complete(6),
        0x07 => FrameLen::Complete(3),
        0x16 => FrameLen::Complete(8),
        0x18 => match (bytes.get(2), bytes.get(3)) {
            (Some(&hi), Some(&lo)) => {
                FrameLen::Complete(4 + usize::from(u16::from_be_bytes([hi, lo])))
            }
            _ => FrameLen::NeedMore,
        },
        0x2b => device_identification_len(bytes),
        _ => FrameLen::Unknown,
    }
}

/// A frame of `fixed` bytes plus the byte count at `at`.
fn counted(bytes: &[u8], at: usize, fixed: usize) -> FrameLen {
    bytes.get(at).map_or(FrameLen::NeedMore, |&n| {
        FrameLen::Complete(fixed + usize::from(n))
    })
}

/// Read Device Identification (`2b 0e`): a 8-byte head, then `count` objects of id, length
/// and value.
fn device_identification_len(bytes: &[u8]) -> FrameLen {
    match bytes.get(2) {
        None => return FrameLen::NeedMore,
        Some(0x0e) => {}
        Some(_) => return FrameLen::Unknown,
    }
    let Some(&count) = bytes.get(7) else {
        return FrameLen::NeedMore;
    };
    let mut at = 8usize;
    for _ in 0..count {
        let Some(&len) = bytes.get(at + 1) else {
            return FrameLen::NeedMore;
        };
        at += 2 + usize::from(len);
    }
    FrameLen::Complete(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use FrameLen::{Complete, NeedMore, Unknown};

    #[test]
    fn crc_of_a_known_frame() {
        // Read 10 holding registers from 0 of slave 1: `01 03 00 00 00 0a c5 cd`.
        assert_eq!(crc16(&[1, 3, 0, 0, 0, 0x0a]), 0xcdc5);
        assert_eq!(with_crc(&[1, 3, 0, 0, 0, 0x0a])[6..], [0xc5, 0xcd]);
    }

    #[test]
    fn incomplete_frames_need_more() {
        for len in [request_len, response_len] {
            assert_eq!(len(&[]), NeedMore);
            assert_eq!(len(&[1]), NeedMore);
        }
    }

    #[test]
    fn read_holding_and_input_registers() {
        for function in [3, 4] {
            // Address and quantity.
            assert_eq!(request_len(&[1, function]), Complete(6));
            assert_eq!(request_len(&[1, function, 0, 0, 0, 1]), Complete(6));
            // The byte count, then the registers.
            assert_eq!(response_len(&[1, function]), NeedMore);
            assert_eq!(response_len(&[1, function, 4]), Complete(7));
            assert_eq!(response_len(&[1, function, 240]), Complete(243));
        }
    }

    #[test]
    fn write_single_register() {
        assert_eq!(request_len(&[1, 6]), Complete(6));
        // The echo of address and value.
        assert_eq!(response_len(&[1, 6]), Complete(6));
    }

    #[test]
    fn write_multiple_registers() {
        // Address, quantity, then the byte count at 6.
        assert_eq!(request_len(&[1, 0x10, 0, 0, 0, 2]), NeedMore);
        assert_eq!(request_len(&[1, 0x10, 0, 0, 0, 2, 4]), Complete(11));
        assert_eq!(
            request_len(&[1, 0x10, 2, 0x58, 0, 0x7b, 246]),
            Complete(253)
        );
        // The echo of address and quantity.
        assert_eq!(response_len(&[1, 0x10]), Complete(6));
        // Coils likewise.
        assert_eq!(request_len(&[1, 0x0f, 0, 0, 0, 9, 2]), Complete(9));
    }

    #[test]
    fn exceptions() {
        // Function code with the high bit set, then the exception code.
        for function in [0x81, 0x83, 0x84, 0x86, 0x90, 0xab, 0xff] {
            assert_eq!(response_len(&[1, function]), Complete(3));
        }
        // No request has such a function code.
        assert_eq!(request_len(&[1, 0x83, 2]), Unknown);
    }

    #[test]
    fn other_functions() {
        assert_eq!(request_len(&[1, 0x17, 0, 0, 0, 1, 0, 9, 0, 1]), NeedMore);
        assert_eq!(
            request_len(&[1, 0x17, 0, 0, 0, 1, 0, 9, 0, 1, 2]),
            Complete(13)
        );
        assert_eq!(response_len(&[1, 0x17, 2]), Complete(5));
        assert_eq!(request_len(&[1, 0x18]), Complete(4));
        assert_eq!(response_len(&[1, 0x18, 0]), NeedMore);
        assert_eq!(response_len(&[1, 0x18, 0, 2]), Complete(6));
        assert_eq!(request_len(&[1, 0x07]), Complete(2));
        assert_eq!(response_len(&[1, 0x07]), Complete(3));
        assert_eq!(request_len(&[1, 0x16]), Complete(8));
        assert_eq!(response_len(&[1, 0x16]), Complete(8));
        assert_eq!(request_len(&[1, 0x42]), Unknown);
        assert_eq!(response_len(&[1, 0x42]), Unknown);
    }

    #[test]
    fn device_identification() {
        assert_eq!(request_len(&[1, 0x2b]), NeedMore);
        assert_eq!(request_len(&[1, 0x2b, 0x0e]), Complete(5));
        assert_eq!(request_len(&[1, 0x2b, 0x0d]), Unknown);
        assert_eq!(response_len(&[1, 0x2b, 0x0d]), Unknown);
        // Head, then one object of 3 bytes.
        let id = [1, 0x2b, 0x0e, 1, 1, 0, 0, 1, 0, 3, b'A', b'P', b'C'];
        assert_eq!(response_len(&id[..7]), NeedMore);
        assert_eq!(response_len(&id[..9]), NeedMore);
        assert_eq!(response_len(&id), Complete(13));
        // No objects: the head alone.
        assert_eq!(response_len(&[1, 0x2b, 0x0e, 1, 1, 0, 0, 0]), Complete(8));
    }
}
