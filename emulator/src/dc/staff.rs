//! The DC staff who take part in seed 002's decryption flow, authenticated by a bearer
//! token per user: 申請人員 (requester), 主管 (supervisor, 「經其主管同意後」) and the
//! 加解密專責窗口 (decryption window). The emulator's staff are the TEST users of
//! `fixtures/dc-staff.toml`, compiled in.

use super::{DcError, DcResult};
use crate::crypto::ct_eq;
use nhi_protocol::StatusCode;
use serde::Deserialize;
use std::sync::LazyLock;

const STAFF_TOML: &str = include_str!("../../../fixtures/dc-staff.toml");

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Files decryption forms.
    Requester,
    /// Approves the forms of the staff it supervises.
    Supervisor,
    /// The decryption window: runs approved forms.
    Window,
}

impl Role {
    /// The name used in replies, the audit table and the docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Supervisor => "supervisor",
            Role::Window => "window",
        }
    }
}

/// One staff user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffUser {
    /// Login name.
    pub user: String,
    /// Full name (reports mask it).
    pub name: String,
    /// 申請單位.
    pub unit: String,
    /// What the user may do.
    pub roles: Vec<Role>,
    /// Who approves this user's requests (required of a requester).
    #[serde(default)]
    pub supervisor: Option<String>,
    token: String,
}

impl StaffUser {
    /// The user, or the documented refusal when they lack `role`.
    pub fn must_be(&self, role: Role) -> DcResult<&StaffUser> {
        if self.roles.contains(&role) {
            Ok(self)
        } else {
            Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("role refused: {} is not a {}", self.user, role.as_str()),
            ))
        }
    }
}

#[derive(Deserialize)]
struct StaffFile {
    staff: Vec<StaffUser>,
}

/// The staff directory.
#[derive(Debug)]
pub struct Staff {
    users: Vec<StaffUser>,
}

impl Staff {
    /// Parses and checks a staff file: unique users and tokens, every requester's
    /// supervisor a supervisor.
    pub fn parse(text: &str) -> Result<Staff, String> {
        let f: StaffFile = toml::from_str(text).map_err(|e| format!("staff file: {e}"))?;
        let s = Staff { users: f.staff };
        for (i, u) in s.users.iter().enumerate() {
            if s.users[..i]
                .iter()
                .any(|o| o.user == u.user || o.token == u.token)
            {
                return Err(format!("staff file: {} or its token given twice", u.user));
            }
            if u.token.len() < 16 {
                return Err(format!("staff file: {}'s token is shorter than 16", u.user));
            }
            if u.roles.contains(&Role::Requester) {
                let sup = u.supervisor.as_deref().and_then(|n| s.by_name(n));
                if !sup.is_some_and(|p| p.roles.contains(&Role::Supervisor)) {
                    return Err(format!(
                        "staff file: requester {} needs a `supervisor` who has the supervisor role",
                        u.user
                    ));
                }
            }
        }
        Ok(s)
    }

    /// The compiled-in TEST staff.
    pub fn test() -> DcResult<&'static Staff> {
        static TEST: LazyLock<Result<Staff, String>> = LazyLock::new(|| Staff::parse(STAFF_TOML));
        TEST.as_ref().map_err(|e| DcError::internal(e.clone()))
    }

    /// A user by login name.
    pub fn by_name(&self, user: &str) -> Option<&StaffUser> {
        self.users.iter().find(|u| u.user == user)
    }

    /// The user a bearer token belongs to; no token or an unknown one is 1703.
    pub fn authenticate(&self, bearer: Option<&str>) -> DcResult<&StaffUser> {
        let Some(t) = bearer else {
            return Err(DcError::new(
                StatusCode::DcSession,
                "staff authentication required: Authorization: Bearer <staff token>",
            ));
        };
        self.users
            .iter()
            .find(|u| ct_eq(u.token.as_bytes(), t.as_bytes()))
            .ok_or_else(|| DcError::new(StatusCode::DcSession, "unknown staff token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_staff_parse_and_authenticate() {
        let s = Staff::test().unwrap();
        let u = s
            .authenticate(Some("TEST-staff-clerk-chen-3b1f0c2a"))
            .unwrap();
        assert_eq!(u.user, "clerk-chen");
        assert!(u.must_be(Role::Requester).is_ok());
        let e = u.must_be(Role::Window).unwrap_err();
        assert!(e.reason.contains("role refused"), "{e}");
        assert_eq!(
            s.authenticate(None).unwrap_err().code,
            StatusCode::DcSession
        );
        assert_eq!(
            s.authenticate(Some("TEST-staff-clerk-chen-3b1f0c2b"))
                .unwrap_err()
                .code,
            StatusCode::DcSession
        );
        assert!(STAFF_TOML.contains("TEST USERS ONLY"));
    }

    #[test]
    fn a_requester_without_a_supervisor_is_refused() {
        let t = "[[staff]]\nuser='a'\nname='x'\nunit='u'\nroles=['requester']\ntoken='0123456789abcdef'\n";
        assert!(Staff::parse(t).unwrap_err().contains("supervisor"));
    }
}
