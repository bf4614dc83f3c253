//! snmpsim's `.snmprec` recordings of SNMP agents, which [`super::agent`] serves.
//!
//! One variable per line, `OID|tag|value`; blank lines and lines starting with `#` are skipped,
//! and, as snmpsim reads them, spaces at either end of a line are not part of it. The tag is
//! the BER tag of the value's type as a decimal number (the sum of class and number bits, as
//! snmpsim writes it):
//!
//! | tag | type | value |
//! | --- | --- | --- |
//! | 2 | INTEGER (Integer32) | decimal |
//! | 4 | OCTET STRING | the bytes as they are |
//! | 5 | NULL | empty |
//! | 6 | OBJECT IDENTIFIER | dotted decimal |
//! | 64 | IpAddress | dotted quad |
//! | 65 | Counter32 | decimal |
//! | 66 | Gauge32 | decimal |
//! | 67 | TimeTicks | decimal (hundredths of a second) |
//! | 68 | Opaque | the bytes as they are |
//! | 70 | Counter64 | decimal |
//! | 128, 129, 130 | noSuchObject, noSuchInstance, endOfMibView | ignored |
//!
//! A tag of a byte-string type (4, 64, 68) may end in `x`, the value being hexadecimal
//! (`4x|00ff`, `64x|c0a80001`), or in `e`, the value being written with Python's string
//! escapes (`4e|\x07\xe4\t`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use super::convert::oid_to_rasn;
use super::pdu::{Oid, Value};

/// Why a recording could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnmprecError {
    /// The file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A line is not a valid record.
    #[error("{file}:{line}: {reason}")]
    Syntax {
        /// The file (or the name given to [`Recording::parse`]).
        file: String,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// The variables of one recorded agent, in OID order.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Recording {
    vars: Vec<(Oid, Value)>,
}

impl fmt::Debug for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recording({} variables)", self.vars.len())
    }
}

impl Recording {
    /// Reads the recording `text`; `name` names it in errors (a file name).
    pub fn parse(name: &str, text: &[u8]) -> Result<Self, SnmprecError> {
        let mut vars: Vec<(Oid, Value, usize)> = Vec::new();
        for (number, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let (oid, value) = parse_line(line).map_err(|reason| SnmprecError::Syntax {
                file: name.to_owned(),
                line: number + 1,
                reason,
            })?;
            vars.push((oid, value, number + 1));
        }
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(pair) = vars.windows(2).find(|w| w[0].0 == w[1].0) {
            let (first, second) = (pair[0].2.min(pair[1].2), pair[0].2.max(pair[1].2));
            return Err(SnmprecError::Syntax {
                file: name.to_owned(),
                line: second,
                reason: format!("{} again (first on line {first})", pair[0].0),
            });
        }
        Ok(Self {
            vars: vars
                .into_iter()
                .map(|(oid, value, _)| (oid, value))
                .collect(),
        })
    }

    /// Reads the recording in file `path`.
    pub fn load(path: &Path) -> Result<Self, SnmprecError> {
        let text = std::fs::read(path).map_err(|source| SnmprecError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// A recording of `vars` (in any order; a later duplicate replaces an earlier one).
    pub fn from_vars(vars: impl IntoIterator<Item = (Oid, Value)>) -> Self {
        let mut map = BTreeMap::new();
        map.extend(vars);
        Self {
            vars: map.into_iter().collect(),
        }
    }

    /// The variables, in OID order.
    pub fn vars(&self) -> &[(Oid, Value)] {
        &self.vars
    }

    /// How many variables there are.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Where `oid` is in [`Self::vars`]: `Ok` with its place, or `Err` with the place of the
    /// first variable after it.
    pub fn position(&self, oid: &Oid) -> Result<usize, usize> {
        self.vars.binary_search_by(|(o, _)| o.cmp(oid))
    }

    /// The value of `oid`, if recorded.
    pub fn get(&self, oid: &Oid) -> Option<&Value> {
        self.position(oid).ok().map(|i| &self.vars[i].1)
    }

    /// The first variable after `oid` (GETNEXT's answer).
    pub fn next_after(&self, oid: &Oid) -> Option<&(Oid, Value)> {
        let i = match self.position(oid) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        self.vars.get(i)
    }
}

/// The recordings of a folder, by community: the file name without `.snmprec`, as snmpsimd
/// chooses them.
#[derive(Debug, Clone, Default)]
pub struct RecordingSet {
    by_community: BTreeMap<String, Arc<Recording>>,
}

impl RecordingSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads every `*.snmprec` file of `dir` (not its subfolders); the first bad file or line
    /// is the error.
    pub fn load_dir(dir: &Path) -> Result<Self, SnmprecError> {
        let io = |source| SnmprecError::Io {
            path: dir.to_owned(),
            source,
        };
        let mut set = Self::new();
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "snmprec") && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        for path in paths {
            let Some(community) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let community = community.to_owned();
            set.insert(community, Arc::new(Recording::load(&path)?));
        }
        Ok(set)
    }

