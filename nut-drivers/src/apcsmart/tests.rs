use super::*;
use crate::sim::{apc, UpsModel};

async fn started(model: &crate::sim::SharedModel) -> (Apcsmart, DeviceState) {
    let mut d = Apcsmart::with_opener(apc::opener(model.clone()));
    let mut s = DeviceState::new();
    d.open(&DriverParams::new("sim"), &mut s).await.unwrap();
    d.identify(&mut s).await.unwrap();
    d.update(&mut s).await.unwrap();
    (d, s)
}

#[tokio::test(start_paused = true)]
async fn discovers_variables_commands_and_settings() {
    let model = UpsModel::shared();
    let (_d, s) = started(&model).await;
    assert_eq!(s.value("ups.firmware"), Some(apc::FIRMWARE));
    assert_eq!(s.value("ups.serial"), Some(apc::SERIAL));
    assert_eq!(s.value("ups.mfr"), Some("APC"));
    assert_eq!(s.value("battery.runtime"), Some("180"));
    assert_eq!(s.value("ups.test.interval"), Some("1209600"));
    assert_eq!(s.value("input.voltage"), Some("230.0"));
    let high = s.get("input.transfer.high").unwrap();
    assert!(high.is_writable());
    let enums: Vec<&str> = high.enums().iter().map(|v| v.as_str()).collect();
    assert_eq!(enums, ["253", "264", "271", "280"]);
    let low = s.get("battery.runtime.low").unwrap();
    let enums: Vec<&str> = low.enums().iter().map(|v| v.as_str()).collect();
    assert_eq!(enums, ["120", "300", "420", "600"]);
    let id = s.get("ups.id").unwrap();
    assert!(id.is_writable() && id.is_string());
    assert_eq!(id.aux(), 8);
    for c in [
        "shutdown.return",
        "shutdown.stayoff",
        "load.off",
        "load.on",
        "calibrate.start",
        "test.battery.start",
        "test.panel.start",
    ] {
        assert!(s.has_cmd(c), "{c}");
    }
    assert!(!s.has_cmd("bypass.start"));
}

#[tokio::test(start_paused = true)]
async fn status_words_and_alerts() {
    let model = UpsModel::shared();
    let (mut d, mut s) = started(&model).await;
    assert_eq!(s.value("ups.status"), Some("OL"));
    model.lock().unwrap().apply("line=190").unwrap();
    d.update(&mut s).await.unwrap();
    assert_eq!(s.value("ups.status"), Some("BOOST OL"));
    // An alert inside a reply changes the status at once.
    d.alert(b'!', &mut s);
    assert_eq!(s.value("ups.status"), Some("BOOST OB"));
    d.alert(b'%', &mut s);
    assert_eq!(s.value("ups.status"), Some("BOOST OB LB"));
    model.lock().unwrap().apply("mains-lost").unwrap();
    model.lock().unwrap().apply("low-battery").unwrap();
    model.lock().unwrap().failed = true;
    d.update(&mut s).await.unwrap();
    assert_eq!(s.value("ups.status"), Some("OB LB RB"));
    model.lock().unwrap().output_on = false;
    d.update(&mut s).await.unwrap();
    assert_eq!(s.value("ups.status"), Some("OFF"));
}

