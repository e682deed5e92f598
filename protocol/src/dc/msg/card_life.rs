//! The card lifecycle beyond issue (seed 001: "issue, replacement, recovery"; physical and
//! virtual lost at the same time → re-apply together): a replacement card keeps the
//! person's virtual-card binding, a re-application after losing both starts a new binding
//! (protocol/docs/DC.md, "Card replacement and re-application").

use super::SamAuth;
use serde::{Deserialize, Serialize};

/// `Card/Replace` and `Card/Reapply` request: the counter's SAM signature, the card being
/// replaced and the new card's number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardReplaceRequest {
    /// The SAM signature of the counter.
    #[serde(flatten)]
    pub auth: SamAuth,
    /// The card being replaced.
    pub card_no: String,
    /// The holder's ID number (must be the card's).
    pub id_no: String,
    /// The new card's number.
    pub new_card_no: String,
}

/// `Card/Replace` and `Card/Reapply` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardReplaceReply {
    /// The new card's number.
    pub card_no: String,
    /// Phones still bound and usable with the new card (0 after a re-application).
    pub phones_kept: i64,
    /// Tokens of the old card number revoked.
    pub tokens_revoked: i64,
}
