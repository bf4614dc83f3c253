//! Riello's serial protocols without I/O: building GPSER and SENTR requests, cutting replies
//! out of a byte stream the way C's driver does ([`Receiver`]), checking them, and reading
//! them into [`RielloData`].
//!
//! GPSER frames are `02 <a> <b> <c1> <c2> <n1> <n2> <data> <k1> <k2> <k3> <k4> 03`: a
//! two-letter command, the data length as two digits, data, and a 16-bit check written as
//! four digits. Digits are nibbles offset by `0x30` (`'0'`..`'?'`). The check is either the
//! sum of the bytes after the STX or, when the unit asks for it (its identification's
//! fifth byte), a CRC seeded with `0x554d`. Requests go to address `20 22`; a reply starts
//! with STX and any byte above `0x20`, ends with ETX, and is a NAK when its fourth byte is
//! `0x15`.
//!
//! SENTR units answer a one-byte request (192, 240 or 176) with a binary block of 103
//! bytes whose last two are the little-endian sum of the others; their commands are five
//! bytes `176 <op> <lo> <hi> <sum>`.
//!
//! ```
//! use nut_drivers::riello::frame::{check, gpser, gpser_reply, Kind, Receiver};
//!
//! let request = gpser(b"GI", b"", false);
//! assert_eq!(&request[..7], b"\x02\x20\x22GI00");
//! assert_eq!(check(&request, false), Some(true));
//! // An answer (from address 22 20: any byte above 0x20 after the STX starts one).
//! let reply = gpser_reply(b"GN", b"0", true);
//! let mut rx = Receiver::new();
//! rx.start();
//! for b in &reply {
//!     rx.push(*b, Kind::Gpser, true);
//! }
//! assert!(!rx.waiting);
//! assert!(!rx.bad_crc);
//! assert_eq!(&rx.buf[..rx.len], &reply[..]);
//! ```

/// The size of C's receive buffer: longer replies are cut.
pub const BUFFER_SIZE: usize = 220;

/// SENTR: the request for the extended block.
pub const SENTR_EXT176: u8 = 176;
/// SENTR: the request of units that also answer 240.
pub const SENTR_ALSO240: u8 = 240;
/// SENTR: the request of units that only answer 192.
pub const SENTR_ONLY192: u8 = 192;

/// The protocol a reply is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Riello's GPSER (text frames with a check).
    Gpser,
    /// Riello's SENTR (binary blocks with a sum).
    Sentr,
}

/// The 16-bit check of a GPSER frame of `len` bytes (STX included, check and ETX not):
/// the CRC when `crc`, else the sum of the bytes after the STX.
pub fn gpser_check(frame: &[u8], crc: bool) -> u16 {
    let body = frame.get(1..).unwrap_or(&[]);
    if crc {
        let mut word: u16 = 0x554d;
        for &b in body {
            let mut pom = (word ^ u16::from(b)) & 0xff;
            pom = (pom ^ (pom << 4)) & 0xff;
            pom <<= 8;
            pom ^= pom << 3;
            pom ^= pom >> 4;
            word = (word >> 8) ^ pom;
        }
        word
    } else {
        body.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)))
    }
}

/// `value` as `n` digits (nibbles offset by `0x30`), most significant first.
pub fn digits(value: u32, n: usize) -> Vec<u8> {
    (0..n)
        .rev()
        .map(|i| 0x30 + ((value >> (4 * i)) & 0xf) as u8)
        .collect()
}

/// A GPSER request: command letters, data, the check (CRC when `crc`).
pub fn gpser(cmd: &[u8; 2], data: &[u8], crc: bool) -> Vec<u8> {
    let mut f = vec![0x02, 0x20, 0x22, cmd[0], cmd[1]];
    f.extend(digits(data.len() as u32, 2));
    f.extend_from_slice(data);
    let check = gpser_check(&f, crc);
    f.extend(digits(u32::from(check), 4));
    f.push(0x03);
    f
}

/// A GPSER reply frame as a unit sends it (address `22 20`).
pub fn gpser_reply(cmd: &[u8; 2], data: &[u8], crc: bool) -> Vec<u8> {
    let mut f = gpser(cmd, data, crc);
    f[1] = 0x22;
    f[2] = 0x20;
    let n = f.len();
    let check = gpser_check(&f[..n - 5], crc);
    f.splice(n - 5..n - 1, digits(u32::from(check), 4));
    f
}

