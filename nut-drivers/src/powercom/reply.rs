//! PowerCom status frames: validation and the conversions of C's driver, with no I/O.
//!
//! The conversions depend on the family name (after detection) and on the coefficients
//! of the configured family's entry, computed in C's mix of single and double precision.
//!
//! ```
//! use nut_drivers::powercom::reply::{Calc, Raw};
//! use nut_drivers::powercom::types::TYPES;
//!
//! let mut raw = Raw::default();
//! raw.0[..13].copy_from_slice(&[20, 200, 143, 143, 96, 0x10, 96, 0, 0, 0, 0, b'K', 0x89]);
//! let calc = Calc { name: "KIN", entry: TYPES[4], linevoltage: 230 };
//! assert!(calc.valid(&raw));
//! assert_eq!(calc.status(&raw), "OL");
//! assert_eq!(format!("{:.1}", calc.input_voltage(&raw)), "230.2");
//! ```

use super::types::TypeEntry;

/// The longest frame.
pub const MAX_FRAME: usize = 16;

/// The last frame's bytes (bytes a shorter frame does not send keep their old values).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Raw(pub [u8; MAX_FRAME]);

const LOAD: usize = 0;
const BATTERY: usize = 1;
const VIN: usize = 2;
const VOUT: usize = 3;
const FIN: usize = 4;
const FOUT: usize = 6;
const STATUS_A: usize = 9;
const STATUS_B: usize = 10;
const MODELNUMBER: usize = 12;

/// Line voltages by the low nibble of the model number.
pub const VOLTAGES: [u32; 16] = [
    100, 110, 115, 120, 0, 0, 0, 200, 220, 230, 240, 0, 0, 0, 0, 0,
];
/// BNT ratings by the high nibble.
pub const BNT_MODELS: [u32; 16] = [
    0, 400, 500, 600, 800, 801, 1000, 1200, 1500, 2000, 0, 0, 0, 0, 0, 0,
];
/// KIN ratings by the high nibble.
pub const KIN_MODELS: [u32; 16] = [
    0, 425, 500, 525, 625, 800, 1000, 1200, 1500, 1600, 2200, 2200, 2500, 3000, 5000, 0,
];
/// IMP ratings by the high nibble.
pub const IMP_MODELS: [u32; 16] = [
    0, 425, 525, 625, 825, 1025, 1200, 1500, 2000, 0, 0, 0, 0, 0, 0, 0,
];
/// OPTI ratings by the high nibble.
pub const OPTI_MODELS: [u32; 16] = [0, 0, 0, 575, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

const DATAX1: [f32; 14] = [
    0.0, 1.0, 1.0, 1.0, 1.0, 0.945, 0.945, 0.945, 0.127, 0.127, 0.945, 0.945, 0.945, 0.256,
];
const DATAY1: [f32; 14] = [
    0.0, 0.85, 0.85, 0.85, 0.88, 0.9, 0.9, 0.9, 6.6, 6.6, 0.87, 0.87, 0.87, 3.29,
];
const DATAZ1: [f32; 14] = [
    0.0, 1.03, 0.78, 0.78, 0.72, 0.55, 0.55, 0.55, 0.5, 0.5, 0.43, 0.43, 0.43, 0.3,
];
const DATAX2: [f32; 14] = [
    0.0, 1.0, 1.0, 1.0, 1.0, 1.89, 1.89, 1.89, 0.127, 0.127, 1.89, 1.89, 1.89, 0.256,
];
const DATAY2: [f32; 14] = [
    0.0, 1.73, 1.74, 1.74, 1.77, 0.9, 0.9, 0.9, 13.204, 13.204, 0.88, 0.88, 0.88, 6.645,
];
const DATAZ2: [f32; 14] = [
    0.0, 1.15, 0.9, 0.9, 0.75, 1.1, 1.1, 1.1, 0.8, 0.8, 0.86, 0.86, 0.86, 0.7,
];

const LOAD425: [i32; 11] = [99, 88, 84, 80, 84, 84, 84, 86, 86, 81, 76];
const LOAD525: [i32; 11] = [127, 113, 106, 100, 106, 106, 106, 109, 109, 103, 97];
const LOAD625: [i32; 11] = [131, 115, 107, 103, 107, 107, 107, 110, 110, 105, 99];
const LOAD2K: [i32; 11] = [94, 94, 94, 94, 94, 94, 94, 120, 120, 115, 110];
const LOAD425I: [i32; 11] = [60, 54, 51, 48, 51, 51, 51, 53, 53, 50, 48];
const LOAD525I: [i32; 11] = [81, 72, 67, 62, 67, 67, 67, 65, 65, 62, 59];
const LOAD625I: [i32; 11] = [79, 70, 67, 64, 67, 67, 67, 65, 65, 61, 58];
const LOAD2KI: [i32; 11] = [84, 77, 74, 70, 74, 74, 74, 77, 77, 74, 70];
const LOAD400: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 88, 83, 87];
const LOAD500: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 108, 103, 98];
const LOAD600: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 128, 123, 118];
const LOAD400I: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 54, 52, 49];
const LOAD500I: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 66, 64, 61];
const LOAD600I: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 86, 84, 81];
const LOAD801I: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 44, 42, 40];
const LOAD1000I: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 56, 54, 52];
const LOAD1200I: [i32; 11] = [1, 1, 1, 1, 1, 1, 1, 1, 76, 74, 72];

