//! The Voltronic Power "QPI/QGS" family (C NUT 2.8.0's `voltronic` subdriver of
//! nutdrv_qx, "Voltronic 0.06").
//!
//! A device is claimed when `QGS` gives `input.voltage` and `QPI` a protocol this driver
//! knows (`(PI01`: `P00`…`P03`, `P08`…`P10`, `P13`, `P14`, `P31`, `P99`); the protocol
//! number then unskips the items it has (three-phase `Q3**`, bypass limits, battery type).
//! The table ([`table`]) asks ratings (`QRI`, `QMD`, `F`), identification (`QMF`, `QVFW`,
//! `QID`, `I`), status (`QGS`: values and twelve status bits, `QMOD`: working mode, `QWS`:
//! warnings), battery (`QBV`), load extremes (`QLDL`), capabilities (`QFLAG` → the
//! `ups.start.auto`-style writable yes/no variables and the `bypass_alarm`-style driver
//! options), outlets (`QSKn`, `QSKTn`), ECO-mode and bypass limits (`QHE`, `QFRE`,
//! `QBYV`, `QBYF`), battery low voltage (`RE0`), phase angles (`QPD`) and parallel role
//! (`QPAR`). Commands and settings are acknowledged with `(ACK` or refused with `(NAK`.
//! The processing of replies is in [`process`].

pub mod process;
pub mod table;

use nut_driver_api::driver::OptionSpec;

use super::dialect::{Claim, Dialect, Family};

/// The preprocess functions of the Voltronic table (C's `voltronic_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proc {
    /// `QPI`: the protocol number (unskips the items it brings).
    Protocol,
    /// `QMD`: the power factor in percent.
    OutputPowerfactor,
    /// `QID`: the serial number, unless all zeroes.
    SerialNumb,
    /// `QGS` status bits (and `ups.type`, `ups.beeper.status`).
    Status,
    /// `QMOD`: the working mode as a status word or an alarm.
    Mode,
    /// `QWS`: the warnings as one alarm.
    Warning,
    /// `QBV`: the number of batteries in a pack (a driver option).
    BattNumb,
    /// `QBV`: the runtime, minutes to seconds.
    BattRuntime,
    /// `QFLAG`: one capability.
    Capability,
    /// Sets a capability with a NUT variable (`P[ED]x`).
    CapabilitySet,
    /// Sets a capability from a driver option (`P[ED]x`).
    CapabilitySetNonut,
    /// `reset_to_default`: `PF`, in standby only.
    CapabilityReset,
    /// `QSKn`: outlet n switchable / status.
    Outlet,
    /// `QSKTn`: outlet n shutdown delay, minutes to seconds.
    OutletDelay,
    /// Sets outlet n's delay (`PSKnmmm`).
    OutletDelaySet,
    /// `QHE`: the ECO-mode voltage limits (and their allowed ranges).
    EcoVolt,
    /// `input.transfer.{low,high}.{min,max}`: the ranges found by [`Proc::EcoVolt`].
    EcoVoltRange,
    /// `QFRE`: the ECO-mode frequency limits.
    EcoFreq,
    /// `QBYV`, `QBYF`: the bypass limits (driver options).
    Bypass,
    /// `QBT`: the battery type (P31).
    P31b,
    /// Sets the battery type (`PBTnn`).
    P31bSet,
    /// `QGR`: the grid working range (P31, a driver option).
    P31g,
    /// Sets the grid working range (`PGRnn`).
    P31gSet,
    /// `QPD`: the phase angles.
    Phase,
    /// Sets the output phase angle (`PPDn`).
    PhaseSet,
    /// `QPAR`: master or slave in a parallel system.
    Parallel,
    /// A writable variable: its command from the value (`HEH%03.0f`), or a driver-side
    /// delay truncated to what the device can do.
    Setvar,
    /// An instant command that needs the delays or a parameter (`S%s`, `T%s`, `BZ%s`).
    Command,
}

/// The Voltronic dialect.
pub const VOLTRONIC: Dialect = Dialect {
    version: "Voltronic 0.06",
    claim: Claim::StatusAndVar("ups.firmware.aux"),
    status: "QGS\r",
    ratings: false,
    vendor: None,
    accepted: Some("ACK"),
    rejected: Some("(NAK\r"),
    vendor_flags: false,
    family: Family::Voltronic,
};

/// The driver options the Voltronic dialect adds (C's `voltronic_makevartable`).
pub fn options() -> Vec<OptionSpec> {
    let mut o = vec![OptionSpec::flag(
        "reset_to_default",
        "Reset capability options and their limits to safe default values",
    )];
    for (name, help) in [
        (
            "bypass_alarm",
            "Alarm (BEEP!) at Bypass Mode [enabled/disabled]",
        ),
        (
            "battery_alarm",
            "Alarm (BEEP!) at Battery Mode [enabled/disabled]",
        ),
        (
            "bypass_when_off",
            "Bypass when the UPS is Off [enabled/disabled]",
        ),
        ("alarm_control", "Alarm (BEEP!) Control [enabled/disabled]"),
        ("converter_mode", "Converter Mode [enabled/disabled]"),
        ("eco_mode", "ECO Mode [enabled/disabled]"),
        (
            "battery_open_status_check",
            "Battery Open Status Check [enabled/disabled]",
        ),
        (
            "bypass_forbidding",
            "Bypass not allowed (Bypass Forbidding) [enabled/disabled]",
        ),
        (
            "site_fault_detection",
            "Site fault detection [enabled/disabled]",
        ),
        ("advanced_eco_mode", "Advanced ECO Mode [enabled/disabled]"),
        (
            "constant_phase_angle",
            "Constant Phase Angle Function (Output and input phase angles are not equal) [enabled/disabled]",
        ),
        (
            "limited_runtime_on_battery",
            "Limited runtime on battery mode [enabled/disabled]",
        ),
        ("max_bypass_volt", "Maximum voltage for Bypass Mode"),
        ("min_bypass_volt", "Minimum voltage for Bypass Mode"),
        ("max_bypass_freq", "Maximum frequency for Bypass Mode"),
        ("min_bypass_freq", "Minimum frequency for Bypass Mode"),
        (
            "work_range_type",
            "Device grid working range for P31 UPSes [Appliance/UPS]",
        ),
        (
            "output_phase_angle",
            "Change output phase angle to the provided value [000, 120, 180, 240]°",
        ),
        (
            "battery_number",
            "Set number of batteries that make a pack to n (integer, 1-9)",
        ),
    ] {
        o.push(OptionSpec::value(name, help));
    }
    o.push(OptionSpec::flag(
        "testing",
        "If invoked the driver will exec also commands that still need testing",
    ));
    o
}

#[cfg(test)]
mod tests;
