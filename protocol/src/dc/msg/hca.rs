//! Mobile HCA (credential, login, signing, logout) and HPC certificate status.

use serde::{Deserialize, Serialize};

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

/// `MobileHca/Issue` reply: `b64(json).b64(mac)` (see [`crate::dc::SignedBlob`]).
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
