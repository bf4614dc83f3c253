//! Modbus RTU as more than one driver part carries it: [`frame`], a frame's CRC and how long
//! it is from its first bytes, for the USB HID carrier of APC's units (`usb::modbus_hid`, feature
//! `usb`) and the simulated APC unit (`sim::apc_modbus`, feature `modbus`).
//!
//! The USB emulator (`nut-usb-emu`) keeps its own copy of the CRC and the request lengths:
//! it cannot link this crate, which links the real libusb.

pub mod frame;
