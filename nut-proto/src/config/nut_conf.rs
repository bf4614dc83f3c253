//! nut.conf: which parts of NUT the init scripts start. A shell file (`NAME=value` lines)
//! that scripts source and service managers read as an environment file.
//!
//! C NUT never parses this file itself, so there is no C parser to follow; this one reads the
//! subset of shell that such files use and refuses, with a clear error, whatever a shell would
//! interpret in a way this parser cannot (expansions, commands, redirections):
//!
//! * `NAME=value`, several per line if wished, optionally after `export`; `export NAME`;
//! * values bare, in `'single quotes'` (literal), or in `"double quotes"` (where `\"`, `\\`,
//!   `\$`, `` \` `` and backslash-newline are escapes), or several of those joined
//!   (`a"b c"'d'`); a backslash outside quotes makes the next character literal;
//! * `#` comments at the start of a word; blank lines.
//!
//! Refused: `$` and `` ` `` (expansions) outside single quotes, `;` `&` `|` `<` `>` `(` `)`,
//! a leading `~`, spaces around `=` (`MODE = none` would run a command `MODE`), any other
//! command, and unterminated quotes. Bytes outside printable ASCII are dropped with a
//! warning, as newer C NUT scripts do; so is the CR of a CR LF line ending.
//!
//! ```
//! use nut_proto::config::{NutConf, NutMode};
//!
//! let conf = NutConf::parse(b"MODE=netserver\nUPSD_OPTIONS='-D'\n", "nut.conf").unwrap().config;
//! assert_eq!(conf.mode(), Some(NutMode::Netserver));
//! assert_eq!(conf.get("UPSD_OPTIONS"), Some("-D"));
//! let err = NutConf::parse(b"MODE = none\n", "nut.conf").unwrap_err();
//! assert!(err.to_string().starts_with("nut.conf:1: "));
//! ```

use std::path::Path;

use super::common::c_parse_boolean;
use super::error::{ConfigError, Diag, ErrorKind, WarningKind};
use super::Parsed;

/// The settings documented for nut.conf (C NUT 2.8.0 documents the first five; later
/// versions the rest).
pub const KNOWN_NAMES: &[&str] = &[
    "MODE",
    "UPSD_OPTIONS",
    "UPSMON_OPTIONS",
    "POWEROFF_WAIT",
    "POWEROFF_QUIET",
    "ALLOW_NO_DEVICE",
    "ALLOW_NOT_ALL_LISTENERS",
    "NUT_DEBUG_LEVEL",
    "NUT_DEBUG_PID",
    "NUT_DEBUG_PROCNAME",
    "NUT_DEBUG_SYSLOG",
    "NUT_IGNORE_CHECKPROCNAME",
    "NUT_QUIET_INIT_UPSNOTIFY",
];

/// The whole of nut.conf: its variables, each once, in the order first assigned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NutConf {
    /// The variables. Names are unique; a later assignment replaces the value.
    pub vars: Vec<NutVar>,
}

/// One shell variable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NutVar {
    /// Its name: a letter or `_`, then letters, digits and `_`.
    pub name: String,
    /// Its value (printable ASCII, tabs and newlines).
    pub value: String,
    /// Whether the file exports it.
    pub export: bool,
}

/// The `MODE` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum NutMode {
    /// `none`: start nothing.
    None,
    /// `standalone`: driver, upsd and upsmon for this machine only.
    Standalone,
    /// `netserver`: like standalone, serving other machines too.
    Netserver,
    /// `netclient`: only upsmon, watching another machine's upsd.
    Netclient,
}

impl NutMode {
    /// The value in nut.conf.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Standalone => "standalone",
            Self::Netserver => "netserver",
            Self::Netclient => "netclient",
        }
    }

    /// Parses the value (case-sensitive, as the init scripts compare it).
    pub fn from_value(s: &str) -> Option<Self> {
        [
            Self::None,
            Self::Standalone,
            Self::Netserver,
            Self::Netclient,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// Whether `s` is a shell variable name.
#[cfg_attr(not(feature = "arbitrary"), allow(dead_code))]
pub(crate) fn is_shell_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `c` may appear in a value.
pub(crate) fn is_value_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b' '..=b'~')
}

impl NutConf {
    /// Parses nut.conf. `file` names the file in messages.
    pub fn parse(text: &[u8], file: &str) -> Result<Parsed<Self>, ConfigError> {
        let mut diag = Diag::new(file);
        let mut conf = Self::default();
        let mut exported = Vec::new();
        let mut p = Parser {
            text,
            pos: 0,
            line: 1,
            diag: &mut diag,
        };
        p.run(&mut conf, &mut exported)?;
        for var in &mut conf.vars {
            if exported.contains(&var.name) {
                var.export = true;
            }
        }
        Ok(Parsed {
            config: conf,
            warnings: diag.sorted(),
        })
    }

