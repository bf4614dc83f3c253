//! The wire format of Tripp Lite's older USB protocol, without any I/O: command frames,
//! the protocol generations, and what each reply means.
//!
//! A command is one 8-byte SET_REPORT (feature report 0): `:`, the command (a letter and up
//! to 3 argument bytes), a checksum (255 minus the sum of the command's bytes), `\r`, zeros.
//! The reply is one 8-byte interrupt IN report that starts with the command's letter. Values
//! are ASCII hex digits, except on protocol `3005`, which writes them in binary.

use std::fmt::Write as _;

/// The size of a command frame and of a reply.
pub const FRAME: usize = 8;

/// The longest command: C's driver refuses more than 5 bytes with the NUL that the checksum
/// replaces.
pub const MAX_COMMAND: usize = 4;

/// A reply as it came from the interrupt pipe.
pub type Reply = [u8; FRAME];

/// What can be wrong with a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// More than [`MAX_COMMAND`] bytes (or none).
    #[error("send_cmd(): Trying to pass too many characters to UPS ({0})")]
    CommandLength(usize),
}

/// The protocol generations (C's `tl_model`), from the unit's answer to the NUL query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// A protocol number C does not know.
    Unknown,
    /// `1001`: OMNIVS.
    Omnivs,
    /// `2001`: OMNIVS 2001.
    Omnivs2001,
    /// `3003`: SMARTPRO.
    SmartPro,
    /// `0004`: older SMART.
    Smart0004,
    /// `3005`: binary SMART.
    Smart3005,
}

impl Model {
    /// The generation of a protocol number.
    pub fn from_protocol(number: u16) -> Self {
        match number {
            0x0004 => Self::Smart0004,
            0x1001 => Self::Omnivs,
            0x2001 => Self::Omnivs2001,
            0x3003 => Self::SmartPro,
            0x3005 => Self::Smart3005,
            _ => Self::Unknown,
        }
    }

    /// Whether values are binary (`3005`).
    pub fn is_binary(self) -> bool {
        self == Self::Smart3005
    }

    /// Whether this is the SMART family.
    pub fn is_smart(self) -> bool {
        matches!(self, Self::SmartPro | Self::Smart0004 | Self::Smart3005)
    }

    /// Whether this is an OMNIVS (either protocol).
    pub fn is_omnivs(self) -> bool {
        matches!(self, Self::Omnivs | Self::Omnivs2001)
    }

    /// What C logs about the protocol.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unknown => "Unknown protocol",
            Self::Omnivs => "Using OMNIVS protocol",
            Self::Omnivs2001 => "Using OMNIVS 2001 protocol",
            Self::SmartPro => "Using SMARTPRO protocol",
            Self::Smart0004 => "Using older SMART protocol",
            Self::Smart3005 => "Using binary SMART protocol",
        }
    }
}

/// The checksum of a command: 255 minus the sum of its bytes.
pub fn checksum(command: &[u8]) -> u8 {
    255u8.wrapping_sub(command.iter().fold(0u8, |a, &b| a.wrapping_add(b)))
}

/// The frame of a command (a letter and up to 3 argument bytes).
pub fn frame(command: &[u8]) -> Result<[u8; FRAME], ProtocolError> {
    if command.is_empty() || command.len() > MAX_COMMAND {
        return Err(ProtocolError::CommandLength(command.len() + 1));
    }
    let mut out = [0u8; FRAME];
    out[0] = b':';
    out[1..=command.len()].copy_from_slice(command);
    out[command.len() + 1] = checksum(command);
    out[command.len() + 2] = b'\r';
    Ok(out)
}

/// Whether `reply` answers the command `frame` carries (it starts with the letter).
pub fn answers(frame: &[u8; FRAME], reply: &[u8]) -> bool {
    reply.first() == Some(&frame[1])
}

/// C's `toprint`: letters and digits as they are, anything else as `.`.
pub fn toprint(b: u8) -> char {
    if b.is_ascii_alphanumeric() {
        char::from(b)
    } else {
        '.'
    }
}

/// C's `hexascdump`: each byte in hex followed by a space, then the bytes quoted with
/// [`toprint`] (`30 30 35 30 30 58 0d '00500X.'`).
pub fn hexascdump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 + 2);
    for b in bytes {
        let _ = write!(out, "{b:02x} ");
    }
    out.push('\'');
    out.extend(bytes.iter().map(|&b| toprint(b)));
    out.push('\'');
    out
}

