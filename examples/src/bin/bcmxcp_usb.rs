//! `bcmxcp_usb`: Eaton/Powerware BCM/XCP units on USB (Powerware `0592:0002`, Phoenixtec
//! `06da:0002`, HP T500/T750), a drop-in for C NUT's driver: the `bcmxcp` driver over USB.
//! Usage as C's: `bcmxcp_usb -a <ups>` (ups.conf) or `bcmxcp_usb -s <ups> -x port=auto
//! [-x shutdown_delay=120]`; `-h` for help.

use std::process::ExitCode;

use nut_drivers::bcmxcp::Bcmxcp;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Bcmxcp::usb()))
}
