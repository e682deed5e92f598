//! One pilot case: the valid visit as named phases (registration, activation with the
//! physical card, token verification, basic data, HPC login, signatures, upload, logout),
//! with the case's failure class injected where it belongs (see `failures.rs`).
//!
//! A phase returns Err only when the case cannot be played as planned (a card, a reader
//! or the DC's settings could not be prepared); what the SUT or the DC answered is
//! always recorded as a check instead.

use super::plan::FailureClass;
use super::population::{PilotPerson, Site};
use super::record::{CaseResult, Recorder};
use super::site::SiteCards;
use crate::client::{Exchange, SutClient};
use crate::truth::{operation, Truth};
use crate::world::World;
use nhi_emulator::clock::Clock;
use nhi_emulator::fixtures::Fixtures;
use nhi_protocol::api::path;
use nhi_protocol::dc::msg::{RegisterRequest, TokenIssueReply, TokenIssueRequest};
use nhi_protocol::dc::path as dc_path;
use nhi_protocol::ident::roc_datetime;
use nhi_protocol::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// A case being played: who, where, which failure, and what was recorded.
pub(super) struct Visit<'a> {
    pub rec: Recorder<'a>,
    pub w: &'a World,
    pub cards: &'a mut SiteCards,
    /// Partner devices of other institutions, by hospital id (started on first use).
    pub partners: &'a mut HashMap<String, SutClient>,
    pub p: &'a PilotPerson,
    pub site: &'a Site,
    /// The institution a cross-hospital transfer comes from.
    pub other_hospital: &'a str,
    pub failure: Option<FailureClass>,
    /// What the world knows: every successful SUT reply is checked against it.
    pub truth: Truth<'a>,
}

/// Runs one case.
#[allow(clippy::too_many_arguments)]
pub async fn run_case(
    w: &World,
    fixtures: &Fixtures,
    partners: &mut HashMap<String, SutClient>,
    cards: &mut SiteCards,
    p: &PilotPerson,
    id: String,
    site: &Site,
    other_hospital: &str,
    failure: Option<FailureClass>,
) -> CaseResult {
    let mut truth = Truth::new(fixtures, &w.factory);
    // The person's physical card (activation, failure classes) and the site's HPCs.
    truth.inserted("hc", Some(&p.person.id_no));
    for h in &fixtures.hpcs {
        truth.inserted("hpc", Some(&h.card_id));
    }
    let mut v = Visit {
        rec: Recorder::new(w),
        truth,
        w,
        cards,
        partners,
        p,
        site,
        other_hospital,
        failure,
    };
    let outcome = v.play().await;
    v.rec.finish(outcome, id, site, p, failure)
}

/// The SAM's answer to a signature request, as the DC's SAM authentication fields.
fn sam_auth(sig: &Exchange) -> Value {
    let r = &sig.reply;
    json!({ "samId": r["samId"], "hospitalId": r["hospitalId"], "clientRandom": r["clientRandom"],
            "serviceType": r["serviceType"], "signature": r["signature"] })
}

