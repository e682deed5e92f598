//! Card models against the APDU contract (protocol/docs/APDU.md): functional cases, snapshots of
//! the main replies, and random C-APDUs that must never break a card.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::card::sam::SamKeys;
use nhi_emulator::card::{Card, Hc, Hpc, Sam};
use nhi_emulator::crypto::{hmac256, rsa_verify};
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::apdu::{self, split_response, AID_HPC, AID_SAM};
use nhi_protocol::basic::BasicData;
use proptest::prelude::*;

fn world() -> (Fixtures, CardFactory) {
    (Fixtures::demo().unwrap(), CardFactory::test().unwrap())
}

fn hx(v: &[u8]) -> String {
    hex::encode_upper(v)
}

fn sw(r: &[u8]) -> u16 {
    split_response(r).unwrap().1
}

fn hc(key: &str) -> Hc {
    let (f, k) = world();
    k.hc(f.person(key).unwrap()).unwrap()
}

fn hpc() -> Hpc {
    let (f, k) = world();
    k.hpc(&f.hpcs[0], 1).unwrap()
}

fn sam() -> Sam {
    let (f, k) = world();
    k.sam(&f.hospitals[0]).unwrap()
}

fn select(aid: &[u8]) -> Vec<u8> {
    apdu::build(0, 0xA4, 4, 0, aid, None)
}

#[test]
fn hc_select_both_forms_and_basic_data() {
    let mut c = hc("A123456789");
    assert_eq!(c.atr(), apdu::ATR_HC);
    // GET DATA before SELECT: conditions not satisfied.
    assert_eq!(sw(&c.handle(apdu::GET_BASIC)), 0x6985);
    let h = |s: &str| hex::decode(s.replace(' ', "")).unwrap();
    // The long SELECT form public clients send (Lc=0x10, 16-byte AID) …
    assert_eq!(
        hx(&c.handle(&h(
            "00 A4 04 00 10 D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00"
        ))),
        "9000"
    );
    c.reset();
    // … the same bytes read as Lc=0x0F plus Le …
    assert_eq!(
        hx(&c.handle(&h(
            "00 A4 04 00 0F D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00"
        ))),
        "9000"
    );
    c.reset();
    // … Lc=0x0F without Le, and Lc=0x10 with Le.
    assert_eq!(
        hx(&c.handle(&h(
            "00 A4 04 00 0F D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11"
        ))),
        "9000"
    );
    c.reset();
    assert_eq!(
        hx(&c.handle(&h(
            "00 A4 04 00 10 D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00 00"
        ))),
        "9000"
    );
    for get in [apdu::GET_BASIC.to_vec(), [apdu::GET_BASIC, &[0]].concat()] {
        let r = c.handle(&get);
        assert_eq!(r.len(), 59);
        assert_eq!(sw(&r), 0x9000);
        let b = BasicData::decode(&r[..57]).unwrap();
        assert_eq!(
            (b.name.as_str(), b.id_no.as_str(), b.card_no.as_str()),
            ("王小明", "A123456789", "900000000001")
        );
    }
    assert_eq!(sw(&c.handle(&select(&[0xA0, 0, 0, 0, 3]))), 0x6A82);
}

#[test]
fn hc_errors_are_iso_status_words() {
    let mut c = hc("A123456789");
    c.handle(&apdu::select_hc());
    assert_eq!(hx(&c.handle(&[0x00, 0x99, 0, 0])), "6D00");
    assert_eq!(hx(&c.handle(&[0x90, 0xCA, 0x11, 0])), "6E00");
    assert_eq!(hx(&c.handle(&[0x00, 0xCA, 0x77, 0])), "6A86");
    assert_eq!(hx(&c.handle(&[0x00, 0xCA])), "6700");
    assert_eq!(hx(&c.handle(&[0x00, 0xCA, 0x11, 0, 5, 1])), "6700");
    assert_eq!(hx(&c.handle(&[])), "6700");
}

