//! Seed 003, the 健康存摺 (passbook) SDK at the DC: an institution registers with its
//! institution card, tests with a phase-1 key that sees only virtual test IDs, passes an
//! integration test, applies for phase 2 and, once the NHI approves, gets a production key
//! that sees real IDs. Users consent once per fetch or in advance (預先授權).
//! protocol/docs/DC.md, "Passbook SDK (seed 003)".

use super::SamAuth;
use crate::api::hc_areas::VisitReply;
use crate::StatusCode;
use serde::{Deserialize, Serialize};

/// The virtual test IDs a phase-1 key may ask for (seed 003: 第一階段…僅可下載虛擬 ID 資料
/// 進行測試), with their synthetic names. Which IDs they are is ours: the seed lists none.
pub const VIRTUAL_TEST_IDS: [(&str, &str); 4] = [
    ("Z100000002", "測試甲"),
    ("Z200000004", "測試乙"),
    ("Z100000011", "測試丙"),
    ("Z200000013", "測試丁"),
];

/// True for one of [`VIRTUAL_TEST_IDS`].
pub fn is_virtual_test_id(id_no: &str) -> bool {
    VIRTUAL_TEST_IDS.iter().any(|(id, _)| *id == id_no)
}

/// The integration test (seed 003: 經整合測試成功,方可申請第二階段): the calls a phase-1
/// key must have made successfully, in this order, before `Passbook/IntegrationTest`
/// passes. The seed names the test, not its content; this sequence is ours.
pub const INTEGRATION_STEPS: [IntegrationStep; 5] = [
    IntegrationStep::Authorize,
    IntegrationStep::Fetch,
    IntegrationStep::PreAuthorize,
    IntegrationStep::FetchPreAuthorized,
    IntegrationStep::RevokePreAuthorization,
];

/// One call of the integration test, as the DC records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IntegrationStep {
    /// A one-time user authorisation (`Passbook/Authorize`).
    Authorize,
    /// A fetch with a one-time authorisation (`Passbook/Fetch`).
    Fetch,
    /// A pre-authorisation (`Passbook/Authorize` with `preAuthorize`).
    PreAuthorize,
    /// A fetch under a pre-authorisation.
    FetchPreAuthorized,
    /// The user withdraws the pre-authorisation (`Passbook/PreAuthorization/Revoke`).
    RevokePreAuthorization,
}

impl IntegrationStep {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationStep::Authorize => "authorize",
            IntegrationStep::Fetch => "fetch",
            IntegrationStep::PreAuthorize => "preAuthorize",
            IntegrationStep::FetchPreAuthorized => "fetchPreAuthorized",
            IntegrationStep::RevokePreAuthorization => "revokePreAuthorization",
        }
    }

    /// The step of a stored name.
    pub fn parse(s: &str) -> Option<IntegrationStep> {
        INTEGRATION_STEPS.into_iter().find(|x| x.as_str() == s)
    }
}

/// The SDK's platform (seed 003 六、申請版本: Android and iOS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SdkPlatform {
    /// Android.
    Android,
    /// iOS.
    Ios,
}

impl SdkPlatform {
    /// The SDK version a key of `phase` pairs with (seed 003's table: Android 3.1.2 phase
    /// 1 and 3.1.1 phase 2, iOS 3.3.2 and 3.3.1, all with pre-authorisation).
    pub fn sdk_version(self, phase: u8) -> &'static str {
        match (self, phase) {
            (SdkPlatform::Android, 1) => "3.1.2",
            (SdkPlatform::Android, _) => "3.1.1",
            (SdkPlatform::Ios, 1) => "3.3.2",
            (SdkPlatform::Ios, _) => "3.3.1",
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SdkPlatform::Android => "android",
            SdkPlatform::Ios => "ios",
        }
    }
}

/// A person to reach (seed 003 四: 聯絡人、軟體開發工程師之姓名及聯絡方式).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// Name.
    pub name: String,
    /// E-mail (SDK updates are announced by e-mail).
    pub email: String,
}

