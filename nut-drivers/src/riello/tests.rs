use super::frame::*;
use super::*;
use crate::sim::{ModelPort, Protocol, SharedModel, UpsModel};

/// A port where nothing ever answers.
struct Silent;

#[async_trait]
impl SerialPort for Silent {
    async fn write_all(&mut self, _data: &[u8]) -> io::Result<()> {
        Ok(())
    }
    async fn read_some(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        std::future::pending().await
    }
}

fn driver(model: &SharedModel) -> Riello {
    Riello::serial_with_opener(ModelPort::opener_for(model.clone(), Protocol::Riello))
}

async fn started(model: &SharedModel) -> (Riello, DeviceState) {
    let mut d = driver(model);
    let mut state = DeviceState::new();
    d.open(&DriverParams::new("sim"), &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    (d, state)
}

#[test]
fn checks_match_c() {
    // The sum of the bytes after STX, and the CRC, as digits.
    let gi = gpser(b"GI", b"", false);
    assert_eq!(gi, b"\x02\x20\x22GI00\x30\x31\x33\x32\x03");
    assert_eq!(gpser_check(&gi[..7], false), 0x132);
    let rs = gpser(b"RS", b"", true);
    assert_eq!(check(&rs, true), Some(true));
    assert_eq!(check(&rs, false), Some(false));
    assert_eq!(shutdown(0x12, true)[5..11], *b"0400\x31\x32");
    assert_eq!(restore(5, false)[5..15], *b"0800000005");
    assert_eq!(sentr_command(6, 300), [176, 6, 44, 1, 227]);
}

#[test]
fn receiver_cuts_frames_like_c() {
    let mut rx = Receiver::new();
    rx.start();
    // Noise, then a reply; an STX followed by a control byte does not start one.
    for b in [0xc0, 0x02, 0x01] {
        rx.push(b, Kind::Gpser, false);
    }
    let reply = gpser_reply(b"GN", b"00", false);
    for b in &reply {
        rx.push(*b, Kind::Gpser, false);
    }
    assert!(!rx.waiting && !rx.bad_crc && !rx.nak);
    assert_eq!(&rx.buf[..rx.len], &reply[..]);
    // A NAK.
    rx.start();
    for b in gpser_reply(&[0x15, b'X'], b"", true) {
        rx.push(b, Kind::Gpser, true);
    }
    assert!(rx.nak && !rx.bad_crc);
    // A SENTR block: 103 bytes, the sum of the first 100 in the last two.
    let mut block = vec![0u8; 103];
    block[0] = 192;
    block[1] = 103;
    let sum: u16 = block[..100].iter().map(|&b| u16::from(b)).sum();
    block[101..].copy_from_slice(&sum.to_le_bytes());
    rx.start();
    for b in &block {
        rx.push(*b, Kind::Sentr, false);
    }
    assert_eq!(rx.len, 103);
    assert!(!rx.bad_crc);
}

#[test]
fn sentr_blocks_are_read() {
    let mut buf = [0u8; BUFFER_SIZE];
    buf[0] = 192;
    buf[1] = 103;
    buf[2..4].copy_from_slice(&15u16.to_le_bytes()); // model 15: 1.5 kVA, polls with 240
    buf[4..6].copy_from_slice(&1234u16.to_le_bytes());
    buf[8] = 90;
    buf[31] = 8 | 16;
    buf[35] = 100;
    buf[43] = 27;
    let mut d = RielloData::default();
    assert_eq!(parse_sentr(&buf, &mut d), SENTR_ALSO240);
    assert_eq!(d.version, b"12.34");
    assert_eq!(d.nom_power_va, 1000);
    assert_eq!(d.nom_power_w, 0);
    assert_eq!(d.u_inp[0], 230);
    assert_eq!(d.u_bat, 270);
    assert_eq!(d.bat_cap, 90);
    assert_eq!(d.status[0], 0x0b);
    assert_eq!(d.ident_bytes[0], b'3');
}

#[tokio::test(start_paused = true)]
async fn power_failure() {
    let model = UpsModel::shared();
    let (mut d, mut state) = started(&model).await;
    assert_eq!(state.value("ups.model"), Some("SEP1000        "));
    assert_eq!(state.value("ups.power.nominal"), Some("1000"));
    assert_eq!(state.value("output.frequency.nominal"), Some("50.0"));
    assert_eq!(state.value("input.frequency"), Some("50.00"));
    assert_eq!(state.value("battery.runtime"), Some("180"));
    assert_eq!(state.value("output.L1.realpower"), Some("112"));
    model.lock().unwrap().apply("mains-lost").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OB"));
    assert_eq!(state.value("input.voltage"), Some("0"));
    model.lock().unwrap().apply("low-battery").unwrap();
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OB LB"));
    // On battery only shutdown.return cuts the power.
    assert_eq!(
        d.instcmd(&mut state, "load.off", None).await,
        TrackingStatus::Unknown
    );
    model.lock().unwrap().received.clear();
    assert_eq!(
        d.instcmd(&mut state, "shutdown.return", None).await,
        TrackingStatus::Handled
    );
    let sent = model.lock().unwrap().received.clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(model.lock().unwrap().shutdown_in, Some(5.0));
    {
        let mut m = model.lock().unwrap();
        m.apply("mains-restored").unwrap();
        m.apply("line=190").unwrap();
        m.charge = 50.0;
    }
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OL BOOST CHRG"));
}

#[tokio::test(start_paused = true)]
async fn three_phase_units() {
    let model = UpsModel::shared();
    {
        let mut m = model.lock().unwrap();
        m.settings.insert("riello.type".into(), "4".into());
        m.settings.insert("riello.power".into(), "10000".into());
        m.settings.insert("riello.crc".into(), "0".into());
    }
    let (_d, state) = started(&model).await;
    assert_eq!(state.value("input.phases"), Some("3"));
    assert_eq!(state.value("output.phases"), Some("3"));
    assert_eq!(state.value("ups.power.nominal"), Some("10000"));
    assert_eq!(state.value("input.L3-N.voltage"), Some("232"));
    assert_eq!(state.value("output.L2.power.percent"), Some("15"));
    assert_eq!(state.value("ups.load"), Some("15"));
    assert_eq!(state.value("input.voltage"), None);
}

#[tokio::test(start_paused = true)]
async fn a_silent_unit_is_not_found_and_killpower_fails_like_c() {
    // Nothing answers: both probes at both speeds time out.
    let model = UpsModel::shared();
    model
        .lock()
        .unwrap()
        .settings
        .insert("riello.extended".into(), "no".into());
    let mut d = Riello::serial_with_opener(Box::new(|_: &str| {
        Ok(Box::new(Silent) as Box<dyn SerialPort>)
    }));
    let mut state = DeviceState::new();
    let e = d
        .open(&DriverParams::new("x"), &mut state)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Can't connect"), "{e}");
    // -k before any status: shutdown.stop three times, shutdown.return unknown.
    let mut d = driver(&model);
    d.open(&DriverParams::new("sim"), &mut state).await.unwrap();
    model.lock().unwrap().received.clear();
    assert!(d.shutdown(&mut state).await.is_err());
    let sent = model.lock().unwrap().received.clone();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|s| s.starts_with("02 20 22 43 44")));
    // RE refused: the powers stay at zero but are published.
    let (_d, state) = started(&model).await;
    assert_eq!(state.value("output.L1.power"), Some("0"));
}
