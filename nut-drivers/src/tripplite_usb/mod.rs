//! `tripplite_usb`: Tripp Lite's older USB units (OMNIVS, SMART, SMARTPRO of vendor `09ae`,
//! product `0001`), a drop-in for C NUT 2.8.0's driver of that name.
//!
//! These units are HID class but speak a command/reply protocol in 8-byte reports: a
//! SET_REPORT carries a command, the interrupt IN pipe the reply ([`protocol`], no I/O). The
//! driver ([`TrippLiteUsb`]) finds the unit with the USB layer of the HID driver
//! ([`crate::usb`]: the same matching options and transport) and publishes what C's does:
//! the same variables from the same replies, the same instant commands (`load.on`,
//! `load.off` with switchable load banks, `shutdown.return`, and on SMART units
//! `test.battery.start`, `reset.input.minmax`) and writable variables (`ups.delay.shutdown`,
//! `ups.id`, `outlet.N.switch`).
//!
//! Differences from C 2.8.0 (the README's list has them too): `reset.input.minmax` answers
//! "handled" when the unit acknowledged it (C compares a length that is never 2 and always
//! answers "unknown"); on protocol `3005`, outlet commands carry the outlet and state bytes
//! even when they are 0 (C builds them with `snprintf` and `strlen`, so `load.off` and
//! `load.on` both send a bare `K`).

mod driver;
pub mod protocol;

pub use driver::{
    model_name, TrippLiteUsb, DEFAULT_OFFDELAY, MAX_VOLT, MIN_VOLT, PRODUCT_ID, VENDOR_ID,
};

#[cfg(all(test, feature = "serial"))]
mod tests;
