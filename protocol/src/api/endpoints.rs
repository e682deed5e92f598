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
    /// The connected device's name.
    DeviceName,
    /// The devices `Initial` can connect to.
    Devices,
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
    /// An HC data-area function (insurance, visit write, medical, public health), run under
    /// the mode rules of `HcBasic`.
    HcArea(super::hc_areas::AreaAction),
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

const fn f(name: &'static str, what: &'static str) -> Field {
    Field { name, what }
}

const SERVICE: &[Field] = &[f("serviceType", "2-character service type, e.g. \"01\"")];

/// One line per endpoint: `METHOD PATH => action, group, summary, body fields;`.
macro_rules! table {
    ($( $m:ident $p:ident => $a:ident $(($o:ident))?, $t:ident, $s:literal, $b:expr; )*) => {
        &[ $( Endpoint {
            method: table!(@method $m),
            path: path::$p,
            action: table!(@action $a $($o)?),
            tag: Tag::$t,
            summary: $s,
            body: $b,
        }, )* ]
    };
    (@method GET) => { Method::Get };
    (@method POST) => { Method::Post };
    (@method PUT) => { Method::Put };
    (@method DELETE) => { Method::Delete };
    (@action Op $o:ident) => { Action::Op(Op::$o) };
    (@action HcArea $o:ident) => { Action::HcArea(super::hc_areas::AreaAction::$o) };
    (@action $a:ident) => { Action::$a };
}