/// `CS`: shut the output off after `delay` seconds.
pub fn shutdown(delay: u16, crc: bool) -> Vec<u8> {
    gpser(b"CS", &digits(u32::from(delay), 4), crc)
}

/// `CR`: turn the output on after `delay` seconds.
pub fn restore(delay: u16, crc: bool) -> Vec<u8> {
    let mut data = b"0000".to_vec();
    data.extend(digits(u32::from(delay), 4));
    gpser(b"CR", &data, crc)
}

/// `TB`: a battery test (C asks for five of something, `005`).
pub fn battery_test(crc: bool) -> Vec<u8> {
    gpser(b"TB", b"005", crc)
}

/// A five-byte SENTR command: `176 <op> <lo> <hi> <sum>`.
pub fn sentr_command(op: u8, value: u16) -> Vec<u8> {
    let [lo, hi] = value.to_le_bytes();
    let sum = 176u8.wrapping_add(op).wrapping_add(lo).wrapping_add(hi);
    vec![176, op, lo, hi, sum]
}

/// Whether a whole GPSER frame's check matches (`None` if too short to hold one).
pub fn check(frame: &[u8], crc: bool) -> Option<bool> {
    let n = frame.len();
    if n < 6 {
        return None;
    }
    Some(stored_check(&frame[n - 5..n - 1]) == gpser_check(&frame[..n - 5], crc))
}

/// The check written in four digits, read as C reads it (digit bytes may be anything).
fn stored_check(d: &[u8]) -> u16 {
    let v = |b: u8| i32::from(b) - 0x30;
    (v(d[0]) * 4096 + v(d[1]) * 256 + v(d[2]) * 16 + v(d[3])) as u16
}

/// C's receive state: the last six bytes seen (kept across requests, as C keeps them),
/// whether a frame has begun, the buffer and the verdict of the last frame.
#[derive(Debug, Clone)]
pub struct Receiver {
    last: [u8; 6],
    in_frame: bool,
    /// The frame so far (zeros after it, as C clears its buffer on each header).
    pub buf: [u8; BUFFER_SIZE],
    /// How many bytes of [`Self::buf`] hold the frame.
    pub len: usize,
    /// Whether the frame is still awaited.
    pub waiting: bool,
    /// Whether the last frame was a NAK.
    pub nak: bool,
    /// Whether the last frame's check failed.
    pub bad_crc: bool,
    sentr_len: u8,
}

impl Default for Receiver {
    fn default() -> Self {
        Self::new()
    }
}

impl Receiver {
    /// A receiver that has seen nothing.
    pub fn new() -> Self {
        Self {
            last: [0; 6],
            in_frame: false,
            buf: [0; BUFFER_SIZE],
            len: 0,
            waiting: false,
            nak: false,
            bad_crc: false,
            sentr_len: 0,
        }
    }

    /// Gets ready for a reply (C's `riello_init_serial`).
    pub fn start(&mut self) {
        self.waiting = true;
        self.len = 0;
        self.bad_crc = false;
        self.nak = false;
    }

    fn header(&mut self, kind: Kind, b: u8) -> bool {
        self.last.rotate_left(1);
        self.last[5] = b;
        match kind {
            Kind::Sentr => {
                if (self.last[4] >= 192 && b == 103) || (self.last[4] == 176 && b == 164) {
                    self.sentr_len = b;
                    return true;
                }
                false
            }
            Kind::Gpser => self.len == 0 && b > 0x20 && self.last[4] == 0x02,
        }
    }

    fn tail(&self, kind: Kind) -> bool {
        match kind {
            Kind::Sentr => self.len >= usize::from(self.sentr_len),
            Kind::Gpser => self.last[5] == 0x03,
        }
    }

    /// Takes one received byte (C's `riello_parse_serialport`); `crc` is the check GPSER
    /// frames are read with.
    pub fn push(&mut self, b: u8, kind: Kind, crc: bool) {
        if self.header(kind, b) && !self.in_frame {
            self.in_frame = true;
            self.len = 1;
            self.buf = [0; BUFFER_SIZE];
            self.buf[0] = self.last[4];
        }
        if self.in_frame && self.len < BUFFER_SIZE {
            self.buf[self.len] = b;
            self.len += 1;
        }
        if self.in_frame && self.tail(kind) {
            self.in_frame = false;
            self.last = [0; 6];
            if kind == Kind::Gpser && self.buf[3] == 0x15 {
                self.nak = true;
            }
            self.waiting = false;
            self.bad_crc = !self.check_ok(kind, crc);
        }
    }

