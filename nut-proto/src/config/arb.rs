//! `arbitrary::Arbitrary` for the configuration types (feature `arbitrary`).
//!
//! The values are built so that they are exactly what the parsers produce: texts hold only
//! what the tokenizer keeps, names are unique where the parsers merge duplicates, typed keys
//! are not repeated as free-form options, numbers stay in the range C's `atoi` reads back.
//! So `parse(to_text(x)) == x` must hold for every generated `x`.

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Result, Unstructured};

use super::nut_conf::{is_shell_name, is_value_byte};
use super::ups_conf::{GLOBAL_KEYS, SECTION_KEYS};
use super::upssched_conf::{AtCommand, AtUps};
use super::*;
use crate::names::{arbitrary_name, UpsName};
use crate::secret::Secret;

/// Printable text as the tokenizer keeps it (0x20–0x7F), up to 24 bytes.
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=24)?;
    (0..len)
        .map(|_| u.int_in_range(0x20u8..=0x7f).map(char::from))
        .collect()
}

fn opt<'a, T>(
    u: &mut Unstructured<'a>,
    f: impl FnOnce(&mut Unstructured<'a>) -> Result<T>,
) -> Result<Option<T>> {
    if bool::arbitrary(u)? {
        f(u).map(Some)
    } else {
        Ok(None)
    }
}

fn vec_of<'a, T>(
    u: &mut Unstructured<'a>,
    max: usize,
    mut f: impl FnMut(&mut Unstructured<'a>) -> Result<T>,
) -> Result<Vec<T>> {
    let len = u.int_in_range(0..=max)?;
    (0..len).map(|_| f(u)).collect()
}

/// A non-negative number that C's `atoi` reads back.
fn small_u32(u: &mut Unstructured<'_>) -> Result<u32> {
    u.int_in_range(0..=i32::MAX as u32)
}

/// A free-form ups.conf key that is none of `reserved` and does not look like `[section]`.
fn option_key(u: &mut Unstructured<'_>, reserved: &[&str]) -> Result<String> {
    let mut key = arbitrary_name(u)?;
    if key.starts_with('[') && key.ends_with(']') {
        key.insert(0, 'k');
    }
    if reserved.contains(&key.as_str()) {
        key.push('_');
    }
    Ok(key)
}

fn driver_options(u: &mut Unstructured<'_>, reserved: &[&str]) -> Result<Vec<DriverOption>> {
    vec_of(u, 4, |u| {
        Ok(DriverOption {
            key: option_key(u, reserved)?,
            value: opt(u, text)?,
        })
    })
}

fn pollinterval(u: &mut Unstructured<'_>) -> Result<u32> {
    u.int_in_range(1..=i32::MAX as u32)
}

impl<'a> Arbitrary<'a> for UpsGlobal {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self {
            chroot: opt(u, text)?,
            driverpath: opt(u, text)?,
            statepath: opt(u, text)?,
            maxstartdelay: Arbitrary::arbitrary(u)?,
            maxretry: Arbitrary::arbitrary(u)?,
            retrydelay: Arbitrary::arbitrary(u)?,
            nowait: Arbitrary::arbitrary(u)?,
            pollinterval: opt(u, pollinterval)?,
            synchronous: Arbitrary::arbitrary(u)?,
            user: opt(u, text)?,
            group: opt(u, text)?,
            debug_min: opt(u, small_u32)?,
            other: driver_options(u, GLOBAL_KEYS)?,
        })
    }
}

fn ups_section(u: &mut Unstructured<'_>, name: UpsName) -> Result<UpsSection> {
    Ok(UpsSection {
        name,
        driver: opt(u, text)?,
        port: opt(u, text)?,
        desc: opt(u, text)?,
        sdorder: Arbitrary::arbitrary(u)?,
        maxstartdelay: Arbitrary::arbitrary(u)?,
        nolock: Arbitrary::arbitrary(u)?,
        ignorelb: Arbitrary::arbitrary(u)?,
        pollinterval: opt(u, pollinterval)?,
        synchronous: Arbitrary::arbitrary(u)?,
        user: opt(u, text)?,
        group: opt(u, text)?,
        debug_min: opt(u, small_u32)?,
        options: driver_options(u, SECTION_KEYS)?,
    })
}

