//! What liebert-esp2 reads: the commands, the variables they fill, their formats and
//! multipliers (C's tables; the multipliers depend on the model family).

/// The shutdown delay the shutdown sequence sets, in tens of seconds.
pub const SHUTDOWN_DELAY: u8 = 12;

/// Which multiplier a reading uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mult {
    /// Times ten.
    Ten,
    /// A tenth.
    Tenth,
    /// Input voltage.
    VoltageIn,
    /// Output voltage.
    VoltageOut,
    /// Bypass voltage.
    VoltageBypass,
    /// Input current.
    CurrentIn,
    /// Output current.
    CurrentOut,
    /// Bypass current.
    CurrentBypass,
    /// Frequencies (family dependent).
    Frequency,
    /// Battery voltages (family dependent).
    VoltDc,
    /// Temperatures.
    Temperature,
    /// Battery current.
    CurrentDc,
    /// Runtimes (minutes to seconds).
    Runtime,
    /// The nominal power (family dependent).
    NominalPower,
    /// Powers (family dependent).
    Power,
    /// Load percentages.
    LoadPercent,
}

/// The multipliers in use (single precision, as C computes with them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Multipliers {
    frequency: f32,
    volt_dc: f32,
    power: f32,
    nominal_power: f32,
}

impl Default for Multipliers {
    fn default() -> Self {
        Self {
            frequency: 0.01,
            volt_dc: 0.1,
            power: 100.0,
            nominal_power: 100.0,
        }
    }
}

impl Multipliers {
    /// The multipliers for the family the scaling word names: 1 GXT2, 2 NXe, others
    /// the defaults.
    pub fn for_scaling(word: i16) -> Self {
        // C looks at the low byte alone.
        match word.to_be_bytes()[1] {
            1 => Self {
                frequency: 0.1,
                volt_dc: 0.1,
                power: 1.0,
                nominal_power: 1.0,
            },
            _ => Self::default(),
        }
    }

    /// The multiplier for `m`.
    pub fn get(&self, m: Mult) -> f32 {
        match m {
            Ten => 10.0,
            Tenth | VoltageIn | VoltageOut | VoltageBypass | CurrentIn | CurrentOut
            | CurrentBypass | Temperature => 0.1,
            Frequency => self.frequency,
            VoltDc => self.volt_dc,
            CurrentDc => 0.01,
            Runtime => 60.0,
            NominalPower => self.nominal_power,
            Power => self.power,
            LoadPercent => 1.0,
        }
    }
}

/// One measurement: the command group and item, the variable, its printf format and its
/// multiplier.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// The command group.
    pub cmd: u8,
    /// The item.
    pub index: u8,
    /// The variable.
    pub var: &'static str,
    /// The printf format of the value.
    pub fmt: &'static str,
    /// The multiplier.
    pub mult: Mult,
}

const fn r(cmd: u8, index: u8, var: &'static str, fmt: &'static str, mult: Mult) -> Reading {
    Reading {
        cmd,
        index,
        var,
        fmt,
        mult,
    }
}

/// The identification strings: variable, first item of group `0x88`, number of items
/// (two characters each).
pub const IDENT: [(&str, u8, u8); 4] = [
    ("ups.model", 4, 15),
    ("ups.firmware", 19, 8),
    ("ups.serial", 27, 10),
    ("ups.mfr.date", 37, 4),
];

use Mult::*;

/// Read from every unit.
pub const COMMON: &[Reading] = &[
    r(0x95, 1, "battery.runtime", "%.0f", Runtime),
    r(0x95, 2, "battery.voltage", "%.1f", VoltDc),
    r(0x95, 3, "battery.current", "%.2f", CurrentDc),
    r(0xa1, 13, "battery.voltage.nominal", "%.1f", VoltDc),
    r(0x95, 12, "battery.temperature", "%.1f", Temperature),
    r(0x95, 14, "ups.temperature", "%.1f", Temperature),
    r(0xa1, 8, "ups.power.nominal", "%.0f", NominalPower),
    r(0xa1, 4, "ups.delay.start", "%.0f", Ten),
    r(0xa1, 14, "battery.runtime.low", "%.0f", Runtime),
    r(0x95, 8, "input.frequency", "%.1f", Frequency),
    r(0x95, 10, "input.bypass.frequency", "%.1f", Frequency),
    r(0xa1, 9, "input.frequency.nominal", "%.1f", Frequency),
    r(0x95, 9, "output.frequency", "%.1f", Frequency),
    r(0xa1, 10, "output.frequency.nominal", "%.1f", Frequency),
];