#[test]
fn hc_pin_set_verify_block_and_clear() {
    let mut c = hc("A123456789");
    c.handle(&apdu::select_hc());
    let verify = |p: &[u8]| apdu::build(0, 0x20, 0, 1, p, None);
    // No PIN yet.
    assert_eq!(sw(&c.handle(&verify(b"123456"))), 0x6A88);
    assert_eq!(c.handle(&apdu::build(0, 0xCA, 0x16, 0, &[], Some(0)))[0], 0);
    // Set one (6-8 digits only).
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0x24, 0, 1, b"12a456", None))),
        0x6A80
    );
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0x24, 0, 1, b"123456", None))),
        0x9000
    );
    c.reset();
    c.handle(&apdu::select_hc());
    assert_eq!(sw(&c.handle(&verify(b""))), 0x63C3);
    // Signing needs the PIN now.
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0x88, 0, 1, &[1; 8], None))),
        0x6982
    );
    assert_eq!(sw(&c.handle(&verify(b"000000"))), 0x63C2);
    assert_eq!(sw(&c.handle(&verify(b"123456"))), 0x9000);
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0x88, 0, 1, &[1; 8], None))),
        0x9000
    );
    // Clear it.
    assert_eq!(sw(&c.handle(&[0, 0x26, 0, 1])), 0x9000);
    assert_eq!(sw(&c.handle(&verify(b"123456"))), 0x6A88);
    // Set again and block it.
    c.handle(&apdu::build(0, 0x24, 0, 1, b"654321", None));
    c.reset();
    c.handle(&apdu::select_hc());
    assert_eq!(sw(&c.handle(&verify(b"000000"))), 0x63C2);
    assert_eq!(sw(&c.handle(&verify(b"000000"))), 0x63C1);
    assert_eq!(sw(&c.handle(&verify(b"000000"))), 0x6983);
    assert_eq!(
        sw(&c.handle(&verify(b"654321"))),
        0x6983,
        "blocked stays blocked"
    );
    assert_eq!(sw(&c.handle(&[0, 0x26, 0, 1])), 0x6983);
}

#[test]
fn hc_marker_and_challenge() {
    let mut c = hc("F221000017");
    c.handle(&apdu::select_hc());
    let ch = c.handle(&[0, 0x84, 0, 0, 8]);
    assert_eq!((ch.len(), sw(&ch)), (10, 0x9000));
    assert_ne!(c.handle(&[0, 0x84, 0, 0, 8]), ch, "challenges differ");
    assert_eq!(sw(&c.handle(&[0, 0x84, 0, 0])), 0x6700);
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0xD6, 0, 0, b"VISIT-2019-10", None))),
        0x9000
    );
    assert_eq!(c.marker(), b"VISIT-2019-10");
    assert_eq!(&c.handle(&[0, 0xCA, 0x15, 0, 0])[..13], b"VISIT-2019-10");
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0xD6, 0, 0, &[0; 33], None))),
        0x6700
    );
}

#[test]
fn hpc_pin_lockout_and_puk_reset() {
    let mut c = hpc();
    assert_eq!(c.atr(), apdu::ATR_HPC);
    assert_eq!(sw(&c.handle(&select(AID_HPC))), 0x9000);
    assert_eq!(
        sw(&c.handle(apdu::GET_BASIC)),
        0x6A86,
        "an HPC has no HC basic data"
    );
    let verify = |p: &[u8]| apdu::build(0, 0x20, 0, 0x10, p, None);
    assert_eq!(sw(&c.handle(&verify(b"111111"))), 0x63C2);
    assert_eq!(sw(&c.handle(&verify(b"111111"))), 0x63C1);
    assert_eq!(sw(&c.handle(&verify(b"111111"))), 0x6983);
    assert_eq!(
        sw(&c.handle(&verify(b"000000"))),
        0x6983,
        "right PIN after lockout still blocked"
    );
    // Wrong PUK counts down, right PUK sets a new PIN.
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0x2C, 0, 0x10, b"00000000246810", None))),
        0x63C9
    );
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0x2C, 0, 0x10, b"99999999246810", None))),
        0x9000
    );
    assert_eq!(sw(&c.handle(&verify(b"000000"))), 0x63C2);
    assert_eq!(sw(&c.handle(&verify(b"246810"))), 0x9000);
    // Change PIN needs verification and 6-8 digits.
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0x24, 1, 0x10, b"12345", None))),
        0x6A80
    );
    assert_eq!(
        sw(&c.handle(&apdu::build(0, 0x24, 1, 0x10, b"13572468", None))),
        0x9000
    );
    assert_eq!(c.current_pin(), Some("13572468"));
}

