//! What C NUT 2.8.0's apcsmart knows about the protocol: which command character reads
//! which variable and how its value is converted, which characters are instant commands,
//! and the command sets of old firmware that cannot say them itself.

/// Poll this variable at every update (not only at the hourly full scan).
pub const POLL: u32 = 0x100;
/// A string variable the user may set (8 characters at most).
pub const STRING: u32 = 0x800;
/// One of several characters for the same variable (or several variables for one
/// character): the first that answers in the expected shape wins.
pub const MULTI: u32 = 0x1000;
/// A comma-separated value spread over `ambient.N.*` variables.
pub const PACK: u32 = 0x2000;
/// The longest string variable.
pub const STRING_LEN: usize = 8;
/// Most sub-values of a packed variable.
pub const PACK_MAX: usize = 4;

/// How a device value becomes a NUT value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// As it is.
    Leave,
    /// Hours, published as seconds.
    Hours,
    /// Minutes, published as seconds.
    Minutes,
    /// A transfer reason letter, published as words.
    Reason,
}

/// One variable the protocol can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarDef {
    /// The NUT name.
    pub name: &'static str,
    /// The command character.
    pub cmd: u8,
    /// [`POLL`], [`STRING`], [`MULTI`], [`PACK`].
    pub flags: u32,
    /// The conversion.
    pub format: Format,
    /// The shape a [`MULTI`] answer must have.
    pub shape: Option<Shape>,
}

/// The shapes C checks `MULTI` answers against (C uses regular expressions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// `NN.NN` (a temperature).
    TwoDotTwo,
    /// `NNN.N` (an uptime in hours).
    ThreeDotOne,
    /// Three dot-separated alphanumeric parts (a new firmware version).
    Firmware,
}

impl Shape {
    /// Whether `v` has this shape.
    pub fn matches(self, v: &str) -> bool {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        match self {
            Self::TwoDotTwo => v
                .split_once('.')
                .is_some_and(|(a, b)| digits(a, 2) && digits(b, 2)),
            Self::ThreeDotOne => v
                .split_once('.')
                .is_some_and(|(a, b)| digits(a, 3) && digits(b, 1)),
            Self::Firmware => {
                let parts: Vec<&str> = v.split('.').collect();
                parts.len() == 3
                    && parts
                        .iter()
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
            }
        }
    }
}

const fn var(name: &'static str, cmd: u8, flags: u32, format: Format) -> VarDef {
    VarDef {
        name,
        cmd,
        flags,
        format,
        shape: None,
    }
}

const fn multi(name: &'static str, cmd: u8, flags: u32, format: Format, shape: Shape) -> VarDef {
    VarDef {
        name,
        cmd,
        flags: flags | MULTI,
        format,
        shape: Some(shape),
    }
}

use Format::{Hours, Leave, Minutes, Reason};

