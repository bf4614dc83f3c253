//! Simulated UPSes: a device model ([`UpsModel`]) with scriptable power events, the
//! protocols a device speaks about it ([`q1`], [`apc`]; real APC units from their dumps in
//! [`apc_recorded`]; APC's Modbus units in `apc_modbus`, feature `modbus`), an in-process port ([`ModelPort`]) for
//! driver tests, a pseudo-terminal server ([`pty`]) so that any serial driver (ours
//! or C NUT's) can talk to it as to a real device, and a Unix-socket server ([`socket`]) for
//! the serial side of emulated USB bridges; and a driver whose device is the model itself
//! ([`driver::ModelDriver`]), optionally through a power failure on a fixed cycle
//! ([`model::PowerCycle`]).
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
#[cfg(feature = "modbus")]
pub mod apc_modbus;
pub mod apc_recorded;
pub mod bcmxcp;
pub mod bestups;
pub mod driver;
pub mod liebert;
pub mod masterguard;
pub mod mecer;
pub mod mge_utalk;
pub mod model;
pub mod powercom;
pub mod powerpanel;
pub mod pty;
pub mod q1;
pub mod riello;
pub mod script;
pub mod shut;
pub mod socket;
pub mod tripplite_usb;
pub mod upscode2;
pub mod voltronic;
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
    /// Voltronic QPI/QGS, protocol P01 (see [`voltronic`]).
    Voltronic,
    /// Liebert ESP-II: binary frames with checksums (see [`liebert`]).
    LiebertEsp2,
    /// PowerCom: one-byte commands, fixed-length binary status frames (see [`powercom`]).
    Powercom,
    /// Tripp Lite's older USB protocol, 8-byte frames (see [`tripplite_usb`]).
    TrippLiteUsb,
    /// Eaton/Powerware BCM/XCP, binary frames (see [`bcmxcp`]).
    Bcmxcp,
    /// CyberPower text or binary: commands ending in `\r` (see [`powerpanel`]).
    Powerpanel,
    /// MGE U-Talk: text commands ending in `\r\n` (see [`mge_utalk`]).
    MgeUtalk,
    /// UPScode II: text lines ending in `\r`, answers in `\r\n` (see [`upscode2`]).
    Upscode2,
    /// Riello GPSER: STX/ETX frames with a check (see [`riello`]).
    Riello,
    /// APC Modbus RTU: an SMT-series Smart-UPS (see [`apc_modbus`]).
    #[cfg(feature = "modbus")]
    ApcModbus,
}

