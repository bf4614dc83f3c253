//! The framing, the report ids, the stream under an RTU client (tokio-modbus) on a fake unit
//! in process, and the matching of `open_with`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio_modbus::prelude::*;

use super::*;
use crate::usb::hid::ReportType;
use crate::usb::transport::{Accept, OpenedDevice};

/// The responder hook the emulated unit has too: an RTU request (CRC included) in, the RTU
/// reply out (`None`: silent).
type Responder = Box<dyn FnMut(&[u8]) -> Option<Vec<u8>> + Send>;

/// A register bank answering function 3, 6 and 16 for slave 1, exceptions otherwise.
fn bank(registers: Arc<Mutex<Vec<u16>>>) -> Responder {
    Box::new(move |adu: &[u8]| {
        let (frame, crc) = adu.split_at(adu.len().checked_sub(2)?);
        assert_eq!(crc, crc16(frame).to_le_bytes(), "request CRC");
        let [slave, function, data @ ..] = frame else {
            return None;
        };
        if *slave != 1 {
            return None;
        }
        let word = |i: usize| u16::from_be_bytes([data[i], data[i + 1]]);
        let mut regs = registers.lock().unwrap();
        let exception = |code: u8| Some(with_crc(&[1, function | 0x80, code]));
        let reply = match function {
            3 => {
                let (addr, count) = (usize::from(word(0)), usize::from(word(2)));
                if count == 0 || count > 125 {
                    return exception(3);
                }
                if addr + count > regs.len() {
                    return exception(2);
                }
                let mut out = vec![1, 3, (2 * count) as u8];
                for r in &regs[addr..addr + count] {
                    out.extend_from_slice(&r.to_be_bytes());
                }
                out
            }
            6 => {
                let addr = usize::from(word(0));
                if addr >= regs.len() {
                    return exception(2);
                }
                regs[addr] = word(2);
                frame.to_vec()
            }
            16 => {
                let (addr, count) = (usize::from(word(0)), usize::from(word(2)));
                if addr + count > regs.len() {
                    return exception(2);
                }
                for i in 0..count {
                    regs[addr + i] = word(5 + 2 * i);
                }
                frame[..6].to_vec()
            }
            _ => return exception(1),
        };
        Some(with_crc(&reply))
    })
}

struct FakeUnit {
    responder: Responder,
    ids: ReportIds,
    unpacker: Unpacker,
    queue: VecDeque<Vec<u8>>,
    /// Every interrupt OUT transfer: endpoint and bytes.
    writes: Vec<(u8, Vec<u8>)>,
    /// Interrupt IN endpoints read.
    reads: Vec<u8>,
    /// A power-device input report to put before every reply.
    noise: Option<Vec<u8>>,
    descriptor: Result<Vec<u8>, UsbError>,
    infos: Vec<UsbDeviceInfo>,
}

type Shared = Arc<Mutex<FakeUnit>>;

fn unit(responder: Responder) -> Shared {
    let ids = ReportIds { rx: 0x90, tx: 0x89 };
    Arc::new(Mutex::new(FakeUnit {
        responder,
        ids,
        unpacker: Unpacker::new(ids.rx, Direction::Request),
        queue: VecDeque::new(),
        writes: Vec::new(),
        reads: Vec::new(),
        noise: None,
        descriptor: Ok(DESCRIPTOR.to_vec()),
        infos: vec![srt()],
    }))
}

struct FakeTransport(Shared);

#[async_trait]
impl HidTransport for FakeTransport {
    async fn get_report(&mut self, _id: u8, _len: usize) -> Result<Vec<u8>, UsbError> {
        Err(UsbError::Pipe)
    }
    async fn set_report(&mut self, _id: u8, _data: &[u8]) -> Result<usize, UsbError> {
        Err(UsbError::Pipe)
    }
    async fn get_string(&mut self, _index: u8) -> Result<String, UsbError> {
        Err(UsbError::Pipe)
    }
    async fn interrupt_read(&mut self, _len: usize, _t: Duration) -> Result<Vec<u8>, UsbError> {
        Err(UsbError::Pipe)
    }
    async fn control_in(
        &mut self,
        setup: ControlSetup,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        assert_eq!(setup, ControlSetup::new(0x81, 6, 0x2200, 0));
        let mut d = self.0.lock().unwrap().descriptor.clone()?;
        d.truncate(len);
        Ok(d)
    }
    async fn write_interrupt(
        &mut self,
        endpoint: u8,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let mut u = self.0.lock().unwrap();
        u.writes.push((endpoint, data.to_vec()));
        if let Some(frame) = u.unpacker.push(data) {
            if let Some(reply) = (u.responder)(&with_crc(&frame)) {
                let body = &reply[..reply.len() - 2];
                let tx = u.ids.tx;
                if let Some(noise) = u.noise.clone() {
                    u.queue.push_back(noise);
                }
                let reports = pack(tx, body);
                u.queue.extend(reports);
            }
        }
        Ok(data.len())
    }
    async fn read_interrupt_from(
        &mut self,
        endpoint: u8,
        len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let next = {
            let mut u = self.0.lock().unwrap();
            u.reads.push(endpoint);
            u.queue.pop_front()
        };
        match next {
            Some(mut r) => {
                r.truncate(len);
                Ok(r)
            }
            None => {
                tokio::time::sleep(timeout).await;
                Err(UsbError::Timeout)
            }
        }
    }
}

