//! Q1 UPSes behind a USB-to-serial bridge: `nutdrv_qx` with `port = auto` (C's USB
//! "subdrivers").
//!
//! The bridge is chosen from the device's ids and strings as C NUT 2.8.0 chooses it
//! ([`DEVICES`], first match wins), or forced with `subdriver=` (then `vendorid` and
//! `productid` are required, as in C). The unit is found with the usual USB matching
//! options (`vendorid`, `productid`, `vendor`, `product`, `serial`, `bus`, `device`,
//! `busport`) through the USB layer of the HID driver ([`HidOpener`]). Once found, a
//! reconnect takes only the same unit: when it is unplugged, the next command fails and
//! every later one tries to open it again, so it is found again when it comes back.
//!
//! ```
//! use nut_drivers::qx::usb::{bridge_for, Bridge};
//! use nut_drivers::usb::transport::UsbDeviceInfo;
//!
//! let mut unit = UsbDeviceInfo::new(0x0001, 0x0000);
//! unit.product = Some("MEC0003".into());
//! assert_eq!(bridge_for(&unit), Some(Bridge::Hunnox));
//! unit.vendor = Some("MEC".into());
//! assert_eq!(bridge_for(&unit), Some(Bridge::Fabula));
//! assert_eq!(bridge_for(&UsbDeviceInfo::new(0x0665, 0x5161)), Some(Bridge::Cypress));
//! ```

pub mod bridge;
pub mod strings;

use std::io;

use async_trait::async_trait;
use nut_driver_api::driver::OptionSpec;
use nut_driver_api::{DeviceState, DriverError, DriverParams};

use super::port::QxPort;
use crate::usb::matcher::{same_device, UsbMatcher};
use crate::usb::transport::{
    Accept, HidInterface, HidOpener, HidTransport, UsbDeviceInfo, UsbError,
};
pub use bridge::{Bridge, BridgeState};

/// One line of [`DEVICES`]: vendor id, product id, manufacturer, product, bridge.
pub type KnownUnit = (u16, u16, Option<&'static str>, Option<&'static str>, Bridge);

/// C's table of known units: vendor id, product id, manufacturer and product strings
/// (when given, they must match, ignoring case) and the bridge. Order matters: several
/// bridges share ids 0001:0000.
pub const DEVICES: [KnownUnit; 20] = [
    (0x05b8, 0x0000, None, None, Bridge::Cypress), // Agiler
    (0xffff, 0x0000, None, None, Bridge::Ablerex), // Ablerex 625L
    (0x1cb0, 0x0035, None, None, Bridge::Krauler), // Legrand Daker DK
    (0x0665, 0x5161, None, None, Bridge::Cypress), // Belkin F6C1200-UNV, Voltronic
    (
        0x06da,
        0x0002,
        Some("Phoenixtec Power"),
        Some("USB Cable (V2.00)"),
        Bridge::Phoenixtec,
    ), // Masterguard A
    (0x06da, 0x0002, None, None, Bridge::Cypress), // Online Yunto YQ450
    (0x06da, 0x0003, None, None, Bridge::Ippon),   // Mustek Powermust
    (0x06da, 0x0004, None, None, Bridge::Cypress), // Phoenixtec Innova 3/1 T
    (0x06da, 0x0005, None, None, Bridge::Cypress), // Phoenixtec Innova RT
    (0x06da, 0x0201, None, None, Bridge::Cypress), // Phoenixtec Innova T
    (0x06da, 0x0601, None, None, Bridge::Phoenix), // Online Zinto A
    (0x0f03, 0x0001, None, None, Bridge::Cypress), // Unitek Alpha 1200Sx
    (0x14f0, 0x00c9, None, None, Bridge::Phoenix), // GE EP series
    (0x0483, 0x0035, None, None, Bridge::Sgs),     // TS Shara
    (0x0001, 0x0000, Some("MEC"), Some("MEC0003"), Bridge::Fabula), // Fideltronik LUPUS 500
    (0x0001, 0x0000, None, Some("MEC0003"), Bridge::Hunnox), // Hunnox HNX 850
    (
        0x0001,
        0x0000,
        Some("ATCL FOR UPS"),
        Some("ATCL FOR UPS"),
        Bridge::Fuji,
    ), // Fuji
    (0x0001, 0x0000, None, None, Bridge::Krauler), // Krauler UP-M500VA
    (0x0001, 0x0000, None, Some("MEC0003"), Bridge::Snr), // SNR-UPS-LID (never reached)
    (0x0925, 0x1234, None, None, Bridge::Armac),   // Armac
];

