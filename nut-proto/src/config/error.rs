//! Errors and warnings of the configuration parsers, each with its file and line.
//!
//! C NUT is lenient: for most problems in a configuration file it logs a line and goes on.
//! The parsers here do the same and return those problems as [`ConfigWarning`]s next to the
//! parsed configuration (see [`Parsed`](super::Parsed)). Only what makes the C programs exit
//! (or crash) is a [`ConfigError`].
//!
//! Messages use C NUT's wording where C prints one, so that users who search for a message
//! find the same explanations; where C is silent we wrote our own.

use std::fmt;

use crate::tokenizer::{Dropped, TokenizeError};

/// A problem that stops a configuration file from being used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: {reason}")]
    Read {
        /// The file, as given to `load`.
        file: String,
        /// Why it could not be read. Part of the message, so not also given as the error's
        /// `source()`: a chain printed in full would say it twice.
        reason: std::io::Error,
    },
    /// The file holds something the C programs refuse (or crash on).
    #[error("{file}:{line}: {message}")]
    Invalid {
        /// The file name used for messages.
        file: String,
        /// The physical line (1-based) where the offending logical line starts.
        line: usize,
        /// What kind of problem this is.
        kind: ErrorKind,
        /// The explanation.
        message: String,
    },
}

impl ConfigError {
    /// The file name used in the message.
    pub fn file(&self) -> &str {
        match self {
            Self::Read { file, .. } | Self::Invalid { file, .. } => file,
        }
    }

    /// The line of the problem, when it has one (not for read errors).
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Read { .. } => None,
            Self::Invalid { line, .. } => Some(*line),
        }
    }

    /// The kind of problem, when the file was read.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Read { .. } => None,
            Self::Invalid { kind, .. } => Some(*kind),
        }
    }
}

/// The kinds of [`ConfigError::Invalid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A setting that needs a value was given as a bare flag (C crashes on these).
    MissingValue,
    /// A name (UPS name, user name) that cannot be used.
    BadName,
    /// A value that makes the C program exit.
    BadValue,
    /// An obsolete form that C refuses (the `MONITOR` line without a user name).
    Obsolete,
    /// A directive in the wrong place (`AT` before `CMDSCRIPT`, `PIPEFN` and `LOCKFN`).
    Order,
    /// Shell syntax in nut.conf that this parser does not support.
    Unsupported,
    /// Malformed text (an unterminated quote in nut.conf).
    Syntax,
}

/// A problem C NUT reports and then goes on; the line (or setting) is ignored unless the
/// message says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
#[non_exhaustive]
pub struct ConfigWarning {
    /// The file name used for messages.
    pub file: String,
    /// The physical line (1-based) where the logical line starts.
    pub line: usize,
    /// What kind of problem this is, for programs.
    pub kind: WarningKind,
    /// The explanation, for people.
    pub message: String,
}

impl ConfigWarning {
    /// Makes a warning.
    pub fn new(
        file: impl Into<String>,
        line: usize,
        kind: WarningKind,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            kind,
            message: message.into(),
        }
    }
}

/// The kinds of [`ConfigWarning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// The tokenizer rejected the line (C: `Parse error: …`); the line is skipped.
    Syntax,
    /// The tokenizer dropped bytes or words to fit C NUT's limits (C does so silently).
    Dropped,
    /// Unknown keyword or wrong number of arguments (C: `invalid directive …`).
    InvalidDirective,
    /// Words after the ones the directive uses; C ignores them silently.
    ExtraArguments,
    /// A value C rejects; the setting keeps its previous value unless the message says so.
    BadValue,
    /// C's `atoi` read a number out of text that is not a clean number; the value C would
    /// use was kept.
    NotANumber,
    /// A setting before the first `[section]`, where it means nothing.
    OutsideSection,
    /// Something defined twice.
    Duplicate,
    /// A directive C NUT no longer supports (it says so and ignores it).
    Obsolete,
    /// A section that misses required settings (C: `ignoring incomplete configuration`).
    Incomplete,
    /// A value on which C NUT's drivers exit, although upsd and upsdrvctl accept it
    /// (an invalid `pollinterval` in ups.conf). A driver runtime should treat it as fatal.
    DriverFatal,
    /// A keyword, value or event name that C NUT does not know.
    Unknown,
}

/// Collects warnings for one file and builds errors that name it.
#[derive(Debug)]
pub(crate) struct Diag {
    pub(crate) file: String,
    pub(crate) warnings: Vec<ConfigWarning>,
    /// Whether a line of the file may hold a password (in upsd.users, upsmon.conf and
    /// ups.conf): then warnings do not repeat its words beyond the first, where C's repeat
    /// them all.
    secret: fn(&[String]) -> bool,
}

