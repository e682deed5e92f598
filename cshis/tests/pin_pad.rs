#![allow(clippy::unwrap_used, clippy::expect_used)]
// Loading the library and calling its C functions is `unsafe` by nature (see common/dll.rs).
#![allow(unsafe_code)]
//! `hpcVerifyHPCPIN` and `hpcInputHPCPIN` on the HPC reader's PIN pad, over real pcscd through nhi-ifd: the
//! DLL sends `Verification/Hpc` without a PIN, the reference middleware asks the pad, and
//! a "person" types on the emulated pad once it shows its prompt (as
//! harness/tests/pin_pad.rs does for the Web API). Skipped unless NHI_PCSC_TESTS=1 (after
//! `bash ci/setup-pcsc`) and built with the `pcsc` feature.

#[cfg(feature = "pcsc")]
mod common;

#[cfg(feature = "pcsc")]
#[test]
fn hpc_verify_pin_on_the_readers_pad() {
    use nhi_harness::world::{TransportKind, WorldOptions};
    use std::time::{Duration, Instant};

    if std::env::var("NHI_PCSC_TESTS").as_deref() != Ok("1") {
        eprintln!("SKIPPED: hpcVerifyHPCPIN on the PIN pad over nhi-ifd (NHI_PCSC_TESTS=1)");
        return;
    }
    let stack = common::Stack::start_with(&WorldOptions {
        transport: TransportKind::Ifd,
        ..WorldOptions::default()
    });
    let w = &stack.world;
    let doctor = &stack.fixtures.hpcs[0];
    stack.insert_hpc(w.slot("hpc").unwrap(), doctor);
    std::env::set_var("NHI_CSHIS_URL", w.sut.base());
    let so = common::so_path();
    // SAFETY (test): our own library, its functions with the SDK header's signatures.
    let lib = unsafe { libloading::Library::new(&so) }.unwrap();
    let f0 =
        |name: &str| *unsafe { lib.get::<extern "system" fn() -> i32>(name.as_bytes()) }.unwrap();
    let open = *unsafe { lib.get::<extern "system" fn(i32) -> i32>(b"csOpenCom") }.unwrap();
    let status =
        *unsafe { lib.get::<extern "system" fn(i32) -> i32>(b"hisGetCardStatus") }.unwrap();
    assert_eq!(open(0), 0);
    assert_eq!(f0("csVerifySAMDC")(), 0);

    // `act` runs on the pad once it asks; returns the code of `func` (hpcVerifyHPCPIN,
    // hpcInputHPCPIN).
    type Act = Box<dyn FnOnce(&nhi_emulator::reader::ifd_pin::PinPad) + Send>;
    let on_pad_for = |func: &str, act: Act| {
        let pad = w.pin_pad("hpc").expect("the HPC reader has a pad").clone();
        let person = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !pad.status().waiting {
                assert!(Instant::now() < deadline, "the pad never asked for a PIN");
                std::thread::sleep(Duration::from_millis(5));
            }
            act(&pad);
        });
        let rc = f0(func)();
        person.join().unwrap();
        rc
    };
    let on_pad = |act: Act| on_pad_for("hpcVerifyHPCPIN", act);
    // Cancelled on the pad: 1410 → 5102, the HPC not verified.
    let rc = on_pad(Box::new(|p| {
        p.keys("12").unwrap();
        p.cancel().unwrap();
    }));
    assert_eq!(rc, 5102);
    assert_eq!(status(3), 2);
    // The right PIN typed on the pad: 0, the HPC verified (status 3).
    let keys = format!("{}#", doctor.pin);
    let rc = on_pad(Box::new(move |p| {
        p.keys(&keys).unwrap();
    }));
    assert_eq!(rc, 0);
    assert_eq!(status(3), 3);

    // hpcInputHPCPIN: the new PIN typed twice on the pad. A confirmation that differs ends
    // on the pad (1410 → 5102) and keeps the PIN and the verification.
    let rc = on_pad_for(
        "hpcInputHPCPIN",
        Box::new(|p| {
            p.keys("654321#654320#").unwrap();
        }),
    );
    assert_eq!(rc, 5102);
    assert_eq!(status(3), 3);
    let rc = on_pad_for(
        "hpcInputHPCPIN",
        Box::new(|p| {
            p.keys("65432109#65432109#").unwrap();
        }),
    );
    assert_eq!(rc, 0);
    // The card took it: the old PIN is refused on the pad, the new one verifies.
    let old = format!("{}#", doctor.pin);
    assert_eq!(
        on_pad(Box::new(move |p| {
            p.keys(&old).unwrap();
        })),
        5102
    );
    assert_eq!(
        on_pad(Box::new(|p| {
            p.keys("65432109#").unwrap();
        })),
        0
    );
    assert_eq!(f0("csCloseCom")(), 0);
    std::env::remove_var("NHI_CSHIS_URL");
}
