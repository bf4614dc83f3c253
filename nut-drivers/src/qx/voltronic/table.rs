//! The Voltronic protocol table (C's `voltronic_qx2nut`): which inquiry gives which
//! variable, in C's order (the order matters: items unskip later ones, and a later item
//! for a variable already set at start is not asked).

use super::Proc;
use crate::qx::item::{
    Item, Process, ABSENT, CMD, ENUM, NONUT, QUICK_POLL, RANGE, SEMI_STATIC, SETVAR, SKIP, STATIC,
    TRIM,
};

/// Allowed values of `ups.delay.start`.
pub const ONDELAY_RANGE: &[&str] = &["0", "599940"];
/// Allowed values of `ups.delay.shutdown`.
pub const OFFDELAY_RANGE: &[&str] = &["12", "5940"];
/// The output phase angles (`output_phase_angle`).
pub const PHASES: &[&str] = &["000", "120", "180", "240"];
/// `battery.voltage.low`: 20 and one of 24/28 by the rating (see `keep_allowed`).
pub const BATT_LOW: &[&str] = &["20", "24", "28"];
/// `outlet.N.delay.shutdown`.
pub const OUTLET_DELAY: &[&str] = &["0", "59940"];
/// `work_range_type`, in the device's numbering (00, 01).
pub const WORK_RANGE: &[&str] = &["Appliance", "UPS"];
/// `battery.type`, in the device's numbering (00, 01, 02).
pub const BATT_TYPE: &[&str] = &["Li", "Flooded", "AGM"];
/// `battery.packs`.
pub const BATT_PACKS: &[&str] = &["1", "99"];
/// `battery_number`.
pub const BATT_NUMB: &[&str] = &["1", "9"];
/// Candidate bounds of `max_bypass_volt` (filtered by protocol and rating).
pub const BYPASS_VOLT_MAX: &[&str] = &[
    "60", "115", "120", "132", "138", "140", "230", "231", "261", "264", "276",
];
/// Candidate bounds of `min_bypass_volt`.
pub const BYPASS_VOLT_MIN: &[&str] = &[
    "50", "55", "60", "85", "104", "110", "115", "140", "149", "170", "209", "220",
];
/// Candidate bounds of `max_bypass_freq`.
pub const BYPASS_FREQ_MAX: &[&str] = &["51.0", "54.0", "60.0", "61.0", "64.0", "70.0"];
/// Candidate bounds of `min_bypass_freq`.
pub const BYPASS_FREQ_MIN: &[&str] = &["40.0", "46.0", "49.0", "50.0", "56.0", "59.0"];
/// Candidate bounds of `input.frequency.low`.
pub const ECO_FREQ_MIN: &[&str] = &[
    "40.0", "46.0", "47.0", "48.0", "50.0", "56.0", "57.0", "58.0",
];
/// Candidate bounds of `input.frequency.high`.
pub const ECO_FREQ_MAX: &[&str] = &[
    "52.0", "53.0", "54.0", "60.0", "62.0", "63.0", "64.0", "70.0",
];
/// Capabilities with a NUT variable.
pub const CAP: &[&str] = &["no", "yes"];
/// Capabilities without one.
pub const CAP_NONUT: &[&str] = &["enabled", "disabled"];

/// The capabilities without a NUT variable, with their `QFLAG` letter and `P?x` letter.
pub const NONUT_CAPS: [(&str, char, char); 12] = [
    ("bypass_alarm", 'p', 'P'),
    ("battery_alarm", 'b', 'B'),
    ("bypass_when_off", 'o', 'O'),
    ("alarm_control", 'a', 'A'),
    ("converter_mode", 'v', 'V'),
    ("eco_mode", 'e', 'E'),
    ("battery_open_status_check", 'd', 'D'),
    ("bypass_forbidding", 'f', 'F'),
    ("site_fault_detection", 'l', 'L'),
    ("advanced_eco_mode", 'n', 'N'),
    ("constant_phase_angle", 'q', 'Q'),
    ("limited_runtime_on_battery", 'w', 'W'),
];

