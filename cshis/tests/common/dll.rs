//! The library as HIS code loads it: by name, function by function, with the SDK header's
//! signatures and fixed buffers. Loading a shared library and calling its C functions is
//! `unsafe` by nature; the test crates that use this module allow it (two blocks, explained).
#![allow(dead_code)]

use super::so_path;
use libloading::{Library, Symbol};
use std::ffi::CStr;

pub type F0 = extern "system" fn() -> i32;
pub type FInt = extern "system" fn(i32) -> i32;
pub type FBuf = extern "system" fn(*mut u8, *mut i16) -> i32;
pub type FIntBuf = extern "system" fn(i32, *mut u8, *mut i16) -> i32;
pub type FSeq = extern "system" fn(*const u8, *const u8, *const u8, *mut u8, *mut i16) -> i32;
pub type FTreat = extern "system" fn(*const u8, *const u8, *const u8, *const u8, *mut u8) -> i32;
pub type FMultiRx = extern "system" fn(
    *const u8,
    *const u8,
    *const u8,
    *const u8,
    *mut i16,
    *mut u8,
    *mut i16,
) -> i32;
pub type FReadRx = extern "system" fn(*mut u8, *mut i16, i32, i32, *mut i16) -> i32;

/// `libcsHis.so`, loaded.
pub struct Dll(Library);

impl Dll {
    pub fn load() -> Dll {
        let p = so_path();
        // SAFETY (test): loading our own library; its initialisers are Rust's.
        Dll(unsafe { Library::new(&p) }.unwrap())
    }
    pub fn f<T>(&self, name: &str) -> Symbol<'_, T> {
        // SAFETY (test): the types above are the SDK header's signatures.
        unsafe { self.0.get(name.as_bytes()) }.unwrap()
    }
    pub fn call0(&self, name: &str) -> i32 {
        self.f::<F0>(name)()
    }
    pub fn open(&self, n: i32) -> i32 {
        self.f::<FInt>("csOpenCom")(n)
    }
    /// Calls a `(char *, short *)` function with a buffer of `cap` bytes filled with 0xEE.
    pub fn buf(&self, name: &str, cap: usize) -> (i32, Vec<u8>, i16) {
        let mut b = vec![0xEEu8; cap];
        let mut len = cap as i16;
        let rc = self.f::<FBuf>(name)(b.as_mut_ptr(), &mut len);
        (rc, b, len)
    }
    /// Calls a ranged medical-area read (`hisReadPrescript…`) for records `start..=end`:
    /// code, bytes written, count.
    pub fn ranged(&self, name: &str, cap: usize, start: i32, end: i32) -> (i32, Vec<u8>, i16) {
        let mut b = vec![0xEEu8; cap];
        let (mut len, mut n) = (cap as i16, -1i16);
        let rc = self.f::<FReadRx>(name)(b.as_mut_ptr(), &mut len, start, end, &mut n);
        b.truncate(usize::try_from(len).unwrap().min(cap));
        (rc, b, n)
    }
    /// `hisGetSeqNumber256` for 就醫類別 `item` (新生兒 " ", 補卡 "1") into `seq`: the code
    /// and the length it leaves.
    pub fn seq256(&self, item: &CStr, seq: &mut [u8; 296]) -> (i32, i16) {
        let mut len: i16 = 296;
        let rc = self.f::<FSeq>("hisGetSeqNumber256")(
            item.as_ptr().cast(),
            c" ".as_ptr().cast(),
            c"1".as_ptr().cast(),
            seq.as_mut_ptr(),
            &mut len,
        );
        (rc, len)
    }
    /// `hisWriteTreatmentCode` of `data` for `visit`, `pBufferDocID` into `doc` (None: a
    /// null pointer).
    pub fn treat(&self, visit: Visit, data: Option<&[u8]>, doc: Option<&mut [u8; 11]>) -> i32 {
        self.f::<FTreat>("hisWriteTreatmentCode")(
            visit.time.as_ptr(),
            visit.id.as_ptr(),
            visit.birth.as_ptr(),
            data.map_or(std::ptr::null(), <[u8]>::as_ptr),
            doc.map_or(std::ptr::null_mut(), |d| d.as_mut_ptr()),
        )
    }
    /// `hisWriteMultiPrescriptSign` of `rx` for `visit`, `*count` of them (None: a null
    /// pointer), the signatures into `sigs` with `*sigs_len` its capacity.
    pub fn multi_sign(
        &self,
        visit: Visit,
        rx: &[u8],
        count: Option<&mut i16>,
        sigs: &mut [u8],
        sigs_len: &mut i16,
    ) -> i32 {
        self.f::<FMultiRx>("hisWriteMultiPrescriptSign")(
            visit.time.as_ptr(),
            visit.id.as_ptr(),
            visit.birth.as_ptr(),
            rx.as_ptr(),
            count.map_or(std::ptr::null_mut(), |n| n as *mut i16),
            sigs.as_mut_ptr(),
            sigs_len,
        )
    }
}

/// What every write of a visit passes first: `pDateTime`, `pPatientID` and
/// `pPatientBirthDate`, each NUL-terminated.
#[derive(Clone, Copy)]
pub struct Visit<'a> {
    pub time: &'a [u8],
    pub id: &'a [u8],
    pub birth: &'a [u8],
}

pub fn big5(s: &str) -> Vec<u8> {
    encoding_rs::BIG5.encode(s).0.into_owned()
}

/// A NUL-terminated copy of `s`.
pub fn c(s: &str) -> Vec<u8> {
    [s.as_bytes(), &[0]].concat()
}

/// 61-byte outpatient prescription: date-time 13 · order class 1 · item code 12 · body
/// site 6 · usage 18 · days 2 · total 7 · dispensing mark 2.
pub fn prescription(time: &str, code: &str) -> Vec<u8> {
    let r = format!("{time}1{code:<12}{:<6}{:<18}03{:<7}01", "", "TID", "9");
    assert_eq!(r.len(), 61);
    r.into_bytes()
}
