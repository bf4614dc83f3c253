//! The device file: one emulated USB device described in our own line-based text format
//! (see the crate README), its parser and its writer.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::hex;
use crate::q1_bridge::Bridge;
use crate::script::{self, Command, Word};

/// The transfer type of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// Interrupt endpoint (HID reports).
    Interrupt,
    /// Bulk endpoint (serial bridges).
    Bulk,
}

/// One endpoint of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// bEndpointAddress (0x81 = IN 1).
    pub address: u8,
    /// Transfer type.
    pub kind: EndpointKind,
    /// wMaxPacketSize.
    pub max_packet: u16,
    /// bInterval.
    pub interval: u8,
}

/// What GET_REPORT of a report id the device does not know answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownReport {
    /// A zero-filled report of the requested length, its id in the first byte.
    Zero,
    /// A protocol stall (LIBUSB_ERROR_PIPE).
    Stall,
}

/// A scripted answer to a control request that is not a standard or HID class request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRule {
    /// bmRequestType.
    pub request_type: u8,
    /// bRequest.
    pub request: u8,
    /// wValue.
    pub value: u16,
    /// wIndex.
    pub index: u16,
    /// Bytes answered to an IN request, or `None` for a stall.
    pub answer: Option<Vec<u8>>,
}

/// A scripted reply of a serial bridge: OUT data starting with `request` queues `answer` for
/// the next IN transfer of the same kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRule {
    /// Prefix of the OUT data.
    pub request: Vec<u8>,
    /// Bytes queued for IN.
    pub answer: Vec<u8>,
}

/// One emulated USB device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSpec {
    /// idVendor.
    pub vendor_id: u16,
    /// idProduct.
    pub product_id: u16,
    /// bcdDevice (device release number).
    pub bcd_device: u16,
    /// bcdUSB.
    pub bcd_usb: u16,
    /// bDeviceClass, bDeviceSubClass, bDeviceProtocol.
    pub device_class: [u8; 3],
    /// Bus number.
    pub bus: u8,
    /// Device address on the bus.
    pub address: u8,
    /// Port numbers from the root hub.
    pub port_path: Vec<u8>,
    /// libusb speed code (0 unknown, 1 low, 2 full, 3 high, 4 super).
    pub speed: u8,
    /// String index of the manufacturer (0: none).
    pub i_manufacturer: u8,
    /// String index of the product (0: none).
    pub i_product: u8,
    /// String index of the serial number (0: none).
    pub i_serial: u8,
    /// String descriptors by index.
    pub strings: BTreeMap<u8, String>,
    /// bNumConfigurations: every configuration index below it gives the same configuration.
    pub configurations: u8,
    /// bInterfaceNumber.
    pub interface_number: u8,
    /// bInterfaceClass, bInterfaceSubClass, bInterfaceProtocol.
    pub interface_class: [u8; 3],
    /// Endpoints of the interface.
    pub endpoints: Vec<Endpoint>,
    /// bcdHID of the HID class descriptor.
    pub hid_version: u16,
    /// bCountryCode of the HID class descriptor.
    pub hid_country: u8,
    /// The HID report descriptor.
    pub report_descriptor: Vec<u8>,
    /// Feature reports by id, as sent on the wire (id byte first unless the id is 0).
    pub features: BTreeMap<u8, Vec<u8>>,
    /// Input reports by id, as sent on the wire.
    pub inputs: BTreeMap<u8, Vec<u8>>,
    /// Answer to GET_REPORT of an unknown id.
    pub unknown_report: UnknownReport,
    /// Scripted control answers.
    pub controls: Vec<ControlRule>,
    /// Scripted serial-bridge replies.
    pub replies: Vec<ReplyRule>,
    /// Timed changes, in file order.
    pub script: Vec<(Duration, Command)>,
    /// The script restarts after this period.
    pub repeat: Option<Duration>,
    /// A USB-to-serial bridge in front of a simulated Q1 UPS (`q1-bridge`).
    pub q1_bridge: Option<Bridge>,
    /// The simulator's socket the bridge forwards its commands to (`q1-socket`).
    pub q1_socket: Option<PathBuf>,
}

