//! Raw USB descriptors of an emulated device, built from its [`DeviceSpec`].

use crate::device::{DeviceSpec, EndpointKind};

/// bDescriptorType of a device descriptor.
pub const DT_DEVICE: u8 = 1;
/// bDescriptorType of a configuration descriptor.
pub const DT_CONFIG: u8 = 2;
/// bDescriptorType of a string descriptor.
pub const DT_STRING: u8 = 3;
/// bDescriptorType of an interface descriptor.
pub const DT_INTERFACE: u8 = 4;
/// bDescriptorType of an endpoint descriptor.
pub const DT_ENDPOINT: u8 = 5;
/// bDescriptorType of the HID class descriptor.
pub const DT_HID: u8 = 0x21;
/// bDescriptorType of the HID report descriptor.
pub const DT_REPORT: u8 = 0x22;

/// The value of the only configuration.
pub const CONFIG_VALUE: u8 = 1;
/// bmAttributes of the configuration (bus powered, remote wakeup).
pub const CONFIG_ATTRIBUTES: u8 = 0xa0;
/// bMaxPower of the configuration (in 2 mA units).
pub const CONFIG_MAX_POWER: u8 = 50;

fn lo(v: u16) -> u8 {
    v.to_le_bytes()[0]
}

fn hi(v: u16) -> u8 {
    v.to_le_bytes()[1]
}

/// True when the interface is a HID interface, so it carries a HID class descriptor.
pub fn is_hid(spec: &DeviceSpec) -> bool {
    spec.interface_class[0] == 3
}

/// The 18-byte device descriptor.
pub fn device_descriptor(spec: &DeviceSpec) -> [u8; 18] {
    let [class, subclass, protocol] = spec.device_class;
    [
        18,
        DT_DEVICE,
        lo(spec.bcd_usb),
        hi(spec.bcd_usb),
        class,
        subclass,
        protocol,
        8,
        lo(spec.vendor_id),
        hi(spec.vendor_id),
        lo(spec.product_id),
        hi(spec.product_id),
        lo(spec.bcd_device),
        hi(spec.bcd_device),
        spec.i_manufacturer,
        spec.i_product,
        spec.i_serial,
        spec.configurations,
    ]
}

/// The 9-byte HID class descriptor (one report descriptor of the spec's length).
pub fn hid_descriptor(spec: &DeviceSpec) -> [u8; 9] {
    let len = u16::try_from(spec.report_descriptor.len()).unwrap_or(u16::MAX);
    [
        9,
        DT_HID,
        lo(spec.hid_version),
        hi(spec.hid_version),
        spec.hid_country,
        1,
        DT_REPORT,
        lo(len),
        hi(len),
    ]
}

/// The 7-byte descriptor of endpoint `i` (if it exists).
pub fn endpoint_descriptor(spec: &DeviceSpec, i: usize) -> Option<[u8; 7]> {
    let ep = spec.endpoints.get(i)?;
    let attributes = match ep.kind {
        EndpointKind::Interrupt => 3,
        EndpointKind::Bulk => 2,
    };
    Some([
        7,
        DT_ENDPOINT,
        ep.address,
        attributes,
        lo(ep.max_packet),
        hi(ep.max_packet),
        ep.interval,
    ])
}

/// The class of the placeholder interfaces before the device's own (vendor specific): a
/// device whose `interface-number` is N has N of them, as a composite device (an Arduino
/// board: CDC on interfaces 0 and 1, HID on 2).
pub const PLACEHOLDER_CLASS: [u8; 3] = [0xff, 0, 0];

/// The 9-byte descriptor of placeholder interface `number`.
pub fn placeholder_interface_descriptor(number: u8) -> [u8; 9] {
    let [class, subclass, protocol] = PLACEHOLDER_CLASS;
    [9, DT_INTERFACE, number, 0, 0, class, subclass, protocol, 0]
}

