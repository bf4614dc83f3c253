//! The commands that change an emulated device while it runs: the shared syntax of the device
//! file's `at` lines and of the control file, and the line tokenizer both use.

use std::time::Duration;

use crate::hex;

/// One word of a device-file line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text, with quotes removed and escapes resolved.
    pub text: String,
    /// True when the word was written in double quotes.
    pub quoted: bool,
}

/// Splits a line into words: whitespace separates words, `"..."` keeps spaces (escapes `\"`,
/// `\\`, `\n`, `\t`, `\xNN`), and a `#` at the start of an unquoted word starts a comment.
pub fn tokenize(line: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        if first == '#' {
            break;
        }
        if first == '"' {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some('x') => {
                            let hi = chars.next().and_then(|c| c.to_digit(16));
                            let lo = chars.next().and_then(|c| c.to_digit(16));
                            match (hi, lo) {
                                (Some(hi), Some(lo)) => {
                                    text.push(char::from(u8::try_from(hi * 16 + lo).unwrap_or(0)))
                                }
                                _ => return Err("bad \\x escape in quoted text".to_owned()),
                            }
                        }
                        Some(other) => text.push(other),
                        None => return Err("backslash at the end of the line".to_owned()),
                    },
                    other => text.push(other),
                }
            }
            if !closed {
                return Err("unterminated quoted text".to_owned());
            }
            words.push(Word { text, quoted: true });
        } else {
            let mut text = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                text.push(c);
                chars.next();
            }
            words.push(Word {
                text,
                quoted: false,
            });
        }
    }
    Ok(words)
}

/// Quotes text for a device file so that [`tokenize`] gives it back unchanged.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Joins the words of a free-text value: one quoted word is taken as is, several words are
/// joined with single spaces.
pub fn text_value(words: &[Word]) -> Result<String, String> {
    match words {
        [] => Err("a text value is missing".to_owned()),
        [one] => Ok(one.text.clone()),
        many => Ok(many
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")),
    }
}

/// Which transfers a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// GET_REPORT / SET_REPORT of one report id.
    Report(u8),
    /// Interrupt IN transfers.
    Interrupt,
    /// Every report request and interrupt transfer.
    All,
}

/// What a faulty request does instead of its normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The device stalls the pipe (LIBUSB_ERROR_PIPE).
    Stall,
    /// The transfer fails with this libusb error code.
    Error(i32),
    /// The device answers bytes that do not belong to the report asked for.
    Garbage,
    /// The device does not answer: the call sleeps its timeout and fails with LIBUSB_ERROR_TIMEOUT.
    Timeout,
}

/// One change to a running device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The device is unplugged: open handles fail with LIBUSB_ERROR_NO_DEVICE, it leaves the list.
    Unplug,
    /// The device comes back, optionally at a new address.
    Plug {
        /// New device address, or keep the old one.
        address: Option<u8>,
    },
    /// Sets (or patches the start of) a feature report: bytes with the report id first.
    Feature(Vec<u8>),
    /// Sets (or patches the start of) an input report: bytes with the report id first.
    Input(Vec<u8>),
    /// Queues an interrupt IN report (report id first) and updates the stored input report.
    Interrupt(Vec<u8>),
    /// Queues bytes for the next bulk IN transfer.
    Bulk(Vec<u8>),
    /// Makes requests to a target fail.
    Fault {
        /// What is affected.
        target: Target,
        /// How it fails.
        fault: Fault,
        /// Only the next request fails.
        once: bool,
    },
    /// Removes the faults of a target.
    Clear(Target),
    /// Sets a string descriptor.
    String(u8, String),
}

/// Parses a duration: `5s`, `1.5s`, `500ms`, `2m`, or plain seconds (at most 10^7 s, exact to
/// the nanosecond).
pub fn parse_duration(word: &str) -> Result<Duration, String> {
    let (number, per_unit_nanos) = if let Some(n) = word.strip_suffix("ms") {
        (n, 1_000_000u128)
    } else if let Some(n) = word.strip_suffix('s') {
        (n, 1_000_000_000)
    } else if let Some(n) = word.strip_suffix('m') {
        (n, 60_000_000_000)
    } else {
        (word, 1_000_000_000)
    };
    let bad = || format!("`{word}` is not a duration (like 5s, 500ms, 2m)");
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !digits(whole) || !digits(fraction) {
        return Err(bad());
    }
    let whole: u128 = whole.parse().map_err(|_| bad())?;
    // The fraction, in units of 10^-18 (exact for up to 18 digits; more are dropped).
    let mut frac: u128 = 0;
    for (i, b) in fraction.bytes().take(18).enumerate() {
        frac += u128::from(b - b'0') * 10u128.pow(17 - u32::try_from(i).unwrap_or(17));
    }
    let nanos = whole * per_unit_nanos + frac * per_unit_nanos / 1_000_000_000_000_000_000;
    if nanos > 10_000_000 * 1_000_000_000 {
        return Err(format!("`{word}` is out of range"));
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| bad())?;
    let sub = u32::try_from(nanos % 1_000_000_000).map_err(|_| bad())?;
    Ok(Duration::new(secs, sub))
}

