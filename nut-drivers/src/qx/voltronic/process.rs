//! The Voltronic preprocess functions: turning a reply's columns into NUT values (status
//! bits, working mode, warnings, capabilities, limits), unskipping the items the device
//! proves to support, and building the command text of writable variables and instant
//! commands.

use nut_driver_api::status::c_strtol;
use nut_driver_api::DeviceState;

use super::table::{BATT_TYPE, NONUT_CAPS, NUT_CAPS, PHASES, WORK_RANGE};
use super::Proc;
use crate::qx::engine::Engine;
use crate::qx::item::{
    c_strtod, is_c_numeric, printf_float, ReplyError, CMD, SEMI_STATIC, SETVAR, SKIP,
};

type R = Result<String, ReplyError>;

fn invalid(v: &str) -> ReplyError {
    ReplyError::Invalid(v.to_owned())
}

fn numeric(v: &str) -> Result<(), ReplyError> {
    if is_c_numeric(v) {
        Ok(())
    } else {
        Err(ReplyError::NotNumeric(v.to_owned()))
    }
}

/// The protocol number from `ups.firmware.aux` (`P01` → 1).
pub fn protocol(state: &DeviceState) -> i64 {
    state
        .value("ups.firmware.aux")
        .map(|v| c_strtol(v.get(1..).unwrap_or("")))
        .unwrap_or(0)
}

fn strtod_of(state: &DeviceState, var: &str) -> f64 {
    state.value(var).map(c_strtod).unwrap_or(0.0)
}

/// Clears `SKIP` on the first item named `var` with all of `flags`.
fn unskip(e: &mut Engine, var: &str, flags: u32) -> Result<(), ReplyError> {
    match e.find(var, flags, 0) {
        Some(i) => {
            e.items[i].flags &= !SKIP;
            Ok(())
        }
        None => Err(invalid(var)),
    }
}

pub use crate::printf::printf_number;

/// Replaces the one `%…` conversion of a command template with `arg` (`%s`) or with the
/// number `x` printed by it.
pub fn fill(template: &str, arg: &str, x: f64) -> String {
    let Some(start) = template.find('%') else {
        return template.to_owned();
    };
    let rest = &template[start + 1..];
    let len = rest
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or(rest.len(), |i| i + 1);
    let spec = &template[start..start + 1 + len];
    let text = if spec.ends_with('s') {
        arg.to_owned()
    } else {
        printf_number(spec, x)
    };
    format!("{}{}{}", &template[..start], text, &rest[len..])
}

/// C's two `strtok_r` calls on the `QFLAG` reply without its first character: the
/// enabled letters (up to the first `D`) and the disabled ones (after it).
fn split_flags(raw: &str) -> (Option<&str>, Option<&str>) {
    let s = raw.get(1..).unwrap_or("");
    let s = s.trim_start_matches('D');
    if s.is_empty() {
        return (None, None);
    }
    match s.find('D') {
        Some(i) => {
            let rest = &s[i + 1..];
            (Some(&s[..i]), (!rest.is_empty()).then_some(rest))
        }
        None => (Some(s), None),
    }
}

