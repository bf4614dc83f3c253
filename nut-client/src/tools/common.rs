//! What the client tools share with each other, all matching C NUT 2.8.0 byte for byte: a
//! POSIX `getopt` (over lexopt) with glibc's messages, `upscli_splitname` / `upscli_splitaddr`, the
//! `upscli_strerror` texts, and the standard streams the tools write to.

use std::io::{self, BufRead, Write};

use crate::proto::net::ErrorCode;
use std::time::Duration;

use crate::{Client, ClientConfig, Error, TlsConfig, TlsMode};

/// The NUT release whose tools these reproduce (printed in banners and `-V`).
pub const NUT_VERSION: &str = "2.8.0";

/// The default port (`PORT` in C).
pub const DEFAULT_PORT: u16 = crate::proto::paths::PORT;

/// The standard streams of a tool run, so tests can capture them.
pub struct Stdio<'a> {
    /// Standard input (prompts read from it).
    pub input: &'a mut dyn BufRead,
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
}

impl Stdio<'_> {
    /// Writes `text` and a line feed to stderr (C's `fatalx` and `fprintf(stderr, …)`).
    pub fn eprintln(&mut self, text: &str) {
        let _ = writeln!(self.err, "{text}");
        let _ = self.err.flush();
    }

    /// Writes `text` to stdout.
    pub fn print(&mut self, text: &str) {
        let _ = self.out.write_all(text.as_bytes());
    }
}

/// Runs `tool` with the process's real standard streams and returns its exit code.
pub fn with_process_stdio<T, F: FnOnce(&mut Stdio<'_>) -> T>(tool: F) -> T {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut out = io::BufWriter::new(io::stdout());
    let mut err = io::stderr();
    let code = {
        let mut stdio = Stdio {
            input: &mut input,
            out: &mut out,
            err: &mut err,
        };
        tool(&mut stdio)
    };
    let _ = out.flush();
    code
}

/// The program name as C's `xbasename(argv[0])`.
pub fn prog_name(argv0: Option<&String>, default: &str) -> String {
    argv0
        .and_then(|a| a.rsplit('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or(default)
        .to_owned()
}

/// One result of [`Getopt::next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opt {
    /// A known option, with its argument if it takes one.
    Flag(char, Option<String>),
    /// An unknown option or a missing argument; the message was already printed, as glibc's
    /// getopt does (C's tools then fall into their `default:` case).
    Bad,
}

/// glibc `getopt` with a `+` spec (stop at the first operand) and no long options, over
/// [`lexopt`] (which reads options as getopt does: `-lc` is `-l -c`, an
/// option's argument is the rest of its word or the next word, whatever it looks like, and
/// `--` ends the options); the messages for a bad option are glibc's.
#[derive(Debug)]
pub struct Getopt<'a> {
    parser: lexopt::Parser,
    spec: &'a str,
    prog: String,
    /// The operands, once the options are over.
    operands: Option<Vec<String>>,
    /// The rest of a word of short options that lexopt did not read (a `--name`).
    pending: Option<String>,
}

impl<'a> Getopt<'a> {
    /// A parser over `args` (without the program name) for the short options in `spec`
    /// (`"hlu:"`: a colon marks an option with an argument).
    pub fn new(args: &[String], spec: &'a str, prog: &str) -> Self {
        let mut parser = lexopt::Parser::from_args(args.iter().cloned());
        // getopt keeps the `=` of `-u=name` in the argument.
        parser.set_short_equals(false);
        Self {
            parser,
            spec,
            prog: prog.to_owned(),
            operands: None,
            pending: None,
        }
    }

    /// The arguments after the options (once [`next`](Self::next) has returned `None`).
    pub fn operands(&self) -> &[String] {
        self.operands.as_deref().unwrap_or_default()
    }

    fn takes_arg(&self, c: char) -> Option<bool> {
        let mut chars = self.spec.chars().peekable();
        while let Some(s) = chars.next() {
            let has_arg = chars.peek() == Some(&':');
            if has_arg {
                chars.next();
            }
            if s == c && s != ':' {
                return Some(has_arg);
            }
        }
        None
    }

