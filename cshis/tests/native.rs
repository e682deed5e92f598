#![allow(clippy::unwrap_used, clippy::expect_used)]
// Loading a shared library and calling its C functions is `unsafe` by nature; this test
// is the host program HIS code would be, so it does what they do (two blocks, explained).
#![allow(unsafe_code)]
//! The Linux build of csHis loaded as HIS code loads the DLL (by name, function by function,
//! fixed buffers), against an emulated world: the reference middleware over HTTPS with a
//! cloud SAM on COM1, cards in the emulated readers, the DC over HTTPS. One test: the
//! library keeps one session, like the real DLL in one HIS process.

mod common;

use common::{so_path, Stack};
use libloading::{Library, Symbol};
use nhi_emulator::fixtures::CardFactory;
use std::time::Instant;

type F0 = extern "system" fn() -> i32;
type FInt = extern "system" fn(i32) -> i32;
type FBuf = extern "system" fn(*mut u8, *mut i16) -> i32;
type FIntBuf = extern "system" fn(i32, *mut u8, *mut i16) -> i32;
type FSeq = extern "system" fn(*const u8, *const u8, *const u8, *mut u8, *mut i16) -> i32;
type FTreat = extern "system" fn(*const u8, *const u8, *const u8, *const u8, *mut u8) -> i32;
type FMultiRx = extern "system" fn(
    *const u8,
    *const u8,
    *const u8,
    *const u8,
    *mut i16,
    *mut u8,
    *mut i16,
) -> i32;
type FReadRx = extern "system" fn(*mut u8, *mut i16, i32, i32, *mut i16) -> i32;

fn library() -> Library {
    let p = so_path();
    // SAFETY (test): loading our own library; its initialisers are Rust's.
    unsafe { Library::new(&p) }.unwrap()
}

struct Dll(Library);

impl Dll {
    fn f<T>(&self, name: &str) -> Symbol<'_, T> {
        // SAFETY (test): the types above are the SDK header's signatures.
        unsafe { self.0.get(name.as_bytes()) }.unwrap()
    }
    fn call0(&self, name: &str) -> i32 {
        self.f::<F0>(name)()
    }
    fn open(&self, n: i32) -> i32 {
        self.f::<FInt>("csOpenCom")(n)
    }
    /// Calls a `(char *, short *)` function with a buffer of `cap` bytes filled with 0xEE.
    fn buf(&self, name: &str, cap: usize) -> (i32, Vec<u8>, i16) {
        let mut b = vec![0xEEu8; cap];
        let mut len = cap as i16;
        let rc = self.f::<FBuf>(name)(b.as_mut_ptr(), &mut len);
        (rc, b, len)
    }
}

fn big5(s: &str) -> Vec<u8> {
    encoding_rs::BIG5.encode(s).0.into_owned()
}

