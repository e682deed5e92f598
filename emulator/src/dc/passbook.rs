//! The passbook SDK's two phases (seed 003: 申請作業分為二階段…經整合測試成功,方可申請第二
//! 階段完整功能開放,經本署審核同意後正式開通服務): an institution registers with its
//! institution card and gets a phase-1 key (virtual test IDs only); once the DC has seen
//! the integration test's calls it may apply for phase 2; after the NHI approves, it gets
//! a production key (real IDs). The NHI can revoke any key. The user side (authorisation,
//! pre-authorisation, fetch) is [`super::passbook_data`]. protocol/docs/DC.md, "Passbook
//! SDK (seed 003)".

use super::{Dc, DcError, DcResult};
use nhi_protocol::api::reply::Empty;
use nhi_protocol::dc::msg::{
    ApplicationReply, ApplyRequest, IntegrationReply, IntegrationStep, PassbookKeyReply,
    PassbookRefusal, PassbookRegisterRequest, ReviewRequest, RevokeKeyRequest, SdkPlatform,
    INTEGRATION_STEPS,
};
use nhi_protocol::ident::RocDate;
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection, OptionalExtension};

/// A refusal with its documented code and message.
pub(super) fn refuse(r: PassbookRefusal) -> DcError {
    DcError::new(r.code(), r.message())
}

/// A refusal with a detail after the documented message.
pub(super) fn refuse_with(r: PassbookRefusal, detail: impl std::fmt::Display) -> DcError {
    DcError::new(r.code(), format!("{}: {detail}", r.message()))
}

/// A live API key: its app and phase.
#[derive(Debug, Clone)]
pub(super) struct LiveKey {
    /// The app.
    pub app_id: String,
    /// 1 test, 2 production.
    pub phase: u8,
}

/// A phase-2 application's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Review {
    Pending,
    Approved,
    Rejected,
}

impl Review {
    fn as_str(self) -> &'static str {
        match self {
            Review::Pending => "pending",
            Review::Approved => "approved",
            Review::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> DcResult<Review> {
        [Review::Pending, Review::Approved, Review::Rejected]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| DcError::internal(format!("stored application state {s:?}")))
    }
}

/// A non-empty text field (1704 when blank: the seed requires every one of them).
fn required(field: &str, v: &str) -> DcResult<()> {
    if v.trim().is_empty() {
        return Err(DcError::new(
            StatusCode::ParamFormat1,
            format!("{field} is required"),
        ));
    }
    Ok(())
}

/// The app's platform as stored.
fn platform(c: &Connection, app_id: &str) -> DcResult<SdkPlatform> {
    let p: String = c.query_row(
        "SELECT platform FROM passbook_apps WHERE app_id = ?1",
        [app_id],
        |r| r.get(0),
    )?;
    match p.as_str() {
        "android" => Ok(SdkPlatform::Android),
        "ios" => Ok(SdkPlatform::Ios),
        o => Err(DcError::internal(format!("stored platform {o:?}"))),
    }
}

