//! The parts of the API emulated devices do not need: streams, device memory, BOS and
//! SuperSpeed descriptors, asynchronous transfers, event handling and hotplug. They exist so
//! that every program links; they do nothing or answer LIBUSB_ERROR_NOT_SUPPORTED.

use std::ffi::{c_int, c_void};

use super::handles::with_handle;
use super::*;

// ---- unsupported: streams, device memory, BOS/SuperSpeed descriptors, wrapping ------------------

/// `libusb_alloc_streams`: not supported.
#[no_mangle]
pub extern "C" fn libusb_alloc_streams(
    _h: *mut c_void,
    _n: u32,
    _eps: *mut u8,
    _count: c_int,
) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_free_streams`: not supported.
#[no_mangle]
pub extern "C" fn libusb_free_streams(_h: *mut c_void, _eps: *mut u8, _count: c_int) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_dev_mem_alloc`: not supported (null).
#[no_mangle]
pub extern "C" fn libusb_dev_mem_alloc(_h: *mut c_void, _len: usize) -> *mut u8 {
    std::ptr::null_mut()
}

/// `libusb_dev_mem_free`: not supported.
#[no_mangle]
pub extern "C" fn libusb_dev_mem_free(_h: *mut c_void, _buf: *mut u8, _len: usize) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_wrap_sys_device`: not supported.
#[no_mangle]
pub extern "C" fn libusb_wrap_sys_device(
    _ctx: *mut c_void,
    _fd: isize,
    _handle: *mut *mut c_void,
) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_get_bos_descriptor`: emulated devices are USB 1.1/2.0 without a BOS (a stall).
#[no_mangle]
pub extern "C" fn libusb_get_bos_descriptor(handle: *mut c_void, _bos: *mut *mut c_void) -> c_int {
    with_handle(handle, |_, _| code::PIPE)
}

/// `libusb_free_bos_descriptor`: nothing is ever handed out.
#[no_mangle]
pub extern "C" fn libusb_free_bos_descriptor(_bos: *mut c_void) {}

/// `libusb_get_ss_endpoint_companion_descriptor`: not supported.
#[no_mangle]
pub extern "C" fn libusb_get_ss_endpoint_companion_descriptor(
    _ctx: *mut c_void,
    _ep: *const c_void,
    _out: *mut *mut c_void,
) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_free_ss_endpoint_companion_descriptor`: nothing is ever handed out.
#[no_mangle]
pub extern "C" fn libusb_free_ss_endpoint_companion_descriptor(_d: *mut c_void) {}

/// `libusb_get_usb_2_0_extension_descriptor`: not supported.
#[no_mangle]
pub extern "C" fn libusb_get_usb_2_0_extension_descriptor(
    _ctx: *mut c_void,
    _cap: *mut c_void,
    _out: *mut *mut c_void,
) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_free_usb_2_0_extension_descriptor`: nothing is ever handed out.
#[no_mangle]
pub extern "C" fn libusb_free_usb_2_0_extension_descriptor(_d: *mut c_void) {}

/// `libusb_get_ss_usb_device_capability_descriptor`: not supported.
#[no_mangle]
pub extern "C" fn libusb_get_ss_usb_device_capability_descriptor(
    _ctx: *mut c_void,
    _cap: *mut c_void,
    _out: *mut *mut c_void,
) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_free_ss_usb_device_capability_descriptor`: nothing is ever handed out.
#[no_mangle]
pub extern "C" fn libusb_free_ss_usb_device_capability_descriptor(_d: *mut c_void) {}

/// `libusb_get_container_id_descriptor`: not supported.
#[no_mangle]
pub extern "C" fn libusb_get_container_id_descriptor(
    _ctx: *mut c_void,
    _cap: *mut c_void,
    _out: *mut *mut c_void,
) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_free_container_id_descriptor`: nothing is ever handed out.
#[no_mangle]
pub extern "C" fn libusb_free_container_id_descriptor(_d: *mut c_void) {}

// ---- asynchronous transfers (allocated, never submitted) -----------------------------------------

/// `libusb_alloc_transfer`: a zeroed transfer with room for `iso_packets` descriptors.
#[no_mangle]
pub extern "C" fn libusb_alloc_transfer(iso_packets: c_int) -> *mut c_void {
    let Ok(count) = usize::try_from(iso_packets) else {
        return std::ptr::null_mut();
    };
    let size = size_of::<Transfer>() + count.min(1 << 16) * 12;
    let Ok(layout) = std::alloc::Layout::from_size_align(size, align_of::<Transfer>()) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size.
    let raw = unsafe { std::alloc::alloc_zeroed(layout) };
    if raw.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `raw` is a fresh, zeroed, suitably aligned allocation large enough for a Transfer.
    unsafe { (*raw.cast::<Transfer>()).num_iso_packets = iso_packets };
    registry().transfers.insert(raw as usize, layout);
    raw.cast()
}

/// `libusb_free_transfer`.
#[no_mangle]
pub extern "C" fn libusb_free_transfer(transfer: *mut c_void) {
    if let Some(layout) = registry().transfers.remove(&(transfer as usize)) {
        // SAFETY: allocated by `libusb_alloc_transfer` with this layout; removed from the
        // registry, so freed exactly once.
        unsafe { std::alloc::dealloc(transfer.cast(), layout) };
    }
}

