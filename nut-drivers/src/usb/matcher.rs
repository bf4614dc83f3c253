//! Which USB device a driver takes: C NUT's regular-expression matcher over the
//! `vendorid`, `productid`, `vendor`, `product`, `serial`, `bus`, `device` and `busport`
//! options, and the exact matcher that makes a reconnect find the same unit again.

use regex_lite::{Regex, RegexBuilder};

use super::transport::UsbDeviceInfo;

/// The option names of the matcher, in C's order (as ups.conf and `-x` take them).
pub const MATCH_OPTIONS: [&str; 8] = [
    "vendorid",
    "productid",
    "vendor",
    "product",
    "serial",
    "bus",
    "device",
    "busport",
];

/// The matching options as drivers list them (`-h`, `-L`), in C's order.
pub fn option_specs() -> Vec<nut_driver_api::OptionSpec> {
    use nut_driver_api::OptionSpec;
    [
        (
            "vendor",
            "Regular expression to match UPS Manufacturer string",
        ),
        ("product", "Regular expression to match UPS Product string"),
        ("serial", "Regular expression to match UPS Serial number"),
        (
            "vendorid",
            "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)",
        ),
        (
            "productid",
            "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)",
        ),
        ("bus", "Regular expression to match USB bus name"),
        ("device", "Regular expression to match USB device name"),
        ("busport", "Regular expression to match USB bus port name"),
    ]
    .into_iter()
    .map(|(name, what)| OptionSpec::value(name, what))
    .collect()
}

/// A regular expression that must match a whole field, ignoring case and the field's
/// leading and trailing white space, as C's `match_regex` does.
#[derive(Debug, Clone)]
struct FieldRegex {
    option: &'static str,
    regex: Regex,
}

/// A bad matching option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression: {text} (option {option}): {reason}")]
pub struct MatcherError {
    /// The option.
    pub option: String,
    /// Its value.
    pub text: String,
    /// Why it does not compile.
    pub reason: String,
}

/// C's regex matcher: every option given must match its field; options not given match
/// anything.
#[derive(Debug, Clone, Default)]
pub struct UsbMatcher {
    fields: Vec<FieldRegex>,
}

impl UsbMatcher {
    /// A matcher from `(option, value)` pairs; options other than [`MATCH_OPTIONS`] are
    /// ignored.
    pub fn new<'a>(
        options: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, MatcherError> {
        let mut fields = Vec::new();
        for (name, text) in options {
            let Some(option) = MATCH_OPTIONS.iter().find(|o| o.eq_ignore_ascii_case(name)) else {
                continue;
            };
            let regex = RegexBuilder::new(&format!("^(?:{text})$"))
                .case_insensitive(true)
                .build()
                .map_err(|e| MatcherError {
                    option: option.to_string(),
                    text: text.to_owned(),
                    reason: e.to_string(),
                })?;
            fields.push(FieldRegex { option, regex });
        }
        Ok(Self { fields })
    }

    /// Whether `device` matches every given option.
    pub fn matches(&self, device: &UsbDeviceInfo) -> bool {
        self.fields.iter().all(|f| {
            let value = match f.option {
                "vendorid" => Some(format!("{:04x}", device.vendor_id)),
                "productid" => Some(format!("{:04x}", device.product_id)),
                "vendor" => device.vendor.clone(),
                "product" => device.product.clone(),
                "serial" => device.serial.clone(),
                "bus" => Some(device.bus.clone()),
                "device" => device.device.clone(),
                _ => device.bus_port.clone(),
            };
            let value = value.unwrap_or_default();
            f.regex.is_match(value.trim_matches([' ', '\t', '\n']))
        })
    }

    /// Whether the `productid` option was given (C's subdrivers then accept an unknown
    /// product of a known vendor).
    pub fn has_option(&self, option: &str) -> bool {
        self.fields.iter().any(|f| f.option == option)
    }
}

/// C's exact matcher: after a first successful open, a reconnect takes only a device with
/// the same ids and strings (and bus), so that another unit plugged meanwhile is not taken.
pub fn same_device(known: &UsbDeviceInfo, found: &UsbDeviceInfo) -> bool {
    known.vendor_id == found.vendor_id
        && known.product_id == found.product_id
        && known.vendor == found.vendor
        && known.product == found.product
        && known.serial == found.serial
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apc() -> UsbDeviceInfo {
        UsbDeviceInfo {
            vendor: Some("American Power Conversion".into()),
            product: Some("Back-UPS 500 FW: 6.5.I USB FW: c1 ".into()),
            serial: Some("AB0427".into()),
            bus: "001".into(),
            device: Some("002".into()),
            ..UsbDeviceInfo::new(0x051d, 0x0002)
        }
    }

    #[test]
    fn whole_field_case_insensitive() {
        let m = UsbMatcher::new([("vendorid", "051D"), ("product", "back-ups 500.*")]).unwrap();
        assert!(m.matches(&apc()));
        let m = UsbMatcher::new([("vendorid", "051")]).unwrap();
        assert!(!m.matches(&apc()), "a prefix is not a match");
        let m = UsbMatcher::new([("serial", "AB0427"), ("bus", "001")]).unwrap();
        assert!(m.matches(&apc()));
        let m = UsbMatcher::new([("serial", "XYZ")]).unwrap();
        assert!(!m.matches(&apc()));
    }

    #[test]
    fn posix_extended_forms_users_write() {
        // Bracket classes, alternation and intervals, as in C's POSIX extended expressions.
        let m = UsbMatcher::new([
            ("product", "back-ups [[:digit:]]{3} fw:.*"),
            ("vendor", "(american power conversion|apc)"),
            ("serial", "[a-z]{2}[0-9]+"),
        ])
        .unwrap();
        assert!(m.matches(&apc()));
        let m = UsbMatcher::new([("product", "back-ups [[:alpha:]]+.*")]).unwrap();
        assert!(!m.matches(&apc()));
    }

    #[test]
    fn bad_regex_is_an_error() {
        let e = UsbMatcher::new([("vendor", "(")]).unwrap_err();
        assert_eq!(e.option, "vendor");
    }

    #[test]
    fn missing_strings_match_empty() {
        let mut d = apc();
        d.serial = None;
        assert!(UsbMatcher::new([("serial", "")]).unwrap().matches(&d));
        assert!(!UsbMatcher::new([("serial", ".+")]).unwrap().matches(&d));
    }

    #[test]
    fn exact_matcher() {
        let mut other = apc();
        assert!(same_device(&apc(), &other));
        other.serial = Some("OTHER".into());
        assert!(!same_device(&apc(), &other));
    }
}
