//! `usbhid-ups`: USB HID Power Device Class UPSes (APC, CyberPower, Eaton, Tripp Lite, …),
//! a drop-in for C NUT's driver. Usage as C's: `usbhid-ups -a <ups>` (ups.conf) or
//! `usbhid-ups -s <ups> -x port=auto -x vendorid=051d`; `-h` lists its options.

use std::process::ExitCode;

use nut_drivers::usb::hid_ups::UsbHidUps;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(UsbHidUps::new()))
}
