//! LIST replies: the query a list answers ([`ListQuery`]), one item line ([`ListItem`]), and a
//! whole list ([`ListReply`]).
//!
//! On the wire a list is framed by `BEGIN LIST <query>` and `END LIST <query>`, where
//! `<query>` echoes the client's LIST arguments with the client's spelling:
//!
//! ```text
//! BEGIN LIST VAR myups
//! VAR myups battery.charge "100"
//! VAR myups ups.status "OL"
//! END LIST VAR myups
//! ```
//!
//! Each item repeats the UPS (and variable) name of the query; [`ListReply`] stores those
//! names once, in the query, and writes them on every item line as C upsd does. The one
//! exception is `LIST CLIENT`, whose items carry the UPS name as configured (C upsd writes the
//! name from `ups.conf` there, not the client's spelling), so [`ClientEntry`] keeps its own.

use std::fmt;

use crate::names::{CmdName, UpsName, Value, VarName};
use crate::tokenizer::quote;

use super::word::Word;

/// What a LIST asks for; echoed after `BEGIN LIST` and `END LIST`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum ListQuery {
    /// `UPS`: every configured UPS with its description.
    Ups,
    /// `VAR <ups>`: every variable with its value.
    Var {
        /// The UPS.
        ups: UpsName,
    },
    /// `RW <ups>`: the writable variables with their values.
    Rw {
        /// The UPS.
        ups: UpsName,
    },
    /// `CMD <ups>`: the instant commands.
    Cmd {
        /// The UPS.
        ups: UpsName,
    },
    /// `ENUM <ups> <var>`: the values an enumerated variable accepts.
    Enum {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
    },
    /// `RANGE <ups> <var>`: the ranges a numeric variable accepts.
    Range {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
    },
    /// `CLIENT <ups>`: the addresses of the sessions that did LOGIN on the UPS.
    Client {
        /// The UPS.
        ups: UpsName,
    },
}

impl ListQuery {
    /// The sub-command keyword (`UPS`, `VAR`, `RW`, `CMD`, `ENUM`, `RANGE`, `CLIENT`).
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::Ups => "UPS",
            Self::Var { .. } => "VAR",
            Self::Rw { .. } => "RW",
            Self::Cmd { .. } => "CMD",
            Self::Enum { .. } => "ENUM",
            Self::Range { .. } => "RANGE",
            Self::Client { .. } => "CLIENT",
        }
    }

    /// The UPS the query is about (`None` for `LIST UPS`).
    pub fn ups(&self) -> Option<&UpsName> {
        match self {
            Self::Ups => None,
            Self::Var { ups }
            | Self::Rw { ups }
            | Self::Cmd { ups }
            | Self::Client { ups }
            | Self::Enum { ups, .. }
            | Self::Range { ups, .. } => Some(ups),
        }
    }

    /// The variable the query is about (for `ENUM` and `RANGE`).
    pub fn var(&self) -> Option<&VarName> {
        match self {
            Self::Enum { var, .. } | Self::Range { var, .. } => Some(var),
            _ => None,
        }
    }

    /// Reads the words after `BEGIN LIST` / `END LIST`, strictly: the keyword (any case) and
    /// exactly the names it takes.
    pub(crate) fn from_echo(words: &[String]) -> Result<Self, &'static str> {
        let (keyword, rest) = words.split_first().ok_or("missing list type")?;
        let keyword = keyword.to_ascii_uppercase();
        let ups = |rest: &[String]| match rest {
            [ups] => UpsName::new(ups.as_str()).map_err(|_| "invalid UPS name"),
            _ => Err("wrong number of words"),
        };
        let ups_var = |rest: &[String]| match rest {
            [ups, var] => Ok((
                UpsName::new(ups.as_str()).map_err(|_| "invalid UPS name")?,
                VarName::new(var.as_str()).map_err(|_| "invalid variable name")?,
            )),
            _ => Err("wrong number of words"),
        };
        Ok(match keyword.as_str() {
            "UPS" if rest.is_empty() => Self::Ups,
            "UPS" => return Err("wrong number of words"),
            "VAR" => Self::Var { ups: ups(rest)? },
            "RW" => Self::Rw { ups: ups(rest)? },
            "CMD" => Self::Cmd { ups: ups(rest)? },
            "CLIENT" => Self::Client { ups: ups(rest)? },
            "ENUM" => {
                let (ups, var) = ups_var(rest)?;
                Self::Enum { ups, var }
            }
            "RANGE" => {
                let (ups, var) = ups_var(rest)?;
                Self::Range { ups, var }
            }
            _ => return Err("unknown list type"),
        })
    }
}

