//! `blazer_ser`: C NUT's older Megatec/Q1 serial driver, kept for the ups.conf sections that
//! name it, on the Q1 transport of `nutdrv_qx`. Usage as C's: `blazer_ser -a <ups>`, or
//! `blazer_ser -s <ups> -x port=/dev/ttyS0`; `-h` for help.

use std::process::ExitCode;

use nut_drivers::qx::legacy::Blazer;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Blazer::serial()))
}
