//! Device list, device properties and descriptors.

use std::ffi::{c_int, c_void};

use super::*;

// ---- device list and device properties --------------------------------------------------------

/// `libusb_get_device_list`: the plugged devices, null-terminated.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_device_list(
    _ctx: *mut c_void,
    list: *mut *mut *mut c_void,
) -> isize {
    let keys = emu::global().device_list();
    let mut pointers: Vec<*mut c_void> = keys.iter().map(|k| device_pointer(*k)).collect();
    let count = pointers.len();
    pointers.push(std::ptr::null_mut());
    let raw = Box::into_raw(pointers.into_boxed_slice()) as *mut *mut c_void;
    registry().lists.insert(raw as usize, count + 1);
    // SAFETY: `list` is null or the caller's list variable.
    if !unsafe { put(list, raw) } {
        return code::INVALID_PARAM as isize;
    }
    count as isize
}

/// `libusb_free_device_list`.
#[no_mangle]
pub unsafe extern "C" fn libusb_free_device_list(list: *mut *mut c_void, _unref: c_int) {
    let Some(len) = registry().lists.remove(&(list as usize)) else {
        return;
    };
    // SAFETY: `list` came from `libusb_get_device_list` as a boxed slice of `len` pointers and
    // was just removed from the registry, so it is freed exactly once.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(list, len)) });
}

/// `libusb_ref_device`.
#[no_mangle]
pub extern "C" fn libusb_ref_device(dev: *mut c_void) -> *mut c_void {
    dev
}

/// `libusb_unref_device`: devices live as long as the process.
#[no_mangle]
pub extern "C" fn libusb_unref_device(_dev: *mut c_void) {}

/// `libusb_get_device_descriptor`.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_device_descriptor(
    dev: *mut c_void,
    desc: *mut DeviceDescriptor,
) -> c_int {
    let Some(spec) = spec_of(dev) else {
        return code::NO_DEVICE;
    };
    let [class, subclass, protocol] = spec.device_class;
    let value = DeviceDescriptor {
        bLength: 18,
        bDescriptorType: descriptors::DT_DEVICE,
        bcdUSB: spec.bcd_usb,
        bDeviceClass: class,
        bDeviceSubClass: subclass,
        bDeviceProtocol: protocol,
        bMaxPacketSize0: 8,
        idVendor: spec.vendor_id,
        idProduct: spec.product_id,
        bcdDevice: spec.bcd_device,
        iManufacturer: spec.i_manufacturer,
        iProduct: spec.i_product,
        iSerialNumber: spec.i_serial,
        bNumConfigurations: spec.configurations,
    };
    // SAFETY: `desc` is null or points at the caller's descriptor struct.
    if unsafe { put(desc, value) } {
        0
    } else {
        code::INVALID_PARAM
    }
}

