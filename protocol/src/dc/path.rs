//! The DC's request paths. Every call is `POST` with a JSON object body, except the two
//! marked "any method" (served whatever the method is).

/// Time service (any method).
pub const TIME: &str = "/api/v1/Time";
/// Step 1 of SAM ↔ DC authentication.
pub const SAM_CHALLENGE: &str = "/api/v1/Sam/Challenge";
/// Step 2 of SAM ↔ DC authentication: opens a SAM session.
pub const SAM_VERIFY: &str = "/api/v1/Sam/Verify";
/// Signature by a cloud SAM.
pub const CLOUD_SAM_SIGN: &str = "/api/v1/CloudSam/Sign";
/// Token decryption for a cloud SAM (it has no chip).
pub const CLOUD_SAM_DECRYPT: &str = "/api/v1/CloudSam/Decrypt";
/// Virtual-card app registration.
pub const VC_REGISTER: &str = "/api/v1/VirtualCard/Register";
/// Virtual-card activation at a counter.
pub const VC_ACTIVATE: &str = "/api/v1/VirtualCard/Activate";
/// The phone's current QR token.
pub const VC_TOKEN: &str = "/api/v1/VirtualCard/Token";
/// Token verification (counts a use).
pub const VC_VERIFY: &str = "/api/v1/VirtualCard/Verify";
/// Token check without counting.
pub const VC_INSPECT: &str = "/api/v1/VirtualCard/Inspect";
/// Transfer export: a one-time code.
pub const VC_TRANSFER_EXPORT: &str = "/api/v1/VirtualCard/Transfer/Export";
/// Transfer import of a one-time code.
pub const VC_TRANSFER_IMPORT: &str = "/api/v1/VirtualCard/Transfer/Import";
/// Lost phone report.
pub const VC_LOST_PHONE: &str = "/api/v1/VirtualCard/LostPhone";
/// Grants a guardian's phone a dependant's virtual card (counter, SAM-signed).
pub const GUARDIAN_GRANT: &str = "/api/v1/Guardian/Grant";
/// Revokes a delegation (and the dependant's tokens on that phone).
pub const GUARDIAN_REVOKE: &str = "/api/v1/Guardian/Revoke";
/// The delegations in force on a guardian's phone.
pub const GUARDIAN_LIST: &str = "/api/v1/Guardian/List";
/// A dependant's QR token for the guardian's phone.
pub const GUARDIAN_TOKEN: &str = "/api/v1/Guardian/Token";
/// A replacement card keeps the virtual-card binding (counter, SAM-signed).
pub const CARD_REPLACE: &str = "/api/v1/Card/Replace";
/// Physical and virtual card lost together: a new card and a new binding (counter).
pub const CARD_REAPPLY: &str = "/api/v1/Card/Reapply";
/// Mobile HCA credential issue (test use).
pub const HCA_ISSUE: &str = "/api/v1/MobileHca/Issue";
/// Mobile HCA login.
pub const HCA_LOGIN: &str = "/api/v1/MobileHca/Login";
/// Mobile HCA signature.
pub const HCA_SIGN: &str = "/api/v1/MobileHca/Sign";
/// Mobile HCA logout.
pub const HCA_LOGOUT: &str = "/api/v1/MobileHca/Logout";
/// HPC certificate status.
pub const CERT_STATUS: &str = "/api/v1/Hca/CertStatus";
/// The marker to write on a physical card.
pub const HC_MARKER: &str = "/api/v1/Hc/Marker";
/// Writes a visit to the DC's record of a virtual card (seed 001 write-back).
pub const HC_VISIT_WRITE: &str = "/api/v1/Hc/Visit/Write";
/// The DC's insurance record of a virtual card: header and visits.
pub const HC_INSURANCE: &str = "/api/v1/Hc/Insurance";
/// The DC's medical or public-health items of a virtual card.
pub const HC_ITEMS: &str = "/api/v1/Hc/Items";
/// Adds an item to the DC's record of a virtual card.
pub const HC_ITEMS_ADD: &str = "/api/v1/Hc/Items/Add";
/// Visit record upload.
pub const UPLOAD: &str = "/api/v1/Upload";
/// The institution's uploads.
pub const UPLOAD_QUERY: &str = "/api/v1/Upload/Query";
/// Masked view of a card holder.
pub const ADMIN_PERSON: &str = "/api/v1/Admin/Person";
/// External consumers' ciphertext of an ID number.
pub const ADMIN_EXTERNAL_ID: &str = "/api/v1/Admin/ExternalId";
/// External consumers' ID number in seed 002's secure-DES hex format.
pub const ADMIN_EXTERNAL_ID_DES: &str = "/api/v1/Admin/ExternalIdDes";
/// Files a decryption request.
pub const ADMIN_DECRYPT_REQUEST: &str = "/api/v1/Admin/DecryptRequest";
/// Approves a decryption request.
pub const ADMIN_APPROVE: &str = "/api/v1/Admin/Approve";
/// Plaintext view through an approved request.
pub const ADMIN_VIEW: &str = "/api/v1/Admin/View";
/// Seed 003 passbook SDK: 機關登記 with the institution card; a phase-1 key.
pub const PASSBOOK_REGISTER: &str = "/api/v1/Passbook/Register";
/// A user's authorisation, one-time or in advance (預先授權).
pub const PASSBOOK_AUTHORIZE: &str = "/api/v1/Passbook/Authorize";
/// The back end fetches a user's passbook file with a ticket.
pub const PASSBOOK_FETCH: &str = "/api/v1/Passbook/Fetch";
/// The user withdraws a pre-authorisation.
pub const PASSBOOK_PREAUTH_REVOKE: &str = "/api/v1/Passbook/PreAuthorization/Revoke";
/// The integration test's verdict on the calls the DC recorded.
pub const PASSBOOK_INTEGRATION_TEST: &str = "/api/v1/Passbook/IntegrationTest";
/// The phase-2 application.
pub const PASSBOOK_APPLY: &str = "/api/v1/Passbook/Apply";
/// The NHI reviews a phase-2 application.
pub const PASSBOOK_REVIEW: &str = "/api/v1/Passbook/Review";
/// The production key, once phase 2 is approved.
pub const PASSBOOK_PRODUCTION_KEY: &str = "/api/v1/Passbook/ProductionKey";
/// The NHI revokes a key.
pub const PASSBOOK_REVOKE_KEY: &str = "/api/v1/Passbook/RevokeKey";
/// The audit trail (any method).
pub const ADMIN_AUDIT: &str = "/api/v1/Admin/Audit";
/// Files a file-decryption form (staff role `requester`; seed 002 資料提供需求單).
pub const DECRYPT_REQUEST: &str = "/api/v1/Decrypt/Request";
/// Approves a form (the requester's supervisor).
pub const DECRYPT_APPROVE: &str = "/api/v1/Decrypt/Approve";
/// Runs an approved form (the decryption window, 加解密專責窗口).
pub const DECRYPT_RUN: &str = "/api/v1/Decrypt/Run";
/// The decrypted file (the requester, after the run).
pub const DECRYPT_DOWNLOAD: &str = "/api/v1/Decrypt/Download";
/// A form and its state (its requester, supervisor or the window).
pub const DECRYPT_SHOW: &str = "/api/v1/Decrypt/Show";
/// The monthly decryption audit report (supervisors and the window).
pub const DECRYPT_AUDIT_REPORT: &str = "/api/v1/Decrypt/AuditReport";

