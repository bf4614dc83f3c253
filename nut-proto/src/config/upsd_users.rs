//! upsd.users: who may do what on upsd (server/user.c in C NUT).
//!
//! One `[username]` section per user, holding `password = …`, `actions = …` and
//! `instcmds = …` (several values per line, repeatable) and `upsmon primary|secondary`
//! (or the old `master|slave`). Setting names are matched ignoring case; user names are
//! case-sensitive. Nothing in this file is fatal to C upsd.
//!
//! ```
//! use nut_proto::config::{UpsdUsers, UpsmonRole};
//!
//! let text = b"[admin]\n password = s3cret\n actions = SET FSD\n instcmds = ALL\n\
//!              [monuser]\n password = pw\n upsmon secondary\n";
//! let users = UpsdUsers::parse(text, "upsd.users").unwrap().config;
//! let admin = users.get("admin").unwrap();
//! assert!(admin.allows_action("set") && admin.allows_instcmd("beeper.enable"));
//! assert!(admin.check_password("s3cret"));
//! let mon = users.get("monuser").unwrap();
//! assert_eq!(mon.upsmon, Some(UpsmonRole::Secondary));
//! assert!(mon.allows_action("LOGIN") && !mon.allows_action("FSD"));
//! assert!(users.get("Admin").is_none());
//! assert!(!format!("{users:?}").contains("s3cret"));
//! ```

use std::path::Path;

use super::common::{logical_lines, push_line, word};
use super::error::{ConfigError, Diag, WarningKind};
use super::ups_conf::section_name;
use super::Parsed;
use crate::names::NameError;
use crate::secret::Secret;

/// How many values `to_text` writes on one `actions`/`instcmds` line.
const VALUES_PER_LINE: usize = 16;

/// The whole of upsd.users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsdUsers {
    /// The users, in file order; names are unique.
    pub users: Vec<UpsdUser>,
}

/// One user of upsd.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsdUser {
    /// The user name (case-sensitive).
    pub name: String,
    /// The password; a user without one can never log in.
    pub password: Option<Secret>,
    /// `actions`: the actions granted (`SET`, `FSD`, …), matched ignoring case.
    pub actions: Vec<String>,
    /// `instcmds`: the instant commands granted (`ALL` for every one), without duplicates
    /// (ignoring case).
    pub instcmds: Vec<String>,
    /// `upsmon primary|secondary`: the upsmon role, which grants actions of its own.
    pub upsmon: Option<UpsmonRole>,
}

/// The role of an upsmon logging in with this user (the `upsmon` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum UpsmonRole {
    /// `primary`: may `LOGIN`, `PRIMARY`/`MASTER` and `FSD`.
    Primary,
    /// `master`: the old name of `primary`.
    Master,
    /// `secondary`: may `LOGIN`.
    Secondary,
    /// `slave`: the old name of `secondary`.
    Slave,
}

impl UpsmonRole {
    /// The word used in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Master => "master",
            Self::Secondary => "secondary",
            Self::Slave => "slave",
        }
    }

    /// Whether this is `primary` or its old name `master`.
    pub fn is_primary(self) -> bool {
        matches!(self, Self::Primary | Self::Master)
    }

    /// Parses the word, ignoring case.
    pub fn from_word(s: &str) -> Option<Self> {
        [Self::Primary, Self::Master, Self::Secondary, Self::Slave]
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }

    /// The actions this role grants, as C upsd adds them.
    pub fn actions(self) -> &'static [&'static str] {
        if self.is_primary() {
            &["login", "master", "fsd"]
        } else {
            &["login"]
        }
    }
}

/// Whether `name` can be a user name: printable ASCII without `=` (C would read `[a=b]` as a
/// setting, not a section).
fn check_user_name(name: &str) -> Result<(), NameError> {
    const KIND: &str = "user name";
    if name.is_empty() {
        return Err(NameError::Empty { kind: KIND });
    }
    if name.len() > crate::tokenizer::MAX_WORD_LEN - 2 {
        return Err(NameError::TooLong { kind: KIND });
    }
    match name
        .chars()
        .find(|&c| !(' '..='\x7f').contains(&c) || c == '=')
    {
        Some(ch) => Err(NameError::InvalidChar {
            kind: KIND,
            value: name.to_owned(),
            ch,
        }),
        None => Ok(()),
    }
}