#[test]
fn hpc_signs_with_its_certified_key() {
    let (f, k) = world();
    let mut c = k.hpc(&f.hpcs[0], 9).unwrap();
    c.handle(&select(AID_HPC));
    let pso = apdu::build(0, 0x2A, 0x9E, 0x9A, b"clientRandom|01", Some(0));
    assert_eq!(sw(&c.handle(&pso)), 0x6982, "PIN first");
    c.handle(&apdu::build(0, 0x20, 0, 0x10, b"000000", None));
    let r = c.handle(&pso);
    assert_eq!((r.len(), sw(&r)), (258, 0x9000));
    let public = k.public_key_for(&f.hpcs[0].card_id).unwrap();
    assert!(rsa_verify(&public, b"clientRandom|01", &r[..256]));
    // The certificate reads out in 256-byte chunks and is DER.
    let mut cert = Vec::new();
    loop {
        let r = c.handle(&[0, 0xB0, (cert.len() >> 8) as u8, cert.len() as u8, 0]);
        if sw(&r) != 0x9000 {
            assert_eq!(sw(&r), 0x6B00);
            break;
        }
        cert.extend_from_slice(&r[..r.len() - 2]);
    }
    assert_eq!(cert[0], 0x30);
    let len = ((cert[2] as usize) << 8 | cert[3] as usize) + 4;
    assert_eq!(cert.len(), len);
}

/// The DC side of SAM mutual authentication, as protocol/docs/APDU.md defines it.
fn dc_proof(sam_id: &str, dc_random: &[u8], sam_random: &[u8]) -> [u8; 32] {
    let k = SamKeys::dc_auth_key(
        &CardFactory::test().unwrap().secrets().dc_sam_master,
        sam_id,
    );
    hmac256(&k, &[b"DC", sam_random, dc_random])
}

#[test]
fn sam_mutual_authentication_signing_and_lock() {
    let mut s = sam();
    assert_eq!(sw(&s.handle(&select(AID_SAM))), 0x9000);
    let info = s.handle(&[0, 0xCA, 0x14, 0, 0]);
    assert_eq!(&info[..22], b"9010000000477777777777");
    let pso = apdu::build(0x80, 0x2A, 0x9E, 0x9A, b"data", Some(0));
    assert_eq!(sw(&s.handle(&pso)), 0x6982);
    let dc_random = [5u8; 8];
    let r = s.handle(&apdu::build(0x80, 0x88, 0, 0, &dc_random, Some(0)));
    assert_eq!(r.len(), 8 + 32 + 2);
    let k = SamKeys::dc_auth_key(
        &CardFactory::test().unwrap().secrets().dc_sam_master,
        "901000000047",
    );
    assert_eq!(&r[8..40], &hmac256(&k, &[b"SAM", &dc_random, &r[..8]]));
    let proof = dc_proof("901000000047", &dc_random, &r[..8]);
    assert_eq!(
        sw(&s.handle(&apdu::build(0x80, 0x82, 0, 0, &proof, None))),
        0x9000
    );
    assert!(s.is_authenticated());
    assert_eq!(s.handle(&pso).len(), 258);
    // Three wrong proofs lock it for good.
    for expect in [0x63C2, 0x63C1, 0x6983] {
        s.handle(&apdu::build(0x80, 0x88, 0, 0, &dc_random, Some(0)));
        assert_eq!(
            sw(&s.handle(&apdu::build(0x80, 0x82, 0, 0, &[0; 32], None))),
            expect
        );
    }
    assert!(s.is_locked());
    s.reset();
    s.handle(&select(AID_SAM));
    assert_eq!(
        sw(&s.handle(&apdu::build(0x80, 0x88, 0, 0, &dc_random, Some(0)))),
        0x6983
    );
}

