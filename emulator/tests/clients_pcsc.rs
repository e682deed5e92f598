//! Public client programs for Taiwan's NHI cards through real pcscd + vpcd: the byte
//! sequences of tests/clients/programs.rs (each naming its repository and file), sent
//! with the `pcsc` crate exactly as the programs send them with their PC/SC bindings.
//!
//! Needs `bash ci/setup-pcsc` (ci/run does it and sets NHI_PCSC_TESTS=1). With
//! NHI_PCSC_TESTS=1 a missing pcscd is a failure, never a skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/pcscd.rs"]
mod pcscd;
#[path = "clients/programs.rs"]
mod programs;

use nhi_emulator::card::Hc;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::vpcd::VpcdEndpoint;
use nhi_emulator::reader::Slot;
use pcscd::{connect, enabled, one_at_a_time, wait_present};
use programs::*;

const CARD_PORT: u16 = 35963;
const READER: &str = "Virtual PCD 00 00";
const DC_CHALLENGE: [u8; 32] = [0x5A; 32];

/// Puts `person`'s HC behind vpcd, connects through pcscd and hands `program` a `send`.
fn through_pcscd<T>(
    person: &str,
    program: impl FnOnce(&mut dyn FnMut(&[u8]) -> Vec<u8>) -> T,
) -> T {
    card_through_pcscd(person, |hc| hc, program)
}

/// As [`through_pcscd`], with the HC changed by `build` first.
fn card_through_pcscd<T>(
    person: &str,
    build: impl FnOnce(Hc) -> Hc,
    program: impl FnOnce(&mut dyn FnMut(&[u8]) -> Vec<u8>) -> T,
) -> T {
    let _g = one_at_a_time();
    let f = Fixtures::demo().unwrap();
    let slot = Slot::empty();
    slot.insert(Box::new(build(
        CardFactory::test()
            .unwrap()
            .hc(f.person(person).unwrap())
            .unwrap(),
    )));
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("pcscd reachable");
    wait_present(&ctx, READER, false);
    let ep = VpcdEndpoint::start(([127, 0, 0, 1], CARD_PORT).into(), slot);
    wait_present(&ctx, READER, true);
    let card = connect(&ctx, READER);
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    let out = program(&mut |apdu: &[u8]| card.transmit(apdu, &mut buf).unwrap().to_vec());
    drop(card);
    ep.stop();
    wait_present(&ctx, READER, false);
    out
}

#[test]
fn twnhi_smartcard_agent_through_pcscd() {
    if !enabled("real-pcscd test") {
        return;
    }
    through_pcscd("A123456789", |send| {
        assert_eq!(
            twnhi_get_basic(send).unwrap(),
            "900000000001,A123456789,王小明,0800101,M,1"
        );
        assert_eq!(twnhi_card_id(send).unwrap(), "900000000001");
        let (hcid, rnd, answer) = twnhi_sam_hc_auth(send, &DC_CHALLENGE).unwrap();
        assert_eq!(
            (hcid.as_str(), rnd.len(), answer.len()),
            ("900000000001", 8, 16)
        );
        assert_eq!(send(TWNHI_SELECT_SAM_APPLET), [0x90, 0x00]);
    });
}

#[test]
fn windperson_taiwan_health_card_demo_through_pcscd() {
    if !enabled("real-pcscd test") {
        return;
    }
    let b = through_pcscd("A123456789", |send| windperson_main(send).unwrap());
    assert_eq!(
        (
            b.card_no.as_str(),
            b.name.as_str(),
            b.id_no.as_str(),
            b.birthday.as_str()
        ),
        ("900000000001", "王小明", "A123456789", "0800101")
    );
    assert_eq!((b.sex.as_str(), b.issue_date.as_str()), ("M", "1050601"));
}

#[test]
fn magiclen_tw_nhi_icc_service_through_pcscd() {
    if !enabled("real-pcscd test") {
        return;
    }
    let b = through_pcscd("F221000017", |send| magiclen_update(send).unwrap());
    assert_eq!(
        (b.card_no.as_str(), b.name.as_str(), b.id_no.as_str()),
        ("900000000711", "吳佳蓉", "F221000017")
    );
}

#[test]
fn every_public_hc_command_is_answered_through_pcscd() {
    if !enabled("real-pcscd test") {
        return;
    }
    through_pcscd("A123456789", |send| {
        for s in HC_COMMANDS {
            let r = send(s.apdu);
            assert_eq!(r[r.len() - 2..], [0x90, 0x00], "{}", s.by);
        }
        send(TWNHI_GET_RANDOM);
        let r = send(&twnhi_muauth(&DC_CHALLENGE));
        assert_eq!((r.len(), &r[16..]), (18, &[0x90, 0x00][..]));
    });
}

#[test]
fn icope_tool_through_pcscd() {
    if !enabled("real-pcscd test") {
        return;
    }
    // The program's whole read on a new-generation card, as it was tested on a real one.
    let b = card_through_pcscd("A123456789", Hc::new_generation, |send| {
        icope_read_from_reader(send).unwrap()
    });
    assert_eq!((b.name.as_str(), b.sex.as_str()), ("王小明", "M"));
    // Its read step on the first generation, once selected.
    let b = through_pcscd("A123456789", |send| {
        assert_eq!(send(TWNHI_SELECT), [0x90, 0x00]);
        icope_read(send).unwrap()
    });
    assert_eq!(b.id_no, "A123456789");
}
