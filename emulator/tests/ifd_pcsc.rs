//! Real pcscd through nhi-ifd, our driver, seen by clients nobody here wrote: `pcsc_scan`,
//! `opensc-tool` (readers, the PIN pad in the Features column, APDUs on both slots) and
//! the `pcsc` crate (the part 10 feature request, PIN entry on the emulated pad, events,
//! an emulator killed under load).
//!
//! Needs `bash ci/setup-pcsc` (installs the driver and its reader.conf entries) and
//! NHI_PCSC_TESTS=1; with it a missing pcscd is a failure, never a skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/pcscd.rs"]
mod pcscd;

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::ifd::{IfdEndpoint, IfdReader};
use nhi_emulator::reader::ifd_pin::PinPad;
use nhi_emulator::reader::Slot;
use nhi_emulator::world::{standard_ifd_slot_names, STANDARD_IFD_READERS};
use pcscd::{connect, enabled, one_at_a_time, wait_present};
use std::ffi::CString;
use std::process::Command;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

fn names() -> Vec<String> {
    standard_ifd_slot_names()
}

fn cards() -> (
    Box<dyn nhi_emulator::card::Card>,
    Box<dyn nhi_emulator::card::Card>,
    Box<dyn nhi_emulator::card::Card>,
) {
    let f = Fixtures::demo().unwrap();
    let cf = CardFactory::test().unwrap();
    let hc = Box::new(cf.hc(&f.people[0]).unwrap());
    let sam = Box::new(cf.sam(&f.hospitals[0]).unwrap());
    let h = &f.hpcs[0];
    let hpc = Box::new(cf.hpc(h, CardFactory::hpc_serial(h)).unwrap());
    (hc, sam, hpc)
}

/// Both standard readers (both with a PIN pad, shared here): reader 1 with an HC and a
/// SAM, reader 2 with an HPC.
struct Readers {
    slots: Vec<Slot>,
    pad: PinPad,
    endpoints: Vec<IfdEndpoint>,
}

/// Starts the readers once pcscd shows the previous test's cards gone from all four
/// slots (else a client could connect to the old card just before the swap).
fn start() -> Readers {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    for name in names() {
        wait_present(&ctx, &name, false);
    }
    let slots: Vec<Slot> = (0..4).map(|_| Slot::empty()).collect();
    let (hc, sam, hpc) = cards();
    slots[0].insert(hc);
    slots[1].insert(sam);
    slots[2].insert(hpc);
    let pad = PinPad::new();
    let endpoints = STANDARD_IFD_READERS
        .iter()
        .zip(slots.chunks(2))
        .map(|(r, s)| {
            let pad = r.pin_pad.then(|| pad.clone());
            IfdEndpoint::start(
                ([127, 0, 0, 1], r.port).into(),
                IfdReader::new(s.to_vec(), pad).unwrap(),
            )
            .unwrap()
        })
        .collect();
    Readers {
        slots,
        pad,
        endpoints,
    }
}

/// A test's start: the readers held for it and started, a pcscd context and the slots'
/// names; None when the real-pcscd tests are off.
fn begin() -> Option<(MutexGuard<'static, ()>, Readers, pcsc::Context, Vec<String>)> {
    if !enabled("nhi-ifd over real pcscd") {
        return None;
    }
    let one = one_at_a_time();
    let r = start();
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    Some((one, r, ctx, names()))
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn public_clients_see_dual_slot_readers_and_the_pin_pad() {
    let Some((_one, r, ctx, n)) = begin() else {
        return;
    };
    for name in &n[..3] {
        wait_present(&ctx, name, true);
    }
    let scan = run("pcsc_scan", &["-r"]);
    for name in &n {
        assert!(scan.contains(name.as_str()), "pcsc_scan -r: {scan}");
    }
    // Existing vpcd readers stay next to ours.
    assert!(scan.contains("Virtual PCD 00 00"), "{scan}");
    let list = run("opensc-tool", &["-l"]);
    let line = |name: &str| {
        list.lines()
            .find(|l| l.ends_with(name))
            .unwrap_or_else(|| panic!("{name} in {list}"))
            .to_string()
    };
    assert!(line(&n[2]).contains("PIN pad"), "{list}");
    assert!(
        line(&n[0]).contains("PIN pad"),
        "the HC reader's pad: {list}"
    );
    // APDUs on both slots of reader 1.
    let hex = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let out = run(
        "opensc-tool",
        &["-r", &n[0], "-s", &hex(&nhi_protocol::apdu::select_hc())],
    );
    assert!(out.contains("SW1=0x90, SW2=0x00"), "{out}");
    let select_sam = nhi_protocol::apdu::cmd::select(nhi_protocol::apdu::AID_SAM);
    let out = run("opensc-tool", &["-r", &n[1], "-s", &hex(&select_sam)]);
    assert!(out.contains("SW1=0x90, SW2=0x00"), "{out}");
    // The pcsc crate: the part 10 feature list over SCardControl.
    let card = connect(&ctx, &n[2]);
    let mut buf = [0u8; 64];
    let features = card
        .control(
            nhi_ifd::pinpad::CM_IOCTL_GET_FEATURE_REQUEST.into(),
            &[],
            &mut buf,
        )
        .unwrap();
    let tags: Vec<u8> = features.chunks(6).map(|t| t[0]).collect();
    assert_eq!(tags, vec![0x06, 0x07, 0x0A]);
    drop(card);
    drop(r);
}

/// PIN_VERIFY_STRUCTURE for VERIFY with an ASCII PIN of 6–8 digits (the HPC's format).
fn verify_structure() -> Vec<u8> {
    let apdu = [0x00, 0x20, 0x00, 0x10, 0x00];
    let mut s = vec![
        30, 0, 0x82, 0x00, 0x00, 8, 6, 0x02, 1, 0x04, 0x09, 0, 0, 0, 0,
    ];
    s.extend_from_slice(&(apdu.len() as u32).to_le_bytes());
    s.extend_from_slice(&apdu);
    s
}

/// Waits until the pad asks for a PIN (a person sees the prompt), then acts.
fn when_prompted(
    pad: PinPad,
    act: impl FnOnce(&PinPad) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pad.status().waiting {
            assert!(Instant::now() < deadline, "the pad never asked for a PIN");
            std::thread::sleep(Duration::from_millis(5));
        }
        act(&pad);
    })
}

