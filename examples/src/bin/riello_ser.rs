//! `riello_ser`: the Riello GPSER/SENTR serial driver, a drop-in for C NUT's. Usage as C's:
//! `riello_ser -a <ups>` (ups.conf) or `riello_ser -s <ups> -x port=/dev/ttyS0`; `-h` for
//! help.

use std::process::ExitCode;

use nut_drivers::riello::Riello;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Riello::serial()))
}
