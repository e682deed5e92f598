//! A pilot site at the start of its clinic day: its SAM and doctor in the readers, the
//! SUT initialised and its SAM verified, and the locums' cards kept aside.

use super::population::{hpc_holders, PilotFixtures, Site};
use crate::world::World;
use nhi_emulator::card::{Card, Hpc};
use nhi_emulator::clock::Clock;
use nhi_protocol::api::path;
use nhi_protocol::StatusCode;
use serde_json::json;

/// A site's cards, kept across its cases (PIN state lives in the card).
pub struct SiteCards {
    /// When the SUT last verified the SAM (the DC's SAM session lasts 8 h).
    pub(super) sam_verified_at: i64,
    /// The doctor's card while a locum's is in the reader.
    pub(super) doctor: Option<Box<dyn Card>>,
    /// A locum whose certificate the DC revoked.
    pub(super) locum_revoked: Hpc,
    /// A locum whose certificate expired before the pilot.
    pub(super) locum_expired: Hpc,
    pub(super) doctor_pin: String,
    pub(super) doctor_puk: String,
    pub(super) locum_pin: String,
}

/// Prepares a site: its SAM and doctor in the readers, Initial and SAM verification.
pub async fn setup_site(
    w: &World,
    pf: &PilotFixtures,
    si: usize,
    site: &Site,
) -> Result<SiteCards, String> {
    let f = &pf.fixtures;
    let h = f.hospital(site.hospital_id).map_err(|e| e.to_string())?;
    w.slots.hc.remove();
    w.insert(&w.slots.sam, Box::new(w.factory.sam(h)?)).await?;
    let [doc, rev, exp] = hpc_holders(si, site)?;
    let doctor = w.factory.hpc(&doc, (si * 10 + 1) as u64)?;
    let mut locum_revoked = w.factory.hpc(&rev, (si * 10 + 2) as u64)?;
    let locum_expired = w.factory.hpc(&exp, (si * 10 + 3) as u64)?;
    // Revoke locum B's certificate at the DC (read it from the card as a client would).
    let serial = nhi_emulator::control::hpc_cert_serial(&mut locum_revoked)
        .ok_or("locum certificate unreadable")?;
    w.dc.dc.revoke_cert(&serial).map_err(|e| e.reason)?;
    w.insert(&w.slots.hpc, Box::new(doctor)).await?;
    // Release whatever a previous site left open; any answer will do.
    w.sut.call("POST", path::FINALIZE, Some(json!({}))).await;
    for (name, p) in [
        ("Initial", path::INITIAL),
        ("SAM Verification", path::SAM_VERIFY),
    ] {
        let x = w.sut.call("POST", p, Some(json!({}))).await;
        if x.code() != Some(StatusCode::Success) {
            return Err(format!("site {}: {name} answered {:?}", site.key, x.reply));
        }
    }
    Ok(SiteCards {
        sam_verified_at: w.clock.now(),
        doctor: None,
        locum_revoked,
        locum_expired,
        doctor_pin: doc.pin,
        doctor_puk: doc.puk,
        locum_pin: rev.pin,
    })
}
