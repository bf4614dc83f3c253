//! Tracking of SET and INSTCMD requests: the result code the driver sends back for a tracked
//! request (the id is [`TrackingId`](crate::names::TrackingId), shared with the network
//! protocol).

use std::fmt;

/// The result a driver reports for a tracked request: `TRACKING <id> <code>`.
///
/// The codes are the return values of a driver's `instcmd`/`setvar` handlers. upsd turns them
/// into the answer of the network protocol's `GET TRACKING <id>` ([`net_reply`]).
///
/// [`net_reply`]: Self::net_reply
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrackingStatus {
    /// `0`: done successfully.
    Handled,
    /// `1`: an unspecified error; also what drivers answer for a command or variable they do
    /// not know.
    Unknown,
    /// `2`: the command or value is invalid (not writable, out of range, …).
    Invalid,
    /// `3`: the device refused or the request failed.
    Failed,
    /// `4`: the value could not be converted (added in NUT 2.8.1).
    ConversionFailed,
    /// Any other code. Never built for 0–4 by [`from_code`](Self::from_code).
    Other(i32),
}

impl TrackingStatus {
    /// The status for a numeric code; codes 0–4 map to the named variants.
    pub fn from_code(code: i32) -> Self {
        match code {
            0 => Self::Handled,
            1 => Self::Unknown,
            2 => Self::Invalid,
            3 => Self::Failed,
            4 => Self::ConversionFailed,
            other => Self::Other(other),
        }
    }

    /// The numeric code written on the socket.
    pub fn code(self) -> i32 {
        match self {
            Self::Handled => 0,
            Self::Unknown => 1,
            Self::Invalid => 2,
            Self::Failed => 3,
            Self::ConversionFailed => 4,
            Self::Other(code) => code,
        }
    }

    /// Whether the request succeeded.
    pub fn is_success(self) -> bool {
        self == Self::Handled
    }

    /// What upsd answers to `GET TRACKING <id>` once this result has arrived: `SUCCESS`,
    /// `ERR UNKNOWN`, `ERR INVALID-ARGUMENT` or `ERR FAILED`.
    ///
    /// Codes 2 and 4 both give `ERR INVALID-ARGUMENT`, as in NUT 2.8.1 and later (upsd 2.8.0,
    /// which predates code 4, answers `ERR UNKNOWN` for it). Any other code gives
    /// `ERR UNKNOWN` (upsd 2.8.0 answers `PENDING` for `-1`, which leaves the client waiting
    /// for a result that will never change).
    pub fn net_reply(self) -> &'static str {
        match self {
            Self::Handled => "SUCCESS",
            Self::Invalid | Self::ConversionFailed => "ERR INVALID-ARGUMENT",
            Self::Failed => "ERR FAILED",
            Self::Unknown | Self::Other(_) => "ERR UNKNOWN",
        }
    }
}

impl From<i32> for TrackingStatus {
    fn from(code: i32) -> Self {
        Self::from_code(code)
    }
}

impl From<TrackingStatus> for i32 {
    fn from(status: TrackingStatus) -> Self {
        status.code()
    }
}

impl fmt::Display for TrackingStatus {
    /// Writes the numeric code, as on the socket.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for TrackingStatus {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::from_code(i32::arbitrary(u)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_net_replies() {
        let table = [
            (0, TrackingStatus::Handled, "SUCCESS"),
            (1, TrackingStatus::Unknown, "ERR UNKNOWN"),
            (2, TrackingStatus::Invalid, "ERR INVALID-ARGUMENT"),
            (3, TrackingStatus::Failed, "ERR FAILED"),
            (4, TrackingStatus::ConversionFailed, "ERR INVALID-ARGUMENT"),
            (5, TrackingStatus::Other(5), "ERR UNKNOWN"),
            (-1, TrackingStatus::Other(-1), "ERR UNKNOWN"),
        ];
        for (code, status, reply) in table {
            assert_eq!(TrackingStatus::from_code(code), status);
            assert_eq!(status.code(), code);
            assert_eq!(status.to_string(), code.to_string());
            assert_eq!(status.net_reply(), reply);
        }
        assert!(TrackingStatus::Handled.is_success());
        assert!(!TrackingStatus::Failed.is_success());
    }

    #[test]
    fn any_tracking_id_survives_the_socket() {
        use crate::names::{CmdName, TrackingId};
        use crate::sock::{DriverMessage, ServerMessage};
        for id in ["2DDC5036-F665-4D29-BE4C-0374D091D263", "a b", "q\"uote", ""] {
            let id = TrackingId::new(id).unwrap();
            let msg = ServerMessage::InstCmd {
                cmd: CmdName::new("load.off").unwrap(),
                param: None,
                tracking: Some(id.clone()),
            };
            let back = ServerMessage::parse_line(msg.to_line().as_bytes()).unwrap();
            assert_eq!(back.tracking().map(TrackingId::as_str), Some(id.as_str()));
            let reply = DriverMessage::Tracking {
                id: id.clone(),
                status: TrackingStatus::Handled,
            };
            let back = DriverMessage::parse_line(reply.to_line().as_bytes()).unwrap();
            assert_eq!(back.to_line(), reply.to_line());
        }
    }
}
