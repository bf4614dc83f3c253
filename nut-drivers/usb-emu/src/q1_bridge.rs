//! Q1 bridges: the USB side of the USB-to-serial converters that Megatec/Q1 UPSes hide
//! behind, one per framing C NUT 2.8.0's `nutdrv_qx` speaks (its USB "subdrivers"). A device
//! file with `q1-bridge NAME` and `q1-socket PATH` is such a converter: it takes each command
//! out of its bridge's framing, has the UPS simulator on the socket answer it
//! ([`crate::q1_client`]), and hands the answer back in the same framing.
//!
//! | bridge | command in | answer out |
//! | --- | --- | --- |
//! | `cypress`, `phoenix` | SET_REPORT (`21 09 0200`), 8-byte chunks of the NUL-padded command | interrupt IN, 8-byte packets, the last zero-padded |
//! | `ippon` | SET_REPORT (`21 09 0002`), 8-byte chunks | interrupt IN, one 64-byte packet, zero-padded |
//! | `sgs` | SET_REPORT (`21 09 0200`), 8 bytes: count (≤ 7), bytes | interrupt IN, 8-byte packets: count (≤ 7), bytes, zeros |
//! | `armac` | SET_REPORT (`21 09 0200`), 4 bytes: `a0` + count (≤ 3), bytes | interrupt IN, 6-byte packets: `a0` + count (≤ 5), bytes, zeros; then `a0 00 00 00 00 00` |
//! | `phoenixtec` | vendor request `42 0d 0000 0000`, the whole command | interrupt IN, packets of the IN endpoint's size |
//! | `fuji` | interrupt OUT to `02`: `80 06` length `03` command (≤ 3 bytes, no CR) zeros answer-length | interrupt IN, 8-byte packets, the last zero-padded |
//! | `ablerex` | SET_REPORT (`21 09 0305`), 47 bytes: `05 00` length command | GET_REPORT (`a1 01 0305`): the answer from byte 0, zero-padded |
//! | `krauler`, `snr` | GET_DESCRIPTOR of a string whose index names the command | the answer as the string (UTF-16LE); no answer: the command echoed |
//! | `fabula`, `hunnox` | the same, with shutdown indices | the same; no answer: `UPS No Ack` |
//! | `tripplite_usb` | SET_REPORT (`21 09 0300`), one 8-byte frame: `:`, command, checksum, `\r` | interrupt IN, the 8-byte reply of the latest command |
//! | `bcmxcp_usb` | SET_DESCRIPTOR (`00 07 0304 0000`) or vendor request `42 0d 0000 0000`, one BCM/XCP command frame | interrupt IN, the reply blocks of the latest command as one stream, 128 bytes a read |
//! | `riello_usb` | interrupt OUT to `02`, 8-byte packets: `37` and 7 bytes, or `30 + n`, `n` bytes and `'0'`s | interrupt IN, 8-byte packets: count (≤ 7), bytes, zeros |
//! | `apc_modbus` | interrupt OUT to `01` (or SET_REPORT `21 09 0290`), 64-byte output reports `90`: the RTU frame without CRC, zeros | interrupt IN, 64-byte input reports `89`, the same way |
//!
//! `tripplite_usb` is no serial bridge: it is a Tripp Lite unit of the older USB protocol
//! (C's `tripplite_usb` driver), whose frames go whole to the simulator on the socket
//! (`nut_drivers::sim::tripplite_usb`). It is not in [`Bridge::ALL`] (the `nutdrv_qx`
//! framings) but has a name ([`Bridge::from_name`]). Nor is `bcmxcp_usb`: an Eaton/Powerware
//! unit speaking BCM/XCP on USB (C's `bcmxcp_usb`), whose command frames go whole to the
//! simulator (`nut_drivers::sim::bcmxcp`), by either request (C sends Powerware's ids the
//! first, Phoenixtec's and HP's the second). Its reply is not padded: C's reader takes every
//! byte it reads as part of the reply. Nor is `riello_usb`: a Riello unit speaking GPSER
//! behind its Cypress HID bridge (C's `riello_usb`, whose "bulk" transfers are interrupt
//! transfers with libusb-1.0); each frame (`02` to `03`) it receives goes whole to the
//! simulator (`nut_drivers::sim::riello`), and bytes outside a frame are dropped. A frame
//! the unit does not answer queues nothing (C's read times out). C opens it as a HID device
//! (it skips a device without a report descriptor), so it has one. Nor is `apc_modbus`: an
//! APC Smart-UPS speaking Modbus RTU in vendor HID reports ([`crate::modbus_hid`]); each
//! request it receives goes to the socket as an RTU frame with its CRC, and the RTU frame
//! that comes back goes out without its CRC (an empty answer: silent).
//!
//! The bytes of a SET_REPORT chunk that follow a NUL or the command's `\r` are padding (C's
//! Ippon code sends whatever its buffer held there). A UPS that says nothing queues nothing
//! (C's read then times out), except for `armac`, whose terminating packet always comes.
//! `phoenixtec` keeps only the answer to the latest command: C's code does not read the
//! answers of the commands it believes silent (`M`, `T`, `S…`, `C`, …), and a simulated
//! Megatec unit echoes the unknown ones, which would otherwise answer the next command.
//! When the socket cannot be reached the UPS is silent: nothing is queued, and string
//! requests time out.

