//! A small `strftime` (upslog's `%TIME fmt%`, upsstats' `@DATE fmt@`), in local time read from the system's
//! TZif file (`$TZ` naming a zoneinfo file, else `/etc/localtime`; UTC when neither can be
//! read), without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A broken-down time, as `struct tm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tm {
    /// Seconds since the epoch.
    pub epoch: i64,
    /// Year (e.g. 2024).
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–60.
    pub second: u32,
    /// Day of week, 0 = Sunday.
    pub weekday: u32,
    /// Day of year, 0-based.
    pub yday: u32,
    /// Offset from UTC in seconds.
    pub utc_offset: i64,
    /// Zone abbreviation.
    pub zone: String,
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Breaks `epoch + offset` down (civil-from-days, proleptic Gregorian).
pub fn breakdown(epoch: i64, utc_offset: i64, zone: &str) -> Tm {
    let local = epoch + utc_offset;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = cumulative[(month - 1) as usize] + day - 1 + u32::from(month > 2 && is_leap(year));
    Tm {
        epoch,
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: (secs % 3600 / 60) as u32,
        second: (secs % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as u32,
        yday,
        utc_offset,
        zone: zone.to_owned(),
    }
}

/// The offset and abbreviation in force at `epoch` according to a TZif file's contents
/// (version 1 data, which every TZif file holds).
pub fn tzif_offset(data: &[u8], epoch: i64) -> Option<(i64, String)> {
    if data.len() < 44 || &data[..4] != b"TZif" {
        return None;
    }
    let count = |i: usize| -> Option<usize> {
        let b = data.get(20 + 4 * i..24 + 4 * i)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let (isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt) = (
        count(0)?,
        count(1)?,
        count(2)?,
        count(3)?,
        count(4)?,
        count(5)?,
    );
    let _ = (isutcnt, isstdcnt, leapcnt);
    let times = 44;
    let indices = times + 4 * timecnt;
    let types = indices + timecnt;
    let chars = types + 6 * typecnt;
    if data.len() < chars + charcnt || typecnt == 0 {
        return None;
    }
    let mut index = 0usize;
    for i in 0..timecnt {
        let b = &data[times + 4 * i..times + 4 * i + 4];
        let at = i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if at <= epoch {
            index = usize::from(data[indices + i]);
        }
    }
    let t = data.get(types + 6 * index..types + 6 * index + 6)?;
    let offset = i64::from(i32::from_be_bytes([t[0], t[1], t[2], t[3]]));
    let abbr_start = chars + usize::from(t[5]);
    let abbr: String = data
        .get(abbr_start..chars + charcnt)?
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    Some((offset, abbr))
}

/// The local time now.
pub fn now_local() -> Tm {
    let epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    local(epoch)
}

/// `epoch` in local time.
pub fn local(epoch: i64) -> Tm {
    local_in(zone_file().as_deref(), epoch)
}

/// The contents of the local time zone's TZif file (`$TZ` naming a zoneinfo file, else
/// `/etc/localtime`), or `None` when it cannot be read. A caller that must keep local time
/// after a chroot reads it once beforehand, as libc does.
pub fn zone_file() -> Option<Vec<u8>> {
    let path = match std::env::var("TZ") {
        Ok(tz) if !tz.is_empty() => {
            let name = tz.trim_start_matches(':');
            if name.starts_with('/') {
                name.to_owned()
            } else {
                format!("/usr/share/zoneinfo/{name}")
            }
        }
        _ => "/etc/localtime".to_owned(),
    };
    std::fs::read(path).ok()
}

/// `epoch` in the zone of the TZif data `zone` ([`zone_file`]); UTC without one.
pub fn local_in(zone: Option<&[u8]>, epoch: i64) -> Tm {
    match zone.and_then(|data| tzif_offset(data, epoch)) {
        Some((offset, zone)) => breakdown(epoch, offset, &zone),
        None => breakdown(epoch, 0, "UTC"),
    }
}

/// Formats `tm` as C's `strftime` does for the common conversions; an unknown conversion
/// is copied as written.
pub fn strftime(format: &str, tm: &Tm) -> String {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(conv) = chars.next() else {
            out.push('%');
            break;
        };
        let hour12 = match tm.hour % 12 {
            0 => 12,
            h => h,
        };
        let piece = match conv {
            'Y' => tm.year.to_string(),
            'y' => format!("{:02}", tm.year.rem_euclid(100)),
            'C' => format!("{:02}", tm.year.div_euclid(100)),
            'm' => format!("{:02}", tm.month),
            'd' => format!("{:02}", tm.day),
            'e' => format!("{:2}", tm.day),
            'H' => format!("{:02}", tm.hour),
            'I' => format!("{hour12:02}"),
            'M' => format!("{:02}", tm.minute),
            'S' => format!("{:02}", tm.second),
            'j' => format!("{:03}", tm.yday + 1),
            'a' => DAYS[tm.weekday as usize][..3].to_owned(),
            'A' => DAYS[tm.weekday as usize].to_owned(),
            'b' | 'h' => MONTHS[(tm.month - 1) as usize][..3].to_owned(),
            'B' => MONTHS[(tm.month - 1) as usize].to_owned(),
            'p' => if tm.hour < 12 { "AM" } else { "PM" }.to_owned(),
            'u' => (if tm.weekday == 0 { 7 } else { tm.weekday }).to_string(),
            'w' => tm.weekday.to_string(),
            's' => tm.epoch.to_string(),
            'Z' => tm.zone.clone(),
            'z' => {
                let sign = if tm.utc_offset < 0 { '-' } else { '+' };
                let off = tm.utc_offset.abs();
                format!("{sign}{:02}{:02}", off / 3600, off % 3600 / 60)
            }
            // %X and %x as the C locale spells them.
            'T' | 'X' => format!("{:02}:{:02}:{:02}", tm.hour, tm.minute, tm.second),
            'R' => format!("{:02}:{:02}", tm.hour, tm.minute),
            'D' | 'x' => format!(
                "{:02}/{:02}/{:02}",
                tm.month,
                tm.day,
                tm.year.rem_euclid(100)
            ),
            'F' => format!("{}-{:02}-{:02}", tm.year, tm.month, tm.day),
            'c' => format!(
                "{} {} {:2} {:02}:{:02}:{:02} {}",
                &DAYS[tm.weekday as usize][..3],
                &MONTHS[(tm.month - 1) as usize][..3],
                tm.day,
                tm.hour,
                tm.minute,
                tm.second,
                tm.year
            ),
            'n' => "\n".to_owned(),
            't' => "\t".to_owned(),
            '%' => "%".to_owned(),
            other => format!("%{other}"),
        };
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // 2024-02-29 13:05:09 UTC, a Thursday.
        let tm = breakdown(1_709_211_909, 0, "UTC");
        assert_eq!(
            strftime("%Y%m%d %H%M%S %a %b %j %p %I %F %T %z %Z %% %Q", &tm),
            "20240229 130509 Thu Feb 060 PM 01 2024-02-29 13:05:09 +0000 UTC % %Q"
        );
        let tm = breakdown(0, 3600, "CET");
        assert_eq!(
            strftime("%F %T %z %A", &tm),
            "1970-01-01 01:00:00 +0100 Thursday"
        );
        let tm = breakdown(-1, 0, "UTC");
        assert_eq!(strftime("%F %T", &tm), "1969-12-31 23:59:59");
    }

    #[test]
    fn tzif_files() {
        assert_eq!(tzif_offset(b"nope", 0), None);
        if let Ok(data) = std::fs::read("/usr/share/zoneinfo/Etc/UTC") {
            assert_eq!(tzif_offset(&data, 0), Some((0, "UTC".into())));
        }
        if let Ok(data) = std::fs::read("/usr/share/zoneinfo/Europe/Berlin") {
            // 2021-07-01 is summer time, 2021-01-01 winter time.
            assert_eq!(tzif_offset(&data, 1_625_097_600).map(|o| o.0), Some(7200));
            assert_eq!(tzif_offset(&data, 1_609_459_200).map(|o| o.0), Some(3600));
        }
    }
}