/// Every endpoint of the Web API.
pub const ENDPOINTS: &[Endpoint] = table! {
    GET STATUS => Status, Common, "Device status and modes", &[];
    GET NAME => DeviceName, Common, "裝置名稱 Name of the connected device (empty when none)", &[];
    GET DEVICES => Devices, Common, "裝置列表 / 更新裝置列表 Devices Initial can connect to: cloud SAMs and readers holding a SAM", &[];
    POST INITIAL => Op(Initial), Common, "連接裝置 Initialise the devices (optional deviceName)", &[];
    POST FINALIZE => Op(Finalize), Common, "中斷裝置 Release the devices", &[];
    GET VERSION => Op(Version), Common, "取得版本編號 Version numbers", &[];
    GET READER_TIME => Op(ReaderTime), Common, "取得讀卡機時間 Reader time (reader clock, or the DC's for a cloud SAM)", &[];
    GET CALL_LOG => CallLog, Common, "API call log (time, path, status code, duration)", &[];
    DELETE CALL_LOG => ClearCallLog, Common, "Clear the API call log", &[];
    POST SAM_VERIFY => Op(SamVerify), Sam, "驗證安全模組 Verify the SAM with the DC (mode 1 → 2)", &[];
    DELETE SAM_LOGOUT => Op(SamLogout), Sam, "SAM 登出 Logout (cascades to HPC and HC)", &[];
    GET SAM_BASIC => Op(SamBasic), Sam, "SAM 基本資料 Basic data", &[];
    POST SAM_SIGNATURE => Op(SamSignature), Sam, "安全模組簽章 SAM signature", SERVICE;
    POST HPC_VERIFY => Op(HpcVerifyPin), Hpc, "醫事人員卡驗證 PIN Verify the HPC PIN (mode 2 → 3)", &[f("pin", "6–8 digits")];
    POST HPC_MOBILE => Op(MobileHcaVerify), Hpc, "驗證醫事人員行動憑證 Mobile HCA login", &[f("credential", "mobile HCA credential")];
    GET HPC_BASIC => Op(HpcBasic), Hpc, "醫事人員卡基本資料 HPC basic data", &[];
    POST HPC_SIGNATURE => Op(HpcSignature), Hpc, "醫事人員簽章 HPC signature", SERVICE;
    POST HPC_PIN => Op(HpcSetPin), Hpc, "設定 PIN 碼 Set the HPC PIN", &[f("newPin", "6–8 digits")];
    PUT HPC_PIN => Op(HpcResetPin), Hpc, "重設 PIN 碼 Reset the HPC PIN with the PUK", &[f("puk", "8 digits"), f("newPin", "6–8 digits")];
    DELETE HPC_LOGOUT => Op(HpcLogout), Hpc, "HPC / mobile HCA logout", &[];
    POST HC_VIRTUAL_VERIFY => Op(HcVirtualVerify), Hc, "驗證虛擬健保卡 Verify a virtual HC (QR token)", &[f("token", "QR token text")];
    POST HC_VIRTUAL_READ => Op(HcVirtualReadBasic), Hc, "讀取虛擬健保卡基本資料 Read a virtual HC without consuming the token", &[f("token", "QR token text")];
    GET HC_BASIC => Op(HcBasic), Hc, "健保卡基本資料 HC basic data (physical or verified virtual)", &[];
    POST HC_SIGNATURE => Op(HcSignature), Hc, "健保卡簽章 HC signature", SERVICE;
    POST HPC_HC_SIGNATURE => Op(HpcHcSignature), Hc, "三卡簽章 Three-card signature", SERVICE;
    GET HC_PIN => Op(HcPinStatus), Hc, "健保卡 PIN 狀態 Is a PIN set (physical HC)", &[];
    POST HC_PIN => Op(HcPinVerify), Hc, "健保卡驗證 PIN Verify the HC PIN", &[f("pin", "6–8 digits")];
    PUT HC_PIN => Op(HcPinSet), Hc, "健保卡設定 PIN Set the HC PIN", &[f("pin", "6–8 digits")];
    DELETE HC_PIN => Op(HcPinClear), Hc, "健保卡清除 PIN Clear the HC PIN", &[];
    DELETE HC_LOGOUT => Op(HcLogout), Hc, "健保卡登出 HC logout", &[];
    POST HC_TRANSFER_EXPORT => Op(HcTransferExport), Hc, "轉移虛擬健保卡 匯出 Export the verified virtual HC", &[];
    POST HC_TRANSFER_IMPORT => Op(HcTransferImport), Hc, "轉移虛擬健保卡 匯入 Import a transfer code", &[f("transferCode", "code from the exporting device")];
    POST HC_MARKER => Op(HcMarkerUpdate), Hc, "實體健保卡更新註記 Marker update (physical HC)", &[];
    GET HC_INSURANCE => HcArea(Insurance), Hc, "健保資料 Insurance data and visit records (ours: seed 001 write-back)", &[];
    POST HC_VISIT => HcArea(VisitWrite), Hc, "就醫資料寫回 Write a visit: new sequence number, visits left − 1 (ours)", &[f("visitTime", "ROC YYYMMDDhhmmss"), f("diagnosis", "ICD-10 code, ≤ 7 characters"), f("fee", "points, digits"), f("copay", "NT$, digits")];
    GET HC_MEDICAL => HcArea(MedicalRead), Hc, "醫療專區 Medical area: prescriptions, important orders, allergies; HPC verified (ours)", &[];
    POST HC_MEDICAL => HcArea(MedicalAdd), Hc, "醫療專區寫入 Add a medical item; HPC verified (ours)", &[f("kind", "outpatientRx, longTermRx, importantOrder or allergy"), f("text", "1–100 bytes")];
    GET HC_PUBLIC_HEALTH => HcArea(PublicHealthRead), Hc, "衛生行政專區 Public-health area: vaccinations, organ donation, hospice (ours)", &[];
    POST HC_PUBLIC_HEALTH => HcArea(PublicHealthAdd), Hc, "衛生行政專區寫入 Add a public-health item (ours)", &[f("kind", "vaccination, organDonation or hospice"), f("text", "1–100 bytes")];
    GET CLOUD_SAM_GET => CloudSamList, Settings, "雲端安全模組 List imported cloud SAMs", &[];
    POST CLOUD_SAM_ADD => CloudSamAdd, Settings, "匯入雲端安全模組 Import a cloud SAM file", &[f("fileName", "the .SAM file's name"), f("content", "the file's content")];
    POST CLOUD_SAM_REMOVE => CloudSamRemove, Settings, "移除雲端安全模組 Remove a cloud SAM", &[f("samId", "SAM id")];
    GET PCSC_READERS => Readers, Settings, "PC/SC readers", &[];
    GET PCSC_GET_DEFAULT => GetDefaultReader, Settings, "Default PC/SC reader", &[];
    POST PCSC_SET_DEFAULT => SetDefaultReader, Settings, "Set the default PC/SC reader", &[f("readerName", "reader name")];
    POST PCSC_REMOVE_DEFAULT => RemoveDefaultReader, Settings, "Remove the default PC/SC reader", &[];
    POST PCSC_AUTODETECT => AutodetectReader, Settings, "Detect the reader holding a card", &[];
    GET CORS_GET => CorsList, Settings, "CORS whitelist (saved, and active since start)", &[];
    POST CORS_ADD => CorsAdd, Settings, "Add a host to the CORS whitelist (applies after restart)", &[f("hostName", "host name, e.g. www.nhi.gov.tw")];
    POST CORS_REMOVE => CorsRemove, Settings, "Remove a host from the CORS whitelist", &[f("hostName", "host name")];
};

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
