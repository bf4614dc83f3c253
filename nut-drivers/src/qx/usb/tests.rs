//! The bridges' framings against a scripted fake unit: what goes out on the wire, and how
//! each reply is cut. (The same framings against the USB emulator and C's driver are in
//! `examples/tests/qx_usb.rs`.)

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use async_trait::async_trait;

use super::bridge::{exchange, Bridge, BridgeState};
use crate::usb::transport::{ControlSetup, HidTransport, UsbError};

/// A fake unit: OUT transfers are recorded; IN transfers take scripted answers.
#[derive(Default)]
struct Fake {
    /// Every OUT transfer: a label and the bytes.
    out: Vec<(String, Vec<u8>)>,
    /// Interrupt IN packets, in order (an error is returned when empty).
    interrupt: VecDeque<Result<Vec<u8>, UsbError>>,
    /// Control IN answers, in order.
    control: VecDeque<Vec<u8>>,
    /// String descriptors (text) by index.
    strings: HashMap<u8, String>,
    /// String descriptor reads: (index, langid).
    string_reads: Vec<(u8, Option<u16>)>,
}

#[async_trait]
impl HidTransport for Fake {
    async fn get_report(&mut self, _id: u8, _len: usize) -> Result<Vec<u8>, UsbError> {
        Err(UsbError::Pipe)
    }
    async fn set_report(&mut self, _id: u8, _data: &[u8]) -> Result<usize, UsbError> {
        Err(UsbError::Pipe)
    }
    async fn get_string(&mut self, index: u8) -> Result<String, UsbError> {
        self.string_reads.push((index, None));
        self.strings.get(&index).cloned().ok_or(UsbError::Pipe)
    }
    async fn interrupt_read(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        self.read_interrupt_from(0x81, len, timeout).await
    }
    async fn control_in(
        &mut self,
        _setup: ControlSetup,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let mut r = self.control.pop_front().ok_or(UsbError::Timeout)?;
        r.truncate(len);
        Ok(r)
    }
    async fn control_out(
        &mut self,
        setup: ControlSetup,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let label = format!(
            "control {:02x} {:02x} {:04x} {:04x}",
            setup.request_type, setup.request, setup.value, setup.index
        );
        self.out.push((label, data.to_vec()));
        Ok(data.len())
    }
    async fn read_interrupt_from(
        &mut self,
        _endpoint: u8,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let mut r = self
            .interrupt
            .pop_front()
            .unwrap_or(Err(UsbError::Timeout))?;
        r.truncate(len);
        Ok(r)
    }
    async fn write_interrupt(
        &mut self,
        endpoint: u8,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.out
            .push((format!("interrupt {endpoint:02x}"), data.to_vec()));
        Ok(data.len())
    }
    async fn string_descriptor(
        &mut self,
        index: u8,
        langid: u16,
        len: usize,
    ) -> Result<Vec<u8>, UsbError> {
        self.string_reads.push((index, Some(langid)));
        let text = self.strings.get(&index).ok_or(UsbError::Pipe)?;
        let mut raw = vec![(2 + 2 * text.len()) as u8, 3];
        for b in text.bytes() {
            raw.extend([b, 0]);
        }
        raw.truncate(len);
        Ok(raw)
    }
    async fn clear_halt(&mut self, _endpoint: u8) -> Result<(), UsbError> {
        Ok(())
    }
}

const Q1: &str = "(230.0 230.0 230.0 015 50.0 13.5 25.0 00001000\r";

fn packets(reply: &[u8], size: usize) -> VecDeque<Result<Vec<u8>, UsbError>> {
    reply
        .chunks(size)
        .map(|c| {
            let mut p = c.to_vec();
            p.resize(size, 0);
            Ok(p)
        })
        .collect()
}

async fn run(bridge: Bridge, fake: &mut Fake, state: &mut BridgeState, cmd: &str) -> Vec<u8> {
    exchange(bridge, fake, state, cmd).await.expect("exchange")
}

