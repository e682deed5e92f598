//! Why the DC refuses a virtual-card registration (seed 001: the app registration's
//! double-ID photo and the counter's identity check). The DC decides both from its own
//! record of the person — the world (fixture `refuse_registration`, or the control plane)
//! says whose photo or second ID does not match; protocol/docs/DC.md, "Virtual card".

use crate::StatusCode;
use serde::{Deserialize, Serialize};

/// A registration the DC refuses, with its documented code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegistrationRefusal {
    /// The double-ID photo does not match the ID card on file.
    PhotoMismatch,
    /// The counter's identity check failed: the second ID names someone else.
    SecondIdMismatch,
}

impl RegistrationRefusal {
    /// Both, in the order the DC checks them.
    pub const ALL: [RegistrationRefusal; 2] = [
        RegistrationRefusal::PhotoMismatch,
        RegistrationRefusal::SecondIdMismatch,
    ];

    /// The 6.0 status code (1799, as for a check the caller reports failed).
    pub fn code(self) -> StatusCode {
        StatusCode::DcUndefined
    }

    /// The message of the refusal.
    pub fn message(self) -> &'static str {
        match self {
            RegistrationRefusal::PhotoMismatch => {
                "double-ID photo check failed: the photo does not match the ID card on file"
            }
            RegistrationRefusal::SecondIdMismatch => {
                "counter identity check failed: the second ID does not match the person"
            }
        }
    }

    /// The stored and fixture name (`photo-mismatch`, `second-id-mismatch`).
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationRefusal::PhotoMismatch => "photo-mismatch",
            RegistrationRefusal::SecondIdMismatch => "second-id-mismatch",
        }
    }

    /// The refusal of a stored name.
    pub fn parse(s: &str) -> Option<RegistrationRefusal> {
        RegistrationRefusal::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_storage() {
        for r in RegistrationRefusal::ALL {
            assert_eq!(RegistrationRefusal::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
            assert!(r.message().contains("check failed"));
        }
        assert_eq!(RegistrationRefusal::parse("photo"), None);
    }
}
