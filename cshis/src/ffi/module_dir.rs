//! Where this library lives (for `csHis.ini`): `dladdr` on Linux, `GetModuleHandleExW`
//! on Windows.
#![allow(unsafe_code)]

use std::path::PathBuf;

/// The directory of this library (for `csHis.ini`).
#[cfg(unix)]
pub(super) fn module_dir() -> Option<PathBuf> {
    use std::ffi::{c_char, c_int, c_void, CStr, OsStr};
    use std::os::unix::ffi::OsStrExt;
    #[repr(C)]
    struct DlInfo {
        dli_fname: *const c_char,
        dli_fbase: *mut c_void,
        dli_sname: *const c_char,
        dli_saddr: *mut c_void,
    }
    extern "C" {
        fn dladdr(addr: *const c_void, info: *mut DlInfo) -> c_int;
    }
    let mut info = DlInfo {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    // SAFETY: `dladdr` only reads the address (a function of this library) and fills the
    // struct we own, laid out as glibc's `Dl_info`.
    let found = unsafe { dladdr(module_dir as *const c_void, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: on success `dli_fname` is a NUL-terminated path owned by the loader, valid
    // while the library is loaded (we copy it at once).
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(OsStr::from_bytes(name.to_bytes()));
    path.parent().map(PathBuf::from)
}

/// The directory of this DLL (for `csHis.ini`).
#[cfg(windows)]
pub(super) fn module_dir() -> Option<PathBuf> {
    use std::ffi::c_void;
    use std::os::windows::ffi::OsStringExt;
    const FROM_ADDRESS: u32 = 0x4;
    const UNCHANGED_REFCOUNT: u32 = 0x2;
    #[link(name = "kernel32")]
    extern "system" {
        fn GetModuleHandleExW(flags: u32, addr: *const c_void, module: *mut *mut c_void) -> i32;
        fn GetModuleFileNameW(module: *mut c_void, name: *mut u16, size: u32) -> u32;
    }
    let mut module = std::ptr::null_mut();
    // SAFETY: FROM_ADDRESS with the address of a function of this DLL; the handle is
    // written to our local; UNCHANGED_REFCOUNT: nothing to release.
    let ok = unsafe {
        GetModuleHandleExW(
            FROM_ADDRESS | UNCHANGED_REFCOUNT,
            module_dir as *const c_void,
            &mut module,
        )
    };
    if ok == 0 {
        return None;
    }
    let mut name = vec![0u16; 32768];
    // SAFETY: `name` has `name.len()` u16 slots; the call writes at most that many.
    let n = unsafe { GetModuleFileNameW(module, name.as_mut_ptr(), name.len() as u32) };
    if n == 0 || n as usize >= name.len() {
        return None;
    }
    let path = PathBuf::from(std::ffi::OsString::from_wide(&name[..n as usize]));
    path.parent().map(PathBuf::from)
}
