//! The serial transport the serial drivers (`nutdrv_qx`, `apcsmart`) talk through.
//!
//! A driver never touches a file descriptor: it holds a `Box<dyn SerialPort>`. The real
//! implementation is [`TokioSerial`] (tokio-serial, any tty or pseudo-terminal); tests and
//! the simulators plug in other implementations (an in-memory device model, a replay of
//! recorded bytes).
//!
//! C NUT's serial drivers flush the input, send a command and read one reply line with a
//! timeout ([`read_until`] does the reading part).
//!
//! ```
//! use nut_drivers::serial::{read_until, SerialPort};
//! # use std::io;
//! # use async_trait::async_trait;
//! // A port that answers every write with "(ACK\r".
//! struct Echo(Vec<u8>);
//! #[async_trait]
//! impl SerialPort for Echo {
//!     async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
//!         self.0.extend_from_slice(b"(ACK\r");
//!         let _ = data;
//!         Ok(())
//!     }
//!     async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
//!         let n = self.0.len().min(buf.len());
//!         buf[..n].copy_from_slice(&self.0[..n]);
//!         self.0.drain(..n);
//!         if n == 0 { std::future::pending::<()>().await; }
//!         Ok(n)
//!     }
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut port = Echo(Vec::new());
//! port.write_all(b"Q\r").await.unwrap();
//! let line = read_until(&mut port, b'\r', 64, std::time::Duration::from_secs(1)).await.unwrap();
//! assert_eq!(line, b"(ACK\r");
//! # }
//! ```

use std::io;
use std::time::Duration;

use async_trait::async_trait;

#[cfg(feature = "serial")]
mod tokio_port;
#[cfg(feature = "serial")]
pub use tokio_port::{Parity, SerialSettings, TokioSerial};

/// A byte stream to a serial device. Object safe.
#[async_trait]
pub trait SerialPort: Send {
    /// Writes all of `data`.
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()>;

    /// Reads at least one byte into `buf` (waiting as long as it takes) and returns how many.
    /// Must be cancel safe: a byte read is never lost when the future is dropped after
    /// returning it.
    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize>;

    /// Throws away whatever the device sent and nobody read yet (C's `ser_flush_in`).
    fn discard_input(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Sets the DTR line (cable power). Ports without modem lines ignore it.
    fn set_dtr(&mut self, on: bool) -> io::Result<()> {
        let _ = on;
        Ok(())
    }

    /// Sets the RTS line (cable power). Ports without modem lines ignore it.
    fn set_rts(&mut self, on: bool) -> io::Result<()> {
        let _ = on;
        Ok(())
    }
}

/// Reads bytes until `terminator` (included in the result), `max` bytes, or `timeout`.
///
/// On a timeout, returns what arrived so far (possibly nothing), as C's `ser_get_buf`
/// returns a partial or empty buffer: a short reply is the parser's problem, not the
/// transport's. An I/O error is returned as it is.
pub async fn read_until(
    port: &mut (impl SerialPort + ?Sized),
    terminator: u8,
    max: usize,
    timeout: Duration,
) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut byte = [0u8; 1];
    while out.len() < max {
        match tokio::time::timeout_at(deadline, port.read_some(&mut byte)).await {
            Err(_elapsed) => break,
            Ok(Ok(0)) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "serial port closed",
                ))
            }
            Ok(Ok(_)) => {
                out.push(byte[0]);
                if byte[0] == terminator {
                    break;
                }
            }
            Ok(Err(e)) => return Err(e),
        }
    }
    Ok(out)
}

/// Reads whatever arrives within `timeout` (at most `max` bytes), stopping early when
/// `done` says the bytes so far are a complete reply.
pub async fn read_while(
    port: &mut (impl SerialPort + ?Sized),
    max: usize,
    timeout: Duration,
    done: impl Fn(&[u8]) -> bool + Send,
) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 64];
    while out.len() < max && !done(&out) {
        match tokio::time::timeout_at(deadline, port.read_some(&mut buf)).await {
            Err(_elapsed) => break,
            Ok(Ok(0)) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "serial port closed",
                ))
            }
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Script(Vec<u8>);

    #[async_trait]
    impl SerialPort for Script {
        async fn write_all(&mut self, _data: &[u8]) -> io::Result<()> {
            Ok(())
        }
        async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                std::future::pending::<()>().await;
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Ok(n)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn reads_a_line_or_times_out() {
        let mut p = Script(b"(1 2\rrest".to_vec());
        let t = Duration::from_secs(1);
        assert_eq!(read_until(&mut p, b'\r', 100, t).await.unwrap(), b"(1 2\r");
        assert_eq!(read_until(&mut p, b'\r', 100, t).await.unwrap(), b"rest");
        assert_eq!(read_until(&mut p, b'\r', 100, t).await.unwrap(), b"");
        let mut p = Script(b"abcdef".to_vec());
        assert_eq!(read_until(&mut p, b'\r', 3, t).await.unwrap(), b"abc");
        let got = read_while(&mut p, 100, t, |b| b.ends_with(b"e"))
            .await
            .unwrap();
        assert_eq!(got, b"def");
    }
}