impl Default for DeviceSpec {
    fn default() -> Self {
        Self {
            vendor_id: 0,
            product_id: 0,
            bcd_device: 0x0100,
            bcd_usb: 0x0110,
            device_class: [0, 0, 0],
            bus: 1,
            address: 2,
            port_path: vec![1],
            speed: 2,
            i_manufacturer: 0,
            i_product: 0,
            i_serial: 0,
            strings: BTreeMap::new(),
            configurations: 1,
            interface_number: 0,
            interface_class: [3, 0, 0],
            endpoints: vec![Endpoint {
                address: 0x81,
                kind: EndpointKind::Interrupt,
                max_packet: 8,
                interval: 10,
            }],
            hid_version: 0x0110,
            hid_country: 0,
            report_descriptor: Vec::new(),
            features: BTreeMap::new(),
            inputs: BTreeMap::new(),
            unknown_report: UnknownReport::Zero,
            controls: Vec::new(),
            replies: Vec::new(),
            script: Vec::new(),
            repeat: None,
            q1_bridge: None,
            q1_socket: None,
        }
    }
}

/// A device file that could not be read, with its origin and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// File name (or `<input>`).
    pub file: String,
    /// 1-based line number (0 when the whole file is at fault).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

/// Splits report bytes written id first into the id and the bytes as sent on the wire.
pub fn split_report(bytes: &[u8]) -> Option<(u8, Vec<u8>)> {
    let (&id, rest) = bytes.split_first()?;
    if id == 0 {
        Some((0, rest.to_vec()))
    } else {
        Some((id, bytes.to_vec()))
    }
}

/// Where continuation lines of hex bytes go.
#[derive(Clone, Copy)]
enum Sink {
    Descriptor,
    Feature(u8),
    Input(u8),
}

fn byte(word: &Word) -> Result<u8, String> {
    hex::parse_number(&word.text, 0xff).map(|n| u8::try_from(n).unwrap_or(0))
}

fn word16(word: &Word) -> Result<u16, String> {
    hex::parse_number(&word.text, 0xffff).map(|n| u16::try_from(n).unwrap_or(0))
}

fn decimal8(word: &Word, max: u32) -> Result<u8, String> {
    hex::parse_decimal(&word.text, max).map(|n| u8::try_from(n).unwrap_or(0))
}

fn one<'a>(rest: &'a [Word], usage: &str) -> Result<&'a Word, String> {
    match rest {
        [w] => Ok(w),
        _ => Err(format!("usage: {usage}")),
    }
}

fn parse_endpoint(rest: &[Word]) -> Result<Endpoint, String> {
    let usage = "endpoint ADDRESS interrupt|bulk [MAXPACKET [INTERVAL]]";
    let (address, kind, more) = match rest {
        [a, k, more @ ..] if more.len() <= 2 => (byte(a)?, k.text.as_str(), more),
        _ => return Err(format!("usage: {usage}")),
    };
    let kind = match kind {
        "interrupt" => EndpointKind::Interrupt,
        "bulk" => EndpointKind::Bulk,
        other => return Err(format!("unknown endpoint type `{other}` (interrupt, bulk)")),
    };
    let max_packet = match more.first() {
        Some(w) => u16::try_from(hex::parse_decimal(&w.text, 1024)?).unwrap_or(8),
        None => 8,
    };
    let interval = match more.get(1) {
        Some(w) => decimal8(w, 255)?,
        None => 10,
    };
    Ok(Endpoint {
        address,
        kind,
        max_packet,
        interval,
    })
}

fn parse_control(rest: &[Word]) -> Result<ControlRule, String> {
    let usage = "control REQUESTTYPE REQUEST VALUE INDEX => HEX...|stall";
    let (head, answer) = match rest.iter().position(|w| w.text == "=>") {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => return Err(format!("usage: {usage}")),
    };
    let [t, r, v, i] = head else {
        return Err(format!("usage: {usage}"));
    };
    let answer = match answer {
        [w] if w.text == "stall" => None,
        words => Some(hex::parse_bytes(words.iter().map(|w| w.text.as_str()))?),
    };
    Ok(ControlRule {
        request_type: byte(t)?,
        request: byte(r)?,
        value: word16(v)?,
        index: word16(i)?,
        answer,
    })
}

fn parse_reply(rest: &[Word]) -> Result<ReplyRule, String> {
    let Some(split) = rest.iter().position(|w| w.text == "=>") else {
        return Err("usage: reply HEX... => HEX...".to_owned());
    };
    let request = hex::parse_bytes(rest[..split].iter().map(|w| w.text.as_str()))?;
    let answer = hex::parse_bytes(rest[split + 1..].iter().map(|w| w.text.as_str()))?;
    if request.is_empty() || answer.is_empty() {
        return Err("reply needs request and answer bytes".to_owned());
    }
    Ok(ReplyRule { request, answer })
}