/// An entry of a table C indexes without a bound check: outside it, 0 (C reads whatever
/// lies beyond).
fn at<T: Copy + Default>(table: &[T], i: usize) -> T {
    table.get(i).copied().unwrap_or_default()
}

/// What the conversions need besides the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calc {
    /// The family name after detection (`KIN`, `BNT`, `IMP`, `OPTI`, or the configured one).
    pub name: &'static str,
    /// The configured family's entry, with the options' overrides.
    pub entry: TypeEntry,
    /// The line voltage.
    pub linevoltage: u32,
}

impl Calc {
    fn is(&self, name: &str) -> bool {
        self.name == name
    }

    /// Whether the frame passes the family's three checks.
    pub fn valid(&self, raw: &Raw) -> bool {
        self.entry
            .validation
            .iter()
            .all(|&(i, v)| raw.0.get(i as usize).is_some_and(|&b| u32::from(b) == v))
    }

    fn bnt_high(&self, raw: &Raw) -> bool {
        self.is("BNT") && raw.0[MODELNUMBER] % 16 > 7
    }

    fn kin_model(raw: &Raw) -> u32 {
        KIN_MODELS[usize::from(raw.0[MODELNUMBER] / 16)]
    }

    fn linear(&self, x: u8) -> f32 {
        let v = &self.entry.voltage;
        let x = f32::from(x);
        if self.linevoltage >= 220 {
            v[0] * x + v[1]
        } else {
            v[2] * x + v[3]
        }
    }

    /// `input.voltage`.
    pub fn input_voltage(&self, raw: &Raw) -> f32 {
        let x = f64::from(raw.0[VIN]);
        let tmp = if self.bnt_high(raw) {
            (2.2 * x - 24.0) as f32
        } else if self.is("KIN") {
            let model = Self::kin_model(raw);
            let low = self.linevoltage < 200;
            (if model <= 625 {
                if low {
                    0.89 * x + 6.18
                } else {
                    1.79 * x + 3.35
                }
            } else if (800..2000).contains(&model) {
                if low {
                    1.61 * x / 2.0
                } else {
                    1.61 * x
                }
            } else if low {
                1.625 * x / 2.0
            } else {
                1.625 * x
            }) as f32
        } else if self.is("IMP") || self.is("OPTI") {
            (x * 2.0) as f32
        } else {
            self.linear(raw.0[VIN])
        };
        if tmp < 0.0 {
            0.0
        } else {
            tmp
        }
    }

