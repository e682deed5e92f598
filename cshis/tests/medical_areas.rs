#![allow(clippy::unwrap_used, clippy::expect_used)]
// Loading the library and calling its C functions is `unsafe` by nature (common/dll.rs).
#![allow(unsafe_code)]
//! The HC's medical and public-health areas through the Linux build of csHis, read and
//! written as HIS code does: prescriptions without signatures (1.18, 1.45), drug allergies
//! (1.20, 1.44), long-term prescriptions and important orders (1.42, 1.43), all four at once
//! (1.10), vaccinations (1.26, 1.11), organ donation (1.21, 1.12) and the HPC PIN change
//! (4.3), against the emulated world (a physical SAM on COM2 through csHis.ini, the
//! patient's HC, the doctor's HPC verified). Values are checked against what was written
//! and what the world's card holds.

mod common;

use common::areas::{
    blank, one_byte_short_refused, open_com2, reads_blank, start_closed, visit, FWrite3, FWrite4,
    FWrite4Doc, FWriteRx,
};
use common::dll::{big5, c, prescription, Dll, FInt};
use nhi_protocol::api::path;
use serde_json::json;

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

/// The public-health reads and their lengths.
const READS: [(&str, usize); 2] = [("hisGetInoculateData", 1400), ("hisGetOrganDonate", 1)];

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
fn medical_and_public_health_areas_through_cshis() {
    // Before csOpenCom: 4000 (inputs that are fine, so the port is what is missing).
    let (stack, dll, id, birth) = start_closed(&READS);
    let world = &stack.world;
    let organ = dll.f::<FWrite3>("hisWriteOrganDonate");
    assert_eq!(
        organ(id.as_ptr(), birth.as_ptr(), c"1".as_ptr().cast()),
        4000
    );
    assert_eq!(dll.call0("hpcInputHPCPIN"), 4000);
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

    let (doctor, ini) = open_com2(&stack, &dll);
    let hospital = common::HOSPITAL.as_bytes();

    // A fresh card: no vaccinations, no organ-donation mark: blank records.
    reads_blank(&dll, &READS);
    one_byte_short_refused(&dll, &READS);
    let time = visit(&dll, &id, &birth);

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

    // 4.3: these readers have no PIN pad: the body without a new PIN is refused (6018).
    assert_eq!(dll.call0("hpcInputHPCPIN"), 6018);

    // The HPC logged out (csSoftwareReset 2): the medical area answers 4042; the
    // public-health area still works.
    assert_eq!(dll.f::<FInt>("csSoftwareReset")(2), 0);
    assert_eq!(dll.ranged("hisReadPrescriptAllergic", 120, 1, 3).0, 4042);
    assert_eq!(
        allergic(id.as_ptr(), birth.as_ptr(), name.as_ptr(), doc.as_mut_ptr()),
        4042
    );
    assert_eq!(dll.buf("hisGetOrganDonate", 1).0, 0);

    assert_eq!(dll.call0("csCloseCom"), 0);
    std::fs::remove_file(&ini).unwrap();
    std::env::remove_var("NHI_CSHIS_URL");
}
