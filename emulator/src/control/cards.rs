//! "A card of kind K for fixture key P": the one card factory behind `nhi-emu up`'s
//! `[[slot]] card = …`, the control API's `POST /readers/insert`, `nhi-emu apdu --card`
//! and the harness's scenario `insert` steps.

use crate::card::faulty::{self, Faulty};
use crate::card::pulled::PulledAt;
use crate::card::tampered::{Answer, Tampered, Target};
use crate::card::{Card, CardKind};
use crate::fixtures::{CardFactory, Fixtures, Hospital, HpcHolder, Person};
use nhi_protocol::apdu::hc_areas::INS_APPEND_RECORD;
use nhi_protocol::apdu::{ins, sw, tag};

/// ISO 7816-4 warning 62 81: "part of returned data may be corrupted".
const SW_DATA_MAY_BE_CORRUPTED: u16 = 0x6281;

/// ISO 7816-4 warning 62 82: "end of file reached before reading Le bytes".
const SW_END_OF_FILE: u16 = 0x6282;

/// A kind of card a reader can be given, named as the control API and world files name it
/// (`hc`, `hpc-bad-sign`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardSpec {
    /// A health card (HC).
    Hc,
    /// A health professional card (HPC), with the serial the DC knows for its holder.
    Hpc,
    /// A SAM of an institution.
    Sam,
    /// A doctor card (醫師卡): the older HPC kind, told apart by its ATR.
    Doctor,
    /// An HC in the right format signed with the wrong keys.
    HcForged,
    /// An HPC in the right format signed with the wrong keys.
    HpcForged,
    /// A real HC without the NHI application.
    HcNoApplet,
    /// An HC whose application answers `6F 00` to everything after SELECT.
    HcBroken,
    /// An HPC whose application answers `6F 00` to everything after SELECT.
    HpcBroken,
    /// A real HPC whose signature fails.
    HpcBadSign,
    /// A real HPC without its certificate file.
    HpcNoCert,
    /// A real HC whose challenge signature fails.
    HcBadSign,
    /// A real HC whose PIN cannot be cleared.
    HcNoClear,
    /// A real SAM whose GET DATA of its identity answers 21 of its 22 bytes (90 00).
    SamBadInfo,
    /// A real SAM whose answer to the DC's random (INTERNAL AUTHENTICATE) is cut to 4 of
    /// its 40 bytes (90 00).
    SamShortAnswer,
    /// A real HPC whose signature (PSO) comes out 255 of its 256 bytes (90 00).
    HpcShortSign,
    /// A real HPC whose second READ BINARY of the certificate (offset 256) answers its data
    /// with 62 81, "part of returned data may be corrupted".
    HpcCertBroken,
    /// A real HPC that answers its certificate's last block (offset 512: the certificate is
    /// 513–767 bytes) with 62 82, "end of file reached before Le bytes", as ISO 7816-4
    /// cards may: an honest card a client must read to the end.
    HpcCertEof,
    /// A real HPC that answers a READ BINARY past the end of its certificate with 6A 86
    /// (wrong P1-P2) instead of 6B 00: a sound card a client must not read past the end.
    HpcCertStrict,
    /// A real HPC that refuses every new PIN (CHANGE REFERENCE DATA) with 65 81.
    HpcNoChange,
    /// A real HC whose GET CHALLENGE for its data areas answers 6F 00 (its chip id reads).
    HcNoChallenge,
    /// A real HC that writes a visit but answers APPEND RECORD with 3 of the 4 digits of
    /// the new sequence number (90 00).
    HcBadSeq,
    /// A real HC that refuses a new PIN (CHANGE REFERENCE DATA) with 65 81: no PIN set.
    HcNoSet,
    /// A real SAM the person pulls out of its reader as the DC's proof reaches it
    /// (EXTERNAL AUTHENTICATE, the last step of SAM verification): a card removed in the
    /// middle of an operation (card/pulled.rs).
    SamPulled,
}

impl CardSpec {
    /// Every kind, in the order the control API lists them.
    pub const ALL: [CardSpec; 24] = [
        CardSpec::Hc,
        CardSpec::Hpc,
        CardSpec::Sam,
        CardSpec::Doctor,
        CardSpec::HcForged,
        CardSpec::HpcForged,
        CardSpec::HcNoApplet,
        CardSpec::HcBroken,
        CardSpec::HpcBroken,
        CardSpec::HpcBadSign,
        CardSpec::HpcNoCert,
        CardSpec::HcBadSign,
        CardSpec::HcNoClear,
        CardSpec::SamBadInfo,
        CardSpec::SamShortAnswer,
        CardSpec::HpcShortSign,
        CardSpec::HpcCertBroken,
        CardSpec::HpcCertEof,
        CardSpec::HpcCertStrict,
        CardSpec::HpcNoChange,
        CardSpec::HcNoChallenge,
        CardSpec::HcBadSeq,
        CardSpec::HcNoSet,
        CardSpec::SamPulled,
    ];