impl fmt::Display for ListQuery {
    /// The words of the query: `VAR myups`, `ENUM myups input.transfer.low`, `UPS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())?;
        if let Some(ups) = self.ups() {
            write!(f, " {ups}")?;
        }
        if let Some(var) = self.var() {
            write!(f, " {var}")?;
        }
        Ok(())
    }
}

/// One item line of a list, with every name it carries.
///
/// A `VAR` line is both a LIST VAR item and the reply to GET VAR; the
/// [`ResponseAssembler`](super::ResponseAssembler) tells them apart by context.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum ListItem {
    /// `UPS <name> "<description>"`.
    Ups {
        /// The UPS as configured.
        name: UpsName,
        /// Its description (`Description unavailable` when it has none).
        desc: Value,
    },
    /// `VAR <ups> <var> "<value>"`.
    Var {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
        /// Its value.
        value: Value,
    },
    /// `RW <ups> <var> "<value>"`.
    Rw {
        /// The UPS.
        ups: UpsName,
        /// The writable variable.
        var: VarName,
        /// Its value.
        value: Value,
    },
    /// `CMD <ups> <cmd>`.
    Cmd {
        /// The UPS.
        ups: UpsName,
        /// The instant command.
        cmd: CmdName,
    },
    /// `ENUM <ups> <var> "<value>"`.
    Enum {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
        /// One accepted value.
        value: Value,
    },
    /// `RANGE <ups> <var> "<min>" "<max>"`.
    Range {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
        /// Lowest accepted value.
        min: i64,
        /// Highest accepted value.
        max: i64,
    },
    /// `CLIENT <ups> <address>`.
    Client {
        /// The UPS, as configured.
        ups: UpsName,
        /// The client's address, as upsd prints it.
        addr: Value,
    },
}

impl ListItem {
    /// Reads an item from its words; `keyword` is the first word in upper case.
    pub(crate) fn from_words(keyword: &str, words: &[String]) -> Result<Self, &'static str> {
        fn ups(word: &str) -> Result<UpsName, &'static str> {
            UpsName::new(word).map_err(|_| "invalid UPS name")
        }
        fn var(word: &str) -> Result<VarName, &'static str> {
            VarName::new(word).map_err(|_| "invalid variable name")
        }
        fn value(word: &str) -> Result<Value, &'static str> {
            Value::new(word).map_err(|_| "invalid value")
        }
        fn number(word: &str) -> Result<i64, &'static str> {
            word.parse().map_err(|_| "range bound is not an integer")
        }
        Ok(match (keyword, words) {
            ("UPS", [_, name, desc]) => Self::Ups {
                name: ups(name)?,
                desc: value(desc)?,
            },
            ("VAR", [_, u, v, val]) => Self::Var {
                ups: ups(u)?,
                var: var(v)?,
                value: value(val)?,
            },
            ("RW", [_, u, v, val]) => Self::Rw {
                ups: ups(u)?,
                var: var(v)?,
                value: value(val)?,
            },
            ("ENUM", [_, u, v, val]) => Self::Enum {
                ups: ups(u)?,
                var: var(v)?,
                value: value(val)?,
            },
            ("CMD", [_, u, c]) => Self::Cmd {
                ups: ups(u)?,
                cmd: CmdName::new(c.as_str()).map_err(|_| "invalid command name")?,
            },
            ("RANGE", [_, u, v, min, max]) => Self::Range {
                ups: ups(u)?,
                var: var(v)?,
                min: number(min)?,
                max: number(max)?,
            },
            ("CLIENT", [_, u, addr]) => Self::Client {
                ups: ups(u)?,
                addr: value(addr)?,
            },
            ("UPS" | "VAR" | "RW" | "ENUM" | "CMD" | "RANGE" | "CLIENT", _) => {
                return Err("wrong number of words")
            }
            _ => return Err("not a list item"),
        })
    }
}

