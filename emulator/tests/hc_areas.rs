//! The HC's protected areas and the visit write-back (protocol/docs/APDU.md, "HC data
//! areas"): closed without a SAM proof, opened by an authenticated SAM, visits appended with
//! new sequence numbers, the oldest dropped, visits left counted down to a refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::card::sam::SamKeys;
use nhi_emulator::card::{Card, Hc, Sam};
use nhi_emulator::crypto::hmac256;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::apdu::hc_areas::{self as areas, AreaItem, InsuranceHeader, ItemKind};
use nhi_protocol::apdu::{self, split_response, AID_SAM};

fn sw(r: &[u8]) -> u16 {
    split_response(r).unwrap().1
}

fn data(r: &[u8]) -> Vec<u8> {
    let (d, s) = split_response(r).unwrap();
    assert_eq!(s, 0x9000, "{}", hex::encode(r));
    d.to_vec()
}

/// A SAM the DC authenticated and a selected HC of the demo person.
fn sam_and_card() -> (Sam, Hc) {
    let (f, k) = (Fixtures::demo().unwrap(), CardFactory::test().unwrap());
    let mut s = k.sam(&f.hospitals[0]).unwrap();
    s.handle(&apdu::build(0, 0xA4, 4, 0, AID_SAM, None));
    let r = s.handle(&apdu::build(0x80, 0x88, 0, 0, &[1; 8], Some(0)));
    let kdc = SamKeys::dc_auth_key(&k.secrets().dc_sam_master, "901000000047");
    let proof = hmac256(&kdc, &[b"DC", &r[..8], &[1; 8]]);
    assert_eq!(
        sw(&s.handle(&apdu::build(0x80, 0x82, 0, 0, &proof, None))),
        0x9000
    );
    let mut c = k.hc(f.person("A123456789").unwrap()).unwrap();
    c.handle(&apdu::select_hc());
    (s, c)
}

fn open(s: &mut Sam, c: &mut Hc) -> u16 {
    let ch = data(&c.handle(&apdu::cmd::get_challenge(8)));
    let proof = data(&s.handle(&areas::sam_area_proof(&c.chip(), &ch)));
    sw(&c.handle(&areas::open_areas(&proof)))
}

fn entry(day: u32) -> areas::VisitEntry {
    areas::VisitEntry {
        at: format!("11511{day:02}093000"),
        institution: "3501200000".into(),
        diagnosis: "J00".into(),
        diagnosis2: "R05".into(),
        fee: 300 + day,
        copay: 50,
    }
}

#[test]
fn areas_are_closed_until_a_sam_proof_opens_them_and_close_on_reset() {
    let (mut s, mut c) = sam_and_card();
    let read = apdu::cmd::get_data(areas::TAG_INSURANCE);
    assert_eq!(sw(&c.handle(&read)), 0x6982);
    assert_eq!(sw(&c.handle(&areas::read_visit(1))), 0x6982);
    // Basic data needs no SAM.
    assert_eq!(sw(&c.handle(apdu::GET_BASIC)), 0x9000);
    // A wrong proof, and a proof with no challenge first.
    c.handle(&apdu::cmd::get_challenge(8));
    assert_eq!(sw(&c.handle(&areas::open_areas(&[0; 32]))), 0x6300);
    assert_eq!(sw(&c.handle(&areas::open_areas(&[0; 32]))), 0x6985);
    assert_eq!(open(&mut s, &mut c), 0x9000);
    let h = InsuranceHeader::decode(&data(&c.handle(&read))).unwrap();
    assert_eq!(h.visits_left, areas::VISITS_PER_CARD);
    assert_eq!(h.last_seq, "0000");
    c.reset();
    c.handle(&apdu::select_hc());
    assert_eq!(sw(&c.handle(&read)), 0x6982);
}

#[test]
fn a_sam_not_authenticated_by_the_dc_computes_no_proof() {
    let (f, k) = (Fixtures::demo().unwrap(), CardFactory::test().unwrap());
    let mut s = k.sam(&f.hospitals[0]).unwrap();
    s.handle(&apdu::build(0, 0xA4, 4, 0, AID_SAM, None));
    assert_eq!(
        sw(&s.handle(&areas::sam_area_proof(&[0; 8], &[0; 8]))),
        0x6982
    );
}

