//! The 64 status codes of the control software 6.0 (seed 004, "狀態碼").

use serde::{Deserialize, Serialize};

macro_rules! status_codes {
    ($( $variant:ident = $code:literal, $zh:literal, $en:literal; )*) => {
        /// A status code of the control software 6.0 Web API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StatusCode {
            $( #[doc = $en] $variant, )*
        }

        impl StatusCode {
            /// Every status code, in the seed's order.
            pub const ALL: &'static [StatusCode] = &[ $( StatusCode::$variant, )* ];

            /// The 4-digit code, e.g. `"1521"`.
            pub fn code(self) -> &'static str {
                match self { $( StatusCode::$variant => $code, )* }
            }

            /// The message as the seed gives it (Traditional Chinese).
            pub fn zh(self) -> &'static str {
                match self { $( StatusCode::$variant => $zh, )* }
            }

            /// An English rendering of the message.
            pub fn en(self) -> &'static str {
                match self { $( StatusCode::$variant => $en, )* }
            }

            /// Looks a code up by its 4-digit string.
            pub fn from_code(code: &str) -> Option<StatusCode> {
                match code { $( $code => Some(StatusCode::$variant), )* _ => None }
            }
        }
    };
}

status_codes! {
    Success = "0000", "成功", "Success";
    NotInitialized = "1000", "控制軟體尚未初始化", "Control software not initialised";
    AlreadyInitialized = "1001", "控制軟體已初始化", "Control software already initialised";
    NoDevice = "1002", "未查詢到指定的或是任何有效的裝置名稱", "No specified or valid device name found";
    TestProductionMixed = "1003", "正式卡與測試卡不能混用", "Production and test cards cannot be mixed";
    NoDefaultReader = "1100", "沒有發現預設 PCSC 讀卡機", "Default PC/SC reader not found";
    NoReaderInUse = "1101", "目前沒有使用任何 PCSC 讀卡機", "No PC/SC reader in use";
    NoCard = "1102", "未置入卡片", "No card inserted";
    SelectAppletFailed = "1103", "切換卡片應用程式失敗", "Selecting the card application failed";
    PcscOther = "1199", "PCSC 發生其它錯誤", "Other PC/SC error";
    ReaderDllLoad = "1200", "無法載入 Reader.dll 檔案", "Cannot load Reader.dll";
    ComportOpen = "1201", "開啟 Comport 失敗", "Opening the COM port failed";
    ReaderOperation = "1202", "操作實體讀卡機失敗", "Physical reader operation failed";
    SamMode1 = "1300", "SAM 進入模式一失敗", "SAM failed to enter mode 1";
    SamMode2 = "1301", "SAM 進入模式二失敗", "SAM failed to enter mode 2";
    ContractExpired = "1302", "醫事機構已超過合約起迄", "Healthcare institution is outside its contract period";
    InstitutionSuspended = "1303", "醫事機構已停權", "Healthcare institution is suspended";
    SamRevoked = "1304", "SAM 已註銷", "SAM revoked";
    HpcMode1 = "1400", "醫事人員卡進入模式一失敗", "HPC failed to enter mode 1";
    HpcMode2 = "1401", "醫事人員卡進入模式二失敗", "HPC failed to enter mode 2";
    HpcMode3 = "1402", "醫事人員卡進入模式三失敗", "HPC failed to enter mode 3";
    HpcUnsupported = "1403", "醫事人員卡不支援此功能", "HPC does not support this function";
    HpcPinFailed = "1410", "醫事人員卡驗證 PIN 碼失敗", "HPC PIN verification failed";
    HcaSignatureInvalid = "1420", "HCA 驗簽失敗", "HCA signature verification failed";
    HcaSignatureTimeout = "1421", "HCA 簽章逾時", "HCA signature timed out";
    HcaCertNotValid = "1422", "HCA 憑證不在有效期內", "HCA certificate outside its validity period";
    HcaCertNoIssuer = "1423", "HCA 未查詢到信任上層憑證", "HCA trusted issuer certificate not found";
    HcaCertRevoked = "1424", "HCA 憑證已註銷", "HCA certificate revoked";
    MobileHcaSignatureInvalid = "1430", "Mobile HCA 驗簽失敗", "Mobile HCA signature verification failed";
    MobileHcaHospitalMismatch = "1431", "行動 HCA 驗證,醫事機構代碼與 SAM 不符", "Mobile HCA: institution id differs from the SAM's";
    HcMode1 = "1500", "健保卡進入模式一失敗", "HC failed to enter mode 1";
    HcMode2 = "1501", "健保卡進入模式二失敗", "HC failed to enter mode 2";
    HcMode3 = "1502", "健保卡進入模式三失敗", "HC failed to enter mode 3";
    HcNoPinSet = "1510", "實體健保卡並無設定 PIN 碼", "Physical HC has no PIN set";
    HcPinNotVerified = "1511", "尚未驗證 PIN 碼", "PIN not verified yet";
    HcPinDisableFailed = "1512", "停用 HC PIN 碼失敗", "Disabling the HC PIN failed";
    HcPinAlreadyVerified = "1513", "PIN 碼已驗證", "PIN already verified";
    HcPinFailed = "1514", "驗證 HC PIN 碼失敗", "HC PIN verification failed";
    PhysicalHcOnly = "1515", "呼叫的功能僅支援實體健保卡", "Function supports the physical HC only";
    TokenFormat = "1520", "虛擬健保卡 Token 格式錯誤", "Virtual HC token format error";
    TokenTimedOut = "1521", "虛擬健保卡 Token 已逾時", "Virtual HC token timed out";
    TokenShape = "1522", "虛擬卡 Token 格式不符", "Virtual card token shape mismatch";
    TokenSignature = "1523", "虛擬卡 Token 驗簽失敗", "Virtual card token signature invalid";
    TokenExpired = "1524", "虛擬卡 Token 已逾期", "Virtual card token expired";
    TokenCountExceeded = "1525", "虛擬卡 Token 已超過驗證次數", "Virtual card token verification count exceeded";
    VirtualNoPin = "1526", "虛擬卡無法呼叫 PIN 相關函式", "Virtual card cannot call PIN functions";
    VirtualHcOnly = "1527", "呼叫的功能僅支援虛擬健保卡", "Function supports the virtual HC only";
    TransferNotFound = "1528", "找不到虛擬健保卡轉移暫存資料", "Virtual HC transfer data not found";
    TransferUsedElsewhere = "1529", "此虛擬健保卡轉移已被其它狀置使用", "Virtual HC transfer already used by another device";
    TransferOtherHospital = "1530", "虛擬健保卡轉移只能使用在同一家醫事機構", "Virtual HC transfer only within the same institution";
    TransferredOrInvalid = "1531", "虛擬健保卡已轉移或已失效", "Virtual HC already transferred or invalid";
    ReaderNameNotFound = "1600", "使用讀卡機名稱無法查詢到 PCSC 讀卡機", "No PC/SC reader with that name";
    AutodetectFailed = "1601", "自動偵測預設讀卡機失敗", "Auto-detecting the default reader failed";
    CloudSamFileFormat = "1610", "雲端安全模組檔案格式錯誤", "Cloud SAM file format error";
    CloudSamNotFound = "1611", "沒有查詢到雲端安全模組編號", "Cloud SAM id not found";
    DcConnection = "1700", "與 DC 通訊連線異常", "DC connection failure";
    DcUnknownCommand = "1701", "與 DC 通訊命令代碼不存在", "DC command code does not exist";
    DcHttp = "1702", "與 DC 通訊回覆 HTTP 相關異常代碼", "DC replied with an HTTP error";
    DcSession = "1703", "Session 不存在或已逾期", "Session missing or expired";
    ParamFormat1 = "1704", "參數格式異常", "Parameter format error (missing or wrong type)";
    ParamFormat2 = "1705", "參數格式異常", "Parameter format error (wrong length)";
    ParamFormat3 = "1706", "參數格式異常", "Parameter format error (value out of range)";
    HcaLoggedOutElsewhere = "1707", "HCA 卡片已登出或在其它主機登入", "HCA card logged out or logged in on another host";
    DcUndefined = "1799", "DC 端未定義錯誤", "Undefined DC error";
}

