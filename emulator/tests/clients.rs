//! Public client programs for Taiwan's NHI cards, replayed in-process against the emulated
//! cards with the exact bytes their source sends (tests/clients/programs.rs names each
//! repository and file). The same programs run through real pcscd in `clients_pcsc.rs`.
//! protocol/docs/CLIENTS.md documents every command and reply.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "clients/programs.rs"]
mod programs;

use nhi_emulator::card::{Card, CardRng, Hc, Sam};
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::apdu::{split_response, AID_SAM};
use programs::*;

fn hc(key: &str) -> Hc {
    let f = Fixtures::demo().unwrap();
    CardFactory::test()
        .unwrap()
        .hc(f.person(key).unwrap())
        .unwrap()
}

fn sam() -> Sam {
    let f = Fixtures::demo().unwrap();
    CardFactory::test().unwrap().sam(&f.hospitals[0]).unwrap()
}

fn sw(r: &[u8]) -> u16 {
    split_response(r).unwrap().1
}

/// The fixture person every program reads: 王小明, A123456789, born ROC 080-01-01.
fn fixture_basic() -> Basic {
    Basic {
        card_no: "900000000001".into(),
        name: "王小明".into(),
        id_no: "A123456789".into(),
        birthday: "0800101".into(),
        sex: "M".into(),
        issue_date: "1050601".into(),
    }
}

const DC_CHALLENGE: [u8; 32] = [0x5A; 32];

#[test]
fn every_public_hc_command_is_answered_90_00() {
    let mut c = hc("A123456789");
    let mut answered = 0;
    for s in HC_COMMANDS {
        let r = c.handle(s.apdu);
        assert_eq!(sw(&r), 0x9000, "{}: {}", s.by, hex::encode_upper(&r));
        answered += 1;
    }
    // The mutual authentication answers the challenge of the GET CHALLENGE just sent.
    c.handle(TWNHI_GET_RANDOM);
    assert_eq!(sw(&c.handle(&twnhi_muauth(&DC_CHALLENGE))), 0x9000);
    answered += 1;
    assert_eq!(answered, HC_COMMANDS.len() + 1);
}

#[test]
fn twnhi_smartcard_agent_get_basic_encrypt_and_h_sign() {
    let mut c = hc("A123456789");
    let mut send = |a: &[u8]| c.handle(a);
    // GetBasic: "card no,ID,name,birthday,sex,card data[0]".
    assert_eq!(
        twnhi_get_basic(&mut send).unwrap(),
        "900000000001,A123456789,王小明,0800101,M,1"
    );
    // EnCrypt: the card id is 12 ASCII characters.
    assert_eq!(twnhi_card_id(&mut send).unwrap(), "900000000001");
    // H_Sign: card id, an 8-byte random, a 16-byte answer to the DC's challenge.
    let (hcid, rnd, answer) = twnhi_sam_hc_auth(&mut send, &DC_CHALLENGE).unwrap();
    assert_eq!(
        (hcid.as_str(), rnd.len(), answer.len()),
        ("900000000001", 8, 16)
    );
    // The card random is used once: a replayed answer needs a new GET CHALLENGE.
    assert_eq!(sw(&send(&twnhi_muauth(&DC_CHALLENGE))), 0x6985);
    // A second run gets a new random, hence a different answer to the same challenge.
    let (_, rnd2, answer2) = twnhi_sam_hc_auth(&mut send, &DC_CHALLENGE).unwrap();
    assert_ne!((rnd, answer), (rnd2, answer2));
    // The second application selects as well; the basic data reads there too.
    assert_eq!(sw(&send(TWNHI_SELECT_SAM_APPLET)), 0x9000);
    let r = send(TWNHI_GET_BASIC);
    assert_eq!(decode_basic(&r[..57]).unwrap(), fixture_basic());
}

