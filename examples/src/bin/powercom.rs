//! `powercom`: the PowerCom serial driver, a drop-in for C NUT's. Usage as C's:
//! `powercom -a <ups>` (ups.conf) or `powercom -s <ups> -x port=/dev/ttyS0 -x type=KIN`;
//! `-h` for help.

use std::process::ExitCode;

use nut_drivers::powercom::Powercom;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Powercom::new()))
}
