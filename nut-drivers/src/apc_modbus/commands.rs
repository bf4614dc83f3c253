//! Instant commands: the registers and bits each writes (MPAO-98KJ7F's command registers,
//! as C NUT's `apc_modbus` uses them).

/// UPSCommand_BF (2 registers).
pub const UPS_COMMAND: u16 = 1536;
/// OutletCommand_BF (2 registers).
pub const OUTLET_COMMAND: u16 = 1538;
/// ReplaceBatteryTestCommand_BF.
pub const BATTERY_TEST_COMMAND: u16 = 1541;
/// RunTimeCalibrationCommand_BF.
pub const CALIBRATION_COMMAND: u16 = 1542;
/// UserInterfaceCommand_BF.
pub const USER_INTERFACE_COMMAND: u16 = 1543;

/// OutletCommand_BF bits.
pub mod outlet {
    /// Cancel a pending command.
    pub const CANCEL: u32 = 1 << 0;
    /// Turn the output on.
    pub const OUTPUT_ON: u32 = 1 << 1;
    /// Turn the output off.
    pub const OUTPUT_OFF: u32 = 1 << 2;
    /// Shut down (off, back on when the input returns).
    pub const OUTPUT_SHUTDOWN: u32 = 1 << 3;
    /// Reboot (off, then on).
    pub const OUTPUT_REBOOT: u32 = 1 << 4;
    /// Allowed to start on battery.
    pub const COLD_BOOT_ALLOWED: u32 = 1 << 5;
    /// Wait the group's on delay.
    pub const USE_ON_DELAY: u32 = 1 << 6;
    /// Wait the group's off delay.
    pub const USE_OFF_DELAY: u32 = 1 << 7;
    /// Target: the main outlet group, then switched groups 0, 1, 2.
    pub const TARGETS: [u32; 4] = [1 << 8, 1 << 9, 1 << 10, 1 << 11];
}

/// The commands an outlet group takes (also the global `load.*`/`shutdown.*`).
pub const OUTLET_SUFFIXES: [&str; 9] = [
    "load.off",
    "load.on",
    "load.cycle",
    "load.off.delay",
    "load.on.delay",
    "shutdown.return",
    "shutdown.stayoff",
    "shutdown.reboot",
    "shutdown.reboot.graceful",
];

/// The global commands added when the unit has an outlet group.
pub const GLOBAL_OUTLET_COMMANDS: [&str; 10] = [
    "load.off",
    "load.on",
    "load.cycle",
    "load.off.delay",
    "load.on.delay",
    "shutdown.default",
    "shutdown.return",
    "shutdown.stayoff",
    "shutdown.reboot",
    "shutdown.reboot.graceful",
];

/// The operation bits of an outlet command suffix.
pub fn outlet_operation(suffix: &str) -> Option<u32> {
    use outlet::*;
    Some(match suffix {
        "load.off" => OUTPUT_OFF,
        "load.on" => OUTPUT_ON,
        "load.cycle" => OUTPUT_REBOOT,
        "load.off.delay" => OUTPUT_OFF | USE_OFF_DELAY,
        "load.on.delay" => OUTPUT_ON | USE_ON_DELAY,
        "shutdown.return" => OUTPUT_SHUTDOWN | USE_OFF_DELAY,
        "shutdown.stayoff" => OUTPUT_OFF | USE_OFF_DELAY,
        "shutdown.reboot" => OUTPUT_REBOOT,
        "shutdown.reboot.graceful" => OUTPUT_REBOOT | USE_OFF_DELAY,
        _ => return None,
    })
}

/// A command that writes fixed bits: name, first register, registers, value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// The NUT command.
    pub name: &'static str,
    /// The register written.
    pub addr: u16,
    /// How many registers.
    pub len: u16,
    /// The value, over `len` registers.
    pub value: u32,
}

/// The commands besides the outlet ones, always offered.
pub const COMMANDS: [Command; 8] = [
    Command {
        name: "test.battery.start",
        addr: BATTERY_TEST_COMMAND,
        len: 1,
        value: 1 << 0,
    },
    Command {
        name: "test.battery.stop",
        addr: BATTERY_TEST_COMMAND,
        len: 1,
        value: 1 << 1,
    },
    Command {
        name: "test.panel.start",
        addr: USER_INTERFACE_COMMAND,
        len: 1,
        value: 1 << 0,
    },
    Command {
        name: "calibrate.start",
        addr: CALIBRATION_COMMAND,
        len: 1,
        value: 1 << 0,
    },
    Command {
        name: "calibrate.stop",
        addr: CALIBRATION_COMMAND,
        len: 1,
        value: 1 << 1,
    },
    Command {
        name: "bypass.start",
        addr: UPS_COMMAND,
        len: 2,
        value: 1 << 4,
    },
    Command {
        name: "bypass.stop",
        addr: UPS_COMMAND,
        len: 2,
        value: 1 << 5,
    },
    Command {
        name: "beeper.mute",
        addr: USER_INTERFACE_COMMAND,
        len: 1,
        value: 1 << 2,
    },
];

/// What a command name asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Write `words` at `addr`.
    Write {
        /// The first register.
        addr: u16,
        /// The values.
        words: Vec<u16>,
    },
    /// A valid form naming an outlet group that is out of range or absent.
    Invalid(String),
    /// Not a command of this driver.
    Unknown,
}

/// The registers `cmd` writes on a unit with the outlet groups `present` (MOG, SOG0..2),
/// as C decides: `load.*`/`shutdown.*` and `outlet.group.0.*` target every group present,
/// `outlet.group.N.*` group N only; `shutdown.default` is `shutdown.return`.
pub fn plan(cmd: &str, present: [bool; 4]) -> Plan {
    if let Some(p) = outlet_plan(cmd, present) {
        return p;
    }
    match COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(cmd)) {
        Some(c) => Plan::Write {
            addr: c.addr,
            words: words(c.value, c.len),
        },
        None => Plan::Unknown,
    }
}

fn words(value: u32, len: u16) -> Vec<u16> {
    if len == 2 {
        vec![(value >> 16) as u16, value as u16]
    } else {
        vec![value as u16]
    }
}

fn outlet_plan(cmd: &str, present: [bool; 4]) -> Option<Plan> {
    let (group, suffix) = if cmd.starts_with("load.") || cmd.starts_with("shutdown.") {
        let suffix = if cmd == "shutdown.default" {
            "shutdown.return"
        } else {
            cmd
        };
        (0usize, suffix)
    } else {
        let rest = cmd.strip_prefix("outlet.group.")?;
        let (n, suffix) = rest.split_once('.')?;
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Out of range numbers are reported as such, as C does.
        (n.parse::<usize>().unwrap_or(usize::MAX), suffix)
    };
    if group >= present.len() {
        tracing::error!("Invalid outlet group index {group} in command [{cmd}]");
        return Some(Plan::Invalid(format!("invalid outlet group in [{cmd}]")));
    }
    let targets = if group == 0 {
        present
            .iter()
            .zip(outlet::TARGETS)
            .filter(|(p, _)| **p)
            .fold(0, |acc, (_, t)| acc | t)
    } else {
        if !present[group] {
            tracing::error!("Outlet group {group} not available for command [{cmd}]");
            return Some(Plan::Invalid(format!("outlet group {group} not available")));
        }
        outlet::TARGETS[group]
    };
    let op = outlet_operation(suffix)?;
    Some(Plan::Write {
        addr: OUTLET_COMMAND,
        words: words(op | targets, 2),
    })
}
