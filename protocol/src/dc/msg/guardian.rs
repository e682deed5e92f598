//! Guardians (seed 001: "Can I authorize a guardian to use it?" — children and people
//! without a phone are served through a guardian's phone). The delegation is granted at a
//! counter with the dependant's physical card read by the institution's SAM, and can be
//! revoked; the guardian's phone then gets the dependant's tokens (protocol/docs/DC.md,
//! "Guardians").

use super::SamAuth;
use serde::{Deserialize, Serialize};

/// `Guardian/Grant` request: a counter grant, signed by the SAM that read the
/// dependant's physical card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardianGrantRequest {
    /// The SAM signature of the counter.
    #[serde(flatten)]
    pub auth: SamAuth,
    /// The guardian's active phone.
    pub guardian_phone_id: String,
    /// The dependant's card number, as read from the physical card at the counter.
    pub dependant_card_no: String,
    /// The dependant's ID number (must be the card's).
    pub dependant_id_no: String,
}

/// `Guardian/Revoke` and `…/Token` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardianRequest {
    /// The guardian's phone.
    pub guardian_phone_id: String,
    /// The dependant's card number.
    pub dependant_card_no: String,
    /// `…/Token` only: `ES256` (default) or `RS256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

/// `Guardian/List` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardianListRequest {
    /// The guardian's phone.
    pub guardian_phone_id: String,
}

/// One delegation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delegation {
    /// The dependant's card number.
    pub dependant_card_no: String,
    /// The guardian's own card number (the phone's card).
    pub guardian_card_no: String,
    /// Granted at (unix s).
    pub granted_at: i64,
    /// Revoked at (unix s), none while in force.
    #[serde(default)]
    pub revoked_at: Option<i64>,
}

/// `Guardian/List` reply: the phone's delegations in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DelegationList {
    /// Newest first.
    pub dependants: Vec<Delegation>,
}
