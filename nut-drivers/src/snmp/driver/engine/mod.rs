//! The interpretation of a [`Mapping`] against an agent: C `snmp-ups`'s walk, item by item, with
//! its templates (outlets, outlet groups, ambient sensors, daisy-chained devices), phase
//! filtering, status and alarm words, and the flags it changes as it learns what the device has.
//!
//! The logic follows C 2.8.0's so that the same agent gives the same variables; what differs
//! is where C is plainly wrong (see the crate README). Reads go through a [`Source`], which
//! answers from a per-walk cache filled in few round trips (see [`super::fetch`]).

mod item;
mod set;
mod templates;

use async_trait::async_trait;
use nut_driver_api::state::DeviceState;
use nut_driver_api::status::c_strtol as atoi;
use nut_driver_api::status::StatusBuilder;

use super::decode::{
    decode_int, decode_text, find_infoval, last_arc, Int, TemperatureUnit, Text, INFO_SIZE,
};
use crate::snmp::mib::{flag, var, Item, Lookup, Mapping};
use crate::snmp::pdu::{Oid, Value, VarBind};

/// The walk's two modes (C's `SU_WALKMODE_INIT` and `SU_WALKMODE_UPDATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The first walk: learns which items the device has.
    Init,
    /// Every later poll.
    Update,
}

/// Where the engine reads and writes OIDs.
#[async_trait]
pub(crate) trait Source: Send {
    /// The value of `oid`, or `None` when the agent has none (or did not answer).
    async fn get(&mut self, oid: &Oid) -> Option<Value>;
    /// The variables after `root`, from `root` itself on, until the agent reports an error
    /// (C's `nut_snmp_walk`, limited to the subtree).
    async fn walk(&mut self, root: &Oid) -> Vec<VarBind>;
    /// Writes one variable; `Err` carries the message to log.
    async fn set(&mut self, varbind: VarBind) -> Result<(), String>;
}

/// The item C's code is working on: a table entry, or an instance of a template (C's
/// `snmp_info_t` copies).
#[derive(Debug, Clone)]
struct Inst {
    /// Index of the table entry it comes from.
    idx: usize,
    /// The variable or command name.
    name: String,
    /// The OID (instantiated), if any.
    oid: Option<String>,
    /// The default value (instantiated).
    dfl: Option<String>,
    /// State flags.
    var_flags: u32,
    /// String length or multiplier.
    len: f64,
    /// The driver's flags for this instance.
    flags: u32,
    /// The lookup table.
    lookup: Option<&'static [Lookup]>,
}

impl Inst {
    fn of(idx: usize, item: &Item, flags: u32) -> Self {
        Self {
            idx,
            name: item.name.to_owned(),
            oid: item.oid.map(str::to_owned),
            dfl: item.default.map(str::to_owned),
            var_flags: item.var_flags,
            len: item.len,
            flags,
            lookup: item.lookup,
        }
    }

    fn is_cmd(&self) -> bool {
        self.flags & flag::TYPE_MASK == flag::TYPE_CMD
    }
}

