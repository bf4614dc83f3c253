//! Writes: C `snmp-ups`'s `su_setOID`, for SETs of writable variables and instant commands.

use nut_driver_api::state::DeviceState;

use super::{atoi, fill, template_type, Engine, Inst, SetResult, Source};
use crate::snmp::driver::decode::find_valinfo;
use crate::snmp::mib::{flag, var};
use crate::snmp::pdu::{Oid, Value, VarBind};

impl Engine {
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
            if inst.flags & flag::TYPE_MASK == flag::TYPE_TIME {
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
