//! The command line every driver shares (C's `drivers/main.c`), parsed the way C's
//! `getopt("+a:s:kFBDd:hx:Lqr:u:g:Vi:")` does: options may be bundled (`-DDD`), an option's
//! argument may be attached (`-xport=x.dev`) or the next word, parsing stops at the first
//! word that is not an option, and `--` ends the options.
//!
//! The order of `-a`, `-x` and `-i` matters as in C: `-a` reads the ups.conf section at the
//! point where it appears, so a `-x` after it overrides the file and a `-x` before it is
//! overridden. [`CliArgs::ops`] keeps that order; [`crate::config`] applies it.
//!
//! ```
//! use nut_driver_api::cli::{CliAction, CliArgs, CliOp};
//!
//! let args = CliArgs::parse(["-a", "myups", "-DD", "-x", "mode=dummy-loop", "-F"]).unwrap();
//! assert_eq!(args.action, CliAction::Run);
//! assert_eq!(args.debug, 2);
//! assert_eq!(args.foreground, Some(true));
//! assert_eq!(args.ops[0], CliOp::ReadSection("myups".into()));
//! assert_eq!(args.ops[1], CliOp::Set("mode".into(), Some("dummy-loop".into())));
//! assert!(CliArgs::parse(["-a"]).is_err());
//! ```

use std::fmt::Write as _;

use crate::driver::{DriverInfo, OptionKind, OptionSpec};

/// Where C NUT reads its configuration when `$NUT_CONFPATH` is not set.
pub const DEFAULT_CONFPATH: &str = nut_proto::paths::CONFPATH;
/// Where drivers put their sockets when `$NUT_STATEPATH` is not set (Debian's STATEPATH).
pub const DEFAULT_STATEPATH: &str = nut_proto::paths::STATEPATH;
/// The user drivers switch to when started as root and no user is configured.
pub const DEFAULT_USER: &str = nut_proto::paths::USER;
/// The version of nut-rs, published as `driver.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One step of the configuration, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CliOp {
    /// `-a <ups>`: read this section of ups.conf here.
    ReadSection(String),
    /// `-s <ups>`: run without ups.conf under this name.
    Standalone(String),
    /// `-x name=value` (`Some`) or `-x name` (`None`).
    Set(String, Option<String>),
    /// `-i <seconds>`.
    PollInterval(u32),
}

/// What the command line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CliAction {
    /// Run the driver.
    Run,
    /// `-h`: print the help and exit.
    Help,
    /// `-V`: print the banner and exit.
    Version,
    /// `-L`: print the driver's options in a parseable list and exit.
    ListOptions,
}

/// The parsed command line of a driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CliArgs {
    /// What to do.
    pub action: CliAction,
    /// `-a`, `-s`, `-x`, `-i` in the order given.
    pub ops: Vec<CliOp>,
    /// How many times `-D` was given.
    pub debug: u8,
    /// How many times `-q` was given.
    pub quiet: u8,
    /// `-d <n>`: dump the state to stdout after `n` updates and exit.
    pub dump_after: Option<u32>,
    /// `-F` (`Some(true)`) or `-B` (`Some(false)`): stay in the foreground or go to the
    /// background; `None` for C's default (background unless `-D` or `-d`).
    pub foreground: Option<bool>,
    /// `-k`: tell the device to cut the power and exit.
    pub killpower: bool,
    /// `-r <dir>`: chroot directory.
    pub chroot: Option<String>,
    /// `-u <user>`.
    pub user: Option<String>,
    /// `-g <group>`.
    pub group: Option<String>,
}

/// A command line that cannot be used. The message is C's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// An option letter this program does not know.
    #[error("Error: unknown option -{0}. Try -h for help.")]
    UnknownOption(char),
    /// An option that needs an argument came last.
    #[error("Error: option -{0} requires an argument. Try -h for help.")]
    MissingArgument(char),
    /// Words after the options.
    #[error("Error: too many non-option arguments. Try -h for help.")]
    TooManyArguments,
    /// `-i` with something that is not a number above 0.
    #[error("Error: command-line: invalid pollinterval: {0}")]
    BadPollInterval(String),
    /// `-d` with something that is not a number.
    #[error("Error: command-line: invalid dump count: {0}")]
    BadDumpCount(String),
}

impl Default for CliArgs {
    fn default() -> Self {
        Self {
            action: CliAction::Run,
            ops: Vec::new(),
            debug: 0,
            quiet: 0,
            dump_after: None,
            foreground: None,
            killpower: false,
            chroot: None,
            user: None,
            group: None,
        }
    }
}