impl fmt::Display for ListItem {
    /// The item line, without its line feed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ups { name, desc } => write!(f, "UPS {name} {}", quote(desc.as_str())),
            Self::Var { ups, var, value } => {
                write!(f, "VAR {ups} {var} {}", quote(value.as_str()))
            }
            Self::Rw { ups, var, value } => {
                write!(f, "RW {ups} {var} {}", quote(value.as_str()))
            }
            Self::Cmd { ups, cmd } => write!(f, "CMD {ups} {cmd}"),
            Self::Enum { ups, var, value } => {
                write!(f, "ENUM {ups} {var} {}", quote(value.as_str()))
            }
            Self::Range { ups, var, min, max } => {
                write!(f, "RANGE {ups} {var} \"{min}\" \"{max}\"")
            }
            Self::Client { ups, addr } => write!(f, "CLIENT {ups} {}", Word(addr.as_str())),
        }
    }
}

/// One UPS of a `LIST UPS` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct UpsEntry {
    /// The UPS as configured.
    pub name: UpsName,
    /// Its description; C upsd sends `Description unavailable` when it has none.
    pub desc: Value,
}

/// One variable of a `LIST VAR` or `LIST RW` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct VarEntry {
    /// The variable.
    pub name: VarName,
    /// Its value.
    pub value: Value,
}

/// One range of a `LIST RANGE` reply (C upsd writes them as quoted integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RangeEntry {
    /// Lowest accepted value.
    pub min: i64,
    /// Highest accepted value.
    pub max: i64,
}

/// One session of a `LIST CLIENT` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ClientEntry {
    /// The UPS as configured (it matches the query's UPS, ignoring case).
    pub ups: UpsName,
    /// The client's address, as upsd prints it (`127.0.0.1`, `::1`).
    pub addr: Value,
}

/// A whole LIST reply: the query it answers and its items, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListReply {
    /// Reply to `LIST UPS`.
    Ups(Vec<UpsEntry>),
    /// Reply to `LIST VAR <ups>`.
    Var {
        /// The UPS, as the client spelled it.
        ups: UpsName,
        /// The variables, sorted by name in C upsd.
        vars: Vec<VarEntry>,
    },
    /// Reply to `LIST RW <ups>`.
    Rw {
        /// The UPS, as the client spelled it.
        ups: UpsName,
        /// The writable variables.
        vars: Vec<VarEntry>,
    },
    /// Reply to `LIST CMD <ups>`.
    Cmd {
        /// The UPS, as the client spelled it.
        ups: UpsName,
        /// The instant commands.
        cmds: Vec<CmdName>,
    },
    /// Reply to `LIST ENUM <ups> <var>`.
    Enum {
        /// The UPS, as the client spelled it.
        ups: UpsName,
        /// The variable, as the client spelled it.
        var: VarName,
        /// The accepted values, in the driver's order.
        values: Vec<Value>,
    },
    /// Reply to `LIST RANGE <ups> <var>`.
    Range {
        /// The UPS, as the client spelled it.
        ups: UpsName,
        /// The variable, as the client spelled it.
        var: VarName,
        /// The accepted ranges.
        ranges: Vec<RangeEntry>,
    },
    /// Reply to `LIST CLIENT <ups>`.
    Client {
        /// The UPS, as the client spelled it.
        ups: UpsName,
        /// The sessions that did LOGIN on it.
        clients: Vec<ClientEntry>,
    },
}

impl ListReply {
    /// An empty reply to `query`.
    pub fn empty(query: ListQuery) -> Self {
        match query {
            ListQuery::Ups => Self::Ups(Vec::new()),
            ListQuery::Var { ups } => Self::Var {
                ups,
                vars: Vec::new(),
            },
            ListQuery::Rw { ups } => Self::Rw {
                ups,
                vars: Vec::new(),
            },
            ListQuery::Cmd { ups } => Self::Cmd {
                ups,
                cmds: Vec::new(),
            },
            ListQuery::Enum { ups, var } => Self::Enum {
                ups,
                var,
                values: Vec::new(),
            },
            ListQuery::Range { ups, var } => Self::Range {
                ups,
                var,
                ranges: Vec::new(),
            },
            ListQuery::Client { ups } => Self::Client {
                ups,
                clients: Vec::new(),
            },
        }
    }

