//! Data protection (seed 002): masked view, decryption requests, audit, external id.

use serde::{Deserialize, Serialize};

/// A card holder by card number (`Admin/Person`, `Admin/ExternalId`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardRequest {
    /// Card number.
    pub card_id: String,
}

/// A card holder's ID number and name (masked for `Admin/Person`, plain for `Admin/View`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonReply {
    /// Card number.
    pub card_id: String,
    /// ID number.
    pub id_no: String,
    /// Name.
    pub name: String,
}

/// `Admin/ExternalId` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalIdReply {
    /// Card number.
    pub card_id: String,
    /// Base64 ciphertext under the external key.
    pub id_no_external: String,
}

/// `Admin/DecryptRequest` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptRequest {
    /// Who asks.
    pub requester: String,
    /// Card number.
    pub card_id: String,
    /// Why (required, non-blank).
    pub reason: String,
}

/// A request id (`Admin/DecryptRequest` reply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestIdReply {
    /// Request id.
    pub request_id: i64,
}

/// `Admin/Approve` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproveRequest {
    /// Request id.
    pub request_id: i64,
    /// Who approves (not the requester).
    pub approver: String,
    /// Must be `supervisor`.
    pub role: String,
}

/// `Admin/Approve` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproveReply {
    /// Request id.
    pub request_id: i64,
    /// Unix seconds the approval ends.
    pub expires_at: i64,
}

/// `Admin/View` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewRequest {
    /// Request id.
    pub request_id: i64,
    /// Must be the requester.
    pub requester: String,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// Card number.
    pub card_id: String,
    /// What.
    pub action: String,
}

/// `Admin/Audit` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReply {
    /// Entries, oldest first.
    pub entries: Vec<AuditEntry>,
}