/// The variables, in C's order (which is also the order of preference for [`MULTI`]).
pub const VARS: &[VarDef] = &[
    var("ups.temperature", b'C', POLL, Leave),
    var("ups.load", b'P', POLL, Leave),
    var("ups.test.interval", b'E', 0, Hours),
    var("ups.test.result", b'X', POLL, Leave),
    var("ups.delay.start", b'r', 0, Leave),
    var("ups.delay.shutdown", b'p', 0, Leave),
    var("ups.id", b'c', STRING, Leave),
    var("ups.contacts", b'i', POLL, Leave),
    var("ups.display.language", 0x0c, 0, Leave),
    var("input.voltage", b'L', POLL, Leave),
    var("input.frequency", b'F', POLL, Leave),
    var("input.sensitivity", b's', 0, Leave),
    var("input.quality", b'9', POLL, Leave),
    var("input.transfer.low", b'l', 0, Leave),
    var("input.transfer.high", b'u', 0, Leave),
    var("input.transfer.reason", b'G', POLL, Reason),
    var("input.voltage.maximum", b'M', POLL, Leave),
    var("input.voltage.minimum", b'N', POLL, Leave),
    var("output.current", b'/', POLL, Leave),
    var("output.voltage", b'O', POLL, Leave),
    var("output.voltage.nominal", b'o', 0, Leave),
    var("ambient.humidity", b'h', POLL, Leave),
    var("ambient.0.humidity", b'H', POLL | PACK, Leave),
    var("ambient.0.humidity.high", b'{', POLL | PACK, Leave),
    var("ambient.0.humidity.low", b'}', POLL | PACK, Leave),
    var("ambient.temperature", b't', POLL, Leave),
    multi(
        "ambient.0.temperature",
        b'T',
        POLL | PACK,
        Leave,
        Shape::TwoDotTwo,
    ),
    var("ambient.0.temperature.high", b'[', POLL | PACK, Leave),
    var("ambient.0.temperature.low", b']', POLL | PACK, Leave),
    var("battery.date", b'x', STRING, Leave),
    var("battery.charge", b'f', POLL, Leave),
    var("battery.charge.restart", b'e', 0, Leave),
    var("battery.voltage", b'B', POLL, Leave),
    var("battery.voltage.nominal", b'g', 0, Leave),
    var("battery.runtime", b'j', POLL, Minutes),
    var("battery.runtime.low", b'q', 0, Minutes),
    var("battery.packs", b'>', 0, Leave),
    var("battery.packs.bad", b'<', 0, Leave),
    var("battery.alarm.threshold", b'k', 0, Leave),
    multi("device.uptime", b'T', POLL, Hours, Shape::ThreeDotOne),
    var("ups.serial", b'n', 0, Leave),
    var("ups.mfr.date", b'm', 0, Leave),
    var("ups.model", 0x01, 0, Leave),
    var("ups.firmware.aux", b'v', 0, Leave),
    multi("ups.firmware", b'b', 0, Leave, Shape::Firmware),
    VarDef {
        name: "ups.firmware",
        cmd: b'V',
        flags: MULTI,
        format: Leave,
        shape: None,
    },
];

/// How an instant command is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmdKind {
    /// Send the character, expect `OK`.
    Plain,
    /// Send the character twice about 1.5 s apart, expect `OK` (or nothing for `Z`).
    Repeat,
    /// Needs to be asked twice within 3 to 15 s before it runs.
    Nasty,
    /// Both.
    NastyRepeat,
}

/// One instant command: NUT name, the extra argument it takes, the device character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmdDef {
    /// The NUT name.
    pub name: &'static str,
    /// Which argument selects this entry.
    pub arg: CmdArg,
    /// The device character.
    pub cmd: u8,
    /// How it is sent.
    pub kind: CmdKind,
}

/// The argument an instant command entry accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmdArg {
    /// None.
    None,
    /// `at:N` (1 to 3 digits).
    At,
    /// Nothing, an empty string or `cs`.
    EmptyOrCs,
}

impl CmdArg {
    /// Whether `arg` selects this entry.
    pub fn accepts(self, arg: Option<&str>) -> bool {
        match self {
            Self::None => arg.is_none(),
            Self::At => arg.is_some_and(|a| {
                a.len() > 3
                    && a[..3].eq_ignore_ascii_case("at:")
                    && (1..=3).contains(&(a.len() - 3))
                    && a[3..].bytes().all(|b| b.is_ascii_digit())
            }),
            Self::EmptyOrCs => {
                let a = arg.unwrap_or("");
                a.is_empty() || a.eq_ignore_ascii_case("cs")
            }
        }
    }
}

const fn cmd(name: &'static str, arg: CmdArg, cmd: u8, kind: CmdKind) -> CmdDef {
    CmdDef {
        name,
        arg,
        cmd,
        kind,
    }
}

