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
use std::ffi::c_char;
use std::panic::{catch_unwind, UnwindSafe};
use std::path::PathBuf;

/// `char *` output buffer.
type Buf = *mut u8;
/// `short *` length, in (capacity) and out (bytes written).
type Len = *mut i16;
/// `char *` input string.
type Str = *const c_char;

/// Runs `f`, turning a panic into [`codes::INTERNAL`]: unwinding into the host is undefined.
fn guard(f: impl FnOnce() -> i32 + UnwindSafe) -> i32 {
    catch_unwind(f).unwrap_or(codes::INTERNAL.0)
}

fn code(r: LegacyResult<()>) -> i32 {
    match r {
        Ok(()) => codes::OK.0,
        Err(Legacy(c)) => c,
    }
}

/// Checks `buf`/`len`, runs `f` and copies its bytes into the caller's buffer.
fn with_buffer(buf: Buf, len: Len, f: impl FnOnce() -> LegacyResult<Vec<u8>>) -> i32 {
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
    let data = match f() {
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

/// The directories to look for `csHis.ini` in: the DLL's, then the program's.
fn ini_dirs() -> Vec<PathBuf> {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from));
    module_dir().into_iter().chain(exe).collect()
}

/// 1.31 開啟讀卡機連結埠: `pcom` 0 is COM1.
#[no_mangle]
pub extern "system" fn csOpenCom(pcom: i32) -> i32 {
    guard(|| code(service::open(pcom, &ini_dirs())))
}

/// 1.32 關閉讀卡機連結埠.
#[no_mangle]
pub extern "system" fn csCloseCom() -> i32 {
    guard(|| code(service::close()))
}

/// 2.1 安全模組認證.
#[no_mangle]
pub extern "system" fn csVerifySAMDC() -> i32 {
    guard(|| code(service::verify_sam()))
}

/// 1.1 讀取不需個人PIN碼資料 (72 bytes).
#[no_mangle]
pub extern "system" fn hisGetBasicData(buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, service::basic_data))
}

/// 1.2 掛號或報到時讀取基本資料 (78 bytes).
#[no_mangle]
pub extern "system" fn hisGetRegisterBasic(buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, service::register_basic))
}

/// 2.2 讀取SAM院所代碼 (10 bytes).
#[no_mangle]
pub extern "system" fn csGetHospID(buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, service::hospital_id))
}

/// 1.34 讀取讀卡機日期時間 (13 bytes).
#[no_mangle]
pub extern "system" fn csGetDateTime(buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, service::date_time))
}

/// 1.35 讀取卡片號碼: `card_type` is a `short` (its low 16 bits).
#[no_mangle]
pub extern "system" fn csGetCardNo(card_type: i32, buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, || service::card_no(card_type as i16)))
}

/// 1.15 讀取卡片狀態: the status value, or an error code.
#[no_mangle]
pub extern "system" fn hisGetCardStatus(card_type: i32) -> i32 {
    guard(|| match service::card_status(card_type as i16) {
        Ok(s) => s,
        Err(Legacy(c)) => c,
    })
}

/// 4.1 取得醫事人員卡狀態: writes the HPC's status to `*status`.
#[no_mangle]
pub extern "system" fn hpcGetHPCStatus(_req: i32, status: Len) -> i32 {
    guard(|| {
        if status.is_null() {
            return codes::BAD_PARAMETER.0;
        }
        match service::hpc_status() {
            Ok(s) => put_short(status, s),
            Err(Legacy(c)) => c,
        }
    })
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

/// 1.36 檢查健保IC卡是否設定密碼: 1 set, 0 not set, else an error code.
#[no_mangle]
pub extern "system" fn csISSetPIN() -> i32 {
    guard(|| match service::is_pin_set() {
        Ok(v) => v,
        Err(Legacy(c)) => c,
    })
}

/// 1.29 停用健保IC卡之PIN碼輸入功能.
#[no_mangle]
pub extern "system" fn csDisableHCPIN() -> i32 {
    guard(|| code(service::disable_hc_pin()))
}

/// 1.30 健保IC卡卡片內容更新作業.
#[no_mangle]
pub extern "system" fn csUpdateHCContents() -> i32 {
    guard(|| code(service::update_hc()))
}

/// 1.40 健保IC卡卡片內容更新作業 (no reset).
#[no_mangle]
pub extern "system" fn csUpdateHCNoReset() -> i32 {
    guard(|| code(service::update_hc()))
}

/// 1.52 提供His重置讀卡機或卡片的API.
#[no_mangle]
pub extern "system" fn csSoftwareReset(kind: i32) -> i32 {
    guard(|| code(service::software_reset(kind)))
}

/// 4.5 取得醫事人員卡序號.
#[no_mangle]
pub extern "system" fn hpcGetHPCSN(buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, || service::hpc(HpcField::SerialNo)))
}