    /// `output.voltage`.
    pub fn output_voltage(&self, raw: &Raw) -> f32 {
        let r = &raw.0;
        let o = f64::from(r[VOUT]);
        let (mut inv, mut avr, mut avr_mode) = (0u32, 0u32, 0u32);
        if self.is("BNT") || self.is("KIN") {
            inv = u32::from(r[STATUS_A] & 1);
            avr = u32::from(r[STATUS_A] & 8);
            avr_mode = u32::from(r[STATUS_A] & 16);
        }
        // C's `t - raw` is unsigned arithmetic.
        let t = u32::from(r[FOUT]) / 2;
        let diff = t.wrapping_sub(u32::from(r[VOUT]));
        let tmp: f32 = if self.bnt_high(raw) {
            if inv == 0 {
                (if avr == 0 {
                    2.2 * o - 24.0
                } else if avr_mode > 0 {
                    (2.2 * o - 24.0) * 31.0 / 27.0
                } else {
                    (2.22 * o - 24.0) * 27.0 / 31.0
                }) as f32
            } else {
                let a = 1.965 * f64::from(r[15]);
                let tmp = (a * a * f64::from(diff) / f64::from(t)) as f32;
                if tmp > 0.0 {
                    f64::from(tmp).sqrt() as f32
                } else {
                    0.0
                }
            }
        } else if self.is("KIN") {
            let model = Self::kin_model(raw);
            let high = self.linevoltage >= 200;
            if inv == 0 {
                (if avr == 0 {
                    match (high, model) {
                        (true, m) if m <= 625 => 1.79 * o + 3.35,
                        (true, m) if m < 2000 => 1.61 * o,
                        (true, _) => 1.625 * o,
                        (false, m) if m <= 625 => 0.89 * o + 6.18,
                        (false, m) if m < 2000 => 1.61 * o / 2.0,
                        (false, _) => 1.625 * o / 2.0,
                    }
                } else {
                    // C's `statAVR == 1` branch can never be taken (the bit is 8).
                    match (high, model) {
                        (true, 625) => 1.571 * o,
                        (true, m) if m < 2000 => 1.37 * o,
                        (true, _) => 1.4 * o,
                        (false, m) if m <= 625 => 1.635 * o / 2.0,
                        (false, _) => 1.392 * o / 2.0,
                    }
                }) as f32
            } else {
                let idx = usize::from(r[MODELNUMBER] / 16);
                let (x, y, z) = if high {
                    (at(&DATAX2, idx), at(&DATAY2, idx), at(&DATAZ2, idx + 1))
                } else {
                    (at(&DATAX1, idx), at(&DATAY1, idx), at(&DATAZ1, idx))
                };
                let boost = (1.0 + f64::from(avr) * 20.0 / 135.0) as f32;
                let (batt, load) = (f32::from(r[BATTERY]), f32::from(r[LOAD]));
                let (d, tf) = (diff as f32, t as f32);
                if model > 625 {
                    let tmp = (batt * x) * (batt * x) * d / tf;
                    if tmp > 0.0 {
                        (f64::from(tmp).sqrt() * f64::from(y) * f64::from(boost)
                            - f64::from(r[LOAD]) * f64::from(z) * f64::from(boost))
                            as f32
                    } else {
                        tmp
                    }
                } else {
                    let tmp = (batt * x - load * z) * (batt * x - load * z) * d / tf;
                    if tmp > 0.0 {
                        (f64::from(tmp).sqrt() * f64::from(y)) as f32
                    } else {
                        tmp
                    }
                }
            }
        } else if self.is("IMP") || self.is("OPTI") {
            (o * 2.0) as f32
        } else {
            self.linear(r[VOUT])
        };
        if tmp < 0.0 {
            0.0
        } else {
            tmp
        }
    }

    fn frequency(&self, x: u8) -> f32 {
        if self.is("BNT") || self.is("KIN") {
            (4807.0 / f64::from(x)) as f32
        } else if self.is("IMP") || self.is("OPTI") {
            f32::from(x)
        } else if x == 0 {
            0.0
        } else {
            (1.0 / f64::from(self.entry.freq[0] * f32::from(x) + self.entry.freq[1])) as f32
        }
    }

    /// `input.frequency`.
    pub fn input_frequency(&self, raw: &Raw) -> f32 {
        self.frequency(raw.0[FIN])
    }

    /// `output.frequency`.
    pub fn output_frequency(&self, raw: &Raw) -> f32 {
        self.frequency(raw.0[FOUT])
    }

