//! upsset.conf: the one line that lets the `upsset.cgi` program run.
//!
//! C's upsset reads the file with the usual grammar and looks only at the first word of
//! each line: `I_HAVE_SECURED_MY_CGI_DIRECTORY` anywhere enables it. Other lines are
//! ignored (here they are reported as warnings too).
//!
//! ```
//! use nut_proto::config::UpssetConf;
//!
//! let conf = UpssetConf::parse(b"# comment\nI_HAVE_SECURED_MY_CGI_DIRECTORY\n", "upsset.conf").unwrap();
//! assert!(conf.config.secured);
//! assert!(!UpssetConf::parse(b"", "upsset.conf").unwrap().config.secured);
//! ```

use std::path::Path;

use super::common::logical_lines;
use super::error::{ConfigError, Diag, WarningKind};
use super::Parsed;

/// The word that enables upsset.
pub const UPSSET_MAGIC: &str = "I_HAVE_SECURED_MY_CGI_DIRECTORY";

/// The whole of upsset.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpssetConf {
    /// Whether a line says [`UPSSET_MAGIC`].
    pub secured: bool,
}

impl UpssetConf {
    /// Parses upsset.conf. `file` names the file in messages.
    pub fn parse(text: &[u8], file: &str) -> Result<Parsed<Self>, ConfigError> {
        let mut diag = Diag::new(file);
        let mut conf = Self::default();
        for line in logical_lines(text, &mut diag) {
            match line.words.first() {
                Some(word) if word == UPSSET_MAGIC => conf.secured = true,
                Some(word) => diag.warn(
                    line.line_no,
                    WarningKind::InvalidDirective,
                    format!("unknown line starting with {word}; upsset ignores it"),
                ),
                None => {}
            }
        }
        Ok(Parsed {
            config: conf,
            warnings: diag.sorted(),
        })
    }

    /// Reads and parses an upsset.conf file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed<Self>, ConfigError> {
        super::load_with(path.as_ref(), Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_c_discards_inside_the_magic_word_still_secure_it() {
        // C's parser drops bytes outside space..DEL (CVE-2012-2944) and so reads the word
        // whole; so do we, with a warning about the dropped bytes.
        let parsed =
            UpssetConf::parse(b"I_HAVE_SECURED_MY_\xe9\xe9CGI_DIRECTORY\n", "upsset.conf").unwrap();
        assert!(parsed.config.secured);
        assert!(!parsed.warnings.is_empty());
        let other = UpssetConf::parse(b"I_HAVE_SECURED_MY_CGI\n", "upsset.conf").unwrap();
        assert!(!other.config.secured);
    }
}