#[test]
fn visits_get_new_numbers_drop_the_oldest_and_run_out() {
    let (mut s, mut c) = sam_and_card();
    assert_eq!(open(&mut s, &mut c), 0x9000);
    for day in 1..=u32::from(areas::VISITS_PER_CARD) {
        let e = entry(day).encode().unwrap();
        let seq = data(&c.handle(&areas::append_visit(&e)));
        assert_eq!(seq, format!("{day:04}").as_bytes());
    }
    let h = InsuranceHeader::decode(&data(&c.handle(&apdu::cmd::get_data(areas::TAG_INSURANCE))))
        .unwrap();
    assert_eq!(h.visits_left, 0);
    assert_eq!(h.last_seq, "0006");
    assert_eq!(h.records, 6);
    assert_eq!(h.total_fee, (1..=6).map(|d| 300 + d).sum::<u32>());
    assert_eq!(h.total_copay, 300);
    // Newest first.
    let newest = areas::VisitRecord::decode(&data(&c.handle(&areas::read_visit(1)))).unwrap();
    assert_eq!(
        (newest.seq.as_str(), newest.entry.clone()),
        ("0006", entry(6))
    );
    assert_eq!(sw(&c.handle(&areas::read_visit(7))), 0x6A82);
    assert_eq!(sw(&c.handle(&areas::read_visit(0))), 0x6A82);
    // No visits left: refused, nothing changes.
    let e = entry(7).encode().unwrap();
    assert_eq!(
        sw(&c.handle(&areas::append_visit(&e))),
        areas::SW_NO_VISITS_LEFT
    );
    // Malformed entry.
    assert_eq!(sw(&c.handle(&areas::append_visit(&[b'x'; 45]))), 0x6A80);
}

#[test]
fn the_oldest_record_is_dropped_when_the_slots_are_full() {
    let (f, k) = (Fixtures::demo().unwrap(), CardFactory::test().unwrap());
    let (mut s, _) = sam_and_card();
    // A card with more visits allowed than slots: an issuer-updated card.
    let mut a = nhi_emulator::card::hc_areas::HcAreas::issued("1", "1251231");
    a.allow_visits(10);
    let mut c = k.hc(f.person("A123456789").unwrap()).unwrap().with_areas(a);
    c.handle(&apdu::select_hc());
    assert_eq!(open(&mut s, &mut c), 0x9000);
    for day in 1..=8 {
        c.handle(&areas::append_visit(&entry(day).encode().unwrap()));
    }
    let oldest = areas::VisitRecord::decode(&data(&c.handle(&areas::read_visit(6)))).unwrap();
    assert_eq!(oldest.seq, "0003");
    assert_eq!(sw(&c.handle(&areas::read_visit(7))), 0x6A82);
    assert_eq!(c.areas().unwrap().header().visits_left, 2);
}

#[test]
fn items_go_to_their_own_area() {
    let (mut s, mut c) = sam_and_card();
    assert_eq!(open(&mut s, &mut c), 0x9000);
    let allergy = AreaItem {
        kind: ItemKind::Allergy,
        text: "Penicillin".into(),
    };
    let donor = AreaItem {
        kind: ItemKind::OrganDonation,
        text: "Y".into(),
    };
    for i in [&allergy, &donor] {
        assert_eq!(sw(&c.handle(&areas::append_item(i).unwrap())), 0x9000);
    }
    let medical = data(&c.handle(&apdu::cmd::get_data(areas::TAG_MEDICAL)));
    assert_eq!(
        areas::decode_items(&medical).unwrap(),
        vec![allergy.clone()]
    );
    let ph = data(&c.handle(&apdu::cmd::get_data(areas::TAG_PUBLIC_HEALTH)));
    assert_eq!(areas::decode_items(&ph).unwrap(), vec![donor]);
    // An allergy sent to the public-health area is refused.
    let mut wrong = areas::append_item(&allergy).unwrap();
    wrong[2] = areas::TAG_PUBLIC_HEALTH;
    assert_eq!(sw(&c.handle(&wrong)), 0x6A80);
    // The area fills up.
    let long = AreaItem {
        kind: ItemKind::ImportantOrder,
        text: "x".repeat(100),
    };
    let codes: Vec<u16> = (0..3)
        .map(|_| sw(&c.handle(&areas::append_item(&long).unwrap())))
        .collect();
    assert_eq!(codes, [0x9000, 0x9000, areas::SW_AREA_FULL]);
}
