use super::commands::{plan, Plan};
use super::registers::*;
use super::transport::{link, parse_host_port, Link};
use super::*;

#[test]
fn numbers_across_registers() {
    assert_eq!(to_u64(&[0x0001, 0x0002]), 0x1_0002);
    assert_eq!(to_i64(&[0xffff]), -1);
    assert_eq!(to_i64(&[0xffff, 0xfffe]), -2);
    assert_eq!(to_i64(&[0x7fff]), 32767);
    assert_eq!(to_i64(&[0x8000]), -32768);
    assert_eq!(to_i64(&[]), 0);
    assert_eq!(from_u64(70000, 1), None);
    assert_eq!(from_u64(70000, 2), Some(vec![1, 4464]));
    assert_eq!(from_i64(-1, 2), Some(vec![0xffff, 0xffff]));
    assert_eq!(from_i64(32768, 1), None);
    assert_eq!(from_i64(-32768, 1), Some(vec![0x8000]));
    assert_eq!(parse_c_integer("0x10"), Some(16));
    assert_eq!(parse_c_integer("010"), Some(8));
    assert_eq!(parse_c_integer(" -5"), Some(-5));
    assert_eq!(parse_c_integer("5x"), None);
    assert_eq!(parse_c_integer(""), None);
}

#[test]
fn strings_lose_padding_and_odd_characters() {
    assert_eq!(to_string(&from_string("APCUPS", 8).unwrap()), "APCUPS");
    // Leading empty registers and a leading NUL byte are skipped.
    assert_eq!(to_string(&[0, 0x0041, 0x4243]), "ABC");
    // Trailing spaces and NULs are cut; control characters become spaces.
    assert_eq!(to_string(&[0x4120, 0x0142, 0x2020, 0]), "A  B");
    assert_eq!(to_string(&[0x41ff, 0x4200]), "A B");
    assert_eq!(to_string(&[0, 0]), "");
    assert_eq!(from_string("ABC", 2), Some(vec![0x4142, 0x4300]));
    assert_eq!(from_string("ABCDE", 2), None);
}

#[test]
fn dates_count_days_since_2000() {
    assert_eq!(date_from_days(0), "2000-01-01");
    assert_eq!(date_from_days(4857), "2013-04-19");
    assert_eq!(date_from_days(9046), "2024-10-07");
    assert_eq!(days_from_date("2021-04-15"), Some(7775));
    assert_eq!(days_from_date("2024-02-29"), Some(8825));
    assert_eq!(days_from_date("2023-02-29"), None);
    assert_eq!(days_from_date("1999-12-31"), None);
    assert_eq!(days_from_date("2021-13-01"), None);
    assert_eq!(days_from_date("yesterday"), None);
    assert!(date_from_days(u64::MAX).len() > 4);
}

#[test]
fn scaled_values_and_texts() {
    let mut n = Nominals::default();
    let find = |v: &str| *all().find(|r| r.var == v).unwrap();
    assert_eq!(
        value(&find("battery.charge"), &[100 << 9], &mut n),
        "100.00"
    );
    assert_eq!(value(&find("battery.voltage"), &[859], &mut n), "26.84");
    assert_eq!(
        value(&find("battery.temperature"), &[0xfe00], &mut n),
        "-4.00"
    );
    assert_eq!(value(&find("input.voltage"), &[0xffff], &mut n), "NA");
    assert_eq!(value(&find("ups.power.nominal"), &[750], &mut n), "750");
    assert_eq!(value(&find("ups.realpower.nominal"), &[500], &mut n), "500");
    assert_eq!(value(&find("ups.realpower"), &[1328], &mut n), "25.94");
    assert_eq!(value(&find("ups.power"), &[2660], &mut n), "77.93");
    assert_eq!(
        value(&find("ups.efficiency"), &[0xfffe], &mut n),
        "LoadTooLow"
    );
    assert_eq!(value(&find("ups.efficiency"), &[90 * 128], &mut n), "90.0");
    assert_eq!(
        value(&find("ups.timer.shutdown"), &[0xffff], &mut n),
        "NotActive"
    );
    assert_eq!(
        value(&find("ups.timer.reboot"), &[0, 0], &mut n),
        "CountdownExpired"
    );
    assert_eq!(value(&find("ups.timer.reboot"), &[1, 0], &mut n), "65536");
    assert_eq!(value(&find("ups.delay.shutdown"), &[0xffff], &mut n), "-1");
    assert_eq!(
        value(&find("input.transfer.reason"), &[8], &mut n),
        "AcceptableInput"
    );
    assert_eq!(
        value(&find("input.transfer.reason"), &[99], &mut n),
        "Unknown"
    );
    assert_eq!(
        test_result_text((1 << 2) | (1 << 8)),
        "Passed, Source: Internal"
    );
    assert_eq!(test_result_text(0), "None");
    assert_eq!(
        test_result_text((1 << 4) | (1 << 6) | (1 << 11)),
        "Refused, Source: Protocol, Modifier: StateOfChargeNotAcceptable"
    );
    assert_eq!(calibration_text(0), "");
    assert_eq!(
        calibration_text((1 << 1) | (1 << 7) | (1 << 14)),
        "InProgress, Source: LocalUI, Modifier: LoadTooLow"
    );
}

