//! An SNMPv3 user as `snmp-ups` is configured: C NUT's options `secLevel`, `secName`,
//! `authPassword`, `privPassword`, `authProtocol` and `privProtocol`.
//!
//! Differences from C NUT 2.8.0 (`drivers/snmp-ups.c`, `nut_snmp_init`):
//! - `authProtocol` also takes `SHA224` (HMAC-SHA-224, RFC 7860), which C does not offer;
//! - `privProtocol` also takes `AES192C` and `AES256C`, net-snmp's names for the Reeder key
//!   extension (Cisco's); C offers only `AES192`/`AES256` (Blumenthal), and only when net-snmp
//!   was built with them;
//! - a password shorter than 8 characters is refused here with a message that says so, where C
//!   passes it to net-snmp, whose `generate_Ku` refuses it and C says "Error generating Ku from
//!   authentication pass phrase";
//! - C takes the context name from net-snmp's `snmp.conf` (`defContext`); here it is the field
//!   [`UsmConfig::context`], empty unless the driver sets it.

use std::fmt;

use zeroize::Zeroizing;

/// RFC 3414 §3.1.2: which of authentication and privacy a message has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum SecurityLevel {
    /// Neither authenticated nor encrypted (C NUT's default).
    #[default]
    NoAuthNoPriv,
    /// Authenticated, not encrypted.
    AuthNoPriv,
    /// Authenticated and encrypted.
    AuthPriv,
}

impl SecurityLevel {
    /// The name C NUT and net-snmp use (`authPriv`).
    pub fn name(self) -> &'static str {
        match self {
            Self::NoAuthNoPriv => "noAuthNoPriv",
            Self::AuthNoPriv => "authNoPriv",
            Self::AuthPriv => "authPriv",
        }
    }

    /// Whether messages are authenticated.
    pub fn auth(self) -> bool {
        self != Self::NoAuthNoPriv
    }

    /// Whether messages are encrypted.
    pub fn privacy(self) -> bool {
        self == Self::AuthPriv
    }
}

impl fmt::Display for SecurityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The authentication protocol: HMAC with one hash, its MAC truncated (RFC 3414 §6–7, RFC 7860).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum AuthProtocol {
    /// HMAC-MD5-96 (`MD5`, C NUT's default).
    #[default]
    Md5,
    /// HMAC-SHA-96 (`SHA`).
    Sha1,
    /// usmHMAC128SHA224AuthProtocol (`SHA224`, not in C NUT).
    Sha224,
    /// usmHMAC192SHA256AuthProtocol (`SHA256`).
    Sha256,
    /// usmHMAC256SHA384AuthProtocol (`SHA384`).
    Sha384,
    /// usmHMAC384SHA512AuthProtocol (`SHA512`).
    Sha512,
}

impl AuthProtocol {
    /// Every protocol, in the order C NUT lists them.
    pub const ALL: [Self; 6] = [
        Self::Md5,
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
    ];

    /// The `authProtocol` value that names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA",
            Self::Sha224 => "SHA224",
            Self::Sha256 => "SHA256",
            Self::Sha384 => "SHA384",
            Self::Sha512 => "SHA512",
        }
    }

    /// Length of the hash, which is also the length of the keys.
    pub fn key_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// Length of the truncated MAC carried in msgAuthenticationParameters.
    pub fn mac_len(self) -> usize {
        match self {
            Self::Md5 | Self::Sha1 => 12,
            Self::Sha224 => 16,
            Self::Sha256 => 24,
            Self::Sha384 => 32,
            Self::Sha512 => 48,
        }
    }
}

impl std::str::FromStr for AuthProtocol {
    type Err = ConfigError;

    /// Reads an `authProtocol` value, exactly as C NUT spells it (case matters).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ConfigError::BadAuthProtocol(s.to_owned()))
    }
}

impl fmt::Display for AuthProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The privacy (encryption) protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum PrivProtocol {
    /// CBC-DES (RFC 3414 §8, `DES`, C NUT's default).
    #[default]
    Des,
    /// CFB128-AES-128 (RFC 3826, `AES`).
    Aes128,
    /// CFB128-AES-192, key extended as draft-blumenthal-aes-usm-04 says (`AES192`).
    Aes192,
    /// CFB128-AES-256, key extended as draft-blumenthal-aes-usm-04 says (`AES256`).
    Aes256,
    /// CFB128-AES-192, key extended as draft-reeder-snmpv3-usm-3desede says, as Cisco does
    /// (`AES192C`, not in C NUT).
    Aes192Reeder,
    /// CFB128-AES-256, key extended as draft-reeder-snmpv3-usm-3desede says, as Cisco does
    /// (`AES256C`, not in C NUT).
    Aes256Reeder,
}

