//! The APC Smart protocol as a device speaks it, about the simulated [`UpsModel`].
//!
//! Commands are single characters; replies end with CR LF. `Y` enters smart mode (`SM`),
//! `Q` gives the status register in hex, the value characters (`f B L O P C F j n b ^A
//! E c` and the settings `e k l o p q r s u`) give values, `a` the protocol (command set)
//! and `^Z` the capability table of the settings; `NA` answers anything else. `-` after a
//! setting steps it to its next allowed value (`OK`); after `c` it takes 8 characters for
//! the new `ups.id`. `K` and `Z` (and `^N`) act only when sent twice in a row; `@nnn` and
//! `S` (on battery only) are the hibernation shutdowns; `D` toggles a runtime calibration,
//! `A`, `U` and `W` answer `OK`.
//!
//! Power events show up as alert characters (`!` on battery, `$` back on line, `%` low
//! battery, `+` no longer low, `#` replace battery, `?`/`=` overload). A device in smart
//! mode (after `Y`, until `R`) sends them on its own as soon as the state changes, without
//! a line end ([`alerts_due`], which a transport calls between commands); whatever
//! change was not announced that way is announced ahead of the next reply.
//!
//! The session (last command, settings, what the last alert reported) is kept at the head
//! of the byte buffer its transport holds for the device, so that the one [`UpsModel`]
//! can be spoken to in several protocols.
//!
//! ```
//! use nut_drivers::sim::{apc, UpsModel};
//! let model = UpsModel::shared();
//! let (mut pending, mut out) = (Vec::new(), Vec::new());
//! apc::feed(&model, &mut pending, b"YQ", &mut out);
//! assert_eq!(out, b"SM\r\n08\r\n");
//! model.lock().unwrap().mains_lost();
//! out.clear();
//! apc::feed(&model, &mut pending, b"Q", &mut out);
//! assert_eq!(out, b"!10\r\n");
//! ```

use super::model::{Avr, SharedModel, UpsModel};

/// The firmware revision `b` reports (its last character is the locale).
pub const FIRMWARE: &str = "654.12.I";
/// The model `^A` reports.
pub const MODEL: &str = "Smart-UPS 1000";
/// The serial number `n` reports.
pub const SERIAL: &str = "AS0123456789";
/// The command characters `a` lists.
pub const COMMANDS: &[u8] = b"\x01ABCDEFKLOPQSUWYZabcefjklnopqrsu\x0e\x1a@-";

/// The enumerated settings: command, locale, allowed values (the first is the default).
pub const SETTINGS: &[(u8, u8, &[&str])] = &[
    (b'u', b'I', &["253", "264", "271", "280"]),
    (b'l', b'I', &["196", "188", "208", "204"]),
    (b'o', b'I', &["230", "240", "220", "225"]),
    (b'e', b'4', &["00", "15", "25", "90"]),
    (b'p', b'4', &["020", "180", "300", "600"]),
    (b'q', b'4', &["02", "05", "07", "10"]),
    (b'r', b'4', &["000", "060", "180", "300"]),
    (b's', b'4', &["H", "M", "L", "A"]),
    (b'k', b'4', &["0", "T", "L", "N"]),
];

/// Another locale's list, which a driver must ignore.
const OTHER_LOCALE: (u8, u8, &[&str]) = (b'u', b'D', &["127", "130", "133", "136"]);

// The session header kept in front of the pending bytes.
const MAGIC: u8 = 0xA5;
const LAST: usize = 1;
const STATUS: usize = 2;
const COLLECT: usize = 3;
const COUNT: usize = 4;
const SMART: usize = 5;
const SET0: usize = 6;
const ID0: usize = SET0 + SETTINGS.len();
const BUF0: usize = ID0 + 8;
const HEADER: usize = BUF0 + 8;