impl Protocol {
    /// The protocol for a name: a Q1 dialect name (`megatec`, `mustek`, …), or `apc`.
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("apc") || name.eq_ignore_ascii_case("apcsmart") {
            return Some(Self::Apc);
        }
        if name.eq_ignore_ascii_case("voltronic") {
            return Some(Self::Voltronic);
        }
        if name.eq_ignore_ascii_case("liebert-esp2") || name.eq_ignore_ascii_case("liebert") {
            return Some(Self::LiebertEsp2);
        }
        if name.eq_ignore_ascii_case("powercom") {
            return Some(Self::Powercom);
        }
        if name.eq_ignore_ascii_case("tripplite_usb") {
            return Some(Self::TrippLiteUsb);
        }
        if name.eq_ignore_ascii_case("bcmxcp") {
            return Some(Self::Bcmxcp);
        }
        if name.eq_ignore_ascii_case("powerpanel") {
            return Some(Self::Powerpanel);
        }
        if ["riello", "riello_ser", "riello_usb", "gpser"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            return Some(Self::Riello);
        }
        if name.eq_ignore_ascii_case("mge-utalk") || name.eq_ignore_ascii_case("utalk") {
            return Some(Self::MgeUtalk);
        }
        if name.eq_ignore_ascii_case("upscode2") {
            return Some(Self::Upscode2);
        }
        #[cfg(feature = "modbus")]
        if name.eq_ignore_ascii_case("apc_modbus") || name.eq_ignore_ascii_case("apc-modbus") {
            return Some(Self::ApcModbus);
        }
        q1::Q1Dialect::from_name(name).map(Self::Q1)
    }

    /// The byte that ends a command (APC commands are single characters: the byte that
    /// ends a reply; BCM/XCP frames carry their length, and this is the byte that starts
    /// them; other binary protocols have none and answer 0).
    pub fn terminator(self) -> u8 {
        match self {
            Self::Q1(_)
            | Self::Voltronic
            | Self::TrippLiteUsb
            | Self::Powerpanel
            | Self::MgeUtalk
            | Self::Upscode2 => b'\r',
            Self::Apc => b'\n',
            Self::LiebertEsp2 | Self::Powercom | Self::Riello => 0,
            #[cfg(feature = "modbus")]
            Self::ApcModbus => 0,
            Self::Bcmxcp => crate::bcmxcp::frame::START,
        }
    }

    /// Whether commands are frames that carry their own length (BCM/XCP) rather than
    /// lines or single characters.
    pub fn is_framed(self) -> bool {
        self == Self::Bcmxcp
    }

    /// The answer to one command (without its terminator), if any.
    pub fn respond(self, model: &mut UpsModel, command: &[u8]) -> Option<Vec<u8>> {
        let cmd = String::from_utf8_lossy(command);
        match self {
            Self::Q1(d) => q1::respond(model, d, cmd.trim_matches(|c| c == '\n' || c == '\0')),
            Self::Voltronic => {
                voltronic::respond(model, cmd.trim_matches(|c| c == '\n' || c == '\0'))
            }
            Self::Apc => {
                let mut out = Vec::new();
                apc::feed_model(model, &mut Vec::new(), command, &mut out);
                Some(out)
            }
            Self::LiebertEsp2 => liebert::respond(model, command),
            Self::Powerpanel => powerpanel::respond(model, command),
            Self::MgeUtalk => mge_utalk::respond(model, command),
            Self::Upscode2 => upscode2::respond(model, command),
            Self::Powercom => {
                let mut out = Vec::new();
                powercom::feed_model(model, &mut command.to_vec(), &mut out);
                Some(out)
            }
            Self::TrippLiteUsb => tripplite_usb::respond(model, command),
            Self::Bcmxcp => bcmxcp::respond(model, command),
            Self::Riello => riello::respond(model, command),
            #[cfg(feature = "modbus")]
            Self::ApcModbus => apc_modbus::respond(model, command),
        }
    }

    /// Feeds received bytes to the device: complete commands are taken out of `pending`
    /// and their answers appended to `out`.
    pub fn feed(self, model: &SharedModel, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
        match self {
            Self::Apc => return apc::feed_buffer(model, pending, out),
            // Binary protocols: frames of a known length, no terminator.
            Self::LiebertEsp2 => return liebert::feed(model, pending, out),
            Self::Powercom => return powercom::feed(model, pending, out),
            Self::Riello => return riello::feed(model, pending, out),
            Self::Bcmxcp => return bcmxcp::feed_buffer(model, pending, out),
            #[cfg(feature = "modbus")]
            Self::ApcModbus => return apc_modbus::feed(model, pending, out),
            Self::TrippLiteUsb => {
                // Fixed-size frames, whose checksum may be a CR.
                while pending.len() >= tripplite_usb::FRAME {
                    let frame: Vec<u8> = pending.drain(..tripplite_usb::FRAME).collect();
                    let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
                    out.extend(self.respond(&mut m, &frame).unwrap_or_default());
                }
                return;
            }
            Self::Q1(_) | Self::Voltronic | Self::Powerpanel | Self::MgeUtalk | Self::Upscode2 => {}
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

impl Protocol {
    /// What the device sends on its own, between commands, for a change of the model
    /// (APC Smart alert characters; a Q1 device never speaks unprompted). Transports call
    /// it whenever they have nothing else to do; `pending` is as for [`Protocol::feed`].
    pub fn unsolicited(self, model: &SharedModel, pending: &mut [u8], out: &mut Vec<u8>) {
        if self == Self::Apc {
            apc::alerts_due(model, pending, out);
        }
    }
}

/// A [`SerialPort`] wired straight to a model: what a driver writes is answered at once,
/// and what the device says unprompted ([`Protocol::unsolicited`]) arrives within 50 ms.
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
        Self::opener_for(model, Protocol::Q1(dialect))
    }

    /// An opener for a device speaking `protocol`.
    pub fn opener_for(model: SharedModel, protocol: Protocol) -> crate::qx::PortOpener {
        Box::new(move |_port: &str| {
            Ok(Box::new(Self::new(model.clone(), protocol)) as Box<dyn SerialPort>)
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
        // A device that speaks on its own is looked at every 50 ms.
        while self.out.is_empty() {
            if self.protocol != Protocol::Apc {
                std::future::pending::<()>().await;
            }
            self.protocol
                .unsolicited(&self.model, &mut self.pending, &mut self.out);
            if self.out.is_empty() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
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