/// Processes the value `raw` of item `idx` (C's `preprocess` for query items). The
/// result may be empty (nothing to say).
pub fn process(e: &mut Engine, idx: usize, p: Proc, raw: &str, state: &mut DeviceState) -> R {
    let item = e.items[idx].clone();
    let var = item.var;
    let fmt = item.format;
    match p {
        Proc::Protocol => {
            let Some(rest) = raw
                .get(..2)
                .filter(|p| p.eq_ignore_ascii_case("PI"))
                .and_then(|_| raw.get(2..))
            else {
                return Err(invalid(raw));
            };
            if !rest.bytes().all(|b| b"0123489".contains(&b)) {
                tracing::error!("Protocol [{raw}] is not supported by this driver");
                return Err(invalid(raw));
            }
            let n = c_strtol(rest);
            if ![0, 1, 2, 3, 8, 9, 10, 13, 14, 31, 99].contains(&n) {
                tracing::error!("Protocol [PI{n:02}] is not supported by this driver");
                return Err(invalid(raw));
            }
            massive_unskip(e, n);
            Ok(format!("P{n:02}"))
        }
        Proc::OutputPowerfactor => {
            numeric(raw)?;
            Ok(printf_float(fmt, c_strtod(raw) * 0.01))
        }
        Proc::SerialNumb => {
            if raw.bytes().all(|b| b == b'0') {
                tracing::info!("{var}: UPS reported a non-significant serial [{raw}]");
                return Err(invalid(raw));
            }
            Ok(raw.to_owned())
        }
        Proc::BattRuntime => {
            numeric(raw)?;
            Ok(printf_float(fmt, c_strtod(raw) * 60.0))
        }
        Proc::BattNumb => {
            numeric(raw)?;
            let n = c_strtol(raw);
            if n > i64::from(i32::MAX) {
                return Err(invalid(raw));
            }
            e.private.insert("battery_number".into(), n.to_string());
            if e.params.get(var).is_some() {
                unskip(e, "battery_number", SETVAR)?;
            }
            Ok(n.to_string())
        }
        Proc::Status => status(e, &item, raw, state),
        Proc::Mode => {
            let (status, alarm) = match raw.as_bytes().first() {
                Some(b'P') => (None, Some("UPS is going ON")),
                Some(b'S') => (Some("OFF"), None),
                Some(b'Y') => (Some("BYPASS"), None),
                Some(b'L') => (Some("OL"), None),
                Some(b'B') => (Some("!OL"), None),
                Some(b'T') => (Some("CAL"), None),
                Some(b'F') => (None, Some("Fault reported by UPS.")),
                Some(b'E') => (None, Some("UPS is in ECO Mode.")),
                Some(b'C') => (None, Some("UPS is in Converter Mode.")),
                Some(b'D') => (Some("FSD"), Some("UPS is shutting down!")),
                _ => return Err(invalid(raw)),
            };
            let text = if var.eq_ignore_ascii_case("ups.alarm") {
                alarm
            } else if var.eq_ignore_ascii_case("ups.status") {
                status
            } else {
                None
            };
            Ok(text.unwrap_or("").to_owned())
        }
        Proc::Warning => warning(e, raw),
        Proc::Capability => capability(e, idx, raw, state),
        Proc::Outlet => {
            let (switchable, status) = match raw.as_bytes().first() {
                Some(b'1') => ("yes", "on"),
                Some(b'0') => ("yes", "off"),
                _ => return Err(invalid(raw)),
            };
            let value = if var.contains("switchable") {
                switchable
            } else if var.contains("status") {
                status
            } else {
                return Err(invalid(raw));
            };
            let n = var.get(7..8).unwrap_or("");
            unskip(e, &format!("outlet.{n}.delay.shutdown"), SEMI_STATIC)?;
            unskip(e, &format!("outlet.{n}.load.on"), CMD)?;
            unskip(e, &format!("outlet.{n}.load.off"), CMD)?;
            Ok(value.to_owned())
        }
        Proc::OutletDelay => {
            numeric(raw)?;
            let value = printf_float(fmt, c_strtod(raw) * 60.0);
            let n = var.get(7..8).unwrap_or("");
            unskip(e, &format!("outlet.{n}.delay.shutdown"), SETVAR)?;
            Ok(value)
        }
        Proc::EcoVolt => eco_volt(e, var, fmt, raw, state),
        Proc::EcoVoltRange => {
            let (base, i) = match var {
                "input.transfer.low.min" => ("input.transfer.low", 0),
                "input.transfer.low.max" => ("input.transfer.low", 1),
                "input.transfer.high.min" => ("input.transfer.high", 0),
                "input.transfer.high.max" => ("input.transfer.high", 1),
                _ => return Err(invalid(var)),
            };
            e.allowed_override
                .get(base)
                .and_then(|v| v.get(i))
                .filter(|v| !v.is_empty())
                .cloned()
                .ok_or_else(|| invalid(var))
        }
        Proc::EcoFreq => {
            numeric(raw)?;
            let value = printf_float(fmt, c_strtod(raw));
            unskip(e, var, SETVAR)?;
            Ok(value)
        }
        Proc::Bypass => {
            numeric(raw)?;
            let x = if var.ends_with("volt") {
                c_strtol(raw) as f64
            } else {
                c_strtod(raw)
            };
            e.private.insert(var.to_owned(), x.to_string());
            let value = printf_float(fmt, x);
            if e.params.get(var).is_some() {
                unskip(e, var, SETVAR)?;
            }
            Ok(value)
        }
        Proc::P31b | Proc::P31g => {
            let digits: &[u8] = if p == Proc::P31b { b"012" } else { b"01" };
            let b = raw.as_bytes();
            if b.first() != Some(&b'0') || !b.get(1).is_some_and(|c| digits.contains(c)) {
                return Err(invalid(raw));
            }
            let n = c_strtol(raw);
            let list = if p == Proc::P31b {
                BATT_TYPE
            } else {
                WORK_RANGE
            };
            let value = list.get(n as usize).ok_or_else(|| invalid(raw))?;
            if p == Proc::P31g {
                e.private.insert("work_range_type".into(), n.to_string());
            }
            Ok((*value).to_owned())
        }
        Proc::Phase => {
            numeric(raw)?;
            let angle = c_strtol(raw);
            if var.eq_ignore_ascii_case("output_phase_angle") {
                e.private.insert(var.to_owned(), angle.to_string());
                if e.params.get(var).is_some() {
                    unskip(e, var, SETVAR)?;
                }
            }
            if !(0..=i64::from(i32::MAX)).contains(&angle) {
                return Err(invalid(raw));
            }
            Ok(format!("{angle:03}"))
        }
        Proc::Parallel => {
            if !raw.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReplyError::NotNumeric(raw.to_owned()));
            }
            let kind = match c_strtol(raw) {
                1 => "master",
                2 | 3 => "slave",
                _ => return Err(invalid(raw)),
            };
            Ok(format!(
                "This UPS is *{kind}* in a system of UPSes in parallel"
            ))
        }
        // Setvar and command preprocessors are not used on replies.
        _ => Err(invalid(raw)),
    }
}

