//! Web API bodies of the HC data areas and the visit write-back (ours: seed 001 asks for
//! write-back after the visit, physical and virtual, and no seed shows a path for it; see
//! protocol/docs/APDU.md "HC data areas" and protocol/docs/DC.md "Visits"). The same paths
//! serve a physical HC (the card's areas, opened by the SAM) and a verified virtual HC (the
//! DC's record of the person).

use crate::apdu::hc_areas::{AreaItem, InsuranceHeader, VisitEntry, VisitRecord};
use serde::{Deserialize, Serialize};

/// Which area function an endpoint runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaAction {
    /// `GET Hc/Insurance`: the insurance header and the visit records.
    Insurance,
    /// `POST Hc/Visit`: write one visit.
    VisitWrite,
    /// `GET Hc/Medical`: the medical area (needs the HPC verified).
    MedicalRead,
    /// `POST Hc/Medical`: add a medical item (needs the HPC verified).
    MedicalAdd,
    /// `GET Hc/PublicHealth`: the public-health area.
    PublicHealthRead,
    /// `POST Hc/PublicHealth`: add a public-health item.
    PublicHealthAdd,
}

/// `POST Hc/Visit` body. Every field is a string as the Web API's other bodies are;
/// `diagnosis2` may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitWriteRequest {
    /// Visit date-time, ROC `YYYMMDDhhmmss` (13 digits).
    pub visit_time: String,
    /// Main diagnosis code (ICD-10, ≤ 7 characters).
    pub diagnosis: String,
    /// Secondary diagnosis code.
    #[serde(default)]
    pub diagnosis2: Option<String>,
    /// Medical fee in points (digits).
    pub fee: String,
    /// Co-payment in NT$ (digits).
    pub copay: String,
}

/// `POST Hc/Medical` and `POST Hc/PublicHealth` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemAddRequest {
    /// `outpatientRx`, `longTermRx`, `importantOrder`, `allergy` (medical) or `vaccination`,
    /// `organDonation`, `hospice` (public health).
    pub kind: String,
    /// The item's text (1–100 bytes of UTF-8).
    pub text: String,
}

/// One visit record in a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitReply {
    /// Visit sequence number (就醫序號), 4 digits.
    pub seq_no: String,
    /// ROC `YYYMMDDhhmmss`.
    pub visit_time: String,
    /// Institution id (the SAM's hospital).
    pub hospital_id: String,
    /// Main diagnosis.
    pub diagnosis: String,
    /// Secondary diagnosis (empty when none).
    pub diagnosis2: String,
    /// Fee (points).
    pub fee: u32,
    /// Co-payment.
    pub copay: u32,
}

impl From<&VisitRecord> for VisitReply {
    fn from(r: &VisitRecord) -> VisitReply {
        VisitReply {
            seq_no: r.seq.clone(),
            visit_time: r.entry.at.clone(),
            hospital_id: r.entry.institution.clone(),
            diagnosis: r.entry.diagnosis.clone(),
            diagnosis2: r.entry.diagnosis2.clone(),
            fee: r.entry.fee,
            copay: r.entry.copay,
        }
    }
}

/// `GET Hc/Insurance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InsuranceReply {
    /// Insurer code.
    pub insurer: String,
    /// Identity status.
    pub identity_status: String,
    /// Card valid until (ROC); empty for a virtual card.
    pub valid_until: String,
    /// Major-illness codes.
    pub major_illness: Vec<String>,
    /// Visits left before the card must be updated.
    pub visits_left: u8,
    /// Last visit sequence number (`0000` before the first).
    pub last_seq_no: String,
    /// Newborn flag (0 none, 1 a newborn's visits are recorded on this card).
    pub newborn: u8,
    /// The newborn's birthday (`0000000` when none).
    pub newborn_birthday: String,
    /// Cumulative fee of the visits written.
    pub total_fee: u32,
    /// Cumulative co-payment.
    pub total_copay: u32,
    /// Visit records, newest first.
    pub visits: Vec<VisitReply>,
}

impl InsuranceReply {
    /// From the header and the records (newest first).
    pub fn new(h: &InsuranceHeader, visits: &[VisitRecord]) -> InsuranceReply {
        InsuranceReply {
            insurer: h.insurer.clone(),
            identity_status: h.identity_status.clone(),
            valid_until: h.valid_until.clone(),
            major_illness: h.major_illness.clone(),
            visits_left: h.visits_left,
            last_seq_no: h.last_seq.clone(),
            newborn: h.newborn,
            newborn_birthday: h.newborn_birthday.clone(),
            total_fee: h.total_fee,
            total_copay: h.total_copay,
            visits: visits.iter().map(VisitReply::from).collect(),
        }
    }
}

/// `POST Hc/Visit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitWriteReply {
    /// The new visit sequence number.
    pub seq_no: String,
    /// Visits left after this one.
    pub visits_left: u8,
}

/// `GET Hc/Medical`, `GET Hc/PublicHealth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemsReply {
    /// The area's items in the order written.
    pub items: Vec<AreaItem>,
}

/// Checks a visit body and makes the card entry (`hospital_id` from the SAM). The error
/// names the field and is a 1704/1705/1706 at the caller.
pub fn visit_entry(r: &VisitWriteRequest, hospital_id: &str) -> Result<VisitEntry, String> {
    let number = |name: &str, s: &str| -> Result<u32, String> {
        if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{name} must be 1 to 9 digits"));
        }
        s.parse::<u32>().map_err(|e| format!("{name}: {e}"))
    };
    let e = VisitEntry {
        at: r.visit_time.clone(),
        institution: hospital_id.to_string(),
        diagnosis: r.diagnosis.clone(),
        // An absent secondary diagnosis is a visit with one diagnosis, not a missing value.
        diagnosis2: r.diagnosis2.clone().unwrap_or_default(),
        fee: number("fee", &r.fee)?,
        copay: number("copay", &r.copay)?,
    };
    e.encode().map_err(|err| err.to_string())?;
    Ok(e)
}
