//! The fields the middleware reads from DC replies, as types: a reply that lacks one is
//! 1799 naming the field, never an empty string. (The DC wire types are moving to
//! `nhi_protocol::dc`; these will then be replaced by them.)

use crate::error::Fail;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::api::reply::VirtualHcBasicReply;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Reads a DC reply as `T`; a missing or mistyped field is 1799.
pub fn parse<T: DeserializeOwned>(what: &str, v: &Value) -> Result<T, Fail> {
    T::deserialize(v).map_err(|e| Fail::dc_reply(format!("{what}: {e}")))
}

/// Decodes a base64 field of a DC reply (1799 when it is not base64).
pub fn unb64(field: &str, s: &str) -> Result<Vec<u8>, Fail> {
    B64.decode(s)
        .map_err(|_| Fail::dc_reply(format!("{field} is not base64")))
}

/// `Sam/Challenge`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// Passed back in `Sam/Verify` as the DC gave it.
    pub challenge_id: Value,
    /// Base64 DC random.
    pub dc_random: String,
}

/// `Sam/Verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamVerified {
    /// Base64 DC proof for the physical SAM (a cloud SAM has no chip to check it).
    pub proof: Option<String>,
    /// Institution name.
    pub hospital_name: String,
    /// Short name.
    pub hospital_short_name: String,
    /// Session for the following calls.
    pub sam_session: String,
}

/// Replies carrying a base64 `signature`.
#[derive(Debug, Deserialize)]
pub struct Signature {
    /// Base64 signature.
    pub signature: String,
}

/// `Time`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Time {
    /// ROC date-time.
    pub server_date_time: String,
}

/// Token payload fields (`CloudSam/Decrypt`, `Transfer/Import`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenFields {
    /// Card number.
    pub card_id: String,
    /// ID number.
    pub id_no: String,
    /// Name.
    pub name: String,
    /// Birthday (ROC 7).
    pub birthday: String,
    /// Sex M/F.
    pub sex: String,
    /// Identity status.
    pub identity_status: String,
    /// Token serial (bound into the virtual HC's signature).
    pub serial: u64,
}

impl TokenFields {
    /// The basic-data reply of the virtual HC.
    pub fn basic(&self) -> VirtualHcBasicReply {
        VirtualHcBasicReply {
            card_id: self.card_id.clone(),
            id_no: self.id_no.clone(),
            name: self.name.clone(),
            birthday: self.birthday.clone(),
            sex: self.sex.clone(),
            identity_status: self.identity_status.clone(),
            date_issue: None,
        }
    }
}

/// `MobileHca/Login`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcaLogin {
    /// Session for signing.
    pub hca_session: String,
    /// HPC card id.
    pub hpc_id: String,
    /// Holder's ID number.
    pub id_no: String,
    /// Holder's name.
    pub name: String,
}

/// `Transfer/Export`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferCode {
    /// Code for the importing device.
    pub transfer_code: String,
}

/// `Hc/Marker`.
#[derive(Debug, Deserialize)]
pub struct Marker {
    /// Base64 marker bytes.
    pub marker: String,
}
