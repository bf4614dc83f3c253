//! UPScode II replies as C's `upscode2` reads them, without I/O: a reply is a list of
//! lines, code and value in turn (`MIUL1`, `230.0`, …), whose tables ([`SIMPLE`] for
//! `UPDS`, [`NOMINAL`] for `UPDV`, [`BATTERY`] for `UPBS`) say what each code sets; the
//! last code of each table (`MOFFF`, `NOFLL`, `BDAT8`) ends the reply. Numbers are read
//! and scaled as C's `float`s and printed with two decimals.
//!
//! ```
//! use nut_drivers::upscode2::reply::{apply, Readings, Table};
//!
//! let mut r = Readings::default();
//! let mut set = Vec::new();
//! assert!(apply(Table::Simple, "MOPL1", "1.81", &mut r, &mut set));
//! assert_eq!(set, [("output.realpower".to_owned(), "1810.00".to_owned())]);
//! assert!(apply(Table::Simple, "STBO", "11", &mut r, &mut set));
//! assert_eq!(r.status, nut_drivers::upscode2::reply::ONBATT);
//! assert!(!r.end);
//! assert!(apply(Table::Simple, "MOFFF", "50.0", &mut r, &mut set));
//! assert!(r.end);
//! ```

/// Status bit: on line.
pub const ONLINE: u32 = 1 << 0;
/// Status bit: on battery.
pub const ONBATT: u32 = 1 << 1;
/// Status bit: battery low.
pub const LOBATT: u32 = 1 << 2;
/// Status bit: replace battery.
pub const REPLACEBATT: u32 = 1 << 3;
/// Status bit: boosting a low input.
pub const BOOST: u32 = 1 << 4;
/// Status bit: trimming a high input.
pub const TRIM: u32 = 1 << 5;
/// Status bit: overload.
pub const OVERLOAD: u32 = 1 << 6;
/// Status bit: calibrating.
pub const CALIBRATION: u32 = 1 << 7;
/// Status bit: output off.
pub const OFF: u32 = 1 << 8;
/// Status bit: on bypass.
pub const BYPASS: u32 = 1 << 9;

/// The NUT status words of the status bits, in C's order.
pub fn status_words(status: u32) -> Vec<&'static str> {
    [
        (ONLINE, "OL"),
        (ONBATT, "OB"),
        (LOBATT, "LB"),
        (REPLACEBATT, "RB"),
        (BOOST, "BOOST"),
        (TRIM, "TRIM"),
        (OVERLOAD, "OVER"),
        (CALIBRATION, "CAL"),
        (OFF, "OFF"),
        (BYPASS, "BYPASS"),
    ]
    .iter()
    .filter(|(bit, _)| status & bit != 0)
    .map(|&(_, w)| w)
    .collect()
}

/// A number the driver keeps for its own calculations (C's `aux` variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// `BTIME`: runtime in minutes.
    Runtime,
    /// `MBCH1`: battery charge.
    Charge,
    /// `MBIII`: battery current.
    Current,
    /// `MBUUU`: battery voltage.
    Volt,
    /// `NBAHN`: nominal capacity (Ah).
    CapacityNominal,
    /// `NBILL`: maximum discharge current.
    DischargeMax,
    /// `NBTHH`: maximum runtime (minutes).
    RuntimeMax,
    /// `NBUHH`: battery voltage maximum.
    VoltHigh,
    /// `NBULL`: battery voltage minimum.
    VoltLow,
    /// `NBUNN`: nominal battery voltage.
    VoltNominal,
    /// `NOIHH`: maximum output current.
    OutCurrentMax,
    /// `NOINN`: nominal output current.
    OutCurrentNominal,
}

/// What a value is multiplied by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// As read.
    One,
    /// kW to W (C's `kilo_to_unity`).
    Kilo,
    /// C's `outpwr_factor`: 1000, or 3000 on most three-phase units.
    OutputPower,
}

