//! Typed access to the DC's rows: one function per query, rows as structs with enum
//! states, so the rules never see SQL tuples or compare state strings.

use super::store::{PhoneState, SessionKind, SessionState};
use rusqlite::{params, Connection, OptionalExtension, Result};

/// An institution as the DC stores it.
#[derive(Debug, Clone)]
pub struct HospitalRow {
    /// Hospital id.
    pub id: String,
    /// Its SAM's id.
    pub sam_id: String,
    /// Name.
    pub name: String,
    /// Short name.
    pub short_name: String,
    /// Contract start (unix s).
    pub from: i64,
    /// Contract end (unix s).
    pub to: i64,
    /// Suspended (停權).
    pub suspended: bool,
    /// SAM revoked.
    pub revoked: bool,
}

const HOSPITAL_COLUMNS: &str =
    "id, sam_id, name, short_name, contract_from, contract_to, suspended, revoked";

fn hospital(r: &rusqlite::Row<'_>) -> Result<HospitalRow> {
    Ok(HospitalRow {
        id: r.get(0)?,
        sam_id: r.get(1)?,
        name: r.get(2)?,
        short_name: r.get(3)?,
        from: r.get(4)?,
        to: r.get(5)?,
        suspended: r.get::<_, i64>(6)? != 0,
        revoked: r.get::<_, i64>(7)? != 0,
    })
}

/// The institution of a SAM.
pub fn hospital_by_sam(c: &Connection, sam_id: &str) -> Result<Option<HospitalRow>> {
    let q = format!("SELECT {HOSPITAL_COLUMNS} FROM hospitals WHERE sam_id = ?1");
    c.query_row(&q, [sam_id], hospital).optional()
}

/// An institution by id.
pub fn hospital_by_id(c: &Connection, id: &str) -> Result<Option<HospitalRow>> {
    let q = format!("SELECT {HOSPITAL_COLUMNS} FROM hospitals WHERE id = ?1");
    c.query_row(&q, [id], hospital).optional()
}

/// Takes (reads and deletes) a challenge: its SAM id and DC random.
pub fn take_challenge(c: &Connection, id: &str) -> Result<Option<(String, Vec<u8>)>> {
    let row = c
        .query_row(
            "SELECT sam_id, dc_random FROM challenges WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    c.execute("DELETE FROM challenges WHERE id = ?1", [id])?;
    Ok(row)
}

/// A session (SAM or HCA).
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// The HPC of an HCA session.
    pub subject: Option<String>,
    /// Unix s.
    pub expires_at: i64,
    /// State.
    pub state: SessionState,
}

/// A session of a kind.
pub fn session(c: &Connection, kind: SessionKind, id: &str) -> Result<Option<SessionRow>> {
    c.query_row(
        "SELECT sam_id, hospital_id, subject, expires_at, state FROM sessions WHERE id = ?1 AND kind = ?2",
        params![id, kind],
        |r| {
            Ok(SessionRow {
                sam_id: r.get(0)?,
                hospital_id: r.get(1)?,
                subject: r.get(2)?,
                expires_at: r.get(3)?,
                state: r.get(4)?,
            })
        },
    )
    .optional()
}

/// A new session to insert.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// Session id.
    pub id: &'a str,
    /// Kind.
    pub kind: SessionKind,
    /// SAM id.
    pub sam_id: &'a str,
    /// Hospital id.
    pub hospital_id: &'a str,
    /// The HPC of an HCA session.
    pub subject: Option<&'a str>,
    /// The device of an HCA session.
    pub device: Option<&'a str>,
    /// Unix s.
    pub created_at: i64,
    /// Unix s.
    pub expires_at: i64,
}

/// Inserts an active session.
pub fn insert_session(c: &Connection, s: &NewSession<'_>) -> Result<()> {
    c.execute(
        "INSERT INTO sessions(id, kind, sam_id, hospital_id, subject, device, created_at, expires_at, state) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
        params![s.id, s.kind, s.sam_id, s.hospital_id, s.subject, s.device, s.created_at, s.expires_at, SessionState::Active],
    )?;
    Ok(())
}

