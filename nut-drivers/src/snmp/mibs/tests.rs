//! The generated tables against what the extractor counted and fingerprinted in C's memory
//! (`counts.rs`), and against facts known of C NUT 2.8.0's tables.

use std::collections::HashSet;
use std::str::FromStr;

use super::counts::{COUNTED, FLAG_BITS, OPEN_LOOKUPS, VAR_BITS};
use super::{by_name, ALL};
use crate::snmp::mib::{flag, var, Hook, Item, Lookup, Mapping};
use crate::snmp::pdu::Oid;

/// FNV-1a 64 over the canonical form that `extract.c`'s `fingerprint` hashes C's tables in.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.u64(s.len() as u64);
                self.bytes(s.as_bytes());
            }
        }
    }
}

fn hook_code(h: Option<Hook>) -> u8 {
    match h {
        None => 0,
        Some(Hook::UsDateToIso) => 1,
        Some(Hook::TemperatureRead) => 2,
        Some(Hook::EatonTemperatureUnit) => 3,
        Some(Hook::MarlinDeviceCount) => 4,
    }
}

fn fingerprint(m: &Mapping) -> u64 {
    let mut h = Fnv::new();
    h.str(Some(m.name));
    h.str(Some(m.version));
    h.str(m.power_status_oid);
    h.str(m.probe_oid);
    h.str(m.sys_oid);
    h.u64(m.items.len() as u64);
    for it in m.items {
        h.str(Some(it.name));
        h.u32(it.var_flags);
        h.u64(it.len.to_bits());
        h.str(it.oid);
        h.str(it.default);
        h.u32(it.flags);
        match it.lookup {
            None => h.u8(0),
            Some(rows) => {
                h.u8(1);
                h.u64(rows.len() as u64);
                for r in rows {
                    h.u64(r.value as u64);
                    h.str(r.text);
                    h.u8(hook_code(r.hook));
                }
            }
        }
    }
    h.u64(m.alarms.len() as u64);
    for a in m.alarms {
        h.str(a.oid);
        h.str(a.status);
        h.str(a.alarm);
    }
    h.0
}

fn distinct_lookups(m: &Mapping) -> Vec<&'static [Lookup]> {
    let mut seen: Vec<&'static [Lookup]> = Vec::new();
    for l in m.items.iter().filter_map(|it| it.lookup) {
        if !seen.iter().any(|s| std::ptr::eq(*s, l)) {
            seen.push(l);
        }
    }
    seen
}

#[test]
fn all_is_c_mib2nut_in_order() {
    assert_eq!(ALL.len(), COUNTED.len());
    for (m, c) in ALL.iter().zip(COUNTED.iter()) {
        assert_eq!(m.name, c.name, "C's {}", c.c_name);
    }
}

#[test]
fn counts_match_c() {
    for (m, c) in ALL.iter().zip(COUNTED.iter()) {
        let lookups = distinct_lookups(m);
        assert_eq!(m.items.len(), c.items, "{}: items", c.c_name);
        assert_eq!(
            m.items.iter().filter(|it| it.lookup.is_some()).count(),
            c.items_with_lookup,
            "{}: items with a lookup",
            c.c_name
        );
        assert_eq!(lookups.len(), c.lookups, "{}: lookups", c.c_name);
        assert_eq!(
            lookups.iter().map(|l| l.len()).sum::<usize>(),
            c.lookup_rows,
            "{}: lookup rows",
            c.c_name
        );
        assert_eq!(m.alarms.len(), c.alarms, "{}: alarms", c.c_name);
    }
}

#[test]
fn contents_match_c_fingerprints() {
    for (m, c) in ALL.iter().zip(COUNTED.iter()) {
        assert_eq!(
            fingerprint(m),
            c.fingerprint,
            "{}: the generated table differs from C's",
            c.c_name
        );
    }
}

#[test]
fn lookups_without_closing_row_keep_c_rows() {
    for (c_name, index, rows) in OPEN_LOOKUPS {
        let at = COUNTED.iter().position(|c| c.c_name == c_name).unwrap();
        let item = &ALL[at].items[index];
        assert_eq!(
            item.lookup.map(<[Lookup]>::len),
            Some(rows),
            "{c_name}: {}",
            item.name
        );
    }
    assert_eq!(OPEN_LOOKUPS.len(), 2);
}