    fn check_ok(&self, kind: Kind, crc: bool) -> bool {
        let n = self.len;
        match kind {
            Kind::Sentr => {
                if n < 2 {
                    return true;
                }
                let covered = if n - 2 == 101 { 100 } else { n - 2 };
                let sum = self.buf[..covered]
                    .iter()
                    .fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
                let stored = u16::from(self.buf[n - 2])
                    .wrapping_add(u16::from(self.buf[n - 1]).wrapping_mul(256));
                sum == stored
            }
            Kind::Gpser => {
                if n < 5 {
                    // C reads before its buffer here; such a frame cannot be whole.
                    return false;
                }
                stored_check(&self.buf[n - 5..n - 1]) == gpser_check(&self.buf[..n - 5], crc)
            }
        }
    }
}

/// What C's driver keeps of a unit (its `TRielloData`), the fields it publishes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct RielloData {
    pub model: u16,
    pub sw_version: u16,
    pub u_inp: [u16; 3],
    pub i_inp: [u16; 3],
    pub f_inp: u16,
    pub u_out: [u16; 3],
    pub i_out: [u16; 3],
    pub p_out: [u16; 3],
    pub ip_out: [u16; 3],
    pub f_out: u16,
    pub bat_time: u16,
    pub bat_cap: u16,
    pub u_bat: u16,
    pub i_bat: u16,
    pub t_system: u16,
    pub nom_bat_cap: u16,
    pub u_bypass: [u16; 3],
    pub f_bypass: u16,
    pub lock_ups: bool,
    pub boost: bool,
    pub buck: bool,
    /// The five status bytes.
    pub status: [u8; 5],
    /// Serial number, model and firmware, as the unit sends them.
    pub identification: Vec<u8>,
    pub model_str: Vec<u8>,
    pub version: Vec<u8>,
    pub nom_power_va: u16,
    pub nom_power_w: u16,
    pub nom_u_bat: u16,
    pub num_bat: u8,
    pub nominal_u_out: u16,
    pub nom_f_out: u16,
    /// The identification bytes (type, check kind, …).
    pub ident_bytes: [u8; 12],
    pub pout_va: [u32; 3],
    pub pout_w: [u32; 3],
}

/// Bit `bit` of the bytes from `bytes[0]` on (C's `riello_test_bit`).
pub fn bit(bytes: &[u8], bit: usize) -> bool {
    bytes
        .get(bit / 8)
        .is_some_and(|b| b & (1 << (bit % 8)) != 0)
}

/// A cursor reading digits the way C does (each byte minus `0x30`, products in `int`).
struct Digits<'a> {
    buf: &'a [u8; BUFFER_SIZE],
    at: usize,
}

impl Digits<'_> {
    fn take(&mut self, n: usize) -> i64 {
        let mut v = 0i64;
        for _ in 0..n {
            let b = self.buf.get(self.at).copied().unwrap_or(0);
            v = v * 16 + (i64::from(b) - 0x30);
            self.at += 1;
        }
        v
    }
    fn word(&mut self, n: usize) -> u16 {
        self.take(n) as u16
    }
    fn long(&mut self, n: usize) -> u32 {
        self.take(n) as u32
    }
}

/// NUL-terminated text of C's copies: up to the first NUL.
fn text(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().copied().take_while(|&b| b != 0).collect()
}

/// Reads a `GI` reply: serial, model, firmware, identification bytes.
pub fn parse_gi(buf: &[u8; BUFFER_SIZE], d: &mut RielloData) {
    d.identification = text(&buf[7..23]);
    d.model_str = text(&buf[23..38]);
    d.version = text(&buf[39..51]);
    d.ident_bytes.copy_from_slice(&buf[51..63]);
    d.ident_bytes[11] = 0;
    d.num_bat = d.ident_bytes[7].wrapping_sub(0x30);
}

