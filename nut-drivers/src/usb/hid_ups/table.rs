//! The shape of a subdriver's table: which HID path feeds which NUT variable, status bit
//! or instant command, and how values are converted (C's `hid_info_t` and `info_lkp_t`).
//!
//! Tables are `static` data built with `const fn`s, so each subdriver reads as a list:
//!
//! ```ignore
//! HidInfo::var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
//! HidInfo::var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").rw(10).semi_static(),
//! HidInfo::status("UPS.PowerSummary.PresentStatus.ACPresent", &ONLINE).quick(),
//! HidInfo::cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
//! ```

use std::collections::HashMap;

use nut_driver_api::DeviceState;

/// Read once at start (C's `HU_FLAG_STATIC`).
pub const HU_STATIC: u32 = 2;
/// Read again only after a SET or an instant command (`HU_FLAG_SEMI_STATIC`).
pub const HU_SEMI_STATIC: u32 = 4;
/// Not on the device: a driver-side value with a default (`HU_FLAG_ABSENT`).
pub const HU_ABSENT: u32 = 8;
/// Read at every poll, not only at full updates (`HU_FLAG_QUICK_POLL`).
pub const HU_QUICK_POLL: u32 = 16;
/// An instant command (`HU_TYPE_CMD`).
pub const HU_CMD: u32 = 64;
/// The lookup table's values are the variable's enumeration (`HU_FLAG_ENUM`).
pub const HU_ENUM: u32 = 128;

/// The NUT flag "writable" (`ST_FLAG_RW`).
pub const ST_RW: u32 = 1;
/// The NUT flag "string" (`ST_FLAG_STRING`).
pub const ST_STRING: u32 = 2;
/// The NUT flag "number" (`ST_FLAG_NUMBER`).
pub const ST_NUMBER: u32 = 4;

/// What a conversion function may look at and change besides the value.
pub struct ConvContext<'a> {
    /// The device state (some conversions publish more than one variable).
    pub state: &'a mut DeviceState,
    /// Scratch values a subdriver keeps between calls (a battery scale, a model name).
    pub scratch: &'a mut HashMap<&'static str, f64>,
}

impl std::fmt::Debug for ConvContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvContext").finish_non_exhaustive()
    }
}

/// HID value → NUT text; `None` when the value has no NUT meaning.
pub type ToNut = fn(&mut ConvContext<'_>, f64) -> Option<String>;
/// NUT text → HID value; `None` when the text is not acceptable.
pub type ToHid = fn(&str) -> Option<f64>;
/// NUT text → HID value for conversions that look at other variables or at the
/// subdriver's scratch values; the text is `None` for a command given neither a
/// parameter nor a default.
pub type ToHidWith = fn(&mut ConvContext<'_>, Option<&str>) -> Option<f64>;
/// String descriptor text → NUT text, for a value that is a string index.
pub type StringToNut = fn(&mut ConvContext<'_>, &str) -> Option<String>;
/// HID value → NUT text for a conversion that also reads the buffered bytes of other
/// reports (C subdrivers that look into the report buffer themselves).
pub type RawToNut = fn(&mut ConvContext<'_>, &super::reports::Reports, f64) -> Option<String>;

/// How a HID value becomes a NUT value (C's `info_lkp_t`).
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    /// A table of (HID value, NUT text) pairs; the first pair whose value matches wins,
    /// and a SET looks the text up the other way.
    Table(&'static [(i64, &'static str)]),
    /// Conversion functions.
    Fun {
        /// HID → NUT.
        to_nut: ToNut,
        /// NUT → HID, when the value can be set.
        to_hid: Option<ToHid>,
    },
    /// The value is a string descriptor index: the NUT value is that string.
    StringIndex,
    /// A string descriptor index, unless the function answers first (firmware known to
    /// give a wrong index).
    StringIndexOr(ToNut),
    /// A conversion that reads other reports' buffered bytes too.
    Raw(RawToNut),
    /// The value is a string descriptor index, and the string goes through a function
    /// (which may publish other variables and return `None`).
    StringWith(StringToNut),
    /// Conversion functions that see the device state both ways, with a list of values
    /// (C's lookup tables whose first entry carries the functions): the enumeration of
    /// an [`HU_ENUM`] line is the texts of `values` that `to_nut` accepts, and a SET
    /// without `to_hid` looks its text up in `values`.
    Custom {
        /// HID → NUT.
        to_nut: ToNut,
        /// NUT → HID; `None` to look the text up in `values`.
        to_hid: Option<ToHidWith>,
        /// The (HID value, NUT text) pairs.
        values: &'static [(i64, &'static str)],
    },
}

