//! What a scan finds: a device (or a NUT server's UPS) with the driver, port and options a
//! `ups.conf` section needs.

use std::fmt;

/// How a device was found: C's `nutscan_device_type_t`, whose names the parsable output
/// (`-P`) starts each line with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Bus {
    /// A USB device (`USB`).
    Usb,
    /// An SNMP agent (`SNMP`).
    Snmp,
    /// An XML/HTTP device (`XML`).
    Xml,
    /// A UPS served by a NUT server, found by connecting to it (`NUT`).
    Nut,
    /// An IPMI power supply (`IPMI`).
    Ipmi,
    /// A NUT server announced over mDNS/DNS-SD (`AVAHI`).
    Avahi,
    /// A serial device (`EATON_SERIAL`).
    Serial,
    /// A dummy-ups simulation file (`NUT_SIMULATION`, as later C versions name it).
    Simulation,
}

impl Bus {
    /// The name C prints for this bus (`USB`, `SNMP`, `NUT`, …).
    pub fn c_name(self) -> &'static str {
        match self {
            Self::Usb => "USB",
            Self::Snmp => "SNMP",
            Self::Xml => "XML",
            Self::Nut => "NUT",
            Self::Ipmi => "IPMI",
            Self::Avahi => "AVAHI",
            Self::Serial => "EATON_SERIAL",
            Self::Simulation => "NUT_SIMULATION",
        }
    }
}

impl fmt::Display for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.c_name())
    }
}

/// One device found: what to write in `ups.conf` for it.
///
/// `options` keep C's order (the order of the lines of a section); an option may be a flag
/// without a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Finding {
    /// How it was found.
    pub bus: Bus,
    /// The driver to run (`usbhid-ups`, `snmp-ups`, `nutclient`, …).
    pub driver: String,
    /// The driver's `port` (`auto`, an address, `ups@host`, a device file).
    pub port: String,
    /// The other driver options, in order: `(name, value)`; `None` for a flag.
    pub options: Vec<(String, Option<String>)>,
    /// What the device says it is, when it says (a NUT server's UPS description, an SNMP
    /// agent's model); not part of the `ups.conf` section unless an option carries it.
    pub description: Option<String>,
    /// The server's address and port, for a finding on a NUT server (C's `port` leaves the
    /// TCP port out).
    pub server: Option<std::net::SocketAddr>,
}

impl Finding {
    /// A finding without options.
    pub fn new(bus: Bus, driver: impl Into<String>, port: impl Into<String>) -> Self {
        Self {
            bus,
            driver: driver.into(),
            port: port.into(),
            options: Vec::new(),
            description: None,
            server: None,
        }
    }

    /// Adds the option `name = value` after the others.
    pub fn with_option(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((name.into(), Some(value.into())));
        self
    }

    /// The value of option `name`, if it has one.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// A one-line summary for people: the bus, driver, port, and the description (or the
    /// `desc`, `product` or `mibs` option) when there is one.
    pub fn summary(&self) -> String {
        let what = self
            .description
            .as_deref()
            .or_else(|| {
                ["desc", "product", "mibs"]
                    .iter()
                    .find_map(|o| self.option(o))
            })
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        format!("{} {} at {}{what}", self.bus, self.driver, self.port)
    }
}
