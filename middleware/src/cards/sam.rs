//! The physical SAM: identity, the card check, its side of the DC handshake, signing and
//! token decryption.

use super::Link;
use crate::error::Fail;
use nhi_protocol::apdu::{cmd, tag, Sw, AID_SAM};
use nhi_protocol::StatusCode;

/// The SAM's identity as its chip holds it.
pub struct SamIdentity {
    /// SAM id (12).
    pub sam_id: String,
    /// Hospital id (10).
    pub hospital_id: String,
}

/// SELECTs the SAM application and reads its identity.
pub fn identify(link: &mut dyn Link) -> Result<SamIdentity, Fail> {
    if !link.send(&cmd::select(AID_SAM))?.is_ok() {
        return Err(Fail::new(
            StatusCode::SelectAppletFailed,
            "SAM application not found",
        ));
    }
    let r = link.send(&cmd::get_data(tag::SAM_INFO))?;
    let unreadable = || Fail::new(StatusCode::SamMode1, "SAM info unreadable");
    if r.data.len() != 22 || !r.data.is_ascii() {
        return Err(unreadable());
    }
    let (sam, hospital) = r.data.split_at(12);
    Ok(SamIdentity {
        sam_id: String::from_utf8(sam.to_vec()).map_err(|_| unreadable())?,
        hospital_id: String::from_utf8(hospital.to_vec()).map_err(|_| unreadable())?,
    })
}

/// Re-SELECTs the SAM application (logout: the next signature needs a new DC handshake).
pub fn reselect(link: &mut dyn Link) -> Result<(), Fail> {
    link.send(&cmd::select(AID_SAM)).map(|_| ())
}

/// An 8-byte challenge for a card (`fail`: the code when the SAM refuses).
pub fn challenge(link: &mut dyn Link, fail: StatusCode) -> Result<Vec<u8>, Fail> {
    let r = link.send(&cmd::get_challenge(8))?;
    if !r.is_ok() {
        return Err(Fail::new(fail, "SAM challenge failed"));
    }
    Ok(r.data)
}

/// Lets the SAM check a card's proof (chip id ‖ answer to the challenge).
pub fn check_card(link: &mut dyn Link, proof: &[u8], fail: StatusCode) -> Result<(), Fail> {
    if !link
        .send(&cmd::external_auth(cmd::external::CARD, proof))?
        .is_ok()
    {
        return Err(Fail::new(fail, "card authentication with the SAM failed"));
    }
    Ok(())
}

/// The SAM's answer to the DC's random: `(samRandom 8, MAC 32)`.
pub fn answer_dc(link: &mut dyn Link, dc_random: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Fail> {
    let r = link.send(&cmd::sam_internal_auth(dc_random))?;
    match r.sw {
        Sw::OK if r.data.len() == 40 => {
            let (random, mac) = r.data.split_at(8);
            Ok((random.to_vec(), mac.to_vec()))
        }
        Sw::BLOCKED => Err(Fail::new(
            StatusCode::SamMode2,
            "SAM locked after repeated failed authentications",
        )),
        // 90 00 with a length other than 40 lands here too: say both.
        sw => Err(Fail::new(
            StatusCode::SamMode2,
            format!(
                "SAM answered {sw} with {} bytes (8 + 32 expected)",
                r.data.len()
            ),
        )),
    }
}

/// Lets the SAM check the DC's proof.
pub fn check_dc(link: &mut dyn Link, proof: &[u8]) -> Result<(), Fail> {
    let r = link.send(&cmd::external_auth(cmd::external::DC, proof))?;
    if !r.is_ok() {
        return Err(Fail::new(
            StatusCode::SamMode2,
            format!("SAM refused the DC proof ({})", r.sw),
        ));
    }
    Ok(())
}

/// Signs with the SAM's key.
pub fn sign(link: &mut dyn Link, data: &[u8]) -> Result<Vec<u8>, Fail> {
    let r = link.send(&cmd::pso_sign(cmd::CLA_PROPRIETARY, data))?;
    if !r.is_ok() {
        return Err(Fail::new(
            StatusCode::SamMode2,
            format!("SAM signature refused ({})", r.sw),
        ));
    }
    Ok(r.data)
}

/// Decrypts a token payload (`iv ‖ ciphertext`).
pub fn decrypt(link: &mut dyn Link, iv_and_ciphertext: &[u8]) -> Result<Vec<u8>, Fail> {
    let r = link.send(&cmd::sam_decrypt(iv_and_ciphertext))?;
    if !r.is_ok() {
        return Err(Fail::new(
            StatusCode::TokenShape,
            "SAM could not decrypt the token",
        ));
    }
    Ok(r.data)
}
