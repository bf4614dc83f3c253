//! The blazer driver against the simulated device model.

use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::{DeviceState, Driver, DriverError, DriverParams};

use super::Blazer;
use crate::sim::q1::Q1Dialect;
use crate::sim::{ModelPort, SharedModel, UpsModel};

fn params(options: &[(&str, Option<&str>)]) -> DriverParams {
    options
        .iter()
        .fold(DriverParams::new("sim"), |p, (n, v)| p.with_option(*n, *v))
}

async fn started(
    dialect: Q1Dialect,
    options: &[(&str, Option<&str>)],
) -> (Blazer, DeviceState, SharedModel) {
    let model = UpsModel::shared();
    let mut d = Blazer::with_opener(ModelPort::opener(model.clone(), dialect));
    let mut s = DeviceState::new();
    d.open(&params(options), &mut s).await.unwrap();
    d.identify(&mut s).await.unwrap();
    d.update(&mut s).await.unwrap();
    (d, s, model)
}

#[tokio::test(start_paused = true)]
async fn the_four_protocols_are_found_in_c_order() {
    for (dialect, name) in [
        (Q1Dialect::Megatec, "megatec"),
        (Q1Dialect::Mustek, "mustek"),
        (Q1Dialect::MegatecOld, "megatec/old"),
        (Q1Dialect::Zinto, "megatec"),
    ] {
        let (d, s, _) = started(dialect, &[]).await;
        assert_eq!(d.protocol(), name, "{dialect:?}");
        assert_eq!(s.value("ups.status"), Some("OL"));
        assert_eq!(s.value("ups.delay.shutdown"), Some("30"));
        assert!(s.has_cmd("test.battery.start.deep"));
    }
    let (d, s, _) = started(Q1Dialect::Zinto, &[("protocol", Some("ZINTO"))]).await;
    assert_eq!(d.protocol(), "zinto");
    assert_eq!(s.value("ups.firmware"), Some("VER1.0"));
}

#[tokio::test(start_paused = true)]
async fn the_charge_is_guessed_from_the_voltage() {
    let (_, s, _) = started(Q1Dialect::Megatec, &[]).await;
    assert_eq!(s.value("battery.voltage.nominal"), Some("24.0"));
    assert_eq!(s.value("battery.voltage.low"), Some("20.80"));
    assert_eq!(s.value("battery.voltage.high"), Some("26.00"));
    assert_eq!(s.value("battery.charge"), Some("100"));
    // Without ratings C divides by an unknown nominal voltage of -1: so do we.
    let (_, s, _) = started(Q1Dialect::Megatec, &[("norating", None)]).await;
    assert_eq!(s.value("battery.voltage.low"), Some("-0.87"));
    assert_eq!(s.value("battery.voltage.high"), Some("-1.08"));
    assert_eq!(s.value("battery.charge"), None);
}

#[tokio::test(start_paused = true)]
async fn runtimecal_estimates_charge_and_runtime() {
    let (_, s, _) = started(
        Q1Dialect::Megatec,
        &[
            ("runtimecal", Some("240,100,720,50")),
            ("idleload", Some("5")),
        ],
    )
    .await;
    // The charge is guessed once between the nominal voltage and 1.15 times it (26 V of
    // 24 to 27.6: 56%), then the runtime at full load (240 s) is scaled by it and divided
    // by the effective load (14% to the power ln 3 / ln 2 is under the 5% idle load).
    assert_eq!(s.value("battery.charge"), Some("56"));
    assert_eq!(s.value("battery.runtime"), Some("2688"));
    let model = UpsModel::shared();
    let mut d = Blazer::with_opener(ModelPort::opener(model, Q1Dialect::Megatec));
    let mut s = DeviceState::new();
    let p = params(&[("runtimecal", Some("240,100"))]);
    d.open(&p, &mut s).await.unwrap();
    assert!(matches!(
        d.identify(&mut s).await,
        Err(DriverError::Config(m)) if m.contains("runtimecal")
    ));
}

#[tokio::test(start_paused = true)]
async fn delays_are_checked_and_truncated() {
    let model = UpsModel::shared();
    let mut d = Blazer::with_opener(ModelPort::opener(model.clone(), Q1Dialect::Megatec));
    let mut s = DeviceState::new();
    for (opt, value) in [
        ("ondelay", "10000"),
        ("offdelay", "11"),
        ("offdelay", "601"),
    ] {
        let err = d.open(&params(&[(opt, Some(value))]), &mut s).await;
        assert!(
            matches!(err, Err(DriverError::Config(ref m)) if m.contains("out of range")),
            "{opt}={value}: {err:?}"
        );
    }
    let (mut d, mut s, model) = started(
        Q1Dialect::Megatec,
        &[("offdelay", Some("125")), ("ondelay", Some("0"))],
    )
    .await;
    assert_eq!(s.value("ups.delay.shutdown"), Some("120"));
    assert_eq!(s.value("ups.delay.start"), Some("0"));
    model.lock().unwrap().received.clear();
    assert_eq!(
        d.instcmd(&mut s, "shutdown.return", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut s, "shutdown.stayoff", None).await,
        TrackingStatus::Handled
    );
    let (mut d, mut s, model) = started(Q1Dialect::Megatec, &[("offdelay", Some("40"))]).await;
    assert_eq!(s.value("ups.delay.shutdown"), Some("36"));
    d.shutdown(&mut s).await.unwrap();
    let sent = model.lock().unwrap().received.clone();
    assert_eq!(sent[sent.len() - 2..], ["C", "S.6R0003"]);
}

#[tokio::test(start_paused = true)]
async fn instant_commands_send_cs_texts() {
    let (mut d, mut s, model) = started(Q1Dialect::Megatec, &[]).await;
    for (cmd, param, want) in [
        ("beeper.toggle", None, "Q"),
        ("load.off", None, "S00R0000"),
        ("test.battery.start", None, "T10"),
        ("test.battery.start", Some("5"), "T05"),
        ("test.battery.start.deep", None, "TL"),
        ("shutdown.stayoff", None, "S.5R0000"),
    ] {
        model.lock().unwrap().received.clear();
        assert_eq!(
            d.instcmd(&mut s, cmd, param).await,
            TrackingStatus::Handled,
            "{cmd}"
        );
        assert_eq!(model.lock().unwrap().received, [want], "{cmd}");
    }
    assert_eq!(
        d.instcmd(&mut s, "test.battery.start", Some("100")).await,
        TrackingStatus::Failed
    );
    assert_eq!(
        d.instcmd(&mut s, "beeper.enable", None).await,
        TrackingStatus::Unknown
    );
}

#[tokio::test(start_paused = true)]
async fn another_protocol_is_not_detected() {
    let model = UpsModel::shared();
    let mut d = Blazer::with_opener(ModelPort::opener(model, Q1Dialect::Megatec));
    let mut s = DeviceState::new();
    let p = params(&[("protocol", Some("mustek"))]);
    d.open(&p, &mut s).await.unwrap();
    assert!(matches!(
        d.identify(&mut s).await,
        Err(DriverError::Config(m)) if m == "No supported UPS detected"
    ));
}
