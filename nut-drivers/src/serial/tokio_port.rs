//! [`SerialPort`] over tokio-serial: a real tty or a pseudo-terminal.

use std::io;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_serial::{SerialPort as _, SerialPortBuilderExt};

use super::SerialPort;

/// Parity of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Parity {
    /// No parity bit.
    None,
    /// Even parity.
    Even,
    /// Odd parity.
    Odd,
}

/// Line settings: speed, data bits (8 unless set), parity, stop bits (1 unless set), no
/// flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SerialSettings {
    /// Bits per second.
    pub baud: u32,
    /// Parity.
    pub parity: Parity,
    /// Data bits: 5 to 8.
    pub data_bits: u8,
    /// Stop bits: 1 or 2.
    pub stop_bits: u8,
}

impl SerialSettings {
    /// `baud` bits per second, 8N1.
    pub fn new(baud: u32) -> Self {
        Self {
            baud,
            parity: Parity::None,
            data_bits: 8,
            stop_bits: 1,
        }
    }
}

/// A serial device opened with tokio-serial.
#[derive(Debug)]
pub struct TokioSerial {
    stream: tokio_serial::SerialStream,
}

impl TokioSerial {
    /// Opens `path` with `settings` (raw mode, exclusive access).
    pub fn open(path: &str, settings: SerialSettings) -> io::Result<Self> {
        Ok(Self {
            stream: Self::open_stream(path, settings)?,
        })
    }

    /// Opens `path` with `settings` as a bare tokio-serial stream, for protocols that run
    /// their own codec over the bytes (Modbus RTU).
    pub fn open_stream(
        path: &str,
        settings: SerialSettings,
    ) -> io::Result<tokio_serial::SerialStream> {
        let data_bits = match settings.data_bits {
            5 => tokio_serial::DataBits::Five,
            6 => tokio_serial::DataBits::Six,
            7 => tokio_serial::DataBits::Seven,
            _ => tokio_serial::DataBits::Eight,
        };
        let stop_bits = match settings.stop_bits {
            2 => tokio_serial::StopBits::Two,
            _ => tokio_serial::StopBits::One,
        };
        let parity = match settings.parity {
            Parity::None => tokio_serial::Parity::None,
            Parity::Even => tokio_serial::Parity::Even,
            Parity::Odd => tokio_serial::Parity::Odd,
        };
        tokio_serial::new(path, settings.baud)
            .data_bits(data_bits)
            .parity(parity)
            .stop_bits(stop_bits)
            .flow_control(tokio_serial::FlowControl::None)
            .timeout(Duration::from_secs(1))
            .open_native_async()
            .map_err(io::Error::from)
    }
}

#[async_trait]
impl SerialPort for TokioSerial {
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.stream.write_all(data).await?;
        self.stream.flush().await
    }

    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf).await
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.stream
            .clear(tokio_serial::ClearBuffer::Input)
            .map_err(io::Error::from)
    }

    fn set_dtr(&mut self, on: bool) -> io::Result<()> {
        self.stream
            .write_data_terminal_ready(on)
            .map_err(io::Error::from)
    }

    fn set_rts(&mut self, on: bool) -> io::Result<()> {
        self.stream
            .write_request_to_send(on)
            .map_err(io::Error::from)
    }
}
