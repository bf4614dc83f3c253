//! The `cmdvartab` file: human-readable descriptions of variables and instant commands.
//!
//! upsd answers `GET DESC` and `GET CMDDESC` from this file, which NUT installs in its data
//! directory (`/usr/share/nut` on Debian). It is read at run time and never bundled: when it
//! is missing, every description reads [`DESCRIPTION_UNAVAILABLE`].
//!
//! The format, as C upsd reads it: lines of words split by the usual tokenizer;
//! `VARDESC <name> "<text>"` and `CMDDESC <name> "<text>"` (keywords case-sensitive) define
//! descriptions; lines with fewer than three words and lines with other keywords are ignored
//! silently; extra words are ignored; a line the tokenizer rejects is reported and skipped.
//! When a name is defined twice the **last** text wins. Look-ups ignore ASCII case.
//!
//! Parsing is sans-IO ([`Cmdvartab::parse`]); [`Cmdvartab::load`] is the one function that
//! reads a file, and [`data_dir`] finds the directory.
//!
//! ```
//! use nut_proto::cmdvartab::{Cmdvartab, DESCRIPTION_UNAVAILABLE};
//!
//! let text = b"# sample\nVARDESC ups.status \"Current state\"\nCMDDESC load.off \"Cut the output\"\n";
//! let (table, errors) = Cmdvartab::parse(text);
//! assert!(errors.is_empty());
//! assert_eq!(table.var_desc("UPS.STATUS"), Some("Current state"));
//! assert_eq!(table.cmd_desc_or_default("nope"), DESCRIPTION_UNAVAILABLE);
//! ```

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use crate::tokenizer::{file_lines, TokenizeError};

/// What upsd answers for a variable or command without a description.
pub const DESCRIPTION_UNAVAILABLE: &str = "Description unavailable";

/// The file name inside the data directory.
pub const FILE_NAME: &str = "cmdvartab";

/// The environment variable that overrides the data directory.
pub const DATAPATH_ENV: &str = "NUT_DATAPATH";

/// The data directory when nothing else is configured (Debian's).
pub const DEFAULT_DATA_DIR: &str = "/usr/share/nut";

/// A line of a cmdvartab file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}: {}", .file.as_deref().unwrap_or(FILE_NAME), .line_no, .source)]
#[non_exhaustive]
pub struct LineError {
    /// The file's path, when the text came from a file.
    pub file: Option<String>,
    /// The line (1-based) on which the bad line started.
    pub line_no: usize,
    /// What the tokenizer rejected.
    #[source]
    pub source: TokenizeError,
}

/// Loading a cmdvartab file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read (C upsd then logs "not found - disabling descriptions").
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl LoadError {
    /// Whether the file does not exist (a normal case: the file is optional).
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::Io { source, .. } => source.kind() == io::ErrorKind::NotFound,
        }
    }
}

/// The descriptions read from a cmdvartab file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cmdvartab {
    vars: HashMap<String, String>,
    cmds: HashMap<String, String>,
}

impl Cmdvartab {
    /// An empty table: every look-up misses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the text of a cmdvartab file. Returns the table and the lines that could not
    /// be read (those are skipped; everything else still counts, as in C).
    pub fn parse(text: &[u8]) -> (Self, Vec<LineError>) {
        Self::parse_named(text, None)
    }

    fn parse_named(text: &[u8], file: Option<&str>) -> (Self, Vec<LineError>) {
        let mut table = Self::new();
        let mut errors = Vec::new();
        for line in file_lines(text) {
            let line = match line {
                Ok(line) => line,
                Err(source) => {
                    errors.push(LineError {
                        file: file.map(str::to_owned),
                        line_no: source.line_no(),
                        source,
                    });
                    continue;
                }
            };
            let [keyword, name, desc, ..] = line.words.as_slice() else {
                continue;
            };
            let map = match keyword.as_str() {
                "VARDESC" => &mut table.vars,
                "CMDDESC" => &mut table.cmds,
                _ => continue,
            };
            map.insert(name.to_ascii_lowercase(), desc.clone());
        }
        (table, errors)
    }

