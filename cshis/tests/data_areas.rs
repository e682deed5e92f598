#![allow(clippy::unwrap_used, clippy::expect_used)]
// Loading the library and calling its C functions is `unsafe` by nature (common/dll.rs).
#![allow(unsafe_code)]
//! The HC's data areas through the Linux build of csHis, beyond the visit itself: treatment
//! records, critical illness, the medical area's record kinds, vaccinations and organ
//! donation, read and written as HIS code does, against the emulated world (a physical SAM
//! on COM2 through csHis.ini, the patient's HC, the doctor's HPC verified). Values are
//! checked against what was written and what the world's card holds.

mod common;

use common::dll::{big5, c, prescription, Dll, FInt, FTreat};
use common::{so_path, Stack};
use nhi_protocol::api::path;
use serde_json::json;

type FWrite4 = extern "system" fn(*const u8, *const u8, *const u8, *const u8) -> i32;
type FOldSeq = extern "system" fn(*const u8, *const u8, *mut u8, *mut i16) -> i32;
type FWrite4Doc = extern "system" fn(*const u8, *const u8, *const u8, *mut u8) -> i32;
type FWrite3 = extern "system" fn(*const u8, *const u8, *const u8) -> i32;
type FIllnessId = extern "system" fn(*const u8, *const u8, *mut u8, *mut i16) -> i32;
type FWriteRx = extern "system" fn(*const u8, *const u8, *const u8, *const u8, *mut i16) -> i32;
type FReadAll = extern "system" fn(
    *mut u8,
    *mut i16,
    *mut u8,
    *mut i16,
    *mut u8,
    *mut i16,
    *mut u8,
    *mut i16,
) -> i32;

/// The new reads with one `(char *, short *)` buffer and their lengths.
const READS: [(&str, usize); 5] = [
    ("hisGetTreatmentNoNeedHPC", 498),
    ("hisGetTreatmentNeedHPC", 372),
    ("hisGetCriticalIllness", 114),
    ("hisGetInoculateData", 1400),
    ("hisGetOrganDonate", 1),
];

fn blank(b: &[u8]) -> bool {
    b.iter().all(|&x| x == b' ')
}

/// The four blocks of `hisReadPrescription` with capacities `caps`, each filled with 0xEE.
fn read_all(dll: &Dll, caps: [usize; 4]) -> (i32, [Vec<u8>; 4], [i16; 4]) {
    let mut bufs = caps.map(|n| vec![0xEEu8; n]);
    let mut lens = caps.map(|n| n as i16);
    let [b0, b1, b2, b3] = &mut bufs;
    let [l0, l1, l2, l3] = &mut lens;
    let rc = dll.f::<FReadAll>("hisReadPrescription")(
        b0.as_mut_ptr(),
        l0,
        b1.as_mut_ptr(),
        l1,
        b2.as_mut_ptr(),
        l2,
        b3.as_mut_ptr(),
        l3,
    );
    (rc, bufs, lens)
}

