//! SAM ↔ DC authentication, SAM-signed requests, cloud-SAM signing, time.

use serde::{Deserialize, Serialize};

/// An empty body or reply (`{}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// What an HIS sends to prove a SAM at its counter: the output of the 6.0 SAM Signature
/// API; the signature covers [`crate::dc::signature_input`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamAuth {
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// Base64 8-byte random.
    pub client_random: String,
    /// Service type signed.
    pub service_type: String,
    /// Base64 signature.
    pub signature: String,
}

/// `Time` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeReply {
    /// ROC `yyyMMddHHmmss`, Taiwan time.
    pub server_date_time: String,
    /// Unix seconds.
    pub unix: i64,
}

/// `Sam/Challenge` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamChallengeRequest {
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// A cloud SAM (an unknown id is then 1611, not 1301). Optional, false by default.
    #[serde(default)]
    pub cloud: bool,
}

/// `Sam/Challenge` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamChallengeReply {
    /// Challenge id for `Sam/Verify`.
    pub challenge_id: String,
    /// Base64 8-byte DC random.
    pub dc_random: String,
}

/// `Sam/Verify` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamVerifyRequest {
    /// From the challenge.
    pub challenge_id: String,
    /// Base64 8-byte SAM random.
    pub sam_random: String,
    /// Base64 HMAC over [`crate::dc::sam_mac_input`].
    pub sam_mac: String,
}

/// `Sam/Verify` reply: the DC's proof and a SAM session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamVerifyReply {
    /// Base64 HMAC over [`crate::dc::dc_proof_input`].
    pub proof: String,
    /// SAM session id.
    pub sam_session: String,
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// Institution name.
    pub hospital_name: String,
    /// Institution short name.
    pub hospital_short_name: String,
    /// ROC date-time.
    pub server_date_time: String,
}

/// `CloudSam/Sign` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudSignRequest {
    /// SAM session.
    pub sam_session: String,
    /// Base64 data to sign.
    pub data: String,
}

/// A signature reply (`CloudSam/Sign`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureReply {
    /// Base64 signature.
    pub signature: String,
}