/// A registered phone.
#[derive(Debug, Clone)]
pub struct PhoneRow {
    /// The card it holds.
    pub card_no: String,
    /// State.
    pub state: PhoneState,
}

/// A phone by id.
pub fn phone(c: &Connection, phone_id: &str) -> Result<Option<PhoneRow>> {
    c.query_row(
        "SELECT card_no, state FROM phones WHERE phone_id = ?1",
        [phone_id],
        |r| {
            Ok(PhoneRow {
                card_no: r.get(0)?,
                state: r.get(1)?,
            })
        },
    )
    .optional()
}

/// A card holder's stored fields (ID number and name sealed).
#[derive(Debug, Clone)]
pub struct CardRow {
    /// Sealed ID number (internal key).
    pub id_enc: Vec<u8>,
    /// Sealed name (internal key).
    pub name_enc: Vec<u8>,
    /// ROC birthday.
    pub birthday: String,
    /// Sex code.
    pub sex: String,
    /// Identity status code.
    pub identity_status: String,
    /// Card validity (unix s).
    pub valid_until: i64,
}

/// A card by number.
pub fn card(c: &Connection, card_no: &str) -> Result<Option<CardRow>> {
    c.query_row(
        "SELECT id_enc, name_enc, birthday, sex, identity_status, valid_until FROM cards WHERE card_no = ?1",
        [card_no],
        |r| {
            Ok(CardRow {
                id_enc: r.get(0)?,
                name_enc: r.get(1)?,
                birthday: r.get(2)?,
                sex: r.get(3)?,
                identity_status: r.get(4)?,
                valid_until: r.get(5)?,
            })
        },
    )
    .optional()
}

/// An issued token's use count and revocation.
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// The phone it was issued to.
    pub phone_id: String,
    /// Successful verifications so far.
    pub uses: i64,
    /// Revoked (transfer, lost phone, another phone activated).
    pub revoked: bool,
}

/// A token by serial.
pub fn token(c: &Connection, serial: u32) -> Result<Option<TokenRow>> {
    c.query_row(
        "SELECT phone_id, uses, revoked FROM tokens WHERE serial = ?1",
        [i64::from(serial)],
        |r| {
            Ok(TokenRow {
                phone_id: r.get(0)?,
                uses: r.get(1)?,
                revoked: r.get::<_, i64>(2)? != 0,
            })
        },
    )
    .optional()
}

/// A transfer code.
#[derive(Debug, Clone)]
pub struct TransferRow {
    /// Card number.
    pub card_no: String,
    /// Exporting institution.
    pub hospital_id: String,
    /// The importing device, once used.
    pub used_by: Option<String>,
}

/// A transfer by code.
pub fn transfer(c: &Connection, code: &str) -> Result<Option<TransferRow>> {
    c.query_row(
        "SELECT card_no, hospital_id, used_by FROM transfers WHERE code = ?1",
        [code],
        |r| {
            Ok(TransferRow {
                card_no: r.get(0)?,
                hospital_id: r.get(1)?,
                used_by: r.get(2)?,
            })
        },
    )
    .optional()
}

/// A decryption request.
#[derive(Debug, Clone)]
pub struct DecryptRow {
    /// Who asked.
    pub requester: String,
    /// Card number.
    pub card_no: String,
    /// End of the approval (None: not approved).
    pub expires_at: Option<i64>,
}

/// A decryption request by id.
pub fn decrypt_request(c: &Connection, id: i64) -> Result<Option<DecryptRow>> {
    c.query_row(
        "SELECT requester, card_no, expires_at FROM decrypt_requests WHERE id = ?1",
        [id],
        |r| {
            Ok(DecryptRow {
                requester: r.get(0)?,
                card_no: r.get(1)?,
                expires_at: r.get(2)?,
            })
        },
    )
    .optional()
}