/// Reads a `GN` reply: ratings. `Err` for a rating C's assertion refuses (65535 and up).
pub fn parse_gn(buf: &[u8; BUFFER_SIZE], d: &mut RielloData) -> Result<(), String> {
    let mut r = Digits { buf, at: 7 };
    let rating = |r: &mut Digits<'_>| -> Result<u16, String> {
        let mut v = r.long(5);
        if d.ident_bytes[0] != b'1' {
            v /= 100;
        }
        if v >= 0xffff {
            return Err(format!("rating {v} out of range"));
        }
        Ok(v as u16)
    };
    let va = rating(&mut r)?;
    let w = rating(&mut r)?;
    d.nom_power_va = va;
    d.nom_power_w = w;
    d.nom_u_bat = r.word(3);
    d.nom_bat_cap = r.word(3);
    d.nominal_u_out = r.word(3);
    d.nom_f_out = r.word(3);
    Ok(())
}

/// Reads an `RS` reply: status and measurements; `numread` (42, 48 or 64, from the phase
/// layout) says which of the per-phase values are there.
pub fn parse_rs(buf: &[u8; BUFFER_SIZE], d: &mut RielloData, numread: usize) {
    d.status.copy_from_slice(&buf[7..12]);
    d.boost = bit(&buf[7..], 9);
    d.buck = bit(&buf[7..], 8);
    d.lock_ups = bit(&buf[7..], 2);
    let mut r = Digits { buf, at: 12 };
    d.f_inp = r.word(3);
    d.u_inp[0] = r.word(3);
    let f = r.word(3);
    d.f_out = if bit(&d.status, 3) { f } else { 0 };
    d.u_out[0] = r.word(3);
    d.p_out[0] = r.word(2);
    d.f_bypass = r.word(3);
    d.u_bypass[0] = r.word(3);
    d.u_bat = r.word(4);
    d.bat_cap = r.word(2);
    d.bat_time = r.word(3);
    if d.bat_time == 0xfff {
        d.bat_time = 0xffff;
    }
    d.t_system = r.word(2);
    if numread > 42 {
        d.u_inp[1] = r.word(3);
        d.u_inp[2] = r.word(3);
    } else {
        d.u_inp[1] = 0;
        d.u_inp[2] = 0;
    }
    if numread > 48 {
        d.u_out[1] = r.word(3);
        d.p_out[1] = r.word(2);
        d.u_bypass[1] = r.word(3);
        d.u_out[2] = r.word(3);
        d.p_out[2] = r.word(2);
        d.u_bypass[2] = r.word(3);
    } else {
        d.u_out[1] = 0;
        d.p_out[1] = 0;
        d.u_bypass[1] = 0;
        d.u_out[2] = 0;
        d.p_out[2] = 0;
        d.u_bypass[2] = 0;
    }
}

/// Reads an `RE` reply: output currents, real and apparent powers per phase.
pub fn parse_re(buf: &[u8; BUFFER_SIZE], d: &mut RielloData) {
    let mut r = Digits { buf, at: 23 };
    d.i_inp = [0xffff; 3];
    for i in 0..3 {
        d.i_out[i] = r.word(4);
    }
    for i in 0..3 {
        d.pout_w[i] = r.long(5);
    }
    for i in 0..3 {
        d.pout_va[i] = r.long(5);
    }
}

