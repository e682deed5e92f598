//! The C ABI pcscd calls (IFD handler API v3, pcsc-lite ifdhandler.h): the only module
//! with `unsafe`. Each function checks its pointers, copies C data into Rust values, calls
//! the safe [`crate::driver`], and copies the result back within the caller's buffer
//! sizes. Panics never cross into pcscd: every entry point catches them.
//!
//! Types on Linux/glibc (pcsc-lite wintypes.h, non-Apple): DWORD = `unsigned long`,
//! RESPONSECODE = `long`, UCHAR = `unsigned char`.
#![allow(unsafe_code)]
// The entry points are called only by pcscd, which upholds ifdhandler.h's pointer contract;
// every pointer is null-checked before use. Casts between DWORD and u64 are no-ops on
// 64-bit Linux but not where `unsigned long` is 32 bits.
#![allow(clippy::not_unsafe_ptr_arg_deref, clippy::unnecessary_cast)]

use crate::driver::{self, rc, Capability};
use std::ffi::{c_char, c_int, c_long, c_uchar, c_ulong, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// RESPONSECODE.
type Rc = c_long;
/// DWORD.
type Dword = c_ulong;

/// SCARD_IO_HEADER.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScardIoHeader {
    /// Protocol (T=0 … T=14).
    pub protocol: Dword,
    /// Unused.
    pub length: Dword,
}

/// Runs `f`, turning a panic (a bug) into IFD_COMMUNICATION_ERROR instead of unwinding
/// into C, which would abort pcscd.
fn guarded(f: impl FnOnce() -> i64) -> Rc {
    catch_unwind(AssertUnwindSafe(f)).map_or(rc::COMMUNICATION_ERROR as Rc, |r| r as Rc)
}

/// Copies `data` into a C buffer of `capacity` bytes and stores the length; too small a
/// buffer gives `too_small` and length 0.
///
/// # Safety
/// `buf` must be valid for `capacity` bytes of writes and `len` for one write (both
/// checked non-null here).
unsafe fn copy_out(
    data: &[u8],
    buf: *mut c_uchar,
    capacity: usize,
    len: *mut Dword,
    too_small: i64,
) -> i64 {
    if len.is_null() || (buf.is_null() && !data.is_empty()) {
        return rc::COMMUNICATION_ERROR;
    }
    if data.len() > capacity {
        // SAFETY: `len` is non-null and the caller passes a valid DWORD pointer.
        unsafe { *len = 0 };
        return too_small;
    }
    if !data.is_empty() {
        // SAFETY: `buf` holds `capacity` ≥ data.len() bytes (the caller's contract) and
        // cannot overlap our freshly built Vec.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
    }
    // SAFETY: as above.
    unsafe { *len = data.len() as Dword };
    rc::SUCCESS
}

/// A C input buffer as a slice (empty for a null pointer with length 0).
///
/// # Safety
/// `buf` must be valid for `len` bytes of reads for the duration of the call.
unsafe fn input<'a>(buf: *const c_uchar, len: Dword) -> Option<&'a [u8]> {
    match (buf.is_null(), len) {
        (_, 0) => Some(&[]),
        (true, _) => None,
        // SAFETY: pcscd passes a buffer of `len` readable bytes, alive during the call.
        (false, n) => Some(unsafe { std::slice::from_raw_parts(buf, n as usize) }),
    }
}

/// IFDHCreateChannelByName: DEVICENAME is `HOST:PORT` of nhi-emu's ifd endpoint.
#[no_mangle]
pub extern "C" fn IFDHCreateChannelByName(lun: Dword, device_name: *const c_char) -> Rc {
    guarded(|| {
        if device_name.is_null() {
            return rc::NO_SUCH_DEVICE;
        }
        // SAFETY: pcscd passes a NUL-terminated string from reader.conf, alive during the call.
        let name = unsafe { CStr::from_ptr(device_name) }.to_string_lossy();
        match driver::parse_device(&name) {
            Ok(addr) => driver::create(lun as u64, addr),
            Err(_) => rc::NO_SUCH_DEVICE,
        }
    })
}