/// `libusb_submit_transfer`: asynchronous transfers are not supported.
#[no_mangle]
pub extern "C" fn libusb_submit_transfer(_transfer: *mut c_void) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_cancel_transfer`: nothing is ever in flight.
#[no_mangle]
pub extern "C" fn libusb_cancel_transfer(_transfer: *mut c_void) -> c_int {
    code::NOT_FOUND
}

/// `libusb_transfer_set_stream_id`: ignored.
#[no_mangle]
pub extern "C" fn libusb_transfer_set_stream_id(_transfer: *mut c_void, _id: u32) {}

/// `libusb_transfer_get_stream_id`: always 0.
#[no_mangle]
pub extern "C" fn libusb_transfer_get_stream_id(_transfer: *mut c_void) -> u32 {
    0
}

// ---- events and polling (nothing asynchronous ever happens) -------------------------------------

fn idle() {
    drop(emu::global());
    std::thread::sleep(std::time::Duration::from_millis(50));
}

/// `libusb_try_lock_events`: always obtained.
#[no_mangle]
pub extern "C" fn libusb_try_lock_events(_ctx: *mut c_void) -> c_int {
    0
}

/// `libusb_lock_events`.
#[no_mangle]
pub extern "C" fn libusb_lock_events(_ctx: *mut c_void) {}

/// `libusb_unlock_events`.
#[no_mangle]
pub extern "C" fn libusb_unlock_events(_ctx: *mut c_void) {}

/// `libusb_event_handling_ok`.
#[no_mangle]
pub extern "C" fn libusb_event_handling_ok(_ctx: *mut c_void) -> c_int {
    1
}

/// `libusb_event_handler_active`.
#[no_mangle]
pub extern "C" fn libusb_event_handler_active(_ctx: *mut c_void) -> c_int {
    0
}

/// `libusb_interrupt_event_handler`.
#[no_mangle]
pub extern "C" fn libusb_interrupt_event_handler(_ctx: *mut c_void) {}

/// `libusb_lock_event_waiters`.
#[no_mangle]
pub extern "C" fn libusb_lock_event_waiters(_ctx: *mut c_void) {}

/// `libusb_unlock_event_waiters`.
#[no_mangle]
pub extern "C" fn libusb_unlock_event_waiters(_ctx: *mut c_void) {}

/// `libusb_wait_for_event`: waits a little; reports a timeout.
#[no_mangle]
pub extern "C" fn libusb_wait_for_event(_ctx: *mut c_void, _tv: *mut c_void) -> c_int {
    idle();
    1
}

/// `libusb_handle_events_timeout`.
#[no_mangle]
pub extern "C" fn libusb_handle_events_timeout(_ctx: *mut c_void, _tv: *mut c_void) -> c_int {
    idle();
    0
}

/// `libusb_handle_events_timeout_completed`.
#[no_mangle]
pub extern "C" fn libusb_handle_events_timeout_completed(
    _ctx: *mut c_void,
    _tv: *mut c_void,
    _completed: *mut c_int,
) -> c_int {
    idle();
    0
}

/// `libusb_handle_events`.
#[no_mangle]
pub extern "C" fn libusb_handle_events(_ctx: *mut c_void) -> c_int {
    idle();
    0
}

/// `libusb_handle_events_completed`.
#[no_mangle]
pub extern "C" fn libusb_handle_events_completed(
    _ctx: *mut c_void,
    _completed: *mut c_int,
) -> c_int {
    idle();
    0
}

/// `libusb_handle_events_locked`.
#[no_mangle]
pub extern "C" fn libusb_handle_events_locked(_ctx: *mut c_void, _tv: *mut c_void) -> c_int {
    idle();
    0
}

/// `libusb_pollfds_handle_timeouts`.
#[no_mangle]
pub extern "C" fn libusb_pollfds_handle_timeouts(_ctx: *mut c_void) -> c_int {
    1
}

/// `libusb_get_next_timeout`: no timeout pending.
#[no_mangle]
pub extern "C" fn libusb_get_next_timeout(_ctx: *mut c_void, _tv: *mut c_void) -> c_int {
    0
}

/// `libusb_get_pollfds`: an empty list.
#[no_mangle]
pub extern "C" fn libusb_get_pollfds(_ctx: *mut c_void) -> *const *const c_void {
    EMPTY_POLLFDS.0.as_ptr()
}

/// `libusb_free_pollfds`: the list is static.
#[no_mangle]
pub extern "C" fn libusb_free_pollfds(_fds: *const *const c_void) {}

/// `libusb_set_pollfd_notifiers`: ignored.
#[no_mangle]
pub extern "C" fn libusb_set_pollfd_notifiers(
    _ctx: *mut c_void,
    _added: *mut c_void,
    _removed: *mut c_void,
    _user: *mut c_void,
) {
}

// ---- hotplug ------------------------------------------------------------------------------------

/// `libusb_hotplug_register_callback`: not supported (as on a platform without hotplug).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn libusb_hotplug_register_callback(
    _ctx: *mut c_void,
    _events: c_int,
    _flags: c_int,
    _vendor: c_int,
    _product: c_int,
    _class: c_int,
    _cb: *mut c_void,
    _user: *mut c_void,
    _handle: *mut c_int,
) -> c_int {
    code::NOT_SUPPORTED
}

/// `libusb_hotplug_deregister_callback`.
#[no_mangle]
pub extern "C" fn libusb_hotplug_deregister_callback(_ctx: *mut c_void, _handle: c_int) {}

/// `libusb_hotplug_get_user_data`.
#[no_mangle]
pub extern "C" fn libusb_hotplug_get_user_data(_ctx: *mut c_void, _handle: c_int) -> *mut c_void {
    std::ptr::null_mut()
}
