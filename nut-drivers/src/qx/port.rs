//! How the Q1 engine reaches a device: one command out, one reply back (C's `qx_command`).
//!
//! On a serial line ([`SerialQx`]) that is: flush the input, send the command, read up to
//! the `\r`. Behind a USB-to-serial bridge (`qx::usb`, feature `usb`) each bridge frames
//! the command and the reply its own way.

use std::io;
use std::time::Duration;

use async_trait::async_trait;

use nut_driver_api::{DriverError, DriverParams};

use crate::serial::{read_until, SerialPort};

/// How long a serial reply may take (C's `SER_WAIT_SEC`).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest serial reply kept.
const MAX_REPLY: usize = 512;

/// A device the engine sends commands to. Object safe.
#[async_trait]
pub trait QxPort: Send {
    /// Sends `cmd` (with its `\r`) and returns the reply as C's `qx_command` leaves it in
    /// its buffer: `Ok(Some(bytes))`, possibly empty when nothing came in time (the length
    /// counts, NUL padding included: the "short reply" check uses it);
    /// `Ok(None)` when the exchange failed (C's negative return: that item fails and the
    /// walk goes on); `Err` when the device is gone for good (the driver gives up).
    async fn command(&mut self, cmd: &str) -> io::Result<Option<Vec<u8>>>;
}

/// The modem lines (DTR, RTS) the `cablepower` option asks for: `normal` (the default:
/// DTR only), `reverse`, `both` or `none`, any case.
pub fn cablepower(params: &DriverParams) -> Result<(bool, bool), DriverError> {
    match params
        .get("cablepower")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("normal") => Ok((true, false)),
        Some("reverse") => Ok((false, true)),
        Some("both") => Ok((true, true)),
        Some("none") => Ok((false, false)),
        Some(other) => Err(DriverError::config(format!(
            "Value '{other}' not valid for 'cablepower'"
        ))),
    }
}

/// Opens the serial port of `params` with `opener` and sets its modem lines as
/// `cablepower` says (pseudo-terminals have none: what cannot be set is ignored, as C
/// does). The caller then lets the lines settle for [`SETTLE`].
pub fn open_serial(
    opener: &super::PortOpener,
    params: &DriverParams,
) -> Result<SerialQx, DriverError> {
    let (dtr, rts) = cablepower(params)?;
    let mut port = SerialQx::new(opener(&params.port)?);
    port.set_lines(dtr, rts);
    Ok(port)
}

/// How long C lets the modem lines settle after setting them.
pub const SETTLE: Duration = Duration::from_millis(100);

/// A Q1 device on a serial line.
pub struct SerialQx {
    port: Box<dyn SerialPort>,
}

impl SerialQx {
    /// Talks over `port`.
    pub fn new(port: Box<dyn SerialPort>) -> Self {
        Self { port }
    }

    /// Sets the modem lines (C's `cablepower`); ports without them ignore it.
    pub fn set_lines(&mut self, dtr: bool, rts: bool) {
        let _ = self.port.set_dtr(dtr);
        let _ = self.port.set_rts(rts);
    }
}

impl std::fmt::Debug for SerialQx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialQx").finish_non_exhaustive()
    }
}

#[async_trait]
impl QxPort for SerialQx {
    async fn command(&mut self, cmd: &str) -> io::Result<Option<Vec<u8>>> {
        let _ = self.port.discard_input();
        self.port.write_all(cmd.as_bytes()).await?;
        let reply = read_until(self.port.as_mut(), b'\r', MAX_REPLY, REPLY_TIMEOUT).await?;
        tracing::trace!(send = cmd.trim_end(), read = %String::from_utf8_lossy(&reply).trim_end(), "qx");
        Ok(Some(reply))
    }
}
