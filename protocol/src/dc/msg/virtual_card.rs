//! The virtual card: registration, activation, tokens, verification, transfer, lost phones.

use super::SamAuth;
use crate::token::Payload;
use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

/// A token under a SAM session (`CloudSam/Decrypt`, `VirtualCard/Verify`, `…/Inspect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// SAM session.
    pub sam_session: String,
    /// The QR token.
    pub token: String,
}

/// A token payload as JSON fields (`CloudSam/Decrypt`, `Transfer/Import`, and inside
/// [`VerifiedToken`]); the middleware's ReadBasic builds the same fields from a SAM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadFields {
    /// Card number.
    pub card_id: String,
    /// ID number.
    pub id_no: String,
    /// Name.
    pub name: String,
    /// ROC birthday `yyyMMdd`.
    pub birthday: String,
    /// Sex code.
    pub sex: String,
    /// Identity status code.
    pub identity_status: String,
    /// Token serial.
    pub serial: u32,
}

impl From<&Payload> for PayloadFields {
    fn from(p: &Payload) -> PayloadFields {
        PayloadFields {
            card_id: p.card_no.as_str().to_string(),
            id_no: p.id_no.as_str().to_string(),
            name: p.name.clone(),
            birthday: p.birthday.to_string(),
            sex: p.sex.code().to_string(),
            identity_status: p.identity_status.code().to_string(),
            serial: p.serial,
        }
    }
}

/// `VirtualCard/Verify` and `…/Inspect` reply: the payload and the uses counted so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedToken {
    /// The payload fields.
    #[serde(flatten)]
    pub payload: PayloadFields,
    /// Successful verifications of this token (including this one for Verify).
    pub uses: i64,
    /// The holder has a PIN: decided by the DC for a virtual card (seed 004: 虛擬健保卡由
    /// 署內端判定是否有設定 PIN 碼).
    pub pin_set: bool,
    /// The phone app authorised with the PIN (seed 004: 虛擬健保卡使用健保快易通 APP 來進行
    /// PIN 碼授權).
    pub pin_authorized: bool,
    /// The guardian's card number when a guardian's phone presented a dependant's token
    /// (seed 001 guardians); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_card_id: Option<String>,
}

/// `VirtualCard/Register` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    /// Phone id.
    pub phone_id: String,
    /// Card number.
    pub card_no: String,
    /// ID number.
    pub id_no: String,
    /// The caller's own verdict on the double-ID photo (optional, true by default): false
    /// is refused; true does not override the DC, which checks the photo itself.
    #[serde(default = "yes")]
    pub photo_check: bool,
    /// The caller's own verdict on the counter identity check (optional, true by
    /// default); the DC checks the second ID itself as well.
    #[serde(default = "yes")]
    pub counter_check: bool,
}

/// A phone and its state (`Register`, `Activate` replies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneStateReply {
    /// Phone id.
    pub phone_id: String,
    /// `registered` or `active`.
    pub state: String,
}

/// `VirtualCard/Activate` request: SAM signature fields + the phone and the card read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivateRequest {
    /// The SAM signature.
    #[serde(flatten)]
    pub auth: SamAuth,
    /// Phone id.
    pub phone_id: String,
    /// Card number read at the counter.
    pub hc_id: String,
}

/// `VirtualCard/Token` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenIssueRequest {
    /// Phone id.
    pub phone_id: String,
    /// `ES256` (when absent) or `RS256`; anything else is 1706, so kept as text here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

/// `VirtualCard/Token` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenIssueReply {
    /// The QR token.
    pub token: String,
    /// Its serial.
    pub serial: i64,
    /// Lifetime in seconds (60).
    pub valid_seconds: i64,
}

/// `VirtualCard/Transfer/Export` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferExportRequest {
    /// SAM session.
    pub sam_session: String,
    /// Card number.
    pub card_id: String,
}

/// `VirtualCard/Transfer/Export` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferExportReply {
    /// One-time code.
    pub transfer_code: String,
}

/// `VirtualCard/Transfer/Import` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferImportRequest {
    /// SAM session.
    pub sam_session: String,
    /// One-time code.
    pub transfer_code: String,
    /// The importing device (optional; recorded as `unknown` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

/// A phone (`VirtualCard/LostPhone` request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneRequest {
    /// Phone id.
    pub phone_id: String,
}

/// `VirtualCard/LostPhone` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LostPhoneReply {
    /// Phone id.
    pub phone_id: String,
    /// Tokens revoked.
    pub revoked_tokens: usize,
}
