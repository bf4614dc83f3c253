//! What blazer's core (C's `blazer.c`) makes of the three Megatec replies, and its battery
//! model: the status line (`Q1`, `QS`, `D`) read as space-separated fields, the ratings
//! (`F`) with the battery pack count guessed from the voltages, the identification (`I`,
//! `FW?`) in fixed columns; the charge guessed from the battery voltage and, with
//! `runtimecal`, the charge and runtime estimated from the time on battery and the load.
//!
//! These differ from `nutdrv_qx`'s reading of the same replies (fixed columns there): a
//! field that is not a number is skipped here and the next one is read for the next
//! variable, as C's `strtok` loop does.

use nut_driver_api::status::StatusBuilder;
use nut_driver_api::DeviceState;

use crate::qx::battery::PACKS;
use crate::qx::item::{c_strtod, printf_float};

/// Why a reply gave nothing (C's debug messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyFault {
    /// Fewer bytes than the reply needs.
    #[error("short reply")]
    Short,
    /// Not the expected first character.
    #[error("invalid start character [{0:02x}]")]
    Leading(u8),
    /// A field is missing.
    #[error("parsing failed")]
    Parsing,
    /// The status bits are not eight `0`/`1`.
    #[error("Invalid status [{0}]")]
    Status(String),
}

/// The battery and load model of blazer (C's `batt` and `load` structures).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Battery voltage multiplier (packs in series).
    pub packs: f64,
    /// Nominal runtime at full load (seconds), -1 when unknown.
    pub runtime_nominal: f64,
    /// Estimated runtime left at full load.
    pub runtime_estimate: f64,
    /// The load exponent of the runtime calibration.
    pub runtime_exponent: f64,
    /// Actual battery voltage.
    pub volt_act: f64,
    /// Battery float voltage (the charge is 100% there).
    pub volt_high: f64,
    /// Nominal battery voltage.
    pub volt_nom: f64,
    /// Battery low voltage (the charge is 0% there).
    pub volt_low: f64,
    /// Actual battery charge, -1 when never computed.
    pub charge: f64,
    /// Recharge time from empty to full (seconds).
    pub charge_time: i64,
    /// The load the UPS reports (percent).
    pub load: f64,
    /// The idle load (fraction) the runtime estimate never goes under.
    pub load_low: f64,
    /// The effective load of the runtime estimate.
    pub load_effective: f64,
    /// Whether the last status said "on line".
    pub online: bool,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            packs: 1.0,
            runtime_nominal: -1.0,
            runtime_estimate: 0.0,
            runtime_exponent: 0.0,
            volt_act: -1.0,
            volt_high: -1.0,
            volt_nom: -1.0,
            volt_low: -1.0,
            charge: -1.0,
            charge_time: 43200,
            load: 0.0,
            load_low: 0.1,
            load_effective: 1.0,
            online: true,
        }
    }
}

/// C's `strtok_r` over a reply: fields separated by runs of delimiters.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn next(&mut self, delims: &[u8]) -> Option<&'a [u8]> {
        let start = self.rest.iter().position(|b| !delims.contains(b))?;
        let rest = &self.rest[start..];
        let end = rest
            .iter()
            .position(|b| delims.contains(b))
            .unwrap_or(rest.len());
        self.rest = rest.get(end + 1..).unwrap_or_default();
        Some(&rest[..end])
    }
}

/// The reply as the C string it is to C: up to the first NUL.
fn c_text(reply: &[u8]) -> &[u8] {
    reply.split(|&b| b == 0).next().unwrap_or_default()
}

/// Whether a field holds only digits and dots (C's `strspn(val, "0123456789.")` test).
fn numeric(field: &[u8]) -> bool {
    field.iter().all(|b| b.is_ascii_digit() || *b == b'.')
}

fn number(field: &[u8]) -> f64 {
    c_strtod(&String::from_utf8_lossy(field))
}

/// Which conversion a field of a fixed-field reply goes through.
#[derive(Clone, Copy)]
enum Conv {
    Plain,
    Load,
    Battery,
    Packs,
}

