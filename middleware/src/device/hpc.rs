//! The HPC and the mobile HCA: authentication with the SAM, PIN verify/set/reset, the
//! certificate check, basic data and signatures.

use super::readers::blocking;
use super::{random8, Device, HpcInfo};
use crate::cards::{self, hpc};
use crate::dc_client::unb64;
use crate::error::{reply, request, transport_fail, Fail, OpResult};
use crate::mutants::Mutant;
use crate::transport::{Connection, TransportError};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::apdu::{CardKind, AID_HPC};
use nhi_protocol::api::reply::{Empty, HpcBasicReply, HpcIdReply, SignatureReply};
use nhi_protocol::api::request::{
    CredentialRequest, NewPinRequest, PinRequest, ResetPinRequest, ServiceTypeRequest,
};
use nhi_protocol::dc::msg::{
    CertSerial, CertStatusRequest, Empty as DcEmpty, HcaLoginReply, HcaLoginRequest,
    HcaLogoutRequest, HcaSignReply, HcaSignRequest,
};
use nhi_protocol::dc::{path, signature_input};
use nhi_protocol::mode::HpcKind;
use nhi_protocol::StatusCode;
use serde_json::Value;

impl Device {
    /// Mode 1 → 2 of the HPC: select, read its identity, let the SAM check it.
    pub(super) fn hpc_authenticate(&mut self) -> Result<(), Fail> {
        let reader = self.reader_for(CardKind::Hpc)?;
        cards::select(&mut self.at(&reader), AID_HPC, StatusCode::HpcMode1)?;
        let b = hpc::basic(&mut self.at(&reader), StatusCode::HpcMode1)?;
        self.hpc_info = Some(HpcInfo {
            card_id: b.card_id.clone(),
            id_no: b.id_no,
            name: b.name,
            name_en: b.name_en,
        });
        if let Some(bound) = self.bound.get_mut(&reader) {
            bound.id = Some(b.card_id);
        }
        self.sam_checks_card(&reader, StatusCode::HpcMode2)
    }

    /// The identity of the authenticated HPC or mobile HCA (the mode gate guarantees one).
    pub(super) fn hpc_identity(&self) -> Result<HpcInfo, Fail> {
        self.hpc_info
            .clone()
            .ok_or_else(|| Fail::new(StatusCode::HpcMode2, "no HPC identity read"))
    }

    /// `Verification/Hpc`: the PIN, then the certificate's status at the DC. A body
    /// without a PIN (no `pin`, `null` or `""`) asks the HPC reader's PIN pad when it has
    /// one (seed 004: the PIN of a test HPC in its dedicated reader is typed on that reader;
    /// the seed gives no body for that case, so the PIN is simply left out); without a pad
    /// such a body is refused as before (1704).
    pub(super) async fn hpc_verify_pin(&mut self, body: &Value) -> OpResult {
        if !(left_out(body, "pin") && self.hpc_verify_on_pad()?) {
            let pin = request::<PinRequest>(body)?.pin;
            if !self.mutant_on(Mutant::PinFormatUnchecked) {
                super::check_pin(&pin)?;
            }
            hpc::verify_pin(&mut self.card(CardKind::Hpc)?, &pin)?;
        }
        if !self.mutant_on(Mutant::NoCertCheck) {
            let cert = hpc::certificate(&mut self.card(CardKind::Hpc)?)?;
            let req = CertStatusRequest {
                sam_session: self.sam_session()?,
                certificate: B64.encode(&cert),
            };
            let _: CertSerial = self.dc.call(path::CERT_STATUS, &req).await?;
        }
        reply(&Empty {})
    }

    /// The HPC PIN typed on its reader's pad: false when there is no pad to ask (no bound
    /// HPC, or a reader without one), so the body is checked and refused as it always was.
    fn hpc_verify_on_pad(&mut self) -> Result<bool, Fail> {
        let verify = hpc::pad_verify();
        self.on_pad(
            CardKind::Hpc,
            |c| c.verify_pin_on_pad(&verify),
            hpc::pad_answer,
        )
    }

