//! The legacy return codes of csHis.dll and the table mapping 6.0 status codes to them.
//! Sources and what is inferred: protocol/docs/CSHIS.md ("Return codes").

use nhi_protocol::StatusCode;

/// A legacy return code as the DLL returns it (`int`, 0 = success).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Legacy(pub i32);

/// Success.
pub const OK: Legacy = Legacy(0);
/// 讀卡機 timeout: also what a call before `csOpenCom`, or with the 6.0 service unreachable,
/// gets (inferred: the real component cannot reach its reader either).
pub const READER_TIMEOUT: Legacy = Legacy(4000);
/// 未置入安全模組卡.
pub const NO_SAM: Legacy = Legacy(4012);
/// 未置入健保IC卡 (newer HIS code reads it as "no HC or virtual card").
pub const NO_HC: Legacy = Legacy(4013);
/// 未置入醫事人員卡.
pub const NO_HPC: Legacy = Legacy(4014);
/// IC卡權限不足.
pub const NO_PERMISSION: Legacy = Legacy(4029);
/// 所插入非安全模組卡.
pub const NOT_A_SAM: Legacy = Legacy(4032);
/// 所置入非健保IC卡.
pub const NOT_AN_HC: Legacy = Legacy(4033);
/// 所置入非醫事人員卡.
pub const NOT_AN_HPC: Legacy = Legacy(4034);
/// 醫事人員卡PIN尚未認證成功.
pub const HPC_PIN_NOT_VERIFIED: Legacy = Legacy(4042);
/// 安全模組尚未與IDC認證.
pub const SAM_NOT_VERIFIED: Legacy = Legacy(4050);
/// 安全模組與IDC認證失敗.
pub const SAM_VERIFY_FAILED: Legacy = Legacy(4051);
/// 網路不通 (the DC cannot be reached).
pub const NETWORK_DOWN: Legacy = Legacy(4061);
/// 健保IC卡與IDC認證失敗.
pub const HC_DC_AUTH_FAILED: Legacy = Legacy(4071);
/// 就醫可用次數不足: the card's visits are used up (it must be updated).
pub const VISITS_USED_UP: Legacy = Legacy(5001);
/// 要寫入的資料和健保IC卡不是屬於同一人: the ID or birthday passed is not the card's.
pub const NOT_SAME_PERSON: Legacy = Legacy(5020);
/// 找不到「就醫資料登錄」中的該組資料: no visit at the date-time passed.
pub const VISIT_NOT_FOUND: Legacy = Legacy(5022);
/// 「就醫資料登錄」寫入失敗.
pub const VISIT_WRITE_FAILED: Legacy = Legacy(5023);
/// 使用者所輸入之pin 值，與卡上之pin值不合.
pub const PIN_MISMATCH: Legacy = Legacy(5102);
/// 原PIN碼尚未通過認證.
pub const PIN_NOT_VERIFIED: Legacy = Legacy(5105);
/// 停用失敗，且健保IC卡之Pin 碼輸入功能仍啟用.
pub const PIN_DISABLE_FAILED: Legacy = Legacy(5111);
/// 傳入參數錯誤: null pointer, negative length, buffer too small (inferred use).
pub const BAD_PARAMETER: Legacy = Legacy(6018);
/// IDC與作業逾時.
pub const DC_TIMEOUT: Legacy = Legacy(9003);
/// IDC異常無法Service.
pub const DC_FAULT: Legacy = Legacy(9004);
/// IDC無法驗證該卡片.
pub const DC_CANNOT_VERIFY_CARD: Legacy = Legacy(9010);
/// 無效的安全模組卡.
pub const INVALID_SAM: Legacy = Legacy(9013);
/// 安全模組卡遭停約處罰.
pub const SAM_SUSPENDED: Legacy = Legacy(9060);
/// 安全模組卡合約逾期或尚未生效.
pub const SAM_CONTRACT: Legacy = Legacy(9062);
/// The component's own (inferred, 35xx range): the function has no path in the 6.0 Web API
/// this component runs over (see protocol/docs/CSHIS.md, "Functions").
pub const NOT_SUPPORTED: Legacy = Legacy(3599);
/// The component's own (inferred): the 6.0 reply cannot be put in the legacy layout (a
/// name outside Big5, a field of the wrong length, a reply without a field it must carry).
pub const BAD_REPLY: Legacy = Legacy(3598);
/// The component's own (inferred): `csHis.ini` or the environment names no usable service
/// (bad URL, unreadable CA, remote HTTPS without a CA).
pub const CONFIG: Legacy = Legacy(3597);
/// The component's own (inferred): an internal fault was caught at the boundary; the host
/// program keeps running.
pub const INTERNAL: Legacy = Legacy(3596);

/// Which card an API function works on: decides what "no card" and "wrong card" mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The SAM (physical or cloud).
    Sam,
    /// The HC, physical or virtual.
    Hc,
    /// The HPC.
    Hpc,
}

