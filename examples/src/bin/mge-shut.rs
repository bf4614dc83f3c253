//! `mge-shut`: MGE / Eaton units on a serial line speaking SHUT (HID over serial), a
//! drop-in for C NUT's driver of that name (its `usbhid-ups` over libshut). Usage as C's:
//! `mge-shut -a <ups>` (ups.conf) or `mge-shut -s <ups> -x port=/dev/ttyS0`; `-h` lists
//! its options.

use std::process::ExitCode;

use nut_drivers::usb::hid_ups::UsbHidUps;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(UsbHidUps::mge_shut()))
}
