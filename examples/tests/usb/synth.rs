//! Units made from a subdriver's own table, for the subdrivers no recorded unit in the test
//! data exercises: every HID path the table reads (variables, status bits, commands) becomes
//! a feature field of a report descriptor written here, with a plausible value. C's driver
//! and ours then read the same made-up unit, so the comparison is still against C.

use nut_drivers::usb::hid::{string_to_path, usage_name};
use nut_drivers::usb::hid_ups::subdriver::Subdriver;
use nut_drivers::usb::hid_ups::table::{HidInfo, Lookup, HU_ABSENT};

use super::{hex_bytes, Unit};

/// The USB identity of a made-up unit: ids its subdriver claims, strings, and extra
/// device-file lines (an interface number, endpoints).
pub(crate) struct Identity {
    pub(crate) vendor: u16,
    pub(crate) product: u16,
    pub(crate) manufacturer: &'static str,
    pub(crate) product_name: &'static str,
    pub(crate) extra: &'static str,
}

/// A feature field: its usage, size and logical range, and the value the unit holds.
#[derive(Debug, Clone)]
struct FieldSpec {
    usage: u32,
    bits: u32,
    min: i64,
    max: i64,
    value: i64,
    report: u8,
}

/// A node of the collection tree (a collection, or a field at a leaf).
#[derive(Debug)]
enum Node {
    Collection {
        usage: u32,
        index: Option<u8>,
        children: Vec<Self>,
    },
    Field(FieldSpec),
}

/// A path step: a usage, with the `[N]` index node that follows it, if any.
type Step = (u32, Option<u8>);

fn steps(path: &[u32]) -> Option<Vec<Step>> {
    let mut out: Vec<Step> = Vec::new();
    for node in path {
        if node & 0xFFFF_0000 == 0x00FF_0000 {
            let last = out.last_mut()?;
            if last.1.is_some() {
                return None;
            }
            last.1 = Some(u8::try_from(node & 0x7F).ok()?);
        } else {
            out.push((*node, None));
        }
    }
    // A field carries no index node.
    (out.last()?.1.is_none()).then_some(out)
}

/// Adds a field at `steps`; `false` when the tree already has that path, or a field where a
/// collection must go (or the other way round).
fn insert(nodes: &mut Vec<Node>, steps: &[Step], field: FieldSpec) -> bool {
    let Some(((usage, index), rest)) = steps.split_first() else {
        return false;
    };
    if rest.is_empty() {
        let taken = nodes.iter().any(|n| match n {
            Node::Collection { usage: u, .. } => u == usage,
            Node::Field(f) => f.usage == *usage,
        });
        if !taken {
            nodes.push(Node::Field(field));
        }
        return !taken;
    }
    if nodes
        .iter()
        .any(|n| matches!(n, Node::Field(f) if f.usage == *usage))
    {
        return false;
    }
    let pos = nodes.iter().position(
        |n| matches!(n, Node::Collection { usage: u, index: i, .. } if u == usage && i == index),
    );
    let pos = pos.unwrap_or_else(|| {
        nodes.push(Node::Collection {
            usage: *usage,
            index: *index,
            children: Vec::new(),
        });
        nodes.len() - 1
    });
    match &mut nodes[pos] {
        Node::Collection { children, .. } => insert(children, rest, field),
        Node::Field(_) => false,
    }
}

/// One short item with unsigned data in the fewest bytes.
fn item(out: &mut Vec<u8>, prefix: u8, data: u32) {
    match data {
        0..=0xFF => out.extend([prefix | 1, data as u8]),
        0x100..=0xFFFF => out.extend([prefix | 2, data as u8, (data >> 8) as u8]),
        _ => {
            out.push(prefix | 3);
            out.extend(data.to_le_bytes());
        }
    }
}

/// One short item with signed data in the fewest bytes.
fn signed_item(out: &mut Vec<u8>, prefix: u8, data: i64) {
    if let Ok(v) = i8::try_from(data) {
        out.extend([prefix | 1, v as u8]);
    } else if let Ok(v) = i16::try_from(data) {
        out.push(prefix | 2);
        out.extend(v.to_le_bytes());
    } else {
        out.push(prefix | 3);
        out.extend((data as i32).to_le_bytes());
    }
}

fn emit(nodes: &[Node], top: bool, out: &mut Vec<u8>) {
    for node in nodes {
        match node {
            Node::Collection {
                usage,
                index,
                children,
            } => {
                item(out, 0x04, usage >> 16);
                item(out, 0x08, usage & 0xFFFF);
                let kind = match (index, top) {
                    (Some(i), _) => 0x80 | u32::from(*i),
                    (None, true) => 0x01,
                    (None, false) => 0x00,
                };
                item(out, 0xA0, kind);
                emit(children, false, out);
                out.push(0xC0);
            }
            Node::Field(f) => {
                item(out, 0x04, f.usage >> 16);
                item(out, 0x84, u32::from(f.report));
                item(out, 0x74, f.bits);
                item(out, 0x94, 1);
                signed_item(out, 0x14, f.min);
                signed_item(out, 0x24, f.max);
                item(out, 0x08, f.usage & 0xFFFF);
                item(out, 0xB0, 0x02);
            }
        }
    }
}

fn fields<'a>(nodes: &'a [Node], out: &mut Vec<&'a FieldSpec>) {
    for node in nodes {
        match node {
            Node::Collection { children, .. } => fields(children, out),
            Node::Field(f) => out.push(f),
        }
    }
}

