//! The table walker (C's `qx_ups_walk`, `qx_process`, `ups_infoval_set`, `update_status`,
//! `ups_status_set`): sends each item's command, cuts the value out of the reply,
//! publishes it, and collects status bits and alarms.

use std::collections::HashMap;
use std::io;

use nut_driver_api::{DeviceState, DriverParams, StatusBuilder};

use super::battery::Battery;
use super::blazer::status_bit;
use super::dialect::Dialect;
use super::item::{
    c_strtod, extract, format_value, Item, Process, ReplyError, ABSENT, CMD, ENUM, NONUT,
    QUICK_POLL, RANGE, SEMI_STATIC, SETVAR, SKIP, STATIC,
};
use super::port::QxPort;
use super::special;

/// What a walk does (C's `walkmode_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkMode {
    /// At start: everything not yet known, commands, driver-side variables.
    Init,
    /// Status only.
    Quick,
    /// Every non-static value.
    Full,
}

/// The status words C tracks, in the order `ups_status_set` publishes them.
const PUBLISH_ORDER: [&str; 11] = [
    "DISCHRG", "CHRG", "LB", "OVER", "RB", "TRIM", "BOOST", "BYPASS", "OFF", "CAL", "FSD",
];

/// The device-side status bits (C's `ups_status` mask).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusBits {
    online: bool,
    words: Vec<&'static str>,
}

impl StatusBits {
    /// Applies `OL` (set) or `!OL` (clear); words C does not know are ignored.
    pub fn update(&mut self, word: &str) {
        let (clear, word) = match word.strip_prefix('!') {
            Some(w) => (true, w),
            None => (false, word),
        };
        if word.eq_ignore_ascii_case("OL") {
            self.online = !clear;
            return;
        }
        let Some(known) = PUBLISH_ORDER.iter().find(|w| w.eq_ignore_ascii_case(word)) else {
            tracing::trace!(word, "not in the list of known status values");
            return;
        };
        self.words.retain(|w| w != known);
        if !clear {
            self.words.push(known);
        }
    }

    /// Whether `OL` is set.
    pub fn online(&self) -> bool {
        self.online
    }

    /// Whether `word` is set.
    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w.eq_ignore_ascii_case(word))
    }

    /// The `ups.status` words, as C's `ups_status_set` orders them.
    pub fn to_words(&self) -> String {
        let mut out = vec![if self.online { "OL" } else { "OB" }];
        out.extend(PUBLISH_ORDER.iter().filter(|w| self.words.contains(w)));
        out.join(" ")
    }
}

/// The walker's state for one device.
#[derive(Debug)]
pub struct Engine {
    /// The dialect in use.
    pub dialect: Dialect,
    /// The table (items get the `SKIP` flag as the device proves not to support them).
    pub items: Vec<Item>,
    /// The status bits.
    pub bits: StatusBits,
    /// `ups.status` / `ups.alarm` as last committed.
    pub status: StatusBuilder,
    /// Alarms collected during the current full walk.
    pending_alarms: Vec<String>,
    /// The battery estimation.
    pub battery: Battery,
    /// Set after a successful command or SET: the next poll is a full one.
    pub data_changed: bool,
    /// The driver's options (`-x`): read by [`NONUT`] items and dialects' processing.
    pub params: DriverParams,
    /// What a dialect's own processing remembers between items (C subdrivers' static
    /// variables and globals, e.g. the values of items without a NUT variable), by name.
    pub private: HashMap<String, String>,
    /// Allowed values found at run time, by variable: they replace the table's.
    pub allowed_override: HashMap<&'static str, Vec<String>>,
    /// The reply the item being processed was cut from (for dialects that read raw bytes).
    pub answer: Vec<u8>,
    /// Status words a dialect sets directly during a walk (C's `status_set` from a
    /// subdriver): published before the words of the status bits, forgotten at the next
    /// walk.
    pub direct_status: Vec<&'static str>,
}

