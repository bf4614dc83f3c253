//! Battery charge and runtime "guesstimation" for devices that report only the battery
//! voltage (C nutdrv_qx's `qx_initbattery`, `qx_battery`, `qx_load` and the end of
//! `qx_ups_walk`).
//!
//! - The charge is `(V - low) / (high - low)`, clamped to 0..100, with `low`/`high` from
//!   `battery.voltage.low`/`.high` (the device or `default.*` settings), else guessed from
//!   the nominal voltage as 104/120 and 130/120 of it. The voltage is first multiplied by
//!   the number of battery packs (`battery.packs`, else guessed from nominal/actual).
//! - With `runtimecal = rh,lh,rl,ll` (runtime `rh` s at load `lh` %, `rl` s at `ll` %), the
//!   runtime follows a load model: it drains with `(load/100)^exp` (at least `idleload`)
//!   while on battery, recharges over `chargetime` seconds on line, and is capped by what
//!   the voltage says for aged batteries; the charge is then derived from the runtime.

use nut_driver_api::{DeviceState, DriverError};
use tokio::time::Instant;

use super::item::{c_strtod, is_c_numeric, printf_float};

/// The battery pack counts tried, highest first: the battery voltage returns to at least
/// nominal after a discharge, so of the overlapping counts the highest that fits wins.
pub const PACKS: [f64; 17] = [
    120.0, 100.0, 80.0, 60.0, 48.0, 36.0, 30.0, 24.0, 18.0, 12.0, 8.0, 6.0, 4.0, 3.0, 2.0, 1.0, 0.5,
];

/// Reads `runtimecal` (`runtime_high,load_high,runtime_low,load_low`: seconds on battery at
/// two loads in percent; C's `sscanf("%lf,%lf,%lf,%lf")`, more fields ignored) into the load
/// exponent and the nominal runtime at full load.
pub fn runtime_calibration(cal: &str) -> Result<(f64, f64), DriverError> {
    let parts: Vec<f64> = cal
        .split(',')
        .map_while(|p| p.trim().parse::<f64>().ok())
        .collect();
    let [rh, lh, rl, ll, ..] = parts[..] else {
        return Err(DriverError::config(
            "Insufficient parameters for runtimecal",
        ));
    };
    if rl < rh || rh <= 0.0 {
        return Err(DriverError::config("Parameter out of range (runtime)"));
    }
    if lh > 100.0 || ll > lh || ll <= 0.0 {
        return Err(DriverError::config("Parameter out of range (load)"));
    }
    let exponent = (rl / rh).ln() / (lh / ll).ln();
    Ok((exponent, rh * (lh / 100.0).powf(exponent)))
}

/// The options the estimation reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatteryOptions {
    /// `runtimecal`: `rh,lh,rl,ll`.
    pub runtimecal: Option<String>,
    /// `chargetime`: seconds from empty to full.
    pub chargetime: Option<String>,
    /// `idleload`: the smallest load (percent) used for the runtime.
    pub idleload: Option<String>,
}

/// The estimation state. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Battery {
    packs: f64,
    runt_act: f64,
    runt_nom: f64,
    runt_est: f64,
    runt_exp: f64,
    volt_act: f64,
    volt_high: f64,
    volt_nom: f64,
    volt_low: f64,
    chrg_act: f64,
    chrg_time: i64,
    load_low: f64,
    load_eff: f64,
    runtimecal: bool,
    epoch: Instant,
    last_poll: u64,
}

impl Default for Battery {
    fn default() -> Self {
        Self {
            packs: 1.0,
            runt_act: -1.0,
            runt_nom: -1.0,
            runt_est: 0.0,
            runt_exp: 0.0,
            volt_act: -1.0,
            volt_high: -1.0,
            volt_nom: -1.0,
            volt_low: -1.0,
            chrg_act: -1.0,
            chrg_time: 43200,
            load_low: 0.1,
            load_eff: 1.0,
            runtimecal: false,
            epoch: Instant::now(),
            last_poll: 0,
        }
    }
}

fn num(state: &DeviceState, var: &str) -> Option<f64> {
    state.value(var).map(c_strtod)
}

fn set(state: &mut DeviceState, var: &str, value: &str) {
    let _ = state.set(var, value);
}

impl Battery {
    /// A fresh estimation (nothing known).
    pub fn new() -> Self {
        Self::default()
    }

    /// The battery pack multiplier in use.
    pub fn packs(&self) -> f64 {
        self.packs
    }

    fn now_secs(&self) -> u64 {
        Instant::now()
            .saturating_duration_since(self.epoch)
            .as_secs()
    }