    /// The new HPC PIN typed twice on its reader's pad (MODIFY PIN DIRECT): false when
    /// there is no pad to ask.
    fn hpc_change_on_pad(&mut self) -> Result<bool, Fail> {
        let change = hpc::pad_change();
        self.on_pad(
            CardKind::Hpc,
            |c| c.modify_pin_on_pad(&change),
            hpc::pad_change_answer,
        )
    }

    /// The PUK, then the new HPC PIN twice, typed on its reader's pad (MODIFY PIN DIRECT
    /// over RESET RETRY COUNTER): false when there is no pad to ask.
    fn hpc_unlock_on_pad(&mut self) -> Result<bool, Fail> {
        let unlock = hpc::pad_unlock();
        self.on_pad(
            CardKind::Hpc,
            |c| c.modify_pin_on_pad(&unlock),
            hpc::pad_unlock_answer,
        )
    }

    /// Runs `ask` on the connection of the `kind` card and reads the R-APDU with `answer`:
    /// Ok(false) when there is no such card bound or its reader has no pad; a reader that
    /// went away drops the card's binding.
    pub(super) fn on_pad(
        &mut self,
        kind: CardKind,
        ask: impl FnOnce(&mut dyn Connection) -> Option<Result<Vec<u8>, TransportError>>,
        answer: fn(&[u8]) -> Result<(), Fail>,
    ) -> Result<bool, Fail> {
        let Some(reader) = self.reader_of(kind) else {
            return Ok(false);
        };
        let Some(b) = self.bound.get_mut(&reader) else {
            return Ok(false);
        };
        match blocking(|| ask(b.conn.as_mut())) {
            None => Ok(false),
            Some(Ok(r)) => answer(&r).map(|()| true),
            Some(Err(e)) => {
                let kind = b.kind;
                self.bound.remove(&reader);
                self.card_gone(&reader, kind);
                Err(transport_fail(e))
            }
        }
    }

    /// `Verification/MobileHca`.
    pub(super) async fn mobile_hca_verify(&mut self, body: &Value) -> OpResult {
        let cred = request::<CredentialRequest>(body)?.credential;
        let req = HcaLoginRequest {
            sam_session: self.sam_session()?,
            credential: cred,
            device_id: Some(self.device_id.clone()),
        };
        let login: HcaLoginReply = self.dc.call(path::HCA_LOGIN, &req).await?;
        self.hca_session = Some(login.hca_session);
        self.hpc_info = Some(HpcInfo {
            card_id: login.hpc_id.clone(),
            id_no: login.id_no,
            name: login.name,
            // The credential carries no English name.
            name_en: String::new(),
        });
        reply(&HpcIdReply {
            hpc_id: login.hpc_id,
        })
    }

    /// Mobile HCA logout.
    pub(super) async fn mobile_hca_logout(&mut self) -> OpResult {
        if let Some(s) = self.hca_session.take() {
            let req = HcaLogoutRequest { hca_session: s };
            let _: DcEmpty = self.dc.call(path::HCA_LOGOUT, &req).await?;
        }
        self.hpc_info = None;
        reply(&Empty {})
    }

    /// `Hpc/BasicData`.
    pub(super) fn hpc_basic(&self) -> OpResult {
        let i = self.hpc_identity()?;
        reply(&HpcBasicReply {
            card_id: i.card_id,
            id_no: i.id_no,
            c_name: i.name,
            e_name: i.name_en,
        })
    }

    /// `Hpc/Signature` over `clientRandom ‖ serviceType ‖ hospitalId ‖ samId ‖ hpcId`.
    pub(super) async fn hpc_signature(&mut self, body: &Value) -> OpResult {
        let t = request::<ServiceTypeRequest>(body)?.service_type;
        super::check_service_type(&t)?;
        let cr = random8();
        let i = self.hpc_identity()?;
        let data = signature_input(
            &cr,
            &t,
            &self.sam_info.hospital_id,
            &self.sam_info.sam_id,
            (!self.mutant_on(Mutant::HpcSignatureWithoutHpcId)).then_some(i.card_id.as_str()),
        );
        let sig = self.hpc_sign(&data).await?;
        reply(&SignatureReply {
            signature: B64.encode(&sig),
            client_random: Some(B64.encode(cr)),
            sam_id: self.sam_info.sam_id.clone(),
            hospital_id: self.sam_info.hospital_id.clone(),
            service_type: t,
            hpc_id: Some(i.card_id),
            hpc_id_no: Some(i.id_no),
            hc_id: None,
            hc_id_no: None,
        })
    }

