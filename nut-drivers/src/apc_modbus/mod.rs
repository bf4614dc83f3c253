//! `apc_modbus`: APC's Smart-UPS units that speak Modbus (SMT, SMX, SRT, SCL…, nut#1261),
//! following C NUT's `apc_modbus` (0.21, after 2.8.1; not in Debian's 2.8.0).
//!
//! The driver reads APC's register map ([`registers`]): the inventory (firmware, model,
//! serial, nominal powers, outlet groups, dates, names; registers 516..636) at start-up and
//! after each reconnect, and every poll the status block (0..27: `ups.status`, alarms,
//! transfer reason, test and calibration results, outlet group states), the dynamic values
//! (128..172) and the settings (1026..1048). A read that times out is tried again
//! (`modbus_retries` times); any failure closes the link, the data goes stale and the next
//! poll reconnects and reads the inventory again, as C does.
//!
//! Transports ([`transport`]): `porttype=serial` (Modbus RTU on the line of `port`,
//! `baudrate` 9600, `parity` N, `databits` 8, `stopbits` 1), `porttype=tcp` (`port` is
//! `host[:port]` or `[v6]:port`, default port 502), and `porttype=usb` (C's default; RTU
//! in APC's vendor HID reports, [`crate::usb::modbus_hid`], matched with the USB options as
//! usbhid-ups does; sets `ups.vendorid`/`ups.productid`; a build without nut-drivers' `usb`
//! feature says so). Other options: `slaveid` (1), `response_timeout_ms` (500,
//! 2000 over TCP), `modbus_retries` (3), and the USB matching options (`vendorid`, …).
//!
//! Instant commands ([`commands`]): `load.*`, `shutdown.*` and `outlet.group.N.*` (for the
//! groups the unit has), `test.battery.start`/`stop`, `test.panel.start`,
//! `calibrate.start`/`stop`, `bypass.start`/`stop`, `beeper.mute`. Writable:
//! `battery.date`, `ups.id`, the outlet group names, `input.transfer.high`/`low`, and the
//! delays (`ups.delay.*`, `outlet.group.N.delay.*`). `-k` reads the inventory (as C's start-up
//! does before it) and sends `shutdown.default` to every outlet group the unit has.
//!
//! Where C's current source does something plainly unintended, this does what C meant:
//! C's SET refuses every variable that *is* available (a test inverted by mistake); here
//! SET refuses those that are not.

pub mod commands;
pub mod registers;
pub mod transport;

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;
use tokio_modbus::client::{Context, Reader as _, Writer as _};

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::status::StatusBuilder;
use nut_driver_api::DeviceState;

use commands::{Plan, GLOBAL_OUTLET_COMMANDS, OUTLET_SUFFIXES};
use registers::{Block, Nominals, Register};
pub use transport::{rtu_over, Link, ModbusStream, StreamOpener};

/// The program name.
pub const DRIVER_NAME: &str = "apc_modbus";
/// The description printed in the banner.
pub const DRIVER_DESCRIPTION: &str = "NUT APC Modbus driver";
/// `driver.version.internal`: the C driver version whose behaviour this follows.
pub const DRIVER_VERSION: &str = "0.21";

/// C's pause between two requests (Modbus RTU's inter-frame delay, generously).
const INTERFRAME: Duration = Duration::from_millis(35);
/// Outlet group ids and designators (MOG, SOG0..2).
const GROUPS: [(&str, &str); 4] = [
    ("MOG", "Main"),
    ("SOG0", "Group 1"),
    ("SOG1", "Group 2"),
    ("SOG2", "Group 3"),
];

/// The apc_modbus driver. See the [module documentation](self).
pub struct ApcModbus {
    usb_opener: Option<StreamOpener>,
    params: DriverParams,
    link: Option<Link>,
    ctx: Option<Context>,
    slave: u8,
    timeout: Duration,
    retries: u32,
    present: [bool; 4],
    nominals: Nominals,
    last_send: Option<Instant>,
    /// Whether the inventory (and so the outlet groups) has been read.
    inventoried: bool,
    /// The USB vendor and product ids of the unit, over USB.
    usb_ids: Option<(u16, u16)>,
}

impl std::fmt::Debug for ApcModbus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApcModbus")
            .field("link", &self.link)
            .field("open", &self.ctx.is_some())
            .field("present", &self.present)
            .finish_non_exhaustive()
    }
}

