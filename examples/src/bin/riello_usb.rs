//! `riello_usb`: Riello UPSes speaking GPSER behind their USB bridge (`04b4:5500`), a drop-in
//! for C NUT 2.8.0's driver: the `riello_ser` driver over the bridge's USB transfers. Usage as C's:
//! `riello_usb -a <ups>` (ups.conf) or `riello_usb -s <ups> -x port=auto`; `-h` for help.

use std::process::ExitCode;

use nut_drivers::riello::Riello;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Riello::usb()))
}
