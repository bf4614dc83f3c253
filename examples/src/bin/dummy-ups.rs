//! `dummy-ups`: the simulation and repeater driver, a drop-in for C NUT's. Usage as C's:
//! `dummy-ups -a <ups>` (ups.conf) or `dummy-ups -s <ups> -x port=<file>`; `-h` for help.

use std::process::ExitCode;

use nut_driver_api::process::run_driver;
use nut_drivers::dummy::DummyUps;

pub(crate) fn main() -> ExitCode {
    run_driver(|| Box::new(DummyUps::new()))
}
