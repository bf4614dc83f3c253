//! The driver on a fake USB device in process: mapping, polling, interrupts, commands,
//! SETs, and a device that goes away and comes back.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use nut_driver_api::{DeviceState, Driver, DriverError, DriverParams};
use nut_proto::sock::TrackingStatus;

use super::UsbHidUps;
use crate::usb::transport::{
    Accept, HidOpener, HidTransport, OpenedDevice, UsbDeviceInfo, UsbError,
};

/// UPS.PowerSummary with RemainingCapacity (feature 1), ACPresent/Charging/Discharging
/// (feature and input 2) and DelayBeforeShutdown (feature 3, -1..32767).
const DESCRIPTOR: &[u8] = &[
    0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, // UPS application collection
    0x09, 0x24, 0xa1, 0x00, // PowerSummary
    0x85, 0x01, 0x05, 0x85, 0x09, 0x66, 0x75, 0x08, 0x95, 0x01, 0x15, 0x00, 0x25, 0x64, 0xb1, 0x02,
    0x85, 0x02, 0x09, 0xd0, 0x09, 0x44, 0x09, 0x45, 0x75, 0x01, 0x95, 0x03, 0x15, 0x00, 0x25, 0x01,
    0xb1, 0x02, 0x09, 0xd0, 0x09, 0x44, 0x09, 0x45, 0x81, 0x02, 0x75, 0x05, 0x95, 0x01, 0xb1, 0x01,
    0x81, 0x01, // padding
    0x85, 0x03, 0x05, 0x84, 0x09, 0x57, 0x75, 0x10, 0x95, 0x01, 0x16, 0xff, 0xff, 0x26, 0xff, 0x7f,
    0xb1, 0x02, 0xc0, 0xc0,
];

#[derive(Debug, Default)]
struct Fake {
    reports: HashMap<u8, Vec<u8>>,
    sets: Vec<Vec<u8>>,
    interrupts: VecDeque<Vec<u8>>,
    unplugged: bool,
    opens: usize,
}

type Shared = Arc<Mutex<Fake>>;

struct FakeOpener(Shared);
struct FakeTransport(Shared);

fn info() -> UsbDeviceInfo {
    UsbDeviceInfo {
        vendor: Some("American Power Conversion".into()),
        product: Some("Back-UPS 500 FW: 6.5.I USB FW: c1 ".into()),
        serial: Some("AB0427".into()),
        bus: "001".into(),
        ..UsbDeviceInfo::new(0x051d, 0x0002)
    }
}

#[async_trait]
impl HidOpener for FakeOpener {
    async fn open(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        let mut fake = self.0.lock().unwrap();
        if fake.unplugged || accept(&info()).is_none() {
            return Ok(None);
        }
        fake.opens += 1;
        Ok(Some(OpenedDevice {
            transport: Box::new(FakeTransport(Arc::clone(&self.0))),
            info: info(),
            report_descriptor: DESCRIPTOR.to_vec(),
        }))
    }
}

#[async_trait]
impl HidTransport for FakeTransport {
    async fn get_report(&mut self, id: u8, len: usize) -> Result<Vec<u8>, UsbError> {
        let fake = self.0.lock().unwrap();
        if fake.unplugged {
            return Err(UsbError::NoDevice);
        }
        let mut r = fake.reports.get(&id).cloned().ok_or(UsbError::Pipe)?;
        r.truncate(len);
        Ok(r)
    }

    async fn set_report(&mut self, id: u8, data: &[u8]) -> Result<usize, UsbError> {
        let mut fake = self.0.lock().unwrap();
        if fake.unplugged {
            return Err(UsbError::NoDevice);
        }
        fake.sets.push(data.to_vec());
        fake.reports.insert(id, data.to_vec());
        Ok(data.len())
    }

    async fn get_string(&mut self, _: u8) -> Result<String, UsbError> {
        Err(UsbError::Pipe)
    }

