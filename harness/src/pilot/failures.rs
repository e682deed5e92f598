//! The pilot's failure classes (plan.rs), one function each: provoke the failure, check
//! the code a correct SUT answers, then check the recovery. They are injected at three
//! points of the visit: SAM verification, token verification and HPC login.

use super::flow::Visit;
use super::plan::FailureClass;
use super::record::DC_VIRTUAL_CARD;
use crate::token;
use nhi_emulator::card::Card;
use nhi_emulator::clock::Clock;
use nhi_emulator::dc::ArmedFault;
use nhi_protocol::api::path;
use nhi_protocol::api::reply::TransferExportReply;
use nhi_protocol::dc::msg::{PhoneRequest, RegistrationRefusal};
use nhi_protocol::dc::{path as dc_path, FaultKind};
use nhi_protocol::StatusCode;
use serde::Deserialize;
use serde_json::json;

const OK: StatusCode = StatusCode::Success;

impl Visit<'_> {
    /// Token verification, with the failure class of this phase if the case carries one;
    /// returns the token the visit goes on with.
    pub(super) async fn verify_phase(&mut self, tok: String) -> Result<String, String> {
        use FailureClass as F;
        match self.failure {
            Some(F::NotActivated) => self.not_activated(&tok).await,
            Some(F::PhoneLost) => self.phone_lost(&tok).await,
            Some(F::TokenExpired) => self.token_expired(&tok).await,
            Some(F::BadSignature) => self.bad_signature(tok).await,
            Some(F::BadFormat) => self.bad_format(tok).await,
            Some(fc @ (F::DcUnreachable | F::DcServerError | F::DcSessionDropped)) => {
                self.dc_fault(fc, tok).await
            }
            Some(F::TransferCrossHospital) => self.transfer_cross_hospital(&tok).await,
            Some(F::TokenReused) => self.token_reused(tok).await,
            _ => {
                self.verify("verify the QR token", &tok, OK).await;
                Ok(tok)
            }
        }
    }

    /// HPC login, with the failure class of this phase if the case carries one.
    pub(super) async fn hpc_phase(&mut self) -> Result<(), String> {
        use FailureClass as F;
        match self.failure {
            Some(F::PinLockout) => {
                self.pin_lockout().await;
                Ok(())
            }
            Some(fc @ (F::CertRevoked | F::CertExpired)) => self.locum_certificate(fc).await,
            _ => {
                self.doctor_pin("HPC PIN verification").await;
                Ok(())
            }
        }
    }

    /// The institution is outside its contract period at SAM verification (1302); renewed,
    /// it verifies again.
    pub(super) async fn contract_expired(&mut self) -> Result<(), String> {
        let (dc, hospital) = (&self.w.dc.dc, self.site.hospital_id);
        let now = self.w.clock.now();
        dc.set_hospital(hospital, None, None, Some(now - 1))
            .map_err(|e| format!("ending the contract of {hospital}: {}", e.reason))?;
        self.sut("SAM logout", "DELETE", path::SAM_LOGOUT, None, OK)
            .await;
        let (name, body) = ("SAM verification outside the contract period", json!({}));
        let want = StatusCode::ContractExpired;
        self.sut(name, "POST", path::SAM_VERIFY, Some(body), want)
            .await;
        dc.set_hospital(hospital, None, None, Some(now + 10 * 365 * 86_400))
            .map_err(|e| format!("renewing the contract of {hospital}: {}", e.reason))?;
        let name = "SAM verification after renewal";
        self.sut(name, "POST", path::SAM_VERIFY, Some(json!({})), OK)
            .await;
        self.cards.sam_verified_at = self.w.clock.now();
        Ok(())
    }

    /// The DC's own double-ID photo or counter check of the person fails (1799 with the
    /// refusal's message; which one alternates by age); once the counter confirms the
    /// person, the DC's record is corrected and the registration goes on.
    pub(super) async fn registration_refused(&mut self) -> Result<(), String> {
        let refusal = if self.p.age.is_multiple_of(2) {
            RegistrationRefusal::PhotoMismatch
        } else {
            RegistrationRefusal::SecondIdMismatch
        };
        let (dc, card) = (&self.w.dc.dc, &self.p.person.card_no);
        dc.admin_refuse_registration(card, Some(refusal))
            .map_err(|e| format!("flagging {card}'s registration: {}", e.reason))?;
        let body = self.registration();
        let name = format!("app registration refused by the DC ({})", refusal.as_str());
        let x = self
            .rec
            .dc(&name, dc_path::VC_REGISTER, &body, refusal.code())
            .await;
        self.rec
            .check(x.reply["message"] == json!(refusal.message()), || {
                format!(
                    "refusal message {} is not {:?}",
                    x.reply["message"],
                    refusal.message()
                )
            });
        dc.admin_refuse_registration(card, None)
            .map_err(|e| format!("clearing {card}'s registration refusal: {}", e.reason))?;
        Ok(())
    }

    /// A card registered but never activated (1531); activated, it verifies.
    async fn not_activated(&mut self, tok: &str) -> Result<String, String> {
        let name = "verify token of a card never activated";
        self.verify(name, tok, StatusCode::TransferredOrInvalid)
            .await;
        self.activate(false).await?;
        let tok = self.token().await?;
        self.verify("verify after activation", &tok, OK).await;
        Ok(tok)
    }

    /// The phone is reported lost (1531 for its tokens); registered and activated again,
    /// it verifies.
    async fn phone_lost(&mut self, tok: &str) -> Result<String, String> {
        let phone = PhoneRequest {
            phone_id: self.p.phone.clone(),
        };
        let name = "report the phone lost";
        self.rec.dc(name, dc_path::VC_LOST_PHONE, &phone, OK).await;
        let name = "verify a token of a lost phone";
        self.verify(name, tok, StatusCode::TransferredOrInvalid)
            .await;
        let body = self.registration();
        self.rec
            .dc("register again", dc_path::VC_REGISTER, &body, OK)
            .await;
        self.activate(false).await?;
        let tok = self.token().await?;
        self.verify("verify after re-activation", &tok, OK).await;
        Ok(tok)
    }

    /// A token scanned 61 s after it was shown (1521); a fresh one verifies.
    async fn token_expired(&mut self, tok: &str) -> Result<String, String> {
        self.w.clock.advance(61);
        let name = "verify a token 61 s old";
        self.verify(name, tok, StatusCode::TokenTimedOut).await;
        let tok = self.token().await?;
        self.verify("verify a fresh token", &tok, OK).await;
        Ok(tok)
    }

    /// A token with a forged signature (1523); the genuine one verifies.
    async fn bad_signature(&mut self, tok: String) -> Result<String, String> {
        let forged = token::forge_signature(&tok)
            .ok_or_else(|| format!("the DC's token has no signature to forge: {tok:?}"))?;
        let name = "verify a token with a forged signature";
        self.verify(name, &forged, StatusCode::TokenSignature).await;
        self.verify("verify the genuine token", &tok, OK).await;
        Ok(tok)
    }

    /// A token garbled by the scanner (1520); the genuine one verifies.
    async fn bad_format(&mut self, tok: String) -> Result<String, String> {
        let name = "verify a garbled token";
        self.verify(name, &token::garble(&tok), StatusCode::TokenFormat)
            .await;
        self.verify("verify the genuine token", &tok, OK).await;
        Ok(tok)
    }

    /// The DC refuses connections (1700), answers 5xx (1702) or drops the session (1703);
    /// once it is back, the same token verifies.
    async fn dc_fault(&mut self, fc: FailureClass, tok: String) -> Result<String, String> {
        let kind = match fc {
            FailureClass::DcUnreachable => FaultKind::Refuse,
            FailureClass::DcServerError => FaultKind::Http5xx,
            FailureClass::DcSessionDropped => FaultKind::DropSession,
            other => return Err(format!("{other:?} is not a DC fault")),
        };
        let dc = &self.w.dc.dc;
        dc.arm(ArmedFault {
            path: DC_VIRTUAL_CARD.into(),
            kind,
            ms: 0,
        });
        let name = format!("verify while the DC fault {kind} is on");
        self.verify(&name, &tok, fc.expected()).await;
        dc.clear_faults(None);
        let name = "verify the same token once the DC is back";
        self.verify(name, &tok, OK).await;
        Ok(tok)
    }

    /// A transfer exported at another institution is imported here (1530); the card
    /// still verifies at home.
    async fn transfer_cross_hospital(&mut self, tok: &str) -> Result<String, String> {
        let other = self.other_hospital;
        let partner = match self.partners.get(other) {
            Some(pc) => pc.clone(),
            None => {
                let pc = self
                    .w
                    .partner(other, &format!("partner-{other}"))
                    .await
                    .map_err(|e| format!("starting the partner device of {other}: {e}"))?;
                self.partners.insert(other.to_string(), pc.clone());
                pc
            }
        };
        let name = "other institution verifies the token";
        let body = json!({ "token": tok });
        self.rec
            .sut_on(
                &partner,
                name,
                "POST",
                path::HC_VIRTUAL_VERIFY,
                Some(body),
                OK,
            )
            .await;
        let name = "other institution exports it";
        let x = self
            .rec
            .sut_on(
                &partner,
                name,
                "POST",
                path::HC_TRANSFER_EXPORT,
                Some(json!({})),
                OK,
            )
            .await;
        let code = TransferExportReply::deserialize(&x.reply)
            .ok()
            .map(|r| r.transfer_code);
        self.rec
            .check(code.is_some(), || format!("no transferCode in {}", x.reply));
        let name = "import a transfer from another institution";
        let body = json!({ "transferCode": code });
        let want = StatusCode::TransferOtherHospital;
        self.sut(name, "POST", path::HC_TRANSFER_IMPORT, Some(body), want)
            .await;
        let tok = self.token().await?;
        self.verify("the card still verifies at home", &tok, OK)
            .await;
        Ok(tok)
    }

    /// The same token verified beyond the count limit (1525).
    async fn token_reused(&mut self, tok: String) -> Result<String, String> {
        for k in 1..=3 {
            let name = format!("verify the same token ({k})");
            self.verify(&name, &tok, OK).await;
        }
        let name = "verify the same token beyond the limit";
        self.verify(name, &tok, StatusCode::TokenCountExceeded)
            .await;
        Ok(tok)
    }

    /// Three wrong HPC PINs lock the card (1410, also for the right PIN then); the PUK
    /// resets it and the PIN verifies.
    async fn pin_lockout(&mut self) {
        let locked = StatusCode::HpcPinFailed;
        for k in 1..=3 {
            let name = format!("wrong HPC PIN ({k})");
            let body = json!({ "pin": "000000" });
            self.sut(&name, "POST", path::HPC_VERIFY, Some(body), locked)
                .await;
        }
        let pin = self.cards.doctor_pin.clone();
        let name = "right PIN on a locked card";
        self.sut(
            name,
            "POST",
            path::HPC_VERIFY,
            Some(json!({ "pin": pin })),
            locked,
        )
        .await;
        let name = "reset the PIN with the PUK";
        let body = json!({ "puk": self.cards.doctor_puk, "newPin": pin });
        self.sut(name, "PUT", path::HPC_PIN, Some(body), OK).await;
        self.doctor_pin("verify the PIN after the reset").await;
    }

    /// A locum whose certificate is revoked (1424) or expired (1422) is refused at PIN
    /// verification; the doctor's card, back in the reader, verifies.
    async fn locum_certificate(&mut self, fc: FailureClass) -> Result<(), String> {
        let w = self.w;
        let locum: Box<dyn Card> = if fc == FailureClass::CertRevoked {
            Box::new(self.cards.locum_revoked.clone())
        } else {
            Box::new(self.cards.locum_expired.clone())
        };
        self.cards.doctor = w.slots.hpc.remove();
        let swapped = w.insert(&w.slots.hpc, locum).await;
        if swapped.is_ok() {
            let name = "HPC PIN of a locum with a refused certificate";
            let body = json!({ "pin": self.cards.locum_pin });
            self.sut(name, "POST", path::HPC_VERIFY, Some(body), fc.expected())
                .await;
        }
        // The doctor goes back in even when the locum could not be inserted.
        if let Some(d) = self.cards.doctor.take() {
            w.insert(&w.slots.hpc, d)
                .await
                .map_err(|e| format!("putting the doctor's card back: {e}"))?;
        }
        swapped.map_err(|e| format!("inserting the locum's card: {e}"))?;
        self.doctor_pin("HPC PIN of the doctor").await;
        Ok(())
    }
}