#[test]
fn twnhi_answers_differ_between_cards() {
    let mut a = hc("A123456789");
    let mut b = hc("F221000017");
    let (_, _, ra) = twnhi_sam_hc_auth(&mut |x: &[u8]| a.handle(x), &DC_CHALLENGE).unwrap();
    let (id_b, _, rb) = twnhi_sam_hc_auth(&mut |x: &[u8]| b.handle(x), &DC_CHALLENGE).unwrap();
    assert_eq!(id_b, "900000000711");
    assert_ne!(ra, rb);
}

#[test]
fn windperson_taiwan_health_card_demo() {
    let mut c = hc("A123456789");
    assert_eq!(
        windperson_main(&mut |a: &[u8]| c.handle(a)).unwrap(),
        fixture_basic()
    );
}

#[test]
fn icope_tool_read_step_over_t1_and_t0() {
    // T=1 (the HC's ATR): the data comes in the reply, no GET RESPONSE.
    let mut c = hc("A123456789");
    c.handle(TWNHI_SELECT);
    assert_eq!(
        icope_read(&mut |a: &[u8]| c.handle(a)).unwrap(),
        fixture_basic()
    );
    // T=0: 61 39, then the program's GET RESPONSE with Le = 39.
    let mut c = hc("A123456789").over_t0();
    c.handle(TWNHI_SELECT);
    let mut log = Vec::new();
    let got = icope_read(&mut |a: &[u8]| {
        let r = c.handle(a);
        log.push((a.to_vec(), r.clone()));
        r
    })
    .unwrap();
    assert_eq!(got, fixture_basic());
    assert_eq!(log[0].1, [0x61, 0x39]);
    assert_eq!(log[1].0, [0x00, 0xC0, 0x00, 0x00, 0x39]);
    assert_eq!(log.len(), 2);
}

#[test]
fn icope_tool_whole_read_needs_a_new_generation_card() {
    // New generation (the card the program was tested on): SELECT 6D 00, data anyway,
    // over T=1 and over T=0.
    for t0 in [false, true] {
        let c = hc("A123456789").new_generation();
        let mut c = if t0 { c.over_t0() } else { c };
        assert_eq!(c.handle(ICOPE_SELECT_NHI_AID), [0x6D, 0x00]);
        assert_eq!(c.handle(TWNHI_SELECT), [0x6D, 0x00]);
        assert_eq!(
            icope_read_from_reader(&mut |a: &[u8]| c.handle(a)).unwrap(),
            fixture_basic()
        );
        c.reset();
        assert_eq!(
            icope_read(&mut |a: &[u8]| c.handle(a)).unwrap(),
            fixture_basic()
        );
    }
    // First generation: the malformed AID is not found and nothing was selected.
    let mut c = hc("A123456789");
    assert_eq!(c.handle(ICOPE_SELECT_NHI_AID), [0x6A, 0x82]);
    let e = icope_read_from_reader(&mut |a: &[u8]| c.handle(a)).unwrap_err();
    assert!(e.contains("NOT_NHI_CARD"), "{e}");
}

#[test]
fn get_response_hands_out_in_pieces_and_only_what_was_announced() {
    let mut c = hc("A123456789").over_t0();
    assert_eq!(c.handle(TWNHI_SELECT), [0x90, 0x00]);
    assert_eq!(c.handle(ICOPE_READ_BASIC), [0x61, 0x39]);
    let first = c.handle(&[0x00, 0xC0, 0x00, 0x00, 0x20]);
    assert_eq!((first.len(), &first[0x20..]), (0x22, &[0x61, 0x19][..]));
    // Le 00 (256) asks for more than remains: the rest, then 90 00.
    let rest = c.handle(&[0x00, 0xC0, 0x00, 0x00, 0x00]);
    assert_eq!((rest.len(), sw(&rest)), (0x19 + 2, 0x9000));
    let whole = [&first[..0x20], &rest[..0x19]].concat();
    assert_eq!(decode_basic(&whole).unwrap(), fixture_basic());
    // Nothing left, and T=1 cards announce nothing.
    assert_eq!(c.handle(&[0x00, 0xC0, 0x00, 0x00, 0x39]), [0x69, 0x85]);
    let mut t1 = hc("A123456789");
    t1.handle(TWNHI_SELECT);
    assert_eq!(sw(&t1.handle(MAGICLEN_READ)), 0x9000);
    assert_eq!(t1.handle(&[0x00, 0xC0, 0x00, 0x00, 0x39]), [0x69, 0x85]);
    // Case-2 commands (no command data) keep their data in the reply over T=0.
    assert_eq!(c.handle(TWNHI_GET_RANDOM).len(), 10);
}

