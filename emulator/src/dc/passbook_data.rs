//! The passbook SDK's user side (seed 003, 圖一 front end and 圖二 back-end file fetch;
//! SDK 3.1.x / 3.3.x 預先授權): the user consents in the app, once or in advance, and the
//! app's back end fetches the passbook file with its key and the ticket. A phase-1 key sees
//! only virtual test IDs, a production key only real ones; a real user proves who they are
//! with their active 健保快易通 phone. Every successful call is recorded for the
//! integration test ([`super::passbook`]).

use super::passbook::{refuse, refuse_with, LiveKey};
use super::store::PhoneState;
use super::{rows, Dc, DcError, DcResult};
use nhi_protocol::api::hc_areas::VisitReply;
use nhi_protocol::api::reply::Empty;
use nhi_protocol::dc::msg::{
    is_virtual_test_id, AuthorizeReply, AuthorizeRequest, IntegrationStep, PassbookFile,
    PassbookRefusal, TicketRequest, VIRTUAL_TEST_IDS,
};
use nhi_protocol::ident::IdNo;
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection, OptionalExtension};

/// How long a one-time authorisation waits for its fetch (ours: the seed is silent).
pub const ONE_TIME_TTL_SECS: i64 = 600;
/// A pre-authorisation's length when the request names none (ours: the seed is silent).
pub const PRE_AUTH_DEFAULT_DAYS: u32 = 30;
/// The longest pre-authorisation.
pub const PRE_AUTH_MAX_DAYS: u32 = 365;

/// Whose passbook a ticket opens.
enum Subject {
    /// One of the virtual test IDs.
    Virtual(String),
    /// A real person, by the ID's lookup hash (no plaintext ID at rest).
    Real(String),
}

/// A stored ticket.
struct Ticket {
    app_id: String,
    /// The real person's ID hash, or None for a virtual ID.
    id_hash: Option<String>,
    /// The virtual ID, or None for a real person.
    virtual_id: Option<String>,
    pre_authorized: bool,
    expires_at: i64,
    used: bool,
    revoked: bool,
}

impl Ticket {
    /// Whose passbook it opens: exactly one of the two is stored.
    fn subject(&self) -> DcResult<Subject> {
        match (&self.id_hash, &self.virtual_id) {
            (Some(h), None) => Ok(Subject::Real(h.clone())),
            (None, Some(v)) => Ok(Subject::Virtual(v.clone())),
            _ => Err(DcError::internal(
                "a passbook ticket without a single subject",
            )),
        }
    }
}

fn ticket(c: &Connection, t: &str) -> DcResult<Option<Ticket>> {
    Ok(c.query_row(
        "SELECT app_id, id_hash, virtual_id, pre_authorized, expires_at, used_at, revoked_at
         FROM passbook_tickets WHERE ticket = ?1",
        [t],
        |r| {
            Ok(Ticket {
                app_id: r.get(0)?,
                id_hash: r.get(1)?,
                virtual_id: r.get(2)?,
                pre_authorized: r.get(3)?,
                expires_at: r.get(4)?,
                used: r.get::<_, Option<i64>>(5)?.is_some(),
                revoked: r.get::<_, Option<i64>>(6)?.is_some(),
            })
        },
    )
    .optional()?)
}

/// A phase-1 key reads virtual IDs only, a production key real ones only.
fn check_phase(key: &LiveKey, subject: &Subject) -> DcResult<()> {
    match (key.phase, subject) {
        (1, Subject::Real(_)) => Err(refuse(PassbookRefusal::TestKeyRealId)),
        (1, Subject::Virtual(_)) => Ok(()),
        (_, Subject::Virtual(_)) => Err(refuse(PassbookRefusal::ProductionKeyVirtualId)),
        (_, Subject::Real(_)) => Ok(()),
    }
}

/// The synthetic visits of a virtual test ID (two, the same for every one of them).
fn virtual_visits() -> Vec<VisitReply> {
    let v = |seq: &str, at: &str, dx: &str, fee: u32| VisitReply {
        seq_no: seq.into(),
        visit_time: at.into(),
        hospital_id: "0000000000".into(),
        diagnosis: dx.into(),
        diagnosis2: String::new(),
        fee,
        copay: 50,
    };
    vec![
        v("0002", "1080315100000", "J069", 350),
        v("0001", "1080110093000", "K297", 420),
    ]
}

