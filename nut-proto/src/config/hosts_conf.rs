//! hosts.conf: the UPSes the CGI programs (upsstats, upsset, upsimage) may show.
//!
//! Only `MONITOR ups@host "description"` lines mean anything. C's CGI programs skip every
//! other line without a word; here such lines are reported as warnings (and skipped).
//!
//! ```
//! use nut_proto::config::HostsConf;
//!
//! let text = b"MONITOR myups@localhost \"Local UPS\"\nMONITOR su2200@10.64.1.1 \"Finance department\"\n";
//! let hosts = HostsConf::parse(text, "hosts.conf").unwrap().config;
//! assert_eq!(hosts.monitors[1].system.host(), Some("10.64.1.1"));
//! assert_eq!(hosts.description_of("myups@localhost"), Some("Local UPS"));
//! ```

use std::path::Path;

use std::fmt::Write as _;

use super::common::{logical_lines, word};
use super::error::{ConfigError, Diag, WarningKind};
use super::{Parsed, UpsAddress};
use crate::tokenizer::quote;

/// The whole of hosts.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostsConf {
    /// The `MONITOR` lines, in order.
    pub monitors: Vec<HostEntry>,
}

/// `MONITOR system "description"`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostEntry {
    /// The UPS and its server.
    pub system: UpsAddress,
    /// The text shown for it.
    pub description: String,
}

impl HostEntry {
    /// An entry.
    pub fn new(system: UpsAddress, description: impl Into<String>) -> Self {
        Self {
            system,
            description: description.into(),
        }
    }
}

impl HostsConf {
    /// Parses hosts.conf. `file` names the file in messages.
    pub fn parse(text: &[u8], file: &str) -> Result<Parsed<Self>, ConfigError> {
        let mut diag = Diag::new(file);
        let mut conf = Self::default();
        for line in logical_lines(text, &mut diag) {
            let n = line.line_no;
            let words = &line.words;
            let [keyword, sys, desc, ..] = words.as_slice() else {
                diag.warn(
                    n,
                    WarningKind::InvalidDirective,
                    format!(
                        "invalid directive {} (expected MONITOR ups@host \"description\"); C NUT skips it silently",
                        super::error::Joined(words)
                    ),
                );
                continue;
            };
            if keyword != "MONITOR" {
                diag.warn(
                    n,
                    WarningKind::InvalidDirective,
                    format!(
                        "invalid directive {}; C NUT skips it silently",
                        super::error::Joined(words)
                    ),
                );
                continue;
            }
            match sys.parse::<UpsAddress>() {
                Ok(system) => {
                    diag.extra_arguments(n, words, 3);
                    conf.monitors.push(HostEntry::new(system, desc.clone()));
                }
                Err(e) => diag.warn(
                    n,
                    WarningKind::BadValue,
                    format!("unable to split UPS name [{sys}]: {e}; line ignored"),
                ),
            }
        }
        Ok(Parsed {
            config: conf,
            warnings: diag.sorted(),
        })
    }

    /// Reads and parses a hosts.conf file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed<Self>, ConfigError> {
        super::load_with(path.as_ref(), Self::parse)
    }

    /// The description of the first entry written exactly as `system` (C's CGI `checkhost`
    /// compares the text byte for byte); `None` means the CGI must refuse the host.
    pub fn description_of(&self, system: &str) -> Option<&str> {
        self.monitors
            .iter()
            .find(|m| m.system.to_string() == system)
            .map(|m| m.description.as_str())
    }

    /// Writes the configuration as hosts.conf text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for m in &self.monitors {
            // The description is always quoted, as the sample file and the man page show it.
            let _ = writeln!(
                out,
                "MONITOR {} {}",
                word(&m.system.to_string()),
                quote(&m.description)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_warn() {
        let p = HostsConf::parse(
            b"# hosts\nMONITOR a@h \"A\"\nMONITOR b@h\nFOO x y\nMONITOR c@ \"C\"\nMONITOR d \"D\" extra\n",
            "hosts.conf",
        )
        .unwrap();
        let msgs: Vec<_> = p.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "hosts.conf:3: invalid directive MONITOR b@h (expected MONITOR ups@host \"description\"); C NUT skips it silently",
                "hosts.conf:4: invalid directive FOO x y; C NUT skips it silently",
                "hosts.conf:5: unable to split UPS name [c@]: no host name after '@'; line ignored",
                "hosts.conf:6: MONITOR: extra argument(s) ignored: extra (quote values that hold spaces)",
            ]
        );
        assert_eq!(p.config.monitors.len(), 2);
        assert_eq!(p.config.description_of("d"), Some("D"));
        assert_eq!(p.config.description_of("D"), None);
    }

    #[test]
    fn round_trip() {
        let conf = HostsConf {
            monitors: vec![
                HostEntry::new("ups@host:3493".parse().unwrap(), "Main \"UPS\" #1"),
                HostEntry::new("other".parse().unwrap(), ""),
            ],
        };
        let text = conf.to_text();
        assert_eq!(
            text,
            "MONITOR ups@host:3493 \"Main \\\"UPS\\\" \\#1\"\nMONITOR other \"\"\n"
        );
        let back = HostsConf::parse(text.as_bytes(), "hosts.conf").unwrap();
        assert!(back.warnings.is_empty());
        assert_eq!(back.config, conf);
    }
}
