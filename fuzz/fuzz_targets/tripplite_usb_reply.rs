//! Tripp Lite's older USB protocol: any reply must be read or refused, never panic or hang.
//! The input's first byte picks the protocol generation the unit claims and a few options;
//! the rest scripts the unit: per transfer, one byte says what happens (an error, a reply of
//! the input's next 8 bytes as they are, or those bytes behind the letter of the command being
//! answered, so that the driver gets past its letter check), then the bytes. The driver runs
//! `tripplite_usb` through start-up, polls, every instant command and SET (on a paused clock,
//! so its waits cost nothing). The parsing helpers and the simulated unit take the bytes
//! directly too.
#![no_main]

use std::time::Duration;

use async_trait::async_trait;
use libfuzzer_sys::fuzz_target;
use nut_driver_api::{DeviceState, Driver, DriverParams};
use nut_drivers::sim::tripplite_usb as sim;
use nut_drivers::sim::UpsModel;
use nut_drivers::tripplite_usb::protocol::{
    bin2d, dec2d, decode_status, hex2d, hexascdump, Config, Model, FRAME,
};
use nut_drivers::tripplite_usb::TrippLiteUsb;
use nut_drivers::usb::transport::{
    Accept, HidOpener, HidTransport, OpenedDevice, UsbDeviceInfo, UsbError,
};

const MODELS: [Model; 6] = [
    Model::Unknown,
    Model::Omnivs,
    Model::Omnivs2001,
    Model::SmartPro,
    Model::Smart0004,
    Model::Smart3005,
];

/// A unit answering from a script shared by every transport the opener hands out.
#[derive(Clone)]
struct Scripted {
    script: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    letter: u8,
}

impl Scripted {
    fn take(&self, n: usize) -> Vec<u8> {
        let mut s = self.script.lock().unwrap();
        let n = n.min(s.len());
        s.drain(..n).collect()
    }
}

#[async_trait]
impl HidTransport for Scripted {
    async fn get_report(&mut self, _id: u8, _len: usize) -> Result<Vec<u8>, UsbError> {
        Err(UsbError::Pipe)
    }

    async fn set_report(&mut self, _id: u8, data: &[u8]) -> Result<usize, UsbError> {
        self.letter = data.get(1).copied().unwrap_or(0);
        Ok(data.len())
    }

    async fn get_string(&mut self, _index: u8) -> Result<String, UsbError> {
        Err(UsbError::Pipe)
    }

    async fn interrupt_read(
        &mut self,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let Some(&c) = self.take(1).first() else {
            return Err(UsbError::Timeout);
        };
        match c % 8 {
            0 => Err(UsbError::Timeout),
            1 => Err(UsbError::Pipe),
            2 => Err(UsbError::NoDevice),
            3 => Ok(self.take(usize::from(c / 8).min(len))),
            _ => {
                let mut r = vec![self.letter];
                r.extend(self.take(FRAME - 1));
                Ok(r)
            }
        }
    }
}

struct Opener(Scripted, Option<String>, Option<String>);

#[async_trait]
impl HidOpener for Opener {
    async fn open(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        self.open_raw(accept).await
    }

    async fn open_raw(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        let mut info = UsbDeviceInfo::new(0x09ae, 0x0001);
        info.vendor = self.1.clone();
        info.product = self.2.clone();
        info.bus = "001".into();
        if accept(&info).is_none() {
            return Ok(None);
        }
        Ok(Some(OpenedDevice {
            transport: Box::new(self.0.clone()),
            info,
            report_descriptor: Vec::new(),
        }))
    }
}

fuzz_target!(|data: &[u8]| {
    // The helpers on the raw bytes.
    let _ = hexascdump(data);
    let _ = dec2d(data);
    for len in 0..=data.len().min(40) {
        let _ = hex2d(data, len);
        let _ = bin2d(data, len);
    }
    let mut reply = [0u8; FRAME];
    let n = data.len().min(FRAME);
    reply[..n].copy_from_slice(&data[..n]);
    for model in MODELS {
        let mut c = Config::default();
        let _ = c.decode_v(model, &reply);
        let s = decode_status(model, &reply);
        assert!(s.words.len() <= 3);
    }
    // The simulated unit answers any frame with a frame, or not at all.
    let mut m = UpsModel::new();
    for p in ["0004", "1001", "2001", "3003", "3005", "x"] {
        m.settings.insert("tripplite.protocol".into(), p.into());
        for chunk in data.chunks(FRAME) {
            if let Some(r) = sim::respond(&mut m, chunk) {
                assert_eq!(r.len(), FRAME);
            }
        }
    }

    // The driver against a scripted unit.
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let protocol: [u8; 2] = match head % 8 {
        0 => [0x00, 0x04],
        1 => [0x10, 0x01],
        2 => [0x20, 0x01],
        3 => [0x30, 0x03],
        4 => [0x30, 0x05],
        _ => [head, head],
    };
    // The protocol answer first, then the script.
    let mut script = vec![4, protocol[0], protocol[1], 0x0d, 0, 0, 0, 0];
    script.extend_from_slice(rest);
    let unit = Scripted {
        script: std::sync::Arc::new(std::sync::Mutex::new(script)),
        letter: 0,
    };
    let (vendor, product) = if head & 0x10 != 0 {
        (None, Some(String::from_utf8_lossy(rest).into_owned()))
    } else {
        (
            Some("Tripp Lite".to_owned()),
            Some("Tripp Lite X ".to_owned()),
        )
    };
    let mut driver = TrippLiteUsb::with_opener(Box::new(Opener(unit, vendor, product)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let params = DriverParams::new("auto").with_option("offdelay", Some("70000"));
        let mut state = DeviceState::new();
        if driver.open(&params, &mut state).await.is_err() {
            return;
        }
        if driver.identify(&mut state).await.is_err() {
            return;
        }
        for _ in 0..2 {
            let _ = driver.update(&mut state).await;
        }
        for cmd in [
            "test.battery.start",
            "reset.input.minmax",
            "load.off",
            "load.on",
            "shutdown.return",
            "nothing",
        ] {
            let _ = driver.instcmd(&mut state, cmd, None).await;
        }
        for (var, value) in [
            ("ups.delay.shutdown", "-1"),
            ("ups.delay.shutdown", "99999999999"),
            ("ups.id", "70000"),
            ("outlet.1.switch", "on"),
            ("outlet.123456789.switch", "0"),
            ("outlet.1234567890.switch", "0"),
            ("outlet..switch", "1"),
            ("outlet.x", "1"),
        ] {
            let _ = driver.set_var(&mut state, var, value).await;
        }
        let _ = driver.shutdown(&mut state).await;
    });
});
