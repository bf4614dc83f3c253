//! MGE's SHUT (Serial HID UPS Transfer): the HID reports and descriptors of a power
//! device carried over a serial line, as C NUT's `mge-shut` (its `usbhid-ups` built over
//! libshut) reads them.
//!
//! [`frame`] is the framing without I/O (tokens, packets, checksums); [`transport`] puts
//! the `usbhid-ups` logic's [`crate::usb::transport::HidTransport`] on a serial port, so
//! the HID driver and its MGE subdriver run unchanged over SHUT.

pub mod frame;
#[cfg(feature = "usb")]
pub mod transport;

#[cfg(feature = "usb")]
pub use transport::{ShutOpener, ShutTransport};