/// Checks the reply's length and first character, then walks its fields: `vars` are set in
/// turn from the numeric ones; returns the field after them (the status bits), if any.
fn walk_fields<'a>(
    model: &mut Model,
    reply: &'a [u8],
    min_len: usize,
    leading: u8,
    vars: &[(&str, &str, Conv)],
    runtimecal: bool,
    state: &mut DeviceState,
) -> Result<Option<&'a [u8]>, ReplyFault> {
    if reply.len() < min_len {
        return Err(ReplyFault::Short);
    }
    let text = c_text(reply);
    if text.first() != Some(&leading) {
        return Err(ReplyFault::Leading(text.first().copied().unwrap_or(0)));
    }
    let mut fields = Fields { rest: &text[1..] };
    let mut field = fields.next(b" ");
    for &(var, format, conv) in vars {
        let Some(val) = field else {
            return Err(ReplyFault::Parsing);
        };
        if numeric(val) {
            let x = number(val);
            let x = match conv {
                Conv::Plain => x,
                Conv::Load => model.set_load(x),
                Conv::Battery => model.battery(x, runtimecal, state),
                Conv::Packs => model.packs_from(x, state),
            };
            let _ = state.set(var, &printf_float(format, x));
        } else {
            tracing::debug!(
                "non numerical value [{}]",
                String::from_utf8_lossy(val).trim_end()
            );
        }
        field = fields.next(b" \r\n");
    }
    Ok(field)
}

impl Model {
    /// C's `blazer_load`: records the load and the effective load of the runtime estimate.
    fn set_load(&mut self, load: f64) -> f64 {
        self.load = load;
        self.load_effective = (load / 100.0).powf(self.runtime_exponent);
        if self.load_effective < self.load_low {
            self.load_effective = self.load_low;
        }
        load
    }

    /// C's `blazer_battery`: the voltage times the pack count, and the charge guessed from
    /// it (unless the runtime calibration already gives one).
    pub fn battery(&mut self, raw: f64, runtimecal: bool, state: &mut DeviceState) -> f64 {
        self.volt_act = self.packs * raw;
        let estimating = runtimecal && state.value("battery.charge").is_some();
        if !estimating && self.volt_low > 0.0 && self.volt_high > self.volt_low {
            self.charge = (100.0 * (self.volt_act - self.volt_low)
                / (self.volt_high - self.volt_low))
                .clamp(0.0, 100.0);
            let _ = state.set("battery.charge", &printf_float("%.0f", self.charge));
        }
        self.volt_act
    }

    /// C's `blazer_packs`: the nominal battery voltage (a configured one wins) and the
    /// number of packs that brings the measured voltage near it.
    fn packs_from(&mut self, raw: f64, state: &DeviceState) -> f64 {
        self.volt_nom = state.value("battery.voltage.nominal").map_or(raw, c_strtod);
        for p in PACKS {
            if p * self.volt_act > 1.2 * self.volt_nom {
                continue;
            }
            if p * self.volt_act < 0.8 * self.volt_nom {
                tracing::info!(
                    "Can't autodetect number of battery packs [{}/{}]",
                    printf_float("%.0f", self.volt_nom),
                    printf_float("%.2f", self.volt_act)
                );
                break;
            }
            self.packs = p;
            break;
        }
        self.volt_nom
    }

