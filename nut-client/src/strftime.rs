//! `strftime` as C's programs use it (upslog's `%TIME fmt%`, upsstats' `@DATE fmt@`, the
//! syslog time stamp), in local time, over [`jiff`].
//!
//! The local time zone is the system's as jiff finds it (`$TZ`: a zone name, a TZif file or
//! a POSIX rule; else `/etc/localtime`), and UTC when it cannot be found, as glibc falls
//! back. The conversions are glibc's in the C locale (`%c` is `%a %b %e %H:%M:%S %Y`, `%x`
//! is `%m/%d/%y`, `%X` is `%H:%M:%S`); what glibc does not know, such as `%Q` or `%:z`, is
//! copied as written, as glibc does.
//!
//! ```
//! use nut_client::strftime::{at, strftime, TimeZone};
//!
//! // 2024-02-29 13:05:09 UTC, a Thursday.
//! let t = at(1_709_211_909, &TimeZone::UTC);
//! assert_eq!(strftime("%F %T %a %Z %Q", &t), "2024-02-29 13:05:09 Thu UTC %Q");
//! ```

use jiff::fmt::strtime::{BrokenDownTime, Config, PosixCustom};
use jiff::Timestamp;

pub use jiff::tz::TimeZone;
pub use jiff::ZonedDateTime;

/// The local time zone: the system's (`$TZ`, else `/etc/localtime`), UTC when there is none
/// that can be read. A program that must keep local time after a chroot takes it once
/// beforehand, as libc does.
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// The local time now.
pub fn now_local() -> ZonedDateTime {
    Timestamp::now().to_zoned_datetime(local_zone())
}

/// `epoch` (seconds since 1970) in local time.
pub fn local(epoch: i64) -> ZonedDateTime {
    at(epoch, &local_zone())
}

/// `epoch` (seconds since 1970) in `zone`; out of range, the nearest time that is in range.
pub fn at(epoch: i64, zone: &TimeZone) -> ZonedDateTime {
    let seconds = epoch.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(seconds)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(zone.clone())
}

/// Formats `time` as glibc's `strftime` does in the C locale; a conversion glibc does not
/// know is copied as written.
pub fn strftime(format: &str, time: &ZonedDateTime) -> String {
    let config = Config::new().custom(PosixCustom::new()).lenient(true);
    let tm = BrokenDownTime::from(time);
    let jiff = |format: &str| {
        tm.to_string_with_config(&config, format)
            .unwrap_or_default()
    };
    let mut out = String::new();
    for piece in glibc_pieces(format) {
        match piece {
            Piece::Format(format) => out.push_str(&jiff(&format)),
            Piece::Padded {
                format,
                width,
                fill,
            } => {
                let text = jiff(&format);
                let short = width.saturating_sub(text.chars().count());
                out.extend(std::iter::repeat_n(fill, short));
                out.push_str(&text);
            }
        }
    }
    out
}

/// The conversions glibc's `strftime` knows.
const GLIBC: &str = "aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ%";
/// Those whose result is not a number: glibc pads them (to a width given) with spaces.
const TEXT: &str = "aAbBcDFhnpPrRtTxXZ%";

/// A part of a format, for jiff.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    /// Formatted as it is.
    Format(String),
    /// One conversion that glibc pads to `width` with `fill` where jiff does not (a text
    /// one, or a number with the `-` flag), formatted without its width first.
    Padded {
        /// The conversion without its width.
        format: String,
        /// The width given.
        width: usize,
        /// What is put in front.
        fill: char,
    },
}

