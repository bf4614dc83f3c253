//! The network protocol between NUT clients and upsd (TCP port 3493, RFC 9271), both
//! directions, as C upsd 2.8 speaks it.
//!
//! * [`Request`]: what a client sends. [`Request::decode`] / [`Request::parse`] read one as
//!   C upsd does, giving the ERR code C would send for malformed input
//!   ([`RequestError::code`]); [`Display`](std::fmt::Display) writes one as C's clients do.
//! * [`Response`]: what upsd answers. [`Display`](std::fmt::Display) writes it byte for byte
//!   as C upsd does; [`ReplyLine::decode`] reads one line and [`ResponseAssembler`] joins
//!   lines into whole replies (a LIST is one reply).
//! * [`ErrorCode`]: the `ERR` codes, with C's client messages.
//! * `codec` (feature `codec`, on by default): tokio-util codecs for both sides.
//!
//! Names ([`UpsName`](crate::names::UpsName), …) compare ignoring case but keep the spelling
//! they were made with, so a server built on this module echoes the client's spelling, as C
//! upsd does.
//!
//! ```
//! use nut_proto::net::{Request, Response, ResponseAssembler, ListReply};
//!
//! // Client: encode a request.
//! let req = Request::decode(b"LIST VAR myups\n").unwrap();
//! assert_eq!(req.to_string(), "LIST VAR myups\n");
//!
//! // Server: answer it.
//! let reply = "BEGIN LIST VAR myups\nVAR myups ups.status \"OL\"\nEND LIST VAR myups\n";
//!
//! // Client: decode the reply line by line.
//! let mut asm = ResponseAssembler::new();
//! let mut whole = None;
//! for line in reply.split_inclusive('\n') {
//!     whole = asm.push_line(line.as_bytes()).unwrap();
//! }
//! let Some(Response::List(ListReply::Var { vars, .. })) = whole else { panic!() };
//! assert_eq!(vars[0].value.as_str(), "OL");
//! ```
//!
//! # Differences from C NUT
//!
//! * A word in a name position that is not a valid name gets the ERR code C sends for a name
//!   that matches nothing (see [`RequestError::InvalidName`]). Two corner cases differ: C
//!   answers `GET VAR <any word> server.version` (and `server.info`) even when the first
//!   word is not a valid UPS name, and answers `GET DESC` / `GET CMDDESC` with
//!   "Description unavailable" for any word; here those are `ERR UNKNOWN-UPS` and
//!   `ERR VAR-NOT-SUPPORTED` / `ERR CMD-NOT-SUPPORTED`.
//! * Descriptions (DESC, CMDDESC) are quoted with `\`, `"` and `#` escaped, as C does for
//!   values; C sends cmdvartab text unescaped, which breaks its own clients when the text
//!   holds one of those characters.
//! * Free words that C's clients write unquoted (user name, password, INSTCMD parameter,
//!   tracking id) are quoted when they hold a character a bare word cannot hold.
//! * After a line rejected by the tokenizer, C upsd also drops whatever else it read in the
//!   same `read()`; here only that line is dropped.

#[cfg(feature = "codec")]
#[cfg_attr(docsrs, doc(cfg(feature = "codec")))]
pub mod codec;

mod assembler;
mod error;
mod list;
mod parse;
mod request;
mod response;
mod word;

pub use crate::names::TrackingId;
pub use assembler::{ResponseAssembler, DEFAULT_MAX_LIST_ITEMS};
pub use error::ErrorCode;
pub use list::{ClientEntry, ListItem, ListQuery, ListReply, RangeEntry, UpsEntry, VarEntry};
pub use parse::RequestError;
pub use request::{Command, Request};
pub use response::{ReplyLine, Response, ResponseError, Text, VarKind, VarType, MAX_ERR_EXTRA};

/// The protocol version C upsd 2.8 reports for `NETVER` and `PROTVER`.
pub const PROTOCOL_VERSION: &str = "1.3";

/// The free text C upsd 2.8 sends for `HELP`.
pub const HELP_TEXT: &str =
    "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS";

/// The default TCP port of upsd (IANA-assigned): [`crate::paths::PORT`].
pub const DEFAULT_PORT: u16 = crate::paths::PORT;