    async fn interrupt_read(&mut self, _: usize, _: Duration) -> Result<Vec<u8>, UsbError> {
        loop {
            {
                let mut fake = self.0.lock().unwrap();
                if fake.unplugged {
                    return Err(UsbError::NoDevice);
                }
                if let Some(r) = fake.interrupts.pop_front() {
                    return Ok(r);
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

fn device() -> Shared {
    let mut fake = Fake::default();
    fake.reports.insert(1, vec![1, 100]);
    fake.reports.insert(2, vec![2, 0b011]); // on line, charging
    fake.reports.insert(3, vec![3, 0xff, 0xff]); // no shutdown under way
    Arc::new(Mutex::new(fake))
}

async fn started(shared: &Shared, params: DriverParams) -> (UsbHidUps, DeviceState) {
    let mut driver = UsbHidUps::with_opener(Box::new(FakeOpener(Arc::clone(shared))));
    let mut state = DeviceState::new();
    driver.open(&params, &mut state).await.expect("open");
    driver.identify(&mut state).await.expect("identify");
    driver.update(&mut state).await.expect("update");
    (driver, state)
}

#[tokio::test]
async fn maps_polls_and_formats() {
    let shared = device();
    let (_driver, state) = started(&shared, DriverParams::new("auto")).await;
    let v = |n: &str| state.value(n).map(str::to_owned);
    assert_eq!(v("battery.charge").as_deref(), Some("100"));
    assert_eq!(v("ups.status").as_deref(), Some("OL CHRG"));
    assert_eq!(v("ups.timer.shutdown").as_deref(), Some("-1"));
    assert_eq!(v("ups.delay.shutdown").as_deref(), Some("20"));
    assert_eq!(v("ups.model").as_deref(), Some("Back-UPS 500"));
    assert_eq!(v("ups.firmware").as_deref(), Some(" 6.5.I"));
    assert_eq!(v("ups.vendorid").as_deref(), Some("051d"));
    assert_eq!(v("driver.version.data").as_deref(), Some("APC HID 0.98"));
    assert!(state.get("ups.delay.shutdown").unwrap().is_writable());
    for cmd in ["load.off.delay", "shutdown.stop", "load.off"] {
        assert!(state.has_cmd(cmd), "{cmd}");
    }
    // No startup delay on this device: no composite shutdown commands.
    assert!(!state.has_cmd("shutdown.return"));
}

#[tokio::test]
async fn options_override_defaults() {
    let shared = device();
    let params = DriverParams::new("auto").with_option("offdelay", Some("120"));
    let (_driver, state) = started(&shared, params).await;
    assert_eq!(state.value("ups.delay.shutdown"), Some("120"));
}

#[tokio::test]
async fn commands_write_reports() {
    let shared = device();
    let (mut driver, mut state) = started(&shared, DriverParams::new("auto")).await;
    let r = driver
        .instcmd(&mut state, "load.off.delay", Some("45"))
        .await;
    assert_eq!(r, TrackingStatus::Handled);
    let r = driver.instcmd(&mut state, "shutdown.stop", None).await;
    assert_eq!(r, TrackingStatus::Handled);
    let r = driver.instcmd(&mut state, "load.off", None).await;
    assert_eq!(r, TrackingStatus::Handled);
    assert_eq!(
        shared.lock().unwrap().sets,
        [vec![3, 45, 0], vec![3, 0xff, 0xff], vec![3, 0, 0]]
    );
    let r = driver.instcmd(&mut state, "beeper.enable", None).await;
    assert_eq!(r, TrackingStatus::Invalid);
    // A SET of a driver-side variable stays in the driver.
    let r = driver.set_var(&mut state, "ups.delay.shutdown", "60").await;
    assert_eq!(r, TrackingStatus::Handled);
    assert_eq!(state.value("ups.delay.shutdown"), Some("60"));
    assert_eq!(shared.lock().unwrap().sets.len(), 3);
    assert_eq!(
        driver.set_var(&mut state, "battery.charge", "5").await,
        TrackingStatus::Unknown
    );
    // killpower: no startup delay, so no shutdown.return; shutdown.reboot is not mapped
    // either; load.off.delay with its default.
    driver.shutdown(&mut state).await.expect("killpower");
    assert_eq!(shared.lock().unwrap().sets.last().unwrap(), &vec![3, 20, 0]);
}

#[tokio::test]
async fn interrupts_change_the_status_at_once() {
    let shared = device();
    let (mut driver, mut state) = started(&shared, DriverParams::new("auto")).await;
    shared.lock().unwrap().interrupts.push_back(vec![2, 0b100]);
    tokio::time::timeout(Duration::from_secs(10), driver.event(&mut state))
        .await
        .expect("an event")
        .expect("applied");
    assert_eq!(state.value("ups.status"), Some("OB DISCHRG"));
}

#[tokio::test]
async fn pollonly_reads_no_interrupts() {
    let shared = device();
    let params = DriverParams::new("auto").with_option("pollonly", None);
    let (mut driver, mut state) = started(&shared, params).await;
    shared.lock().unwrap().interrupts.push_back(vec![2, 0b100]);
    let waited = tokio::time::timeout(Duration::from_millis(200), driver.event(&mut state)).await;
    assert!(waited.is_err(), "event() must wait forever with pollonly");
}

#[tokio::test]
async fn unplugged_then_back() {
    let shared = device();
    let mut driver = UsbHidUps::with_opener(Box::new(FakeOpener(Arc::clone(&shared))));
    let mut state = DeviceState::new();
    // Reports are buffered for the poll interval: make every poll read the device.
    state.set("driver.parameter.pollinterval", "0").unwrap();
    driver
        .open(&DriverParams::new("auto"), &mut state)
        .await
        .expect("open");
    driver.update(&mut state).await.expect("update");
    shared.lock().unwrap().unplugged = true;
    let e = driver.update(&mut state).await;
    // The quick poll reads the status report: the device is gone.
    assert!(matches!(e, Err(DriverError::Transport(_))), "{e:?}");
    driver.close().await;
    let params = DriverParams::new("auto");
    assert!(matches!(
        driver.open(&params, &mut state).await,
        Err(DriverError::Transport(_))
    ));
    {
        let mut fake = shared.lock().unwrap();
        fake.unplugged = false;
        fake.reports.insert(2, vec![2, 0b100]);
    }
    driver.open(&params, &mut state).await.expect("found again");
    driver.identify(&mut state).await.expect("identify");
    driver.update(&mut state).await.expect("update");
    assert_eq!(state.value("ups.status"), Some("OB DISCHRG"));
    assert_eq!(shared.lock().unwrap().opens, 2);
}

#[tokio::test]
async fn matching_options() {
    let shared = device();
    let mut driver = UsbHidUps::with_opener(Box::new(FakeOpener(Arc::clone(&shared))));
    let mut state = DeviceState::new();
    let params = DriverParams::new("auto").with_option("serial", Some("OTHER"));
    assert!(driver.open(&params, &mut state).await.is_err());
    let params = DriverParams::new("auto").with_option("vendorid", Some("("));
    assert!(matches!(
        driver.open(&params, &mut state).await,
        Err(DriverError::Config(_))
    ));
    let params = DriverParams::new("auto").with_option("explore", None);
    assert!(matches!(
        driver.open(&params, &mut state).await,
        Err(DriverError::Config(_))
    ));
    let params = DriverParams::new("auto").with_option("subdriver", Some("cyberpower"));
    assert!(driver.open(&params, &mut state).await.is_err());
    let params = DriverParams::new("auto").with_option("subdriver", Some("apc"));
    driver
        .open(&params, &mut state)
        .await
        .expect("APC subdriver chosen");
}
