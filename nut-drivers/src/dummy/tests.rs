use std::time::Duration;

use super::*;
use nut_driver_api::proto::sock::DriverMessage;

struct Fixture {
    dir: tempfile::TempDir,
    driver: DummyUps,
    state: DeviceState,
}

async fn open(file: &str, text: &str, mode: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text).unwrap();
    let mut params = DriverParams::new(file).with_config_dir(dir.path());
    if let Some(m) = mode {
        params = params.with_option("mode", Some(m));
    }
    let mut driver = DummyUps::new();
    let mut state = DeviceState::new();
    driver.open(&params, &mut state).await.unwrap();
    driver.identify(&mut state).await.unwrap();
    Fixture { dir, driver, state }
}

#[tokio::test]
async fn dev_file_with_c_typing_rules() {
    let mut f = open(
        "x.dev",
        "ups.mfr:\nbattery.charge: 5\ndevice.serial:\nbattery.charge.warning: 50\ninput.quality: good\ndriver.name: other\nups.firmware:  6.5.D\n",
        None,
    )
    .await;
    let s = &f.state;
    assert_eq!(f.driver.mode(), Some(Mode::Once));
    assert_eq!(s.value("driver.parameter.mode"), Some("dummy-once"));
    // An empty value on the first line deletes; later it repeats the previous line's value.
    assert!(s.get("ups.mfr").is_none());
    assert_eq!(s.value("device.serial"), Some("5"));
    assert_eq!(s.value("ups.model"), Some("Dummy UPS"));
    assert_eq!(s.value("ups.status"), Some("OL"));
    assert!(s.get("driver.name").is_none());
    assert_eq!(s.value("ups.firmware"), Some("6.5.D"));
    let charge = s.get("battery.charge").unwrap();
    assert!(charge.is_writable() && !charge.is_string() && charge.aux() == 0);
    let warn = s.get("battery.charge.warning").unwrap();
    assert!(warn.is_writable() && warn.is_string() && warn.aux() == 32);
    assert_eq!(s.get("input.quality").unwrap().aux(), 6);
    assert!(s.has_cmd("load.off"));

    // SET: C's rules.
    assert_eq!(
        f.driver.set_var(&mut f.state, "new.var", "x").await,
        TrackingStatus::Handled
    );
    assert_eq!(f.state.get("new.var").unwrap().aux(), 32);
    assert_eq!(
        f.driver.set_var(&mut f.state, "ups.status", "OB LB").await,
        TrackingStatus::Handled
    );
    assert_eq!(f.state.value("ups.status"), Some("OB LB"));
    assert_eq!(
        f.driver.set_var(&mut f.state, "new.var", "").await,
        TrackingStatus::Handled
    );
    assert!(f.state.get("new.var").is_none());
    assert_eq!(
        f.driver.instcmd(&mut f.state, "load.off", None).await,
        TrackingStatus::Unknown
    );

    // Nothing changes while the file does not; a change is read again.
    f.state.take_changes();
    f.driver.update(&mut f.state).await.unwrap();
    assert!(!f.state.has_changes());
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::fs::write(f.dir.path().join("x.dev"), "battery.charge: 7\n").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        f.driver.update(&mut f.state).await.unwrap();
        if f.state.value("battery.charge") == Some("7") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "file change not seen");
        // Coarse mtime granularity: touch again until the time differs.
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::fs::write(f.dir.path().join("x.dev"), "battery.charge: 7\n").unwrap();
    }
    assert_eq!(
        f.state.take_changes(),
        vec![DriverMessage::SetInfo {
            var: "battery.charge".try_into().unwrap(),
            value: "7".try_into().unwrap()
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn seq_file_loops_with_timers_and_alarms() {
    let mut f = open(
        "x.seq",
        "ups.status: OL\nTIMER 10\nups.status: OB\nALARM Fan failure\nTIMER 10\nALARM\n",
        None,
    )
    .await;
    assert_eq!(f.driver.mode(), Some(Mode::Loop));
    assert_eq!(f.state.value("ups.status"), Some("OL"));
    f.driver.update(&mut f.state).await.unwrap();
    assert_eq!(f.state.value("ups.status"), Some("OL"), "paused by TIMER");
    tokio::time::advance(Duration::from_secs(11)).await;
    f.driver.update(&mut f.state).await.unwrap();
    assert_eq!(f.state.value("ups.status"), Some("ALARM OB"));
    assert_eq!(f.state.value("ups.alarm"), Some("Fan failure"));
    tokio::time::advance(Duration::from_secs(11)).await;
    f.driver.update(&mut f.state).await.unwrap();
    assert_eq!(f.state.value("ups.status"), Some("OB"));
    assert!(f.state.get("ups.alarm").is_none());
    // The end of the file: the next update starts again at the top.
    f.driver.update(&mut f.state).await.unwrap();
    assert_eq!(f.state.value("ups.status"), Some("OL"));
}

#[tokio::test]
async fn modes_and_errors() {
    let f = open("plain.txt", "a: 1\n", None).await;
    assert_eq!(f.driver.mode(), Some(Mode::Loop));
    assert_eq!(f.state.value("driver.parameter.mode"), Some("dummy"));
    let f = open("x.dev", "a: 1\n", Some("dummy-loop")).await;
    assert_eq!(f.driver.mode(), Some(Mode::Loop));
    let dir = tempfile::tempdir().unwrap();
    let mut state = DeviceState::new();
    let missing = DriverParams::new("nope.dev").with_config_dir(dir.path());
    let err = DummyUps::new()
        .open(&missing, &mut state)
        .await
        .unwrap_err();
    assert!(matches!(err, DriverError::Config(_)), "{err}");
    let path = dir.path().join("nope.dev");
    let path = path.display();
    assert_eq!(
        err.to_string(),
        format!(
            "Can't open dummy-ups definition file {path}: Can't open {path}: No such file or directory"
        )
    );
    let bad = DriverParams::new("x.dev").with_option("mode", Some("meta"));
    let err = DummyUps::new().open(&bad, &mut state).await.unwrap_err();
    assert_eq!(err.to_string(), "Unsupported mode was specified: meta");
    let bad = DriverParams::new("bad name@host");
    assert!(matches!(
        DummyUps::new().open(&bad, &mut state).await.unwrap_err(),
        DriverError::Config(_)
    ));
}

/// Without the repeater feature, a repeater port is a configuration error that says why.
#[cfg(not(feature = "repeater"))]
#[tokio::test]
async fn repeater_mode_needs_its_feature() {
    let mut state = DeviceState::new();
    let params = DriverParams::new("ups@localhost");
    let err = DummyUps::new().open(&params, &mut state).await.unwrap_err();
    assert!(matches!(err, DriverError::Config(_)), "{err}");
    assert!(err.to_string().contains("repeater feature"), "{err}");
}
