//! The Eaton/MGE conversions: values that depend on the model type, the country, the
//! Advanced Battery Monitoring mode or the output state, which the subdriver keeps in the
//! scratch values between lines (the device clock is in the `clock` module).

use super::super::table::{ConvContext, Lookup};

/// Scratch key: the model type (see the `TYPE_*` constants).
pub(super) const TYPE: &str = "mge.type";
/// Scratch key: the country code the device reports.
pub(super) const COUNTRY: &str = "mge.country";
/// Scratch key: whether Advanced Battery Monitoring is on (-1 unknown, 0 off, 1 on).
pub(super) const ABM: &str = "mge.abm";
/// Scratch key: the first nominal output voltage read (LV or HV model).
pub(super) const NOMINAL: &str = "mge.nominal";
/// Scratch key: whether the output is off (1) by the last `PresentStatus.Good` read.
pub(super) const OUTPUT_OFF: &str = "mge.off";
/// Scratch key: set once `ups.model` was refined from the device.
pub(super) const MODEL_SET: &str = "mge.model";

/// Offline models (the default for those in the model list).
pub(super) const TYPE_OFFLINE: i64 = 0;
/// Protection Station and Ellipse ECO (eco control, outlet threshold).
pub(super) const TYPE_PEGASUS: i64 = 0x100;
/// The 3S series.
pub(super) const TYPE_3S: i64 = 0x110;
/// Line-interactive and online models (the default).
pub(super) const TYPE_DEFAULT: i64 = 0x200;
/// The newer Evolution series (the low byte tells the model).
pub(super) const TYPE_EVOLUTION: i64 = 0x300;
/// The Evolution 650, whose battery is 12 V.
pub(super) const TYPE_EVOLUTION_650: i64 = 0x301;
/// The Pulsar M series.
pub(super) const TYPE_PULSAR_M: i64 = 0x400;
/// Eaton 5P / 5PX.
pub(super) const TYPE_5P: i64 = 0x500;

/// The country code of continental Europe.
const COUNTRY_EUROPE: i64 = 0;

/// A scratch value, as the integer C keeps, or `default`.
fn get(ctx: &ConvContext<'_>, key: &str, default: i64) -> i64 {
    ctx.scratch.get(key).map_or(default, |v| *v as i64)
}

/// The model type (line-interactive/online unless the model list says otherwise).
pub(super) fn model_type(ctx: &ConvContext<'_>) -> i64 {
    get(ctx, TYPE, TYPE_DEFAULT)
}

/// The model series: the type without its model byte.
fn series(ctx: &ConvContext<'_>) -> i64 {
    model_type(ctx) & 0xff00
}

/// Whether ABM is known to be off.
fn abm_off(ctx: &ConvContext<'_>) -> bool {
    get(ctx, ABM, -1) == 0
}

/// Whether `value` is 1 within C's float tolerance.
fn is(value: f64, expected: f64) -> bool {
    (value - expected).abs() <= f64::EPSILON
}