    /// The next option, printing glibc's message to `err` for a bad one; `None` at the
    /// first operand or after `--`.
    pub fn next(&mut self, err: &mut dyn Write) -> Option<Opt> {
        use lexopt::Arg;
        if self.operands.is_some() {
            return None;
        }
        if let Some(rest) = self.pending.take() {
            return self.short_in_word(&rest, err);
        }
        let text = |s: std::ffi::OsString| s.to_string_lossy().into_owned();
        let arg = match self.parser.next() {
            Ok(Some(arg)) => arg,
            // The end (a word that is not Unicode cannot come from `&[String]`).
            Ok(None) | Err(_) => {
                self.operands = Some(Vec::new());
                return None;
            }
        };
        match arg {
            Arg::Value(first) => {
                // The first operand ends the options (`+`): the rest are operands as they are.
                let mut operands = vec![text(first)];
                if let Ok(rest) = self.parser.raw_args() {
                    operands.extend(rest.map(text));
                }
                self.operands = Some(operands);
                None
            }
            Arg::Long(name) => {
                // C's tools know no long options: getopt reads `--name` as the short options
                // `-`, `n`, `a`, ... (the first of them unknown).
                let mut word = format!("-{name}");
                if let Some(value) = self.parser.optional_value() {
                    word.push('=');
                    word.push_str(&text(value));
                }
                self.short_in_word(&word, err)
            }
            Arg::Short(c) => Some(self.short(c, String::new(), err)),
        }
    }

    /// Option `c` of a word of short options that lexopt did not read (a `--name`), with
    /// `rest` the characters after it.
    fn short_in_word(&mut self, word: &str, err: &mut dyn Write) -> Option<Opt> {
        let c = word.chars().next()?;
        Some(self.short(c, word[c.len_utf8()..].to_owned(), err))
    }

    /// Option `c`, with `rest` what follows it in its word when lexopt did not read that
    /// word (else empty: lexopt knows the rest).
    fn short(&mut self, c: char, rest: String, err: &mut dyn Write) -> Opt {
        let text = |s: std::ffi::OsString| s.to_string_lossy().into_owned();
        let opt = match self.takes_arg(c) {
            None => {
                let _ = writeln!(err, "{}: invalid option -- '{c}'", self.prog);
                Opt::Bad
            }
            Some(false) => Opt::Flag(c, None),
            Some(true) if !rest.is_empty() => return Opt::Flag(c, Some(rest)),
            Some(true) => match self.parser.value() {
                Ok(value) => return Opt::Flag(c, Some(text(value))),
                Err(_) => {
                    let _ = writeln!(err, "{}: option requires an argument -- '{c}'", self.prog);
                    return Opt::Bad;
                }
            },
        };
        if !rest.is_empty() {
            self.pending = Some(rest);
        }
        opt
    }
}

pub use crate::c_text::{c_atoi, c_strtol, strerror};

/// The ERR code C upsd would send for a name that is not valid on the wire.
pub fn server_code(e: &Error) -> Option<ErrorCode> {
    e.c_code()
}

/// What C's `upscli_strerror` says for an error.
pub fn c_strerror(e: &Error) -> String {
    e.c_message()
}

/// The parts of `upsname[@host[:port]]`, as C's `upscli_splitname` reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsTarget {
    /// The UPS name (not validated: the server decides).
    pub ups: String,
    /// The host.
    pub host: String,
    /// The port.
    pub port: u16,
}

/// C's `upscli_splitname`: the messages it prints go to `err`; `None` on failure.
pub fn split_name(arg: Option<&str>, err: &mut dyn Write) -> Option<UpsTarget> {
    let arg = arg?;
    if arg.is_empty() {
        let _ = writeln!(err, "upscli_splitname: can't parse empty string");
        return None;
    }
    // strtok skips leading '@'s: the name is the first run of non-'@' characters.
    let trimmed = arg.trim_start_matches('@');
    let ups = trimmed.split('@').next().unwrap_or_default().to_owned();
    match arg.find('@') {
        None => Some(UpsTarget {
            ups,
            host: "localhost".into(),
            port: DEFAULT_PORT,
        }),
        Some(at) => {
            let (host, port) = split_addr(&arg[at + 1..], err)?;
            Some(UpsTarget { ups, host, port })
        }
    }
}