impl<'a> Arbitrary<'a> for UpsSection {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let name = UpsName::arbitrary(u)?;
        ups_section(u, name)
    }
}

impl<'a> Arbitrary<'a> for UpsConf {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let global = UpsGlobal::arbitrary(u)?;
        let mut ups: Vec<UpsSection> = Vec::new();
        for _ in 0..u.int_in_range(0..=4)? {
            let name = UpsName::arbitrary(u)?;
            if !ups.iter().any(|s| s.name == name) {
                ups.push(ups_section(u, name)?);
            }
        }
        Ok(Self { global, ups })
    }
}

impl<'a> Arbitrary<'a> for DriverOption {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self {
            key: option_key(u, SECTION_KEYS)?,
            value: opt(u, text)?,
        })
    }
}

impl<'a> Arbitrary<'a> for Listen {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self::new(text(u)?, Arbitrary::arbitrary(u)?))
    }
}

impl<'a> Arbitrary<'a> for CertIdent {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self::new(text(u)?, Secret::arbitrary(u)?))
    }
}

impl<'a> Arbitrary<'a> for UpsdConf {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self {
            maxage: small_u32(u)?,
            trackingdelay: small_u32(u)?,
            allow_no_device: Arbitrary::arbitrary(u)?,
            allow_not_all_listeners: Arbitrary::arbitrary(u)?,
            statepath: opt(u, text)?,
            datapath: opt(u, text)?,
            listen: vec_of(u, 3, Listen::arbitrary)?,
            maxconn: opt(u, |u| small_u32(u).map(u64::from))?,
            certfile: opt(u, text)?,
            certpath: opt(u, text)?,
            certident: Arbitrary::arbitrary(u)?,
            certrequest: Arbitrary::arbitrary(u)?,
            disable_weak_ssl: Arbitrary::arbitrary(u)?,
            debug_min: opt(u, small_u32)?,
            // HTTP_LISTEN always has a port.
            http_listen: vec_of(u, 2, |u| {
                let l = Listen::arbitrary(u)?;
                let port = l.port_or_default();
                Ok(Listen::new(l.address, Some(port)))
            })?,
            mqtt: MqttConf::arbitrary(u)?,
            mdns_announce: Arbitrary::arbitrary(u)?,
        })
    }
}

/// A topic prefix as `MQTT_PREFIX` keeps it: not empty, no wildcards, no trailing `/`.
fn topic_prefix(u: &mut Unstructured<'_>) -> Result<String> {
    let prefix = text(u)?.replace(['+', '#', '/'], "-");
    Ok(if prefix.is_empty() {
        "t".to_owned()
    } else {
        prefix
    })
}

impl<'a> Arbitrary<'a> for MqttConf {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self {
            broker: opt(u, Listen::arbitrary)?,
            login: opt(u, |u| Ok((text(u)?, Secret::arbitrary(u)?)))?,
            prefix: opt(u, topic_prefix)?,
            discovery_prefix: opt(u, topic_prefix)?,
            commands: opt(u, text)?,
        })
    }
}

fn user_name(u: &mut Unstructured<'_>) -> Result<String> {
    let mut name = text(u)?.replace('=', "-");
    if name.is_empty() {
        name.push('u');
    }
    Ok(name)
}

impl<'a> Arbitrary<'a> for UpsdUser {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut instcmds: Vec<String> = Vec::new();
        for cmd in vec_of(u, 4, text)? {
            if !instcmds.iter().any(|c| c.eq_ignore_ascii_case(&cmd)) {
                instcmds.push(cmd);
            }
        }
        Ok(Self {
            name: user_name(u)?,
            password: Arbitrary::arbitrary(u)?,
            actions: vec_of(u, 4, text)?,
            instcmds,
            upsmon: Arbitrary::arbitrary(u)?,
        })
    }
}