    /// Adds (or replaces) the recording of `community`.
    pub fn insert(&mut self, community: impl Into<String>, recording: Arc<Recording>) {
        self.by_community.insert(community.into(), recording);
    }

    /// The recording of `community`.
    pub fn get(&self, community: &[u8]) -> Option<(&str, &Arc<Recording>)> {
        let community = std::str::from_utf8(community).ok()?;
        self.by_community
            .get_key_value(community)
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The communities, in order.
    pub fn communities(&self) -> impl Iterator<Item = &str> {
        self.by_community.keys().map(String::as_str)
    }

    /// How many recordings there are.
    pub fn len(&self) -> usize {
        self.by_community.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_community.is_empty()
    }
}

fn text(bytes: &[u8], what: &str) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("{what} is not text"))
}

fn number<T: FromStr>(value: &[u8], what: &str) -> Result<T, String> {
    let s = text(value, what)?;
    s.parse()
        .map_err(|_| format!("{what} value {s:?} is not a number in range"))
}

fn parse_oid(s: &[u8], what: &str) -> Result<Oid, String> {
    let oid: Oid = text(s, what)?.parse().map_err(|e| format!("{what}: {e}"))?;
    oid_to_rasn(&oid).map_err(|_| format!("{what} {oid} cannot be encoded"))?;
    Ok(oid)
}

fn parse_line(line: &[u8]) -> Result<(Oid, Value), String> {
    let mut fields = line.splitn(3, |&b| b == b'|');
    let (Some(oid), Some(tag), Some(value)) = (fields.next(), fields.next(), fields.next()) else {
        return Err("not a record OID|tag|value".into());
    };
    let oid = parse_oid(oid, "OID")?;
    let (tag, form) = match tag.split_last() {
        Some((b'x', rest)) => (rest, Form::Hex),
        Some((b'e', rest)) => (rest, Form::Escaped),
        _ => (tag, Form::Plain),
    };
    let tag: u32 = number(tag, "tag")?;
    let bytes = |form: Form| match form {
        Form::Plain => Ok(value.to_vec()),
        Form::Hex => unhex(value),
        Form::Escaped => unescape(value),
    };
    let value = match (tag, form) {
        (4, form) => Value::OctetString(bytes(form)?),
        (68, form) => Value::Opaque(bytes(form)?),
        (64, Form::Plain) => {
            let s = text(value, "IpAddress")?;
            let ip = Ipv4Addr::from_str(&s).map_err(|_| format!("not an IPv4 address: {s:?}"))?;
            Value::IpAddress(ip.octets())
        }
        (64, form) => {
            let b = bytes(form)?;
            Value::IpAddress(
                b.try_into()
                    .map_err(|b: Vec<u8>| format!("an IpAddress of {} bytes", b.len()))?,
            )
        }
        (_, Form::Hex | Form::Escaped) => {
            return Err(format!("tag {tag} has no hexadecimal or escaped form"));
        }
        (2, _) => Value::Integer(i64::from(number::<i32>(value, "INTEGER")?)),
        (5, _) if value.is_empty() => Value::Null,
        (5, _) => return Err("a NULL with a value".into()),
        (6, _) => Value::ObjectId(parse_oid(value, "OBJECT IDENTIFIER")?),
        (65, _) => Value::Counter32(number(value, "Counter32")?),
        (66, _) => Value::Gauge32(number(value, "Gauge32")?),
        (67, _) => Value::TimeTicks(number(value, "TimeTicks")?),
        (70, _) => Value::Counter64(number(value, "Counter64")?),
        (128, _) => Value::NoSuchObject,
        (129, _) => Value::NoSuchInstance,
        (130, _) => Value::EndOfMibView,
        _ => return Err(format!("unknown tag {tag}")),
    };
    Ok((oid, value))
}