/// C blazer_usb's table of known units: fewer, and the Ablerex 625L (ffff:0000) on the
/// krauler bridge.
pub const BLAZER_DEVICES: [KnownUnit; 12] = [
    (0x05b8, 0x0000, None, None, Bridge::Cypress), // Agiler
    (0x0001, 0x0000, None, None, Bridge::Krauler), // Krauler UP-M500VA
    (0xffff, 0x0000, None, None, Bridge::Krauler), // Ablerex 625L
    (0x0665, 0x5161, None, None, Bridge::Cypress), // Belkin F6C1200-UNV
    (0x06da, 0x0002, None, None, Bridge::Cypress), // Online Yunto YQ450
    (0x06da, 0x0003, None, None, Bridge::Ippon),   // Mustek Powermust
    (0x06da, 0x0004, None, None, Bridge::Cypress), // Phoenixtec Innova 3/1 T
    (0x06da, 0x0005, None, None, Bridge::Cypress), // Phoenixtec Innova RT
    (0x06da, 0x0201, None, None, Bridge::Cypress), // Phoenixtec Innova T
    (0x06da, 0x0601, None, None, Bridge::Phoenix), // Online Zinto A
    (0x0f03, 0x0001, None, None, Bridge::Cypress), // Unitek Alpha 1200Sx
    (0x14f0, 0x00c9, None, None, Bridge::Phoenix), // GE EP series
];

/// What one driver knows of USB units: its table, the bridges `subdriver=` may name, and
/// whether it scans the language table for `langid_fix` unless `noscanlangid`.
#[derive(Debug, Clone, Copy)]
pub struct UsbProfile {
    /// The program, for messages (`nutdrv_qx`).
    pub program: &'static str,
    /// The known units, first match wins.
    pub devices: &'static [KnownUnit],
    /// The bridges `subdriver=` may name.
    pub bridges: &'static [Bridge],
    /// Whether `noscanlangid` is an option (without it the scan always happens).
    pub noscanlangid: bool,
    /// Whether the krauler bridge answers an unknown command with nothing rather than its
    /// echo: blazer_usb hands the bridge one buffer for the command and the reply, and C's
    /// `snprintf` of the echo clears it first (so such an instant command counts as done).
    pub empty_echo: bool,
}

/// `nutdrv_qx`: every bridge, [`DEVICES`].
pub const NUTDRV_QX: UsbProfile = UsbProfile {
    program: "nutdrv_qx",
    devices: &DEVICES,
    bridges: &Bridge::ALL,
    noscanlangid: true,
    empty_echo: false,
};

/// `blazer_usb`: cypress, phoenix, ippon and krauler, [`BLAZER_DEVICES`].
pub const BLAZER_USB: UsbProfile = UsbProfile {
    program: "blazer_usb",
    devices: &BLAZER_DEVICES,
    bridges: &[
        Bridge::Cypress,
        Bridge::Phoenix,
        Bridge::Ippon,
        Bridge::Krauler,
    ],
    noscanlangid: false,
    empty_echo: true,
};

/// The USB options of a driver with this profile, in C's order: `subdriver`, the matching
/// options, `usb_set_altinterface`, `langid_fix` and, where it exists, `noscanlangid`.
pub fn options(profile: &UsbProfile) -> Vec<OptionSpec> {
    let mut out = vec![OptionSpec::value(
        "subdriver",
        "Serial-over-USB subdriver selection",
    )];
    out.extend(crate::usb::matcher::option_specs());
    out.push(OptionSpec::value(
        "usb_set_altinterface",
        "Force redundant call to usb_set_altinterface() (value=bAlternateSetting; default=0)",
    ));
    out.push(OptionSpec::value(
        "langid_fix",
        "Apply the language ID workaround to the krauler subdriver (0x409 or 0x4095)",
    ));
    if profile.noscanlangid {
        out.push(OptionSpec::flag(
            "noscanlangid",
            "Don't autoscan valid range for langid",
        ));
    }
    out
}