impl UpsdUser {
    /// A user with a password and no rights yet. The name must be printable ASCII, without
    /// `=`, and not empty.
    pub fn new(name: impl Into<String>, password: impl Into<Secret>) -> Result<Self, NameError> {
        let name = name.into();
        check_user_name(&name)?;
        Ok(Self {
            name,
            password: Some(password.into()),
            actions: Vec::new(),
            instcmds: Vec::new(),
            upsmon: None,
        })
    }

    /// Whether `password` is this user's password (compared in constant time).
    pub fn check_password(&self, password: &str) -> bool {
        self.password.as_ref().is_some_and(|p| p.ct_eq(password))
    }

    /// Whether the user may do `action` (`SET`, `FSD`, `LOGIN`, `MASTER`, `PRIMARY`, …),
    /// from `actions` or from the upsmon role; case is ignored.
    pub fn allows_action(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.eq_ignore_ascii_case(action))
            || self
                .upsmon
                .is_some_and(|r| r.actions().iter().any(|a| a.eq_ignore_ascii_case(action)))
    }

    /// Whether the user may run the instant command `cmd` (listed, or `ALL`); case is ignored.
    pub fn allows_instcmd(&self, cmd: &str) -> bool {
        self.instcmds
            .iter()
            .any(|c| c.eq_ignore_ascii_case(cmd) || c.eq_ignore_ascii_case("all"))
    }

    fn add_instcmd(&mut self, cmd: &str) {
        if !self.instcmds.iter().any(|c| c.eq_ignore_ascii_case(cmd)) {
            self.instcmds.push(cmd.to_owned());
        }
    }

    /// C adds the role's actions to the list, so a later `secondary` cannot take away what
    /// an earlier `primary` gave; keep the stronger role.
    fn set_role(&mut self, role: UpsmonRole) {
        if role.is_primary() || !self.upsmon.is_some_and(UpsmonRole::is_primary) {
            self.upsmon = Some(role);
        }
    }
}

impl UpsdUsers {
    /// Parses upsd.users. `file` names the file in messages.
    pub fn parse(text: &[u8], file: &str) -> Result<Parsed<Self>, ConfigError> {
        let mut diag = Diag::with_secrets(file, |_| true);
        let mut users = Self::default();
        let mut current: Option<usize> = None;
        for line in logical_lines(text, &mut diag) {
            users.line(&mut diag, &mut current, line.line_no, &line.words);
        }
        Ok(Parsed {
            config: users,
            warnings: diag.sorted(),
        })
    }