#[test]
fn status_bits_make_words_and_alarms() {
    let mut regs = [0u16; 27];
    regs[1] = (1 << 2) | (1 << 7) | (1 << 13) | (1 << 5);
    regs[0] = 1 << 5; // bit 21: overload
    regs[4] = 1;
    regs[7] = 2;
    regs[18] = 1 << 1;
    regs[22] = 1 << 2;
    regs[24] = 1 << 1;
    regs[21] = 1;
    let s = status_bits(&regs, [true, true, false, false]);
    assert_eq!(s.words, ["OB", "TEST", "OVER", "LB", "RB", "CAL"]);
    assert_eq!(
        s.alarms,
        [
            "General fault",
            "Power system - Output overload",
            "Battery system - Needs replacement"
        ]
    );
    assert_eq!(s.buzzwords, ["vendor:apc:HE"]);
    assert_eq!(s.outlets, [Some(true), Some(false), None, None]);
    // A short block gives what it holds, without panicking.
    assert_eq!(
        status_bits(&regs[..2], [true; 4]).words,
        ["OB", "TEST", "OVER"]
    );
    let mut dynamic = [0u16; 44];
    dynamic[22] = 1 << 5;
    assert_eq!(input_words(&dynamic), ["BOOST"]);
    assert!(input_words(&[]).is_empty());
}

#[test]
fn sets_encode_or_refuse() {
    let find = |v: &str| *all().find(|r| r.var == v).unwrap();
    assert_eq!(encode(&find("ups.delay.shutdown"), "-1"), Ok(vec![0xffff]));
    assert_eq!(encode(&find("ups.delay.reboot"), "8"), Ok(vec![0, 8]));
    assert_eq!(encode(&find("input.transfer.high"), "0x100"), Ok(vec![256]));
    assert_eq!(
        encode(&find("input.transfer.high"), "-1"),
        Err(EncodeError::Conversion)
    );
    assert_eq!(
        encode(&find("ups.delay.shutdown"), "40000"),
        Err(EncodeError::Conversion)
    );
    assert_eq!(encode(&find("battery.date"), "2021-04-15"), Ok(vec![7775]));
    assert_eq!(encode(&find("ups.load"), "1"), Err(EncodeError::ReadOnly));
    assert_eq!(
        encode(&find("ups.id"), "much too long for sixteen"),
        Err(EncodeError::Conversion)
    );
}

#[test]
fn commands_target_the_present_groups() {
    let both = [true, true, false, false];
    assert_eq!(
        plan("shutdown.default", both),
        Plan::Write {
            addr: 1538,
            words: vec![0, (1 << 3) | (1 << 7) | (1 << 8) | (1 << 9)]
        }
    );
    assert_eq!(
        plan("outlet.group.1.load.off", both),
        Plan::Write {
            addr: 1538,
            words: vec![0, (1 << 2) | (1 << 9)]
        }
    );
    assert!(matches!(
        plan("outlet.group.2.load.on", both),
        Plan::Invalid(_)
    ));
    assert!(matches!(
        plan("outlet.group.9.load.on", both),
        Plan::Invalid(_)
    ));
    assert_eq!(plan("load.frobnicate", both), Plan::Unknown);
    assert_eq!(plan("outlet.group.x.load.on", both), Plan::Unknown);
    assert_eq!(
        plan("BYPASS.START", both),
        Plan::Write {
            addr: 1536,
            words: vec![0, 1 << 4]
        }
    );
    assert_eq!(
        plan("beeper.mute", both),
        Plan::Write {
            addr: 1543,
            words: vec![4]
        }
    );
}