#[test]
fn sam_authenticates_cards_and_refuses_production_cards_from_a_test_master() {
    let (f, k) = world();
    let mut s = k.sam(&f.hospitals[0]).unwrap();
    s.handle(&select(AID_SAM));
    let r = s.handle(&apdu::build(0x80, 0x88, 0, 0, &[1; 8], Some(0)));
    s.handle(&apdu::build(
        0x80,
        0x82,
        0,
        0,
        &dc_proof("901000000047", &[1; 8], &r[..8]),
        None,
    ));
    let mut c = k.hc(f.person("A123456789").unwrap()).unwrap();
    c.handle(&apdu::select_hc());
    let auth = |s: &mut Sam, c: &mut Hc| {
        let ch = s.handle(&[0, 0x84, 0, 0, 8]);
        let resp = c.handle(&apdu::build(0, 0x88, 0, 0, &ch[..8], Some(0)));
        let mut data = c.chip().to_vec();
        data.extend_from_slice(&resp[..32]);
        sw(&s.handle(&apdu::build(0x80, 0x82, 1, 0, &data, None)))
    };
    assert_eq!(auth(&mut s, &mut c), 0x9000);
    // A card keyed from the production master fails with the test SAM.
    let mut p = f.person("A123456789").unwrap().clone();
    p.card_no = "000000000001".into();
    let mut prod = k.hc(&p).unwrap();
    prod.handle(&apdu::select_hc());
    assert_eq!(auth(&mut s, &mut prod), 0x6300);
}

#[test]
fn sam_decrypts_token_payloads() {
    let (f, k) = world();
    let mut s = k.sam(&f.hospitals[0]).unwrap();
    s.handle(&select(AID_SAM));
    let r = s.handle(&apdu::build(0x80, 0x88, 0, 0, &[1; 8], Some(0)));
    s.handle(&apdu::build(
        0x80,
        0x82,
        0,
        0,
        &dc_proof("901000000047", &[1; 8], &r[..8]),
        None,
    ));
    let tok = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-emu"))
        .args([
            "token",
            "issue",
            "--person",
            "F221000017",
            "--at",
            "2019-10-21T09:00:00+08:00",
        ])
        .output()
        .unwrap();
    let tok = String::from_utf8(tok.stdout).unwrap();
    let parts = nhi_protocol::token::split(tok.trim()).unwrap();
    let data = [&parts.iv[..], &parts.ciphertext[..]].concat();
    let r = s.handle(&apdu::build(0x80, 0xD0, 0, 0, &data, Some(0)));
    assert_eq!(sw(&r), 0x9000);
    let p = nhi_protocol::token::Payload::decode(&r[..64]).unwrap();
    assert_eq!(
        (p.name.as_str(), p.id_no.as_str()),
        ("吳佳蓉", "F221000017")
    );
    assert_eq!(
        sw(&s.handle(&apdu::build(0x80, 0xD0, 0, 0, &data[..79], Some(0)))),
        0x6700
    );
}