/// The status register (`Q`) for the model's state: 0x01 calibration (a running test),
/// 0x02 trim, 0x04 boost, 0x08 on line, 0x10 on battery, 0x20 overload, 0x40 low battery,
/// 0x80 replace battery (a failed test); 0 with the output off.
pub fn status_register(m: &UpsModel) -> u8 {
    if !m.output_on {
        return 0;
    }
    let mut s = 0;
    if m.testing {
        s |= 0x01;
    }
    match m.avr() {
        Avr::Trim => s |= 0x02,
        Avr::Boost => s |= 0x04,
        Avr::Off => {}
    }
    s |= if m.mains { 0x08 } else { 0x10 };
    if m.load > 100 {
        s |= 0x20;
    }
    if m.battery_low() {
        s |= 0x40;
    }
    if m.failed {
        s |= 0x80;
    }
    s
}

/// The alert characters for a change of the status register.
pub fn alerts(old: u8, new: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let rose = |bit: u8| old & bit == 0 && new & bit != 0;
    let fell = |bit: u8| old & bit != 0 && new & bit == 0;
    if rose(0x10) {
        out.push(b'!');
    }
    if rose(0x08) && fell(0x10) {
        out.push(b'$');
    }
    if rose(0x40) {
        out.push(b'%');
    }
    if fell(0x40) {
        out.push(b'+');
    }
    if rose(0x80) {
        out.push(b'#');
    }
    if rose(0x20) {
        out.push(b'?');
    }
    if fell(0x20) {
        out.push(b'=');
    }
    out
}

/// The capability table `^Z` reports.
pub fn capabilities() -> Vec<u8> {
    let mut out = b"#".to_vec();
    for (cmd, loc, values) in SETTINGS.iter().chain([&OTHER_LOCALE]) {
        let len = values.first().map_or(0, |v| v.len());
        out.extend_from_slice(&[*cmd, *loc, b'0' + values.len() as u8, b'0' + len as u8]);
        for v in *values {
            out.extend_from_slice(v.as_bytes());
        }
    }
    out
}

fn setting(cmd: u8) -> Option<usize> {
    SETTINGS.iter().position(|s| s.0 == cmd)
}

/// The reply to a value or status command, without session state (settings at their
/// defaults), or `None` for a command this device does not answer that way.
pub fn value(m: &UpsModel, cmd: u8) -> Option<String> {
    Some(match cmd {
        b'Y' => "SM".into(),
        b'Q' => format!("{:02X}", status_register(m)),
        b'f' => format!("{:05.1}", m.charge),
        b'B' => format!("{:05.2}", m.battery_voltage()),
        b'L' => format!("{:05.1}", m.input_voltage()),
        b'O' => format!("{:05.1}", m.output_voltage()),
        b'P' => format!("{:05.1}", f64::from(m.load)),
        b'C' => format!("{:05.1}", m.temperature),
        b'F' => format!("{:05.2}", m.frequency),
        b'j' => format!("{:04}:", (m.runtime() / 60.0) as u64),
        b'E' => "336".into(),
        b'n' => SERIAL.into(),
        b'b' => FIRMWARE.into(),
        0x01 => MODEL.into(),
        b'a' => format!("3.!$%+?=#|.{}", String::from_utf8_lossy(COMMANDS)),
        b'R' => "BYE".into(),
        c => SETTINGS.iter().find(|s| s.0 == c)?.2[0].into(),
    })
}

fn init(m: &UpsModel, pending: &mut Vec<u8>) {
    if pending.len() >= HEADER && pending[0] == MAGIC {
        return;
    }
    let raw = std::mem::take(pending);
    pending.resize(HEADER, 0);
    pending[0] = MAGIC;
    pending[STATUS] = status_register(m);
    pending[ID0..ID0 + 8].copy_from_slice(b"UPS_IDEN");
    pending.extend_from_slice(&raw);
}