/// C's `voltronic_massive_unskip`: the items a protocol number brings.
fn massive_unskip(e: &mut Engine, protocol: i64) {
    let reset = e.params.is_set("reset_to_default");
    let testing = e.params.is_set("testing");
    let work_range = e.params.get("work_range_type").is_some();
    for item in &mut e.items {
        if item.command.is_empty() {
            continue;
        }
        let name = item.var.to_ascii_lowercase();
        let n = name.as_str();
        let is_setvar = item.flags & SETVAR != 0;
        let p09 = protocol == 9
            && matches!(
                n,
                "output.bypass.l1-n.voltage" | "output.bypass.l2-n.voltage"
            )
            && item.answer_len == 19;
        let p10 = protocol == 10
            && (n == "output.l3-n.voltage"
                || (n == "output.l2-l3.voltage" && item.from == 25)
                || (n == "output.l1-l3.voltage" && item.from == 31)
                || (matches!(
                    n,
                    "output.bypass.l1-n.voltage"
                        | "output.bypass.l2-n.voltage"
                        | "output.bypass.l3-n.voltage"
                ) && item.answer_len == 37)
                || matches!(
                    n,
                    "output.bypass.l1-l2.voltage"
                        | "output.bypass.l2-l3.voltage"
                        | "output.bypass.l1-l3.voltage"
                        | "output.l3.current"
                        | "output.l3.power.percent"
                ));
        let p0910 = (protocol == 9 || protocol == 10)
            && matches!(
                n,
                "output.l1-n.voltage"
                    | "output.l2-n.voltage"
                    | "output.l1-l2.voltage"
                    | "output.l1.current"
                    | "output.l2.current"
                    | "output.l1.power.percent"
                    | "output.l2.power.percent"
            );
        let p030910 = matches!(protocol, 3 | 9 | 10)
            && matches!(
                n,
                "input.l1-n.voltage"
                    | "input.l2-n.voltage"
                    | "input.l1-l2.voltage"
                    | "input.l1.current"
                    | "input.l2.current"
            );
        let p0310 = matches!(protocol, 3 | 10)
            && (n == "input.l3-n.voltage"
                || (n == "input.l2-l3.voltage" && item.from == 25)
                || (n == "input.l1-l3.voltage" && item.from == 31)
                || n == "input.l3.current");
        let p31 = protocol == 31
            && (n == "battery.type" || (n == "work_range_type" && (!is_setvar || work_range)));
        let bypass = !matches!(protocol, 0 | 8 | 31)
            && matches!(
                n,
                "max_bypass_volt" | "min_bypass_volt" | "max_bypass_freq" | "min_bypass_freq"
            )
            && !is_setvar;
        let other = (n == "reset_to_default" && reset) || (n == "unknown.7" && testing);
        if p09 || p10 || p0910 || p030910 || p0310 || p31 || bypass || other {
            item.flags &= !SKIP;
        }
    }
}