/// C's `strtol(text, NULL, 16)` on the first `len` bytes (stopping at a NUL): leading
/// white space, a sign, an optional `0x`, then hex digits; 0 when there are none; saturated
/// on overflow.
pub fn hex2d(bytes: &[u8], len: usize) -> i64 {
    let end = bytes
        .iter()
        .take(len.min(31))
        .position(|&b| b == 0)
        .unwrap_or(len.min(31).min(bytes.len()));
    let text = &bytes[..end];
    let mut i = 0;
    while i < text.len() && matches!(text[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = match text.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    if text.get(i) == Some(&b'0')
        && matches!(text.get(i + 1), Some(b'x' | b'X'))
        && text.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        i += 2;
    }
    let mut value: i64 = 0;
    let mut overflow = false;
    while let Some(d) = text.get(i).and_then(|&b| char::from(b).to_digit(16)) {
        match value
            .checked_mul(16)
            .and_then(|v| v.checked_add(i64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    match (overflow, negative) {
        (true, false) => i64::MAX,
        (true, true) => i64::MIN,
        (false, true) => -value,
        (false, false) => value,
    }
}

/// C's `bin2d`: `len` bytes big-endian (wrapping past 32 bits as C's `unsigned int`).
pub fn bin2d(bytes: &[u8], len: usize) -> u32 {
    bytes
        .iter()
        .take(len)
        .fold(0u32, |v, &b| (v << 8) | u32::from(b))
}

/// C's `hex_or_bin2d`: binary on `3005`, hex digits otherwise.
pub fn hex_or_bin2d(model: Model, bytes: &[u8], len: usize) -> i64 {
    if model.is_binary() {
        i64::from(bin2d(bytes, len))
    } else {
        hex2d(bytes, len)
    }
}

/// C's `strtol(text, NULL, 10)` on the bytes up to a NUL.
pub fn dec2d(bytes: &[u8]) -> i64 {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    nut_driver_api::status::c_strtol(&String::from_utf8_lossy(&bytes[..end]))
}

/// The unit's configuration, from its `V` reply (C's `decode_v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The nominal input voltage (`input.voltage.nominal`).
    pub input_nominal: i64,
    /// The voltage readings are scaled to.
    pub input_scaled: i64,
    /// The nominal battery voltage.
    pub battery_nominal: i64,
    /// The number of switchable load banks.
    pub load_banks: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            input_nominal: 120,
            input_scaled: 120,
            battery_nominal: 12,
            load_banks: 0,
        }
    }
}

impl Config {
    /// Updates the configuration from a `V` reply, as C does (fields it cannot read keep
    /// their previous value); returns what C logs about it.
    pub fn decode_v(&mut self, model: Model, v: &Reply) -> Vec<String> {
        let mut notes = Vec::new();
        self.battery_nominal = if model.is_binary() {
            i64::from(u16::from_be_bytes([v[2], v[3]]))
        } else {
            hex2d(&v[2..], 2) * 6
        };
        let (ivn, lb) = (v[1], v[4]);
        match ivn {
            b'0' => (self.input_nominal, self.input_scaled) = (100, 100),
            2 | b'1' => (self.input_nominal, self.input_scaled) = (120, 120),
            b'2' | 6 => (self.input_nominal, self.input_scaled) = (230, 230),
            b'3' => (self.input_nominal, self.input_scaled) = (208, 230),
            _ => notes.push(format!("Unknown input voltage range: 0x{ivn:02x}")),
        }
        if lb.is_ascii_digit() {
            self.load_banks = i64::from(lb - b'0');
        } else if model.is_binary() {
            self.load_banks = i64::from(lb);
        } else if lb != b'X' {
            notes.push(format!(
                "Unknown number of switchable load banks: 0x{lb:02x}"
            ));
        }
        notes
    }
}

/// What an `S` reply says (C's `upsdrv_updateinfo`, status part).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// The status words, in C's order.
    pub words: Vec<&'static str>,
    /// `battery.test.status`, when the reply sets it.
    pub test_status: Option<&'static str>,
    /// Messages C logs for values it does not know (C then marks the data stale).
    pub unknown: Vec<String>,
}

/// Decodes an `S` reply.
pub fn decode_status(model: Model, s: &Reply) -> Status {
    let mut out = Status::default();
    let digit = |b: u8| {
        if model.is_binary() {
            u32::from(b) + u32::from(b'0')
        } else {
            u32::from(b)
        }
    };
    let is = |v: u32, c: u8| v == u32::from(c);
    if model == Model::Omnivs {
        match s[2] {
            b'0' => out.words.push("OL"),
            b'1' => out.words.push("OB"),
            b'2' => out.words.push("BYPASS"),
            b'3' => {}
            other => out
                .unknown
                .push(format!("Unknown value for s[2]: 0x{other:02x}")),
        }
    }
    if model.is_smart() || model == Model::Omnivs2001 {
        let s2 = digit(s[2]);
        if is(s2, b'0') {
            out.test_status = Some("Battery OK");
        } else if is(s2, b'1') {
            out.test_status = Some("Battery bad - replace");
        } else if is(s2, b'2') {
            out.words.push("CAL");
        } else if is(s2, b'3') {
            out.words.push("OVER");
            out.test_status = Some("Overcurrent?");
        } else if is(s2, b'4') {
        } else if is(s2, b'5') {
            out.words.push("OVER");
            out.test_status = Some("Battery fail - overcurrent?");
        } else {
            out.unknown
                .push(format!("Unknown value for s[2]: 0x{:02x}", s[2]));
        }
        if s[4] & 4 != 0 {
            out.words.push("OFF");
        } else if s[4] & 1 != 0 {
            out.words.push("OB");
        } else {
            out.words.push("OL");
        }
    }
    let s1 = digit(s[1]);
    if is(s1, b'0') {
        out.words.push("LB");
    } else if is(s1, b'1') {
    } else if is(s1, b'2') && model == Model::SmartPro {
        out.words.push("RB");
    } else {
        out.unknown
            .push(format!("Unknown value for s[1]: 0x{:02x}", s[1]));
    }
    out
}

