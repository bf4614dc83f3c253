//! A Voltronic-QS device: `M` answers `V` (the protocol), `QS` gives the Megatec status line
//! and `F` the ratings; the Megatec control commands are carried out silently; anything
//! else is echoed.

use super::model::UpsModel;
use super::q1::{control, ratings_line, status_line};

/// The device's answer to one command (without its `\r`); `None`: silence.
pub fn respond(m: &mut UpsModel, cmd: &str) -> Option<Vec<u8>> {
    let reply = match cmd {
        "M" => "V\r".to_owned(),
        "QS" => status_line(m),
        "F" => ratings_line(m),
        _ if control(m, cmd) => return None,
        _ => format!("{cmd}\r"),
    };
    Some(reply.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaks_qs() {
        let mut m = UpsModel::new();
        assert_eq!(respond(&mut m, "M"), Some(b"V\r".to_vec()));
        assert!(respond(&mut m, "QS").unwrap().starts_with(b"(230.0"));
        assert_eq!(respond(&mut m, "T"), None);
        assert!(m.testing);
        assert_eq!(respond(&mut m, "Q1"), Some(b"Q1\r".to_vec()));
    }
}
