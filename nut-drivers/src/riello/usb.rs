//! The USB side of `riello_usb` (work in progress: the framing and the link, not yet wired
//! to the USB layer). Riello's USB units (04b4:5500) hide a serial GPSER unit behind a
//! Cypress-style bridge with bulk endpoints: a request goes out on bulk OUT `02` in 8-byte
//! packets whose first byte is `0x37` for seven data bytes or `0x30 + n` for the last `n`
//! (the rest of that packet `'0'`), 200 ms apart; replies come on bulk IN `81` in 8-byte
//! packets whose first byte's low three bits count the data bytes after it. Before the
//! identification C sends a feature report (`SET_REPORT` type 3, `b0 04 00 00 03`).
//!
//! ```
//! use nut_drivers::riello::usb::{packets, unpack};
//!
//! let p = packets(b"\x02\x20\x22GI000132\x03");
//! assert_eq!(p.len(), 2);
//! assert_eq!(p[0], *b"\x37\x02\x20\x22GI00");
//! assert_eq!(p[1], *b"\x350132\x0300");
//! assert_eq!(unpack(&p[1]), b"0132\x03");
//! ```

use std::io;
use std::time::Duration;

use async_trait::async_trait;

use super::frame::{Kind, Receiver};
use super::Link;

/// The bulk OUT endpoint requests go to.
pub const EP_OUT: u8 = 0x02;
/// The bulk IN endpoint replies come from.
pub const EP_IN: u8 = 0x81;
/// The pause after each packet sent (C's `USB_WRITE_DELAY`).
pub const WRITE_DELAY: Duration = Duration::from_millis(200);
/// Packets read for one reply before C stops waiting.
pub const MAX_READS: usize = 300;

/// A request cut into the bridge's 8-byte packets.
pub fn packets(request: &[u8]) -> Vec<[u8; 8]> {
    request
        .chunks(7)
        .map(|chunk| {
            let mut p = [b'0'; 8];
            p[0] = if chunk.len() == 7 {
                0x37
            } else {
                0x30 + chunk.len() as u8
            };
            p[1..=chunk.len()].copy_from_slice(chunk);
            p
        })
        .collect()
}

/// The data bytes of a packet received (its count is the low three bits of the first).
pub fn unpack(packet: &[u8]) -> &[u8] {
    let Some(&first) = packet.first() else {
        return &[];
    };
    let n = usize::from(first & 7).min(packet.len() - 1);
    &packet[1..=n]
}

/// Bulk transfers to and from the bridge.
#[async_trait]
pub trait BulkPipe: Send {
    /// Writes `data` to `endpoint`.
    async fn bulk_write(&mut self, endpoint: u8, data: &[u8], timeout: Duration) -> io::Result<()>;
    /// Reads up to `len` bytes from `endpoint`; a timeout is an error of kind `TimedOut`.
    async fn bulk_read(
        &mut self,
        endpoint: u8,
        len: usize,
        timeout: Duration,
    ) -> io::Result<Vec<u8>>;
}

/// A [`Link`] through the bridge.
pub struct UsbLink<P> {
    pipe: P,
}

impl<P: BulkPipe> UsbLink<P> {
    /// A link over `pipe`.
    pub fn new(pipe: P) -> Self {
        Self { pipe }
    }
}

#[async_trait]
impl<P: BulkPipe> Link for UsbLink<P> {
    async fn exchange(
        &mut self,
        request: &[u8],
        rx: &mut Receiver,
        kind: Kind,
        crc: bool,
    ) -> io::Result<()> {
        for p in packets(request) {
            self.pipe
                .bulk_write(EP_OUT, &p, Duration::from_secs(1))
                .await?;
            tokio::time::sleep(WRITE_DELAY).await;
        }
        let mut reads = 0;
        while rx.waiting && rx.len < super::frame::BUFFER_SIZE {
            let packet = match self.pipe.bulk_read(EP_IN, 8, Duration::from_secs(1)).await {
                Ok(p) => p,
                // C gives up on this request; the unit stays connected.
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return Ok(()),
                Err(e) => return Err(e),
            };
            for &b in unpack(&packet) {
                rx.push(b, kind, crc);
            }
            reads += 1;
            if reads > MAX_READS {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::riello::frame::gpser;
    use crate::sim::{riello, SharedModel, UpsModel};

    /// The bridge in front of a simulated unit.
    struct FakeBridge {
        model: SharedModel,
        pending: Vec<u8>,
        out: Vec<u8>,
    }

    #[async_trait]
    impl BulkPipe for FakeBridge {
        async fn bulk_write(&mut self, ep: u8, data: &[u8], _t: Duration) -> io::Result<()> {
            assert_eq!(ep, EP_OUT);
            self.pending.extend_from_slice(unpack(data));
            riello::feed(&self.model, &mut self.pending, &mut self.out);
            Ok(())
        }
        async fn bulk_read(&mut self, ep: u8, _len: usize, _t: Duration) -> io::Result<Vec<u8>> {
            assert_eq!(ep, EP_IN);
            if self.out.is_empty() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let n = self.out.len().min(7);
            let mut p = vec![n as u8];
            p.extend(self.out.drain(..n));
            p.resize(8, 0);
            Ok(p)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_and_replies_cross_the_bridge() {
        let model = UpsModel::shared();
        let mut link = UsbLink::new(FakeBridge {
            model: model.clone(),
            pending: Vec::new(),
            out: Vec::new(),
        });
        let mut rx = Receiver::new();
        rx.start();
        let request = gpser(b"GI", b"", false);
        link.exchange(&request, &mut rx, Kind::Gpser, false)
            .await
            .unwrap();
        assert!(!rx.waiting && !rx.bad_crc);
        assert_eq!(rx.len, 68);
        assert_eq!(model.lock().unwrap().received, [riello::hex(&request)]);
        // Nothing comes back for a SENTR probe: the read times out, the frame is missing.
        rx.start();
        link.exchange(&[192], &mut rx, Kind::Sentr, false)
            .await
            .unwrap();
        assert!(rx.waiting);
    }
}
