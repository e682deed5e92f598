//! Replays the pilot's cases against a SUT: registration, activation with the physical
//! card, the visit (token verify, read basic, signatures, pricing, dispensing, upload),
//! and each failure class with its recovery.

use super::gen::{hpc_holders, PilotFixtures, PilotPerson, Site};
use super::plan::FailureClass;
use crate::client::{Exchange, SutClient};
use crate::world::World;
use nhi_emulator::card::{Card, Hpc};
use nhi_emulator::clock::Clock;
use nhi_emulator::dc::Fault;
use nhi_protocol::api::path;
use nhi_protocol::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// One checked step.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    /// What the step is.
    pub name: String,
    /// `sut` (the implementation under test) or `dc` (phone app / HIS side).
    pub side: &'static str,
    /// Request line.
    pub request: String,
    /// Expected status code.
    pub expected: String,
    /// Received status code.
    pub got: Option<String>,
    /// Met?
    pub pass: bool,
    /// Latency in ms.
    pub ms: f64,
    /// Why a passing code still failed (field checks), or extra context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The exchange, kept for failed steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Exchange>,
}

/// One case.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseResult {
    /// Stable id, e.g. `pilot/kvgh/017`.
    pub id: String,
    /// Site key.
    pub site: String,
    /// Sex.
    pub sex: String,
    /// Age band.
    pub band: String,
    /// Failure class carried, if any.
    pub failure: Option<FailureClass>,
    /// The code a correct SUT returns at the failing step.
    pub expected_code: Option<String>,
    /// What must not be lost.
    pub must_not_lose: Option<&'static str>,
    /// Every expectation held.
    pub pass: bool,
    /// Complete valid flow (registration through upload) reached.
    pub completed: bool,
    /// Steps.
    pub steps: Vec<StepResult>,
}

struct Ctx<'a> {
    w: &'a World,
    steps: Vec<StepResult>,
    completed: bool,
}

