//! The command line every driver shares (C's `drivers/main.c`), parsed the way C's
//! `getopt("+a:s:kFBDd:hx:Lqr:u:g:Vi:")` does (over [`lexopt`]): options may be bundled
//! (`-DDD`), an option's argument may be attached (`-xport=x.dev`, `-aname`) or the next
//! word, parsing stops at the first word that is not an option, and `--` ends the options.
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

/// A command line that cannot be used. The message is C's: for a bad option, what C's
/// drivers say after glibc's getopt has returned `?` (the letter is in
/// [`getopt_message`](Self::getopt_message), the line getopt prints first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// An option letter this program does not know.
    #[error("Error: unknown option -?. Try -h for help.")]
    UnknownOption(char),
    /// An option that needs an argument came last.
    #[error("Error: unknown option -?. Try -h for help.")]
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

impl CliError {
    /// The line glibc's getopt prints on stderr for a bad option, before the driver's own
    /// message: `<prog>: invalid option -- 'Z'` or `<prog>: option requires an argument --
    /// 'a'`, with `prog` the program's `argv[0]` as it was given. `None` for other errors.
    pub fn getopt_message(&self, prog: &str) -> Option<String> {
        match self {
            Self::UnknownOption(c) => Some(format!("{prog}: invalid option -- '{c}'")),
            Self::MissingArgument(c) => {
                Some(format!("{prog}: option requires an argument -- '{c}'"))
            }
            _ => None,
        }
    }
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
        use lexopt::Arg;
        let text = |s: std::ffi::OsString| s.to_string_lossy().into_owned();
        let mut parser = lexopt::Parser::from_args(args.into_iter().map(Into::<String>::into));
        // getopt keeps the `=` of `-x=value` in the argument.
        parser.set_short_equals(false);
        let mut out = Self::default();
        // lexopt reads a word of options as getopt does: `-DDF` is `-D -D -F`, an option's
        // argument is the rest of its word or else the next word (whatever it looks like,
        // `--` included), and `--` ends the options.
        loop {
            let arg = match parser.next() {
                Ok(Some(arg)) => arg,
                Ok(None) => return Ok(out),
                // Only a `--name=value` whose value was not taken: every long option is
                // answered below with its value, so none is left over.
                Err(_) => return Err(CliError::UnknownOption('-')),
            };
            match arg {
                Arg::Short(letter) if WITHOUT_ARG.contains(letter) => {
                    out.flag(letter);
                    if out.action != CliAction::Run {
                        return Ok(out);
                    }
                }
                Arg::Short(letter) if WITH_ARG.contains(letter) => {
                    let value = parser
                        .value()
                        .map_err(|_| CliError::MissingArgument(letter))?;
                    out.with_arg(letter, text(value))?;
                }
                Arg::Short(letter) => return Err(CliError::UnknownOption(letter)),
                Arg::Long(name) => {
                    // The long forms every program of the project accepts (COMPAT.md); C's
                    // drivers, and these for any other `--name` or `--name=value`, read
                    // `--name` as the short options `-`, `n`, ... of which `-` is unknown.
                    let letter = match name {
                        "help" => 'h',
                        "version" => 'V',
                        _ => '-',
                    };
                    if letter == '-' || parser.optional_value().is_some() {
                        return Err(CliError::UnknownOption('-'));
                    }
                    out.flag(letter);
                    return Ok(out);
                }
                // C's "+" getopt: the first word that is not an option ends the options, and
                // a driver takes no such words (nor any after `--`).
                Arg::Value(_) => return Err(CliError::TooManyArguments),
            }
        }
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

    fn ops(args: &[&str]) -> Vec<CliOp> {
        CliArgs::parse(args.iter().copied()).unwrap().ops
    }

    fn set(name: &str, value: Option<&str>) -> CliOp {
        CliOp::Set(name.into(), value.map(Into::into))
    }

    #[test]
    fn bundled_flags_count_and_mix() {
        let a = CliArgs::parse(["-DDD"]).unwrap();
        assert_eq!((a.debug, a.quiet), (3, 0));
        let a = CliArgs::parse(["-qDq", "-D"]).unwrap();
        assert_eq!((a.debug, a.quiet), (2, 2));
        let a = CliArgs::parse(["-kFs", "u"]).unwrap();
        assert!(a.killpower);
        assert_eq!(a.foreground, Some(true));
        assert_eq!(a.ops, [CliOp::Standalone("u".into())]);
        // The last of -F and -B counts.
        assert_eq!(CliArgs::parse(["-FB"]).unwrap().foreground, Some(false));
    }