/// What a code does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing.
    Ignore,
    /// A number for the variable.
    Value(Scale),
    /// A number for the variable, and the end of the reply.
    Final,
    /// A text for the variable.
    Text,
    /// A text for the variable, and the end of the reply.
    FinalText,
    /// A number kept by the driver (and for the variable, if any).
    Keep(Keep),
    /// A status bit when the value is `11`.
    Status(u32),
    /// An alarm (sets no bit).
    Alarm,
    /// The value is a code of a sub-table.
    List(Table),
}

/// A code of a table, what it does, and its variable.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The code.
    pub code: &'static str,
    /// What it does.
    pub kind: Kind,
    /// The variable (or, for alarms, a description).
    pub var: Option<&'static str>,
}

/// The tables of codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `UPDS` (measures and status).
    Simple,
    /// `UPDV` (nominal values).
    Nominal,
    /// `UPBS` (battery strings).
    Battery,
    /// `STAT` and `STMF` values (alarms).
    Alarms,
    /// `STLR` values (regulation).
    Regulation,
    /// `STEA` and `STEM` values (environment).
    Environment,
}

const fn e(code: &'static str, kind: Kind, var: Option<&'static str>) -> Entry {
    Entry { code, kind, var }
}
const fn v(code: &'static str, var: &'static str) -> Entry {
    e(code, Kind::Value(Scale::One), Some(var))
}
const fn ign(code: &'static str) -> Entry {
    e(code, Kind::Ignore, None)
}
const fn alarm(code: &'static str, desc: &'static str) -> Entry {
    e(code, Kind::Alarm, Some(desc))
}

/// Alarm codes (`STAT`, `STMF`).
pub const ALARMS: &[Entry] = &[
    ign("00"),
    alarm("AC", "Aux contact failure"),
    alarm("BA", "Batteries disconnected"),
    alarm("BC", "Backfeed contact failure"),
    alarm("BD", "Abnormal battery discharge"),
    alarm("BF", "Battery fuse failure"),
    e("BL", Kind::Status(LOBATT), Some("Battery low limit")),
    alarm("BO", "Battery over voltage"),
    alarm("BP", "Bypass fuse failure"),
    alarm("BR", "Abnormal battery recharge"),
    alarm("BT", "Battery over temperature"),
    alarm("BX", "Bypass unavailable"),
    alarm("BY", "Battery failure"),
    alarm("CE", "Configuration error"),
    alarm("CM", "Battery converter failure"),
    alarm("CT", "Cabinet over temperature"),
    alarm("DO", "DC over voltage"),
    alarm("DU", "DC under voltage"),
    alarm("EP", "Emergency power off"),
    alarm("FF", "Fan failure"),
    alarm("FH", "Line frequency high"),
    alarm("FL", "Line frequency low"),
    alarm("FT", "Filter over temperature"),
    alarm("GF", "Ground failure"),
    alarm("HT", "Charger over temperature"),
    alarm("IB", "Internal data bus failure"),
    alarm("IF", "Inverter fuse failure"),
    alarm("IM", "Inverter failure"),
    alarm("IO", "Inverter over voltage"),
    alarm("IP", "Internal power supply failure"),
    alarm("IT", "Inverter over temperature"),
    alarm("IU", "Inverter under voltage"),
    alarm("IV", "Inverter off"),
    alarm("LR", "Loss of redundancy"),
    alarm("NF", "Neutral fault"),
    e("OD", Kind::Status(OFF), Some("UPS not supplying load")),
    alarm("OF", "Oscillator failure"),
    e("OL", Kind::Status(OVERLOAD), Some("Overload")),
    alarm("OR", "Redundancy overload"),
    alarm("OV", "Abnormal output voltage"),
    alarm("OW", "Output failure"),
    alarm("PB", "Parallel bus failure"),
    alarm("PE", "Phase rotation error"),
    alarm("RE", "Rectifier off"),
    alarm("RF", "Rectifier fuse failure"),
    alarm("RM", "Rectifier failure"),
    alarm("RT", "Rectifier over temperature"),
    alarm("SM", "Static switch failure"),
    alarm("ST", "Static switch over temperature"),
    alarm("TT", "Trafo over temperature"),
    alarm("UD", "UPS disabled"),
    alarm("UO", "Utility over voltage"),
    alarm("US", "Unsynchronized"),
    alarm("UU", "Utility under voltage"),
    alarm("VE", "internal voltage error"),
];

