//! `/metrics`: every device's numeric variables in the Prometheus text format, named as
//! nut_exporter names them so that existing dashboards work: `battery.charge` is
//! `network_ups_tools_battery_charge{ups="…"}`, each `ups.status` word is
//! `network_ups_tools_ups_status{flag="OB"}` (the usual words always present, 0 or 1), and
//! the `device.*` variables are the labels of `network_ups_tools_device_info` (value 1).
//! Words such as `enabled`/`off` count as 1/0, as nut_exporter reads them. One scrape
//! covers every device.
//!
//! The encoding is written here (the classic text format, version 0.0.4) rather than with
//! prometheus-client: its families fit the changing set of variables, but it can only type
//! a metric `unknown` (OpenMetrics, which promtool's parser refuses), and it writes label
//! values without escaping them. A few NUT variables have names that promtool's lint
//! rejects for a gauge (`battery.current.total`, `….count`): they are typed `untyped`,
//! which keeps nut_exporter's name and passes `promtool check metrics`. A metric type's name
//! as a word of the name is refused whatever the type, so there the name differs from
//! nut_exporter's: `experimental.statistics.overload_counter` becomes
//! `network_ups_tools_experimental_statistics_overload_count` (and `gauge`, `histogram`,
//! `summary` take a plural `s`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use super::source::DeviceData;

/// The prefix of every metric.
pub(crate) const NAMESPACE: &str = "network_ups_tools";
/// The content type of the encoding.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The status words always reported (nut_exporter's default list).
const STATUS_FLAGS: [&str; 15] = [
    "OL", "OB", "LB", "HB", "RB", "CHRG", "DISCHRG", "BYPASS", "CAL", "OFF", "OVER", "TRIM",
    "BOOST", "FSD", "SD",
];

type Labels = Vec<(String, String)>;