struct FakeOpener(Shared);

#[async_trait]
impl HidOpener for FakeOpener {
    async fn open(&mut self, _accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        Err(UsbError::Other("not this one".into()))
    }
    async fn open_raw(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
        let infos = self.0.lock().unwrap().infos.clone();
        Ok(infos
            .into_iter()
            .find(|i| accept(i).is_some())
            .map(|info| OpenedDevice {
                transport: Box::new(FakeTransport(Arc::clone(&self.0))),
                info,
                report_descriptor: Vec::new(),
            }))
    }
}

/// The layout of the recorded SRT's Modbus part, written by hand (not the recording): inside
/// the UPS collection, input report 0x89 of usage FD and output report 0x90 of usage FC, 63
/// bytes each.
const DESCRIPTOR: &[u8] = &[
    0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, // UPS
    0x06, 0x86, 0xff, 0x85, 0x89, 0x09, 0xfd, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x3f,
    0x81, 0x02, // input 0x89
    0x85, 0x90, 0x09, 0xfc, 0x95, 0x3f, 0x91, 0x02, // output 0x90
    0xc0,
];

fn srt() -> UsbDeviceInfo {
    UsbDeviceInfo {
        vendor: Some("American Power Conversion".into()),
        product: Some("Smart-UPS SRT 3000".into()),
        serial: Some("AS1234567890".into()),
        bus: "001".into(),
        device: Some("004".into()),
        ..UsbDeviceInfo::new(0x051d, 0x0003)
    }
}

fn client(u: &Shared) -> client::Context {
    let ids = u.lock().unwrap().ids;
    let stream = ModbusHidStream::new(Box::new(FakeTransport(Arc::clone(u))), ids);
    rtu::attach_slave(stream, Slave(1))
}

#[test]
fn pack_and_unpack() {
    // A short frame: one report, zero-padded.
    let reports = pack(0x90, &[1, 3, 0, 0, 0, 2]);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].len(), REPORT_SIZE);
    assert_eq!(reports[0][..7], [0x90, 1, 3, 0, 0, 0, 2]);
    assert!(reports[0][7..].iter().all(|&b| b == 0));
    // A reply of 60 registers (123 bytes): two reports, joined again; other ids skipped.
    let mut reply = vec![1, 3, 120];
    reply.extend((0..120).map(|i| i as u8 + 1));
    let reports = pack(0x89, &reply);
    assert_eq!(reports.len(), 2);
    let mut u = Unpacker::new(0x89, Direction::Response);
    assert_eq!(u.push(&[0x0c, 0x64]), None);
    assert_eq!(u.push(&reports[0]), None);
    assert!(u.is_partial());
    assert_eq!(u.push(&[0x0d, 1, 2, 3]), None);
    assert_eq!(u.push(&reports[1]).as_deref(), Some(&reply[..]));
    assert!(!u.is_partial());
    // An exception in one report; nothing left over after it.
    assert_eq!(
        u.push(&pack(0x89, &[1, 0x83, 2])[0]).as_deref(),
        Some(&[1, 0x83, 2][..])
    );
    // Empty and foreign reports never panic nor complete.
    assert_eq!(u.push(&[]), None);
    assert_eq!(u.push(&[0x89]), None);
    // An unknown function ends with its report, trailing zeros dropped.
    let mut waiting = u.clone();
    assert_eq!(waiting.push(&[0x89, 1, 3]), None, "needs the byte count");
    assert!(waiting.is_partial());
    assert_eq!(
        waiting.push(&[0x89, 2, 0, 9]).as_deref(),
        Some(&[1, 3, 2, 0, 9][..])
    );
    let mut fresh = Unpacker::new(0x89, Direction::Response);
    assert_eq!(
        fresh.push(&[0x89, 1, 0x42, 7, 0, 0]).as_deref(),
        Some(&[1, 0x42, 7][..])
    );
}

