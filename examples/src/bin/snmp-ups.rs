//! `snmp-ups`: C NUT's generic SNMP driver for UPS, PDU and ATS devices, with every MIB
//! mapping of C 2.8.0. Usage as C's: `snmp-ups -a <ups>`, or
//! `snmp-ups -s <ups> -x port=<host[:port]> -x community=public -x snmp_version=v2c`;
//! `-x mibs=--list` lists the mappings; `-h` for help.

use std::process::ExitCode;

use nut_driver_api::Driver;
use nut_drivers::snmp::driver::{mapping_list, SnmpUps};

pub(crate) fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // As C: the banner, then the mappings in detection order.
    if args
        .windows(2)
        .any(|w| w[0] == "-x" && w[1] == "mibs=--list")
    {
        println!("{}", nut_driver_api::cli::banner(&SnmpUps::new().info()));
        print!("{}", mapping_list(nut_drivers::snmp::mibs::ALL));
        return ExitCode::SUCCESS;
    }
    nut_driver_api::process::run_driver(|| Box::new(SnmpUps::new()))
}
