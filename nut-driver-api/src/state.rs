//! The state of one device: variables, commands and freshness, as a driver publishes it and
//! as a server keeps its copy.
//!
//! [`DeviceState`] is the one model of a device's state in nut-rs. A driver changes it with
//! the setters ([`set`](DeviceState::set), [`add_cmd`](DeviceState::add_cmd), …); every
//! setter that really changes something queues the driver-socket message that describes the
//! change, and [`take_changes`](DeviceState::take_changes) hands the queue to whoever
//! broadcasts it. A server builds its copy with [`apply`](DeviceState::apply) from the
//! messages it receives, and any peer that connects later gets [`dump`](DeviceState::dump),
//! the exact answer a C driver gives to `DUMPALL`.
//!
//! Setting something to what it already is changes nothing and queues nothing.
//!
//! ```
//! use nut_driver_api::state::DeviceState;
//! use nut_driver_api::proto::sock::DriverMessage;
//!
//! let mut driver = DeviceState::new();
//! driver.set("ups.status", "OL").unwrap();
//! driver.set("ups.status", "OL").unwrap(); // no change, nothing queued
//! driver.add_cmd("test.battery.start").unwrap();
//! driver.set_data_ok(true);
//! let changes = driver.take_changes();
//! assert_eq!(changes.len(), 3);
//!
//! // A server's copy, fed with the same messages, dumps the same lines.
//! let mut copy = DeviceState::new();
//! for msg in &changes {
//!     copy.apply(msg);
//! }
//! assert_eq!(copy.dump(), driver.dump());
//! assert_eq!(copy.get("UPS.STATUS").unwrap().value().as_str(), "OL");
//! ```

use std::collections::{BTreeMap, BTreeSet};

use nut_proto::names::{CmdName, NameError, Value, VarName};
use nut_proto::sock::{DriverMessage, Flag, Flags};

/// One variable: its value and what a client may do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    name: VarName,
    value: Value,
    flags: Flags,
    aux: i64,
    enums: Vec<Value>,
    ranges: Vec<(i32, i32)>,
}

impl Variable {
    fn new(name: VarName, value: Value) -> Self {
        Self {
            name,
            value,
            flags: Flags::empty(),
            aux: 0,
            enums: Vec::new(),
            ranges: Vec::new(),
        }
    }

    /// The name, spelled as the driver first spelled it.
    pub fn name(&self) -> &VarName {
        &self.name
    }

    /// The current value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The flags (`RW`, `STRING`, `NUMBER`, in the order they were set).
    pub fn flags(&self) -> &Flags {
        &self.flags
    }

    /// Whether a client may change it with `SET VAR`.
    pub fn is_writable(&self) -> bool {
        self.flags.is_rw()
    }

    /// Whether it is a string (its maximum length is then [`aux`](Self::aux)).
    pub fn is_string(&self) -> bool {
        self.flags.is_string()
    }

    /// Whether it is flagged as a number.
    pub fn is_number(&self) -> bool {
        self.flags.is_number()
    }

    /// The auxiliary number: the maximum length of a writable string, 0 when not set.
    pub fn aux(&self) -> i64 {
        self.aux
    }

    /// The allowed values, in the order the driver added them.
    pub fn enums(&self) -> &[Value] {
        &self.enums
    }

    /// The allowed ranges `(min, max)`, in the order the driver added them.
    pub fn ranges(&self) -> &[(i32, i32)] {
        &self.ranges
    }

    /// The lines a C driver writes for this variable in its `DUMPALL` answer: `SETINFO`, the
    /// `ADDENUM`s, the `ADDRANGE`s, `SETAUX` when not 0, `SETFLAGS` when any flag is set.
    pub fn dump_into(&self, out: &mut Vec<DriverMessage>) {
        let var = &self.name;
        out.push(DriverMessage::SetInfo {
            var: var.clone(),
            value: self.value.clone(),
        });
        for value in &self.enums {
            out.push(DriverMessage::AddEnum {
                var: var.clone(),
                value: value.clone(),
            });
        }
        for &(min, max) in &self.ranges {
            out.push(DriverMessage::AddRange {
                var: var.clone(),
                min,
                max,
            });
        }
        if self.aux != 0 {
            out.push(DriverMessage::SetAux {
                var: var.clone(),
                aux: self.aux,
            });
        }
        if !self.flags.is_empty() {
            out.push(DriverMessage::SetFlags {
                var: var.clone(),
                flags: self.flags.clone(),
            });
        }
    }
}

