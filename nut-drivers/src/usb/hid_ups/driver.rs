//! `usbhid-ups` as a [`Driver`]: options, finding the device and its subdriver, and the
//! commands C's driver adds on top of the tables (`load.off`, `shutdown.return`, …).

use std::time::Duration;

use async_trait::async_trait;
use nut_driver_api::{
    CommandResult, DeviceState, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_proto::sock::TrackingStatus;

use super::device::{Device, Settings, WalkMode};
use super::status::OnlineDischarge;
use super::subdriver::{Claim, ClaimContext, Subdriver};
use super::{DEFAULT_LOWBATT, DEFAULT_OFFDELAY, DEFAULT_ONDELAY, DEFAULT_POLLFREQ, SUBDRIVERS};
use crate::usb::hid::ReportDescriptor;
use crate::usb::matcher::{same_device, UsbMatcher};
use crate::usb::rusb_transport::RusbOpener;
use crate::usb::transport::{HidOpener, UsbDeviceInfo};

/// The USB HID power device driver (C's `usbhid-ups`).
pub struct UsbHidUps {
    opener: Box<dyn HidOpener>,
    device: Option<Device>,
    /// The unit found first: a reconnect takes only that one.
    known: Option<UsbDeviceInfo>,
    settings: Option<Settings>,
    /// The previous connection's mapping of table lines to fields.
    mapping: Option<(&'static str, Vec<Option<usize>>)>,
    /// C's `mge-shut`: the MGE subdriver only, over SHUT on the `port` serial line.
    shut: bool,
}

impl std::fmt::Debug for UsbHidUps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsbHidUps")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl Default for UsbHidUps {
    fn default() -> Self {
        Self::new()
    }
}

impl UsbHidUps {
    /// The driver on the system's libusb.
    pub fn new() -> Self {
        Self::with_opener(Box::new(RusbOpener::new()))
    }

    /// The driver on another USB implementation (a test double, a recording).
    pub fn with_opener(opener: Box<dyn HidOpener>) -> Self {
        Self {
            opener,
            device: None,
            known: None,
            settings: None,
            mapping: None,
            shut: false,
        }
    }

    /// C's `mge-shut`: the same driver over MGE's SHUT serial protocol on the `port`
    /// option's serial line, with the MGE subdriver only.
    #[cfg(feature = "serial")]
    pub fn mge_shut() -> Self {
        let mut driver = Self::with_opener(Box::new(crate::shut::ShutOpener::new("")));
        driver.shut = true;
        driver
    }

    /// Whether this is the SHUT variant ([`Self::mge_shut`]).
    pub fn is_shut(&self) -> bool {
        self.shut
    }

    fn device(&mut self) -> Result<&mut Device, DriverError> {
        self.device
            .as_mut()
            .ok_or_else(|| DriverError::Transport(std::io::Error::other("no device")))
    }

    fn settings(params: &DriverParams) -> Result<Settings, DriverError> {
        let number = |name: &str, default: u64| -> Result<u64, DriverError> {
            match params.get(name) {
                None => Ok(default),
                Some(v) => {
                    let n = nut_driver_api::status::c_strtol(v);
                    u64::try_from(n)
                        .map_err(|_| DriverError::config(format!("invalid {name}: {v}")))
                }
            }
        };
        let interrupt_size = match params.get("interruptsize") {
            None => None,
            Some(v) => match nut_driver_api::status::c_strtol(v) {
                n @ 1..=4096 => Some(n as usize),
                n => {
                    return Err(DriverError::config(format!(
                        "Error: invalid interruptsize: {n}"
                    )))
                }
            },
        };
        Ok(Settings {
            online_discharge: if params.is_set("onlinedischarge")
                || params.is_set("onlinedischarge_onbattery")
            {
                OnlineDischarge::OnBattery
            } else if params.is_set("onlinedischarge_calibration") {
                OnlineDischarge::Calibration
            } else {
                OnlineDischarge::Online
            },
            online_discharge_log_throttle: match params.get("onlinedischarge_log_throttle_sec") {
                None => 30,
                Some(v) => nut_driver_api::status::c_strtol(v),
            },
            online_discharge_hovercharge: match params
                .get("onlinedischarge_log_throttle_hovercharge")
            {
                None => 100,
                Some(v) => nut_driver_api::status::c_strtol(v),
            },
            interrupt_only: params.is_set("interruptonly"),
            poll_only: params.is_set("pollonly"),
            interrupt_size,
            pollfreq: number("pollfreq", DEFAULT_POLLFREQ)?,
        })
    }

    fn pick_subdriver(
        info: &UsbDeviceInfo,
        ctx: &ClaimContext,
        only: Option<&regex_lite::Regex>,
        shut: bool,
    ) -> Option<(&'static Subdriver, Claim)> {
        SUBDRIVERS.iter().copied().find_map(|s| {
            if shut && !std::ptr::eq(s, &super::mge::MGE) {
                return None;
            }
            if only.is_some_and(|re| !re.is_match(s.name)) {
                return None;
            }
            match (s.claim)(info, ctx) {
                Claim::No => None,
                yes => Some((s, yes)),
            }
        })
    }
}

#[async_trait]
impl Driver for UsbHidUps {
    fn info(&self) -> DriverInfo {
        if self.shut {
            return DriverInfo::new("mge-shut", "Generic HID driver", "0.47").experimental();
        }
        DriverInfo::new("usbhid-ups", "Generic HID driver", "0.47")
    }

    fn options(&self) -> Vec<OptionSpec> {
        let common = vec![
            OptionSpec::value("lowbatt", format!("Set low battery level, in % (default={DEFAULT_LOWBATT})")),
            OptionSpec::value("offdelay", format!("Set shutdown delay, in seconds (default={DEFAULT_OFFDELAY})")),
            OptionSpec::value("ondelay", format!("Set startup delay, in seconds (default={DEFAULT_ONDELAY})")),
            OptionSpec::value(
                "pollfreq",
                format!("Set polling frequency, in seconds, to reduce data flow (default={DEFAULT_POLLFREQ})"),
            ),
            OptionSpec::flag("pollonly", "Don't use interrupt pipe, only use polling"),
            OptionSpec::flag("onlinedischarge", "Set to treat discharging while online as being offline"),
            OptionSpec::flag(
                "onlinedischarge_onbattery",
                "Set to treat discharging while online as being offline/on-battery",
            ),
            OptionSpec::flag(
                "onlinedischarge_calibration",
                "Set to treat discharging while online as doing calibration",
            ),
            OptionSpec::value(
                "onlinedischarge_log_throttle_sec",
                "Seconds between warnings about discharging while online (-1: once; default 30)",
            ),
            OptionSpec::value(
                "onlinedischarge_log_throttle_hovercharge",
                "No warning about discharging while online at or above this battery charge (default 100)",
            ),
        ];
        if self.shut {
            return common
                .into_iter()
                .chain([OptionSpec::value(
                    "notification",
                    "Set notification type, (ignored, only for backward compatibility)",
                )])
                .collect();
        }
        common
            .into_iter()
            .chain(crate::usb::matcher::option_specs())
            .chain([
                OptionSpec::value(
                    "subdriver",
                    "Regular expression to match the subdriver name (APC HID, CyberPower HID, ...)",
                ),
                OptionSpec::flag("explore", "Diagnostic matching of unsupported UPS"),
                OptionSpec::flag(
                    "maxreport",
                    "Activate tweak for buggy APC Back-UPS firmware",
                ),
                OptionSpec::flag(
                    "interruptonly",
                    "Don't use polling, only use interrupt pipe",
                ),
                OptionSpec::value(
                    "interruptsize",
                    "Number of bytes to read from interrupt pipe",
                ),
            ])
            .collect()
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        if params.is_set("explore") && params.get("vendorid").is_none() {
            return Err(DriverError::config(
                "must specify \"vendorid\" when using \"explore\"",
            ));
        }
        let settings = Self::settings(params)?;
        self.settings = Some(settings);
        #[cfg(feature = "serial")]
        if self.shut {
            self.opener = Box::new(crate::shut::ShutOpener::new(&params.port));
        }
        let shut = self.shut;
        let matcher = UsbMatcher::new(
            params
                .options
                .iter()
                .filter_map(|(n, v)| v.as_deref().map(|v| (n.as_str(), v))),
        )
        .map_err(DriverError::config)?;
        let only = match params.get("subdriver") {
            None => None,
            Some(s) => Some(
                regex_lite::RegexBuilder::new(s)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| {
                        DriverError::config(format!(
                            "invalid subdriver regular expression {s}: {e}"
                        ))
                    })?,
            ),
        };
        let ctx = ClaimContext {
            productid_given: params.get("productid").is_some(),
            explore: params.is_set("explore"),
        };
        let known = self.known.clone();
        let chosen = only.clone();
        let accept = move |info: &UsbDeviceInfo| {
            if !matcher.matches(info) || !known.as_ref().is_none_or(|k| same_device(k, info)) {
                return None;
            }
            match Self::pick_subdriver(info, &ctx, chosen.as_ref(), shut) {
                Some((_, Claim::Yes(tweaks))) => Some(tweaks.interface),
                _ => None,
            }
        };
        if let Some(old) = self.device.take() {
            self.mapping = Some(old.mapping());
        }
        let starting = self.known.is_none();
        let opened = self.opener.open(&accept).await.map_err(|e| {
            if shut && starting {
                // As C's serial layer: a port that does not open at start is fatal.
                DriverError::config(e.to_string())
            } else {
                DriverError::Transport(e.into())
            }
        })?;
        let Some(opened) = opened else {
            return Err(if self.known.is_some() {
                DriverError::Transport(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the UPS is not (yet) back",
                ))
            } else {
                // As C: a driver that finds no device at start gives up.
                DriverError::config("No matching HID UPS found")
            });
        };
        let info = opened.info;
        let first = self.known.is_none();
        let mut desc = ReportDescriptor::parse(&opened.report_descriptor).map_err(|e| {
            let msg = format!("Failed to parse report descriptor: {e}");
            if first {
                DriverError::config(msg)
            } else {
                DriverError::device(msg)
            }
        })?;
        let Some((subdriver, Claim::Yes(mut tweaks))) =
            Self::pick_subdriver(&info, &ctx, only.as_ref(), shut)
        else {
            return Err(DriverError::device("Manufacturer not supported!"));
        };
        tweaks.max_report |= params.is_set("maxreport");
        // SHUT units are synchronised without notifications: C reads no interrupts.
        tweaks.no_interrupt |= shut;
        tracing::info!("Using subdriver: {}", subdriver.name);
        if (subdriver.fix_report_desc)(&info, &mut desc) {
            tracing::debug!("Report Descriptor Fixed");
        }
        let mut dev = Device::new(
            opened.transport,
            info.clone(),
            desc,
            subdriver,
            tweaks,
            settings,
        );
        if let Some(previous) = self.mapping.take() {
            dev.reuse_mapping(previous);
        }
        if let Some(p) = state.value("driver.parameter.pollinterval") {
            dev.age = Duration::from_secs(nut_driver_api::status::c_strtol(p).max(0) as u64);
        }
        dev.dump_tree().await;
        for (var, value) in [
            ("ups.mfr", (subdriver.format_mfr)(&info)),
            ("ups.model", (subdriver.format_model)(&info, state)),
            ("ups.serial", (subdriver.format_serial)(&info)),
        ] {
            match value {
                Some(v) => {
                    let _ = state.set(var, &v);
                }
                None => {
                    state.delete(var);
                }
            }
        }
        let _ = state.set("ups.vendorid", &format!("{:04x}", info.vendor_id));
        let _ = state.set("ups.productid", &format!("{:04x}", info.product_id));
        if !shut {
            // C's SHUT build has no USB library to name.
            let _ = state.set("driver.version.usb", &self.opener.library_version());
        }
        tracing::info!(
            "Detected a UPS: {}/{}",
            info.vendor.as_deref().unwrap_or("unknown"),
            info.product.as_deref().unwrap_or("unknown")
        );
        dev.walk(WalkMode::Init, state).await.map_err(|e| match e {
            DriverError::Transport(e) => DriverError::Transport(e),
            other => DriverError::device(format!("Can't initialize data from HID UPS: {other}")),
        })?;
        let overrides = [
            ("battery.charge.low", "lowbatt"),
            ("ups.delay.start", "ondelay"),
            ("ups.delay.shutdown", "offdelay"),
        ];
        for (var, option) in overrides {
            if state.value(var).is_some() {
                if let Some(v) = params.get(option) {
                    let _ = state.set(var, &nut_driver_api::status::c_strtol(v).to_string());
                }
            }
        }
        let (off, on) = (
            dev.has_item("load.off.delay"),
            dev.has_item("load.on.delay"),
        );
        if off {
            let _ = state.add_cmd("load.off");
        }
        if on {
            let _ = state.add_cmd("load.on");
        }
        if off && on {
            let _ = state.add_cmd("shutdown.return");
            let _ = state.add_cmd("shutdown.stayoff");
        }
        self.known = Some(info);
        self.device = Some(dev);
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let dev = self.device()?;
        let name = dev.subdriver.name;
        let _ = state.set("driver.version.data", name);
        let pollfreq = self.settings.map_or(DEFAULT_POLLFREQ, |s| s.pollfreq);
        let _ = state.set("driver.parameter.pollfreq", &pollfreq.to_string());
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let dev = self.device()?;
        let result = dev.update(state).await;
        if result.is_ok() {
            state.set_data_ok(true);
        }
        result
    }

    async fn event(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        match self.device.as_mut() {
            Some(dev) if dev.uses_interrupts() => dev.events(state).await,
            _ => std::future::pending().await,
        }
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        let Ok(dev) = self.device() else {
            return TrackingStatus::Failed;
        };
        instcmd(dev, state, cmd, param).await
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        let Ok(dev) = self.device() else {
            return TrackingStatus::Failed;
        };
        dev.set_var(state, var, value).await
    }

    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let dev = self.device()?;
        for (cmd, param) in [
            ("shutdown.return", None),
            ("shutdown.reboot", None),
            ("load.off.delay", None),
        ] {
            if instcmd(dev, state, cmd, param).await == TrackingStatus::Handled {
                return Ok(());
            }
        }
        Err(DriverError::device("Shutdown failed!"))
    }

    async fn close(&mut self) {
        if let Some(old) = self.device.take() {
            self.mapping = Some(old.mapping());
        }
    }
}

