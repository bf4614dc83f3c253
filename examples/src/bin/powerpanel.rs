//! `powerpanel`: the CyberPower text/binary serial driver, a drop-in for C NUT's. Usage as
//! C's: `powerpanel -a <ups>` (ups.conf) or `powerpanel -s <ups> -x port=/dev/ttyS0`;
//! `-h` for help.

use std::process::ExitCode;

use nut_drivers::powerpanel::Powerpanel;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Powerpanel::new()))
}
