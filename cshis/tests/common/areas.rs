//! Shared by the data-area tests: the functions' signatures beyond the visit's, and the
//! set-up that gives csHis a physical SAM (COM2 through csHis.ini), the patient's HC and the
//! doctor's HPC verified.
#![allow(dead_code)]

use super::dll::{c, Dll, Visit};
use super::{so_path, Stack};
use nhi_emulator::fixtures::HpcHolder;
use std::path::PathBuf;

pub type FWrite4 = extern "system" fn(*const u8, *const u8, *const u8, *const u8) -> i32;
pub type FOldSeq = extern "system" fn(*const u8, *const u8, *mut u8, *mut i16) -> i32;
pub type FWrite4Doc = extern "system" fn(*const u8, *const u8, *const u8, *mut u8) -> i32;
pub type FWrite3 = extern "system" fn(*const u8, *const u8, *const u8) -> i32;
pub type FIllnessId = extern "system" fn(*const u8, *const u8, *mut u8, *mut i16) -> i32;
pub type FWriteRx = extern "system" fn(*const u8, *const u8, *const u8, *const u8, *mut i16) -> i32;

/// The data-area tests' start: the stack, csHis pointed at its Web API, the library and
/// the patient's ID number and birthday (NUL-terminated) — and before `csOpenCom` every
/// read of `reads` (name, buffer size) answers 4000 (inputs that are fine, so the port is
/// what is missing).
pub fn start_closed(reads: &[(&str, usize)]) -> (Stack, Dll, Vec<u8>, Vec<u8>) {
    let stack = Stack::start();
    std::env::set_var("NHI_CSHIS_URL", stack.world.sut.base());
    let dll = Dll::load();
    let person = stack.patient();
    let (id, birth) = (c(&person.id_no), c(&person.birthday));
    for &(name, n) in reads {
        assert_eq!(dll.buf(name, n).0, 4000, "{name}");
    }
    (stack, dll, id, birth)
}

/// Every read of `reads` (name, buffer size) fills its buffer with blanks (a fresh card's
/// records) and says it wrote all of it.
pub fn reads_blank(dll: &Dll, reads: &[(&str, usize)]) {
    for &(name, n) in reads {
        let (rc, b, len) = dll.buf(name, n);
        assert_eq!((rc, len as usize), (0, n), "{name}");
        assert!(blank(&b), "{name}: {b:?}");
    }
}

/// Every read of `reads` into a buffer one byte short: 6018, not a byte written, `*len`
/// the need.
pub fn one_byte_short_refused(dll: &Dll, reads: &[(&str, usize)]) {
    for &(name, n) in reads {
        let (rc, small, len) = dll.buf(name, n - 1);
        assert_eq!((rc, len as usize), (6018, n), "{name} one byte short");
        assert!(small.iter().all(|&x| x == 0xEE), "{name}");
    }
}

/// True when every byte is a blank (a field the card does not hold).
pub fn blank(b: &[u8]) -> bool {
    b.iter().all(|&x| x == b' ')
}

/// Puts the patient's HC in, a SAM of the demo institution and the first doctor's HPC
/// (verified), writes csHis.ini beside the library with COM2 on the SAM reader and opens
/// it (`csOpenCom(1)`). Returns the doctor and the ini file to remove at the end.
pub fn open_com2<'a>(stack: &'a Stack, dll: &Dll) -> (&'a HpcHolder, PathBuf) {
    stack.insert_hc(Box::new(stack.factory.hc(stack.patient()).unwrap()));
    let doctor = stack.physical_sam_and_verified_hpc();
    let ini = so_path().with_file_name("csHis.ini");
    let com2 = format!(
        "url = {}\ncom2 = {}\n",
        stack.world.sut.base(),
        nhi_harness::world::READER_SAM
    );
    std::fs::write(&ini, com2).unwrap();
    assert_eq!(dll.open(1), 0);
    (doctor, ini)
}

/// A visit numbered by `hisGetSeqNumber256` and written by `hisWriteTreatmentCode`
/// (diagnoses J00, I10): its date-time.
pub fn visit(dll: &Dll, id: &[u8], birth: &[u8]) -> String {
    let mut seq = [0u8; 296];
    assert_eq!(dll.seq256(c"01", &mut seq).0, 0);
    let time = std::str::from_utf8(&seq[..13]).unwrap().to_string();
    let (t, diagnoses) = (c(&time), c("1 J00      I10    "));
    let at = Visit {
        time: &t,
        id,
        birth,
    };
    assert_eq!(dll.treat(at, Some(&diagnoses), Some(&mut [0u8; 11])), 0);
    time
}