impl<'a> Arbitrary<'a> for UpsdUsers {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut users: Vec<UpsdUser> = Vec::new();
        for _ in 0..u.int_in_range(0..=4)? {
            let user = UpsdUser::arbitrary(u)?;
            if !users.iter().any(|x| x.name == user.name) {
                users.push(user);
            }
        }
        Ok(Self { users })
    }
}

impl<'a> Arbitrary<'a> for Monitor {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self::new(
            UpsAddress::arbitrary(u)?,
            Arbitrary::arbitrary(u)?,
            text(u)?,
            Secret::arbitrary(u)?,
            Arbitrary::arbitrary(u)?,
        ))
    }
}

impl<'a> Arbitrary<'a> for CertHost {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self::new(
            text(u)?,
            text(u)?,
            Arbitrary::arbitrary(u)?,
            Arbitrary::arbitrary(u)?,
        ))
    }
}

impl<'a> Arbitrary<'a> for ShutdownExit {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=2)? {
            0 => Self::Yes,
            1 => Self::No,
            _ => Self::After(small_u32(u)?),
        })
    }
}

impl<'a> Arbitrary<'a> for UpsmonConf {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut monitors: Vec<Monitor> = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let m = Monitor::arbitrary(u)?;
            let sys = m.system.to_string();
            if !monitors.iter().any(|x| x.system.to_string() == sys) {
                monitors.push(m);
            }
        }
        let notify_flags: BTreeMap<NotifyEvent, NotifyFlags> = vec_of(u, 4, |u| {
            Ok((NotifyEvent::arbitrary(u)?, NotifyFlags::arbitrary(u)?))
        })?
        .into_iter()
        .collect();
        let notify_messages: BTreeMap<NotifyEvent, String> =
            vec_of(u, 3, |u| Ok((NotifyEvent::arbitrary(u)?, text(u)?)))?
                .into_iter()
                .collect();
        let mut thresholds: Vec<ShutdownThresholds> = Vec::new();
        for _ in 0..u.int_in_range(0..=2)? {
            let t = ShutdownThresholds::arbitrary(u)?;
            let sys = t.system.to_string();
            if !thresholds.iter().any(|x| x.system.to_string() == sys) {
                thresholds.push(t);
            }
        }
        Ok(Self {
            monitors,
            minsupplies: small_u32(u)?,
            shutdowncmd: opt(u, text)?,
            notifycmd: opt(u, text)?,
            powerdownflag: opt(u, text)?,
            pollfreq: small_u32(u)?,
            pollfreqalert: small_u32(u)?,
            hostsync: Arbitrary::arbitrary(u)?,
            deadtime: Arbitrary::arbitrary(u)?,
            rbwarntime: Arbitrary::arbitrary(u)?,
            nocommwarntime: Arbitrary::arbitrary(u)?,
            finaldelay: small_u32(u)?,
            run_as_user: opt(u, text)?,
            certpath: opt(u, text)?,
            certfile: opt(u, text)?,
            certident: Arbitrary::arbitrary(u)?,
            certhosts: vec_of(u, 2, CertHost::arbitrary)?,
            certverify: Arbitrary::arbitrary(u)?,
            forcessl: Arbitrary::arbitrary(u)?,
            debug_min: opt(u, small_u32)?,
            notify_flags,
            notify_messages,
            shutdownexit: Arbitrary::arbitrary(u)?,
            pollfail_log_throttle_max: opt(u, |u| u.int_in_range(0..=i32::MAX - 1))?,
            offduration: Arbitrary::arbitrary(u)?,
            overduration: Arbitrary::arbitrary(u)?,
            oblbduration: opt(u, small_u32)?,
            alarmcritical: Arbitrary::arbitrary(u)?,
            thresholds,
            eventlog: opt(u, text)?,
        })
    }
}

impl<'a> Arbitrary<'a> for ShutdownThresholds {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut t = Self::new(UpsAddress::arbitrary(u)?);
        t.charge = opt(u, small_u32)?;
        t.runtime = opt(u, small_u32)?;
        t.on_battery = opt(u, small_u32)?;
        if t.charge.is_none() && t.runtime.is_none() && t.on_battery.is_none() {
            // An entry without a limit is never written, so it could not come back.
            t.on_battery = Some(small_u32(u)?);
        }
        Ok(t)
    }
}

