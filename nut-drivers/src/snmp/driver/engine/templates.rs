//! Templates (outlets, outlet groups, ambient sensors, daisy-chained devices), phase filtering
//! and daisy-chain discovery: C `snmp-ups`'s `process_template`, `base_snmp_template_index`,
//! `guestimate_template_count`, `process_phase_data` and `daisychain_init`.

use nut_driver_api::state::DeviceState;

use super::{atoi, fill, template_type, Engine, Inst, Mode, Source};
use crate::snmp::driver::decode::marlin_device_count;
use crate::snmp::mib::{flag, Hook};

impl Engine {
    // ----- templates -----

    /// C's `base_snmp_template_index`: whether a template counts from 0 or 1 on the agent.
    pub(super) async fn base_index(&mut self, src: &mut dyn Source, inst: &Inst) -> i64 {
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
        // A template with no OID (a value the driver makes up, such as outlet.%i.id) cannot be
        // tried on the agent: it is numbered as its kind's other templates are, from 1 when
        // none has been tried yet. (C returns -1 before looking at its kind, and so publishes
        // outlet.-1.id to outlet.<n-2>.id beside outlet.1.* to outlet.<n>.*.)
        let Some(oid) = inst.oid.clone() else {
            return 1;
        };
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
    pub(super) async fn guess_count(&mut self, src: &mut dyn Source, inst: &Inst) -> i64 {
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
    pub(super) async fn process_template(
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
    pub(super) async fn phase_filter(
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
}
