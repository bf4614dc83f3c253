//! The libusb-1.0 C API (1.0.26, all 90 public functions), exported by the cdylib so that a
//! program loading `libusb-1.0.so.0` from `LD_LIBRARY_PATH` talks to the emulator.
//!
//! Every function keeps libusb's own contract (see `libusb.h`): the caller passes pointers that
//! are null or valid for the documented size. Handles, devices, lists and descriptors handed
//! out are recorded in a registry, so pointers this library did not give out (or already freed)
//! are recognised and refused instead of dereferenced. The asynchronous transfer, hotplug and
//! event APIs exist so that any program links, but do nothing (LIBUSB_ERROR_NOT_SUPPORTED).
#![allow(unsafe_code, clippy::missing_safety_doc)]

use std::collections::{HashMap, HashSet};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::descriptors;
use crate::device::{DeviceSpec, EndpointKind};
use crate::emu::{self, code, DeviceKey};

/// `struct libusb_device_descriptor`.
#[repr(C)]
#[allow(non_snake_case)]
pub struct DeviceDescriptor {
    /// Size of this descriptor.
    pub bLength: u8,
    /// DEVICE descriptor type.
    pub bDescriptorType: u8,
    /// USB release in BCD.
    pub bcdUSB: u16,
    /// Device class.
    pub bDeviceClass: u8,
    /// Device subclass.
    pub bDeviceSubClass: u8,
    /// Device protocol.
    pub bDeviceProtocol: u8,
    /// Max packet size of endpoint 0.
    pub bMaxPacketSize0: u8,
    /// Vendor id.
    pub idVendor: u16,
    /// Product id.
    pub idProduct: u16,
    /// Device release in BCD.
    pub bcdDevice: u16,
    /// Manufacturer string index.
    pub iManufacturer: u8,
    /// Product string index.
    pub iProduct: u8,
    /// Serial number string index.
    pub iSerialNumber: u8,
    /// Number of configurations.
    pub bNumConfigurations: u8,
}

#[repr(C)]
#[allow(non_snake_case)]
struct EndpointDescriptor {
    bLength: u8,
    bDescriptorType: u8,
    bEndpointAddress: u8,
    bmAttributes: u8,
    wMaxPacketSize: u16,
    bInterval: u8,
    bRefresh: u8,
    bSynchAddress: u8,
    extra: *const u8,
    extra_length: c_int,
}

#[repr(C)]
#[allow(non_snake_case)]
struct InterfaceDescriptor {
    bLength: u8,
    bDescriptorType: u8,
    bInterfaceNumber: u8,
    bAlternateSetting: u8,
    bNumEndpoints: u8,
    bInterfaceClass: u8,
    bInterfaceSubClass: u8,
    bInterfaceProtocol: u8,
    iInterface: u8,
    endpoint: *const EndpointDescriptor,
    extra: *const u8,
    extra_length: c_int,
}

#[repr(C)]
struct Interface {
    altsetting: *const InterfaceDescriptor,
    num_altsetting: c_int,
}

/// `struct libusb_config_descriptor` (opaque here: only handed out and taken back).
#[repr(C)]
#[allow(non_snake_case)]
pub struct ConfigDescriptor {
    bLength: u8,
    bDescriptorType: u8,
    wTotalLength: u16,
    bNumInterfaces: u8,
    bConfigurationValue: u8,
    iConfiguration: u8,
    bmAttributes: u8,
    MaxPower: u8,
    interface: *const Interface,
    extra: *const u8,
    extra_length: c_int,
}

/// A configuration descriptor with everything it points to; `desc` first, so a pointer to the
/// allocation is a pointer to the C struct.
#[repr(C)]
struct ConfigAlloc {
    desc: ConfigDescriptor,
    interfaces: Vec<Interface>,
    altsettings: Vec<InterfaceDescriptor>,
    endpoints: Vec<EndpointDescriptor>,
    hid_extra: Vec<u8>,
}

/// `struct libusb_version`.
#[repr(C)]
pub struct Version {
    major: u16,
    minor: u16,
    micro: u16,
    nano: u16,
    rc: *const c_char,
    describe: *const c_char,
}

