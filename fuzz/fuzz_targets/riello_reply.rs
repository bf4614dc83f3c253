//! Riello replies: any byte stream fed to the receiver (as GPSER with either check, and as
//! SENTR) and whatever frame it cuts read as every GPSER reply and as a SENTR block must
//! never panic; a frame the receiver accepts holds its check. The simulated unit must take
//! any byte stream, and every answer it gives must be a frame the driver accepts. Over USB
//! (riello_usb's bridge), any packet received unpacks to at most its count of bytes, and a
//! request cut into packets unpacks to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::riello::usb::{packets, unpack};
use nut_drivers::riello::frame::{
    check, parse_gi, parse_gn, parse_re, parse_rs, parse_sentr, Kind, Receiver, RielloData,
};
use nut_drivers::sim::{riello, UpsModel};

fuzz_target!(|data: &[u8]| {
    for (kind, crc) in [(Kind::Gpser, false), (Kind::Gpser, true), (Kind::Sentr, false)] {
        let mut rx = Receiver::new();
        rx.start();
        for &b in data {
            rx.push(b, kind, crc);
            if !rx.waiting {
                if kind == Kind::Gpser && !rx.bad_crc && rx.len < 220 {
                    assert_eq!(check(&rx.buf[..rx.len], crc), Some(true));
                }
                let mut d = RielloData::default();
                parse_gi(&rx.buf, &mut d);
                let _ = parse_gn(&rx.buf, &mut d);
                for n in [42, 48, 64] {
                    parse_rs(&rx.buf, &mut d, n);
                }
                parse_re(&rx.buf, &mut d);
                let _ = parse_sentr(&rx.buf, &mut d);
                rx.start();
            }
        }
    }
    for packet in data.chunks(8) {
        let bytes = unpack(packet);
        assert!(bytes.len() <= 7 && bytes.len() < packet.len().max(1));
    }
    let sent: Vec<u8> = packets(data).iter().flat_map(|p| unpack(p).to_vec()).collect();
    assert_eq!(sent, data);
    let model = UpsModel::shared();
    if let Some(&first) = data.first() {
        let mut m = model.lock().unwrap();
        m.settings.insert("riello.type".into(), ((first % 4) + 1).to_string());
        m.settings.insert("riello.crc".into(), (first / 4 % 2).to_string());
    }
    let (mut pending, mut out) = (data.to_vec(), Vec::new());
    riello::feed(&model, &mut pending, &mut out);
    // Each answer is read with the check of the request it answers (a sum before the
    // unit's identification is known): one of the two holds.
    let mut rx = Receiver::new();
    rx.start();
    for b in out {
        rx.push(b, Kind::Gpser, false);
        if !rx.waiting {
            let frame = &rx.buf[..rx.len];
            assert!(check(frame, false) == Some(true) || check(frame, true) == Some(true));
            rx.start();
        }
    }
    assert!(rx.len == 0);
});