impl PrivProtocol {
    /// Every protocol.
    pub const ALL: [Self; 6] = [
        Self::Des,
        Self::Aes128,
        Self::Aes192,
        Self::Aes256,
        Self::Aes192Reeder,
        Self::Aes256Reeder,
    ];

    /// The `privProtocol` value that names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Des => "DES",
            Self::Aes128 => "AES",
            Self::Aes192 => "AES192",
            Self::Aes256 => "AES256",
            Self::Aes192Reeder => "AES192C",
            Self::Aes256Reeder => "AES256C",
        }
    }

    /// How many bytes of (possibly extended) localized key the protocol uses: DES takes its key
    /// and its pre-IV from the first 16.
    pub fn key_len(self) -> usize {
        match self {
            Self::Des | Self::Aes128 => 16,
            Self::Aes192 | Self::Aes192Reeder => 24,
            Self::Aes256 | Self::Aes256Reeder => 32,
        }
    }
}

impl std::str::FromStr for PrivProtocol {
    type Err = ConfigError;

    /// Reads a `privProtocol` value, exactly as C NUT and net-snmp spell it (case matters).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ConfigError::BadPrivProtocol(s.to_owned()))
    }
}

impl fmt::Display for PrivProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A pass phrase: wiped from memory when dropped, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a pass phrase.
    pub fn new(phrase: impl Into<String>) -> Self {
        Self(Zeroizing::new(phrase.into()))
    }

    /// The pass phrase's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The shortest pass phrase net-snmp (and so C NUT) accepts, which RFC 3414 §11.2 recommends.
pub const MIN_PASSWORD_LEN: usize = 8;

/// An SNMPv3 user and how to talk to the agent as that user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsmConfig {
    /// `secLevel`.
    pub level: SecurityLevel,
    /// `secName`: the user name.
    pub user: String,
    /// The context name (which MIB view of the agent; snmpsimd chooses its recording by it).
    pub context: String,
    /// `authProtocol` (the hash also turns the privacy pass phrase into a key).
    pub auth_protocol: AuthProtocol,
    /// `authPassword`: needed from `authNoPriv` on.
    pub auth_password: Option<Password>,
    /// `privProtocol`.
    pub priv_protocol: PrivProtocol,
    /// `privPassword`: needed at `authPriv`.
    pub priv_password: Option<Password>,
}

impl UsmConfig {
    /// A user at `noAuthNoPriv`, with C NUT's default protocols and an empty context.
    pub fn new(user: impl Into<String>) -> Self {
        Self {
            level: SecurityLevel::NoAuthNoPriv,
            user: user.into(),
            context: String::new(),
            auth_protocol: AuthProtocol::default(),
            auth_password: None,
            priv_protocol: PrivProtocol::default(),
            priv_password: None,
        }
    }

    /// Reads C NUT's `snmp-ups` options (`snmp_version = v3`), `option(name)` giving a value
    /// from ups.conf. Follows C: `secLevel` defaults to `noAuthNoPriv`, `secName` is always
    /// required, `authProtocol` defaults to `MD5` and `privProtocol` to `DES`, both checked at
    /// every level; the passwords are required at the levels that use them.
    pub fn from_nut_options<'a>(
        option: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, ConfigError> {
        let level = match option("secLevel") {
            None | Some("noAuthNoPriv") => SecurityLevel::NoAuthNoPriv,
            Some("authNoPriv") => SecurityLevel::AuthNoPriv,
            Some("authPriv") => SecurityLevel::AuthPriv,
            Some(other) => return Err(ConfigError::BadSecurityLevel(other.to_owned())),
        };
        let user = option("secName").ok_or(ConfigError::MissingSecurityName)?;
        let config = Self {
            level,
            user: user.to_owned(),
            context: String::new(),
            auth_protocol: option("authProtocol").unwrap_or("MD5").parse()?,
            auth_password: option("authPassword").map(Password::new),
            priv_protocol: option("privProtocol").unwrap_or("DES").parse()?,
            priv_password: option("privPassword").map(Password::new),
        };
        config.check()?;
        Ok(config)
    }