/// C's `instcmd`: the old beeper names, the table, then the commands made of two writes.
async fn instcmd(
    dev: &mut Device,
    state: &mut DeviceState,
    cmd: &str,
    param: Option<&str>,
) -> CommandResult {
    if cmd.eq_ignore_ascii_case("beeper.off") {
        tracing::warn!("The 'beeper.off' command has been renamed to 'beeper.disable'");
        return Box::pin(instcmd(dev, state, "beeper.disable", None)).await;
    }
    if cmd.eq_ignore_ascii_case("beeper.on") {
        tracing::warn!("The 'beeper.on' command has been renamed to 'beeper.enable'");
        return Box::pin(instcmd(dev, state, "beeper.enable", None)).await;
    }
    if let Some(result) = dev.table_cmd(state, cmd, param).await {
        return result;
    }
    let lower = cmd.to_ascii_lowercase();
    match lower.as_str() {
        "load.on" => Box::pin(instcmd(dev, state, "load.on.delay", Some("0"))).await,
        "load.off" => Box::pin(instcmd(dev, state, "load.off.delay", Some("0"))).await,
        "shutdown.return" | "shutdown.stayoff" => {
            let stay_off = lower == "shutdown.stayoff";
            if state.value("ups.start.auto").is_some() {
                let _ = dev
                    .set_var(state, "ups.start.auto", if stay_off { "no" } else { "yes" })
                    .await;
            }
            let on_delay = if stay_off {
                Some("-1".to_owned())
            } else {
                state.value("ups.delay.start").map(str::to_owned)
            };
            let r = Box::pin(instcmd(dev, state, "load.on.delay", on_delay.as_deref())).await;
            if r != TrackingStatus::Handled {
                return r;
            }
            // Some units ignore commands that come too fast.
            tokio::time::sleep(Duration::from_millis(125)).await;
            let off_delay = state.value("ups.delay.shutdown").map(str::to_owned);
            Box::pin(instcmd(dev, state, "load.off.delay", off_delay.as_deref())).await
        }
        _ => {
            tracing::debug!("instcmd: info element unavailable {cmd}");
            TrackingStatus::Invalid
        }
    }
}