#[test]
fn splits_what_a_client_writes() {
    let a = with_crc(&[1, 3, 0, 0, 0, 2]);
    let b = with_crc(&[1, 0x10, 0, 1, 0, 1, 2, 0xab, 0xcd]);
    let both = [a.clone(), b.clone()].concat();
    assert_eq!(
        split_rtu_requests(&both).unwrap(),
        vec![a[..6].to_vec(), b[..9].to_vec()]
    );
    let mut bad = a.clone();
    bad[7] ^= 1;
    assert!(split_rtu_requests(&bad).unwrap_err().contains("bad CRC"));
    assert!(split_rtu_requests(&a[..5]).is_err());
    assert_eq!(split_rtu_requests(&[]).unwrap(), Vec::<Vec<u8>>::new());
}

#[test]
fn report_ids_as_c_finds_them() {
    let parsed = ReportDescriptor::parse(DESCRIPTOR).unwrap();
    assert_eq!(
        find_report_ids(&parsed),
        Some(ReportIds { rx: 0x90, tx: 0x89 })
    );
    // Other ids, swapped types: the usages decide.
    let mut other = DESCRIPTOR.to_vec();
    other[10] = 0x21;
    other[25] = 0x22;
    assert_eq!(
        report_ids(Some(&other)).unwrap(),
        ReportIds { rx: 0x22, tx: 0x21 }
    );
    // No descriptor: the defaults. One without Modbus reports, or broken: not taken.
    assert_eq!(report_ids(None).unwrap(), ReportIds::DEFAULT);
    let power_only = [
        0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, 0x85, 0x0c, 0x09, 0x66, 0x75, 0x08, 0x95, 0x01, 0xb1,
        0x02, 0xc0,
    ];
    assert!(matches!(
        report_ids(Some(&power_only)),
        Err(ModbusHidError::NoModbusReports)
    ));
    assert!(matches!(
        report_ids(Some(&[])),
        Err(ModbusHidError::Descriptor(_))
    ));
}

/// The recorded Smart-UPS SRT 3000 descriptor (shared test data, read in place).
#[test]
fn report_ids_of_the_recorded_srt_3000() {
    let Some(path) =
        crate::test_data::recorded("hid/corpus/APC_Smart-UPS-SRT-3000/report-descriptor.hex")
    else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let bytes: Vec<u8> = text
        .split_whitespace()
        .map(|w| u8::from_str_radix(w, 16).unwrap())
        .collect();
    let parsed = ReportDescriptor::parse(&bytes).unwrap();
    assert_eq!(
        find_report_ids(&parsed),
        Some(ReportIds { rx: 0x90, tx: 0x89 })
    );
    let rx = parsed
        .fields
        .iter()
        .find(|f| f.path.last() == Some(&USAGE_RX))
        .unwrap();
    assert_eq!(rx.report_type, ReportType::Output);
    let tx = parsed
        .fields
        .iter()
        .find(|f| f.path.last() == Some(&USAGE_TX))
        .unwrap();
    assert_eq!(tx.report_type, ReportType::Input);
    assert_eq!(report_ids(Some(&bytes)).unwrap(), ReportIds::DEFAULT);
}

