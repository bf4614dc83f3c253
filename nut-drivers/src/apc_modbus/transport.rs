//! Where the Modbus requests go: `porttype=serial` (RTU on a serial line, through the
//! project's tokio-serial layer), `porttype=tcp` (Modbus TCP), `porttype=usb` (RTU inside
//! HID reports: [`crate::usb::modbus_hid`], or a stream given with
//! [`super::ApcModbus::with_usb_opener`]).
//! Framing and CRCs are tokio-modbus's.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_modbus::client::Context;
use tokio_modbus::Slave;

use nut_driver_api::driver::{DriverError, DriverParams};

use crate::serial::{Parity, SerialSettings};

/// The Modbus TCP port used when `port` names none.
pub const DEFAULT_TCP_PORT: u16 = 502;

/// A byte stream a Modbus RTU client can run over.
pub trait ModbusStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> ModbusStream for T {}

/// Opens the byte stream of `porttype=usb` (the HID report stream of an APC unit) for a
/// `port` value and the driver's options.
pub type StreamOpener =
    Box<dyn Fn(&DriverParams) -> io::Result<Box<dyn ModbusStream>> + Send + Sync>;

/// The RTU client over any byte stream, talking to unit `slave`: the one entry every RTU
/// transport (serial line, pseudo-terminal, USB HID reports, an in-memory pipe) goes
/// through.
pub fn rtu_over<S>(stream: S, slave: u8) -> Context
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio_modbus::client::rtu::attach_slave(stream, Slave(slave))
}

/// The link the options describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// RTU on a serial line.
    Serial {
        /// The device path.
        path: String,
        /// Speed, parity, data and stop bits.
        settings: SerialSettings,
    },
    /// Modbus TCP.
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// RTU in USB HID reports.
    Usb,
}

impl Link {
    /// Whether TCP (whose default response timeout is longer).
    pub fn is_tcp(&self) -> bool {
        matches!(self, Self::Tcp { .. })
    }
}

fn int_option(params: &DriverParams, name: &str, default: i64) -> i64 {
    params
        .get(name)
        .map_or(default, nut_driver_api::status::c_strtol)
}

/// The link of `porttype` (C's default: `usb`) and the serial options.
pub fn link(params: &DriverParams) -> Result<Link, DriverError> {
    let kind = params.get("porttype").unwrap_or("usb");
    if kind.eq_ignore_ascii_case("usb") {
        Ok(Link::Usb)
    } else if kind.eq_ignore_ascii_case("tcp") {
        let (host, port) = parse_host_port(&params.port)
            .ok_or_else(|| DriverError::config("failed to parse host/port"))?;
        Ok(Link::Tcp { host, port })
    } else if kind.eq_ignore_ascii_case("serial") {
        let mut settings = SerialSettings::new(
            u32::try_from(int_option(params, "baudrate", 9600))
                .map_err(|_| DriverError::config("invalid baudrate"))?,
        );
        settings.parity = match params
            .get("parity")
            .and_then(|p| p.chars().next())
            .map(|c| c.to_ascii_uppercase())
        {
            None | Some('N') => Parity::None,
            Some('E') => Parity::Even,
            Some('O') => Parity::Odd,
            Some(c) => return Err(DriverError::config(format!("invalid parity {c:?}"))),
        };
        settings.data_bits = match int_option(params, "databits", 8) {
            n @ 5..=8 => n as u8,
            n => return Err(DriverError::config(format!("invalid databits {n}"))),
        };
        settings.stop_bits = match int_option(params, "stopbits", 1) {
            n @ 1..=2 => n as u8,
            n => return Err(DriverError::config(format!("invalid stopbits {n}"))),
        };
        Ok(Link::Serial {
            path: params.port.clone(),
            settings,
        })
    } else {
        Err(DriverError::config(format!(
            "Unable to create the libmodbus context: unknown porttype {kind:?} (serial, tcp or usb)"
        )))
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` (default port 502); `None` when malformed.
pub fn parse_host_port(input: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = input.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            a => (host, Some(a.strip_prefix(':')?)),
        }
    } else {
        match input.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (input, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        None => DEFAULT_TCP_PORT,
        Some(p) => p.parse().ok()?,
    };
    Some((host.to_owned(), port))
}

/// Connects to the unit over `link` (not USB: see [`super::ApcModbus::with_usb_opener`]).
pub async fn connect(link: &Link, slave: u8, timeout: Duration) -> io::Result<Context> {
    match link {
        Link::Serial { path, settings } => {
            let stream = crate::serial::TokioSerial::open_stream(path, *settings)?;
            // What the unit sent before we came is not an answer (C's modbus_flush).
            {
                use tokio_serial::SerialPort as _;
                let _ = stream.clear(tokio_serial::ClearBuffer::Input);
            }
            Ok(rtu_over(stream, slave))
        }
        Link::Tcp { host, port } => {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), *port))
                .await?
                .collect();
            let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
            for addr in addrs {
                match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
                    Ok(Ok(stream)) => {
                        return Ok(tokio_modbus::client::tcp::attach_slave(
                            stream,
                            Slave(slave),
                        ))
                    }
                    Ok(Err(e)) => last = e,
                    Err(_) => last = io::Error::from(io::ErrorKind::TimedOut),
                }
            }
            Err(last)
        }
        Link::Usb => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "porttype=usb goes through usb::modbus_hid, not through this function",
        )),
    }
}
