//! `tripplite_usb` as a [`Driver`]: finding the unit, the command/reply exchange, and what
//! C's driver publishes from each reply.

use std::time::Duration;

use async_trait::async_trait;
use nut_driver_api::status::StatusBuilder;
use nut_driver_api::{
    CommandResult, DeviceState, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_proto::sock::TrackingStatus;

use super::protocol::{
    self, battery_charge, dec2d, decode_status, fixed, hex2d, hex_or_bin2d, hexascdump, toprint,
    Config, Model, Reply, FRAME,
};
use crate::usb::matcher::{same_device, UsbMatcher};
use crate::usb::transport::{HidInterface, HidOpener, HidTransport, UsbDeviceInfo, UsbError};
use crate::usb::RusbOpener;

/// Tripp Lite's USB vendor id.
pub const VENDOR_ID: u16 = 0x09ae;
/// The product id of the units of this protocol.
pub const PRODUCT_ID: u16 = 0x0001;
/// The default shutdown delay, seconds.
pub const DEFAULT_OFFDELAY: u32 = 64;
/// The default block voltage of an empty battery (10 %).
pub const MIN_VOLT: f64 = 11.0;
/// The default block voltage of a full battery (100 %).
pub const MAX_VOLT: f64 = 13.4;

/// How many times a command is sent, and how many reads follow each sending.
const SEND_TRIES: usize = 10;
const RECV_TRIES: usize = 10;
/// The pause between a command and the first read.
const SEND_WAIT: Duration = Duration::from_millis(100);
/// How long a read waits.
const RECV_WAIT: Duration = Duration::from_millis(1000);

/// The Tripp Lite driver for the older USB protocol (C's `tripplite_usb`).
pub struct TrippLiteUsb {
    opener: Box<dyn HidOpener>,
    transport: Option<Box<dyn HidTransport>>,
    known: Option<UsbDeviceInfo>,
    matcher: UsbMatcher,
    interface: HidInterface,
    model: Model,
    config: Config,
    offdelay: u32,
    volts: (f64, f64),
    unit_id: Option<i64>,
}

impl std::fmt::Debug for TrippLiteUsb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrippLiteUsb")
            .field("known", &self.known)
            .field("model", &self.model)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for TrippLiteUsb {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a command got no good reply.
#[derive(Debug)]
enum Failure {
    /// The USB side failed.
    Usb(UsbError),
    /// The unit never answered with the command's letter.
    NoReply,
}

impl TrippLiteUsb {
    /// The driver on the system's libusb.
    pub fn new() -> Self {
        Self::with_opener(Box::new(RusbOpener::new()))
    }

    /// The driver on another USB implementation (a test double).
    pub fn with_opener(opener: Box<dyn HidOpener>) -> Self {
        Self {
            opener,
            transport: None,
            known: None,
            matcher: UsbMatcher::default(),
            interface: HidInterface::DEFAULT,
            model: Model::Unknown,
            config: Config::default(),
            offdelay: DEFAULT_OFFDELAY,
            volts: (MIN_VOLT, MAX_VOLT),
            unit_id: None,
        }
    }

    /// C's `send_cmd`: sends `command` until a reply starting with its letter comes (10
    /// sendings of 10 reads each). The reply buffer keeps what the last read brought.
    async fn send(&mut self, command: &[u8], reply: &mut Reply) -> Result<(), Failure> {
        let frame = protocol::frame(command).map_err(|e| {
            tracing::error!("{e}");
            Failure::NoReply
        })?;
        let t = self
            .transport
            .as_mut()
            .ok_or(Failure::Usb(UsbError::NoDevice))?;
        tracing::trace!("send_cmd: sending  {}", hexascdump(&frame));
        for _ in 0..SEND_TRIES {
            let n = t.set_report(0, &frame).await.map_err(Failure::Usb)?;
            if n != FRAME {
                tracing::warn!("libusb_set_report() returned {n} instead of {FRAME}");
                return Err(Failure::NoReply);
            }
            tokio::time::sleep(SEND_WAIT).await;
            for _ in 0..RECV_TRIES {
                match t.interrupt_read(FRAME, RECV_WAIT).await {
                    Ok(bytes) => {
                        let n = bytes.len().min(FRAME);
                        reply[..n].copy_from_slice(&bytes[..n]);
                        if protocol::answers(&frame, reply) {
                            tracing::trace!("send_cmd: received {} (OK)", hexascdump(reply));
                            return Ok(());
                        }
                    }
                    Err(e) if e.needs_reconnect() => return Err(Failure::Usb(e)),
                    Err(e) => {
                        tracing::debug!(
                            "libusb_get_interrupt() failed ({e}) while sending {}",
                            hexascdump(&frame)
                        );
                    }
                }
            }
        }
        Err(Failure::NoReply)
    }

    /// [`send`](Self::send) with a fresh buffer; `None` when no good reply came.
    async fn ask(&mut self, command: &[u8]) -> Result<Option<Reply>, DriverError> {
        let mut reply = [0u8; FRAME];
        match self.send(command, &mut reply).await {
            Ok(()) => Ok(Some(reply)),
            Err(Failure::NoReply) => Ok(None),
            Err(Failure::Usb(e)) if e.needs_reconnect() => Err(DriverError::Transport(e.into())),
            Err(Failure::Usb(e)) => {
                tracing::warn!("USB error: {e}");
                Ok(None)
            }
        }
    }

    /// A command whose reply the poll cannot do without: no reply is C's `usb_comm_fail`
    /// (the unit is re-opened).
    async fn must(&mut self, command: &[u8], what: &str) -> Result<Reply, DriverError> {
        match self.ask(command).await? {
            Some(r) => Ok(r),
            None => {
                tracing::warn!("{what}: Device detached?");
                Err(DriverError::Transport(std::io::Error::other(format!(
                    "{what}: no reply"
                ))))
            }
        }
    }

    /// C's `debug_message`: the reply to `letter` into `ups.debug.<letter>`.
    async fn debug_message(
        &mut self,
        state: &mut DeviceState,
        letter: u8,
    ) -> Result<(), DriverError> {
        let what = format!("Error reading '{}' value", char::from(letter));
        let reply = self.must(&[letter], &what).await?;
        let _ = state.set(
            &format!("ups.debug.{}", char::from(letter)),
            &hexascdump(&reply[1..]),
        );
        Ok(())
    }

    /// C's `control_outlet`: switches outlet `outlet` (0: the main relay) on or off.
    async fn control_outlet(&mut self, outlet: i64, on: bool) -> Result<bool, DriverError> {
        let state = u8::from(on);
        let (delay, switch): (Vec<u8>, Vec<u8>) = match self.model {
            Model::SmartPro | Model::Smart0004 => {
                let mut k = format!("K{outlet}").into_bytes();
                k.push(b'0' + state);
                (b"N05".to_vec(), k)
            }
            Model::Smart3005 => {
                let Ok(id) = u8::try_from(outlet) else {
                    return Ok(false);
                };
                (vec![b'N', 5], vec![b'K', id, state])
            }
            _ => {
                tracing::error!("control_outlet unimplemented for protocol {:?}", self.model);
                return Ok(false);
            }
        };
        if switch.len() > protocol::MAX_COMMAND {
            tracing::error!("Could not set outlet {outlet}: index too long");
            return Ok(false);
        }
        let _ = self.ask(&delay).await?;
        if self.ask(&switch).await?.is_none() {
            tracing::error!("Could not set outlet {outlet} to state {state}");
            return Ok(false);
        }
        Ok(true)
    }

    /// C's `soft_shutdown`: the delay, then the shutdown (which needs the unit on battery).
    async fn soft_shutdown(&mut self) -> Result<bool, DriverError> {
        let [hi, lo] = ((self.offdelay & 0xffff) as u16).to_be_bytes();
        if self.ask(&[b'N', hi, lo]).await?.is_none() {
            tracing::error!("Could not set offdelay to {}", self.offdelay);
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        if self.ask(b"G").await?.is_none() {
            tracing::error!("Could not turn off UPS (is it still on battery?)");
            return Ok(false);
        }
        Ok(true)
    }

    async fn reopen(&mut self) -> Result<(), DriverError> {
        let matcher = self.matcher.clone();
        let known = self.known.clone();
        let productid_given = matcher.has_option("productid");
        let interface = self.interface;
        let accept = move |info: &UsbDeviceInfo| {
            let supported =
                info.vendor_id == VENDOR_ID && (info.product_id == PRODUCT_ID || productid_given);
            (supported
                && matcher.matches(info)
                && known.as_ref().is_none_or(|k| same_device(k, info)))
            .then_some(interface)
        };
        let opened = self
            .opener
            .open_raw(&accept)
            .await
            .map_err(|e| DriverError::Transport(e.into()))?;
        let Some(opened) = opened else {
            return Err(if self.known.is_some() {
                DriverError::Transport(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "Reconnecting to UPS failed; will retry later...",
                ))
            } else {
                DriverError::config("No matching USB/HID UPS found")
            });
        };
        tracing::info!(
            "Detected a UPS: {}/{}",
            opened.info.vendor.as_deref().unwrap_or("unknown"),
            opened.info.product.as_deref().unwrap_or("unknown")
        );
        self.transport = Some(opened.transport);
        self.known = Some(opened.info);
        Ok(())
    }
}

/// C's `atoi` on glibc: `strtol` (saturating at the bounds of a 64-bit long), then cut to
/// an `int`.
fn atoi(text: &str) -> i64 {
    i64::from(nut_driver_api::status::c_strtol(text) as i32)
}

/// The model name from the product string: without the vendor in front, trimmed of spaces.
pub fn model_name(vendor: Option<&str>, product: &str) -> String {
    let rest = match vendor {
        Some(v) => product.strip_prefix(v).unwrap_or(product),
        None => product,
    };
    rest.trim_start_matches(' ')
        .trim_end_matches(' ')
        .to_owned()
}

#[async_trait]
impl Driver for TrippLiteUsb {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(
            "tripplite_usb",
            "Tripp Lite OMNIVS / SMARTPRO driver",
            "0.33",
        )
        // C 2.8.0 marks it experimental: the program warns right after its banner.
        .experimental()
    }

    fn options(&self) -> Vec<OptionSpec> {
        let mut out = vec![OptionSpec::value(
            "offdelay",
            format!("Set shutdown delay, in seconds (default={DEFAULT_OFFDELAY})"),
        )];
        // C 2.8.0's list: no `busport`.
        out.extend(
            crate::usb::matcher::option_specs()
                .into_iter()
                .filter(|o| o.name != "busport"),
        );
        out.extend([
            OptionSpec::value(
                "usb_set_altinterface",
                "Force redundant call to usb_set_altinterface() (value=bAlternateSetting; default=0)",
            ),
            OptionSpec::value(
                "battery_min",
                format!("Minimum battery voltage, corresponding to 10% charge (default={MIN_VOLT:.1})"),
            ),
            OptionSpec::value(
                "battery_max",
                format!("Maximum battery voltage, corresponding to 100% charge (default={MAX_VOLT:.1})"),
            ),
        ]);
        out
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        if self.known.is_none() {
            self.matcher = UsbMatcher::new(
                params
                    .options
                    .iter()
                    .filter(|(n, _)| n != "busport")
                    .filter_map(|(n, v)| v.as_deref().map(|v| (n.as_str(), v))),
            )
            .map_err(DriverError::config)?;
            self.interface.alt_setting = match params.get("usb_set_altinterface") {
                None => None,
                Some(v) => Some(v.trim().parse::<u8>().map_err(|_| {
                    DriverError::config(format!(
                        "Invalid value for usb_set_altinterface: '{v}' (0 to 255)"
                    ))
                })?),
            };
            if let Some(v) = params.get("offdelay") {
                match u32::try_from(atoi(v)) {
                    Ok(n) => {
                        self.offdelay = n;
                        tracing::debug!("Setting 'offdelay' to {n}");
                    }
                    Err(_) => tracing::debug!("FAILED to set 'offdelay' to {}", atoi(v)),
                }
            }
            let volts = |v: &str| v.trim().parse::<f64>().unwrap_or(0.0);
            if let Some(v) = params.get("battery_min") {
                self.volts.0 = volts(v);
            }
            if let Some(v) = params.get("battery_max") {
                self.volts.1 = volts(v);
            }
        }
        self.reopen().await?;
        if let Some(info) = &self.known {
            let _ = state.set("ups.vendorid", &format!("{:04x}", info.vendor_id));
            let _ = state.set("ups.productid", &format!("{:04x}", info.product_id));
        }
        let _ = state.set("driver.version.usb", &self.opener.library_version());
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let Some(proto) = self.ask(b"\0").await? else {
            return Err(DriverError::config("Error reading protocol"));
        };
        let number = u16::from_be_bytes([proto[1], proto[2]]);
        self.model = Model::from_protocol(number);
        tracing::info!("{} ({number:04x})", self.model.describe());
        if self.model == Model::Unknown {
            let _ = state.set("ups.debug.0", &hexascdump(&proto[1..]));
        }
        let _ = state.set("ups.firmware.aux", &format!("protocol {number:04x}"));

        if self.model != Model::SmartPro && self.ask(b"W\0").await?.is_none() {
            tracing::info!(
                "Could not reset watchdog. Please send model information to nut-upsdev mailing list"
            );
        }
        if self.ask(b"S").await?.is_none() {
            return Err(DriverError::config(
                "Could not retrieve status ... is this an OMNIVS model?",
            ));
        }
        let _ = state.set("ups.mfr", "Tripp Lite");

        let p = self.ask(b"P").await?.unwrap_or_default();
        let mut va = dec2d(&p[1..]);
        if self.model == Model::Smart0004 {
            let _ = state.set("ups.debug.P", &hexascdump(&p[1..]));
            va = va.wrapping_mul(10);
        }
        let info = self.known.clone().unwrap_or_default();
        let model = model_name(
            info.vendor.as_deref(),
            info.product.as_deref().unwrap_or(""),
        );
        let _ = state.set("ups.model", &model);
        let _ = state.set("ups.power.nominal", &va.to_string());

        let f = self.ask(b"F").await?.unwrap_or_default();
        let firmware: String = f[1..7].iter().map(|&b| toprint(b)).collect();
        let _ = state.set("ups.firmware", &format!("F{firmware}"));

        let v = self.ask(b"V").await?.unwrap_or_default();
        for note in self.config.decode_v(self.model, &v) {
            tracing::info!("{note}");
        }
        tracing::debug!("Switchable load banks: {}", self.config.load_banks);
        self.debug_message(state, b'V').await?;

        let banks = self.config.load_banks;
        if banks > 0 {
            for i in 1..=banks.saturating_add(1) {
                let _ = state.set(&format!("outlet.{i}.id"), &i.to_string());
                let _ = state.set(&format!("outlet.{i}.desc"), &format!("Load {i}"));
                let switchable = format!("outlet.{i}.switchable");
                if i <= banks {
                    let _ = state.set(&switchable, "1");
                    let switch = format!("outlet.{i}.switch");
                    let _ = state.set(&switch, "1");
                    state.set_flags(&switch, true, true, false);
                    state.set_aux(&switch, 3);
                } else {
                    let _ = state.set(&switchable, "0");
                }
            }
            let _ = state.add_cmd("load.on");
            let _ = state.add_cmd("load.off");
        }

        if self.model != Model::Omnivs && self.model != Model::Smart0004 {
            match self.ask(b"U").await? {
                None => tracing::info!("Unit ID not retrieved (not available on all models)"),
                Some(u) => self.unit_id = Some(i64::from(u16::from_be_bytes([u[1], u[2]]))),
            }
        }
        if let Some(id) = self.unit_id {
            let _ = state.set("ups.id", &id.to_string());
            state.set_flags("ups.id", true, true, false);
            state.set_aux("ups.id", 5);
            tracing::debug!("Unit ID: {id}");
        }

        let c = self.config;
        let _ = state.set("input.voltage.nominal", &c.input_nominal.to_string());
        let _ = state.set("battery.voltage.nominal", &c.battery_nominal.to_string());
        let _ = state.set("ups.debug.load_banks", &c.load_banks.to_string());
        let _ = state.set("ups.delay.shutdown", &self.offdelay.to_string());
        state.set_flags("ups.delay.shutdown", true, true, false);
        state.set_aux("ups.delay.shutdown", 3);
        if self.model.is_smart() {
            let _ = state.add_cmd("test.battery.start");
            let _ = state.add_cmd("reset.input.minmax");
        }
        let _ = state.add_cmd("shutdown.return");
        println!(
            "Attached to {} {}",
            state.value("ups.mfr").unwrap_or("(null)"),
            state.value("ups.model").unwrap_or("(null)")
        );
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let model = self.model;
        let scaled = self.config.input_scaled;
        let mut stale = false;

        let s = self.must(b"S", "Error reading S value").await?;
        if !model.is_omnivs() {
            let _ = state.set("ups.debug.S", &hexascdump(&s[1..]));
        }
        let status = decode_status(model, &s);
        if let Some(text) = status.test_status {
            let _ = state.set("battery.test.status", text);
        }
        for note in &status.unknown {
            tracing::error!("{note}");
            stale = true;
        }
        let mut builder = StatusBuilder::new();
        for word in &status.words {
            builder.set(word);
        }
        builder.commit_status(state);

        let mut block = 0.0;
        if model.is_omnivs() {
            let b = self.must(b"B", "Error reading B value").await?;
            let volts = hex2d(&b[1..], 4) as f64 / 3600.0 * scaled as f64;
            let _ = state.set("input.voltage", &fixed(volts, 2));
            block = hex2d(&b[5..], 2) as f64 / 16.0;
            let _ = state.set("battery.voltage", &fixed(block, 2));
        }

        if model.is_smart() {
            let d = self.must(b"D", "Error reading D value").await?;
            let input = hex_or_bin2d(model, &d[1..], 2).wrapping_mul(scaled) / 120;
            let _ = state.set("input.voltage", &input.to_string());
            block = hex_or_bin2d(model, &d[3..], 2) as f64 / 10.0;
            let battery = block * self.config.battery_nominal as f64 / 12.0;
            let _ = state.set("battery.voltage", &fixed(battery, 2));

            let m = self
                .must(b"M", "Error reading M (min/max input voltage)")
                .await?;
            if m[5] != b'\r' {
                let _ = state.set("ups.debug.M", &hexascdump(&m[1..]));
            }
            let low = hex_or_bin2d(model, &m[1..], 2).wrapping_mul(scaled) / 120;
            let high = hex_or_bin2d(model, &m[3..], 2).wrapping_mul(scaled) / 120;
            let _ = state.set("input.voltage.minimum", &format!("{low:3}"));
            let _ = state.set("input.voltage.maximum", &format!("{high:3}"));

            let t = self.must(b"T", "Error reading T value").await?;
            let _ = state.set("ups.debug.T", &hexascdump(&t[1..]));
            match model {
                Model::SmartPro => {
                    let freq = hex2d(&t[3..], 3) as f64 / 10.0;
                    let _ = state.set("input.frequency", &fixed(freq, 1));
                    match t[6] {
                        b'1' => {
                            let _ = state.set("input.frequency.nominal", "60");
                        }
                        b'0' => {
                            let _ = state.set("input.frequency.nominal", "50");
                        }
                        _ => {}
                    }
                }
                Model::Smart0004 => {
                    let freq = hex2d(&t[3..], 4) as f64 / 10.0;
                    let _ = state.set("input.frequency", &fixed(freq, 1));
                }
                _ => {}
            }
            if model == Model::Smart3005 {
                // C prints an unsigned int with %d.
                let temp = hex2d(&t[1..], 1) as u32 as i32;
                let _ = state.set("ups.temperature", &temp.to_string());
            } else {
                let raw = hex2d(&t[1..], 2) as u32;
                let _ = state.set("ups.temperature", &fixed(f64::from(raw) * 0.3636 - 21.0, 1));
            }
        }

        if model != Model::Unknown {
            let charge = battery_charge(block, self.volts.0, self.volts.1);
            let _ = state.set("battery.charge", &format!("{charge:3}"));
        }

        let l = self.must(b"L", "Error reading L value").await?;
        match model {
            Model::Omnivs | Model::Omnivs2001 => {
                let volts = hex2d(&l[1..], 4) as f64 / 240.0 * scaled as f64;
                let _ = state.set("output.voltage", &fixed(volts, 1));
            }
            Model::SmartPro => {
                let _ = state.set("ups.load", &hex2d(&l[1..], 2).to_string());
            }
            Model::Smart3005 => {
                let _ = state.set("ups.load", &hex_or_bin2d(model, &l[1..], 1).to_string());
            }
            Model::Smart0004 => {
                let _ = state.set("ups.load", &hex2d(&l[1..], 2).to_string());
                let _ = state.set("ups.debug.L", &hexascdump(&l[1..]));
            }
            Model::Unknown => {
                let _ = state.set("ups.debug.L", &hexascdump(&l[1..]));
            }
        }

        if !model.is_omnivs() {
            self.debug_message(state, b'D').await?;
            if model != Model::SmartPro {
                for letter in [b'V', b'M', b'T', b'P'] {
                    self.debug_message(state, letter).await?;
                }
            }
        }
        if stale {
            // C marks the data stale for a value it does not know, then fresh again at the
            // end of the same poll: nothing to do.
            tracing::debug!("unknown values in the status reply");
        }
        state.set_data_ok(true);
        Ok(())
    }

    async fn instcmd(
        &mut self,
        _state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        let result = async {
            if self.model.is_smart() {
                if cmd.eq_ignore_ascii_case("test.battery.start") {
                    let _ = self.ask(b"A").await?;
                    return Ok(TrackingStatus::Handled);
                }
                if cmd.eq_ignore_ascii_case("reset.input.minmax") {
                    return Ok(match self.ask(b"Z").await? {
                        Some(_) => TrackingStatus::Handled,
                        None => TrackingStatus::Unknown,
                    });
                }
            }
            let handled = |ok: bool| {
                if ok {
                    TrackingStatus::Handled
                } else {
                    TrackingStatus::Unknown
                }
            };
            if cmd.eq_ignore_ascii_case("load.off") {
                return Ok(handled(self.control_outlet(0, false).await?));
            }
            if cmd.eq_ignore_ascii_case("load.on") {
                return Ok(handled(self.control_outlet(0, true).await?));
            }
            if cmd.eq_ignore_ascii_case("shutdown.return") {
                let _ = self.soft_shutdown().await?;
                return Ok(TrackingStatus::Handled);
            }
            tracing::info!(
                "instcmd: unknown command [{cmd}] [{}]",
                param.unwrap_or("(null)")
            );
            Ok::<_, DriverError>(TrackingStatus::Unknown)
        }
        .await;
        result.unwrap_or_else(|e| {
            tracing::warn!("instcmd {cmd}: {e}");
            self.transport = None;
            TrackingStatus::Failed
        })
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        if var.eq_ignore_ascii_case("ups.delay.shutdown") {
            let n = atoi(value);
            return match u32::try_from(n) {
                Ok(n) => {
                    self.offdelay = n;
                    let _ = state.set("ups.delay.shutdown", &n.to_string());
                    TrackingStatus::Handled
                }
                Err(_) => {
                    tracing::info!("FAILED to set '{var}' to {n}");
                    TrackingStatus::Unknown
                }
            };
        }
        if self.unit_id.is_some() && var.eq_ignore_ascii_case("ups.id") {
            // C keeps the low 16 bits of atoi's value.
            let [hi, lo] = ((atoi(value) & 0xffff) as u16).to_be_bytes();
            return match self.ask(&[b'J', hi, lo]).await {
                Ok(Some(_)) => {
                    let _ = state.set("ups.id", value);
                    TrackingStatus::Handled
                }
                Ok(None) | Err(_) => {
                    tracing::info!("Could not set Unit ID.");
                    TrackingStatus::Unknown
                }
            };
        }
        if let Some(rest) = var.strip_prefix("outlet.") {
            let Some((index, tail)) = rest.split_once('.') else {
                tracing::info!("FAILED to get outlet index from '{var}' (no second dot)");
                return TrackingStatus::Unknown;
            };
            if index.len() > 9 || tail != "switch" {
                return TrackingStatus::Unknown;
            }
            let index = atoi(index);
            let on = value.eq_ignore_ascii_case("on") || value == "1";
            tracing::debug!("outlet.{index}.switch = {value} -> {}", u8::from(on));
            return match self.control_outlet(index, on).await {
                Ok(true) => {
                    let _ = state.set(&format!("outlet.{index}.switch"), &u8::from(on).to_string());
                    TrackingStatus::Handled
                }
                Ok(false) => TrackingStatus::Unknown,
                Err(e) => {
                    tracing::warn!("set {var}: {e}");
                    self.transport = None;
                    TrackingStatus::Failed
                }
            };
        }
        TrackingStatus::Unknown
    }

    async fn shutdown(&mut self, _state: &mut DeviceState) -> Result<(), DriverError> {
        if self.soft_shutdown().await? {
            Ok(())
        } else {
            Err(DriverError::device("Shutdown failed!"))
        }
    }

    async fn close(&mut self) {
        self.transport = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_as_glibc() {
        assert_eq!(atoi("30"), 30);
        assert_eq!(atoi(" -5x"), -5);
        assert_eq!(atoi("99999999999"), 1_215_752_191);
        assert_eq!(atoi("99999999999999999999"), -1);
        assert_eq!(atoi("x"), 0);
    }

    #[test]
    fn model_names_as_c_trims_them() {
        assert_eq!(
            model_name(Some("Tripp Lite"), "Tripp Lite SMART1000LCD "),
            "SMART1000LCD"
        );
        assert_eq!(
            model_name(Some("TRIPP LITE"), "Tripp Lite UPS"),
            "Tripp Lite UPS"
        );
        assert_eq!(model_name(None, "   "), "");
        assert_eq!(model_name(Some(""), " A B  "), "A B");
    }
}