fn status(e: &mut Engine, item: &crate::qx::item::Item, raw: &str, state: &DeviceState) -> R {
    if !raw.bytes().all(|b| b == b'0' || b == b'1') {
        return Err(ReplyError::BadStatusBit(raw.to_owned()));
    }
    let first = raw.as_bytes().first().copied();
    let on = first == Some(b'1');
    let val = match item.from {
        63 => match c_strtol(raw) {
            0 => "offline",
            1 => "line-interactive",
            10 => "online",
            _ => return Err(invalid(raw)),
        },
        65 => {
            if on {
                "!OL"
            } else {
                "OL"
            }
        }
        66 => {
            if on {
                "LB"
            } else {
                "!LB"
            }
        }
        67 => {
            if !on {
                ""
            } else {
                let vi = strtod_of(state, "input.voltage");
                let vo = strtod_of(state, "output.voltage");
                if vo < 0.5 * vi {
                    return Err(invalid("output voltage too low"));
                }
                if vo < 0.95 * vi {
                    "TRIM"
                } else if vo < 1.05 * vi {
                    let prot = protocol(state);
                    if prot == 0 || prot == 8 {
                        if item.var.eq_ignore_ascii_case("ups.alarm") {
                            "UPS is in AVR Mode."
                        } else {
                            ""
                        }
                    } else if item.var.eq_ignore_ascii_case("ups.status") {
                        "BYPASS"
                    } else {
                        ""
                    }
                } else if vo < 1.5 * vi {
                    "BOOST"
                } else {
                    return Err(invalid("output voltage too high"));
                }
            }
        }
        // C 2.8.0 compares this bit with the number 1, never the character '1': the
        // fault alarm is never raised.
        68 => "",
        70 => {
            if on {
                "CAL"
            } else {
                "!CAL"
            }
        }
        71 => {
            if on {
                "FSD"
            } else {
                "!FSD"
            }
        }
        72 => {
            let zero = first == Some(b'0');
            if e.private.contains_key("alarm_control") {
                let beeper = state.value("ups.beeper.status");
                if beeper.is_none_or(|b| !b.eq_ignore_ascii_case("disabled")) {
                    if zero {
                        "enabled"
                    } else {
                        "muted"
                    }
                } else {
                    ""
                }
            } else if zero {
                "enabled"
            } else {
                "disabled"
            }
        }
        _ => return Err(invalid(raw)),
    };
    Ok(val.to_owned())
}

/// The known warnings of `QWS`, by bit (0-based).
fn warning_text(bit: usize) -> Option<&'static str> {
    const W: [&str; 58] = [
        "Battery disconnected.",
        "Neutral not connected.",
        "Site fault.",
        "Phase sequence incorrect.",
        "Phase sequence incorrect in bypass.",
        "Input frequency unstable in bypass.",
        "Battery overcharged.",
        "Low battery.",
        "Overload alarm.",
        "Fan alarm.",
        "EPO enabled.",
        "Unable to turn on UPS.",
        "Over temperature alarm.",
        "Charger alarm.",
        "Remote auto shutdown.",
        "L1 input fuse not working.",
        "L2 input fuse not working.",
        "L3 input fuse not working.",
        "Positive PFC abnormal in L1.",
        "Negative PFC abnormal in L1.",
        "Positive PFC abnormal in L2.",
        "Negative PFC abnormal in L2.",
        "Positive PFC abnormal in L3.",
        "Negative PFC abnormal in L3.",
        "Abnormal in CAN-bus communication.",
        "Abnormal in synchronous signal circuit.",
        "Abnormal in synchronous pulse signal circuit.",
        "Abnormal in host signal circuit.",
        "Male connector of parallel cable not connected well.",
        "Female connector of parallel cable not connected well.",
        "Parallel cable not connected well.",
        "Battery connection not consistent in parallel systems.",
        "AC connection not consistent in parallel systems.",
        "Bypass connection not consistent in parallel systems.",
        "UPS model types not consistent in parallel systems.",
        "Capacity of UPSes not consistent in parallel systems.",
        "Auto restart setting not consistent in parallel systems.",
        "Battery cell over charge.",
        "Battery protection setting not consistent in parallel systems.",
        "Battery detection setting not consistent in parallel systems.",
        "Bypass not allowed setting not consistent in parallel systems.",
        "Converter setting not consistent in parallel systems.",
        "High loss point for frequency in bypass mode not consistent in parallel systems.",
        "Low loss point for frequency in bypass mode not consistent in parallel systems.",
        "High loss point for voltage in bypass mode not consistent in parallel systems.",
        "Low loss point for voltage in bypass mode not consistent in parallel systems.",
        "High loss point for frequency in AC mode not consistent in parallel systems.",
        "Low loss point for frequency in AC mode not consistent in parallel systems.",
        "High loss point for voltage in AC mode not consistent in parallel systems.",
        "Low loss point for voltage in AC mode not consistent in parallel systems.",
        "Warning for locking in bypass mode after 3 consecutive overloads within 30 min.",
        "Warning for three-phase AC input current unbalance.",
        "Warning for a three-phase input current unbalance detected in battery mode.",
        "Warning for Inverter inter-current unbalance.",
        "Programmable outlets cut off pre-alarm.",
        "Warning for Battery replace.",
        "Abnormal warning on input phase angle.",
        "Warning!! Cover of maintain switch is open.",
    ];
    match bit {
        61 => Some("EEPROM operation error."),
        b => W.get(b).copied(),
    }
}