    /// `POST Hpc/Pin`: a new PIN (not for a mobile HCA). A body without `newPin` (no key,
    /// `null` or `""`) has the new PIN typed twice on the HPC reader's PIN pad when it has
    /// one (seed 004: a test HPC's PIN is entered on its dedicated reader); the current PIN
    /// is the one verified before (this operation needs mode 3). Without a pad such a body
    /// is refused as before.
    pub(super) fn hpc_set_pin(&mut self, body: &Value) -> OpResult {
        if self.state.hpc_kind == Some(HpcKind::Mobile) {
            return Err(Fail::code(StatusCode::HpcUnsupported));
        }
        if !(left_out(body, "newPin") && self.hpc_change_on_pad()?) {
            let pin = request::<NewPinRequest>(body)?.new_pin;
            super::check_pin(&pin)?;
            hpc::set_pin(&mut self.card(CardKind::Hpc)?, &pin)?;
        }
        reply(&Empty {})
    }

    /// `PUT Hpc/Pin`: unblock with the PUK. A body with neither `puk` nor `newPin` (each
    /// absent, `null` or `""`) has the PUK and then the new PIN twice typed on the HPC
    /// reader's PIN pad when it has one (as the PIN of `Verification/Hpc`); without a pad,
    /// or with only one of the two left out, the body is refused as before.
    pub(super) fn hpc_reset_pin(&mut self, body: &Value) -> OpResult {
        if left_out(body, "puk") && left_out(body, "newPin") && self.hpc_unlock_on_pad()? {
            return reply(&Empty {});
        }
        let ResetPinRequest { puk, new_pin } = request(body)?;
        if puk.len() != usize::from(hpc::PUK_DIGITS) || !puk.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Fail::new(StatusCode::ParamFormat2, "PUK must be 8 digits"));
        }
        super::check_pin(&new_pin)?;
        hpc::reset_pin(&mut self.card(CardKind::Hpc)?, &puk, &new_pin)?;
        reply(&Empty {})
    }

    /// Signs with the HPC card, or through the DC for a mobile HCA.
    pub(super) async fn hpc_sign(&mut self, data: &[u8]) -> Result<Vec<u8>, Fail> {
        if self.state.hpc_kind != Some(HpcKind::Mobile) {
            return hpc::sign(&mut self.card(CardKind::Hpc)?, data);
        }
        let s = self
            .hca_session
            .clone()
            .ok_or_else(|| Fail::code(StatusCode::DcSession))?;
        let req = HcaSignRequest {
            hca_session: s,
            data: B64.encode(data),
        };
        let s: HcaSignReply = self.dc.call(path::HCA_SIGN, &req).await.map_err(|f| {
            if f.code == StatusCode::DcConnection {
                Fail::new(StatusCode::HcaSignatureTimeout, f.message)
            } else {
                f
            }
        })?;
        unb64("signature", &s.signature)
            .map_err(|f| Fail::new(StatusCode::HcaSignatureInvalid, f.message))
    }
}

/// True when a body carries no PIN in `key`: no key, `null`, or `""` (the pad is asked).
pub(super) fn left_out(body: &Value, key: &str) -> bool {
    match body.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(p)) => p.is_empty(),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::left_out;
    use serde_json::json;

    #[test]
    fn only_a_body_without_pin_digits_goes_to_the_pad() {
        let pin_left_out = |b| left_out(&b, "pin");
        assert!(pin_left_out(json!({})));
        assert!(pin_left_out(json!({ "pin": null })));
        assert!(pin_left_out(json!({ "pin": "" })));
        assert!(!pin_left_out(json!({ "pin": "123456" })));
        assert!(
            !pin_left_out(json!({ "pin": 123456 })),
            "a wrong type is refused, not padded"
        );
        assert!(left_out(&json!({ "pin": "123456" }), "newPin"));
        assert!(!left_out(&json!({ "newPin": "123456" }), "newPin"));
    }
}