/// 4.6 取得醫事人員卡身份證字號.
#[no_mangle]
pub extern "system" fn hpcGetHPCSSN(buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, || service::hpc(HpcField::IdNo)))
}

/// 4.7 取得醫事人員卡中文姓名 (Big5).
#[no_mangle]
pub extern "system" fn hpcGetHPCCNAME(buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, || service::hpc(HpcField::ChineseName)))
}

/// 4.8 取得醫事人員卡英文姓名.
#[no_mangle]
pub extern "system" fn hpcGetHPCENAME(buf: Buf, len: Len) -> i32 {
    guard(|| with_buffer(buf, len, || service::hpc(HpcField::EnglishName)))
}

/// Functions with no path in the 6.0 Web API (protocol/docs/CSHIS.md says why for each):
/// they take their exact arguments, touch none of them, and return
/// [`codes::NOT_SUPPORTED`].
macro_rules! not_supported {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $t:ty),*); )*) => { $(
        $(#[$doc])*
        #[no_mangle]
        pub extern "system" fn $name($($arg: $t),*) -> i32 {
            let _ = ($($arg,)*);
            codes::NOT_SUPPORTED.0
        }
    )* };
}

not_supported! {
    /// 1.3 預防保健掛號作業.
    fn hisGetRegisterPrevent(buf: Buf, len: Len);
    /// 1.4 孕婦產前檢查掛號作業.
    fn hisGetRegisterPregnant(buf: Buf, len: Len);
    /// 1.5 讀取就醫資料不需HPC卡的部份.
    fn hisGetTreatmentNoNeedHPC(buf: Buf, len: Len);
    /// 1.6 讀取就醫累計資料.
    fn hisGetCumulativeData(buf: Buf, len: Len);
    /// 1.7 讀取醫療費用線累計.
    fn hisGetCumulativeFee(buf: Buf, len: Len);
    /// 1.8 讀取就醫資料需HPC卡的部份.
    fn hisGetTreatmentNeedHPC(buf: Buf, len: Len);
    /// 1.9 取得就醫序號.
    fn hisGetSeqNumber(treat_item: Str, baby_treat: Str, buf: Buf, len: Len);
    /// 1.10 讀取處方箋作業.
    fn hisReadPrescription(b1: Buf, l1: Len, b2: Buf, l2: Len, b3: Buf, l3: Len, b4: Buf, l4: Len);
    /// 1.11 讀取預防接種資料.
    fn hisGetInoculateData(buf: Buf, len: Len);
    /// 1.12 讀取器官捐贈資料.
    fn hisGetOrganDonate(buf: Buf, len: Len);
    /// 1.13 讀取緊急聯絡電話資料.
    fn hisGetEmergentTel(buf: Buf, len: Len);
    /// 1.14 讀取最近一次就醫序號.
    fn hisGetLastSeqNum(buf: Buf, len: Len);
    /// 1.16 就醫診療資料寫入作業.
    fn hisWriteTreatmentCode(date_time: Str, id: Str, birth: Str, data: Str, doc_id: Buf);
    /// 1.17 就醫費用資料寫入作業.
    fn hisWriteTreatmentFee(date_time: Str, id: Str, birth: Str, data: Str);
    /// 1.18 處方箋寫入作業.
    fn hisWritePrescription(date_time: Str, id: Str, birth: Str, data: Str);
    /// 1.19 新生兒註記寫入作業.
    fn hisWriteNewBorn(id: Str, birth: Str, newborn_date: Str, delivered: Str);
    /// 1.20 過敏藥物寫入作業.
    fn hisWriteAllergicMedicines(id: Str, birth: Str, data: Str, doc_id: Buf);
    /// 1.21 同意器官捐贈及安寧緩和醫療註記寫入作業.
    fn hisWriteOrganDonate(id: Str, birth: Str, organ: Str);
    /// 1.22 預防保健資料寫入作業.
    fn hisWriteHealthInsurance(id: Str, birth: Str, item: Str, item_code: Str);
    /// 1.23 緊急聯絡電話資料寫入作業.
    fn hisWriteEmergentTel(id: Str, birth: Str, tel: Str);
    /// 1.24 寫入產前檢查資料.
    fn hisWritePredeliveryCheckup(id: Str, birth: Str, checkup: Str);
    /// 1.25 清除產前檢查資料.
    fn hisDeletePredeliveryData(id: Str, birth: Str);
    /// 1.26 預防接種資料寫入作業.
    fn hisWriteInoculateData(id: Str, birth: Str, item: Str, package: Str);
    /// 1.27 驗證健保IC卡之PIN值 (needs a reader PIN pad).
    fn csVerifyHCPIN();
    /// 1.28 輸入新的健保IC卡PIN值 (needs a reader PIN pad).
    fn csInputHCPIN();
    /// 1.33 讀取重大傷病註記資料.
    fn hisGetCriticalIllness(buf: Buf, len: Len);
    /// 1.37 取得就醫序號新版.
    fn hisGetSeqNumber256(treat_item: Str, baby_treat: Str, after_check: Str, buf: Buf, len: Len);
    /// 1.38 掛號或報到時讀取有效卡期限及就醫次數資料.
    fn hisGetRegisterBasic2(buf: Buf, len: Len);
    /// 1.39 回復就醫資料累計值 (退掛).
    fn csUnGetSeqNumber(untreat_date: Str);
    /// 1.41 讀取就醫資料-門診處方箋.
    fn hisReadPrescriptMain(buf: Buf, len: Len, start: i32, end: i32, count: Len);
    /// 1.42 讀取就醫資料-長期處方箋.
    fn hisReadPrescriptLongTerm(buf: Buf, len: Len, start: i32, end: i32, count: Len);
    /// 1.43 讀取就醫資料-重要醫令.
    fn hisReadPrescriptHVE(buf: Buf, len: Len, start: i32, end: i32, count: Len);
    /// 1.44 讀取就醫資料-過敏藥物.
    fn hisReadPrescriptAllergic(buf: Buf, len: Len, start: i32, end: i32, count: Len);
    /// 1.45 多筆處方箋寫入作業.
    fn hisWriteMultiPrescript(date_time: Str, id: Str, birth: Str, data: Str, count: Len);
    /// 1.46 過敏藥物寫入指定欄位作業.
    fn hisWriteAllergicNum(id: Str, birth: Str, data: Str, doc_id: Buf, num: i32);
    /// 1.47 就醫診療資料及費用寫入作業.
    fn hisWriteTreatmentData(date_time: Str, id: Str, birth: Str, data: Str, doc_id: Buf);
    /// 1.48 處方箋寫入作業-回傳簽章.
    fn hisWritePrescriptionSign(date_time: Str, id: Str, birth: Str, data: Str, buf: Buf, len: Len);
    /// 1.49 多筆處方箋寫入作業-回傳簽章.
    fn hisWriteMultiPrescriptSign(date_time: Str, id: Str, birth: Str, data: Str, count: Len, buf: Buf, len: Len);
    /// 1.50 讀取重大傷病註記資料身分比對.
    fn hisGetCriticalIllnessID(id: Str, birth: Str, buf: Buf, len: Len);
    /// 1.51 取得控制軟體版本.
    fn csGetVersionEx(path: Str);
    /// 3.1 資料上傳.
    fn csUploadData(file: Str, size: Str, number: Str, buf: Buf, len: Len);
    /// 4.2 檢查醫事人員卡之PIN值 (needs a reader PIN pad).
    fn hpcVerifyHPCPIN();
    /// 4.3 輸入新的醫事人員卡之PIN值 (needs a reader PIN pad).
    fn hpcInputHPCPIN();
    /// 4.4 解開鎖住的醫事人員卡 (needs a reader PIN pad).
    fn hpcUnlockHPC();
    /// 5.1 進行疾病診斷碼押碼.
    fn hisGetICD10EnC(input: Str, output: Buf);
    /// 5.2 進行疾病診斷碼解押碼.
    fn hisGetICD10DeC(input: Str, output: Buf);
}

/// The directory of this library (for `csHis.ini`).
#[cfg(unix)]
fn module_dir() -> Option<PathBuf> {
    use std::ffi::{c_int, c_void, CStr, OsStr};
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
fn module_dir() -> Option<PathBuf> {
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