#[test]
fn his_call_sequence_and_legacy_codes() {
    let stack = Stack::start();
    let (world, f, factory) = (&stack.world, &stack.fixtures, &stack.factory);
    let hospital = f.hospital(common::HOSPITAL).unwrap();
    std::env::set_var("NHI_CSHIS_URL", world.sut.base());

    let dll = Dll(library());

    // Before csOpenCom: 4000, whatever the function.
    assert_eq!(dll.buf("hisGetBasicData", 72).0, 4000);
    assert_eq!(dll.call0("csVerifySAMDC"), 4000);
    // Bad input: null pointers, negative length, bad port; nothing is written.
    let mut len: i16 = 72;
    let basic = dll.f::<FBuf>("hisGetBasicData");
    assert_eq!(basic(std::ptr::null_mut(), &mut len), 6018);
    let mut b = [0u8; 72];
    assert_eq!(basic(b.as_mut_ptr(), std::ptr::null_mut()), 6018);
    let mut neg: i16 = -5;
    assert_eq!(basic(b.as_mut_ptr(), &mut neg), 6018);
    assert_eq!(dll.open(-1), 6018);
    assert_eq!(dll.open(5), 4000, "no device on COM6");
    // Settings naming no usable service: 3597; a service that is not running: 4000.
    std::env::set_var("NHI_CSHIS_URL", "ftp://127.0.0.1:5066");
    assert_eq!(dll.open(0), 3597);
    std::env::set_var("NHI_CSHIS_URL", "https://192.0.2.1:5066");
    assert_eq!(dll.open(0), 3597, "remote HTTPS without a CA");
    std::env::set_var("NHI_CSHIS_URL", "https://127.0.0.1:9");
    assert_eq!(dll.open(0), 4000);
    // Without the environment, csHis.ini beside the library says where the service is.
    std::env::remove_var("NHI_CSHIS_URL");
    let ini = so_path().with_file_name("csHis.ini");
    std::fs::write(&ini, format!("[csHis]\nurl = {}\n", world.sut.base())).unwrap();
    let from_ini = dll.open(0);
    std::fs::remove_file(&ini).unwrap();
    assert_eq!(from_ini, 0, "csHis.ini beside {}", ini.display());
    assert_eq!(dll.call0("csCloseCom"), 0);
    std::env::set_var("NHI_CSHIS_URL", world.sut.base());

    // DC down: the SAM cannot be verified (4061 網路不通).
    assert_eq!(dll.open(0), 0);
    world.dc.dc.refuse.send_replace(true);
    assert_eq!(dll.call0("csVerifySAMDC"), 4061);
    world.dc.dc.refuse.send_replace(false);

    // No card: 4013.
    assert_eq!(dll.buf("hisGetBasicData", 72).0, 4013);
    // Wrong card in the HC reader (an HPC, then a SAM): the reference middleware looks for
    // an HC in every reader and answers 1102, so HIS code sees 4013 ("no HC or virtual
    // card"); a 6.0 service answering 1103 would give 4033 (see codes.rs).
    let holder = &f.hpcs[0];
    let hpc = factory
        .hpc(holder, CardFactory::hpc_serial(holder))
        .unwrap();
    stack.insert_hc(Box::new(hpc));
    assert_eq!(dll.buf("hisGetBasicData", 72).0, 4013);
    let sam = factory.sam(hospital).unwrap();
    stack.insert_hc(Box::new(sam));
    assert_eq!(dll.buf("hisGetRegisterBasic", 78).0, 4013);

    // The visit: open → verify SAM → basic data → register basic → sequence number → close.
    let person = stack.patient();
    stack.insert_hc(Box::new(factory.hc(person).unwrap()));
    assert_eq!(dll.call0("csCloseCom"), 0);
    let t = Instant::now();
    assert_eq!(dll.open(0), 0);
    assert_eq!(dll.call0("csVerifySAMDC"), 0);
    let (rc, b, len) = dll.buf("hisGetBasicData", 72);
    assert_eq!((rc, len), (0, 72));
    let (rc, r, rlen) = dll.buf("hisGetRegisterBasic", 78);
    assert_eq!((rc, rlen), (0, 78));
    assert_eq!(dll.call0("csCloseCom"), 0);
    eprintln!(
        "HIS registration (open, verify SAM, basic, register basic, close): {:?}",
        t.elapsed()
    );

    assert_eq!(&b[0..12], person.card_no.as_bytes());
    let name = big5(&person.name);
    assert_eq!(&b[12..12 + name.len()], &name[..]);
    assert!(b[12 + name.len()..32].iter().all(|&c| c == b' '));
    assert_eq!(&b[32..42], person.id_no.as_bytes());
    assert_eq!(&b[42..49], person.birthday.as_bytes());
    assert_eq!(&b[49..50], person.sex.as_bytes());
    assert_eq!(&b[50..57], person.issue_date.as_bytes());
    assert_eq!(&r[..58], &b[..58]);
    // A cloud SAM cannot open the physical HC's insurance area: those 20 bytes are blank
    // (with a physical SAM they are filled: the visit below).
    assert_eq!(&r[58..78], &[b' '; 20][..]);

    // After close: 4000 again.
    assert_eq!(dll.buf("hisGetBasicData", 72).0, 4000);
    assert_eq!(dll.open(0), 0);
    // Buffer too small: 6018, not a byte written, the length says what is needed.
    let (rc, small, need) = dll.buf("hisGetBasicData", 50);
    assert_eq!((rc, need), (6018, 72));
    assert!(small.iter().all(|&c| c == 0xEE));
    // A caller with a bigger buffer gets 72 bytes and the rest stays as it was.
    let (rc, big, len) = dll.buf("hisGetBasicData", 100);
    assert_eq!((rc, len), (0, 72));
    assert_eq!(&big[..72], &b[..]);
    assert!(big[72..].iter().all(|&c| c == 0xEE));

    let (rc, h, len) = dll.buf("csGetHospID", 10);
    assert_eq!((rc, len, &h[..]), (0, 10, hospital.id.as_bytes()));
    let (rc, t, len) = dll.buf("csGetDateTime", 13);
    assert_eq!((rc, len), (0, 13));
    assert!(t.iter().all(u8::is_ascii_digit), "{t:?}");
    let mut no = [0u8; 12];
    let mut no_len: i16 = 12;
    assert_eq!(
        dll.f::<FIntBuf>("csGetCardNo")(2, no.as_mut_ptr(), &mut no_len),
        0
    );
    assert_eq!(&no, person.card_no.as_bytes());
    assert_eq!(dll.f::<FInt>("hisGetCardStatus")(1), 2, "SAM verified");
    assert!(dll.f::<FInt>("hisGetCardStatus")(2) >= 1, "HC present");
    assert_eq!(dll.f::<FInt>("hisGetCardStatus")(3), 0, "no HPC");
    assert_eq!(dll.f::<FInt>("hisGetCardStatus")(7), 6018);
    assert_eq!(dll.buf("hpcGetHPCSN", 32).0, 4014, "no HPC");
    // The doctor's HPC: serial number, ID number, names (Chinese in Big5), status.
    let doctor = &f.hpcs[0];
    let card = factory
        .hpc(doctor, CardFactory::hpc_serial(doctor))
        .unwrap();
    stack
        .rt
        .block_on(world.insert(&world.slots.hpc, Box::new(card)))
        .unwrap();
    // The 6.0 mode model serves HPC basic data in mode 3 only: before the PIN, 4042
    // (醫事人員卡PIN尚未認證成功). The PIN is entered through the 6.0 API, as the
    // console does (hpcVerifyHPCPIN needs a reader PIN pad: 3599).
    assert_eq!(dll.buf("hpcGetHPCSN", 32).0, 4042);
    let pin = stack.rt.block_on(world.sut.call(
        "POST",
        nhi_protocol::api::path::HPC_VERIFY,
        Some(serde_json::json!({ "pin": doctor.pin })),
    ));
    assert_eq!(pin.status.as_deref(), Some("0000"), "{:?}", pin.reply);
    let (rc, sn, len) = dll.buf("hpcGetHPCSN", 32);
    assert_eq!(rc, 0);
    assert_eq!(&sn[..len as usize], doctor.card_id.as_bytes());
    let (rc, ssn, len) = dll.buf("hpcGetHPCSSN", 32);
    assert_eq!((rc, &ssn[..len as usize]), (0, doctor.id_no.as_bytes()));
    let (rc, cname, len) = dll.buf("hpcGetHPCCNAME", 32);
    assert_eq!((rc, &cname[..len as usize]), (0, &big5(&doctor.name)[..]));
    let (rc, ename, len) = dll.buf("hpcGetHPCENAME", 64);
    assert_eq!((rc, &ename[..len as usize]), (0, doctor.name_en.as_bytes()));
    let mut hpc_status: i16 = -1;
    let status_fn = dll.f::<extern "system" fn(i32, *mut i16) -> i32>("hpcGetHPCStatus");
    assert_eq!(status_fn(1, &mut hpc_status), 0);
    assert_eq!(i32::from(hpc_status), dll.f::<FInt>("hisGetCardStatus")(3));
    assert_eq!(hpc_status, 3, "HPC PIN verified");
    assert_eq!(status_fn(1, std::ptr::null_mut()), 6018);
    // These emulated readers have no PIN pad: the PIN functions' body without a PIN is
    // refused (1704 → 6018); over pcscd with nhi-ifd's pad reader the pad is asked.
    assert_eq!(dll.call0("hpcVerifyHPCPIN"), 6018);
    assert_eq!(dll.call0("csVerifyHCPIN"), 6018);
    assert_eq!(dll.call0("csCloseCom"), 0);

    the_visit_writes_and_reads_back(&stack, &dll, person, doctor, &hospital.id);
    std::env::remove_var("NHI_CSHIS_URL");
}

