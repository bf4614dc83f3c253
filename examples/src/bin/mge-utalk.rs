//! `mge-utalk`: the MGE UPS SYSTEMS U-Talk serial driver, a drop-in for C NUT's. Usage as
//! C's: `mge-utalk -a <ups>` (ups.conf) or `mge-utalk -s <ups> -x port=/dev/ttyS0`; `-h`
//! for help.

use std::process::ExitCode;

use nut_drivers::mge_utalk::MgeUtalk;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(MgeUtalk::new()))
}
