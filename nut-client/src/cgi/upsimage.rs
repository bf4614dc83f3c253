//! `upsimage.cgi`: a PNG bar of one variable of one UPS
//! (`?host=ups@host&display=battery.charge`), on a scale with green, neutral and red zones,
//! the value written under it. Size and colours come from the query (`width=`, `height=`,
//! `scale_height=`, `back_col=0xRRGGBB`, …; see [`IMG_ARGS`]).

use super::canvas::{Canvas, FONT_H, FONT_W};
use super::{check_host, connect, Output, Request};
use crate::c_text::{c_atoi, c_strtod, format_fixed};
use crate::Client;

/// The longest query value read (C's `MAX_CGI_STRLEN` in upsimage).
const MAX_ARG: usize = 64;

/// A drawing setting that the query may change.
#[derive(Debug, Clone, Copy)]
pub struct ImgArg {
    /// Its name in the query.
    pub name: &'static str,
    /// Its default.
    pub default: i32,
    /// The lowest value taken (lower ones become this).
    pub min: i32,
    /// The highest value taken.
    pub max: i32,
}

const fn arg(name: &'static str, default: i32, min: i32, max: i32) -> ImgArg {
    ImgArg {
        name,
        default,
        min,
        max,
    }
}

/// The settings, their defaults and limits (as C's `upsimagearg.h`).
pub const IMG_ARGS: [ImgArg; 17] = [
    arg("width", 100, 50, 200),
    arg("height", 350, 100, 500),
    arg("scale_height", 300, 100, 500),
    arg("back_col", 0x000000, 0, 0xffffff),
    arg("scale_num_col", 0xffff00, 0, 0xffffff),
    arg("summary_col", 0xffff00, 0, 0xffffff),
    arg("ok_zone_maj_col", 0x00ff00, 0, 0xffffff),
    arg("ok_zone_min_col", 0x007800, 0, 0xffffff),
    arg("neutral_zone_maj_col", 0xffffff, 0, 0xffffff),
    arg("neutral_zone_min_col", 0x646464, 0, 0xffffff),
    arg("warn_zone_maj_col", 0xff0000, 0, 0xffffff),
    arg("warn_zone_min_col", 0x960000, 0, 0xffffff),
    arg("bar_col", 0x00ff00, 0, 0xffffff),
    arg("tempmin", 0, -100, 150),
    arg("tempmax", 40, -100, 150),
    arg("nom_in_freq", 50, 0, 100),
    arg("nom_out_freq", 50, 0, 100),
];

/// How a variable is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Utility,
    BatteryCharge,
    BatteryVoltage,
    Temperature,
    Humidity,
    General,
    Load,
}

/// A variable that can be drawn: the variables (or settings) giving its low, nominal and
/// high marks, its deviation, the unit after the value, and its style.
struct ImgVar {
    name: &'static str,
    min: Option<&'static str>,
    nom: Option<&'static str>,
    max: Option<&'static str>,
    deviation: i32,
    unit: &'static str,
    style: Style,
}