    /// Fills the actual voltage and, when the device gave no charge this poll, estimates it
    /// from the voltage (C's `qx_battery`). False when there is no `battery.voltage`.
    pub fn from_voltage(&mut self, state: &mut DeviceState) -> bool {
        let Some(v) = num(state, "battery.voltage") else {
            return false;
        };
        self.volt_act = self.packs * v;
        if self.chrg_act == -1.0 && self.volt_low > 0.0 && self.volt_high > self.volt_low {
            let c = 100.0 * (self.volt_act - self.volt_low) / (self.volt_high - self.volt_low);
            self.chrg_act = c.clamp(0.0, 100.0);
            set(
                state,
                "battery.charge",
                &printf_float("%.0f", self.chrg_act),
            );
        }
        true
    }

    fn load(&mut self, state: &DeviceState) -> bool {
        let Some(l) = num(state, "ups.load") else {
            return false;
        };
        self.load_eff = (l / 100.0).powf(self.runt_exp).max(self.load_low);
        true
    }

    /// Called before each full poll: forget what the device reported last time.
    pub fn start_full_update(&mut self) {
        self.runt_act = -1.0;
        self.chrg_act = -1.0;
    }

    /// Records a `battery.charge` or `battery.runtime` the device reported itself.
    pub fn observe(&mut self, var: &str, value: &str) {
        let n = nut_driver_api::status::c_strtol(value) as f64;
        if var.eq_ignore_ascii_case("battery.charge") {
            self.chrg_act = n;
        } else if var.eq_ignore_ascii_case("battery.runtime") {
            self.runt_act = n;
        }
    }

    /// Sets everything up after the first poll (C's `qx_initbattery`). Errors are C's
    /// fatal errors: bad `runtimecal`/`chargetime`/`idleload` values.
    pub fn init(
        &mut self,
        state: &mut DeviceState,
        opts: &BatteryOptions,
    ) -> Result<(), DriverError> {
        if state.get("battery.charge").is_some() && state.get("battery.runtime").is_some() {
            return Ok(());
        }
        if let Some(v) = num(state, "battery.voltage.high") {
            self.volt_high = v;
        }
        if let Some(v) = num(state, "battery.voltage.low") {
            self.volt_low = v;
        }
        if let Some(v) = num(state, "battery.voltage.nominal") {
            self.volt_nom = v;
        }
        if self.volt_nom != -1.0 && (self.volt_low == -1.0 || self.volt_high == -1.0) {
            tracing::info!("No values for battery high/low voltages");
            self.volt_low = 104.0 * self.volt_nom / 120.0;
            self.volt_high = 130.0 * self.volt_nom / 120.0;
            set(
                state,
                "battery.voltage.low",
                &printf_float("%.2f", self.volt_low),
            );
            set(
                state,
                "battery.voltage.high",
                &printf_float("%.2f", self.volt_high),
            );
            tracing::info!(
                low = self.volt_low,
                high = self.volt_high,
                "Using 'guesstimation'"
            );
        }
        match state.value("battery.packs").filter(|v| is_c_numeric(v)) {
            Some(v) => self.packs = c_strtod(v),
            None => {
                if self.from_voltage(state) && self.volt_nom != -1.0 {
                    self.guess_packs();
                } else {
                    tracing::info!("Can't autodetect number of battery packs");
                }
            }
        }
        self.from_voltage(state);

        let Some(cal) = opts.runtimecal.as_deref() else {
            tracing::info!("Battery runtime will not be calculated (runtimecal not set)");
            return Ok(());
        };
        self.runtimecal = true;
        self.last_poll = self.now_secs();
        (self.runt_exp, self.runt_nom) = runtime_calibration(cal)?;

        if state.get("battery.charge").is_none() && self.volt_nom != -1.0 {
            self.volt_low = self.volt_nom;
            self.volt_high = 1.15 * self.volt_nom;
            if !self.from_voltage(state) {
                return Err(DriverError::config("Initial battery charge undetermined"));
            }
        }
        let Some(charge) = num(state, "battery.charge") else {
            return Err(DriverError::config("Initial battery charge undetermined"));
        };
        self.runt_est = self.runt_nom * charge / 100.0;
        if let Some(t) = opts.chargetime.as_deref() {
            self.chrg_time = nut_driver_api::status::c_strtol(t);
            if self.chrg_time <= 0 {
                return Err(DriverError::config("Charge time out of range [1..s]"));
            }
        }
        if let Some(l) = opts.idleload.as_deref() {
            self.load_low = c_strtod(l) / 100.0;
            if self.load_low <= 0.0 || self.load_low > 1.0 {
                return Err(DriverError::config("Idle load out of range [0..100]"));
            }
        }
        Ok(())
    }

    /// The battery voltage returns to at least nominal after a discharge, so of the
    /// overlapping pack counts the highest that fits wins.
    fn guess_packs(&mut self) {
        for p in PACKS {
            if p * self.volt_act > 1.2 * self.volt_nom {
                continue;
            }
            if p * self.volt_act < 0.8 * self.volt_nom {
                tracing::info!("Can't autodetect number of battery packs");
                break;
            }
            self.packs = p;
            break;
        }
    }

