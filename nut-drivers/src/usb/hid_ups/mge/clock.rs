//! The Eaton/MGE device clock (`ups.date`, `ups.time`): seconds since 1970 on the device,
//! a date and a time in local time for NUT, the zone being `$TZ` (a zone name, a file or
//! a POSIX rule) or `/etc/localtime` as chrono's [`Local`] finds them, as C's
//! `localtime_r` and `mktime` do.

use chrono::{
    Datelike, Local, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Timelike,
};

use super::super::table::ConvContext;

/// `epoch` as a date and time in `zone` (C's `localtime_r`); `None` out of chrono's range.
fn local_time<Tz: TimeZone>(zone: &Tz, epoch: i64) -> Option<NaiveDateTime> {
    zone.timestamp_opt(epoch, 0)
        .single()
        .map(|t| t.naive_local())
}

/// The seconds since 1970 of a date and time in `zone`, as glibc's `mktime` makes them
/// when told nothing about daylight saving time: a time that happens twice (the clocks
/// going back) is the earlier instant; a time that never happens (the clocks going
/// forward) is read with the offset before the shift, so it lands as far past the shift.
fn epoch_of<Tz: TimeZone>(zone: &Tz, local: &NaiveDateTime) -> Option<i64> {
    match zone.from_local_datetime(local) {
        MappedLocalTime::Single(t) => return Some(t.timestamp()),
        // not `earliest()`: chrono's `Local` lists the smaller offset first, the later
        // instant
        MappedLocalTime::Ambiguous(a, b) => return Some(a.timestamp().min(b.timestamp())),
        MappedLocalTime::None => {}
    }
    // In a gap, the offsets at the instants `local` would be under the offset on either
    // side alternate between the two; the one before the shift is the smaller.
    let offset_at =
        |utc: &NaiveDateTime| zone.offset_from_utc_datetime(utc).fix().local_minus_utc();
    let minus = |offset: i32| local.checked_sub_signed(TimeDelta::seconds(offset.into()));
    let first = offset_at(local);
    let second = offset_at(&minus(first)?);
    let third = offset_at(&minus(second)?);
    Some(minus(second.min(third))?.and_utc().timestamp())
}

/// The device clock (seconds since 1970) as a date (`YYYY/MM/DD`) or a time
/// (`HH:MM:SS`) in `zone`.
fn clock<Tz: TimeZone>(zone: &Tz, value: f64, date: bool) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    let t = local_time(zone, value as i64)?;
    if date {
        if !(1000..=9999).contains(&t.year()) {
            tracing::trace!("can't compute date {value}");
            return None;
        }
        Some(format!("{:04}/{:02}/{:02}", t.year(), t.month(), t.day()))
    } else {
        Some(format!(
            "{:02}:{:02}:{:02}",
            t.hour(),
            t.minute(),
            t.second()
        ))
    }
}

/// `ups.date` from the device clock.
pub(super) fn clock_date_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    clock(&Local, value, true)
}

/// `ups.time` from the device clock.
pub(super) fn clock_time_to_nut(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    clock(&Local, value, false)
}

/// Reads `YYYY/MM/DD HH:MM:SS` as glibc's `strptime` does (spaces allowed before each
/// number, at most 4 digits for the year and 2 for the rest, each in its range), days
/// past the end of the month and leap seconds carried over as `mktime` does.
fn parse_clock(text: &str) -> Option<NaiveDateTime> {
    let mut rest = text.as_bytes();
    let mut fields = [0i64; 6];
    let specs = [
        (4, 0, 9999, b'/'),
        (2, 1, 12, b'/'),
        (2, 1, 31, b' '),
        (2, 0, 23, b':'),
        (2, 0, 59, b':'),
        (2, 0, 61, 0),
    ];
    for (i, (width, min, max, sep)) in specs.into_iter().enumerate() {
        while rest.first().is_some_and(u8::is_ascii_whitespace) {
            rest = &rest[1..];
        }
        let digits = rest
            .iter()
            .take(width)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let value = rest[..digits]
            .iter()
            .fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
        if !(min..=max).contains(&value) {
            return None;
        }
        fields[i] = value;
        rest = &rest[digits..];
        match sep {
            0 => {}
            b' ' => {
                while rest.first().is_some_and(u8::is_ascii_whitespace) {
                    rest = &rest[1..];
                }
            }
            c => rest = rest.strip_prefix(&[c])?,
        }
    }
    let [year, month, day, hour, minute, second] = fields;
    let first = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, u32::try_from(month).ok()?, 1)?;
    first
        .checked_add_signed(TimeDelta::days(day - 1))?
        .and_time(NaiveTime::MIN)
        .checked_add_signed(TimeDelta::seconds(hour * 3600 + minute * 60 + second))
}