#[tokio::test(start_paused = true)]
async fn rtu_client_reads_and_writes_registers() {
    let registers = Arc::new(Mutex::new((0..200).map(|i| i * 3).collect::<Vec<u16>>()));
    let u = unit(bank(Arc::clone(&registers)));
    u.lock().unwrap().noise = Some(vec![0x0c, 0x64, 0x00]);
    let mut ctx = client(&u);
    assert_eq!(
        ctx.read_holding_registers(2, 3).await.unwrap().unwrap(),
        vec![6, 9, 12]
    );
    // The request on the wire: report 0x90, the frame without CRC, zeros.
    {
        let unit = u.lock().unwrap();
        let (endpoint, report) = &unit.writes[0];
        assert_eq!(*endpoint, ENDPOINT_OUT);
        assert_eq!(report.len(), 64);
        assert_eq!(report[..7], [0x90, 1, 3, 0, 2, 0, 3]);
        assert!(report[7..].iter().all(|&b| b == 0));
        assert!(unit.reads.iter().all(|&e| e == ENDPOINT_IN));
    }
    // A reply of two reports.
    let many = ctx.read_holding_registers(100, 60).await.unwrap().unwrap();
    assert_eq!(many, (100..160).map(|i| i * 3).collect::<Vec<u16>>());
    ctx.write_multiple_registers(10, &[0xbeef, 0x1234])
        .await
        .unwrap()
        .unwrap();
    ctx.write_single_register(12, 7).await.unwrap().unwrap();
    assert_eq!(registers.lock().unwrap()[10..13], [0xbeef, 0x1234, 7]);
    assert_eq!(
        ctx.read_holding_registers(10, 3).await.unwrap().unwrap(),
        vec![0xbeef, 0x1234, 7]
    );
    // A request longer than a report goes in two.
    let values: Vec<u16> = (0..40).collect();
    let before = u.lock().unwrap().writes.len();
    ctx.write_multiple_registers(20, &values)
        .await
        .unwrap()
        .unwrap();
    let unit = u.lock().unwrap();
    assert_eq!(unit.writes.len() - before, 2);
    assert_eq!(registers.lock().unwrap()[20..60], values[..]);
}

#[tokio::test(start_paused = true)]
async fn exceptions_are_errors() {
    let registers = Arc::new(Mutex::new(vec![0u16; 10]));
    let u = unit(bank(registers));
    let mut ctx = client(&u);
    assert_eq!(
        ctx.read_holding_registers(8, 5).await.unwrap(),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        ctx.read_coils(0, 1).await.unwrap(),
        Err(ExceptionCode::IllegalFunction)
    );
    // Still in step afterwards.
    assert_eq!(
        ctx.read_holding_registers(0, 1).await.unwrap().unwrap(),
        vec![0]
    );
}

/// A unit that never answers: the caller's timeout ends the call, and the next call works.
#[tokio::test(start_paused = true)]
async fn a_silent_unit_times_out() {
    let u = unit(Box::new(|_: &[u8]| None));
    let mut ctx = client(&u);
    let start = tokio::time::Instant::now();
    let call = ctx.read_holding_registers(0, 1);
    assert!(tokio::time::timeout(DEFAULT_RESPONSE_TIMEOUT, call)
        .await
        .is_err());
    assert!(start.elapsed() < DEFAULT_RESPONSE_TIMEOUT * 2);
    // The unit comes back: the next request is answered.
    u.lock().unwrap().responder = bank(Arc::new(Mutex::new(vec![5])));
    assert_eq!(
        ctx.read_holding_registers(0, 1).await.unwrap().unwrap(),
        vec![5]
    );
}

/// With its own response timeout the stream fails the read with `TimedOut`.
#[tokio::test(start_paused = true)]
async fn the_streams_own_timeout() {
    let u = unit(Box::new(|_: &[u8]| None));
    let ids = u.lock().unwrap().ids;
    let mut stream = ModbusHidStream::new(Box::new(FakeTransport(Arc::clone(&u))), ids);
    assert_eq!(stream.response_timeout(), None);
    stream.set_response_timeout(Some(DEFAULT_RESPONSE_TIMEOUT));
    let mut ctx = rtu::attach_slave(stream, Slave(1));
    let start = tokio::time::Instant::now();
    match ctx.read_holding_registers(0, 1).await {
        Err(tokio_modbus::Error::Transport(e)) => assert_eq!(e.kind(), io::ErrorKind::TimedOut),
        other => panic!("{other:?}"),
    }
    let spent = start.elapsed();
    assert!(
        spent >= DEFAULT_RESPONSE_TIMEOUT && spent < DEFAULT_RESPONSE_TIMEOUT * 2,
        "{spent:?}"
    );
}

/// A reply that comes after its request timed out is dropped by `discard_input` (C's
/// flush), so that the next request gets its own.
#[tokio::test(start_paused = true)]
async fn late_replies_are_discarded() {
    let u = unit(Box::new(|_: &[u8]| None));
    let ids = u.lock().unwrap().ids;
    let mut stream = ModbusHidStream::new(Box::new(FakeTransport(Arc::clone(&u))), ids);
    stream.set_response_timeout(Some(Duration::from_millis(100)));
    assert_eq!(stream.response_timeout(), Some(Duration::from_millis(100)));
    {
        let mut unit = u.lock().unwrap();
        unit.queue.extend(pack(0x89, &[1, 3, 2, 0xde, 0xad]));
        unit.queue.push_back(vec![0x0c, 0x64]);
    }
    assert_eq!(stream.discard_input().await.unwrap(), 2);
    u.lock().unwrap().responder = bank(Arc::new(Mutex::new(vec![1u16, 2, 3])));
    let mut ctx = rtu::attach_slave(stream, Slave(1));
    assert_eq!(
        ctx.read_holding_registers(1, 2).await.unwrap().unwrap(),
        vec![2, 3]
    );
}

