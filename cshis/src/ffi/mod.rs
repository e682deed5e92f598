//! The DLL boundary: every exported function of the manual's list, `extern "system"`
//! (stdcall on 32-bit Windows, as the SDK header declares them) with its exact argument
//! list — a stdcall callee pops its arguments, so a wrong count would corrupt the caller's
//! stack. The only module with `unsafe`: raw pointers from the host program are checked
//! (null, negative length, capacity) before any byte is read or written, and no panic
//! crosses the boundary.
//!
//! Lengths are `short *` as in the SDK header: 2 bytes are read and written, so a caller
//! that declares `int *` (most C#, Python and Go code) works too on these little-endian
//! machines, and the low 16 bits of a larger `int` never exceed it.
#![allow(unsafe_code)]

use crate::codes::{self, Legacy};
use crate::layout::HpcField;
use crate::service::{self, LegacyResult};
use nhi_protocol::apdu::hc_items::ItemKind;
use std::ffi::c_char;
use std::panic::{catch_unwind, UnwindSafe};
use std::path::PathBuf;

/// Exports whose body is one expression: each `fn name(args) = body;` becomes
/// `#[no_mangle] pub extern "system" fn name(args) -> i32` running `body` under [`guard`],
/// so no export can forget the guard. `ci/cshis-check` reads the export list and each
/// export's argument count from these lines: keep each declaration on one line.
macro_rules! exports {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $t:ty),*) = $body:expr; )*) => { $(
        $(#[$doc])*
        #[no_mangle]
        pub extern "system" fn $name($($arg: $t),*) -> i32 {
            $crate::ffi::guard(|| $body)
        }
    )* };
}

/// The ranged reads' exports (1.41–1.44), one signature for all: each `kind, width =>
/// fn name(…);` reads records of that kind and width through [`ranged`]. One line per
/// declaration, as in [`exports!`].
macro_rules! ranged_reads {
    ($( $(#[$doc:meta])* $kind:path, $width:path =>
        fn $name:ident(buf: Buf, len: Len, start: i32, end: i32, count: Len); )*) => { $(
        $(#[$doc])*
        #[no_mangle]
        pub extern "system" fn $name(
            buf: $crate::ffi::Buf,
            len: $crate::ffi::Len,
            start: i32,
            end: i32,
            count: $crate::ffi::Len,
        ) -> i32 {
            $crate::ffi::guard(|| $crate::ffi::ranged(buf, len, start, end, count, $kind, $width))
        }
    )* };
}

mod areas;
mod module_dir;
mod unserved;
mod visit;

use module_dir::module_dir;

/// `char *` output buffer.
type Buf = *mut u8;
/// `short *` length, in (capacity) and out (bytes written).
type Len = *mut i16;
/// `char *` input string.
type Str = *const c_char;

/// A NUL-terminated input string of at most `max` bytes before its NUL (the manual's
/// widths: `pDateTime` 14 bytes with its NUL, …): the bytes, or 6018 for a null pointer or
/// a string with no NUL within `max + 1` bytes. Never reads past that bound.
fn c_bytes(p: Str, max: usize) -> Result<Vec<u8>, Legacy> {
    if p.is_null() {
        return Err(codes::BAD_PARAMETER);
    }
    let mut v = Vec::new();
    for i in 0..=max {
        // SAFETY: non-null; the caller's string is NUL-terminated within the width the
        // manual gives it (`max + 1`), and we stop at its NUL.
        let b = unsafe { p.add(i).cast::<u8>().read() };
        if b == 0 {
            return Ok(v);
        }
        v.push(b);
    }
    Err(codes::BAD_PARAMETER)
}

/// [`c_bytes`] as ASCII text (6018 otherwise).
fn c_str(p: Str, max: usize) -> Result<String, Legacy> {
    let b = c_bytes(p, max)?;
    if !b.is_ascii() {
        return Err(codes::BAD_PARAMETER);
    }
    String::from_utf8(b).map_err(|_| codes::BAD_PARAMETER)
}

/// Exactly `n` bytes of an input buffer (HIS code passes fixed-size records, not always
/// NUL-terminated: C# passes a `byte[]` of the records' size): 6018 for a null pointer or a
/// NUL among them.
fn in_bytes(p: Str, n: usize) -> Result<Vec<u8>, Legacy> {
    if p.is_null() {
        return Err(codes::BAD_PARAMETER);
    }
    // SAFETY: non-null, and the caller vouches for `n` bytes (the count it passed times the
    // record size); a fresh copy, read once.
    let v = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) }.to_vec();
    if v.contains(&0) {
        return Err(codes::BAD_PARAMETER);
    }
    Ok(v)
}

