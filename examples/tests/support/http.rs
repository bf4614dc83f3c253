//! A minimal HTTP/1.1 client for the tests of web servers: one request per connection.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response: status, header block, body (chunked transfer decoded).
pub(crate) struct Reply {
    /// The status code.
    pub(crate) status: u16,
    /// The header lines, as sent.
    pub(crate) head: String,
    /// The body.
    pub(crate) body: Vec<u8>,
}

/// One request to 127.0.0.1:`port`; `headers` are extra `Name: value` lines.
pub(crate) fn request(port: u16, method: &str, path: &str, headers: &[&str], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    for h in headers {
        req += &format!("{h}\r\n");
    }
    req += &format!("Content-Length: {}\r\n\r\n", body.len());
    stream.write_all(req.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head[9..12].parse().unwrap();
    let rest = &raw[split + 4..];
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Reply {
            status,
            head,
            body: rest.to_vec(),
        };
    }
    let (mut rest, mut out) = (rest, Vec::new());
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..eol]).unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&rest[eol + 2..eol + 2 + n]);
        rest = &rest[eol + 2 + n + 2..];
    }
    Reply {
        status,
        head,
        body: out,
    }
}