    /// The query this list answers (what `BEGIN LIST` and `END LIST` echo).
    pub fn query(&self) -> ListQuery {
        match self {
            Self::Ups(_) => ListQuery::Ups,
            Self::Var { ups, .. } => ListQuery::Var { ups: ups.clone() },
            Self::Rw { ups, .. } => ListQuery::Rw { ups: ups.clone() },
            Self::Cmd { ups, .. } => ListQuery::Cmd { ups: ups.clone() },
            Self::Enum { ups, var, .. } => ListQuery::Enum {
                ups: ups.clone(),
                var: var.clone(),
            },
            Self::Range { ups, var, .. } => ListQuery::Range {
                ups: ups.clone(),
                var: var.clone(),
            },
            Self::Client { ups, .. } => ListQuery::Client { ups: ups.clone() },
        }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        match self {
            Self::Ups(items) => items.len(),
            Self::Var { vars, .. } | Self::Rw { vars, .. } => vars.len(),
            Self::Cmd { cmds, .. } => cmds.len(),
            Self::Enum { values, .. } => values.len(),
            Self::Range { ranges, .. } => ranges.len(),
            Self::Client { clients, .. } => clients.len(),
        }
    }

    /// Whether the list has no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends an item read from the wire. The item must be of this list's kind and name
    /// the same UPS (and variable), ignoring case, as C's client checks; otherwise it is
    /// handed back.
    pub fn push(&mut self, item: ListItem) -> Result<(), ListItem> {
        match (self, item) {
            (Self::Ups(items), ListItem::Ups { name, desc }) => {
                items.push(UpsEntry { name, desc });
            }
            (Self::Var { ups, vars }, ListItem::Var { ups: u, var, value })
            | (Self::Rw { ups, vars }, ListItem::Rw { ups: u, var, value })
                if *ups == u =>
            {
                vars.push(VarEntry { name: var, value });
            }
            (Self::Cmd { ups, cmds }, ListItem::Cmd { ups: u, cmd }) if *ups == u => {
                cmds.push(cmd);
            }
            (
                Self::Enum { ups, var, values },
                ListItem::Enum {
                    ups: u,
                    var: v,
                    value,
                },
            ) if *ups == u && *var == v => values.push(value),
            (
                Self::Range { ups, var, ranges },
                ListItem::Range {
                    ups: u,
                    var: v,
                    min,
                    max,
                },
            ) if *ups == u && *var == v => ranges.push(RangeEntry { min, max }),
            (Self::Client { ups, clients }, ListItem::Client { ups: u, addr }) if *ups == u => {
                clients.push(ClientEntry { ups: u, addr });
            }
            (_, item) => return Err(item),
        }
        Ok(())
    }

    /// Writes the whole list as C upsd sends it: `BEGIN LIST`, one line per item, `END LIST`,
    /// each line ending in LF.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        let query = self.query();
        writeln!(w, "BEGIN LIST {query}")?;
        match self {
            Self::Ups(items) => {
                for item in items {
                    writeln!(w, "UPS {} {}", item.name, quote(item.desc.as_str()))?;
                }
            }
            Self::Var { ups, vars } => write_vars(w, "VAR", ups, vars)?,
            Self::Rw { ups, vars } => write_vars(w, "RW", ups, vars)?,
            Self::Cmd { ups, cmds } => {
                for cmd in cmds {
                    writeln!(w, "CMD {ups} {cmd}")?;
                }
            }
            Self::Enum { ups, var, values } => {
                for value in values {
                    writeln!(w, "ENUM {ups} {var} {}", quote(value.as_str()))?;
                }
            }
            Self::Range { ups, var, ranges } => {
                for RangeEntry { min, max } in ranges {
                    writeln!(w, "RANGE {ups} {var} \"{min}\" \"{max}\"")?;
                }
            }
            Self::Client { clients, .. } => {
                for client in clients {
                    writeln!(w, "CLIENT {} {}", client.ups, Word(client.addr.as_str()))?;
                }
            }
        }
        writeln!(w, "END LIST {query}")
    }
}

