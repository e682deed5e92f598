#![allow(clippy::unwrap_used, clippy::expect_used)]
// Loading a shared library and calling its C functions is `unsafe` by nature; this test
// is the host program HIS code would be, so it does what they do (two blocks, explained).
#![allow(unsafe_code)]
//! The Linux build of csHis loaded as HIS code loads the DLL (by name, function by function,
//! fixed buffers), against an emulated world: the reference middleware over HTTPS with a
//! cloud SAM on COM1, cards in the emulated readers, the DC over HTTPS. One test: the
//! library keeps one session, like the real DLL in one HIS process.

mod common;

use common::dll::{big5, Dll, FBuf, FInt, FIntBuf};
use common::{so_path, Stack};
use nhi_emulator::fixtures::CardFactory;
use std::time::Instant;

#[test]
fn his_call_sequence_and_legacy_codes() {
    let stack = Stack::start();
    let (world, f, factory) = (&stack.world, &stack.fixtures, &stack.factory);
    let hospital = f.hospital(common::HOSPITAL).unwrap();
    std::env::set_var("NHI_CSHIS_URL", world.sut.base());

    let dll = Dll::load();

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
    // refused (1704 → 6018); with a pad (nhi-ifd's readers, `nhi-emu dev`:
    // tests/dev_pad.rs) the pad is asked.
    assert_eq!(dll.call0("hpcVerifyHPCPIN"), 6018);
    assert_eq!(dll.call0("csVerifyHCPIN"), 6018);
    assert_eq!(dll.call0("csInputHCPIN"), 6018);
    assert_eq!(dll.call0("hpcUnlockHPC"), 6018);
    assert_eq!(dll.call0("csCloseCom"), 0);
    std::env::remove_var("NHI_CSHIS_URL");
}