    /// Checks that the passwords the level needs are there and long enough.
    pub fn check(&self) -> Result<(), ConfigError> {
        match self.level {
            SecurityLevel::NoAuthNoPriv => {}
            SecurityLevel::AuthNoPriv => {
                if self.auth_password.is_none() {
                    return Err(ConfigError::MissingAuthPassword(self.level));
                }
            }
            SecurityLevel::AuthPriv => {
                if self.auth_password.is_none() || self.priv_password.is_none() {
                    return Err(ConfigError::MissingPasswords(self.level));
                }
            }
        }
        if self.level.auth() {
            let short = |p: &Option<Password>| {
                p.as_ref()
                    .is_some_and(|p| p.as_bytes().len() < MIN_PASSWORD_LEN)
            };
            if short(&self.auth_password) {
                return Err(ConfigError::ShortPassword("authPassword"));
            }
            if self.level.privacy() && short(&self.priv_password) {
                return Err(ConfigError::ShortPassword("privPassword"));
            }
        }
        Ok(())
    }
}

/// Why an SNMPv3 configuration is refused (C NUT's messages where C has one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `secLevel` is none of the three.
    #[error("Bad SNMPv3 securityLevel: {0}")]
    BadSecurityLevel(String),
    /// No `secName`.
    #[error("securityName is required for SNMPv3")]
    MissingSecurityName,
    /// `authNoPriv` without `authPassword`.
    #[error("authPassword is required for SNMPv3 in {0} mode")]
    MissingAuthPassword(SecurityLevel),
    /// `authPriv` without one of the passwords.
    #[error("authPassword and privPassword are required for SNMPv3 in {0} mode")]
    MissingPasswords(SecurityLevel),
    /// An unknown `authProtocol`.
    #[error("Bad SNMPv3 authProtocol: {0}")]
    BadAuthProtocol(String),
    /// An unknown `privProtocol`.
    #[error("Bad SNMPv3 privProtocol: {0}")]
    BadPrivProtocol(String),
    /// A pass phrase under [`MIN_PASSWORD_LEN`] characters (the option's name).
    #[error("{0} must be at least 8 characters long (net-snmp refuses shorter pass phrases)")]
    ShortPassword(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<UsmConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        UsmConfig::from_nut_options(|k| map.get(k).map(String::as_str))
    }

    #[test]
    fn c_defaults_and_values() {
        let c = parse(&[("secName", "nut")]).unwrap();
        assert_eq!(c.level, SecurityLevel::NoAuthNoPriv);
        assert_eq!(c.auth_protocol, AuthProtocol::Md5);
        assert_eq!(c.priv_protocol, PrivProtocol::Des);
        let c = parse(&[
            ("secName", "nut"),
            ("secLevel", "authPriv"),
            ("authPassword", "12345678"),
            ("privPassword", "abcdefgh"),
            ("authProtocol", "SHA512"),
            ("privProtocol", "AES256C"),
        ])
        .unwrap();
        assert_eq!(c.level, SecurityLevel::AuthPriv);
        assert_eq!(c.auth_protocol, AuthProtocol::Sha512);
        assert_eq!(c.priv_protocol, PrivProtocol::Aes256Reeder);
        for p in AuthProtocol::ALL {
            assert_eq!(p.name().parse::<AuthProtocol>().unwrap(), p);
        }
        for p in PrivProtocol::ALL {
            assert_eq!(p.name().parse::<PrivProtocol>().unwrap(), p);
        }
    }

    #[test]
    fn c_error_messages() {
        let err = |pairs: &[(&str, &str)]| parse(pairs).unwrap_err().to_string();
        assert_eq!(
            err(&[("secName", "u"), ("secLevel", "authpriv")]),
            "Bad SNMPv3 securityLevel: authpriv"
        );
        assert_eq!(err(&[]), "securityName is required for SNMPv3");
        assert_eq!(
            err(&[("secName", "u"), ("secLevel", "authNoPriv")]),
            "authPassword is required for SNMPv3 in authNoPriv mode"
        );
        assert_eq!(
            err(&[
                ("secName", "u"),
                ("secLevel", "authPriv"),
                ("authPassword", "12345678")
            ]),
            "authPassword and privPassword are required for SNMPv3 in authPriv mode"
        );
        // Checked whatever the level, as C does.
        assert_eq!(
            err(&[("secName", "u"), ("authProtocol", "sha")]),
            "Bad SNMPv3 authProtocol: sha"
        );
        assert_eq!(
            err(&[("secName", "u"), ("privProtocol", "3DES")]),
            "Bad SNMPv3 privProtocol: 3DES"
        );
        assert_eq!(
            err(&[
                ("secName", "u"),
                ("secLevel", "authNoPriv"),
                ("authPassword", "short")
            ]),
            "authPassword must be at least 8 characters long (net-snmp refuses shorter pass phrases)"
        );
    }

    #[test]
    fn passwords_never_shown() {
        let mut c = UsmConfig::new("u");
        c.auth_password = Some(Password::new("maplesyrup"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("maplesyrup"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
