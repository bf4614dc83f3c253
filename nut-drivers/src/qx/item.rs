//! One line of a Q* protocol table: which command yields which NUT variable, where the
//! value sits in the reply, and how it is turned into NUT's form (C's `item_t`).
//!
//! Replies are fixed-width lines: `(226.0 195.0 226.0 014 49.0 27.5 30.0 00001000\r`. An
//! item names the command, the reply's minimum length and first character, and the
//! columns `from..=to` of its value. [`extract`] checks a reply and cuts the value out;
//! [`format_value`] turns it into the published value, as C's `ups_infoval_set` does for
//! items without a special function.

/// Retrieve the value only once, at start.
pub const STATIC: u32 = 1 << 1;
/// Retrieve the value again after a command or a SET changed something.
pub const SEMI_STATIC: u32 = 1 << 2;
/// Not in the device: a driver-side variable with a default value.
pub const ABSENT: u32 = 1 << 3;
/// Polled in quick updates too (status and alarms).
pub const QUICK_POLL: u32 = 1 << 4;
/// An instant command.
pub const CMD: u32 = 1 << 5;
/// A writable variable: the item says how to set it.
pub const SETVAR: u32 = 1 << 6;
/// Trim spaces and `#` around the value.
pub const TRIM: u32 = 1 << 7;
/// The allowed values are an enumeration.
pub const ENUM: u32 = 1 << 8;
/// The allowed values are ranges.
pub const RANGE: u32 = 1 << 9;
/// Not a NUT variable: a device setting read (and logged) or written once at start from
/// the `ups.conf` option of the same name (C's `QX_FLAG_NONUT`).
pub const NONUT: u32 = 1 << 10;
/// Skipped (not supported by this device, or disabled by an option).
pub const SKIP: u32 = 1 << 11;

/// The special processing an item needs (C's `preprocess` function pointers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Process {
    /// Plain value: checked numeric unless the format is `%s`, formatted with `format`.
    Plain,
    /// A Megatec status bit (column 38..=45 of the Q1 reply).
    StatusBit,
    /// `ups.delay.start` / `ups.delay.shutdown`: truncated to what the device can do.
    DelaySetvar,
    /// A command whose text needs the delays or a parameter (`S%s`, `T%02d`).
    DelayCommand,
    /// A Voltronic preprocess function.
    Voltronic(super::voltronic::Proc),
    /// Processing defined by the dialect's own module (see [`super::special`]); the code
    /// tells that module which of its functions applies.
    Dialect(u8),
}

/// One entry of a protocol table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The NUT variable or command.
    pub var: &'static str,
    /// Whether the variable is writable.
    pub rw: bool,
    /// Allowed values: pairs of bounds for [`RANGE`], values for [`ENUM`].
    pub allowed: &'static [&'static str],
    /// The command sent to the device (with its `\r`), empty for [`ABSENT`] items.
    pub command: &'static str,
    /// The shortest acceptable reply, terminator included (0: any).
    pub answer_len: usize,
    /// The first character the reply must have (0: any).
    pub leading: u8,
    /// First column of the value.
    pub from: usize,
    /// Last column of the value (0: up to the `\r`).
    pub to: usize,
    /// The printf-style format of the value (`%.1f`, `%s`), or the default value of an
    /// [`ABSENT`] item.
    pub format: &'static str,
    /// The `STATIC`, `CMD`, … flags.
    pub flags: u32,
    /// Special processing.
    pub process: Process,
    /// Dialect-specific rewriting of the command before it is sent and of the reply
    /// before its value is cut out (C's `preprocess_command` and `preprocess_answer`):
    /// a code for the dialect's module, dispatched by [`super::special::command_text`] and
    /// [`super::special::answer`].
    pub exchange: Option<u8>,
}

impl Item {
    /// A value cut out of a reply and printed with `format` (the columns of C's table).
    #[allow(clippy::too_many_arguments)]
    pub const fn value(
        var: &'static str,
        command: &'static str,
        answer_len: usize,
        leading: u8,
        from: usize,
        to: usize,
        format: &'static str,
        flags: u32,
    ) -> Self {
        Self {
            var,
            rw: false,
            allowed: &[],
            command,
            answer_len,
            leading,
            from,
            to,
            format,
            flags,
            process: Process::Plain,
            exchange: None,
        }
    }

    /// An instant command sent as `command`.
    pub const fn cmd(var: &'static str, command: &'static str, process: Process) -> Self {
        Self {
            var,
            rw: false,
            allowed: &[],
            command,
            answer_len: 0,
            leading: 0,
            from: 0,
            to: 0,
            format: "",
            flags: CMD,
            process,
            exchange: None,
        }
    }

