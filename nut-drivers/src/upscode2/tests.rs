use super::*;
use crate::sim::{ModelPort, Protocol, UpsModel};

async fn started(settings: &[(&str, &str)]) -> (Upscode2, DeviceState, crate::sim::SharedModel) {
    let model = UpsModel::shared();
    for (k, v) in settings {
        model
            .lock()
            .unwrap()
            .settings
            .insert(format!("upscode2.{k}"), (*v).into());
    }
    let mut d = Upscode2::with_opener(ModelPort::opener_for(model.clone(), Protocol::Upscode2));
    let mut state = DeviceState::new();
    d.open(&DriverParams::new("sim"), &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    (d, state, model)
}

#[tokio::test(start_paused = true)]
async fn a_single_phase_unit_through_a_power_failure() {
    let (mut d, mut state, model) = started(&[]).await;
    assert_eq!(state.value("ups.status"), Some("OL"));
    assert_eq!(state.value("ups.delay.shutdown"), Some("010"));
    assert_eq!(state.value("ups.delay.reboot"), Some("060"));
    assert_eq!(state.value("input.phases"), Some("1"));
    assert!(state.value("ups.load").is_some());
    assert!(state.get("ups.delay.shutdown").unwrap().is_writable());
    assert!(state.has_cmd("shutdown.return"));
    model.lock().unwrap().apply("mains-lost").unwrap();
    model.lock().unwrap().apply("low-battery").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OB LB"));
}

#[tokio::test(start_paused = true)]
async fn a_three_phase_unit_renames_its_variables() {
    let (_d, state, _model) = started(&[("phases", "3"), ("full", "1")]).await;
    assert_eq!(state.value("output.phases"), Some("3"));
    assert!(state.value("output.L1-N.voltage").is_some());
    assert!(state.value("output.voltage").is_none());
    assert!(state.value("output.L1.power.percent").is_some());
    assert!(state.value("battery.1.temperature").is_some());
    assert!(state.value("ups.date").is_some());
    assert!(state.value("ups.id").is_some());
}

#[tokio::test(start_paused = true)]
async fn commands_and_sets() {
    let (mut d, mut state, model) = started(&[]).await;
    model.lock().unwrap().received.clear();
    assert_eq!(
        d.instcmd(&mut state, "test.battery.start", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut state, "load.off", None).await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        d.set_var(&mut state, "ups.delay.shutdown", "30").await,
        TrackingStatus::Handled
    );
    assert_eq!(state.value("ups.delay.shutdown"), Some("030"));
    assert_eq!(model.lock().unwrap().received, ["UPBT", "1", "UPSD", "30"]);
    model.lock().unwrap().received.clear();
    d.shutdown(&mut state).await.unwrap();
    assert_eq!(
        model.lock().unwrap().received,
        ["UPPC", "IJHLDMGCIU", "UPPC", "IJHLDMGCIU"]
    );
}

#[tokio::test(start_paused = true)]
async fn no_contact_delays_the_start() {
    let model = UpsModel::shared();
    model
        .lock()
        .unwrap()
        .settings
        .insert("upscode2.silent".into(), "1".into());
    let mut d = Upscode2::with_opener(ModelPort::opener_for(model.clone(), Protocol::Upscode2));
    let mut state = DeviceState::new();
    d.open(&DriverParams::new("sim"), &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    assert!(!d.inited);
    // Each poll tries the start-up again.
    assert!(d.update(&mut state).await.is_err());
    model.lock().unwrap().settings.remove("upscode2.silent");
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OL"));
}

#[tokio::test(start_paused = true)]
async fn nominal_values_wait_for_the_full_update() {
    let (mut d, mut state, model) = started(&[("full", "1")]).await;
    model.lock().unwrap().received.clear();
    d.update(&mut state).await.unwrap();
    let received = std::mem::take(&mut model.lock().unwrap().received);
    assert_eq!(received, ["UPDS", "UPDT", "0", "UPTM", "0"]);
    assert_eq!(state.value("ups.date"), Some("2026-12-05"));
}

#[tokio::test(start_paused = true)]
async fn options_are_checked_as_c_does() {
    for (opt, value) in [
        ("baudrate", "1000"),
        ("input_timeout", "0"),
        ("output_pace", "-5"),
        ("full_update", "x"),
    ] {
        let mut d = Upscode2::with_opener(ModelPort::opener_for(
            UpsModel::shared(),
            Protocol::Upscode2,
        ));
        let params = DriverParams::new("sim").with_option(opt, Some(value));
        let err = d.open(&params, &mut DeviceState::new()).await.unwrap_err();
        assert!(matches!(err, DriverError::Config(_)), "{opt}: {err}");
    }
    assert_eq!(baud_rate("38400").unwrap(), 38400);
}