    /// Reads and parses a nut.conf file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed<Self>, ConfigError> {
        super::load_with(path.as_ref(), Self::parse)
    }

    /// The value of a variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    /// Sets a variable (replacing its value if it exists). `name` should be a shell name.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let (name, value) = (name.into(), value.into());
        match self.vars.iter_mut().find(|v| v.name == name) {
            Some(v) => v.value = value,
            None => self.vars.push(NutVar {
                name,
                value,
                export: false,
            }),
        }
    }

    /// `MODE`, when set to one of its four values.
    pub fn mode(&self) -> Option<NutMode> {
        self.get("MODE").and_then(NutMode::from_value)
    }

    /// A yes/no variable (`true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`, any case).
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(c_parse_boolean)
    }

    /// `NUT_DEBUG_LEVEL`, when it is a number.
    pub fn nut_debug_level(&self) -> Option<u32> {
        self.get("NUT_DEBUG_LEVEL").and_then(|v| v.parse().ok())
    }

    /// Writes the variables as nut.conf text, quoting values where the shell needs it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for v in &self.vars {
            if v.export {
                out.push_str("export ");
            }
            out.push_str(&v.name);
            out.push('=');
            push_shell_value(&mut out, &v.value);
            out.push('\n');
        }
        out
    }
}

fn push_shell_value(out: &mut String, value: &str) {
    let bare = !value.is_empty()
        && !value.starts_with('~')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:,+@%=-".contains(&b));
    if bare {
        out.push_str(value);
    } else if value.is_empty() {
        out.push_str("\"\"");
    } else {
        out.push('\'');
        out.push_str(&value.replace('\'', "'\\''"));
        out.push('\'');
    }
}

