//! The NHI IC card: the physical HC (authentication with the SAM, basic data, signature,
//! PIN, marker) and the virtual HC (token verification, read-basic, transfer).

use super::hpc::left_out;
use super::{random8, Device, VirtualHc};
use crate::cards::{self, hc};
use crate::dc_client::unb64;
use crate::error::{reply, request, Fail, OpResult};
use crate::mutants::Mutant;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::apdu::{CardKind, AID_HC};
use nhi_protocol::api::reply::{
    Empty, HcBasicReply, HcPinStatusReply, MarkerReply, SignatureReply, TransferExportReply,
    VirtualHcBasicReply,
};
use nhi_protocol::api::request::{
    PinRequest, ServiceTypeRequest, TokenRequest, TransferImportRequest,
};
use nhi_protocol::dc::msg::{
    self as dc, MarkerRequest, PayloadFields, TransferExportRequest,
    TransferImportRequest as DcImport, VerifiedToken,
};
use nhi_protocol::dc::path;
use nhi_protocol::ident::HcCardNo;
use nhi_protocol::mode::{HcKind, Operation as Op};
use nhi_protocol::StatusCode;
use serde_json::Value;

impl Device {
    /// Mode 1 → 2 of a physical HC: select, read its number (test and production must not
    /// mix, 1003), let the SAM check it.
    pub(super) fn hc_authenticate(&mut self) -> Result<(), Fail> {
        let reader = self.reader_for(CardKind::Hc)?;
        cards::select(&mut self.at(&reader), AID_HC, StatusCode::HcMode1)?;
        let b = hc::basic(&mut self.at(&reader), StatusCode::HcMode1)?;
        if b.card_no.is_test() != self.is_test_sam()? && !self.mutant_on(Mutant::MixTestProduction)
        {
            return Err(Fail::code(StatusCode::TestProductionMixed));
        }
        if let Some(bound) = self.bound.get_mut(&reader) {
            bound.id = Some(b.card_no.to_string());
        }
        self.sam_checks_card(&reader, StatusCode::HcMode2)
    }

    /// The token's format (1520) before anything is sent.
    fn check_token_format(token: &str) -> Result<(), Fail> {
        nhi_protocol::token::split(token)
            .map(|_| ())
            .map_err(Fail::code)
    }

    /// `Verification/VirtualHc`: the DC counts the verification, the SAM (or the DC)
    /// decrypts the payload.
    pub(super) async fn hc_virtual_verify(&mut self, body: &Value) -> OpResult {
        let token = request::<TokenRequest>(body)?.token;
        Self::check_token_format(&token)?;
        let req = dc::TokenRequest {
            sam_session: self.sam_session()?,
            token: token.clone(),
        };
        let r: Result<VerifiedToken, Fail> = self.dc.call(path::VC_VERIFY, &req).await;
        let (guardian, pin) = match r {
            Err(f) if !self.mutants.forgives_token_refusal(&f) => return Err(f),
            Ok(t) => (t.guardian_card_id, Some((t.pin_set, t.pin_authorized))),
            // A planted fault forgave the DC's refusal: there is no reply to name a guardian.
            Err(_) => (None, None),
        };
        let v = self.decrypt_token(&token).await?;
        let card_no = HcCardNo::parse(&v.card_id)
            .map_err(|e| Fail::dc_reply(format!("token card number: {e}")))?;
        if card_no.is_test() != self.is_test_sam()? && !self.mutant_on(Mutant::MixTestProduction) {
            return Err(Fail::code(StatusCode::TestProductionMixed));
        }
        let mut basic = virtual_basic(&v);
        basic.guardian_card_id = guardian;
        self.virtual_hc = Some(VirtualHc {
            basic: basic.clone(),
            card_id: v.card_id,
            id_no: v.id_no,
            serial: u64::from(v.serial),
            pin,
        });
        reply(&basic)
    }

    /// `VirtualHc/ReadBasic`: the DC inspects the token without counting it.
    pub(super) async fn hc_virtual_read_basic(&mut self, body: &Value) -> OpResult {
        let token = request::<TokenRequest>(body)?.token;
        Self::check_token_format(&token)?;
        let dc_path = if self.mutant_on(Mutant::ReadBasicConsumesToken) {
            path::VC_VERIFY
        } else {
            path::VC_INSPECT
        };
        let req = dc::TokenRequest {
            sam_session: self.sam_session()?,
            token: token.clone(),
        };
        let checked: VerifiedToken = self.dc.call(dc_path, &req).await?;
        let mut basic = virtual_basic(&self.decrypt_token(&token).await?);
        basic.guardian_card_id = checked.guardian_card_id;
        reply(&basic)
    }

    /// The HC's number: the virtual card's, or the one read at authentication.
    pub(super) fn hc_id(&self) -> Result<String, Fail> {
        if self.state.hc_kind == Some(HcKind::Virtual) {
            return self
                .virtual_hc
                .as_ref()
                .map(|v| v.card_id.clone())
                .ok_or_else(|| Fail::code(StatusCode::NoCard));
        }
        let r = self.reader_for(CardKind::Hc)?;
        self.bound
            .get(&r)
            .and_then(|b| b.id.clone())
            .ok_or_else(|| Fail::code(StatusCode::HcMode2))
    }