/// The capabilities with a NUT variable, with their `QFLAG` letter.
pub const NUT_CAPS: [(&str, char); 5] = [
    ("ups.start.auto", 'r'),
    ("battery.protection", 's'),
    ("battery.energysave", 'g'),
    ("ups.start.battery", 'c'),
    ("outlet.0.switchable", 'j'),
];

#[allow(clippy::too_many_arguments)]
const fn v(
    var: &'static str,
    cmd: &'static str,
    len: usize,
    lead: u8,
    from: usize,
    to: usize,
    fmt: &'static str,
    flags: u32,
) -> Item {
    Item::value(var, cmd, len, lead, from, to, fmt, flags)
}

const fn p(item: Item, proc_: Proc) -> Item {
    item.with(Process::Voltronic(proc_))
}

/// A command or setvar item: the reply is `(ACK\r` (value in columns 1..=3).
const fn ack(var: &'static str, cmd: &'static str, flags: u32) -> Item {
    Item::value(var, cmd, 5, b'(', 1, 3, "", flags)
}

/// The whole table.
pub fn table() -> Vec<Item> {
    use Proc::*;
    let qgs = |var, from, to, fmt, flags| v(var, "QGS\r", 76, b'(', from, to, fmt, flags);
    let st = |var, col, flags| p(qgs(var, col, col, "%s", flags), Status);
    let mut t = vec![
        p(
            v("ups.firmware.aux", "QPI\r", 6, b'(', 1, 4, "%s", STATIC),
            Protocol,
        ),
        v(
            "output.voltage.nominal",
            "QRI\r",
            22,
            b'(',
            1,
            5,
            "%.1f",
            STATIC,
        ),
        v(
            "output.current.nominal",
            "QRI\r",
            22,
            b'(',
            7,
            9,
            "%.0f",
            STATIC,
        ),
        v(
            "battery.voltage.nominal",
            "QRI\r",
            22,
            b'(',
            11,
            15,
            "%.1f",
            SEMI_STATIC,
        ),
        v(
            "output.frequency.nominal",
            "QRI\r",
            22,
            b'(',
            17,
            20,
            "%.1f",
            STATIC,
        ),
        v(
            "device.model",
            "QMD\r",
            48,
            b'(',
            1,
            15,
            "%s",
            STATIC | TRIM,
        ),
        v(
            "ups.power.nominal",
            "QMD\r",
            48,
            b'(',
            17,
            23,
            "%s",
            STATIC | TRIM,
        ),
        p(
            v(
                "output.powerfactor",
                "QMD\r",
                48,
                b'(',
                25,
                26,
                "%.1f",
                STATIC,
            ),
            OutputPowerfactor,
        ),
        v("input.phases", "QMD\r", 48, b'(', 28, 28, "%.0f", STATIC),
        v("output.phases", "QMD\r", 48, b'(', 30, 30, "%.0f", STATIC),
        v(
            "input.voltage.nominal",
            "QMD\r",
            48,
            b'(',
            32,
            34,
            "%.1f",
            STATIC,
        ),
        v(
            "output.voltage.nominal",
            "QMD\r",
            48,
            b'(',
            36,
            38,
            "%.1f",
            STATIC,
        ),
        v(
            "input.voltage.nominal",
            "F\r",
            22,
            b'#',
            1,
            5,
            "%.1f",
            STATIC,
        ),
        v(
            "input.current.nominal",
            "F\r",
            22,
            b'#',
            7,
            9,
            "%.1f",
            STATIC,
        ),
        v(
            "battery.voltage.nominal",
            "F\r",
            22,
            b'#',
            11,
            15,
            "%.1f",
            STATIC,
        ),
        v(
            "input.frequency.nominal",
            "F\r",
            22,
            b'#',
            17,
            20,
            "%.1f",
            STATIC,
        ),
        v("device.mfr", "QMF\r", 2, b'(', 1, 0, "%s", STATIC | TRIM),
        v("ups.firmware", "QVFW\r", 16, b'(', 7, 14, "%s", STATIC),
        p(
            v("device.serial", "QID\r", 2, b'(', 1, 0, "%s", STATIC),
            SerialNumb,
        ),
        v("device.mfr", "I\r", 39, b'#', 1, 15, "%s", STATIC | TRIM),
        v("device.model", "I\r", 39, b'#', 17, 26, "%s", STATIC | TRIM),
        v("ups.firmware", "I\r", 39, b'#', 28, 37, "%s", STATIC | TRIM),
        qgs("input.voltage", 1, 5, "%.1f", 0),
        qgs("input.frequency", 7, 10, "%.1f", 0),
        qgs("output.voltage", 12, 16, "%.1f", 0),
        qgs("output.frequency", 18, 21, "%.1f", 0),
        qgs("output.current", 23, 27, "%.1f", 0),
        qgs("ups.load", 29, 31, "%.0f", 0),
        qgs("battery.voltage", 45, 49, "%.2f", 0),
        qgs("ups.temperature", 57, 61, "%.1f", 0),
        p(qgs("ups.type", 63, 64, "%s", SEMI_STATIC), Status),
        st("ups.status", 65, QUICK_POLL),
        st("ups.status", 66, QUICK_POLL),
        st("ups.status", 67, QUICK_POLL),
        st("ups.alarm", 67, 0),
        st("ups.alarm", 68, 0),
        st("ups.status", 70, QUICK_POLL),
        st("ups.status", 71, QUICK_POLL),
        st("ups.beeper.status", 72, 0),
        p(v("ups.alarm", "QMOD\r", 3, b'(', 1, 1, "%s", 0), Mode),
        p(v("ups.status", "QMOD\r", 3, b'(', 1, 1, "%s", 0), Mode),
        // QFS (fault details) is only unskipped by a QGS fault bit that C 2.8.0 compares
        // with the number 1 instead of the character '1': it is never asked.
        p(v("ups.alarm", "QWS\r", 66, b'(', 1, 64, "%s", 0), Warning),
        v("battery.voltage", "QBV\r", 21, b'(', 1, 5, "%.2f", 0),
        p(
            v(
                "battery_number",
                "QBV\r",
                21,
                b'(',
                7,
                9,
                "%d",
                SEMI_STATIC | RANGE | NONUT,
            )
            .writable(BATT_NUMB),
            BattNumb,
        ),
        v(
            "battery.packs",
            "QBV\r",
            21,
            b'(',
            10,
            11,
            "%.0f",
            SEMI_STATIC | RANGE,
        )
        .writable(BATT_PACKS),
        v("battery.charge", "QBV\r", 21, b'(', 13, 15, "%.0f", 0),
        p(
            v("battery.runtime", "QBV\r", 21, b'(', 17, 19, "%.0f", 0),
            BattRuntime,
        ),
        v(
            "output.power.minimum.percent",
            "QLDL\r",
            9,
            b'(',
            1,
            3,
            "%.0f",
            0,
        ),
        v(
            "output.power.maximum.percent",
            "QLDL\r",
            9,
            b'(',
            5,
            7,
            "%.0f",
            0,
        ),
    ];
    let three = |var, cmd, len, from, to, fmt| v(var, cmd, len, b'(', from, to, fmt, SKIP);
    t.extend([
        three("input.L1-N.voltage", "Q3PV\r", 37, 1, 5, "%.1f"),
        three("input.L2-N.voltage", "Q3PV\r", 37, 7, 11, "%.1f"),
        three("input.L3-N.voltage", "Q3PV\r", 37, 13, 17, "%.1f"),
        three("input.L1-L2.voltage", "Q3PV\r", 37, 19, 23, "%.1f"),
        three("input.L2-L3.voltage", "Q3PV\r", 37, 25, 29, "%.1f"),
        three("input.L1-L3.voltage", "Q3PV\r", 37, 31, 35, "%.1f"),
        three("input.L1.current", "Q3PC\r", 13, 1, 3, "%.0f"),
        three("input.L2.current", "Q3PC\r", 13, 5, 7, "%.0f"),
        three("input.L3.current", "Q3PC\r", 13, 9, 11, "%.0f"),
        three("output.L1-N.voltage", "Q3OV\r", 37, 1, 5, "%.1f"),
        three("output.L2-N.voltage", "Q3OV\r", 37, 7, 11, "%.1f"),
        three("output.L3-N.voltage", "Q3OV\r", 37, 13, 17, "%.1f"),
        three("output.L1-L2.voltage", "Q3OV\r", 37, 19, 23, "%.1f"),
        three("output.L2-L3.voltage", "Q3OV\r", 37, 25, 29, "%.1f"),
        three("output.L1-L3.voltage", "Q3OV\r", 37, 31, 35, "%.1f"),
        three("output.L1.current", "Q3OC\r", 13, 1, 3, "%.0f"),
        three("output.L2.current", "Q3OC\r", 13, 5, 7, "%.0f"),
        three("output.L3.current", "Q3OC\r", 13, 9, 11, "%.0f"),
        three("output.L1.power.percent", "Q3LD\r", 13, 1, 3, "%.0f"),
        three("output.L2.power.percent", "Q3LD\r", 13, 5, 7, "%.0f"),
        three("output.L3.power.percent", "Q3LD\r", 13, 9, 11, "%.0f"),
        three("output.bypass.L1-N.voltage", "Q3YV\r", 37, 1, 5, "%.1f"),
        three("output.bypass.L2-N.voltage", "Q3YV\r", 37, 7, 11, "%.1f"),
        three("output.bypass.L3-N.voltage", "Q3YV\r", 37, 13, 17, "%.1f"),
        three("output.bypass.L1-N.voltage", "Q3YV\r", 19, 1, 5, "%.1f"),
        three("output.bypass.L2-N.voltage", "Q3YV\r", 19, 7, 11, "%.1f"),
        three("output.bypass.L1-L2.voltage", "Q3YV\r", 37, 19, 23, "%.1f"),
        three("output.bypass.L2-L3.voltage", "Q3YV\r", 37, 25, 29, "%.1f"),
        three("output.bypass.L1-L3.voltage", "Q3YV\r", 37, 31, 35, "%.1f"),
    ]);
    let flag = |var| v(var, "QFLAG\r", 4, b'(', 1, 0, "%s", SEMI_STATIC);
    for (var, _) in NUT_CAPS {
        t.push(p(flag(var).writable(CAP), Capability));
        t.last_mut().unwrap().flags |= ENUM;
    }
    for (var, _, _) in NONUT_CAPS {
        t.push(p(flag(var), Capability));
        t.last_mut().unwrap().flags |= NONUT;
    }
    let set =
        |var, cmd, allowed, flags, proc_| p(ack(var, cmd, SETVAR | flags).allowing(allowed), proc_);
    t.extend([
        set("ups.start.auto", "P%sR\r", CAP, ENUM | SKIP, CapabilitySet),
        set(
            "battery.protection",
            "P%sS\r",
            CAP,
            ENUM | SKIP,
            CapabilitySet,
        ),
        set(
            "battery.energysave",
            "P%sG\r",
            CAP,
            ENUM | SKIP,
            CapabilitySet,
        ),
        set(
            "ups.start.battery",
            "P%sC\r",
            CAP,
            ENUM | SKIP,
            CapabilitySet,
        ),
        set(
            "outlet.0.switchable",
            "P%sJ\r",
            CAP,
            ENUM | SKIP,
            CapabilitySet,
        ),
        set(
            "reset_to_default",
            "PF\r",
            &[],
            NONUT | SKIP,
            CapabilityReset,
        ),
    ]);
    for (var, _, letter) in NONUT_CAPS {
        t.push(set(
            var,
            nonut_cap_command(letter),
            CAP_NONUT,
            ENUM | NONUT | SKIP,
            CapabilitySetNonut,
        ));
    }
    for n in ["1", "2", "3", "4"] {
        let (sw, status, cmd) = outlet_names(n);
        t.push(p(
            v(sw, cmd, 3, b'(', 1, 1, "%s", SEMI_STATIC | SKIP),
            Outlet,
        ));
        t.push(p(
            v(status, cmd, 3, b'(', 1, 1, "%s", SEMI_STATIC | SKIP),
            Outlet,
        ));
    }
    for n in ["1", "2", "3", "4"] {
        let (var, cmd, _) = outlet_delay_names(n);
        t.push(p(
            v(var, cmd, 5, b'(', 1, 3, "%.0f", SEMI_STATIC | RANGE | SKIP).writable(OUTLET_DELAY),
            OutletDelay,
        ));
    }
    for n in ["1", "2", "3", "4"] {
        let (var, _, set_cmd) = outlet_delay_names(n);
        t.push(set(
            var,
            set_cmd,
            OUTLET_DELAY,
            RANGE | SKIP,
            OutletDelaySet,
        ));
    }
    let semi = SEMI_STATIC | RANGE | SKIP;
    let nonut = SEMI_STATIC | RANGE | NONUT | SKIP;
    t.extend([
        p(
            v("input.transfer.high", "QHE\r", 9, b'(', 1, 3, "%.0f", semi).writable(&[]),
            EcoVolt,
        ),
        p(
            v("input.transfer.low", "QHE\r", 9, b'(', 5, 7, "%.0f", semi).writable(&[]),
            EcoVolt,
        ),
        p(
            v(
                "input.transfer.low.min",
                "QHE\r",
                9,
                b'(',
                5,
                7,
                "%.0f",
                SEMI_STATIC | SKIP,
            ),
            EcoVoltRange,
        ),
        p(
            v(
                "input.transfer.low.max",
                "QHE\r",
                9,
                b'(',
                5,
                7,
                "%.0f",
                SEMI_STATIC | SKIP,
            ),
            EcoVoltRange,
        ),
        p(
            v(
                "input.transfer.high.min",
                "QHE\r",
                9,
                b'(',
                1,
                3,
                "%.0f",
                SEMI_STATIC | SKIP,
            ),
            EcoVoltRange,
        ),
        p(
            v(
                "input.transfer.high.max",
                "QHE\r",
                9,
                b'(',
                1,
                3,
                "%.0f",
                SEMI_STATIC | SKIP,
            ),
            EcoVoltRange,
        ),
        set(
            "input.transfer.high",
            "HEH%03.0f\r",
            &[],
            RANGE | SKIP,
            Setvar,
        ),
        set(
            "input.transfer.low",
            "HEL%03.0f\r",
            &[],
            RANGE | SKIP,
            Setvar,
        ),
        p(
            v(
                "input.frequency.high",
                "QFRE\r",
                11,
                b'(',
                1,
                4,
                "%.1f",
                semi,
            )
            .writable(ECO_FREQ_MAX),
            EcoFreq,
        ),
        p(
            v(
                "input.frequency.low",
                "QFRE\r",
                11,
                b'(',
                6,
                9,
                "%.1f",
                semi,
            )
            .writable(ECO_FREQ_MIN),
            EcoFreq,
        ),
        set(
            "input.frequency.high",
            "FREH%04.1f\r",
            ECO_FREQ_MAX,
            RANGE | SKIP,
            Setvar,
        ),
        set(
            "input.frequency.low",
            "FREL%04.1f\r",
            ECO_FREQ_MIN,
            RANGE | SKIP,
            Setvar,
        ),
        p(
            v("max_bypass_volt", "QBYV\r", 9, b'(', 1, 3, "%.0f", nonut).writable(BYPASS_VOLT_MAX),
            Bypass,
        ),
        p(
            v("min_bypass_volt", "QBYV\r", 9, b'(', 5, 7, "%.0f", nonut).writable(BYPASS_VOLT_MIN),
            Bypass,
        ),
        set(
            "max_bypass_volt",
            "PHV%03.0f\r",
            BYPASS_VOLT_MAX,
            RANGE | NONUT | SKIP,
            Setvar,
        ),
        set(
            "min_bypass_volt",
            "PLV%03.0f\r",
            BYPASS_VOLT_MIN,
            RANGE | NONUT | SKIP,
            Setvar,
        ),
        p(
            v("max_bypass_freq", "QBYF\r", 11, b'(', 1, 4, "%.1f", nonut).writable(BYPASS_FREQ_MAX),
            Bypass,
        ),
        p(
            v("min_bypass_freq", "QBYF\r", 11, b'(', 6, 9, "%.1f", nonut).writable(BYPASS_FREQ_MIN),
            Bypass,
        ),
        set(
            "max_bypass_freq",
            "PGF%04.1f\r",
            BYPASS_FREQ_MAX,
            RANGE | NONUT | SKIP,
            Setvar,
        ),
        set(
            "min_bypass_freq",
            "PSF%04.1f\r",
            BYPASS_FREQ_MIN,
            RANGE | NONUT | SKIP,
            Setvar,
        ),
        set(
            "battery_number",
            "BATN%1.0f\r",
            BATT_NUMB,
            RANGE | NONUT,
            Setvar,
        ),
        set("battery.packs", "BATGN%02.0f\r", BATT_PACKS, RANGE, Setvar),
        p(
            v(
                "battery.type",
                "QBT\r",
                4,
                b'(',
                1,
                2,
                "%s",
                SEMI_STATIC | ENUM | SKIP,
            )
            .writable(BATT_TYPE),
            P31b,
        ),
        set(
            "battery.type",
            "PBT%02.0f\r",
            BATT_TYPE,
            ENUM | SKIP,
            P31bSet,
        ),
        p(
            v(
                "work_range_type",
                "QGR\r",
                4,
                b'(',
                1,
                2,
                "%s",
                SEMI_STATIC | ENUM | NONUT | SKIP,
            )
            .writable(WORK_RANGE),
            P31g,
        ),
        set(
            "work_range_type",
            "PGR%02.0f\r",
            WORK_RANGE,
            ENUM | NONUT | SKIP,
            P31gSet,
        ),
        v(
            "battery.voltage.low",
            "RE0\r",
            3,
            b'#',
            1,
            2,
            "%.1f",
            SEMI_STATIC | RANGE,
        )
        .writable(BATT_LOW),
        set(
            "battery.voltage.low",
            "W0E%02.0f\r",
            BATT_LOW,
            RANGE,
            Setvar,
        ),
        p(
            v(
                "input_phase_angle",
                "QPD\r",
                9,
                b'(',
                1,
                3,
                "%03d",
                SEMI_STATIC | NONUT,
            ),
            Phase,
        ),
        p(
            v(
                "output_phase_angle",
                "QPD\r",
                9,
                b'(',
                5,
                7,
                "%03d",
                SEMI_STATIC | ENUM | NONUT,
            )
            .writable(PHASES),
            Phase,
        ),
        set(
            "output_phase_angle",
            "PPD%03.0f\r",
            PHASES,
            ENUM | NONUT | SKIP,
            PhaseSet,
        ),
        p(
            v(
                "voltronic_parallel",
                "QPAR\r",
                5,
                b'(',
                1,
                3,
                "%s",
                STATIC | NONUT,
            ),
            Parallel,
        ),
        v(
            "unknown.7",
            "QBDR\r",
            5,
            b'(',
            1,
            0,
            "%s",
            STATIC | NONUT | SKIP,
        ),
    ]);
    let cmd = |var, command| ack(var, command, CMD);
    let pcmd = |var, command| p(ack(var, command, CMD), Command);
    t.extend([
        cmd("load.off", "SOFF\r"),
        cmd("load.on", "SON\r"),
        pcmd("shutdown.return", "S%s\r"),
        pcmd("shutdown.stayoff", "S%sR0000\r"),
        cmd("shutdown.stop", "CS\r"),
        pcmd("test.battery.start", "T%s\r"),
        cmd("test.battery.start.deep", "TL\r"),
        cmd("test.battery.start.quick", "T\r"),
        cmd("test.battery.stop", "CT\r"),
        pcmd("beeper.toggle", "BZ%s\r"),
        ack("beeper.enable", "PEA\r", CMD | SKIP),
        ack("beeper.disable", "PDA\r", CMD | SKIP),
    ]);
    for n in ["1", "2", "3", "4"] {
        let (off, on, off_cmd, on_cmd) = outlet_cmds(n);
        t.push(ack(off, off_cmd, CMD | SKIP));
        t.push(ack(on, on_cmd, CMD | SKIP));
    }
    t.extend([
        ack("bypass.start", "PEE\r", CMD | SKIP),
        ack("bypass.stop", "PDE\r", CMD | SKIP),
        p(delay("ups.delay.start", ONDELAY_RANGE, "180"), Setvar),
        p(delay("ups.delay.shutdown", OFFDELAY_RANGE, "30"), Setvar),
    ]);
    t
}

