//! The interpretation of a [`Mapping`] against an agent: C `snmp-ups`'s walk, item by item, with
//! its templates (outlets, outlet groups, ambient sensors, daisy-chained devices), phase
//! filtering, status and alarm words, and the flags it changes as it learns what the device has.
//!
//! The logic follows C 2.8.0's so that the same agent gives the same variables; what differs
//! is where C is plainly wrong (see the crate README). Reads go through a [`Source`], which
//! answers from a per-walk cache filled in few round trips (see [`super::fetch`]).

use async_trait::async_trait;
use nut_driver_api::state::DeviceState;
use nut_driver_api::status::StatusBuilder;

use super::decode::{
    decode_int, decode_text, find_infoval, find_strval, find_valinfo, last_arc,
    marlin_device_count, scaled, Int, TemperatureUnit, Text, INFO_SIZE,
};
use crate::snmp::mib::{flag, var, Hook, Item, Lookup, Mapping};
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
        self.flags & (7 << 18) == flag::TYPE_CMD
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

/// C's `atoi`.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = t.bytes().take_while(u8::is_ascii_digit).fold(0i64, |n, d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    if neg {
        -n
    } else {
        n
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

    // ----- reading one item -----

    /// C's `su_ups_get`: read one item and publish it.
    async fn ups_get(
        &mut self,
        src: &mut dyn Source,
        state: &mut DeviceState,
        inst: &mut Inst,
        is_table_entry: bool,
    ) -> bool {
        let mut saved_device = None;
        let templated = inst.oid.as_deref().is_some_and(|o| o.contains('%'));
        // A daisy-chain template OID: read a copy whose changes are lost, as in C.
        let mut copy;
        let target: &mut Inst = match inst.oid.as_deref() {
            Some(oid) if templated => {
                copy = inst.clone();
                copy.oid = Some(fill(oid, &[self.current_device + self.device_offset]));
                &mut copy
            }
            _ => {
                if self.daisychain && self.devices_count > 1 && self.current_device > 0 {
                    let n = inst.name.as_bytes();
                    if !(inst.name.starts_with("device.") && n.len() > 7 && n[7].is_ascii_digit()) {
                        saved_device = Some(self.current_device);
                    }
                }
                inst
            }
        };
        // C's disable_competition spares the entry itself only when given the table entry.
        let is_entry = is_table_entry && !templated;

        // ups.status and the alarms (ups.alarm, outlet.n.alarm, Lx.alarm) are numbers turned
        // into words through the lookup.
        let is_status = target.name.eq_ignore_ascii_case("ups.status");
        if is_status
            || target
                .name
                .rfind('.')
                .is_some_and(|i| &target.name[i..] == ".alarm")
        {
            let Some(oid) = target.oid.clone() else {
                return false;
            };
            let Some(v) = self.get_int(src, &oid).await else {
                return false;
            };
            if is_status {
                self.status_set(target, v);
            } else {
                self.su_alarm_set(target, v);
            }
            return true;
        }
        if target.name.eq_ignore_ascii_case("ups.alarms") {
            let Some(oid) = target.oid.clone() else {
                return false;
            };
            let Some(count) = self.get_int(src, &oid).await else {
                return false;
            };
            if count > 0 {
                // C walks from the count on to the end of the agent's MIB; the alarm table
                // is in the same group as the count, so we walk that group.
                let Ok(mut root) = oid.parse::<Oid>() else {
                    return false;
                };
                root.0.truncate(root.0.len().saturating_sub(2));
                let rows = src.walk(&root).await;
                if rows.is_empty() {
                    return false;
                }
                for vb in rows {
                    if let Value::ObjectId(alarm_oid) = &vb.value {
                        let text = alarm_oid.to_string();
                        if let Some(a) = self
                            .mapping
                            .alarms
                            .iter()
                            .find(|a| a.oid == Some(text.as_str()))
                        {
                            if let Some(s) = a.status {
                                self.status.set(s);
                            }
                            if let Some(s) = a.alarm {
                                self.alarm_set(s);
                            }
                        }
                    }
                }
            }
            return true;
        }
        if target.name.eq_ignore_ascii_case("ambient.temperature") {
            let Some(oid) = target.oid.clone() else {
                return false;
            };
            let Some(value) = self.get_int(src, &oid).await else {
                return false;
            };
            let temp: f32 = if oid == APCC_IEM_TEMP {
                match self.get_int(src, APCC_IEM_TEMP_UNIT).await {
                    Some(units) if units != 2 => value as f32,
                    _ => ((value - 32) as f64 / 1.8) as f32,
                }
            } else {
                (value as f64 * target.len) as f32
            };
            let text = crate::printf::printf_number("%.1f", f64::from(temp));
            self.setinfo(state, target, Some(&text));
            return true;
        }

        let text = if target.oid.is_none() && target.dfl.is_some() {
            target.dfl.clone()
        } else if target.var_flags & var::STRING != 0 {
            let Some(oid) = target.oid.clone() else {
                return false;
            };
            match self.get_str(src, &oid, target.lookup, INFO_SIZE).await {
                Some(mut s) => {
                    if self.symmetra
                        && (target.name.eq_ignore_ascii_case("input.transfer.low")
                            || target.name.eq_ignore_ascii_case("input.transfer.high"))
                    {
                        let v = super::decode::strtod(&s) * 0.707;
                        s = crate::printf::printf_number("%.2f", v);
                    }
                    if let Some(f) = find_strval(target.lookup, &s) {
                        s = f;
                    }
                    Some(s)
                }
                None => None,
            }
        } else {
            let Some(oid) = target.oid.clone() else {
                return false;
            };
            match self.get_int(src, &oid).await {
                Some(v) => {
                    if (target.flags & flag::NEG_INVALID != 0 && v < 0)
                        || (target.flags & flag::ZERO_INVALID != 0 && v == 0)
                    {
                        target.flags &= !flag::OK;
                        if target.flags & flag::UNIQUE != 0 {
                            let t = target.clone();
                            self.disable_competition(&t, is_entry);
                            target.flags &= !flag::UNIQUE;
                        }
                        return false;
                    }
                    match target
                        .lookup
                        .and_then(|rows| find_infoval(rows, v, &mut self.unit))
                    {
                        Some(s) => Some(s),
                        None => Some(scaled(v, target.len)),
                    }
                }
                None => None,
            }
        };
        match text {
            Some(text) => {
                let t = target.clone();
                match saved_device {
                    Some(saved) => {
                        self.current_device = 1;
                        self.setinfo(state, &t, Some(&text));
                        self.current_device = saved;
                    }
                    None => self.setinfo(state, &t, Some(&text)),
                }
                true
            }
            None => false,
        }
    }

    /// C's `get_and_process_data`.
    async fn get_and_process(
        &mut self,
        src: &mut dyn Source,
        state: &mut DeviceState,
        mode: Mode,
        inst: &mut Inst,
        is_table_entry: bool,
    ) -> bool {
        let ok = self.ups_get(src, state, inst, is_table_entry).await;
        if ok {
            if inst.flags & flag::STALE != 0 {
                tracing::info!("data resumed for {}", inst.name);
                inst.flags &= !flag::STALE;
            }
            if inst.flags & flag::UNIQUE != 0 {
                let t = inst.clone();
                self.disable_competition(&t, is_table_entry);
                inst.flags &= !flag::UNIQUE;
            }
        } else if mode == Mode::Init {
            inst.flags &= !flag::OK;
        } else if inst.flags & flag::STALE == 0 {
            tracing::info!("data stale for {}", inst.name);
            inst.flags |= flag::STALE;
        }
        ok
    }

    /// Runs `get_and_process` on table entry `idx`, keeping its flags.
    async fn process_entry(
        &mut self,
        src: &mut dyn Source,
        state: &mut DeviceState,
        mode: Mode,
        idx: usize,
    ) -> bool {
        let mut inst = Inst::of(idx, &self.items()[idx], self.flags[idx]);
        let ok = self
            .get_and_process(src, state, mode, &mut inst, true)
            .await;
        // Other items may have changed this one's flags only through disable_competition,
        // which never touches the entry itself.
        self.flags[idx] = inst.flags;
        ok
    }

    // ----- templates -----

    /// C's `base_snmp_template_index`: whether a template counts from 0 or 1 on the agent.
    async fn base_index(&mut self, src: &mut dyn Source, inst: &Inst) -> i64 {
        let Some(oid) = inst.oid.clone() else {
            return -1;
        };
        let kind = template_type(&inst.name);
        let known = match kind {
            flag::OUTLET => self.outlet_base,
            flag::OUTLET_GROUP => self.group_base,
            flag::DAISY => self.device_base,
            flag::AMBIENT_TEMPLATE => self.ambient_base,
            _ => -1,
        };
        if known != -1 {
            return known;
        }
        let multiple = oid.matches('%').count() > 1;
        let mut base = 0;
        while base < 2 {
            let test = if multiple {
                if inst.flags & flag::DAISY_1 != 0 {
                    fill(&oid, &[self.current_device + self.device_offset, base])
                } else {
                    fill(&oid, &[base, self.current_device + self.device_offset])
                }
            } else {
                fill(&oid, &[base])
            };
            if self.nut_get(src, &test).await.is_some() {
                if inst.flags & flag::ZERO_INVALID != 0 {
                    if matches!(self.get_int(src, &test).await, Some(v) if v != 0) {
                        break;
                    }
                } else if inst.flags & flag::NA_INVALID != 0 {
                    if matches!(self.get_str(src, &test, None, 32).await, Some(v) if !v.starts_with("N/A"))
                    {
                        break;
                    }
                } else {
                    break;
                }
            }
            base += 1;
        }
        if inst.flags & flag::OUTLET != 0 {
            self.outlet_base = base;
        } else if inst.flags & flag::OUTLET_GROUP != 0 {
            self.group_base = base;
        } else if inst.flags & flag::AMBIENT_TEMPLATE != 0 {
            self.ambient_base = base;
        } else {
            self.device_base = base;
        }
        base
    }

    /// C's `guestimate_template_count`: how many instances answer, counting from the first.
    async fn guess_count(&mut self, src: &mut dyn Source, inst: &Inst) -> i64 {
        let Some(oid) = inst.oid.clone() else {
            return 0;
        };
        let mut base = 0;
        let first = fill(&oid, &[0]);
        if self.nut_get(src, &first).await.is_none()
            || (inst.flags & flag::ZERO_INVALID != 0 && self.get_int(src, &first).await == Some(0))
        {
            base += 1;
        }

        // C counts until a read fails; an agent answering every index would make that endless
        // (it does over SNMPv2c, where C sees an exception as an answer): stop at 1024.
        let mut count = 0;
        while count < 1024 {
            if self
                .nut_get(src, &fill(&oid, &[base + count]))
                .await
                .is_none()
            {
                break;
            }
            count += 1;
        }
        count
    }

    /// C's `process_template`.
    async fn process_template(
        &mut self,
        src: &mut dyn Source,
        state: &mut DeviceState,
        mode: Mode,
        kind: &str,
        idx: usize,
    ) -> bool {
        let item = &self.items()[idx];
        let count_var =
            if !kind.starts_with("device") && self.devices_count > 1 && self.current_device > 0 {
                format!("device.{}.{kind}.count", self.current_device)
            } else {
                format!("{kind}.count")
            };
        let template = Inst::of(idx, item, self.flags[idx]);
        let count = match state.value(&count_var) {
            Some(v) => atoi(v),
            None => {
                let n = self.guess_count(src, &template).await;
                if n > 0 {
                    let _ = state.set(&count_var, &n.to_string());
                }
                n
            }
        };
        if count <= 0 {
            return true;
        }
        let mut status = true;
        let mut cur = template.clone();
        let base = self.base_index(src, &template).await;
        // C's cur_nut_index: the instance number, except for daisy-chain devices past the first.
        let mut nut_index = 0;
        for number in base..count + base {
            let daisy_prefixed =
                self.daisychain && self.devices_count > 1 && self.current_device > 0;
            if kind.starts_with("device") {
                if self.current_device > 0 {
                    let rest = item.name.strip_prefix("device.").unwrap_or(item.name);
                    cur.name = format!("device.{}.{rest}", self.current_device);
                } else {
                    nut_index = number;
                    cur.name = fill(item.name, &[number]);
                }
            } else if kind.starts_with("outlet") {
                nut_index = number;
                cur.name = if daisy_prefixed {
                    fill(
                        &format!("device.%i.{}", item.name),
                        &[self.current_device, number],
                    )
                } else {
                    fill(item.name, &[number])
                };
            } else if kind.starts_with("ambient") {
                nut_index = number;
                if self.daisychain
                    && item.flags & flag::DAISY_MASTER_ONLY != 0
                    && self.current_device != 1
                {
                    continue;
                }
                cur.name = if daisy_prefixed {
                    fill(
                        &format!("device.%i.{}", item.name),
                        &[self.current_device, number],
                    )
                } else {
                    fill(item.name, &[number])
                };
            }
            if let Some(dfl) = item.default.filter(|d| d.contains("%i")) {
                cur.dfl = Some(fill(dfl, &[nut_index]));
            }
            if let Some(oid) = item.oid {
                let filled = if kind.starts_with("device") {
                    if self.current_device > 0 {
                        fill(oid, &[self.current_device + self.device_offset])
                    } else {
                        // C leaves the instance's OID empty for the whole chain.
                        String::new()
                    }
                } else if self.daisychain && item.flags & flag::DAISY_1 != 0 {
                    fill(oid, &[self.current_device + self.device_offset, number])
                } else if self.daisychain && item.flags & flag::DAISY_2 != 0 {
                    fill(
                        oid,
                        &[
                            number + self.device_offset,
                            self.current_device - self.device_offset,
                        ],
                    )
                } else {
                    fill(oid, &[number])
                };
                cur.oid = Some(filled);
                if cur.is_cmd() {
                    if mode == Mode::Init {
                        let _ = state.add_cmd(&cur.name);
                    }
                } else {
                    status = self
                        .get_and_process(src, state, mode, &mut cur, false)
                        .await;
                }
            } else {
                self.setinfo(state, &cur, None);
            }
            self.flags[idx] = cur.flags;
        }
        status
    }

    // ----- phases and daisy chains -----

    /// C's `process_phase_data`: whether to skip the item (wrong phase count).
    async fn phase_filter(
        &mut self,
        src: &mut dyn Source,
        state: &mut DeviceState,
        kind: usize,
        idx: usize,
    ) -> bool {
        let (name, all, one, three) = match kind {
            0 => (
                "input",
                flag::INPUT_1 | flag::INPUT_3,
                flag::INPUT_1,
                flag::INPUT_3,
            ),
            1 => (
                "output",
                flag::OUTPUT_1 | flag::OUTPUT_3,
                flag::OUTPUT_1,
                flag::OUTPUT_3,
            ),
            // C tests the name against "input" first, so the bypass gets the input's flags
            // (which bypass items do not carry: they are never filtered out).
            _ => (
                "input.bypass",
                flag::INPUT_1 | flag::INPUT_3,
                flag::INPUT_1,
                flag::INPUT_3,
            ),
        };
        let dev = self.current_device.max(0) as usize;
        if self.phases.len() <= dev {
            self.phases.resize(dev + 1, [-1; 3]);
        }
        if self.phases[dev][kind] == -1 {
            let published = if self.daisychain && self.current_device > 0 {
                format!("device.{}.{name}.phases", self.current_device)
            } else {
                format!("{name}.phases")
            };
            let plain = format!("{name}.phases");
            let n = match state.value(&published) {
                Some(v) => atoi(v),
                None => match self.find(&plain).and_then(|i| self.items()[i].oid) {
                    Some(oid) => {
                        let oid = if oid.contains('%') {
                            fill(oid, &[self.current_device + self.device_offset])
                        } else {
                            oid.to_owned()
                        };
                        self.get_int(src, &oid).await.unwrap_or(1)
                    }
                    None => 1,
                },
            };
            self.phases[dev][kind] = n;
            // C publishes under the plain name when it had to read it.
            let target = if state.value(&published).is_some() {
                published
            } else {
                plain
            };
            let _ = state.set(&target, &n.to_string());
        }
        let n = self.phases[dev][kind];
        let f = &mut self.flags[idx];
        if *f & one != 0 {
            if n == 1 {
                *f &= !all;
            } else {
                *f &= !flag::OK;
                return true;
            }
        } else if *f & three != 0 {
            if n == 3 {
                *f &= !all;
            } else {
                *f &= !flag::OK;
                return true;
            }
        }
        false
    }

    /// C's `daisychain_init`: how many devices the agent fronts.
    pub(crate) async fn daisychain_init(&mut self, src: &mut dyn Source, state: &mut DeviceState) {
        if let Some(i) = self.find("device.count") {
            self.daisychain = true;
            let item = &self.items()[i];
            let mut count = -1;
            match item.oid {
                Some(oid) if !oid.contains("%i") => {
                    if let Some(rows) = item
                        .lookup
                        .filter(|r| r.first().and_then(|r| r.hook) == Some(Hook::MarlinDeviceCount))
                    {
                        // C reads the string with the lookup applied, which fails for numbers.
                        if let Some(list) = self.get_str(src, oid, Some(rows), 1024).await {
                            count = marlin_device_count(&list);
                        }
                    }
                    if count == -1 {
                        count = self.get_int(src, oid).await.unwrap_or(1);
                    }
                }
                _ => {
                    let inst = Inst::of(i, item, self.flags[i]);
                    count = self.guess_count(src, &inst).await;
                }
            }
            if count < 1 {
                self.devices_count = 1;
                self.daisychain = false;
            } else {
                self.devices_count = count;
                let _ = state.set("device.count", &count.to_string());
                if self.find("device.mfr").is_some() {
                    if let Some(m) = self.find("ups.mfr") {
                        let inst = Inst::of(m, &self.items()[m], self.flags[m]);
                        self.setinfo(state, &inst, None);
                    }
                }
                match self
                    .find("device.type")
                    .and_then(|t| self.items()[t].default)
                {
                    Some(dfl) => {
                        let _ = state.set(
                            "device.model",
                            &format!("daisychain {dfl} (1+{})", count - 1),
                        );
                        let _ = state.set("device.type", dfl);
                    }
                    None => {
                        let _ = state.set("device.model", &format!("daisychain (1+{})", count - 1));
                    }
                }
            }
        }
        if let Some(m) = self.find("device.model") {
            let inst = Inst::of(m, &self.items()[m], self.flags[m]);
            self.device_base = self.base_index(src, &inst).await;
            self.device_offset = self.device_base - 1;
        }
        self.phases = vec![[-1; 3]; self.devices_count.max(1) as usize + 1];
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
                let is_cmd = f & (7 << 18) == flag::TYPE_CMD;
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

    // ----- writes -----

    /// C's `su_setOID`: a SET for a writable variable (`value` given) or an instant command.
    pub(crate) async fn set_oid(
        &mut self,
        src: &mut dyn Source,
        state: &mut DeviceState,
        is_cmd: bool,
        varname: &str,
        val: Option<&str>,
    ) -> SetResult {
        let mut device = 0i64;
        let mut name = varname.to_owned();
        let mut count_prefix = String::new();
        if varname.starts_with("device") {
            let b = varname.as_bytes();
            if b.len() > 7 && b[7].is_ascii_digit() {
                device = atoi(&varname[7..]);
                name = varname.get(9..).unwrap_or("").to_owned();
                count_prefix = varname.chars().take(9).collect();
            } else if self.daisychain {
                device = match self.find(varname).map(|i| self.items()[i].oid) {
                    Some(None) => 0,
                    Some(Some(oid)) if oid.contains(".%i") => 0,
                    _ => 1,
                };
            }
        }
        if self.daisychain && self.devices_count > 1 && device == 0 {
            return SetResult::Invalid;
        }
        let inst: Inst;
        if !name.starts_with("outlet") {
            let mut found = self.find(&name);
            if found.is_none() && name != varname {
                found = self.find(varname);
                if found.is_none() && self.daisychain && self.devices_count > 1 && device == 1 {
                    if let Some(rest) = varname.strip_prefix("device.1.") {
                        found = self.find(&format!("device.{rest}"));
                    }
                }
            }
            let Some(i) = found else {
                return SetResult::Unknown;
            };
            inst = Inst::of(i, &self.items()[i], self.flags[i]);
        } else {
            let kind = template_type(&name);
            let count_var = format!(
                "{count_prefix}{}",
                if kind == flag::OUTLET_GROUP {
                    "outlet.group.count"
                } else {
                    "outlet.count"
                }
            );
            let total = state.value(&count_var).map_or(0, atoi);
            let skip = if kind == flag::OUTLET_GROUP { 12 } else { 6 };
            let number = name.get(skip + 1..).map_or(0, atoi);
            if number > total {
                return SetResult::Invalid;
            }
            let tail = name
                .get(skip + 1..)
                .and_then(|t| t.find('.').map(|p| &t[p..]))
                .unwrap_or("");
            let template_name = format!(
                "{}.%i{tail}",
                if kind == flag::OUTLET {
                    "outlet"
                } else {
                    "outlet.group"
                }
            );
            let Some(t) = self.find(&template_name) else {
                return SetResult::Unknown;
            };
            let item = &self.items()[t];
            let mut i = Inst::of(t, item, self.flags[t]);
            if let Some(dfl) = item.default.filter(|d| d.contains("%i")) {
                i.dfl = Some(fill(dfl, &[number]));
            }
            match item.oid {
                Some(oid) => {
                    let offset = i64::from(is_cmd && i.flags & flag::CMD_OFFSET != 0);
                    // C computes this offset and then never uses it.
                    let _ = offset;
                    i.oid = Some(if self.daisychain {
                        let d = device - i64::from(self.devices_count > 1);
                        if i.flags & flag::DAISY_1 != 0 {
                            fill(oid, &[d, number])
                        } else {
                            fill(oid, &[number, d])
                        }
                    } else {
                        fill(oid, &[number])
                    });
                }
                None if is_cmd => return SetResult::Unknown,
                None => i.name = name.clone(),
            }
            inst = i;
        }
        if inst.flags & flag::OK == 0 {
            return SetResult::Unknown;
        }
        if is_cmd && val.is_none() && inst.dfl.is_none() {
            return SetResult::Invalid;
        }
        let Some(oid) = inst.oid.as_deref().and_then(|o| o.parse::<Oid>().ok()) else {
            return SetResult::Failed;
        };
        let value = if inst.var_flags & var::STRING != 0 {
            Value::OctetString(
                val.or(inst.dfl.as_deref())
                    .unwrap_or("")
                    .as_bytes()
                    .to_vec(),
            )
        } else {
            let n = if is_cmd {
                match val
                    .or(inst.dfl.as_deref())
                    .and_then(|s| s.trim().parse::<i64>().ok())
                {
                    Some(n) => n,
                    None => return SetResult::Invalid,
                }
            } else if let Some(rows) = inst.lookup {
                find_valinfo(rows, val.or(inst.dfl.as_deref()).unwrap_or(""))
            } else {
                match val.and_then(|s| s.trim().parse::<i64>().ok()) {
                    Some(n) => (n as f64 / inst.len) as i64,
                    None => return SetResult::Invalid,
                }
            };
            if inst.flags & (7 << 18) == flag::TYPE_TIME {
                Value::TimeTicks((n * 100) as u32)
            } else {
                Value::Integer(n)
            }
        };
        match src.set(VarBind { oid, value }).await {
            Ok(()) => {
                if !is_cmd {
                    if let Some(v) = val {
                        let _ = state.set(
                            varname,
                            nut_driver_api::proto::names::Value::lossy(v).as_str(),
                        );
                    }
                }
                SetResult::Handled
            }
            Err(e) => {
                tracing::error!("can't set {}: {e}", inst.oid.as_deref().unwrap_or(""));
                SetResult::Failed
            }
        }
    }
}
