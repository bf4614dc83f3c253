#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

/// The protocol crate this crate builds on, re-exported so that users need one dependency.
pub use nut_proto as proto;

#[cfg(feature = "modbus")]
pub mod apc_modbus;
#[cfg(feature = "serial")]
pub mod apcsmart;
#[cfg(feature = "serial")]
pub mod bcmxcp;
pub mod dummy;
#[cfg(feature = "serial")]
pub mod liebert_esp2;
#[cfg(feature = "serial")]
pub mod mge_utalk;
#[cfg(any(feature = "usb", feature = "modbus"))]
pub mod modbus;
#[cfg(feature = "serial")]
pub mod powercom;
#[cfg(feature = "serial")]
pub mod powerpanel;
pub mod printf;
#[cfg(feature = "serial")]
pub mod qx;
#[cfg(feature = "serial")]
pub mod riello;
#[cfg(feature = "serial")]
pub mod serial;
#[cfg(feature = "serial")]
pub mod shut;
#[cfg(feature = "serial")]
pub mod sim;
#[cfg(feature = "snmp")]
pub mod snmp;
#[cfg(feature = "usb")]
pub mod tripplite_usb;
#[cfg(feature = "serial")]
pub mod upscode2;
pub mod upsdrvctl;
#[cfg(feature = "usb")]
pub mod usb;

#[cfg(test)]
mod test_data;