    /// `Hc/BasicData`.
    pub(super) fn hc_basic(&mut self) -> OpResult {
        if self.state.hc_kind == Some(HcKind::Virtual) {
            let v = self
                .virtual_hc
                .as_ref()
                .ok_or_else(|| Fail::code(StatusCode::NoCard))?;
            return reply(&v.basic);
        }
        let b = hc::basic(&mut self.card(CardKind::Hc)?, StatusCode::HcMode2)?;
        let identity_status = self.hc_identity_status()?;
        reply(&HcBasicReply {
            identity_status,
            card_id: b.card_no.to_string(),
            id_no: b.id_no.to_string(),
            name: b.name,
            birthday: b.birthday.to_string(),
            sex: b.sex.code().to_string(),
            date_issue: b.issue_date.map(|d| d.to_string()),
        })
    }

    /// `Signature/Hc` (SAM signs) and `Signature/HpcHc` (`three`: the HPC signs) over
    /// `card part ‖ clientRandom ‖ serviceType ‖ hcId [‖ hpcId]`; the card part is the
    /// physical HC's signature or the virtual HC's token serial.
    pub(super) async fn hc_signature(&mut self, body: &Value, three: bool) -> OpResult {
        let t = request::<ServiceTypeRequest>(body)?.service_type;
        super::check_service_type(&t)?;
        let card_fail = if three {
            StatusCode::HcMode3
        } else {
            StatusCode::HcMode2
        };
        let cr = random8();
        let hc_id = self.hc_id()?;
        let (hc_part, hc_id_no) = if self.state.hc_kind == Some(HcKind::Virtual) {
            let v = self
                .virtual_hc
                .as_ref()
                .ok_or_else(|| Fail::code(StatusCode::NoCard))?;
            (v.serial.to_be_bytes().to_vec(), v.id_no.clone())
        } else {
            let input = [&cr[..], t.as_bytes()].concat();
            let sig = match hc::sign(&mut self.card(CardKind::Hc)?, &input)? {
                Ok(sig) => sig,
                Err(hc::SignRefusal::PinNotVerified) => {
                    return Err(Fail::code(StatusCode::HcPinNotVerified))
                }
                Err(hc::SignRefusal::Other(sw)) => {
                    return Err(Fail::new(card_fail, format!("HC signature failed ({sw})")))
                }
            };
            let basic = hc::basic(&mut self.card(CardKind::Hc)?, card_fail)?;
            (sig, basic.id_no.to_string())
        };
        let hc_part = if self.mutant_on(Mutant::HcSignatureWithoutCard) {
            Vec::new()
        } else {
            hc_part
        };
        let data = [&hc_part[..], &cr[..], t.as_bytes(), hc_id.as_bytes()].concat();
        let mut r = SignatureReply {
            signature: String::new(),
            client_random: Some(B64.encode(cr)),
            sam_id: self.sam_info.sam_id.clone(),
            hospital_id: self.sam_info.hospital_id.clone(),
            service_type: t,
            hpc_id: None,
            hpc_id_no: None,
            hc_id: Some(hc_id),
            hc_id_no: Some(hc_id_no),
        };
        if three {
            let i = self.hpc_identity()?;
            let data = [&data[..], i.card_id.as_bytes()].concat();
            let sig = self.hpc_sign(&data).await.map_err(|f| {
                if f.code == StatusCode::HpcMode3 {
                    f
                } else {
                    Fail::new(StatusCode::HcMode3, f.message)
                }
            })?;
            r.signature = B64.encode(&sig);
            r.hpc_id = Some(i.card_id);
            r.hpc_id_no = Some(i.id_no);
        } else {
            r.signature = B64.encode(self.sam_sign(&data).await?);
        }
        reply(&r)
    }

