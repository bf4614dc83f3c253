//! The client side of the simulator socket: a Q1 bridge device forwards each complete command
//! it received on its USB side to a simulated UPS served on a Unix socket (`q1-socket PATH`)
//! and gets the serial device's answer back.
//!
//! The wire format is the one `nut_drivers::sim::socket` serves (that crate cannot be linked
//! into this shared object: it links the real libusb): a request is a 4-byte big-endian length
//! and the command bytes as the UPS receives them on its serial side (`Q1\r`); the response a
//! 4-byte big-endian length and the answer bytes as the UPS sends them (length 0: the UPS says
//! nothing).
//!
//! The connection is made at the first command and kept; after an error it is dropped and the
//! next command connects again (the server may have restarted). Reads and writes time out
//! after [`TIMEOUT`].

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a request or a response may take.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// The longest answer accepted from the server.
pub const MAX_ANSWER: usize = 64 * 1024;

/// A lazily connected client of one simulator socket.
#[derive(Debug)]
pub struct Q1Client {
    path: PathBuf,
    stream: Option<UnixStream>,
}

impl Q1Client {
    /// A client of the socket at `path` (nothing is connected yet).
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            stream: None,
        }
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Forgets the connection (the next command connects again).
    pub fn disconnect(&mut self) {
        self.stream = None;
    }

    /// Sends one command and returns the UPS's answer (empty: it says nothing). A kept
    /// connection that fails is replaced by a new one once before giving up.
    pub fn exchange(&mut self, command: &[u8]) -> Result<Vec<u8>, String> {
        let reused = self.stream.is_some();
        match self.try_exchange(command) {
            Ok(answer) => Ok(answer),
            Err(_) if reused => self.try_exchange(command),
            Err(e) => Err(e),
        }
    }

    fn try_exchange(&mut self, command: &[u8]) -> Result<Vec<u8>, String> {
        let stream = match self.stream.as_mut() {
            Some(s) => s,
            None => {
                let s = UnixStream::connect(&self.path)
                    .map_err(|e| format!("cannot connect to {}: {e}", self.path.display()))?;
                s.set_read_timeout(Some(TIMEOUT))
                    .and_then(|()| s.set_write_timeout(Some(TIMEOUT)))
                    .map_err(|e| format!("{}: {e}", self.path.display()))?;
                self.stream.insert(s)
            }
        };
        let result = round_trip(stream, command);
        if result.is_err() {
            self.stream = None;
        }
        result.map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

fn round_trip(stream: &mut UnixStream, command: &[u8]) -> Result<Vec<u8>, String> {
    let len = u32::try_from(command.len()).map_err(|_| "command too long".to_owned())?;
    let mut frame = Vec::with_capacity(4 + command.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(command);
    stream
        .write_all(&frame)
        .map_err(|e| format!("sending the command: {e}"))?;
    let mut head = [0u8; 4];
    stream
        .read_exact(&mut head)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let len = usize::try_from(u32::from_be_bytes(head)).unwrap_or(usize::MAX);
    if len > MAX_ANSWER {
        return Err(format!("answer of {len} bytes (at most {MAX_ANSWER})"));
    }
    let mut answer = vec![0u8; len];
    stream
        .read_exact(&mut answer)
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// Answers each request with its bytes reversed, and closes each connection after
    /// two requests; serves `connections` connections.
    fn reverser(path: &Path, connections: usize) -> std::thread::JoinHandle<()> {
        let listener = UnixListener::bind(path).unwrap_or_else(|e| panic!("{e}"));
        std::thread::spawn(move || {
            for stream in listener.incoming().take(connections) {
                let Ok(mut stream) = stream else { return };
                let mut head = [0u8; 4];
                for _ in 0..2 {
                    if stream.read_exact(&mut head).is_err() {
                        break;
                    }
                    let mut body = vec![0u8; u32::from_be_bytes(head) as usize];
                    if stream.read_exact(&mut body).is_err() {
                        break;
                    }
                    body.reverse();
                    let mut out = u32::try_from(body.len())
                        .unwrap_or(0)
                        .to_be_bytes()
                        .to_vec();
                    out.extend(body);
                    if stream.write_all(&out).is_err() {
                        break;
                    }
                }
            }
        })
    }

    #[test]
    fn connects_lazily_and_again_after_an_error() {
        let dir = std::env::temp_dir().join(format!("q1-client-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let mut client = Q1Client::new(&path);
        assert_eq!(client.path(), path);
        let e = client.exchange(b"Q1\r").err().unwrap_or_default();
        assert!(e.contains("cannot connect"), "{e}");
        let server = reverser(&path, 2);
        assert_eq!(client.exchange(b"Q1\r"), Ok(b"\r1Q".to_vec()));
        assert_eq!(client.exchange(b""), Ok(Vec::new()));
        // The server closed the connection: the client connects again within the exchange.
        assert_eq!(client.exchange(b"F\r"), Ok(b"\rF".to_vec()));
        assert_eq!(client.exchange(b"I\r"), Ok(b"\rI".to_vec()));
        // No server any more.
        let _ = server.join();
        let e = client.exchange(b"Q1\r").err().unwrap_or_default();
        assert!(e.contains("s.sock"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