/// C's `upscli_splitaddr`: `host[:port]` or `[v6]:port`.
pub fn split_addr(arg: &str, err: &mut dyn Write) -> Option<(String, u16)> {
    if arg.is_empty() {
        let _ = writeln!(err, "upscli_splitaddr: can't parse empty string");
        return None;
    }
    let (host, rest) = if let Some(inner) = arg.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            let _ = writeln!(
                err,
                "upscli_splitaddr: missing closing bracket in [domain literal]"
            );
            return None;
        };
        let host = &inner[..close];
        let after = &inner[close + 1..];
        match after.strip_prefix(':') {
            // strtok_r(NULL, "\0") takes the rest; the port must follow ':'.
            Some(port) if !after.is_empty() => (host, Some(port)),
            _ => (host, None),
        }
    } else {
        let trimmed = arg.trim_start_matches(':');
        let host = trimmed.split(':').next().unwrap_or_default();
        match arg.find(':') {
            Some(colon) => (host, Some(&arg[colon + 1..])),
            None => (host, None),
        }
    };
    let port = match rest {
        None => DEFAULT_PORT,
        Some(p) => {
            let l = c_strtol(p);
            if p.is_empty() || !(1..=65535).contains(&l) {
                let _ = writeln!(
                    err,
                    "upscli_splitaddr: no port specified after ':' separator"
                );
                return None;
            }
            l as u16
        }
    };
    Some((host.to_owned(), port))
}

/// Whether the TCP connection was made before `e` happened (C's upsc prints its NSS
/// start-up line only then).
pub fn connected_before(e: &Error) -> bool {
    !matches!(
        e,
        Error::Resolve { .. } | Error::Connect { .. } | Error::ConnectTimeout { .. }
    )
}

/// Debian's C clients are built with NSS: a client that tries STARTTLS initialises NSS
/// without a certificate database and says so on stderr, once connected.
pub const NSS_INIT_NOTICE: &str = "Init SSL without certificate database";

/// Reads one line from `input` as C's `fgets` into a buffer of `size` bytes: the line
/// with its line feed (if it fits), or `None` at end of input.
pub fn read_line(input: &mut dyn BufRead, size: usize) -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() + 1 < size {
        match input.read(&mut byte) {
            Ok(1) => {
                line.push(byte[0]);
                if byte[0] == b'\n' {
                    break;
                }
            }
            _ => break,
        }
    }
    if line.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

/// The name of the user running the program (`getpwuid(getuid())`).
pub fn current_user() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
}

/// Connects to `target` as C's clients do: no connect timeout to speak of, C's
/// five-second wait for each reply line, STARTTLS tried (without certificate checks, as
/// Debian's clients do without a certificate database) when `try_tls` is set.
pub async fn connect(target: &UpsTarget, try_tls: bool) -> Result<Client, Error> {
    let mut builder = ClientConfig::builder(target.host.as_str())
        .port(target.port)
        .connect_timeout(Duration::from_secs(120))
        .read_timeout(Duration::from_secs(READ_TIMEOUT_SECS));
    if try_tls {
        builder = builder
            .tls(TlsConfig::insecure())
            .tls_mode(TlsMode::Opportunistic);
    }
    Client::connect(builder.build()).await
}

/// upscmd's and upsrw's first operand, connected to ([`connect_operand`]); without one,
/// `usage` is printed and the exit code is 0, as C's.
pub async fn connect_first_operand(
    getopt: &Getopt<'_>,
    usage: &str,
    io: &mut Stdio<'_>,
) -> Result<(UpsTarget, Client), i32> {
    let Some(operand) = getopt.operands().first() else {
        io.print(usage);
        return Err(0);
    };
    connect_operand(Some(operand), io).await
}

/// What upscmd and upsrw do with their UPS operand: split it as C does and connect to it
/// (no STARTTLS), printing C's message and giving the exit code 1 when either fails.
pub async fn connect_operand(
    operand: Option<&str>,
    io: &mut Stdio<'_>,
) -> Result<(UpsTarget, Client), i32> {
    let Some(target) = split_name(operand, io.err) else {
        io.eprintln("Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]");
        return Err(1);
    };
    match connect(&target, false).await {
        Ok(client) => Ok((target, client)),
        Err(e) => {
            io.eprintln(&format!("Error: {}", c_strerror(&e)));
            Err(1)
        }
    }
}

