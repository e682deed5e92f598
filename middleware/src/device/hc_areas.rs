//! The HC's data areas and the visit write-back on the Web API (ours; protocol/docs/APDU.md
//! "HC data areas", protocol/docs/DC.md "Visits and data areas"). Every function runs under
//! the mode rules of `HcBasic` (SAM verified, HC authenticated); the medical area also needs
//! the HPC verified (1402). A physical HC's areas are opened with the SAM's proof and read
//! or written on the card; a verified virtual HC's are the DC's record of the person.

use super::Device;
use crate::cards::hc_areas as card;
use crate::error::{reply, request, Fail, OpResult};
use nhi_protocol::apdu::hc_areas::{AreaItem, ItemKind, TAG_MEDICAL, TAG_PUBLIC_HEALTH};
use nhi_protocol::apdu::CardKind;
use nhi_protocol::api::hc_areas::{
    visit_entry, AreaAction, InsuranceReply, ItemAddRequest, ItemsReply, VisitWriteReply,
    VisitWriteRequest,
};
use nhi_protocol::api::reply::Empty;
use nhi_protocol::dc::msg as dc;
use nhi_protocol::dc::path;
use nhi_protocol::mode::{HcKind, Operation as Op};
use nhi_protocol::StatusCode;
use serde_json::Value;

/// The DC's name of an item area.
fn area_name(tag: u8) -> &'static str {
    if tag == TAG_MEDICAL {
        "medical"
    } else {
        "publicHealth"
    }
}

impl Device {
    /// Runs an area function under the mode rules of `HcBasic`.
    pub async fn hc_area(&mut self, action: AreaAction, body: &Value) -> OpResult {
        if !self.begin(Op::HcBasic).await? {
            return reply(&Empty {});
        }
        let r = self.hc_area_exec(action, body).await;
        self.end(Op::HcBasic, &r);
        r
    }

    async fn hc_area_exec(&mut self, action: AreaAction, body: &Value) -> OpResult {
        let tag = match action {
            AreaAction::MedicalRead | AreaAction::MedicalAdd => TAG_MEDICAL,
            _ => TAG_PUBLIC_HEALTH,
        };
        if tag == TAG_MEDICAL && self.state.hpc < 3 {
            return Err(Fail::new(
                StatusCode::HpcMode3,
                "the medical area needs a verified HPC",
            ));
        }
        let is_virtual = self.state.hc_kind == Some(HcKind::Virtual);
        match action {
            AreaAction::Insurance if is_virtual => {
                let req = self.area_request(None)?;
                let r: InsuranceReply = self.dc.call(path::HC_INSURANCE, &req).await?;
                reply(&r)
            }
            AreaAction::Insurance => {
                self.open_card_areas()?;
                let (h, visits) = card::insurance(&mut self.card(CardKind::Hc)?)?;
                reply(&InsuranceReply::new(&h, &visits))
            }
            AreaAction::VisitWrite => {
                let req = request::<VisitWriteRequest>(body)?;
                let entry = visit_entry(&req, &self.sam_info.hospital_id)
                    .map_err(|m| Fail::new(StatusCode::ParamFormat1, m))?;
                if is_virtual {
                    let w = dc::VisitWriteRequest {
                        sam_session: self.sam_session()?,
                        card_id: self.hc_id()?,
                        visit_time: entry.at,
                        diagnosis: entry.diagnosis,
                        diagnosis2: entry.diagnosis2,
                        fee: entry.fee,
                        copay: entry.copay,
                    };
                    let r: dc::VisitWriteReply = self.dc.call(path::HC_VISIT_WRITE, &w).await?;
                    return reply(&VisitWriteReply {
                        seq_no: r.seq_no,
                        visits_left: r.visits_left,
                    });
                }
                self.open_card_areas()?;
                let seq_no = card::write_visit(&mut self.card(CardKind::Hc)?, &entry)?;
                let (h, _) = card::insurance(&mut self.card(CardKind::Hc)?)?;
                reply(&VisitWriteReply {
                    seq_no,
                    visits_left: h.visits_left,
                })
            }
            AreaAction::MedicalRead | AreaAction::PublicHealthRead if is_virtual => {
                let req = self.area_request(Some(area_name(tag)))?;
                let r: ItemsReply = self.dc.call(path::HC_ITEMS, &req).await?;
                reply(&r)
            }
            AreaAction::MedicalRead | AreaAction::PublicHealthRead => {
                self.open_card_areas()?;
                let items = card::items(&mut self.card(CardKind::Hc)?, tag)?;
                reply(&ItemsReply { items })
            }
            AreaAction::MedicalAdd | AreaAction::PublicHealthAdd => {
                let item = item_of(body, tag)?;
                if is_virtual {
                    let req = dc::ItemAddRequest {
                        sam_session: self.sam_session()?,
                        card_id: self.hc_id()?,
                        item,
                    };
                    let _: Empty = self.dc.call(path::HC_ITEMS_ADD, &req).await?;
                    return reply(&Empty {});
                }
                self.open_card_areas()?;
                card::add_item(&mut self.card(CardKind::Hc)?, &item)?;
                reply(&Empty {})
            }
        }
    }

    fn area_request(&self, area: Option<&str>) -> Result<dc::AreaReadRequest, Fail> {
        Ok(dc::AreaReadRequest {
            sam_session: self.sam_session()?,
            card_id: self.hc_id()?,
            area: area.map(str::to_string),
        })
    }

    /// The physical HC's identity status (身分註記) from its insurance area; None when the
    /// SAM is a cloud SAM, which cannot open the areas.
    pub(super) fn hc_identity_status(&mut self) -> Result<Option<String>, Fail> {
        if self.sam_reader().is_none() {
            return Ok(None);
        }
        self.open_card_areas()?;
        let (h, _) = card::insurance(&mut self.card(CardKind::Hc)?)?;
        Ok(Some(h.identity_status))
    }

    /// Opens the physical HC's protected areas: the card's challenge, the SAM's proof.
    /// A cloud SAM has no card-side key here: the areas stay closed (1301, documented).
    fn open_card_areas(&mut self) -> Result<(), Fail> {
        if self.sam_reader().is_none() {
            return Err(Fail::new(
                StatusCode::SamMode2,
                "a physical HC's data areas need a physical SAM (a cloud SAM cannot open them)",
            ));
        }
        let hc = self
            .reader_of(CardKind::Hc)
            .ok_or_else(|| Fail::code(StatusCode::NoCard))?;
        let (chip, challenge) = card::challenge(&mut self.at(&hc))?;
        let proof = card::sam_proof(&mut self.sam_card()?, &chip, &challenge)?;
        card::open(&mut self.at(&hc), &proof)
    }
}

/// The item of an add request, checked against the area it is sent to (1706 otherwise).
fn item_of(body: &Value, tag: u8) -> Result<AreaItem, Fail> {
    let req = request::<ItemAddRequest>(body)?;
    let kind: ItemKind = serde_json::from_value(Value::String(req.kind.clone())).map_err(|_| {
        Fail::new(
            StatusCode::ParamFormat3,
            format!("unknown kind {:?}", req.kind),
        )
    })?;
    if kind.area() != tag {
        return Err(Fail::new(
            StatusCode::ParamFormat3,
            format!("{:?} does not belong to this area", req.kind),
        ));
    }
    let item = AreaItem {
        kind,
        text: req.text,
    };
    item.encode()
        .map_err(|e| Fail::new(StatusCode::ParamFormat2, e.to_string()))?;
    Ok(item)
}