    /// `ups.load`.
    pub fn load(&self, raw: &Raw) -> f32 {
        let r = &raw.0;
        let l = f64::from(r[LOAD]);
        let inv = r[STATUS_A] & 1 != 0;
        let v = usize::from(r[MODELNUMBER] % 16);
        let scaled = |table: &[i32; 11]| (l * 110.0 / f64::from(at(table, v))) as f32;
        if self.bnt_high(raw) {
            let model = BNT_MODELS[usize::from(r[MODELNUMBER] / 16)];
            if !inv {
                return match model {
                    400 | 801 => scaled(&LOAD400),
                    600 | 1200 => scaled(&LOAD600),
                    _ => scaled(&LOAD500),
                };
            }
            match model {
                400 => return scaled(&LOAD400I),
                500 | 800 => return scaled(&LOAD500I),
                600 => return scaled(&LOAD600I),
                801 => return scaled(&LOAD801I),
                1200 => return scaled(&LOAD1200I),
                1000 | 1500 | 2000 => return scaled(&LOAD1000I),
                // C falls through to the linear conversion.
                _ => {}
            }
        } else if self.is("KIN") {
            let model = Self::kin_model(raw);
            return match (inv, model) {
                (false, 425) => scaled(&LOAD425),
                (false, 525) => scaled(&LOAD525),
                (false, 625) => scaled(&LOAD625),
                (false, m) if m < 2000 => (l * 1.13) as f32,
                (false, _) => scaled(&LOAD2K),
                (true, 425) => scaled(&LOAD425I),
                (true, 525) => scaled(&LOAD525I),
                (true, 625) => scaled(&LOAD625I),
                (true, m) if m < 2000 => (l * 1.66) as f32,
                (true, _) => scaled(&LOAD2KI),
            };
        } else if self.is("IMP") || self.is("OPTI") {
            return f32::from(r[LOAD]);
        }
        let p = &self.entry.loadpct;
        let x = f32::from(r[LOAD]);
        if inv {
            p[0] * x + p[1]
        } else {
            p[2] * x + p[3]
        }
    }

    /// `battery.charge`.
    pub fn battery(&self, raw: &Raw) -> f32 {
        let r = &raw.0;
        let inv = r[STATUS_A] & 1 != 0;
        let curve = |v: f32, b0: i32, b29: i32, b100: i32| -> f32 {
            let v64 = f64::from(v);
            if v <= b0 as f32 {
                0.0
            } else if v <= b29 as f32 {
                ((v - b0 as f32) as f64 * 30.0 / f64::from(b29 - b0)) as f32
            } else if v <= b100 as f32 {
                (30.0 + f64::from(v - b29 as f32) * 70.0 / f64::from(b100 - b29)) as f32
            } else {
                let _ = v64;
                100.0
            }
        };
        if self.is("BNT") {
            let v = (i32::from(r[LOAD]) / 4 + i32::from(r[BATTERY])) as f32;
            return curve(v, 157, 165, 193);
        }
        if self.is("KIN") {
            let model = Self::kin_model(raw);
            let load = f64::from(r[LOAD]);
            let batt = f64::from(r[BATTERY]);
            if (800..=2000).contains(&model) {
                let v = ((batt - 165.0) * 2.6) as f32;
                if inv {
                    return v + f32::from(r[LOAD]);
                }
                return if v > 7.0 { v - 6.0 } else { v };
            }
            let (v, b0, b29, b100) = if model <= 625 {
                ((load / 4.0 + batt) as f32, 169, 176, 204)
            } else {
                ((load / 4.0 - load / 32.0 + batt) as f32, 175, 182, 209)
            };
            return curve(v, b0, b29, b100);
        }
        if self.is("IMP") || self.is("OPTI") {
            return f32::from(r[BATTERY]);
        }
        let p = &self.entry.battpct;
        let x = f32::from(r[BATTERY]);
        if inv {
            p[0] * x + p[1] * self.load(raw) + p[2]
        } else {
            p[3] * x + p[4]
        }
    }

    /// `ups.status`.
    pub fn status(&self, raw: &Raw) -> String {
        let (a, b) = (raw.0[STATUS_A], raw.0[STATUS_B]);
        let mut words = Vec::new();
        if a & 1 == 0 {
            words.push(if a & 128 == 0 { "OL" } else { "OFF" });
        } else {
            words.push("OB");
        }
        if a & 2 != 0 {
            words.push("LB");
        }
        if a & 8 != 0 {
            words.push(if self.input_voltage(raw) < self.linevoltage as f32 {
                "BOOST"
            } else {
                "TRIM"
            });
        }
        if a & 32 != 0 {
            words.push("OVER");
        }
        if b & 2 != 0 {
            words.push("RB");
        }
        if b & 4 != 0 {
            words.push("TEST");
        }
        words.join(" ")
    }
}
