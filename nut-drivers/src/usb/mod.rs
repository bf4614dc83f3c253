//! USB HID power devices: the HID report descriptor parser ([`hid`]), the USB transport
//! ([`transport`], [`RusbOpener`]), device matching ([`matcher`]), the `usbhid-ups`
//! driver ([`hid_ups`]) and Modbus RTU over HID reports for APC's Modbus units
//! ([`modbus_hid`]).

pub mod hid;
pub mod hid_ups;
pub mod matcher;
pub mod modbus_hid;
mod rusb_transport;
pub mod transport;

pub use rusb_transport::{list_devices, RusbOpener};