fn word(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// Keeps the ABM mode; publishes nothing.
pub(super) fn abm_enabled(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let on = value as i32;
    tracing::debug!("ABM is {}", if on == 1 { "enabled" } else { "disabled" });
    ctx.scratch.insert(ABM, f64::from(on));
    None
}

/// The ABM charger state (`battery.charger.status`), withdrawn while ABM is off.
pub(super) fn abm_status(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    if abm_off(ctx) {
        ctx.state.delete("battery.charger.status");
        return None;
    }
    match value as i64 {
        1 => word("charging"),
        2 => word("discharging"),
        3 => word("floating"),
        4 => word("resting"),
        6 => word("off"),
        _ => None,
    }
}

/// CHRG or DISCHRG from the ABM charger state, while ABM is not off.
pub(super) fn abm_chrg_dischrg(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    if abm_off(ctx) {
        return None;
    }
    match value as i64 {
        1 | 3 => word("chrg"),
        2 => word("dischrg"),
        _ => None,
    }
}

/// The plain discharging bit while ABM is off; cleared otherwise.
pub(super) fn check_dischrg(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    word(if abm_off(ctx) && is(value, 1.0) {
        "dischrg"
    } else {
        "!dischrg"
    })
}

/// The plain charging bit while ABM is off; cleared otherwise.
pub(super) fn check_chrg(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    word(if abm_off(ctx) && is(value, 1.0) {
        "chrg"
    } else {
        "!chrg"
    })
}

/// `battery.voltage.nominal` from the power summary, for the series where it is right.
pub(super) fn battery_voltage_nominal(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let value = match series(ctx) {
        TYPE_EVOLUTION if model_type(ctx) == TYPE_EVOLUTION_650 => 12.0,
        TYPE_EVOLUTION | TYPE_PULSAR_M | TYPE_5P => value,
        _ => return None,
    };
    Some(format!("{value:.0}"))
}

/// `battery.voltage` from the power summary, for the series where it is right.
pub(super) fn battery_voltage(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    match series(ctx) {
        TYPE_EVOLUTION | TYPE_PULSAR_M | TYPE_5P => Some(format!("{value:.1}")),
        _ => None,
    }
}

/// A power factor in hundredths.
pub(super) fn power_factor(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(format!("{:.2}", value / 100.0))
}

/// A capacity in ampere-seconds, written in ampere-hours.
pub(super) fn battery_capacity(_: &mut ConvContext<'_>, value: f64) -> Option<String> {
    Some(format!("{:.2}", value / 3600.0))
}

/// Whether the model has eco control and the outlet threshold (Protection Station,
/// Ellipse ECO; the 3S outside Europe, although the series mask folds 3S into the
/// Pegasus case first, as in C).
fn pegasus(ctx: &ConvContext<'_>) -> bool {
    match series(ctx) {
        TYPE_PEGASUS => true,
        TYPE_3S => get(ctx, COUNTRY, -1) != COUNTRY_EUROPE,
        _ => false,
    }
}

/// The outlet power threshold (10, 25 or 60 VA), on the models that have it.
pub(super) fn pegasus_threshold(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    pegasus(ctx).then(|| format!("{value:.0}"))
}

/// Yes or no, on the models with eco control.
pub(super) fn pegasus_yes_no(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    pegasus(ctx).then(|| if is(value, 0.0) { "no" } else { "yes" }.to_owned())
}

/// 1 for a text starting with `yes` on the models with eco control, else 0.
pub(super) fn pegasus_yes_no_to_hid(ctx: &mut ConvContext<'_>, text: Option<&str>) -> Option<f64> {
    let yes = pegasus(ctx) && text.is_some_and(|t| t.starts_with("yes"));
    Some(if yes { 1.0 } else { 0.0 })
}

/// Keeps the country code; publishes nothing.
pub(super) fn check_country(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    ctx.scratch.insert(COUNTRY, f64::from(value as i32));
    None
}

/// An estimate of `ups.realpower` from the load, the nominal power and the power factor
/// (0.8 when unknown), for units that do not measure it.
pub(super) fn compute_realpower(ctx: &mut ConvContext<'_>, _: f64) -> Option<String> {
    let load = ctx.state.value("ups.load")?;
    let nominal = ctx.state.value("ups.power.nominal")?;
    let load = nut_driver_api::status::c_strtol(load) as i32;
    let nominal = nut_driver_api::status::c_strtol(nominal) as i32;
    let factor = ctx
        .state
        .value("output.powerfactor")
        .map_or(f64::from(0.80f32), super::super::lookups::c_strtod);
    let realpower = (f64::from(load) * 0.01 * f64::from(nominal) * factor).round();
    tracing::debug!("computed realpower {realpower:.0}");
    Some(format!("{realpower:.0}"))
}

/// The nominal output voltages a model may be set to: those of its own range (low or
/// high voltage, by the first value read), 200/208 V too on online models.
pub(super) fn nominal_output_voltage(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let nominal = match ctx.scratch.get(NOMINAL) {
        Some(n) => *n as i64,
        None => {
            ctx.scratch.insert(NOMINAL, value.trunc());
            value as i64
        }
    };
    let online = series(ctx) >= TYPE_DEFAULT;
    let allowed = match (nominal, value as i64) {
        (100 | 110 | 120 | 127, v) => matches!(v, 100 | 110 | 120 | 127),
        (200 | 208, v) => matches!(v, 200 | 208) || (matches!(v, 220 | 230 | 240) && online),
        // 200/208 V on a 230 V model: online ones only (C singles out the European
        // 208 V models here, to the same effect).
        (220 | 230 | 240, v) => matches!(v, 220 | 230 | 240) || (matches!(v, 200 | 208) && online),
        _ => {
            tracing::trace!("can't autodetect settable voltages from {value}");
            true
        }
    };
    allowed.then(|| format!("{value:.0}"))
}

/// Records whether the output is off (`PresentStatus.Good` is 0), for
/// [`converter_online`].
pub(super) fn good_to_off(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    let word = match value as i64 {
        0 => "off",
        1 => "!off",
        _ => return None,
    };
    ctx.scratch
        .insert(OUTPUT_OFF, if word == "off" { 1.0 } else { 0.0 });
    Some(word.to_owned())
}

/// The converter's input in use means on line, unless the output is off.
pub(super) fn converter_online(ctx: &mut ConvContext<'_>, value: f64) -> Option<String> {
    if get(ctx, OUTPUT_OFF, 0) == 1 {
        return None;
    }
    word(if is(value, 0.0) { "!online" } else { "online" })
}

/// A conversion that only reads.
pub(super) const fn read(to_nut: super::super::table::ToNut) -> Lookup {
    Lookup::Fun {
        to_nut,
        to_hid: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::hid_ups::table::test_support::convert;
    use crate::usb::hid_ups::table::ToNut;
    use nut_driver_api::DeviceState;
    use std::collections::HashMap;

    struct Fixture {
        state: DeviceState,
        scratch: HashMap<&'static str, f64>,
    }

    impl Fixture {
        fn new(model_type: i64) -> Self {
            let mut scratch = HashMap::new();
            scratch.insert(TYPE, model_type as f64);
            Self {
                state: DeviceState::new(),
                scratch,
            }
        }

        fn run(&mut self, f: ToNut, value: f64) -> Option<String> {
            convert(f, &mut self.state, &mut self.scratch, value)
        }

        fn ctx(&mut self) -> ConvContext<'_> {
            ConvContext {
                state: &mut self.state,
                scratch: &mut self.scratch,
            }
        }
    }

    #[test]
    fn abm() {
        let mut f = Fixture::new(TYPE_DEFAULT);
        // unknown mode: both ways are published
        assert_eq!(f.run(abm_status, 3.0).as_deref(), Some("floating"));
        assert_eq!(f.run(check_chrg, 1.0).as_deref(), Some("!chrg"));
        assert_eq!(f.run(abm_enabled, 1.0), None);
        assert_eq!(f.run(abm_status, 1.0).as_deref(), Some("charging"));
        assert_eq!(f.run(abm_status, 4.0).as_deref(), Some("resting"));
        assert_eq!(f.run(abm_status, 6.0).as_deref(), Some("off"));
        assert_eq!(f.run(abm_status, 5.0), None);
        assert_eq!(f.run(abm_chrg_dischrg, 3.0).as_deref(), Some("chrg"));
        assert_eq!(f.run(abm_chrg_dischrg, 2.0).as_deref(), Some("dischrg"));
        assert_eq!(f.run(abm_chrg_dischrg, 4.0), None);
        assert_eq!(f.run(check_dischrg, 1.0).as_deref(), Some("!dischrg"));
        // ABM off: the plain bits count, the charger status goes away
        let _ = f.state.set("battery.charger.status", "charging");
        assert_eq!(f.run(abm_enabled, 0.0), None);
        assert_eq!(f.run(abm_status, 1.0), None);
        assert!(f.state.value("battery.charger.status").is_none());
        assert_eq!(f.run(abm_chrg_dischrg, 1.0), None);
        assert_eq!(f.run(check_chrg, 1.0).as_deref(), Some("chrg"));
        assert_eq!(f.run(check_dischrg, 0.0).as_deref(), Some("!dischrg"));
        assert_eq!(f.run(check_dischrg, 1.0).as_deref(), Some("dischrg"));
    }

    #[test]
    fn battery_by_series() {
        for (ty, voltage, nominal) in [
            (TYPE_DEFAULT, None, None),
            (TYPE_OFFLINE, None, None),
            (TYPE_EVOLUTION_650, Some("24.5"), Some("12")),
            (TYPE_EVOLUTION + 4, Some("24.5"), Some("24")),
            (TYPE_PULSAR_M + 1, Some("24.5"), Some("24")),
            (TYPE_5P, Some("24.5"), Some("24")),
        ] {
            let mut f = Fixture::new(ty);
            assert_eq!(f.run(battery_voltage, 24.46).as_deref(), voltage, "{ty:x}");
            assert_eq!(
                f.run(battery_voltage_nominal, 24.0).as_deref(),
                nominal,
                "{ty:x}"
            );
        }
        let mut f = Fixture::new(TYPE_DEFAULT);
        assert_eq!(f.run(power_factor, 80.0).as_deref(), Some("0.80"));
        assert_eq!(f.run(battery_capacity, 32_400.0).as_deref(), Some("9.00"));
    }

    #[test]
    fn pegasus_only() {
        let mut f = Fixture::new(TYPE_PEGASUS);
        assert_eq!(f.run(pegasus_threshold, 25.0).as_deref(), Some("25"));
        assert_eq!(f.run(pegasus_yes_no, 0.0).as_deref(), Some("no"));
        assert_eq!(f.run(pegasus_yes_no, 2.0).as_deref(), Some("yes"));
        assert_eq!(pegasus_yes_no_to_hid(&mut f.ctx(), Some("yes")), Some(1.0));
        assert_eq!(pegasus_yes_no_to_hid(&mut f.ctx(), Some("no")), Some(0.0));
        // the 3S falls into the Pegasus case whatever the country
        let mut f = Fixture::new(TYPE_3S);
        assert_eq!(f.run(check_country, 0.0), None);
        assert_eq!(f.run(pegasus_threshold, 60.0).as_deref(), Some("60"));
        let mut f = Fixture::new(TYPE_DEFAULT);
        assert_eq!(f.run(pegasus_threshold, 25.0), None);
        assert_eq!(f.run(pegasus_yes_no, 1.0), None);
        assert_eq!(pegasus_yes_no_to_hid(&mut f.ctx(), Some("yes")), Some(0.0));
    }

    #[test]
    fn realpower() {
        let mut f = Fixture::new(TYPE_DEFAULT);
        assert_eq!(f.run(compute_realpower, 0.0), None);
        let _ = f.state.set("ups.load", "45");
        let _ = f.state.set("ups.power.nominal", "1000");
        assert_eq!(f.run(compute_realpower, 0.0).as_deref(), Some("360"));
        let _ = f.state.set("output.powerfactor", "0.90");
        assert_eq!(f.run(compute_realpower, 0.0).as_deref(), Some("405"));
    }

    #[test]
    fn nominal_voltages() {
        let accepts = |ty: i64, country: Option<f64>, first: f64, values: &[f64]| -> Vec<f64> {
            let mut f = Fixture::new(ty);
            if let Some(c) = country {
                f.scratch.insert(COUNTRY, c);
            }
            assert!(f.run(nominal_output_voltage, first).is_some());
            values
                .iter()
                .copied()
                .filter(|v| f.run(nominal_output_voltage, *v).is_some())
                .collect()
        };
        let all = [
            200.0, 208.0, 220.0, 230.0, 240.0, 100.0, 110.0, 120.0, 127.0,
        ];
        assert_eq!(
            accepts(TYPE_DEFAULT, None, 230.0, &all),
            [200.0, 208.0, 220.0, 230.0, 240.0]
        );
        assert_eq!(
            accepts(TYPE_OFFLINE, None, 230.0, &all),
            [220.0, 230.0, 240.0]
        );
        assert_eq!(
            accepts(TYPE_PEGASUS, Some(2.0), 230.0, &all),
            [220.0, 230.0, 240.0]
        );
        assert_eq!(
            accepts(TYPE_DEFAULT, None, 208.0, &all),
            [200.0, 208.0, 220.0, 230.0, 240.0]
        );
        assert_eq!(accepts(TYPE_OFFLINE, None, 208.0, &all), [200.0, 208.0]);
        assert_eq!(
            accepts(TYPE_DEFAULT, None, 120.0, &all),
            [100.0, 110.0, 120.0, 127.0]
        );
        assert_eq!(accepts(TYPE_DEFAULT, None, 50.0, &all), all);
        let mut f = Fixture::new(TYPE_DEFAULT);
        assert_eq!(f.run(nominal_output_voltage, 230.4).as_deref(), Some("230"));
    }

    #[test]
    fn online_unless_off() {
        let mut f = Fixture::new(TYPE_DEFAULT);
        assert_eq!(f.run(converter_online, 1.0).as_deref(), Some("online"));
        assert_eq!(f.run(good_to_off, 0.0).as_deref(), Some("off"));
        assert_eq!(f.run(converter_online, 0.0), None);
        assert_eq!(f.run(good_to_off, 2.0), None);
        assert_eq!(f.run(good_to_off, 1.0).as_deref(), Some("!off"));
        assert_eq!(f.run(converter_online, 0.0).as_deref(), Some("!online"));
    }
}
