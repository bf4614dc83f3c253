//! A Mecer device: the Megatec `Q1`, `F` and `I` queries; control commands answered with
//! `(ACK`, anything else with `(NAK`. With the setting `mecer.p98` (any value) in
//! [`UpsModel::settings`] it is a Voltronic Power P98 unit: `QPI` answers `(PI98` and
//! battery tests of tenths of a minute (`T.2`) are accepted; otherwise `QPI` is refused.

use super::model::UpsModel;
use super::q1::{control, ident_line, ratings_line, status_line};

const ACK: &str = "(ACK\r";
const NAK: &str = "(NAK\r";

/// The device's answer to one command (without its `\r`).
pub fn respond(m: &mut UpsModel, cmd: &str) -> Option<Vec<u8>> {
    let p98 = m.settings.contains_key("mecer.p98");
    let reply = match cmd {
        "Q1" => status_line(m),
        "F" => ratings_line(m),
        "I" => ident_line(m),
        "QPI" if p98 => "(PI98\r".to_owned(),
        _ if p98 && cmd.len() == 3 && cmd.starts_with("T.") => {
            if cmd.as_bytes()[2].is_ascii_digit() {
                m.testing = true;
                ACK.to_owned()
            } else {
                NAK.to_owned()
            }
        }
        _ if control(m, cmd) => ACK.to_owned(),
        _ => NAK.to_owned(),
    };
    Some(reply.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_and_naks() {
        let mut m = UpsModel::new();
        let r = |m: &mut UpsModel, c: &str| String::from_utf8(respond(m, c).unwrap()).unwrap();
        assert_eq!(r(&mut m, "QPI"), NAK);
        assert_eq!(r(&mut m, "Q"), ACK);
        assert!(!m.beeper);
        assert_eq!(r(&mut m, "T.2"), NAK);
        m.settings.insert("mecer.p98".into(), String::new());
        assert_eq!(r(&mut m, "QPI"), "(PI98\r");
        assert_eq!(r(&mut m, "T.2"), ACK);
        assert_eq!(r(&mut m, "M"), NAK);
        assert!(r(&mut m, "Q1").starts_with('('));
    }
}
