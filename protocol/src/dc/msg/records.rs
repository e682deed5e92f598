//! The marker for a physical card; visit uploads.

use super::SamAuth;
use serde::{Deserialize, Serialize};

/// `Hc/Marker` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkerRequest {
    /// SAM session.
    pub sam_session: String,
    /// Card number.
    pub hc_id: String,
}

/// `Hc/Marker` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkerReply {
    /// Base64 marker bytes.
    pub marker: String,
}

/// `Upload` request: SAM signature fields + the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRequest {
    /// The SAM signature.
    #[serde(flatten)]
    pub auth: SamAuth,
    /// Four letters or digits (1705 otherwise).
    pub special_code: String,
    /// Card number.
    pub hc_id: String,
    /// HPC id (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpc_id: Option<String>,
    /// The visit record, stored as given (null when absent).
    #[serde(default)]
    pub visit: serde_json::Value,
    /// When the visit took place, ROC `yyyMMddHHmmss`, for a visit recorded offline (home
    /// care, no network) and uploaded later: the DC refuses it more than 24 hours after
    /// the visit (seed 001; protocol/docs/DC.md "Offline visits"). Absent: uploaded at the
    /// visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit_time: Option<String>,
}

/// `Upload` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReply {
    /// Upload id.
    pub upload_id: i64,
}

/// One upload in `Upload/Query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadEntry {
    /// Upload id.
    pub upload_id: i64,
    /// Special code.
    pub special_code: String,
    /// Card number.
    pub hc_id: String,
    /// HPC id (null when none).
    pub hpc_id: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// `Upload/Query` reply (the request is [`SamAuth`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadList {
    /// The institution's uploads, oldest first.
    pub uploads: Vec<UploadEntry>,
}