#[test]
fn flag_constants_are_c_bits() {
    for (ours, c) in VAR_BITS {
        assert_eq!(ours, c);
    }
    for (ours, c) in FLAG_BITS {
        assert_eq!(ours, c);
    }
    let known = FLAG_BITS.iter().fold(0, |acc, (b, _)| acc | b);
    let known_var = VAR_BITS.iter().fold(0, |acc, (b, _)| acc | b);
    for m in ALL {
        for it in m.items {
            assert_eq!(it.flags & !known, 0, "{}: {}", m.name, it.name);
            assert_eq!(it.var_flags & !known_var, 0, "{}: {}", m.name, it.name);
        }
    }
}

/// An OID with its template indexes filled in, as the driver would send it.
fn parse_oid(s: &str) -> Result<Oid, String> {
    Oid::from_str(&s.replace("%i", "1")).map_err(|e| e.to_string())
}

#[test]
fn every_oid_parses() {
    let mut n = 0;
    for m in ALL {
        let own = [m.power_status_oid, m.probe_oid, m.sys_oid];
        let items = m.items.iter().map(|it| it.oid);
        let alarms = m.alarms.iter().map(|a| a.oid);
        for oid in own.into_iter().chain(items).chain(alarms).flatten() {
            parse_oid(oid).unwrap_or_else(|e| panic!("{}: {e}", m.name));
            n += 1;
        }
    }
    assert!(n > 1500, "only {n} OIDs");
}

#[test]
fn templates_have_an_index() {
    const TEMPLATE: u32 = flag::OUTLET | flag::OUTLET_GROUP | flag::AMBIENT_TEMPLATE | flag::DAISY;
    let mut n = 0;
    let mut alarms = 0;
    for m in ALL {
        for it in m.items.iter().filter(|it| it.flags & TEMPLATE != 0) {
            n += 1;
            if it.name.contains("%i") {
                continue;
            }
            // C's Powerware and Marlin ambient alarms: the index is in the OID only.
            assert_eq!(it.name, "ups.alarm", "{}: {}", m.name, it.name);
            assert_eq!(it.flags & TEMPLATE, flag::AMBIENT_TEMPLATE);
            assert!(
                it.oid.is_some_and(|o| o.contains("%i")),
                "{}: {}",
                m.name,
                it.name
            );
            alarms += 1;
        }
    }
    assert!(n > 100, "only {n} templates");
    // two in pw_mib (shared by `pw` and `pxgx_ups`), two in eaton_marlin_mib
    assert_eq!(alarms, 6);
}

#[test]
fn names_are_c_names() {
    let names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
    assert_eq!(
        names,
        [
            "apc_ats",
            "apc_pdu",
            "apc_pdu",
            "apc_pdu",
            "apcc",
            "baytech",
            "bestpower",
            "cpqpower",
            "cyberpower",
            "delta_ups",
            "eaton_ats16_nmc",
            "eaton_ats16_nm2",
            "eaton_ats30",
            "eaton_epdu",
            "emerson_avocent_pdu",
            "aphel_revelation",
            "aphel_genesisII",
            "pulizzi_switched1",
            "pulizzi_switched2",
            "hpe_epdu",
            "huawei",
            "mge",
            "netvision",
            "pw",
            "pxgx_ups",
            "raritan",
            "raritan-px2",
            "xppc",
            "tripplite",
            "ietf",
        ]
    );
    // Unique but for C's three `apc_pdu` mappings, which differ in their sysOID.
    let distinct: HashSet<&str> = names.iter().copied().collect();
    assert_eq!(distinct.len(), names.len() - 2);
    let pairs: HashSet<(&str, Option<&str>)> = ALL.iter().map(|m| (m.name, m.sys_oid)).collect();
    assert_eq!(pairs.len(), ALL.len());
}