fn write_vars<W: fmt::Write + ?Sized>(
    w: &mut W,
    keyword: &str,
    ups: &UpsName,
    vars: &[VarEntry],
) -> fmt::Result {
    for VarEntry { name, value } in vars {
        writeln!(w, "{keyword} {ups} {name} {}", quote(value.as_str()))?;
    }
    Ok(())
}

impl fmt::Display for ListReply {
    /// All the lines of the list, each ending in LF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ListReply {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let query = ListQuery::arbitrary(u)?;
        let mut reply = Self::empty(query);
        match &mut reply {
            Self::Ups(items) => *items = u.arbitrary()?,
            Self::Var { vars, .. } | Self::Rw { vars, .. } => *vars = u.arbitrary()?,
            Self::Cmd { cmds, .. } => *cmds = u.arbitrary()?,
            Self::Enum { values, .. } => *values = u.arbitrary()?,
            Self::Range { ranges, .. } => *ranges = u.arbitrary()?,
            Self::Client { ups, clients } => {
                // Items name the queried UPS, possibly spelled differently.
                let count = u.int_in_range(0..=4)?;
                for _ in 0..count {
                    let spelling: String = ups
                        .as_str()
                        .chars()
                        .map(|c| match u.arbitrary::<bool>() {
                            Ok(true) => c.to_ascii_uppercase(),
                            _ => c.to_ascii_lowercase(),
                        })
                        .collect();
                    clients.push(ClientEntry {
                        ups: UpsName::new(spelling)
                            .map_err(|_| arbitrary::Error::IncorrectFormat)?,
                        addr: u.arbitrary()?,
                    });
                }
            }
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn query_echo_is_strict() {
        assert_eq!(ListQuery::from_echo(&words("UPS")), Ok(ListQuery::Ups));
        assert_eq!(
            ListQuery::from_echo(&words("var MyUps")).map(|q| q.to_string()),
            Ok("VAR MyUps".to_owned())
        );
        assert_eq!(
            ListQuery::from_echo(&words("RANGE u v")).map(|q| q.to_string()),
            Ok("RANGE u v".to_owned())
        );
        assert_eq!(
            ListQuery::from_echo(&words("UPS x")),
            Err("wrong number of words")
        );
        assert_eq!(
            ListQuery::from_echo(&words("VAR")),
            Err("wrong number of words")
        );
        assert_eq!(
            ListQuery::from_echo(&words("ENUM u")),
            Err("wrong number of words")
        );
        assert_eq!(
            ListQuery::from_echo(&words("FOO u")),
            Err("unknown list type")
        );
        assert_eq!(ListQuery::from_echo(&[]), Err("missing list type"));
        assert_eq!(
            ListQuery::from_echo(&["VAR".into(), "a b".into()]),
            Err("invalid UPS name")
        );
    }

    #[test]
    fn push_checks_kind_and_names() {
        let ups = UpsName::new("MyUps").unwrap();
        let mut list = ListReply::empty(ListQuery::Var { ups: ups.clone() });
        let item = |u: &str| ListItem::Var {
            ups: UpsName::new(u).unwrap(),
            var: VarName::new("ups.status").unwrap(),
            value: Value::new("OL").unwrap(),
        };
        assert_eq!(list.push(item("myups")), Ok(()));
        assert!(list.push(item("other")).is_err());
        let rw = ListItem::Rw {
            ups: ups.clone(),
            var: VarName::new("x").unwrap(),
            value: Value::default(),
        };
        assert_eq!(list.push(rw.clone()), Err(rw));
        assert_eq!(list.len(), 1);
        assert_eq!(
            list.to_string(),
            "BEGIN LIST VAR MyUps\nVAR MyUps ups.status \"OL\"\nEND LIST VAR MyUps\n"
        );
    }
}