impl StatusCode {
    /// True for `0000`.
    pub fn is_success(self) -> bool {
        self == StatusCode::Success
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for StatusCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for StatusCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        StatusCode::from_code(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown status code {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list printed in seed 004 ("狀態碼"), in order.
    const SEED_CODES: &str = "0000 1000 1001 1002 1003 1100 1101 1102 1103 1199 1200 1201 1202 \
        1300 1301 1302 1303 1304 1400 1401 1402 1403 1410 1420 1421 1422 1423 1424 1430 1431 \
        1500 1501 1502 1510 1511 1512 1513 1514 1515 1520 1521 1522 1523 1524 1525 1526 1527 \
        1528 1529 1530 1531 1600 1601 1610 1611 1700 1701 1702 1703 1704 1705 1706 1707 1799";

    #[test]
    fn exactly_64_codes_matching_the_seed() {
        let seed: Vec<&str> = SEED_CODES.split_whitespace().collect();
        assert_eq!(seed.len(), 64);
        assert_eq!(StatusCode::ALL.len(), 64);
        let ours: Vec<&str> = StatusCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(ours, seed);
    }

    #[test]
    fn round_trip_and_messages() {
        for c in StatusCode::ALL {
            assert_eq!(StatusCode::from_code(c.code()), Some(*c));
            assert!(!c.zh().is_empty() && !c.en().is_empty());
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.code()));
        }
        assert_eq!(StatusCode::TokenTimedOut.zh(), "虛擬健保卡 Token 已逾時");
        assert_eq!(StatusCode::from_code("1234"), None);
    }
}
