//! The world's ground truth for replies: what the emulated cards and the DC know, checked
//! against every successful reply, whatever the scenario or pilot step asked for.
//!
//! Basic data is compared field by field with the person, holder or institution in play
//! (not only for presence), and every signature is verified with the emulated card's
//! public key over the exact bytes the seed's flow implies (`nhi_protocol::dc::
//! signature_input` for SAM and HPC; card part ‖ clientRandom ‖ serviceType ‖ hcId
//! [‖ hpcId] for the HC and the three-card signature, the card part being the physical
//! HC's signature or the virtual HC's token serial, 8 bytes big-endian). A SUT that signs other bytes, or
//! answers another person's data, fails the step with a note saying which field.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_emulator::card::{card_key, chip_id};
use nhi_emulator::crypto::{hmac256, rsa_verify, RsaPool};
use nhi_emulator::fixtures::{CardFactory, Fixtures, HpcHolder, Person};
use nhi_protocol::dc::signature_input;
use nhi_protocol::mode::Operation as Op;
use serde_json::Value;
use std::sync::OnceLock;

/// What is in play in one run: the cards inserted, the virtual cards and mobile HCA
/// credentials handed out. A reply about anyone else is wrong.
pub struct Truth<'a> {
    fixtures: &'a Fixtures,
    masters: ([u8; 32], [u8; 32]),
    token_key: [u8; 16],
    physical_hc: Vec<Person>,
    virtual_hc: Vec<(Person, u32)>,
    hpcs: Vec<HpcHolder>,
    /// Every clientRandom a signature reply carried: one that comes again is not random
    /// (8 random bytes repeat by chance about once in 2⁶⁴ pairs).
    randoms: std::collections::HashSet<Vec<u8>>,
}

/// The card-key pool, parsed once per process (the emulator's cards sign with it).
fn pool() -> Result<&'static RsaPool, String> {
    static POOL: OnceLock<Result<RsaPool, String>> = OnceLock::new();
    POOL.get_or_init(RsaPool::load)
        .as_ref()
        .map_err(Clone::clone)
}

