//! Seed 002's "secure DES" format for IDs handed to external consumers (protocol/docs/DC.md,
//! "Data protection").

use serde::{Deserialize, Serialize};

/// `Admin/ExternalIdDes` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecureDesRequest {
    /// Card number.
    pub card_id: String,
    /// Who asks (written to the audit table).
    pub requester: String,
}

/// `Admin/ExternalIdDes` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecureDesReply {
    /// Card number.
    pub card_id: String,
    /// The ID number as 3DES hex, `ceil(n/8)·8·2` characters (32 for a 10-character ID).
    pub id_no_des: String,
}