    /// Reads a status line (C's `blazer_status`): the measured values, then the status
    /// bits into `status` (`OL`/`OB`, `LB`, `TRIM`/`BYPASS`/`BOOST`, `CAL`, `FSD`, the
    /// alarms), `ups.beeper.status` and `ups.type`.
    ///
    /// ```text
    /// (226.0 195.0 226.0 014 49.0 27.5 30.0 00001000\r
    /// ```
    pub fn status(
        &mut self,
        reply: &[u8],
        runtimecal: bool,
        state: &mut DeviceState,
        status: &mut StatusBuilder,
    ) -> Result<(), ReplyFault> {
        const VARS: [(&str, &str, Conv); 7] = [
            ("input.voltage", "%.1f", Conv::Plain),
            ("input.voltage.fault", "%.1f", Conv::Plain),
            ("output.voltage", "%.1f", Conv::Plain),
            ("ups.load", "%.0f", Conv::Load),
            ("input.frequency", "%.1f", Conv::Plain),
            ("battery.voltage", "%.2f", Conv::Battery),
            ("ups.temperature", "%.1f", Conv::Plain),
        ];
        let bits = walk_fields(self, reply, 46, b'(', &VARS, runtimecal, state)?
            .ok_or(ReplyFault::Parsing)?;
        if bits.len() < 8 || !bits[..8].iter().all(|b| *b == b'0' || *b == b'1') {
            return Err(ReplyFault::Status(
                String::from_utf8_lossy(bits).into_owned(),
            ));
        }
        if bits.get(8).is_some_and(|b| *b == b'0' || *b == b'1') {
            // C wants exactly eight of them before anything else.
            return Err(ReplyFault::Status(
                String::from_utf8_lossy(bits).into_owned(),
            ));
        }
        let bit = |i: usize| bits[i] == b'1';
        let beeper = if bit(7) { "enabled" } else { "disabled" };
        let _ = state.set("ups.beeper.status", beeper);
        let kind = if bit(4) {
            "offline / line interactive"
        } else {
            "online"
        };
        let _ = state.set("ups.type", kind);
        *status = StatusBuilder::new();
        self.online = !bit(0);
        status.set(if self.online { "OL" } else { "OB" });
        if bit(1) {
            status.set("LB");
        }
        if bit(2) {
            let vi = state.value("input.voltage").map_or(0.0, c_strtod);
            let vo = state.value("output.voltage").map_or(0.0, c_strtod);
            if vo < 0.5 * vi {
                tracing::debug!("output voltage too low");
            } else if vo < 0.95 * vi {
                status.set("TRIM");
            } else if vo < 1.05 * vi {
                status.set("BYPASS");
            } else if vo < 1.5 * vi {
                status.set("BOOST");
            } else {
                tracing::debug!("output voltage too high");
            }
        }
        if bit(5) {
            status.set("CAL");
        }
        if bit(3) {
            status.alarm("UPS selftest failed!");
        }
        if bit(6) {
            status.alarm("Shutdown imminent!");
            status.set("FSD");
        }
        Ok(())
    }

    /// Reads the ratings (C's `blazer_rating`); the nominal battery voltage also sets the
    /// pack count.
    ///
    /// ```text
    /// #220.0 000 024.0 50.0\r
    /// ```
    pub fn rating(&mut self, reply: &[u8], state: &mut DeviceState) -> Result<(), ReplyFault> {
        const VARS: [(&str, &str, Conv); 4] = [
            ("input.voltage.nominal", "%.0f", Conv::Plain),
            ("input.current.nominal", "%.1f", Conv::Plain),
            ("battery.voltage.nominal", "%.1f", Conv::Packs),
            ("input.frequency.nominal", "%.0f", Conv::Plain),
        ];
        walk_fields(self, reply, 22, b'#', &VARS, false, state).map(|_| ())
    }
}