/// `Passbook/Register` request: 機關登記 with the institution card (its SAM signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassbookRegisterRequest {
    /// The institution card's signature.
    #[serde(flatten)]
    pub auth: SamAuth,
    /// The app's name.
    pub app_name: String,
    /// Its platform.
    pub platform: SdkPlatform,
    /// The contact person.
    pub contact: Contact,
    /// The software developer.
    pub developer: Contact,
}

/// A key handed out (`Passbook/Register`: phase 1; `Passbook/ProductionKey`: phase 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassbookKeyReply {
    /// The registered app.
    pub app_id: String,
    /// The API key.
    pub api_key: String,
    /// 1 (test: virtual IDs only) or 2 (production: real IDs).
    pub phase: u8,
    /// The SDK version to build with.
    pub sdk_version: String,
}

/// A call made with an API key alone (`Passbook/IntegrationTest`, `…/ProductionKey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassbookKeyRequest {
    /// The API key.
    pub api_key: String,
}

/// `Passbook/Authorize` request: the user consents in the app (front end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeRequest {
    /// The app's API key.
    pub api_key: String,
    /// Whose passbook.
    pub id_no: String,
    /// The user's active 健保快易通 phone, which proves a real user's identity; a virtual
    /// test ID needs none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_id: Option<String>,
    /// A pre-authorisation (預先授權): the back end may fetch until it expires or the user
    /// revokes it, instead of once.
    #[serde(default)]
    pub pre_authorize: bool,
    /// Days a pre-authorisation lasts (1–365, 30 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// `Passbook/Authorize` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeReply {
    /// What the back end fetches with.
    pub ticket: String,
    /// A pre-authorisation (reusable) or a one-time authorisation.
    pub pre_authorized: bool,
    /// Unix seconds after which the ticket is dead.
    pub expires_at: i64,
}

/// `Passbook/Fetch` and `Passbook/PreAuthorization/Revoke` request (back end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRequest {
    /// The app's API key.
    pub api_key: String,
    /// The user's authorisation.
    pub ticket: String,
}

/// `Passbook/Fetch` reply: the user's passbook file (後端取檔).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassbookFile {
    /// ID number.
    pub id_no: String,
    /// Name.
    pub name: String,
    /// True for a virtual test ID (synthetic data).
    pub virtual_id: bool,
    /// Visits the DC holds, newest first.
    pub visits: Vec<VisitReply>,
}

/// `Passbook/IntegrationTest` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationReply {
    /// Always true in a success reply (an incomplete test is a refusal).
    pub passed: bool,
    /// The steps found, in order.
    pub steps: Vec<IntegrationStep>,
}

/// Seed 003 第二段申請文件 1: the applicant's category (申請資格類別).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ApplicantCategory {
    /// (一) 公務機關.
    PublicAgency,
    /// (二) 全民健康保險特約醫事服務機構.
    ContractedInstitution,
    /// (三) 公、私立學校.
    School,
    /// (四) 財團法人.
    Foundation,
    /// (五) 公司.
    Company,
}

/// `Passbook/Apply` request: the phase-2 application (seed 003 五、七).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyRequest {
    /// The phase-1 key.
    pub api_key: String,
    /// Who applies.
    pub category: ApplicantCategory,
    /// The app's basic security test level (`L1`–`L3`; seed 003: L2 or above).
    pub security_level: String,
    /// The privacy statement's contact for users' rights (seed 003 七(二)3: required).
    pub privacy_contact: String,
    /// Expected launch date, ROC `yyyMMdd` (預計上架日期).
    pub launch_date: String,
    /// The application plan (應用計劃書), summarised.
    pub plan: String,
}

/// `Passbook/Apply` and `Passbook/Review` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationReply {
    /// The application.
    pub application_id: i64,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
}

/// `Passbook/Review` request: the NHI's review of a phase-2 application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewRequest {
    /// The application.
    pub application_id: i64,
    /// The reviewer.
    pub reviewer: String,
    /// Approve or reject.
    pub approve: bool,
}

/// `Passbook/RevokeKey` request (NHI side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeKeyRequest {
    /// The key.
    pub api_key: String,
    /// Why (recorded).
    pub reason: String,
}

