//! [`UpsAddress`]: the `upsname[@hostname[:port]]` form that upsmon.conf and hosts.conf use
//! to name a UPS on some server.

use std::fmt;
use std::str::FromStr;

use crate::names::{NameError, UpsName};

/// The port upsd listens on by default.
pub use crate::net::DEFAULT_PORT;

/// A UPS on a server: `upsname`, `upsname@host` or `upsname@host:port`, where `host` may be
/// an IPv6 literal in brackets (`ups@[::1]:3493`).
///
/// The parts are kept as written, so that the address displays the way it was given (C NUT
/// compares these strings byte for byte, e.g. to find duplicate `MONITOR` lines).
///
/// ```
/// use nut_proto::config::UpsAddress;
///
/// let a: UpsAddress = "myups@[::1]:3494".parse().unwrap();
/// assert_eq!(a.ups().as_str(), "myups");
/// assert_eq!(a.host_or_default(), "::1");
/// assert_eq!(a.port_or_default(), 3494);
/// assert_eq!(a.to_string(), "myups@[::1]:3494");
/// assert_eq!("myups".parse::<UpsAddress>().unwrap().host_or_default(), "localhost");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UpsAddress {
    ups: UpsName,
    host: Option<String>,
    port: Option<u16>,
}

/// Why a string is not a [`UpsAddress`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The UPS name part is not a valid name.
    #[error("invalid UPS name: {0}")]
    Name(#[from] NameError),
    /// Nothing after `@`, or an empty `[]`.
    #[error("no host name after '@'")]
    EmptyHost,
    /// A host name holding a character that cannot be part of one.
    #[error("host name {0:?} contains an invalid character")]
    BadHost(String),
    /// `[` without a matching `]`.
    #[error("missing closing bracket in [domain literal]")]
    MissingBracket,
    /// Text after `]` that is not `:port`.
    #[error("unexpected text after ] in {0:?}")]
    AfterBracket(String),
    /// A `:` not followed by a port number from 1 to 65535.
    #[error("no port specified after ':' separator")]
    BadPort,
}

impl UpsAddress {
    /// An address from its parts. `host` must be non-empty and free of white space, `@`,
    /// `[`, `]` and of the characters the tokenizer treats specially.
    pub fn new(
        ups: UpsName,
        host: Option<String>,
        port: Option<u16>,
    ) -> Result<Self, AddressError> {
        if let Some(h) = &host {
            check_host(h)?;
        }
        if port == Some(0) {
            return Err(AddressError::BadPort);
        }
        let port = if host.is_some() { port } else { None };
        Ok(Self { ups, host, port })
    }

    /// A UPS on the local server (`upsname` alone).
    pub fn local(ups: UpsName) -> Self {
        Self {
            ups,
            host: None,
            port: None,
        }
    }

    /// The UPS name.
    pub fn ups(&self) -> &UpsName {
        &self.ups
    }

    /// The host as written, if any.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The port as written, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The host, or `localhost` when none was given (as C NUT does).
    pub fn host_or_default(&self) -> &str {
        self.host.as_deref().unwrap_or("localhost")
    }

    /// The port, or [`DEFAULT_PORT`] when none was given.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PORT)
    }
}

fn check_host(host: &str) -> Result<(), AddressError> {
    if host.is_empty() {
        return Err(AddressError::EmptyHost);
    }
    let ok = host.bytes().all(|b| {
        matches!(b, b'!'..=b'~') && !matches!(b, b'@' | b'[' | b']' | b'"' | b'\\' | b'#' | b'=')
    });
    if ok {
        Ok(())
    } else {
        Err(AddressError::BadHost(host.to_owned()))
    }
}

fn parse_port(s: &str) -> Result<u16, AddressError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AddressError::BadPort);
    }
    match s.parse::<u16>() {
        Ok(p) if p >= 1 => Ok(p),
        _ => Err(AddressError::BadPort),
    }
}

impl FromStr for UpsAddress {
    type Err = AddressError;

