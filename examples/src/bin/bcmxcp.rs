//! `bcmxcp`: the Eaton/Powerware BCM/XCP serial driver, a drop-in for C NUT's. Usage as
//! C's: `bcmxcp -a <ups>` (ups.conf) or `bcmxcp -s <ups> -x port=/dev/ttyS0
//! [-x baud_rate=9600] [-x shutdown_delay=120]`; `-h` for help.

use std::process::ExitCode;

use nut_drivers::bcmxcp::Bcmxcp;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Bcmxcp::new()))
}
