//! Real pcscd + vpcd: the emulated cards seen by clients nobody here wrote
//! (`pcsc_scan`, `opensc-tool`, the `pcsc` crate).
//!
//! Needs `bash ci/setup-pcsc` (ci/run does it and sets NHI_PCSC_TESTS=1). With
//! NHI_PCSC_TESTS=1 a missing pcscd is a failure, never a skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/pcscd.rs"]
mod pcscd;

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::vpcd::VpcdEndpoint;
use nhi_emulator::reader::Slot;
use nhi_emulator::world::STANDARD_READERS;
use pcscd::{connect, enabled, one_at_a_time, wait_present};
use std::process::Command;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

const CARD_PORT: u16 = STANDARD_READERS[0].port;
const READER: &str = STANDARD_READERS[0].name;

fn hc_slot(person: &str) -> Slot {
    let f = Fixtures::demo().unwrap();
    let slot = Slot::empty();
    slot.insert(Box::new(
        CardFactory::test()
            .unwrap()
            .hc(f.person(person).unwrap())
            .unwrap(),
    ));
    slot
}

/// `person`'s HC in the first vpcd reader, the readers held for this test, pcscd having
/// seen the reader empty before and the card present after.
struct HcBehindVpcd {
    _one: MutexGuard<'static, ()>,
    slot: Slot,
    ctx: pcsc::Context,
    ep: VpcdEndpoint,
}

/// [`HcBehindVpcd`], or None when the real-pcscd tests are off.
fn hc_behind_vpcd(person: &str) -> Option<HcBehindVpcd> {
    if !enabled("real-pcscd test") {
        return None;
    }
    let one = one_at_a_time();
    let slot = hc_slot(person);
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("pcscd reachable");
    wait_present(&ctx, READER, false);
    let ep = VpcdEndpoint::start(([127, 0, 0, 1], CARD_PORT).into(), slot.clone());
    wait_present(&ctx, READER, true);
    Some(HcBehindVpcd {
        _one: one,
        slot,
        ctx,
        ep,
    })
}

#[test]
fn pcsc_crate_reads_basic_data_and_big5_name() {
    let Some(hc) = hc_behind_vpcd("F221000017") else {
        return;
    };
    let card = connect(&hc.ctx, READER);
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    let r = card
        .transmit(&nhi_protocol::apdu::select_hc(), &mut buf)
        .unwrap();
    assert_eq!(r, [0x90, 0x00]);
    let r = card
        .transmit(nhi_protocol::apdu::GET_BASIC, &mut buf)
        .unwrap()
        .to_vec();
    assert_eq!(r.len(), 59);
    let b = nhi_protocol::basic::BasicData::decode(&r[..57]).unwrap();
    assert_eq!(b.name, "吳佳蓉");
    assert_eq!(b.card_no.as_str(), "900000000711");
    drop(card);
    hc.ep.stop();
}

#[test]
fn pcsc_scan_and_opensc_tool_see_the_card() {
    let Some(hc) = hc_behind_vpcd("A123456789") else {
        return;
    };

    let scan = Command::new("pcsc_scan")
        .args(["-c", "-n", "-t", "3"])
        .output()
        .expect("pcsc_scan installed");
    let text =
        String::from_utf8_lossy(&scan.stdout).to_string() + &String::from_utf8_lossy(&scan.stderr);
    assert!(
        text.contains(STANDARD_READERS[0].name),
        "pcsc_scan output:\n{text}"
    );
    assert!(
        text.contains(STANDARD_READERS[2].name),
        "four readers expected:\n{text}"
    );
    assert!(
        text.contains("3B EE 00 00 81 31 FE 45 80 31 80 66 40 90 93 06 0F 17 83 0F 90 00 F3"),
        "HC ATR in:\n{text}"
    );

    let atr = Command::new("opensc-tool")
        .args(["-r", "0", "-a"])
        .output()
        .unwrap();
    let atr = String::from_utf8_lossy(&atr.stdout).to_lowercase();
    assert!(
        atr.contains("3b:ee:00:00:81:31:fe:45:80:31:80:66:40:90:93:06:0f:17:83:0f:90:00:f3"),
        "opensc-tool -a: {atr}"
    );

    let out = Command::new("opensc-tool")
        .args([
            "-r",
            "0",
            "-s",
            "00 A4 04 00 10 D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00",
            "-s",
            "00 CA 11 00 02 00 00",
        ])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Received (SW1=0x90, SW2=0x00)"), "{text}");
    // The 57 bytes show in the hex dump: card number then the ID number.
    assert!(
        text.contains("39 30 30 30 30 30 30 30 30 30 30 31"),
        "{text}"
    );
    assert_eq!(text.matches("SW1=0x90, SW2=0x00").count(), 2, "{text}");
    hc.ep.stop();
}

#[test]
fn card_yank_gives_removed_card_then_reinsertion_works() {
    let Some(hc) = hc_behind_vpcd("A123456789") else {
        return;
    };
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];

    // 1. Yank between two APDUs of a multi-APDU read: once pcscd's poll has seen the
    //    removal (≤ 400 ms, as with a hardware reader), the next APDU gets
    //    SCARD_W_REMOVED_CARD — no hang.
    let card = connect(&hc.ctx, READER);
    assert_eq!(
        card.transmit(&nhi_protocol::apdu::select_hc(), &mut buf)
            .unwrap(),
        [0x90, 0x00]
    );
    let yanked = hc.slot.remove().unwrap();
    wait_present(&hc.ctx, READER, false);
    let started = Instant::now();
    let err = card
        .transmit(nhi_protocol::apdu::GET_BASIC, &mut buf)
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "hung {:?}",
        started.elapsed()
    );
    assert_eq!(err, pcsc::Error::RemovedCard);
    drop(card);

    // 2. Re-insert: a new connection works.
    hc.slot.insert(yanked);
    wait_present(&hc.ctx, READER, true);
    let card = connect(&hc.ctx, READER);
    assert_eq!(
        card.transmit(&nhi_protocol::apdu::select_hc(), &mut buf)
            .unwrap(),
        [0x90, 0x00]
    );
    assert_eq!(
        card.transmit(nhi_protocol::apdu::GET_BASIC, &mut buf)
            .unwrap()
            .len(),
        59
    );
    drop(card);
    hc.ep.stop();
    wait_present(&hc.ctx, READER, false);
}