/// The passbook's documented refusals: one code and message each. The message starts
/// every refusal's `message`; a detail may follow after `: `.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassbookRefusal {
    /// No such API key.
    UnknownKey,
    /// The key was revoked.
    KeyRevoked,
    /// A phase-1 key asked for a real ID.
    TestKeyRealId,
    /// A production key asked for a virtual test ID.
    ProductionKeyVirtualId,
    /// Phase 2 asked for before the integration test passed.
    IntegrationIncomplete,
    /// A phase-2 application is already pending or approved.
    AlreadyApplied,
    /// The app's security test is below L2.
    SecurityLevel,
    /// The production key asked for before the NHI approved phase 2.
    NotApproved,
    /// The ticket is unknown, expired, revoked or (one-time) used.
    NoAuthorization,
    /// The ticket belongs to another app.
    OtherAppsTicket,
    /// The phone's card holder is not the ID asked for, or no phone was given.
    NotTheUser,
    /// The user's phone is not an active virtual card.
    PhoneNotActive,
    /// No insured person has this ID.
    UnknownPerson,
}

impl PassbookRefusal {
    /// The 6.0 status code.
    pub fn code(self) -> StatusCode {
        use PassbookRefusal::*;
        match self {
            UnknownKey | KeyRevoked | NoAuthorization => StatusCode::DcSession,
            TestKeyRealId | ProductionKeyVirtualId => StatusCode::TestProductionMixed,
            PhoneNotActive => StatusCode::TransferredOrInvalid,
            IntegrationIncomplete
            | AlreadyApplied
            | SecurityLevel
            | NotApproved
            | OtherAppsTicket
            | NotTheUser
            | UnknownPerson => StatusCode::ParamFormat3,
        }
    }

    /// The message.
    pub fn message(self) -> &'static str {
        use PassbookRefusal::*;
        match self {
            UnknownKey => "passbook: unknown API key",
            KeyRevoked => "passbook: API key revoked",
            TestKeyRealId => "passbook: a phase-1 key reads virtual test IDs only",
            ProductionKeyVirtualId => "passbook: a production key reads real IDs only",
            IntegrationIncomplete => "passbook: integration test not passed",
            AlreadyApplied => "passbook: phase 2 already applied for",
            SecurityLevel => "passbook: app security test below L2",
            NotApproved => "passbook: phase 2 not approved",
            NoAuthorization => "passbook: no valid user authorisation",
            OtherAppsTicket => "passbook: authorisation of another app",
            NotTheUser => "passbook: the phone's card holder is not this ID",
            PhoneNotActive => "passbook: the user's virtual card is not active",
            UnknownPerson => "passbook: no insured person with this ID",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::IdNo;

    #[test]
    fn virtual_ids_are_valid_id_numbers() {
        for (id, _) in VIRTUAL_TEST_IDS {
            assert!(IdNo::parse(id).unwrap().has_valid_check_digit(), "{id}");
            assert!(is_virtual_test_id(id));
        }
        assert!(!is_virtual_test_id("A123456789"));
    }

    #[test]
    fn steps_and_platforms_round_trip() {
        for s in INTEGRATION_STEPS {
            assert_eq!(IntegrationStep::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(SdkPlatform::Ios.sdk_version(1), "3.3.2");
        assert_eq!(SdkPlatform::Android.sdk_version(2), "3.1.1");
        let r: AuthorizeRequest =
            serde_json::from_value(serde_json::json!({"apiKey": "k", "idNo": "Z100000002"}))
                .unwrap();
        assert!(!r.pre_authorize && r.phone_id.is_none());
    }

    #[test]
    fn refusals_keep_their_codes() {
        assert_eq!(
            PassbookRefusal::TestKeyRealId.code(),
            StatusCode::TestProductionMixed
        );
        assert_eq!(PassbookRefusal::KeyRevoked.code(), StatusCode::DcSession);
        assert_eq!(
            PassbookRefusal::NotApproved.code(),
            StatusCode::ParamFormat3
        );
    }
}