#[test]
fn snapshots_of_main_replies() {
    let mut out = String::new();
    let mut c = hc("F221000017");
    out += &format!("HC ATR        {}\n", hx(c.atr()));
    out += &format!("HC SELECT     {}\n", hx(&c.handle(&apdu::select_hc())));
    out += &format!("HC GET BASIC  {}\n", hx(&c.handle(apdu::GET_BASIC)));
    out += &format!("HC CARD ID    {}\n", hx(&c.handle(&[0, 0xCA, 0x12, 0, 0])));
    out += &format!("HC CHALLENGE  {}\n", hx(&c.handle(&[0, 0x84, 0, 0, 8])));
    let mut p = hpc();
    out += &format!("HPC ATR       {}\n", hx(p.atr()));
    out += &format!("HPC SELECT    {}\n", hx(&p.handle(&select(AID_HPC))));
    out += &format!("HPC GET BASIC {}\n", hx(&p.handle(apdu::GET_BASIC)));
    out += &format!("HPC BASIC     {}\n", hx(&p.handle(&[0, 0xCA, 0x13, 0, 0])));
    out += &format!(
        "HPC BAD PIN   {}\n",
        hx(&p.handle(&apdu::build(0, 0x20, 0, 0x10, b"999999", None)))
    );
    let mut s = sam();
    out += &format!("SAM ATR       {}\n", hx(s.atr()));
    out += &format!("SAM SELECT    {}\n", hx(&s.handle(&select(AID_SAM))));
    out += &format!("SAM INFO      {}\n", hx(&s.handle(&[0, 0xCA, 0x14, 0, 0])));
    out += &format!(
        "SAM SIGN      {}\n",
        hx(&s.handle(&apdu::build(0x80, 0x2A, 0x9E, 0x9A, b"x", Some(0))))
    );
    insta::assert_snapshot!(out);
}

/// C-APDUs that look like ours (known CLA/INS) as well as plain garbage.
fn apdu_strategy() -> impl Strategy<Value = Vec<u8>> {
    let ins = prop::sample::select(vec![
        0xA4u8, 0xCA, 0x84, 0x20, 0x24, 0x2C, 0x26, 0x88, 0x82, 0x2A, 0xB0, 0xD6, 0xD0, 0x00, 0xFF,
    ]);
    let structured = (
        prop::sample::select(vec![0x00u8, 0x80, 0x90]),
        ins,
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::option::of(any::<u8>()),
    )
        .prop_map(|(cla, ins, p1, p2, data, le)| apdu::build(cla, ins, p1, p2, &data, le));
    prop_oneof![prop::collection::vec(any::<u8>(), 0..300), structured]
}

fn hammer(card: &mut dyn Card, apdus: &[Vec<u8>]) {
    for a in apdus {
        let r = card.handle(a);
        assert!(r.len() >= 2, "reply to {} too short", hx(a));
    }
}

proptest! {
    // CI: 1 000 cases × 100 C-APDUs = 100 000 random C-APDUs per card model.
    // Full (documented in README): NHI_FUZZ_FULL=1 → 10 000 × 100 = 1 000 000 per card model.
    #![proptest_config(ProptestConfig { cases: if std::env::var("NHI_FUZZ_FULL").as_deref() == Ok("1") { 10_000 } else { 1000 }, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hc_survives_random_apdus(apdus in prop::collection::vec(apdu_strategy(), 100)) {
        let mut c = hc("F221000017");
        let before = c.basic().encode().unwrap();
        c.handle(&apdu::select_hc());
        hammer(&mut c, &apdus);
        c.reset();
        c.handle(&apdu::select_hc());
        let r = c.handle(apdu::GET_BASIC);
        prop_assert_eq!(&r[..57], &before[..]);
        prop_assert!(c.pin_tries_left() <= 3);
    }

    #[test]
    fn hpc_survives_random_apdus(apdus in prop::collection::vec(apdu_strategy(), 100)) {
        let mut c = hpc();
        c.handle(&select(AID_HPC));
        hammer(&mut c, &apdus);
        prop_assert!(c.pin_tries_left() <= 3);
        c.reset();
        prop_assert_eq!(sw(&c.handle(&select(AID_HPC))), 0x9000);
        let r = c.handle(&[0, 0xCA, 0x13, 0, 0]);
        prop_assert_eq!(&r[..12], b"100000291508");
    }

    #[test]
    fn sam_survives_random_apdus(apdus in prop::collection::vec(apdu_strategy(), 100)) {
        let mut s = sam();
        s.handle(&select(AID_SAM));
        hammer(&mut s, &apdus);
        s.reset();
        prop_assert_eq!(sw(&s.handle(&select(AID_SAM))), 0x9000);
        prop_assert_eq!(&s.handle(&[0, 0xCA, 0x14, 0, 0])[..12], b"901000000047");
    }
}