impl Dc {
    /// The key, refused when unknown or revoked.
    pub(super) fn live_key(&self, c: &Connection, api_key: &str) -> DcResult<LiveKey> {
        let row: Option<(String, u8, Option<i64>)> = c
            .query_row(
                "SELECT app_id, phase, revoked_at FROM passbook_keys WHERE api_key = ?1",
                [api_key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match row {
            None => Err(refuse(PassbookRefusal::UnknownKey)),
            Some((_, _, Some(_))) => Err(refuse(PassbookRefusal::KeyRevoked)),
            Some((app_id, phase, None)) => Ok(LiveKey { app_id, phase }),
        }
    }

    /// Issues a key of `phase` for the app.
    fn issue_key(&self, c: &Connection, app_id: &str, phase: u8) -> DcResult<PassbookKeyReply> {
        let api_key = self.new_id(&format!("pbk{phase}"))?;
        c.execute(
            "INSERT INTO passbook_keys(api_key, app_id, phase, issued_at) VALUES (?1,?2,?3,?4)",
            params![api_key, app_id, phase, self.now()],
        )?;
        Ok(PassbookKeyReply {
            app_id: app_id.to_string(),
            api_key,
            phase,
            sdk_version: platform(c, app_id)?.sdk_version(phase).to_string(),
        })
    }

    /// `Passbook/Register`: 機關登記 with the institution card; a phase-1 key.
    pub fn passbook_register(&self, r: &PassbookRegisterRequest) -> DcResult<PassbookKeyReply> {
        for (field, v) in [
            ("appName", &r.app_name),
            ("contact.name", &r.contact.name),
            ("contact.email", &r.contact.email),
            ("developer.name", &r.developer.name),
            ("developer.email", &r.developer.email),
        ] {
            required(field, v)?;
        }
        let c = self.db()?;
        let hospital = self.check_sam_signature(&c, &r.auth)?;
        let app_id = self.new_id("app")?;
        c.execute(
            "INSERT INTO passbook_apps(app_id, hospital_id, app_name, platform, contact_name,
             contact_email, developer_name, developer_email, registered_at)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
            params![
                app_id,
                hospital,
                r.app_name,
                r.platform.as_str(),
                r.contact.name,
                r.contact.email,
                r.developer.name,
                r.developer.email,
                self.now()
            ],
        )?;
        self.issue_key(&c, &app_id, 1)
    }

    /// The integration steps a phase-1 key made, in order of time.
    fn recorded_steps(c: &Connection, app_id: &str) -> DcResult<Vec<IntegrationStep>> {
        let mut st = c.prepare(
            "SELECT k.step FROM passbook_calls k JOIN passbook_keys p ON p.api_key = k.api_key
             WHERE k.app_id = ?1 AND p.phase = 1 ORDER BY k.id",
        )?;
        let names = st
            .query_map([app_id], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        names
            .iter()
            .map(|n| {
                IntegrationStep::parse(n)
                    .ok_or_else(|| DcError::internal(format!("stored integration step {n:?}")))
            })
            .collect()
    }

    /// `Passbook/IntegrationTest`: passes when the phase-1 key made [`INTEGRATION_STEPS`]
    /// in that order (other calls between them are allowed); recorded once passed.
    pub fn passbook_integration_test(&self, api_key: &str) -> DcResult<IntegrationReply> {
        let c = self.db()?;
        let key = self.live_key(&c, api_key)?;
        let seen = Self::recorded_steps(&c, &key.app_id)?;
        let mut next = INTEGRATION_STEPS.iter().peekable();
        for s in &seen {
            if next.peek() == Some(&s) {
                next.next();
            }
        }
        let missing: Vec<&str> = next.map(|s| s.as_str()).collect();
        if !missing.is_empty() {
            return Err(refuse_with(
                PassbookRefusal::IntegrationIncomplete,
                format!("missing, in order: {}", missing.join(", ")),
            ));
        }
        c.execute(
            "UPDATE passbook_apps SET integration_passed_at = ?2
             WHERE app_id = ?1 AND integration_passed_at IS NULL",
            params![key.app_id, self.now()],
        )?;
        Ok(IntegrationReply {
            passed: true,
            steps: INTEGRATION_STEPS.to_vec(),
        })
    }

    /// The app's latest phase-2 application: id and state.
    fn application(c: &Connection, app_id: &str) -> DcResult<Option<(i64, Review)>> {
        let row: Option<(i64, String)> = c
            .query_row(
                "SELECT id, state FROM passbook_applications WHERE app_id = ?1
                 ORDER BY id DESC LIMIT 1",
                [app_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(id, s)| Ok((id, Review::parse(&s)?))).transpose()
    }

    /// `Passbook/Apply`: the phase-2 application, after the integration test, with the
    /// seed's L2 security test; a rejected app may apply again.
    pub fn passbook_apply(&self, r: &ApplyRequest) -> DcResult<ApplicationReply> {
        required("privacyContact", &r.privacy_contact)?;
        required("plan", &r.plan)?;
        RocDate::parse(&r.launch_date)
            .map_err(|e| DcError::new(StatusCode::ParamFormat1, format!("launchDate: {e}")))?;
        let level = match r.security_level.as_str() {
            "L1" => 1,
            "L2" => 2,
            "L3" => 3,
            o => {
                return Err(DcError::new(
                    StatusCode::ParamFormat3,
                    format!("securityLevel {o:?}: L1, L2 or L3"),
                ))
            }
        };
        let c = self.db()?;
        let key = self.live_key(&c, &r.api_key)?;
        let passed: Option<i64> = c.query_row(
            "SELECT integration_passed_at FROM passbook_apps WHERE app_id = ?1",
            [&key.app_id],
            |r| r.get(0),
        )?;
        if passed.is_none() {
            return Err(refuse(PassbookRefusal::IntegrationIncomplete));
        }
        if let Some((_, Review::Pending | Review::Approved)) = Self::application(&c, &key.app_id)? {
            return Err(refuse(PassbookRefusal::AlreadyApplied));
        }
        if level < 2 {
            return Err(refuse_with(
                PassbookRefusal::SecurityLevel,
                r.security_level.as_str(),
            ));
        }
        let category = serde_json::to_value(r.category)?;
        c.execute(
            "INSERT INTO passbook_applications(app_id, category, security_level,
             privacy_contact, launch_date, plan, state, filed_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            params![
                key.app_id,
                category.as_str(),
                r.security_level,
                r.privacy_contact,
                r.launch_date,
                r.plan,
                Review::Pending.as_str(),
                self.now()
            ],
        )?;
        Ok(ApplicationReply {
            application_id: c.last_insert_rowid(),
            state: Review::Pending.as_str().to_string(),
        })
    }

    /// `Passbook/Review`: the NHI approves or rejects a pending application.
    pub fn passbook_review(&self, r: &ReviewRequest) -> DcResult<ApplicationReply> {
        required("reviewer", &r.reviewer)?;
        let c = self.db()?;
        let state: Option<String> = c
            .query_row(
                "SELECT state FROM passbook_applications WHERE id = ?1",
                [r.application_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(state) = state else {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("no application {}", r.application_id),
            ));
        };
        if Review::parse(&state)? != Review::Pending {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("application {} already {state}", r.application_id),
            ));
        }
        let to = if r.approve {
            Review::Approved
        } else {
            Review::Rejected
        };
        c.execute(
            "UPDATE passbook_applications SET state = ?2, reviewer = ?3, reviewed_at = ?4
             WHERE id = ?1",
            params![r.application_id, to.as_str(), r.reviewer, self.now()],
        )?;
        Ok(ApplicationReply {
            application_id: r.application_id,
            state: to.as_str().to_string(),
        })
    }

    /// `Passbook/ProductionKey`: the production key of an approved app (the same one when
    /// asked again); refused while phase 2 is not approved.
    pub fn passbook_production_key(&self, api_key: &str) -> DcResult<PassbookKeyReply> {
        let c = self.db()?;
        let key = self.live_key(&c, api_key)?;
        match Self::application(&c, &key.app_id)? {
            Some((_, Review::Approved)) => {}
            Some((_, state)) => {
                return Err(refuse_with(
                    PassbookRefusal::NotApproved,
                    format!("application {}", state.as_str()),
                ))
            }
            None => {
                return Err(refuse_with(
                    PassbookRefusal::NotApproved,
                    "no application filed",
                ))
            }
        }
        let live: Option<String> = c
            .query_row(
                "SELECT api_key FROM passbook_keys WHERE app_id = ?1 AND phase = 2
                 AND revoked_at IS NULL",
                [&key.app_id],
                |r| r.get(0),
            )
            .optional()?;
        match live {
            Some(k) => Ok(PassbookKeyReply {
                sdk_version: platform(&c, &key.app_id)?.sdk_version(2).to_string(),
                app_id: key.app_id,
                api_key: k,
                phase: 2,
            }),
            None => self.issue_key(&c, &key.app_id, 2),
        }
    }

    /// `Passbook/RevokeKey`: the NHI revokes a key; every later call with it is refused.
    pub fn passbook_revoke_key(&self, r: &RevokeKeyRequest) -> DcResult<Empty> {
        required("reason", &r.reason)?;
        let c = self.db()?;
        self.live_key(&c, &r.api_key)?;
        c.execute(
            "UPDATE passbook_keys SET revoked_at = ?2, revoke_reason = ?3 WHERE api_key = ?1",
            params![r.api_key, self.now(), r.reason],
        )?;
        Ok(Empty {})
    }
}