/// The clock value of date and time texts in C's 20-byte buffer, read in `zone`; 0 when
/// unreadable.
fn clock_to_hid<Tz: TimeZone>(zone: &Tz, date: &str, time: &str) -> Option<f64> {
    let joined = super::super::lookups::c_buffer(format!("{date} {time}"), 20);
    let epoch = parse_clock(&joined).and_then(|t| epoch_of(zone, &t));
    if epoch.is_none() {
        tracing::trace!("can't compute the clock from {joined}");
    }
    Some(epoch.unwrap_or(0) as f64)
}

/// A new `ups.date`, with the current `ups.time`.
pub(super) fn clock_date_to_hid(ctx: &mut ConvContext<'_>, text: Option<&str>) -> Option<f64> {
    let time = ctx.state.value("ups.time").unwrap_or("(null)").to_owned();
    clock_to_hid(&Local, text.unwrap_or("(null)"), &time)
}

/// A new `ups.time`, with the current `ups.date`.
pub(super) fn clock_time_to_hid(ctx: &mut ConvContext<'_>, text: Option<&str>) -> Option<f64> {
    let date = ctx.state.value("ups.date").unwrap_or("(null)").to_owned();
    clock_to_hid(&Local, &date, text.unwrap_or("(null)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::hid_ups::table::test_support::convert;
    use crate::usb::hid_ups::table::ToNut;
    use chrono::FixedOffset;
    use nut_driver_api::DeviceState;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Fixture {
        state: DeviceState,
        scratch: HashMap<&'static str, f64>,
    }

    impl Fixture {
        fn run(&mut self, f: ToNut, value: f64) -> Option<String> {
            convert(f, &mut self.state, &mut self.scratch, value)
        }

        fn ctx(&mut self) -> ConvContext<'_> {
            ConvContext {
                state: &mut self.state,
                scratch: &mut self.scratch,
            }
        }
    }

    /// Builds a date and time (for the tests).
    fn at(ymd: (i32, u32, u32), hms: (u32, u32, u32)) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2)
            .and_then(|d| d.and_hms_opt(hms.0, hms.1, hms.2))
            .expect("valid test date")
    }

    /// A zone with daylight saving time, New York's in 2024: UTC-5, and UTC-4 from
    /// 2024-03-10 07:00 UTC (02:00 local becomes 03:00) to 2024-11-03 06:00 UTC
    /// (02:00 local becomes 01:00).
    #[derive(Debug, Clone, Copy)]
    struct NewYork2024;

    impl NewYork2024 {
        const SPRING: i64 = 1_710_054_000;
        const FALL: i64 = 1_730_613_600;

        fn offset(epoch: i64) -> FixedOffset {
            let hours = if (Self::SPRING..Self::FALL).contains(&epoch) {
                -4
            } else {
                -5
            };
            FixedOffset::east_opt(hours * 3600).expect("valid offset")
        }
    }

    impl TimeZone for NewYork2024 {
        type Offset = FixedOffset;

        fn from_offset(_: &FixedOffset) -> Self {
            Self
        }

        fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<FixedOffset> {
            self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
        }

        fn offset_from_local_datetime(
            &self,
            local: &NaiveDateTime,
        ) -> MappedLocalTime<FixedOffset> {
            let naive = local.and_utc().timestamp();
            // the smaller offset (the later instant) first, as chrono's `Local` does
            let valid: Vec<FixedOffset> = [-5 * 3600, -4 * 3600]
                .into_iter()
                .map(|offset| Self::offset(naive - i64::from(offset)))
                .filter(|o| Self::offset(naive - i64::from(o.local_minus_utc())) == *o)
                .collect();
            match valid[..] {
                [a] => MappedLocalTime::Single(a),
                [a, b] if a != b => MappedLocalTime::Ambiguous(a, b),
                [a, _] => MappedLocalTime::Single(a),
                _ => MappedLocalTime::None,
            }
        }

        fn offset_from_utc_date(&self, utc: &NaiveDate) -> FixedOffset {
            self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
        }

        fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
            Self::offset(utc.and_utc().timestamp())
        }
    }

    #[test]
    fn clock_texts() {
        assert_eq!(
            parse_clock("2023/11/14 22:13:20"),
            Some(at((2023, 11, 14), (22, 13, 20)))
        );
        assert_eq!(
            parse_clock(" 2023/1/4  2:3:4 trailing"),
            Some(at((2023, 1, 4), (2, 3, 4)))
        );
        // the 31st of February is the 3rd of March, a 61st second the next minute
        assert_eq!(
            parse_clock("2023/02/31 00:00:00"),
            Some(at((2023, 3, 3), (0, 0, 0)))
        );
        assert_eq!(
            parse_clock("2023/12/31 23:59:61"),
            Some(at((2024, 1, 1), (0, 0, 1)))
        );
        assert_eq!(parse_clock("0/1/1 0:0:0"), Some(at((0, 1, 1), (0, 0, 0))));
        assert_eq!(parse_clock("2023/13/14 22:13:20"), None);
        assert_eq!(parse_clock("2023-11-14 22:13:20"), None);
        assert_eq!(parse_clock("2023/11/14 (null)"), None);
    }

    #[test]
    fn clock_in_fixed_zones() {
        let utc = FixedOffset::east_opt(0).expect("valid offset");
        assert_eq!(
            clock(&utc, 1_700_000_000.0, true).as_deref(),
            Some("2023/11/14")
        );
        assert_eq!(
            clock(&utc, 1_700_000_000.9, false).as_deref(),
            Some("22:13:20")
        );
        assert_eq!(clock(&utc, 0.0, true).as_deref(), Some("1970/01/01"));
        assert_eq!(
            clock_to_hid(&utc, "2023/11/14", "22:13:20"),
            Some(1_700_000_000.0)
        );
        // UTC+2: the same instant is two hours later on the local clock
        let east = FixedOffset::east_opt(7200).expect("valid offset");
        assert_eq!(
            clock(&east, 1_700_000_000.0, true).as_deref(),
            Some("2023/11/15")
        );
        assert_eq!(
            clock(&east, 1_700_000_000.0, false).as_deref(),
            Some("00:13:20")
        );
        assert_eq!(
            clock_to_hid(&east, "2023/11/15", "00:13:20"),
            Some(1_700_000_000.0)
        );
        // UTC-9:30
        let west = FixedOffset::west_opt(34_200).expect("valid offset");
        assert_eq!(
            clock(&west, 1_700_000_000.0, false).as_deref(),
            Some("12:43:20")
        );
        assert_eq!(
            clock_to_hid(&west, "2023/11/14", "12:43:20"),
            Some(1_700_000_000.0)
        );
        // out of range or unreadable
        assert_eq!(clock(&utc, -62_000_000_000.0, true), None);
        assert!(clock(&utc, -62_000_000_000.0, false).is_some());
        assert_eq!(clock(&utc, 1e15, false), None);
        assert_eq!(clock(&utc, f64::INFINITY, false), None);
        assert_eq!(clock_to_hid(&utc, "2023/11/14", "25:00:00"), Some(0.0));
        assert_eq!(clock_to_hid(&utc, "(null)", "22:13:20"), Some(0.0));
    }

    #[test]
    fn clock_across_daylight_saving() {
        let ny = NewYork2024;
        // winter and summer
        assert_eq!(
            clock(&ny, 1_700_000_000.0, false).as_deref(),
            Some("17:13:20")
        );
        assert_eq!(
            clock(&ny, 1_720_000_000.0, false).as_deref(),
            Some("05:46:40")
        );
        assert_eq!(
            clock_to_hid(&ny, "2024/07/03", "05:46:40"),
            Some(1_720_000_000.0)
        );
        // each side of the spring shift
        let spring = NewYork2024::SPRING;
        assert_eq!(
            clock(&ny, (spring - 1) as f64, false).as_deref(),
            Some("01:59:59")
        );
        assert_eq!(
            clock(&ny, spring as f64, false).as_deref(),
            Some("03:00:00")
        );
        assert_eq!(
            epoch_of(&ny, &at((2024, 3, 10), (1, 59, 59))),
            Some(spring - 1)
        );
        assert_eq!(epoch_of(&ny, &at((2024, 3, 10), (3, 0, 0))), Some(spring));
        // 02:30 never happens: it is read as 03:30
        assert_eq!(
            epoch_of(&ny, &at((2024, 3, 10), (2, 30, 0))),
            Some(spring + 1800)
        );
        assert_eq!(epoch_of(&ny, &at((2024, 3, 10), (2, 0, 0))), Some(spring));
        // 01:30 happens twice in the fall: the first one (still DST)
        let fall = NewYork2024::FALL;
        assert_eq!(
            epoch_of(&ny, &at((2024, 11, 3), (1, 30, 0))),
            Some(fall - 1800)
        );
        assert_eq!(
            clock(&ny, (fall + 1800) as f64, false).as_deref(),
            Some("01:30:00")
        );
        assert_eq!(
            epoch_of(&ny, &at((2024, 11, 3), (2, 0, 0))),
            Some(fall + 3600)
        );
        assert_eq!(
            clock_to_hid(&ny, "2024/11/03", "00:59:59"),
            Some((fall - 3601) as f64)
        );
        // the day each side round-trips to the same local time
        for epoch in (spring - 86_400..spring + 86_400).step_by(599) {
            let t = local_time(&ny, epoch).expect("in range");
            assert_eq!(epoch_of(&ny, &t), Some(epoch), "{t}");
        }
        for epoch in (fall + 3600..fall + 86_400)
            .chain(fall - 86_400..fall - 3600)
            .step_by(599)
        {
            let t = local_time(&ny, epoch).expect("in range");
            assert_eq!(epoch_of(&ny, &t), Some(epoch), "{t}");
        }
    }

    #[test]
    fn clock_round_trip() {
        // Whatever the local zone, date and time read back to the same instant.
        let mut f = Fixture::default();
        let date = f.run(clock_date_to_nut, 1_700_000_000.0).expect("date");
        let time = f.run(clock_time_to_nut, 1_700_000_000.0).expect("time");
        assert_eq!(date.len(), 10);
        assert_eq!(time.len(), 8);
        let _ = f.state.set("ups.time", &time);
        assert_eq!(
            clock_date_to_hid(&mut f.ctx(), Some(&date)),
            Some(1_700_000_000.0)
        );
        let _ = f.state.set("ups.date", &date);
        assert_eq!(
            clock_time_to_hid(&mut f.ctx(), Some(&time)),
            Some(1_700_000_000.0)
        );
        assert_eq!(clock_time_to_hid(&mut f.ctx(), Some("25:00:00")), Some(0.0));
        assert_eq!(f.run(clock_date_to_nut, 1e15), None);
        assert_eq!(f.run(clock_date_to_nut, f64::NAN), None);
    }
}