impl DeviceSpec {
    /// Reads a device file.
    pub fn load(path: &Path) -> Result<Self, ParseError> {
        let file = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| ParseError {
            file: file.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        Self::parse(&String::from_utf8_lossy(&text), &file)
    }

    /// Parses device-file text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, ParseError> {
        let mut spec = Self::default();
        let mut manufacturer = None;
        let mut product = None;
        let mut serial = None;
        let mut indices: [Option<u8>; 3] = [None; 3];
        let mut endpoints_given = false;
        let mut sink: Option<Sink> = None;
        for (n, line) in text.lines().enumerate() {
            let fail = |message: String| ParseError {
                file: file.to_owned(),
                line: n + 1,
                message,
            };
            let words = script::tokenize(line).map_err(fail)?;
            let Some((keyword, rest)) = words.split_first() else {
                continue;
            };
            if !keyword.quoted && hex::is_hex_byte(&keyword.text) {
                let bytes =
                    hex::parse_bytes(words.iter().map(|w| w.text.as_str())).map_err(fail)?;
                match sink {
                    Some(Sink::Descriptor) => spec.report_descriptor.extend(bytes),
                    Some(Sink::Feature(id)) => spec.features.entry(id).or_default().extend(bytes),
                    Some(Sink::Input(id)) => spec.inputs.entry(id).or_default().extend(bytes),
                    None => return Err(fail("hex bytes without a statement to continue".into())),
                }
                continue;
            }
            sink = None;
            let result: Result<(), String> = (|| {
                match keyword.text.as_str() {
                    "vendor-id" => spec.vendor_id = word16(one(rest, "vendor-id HEX")?)?,
                    "product-id" => spec.product_id = word16(one(rest, "product-id HEX")?)?,
                    "bcd-device" => spec.bcd_device = word16(one(rest, "bcd-device HEX")?)?,
                    "bcd-usb" => spec.bcd_usb = word16(one(rest, "bcd-usb HEX")?)?,
                    "device-class" | "interface-class" => {
                        let [a, b, c] = rest else {
                            return Err(format!("usage: {} CLASS SUBCLASS PROTOCOL", keyword.text));
                        };
                        let triple = [byte(a)?, byte(b)?, byte(c)?];
                        if keyword.text == "device-class" {
                            spec.device_class = triple;
                        } else {
                            spec.interface_class = triple;
                        }
                    }
                    "configurations" => {
                        spec.configurations = decimal8(one(rest, "configurations N")?, 255)?;
                        if spec.configurations == 0 {
                            return Err("configurations: at least 1".to_owned());
                        }
                    }
                    "interface-number" => {
                        spec.interface_number = decimal8(one(rest, "interface-number N")?, 255)?
                    }
                    "bus" => spec.bus = decimal8(one(rest, "bus N")?, 255)?,
                    "address" => spec.address = decimal8(one(rest, "address N")?, 127)?,
                    "port-path" => {
                        let w = one(rest, "port-path N[.N...]")?;
                        let mut ports = Vec::new();
                        for part in w.text.split('.').filter(|_| w.text != "-") {
                            ports.push(u8::try_from(hex::parse_decimal(part, 255)?).unwrap_or(0));
                        }
                        if ports.len() > 7 {
                            return Err("a port path has at most 7 ports".to_owned());
                        }
                        spec.port_path = ports;
                    }
                    "speed" => {
                        spec.speed = match one(rest, "speed low|full|high|super")?.text.as_str() {
                            "unknown" => 0,
                            "low" => 1,
                            "full" => 2,
                            "high" => 3,
                            "super" => 4,
                            other => return Err(format!("unknown speed `{other}`")),
                        }
                    }
                    "manufacturer" => manufacturer = Some(script::text_value(rest)?),
                    "product" => product = Some(script::text_value(rest)?),
                    "serial" => serial = Some(script::text_value(rest)?),
                    k @ ("manufacturer-index" | "product-index" | "serial-index") => {
                        let i = decimal8(one(rest, &format!("{k} N"))?, 255)?;
                        let slot = match k {
                            "manufacturer-index" => 0,
                            "product-index" => 1,
                            _ => 2,
                        };
                        indices[slot] = Some(i);
                    }
                    "endpoint" => {
                        if !endpoints_given {
                            spec.endpoints.clear();
                            endpoints_given = true;
                        }
                        if spec.endpoints.len() >= 16 {
                            return Err("at most 16 endpoints".to_owned());
                        }
                        spec.endpoints.push(parse_endpoint(rest)?);
                    }
                    "no-endpoints" => {
                        spec.endpoints.clear();
                        endpoints_given = true;
                    }
                    "hid-version" => spec.hid_version = word16(one(rest, "hid-version HEX")?)?,
                    "hid-country" => spec.hid_country = byte(one(rest, "hid-country HEX")?)?,
                    "report-descriptor" => {
                        spec.report_descriptor =
                            hex::parse_bytes(rest.iter().map(|w| w.text.as_str()))?;
                        sink = Some(Sink::Descriptor);
                    }
                    kind @ ("feature" | "input") => {
                        let bytes = hex::parse_bytes(rest.iter().map(|w| w.text.as_str()))?;
                        let Some((id, wire)) = split_report(&bytes) else {
                            return Err(format!("usage: {kind} ID HEX..."));
                        };
                        if kind == "feature" {
                            spec.features.insert(id, wire);
                            sink = Some(Sink::Feature(id));
                        } else {
                            spec.inputs.insert(id, wire);
                            sink = Some(Sink::Input(id));
                        }
                    }
                    "unknown-report" => {
                        spec.unknown_report =
                            match one(rest, "unknown-report zero|stall")?.text.as_str() {
                                "zero" => UnknownReport::Zero,
                                "stall" => UnknownReport::Stall,
                                other => {
                                    return Err(format!(
                                        "unknown-report: `{other}` is not zero or stall"
                                    ))
                                }
                            }
                    }
                    "string" => {
                        if let Some(Command::String(index, text)) = Command::from_words(&words)? {
                            spec.strings.insert(index, text);
                        }
                    }
                    "control" => spec.controls.push(parse_control(rest)?),
                    "q1-bridge" => {
                        let name = &one(rest, "q1-bridge NAME")?.text;
                        spec.q1_bridge = Some(Bridge::from_name(name).ok_or_else(|| {
                            let names: Vec<&str> = Bridge::ALL.iter().map(|b| b.name()).collect();
                            format!("unknown q1-bridge `{name}` ({})", names.join(", "))
                        })?);
                    }
                    "q1-socket" => {
                        let path = script::text_value(rest)?;
                        if path.is_empty() {
                            return Err("usage: q1-socket PATH".to_owned());
                        }
                        spec.q1_socket = Some(PathBuf::from(path));
                    }
                    "reply" => spec.replies.push(parse_reply(rest)?),
                    "at" => {
                        let Some((when, command)) = rest.split_first() else {
                            return Err("usage: at TIME COMMAND".to_owned());
                        };
                        let when = script::parse_duration(&when.text)?;
                        match Command::from_words(command)? {
                            Some(c) => spec.script.push((when, c)),
                            None => return Err("`at` needs a command (unplug, plug, feature, input, interrupt, bulk, stall, error, garbage, timeout, clear, string)".to_owned()),
                        }
                    }
                    "repeat" => {
                        let period = script::parse_duration(&one(rest, "repeat TIME")?.text)?;
                        if period.is_zero() {
                            return Err("the repeat period must be above zero".to_owned());
                        }
                        spec.repeat = Some(period);
                    }
                    _ => match Command::from_words(&words)? {
                        Some(c) => spec.script.push((Duration::ZERO, c)),
                        None => return Err(format!("unknown keyword `{}`", keyword.text)),
                    },
                }
                Ok(())
            })();
            result.map_err(fail)?;
        }
        let named = [manufacturer, product, serial];
        let slots = [
            &mut spec.i_manufacturer,
            &mut spec.i_product,
            &mut spec.i_serial,
        ];
        for (k, ((text, index), slot)) in named.into_iter().zip(indices).zip(slots).enumerate() {
            let default = u8::try_from(k + 1).unwrap_or(1);
            let index = index.unwrap_or(if text.is_some() { default } else { 0 });
            *slot = index;
            if let (Some(text), true) = (text, index != 0) {
                spec.strings.insert(index, text);
            }
        }
        let whole_file = |message: &str| ParseError {
            file: file.to_owned(),
            line: 0,
            message: message.to_owned(),
        };
        if spec.vendor_id == 0 && spec.product_id == 0 {
            return Err(whole_file("no vendor-id / product-id given"));
        }
        match (spec.q1_bridge, &spec.q1_socket) {
            (Some(bridge), Some(_)) => {
                if !endpoints_given {
                    spec.endpoints = bridge.default_endpoints();
                }
            }
            (Some(_), None) => return Err(whole_file("q1-bridge needs a q1-socket")),
            (None, Some(_)) => return Err(whole_file("q1-socket needs a q1-bridge")),
            (None, None) => {}
        }
        Ok(spec)
    }