impl Ctx<'_> {
    async fn sut(
        &mut self,
        name: &str,
        method: &str,
        p: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> Exchange {
        let x = self.w.sut.call(method, p, body).await;
        self.record_sut(name, &x, want, None);
        x
    }

    async fn sut_on(
        &mut self,
        client: &SutClient,
        name: &str,
        method: &str,
        p: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> Exchange {
        let x = client.call(method, p, body).await;
        self.record_sut(name, &x, want, None);
        x
    }

    fn record_sut(&mut self, name: &str, x: &Exchange, want: StatusCode, note: Option<String>) {
        let pass = x.status.as_deref() == Some(want.code()) && note.is_none();
        self.steps.push(StepResult {
            name: name.into(),
            side: "sut",
            request: x.request.clone(),
            expected: want.code().into(),
            got: x.status.clone(),
            pass,
            ms: x.ms,
            note,
            evidence: (!pass).then(|| x.clone()),
        });
    }

    /// Marks the last step failed with a note (a field check on a 0000 reply).
    fn check(&mut self, ok: bool, note: impl FnOnce() -> String) {
        if !ok {
            if let Some(s) = self.steps.last_mut() {
                s.pass = false;
                s.note = Some(note());
            }
        }
    }

    async fn dc(&mut self, name: &str, p: &str, body: Value, want: StatusCode) -> Value {
        let t = std::time::Instant::now();
        let (code, v) = self.w.dc_api.post(p, body.clone()).await;
        let pass = code == Some(want);
        self.steps.push(StepResult {
            name: name.into(),
            side: "dc",
            request: format!("POST {p}"),
            expected: want.code().into(),
            got: code.map(|c| c.code().to_string()),
            pass,
            ms: t.elapsed().as_secs_f64() * 1000.0,
            note: None,
            evidence: (!pass).then(|| Exchange {
                request: format!("POST {p}"),
                body,
                http: 200,
                reply: v.clone(),
                status: code.map(|c| c.code().into()),
                ms: 0.0,
                allow_origin: None,
            }),
        });
        v
    }

    fn ok(&self) -> bool {
        self.steps.iter().all(|s| s.pass)
    }
}

/// A site's cards, kept across its cases (PIN state lives in the card).
pub struct SiteCards {
    sam_verified_at: i64,
    doctor: Option<Box<dyn Card>>,
    locum_revoked: Hpc,
    locum_expired: Hpc,
    doctor_pin: String,
    doctor_puk: String,
    locum_pin: String,
}

fn sam_auth(sig: &Exchange) -> Value {
    json!({ "samId": sig.reply["samId"], "hospitalId": sig.reply["hospitalId"], "clientRandom": sig.reply["clientRandom"],
            "serviceType": sig.reply["serviceType"], "signature": sig.reply["signature"] })
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
    let [doc, rev, exp] = hpc_holders(si, site);
    let doctor = w.factory.hpc(&doc, (si * 10 + 1) as u64)?;
    let mut locum_revoked = w.factory.hpc(&rev, (si * 10 + 2) as u64)?;
    let locum_expired = w.factory.hpc(&exp, (si * 10 + 3) as u64)?;
    // Revoke locum B's certificate at the DC (read it from the card as a client would).
    let serial = nhi_emulator::control::hpc_cert_serial(&mut locum_revoked)
        .ok_or("locum certificate unreadable")?;
    w.dc.dc.revoke_cert(&serial).map_err(|e| e.reason)?;
    w.insert(&w.slots.hpc, Box::new(doctor)).await?;
    let _ = w.sut.call("POST", path::FINALIZE, Some(json!({}))).await;
    let init = w.sut.call("POST", path::INITIAL, Some(json!({}))).await;
    if init.status.as_deref() != Some("0000") {
        return Err(format!(
            "site {}: Initial answered {:?}",
            site.key, init.reply
        ));
    }
    let v = w.sut.call("POST", path::SAM_VERIFY, Some(json!({}))).await;
    if v.status.as_deref() != Some("0000") {
        return Err(format!(
            "site {}: SAM Verification answered {:?}",
            site.key, v.reply
        ));
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

async fn activate(c: &mut Ctx<'_>, p: &PilotPerson, prod: bool) -> bool {
    let card = match c.w.factory.hc(&p.person) {
        Ok(card) => card,
        Err(e) => {
            c.check(false, || e);
            return false;
        }
    };
    if let Err(e) = c.w.insert(&c.w.slots.hc, Box::new(card)).await {
        c.check(false, || e);
        return false;
    }
    let want = if prod {
        StatusCode::TestProductionMixed
    } else {
        StatusCode::Success
    };
    let x = c
        .sut(
            "read physical card at the counter",
            "GET",
            path::HC_BASIC,
            None,
            want,
        )
        .await;
    if prod {
        c.w.slots.hc.remove();
        return false;
    }
    c.check(x.reply["cardId"] == json!(p.person.card_no), || {
        format!("cardId {} != {}", x.reply["cardId"], p.person.card_no)
    });
    let sig = c
        .sut(
            "SAM signature for activation",
            "POST",
            path::SAM_SIGNATURE,
            Some(json!({ "serviceType": "01" })),
            StatusCode::Success,
        )
        .await;
    let mut body = sam_auth(&sig);
    body["phoneId"] = json!(p.phone);
    body["hcId"] = json!(p.person.card_no);
    c.dc(
        "activate virtual card (one phone one card)",
        "/api/v1/VirtualCard/Activate",
        body,
        StatusCode::Success,
    )
    .await;
    c.w.slots.hc.remove();
    c.sut(
        "HC logout after activation",
        "DELETE",
        path::HC_LOGOUT,
        None,
        StatusCode::Success,
    )
    .await;
    true
}

async fn token(c: &mut Ctx<'_>, p: &PilotPerson) -> String {
    c.w.clock.advance(1);
    let v = c
        .dc(
            "phone shows a QR token",
            "/api/v1/VirtualCard/Token",
            json!({ "phoneId": p.phone }),
            StatusCode::Success,
        )
        .await;
    v["token"].as_str().unwrap_or_default().to_string()
}

async fn verify(c: &mut Ctx<'_>, name: &str, tok: &str, want: StatusCode) -> Exchange {
    c.sut(
        name,
        "POST",
        path::HC_VIRTUAL_VERIFY,
        Some(json!({ "token": tok })),
        want,
    )
    .await
}

fn tamper_signature(tok: &str) -> String {
    let mut parts: Vec<String> = tok.split('.').map(str::to_string).collect();
    if let Some(last) = parts.last_mut() {
        let mut b: Vec<char> = last.chars().collect();
        let i = b.len() / 2;
        b[i] = if b[i] == 'A' { 'B' } else { 'A' };
        *last = b.into_iter().collect();
    }
    parts.join(".")
}

/// Runs one case.
#[allow(clippy::too_many_arguments)]
pub async fn run_case(
    w: &World,
    partners: &mut HashMap<String, SutClient>,
    cards: &mut SiteCards,
    p: &PilotPerson,
    id: String,
    site: &Site,
    other_hospital: &str,
    failure: Option<FailureClass>,
) -> CaseResult {
    let mut c = Ctx {
        w,
        steps: Vec::new(),
        completed: false,
    };
    let f = failure;
    w.clock.advance(60);
    if w.clock.now() - cards.sam_verified_at > 6 * 3600 {
        // A new clinic session: the DC's SAM session lasts 8 h, so the HIS verifies again.
        c.sut(
            "SAM logout at the end of a clinic session",
            "DELETE",
            path::SAM_LOGOUT,
            None,
            StatusCode::Success,
        )
        .await;
        c.sut(
            "SAM verification for a new clinic session",
            "POST",
            path::SAM_VERIFY,
            Some(json!({})),
            StatusCode::Success,
        )
        .await;
        cards.sam_verified_at = w.clock.now();
    }
    c.dc(
        "app registration (double-ID photo + counter identity check)",
        "/api/v1/VirtualCard/Register",
        json!({ "phoneId": p.phone, "cardNo": p.person.card_no, "idNo": p.person.id_no, "photoCheck": true, "counterCheck": true }),
        StatusCode::Success,
    )
    .await;
    if f != Some(FailureClass::NotActivated) {
        let activated = activate(&mut c, p, f == Some(FailureClass::ProductionCard)).await;
        if !activated {
            c.sut(
                "SUT still serves after the refused card",
                "GET",
                path::STATUS,
                None,
                StatusCode::Success,
            )
            .await;
            return finish(c, id, site, p, f);
        }
    }
    w.clock.advance(600);
    if f == Some(FailureClass::ContractExpired) {
        let now = w.clock.now();
        let _ =
            w.dc.dc
                .set_hospital(site.hospital_id, None, None, Some(now - 1));
        c.sut(
            "SAM logout",
            "DELETE",
            path::SAM_LOGOUT,
            None,
            StatusCode::Success,
        )
        .await;
        c.sut(
            "SAM verification outside the contract period",
            "POST",
            path::SAM_VERIFY,
            Some(json!({})),
            StatusCode::ContractExpired,
        )
        .await;
        let _ =
            w.dc.dc
                .set_hospital(site.hospital_id, None, None, Some(now + 10 * 365 * 86_400));
        c.sut(
            "SAM verification after renewal",
            "POST",
            path::SAM_VERIFY,
            Some(json!({})),
            StatusCode::Success,
        )
        .await;
        cards.sam_verified_at = w.clock.now();
    }
    let mut tok = token(&mut c, p).await;
    w.clock.advance(5);
    match f {
        Some(FailureClass::NotActivated) => {
            verify(
                &mut c,
                "verify token of a card never activated",
                &tok,
                StatusCode::TransferredOrInvalid,
            )
            .await;
            activate(&mut c, p, false).await;
            tok = token(&mut c, p).await;
            verify(&mut c, "verify after activation", &tok, StatusCode::Success).await;
        }
        Some(FailureClass::PhoneLost) => {
            c.dc(
                "report the phone lost",
                "/api/v1/VirtualCard/LostPhone",
                json!({ "phoneId": p.phone }),
                StatusCode::Success,
            )
            .await;
            verify(
                &mut c,
                "verify a token of a lost phone",
                &tok,
                StatusCode::TransferredOrInvalid,
            )
            .await;
            c.dc(
                "register again",
                "/api/v1/VirtualCard/Register",
                json!({ "phoneId": p.phone, "cardNo": p.person.card_no, "idNo": p.person.id_no }),
                StatusCode::Success,
            )
            .await;
            activate(&mut c, p, false).await;
            tok = token(&mut c, p).await;
            verify(
                &mut c,
                "verify after re-activation",
                &tok,
                StatusCode::Success,
            )
            .await;
        }
        Some(FailureClass::TokenExpired) => {
            w.clock.advance(61);
            verify(
                &mut c,
                "verify a token 61 s old",
                &tok,
                StatusCode::TokenTimedOut,
            )
            .await;
            tok = token(&mut c, p).await;
            verify(&mut c, "verify a fresh token", &tok, StatusCode::Success).await;
        }
        Some(FailureClass::BadSignature) => {
            verify(
                &mut c,
                "verify a token with a forged signature",
                &tamper_signature(&tok),
                StatusCode::TokenSignature,
            )
            .await;
            verify(
                &mut c,
                "verify the genuine token",
                &tok,
                StatusCode::Success,
            )
            .await;
        }
        Some(FailureClass::BadFormat) => {
            let garbled: String = tok.replace('.', "");
            verify(
                &mut c,
                "verify a garbled token",
                &garbled,
                StatusCode::TokenFormat,
            )
            .await;
            verify(
                &mut c,
                "verify the genuine token",
                &tok,
                StatusCode::Success,
            )
            .await;
        }
        Some(
            fc @ (FailureClass::DcUnreachable
            | FailureClass::DcServerError
            | FailureClass::DcSessionDropped),
        ) => {
            let kind = match fc {
                FailureClass::DcUnreachable => "refuse",
                FailureClass::DcServerError => "http5xx",
                _ => "dropSession",
            };
            w.dc.dc.arm_fault(Fault {
                path: "/api/v1/VirtualCard/".into(),
                kind: kind.into(),
                ms: 0,
            });
            verify(
                &mut c,
                &format!("verify while the DC fault {kind} is on"),
                &tok,
                fc.expected(),
            )
            .await;
            w.dc.dc.clear_faults(None);
            verify(
                &mut c,
                "verify the same token once the DC is back",
                &tok,
                StatusCode::Success,
            )
            .await;
        }
        Some(FailureClass::TransferCrossHospital) => {
            let partner = match partners.get(other_hospital) {
                Some(pc) => pc.clone(),
                None => match w
                    .partner(other_hospital, &format!("partner-{other_hospital}"))
                    .await
                {
                    Ok(pc) => {
                        partners.insert(other_hospital.to_string(), pc.clone());
                        pc
                    }
                    Err(e) => {
                        c.steps.push(StepResult {
                            name: "start partner device".into(),
                            side: "dc",
                            request: String::new(),
                            expected: "0000".into(),
                            got: None,
                            pass: false,
                            ms: 0.0,
                            note: Some(e),
                            evidence: None,
                        });
                        return finish(c, id, site, p, f);
                    }
                },
            };
            c.sut_on(
                &partner,
                "other institution verifies the token",
                "POST",
                path::HC_VIRTUAL_VERIFY,
                Some(json!({ "token": tok })),
                StatusCode::Success,
            )
            .await;
            let x = c
                .sut_on(
                    &partner,
                    "other institution exports it",
                    "POST",
                    path::HC_TRANSFER_EXPORT,
                    Some(json!({})),
                    StatusCode::Success,
                )
                .await;
            let code = x.reply["transferCode"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            c.sut(
                "import a transfer from another institution",
                "POST",
                path::HC_TRANSFER_IMPORT,
                Some(json!({ "transferCode": code })),
                StatusCode::TransferOtherHospital,
            )
            .await;
            tok = token(&mut c, p).await;
            verify(
                &mut c,
                "the card still verifies at home",
                &tok,
                StatusCode::Success,
            )
            .await;
        }
        Some(FailureClass::TokenReused) => {
            for k in 1..=3 {
                verify(
                    &mut c,
                    &format!("verify the same token ({k})"),
                    &tok,
                    StatusCode::Success,
                )
                .await;
            }
            verify(
                &mut c,
                "verify the same token beyond the limit",
                &tok,
                StatusCode::TokenCountExceeded,
            )
            .await;
        }
        _ => {
            verify(&mut c, "verify the QR token", &tok, StatusCode::Success).await;
        }
    }
    w.clock.advance(5);
    let rb = c
        .sut(
            "read virtual basic data (token not consumed)",
            "POST",
            path::HC_VIRTUAL_READ,
            Some(json!({ "token": tok })),
            StatusCode::Success,
        )
        .await;
    c.check(
        rb.reply["name"] == json!(p.person.name)
            && rb.reply["idNo"] == json!(p.person.id_no)
            && rb.reply["birthday"] == json!(p.person.birthday),
        || format!("basic data {} does not match the person", rb.reply),
    );
    let hb = c
        .sut(
            "HC basic data of the virtual card",
            "GET",
            path::HC_BASIC,
            None,
            StatusCode::Success,
        )
        .await;
    c.check(
        hb.reply["cardId"] == json!(p.person.card_no)
            && hb.reply.get("dateIssue").is_none_or(Value::is_null),
        || {
            format!(
                "virtual HC basic data {}: card id must match and no issue date",
                hb.reply
            )
        },
    );
    // HPC.
    match f {
        Some(FailureClass::PinLockout) => {
            for k in 1..=3 {
                c.sut(
                    &format!("wrong HPC PIN ({k})"),
                    "POST",
                    path::HPC_VERIFY,
                    Some(json!({ "pin": "000000" })),
                    StatusCode::HpcPinFailed,
                )
                .await;
            }
            let pin = cards.doctor_pin.clone();
            c.sut(
                "right PIN on a locked card",
                "POST",
                path::HPC_VERIFY,
                Some(json!({ "pin": pin })),
                StatusCode::HpcPinFailed,
            )
            .await;
            c.sut(
                "reset the PIN with the PUK",
                "PUT",
                path::HPC_PIN,
                Some(json!({ "puk": cards.doctor_puk, "newPin": pin })),
                StatusCode::Success,
            )
            .await;
            c.sut(
                "verify the PIN after the reset",
                "POST",
                path::HPC_VERIFY,
                Some(json!({ "pin": pin })),
                StatusCode::Success,
            )
            .await;
        }
        Some(fc @ (FailureClass::CertRevoked | FailureClass::CertExpired)) => {
            let locum: Box<dyn Card> = if fc == FailureClass::CertRevoked {
                Box::new(cards.locum_revoked.clone())
            } else {
                Box::new(cards.locum_expired.clone())
            };
            cards.doctor = w.slots.hpc.remove();
            if let Err(e) = w.insert(&w.slots.hpc, locum).await {
                c.check(false, || e);
            }
            let pin = cards.locum_pin.clone();
            c.sut(
                "HPC PIN of a locum with a refused certificate",
                "POST",
                path::HPC_VERIFY,
                Some(json!({ "pin": pin })),
                fc.expected(),
            )
            .await;
            if let Some(d) = cards.doctor.take() {
                if let Err(e) = w.insert(&w.slots.hpc, d).await {
                    c.check(false, || e);
                }
            }
            let pin = cards.doctor_pin.clone();
            c.sut(
                "HPC PIN of the doctor",
                "POST",
                path::HPC_VERIFY,
                Some(json!({ "pin": pin })),
                StatusCode::Success,
            )
            .await;
        }
        _ => {
            let pin = cards.doctor_pin.clone();
            c.sut(
                "HPC PIN verification",
                "POST",
                path::HPC_VERIFY,
                Some(json!({ "pin": pin })),
                StatusCode::Success,
            )
            .await;
        }
    }
    let hs = c
        .sut(
            "HPC signature",
            "POST",
            path::HPC_SIGNATURE,
            Some(json!({ "serviceType": "01" })),
            StatusCode::Success,
        )
        .await;
    c.check(
        hs.reply["signature"]
            .as_str()
            .is_some_and(|s| s.len() >= 340),
        || "HPC signature missing or not RSA-2048".into(),
    );
    let hcs = c
        .sut(
            "HC signature",
            "POST",
            path::HC_SIGNATURE,
            Some(json!({ "serviceType": "01" })),
            StatusCode::Success,
        )
        .await;
    c.check(
        hcs.reply["hcId"] == json!(p.person.card_no) && hcs.reply["clientRandom"].is_string(),
        || format!("HC signature fields {}", hcs.reply),
    );
    let three = c
        .sut(
            "three-card signature",
            "POST",
            path::HPC_HC_SIGNATURE,
            Some(json!({ "serviceType": "01" })),
            StatusCode::Success,
        )
        .await;
    c.check(
        three.reply["hpcId"].is_string() && three.reply["hcIdNo"] == json!(p.person.id_no),
        || format!("three-card signature fields {}", three.reply),
    );
    // Pricing and dispensing happen in the HIS; the fee depends on the identity status.
    let copay = match p.person.identity_status.as_str() {
        "1" | "4" | "8" => 0,
        _ => 50,
    };
    let visit = json!({ "fee": 150 + copay, "copay": copay, "drugs": [{ "code": "A000000100", "days": 7 }], "site": site.key });
    let sig = c
        .sut(
            "SAM signature for the upload",
            "POST",
            path::SAM_SIGNATURE,
            Some(json!({ "serviceType": "02" })),
            StatusCode::Success,
        )
        .await;
    c.check(
        sig.reply["clientRandom"].is_string() && sig.reply["samId"] == json!(site.sam_id),
        || format!("SAM signature fields {}", sig.reply),
    );
    let mut up = sam_auth(&sig);
    up["specialCode"] = json!("VC19");
    up["hcId"] = json!(p.person.card_no);
    up["hpcId"] = three.reply["hpcId"].clone();
    up["visit"] = visit;
    c.dc(
        "upload the visit with the special code",
        "/api/v1/Upload",
        up,
        StatusCode::Success,
    )
    .await;
    c.sut(
        "HC logout",
        "DELETE",
        path::HC_LOGOUT,
        None,
        StatusCode::Success,
    )
    .await;
    c.sut(
        "HPC logout",
        "DELETE",
        path::HPC_LOGOUT,
        None,
        StatusCode::Success,
    )
    .await;
    c.completed = true;
    finish(c, id, site, p, f)
}

fn finish(
    c: Ctx<'_>,
    id: String,
    site: &Site,
    p: &PilotPerson,
    f: Option<FailureClass>,
) -> CaseResult {
    let pass = c.ok();
    CaseResult {
        id,
        site: site.key.into(),
        sex: p.sex.clone(),
        band: p.band.into(),
        failure: f,
        expected_code: f.map(|x| x.expected().code().to_string()),
        must_not_lose: f.map(FailureClass::must_not_lose),
        pass,
        completed: c.completed,
        steps: c.steps,
    }
}
