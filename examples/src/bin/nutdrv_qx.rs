//! `nutdrv_qx`: the Megatec Q1 family serial driver, a drop-in for C NUT's. Usage as C's:
//! `nutdrv_qx -a <ups>` (ups.conf) or `nutdrv_qx -s <ups> -x port=/dev/ttyS0`; `-h` for help.

use std::process::ExitCode;

use nut_drivers::qx::NutdrvQx;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(NutdrvQx::new()))
}
