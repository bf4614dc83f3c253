//! The device side of the twelve Q1 bridges, through the emulator's API: each test serves a
//! simulated Megatec unit on a Unix socket (`nut_drivers::sim::socket`, in this process) and
//! talks to the emulated bridge as C `nutdrv_qx`'s USB subdriver of that name does, checking
//! the bytes on the USB side and the model's state.

use std::path::{Path, PathBuf};

use nut_drivers::sim::q1::{status_line, Q1Dialect};
use nut_drivers::sim::socket::SocketServer;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};
use nut_usb_emu::emu::{code, Emulator, Step};
use nut_usb_emu::q1_bridge::Bridge;
use nut_usb_emu::{Command, DeviceSpec};

struct Rig {
    model: SharedModel,
    server: Option<SocketServer>,
    socket: PathBuf,
    emu: Emulator,
    handle: u64,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn make_rig(bridge: Bridge) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("ups.sock");
    let model = UpsModel::shared();
    let server =
        SocketServer::spawn(model.clone(), Protocol::Q1(Q1Dialect::Megatec), &socket).unwrap();
    let text = bridge.device_text(&socket, None);
    let spec = DeviceSpec::parse(&text, "bridge.dev").unwrap_or_else(|e| panic!("{e}\n{text}"));
    let log = dir.path().join("transfers.log");
    let mut emu = Emulator::new(vec![spec], None, Some(log.clone()));
    let key = emu.device_list()[0];
    let handle = emu.open(key).unwrap();
    Rig {
        model,
        server: Some(server),
        socket,
        emu,
        handle,
        log,
        _dir: dir,
    }
}

impl Rig {
    fn status(&self) -> Vec<u8> {
        status_line(&self.model.lock().unwrap()).into_bytes()
    }

    fn control(&mut self, setup: (u8, u8, u16, u16), data: &mut [u8]) -> Step {
        let (t, r, v, i) = setup;
        self.emu.control(self.handle, t, r, v, i, data)
    }

    /// SET_REPORT chunks of C's cypress/phoenix/ippon framing (`value` 0x0200 or 0x0002).
    fn send_padded(&mut self, value: u16, command: &[u8]) {
        let mut padded = command.to_vec();
        padded.resize(command.len().div_ceil(8) * 8, 0);
        for chunk in padded.chunks(8) {
            let mut chunk = chunk.to_vec();
            assert_eq!(
                self.control((0x21, 0x09, value, 0), &mut chunk),
                Step::Done(Ok(8))
            );
        }
    }

    /// Interrupt IN reads of `size` bytes until one finds nothing queued.
    fn read_all(&mut self, size: usize) -> Vec<Vec<u8>> {
        let mut packets = Vec::new();
        loop {
            let mut buf = vec![0u8; size];
            match self.emu.interrupt(self.handle, 0x81, &mut buf) {
                Step::Done(Ok(n)) => packets.push(buf[..n].to_vec()),
                Step::Wait => return packets,
                other => panic!("interrupt read: {other:?}"),
            }
        }
    }

