//! C's words for an operating-system error, as NUT's programs print them.

use std::io;

/// What C's `strerror(errno)` says for `e` (`No such file or directory`): the C library's
/// text without Rust's ` (os error N)` suffix. An error that did not come from the system
/// is shown as it is.
pub fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match (e.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(end)) => text[..end].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_words() {
        assert_eq!(
            strerror(&io::Error::from_raw_os_error(2)),
            "No such file or directory"
        );
        assert_eq!(
            strerror(&io::Error::from_raw_os_error(111)),
            "Connection refused"
        );
        assert_eq!(strerror(&io::Error::other("custom")), "custom");
    }
}