/// The 9-byte interface descriptor.
pub fn interface_descriptor(spec: &DeviceSpec) -> [u8; 9] {
    let [class, subclass, protocol] = spec.interface_class;
    [
        9,
        DT_INTERFACE,
        spec.interface_number,
        0,
        u8::try_from(spec.endpoints.len()).unwrap_or(u8::MAX),
        class,
        subclass,
        protocol,
        0,
    ]
}

/// The whole configuration: configuration, interface, HID class (HID only) and endpoint
/// descriptors, as GET_DESCRIPTOR(CONFIGURATION) returns them.
pub fn config_descriptor(spec: &DeviceSpec) -> Vec<u8> {
    let mut body = Vec::new();
    for number in 0..spec.interface_number {
        body.extend_from_slice(&placeholder_interface_descriptor(number));
    }
    body.extend_from_slice(&interface_descriptor(spec));
    if is_hid(spec) {
        body.extend_from_slice(&hid_descriptor(spec));
    }
    for i in 0..spec.endpoints.len() {
        if let Some(ep) = endpoint_descriptor(spec, i) {
            body.extend_from_slice(&ep);
        }
    }
    let total = u16::try_from(body.len() + 9).unwrap_or(u16::MAX);
    let mut out = vec![
        9,
        DT_CONFIG,
        lo(total),
        hi(total),
        spec.interface_number.saturating_add(1),
        CONFIG_VALUE,
        0,
        CONFIG_ATTRIBUTES,
        CONFIG_MAX_POWER,
    ];
    out.extend(body);
    out
}

/// A string descriptor: index 0 is the language table (US English), others the UTF-16LE text.
pub fn string_descriptor(
    spec_strings: &std::collections::BTreeMap<u8, String>,
    index: u8,
) -> Option<Vec<u8>> {
    if index == 0 {
        return Some(vec![4, DT_STRING, 0x09, 0x04]);
    }
    let text = spec_strings.get(&index)?;
    let mut out = vec![0, DT_STRING];
    for unit in text.encode_utf16().take(126) {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out[0] = u8::try_from(out.len()).unwrap_or(u8::MAX);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_of_a_hid_device() {
        let spec = DeviceSpec {
            vendor_id: 0x051d,
            product_id: 2,
            i_product: 1,
            report_descriptor: vec![0; 374],
            ..DeviceSpec::default()
        };
        let dev = device_descriptor(&spec);
        assert_eq!(&dev[8..12], &[0x1d, 0x05, 2, 0]);
        assert_eq!(dev[15], 1);
        assert_eq!(hid_descriptor(&spec)[7..], [0x76, 0x01]);
        let config = config_descriptor(&spec);
        assert_eq!(config.len(), 9 + 9 + 9 + 7);
        assert_eq!(usize::from(config[2]), config.len());
        assert_eq!(config[18 + 1], DT_HID);
        let mut strings = std::collections::BTreeMap::new();
        strings.insert(1, "Ab".to_owned());
        assert_eq!(
            string_descriptor(&strings, 1),
            Some(vec![6, 3, b'A', 0, b'b', 0])
        );
        assert_eq!(string_descriptor(&strings, 0), Some(vec![4, 3, 9, 4]));
        assert_eq!(string_descriptor(&strings, 2), None);
    }

    #[test]
    fn a_composite_device_has_placeholders_first() {
        let spec = DeviceSpec {
            interface_number: 2,
            report_descriptor: vec![0; 10],
            ..DeviceSpec::default()
        };
        let config = config_descriptor(&spec);
        assert_eq!(config.len(), 9 + 9 + 9 + 9 + 9 + 7);
        assert_eq!(config[4], 3, "bNumInterfaces");
        assert_eq!(&config[9..18], &[9, DT_INTERFACE, 0, 0, 0, 0xff, 0, 0, 0]);
        assert_eq!(&config[18..21], &[9, DT_INTERFACE, 1]);
        assert_eq!(&config[27..30], &[9, DT_INTERFACE, 2]);
        assert_eq!(config[36 + 1], DT_HID);
    }
}