impl<'a> Arbitrary<'a> for AtUps {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let name = text(u)?;
        Ok(if name == "*" || bool::arbitrary(u)? {
            Self::Any
        } else {
            Self::Name(name)
        })
    }
}

impl<'a> Arbitrary<'a> for AtCommand {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let name = text(u)?;
        Ok(match u.int_in_range(0..=4)? {
            0 => Self::StartTimer {
                name,
                seconds: Arbitrary::arbitrary(u)?,
            },
            1 => Self::StartTimerShared {
                name,
                seconds: Arbitrary::arbitrary(u)?,
            },
            2 => Self::CancelTimer {
                name,
                command: opt(u, text)?,
            },
            3 => Self::CancelTimerMatched {
                name,
                command: opt(u, text)?,
            },
            _ => Self::Execute {
                command: if name.is_empty() {
                    "x".to_owned()
                } else {
                    name
                },
            },
        })
    }
}

impl<'a> Arbitrary<'a> for UpsschedConf {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let rules: Vec<AtRule> = vec_of(u, 4, AtRule::arbitrary)?;
        let (cmdscript, pipefn, lockfn) = if rules.is_empty() {
            (opt(u, text)?, opt(u, text)?, opt(u, text)?)
        } else {
            (Some(text(u)?), Some(text(u)?), Some(text(u)?))
        };
        Ok(Self {
            cmdscript,
            pipefn,
            lockfn,
            debug_min: Arbitrary::arbitrary(u)?,
            rules,
        })
    }
}

impl<'a> Arbitrary<'a> for HostEntry {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self::new(UpsAddress::arbitrary(u)?, text(u)?))
    }
}

impl<'a> Arbitrary<'a> for HostsConf {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self {
            monitors: vec_of(u, 4, HostEntry::arbitrary)?,
        })
    }
}

fn shell_name(u: &mut Unstructured<'_>) -> Result<String> {
    const FIRST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    const REST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz0123456789";
    let mut name = String::from(char::from(*u.choose(FIRST)?));
    for _ in 0..u.int_in_range(0..=8)? {
        name.push(char::from(*u.choose(REST)?));
    }
    debug_assert!(is_shell_name(&name));
    Ok(name)
}

impl<'a> Arbitrary<'a> for NutVar {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.int_in_range(0..=24)?;
        let mut value = String::with_capacity(len);
        for _ in 0..len {
            let b = u.int_in_range(0x09u8..=0x7e)?;
            value.push(if is_value_byte(b) { char::from(b) } else { ' ' });
        }
        Ok(Self {
            name: shell_name(u)?,
            value,
            export: Arbitrary::arbitrary(u)?,
        })
    }
}

impl<'a> Arbitrary<'a> for NutConf {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut vars: Vec<NutVar> = Vec::new();
        for _ in 0..u.int_in_range(0..=5)? {
            let var = NutVar::arbitrary(u)?;
            if !vars.iter().any(|v| v.name == var.name) {
                vars.push(var);
            }
        }
        Ok(Self { vars })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every generated configuration reads back as itself, and writes the same text again.
    #[test]
    fn generated_values_round_trip() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for round in 0..300 {
            let bytes: Vec<u8> = (0..2048)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect();
            macro_rules! check {
                ($t:ty) => {{
                    let mut u = Unstructured::new(&bytes);
                    let x = <$t>::arbitrary(&mut u).unwrap();
                    let text = x.to_text();
                    let back = <$t>::parse(text.as_bytes(), "f")
                        .unwrap_or_else(|e| panic!("round {round}: {e}\n{text}"))
                        .config;
                    assert_eq!(back, x, "round {round}:\n{text}");
                    assert_eq!(back.to_text(), text, "round {round}");
                }};
            }
            check!(UpsConf);
            check!(UpsdConf);
            check!(UpsdUsers);
            check!(UpsmonConf);
            check!(UpsschedConf);
            check!(HostsConf);
            check!(NutConf);
        }
    }
}
