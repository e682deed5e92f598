#![allow(clippy::unwrap_used, clippy::expect_used)]
// Loading the library and calling its C functions is `unsafe` by nature (common/dll.rs).
#![allow(unsafe_code)]
//! The visit through the Linux build of csHis, as HIS code makes it: sequence
//! number, treatment, prescriptions with their signatures, the reads of what was written,
//! and the write-back's legacy codes, against the emulated world (a physical SAM in the SAM
//! reader, csHis.ini mapping COM2 to it; the patient's HC; the doctor's HPC).

mod common;

use common::dll::{c, prescription, Dll, FInt, FReadRx, Visit};
use common::{so_path, Stack};
use std::time::Instant;

#[test]
fn the_visit_through_cshis() {
    let stack = Stack::start();
    std::env::set_var("NHI_CSHIS_URL", stack.world.sut.base());
    let person = stack.patient();
    stack.insert_hc(Box::new(stack.factory.hc(person).unwrap()));
    let doctor = &stack.fixtures.hpcs[0];
    stack.insert_hpc(&stack.world.slots.hpc, doctor);
    let dll = Dll::load();
    the_visit_writes_and_reads_back(&stack, &dll, person, doctor, common::HOSPITAL);
    std::env::remove_var("NHI_CSHIS_URL");
}

/// The sequence with the HPC verified: open → verify SAM → basic data → register
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
    assert_eq!(dll.seq256(c"01", &mut seq), (0, 296));
    let time = std::str::from_utf8(&seq[0..13]).unwrap().to_string();
    let seq_no = std::str::from_utf8(&seq[13..17]).unwrap().to_string();
    let time_c = c(&time);
    let at = Visit {
        time: &time_c,
        id: &id,
        birth: &birth,
    };
    let mut doc = [0xEEu8; 11];
    let diagnoses = c("1 J00      I10    ");
    assert_eq!(dll.treat(at, Some(&diagnoses), Some(&mut doc)), 0);
    let rx = [
        prescription(&time, "A012345100"),
        prescription(&time, "B098765432"),
    ]
    .concat();
    let mut count: i16 = 2;
    let mut sigs = [0u8; 80];
    let mut sigs_len: i16 = 80;
    let rc = dll.multi_sign(at, &rx, Some(&mut count), &mut sigs, &mut sigs_len);
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
    assert_eq!(dll.treat(at, Some(&diagnoses), Some(&mut doc)), 5022);
    // Another person's ID: 5020 (the visit is numbered first).
    assert_eq!(dll.seq256(c"01", &mut seq).0, 0);
    assert_eq!(
        seq[295], b'Y',
        "second visit the same day at the same institution"
    );
    let time2 = c(std::str::from_utf8(&seq[0..13]).unwrap());
    let at2 = Visit { time: &time2, ..at };
    let other = c("A123456789");
    let other_at2 = Visit { id: &other, ..at2 };
    assert_eq!(dll.treat(other_at2, Some(&diagnoses), Some(&mut doc)), 5020);
    // Bad input: an empty main diagnosis, a null pDataWrite or pBufferDocID, an unknown
    // 就醫類別, a non-counting one (no 6.0 path), a null count, a count over 60, a
    // prescription of another visit.
    let empty = c("1        ");
    assert_eq!(dll.treat(at2, Some(&empty), Some(&mut doc)), 6018);
    assert_eq!(dll.treat(at2, None, Some(&mut doc)), 6018);
    assert_eq!(dll.treat(at2, Some(&diagnoses), None), 6018);
    assert_eq!(dll.seq256(c"0!", &mut seq).0, 6018);
    assert_eq!(dll.seq256(c"AC", &mut seq).0, 3599);
    let mut sigs_len: i16 = 80;
    let mut multi = |rx: &[u8], count: Option<&mut i16>, sigs_len: &mut i16| {
        dll.multi_sign(at, rx, count, &mut sigs, sigs_len)
    };
    assert_eq!(multi(&rx, None, &mut sigs_len), 6018);
    assert_eq!(multi(&rx, Some(&mut 61), &mut sigs_len), 6018);
    let other_visit = prescription("1000101080000", "A012345100");
    assert_eq!(
        multi(&other_visit, Some(&mut 1), &mut sigs_len),
        6018,
        "the prescription's date-time is not pDateTime"
    );
    // Signatures into a buffer too small: 6018 and the length needed.
    let mut small: i16 = 39;
    assert_eq!(multi(&rx, Some(&mut 1), &mut small), 6018);
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
    stack.insert_hpc(&world.slots.hpc, &stack.fixtures.hpcs[1]);
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