/// IFDHCreateChannel (no DEVICENAME): CHANNELID is the TCP port on 127.0.0.1.
#[no_mangle]
pub extern "C" fn IFDHCreateChannel(lun: Dword, channel: Dword) -> Rc {
    guarded(|| match u16::try_from(channel) {
        Ok(port) if port != 0 => driver::create(lun as u64, ([127, 0, 0, 1], port).into()),
        _ => rc::NO_SUCH_DEVICE,
    })
}

/// IFDHCloseChannel.
#[no_mangle]
pub extern "C" fn IFDHCloseChannel(lun: Dword) -> Rc {
    guarded(|| driver::close(lun as u64))
}

/// The polling function handed out for TAG_IFD_POLLING_THREAD_WITH_TIMEOUT.
extern "C" fn poll_for_event(lun: Dword, timeout_ms: c_int) -> Rc {
    guarded(|| driver::poll(lun as u64, timeout_ms))
}

/// The function handed out for TAG_IFD_STOP_POLLING_THREAD.
extern "C" fn stop_polling(lun: Dword) -> Rc {
    guarded(|| driver::stop_poll(lun as u64))
}

/// IFDHGetCapabilities.
#[no_mangle]
pub extern "C" fn IFDHGetCapabilities(
    lun: Dword,
    tag: Dword,
    length: *mut Dword,
    value: *mut c_uchar,
) -> Rc {
    guarded(|| {
        if length.is_null() || value.is_null() {
            return rc::COMMUNICATION_ERROR;
        }
        // SAFETY: `length` is non-null; pcscd passes the buffer size there.
        let capacity = unsafe { *length } as usize;
        let pointer = |f: usize| -> i64 {
            let bytes = f.to_ne_bytes();
            // SAFETY: `value` holds `capacity` bytes; copy_out checks the size. pcscd reads
            // a function pointer back from these bytes (`*(void **)Value`).
            unsafe {
                copy_out(
                    &bytes,
                    value,
                    capacity,
                    length,
                    rc::ERROR_INSUFFICIENT_BUFFER,
                )
            }
        };
        match driver::capability(lun as u64, tag as u64) {
            Ok(Capability::Bytes(b)) => {
                // SAFETY: as above.
                unsafe { copy_out(&b, value, capacity, length, rc::ERROR_INSUFFICIENT_BUFFER) }
            }
            Ok(Capability::PollingFunction) => {
                let f: extern "C" fn(Dword, c_int) -> Rc = poll_for_event;
                pointer(f as usize)
            }
            Ok(Capability::StopFunction) => {
                let f: extern "C" fn(Dword) -> Rc = stop_polling;
                pointer(f as usize)
            }
            Err(e) => e,
        }
    })
}

/// IFDHSetCapabilities: nothing is settable.
#[no_mangle]
pub extern "C" fn IFDHSetCapabilities(
    _lun: Dword,
    _tag: Dword,
    _length: Dword,
    _value: *mut c_uchar,
) -> Rc {
    rc::ERROR_TAG as Rc
}

/// IFDHSetProtocolParameters: T=0 and T=1 are accepted as they are (no PTS on a socket).
#[no_mangle]
pub extern "C" fn IFDHSetProtocolParameters(
    lun: Dword,
    protocol: Dword,
    _flags: c_uchar,
    _pts1: c_uchar,
    _pts2: c_uchar,
    _pts3: c_uchar,
) -> Rc {
    guarded(|| driver::set_protocol(lun as u64, protocol as u64))
}

