//! The two outputs of C's `nut-scanner`: `ups.conf` sections (the default, `-N`) and
//! parsable lines (`-P`), byte for byte as C NUT 2.8.0 prints them.

use crate::Finding;

/// `ups.conf` sections for `findings`, named `nutdev<N>` from `*next` on (C numbers the
/// sections across all buses of one run, so the counter is the caller's).
///
/// ```
/// use nut_scan::{display, Bus, Finding};
/// let f = Finding::new(Bus::Nut, "nutclient", "ups@127.0.0.2");
/// let mut n = 1;
/// assert_eq!(
///     display::ups_conf(&[f], &mut n),
///     "[nutdev1]\n\tdriver = \"nutclient\"\n\tport = \"ups@127.0.0.2\"\n"
/// );
/// assert_eq!(n, 2);
/// ```
pub fn ups_conf(findings: &[Finding], next: &mut u32) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "[nutdev{}]\n\tdriver = \"{}\"\n\tport = \"{}\"\n",
            next, f.driver, f.port
        ));
        for (name, value) in &f.options {
            match value {
                Some(v) => out.push_str(&format!("\t{name} = \"{v}\"\n")),
                None => out.push_str(&format!("\t{name}\n")),
            }
        }
        *next += 1;
    }
    out
}

/// One parsable line per finding: `BUS:driver="…",port="…",option="…"`.
///
/// ```
/// use nut_scan::{display, Bus, Finding};
/// let f = Finding::new(Bus::Snmp, "snmp-ups", "10.0.0.9").with_option("mibs", "apcc");
/// assert_eq!(
///     display::parsable(&[f]),
///     "SNMP:driver=\"snmp-ups\",port=\"10.0.0.9\",mibs=\"apcc\"\n"
/// );
/// ```
pub fn parsable(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{}:driver=\"{}\",port=\"{}\"",
            f.bus.c_name(),
            f.driver,
            f.port
        ));
        for (name, value) in &f.options {
            match value {
                Some(v) => out.push_str(&format!(",{name}=\"{v}\"")),
                None => out.push_str(&format!(",{name}")),
            }
        }
        out.push('\n');
    }
    out
}

/// The whole output of a run: `groups` of findings (one per bus, in the order to print
/// them) as parsable lines, or as `ups.conf` sections numbered from 1 across the groups.
///
/// ```
/// use nut_scan::{display, Bus, Finding};
/// let usb = [Finding::new(Bus::Usb, "usbhid-ups", "auto")];
/// let nut = [Finding::new(Bus::Nut, "nutclient", "ups@10.0.0.2")];
/// let text = display::report(&[&usb, &[], &nut], false);
/// assert!(text.contains("[nutdev2]\n\tdriver = \"nutclient\""));
/// ```
pub fn report(groups: &[&[Finding]], parsable: bool) -> String {
    let mut next = 1;
    groups
        .iter()
        .map(|group| {
            if parsable {
                self::parsable(group)
            } else {
                ups_conf(group, &mut next)
            }
        })
        .collect()
}
