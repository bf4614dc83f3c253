//! Reading one item and publishing it: C `snmp-ups`'s `su_ups_get` and
//! `get_and_process_data`, with their special cases (status, alarms, the alarm table,
//! APC's environment temperature).

use nut_driver_api::state::DeviceState;

use super::{fill, Engine, Inst, Mode, Source, APCC_IEM_TEMP, APCC_IEM_TEMP_UNIT};
use crate::snmp::driver::decode::{find_infoval, find_strval, scaled, strtod, INFO_SIZE};
use crate::snmp::mib::{flag, var};
use crate::snmp::pdu::{Oid, Value};

impl Engine {
    // ----- reading one item -----

    /// C's `su_ups_get`: read one item and publish it.
    pub(super) async fn ups_get(
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
                        let v = strtod(&s) * 0.707;
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
    pub(super) async fn get_and_process(
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
    pub(super) async fn process_entry(
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
}