/// The visits the DC holds for a card, newest first.
fn visits(c: &Connection, card_no: &str) -> DcResult<Vec<VisitReply>> {
    let mut st = c.prepare(
        "SELECT seq, at, hospital_id, diagnosis, diagnosis2, fee, copay FROM hc_visits
         WHERE card_no = ?1 ORDER BY id DESC",
    )?;
    let rows = st
        .query_map([card_no], |r| {
            Ok(VisitReply {
                seq_no: r.get(0)?,
                visit_time: r.get(1)?,
                hospital_id: r.get(2)?,
                diagnosis: r.get(3)?,
                diagnosis2: r.get(4)?,
                fee: r.get(5)?,
                copay: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

impl Dc {
    /// Records a successful call for the integration test.
    fn record_step(
        &self,
        c: &Connection,
        key: &str,
        app: &str,
        s: IntegrationStep,
    ) -> DcResult<()> {
        c.execute(
            "INSERT INTO passbook_calls(app_id, api_key, step, at) VALUES (?1,?2,?3,?4)",
            params![app, key, s.as_str(), self.now()],
        )?;
        Ok(())
    }

    /// The current card of a person by ID hash.
    fn card_of(c: &Connection, hash: &str) -> DcResult<Option<String>> {
        Ok(c.query_row(
            "SELECT card_no FROM cards WHERE id_hash = ?1 AND replaced_by IS NULL",
            [hash],
            |r| r.get(0),
        )
        .optional()?)
    }

    /// The subject of an authorisation: a virtual ID, or a real person whose active phone
    /// is `phone_id`.
    fn subject(&self, c: &Connection, key: &LiveKey, r: &AuthorizeRequest) -> DcResult<Subject> {
        if is_virtual_test_id(&r.id_no) {
            let s = Subject::Virtual(r.id_no.clone());
            check_phase(key, &s)?;
            return Ok(s);
        }
        // A phase-1 key learns nothing about real people, not even whether one exists.
        if key.phase == 1 {
            return Err(refuse(PassbookRefusal::TestKeyRealId));
        }
        let hash = self.internal.lookup_hash(&r.id_no);
        let Some(card) = Self::card_of(c, &hash)? else {
            return Err(refuse(PassbookRefusal::UnknownPerson));
        };
        let Some(phone_id) = &r.phone_id else {
            return Err(refuse_with(PassbookRefusal::NotTheUser, "no phoneId"));
        };
        let phone = rows::phone(c, phone_id)?
            .filter(|p| p.card_no == card)
            .ok_or_else(|| refuse(PassbookRefusal::NotTheUser))?;
        if phone.state != PhoneState::Active {
            return Err(refuse_with(
                PassbookRefusal::PhoneNotActive,
                format!("phone {}", phone.state),
            ));
        }
        Ok(Subject::Real(hash))
    }

    /// `Passbook/Authorize`: a one-time ticket, or a pre-authorisation of `days`.
    pub fn passbook_authorize(&self, r: &AuthorizeRequest) -> DcResult<AuthorizeReply> {
        IdNo::parse(&r.id_no)
            .map_err(|e| DcError::new(StatusCode::ParamFormat2, format!("idNo: {e}")))?;
        let ttl = match (r.pre_authorize, r.days) {
            (false, None) => ONE_TIME_TTL_SECS,
            (false, Some(_)) => {
                return Err(DcError::new(
                    StatusCode::ParamFormat3,
                    "days applies to a pre-authorisation only",
                ))
            }
            (true, days) => {
                let d = days.unwrap_or(PRE_AUTH_DEFAULT_DAYS);
                if !(1..=PRE_AUTH_MAX_DAYS).contains(&d) {
                    return Err(DcError::new(
                        StatusCode::ParamFormat3,
                        format!("days {d}: 1 to {PRE_AUTH_MAX_DAYS}"),
                    ));
                }
                i64::from(d) * 86_400
            }
        };
        let c = self.db()?;
        let key = self.live_key(&c, &r.api_key)?;
        let (hash, virt) = match self.subject(&c, &key, r)? {
            Subject::Real(h) => (Some(h), None),
            Subject::Virtual(v) => (None, Some(v)),
        };
        let t = self.new_id("pbt")?;
        let expires_at = self.now() + ttl;
        c.execute(
            "INSERT INTO passbook_tickets(ticket, app_id, id_hash, virtual_id, pre_authorized,
             granted_at, expires_at) VALUES (?1,?2,?3,?4,?5,?6,?7)",
            params![
                t,
                key.app_id,
                hash,
                virt,
                r.pre_authorize,
                self.now(),
                expires_at
            ],
        )?;
        let step = if r.pre_authorize {
            IntegrationStep::PreAuthorize
        } else {
            IntegrationStep::Authorize
        };
        self.record_step(&c, &r.api_key, &key.app_id, step)?;
        Ok(AuthorizeReply {
            ticket: t,
            pre_authorized: r.pre_authorize,
            expires_at,
        })
    }

    /// The key, the usable ticket of a back-end call and its subject.
    fn key_and_ticket(
        &self,
        c: &Connection,
        r: &TicketRequest,
    ) -> DcResult<(LiveKey, Ticket, Subject)> {
        let key = self.live_key(c, &r.api_key)?;
        let t = ticket(c, &r.ticket)?.ok_or_else(|| refuse(PassbookRefusal::NoAuthorization))?;
        if t.app_id != key.app_id {
            return Err(refuse(PassbookRefusal::OtherAppsTicket));
        }
        let why = if t.revoked {
            Some("revoked by the user")
        } else if t.expires_at < self.now() {
            Some("expired")
        } else if t.used && !t.pre_authorized {
            Some("one-time authorisation already used")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(refuse_with(PassbookRefusal::NoAuthorization, why));
        }
        let subject = t.subject()?;
        check_phase(&key, &subject)?;
        Ok((key, t, subject))
    }

    /// `Passbook/Fetch`: the user's passbook file (a one-time ticket is then used up).
    pub fn passbook_fetch(&self, r: &TicketRequest) -> DcResult<PassbookFile> {
        let c = self.db()?;
        let (key, t, subject) = self.key_and_ticket(&c, r)?;
        let file = match &subject {
            Subject::Virtual(id) => PassbookFile {
                id_no: id.clone(),
                name: VIRTUAL_TEST_IDS
                    .iter()
                    .find(|(v, _)| v == id)
                    .map(|(_, n)| n.to_string())
                    .ok_or_else(|| {
                        DcError::internal(format!("ticket of unknown virtual ID {id}"))
                    })?,
                virtual_id: true,
                visits: virtual_visits(),
            },
            Subject::Real(hash) => {
                let card = Self::card_of(&c, hash)?
                    .ok_or_else(|| refuse(PassbookRefusal::UnknownPerson))?;
                let p = self.payload_for(&c, &card)?;
                PassbookFile {
                    id_no: p.id_no.as_str().to_string(),
                    name: p.name,
                    virtual_id: false,
                    visits: visits(&c, &card)?,
                }
            }
        };
        c.execute(
            "UPDATE passbook_tickets SET used_at = ?2 WHERE ticket = ?1 AND used_at IS NULL",
            params![r.ticket, self.now()],
        )?;
        let step = if t.pre_authorized {
            IntegrationStep::FetchPreAuthorized
        } else {
            IntegrationStep::Fetch
        };
        self.record_step(&c, &r.api_key, &key.app_id, step)?;
        Ok(file)
    }

    /// `Passbook/PreAuthorization/Revoke`: the user withdraws a pre-authorisation.
    pub fn passbook_revoke_pre_authorization(&self, r: &TicketRequest) -> DcResult<Empty> {
        let c = self.db()?;
        let (key, t, _) = self.key_and_ticket(&c, r)?;
        if !t.pre_authorized {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "a one-time authorisation is not a pre-authorisation",
            ));
        }
        c.execute(
            "UPDATE passbook_tickets SET revoked_at = ?2 WHERE ticket = ?1",
            params![r.ticket, self.now()],
        )?;
        self.record_step(
            &c,
            &r.api_key,
            &key.app_id,
            IntegrationStep::RevokePreAuthorization,
        )?;
        Ok(Empty {})
    }
}