#[test]
fn by_name_finds_the_first() {
    assert!(std::ptr::eq(by_name("apcc").unwrap(), &super::apc::APC));
    assert!(std::ptr::eq(by_name("ietf").unwrap(), &super::ietf::IETF));
    assert!(std::ptr::eq(
        by_name("apc_pdu").unwrap(),
        &super::apc_pdu::APC_PDU_RPDU
    ));
    assert!(std::ptr::eq(
        by_name("pw").unwrap(),
        &super::powerware::POWERWARE
    ));
    assert!(by_name("auto").is_none());
    assert!(by_name("APCC").is_none());
}

fn item<'a>(m: &'a Mapping, name: &str) -> &'a Item {
    m.items
        .iter()
        .find(|it| it.name == name)
        .unwrap_or_else(|| panic!("{}: no {name}", m.name))
}

#[test]
fn known_facts() {
    let apcc = by_name("apcc").unwrap();
    assert_eq!(
        apcc.power_status_oid,
        Some(".1.3.6.1.4.1.318.1.1.1.4.1.1.0")
    );
    let status = item(apcc, "ups.status");
    assert_eq!(status.oid, Some(".1.3.6.1.4.1.318.1.1.1.4.1.1.0"));
    assert_eq!(status.flags, flag::OK | flag::STATUS_PWR);
    assert_eq!(status.var_flags, var::STRING);
    let pwr = status.lookup.unwrap();
    assert!(pwr.iter().any(|l| l.value == 2 && l.text == Some("OL")));
    assert!(pwr.iter().any(|l| l.value == 3 && l.text == Some("OB")));

    let ietf = by_name("ietf").unwrap();
    assert_eq!(ietf.sys_oid, Some(".1.3.6.1.2.1.33"));
    // C spells these two without the leading dot
    assert_eq!(ietf.power_status_oid, Some("1.3.6.1.2.1.33.1.4.1.0"));
    assert_eq!(ietf.probe_oid, Some("1.3.6.1.2.1.33.1.1.1.0"));
    let tripplite = by_name("tripplite").unwrap();
    assert!(std::ptr::eq(tripplite.items, ietf.items));
    assert_eq!(tripplite.sys_oid, Some(".1.3.6.1.4.1.850.1"));
    assert_eq!(tripplite.power_status_oid, None);

    // The three APC PDU mappings and the two Powerware ones share their tables, as in C.
    let rpdu = &super::apc_pdu::APC_PDU_RPDU;
    assert!(std::ptr::eq(rpdu.items, super::apc_pdu::APC_PDU_MSP.items));
    assert_eq!(
        super::apc_pdu::APC_PDU_MSP.sys_oid,
        Some(".1.3.6.1.4.1.318.1.3.4.6")
    );
    let pw = by_name("pw").unwrap();
    let pxgx = by_name("pxgx_ups").unwrap();
    assert!(std::ptr::eq(pw.items, pxgx.items));
    assert!(std::ptr::eq(pw.alarms, pxgx.alarms));
    assert!(!pw.alarms.is_empty());

    // Hooks: Powerware's battery date, Marlin's device count and temperatures.
    let date = item(pw, "battery.date").lookup.unwrap();
    assert_eq!(date[0].hook, Some(Hook::UsDateToIso));
    let marlin = by_name("eaton_epdu").unwrap();
    let count = marlin
        .items
        .iter()
        .find(|it| it.name == "device.count")
        .unwrap();
    assert_eq!(count.oid, Some(".1.3.6.1.4.1.534.6.6.7.1.1.0"));
    assert_eq!(count.flags, flag::STATIC | flag::UNIQUE);
    assert_eq!(count.lookup.unwrap()[0].hook, Some(Hook::MarlinDeviceCount));
    let unit = item(marlin, "ambient.%i.temperature.unit").lookup.unwrap();
    assert_eq!(unit[0].hook, Some(Hook::EatonTemperatureUnit));
    let temp = item(marlin, "ambient.%i.temperature").lookup.unwrap();
    assert_eq!(temp[0].hook, Some(Hook::TemperatureRead));
    assert_eq!(item(marlin, "ambient.%i.temperature").len, 0.1);

    // C's spelling kept: an OID without its leading dot, a lookup without its closing row.
    let reason = item(apcc, "input.transfer.reason");
    assert_eq!(reason.oid, Some("1.3.6.1.4.1.318.1.1.1.3.2.5.0"));
    assert_eq!(reason.lookup.unwrap().len(), 10);
}
