//! The `explore` subdriver: takes any device when the `explore` flag is given, maps
//! nothing, and lets the debug output list every HID path the device has (the log users
//! send when asking for support of a new model).

use super::subdriver::{
    no_fix, plain_mfr, plain_model, plain_serial, Claim, ClaimContext, Subdriver, Tweaks,
};
use crate::usb::hid::{UsageTable, HID_USAGES};
use crate::usb::transport::UsbDeviceInfo;

fn claim(_: &UsbDeviceInfo, ctx: &ClaimContext) -> Claim {
    if ctx.explore {
        Claim::Yes(Tweaks::default())
    } else {
        Claim::No
    }
}

static USAGES: [UsageTable; 1] = [HID_USAGES];

/// The explore subdriver.
pub static EXPLORE: Subdriver = Subdriver {
    name: "EXPLORE HID 0.2",
    claim,
    usages: &USAGES,
    table: &[],
    format_model: plain_model,
    format_mfr: plain_mfr,
    format_serial: plain_serial,
    fix_report_desc: no_fix,
};
