//! The CyberPower replies, read as C's `powerpanel` reads them: the text protocol's
//! comma-separated `P<n>` answers and its `D` status line (three layouts, read with
//! `sscanf`), and the binary protocol's `F` identification, its value registers and its
//! 14-byte `D` status frame with two check-byte pairs. No I/O here.
//!
//! ```
//! use nut_drivers::powerpanel::reply::{text_status, TextStatus};
//!
//! let mut buf = [0u8; 64];
//! buf[..35].copy_from_slice(b"#I119.0O119.0L000B100T027F060.0S\x01\x01\r");
//! let s: TextStatus = text_status(&buf).unwrap();
//! assert_eq!(s.o_load, 0);
//! assert_eq!(s.i_freq, 60.0);
//! ```

/// Size of C's reply buffers (`SMALLBUF`).
pub const BUF: usize = 512;

/// C's `strtok` over a NUL-terminated buffer from `start`: the byte ranges of the tokens
/// separated by runs of `delim`. Like `strtok`, a delimiter that ends a token is
/// overwritten with a NUL in `buf`.
pub fn strtok(buf: &mut [u8], start: usize, delim: u8) -> Vec<(usize, usize)> {
    let end = buf[start.min(buf.len())..]
        .iter()
        .position(|&b| b == 0)
        .map_or(buf.len(), |p| start + p);
    let mut out = Vec::new();
    let mut i = start;
    while i < end {
        while i < end && buf[i] == delim {
            i += 1;
        }
        if i >= end {
            break;
        }
        let from = i;
        while i < end && buf[i] != delim {
            i += 1;
        }
        out.push((from, i));
        if i < end {
            buf[i] = 0;
            i += 1;
        }
    }
    out
}

/// The tokens of a text reply (after its first character) as strings.
pub fn text_fields(buf: &[u8]) -> Vec<String> {
    let mut b = buf.to_vec();
    strtok(&mut b, 1, b',')
        .into_iter()
        .map(|(s, e)| String::from_utf8_lossy(&b[s..e]).into_owned())
        .collect()
}

/// C's `str_rtrim(s, ' ')`.
pub fn rtrim(s: &str) -> &str {
    s.trim_end_matches(' ')
}

/// C's `strtol(s, NULL, 10)` (as a `long`).
pub fn strtol(s: &str) -> i64 {
    nut_driver_api::status::c_strtol(s)
}

/// C's `strtod(s, NULL)` for decimal numbers (no hexadecimal, `inf` or `nan`).
pub fn strtod(s: &str) -> f64 {
    scan_float(s.as_bytes()).map_or(0.0, |(x, _)| x)
}

fn skip_space(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .count();
    &b[n..]
}