    /// The same item, writable, with its allowed values (pairs of range bounds for
    /// [`RANGE`], the values for [`ENUM`]).
    pub const fn writable(mut self, allowed: &'static [&'static str]) -> Self {
        self.rw = true;
        self.allowed = allowed;
        self
    }

    /// The same item with other allowed values, not writable (C's setvar items: the
    /// table's `info_rw` without `ST_FLAG_RW`).
    pub const fn allowing(mut self, allowed: &'static [&'static str]) -> Self {
        self.allowed = allowed;
        self
    }

    /// The same item with special processing.
    pub const fn with(mut self, process: Process) -> Self {
        self.process = process;
        self
    }

    /// The same item with the dialect's command and reply rewriting `code` (see
    /// [`Item::exchange`]).
    pub const fn exchanging(mut self, code: u8) -> Self {
        self.exchange = Some(code);
        self
    }

    /// Whether the item has all of `flags`.
    pub fn has(&self, flags: u32) -> bool {
        self.flags & flags == flags
    }
}

/// Why a reply does not give a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The exchange with the device failed (no reply at all, not even an empty one).
    #[error("communication failed")]
    Failed,
    /// The device answered with its "rejected" reply.
    #[error("query rejected by the UPS")]
    Rejected,
    /// Fewer bytes than the item needs.
    #[error("short reply ({got} < {want})")]
    Short {
        /// Bytes received.
        got: usize,
        /// Bytes needed.
        want: usize,
    },
    /// The first byte is not the expected one.
    #[error("invalid start character {0:#04x}")]
    Leading(u8),
    /// Not a number where one is expected.
    #[error("non numerical value {0:?}")]
    NotNumeric(String),
    /// A status bit that is not one `0` or `1`, or that contradicts the voltages.
    #[error("unexpected status bit {0:?}")]
    BadStatusBit(String),
    /// Nothing left after processing.
    #[error("non significant value")]
    Empty,
    /// A value a dialect's processing rejects.
    #[error("invalid value {0:?}")]
    Invalid(String),
    /// A reply or value the dialect's own processing ([`super::special`]) cannot make
    /// sense of.
    #[error("value not understood by the dialect")]
    Unexpected,
}

/// Checks `reply` for `item` and cuts its value out (C's `qx_process_answer`).
///
/// The value runs from column `from` to `to` (both included), or to the first `\r` when
/// `to` is 0. Columns past the end of the reply give what is there (possibly nothing).
pub fn extract(item: &Item, reply: &[u8], rejected: Option<&str>) -> Result<String, ReplyError> {
    // C works on a NUL-terminated copy (a USB bridge may pad the reply with NULs); the
    // length checked is what the transport returned.
    let text = reply.split(|&b| b == 0).next().unwrap_or_default();
    if let Some(r) = rejected {
        if text.eq_ignore_ascii_case(r.as_bytes()) {
            return Err(ReplyError::Rejected);
        }
    }
    if item.answer_len > 0 && reply.len() < item.answer_len {
        return Err(ReplyError::Short {
            got: reply.len(),
            want: item.answer_len,
        });
    }
    if item.leading != 0 && reply.first() != Some(&item.leading) {
        return Err(ReplyError::Leading(reply.first().copied().unwrap_or(0)));
    }
    let end = if item.to > 0 {
        item.to + 1
    } else {
        text.iter().position(|&b| b == b'\r').unwrap_or(text.len())
    };
    let from = item.from.min(text.len());
    let end = end.clamp(from, text.len());
    Ok(String::from_utf8_lossy(&text[from..end]).into_owned())
}

/// C's `str_trim_m(value, "# ")`: removes spaces and `#` at both ends.
pub fn trim_hashes(value: &str) -> &str {
    value.trim_matches(|c| c == ' ' || c == '#')
}

/// Whether C's `strspn(value, "0123456789 .") == strlen(value)` holds.
pub fn is_c_numeric(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b' ' || b == b'.')
}

/// C's `strtod` on a string made of digits, spaces and dots: the leading number after
/// spaces, 0 when there is none.
pub fn c_strtod(value: &str) -> f64 {
    let t = value.trim_start();
    let mut end = 0;
    let mut seen_dot = false;
    let mut seen_digit = false;
    for (i, c) in t.char_indices() {
        match c {
            '0'..='9' => {
                seen_digit = true;
                end = i + 1;
            }
            '.' if !seen_dot => {
                seen_dot = true;
                if seen_digit {
                    end = i + 1;
                }
            }
            '-' | '+' if i == 0 => {}
            _ => break,
        }
    }
    if !seen_digit {
        return 0.0;
    }
    t[..end].parse().unwrap_or(0.0)
}

