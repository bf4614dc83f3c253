//! The driver against the simulated unit in process (no libusb): what it publishes, and
//! what its commands make the unit do.

use std::time::Duration;

use async_trait::async_trait;
use nut_driver_api::{DeviceState, Driver, DriverParams};
use nut_proto::sock::TrackingStatus;

use super::TrippLiteUsb;
use crate::sim::{tripplite_usb as sim, SharedModel, UpsModel};
use crate::usb::transport::{
    Accept, HidOpener, HidTransport, OpenedDevice, UsbDeviceInfo, UsbError,
};

/// The unit's USB side: SET_REPORT frames answered by the model, replies on interrupt IN.
struct Unit {
    model: SharedModel,
    reply: Option<Vec<u8>>,
}

#[async_trait]
impl HidTransport for Unit {
    async fn get_report(&mut self, _id: u8, _len: usize) -> Result<Vec<u8>, UsbError> {
        Err(UsbError::Pipe)
    }

    async fn set_report(&mut self, id: u8, data: &[u8]) -> Result<usize, UsbError> {
        assert_eq!((id, data.len()), (0, 8));
        self.reply = sim::respond(&mut self.model.lock().unwrap(), data);
        Ok(data.len())
    }

    async fn get_string(&mut self, _index: u8) -> Result<String, UsbError> {
        Err(UsbError::Pipe)
    }

    async fn interrupt_read(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        assert_eq!(len, 8);
        match self.reply.take() {
            Some(r) => Ok(r),
            None => {
                tokio::time::sleep(timeout).await;
                Err(UsbError::Timeout)
            }
        }
    }
}

struct Opener(SharedModel);

#[async_trait]
impl HidOpener for Opener {
    async fn open(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        self.open_raw(accept).await
    }

    async fn open_raw(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        let mut info = UsbDeviceInfo::new(0x09ae, 0x0001);
        info.vendor = Some("Tripp Lite".into());
        info.product = Some("Tripp Lite SMART1500LCD ".into());
        info.bus = "001".into();
        if accept(&info).is_none() {
            return Ok(None);
        }
        Ok(Some(OpenedDevice {
            transport: Box::new(Unit {
                model: self.0.clone(),
                reply: None,
            }),
            info,
            report_descriptor: Vec::new(),
        }))
    }
}

async fn started(
    protocol: &str,
    options: &[(&str, &str)],
) -> (TrippLiteUsb, DeviceState, SharedModel) {
    let model = UpsModel::shared();
    model
        .lock()
        .unwrap()
        .settings
        .insert("tripplite.protocol".into(), protocol.into());
    let mut driver = TrippLiteUsb::with_opener(Box::new(Opener(model.clone())));
    let mut params = DriverParams::new("auto");
    for (k, v) in options {
        params = params.with_option(*k, Some(v));
    }
    let mut state = DeviceState::new();
    driver.open(&params, &mut state).await.unwrap();
    driver.identify(&mut state).await.unwrap();
    driver.update(&mut state).await.unwrap();
    (driver, state, model)
}

#[tokio::test(start_paused = true)]
async fn a_binary_smart_unit() {
    let (mut d, mut state, model) = started("3005", &[("offdelay", "300")]).await;
    let v = |s: &DeviceState, k: &str| s.value(k).map(str::to_owned);
    assert_eq!(v(&state, "ups.model").as_deref(), Some("SMART1500LCD"));
    assert_eq!(
        v(&state, "ups.firmware.aux").as_deref(),
        Some("protocol 3005")
    );
    assert_eq!(v(&state, "ups.status").as_deref(), Some("OL"));
    assert_eq!(v(&state, "battery.charge").as_deref(), Some("100"));
    assert_eq!(v(&state, "input.voltage").as_deref(), Some("230"));
    assert_eq!(v(&state, "ups.delay.shutdown").as_deref(), Some("300"));
    assert!(state.has_cmd("load.off") && state.has_cmd("reset.input.minmax"));

    model.lock().unwrap().apply("mains-lost").unwrap();
    model.lock().unwrap().apply("low-battery").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(v(&state, "ups.status").as_deref(), Some("OB LB"));
    assert_eq!(v(&state, "battery.charge").as_deref(), Some(" 20"));

    assert_eq!(
        d.instcmd(&mut state, "load.off", None).await,
        TrackingStatus::Handled
    );
    assert!(!model.lock().unwrap().output_on);
    assert_eq!(
        d.instcmd(&mut state, "shutdown.return", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(model.lock().unwrap().shutdown_in, Some(300.0));
    assert_eq!(
        d.set_var(&mut state, "ups.id", "513").await,
        TrackingStatus::Handled
    );
    assert_eq!(model.lock().unwrap().settings["tripplite.unit_id"], "513");
    assert_eq!(
        d.set_var(&mut state, "outlet.1.switch", "off").await,
        TrackingStatus::Handled
    );
    assert_eq!(model.lock().unwrap().settings["tripplite.outlet.1"], "0");
    assert_eq!(v(&state, "outlet.1.switch").as_deref(), Some("0"));
    assert_eq!(
        d.instcmd(&mut state, "nope", None).await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        d.set_var(&mut state, "outlet.1", "1").await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        d.set_var(&mut state, "ups.delay.shutdown", "-1").await,
        TrackingStatus::Unknown
    );
}

#[tokio::test(start_paused = true)]
async fn an_omnivs_unit() {
    let (mut d, mut state, model) = started("1001", &[]).await;
    let v = |s: &DeviceState, k: &str| s.value(k).map(str::to_owned);
    assert_eq!(v(&state, "output.voltage").as_deref(), Some("230.0"));
    assert_eq!(v(&state, "input.voltage").as_deref(), Some("230.00"));
    assert_eq!(v(&state, "ups.id"), None);
    assert!(!state.has_cmd("load.off"));
    assert_eq!(
        d.instcmd(&mut state, "load.off", None).await,
        TrackingStatus::Unknown
    );
    // No unit id on protocol 1001: ups.id is not writable, nothing is sent.
    assert_eq!(
        d.set_var(&mut state, "ups.id", "1").await,
        TrackingStatus::Unknown
    );
    assert!(!model
        .lock()
        .unwrap()
        .received
        .iter()
        .any(|c| c.starts_with('J')));
}
