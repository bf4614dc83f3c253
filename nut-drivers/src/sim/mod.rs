//! Simulated UPSes: a device model ([`UpsModel`]) with scriptable power events, the
//! protocols a device speaks about it ([`q1`]), an in-process port ([`ModelPort`]) for
//! driver tests, and a pseudo-terminal server ([`pty`]) so that any serial driver (ours
//! or C NUT's) can talk to it as to a real device.
//!
//! ```
//! use nut_drivers::sim::{q1::Q1Dialect, Protocol, UpsModel};
//!
//! let model = UpsModel::shared();
//! let proto = Protocol::Q1(Q1Dialect::Megatec);
//! let reply = proto.respond(&mut model.lock().unwrap(), b"Q1").unwrap();
//! assert!(reply.starts_with(b"(230.0"));
//! model.lock().unwrap().apply("mains-lost").unwrap();
//! let reply = proto.respond(&mut model.lock().unwrap(), b"Q1").unwrap();
//! assert_eq!(&reply[38..40], b"10");
//! ```

pub mod ablerex;
pub mod apc;
pub mod bestups;
pub mod mecer;
pub mod model;
pub mod pty;
pub mod q1;
pub mod voltronic_qs;
pub mod voltronic_qs_hex;

use std::io;

use async_trait::async_trait;

pub use model::{SharedModel, UpsModel};

use crate::serial::SerialPort;

/// The protocol a simulated device speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// A Megatec Q1 dialect.
    Q1(q1::Q1Dialect),
    /// APC Smart (single-character commands, see [`apc`]).
    Apc,
}

impl Protocol {
    /// The protocol for a name: a Q1 dialect name (`megatec`, `mustek`, …), or `apc`.
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("apc") || name.eq_ignore_ascii_case("apcsmart") {
            return Some(Self::Apc);
        }
        q1::Q1Dialect::from_name(name).map(Self::Q1)
    }

    /// The byte that ends a command (APC commands are single characters: the byte that
    /// ends a reply).
    pub fn terminator(self) -> u8 {
        match self {
            Self::Q1(_) => b'\r',
            Self::Apc => b'\n',
        }
    }

    /// The answer to one command (without its terminator), if any.
    pub fn respond(self, model: &mut UpsModel, command: &[u8]) -> Option<Vec<u8>> {
        let cmd = String::from_utf8_lossy(command);
        match self {
            Self::Q1(d) => q1::respond(model, d, cmd.trim_matches(|c| c == '\n' || c == '\0')),
            Self::Apc => {
                let mut out = Vec::new();
                apc::feed_model(model, &mut Vec::new(), command, &mut out);
                Some(out)
            }
        }
    }

    /// Feeds received bytes to the device: complete commands are taken out of `pending`
    /// and their answers appended to `out`.
    pub fn feed(self, model: &SharedModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
        if self == Self::Apc {
            apc::feed_buffer(model, pending, out);
            return;
        }
        let term = self.terminator();
        while let Some(pos) = pending.iter().position(|&b| b == term) {
            let cmd: Vec<u8> = pending.drain(..=pos).take(pos).collect();
            let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(reply) = self.respond(&mut m, &cmd) {
                out.extend_from_slice(&reply);
            }
        }
        // A device does not keep garbage forever.
        if pending.len() > 4096 {
            pending.clear();
        }
    }
}

/// A [`SerialPort`] wired straight to a model: what a driver writes is answered at once.
#[derive(Debug)]
pub struct ModelPort {
    model: SharedModel,
    protocol: Protocol,
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl ModelPort {
    /// A port to `model` speaking `protocol`.
    pub fn new(model: SharedModel, protocol: Protocol) -> Self {
        Self {
            model,
            protocol,
            pending: Vec::new(),
            out: Vec::new(),
        }
    }

    /// An opener for [`crate::qx::NutdrvQx::with_opener`] that ignores the port name.
    pub fn opener(model: SharedModel, dialect: q1::Q1Dialect) -> crate::qx::PortOpener {
        Box::new(move |_port: &str| {
            Ok(Box::new(Self::new(model.clone(), Protocol::Q1(dialect))) as Box<dyn SerialPort>)
        })
    }
}

#[async_trait]
impl SerialPort for ModelPort {
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(data);
        self.protocol
            .feed(&self.model, &mut self.pending, &mut self.out);
        Ok(())
    }

    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out.is_empty() {
            std::future::pending::<()>().await;
        }
        let n = self.out.len().min(buf.len());
        buf[..n].copy_from_slice(&self.out[..n]);
        self.out.drain(..n);
        Ok(n)
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.out.clear();
        Ok(())
    }
}