#[test]
fn data_areas_through_cshis() {
    let stack = Stack::start();
    let world = &stack.world;
    std::env::set_var("NHI_CSHIS_URL", world.sut.base());
    let dll = Dll::load();
    let person = stack.patient();
    let (id, birth) = (c(&person.id_no), c(&person.birthday));

    // Before csOpenCom: 4000 (inputs that are fine, so the port is what is missing).
    for (name, n) in READS {
        assert_eq!(dll.buf(name, n).0, 4000, "{name}");
    }
    let organ = dll.f::<FWrite3>("hisWriteOrganDonate");
    assert_eq!(
        organ(id.as_ptr(), birth.as_ptr(), c"1".as_ptr().cast()),
        4000
    );
    assert_eq!(dll.call0("hpcInputHPCPIN"), 4000);
    let by_id = dll.f::<FIllnessId>("hisGetCriticalIllnessID");
    let (mut b, mut len) = ([0u8; 138], 138i16);
    assert_eq!(
        by_id(id.as_ptr(), birth.as_ptr(), b.as_mut_ptr(), &mut len),
        4000
    );
    for name in [
        "hisReadPrescriptLongTerm",
        "hisReadPrescriptHVE",
        "hisReadPrescriptAllergic",
    ] {
        assert_eq!(dll.ranged(name, 120, 1, 3).0, 4000, "{name}");
    }
    assert_eq!(read_all(&dll, [3660, 1320, 360, 120]).0, 4000);
    let t = c("1141130093000");
    let rx = prescription("1141130093000", "A000000001");
    let one = dll.f::<FWrite4>("hisWritePrescription");
    assert_eq!(
        one(t.as_ptr(), id.as_ptr(), birth.as_ptr(), rx.as_ptr()),
        4000
    );
    let multi = dll.f::<FWriteRx>("hisWriteMultiPrescript");
    let mut count: i16 = 1;
    let rc = multi(
        t.as_ptr(),
        id.as_ptr(),
        birth.as_ptr(),
        rx.as_ptr(),
        &mut count,
    );
    assert_eq!(rc, 4000);
    let allergic = dll.f::<FWrite4Doc>("hisWriteAllergicMedicines");
    let name = [big5("青黴素"), vec![0]].concat();
    let mut doc = [0xEEu8; 11];
    let rc = allergic(id.as_ptr(), birth.as_ptr(), name.as_ptr(), doc.as_mut_ptr());
    assert_eq!(rc, 4000);
    let inoculate = dll.f::<FWrite4>("hisWriteInoculateData");
    let (mmr, lot) = (c"MMR".as_ptr().cast(), c"LOT42".as_ptr().cast());
    assert_eq!(inoculate(id.as_ptr(), birth.as_ptr(), mmr, lot), 4000);
    let old_seq = dll.f::<FOldSeq>("hisGetSeqNumber");
    let mut seq = [0xEEu8; 167];
    let mut seq_len: i16 = 167;
    let (item, baby) = (c"01".as_ptr().cast(), c" ".as_ptr().cast());
    assert_eq!(old_seq(item, baby, seq.as_mut_ptr(), &mut seq_len), 4000);

    stack.insert_hc(Box::new(stack.factory.hc(person).unwrap()));
    let doctor = stack.physical_sam_and_verified_hpc();
    let ini = so_path().with_file_name("csHis.ini");
    let com2 = format!(
        "url = {}\ncom2 = {}\n",
        world.sut.base(),
        nhi_harness::world::READER_SAM
    );
    std::fs::write(&ini, com2).unwrap();
    assert_eq!(dll.open(1), 0);
    let hospital = common::HOSPITAL.as_bytes();

    // A fresh card: no visits, no vaccinations, no organ-donation mark, and the world's
    // cards carry no major illness: blank records of the documented lengths.
    for (name, n) in READS {
        let (rc, b, len) = dll.buf(name, n);
        assert_eq!((rc, len as usize), (0, n), "{name}");
        assert!(blank(&b), "{name}: {b:?}");
    }
    let (rc, b, len) = dll.buf("hisGetCriticalIllness", 200);
    assert_eq!(
        (rc, len),
        (0, 138),
        "a buffer for the ICD-10-CM form gets it"
    );
    assert!(blank(&b[..138]) && b[138..].iter().all(|&x| x == 0xEE));
    // No 6.0 path for the cumulative fee yet: 3599.
    assert_eq!(dll.buf("hisGetCumulativeFee", 20).0, 3599);

    // A visit, numbered by the older 1.9 (167 bytes: date-time 13 · sequence no 4 ·
    // hospital 10 · signature 128 · SAM id 12), its diagnoses written by 1.16.
    let mut seq_len: i16 = 166;
    let rc = old_seq(
        c"01".as_ptr().cast(),
        c" ".as_ptr().cast(),
        seq.as_mut_ptr(),
        &mut seq_len,
    );
    assert_eq!(
        (rc, seq_len),
        (6018, 167),
        "too small, checked before numbering"
    );
    assert!(seq.iter().all(|&x| x == 0xEE));
    let rc = old_seq(
        c"01".as_ptr().cast(),
        c" ".as_ptr().cast(),
        seq.as_mut_ptr(),
        &mut seq_len,
    );
    assert_eq!((rc, seq_len), (0, 167));
    assert_eq!(&seq[13..17], b"0001", "the card's first visit");
    assert_eq!(&seq[17..27], hospital);
    assert!(seq[27..155].iter().all(u8::is_ascii_hexdigit));
    assert!(seq[155..].iter().all(u8::is_ascii_alphanumeric));
    let time = std::str::from_utf8(&seq[..13]).unwrap().to_string();
    let mut doc = [0u8; 11];
    let rc = dll.f::<FTreat>("hisWriteTreatmentCode")(
        c(&time).as_ptr(),
        id.as_ptr(),
        birth.as_ptr(),
        c("1 J00      I10    ").as_ptr(),
        doc.as_mut_ptr(),
    );
    assert_eq!(rc, 0);

    // Every read into a buffer one byte short: 6018, not a byte written, `*len` the need.
    for (name, n) in READS {
        let (rc, small, len) = dll.buf(name, n - 1);
        assert_eq!((rc, len as usize), (6018, n), "{name}");
        assert!(small.iter().all(|&x| x == 0xEE), "{name}");
    }

    // 1.5: the visit as record 1 after the 84-byte header: date-time, sequence number,
    // hospital, fee and co-payment (0: the legacy fee write is not mapped).
    let (rc, b, _) = dll.buf("hisGetTreatmentNoNeedHPC", 498);
    assert_eq!(rc, 0);
    let r = &b[84..84 + 69];
    assert_eq!(&r[3..16], time.as_bytes());
    assert_eq!(&r[17..21], &seq[13..17]);
    assert_eq!(&r[21..31], hospital);
    assert_eq!(&r[31..47], b"0000000000000000");
    assert!(blank(&b[84 + 69..]));
    let (rc, small, len) = dll.buf("hisGetTreatmentNoNeedHPC", 497);
    assert_eq!((rc, len), (6018, 498));
    assert!(small.iter().all(|&x| x == 0xEE));
    // 1.8: the critical illnesses, then the visit's date-time and diagnoses (packed 372,
    // ICD-10-CM 540).
    let (rc, b, _) = dll.buf("hisGetTreatmentNeedHPC", 372);
    assert_eq!(rc, 0);
    assert_eq!(&b[114..127], time.as_bytes());
    assert_eq!(&b[127..137], b"J00  I10  ");
    let (rc, b, len) = dll.buf("hisGetTreatmentNeedHPC", 540);
    assert_eq!((rc, len), (0, 540));
    assert_eq!(&b[138..151], time.as_bytes());
    assert_eq!(
        &b[151..169],
        format!(" {:<7}  {:<7} ", "J00", "I10").as_bytes()
    );

    // 1.47: a second visit with its amounts (SDK Ex5-1's layout: 補卡註記 1 · 6 diagnoses of
    // 9 · outpatient fee 8 · co-payment 8 · inpatient fee 8 · inpatient co-payments 7 + 7).
    let data_write = dll.f::<FTreat>("hisWriteTreatmentData");
    let diag = format!("1[J00    ][I10    ]{:36}", "");
    let amounts = |fee: u32, copay: u32, inpatient: u32| {
        c(&format!(
            "{diag}{fee:08}{copay:08}{inpatient:08}{:07}{:07}",
            0, 0
        ))
    };
    let mut seq2 = [0u8; 167];
    let mut seq2_len: i16 = 167;
    let (item, baby) = (c"01".as_ptr().cast(), c" ".as_ptr().cast());
    assert_eq!(old_seq(item, baby, seq2.as_mut_ptr(), &mut seq2_len), 0);
    let time2 = c(std::str::from_utf8(&seq2[..13]).unwrap());
    let write2 = |data: &[u8], doc: &mut [u8; 11]| {
        data_write(
            time2.as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            data.as_ptr(),
            doc.as_mut_ptr(),
        )
    };
    let mut doc2 = [0u8; 11];
    assert_eq!(
        write2(&amounts(150, 50, 300), &mut doc2),
        3599,
        "inpatient amounts"
    );
    assert_eq!(write2(&c(&diag), &mut doc2), 6018, "no amounts");
    assert_eq!(write2(&amounts(150, 50, 0), &mut doc2), 0);
    assert_eq!(
        &doc2[..],
        [doctor.id_no.as_bytes(), &[0]].concat().as_slice()
    );
    let (rc, b, _) = dll.buf("hisGetTreatmentNoNeedHPC", 498);
    assert_eq!(rc, 0);
    let r = &b[84..84 + 69];
    assert_eq!(&r[3..16], &seq2[..13], "the newest visit first");
    assert_eq!(&r[17..21], b"0002");
    assert_eq!(&r[31..47], b"0000015000000050");
    assert_eq!(&b[84 + 69 + 3..84 + 69 + 16], time.as_bytes());

    // Prescriptions without signatures (1.18 one, 1.45 several), read back by 1.41.
    // (The emulated card's medical area holds 250 bytes: two prescriptions leave room for
    // the other kinds below.)
    let rx = [
        prescription(&time, "A000000001"),
        prescription(&time, "A000000002"),
    ];
    let first = c(std::str::from_utf8(&rx[0]).unwrap());
    let rc = one(
        c(&time).as_ptr(),
        id.as_ptr(),
        birth.as_ptr(),
        first.as_ptr(),
    );
    assert_eq!(rc, 0);
    let rc = multi(
        c(&time).as_ptr(),
        id.as_ptr(),
        birth.as_ptr(),
        rx[1].as_ptr(),
        &mut count,
    );
    assert_eq!(rc, 0);
    for mut bad in [0i16, 61] {
        let rc = multi(
            c(&time).as_ptr(),
            id.as_ptr(),
            birth.as_ptr(),
            rx[1].as_ptr(),
            &mut bad,
        );
        assert_eq!(rc, 6018, "iWriteCount {bad}");
    }
    let (rc, back, n) = dll.ranged("hisReadPrescriptMain", 61 * 3, 1, 3);
    assert_eq!((rc, n), (0, 2));
    assert_eq!(back, rx.concat());

    // 1.20: a drug allergy (Big5 name); pBufferDocID gets the doctor's ID. Read by 1.44.
    assert_eq!(
        allergic(id.as_ptr(), birth.as_ptr(), name.as_ptr(), doc.as_mut_ptr()),
        0
    );
    assert_eq!(
        &doc[..],
        [doctor.id_no.as_bytes(), &[0]].concat().as_slice()
    );
    let too_long = c(&"X".repeat(41));
    assert_eq!(
        allergic(
            id.as_ptr(),
            birth.as_ptr(),
            too_long.as_ptr(),
            doc.as_mut_ptr()
        ),
        6018
    );
    let not_big5 = [0xFFu8, 0xFF, 0];
    assert_eq!(
        allergic(
            id.as_ptr(),
            birth.as_ptr(),
            not_big5.as_ptr(),
            doc.as_mut_ptr()
        ),
        6018
    );
    let (rc, b, n) = dll.ranged("hisReadPrescriptAllergic", 120, 1, 3);
    assert_eq!((rc, n, b.len()), (0, 1, 40));
    let mut want = big5("青黴素");
    want.resize(40, b' ');
    assert_eq!(b, want);

    // 1.42/1.43: long-term prescriptions and important orders the card holds (written
    // through the 6.0 API as the 44- and 36-byte records) come back as written.
    let long_term = format!(
        "{}{:<10}{:<18}28{:<7}",
        &time[..7],
        "AC12345100",
        "BID",
        "56"
    );
    let important = format!(
        "{}{:<10}{:<6}{:<6}{:<7}",
        &time[..7],
        common::HOSPITAL,
        "58001C",
        "",
        "1"
    );
    for (kind, text) in [("longTermRx", &long_term), ("importantOrder", &important)] {
        let r = stack.rt.block_on(world.sut.call(
            "POST",
            path::HC_MEDICAL,
            Some(json!({ "kind": kind, "text": text })),
        ));
        assert_eq!(r.status.as_deref(), Some("0000"), "{:?}", r.reply);
    }
    let (rc, b, n) = dll.ranged("hisReadPrescriptLongTerm", 44 * 30, 1, 30);
    assert_eq!((rc, n), (0, 1));
    assert_eq!(b, long_term.as_bytes());
    let (rc, b, n) = dll.ranged("hisReadPrescriptHVE", 36 * 10, 1, 10);
    assert_eq!((rc, n), (0, 1));
    assert_eq!(b, important.as_bytes());
    let (rc, b, n) = dll.ranged("hisReadPrescriptHVE", 36, 2, 2);
    assert_eq!((rc, n, b.len()), (0, 0, 0), "no second important order");
    assert_eq!(dll.ranged("hisReadPrescriptHVE", 36, 0, 1).0, 6018);

    // 1.10: all four blocks at once, padded with blanks.
    let (rc, [op, lp, it, pd], lens) = read_all(&dll, [3660, 1320, 360, 120]);
    assert_eq!((rc, lens), (0, [3660, 1320, 360, 120]));
    assert_eq!(&op[..122], &rx.concat()[..]);
    assert!(blank(&op[122..]));
    assert_eq!(&lp[..44], long_term.as_bytes());
    assert!(blank(&lp[44..]));
    assert_eq!(&it[..36], important.as_bytes());
    assert_eq!(&pd[..40], &want[..]);
    assert!(blank(&pd[40..]));
    // One buffer too small: 6018, its length says what it needs, nothing is written.
    let (rc, [op, ..], lens) = read_all(&dll, [3660, 1320, 360, 100]);
    assert_eq!((rc, lens[3]), (6018, 120));
    assert!(op.iter().all(|&x| x == 0xEE));

    // 1.26/1.11: a vaccination dated by the reader, for the SAM's hospital.
    assert_eq!(
        inoculate(
            id.as_ptr(),
            birth.as_ptr(),
            c"MMR".as_ptr().cast(),
            c"LOT42".as_ptr().cast()
        ),
        0
    );
    assert_eq!(
        inoculate(
            id.as_ptr(),
            birth.as_ptr(),
            c"TOOLONG".as_ptr().cast(),
            c"L".as_ptr().cast()
        ),
        6018
    );
    let (rc, today, _) = dll.buf("csGetDateTime", 13);
    assert_eq!(rc, 0);
    let (rc, b, _) = dll.buf("hisGetInoculateData", 1400);
    assert_eq!(rc, 0);
    assert_eq!(&b[..6], b"MMR   ");
    assert_eq!(&b[6..13], &today[..7]);
    assert_eq!(&b[13..23], hospital);
    assert_eq!(&b[23..35], b"LOT42       ");
    assert!(blank(&b[35..]));

    // 1.21/1.12: the organ-donation mark; another person's ID: 5020; no mark: 6018.
    assert_eq!(organ(id.as_ptr(), birth.as_ptr(), c"1".as_ptr().cast()), 0);
    let (rc, b, len) = dll.buf("hisGetOrganDonate", 1);
    assert_eq!((rc, len, b[0]), (0, 1, b'1'));
    let other = c("A123456789");
    assert_eq!(
        organ(other.as_ptr(), birth.as_ptr(), c"1".as_ptr().cast()),
        5020
    );
    assert_eq!(
        organ(id.as_ptr(), birth.as_ptr(), c"".as_ptr().cast()),
        6018
    );

    // 1.50: by ID and birthday, without the HPC; another person's: 5020.
    let mut b = [0xEEu8; 114];
    let mut len: i16 = 114;
    assert_eq!(
        by_id(id.as_ptr(), birth.as_ptr(), b.as_mut_ptr(), &mut len),
        0
    );
    assert!(blank(&b));
    assert_eq!(
        by_id(other.as_ptr(), birth.as_ptr(), b.as_mut_ptr(), &mut len),
        5020
    );

    // 4.3: these readers have no PIN pad: the body without a new PIN is refused (6018).
    assert_eq!(dll.call0("hpcInputHPCPIN"), 6018);

    // The HPC logged out (csSoftwareReset 2): the functions needing it answer 4042; 1.50
    // and the public-health area still work.
    assert_eq!(dll.f::<FInt>("csSoftwareReset")(2), 0);
    assert_eq!(dll.buf("hisGetTreatmentNeedHPC", 372).0, 4042);
    assert_eq!(dll.buf("hisGetCriticalIllness", 114).0, 4042);
    assert_eq!(dll.ranged("hisReadPrescriptAllergic", 120, 1, 3).0, 4042);
    assert_eq!(
        allergic(id.as_ptr(), birth.as_ptr(), name.as_ptr(), doc.as_mut_ptr()),
        4042
    );
    let mut len: i16 = 114;
    assert_eq!(
        by_id(id.as_ptr(), birth.as_ptr(), b.as_mut_ptr(), &mut len),
        0
    );
    assert_eq!(dll.buf("hisGetOrganDonate", 1).0, 0);

    assert_eq!(dll.call0("csCloseCom"), 0);
    std::fs::remove_file(&ini).unwrap();
    std::env::remove_var("NHI_CSHIS_URL");
}