/// Reads a `short` the caller passes by pointer (6018 for null).
fn get_short(p: Len) -> Result<i16, Legacy> {
    if p.is_null() {
        return Err(codes::BAD_PARAMETER);
    }
    // SAFETY: non-null; the caller's `short` variable (unaligned: see `with_buffer`).
    Ok(unsafe { p.read_unaligned() })
}

/// Copies bytes to an output pointer that has no length argument (`pBufferDocID`: "at
/// least 11 bytes" in the manual); `bytes` is never longer than that documented minimum.
fn put_fixed(p: Buf, bytes: &[u8], documented_min: usize) -> i32 {
    if p.is_null() || bytes.len() > documented_min {
        return codes::BAD_PARAMETER.0;
    }
    // SAFETY: non-null; the manual makes the caller provide `documented_min` bytes and we
    // write at most that many from our own buffer.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    codes::OK.0
}

/// Runs `f`, turning a panic into [`codes::INTERNAL`]: unwinding into the host is undefined.
fn guard(f: impl FnOnce() -> i32 + UnwindSafe) -> i32 {
    catch_unwind(f).unwrap_or(codes::INTERNAL.0)
}

/// An export's return value: the value (a status, a flag, [`codes::OK`]) or the error's
/// legacy code.
fn rc(r: LegacyResult<i32>) -> i32 {
    r.unwrap_or_else(|Legacy(c)| c)
}

/// [`rc`] for an action with no value: [`codes::OK`] or the error's legacy code.
fn code(r: LegacyResult<()>) -> i32 {
    rc(r.map(|()| codes::OK.0))
}

/// Checks `buf`/`len`, runs `f` and copies its bytes into the caller's buffer.
fn with_buffer(buf: Buf, len: Len, f: impl FnOnce() -> LegacyResult<Vec<u8>>) -> i32 {
    with_buffer_for(buf, len, |_| f())
}

/// [`with_buffer`] for a function whose layout depends on the buffer HIS code passes
/// (`hisGetCriticalIllness`: 114 or 138 bytes): `f` gets the capacity.
fn with_buffer_for(buf: Buf, len: Len, f: impl FnOnce(usize) -> LegacyResult<Vec<u8>>) -> i32 {
    if buf.is_null() || len.is_null() {
        return codes::BAD_PARAMETER.0;
    }
    // SAFETY: `len` is non-null and, by the API's contract, points to the caller's length
    // variable (at least the header's 2-byte `short`); unaligned read: callers' variables
    // need not be aligned.
    let capacity = unsafe { len.read_unaligned() };
    if capacity < 0 {
        return codes::BAD_PARAMETER.0;
    }
    let data = match f(usize::from(capacity.unsigned_abs())) {
        Ok(d) => d,
        Err(Legacy(c)) => return c,
    };
    let Ok(written) = i16::try_from(data.len()) else {
        return codes::BAD_REPLY.0;
    };
    if written > capacity {
        // Too small: the buffer is not touched; the length says how much is needed.
        // SAFETY: as above, `len` is the caller's valid length variable.
        unsafe { len.write_unaligned(written) };
        return codes::BAD_PARAMETER.0;
    }
    // SAFETY: `buf` is non-null and the caller vouches for `capacity` bytes there;
    // `data.len() <= capacity`, and our fresh `Vec` cannot overlap the caller's buffer.
    unsafe {
        std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
        len.write_unaligned(written);
    }
    codes::OK.0
}

/// [`with_buffer`] for a function that writes to the card: a buffer shorter than the
/// `need` bytes it will answer is refused (6018, `*len` = `need`) before anything is written.
fn with_buffer_of(
    buf: Buf,
    len: Len,
    need: usize,
    f: impl FnOnce() -> LegacyResult<Vec<u8>>,
) -> i32 {
    if buf.is_null() || len.is_null() {
        return codes::BAD_PARAMETER.0;
    }
    let Ok(need) = i16::try_from(need) else {
        return codes::BAD_PARAMETER.0;
    };
    // SAFETY: as in `with_buffer`: the caller's non-null length variable.
    if unsafe { len.read_unaligned() } < need {
        // SAFETY: as above.
        unsafe { len.write_unaligned(need) };
        return codes::BAD_PARAMETER.0;
    }
    with_buffer(buf, len, f)
}

/// A ranged read of the medical area (1.41–1.44): records `start..=end` (1-based) of
/// `kind`, `width` bytes each, into the caller's buffer; `*count` gets how many once the
/// bytes are copied. A null `count` is refused (6018) before anything is read.
fn ranged(
    buf: Buf,
    len: Len,
    start: i32,
    end: i32,
    count: Len,
    kind: ItemKind,
    width: usize,
) -> i32 {
    if count.is_null() {
        return codes::BAD_PARAMETER.0;
    }
    let mut n = 0;
    let r = with_buffer(buf, len, || {
        let (b, k) = crate::areas::read_medical(kind, width, start, end)?;
        n = k;
        Ok(b)
    });
    if r == codes::OK.0 {
        put_short(count, n)
    } else {
        r
    }
}