/// `%f` (or `strtod`): spaces, a decimal number; the number and the rest.
fn scan_float(b: &[u8]) -> Option<(f64, &[u8])> {
    let t = skip_space(b);
    let mut i = usize::from(matches!(t.first(), Some(b'-' | b'+')));
    let int = t[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if t.get(i) == Some(&b'.') {
        frac = t[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if int + frac > 0 {
            i += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(t.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(t.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let exp = t[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp > 0 {
            i = j + exp;
        }
    }
    let x = std::str::from_utf8(&t[..i]).ok()?.parse::<f64>().ok()?;
    Some((x, &t[i..]))
}

/// `%d`: spaces, a sign, digits; the number (stored in an `int` as glibc does) and the rest.
fn scan_int(b: &[u8]) -> Option<(i32, &[u8])> {
    let t = skip_space(b);
    let sign = usize::from(matches!(t.first(), Some(b'-' | b'+')));
    let digits = t[sign..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut n: i64 = 0;
    for &c in &t[sign..sign + digits] {
        n = n.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if t.first() == Some(&b'-') {
        n = n.saturating_neg();
    }
    Some((n as i32, &t[sign + digits..]))
}

/// One converted `sscanf` field.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    F(f32),
    D(i32),
    C([u8; 2]),
}

/// C's `sscanf` for formats of literal characters, `%f`, `%d` and `%2c` over a
/// NUL-terminated buffer: the fields converted before the first mismatch.
fn sscanf(buf: &[u8], format: &str) -> Vec<Field> {
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let mut rest = &buf[..len];
    let mut out = Vec::new();
    let mut f = format.as_bytes();
    while let Some((&c, tail)) = f.split_first() {
        if c != b'%' {
            if rest.first() != Some(&c) {
                break;
            }
            rest = &rest[1..];
            f = tail;
            continue;
        }
        match tail {
            [b'f', t @ ..] => {
                let Some((x, r)) = scan_float(rest) else {
                    break;
                };
                out.push(Field::F(x as f32));
                rest = r;
                f = t;
            }
            [b'd', t @ ..] => {
                let Some((x, r)) = scan_int(rest) else { break };
                out.push(Field::D(x));
                rest = r;
                f = t;
            }
            [b'2', b'c', t @ ..] => {
                if rest.len() < 2 {
                    break;
                }
                out.push(Field::C([rest[0], rest[1]]));
                rest = &rest[2..];
                f = t;
            }
            _ => break,
        }
    }
    out
}

/// The text protocol's status reply.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TextStatus {
    /// Input voltage.
    pub i_volt: f32,
    /// Output voltage.
    pub o_volt: f32,
    /// Load (%).
    pub o_load: i32,
    /// Battery charge (%).
    pub b_chrg: i32,
    /// Temperature.
    pub u_temp: i32,
    /// Input frequency.
    pub i_freq: f32,
    /// The two status bytes.
    pub flags: [u8; 2],
    /// Battery voltage (long layout only).
    pub b_volt: Option<f32>,
    /// Output frequency (long layout only).
    pub o_freq: Option<f32>,
    /// Runtime in minutes (second and long layouts).
    pub runtime: Option<i32>,
}

/// The short layouts of the status reply (the first 35 bytes, `buf` being C's whole reply
/// buffer with what earlier replies left behind): `None` when neither matches, and the
/// driver reads 23 more bytes for the long layout ([`text_status_long`]).
pub fn text_status(buf: &[u8]) -> Option<TextStatus> {
    let mut s = TextStatus::default();
    let got = sscanf(buf, "#I%fO%fL%dB%dT%dF%fS%2c\r");
    if got.len() >= 7 {
        fill(&mut s, &got, &[0, 1, 2, 3, 4, 5, 9]);
        return Some(s);
    }
    let got = sscanf(buf, "#I%fO%fL%dB%dF%fR%dS%2c\r");
    if got.len() >= 7 {
        fill(&mut s, &got, &[0, 1, 2, 3, 5, 8, 9]);
        s.runtime = Some(s.runtime.unwrap_or(0));
        return Some(s);
    }
    None
}

/// The long layout of the status reply (58 bytes, with battery voltage, output frequency
/// and runtime): `None` when fewer than seven fields convert. Fields that do not convert
/// read as 0 (C leaves them as the stack had them).
pub fn text_status_long(buf: &[u8]) -> Option<TextStatus> {
    let got = sscanf(buf, "#I%fO%fL%dB%dV%fT%dF%fH%fR%dC%dQ%fS%2c\r");
    if got.len() < 7 {
        return None;
    }
    let mut s = TextStatus {
        b_volt: Some(0.0),
        o_freq: Some(0.0),
        runtime: Some(0),
        ..TextStatus::default()
    };
    fill(&mut s, &got, &[0, 1, 2, 3, 6, 4, 5, 7, 8, 10, 10, 9]);
    Some(s)
}

/// Stores the converted fields in the slots `order` names: 0 input volts, 1 output volts,
/// 2 load, 3 charge, 4 temperature, 5 frequency, 6 battery volts, 7 output frequency,
/// 8 runtime, 9 flags, 10 ignored.
fn fill(s: &mut TextStatus, got: &[Field], order: &[usize]) {
    for (field, slot) in got.iter().zip(order) {
        match (*slot, *field) {
            (0, Field::F(x)) => s.i_volt = x,
            (1, Field::F(x)) => s.o_volt = x,
            (2, Field::D(x)) => s.o_load = x,
            (3, Field::D(x)) => s.b_chrg = x,
            (4, Field::D(x)) => s.u_temp = x,
            (5, Field::F(x)) => s.i_freq = x,
            (6, Field::F(x)) => s.b_volt = Some(x),
            (7, Field::F(x)) => s.o_freq = Some(x),
            (8, Field::D(x)) => s.runtime = Some(x),
            (9, Field::C(c)) => s.flags = c,
            _ => {}
        }
    }
}

/// The status words of a text status (`OB`/`OL`, `LB`, `TRIM`/`BOOST`, `TEST`, `OFF`).
pub fn text_words(s: &TextStatus) -> Vec<&'static str> {
    let f = s.flags[0];
    let mut w = vec![if f & 0x40 != 0 { "OB" } else { "OL" }];
    if f & 0x20 != 0 {
        w.push("LB");
    }
    if f & 0x48 == 0 {
        w.extend(avr(f64::from(s.o_volt), f64::from(s.i_volt)));
    }
    if f & 0x08 != 0 {
        w.push("TEST");
    }
    if f == 0 {
        w.push("OFF");
    }
    w
}

fn avr(o: f64, i: f64) -> Option<&'static str> {
    if o < 0.5 * i {
        None
    } else if o < 0.95 * i {
        Some("TRIM")
    } else if o < 1.05 * i || o >= 1.5 * i {
        None
    } else {
        Some("BOOST")
    }
}

/// C's `%g` for the few values the driver prints with it.
pub fn fmt_g(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "nan".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let e = format!("{x:.5e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let mant = mant.trim_end_matches('0').trim_end_matches('.');
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let prec = (5 - exp).max(0) as usize;
    let s = format!("{x:.prec$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// The binary protocol's model series: PR (the default) or the older OP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Series {
    /// PR series: raw values.
    #[default]
    Pr,
    /// OP series (and models reported as `rOnn`): approximations.
    Op,
}

/// A value of a binary register and the byte the UPS uses for it.
pub type ValTab = &'static [(&'static str, i8)];

const TRAN_HIGH_PR: ValTab = &[
    ("138", -9),
    ("139", -8),
    ("140", -7),
    ("141", -6),
    ("142", -5),
    ("143", -4),
    ("144", -3),
    ("145", -2),
    ("146", -1),
    ("147", 0),
];
const TRAN_HIGH_OP: ValTab = &[
    ("140", -5),
    ("141", -4),
    ("142", -3),
    ("143", -2),
    ("144", -1),
    ("145", 0),
    ("146", 1),
    ("147", 2),
    ("148", 3),
    ("149", 4),
    ("150", 5),
];
const TRAN_LOW_PR: ValTab = &[
    ("88", 0),
    ("89", 1),
    ("90", 2),
    ("91", 3),
    ("92", 4),
    ("93", 5),
    ("94", 6),
    ("95", 7),
    ("96", 8),
    ("97", 9),
];
const TRAN_LOW_OP: ValTab = &[
    ("85", -5),
    ("86", -4),
    ("87", -3),
    ("88", -2),
    ("89", -1),
    ("90", 0),
    ("91", 1),
    ("92", 2),
    ("93", 3),
    ("94", 4),
    ("95", 5),
];
const BATT_LOW_PR: ValTab = &[
    ("25", -6),
    ("30", -5),
    ("35", -3),
    ("40", -1),
    ("45", 0),
    ("50", 2),
    ("55", 4),
    ("60", 6),
];
const BATT_LOW_OP: ValTab = &[
    ("15", -8),
    ("18", -7),
    ("19", -6),
    ("20", -5),
    ("22", -4),
    ("24", -3),
    ("25", -2),
    ("26", -1),
    ("28", 0),
    ("30", 1),
    ("32", 2),
    ("34", 3),
    ("35", 4),
    ("36", 5),
    ("38", 6),
    ("40", 7),
];
const OUT_VOLT_PR: ValTab = &[("110", -10), ("120", 0), ("130", 10)];
const OUT_VOLT_OP: ValTab = &[
    ("110", -2),
    ("115", -1),
    ("120", 0),
    ("124", 1),
    ("128", 2),
    ("130", 3),
];
const YES_NO: ValTab = &[("yes", 2), ("no", 0)];

/// A binary register: the variable, its register byte, its values for PR and OP units.
#[derive(Debug, Clone, Copy)]
pub struct Register {
    /// The variable.
    pub var: &'static str,
    /// The register (`R<reg>\r` reads it, `Q<reg><value>\r` writes it).
    pub reg: u8,
    /// The values of the PR and the OP series.
    pub map: [ValTab; 2],
}

impl Register {
    /// The values for `series`.
    pub fn values(&self, series: Series) -> ValTab {
        self.map[series as usize]
    }

    /// The value the UPS byte `byte` means. As in C, where the table's bytes are signed
    /// and the reply's unsigned, a negative table byte never matches.
    pub fn lookup(&self, series: Series, byte: u8) -> Option<&'static str> {
        self.values(series)
            .iter()
            .find(|(_, b)| i16::from(*b) == i16::from(byte))
            .map(|(v, _)| *v)
    }
}

/// The binary protocol's writable variables.
pub const REGISTERS: [Register; 5] = [
    Register {
        var: "input.transfer.high",
        reg: 0x02,
        map: [TRAN_HIGH_PR, TRAN_HIGH_OP],
    },
    Register {
        var: "input.transfer.low",
        reg: 0x04,
        map: [TRAN_LOW_PR, TRAN_LOW_OP],
    },
    Register {
        var: "battery.charge.low",
        reg: 0x08,
        map: [BATT_LOW_PR, BATT_LOW_OP],
    },
    Register {
        var: "ups.start.battery",
        reg: 0x0f,
        map: [YES_NO, YES_NO],
    },
    Register {
        var: "output.voltage.nominal",
        reg: 0x18,
        map: [OUT_VOLT_PR, OUT_VOLT_OP],
    },
];

/// Older models' numeric model names.
pub const MODELS: [(&str, &str); 10] = [
    ("rO10", "OP1000AVR"),
    ("rO27", "OP320AVR"),
    ("rO29", "OP500AVR"),
    ("rO31", "OP800AVR"),
    ("rO33", "OP850AVR"),
    ("rO37", "OP900AVR"),
    ("rO39", "OP650AVR"),
    ("rO41", "OP700AVR"),
    ("rO43", "OP1250AVR"),
    ("rO45", "OP1500AVR"),
];

/// What the binary `F` reply tells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BinaryIdent {
    /// `ups.model`.
    pub model: Option<String>,
    /// `input.voltage.nominal`.
    pub voltage: Option<u8>,
    /// `input.frequency.nominal`.
    pub frequency: Option<u8>,
    /// `ups.firmware`.
    pub firmware: Option<String>,
}

/// The series of a binary `F` reply (C's line buffer, starting with `.`).
pub fn series(buf: &[u8]) -> Series {
    if buf.get(1..3) == Some(b"OP") || buf.get(1..3) == Some(b"rO") {
        Series::Op
    } else {
        Series::Pr
    }
}

/// Reads the binary `F` reply (C's line buffer: `.`, model, `.`, nominal voltage byte,
/// `.`, nominal frequency byte, `.`, four firmware characters).
pub fn binary_ident(line: &[u8]) -> BinaryIdent {
    let mut b = line.to_vec();
    b.resize(line.len().max(BUF) + 4, 0);
    let toks = strtok(&mut b, 1, b'.');
    let mut id = BinaryIdent::default();
    let text = |s: &[u8]| String::from_utf8_lossy(s).into_owned();
    if let Some(&(s, e)) = toks.first() {
        let tok = &b[s..e];
        id.model = Some(
            MODELS
                .iter()
                .find(|(k, _)| tok.starts_with(k.as_bytes()))
                .map_or_else(|| rtrim(&text(tok)).to_owned(), |(_, m)| (*m).to_owned()),
        );
    }
    if let Some(&(s, _)) = toks.get(1) {
        id.voltage = Some(b[s]);
    }
    if let Some(&(s, _)) = toks.get(2) {
        id.frequency = Some(b[s]);
    }
    if let Some(&(s, _)) = toks.get(3) {
        // `%c.%c%c%c`: the characters as they are in the buffer; a NUL ends the value.
        let mut v = vec![b[s], b'.', b[s + 1], b[s + 2], b[s + 3]];
        if let Some(p) = v.iter().position(|&c| c == 0) {
            v.truncate(p);
        }
        id.firmware = Some(text(&v));
    }
    id
}

/// The binary status frame: `#`, input and output voltage, load, a filler, charge,
/// temperature, frequency, a filler, four flag bytes (each pair adding up to 255), `\r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinaryStatus(pub [u8; 14]);

/// Length of the binary status frame.
pub const FRAME: usize = 14;

impl BinaryStatus {
    /// The frame, when its flag pairs check.
    pub fn parse(frame: &[u8]) -> Option<Self> {
        let mut f = [0u8; FRAME];
        let n = frame.len().min(FRAME);
        f[..n].copy_from_slice(&frame[..n]);
        if u16::from(f[9]) + u16::from(f[10]) != 255 || u16::from(f[11]) + u16::from(f[12]) != 255 {
            return None;
        }
        Some(Self(f))
    }

    /// The first flag byte.
    pub fn flags(&self) -> u8 {
        self.0[9]
    }

    /// The values as C prints them: input voltage, output voltage (`None` when the
    /// nominal output voltage stands in), load, charge, temperature, frequency.
    pub fn values(&self, series: Series) -> [(&'static str, Option<String>); 6] {
        let f = &self.0;
        let (iv, ov, load, chrg, temp, freq) = (f[1], f[2], f[3], f[5], f[6], f[7]);
        let nominal = self.flags() & 0x84 != 0;
        match series {
            Series::Op => [
                ("input.voltage", Some(op_volt(iv).to_string())),
                // C prints the input voltage here for OP units.
                (
                    "output.voltage",
                    (!nominal).then(|| op_volt(iv).to_string()),
                ),
                ("ups.load", Some(op_load(load).to_string())),
                ("battery.charge", Some(op_chrg(chrg).to_string())),
                (
                    "ups.temperature",
                    Some(format!("{:.1}", f64::from(op_temp(temp)))),
                ),
                (
                    "input.frequency",
                    Some(format!("{:.1}", f64::from(op_freq(freq)))),
                ),
            ],
            Series::Pr => [
                ("input.voltage", Some(iv.to_string())),
                ("output.voltage", (!nominal).then(|| ov.to_string())),
                ("ups.load", Some(load.to_string())),
                ("battery.charge", Some(chrg.to_string())),
                ("ups.temperature", Some(temp.to_string())),
                (
                    "input.frequency",
                    Some(format!(
                        "{:.1}",
                        if freq == 0 {
                            0.0
                        } else {
                            45.0 + f64::from(freq as f32 / 10.0)
                        }
                    )),
                ),
            ],
        }
    }

    /// `ups.beeper.status`.
    pub fn beeper(&self) -> &'static str {
        if self.flags() & 0x01 != 0 {
            "enabled"
        } else {
            "disabled"
        }
    }

    /// The status words (`OB`/`OL`, `LB`, `TRIM`/`BOOST`, `TEST`, `OFF`).
    pub fn words(&self) -> Vec<&'static str> {
        let f = self.flags();
        let mut w = vec![if f & 0x80 != 0 { "OB" } else { "OL" }];
        if f & 0x40 != 0 {
            w.push("LB");
        }
        if f & 0x84 == 0 {
            w.extend(avr(f64::from(self.0[2]), f64::from(self.0[1])));
        }
        if f & 0x04 != 0 {
            w.push("TEST");
        }
        if f == 0 {
            w.push("OFF");
        }
        w
    }
}

/// OP units: the approximate voltage of a byte.
pub fn op_volt(x: u8) -> i32 {
    if x < 26 {
        return 0;
    }
    (f32::from(x) * 200.0 / 230.0 + 6.0) as i32
}

/// OP units: the approximate load of a byte.
pub fn op_load(x: u8) -> i32 {
    if x > 108 {
        return 200;
    }
    i32::from(x) * 200 / 108
}

/// OP units: the approximate charge of a byte.
pub fn op_chrg(x: u8) -> i32 {
    if x > 197 {
        100
    } else if x < 151 {
        0
    } else {
        (i32::from(x) - 151) * 100 / 46
    }
}

/// OP units: the approximate temperature of a byte.
pub fn op_temp(x: u8) -> f32 {
    (f64::from(f32::from(x) / 32.0).powi(2) + 10.0) as f32
}

/// OP units: the approximate frequency of a byte.
pub fn op_freq(x: u8) -> f32 {
    (12600.0 / (f64::from(x) + 32.0)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(s: &[u8]) -> Vec<u8> {
        let mut b = s.to_vec();
        b.resize(BUF, 0);
        b
    }

    #[test]
    fn text_layouts() {
        let s = text_status(&buf(b"#I119.0O119.0L000B100T027F060.0S\x01\x02")).unwrap();
        assert_eq!(
            (s.i_volt, s.u_temp, s.flags, s.runtime),
            (119.0, 27, [1, 2], None)
        );
        let s = text_status(&buf(b"#I118.0O118.0L029B100F060.0R0218S\x41\x01")).unwrap();
        assert_eq!(s.runtime, Some(218));
        assert_eq!(text_words(&s), ["OB"]);
        let long = b"#I120.0O120.0L010B100V27.2T025F060.0H060.0R0099C00Q0.0S\x01\x01\r";
        assert_eq!(long.len(), 58);
        assert!(text_status(&buf(long)).is_none());
        let s = text_status_long(&buf(long)).unwrap();
        assert_eq!(
            (s.b_volt, s.o_freq, s.runtime, s.u_temp),
            (Some(27.2), Some(60.0), Some(99), 25)
        );
        assert!(text_status_long(&buf(b"#I1")).is_none());
        let s = text_status(&buf(b"#I200.0O180.0L000B100T027F060.0S\x01\x01")).unwrap();
        assert_eq!(text_words(&s), ["OL", "TRIM"]);
    }

    #[test]
    fn tokens_and_numbers() {
        assert_eq!(
            text_fields(&buf(b"#BC1200     ,1.600,000000000000,CYBER POWER")),
            ["BC1200     ", "1.600", "000000000000", "CYBER POWER"]
        );
        assert_eq!(fmt_g(12.0), "12");
        assert_eq!(fmt_g(8.5), "8.5");
        assert_eq!(fmt_g(1234567.0), "1.23457e+06");
        assert_eq!(fmt_g(0.0001), "0.0001");
        assert_eq!(strtod("008.0"), 8.0);
    }

    #[test]
    fn binary_frames() {
        let id = binary_ident(&buf(b".PR2200    .x.<.1100"));
        assert_eq!(id.model.as_deref(), Some("PR2200"));
        assert_eq!((id.voltage, id.frequency), (Some(b'x'), Some(b'<')));
        assert_eq!(id.firmware.as_deref(), Some("1.100"));
        assert_eq!(
            binary_ident(&buf(b".rO45xx.x.<.1")).model.as_deref(),
            Some("OP1500AVR")
        );
        assert_eq!(
            binary_ident(&buf(b".rO45xx.x.<.1")).firmware.as_deref(),
            Some("1.")
        );
        let f = BinaryStatus::parse(&[
            b'#', 230, 230, 20, 0, 100, 30, 50, 0, 0x01, 0xfe, 0, 255, b'\r',
        ])
        .unwrap();
        assert_eq!(f.words(), ["OL"]);
        assert_eq!(f.values(Series::Pr)[5].1.as_deref(), Some("50.0"));
        assert!(BinaryStatus::parse(&[0; 14]).is_none());
        assert_eq!(REGISTERS[0].lookup(Series::Pr, 0), Some("147"));
        assert_eq!(REGISTERS[0].lookup(Series::Pr, 0xf7), None);
        assert_eq!((op_chrg(197), op_chrg(196), op_chrg(150)), (100, 97, 0));
    }
}
