//! [`ErrorCode`]: the `ERR <code>` words of the network protocol.

use std::fmt;
use std::str::FromStr;

/// What C's libupsclient (`upscli_strerror`) says for a code it has no entry for.
const C_UNKNOWN_ERROR: &str = "Unknown error";

macro_rules! error_codes {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $wire:literal, client: $client:expr, $description:literal;
    )*) => {
        /// An error code, as sent in `ERR <code>` replies.
        ///
        /// The list holds every code C upsd 2.8 can send (`server/neterr.h`), the older codes
        /// C's libupsclient still recognises, and the two codes only used as results of tracked
        /// commands (`UNKNOWN`, `FAILED`). Anything else received is kept in
        /// [`Other`](Self::Other).
        ///
        /// [`Display`](fmt::Display) and [`FromStr`] use the wire spelling (`ACCESS-DENIED`);
        /// parsing is exact, as C's client compares it. [`client_message`](Self::client_message)
        /// gives the text C's clients print, [`description`](Self::description) a longer
        /// explanation.
        ///
        /// ```
        /// use nut_proto::net::ErrorCode;
        ///
        /// let code: ErrorCode = "UNKNOWN-UPS".parse().unwrap();
        /// assert_eq!(code, ErrorCode::UnknownUps);
        /// assert_eq!(code.to_string(), "UNKNOWN-UPS");
        /// assert_eq!(code.client_message(), "Unknown UPS");
        /// assert_eq!("NEW-CODE".parse::<ErrorCode>().unwrap(), ErrorCode::Other("NEW-CODE".into()));
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                $(#[$doc])*
                #[doc = concat!("\n\nOn the wire: `", $wire, "`.")]
                $variant,
            )*
            /// A code this crate does not know, as received. Build it only from a single
            /// word that is not one of the known codes: [`FromStr`] never produces it for
            /// a known spelling.
            Other(String),
        }

        impl ErrorCode {
            /// Every known code (all variants but [`Other`](Self::Other)).
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),*];

            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other(code) => code,
                }
            }

            /// The known code spelled exactly `wire`, if any.
            fn known(wire: &str) -> Option<Self> {
                match wire {
                    $($wire => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The message C's libupsclient (`upscli_strerror`) gives for this code, which
            /// C's `upsc`, `upscmd` and `upsrw` print. Codes libupsclient does not map
            /// (such as `INVALID-ARGUMENT` or `FEATURE-NOT-CONFIGURED`) read "Unknown error",
            /// exactly as C prints them.
            pub fn client_message(&self) -> &'static str {
                match self {
                    $(Self::$variant => $client,)*
                    Self::Other(_) => C_UNKNOWN_ERROR,
                }
            }

            /// A one-sentence explanation of the code, for logs and error messages.
            pub fn description(&self) -> &'static str {
                match self {
                    $(Self::$variant => $description,)*
                    Self::Other(_) => "an error code this program does not know",
                }
            }
        }
    };
}