/// Regulation codes (`STLR`).
pub const REGULATION: &[Entry] = &[
    ign("NO"),
    e("SD", Kind::Status(TRIM), None),
    e("SU", Kind::Status(BOOST), None),
    e("DU", Kind::Status(BOOST), None),
];

/// Environment codes (`STEA`, `STEM`): all ignored.
pub const ENVIRONMENT: &[Entry] = &[
    ign("HH"),
    ign("HL"),
    ign("TH"),
    ign("TL"),
    ign("01"),
    ign("02"),
    ign("03"),
    ign("04"),
    ign("05"),
    ign("06"),
    ign("07"),
    ign("08"),
    ign("09"),
];

/// `UPDS`: status and measures; `MOFFF` ends it.
pub const SIMPLE: &[Entry] = &[
    e("STAT", Kind::List(Table::Alarms), None),
    e("STBO", Kind::Status(ONBATT), None),
    e("STBL", Kind::Status(LOBATT), None),
    ign("STBM"),
    e("STBP", Kind::Status(BYPASS), None),
    e("STEA", Kind::List(Table::Environment), None),
    e("STEM", Kind::List(Table::Environment), None),
    e("STLR", Kind::List(Table::Regulation), None),
    e("STMF", Kind::List(Table::Alarms), None),
    ign("STOK"),
    e("STUF", Kind::Status(ONBATT), None),
    e("BTIME", Kind::Keep(Keep::Runtime), None),
    v("METE1", "ambient.temperature"),
    v("MERH1", "ambient.humidity"),
    v("MIFFF", "input.frequency"),
    v("MIIL1", "input.current"),
    v("MIIL2", "input.L2.current"),
    v("MIIL3", "input.L3.current"),
    v("MIPL1", "input.realpower"),
    v("MIPL2", "input.L2.realpower"),
    v("MIPL3", "input.L3.realpower"),
    v("MISL1", "input.power"),
    v("MISL2", "input.L2.power"),
    v("MISL3", "input.L3.power"),
    v("MIUL1", "input.voltage"),
    v("MIUL2", "input.L2-N.voltage"),
    v("MIUL3", "input.L3-N.voltage"),
    v("MIU12", "input.L1-L2.voltage"),
    v("MIU23", "input.L2-L3.voltage"),
    v("MIU31", "input.L3-L1.voltage"),
    e("MBCH1", Kind::Keep(Keep::Charge), None),
    e("MBIII", Kind::Keep(Keep::Current), Some("battery.current")),
    ign("MBINE"),
    ign("MBIPO"),
    ign("MBUNE"),
    ign("MBUPO"),
    e("MBUUU", Kind::Keep(Keep::Volt), Some("battery.voltage")),
    ign("MLUNE"),
    ign("MLUPO"),
    ign("MLUUU"),
    e("MOFFF", Kind::Final, Some("output.frequency")),
    v("MOIL1", "output.current"),
    v("MOIL2", "output.L2.current"),
    v("MOIL3", "output.L3.current"),
    v("MOIP1", "output.current.peak"),
    v("MOIP2", "output.L2.current.peak"),
    v("MOIP3", "output.L3.current.peak"),
    e("MOPL1", Kind::Value(Scale::Kilo), Some("output.realpower")),
    e(
        "MOPL2",
        Kind::Value(Scale::Kilo),
        Some("output.L2.realpower"),
    ),
    e(
        "MOPL3",
        Kind::Value(Scale::Kilo),
        Some("output.L3.realpower"),
    ),
    v("MOSL1", "output.power"),
    v("MOSL2", "output.L2.power"),
    v("MOSL3", "output.L3.power"),
    v("MOUL1", "output.voltage"),
    v("MOUL2", "output.L2-N.voltage"),
    v("MOUL3", "output.L3-N.voltage"),
    v("MOU12", "output.L1-L2.voltage"),
    v("MOU23", "output.L2-L3.voltage"),
    v("MOU31", "output.L3-L1.voltage"),
    v("MPUL1", "input.bypass.L1-N.voltage"),
    v("MPUL2", "input.bypass.L2-N.voltage"),
    v("MPUL3", "input.bypass.L3-N.voltage"),
    v("MUTE1", "ups.temperature"),
];

