//! Each malformed-answer card kind answers its command as its doc says, and only that one.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::card::card_key;
use crate::crypto::hmac256;
use nhi_protocol::apdu::hc_areas::{
    append_visit, open_areas, InsuranceHeader, VisitEntry, AREA_PROOF_LABEL, TAG_INSURANCE,
};
use nhi_protocol::apdu::{cmd, split_response, AID_HC, AID_HPC, AID_SAM};

/// The kind's card for `key` with its application selected.
fn selected(kind: CardSpec, key: &str, aid: &[u8]) -> Box<dyn Card> {
    let f = Fixtures::demo().unwrap();
    let mut c = kind
        .make(&CardFactory::test().unwrap(), &f, Some(key))
        .unwrap();
    assert_eq!(c.handle(&cmd::select(aid)), [0x90, 0]);
    c
}

/// `(data, SW)` of the answer.
fn send(card: &mut dyn Card, apdu: &[u8]) -> (Vec<u8>, u16) {
    let r = card.handle(apdu);
    let (data, sw) = split_response(&r).unwrap();
    (data.to_vec(), sw)
}

const HPC: &str = "100000291508";

#[test]
fn sam_kinds_cut_their_identity_and_their_answer_to_the_dc() {
    let sam = Fixtures::demo().unwrap().hospitals[0].id.clone();
    let info = cmd::get_data(tag::SAM_INFO);
    let mut plain = selected(CardSpec::Sam, &sam, AID_SAM);
    let (full, _) = send(plain.as_mut(), &info);
    assert_eq!(full.len(), 22);
    let mut bad = selected(CardSpec::SamBadInfo, &sam, AID_SAM);
    assert_eq!(send(bad.as_mut(), &info), (full[..21].to_vec(), sw::OK));
    let auth = cmd::sam_internal_auth(&[7; 8]);
    assert_eq!(send(plain.as_mut(), &auth).0.len(), 40);
    let mut short = selected(CardSpec::SamShortAnswer, &sam, AID_SAM);
    let (answer, sw) = send(short.as_mut(), &auth);
    assert_eq!((answer.len(), sw), (4, sw::OK));
    assert_eq!(send(short.as_mut(), &info).0, full);
}

#[test]
fn hpc_kinds_cut_the_signature_mark_certificate_blocks_refuse_a_new_pin() {
    let pin = Fixtures::demo().unwrap().hpc(HPC).unwrap().pin.clone();
    let verify = cmd::verify(cmd::pin_ref::HPC, pin.as_bytes());
    let sign = cmd::pso_sign(cmd::CLA_ISO, b"data to sign");
    let mut short = selected(CardSpec::HpcShortSign, HPC, AID_HPC);
    assert_eq!(send(short.as_mut(), &verify).1, sw::OK);
    let (sig, sw) = send(short.as_mut(), &sign);
    assert_eq!((sig.len(), sw), (255, sw::OK));

    // The certificate (about 600 bytes, re-signed for each card) reads in blocks of
    // 256; only the block at offset 256 comes with 62 81.
    let mut broken = selected(CardSpec::HpcCertBroken, HPC, AID_HPC);
    let (first, ok) = send(broken.as_mut(), &cmd::read_binary(0));
    assert_eq!((first.len(), ok), (256, sw::OK));
    let (second, warning) = send(broken.as_mut(), &cmd::read_binary(256));
    assert_eq!((second.len(), warning), (256, 0x6281));
    let (third, ok) = send(broken.as_mut(), &cmd::read_binary(512));
    assert_eq!(ok, sw::OK);
    assert!(third.len() < 256, "the certificate ends in its third block");
    let cert = [first, second, third].concat();
    assert!(crate::dc::Dc::cert_serial(&cert).is_some());
    let mut eof = selected(CardSpec::HpcCertEof, HPC, AID_HPC);
    assert_eq!(send(eof.as_mut(), &cmd::read_binary(256)).1, sw::OK);
    let (last, warning) = send(eof.as_mut(), &cmd::read_binary(512));
    assert_eq!((last.is_empty(), warning), (false, SW_END_OF_FILE));
    let mut strict = selected(CardSpec::HpcCertStrict, HPC, AID_HPC);
    let (last, ok) = send(strict.as_mut(), &cmd::read_binary(512));
    assert_eq!((last.is_empty(), ok), (false, sw::OK));
    let past = u16::try_from(512 + last.len()).unwrap();
    let end = send(strict.as_mut(), &cmd::read_binary(past));
    assert_eq!(end, (vec![], sw::WRONG_P1P2));

    let mut stuck = selected(CardSpec::HpcNoChange, HPC, AID_HPC);
    assert_eq!(send(stuck.as_mut(), &verify).1, sw::OK);
    let change = cmd::change_pin(cmd::pin_ref::HPC, b"654321");
    assert_eq!(send(stuck.as_mut(), &change).1, sw::MEMORY_FAILURE);
    // The old PIN still verifies: the card never took the new one.
    stuck.reset();
    assert_eq!(stuck.handle(&cmd::select(AID_HPC)), [0x90, 0]);
    assert_eq!(send(stuck.as_mut(), &verify).1, sw::OK);
}

#[test]
fn hc_kinds_refuse_the_area_challenge_and_cut_the_sequence_number() {
    let f = Fixtures::demo().unwrap();
    let person = f.person("A123456789").unwrap();
    let challenge = cmd::get_challenge(8);
    let chip = cmd::get_data(tag::CARD_ID);
    let mut none = selected(CardSpec::HcNoChallenge, &person.id_no, AID_HC);
    assert_eq!(
        send(none.as_mut(), &challenge),
        (vec![], sw::NO_INFORMATION)
    );
    let (id, ok) = send(none.as_mut(), &chip);
    assert_eq!((id.len(), ok), (8, sw::OK));

    // Open the areas with the proof the SAM would compute, then write a visit.
    let mut card = selected(CardSpec::HcBadSeq, &person.id_no, AID_HC);
    let (id, _) = send(card.as_mut(), &chip);
    let (ch, _) = send(card.as_mut(), &challenge);
    let factory = CardFactory::test().unwrap();
    let secrets = factory.secrets();
    let master = if person.basic().unwrap().card_no.is_test() {
        secrets.card_master_test
    } else {
        secrets.card_master_production
    };
    let key = card_key(&master, &id.try_into().unwrap());
    let proof = hmac256(&key, &[AREA_PROOF_LABEL, &ch]);
    assert_eq!(send(card.as_mut(), &open_areas(&proof)).1, sw::OK);
    let entry = VisitEntry {
        at: "1151130093000".into(),
        institution: "7777777777".into(),
        diagnosis: "J00".into(),
        diagnosis2: String::new(),
        fee: 350,
        copay: 50,
    };
    let write = append_visit(&entry.encode().unwrap());
    assert_eq!(send(card.as_mut(), &write), (b"000".to_vec(), sw::OK));
    // The card did write the visit: only its answer was cut.
    let (header, _) = send(card.as_mut(), &cmd::get_data(TAG_INSURANCE));
    let h = InsuranceHeader::decode(&header).unwrap();
    assert_eq!(h.last_seq, "0001");
}
