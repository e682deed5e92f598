//! Request and reply bodies of the DC calls ([`super::path`]), with the exact JSON field
//! names. Every reply also carries `statusCode` and `message` (added by the server, read
//! by the client from the same object); the types here are the call-specific fields.
//! Both directions derive `Serialize` and `Deserialize` so server and client share them.

use crate::token::Payload;
use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

/// An empty body or reply (`{}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// What an HIS sends to prove a SAM at its counter: the output of the 6.0 SAM Signature
/// API; the signature covers [`super::signature_input`].
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
    /// Base64 HMAC over [`super::sam_mac_input`].
    pub sam_mac: String,
}

/// `Sam/Verify` reply: the DC's proof and a SAM session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamVerifyReply {
    /// Base64 HMAC over [`super::dc_proof_input`].
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
    /// The double-ID photo check passed (optional, true by default).
    #[serde(default = "yes")]
    pub photo_check: bool,
    /// The counter identity check passed (optional, true by default).
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

/// `MobileHca/Issue` request, and the body of the credential it returns (fields in
/// alphabetical order: the historic encoding, byte-identical).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcaCredential {
    /// Hospital id.
    pub hospital_id: String,
    /// HPC id.
    pub hpc_id: String,
    /// ID number.
    pub id_no: String,
    /// Name.
    pub name: String,
}

/// `MobileHca/Issue` reply: `b64(json).b64(mac)` (see [`super::SignedBlob`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcaIssueReply {
    /// The credential the HCA app holds.
    pub credential: String,
}

/// `MobileHca/Login` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcaLoginRequest {
    /// SAM session.
    pub sam_session: String,
    /// The credential.
    pub credential: String,
    /// The device (optional; `unknown` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

/// `MobileHca/Login` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcaLoginReply {
    /// HCA session id.
    pub hca_session: String,
    /// HPC id.
    pub hpc_id: String,
    /// ID number.
    pub id_no: String,
    /// Name.
    pub name: String,
}

/// `MobileHca/Sign` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcaSignRequest {
    /// HCA session.
    pub hca_session: String,
    /// Base64 data.
    pub data: String,
}

/// `MobileHca/Sign` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcaSignReply {
    /// Base64 signature.
    pub signature: String,
    /// HPC id.
    pub hpc_id: String,
}

/// `MobileHca/Logout` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcaLogoutRequest {
    /// HCA session.
    pub hca_session: String,
}

/// `Hca/CertStatus` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertStatusRequest {
    /// SAM session.
    pub sam_session: String,
    /// Base64 DER certificate.
    pub certificate: String,
}

/// `Hca/CertStatus` reply (also what revoking a certificate answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertSerial {
    /// Serial, hex as x509 prints it.
    pub serial: String,
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_names_are_the_wire_names() {
        let r: ActivateRequest = serde_json::from_value(json!({
            "samId": "s", "hospitalId": "h", "clientRandom": "c", "serviceType": "01",
            "signature": "g", "phoneId": "p", "hcId": "x", "extra": 1 }))
        .unwrap();
        assert_eq!((r.auth.sam_id.as_str(), r.hc_id.as_str()), ("s", "x"));
        let v = serde_json::to_value(VerifiedToken {
            payload: PayloadFields {
                card_id: "c".into(),
                id_no: "i".into(),
                name: "n".into(),
                birthday: "b".into(),
                sex: "M".into(),
                identity_status: "0".into(),
                serial: 7,
            },
            uses: 1,
        })
        .unwrap();
        assert_eq!(v["cardId"], "c");
        assert_eq!(v["identityStatus"], "0");
        assert_eq!(v["uses"], 1);
        let u = serde_json::to_value(UploadEntry {
            upload_id: 1,
            special_code: "AB12".into(),
            hc_id: "h".into(),
            hpc_id: None,
            at: 0,
        })
        .unwrap();
        assert!(u["hpcId"].is_null() && u.get("hpcId").is_some());
        let reg: RegisterRequest =
            serde_json::from_value(json!({"phoneId": "p", "cardNo": "c", "idNo": "i"})).unwrap();
        assert!(reg.photo_check && reg.counter_check);
    }
}