/// `UPDV`: nominal values; `NOFLL` ends it.
pub const NOMINAL: &[Entry] = &[
    v("NIUHH", "input.voltage.maximum"),
    v("NIULL", "input.voltage.minimum"),
    v("NIUNN", "input.voltage.nominal"),
    v("NIIHH", "input.current.maximum"),
    v("NIILL", "input.current.minimum"),
    v("NIINN", "input.current.nominal"),
    v("NIPHH", "input.realpower.maximum"),
    v("NIPNN", "input.realpower.nominal"),
    v("NISHH", "input.power.maximum"),
    v("NISNN", "input.power.nominal"),
    e(
        "NBAHN",
        Kind::Keep(Keep::CapacityNominal),
        Some("battery.capacity.nominal"),
    ),
    ign("NBIHH"),
    e("NBILL", Kind::Keep(Keep::DischargeMax), None),
    v("NBINN", "battery.current.nominal"),
    e("NBTHH", Kind::Keep(Keep::RuntimeMax), None),
    e(
        "NBUHH",
        Kind::Keep(Keep::VoltHigh),
        Some("battery.voltage.maximum"),
    ),
    e(
        "NBULL",
        Kind::Keep(Keep::VoltLow),
        Some("battery.voltage.minimum"),
    ),
    e(
        "NBUNN",
        Kind::Keep(Keep::VoltNominal),
        Some("battery.voltage.nominal"),
    ),
    v("NOFHH", "output.frequency.maximum"),
    e("NOFLL", Kind::Final, Some("output.frequency.minimum")),
    e(
        "NOIHH",
        Kind::Keep(Keep::OutCurrentMax),
        Some("output.current.maximum"),
    ),
    e(
        "NOINN",
        Kind::Keep(Keep::OutCurrentNominal),
        Some("output.current.nominal"),
    ),
    e(
        "NOPNN",
        Kind::Value(Scale::OutputPower),
        Some("output.realpower.nominal"),
    ),
    e(
        "NOSNN",
        Kind::Value(Scale::OutputPower),
        Some("ups.power.nominal"),
    ),
    v("NOUHH", "output.voltage.maximum"),
    v("NOULL", "output.voltage.minimum"),
    v("NOUNN", "output.voltage.nominal"),
    v("NUTEH", "ups.temperature.maximum"),
];

/// `UPBS`: up to eight battery strings; `BDAT8` ends it.
pub const BATTERY: &[Entry] = &[
    v("MBTE1", "battery.1.temperature"),
    ign("MBIN1"),
    e("BDAT1", Kind::Text, Some("battery.1.date")),
    // C's name for the second string's temperature.
    v("MBTE2", "battery.2.temperature.2"),
    ign("MBIN2"),
    e("BDAT2", Kind::Text, Some("battery.2.date")),
    v("MBTE3", "battery.3.temperature"),
    ign("MBIN3"),
    e("BDAT3", Kind::Text, Some("battery.3.date")),
    v("MBTE4", "battery.4.temperature"),
    ign("MBIN4"),
    e("BDAT4", Kind::Text, Some("battery.4.date")),
    v("MBTE5", "battery.5.temperature"),
    ign("MBIN5"),
    e("BDAT5", Kind::Text, Some("battery.5.date")),
    v("MBTE6", "battery.6.temperature"),
    ign("MBIN6"),
    e("BDAT6", Kind::Text, Some("battery.6.date")),
    v("MBTE7", "battery.7.temperature"),
    ign("MBIN7"),
    e("BDAT7", Kind::Text, Some("battery.7.date")),
    v("MBTE8", "battery.8.temperature"),
    ign("MBIN8"),
    e("BDAT8", Kind::FinalText, Some("battery.8.date")),
];

