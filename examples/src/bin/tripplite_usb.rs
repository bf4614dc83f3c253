//! `tripplite_usb`: Tripp Lite's older USB units (OMNIVS, SMART, SMARTPRO; protocols 0004,
//! 1001, 2001, 3003, 3005), a drop-in for C NUT's driver. Usage as C's: `tripplite_usb -a
//! <ups>` (ups.conf) or `tripplite_usb -s <ups> -x port=auto`; `-h` lists its options.

use std::process::ExitCode;

use nut_drivers::tripplite_usb::TrippLiteUsb;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(TrippLiteUsb::new()))
}