error_codes! {
    /// The user or host may not do this.
    AccessDenied = "ACCESS-DENIED", client: "Access denied",
        "the credentials or the host do not allow this command";
    /// No UPS of that name.
    UnknownUps = "UNKNOWN-UPS", client: "Unknown UPS",
        "no UPS of that name is configured";
    /// The UPS has no such variable (also unknown `server.*` variables).
    VarNotSupported = "VAR-NOT-SUPPORTED", client: "Variable not supported by UPS",
        "the UPS does not have that variable";
    /// The UPS has no such instant command.
    CmdNotSupported = "CMD-NOT-SUPPORTED", client: "Instant command not supported",
        "the UPS does not support that instant command";
    /// Wrong number of arguments or an unknown sub-command; also a failed tracked command
    /// that the driver found invalid.
    InvalidArgument = "INVALID-ARGUMENT", client: C_UNKNOWN_ERROR,
        "the command has a missing, extra or invalid argument";
    /// upsd could not hand the instant command to the driver.
    InstcmdFailed = "INSTCMD-FAILED", client: "Instant command failed",
        "the instant command could not be delivered to the driver";
    /// upsd could not hand the SET to the driver.
    SetFailed = "SET-FAILED", client: "Set command failed",
        "the new value could not be delivered to the driver";
    /// The variable is not writable.
    Readonly = "READONLY", client: "Read-only variable",
        "the variable is read-only";
    /// The value is longer than the variable allows.
    TooLong = "TOO-LONG", client: "New value is too long",
        "the new value is longer than the variable allows";
    /// This server does not support the feature (STARTTLS without TLS support).
    FeatureNotSupported = "FEATURE-NOT-SUPPORTED", client: C_UNKNOWN_ERROR,
        "the server does not support this feature";
    /// The feature is not configured (STARTTLS without a certificate, `GET TRACKING <id>`
    /// without SET TRACKING ON).
    FeatureNotConfigured = "FEATURE-NOT-CONFIGURED", client: C_UNKNOWN_ERROR,
        "the feature is not configured on the server";
    /// STARTTLS on a connection that already uses TLS.
    AlreadySslMode = "ALREADY-SSL-MODE", client: C_UNKNOWN_ERROR,
        "the connection already uses TLS";
    /// The UPS's driver is not connected to upsd.
    DriverNotConnected = "DRIVER-NOT-CONNECTED", client: "Driver not connected",
        "the driver of that UPS is not connected to the server";
    /// The driver's data is stale.
    DataStale = "DATA-STALE", client: "Data stale",
        "the data from that UPS is stale";
    /// LOGIN twice on one connection.
    AlreadyLoggedIn = "ALREADY-LOGGED-IN", client: "Already logged in",
        "this connection already did LOGIN";
    /// The password is not acceptable.
    InvalidPassword = "INVALID-PASSWORD", client: "Invalid password",
        "the password is not valid";
    /// PASSWORD twice on one connection.
    AlreadySetPassword = "ALREADY-SET-PASSWORD", client: "Already set password",
        "this connection already sent PASSWORD";
    /// The user name is not acceptable.
    InvalidUsername = "INVALID-USERNAME", client: "Invalid username",
        "the user name is not valid";
    /// USERNAME twice on one connection.
    AlreadySetUsername = "ALREADY-SET-USERNAME", client: "Already set username",
        "this connection already sent USERNAME";
    /// The command needs USERNAME first.
    UsernameRequired = "USERNAME-REQUIRED", client: "Username required",
        "the command needs USERNAME first";
    /// The command needs PASSWORD first.
    PasswordRequired = "PASSWORD-REQUIRED", client: "Password required",
        "the command needs PASSWORD first";
    /// Empty line or unknown command keyword.
    UnknownCommand = "UNKNOWN-COMMAND", client: "Unknown command",
        "the server does not know that command";
    /// The value is not in the variable's enumeration or range.
    InvalidValue = "INVALID-VALUE", client: "Invalid value for variable",
        "the value is not one the variable accepts";
    /// Older servers: unknown variable.
    VarUnknown = "VAR-UNKNOWN", client: "Variable unknown",
        "the variable is unknown";
    /// Older servers: unknown variable type.
    UnknownType = "UNKNOWN-TYPE", client: "Unknown variable type",
        "the variable type is unknown";
    /// Older servers: unknown instant command.
    UnknownInstcmd = "UNKNOWN-INSTCMD", client: "Unknown instant command",
        "the instant command is unknown";
    /// Older servers: an argument is missing.
    MissingArgument = "MISSING-ARGUMENT", client: "Missing argument",
        "an argument is missing";
    /// Older servers: wrong password.
    PasswordIncorrect = "PASSWORD-INCORRECT", client: "Password incorrect",
        "the password is incorrect";
    /// Older servers: unknown variable.
    UnknownVar = "UNKNOWN-VAR", client: "Unknown variable",
        "the variable is unknown";
    /// Result of `GET TRACKING <id>`: the id is unknown or the driver reported an
    /// unknown failure.
    Unknown = "UNKNOWN", client: C_UNKNOWN_ERROR,
        "the tracking id is unknown, or the command failed for an unknown reason";
    /// Result of `GET TRACKING <id>`: the driver reported that the command failed.
    Failed = "FAILED", client: C_UNKNOWN_ERROR,
        "the driver reported that the command failed";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = std::convert::Infallible;

    /// Never fails: an unknown spelling becomes [`ErrorCode::Other`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned())))
    }
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned()))
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ErrorCode {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let index = u.int_in_range(0..=Self::KNOWN.len())?;
        match Self::KNOWN.get(index) {
            Some(code) => Ok(code.clone()),
            None => {
                // Any single word that is not a known code (possibly quoted on the wire).
                let word = <crate::names::Value as arbitrary::Arbitrary<'a>>::arbitrary(u)?;
                Ok(Self::from(word.as_str()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spellings_round_trip() {
        assert_eq!(ErrorCode::KNOWN.len(), 31);
        for code in ErrorCode::KNOWN {
            let wire = code.to_string();
            assert_eq!(wire.parse::<ErrorCode>().unwrap(), *code);
            assert!(
                wire.bytes().all(|b| b.is_ascii_uppercase() || b == b'-'),
                "{wire}"
            );
            assert!(!code.description().is_empty());
        }
        // Exact match, as C's client compares.
        assert_eq!(
            "access-denied".parse::<ErrorCode>().unwrap(),
            ErrorCode::Other("access-denied".into())
        );
    }

    #[test]
    fn client_messages_match_libupsclient() {
        let cases = [
            (ErrorCode::AccessDenied, "Access denied"),
            (ErrorCode::UnknownUps, "Unknown UPS"),
            (ErrorCode::VarNotSupported, "Variable not supported by UPS"),
            (ErrorCode::CmdNotSupported, "Instant command not supported"),
            (ErrorCode::InvalidArgument, "Unknown error"),
            (ErrorCode::DataStale, "Data stale"),
            (ErrorCode::DriverNotConnected, "Driver not connected"),
            (ErrorCode::Readonly, "Read-only variable"),
            (ErrorCode::TooLong, "New value is too long"),
            (ErrorCode::InvalidValue, "Invalid value for variable"),
            (ErrorCode::UsernameRequired, "Username required"),
            (ErrorCode::FeatureNotConfigured, "Unknown error"),
            (ErrorCode::Other("X".into()), "Unknown error"),
        ];
        for (code, message) in cases {
            assert_eq!(code.client_message(), message, "{code}");
        }
    }
}