#[test]
fn options_choose_the_link() {
    assert_eq!(parse_host_port("ups"), Some(("ups".into(), 502)));
    assert_eq!(parse_host_port("ups:1502"), Some(("ups".into(), 1502)));
    assert_eq!(parse_host_port("[::1]:1502"), Some(("::1".into(), 1502)));
    assert_eq!(parse_host_port("[::1]"), Some(("::1".into(), 502)));
    assert_eq!(parse_host_port("[::1"), None);
    assert_eq!(parse_host_port("ups:99999"), None);
    let p = DriverParams::new("/dev/ttyS0");
    assert_eq!(link(&p).unwrap(), Link::Usb);
    let p = p
        .with_option("porttype", Some("serial"))
        .with_option("parity", Some("e"))
        .with_option("stopbits", Some("2"));
    match link(&p).unwrap() {
        Link::Serial { path, settings } => {
            assert_eq!(path, "/dev/ttyS0");
            assert_eq!(settings.baud, 9600);
            assert_eq!(settings.parity, crate::serial::Parity::Even);
            assert_eq!((settings.data_bits, settings.stop_bits), (8, 2));
        }
        other => panic!("{other:?}"),
    }
    assert!(link(&p.clone().with_option("parity", Some("x"))).is_err());
    assert!(link(&p.with_option("porttype", Some("carrier-pigeon"))).is_err());
}

/// The driver in process, over an in-memory pipe served by the simulated unit.
async fn in_memory() -> (ApcModbus, DeviceState, crate::sim::SharedModel) {
    use crate::sim::apc_modbus::ApcModbusModel;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let model = crate::sim::UpsModel::shared();
    let unit = ApcModbusModel::new(model.clone());
    let opener: StreamOpener = Box::new(move |_| {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let mut unit = unit.clone();
        tokio::spawn(async move {
            let mut pending = Vec::new();
            let mut buf = [0u8; 512];
            while let Ok(n) = theirs.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&buf[..n]);
                while let Some(len) = crate::sim::apc_modbus::request_len(&pending) {
                    if pending.len() < len {
                        break;
                    }
                    let frame: Vec<u8> = pending.drain(..len).collect();
                    if let Some(reply) = unit.respond(&frame) {
                        let _ = theirs.write_all(&reply).await;
                    }
                }
            }
        });
        Ok(Box::new(ours) as Box<dyn ModbusStream>)
    });
    let mut driver = ApcModbus::new().with_usb_opener(opener);
    let mut state = DeviceState::new();
    driver
        .open(&DriverParams::new("auto"), &mut state)
        .await
        .unwrap();
    driver.identify(&mut state).await.unwrap();
    (driver, state, model)
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_usb_stream_plugs_into_the_rtu_client() {
    let (mut driver, mut state, model) = in_memory().await;
    driver.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.model"), Some("Smart-UPS 750"));
    assert_eq!(state.value("ups.status"), Some("OL"));
    assert_eq!(driver.outlet_groups(), [true, true, false, false]);
    model.lock().unwrap().apply("mains-lost").unwrap();
    driver.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OB"));
    assert_eq!(
        state.value("input.transfer.reason"),
        Some("LowInputVoltage")
    );
    // A unit that stops answering: stale, then back after a reconnect.
    model
        .lock()
        .unwrap()
        .settings
        .insert("apc_modbus.silent".into(), "1".into());
    assert!(driver.update(&mut state).await.is_err());
    assert!(driver.update(&mut state).await.is_err());
    model.lock().unwrap().settings.remove("apc_modbus.silent");
    driver.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OB"));
    assert_eq!(
        driver.set_var(&mut state, "ups.id", "RACK1").await,
        TrackingStatus::Handled
    );
    assert_eq!(state.value("ups.id"), Some("RACK1"));
    assert_eq!(
        driver.set_var(&mut state, "outlet.group.2.name", "x").await,
        TrackingStatus::Invalid
    );
}
