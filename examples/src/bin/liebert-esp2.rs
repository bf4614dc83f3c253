//! `liebert-esp2`: the Liebert ESP-II serial driver, a drop-in for C NUT's. Usage as C's:
//! `liebert-esp2 -a <ups>` (ups.conf) or `liebert-esp2 -s <ups> -x port=/dev/ttyS0`; `-h`
//! for help.

use std::process::ExitCode;

use nut_drivers::liebert_esp2::LiebertEsp2;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(LiebertEsp2::new()))
}
