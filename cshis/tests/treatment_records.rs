#![allow(clippy::unwrap_used, clippy::expect_used)]
// Loading the library and calling its C functions is `unsafe` by nature (common/dll.rs).
#![allow(unsafe_code)]
//! The HC's treatment records through the Linux build of csHis, read and written as HIS
//! code does: the older sequence number (1.9), the visits without and with the HPC (1.5,
//! 1.8), critical illness (1.33, 1.50) and the treatment write with its amounts (1.47),
//! against the emulated world (a physical SAM on COM2 through csHis.ini, the patient's HC,
//! the doctor's HPC verified). Values are checked against what was written and what the
//! world's card holds.

mod common;

use common::areas::{
    blank, one_byte_short_refused, open_com2, reads_blank, start_closed, FIllnessId, FOldSeq,
};
use common::dll::{c, FInt, FTreat, Visit};

/// The treatment reads with one `(char *, short *)` buffer and their lengths.
const READS: [(&str, usize); 3] = [
    ("hisGetTreatmentNoNeedHPC", 498),
    ("hisGetTreatmentNeedHPC", 372),
    ("hisGetCriticalIllness", 114),
];

#[test]
fn treatment_records_through_cshis() {
    // Before csOpenCom: 4000 (inputs that are fine, so the port is what is missing).
    let (stack, dll, id, birth) = start_closed(&READS);
    let by_id = dll.f::<FIllnessId>("hisGetCriticalIllnessID");
    let (mut b, mut len) = ([0u8; 138], 138i16);
    assert_eq!(
        by_id(id.as_ptr(), birth.as_ptr(), b.as_mut_ptr(), &mut len),
        4000
    );
    let old_seq = dll.f::<FOldSeq>("hisGetSeqNumber");
    let mut seq = [0xEEu8; 167];
    let mut seq_len: i16 = 167;
    let (item, baby) = (c"01".as_ptr().cast(), c" ".as_ptr().cast());
    assert_eq!(old_seq(item, baby, seq.as_mut_ptr(), &mut seq_len), 4000);

    let (doctor, ini) = open_com2(&stack, &dll);
    let hospital = common::HOSPITAL.as_bytes();

    // A fresh card: no visits, and the world's cards carry no major illness: blank records
    // of the documented lengths.
    reads_blank(&dll, &READS);
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
    let at = Visit {
        time: &c(&time),
        id: &id,
        birth: &birth,
    };
    let rc = dll.treat(at, Some(&c("1 J00      I10    ")), Some(&mut doc));
    assert_eq!(rc, 0);

    // Every read into a buffer one byte short: 6018, not a byte written, `*len` the need.
    one_byte_short_refused(&dll, &READS);

    // 1.5: the visit as record 1 after the 84-byte header: date-time, sequence number,
    // hospital, fee and co-payment (0: hisWriteTreatmentCode carries no amounts).
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

    // 1.50: by ID and birthday, without the HPC; another person's: 5020.
    let other = c("A123456789");
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

    // The HPC logged out (csSoftwareReset 2): the reads needing it answer 4042; 1.50 still
    // works.
    assert_eq!(dll.f::<FInt>("csSoftwareReset")(2), 0);
    assert_eq!(dll.buf("hisGetTreatmentNeedHPC", 372).0, 4042);
    assert_eq!(dll.buf("hisGetCriticalIllness", 114).0, 4042);
    let mut len: i16 = 114;
    assert_eq!(
        by_id(id.as_ptr(), birth.as_ptr(), b.as_mut_ptr(), &mut len),
        0
    );

    assert_eq!(dll.call0("csCloseCom"), 0);
    std::fs::remove_file(&ini).unwrap();
    std::env::remove_var("NHI_CSHIS_URL");
}