    /// A string descriptor read as C's string subdrivers make it, decoded to bytes.
    fn string(&mut self, index: u8, langid: u16) -> Result<Vec<u8>, Step> {
        let mut buf = [0u8; 255];
        match self.control((0x80, 0x06, 0x0300 | u16::from(index), langid), &mut buf) {
            Step::Done(Ok(n)) => {
                assert_eq!(usize::from(buf[0]), n, "bLength");
                assert_eq!(buf[1], 3, "bDescriptorType");
                Ok(buf[2..n].chunks(2).map(|u| u[0]).collect())
            }
            other => Err(other),
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn joined(packets: &[Vec<u8>]) -> Vec<u8> {
    packets.concat()
}

fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

#[test]
fn cypress_and_phoenix() {
    for bridge in [Bridge::Cypress, Bridge::Phoenix] {
        let mut rig = make_rig(bridge);
        // Phoenix: C drains first; the bridge has nothing to say.
        assert!(rig.read_all(8).is_empty());
        rig.send_padded(0x0200, b"Q1\r");
        let packets = rig.read_all(8);
        assert!(packets.iter().all(|p| p.len() == 8), "{packets:?}");
        assert_eq!(packets.len(), 6);
        assert_eq!(trim_zeros(&joined(&packets)), rig.status());
        // A command the UPS carries out: nothing queued.
        rig.send_padded(0x0200, b"Q\r");
        assert!(rig.read_all(8).is_empty());
        assert!(!rig.model.lock().unwrap().beeper);
        // A command longer than one chunk.
        rig.send_padded(0x0200, b"S.5R0002\r");
        assert!(rig.read_all(8).is_empty());
        assert_eq!(rig.model.lock().unwrap().shutdown_in, Some(30.0));
        // Unknown commands are echoed by the Megatec unit.
        rig.send_padded(0x0200, b"QPI\r");
        assert_eq!(trim_zeros(&joined(&rig.read_all(8))), b"QPI\r");
        let log = rig.log_text();
        assert!(
            log.contains("control out type=21 req=09 value=0200 index=0000 len=8 data=51310d0000000000 result=8"),
            "{log}"
        );
        assert!(log.contains("interrupt in ep=81 len=8 data=2832"), "{log}");
    }
}

#[test]
fn ippon_answers_one_64_byte_packet() {
    let mut rig = make_rig(Bridge::Ippon);
    // C's buffer holds leftovers after the command's NUL: padding, not a command.
    let mut chunk = *b"F\r\0\xff\x12abc";
    assert_eq!(
        rig.control((0x21, 0x09, 0x0002, 0), &mut chunk),
        Step::Done(Ok(8))
    );
    let packets = rig.read_all(64);
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].len(), 64);
    assert_eq!(trim_zeros(&packets[0]), b"#230.0 008 024.0 50.0\r");
    rig.send_padded(0x0002, b"Q1\r");
    assert_eq!(trim_zeros(&joined(&rig.read_all(64))), rig.status());
    // wValue 0x0200 is not Ippon's: an ordinary SET_REPORT, nothing answered.
    rig.send_padded(0x0200, b"Q1\r");
    assert!(rig.read_all(64).is_empty());
    let endpoints = &rig.emu.devices[0].spec.endpoints;
    assert_eq!(endpoints[0].max_packet, 64);
}

#[test]
fn sgs_counts_its_bytes() {
    let mut rig = make_rig(Bridge::Sgs);
    let mut chunk = *b"\x03Q1\r\0\0\0\0";
    assert_eq!(
        rig.control((0x21, 0x09, 0x0200, 0), &mut chunk),
        Step::Done(Ok(8))
    );
    let packets = rig.read_all(8);
    assert_eq!(packets.len(), 7); // 47 bytes, 7 at a time
    let mut text = Vec::new();
    for p in &packets {
        assert_eq!(p.len(), 8);
        let n = usize::from(p[0]);
        assert!(n <= 7);
        assert!(p[1 + n..].iter().all(|&b| b == 0));
        text.extend_from_slice(&p[1..=n]);
    }
    assert_eq!(text, rig.status());
    // "S.5R0001\r" in two counted chunks.
    for piece in [&b"S.5R000"[..], b"1\r"] {
        let mut chunk = vec![u8::try_from(piece.len()).unwrap()];
        chunk.extend_from_slice(piece);
        chunk.resize(8, 0);
        rig.control((0x21, 0x09, 0x0200, 0), &mut chunk);
    }
    assert!(rig.read_all(8).is_empty());
    assert_eq!(rig.model.lock().unwrap().restart_after, Some(1));
}

#[test]
fn armac_packets_end_with_a_terminator() {
    let mut rig = make_rig(Bridge::Armac);
    let send = |rig: &mut Rig, command: &[u8]| {
        for piece in command.chunks(3) {
            let mut chunk = vec![0xa0 + u8::try_from(piece.len()).unwrap()];
            chunk.extend_from_slice(piece);
            chunk.resize(4, 0);
            assert_eq!(
                rig.control((0x21, 0x09, 0x0200, 0), &mut chunk),
                Step::Done(Ok(4))
            );
        }
    };
    send(&mut rig, b"Q1\r");
    let packets = rig.read_all(6);
    let (last, data) = packets.split_last().unwrap();
    assert_eq!(last, &[0xa0, 0, 0, 0, 0, 0]);
    let mut text = Vec::new();
    for p in data {
        assert_eq!(p.len(), 6);
        let n = usize::from(p[0] & 0x0f);
        assert_eq!(p[0] & 0xf0, 0xa0);
        assert!((1..=5).contains(&n));
        text.extend_from_slice(&p[1..=n]);
    }
    assert_eq!(text, rig.status());
    // No answer: the terminating packet alone.
    send(&mut rig, b"Q\r");
    assert_eq!(rig.read_all(6), vec![vec![0xa0, 0, 0, 0, 0, 0]]);
}

#[test]
fn phoenixtec_keeps_the_latest_answer() {
    let mut rig = make_rig(Bridge::Phoenixtec);
    let mut command = *b"Q1\r";
    assert_eq!(
        rig.control((0x42, 0x0d, 0, 0), &mut command),
        Step::Done(Ok(3))
    );
    let packets = rig.read_all(511);
    assert!(packets.iter().all(|p| p.len() <= 8), "{packets:?}");
    assert_eq!(joined(&packets), rig.status());
    // C does not read the answer to `M` (it thinks the unit silent): the Megatec unit's
    // echo must not answer the next command.
    let mut m = *b"M\r";
    rig.control((0x42, 0x0d, 0, 0), &mut m);
    let mut f = *b"F\r";
    rig.control((0x42, 0x0d, 0, 0), &mut f);
    assert_eq!(joined(&rig.read_all(511)), b"#230.0 008 024.0 50.0\r");
}

#[test]
fn fuji_takes_commands_on_interrupt_out() {
    let mut rig = make_rig(Bridge::Fuji);
    let eps: Vec<u8> = rig.emu.devices[0]
        .spec
        .endpoints
        .iter()
        .map(|e| e.address)
        .collect();
    assert_eq!(eps, [0x81, 0x02]);
    let mut out = [0x80, 0x06, 3, 0x03, b'Q', b'1', 0, 47];
    assert_eq!(
        rig.emu.interrupt(rig.handle, 0x02, &mut out),
        Step::Done(Ok(8))
    );
    let packets = rig.read_all(8);
    assert!(packets.iter().all(|p| p.len() == 8));
    assert_eq!(trim_zeros(&joined(&packets)), rig.status());
    let mut out = [0x80, 0x06, 2, 0x03, b'I', 0, 0, 39];
    rig.emu.interrupt(rig.handle, 0x02, &mut out);
    assert!(joined(&rig.read_all(8)).starts_with(b"#NUT-RS"));
    let mut out = [0x80, 0x06, 2, 0x03, b'Q', 0, 0, 0];
    rig.emu.interrupt(rig.handle, 0x02, &mut out);
    assert!(rig.read_all(8).is_empty());
    assert!(!rig.model.lock().unwrap().beeper);
    assert!(rig
        .log_text()
        .contains("interrupt out ep=02 len=8 data=800603035131002f result=8"));
}

#[test]
fn ablerex_answers_get_report() {
    let mut rig = make_rig(Bridge::Ablerex);
    let mut set = [0u8; 47];
    set[..6].copy_from_slice(b"\x05\x00\x03Q1\r");
    assert_eq!(
        rig.control((0x21, 0x09, 0x0305, 0), &mut set),
        Step::Done(Ok(47))
    );
    let mut get = [0xffu8; 47];
    get[0] = 0x05;
    assert_eq!(
        rig.control((0xa1, 0x01, 0x0305, 0), &mut get),
        Step::Done(Ok(47))
    );
    assert_eq!(&get[..], &rig.status()[..]);
    // Nothing pending: zeros.
    let mut again = [0xffu8; 47];
    rig.control((0xa1, 0x01, 0x0305, 0), &mut again);
    assert!(again.iter().all(|&b| b == 0));
    let mut set = [0u8; 47];
    set[..5].copy_from_slice(b"\x05\x00\x02F\r");
    rig.control((0x21, 0x09, 0x0305, 0), &mut set);
    rig.control((0xa1, 0x01, 0x0305, 0), &mut again);
    assert_eq!(trim_zeros(&again), b"#230.0 008 024.0 50.0\r");
}

#[test]
fn string_bridges() {
    for bridge in [Bridge::Krauler, Bridge::Snr, Bridge::Fabula, Bridge::Hunnox] {
        let mut rig = make_rig(bridge);
        // Any langid: libusb's (0x0409), C's langid_fix, or -1 as a 16-bit number.
        for langid in [0x0409, 0x0000, 0xffff] {
            let status = rig.status();
            assert_eq!(rig.string(0x03, langid), Ok(status), "{bridge:?}");
        }
        assert_eq!(
            rig.string(0x0d, 0x0409),
            Ok(b"#230.0 008 024.0 50.0\r".to_vec())
        );
        assert!(rig.string(0x0c, 0x0409).unwrap().starts_with(b"#NUT-RS"));
        // The language table and the device's own strings are not commands.
        assert_eq!(rig.string(0, 0), Ok(vec![0x09]));
        let manufacturer = bridge
            .identity()
            .manufacturer
            .map(|m| m.as_bytes().to_vec());
        match manufacturer {
            Some(m) => assert_eq!(rig.string(1, 0x0409), Ok(m)),
            None => assert_eq!(rig.string(1, 0x0409), Err(Step::Done(Err(code::PIPE)))),
        }
        let product = bridge.identity().product.map(|m| m.as_bytes().to_vec());
        if let Some(p) = product {
            assert_eq!(rig.string(2, 0x0409), Ok(p));
        }
    }
}

#[test]
fn string_commands_without_an_answer() {
    let mut rig = make_rig(Bridge::Krauler);
    assert_eq!(rig.string(0x07, 0x0409), Ok(b"Q\r".to_vec()));
    assert!(!rig.model.lock().unwrap().beeper);
    assert_eq!(rig.string(0x04, 0x0409), Ok(b"T\r".to_vec()));
    assert!(rig.model.lock().unwrap().testing);
    assert_eq!(rig.string(0x0b, 0x0409), Ok(b"C\r".to_vec()));
    // Not a Krauler index: an ordinary (absent) string.
    assert_eq!(rig.string(0x10, 0x0409), Err(Step::Done(Err(code::PIPE))));

    for bridge in [Bridge::Fabula, Bridge::Hunnox] {
        let mut rig = make_rig(bridge);
        assert_eq!(rig.string(0x07, 0x0409), Ok(b"UPS No Ack".to_vec()));
        assert!(!rig.model.lock().unwrap().beeper);
        // 0x10: shutdown in .5 minutes, stay off; 0x68: in 1 minute, then back on.
        assert_eq!(rig.string(0x10, 0x0409), Ok(b"UPS No Ack".to_vec()));
        assert_eq!(rig.model.lock().unwrap().shutdown_in, Some(30.0));
        assert_eq!(rig.model.lock().unwrap().restart_after, None);
        assert_eq!(rig.string(0x0a, 0x0409), Ok(b"UPS No Ack".to_vec()));
        assert_eq!(rig.model.lock().unwrap().shutdown_in, None);
        rig.string(0x68, 0x0409).unwrap();
        assert_eq!(rig.model.lock().unwrap().shutdown_in, Some(60.0));
        assert_eq!(rig.model.lock().unwrap().restart_after, Some(1));
        let received = rig.model.lock().unwrap().received.clone();
        assert_eq!(received, ["Q", "S.5", "C", "S01R0001"]);
    }
}

#[test]
fn a_missing_socket_leaves_the_device_silent_until_it_is_back() {
    let mut rig = make_rig(Bridge::Cypress);
    drop(rig.server.take());
    rig.send_padded(0x0200, b"Q1\r");
    assert!(rig.read_all(8).is_empty());
    let log = rig.log_text();
    assert!(
        log.contains("dev1 0665:5161 q1-socket error: cannot connect to"),
        "{log}"
    );
    // The server comes back (a new model): the next command connects again.
    rig.model = UpsModel::shared();
    rig.model.lock().unwrap().load = 42;
    rig.server = Some(
        SocketServer::spawn(
            rig.model.clone(),
            Protocol::Q1(Q1Dialect::Megatec),
            &rig.socket,
        )
        .unwrap(),
    );
    rig.send_padded(0x0200, b"Q1\r");
    let packets = rig.read_all(8);
    assert_eq!(trim_zeros(&joined(&packets)), rig.status());
    assert_eq!(&joined(&packets)[19..22], b"042");

    // A string bridge without its socket does not answer (the request times out).
    let mut rig = make_rig(Bridge::Krauler);
    drop(rig.server.take());
    assert_eq!(rig.string(0x03, 0x0409), Err(Step::Hang));
}

#[test]
fn unplug_plug_and_faults() {
    let mut rig = make_rig(Bridge::Cypress);
    rig.emu.devices[0].apply(&Command::Unplug);
    let mut chunk = *b"Q1\r\0\0\0\0\0";
    assert_eq!(
        rig.control((0x21, 0x09, 0x0200, 0), &mut chunk),
        Step::Done(Err(code::NO_DEVICE))
    );
    rig.emu.devices[0].apply(&Command::Plug { address: None });
    let key = rig.emu.device_list()[0];
    rig.handle = rig.emu.open(key).unwrap();
    rig.send_padded(0x0200, b"Q1\r");
    assert_eq!(trim_zeros(&joined(&rig.read_all(8))), rig.status());
    // SET_REPORT faults by report id (0 for wValue 0x0200), interrupt faults as usual.
    let stall = Command::parse_line("stall 00 once").unwrap().unwrap();
    rig.emu.devices[0].apply(&stall);
    let mut chunk = *b"Q1\r\0\0\0\0\0";
    assert_eq!(
        rig.control((0x21, 0x09, 0x0200, 0), &mut chunk),
        Step::Done(Err(code::PIPE))
    );
    rig.send_padded(0x0200, b"F\r");
    let timeout = Command::parse_line("timeout interrupt once")
        .unwrap()
        .unwrap();
    rig.emu.devices[0].apply(&timeout);
    let mut buf = [0u8; 8];
    assert_eq!(rig.emu.interrupt(rig.handle, 0x81, &mut buf), Step::Hang);
    assert_eq!(
        trim_zeros(&joined(&rig.read_all(8))),
        b"#230.0 008 024.0 50.0\r"
    );

    let mut rig = make_rig(Bridge::Fabula);
    let fault = Command::parse_line("timeout all once").unwrap().unwrap();
    rig.emu.devices[0].apply(&fault);
    assert_eq!(rig.string(0x03, 0x0409), Err(Step::Hang));
    assert!(rig.string(0x03, 0x0409).is_ok());
}

#[test]
fn device_files() {
    let socket = Path::new("/run/ups.sock");
    for bridge in Bridge::ALL {
        let text = bridge.device_text(socket, None);
        let spec = DeviceSpec::parse(&text, "b.dev").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.q1_bridge, Some(bridge));
        assert_eq!(spec.q1_socket.as_deref(), Some(socket));
        let id = bridge.identity();
        assert_eq!(
            (spec.vendor_id, spec.product_id),
            (id.vendor_id, id.product_id)
        );
        assert_eq!(DeviceSpec::parse(&spec.to_text(), "again"), Ok(spec));
    }
    let bad = |text: &str| {
        DeviceSpec::parse(text, "x.dev")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(bad("vendor-id 1\nq1-bridge cypress\n").contains("needs a q1-socket"));
    assert!(bad("vendor-id 1\nq1-socket /s\n").contains("needs a q1-bridge"));
    let e = bad("vendor-id 1\nq1-bridge usb\nq1-socket /s\n");
    assert!(e.starts_with("x.dev:2: unknown q1-bridge `usb`"), "{e}");
    // Endpoints given in the file win over the bridge's defaults.
    let spec = DeviceSpec::parse(
        "vendor-id 1\nq1-bridge fuji\nq1-socket /s\nendpoint 81 interrupt 8\n",
        "f.dev",
    )
    .unwrap();
    assert_eq!(spec.endpoints.len(), 1);
}
