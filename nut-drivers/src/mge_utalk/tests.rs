use super::*;
use crate::sim::{ModelPort, Protocol, SharedModel, UpsModel};

fn driver(model: &SharedModel) -> MgeUtalk {
    MgeUtalk::with_opener(ModelPort::opener_for(model.clone(), Protocol::MgeUtalk))
}

#[tokio::test(start_paused = true)]
async fn identifies_polls_and_commands() {
    let model = UpsModel::shared();
    let mut d = driver(&model);
    let mut state = DeviceState::new();
    let params = DriverParams::new("sim").with_option("LowBatt", Some("40"));
    d.open(&params, &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    let v = |s: &DeviceState, n: &str| s.value(n).map(str::to_owned);
    assert_eq!(
        v(&state, "ups.model").as_deref(),
        Some("Pulsar EXtreme 1500")
    );
    assert_eq!(v(&state, "ups.firmware").as_deref(), Some("12"));
    assert_eq!(v(&state, "battery.charge.low").as_deref(), Some("40"));
    assert_eq!(v(&state, "input.frequency").as_deref(), Some("50.00"));
    assert_eq!(
        v(&state, "battery.voltage.nominal").as_deref(),
        Some("024.0")
    );
    assert!(state.get("ups.delay.start").unwrap().is_writable());
    assert_eq!(v(&state, "ups.status").as_deref(), Some("OL"));
    model.lock().unwrap().apply("mains-lost").unwrap();
    model.lock().unwrap().apply("low-battery").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(v(&state, "ups.status").as_deref(), Some("OB LB DISCHRG"));
    model.lock().unwrap().received.clear();
    assert_eq!(
        d.instcmd(&mut state, "load.off", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.set_var(&mut state, "ups.delay.shutdown", "30").await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        model.lock().unwrap().received,
        ["Wy 65535", "Wx 0", "Sn 30"]
    );
    d.close().await;
    assert_eq!(model.lock().unwrap().received.last().unwrap(), "Ax 0");
}

#[tokio::test(start_paused = true)]
async fn legacy_units() {
    let model = UpsModel::shared();
    {
        let mut m = model.lock().unwrap();
        m.settings.insert("mge.model".into(), "?".into());
        m.settings.insert("mge.si".into(), "3000 17 0".into());
    }
    let mut d = driver(&model);
    let mut state = DeviceState::new();
    d.open(&DriverParams::new("sim"), &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    assert_eq!(state.value("ups.model"), Some("Pulsar ESV8"));
    assert_eq!(state.value("ups.firmware"), Some("unknown"));
}