    /// After a full poll: updates the estimated charge and runtime when the device did not
    /// report them. `online` says whether `OL` is set.
    pub fn finish_full_update(&mut self, state: &mut DeviceState, online: bool) {
        if self.runt_act != -1.0 && self.chrg_act != -1.0 {
            return;
        }
        if !self.runtimecal {
            self.from_voltage(state);
            return;
        }
        let now = self.now_secs();
        let elapsed = now.saturating_sub(self.last_poll) as f64;
        if online {
            self.runt_est += self.runt_nom * elapsed / self.chrg_time as f64;
            self.runt_est = self.runt_est.min(self.runt_nom);
        } else {
            self.runt_est -= self.load_eff * elapsed;
            self.runt_est = self.runt_est.max(0.0);
        }
        if let Some(v) = num(state, "battery.voltage") {
            self.volt_act = self.packs * v;
            if self.volt_act > 0.0 && self.volt_low > 0.0 && self.volt_high > self.volt_low {
                let by_voltage = ((self.volt_act - self.volt_low)
                    / (self.volt_high - self.volt_low))
                    .clamp(0.0, 1.0);
                if by_voltage < self.runt_est / self.runt_nom {
                    self.runt_est = by_voltage * self.runt_nom;
                }
            }
        }
        if self.chrg_act == -1.0 {
            let c = 100.0 * self.runt_est / self.runt_nom;
            set(state, "battery.charge", &printf_float("%.0f", c));
        }
        if self.runt_act == -1.0 && self.load(state) {
            set(
                state,
                "battery.runtime",
                &printf_float("%.0f", self.runt_est / self.load_eff),
            );
        }
        self.last_poll = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(vars: &[(&str, &str)]) -> DeviceState {
        let mut s = DeviceState::new();
        for (k, v) in vars {
            s.set(k, v).unwrap();
        }
        s
    }

    #[tokio::test(start_paused = true)]
    async fn charge_from_voltage_with_guessed_limits() {
        let mut s = state(&[
            ("battery.voltage", "26.00"),
            ("battery.voltage.nominal", "24.0"),
        ]);
        let mut b = Battery::new();
        b.init(&mut s, &BatteryOptions::default()).unwrap();
        assert_eq!(s.value("battery.voltage.low"), Some("20.80"));
        assert_eq!(s.value("battery.voltage.high"), Some("26.00"));
        assert_eq!(b.packs(), 1.0);
        assert_eq!(s.value("battery.charge"), Some("100"));
        b.start_full_update();
        s.set("battery.voltage", "23.40").unwrap();
        b.finish_full_update(&mut s, false);
        assert_eq!(s.value("battery.charge"), Some("50"));
        assert_eq!(s.value("battery.runtime"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn packs_are_guessed_from_nominal() {
        // A 2-pack 24 V battery reported per 12 V block.
        let mut s = state(&[
            ("battery.voltage", "13.50"),
            ("battery.voltage.nominal", "24.0"),
        ]);
        let mut b = Battery::new();
        b.init(&mut s, &BatteryOptions::default()).unwrap();
        assert_eq!(b.packs(), 2.0);
        // As in C, the charge computed before the packs were known sticks until the next
        // full poll.
        assert_eq!(s.value("battery.charge"), Some("0"));
        b.start_full_update();
        b.finish_full_update(&mut s, true);
        assert_eq!(s.value("battery.charge"), Some("100"));
    }

    #[tokio::test(start_paused = true)]
    async fn runtime_model_drains_and_recharges() {
        let mut s = state(&[
            ("battery.voltage", "27.60"),
            ("battery.voltage.nominal", "24.0"),
            ("ups.load", "50"),
        ]);
        let opts = BatteryOptions {
            runtimecal: Some("240,100,720,50".into()),
            chargetime: Some("3600".into()),
            idleload: Some("10".into()),
        };
        let mut b = Battery::new();
        b.init(&mut s, &opts).unwrap();
        // exp = ln(3)/ln(2); nominal runtime at full load is 240 s.
        b.start_full_update();
        b.finish_full_update(&mut s, true);
        assert_eq!(s.value("battery.charge"), Some("100"));
        assert_eq!(s.value("battery.runtime"), Some("720"));
        tokio::time::advance(std::time::Duration::from_secs(60)).await;
        b.start_full_update();
        b.finish_full_update(&mut s, false);
        // 60 s at load 50 % drains 60 * (0.5^1.585) = 20 s of full-load runtime.
        assert_eq!(s.value("battery.charge"), Some("92"));
        assert_eq!(s.value("battery.runtime"), Some("660"));
        let bad = BatteryOptions {
            runtimecal: Some("240,100".into()),
            ..BatteryOptions::default()
        };
        let mut s2 = state(&[
            ("battery.voltage", "27.6"),
            ("battery.voltage.nominal", "24"),
        ]);
        assert!(Battery::new().init(&mut s2, &bad).is_err());
    }
}
