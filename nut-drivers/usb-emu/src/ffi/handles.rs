//! Device handles, interfaces and the synchronous transfers.

use std::ffi::{c_int, c_uint, c_void};

use super::*;

// ---- handles ------------------------------------------------------------------------------------

/// `libusb_open`.
#[no_mangle]
pub unsafe extern "C" fn libusb_open(dev: *mut c_void, handle: *mut *mut c_void) -> c_int {
    let Some(key) = device_key(dev) else {
        return code::NO_DEVICE;
    };
    if handle.is_null() {
        return code::INVALID_PARAM;
    }
    let id = match emu::global().open(key) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let addr = Box::into_raw(Box::new(id)) as usize;
    registry().handles.insert(addr, id);
    // SAFETY: non-null pointer to the caller's handle variable.
    unsafe { put(handle, addr as *mut c_void) };
    0
}

/// `libusb_open_device_with_vid_pid`: the first plugged device with these ids.
#[no_mangle]
pub extern "C" fn libusb_open_device_with_vid_pid(
    _ctx: *mut c_void,
    vendor: u16,
    product: u16,
) -> *mut c_void {
    let found = {
        let emu = emu::global();
        emu.device_list().into_iter().find(|k| {
            emu.any(*k)
                .is_some_and(|d| d.spec.vendor_id == vendor && d.spec.product_id == product)
        })
    };
    let Some(key) = found else {
        return std::ptr::null_mut();
    };
    let dev = device_pointer(key);
    let mut handle = std::ptr::null_mut();
    // SAFETY: `handle` is a local variable.
    if unsafe { libusb_open(dev, &mut handle) } == 0 {
        handle
    } else {
        std::ptr::null_mut()
    }
}

/// `libusb_close`.
#[no_mangle]
pub unsafe extern "C" fn libusb_close(handle: *mut c_void) {
    let Some(id) = registry().handles.remove(&(handle as usize)) else {
        return;
    };
    emu::global().close(id);
    // SAFETY: the pointer came from `Box::into_raw(Box<u64>)` in `libusb_open` and was removed
    // from the registry, so it is freed exactly once.
    drop(unsafe { Box::from_raw(handle.cast::<u64>()) });
}

/// `libusb_get_device`.
#[no_mangle]
pub extern "C" fn libusb_get_device(handle: *mut c_void) -> *mut c_void {
    let Some(id) = handle_id(handle) else {
        return std::ptr::null_mut();
    };
    let key = emu::global().handle(id).map(|h| h.key);
    key.map_or(std::ptr::null_mut(), device_pointer)
}

pub(super) fn with_handle(
    handle: *mut c_void,
    f: impl FnOnce(&mut emu::Emulator, u64) -> c_int,
) -> c_int {
    let Some(id) = handle_id(handle) else {
        return code::NO_DEVICE;
    };
    let mut emu = emu::global();
    match emu.check(id) {
        Ok(_) => f(&mut emu, id),
        Err(e) => e,
    }
}

/// `libusb_get_configuration`.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_configuration(
    handle: *mut c_void,
    config: *mut c_int,
) -> c_int {
    let result = with_handle(handle, |_, _| 0);
    if result == 0 {
        // SAFETY: `config` is null or the caller's int.
        unsafe { put(config, c_int::from(descriptors::CONFIG_VALUE)) };
    }
    result
}

/// `libusb_set_configuration`: only the one configuration (or -1, unconfigured) exists.
#[no_mangle]
pub extern "C" fn libusb_set_configuration(handle: *mut c_void, config: c_int) -> c_int {
    with_handle(handle, |_, _| {
        if config == -1 || config == c_int::from(descriptors::CONFIG_VALUE) {
            0
        } else {
            code::NOT_FOUND
        }
    })
}

fn interface_bit(emu: &emu::Emulator, id: u64, interface: c_int) -> Option<u32> {
    let key = emu.handle(id)?.key;
    let number = emu.any(key)?.spec.interface_number;
    (interface == c_int::from(number) && number < 32).then(|| 1u32 << number)
}

