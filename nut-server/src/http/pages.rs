//! The HTML pages: `/` (every device at a glance) and `/ups/<name>` (every variable, the
//! writable ones and the commands, charts of the last 24 hours). Server-side HTML that
//! reads well on a phone; no external scripts, styles or fonts. A small inline script
//! follows `/api/v1/events` to update values in place, and sends SET and INSTCMD through
//! the JSON API with the credentials typed into the page.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::hub::{Sample, CHARTED};
use super::source::DeviceData;
use super::AppState;

/// Text made safe for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60em;padding:.5em;color:#222}\
h1{font-size:1.4em}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3em;border-bottom:1px solid #ddd;word-break:break-word}\
.st{font-weight:bold}.OL{color:#070}.OB,.LB,.bad{color:#b00}.cards{display:flex;flex-wrap:wrap;gap:.5em}\
.card{border:1px solid #ccc;border-radius:.4em;padding:.5em;flex:1 1 16em}.card h2{font-size:1.1em;margin:.2em 0}\
svg{width:100%;height:auto;max-width:40em}figure{margin:.5em 0}input{max-width:10em}a{color:#036}";

/// The script: live values from the event stream; writes through the API.
const SCRIPT: &str = r#"(function(){
var es=new EventSource('/api/v1/events');
es.addEventListener('variable',function(m){var e=JSON.parse(m.data);
document.querySelectorAll('[data-ups="'+CSS.escape(e.ups)+'"][data-var="'+CSS.escape(e.var)+'"]').forEach(function(n){n.textContent=e.value===null?'':e.value;});});
es.addEventListener('status',function(m){var e=JSON.parse(m.data);
document.querySelectorAll('[data-ups="'+CSS.escape(e.ups)+'"][data-event]').forEach(function(n){n.textContent=e.event+' at '+e.time;});});
window.nutWrite=function(form){var path=form.dataset.path;var f=document.getElementById('login');
var body=form.value?{value:form.value.value}:{};
fetch(path,{method:'POST',headers:{'Content-Type':'application/json','Authorization':'Basic '+btoa(f.user.value+':'+f.password.value)},body:JSON.stringify(body)})
.then(function(r){return r.json().then(function(j){form.querySelector('output').textContent=r.ok?j.result:(j.error+': '+j.reason);});});
return false;};
})();"#;

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}<script>{SCRIPT}</script></body></html>\n",
        esc(title)
    ))
}

/// A live value: the element the script updates.
fn live(ups: &str, var: &str, value: Option<&str>) -> String {
    format!(
        "<span data-ups=\"{}\" data-var=\"{}\">{}</span>",
        esc(ups),
        esc(var),
        esc(value.unwrap_or(""))
    )
}

/// The figures shown for each device on `/`.
const GLANCE: [(&str, &str, &str); 6] = [
    ("Charge", "battery.charge", "%"),
    ("Runtime", "battery.runtime", "s"),
    ("Load", "ups.load", "%"),
    ("Input", "input.voltage", "V"),
    ("Output", "output.voltage", "V"),
    ("Model", "device.model", ""),
];

/// A device's status and its main figures (the card of `/`, the top of `/ups/<name>`), or
/// why there are none.
fn glance(dev: &DeviceData) -> String {
    let name = &dev.name;
    if let Some(e) = &dev.error {
        return format!("<div class=\"bad\">{}</div>", esc(e));
    }
    let status = dev.value("ups.status").unwrap_or("");
    let first = status.split(' ').next().unwrap_or("");
    let mut out = format!(
        "<div class=\"st {}\">{}</div><table>",
        esc(first),
        live(name, "ups.status", Some(status))
    );
    for (label, var, unit) in GLANCE {
        if let Some(v) = dev.value(var) {
            let _ = write!(
                out,
                "<tr><th>{label}</th><td>{} {unit}</td></tr>",
                live(name, var, Some(v))
            );
        }
    }
    out.push_str("</table>");
    out
}

/// `GET /`.
pub(crate) async fn index(State(state): State<Arc<AppState>>) -> Html<String> {
    let mut body = String::from("<h1>UPS status</h1><div class=\"cards\">");
    for dev in state.hub.devices().iter() {
        let name = &dev.name;
        let _ = write!(
            body,
            "<div class=\"card\"><h2><a href=\"/ups/{}\">{}</a></h2>",
            esc(name),
            esc(name)
        );
        if let Some(desc) = &dev.desc {
            let _ = write!(body, "<div>{}</div>", esc(desc));
        }
        body.push_str(&glance(dev));
        let _ = write!(
            body,
            "<div data-ups=\"{}\" data-event></div></div>",
            esc(name)
        );
    }
    body.push_str(
        "</div><p><a href=\"/metrics\">metrics</a> · <a href=\"/api/v1/devices\">API</a></p>",
    );
    page("UPS status", &body)
}

/// `GET /ups/<name>`.
pub(crate) async fn device(
    State(state): State<Arc<AppState>>,
    Path(ups): Path<String>,
) -> Response {
    let Some(dev) = state.hub.device(&ups) else {
        let body = format!("<h1>Not found</h1><p>No device called {}.</p>", esc(&ups));
        return (StatusCode::NOT_FOUND, page("Not found", &body)).into_response();
    };
    let history = state.hub.history(&ups);
    page(&dev.name, &device_body(&dev, &history)).into_response()
}