#[test]
fn magiclen_tw_nhi_icc_service_update_nhi_cards() {
    let mut c = hc("A123456789");
    assert_eq!(
        magiclen_update(&mut |a: &[u8]| c.handle(a)).unwrap(),
        fixture_basic()
    );
    let mut c = hc("F221000017");
    let b = magiclen_update(&mut |a: &[u8]| c.handle(a)).unwrap();
    assert_eq!(
        (b.name.as_str(), b.card_no.as_str()),
        ("吳佳蓉", "900000000711")
    );
}

#[test]
fn the_new_commands_keep_their_error_words() {
    let mut c = hc("A123456789");
    // Before SELECT, as every other HC command.
    assert_eq!(c.handle(&twnhi_muauth(&DC_CHALLENGE)), [0x69, 0x85]);
    c.handle(TWNHI_SELECT);
    // No GET CHALLENGE yet.
    assert_eq!(c.handle(&twnhi_muauth(&DC_CHALLENGE)), [0x69, 0x85]);
    c.handle(TWNHI_GET_RANDOM);
    let mut wrong_p2 = twnhi_muauth(&DC_CHALLENGE);
    wrong_p2[3] = 0x13;
    assert_eq!(c.handle(&wrong_p2), [0x6A, 0x86]);
    assert_eq!(
        c.handle(&[0x00, 0x82, 0x11, 0x12, 0x02, 1, 2]),
        [0x67, 0x00]
    );
    // Reset forgets the random.
    c.reset();
    c.handle(TWNHI_SELECT);
    assert_eq!(c.handle(&twnhi_muauth(&DC_CHALLENGE)), [0x69, 0x85]);
    // Other AIDs and GET DATA tags still fail as before.
    assert_eq!(c.handle(&[0x00, 0xCA, 0x77, 0x00]), [0x6A, 0x86]);
    let mut other = TWNHI_SELECT_SAM_APPLET.to_vec();
    other[19] = 0x32;
    assert_eq!(c.handle(&other), [0x6A, 0x82]);
}

#[test]
fn live_cards_give_fresh_challenges_deterministic_ones_repeat() {
    let get = |c: &mut dyn Card| {
        c.handle(TWNHI_SELECT);
        c.handle(TWNHI_GET_RANDOM)
    };
    // Deterministic (frozen-clock conformance runs): two cards of the same person agree.
    let (mut a, mut b) = (hc("A123456789"), hc("A123456789"));
    assert_eq!(get(&mut a), get(&mut b));
    a.reseed(CardRng::Deterministic);
    b.reseed(CardRng::Deterministic);
    assert_eq!(get(&mut a), get(&mut b));
    // Live (`nhi-emu up`): they differ, and so do two calls of one card.
    a.reseed(CardRng::Live);
    b.reseed(CardRng::Live);
    let (x, y) = (get(&mut a), get(&mut b));
    assert_eq!(sw(&x), 0x9000);
    assert_ne!(x, y);
    assert_ne!(get(&mut a), x);
    // The SAM's GET CHALLENGE follows the same choice.
    let sam_challenge = |s: &mut Sam| {
        s.handle(&nhi_protocol::apdu::build(0, 0xA4, 4, 0, AID_SAM, None));
        s.handle(&[0x00, 0x84, 0x00, 0x00, 0x08])
    };
    let (mut s1, mut s2) = (sam(), sam());
    assert_eq!(sam_challenge(&mut s1), sam_challenge(&mut s2));
    s1.reseed(CardRng::Live);
    s2.reseed(CardRng::Live);
    assert_ne!(sam_challenge(&mut s1), sam_challenge(&mut s2));
}
