//! The USB emulator's text inputs: the `usbhid-ups -DDDDD` log importer and the device-file
//! parser. Nothing may panic; an imported device file must read back; a parsed device file
//! must survive `to_text` → `parse` unchanged; control-file lines must parse or be refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_usb_emu::{Command, DeviceSpec};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(device) = nut_usb_emu::import_to_text(&text, "fuzz") {
        assert!(DeviceSpec::parse(&device, "imported").is_ok());
    }
    if let Ok(spec) = DeviceSpec::parse(&text, "fuzz") {
        let again = DeviceSpec::parse(&spec.to_text(), "again");
        assert_eq!(again.as_ref().ok(), Some(&spec), "{}", spec.to_text());
    }
    for line in text.lines().take(64) {
        if let Ok(Some(command)) = Command::parse_line(line) {
            assert_eq!(Command::parse_line(&command.to_line()), Ok(Some(command)));
        }
    }
});