/// IFDHPowerICC.
#[no_mangle]
pub extern "C" fn IFDHPowerICC(
    lun: Dword,
    action: Dword,
    atr: *mut c_uchar,
    atr_length: *mut Dword,
) -> Rc {
    guarded(|| {
        if atr_length.is_null() {
            // pcscd powers an unused card down with null ATR pointers.
            return match driver::power(lun as u64, action as u64) {
                Ok(_) => rc::SUCCESS,
                Err(e) => e,
            };
        }
        // SAFETY: non-null; pcscd passes the ATR buffer size (MAX_ATR_SIZE) there.
        let capacity = unsafe { *atr_length } as usize;
        match driver::power(lun as u64, action as u64) {
            // SAFETY: `atr` holds `capacity` bytes (pcscd's ATR buffer).
            Ok(a) => unsafe { copy_out(&a, atr, capacity, atr_length, rc::ERROR_POWER_ACTION) },
            Err(e) => {
                // SAFETY: non-null (checked above).
                unsafe { *atr_length = 0 };
                e
            }
        }
    })
}

/// IFDHTransmitToICC.
#[no_mangle]
pub extern "C" fn IFDHTransmitToICC(
    lun: Dword,
    send_pci: ScardIoHeader,
    tx: *mut c_uchar,
    tx_length: Dword,
    rx: *mut c_uchar,
    rx_length: *mut Dword,
    recv_pci: *mut ScardIoHeader,
) -> Rc {
    guarded(|| {
        if rx_length.is_null() {
            return rc::COMMUNICATION_ERROR;
        }
        // SAFETY: non-null; pcscd passes the receive buffer's size there.
        let capacity = unsafe { *rx_length } as usize;
        // SAFETY: pcscd passes `tx_length` readable bytes at `tx`.
        let Some(apdu) = (unsafe { input(tx, tx_length) }) else {
            // SAFETY: non-null (checked above).
            unsafe { *rx_length = 0 };
            return rc::COMMUNICATION_ERROR;
        };
        match driver::transmit(lun as u64, apdu) {
            Ok(reply) => {
                if !recv_pci.is_null() {
                    // SAFETY: non-null; pcscd passes a SCARD_IO_HEADER to fill.
                    unsafe { *recv_pci = send_pci };
                }
                // SAFETY: `rx` holds `capacity` bytes.
                unsafe {
                    copy_out(
                        &reply,
                        rx,
                        capacity,
                        rx_length,
                        rc::ERROR_INSUFFICIENT_BUFFER,
                    )
                }
            }
            Err(e) => {
                // SAFETY: non-null (checked above).
                unsafe { *rx_length = 0 };
                e
            }
        }
    })
}

/// IFDHICCPresence.
#[no_mangle]
pub extern "C" fn IFDHICCPresence(lun: Dword) -> Rc {
    guarded(|| driver::presence(lun as u64))
}

/// IFDHControl (API v3 signature).
#[no_mangle]
pub extern "C" fn IFDHControl(
    lun: Dword,
    control_code: Dword,
    tx: *mut c_uchar,
    tx_length: Dword,
    rx: *mut c_uchar,
    rx_length: Dword,
    bytes_returned: *mut Dword,
) -> Rc {
    guarded(|| {
        if bytes_returned.is_null() {
            return rc::COMMUNICATION_ERROR;
        }
        // SAFETY: pcscd passes `tx_length` readable bytes at `tx`.
        let Some(data) = (unsafe { input(tx, tx_length) }) else {
            return rc::COMMUNICATION_ERROR;
        };
        match driver::control(lun as u64, control_code as u64, data) {
            // SAFETY: `rx` holds `rx_length` bytes; `bytes_returned` is non-null.
            Ok(reply) => unsafe {
                copy_out(
                    &reply,
                    rx,
                    rx_length as usize,
                    bytes_returned,
                    rc::ERROR_INSUFFICIENT_BUFFER,
                )
            },
            Err(e) => {
                // SAFETY: non-null (checked above).
                unsafe { *bytes_returned = 0 };
                e
            }
        }
    })
}
