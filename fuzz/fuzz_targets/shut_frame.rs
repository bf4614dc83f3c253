//! MGE SHUT framing: any bytes parse as tokens, packets or a clear error, never a panic;
//! every packet read encodes back to one that reads the same; the simulated unit takes any
//! byte stream (in any chunking) and answers only tokens and well-formed packets; the
//! host side (`ShutTransport`, `ShutOpener::identify`) given any bytes from the unit
//! returns an answer or an error, never a panic or a hang.
#![no_main]

use std::io;

use async_trait::async_trait;
use libfuzzer_sys::fuzz_target;
use nut_drivers::serial::SerialPort;
use nut_drivers::shut::frame::{self, FrameError, Parsed, Setup};
use nut_drivers::shut::{ShutOpener, ShutTransport};
use nut_drivers::sim::shut::{ControlDevice, ShutEngine};
use nut_drivers::usb::transport::{HidInterface, HidTransport, UsbDeviceInfo};

/// Answers every IN request with `length` bytes of a pattern.
struct Pattern;

impl ControlDevice for Pattern {
    fn control(&mut self, setup: &Setup, data: &[u8]) -> Option<Vec<u8>> {
        if setup.request == 0xff {
            return None;
        }
        let _ = data;
        setup
            .is_in()
            .then(|| (0..setup.length.min(300)).map(|i| i as u8).collect())
    }
}

/// A unit that sends the script's bytes (whatever the host writes), then nothing.
struct Scripted {
    script: Vec<u8>,
}

#[async_trait]
impl SerialPort for Scripted {
    async fn write_all(&mut self, _data: &[u8]) -> io::Result<()> {
        Ok(())
    }

    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.script.is_empty() {
            std::future::pending::<()>().await;
        }
        let n = buf.len().min(self.script.len()).min(5);
        buf[..n].copy_from_slice(&self.script[..n]);
        self.script.drain(..n);
        Ok(n)
    }
}

fn walk(data: &[u8]) {
    let mut rest = data;
    while !rest.is_empty() {
        match frame::parse(rest) {
            Ok(Parsed::Incomplete) => break,
            Ok(Parsed::Token(t)) => {
                assert!(frame::is_token(t));
                rest = &rest[1..];
            }
            Ok(Parsed::Packet(p, used)) => {
                assert!(used <= rest.len() && p.data.len() <= frame::MAX_DATA);
                let again = p.encode();
                match frame::parse(&again) {
                    Ok(Parsed::Packet(q, n)) if n == again.len() => assert_eq!(p, q),
                    // A packet whose kind is a token's value re-encodes as that token.
                    Ok(Parsed::Token(_)) => {}
                    other => panic!("{p:?} re-encoded as {again:02x?} reads {other:?}"),
                }
                rest = &rest[used..];
            }
            Err(FrameError::Checksum { used, .. }) => rest = &rest[used.min(rest.len())..],
            Err(_) => rest = &rest[2.min(rest.len())..],
        }
    }
}

fn simulate(data: &[u8]) {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let mut engine = ShutEngine::new(Pattern);
    let mut out = Vec::new();
    for piece in stream.chunks(usize::from(chunk % 16) + 1) {
        engine.feed(piece, &mut out);
    }
    let mut rest = &out[..];
    while !rest.is_empty() {
        match frame::parse(rest) {
            Ok(Parsed::Token(_)) => rest = &rest[1..],
            Ok(Parsed::Packet(_, used)) => rest = &rest[used..],
            other => panic!("the unit wrote {other:?} in {out:02x?}"),
        }
    }
}

fn host(data: &[u8]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let port = Box::new(Scripted {
            script: data.to_vec(),
        });
        let mut t = ShutTransport::new(port);
        let _ = t.get_report(1, 20).await;
        let _ = t.set_report(2, &[2, 1, 0]).await;
        let _ = t.get_string(1).await;
        let port = Box::new(Scripted {
            script: data.to_vec(),
        });
        let _ = ShutOpener::identify(ShutTransport::new(port), &|_: &UsbDeviceInfo| {
            Some(HidInterface::DEFAULT)
        })
        .await;
    });
}

fuzz_target!(|data: &[u8]| {
    walk(data);
    simulate(data);
    host(data);
});
