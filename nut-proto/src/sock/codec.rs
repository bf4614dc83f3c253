//! tokio-util codecs for the driver socket: one for each end of the connection.
//!
//! Decoding runs the streaming [`Tokenizer`] over the bytes as they arrive. A line that does
//! not tokenize or parse is returned as an `Err` *item* ([`DecodeError`]), not as an I/O
//! error, so the stream goes on with the next line, as C does. Blank lines are skipped. A
//! last line without its line feed when the stream ends is dropped (C never acts on it
//! either).

use std::fmt::Write as _;
use std::io;

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::tokenizer::{Limits, Line, TokenizeError, Tokenizer};

use super::driver::DriverMessage;
use super::error::{DecodeError, ParseError};
use super::server::ServerMessage;

/// Feeds `src` to `tok` until a non-blank line is complete, and parses it with `parse`.
fn decode_with<M>(
    tok: &mut Tokenizer,
    src: &mut BytesMut,
    parse: fn(&[String]) -> Result<M, ParseError>,
) -> Option<Result<M, DecodeError>> {
    loop {
        let mut rest: &[u8] = src;
        let before = rest.len();
        let item = tok.feed(&mut rest);
        let consumed = before - rest.len();
        src.advance(consumed);
        let line: Result<Line, TokenizeError> = item?;
        return Some(match line {
            Ok(line) if line.words.is_empty() => continue,
            Ok(line) => parse(&line.words).map_err(|error| DecodeError::Parse {
                line_no: line.line_no,
                error,
            }),
            Err(e) => Err(DecodeError::Tokenize(e)),
        });
    }
}

/// Writes `msg` and a line feed into `dst`.
fn encode_line(msg: &dyn std::fmt::Display, dst: &mut BytesMut) -> io::Result<()> {
    writeln!(dst, "{msg}").map_err(|_| io::Error::other("formatting a socket message failed"))
}