#[tokio::test(start_paused = true)]
async fn cypress_chunks_of_eight() {
    let mut fake = Fake {
        interrupt: packets(Q1.as_bytes(), 8),
        ..Fake::default()
    };
    let reply = run(
        Bridge::Cypress,
        &mut fake,
        &mut BridgeState::default(),
        "Q1\r",
    )
    .await;
    assert_eq!(fake.out.len(), 1);
    assert_eq!(fake.out[0].0, "control 21 09 0200 0000");
    assert_eq!(fake.out[0].1, b"Q1\r\0\0\0\0\0");
    // Six packets of 8: the padding after the \r counts in the length, as in C.
    assert_eq!(reply.len(), 48);
    assert!(reply.starts_with(Q1.as_bytes()));
    // A long command goes in several chunks.
    let mut fake = Fake::default();
    let err = exchange(
        Bridge::Cypress,
        &mut fake,
        &mut BridgeState::default(),
        "PSF0123456\r",
    )
    .await
    .unwrap_err();
    assert_eq!(err, UsbError::Timeout, "no reply: C's read fails");
    assert_eq!(fake.out.len(), 2);
    assert_eq!(fake.out[1].1, b"56\r\0\0\0\0\0");
}

#[tokio::test(start_paused = true)]
async fn phoenix_drains_first() {
    let mut stale = packets(b"garbage!", 8);
    stale.push_back(Err(UsbError::Timeout));
    stale.extend(packets(Q1.as_bytes(), 8));
    let mut fake = Fake {
        interrupt: stale,
        ..Fake::default()
    };
    let reply = run(
        Bridge::Phoenix,
        &mut fake,
        &mut BridgeState::default(),
        "Q1\r",
    )
    .await;
    assert!(reply.starts_with(Q1.as_bytes()));
}

#[tokio::test(start_paused = true)]
async fn ippon_one_read() {
    let mut fake = Fake {
        interrupt: packets(b"#UPS 1000VA\r", 64),
        ..Fake::default()
    };
    let reply = run(Bridge::Ippon, &mut fake, &mut BridgeState::default(), "I\r").await;
    assert_eq!(fake.out[0].0, "control 21 09 0002 0000");
    assert_eq!(reply, b"#UPS 1000VA\r");
    // No \r: the text, and a \r added.
    let mut fake = Fake {
        interrupt: packets(b"(ACK", 64),
        ..Fake::default()
    };
    let reply = run(Bridge::Ippon, &mut fake, &mut BridgeState::default(), "T\r").await;
    assert_eq!(reply, b"(ACK\r");
}

#[tokio::test(start_paused = true)]
async fn sgs_length_prefixed() {
    let mut interrupt = VecDeque::new();
    for chunk in Q1.as_bytes().chunks(7) {
        let mut p = vec![chunk.len() as u8];
        p.extend_from_slice(chunk);
        p.resize(8, 0);
        interrupt.push_back(Ok(p));
    }
    let mut fake = Fake {
        interrupt,
        ..Fake::default()
    };
    let reply = run(Bridge::Sgs, &mut fake, &mut BridgeState::default(), "Q1\r").await;
    assert_eq!(fake.out[0].1, b"\x03Q1\r\0\0\0\0");
    assert_eq!(reply, Q1.as_bytes(), "the read ends at the timeout");
}

#[tokio::test(start_paused = true)]
async fn armac_nibbles() {
    let mut interrupt = VecDeque::new();
    for chunk in Q1.as_bytes().chunks(5) {
        let mut p = vec![0xa0 | chunk.len() as u8];
        p.extend_from_slice(chunk);
        p.resize(6, 0);
        interrupt.push_back(Ok(p));
    }
    interrupt.push_back(Ok(vec![0xa0, 0, 0, 0, 0, 0]));
    let mut fake = Fake {
        interrupt,
        ..Fake::default()
    };
    let reply = run(
        Bridge::Armac,
        &mut fake,
        &mut BridgeState::default(),
        "Q1\r",
    )
    .await;
    assert_eq!(fake.out[0].1, b"\xa3Q1\r");
    assert_eq!(reply, Q1.as_bytes());
    // Unsupported commands are echoed without a transfer.
    let mut fake = Fake::default();
    let reply = run(
        Bridge::Armac,
        &mut fake,
        &mut BridgeState::default(),
        "QPI\r",
    )
    .await;
    assert_eq!(reply, b"QPI\r");
    assert!(fake.out.is_empty());
}