/// Formats a duration so that [`parse_duration`] reads it back exactly.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        format!("{}s", d.as_secs())
    } else if nanos % 1_000_000 == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}.{nanos:09}s", d.as_secs())
    }
}

/// Maps an error name (`io`, `pipe`, `no-device`, ... or a negative number) to a libusb code.
pub fn parse_error_name(word: &str) -> Result<i32, String> {
    let code = match word.to_ascii_lowercase().replace('_', "-").as_str() {
        "io" => -1,
        "invalid-param" => -2,
        "access" => -3,
        "no-device" | "nodev" => -4,
        "not-found" => -5,
        "busy" => -6,
        "timeout" => -7,
        "overflow" => -8,
        "pipe" => -9,
        "interrupted" => -10,
        "no-mem" => -11,
        "not-supported" => -12,
        "other" => -99,
        other => match other.strip_prefix('-').map(|n| hex::parse_decimal(n, 99)) {
            Some(Ok(n)) if n > 0 => -i32::try_from(n).unwrap_or(99),
            _ => return Err(format!("unknown error name `{word}` (io, pipe, no-device, busy, access, timeout, overflow, other, or -N)")),
        },
    };
    Ok(code)
}

/// The device-file name of a libusb error code.
pub fn error_name(code: i32) -> String {
    match code {
        -1 => "io".to_owned(),
        -2 => "invalid-param".to_owned(),
        -3 => "access".to_owned(),
        -4 => "no-device".to_owned(),
        -5 => "not-found".to_owned(),
        -6 => "busy".to_owned(),
        -7 => "timeout".to_owned(),
        -8 => "overflow".to_owned(),
        -9 => "pipe".to_owned(),
        -10 => "interrupted".to_owned(),
        -11 => "no-mem".to_owned(),
        -12 => "not-supported".to_owned(),
        -99 => "other".to_owned(),
        n => n.to_string(),
    }
}

fn parse_target(word: &str) -> Result<Target, String> {
    match word {
        "interrupt" => Ok(Target::Interrupt),
        "all" => Ok(Target::All),
        id => hex::parse_number(id, 0xff)
            .map(|n| Target::Report(u8::try_from(n).unwrap_or(0)))
            .map_err(|e| format!("{e} (a report id, `interrupt` or `all`)")),
    }
}

fn format_target(target: Target) -> String {
    match target {
        Target::Report(id) => format!("{id:02x}"),
        Target::Interrupt => "interrupt".to_owned(),
        Target::All => "all".to_owned(),
    }
}

fn hex_words(words: &[Word], what: &str) -> Result<Vec<u8>, String> {
    let bytes = hex::parse_bytes(words.iter().map(|w| w.text.as_str()))?;
    if bytes.is_empty() {
        return Err(format!("{what} needs hex bytes"));
    }
    Ok(bytes)
}

impl Command {
    /// Reads a command from the words of a line (the keyword first). `Ok(None)` when the
    /// keyword is not a command.
    pub fn from_words(words: &[Word]) -> Result<Option<Self>, String> {
        let Some((keyword, rest)) = words.split_first() else {
            return Ok(None);
        };
        let command = match keyword.text.as_str() {
            "unplug" => {
                if !rest.is_empty() {
                    return Err("`unplug` takes no arguments".to_owned());
                }
                Self::Unplug
            }
            "plug" => match rest {
                [] => Self::Plug { address: None },
                [a, n] if a.text == "address" => {
                    let n = hex::parse_decimal(&n.text, 127)?;
                    Self::Plug {
                        address: Some(u8::try_from(n).unwrap_or(1)),
                    }
                }
                _ => return Err("usage: plug [address N]".to_owned()),
            },
            "feature" => Self::Feature(hex_words(rest, "feature")?),
            "input" => Self::Input(hex_words(rest, "input")?),
            "interrupt" => Self::Interrupt(hex_words(rest, "interrupt")?),
            "bulk" => Self::Bulk(hex_words(rest, "bulk")?),
            kind @ ("stall" | "garbage" | "timeout" | "error") => {
                let (target, rest) = match rest.split_first() {
                    Some((t, rest)) => (parse_target(&t.text)?, rest),
                    None => return Err(format!("usage: {kind} ID|interrupt|all [once]")),
                };
                let (fault, rest) = match kind {
                    "stall" => (Fault::Stall, rest),
                    "garbage" => (Fault::Garbage, rest),
                    "timeout" => (Fault::Timeout, rest),
                    _ => match rest.split_first() {
                        Some((name, rest)) => (Fault::Error(parse_error_name(&name.text)?), rest),
                        None => return Err("usage: error ID NAME [once]".to_owned()),
                    },
                };
                let once = match rest {
                    [] => false,
                    [w] if w.text == "once" => true,
                    _ => return Err(format!("unexpected words after `{kind}`")),
                };
                Self::Fault {
                    target,
                    fault,
                    once,
                }
            }
            "clear" => match rest {
                [t] => Self::Clear(parse_target(&t.text)?),
                _ => return Err("usage: clear ID|interrupt|all".to_owned()),
            },
            "string" => match rest.split_first() {
                Some((index, text)) => {
                    let index = hex::parse_decimal(&index.text, 255)?;
                    if index == 0 {
                        return Err("string index 0 is the language table".to_owned());
                    }
                    Self::String(u8::try_from(index).unwrap_or(1), text_value(text)?)
                }
                None => return Err("usage: string INDEX TEXT".to_owned()),
            },
            _ => return Ok(None),
        };
        Ok(Some(command))
    }