/// What a driver knows about its device, or what a server knows about a driver.
///
/// Variables and commands are kept sorted by name ignoring case, as C NUT keeps them, so
/// [`dump`](Self::dump) and iteration come out in the order C upsd lists them.
#[derive(Debug, Clone, Default)]
pub struct DeviceState {
    vars: BTreeMap<VarName, Variable>,
    cmds: BTreeSet<CmdName>,
    data_ok: bool,
    changes: Vec<DriverMessage>,
    immutable: BTreeSet<VarName>,
}

impl DeviceState {
    /// An empty state whose data is not yet fresh (no `DATAOK` seen or sent).
    pub fn new() -> Self {
        Self::default()
    }

    /// The variable `name` (matched ignoring case).
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.vars.get(nut_proto::names::CaseInsensitive::new(name))
    }

    /// The value of `name`, if it exists.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|v| v.value.as_str())
    }

    /// All variables, sorted by name ignoring case.
    pub fn variables(&self) -> impl ExactSizeIterator<Item = &Variable> + '_ {
        self.vars.values()
    }

    /// Whether the command `name` is supported (matched ignoring case).
    pub fn has_cmd(&self, name: &str) -> bool {
        self.cmds
            .contains(nut_proto::names::CaseInsensitive::new(name))
    }

    /// All commands, sorted by name ignoring case.
    pub fn commands(&self) -> impl ExactSizeIterator<Item = &CmdName> + '_ {
        self.cmds.iter()
    }

    /// Whether the data is fresh (`DATAOK`) rather than stale (`DATASTALE`, or never OK).
    pub fn is_data_ok(&self) -> bool {
        self.data_ok
    }

    /// Applies one message a driver sent, as a server's copy does, and returns whether the
    /// state changed. Messages that carry no state (`DUMPDONE`, `PONG`, `PID`, `TRACKING`,
    /// `OK Goodbye`) change nothing. Nothing is queued in [`take_changes`](Self::take_changes).
    ///
    /// A `SETFLAGS` with no flag clears them (C upsd 2.8.0 ignores that line and keeps the old
    /// flags). A change to a variable that does not exist (`ADDENUM`, `SETAUX`, …) is ignored,
    /// as C upsd ignores it.
    pub fn apply(&mut self, msg: &DriverMessage) -> bool {
        match msg {
            DriverMessage::SetInfo { var, value } => match self.vars.get_mut(var) {
                Some(v) if v.value == *value => false,
                Some(v) => {
                    v.value = value.clone();
                    true
                }
                None => {
                    self.vars
                        .insert(var.clone(), Variable::new(var.clone(), value.clone()));
                    true
                }
            },
            DriverMessage::DelInfo { var } => self.vars.remove(var).is_some(),
            DriverMessage::AddEnum { var, value } => self.with_var(var, |v| {
                if v.enums.contains(value) {
                    return false;
                }
                v.enums.push(value.clone());
                true
            }),
            DriverMessage::DelEnum { var, value } => self.with_var(var, |v| {
                let before = v.enums.len();
                v.enums.retain(|e| e != value);
                v.enums.len() != before
            }),
            DriverMessage::AddRange { var, min, max } => self.with_var(var, |v| {
                if v.ranges.contains(&(*min, *max)) {
                    return false;
                }
                v.ranges.push((*min, *max));
                true
            }),
            DriverMessage::DelRange { var, min, max } => self.with_var(var, |v| {
                let before = v.ranges.len();
                v.ranges.retain(|r| *r != (*min, *max));
                v.ranges.len() != before
            }),
            DriverMessage::SetAux { var, aux } => self.with_var(var, |v| {
                let changed = v.aux != *aux;
                v.aux = *aux;
                changed
            }),
            DriverMessage::SetFlags { var, flags } => self.with_var(var, |v| {
                let changed = v.flags != *flags;
                v.flags = flags.clone();
                changed
            }),
            DriverMessage::AddCmd { cmd } => self.cmds.insert(cmd.clone()),
            DriverMessage::DelCmd { cmd } => self.cmds.remove(cmd),
            DriverMessage::DataOk => !std::mem::replace(&mut self.data_ok, true),
            DriverMessage::DataStale => std::mem::replace(&mut self.data_ok, false),
            _ => false,
        }
    }

    fn with_var(&mut self, var: &VarName, f: impl FnOnce(&mut Variable) -> bool) -> bool {
        self.vars.get_mut(var).is_some_and(f)
    }

    /// Applies `msg` and, when it changed something, queues it for
    /// [`take_changes`](Self::take_changes). Returns whether it changed something.
    pub fn update(&mut self, msg: DriverMessage) -> bool {
        if let DriverMessage::SetInfo { var, .. }
        | DriverMessage::DelInfo { var }
        | DriverMessage::SetFlags { var, .. } = &msg
        {
            if self.immutable.contains(var) && self.vars.contains_key(var) {
                return false;
            }
        }
        let changed = self.apply(&msg);
        if changed {
            self.changes.push(msg);
        }
        changed
    }

    /// The messages describing the changes made since the last call, oldest first.
    pub fn take_changes(&mut self) -> Vec<DriverMessage> {
        std::mem::take(&mut self.changes)
    }

    /// Whether changes are queued.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The answer a C driver gives to `DUMPALL`: `DATASTALE` first when stale, every variable
    /// (see [`Variable::dump_into`]) in order, an `ADDCMD` per command, `DATAOK` when fresh,
    /// and `DUMPDONE`.
    pub fn dump(&self) -> Vec<DriverMessage> {
        let mut out = Vec::with_capacity(self.vars.len() * 2 + self.cmds.len() + 2);
        if !self.data_ok {
            out.push(DriverMessage::DataStale);
        }
        for var in self.vars.values() {
            var.dump_into(&mut out);
        }
        out.extend(
            self.cmds
                .iter()
                .map(|cmd| DriverMessage::AddCmd { cmd: cmd.clone() }),
        );
        if self.data_ok {
            out.push(DriverMessage::DataOk);
        }
        out.push(DriverMessage::DumpDone);
        out
    }

    /// Sets `var` to `value`, creating it (with no flags) when new. Returns whether it
    /// changed; an invalid name or value is an error and changes nothing.
    pub fn set(&mut self, var: &str, value: &str) -> Result<bool, NameError> {
        let msg = DriverMessage::SetInfo {
            var: VarName::new(var)?,
            value: Value::new(value)?,
        };
        Ok(self.update(msg))
    }

    /// Removes `var`. Returns whether it existed.
    pub fn delete(&mut self, var: &str) -> bool {
        match VarName::new(var) {
            Ok(var) => self.update(DriverMessage::DelInfo { var }),
            Err(_) => false,
        }
    }

    /// Sets the flags of an existing variable (`RW`, `STRING`, `NUMBER`, each when true).
    /// Returns whether they changed; false for a variable that does not exist.
    pub fn set_flags(&mut self, var: &str, rw: bool, string: bool, number: bool) -> bool {
        match VarName::new(var) {
            Ok(var) => self.update(DriverMessage::SetFlags {
                var,
                flags: Flags::new(rw, string, number),
            }),
            Err(_) => false,
        }
    }

    /// Adds one flag to an existing variable, keeping the others. Returns whether it changed.
    pub fn add_flag(&mut self, var: &str, flag: Flag) -> bool {
        let Some(v) = self.get(var) else {
            return false;
        };
        if v.flags.contains(&flag) {
            return false;
        }
        let flags = Flags::new(
            v.flags.is_rw() || flag == Flag::Rw,
            v.flags.is_string() || flag == Flag::String,
            v.flags.is_number() || flag == Flag::Number,
        );
        let var = v.name.clone();
        self.update(DriverMessage::SetFlags { var, flags })
    }

    /// Sets the auxiliary number (the maximum length of a writable string) of an existing
    /// variable. Returns whether it changed.
    pub fn set_aux(&mut self, var: &str, aux: i64) -> bool {
        match VarName::new(var) {
            Ok(var) => self.update(DriverMessage::SetAux { var, aux }),
            Err(_) => false,
        }
    }

    /// Adds an allowed value to an existing variable. Returns whether it was new.
    pub fn add_enum(&mut self, var: &str, value: &str) -> Result<bool, NameError> {
        let msg = DriverMessage::AddEnum {
            var: VarName::new(var)?,
            value: Value::new(value)?,
        };
        Ok(self.update(msg))
    }

    /// Removes an allowed value. Returns whether it was there.
    pub fn del_enum(&mut self, var: &str, value: &str) -> Result<bool, NameError> {
        let msg = DriverMessage::DelEnum {
            var: VarName::new(var)?,
            value: Value::new(value)?,
        };
        Ok(self.update(msg))
    }

    /// Adds an allowed range to an existing variable. Returns whether it was new. A new
    /// range also gives the variable the `NUMBER` flag, as C's `dstate_addrange` does (so
    /// `upsrw` shows it as a number); [`apply`](Self::apply) of an `ADDRANGE` from a driver
    /// does not, as C upsd does not.
    pub fn add_range(&mut self, var: &str, min: i32, max: i32) -> bool {
        let added = match VarName::new(var) {
            Ok(name) => self.update(DriverMessage::AddRange {
                var: name,
                min,
                max,
            }),
            Err(_) => false,
        };
        if added {
            self.add_flag(var, Flag::Number);
        }
        added
    }

    /// Removes an allowed range. Returns whether it was there.
    pub fn del_range(&mut self, var: &str, min: i32, max: i32) -> bool {
        match VarName::new(var) {
            Ok(var) => self.update(DriverMessage::DelRange { var, min, max }),
            Err(_) => false,
        }
    }

    /// Declares an instant command. Returns whether it was new.
    pub fn add_cmd(&mut self, cmd: &str) -> Result<bool, NameError> {
        let cmd = CmdName::new(cmd)?;
        Ok(self.update(DriverMessage::AddCmd { cmd }))
    }

    /// Withdraws an instant command. Returns whether it was there.
    pub fn del_cmd(&mut self, cmd: &str) -> bool {
        match CmdName::new(cmd) {
            Ok(cmd) => self.update(DriverMessage::DelCmd { cmd }),
            Err(_) => false,
        }
    }

    /// Sets `var` to `value` and freezes it: later [`set`](Self::set),
    /// [`delete`](Self::delete) and [`set_flags`](Self::set_flags) calls on it change nothing
    /// (C's `override.<var>` settings). Returns whether the value changed.
    pub fn set_immutable(&mut self, var: &str, value: &str) -> Result<bool, NameError> {
        let name = VarName::new(var)?;
        self.immutable.remove(&name);
        let changed = self.set(var, value)?;
        self.immutable.insert(name);
        Ok(changed)
    }

    /// Whether `var` was frozen with [`set_immutable`](Self::set_immutable).
    pub fn is_immutable(&self, var: &str) -> bool {
        self.immutable
            .contains(nut_proto::names::CaseInsensitive::new(var))
    }

    /// Marks the data fresh (`DATAOK`) or stale (`DATASTALE`). Returns whether it changed.
    pub fn set_data_ok(&mut self, ok: bool) -> bool {
        self.update(if ok {
            DriverMessage::DataOk
        } else {
            DriverMessage::DataStale
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(msgs: &[DriverMessage]) -> String {
        msgs.iter().map(DriverMessage::to_line).collect()
    }

    #[test]
    fn a_new_range_makes_a_number_as_in_c() {
        let mut s = DeviceState::new();
        s.set("ups.delay.start", "180").unwrap();
        s.set_flags("ups.delay.start", true, false, false);
        s.take_changes();
        assert!(s.add_range("ups.delay.start", 0, 599_940));
        assert!(s.get("ups.delay.start").unwrap().flags().is_number());
        assert!(s.get("ups.delay.start").unwrap().flags().is_rw());
        assert_eq!(
            lines(&s.take_changes()),
            "ADDRANGE ups.delay.start 0 599940\nSETFLAGS ups.delay.start RW NUMBER\n"
        );
        // The same range again changes nothing.
        assert!(!s.add_range("ups.delay.start", 0, 599_940));
        assert!(s.take_changes().is_empty());
    }

    #[test]
    fn dump_is_in_c_order() {
        let mut s = DeviceState::new();
        s.set("ups.status", "OL").unwrap();
        s.set("Battery.charge", "100").unwrap();
        s.set("input.transfer.low", "90").unwrap();
        s.set_flags("input.transfer.low", true, false, true);
        s.add_range("input.transfer.low", 80, 100);
        s.set("ups.id", "x").unwrap();
        s.set_flags("ups.id", true, true, false);
        s.set_aux("ups.id", 16);
        s.add_enum("ups.id", "x").unwrap();
        s.add_cmd("test.battery.start").unwrap();
        s.add_cmd("beeper.toggle").unwrap();
        assert_eq!(
            lines(&s.dump()),
            "DATASTALE\n\
             SETINFO Battery.charge \"100\"\n\
             SETINFO input.transfer.low \"90\"\n\
             ADDRANGE input.transfer.low 80 100\n\
             SETFLAGS input.transfer.low RW NUMBER\n\
             SETINFO ups.id \"x\"\n\
             ADDENUM ups.id \"x\"\n\
             SETAUX ups.id 16\n\
             SETFLAGS ups.id RW STRING\n\
             SETINFO ups.status \"OL\"\n\
             ADDCMD beeper.toggle\n\
             ADDCMD test.battery.start\n\
             DUMPDONE\n"
        );
        s.set_data_ok(true);
        assert!(lines(&s.dump()).ends_with("ADDCMD test.battery.start\nDATAOK\nDUMPDONE\n"));
    }

    #[test]
    fn unchanged_values_queue_nothing() {
        let mut s = DeviceState::new();
        assert!(s.set("a", "1").unwrap());
        assert!(!s.set("A", "1").unwrap());
        assert!(s.set("a", "2").unwrap());
        assert!(!s.set_data_ok(false));
        assert!(s.set_data_ok(true));
        assert!(!s.set_data_ok(true));
        assert!(!s.add_enum("nope", "x").unwrap());
        assert!(s.add_cmd("x.y").unwrap());
        assert!(!s.add_cmd("X.Y").unwrap());
        assert!(s.add_flag("a", Flag::Rw));
        assert!(!s.add_flag("a", Flag::Rw));
        assert_eq!(s.take_changes().len(), 5);
        assert!(!s.has_changes());
        assert!(s.delete("a"));
        assert!(!s.delete("a"));
        assert!(s.set("bad name", "1").is_err());
        assert!(s.set("ok", "bad\u{1}value").is_err());
        assert_eq!(
            s.take_changes(),
            vec![DriverMessage::DelInfo {
                var: VarName::new("a").unwrap()
            }]
        );
    }

    #[test]
    fn immutable_variables_keep_their_value() {
        let mut s = DeviceState::new();
        assert!(s.set_immutable("ups.mfr", "ACME").unwrap());
        assert!(s.is_immutable("UPS.MFR"));
        assert!(!s.set("ups.mfr", "Other").unwrap());
        assert!(!s.delete("ups.mfr"));
        assert!(!s.set_flags("ups.mfr", true, true, false));
        assert_eq!(s.value("ups.mfr"), Some("ACME"));
        assert!(s.set_immutable("ups.mfr", "New").unwrap());
        assert_eq!(s.value("ups.mfr"), Some("New"));
    }

    #[test]
    fn apply_ignores_changes_to_unknown_variables() {
        let mut s = DeviceState::new();
        let var = VarName::new("v").unwrap();
        assert!(!s.apply(&DriverMessage::SetAux {
            var: var.clone(),
            aux: 3
        }));
        assert!(!s.apply(&DriverMessage::DumpDone));
        assert!(s.apply(&DriverMessage::SetInfo {
            var: var.clone(),
            value: Value::new("1").unwrap()
        }));
        assert!(s.apply(&DriverMessage::SetAux { var, aux: 3 }));
        assert_eq!(s.get("V").unwrap().aux(), 3);
        assert!(!s.has_changes());
    }
}