fn reply(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Feeds bytes the driver sent to the device: answers go to `out`. `pending` is the
/// session state the caller keeps for this device (start with an empty vector).
pub fn feed(model: &SharedModel, pending: &mut Vec<u8>, input: &[u8], out: &mut Vec<u8>) {
    let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
    feed_model(&mut m, pending, input, out);
}

/// [`feed`] on a model already at hand.
pub fn feed_model(m: &mut UpsModel, pending: &mut Vec<u8>, input: &[u8], out: &mut Vec<u8>) {
    init(m, pending);
    for &c in input {
        step(m, pending, c, out);
    }
}

/// [`feed`] for a transport that appends what it receives to `pending` (after the
/// session header, once there is one), as [`super::Protocol::feed`] does.
pub fn feed_buffer(model: &SharedModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    let input: Vec<u8> = if pending.len() >= HEADER && pending[0] == MAGIC {
        pending.drain(HEADER..).collect()
    } else {
        std::mem::take(pending)
    };
    feed(model, pending, &input, out);
}

fn step(m: &mut UpsModel, s: &mut [u8], c: u8, out: &mut Vec<u8>) {
    m.received.push(crate::apcsmart::tables::show(c));
    // Gathering the argument of `@` or of `-` after `c`.
    if s[COLLECT] != 0 {
        let n = usize::from(s[COUNT]);
        s[BUF0 + n] = c;
        s[COUNT] += 1;
        match s[COLLECT] {
            b'@' if n + 1 == 3 => {
                s[COLLECT] = 0;
                m.shutdown_in = Some(delay(s));
                m.restart_after = Some(0);
                reply(out, "OK");
            }
            b'c' if n + 1 == 8 => {
                s[COLLECT] = 0;
                let id: Vec<u8> = s[BUF0..BUF0 + 8].to_vec();
                s[ID0..ID0 + 8].copy_from_slice(&id);
                reply(out, "OK");
            }
            _ => {}
        }
        return;
    }
    let now = status_register(m);
    out.extend_from_slice(&alerts(s[STATUS], now));
    s[STATUS] = now;
    let last = std::mem::replace(&mut s[LAST], c);
    match c {
        b'-' => match last {
            b'c' => {
                s[COLLECT] = b'c';
                s[COUNT] = 0;
            }
            l => match setting(l) {
                Some(i) => {
                    s[SET0 + i] = ((usize::from(s[SET0 + i]) + 1) % SETTINGS[i].2.len()) as u8;
                    reply(out, "OK");
                }
                None => reply(out, "NO"),
            },
        },
        b'Y' => {
            s[SMART] = 1;
            reply(out, "SM");
        }
        b'R' => {
            s[SMART] = 0;
            reply(out, "BYE");
        }
        b'@' => {
            s[COLLECT] = b'@';
            s[COUNT] = 0;
        }
        // Twice in a row, or nothing happens (and nothing is said the first time).
        b'K' | b'Z' | 0x0e if last != c => {}
        b'K' => {
            s[LAST] = 0;
            m.shutdown_in = Some(delay(s));
            m.restart_after = None;
            reply(out, "OK");
        }
        b'Z' => {
            s[LAST] = 0;
            m.output_on = false;
            m.shutdown_in = None;
        }
        0x0e => {
            s[LAST] = 0;
            m.output_on = true;
        }
        b'S' if !m.mains => {
            m.shutdown_in = Some(delay(s));
            m.restart_after = Some(0);
            reply(out, "OK");
        }
        b'D' => {
            m.testing = !m.testing;
            reply(out, "OK");
        }
        b'A' | b'U' | b'W' => reply(out, "OK"),
        b'c' => {
            let id = String::from_utf8_lossy(&s[ID0..ID0 + 8]).replace('\r', "");
            reply(out, &id);
        }
        0x1a => {
            out.extend_from_slice(&capabilities());
            out.extend_from_slice(b"\r\n");
        }
        c => match setting(c) {
            Some(i) => reply(out, SETTINGS[i].2[usize::from(s[SET0 + i])]),
            None => match value(m, c) {
                Some(v) => reply(out, &v),
                None => reply(out, "NA"),
            },
        },
    }
}

/// The alert characters a device in smart mode sends on its own for what changed since
/// it last reported the status (nothing before smart mode, after `R`, or while it waits
/// for the argument of a command). `pending` is the session as for [`feed`].
pub fn alerts_due(model: &SharedModel, pending: &mut [u8], out: &mut Vec<u8>) {
    if pending.len() < HEADER || pending[0] != MAGIC {
        return;
    }
    if pending[SMART] == 0 || pending[COLLECT] != 0 {
        return;
    }
    let now = status_register(&model.lock().unwrap_or_else(|e| e.into_inner()));
    out.extend_from_slice(&alerts(pending[STATUS], now));
    pending[STATUS] = now;
}

fn delay(s: &[u8]) -> f64 {
    let i = setting(b'p').unwrap_or(0);
    SETTINGS[i].2[usize::from(s[SET0 + i])]
        .parse()
        .unwrap_or(20.0)
}

/// An opener for [`crate::apcsmart::Apcsmart::with_opener`] that ignores the port name:
/// each open is a new session with the same device.
pub fn opener(model: SharedModel) -> crate::apcsmart::PortOpener {
    Box::new(move |_port: &str| {
        Ok(
            Box::new(super::ModelPort::new(model.clone(), super::Protocol::Apc))
                as Box<dyn crate::serial::SerialPort>,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn talk(model: &SharedModel, pending: &mut Vec<u8>, input: &[u8]) -> String {
        let mut out = Vec::new();
        feed(model, pending, input, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn answers_and_alerts() {
        let model = UpsModel::shared();
        let mut p = Vec::new();
        assert_eq!(talk(&model, &mut p, b"Y"), "SM\r\n");
        assert_eq!(talk(&model, &mut p, b"fj"), "100.0\r\n0003:\r\n");
        assert_eq!(talk(&model, &mut p, b"V"), "NA\r\n");
        assert_eq!(talk(&model, &mut p, b"p-p"), "020\r\nOK\r\n180\r\n");
        assert_eq!(
            talk(&model, &mut p, b"c-ABC\r\r\r\r\rc"),
            "UPS_IDEN\r\nOK\r\nABC\r\n"
        );
        model.lock().unwrap().apply("mains-lost").unwrap();
        model.lock().unwrap().apply("low-battery").unwrap();
        assert_eq!(talk(&model, &mut p, b"Q"), "!%50\r\n");
        assert_eq!(talk(&model, &mut p, b"K"), "");
        assert_eq!(talk(&model, &mut p, b"K"), "OK\r\n");
        assert_eq!(model.lock().unwrap().shutdown_in, Some(180.0));
        assert_eq!(talk(&model, &mut p, b"@001"), "OK\r\n");
        assert_eq!(talk(&model, &mut p, b"ZZ"), "");
        assert_eq!(talk(&model, &mut p, b"Q"), "+00\r\n");
        assert!(capabilities().starts_with(b"#uI43253264271280lI43"));
    }

    #[test]
    fn alerts_come_unprompted_in_smart_mode_only() {
        let model = UpsModel::shared();
        let mut p = Vec::new();
        let due = |p: &mut Vec<u8>| {
            let mut out = Vec::new();
            alerts_due(&model, p, &mut out);
            String::from_utf8_lossy(&out).into_owned()
        };
        model.lock().unwrap().apply("mains-lost").unwrap();
        assert_eq!(due(&mut p), "", "before any command");
        assert_eq!(talk(&model, &mut p, b"Y"), "SM\r\n");
        model.lock().unwrap().apply("low-battery").unwrap();
        assert_eq!(due(&mut p), "%");
        assert_eq!(due(&mut p), "", "said once");
        assert_eq!(talk(&model, &mut p, b"Q"), "50\r\n");
        model.lock().unwrap().apply("mains-restored").unwrap();
        model.lock().unwrap().apply("charge=90").unwrap();
        assert_eq!(due(&mut p), "$+");
        // Not while an argument is awaited, nor out of smart mode.
        assert_eq!(talk(&model, &mut p, b"@0"), "");
        model.lock().unwrap().apply("load=120").unwrap();
        assert_eq!(due(&mut p), "");
        assert_eq!(talk(&model, &mut p, b"00"), "OK\r\n");
        assert_eq!(due(&mut p), "?");
        assert_eq!(talk(&model, &mut p, b"R"), "BYE\r\n");
        model.lock().unwrap().apply("load=10").unwrap();
        assert_eq!(due(&mut p), "");
        let log = model.lock().unwrap().received.join(" ");
        assert_eq!(log, "Y Q @ 0 0 0 R");
    }
}