impl Engine {
    /// A walker for `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            items: dialect.table(),
            bits: StatusBits::default(),
            status: StatusBuilder::new(),
            pending_alarms: Vec::new(),
            battery: Battery::new(),
            data_changed: false,
            params: DriverParams::default(),
            private: HashMap::new(),
            allowed_override: HashMap::new(),
            answer: Vec::new(),
            direct_status: Vec::new(),
        }
    }

    /// The index of the first item for `var` with all of `flags` and none of `noflags`.
    pub fn find(&self, var: &str, flags: u32, noflags: u32) -> Option<usize> {
        self.items
            .iter()
            .position(|i| i.var.eq_ignore_ascii_case(var) && i.has(flags) && i.flags & noflags == 0)
    }

    /// Sends the item's command (or `command` instead) and cuts the value out of the reply
    /// (C's `qx_process`). Returns the reply too, for reuse by the next items.
    ///
    /// An item with an [`Item::exchange`] code has its command rewritten by the dialect
    /// before it is sent (nothing is sent when the dialect refuses it) and its reply seen
    /// by the dialect before the value is cut out.
    pub async fn process(
        &mut self,
        port: &mut dyn QxPort,
        idx: usize,
        command: Option<&str>,
    ) -> io::Result<(Vec<u8>, Result<String, ReplyError>)> {
        let Some(item) = self.items.get(idx) else {
            return Ok((Vec::new(), Err(ReplyError::Unexpected)));
        };
        let mut text = command.unwrap_or(item.command).to_owned();
        if let Some(code) = item.exchange {
            match special::command_text(self, code, &text) {
                Some(t) => text = t,
                None => {
                    tracing::debug!(var = item.var, "failed to preprocess command");
                    return Ok((Vec::new(), Err(ReplyError::Unexpected)));
                }
            }
        }
        let Some(reply) = port.command(&text).await? else {
            return Ok((Vec::new(), Err(ReplyError::Failed)));
        };
        // A reply the dialect cannot make sense of is not reused by the next items.
        let reply = match special::answer(self, idx, reply) {
            Ok(r) => r,
            Err(e) => return Ok((Vec::new(), Err(e))),
        };
        let value = extract(&self.items[idx], &reply, self.dialect.rejected);
        Ok((reply, value))
    }

    /// Publishes a value (C's `ups_infoval_set`). `Ok(true)` when a variable was set,
    /// `Ok(false)` for status bits and alarms, `Err` when the value is unusable.
    pub fn infoval_set(
        &mut self,
        idx: usize,
        raw: &str,
        state: &mut DeviceState,
    ) -> Result<bool, ReplyError> {
        let item = self.items[idx].clone();
        let value = match item.process {
            Process::StatusBit => {
                let vi = state.value("input.voltage").map(c_strtod).unwrap_or(0.0);
                let vo = state.value("output.voltage").map(c_strtod).unwrap_or(0.0);
                let meaning = status_bit(item.from, raw, vi, vo).inspect_err(|e| {
                    tracing::debug!(var = item.var, col = item.from, %e, "status bit");
                })?;
                let text = meaning.unwrap_or("");
                if item.var.starts_with("ups.status") {
                    if !text.is_empty() {
                        self.bits.update(text);
                    }
                    return Ok(false);
                }
                if item.var.starts_with("ups.alarm") {
                    if !text.is_empty() {
                        self.pending_alarms.push(text.to_owned());
                    }
                    return Ok(false);
                }
                text.to_owned()
            }
            Process::Voltronic(_) | Process::Dialect(_) => {
                let text = match item.process {
                    Process::Voltronic(p) => {
                        super::voltronic::process::process(self, idx, p, raw, state)
                    }
                    Process::Dialect(code) => special::value(self, idx, code, raw, state),
                    _ => Err(ReplyError::Unexpected),
                }
                .inspect_err(|e| {
                    tracing::debug!(var = item.var, raw, %e, "failed to preprocess value");
                })?;
                if item.var.starts_with("ups.status") {
                    if !text.is_empty() {
                        self.bits.update(&text);
                    }
                    return Ok(false);
                }
                if item.var.starts_with("ups.alarm") {
                    if !text.is_empty() {
                        self.pending_alarms.push(text);
                    }
                    return Ok(false);
                }
                text
            }
            _ => format_value(&item, raw).inspect_err(|e| {
                tracing::debug!(var = item.var, raw, %e, "unusable value");
            })?,
        };
        if item.has(NONUT) {
            tracing::info!("{}: {value}", item.var);
            return Ok(true);
        }
        if value.is_empty() {
            return Err(ReplyError::Empty);
        }
        if state.set(item.var, &value).is_err() {
            return Err(ReplyError::NotNumeric(value));
        }
        self.battery.observe(item.var, &value);
        Ok(true)
    }

    /// Declares a writable variable's flags and ranges (C's `qx_set_var`).
    pub fn set_var_info(&self, idx: usize, state: &mut DeviceState) {
        let item = &self.items[idx];
        let allowed = self.allowed_values(idx, state);
        if item.has(NONUT) {
            if item.has(ENUM) {
                tracing::info!("{}, settable values: {}", item.var, allowed.join(" "));
            }
            if item.has(RANGE) {
                for pair in allowed.chunks_exact(2) {
                    tracing::info!("{}, settable range: {}..{}", item.var, pair[0], pair[1]);
                }
            }
            return;
        }
        if !item.rw {
            return;
        }
        state.set_flags(item.var, true, false, false);
        if item.has(ENUM) {
            for v in &allowed {
                let _ = state.add_enum(item.var, v);
            }
        }
        if item.has(RANGE) {
            for pair in allowed.chunks(2) {
                if let [lo, hi] = pair {
                    let (lo, hi) = (
                        nut_driver_api::status::c_strtol(lo),
                        nut_driver_api::status::c_strtol(hi),
                    );
                    if let (Ok(lo), Ok(hi)) = (i32::try_from(lo), i32::try_from(hi)) {
                        // A new range also makes the variable a NUMBER, as in C.
                        state.add_range(item.var, lo, hi);
                    }
                }
            }
        }
    }

    /// Walks the table once (C's `qx_ups_walk`). `Ok(false)` when a status item failed:
    /// the device is not answering properly.
    pub async fn walk(
        &mut self,
        port: &mut dyn QxPort,
        mode: WalkMode,
        state: &mut DeviceState,
    ) -> io::Result<bool> {
        if mode == WalkMode::Full {
            self.battery.start_full_update();
        }
        self.direct_status.clear();
        let mut previous: Option<(String, Vec<u8>)> = None;
        for idx in 0..self.items.len() {
            let item = self.items[idx].clone();
            if item.has(SKIP) {
                continue;
            }
            match mode {
                WalkMode::Init => {
                    if item.has(ABSENT) {
                        if state.get(item.var).is_none() {
                            let _ = state.set(item.var, item.format);
                            self.set_var_info(idx, state);
                        }
                        continue;
                    }
                    let multi =
                        item.var.starts_with("ups.alarm") || item.var.starts_with("ups.status");
                    if !multi && state.get(item.var).is_some() {
                        continue;
                    }
                }
                WalkMode::Quick => {
                    if !item.has(QUICK_POLL) {
                        continue;
                    }
                }
                WalkMode::Full => {
                    if item.flags & (ABSENT | CMD | SETVAR | STATIC) != 0 {
                        continue;
                    }
                    if item.has(SEMI_STATIC) && !self.data_changed {
                        continue;
                    }
                }
            }
            if item.has(CMD) {
                let _ = state.add_cmd(item.var);
                continue;
            }
            if item.has(SETVAR) {
                if item.has(NONUT) {
                    // A one-time setting from a driver option.
                    self.set_var(port, state, item.var, None).await;
                    self.items[idx].flags |= SKIP;
                }
                continue;
            }
            let reused = previous
                .as_ref()
                .filter(|(cmd, answer)| {
                    !answer.is_empty() && cmd.eq_ignore_ascii_case(item.command)
                })
                .map(|(_, answer)| answer.clone());
            let (reply, value) = match reused {
                Some(answer) => {
                    let v = extract(&item, &answer, self.dialect.rejected);
                    (answer, v)
                }
                None => self.process(port, idx, None).await?,
            };
            self.answer.clone_from(&reply);
            previous = Some((item.command.to_owned(), reply));
            let raw = match value {
                Ok(raw) => raw,
                Err(e) => {
                    tracing::debug!(var = item.var, %e, "no value");
                    if item.has(QUICK_POLL) {
                        return Ok(false);
                    }
                    if mode == WalkMode::Init {
                        self.items[idx].flags |= SKIP;
                    }
                    continue;
                }
            };
            match self.infoval_set(idx, &raw, state) {
                Err(_) => {
                    if item.has(QUICK_POLL) {
                        return Ok(false);
                    }
                }
                Ok(true) if mode == WalkMode::Init => self.set_var_info(idx, state),
                Ok(_) => {}
            }
        }
        if mode == WalkMode::Full {
            self.battery.finish_full_update(state, self.bits.online());
        }
        Ok(true)
    }

    /// Starts a full update: forget the status bits and alarms (C's `ups_status = 0` and
    /// `alarm_init`).
    pub fn start_full(&mut self) {
        self.bits = StatusBits::default();
        self.pending_alarms.clear();
    }

    /// Publishes `ups.alarm` after a full update (C's `ups_alarm_set` + `alarm_commit`).
    pub fn commit_alarms(&mut self, state: &mut DeviceState) {
        self.status.clear_alarms();
        for a in &self.pending_alarms {
            self.status.alarm(a);
        }
        if self.bits.has("RB") {
            self.status.alarm("Replace battery!");
        }
        if self.bits.has("FSD") {
            self.status.alarm("Shutdown imminent!");
        }
        self.status.commit_alarm(state);
    }

    /// Publishes `ups.status` (C's `ups_status_set` + `status_commit`).
    pub fn commit_status(&mut self, state: &mut DeviceState) {
        self.status.clear_words();
        for word in &self.direct_status {
            self.status.set(word);
        }
        self.status.set(&self.bits.to_words());
        self.status.commit_status(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_in_c_order() {
        let mut b = StatusBits::default();
        assert_eq!(b.to_words(), "OB");
        b.update("FSD");
        b.update("OL");
        b.update("LB");
        b.update("TRIM");
        b.update("bogus");
        assert_eq!(b.to_words(), "OL LB TRIM FSD");
        b.update("!LB");
        b.update("!OL");
        b.update("!CAL");
        assert_eq!(b.to_words(), "OB TRIM FSD");
        assert!(b.has("fsd") && !b.online());
    }
}