/// C's `voltronic_warning`: the `QWS` bits as one alarm text.
fn warning(e: &mut Engine, raw: &str) -> R {
    if !raw.bytes().all(|b| b == b'0' || b == b'1') {
        return Err(invalid(raw));
    }
    if raw.bytes().all(|b| b == b'0') {
        return Ok(String::new());
    }
    let mut warns = String::new();
    let mut bitwarns = String::new();
    let mut unk = String::new();
    for (i, b) in raw.bytes().enumerate() {
        if b != b'1' {
            continue;
        }
        match i {
            7 => e.bits.update("LB"),
            8 => e.bits.update("OVER"),
            55 => e.bits.update("RB"),
            _ => {}
        }
        match warning_text(i) {
            None => {
                tracing::info!(
                    "Warning from UPS: Unknown warning from UPS [bit: #{:02}]",
                    i + 1
                );
                unk.push_str(&format!(", #{:02}", i + 1));
            }
            Some(w) => {
                tracing::info!("Warning from UPS: {w}");
                if warns.is_empty() {
                    bitwarns = format!("Known (see log or manual) [bit: #{:02}", i + 1);
                    warns = w.to_owned();
                } else {
                    bitwarns.push_str(&format!(", #{:02}", i + 1));
                    warns.push(' ');
                    warns.push_str(w);
                }
            }
        }
    }
    if !warns.is_empty() {
        if !unk.is_empty() {
            warns.push_str(&format!(" Unknown warnings [bit:{}]", &unk[1..]));
            bitwarns.push_str(&format!("]; Unknown warnings [bit:{}]", &unk[1..]));
        } else {
            bitwarns.push(']');
        }
    } else {
        warns = format!("Unknown warnings [bit:{}]", &unk[1..]);
        bitwarns = warns.clone();
    }
    let body = if warns.len() < 256 - 32 {
        warns
    } else {
        bitwarns
    };
    Ok(format!("UPS warnings: {body}"))
}

/// C's `voltronic_capability`: one capability out of the `QFLAG` reply.
fn capability(e: &mut Engine, idx: usize, raw: &str, state: &mut DeviceState) -> R {
    let var = e.items[idx].var;
    let nonut = e.items[idx].flags & crate::qx::item::NONUT != 0;
    let (enabled, disabled) = split_flags(raw);
    if enabled.is_none() && disabled.is_none() {
        return Err(invalid(raw));
    }
    let (en, dis) = (enabled.unwrap_or(""), disabled.unwrap_or(""));
    let pick = |c: char, yes: &'static str, no: &'static str| {
        if en.contains(c) {
            Some(yes)
        } else if dis.contains(c) {
            Some(no)
        } else {
            None
        }
    };
    let mut val = None;
    if let Some(&(_, letter, _)) = NONUT_CAPS.iter().find(|(n, _, _)| *n == var) {
        match letter {
            'a' => {
                if raw.contains('a') {
                    if en.contains('a') {
                        val = Some("enabled");
                        if state.value("ups.beeper.status") != Some("muted") {
                            let _ = state.set("ups.beeper.status", "enabled");
                        }
                    } else if dis.contains('a') {
                        val = Some("disabled");
                        let _ = state.set("ups.beeper.status", "disabled");
                    }
                    unskip(e, "beeper.enable", CMD)?;
                    unskip(e, "beeper.disable", CMD)?;
                }
            }
            'e' => {
                if raw.contains('e') {
                    val = pick('e', "enabled", "disabled");
                    unskip(e, "bypass.start", CMD)?;
                    unskip(e, "bypass.stop", CMD)?;
                    unskip(e, "input.transfer.high", SEMI_STATIC)?;
                    unskip(e, "input.transfer.low", SEMI_STATIC)?;
                    unskip(e, "input.frequency.high", SEMI_STATIC)?;
                    unskip(e, "input.frequency.low", SEMI_STATIC)?;
                }
            }
            c => val = pick(c, "enabled", "disabled"),
        }
        if let Some(v) = val {
            e.private.insert(var.to_owned(), v.to_owned());
        }
    } else if let Some(&(_, letter)) = NUT_CAPS.iter().find(|(n, _)| *n == var) {
        val = pick(letter, "yes", "no");
        if letter == 'j' && en.contains('j') {
            for n in 1..=4 {
                unskip(e, &format!("outlet.{n}.switchable"), 0)?;
                unskip(e, &format!("outlet.{n}.status"), 0)?;
            }
        }
    }
    let Some(val) = val else {
        return Err(invalid(raw));
    };
    if nonut && e.params.get(var).is_none() {
        return Ok(val.to_owned());
    }
    unskip(e, var, SETVAR)?;
    Ok(val.to_owned())
}