fn fields_mut<'a>(nodes: &'a mut [Node], out: &mut Vec<&'a mut FieldSpec>) {
    for node in nodes {
        match node {
            Node::Collection { children, .. } => fields_mut(children, out),
            Node::Field(f) => out.push(f),
        }
    }
}

/// Whether a status bit is set on a unit on mains, charging, with nothing wrong.
fn status_bit(name: &str) -> i64 {
    let on = [
        "ACPresent",
        "Charging",
        "BatteryPresent",
        "Good",
        "Present",
        "InternalFailure0",
    ];
    i64::from(on.iter().any(|n| n.eq_ignore_ascii_case(name)))
}

/// A plausible number for a field named `name` under `path` (the `n`th field).
fn number(name: &str, path: &str, n: usize) -> i64 {
    let battery = path.contains("Battery");
    match name {
        "RemainingCapacity" => 95,
        "FullChargeCapacity" | "DesignCapacity" => 100,
        "RemainingCapacityLimit" => 10,
        "WarningCapacityLimit" => 20,
        "RunTimeToEmpty" | "RuntimeToEmpty" => 1800,
        "RemainingTimeLimit" => 120,
        "Voltage" if battery => 27,
        "ConfigVoltage" if battery => 24,
        "Voltage" | "ConfigVoltage" => 230,
        "HighVoltageTransfer" => 264,
        "LowVoltageTransfer" => 184,
        "Frequency" | "ConfigFrequency" => 50,
        "PercentLoad" => 23,
        "Temperature" => 300,
        "Current" | "ConfigCurrent" => 2,
        "ActivePower" | "ApparentPower" => 345,
        "ConfigActivePower" | "ConfigApparentPower" => 1000,
        n if n.starts_with("DelayBefore") => -1,
        n if n.contains("Date") => (2019 - 1980) * 512 + 3 * 32 + 5,
        _ => 10 + (n % 50) as i64,
    }
}

impl Unit {
    /// A unit with every path of `sub`'s table, claimed by `sub` through `id`.
    pub(crate) fn synthetic(sub: &Subdriver, id: &Identity) -> Self {
        let mut tree: Vec<Node> = Vec::new();
        let mut strings: Vec<(u8, String)> = Vec::new();
        let mut n = 0usize;
        for info in sub.table {
            if info.hu_flags & HU_ABSENT != 0 {
                continue;
            }
            let Some(path) = string_to_path(info.path, sub.usages) else {
                continue;
            };
            let Some(steps) = steps(&path) else {
                continue;
            };
            let Some(&(usage, _)) = steps.last() else {
                continue;
            };
            let name = usage_name(usage, sub.usages).unwrap_or_default();
            // The other entries on the same path say what kind of value it holds.
            let same: Vec<&HidInfo> = sub
                .table
                .iter()
                .filter(|i| i.path.eq_ignore_ascii_case(info.path))
                .collect();
            let string_index = same.iter().any(|i| {
                matches!(
                    i.lookup,
                    Some(Lookup::StringIndex | Lookup::StringIndexOr(_) | Lookup::StringWith(_))
                )
            });
            let table_value = same.iter().find_map(|i| match i.lookup {
                Some(Lookup::Table(t)) if !t.is_empty() => Some(t[1.min(t.len() - 1)].0),
                _ => None,
            });
            let (bits, min, max, value) = if same.iter().any(|i| i.var == "BOOL") {
                (8, 0, 1, status_bit(name))
            } else if string_index {
                let index = 10 + u8::try_from(strings.len()).unwrap_or(200);
                (8, 0, 255, i64::from(index))
            } else if let Some(v) = table_value {
                (16, v.min(0), v.max(32767), v)
            } else {
                let v = number(name, info.path, n);
                (16, v.min(0), 32767, v)
            };
            let field = FieldSpec {
                usage,
                bits,
                min,
                max,
                value,
                report: 0,
            };
            if insert(&mut tree, &steps, field) {
                n += 1;
                if string_index {
                    let index = 10 + u8::try_from(strings.len()).unwrap_or(200);
                    strings.push((index, format!("{name} 1.0")));
                }
            }
        }
        // One report per field while ids last, else several fields per report.
        let mut all = Vec::new();
        fields_mut(&mut tree, &mut all);
        let per = all.len().div_ceil(254).max(1);
        for (i, f) in all.iter_mut().enumerate() {
            f.report = u8::try_from(1 + i / per).unwrap_or(255);
        }
        let mut descriptor = Vec::new();
        emit(&tree, true, &mut descriptor);
        let mut list = Vec::new();
        fields(&tree, &mut list);
        let mut reports: std::collections::BTreeMap<u8, Vec<u8>> = Default::default();
        for f in &list {
            let bytes = reports.entry(f.report).or_insert_with(|| vec![f.report]);
            let raw = (f.value as u64) & ((1u64 << f.bits) - 1);
            bytes.extend(raw.to_le_bytes().iter().take(f.bits as usize / 8));
        }
        let mut text = format!(
            "vendor-id {:04x}\nproduct-id {:04x}\nmanufacturer \"{}\"\nproduct \"{}\"\nserial \"SYN0001\"\n{}",
            id.vendor, id.product, id.manufacturer, id.product_name, id.extra
        );
        for (index, s) in &strings {
            text.push_str(&format!("string {index} \"{s}\"\n"));
        }
        text.push_str(&format!("report-descriptor {}\n", hex_bytes(&descriptor)));
        for bytes in reports.values() {
            text.push_str(&format!("feature {}\n", hex_bytes(bytes)));
        }
        Self {
            name: format!("made-up unit of {}", sub.name),
            text,
            descriptor,
        }
    }
}