#[tokio::test(start_paused = true)]
async fn commands_and_settings() {
    let model = UpsModel::shared();
    let (mut d, mut s) = started(&model).await;
    assert_eq!(
        d.instcmd(&mut s, "test.panel.start", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut s, "calibrate.start", None).await,
        TrackingStatus::Handled
    );
    assert!(model.lock().unwrap().testing);
    d.update(&mut s).await.unwrap();
    assert_eq!(s.value("ups.status"), Some("CAL OL"));
    assert_eq!(
        d.instcmd(&mut s, "bypass.start", None).await,
        TrackingStatus::Invalid
    );
    assert_eq!(
        d.instcmd(&mut s, "nonsense", None).await,
        TrackingStatus::Invalid
    );
    // Nasty commands run only when asked twice 3 to 15 s apart.
    assert_eq!(
        d.instcmd(&mut s, "shutdown.stayoff", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(model.lock().unwrap().shutdown_in, None);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        d.instcmd(&mut s, "shutdown.stayoff", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(model.lock().unwrap().shutdown_in, Some(20.0));
    assert_eq!(
        d.set_var(&mut s, "ups.delay.shutdown", "300").await,
        TrackingStatus::Handled
    );
    assert_eq!(s.value("ups.delay.shutdown"), Some("300"));
    assert_eq!(
        d.set_var(&mut s, "ups.delay.shutdown", "301").await,
        TrackingStatus::Failed
    );
    assert_eq!(
        d.set_var(&mut s, "ups.id", "RACK7").await,
        TrackingStatus::Handled
    );
    assert_eq!(s.value("ups.id"), Some("RACK7"));
    assert_eq!(
        d.set_var(&mut s, "ups.load", "1").await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        d.set_var(&mut s, "ups.id", "WAYTOOLONG").await,
        TrackingStatus::Failed
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_on_battery_uses_soft_hibernation() {
    let model = UpsModel::shared();
    let (mut d, mut s) = started(&model).await;
    model.lock().unwrap().apply("mains-lost").unwrap();
    d.shutdown(&mut s).await.unwrap();
    let m = model.lock().unwrap();
    assert_eq!((m.shutdown_in, m.restart_after), (Some(20.0), Some(0)));
    assert!(m.received.iter().any(|c| c == "S"));
}

#[tokio::test(start_paused = true)]
async fn bad_options_and_silence() {
    let mut d = Apcsmart::with_opener(apc::opener(UpsModel::shared()));
    let mut s = DeviceState::new();
    for (k, v) in [
        ("awd", "1234"),
        ("sdtype", "6"),
        ("advorder", "5"),
        ("cshdelay", "10"),
    ] {
        let p = DriverParams::new("sim").with_option(k, Some(v));
        assert!(
            matches!(d.open(&p, &mut s).await, Err(DriverError::Config(_))),
            "{k}"
        );
    }
    let p = DriverParams::new("sim")
        .with_option("advorder", Some("no"))
        .with_option("cshdelay", Some(".5"));
    d.open(&p, &mut s).await.unwrap();
    assert_eq!(c_strtol16("5f"), 0x5f);
    assert_eq!(c_strtol16("zz"), 0);
}

#[tokio::test(start_paused = true)]
async fn alerts_between_polls_wake_the_driver() {
    let model = UpsModel::shared();
    let (mut d, mut s) = started(&model).await;
    // Nothing changes: the device stays silent, and so does the driver.
    let quiet = tokio::time::timeout(Duration::from_secs(30), d.event(&mut s)).await;
    assert!(quiet.is_err(), "event() returned without an alert");
    let before = model.lock().unwrap().received.len();
    model.lock().unwrap().apply("mains-lost").unwrap();
    tokio::time::timeout(Duration::from_secs(30), d.event(&mut s))
        .await
        .expect("no wake-up on the alert")
        .unwrap();
    assert_eq!(s.value("ups.status"), Some("OB"));
    // The wake-up is a whole update, as C's main loop does one when the port is readable.
    let sent: Vec<String> = model.lock().unwrap().received[before..].to_vec();
    assert_eq!(sent.first().map(String::as_str), Some("Q"), "{sent:?}");
    // Low battery and back: one alert each.
    model.lock().unwrap().apply("low-battery").unwrap();
    d.event(&mut s).await.unwrap();
    assert_eq!(s.value("ups.status"), Some("OB LB"));
    model.lock().unwrap().apply("mains-restored").unwrap();
    model.lock().unwrap().apply("charge=90").unwrap();
    d.event(&mut s).await.unwrap();
    assert_eq!(s.value("ups.status"), Some("OL"));
}

#[tokio::test(start_paused = true)]
async fn an_alert_alone_changes_the_status() {
    // A device whose status register does not answer: only the alert tells.
    struct AlertOnly(Vec<u8>);
    #[async_trait]
    impl SerialPort for AlertOnly {
        async fn write_all(&mut self, _data: &[u8]) -> io::Result<()> {
            Ok(())
        }
        async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                std::future::pending::<()>().await;
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Ok(n)
        }
    }
    let mut d = Apcsmart::with_opener(Box::new(|_: &str| {
        Ok(Box::new(AlertOnly(b"!%".to_vec())) as Box<dyn SerialPort>)
    }));
    let mut s = DeviceState::new();
    d.port = Some((d.opener)("x").unwrap());
    d.status = STAT_OL;
    // The update fails (no answer to `Q`), but the alerts were acted upon first.
    assert!(d.event(&mut s).await.is_err());
    assert_eq!(s.value("ups.status"), Some("OB LB"));
}