/// The legacy code for a 6.0 status code answered to a call on `target`'s card.
pub fn from_status(s: StatusCode, target: Target) -> Legacy {
    use StatusCode as S;
    let no_card = match target {
        Target::Sam => NO_SAM,
        Target::Hc => NO_HC,
        Target::Hpc => NO_HPC,
    };
    let wrong_card = match target {
        Target::Sam => NOT_A_SAM,
        Target::Hc => NOT_AN_HC,
        Target::Hpc => NOT_AN_HPC,
    };
    match s {
        S::Success | S::AlreadyInitialized | S::HcPinAlreadyVerified => OK,
        S::NotInitialized
        | S::NoDevice
        | S::NoDefaultReader
        | S::NoReaderInUse
        | S::PcscOther
        | S::ReaderDllLoad
        | S::ComportOpen
        | S::ReaderOperation
        | S::ReaderNameNotFound
        | S::AutodetectFailed
        | S::CloudSamFileFormat => READER_TIMEOUT,
        S::NoCard => no_card,
        S::SelectAppletFailed => wrong_card,
        S::TestProductionMixed => DC_CANNOT_VERIFY_CARD,
        S::SamMode1 | S::CloudSamNotFound => NO_SAM,
        S::SamMode2 | S::DcSession => SAM_NOT_VERIFIED,
        S::ContractExpired => SAM_CONTRACT,
        S::InstitutionSuspended => SAM_SUSPENDED,
        S::SamRevoked => INVALID_SAM,
        S::HpcMode1 | S::HpcMode2 => NO_HPC,
        S::HpcMode3 | S::HcaLoggedOutElsewhere => HPC_PIN_NOT_VERIFIED,
        S::HpcUnsupported => NO_PERMISSION,
        S::HpcPinFailed | S::HcPinFailed => PIN_MISMATCH,
        S::HcaSignatureInvalid
        | S::HcaSignatureTimeout
        | S::HcaCertNotValid
        | S::HcaCertNoIssuer
        | S::HcaCertRevoked
        | S::MobileHcaSignatureInvalid
        | S::MobileHcaHospitalMismatch => NO_PERMISSION,
        S::HcMode1 => NO_HC,
        S::HcMode2 | S::HcMode3 => HC_DC_AUTH_FAILED,
        S::HcNoPinSet | S::HcPinNotVerified => PIN_NOT_VERIFIED,
        S::HcPinDisableFailed => PIN_DISABLE_FAILED,
        S::PhysicalHcOnly | S::VirtualNoPin | S::VirtualHcOnly => NOT_AN_HC,
        S::TokenFormat
        | S::TokenTimedOut
        | S::TokenShape
        | S::TokenSignature
        | S::TokenExpired
        | S::TokenCountExceeded
        | S::TransferNotFound
        | S::TransferUsedElsewhere
        | S::TransferOtherHospital
        | S::TransferredOrInvalid => HC_DC_AUTH_FAILED,
        S::DcConnection => NETWORK_DOWN,
        S::DcUnknownCommand | S::DcHttp | S::DcUndefined => DC_FAULT,
        S::ParamFormat1 | S::ParamFormat2 | S::ParamFormat3 => BAD_PARAMETER,
    }
}

/// The verification call itself: a SAM that fails to reach mode 2 failed the IDC
/// authentication (4051) rather than "not yet verified" (4050).
pub fn from_sam_verify_status(s: StatusCode) -> Legacy {
    match s {
        StatusCode::SamMode2 => SAM_VERIFY_FAILED,
        StatusCode::DcSession => DC_TIMEOUT,
        other => from_status(other, Target::Sam),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_code_maps_and_only_success_is_zero() {
        for &s in StatusCode::ALL {
            for t in [Target::Sam, Target::Hc, Target::Hpc] {
                let l = from_status(s, t);
                let ok = matches!(
                    s,
                    StatusCode::Success
                        | StatusCode::AlreadyInitialized
                        | StatusCode::HcPinAlreadyVerified
                );
                assert_eq!(l == OK, ok, "{s:?} {t:?} → {l:?}");
            }
        }
    }

    #[test]
    fn no_card_and_wrong_card_follow_the_target() {
        assert_eq!(from_status(StatusCode::NoCard, Target::Hc), Legacy(4013));
        assert_eq!(from_status(StatusCode::NoCard, Target::Hpc), Legacy(4014));
        assert_eq!(from_status(StatusCode::NoCard, Target::Sam), Legacy(4012));
        assert_eq!(
            from_status(StatusCode::SelectAppletFailed, Target::Hc),
            Legacy(4033)
        );
        assert_eq!(
            from_status(StatusCode::SelectAppletFailed, Target::Hpc),
            Legacy(4034)
        );
    }

    #[test]
    fn dc_down_is_network_down_and_unverified_sam_is_4050() {
        assert_eq!(
            from_status(StatusCode::DcConnection, Target::Hc),
            Legacy(4061)
        );
        assert_eq!(from_status(StatusCode::SamMode2, Target::Hc), Legacy(4050));
        assert_eq!(from_sam_verify_status(StatusCode::SamMode2), Legacy(4051));
        assert_eq!(
            from_sam_verify_status(StatusCode::DcConnection),
            Legacy(4061)
        );
    }
}
