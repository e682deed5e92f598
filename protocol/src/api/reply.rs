//! Reply bodies: the fields that follow `statusCode` on success. `Option` fields without
//! `skip_serializing_if` are sent as `null` when absent (clients see the field either way).

use serde::{Deserialize, Serialize};

/// A reply with no fields besides the status code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// `Initial`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitialReply {
    /// The connected device: a reader name (physical SAM) or a cloud SAM id.
    pub device_name: String,
}

/// `Version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionReply {
    /// Build version.
    pub file_version: String,
    /// `"6000"` for the 6.0 software.
    pub long_version: String,
    /// `"60"`.
    pub short_version: String,
    /// Where the program lives.
    pub location: String,
}

/// `ReaderTime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReaderTimeReply {
    /// ROC date-time `YYYMMDDhhmmss`.
    pub server_date_time: String,
    /// `"reader"` when a reader's own clock answered (absent: the DC's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// SAM identity (`Sam/Verification`, `CloudSam/Add`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamIdReply {
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
}

/// `Sam/BasicData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamBasicReply {
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// Institution name (null for a physical SAM: the chip does not carry it).
    pub hospital_name: Option<String>,
    /// Short name (null for a physical SAM).
    pub hospital_short_name: Option<String>,
}

/// A signature reply (SAM, HPC, HC, three-card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureReply {
    /// Base64 signature.
    pub signature: String,
    /// Base64 8-byte random the signature covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_random: Option<String>,
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// Service type.
    pub service_type: String,
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

/// Mobile HCA login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpcIdReply {
    /// HPC card id of the credential's holder.
    pub hpc_id: String,
}

/// `Hpc/BasicData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpcBasicReply {
    /// HPC card id.
    pub card_id: String,
    /// Holder's ID number.
    pub id_no: String,
    /// Chinese name.
    pub c_name: String,
    /// English name (empty for a mobile HCA).
    pub e_name: String,
}

/// `GET Name`: the connected device's name. Seed 004 shows only the path and its result
/// 0000, called by the console after 連接裝置 and 中斷裝置 (the API 呼叫記錄 screenshot:
/// `/api/common/v1/Initial 1201`, `/api/common/v1/Name 0000`, `/api/common/v1/Finalize
/// 0000`, `/api/common/v1/Name 0000`); it is silent on the reply. Ours: the header's
/// 裝置名稱 (cloud SAM → its SAM id, physical SAM → its reader), the same value as
/// `Status`'s `deviceName`, empty when no device is connected; answered in any mode, as
/// the screenshot's 0000 after Finalize requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceNameReply {
    /// SAM id of a cloud SAM, reader of a physical SAM, empty when none is connected.
    pub device_name: String,
}

/// Kind of a device in the device list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceKind {
    /// An imported cloud SAM (its name is its SAM id).
    Cloud,
    /// A reader holding a physical SAM (its name is the reader's).
    Physical,
}

/// One entry of the device list: a name `Initial` accepts as `deviceName`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceEntry {
    /// The name to pass to `Initial`.
    pub device_name: String,
    /// Cloud or physical SAM.
    pub kind: DeviceKind,
}

/// `GET Devices`: seed 004 「裝置列表:下拉式選單,列出目前可使用的雲端安全模組及 COM
/// PORT」 and 「更新裝置列表:從元件端取得最新的裝置列表資訊」. Cloud SAMs first (import
/// order), then readers holding a SAM: a physical SAM here sits in a COM reader or a PC/SC
/// reader, and both are listed by the name `Initial` accepts. The seed's screenshot lists
/// only SAM ids; it does not show the reply's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicesReply {
    /// The devices, read afresh on each call.
    pub devices: Vec<DeviceEntry>,
}

/// `Hc/BasicData` of a physical HC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcBasicReply {
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
    /// Issue date (ROC 7; null when the card has none).
    pub date_issue: Option<String>,
    /// Identity status (身分註記, seed 004 lists it for the HC), from the card's insurance
    /// area, which only a physical SAM opens: absent with a cloud SAM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_status: Option<String>,
}

/// Basic data of a virtual HC (verify, read-basic, transfer import, `Hc/BasicData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualHcBasicReply {
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
    /// Never sent for a virtual card (it has no issue date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_issue: Option<String>,
    /// The guardian's card number when a guardian's phone presented a dependant's token
    /// (seed 001 guardians; ours); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_card_id: Option<String>,
}

/// `GET Hc/Pin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HcPinStatusReply {
    /// A PIN is set.
    pub pin_set: bool,
    /// It was verified in this card session.
    pub pin_verified: bool,
    /// It is blocked.
    pub pin_blocked: bool,
    /// Tries left.
    pub tries_left: u8,
}

/// `Transfer/Export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferExportReply {
    /// Code for the importing device.
    pub transfer_code: String,
}

/// `Hc/Marker`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkerReply {
    /// The marker written to the card.
    pub marker: String,
}

/// The mode of one device in `Status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModeReport {
    /// `Physical`, `Cloud`, `Virtual`, `Mobile`, `Card`; for the HPC also `DoctorCard`
    /// (醫師卡, seed 004's first HPC kind) (null: none).
    pub kind: Option<String>,
    /// Mode 0–3.
    pub mode: u8,
}

/// `Status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReply {
    /// `Initial` has run.
    pub initialized: bool,
    /// The connected device (empty: none).
    pub device_name: String,
    /// Reader of the HC (else the HPC; empty: none).
    pub reader_name: String,
    /// SAM.
    pub sam: ModeReport,
    /// HPC or mobile HCA.
    pub hpc: ModeReport,
    /// HC.
    pub hc: ModeReport,
    /// A physical HC has a PIN set (null: no physical HC, or unreadable).
    pub hc_pin_set: Option<bool>,
    /// Its PIN was verified (null as above).
    pub hc_pin_verified: Option<bool>,
}

/// One entry of the API call log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLogEntry {
    /// Wall-clock time (RFC 3339).
    pub time: String,
    /// Method and path.
    pub path: String,
    /// Status code answered.
    pub status_code: String,
    /// Duration in milliseconds.
    pub duration_ms: f64,
}

/// `GET CallLog`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallLogReply {
    /// Oldest first.
    pub calls: Vec<CallLogEntry>,
}

/// One imported cloud SAM (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudSamEntry {
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// Institution name.
    pub hospital_name: String,
    /// Short name.
    pub hospital_short_name: String,
    /// Its COM port, `COM<n>`: seed 004 lists 「Comport (主要用於相容性元件)」 for every cloud
    /// SAM. The number is assigned at import (the middleware documents how); null only if
    /// no number is free.
    pub comport: Option<String>,
}

/// `CloudSam/Get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudSamListReply {
    /// Imported cloud SAMs.
    pub cloud_sams: Vec<CloudSamEntry>,
    /// Why the stored list could not be opened (null: it could, or there is none).
    pub store_error: Option<String>,
}

/// `PcscReaderReader/Readers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadersReply {
    /// Reader names.
    pub readers: Vec<String>,
}

/// Default reader (get, set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReaderNameReply {
    /// Reader name.
    pub reader_name: String,
}

/// `Cors/Get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsListReply {
    /// Saved whitelist.
    pub hosts: Vec<String>,
    /// Whitelist in force since start-up.
    pub active: Vec<String>,
}

/// `Cors/Add`, `Cors/Remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorsChangedReply {
    /// Saved whitelist.
    pub hosts: Vec<String>,
    /// Always true: changes apply after a restart.
    pub applies_after_restart: bool,
}
