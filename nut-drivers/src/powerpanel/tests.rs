use super::*;
use crate::sim::{ModelPort, Protocol, SharedModel, UpsModel};

fn driver(model: &SharedModel) -> Powerpanel {
    Powerpanel::with_opener(ModelPort::opener_for(model.clone(), Protocol::Powerpanel))
}

async fn started(model: &SharedModel, params: &DriverParams) -> (Powerpanel, DeviceState) {
    let mut d = driver(model);
    let mut state = DeviceState::new();
    d.open(params, &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    (d, state)
}

fn text_model(layout: &str) -> SharedModel {
    let model = UpsModel::shared();
    let mut m = model.lock().unwrap();
    m.settings
        .insert("powerpanel.protocol".into(), "text".into());
    m.settings.insert("powerpanel.layout".into(), layout.into());
    drop(m);
    model
}

#[tokio::test(start_paused = true)]
async fn binary_pr_unit() {
    let model = UpsModel::shared();
    let (mut d, mut state) = started(&model, &DriverParams::new("sim")).await;
    assert_eq!(d.mode(), Mode::Binary);
    let v = |s: &DeviceState, n: &str| s.value(n).map(str::to_owned);
    assert_eq!(v(&state, "ups.model").as_deref(), Some("PR2200"));
    assert_eq!(v(&state, "ups.firmware").as_deref(), Some("1.100"));
    assert_eq!(v(&state, "input.voltage.nominal").as_deref(), Some("230"));
    assert_eq!(v(&state, "input.transfer.high").as_deref(), Some("147"));
    assert_eq!(v(&state, "ups.start.battery").as_deref(), Some("yes"));
    assert_eq!(v(&state, "input.frequency").as_deref(), Some("50.0"));
    assert!(state.get("battery.charge.low").unwrap().is_writable());
    assert_eq!(
        d.set_var(&mut state, "ups.start.battery", "no").await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.set_var(&mut state, "input.transfer.high", "999").await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        d.instcmd(&mut state, "beeper.toggle", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut state, "shutdown.return", None).await,
        TrackingStatus::Unknown
    );
    model.lock().unwrap().apply("mains-lost").unwrap();
    model.lock().unwrap().apply("low-battery").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(v(&state, "ups.status").as_deref(), Some("OB LB"));
    assert_eq!(v(&state, "ups.beeper.status").as_deref(), Some("disabled"));
    // On battery the nominal output voltage stands in.
    assert_eq!(v(&state, "output.voltage").as_deref(), Some("120"));
}

#[tokio::test(start_paused = true)]
async fn binary_op_unit_and_refusals() {
    let model = UpsModel::shared();
    model
        .lock()
        .unwrap()
        .settings
        .insert("powerpanel.model".into(), "rO45".into());
    let (_d, state) = started(&model, &DriverParams::new("sim")).await;
    assert_eq!(state.value("ups.model"), Some("OP1500AVR"));
    assert_eq!(state.value("battery.charge"), Some("100"));
    assert_eq!(state.value("input.frequency"), Some("50.0"));
    let mut d = driver(&model);
    let params = DriverParams::new("sim").with_option("ondelay", Some("3"));
    assert!(d.open(&params, &mut DeviceState::new()).await.is_err());
    let params = DriverParams::new("sim").with_option("protocol", Some("text"));
    assert!(d.open(&params, &mut DeviceState::new()).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn text_units() {
    for layout in ["temperature", "runtime", "long"] {
        let model = text_model(layout);
        let params = DriverParams::new("sim").with_option("offdelay", Some("125"));
        let (mut d, mut state) = started(&model, &params).await;
        assert_eq!(d.mode(), Mode::Text);
        assert_eq!(state.value("ups.model"), Some("1000VA"));
        assert_eq!(state.value("ups.mfr"), Some("CYBER POWER"));
        assert_eq!(state.value("ups.delay.shutdown"), Some("120"));
        assert_eq!(state.value("battery.packs"), Some("2"));
        assert!(state.value("battery.voltage.nominal").is_some());
        assert_eq!(state.value("input.transfer.high"), Some("270"));
        assert_eq!(state.get("input.transfer.high").unwrap().enums().len(), 4);
        assert_eq!(state.value("ups.status"), Some("OL"), "{layout}");
        assert_eq!(
            state.value("battery.runtime").is_some(),
            layout != "temperature"
        );
        model.lock().unwrap().received.clear();
        assert_eq!(
            d.instcmd(&mut state, "shutdown.reboot", None).await,
            TrackingStatus::Handled
        );
        assert_eq!(
            d.set_var(&mut state, "input.transfer.high", "264").await,
            TrackingStatus::Handled
        );
        assert_eq!(model.lock().unwrap().received, ["S02R0001", "C2:264"]);
        model.lock().unwrap().apply("mains-lost").unwrap();
        d.update(&mut state).await.unwrap();
        assert_eq!(state.value("ups.status"), Some("OB"));
    }
}

#[tokio::test(start_paused = true)]
async fn text_delays_are_checked() {
    let model = text_model("temperature");
    for bad in [("offdelay", "5"), ("ondelay", "10000")] {
        let params = DriverParams::new("sim").with_option(bad.0, Some(bad.1));
        assert!(driver(&model)
            .open(&params, &mut DeviceState::new())
            .await
            .is_err());
    }
}