/// Reads a SENTR block; returns the request to poll with from now on (176, 240 or 192).
pub fn parse_sentr(buf: &[u8; BUFFER_SIZE], d: &mut RielloData) -> u8 {
    let b = |i: usize| u32::from(buf[i]);
    let w = |i: usize| (b(i) + 256 * b(i + 1)) as u16;
    d.model = w(2);
    let three = d.model >= 3000;
    let base = if three { d.model - 3000 } else { d.model };
    let request = if base % 10 >= 4 {
        if buf[100] & 1 != 0 {
            SENTR_EXT176
        } else {
            SENTR_ALSO240
        }
    } else {
        SENTR_ONLY192
    };
    let kva = base / 10;
    let kw = if buf[76] & 0x08 != 0 {
        (u32::from(kva) * 1000 * 9 / 10 / 1000) as u16
    } else {
        (u32::from(kva) * 1000 * 8 / 10 / 1000) as u16
    };
    d.nom_power_va = kva.wrapping_mul(1000);
    d.nom_power_w = kw.wrapping_mul(1000);
    d.ident_bytes[0] = if three { b'4' } else { b'3' };
    d.ident_bytes[1] = b'3';
    d.ident_bytes[6] = b'2';
    d.sw_version = w(4);
    let v = d.sw_version;
    let digit = |x: u16| b'0' + (x % 10) as u8;
    let mut version = d.version.clone();
    version.resize(version.len().max(5), 0);
    version[..5].copy_from_slice(&[
        digit(v / 1000),
        digit(v / 100),
        b'.',
        digit(v / 10),
        digit(v),
    ]);
    d.version = text(&version);
    let pom = u32::from(base) * 100;
    let tenth = |i: usize| (u32::from(w(i)) / 10) as u16;
    if buf[0] == SENTR_EXT176 {
        d.u_inp = [tenth(117), tenth(119), tenth(121)];
        d.i_inp = [tenth(123), tenth(125), tenth(127)];
        d.u_out = [tenth(135), tenth(137), tenth(139)];
        d.i_out = [tenth(141), tenth(143), tenth(145)];
    } else {
        for i in 0..3 {
            d.u_inp[i] = (b(35 + i) * 230 / 100) as u16;
            d.i_inp[i] = ((pom / 690) * b(38 + i) / 100) as u16;
            d.u_out[i] = if buf[79] & 0x80 != 0 {
                (b(59 + i) * 2) as u16
            } else {
                b(59 + i) as u16
            };
        }
        if buf[73] != 0 {
            let div = b(73);
            d.i_out[0] = if !three {
                ((pom / div) * b(62) / 100) as u16
            } else {
                ((pom / div) * b(62) / 100 / 3) as u16
            };
            d.i_out[1] = ((pom / div) * b(63) / 100 / 3) as u16;
            d.i_out[2] = ((pom / div) * b(64) / 100 / 3) as u16;
        } else {
            d.i_out = [0; 3];
        }
        if d.model & 7 < 4 {
            for i in &mut d.i_out {
                *i = (f64::from(*i) * 0.9) as u16;
            }
        }
    }
    d.f_inp = w(41);
    d.p_out = [b(62) as u16, b(63) as u16, b(64) as u16];
    d.ip_out[0] = (b(65) * 3) as u16;
    if three {
        d.ip_out[1] = (b(66) * 3) as u16;
        d.ip_out[2] = (b(67) * 3) as u16;
    } else {
        d.ip_out[1] = 0;
        d.ip_out[2] = 0;
    }
    d.f_out = w(68);
    d.bat_time = w(6);
    d.bat_cap = b(8) as u16;
    d.u_bat = if buf[0] == SENTR_ALSO240 || buf[0] == SENTR_EXT176 {
        if buf[100] & 0x80 != 0 {
            w(43)
        } else if buf[44] < buf[43] {
            (b(44) * 2) as u16
        } else {
            (b(43) * 2) as u16
        }
    } else {
        w(43)
    };
    d.u_bat = d.u_bat.wrapping_mul(10);
    d.i_bat = w(45);
    if buf[47] == 0 {
        d.i_bat = d.i_bat.wrapping_mul(10);
    }
    d.t_system = b(48) as u16;
    d.nom_bat_cap = w(74);
    match buf[0] {
        SENTR_EXT176 => d.u_bypass = [tenth(129), tenth(131), tenth(133)],
        SENTR_ALSO240 => d.u_bypass = [(b(51) * 2) as u16, (b(53) * 2) as u16, (b(55) * 2) as u16],
        _ => d.u_bypass = [w(51), w(53), w(55)],
    }
    d.f_bypass = w(57);
    let mut s = [0x08u8, 0, 0, 0, 0];
    if buf[31] & 128 != 0 {
        s[4] |= 0x04;
    }
    let bypass = buf[31] & 2 != 0 || [0, 12, 13, 14].iter().any(|&n| bit(&buf[32..], n));
    if bypass && buf[34] & 8 == 0 {
        s[1] |= 0x08;
    }
    if buf[31] & 8 != 0 {
        s[0] |= 0x02;
        if buf[31] & 16 != 0 {
            s[0] |= 0x01;
        }
    }
    if buf[22] & 2 != 0 || buf[34] & 4 != 0 || buf[34] & 8 != 0 {
        s[0] &= 0xf7;
    }
    if buf[31] & 0x40 != 0 {
        s[2] |= 0x01;
    }
    d.status = s;
    request
}
