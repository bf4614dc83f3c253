//! tokio-util codecs for the network protocol: [`ServerCodec`] and [`ClientCodec`].
//!
//! Thin wrappers over the sans-IO pieces: the streaming [`Tokenizer`] on the server side and
//! the [`ResponseAssembler`] on the client side.

use std::fmt::Write as _;
use std::io;

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::tokenizer::{Limits, Line, TokenizeError, Tokenizer, DEFAULT_MAX_LINE_LEN};

use super::assembler::ResponseAssembler;
use super::request::Request;
use super::response::{Response, ResponseError};

fn write_error(_: std::fmt::Error) -> io::Error {
    io::Error::other("formatting a protocol line failed")
}

/// Server side: decodes request lines into words, encodes [`Response`]s.
///
/// Each item is one tokenized line, or the tokenizer's rejection of one (an unescaped `#`
/// inside quotes, or a line over [`Limits::max_line_len`]) **as data**: the connection goes
/// on with the next line. The server then follows C upsd's order: [`Command::split`] (empty
/// or unknown → `ERR UNKNOWN-COMMAND`), its authentication check, then
/// [`Request::parse_args`]. C upsd sends no reply for a rejected line.
///
/// Decoding consumes input only up to the end of the line it returns, so after `STARTTLS`
/// the bytes already received but not yet decoded stay in the read buffer, where the server
/// can see and refuse them before the TLS handshake. A partial line at end of input is
/// dropped, as C upsd drops it.
///
/// [`Command::split`]: super::Command::split
#[derive(Debug, Clone, Default)]
pub struct ServerCodec {
    tokenizer: Tokenizer,
}

impl ServerCodec {
    /// A codec with C NUT's tokenizer limits and the default hard line length.
    pub fn new() -> Self {
        Self::default()
    }

    /// A codec with the given tokenizer limits.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            tokenizer: Tokenizer::with_limits(limits),
        }
    }
}

impl Decoder for ServerCodec {
    type Item = Result<Line, TokenizeError>;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, io::Error> {
        let mut input: &[u8] = src;
        let line = self.tokenizer.feed(&mut input);
        let consumed = src.len() - input.len();
        src.advance(consumed);
        Ok(line)
    }
}

impl Encoder<&Response> for ServerCodec {
    type Error = io::Error;

    fn encode(&mut self, response: &Response, dst: &mut BytesMut) -> Result<(), io::Error> {
        response.write_to(dst).map_err(write_error)
    }
}

impl Encoder<Response> for ServerCodec {
    type Error = io::Error;

    fn encode(&mut self, response: Response, dst: &mut BytesMut) -> Result<(), io::Error> {
        self.encode(&response, dst)
    }
}

/// Why the client codec stopped: an I/O error, or a reply it could not make sense of.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientCodecError {
    /// The transport failed, or the server closed the connection in the middle of a reply.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The server sent something that is not a valid reply here.
    #[error(transparent)]
    Response(#[from] ResponseError),
}

/// Client side: encodes [`Request`]s, decodes whole [`Response`]s (a list is one item).
///
/// Lines are split at LF and fed to a [`ResponseAssembler`]; a line longer than the limit
/// (default [`DEFAULT_MAX_LINE_LEN`]) is an error before it is even complete. Any decoding
/// error ends the stream: replies can no longer be matched to requests.
#[derive(Debug, Clone)]
pub struct ClientCodec {
    assembler: ResponseAssembler,
    max_line_len: usize,
    /// How far the current buffer has been searched for LF.
    scanned: usize,
}

impl Default for ClientCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientCodec {
    /// A codec with the default line and list limits.
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_LINE_LEN, ResponseAssembler::new())
    }

    /// A codec that rejects lines longer than `max_line_len` bytes (LF excluded) and uses
    /// `assembler` (see [`ResponseAssembler::with_max_list_items`]).
    pub fn with_limits(max_line_len: usize, assembler: ResponseAssembler) -> Self {
        Self {
            assembler,
            max_line_len,
            scanned: 0,
        }
    }

    fn too_long(&self) -> ClientCodecError {
        ResponseError::LineTooLong {
            limit: self.max_line_len,
        }
        .into()
    }
}

impl Decoder for ClientCodec {
    type Item = Response;
    type Error = ClientCodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Response>, ClientCodecError> {
        loop {
            let unscanned = src.get(self.scanned..).unwrap_or_default();
            let Some(offset) = unscanned.iter().position(|&b| b == b'\n') else {
                self.scanned = src.len();
                if src.len() > self.max_line_len {
                    return Err(self.too_long());
                }
                return Ok(None);
            };
            let end = self.scanned + offset;
            if end > self.max_line_len {
                return Err(self.too_long());
            }
            let line = src.split_to(end + 1);
            self.scanned = 0;
            if let Some(response) = self.assembler.push_line(&line)? {
                return Ok(Some(response));
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Response>, ClientCodecError> {
        if let Some(response) = self.decode(src)? {
            return Ok(Some(response));
        }
        if !src.is_empty() || self.assembler.is_in_list() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed in the middle of a reply",
            )
            .into());
        }
        Ok(None)
    }
}

impl Encoder<&Request> for ClientCodec {
    type Error = io::Error;

    fn encode(&mut self, request: &Request, dst: &mut BytesMut) -> Result<(), io::Error> {
        write!(dst, "{request}").map_err(write_error)
    }
}

impl Encoder<Request> for ClientCodec {
    type Error = io::Error;

    fn encode(&mut self, request: Request, dst: &mut BytesMut) -> Result<(), io::Error> {
        self.encode(&request, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_line_limit_applies_before_the_line_ends() {
        let mut codec = ClientCodec::with_limits(8, ResponseAssembler::new());
        let mut buf = BytesMut::from(&b"OK\nERR X"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Response::Ok));
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"YZ1");
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"2");
        assert!(matches!(
            codec.decode(&mut buf),
            Err(ClientCodecError::Response(ResponseError::LineTooLong {
                limit: 8
            }))
        ));
    }

    #[test]
    fn server_codec_stops_at_the_line_end() {
        let mut codec = ServerCodec::new();
        let mut buf = BytesMut::from(&b"STARTTLS\n\x16\x03\x01"[..]);
        let line = codec.decode(&mut buf).unwrap().unwrap().unwrap();
        assert_eq!(line.words, ["STARTTLS"]);
        assert_eq!(&buf[..], b"\x16\x03\x01");
    }
}