impl Diag {
    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            warnings: Vec::new(),
            secret: |_| false,
        }
    }

    /// A [`Diag`] for a file whose lines may hold passwords, as `secret` tells.
    pub(crate) fn with_secrets(file: &str, secret: fn(&[String]) -> bool) -> Self {
        Self {
            secret,
            ..Self::new(file)
        }
    }

    /// `words` as a warning may show them: all of them, or in a file with secrets the first
    /// and how many more there are.
    pub(crate) fn shown(&self, words: &[String]) -> String {
        match words.split_first() {
            Some((first, rest)) if !rest.is_empty() && (self.secret)(words) => format!(
                "{first} ({} more word(s) not shown: they may hold a password)",
                rest.len()
            ),
            _ => Joined(words).to_string(),
        }
    }

    pub(crate) fn warn(&mut self, line: usize, kind: WarningKind, message: impl Into<String>) {
        self.warnings
            .push(ConfigWarning::new(self.file.clone(), line, kind, message));
    }

    pub(crate) fn error(
        &self,
        line: usize,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.clone(),
            line,
            kind,
            message: message.into(),
        }
    }

    /// Reports a line the tokenizer rejected, as C's "Parse error" does.
    pub(crate) fn tokenize_error(&mut self, err: &TokenizeError) {
        let message = match err {
            TokenizeError::HashInQuotes { .. } => {
                "Parse error: Unbalanced word due to unescaped # in quotes".to_owned()
            }
            other => format!("Parse error: {other}"),
        };
        self.warn(err.line_no(), WarningKind::Syntax, message);
    }

    /// Reports what the tokenizer dropped from a line, if anything.
    pub(crate) fn dropped(&mut self, line: usize, dropped: &Dropped) {
        if dropped.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        if dropped.invalid_bytes > 0 {
            parts.push(format!(
                "{} byte(s) outside printable ASCII dropped",
                dropped.invalid_bytes
            ));
        }
        if dropped.truncated_words > 0 {
            parts.push(format!(
                "{} word(s) cut to {} bytes",
                dropped.truncated_words,
                crate::tokenizer::MAX_WORD_LEN
            ));
        }
        if dropped.extra_words > 0 {
            parts.push(format!(
                "{} word(s) beyond the first {} dropped",
                dropped.extra_words,
                crate::tokenizer::MAX_WORDS
            ));
        }
        self.warn(line, WarningKind::Dropped, parts.join(", "));
    }

    /// C's `invalid directive` message: the words of the line after a prefix.
    pub(crate) fn invalid_directive(&mut self, line: usize, words: &[String]) {
        self.warn(
            line,
            WarningKind::InvalidDirective,
            format!("invalid directive {}", self.shown(words)),
        );
    }

    /// Words after the `used` first ones are ignored.
    pub(crate) fn extra_arguments(&mut self, line: usize, words: &[String], used: usize) {
        if let (Some(first), Some(extra)) = (words.first(), words.get(used..)) {
            if !extra.is_empty() {
                let ignored = if (self.secret)(words) {
                    format!(
                        "{} word(s), not shown: they may hold a password",
                        extra.len()
                    )
                } else {
                    Joined(extra).to_string()
                };
                self.warn(
                    line,
                    WarningKind::ExtraArguments,
                    format!(
                        "{first}: extra argument(s) ignored: {ignored} (quote values that hold spaces)"
                    ),
                );
            }
        }
    }
}

/// Words separated by single spaces, as C prints them in its messages.
pub(crate) struct Joined<'a>(pub(crate) &'a [String]);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(word)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_and_line() {
        let mut diag = Diag::new("upsd.conf");
        diag.invalid_directive(12, &["FOO".to_owned(), "bar".to_owned()]);
        assert_eq!(
            diag.warnings[0].to_string(),
            "upsd.conf:12: invalid directive FOO bar"
        );
        let err = diag.error(3, ErrorKind::MissingValue, "driver needs a value");
        assert_eq!(err.to_string(), "upsd.conf:3: driver needs a value");
        assert_eq!(err.line(), Some(3));
        assert_eq!(err.file(), "upsd.conf");
        assert_eq!(err.kind(), Some(ErrorKind::MissingValue));
    }

    #[test]
    fn tokenizer_problems_become_warnings() {
        let mut diag = Diag::new("ups.conf");
        diag.tokenize_error(&TokenizeError::HashInQuotes { line_no: 4 });
        let dropped = Dropped {
            extra_words: 2,
            ..Dropped::default()
        };
        diag.dropped(5, &dropped);
        diag.dropped(6, &Dropped::default());
        assert_eq!(diag.warnings.len(), 2);
        assert_eq!(
            diag.warnings[0].to_string(),
            "ups.conf:4: Parse error: Unbalanced word due to unescaped # in quotes"
        );
        assert_eq!(diag.warnings[1].kind, WarningKind::Dropped);
        assert!(diag.warnings[1]
            .message
            .contains("2 word(s) beyond the first 32"));
    }
}