macro_rules! sock_codec {
    ($(#[$doc:meta])* $name:ident, decodes $in:ident, encodes $out:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default)]
        pub struct $name {
            tok: Tokenizer,
        }

        impl $name {
            /// A codec with C NUT's tokenizer limits and the default hard line length.
            pub fn new() -> Self {
                Self::default()
            }

            /// A codec with the given tokenizer limits.
            pub fn with_limits(limits: Limits) -> Self {
                Self {
                    tok: Tokenizer::with_limits(limits),
                }
            }
        }

        impl Decoder for $name {
            type Item = Result<$in, DecodeError>;
            type Error = io::Error;

            fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Self::Item>> {
                Ok(decode_with(&mut self.tok, src, $in::parse))
            }

            fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Self::Item>> {
                let item = self.decode(src)?;
                if item.is_none() {
                    // An unterminated last line is dropped; start clean if the stream resumes.
                    self.tok = Tokenizer::with_limits(self.tok.limits());
                }
                Ok(item)
            }
        }

        impl Encoder<$out> for $name {
            type Error = io::Error;

            fn encode(&mut self, msg: $out, dst: &mut BytesMut) -> io::Result<()> {
                encode_line(&msg, dst)
            }
        }

        impl Encoder<&$out> for $name {
            type Error = io::Error;

            fn encode(&mut self, msg: &$out, dst: &mut BytesMut) -> io::Result<()> {
                encode_line(msg, dst)
            }
        }
    };
}

sock_codec!(
    /// The codec for the upsd end of a driver socket: decodes [`DriverMessage`]s, encodes
    /// [`ServerMessage`]s.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use nut_proto::sock::{DriverMessage, ServerCodec, ServerMessage};
    /// use tokio_util::codec::{Decoder, Encoder};
    ///
    /// let mut codec = ServerCodec::new();
    /// let mut out = BytesMut::new();
    /// codec.encode(ServerMessage::DumpAll, &mut out).unwrap();
    /// assert_eq!(&out[..], b"DUMPALL\n");
    ///
    /// let mut input = BytesMut::from(&b"DATAOK\nDUMPD"[..]);
    /// assert_eq!(codec.decode(&mut input).unwrap(), Some(Ok(DriverMessage::DataOk)));
    /// assert_eq!(codec.decode(&mut input).unwrap(), None);
    /// input.extend_from_slice(b"ONE\n");
    /// assert_eq!(codec.decode(&mut input).unwrap(), Some(Ok(DriverMessage::DumpDone)));
    /// ```
    ServerCodec, decodes DriverMessage, encodes ServerMessage
);

sock_codec!(
    /// The codec for the driver end of a driver socket: decodes [`ServerMessage`]s, encodes
    /// [`DriverMessage`]s.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use nut_proto::sock::{DriverCodec, DriverMessage, ServerMessage};
    /// use tokio_util::codec::{Decoder, Encoder};
    ///
    /// let mut codec = DriverCodec::new();
    /// let mut input = BytesMut::from(&b"PING\n"[..]);
    /// assert_eq!(codec.decode(&mut input).unwrap(), Some(Ok(ServerMessage::Ping)));
    /// let mut out = BytesMut::new();
    /// codec.encode(DriverMessage::Pong, &mut out).unwrap();
    /// assert_eq!(&out[..], b"PONG\n");
    /// ```
    DriverCodec, decodes ServerMessage, encodes DriverMessage
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::VarName;

    #[test]
    fn errors_are_items_and_the_stream_goes_on() {
        let mut codec = ServerCodec::new();
        let mut src = BytesMut::from(
            &b"\n   \nBOGUS\nSETINFO x \"a#b\"\nSETINFO x \"ok\"\nSETAUX x y\nDUMPDONE\n"[..],
        );
        let mut items = Vec::new();
        while let Some(item) = codec.decode(&mut src).unwrap() {
            items.push(item);
        }
        assert!(src.is_empty());
        assert_eq!(items.len(), 5);
        assert_eq!(
            items[0],
            Err(DecodeError::Parse {
                line_no: 3,
                error: ParseError::UnknownCommand {
                    command: "BOGUS".into()
                }
            })
        );
        assert_eq!(
            items[1],
            Err(DecodeError::Tokenize(TokenizeError::HashInQuotes {
                line_no: 4
            }))
        );
        assert_eq!(
            items[2],
            Ok(DriverMessage::SetInfo {
                var: VarName::new("x").unwrap(),
                value: crate::names::Value::new("ok").unwrap()
            })
        );
        assert_eq!(items[3].as_ref().unwrap_err().line_no(), 6);
        assert_eq!(items[4], Ok(DriverMessage::DumpDone));
    }

    #[test]
    fn unterminated_last_line_is_dropped_at_eof() {
        let mut codec = DriverCodec::new();
        let mut src = BytesMut::from(&b"PING\nDUMPA"[..]);
        assert_eq!(
            codec.decode_eof(&mut src).unwrap(),
            Some(Ok(ServerMessage::Ping))
        );
        assert_eq!(codec.decode_eof(&mut src).unwrap(), None);
        let mut src = BytesMut::from(&b"LL\n"[..]);
        assert!(matches!(
            codec.decode(&mut src).unwrap(),
            Some(Err(DecodeError::Parse { .. }))
        ));
    }

    #[test]
    fn too_long_line_is_an_item_error() {
        let mut codec = ServerCodec::with_limits(Limits::c_compatible().with_max_line_len(16));
        let mut src = BytesMut::from(&b"SETINFO x \"0123456789abcdef\"\nPONG\n"[..]);
        assert!(matches!(
            codec.decode(&mut src).unwrap(),
            Some(Err(DecodeError::Tokenize(
                TokenizeError::LineTooLong { .. }
            )))
        ));
        assert_eq!(
            codec.decode(&mut src).unwrap(),
            Some(Ok(DriverMessage::Pong))
        );
    }
}