/// C's battery charge estimate from the voltage of a 12 V block: 10 % at `min` or below,
/// 100 % at `max` or above, the square root of the position in between.
pub fn battery_charge(block_volts: f64, min: f64, max: f64) -> i64 {
    if block_volts >= max {
        100
    } else if block_volts <= min {
        10
    } else {
        let q = 100.0 * ((block_volts - min) / (max - min)).sqrt();
        // C's (int) cast: truncation, saturating as Rust's cast does.
        q as i64
    }
}

/// C's `"%.Nf"` for a value (Rust rounds halves to even where C's printf does too: both
/// round the exact binary value).
pub fn fixed(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_as_c_sends_them() {
        assert_eq!(frame(b"\0").unwrap(), [b':', 0, 0xff, b'\r', 0, 0, 0, 0]);
        assert_eq!(
            frame(b"W\0").unwrap(),
            [b':', b'W', 0, 0xa8, b'\r', 0, 0, 0]
        );
        assert_eq!(frame(b"N\0\x40").unwrap()[4], 0xff - b'N' - 0x40);
        assert_eq!(frame(b""), Err(ProtocolError::CommandLength(1)));
        assert_eq!(frame(b"K1234"), Err(ProtocolError::CommandLength(6)));
        let f = frame(b"S").unwrap();
        assert!(answers(&f, b"S100"));
        assert!(!answers(&f, b"P"));
        assert!(!answers(&f, b""));
    }

    #[test]
    fn number_parsing_as_c() {
        assert_eq!(hex2d(b"7B82", 2), 0x7b);
        assert_eq!(hex2d(b"0E10D6", 4), 0x0e10);
        assert_eq!(hex2d(b")\x00", 1), 0);
        assert_eq!(hex2d(b" -1f", 4), -0x1f);
        assert_eq!(hex2d(b"0x1", 3), 1);
        assert_eq!(hex2d(b"0xg", 3), 0);
        assert_eq!(hex2d(b"12\x0034", 4), 0x12);
        assert_eq!(hex2d(&[b'f'; 40], 40), i64::MAX);
        assert_eq!(hex2d(b"", 3), 0);
        assert_eq!(bin2d(&[0x01, 0xf3], 2), 499);
        assert_eq!(dec2d(b"00500X\r"), 500);
        assert_eq!(hexascdump(b"00500X\r"), "30 30 35 30 30 58 0d '00500X.'");
    }

    #[test]
    fn configuration_and_status() {
        let mut c = Config::default();
        assert!(c.decode_v(Model::SmartPro, b"V1083XX\r").is_empty());
        assert_eq!(
            c,
            Config {
                input_nominal: 120,
                input_scaled: 120,
                battery_nominal: 48,
                load_banks: 3
            }
        );
        c.decode_v(Model::Smart3005, &[b'V', 6, 0, 12, 1, b'X', b'X', b'\r']);
        assert_eq!(
            (c.input_nominal, c.battery_nominal, c.load_banks),
            (230, 12, 1)
        );
        let notes = c.decode_v(Model::Omnivs, b"V9a2?XX\r");
        assert_eq!(notes.len(), 2, "{notes:?}");

        let s = decode_status(Model::SmartPro, b"S100\0(0\r");
        assert_eq!(s.words, ["OL"]);
        assert_eq!(s.test_status, Some("Battery OK"));
        let s = decode_status(Model::Smart3005, &[b'S', 0, 2, 0, 1, 19, 0, b'\r']);
        assert_eq!(s.words, ["CAL", "OB", "LB"]);
        let s = decode_status(Model::Omnivs, b"S11\0XXX\r");
        assert_eq!(s.words, ["OB"]);
        assert!(s.test_status.is_none());
        let s = decode_status(Model::Smart0004, b"S29\0\x04\0\0\r");
        assert_eq!(s.words, ["OFF"]);
        assert_eq!(s.unknown.len(), 2);
        assert_eq!(
            decode_status(Model::SmartPro, b"S2\x34\0\0\0\0\r").words,
            ["OL", "RB"]
        );
    }

    #[test]
    fn charge_estimate() {
        assert_eq!(battery_charge(13.4, 11.0, 13.4), 100);
        assert_eq!(battery_charge(11.0, 11.0, 13.4), 10);
        // 0.6 / 2.4 is a little under 0.25 in binary: C truncates to 49 too.
        assert_eq!(battery_charge(11.6, 11.0, 13.4), 49);
        assert_eq!(battery_charge(f64::NAN, 11.0, 13.4), 0);
    }
}