    /// Parses `upsname[@host[:port]]` as C's `upscli_splitname` does, but strictly: a port
    /// must be all digits, and nothing may follow `]` but `:port`.
    fn from_str(s: &str) -> Result<Self, AddressError> {
        let Some((ups, rest)) = s.split_once('@') else {
            return Ok(Self::local(UpsName::new(s)?));
        };
        let ups = UpsName::new(ups)?;
        if rest.is_empty() {
            return Err(AddressError::EmptyHost);
        }
        let (host, port) = if let Some(literal) = rest.strip_prefix('[') {
            let (host, after) = literal
                .split_once(']')
                .ok_or(AddressError::MissingBracket)?;
            let port = match after {
                "" => None,
                _ => match after.strip_prefix(':') {
                    Some(p) => Some(parse_port(p)?),
                    None => return Err(AddressError::AfterBracket(s.to_owned())),
                },
            };
            (host, port)
        } else {
            match rest.split_once(':') {
                Some((host, port)) => (host, Some(parse_port(port)?)),
                None => (rest, None),
            }
        };
        check_host(host)?;
        Ok(Self {
            ups,
            host: Some(host.to_owned()),
            port,
        })
    }
}

impl TryFrom<&str> for UpsAddress {
    type Error = AddressError;
    fn try_from(s: &str) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl fmt::Display for UpsAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ups.as_str())?;
        if let Some(host) = &self.host {
            if host.contains(':') {
                write!(f, "@[{host}]")?;
            } else {
                write!(f, "@{host}")?;
            }
            if let Some(port) = self.port {
                write!(f, ":{port}")?;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for UpsAddress {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut ups = crate::names::arbitrary_name(u)?;
        ups.retain(|c| c != '@');
        if ups.is_empty() {
            ups.push('u');
        }
        let ups = UpsName::new(ups).map_err(|_| arbitrary::Error::IncorrectFormat)?;
        if !bool::arbitrary(u)? {
            return Ok(Self::local(ups));
        }
        let host = if bool::arbitrary(u)? {
            let mut h = crate::names::arbitrary_name(u)?;
            h.retain(|c| !matches!(c, '@' | '[' | ']' | ':'));
            if h.is_empty() {
                h.push('h');
            }
            h
        } else {
            format!("fe80::{:x}", u16::arbitrary(u)?)
        };
        let port = if bool::arbitrary(u)? {
            Some(u.int_in_range(1..=u16::MAX)?)
        } else {
            None
        };
        Ok(Self {
            ups,
            host: Some(host),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<UpsAddress, AddressError> {
        s.parse()
    }

    #[test]
    fn known_answers() {
        let a = parse("su700@mybox").unwrap();
        assert_eq!(
            (a.ups().as_str(), a.host(), a.port()),
            ("su700", Some("mybox"), None)
        );
        let a = parse("fenton@bigbox:5678").unwrap();
        assert_eq!(a.port_or_default(), 5678);
        let a = parse("u@[2001:db8::1]").unwrap();
        assert_eq!(a.host(), Some("2001:db8::1"));
        assert_eq!(a.port_or_default(), 3493);
        let a = parse("dummy").unwrap();
        assert_eq!(
            (a.host_or_default(), a.port_or_default()),
            ("localhost", 3493)
        );
    }

    #[test]
    fn errors_like_upscli_splitname() {
        assert_eq!(parse("third@"), Err(AddressError::EmptyHost));
        assert_eq!(parse("four@h:0"), Err(AddressError::BadPort));
        assert_eq!(parse("four@h:"), Err(AddressError::BadPort));
        assert_eq!(parse("four@h:65536"), Err(AddressError::BadPort));
        assert_eq!(parse("four@h:12x"), Err(AddressError::BadPort));
        assert_eq!(parse("x@[::1"), Err(AddressError::MissingBracket));
        assert!(matches!(
            parse("x@[::1]z"),
            Err(AddressError::AfterBracket(_))
        ));
        assert!(matches!(parse("@host"), Err(AddressError::Name(_))));
        assert!(matches!(parse("a@b@c"), Err(AddressError::BadHost(_))));
        assert!(matches!(parse(""), Err(AddressError::Name(_))));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "ups",
            "ups@host",
            "ups@host:1",
            "UPS@[::1]",
            "u@[fe80::1]:3493",
        ] {
            let a = parse(s).unwrap();
            assert_eq!(a.to_string(), s);
            assert_eq!(parse(&a.to_string()).unwrap(), a);
        }
        // A bracketed name without a colon needs no brackets.
        assert_eq!(parse("u@[host]:7").unwrap().to_string(), "u@host:7");
    }

    #[test]
    fn constructor_checks() {
        let ups = UpsName::new("u").unwrap();
        assert!(UpsAddress::new(ups.clone(), Some(String::new()), None).is_err());
        assert!(UpsAddress::new(ups.clone(), Some("h".into()), Some(0)).is_err());
        let a = UpsAddress::new(ups.clone(), None, Some(5)).unwrap();
        assert_eq!(a, UpsAddress::local(ups));
    }
}