/// Prints `x` with a printf format of the form `%.Nf` (also `%f`, `%.0f`), as C does.
/// Other formats print the number with `%g`-like shortest form.
pub fn printf_float(format: &str, x: f64) -> String {
    let is_float = format
        .strip_prefix('%')
        .and_then(|r| r.strip_suffix('f'))
        .is_some_and(|p| {
            p.is_empty()
                || p.strip_prefix('.')
                    .is_some_and(|d| d.parse::<usize>().is_ok())
        });
    if is_float {
        crate::printf::printf_number(format, x)
    } else {
        format!("{x}")
    }
}

/// Turns a plain value into the published one (the plain branch of C's
/// `ups_infoval_set`): trimmed when the item says so, checked and printed as a number
/// unless the format is `%s`.
pub fn format_value(item: &Item, raw: &str) -> Result<String, ReplyError> {
    let value = if item.has(TRIM) {
        trim_hashes(raw)
    } else {
        raw
    };
    let value = if item.format.eq_ignore_ascii_case("%s") {
        value.to_owned()
    } else {
        if !is_c_numeric(value) {
            return Err(ReplyError::NotNumeric(value.to_owned()));
        }
        printf_float(item.format, c_strtod(value))
    };
    if value.is_empty() {
        return Err(ReplyError::Empty);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q1: &[u8] = b"(226.0 195.0 226.0 014 49.0 27.5 30.0 00001000\r";

    #[test]
    fn cuts_values_out_of_fixed_columns() {
        let v = Item::value("input.voltage", "Q1\r", 47, b'(', 1, 5, "%.1f", 0);
        assert_eq!(extract(&v, Q1, None).unwrap(), "226.0");
        assert_eq!(format_value(&v, "226.0").unwrap(), "226.0");
        let l = Item::value("ups.load", "Q1\r", 47, b'(', 19, 21, "%.0f", 0);
        assert_eq!(
            format_value(&l, &extract(&l, Q1, None).unwrap()).unwrap(),
            "14"
        );
        let b = Item::value("battery.voltage", "Q1\r", 47, b'(', 28, 31, "%.2f", 0);
        assert_eq!(
            format_value(&b, &extract(&b, Q1, None).unwrap()).unwrap(),
            "27.50"
        );
        assert_eq!(
            extract(&v, b"(226.0\r", None),
            Err(ReplyError::Short { got: 7, want: 47 })
        );
        assert_eq!(
            extract(&v, b"Q1\r", Some("Q1\r")),
            Err(ReplyError::Rejected)
        );
        let mut bad = Q1.to_vec();
        bad[0] = b'#';
        assert_eq!(extract(&v, &bad, None), Err(ReplyError::Leading(b'#')));
        assert!(matches!(
            format_value(&v, "2x6.0"),
            Err(ReplyError::NotNumeric(_))
        ));
        let whole = Item::value("x", "M\r", 0, 0, 0, 0, "%s", 0);
        assert_eq!(extract(&whole, b"V\r", None).unwrap(), "V");
        assert_eq!(extract(&whole, b"", None).unwrap(), "");
        let far = Item::value("x", "M\r", 0, 0, 10, 12, "%s", 0);
        assert_eq!(extract(&far, b"abc", None).unwrap(), "");
    }

    #[test]
    fn trims_and_prints_like_c() {
        let m = Item::value("device.mfr", "I\r", 39, b'#', 1, 15, "%s", STATIC | TRIM);
        let i = b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r";
        assert_eq!(
            format_value(&m, &extract(&m, i, None).unwrap()).unwrap(),
            "NOT_A_LIVE_UPS"
        );
        let blank = Item::value("device.mfr", "I\r", 39, b'#', 1, 15, "%s", TRIM);
        assert_eq!(format_value(&blank, "  ## "), Err(ReplyError::Empty));
        assert_eq!(printf_float("%.1f", 49.95), "50.0");
        assert_eq!(printf_float("%.0f", 0.5), "0");
        assert_eq!(printf_float("%.0f", 1.5), "2");
        assert_eq!(c_strtod(" 12.5 7"), 12.5);
        assert_eq!(c_strtod("..."), 0.0);
        assert_eq!(c_strtod("-.5"), -0.5);
        assert!(is_c_numeric("012 .5") && !is_c_numeric("-1"));
    }
}