/// The bridge C nutdrv_qx picks for a unit from [`DEVICES`], if any.
pub fn bridge_for(info: &UsbDeviceInfo) -> Option<Bridge> {
    bridge_in(&DEVICES, info)
}

/// The bridge of the first line of `devices` that describes the unit, if any.
pub fn bridge_in(devices: &[KnownUnit], info: &UsbDeviceInfo) -> Option<Bridge> {
    let same = |want: Option<&str>, have: &Option<String>| {
        want.is_none_or(|w| have.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(w)))
    };
    devices
        .iter()
        .find(|(v, p, vendor, product, _)| {
            *v == info.vendor_id
                && *p == info.product_id
                && same(*vendor, &info.vendor)
                && same(*product, &info.product)
        })
        .map(|d| d.4)
}

/// The options that make `nutdrv_qx` look for a USB unit rather than open a serial port
/// (besides `port = auto`), as in C.
const USB_TRIGGERS: [&str; 8] = [
    "subdriver",
    "vendorid",
    "productid",
    "vendor",
    "product",
    "serial",
    "bus",
    "langid_fix",
];

/// Whether `params` ask for a USB unit: `port = auto`, or any USB option.
pub fn wants_usb(params: &DriverParams) -> bool {
    params.port.eq_ignore_ascii_case("auto") || USB_TRIGGERS.iter().any(|o| params.get(o).is_some())
}

/// C's reading of `langid_fix`: the two characters after which hexadecimal digits follow
/// are skipped unread (`0x409`), then the hexadecimal number.
pub fn parse_langid_fix(value: &str) -> Option<u16> {
    let digits = value.get(2..)?;
    let end = digits
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(digits.len());
    u32::from_str_radix(&digits[..end], 16)
        .ok()
        .and_then(|v| u16::try_from(v).ok())
}

/// A Q1 unit on USB, reached through its bridge.
pub struct UsbQx {
    opener: Box<dyn HidOpener>,
    transport: Option<Box<dyn HidTransport>>,
    matcher: UsbMatcher,
    interface: HidInterface,
    known: UsbDeviceInfo,
    bridge: Bridge,
    state: BridgeState,
}

