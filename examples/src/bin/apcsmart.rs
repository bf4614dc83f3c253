//! `apcsmart`: the APC Smart protocol serial driver, a drop-in for C NUT's. Usage as C's:
//! `apcsmart -a <ups>` (ups.conf) or `apcsmart -s <ups> -x port=/dev/ttyS0`; `-h` for help.

use std::process::ExitCode;

use nut_drivers::apcsmart::Apcsmart;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Apcsmart::new()))
}