    /// The device in device-file syntax; [`DeviceSpec::parse`] reads it back unchanged.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!("vendor-id {:04x}", self.vendor_id));
        line(format!("product-id {:04x}", self.product_id));
        line(format!("bcd-device {:04x}", self.bcd_device));
        line(format!("bcd-usb {:04x}", self.bcd_usb));
        let [c, s, p] = self.device_class;
        line(format!("device-class {c:02x} {s:02x} {p:02x}"));
        line(format!("bus {}", self.bus));
        line(format!("address {}", self.address));
        let ports: Vec<String> = self.port_path.iter().map(u8::to_string).collect();
        if ports.is_empty() {
            line("port-path -".to_owned());
        } else {
            line(format!("port-path {}", ports.join(".")));
        }
        let speed = ["unknown", "low", "full", "high", "super"];
        line(format!(
            "speed {}",
            speed.get(usize::from(self.speed)).unwrap_or(&"unknown")
        ));
        let named = [
            ("manufacturer", self.i_manufacturer),
            ("product", self.i_product),
            ("serial", self.i_serial),
        ];
        for (name, index) in named {
            line(format!("{name}-index {index}"));
        }
        for (name, index) in named {
            if let Some(text) = self.strings.get(&index).filter(|_| index != 0) {
                line(format!("{name} {}", script::quote(text)));
            }
        }
        for (index, text) in &self.strings {
            if !named.iter().any(|(_, i)| i == index) {
                line(format!("string {index} {}", script::quote(text)));
            }
        }
        if self.configurations != 1 {
            line(format!("configurations {}", self.configurations));
        }
        line(format!("interface-number {}", self.interface_number));
        let [c, s, p] = self.interface_class;
        line(format!("interface-class {c:02x} {s:02x} {p:02x}"));
        if self.endpoints.is_empty() {
            line("no-endpoints".to_owned());
        }
        for ep in &self.endpoints {
            let kind = match ep.kind {
                EndpointKind::Interrupt => "interrupt",
                EndpointKind::Bulk => "bulk",
            };
            line(format!(
                "endpoint {:02x} {kind} {} {}",
                ep.address, ep.max_packet, ep.interval
            ));
        }
        line(format!("hid-version {:04x}", self.hid_version));
        line(format!("hid-country {:02x}", self.hid_country));
        if self.unknown_report == UnknownReport::Stall {
            line("unknown-report stall".to_owned());
        }
        if !self.report_descriptor.is_empty() {
            line("report-descriptor".to_owned());
            for chunk in self.report_descriptor.chunks(16) {
                line(format!("  {}", hex::to_spaced(chunk)));
            }
        }
        for (kind, map) in [("feature", &self.features), ("input", &self.inputs)] {
            for (id, wire) in map {
                let mut bytes = Vec::with_capacity(wire.len() + 1);
                if *id == 0 {
                    bytes.push(0);
                }
                bytes.extend_from_slice(wire);
                line(format!("{kind} {}", hex::to_spaced(&bytes)));
            }
        }
        for rule in &self.controls {
            let answer = match &rule.answer {
                Some(bytes) => hex::to_spaced(bytes),
                None => "stall".to_owned(),
            };
            line(format!(
                "control {:02x} {:02x} {:04x} {:04x} => {answer}",
                rule.request_type, rule.request, rule.value, rule.index
            ));
        }
        for rule in &self.replies {
            line(format!(
                "reply {} => {}",
                hex::to_spaced(&rule.request),
                hex::to_spaced(&rule.answer)
            ));
        }
        for (when, command) in &self.script {
            line(format!(
                "at {} {}",
                script::format_duration(*when),
                command.to_line()
            ));
        }
        if let Some(period) = self.repeat {
            line(format!("repeat {}", script::format_duration(period)));
        }
        if let (Some(bridge), Some(socket)) = (self.q1_bridge, &self.q1_socket) {
            line(format!("q1-bridge {}", bridge.name()));
            line(format!(
                "q1-socket {}",
                script::quote(&socket.display().to_string())
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{Fault, Target};

    const SAMPLE: &str = r#"
# An APC-like unit
vendor-id 051d
product-id 0002
bcd-device 0100
bus 3
address 2
port-path 1.4
manufacturer American Power Conversion
product "Back-UPS 500 FW: 6.5.I USB FW: c1 "
product-index 1
serial-index 2
serial AB0427
manufacturer-index 3
string 4 PbAc
report-descriptor 05 84 09 04
  a1 01   # continued
  c0
feature 0c 64 00 00 14 0a
  ff
input 00 01 02
at 5s feature 0c 14
at 10s unplug
at 12s plug address 9
at 3s interrupt 0b 04 00
interrupt 13 01
repeat 20s
"#;

    #[test]
    fn parses_sample() {
        let spec = DeviceSpec::parse(SAMPLE, "sample.dev");
        let Ok(spec) = spec else {
            panic!("{spec:?}");
        };
        assert_eq!((spec.vendor_id, spec.product_id), (0x051d, 2));
        assert_eq!((spec.bus, spec.address), (3, 2));
        assert_eq!(spec.port_path, vec![1, 4]);
        assert_eq!(
            (spec.i_manufacturer, spec.i_product, spec.i_serial),
            (3, 1, 2)
        );
        assert_eq!(
            spec.strings.get(&3).map(String::as_str),
            Some("American Power Conversion")
        );
        assert_eq!(
            spec.strings.get(&1).map(String::as_str),
            Some("Back-UPS 500 FW: 6.5.I USB FW: c1 ")
        );
        assert_eq!(spec.strings.get(&4).map(String::as_str), Some("PbAc"));
        assert_eq!(spec.report_descriptor, vec![5, 0x84, 9, 4, 0xa1, 1, 0xc0]);
        assert_eq!(
            spec.features.get(&0x0c),
            Some(&vec![0x0c, 0x64, 0, 0, 0x14, 0x0a, 0xff])
        );
        assert_eq!(spec.inputs.get(&0), Some(&vec![1, 2]));
        assert_eq!(spec.script.len(), 5);
        assert_eq!(
            spec.script[4],
            (Duration::ZERO, Command::Interrupt(vec![0x13, 1]))
        );
        assert_eq!(spec.repeat, Some(Duration::from_secs(20)));
        let again = DeviceSpec::parse(&spec.to_text(), "again");
        assert_eq!(again, Ok(spec));
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = DeviceSpec::parse("vendor-id 051d\nproduct-id zz\n", "x.dev").err();
        let text = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.starts_with("x.dev:2: "), "{text}");
        let e = DeviceSpec::parse("vendor-id 1\n\n0c 01\n", "y.dev").err();
        assert_eq!(e.map(|e| e.line), Some(3));
        let e = DeviceSpec::parse("bus 1\n", "z.dev").err();
        assert_eq!(e.map(|e| e.line), Some(0));
        for bad in [
            "vendor-id 1\nfrob 2",
            "vendor-id 1\nat 5x unplug",
            "vendor-id 1\nat 5s frob",
            "vendor-id 1\nrepeat 0s",
            "vendor-id 1\nendpoint 81 iso",
            "vendor-id 1\ncontrol c0 01 0000 0000 02",
            "vendor-id 1\nreply 01 =>",
            "vendor-id 1\nproduct \"open",
            "vendor-id 1\nfeature",
            "vendor-id 1\naddress 200",
        ] {
            assert!(DeviceSpec::parse(bad, "bad").is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_and_faults() {
        let text = "vendor-id 0665\nproduct-id 5161\ninterface-class ff 00 00\nendpoint 81 interrupt 8 10\nendpoint 02 bulk 64\ncontrol c0 01 0000 0000 => 01 02\ncontrol 40 02 0001 0000 => stall\nreply 51 31 0d => 28 32 0d\nunknown-report stall\nat 1s error 0c io once\nat 2s timeout interrupt\n";
        let spec = DeviceSpec::parse(text, "q1.dev");
        let Ok(spec) = spec else {
            panic!("{spec:?}");
        };
        assert_eq!(spec.endpoints.len(), 2);
        assert_eq!(spec.endpoints[1].kind, EndpointKind::Bulk);
        assert_eq!(spec.controls[1].answer, None);
        assert_eq!(spec.replies[0].answer, vec![0x28, 0x32, 0x0d]);
        assert_eq!(spec.unknown_report, UnknownReport::Stall);
        assert_eq!(
            spec.script[0].1,
            Command::Fault {
                target: Target::Report(0x0c),
                fault: Fault::Error(-1),
                once: true
            }
        );
        assert_eq!(DeviceSpec::parse(&spec.to_text(), "again"), Ok(spec));
    }
}