impl std::fmt::Debug for UsbQx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsbQx")
            .field("bridge", &self.bridge)
            .field("unit", &self.known)
            .field("open", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

impl UsbQx {
    /// Finds the unit `params` describe with `opener` and claims it, as `nutdrv_qx` does;
    /// publishes `ups.vendorid` and `ups.productid`.
    pub async fn open(
        opener: Box<dyn HidOpener>,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<Self, DriverError> {
        Self::open_for(opener, params, state, &NUTDRV_QX).await
    }

    /// [`open`](Self::open) for the driver `profile` describes.
    pub async fn open_for(
        mut opener: Box<dyn HidOpener>,
        params: &DriverParams,
        state: &mut DeviceState,
        profile: &UsbProfile,
    ) -> Result<Self, DriverError> {
        let mut bridge_state = BridgeState {
            empty_echo: profile.empty_echo,
            ..BridgeState::default()
        };
        if let Some(v) = params.get("langid_fix") {
            match parse_langid_fix(v) {
                Some(l) => {
                    bridge_state.langid_fix = Some(l);
                    tracing::debug!("Language ID workaround enabled (using '0x{l:x}')");
                }
                None => tracing::warn!("Error enabling language ID workaround"),
            }
        }
        let forced =
            match params.get("subdriver") {
                None => None,
                Some(name) => {
                    if params.get("vendorid").is_none() || params.get("productid").is_none() {
                        return Err(DriverError::config(
                        "When specifying a subdriver, 'vendorid' and 'productid' are mandatory.",
                    ));
                    }
                    let found = Bridge::from_name(name).filter(|b| profile.bridges.contains(b));
                    Some(found.ok_or_else(|| {
                        DriverError::config(format!("Subdriver '{name}' not found!"))
                    })?)
                }
            };
        let matcher = UsbMatcher::new(
            params
                .options
                .iter()
                .filter_map(|(n, v)| v.as_deref().map(|v| (n.as_str(), v))),
        )
        .map_err(DriverError::config)?;
        let interface = HidInterface {
            alt_setting: match params.get("usb_set_altinterface") {
                None => None,
                Some(v) => Some(v.trim().parse::<u8>().map_err(|_| {
                    DriverError::config(format!(
                        "Invalid value for usb_set_altinterface: '{v}' (0 to 255)"
                    ))
                })?),
            },
            ..HidInterface::DEFAULT
        };
        let m = matcher.clone();
        let devices = profile.devices;
        let accept = move |info: &UsbDeviceInfo| {
            (m.matches(info) && (forced.is_some() || bridge_in(devices, info).is_some()))
                .then_some(interface)
        };
        let opened = opener
            .open_raw(&accept)
            .await
            .map_err(|e| DriverError::Transport(e.into()))?;
        let Some(opened) = opened else {
            return Err(DriverError::config(format!(
                "No supported devices found: check that the UPS is plugged in (lsusb lists \
                 it); if it is, name its bridge with the 'subdriver', 'vendorid' and \
                 'productid' options (see {}(8))",
                profile.program
            )));
        };
        let Some(bridge) = forced.or_else(|| bridge_in(devices, &opened.info)) else {
            return Err(DriverError::config("No subdriver selected"));
        };
        tracing::debug!("using the {bridge} bridge for {}", opened.info);
        let _ = state.set("ups.vendorid", &format!("{:04x}", opened.info.vendor_id));
        let _ = state.set("ups.productid", &format!("{:04x}", opened.info.product_id));
        let mut link = Self {
            opener,
            transport: Some(opened.transport),
            matcher,
            interface,
            known: opened.info,
            bridge,
            state: bridge_state,
        };
        let skip_scan = profile.noscanlangid && params.is_set("noscanlangid");
        if link.state.langid_fix.is_some() && !skip_scan {
            link.scan_langid().await;
        }
        Ok(link)
    }

    /// The bridge in use.
    pub fn bridge(&self) -> Bridge {
        self.bridge
    }

    /// Reads the unit's language table and logs its first language (C's hint for users
    /// who need `langid_fix`).
    async fn scan_langid(&mut self) {
        let Some(t) = self.transport.as_mut() else {
            return;
        };
        if let Ok(table) = t.string_descriptor(0, 0, 255).await {
            if table.len() >= 4 {
                let langid = u16::from_le_bytes([table[2], table[3]]);
                tracing::info!("First supported language ID: 0x{langid:x}");
            }
        }
    }

    /// Opens the same unit again after it went away.
    async fn reopen(&mut self) -> Result<(), UsbError> {
        let known = self.known.clone();
        let matcher = self.matcher.clone();
        let interface = self.interface;
        let accept: Box<Accept> = Box::new(move |info: &UsbDeviceInfo| {
            (matcher.matches(info) && same_device(&known, info)).then_some(interface)
        });
        match self.opener.open_raw(&accept).await? {
            Some(opened) => {
                tracing::info!("Reconnected to {}", opened.info);
                self.transport = Some(opened.transport);
                Ok(())
            }
            None => Err(UsbError::NoDevice),
        }
    }
}

#[async_trait]
impl QxPort for UsbQx {
    async fn command(&mut self, cmd: &str) -> io::Result<Option<Vec<u8>>> {
        if self.transport.is_none() {
            if let Err(e) = self.reopen().await {
                tracing::debug!("reconnect failed: {e}");
                return Ok(None);
            }
        }
        let Some(t) = self.transport.as_mut() else {
            return Ok(None);
        };
        let error = match bridge::exchange(self.bridge, t.as_mut(), &mut self.state, cmd).await {
            Ok(reply) => return Ok(Some(reply)),
            Err(e) => e,
        };
        // What C's `qx_command` does about each error.
        let reconnect = match &error {
            UsbError::Busy => return Err(io::Error::other("Got disconnected by another driver")),
            UsbError::Pipe => {
                if t.clear_halt(bridge::ENDPOINT_IN).await.is_ok() {
                    tracing::debug!("Stall condition cleared");
                    false
                } else {
                    if t.reset().await.is_ok() {
                        tracing::debug!("Device reset handled");
                    }
                    true
                }
            }
            UsbError::NoDevice | UsbError::Access | UsbError::Io | UsbError::NotFound => true,
            _ => false,
        };
        if reconnect {
            tracing::warn!("Got to reconnect! ({error})");
            self.transport = None;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