    #[test]
    fn an_argument_is_the_rest_of_the_word_or_the_next_word() {
        assert_eq!(ops(&["-a", "name"]), [CliOp::ReadSection("name".into())]);
        assert_eq!(ops(&["-aname"]), [CliOp::ReadSection("name".into())]);
        assert_eq!(ops(&["-Daname"]), [CliOp::ReadSection("name".into())]);
        assert_eq!(ops(&["-s", "u"]), [CliOp::Standalone("u".into())]);
        assert_eq!(ops(&["-x", "key=value"]), [set("key", Some("value"))]);
        assert_eq!(ops(&["-xkey=value"]), [set("key", Some("value"))]);
        assert_eq!(ops(&["-x", "key=a=b"]), [set("key", Some("a=b"))]);
        assert_eq!(ops(&["-x", "key="]), [set("key", Some(""))]);
        assert_eq!(ops(&["-x", "flag"]), [set("flag", None)]);
        // getopt keeps an `=` right after the letter in the argument.
        assert_eq!(ops(&["-x=v"]), [set("", Some("v"))]);
        // The next word is the argument whatever it looks like, `--` included.
        assert_eq!(ops(&["-x", "-s"]), [set("-s", None)]);
        assert_eq!(ops(&["-a", "--"]), [CliOp::ReadSection("--".into())]);
        assert_eq!(ops(&["-a", "-"]), [CliOp::ReadSection("-".into())]);
        assert_eq!(
            ops(&["-i5", "-i", " 7"]),
            [CliOp::PollInterval(5), CliOp::PollInterval(7)]
        );
        // The order of -a, -s, -x and -i is kept.
        assert_eq!(
            ops(&["-x", "a=1", "-a", "u", "-xb", "-i", "2"]),
            [
                set("a", Some("1")),
                CliOp::ReadSection("u".into()),
                set("b", None),
                CliOp::PollInterval(2),
            ]
        );
        let a = CliArgs::parse(["-r/x", "-u", "nut", "-ggrp", "-d0"]).unwrap();
        assert_eq!(a.chroot.as_deref(), Some("/x"));
        assert_eq!(a.user.as_deref(), Some("nut"));
        assert_eq!(a.group.as_deref(), Some("grp"));
        // `-d 0` is no dump at all, as in C.
        assert_eq!(a.dump_after, None);
        assert_eq!(CliArgs::parse(["-d", "3"]).unwrap().dump_after, Some(3));
    }

    #[test]
    fn missing_and_bad_arguments() {
        for (args, letter) in [
            (&["-a"][..], 'a'),
            (&["-Da"][..], 'a'),
            (&["-s", "u", "-x"][..], 'x'),
            (&["-i"][..], 'i'),
            (&["-d"][..], 'd'),
            (&["-r"][..], 'r'),
            (&["-u"][..], 'u'),
            (&["-g"][..], 'g'),
        ] {
            assert_eq!(
                CliArgs::parse(args.iter().copied()),
                Err(CliError::MissingArgument(letter)),
                "{args:?}"
            );
        }
        for bad in ["0", "abc", "-1", ""] {
            assert_eq!(
                CliArgs::parse(["-i", bad]),
                Err(CliError::BadPollInterval(bad.into()))
            );
        }
        assert_eq!(
            CliArgs::parse(["-d", "x"]),
            Err(CliError::BadDumpCount("x".into()))
        );
    }

    #[test]
    fn unknown_options() {
        for (args, letter) in [
            (&["-Z"][..], 'Z'),
            (&["-DZ"][..], 'Z'),
            (&["-a", "u", "-Zh"][..], 'Z'),
            (&["-D="][..], '='),
            (&["-é"][..], 'é'),
            (&["--debug"][..], '-'),
            (&["--help=x"][..], '-'),
            (&["--version=1"][..], '-'),
            (&["--=x"][..], '-'),
        ] {
            assert_eq!(
                CliArgs::parse(args.iter().copied()),
                Err(CliError::UnknownOption(letter)),
                "{args:?}"
            );
        }
    }

    #[test]
    fn help_version_and_list_end_the_parse() {
        for (args, action) in [
            (&["-hZ"][..], CliAction::Help),
            (&["-DDDh"][..], CliAction::Help),
            (&["-s", "u", "-h", "-Z"][..], CliAction::Help),
            (&["-V", "extra"][..], CliAction::Version),
            (&["-sname", "-Lq", "-Z"][..], CliAction::ListOptions),
            (&["--help", "-Z"][..], CliAction::Help),
            (&["--version", "extra"][..], CliAction::Version),
        ] {
            assert_eq!(
                CliArgs::parse(args.iter().copied()).map(|a| a.action),
                Ok(action),
                "{args:?}"
            );
        }
    }

    #[test]
    fn bad_options_are_worded_as_glibc_and_c_word_them() {
        let unknown = CliArgs::parse(["-Z"]).unwrap_err();
        assert_eq!(
            unknown.getopt_message("/lib/nut/x").as_deref(),
            Some("/lib/nut/x: invalid option -- 'Z'")
        );
        assert_eq!(
            unknown.to_string(),
            "Error: unknown option -?. Try -h for help."
        );
        let missing = CliArgs::parse(["-a"]).unwrap_err();
        assert_eq!(
            missing.getopt_message("x").as_deref(),
            Some("x: option requires an argument -- 'a'")
        );
        assert_eq!(
            missing.to_string(),
            "Error: unknown option -?. Try -h for help."
        );
        let extra = CliArgs::parse(["extra"]).unwrap_err();
        assert_eq!(extra.getopt_message("x"), None);
        assert_eq!(
            extra.to_string(),
            "Error: too many non-option arguments. Try -h for help."
        );
    }

    #[test]
    fn words_after_the_options() {
        let none: [&str; 0] = [];
        assert_eq!(CliArgs::parse(none).unwrap(), CliArgs::default());
        assert_eq!(CliArgs::parse(["--"]).unwrap(), CliArgs::default());
        assert_eq!(ops(&["-s", "u", "--"]), [CliOp::Standalone("u".into())]);
        for args in [
            &["extra"][..],
            &["-"][..],
            &[""][..],
            &["--", "-a"][..],
            &["--", "--"][..],
            &["-s", "u", "--", "extra"][..],
            // The first word that is not an option ends the options: `-Z` is not read.
            &["-s", "u", "extra", "-Z"][..],
        ] {
            assert_eq!(
                CliArgs::parse(args.iter().copied()),
                Err(CliError::TooManyArguments),
                "{args:?}"
            );
        }
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