    /// The kind's name on the wire (`hc-bad-sign`).
    pub fn name(self) -> &'static str {
        match self {
            CardSpec::Hc => "hc",
            CardSpec::Hpc => "hpc",
            CardSpec::Sam => "sam",
            CardSpec::Doctor => "doctor",
            CardSpec::HcForged => "hc-forged",
            CardSpec::HpcForged => "hpc-forged",
            CardSpec::HcNoApplet => "hc-no-applet",
            CardSpec::HcBroken => "hc-broken",
            CardSpec::HpcBroken => "hpc-broken",
            CardSpec::HpcBadSign => "hpc-bad-sign",
            CardSpec::HpcNoCert => "hpc-no-cert",
            CardSpec::HcBadSign => "hc-bad-sign",
            CardSpec::HcNoClear => "hc-no-clear",
            CardSpec::SamBadInfo => "sam-bad-info",
            CardSpec::SamShortAnswer => "sam-short-answer",
            CardSpec::HpcShortSign => "hpc-short-sign",
            CardSpec::HpcCertBroken => "hpc-cert-broken",
            CardSpec::HpcCertEof => "hpc-cert-eof",
            CardSpec::HpcCertStrict => "hpc-cert-strict",
            CardSpec::HpcNoChange => "hpc-no-change",
            CardSpec::HcNoChallenge => "hc-no-challenge",
            CardSpec::HcBadSeq => "hc-bad-seq",
            CardSpec::HcNoSet => "hc-no-set",
            CardSpec::SamPulled => "sam-pulled",
        }
    }

    /// Builds the card for a fixture key (ID or card number, HPC id, hospital or SAM id);
    /// no key: the fixtures' first person, HPC holder or institution.
    pub fn make(
        self,
        factory: &CardFactory,
        fixtures: &Fixtures,
        person: Option<&str>,
    ) -> Result<Box<dyn Card>, String> {
        let tampered = |base: CardSpec, target: Target, answer: Answer, what| {
            let inner = base.make(factory, fixtures, person)?;
            Ok::<Box<dyn Card>, String>(Box::new(Tampered::new(inner, target, answer, what)))
        };
        Ok(match self {
            CardSpec::Hc => Box::new(factory.hc(person_of(fixtures, person)?)?),
            CardSpec::Hpc => {
                let h = holder_of(fixtures, person)?;
                Box::new(factory.hpc(h, CardFactory::hpc_serial(h))?)
            }
            CardSpec::Sam => Box::new(factory.sam(hospital_of(fixtures, person)?)?),
            CardSpec::Doctor => {
                let h = holder_of(fixtures, person)?;
                Box::new(
                    factory
                        .hpc(h, CardFactory::hpc_serial(h))?
                        .into_doctor_card(),
                )
            }
            CardSpec::HcForged => Box::new(factory.hc_forged(person_of(fixtures, person)?)?),
            CardSpec::HpcForged => Box::new(factory.hpc_forged(holder_of(fixtures, person)?)?),
            CardSpec::HcNoApplet => Box::new(Faulty::new(CardKind::Hc, faulty::Fault::NoApplet)),
            CardSpec::HcBroken => Box::new(Faulty::new(CardKind::Hc, faulty::Fault::Broken)),
            CardSpec::HpcBroken => Box::new(Faulty::new(CardKind::Hpc, faulty::Fault::Broken)),
            CardSpec::HpcBadSign => tampered(
                CardSpec::Hpc,
                Target::ins(ins::PSO),
                Answer::Status(sw::NO_INFORMATION),
                "signature fails",
            )?,
            CardSpec::HpcNoCert => tampered(
                CardSpec::Hpc,
                Target::ins(ins::READ_BINARY),
                Answer::Status(sw::NOT_FOUND),
                "no certificate file",
            )?,
            CardSpec::HcBadSign => tampered(
                CardSpec::Hc,
                Target::ins(ins::INTERNAL_AUTHENTICATE).p2(1),
                Answer::Status(sw::NO_INFORMATION),
                "signature fails",
            )?,
            CardSpec::HcNoClear => tampered(
                CardSpec::Hc,
                Target::ins(ins::DISABLE_VERIFICATION),
                Answer::Status(sw::MEMORY_FAILURE),
                "PIN cannot be cleared",
            )?,
            CardSpec::SamBadInfo => tampered(
                CardSpec::Sam,
                Target::ins(ins::GET_DATA).p1(tag::SAM_INFO),
                Answer::Truncated(21),
                "identity cut short",
            )?,
            CardSpec::SamShortAnswer => tampered(
                CardSpec::Sam,
                Target::ins(ins::INTERNAL_AUTHENTICATE),
                Answer::Truncated(4),
                "answer to the DC cut short",
            )?,
            CardSpec::HpcShortSign => tampered(
                CardSpec::Hpc,
                Target::ins(ins::PSO),
                Answer::Truncated(255),
                "signature cut short",
            )?,
            CardSpec::HpcCertBroken => tampered(
                CardSpec::Hpc,
                Target::ins(ins::READ_BINARY).p1(1).p2(0),
                Answer::DataWith(SW_DATA_MAY_BE_CORRUPTED),
                "certificate block corrupted",
            )?,
            CardSpec::HpcCertEof => tampered(
                CardSpec::Hpc,
                Target::ins(ins::READ_BINARY).p1(2).p2(0),
                Answer::DataWith(SW_END_OF_FILE),
                "last certificate block with 62 82",
            )?,
            CardSpec::HpcCertStrict => tampered(
                CardSpec::Hpc,
                Target::ins(ins::READ_BINARY),
                Answer::FailureAs(sw::WRONG_P1P2),
                "6A 86 past the end of the certificate",
            )?,
            CardSpec::HpcNoChange => tampered(
                CardSpec::Hpc,
                Target::ins(ins::CHANGE_REFERENCE_DATA),
                Answer::Status(sw::MEMORY_FAILURE),
                "PIN cannot be changed",
            )?,
            CardSpec::HcNoChallenge => tampered(
                CardSpec::Hc,
                Target::ins(ins::GET_CHALLENGE),
                Answer::Status(sw::NO_INFORMATION),
                "no challenge",
            )?,
            CardSpec::HcBadSeq => tampered(
                CardSpec::Hc,
                Target::ins(INS_APPEND_RECORD),
                Answer::Truncated(3),
                "sequence number cut short",
            )?,
            CardSpec::HcNoSet => tampered(
                CardSpec::Hc,
                Target::ins(ins::CHANGE_REFERENCE_DATA),
                Answer::Status(sw::MEMORY_FAILURE),
                "PIN cannot be set",
            )?,
            CardSpec::SamPulled => Box::new(PulledAt::new(
                CardSpec::Sam.make(factory, fixtures, person)?,
                ins::EXTERNAL_AUTHENTICATE,
            )),
        })
    }
}