#[tokio::test(start_paused = true)]
async fn fuji_frames() {
    let mut fake = Fake {
        interrupt: packets(Q1.as_bytes(), 8),
        ..Fake::default()
    };
    let reply = run(Bridge::Fuji, &mut fake, &mut BridgeState::default(), "Q1\r").await;
    assert_eq!(fake.out[0].0, "interrupt 02");
    assert_eq!(fake.out[0].1, [0x80, 0x06, 3, 0x03, b'Q', b'1', 0, 47]);
    assert_eq!(reply, Q1.as_bytes(), "the NUL padding is not counted");
    // `S.5R0001`: cut to `S.5`.
    let mut fake = Fake::default();
    let _ = exchange(
        Bridge::Fuji,
        &mut fake,
        &mut BridgeState::default(),
        "S.5R0001\r",
    )
    .await;
    assert_eq!(fake.out[0].1, [0x80, 0x06, 4, 0x03, b'S', b'.', b'5', 0]);
    // Longer commands are echoed unsent.
    let mut fake = Fake::default();
    let reply = run(
        Bridge::Fuji,
        &mut fake,
        &mut BridgeState::default(),
        "QPI1\r",
    )
    .await;
    assert_eq!(reply, b"QPI1\r");
    assert!(fake.out.is_empty());
}

#[tokio::test(start_paused = true)]
async fn phoenixtec_vendor_request() {
    let mut fake = Fake {
        interrupt: packets(Q1.as_bytes(), 16),
        ..Fake::default()
    };
    let reply = run(
        Bridge::Phoenixtec,
        &mut fake,
        &mut BridgeState::default(),
        "Q1\r",
    )
    .await;
    assert_eq!(fake.out[0].0, "control 42 0d 0000 0000");
    assert_eq!(fake.out[0].1, b"Q1\r");
    assert_eq!(reply, Q1.as_bytes());
    // "T" waits for nothing; "MSO" is not "M".
    let mut fake = Fake::default();
    assert!(run(
        Bridge::Phoenixtec,
        &mut fake,
        &mut BridgeState::default(),
        "T\r"
    )
    .await
    .is_empty());
    let mut fake = Fake::default();
    assert_eq!(
        exchange(
            Bridge::Phoenixtec,
            &mut fake,
            &mut BridgeState::default(),
            "MSO\r"
        )
        .await,
        Err(UsbError::Timeout)
    );
}

#[tokio::test(start_paused = true)]
async fn ablerex_feature_report() {
    let mut answer = Q1.as_bytes().to_vec();
    answer.resize(47, 0);
    let mut fake = Fake {
        control: [answer].into(),
        ..Fake::default()
    };
    let reply = run(
        Bridge::Ablerex,
        &mut fake,
        &mut BridgeState::default(),
        "Q1\r",
    )
    .await;
    assert_eq!(fake.out[0].0, "control 21 09 0305 0000");
    assert_eq!(&fake.out[0].1[..6], b"\x05\x00\x03Q1\r");
    assert_eq!(fake.out[0].1.len(), 47);
    assert_eq!(reply, Q1.as_bytes());
    // A Q5 of the wrong length: "(" and NULs.
    let mut fake = Fake {
        control: [b"(1\r".to_vec()].into(),
        ..Fake::default()
    };
    let reply = run(
        Bridge::Ablerex,
        &mut fake,
        &mut BridgeState::default(),
        "Q5\r",
    )
    .await;
    assert_eq!(reply.len(), 22);
    assert_eq!(reply[0], b'(');
}

#[tokio::test(start_paused = true)]
async fn krauler_strings() {
    let mut fake = Fake::default();
    fake.strings.insert(3, Q1.replacen('(', "X", 1));
    fake.strings.insert(4, "UPS No Ack".into());
    let mut state = BridgeState::default();
    let reply = run(Bridge::Krauler, &mut fake, &mut state, "Q1\r").await;
    assert_eq!(reply, Q1.as_bytes(), "the first byte replaced");
    // "UPS No Ack" is asked for again, ten times.
    let reply = run(Bridge::Krauler, &mut fake, &mut state, "T\r").await;
    assert!(reply.is_empty());
    assert_eq!(fake.string_reads.iter().filter(|r| r.0 == 4).count(), 10);
    // Unknown commands are echoed.
    assert_eq!(
        run(Bridge::Krauler, &mut fake, &mut state, "QGS\r").await,
        b"QGS\r"
    );
    // With langid_fix, raw reads in that language.
    let mut state = BridgeState {
        langid_fix: Some(0x4095),
        ..BridgeState::default()
    };
    let reply = run(Bridge::Krauler, &mut fake, &mut state, "Q1\r").await;
    assert_eq!(reply, Q1.as_bytes());
    assert_eq!(fake.string_reads.last(), Some(&(3, Some(0x4095))));
}