/// Every path the DC serves, for tables and fuzzers.
pub const ALL: [&str; 53] = [
    TIME,
    SAM_CHALLENGE,
    SAM_VERIFY,
    CLOUD_SAM_SIGN,
    CLOUD_SAM_DECRYPT,
    VC_REGISTER,
    VC_ACTIVATE,
    VC_TOKEN,
    VC_VERIFY,
    VC_INSPECT,
    VC_TRANSFER_EXPORT,
    VC_TRANSFER_IMPORT,
    VC_LOST_PHONE,
    GUARDIAN_GRANT,
    GUARDIAN_REVOKE,
    GUARDIAN_LIST,
    GUARDIAN_TOKEN,
    CARD_REPLACE,
    CARD_REAPPLY,
    HCA_ISSUE,
    HCA_LOGIN,
    HCA_SIGN,
    HCA_LOGOUT,
    CERT_STATUS,
    HC_MARKER,
    HC_VISIT_WRITE,
    HC_INSURANCE,
    HC_ITEMS,
    HC_ITEMS_ADD,
    UPLOAD,
    UPLOAD_QUERY,
    ADMIN_PERSON,
    ADMIN_EXTERNAL_ID,
    ADMIN_EXTERNAL_ID_DES,
    ADMIN_DECRYPT_REQUEST,
    ADMIN_APPROVE,
    ADMIN_VIEW,
    ADMIN_AUDIT,
    PASSBOOK_REGISTER,
    PASSBOOK_AUTHORIZE,
    PASSBOOK_FETCH,
    PASSBOOK_PREAUTH_REVOKE,
    PASSBOOK_INTEGRATION_TEST,
    PASSBOOK_APPLY,
    PASSBOOK_REVIEW,
    PASSBOOK_PRODUCTION_KEY,
    PASSBOOK_REVOKE_KEY,
    DECRYPT_REQUEST,
    DECRYPT_APPROVE,
    DECRYPT_RUN,
    DECRYPT_DOWNLOAD,
    DECRYPT_SHOW,
    DECRYPT_AUDIT_REPORT,
];