    /// Reads and parses an upsd.users file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed<Self>, ConfigError> {
        super::load_with(path.as_ref(), Self::parse)
    }

    /// The user called `name` (case-sensitive, as C upsd compares user names).
    pub fn get(&self, name: &str) -> Option<&UpsdUser> {
        self.users.iter().find(|u| u.name == name)
    }

    fn line(&mut self, diag: &mut Diag, current: &mut Option<usize>, n: usize, words: &[String]) {
        let Some(first) = words.first() else { return };
        if first.eq_ignore_ascii_case("user") {
            diag.warn(
                n,
                WarningKind::Obsolete,
                "old-style 'user' line ignored; use [username] sections",
            );
            return;
        }
        // 'var=value' written as one word (with the '=' quoted or escaped).
        if let Some((var, value)) = first.split_once('=') {
            let values = std::iter::once(value).chain(words.iter().skip(1).map(String::as_str));
            self.settings(diag, *current, n, var, values);
            return;
        }
        if let Some(name) = section_name(first) {
            diag.extra_arguments(n, words, 1);
            if let Err(e) = check_user_name(name) {
                diag.warn(
                    n,
                    WarningKind::BadValue,
                    format!("invalid user name [{name}]: {e}; section ignored"),
                );
                *current = None;
                return;
            }
            if let Some(i) = self.users.iter().position(|u| u.name == name) {
                diag.warn(
                    n,
                    WarningKind::Duplicate,
                    format!("Ignoring duplicate user {name} (its settings are added to the first [{name}])"),
                );
                *current = Some(i);
            } else {
                *current = Some(self.users.len());
                self.users.push(UpsdUser {
                    name: name.to_owned(),
                    password: None,
                    actions: Vec::new(),
                    instcmds: Vec::new(),
                    upsmon: None,
                });
            }
            return;
        }
        let (Some(second), third) = (words.get(1), words.get(2)) else {
            diag.invalid_directive(n, words);
            return;
        };
        if second == "=" {
            match third {
                Some(_) => {
                    let values = words.iter().skip(2).map(String::as_str);
                    self.settings(diag, *current, n, first, values);
                }
                None => diag.warn(
                    n,
                    WarningKind::InvalidDirective,
                    format!("invalid directive {first} =: no value"),
                ),
            }
            return;
        }
        if first.eq_ignore_ascii_case("upsmon") {
            // 'upsmon primary' without '='.
            self.settings(diag, *current, n, first, std::iter::once(second.as_str()));
            diag.extra_arguments(n, words, 2);
            return;
        }
        diag.invalid_directive(n, words);
    }

    /// C's `parse_rest`: the setting `var` once for each value.
    fn settings<'a>(
        &mut self,
        diag: &mut Diag,
        current: Option<usize>,
        n: usize,
        var: &str,
        values: impl Iterator<Item = &'a str>,
    ) {
        let Some(user) = current.and_then(|i| self.users.get_mut(i)) else {
            diag.warn(
                n,
                WarningKind::OutsideSection,
                format!("Ignoring {var} definition outside user section"),
            );
            return;
        };
        for value in values {
            if var.eq_ignore_ascii_case("password") {
                if user.password.is_some() {
                    diag.warn(
                        n,
                        WarningKind::Duplicate,
                        format!("Ignoring duplicate password for {}", user.name),
                    );
                } else {
                    user.password = Some(Secret::new(value));
                }
            } else if var.eq_ignore_ascii_case("instcmds") {
                user.add_instcmd(value);
            } else if var.eq_ignore_ascii_case("actions") {
                user.actions.push(value.to_owned());
            } else if var.eq_ignore_ascii_case("allowfrom") {
                diag.warn(
                    n,
                    WarningKind::Obsolete,
                    "allowfrom in upsd.users is no longer used",
                );
            } else if var.eq_ignore_ascii_case("upsmon") {
                match UpsmonRole::from_word(value) {
                    Some(role) => user.set_role(role),
                    None => diag.warn(
                        n,
                        WarningKind::BadValue,
                        format!("Unknown upsmon type {value}"),
                    ),
                }
            } else {
                diag.warn(
                    n,
                    WarningKind::Unknown,
                    format!("Unrecognized user setting {var}"),
                );
            }
        }
    }

    /// Writes the users as upsd.users text (passwords in clear, as the file holds them).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, user) in self.users.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&word(&format!("[{}]", user.name)).to_string());
            out.push('\n');
            if let Some(pw) = &user.password {
                out.push('\t');
                push_line(&mut out, &["password", "=", pw.expose()]);
            }
            for (key, list) in [("actions", &user.actions), ("instcmds", &user.instcmds)] {
                // A line keeps at most 32 words: write long lists over several lines.
                for chunk in list.chunks(VALUES_PER_LINE) {
                    let mut words = vec![key, "="];
                    words.extend(chunk.iter().map(String::as_str));
                    out.push('\t');
                    push_line(&mut out, &words);
                }
            }
            if let Some(role) = user.upsmon {
                out.push('\t');
                push_line(&mut out, &["upsmon", role.as_str()]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed<UpsdUsers> {
        UpsdUsers::parse(text.as_bytes(), "upsd.users").unwrap()
    }

    fn messages(p: &Parsed<UpsdUsers>) -> Vec<String> {
        p.warnings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn c_behaviour_on_a_messy_file() {
        // The same file was given to C upsd 2.8.0 (see the module tests in tests/config.rs
        // for its log); C's quirks that we keep: duplicate passwords and users are reported,
        // the first password wins, several values per line, case-insensitive setting names.
        let p = parse(
            "password = before\nupsmon primary\n[admin]\n\tpassword = \"secret\"\n\
             \tactions = SET fsd\n\tinstcmds = ALL\n\tupsmon = primary\n\tupsmon weird\n\
             \tbogus = x\n\tallowfrom = x\n\tpassword = again\n[admin]\n\tActions = XYZ\n\
             [mon]\n\tPASSWORD = p\n\tupsmon secondary extra\n\tinstcmds = a A b\n",
        );
        assert_eq!(
            messages(&p),
            [
                "upsd.users:1: Ignoring password definition outside user section",
                "upsd.users:2: Ignoring upsmon definition outside user section",
                "upsd.users:8: Unknown upsmon type weird",
                "upsd.users:9: Unrecognized user setting bogus",
                "upsd.users:10: allowfrom in upsd.users is no longer used",
                "upsd.users:11: Ignoring duplicate password for admin",
                "upsd.users:12: Ignoring duplicate user admin (its settings are added to the first [admin])",
                "upsd.users:16: upsmon: extra argument(s) ignored: 1 word(s), not shown: they may hold a password (quote values that hold spaces)",
            ]
        );
        let admin = &p.config.users[0];
        assert!(admin.check_password("secret"));
        assert_eq!(admin.actions, ["SET", "fsd", "XYZ"]);
        assert_eq!(admin.instcmds, ["ALL"]);
        assert_eq!(admin.upsmon, Some(UpsmonRole::Primary));
        assert!(admin.allows_action("MASTER") && admin.allows_action("xyz"));
        let mon = &p.config.users[1];
        assert_eq!(mon.instcmds, ["a", "b"]);
        assert_eq!(mon.upsmon, Some(UpsmonRole::Secondary));
        assert!(mon.allows_instcmd("A") && !mon.allows_instcmd("c"));
    }

    #[test]
    fn quoted_equals_and_roles() {
        let p = parse("[u]\n\"password=pw\"\nupsmon master\nupsmon slave\n[v]\nupsmon SLAVE\nupsmon Primary\n");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let u = &p.config.users[0];
        assert!(u.check_password("pw"));
        // A later secondary role does not take back what master gave.
        assert_eq!(u.upsmon, Some(UpsmonRole::Master));
        assert_eq!(p.config.users[1].upsmon, Some(UpsmonRole::Primary));
    }

    #[test]
    fn odd_lines() {
        let p = parse("[a=b]\n[]\nactions = SET\n[x]\nfoo\nfoo bar\nactions =\nuser x\n");
        assert_eq!(
            messages(&p),
            [
                "upsd.users:1: Ignoring [a definition outside user section",
                "upsd.users:2: invalid user name []: user name is empty; section ignored",
                "upsd.users:3: Ignoring actions definition outside user section",
                "upsd.users:5: invalid directive foo",
                "upsd.users:6: invalid directive foo (1 more word(s) not shown: they may hold a password)",
                "upsd.users:7: invalid directive actions =: no value",
                "upsd.users:8: old-style 'user' line ignored; use [username] sections",
            ]
        );
        assert_eq!(p.config.users.len(), 1);
        assert!(UpsdUser::new("a=b", "x").is_err());
        assert!(UpsdUser::new("", "x").is_err());
        assert!(UpsdUser::new("with space", "x").is_ok());
    }

    #[test]
    fn writes_and_reads_back() {
        let mut a = UpsdUser::new("admin user", "p \"w\" #1").unwrap();
        a.actions = vec!["SET".into(), "fsd".into()];
        a.instcmds = vec!["test.battery.start".into(), "ALL".into()];
        let mut m = UpsdUser::new("upsmon", "pw").unwrap();
        m.upsmon = Some(UpsmonRole::Primary);
        let users = UpsdUsers { users: vec![a, m] };
        let text = users.to_text();
        assert_eq!(
            text,
            "\"[admin user]\"\n\tpassword = \"p \\\"w\\\" \\#1\"\n\tactions = SET fsd\n\
             \tinstcmds = test.battery.start ALL\n\n[upsmon]\n\tpassword = pw\n\tupsmon primary\n"
        );
        let back = parse(&text);
        assert!(back.warnings.is_empty());
        assert_eq!(back.config, users);
        assert_eq!(back.config.to_text(), text);
    }

    #[test]
    fn long_lists_span_lines() {
        let mut u = UpsdUser::new("u", "p").unwrap();
        u.instcmds = (0..40).map(|i| format!("cmd.{i}")).collect();
        let users = UpsdUsers { users: vec![u] };
        let text = users.to_text();
        assert_eq!(text.matches("instcmds = ").count(), 3);
        let back = parse(&text);
        assert!(back.warnings.is_empty());
        assert_eq!(back.config, users);
    }
}