#[tokio::test(start_paused = true)]
async fn fabula_and_hunnox_strings() {
    let mut fake = Fake::default();
    fake.strings.insert(3, Q1.trim_end_matches('\r').into());
    fake.strings.insert(0x18, "UPS No Ack".into());
    let mut state = BridgeState::default();
    let reply = run(Bridge::Fabula, &mut fake, &mut state, "Q1\r").await;
    assert_eq!(reply, Q1.as_bytes(), "a \\r added");
    let reply = run(Bridge::Fabula, &mut fake, &mut state, "S.5R0001\r").await;
    assert!(reply.is_empty(), "No Ack: an empty reply");
    assert_eq!(fake.string_reads.last(), Some(&(0x18, None)));
    // Hunnox: the lock-step reads, no \r added.
    let mut fake = Fake::default();
    for i in [0u8, 1, 3, 0x0c, 0x0d] {
        fake.strings.insert(i, Q1.trim_end_matches('\r').into());
    }
    let mut state = BridgeState::default();
    let reply = run(Bridge::Hunnox, &mut fake, &mut state, "Q1\r").await;
    assert_eq!(reply, Q1.trim_end_matches('\r').as_bytes());
    let reads: Vec<u8> = fake.string_reads.iter().map(|r| r.0).collect();
    assert_eq!(reads, [0, 0, 1, 3]);
    let _ = run(Bridge::Hunnox, &mut fake, &mut state, "Q1\r").await;
    let reads: Vec<u8> = fake.string_reads.iter().map(|r| r.0).collect();
    assert_eq!(reads, [0, 0, 1, 3, 0x0d, 3]);
}

#[tokio::test(start_paused = true)]
async fn snr_raw_strings() {
    let mut fake = Fake::default();
    fake.strings.insert(3, Q1.into());
    let mut state = BridgeState::default();
    let reply = run(Bridge::Snr, &mut fake, &mut state, "Q1\r").await;
    assert_eq!(reply, Q1.as_bytes());
    assert_eq!(fake.string_reads, [(3, Some(0xffff))]);
}

#[test]
fn table_as_c() {
    use super::bridge_for;
    use crate::usb::transport::UsbDeviceInfo;
    let unit = |v, p, vendor: Option<&str>, product: Option<&str>| {
        let mut u = UsbDeviceInfo::new(v, p);
        u.vendor = vendor.map(str::to_owned);
        u.product = product.map(str::to_owned);
        bridge_for(&u)
    };
    assert_eq!(
        unit(
            0x06da,
            0x0002,
            Some("phoenixtec power"),
            Some("USB Cable (V2.00)")
        ),
        Some(Bridge::Phoenixtec)
    );
    assert_eq!(unit(0x06da, 0x0002, None, None), Some(Bridge::Cypress));
    assert_eq!(
        unit(0x0001, 0x0000, Some("ATCL FOR UPS"), Some("ATCL FOR UPS")),
        Some(Bridge::Fuji)
    );
    assert_eq!(
        unit(0x0001, 0x0000, Some("x"), Some("y")),
        Some(Bridge::Krauler)
    );
    assert_eq!(unit(0x0925, 0x1234, None, None), Some(Bridge::Armac));
    assert_eq!(unit(0x0925, 0x1235, None, None), None);
    assert_eq!(super::parse_langid_fix("0x4095"), Some(0x4095));
    assert_eq!(
        super::parse_langid_fix("409"),
        Some(0x9),
        "C skips two characters"
    );
    assert_eq!(super::parse_langid_fix("0x"), None);
}