/// C's `printf` of a template with `%i` (or `%d`) conversions.
pub(crate) fn fill(template: &str, args: &[i64]) -> String {
    let mut out = String::with_capacity(template.len() + 8);
    let mut args = args.iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('i') | Some('d') => {
                    chars.next();
                    out.push_str(&args.next().copied().unwrap_or(0).to_string());
                    continue;
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// The kind of template a variable name belongs to (C's `get_template_type`).
fn template_type(name: &str) -> u32 {
    if name.starts_with("outlet.group") {
        flag::OUTLET_GROUP
    } else if name.starts_with("outlet") {
        flag::OUTLET
    } else if name.starts_with("device") {
        flag::DAISY
    } else if name.starts_with("ambient") {
        flag::AMBIENT_TEMPLATE
    } else {
        0
    }
}

/// The number of an instantiated template (`outlet.3.current` → 3; C's
/// `extract_template_number`).
fn template_number(kind: u32, name: &str) -> i64 {
    let skip = if kind & flag::OUTLET_GROUP != 0 {
        12
    } else if kind & flag::OUTLET != 0 || kind & flag::DAISY != 0 {
        6
    } else if kind & flag::AMBIENT_TEMPLATE != 0 {
        7
    } else {
        return -1;
    };
    name.get(skip + 1..).map_or(0, atoi)
}

/// The result of a set or an instant command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetResult {
    /// Done.
    Handled,
    /// Not a variable or command of this device.
    Unknown,
    /// Not a valid value (or not applicable).
    Invalid,
    /// The agent refused it or did not answer.
    Failed,
}

/// One device's interpretation of its mapping.
#[derive(Debug)]
pub(crate) struct Engine {
    /// The mapping in use.
    pub(crate) mapping: &'static Mapping,
    /// The flags of every item, as the driver changes them.
    flags: Vec<u32>,
    daisychain: bool,
    devices_count: i64,
    current_device: i64,
    outlet_base: i64,
    group_base: i64,
    ambient_base: i64,
    device_base: i64,
    device_offset: i64,
    /// Per device (0 = the whole chain): input, output and bypass phase counts, -1 unknown.
    phases: Vec<[i64; 3]>,
    semistatic_freq: i64,
    semistatic_countdown: i64,
    unit: TemperatureUnit,
    symmetra: bool,
    status: StatusBuilder,
    /// Daisy chains: alarms of the device being walked, and how many devices had some.
    device_alarms: Vec<String>,
    alarm_active: u32,
}

/// The OID of the APC environment monitor's temperature, converted from Fahrenheit by C.
const APCC_IEM_TEMP: &str = ".1.3.6.1.4.1.318.1.1.10.2.3.2.1.4.1";
/// Its unit (2 = Fahrenheit).
const APCC_IEM_TEMP_UNIT: &str = ".1.3.6.1.4.1.318.1.1.10.2.3.2.1.5.1";

impl Engine {
    /// An engine for `mapping`, every item's flags as the table has them.
    pub(crate) fn new(mapping: &'static Mapping, semistatic_freq: i64) -> Self {
        Self {
            mapping,
            flags: mapping.items.iter().map(|i| i.flags).collect(),
            daisychain: false,
            devices_count: 1,
            current_device: 0,
            outlet_base: -1,
            group_base: -1,
            ambient_base: -1,
            device_base: -1,
            device_offset: -1,
            phases: vec![[-1; 3]; 2],
            semistatic_freq,
            semistatic_countdown: semistatic_freq,
            unit: TemperatureUnit::Unknown,
            symmetra: false,
            status: StatusBuilder::new(),
            device_alarms: Vec::new(),
            alarm_active: 0,
        }
    }

    fn items(&self) -> &'static [Item] {
        self.mapping.items
    }

    /// The first item named `name`, ignoring case (C's `su_find_info`).
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.items()
            .iter()
            .position(|i| i.name.eq_ignore_ascii_case(name))
    }

    // ----- reads, with C's meaning -----

    async fn nut_get(&self, src: &mut dyn Source, oid: &str) -> Option<Value> {
        let oid: Oid = oid.parse().ok()?;
        src.get(&oid).await
    }

    /// C's `nut_snmp_get_str`.
    async fn get_str(
        &mut self,
        src: &mut dyn Source,
        oid: &str,
        lookup: Option<&[Lookup]>,
        buf_len: usize,
    ) -> Option<String> {
        let value = self.nut_get(src, oid).await?;
        match decode_text(&value, lookup, buf_len, &mut self.unit) {
            Some(Text::Done(s)) => Some(s),
            // An OID value is read in turn (C recurses without a limit; we follow once), with
            // its last arc as the fall-back.
            Some(Text::Follow(target)) => {
                match self
                    .get_str_once(src, &target.to_string(), lookup, buf_len)
                    .await
                {
                    Some(s) => Some(s),
                    None => Some(last_arc(&target).to_string()),
                }
            }
            None => {
                tracing::debug!("unhandled ASN type received from {oid}");
                None
            }
        }
    }

    /// One level of [`Self::get_str`] for a followed OID (which may not be followed again).
    async fn get_str_once(
        &mut self,
        src: &mut dyn Source,
        oid: &str,
        lookup: Option<&[Lookup]>,
        buf_len: usize,
    ) -> Option<String> {
        let value = self.nut_get(src, oid).await?;
        match decode_text(&value, lookup, buf_len, &mut self.unit)? {
            Text::Done(s) => Some(s),
            Text::Follow(target) => Some(last_arc(&target).to_string()),
        }
    }

    /// C's `nut_snmp_get_int`.
    async fn get_int(&self, src: &mut dyn Source, oid: &str) -> Option<i64> {
        let value = self.nut_get(src, oid).await?;
        match decode_int(&value) {
            Some(Int::Done(n)) => Some(n),
            Some(Int::Follow(target)) => {
                let followed = self.nut_get(src, &target.to_string()).await;
                Some(match followed.as_ref().and_then(decode_int) {
                    Some(Int::Done(n)) => n,
                    _ => last_arc(&target),
                })
            }
            None => {
                tracing::warn!("unhandled ASN type received from {oid}");
                None
            }
        }
    }

    // ----- publishing -----

    /// C's `su_setinfo`: publish `value` (or the default) under the instance's name, adapted to
    /// the daisy chain.
    fn setinfo(&self, state: &mut DeviceState, inst: &Inst, value: Option<&str>) {
        let name = if self.daisychain && self.devices_count > 1 {
            let prefix = format!("device.{}", self.current_device);
            if self.current_device > 0 && !inst.name.contains(&prefix) {
                match inst.name.strip_prefix("device.") {
                    Some(rest) => format!("device.{}.{rest}", self.current_device),
                    None => format!("device.{}.{}", self.current_device, inst.name),
                }
            } else {
                inst.name.clone()
            }
        } else {
            inst.name.clone()
        };
        if inst.is_cmd() {
            return;
        }
        let is_alarm = inst
            .name
            .rfind('.')
            .is_some_and(|i| inst.name[i..].eq_ignore_ascii_case(".alarm"));
        if inst.name.eq_ignore_ascii_case("ups.status") || is_alarm {
            return;
        }
        let Some(value) = value.or(inst.dfl.as_deref()) else {
            return;
        };
        let value = nut_driver_api::proto::names::Value::lossy(value);
        if state.set(&name, value.as_str()).is_err() {
            tracing::warn!("cannot publish {name}");
            return;
        }
        state.set_flags(
            &name,
            inst.var_flags & var::RW != 0,
            inst.var_flags & var::STRING != 0,
            inst.var_flags & var::NUMBER != 0,
        );
        state.set_aux(&name, inst.len as i64);
        if inst.var_flags & var::RW != 0 {
            if let Some(rows) = inst.lookup {
                for text in rows.iter().map_while(|r| r.text) {
                    let _ = state.add_enum(&name, text);
                }
            }
        }
    }

    /// C's `su_status_set`.
    fn status_set(&mut self, inst: &Inst, value: i64) {
        if let Some(rows) = inst.lookup {
            if let Some(word) = find_infoval(rows, value, &mut self.unit) {
                if !word.is_empty() {
                    self.status.set(&word);
                }
            }
        }
    }

    /// C's `alarm_set`, to the device being walked in a chain.
    fn alarm_set(&mut self, text: &str) {
        if self.devices_count > 1 {
            self.device_alarms.push(text.to_owned());
        } else {
            self.status.alarm(text);
        }
    }

    /// C's `su_alarm_set`.
    fn su_alarm_set(&mut self, inst: &Inst, value: i64) {
        let kind = match inst.name.strip_prefix("device.") {
            Some(rest) => rest.split_once('.').map_or(rest, |(_, r)| r).to_owned(),
            None => inst.name.clone(),
        };
        let Some(rows) = inst.lookup else { return };
        let Some(mut text) = find_infoval(rows, value, &mut self.unit) else {
            return;
        };
        if text.is_empty() {
            return;
        }
        if inst.flags & (flag::OUTLET | flag::OUTLET_GROUP) != 0 {
            let n = template_number(inst.flags, &kind);
            let group = if inst.flags & flag::OUTLET_GROUP != 0 {
                " group"
            } else {
                ""
            };
            text = format!("outlet{group} {n} {text}");
        }
        if let Some(phase) = kind.strip_prefix('L') {
            text = format!("phase L{} {text}", atoi(phase));
        }
        self.alarm_set(&text);
    }

    /// C's `disable_competition`: every other item of the same name stops being read.
    fn disable_competition(&mut self, inst: &Inst, is_table_entry: bool) {
        for (i, item) in self.items().iter().enumerate() {
            if (!is_table_entry || i != inst.idx) && item.name == inst.name {
                self.flags[i] &= !flag::OK;
            }
        }
    }

    // ----- start-up and the walk -----

    /// The model as C reads it to confirm the mapping (`ups.model`, else `device.model`; a
    /// template read for device 0). `None` when it cannot be read.
    pub(crate) async fn read_model(
        &mut self,
        src: &mut dyn Source,
        names: [&str; 2],
        buf_len: usize,
    ) -> Option<String> {
        let i = self.find(names[0]).or_else(|| self.find(names[1]))?;
        let oid = self.items()[i].oid?;
        let oid = if oid.contains('%') {
            fill(oid, &[0])
        } else {
            oid.to_owned()
        };
        self.get_str(src, &oid, None, buf_len).await
    }

    /// The end of C's `upsdrv_initups`: composite commands and the IETF system strings.
    pub(crate) async fn init_extras(&mut self, src: &mut dyn Source, state: &mut DeviceState) {
        let off = self.find("load.off.delay").is_some();
        let on = self.find("load.on.delay").is_some();
        if off {
            let _ = state.add_cmd("load.off");
        }
        if on {
            let _ = state.add_cmd("load.on");
        }
        if off && on {
            let _ = state.add_cmd("shutdown.return");
            let _ = state.add_cmd("shutdown.stayoff");
        }
        for (var, oid) in [
            ("description", ".1.3.6.1.2.1.1.1.0"),
            ("contact", ".1.3.6.1.2.1.1.4.0"),
            ("location", ".1.3.6.1.2.1.1.6.0"),
        ] {
            let plain = format!("device.{var}");
            if state.value(&plain).is_none() && state.value(&format!("device.1.{var}")).is_none() {
                if let Some(v) = self.get_str(src, oid, None, INFO_SIZE).await {
                    let _ = state.set(
                        &plain,
                        nut_driver_api::proto::names::Value::lossy(&v).as_str(),
                    );
                }
            }
        }
    }

    /// C's `upsdrv_initinfo` up to the walk: the instant commands of the table.
    pub(crate) async fn init_commands(
        &mut self,
        src: &mut dyn Source,
        state: &mut DeviceState,
        no_transfer: bool,
        symmetra: bool,
    ) {
        for i in 0..self.items().len() {
            self.flags[i] |= flag::OK;
            let inst = Inst::of(i, &self.items()[i], self.flags[i]);
            if inst.is_cmd() && inst.flags & (flag::OUTLET | flag::OUTLET_GROUP) == 0 {
                if self.daisychain {
                    for dev in 1..=self.devices_count {
                        self.current_device = dev;
                        self.process_template(src, state, Mode::Init, "device", i)
                            .await;
                    }
                } else if let Some(oid) = inst.oid.as_deref() {
                    if self.nut_get(src, oid).await.is_some() {
                        let _ = state.add_cmd(&inst.name);
                    }
                }
            }
        }
        if no_transfer {
            tracing::info!("Disabling transfer OIDs");
            for (i, item) in self.items().iter().enumerate() {
                if item.name.eq_ignore_ascii_case("input.transfer.low")
                    || item.name.eq_ignore_ascii_case("input.transfer.high")
                {
                    self.flags[i] &= !flag::OK;
                }
            }
        }
        self.symmetra = symmetra;
    }

    /// Starts a poll's status and alarms (C's `alarm_init` + `status_init`).
    pub(crate) fn begin_poll(&mut self) {
        self.status = StatusBuilder::new();
        self.alarm_active = 0;
        self.device_alarms.clear();
    }

    /// Ends a poll: `ups.status` and `ups.alarm` as C commits them.
    pub(crate) fn commit_poll(&mut self, state: &mut DeviceState) {
        if self.daisychain && self.devices_count > 1 {
            let mut words = self.status.words().to_string();
            if self.alarm_active > 0 {
                words = if words.is_empty() {
                    "ALARM ".to_owned()
                } else {
                    format!("ALARM {words}")
                };
            }
            let _ = state.set("ups.status", &words);
            state.delete("ups.alarm");
        } else {
            self.status.commit(state);
        }
    }

    /// C's `snmp_ups_walk`.
    pub(crate) async fn walk(
        &mut self,
        src: &mut dyn Source,
        state: &mut DeviceState,
        mode: Mode,
    ) -> bool {
        if mode == Mode::Update {
            self.semistatic_countdown -= 1;
            if self.semistatic_countdown < 0 {
                self.semistatic_countdown = self.semistatic_freq;
            }
        }
        let mut status = false;
        let first = if !self.daisychain && self.devices_count == 1 {
            1
        } else {
            0
        };
        for dev in first..=self.devices_count {
            self.current_device = dev;
            if self.devices_count > 1 {
                self.device_alarms.clear();
            }
            for i in 0..self.items().len() {
                let item = &self.items()[i];
                let f = self.flags[i];
                if mode == Mode::Init && item.name.starts_with("device.count") {
                    self.flags[i] &= !flag::OK;
                    continue;
                }
                if dev == 0 && self.daisychain {
                    continue;
                }
                let is_cmd = f & flag::TYPE_MASK == flag::TYPE_CMD;
                if is_cmd && f & (flag::OUTLET | flag::OUTLET_GROUP) == 0 {
                    continue;
                }
                if mode == Mode::Update {
                    if f & flag::OK == 0 {
                        continue;
                    }
                    if f & flag::SEMI_STATIC != 0 && self.semistatic_countdown != 0 {
                        continue;
                    }
                    if f & flag::STATIC != 0 {
                        continue;
                    }
                }
                if f & flag::ABSENT != 0
                    && f & (flag::OUTLET | flag::OUTLET_GROUP | flag::AMBIENT_TEMPLATE) == 0
                {
                    if mode == Mode::Init {
                        if item.default.is_some() {
                            if self.daisychain && self.devices_count > 1 && dev != 0 {
                                status = self.process_template(src, state, mode, "device", i).await;
                            } else {
                                let inst = Inst::of(i, item, f);
                                self.setinfo(state, &inst, None);
                            }
                        }
                        self.flags[i] |= flag::STATIC;
                    }
                    continue;
                }
                if f & (flag::INPUT_1 | flag::INPUT_3) != 0
                    && self.phase_filter(src, state, 0, i).await
                {
                    continue;
                }
                if self.flags[i] & (flag::OUTPUT_1 | flag::OUTPUT_3) != 0
                    && self.phase_filter(src, state, 1, i).await
                {
                    continue;
                }
                if self.flags[i] & (flag::BYPASS_1 | flag::BYPASS_3) != 0
                    && self.phase_filter(src, state, 2, i).await
                {
                    continue;
                }
                let f = self.flags[i];
                let template = if f & flag::OUTLET != 0 {
                    Some("outlet")
                } else if f & flag::OUTLET_GROUP != 0 {
                    Some("outlet.group")
                } else if f & flag::AMBIENT_TEMPLATE != 0 {
                    Some("ambient")
                } else {
                    None
                };
                status = match template {
                    Some(_) if is_cmd && mode == Mode::Update => continue,
                    Some(kind) => self.process_template(src, state, mode, kind, i).await,
                    None => self.process_entry(src, state, mode, i).await,
                };
            }
            if self.devices_count > 1 {
                let name = if dev != 0 {
                    format!("device.{dev}.ups.alarm")
                } else {
                    "ups.alarm".to_owned()
                };
                if self.device_alarms.is_empty() {
                    state.delete(&name);
                } else {
                    let text =
                        nut_driver_api::proto::names::Value::lossy(&self.device_alarms.join(" "));
                    let _ = state.set(&name, text.as_str());
                    self.alarm_active += 1;
                }
                self.device_alarms.clear();
            }
        }
        status
    }
}