// SAFETY: the version record only points at static, immutable C string literals.
unsafe impl Sync for Version {}

static VERSION: Version = Version {
    major: 1,
    minor: 0,
    micro: 26,
    nano: 11724,
    rc: c"".as_ptr(),
    describe: c"https://libusb.info".as_ptr(),
};

/// A null-terminated, empty list of poll descriptors.
struct EmptyPollfds([*const c_void; 1]);
// SAFETY: the array holds only a null pointer and is never written.
unsafe impl Sync for EmptyPollfds {}
static EMPTY_POLLFDS: EmptyPollfds = EmptyPollfds([std::ptr::null()]);

/// `struct libusb_transfer` (without its trailing iso packet array).
#[repr(C)]
struct Transfer {
    dev_handle: *mut c_void,
    flags: u8,
    endpoint: u8,
    kind: u8,
    timeout: c_uint,
    status: c_int,
    length: c_int,
    actual_length: c_int,
    callback: *mut c_void,
    user_data: *mut c_void,
    buffer: *mut u8,
    num_iso_packets: c_int,
}

/// What this library handed out, by address.
#[derive(Default)]
struct Registry {
    devices: HashMap<usize, DeviceKey>,
    device_of_key: HashMap<DeviceKey, usize>,
    handles: HashMap<usize, u64>,
    lists: HashMap<usize, usize>,
    configs: HashSet<usize>,
    transfers: HashMap<usize, std::alloc::Layout>,
    contexts: HashSet<usize>,
}

fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The stable pointer of a device plugging (created once, never freed, like a device that
/// libusb keeps referenced).
fn device_pointer(key: DeviceKey) -> *mut c_void {
    let mut reg = registry();
    if let Some(&addr) = reg.device_of_key.get(&key) {
        return addr as *mut c_void;
    }
    let addr = Box::into_raw(Box::new(0u64)) as usize;
    reg.devices.insert(addr, key);
    reg.device_of_key.insert(key, addr);
    addr as *mut c_void
}

fn device_key(dev: *mut c_void) -> Option<DeviceKey> {
    registry().devices.get(&(dev as usize)).copied()
}

fn handle_id(handle: *mut c_void) -> Option<u64> {
    registry().handles.get(&(handle as usize)).copied()
}

fn spec_of(dev: *mut c_void) -> Option<DeviceSpec> {
    let key = device_key(dev)?;
    let emu = emu::global();
    emu.any(key).map(|d| d.spec.clone())
}

/// Writes `value` through `ptr` when it is not null.
///
/// SAFETY (callers): `ptr` is null or valid for writing a `T`, as libusb's API requires.
unsafe fn put<T>(ptr: *mut T, value: T) -> bool {
    if ptr.is_null() {
        return false;
    }
    // SAFETY: non-null and valid for writes by the caller's contract.
    unsafe { ptr.write(value) };
    true
}

/// The caller's buffer as a slice (empty for null or a negative length).
///
/// SAFETY (callers): `data` is null or valid for `len` bytes of reads and writes.
unsafe fn buffer<'a>(data: *mut u8, len: c_int) -> &'a mut [u8] {
    match usize::try_from(len) {
        // SAFETY: non-null and valid for `len` bytes by the caller's contract.
        Ok(len) if !data.is_null() && len > 0 => unsafe {
            std::slice::from_raw_parts_mut(data, len)
        },
        _ => &mut [],
    }
}

fn to_c(result: Result<usize, i32>) -> c_int {
    match result {
        Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
        Err(e) => e,
    }
}

pub mod devices;
pub mod handles;
pub mod stubs;

// ---- library, context, errors -------------------------------------------------------------

/// `libusb_init`: creates the emulator (from the environment) on first use.
#[no_mangle]
pub unsafe extern "C" fn libusb_init(ctx: *mut *mut c_void) -> c_int {
    drop(emu::global());
    if !ctx.is_null() {
        let token = Box::into_raw(Box::new(0u64)) as usize;
        registry().contexts.insert(token);
        // SAFETY: non-null pointer to the caller's context variable.
        unsafe { put(ctx, token as *mut c_void) };
    }
    0
}

/// `libusb_exit`: nothing to release (devices stay for a later `libusb_init`).
#[no_mangle]
pub extern "C" fn libusb_exit(_ctx: *mut c_void) {}

/// `libusb_set_debug`: ignored.
#[no_mangle]
pub extern "C" fn libusb_set_debug(_ctx: *mut c_void, _level: c_int) {}

/// `libusb_set_log_cb`: ignored.
#[no_mangle]
pub extern "C" fn libusb_set_log_cb(_ctx: *mut c_void, _cb: *mut c_void, _mode: c_int) {}

/// `libusb_set_option` (variadic in C; the extra argument is ignored): accepted.
#[no_mangle]
pub extern "C" fn libusb_set_option(_ctx: *mut c_void, _option: c_int) -> c_int {
    0
}

/// `libusb_setlocale`: accepted (messages are English).
#[no_mangle]
pub extern "C" fn libusb_setlocale(_locale: *const c_char) -> c_int {
    0
}

/// `libusb_get_version`: reports 1.0.26 like the library it stands in for.
#[no_mangle]
pub extern "C" fn libusb_get_version() -> *const Version {
    &VERSION
}

/// `libusb_has_capability`: has-capability and kernel-driver detach; no hotplug, no HID access.
#[no_mangle]
pub extern "C" fn libusb_has_capability(capability: u32) -> c_int {
    c_int::from(matches!(capability, 0x0000 | 0x0101))
}

fn error_names(code: c_int) -> (&'static CStr, &'static CStr) {
    match code {
        0 => (c"LIBUSB_SUCCESS / LIBUSB_TRANSFER_COMPLETED", c"Success"),
        -1 => (c"LIBUSB_ERROR_IO", c"Input/Output Error"),
        -2 => (c"LIBUSB_ERROR_INVALID_PARAM", c"Invalid parameter"),
        -3 => (
            c"LIBUSB_ERROR_ACCESS",
            c"Access denied (insufficient permissions)",
        ),
        -4 => (
            c"LIBUSB_ERROR_NO_DEVICE",
            c"No such device (it may have been disconnected)",
        ),
        -5 => (c"LIBUSB_ERROR_NOT_FOUND", c"Entity not found"),
        -6 => (c"LIBUSB_ERROR_BUSY", c"Resource busy"),
        -7 => (c"LIBUSB_ERROR_TIMEOUT", c"Operation timed out"),
        -8 => (c"LIBUSB_ERROR_OVERFLOW", c"Overflow"),
        -9 => (c"LIBUSB_ERROR_PIPE", c"Pipe error"),
        -10 => (
            c"LIBUSB_ERROR_INTERRUPTED",
            c"System call interrupted (perhaps due to signal)",
        ),
        -11 => (c"LIBUSB_ERROR_NO_MEM", c"Insufficient memory"),
        -12 => (
            c"LIBUSB_ERROR_NOT_SUPPORTED",
            c"Operation not supported or unimplemented on this platform",
        ),
        -99 => (c"LIBUSB_ERROR_OTHER", c"Other error"),
        1 => (c"LIBUSB_TRANSFER_ERROR", c"Unknown error"),
        2 => (c"LIBUSB_TRANSFER_TIMED_OUT", c"Unknown error"),
        3 => (c"LIBUSB_TRANSFER_CANCELLED", c"Unknown error"),
        4 => (c"LIBUSB_TRANSFER_STALL", c"Unknown error"),
        5 => (c"LIBUSB_TRANSFER_NO_DEVICE", c"Unknown error"),
        6 => (c"LIBUSB_TRANSFER_OVERFLOW", c"Unknown error"),
        _ => (c"**UNKNOWN**", c"Unknown error"),
    }
}

/// `libusb_error_name`.
#[no_mangle]
pub extern "C" fn libusb_error_name(errcode: c_int) -> *const c_char {
    error_names(errcode).0.as_ptr()
}

/// `libusb_strerror`.
#[no_mangle]
pub extern "C" fn libusb_strerror(errcode: c_int) -> *const c_char {
    error_names(errcode).1.as_ptr()
}
