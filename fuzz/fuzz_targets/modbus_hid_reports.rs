//! Modbus RTU over USB HID reports (APC's Smart-UPS, `nut_drivers::usb::modbus_hid` and the
//! emulated unit of `nut_usb_emu::modbus_hid`): any sequence of reports fed to the host's
//! reply unpacker, its request unpacker and the emulated unit's never panics and never gives
//! a frame longer than Modbus allows plus one report; any bytes a client writes split
//! without panicking. A frame (cut to its function's length) packed into reports, with other
//! reports between them, unpacks to itself on both sides, and both sides pack it alike.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::usb::modbus_hid::{
    pack, request_len, response_len, split_rtu_requests, with_crc, Direction, FrameLen,
    Unpacker, MAX_ADU, PAYLOAD_SIZE,
};
use nut_usb_emu::modbus_hid as emu;

fuzz_target!(|data: &[u8]| {
    // Reports: a length byte (0 to 69), then that many bytes.
    let mut replies = Unpacker::new(0x89, Direction::Response);
    let mut requests = Unpacker::new(0x90, Direction::Request);
    let mut unit = emu::RequestUnpacker::default();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len % 70).min(tail.len());
        let (report, next) = tail.split_at(n);
        for frame in [replies.push(report), requests.push(report), unit.push(report)]
            .into_iter()
            .flatten()
        {
            assert!(frame.len() <= MAX_ADU + PAYLOAD_SIZE);
        }
        rest = next;
    }
    let _ = split_rtu_requests(data);

    // Round trips, of the input cut to a reply's and to a request's length.
    if let FrameLen::Complete(n) = response_len(data) {
        if n <= data.len() && n <= MAX_ADU {
            let frame = &data[..n];
            let mut u = Unpacker::new(0x89, Direction::Response);
            let mut got = Vec::new();
            for report in pack(0x89, frame) {
                assert_eq!(u.push(&[0x0c, 0x64]), None);
                got.extend(u.push(&report));
            }
            assert_eq!(got, [frame.to_vec()]);
            assert_eq!(emu::pack(emu::TX_REPORT, frame), pack(0x89, frame));
        }
    }
    if let FrameLen::Complete(n) = request_len(data) {
        if n <= data.len() && n <= MAX_ADU {
            let frame = &data[..n];
            let (mut host, mut unit) = (
                Unpacker::new(0x90, Direction::Request),
                emu::RequestUnpacker::default(),
            );
            let (mut by_host, mut by_unit) = (Vec::new(), Vec::new());
            for report in pack(0x90, frame) {
                assert_eq!(unit.push(&[0x89, 1, 3]), None);
                by_host.extend(host.push(&report));
                by_unit.extend(unit.push(&report));
            }
            assert_eq!(by_host, [frame.to_vec()]);
            assert_eq!(by_unit, [frame.to_vec()]);
            assert_eq!(split_rtu_requests(&with_crc(frame)), Ok(vec![frame.to_vec()]));
            assert_eq!(emu::with_crc(frame), with_crc(frame));
        }
    }
});
