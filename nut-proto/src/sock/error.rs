//! Errors of the driver socket protocol: a line that is not a valid message.
//!
//! Neither side of C NUT ever answers a bad line, and neither closes the connection for it:
//!
//! * a C **driver** logs `Unknown command on socket:` followed by the words of the line (at
//!   LOG_INFO; for a malformed INSTCMD it first logs `Malformed INSTCMD request`) and goes on
//!   with the next line;
//! * C **upsd** ignores the line without a log message, and does not count it as a sign of
//!   life of the driver (only valid lines reset its staleness timer);
//! * a tokenizer error (an unescaped `#` inside quotes) is logged by both as
//!   `Parse error on sock: …`, and the rest of the bytes already read in that chunk is lost.
//!
//! The errors here carry enough to do the same: log and carry on.

use crate::names::NameError;
use crate::tokenizer::TokenizeError;

/// Why the words of one line are not a valid driver socket message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The line has no words. A C driver logs it as an unknown command; C upsd ignores it.
    #[error("empty line")]
    Empty,
    /// The first word is not a command this side understands.
    #[error("unknown command {command:?}")]
    UnknownCommand {
        /// The first word of the line, as received.
        command: String,
    },
    /// Fewer arguments than the command needs. C treats such a line as an unknown command.
    #[error("{command} needs {expected} argument(s), got {got}")]
    MissingArguments {
        /// The command keyword, in upper case.
        command: &'static str,
        /// The number of arguments the command needs at least.
        expected: usize,
        /// The number of arguments the line has.
        got: usize,
    },
    /// An argument that should be a decimal number is not one. (C reads such numbers with
    /// `atoi`, so garbage reads as `0` or as its leading digits; see each message's docs.)
    #[error("{command}: {argument} {value:?} is not a decimal number")]
    BadNumber {
        /// The command keyword, in upper case.
        command: &'static str,
        /// Which argument (`min`, `aux`, `status`, …).
        argument: &'static str,
        /// The word as received.
        value: String,
    },
    /// A name, value or tracking id that our validated types do not accept (for example a
    /// variable name with a space in it). C accepts any word here.
    #[error("{command}: {source}")]
    InvalidArgument {
        /// The command keyword, in upper case.
        command: &'static str,
        /// What is wrong with the word.
        #[source]
        source: NameError,
    },
    /// The words do not fit the command's layout (for example `INSTCMD c a b`, which C
    /// rejects as "Malformed INSTCMD request").
    #[error("malformed {command}: {reason}")]
    Malformed {
        /// The command keyword, in upper case.
        command: &'static str,
        /// What does not fit.
        reason: &'static str,
    },
}

/// Why one line of a driver socket stream could not be turned into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The tokenizer rejected the line (unescaped `#` inside quotes, or a line longer than
    /// the hard limit). The line was skipped.
    #[error(transparent)]
    Tokenize(#[from] TokenizeError),
    /// The line tokenized but is not a valid message.
    #[error("line {line_no}: {error}")]
    Parse {
        /// The line (1-based, counted from the start of the stream) on which it started.
        line_no: usize,
        /// What is wrong with it.
        #[source]
        error: ParseError,
    },
}

impl DecodeError {
    /// The line (1-based, counted from the start of the stream) on which the bad line started.
    pub fn line_no(&self) -> usize {
        match self {
            Self::Tokenize(e) => e.line_no(),
            Self::Parse { line_no, .. } => *line_no,
        }
    }

    /// The message-level error, if the line tokenized.
    pub fn parse_error(&self) -> Option<&ParseError> {
        match self {
            Self::Tokenize(_) => None,
            Self::Parse { error, .. } => Some(error),
        }
    }
}