/// One line of a subdriver's table (C's `hid_info_t`).
#[derive(Debug, Clone, Copy)]
pub struct HidInfo {
    /// The NUT variable or command, or `BOOL` for a status bit.
    pub var: &'static str,
    /// NUT flags ([`ST_RW`], [`ST_STRING`], [`ST_NUMBER`]).
    pub nut_flags: u32,
    /// The maximum length of a string variable.
    pub len: usize,
    /// The HID path.
    pub path: &'static str,
    /// A printf format for numbers (`%.0f`), the default of an absent value, or the
    /// default parameter of a command.
    pub dfl: Option<&'static str>,
    /// The driver's own flags (`HU_*`).
    pub hu_flags: u32,
    /// The conversion, if any.
    pub lookup: Option<Lookup>,
}

impl HidInfo {
    /// A variable read from `path` and printed with `format`.
    pub const fn var(var: &'static str, path: &'static str, format: &'static str) -> Self {
        Self {
            var,
            nut_flags: 0,
            len: 0,
            path,
            dfl: Some(format),
            hu_flags: 0,
            lookup: None,
        }
    }

    /// A variable converted by `lookup`.
    pub const fn lookup(var: &'static str, path: &'static str, lookup: Lookup) -> Self {
        Self {
            lookup: Some(lookup),
            ..Self::var(var, path, "%s")
        }
    }