impl Visit<'_> {
    /// The whole visit; Ok(true) when the valid flow completed.
    async fn play(&mut self) -> Result<bool, String> {
        use FailureClass as F;
        self.w.clock.advance(60);
        self.renew_sam_session_when_due().await;
        if self.failure == Some(F::RegistrationRefused) {
            self.registration_refused().await?;
        }
        self.register().await;
        if self.failure != Some(F::NotActivated) {
            let production = self.failure == Some(F::ProductionCard);
            if !self.activate(production).await? {
                let name = "SUT still serves after the refused card";
                self.sut(name, "GET", path::STATUS, None, StatusCode::Success)
                    .await;
                return Ok(false);
            }
        }
        self.w.clock.advance(600);
        if self.failure == Some(F::ContractExpired) {
            self.contract_expired().await?;
        }
        let tok = self.token().await?;
        self.w.clock.advance(5);
        let tok = self.verify_phase(tok).await?;
        self.w.clock.advance(5);
        self.read_basic(&tok).await;
        self.hpc_phase().await?;
        let hpc_id = self.sign_all().await;
        self.upload(hpc_id).await;
        self.write_back().await;
        self.logout().await;
        Ok(true)
    }

    /// Calls the SUT and checks the status code.
    pub async fn sut(
        &mut self,
        name: &str,
        method: &str,
        p: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> Exchange {
        let x = self.rec.sut(name, method, p, body.clone(), want).await;
        if x.code() == Some(StatusCode::Success) {
            if let Some(op) = operation(method, p) {
                let notes = self.truth.check(op, body.as_ref(), &x.reply);
                self.rec.check(notes.is_empty(), || notes.join("; "));
            }
        }
        x
    }

    /// Verifies a QR token at the SUT.
    pub async fn verify(&mut self, name: &str, tok: &str, want: StatusCode) -> Exchange {
        let body = json!({ "token": tok });
        self.sut(name, "POST", path::HC_VIRTUAL_VERIFY, Some(body), want)
            .await
    }

    /// A new clinic session when the last SAM verification is 6 h old: the DC's SAM
    /// session lasts 8 h, so the HIS verifies again.
    async fn renew_sam_session_when_due(&mut self) {
        if self.w.clock.now() - self.cards.sam_verified_at <= 6 * 3600 {
            return;
        }
        let ok = StatusCode::Success;
        let name = "SAM logout at the end of a clinic session";
        self.sut(name, "DELETE", path::SAM_LOGOUT, None, ok).await;
        let name = "SAM verification for a new clinic session";
        self.sut(name, "POST", path::SAM_VERIFY, Some(json!({})), ok)
            .await;
        self.cards.sam_verified_at = self.w.clock.now();
    }

    /// The app's registration of the person's card; the DC makes the double-ID photo and
    /// counter checks itself.
    pub(super) fn registration(&self) -> RegisterRequest {
        let p = &self.p.person;
        RegisterRequest {
            phone_id: self.p.phone.clone(),
            card_no: p.card_no.clone(),
            id_no: p.id_no.clone(),
            photo_check: true,
            counter_check: true,
        }
    }

    /// The phone app registers the card (double-ID photo, counter identity check).
    async fn register(&mut self) {
        let body = self.registration();
        let name = "app registration (double-ID photo + counter identity check)";
        self.rec
            .dc(name, dc_path::VC_REGISTER, &body, StatusCode::Success)
            .await;
    }

    /// Activation with the physical card at the counter. A production card must be
    /// refused (1003); Ok(false) then, and the visit ends.
    pub async fn activate(&mut self, production: bool) -> Result<bool, String> {
        let (w, p) = (self.w, self.p);
        let card = w.factory.hc(&p.person)?;
        w.insert(&w.slots.hc, Box::new(card)).await?;
        let want = if production {
            StatusCode::TestProductionMixed
        } else {
            StatusCode::Success
        };
        let name = "read physical card at the counter";
        let x = self.sut(name, "GET", path::HC_BASIC, None, want).await;
        if production {
            w.slots.hc.remove();
            return Ok(false);
        }
        self.rec
            .check(x.reply["cardId"] == json!(p.person.card_no), || {
                format!("cardId {} != {}", x.reply["cardId"], p.person.card_no)
            });
        let name = "SAM signature for activation";
        let body = json!({ "serviceType": "01" });
        let sig = self
            .sut(
                name,
                "POST",
                path::SAM_SIGNATURE,
                Some(body),
                StatusCode::Success,
            )
            .await;
        let mut body = sam_auth(&sig);
        body["phoneId"] = json!(p.phone);
        body["hcId"] = json!(p.person.card_no);
        let name = "activate virtual card (one phone one card)";
        self.rec
            .dc(name, dc_path::VC_ACTIVATE, &body, StatusCode::Success)
            .await;
        w.slots.hc.remove();
        let name = "HC logout after activation";
        self.sut(name, "DELETE", path::HC_LOGOUT, None, StatusCode::Success)
            .await;
        Ok(true)
    }

    /// The phone shows a fresh QR token (one second later than the last).
    pub async fn token(&mut self) -> Result<String, String> {
        self.w.clock.advance(1);
        let body = TokenIssueRequest {
            phone_id: self.p.phone.clone(),
            alg: None,
        };
        let name = "phone shows a QR token";
        let x = self
            .rec
            .dc(name, dc_path::VC_TOKEN, &body, StatusCode::Success)
            .await;
        let token = TokenIssueReply::deserialize(&x.reply)
            .map(|r| r.token)
            .map_err(|e| format!("the DC gave the phone no token ({e}): {}", x.reply))?;
        self.truth.token(&self.p.person.id_no, &token)?;
        Ok(token)
    }

    /// Reads the virtual card's basic data (the token is not consumed) and checks it.
    async fn read_basic(&mut self, tok: &str) {
        let p = &self.p.person;
        let name = "read virtual basic data (token not consumed)";
        let body = json!({ "token": tok });
        let rb = self
            .sut(
                name,
                "POST",
                path::HC_VIRTUAL_READ,
                Some(body),
                StatusCode::Success,
            )
            .await;
        self.rec.check(
            rb.reply["name"] == json!(p.name)
                && rb.reply["idNo"] == json!(p.id_no)
                && rb.reply["birthday"] == json!(p.birthday),
            || format!("basic data {} does not match the person", rb.reply),
        );
        let name = "HC basic data of the virtual card";
        let hb = self
            .sut(name, "GET", path::HC_BASIC, None, StatusCode::Success)
            .await;
        self.rec.check(
            hb.reply["cardId"] == json!(p.card_no)
                && hb.reply.get("dateIssue").is_none_or(Value::is_null),
            || {
                format!(
                    "virtual HC basic data {}: card id must match and no issue date",
                    hb.reply
                )
            },
        );
    }

    /// The doctor's HPC PIN verification.
    pub async fn doctor_pin(&mut self, name: &str) {
        let body = json!({ "pin": self.cards.doctor_pin });
        self.sut(
            name,
            "POST",
            path::HPC_VERIFY,
            Some(body),
            StatusCode::Success,
        )
        .await;
    }

    /// The HPC, HC and three-card signatures, field-checked; the HPC id for the upload.
    async fn sign_all(&mut self) -> Value {
        let p = &self.p.person;
        let ok = StatusCode::Success;
        let service = || Some(json!({ "serviceType": "01" }));
        let hs = self
            .sut("HPC signature", "POST", path::HPC_SIGNATURE, service(), ok)
            .await;
        self.rec.check(
            hs.reply["signature"]
                .as_str()
                .is_some_and(|s| s.len() >= 340),
            || "HPC signature missing or not RSA-2048".into(),
        );
        let hcs = self
            .sut("HC signature", "POST", path::HC_SIGNATURE, service(), ok)
            .await;
        self.rec.check(
            hcs.reply["hcId"] == json!(p.card_no) && hcs.reply["clientRandom"].is_string(),
            || format!("HC signature fields {}", hcs.reply),
        );
        let name = "three-card signature";
        let three = self
            .sut(name, "POST", path::HPC_HC_SIGNATURE, service(), ok)
            .await;
        self.rec.check(
            three.reply["hpcId"].is_string() && three.reply["hcIdNo"] == json!(p.id_no),
            || format!("three-card signature fields {}", three.reply),
        );
        three.reply["hpcId"].clone()
    }

    /// Pricing and dispensing happen in the HIS (the fee depends on the identity status);
    /// the HIS uploads the visit with the special code, authenticated by the SAM.
    async fn upload(&mut self, hpc_id: Value) {
        let p = &self.p.person;
        let copay = match p.identity_status.as_str() {
            "1" | "4" | "8" => 0,
            _ => 50,
        };
        let visit = json!({ "fee": 150 + copay, "copay": copay,
                            "drugs": [{ "code": "A000000100", "days": 7 }], "site": self.site.key });
        let name = "SAM signature for the upload";
        let body = json!({ "serviceType": "02" });
        let sig = self
            .sut(
                name,
                "POST",
                path::SAM_SIGNATURE,
                Some(body),
                StatusCode::Success,
            )
            .await;
        self.rec.check(
            sig.reply["clientRandom"].is_string() && sig.reply["samId"] == json!(self.site.sam_id),
            || format!("SAM signature fields {}", sig.reply),
        );
        let mut up = sam_auth(&sig);
        up["specialCode"] = json!("VC19");
        up["hcId"] = json!(p.card_no);
        up["hpcId"] = hpc_id;
        up["visit"] = visit;
        let name = "upload the visit with the special code";
        self.rec
            .dc(name, dc_path::UPLOAD, &up, StatusCode::Success)
            .await;
    }

    /// The visit written back to the virtual card (the DC's record, seed 001 寫回) and read
    /// back: the person's first visit in the pilot is sequence 0001 with 5 visits left, and
    /// the record holds what was written, at the site's institution.
    async fn write_back(&mut self) {
        let p = &self.p.person;
        let copay = if matches!(p.identity_status.as_str(), "1" | "4" | "8") {
            0
        } else {
            50
        };
        let fee = 150 + copay;
        let visit_time = roc_datetime(self.w.clock.now());
        let body = json!({ "visitTime": visit_time, "diagnosis": "J06.9",
                           "fee": fee.to_string(), "copay": copay.to_string() });
        let ok = StatusCode::Success;
        let name = "write the visit back to the virtual card";
        let x = self.sut(name, "POST", path::HC_VISIT, Some(body), ok).await;
        self.rec.check(
            x.reply["seqNo"] == json!("0001") && x.reply["visitsLeft"] == json!(5),
            || {
                format!(
                    "first visit of the person: seqNo 0001, 5 left, not {}",
                    x.reply
                )
            },
        );
        let name = "read the visit back";
        let r = self.sut(name, "GET", path::HC_INSURANCE, None, ok).await;
        let want = json!({ "seqNo": "0001", "visitTime": visit_time,
                           "hospitalId": self.site.hospital_id, "diagnosis": "J06.9",
                           "diagnosis2": "", "fee": fee, "copay": copay });
        self.rec.check(
            r.reply["lastSeqNo"] == json!("0001")
                && r.reply["identityStatus"] == json!(p.identity_status)
                && r.reply["visits"] == json!([want]),
            || format!("insurance data {} does not hold the visit {want}", r.reply),
        );
    }

    /// HC and HPC logout at the end of the visit.
    async fn logout(&mut self) {
        let ok = StatusCode::Success;
        self.sut("HC logout", "DELETE", path::HC_LOGOUT, None, ok)
            .await;
        self.sut("HPC logout", "DELETE", path::HPC_LOGOUT, None, ok)
            .await;
    }
}