fn build_config(spec: &DeviceSpec) -> Box<ConfigAlloc> {
    let endpoints: Vec<EndpointDescriptor> = spec
        .endpoints
        .iter()
        .map(|ep| EndpointDescriptor {
            bLength: 7,
            bDescriptorType: descriptors::DT_ENDPOINT,
            bEndpointAddress: ep.address,
            bmAttributes: match ep.kind {
                EndpointKind::Interrupt => 3,
                EndpointKind::Bulk => 2,
            },
            wMaxPacketSize: ep.max_packet,
            bInterval: ep.interval,
            bRefresh: 0,
            bSynchAddress: 0,
            extra: std::ptr::null(),
            extra_length: 0,
        })
        .collect();
    let hid_extra = if descriptors::is_hid(spec) {
        descriptors::hid_descriptor(spec).to_vec()
    } else {
        Vec::new()
    };
    let [class, subclass, protocol] = spec.interface_class;
    // Interfaces before the device's own are placeholders (a composite device's others).
    let mut altsettings: Vec<InterfaceDescriptor> = (0..spec.interface_number)
        .map(|number| {
            let [class, subclass, protocol] = descriptors::PLACEHOLDER_CLASS;
            InterfaceDescriptor {
                bLength: 9,
                bDescriptorType: descriptors::DT_INTERFACE,
                bInterfaceNumber: number,
                bAlternateSetting: 0,
                bNumEndpoints: 0,
                bInterfaceClass: class,
                bInterfaceSubClass: subclass,
                bInterfaceProtocol: protocol,
                iInterface: 0,
                endpoint: std::ptr::null(),
                extra: std::ptr::null(),
                extra_length: 0,
            }
        })
        .collect();
    altsettings.push(InterfaceDescriptor {
        bLength: 9,
        bDescriptorType: descriptors::DT_INTERFACE,
        bInterfaceNumber: spec.interface_number,
        bAlternateSetting: 0,
        bNumEndpoints: u8::try_from(endpoints.len()).unwrap_or(u8::MAX),
        bInterfaceClass: class,
        bInterfaceSubClass: subclass,
        bInterfaceProtocol: protocol,
        iInterface: 0,
        endpoint: if endpoints.is_empty() {
            std::ptr::null()
        } else {
            endpoints.as_ptr()
        },
        extra: if hid_extra.is_empty() {
            std::ptr::null()
        } else {
            hid_extra.as_ptr()
        },
        extra_length: c_int::try_from(hid_extra.len()).unwrap_or(0),
    });
    let interfaces: Vec<Interface> = altsettings
        .iter()
        .map(|alt| Interface {
            altsetting: alt,
            num_altsetting: 1,
        })
        .collect();
    let total = u16::try_from(descriptors::config_descriptor(spec).len()).unwrap_or(u16::MAX);
    Box::new(ConfigAlloc {
        desc: ConfigDescriptor {
            bLength: 9,
            bDescriptorType: descriptors::DT_CONFIG,
            wTotalLength: total,
            bNumInterfaces: u8::try_from(interfaces.len()).unwrap_or(u8::MAX),
            bConfigurationValue: descriptors::CONFIG_VALUE,
            iConfiguration: 0,
            bmAttributes: descriptors::CONFIG_ATTRIBUTES,
            MaxPower: descriptors::CONFIG_MAX_POWER,
            interface: interfaces.as_ptr(),
            extra: std::ptr::null(),
            extra_length: 0,
        },
        interfaces,
        altsettings,
        endpoints,
        hid_extra,
    })
}

/// Hands out the configuration when `index` (none: the active one) is below the device's
/// number of configurations.
unsafe fn hand_out_config(
    dev: *mut c_void,
    index: Option<u8>,
    config: *mut *mut ConfigDescriptor,
) -> c_int {
    let Some(spec) = spec_of(dev) else {
        return code::NO_DEVICE;
    };
    if index.is_some_and(|i| i >= spec.configurations) {
        return code::NOT_FOUND;
    }
    if config.is_null() {
        return code::INVALID_PARAM;
    }
    let raw = Box::into_raw(build_config(&spec));
    registry().configs.insert(raw as usize);
    // SAFETY: non-null pointer to the caller's descriptor pointer variable; `desc` is the first
    // field of the `repr(C)` allocation, so the cast keeps the address.
    unsafe { put(config, raw.cast::<ConfigDescriptor>()) };
    0
}

/// `libusb_get_config_descriptor`: every index below `configurations` (1 unless the device
/// file says) gives the same configuration.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_config_descriptor(
    dev: *mut c_void,
    index: u8,
    config: *mut *mut ConfigDescriptor,
) -> c_int {
    // SAFETY: forwarding the caller's pointers under the same contract.
    unsafe { hand_out_config(dev, Some(index), config) }
}

/// `libusb_get_active_config_descriptor`.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_active_config_descriptor(
    dev: *mut c_void,
    config: *mut *mut ConfigDescriptor,
) -> c_int {
    // SAFETY: forwarding the caller's pointers under the same contract.
    unsafe { hand_out_config(dev, None, config) }
}

