//! The Voltronic dialect against the simulator and over replies from the C source's
//! comments.

use nut_driver_api::{DeviceState, Driver, DriverParams};

use crate::qx::NutdrvQx;
use crate::sim::{ModelPort, Protocol, UpsModel};

async fn start(params: DriverParams) -> (NutdrvQx, DeviceState, crate::sim::SharedModel) {
    let model = UpsModel::shared();
    let mut d = NutdrvQx::with_opener(ModelPort::opener_for(model.clone(), Protocol::Voltronic));
    let mut state = DeviceState::new();
    d.open(&params, &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    (d, state, model)
}

#[tokio::test]
async fn claims_and_reads_the_simulator() {
    let (_, state, _) = start(DriverParams::new("sim")).await;
    let v = |n: &str| state.value(n).map(str::to_owned);
    assert_eq!(v("driver.version.data").as_deref(), Some("Voltronic 0.06"));
    assert_eq!(v("ups.firmware.aux").as_deref(), Some("P01"));
    assert_eq!(v("ups.status").as_deref(), Some("OL"));
    assert_eq!(v("ups.type").as_deref(), Some("line-interactive"));
    assert_eq!(v("device.model").as_deref(), Some("SIM-1000"));
    assert_eq!(v("output.powerfactor").as_deref(), Some("0.8"));
    assert_eq!(v("battery.runtime").as_deref(), Some("180"));
    assert_eq!(v("ups.start.auto").as_deref(), Some("no"));
    assert_eq!(v("battery.protection").as_deref(), Some("yes"));
    assert_eq!(v("input.transfer.high.max").as_deref(), Some("254"));
    assert_eq!(v("input.transfer.low.min").as_deref(), Some("206"));
    assert_eq!(
        state.get("input.frequency.low").unwrap().ranges(),
        &[(40, 47)]
    );
    assert_eq!(
        state.get("battery.voltage.low").unwrap().ranges(),
        &[(20, 28)]
    );
    for cmd in [
        "beeper.enable",
        "bypass.start",
        "shutdown.stop",
        "test.battery.start",
    ] {
        assert!(state.has_cmd(cmd), "{cmd}");
    }
    assert!(!state.has_cmd("outlet.1.load.off"));
}

#[tokio::test]
async fn commands_and_settings_reach_the_device() {
    let (mut d, mut state, model) = start(DriverParams::new("sim")).await;
    let sent = |m: &crate::sim::SharedModel| m.lock().unwrap().received.last().cloned();
    use nut_driver_api::proto::sock::TrackingStatus::*;
    assert_eq!(
        d.instcmd(&mut state, "test.battery.start", Some("30"))
            .await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("T.5"));
    assert_eq!(
        d.instcmd(&mut state, "test.battery.start", Some("5")).await,
        Failed
    );
    assert_eq!(
        d.instcmd(&mut state, "shutdown.return", None).await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("S.5R0003"));
    assert_eq!(d.instcmd(&mut state, "beeper.toggle", None).await, Handled);
    assert_eq!(sent(&model).as_deref(), Some("BZOFF"));
    assert_eq!(
        d.set_var(&mut state, "ups.start.auto", "yes").await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("PER"));
    assert_eq!(
        d.set_var(&mut state, "input.transfer.high", "250").await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("HEH250"));
    assert_eq!(
        d.set_var(&mut state, "input.transfer.high", "300").await,
        Unknown
    );
    assert_eq!(
        d.set_var(&mut state, "input.frequency.low", "46.5").await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("FREL46.5"));
    assert_eq!(
        d.set_var(&mut state, "ups.delay.shutdown", "75").await,
        Handled
    );
    assert_eq!(state.value("ups.delay.shutdown"), Some("60"));
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.start.auto"), Some("yes"));
    assert_eq!(state.value("input.transfer.high"), Some("250"));
    assert_eq!(state.value("ups.beeper.status"), Some("muted"));
}

#[test]
fn warnings_and_mode_as_c_derives_them() {
    use crate::qx::dialect::VOLTRONIC;
    use crate::qx::engine::Engine;
    let mut e = Engine::new(VOLTRONIC);
    let mut state = DeviceState::new();
    let ws = e.find("ups.alarm", 0, 0).unwrap();
    let qws = e.items.iter().position(|i| i.command == "QWS\r").unwrap();
    assert!(ws < qws);
    let mut bits = "0".repeat(64).into_bytes();
    bits[7] = b'1';
    bits[60] = b'1';
    let raw = String::from_utf8(bits).unwrap();
    assert_eq!(e.infoval_set(qws, &raw, &mut state), Ok(false));
    assert!(e.bits.has("LB"));
    let mut all = DeviceState::new();
    e.start_full();
    let ones = "1".repeat(64);
    e.infoval_set(qws, &ones, &mut all).unwrap();
    e.commit_alarms(&mut all);
    let alarm = all.value("ups.alarm").unwrap();
    assert!(
        alarm.starts_with("UPS warnings: Known (see log or manual) [bit: #01, #02"),
        "{alarm}"
    );
    assert!(
        alarm.contains("]; Unknown warnings [bit: #59, #60, #61, #63, #64]"),
        "{alarm}"
    );
    assert!(e.infoval_set(qws, "01x", &mut state).is_err());
}
