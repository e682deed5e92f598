//! The one table of Web API endpoints: method, path, what it does (an [`Operation`] of the
//! mode model, or a function outside the mode table), its group, summary and body fields.
//! The middleware routes with it, its OpenAPI document is generated from it, and the
//! harness looks requests up in it by operation.

use super::path;
use crate::mode::Operation as Op;

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl Method {
    /// Upper-case name, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
    /// From the wire name (case-sensitive, like HTTP).
    pub fn parse(s: &str) -> Option<Method> {
        [Method::Get, Method::Post, Method::Put, Method::Delete]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an endpoint does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An operation under the mode rules of seed 004. `DELETE HPC_LOGOUT` is listed as
    /// [`Op::HpcLogout`]; it means [`Op::MobileHcaLogout`] while a mobile HCA is logged in.
    Op(Op),
    /// Device status and modes.
    Status,
    /// The API call log.
    CallLog,
    /// Clear the API call log.
    ClearCallLog,
    /// List imported cloud SAMs.
    CloudSamList,
    /// Import a cloud SAM file.
    CloudSamAdd,
    /// Remove a cloud SAM.
    CloudSamRemove,
    /// PC/SC readers.
    Readers,
    /// The default reader.
    GetDefaultReader,
    /// Set the default reader.
    SetDefaultReader,
    /// Clear the default reader.
    RemoveDefaultReader,
    /// Make the reader holding an HC or HPC the default.
    AutodetectReader,
    /// The CORS whitelist.
    CorsList,
    /// Add a CORS host.
    CorsAdd,
    /// Remove a CORS host.
    CorsRemove,
}

/// Group of an endpoint (OpenAPI tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// Devices, version, time, call log.
    Common,
    /// SAM.
    Sam,
    /// HPC and mobile HCA.
    Hpc,
    /// HC, physical and virtual.
    Hc,
    /// Settings outside the mode rules.
    Settings,
}

impl Tag {
    /// Every tag, in document order.
    pub const ALL: [Tag; 5] = [Tag::Common, Tag::Sam, Tag::Hpc, Tag::Hc, Tag::Settings];
    /// Its name in the document.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tag::Common => "common",
            Tag::Sam => "sam",
            Tag::Hpc => "hpc",
            Tag::Hc => "hc",
            Tag::Settings => "settings",
        }
    }
}

/// A required string field of a request body. The names are those of the request types in
/// [`super`] (a test deserializes each endpoint's fields into its type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// JSON name.
    pub name: &'static str,
    /// What it holds.
    pub what: &'static str,
}

/// One endpoint of the Web API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path.
    pub path: &'static str,
    /// What it does.
    pub action: Action,
    /// Group.
    pub tag: Tag,
    /// The console manual's function name and a short English summary.
    pub summary: &'static str,
    /// Required string fields of the JSON body.
    pub body: &'static [Field],
}

const fn ep(
    method: Method,
    path: &'static str,
    action: Action,
    tag: Tag,
    summary: &'static str,
    body: &'static [Field],
) -> Endpoint {
    Endpoint {
        method,
        path,
        action,
        tag,
        summary,
        body,
    }
}

const fn op(o: Op) -> Action {
    Action::Op(o)
}

const fn f(name: &'static str, what: &'static str) -> Field {
    Field { name, what }
}

const SERVICE: &[Field] = &[f("serviceType", "2-character service type, e.g. \"01\"")];

