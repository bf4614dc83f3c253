use super::*;
use crate::sim::{bcmxcp as sim, UpsModel};
use async_trait::async_trait;

async fn start(model: &crate::sim::SharedModel, extra: &[(&str, &str)]) -> (Bcmxcp, DeviceState) {
    let mut driver = Bcmxcp::with_opener(sim::opener(model.clone()));
    let mut state = DeviceState::new();
    let mut params = DriverParams::new("sim").with_option("baud_rate", Some("9600"));
    for (k, v) in extra {
        params = params.with_option(*k, Some(v));
    }
    driver.open(&params, &mut state).await.unwrap();
    driver.identify(&mut state).await.unwrap();
    driver.update(&mut state).await.unwrap();
    (driver, state)
}

#[tokio::test(start_paused = true)]
async fn reads_the_unit_and_follows_power_events() {
    let model = UpsModel::shared();
    let (mut driver, mut state) = start(&model, &[]).await;
    let v = |s: &DeviceState, n: &str| s.value(n).map(str::to_owned);
    assert_eq!(
        v(&state, "ups.firmware").as_deref(),
        Some("Cont:01.01 Inve:01.01")
    );
    assert_eq!(v(&state, "ups.power.nominal").as_deref(), Some("1500"));
    assert_eq!(
        v(&state, "ups.description").as_deref(),
        Some("Line-Interactive UPS, Single Phase")
    );
    assert_eq!(v(&state, "outlet.2.delay.start").as_deref(), Some("5"));
    assert_eq!(
        v(&state, "outlet.1.delay.shutdown").as_deref(),
        Some("65535")
    );
    assert_eq!(v(&state, "input.frequency.low").as_deref(), Some("45"));
    assert_eq!(v(&state, "output.frequency").as_deref(), Some("50.00"));
    assert_eq!(v(&state, "output.current").as_deref(), Some(" 0.9"));
    assert_eq!(v(&state, "ups.load").as_deref(), Some(" 14.0"));
    assert_eq!(
        v(&state, "battery.charger.status").as_deref(),
        Some("resting")
    );
    assert_eq!(v(&state, "ups.serial").as_deref(), Some("UX475A0SIM01    "));
    assert_eq!(v(&state, "battery.packs").as_deref(), Some("1"));
    for c in [
        "beeper.mute",
        "load.on",
        "outlet.2.load.off",
        "shutdown.return",
        "test.battery.start",
    ] {
        assert!(state.has_cmd(c), "{c}");
    }
    assert!(state
        .get("battery.energysave.load")
        .is_some_and(|x| x.is_writable()));
    model.lock().unwrap().apply("mains-lost").unwrap();
    driver.update(&mut state).await.unwrap();
    assert_eq!(v(&state, "ups.status").as_deref(), Some("ALARM OB"));
    assert_eq!(
        v(&state, "ups.alarm").as_deref(),
        Some("UTILITY_FAIL UPS_ON_BATTERY")
    );
    model.lock().unwrap().apply("low-battery").unwrap();
    driver.update(&mut state).await.unwrap();
    assert_eq!(v(&state, "ups.status").as_deref(), Some("ALARM OB LB"));
    model.lock().unwrap().apply("mains-restored").unwrap();
    model.lock().unwrap().apply("line=190").unwrap();
    model.lock().unwrap().apply("charge=80").unwrap();
    driver.update(&mut state).await.unwrap();
    assert_eq!(v(&state, "ups.status").as_deref(), Some("ALARM OL BOOST"));
    assert_eq!(
        v(&state, "battery.charger.status").as_deref(),
        Some("charging")
    );
}