const fn var(
    name: &'static str,
    marks: [Option<&'static str>; 3],
    deviation: i32,
    unit: &'static str,
    style: Style,
) -> ImgVar {
    let [min, nom, max] = marks;
    ImgVar {
        name,
        min,
        nom,
        max,
        deviation,
        unit,
        style,
    }
}

const IN_V: [Option<&str>; 3] = [
    Some("input.transfer.low"),
    Some("input.voltage.nominal"),
    Some("input.transfer.high"),
];
const OUT_V: [Option<&str>; 3] = [
    Some("input.transfer.low"),
    Some("output.voltage.nominal"),
    Some("input.transfer.high"),
];
const NONE: [Option<&str>; 3] = [None, None, None];

const IMG_VARS: [ImgVar; 27] = [
    var("input.voltage", IN_V, 0, "VAC", Style::Utility),
    var("input.L1-N.voltage", IN_V, 0, "VAC", Style::Utility),
    var("input.L2-N.voltage", IN_V, 0, "VAC", Style::Utility),
    var("input.L3-N.voltage", IN_V, 0, "VAC", Style::Utility),
    var("input.L1-L2.voltage", IN_V, 0, "VAC", Style::Utility),
    var("input.L2-L3.voltage", IN_V, 0, "VAC", Style::Utility),
    var("input.L3-L1.voltage", IN_V, 0, "VAC", Style::Utility),
    var(
        "battery.charge",
        [Some("battery.charge.low"), None, None],
        0,
        "%",
        Style::BatteryCharge,
    ),
    var(
        "battery.voltage",
        [
            Some("battery.voltage.low"),
            Some("battery.voltage.nominal"),
            Some("battery.voltage.high"),
        ],
        0,
        "VDC",
        Style::BatteryVoltage,
    ),
    var(
        "ups.temperature",
        [
            Some("ups.temperature.low"),
            None,
            Some("ups.temperature.high"),
        ],
        0,
        "°C",
        Style::Temperature,
    ),
    var(
        "ambient.temperature",
        [
            Some("ambient.temperature.low"),
            None,
            Some("ambient.temperature.high"),
        ],
        0,
        "°C",
        Style::Temperature,
    ),
    var(
        "ambient.humidity",
        [
            Some("ambient.humidity.low"),
            None,
            Some("ambient.humidity.high"),
        ],
        0,
        "%",
        Style::Humidity,
    ),
    var(
        "input.frequency",
        [None, Some("input.frequency.nominal"), None],
        2,
        "Hz",
        Style::General,
    ),
    var("ups.load", NONE, 0, "%", Style::Load),
    var("output.L1.power.percent", NONE, 0, "%", Style::Load),
    var("output.L2.power.percent", NONE, 0, "%", Style::Load),
    var("output.L3.power.percent", NONE, 0, "%", Style::Load),
    var("output.L1.realpower.percent", NONE, 0, "%", Style::Load),
    var("output.L2.realpower.percent", NONE, 0, "%", Style::Load),
    var("output.L3.realpower.percent", NONE, 0, "%", Style::Load),
    var("output.voltage", OUT_V, 0, "VAC", Style::Utility),
    var("output.L1-N.voltage", OUT_V, 0, "VAC", Style::Utility),
    var("output.L2-N.voltage", OUT_V, 0, "VAC", Style::Utility),
    var("output.L3-N.voltage", OUT_V, 0, "VAC", Style::Utility),
    var("output.L1-L2.voltage", OUT_V, 0, "VAC", Style::Utility),
    var("output.L2-L3.voltage", OUT_V, 0, "VAC", Style::Utility),
    var("output.L3-L1.voltage", OUT_V, 0, "VAC", Style::Utility),
];

/// The settings of one request.
struct Settings([i32; IMG_ARGS.len()]);

impl Settings {
    fn get(&self, name: &str) -> i32 {
        IMG_ARGS
            .iter()
            .position(|a| a.name == name)
            .map_or(-1, |i| self.0[i])
    }

    fn set(&mut self, name: &str, value: &str) -> bool {
        let Some(i) = IMG_ARGS.iter().position(|a| a.name == name) else {
            return false;
        };
        let v = match value.strip_prefix("0x") {
            Some(hex) => {
                let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
                i64::from_str_radix(&digits, 16).unwrap_or(0)
            }
            None => i64::from(c_atoi(value)),
        };
        let a = IMG_ARGS[i];
        self.0[i] = v.clamp(i64::from(a.min), i64::from(a.max)) as i32;
        true
    }
}

/// A scale, its zones and the value on it.
struct Bar {
    lo: i32,
    hi: i32,
    steps: [i32; 3],
    red1: (i32, i32),
    red2: (i32, i32),
    green: (i32, i32),
}

/// The drawing of one request.
struct Painter {
    s: Settings,
}

impl Painter {
    fn png_out(canvas: &Canvas) -> Output {
        let mut out = Output::default();
        out.print("Pragma: no-cache\nContent-type: image/png\n\n");
        out.stdout.extend_from_slice(&canvas.png());
        out
    }

    /// The scale behind the bar (C's `drawscale`).
    fn scale(&self, canvas: &mut Canvas, bar: &Bar) {
        let s = &self.s;
        let back = canvas.color(s.get("back_col"));
        let numbers = canvas.color(s.get("scale_num_col"));
        let ok = (
            canvas.color(s.get("ok_zone_maj_col")),
            canvas.color(s.get("ok_zone_min_col")),
        );
        let neutral = (
            canvas.color(s.get("neutral_zone_maj_col")),
            canvas.color(s.get("neutral_zone_min_col")),
        );
        let warn = (
            canvas.color(s.get("warn_zone_maj_col")),
            canvas.color(s.get("warn_zone_min_col")),
        );
        let (width, height, scale_height) =
            (s.get("width"), s.get("height"), s.get("scale_height"));
        canvas.fill(0, 0, width, height, back);
        canvas.set_transparent(back);
        let range = bar.hi - bar.lo;
        let [step, step5, step10] = bar.steps;
        let within = |(a, b): (i32, i32), v: i32| a <= v && v <= b;
        let levels = || (bar.lo..=bar.hi).rev().step_by(step as usize);
        for level in levels() {
            let (major, minor) = if within(bar.red1, level) || within(bar.red2, level) {
                warn
            } else if within(bar.green, level) {
                ok
            } else {
                neutral
            };
            let y = scale_height * (bar.hi - level) / range;
            if level % step10 == 0 {
                canvas.hline(0, width, y, major);
            } else if level % step5 == 0 {
                canvas.hline(5, width - 5, y, minor);
            } else {
                canvas.hline(10, width - 10, y, minor);
            }
        }
        for level in levels().filter(|l| l % step10 == 0) {
            let y = scale_height * (bar.hi - level) / range;
            let label = level.to_string();
            canvas.text(
                width - label.len() as i32 * FONT_W,
                y,
                &label,
                numbers,
                false,
            );
        }
    }

    /// The bar over its scale (C's `drawbar`).
    fn bar(&self, bar: &Bar, value: f64, unit: &str) -> Output {
        let (width, height, scale_height) = (
            self.s.get("width"),
            self.s.get("height"),
            self.s.get("scale_height"),
        );
        if bar.hi <= bar.lo {
            // C divides by zero here.
            return self.no_image("Can't determine range");
        }
        let mut canvas = Canvas::new(width, height);
        self.scale(&mut canvas, bar);
        let bar_color = canvas.color(self.s.get("bar_col"));
        let summary = canvas.color(self.s.get("summary_col"));
        let fraction = (value - f64::from(bar.lo)) / f64::from(bar.hi - bar.lo);
        let top = ((1.0 - fraction) * f64::from(scale_height)) as i32;
        let top = top.clamp(0, scale_height);
        canvas.fill(25, top, width - 25, scale_height, bar_color);
        let text = format!("{} {unit}", format_fixed(value, 1));
        let len = text.chars().count() as i32;
        canvas.text(
            (width - len * FONT_W) / 2,
            height - FONT_H,
            &text,
            summary,
            false,
        );
        Self::png_out(&canvas)
    }

    /// The image that says what went wrong (C's `noimage`).
    fn no_image(&self, message: &str) -> Output {
        let (width, height) = (self.s.get("width"), self.s.get("height"));
        let mut canvas = Canvas::new(width, height);
        let back = canvas.color(self.s.get("back_col"));
        let summary = canvas.color(self.s.get("summary_col"));
        canvas.fill(0, 0, width, height, back);
        canvas.set_transparent(back);
        let len = message.chars().count() as i32;
        if width > height {
            let x = (width - len * FONT_W) / 2;
            canvas.text(x, (height - FONT_H) / 2, message, summary, false);
        } else {
            let y = (height + len * FONT_W) / 2;
            canvas.text((width - FONT_H) / 2, y, message, summary, true);
        }
        Self::png_out(&canvas)
    }

    /// A bar around a nominal value (C's `drawgeneralbar`).
    fn general(&self, value: f64, [min, nom, max]: [i32; 3], deviation: i32, unit: &str) -> Output {
        let (mut min, mut nom, mut max) = (min, nom, max);
        let gray_below_nominal = deviation < 0;
        let deviation = deviation.abs();
        if nom == -1 && (min == -1 || max == -1) {
            return self.no_image("Can't determine range");
        }
        if nom != -1 {
            if min == -1 {
                min = nom - 3 * deviation;
            }
            if max == -1 {
                max = nom + 3 * deviation;
            }
        } else {
            nom = (min + max) / 2;
        }
        let steps = match max - min {
            r if r <= 50 => [1, 5, 10],
            r if r <= 100 => [2, 10, 20],
            _ => [5, 20, 40],
        };
        let step10 = steps[2];
        let lo = ((min - deviation) / step10) * step10;
        let hi = ((max + deviation + step10 / 2) / step10) * step10;
        let bar = if gray_below_nominal {
            Bar {
                lo,
                hi,
                steps,
                red1: (0, min),
                red2: (max, hi),
                green: (nom, max),
            }
        } else {
            Bar {
                lo,
                hi,
                steps,
                red1: (max, hi),
                red2: (lo, min),
                green: (nom - deviation, nom + deviation),
            }
        };
        self.bar(&bar, value, unit)
    }

    fn draw(&self, v: &ImgVar, value: f64, marks: [i32; 3]) -> Output {
        let [min, nom, max] = marks;
        let fixed = |lo, hi, steps, red1, red2, green| Bar {
            lo,
            hi,
            steps,
            red1,
            red2,
            green,
        };
        match v.style {
            Style::Utility => {
                let min = match min {
                    -1 if value < 200.0 => 90,
                    -1 if value < 300.0 => 200,
                    -1 => 340,
                    m => m,
                };
                let nom = match nom {
                    -1 if value < 200.0 => 110,
                    -1 if value < 300.0 => 225,
                    -1 => 400,
                    n => n,
                };
                let max = if max == -1 { nom + (nom - min) } else { max };
                let deviation = (f64::from(nom) * 0.1) as i32;
                self.general(value, [min, nom, max], deviation, v.unit)
            }
            Style::BatteryCharge => {
                let min = if min < 0 { 50 } else { min };
                let bar = fixed(0, 100, [2, 10, 20], (0, min), (-1, -1), (80, 100));
                self.bar(&bar, value, v.unit)
            }
            Style::BatteryVoltage => {
                let nom = if nom == -1 {
                    [
                        (9.0, 6),
                        (18.0, 12),
                        (30.0, 24),
                        (60.0, 48),
                        (120.0, 96),
                        (230.0, 192),
                    ]
                    .iter()
                    .find(|(limit, _)| value < *limit)
                    .map_or(384, |(_, n)| *n)
                } else {
                    nom
                };
                let min = if min == -1 {
                    (f64::from(nom / 2) * 1.6 + 1.0) as i32
                } else {
                    min
                };
                let max = if max == -1 {
                    (f64::from(nom / 2) * 2.3 + 1.0) as i32
                } else {
                    max
                };
                let nom = if nom < min || nom > max { -1 } else { nom };
                let deviation = match (f64::from(-nom) * 0.05) as i32 {
                    0 => -1,
                    d => d,
                };
                self.general(value, [min, nom, max], deviation, v.unit)
            }
            Style::Load => {
                let bar = fixed(0, 125, [5, 5, 25], (100, 125), (-1, -1), (0, 50));
                self.bar(&bar, value, v.unit)
            }
            Style::Temperature => {
                let (lo, hi) = (self.s.get("tempmin"), self.s.get("tempmax"));
                let bar = fixed(lo, hi, [1, 5, 10], (lo, min), (max, hi), (-1, -1));
                self.bar(&bar, value, v.unit)
            }
            Style::Humidity => {
                let bar = fixed(0, 100, [2, 10, 20], (0, min), (max, 100), (-1, -1));
                self.bar(&bar, value, v.unit)
            }
            Style::General => self.general(value, marks, v.deviation, v.unit),
        }
    }

    /// The low, nominal and high marks: the UPS's variable, else the setting of that name.
    async fn marks(&self, client: &Client, ups: &str, v: &ImgVar) -> [i32; 3] {
        let mut out = [-1; 3];
        for (slot, name) in out.iter_mut().zip([v.min, v.nom, v.max]) {
            if let Some(name) = name {
                *slot = match client.get_var(ups, name).await {
                    Ok(value) => c_atoi(value.as_str()),
                    Err(_) => self.s.get(name),
                };
            }
        }
        out
    }
}

/// `upsimage.cgi` for one request.
pub async fn upsimage(req: &Request) -> Output {
    let mut painter = Painter {
        s: Settings(IMG_ARGS.map(|a| a.default)),
    };
    let mut host = None;
    let mut display = None;
    let args = match req.short_query_args(MAX_ARG) {
        Ok(args) => args,
        Err(e) => {
            let mut out = Output::default();
            out.eprint(&e.to_string());
            out.code = 1;
            return out;
        }
    };
    for (name, value) in args {
        match name.as_str() {
            "host" => host = Some(value),
            "display" => display = Some(value),
            _ => {
                painter.s.set(&name, &value);
            }
        }
    }
    let (Some(host), Some(display)) = (host, display) else {
        return painter.no_image("No host or display");
    };
    let mut log = Output::default();
    let Some(entry) = check_host(req, &host, &mut log) else {
        let mut out = painter.no_image("Access denied");
        out.stderr = log.stderr;
        return out;
    };
    let ups = entry.addr.ups().as_str().to_owned();
    let client = match connect(&entry.addr).await {
        Ok(c) => c,
        Err(e) => {
            return painter.no_image(&format!("Can't connect to server:\n{}\n", e.c_message()))
        }
    };
    let Some(v) = IMG_VARS.iter().find(|v| v.name == display) else {
        return painter.no_image("Unknown display");
    };
    let value = match client.get_var(&ups, v.name).await {
        Ok(value) => c_strtod(value.as_str()),
        Err(_) => return painter.no_image(&format!("{} N/A", v.name)),
    };
    let marks = painter.marks(&client, &ups, v).await;
    painter.draw(v, value, marks)
}