    /// Reads and parses the file at `path`: the only function here that does I/O.
    pub fn load(path: &Path) -> Result<(Self, Vec<LineError>), LoadError> {
        let text = std::fs::read(path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let name = path.display().to_string();
        Ok(Self::parse_named(&text, Some(&name)))
    }

    /// Adds or replaces the description of a variable.
    pub fn set_var_desc(&mut self, name: &str, desc: &str) {
        self.vars.insert(name.to_ascii_lowercase(), desc.to_owned());
    }

    /// Adds or replaces the description of a command.
    pub fn set_cmd_desc(&mut self, name: &str, desc: &str) {
        self.cmds.insert(name.to_ascii_lowercase(), desc.to_owned());
    }

    /// The description of variable `name` (ignoring case), if any.
    pub fn var_desc(&self, name: &str) -> Option<&str> {
        self.vars
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The description of command `name` (ignoring case), if any.
    pub fn cmd_desc(&self, name: &str) -> Option<&str> {
        self.cmds
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// What `GET DESC` answers: the description or [`DESCRIPTION_UNAVAILABLE`].
    pub fn var_desc_or_default(&self, name: &str) -> &str {
        self.var_desc(name).unwrap_or(DESCRIPTION_UNAVAILABLE)
    }

    /// What `GET CMDDESC` answers: the description or [`DESCRIPTION_UNAVAILABLE`].
    pub fn cmd_desc_or_default(&self, name: &str) -> &str {
        self.cmd_desc(name).unwrap_or(DESCRIPTION_UNAVAILABLE)
    }

    /// The number of variable descriptions.
    pub fn var_count(&self) -> usize {
        self.vars.len()
    }

    /// The number of command descriptions.
    pub fn cmd_count(&self) -> usize {
        self.cmds.len()
    }

    /// Whether the table holds no description at all.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty() && self.cmds.is_empty()
    }
}

/// The data directory to read `cmdvartab` from: `$NUT_DATAPATH` if set and not empty (pass
/// its value as `env`), else the `DATAPATH` of upsd.conf if given, else
/// [`DEFAULT_DATA_DIR`].
///
/// The environment variable wins over the file, like `$NUT_STATEPATH` over `STATEPATH` (C
/// upsd 2.8.0 has no such variable; it only knows `DATAPATH`). Pure: the caller reads the
/// environment, e.g. `data_dir(std::env::var_os(DATAPATH_ENV).as_deref(), conf_datapath)`.
pub fn data_dir(env: Option<&OsStr>, conf_datapath: Option<&Path>) -> PathBuf {
    match (env, conf_datapath) {
        (Some(env), _) if !env.is_empty() => PathBuf::from(env),
        (_, Some(conf)) => conf.to_owned(),
        _ => PathBuf::from(DEFAULT_DATA_DIR),
    }
}

/// The path of `cmdvartab` inside `data_dir`.
pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_definition_wins_and_lookups_ignore_case() {
        let text = b"VARDESC ups.id \"first\"\nvardesc ups.id \"lower-case keyword\"\nVARDESC UPS.ID \"second\"\n";
        let (table, errors) = Cmdvartab::parse(text);
        assert!(errors.is_empty());
        assert_eq!(table.var_desc("ups.id"), Some("second"));
        assert_eq!(table.var_count(), 1);
        assert_eq!(table.cmd_count(), 0);
    }

    #[test]
    fn short_unknown_and_bad_lines() {
        let text = b"# comment\n\nVARDESC only.two\nFOO a \"b\"\nCMDDESC load.off \"Turn off\" extra words\nVARDESC x \"bad # in quotes\"\nCMDDESC \"load.on\" \"Turn on\" # trailing comment\nVARDESC multi \"line \\\n continued\"\n";
        let (table, errors) = Cmdvartab::parse(text);
        assert_eq!(table.cmd_desc("LOAD.OFF"), Some("Turn off"));
        assert_eq!(table.cmd_desc("load.on"), Some("Turn on"));
        assert_eq!(table.var_desc("only.two"), None);
        assert_eq!(table.var_desc("x"), None);
        assert_eq!(table.var_desc("multi"), Some("line  continued"));
        assert_eq!(table.var_desc("a"), None);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line_no, 6);
        assert_eq!(
            errors[0].to_string(),
            "cmdvartab:6: unbalanced word due to unescaped # in quotes (line 6)"
        );
    }

    #[test]
    fn defaults() {
        let mut table = Cmdvartab::new();
        assert!(table.is_empty());
        assert_eq!(table.var_desc_or_default("x"), DESCRIPTION_UNAVAILABLE);
        table.set_var_desc("X", "ex");
        table.set_cmd_desc("c", "see");
        assert_eq!(table.var_desc_or_default("x"), "ex");
        assert_eq!(table.cmd_desc_or_default("C"), "see");
    }

    #[test]
    fn data_dir_precedence() {
        let conf = Path::new("/etc/nut-data");
        assert_eq!(
            data_dir(Some(OsStr::new("/env")), Some(conf)),
            Path::new("/env")
        );
        assert_eq!(data_dir(Some(OsStr::new("")), Some(conf)), conf);
        assert_eq!(data_dir(None, None), Path::new(DEFAULT_DATA_DIR));
        assert_eq!(
            file_path(Path::new("/usr/share/nut")),
            Path::new("/usr/share/nut/cmdvartab")
        );
    }

    #[test]
    fn missing_file_is_not_found() {
        let err = Cmdvartab::load(Path::new("/nonexistent/nut-rs/cmdvartab")).unwrap_err();
        assert!(err.is_not_found());
        assert!(err
            .to_string()
            .starts_with("cannot read /nonexistent/nut-rs/cmdvartab"));
    }
}