/// Every endpoint of the Web API.
pub const ENDPOINTS: &[Endpoint] = &[
    ep(
        Method::Get,
        path::STATUS,
        Action::Status,
        Tag::Common,
        "Device status and modes",
        &[],
    ),
    ep(
        Method::Post,
        path::INITIAL,
        op(Op::Initial),
        Tag::Common,
        "連接裝置 Initialise the devices (optional deviceName)",
        &[],
    ),
    ep(
        Method::Post,
        path::FINALIZE,
        op(Op::Finalize),
        Tag::Common,
        "中斷裝置 Release the devices",
        &[],
    ),
    ep(
        Method::Get,
        path::VERSION,
        op(Op::Version),
        Tag::Common,
        "取得版本編號 Version numbers",
        &[],
    ),
    ep(
        Method::Get,
        path::READER_TIME,
        op(Op::ReaderTime),
        Tag::Common,
        "取得讀卡機時間 Reader time (reader clock, or the DC's for a cloud SAM)",
        &[],
    ),
    ep(
        Method::Get,
        path::CALL_LOG,
        Action::CallLog,
        Tag::Common,
        "API call log (time, path, status code, duration)",
        &[],
    ),
    ep(
        Method::Delete,
        path::CALL_LOG,
        Action::ClearCallLog,
        Tag::Common,
        "Clear the API call log",
        &[],
    ),
    ep(
        Method::Post,
        path::SAM_VERIFY,
        op(Op::SamVerify),
        Tag::Sam,
        "驗證安全模組 Verify the SAM with the DC (mode 1 → 2)",
        &[],
    ),
    ep(
        Method::Delete,
        path::SAM_LOGOUT,
        op(Op::SamLogout),
        Tag::Sam,
        "SAM 登出 Logout (cascades to HPC and HC)",
        &[],
    ),
    ep(
        Method::Get,
        path::SAM_BASIC,
        op(Op::SamBasic),
        Tag::Sam,
        "SAM 基本資料 Basic data",
        &[],
    ),
    ep(
        Method::Post,
        path::SAM_SIGNATURE,
        op(Op::SamSignature),
        Tag::Sam,
        "安全模組簽章 SAM signature",
        SERVICE,
    ),
    ep(
        Method::Post,
        path::HPC_VERIFY,
        op(Op::HpcVerifyPin),
        Tag::Hpc,
        "醫事人員卡驗證 PIN Verify the HPC PIN (mode 2 → 3)",
        &[f("pin", "6–8 digits")],
    ),
    ep(
        Method::Post,
        path::HPC_MOBILE,
        op(Op::MobileHcaVerify),
        Tag::Hpc,
        "驗證醫事人員行動憑證 Mobile HCA login",
        &[f("credential", "mobile HCA credential")],
    ),
    ep(
        Method::Get,
        path::HPC_BASIC,
        op(Op::HpcBasic),
        Tag::Hpc,
        "醫事人員卡基本資料 HPC basic data",
        &[],
    ),
    ep(
        Method::Post,
        path::HPC_SIGNATURE,
        op(Op::HpcSignature),
        Tag::Hpc,
        "醫事人員簽章 HPC signature",
        SERVICE,
    ),
    ep(
        Method::Post,
        path::HPC_PIN,
        op(Op::HpcSetPin),
        Tag::Hpc,
        "設定 PIN 碼 Set the HPC PIN",
        &[f("newPin", "6–8 digits")],
    ),
    ep(
        Method::Put,
        path::HPC_PIN,
        op(Op::HpcResetPin),
        Tag::Hpc,
        "重設 PIN 碼 Reset the HPC PIN with the PUK",
        &[f("puk", "8 digits"), f("newPin", "6–8 digits")],
    ),
    ep(
        Method::Delete,
        path::HPC_LOGOUT,
        op(Op::HpcLogout),
        Tag::Hpc,
        "HPC / mobile HCA logout",
        &[],
    ),
    ep(
        Method::Post,
        path::HC_VIRTUAL_VERIFY,
        op(Op::HcVirtualVerify),
        Tag::Hc,
        "驗證虛擬健保卡 Verify a virtual HC (QR token)",
        &[f("token", "QR token text")],
    ),
    ep(
        Method::Post,
        path::HC_VIRTUAL_READ,
        op(Op::HcVirtualReadBasic),
        Tag::Hc,
        "讀取虛擬健保卡基本資料 Read a virtual HC without consuming the token",
        &[f("token", "QR token text")],
    ),
    ep(
        Method::Get,
        path::HC_BASIC,
        op(Op::HcBasic),
        Tag::Hc,
        "健保卡基本資料 HC basic data (physical or verified virtual)",
        &[],
    ),
    ep(
        Method::Post,
        path::HC_SIGNATURE,
        op(Op::HcSignature),
        Tag::Hc,
        "健保卡簽章 HC signature",
        SERVICE,
    ),
    ep(
        Method::Post,
        path::HPC_HC_SIGNATURE,
        op(Op::HpcHcSignature),
        Tag::Hc,
        "三卡簽章 Three-card signature",
        SERVICE,
    ),
    ep(
        Method::Get,
        path::HC_PIN,
        op(Op::HcPinStatus),
        Tag::Hc,
        "健保卡 PIN 狀態 Is a PIN set (physical HC)",
        &[],
    ),
    ep(
        Method::Post,
        path::HC_PIN,
        op(Op::HcPinVerify),
        Tag::Hc,
        "健保卡驗證 PIN Verify the HC PIN",
        &[f("pin", "6–8 digits")],
    ),
    ep(
        Method::Put,
        path::HC_PIN,
        op(Op::HcPinSet),
        Tag::Hc,
        "健保卡設定 PIN Set the HC PIN",
        &[f("pin", "6–8 digits")],
    ),
    ep(
        Method::Delete,
        path::HC_PIN,
        op(Op::HcPinClear),
        Tag::Hc,
        "健保卡清除 PIN Clear the HC PIN",
        &[],
    ),
    ep(
        Method::Delete,
        path::HC_LOGOUT,
        op(Op::HcLogout),
        Tag::Hc,
        "健保卡登出 HC logout",
        &[],
    ),
    ep(
        Method::Post,
        path::HC_TRANSFER_EXPORT,
        op(Op::HcTransferExport),
        Tag::Hc,
        "轉移虛擬健保卡 匯出 Export the verified virtual HC",
        &[],
    ),
    ep(
        Method::Post,
        path::HC_TRANSFER_IMPORT,
        op(Op::HcTransferImport),
        Tag::Hc,
        "轉移虛擬健保卡 匯入 Import a transfer code",
        &[f("transferCode", "code from the exporting device")],
    ),
    ep(
        Method::Post,
        path::HC_MARKER,
        op(Op::HcMarkerUpdate),
        Tag::Hc,
        "實體健保卡更新註記 Marker update (physical HC)",
        &[],
    ),
    ep(
        Method::Get,
        path::CLOUD_SAM_GET,
        Action::CloudSamList,
        Tag::Settings,
        "雲端安全模組 List imported cloud SAMs",
        &[],
    ),
    ep(
        Method::Post,
        path::CLOUD_SAM_ADD,
        Action::CloudSamAdd,
        Tag::Settings,
        "匯入雲端安全模組 Import a cloud SAM file",
        &[
            f("fileName", "the .SAM file's name"),
            f("content", "the file's content"),
        ],
    ),
    ep(
        Method::Post,
        path::CLOUD_SAM_REMOVE,
        Action::CloudSamRemove,
        Tag::Settings,
        "移除雲端安全模組 Remove a cloud SAM",
        &[f("samId", "SAM id")],
    ),
    ep(
        Method::Get,
        path::PCSC_READERS,
        Action::Readers,
        Tag::Settings,
        "PC/SC readers",
        &[],
    ),
    ep(
        Method::Get,
        path::PCSC_GET_DEFAULT,
        Action::GetDefaultReader,
        Tag::Settings,
        "Default PC/SC reader",
        &[],
    ),
    ep(
        Method::Post,
        path::PCSC_SET_DEFAULT,
        Action::SetDefaultReader,
        Tag::Settings,
        "Set the default PC/SC reader",
        &[f("readerName", "reader name")],
    ),
    ep(
        Method::Post,
        path::PCSC_REMOVE_DEFAULT,
        Action::RemoveDefaultReader,
        Tag::Settings,
        "Remove the default PC/SC reader",
        &[],
    ),
    ep(
        Method::Post,
        path::PCSC_AUTODETECT,
        Action::AutodetectReader,
        Tag::Settings,
        "Detect the reader holding a card",
        &[],
    ),
    ep(
        Method::Get,
        path::CORS_GET,
        Action::CorsList,
        Tag::Settings,
        "CORS whitelist (saved, and active since start)",
        &[],
    ),
    ep(
        Method::Post,
        path::CORS_ADD,
        Action::CorsAdd,
        Tag::Settings,
        "Add a host to the CORS whitelist (applies after restart)",
        &[f("hostName", "host name, e.g. www.nhi.gov.tw")],
    ),
    ep(
        Method::Post,
        path::CORS_REMOVE,
        Action::CorsRemove,
        Tag::Settings,
        "Remove a host from the CORS whitelist",
        &[f("hostName", "host name")],
    ),
];

/// The endpoint for a method and path.
pub fn find(method: Method, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS
        .iter()
        .find(|e| e.method == method && e.path == path)
}

/// The endpoint that runs an operation (None for the card events, which have none).
pub fn of_operation(o: Op) -> Option<&'static Endpoint> {
    let listed = if o == Op::MobileHcaLogout {
        Op::HpcLogout
    } else {
        o
    };
    ENDPOINTS.iter().find(|e| e.action == Action::Op(listed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_but_the_card_events_has_one_endpoint() {
        for row in crate::mode::TABLE {
            assert!(of_operation(row.op).is_some(), "{:?}", row.op);
        }
        for event in [Op::InsertHc, Op::RemoveHc, Op::InsertHpc, Op::RemoveHpc] {
            assert!(of_operation(event).is_none(), "{event:?}");
        }
        for (i, e) in ENDPOINTS.iter().enumerate() {
            assert_eq!(find(e.method, e.path), Some(e), "duplicate {i}");
        }
    }
}