#[tokio::test(start_paused = true)]
async fn commands_and_settings_go_on_the_wire() {
    let model = UpsModel::shared();
    let (mut driver, mut state) = start(&model, &[("shutdown_delay", "30")]).await;
    model.lock().unwrap().received.clear();
    assert_eq!(
        driver.instcmd(&mut state, "shutdown.return", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(model.lock().unwrap().shutdown_in, Some(30.0));
    assert_eq!(
        driver.instcmd(&mut state, "outlet.2.load.off", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        driver.instcmd(&mut state, "nothing", None).await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        driver
            .set_var(&mut state, "output.voltage.nominal", "220")
            .await,
        TrackingStatus::Handled
    );
    assert_eq!(
        driver.set_var(&mut state, "battery.packs", "9").await,
        TrackingStatus::Invalid
    );
    assert_eq!(
        driver
            .set_var(&mut state, "outlet.1.delay.start", "7")
            .await,
        TrackingStatus::Handled
    );
    let log = model.lock().unwrap().received.clone();
    assert_eq!(
        log,
        [
            "ab 04 cf 69 e8 d5 5c",
            "ab 03 8a 1e 00 aa",
            "ab 04 cf 69 e8 d5 5c",
            "ab 02 8b 02 c6",
            "ab 04 cf 69 e8 d5 5c",
            "ab 04 95 0b dc 00 d5",
            "ab 04 cf 69 e8 d5 5c",
            "ab 04 cf 69 e8 d5 5c",
            "ab 05 97 02 01 07 00 af",
        ]
    );
    driver.update(&mut state).await.unwrap();
    assert_eq!(state.value("output.voltage.nominal"), Some("220"));
    assert_eq!(state.value("outlet.1.delay.start"), Some("7"));
    assert_eq!(state.value("outlet.2.status"), Some("off/open"));
}

#[tokio::test(start_paused = true)]
async fn bad_options_and_silence_are_errors() {
    let model = UpsModel::shared();
    let mut driver = Bcmxcp::with_opener(sim::opener(model.clone()));
    let mut state = DeviceState::new();
    let params = DriverParams::new("sim").with_option("baud_rate", Some("1234"));
    assert!(matches!(
        driver.open(&params, &mut state).await,
        Err(DriverError::Config(_))
    ));
    let mut driver = Bcmxcp::with_opener(Box::new(|_: &str, _: u32| {
        Ok(Box::new(crate::sim::ModelPort::new(
            UpsModel::shared(),
            crate::sim::Protocol::Q1(crate::sim::q1::Q1Dialect::Megatec),
        )) as Box<dyn SerialPort>)
    }));
    let params = DriverParams::new("sim");
    let e = driver.open(&params, &mut state).await.unwrap_err();
    assert!(e.to_string().contains("Can't connect"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn alarms_past_a_short_map_are_not_reported() {
    let model = UpsModel::shared();
    model
        .lock()
        .unwrap()
        .settings
        .insert("bcmxcp.alarm_map_len".into(), "25".into());
    let (mut driver, mut state) = start(&model, &[]).await;
    model.lock().unwrap().apply("load=120").unwrap();
    driver.update(&mut state).await.unwrap();
    // C reports every named alarm from 200 on as well.
    assert_eq!(state.value("ups.alarm"), Some("OUTPUT_OVERLOAD"));
    assert_eq!(state.value("ups.status"), Some("ALARM OL OVER"));
}

/// A unit that answers every command with well-framed replies of random content (and, now
/// and then, random bytes): the driver must never panic nor hang, whatever it reads.
struct Garbage {
    seed: u64,
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl Garbage {
    fn next(&mut self) -> u64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }
}

#[async_trait]
impl SerialPort for Garbage {
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(data);
        while let Some(start) = self.pending.iter().position(|&b| b == frame::START) {
            let Some(&len) = self.pending.get(start + 1) else {
                break;
            };
            let end = start + 3 + usize::from(len);
            if self.pending.len() < end {
                break;
            }
            let command = self.pending.get(start + 2).copied().unwrap_or(0);
            self.pending.drain(..end);
            let n = (self.next() % 300) as usize;
            let data: Vec<u8> = (0..n).map(|_| self.next() as u8).collect();
            match self.next() % 8 {
                0 => self.out.extend_from_slice(&data),
                1 => {}
                _ => {
                    let block = frame::expected_block(command).unwrap_or(0x09);
                    let chunk = 1 + (self.next() % 123) as usize;
                    self.out
                        .extend_from_slice(&frame::reply_frames(block, &data, chunk));
                }
            }
        }
        self.pending.retain(|&b| b == frame::START);
        Ok(())
    }

    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out.is_empty() {
            std::future::pending::<()>().await;
        }
        let n = self.out.len().min(buf.len());
        buf[..n].copy_from_slice(&self.out[..n]);
        self.out.drain(..n);
        Ok(n)
    }
}

#[tokio::test(start_paused = true)]
async fn random_replies_never_panic() {
    let mut identified = 0;
    for seed in 1..=300u64 {
        let mut driver = Bcmxcp::with_opener(Box::new(move |_: &str, _: u32| {
            Ok(Box::new(Garbage {
                seed: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
                pending: Vec::new(),
                out: Vec::new(),
            }) as Box<dyn SerialPort>)
        }));
        let mut state = DeviceState::new();
        let params = DriverParams::new("sim").with_option("baud_rate", Some("2400"));
        if driver.open(&params, &mut state).await.is_err() {
            continue;
        }
        if driver.identify(&mut state).await.is_err() {
            continue;
        }
        identified += 1;
        for _ in 0..3 {
            let _ = driver.update(&mut state).await;
        }
        for c in [
            "shutdown.return",
            "outlet.1.shutdown.return",
            "outlet.9.load.on",
        ] {
            let _ = driver.instcmd(&mut state, c, None).await;
        }
        let _ = driver
            .set_var(&mut state, "outlet.1.delay.start", "5")
            .await;
        let _ = driver
            .set_var(&mut state, "input.transfer.trim.low", "250")
            .await;
    }
    // Enough runs got as far as polling to mean something.
    assert!(identified >= 20, "{identified}");
}

/// C's USB reader on a two-block reply (120 and 31 data bytes): read 128 bytes at a time it
/// gets both blocks; in 8-byte reads its count of the second block comes one byte short,
/// it waits for more and keeps the first block only.
#[test]
fn usb_replies_are_assembled_as_by_c() {
    use super::frame::{reply_frames, FrameError, UsbReply, UsbStep};
    let data: Vec<u8> = (0..151u8).collect();
    let wire = reply_frames(0x01, &data, 120);
    assert_eq!(wire.len(), 161);
    let run = |size: usize| {
        let mut reply = UsbReply::new();
        let mut reads = 0;
        for packet in wire.chunks(size) {
            assert!(reply.wants_read());
            reads += 1;
            match reply.push(packet) {
                UsbStep::Read => {}
                other => return (other, reads),
            }
        }
        assert!(reply.wants_read());
        (UsbStep::Done(reply.partial().to_vec()), reads)
    };
    assert_eq!(run(128), (UsbStep::Done(data.clone()), 2));
    assert_eq!(run(64), (UsbStep::Done(data.clone()), 3));
    // All 21 packets read, more wanted: the first block only.
    assert_eq!(run(8), (UsbStep::Done(data[..120].to_vec()), 21));
    // A bad checksum, a wrong sequence, a block too long.
    let mut bad = wire.clone();
    bad[10] ^= 1;
    assert!(matches!(
        UsbReply::new().push(&bad[..128]),
        UsbStep::Failed(FrameError::Checksum)
    ));
    let mut bad = wire.clone();
    bad[3] = 2;
    assert!(matches!(
        UsbReply::new().push(&bad[..128]),
        UsbStep::Failed(FrameError::Sequence(2))
    ));
    let mut long = vec![0xAB, 0x01, 141, 0x81];
    long.resize(146, 0);
    assert!(matches!(
        UsbReply::new().push(&long),
        UsbStep::Failed(FrameError::TooLong)
    ));
    // Garbage before the start byte is skipped; none at all fails.
    let mut shifted = vec![0x00, 0x11];
    shifted.extend_from_slice(&reply_frames(0x01, &[7, 8], 120));
    assert_eq!(UsbReply::new().push(&shifted), UsbStep::Done(vec![7, 8]));
    assert!(matches!(
        UsbReply::new().push(&[0; 8]),
        UsbStep::Failed(FrameError::NoStart)
    ));
}