impl Default for ApcModbus {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a request failed.
#[derive(Debug)]
enum Failure {
    Timeout,
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Timeout => f.write_str("Connection timed out"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

impl ApcModbus {
    /// A driver for serial, TCP and (with the `usb` feature) USB units.
    pub fn new() -> Self {
        Self {
            usb_opener: None,
            params: DriverParams::new(""),
            link: None,
            ctx: None,
            slave: 1,
            timeout: Duration::from_millis(500),
            retries: 3,
            present: [false; 4],
            nominals: Nominals::default(),
            last_send: None,
            inventoried: false,
            usb_ids: None,
        }
    }

    /// The same driver with `porttype=usb` going through the byte streams `opener` gives
    /// instead of the USB unit (a test's in-memory unit, another transport), over
    /// [`rtu_over`].
    pub fn with_usb_opener(mut self, opener: StreamOpener) -> Self {
        self.usb_opener = Some(opener);
        self
    }

    /// The outlet groups the unit has (MOG, SOG0, SOG1, SOG2), from its inventory.
    pub fn outlet_groups(&self) -> [bool; 4] {
        self.present
    }

    async fn connect(&mut self) -> Result<(), DriverError> {
        let link = self
            .link
            .clone()
            .ok_or_else(|| DriverError::device("not configured"))?;
        let ctx = match (&link, &self.usb_opener) {
            (Link::Usb, Some(opener)) => rtu_over(opener(&self.params)?, self.slave),
            (Link::Usb, None) => self.connect_usb().await?,
            _ => transport::connect(&link, self.slave, self.timeout).await?,
        };
        self.ctx = Some(ctx);
        self.last_send = None;
        Ok(())
    }

    /// `porttype=usb`: the unit's Modbus RTU frames in its HID reports
    /// ([`crate::usb::modbus_hid`]), matched with the USB options as usbhid-ups does.
    #[cfg(feature = "usb")]
    async fn connect_usb(&mut self) -> Result<Context, DriverError> {
        use crate::usb::modbus_hid::{self, ModbusHidError};
        let mut opened = modbus_hid::open(&self.params).await.map_err(|e| match e {
            ModbusHidError::NotFound => DriverError::Transport(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                e.to_string(),
            )),
            ModbusHidError::Matcher(_) => DriverError::config(e),
            other => DriverError::device(other),
        })?;
        // What the unit sent before we came is not an answer (C's modbus_flush).
        let _ = opened.stream.discard_input().await;
        self.usb_ids = Some((opened.vendor_id(), opened.product_id()));
        Ok(rtu_over(opened.stream, self.slave))
    }

    /// `porttype=usb` in a build without USB (nut-drivers' feature `usb`).
    #[cfg(not(feature = "usb"))]
    async fn connect_usb(&mut self) -> Result<Context, DriverError> {
        Err(DriverError::config(
            "porttype=usb: this build of apc_modbus has no USB support; \
             use porttype=serial or porttype=tcp",
        ))
    }

    fn close(&mut self) {
        if self.ctx.take().is_some() {
            tracing::info!("Closing connection");
        }
    }

    /// C's inter-frame delay before a request.
    async fn pace(&mut self) {
        if let Some(last) = self.last_send {
            let due = last + INTERFRAME;
            if Instant::now() < due {
                tokio::time::sleep_until(due).await;
            }
        }
    }

    async fn read_once(&mut self, block: Block) -> Result<Vec<u16>, Failure> {
        self.pace().await;
        let timeout = self.timeout;
        let ctx = self
            .ctx
            .as_mut()
            .ok_or_else(|| Failure::Other("not connected".into()))?;
        let res =
            tokio::time::timeout(timeout, ctx.read_holding_registers(block.addr, block.len)).await;
        self.last_send = Some(Instant::now());
        match res {
            Err(_) => Err(Failure::Timeout),
            Ok(Err(e)) => Err(Failure::Other(e.to_string())),
            Ok(Ok(Err(code))) => Err(Failure::Other(format!("Modbus exception: {code}"))),
            Ok(Ok(Ok(words))) if words.len() != usize::from(block.len) => Err(Failure::Other(
                format!("short reply: {} of {} registers", words.len(), block.len),
            )),
            Ok(Ok(Ok(words))) => Ok(words),
        }
    }

    /// C's `_apc_modbus_read_registers`: retries on timeouts, closes the link on failure.
    async fn read(&mut self, block: Block) -> Option<Vec<u16>> {
        let port = self.params.port.clone();
        for _ in 0..self.retries.max(1) {
            match self.read_once(block).await {
                Ok(words) => return Some(words),
                Err(e) => {
                    tracing::error!(
                        "Read of {}:{} failed: {e} ({port})",
                        block.addr,
                        u32::from(block.addr) + u32::from(block.len)
                    );
                    if !matches!(e, Failure::Timeout) {
                        break;
                    }
                }
            }
        }
        self.close();
        None
    }

    /// Writes `words` at `addr`; closes the link on failure.
    async fn write(&mut self, addr: u16, words: &[u16]) -> Result<(), String> {
        self.pace().await;
        let timeout = self.timeout;
        let Some(ctx) = self.ctx.as_mut() else {
            return Err("not connected".into());
        };
        let res = tokio::time::timeout(timeout, ctx.write_multiple_registers(addr, words)).await;
        self.last_send = Some(Instant::now());
        let err = match res {
            Ok(Ok(Ok(()))) => return Ok(()),
            Err(_) => Failure::Timeout.to_string(),
            Ok(Err(e)) => e.to_string(),
            Ok(Ok(Err(code))) => format!("Modbus exception: {code}"),
        };
        self.close();
        Err(err)
    }

    fn unavailable(&self, var: &str) -> bool {
        var.strip_prefix("outlet.group.")
            .and_then(|r| r.split_once('.'))
            .and_then(|(n, _)| n.parse::<usize>().ok())
            .is_some_and(|n| !self.present.get(n).copied().unwrap_or(false))
    }

    /// C's `_apc_modbus_process_registers`: the variables of `map` held whole by the block
    /// `regs` read at `offset`.
    fn process(&mut self, state: &mut DeviceState, map: &[Register], regs: &[u16], offset: u16) {
        for (r, words) in registers::in_block(map, regs, offset) {
            if self.unavailable(r.var) {
                continue;
            }
            let value = registers::value(r, words, &mut self.nominals);
            if let Err(e) = state.set(r.var, &value) {
                tracing::error!(
                    "Failed to convert register {}:{}: {e}",
                    r.addr,
                    r.addr + r.len
                );
                continue;
            }
            let string = r.kind == registers::Kind::Str;
            state.set_flags(r.var, r.writable, string, false);
            if string {
                state.set_aux(r.var, i64::from(r.len) * 2);
            }
        }
    }

    /// C's `_apc_modbus_read_inventory`: the outlet groups and their commands, and the
    /// inventory variables. Whether the unit answered.
    async fn read_inventory(&mut self, state: &mut DeviceState) -> bool {
        let block = registers::INVENTORY_BLOCK;
        let Some(regs) = self.read(block).await else {
            return false;
        };
        let config = regs[usize::from(registers::SOG_RELAY_CONFIG - block.addr)];
        let mut count = 0;
        for (i, (id, designator)) in GROUPS.iter().enumerate() {
            self.present[i] = config & (1 << i) != 0;
            if self.present[i] {
                count += 1;
                let _ = state.set(&format!("outlet.group.{i}.id"), id);
                let _ = state.set(&format!("outlet.group.{i}.designator"), designator);
                for suffix in OUTLET_SUFFIXES {
                    let _ = state.add_cmd(&format!("outlet.group.{i}.{suffix}"));
                }
            }
        }
        if count > 0 {
            for cmd in GLOBAL_OUTLET_COMMANDS {
                let _ = state.add_cmd(cmd);
            }
        }
        if config & (1 << 4) != 0 {
            tracing::warn!("SOG3 present, but we don't know how to use it");
        }
        let _ = state.set("outlet.group.count", &count.to_string());
        self.process(state, &registers::INVENTORY, &regs, block.addr);
        self.inventoried = true;
        true
    }

    /// C's `_apc_modbus_reopen`: connect, let the unit settle, read the inventory again.
    async fn reopen(&mut self, state: &mut DeviceState) -> bool {
        if let Err(e) = self.connect().await {
            tracing::error!("Unable to connect Modbus: {e}");
            return false;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.read_inventory(state).await
    }

    async fn run_instcmd(&mut self, cmd: &str) -> CommandResult {
        match commands::plan(cmd, self.present) {
            Plan::Unknown => {
                tracing::info!("instcmd: unknown command [{cmd}]");
                TrackingStatus::Unknown
            }
            Plan::Invalid(why) => {
                tracing::warn!("instcmd: [{cmd}]: {why}");
                TrackingStatus::Invalid
            }
            Plan::Write { addr, words } => {
                tracing::info!("instcmd: [{cmd}]: writing {words:04x?} at {addr}");
                match self.write(addr, &words).await {
                    Ok(()) => TrackingStatus::Handled,
                    Err(e) => {
                        tracing::error!(
                            "instcmd: [{cmd}]: Write of {addr}:{} failed: {e} ({})",
                            usize::from(addr) + words.len(),
                            self.params.port
                        );
                        TrackingStatus::Failed
                    }
                }
            }
        }
    }

    async fn run_setvar(
        &mut self,
        state: &mut DeviceState,
        var: &str,
        value: &str,
    ) -> CommandResult {
        tracing::debug!("setvar: [{var}] to [{value}]");
        let Some(r) = registers::all().find(|r| r.var.eq_ignore_ascii_case(var)) else {
            tracing::info!("setvar: unknown variable [{var}]");
            return TrackingStatus::Unknown;
        };
        if self.unavailable(r.var) {
            tracing::warn!("setvar: [{var}] is not available");
            return TrackingStatus::Invalid;
        }
        let words = match registers::encode(r, value) {
            Ok(w) => w,
            Err(registers::EncodeError::ReadOnly) => {
                tracing::warn!("setvar: [{var}] is not writable");
                return TrackingStatus::Invalid;
            }
            Err(registers::EncodeError::Conversion) => {
                tracing::warn!("setvar: [{var}] failed to convert value [{value}]");
                return TrackingStatus::ConversionFailed;
            }
        };
        if let Err(e) = self.write(r.addr, &words).await {
            tracing::error!(
                "setvar: Write of {}:{} failed: {e} ({})",
                r.addr,
                r.addr + r.len - 1,
                self.params.port
            );
            return TrackingStatus::Failed;
        }
        // C waits before reading back: units seem to need it.
        tokio::time::sleep(Duration::from_millis(100)).await;
        tracing::info!("SET {var}='{value}'");
        let block = Block {
            addr: r.addr,
            len: r.len,
        };
        if let Some(regs) = self.read(block).await {
            let map: &[Register] = if registers::INVENTORY.contains(r) {
                &registers::INVENTORY
            } else {
                &registers::STATIC
            };
            self.process(state, map, &regs, r.addr);
        }
        TrackingStatus::Handled
    }
}

fn positive(params: &DriverParams, name: &str) -> Result<Option<i64>, DriverError> {
    match params.get(name) {
        None => Ok(None),
        Some(v) => match registers::parse_c_integer(v).and_then(|n| i64::try_from(n).ok()) {
            Some(n) => Ok(Some(n)),
            None => Err(DriverError::config(format!("invalid {name} value {v:?}"))),
        },
    }
}

#[async_trait]
impl Driver for ApcModbus {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION).experimental()
    }

