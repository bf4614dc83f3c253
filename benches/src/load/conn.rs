//! One client connection of the load generator.
//!
//! The hot path ([`Conn::roundtrip`]) only looks for the end of the reply (the first line,
//! or the `END LIST` line) and for an `ERR` line, so that the load generator spends as little
//! CPU as it can on the machine it shares with the server under test. [`Conn::checked`]
//! decodes a reply fully with nut-proto's [`ResponseAssembler`]; every connection uses it
//! once, before its measured requests, to check that the server answers what we expect.

use std::io;
use std::net::SocketAddr;

use nut_proto::net::{Request, Response, ResponseAssembler, ResponseError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Initial size of a connection's read buffer; it grows for longer replies.
const READ_CHUNK: usize = 4096;

/// What ended a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Connecting or the transport failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server closed the connection.
    #[error("server closed the connection")]
    Closed,
    /// The server answered with an `ERR` line.
    #[error("server answered {0:?}")]
    ErrReply(String),
    /// The reply could not be decoded.
    #[error("bad reply: {0}")]
    BadReply(#[from] ResponseError),
    /// The reply is valid but not the one this workload expects.
    #[error("unexpected reply: {0}")]
    Unexpected(String),
    /// No reply in time.
    #[error("timed out")]
    Timeout,
}

impl LoadError {
    /// A short class name, to count outcomes by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => "refused",
            Self::Io(e) if e.kind() == io::ErrorKind::ConnectionReset => "reset",
            Self::Io(_) => "io error",
            Self::Closed => "closed",
            Self::ErrReply(_) => "ERR reply",
            Self::BadReply(_) | Self::Unexpected(_) => "bad reply",
            Self::Timeout => "no answer",
        }
    }
}

/// How the end of a reply is recognised by [`Conn::roundtrip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyShape {
    /// One line (`VAR …`, `OK`, …).
    Line,
    /// `BEGIN LIST …` up to `END LIST …`.
    List,
}

/// A client connection that sends one request at a time and reads its whole reply.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` holding received data.
    filled: usize,
}

impl Conn {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Self, LoadError> {
        let stream = TcpStream::connect(addr).await?;
        Ok(Self {
            stream,
            buf: vec![0; READ_CHUNK],
            filled: 0,
        })
    }

    /// Sends `request` (one encoded line) and reads until the reply of `shape` is complete.
    /// Returns the number of reply bytes.
    pub async fn roundtrip(
        &mut self,
        request: &[u8],
        shape: ReplyShape,
    ) -> Result<usize, LoadError> {
        self.stream.write_all(request).await?;
        let mut scanned = 0;
        let mut line_start = 0;
        loop {
            while let Some(offset) = self.buf[scanned..self.filled]
                .iter()
                .position(|&b| b == b'\n')
            {
                let end = scanned + offset;
                let line = &self.buf[line_start..end];
                scanned = end + 1;
                let done = if line.starts_with(b"ERR ") {
                    let text = String::from_utf8_lossy(line).into_owned();
                    self.consume(scanned);
                    return Err(LoadError::ErrReply(text));
                } else {
                    match shape {
                        ReplyShape::Line => true,
                        ReplyShape::List => line.starts_with(b"END LIST "),
                    }
                };
                line_start = scanned;
                if done {
                    self.consume(scanned);
                    return Ok(scanned);
                }
            }
            self.fill().await?;
        }
    }

    /// Sends `request` and decodes its whole reply with nut-proto.
    pub async fn checked(&mut self, request: &Request) -> Result<Response, LoadError> {
        self.stream.write_all(request.encode().as_bytes()).await?;
        let mut assembler = ResponseAssembler::new();
        let mut scanned = 0;
        loop {
            while let Some(offset) = self.buf[scanned..self.filled]
                .iter()
                .position(|&b| b == b'\n')
            {
                let end = scanned + offset + 1;
                let line = &self.buf[scanned..end];
                scanned = end;
                if let Some(response) = assembler.push_line(line)? {
                    self.consume(scanned);
                    return Ok(response);
                }
            }
            // Keep unconsumed lines at the front so `scanned` stays valid.
            self.consume(scanned);
            scanned = 0;
            self.fill().await?;
        }
    }

    /// Reads more bytes into the buffer, growing it when full.
    async fn fill(&mut self) -> Result<(), LoadError> {
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.stream.read(&mut self.buf[self.filled..]).await?;
        if n == 0 {
            return Err(LoadError::Closed);
        }
        self.filled += n;
        Ok(())
    }

    /// Drops the first `n` bytes of the buffer.
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }
}