impl Table {
    /// The entries of the table.
    pub fn entries(self) -> &'static [Entry] {
        match self {
            Self::Simple => SIMPLE,
            Self::Nominal => NOMINAL,
            Self::Battery => BATTERY,
            Self::Alarms => ALARMS,
            Self::Regulation => REGULATION,
            Self::Environment => ENVIRONMENT,
        }
    }
}

/// What the replies leave for the driver's calculations: C's static `float`s (-1 or 0
/// when unknown, as C), the status bits of this poll, whether the reply ended, the
/// renamed variables of a three-phase unit and the output power factor.
#[derive(Debug, Clone, PartialEq)]
pub struct Readings {
    /// Battery voltage minimum.
    pub volt_low: f32,
    /// Nominal battery voltage.
    pub volt_nominal: f32,
    /// Battery voltage maximum.
    pub volt_high: f32,
    /// Battery voltage.
    pub volt: f32,
    /// Nominal battery capacity.
    pub capacity_nominal: f32,
    /// Battery charge of this poll.
    pub charge: f32,
    /// Battery current.
    pub current: f32,
    /// Maximum discharge current.
    pub discharge_max: f32,
    /// Runtime of this poll (minutes).
    pub runtime: f32,
    /// Maximum runtime (minutes).
    pub runtime_max: f32,
    /// Output power factor (C's `outpwr_factor`).
    pub output_power_factor: f32,
    /// Nominal output current.
    pub out_current_nominal: f32,
    /// Maximum output current.
    pub out_current_max: f32,
    /// Status bits.
    pub status: u32,
    /// Whether the final code of a table came.
    pub end: bool,
    /// Variables renamed (C's `change_name`): old name, new name.
    pub renamed: Vec<(&'static str, &'static str)>,
}

impl Default for Readings {
    fn default() -> Self {
        Self {
            volt_low: 0.0,
            volt_nominal: 0.0,
            volt_high: 0.0,
            volt: 0.0,
            capacity_nominal: -1.0,
            charge: -1.0,
            current: -1.0,
            discharge_max: 0.0,
            runtime: -1.0,
            runtime_max: -1.0,
            output_power_factor: 1000.0,
            out_current_nominal: -1.0,
            out_current_max: -1.0,
            status: 0,
            end: false,
            renamed: Vec::new(),
        }
    }
}

impl Readings {
    fn keep(&mut self, k: Keep) -> &mut f32 {
        match k {
            Keep::Runtime => &mut self.runtime,
            Keep::Charge => &mut self.charge,
            Keep::Current => &mut self.current,
            Keep::Volt => &mut self.volt,
            Keep::CapacityNominal => &mut self.capacity_nominal,
            Keep::DischargeMax => &mut self.discharge_max,
            Keep::RuntimeMax => &mut self.runtime_max,
            Keep::VoltHigh => &mut self.volt_high,
            Keep::VoltLow => &mut self.volt_low,
            Keep::VoltNominal => &mut self.volt_nominal,
            Keep::OutCurrentMax => &mut self.out_current_max,
            Keep::OutCurrentNominal => &mut self.out_current_nominal,
        }
    }

    /// The name a variable has now (after a rename).
    pub fn name(&self, var: &'static str) -> &'static str {
        self.renamed
            .iter()
            .find(|(old, _)| *old == var)
            .map_or(var, |&(_, new)| new)
    }
}

/// C's `sscanf(s, "%f", &f)`: spaces, then a decimal number, read as a `float`.
pub fn scan_f32(s: &str) -> Option<f32> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if int + frac > 0 {
            i += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let exp = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp > 0 {
            i = j + exp;
        }
    }
    t[..i].parse::<f32>().ok()
}