/// Option letters that take an argument.
const WITH_ARG: &str = "asdxrugi";
/// Option letters without one.
const WITHOUT_ARG: &str = "kFBDhLqV";

impl CliArgs {
    /// Parses the arguments after the program name.
    pub fn parse<I, S>(args: I) -> Result<Self, CliError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        let mut out = Self::default();
        let mut i = 0;
        while i < args.len() {
            let word = &args[i];
            i += 1;
            if word == "--" {
                break;
            }
            // The long forms every program of the project accepts (COMPAT.md): C's drivers
            // would call them unknown options.
            match word.as_str() {
                "--help" => out.flag('h'),
                "--version" => out.flag('V'),
                _ => {}
            }
            if out.action != CliAction::Run {
                return Ok(out);
            }
            let Some(letters) = word.strip_prefix('-').filter(|l| !l.is_empty()) else {
                // C's "+" getopt: the first non-option ends the options.
                i -= 1;
                break;
            };
            for (pos, letter) in letters.char_indices() {
                if WITHOUT_ARG.contains(letter) {
                    out.flag(letter);
                    if out.action != CliAction::Run {
                        return Ok(out);
                    }
                    continue;
                }
                if !WITH_ARG.contains(letter) {
                    return Err(CliError::UnknownOption(letter));
                }
                let rest = &letters[pos + letter.len_utf8()..];
                let value = if !rest.is_empty() {
                    rest.to_owned()
                } else if i < args.len() {
                    i += 1;
                    args[i - 1].clone()
                } else {
                    return Err(CliError::MissingArgument(letter));
                };
                out.with_arg(letter, value)?;
                break;
            }
        }
        if i < args.len() {
            return Err(CliError::TooManyArguments);
        }
        Ok(out)
    }

    fn flag(&mut self, letter: char) {
        match letter {
            'k' => self.killpower = true,
            'F' => self.foreground = Some(true),
            'B' => self.foreground = Some(false),
            'D' => self.debug = self.debug.saturating_add(1),
            'q' => self.quiet = self.quiet.saturating_add(1),
            'h' => self.action = CliAction::Help,
            'L' => self.action = CliAction::ListOptions,
            _ => self.action = CliAction::Version,
        }
    }

    fn with_arg(&mut self, letter: char, value: String) -> Result<(), CliError> {
        match letter {
            'a' => self.ops.push(CliOp::ReadSection(value)),
            's' => self.ops.push(CliOp::Standalone(value)),
            'x' => {
                let op = match value.split_once('=') {
                    Some((k, v)) => CliOp::Set(k.to_owned(), Some(v.to_owned())),
                    None => CliOp::Set(value, None),
                };
                self.ops.push(op);
            }
            'i' => match value.trim().parse::<u32>() {
                Ok(n) if n > 0 => self.ops.push(CliOp::PollInterval(n)),
                _ => return Err(CliError::BadPollInterval(value)),
            },
            'd' => match value.trim().parse::<u32>() {
                Ok(n) => self.dump_after = (n > 0).then_some(n),
                Err(_) => return Err(CliError::BadDumpCount(value)),
            },
            'r' => self.chroot = Some(value),
            'u' => self.user = Some(value),
            _ => self.group = Some(value),
        }
        Ok(())
    }

    /// Whether the driver stays in the foreground: `-F`, or `-D`/`-d` without `-B`.
    pub fn stays_in_foreground(&self) -> bool {
        self.foreground
            .unwrap_or(self.debug > 0 || self.dump_after.is_some())
    }
}

/// The first line every driver prints: `Network UPS Tools - <description> <version> (<nut-rs
/// version>)`.
pub fn banner(info: &DriverInfo) -> String {
    format!(
        "Network UPS Tools - {} {} ({})",
        info.description, info.version, VERSION
    )
}

