//! Request bodies. Unknown fields are ignored; a required field that is missing or not a
//! string is a malformed request (1704).

use serde::{Deserialize, Serialize};

/// `POST Initial` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitialRequest {
    /// Device to connect (a cloud SAM id or a COM/PC-SC name); none → default order.
    #[serde(default)]
    pub device_name: Option<String>,
}

/// Body with a service type (signatures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTypeRequest {
    /// 2-character service type, e.g. `"01"`.
    pub service_type: String,
}

/// Body with a PIN (HPC verify; HC verify and set).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinRequest {
    /// PIN digits.
    pub pin: String,
}

/// HPC set-PIN body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPinRequest {
    /// New PIN digits.
    pub new_pin: String,
}

/// HPC reset-PIN body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPinRequest {
    /// PUK (8 digits).
    pub puk: String,
    /// New PIN digits.
    pub new_pin: String,
}

/// Body with a virtual-card token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// The QR token text.
    pub token: String,
}

/// Mobile HCA login body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialRequest {
    /// The mobile HCA credential.
    pub credential: String,
}

/// Transfer import body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferImportRequest {
    /// Code from the exporting device.
    pub transfer_code: String,
}

/// Cloud SAM import body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudSamAddRequest {
    /// The `.SAM` file's name.
    pub file_name: String,
    /// The file's content.
    pub content: String,
}

/// Cloud SAM removal body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamIdRequest {
    /// SAM id.
    pub sam_id: String,
}

/// Set-default-reader body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReaderNameRequest {
    /// Reader name.
    pub reader_name: String,
}

/// CORS add/remove body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostNameRequest {
    /// Host name, e.g. `www.nhi.gov.tw`.
    pub host_name: String,
}

/// `Debug` for bodies that carry a PIN, PUK, token, credential, transfer code or cloud-SAM
/// secret: the type name only, so a logged or panicking request never shows the secret.
macro_rules! redacted_debug {
    ($($t:ident),*) => { $(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { <redacted> }"))
            }
        }
    )* };
}

redacted_debug!(
    PinRequest,
    NewPinRequest,
    ResetPinRequest,
    TokenRequest,
    CredentialRequest,
    TransferImportRequest,
    CloudSamAddRequest
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::hc_areas::{AreaAction, ItemAddRequest, VisitWriteRequest};
    use crate::api::{Action, ENDPOINTS};
    use crate::mode::Operation as Op;
    use serde::de::DeserializeOwned;
    use serde_json::{Map, Value};

    fn takes<T: DeserializeOwned>(fields: &Map<String, Value>) -> bool {
        serde_json::from_value::<T>(Value::Object(fields.clone())).is_ok()
    }

    /// The table's body fields are exactly what the request types read.
    #[test]
    fn every_endpoint_body_deserializes_into_its_request_type() {
        for e in ENDPOINTS {
            let m: Map<String, Value> = e
                .body
                .iter()
                .map(|f| (f.name.to_string(), Value::String("x".into())))
                .collect();
            let ok = match e.action {
                Action::Op(Op::SamSignature | Op::HpcSignature | Op::HcSignature)
                | Action::Op(Op::HpcHcSignature) => takes::<ServiceTypeRequest>(&m),
                Action::Op(Op::HpcVerifyPin | Op::HcPinVerify | Op::HcPinSet) => {
                    takes::<PinRequest>(&m)
                }
                Action::Op(Op::HpcSetPin) => takes::<NewPinRequest>(&m),
                Action::Op(Op::HpcResetPin) => takes::<ResetPinRequest>(&m),
                Action::Op(Op::HcVirtualVerify | Op::HcVirtualReadBasic) => {
                    takes::<TokenRequest>(&m)
                }
                Action::Op(Op::MobileHcaVerify) => takes::<CredentialRequest>(&m),
                Action::Op(Op::HcTransferImport) => takes::<TransferImportRequest>(&m),
                Action::CloudSamAdd => takes::<CloudSamAddRequest>(&m),
                Action::CloudSamRemove => takes::<SamIdRequest>(&m),
                Action::SetDefaultReader => takes::<ReaderNameRequest>(&m),
                Action::CorsAdd | Action::CorsRemove => takes::<HostNameRequest>(&m),
                Action::HcArea(AreaAction::VisitWrite) => takes::<VisitWriteRequest>(&m),
                Action::HcArea(AreaAction::MedicalAdd | AreaAction::PublicHealthAdd) => {
                    takes::<ItemAddRequest>(&m)
                }
                _ => m.is_empty(),
            };
            assert!(ok, "{} {}", e.method, e.path);
        }
    }
}