fn delay(var: &'static str, range: &'static [&'static str], default: &'static str) -> Item {
    Item {
        var,
        rw: true,
        allowed: range,
        command: "",
        answer_len: 0,
        leading: 0,
        from: 0,
        to: 0,
        format: default,
        flags: ABSENT | SETVAR | RANGE,
        process: Process::Plain,
        exchange: None,
    }
}

fn nonut_cap_command(letter: char) -> &'static str {
    match letter {
        'P' => "P%sP\r",
        'B' => "P%sB\r",
        'O' => "P%sO\r",
        'A' => "P%sA\r",
        'V' => "P%sV\r",
        'E' => "P%sE\r",
        'D' => "P%sD\r",
        'F' => "P%sF\r",
        'L' => "P%sL\r",
        'N' => "P%sN\r",
        'Q' => "P%sQ\r",
        _ => "P%sW\r",
    }
}

fn outlet_names(n: &str) -> (&'static str, &'static str, &'static str) {
    match n {
        "1" => ("outlet.1.switchable", "outlet.1.status", "QSK1\r"),
        "2" => ("outlet.2.switchable", "outlet.2.status", "QSK2\r"),
        "3" => ("outlet.3.switchable", "outlet.3.status", "QSK3\r"),
        _ => ("outlet.4.switchable", "outlet.4.status", "QSK4\r"),
    }
}

fn outlet_delay_names(n: &str) -> (&'static str, &'static str, &'static str) {
    match n {
        "1" => ("outlet.1.delay.shutdown", "QSKT1\r", "PSK1%03d\r"),
        "2" => ("outlet.2.delay.shutdown", "QSKT2\r", "PSK2%03d\r"),
        "3" => ("outlet.3.delay.shutdown", "QSKT3\r", "PSK3%03d\r"),
        _ => ("outlet.4.delay.shutdown", "QSKT4\r", "PSK4%03d\r"),
    }
}

fn outlet_cmds(n: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    match n {
        "1" => (
            "outlet.1.load.off",
            "outlet.1.load.on",
            "SKOFF1\r",
            "SKON1\r",
        ),
        "2" => (
            "outlet.2.load.off",
            "outlet.2.load.on",
            "SKOFF2\r",
            "SKON2\r",
        ),
        "3" => (
            "outlet.3.load.off",
            "outlet.3.load.on",
            "SKOFF3\r",
            "SKON3\r",
        ),
        _ => (
            "outlet.4.load.off",
            "outlet.4.load.on",
            "SKOFF4\r",
            "SKON4\r",
        ),
    }
}