/// Reads the identification (C's `blazer_vendor`): manufacturer, model and firmware in
/// fixed columns, trailing spaces removed.
///
/// ```text
/// #-------------   ------     VT12046Q  \r
/// ```
pub fn vendor(reply: &[u8], state: &mut DeviceState) -> Result<(), ReplyFault> {
    if reply.len() < 39 {
        return Err(ReplyFault::Short);
    }
    let first = reply.first().copied().unwrap_or(0);
    if first != b'#' {
        return Err(ReplyFault::Leading(first));
    }
    let mut index = 1;
    for (var, len) in [("ups.mfr", 15), ("ups.model", 10), ("ups.firmware", 10)] {
        let field = reply.get(index..).unwrap_or_default();
        let field = c_text(&field[..len.min(field.len())]);
        let value = String::from_utf8_lossy(field);
        let _ = state.set(var, value.trim_end_matches(' '));
        index += len + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(model: &mut Model, reply: &[u8], state: &mut DeviceState) -> StatusBuilder {
        let mut status = StatusBuilder::new();
        model.status(reply, false, state, &mut status).unwrap();
        status
    }

    #[test]
    fn status_line_fields_and_bits() {
        let mut m = Model::default();
        let mut s = DeviceState::new();
        let st = read(
            &mut m,
            b"(215.0 195.0 230.0 014 49.0 2.27 30.0 00101000\r",
            &mut s,
        );
        assert_eq!(s.value("input.voltage"), Some("215.0"));
        assert_eq!(s.value("ups.load"), Some("14"));
        assert_eq!(s.value("battery.voltage"), Some("2.27"));
        assert_eq!(s.value("ups.type"), Some("offline / line interactive"));
        assert_eq!(s.value("ups.beeper.status"), Some("disabled"));
        // 230/215 is within 5% above: boost.
        assert_eq!(st.status_value(&s), "OL BOOST");
        assert!(s.value("battery.charge").is_none());

        let st = read(
            &mut m,
            b"(215.0 195.0 230.0 014 49.0 2.27 30.0 11010011\r",
            &mut s,
        );
        assert_eq!(st.status_value(&s), "ALARM OB LB FSD");
        assert!(!m.online);
        assert_eq!(s.value("ups.beeper.status"), Some("enabled"));
    }

    #[test]
    fn odd_fields_are_skipped_or_refused_as_c_does() {
        let mut m = Model::default();
        let mut s = DeviceState::new();
        // A non-numeric field is skipped: the next one goes to the next variable.
        read(
            &mut m,
            b"(215.0 N/A 230.0 014 49.0 2.27 30.0 00001000 \r",
            &mut s,
        );
        assert!(s.value("input.voltage.fault").is_none());
        let mut st = StatusBuilder::new();
        let short = m.status(b"(215.0 195.0\r", false, &mut s, &mut st);
        assert_eq!(short, Err(ReplyFault::Short));
        let bad = m.status(
            b"(215.0 195.0 230.0 014 49.0 2.27 30.0 0000100\r       ",
            false,
            &mut s,
            &mut st,
        );
        assert!(matches!(bad, Err(ReplyFault::Status(_))));
        let nine = m.status(
            b"(215.0 195.0 230.0 014 49.0 2.27 30.0 000010001\r",
            false,
            &mut s,
            &mut st,
        );
        assert!(matches!(nine, Err(ReplyFault::Status(_))));
        let lead = m.status(
            b"#215.0 195.0 230.0 014 49.0 2.27 30.0 00001000\r",
            false,
            &mut s,
            &mut st,
        );
        assert_eq!(lead, Err(ReplyFault::Leading(b'#')));
        let missing = m.status(&[b'('; 50], false, &mut s, &mut st);
        assert_eq!(missing, Err(ReplyFault::Parsing));
    }

    #[test]
    fn ratings_set_the_pack_count_and_the_charge_follows() {
        let mut m = Model::default();
        let mut s = DeviceState::new();
        read(
            &mut m,
            b"(230.0 195.0 230.0 014 49.0 2.27 30.0 00001000\r",
            &mut s,
        );
        m.rating(b"#230.0 000 024.0 50.0\r", &mut s).unwrap();
        assert_eq!(s.value("battery.voltage.nominal"), Some("24.0"));
        assert_eq!(s.value("input.current.nominal"), Some("0.0"));
        assert_eq!(s.value("input.frequency.nominal"), Some("50"));
        // 2.27 V per cell: twelve cells make 27.24 V, within 20% of 24 V.
        assert_eq!(m.packs, 12.0);
        m.volt_low = 104.0 * 24.0 / 120.0;
        m.volt_high = 130.0 * 24.0 / 120.0;
        read(
            &mut m,
            b"(230.0 195.0 230.0 014 49.0 2.00 30.0 00001000\r",
            &mut s,
        );
        assert_eq!(s.value("battery.voltage"), Some("24.00"));
        // (24 - 20.8) / (26 - 20.8)
        assert_eq!(s.value("battery.charge"), Some("62"));
    }

    #[test]
    fn vendor_columns() {
        let mut s = DeviceState::new();
        vendor(b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r", &mut s).unwrap();
        assert_eq!(s.value("ups.mfr"), Some("NOT_A_LIVE_UPS"));
        assert_eq!(s.value("ups.model"), Some("TESTING"));
        assert_eq!(s.value("ups.firmware"), Some("TESTING"));
        assert_eq!(vendor(b"#short\r", &mut s), Err(ReplyFault::Short));
        assert_eq!(vendor(&[b'('; 39], &mut s), Err(ReplyFault::Leading(b'(')));
    }
}