/// Writes a `short` result to a non-null pointer the caller passed.
fn put_short(p: Len, v: i16) -> i32 {
    if p.is_null() {
        return codes::BAD_PARAMETER.0;
    }
    // SAFETY: non-null; by the API's contract the caller's `short` variable.
    unsafe { p.write_unaligned(v) };
    codes::OK.0
}

/// `*status` gets the value `f` reads (6018 for a null `status`, checked before `f` runs).
fn with_short(status: Len, f: impl FnOnce() -> LegacyResult<i16>) -> i32 {
    if status.is_null() {
        return codes::BAD_PARAMETER.0;
    }
    match f() {
        Ok(s) => put_short(status, s),
        Err(Legacy(c)) => c,
    }
}

/// The directories to look for `csHis.ini` in: the DLL's, then the program's.
fn ini_dirs() -> Vec<PathBuf> {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from));
    module_dir().into_iter().chain(exe).collect()
}

/// The number of the card of `card_type` (1.35) into the caller's buffer.
fn card_no(card_type: i16, buf: Buf, len: Len) -> i32 {
    with_buffer(buf, len, || service::card_no(card_type))
}

/// One of the HPC's text fields (4.5–4.8) into the caller's buffer.
fn hpc_field(buf: Buf, len: Len, field: HpcField) -> i32 {
    with_buffer(buf, len, || service::hpc(field))
}

exports! {
    /// 1.31 開啟讀卡機連結埠: `pcom` 0 is COM1.
    fn csOpenCom(pcom: i32) = code(service::open(pcom, &ini_dirs()));
    /// 1.32 關閉讀卡機連結埠.
    fn csCloseCom() = code(service::close());
    /// 2.1 安全模組認證.
    fn csVerifySAMDC() = code(service::verify_sam());
    /// 1.1 讀取不需個人PIN碼資料 (72 bytes).
    fn hisGetBasicData(buf: Buf, len: Len) = with_buffer(buf, len, service::basic_data);
    /// 1.2 掛號或報到時讀取基本資料 (78 bytes).
    fn hisGetRegisterBasic(buf: Buf, len: Len) = with_buffer(buf, len, service::register_basic);
    /// 2.2 讀取SAM院所代碼 (10 bytes).
    fn csGetHospID(buf: Buf, len: Len) = with_buffer(buf, len, service::hospital_id);
    /// 1.34 讀取讀卡機日期時間 (13 bytes).
    fn csGetDateTime(buf: Buf, len: Len) = with_buffer(buf, len, service::date_time);
    /// 1.35 讀取卡片號碼: `card_type` is a `short` (its low 16 bits).
    fn csGetCardNo(card_type: i32, buf: Buf, len: Len) = card_no(card_type as i16, buf, len);
    /// 1.15 讀取卡片狀態: the status value, or an error code.
    fn hisGetCardStatus(card_type: i32) = rc(service::card_status(card_type as i16));
    /// 4.1 取得醫事人員卡狀態: writes the HPC's status to `*status`.
    fn hpcGetHPCStatus(_req: i32, status: Len) = with_short(status, service::hpc_status);
    /// 1.36 檢查健保IC卡是否設定密碼: 1 set, 0 not set, else an error code.
    fn csISSetPIN() = rc(service::is_pin_set());
    /// 1.29 停用健保IC卡之PIN碼輸入功能.
    fn csDisableHCPIN() = code(service::disable_hc_pin());
    /// 1.30 健保IC卡卡片內容更新作業.
    fn csUpdateHCContents() = code(service::update_hc());
    /// 1.40 健保IC卡卡片內容更新作業 (no reset).
    fn csUpdateHCNoReset() = code(service::update_hc());
    /// 1.52 提供His重置讀卡機或卡片的API.
    fn csSoftwareReset(kind: i32) = code(service::software_reset(kind));
    /// 4.5 取得醫事人員卡序號.
    fn hpcGetHPCSN(buf: Buf, len: Len) = hpc_field(buf, len, HpcField::SerialNo);
    /// 4.6 取得醫事人員卡身份證字號.
    fn hpcGetHPCSSN(buf: Buf, len: Len) = hpc_field(buf, len, HpcField::IdNo);
    /// 4.7 取得醫事人員卡中文姓名 (Big5).
    fn hpcGetHPCCNAME(buf: Buf, len: Len) = hpc_field(buf, len, HpcField::ChineseName);
    /// 4.8 取得醫事人員卡英文姓名.
    fn hpcGetHPCENAME(buf: Buf, len: Len) = hpc_field(buf, len, HpcField::EnglishName);
}