/// `format` as glibc reads it, for jiff: every conversion glibc does not know (jiff knows a
/// few more, such as `%Q`, `%f` and `%:z`) escaped, so that it is copied as written; glibc's
/// `E` and `O` modifiers, which change nothing in the C locale, dropped; and the widths
/// that jiff does not apply as glibc does taken out, to be applied afterwards.
fn glibc_pieces(format: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let spec = &rest[at + 1..];
        let flags = spec
            .find(|c: char| !"_-0^#".contains(c))
            .unwrap_or(spec.len());
        let width = spec[flags..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(spec.len(), |w| flags + w);
        let modifier = usize::from(spec[width..].starts_with(['E', 'O']));
        match spec[width + modifier..].chars().next() {
            Some(c) if GLIBC.contains(c) => {
                let (flag_text, digits) = (&spec[..flags], &spec[flags..width]);
                let padded_later =
                    !digits.is_empty() && (TEXT.contains(c) || flag_text.contains('-'));
                if padded_later {
                    pieces.push(Piece::Format(std::mem::take(&mut out)));
                    let fill = if flag_text.contains('0') { '0' } else { ' ' };
                    pieces.push(Piece::Padded {
                        format: format!("%{flag_text}{c}"),
                        width: digits.parse().unwrap_or(usize::MAX),
                        fill,
                    });
                } else {
                    out.push('%');
                    out.push_str(&spec[..width]);
                    out.push(c);
                }
                rest = &spec[width + modifier + c.len_utf8()..];
            }
            Some(c) => {
                // Unknown: the whole conversion, as written.
                let end = width + modifier + c.len_utf8();
                out.push_str("%%");
                out.push_str(&spec[..end]);
                rest = &spec[end..];
            }
            None => {
                out.push_str("%%");
                out.push_str(spec);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    pieces.push(Piece::Format(out));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Option<TimeZone> {
        let data = std::fs::read(format!("/usr/share/zoneinfo/{name}")).ok()?;
        TimeZone::tzif(name, &data).ok()
    }

    #[test]
    fn known_dates() {
        // 2024-02-29 13:05:09 UTC, a Thursday.
        let t = at(1_709_211_909, &TimeZone::UTC);
        assert_eq!(
            strftime("%Y%m%d %H%M%S %a %b %j %p %I %F %T %z %Z %% %Q", &t),
            "20240229 130509 Thu Feb 060 PM 01 2024-02-29 13:05:09 +0000 UTC % %Q"
        );
        assert_eq!(
            strftime("%c|%x|%X|%D|%e|%C|%y|%s|%u|%w", &t),
            "Thu Feb 29 13:05:09 2024|02/29/24|13:05:09|02/29/24|29|20|24|1709211909|4|4"
        );
        let t = at(0, &TimeZone::fixed(jiff::tz::offset(1)));
        assert_eq!(
            strftime("%F %T %z %A", &t),
            "1970-01-01 01:00:00 +0100 Thursday"
        );
        let t = at(-1, &TimeZone::UTC);
        assert_eq!(
            strftime("%F %T %e|%_H|%-m", &t),
            "1969-12-31 23:59:59 31|23|12"
        );
        let t = at(86_400 * 4, &TimeZone::UTC);
        assert_eq!(strftime("%b %e %H:%M:%S", &t), "Jan  5 00:00:00");
    }

    #[test]
    fn what_glibc_does_not_know_is_copied() {
        let t = at(1_709_211_909, &TimeZone::UTC);
        assert_eq!(
            strftime("%Q %5Q %:z %f %N %q %+ %Ey %Od %", &t),
            "%Q %5Q %:z %f %N %q %+ 24 29 %"
        );
        assert_eq!(
            glibc_pieces("a%%b%-d%_5H%Ex%é"),
            [Piece::Format("a%%b%-d%_5H%x%%é".into())]
        );
        assert_eq!(
            strftime("%10A|%-5d|%4p|%-3j|%^5a|%3%|%5d", &t),
            "  Thursday|   29|  PM| 60|  THU|  %|00029"
        );
    }

    #[test]
    fn zones() {
        if let Some(berlin) = zone("Europe/Berlin") {
            // 2021-07-01 is summer time, 2021-01-01 winter time.
            assert_eq!(strftime("%z %Z", &at(1_625_097_600, &berlin)), "+0200 CEST");
            assert_eq!(strftime("%z %Z", &at(1_609_459_200, &berlin)), "+0100 CET");
        }
        assert_eq!(strftime("%Y", &at(i64::MAX, &TimeZone::UTC)), "9999");
    }
}
