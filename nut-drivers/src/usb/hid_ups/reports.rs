//! The report buffer: the last bytes of every report, read again from the device only
//! when older than the caller allows (C's `reportbuf_t`), and the physical values of
//! fields read from and written through it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::usb::hid::{Field, ReportDescriptor};
use crate::usb::transport::{HidTransport, UsbError};

/// C 2.8.0 asks for `sizeof` a pointer when the `maxreport` workaround is on.
const MAX_REPORT_LEN: usize = 8;

/// Buffered reports, by report id.
#[derive(Debug, Default)]
pub struct Reports {
    data: HashMap<u8, Vec<u8>>,
    read_at: HashMap<u8, Instant>,
    /// Ask for the largest report length (8 bytes) instead of the declared length.
    pub max_report: bool,
    /// Never read reports: only interrupt reports fill the buffer.
    pub interrupt_only: bool,
}

impl Reports {
    /// Buffers for every report of `desc`, zero-filled: the report id, then the declared
    /// length.
    pub fn new(desc: &ReportDescriptor) -> Self {
        let mut data = HashMap::new();
        for f in &desc.fields {
            data.entry(f.report_id).or_insert_with(|| {
                let mut buf = vec![0u8; desc.report_len(f.report_id, f.report_type).max(1)];
                buf[0] = f.report_id;
                buf
            });
        }
        Self {
            data,
            ..Self::default()
        }
    }

    /// The buffered bytes of report `id`.
    pub fn bytes(&self, id: u8) -> &[u8] {
        self.data.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Forgets the age of every report, so that the next reads go to the device.
    pub fn expire_all(&mut self) {
        self.read_at.clear();
    }

    /// Reads report `id` from the device unless the buffered copy is younger than `age`.
    pub async fn refresh(
        &mut self,
        transport: &mut dyn HidTransport,
        id: u8,
        age: Duration,
    ) -> Result<(), UsbError> {
        let fresh = self.read_at.get(&id).is_some_and(|t| t.elapsed() < age);
        if self.interrupt_only || fresh {
            return Ok(());
        }
        let Some(buf) = self.data.get_mut(&id) else {
            return Err(UsbError::NotFound);
        };
        let len = if self.max_report {
            MAX_REPORT_LEN
        } else {
            buf.len()
        };
        let got = transport.get_report(id, len).await?;
        if got.is_empty() {
            // C treats an empty answer as a failed read.
            return Err(UsbError::Other("empty report".into()));
        }
        if got.len() != buf.len() {
            tracing::debug!(
                "report {id:#04x}: expected {} bytes, but got {} instead",
                buf.len(),
                got.len()
            );
        }
        let n = got.len().min(buf.len());
        buf[..n].copy_from_slice(&got[..n]);
        tracing::trace!("Report[get]: {}", hex(&buf[..]));
        self.read_at.insert(id, Instant::now());
        Ok(())
    }

    /// Files a report that came on the interrupt pipe (its id first).
    pub fn file(&mut self, report: &[u8]) -> Option<u8> {
        let id = *report.first()?;
        let buf = self.data.get_mut(&id)?;
        let n = report.len().min(buf.len());
        buf[..n].copy_from_slice(&report[..n]);
        buf[n..].fill(0);
        tracing::trace!("Report[int]: {}", hex(buf));
        self.read_at.insert(id, Instant::now());
        Some(id)
    }

    /// The physical value of `field` from the buffer (C's `HIDGetDataValue` after the read).
    pub fn value(&self, field: &Field) -> f64 {
        field.to_physical(field.logical_value(self.bytes(field.report_id)))
    }

    /// Reads `field` (through the buffer, at most `age` old) as a physical value.
    pub async fn get(
        &mut self,
        transport: &mut dyn HidTransport,
        field: &Field,
        age: Duration,
    ) -> Result<f64, UsbError> {
        self.refresh(transport, field.report_id, age).await?;
        Ok(self.value(field))
    }

    /// Writes the physical `value` into `field` and sends the whole report (C's
    /// `HIDSetDataValue`): the other fields keep their buffered values. Every report is
    /// then read afresh at the next read.
    pub async fn set(
        &mut self,
        transport: &mut dyn HidTransport,
        field: &Field,
        value: f64,
    ) -> Result<(), UsbError> {
        let logical = field.to_logical(value);
        let Some(buf) = self.data.get_mut(&field.report_id) else {
            return Err(UsbError::NotFound);
        };
        field.set_logical_value(buf, logical);
        let sent = transport.set_report(field.report_id, buf).await?;
        if sent == 0 {
            return Err(UsbError::Other("the device took no byte".into()));
        }
        tracing::trace!("Report[set]: {}", hex(buf));
        self.expire_all();
        Ok(())
    }
}

/// Bytes as C's debug output writes them.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = format!("({} bytes) =>", bytes.len());
    for b in bytes {
        s.push_str(&format!(" {b:02x}"));
    }
    s
}
