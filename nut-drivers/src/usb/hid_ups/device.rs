//! One opened device and its subdriver: the walks over the table (at start, quick and
//! full updates), interrupt events, instant commands and SETs, as C's usbhid-ups does
//! them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use nut_driver_api::status::StatusBuilder;
use nut_driver_api::{CommandResult, DeviceState, DriverError};
use nut_proto::sock::TrackingStatus;

use super::reports::Reports;
use super::status::{OnlineDischarge, StatusBits};
use super::subdriver::{Subdriver, Tweaks};
use super::table::{
    c_format, ConvContext, HidInfo, Lookup, HU_ENUM, HU_QUICK_POLL, HU_SEMI_STATIC, HU_STATIC,
    ST_NUMBER, ST_RW, ST_STRING,
};
use crate::usb::hid::{dump_line, dump_skips, string_to_path, ReportDescriptor, ReportType};
use crate::usb::transport::{HidTransport, UsbDeviceInfo, UsbError};

/// Bytes C asks for on the interrupt pipe when neither the option nor the subdriver says.
const DEFAULT_INTERRUPT_SIZE: usize = 512;

/// The longest string a table's string-index value gives: C reads it into 20 bytes.
const STRING_ID_MAX: usize = 19;

/// Which walk over the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkMode {
    /// At start: map paths to fields, read everything once, publish flags and enums.
    Init,
    /// Between full updates: only the quick-polled lines (status).
    Quick,
    /// Every `pollfreq`: everything but static lines and commands.
    Full,
}

/// The user's settings that the walks use.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// What OL with DISCHRG means.
    pub online_discharge: OnlineDischarge,
    /// Seconds between two warnings about an unexplained OL with DISCHRG (negative: once
    /// per episode).
    pub online_discharge_log_throttle: i64,
    /// No warning while `battery.charge` is at least this (a full battery that rests).
    pub online_discharge_hovercharge: i64,
    /// Use only the interrupt pipe, no GET_REPORT.
    pub interrupt_only: bool,
    /// Do not read the interrupt pipe.
    pub poll_only: bool,
    /// Bytes to ask for on the interrupt pipe (the `interruptsize` option), when given.
    pub interrupt_size: Option<usize>,
    /// Seconds between full updates.
    pub pollfreq: u64,
}

/// An opened device with its subdriver.
pub struct Device {
    pub(super) transport: Box<dyn HidTransport>,
    pub(super) info: UsbDeviceInfo,
    pub(super) desc: ReportDescriptor,
    pub(super) subdriver: &'static Subdriver,
    /// For each table line, the field it reads (C's `hiddata`), once mapped.
    fields: Vec<Option<usize>>,
    reports: Reports,
    bits: StatusBits,
    alarms: StatusBuilder,
    /// The alarms of the last full update: `ups.status` starts with `ALARM` while there
    /// are any, as C's `alarm_active` says.
    committed: StatusBuilder,
    scratch: HashMap<&'static str, f64>,
    last_full: Instant,
    data_changed: bool,
    settings: Settings,
    /// When the last warning about an unexplained OL with DISCHRG was logged, in this
    /// episode.
    warned_at: Option<Instant>,
    /// The age under which a buffered report is not read again (C's poll interval).
    pub(super) age: Duration,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("info", &self.info)
            .field("subdriver", &self.subdriver.name)
            .finish_non_exhaustive()
    }
}

fn usb_to_driver(e: UsbError) -> DriverError {
    if e.needs_reconnect() {
        DriverError::Transport(e.into())
    } else {
        DriverError::device(e)
    }
}

impl Device {
    /// A device whose descriptor is parsed and fixed.
    pub fn new(
        transport: Box<dyn HidTransport>,
        info: UsbDeviceInfo,
        desc: ReportDescriptor,
        subdriver: &'static Subdriver,
        tweaks: Tweaks,
        settings: Settings,
    ) -> Self {
        let mut settings = settings;
        settings.poll_only |= tweaks.no_interrupt;
        settings.interrupt_only |= tweaks.interrupt_only;
        // The option wins over the claim's size (and that over C's default, at the read).
        settings.interrupt_size = settings.interrupt_size.or(tweaks.interrupt_size);
        let mut reports = Reports::new(&desc);
        reports.max_report = tweaks.max_report;
        reports.interrupt_only = settings.interrupt_only;
        Self {
            transport,
            info,
            fields: vec![None; subdriver.table.len()],
            desc,
            subdriver,
            reports,
            bits: StatusBits::default(),
            alarms: StatusBuilder::new(),
            committed: StatusBuilder::new(),
            warned_at: None,
            scratch: HashMap::new(),
            last_full: Instant::now(),
            data_changed: false,
            settings,
            age: Duration::from_secs(2),
        }
    }