#[derive(Clone, Copy)]
enum Form {
    Plain,
    Hex,
    Escaped,
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn unhex(s: &[u8]) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err("odd number of hexadecimal digits".into());
    }
    s.chunks(2)
        .map(|pair| match (hex_digit(pair[0]), hex_digit(pair[1])) {
            (Some(hi), Some(lo)) => Ok(hi << 4 | lo),
            _ => Err(format!(
                "not hexadecimal: {:?}",
                String::from_utf8_lossy(pair)
            )),
        })
        .collect()
}

/// Python's string escapes, as snmpsim reads them: `\\ \' \" \a \b \f \n \r \t \v \xHH`.
fn unescape(s: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.iter().copied();
    while let Some(b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let escaped = match it.next() {
            None => return Err("a backslash at the end of the value".into()),
            Some(b'\\') => b'\\',
            Some(b'\'') => b'\'',
            Some(b'"') => b'"',
            Some(b'a') => 7,
            Some(b'b') => 8,
            Some(b'f') => 12,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'v') => 11,
            Some(b'x') => match (it.next().and_then(hex_digit), it.next().and_then(hex_digit)) {
                (Some(hi), Some(lo)) => hi << 4 | lo,
                _ => return Err("\\x not followed by two hexadecimal digits".into()),
            },
            Some(other) => return Err(format!("unknown escape \\{}", other as char)),
        };
        out.push(escaped);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    #[test]
    fn every_tag() {
        let text = b"# a comment\n\
            1.3.6.1.2.1.1.1.0|4|APC Web/SNMP | Card  \r\n\
            \n\
            1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.318.1.3.27\n\
            1.3.6.1.2.1.1.3.0|67|71917850\n\
            1.3.6.1.2.1.2.2.1.6.1|4x|50625560248D\n\
            1.3.6.1.4.1.1.1|2|-2147483648\n\
            1.3.6.1.4.1.1.2|5|\n\
            1.3.6.1.4.1.1.3|64|192.168.100.1\n\
            1.3.6.1.4.1.1.4|64x|0a000001\n\
            1.3.6.1.4.1.1.5|65|4294967295\n\
            1.3.6.1.4.1.1.6|66|0\n\
            1.3.6.1.4.1.1.7|68x|9f7804\n\
            1.3.6.1.4.1.1.8|70|18446744073709551615\n\
            1.3.6.1.4.1.1.9|4e|\\x07\\xe4\\x08\\t\\x03(#\\\\\\'\n\
            1.3.6.1.4.1.1.10|129|\n\
            1.3.6.1.4.1.1.11|4|\n";
        let r = Recording::parse("t", text).unwrap();
        assert_eq!(r.len(), 15);
        let get = |s| r.get(&oid(s)).unwrap().clone();
        assert_eq!(
            get("1.3.6.1.2.1.1.1.0"),
            Value::OctetString(b"APC Web/SNMP | Card".to_vec())
        );
        assert_eq!(
            get("1.3.6.1.2.1.1.2.0"),
            Value::ObjectId(oid("1.3.6.1.4.1.318.1.3.27"))
        );
        assert_eq!(get("1.3.6.1.2.1.1.3.0"), Value::TimeTicks(71_917_850));
        assert_eq!(
            get("1.3.6.1.2.1.2.2.1.6.1"),
            Value::OctetString(vec![0x50, 0x62, 0x55, 0x60, 0x24, 0x8d])
        );
        assert_eq!(get("1.3.6.1.4.1.1.1"), Value::Integer(-2_147_483_648));
        assert_eq!(get("1.3.6.1.4.1.1.2"), Value::Null);
        assert_eq!(get("1.3.6.1.4.1.1.3"), Value::IpAddress([192, 168, 100, 1]));
        assert_eq!(get("1.3.6.1.4.1.1.4"), Value::IpAddress([10, 0, 0, 1]));
        assert_eq!(get("1.3.6.1.4.1.1.5"), Value::Counter32(u32::MAX));
        assert_eq!(get("1.3.6.1.4.1.1.6"), Value::Gauge32(0));
        assert_eq!(
            get("1.3.6.1.4.1.1.7"),
            Value::Opaque(vec![0x9f, 0x78, 0x04])
        );
        assert_eq!(get("1.3.6.1.4.1.1.8"), Value::Counter64(u64::MAX));
        assert_eq!(
            get("1.3.6.1.4.1.1.9"),
            Value::OctetString(b"\x07\xe4\x08\t\x03(#\\'".to_vec())
        );
        assert_eq!(get("1.3.6.1.4.1.1.10"), Value::NoSuchInstance);
        assert_eq!(get("1.3.6.1.4.1.1.11"), Value::OctetString(Vec::new()));
        // In OID order, whatever the file's order.
        assert!(r.vars().windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(
            r.next_after(&oid("1.3.6.1.4.1.1.1")).unwrap().0,
            oid("1.3.6.1.4.1.1.2")
        );
        assert_eq!(
            r.next_after(&oid("1.3.6.1.4.1.1")).unwrap().0,
            oid("1.3.6.1.4.1.1.1")
        );
        assert_eq!(r.next_after(&oid("1.3.6.1.4.1.1.11")), None);
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases: &[(&str, &str)] = &[
            ("1.3.6.1|2|x", "INTEGER value \"x\""),
            ("1.3.6.1|2|2147483648", "not a number in range"),
            ("1.3.6.1|66|-1", "Gauge32"),
            ("1.3.6.1|4x|abc", "odd number"),
            ("1.3.6.1|4x|zz", "not hexadecimal"),
            ("1.3.6.1|4e|\\q", "unknown escape \\q"),
            ("1.3.6.1|4e|\\x4", "\\x not followed"),
            ("1.3.6.1|2x|00", "tag 2 has no hexadecimal"),
            ("1.3.6.1|64|1.2.3", "not an IPv4 address"),
            ("1.3.6.1|64x|0102", "an IpAddress of 2 bytes"),
            ("1.3.6.1|99|1", "unknown tag 99"),
            ("1.3.6.1|5|x", "NULL with a value"),
            ("1.3.6.1|6|1.x", "OBJECT IDENTIFIER"),
            ("1.3.6.1|6|5.1", "cannot be encoded"),
            ("1.3.6.1.x|2|1", "OID"),
            ("1.3.6.1|2", "not a record"),
            ("|2|1", "OID"),
        ];
        for (line, expected) in cases {
            let text = format!("1.3.6.1.2|2|1\n\n{line}\n");
            let err = Recording::parse("dir/f.snmprec", text.as_bytes()).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with("dir/f.snmprec:3: ") && msg.contains(expected),
                "{line}: {msg}"
            );
        }
        let err = Recording::parse("f", b"1.3.6.1|2|1\n1.3.6.2|2|1\n1.3.6.1|2|2\n").unwrap_err();
        assert_eq!(err.to_string(), "f:3: .1.3.6.1 again (first on line 1)");
        let err = Recording::load(Path::new("/nonexistent/x.snmprec")).unwrap_err();
        assert!(
            err.to_string().starts_with("/nonexistent/x.snmprec: "),
            "{err}"
        );
    }

    /// Every line of every shared recording parses.
    #[test]
    fn all_shared_recordings_parse() {
        let Some(dir) = crate::test_data::recorded("snmprec") else {
            return;
        };
        let set = RecordingSet::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.len(), 90);
        let vars: usize = set
            .communities()
            .map(|c| set.get(c.as_bytes()).unwrap().1.len())
            .sum();
        // Every record line of the 90 files (`grep -v '^#'`, blank lines aside).
        assert_eq!(vars, 56_568);
        let (_, apc) = set.get(b"apc_smt750x-nmc2").unwrap();
        assert_eq!(
            apc.get(&oid("1.3.6.1.2.1.1.2.0")),
            Some(&Value::ObjectId(oid("1.3.6.1.4.1.318.1.3.27")))
        );
    }
}
