//! `usbhid-ups`: USB HID Power Device Class UPSes (APC, CyberPower, Eaton/MGE, Tripp Lite,
//! …), a drop-in for C NUT 2.8.0's driver of that name.
//!
//! The driver finds a device with the matching options, picks the first subdriver that
//! claims its USB ids (the order is C's), parses the HID report descriptor, applies the
//! subdriver's fix-ups, and then walks the subdriver's table: at start every line is
//! mapped to a report field and read once; every poll reads the quick lines (status);
//! every `pollfreq` seconds, or after a SET or command, everything else. Reports that
//! arrive on the interrupt pipe are applied as soon as they come.
//!
//! ```no_run
//! use nut_drivers::usb::hid_ups::UsbHidUps;
//! use nut_driver_api::Driver;
//!
//! let driver = UsbHidUps::new();
//! assert_eq!(driver.info().name, "usbhid-ups");
//! ```

pub mod apc;
pub mod arduino;
pub mod belkin;
pub mod cps;
pub mod delta_ups;
pub mod device;
mod driver;
pub mod ever;
pub mod explore;
pub mod idowell;
pub mod legrand;
pub mod liebert;
pub mod lookups;
pub mod mge;
pub mod openups;
pub mod powercom;
pub mod powervar;
pub mod reports;
pub mod salicru;
pub mod status;
pub mod subdriver;
pub mod table;
pub mod tripplite;

#[cfg(test)]
mod tests;

pub use driver::UsbHidUps;
pub use subdriver::Subdriver;

/// Battery charge (%) under which C's `lowbatt` option sets `battery.charge.low`.
pub const DEFAULT_LOWBATT: &str = "30";
/// Seconds between mains coming back and the load being powered (`ups.delay.start`).
pub const DEFAULT_ONDELAY: &str = "30";
/// Seconds between a shutdown command and the load being cut (`ups.delay.shutdown`).
pub const DEFAULT_OFFDELAY: &str = "20";
/// Seconds between full updates.
pub const DEFAULT_POLLFREQ: u64 = 30;

/// Every subdriver, in the order C tries them: explore first, then MGE, then the others
/// alphabetically.
pub static SUBDRIVERS: &[&Subdriver] = &[
    &explore::EXPLORE,
    &mge::MGE,
    &apc::APC,
    &arduino::ARDUINO,
    &belkin::BELKIN,
    &cps::CPS,
    &delta_ups::DELTA_UPS,
    &ever::EVER,
    &idowell::IDOWELL,
    &legrand::LEGRAND,
    &liebert::LIEBERT,
    &openups::OPENUPS,
    &powercom::POWERCOM,
    &powervar::POWERVAR,
    &salicru::SALICRU,
    &tripplite::TRIPPLITE,
];
