//! `upscode2`: the UPScode II serial driver (Fiskars, Powerware, Compaq, Exide NetUPS), a
//! drop-in for C NUT's. Usage as C's: `upscode2 -a <ups>` (ups.conf) or
//! `upscode2 -s <ups> -x port=/dev/ttyS0`; `-h` for help.

use std::process::ExitCode;

use nut_drivers::upscode2::Upscode2;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(Upscode2::new()))
}
