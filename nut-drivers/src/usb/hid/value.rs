//! Reading and writing a field's value in a report buffer, and converting between logical and
//! physical values, with C NUT 2.8.0's arithmetic (`GetValue`, `SetValue`,
//! `logical_to_physical`, `physical_to_logical`, `get_unit_expo` in `hidparser.c` and
//! `libhid.c`).

use super::descriptor::Field;

/// Unit codes that C corrects the exponent for, and the correction: C expects volts, VA and
/// watts in the SI unit with exponent 7 already applied, so it subtracts 7 for those codes. The
/// first matching code wins (the table lists some codes twice).
pub const UNIT_EXPONENT_CORRECTIONS: [(u32, i8); 10] = [
    (0x0000_0000, 0), // none
    (0x00F0_D121, 7), // volt
    (0x0010_0001, 0), // ampere
    (0x0000_D121, 7), // volt-ampere
    (0x0000_D121, 7), // watt
    (0x0000_1001, 0), // second
    (0x0001_0001, 0), // kelvin
    (0x0000_0000, 0), // percent
    (0x0000_F001, 0), // hertz
    (0x0010_1001, 0), // ampere-second
];

/// The exponent C applies to a field's value: its unit exponent, less the correction for its
/// unit (wrapping in a signed byte, as C's `int8_t` does).
pub fn effective_exponent(unit: u32, unit_exponent: i8) -> i8 {
    UNIT_EXPONENT_CORRECTIONS
        .iter()
        .find(|(code, _)| *code == unit)
        .map_or(unit_exponent, |(_, correction)| {
            unit_exponent.wrapping_sub(*correction)
        })
}

/// `base` raised to `power`, multiplied out one factor at a time as C's `exponent` does, so the
/// rounding is the same.
pub fn power_of(base: f64, power: i8) -> f64 {
    let mut result = 1.0;
    if power > 0 {
        for _ in 0..power {
            result *= base;
        }
    } else {
        for _ in power..0 {
            result *= 1.0 / base;
        }
    }
    result
}

/// A double converted to a 64-bit integer as C on x86-64 converts it: truncated toward zero,
/// and `i64::MIN` for NaN or anything out of range.
pub fn c_double_to_long(value: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&value) {
        i64::MIN
    } else {
        value as i64
    }
}

/// Bits above this weight are ignored (C shifts a 64-bit `long` by the weight, which is
/// undefined beyond it).
const MAX_WEIGHT: u32 = 64;

impl Field {
    /// The bit position of the field's first bit in a report that starts with the id byte.
    fn first_bit(&self) -> u64 {
        u64::from(self.offset) + 8
    }

    /// The logical value of this field in `report` (C's `GetValue`). `report` is the buffer C
    /// keeps for the report: the id byte first (also for id 0), then the data; bytes it lacks
    /// read as zero. The raw bits are cut to the width of the logical range, sign-extended when
    /// the minimum is negative, and clamped to the range.
    pub fn logical_value(&self, report: &[u8]) -> i64 {
        let mut raw: u64 = 0;
        let first = self.first_bit();
        for weight in 0..self.size.min(MAX_WEIGHT) {
            let bit = first + u64::from(weight);
            let byte = usize::try_from(bit >> 3)
                .ok()
                .and_then(|i| report.get(i))
                .copied()
                .unwrap_or(0);
            if byte & (1 << (bit & 7)) != 0 {
                raw |= 1 << weight;
            }
        }
        let magnitude = |v: i64| -> u64 {
            if v >= 0 {
                v as u64
            } else {
                // -(v + 1) never overflows
                (-(v + 1)) as u64
            }
        };
        let widest = magnitude(self.logical_max).max(magnitude(self.logical_min));
        let sign_bit = 1u64.wrapping_shl(64 - widest.leading_zeros());
        let negative = self.logical_min < 0;
        let mask = sign_bit.wrapping_sub(1) | if negative { sign_bit } else { 0 };
        let mut bits = raw & mask;
        if negative && bits & sign_bit != 0 {
            bits |= !mask;
        }
        let value = bits as i64;
        if value < self.logical_min {
            self.logical_min
        } else if value > self.logical_max {
            self.logical_max
        } else {
            value
        }
    }