/// 61-byte outpatient prescription: date-time 13 · order class 1 · item code 12 · body
/// site 6 · usage 18 · days 2 · total 7 · dispensing mark 2.
fn prescription(time: &str, code: &str) -> Vec<u8> {
    let r = format!("{time}1{code:<12}{:<6}{:<18}03{:<7}01", "", "TID", "9");
    assert_eq!(r.len(), 61);
    r.into_bytes()
}

fn c(s: &str) -> Vec<u8> {
    [s.as_bytes(), &[0]].concat()
}

/// The issue's sequence with the HPC verified: open → verify SAM → basic data → register
/// basic → sequence number → treatment and prescriptions (with signatures) → read back →
/// close; then the write-back's legacy codes. A physical HC's data areas need a physical
/// SAM: csHis.ini maps COM2 to the SAM reader (`csOpenCom(1)`).
fn the_visit_writes_and_reads_back(
    stack: &Stack,
    dll: &Dll,
    person: &nhi_emulator::fixtures::Person,
    doctor: &nhi_emulator::fixtures::HpcHolder,
    hospital_id: &str,
) {
    let seq256 = dll.f::<FSeq>("hisGetSeqNumber256");
    let treat = dll.f::<FTreat>("hisWriteTreatmentCode");
    let multi = dll.f::<FMultiRx>("hisWriteMultiPrescriptSign");
    let read_rx = dll.f::<FReadRx>("hisReadPrescriptMain");
    let (id, birth) = (c(&person.id_no), c(&person.birthday));
    let world = &stack.world;
    let hospital = stack.fixtures.hospital(common::HOSPITAL).unwrap();
    let sam = stack.factory.sam(hospital).unwrap();
    stack
        .rt
        .block_on(world.insert(&world.slots.sam, Box::new(sam)))
        .unwrap();
    let ini = so_path().with_file_name("csHis.ini");
    std::fs::write(
        &ini,
        format!(
            "url = {}\ncom2 = {}\n",
            world.sut.base(),
            nhi_harness::world::READER_SAM
        ),
    )
    .unwrap();

    let t = Instant::now();
    assert_eq!(dll.open(1), 0);
    assert_eq!(dll.call0("csVerifySAMDC"), 0);
    // Connecting the SAM reader started a new session: the doctor's PIN again (through
    // the 6.0 API: these readers have no pad).
    let pin = stack.rt.block_on(world.sut.call(
        "POST",
        nhi_protocol::api::path::HPC_VERIFY,
        Some(serde_json::json!({ "pin": doctor.pin })),
    ));
    assert_eq!(pin.status.as_deref(), Some("0000"), "{:?}", pin.reply);
    assert_eq!(dll.buf("hisGetBasicData", 72).0, 0);
    let (rc, reg, _) = dll.buf("hisGetRegisterBasic", 78);
    assert_eq!(rc, 0);
    let (rc, before, _) = dll.buf("hisGetRegisterBasic2", 9);
    assert_eq!(rc, 0);
    let left_before: u8 = std::str::from_utf8(&before[7..9]).unwrap().parse().unwrap();
    let mut seq = [0u8; 296];
    let mut seq_len: i16 = 296;
    let rc = seq256(
        c"01".as_ptr().cast(),
        c" ".as_ptr().cast(),
        c"1".as_ptr().cast(),
        seq.as_mut_ptr(),
        &mut seq_len,
    );
    assert_eq!((rc, seq_len), (0, 296));
    let time = std::str::from_utf8(&seq[0..13]).unwrap().to_string();
    let seq_no = std::str::from_utf8(&seq[13..17]).unwrap().to_string();
    let mut doc = [0xEEu8; 11];
    let diagnoses = c("1 J00      I10    ");
    assert_eq!(
        treat(
            c(&time).as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            diagnoses.as_ptr(),
            doc.as_mut_ptr()
        ),
        0
    );
    let rx = [
        prescription(&time, "A012345100"),
        prescription(&time, "B098765432"),
    ]
    .concat();
    let mut count: i16 = 2;
    let mut sigs = [0u8; 80];
    let mut sigs_len: i16 = 80;
    let rc = multi(
        c(&time).as_ptr(),
        id.as_ptr(),
        birth.as_ptr(),
        rx.as_ptr(),
        &mut count,
        sigs.as_mut_ptr(),
        &mut sigs_len,
    );
    assert_eq!((rc, sigs_len), (0, 80));
    let (rc, last, _) = dll.buf("hisGetLastSeqNum", 17);
    assert_eq!(rc, 0);
    let mut back = [0u8; 122];
    let (mut back_len, mut back_n): (i16, i16) = (122, 0);
    let rc = read_rx(back.as_mut_ptr(), &mut back_len, 1, 2, &mut back_n);
    let (rc2, after, _) = dll.buf("hisGetRegisterBasic2", 9);
    assert_eq!(dll.call0("csCloseCom"), 0);
    eprintln!(
        "HIS visit (open, verify SAM, basic, register basic, seq, treatment, 2 prescriptions, read back, close): {:?}",
        t.elapsed()
    );

    // Register basic's insurance area: insurer code, insured mark (the card's identity
    // status), validity and visits left as register-basic-2 gives them, no newborn.
    assert!(
        reg[58..60].iter().all(u8::is_ascii_digit),
        "{:?}",
        &reg[58..60]
    );
    assert_eq!(&reg[60..61], person.identity_status.as_bytes());
    assert_eq!(&reg[61..70], &before[..]);
    assert_eq!(&reg[70..78], b"        ");
    // The 296 bytes: time (digits), sequence number, hospital, the SAM's signature in hex,
    // SAM id, same-day mark.
    assert!(time.bytes().all(|b| b.is_ascii_digit()), "{time}");
    assert_eq!(&seq[17..27], hospital_id.as_bytes());
    let sig = std::str::from_utf8(&seq[27..283]).unwrap().trim_end();
    assert!(
        !sig.is_empty() && sig.bytes().all(|b| b.is_ascii_hexdigit()),
        "{sig}"
    );
    assert!(seq[283..295].iter().all(u8::is_ascii_alphanumeric));
    assert!(seq[295] == b'Y' || seq[295] == b'N');
    // Treatment written: the doctor's ID number comes back in pBufferDocID.
    assert_eq!(
        &doc[..11],
        [doctor.id_no.as_bytes(), &[0]].concat().as_slice()
    );
    // Two signatures of 40 hex characters, different (each its own HC signature).
    assert!(sigs.iter().all(u8::is_ascii_hexdigit));
    assert_ne!(sigs[..40], sigs[40..]);
    // Read back: the last visit is this one, the prescriptions are the bytes written, and
    // one visit was used.
    assert_eq!(&last[..], format!("{time}{seq_no}").as_bytes());
    assert_eq!((rc, back_len, back_n), (0, 122, 2));
    assert_eq!(&back[..], &rx[..]);
    assert_eq!(rc2, 0);
    let left_after: u8 = std::str::from_utf8(&after[7..9]).unwrap().parse().unwrap();
    assert_eq!(left_after + 1, left_before);

    // The write-back's codes.
    assert_eq!(dll.open(1), 0);
    // A treatment write with no numbered visit at that time: 5022.
    assert_eq!(
        treat(
            c(&time).as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            diagnoses.as_ptr(),
            doc.as_mut_ptr()
        ),
        5022
    );
    // Another person's ID: 5020 (the visit is numbered first).
    let mut seq_len: i16 = 296;
    assert_eq!(
        seq256(
            c"01".as_ptr().cast(),
            c" ".as_ptr().cast(),
            c"1".as_ptr().cast(),
            seq.as_mut_ptr(),
            &mut seq_len
        ),
        0
    );
    assert_eq!(
        seq[295], b'Y',
        "second visit the same day at the same institution"
    );
    let time2 = c(std::str::from_utf8(&seq[0..13]).unwrap());
    let other = c("A123456789");
    assert_eq!(
        treat(
            time2.as_ptr(),
            other.as_ptr(),
            birth.as_ptr(),
            diagnoses.as_ptr(),
            doc.as_mut_ptr()
        ),
        5020
    );
    // Bad input: an empty main diagnosis, a null pDataWrite or pBufferDocID, an unknown
    // 就醫類別, a non-counting one (no 6.0 path), a null count, a count over 60, a
    // prescription of another visit.
    let empty = c("1        ");
    assert_eq!(
        treat(
            time2.as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            empty.as_ptr(),
            doc.as_mut_ptr()
        ),
        6018
    );
    assert_eq!(
        treat(
            time2.as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            std::ptr::null(),
            doc.as_mut_ptr()
        ),
        6018
    );
    assert_eq!(
        treat(
            time2.as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            diagnoses.as_ptr(),
            std::ptr::null_mut()
        ),
        6018
    );
    let mut seq_len: i16 = 296;
    assert_eq!(
        seq256(
            c"0!".as_ptr().cast(),
            c" ".as_ptr().cast(),
            c"1".as_ptr().cast(),
            seq.as_mut_ptr(),
            &mut seq_len
        ),
        6018
    );
    assert_eq!(
        seq256(
            c"AC".as_ptr().cast(),
            c" ".as_ptr().cast(),
            c"1".as_ptr().cast(),
            seq.as_mut_ptr(),
            &mut seq_len
        ),
        3599
    );
    let mut sigs_len: i16 = 80;
    assert_eq!(
        multi(
            c(&time).as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            rx.as_ptr(),
            std::ptr::null_mut(),
            sigs.as_mut_ptr(),
            &mut sigs_len
        ),
        6018
    );
    let mut too_many: i16 = 61;
    assert_eq!(
        multi(
            c(&time).as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            rx.as_ptr(),
            &mut too_many,
            sigs.as_mut_ptr(),
            &mut sigs_len
        ),
        6018
    );
    let mut one: i16 = 1;
    let other_visit = prescription("1000101080000", "A012345100");
    assert_eq!(
        multi(
            c(&time).as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            other_visit.as_ptr(),
            &mut one,
            sigs.as_mut_ptr(),
            &mut sigs_len
        ),
        6018,
        "the prescription's date-time is not pDateTime"
    );
    // Signatures into a buffer too small: 6018 and the length needed.
    let mut small: i16 = 39;
    assert_eq!(
        multi(
            c(&time).as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            rx.as_ptr(),
            &mut one,
            sigs.as_mut_ptr(),
            &mut small
        ),
        6018
    );
    assert_eq!(small, 40);
    assert_eq!(
        read_rx(back.as_mut_ptr(), &mut back_len, 0, 2, &mut back_n),
        6018
    );
    assert_eq!(
        read_rx(back.as_mut_ptr(), &mut back_len, 1, 2, std::ptr::null_mut()),
        6018
    );
    // A locked HPC (three wrong PINs through the 6.0 API: 1410 each): its data stays
    // closed to HIS code (4042) and its status is "present, PIN not verified".
    let other = &stack.fixtures.hpcs[1];
    let card = stack
        .factory
        .hpc(other, CardFactory::hpc_serial(other))
        .unwrap();
    stack
        .rt
        .block_on(world.insert(&world.slots.hpc, Box::new(card)))
        .unwrap();
    for _ in 0..3 {
        let wrong = stack.rt.block_on(world.sut.call(
            "POST",
            nhi_protocol::api::path::HPC_VERIFY,
            Some(serde_json::json!({ "pin": "999999" })),
        ));
        assert_eq!(wrong.status.as_deref(), Some("1410"), "{:?}", wrong.reply);
    }
    assert_eq!(dll.buf("hpcGetHPCSN", 32).0, 4042);
    let status = dll.f::<FInt>("hisGetCardStatus")(3);
    assert!((1..3).contains(&status), "locked HPC status {status}");
    assert_eq!(dll.call0("csCloseCom"), 0);
    std::fs::remove_file(&ini).unwrap();
}
