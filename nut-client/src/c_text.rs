//! What C's libupsclient and libc print and read, for programs that must match C NUT's
//! output byte for byte: `upscli_strerror` texts ([`Error::c_message`]), `strerror`,
//! `strtol` and `atoi`.

use nut_proto::names::{CmdName, UpsName, VarName};
use nut_proto::net::ErrorCode;

use crate::Error;

/// C's `strtol(s, NULL, 10)`: leading blanks, a sign, then as many digits as there are;
/// 0 when there are none. Saturates like C's `LONG_MIN` / `LONG_MAX`.
pub fn c_strtol(s: &str) -> i64 {
    c_strtol_prefix(s).map_or(0, |(v, _)| v)
}

/// C's `strtol` with its end pointer: the value and how many bytes it read, or `None`
/// when no digit was read (the end pointer is the start).
pub fn c_strtol_prefix(s: &str) -> Option<(i64, usize)> {
    let trimmed = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let count = digits.bytes().take_while(u8::is_ascii_digit).count();
    if count == 0 {
        return None;
    }
    let mut value: i64 = 0;
    for b in digits.bytes().take(count) {
        let d = i64::from(b - b'0');
        value = match negative {
            false => value.saturating_mul(10).saturating_add(d),
            true => value.saturating_mul(10).saturating_sub(d),
        };
    }
    Some((value, s.len() - digits.len() + count))
}

/// C's `atoi`: [`c_strtol`] cut to 32 bits as glibc does.
pub fn c_atoi(s: &str) -> i32 {
    c_strtol(s) as i32
}

/// C's `strtod(s, NULL)`: the longest start of `s` (after blanks) that reads as a
/// number; 0 when there is none.
pub fn c_strtod(s: &str) -> f64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let mut end = t
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    while end > 0 {
        if let Ok(v) = t[..end].parse::<f64>() {
            return v;
        }
        end -= 1;
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("inf") || lower.starts_with("+inf") {
        f64::INFINITY
    } else if lower.starts_with("-inf") {
        f64::NEG_INFINITY
    } else if lower.starts_with("nan") {
        f64::NAN
    } else {
        0.0
    }
}

/// C's `printf("%.Nf", v)` (glibc's spelling of infinities and NaN).
pub fn format_fixed(v: f64, decimals: usize) -> String {
    if v.is_nan() {
        if v.is_sign_negative() { "-nan" } else { "nan" }.into()
    } else if v.is_infinite() {
        if v < 0.0 { "-inf" } else { "inf" }.into()
    } else {
        format!("{v:.decimals$}")
    }
}

/// `strerror(errno)` for an I/O error, as glibc words it.
pub use nut_proto::errno::strerror;

impl Error {
    /// The ERR code C upsd would send: the server's own, or, for a name that is not valid
    /// on the wire (this crate refuses to send it), what upsd would answer for it.
    pub fn c_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { code } => Some(code.clone()),
            Self::InvalidArgument(name) => {
                let text = name.to_string();
                Some(if text.starts_with(UpsName::KIND) {
                    ErrorCode::UnknownUps
                } else if text.starts_with(VarName::KIND) {
                    ErrorCode::VarNotSupported
                } else if text.starts_with(CmdName::KIND) {
                    ErrorCode::CmdNotSupported
                } else {
                    ErrorCode::InvalidArgument
                })
            }
            _ => None,
        }
    }

    /// What C's `upscli_strerror` says for this error.
    pub fn c_message(&self) -> String {
        if let Some(code) = self.c_code() {
            return code.client_message().to_owned();
        }
        match self {
            Self::Resolve { .. } => "No such host".into(),
            Self::Connect { source, .. } => format!("Connection failure: {}", strerror(source)),
            Self::ConnectTimeout { .. } => "Connection failure: Connection timed out".into(),
            Self::Timeout | Self::Closed => "Server disconnected".into(),
            Self::Io(source) => format!("Read error: {}", strerror(source)),
            Self::Tls(source) => format!("SSL error: {source}"),
            Self::TlsUnavailable(_) => "SSL is not available".into(),
            Self::Protocol(_) | Self::UnexpectedReply { .. } => "Protocol error".into(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_and_strerror_as_c() {
        assert_eq!(c_strtol(" -12x"), -12);
        assert_eq!(c_strtol_prefix(" -12x"), Some((-12, 4)));
        assert_eq!(c_strtol_prefix(" -x"), None);
        assert_eq!(c_atoi("4294967297"), 1);
        assert_eq!(c_strtod(" 230.5V"), 230.5);
        assert_eq!(c_strtod("1e"), 1.0);
        assert_eq!(c_strtod("x"), 0.0);
        assert_eq!(format_fixed(0.25, 1), "0.2");
        assert_eq!(format_fixed(f64::NAN, 1), "nan");
        let refused = std::io::Error::from_raw_os_error(111);
        assert_eq!(strerror(&refused), "Connection refused");
    }
}