impl std::str::FromStr for CardSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<CardSpec, String> {
        CardSpec::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = CardSpec::ALL.iter().map(|k| k.name()).collect();
                format!("card {s:?}: {}", names.join(", "))
            })
    }
}

impl std::fmt::Display for CardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn person_of<'a>(fixtures: &'a Fixtures, key: Option<&str>) -> Result<&'a Person, String> {
    match key {
        Some(k) => fixtures.person(k).map_err(|e| e.to_string()),
        None => fixtures
            .people
            .first()
            .ok_or_else(|| "no person in fixtures".into()),
    }
}

fn holder_of<'a>(fixtures: &'a Fixtures, key: Option<&str>) -> Result<&'a HpcHolder, String> {
    match key {
        Some(k) => fixtures.hpc(k).map_err(|e| e.to_string()),
        None => fixtures
            .hpcs
            .first()
            .ok_or_else(|| "no HPC holder in fixtures".into()),
    }
}

fn hospital_of<'a>(fixtures: &'a Fixtures, key: Option<&str>) -> Result<&'a Hospital, String> {
    match key {
        Some(k) => fixtures.hospital(k).map_err(|e| e.to_string()),
        None => fixtures
            .hospitals
            .first()
            .ok_or_else(|| "no hospital in fixtures".into()),
    }
}

/// The serial (as the DC prints it) of the certificate on an HPC card, read with APDUs:
/// SELECT the HPC application, READ BINARY until the file ends. The card is reset after.
pub fn hpc_cert_serial(card: &mut dyn Card) -> Option<String> {
    use nhi_protocol::apdu::{build, AID_HPC};
    card.handle(&build(0, ins::SELECT, 4, 0, AID_HPC, None));
    let mut cert = Vec::new();
    // The offset is P1‖P2: a certificate past 64 KiB cannot be addressed.
    while let Ok(offset) = u16::try_from(cert.len()) {
        let [p1, p2] = offset.to_be_bytes();
        let r = card.handle(&[0, ins::READ_BINARY, p1, p2, 0]);
        match r.split_last_chunk::<2>() {
            Some((data, &[0x90, _])) if !data.is_empty() => cert.extend_from_slice(data),
            _ => break,
        }
    }
    card.reset();
    crate::dc::Dc::cert_serial(&cert)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name_in_text_and_json() {
        for k in CardSpec::ALL {
            assert_eq!(k.name().parse::<CardSpec>().unwrap(), k);
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        }
        assert!("hc-"
            .parse::<CardSpec>()
            .unwrap_err()
            .contains("hc-no-clear"));
    }

    #[test]
    fn tampered_cards_keep_the_base_cards_person() {
        let f = Fixtures::demo().unwrap();
        let k = CardFactory::test().unwrap();
        let person = f.people[1].id_no.clone();
        let plain = CardSpec::Hc.make(&k, &f, Some(&person)).unwrap();
        let tampered = CardSpec::HcBadSign.make(&k, &f, Some(&person)).unwrap();
        assert_eq!(tampered.atr(), plain.atr());
        assert!(CardSpec::Hc.make(&k, &f, Some("nobody")).is_err());
    }
}

#[cfg(test)]
mod malformed_tests;