struct Parser<'a, 'd> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    diag: &'d mut Diag,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.text.get(self.pos + offset).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn unsupported(&self, what: &str) -> ConfigError {
        self.diag.error(
            self.line,
            ErrorKind::Unsupported,
            format!("{what}: only plain NAME=value assignments are supported in nut.conf"),
        )
    }

    /// Skips blanks (not newlines); a CR just before LF is dropped with a warning.
    fn skip_blanks(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' => self.pos += 1,
                b'\r' if self.peek_at(1) == Some(b'\n') => {
                    self.diag.warn(
                        self.line,
                        WarningKind::Dropped,
                        "CR before the end of the line dropped (a shell would keep it in the value)",
                    );
                    self.pos += 1;
                }
                _ => break,
            }
        }
    }

    fn run(&mut self, conf: &mut NutConf, exported: &mut Vec<String>) -> Result<(), ConfigError> {
        // Whether the current line started with `export`.
        let mut export = false;
        loop {
            self.skip_blanks();
            let Some(b) = self.peek() else { return Ok(()) };
            match b {
                b'\n' => {
                    self.bump();
                    export = false;
                }
                b'#' => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                _ => {
                    let line = self.line;
                    let name = self.name();
                    if self.peek() == Some(b'=') && !name.is_empty() {
                        self.pos += 1;
                        self.check_name(line, &name);
                        let value = self.value()?;
                        self.check_value(line, &name, &value);
                        conf.set(name.as_str(), value);
                        if export {
                            exported.push(name);
                        }
                    } else if export && !name.is_empty() && self.at_word_end() {
                        exported.push(name);
                    } else if name == "export" && self.at_word_end() && !export {
                        export = true;
                    } else if name.is_empty() {
                        return Err(self.unsupported(&format!("unexpected '{}'", char::from(b))));
                    } else {
                        let word = self.raw_word();
                        return Err(self.unsupported(&format!(
                            "'{word}' is not an assignment (no spaces around '=', please)"
                        )));
                    }
                }
            }
        }
    }

    fn at_word_end(&self) -> bool {
        matches!(self.peek(), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
    }

    /// Reads a shell name at the cursor (possibly empty).
    fn name(&mut self) -> String {
        let start = self.pos;
        while let Some(b) = self.peek() {
            let ok =
                b.is_ascii_alphabetic() || b == b'_' || (self.pos > start && b.is_ascii_digit());
            if !ok {
                break;
            }
            self.pos += 1;
        }
        // Only ASCII letters, digits and '_' were taken.
        String::from_utf8_lossy(self.text.get(start..self.pos).unwrap_or_default()).into_owned()
    }

    /// The rest of a word, for messages.
    fn raw_word(&mut self) -> String {
        let start = self.pos;
        let mut end = start;
        while self
            .text
            .get(end)
            .is_some_and(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            end += 1;
        }
        let before = self.text.get(..start).unwrap_or_default();
        let from = before
            .iter()
            .rposition(|&b| matches!(b, b' ' | b'\t' | b'\n'))
            .map_or(0, |p| p + 1);
        String::from_utf8_lossy(self.text.get(from..end).unwrap_or_default()).into_owned()
    }

    fn check_name(&mut self, line: usize, name: &str) {
        if !KNOWN_NAMES.contains(&name) {
            self.diag.warn(
                line,
                WarningKind::Unknown,
                format!("unknown setting {name} (kept)"),
            );
        }
    }

    fn check_value(&mut self, line: usize, name: &str, value: &str) {
        if name == "MODE" && NutMode::from_value(value).is_none() {
            self.diag.warn(
                line,
                WarningKind::BadValue,
                format!("MODE: unknown value '{value}' (expected none, standalone, netserver or netclient)"),
            );
        }
    }

    /// Pushes a value byte, dropping what a value may not hold.
    fn keep(&mut self, value: &mut String, b: u8) {
        if is_value_byte(b) {
            value.push(char::from(b));
        } else {
            self.diag.warn(
                self.line,
                WarningKind::Dropped,
                format!("byte 0x{b:02x} outside printable ASCII dropped"),
            );
        }
    }

    /// Reads the value after `NAME=`, up to an unquoted blank or the end of the line.
    fn value(&mut self) -> Result<String, ConfigError> {
        let mut value = String::new();
        if self.peek() == Some(b'~') {
            return Err(self.unsupported("'~' (tilde expansion)"));
        }
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' => break,
                b'\r' if self.peek_at(1) == Some(b'\n') => break,
                b'\\' => {
                    self.bump();
                    match self.bump() {
                        Some(b'\n') => {}
                        Some(c) => self.keep(&mut value, c),
                        None => {
                            return Err(self.diag.error(
                                self.line,
                                ErrorKind::Syntax,
                                "backslash at the end of the file",
                            ))
                        }
                    }
                }
                b'\'' => {
                    let start = self.line;
                    self.bump();
                    loop {
                        match self.bump() {
                            Some(b'\'') => break,
                            Some(c) => self.keep(&mut value, c),
                            None => {
                                return Err(self.diag.error(
                                    start,
                                    ErrorKind::Syntax,
                                    "unterminated single quote",
                                ))
                            }
                        }
                    }
                }
                b'"' => {
                    let start = self.line;
                    self.bump();
                    loop {
                        match self.bump() {
                            Some(b'"') => break,
                            Some(b'\\') => match self.peek() {
                                Some(b'\n') => {
                                    self.bump();
                                }
                                Some(c @ (b'"' | b'\\' | b'$' | b'`')) => {
                                    self.bump();
                                    value.push(char::from(c));
                                }
                                _ => value.push('\\'),
                            },
                            Some(b'$' | b'`') => {
                                return Err(
                                    self.unsupported("'$' or '`' (expansion) in double quotes")
                                )
                            }
                            Some(c) => self.keep(&mut value, c),
                            None => {
                                return Err(self.diag.error(
                                    start,
                                    ErrorKind::Syntax,
                                    "unterminated double quote",
                                ))
                            }
                        }
                    }
                }
                b'$' | b'`' => return Err(self.unsupported("'$' or '`' (expansion)")),
                b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => {
                    return Err(self.unsupported(&format!("'{}'", char::from(b))))
                }
                _ => {
                    self.bump();
                    self.keep(&mut value, b);
                }
            }
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed<NutConf> {
        NutConf::parse(text.as_bytes(), "nut.conf").unwrap()
    }

    fn error(text: &str) -> String {
        NutConf::parse(text.as_bytes(), "nut.conf")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn debian_style_file() {
        let p = parse(
            "# nut.conf\n\nMODE=standalone\nUPSD_OPTIONS=\"\"\nUPSMON_OPTIONS='-D -D'\n\
             # POWEROFF_WAIT=15m\nPOWEROFF_WAIT=15m # trailing comment\n\
             export NUT_DEBUG_LEVEL=2\nALLOW_NO_DEVICE=true ALLOW_NOT_ALL_LISTENERS=\"tr\"ue\n",
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let c = &p.config;
        assert_eq!(c.mode(), Some(NutMode::Standalone));
        assert_eq!(c.get("UPSD_OPTIONS"), Some(""));
        assert_eq!(c.get("UPSMON_OPTIONS"), Some("-D -D"));
        assert_eq!(c.get("POWEROFF_WAIT"), Some("15m"));
        assert_eq!(c.nut_debug_level(), Some(2));
        assert!(c
            .vars
            .iter()
            .any(|v| v.name == "NUT_DEBUG_LEVEL" && v.export));
        assert_eq!(c.get_bool("ALLOW_NO_DEVICE"), Some(true));
        assert_eq!(c.get("ALLOW_NOT_ALL_LISTENERS"), Some("true"));
    }

    #[test]
    fn quoting() {
        let p = parse(
            "A='it'\\''s'\nB=\"say \\\"hi\\\" \\$HOME \\\\ \\x\"\nC=a\\ b\nD=x#y\nE='multi\nline'\nF=\"a\\\nb\"\n",
        );
        let c = &p.config;
        assert_eq!(c.get("A"), Some("it's"));
        assert_eq!(c.get("B"), Some("say \"hi\" $HOME \\ \\x"));
        assert_eq!(c.get("C"), Some("a b"));
        assert_eq!(c.get("D"), Some("x#y"));
        assert_eq!(c.get("E"), Some("multi\nline"));
        assert_eq!(c.get("F"), Some("ab"));
        // Unknown names are kept, with a warning on the right line (E spans two lines).
        let lines: Vec<_> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 7]);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            error("MODE = none\n"),
            "nut.conf:1: 'MODE' is not an assignment (no spaces around '=', please): only plain NAME=value assignments are supported in nut.conf"
        );
        assert!(error("\nMODE=$OTHER\n").starts_with("nut.conf:2: '$' or '`' (expansion)"));
        assert!(error("MODE=\"`id`\"\n").contains("expansion) in double quotes"));
        assert!(error("MODE=none; rm -rf /\n").starts_with("nut.conf:1: ';'"));
        assert!(error("MODE=none echo hi\n").contains("'echo' is not an assignment"));
        assert!(error("HOME=~/x\n").contains("tilde"));
        assert_eq!(
            error("\n\nA='open\n\n"),
            "nut.conf:3: unterminated single quote"
        );
        assert_eq!(error("A=\"open"), "nut.conf:1: unterminated double quote");
        assert!(error("=x\n").starts_with("nut.conf:1: unexpected '='"));
        assert!(error(". /etc/other\n").starts_with("nut.conf:1: unexpected '.'"));
        assert!(error("export x y=1 2\n").contains("unexpected '2'"));
    }

    #[test]
    fn warnings() {
        let p = parse("MODE=bogus\r\nMODE=none\nX=a\x01b\u{e9}\n");
        let msgs: Vec<_> = p.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "nut.conf:1: MODE: unknown value 'bogus' (expected none, standalone, netserver or netclient)",
                "nut.conf:1: CR before the end of the line dropped (a shell would keep it in the value)",
                "nut.conf:3: unknown setting X (kept)",
                "nut.conf:3: byte 0x01 outside printable ASCII dropped",
                "nut.conf:3: byte 0xc3 outside printable ASCII dropped",
                "nut.conf:3: byte 0xa9 outside printable ASCII dropped",
            ]
        );
        assert_eq!(p.config.mode(), Some(NutMode::None));
        assert_eq!(p.config.get("X"), Some("ab"));
        assert_eq!(p.config.vars.len(), 2);
    }

    #[test]
    fn export_forms_and_round_trip() {
        let p = parse("export MODE\nMODE=netclient\nUPSMON_OPTIONS=x\n");
        assert!(p.config.vars[0].export && !p.config.vars[1].export);
        let mut c = NutConf::default();
        c.set("MODE", "netclient");
        c.set("UPSMON_OPTIONS", "-D -u nut");
        c.set("POWEROFF_WAIT", "it's");
        c.set("UPSD_OPTIONS", "");
        c.set("NUT_DEBUG_SYSLOG", "a\tb\nc$`\"\\");
        c.vars[0].export = true;
        let text = c.to_text();
        assert_eq!(
            text,
            "export MODE=netclient\nUPSMON_OPTIONS='-D -u nut'\nPOWEROFF_WAIT='it'\\''s'\n\
             UPSD_OPTIONS=\"\"\nNUT_DEBUG_SYSLOG='a\tb\nc$`\"\\'\n"
        );
        let back = parse(&text);
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_eq!(back.config, c);
    }
}