/// The instant commands, in C's order.
pub const CMDS: &[CmdDef] = &[
    cmd("shutdown.return", CmdArg::At, b'@', CmdKind::Nasty),
    cmd("shutdown.return", CmdArg::EmptyOrCs, b'S', CmdKind::Nasty),
    cmd("shutdown.stayoff", CmdArg::None, b'K', CmdKind::NastyRepeat),
    cmd("load.off", CmdArg::None, b'Z', CmdKind::NastyRepeat),
    cmd("load.on", CmdArg::None, 0x0e, CmdKind::Repeat),
    cmd("calibrate.start", CmdArg::None, b'D', CmdKind::Plain),
    cmd("calibrate.stop", CmdArg::None, b'D', CmdKind::Plain),
    cmd("test.panel.start", CmdArg::None, b'A', CmdKind::Plain),
    cmd("test.failure.start", CmdArg::None, b'U', CmdKind::Plain),
    cmd("test.battery.start", CmdArg::None, b'W', CmdKind::Plain),
    cmd("test.battery.stop", CmdArg::None, b'W', CmdKind::Plain),
    cmd("bypass.start", CmdArg::None, b'^', CmdKind::Plain),
    cmd("bypass.stop", CmdArg::None, b'^', CmdKind::Plain),
];

/// Characters in a command set that are neither variables nor commands.
pub const UNREPORTED: &[u8] = b"\x1a\x7f~')-+8QRYayz";

/// Command sets of firmware that does not answer `a`, by the `V` answer.
pub const COMPAT: &[(&str, &[u8])] = &[
    ("0XI", MATRIX),
    ("0XM", MATRIX),
    ("0ZI", MATRIX_OLD),
    ("5UI", MATRIX_OLD),
    ("5ZM", MATRIX_OLD),
    ("6QD", SMART),
    ("6QI", SMART),
    ("6TD", SMART),
    ("6TI", SMART),
    ("7QD", SMART),
    ("7QI", SMART),
    ("7TD", SMART),
    ("7TI", SMART),
    ("6JI", b"@789ABCFGKLMNOPQSTUVWXYZfg"),
    ("7II", SMART_I),
    ("9II", SMART_I),
    ("9GI", SMART_I),
    ("8II", SMART_I),
    ("8GI", b"@79ABCEFGKLMNOPQRSUVWXYZfg"),
    ("8QD", SMART),
    ("8QI", SMART),
    ("8TD", SMART),
    ("8TI", SMART),
    ("5.4.D", b"@\x01ABPQRSUYbdfgjmnx9"),
    ("set\x01", b"@789ABCFGKLMNOPQRSUVWXYZ"),
];

const MATRIX: &[u8] = b"@789ABCDEFGKLMNOPQRSTUVWXYZcefgjklmnopqrsuwxz/<>\\^\x0c\x16";
const MATRIX_OLD: &[u8] = b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz/<>";
const SMART: &[u8] = b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz";
const SMART_I: &[u8] = b"@79ABCEFGKLMNOPQRSUVWXYZcfg";

/// Converts a device value to the NUT value (C's `convert_data`).
pub fn convert(format: Format, raw: &str) -> String {
    match format {
        Leave => raw.to_owned(),
        Hours => (3600 * c_strtol10(raw)).to_string(),
        Minutes => (60 * c_strtol10(raw)).to_string(),
        Reason => match raw.as_bytes().first() {
            Some(b'R') => "unacceptable utility voltage rate of change".into(),
            Some(b'H') => "high utility voltage".into(),
            Some(b'L') => "low utility voltage".into(),
            Some(b'T') => "line voltage notch or spike".into(),
            Some(b'O') => "no transfers yet since turnon".into(),
            Some(b'S') => "simulated power failure or UPS test".into(),
            _ => raw.to_owned(),
        },
    }
}

/// C's `strtol(s, NULL, 10)` without overflow: leading blanks, a sign, digits.
pub fn c_strtol10(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    // Small enough that the callers' multiplications cannot overflow.
    let n = n.min(i64::MAX / 3600);
    if neg {
        -n
    } else {
        n
    }
}

/// The printable name of a command character, as C logs it.
pub fn show(c: u8) -> String {
    if c.is_ascii_graphic() || c == b' ' {
        char::from(c).to_string()
    } else {
        format!("0x{c:02x}")
    }
}
