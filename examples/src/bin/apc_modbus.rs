//! `apc_modbus`: APC Smart-UPS units speaking Modbus (SMT, SMX, SRT), a drop-in for C NUT's
//! (2.8.1 and later). Usage as C's: `apc_modbus -a <ups>` (ups.conf) or
//! `apc_modbus -s <ups> -x port=/dev/ttyS0 -x porttype=serial` (RTU on a serial line) or
//! `-x port=192.0.2.7 -x porttype=tcp` (Modbus TCP) or `-x port=auto` (USB, C's default
//! `porttype`); `-h` for help.

use std::process::ExitCode;

use nut_drivers::apc_modbus::ApcModbus;

pub(crate) fn main() -> ExitCode {
    nut_driver_api::process::run_driver(|| Box::new(ApcModbus::new()))
}
