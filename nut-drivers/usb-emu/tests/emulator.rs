//! The emulator's state machine without the C ABI: report values, SET_REPORT, unknown ids,
//! faults, unplug and plug, scripts that repeat, the control file and serial-bridge replies.

use std::io::Write;
use std::time::Duration;

use nut_usb_emu::emu::{code, Emulator, Step};
use nut_usb_emu::script::Target;
use nut_usb_emu::{Command, DeviceSpec};

fn spec() -> DeviceSpec {
    let text = "vendor-id 051d\nproduct-id 0002\nfeature 0c 64 00 00 14 0a\nfeature 13 01\nat 0s interrupt 13 01\nat 3600s unplug\n";
    DeviceSpec::parse(text, "t").unwrap_or_default()
}

#[test]
fn reports_faults_and_unplug() {
    let mut emu = Emulator::new(vec![spec()], None, None);
    emu.tick();
    let keys = emu.device_list();
    assert_eq!(keys.len(), 1);
    let Ok(h) = emu.open(keys[0]) else {
        panic!("open")
    };
    let mut buf = [0u8; 8];
    assert_eq!(
        emu.control(h, 0xa1, 1, 0x030c, 0, &mut buf),
        Step::Done(Ok(6))
    );
    assert_eq!(&buf[..6], &[0x0c, 0x64, 0, 0, 0x14, 0x0a]);
    // SET_REPORT stores, GET_REPORT returns the new value.
    let mut set = [0x0c, 0x32];
    assert_eq!(
        emu.control(h, 0x21, 9, 0x030c, 0, &mut set),
        Step::Done(Ok(2))
    );
    assert_eq!(
        emu.control(h, 0xa1, 1, 0x030c, 0, &mut buf),
        Step::Done(Ok(2))
    );
    // Unknown id: zero-filled with its id.
    let mut four = [9u8; 4];
    assert_eq!(
        emu.control(h, 0xa1, 1, 0x0377, 0, &mut four),
        Step::Done(Ok(4))
    );
    assert_eq!(four, [0x77, 0, 0, 0]);
    // Interrupt queued by the script at 0 s, then nothing.
    assert_eq!(emu.interrupt(h, 0x81, &mut buf), Step::Done(Ok(2)));
    assert_eq!(emu.interrupt(h, 0x81, &mut buf), Step::Wait);
    // Faults.
    emu.devices[0].apply(
        &Command::parse_line("stall 13 once")
            .ok()
            .flatten()
            .unwrap_or(Command::Unplug),
    );
    assert_eq!(
        emu.control(h, 0xa1, 1, 0x0313, 0, &mut buf),
        Step::Done(Err(code::PIPE))
    );
    assert_eq!(
        emu.control(h, 0xa1, 1, 0x0313, 0, &mut buf),
        Step::Done(Ok(2))
    );
    emu.devices[0].apply(
        &Command::parse_line("timeout 13")
            .ok()
            .flatten()
            .unwrap_or(Command::Unplug),
    );
    assert_eq!(emu.control(h, 0xa1, 1, 0x0313, 0, &mut buf), Step::Hang);
    emu.devices[0].apply(&Command::Clear(Target::All));
    // Unplug: the handle fails, the list is empty; plug: a new key.
    emu.devices[0].apply(&Command::Unplug);
    assert_eq!(
        emu.control(h, 0xa1, 1, 0x0313, 0, &mut buf),
        Step::Done(Err(code::NO_DEVICE))
    );
    assert!(emu.device_list().is_empty());
    assert_eq!(emu.open(keys[0]), Err(code::NO_DEVICE));
    emu.devices[0].apply(&Command::Plug { address: Some(7) });
    let again = emu.device_list();
    assert_eq!(again.len(), 1);
    assert_ne!(again[0], keys[0]);
    assert_eq!(emu.devices[0].address, 7);
    assert_eq!(
        emu.control(h, 0xa1, 1, 0x0313, 0, &mut buf),
        Step::Done(Err(code::NO_DEVICE))
    );
    assert!(emu.open(again[0]).is_ok());
}

#[test]
fn serial_bridge_replies() {
    let text = "vendor-id 0665\nproduct-id 5161\nendpoint 81 interrupt 4 10\nendpoint 82 bulk 64\nendpoint 02 bulk 64\nreply 51 31 => 01 02 03 04 05 06\n";
    let spec = DeviceSpec::parse(text, "t").unwrap_or_default();
    let mut emu = Emulator::new(vec![spec], None, None);
    let Ok(h) = emu.open(emu.device_list()[0]) else {
        panic!("open")
    };
    // SET_REPORT carrying the command: the answer comes back in 4-byte interrupt packets.
    let mut command = [0x51, 0x31, 0x0d, 0, 0, 0, 0, 0];
    assert_eq!(
        emu.control(h, 0x21, 9, 0x0200, 0, &mut command),
        Step::Done(Ok(8))
    );
    let mut buf = [0u8; 8];
    assert_eq!(emu.interrupt(h, 0x81, &mut buf), Step::Done(Ok(4)));
    assert_eq!(emu.interrupt(h, 0x81, &mut buf), Step::Done(Ok(2)));
    assert_eq!(&buf[..2], &[5, 6]);
    // Bulk OUT: the answer is a stream that short reads take piece by piece.
    let mut out = [0x51, 0x31];
    assert_eq!(emu.bulk(h, 0x02, &mut out), Step::Done(Ok(2)));
    let mut small = [0u8; 4];
    assert_eq!(emu.bulk(h, 0x82, &mut small), Step::Done(Ok(4)));
    assert_eq!(emu.bulk(h, 0x82, &mut small), Step::Done(Ok(2)));
    assert_eq!(&small[..2], &[5, 6]);
    assert_eq!(emu.bulk(h, 0x82, &mut small), Step::Wait);
}

#[test]
fn script_repeats_and_control_file() {
    let dir = std::env::temp_dir().join(format!("usb-emu-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let control = dir.join("control");
    let log = dir.join("log");
    let _ = std::fs::write(&control, "feature 0c 01\nbogus\n");
    let mut s = spec();
    s.script = vec![(Duration::ZERO, Command::Interrupt(vec![0x13, 0]))];
    s.repeat = Some(Duration::from_millis(1));
    let mut emu = Emulator::new(vec![s], Some(control.clone()), Some(log.clone()));
    std::thread::sleep(Duration::from_millis(5));
    emu.tick();
    assert!(emu.devices[0].interrupts.len() >= 5);
    assert_eq!(emu.devices[0].features.get(&0x0c).map(|v| v[1]), Some(1));
    // A partial line waits for its newline.
    let _ = std::fs::OpenOptions::new()
        .append(true)
        .open(&control)
        .and_then(|mut f| f.write_all(b"unpl"));
    emu.tick();
    assert!(emu.devices[0].plugged);
    let _ = std::fs::OpenOptions::new()
        .append(true)
        .open(&control)
        .and_then(|mut f| f.write_all(b"ug\n"));
    emu.tick();
    assert!(!emu.devices[0].plugged);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains("control unplug"), "{text}");
    assert!(text.contains("control-error"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
