//! PowerCom's families (C's `types` table) and the options that override their entries.

/// How the serial line is prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowControl {
    /// DTR off, RTS on: powers a passive cable.
    Dtr0Rts1,
    /// Software flow control off.
    None,
}

impl FlowControl {
    /// C's name of the method.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dtr0Rts1 => "dtr0rts1",
            Self::None => "no_flow_control",
        }
    }
}

/// One family's entry: frame length, line set-up, validation, shutdown delays and the
/// coefficients of the linear conversions (single precision, as C keeps them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TypeEntry {
    /// The family name (`type` option).
    pub name: &'static str,
    /// Bytes in a status frame.
    pub frame_len: usize,
    /// Line set-up.
    pub flow: FlowControl,
    /// Three (byte index, required value) checks of a frame.
    pub validation: [(u32, u32); 3],
    /// Shutdown delay: minutes, seconds.
    pub delay: [u8; 2],
    /// Whether the minutes are sent (C: the character is not `n`).
    pub use_minutes: u8,
    /// Frequency: 1/(A*x+B).
    pub freq: [f32; 2],
    /// Load: A*x+B on battery, then on line.
    pub loadpct: [f32; 4],
    /// Battery: A*x+B*load+C on battery, D*x+E on line.
    pub battpct: [f32; 5],
    /// Voltage: A*x+B at 220 V and more, then below.
    pub voltage: [f32; 4],
}

// One row of the table: an argument per column, in C's order.
#[allow(clippy::too_many_arguments)]
const fn entry(
    name: &'static str,
    frame_len: usize,
    flow: FlowControl,
    validation: [(u32, u32); 3],
    delay: ([u8; 2], u8),
    freq: [f32; 2],
    loadpct: [f32; 4],
    battpct: [f32; 5],
    voltage: [f32; 4],
) -> TypeEntry {
    TypeEntry {
        name,
        frame_len,
        flow,
        validation,
        delay: delay.0,
        use_minutes: delay.1,
        freq,
        loadpct,
        battpct,
        voltage,
    }
}

const STD_LOAD: [f32; 4] = [6.1343, -0.3808, 4.3110, 0.1811];
const STD_BATT: [f32; 5] = [5.0000, 0.3268, -825.00, 4.5639, -835.82];
const STD_VOLT: [f32; 4] = [1.9216, -0.0977, 0.9545, 0.0000];
const STD_FREQ: [f32; 2] = [0.00020997, 0.00020928];
const RAW_LOAD: [f32; 4] = [1.0, 0.0, 1.0, 0.0];
const RAW_BATT: [f32; 5] = [1.0, 0.0, 0.0, 1.0, 0.0];
const RAW_VOLT: [f32; 4] = [2.0, 0.0, 2.0, 0.0];

/// The families in C's order (the first is the default).
pub const TYPES: [TypeEntry; 8] = [
    entry(
        "Trust",
        11,
        FlowControl::Dtr0Rts1,
        [(5, 0), (7, 0), (8, 0)],
        ([0, 10], b'n'),
        STD_FREQ,
        STD_LOAD,
        STD_BATT,
        STD_VOLT,
    ),
    entry(
        "Egys",
        16,
        FlowControl::None,
        [(5, 0x80), (7, 0), (8, 0)],
        ([0, 10], b'n'),
        STD_FREQ,
        [6.1343, -0.3808, 1.3333, 0.6667],
        [5.0000, 0.3268, -825.00, 2.2105, -355.37],
        STD_VOLT,
    ),
    entry(
        "KP625AP",
        16,
        FlowControl::Dtr0Rts1,
        [(5, 0x80), (7, 0), (8, 0)],
        ([0, 10], b'n'),
        STD_FREQ,
        STD_LOAD,
        STD_BATT,
        STD_VOLT,
    ),
    entry(
        "IMP",
        16,
        FlowControl::None,
        [(5, 0xff), (7, 0), (8, 0)],
        ([1, 30], b'y'),
        STD_FREQ,
        STD_LOAD,
        STD_BATT,
        STD_VOLT,
    ),
    entry(
        "KIN",
        16,
        FlowControl::None,
        [(11, 0x4b), (8, 0), (8, 0)],
        ([1, 30], b'y'),
        [0.00020997, 0.0],
        [6.1343, -0.3808, 1.075, 0.1811],
        [5.0000, 0.3268, -825.00, 0.46511, 0.0],
        [1.9216, -0.0977, 0.82857, 0.0000],
    ),
    entry(
        "BNT",
        16,
        FlowControl::None,
        [(11, 0x42), (8, 0), (8, 0)],
        ([1, 30], b'y'),
        [0.00020803, 0.0],
        [1.4474, 0.0, 0.8594, 0.0],
        [5.0000, 0.3268, -825.00, 0.46511, 0.0],
        [1.9216, -0.0977, 0.82857, 0.0000],
    ),
    entry(
        "BNT-other",
        16,
        FlowControl::None,
        [(8, 0), (8, 0), (8, 0)],
        ([1, 30], b'y'),
        [0.00027778, 0.0000],
        RAW_LOAD,
        RAW_BATT,
        RAW_VOLT,
    ),
    entry(
        "OPTI",
        16,
        FlowControl::None,
        [(5, 0xff), (7, 0), (8, 0)],
        ([1, 30], b'y'),
        [0.0, 0.0],
        RAW_LOAD,
        RAW_BATT,
        RAW_VOLT,
    ),
];