    fn options(&self) -> Vec<OptionSpec> {
        let mut o = vec![
            OptionSpec::value(
                "porttype",
                "Modbus port type (serial, tcp, usb, default=usb)",
            ),
            OptionSpec::value("slaveid", "Modbus slave id (default=1)"),
            OptionSpec::value(
                "response_timeout_ms",
                "Modbus response timeout in milliseconds (default=500, 2000 for TCP)",
            ),
            OptionSpec::value(
                "modbus_retries",
                "Number of retries for Modbus register reads on timeout errors (default=3)",
            ),
            OptionSpec::value(
                "baudrate",
                "Modbus serial RTU communication speed in baud (default=9600)",
            ),
            OptionSpec::value(
                "parity",
                "Modbus serial RTU parity (N=none, E=even, O=odd, default=N)",
            ),
            OptionSpec::value("databits", "Modbus serial RTU data bit count (default=8)"),
            OptionSpec::value("stopbits", "Modbus serial RTU stop bit count (default=1)"),
        ];
        // C's USB matching options (nut_usb_addvars), used by porttype=usb.
        for (name, help) in [
            (
                "vendorid",
                "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)",
            ),
            (
                "productid",
                "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)",
            ),
            (
                "vendor",
                "Regular expression to match UPS Manufacturer string",
            ),
            ("product", "Regular expression to match UPS Product string"),
            ("serial", "Regular expression to match UPS Serial number"),
            ("bus", "Regular expression to match USB bus name"),
            ("device", "Regular expression to match USB device name"),
            ("busport", "Regular expression to match USB bus port name"),
        ] {
            o.push(OptionSpec::value(name, help));
        }
        o
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        _state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        self.params = params.clone();
        let link = transport::link(params)?;
        let slave = positive(params, "slaveid")?.unwrap_or(1);
        self.slave = u8::try_from(slave)
            .ok()
            .filter(|s| *s <= 247)
            .ok_or_else(|| {
                DriverError::config(format!("modbus_set_slave: invalid slave id {slave}"))
            })?;
        let default_ms = if link.is_tcp() { 2000 } else { 500 };
        let ms = positive(params, "response_timeout_ms")?.unwrap_or(default_ms);
        let ms = u64::try_from(ms)
            .map_err(|_| DriverError::config(format!("invalid response_timeout_ms value {ms}")))?;
        if ms < 100 {
            tracing::warn!(
                "response_timeout_ms value {ms} ms is very low and may cause communication problems; consider increasing it"
            );
        }
        self.timeout = Duration::from_millis(ms.max(1));
        if let Some(r) = positive(params, "modbus_retries")? {
            if r < 1 {
                return Err(DriverError::config("modbus_retries needs to be at least 1"));
            }
            self.retries = u32::try_from(r).unwrap_or(u32::MAX);
        }
        self.link = Some(link);
        if let Err(e) = self.connect().await {
            return Err(match e {
                DriverError::Transport(io) => DriverError::Transport(std::io::Error::new(
                    io.kind(),
                    format!("modbus_connect: unable to connect: {io}"),
                )),
                other => other,
            });
        }
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        if !self.read_inventory(state).await {
            return Err(DriverError::device(
                "Can't read inventory information from the UPS",
            ));
        }
        let _ = state.set("ups.mfr", "American Power Conversion");
        let _ = state.set("device.type", "ups");
        if let Some((vendor, product)) = self.usb_ids {
            let _ = state.set("ups.vendorid", &format!("{vendor:04x}"));
            let _ = state.set("ups.productid", &format!("{product:04x}"));
        }
        for c in commands::COMMANDS {
            let _ = state.add_cmd(c.name);
        }
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        if self.ctx.is_none() {
            if !self.reopen(state).await {
                tracing::debug!("Failed to reopen modbus");
                return Err(DriverError::device("Failed to reopen modbus"));
            }
            tracing::info!("Opened modbus successfully");
        }
        let lost =
            || DriverError::device("lost the connection to the UPS; reconnecting on the next poll");
        let Some(status) = self.read(registers::STATUS_BLOCK).await else {
            return Err(lost());
        };
        let bits = registers::status_bits(&status, self.present);
        let mut builder = StatusBuilder::new();
        for w in &bits.words {
            builder.set(w);
        }
        for a in &bits.alarms {
            builder.alarm(a);
        }
        for (i, on) in bits.outlets.iter().enumerate() {
            if let Some(on) = on {
                let _ = state.set(
                    &format!("outlet.group.{i}.status"),
                    if *on { "on" } else { "off" },
                );
            }
        }
        self.process(state, &registers::STATUS, &status, 0);
        let Some(dynamic) = self.read(registers::DYNAMIC_BLOCK).await else {
            return Err(lost());
        };
        for w in registers::input_words(&dynamic) {
            builder.set(w);
        }
        self.process(
            state,
            &registers::DYNAMIC,
            &dynamic,
            registers::DYNAMIC_BLOCK.addr,
        );
        let Some(settings) = self.read(registers::STATIC_BLOCK).await else {
            return Err(lost());
        };
        self.process(
            state,
            &registers::STATIC,
            &settings,
            registers::STATIC_BLOCK.addr,
        );
        builder.commit(state);
        if bits.buzzwords.is_empty() {
            state.delete("experimental.ups.mode.buzzwords");
        } else {
            let _ = state.set("experimental.ups.mode.buzzwords", &bits.buzzwords.join(" "));
        }
        Ok(())
    }

    async fn instcmd(
        &mut self,
        _state: &mut DeviceState,
        cmd: &str,
        _param: Option<&str>,
    ) -> CommandResult {
        self.run_instcmd(cmd).await
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        self.run_setvar(state, var, value).await
    }

    async fn shutdown(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        // C reads the inventory (initinfo) before `-k`: the command targets the outlet
        // groups the unit has.
        if !self.inventoried && !self.read_inventory(state).await {
            return Err(DriverError::device(
                "Can't read inventory information from the UPS",
            ));
        }
        match self.run_instcmd("shutdown.default").await {
            TrackingStatus::Handled => Ok(()),
            other => Err(DriverError::device(format!(
                "shutdown.default command not handled: {other:?}"
            ))),
        }
    }

    async fn close(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests;