fn eco_volt(e: &mut Engine, var: &'static str, fmt: &str, raw: &str, state: &DeviceState) -> R {
    numeric(raw)?;
    let value = printf_float(fmt, c_strtod(raw));
    let Some(ovn) = state.value("output.voltage.nominal") else {
        return Ok(value);
    };
    let ovn = c_strtol(ovn);
    if !(0..=i64::from(i32::MAX)).contains(&ovn) {
        return Ok(value);
    }
    let (min, max) = match protocol(state) {
        1 | 9 if ovn >= 200 => ((ovn - 24, ovn - 7), (ovn + 7, ovn + 24)),
        1 | 9 => ((ovn - 12, ovn - 3), (ovn + 3, ovn + 12)),
        2 | 3 | 10 | 13 | 14 | 99 if ovn >= 200 => ((ovn - 24, ovn - 11), (ovn + 11, ovn + 24)),
        2 | 3 | 10 | 13 | 14 | 99 => ((ovn - 12, ovn - 5), (ovn + 5, ovn + 12)),
        _ => return Ok(value),
    };
    let range = if var.eq_ignore_ascii_case("input.transfer.high") {
        Some(max)
    } else if var.eq_ignore_ascii_case("input.transfer.low") {
        Some(min)
    } else {
        None
    };
    if let Some((lo, hi)) = range {
        e.allowed_override
            .insert(var, vec![lo.to_string(), hi.to_string()]);
    }
    unskip(e, &format!("{var}.min"), SEMI_STATIC)?;
    unskip(e, &format!("{var}.max"), SEMI_STATIC)?;
    unskip(e, var, SETVAR)?;
    Ok(value)
}

