//! Answers to control requests: standard GET_DESCRIPTOR and friends, the HID class requests
//! (GET_REPORT, SET_REPORT, GET_IDLE, SET_IDLE, GET_PROTOCOL, SET_PROTOCOL), and the device
//! file's scripted `control` rules for anything else.

use crate::descriptors::{self, DT_CONFIG, DT_DEVICE, DT_HID, DT_REPORT, DT_STRING};
use crate::device::UnknownReport;
use crate::emu::{code, DeviceState, Step};
use crate::script::Fault;

const TYPE_MASK: u8 = 0x60;
const TYPE_STANDARD: u8 = 0x00;
const TYPE_CLASS: u8 = 0x20;

const GET_STATUS: u8 = 0x00;
const CLEAR_FEATURE: u8 = 0x01;
const SET_FEATURE: u8 = 0x03;
const GET_DESCRIPTOR: u8 = 0x06;
const GET_CONFIGURATION: u8 = 0x08;
const SET_CONFIGURATION: u8 = 0x09;
const GET_INTERFACE: u8 = 0x0a;
const SET_INTERFACE: u8 = 0x0b;

const HID_GET_REPORT: u8 = 0x01;
const HID_GET_IDLE: u8 = 0x02;
const HID_GET_PROTOCOL: u8 = 0x03;
const HID_SET_REPORT: u8 = 0x09;
const HID_SET_IDLE: u8 = 0x0a;
const HID_SET_PROTOCOL: u8 = 0x0b;

/// Copies `bytes` (truncated to the buffer) into `data`: the number of bytes sent.
fn send(data: &mut [u8], bytes: &[u8]) -> Step {
    let n = bytes.len().min(data.len());
    data[..n].copy_from_slice(&bytes[..n]);
    Step::Done(Ok(n))
}

/// The device's answer to one control request. `data` is the IN buffer (wLength bytes) or
/// the OUT payload.
pub(crate) fn answer(
    device: &mut DeviceState,
    request_type: u8,
    request: u8,
    value: u16,
    index: u16,
    data: &mut [u8],
) -> Step {
    let device_to_host = request_type & 0x80 != 0;
    if let Some(rule) = device.spec.controls.iter().find(|r| {
        r.request_type == request_type
            && r.request == request
            && r.value == value
            && r.index == index
    }) {
        return match (&rule.answer, device_to_host) {
            (None, _) => Step::Done(Err(code::PIPE)),
            (Some(bytes), true) => send(data, bytes),
            (Some(_), false) => Step::Done(Ok(data.len())),
        };
    }
    if let Some(step) = bridge_request(device, request_type, request, value, index, data) {
        return step;
    }
    let [value_lo, value_hi] = value.to_le_bytes();
    match (request_type & TYPE_MASK, request, device_to_host) {
        (TYPE_STANDARD, GET_DESCRIPTOR, true) => match value_hi {
            DT_DEVICE => send(data, &descriptors::device_descriptor(&device.spec)),
            DT_CONFIG => send(data, &descriptors::config_descriptor(&device.spec)),
            DT_STRING => match descriptors::string_descriptor(&device.spec.strings, value_lo) {
                Some(bytes) => send(data, &bytes),
                None => Step::Done(Err(code::PIPE)),
            },
            DT_HID if descriptors::is_hid(&device.spec) => {
                send(data, &descriptors::hid_descriptor(&device.spec))
            }
            DT_REPORT if !device.spec.report_descriptor.is_empty() => {
                send(data, &device.spec.report_descriptor)
            }
            _ => Step::Done(Err(code::PIPE)),
        },
        (TYPE_STANDARD, GET_STATUS, true) => send(data, &[0, 0]),
        (TYPE_STANDARD, GET_CONFIGURATION, true) => send(data, &[descriptors::CONFIG_VALUE]),
        (TYPE_STANDARD, GET_INTERFACE, true) => send(data, &[0]),
        (TYPE_STANDARD, SET_CONFIGURATION | SET_INTERFACE | CLEAR_FEATURE | SET_FEATURE, false) => {
            Step::Done(Ok(data.len()))
        }
        (TYPE_CLASS, HID_GET_REPORT, true) => get_report(device, value_hi, value_lo, data),
        (TYPE_CLASS, HID_SET_REPORT, false) => set_report(device, value_lo, data),
        (TYPE_CLASS, HID_GET_IDLE, true) => send(data, &[device.idle]),
        (TYPE_CLASS, HID_SET_IDLE, false) => {
            device.idle = value_hi;
            Step::Done(Ok(data.len()))
        }
        (TYPE_CLASS, HID_GET_PROTOCOL, true) => send(data, &[1]),
        (TYPE_CLASS, HID_SET_PROTOCOL, false) => Step::Done(Ok(data.len())),
        (_, _, true) => Step::Done(Err(code::PIPE)),
        (_, _, false) => Step::Done(Ok(data.len())),
    }
}

