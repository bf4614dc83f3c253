//! `blazer_usb`: C NUT's older Megatec/Q1 driver for UPSes behind a USB-to-serial bridge
//! (cypress, phoenix, ippon, krauler), kept for the ups.conf sections that name it, on the
//! USB layer of `usbhid-ups` and the bridges of `nutdrv_qx`. Usage as C's:
//! `blazer_usb -a <ups>`, or `blazer_usb -s <ups> -x port=auto`; `-h` for help.

use std::process::ExitCode;

use nut_drivers::qx::legacy::Blazer;
use nut_drivers::usb::RusbOpener;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| {
        Box::new(Blazer::usb(Box::new(|| Box::new(RusbOpener::new()))))
    })
}