/// The text `-h` prints: the common options, then the driver's own.
pub fn help_text(info: &DriverInfo, options: &[OptionSpec]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nusage: {} (-a <id>|-s <id>) [OPTIONS]", info.name);
    let lines: [(&str, &str); 21] = [
        ("-a <id>", "read the settings of section <id> of ups.conf"),
        ("", "(a -x after -a overrides the file)"),
        ("-s <id>", "run as <id> without ups.conf;"),
        ("", "give every setting with -x (at least port)"),
        ("-V", "print the version and exit"),
        ("-L", "list the driver's settings in a parseable form"),
        (
            "-D",
            "more debugging output (repeatable; stays in the foreground)",
        ),
        (
            "-d <count>",
            "print the state after <count> updates and exit",
        ),
        ("-F", "stay in the foreground"),
        ("-B", "go to the background even when debugging"),
        ("-q", "less logging (repeatable)"),
        ("-h", "print this help and exit"),
        ("-k", "tell the device to cut the power, then exit"),
        ("-i <int>", "seconds between two updates (pollinterval)"),
        ("-r <dir>", "chroot to <dir>"),
        ("-u <user>", "run as <user> when started as root"),
        ("-g <group>", "give <group> access to the socket"),
        ("-x <var>=<val>", "set driver setting <var> to <val>"),
        ("", "e.g. -x cable=940-0095B"),
        ("-x <flag>", "set driver flag <flag>"),
        ("", ""),
    ];
    for (flag, text) in lines {
        if flag.is_empty() && text.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  {flag:<14} - {text}");
    }
    if !options.is_empty() {
        let _ = writeln!(
            out,
            "\nAcceptable values for -x or ups.conf in this driver:\n"
        );
        for opt in options {
            let mut desc = opt.help.clone();
            if let Some(default) = &opt.default {
                let _ = write!(desc, " (default: {default})");
            }
            match opt.kind {
                OptionKind::Value => {
                    let _ = writeln!(out, "{desc:>40} : -x {}=<value>", opt.name);
                }
                OptionKind::Flag => {
                    let _ = writeln!(out, "{desc:>40} : -x {}", opt.name);
                }
            }
        }
    }
    out
}

/// The text `-L` prints: `VALUE name "help"` or `FLAG name "help"` per option, as C does.
pub fn list_options(options: &[OptionSpec]) -> String {
    let mut out = String::new();
    for opt in options {
        let kind = match opt.kind {
            OptionKind::Value => "VALUE",
            OptionKind::Flag => "FLAG",
        };
        let _ = writeln!(out, "{kind} {} \"{}\"", opt.name, opt.help);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_help_and_version() {
        assert_eq!(
            CliArgs::parse(["-a", "u", "--help"]).unwrap().action,
            CliAction::Help
        );
        assert_eq!(
            CliArgs::parse(["--version"]).unwrap().action,
            CliAction::Version
        );
        assert_eq!(
            CliArgs::parse(["--debug"]),
            Err(CliError::UnknownOption('-'))
        );
    }

    #[test]
    fn getopt_rules() {
        let a = CliArgs::parse(["-DDFk", "-xport=/dev/x", "-x", "flag", "-i5", "-d", "1"]).unwrap();
        assert_eq!(a.debug, 2);
        assert!(a.killpower);
        assert_eq!(a.dump_after, Some(1));
        assert_eq!(
            a.ops,
            [
                CliOp::Set("port".into(), Some("/dev/x".into())),
                CliOp::Set("flag".into(), None),
                CliOp::PollInterval(5),
            ]
        );
        assert!(a.stays_in_foreground());
        assert_eq!(
            CliArgs::parse(["-s", "u", "extra"]),
            Err(CliError::TooManyArguments)
        );
        assert_eq!(CliArgs::parse(["-Z"]), Err(CliError::UnknownOption('Z')));
        assert_eq!(CliArgs::parse(["-x"]), Err(CliError::MissingArgument('x')));
        assert!(matches!(
            CliArgs::parse(["-i", "0"]),
            Err(CliError::BadPollInterval(_))
        ));
        assert_eq!(
            CliArgs::parse(["-h", "-Z"]).unwrap().action,
            CliAction::Help
        );
        assert_eq!(CliArgs::parse(["-V"]).unwrap().action, CliAction::Version);
        let b = CliArgs::parse(["-s", "u", "-B", "-D"]).unwrap();
        assert!(!b.stays_in_foreground());
        assert!(!CliArgs::parse(["-s", "u"]).unwrap().stays_in_foreground());
        assert_eq!(
            CliArgs::parse(["-u", "nut", "-g", "grp", "-r", "/x", "--", "-a"]).unwrap_err(),
            CliError::TooManyArguments
        );
    }

    #[test]
    fn help_lists_the_driver_options() {
        let info = DriverInfo::new("dummy-ups", "Simulation", "1.0");
        let opts = [
            OptionSpec::value("mode", "Mode"),
            OptionSpec::flag("quick", "Be quick"),
        ];
        let help = help_text(&info, &opts);
        assert!(help.contains("usage: dummy-ups (-a <id>|-s <id>) [OPTIONS]"));
        assert!(help.contains("Mode : -x mode=<value>\n"));
        assert!(help.contains("Be quick : -x quick\n"));
        assert_eq!(
            list_options(&opts),
            "VALUE mode \"Mode\"\nFLAG quick \"Be quick\"\n"
        );
        assert!(banner(&info).starts_with("Network UPS Tools - Simulation 1.0 ("));
    }
}
