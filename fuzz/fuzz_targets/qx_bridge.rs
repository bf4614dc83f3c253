//! The USB-to-serial bridges of the Q1 family: whatever a unit sends back (any bytes, any
//! length, errors at any point, for every transfer of every bridge, with and without the
//! `langid_fix` raw string descriptors) must give a reply or an error, never a panic or a
//! hang. The first input byte picks the bridge; the rest scripts the unit's side.
#![no_main]

use std::time::Duration;

use async_trait::async_trait;
use libfuzzer_sys::fuzz_target;
use nut_drivers::qx::usb::bridge::{exchange, Bridge, BridgeState};
use nut_drivers::usb::transport::{ControlSetup, HidTransport, UsbError};

/// A unit that answers from a script: each transfer takes one byte that says what happens
/// (an error, or how many bytes), then that many bytes of data. An empty script times out.
struct Scripted<'a> {
    script: &'a [u8],
}

impl Scripted<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.script.len());
        let (head, tail) = self.script.split_at(n);
        self.script = tail;
        head
    }

    /// What happens next: `Err` for an error, else a length up to `max`.
    fn next(&mut self, max: usize) -> Result<usize, UsbError> {
        let Some(&c) = self.take(1).first() else {
            return Err(UsbError::Timeout);
        };
        match c {
            0 => Err(UsbError::Timeout),
            1 => Err(UsbError::Pipe),
            2 => Err(UsbError::Io),
            3 => Err(UsbError::NoDevice),
            4 => Err(UsbError::Overflow),
            5 => Err(UsbError::Busy),
            _ => Ok(usize::from(c - 6) % (max + 1)),
        }
    }

    fn read(&mut self, len: usize) -> Result<Vec<u8>, UsbError> {
        let n = self.next(len)?;
        Ok(self.take(n).to_vec())
    }
}

#[async_trait]
impl HidTransport for Scripted<'_> {
    async fn get_report(&mut self, _id: u8, len: usize) -> Result<Vec<u8>, UsbError> {
        self.read(len)
    }

    async fn set_report(&mut self, _id: u8, data: &[u8]) -> Result<usize, UsbError> {
        self.next(data.len())
    }

    async fn get_string(&mut self, _index: u8) -> Result<String, UsbError> {
        Ok(String::from_utf8_lossy(&self.read(255)?).into_owned())
    }

    async fn interrupt_read(
        &mut self,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        self.read(len)
    }

    async fn control_in(
        &mut self,
        _setup: ControlSetup,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        self.read(len)
    }

    async fn control_out(
        &mut self,
        _setup: ControlSetup,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.next(data.len())
    }

    async fn read_interrupt_from(
        &mut self,
        _endpoint: u8,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        self.read(len)
    }

    async fn write_interrupt(
        &mut self,
        _endpoint: u8,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.next(data.len())
    }

    async fn string_descriptor(
        &mut self,
        _index: u8,
        _langid: u16,
        len: usize,
    ) -> Result<Vec<u8>, UsbError> {
        self.read(len)
    }

    async fn clear_halt(&mut self, _endpoint: u8) -> Result<(), UsbError> {
        self.next(0).map(|_| ())
    }

    async fn reset(&mut self) -> Result<(), UsbError> {
        self.next(0).map(|_| ())
    }
}

/// The commands every bridge is given: the queries, commands some bridges map or encode
/// (shutdowns, tests), and ones they refuse.
const COMMANDS: [&str; 8] = [
    "Q1\r",
    "F\r",
    "I\r",
    "S.5R0003\r",
    "S02\r",
    "T\r",
    "QGS\r",
    "C\r",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, script)) = data.split_first() else {
        return;
    };
    let bridge = Bridge::ALL[usize::from(pick & 0x0f) % Bridge::ALL.len()];
    let mut state = BridgeState {
        langid_fix: (pick & 0x10 != 0).then_some(0x0409),
        empty_echo: pick & 0x20 != 0,
        ..BridgeState::default()
    };
    let mut unit = Scripted { script };
    RUNTIME.with(|rt| {
        rt.block_on(async {
            for cmd in COMMANDS {
                if let Ok(reply) = exchange(bridge, &mut unit, &mut state, cmd).await {
                    assert!(reply.len() < 512, "{bridge}: {} bytes", reply.len());
                }
            }
        })
    });
});

thread_local! {
    /// Paused time: the bridges' waits (Armac, Ablerex) pass at once.
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
}
