//! Card clients: the NHI card procedures as typed calls over a [`Link`], built from
//! nhi-protocol's APDU builders. They hold no device state; the caller picks the reader
//! and the status codes a failure maps to where the operation decides them.

pub mod hc;
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
