//! BCM/XCP replies: any bytes read as the reply to any command must give the reply's data
//! or an error, never a panic; byte by byte as in one piece; data that was read comes back
//! whole through the reply blocks a unit would send; bcmxcp_usb's reader takes the same
//! bytes in reads of any size. The identification block parser and every meter format take
//! any data, and the simulated unit answers any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_drivers::bcmxcp::frame::{
    expected_block, meter_value, parse_reply, reply_frames, IdBlock, ReplyReader, Step, UsbReply,
    UsbStep, MAX_BLOCK_DATA, MAX_REPLY,
};
use nut_drivers::sim::{bcmxcp, UpsModel};

fuzz_target!(|input: &[u8]| {
    let Some((&command, data)) = input.split_first() else {
        return;
    };
    let whole = parse_reply(command, data);
    let mut reader = ReplyReader::new(command);
    let mut stepped = Ok(None);
    for &b in data {
        match reader.push(b) {
            Step::NeedMore => {}
            Step::Done(d) => {
                stepped = Ok(Some(d));
                break;
            }
            Step::Failed(e) => {
                stepped = Err(e);
                break;
            }
        }
    }
    assert_eq!(whole, stepped);
    if let Ok(Some(reply)) = &whole {
        assert!(!reply.is_empty() && reply.len() <= MAX_REPLY);
        let block = expected_block(command).unwrap_or(0x09);
        let wire = reply_frames(block, reply, MAX_BLOCK_DATA);
        assert_eq!(parse_reply(command, &wire).as_ref(), Ok(&Some(reply.clone())));
        let _ = IdBlock::parse(reply);
    }
    // The USB reader (bcmxcp_usb) on the same bytes, in reads of 1 to 128 bytes.
    let mut usb = UsbReply::new();
    for read in data.chunks(usize::from(command % 128) + 1) {
        if !usb.wants_read() {
            break;
        }
        match usb.push(read) {
            UsbStep::Read => assert!(usb.partial().len() <= MAX_REPLY),
            UsbStep::Done(d) => {
                assert!(d.len() <= MAX_REPLY);
                break;
            }
            UsbStep::Failed(_) => break,
        }
    }
    let id = IdBlock::parse(data);
    assert!(id.meter_map.len() <= 255 && id.alarm_map.len() <= 255);
    for format in 0..=255u8 {
        let _ = meter_value(data, 0, format);
        let _ = meter_value(data, data.len().saturating_sub(2), format);
    }
    let model = UpsModel::shared();
    let (mut pending, mut out) = (input.to_vec(), Vec::new());
    bcmxcp::feed_buffer(&model, &mut pending, &mut out);
    assert!(pending.len() < 258);
    let mut m = model.lock().unwrap();
    let _ = bcmxcp::respond(&mut m, data);
});
