//! Card clients: the NHI card procedures as typed calls over a [`Link`], built from
//! nhi-protocol's APDU builders. They hold no device state; the caller picks the reader
//! and the status codes a failure maps to where the operation decides them.

pub mod hc;
pub mod hc_areas;
pub mod hpc;
pub mod sam;

use crate::error::Fail;
use nhi_protocol::apdu::{cmd, Response, Sw};
use nhi_protocol::StatusCode;

/// Something that carries APDUs to one card.
pub trait Link {
    /// Sends a C-APDU; the R-APDU split into data and status word.
    fn send(&mut self, apdu: &[u8]) -> Result<Response, Fail>;
}

/// SELECTs a card application: 6A82 (no such application) is `SelectAppletFailed`, any
/// other refusal `otherwise`.
pub fn select(link: &mut dyn Link, aid: &[u8], otherwise: StatusCode) -> Result<(), Fail> {
    let r = link.send(&cmd::select(aid))?;
    match r.sw {
        Sw::OK => Ok(()),
        Sw::NOT_FOUND => Err(Fail::new(
            StatusCode::SelectAppletFailed,
            "the card has no NHI application (SELECT answered 6A82)",
        )),
        sw => Err(Fail::new(otherwise, format!("SELECT answered {sw}"))),
    }
}

/// The card's answer to a SAM challenge, prefixed with its chip id: what the SAM's
/// EXTERNAL AUTHENTICATE checks.
pub fn auth_proof(link: &mut dyn Link, challenge: &[u8]) -> Result<Vec<u8>, Fail> {
    let resp = link.send(&cmd::internal_auth(0, challenge))?;
    let chip = link.send(&cmd::get_data(nhi_protocol::apdu::tag::CARD_ID))?;
    Ok([chip.data, resp.data].concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A card that answers from a script and records what it was sent.
    pub(crate) struct Scripted {
        pub answers: VecDeque<Vec<u8>>,
        pub sent: Vec<Vec<u8>>,
    }

    impl Scripted {
        pub fn new(answers: &[&[u8]]) -> Scripted {
            Scripted {
                answers: answers.iter().map(|a| a.to_vec()).collect(),
                sent: Vec::new(),
            }
        }
    }

    impl Link for Scripted {
        fn send(&mut self, apdu: &[u8]) -> Result<Response, Fail> {
            self.sent.push(apdu.to_vec());
            let r = self
                .answers
                .pop_front()
                .ok_or_else(|| Fail::code(StatusCode::NoCard))?;
            Ok(Response::from_bytes(&r))
        }
    }

    #[test]
    fn select_tells_a_missing_application_from_other_refusals() {
        let mut card = Scripted::new(&[&[0x6A, 0x82], &[0x69, 0x85], &[0x90, 0]]);
        let aid = nhi_protocol::apdu::AID_HC;
        let e = select(&mut card, aid, StatusCode::HcMode1).unwrap_err();
        assert_eq!(e.code, StatusCode::SelectAppletFailed);
        let e = select(&mut card, aid, StatusCode::HcMode1).unwrap_err();
        assert_eq!(e.code, StatusCode::HcMode1);
        select(&mut card, aid, StatusCode::HcMode1).unwrap();
        assert_eq!(card.sent[0], cmd::select(aid));
    }

    #[test]
    fn a_wrong_hpc_pin_carries_the_tries_left_and_a_blocked_one_does_not() {
        let mut card = Scripted::new(&[&[0x63, 0xC2], &[0x69, 0x83]]);
        let e = hpc::verify_pin(&mut card, "123456").unwrap_err();
        assert_eq!((e.code, e.tries_left), (StatusCode::HpcPinFailed, Some(2)));
        let e = hpc::verify_pin(&mut card, "123456").unwrap_err();
        assert_eq!((e.code, e.tries_left), (StatusCode::HpcPinFailed, None));
    }

    #[test]
    fn the_certificate_is_read_in_256_byte_chunks_until_a_short_one() {
        let mut full = vec![7u8; 256];
        full.extend_from_slice(&[0x90, 0]);
        let mut card = Scripted::new(&[&full, &[1, 2, 0x90, 0]]);
        let cert = hpc::certificate(&mut card).unwrap();
        assert_eq!(cert.len(), 258);
        assert_eq!(card.sent[1], cmd::read_binary(256));
        let mut empty = Scripted::new(&[&[0x6A, 0x82]]);
        let e = hpc::certificate(&mut empty).unwrap_err();
        assert_eq!(e.code, StatusCode::HcaCertNoIssuer);
    }

    #[test]
    fn undecodable_card_data_is_the_operations_card_failure() {
        let mut card = Scripted::new(&[&[1, 2, 3, 0x90, 0]]);
        let e = hpc::basic(&mut card, StatusCode::HpcMode1).unwrap_err();
        assert_eq!(e.code, StatusCode::HpcMode1);
        let mut card = Scripted::new(&[&[1, 0x90, 0]]);
        let e = hc::pin_state(&mut card).unwrap_err();
        assert_eq!(e.code, StatusCode::HcMode2);
        let mut sam = Scripted::new(&[&[0x90, 0], &[b'x', 0x90, 0]]);
        let e = sam::identify(&mut sam).err().map(|f| f.code);
        assert_eq!(e, Some(StatusCode::SamMode1));
    }
}