/// `libusb_claim_interface`.
#[no_mangle]
pub extern "C" fn libusb_claim_interface(handle: *mut c_void, interface: c_int) -> c_int {
    with_handle(handle, |emu, id| match interface_bit(emu, id, interface) {
        Some(bit) => emu
            .update_handle(id, |h| h.claimed |= bit)
            .err()
            .unwrap_or(0),
        None => code::NOT_FOUND,
    })
}

/// `libusb_release_interface`.
#[no_mangle]
pub extern "C" fn libusb_release_interface(handle: *mut c_void, interface: c_int) -> c_int {
    with_handle(handle, |emu, id| match interface_bit(emu, id, interface) {
        Some(bit) if emu.handle(id).is_some_and(|h| h.claimed & bit != 0) => emu
            .update_handle(id, |h| h.claimed &= !bit)
            .err()
            .unwrap_or(0),
        _ => code::NOT_FOUND,
    })
}

/// `libusb_set_interface_alt_setting`: alternate setting 0 only.
#[no_mangle]
pub extern "C" fn libusb_set_interface_alt_setting(
    handle: *mut c_void,
    interface: c_int,
    alt: c_int,
) -> c_int {
    with_handle(handle, |emu, id| match interface_bit(emu, id, interface) {
        Some(_) if alt == 0 => 0,
        _ => code::NOT_FOUND,
    })
}

/// `libusb_clear_halt`.
#[no_mangle]
pub extern "C" fn libusb_clear_halt(handle: *mut c_void, _endpoint: u8) -> c_int {
    with_handle(handle, |_, _| 0)
}

/// `libusb_reset_device`: the device stays as it is.
#[no_mangle]
pub extern "C" fn libusb_reset_device(handle: *mut c_void) -> c_int {
    with_handle(handle, |_, _| 0)
}

/// `libusb_kernel_driver_active`: no kernel driver is bound to emulated devices.
#[no_mangle]
pub extern "C" fn libusb_kernel_driver_active(handle: *mut c_void, _interface: c_int) -> c_int {
    with_handle(handle, |_, _| 0)
}

/// `libusb_detach_kernel_driver`: there is none (LIBUSB_ERROR_NOT_FOUND, as libusb says then).
#[no_mangle]
pub extern "C" fn libusb_detach_kernel_driver(handle: *mut c_void, _interface: c_int) -> c_int {
    with_handle(handle, |emu, id| {
        let _ = emu.update_handle(id, |h| h.detached = true);
        code::NOT_FOUND
    })
}

/// `libusb_attach_kernel_driver`.
#[no_mangle]
pub extern "C" fn libusb_attach_kernel_driver(handle: *mut c_void, _interface: c_int) -> c_int {
    with_handle(handle, |emu, id| {
        emu.update_handle(id, |h| h.detached = false)
            .err()
            .unwrap_or(0)
    })
}

/// `libusb_set_auto_detach_kernel_driver`.
#[no_mangle]
pub extern "C" fn libusb_set_auto_detach_kernel_driver(
    handle: *mut c_void,
    _enable: c_int,
) -> c_int {
    with_handle(handle, |_, _| 0)
}

// ---- synchronous transfers -------------------------------------------------------------------

/// `libusb_control_transfer`.
#[no_mangle]
pub unsafe extern "C" fn libusb_control_transfer(
    handle: *mut c_void,
    request_type: u8,
    request: u8,
    value: u16,
    index: u16,
    data: *mut u8,
    length: u16,
    timeout: c_uint,
) -> c_int {
    let Some(id) = handle_id(handle) else {
        return code::NO_DEVICE;
    };
    // SAFETY: `data` is null or valid for `length` bytes, as libusb requires.
    let buf = unsafe { buffer(data, c_int::from(length)) };
    to_c(emu::run_blocking(timeout, |emu| {
        emu.control(id, request_type, request, value, index, buf)
    }))
}