    /// Writes the low `size` bits of `value` into this field of `report` (C's `SetValue`),
    /// leaving the other bits alone. Bits that fall beyond `report` are not written.
    pub fn set_logical_value(&self, report: &mut [u8], value: i64) {
        let first = self.first_bit();
        for weight in 0..self.size.min(MAX_WEIGHT) {
            let bit = first + u64::from(weight);
            let Some(byte) = usize::try_from(bit >> 3)
                .ok()
                .and_then(|i| report.get_mut(i))
            else {
                continue;
            };
            let mask = 1u8 << (bit & 7);
            if value & (1i64 << weight) != 0 {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
    }

    /// Whether C maps this field's logical range onto a physical one: both physical limits
    /// given, not both zero, and both ranges increasing.
    fn scales(&self) -> bool {
        self.have_physical_max
            && self.have_physical_min
            && !(self.physical_max == 0 && self.physical_min == 0)
            && self.physical_max > self.physical_min
            && self.logical_max > self.logical_min
    }

    /// The exponent C applies to this field's values ([`effective_exponent`]).
    pub fn exponent(&self) -> i8 {
        effective_exponent(self.unit, self.unit_exponent)
    }

    /// The physical value C reports for a logical one (`logical_to_physical`, then times ten to
    /// the [`exponent`](Self::exponent)), with C's double arithmetic.
    pub fn to_physical(&self, logical: i64) -> f64 {
        let mut value = logical as f64;
        if self.scales() {
            let factor = self.physical_max.wrapping_sub(self.physical_min) as f64
                / self.logical_max.wrapping_sub(self.logical_min) as f64;
            let physical =
                logical.wrapping_sub(self.logical_min) as f64 * factor + self.physical_min as f64;
            value = if physical > self.physical_max as f64 {
                self.physical_max as f64
            } else if physical < self.physical_min as f64 {
                self.physical_min as f64
            } else {
                physical
            };
        }
        value * power_of(10.0, self.exponent())
    }

    /// The logical value C writes for a physical one (divided by ten to the
    /// [`exponent`](Self::exponent), then `physical_to_logical`): truncated toward zero and
    /// clamped to the logical range when the field scales.
    pub fn to_logical(&self, physical: f64) -> i64 {
        let value = physical / power_of(10.0, self.exponent());
        if !self.scales() {
            return c_double_to_long(value);
        }
        let factor = self.logical_max.wrapping_sub(self.logical_min) as f64
            / self.physical_max.wrapping_sub(self.physical_min) as f64;
        let logical = c_double_to_long((value - self.physical_min as f64) * factor)
            .wrapping_add(self.logical_min);
        if logical > self.logical_max {
            self.logical_max
        } else if logical < self.logical_min {
            self.logical_min
        } else {
            logical
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::hid::ReportType;

    fn field(offset: u32, size: u32, min: i64, max: i64) -> Field {
        Field {
            path: vec![0x0084_0004, 0x0084_0030],
            report_type: ReportType::Feature,
            report_id: 1,
            offset,
            size,
            logical_min: min,
            logical_max: max,
            physical_min: 0,
            physical_max: 0,
            have_physical_min: false,
            have_physical_max: false,
            unit: 0,
            unit_exponent: 0,
            attributes: 2,
            stale_nodes: vec![0; 8],
        }
    }

    #[test]
    fn unit_exponent_table_as_c() {
        // volt with exponent 7 (the usual PDC encoding) gives plain volts
        assert_eq!(effective_exponent(0x00F0_D121, 7), 0);
        // volt with exponent 5 (APC's battery voltage in 10 mV steps) gives 10^-2
        assert_eq!(effective_exponent(0x00F0_D121, 5), -2);
        // VA and watt share a code
        assert_eq!(effective_exponent(0x0000_D121, 7), 0);
        // ampere, second, kelvin, hertz: no correction
        assert_eq!(effective_exponent(0x0010_0001, -2), -2);
        assert_eq!(effective_exponent(0x0000_1001, 0), 0);
        assert_eq!(effective_exponent(0x0001_0001, -1), -1);
        assert_eq!(effective_exponent(0x0000_F001, -1), -1);
        assert_eq!(effective_exponent(0x0010_1001, 0), 0);
        // a unit C does not know keeps its exponent
        assert_eq!(effective_exponent(0x0000_0101, 3), 3);
        // C's int8_t arithmetic wraps
        assert_eq!(effective_exponent(0x00F0_D121, -128), 121);
    }

    #[test]
    fn powers_multiply_like_c() {
        assert_eq!(power_of(10.0, 0), 1.0);
        assert_eq!(power_of(10.0, 3), 1000.0);
        // 0.1 * 0.1 in doubles, not 1e-2
        assert_eq!(power_of(10.0, -2), 0.1 * (0.1 * 1.0));
    }

    #[test]
    fn physical_scaling_and_back() {
        let mut f = field(0, 16, 0, 65535);
        f.unit = 0x00F0_D121;
        f.unit_exponent = 5;
        // values checked against the C expressions compiled with gcc
        assert_eq!(f.to_physical(1360), 13.600000000000003);
        assert_eq!(crate::usb::hid::format_g(f.to_physical(1360)), "13.6");
        // C truncates 1359.9999999999998
        assert_eq!(f.to_logical(13.6), 1359);
        // a physical range maps onto the logical one, and clamps
        let mut g = field(0, 8, 0, 255);
        g.have_physical_min = true;
        g.have_physical_max = true;
        g.physical_min = 0;
        g.physical_max = 100;
        assert_eq!(g.to_physical(255), 100.0);
        // 100 * 2.55 is 254.99999999999997 in doubles: C truncates it
        assert_eq!(g.to_logical(100.0), 254);
        assert_eq!(g.to_logical(1000.0), 255);
        // both physical limits zero: no scaling
        g.physical_max = 0;
        assert_eq!(g.to_physical(200), 200.0);
        assert_eq!(c_double_to_long(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_long(-2.9), -2);
    }

    #[test]
    fn set_then_get_round_trips() {
        let f = field(3, 7, 0, 127);
        let mut report = [1u8, 0xff, 0xff];
        f.set_logical_value(&mut report, 0x55);
        assert_eq!(f.logical_value(&report), 0x55);
        // the bits around the field are untouched
        assert_eq!(report[1] & 0x07, 0x07);
        assert_eq!(report[2] & 0xfc, 0xfc);
    }

    #[test]
    fn signed_fields() {
        let f = field(8, 8, -128, 127);
        let mut report = [2u8, 0, 0];
        f.set_logical_value(&mut report, -5);
        assert_eq!(report, [2, 0, 0xfb]);
        assert_eq!(f.logical_value(&report), -5);
        // 16-bit signed crossing bytes at an odd offset
        let g = field(4, 16, -32768, 32767);
        let mut report = [3u8, 0, 0, 0];
        g.set_logical_value(&mut report, -300);
        assert_eq!(g.logical_value(&report), -300);
        g.set_logical_value(&mut report, 12345);
        assert_eq!(g.logical_value(&report), 12345);
    }

    #[test]
    fn c_masks_and_clamps() {
        // APC BF500: LogMax 0xffff in a 32-bit field with garbage in the high bits
        let f = field(0, 32, 0, 0xffff);
        assert_eq!(f.logical_value(&[1, 0x00, 0x0a, 0x08, 0x80]), 0x0a00);
        // a value above LogMax that fits the mask is clamped
        let g = field(0, 8, 0, 100);
        assert_eq!(g.logical_value(&[1, 120]), 100);
        // LogMin 0 and a set high bit: no sign extension
        let h = field(0, 8, 0, 255);
        assert_eq!(h.logical_value(&[1, 0xff]), 255);
        // a short report reads zeros
        assert_eq!(h.logical_value(&[1]), 0);
        assert_eq!(h.logical_value(&[]), 0);
    }
}