/// Whether the candidate bound `value` of `var`'s allowed values applies to this device
/// (C's `info_rw` preprocess functions); values without such a function always apply.
pub fn keep_allowed(var: &str, value: &str, state: &DeviceState) -> bool {
    const G1: &[i64] = &[1, 9];
    const G2: &[i64] = &[2, 3, 10, 13, 14, 99];
    const G2N: &[i64] = &[2, 3, 10, 13, 14];
    const ALL: &[i64] = &[1, 2, 3, 9, 10, 13, 14, 99];
    let val = c_strtol(value);
    let p = protocol(state);
    let within = |g: &[i64]| g.contains(&p);
    match var {
        "battery.voltage.low" => {
            if value == "20" {
                return true;
            }
            let (Some(ovn), Some(ocn)) = (
                state.value("output.voltage.nominal"),
                state.value("output.current.nominal"),
            ) else {
                return false;
            };
            if c_strtol(ovn).saturating_mul(c_strtol(ocn)) < 1000 {
                val == 24
            } else {
                val == 28
            }
        }
        "max_bypass_volt" | "min_bypass_volt" => {
            let Some(ivn) = state.value("input.voltage.nominal") else {
                return false;
            };
            let low = c_strtol(ivn) < 200;
            let high = !low;
            if var == "max_bypass_volt" {
                match val {
                    60 => p == 9,
                    115 => low && within(G2),
                    120 => low && p == 1,
                    132 => low && p == 99,
                    138 => low && within(G2N),
                    140 => p == 9 || (low && p == 1),
                    230 => high && p == 1,
                    231 => high && within(G2),
                    261 => high && p == 99,
                    264 => high && p == 1,
                    276 => high && within(G2N),
                    _ => false,
                }
            } else {
                match val {
                    50 => low && p == 99,
                    55 | 104 => low && within(G2N),
                    60 | 140 => p == 9,
                    85 => low && (p == 1 || p == 99),
                    110 => high && within(G2N),
                    115 => low && p == 1,
                    149 => high && p == 99,
                    170 | 220 => high && p == 1,
                    209 => high && within(G2),
                    _ => false,
                }
            }
        }
        "max_bypass_freq" | "min_bypass_freq" | "input.frequency.high" | "input.frequency.low" => {
            let Some(ofn) = state.value("output.frequency.nominal") else {
                return false;
            };
            let ofn = c_strtod(ofn);
            let (f50, f60) = (ofn == 50.0, ofn == 60.0);
            let rule: Option<(bool, &[i64])> = match (var, val) {
                ("max_bypass_freq", 51) => Some((f50, ALL)),
                ("max_bypass_freq", 54) => Some((f50, G2)),
                ("max_bypass_freq", 60) => Some((f50, G1)),
                ("max_bypass_freq", 61) => Some((f60, ALL)),
                ("max_bypass_freq", 64) => Some((f60, G2)),
                ("max_bypass_freq", 70) => Some((f60, G1)),
                ("min_bypass_freq", 40) => Some((f50, G1)),
                ("min_bypass_freq", 46) => Some((f50, G2)),
                ("min_bypass_freq", 49) => Some((f50, ALL)),
                ("min_bypass_freq", 50) => Some((f60, G1)),
                ("min_bypass_freq", 56) => Some((f60, G2)),
                ("min_bypass_freq", 59) => Some((f60, ALL)),
                ("input.frequency.low", 40 | 47) => Some((f50, G1)),
                ("input.frequency.low", 46 | 48) => Some((f50, G2)),
                ("input.frequency.low", 50 | 57) => Some((f60, G1)),
                ("input.frequency.low", 56 | 58) => Some((f60, G2)),
                ("input.frequency.high", 53 | 60) => Some((f50, G1)),
                ("input.frequency.high", 52 | 54) => Some((f50, G2)),
                ("input.frequency.high", 63 | 70) => Some((f60, G1)),
                ("input.frequency.high", 62 | 64) => Some((f60, G2)),
                _ => None,
            };
            rule.is_some_and(|(nominal, g)| nominal && within(g))
        }
        _ => true,
    }
}

/// C's `voltronic_process_setvar` and the setvar preprocessors: the command that sets
/// `value` (or, for the driver-side delays, the value to keep). `None` when C refuses.
pub fn setvar_command(e: &Engine, idx: usize, p: Proc, value: &str) -> Option<String> {
    let item = &e.items[idx];
    let var = item.var;
    let index_of = |list: &[&str]| list.iter().position(|v| v.eq_ignore_ascii_case(value));
    let value = match p {
        Proc::CapabilitySet => {
            let letter = if value.eq_ignore_ascii_case("yes") {
                "E"
            } else if value.eq_ignore_ascii_case("no") {
                "D"
            } else {
                tracing::error!(
                    "{var}: given value [{value}] is not acceptable. Enter either 'yes' or 'no'."
                );
                return None;
            };
            return Some(fill(item.command, letter, 0.0));
        }
        Proc::CapabilitySetNonut => {
            let current = e.private.get(var)?;
            if value.eq_ignore_ascii_case(current) {
                tracing::info!("{var} is already {current}");
                return None;
            }
            let letter = if value.eq_ignore_ascii_case("disabled") {
                "D"
            } else if value.eq_ignore_ascii_case("enabled") {
                "E"
            } else {
                return None;
            };
            return Some(fill(item.command, letter, 0.0));
        }
        Proc::CapabilityReset => {
            if !e.params.is_set("reset_to_default") {
                return None;
            }
            if !e.bits.has("OFF") {
                tracing::error!("{var}: UPS capability options can be reset only when the UPS is in Standby Mode (i.e. ups.status = 'OFF').");
                return None;
            }
            return Some(item.command.to_owned());
        }
        Proc::OutletDelaySet => {
            let minutes = c_strtol(value) / 60;
            return Some(fill(item.command, "", minutes as f64));
        }
        Proc::P31bSet => index_of(BATT_TYPE)?.to_string(),
        Proc::P31gSet => {
            let i = index_of(WORK_RANGE)?;
            let current = e.private.get("work_range_type").map_or(0, |v| c_strtol(v));
            if i as i64 == current {
                tracing::info!("{var} is already set to {}", WORK_RANGE[i]);
                return None;
            }
            i.to_string()
        }
        Proc::PhaseSet => {
            let i = index_of(PHASES)?;
            let current = e
                .private
                .get("output_phase_angle")
                .map_or(0, |v| c_strtol(v));
            if c_strtol(PHASES[i]) == current {
                tracing::info!("{var} is already set to {}", PHASES[i]);
                return None;
            }
            // C sends the index in the list, not the angle.
            i.to_string()
        }
        Proc::Setvar => value.to_owned(),
        _ => return None,
    };
    if value.is_empty() {
        return None;
    }
    let mut val = c_strtod(&value);
    if var.eq_ignore_ascii_case("ups.delay.start") {
        val -= f64::from((val as i32) % 60);
        return Some(format!("{val:.0}"));
    }
    if var.eq_ignore_ascii_case("ups.delay.shutdown") {
        let step = if val < 60.0 { 6 } else { 60 };
        val -= f64::from((val as i32) % step);
        return Some(format!("{val:.0}"));
    }
    if matches!(
        var,
        "max_bypass_freq"
            | "min_bypass_freq"
            | "max_bypass_volt"
            | "min_bypass_volt"
            | "battery_number"
    ) {
        let current = e.private.get(var).map_or(0.0, |v| c_strtod(v));
        if (val - current).abs() < 1e-9 {
            tracing::info!("{var} is already set to {val}");
            return None;
        }
    }
    Some(fill(item.command, "", val))
}

