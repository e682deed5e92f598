//! The DC's record of a virtual card's data areas (seed 001: write-back after the visit
//! "physical and virtual"): the same insurance header, visit records and items a physical
//! HC holds, kept per person by the DC and written through the SAM session of the
//! institution (protocol/docs/DC.md, "Visits and data areas").

use crate::apdu::hc_areas::AreaItem;
use serde::{Deserialize, Serialize};

/// `Hc/Visit/Write` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitWriteRequest {
    /// SAM session (the institution the visit is recorded for).
    pub sam_session: String,
    /// Card number of the verified virtual HC.
    pub card_id: String,
    /// ROC `YYYMMDDhhmmss`.
    pub visit_time: String,
    /// Main diagnosis.
    pub diagnosis: String,
    /// Secondary diagnosis (empty when none).
    pub diagnosis2: String,
    /// Fee (points).
    pub fee: u32,
    /// Co-payment.
    pub copay: u32,
}

/// `Hc/Visit/Write` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitWriteReply {
    /// The new sequence number.
    pub seq_no: String,
    /// Visits left after this one.
    pub visits_left: u8,
}

/// `Hc/Insurance`, `Hc/Items` request: whose record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AreaReadRequest {
    /// SAM session.
    pub sam_session: String,
    /// Card number.
    pub card_id: String,
    /// For `Hc/Items`: `medical` or `publicHealth` (ignored by `Hc/Insurance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
}

/// `Hc/Items/Add` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemAddRequest {
    /// SAM session.
    pub sam_session: String,
    /// Card number.
    pub card_id: String,
    /// The item (its kind names the area).
    pub item: AreaItem,
}