/// A C `float` printed with `%.<prec>f`.
pub fn fixed(x: f32, prec: usize) -> String {
    crate::printf::printf_number(&format!("%.{prec}f"), f64::from(x))
}

/// C's `upsc_simple`: what `code` with `value` does in `table`; the variables it sets are
/// appended to `set`. `false` when the code is not in the table.
pub fn apply(
    table: Table,
    code: &str,
    value: &str,
    r: &mut Readings,
    set: &mut Vec<(String, String)>,
) -> bool {
    let Some(entry) = table.entries().iter().find(|e| e.code == code) else {
        return false;
    };
    let var = entry.var.map(|v| r.name(v));
    match entry.kind {
        Kind::Keep(k) => {
            let f = scan_f32(value);
            if f.is_none() {
                tracing::error!("Bad float: {code} {value}");
            }
            // C keeps whatever its stack held; here the value reads as 0.
            let f = f.unwrap_or(0.0);
            if let Some(var) = var {
                set.push((var.to_owned(), fixed(f, 2)));
            }
            *r.keep(k) = f;
        }
        Kind::Final | Kind::Value(_) => {
            if entry.kind == Kind::Final {
                r.end = true;
            }
            let Some(var) = var else { return true };
            match scan_f32(value) {
                Some(mut f) => {
                    match entry.kind {
                        Kind::Value(Scale::Kilo) => f *= 1000.0,
                        Kind::Value(Scale::OutputPower) => f *= r.output_power_factor,
                        _ => {}
                    }
                    set.push((var.to_owned(), fixed(f, 2)));
                }
                None => {
                    tracing::error!("Bad float in {code}: {value}");
                    set.push((var.to_owned(), value.to_owned()));
                }
            }
        }
        Kind::Text | Kind::FinalText => {
            if entry.kind == Kind::FinalText {
                r.end = true;
            }
            if let Some(var) = var {
                set.push((var.to_owned(), value.to_owned()));
            }
        }
        Kind::Status(bit) => match value {
            "00" => {}
            "11" => r.status |= bit,
            _ => tracing::error!("Unknown status value: '{code}' '{value}'"),
        },
        Kind::Alarm => match value {
            "00" | "11" => {}
            _ => tracing::error!("Unknown alarm value: '{code}' '{value}'"),
        },
        Kind::Ignore => tracing::trace!("Ignored value: {code} {value}"),
        Kind::List(sub) => {
            if !apply(sub, value, "11", r, set) {
                tracing::error!("Unknown value: {code} {value}");
            }
        }
    }
    true
}

/// C's `batt_charge_pct`: the charge estimated from the battery current (averaged over
/// the last 60 polls in `history`) or from the battery voltage between its limits.
pub fn charge_estimate(r: &Readings, history: &mut BatteryHistory) -> f32 {
    let mut chg;
    if r.current >= 0.0 {
        let mut maxcurr: f32 = 10.0;
        history.push(r.current);
        let avg = history.average();
        if r.capacity_nominal > 0.0 {
            maxcurr = r.capacity_nominal * 0.3;
        }
        chg = maxcurr - avg;
        chg *= 100.0 / maxcurr;
    } else if r.volt_low > 0.0 && r.volt_high > 0.0 && r.volt > 0.0 {
        if r.volt > r.volt_high {
            chg = 100.0;
        } else if r.volt < r.volt_low {
            chg = 0.0;
        } else {
            chg = (r.volt - r.volt_low) / (r.volt_high - r.volt_low);
            chg *= 100.0;
        }
    } else {
        return -1.0;
    }
    chg.clamp(0.0, 100.0)
}

/// The last 60 battery currents (C's `batthist`).
#[derive(Debug, Clone, PartialEq)]
pub struct BatteryHistory {
    values: [f32; 60],
    count: usize,
    next: usize,
}

impl Default for BatteryHistory {
    fn default() -> Self {
        Self {
            values: [0.0; 60],
            count: 0,
            next: 0,
        }
    }
}