#[test]
fn pin_entry_on_the_emulated_pad() {
    let Some((_one, r, ctx, n)) = begin() else {
        return;
    };
    wait_present(&ctx, &n[2], true);
    let card = connect(&ctx, &n[2]);
    let mut buf = [0u8; 258];
    let sel = nhi_protocol::apdu::cmd::select(nhi_protocol::apdu::AID_HPC);
    assert_eq!(card.transmit(&sel, &mut buf).unwrap(), [0x90, 0x00]);
    let verify = u64::from(nhi_ifd::pinpad::ioctl_of(
        nhi_ifd::pinpad::feature::VERIFY_PIN_DIRECT,
    ));
    let f = Fixtures::demo().unwrap();
    let pin = f.hpcs[0].pin.clone();
    // Cancel, time-out, then the right PIN typed digit by digit.
    let t = when_prompted(r.pad.clone(), |p| {
        p.keys("12").unwrap();
        p.cancel().unwrap();
    });
    assert_eq!(
        card.control(verify, &verify_structure(), &mut buf).unwrap(),
        [0x64, 0x01]
    );
    t.join().unwrap();
    let t = when_prompted(r.pad.clone(), |p| {
        p.time_out().unwrap();
    });
    assert_eq!(
        card.control(verify, &verify_structure(), &mut buf).unwrap(),
        [0x64, 0x00]
    );
    t.join().unwrap();
    let t = when_prompted(r.pad.clone(), move |p| {
        p.keys(&format!("{pin}#")).unwrap();
    });
    assert_eq!(
        card.control(verify, &verify_structure(), &mut buf).unwrap(),
        [0x90, 0x00]
    );
    t.join().unwrap();
    drop(card);
    drop(r);
}

#[test]
fn killing_the_emulator_under_load_leaves_pcscd_serving() {
    let Some((_one, mut r, ctx, n)) = begin() else {
        return;
    };
    wait_present(&ctx, &n[0], true);
    let name = n[0].clone();
    let load = std::thread::spawn(move || {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
        let card = connect(&ctx, &name);
        let mut buf = [0u8; 258];
        let mut ok = 0u64;
        // Until the emulator goes away: then an error, not a hang or a crash.
        while card
            .transmit(&nhi_protocol::apdu::select_hc(), &mut buf)
            .is_ok()
        {
            ok += 1;
        }
        ok
    });
    std::thread::sleep(Duration::from_millis(300));
    r.endpoints.clear();
    let done = load.join().unwrap();
    assert!(done > 0, "no APDU went through before the kill");
    wait_present(&ctx, &n[0], false);
    // pcscd lives and serves every reader, vpcd's and ours.
    let readers = ctx.list_readers_owned().unwrap();
    assert!(readers.iter().any(|r| r.to_bytes() == b"Virtual PCD 00 00"));
    assert!(readers.iter().any(|r| r.to_bytes() == n[0].as_bytes()));
    // The emulator comes back: the driver reconnects.
    let again = start();
    wait_present(&ctx, &n[0], true);
    drop(again);
    drop(r.slots);
}

#[test]
fn insert_wakes_get_status_change() {
    let Some((_one, r, ctx, n)) = begin() else {
        return;
    };
    let spare = &r.slots[3];
    let name = CString::new(n[3].as_str()).unwrap();
    wait_present(&ctx, &n[3], false);
    let mut states = vec![pcsc::ReaderState::new(name, pcsc::State::UNAWARE)];
    ctx.get_status_change(Duration::from_secs(1), &mut states)
        .ok();
    states[0].sync_current_state();
    let mut lat = Vec::new();
    for i in 0..40 {
        let t = Instant::now();
        if i % 2 == 0 {
            spare.insert(cards().1);
        } else {
            spare.remove();
        }
        ctx.get_status_change(Duration::from_secs(10), &mut states)
            .unwrap();
        lat.push(t.elapsed());
        assert_eq!(
            states[0].event_state().contains(pcsc::State::PRESENT),
            i % 2 == 0
        );
        states[0].sync_current_state();
    }
    lat.sort();
    // Reported, not asserted: speed figures live in benches/README.md.
    eprintln!(
        "insert/remove -> SCardGetStatusChange: p50 {:?}, max {:?}",
        lat[lat.len() / 2],
        lat[lat.len() - 1]
    );
    drop(r);
}