unsafe fn pipe(
    handle: *mut c_void,
    endpoint: u8,
    data: *mut u8,
    length: c_int,
    transferred: *mut c_int,
    timeout: c_uint,
    bulk: bool,
) -> c_int {
    let Some(id) = handle_id(handle) else {
        return code::NO_DEVICE;
    };
    // SAFETY: `data` is null or valid for `length` bytes, as libusb requires.
    let buf = unsafe { buffer(data, length) };
    let result = emu::run_blocking(timeout, |emu| {
        if bulk {
            emu.bulk(id, endpoint, buf)
        } else {
            emu.interrupt(id, endpoint, buf)
        }
    });
    let done = match result {
        Ok(n) => n,
        Err(code::OVERFLOW) => buf.len(),
        Err(_) => 0,
    };
    // SAFETY: `transferred` is null or the caller's int.
    unsafe { put(transferred, c_int::try_from(done).unwrap_or(0)) };
    match result {
        Ok(_) => 0,
        Err(e) => e,
    }
}

/// `libusb_interrupt_transfer`: IN reads queued interrupt reports (or times out after really
/// waiting); OUT is logged.
#[no_mangle]
pub unsafe extern "C" fn libusb_interrupt_transfer(
    handle: *mut c_void,
    endpoint: u8,
    data: *mut u8,
    length: c_int,
    transferred: *mut c_int,
    timeout: c_uint,
) -> c_int {
    // SAFETY: forwarding the caller's pointers under the same contract.
    unsafe { pipe(handle, endpoint, data, length, transferred, timeout, false) }
}

/// `libusb_bulk_transfer`: IN reads queued bulk data (scripted replies); OUT is logged.
#[no_mangle]
pub unsafe extern "C" fn libusb_bulk_transfer(
    handle: *mut c_void,
    endpoint: u8,
    data: *mut u8,
    length: c_int,
    transferred: *mut c_int,
    timeout: c_uint,
) -> c_int {
    // SAFETY: forwarding the caller's pointers under the same contract.
    unsafe { pipe(handle, endpoint, data, length, transferred, timeout, true) }
}

/// `libusb_get_string_descriptor_ascii`: reads the language table and the string (two
/// control transfers, as libusb does) and keeps ASCII, `?` for anything else.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_string_descriptor_ascii(
    handle: *mut c_void,
    index: u8,
    data: *mut u8,
    length: c_int,
) -> c_int {
    if index == 0 || data.is_null() || length <= 0 {
        return code::INVALID_PARAM;
    }
    let mut table = [0u8; 255];
    // SAFETY: `table` is a local buffer of 255 bytes.
    let n = unsafe {
        libusb_control_transfer(handle, 0x80, 6, 0x0300, 0, table.as_mut_ptr(), 255, 1000)
    };
    if n < 0 {
        return n;
    }
    if n < 4 {
        return code::IO;
    }
    let langid = u16::from_le_bytes([table[2], table[3]]);
    let mut text = [0u8; 255];
    let value = 0x0300 | u16::from(index);
    // SAFETY: `text` is a local buffer of 255 bytes.
    let n = unsafe {
        libusb_control_transfer(handle, 0x80, 6, value, langid, text.as_mut_ptr(), 255, 1000)
    };
    if n < 0 {
        return n;
    }
    let got = usize::try_from(n).unwrap_or(0);
    if got < 2 || text[1] != descriptors::DT_STRING || usize::from(text[0]) > got {
        return code::IO;
    }
    // SAFETY: `data` is non-null and valid for `length` bytes, as libusb requires.
    let out = unsafe { buffer(data, length) };
    let mut written = 0;
    for unit in text[2..usize::from(text[0])].chunks_exact(2) {
        if written + 1 >= out.len() {
            break;
        }
        let ch = u16::from_le_bytes([unit[0], unit[1]]);
        out[written] = u8::try_from(ch).ok().filter(|c| *c < 0x80).unwrap_or(b'?');
        written += 1;
    }
    out[written] = 0;
    c_int::try_from(written).unwrap_or(0)
}