    /// A variable converted by a table.
    pub const fn table(
        var: &'static str,
        path: &'static str,
        table: &'static [(i64, &'static str)],
    ) -> Self {
        Self::lookup(var, path, Lookup::Table(table))
    }

    /// A status bit (`BOOL`) read from `path` through `table`.
    pub const fn status(path: &'static str, table: &'static [(i64, &'static str)]) -> Self {
        Self {
            var: "BOOL",
            nut_flags: 0,
            len: 0,
            path,
            dfl: None,
            hu_flags: 0,
            lookup: Some(Lookup::Table(table)),
        }
    }

    /// A status bit (`BOOL`) read from `path` through a conversion (whose text is a
    /// status word such as `online` or `!online`).
    pub const fn status_with(path: &'static str, lookup: Lookup) -> Self {
        Self {
            lookup: Some(lookup),
            ..Self::status(path, &[])
        }
    }

    /// An instant command that writes `value` (its default parameter) to `path`.
    pub const fn cmd(var: &'static str, path: &'static str, value: &'static str) -> Self {
        Self {
            var,
            nut_flags: 0,
            len: 0,
            path,
            dfl: Some(value),
            hu_flags: HU_CMD,
            lookup: None,
        }
    }

    /// A driver-side variable with a default, present when `path` exists.
    pub const fn absent(var: &'static str, path: &'static str, default: &'static str) -> Self {
        Self {
            hu_flags: HU_ABSENT,
            ..Self::var(var, path, default)
        }
    }

    /// The same line, writable, as a string of at most `len` characters.
    pub const fn rw(mut self, len: usize) -> Self {
        self.nut_flags |= ST_RW | ST_STRING;
        self.len = len;
        self
    }

    /// The same line with NUT flags set as given (for the rare line that is a string
    /// without being writable, or the reverse).
    pub const fn nut_flags(mut self, flags: u32, len: usize) -> Self {
        self.nut_flags = flags;
        self.len = len;
        self
    }

    /// The same line with more `HU_*` flags.
    pub const fn hu(mut self, flags: u32) -> Self {
        self.hu_flags |= flags;
        self
    }

    /// The same line, read at every poll.
    pub const fn quick(self) -> Self {
        self.hu(HU_QUICK_POLL)
    }

    /// The same line, read once at start.
    pub const fn once(self) -> Self {
        self.hu(HU_STATIC)
    }

    /// The same line, read again after a change.
    pub const fn semi_static(self) -> Self {
        self.hu(HU_SEMI_STATIC)
    }

    /// The same line, whose table is also the variable's enumeration.
    pub const fn enumerated(self) -> Self {
        self.hu(HU_ENUM)
    }

    /// Whether this line is an instant command.
    pub fn is_cmd(&self) -> bool {
        self.hu_flags & HU_CMD != 0
    }

    /// Whether this line is a driver-side variable.
    pub fn is_absent(&self) -> bool {
        self.hu_flags & HU_ABSENT != 0
    }
}

/// Formats `value` with a table's printf format (`%.1f`, `%0.0f`, `%d`): the one number
/// conversion printed as C's `snprintf` prints a `double`, the text around it kept; a format
/// without a conversion (an absent value's default) is the text itself.
pub fn c_format(format: &str, value: f64) -> String {
    let Some(start) = format.find('%') else {
        return format.to_owned();
    };
    let spec_len = format[start + 1..]
        .find(|c: char| c.is_ascii_alphabetic() && c != 'l')
        .map_or(format.len() - start, |i| i + 2);
    let (spec, after) = format[start..].split_at(spec_len);
    let number = match spec.chars().last() {
        Some('f' | 'F' | 'd' | 'i') => crate::printf::printf_number(spec, value),
        _ => crate::usb::hid::format_g(value),
    };
    format!("{}{number}{after}", &format[..start])
}

/// Helpers for the subdrivers' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::HashMap;

    use nut_driver_api::DeviceState;

    use super::{ConvContext, ToNut};
    use crate::usb::hid::{string_to_path, usage_code, ReportDescriptor, ReportType};
    use crate::usb::hid_ups::subdriver::Subdriver;

    /// The table paths of `sub` with a component that its usage tables cannot name (C
    /// would skip that component and look for a shorter path, silently).
    pub(crate) fn unresolved_paths(sub: &Subdriver) -> Vec<&'static str> {
        sub.table
            .iter()
            .map(|item| item.path)
            .filter(|path| {
                let tokens: Vec<&str> = path.split('.').collect();
                let named = tokens.iter().all(|t| {
                    usage_code(t, sub.usages).is_some()
                        || (!t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit()))
                        || (t.starts_with('[')
                            && t.ends_with(']')
                            && t.len() > 2
                            && t[1..t.len() - 1].bytes().all(|b| b.is_ascii_digit()))
                });
                let resolved = string_to_path(path, sub.usages).map(|p| p.len());
                !named || resolved != Some(tokens.len())
            })
            .collect()
    }

    /// Runs a conversion on a device state (with `ups.vendorid` and `ups.productid`
    /// already set, as the driver does) and a scratch map.
    pub(crate) fn convert(
        f: ToNut,
        state: &mut DeviceState,
        scratch: &mut HashMap<&'static str, f64>,
        value: f64,
    ) -> Option<String> {
        let mut ctx = ConvContext { state, scratch };
        f(&mut ctx, value)
    }

    /// The parsed report descriptor of corpus unit `folder` in `../shared/testdata`;
    /// `None` (with a message) when the test data is absent, a failure then when
    /// `NUT_RS_INTEROP=1`.
    pub(crate) fn corpus_descriptor(folder: &str) -> Option<ReportDescriptor> {
        let file =
            crate::test_data::recorded(&format!("hid/corpus/{folder}/report-descriptor.hex"))?;
        let text = std::fs::read_to_string(file).ok()?;
        let bytes: Vec<u8> = text
            .split_whitespace()
            .map_while(|w| u8::from_str_radix(w, 16).ok())
            .collect();
        match ReportDescriptor::parse(&bytes) {
            Ok(desc) => Some(desc),
            Err(e) => panic!("{folder}: {e}"),
        }
    }

    /// The variables of `sub`'s table whose path is a Feature field of `desc` (what the
    /// driver maps at start), in table order.
    pub(crate) fn mapped_vars(sub: &Subdriver, desc: &ReportDescriptor) -> Vec<&'static str> {
        sub.table
            .iter()
            .filter(|item| {
                string_to_path(item.path, sub.usages)
                    .is_some_and(|p| desc.find(&p, Some(ReportType::Feature)).is_some())
            })
            .map(|item| item.var)
            .collect()
    }

    /// A device state with the USB ids the driver publishes before its first walk.
    pub(crate) fn state_for(vendor: u16, product: u16) -> DeviceState {
        let mut state = DeviceState::new();
        let _ = state.set("ups.vendorid", &format!("{vendor:04x}"));
        let _ = state.set("ups.productid", &format!("{product:04x}"));
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(c_format("%.0f", 99.6), "100");
        assert_eq!(c_format("%.1f", 13.6), "13.6");
        assert_eq!(c_format("%0.1f", 230.04), "230.0");
        assert_eq!(c_format("%.2f", 0.5), "0.50");
        assert_eq!(c_format("%.0f", 2.5), "2");
        assert_eq!(c_format("%d", 7.9), "7");
    }
}