/// Whether promtool's lint rejects `name` for a gauge: a suffix reserved for counters,
/// histograms and summaries.
fn needs_untyped(name: &str) -> bool {
    ["_total", "_count", "_sum", "_bucket"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// `name` without a metric type's name as one of its words (promtool's lint refuses it for
/// any type): `counter` becomes `count`, the others take a plural `s`.
fn without_type_words(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            match lower.as_str() {
                "counter" => word[..5].to_owned(),
                "gauge" | "histogram" | "summary" | "untyped" => format!("{word}s"),
                _ => word.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// A name made of the characters Prometheus allows (`[a-zA-Z0-9_]`, not starting with a
/// digit).
fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A label value escaped for the text format: backslash, double quote and line feed.
fn label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A value as nut_exporter reads it: a number, or an on/off word.
fn numeric(value: &str) -> Option<f64> {
    let v = value.trim();
    if let Ok(n) = v.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    let lower = v.to_ascii_lowercase();
    match lower.as_str() {
        "enable" | "enabled" | "on" | "true" | "active" | "activated" => Some(1.0),
        "disable" | "disabled" | "off" | "false" | "inactive" | "deactivated" => Some(0.0),
        _ => None,
    }
}

/// Collects the series: metric name → (help, label set → value). The first series of a
/// name and label set wins (two variables can sanitize to one name).
#[derive(Default)]
struct Series(BTreeMap<String, (String, BTreeMap<Labels, f64>)>);

impl Series {
    fn add(&mut self, name: String, help: &str, labels: Labels, value: f64) {
        let entry = self
            .0
            .entry(name)
            .or_insert_with(|| (help.to_owned(), BTreeMap::new()));
        entry.1.entry(labels).or_insert(value);
    }
}

/// The `/metrics` text for `devices`.
pub(crate) fn render(devices: &[Arc<DeviceData>]) -> String {
    let mut series = Series::default();
    let status_metric = format!("{NAMESPACE}_ups_status");
    let info_metric = format!("{NAMESPACE}_device_info");
    for dev in devices.iter().filter(|d| d.available()) {
        let ups = || vec![("ups".to_owned(), label_value(&dev.name))];
        let mut info = ups();
        for var in &dev.vars {
            if var.name == "ups.status" {
                let words: Vec<String> = var
                    .value
                    .split_ascii_whitespace()
                    .map(str::to_ascii_uppercase)
                    .collect();
                let flags = STATUS_FLAGS
                    .iter()
                    .map(|f| (*f).to_owned())
                    .chain(words.iter().cloned());
                for flag in flags {
                    let on = words.contains(&flag);
                    let mut labels = ups();
                    labels.push(("flag".to_owned(), label_value(&flag)));
                    series.add(
                        status_metric.clone(),
                        "UPS status flag (ups.status word)",
                        labels,
                        if on { 1.0 } else { 0.0 },
                    );
                }
                continue;
            }
            if let Some(field) = var.name.strip_prefix("device.") {
                if field != "uptime" {
                    info.push((sanitize(field), label_value(&var.value)));
                    continue;
                }
            }
            let Some(value) = numeric(&var.value) else {
                continue;
            };
            let name = without_type_words(&format!("{NAMESPACE}_{}", sanitize(&var.name)));
            if name == status_metric || name == info_metric {
                continue;
            }
            let help = format!("NUT variable {}", var.name);
            series.add(name, &help, ups(), value);
        }
        // Label names must be unique: keep the first of each.
        let mut seen = std::collections::HashSet::new();
        info.retain(|(k, _)| seen.insert(k.clone()));
        series.add(info_metric.clone(), "UPS device information", info, 1.0);
    }
    let mut out = String::new();
    for (name, (help, values)) in series.0 {
        let kind = if needs_untyped(&name) {
            "untyped"
        } else {
            "gauge"
        };
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in values {
            out.push_str(&name);
            for (i, (k, v)) in labels.iter().enumerate() {
                out.push(if i == 0 { '{' } else { ',' });
                let _ = write!(out, "{k}=\"{v}\"");
            }
            if !labels.is_empty() {
                out.push('}');
            }
            let _ = writeln!(out, " {value}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::source::VarData;

    #[test]
    fn names_follow_nut_exporter() {
        let mut d = DeviceData::new("myups");
        for (k, v) in [
            ("battery.charge", "100"),
            ("ups.status", "OL CHRG"),
            ("device.mfr", "ACME \"Power\""),
            ("device.serial", "a\\b\nc"),
            ("device.uptime", "42"),
            ("ups.beeper.status", "enabled"),
            ("ups.test.result", "No test initiated"),
            ("input.voltage", "229.5"),
            ("battery.current.total", "3"),
            ("ups.mains.loss.counter", "7"),
            ("x.Gauge_counter.y", "8"),
        ] {
            d.vars.push(VarData::new(k, v));
        }
        let mut stale = DeviceData::new("gone");
        stale.error = Some("DATA-STALE".into());
        let text = render(&[Arc::new(d), Arc::new(stale)]);
        for line in [
            "network_ups_tools_battery_charge{ups=\"myups\"} 100",
            "network_ups_tools_ups_status{ups=\"myups\",flag=\"OL\"} 1",
            "network_ups_tools_ups_status{ups=\"myups\",flag=\"OB\"} 0",
            "network_ups_tools_ups_status{ups=\"myups\",flag=\"CHRG\"} 1",
            "network_ups_tools_device_info{ups=\"myups\",mfr=\"ACME \\\"Power\\\"\",serial=\"a\\\\b\\nc\"} 1",
            "network_ups_tools_device_uptime{ups=\"myups\"} 42",
            "network_ups_tools_ups_beeper_status{ups=\"myups\"} 1",
            "network_ups_tools_input_voltage{ups=\"myups\"} 229.5",
            "# TYPE network_ups_tools_battery_charge gauge",
            "# TYPE network_ups_tools_battery_current_total untyped",
            "# TYPE network_ups_tools_ups_mains_loss_count untyped",
            "network_ups_tools_ups_mains_loss_count{ups=\"myups\"} 7",
            "network_ups_tools_x_Gauges_count_y{ups=\"myups\"} 8",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(!text.contains("test_result"));
        assert!(!text.contains("gone"));
        assert_eq!(text.matches("flag=\"CHRG\"").count(), 1);
    }
}