impl BatteryHistory {
    /// Forgets the history (C does so while discharging).
    pub fn reset(&mut self) {
        self.count = 0;
        self.next = 0;
    }

    fn push(&mut self, x: f32) {
        self.values[self.next] = x;
        self.next = (self.next + 1) % self.values.len();
        if self.count < self.values.len() {
            self.count += 1;
        }
    }

    fn average(&self) -> f32 {
        let mut sum: f32 = 0.0;
        for x in &self.values[..self.count] {
            sum += x;
        }
        sum / self.count as f32
    }
}

/// C's estimate of the runtime (seconds) from the load when the unit gives none:
/// Peukert's equation on the nominal capacity, at most the unit's maximum runtime.
pub fn runtime_estimate(r: &Readings, load: f32) -> f32 {
    let current = (f64::from(load) * f64::from(r.discharge_max).abs()) as f32;
    let mut runtime =
        (f64::from(r.capacity_nominal * 3600.0) / f64::from(current).powf(1.35)) as f32;
    if r.runtime_max > 0.0 && runtime > r.runtime_max * 60.0 {
        runtime = r.runtime_max * 60.0;
    }
    runtime
}

/// C's `sscanf(s, "P%2d", &n)` on an `UPPM` line: the parameter number.
pub fn uppm_parameter(line: &str) -> Option<i32> {
    let rest = line.strip_prefix('P')?;
    let rest = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = rest.as_bytes();
    let take: Vec<u8> = b.iter().take(2).copied().collect();
    let sign = usize::from(matches!(take.first(), Some(b'-' | b'+')));
    let digits = take[sign..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    std::str::from_utf8(&take[..sign + digits])
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_statuses() {
        let mut r = Readings::default();
        let mut set = Vec::new();
        assert!(apply(Table::Simple, "STAT", "BL", &mut r, &mut set));
        assert!(apply(Table::Simple, "STLR", "SU", &mut r, &mut set));
        assert!(apply(Table::Simple, "STAT", "ZZ", &mut r, &mut set));
        assert_eq!(status_words(r.status), ["LB", "BOOST"]);
        assert!(!apply(Table::Simple, "XXXX", "1", &mut r, &mut set));
        assert!(apply(Table::Simple, "MIUL1", "abc", &mut r, &mut set));
        assert!(apply(Table::Nominal, "NOSNN", "1.5", &mut r, &mut set));
        assert!(apply(Table::Nominal, "NBUHH", "28.2", &mut r, &mut set));
        assert_eq!(
            set,
            [
                ("input.voltage".to_owned(), "abc".to_owned()),
                ("ups.power.nominal".to_owned(), "1500.00".to_owned()),
                ("battery.voltage.maximum".to_owned(), "28.20".to_owned()),
            ]
        );
        assert_eq!(r.volt_high, 28.2);
        assert!(apply(Table::Battery, "BDAT8", "2020", &mut r, &mut set));
        assert!(r.end);
    }

    #[test]
    fn estimates() {
        let r = Readings {
            volt_low: 40.0,
            volt_high: 56.4,
            volt: 55.2,
            ..Readings::default()
        };
        let mut h = BatteryHistory::default();
        assert_eq!(fixed(charge_estimate(&r, &mut h), 1), "92.7");
        let r = Readings {
            current: 0.5,
            capacity_nominal: 17.0,
            ..Readings::default()
        };
        assert_eq!(fixed(charge_estimate(&r, &mut h), 1), "90.2");
        let r = Readings {
            capacity_nominal: 7.2,
            discharge_max: -20.0,
            runtime_max: 10.0,
            ..Readings::default()
        };
        assert_eq!(fixed(runtime_estimate(&r, 0.5), 0), "600");
        assert_eq!(uppm_parameter("P05"), Some(5));
        assert_eq!(uppm_parameter("P123"), Some(12));
        assert_eq!(uppm_parameter("Q1"), None);
        assert_eq!(scan_f32(" 12.5x"), Some(12.5));
        assert_eq!(scan_f32("."), None);
    }
}
