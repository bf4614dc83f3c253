//! The driver socket protocol: what a driver and upsd say to each other.
//!
//! Every driver listens on a Unix socket `<STATEPATH>/<driver>-<upsname>` (mode 0660, no other
//! access control). upsd connects, sends `DUMPALL`, and from then on reads a stream of
//! [`DriverMessage`]s: the answer to the dump, then every change as it happens. It sends
//! [`ServerMessage`]s: `PING` when the driver has been silent, and `INSTCMD`/`SET` for
//! clients. Both ends split lines with the same tokenizer as every other NUT text
//! ([`crate::tokenizer`]), so values travel quoted with `\`, `"` and `#` escaped.
//!
//! This module is sans-IO: parse words or lines with [`DriverMessage::parse`] /
//! [`ServerMessage::parse`] (or `parse_line`), encode with `Display` / `to_line`. With the
//! `codec` feature, [`ServerCodec`] and [`DriverCodec`] wrap both for tokio-util.
//!
//! ```
//! use nut_proto::sock::{DriverMessage, Flags, ServerMessage};
//!
//! // upsd asks, the driver answers.
//! assert_eq!(ServerMessage::DumpAll.to_line(), "DUMPALL\n");
//! let answer = "SETINFO ups.id \"hash\\#tag\"\nSETAUX ups.id 16\nSETFLAGS ups.id RW STRING\n";
//! let msgs: Vec<_> = answer
//!     .lines()
//!     .map(|l| DriverMessage::parse_line(l.as_bytes()).unwrap())
//!     .collect();
//! let DriverMessage::SetFlags { flags, .. } = &msgs[2] else { panic!() };
//! assert_eq!(*flags, Flags::new(true, true, false));
//! let again: String = msgs.iter().map(DriverMessage::to_line).collect();
//! assert_eq!(again, answer);
//! ```
//!
//! Compatibility notes (C NUT 2.8.0 is the reference; later commands are marked with the
//! version that added them): keywords ignore case; extra words at the end of a line are
//! ignored; lines that do not parse are logged by C drivers and silently ignored by C upsd,
//! never answered (see [`ParseError`]). Where C's own output is broken this module writes
//! what C meant, and says so on the variant: unescaped values in a C driver's change
//! broadcasts ([`DriverMessage::SetInfo`]), INSTCMD parameters with spaces
//! ([`ServerMessage::InstCmd`]), SETFLAGS without flags ([`DriverMessage::SetFlags`]).

#[cfg(feature = "codec")]
mod codec;
mod driver;
mod error;
mod flags;
mod server;
mod tracking;
mod words;

pub use crate::names::TrackingId;
#[cfg(feature = "codec")]
#[cfg_attr(docsrs, doc(cfg(feature = "codec")))]
pub use codec::{DriverCodec, ServerCodec};
pub use driver::DriverMessage;
pub use error::{DecodeError, ParseError};
pub use flags::{Flag, Flags, MAX_FLAGS};
pub use server::ServerMessage;
pub use tracking::TrackingStatus;

/// The file name of a driver's socket in the state directory: `<driver>-<upsname>`.
///
/// ```
/// assert_eq!(nut_proto::sock::socket_name("dummy-ups", "myups"), "dummy-ups-myups");
/// ```
pub fn socket_name(driver: &str, ups: &str) -> String {
    format!("{driver}-{ups}")
}