/// C's `voltronic_process_command`: the text of a command that needs the delays or a
/// parameter. `None` when C refuses.
pub fn command_text(e: &Engine, idx: usize, param: &str, state: &DeviceState) -> Option<String> {
    let item = &e.items[idx];
    let offdelay = state.value("ups.delay.shutdown").map_or(0, c_strtol);
    let short = |off: i64| {
        if off < 60 {
            format!(".{}", off / 6)
        } else {
            format!("{:02}", off / 60)
        }
    };
    let buf = match item.var {
        "shutdown.return" => {
            let ondelay = state.value("ups.delay.start").map_or(0, c_strtol) / 60;
            if ondelay == 0 {
                short(offdelay)
            } else {
                format!("{}R{ondelay:04}", short(offdelay))
            }
        }
        "shutdown.stayoff" => short(offdelay),
        "test.battery.start" => {
            if !param.bytes().all(|b| b.is_ascii_digit()) {
                tracing::error!("{}: non numerical value [{param}]", item.var);
                return None;
            }
            let delay = if param.is_empty() {
                600
            } else {
                c_strtol(param)
            };
            if !(12..=5940).contains(&delay) {
                tracing::error!(
                    "{}: battery test time '{delay}' out of range [12..5940] seconds",
                    item.var
                );
                return None;
            }
            short(delay)
        }
        "beeper.toggle" => {
            let beeper = state.value("ups.beeper.status").unwrap_or("");
            if e.private.contains_key("alarm_control") {
                match beeper {
                    "enabled" => "OFF".to_owned(),
                    "muted" => "ON".to_owned(),
                    _ => {
                        tracing::info!("The beeper is already disabled");
                        return None;
                    }
                }
            } else {
                match beeper {
                    "enabled" => "OFF".to_owned(),
                    "disabled" => "ON".to_owned(),
                    _ => String::new(),
                }
            }
        }
        _ => return None,
    };
    Some(fill(item.command, &buf, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_like_c() {
        assert_eq!(fill("HEH%03.0f\r", "", 245.0), "HEH245\r");
        assert_eq!(fill("FREH%04.1f\r", "", 54.0), "FREH54.0\r");
        assert_eq!(fill("BATN%1.0f\r", "", 2.0), "BATN2\r");
        assert_eq!(fill("BATGN%02.0f\r", "", 4.0), "BATGN04\r");
        assert_eq!(fill("PSK1%03d\r", "", 8.0), "PSK1008\r");
        assert_eq!(fill("P%sR\r", "E", 0.0), "PER\r");
        assert_eq!(fill("S%sR0000\r", ".5", 0.0), "S.5R0000\r");
        assert_eq!(fill("CS\r", "", 0.0), "CS\r");
    }

    #[test]
    fn flags_split_like_strtok() {
        assert_eq!(
            split_flags("EpashcDbroegfl"),
            (Some("pashc"), Some("broegfl"))
        );
        assert_eq!(split_flags("Eabc"), (Some("abc"), None));
        assert_eq!(split_flags("EDabc"), (Some("abc"), None));
        assert_eq!(split_flags("EabcD"), (Some("abc"), None));
        assert_eq!(split_flags("E"), (None, None));
        assert_eq!(split_flags(""), (None, None));
    }
}