    /// Which field each table line reads (kept across a reconnect, as C keeps it).
    pub fn mapping(&self) -> (&'static str, Vec<Option<usize>>) {
        (self.subdriver.name, self.fields.clone())
    }

    /// Takes the mapping of the same unit's previous connection, so that the first walk
    /// after a reconnect reads every line again instead of mapping them anew.
    pub fn reuse_mapping(&mut self, previous: (&'static str, Vec<Option<usize>>)) {
        if previous.0 == self.subdriver.name && previous.1.len() == self.fields.len() {
            self.fields = previous.1;
        }
    }

    /// Whether the interrupt pipe is read.
    pub fn uses_interrupts(&self) -> bool {
        !self.settings.poll_only
    }

    /// The lines of the table whose path exists on this device, by NUT name.
    fn find_item(&self, name: &str) -> Option<usize> {
        self.subdriver
            .table
            .iter()
            .enumerate()
            .find(|(i, item)| item.var.eq_ignore_ascii_case(name) && self.fields[*i].is_some())
            .map(|(i, _)| i)
    }

    /// Whether the table has a mapped line for `name` (C's `find_nut_info`).
    pub fn has_item(&self, name: &str) -> bool {
        self.find_item(name).is_some()
    }

    fn map_field(&self, item: &HidInfo) -> Option<usize> {
        let path = string_to_path(item.path, self.subdriver.usages)?;
        let ty = if self.settings.interrupt_only {
            ReportType::Input
        } else {
            ReportType::Feature
        };
        let field = self.desc.find(&path, Some(ty))?;
        self.desc.fields.iter().position(|f| std::ptr::eq(f, field))
    }

    /// Logs every field with its value, as C does at start in debug mode (and what the
    /// explore subdriver is for).
    pub async fn dump_tree(&mut self) {
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        tracing::debug!("{} HID objects found", self.desc.fields.len());
        for i in 0..self.desc.fields.len() {
            let field = self.desc.fields[i].clone();
            if dump_skips(self.info.vendor_id, self.info.product_id, field.report_id) {
                continue;
            }
            let value = self
                .reports
                .get(self.transport.as_mut(), &field, Duration::MAX)
                .await
                .ok();
            let line = dump_line(&field, value.unwrap_or(0.0), self.subdriver.usages);
            match value {
                Some(_) => tracing::debug!("{line}"),
                None => tracing::debug!(
                    "{}",
                    line.rsplit_once(", Value:")
                        .map_or(line.as_str(), |(a, _)| a)
                ),
            }
        }
    }

    /// One walk over the table (C's `hid_ups_walk`). A transport error means reconnect.
    pub async fn walk(
        &mut self,
        mode: WalkMode,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        let table = self.subdriver.table;
        for (i, item) in table.iter().enumerate() {
            match mode {
                WalkMode::Init => {
                    if self.fields[i].is_none() {
                        self.fields[i] = self.map_field(item);
                        if self.fields[i].is_none() {
                            continue;
                        }
                        if item.is_absent() {
                            if state.value(item.var).is_none() {
                                let _ = state.set(item.var, item.dfl.unwrap_or(""));
                                set_flags(state, item);
                            }
                            continue;
                        }
                        if !item.var.starts_with("ups.alarm") && state.value(item.var).is_some() {
                            self.fields[i] = None;
                            continue;
                        }
                    } else if item.is_absent() {
                        continue;
                    }
                }
                WalkMode::Quick => {
                    if item.hu_flags & HU_QUICK_POLL == 0 {
                        continue;
                    }
                }
                WalkMode::Full => {
                    if item.is_absent() || item.is_cmd() || item.hu_flags & HU_STATIC != 0 {
                        continue;
                    }
                    if item.hu_flags & HU_SEMI_STATIC != 0 && !self.data_changed {
                        continue;
                    }
                }
            }
            let Some(fi) = self.fields[i] else {
                continue;
            };
            let field = &self.desc.fields[fi];
            if self.info.vendor_id == 0x09ae
                && self.info.product_id == 0x1330
                && field.report_id == 0x54
            {
                continue;
            }
            let value = match self
                .reports
                .get(self.transport.as_mut(), field, self.age)
                .await
            {
                Ok(v) => v,
                Err(e) if e.needs_reconnect() => return Err(usb_to_driver(e)),
                Err(e) => {
                    tracing::debug!(
                        "can't read report {:#04x} for {}: {e}",
                        field.report_id,
                        item.path
                    );
                    continue;
                }
            };
            tracing::debug!(
                "Path: {}, Type: {}, ReportID: 0x{:02x}, Offset: {}, Size: {}, Value: {}",
                item.path,
                field.report_type,
                field.report_id,
                field.offset,
                field.size,
                crate::usb::hid::format_g(value)
            );
            if item.is_cmd() {
                let _ = state.add_cmd(item.var);
                continue;
            }
            if !self.set_info(item, value, state).await {
                continue;
            }
            if mode == WalkMode::Init {
                set_flags(state, item);
                if item.hu_flags & HU_ENUM == 0 || item.nut_flags & ST_RW == 0 {
                    continue;
                }
                if let Some(Lookup::Table(t)) = item.lookup {
                    for (_, text) in t {
                        let _ = state.add_enum(item.var, text);
                    }
                }
                if let Some(Lookup::Custom { to_nut, values, .. }) = item.lookup {
                    for (v, text) in values {
                        let mut ctx = ConvContext {
                            state: &mut *state,
                            scratch: &mut self.scratch,
                        };
                        if to_nut(&mut ctx, *v as f64).is_some() {
                            let _ = state.add_enum(item.var, text);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The string descriptor whose index is `value` (`None` when it cannot be one), cut to
    /// `max` characters when given (C reads it into a buffer of `max + 1` bytes).
    async fn string_at(&mut self, value: f64, max: Option<usize>) -> Option<String> {
        let index = u8::try_from(value as i64).ok()?;
        let mut text = self.transport.get_string(index).await.unwrap_or_default();
        if let Some(max) = max {
            if let Some((cut, _)) = text.char_indices().nth(max) {
                text.truncate(cut);
            }
        }
        Some(text.trim_end_matches('\n').to_owned())
    }

    /// Publishes one value (C's `ups_infoval_set`); false for a status bit, an alarm, or a
    /// value without meaning.
    async fn set_info(&mut self, item: &HidInfo, value: f64, state: &mut DeviceState) -> bool {
        let text = match item.lookup {
            None => c_format(item.dfl.unwrap_or("%.0f"), value),
            Some(Lookup::Table(t)) => match t.iter().find(|(v, _)| *v == value as i64) {
                Some((_, text)) => (*text).to_owned(),
                None => {
                    tracing::trace!("lookup [{value}] failed for [{}]", item.var);
                    return false;
                }
            },
            Some(Lookup::Fun { to_nut, .. }) => {
                let mut ctx = ConvContext {
                    state: &mut *state,
                    scratch: &mut self.scratch,
                };
                match to_nut(&mut ctx, value) {
                    Some(text) => text,
                    None => return false,
                }
            }
            Some(Lookup::StringIndex) => match self.string_at(value, Some(STRING_ID_MAX)).await {
                Some(text) => text,
                None => return false,
            },
            Some(Lookup::StringIndexOr(first)) => {
                let mut ctx = ConvContext {
                    state: &mut *state,
                    scratch: &mut self.scratch,
                };
                match first(&mut ctx, value) {
                    Some(text) => text,
                    None => match self.string_at(value, Some(STRING_ID_MAX)).await {
                        Some(text) => text,
                        None => return false,
                    },
                }
            }
            Some(Lookup::Raw(to_nut)) => {
                let mut ctx = ConvContext {
                    state: &mut *state,
                    scratch: &mut self.scratch,
                };
                match to_nut(&mut ctx, &self.reports, value) {
                    Some(text) => text,
                    None => return false,
                }
            }
            Some(Lookup::StringWith(to_nut)) => {
                let Some(text) = self.string_at(value, None).await else {
                    return false;
                };
                let mut ctx = ConvContext {
                    state: &mut *state,
                    scratch: &mut self.scratch,
                };
                match to_nut(&mut ctx, &text) {
                    Some(text) => text,
                    None => return false,
                }
            }
            Some(Lookup::Custom { to_nut, .. }) => {
                let mut ctx = ConvContext {
                    state: &mut *state,
                    scratch: &mut self.scratch,
                };
                match to_nut(&mut ctx, value) {
                    Some(text) => text,
                    None => return false,
                }
            }
        };
        if item.var.starts_with("BOOL") {
            self.bits.apply(&text);
            return false;
        }
        if item.var.starts_with("ups.alarm") {
            self.alarms.alarm(&text);
            return false;
        }
        let _ = state.set(item.var, &text);
        true
    }

    /// Reads interrupt reports until one brings data, and applies it (C's part of
    /// `upsdrv_updateinfo` before the walk). Cancel safe: the transport keeps a read in
    /// flight.
    pub async fn events(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let size = self
            .settings
            .interrupt_size
            .unwrap_or(DEFAULT_INTERRUPT_SIZE);
        let report = loop {
            match self
                .transport
                .interrupt_read(size, Duration::from_millis(750))
                .await
            {
                Ok(r) if !r.is_empty() => break r,
                Ok(_) | Err(UsbError::Timeout) => continue,
                Err(e) if e.needs_reconnect() => return Err(usb_to_driver(e)),
                Err(e) => {
                    tracing::debug!("interrupt read: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        };
        let Some(id) = self.reports.file(&report) else {
            tracing::debug!("unexpected input report (ignored)");
            return Ok(());
        };
        let events: Vec<usize> = (0..self.desc.fields.len())
            .filter(|&i| {
                let f = &self.desc.fields[i];
                f.report_id == id && f.report_type == ReportType::Input
            })
            .take(32)
            .collect();
        for ev in events {
            let field = self.desc.fields[ev].clone();
            let value = self.reports.value(&field);
            let prefer = if self.settings.interrupt_only {
                ReportType::Input
            } else {
                ReportType::Feature
            };
            let found = self
                .desc
                .find(&field.path, Some(prefer))
                .or_else(|| {
                    (!self.settings.interrupt_only)
                        .then(|| self.desc.find(&field.path, Some(ReportType::Input)))
                        .flatten()
                })
                .and_then(|f| self.desc.fields.iter().position(|g| std::ptr::eq(f, g)));
            let Some(found) = found else {
                continue;
            };
            let table = self.subdriver.table;
            // Lines that only refine the model were for the first walk.
            let Some(i) = (0..table.len()).find(|&i| {
                !table[i].is_absent()
                    && table[i].var != super::lookups::MODEL_LINE
                    && self.fields[i] == Some(found)
            }) else {
                continue;
            };
            self.set_info(&table[i], value, state).await;
        }
        self.commit_status(state);
        Ok(())
    }

    /// A poll (C's `upsdrv_updateinfo` after the interrupt part): a full walk every
    /// `pollfreq` seconds or after a change, a quick one otherwise; then the status.
    pub async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let full = self.last_full.elapsed() > Duration::from_secs(self.settings.pollfreq)
            || self.data_changed;
        if full {
            self.alarms = StatusBuilder::new();
            self.walk(WalkMode::Full, state).await?;
            self.last_full = Instant::now();
            self.data_changed = false;
            for alarm in self.bits.alarms() {
                self.alarms.alarm(alarm);
            }
            self.alarms.commit_alarm(state);
            self.committed = self.alarms.clone();
        } else {
            self.walk(WalkMode::Quick, state).await?;
        }
        self.commit_status(state);
        Ok(())
    }

    fn commit_status(&mut self, state: &mut DeviceState) {
        let mut status = self.committed.clone();
        status.clear_words();
        let unexplained = self
            .bits
            .words_into(state, &mut status, self.settings.online_discharge);
        status.commit_status(state);
        if !unexplained {
            self.warned_at = None;
            return;
        }
        let charge = state
            .value("battery.charge")
            .map(nut_driver_api::status::c_strtol);
        if charge.is_some_and(|c| c >= self.settings.online_discharge_hovercharge) {
            return;
        }
        let throttle = self.settings.online_discharge_log_throttle;
        let due = match self.warned_at {
            None => true,
            Some(_) if throttle < 0 => false,
            Some(at) => at.elapsed() >= Duration::from_secs(throttle.unsigned_abs()),
        };
        if due {
            self.warned_at = Some(Instant::now());
            tracing::warn!(
                "the UPS seems to be in OL+DISCHRG state now: is it calibrating, or should \
                 the 'onlinedischarge_onbattery' or 'onlinedischarge_calibration' option be \
                 set? Some models (CyberPower UT series) say OL+DISCHRG when on battery"
            );
        }
    }

    /// Writes `value` (a NUT text, looked up or read as a number) to line `i`'s field;
    /// `None` is a command with neither parameter nor default.
    async fn write(
        &mut self,
        i: usize,
        value: Option<&str>,
        state: &mut DeviceState,
    ) -> Result<(), UsbError> {
        let item = &self.subdriver.table[i];
        let hid_value = match (item.lookup, value) {
            (
                Some(Lookup::Custom {
                    to_hid: Some(f), ..
                }),
                value,
            ) => {
                let mut ctx = ConvContext {
                    state: &mut *state,
                    scratch: &mut self.scratch,
                };
                f(&mut ctx, value).unwrap_or(-1.0)
            }
            (_, None) => 0.0,
            (Some(Lookup::Table(t) | Lookup::Custom { values: t, .. }), Some(value)) => t
                .iter()
                .find(|(_, text)| *text == value)
                .map_or(-1.0, |(v, _)| *v as f64),
            (
                Some(Lookup::Fun {
                    to_hid: Some(f), ..
                }),
                Some(value),
            ) => f(value).unwrap_or(-1.0),
            (None, Some(value)) => nut_driver_api::status::c_strtol(value) as f64,
            // C searches a conversion without a way back for the text, finds nothing, and
            // writes -1 (`hu_find_valinfo`).
            (Some(_), Some(_)) => -1.0,
        };
        let Some(fi) = self.fields[i] else {
            return Err(UsbError::NotFound);
        };
        let field = self.desc.fields[fi].clone();
        if field.is_constant() {
            // A constant field cannot be written.
            return Err(UsbError::Other("constant field".into()));
        }
        self.reports
            .set(self.transport.as_mut(), &field, hid_value)
            .await?;
        self.data_changed = true;
        Ok(())
    }

    /// An instant command from the table (C's `instcmd`, after its aliases): `None` when
    /// the table has no mapped line for it.
    pub async fn table_cmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> Option<CommandResult> {
        let i = self.find_item(cmd)?;
        let item = self.subdriver.table[i];
        if !item.is_cmd() {
            return Some(TrackingStatus::Invalid);
        }
        let value = param.or(item.dfl);
        Some(match self.write(i, value, state).await {
            Ok(()) => TrackingStatus::Handled,
            Err(e) => {
                tracing::debug!("instcmd {cmd}: {e}");
                TrackingStatus::Failed
            }
        })
    }

    /// A SET (C's `setvar`).
    pub async fn set_var(
        &mut self,
        state: &mut DeviceState,
        var: &str,
        value: &str,
    ) -> CommandResult {
        let Some(i) = self.find_item(var) else {
            return TrackingStatus::Unknown;
        };
        let item = self.subdriver.table[i];
        if item.nut_flags & ST_RW == 0 {
            return TrackingStatus::Unknown;
        }
        if item.is_absent() {
            let _ = state.set(item.var, value);
            return TrackingStatus::Handled;
        }
        match self.write(i, Some(value), state).await {
            Ok(()) => TrackingStatus::Handled,
            Err(e) => {
                tracing::debug!("setvar {var}: {e}");
                TrackingStatus::Unknown
            }
        }
    }
}

fn set_flags(state: &mut DeviceState, item: &HidInfo) {
    let rw = item.nut_flags & ST_RW != 0;
    let string = item.nut_flags & ST_STRING != 0;
    let number = item.nut_flags & ST_NUMBER != 0;
    state.set_flags(item.var, rw, string, number);
    if string {
        state.set_aux(item.var, item.len as i64);
    }
}