/// C's `sscanf` for the option formats: literal characters must match, `u` an unsigned
/// decimal, `x` a hexadecimal number, `b` (`%hhu`) a byte, `c` one character, `f` a
/// float. Returns the numbers converted (characters as their code) until the first
/// mismatch.
pub fn scan(input: &str, format: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let s = input.as_bytes();
    let mut i = 0;
    let mut fmt = format.bytes();
    while let Some(f) = fmt.next() {
        if f != b'%' {
            if s.get(i) != Some(&f) {
                return out;
            }
            i += 1;
            continue;
        }
        let conv = fmt.next().unwrap_or(b'%');
        if conv != b'c' {
            while s.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
        }
        let rest = &s[i.min(s.len())..];
        let (value, used) = match conv {
            b'c' => match s.get(i) {
                Some(&c) => (f64::from(c), 1),
                None => return out,
            },
            b'u' | b'b' => match integer(rest, 10) {
                Some((v, n)) => (
                    if conv == b'b' {
                        f64::from(v as u8)
                    } else {
                        f64::from(v as u32)
                    },
                    n,
                ),
                None => return out,
            },
            b'x' => match integer(rest, 16) {
                Some((v, n)) => (f64::from(v as u32), n),
                None => return out,
            },
            b'f' => match float(rest) {
                Some((v, n)) => (v, n),
                None => return out,
            },
            _ => return out,
        };
        out.push(value);
        i += used;
    }
    out
}

/// A signed integer in `radix` (hexadecimal may start with `0x`), wrapping as C's
/// conversions do: the value and the bytes used.
fn integer(b: &[u8], radix: u32) -> Option<(i64, usize)> {
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    if radix == 16
        && b.get(i) == Some(&b'0')
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        i += 2;
    }
    let start = i;
    let mut v: i64 = 0;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(radix)) {
        v = v.wrapping_mul(i64::from(radix)).wrapping_add(i64::from(d));
        i += 1;
    }
    (i > start).then_some((if neg { v.wrapping_neg() } else { v }, i))
}

/// A decimal float (sign, digits, point, exponent), or `inf`/`nan`: value and bytes used.
fn float(b: &[u8]) -> Option<(f64, usize)> {
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    for word in ["infinity", "inf", "nan"] {
        if b.len() >= i + word.len() && b[i..i + word.len()].eq_ignore_ascii_case(word.as_bytes()) {
            let n = i + word.len();
            let v: f64 = if word == "nan" {
                f64::NAN
            } else {
                f64::INFINITY
            };
            return Some((if b[0] == b'-' { -v } else { v }, n));
        }
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - st
    };
    let mut n = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        if digits(&mut j) > 0 {
            i = j;
        }
    }
    std::str::from_utf8(&b[..i])
        .ok()?
        .parse::<f64>()
        .ok()
        .map(|v| (v, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_like_sscanf() {
        assert_eq!(scan("{{1,30},y}", "{{%b,%b},%c}"), [1.0, 30.0, 121.0]);
        assert_eq!(scan("{{1,30},", "{{%b,%b},%c}"), [1.0, 30.0]);
        assert_eq!(scan("{{300,30},n}", "{{%b,%b},%c}"), [44.0, 30.0, 110.0]);
        assert_eq!(
            scan("{{5,0x80},{7, 0},{8,ff}}", "{{%u,%x},{%u,%x},{%u,%x}}"),
            [5.0, 128.0, 7.0, 0.0, 8.0, 255.0]
        );
        assert_eq!(scan("{1.5e-3,-2}", "{%f,%f}"), [0.0015, -2.0]);
        assert_eq!(scan("{x,1}", "{%f,%f}"), Vec::<f64>::new());
        assert_eq!(scan("{-1,1}", "{%u,%u}"), [4294967295.0, 1.0]);
        // A character is a byte, as in C; what follows it is not a number.
        assert_eq!(scan("{é,1}", "{%c,%u}"), [195.0]);
        assert_eq!(scan("{-INF,nan}", "{%f,%f}").len(), 2);
    }
}