#[tokio::test(start_paused = true)]
async fn open_matches_like_usbhid_ups() {
    let u = unit(bank(Arc::new(Mutex::new(vec![0; 4]))));
    let none = UsbMatcher::default();
    let opened = open_with(&mut FakeOpener(Arc::clone(&u)), &none, None)
        .await
        .unwrap();
    assert_eq!((opened.vendor_id(), opened.product_id()), (0x051d, 0x0003));
    assert_eq!(opened.report_ids, ReportIds { rx: 0x90, tx: 0x89 });
    // Every option given must match.
    let serial = UsbMatcher::new([("serial", "AS1234567890"), ("vendorid", "051D")]).unwrap();
    assert!(open_with(&mut FakeOpener(Arc::clone(&u)), &serial, None)
        .await
        .is_ok());
    let other = UsbMatcher::new([("serial", "XYZ")]).unwrap();
    assert!(matches!(
        open_with(&mut FakeOpener(Arc::clone(&u)), &other, None).await,
        Err(ModbusHidError::NotFound)
    ));
    // Another APC product only with `productid`; another vendor never.
    let mut back_ups = srt();
    back_ups.product_id = 0x0002;
    u.lock().unwrap().infos = vec![back_ups.clone()];
    assert!(open_with(&mut FakeOpener(Arc::clone(&u)), &none, None)
        .await
        .is_err());
    let pid = UsbMatcher::new([("productid", "0002")]).unwrap();
    assert!(open_with(&mut FakeOpener(Arc::clone(&u)), &pid, None)
        .await
        .is_ok());
    let mut eaton = srt();
    eaton.vendor_id = 0x0463;
    u.lock().unwrap().infos = vec![eaton];
    let vid = UsbMatcher::new([("vendorid", "0463")]).unwrap();
    assert!(open_with(&mut FakeOpener(Arc::clone(&u)), &vid, None)
        .await
        .is_err());
    // A reconnect takes only the same unit.
    let mut twin = srt();
    twin.serial = Some("OTHER".into());
    u.lock().unwrap().infos = vec![twin, srt()];
    let known = srt();
    let again = open_with(&mut FakeOpener(Arc::clone(&u)), &none, Some(&known))
        .await
        .unwrap();
    assert_eq!(again.info.serial.as_deref(), Some("AS1234567890"));
    // No readable descriptor: the defaults.
    u.lock().unwrap().descriptor = Err(UsbError::Pipe);
    let defaults = open_with(&mut FakeOpener(Arc::clone(&u)), &none, None)
        .await
        .unwrap();
    assert_eq!(defaults.report_ids, ReportIds::DEFAULT);
}

/// A unit whose descriptor has no Modbus reports is left for the next one.
#[tokio::test(start_paused = true)]
async fn open_skips_a_unit_without_modbus_reports() {
    struct Two(Shared, Shared);
    #[async_trait]
    impl HidOpener for Two {
        async fn open(&mut self, _accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
            Err(UsbError::Pipe)
        }
        async fn open_raw(&mut self, accept: &Accept) -> Result<Option<OpenedDevice>, UsbError> {
            for u in [&self.0, &self.1] {
                let info = u.lock().unwrap().infos[0].clone();
                if accept(&info).is_some() {
                    return Ok(Some(OpenedDevice {
                        transport: Box::new(FakeTransport(Arc::clone(u))),
                        info,
                        report_descriptor: Vec::new(),
                    }));
                }
            }
            Ok(None)
        }
    }
    let first = unit(bank(Arc::new(Mutex::new(vec![0]))));
    {
        let mut f = first.lock().unwrap();
        f.descriptor = Ok(vec![
            0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, 0x85, 0x0c, 0x09, 0x66, 0x75, 0x08, 0x95, 0x01,
            0xb1, 0x02, 0xc0,
        ]);
        f.infos[0].device = Some("002".into());
    }
    let second = unit(bank(Arc::new(Mutex::new(vec![0]))));
    let opened = open_with(&mut Two(first, second), &UsbMatcher::default(), None)
        .await
        .unwrap();
    assert_eq!(opened.info.device.as_deref(), Some("004"));
}