/// One output phase. (C reads `ups.realpower` with the power multiplier.)
pub const OUT_1: &[Reading] = &[
    r(0x95, 7, "ups.load", "%.0f", LoadPercent),
    r(0x95, 6, "ups.power", "%.0f", Power),
    r(0x95, 5, "ups.realpower", "%.0f", Power),
    r(0x90, 3, "output.voltage", "%.1f", VoltageOut),
    r(0x90, 4, "output.current", "%.1f", CurrentOut),
];

/// One input phase.
pub const IN_1: &[Reading] = &[
    r(0x90, 1, "input.voltage", "%.1f", VoltageIn),
    r(0x90, 5, "input.bypass.voltage", "%.1f", VoltageBypass),
    r(0x90, 6, "input.bypass.current", "%.1f", CurrentBypass),
];

/// Split-phase output.
pub const OUT_2: &[Reading] = &[
    r(0x90, 24, "output.L1.power.percent", "%.0f", LoadPercent),
    r(0x91, 24, "output.L2.power.percent", "%.0f", LoadPercent),
    r(0x90, 22, "output.L1.power", "%.0f", Power),
    r(0x91, 22, "output.L2.power", "%.0f", Power),
    r(0x90, 21, "output.L1.realpower", "%.0f", Power),
    r(0x91, 21, "output.L2.realpower", "%.0f", Power),
    r(0x90, 3, "output.voltage", "%.1f", VoltageOut),
];

/// Three-phase output.
pub const OUT_3: &[Reading] = &[
    r(0x90, 24, "output.L1.power.percent", "%.0f", LoadPercent),
    r(0x91, 24, "output.L2.power.percent", "%.0f", LoadPercent),
    r(0x92, 24, "output.L3.power.percent", "%.0f", LoadPercent),
    r(0x90, 22, "output.L1.power", "%.0f", Power),
    r(0x91, 22, "output.L2.power", "%.0f", Power),
    r(0x92, 22, "output.L3.power", "%.0f", Power),
    r(0x90, 21, "output.L1.realpower", "%.0f", Power),
    r(0x91, 21, "output.L2.realpower", "%.0f", Power),
    r(0x92, 21, "output.L3.realpower", "%.0f", Power),
    r(0x90, 3, "output.L1-N.voltage", "%.1f", VoltageOut),
    r(0x91, 3, "output.L2-N.voltage", "%.1f", VoltageOut),
    r(0x92, 3, "output.L3-N.voltage", "%.1f", VoltageOut),
    r(0x90, 14, "output.L1.crestfactor", "%.1f", Tenth),
    r(0x91, 14, "output.L2.crestfactor", "%.1f", Tenth),
    r(0x92, 14, "output.L3.crestfactor", "%.1f", Tenth),
];

/// Split-phase input.
pub const IN_2: &[Reading] = &[
    r(0x90, 1, "input.voltage", "%.1f", VoltageIn),
    r(0x90, 5, "input.bypass.voltage", "%.1f", VoltageBypass),
    r(0x90, 6, "input.bypass.current", "%.1f", CurrentBypass),
    r(0x90, 2, "input.current", "%.1f", CurrentIn),
];

/// Three-phase input.
pub const IN_3: &[Reading] = &[
    r(0x90, 1, "input.L1-N.voltage", "%.1f", VoltageIn),
    r(0x91, 1, "input.L2-N.voltage", "%.1f", VoltageIn),
    r(0x92, 1, "input.L3-N.voltage", "%.1f", VoltageIn),
    r(0x90, 5, "input.L1-N.bypass.voltage", "%.1f", VoltageBypass),
    r(0x91, 5, "input.L2-N.bypass.voltage", "%.1f", VoltageBypass),
    r(0x92, 5, "input.L3-N.bypass.voltage", "%.1f", VoltageBypass),
    r(0x90, 6, "input.L1-N.bypass.current", "%.1f", CurrentBypass),
    r(0x91, 6, "input.L2-N.bypass.current", "%.1f", CurrentBypass),
    r(0x92, 6, "input.L3-N.bypass.current", "%.1f", CurrentBypass),
    r(0x90, 2, "input.L1.current", "%.1f", CurrentIn),
    r(0x91, 2, "input.L2.current", "%.1f", CurrentIn),
    r(0x92, 2, "input.L3.current", "%.1f", CurrentIn),
];