/// A request of a Q1 bridge's framing (`None`: not one, or not a bridge device). Faults of
/// the report id apply to its SET_REPORT and GET_REPORT requests, faults of `all` to its
/// string requests.
fn bridge_request(
    device: &mut DeviceState,
    request_type: u8,
    request: u8,
    value: u16,
    index: u16,
    data: &mut [u8],
) -> Option<Step> {
    let setup = (request_type, request, value, index);
    if !device.bridge.as_ref()?.bridge.owns(setup) {
        return None;
    }
    let id = value.to_le_bytes()[0];
    let fault = if request_type & TYPE_MASK == TYPE_STANDARD {
        device.take_fault_for_all()
    } else {
        device.take_fault(Some(id))
    };
    match fault {
        Some(Fault::Garbage) if request_type & 0x80 == 0 => Some(Step::Done(Ok(data.len()))),
        Some(f) => Some(fault_step(f, id, data)),
        None => {
            let in_packet = device.interrupt_in_packet();
            let bridge = device.bridge.as_mut()?;
            Some(bridge.control(&mut device.interrupts, in_packet, setup, data))
        }
    }
}

fn fault_step(fault: Fault, id: u8, data: &mut [u8]) -> Step {
    match fault {
        Fault::Stall => Step::Done(Err(code::PIPE)),
        Fault::Error(e) => Step::Done(Err(e)),
        Fault::Timeout => Step::Hang,
        Fault::Garbage => {
            data.fill(0xa5);
            if let Some(first) = data.first_mut() {
                *first = id ^ 0xff;
            }
            Step::Done(Ok(data.len()))
        }
    }
}

/// GET_REPORT: the stored value (feature first for feature requests, input first for input
/// requests), truncated to wLength.
fn get_report(device: &mut DeviceState, report_type: u8, id: u8, data: &mut [u8]) -> Step {
    if let Some(fault) = device.take_fault(Some(id)) {
        return fault_step(fault, id, data);
    }
    let (first, second) = if report_type == 1 {
        (&device.inputs, &device.features)
    } else {
        (&device.features, &device.inputs)
    };
    if let Some(bytes) = first.get(&id).or_else(|| second.get(&id)) {
        return send(data, bytes);
    }
    match device.spec.unknown_report {
        UnknownReport::Stall => Step::Done(Err(code::PIPE)),
        UnknownReport::Zero => {
            data.fill(0);
            if let (Some(first), true) = (data.first_mut(), id != 0) {
                *first = id;
            }
            Step::Done(Ok(data.len()))
        }
    }
}

/// SET_REPORT: the written bytes become the report's value; a serial-bridge reply rule
/// matching them queues its answer as an interrupt report.
fn set_report(device: &mut DeviceState, id: u8, data: &mut [u8]) -> Step {
    if let Some(fault) = device.take_fault(Some(id)) {
        return match fault {
            Fault::Garbage => Step::Done(Ok(data.len())),
            other => fault_step(other, id, data),
        };
    }
    device.features.insert(id, data.to_vec());
    if let Some(rule) = device
        .spec
        .replies
        .iter()
        .find(|r| data.starts_with(&r.request))
    {
        let answer = rule.answer.clone();
        device.queue_reply(&answer, false);
    }
    Step::Done(Ok(data.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceSpec;

    #[test]
    fn standard_and_scripted_requests() {
        let text = "vendor-id 0665\nproduct-id 5161\nproduct UPS\nreport-descriptor 05 84 c0\ncontrol c0 01 0002 0000 => 01 02 03\ncontrol 40 05 0000 0000 => stall\nunknown-report stall\n";
        let spec = DeviceSpec::parse(text, "t").unwrap_or_default();
        let mut d = DeviceState::new(spec);
        let mut buf = [0u8; 64];
        assert_eq!(
            answer(&mut d, 0x80, 6, 0x0100, 0, &mut buf[..18]),
            Step::Done(Ok(18))
        );
        assert_eq!(&buf[8..10], &[0x65, 0x06]);
        assert_eq!(
            answer(&mut d, 0x81, 6, 0x2200, 0, &mut buf[..9]),
            Step::Done(Ok(3))
        );
        assert_eq!(
            answer(&mut d, 0x81, 6, 0x2100, 0, &mut buf[..9]),
            Step::Done(Ok(9))
        );
        assert_eq!(buf[7], 3);
        assert_eq!(
            answer(&mut d, 0x80, 6, 0x0302, 0x409, &mut buf),
            Step::Done(Ok(8))
        );
        assert_eq!(
            answer(&mut d, 0x80, 6, 0x0309, 0x409, &mut buf),
            Step::Done(Err(code::PIPE))
        );
        assert_eq!(
            answer(&mut d, 0xc0, 1, 2, 0, &mut buf[..2]),
            Step::Done(Ok(2))
        );
        assert_eq!(
            answer(&mut d, 0x40, 5, 0, 0, &mut []),
            Step::Done(Err(code::PIPE))
        );
        assert_eq!(
            answer(&mut d, 0xc0, 9, 0, 0, &mut buf),
            Step::Done(Err(code::PIPE))
        );
        assert_eq!(
            answer(&mut d, 0xa1, 1, 0x0305, 0, &mut buf),
            Step::Done(Err(code::PIPE))
        );
        assert_eq!(
            answer(&mut d, 0x21, 0x0a, 0x0400, 0, &mut []),
            Step::Done(Ok(0))
        );
        assert_eq!(
            answer(&mut d, 0xa1, 2, 0, 0, &mut buf[..1]),
            Step::Done(Ok(1))
        );
        assert_eq!(buf[0], 4);
    }
}
