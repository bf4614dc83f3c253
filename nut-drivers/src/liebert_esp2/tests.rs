use super::*;
use crate::sim::{ModelPort, Protocol, SharedModel, UpsModel};

fn driver(model: &SharedModel) -> LiebertEsp2 {
    LiebertEsp2::with_opener(ModelPort::opener_for(model.clone(), Protocol::LiebertEsp2))
}

async fn started(model: &SharedModel) -> (LiebertEsp2, DeviceState) {
    let mut d = driver(model);
    let mut state = DeviceState::new();
    d.open(&DriverParams::new("sim"), &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    (d, state)
}

#[tokio::test]
async fn identifies_and_polls_a_gxt2() {
    let model = UpsModel::shared();
    let (mut d, mut state) = started(&model).await;
    let v = |s: &DeviceState, n: &str| s.value(n).map(str::to_owned);
    assert_eq!(v(&state, "ups.mfr").as_deref(), Some("Liebert"));
    assert_eq!(v(&state, "ups.serial").as_deref(), Some("0307000120AF491"));
    assert_eq!(v(&state, "ups.mfr.date").as_deref(), Some("10MAR03"));
    assert_eq!(v(&state, "ups.type").as_deref(), Some("online"));
    assert_eq!(v(&state, "input.phases").as_deref(), Some("1"));
    assert_eq!(v(&state, "input.voltage").as_deref(), Some("230.0"));
    assert_eq!(v(&state, "input.frequency").as_deref(), Some("50.0"));
    assert_eq!(v(&state, "ups.power.nominal").as_deref(), Some("3000"));
    assert_eq!(v(&state, "battery.runtime.low").as_deref(), Some("120"));
    assert_eq!(v(&state, "ups.delay.start").as_deref(), Some("30"));
    model.lock().unwrap().apply("mains-lost").unwrap();
    model.lock().unwrap().apply("low-battery").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(v(&state, "ups.status").as_deref(), Some("OB DISCHRG LB"));
    model.lock().unwrap().apply("mains-restored").unwrap();
    model.lock().unwrap().apply("line=190").unwrap();
    model.lock().unwrap().apply("charge=50").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(v(&state, "ups.status").as_deref(), Some("OL CHRG BOOST"));
    model.lock().unwrap().apply("line=260").unwrap();
    model.lock().unwrap().apply("fail").unwrap();
    model.lock().unwrap().apply("load=120").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(
        v(&state, "ups.status").as_deref(),
        Some("OL CHRG RB TRIM OVER")
    );
}

#[tokio::test]
async fn three_phases_and_another_family() {
    let model = UpsModel::shared();
    {
        let mut m = model.lock().unwrap();
        for (k, v) in [
            ("liebert.inphases", "3"),
            ("liebert.outphases", "3"),
            ("liebert.scaling", "2"),
            ("liebert.type", "interactive"),
        ] {
            m.settings.insert(k.into(), v.into());
        }
    }
    let (_d, state) = started(&model).await;
    assert_eq!(state.value("ups.type"), Some("line-interactive"));
    assert_eq!(state.value("input.L3-N.voltage"), Some("230.0"));
    assert_eq!(state.value("output.L2.crestfactor"), Some("1.4"));
    assert_eq!(state.value("input.frequency"), Some("50.0"));
    assert_eq!(state.value("ups.power.nominal"), Some("3000"));
    assert!(state.value("input.voltage").is_none());
}

#[tokio::test]
async fn bad_options_and_silent_devices() {
    let model = UpsModel::shared();
    let mut d = driver(&model);
    let mut state = DeviceState::new();
    let params = DriverParams::new("sim").with_option("baudrate", Some("300"));
    let e = d.open(&params, &mut state).await.unwrap_err();
    assert_eq!(e.to_string(), "Baudrate [300] unsupported");
    let params = DriverParams::new("sim").with_option("baudrate", Some("9600"));
    d.open(&params, &mut state).await.unwrap();
    // A device speaking something else: nothing is detected, for good.
    let mut d = LiebertEsp2::with_opener(ModelPort::opener_for(model.clone(), Protocol::Apc));
    d.open(&DriverParams::new("sim"), &mut state).await.unwrap();
    let e = tokio::time::timeout(Duration::from_secs(120), d.identify(&mut state))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, DriverError::Config(_)), "{e}");
}

#[tokio::test]
async fn shutdown_sends_the_whole_sequence() {
    let model = UpsModel::shared();
    let (mut d, mut state) = started(&model).await;
    model.lock().unwrap().received.clear();
    d.shutdown(&mut state).await.unwrap();
    let m = model.lock().unwrap();
    assert_eq!(
        m.received,
        [
            "01 9c 04 01 06 00 01 a9",
            "01 9c 04 01 05 00 0c b3",
            "01 9c 02 01 07 a7",
            "01 9c 04 01 88 4c 4c c2"
        ]
    );
    assert!(!m.output_on);
}