/// `libusb_get_config_descriptor_by_value`.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_config_descriptor_by_value(
    dev: *mut c_void,
    value: u8,
    config: *mut *mut ConfigDescriptor,
) -> c_int {
    // SAFETY: forwarding the caller's pointers under the same contract.
    unsafe {
        hand_out_config(
            dev,
            Some(if value == descriptors::CONFIG_VALUE {
                0
            } else {
                u8::MAX
            }),
            config,
        )
    }
}

/// `libusb_free_config_descriptor`.
#[no_mangle]
pub unsafe extern "C" fn libusb_free_config_descriptor(config: *mut ConfigDescriptor) {
    if registry().configs.remove(&(config as usize)) {
        // SAFETY: the pointer came from `Box::into_raw` of a `ConfigAlloc` (registry checked)
        // and is removed from the registry, so it is freed exactly once.
        drop(unsafe { Box::from_raw(config.cast::<ConfigAlloc>()) });
    }
}

/// `libusb_get_bus_number`.
#[no_mangle]
pub extern "C" fn libusb_get_bus_number(dev: *mut c_void) -> u8 {
    spec_of(dev).map_or(0, |s| s.bus)
}

/// `libusb_get_device_address`: the current address (a re-plug may change it).
#[no_mangle]
pub extern "C" fn libusb_get_device_address(dev: *mut c_void) -> u8 {
    let Some(key) = device_key(dev) else {
        return 0;
    };
    emu::global().any(key).map_or(0, |d| d.address)
}

/// `libusb_get_port_number`: the last port of the path.
#[no_mangle]
pub extern "C" fn libusb_get_port_number(dev: *mut c_void) -> u8 {
    spec_of(dev)
        .and_then(|s| s.port_path.last().copied())
        .unwrap_or(0)
}

/// `libusb_get_port_numbers`.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_port_numbers(
    dev: *mut c_void,
    ports: *mut u8,
    len: c_int,
) -> c_int {
    let Some(spec) = spec_of(dev) else {
        return code::NO_DEVICE;
    };
    if len <= 0 {
        return code::INVALID_PARAM;
    }
    // SAFETY: `ports` is null or valid for `len` bytes.
    let out = unsafe { buffer(ports, len) };
    if out.len() < spec.port_path.len() {
        return code::OVERFLOW;
    }
    out[..spec.port_path.len()].copy_from_slice(&spec.port_path);
    c_int::try_from(spec.port_path.len()).unwrap_or(0)
}

/// `libusb_get_port_path` (deprecated form of `libusb_get_port_numbers`).
#[no_mangle]
pub unsafe extern "C" fn libusb_get_port_path(
    _ctx: *mut c_void,
    dev: *mut c_void,
    path: *mut u8,
    len: u8,
) -> c_int {
    // SAFETY: same contract as `libusb_get_port_numbers`.
    unsafe { libusb_get_port_numbers(dev, path, c_int::from(len)) }
}

/// `libusb_get_parent`: emulated devices hang off a root hub that is not listed.
#[no_mangle]
pub extern "C" fn libusb_get_parent(_dev: *mut c_void) -> *mut c_void {
    std::ptr::null_mut()
}

/// `libusb_get_device_speed`.
#[no_mangle]
pub extern "C" fn libusb_get_device_speed(dev: *mut c_void) -> c_int {
    spec_of(dev).map_or(0, |s| c_int::from(s.speed))
}

/// `libusb_get_max_packet_size`.
#[no_mangle]
pub extern "C" fn libusb_get_max_packet_size(dev: *mut c_void, endpoint: u8) -> c_int {
    let Some(spec) = spec_of(dev) else {
        return code::NO_DEVICE;
    };
    spec.endpoints
        .iter()
        .find(|e| e.address == endpoint)
        .map_or(code::NOT_FOUND, |e| c_int::from(e.max_packet))
}

/// `libusb_get_max_iso_packet_size`.
#[no_mangle]
pub extern "C" fn libusb_get_max_iso_packet_size(dev: *mut c_void, endpoint: u8) -> c_int {
    libusb_get_max_packet_size(dev, endpoint)
}
