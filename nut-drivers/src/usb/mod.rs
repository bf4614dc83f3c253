//! USB HID power devices: the HID report descriptor parser ([`hid`]), the USB transport
//! ([`transport`], [`RusbOpener`]), device matching ([`matcher`]) and the `usbhid-ups`
//! driver ([`hid_ups`]).

pub mod hid;
pub mod hid_ups;
pub mod matcher;
mod rusb_transport;
pub mod transport;

pub use rusb_transport::{list_devices, RusbOpener};