fn device_body(dev: &DeviceData, history: &[Sample]) -> String {
    let name = &dev.name;
    let mut body = format!("<p><a href=\"/\">all devices</a></p><h1>{}</h1>", esc(name));
    if let Some(desc) = &dev.desc {
        let _ = write!(body, "<p>{}</p>", esc(desc));
    }
    let _ = write!(
        body,
        "<div class=\"card\">{}<div data-ups=\"{}\" data-event></div></div>",
        glance(dev),
        esc(name)
    );
    let charts: Vec<String> = CHARTED
        .iter()
        .enumerate()
        .filter_map(|(i, var)| {
            let points: Vec<(SystemTime, f64)> = history
                .iter()
                .filter_map(|s| s.values[i].map(|v| (s.time, v)))
                .collect();
            (!points.is_empty()).then(|| chart(var, &points))
        })
        .collect();
    if !charts.is_empty() {
        body.push_str("<h2>Charts</h2>");
        body.push_str(&charts.concat());
    }
    let writable: Vec<_> = dev.vars.iter().filter(|v| v.writable).collect();
    if !writable.is_empty() || !dev.commands.is_empty() {
        body.push_str(
            "<h2>Settings and commands</h2><form id=\"login\" onsubmit=\"return false\">\
             <label>User <input name=\"user\" autocomplete=\"username\"></label> \
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label></form><table>",
        );
        for var in writable {
            let path = format!("/api/v1/devices/{name}/variables/{}", var.name);
            let _ = write!(
                body,
                "<tr><th>{}</th><td><form data-path=\"{}\" onsubmit=\"return nutWrite(this)\">\
                 <input name=\"value\" value=\"{}\"> <button>Set</button> <output></output></form></td></tr>",
                esc(&var.name),
                esc(&path),
                esc(&var.value)
            );
        }
        for cmd in &dev.commands {
            let path = format!("/api/v1/devices/{name}/commands/{cmd}");
            let _ = write!(
                body,
                "<tr><th>{}</th><td><form data-path=\"{}\" onsubmit=\"return nutWrite(this)\">\
                 <button>Run</button> <output></output></form></td></tr>",
                esc(cmd),
                esc(&path)
            );
        }
        body.push_str("</table>");
    }
    body.push_str("<h2>Variables</h2><table>");
    for var in &dev.vars {
        let _ = write!(
            body,
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(&var.name),
            live(name, &var.name, Some(&var.value))
        );
    }
    body.push_str("</table>");
    body
}

/// An SVG line chart of `points` (oldest first), scaled to their range.
///
/// The times are real (`SystemTime`), so the x axis is the span the samples cover.
fn chart(var: &str, points: &[(SystemTime, f64)]) -> String {
    const W: f64 = 600.0;
    const H: f64 = 150.0;
    const PAD: f64 = 30.0;
    let t0 = points[0].0;
    let span = points[points.len() - 1]
        .0
        .duration_since(t0)
        .unwrap_or_default()
        .as_secs_f64()
        .max(1.0);
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, v)| {
            (lo.min(v), hi.max(v))
        });
    let range = if hi > lo { hi - lo } else { 1.0 };
    let mut line = String::new();
    for &(t, v) in points {
        let x =
            PAD + (W - 2.0 * PAD) * t.duration_since(t0).unwrap_or_default().as_secs_f64() / span;
        let y = H - PAD - (H - 2.0 * PAD) * (v - lo) / range;
        let _ = write!(line, "{x:.1},{y:.1} ");
    }
    if let [(_, v)] = points {
        // One sample so far: a flat line across, so the chart is not empty.
        let y = H - PAD - (H - 2.0 * PAD) * (v - lo) / range;
        let _ = write!(line, "{:.1},{y:.1}", W - PAD);
    }
    let labels = if hi > lo {
        format!(
            "<text x=\"2\" y=\"{:.0}\" font-size=\"11\">{hi}</text><text x=\"2\" y=\"{:.0}\" font-size=\"11\">{lo}</text>",
            PAD,
            H - PAD
        )
    } else {
        format!(
            "<text x=\"2\" y=\"{:.0}\" font-size=\"11\">{lo}</text>",
            H - PAD - 4.0
        )
    };
    let minutes = (span / 60.0).round();
    let shown = if points.len() < 2 {
        "now".to_owned()
    } else if minutes < 120.0 {
        format!("last {minutes} min")
    } else {
        format!("last {:.0} h", minutes / 60.0)
    };
    format!(
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">\
         <rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#fafafa\" stroke=\"#ccc\"/>\
         {labels}<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" text-anchor=\"end\">{shown}</text>\
         <polyline fill=\"none\" stroke=\"#036\" stroke-width=\"2\" points=\"{}\"/></svg></figure>",
        esc(var),
        esc(var),
        W - 4.0,
        H - 6.0,
        line.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn charts_scale_to_the_values() {
        let t0 = SystemTime::UNIX_EPOCH;
        let points = [
            (t0, 100.0),
            (t0 + Duration::from_secs(60), 50.0),
            (t0 + Duration::from_secs(120), 0.0),
        ];
        let svg = chart("battery.charge", &points);
        assert!(
            svg.contains("points=\"30.0,30.0 300.0,75.0 570.0,120.0\""),
            "{svg}"
        );
        assert!(svg.contains(">100</text>") && svg.contains(">0</text>"));
        // One point, or a flat line, does not divide by zero.
        let one = chart("ups.load", &points[..1]);
        assert!(one.contains("points=\"30.0,120.0 570.0,120.0\""), "{one}");
        assert!(one.contains(">now</text>"), "{one}");
        assert!(svg.contains(">last 2 min</text>"), "{svg}");
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