impl<'a> Truth<'a> {
    /// Nothing in play yet.
    pub fn new(fixtures: &'a Fixtures, factory: &CardFactory) -> Truth<'a> {
        let s = factory.secrets();
        Truth {
            fixtures,
            masters: (s.card_master_test, s.card_master_production),
            token_key: s.token_payload_key,
            physical_hc: Vec::new(),
            virtual_hc: Vec::new(),
            hpcs: Vec::new(),
            randoms: std::collections::HashSet::new(),
        }
    }

    /// A card went into a reader (`kind` as in scenarios: `hc`, `hpc-bad-sign`, …; the
    /// person key as given, none meaning the fixtures' first).
    pub fn inserted(&mut self, kind: &str, person: Option<&str>) {
        let f = self.fixtures;
        if kind.starts_with("hc") {
            let p = match person {
                Some(k) => f.person(k).ok(),
                None => f.people.first(),
            };
            self.physical_hc.extend(p.cloned());
        } else if kind.starts_with("hpc") || kind == "doctor" {
            let h = match person {
                Some(k) => f.hpc(k).ok(),
                None => f.hpcs.first(),
            };
            self.hpcs.extend(h.cloned());
        }
    }

    /// A mobile HCA credential for a holder was handed out.
    pub fn mobile_holder(&mut self, hpc: &str) {
        self.hpcs.extend(self.fixtures.hpc(hpc).ok().cloned());
    }

    /// A virtual card's QR token was handed out: its serial is what the HC signature covers.
    pub fn token(&mut self, person: &str, token: &str) -> Result<(), String> {
        let p = self
            .fixtures
            .person(person)
            .map_err(|e| e.to_string())?
            .clone();
        let parts = nhi_protocol::token::split(token)
            .map_err(|c| format!("the DC's token does not split ({})", c.code()))?;
        let plain =
            nhi_emulator::token::decrypt_payload(&self.token_key, &parts.iv, &parts.ciphertext)
                .map_err(|c| format!("the DC's token does not decrypt ({})", c.code()))?;
        let payload = nhi_protocol::token::Payload::decode(&plain)
            .map_err(|c| format!("the DC's token payload does not decode ({})", c.code()))?;
        self.virtual_hc.push((p, payload.serial));
        Ok(())
    }

    /// The DC gave the holder of card `old` a new card number (replacement or
    /// re-application): replies about that person carry `new` from now on.
    pub fn card_replaced(&mut self, old: &str, new: &str) {
        let people = self.physical_hc.iter_mut();
        for p in people.chain(self.virtual_hc.iter_mut().map(|(p, _)| p)) {
            if p.card_no == old {
                p.card_no = new.to_string();
            }
        }
    }

    /// What is wrong with a successful reply of `op` (empty when nothing is).
    pub fn check(&mut self, op: Op, request: Option<&Value>, reply: &Value) -> Vec<String> {
        let mut notes = Vec::new();
        match op {
            Op::HcBasic | Op::HcVirtualVerify | Op::HcVirtualReadBasic | Op::HcTransferImport => {
                self.hc_basic(reply, &mut notes)
            }
            Op::HpcBasic => self.hpc_basic(reply, &mut notes),
            Op::SamBasic => self.sam_basic(reply, &mut notes),
            Op::SamSignature | Op::HpcSignature | Op::HcSignature | Op::HpcHcSignature => {
                self.signature(op, request, reply, &mut notes)
            }
            _ => {}
        }
        notes
    }

    fn hc_basic(&self, r: &Value, notes: &mut Vec<String>) {
        let Some(id) = r["idNo"].as_str() else {
            notes.push("idNo missing".into());
            return;
        };
        let physical = self.physical_hc.iter().find(|p| p.id_no == id);
        let virtual_ = self.virtual_hc.iter().find(|(p, _)| p.id_no == id);
        let Some(p) = physical.or(virtual_.map(|(p, _)| p)) else {
            notes.push(format!("idNo {id}: no card in play holds this person"));
            return;
        };
        let want = [
            ("cardId", &p.card_no),
            ("name", &p.name),
            ("birthday", &p.birthday),
            ("sex", &p.sex),
        ];
        field_notes(r, &want, notes);
        if let Some(s) = r.get("identityStatus").filter(|v| !v.is_null()) {
            if s.as_str() != Some(p.identity_status.as_str()) {
                notes.push(format!(
                    "identityStatus: the card says {}, got {s}",
                    p.identity_status
                ));
            }
        }
        let issued = r.get("dateIssue").filter(|v| !v.is_null());
        match (issued, physical.is_some(), virtual_.is_some()) {
            (Some(d), true, _) if d.as_str() != Some(p.issue_date.as_str()) => notes.push(format!(
                "dateIssue: the card says {}, got {d}",
                p.issue_date
            )),
            (Some(d), false, true) => {
                notes.push(format!("dateIssue {d} on a virtual card (it has none)"))
            }
            (None, true, false) => notes.push(format!(
                "dateIssue missing (the card says {})",
                p.issue_date
            )),
            _ => {}
        }
    }

    fn hpc_basic(&self, r: &Value, notes: &mut Vec<String>) {
        let Some(card) = r["cardId"].as_str() else {
            notes.push("cardId missing".into());
            return;
        };
        let Some(h) = self.hpcs.iter().find(|h| h.card_id == card) else {
            notes.push(format!("cardId {card}: no HPC or credential in play"));
            return;
        };
        field_notes(r, &[("idNo", &h.id_no), ("cName", &h.name)], notes);
        // A mobile HCA carries no English name: empty, or the card's.
        match r["eName"].as_str() {
            Some(e) if e.is_empty() || e == h.name_en => {}
            other => notes.push(format!("eName: the card says {}, got {other:?}", h.name_en)),
        }
    }

    fn sam_basic(&self, r: &Value, notes: &mut Vec<String>) {
        let Some(sam) = r["samId"].as_str() else {
            notes.push("samId missing".into());
            return;
        };
        let Ok(h) = self.fixtures.hospital(sam) else {
            notes.push(format!("samId {sam:?}: no such SAM in the world"));
            return;
        };
        field_notes(r, &[("hospitalId", &h.id)], notes);
        for (k, want) in [
            ("hospitalName", &h.name),
            ("hospitalShortName", &h.short_name),
        ] {
            if let Some(v) = r.get(k).filter(|v| !v.is_null()) {
                if v.as_str() != Some(want.as_str()) {
                    notes.push(format!("{k}: the DC says {want}, got {v}"));
                }
            }
        }
    }

    fn signature(&mut self, op: Op, request: Option<&Value>, r: &Value, notes: &mut Vec<String>) {
        let ids: &[&str] = match op {
            Op::HpcSignature => &["hpcId", "hpcIdNo"],
            Op::HcSignature => &["hcId", "hcIdNo"],
            Op::HpcHcSignature => &["hpcId", "hpcIdNo", "hcId", "hcIdNo"],
            _ => &[],
        };
        let required = [
            "samId",
            "hospitalId",
            "serviceType",
            "clientRandom",
            "signature",
        ];
        let missing: Vec<String> = required
            .iter()
            .chain(ids)
            .filter(|k| !r[**k].is_string())
            .map(|k| format!("{k} missing"))
            .collect();
        if !missing.is_empty() {
            notes.extend(missing);
            return;
        }
        self.signature_bytes(op, request, r, notes);
    }

    /// The signature of a reply whose fields are all there.
    fn signature_bytes(
        &mut self,
        op: Op,
        request: Option<&Value>,
        r: &Value,
        notes: &mut Vec<String>,
    ) {
        // Every field read here was checked to be a string by `signature`.
        let text = |k: &str| match r[k].as_str() {
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let (sam, hospital, service) = (text("samId"), text("hospitalId"), text("serviceType"));
        match self.fixtures.hospital(&sam) {
            Ok(h) if h.id == hospital => {}
            Ok(h) => notes.push(format!(
                "hospitalId: SAM {sam} is {}'s, got {hospital}",
                h.id
            )),
            Err(_) => notes.push(format!("samId {sam:?}: no such SAM in the world")),
        }
        if let Some(asked) = request.and_then(|b| b["serviceType"].as_str()) {
            if asked != service {
                notes.push(format!("serviceType: asked {asked}, got {service:?}"));
            }
        }
        let Some(cr) = r["clientRandom"].as_str().and_then(|c| B64.decode(c).ok()) else {
            notes.push("clientRandom missing or not base64".into());
            return;
        };
        if !self.randoms.insert(cr.clone()) {
            notes.push(format!(
                "clientRandom {} came in an earlier signature reply too: it is not random",
                r["clientRandom"]
            ));
        }
        let Some(sig) = r["signature"].as_str().and_then(|c| B64.decode(c).ok()) else {
            notes.push("signature missing or not base64".into());
            return;
        };
        let hpc = match op {
            Op::HpcSignature | Op::HpcHcSignature => {
                let card = text("hpcId");
                match self.hpcs.iter().find(|h| h.card_id == card) {
                    Some(h) => {
                        field_notes(r, &[("hpcIdNo", &h.id_no)], notes);
                        Some(card)
                    }
                    None => {
                        notes.push(format!("hpcId {card:?}: no HPC in play"));
                        return;
                    }
                }
            }
            _ => None,
        };
        let inputs: Vec<Vec<u8>> = match op {
            Op::SamSignature | Op::HpcSignature => vec![signature_input(
                &cr,
                &service,
                &hospital,
                &sam,
                hpc.as_deref(),
            )],
            _ => {
                let hc_id = text("hcId");
                let parts = self.hc_parts(&hc_id, &cr, &service, &text("hcIdNo"), notes);
                parts
                    .into_iter()
                    .map(|part| {
                        let mut v =
                            [&part[..], &cr[..], service.as_bytes(), hc_id.as_bytes()].concat();
                        if let Some(h) = &hpc {
                            v.extend_from_slice(h.as_bytes());
                        }
                        v
                    })
                    .collect()
            }
        };
        // The SAM signs the SAM and HC signatures, the HPC the HPC and three-card ones.
        let signer = hpc.clone().unwrap_or(sam);
        let key = match pool() {
            Ok(p) => p.for_identity(&signer).0.public_key_der(),
            Err(e) => {
                notes.push(format!("the card-key pool does not load: {e}"));
                return;
            }
        };
        if !inputs.iter().any(|m| rsa_verify(&key, m, &sig)) {
            notes.push(format!(
                "signature does not verify with {signer}'s public key over the bytes the seed's flow implies"
            ));
        }
    }

    /// The card parts an HC signature may cover for card `hc_id`: the physical card's own
    /// signature over clientRandom ‖ serviceType, or a virtual card's token serial.
    fn hc_parts(
        &self,
        hc_id: &str,
        cr: &[u8],
        service: &str,
        id_no: &str,
        notes: &mut Vec<String>,
    ) -> Vec<Vec<u8>> {
        let mut parts = Vec::new();
        for p in self.physical_hc.iter().filter(|p| p.card_no == hc_id) {
            let master = if hc_id.starts_with('9') {
                &self.masters.0
            } else {
                &self.masters.1
            };
            let key = card_key(master, &chip_id(&p.card_no));
            let input = [cr, service.as_bytes()].concat();
            parts.push(hmac256(&key, &[b"sign", &input]).to_vec());
        }
        // A virtual card's part is its token serial as 8 bytes big-endian; a card imported
        // by transfer carries no token of this device and signs with serial 0.
        for (_, serial) in self.virtual_hc.iter().filter(|(p, _)| p.card_no == hc_id) {
            parts.push(u64::from(*serial).to_be_bytes().to_vec());
            parts.push(0u64.to_be_bytes().to_vec());
        }
        let holder = self
            .physical_hc
            .iter()
            .chain(self.virtual_hc.iter().map(|(p, _)| p))
            .find(|p| p.card_no == hc_id);
        match holder {
            Some(p) if p.id_no != id_no => notes.push(format!(
                "hcIdNo: card {hc_id} is {}'s, got {id_no:?}",
                p.id_no
            )),
            Some(_) => {}
            None => notes.push(format!("hcId {hc_id:?}: no HC in play")),
        }
        parts
    }
}

/// Notes for string fields that differ from the world's values.
fn field_notes(r: &Value, want: &[(&str, &String)], notes: &mut Vec<String>) {
    for (k, w) in want {
        match r.get(*k).and_then(Value::as_str) {
            Some(got) if got == w.as_str() => {}
            got => notes.push(format!("{k}: the world says {w}, got {got:?}")),
        }
    }
}

/// The operation a Web API call runs (None for settings and status calls).
pub fn operation(method: &str, path: &str) -> Option<Op> {
    let m = nhi_protocol::api::Method::parse(method)?;
    match nhi_protocol::api::endpoints::find(m, path)?.action {
        nhi_protocol::api::Action::Op(op) => Some(op),
        _ => None,
    }
}
