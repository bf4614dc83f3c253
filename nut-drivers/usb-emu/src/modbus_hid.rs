//! The unit's side of Modbus RTU over USB HID, as APC's Smart-UPS units (SMT, SMX, SRT)
//! carry it and C NUT's `apc_modbus` (its libmodbus fork's `rtu_usb` backend) speaks it:
//! requests come in 64-byte output reports `0x90` (usage `0xFF8600FC`), the report id and 63
//! bytes of the RTU frame **without CRC**, zero-padded, by interrupt OUT to `01` (or
//! SET_REPORT of output report `0x90`); replies go out the same way in input reports `0x89`
//! (usage `0xFF8600FD`) on interrupt IN `81`. A frame longer than 63 bytes continues in the
//! next report.
//!
//! The host side, with the same rules, is `nut_drivers::usb::modbus_hid` (this crate cannot
//! link that one: it links the real libusb).

/// The report the unit receives requests in (usage `0xFF8600FC`).
pub const RX_REPORT: u8 = 0x90;
/// The report the unit sends replies in (usage `0xFF8600FD`).
pub const TX_REPORT: u8 = 0x89;
/// Bytes of a report: the id and [`PAYLOAD`] frame bytes.
pub const REPORT_SIZE: usize = 64;
/// Frame bytes in one report.
pub const PAYLOAD: usize = REPORT_SIZE - 1;
/// The longest frame kept while it is being received.
const MAX_FRAME: usize = 256;

/// The report descriptor of the emulated unit, ours, modelled on the recorded Smart-UPS SRT
/// 3000's layout: a UPS application collection with a minimal power-device part
/// (PowerSummary.RemainingCapacity, feature report `0c`) and, on vendor page `0xFF86`, input
/// report `0x89` of usage `FD` and output report `0x90` of usage `FC`, 63 bytes each.
pub const REPORT_DESCRIPTOR: &str = "05 84 09 04 a1 01 \
     09 24 a1 02 85 0c 05 85 09 66 75 08 95 01 15 00 26 ff 00 b1 02 c0 \
     06 86 ff 85 89 09 fd 15 00 26 ff 00 75 08 95 3f 81 02 \
     85 90 09 fc 95 3f 91 02 \
     c0";

/// The CRC of a Modbus RTU frame (goes on the wire low byte first).
pub fn crc16(bytes: &[u8]) -> u16 {
    crc::Crc::<u16>::new(&crc::CRC_16_MODBUS).checksum(bytes)
}

/// `frame` with its CRC appended: the RTU frame a serial unit would receive.
pub fn with_crc(frame: &[u8]) -> Vec<u8> {
    let mut out = frame.to_vec();
    out.extend_from_slice(&crc16(frame).to_le_bytes());
    out
}

// A copy of `nut_drivers::modbus::frame::request_len` (canonical), which this crate cannot link.
/// The length of a request frame (no CRC) from its first bytes: `Some(Ok(n))`, `None` when
/// more bytes are needed, `Some(Err(()))` for a function code of unknown length.
pub fn request_len(bytes: &[u8]) -> Option<Result<usize, ()>> {
    let function = *bytes.get(1)?;
    let counted = |at: usize, fixed: usize| bytes.get(at).map(|&n| Ok(fixed + usize::from(n)));
    match function {
        0x01..=0x06 | 0x08 => Some(Ok(6)),
        0x07 | 0x0b | 0x0c | 0x11 => Some(Ok(2)),
        0x0f | 0x10 => counted(6, 7),
        0x16 => Some(Ok(8)),
        0x17 => counted(10, 11),
        0x18 => Some(Ok(4)),
        0x2b => match *bytes.get(2)? {
            0x0e => Some(Ok(5)),
            _ => Some(Err(())),
        },
        _ => Some(Err(())),
    }
}

/// Cuts `frame` into reports of id `report_id`, 63 bytes each, the last zero-padded.
pub fn pack(report_id: u8, frame: &[u8]) -> Vec<Vec<u8>> {
    frame
        .chunks(PAYLOAD)
        .map(|chunk| {
            let mut report = Vec::with_capacity(REPORT_SIZE);
            report.push(report_id);
            report.extend_from_slice(chunk);
            report.resize(REPORT_SIZE, 0);
            report
        })
        .collect()
}

/// Joins the payloads of the request reports into frames (without CRC). A frame starts at
/// the start of a report; bytes after a complete frame in its last report are padding. A
/// frame of unknown function ends with its report (trailing zeros dropped).
#[derive(Debug, Clone, Default)]
pub struct RequestUnpacker {
    partial: Vec<u8>,
}

impl RequestUnpacker {
    /// Forgets a partly received request.
    pub fn clear(&mut self) {
        self.partial.clear();
    }

    /// Takes one report (id first); returns the request it completes. Reports of another id
    /// than [`RX_REPORT`] are ignored; a request growing past 256 bytes is dropped.
    pub fn push(&mut self, report: &[u8]) -> Option<Vec<u8>> {
        let (&id, payload) = report.split_first()?;
        if id != RX_REPORT {
            return None;
        }
        self.partial
            .extend_from_slice(&payload[..payload.len().min(PAYLOAD)]);
        match request_len(&self.partial) {
            Some(Ok(n)) if n <= self.partial.len() => {
                let frame = self.partial[..n].to_vec();
                self.partial.clear();
                Some(frame)
            }
            Some(Err(())) => {
                let end = self
                    .partial
                    .iter()
                    .rposition(|&b| b != 0)
                    .map_or(0, |i| i + 1)
                    .max(2)
                    .min(self.partial.len());
                let frame = self.partial[..end].to_vec();
                self.partial.clear();
                Some(frame)
            }
            _ => {
                if self.partial.len() > MAX_FRAME {
                    self.partial.clear();
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        assert_eq!(with_crc(&[1, 3, 0, 0, 0, 0x0a])[6..], [0xc5, 0xcd]);
        let reports = pack(RX_REPORT, &[1, 3, 0, 0x80, 0, 4]);
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0][..7], [0x90, 1, 3, 0, 0x80, 0, 4]);
        assert_eq!(reports[0].len(), 64);
        let mut u = RequestUnpacker::default();
        assert_eq!(u.push(&[TX_REPORT, 1, 3]), None);
        assert_eq!(u.push(&[]), None);
        assert_eq!(
            u.push(&reports[0]).as_deref(),
            Some(&[1, 3, 0, 0x80, 0, 4][..])
        );
        // Write 40 registers: 87 bytes, two reports.
        let mut long = vec![1, 0x10, 0, 0, 0, 40, 80];
        long.extend((0..80).map(|i| i as u8));
        let reports = pack(RX_REPORT, &long);
        assert_eq!(reports.len(), 2);
        assert_eq!(u.push(&reports[0]), None);
        assert_eq!(u.push(&reports[1]).as_deref(), Some(&long[..]));
        // An unknown function: what its report holds.
        assert_eq!(
            u.push(&[RX_REPORT, 1, 0x42, 5, 0, 0]).as_deref(),
            Some(&[1, 0x42, 5][..])
        );
        // Garbage that never completes is dropped, never grows without bound.
        for _ in 0..10 {
            assert_eq!(u.push(&[RX_REPORT, 1, 0x10, 0, 0, 0, 0, 0xff]), None);
        }
        assert!(u.partial.len() <= MAX_FRAME + PAYLOAD);
    }
}