    /// Parses one line of command syntax (as written in a control file).
    pub fn parse_line(line: &str) -> Result<Option<Self>, String> {
        let words = tokenize(line)?;
        if words.is_empty() {
            return Ok(None);
        }
        match Self::from_words(&words)? {
            Some(c) => Ok(Some(c)),
            None => Err(format!("unknown command `{}`", words[0].text)),
        }
    }

    /// The command in device-file syntax.
    pub fn to_line(&self) -> String {
        match self {
            Self::Unplug => "unplug".to_owned(),
            Self::Plug { address: None } => "plug".to_owned(),
            Self::Plug { address: Some(a) } => format!("plug address {a}"),
            Self::Feature(b) => format!("feature {}", hex::to_spaced(b)),
            Self::Input(b) => format!("input {}", hex::to_spaced(b)),
            Self::Interrupt(b) => format!("interrupt {}", hex::to_spaced(b)),
            Self::Bulk(b) => format!("bulk {}", hex::to_spaced(b)),
            Self::Fault {
                target,
                fault,
                once,
            } => {
                let once = if *once { " once" } else { "" };
                let target = format_target(*target);
                match fault {
                    Fault::Stall => format!("stall {target}{once}"),
                    Fault::Garbage => format!("garbage {target}{once}"),
                    Fault::Timeout => format!("timeout {target}{once}"),
                    Fault::Error(code) => format!("error {target} {}{once}", error_name(*code)),
                }
            }
            Self::Clear(target) => format!("clear {}", format_target(*target)),
            Self::String(index, text) => format!("string {index} {}", quote(text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        tokenize(line)
            .unwrap_or_default()
            .into_iter()
            .map(|w| w.text)
            .collect()
    }

    #[test]
    fn tokenizer() {
        assert_eq!(words("a  b\t c # d"), ["a", "b", "c"]);
        assert_eq!(
            words(r#"product "Back-UPS c1 " x"#),
            ["product", "Back-UPS c1 ", "x"]
        );
        assert_eq!(words(r#""a\"b\\c\x41""#), ["a\"b\\cA"]);
        assert_eq!(words("a#b"), ["a#b"]);
        assert!(tokenize("\"open").is_err());
        assert!(tokenize("\"bad \\xg\"").is_err());
        let text = "odd \"chars\"\\ \x01 é";
        let quoted = quote(text);
        assert_eq!(words(&quoted), [text]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1e9s").is_err());
        assert_eq!(parse_duration("0.000000001s"), Ok(Duration::from_nanos(1)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("1.2.3s").is_err());
        for d in ["5s", "250ms", "1.5s", "0.123456789s", "2.0000000015s"] {
            let parsed = parse_duration(d).unwrap_or_default();
            assert_eq!(parse_duration(&format_duration(parsed)), Ok(parsed));
        }
    }

    #[test]
    fn commands_round_trip() {
        for line in [
            "unplug",
            "plug",
            "plug address 9",
            "feature 0c 64",
            "input 0b 04 00",
            "interrupt 0b 04 00",
            "bulk 28 32 0d",
            "stall 0c",
            "stall interrupt once",
            "garbage 0c",
            "timeout all",
            "error 0c io",
            "error 0c no-device once",
            "clear 0c",
            "clear all",
            "string 4 \"PbAc\"",
        ] {
            let command = Command::parse_line(line);
            let Ok(Some(command)) = command else {
                panic!("{line}: {command:?}");
            };
            assert_eq!(command.to_line(), line);
        }
        assert_eq!(
            Command::parse_line("error 0c -5"),
            Ok(Some(Command::Fault {
                target: Target::Report(12),
                fault: Fault::Error(-5),
                once: false
            }))
        );
        assert_eq!(Command::parse_line("# only a comment"), Ok(None));
        for bad in [
            "frobnicate",
            "feature",
            "feature 0g",
            "stall",
            "error 0c",
            "error 0c weird",
            "plug 3",
            "string 0 x",
            "unplug now",
        ] {
            assert!(Command::parse_line(bad).is_err(), "{bad}");
        }
    }
}
