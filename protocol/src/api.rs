//! Web API request and response types of the control software 6.0, field names as the
//! real product uses them (`statusCode`, `samId`, `hospitalId`, `clientRandom`, …).

use crate::StatusCode;
use serde::{Deserialize, Serialize};

/// Paths of the Web API (DESIGN §6).
pub mod path {
    /// GET: device status and modes.
    pub const STATUS: &str = "/api/common/v1/Status";
    /// POST: initialise the devices (optional `deviceName`).
    pub const INITIAL: &str = "/api/common/v1/Initial";
    /// POST: release the devices.
    pub const FINALIZE: &str = "/api/common/v1/Finalize";
    /// GET: version numbers.
    pub const VERSION: &str = "/api/common/v1/Version";
    /// GET: reader time.
    pub const READER_TIME: &str = "/api/common/v1/ReaderTime";
    /// GET: device list.
    pub const DEVICES: &str = "/api/common/v1/Devices";
    /// GET: API call log. DELETE: clear it.
    pub const CALL_LOG: &str = "/api/common/v1/CallLog";
    /// POST: verify the SAM with the DC.
    pub const SAM_VERIFY: &str = "/api/sam/v1/Verification";
    /// DELETE: SAM logout.
    pub const SAM_LOGOUT: &str = "/api/sam/v1/Logout";
    /// GET: SAM basic data.
    pub const SAM_BASIC: &str = "/api/sam/v1/BasicData";
    /// POST: SAM signature `{serviceType}`.
    pub const SAM_SIGNATURE: &str = "/api/sam/v1/Signature";
    /// POST: HPC PIN verification `{pin}`.
    pub const HPC_VERIFY: &str = "/api/hpc/v1/Verification/Hpc";
    /// POST: mobile HCA login `{credential}`.
    pub const HPC_MOBILE: &str = "/api/hpc/v1/Verification/MobileHca";
    /// GET: HPC basic data.
    pub const HPC_BASIC: &str = "/api/hpc/v1/BasicData";
    /// POST: HPC signature `{serviceType}`.
    pub const HPC_SIGNATURE: &str = "/api/hpc/v1/Signature";
    /// POST: set PIN `{newPin}`; PUT: reset with PUK `{puk, newPin}`.
    pub const HPC_PIN: &str = "/api/hpc/v1/Pin";
    /// DELETE: HPC / mobile HCA logout.
    pub const HPC_LOGOUT: &str = "/api/hpc/v1/Logout";
    /// POST: verify a virtual HC token `{token}`.
    pub const HC_VIRTUAL_VERIFY: &str = "/api/hc/v1/Verification/VirtualHc";
    /// POST: read a virtual HC's basic data without consuming the token `{token}`.
    pub const HC_VIRTUAL_READ: &str = "/api/hc/v1/VirtualHc/ReadBasic";
    /// GET: HC basic data (physical or the verified virtual card).
    pub const HC_BASIC: &str = "/api/hc/v1/BasicData";
    /// POST: HC signature `{serviceType}`.
    pub const HC_SIGNATURE: &str = "/api/hc/v1/Signature/Hc";
    /// POST: three-card signature `{serviceType}`.
    pub const HPC_HC_SIGNATURE: &str = "/api/hc/v1/Signature/HpcHc";
    /// GET: PIN status; POST: verify `{pin}`; PUT: set `{pin}`; DELETE: clear.
    pub const HC_PIN: &str = "/api/hc/v1/Pin";
    /// DELETE: HC logout.
    pub const HC_LOGOUT: &str = "/api/hc/v1/Logout";
    /// POST: export the verified virtual HC for transfer.
    pub const HC_TRANSFER_EXPORT: &str = "/api/hc/v1/Transfer/Export";
    /// POST: import a transfer code `{transferCode}`.
    pub const HC_TRANSFER_IMPORT: &str = "/api/hc/v1/Transfer/Import";
    /// POST: physical HC marker update.
    pub const HC_MARKER: &str = "/api/hc/v1/Marker";
    /// GET: imported cloud SAMs.
    pub const CLOUD_SAM_GET: &str = "/api/settings/v1/CloudSam/Get";
    /// POST: import a cloud SAM file `{fileName, content}`.
    pub const CLOUD_SAM_ADD: &str = "/api/settings/v1/CloudSam/Add";
    /// POST: remove a cloud SAM `{samId}`.
    pub const CLOUD_SAM_REMOVE: &str = "/api/settings/v1/CloudSam/Remove";
    /// GET: PC/SC readers.
    pub const PCSC_READERS: &str = "/api/settings/v1/PcscReaderReader/Readers";
    /// GET: default reader.
    pub const PCSC_GET_DEFAULT: &str = "/api/settings/v1/PcscReaderReader/GetDefault";
    /// POST: set default reader `{readerName}`.
    pub const PCSC_SET_DEFAULT: &str = "/api/settings/v1/PcscReaderReader/SetDefault";
    /// POST: clear the default reader.
    pub const PCSC_REMOVE_DEFAULT: &str = "/api/settings/v1/PcscReaderReader/RemoveDefault";
    /// POST: pick the reader holding a card as default.
    pub const PCSC_AUTODETECT: &str = "/api/settings/v1/PcscReaderReader/AutoDetect";
    /// GET: CORS whitelist.
    pub const CORS_GET: &str = "/api/settings/v1/Cors/Get";
    /// POST: add a host `{hostName}`.
    pub const CORS_ADD: &str = "/api/settings/v1/Cors/Add";
    /// POST: remove a host `{hostName}`.
    pub const CORS_REMOVE: &str = "/api/settings/v1/Cors/Remove";
}

/// A reply carrying only a status code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusOnly {
    /// 4-digit status code.
    pub status_code: StatusCode,
    /// Human-readable message (ours; clients must rely on the code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

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

/// Body with a PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinRequest {
    /// PIN digits.
    pub pin: String,
}

/// HPC set-PIN body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPinRequest {
    /// New PIN digits.
    pub new_pin: String,
}

/// HPC reset-PIN body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPinRequest {
    /// PUK (8 digits).
    pub puk: String,
    /// New PIN digits.
    pub new_pin: String,
}

/// Body with a virtual-card token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// The QR token text.
    pub token: String,
}

/// A signature reply (SAM, HPC, HC, three-card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureReply {
    /// Status code.
    pub status_code: StatusCode,
    /// Base64 signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Base64 8-byte random the signature covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_random: Option<String>,
    /// SAM id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sam_id: Option<String>,
    /// Hospital id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hospital_id: Option<String>,
    /// Service type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// HPC card id (HPC and three-card signatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpc_id: Option<String>,
    /// HPC holder's ID number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpc_id_no: Option<String>,
    /// HC card number (HC and three-card signatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hc_id: Option<String>,
    /// HC holder's ID number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hc_id_no: Option<String>,
}

/// HC basic data reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcBasicReply {
    /// Status code.
    pub status_code: StatusCode,
    /// Card number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_id: Option<String>,
    /// ID number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_no: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Birthday (ROC 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// Sex M/F.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// Identity status (virtual cards; physical cards do not carry it in basic data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_status: Option<String>,
    /// Issue date (physical only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_issue: Option<String>,
}