/// C's `DEFAULT_NETWORK_TIMEOUT`, seconds.
pub const READ_TIMEOUT_SECS: u64 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn getopt_like_glibc() {
        let a = args(&["-lc", "-uadmin", "-p", "pw", "-x", "ups", "-l"]);
        let mut err = Vec::new();
        let mut g = Getopt::new(&a, "lcu:p:", "upsc");
        let mut seen = Vec::new();
        while let Some(opt) = g.next(&mut err) {
            seen.push(opt);
        }
        assert_eq!(
            seen,
            [
                Opt::Flag('l', None),
                Opt::Flag('c', None),
                Opt::Flag('u', Some("admin".into())),
                Opt::Flag('p', Some("pw".into())),
                Opt::Bad,
            ]
        );
        assert_eq!(g.operands(), ["ups", "-l"]);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "upsc: invalid option -- 'x'\n"
        );

        let a = args(&["-u"]);
        let mut err = Vec::new();
        let mut g = Getopt::new(&a, "u:", "upscmd");
        assert_eq!(g.next(&mut err), Some(Opt::Bad));
        assert_eq!(g.next(&mut err), None);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "upscmd: option requires an argument -- 'u'\n"
        );

        // getopt keeps `=`, takes the next word whatever it is, and stops at `--`.
        let a = args(&["-u=x", "-lu", "--", "-p", "-", "--", "-l"]);
        let mut err = Vec::new();
        let mut g = Getopt::new(&a, "lu:p:", "upsrw");
        let seen: Vec<Opt> = std::iter::from_fn(|| g.next(&mut err)).collect();
        assert_eq!(
            seen,
            [
                Opt::Flag('u', Some("=x".into())),
                Opt::Flag('l', None),
                Opt::Flag('u', Some("--".into())),
                Opt::Flag('p', Some("-".into())),
            ]
        );
        assert_eq!(g.operands(), ["-l"]);
        assert!(err.is_empty());

        // No long options: `--name` is the short options `-`, `n`, `a`, ... as in C.
        let a = args(&["--lu=x", "--ul", "--", "-"]);
        let mut err = Vec::new();
        let mut g = Getopt::new(&a, "lu:", "upsc");
        let seen: Vec<Opt> = std::iter::from_fn(|| g.next(&mut err)).collect();
        assert_eq!(
            seen,
            [
                Opt::Bad,
                Opt::Flag('l', None),
                Opt::Flag('u', Some("=x".into())),
                Opt::Bad,
                Opt::Flag('u', Some("l".into())),
            ]
        );
        assert_eq!(g.operands(), ["-"]);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "upsc: invalid option -- '-'\nupsc: invalid option -- '-'\n"
        );
    }

    #[test]
    fn splitname_like_c() {
        let mut err = Vec::new();
        let t = split_name(Some("ups@host:34930:"), &mut err).unwrap();
        assert_eq!(
            (t.ups.as_str(), t.host.as_str(), t.port),
            ("ups", "host", 34930)
        );
        let t = split_name(Some("@host"), &mut err).unwrap();
        assert_eq!((t.ups.as_str(), t.host.as_str()), ("host", "host"));
        let t = split_name(Some("u@[::1]:99"), &mut err).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 99));
        let t = split_name(Some("u"), &mut err).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("localhost", 3493));
        assert!(err.is_empty());
        assert!(split_name(Some("u@"), &mut err).is_none());
        assert!(split_name(Some("u@[::1"), &mut err).is_none());
        assert!(split_name(Some("u@h:0"), &mut err).is_none());
        assert!(split_name(None, &mut err).is_none());
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "upscli_splitaddr: can't parse empty string\n\
             upscli_splitaddr: missing closing bracket in [domain literal]\n\
             upscli_splitaddr: no port specified after ':' separator\n"
        );
    }

    #[test]
    fn c_numbers() {
        assert_eq!(c_strtol("  42abc"), 42);
        assert_eq!(c_strtol("-7"), -7);
        assert_eq!(c_strtol("x"), 0);
        assert_eq!(c_atoi("99999999999"), 99999999999i64 as i32);
    }
}
