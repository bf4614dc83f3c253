use super::*;
use crate::sim::{ModelPort, Protocol, SharedModel, UpsModel};

fn driver(model: &SharedModel) -> Powercom {
    Powercom::with_opener(ModelPort::opener_for(model.clone(), Protocol::Powercom))
}

async fn started(model: &SharedModel, opts: &[(&str, Option<&str>)]) -> (Powercom, DeviceState) {
    let mut d = driver(model);
    let mut state = DeviceState::new();
    let mut params = DriverParams::new("sim");
    for (k, v) in opts {
        params = params.with_option(*k, *v);
    }
    d.open(&params, &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    (d, state)
}

fn with_type(t: &str) -> SharedModel {
    let model = UpsModel::shared();
    model
        .lock()
        .unwrap()
        .settings
        .insert("powercom.type".into(), t.into());
    model
}

#[tokio::test]
async fn kin_detects_tests_and_follows_the_power() {
    let model = with_type("KIN");
    let (mut d, mut state) = started(&model, &[("type", Some("KIN"))]).await;
    assert_eq!(state.value("ups.model"), Some("KIN-1500AP"));
    assert_eq!(state.value("ups.model.type"), Some("KIN"));
    assert_eq!(state.value("input.voltage.nominal"), Some("230"));
    assert_eq!(state.value("ups.status"), Some("OL"));
    assert_eq!(state.value("input.frequency"), Some("50.07"));
    assert!(state.has_cmd("shutdown.stayoff"));
    // The battery test at start-up.
    assert_eq!(model.lock().unwrap().received[..2], ["01", "03"]);
    model.lock().unwrap().apply("mains-lost").unwrap();
    model.lock().unwrap().apply("low-battery").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OB LB"));
    model.lock().unwrap().received.clear();
    assert_eq!(
        d.instcmd(&mut state, "shutdown.return", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut state, "shutdown.stayoff", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut state, "load.off", None).await,
        TrackingStatus::Unknown
    );
    assert_eq!(model.lock().unwrap().received, ["b9 bc 01 1e", "ba 01 1e"]);
}

#[tokio::test]
async fn every_family_reads_its_frames() {
    for t in crate::sim::powercom::TYPES {
        let model = with_type(t);
        let (_d, state) = started(&model, &[("type", Some(t)), ("nobt", None)]).await;
        assert_eq!(state.value("ups.status"), Some("OL"), "{t}");
        assert!(state.value("battery.charge").is_some(), "{t}");
    }
    // The Trust family sends the shutdown delay without minutes.
    let model = with_type("Trust");
    let (mut d, mut state) = started(&model, &[]).await;
    d.shutdown(&mut state).await.unwrap();
    assert_eq!(model.lock().unwrap().received.last().unwrap(), "b9 bc 0a");
}

#[test]
fn options_override_the_family() {
    let p = |opts: &[(&str, &str)]| {
        let mut params = DriverParams::new("x");
        for (k, v) in opts {
            params = params.with_option(*k, Some(v));
        }
        configure(&params)
    };
    let (e, lv) = p(&[
        ("type", "BNT-other"),
        ("linevoltage", "120"),
        ("shutdownArguments", "{{2,5},n}"),
        ("voltage", "{2.5,0,2.5,0}"),
        ("numOfBytesFromUPS", "11"),
    ])
    .unwrap();
    assert_eq!(
        (e.name, lv, e.delay, e.use_minutes),
        ("BNT-other", 120, [2, 5], b'n')
    );
    assert_eq!((e.voltage[0], e.frame_len), (2.5, 11));
    for bad in [
        ("type", "kin"),
        ("linevoltage", "150"),
        ("numOfBytesFromUPS", "17"),
        ("methodOfFlowControl", "dtr1"),
        ("validationSequence", "{{1,2}}"),
        ("frequency", "{1}"),
    ] {
        assert!(matches!(p(&[bad]), Err(DriverError::Config(_))), "{bad:?}");
    }
}