    /// The HC PIN functions (physical HC only). `POST`/`PUT Hc/Pin` without a PIN (no
    /// `pin`, `null` or `""`) have it typed on the HC reader's PIN pad when it has one.
    pub(super) fn hc_pin(&mut self, op: Op, body: &Value) -> OpResult {
        if self.state.hc_kind == Some(HcKind::Virtual) {
            return Err(Fail::code(StatusCode::VirtualNoPin));
        }
        let st = hc::pin_state(&mut self.card(CardKind::Hc)?)?;
        match op {
            Op::HcPinStatus => reply(&HcPinStatusReply {
                pin_set: st.set,
                pin_verified: st.verified,
                pin_blocked: st.blocked,
                tries_left: st.tries_left,
            }),
            Op::HcPinVerify => {
                // A body without a PIN asks the HC reader's pad, when the card can take a
                // verification now; otherwise (or without a pad) it is refused as before.
                if left_out(body, "pin") && st.set && !st.verified && self.hc_verify_on_pad()? {
                    return reply(&Empty {});
                }
                let pin = request::<PinRequest>(body)?.pin;
                super::check_pin(&pin)?;
                if !st.set {
                    return Err(Fail::code(StatusCode::HcNoPinSet));
                }
                if st.verified {
                    return Err(Fail::code(StatusCode::HcPinAlreadyVerified));
                }
                hc::verify_pin(&mut self.card(CardKind::Hc)?, &pin)?;
                reply(&Empty {})
            }
            Op::HcPinSet => {
                // A body without a PIN: the new PIN typed twice on the HC reader's pad.
                let may_set = !st.set || st.verified;
                if left_out(body, "pin") && may_set && self.hc_change_on_pad()? {
                    return reply(&Empty {});
                }
                let pin = request::<PinRequest>(body)?.pin;
                super::check_pin(&pin)?;
                if st.set && !st.verified {
                    return Err(Fail::code(StatusCode::HcPinNotVerified));
                }
                hc::set_pin(&mut self.card(CardKind::Hc)?, &pin)?;
                reply(&Empty {})
            }
            _ => {
                if !st.set {
                    return Err(Fail::code(StatusCode::HcNoPinSet));
                }
                if !st.verified {
                    return Err(Fail::code(StatusCode::HcPinNotVerified));
                }
                hc::clear_pin(&mut self.card(CardKind::Hc)?)?;
                reply(&Empty {})
            }
        }
    }

    /// The HC PIN typed on its reader's pad (VERIFY PIN DIRECT): false when there is no pad
    /// to ask.
    fn hc_verify_on_pad(&mut self) -> Result<bool, Fail> {
        let verify = hc::pad_verify();
        self.on_pad(
            CardKind::Hc,
            |c| c.verify_pin_on_pad(&verify),
            hc::pad_answer,
        )
    }

    /// The new HC PIN typed twice on its reader's pad (MODIFY PIN DIRECT): false when there
    /// is no pad to ask.
    fn hc_change_on_pad(&mut self) -> Result<bool, Fail> {
        let change = hc::pad_change();
        self.on_pad(
            CardKind::Hc,
            |c| c.modify_pin_on_pad(&change),
            hc::pad_change_answer,
        )
    }

    /// `Transfer/Export`: the verified virtual HC leaves this device.
    pub(super) async fn hc_transfer_export(&mut self) -> OpResult {
        let Some(v) = self
            .virtual_hc
            .clone()
            .filter(|_| self.state.hc_kind == Some(HcKind::Virtual))
        else {
            return Err(Fail::code(StatusCode::VirtualHcOnly));
        };
        let req = TransferExportRequest {
            sam_session: self.sam_session()?,
            card_id: v.card_id,
        };
        let code: dc::TransferExportReply = self.dc.call(path::VC_TRANSFER_EXPORT, &req).await?;
        if !self.mutant_on(Mutant::ExportKeepsHc) {
            self.virtual_hc = None;
        }
        reply(&TransferExportReply {
            transfer_code: code.transfer_code,
        })
    }

    /// `Transfer/Import`: a virtual HC exported by another device of the institution.
    pub(super) async fn hc_transfer_import(&mut self, body: &Value) -> OpResult {
        let code = request::<TransferImportRequest>(body)?.transfer_code;
        let req = DcImport {
            sam_session: self.sam_session()?,
            transfer_code: code,
            device_id: Some(self.device_id.clone()),
        };
        let v: PayloadFields = self.dc.call(path::VC_TRANSFER_IMPORT, &req).await?;
        let basic = virtual_basic(&v);
        self.virtual_hc = Some(VirtualHc {
            basic: basic.clone(),
            card_id: v.card_id,
            id_no: v.id_no,
            // An imported card signs with serial 0 (it carries no token of this device).
            serial: 0,
            pin: None,
        });
        reply(&basic)
    }

    /// `Hc/Marker`: the DC issues the marker, the physical HC stores it.
    pub(super) async fn hc_marker_update(&mut self) -> OpResult {
        if self.state.hc_kind == Some(HcKind::Virtual) {
            return Err(Fail::code(StatusCode::PhysicalHcOnly));
        }
        let hc_id = self.hc_id()?;
        let req = MarkerRequest {
            sam_session: self.sam_session()?,
            hc_id,
        };
        let m: dc::MarkerReply = self.dc.call(path::HC_MARKER, &req).await?;
        let marker = unb64("marker", &m.marker)?;
        hc::write_marker(&mut self.card(CardKind::Hc)?, &marker)?;
        reply(&MarkerReply {
            marker: String::from_utf8_lossy(&marker).into_owned(),
        })
    }
}

/// The virtual HC's basic-data reply from a token payload.
fn virtual_basic(p: &PayloadFields) -> VirtualHcBasicReply {
    VirtualHcBasicReply {
        card_id: p.card_id.clone(),
        id_no: p.id_no.clone(),
        name: p.name.clone(),
        birthday: p.birthday.clone(),
        sex: p.sex.clone(),
        identity_status: p.identity_status.clone(),
        date_issue: None,
        guardian_card_id: None,
    }
}