use std::collections::VecDeque;
use std::path::Path;

use crate::device::{Endpoint, EndpointKind};
use crate::emu::Step;
use crate::q1_client::Q1Client;

/// How much of a BCM/XCP unit's reply one interrupt read gets (the 128 bytes `bcmxcp_usb`
/// asks for).
const BCMXCP_READ: usize = 128;

/// The report descriptor of the emulated Riello bridge (vendor page `ffa0`: 8-byte input
/// and output reports, a 5-byte feature report), made up for the emulator.
const RIELLO_REPORT_DESCRIPTOR: &str =
    "06 a0 ff 09 01 a1 01 09 02 15 00 26 ff 00 75 08 95 08 81 02 09 03 91 02 09 04 95 05 b1 02 c0";

/// The framing of a USB-to-serial bridge, named as `nutdrv_qx`'s `subdriver` option names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bridge {
    /// Cypress HID-serial converter (SET_REPORT out, 8-byte interrupt packets in).
    Cypress,
    /// Phoenixtec / Masterguard (vendor request out, interrupt in).
    Phoenixtec,
    /// Phoenix (as Cypress; C drains interrupt IN before each command).
    Phoenix,
    /// Ippon / Mustek (SET_REPORT with wValue 0x0002, one 64-byte packet in).
    Ippon,
    /// Krauler (string descriptors).
    Krauler,
    /// Fabula / MEC (string descriptors, shutdown indices).
    Fabula,
    /// Hunnox (as Fabula, with C's lock-step string reads).
    Hunnox,
    /// Fuji (interrupt OUT commands).
    Fuji,
    /// SGS / TS Shara (counted 8-byte chunks both ways).
    Sgs,
    /// SNR (string descriptors after an interrupt read).
    Snr,
    /// Ablerex (47-byte SET_REPORT / GET_REPORT of report 5).
    Ablerex,
    /// Armac / Richcomm (counted 4-byte chunks out, 6-byte packets in).
    Armac,
    /// A Tripp Lite unit of the older USB protocol (8-byte frames out by SET_REPORT, the
    /// reply on interrupt IN): not a `nutdrv_qx` bridge.
    TrippLite,
    /// An Eaton/Powerware BCM/XCP unit on USB (command frames by control transfer, reply
    /// blocks on interrupt IN): not a `nutdrv_qx` bridge.
    Bcmxcp,
    /// A Riello GPSER unit behind its Cypress HID bridge (counted 8-byte packets both ways
    /// on interrupt endpoints): not a `nutdrv_qx` bridge.
    Riello,
    /// An APC Smart-UPS speaking Modbus RTU in vendor HID reports (64-byte reports both
    /// ways on interrupt endpoints): not a `nutdrv_qx` bridge.
    ApcModbus,
}

/// The ids and strings a bridge has by default: `nutdrv_qx -x port=auto` picks that very
/// bridge for them (SNR excepted: C's table gives its ids to Krauler first, so it needs
/// `subdriver=snr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// idVendor.
    pub vendor_id: u16,
    /// idProduct.
    pub product_id: u16,
    /// The manufacturer string, if any.
    pub manufacturer: Option<&'static str>,
    /// The product string, if any.
    pub product: Option<&'static str>,
}

const fn id(
    vendor_id: u16,
    product_id: u16,
    manufacturer: Option<&'static str>,
    product: Option<&'static str>,
) -> Identity {
    Identity {
        vendor_id,
        product_id,
        manufacturer,
        product,
    }
}

impl Bridge {
    /// Every bridge, in the order of C's `subdriver` list.
    pub const ALL: [Self; 12] = [
        Self::Cypress,
        Self::Phoenixtec,
        Self::Phoenix,
        Self::Ippon,
        Self::Krauler,
        Self::Fabula,
        Self::Hunnox,
        Self::Fuji,
        Self::Sgs,
        Self::Snr,
        Self::Ablerex,
        Self::Armac,
    ];

