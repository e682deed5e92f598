//! World events a test script asks for — a phone activating a virtual card, an
//! institution's standing changing, a cloud SAM file or mobile HCA credential being issued,
//! a certificate revoked, a phone lost — done on the DC directly. The harness uses these
//! in-process; the control API offers the same to a harness in another process.

use crate::clock::VirtualClock;
use crate::dc::Dc;
use crate::fixtures::{CardFactory, Fixtures};
use nhi_protocol::token::TokenAlg;

/// Activates a phone for a person (unless `token_only`), moves the clock one second on
/// and returns a fresh ES256 QR token of that phone.
pub fn virtual_card(
    dc: &Dc,
    clock: &VirtualClock,
    fixtures: &Fixtures,
    person: &str,
    phone: &str,
    token_only: bool,
) -> Result<String, String> {
    let p = fixtures.person(person).map_err(|e| e.to_string())?;
    if !token_only {
        dc.admin_activate(phone, &p.card_no).map_err(|e| e.reason)?;
    }
    clock.advance(1);
    let t = dc
        .token(phone, TokenAlg::Es256)
        .map_err(|e| format!("token: {}", e.reason))?;
    Ok(t.token)
}

/// Sets an institution's standing; `contract_expired` puts the contract end one second in
/// the past (or ten years ahead when false).
pub fn standing(
    dc: &Dc,
    now: i64,
    hospital: &str,
    suspended: Option<bool>,
    revoked: Option<bool>,
    contract_expired: Option<bool>,
) -> Result<(), String> {
    let to = contract_expired.map(|e| if e { now - 1 } else { now + 10 * 365 * 86_400 });
    dc.set_hospital(hospital, suspended, revoked, to)
        .map(|_| ())
        .map_err(|e| e.reason)
}

/// A mobile HCA credential of an HPC holder for an institution.
pub fn hca_credential(
    dc: &Dc,
    fixtures: &Fixtures,
    hpc: &str,
    hospital: &str,
) -> Result<String, String> {
    let holder = fixtures.hpc(hpc).map_err(|e| e.to_string())?;
    let cred = nhi_protocol::dc::msg::HcaCredential {
        hospital_id: hospital.to_string(),
        hpc_id: holder.card_id.clone(),
        id_no: holder.id_no.clone(),
        name: holder.name.clone(),
    };
    Ok(dc.hca_issue(&cred).map_err(|e| e.reason)?.credential)
}

/// Revokes the certificate on an HPC holder's card (read from a card made like theirs).
pub fn revoke_hpc_cert(
    dc: &Dc,
    factory: &CardFactory,
    fixtures: &Fixtures,
    hpc: &str,
) -> Result<(), String> {
    let mut card = crate::control::make_card(factory, fixtures, "hpc", Some(hpc))?;
    let serial = crate::control::hpc_cert_serial(card.as_mut()).ok_or("certificate unreadable")?;
    dc.revoke_cert(&serial).map(|_| ()).map_err(|e| e.reason)
}