    /// The bridge of a name (case-insensitive), `tripplite_usb`, `bcmxcp_usb`,
    /// `riello_usb` and `apc_modbus` included.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([Self::TrippLite, Self::Bcmxcp, Self::Riello, Self::ApcModbus])
            .find(|b| b.name().eq_ignore_ascii_case(name))
    }

    /// The name, as C's `subdriver` option spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cypress => "cypress",
            Self::Phoenixtec => "phoenixtec",
            Self::Phoenix => "phoenix",
            Self::Ippon => "ippon",
            Self::Krauler => "krauler",
            Self::Fabula => "fabula",
            Self::Hunnox => "hunnox",
            Self::Fuji => "fuji",
            Self::Sgs => "sgs",
            Self::Snr => "snr",
            Self::Ablerex => "ablerex",
            Self::Armac => "armac",
            Self::TrippLite => "tripplite_usb",
            Self::Bcmxcp => "bcmxcp_usb",
            Self::Riello => "riello_usb",
            Self::ApcModbus => "apc_modbus",
        }
    }

    /// The default identity (see [`Identity`]).
    pub fn identity(self) -> Identity {
        match self {
            Self::Cypress => id(0x0665, 0x5161, None, None),
            Self::Phoenixtec => id(
                0x06da,
                0x0002,
                Some("Phoenixtec Power"),
                Some("USB Cable (V2.00)"),
            ),
            Self::Phoenix => id(0x06da, 0x0601, None, None),
            Self::Ippon => id(0x06da, 0x0003, None, None),
            Self::Krauler => id(0x0001, 0x0000, None, None),
            Self::Fabula => id(0x0001, 0x0000, Some("MEC"), Some("MEC0003")),
            Self::Hunnox => id(0x0001, 0x0000, Some("Hunnox"), Some("MEC0003")),
            Self::Fuji => id(0x0001, 0x0000, Some("ATCL FOR UPS"), Some("ATCL FOR UPS")),
            Self::Sgs => id(0x0483, 0x0035, None, None),
            Self::Snr => id(0x0001, 0x0000, None, Some("MEC0003")),
            Self::Ablerex => id(0xffff, 0x0000, None, None),
            Self::Armac => id(0x0925, 0x1234, None, None),
            Self::TrippLite => id(
                0x09ae,
                0x0001,
                Some("Tripp Lite"),
                Some("Tripp Lite SMART1000LCD "),
            ),
            Self::Bcmxcp => id(0x0592, 0x0002, None, None),
            Self::Riello => id(0x04b4, 0x5500, None, None),
            Self::ApcModbus => id(
                0x051d,
                0x0003,
                Some("American Power Conversion"),
                Some("Smart-UPS SRT 3000 FW:UPS 15.6 / ID=1025"),
            ),
        }
    }

    /// The endpoints of a device without `endpoint` lines: interrupt IN `81` (64 bytes for
    /// Ippon's single packet), and Fuji's and Riello's interrupt OUT `02`.
    pub fn default_endpoints(self) -> Vec<Endpoint> {
        let ep = |address, max_packet| Endpoint {
            address,
            kind: EndpointKind::Interrupt,
            max_packet,
            interval: 10,
        };
        match self {
            Self::Ippon => vec![ep(0x81, 64)],
            Self::Fuji | Self::Riello => vec![ep(0x81, 8), ep(0x02, 8)],
            Self::ApcModbus => vec![ep(0x81, 64), ep(0x01, 64)],
            _ => vec![ep(0x81, 8)],
        }
    }

    /// A device file for this bridge with its default identity (or the ids given), its
    /// commands forwarded to `socket`.
    pub fn device_text(self, socket: &Path, ids: Option<(u16, u16)>) -> String {
        let identity = self.identity();
        let (vendor, product) = ids.unwrap_or((identity.vendor_id, identity.product_id));
        let mut text = format!(
            "# A Megatec/Q1 UPS behind a {} USB-to-serial bridge\nvendor-id {vendor:04x}\nproduct-id {product:04x}\n",
            self.name()
        );
        if self == Self::TrippLite {
            text = format!(
                "# A Tripp Lite UPS of the older USB protocol\nvendor-id {vendor:04x}\nproduct-id {product:04x}\n"
            );
        }
        if self == Self::Bcmxcp {
            text = format!(
                "# An Eaton/Powerware BCM/XCP UPS on USB\nvendor-id {vendor:04x}\nproduct-id {product:04x}\ninterface-class ff 00 00\n"
            );
        }
        if self == Self::Riello {
            // C's riello_usb opens the unit as a HID device: without a report descriptor it
            // skips it. Any will do (C does not read it): this one is ours, vendor-defined.
            text = format!(
                "# A Riello GPSER UPS behind its USB bridge\nvendor-id {vendor:04x}\nproduct-id {product:04x}\nreport-descriptor {}\n",
                RIELLO_REPORT_DESCRIPTOR
            );
        }
        if self == Self::ApcModbus {
            text = format!(
                "# An APC Smart-UPS speaking Modbus RTU in HID reports\nvendor-id {vendor:04x}\nproduct-id {product:04x}\nreport-descriptor {}\nfeature 0c 64\n",
                crate::modbus_hid::REPORT_DESCRIPTOR
            );
        }
        if let Some(m) = identity.manufacturer {
            text.push_str(&format!("manufacturer {}\n", crate::script::quote(m)));
        }
        if let Some(p) = identity.product {
            text.push_str(&format!("product {}\n", crate::script::quote(p)));
        }
        text.push_str(&format!(
            "q1-bridge {}\nq1-socket {}\n",
            self.name(),
            crate::script::quote(&socket.display().to_string())
        ));
        text
    }

    /// Whether a control request (bmRequestType, bRequest, wValue, wIndex) belongs to this
    /// bridge's framing, rather than being a standard or HID request of any device.
    pub fn owns(self, (request_type, request, value, _index): (u8, u8, u16, u16)) -> bool {
        let set_report = request_type == 0x21 && request == 0x09;
        match self {
            Self::Cypress | Self::Phoenix | Self::Sgs | Self::Armac => {
                set_report && value == 0x0200
            }
            Self::Ippon => set_report && value == 0x0002,
            Self::TrippLite => set_report && value == 0x0300,
            Self::Phoenixtec => request_type == 0x42 && request == 0x0d,
            Self::Bcmxcp => {
                (request_type == 0x42 && request == 0x0d)
                    || (request_type == 0x00 && request == 0x07 && value == 0x0304)
            }
            Self::Ablerex => {
                (set_report || (request_type == 0xa1 && request == 0x01)) && value == 0x0305
            }
            Self::Krauler | Self::Fabula | Self::Hunnox | Self::Snr => {
                let [index, kind] = value.to_le_bytes();
                request_type == 0x80
                    && request == 0x06
                    && kind == crate::descriptors::DT_STRING
                    && self.string_command(index).is_some()
            }
            Self::ApcModbus => {
                set_report && value == (0x0200 | u16::from(crate::modbus_hid::RX_REPORT))
            }
            Self::Fuji | Self::Riello => false,
        }
    }

    /// The command a string index stands for on the string-descriptor bridges.
    pub fn string_command(self, index: u8) -> Option<Vec<u8>> {
        let fixed: &[(u8, &str)] = match self {
            Self::Krauler => &[
                (0x03, "Q1"),
                (0x0d, "F"),
                (0x0c, "I"),
                (0x04, "T"),
                (0x05, "TL"),
                (0x07, "Q"),
                (0x0b, "C"),
            ],
            Self::Snr => &[(0x03, "Q1"), (0x0d, "F"), (0x0c, "I")],
            Self::Fabula | Self::Hunnox => &[
                (0x03, "Q1"),
                (0x0d, "F"),
                (0x0c, "I"),
                (0x07, "Q"),
                (0x0a, "C"),
            ],
            _ => return None,
        };
        if let Some((_, c)) = fixed.iter().find(|(i, _)| *i == index) {
            return Some(format!("{c}\r").into_bytes());
        }
        if !matches!(self, Self::Fabula | Self::Hunnox) {
            return None;
        }
        // Shutdowns: high nibble = delay (.5 to .9 minutes, then 1 to 10 minutes), low
        // nibble 0 = stay off, 8 = come back.
        let (step, kind) = (index >> 4, index & 0x0f);
        if step == 0 || (kind != 0 && kind != 8) {
            return None;
        }
        let delay = if step <= 5 {
            format!(".{}", step + 4)
        } else {
            format!("{:02}", step - 5)
        };
        let restart = if kind == 8 { "R0001" } else { "" };
        Some(format!("S{delay}{restart}\r").into_bytes())
    }

    /// What a string-descriptor bridge answers for a command the UPS says nothing to.
    fn silent_answer(self, command: &[u8]) -> Vec<u8> {
        match self {
            Self::Fabula | Self::Hunnox => b"UPS No Ack".to_vec(),
            _ => command.to_vec(),
        }
    }

    /// The answer's packets on the interrupt IN queue (`None`: the UPS said nothing).
    fn packets(self, answer: Option<&[u8]>, in_packet: usize) -> Vec<Vec<u8>> {
        let padded = |chunk: &[u8], size: usize, head: Option<u8>| {
            let mut p = Vec::with_capacity(size);
            p.extend(head);
            p.extend_from_slice(chunk);
            p.resize(size, 0);
            p
        };
        let answer = answer.unwrap_or_default();
        match self {
            Self::Cypress | Self::Phoenix | Self::Fuji | Self::TrippLite => {
                answer.chunks(8).map(|c| padded(c, 8, None)).collect()
            }
            Self::Ippon if answer.is_empty() => Vec::new(),
            Self::Ippon => vec![padded(&answer[..answer.len().min(64)], 64, None)],
            Self::Sgs => answer
                .chunks(7)
                .map(|c| padded(c, 8, u8::try_from(c.len()).ok()))
                .collect(),
            Self::Armac => answer
                .chunks(5)
                .map(|c| padded(c, 6, u8::try_from(c.len()).ok().map(|n| 0xa0 | n)))
                .chain(std::iter::once(vec![0xa0, 0, 0, 0, 0, 0]))
                .collect(),
            // The unit streams its reply blocks in 8-byte packets, without a short one
            // between blocks: a host's read of 128 bytes (C's and ours) gets the next 128.
            Self::Bcmxcp => answer.chunks(BCMXCP_READ).map(<[u8]>::to_vec).collect(),
            Self::Riello => answer
                .chunks(7)
                .map(|c| padded(c, 8, u8::try_from(c.len()).ok()))
                .collect(),
            Self::Phoenixtec => answer
                .chunks(in_packet.max(1))
                .map(<[u8]>::to_vec)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The command bytes one OUT chunk of a bridge carries.
fn chunk_bytes(bridge: Bridge, data: &[u8]) -> &[u8] {
    match bridge {
        Bridge::Sgs => {
            let n = usize::from(data.first().copied().unwrap_or(0)).min(7);
            data.get(1..)
                .map_or(&[][..], |rest| &rest[..n.min(rest.len())])
        }
        Bridge::Armac => {
            let n = usize::from(data.first().copied().unwrap_or(0) & 0x0f).min(3);
            data.get(1..)
                .map_or(&[][..], |rest| &rest[..n.min(rest.len())])
        }
        // Padded chunks: the bytes before a NUL, through the command's CR.
        _ => {
            let end = data
                .iter()
                .position(|&b| b == 0 || b == b'\r')
                .map_or(data.len(), |i| if data[i] == b'\r' { i + 1 } else { i });
            &data[..end]
        }
    }
}

/// The live state of a Q1 bridge device: the command being received, the answer waiting
/// for GET_REPORT (Ablerex), the socket client, and lines for the transfer log.
#[derive(Debug)]
pub struct Q1Bridge {
    /// The framing.
    pub bridge: Bridge,
    client: Q1Client,
    partial: Vec<u8>,
    modbus: crate::modbus_hid::RequestUnpacker,
    report: Option<Vec<u8>>,
    notes: Vec<String>,
    last_error: Option<String>,
}

/// What a UPS did with one command.
enum Answer {
    /// It answered these bytes (empty: it said nothing).
    Said(Vec<u8>),
    /// The socket could not be reached.
    Unreachable,
}

impl Q1Bridge {
    /// A bridge forwarding its commands to the socket at `socket`.
    pub fn new(bridge: Bridge, socket: &Path) -> Self {
        Self {
            bridge,
            client: Q1Client::new(socket),
            partial: Vec::new(),
            modbus: Default::default(),
            report: None,
            notes: Vec::new(),
            last_error: None,
        }
    }

    /// Forgets a half-received command and an unread answer (the device was plugged again).
    pub fn reset(&mut self) {
        self.partial.clear();
        self.modbus.clear();
        self.report = None;
        self.client.disconnect();
    }

    /// Takes the lines to add to the transfer log (socket errors).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    fn ask(&mut self, command: &[u8]) -> Answer {
        match self.client.exchange(command) {
            Ok(answer) => {
                self.last_error = None;
                Answer::Said(answer)
            }
            Err(e) => {
                let line = format!("q1-socket error: {e}");
                if self.last_error.as_deref() != Some(e.as_str()) {
                    eprintln!("usb-emu: {line}");
                }
                self.notes.push(line);
                self.last_error = Some(e);
                Answer::Unreachable
            }
        }
    }

    /// Takes command bytes received so far; each complete command (ending with `\r`) is
    /// answered and its packets queued for interrupt IN.
    fn feed(&mut self, bytes: &[u8], queue: &mut VecDeque<Vec<u8>>, in_packet: usize) {
        self.partial.extend_from_slice(bytes);
        if self.partial.len() > 4096 {
            self.partial.clear();
        }
        while let Some(end) = self.partial.iter().position(|&b| b == b'\r') {
            let command: Vec<u8> = self.partial.drain(..=end).collect();
            if self.bridge == Bridge::Phoenixtec {
                queue.clear();
            }
            let answer = match self.ask(&command) {
                Answer::Said(a) => a,
                Answer::Unreachable => continue,
            };
            let said = (!answer.is_empty()).then_some(answer.as_slice());
            for packet in self.bridge.packets(said, in_packet) {
                if queue.len() < 4096 {
                    queue.push_back(packet);
                }
            }
        }
    }

    /// Answers a control request that belongs to the bridge's framing ([`Bridge::owns`]).
    pub fn control(
        &mut self,
        queue: &mut VecDeque<Vec<u8>>,
        in_packet: usize,
        (request_type, request, value, _index): (u8, u8, u16, u16),
        data: &mut [u8],
    ) -> Step {
        match self.bridge {
            Bridge::Cypress | Bridge::Phoenix | Bridge::Sgs | Bridge::Armac | Bridge::Ippon => {
                let bytes = chunk_bytes(self.bridge, data).to_vec();
                self.feed(&bytes, queue, in_packet);
                Step::Done(Ok(data.len()))
            }
            Bridge::Phoenixtec => {
                let bytes: Vec<u8> = data.iter().copied().filter(|&b| b != 0).collect();
                self.feed(&bytes, queue, in_packet);
                Step::Done(Ok(data.len()))
            }
            Bridge::Ablerex if request_type == 0x21 && request == 0x09 => {
                let len = usize::from(data.get(2).copied().unwrap_or(0));
                let mut command: Vec<u8> = data.get(3..).unwrap_or_default().to_vec();
                command.truncate(len);
                if let Some(cr) = command.iter().position(|&b| b == b'\r') {
                    command.truncate(cr);
                }
                command.push(b'\r');
                self.report = match self.ask(&command) {
                    Answer::Said(a) if !a.is_empty() => Some(a),
                    _ => None,
                };
                Step::Done(Ok(data.len()))
            }
            Bridge::Ablerex => {
                let answer = self.report.take().unwrap_or_default();
                let n = answer.len().min(data.len());
                data.fill(0);
                data[..n].copy_from_slice(&answer[..n]);
                Step::Done(Ok(data.len()))
            }
            Bridge::Krauler | Bridge::Fabula | Bridge::Hunnox | Bridge::Snr => {
                let Some(command) = self.bridge.string_command(value.to_le_bytes()[0]) else {
                    return Step::Done(Err(crate::emu::code::PIPE));
                };
                let text = match self.ask(&command) {
                    Answer::Said(a) if a.is_empty() => self.bridge.silent_answer(&command),
                    Answer::Said(a) => a,
                    Answer::Unreachable => return Step::Hang,
                };
                let descriptor = string_descriptor(&text);
                let n = descriptor.len().min(data.len());
                data[..n].copy_from_slice(&descriptor[..n]);
                Step::Done(Ok(n))
            }
            Bridge::ApcModbus => {
                self.modbus_out(queue, data);
                Step::Done(Ok(data.len()))
            }
            Bridge::Fuji | Bridge::Riello => Step::Done(Err(crate::emu::code::PIPE)),
            Bridge::TrippLite | Bridge::Bcmxcp => {
                // The unit answers each frame: the latest reply counts.
                queue.clear();
                if let Answer::Said(answer) = self.ask(data) {
                    if !answer.is_empty() {
                        queue.extend(self.bridge.packets(Some(&answer), in_packet));
                    }
                }
                Step::Done(Ok(data.len()))
            }
        }
    }

    /// Takes an interrupt OUT transfer that belongs to the bridge's framing (Fuji's and
    /// Riello's commands to endpoint `02`), `None` for the others.
    pub fn interrupt_out(
        &mut self,
        queue: &mut VecDeque<Vec<u8>>,
        in_packet: usize,
        endpoint: u8,
        data: &[u8],
    ) -> Option<Step> {
        if self.bridge == Bridge::Riello && endpoint == 0x02 {
            self.riello_out(queue, data);
            return Some(Step::Done(Ok(data.len())));
        }
        if self.bridge == Bridge::ApcModbus && endpoint == 0x01 {
            self.modbus_out(queue, data);
            return Some(Step::Done(Ok(data.len())));
        }
        if self.bridge != Bridge::Fuji || endpoint != 0x02 {
            return None;
        }
        if let [0x80, 0x06, len, 0x03, rest @ ..] = data {
            let n = usize::from(len.saturating_sub(1)).min(3).min(rest.len());
            let mut command: Vec<u8> = rest[..n].iter().copied().take_while(|&b| b != 0).collect();
            command.push(b'\r');
            self.partial.clear();
            self.feed(&command, queue, in_packet);
        }
        Some(Step::Done(Ok(data.len())))
    }
}

impl Q1Bridge {
    /// One of Riello's packets (count in the low three bits of the first byte, then the
    /// bytes): each whole frame is answered, the answer's packets queued on `queue`.
    fn riello_out(&mut self, queue: &mut VecDeque<Vec<u8>>, data: &[u8]) {
        let n = usize::from(data.first().copied().unwrap_or(0) & 0x07);
        let rest = data.get(1..).unwrap_or_default();
        self.partial.extend_from_slice(&rest[..n.min(rest.len())]);
        loop {
            // Bytes outside a frame: dropped.
            match self.partial.iter().position(|&b| b == 0x02) {
                Some(start) => {
                    self.partial.drain(..start);
                }
                None => {
                    self.partial.clear();
                    return;
                }
            }
            let Some(end) = self.partial.iter().position(|&b| b == 0x03) else {
                if self.partial.len() > 4096 {
                    self.partial.clear();
                }
                return;
            };
            let frame: Vec<u8> = self.partial.drain(..=end).collect();
            if let Answer::Said(answer) = self.ask(&frame) {
                let said = (!answer.is_empty()).then_some(answer.as_slice());
                for packet in self.bridge.packets(said, 8) {
                    if queue.len() < 4096 {
                        queue.push_back(packet);
                    }
                }
            }
        }
    }
}

impl Q1Bridge {
    /// One output report of an APC Modbus unit: each whole request goes to the socket with
    /// its CRC, and the reply's frame (its CRC taken off) is queued in input reports. Each
    /// exchange is noted for the transfer log (`apc_modbus request=… reply=…`, frames
    /// without CRC; `reply=-` when the unit is silent).
    fn modbus_out(&mut self, queue: &mut VecDeque<Vec<u8>>, report: &[u8]) {
        use crate::modbus_hid::{crc16, pack, with_crc, TX_REPORT};
        let Some(request) = self.modbus.push(report) else {
            return;
        };
        let Answer::Said(answer) = self.ask(&with_crc(&request)) else {
            return;
        };
        if answer.is_empty() {
            self.notes.push(format!(
                "apc_modbus request={} reply=-",
                crate::hex::to_compact(&request)
            ));
            return;
        }
        let (frame, crc) = answer.split_at(answer.len().saturating_sub(2));
        let note = if crc.len() == 2 && crc16(frame).to_le_bytes() == crc {
            String::new()
        } else {
            " (bad CRC from the socket)".to_owned()
        };
        self.notes.push(format!(
            "apc_modbus request={} reply={}{note}",
            crate::hex::to_compact(&request),
            crate::hex::to_compact(frame)
        ));
        for packet in pack(TX_REPORT, frame) {
            if queue.len() < 4096 {
                queue.push_back(packet);
            }
        }
    }
}

/// A string descriptor holding `text` (UTF-16LE of each byte, at most 126 characters).
fn string_descriptor(text: &[u8]) -> Vec<u8> {
    let mut out = vec![0, crate::descriptors::DT_STRING];
    for &b in text.iter().take(126) {
        out.extend_from_slice(&u16::from(b).to_le_bytes());
    }
    out[0] = u8::try_from(out.len()).unwrap_or(u8::MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_identities() {
        for b in Bridge::ALL {
            assert_eq!(Bridge::from_name(&b.name().to_uppercase()), Some(b));
        }
        assert_eq!(Bridge::from_name("usb"), None);
        assert_eq!(Bridge::from_name("TrippLite_USB"), Some(Bridge::TrippLite));
        assert!(!Bridge::ALL.contains(&Bridge::TrippLite));
        assert_eq!(Bridge::from_name("BCMXCP_USB"), Some(Bridge::Bcmxcp));
        let text = Bridge::Bcmxcp.device_text(Path::new("/s"), Some((0x06da, 2)));
        assert!(text.contains("vendor-id 06da\nproduct-id 0002\n"), "{text}");
        assert!(Bridge::Bcmxcp.owns((0x00, 0x07, 0x0304, 0)));
        assert!(Bridge::Bcmxcp.owns((0x42, 0x0d, 0, 0)));
        assert!(!Bridge::Bcmxcp.owns((0x00, 0x07, 0x0303, 0)));
        let text = Bridge::TrippLite.device_text(Path::new("/s"), None);
        assert!(text.contains("vendor-id 09ae\nproduct-id 0001\n"), "{text}");
        assert!(text.contains("q1-bridge tripplite_usb\n"), "{text}");
        assert_eq!(Bridge::Fabula.identity().product, Some("MEC0003"));
        let text = Bridge::Fuji.device_text(Path::new("/tmp/a b.sock"), Some((0x1234, 5)));
        assert!(text.contains("vendor-id 1234\nproduct-id 0005\n"), "{text}");
        assert!(text.contains("q1-socket \"/tmp/a b.sock\""), "{text}");
    }

    /// A Riello unit's frames are cut out of its packets and answered (here by a server
    /// that echoes them), the answers packed 7 bytes a packet; bytes outside frames dropped.
    #[test]
    fn riello_packets_both_ways() {
        use std::io::{Read, Write};
        let text = Bridge::Riello.device_text(Path::new("/s"), None);
        assert!(text.contains("vendor-id 04b4\nproduct-id 5500\n"), "{text}");
        assert!(text.contains("report-descriptor 06 a0 ff"), "{text}");
        assert_eq!(Bridge::from_name("RIELLO_USB"), Some(Bridge::Riello));
        assert!(!Bridge::ALL.contains(&Bridge::Riello));
        assert!(!Bridge::Riello.owns((0x21, 0x09, 0x0300, 0)));
        let dir = std::env::temp_dir().join(format!("q1-riello-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut seen = Vec::new();
            let mut head = [0u8; 4];
            while stream.read_exact(&mut head).is_ok() {
                let mut body = vec![0u8; u32::from_be_bytes(head) as usize];
                stream.read_exact(&mut body).unwrap();
                seen.push(body.clone());
                let mut out = (body.len() as u32).to_be_bytes().to_vec();
                out.extend(body);
                stream.write_all(&out).unwrap();
            }
            seen
        });
        let mut bridge = Q1Bridge::new(Bridge::Riello, &path);
        let mut queue = VecDeque::new();
        let frame = b"\x02\x20\x22GI000132\x03";
        // A stray byte first (a SENTR probe), then the frame in C's packets.
        assert!(bridge
            .interrupt_out(&mut queue, 8, 0x02, b"\x31\xc0000000")
            .is_some());
        assert!(queue.is_empty());
        for packet in [&b"\x37\x02\x20\x22GI00"[..], b"\x350132\x0300"] {
            assert_eq!(
                bridge.interrupt_out(&mut queue, 8, 0x02, packet),
                Some(Step::Done(Ok(8)))
            );
        }
        assert_eq!(bridge.interrupt_out(&mut queue, 8, 0x01, b"x"), None);
        let packets: Vec<Vec<u8>> = queue.into_iter().collect();
        assert_eq!(packets.len(), 2);
        assert_eq!(packets[0], b"\x07\x02\x20\x22GI00");
        assert_eq!(packets[1], b"\x050132\x03\x00\x00");
        drop(bridge);
        assert_eq!(server.join().unwrap(), [frame.to_vec()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// An APC Modbus unit's requests are cut out of its output reports (interrupt OUT or
    /// SET_REPORT), sent with their CRC to a server (here one that echoes them) and the
    /// answers queued without CRC in input reports 0x89.
    #[test]
    fn apc_modbus_reports_both_ways() {
        use std::io::{Read, Write};
        let text = Bridge::ApcModbus.device_text(Path::new("/s"), None);
        assert!(text.contains("vendor-id 051d\nproduct-id 0003\n"), "{text}");
        assert!(text.contains("06 86 ff 85 89 09 fd"), "{text}");
        assert_eq!(Bridge::from_name("APC_MODBUS"), Some(Bridge::ApcModbus));
        assert!(!Bridge::ALL.contains(&Bridge::ApcModbus));
        assert!(Bridge::ApcModbus.owns((0x21, 0x09, 0x0290, 0)));
        assert!(!Bridge::ApcModbus.owns((0x21, 0x09, 0x0390, 0)));
        let endpoints = Bridge::ApcModbus.default_endpoints();
        assert_eq!(endpoints.len(), 2);
        assert!(endpoints.iter().all(|e| e.max_packet == 64));
        let dir = std::env::temp_dir().join(format!("q1-modbus-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut seen = Vec::new();
            let mut head = [0u8; 4];
            while stream.read_exact(&mut head).is_ok() {
                let mut body = vec![0u8; u32::from_be_bytes(head) as usize];
                stream.read_exact(&mut body).unwrap();
                seen.push(body.clone());
                // The second request gets no answer.
                let answer = if seen.len() == 2 { Vec::new() } else { body };
                let mut out = (answer.len() as u32).to_be_bytes().to_vec();
                out.extend(answer);
                stream.write_all(&out).unwrap();
            }
            seen
        });
        let mut bridge = Q1Bridge::new(Bridge::ApcModbus, &path);
        let mut queue = VecDeque::new();
        let request = [1u8, 3, 0, 0x80, 0, 4];
        let mut report = vec![0x90];
        report.extend_from_slice(&request);
        report.resize(64, 0);
        // Another endpoint or report id: not a request.
        assert_eq!(bridge.interrupt_out(&mut queue, 64, 0x02, &report), None);
        let mut other = report.clone();
        other[0] = 0x91;
        bridge.interrupt_out(&mut queue, 64, 0x01, &other);
        assert!(queue.is_empty());
        assert_eq!(
            bridge.interrupt_out(&mut queue, 64, 0x01, &report),
            Some(Step::Done(Ok(64)))
        );
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0][..7], [0x89, 1, 3, 0, 0x80, 0, 4]);
        assert!(queue[0][7..].iter().all(|&b| b == 0));
        assert_eq!(
            bridge.take_notes(),
            ["apc_modbus request=010300800004 reply=010300800004"]
        );
        // By SET_REPORT, and silent.
        let mut data = report.clone();
        assert_eq!(
            bridge.control(&mut queue, 64, (0x21, 0x09, 0x0290, 0), &mut data),
            Step::Done(Ok(64))
        );
        assert_eq!(queue.len(), 1);
        assert_eq!(
            bridge.take_notes(),
            ["apc_modbus request=010300800004 reply=-"]
        );
        drop(bridge);
        let seen = server.join().unwrap();
        let adu = crate::modbus_hid::with_crc(&request);
        assert_eq!(seen, [adu.clone(), adu]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn string_indices() {
        let cmd = |b: Bridge, i: u8| {
            b.string_command(i)
                .map(|c| String::from_utf8_lossy(&c).into_owned())
        };
        assert_eq!(cmd(Bridge::Krauler, 0x03).as_deref(), Some("Q1\r"));
        assert_eq!(cmd(Bridge::Krauler, 0x0b).as_deref(), Some("C\r"));
        assert_eq!(cmd(Bridge::Snr, 0x07), None);
        assert_eq!(cmd(Bridge::Fabula, 0x0a).as_deref(), Some("C\r"));
        assert_eq!(cmd(Bridge::Fabula, 0x10).as_deref(), Some("S.5\r"));
        assert_eq!(cmd(Bridge::Hunnox, 0x58).as_deref(), Some("S.9R0001\r"));
        assert_eq!(cmd(Bridge::Fabula, 0x60).as_deref(), Some("S01\r"));
        assert_eq!(cmd(Bridge::Fabula, 0xf8).as_deref(), Some("S10R0001\r"));
        assert_eq!(cmd(Bridge::Fabula, 0x14), None);
        for b in Bridge::ALL {
            assert_eq!(b.string_command(1), None);
            assert_eq!(b.string_command(2), None);
        }
        assert_eq!(
            string_descriptor(b"(1\r"),
            vec![8, 3, b'(', 0, b'1', 0, b'\r', 0]
        );
    }

    #[test]
    fn chunks_and_packets() {
        assert_eq!(chunk_bytes(Bridge::Cypress, b"Q1\r\0\0\0\0\0"), b"Q1\r");
        assert_eq!(chunk_bytes(Bridge::Ippon, b"F\r\0\xff\x12abc"), b"F\r");
        assert_eq!(chunk_bytes(Bridge::Cypress, b"S.5R0001"), b"S.5R0001");
        assert_eq!(chunk_bytes(Bridge::Sgs, b"\x03Q1\rxxxx"), b"Q1\r");
        assert_eq!(chunk_bytes(Bridge::Sgs, b"\x09abcdefg"), b"abcdefg");
        assert_eq!(chunk_bytes(Bridge::Armac, b"\xa2F\r\0"), b"F\r");
        let text = b"(230.0 x\r";
        assert_eq!(
            Bridge::Cypress.packets(Some(text), 8),
            vec![b"(230.0 x".to_vec(), b"\r\0\0\0\0\0\0\0".to_vec()]
        );
        assert_eq!(
            Bridge::Sgs.packets(Some(text), 8),
            vec![b"\x07(230.0 ".to_vec(), b"\x02x\r\0\0\0\0\0".to_vec()]
        );
        assert_eq!(
            Bridge::Armac.packets(None, 8),
            vec![vec![0xa0, 0, 0, 0, 0, 0]]
        );
        assert_eq!(Bridge::Armac.packets(Some(text), 8).len(), 3);
        assert_eq!(Bridge::Ippon.packets(Some(text), 8)[0].len(), 64);
        assert!(Bridge::Ippon.packets(None, 8).is_empty());
        assert_eq!(Bridge::Phoenixtec.packets(Some(text), 4).len(), 3);
    }
}
